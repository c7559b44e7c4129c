use async_trait::async_trait;
use domain::Timestamp;
use sqlx::any::AnyRow;

use super::{RowExt, SqlStore};
use crate::error::{StoreError, StoreResult};
use crate::model::{ApiToken, Effects};
use crate::traits::TokenStore;
use sqlx::AssertSqlSafe;

const COLUMNS: &str =
    "id, name, token_hash, role, created_by, created_at, last_used_at, revoked_at";

fn token(row: &AnyRow) -> StoreResult<ApiToken> {
    Ok(ApiToken {
        id: row.parsed("id")?,
        name: row.text("name")?,
        token_hash: row.text("token_hash")?,
        role: row.parsed("role")?,
        created_by: row.opt_parsed("created_by")?,
        created_at: row.time("created_at")?,
        last_used_at: row.opt_time("last_used_at")?,
        revoked_at: row.opt_time("revoked_at")?,
    })
}

#[async_trait]
impl TokenStore for SqlStore {
    async fn insert_api_token(&self, t: &ApiToken, effects: Effects) -> StoreResult<()> {
        let mut tx = self.writer.begin().await?;
        sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO api_tokens ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        )))
        .bind(t.id.to_string())
        .bind(&t.name)
        .bind(&t.token_hash)
        .bind(t.role.as_str())
        .bind(t.created_by.map(|id| id.to_string()))
        .bind(t.created_at.as_millisecond())
        .bind(t.last_used_at.map(|at| at.as_millisecond()))
        .bind(t.revoked_at.map(|at| at.as_millisecond()))
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::unique_as_conflict(e, "an API token with this value"))?;
        self.write_effects(&mut tx, effects).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn active_api_token(&self, token_hash: &str) -> StoreResult<Option<ApiToken>> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL"
        )))
        .bind(token_hash)
        .fetch_optional(&self.reader)
        .await?
        .as_ref()
        .map(token)
        .transpose()
    }

    async fn list_api_tokens(&self) -> StoreResult<Vec<ApiToken>> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM api_tokens ORDER BY created_at DESC"
        )))
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(token)
        .collect()
    }

    async fn revoke_api_token(
        &self,
        id: uuid::Uuid,
        at: Timestamp,
        effects: Effects,
    ) -> StoreResult<()> {
        let mut tx = self.writer.begin().await?;
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(at.as_millisecond())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found(format!("active API token {id}")));
        }
        self.write_effects(&mut tx, effects).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn touch_api_token(&self, id: uuid::Uuid, at: Timestamp) -> StoreResult<()> {
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(at.as_millisecond())
            .bind(id.to_string())
            .execute(&self.writer)
            .await?;
        Ok(())
    }
}
