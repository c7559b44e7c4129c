use async_trait::async_trait;
use domain::Timestamp;
use sqlx::any::AnyRow;

use super::{RowExt, SqlStore};
use crate::error::{StoreError, StoreResult};
use crate::model::{PrincipalRef, Session};
use crate::traits::SessionStore;

fn session(row: &AnyRow) -> StoreResult<Session> {
    let id = row.text("principal_id")?;
    let principal = match row.text("principal_kind")?.as_str() {
        "staff" => PrincipalRef::Staff(
            id.parse()
                .map_err(|e| StoreError::Corrupt(format!("{e}")))?,
        ),
        "cardholder" => PrincipalRef::Cardholder(
            id.parse()
                .map_err(|e| StoreError::Corrupt(format!("{e}")))?,
        ),
        other => return Err(StoreError::Corrupt(format!("principal kind {other:?}"))),
    };
    Ok(Session {
        token_hash: row.text("token_hash")?,
        principal,
        csrf_token: row.text("csrf_token")?,
        created_at: row.time("created_at")?,
        expires_at: row.time("expires_at")?,
        ip: row.text("ip")?,
        user_agent: row.text("user_agent")?,
    })
}

#[async_trait]
impl SessionStore for SqlStore {
    async fn insert_session(&self, s: &Session) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, principal_kind, principal_id, csrf_token, created_at, expires_at, ip, user_agent) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&s.token_hash)
        .bind(s.principal.kind())
        .bind(s.principal.id().to_string())
        .bind(&s.csrf_token)
        .bind(s.created_at.as_millisecond())
        .bind(s.expires_at.as_millisecond())
        .bind(&s.ip)
        .bind(&s.user_agent)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn live_session(&self, token_hash: &str, now: Timestamp) -> StoreResult<Option<Session>> {
        sqlx::query(
            "SELECT token_hash, principal_kind, principal_id, csrf_token, created_at, expires_at, ip, user_agent \
             FROM sessions WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now.as_millisecond())
        .fetch_optional(&self.reader)
        .await?
        .as_ref()
        .map(session)
        .transpose()
    }

    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn delete_expired_sessions(&self, now: Timestamp) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now.as_millisecond())
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected())
    }
}
