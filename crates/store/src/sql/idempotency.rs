use async_trait::async_trait;
use domain::Timestamp;

use super::{RowExt, SqlStore};
use crate::error::{StoreError, StoreResult};
use crate::model::IdempotentResponse;
use crate::traits::IdempotencyStore;

#[async_trait]
impl IdempotencyStore for SqlStore {
    async fn idempotent_response(
        &self,
        scope: &str,
        key: &str,
    ) -> StoreResult<Option<IdempotentResponse>> {
        let row = sqlx::query(
            "SELECT request_hash, status, response FROM idempotency_keys WHERE scope = $1 AND key = $2",
        )
        .bind(scope)
        .bind(key)
        .fetch_optional(&self.writer)
        .await?;
        row.map(|row| {
            Ok(IdempotentResponse {
                request_hash: row.text("request_hash")?,
                status: u16::try_from(row.int("status")?)
                    .map_err(|e| StoreError::Corrupt(format!("status: {e}")))?,
                response: row.json("response")?,
            })
        })
        .transpose()
    }

    async fn save_idempotent_response(
        &self,
        scope: &str,
        key: &str,
        r: &IdempotentResponse,
        at: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO idempotency_keys (scope, key, request_hash, status, response, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(scope)
        .bind(key)
        .bind(&r.request_hash)
        .bind(i64::from(r.status))
        .bind(r.response.to_string())
        .bind(at.as_millisecond())
        .execute(&self.writer)
        .await
        .map_err(|e| StoreError::unique_as_conflict(e, format!("idempotency key {key:?}")))?;
        Ok(())
    }
}
