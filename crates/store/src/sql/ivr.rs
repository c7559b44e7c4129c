use async_trait::async_trait;
use domain::Timestamp;
use sqlx::AssertSqlSafe;
use sqlx::any::AnyRow;

use super::{RowExt, SqlStore};
use crate::error::{StoreError, StoreResult};
use crate::ivr::{IvrCall, IvrStore};
use crate::model::Effects;

const COLUMNS: &str =
    "call_sid, flow_id, state, version, started_at, updated_at, ended_at, end_status";

fn call(row: &AnyRow) -> StoreResult<IvrCall> {
    Ok(IvrCall {
        call_sid: row.text("call_sid")?,
        flow_id: row.text("flow_id")?,
        state: row.text("state")?,
        version: row.int("version")?,
        started_at: row.time("started_at")?,
        updated_at: row.time("updated_at")?,
        ended_at: row.opt_time("ended_at")?,
        end_status: row.opt_text("end_status")?,
    })
}

#[async_trait]
impl IvrStore for SqlStore {
    async fn insert_ivr_call(&self, c: &IvrCall, effects: Effects) -> StoreResult<()> {
        let mut tx = self.writer.begin().await?;
        sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO ivr_calls ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        )))
        .bind(&c.call_sid)
        .bind(&c.flow_id)
        .bind(&c.state)
        .bind(c.version)
        .bind(c.started_at.as_millisecond())
        .bind(c.updated_at.as_millisecond())
        .bind(c.ended_at.map(|t| t.as_millisecond()))
        .bind(c.end_status.as_deref())
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::unique_as_conflict(e, format!("IVR call {}", c.call_sid)))?;
        self.write_effects(&mut tx, effects).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn ivr_call(&self, call_sid: &str) -> StoreResult<Option<IvrCall>> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM ivr_calls WHERE call_sid = $1"
        )))
        .bind(call_sid)
        .fetch_optional(&self.reader)
        .await?
        .as_ref()
        .map(call)
        .transpose()
    }

    async fn update_ivr_call(&self, c: &IvrCall, effects: Effects) -> StoreResult<()> {
        let mut tx = self.writer.begin().await?;
        let done = sqlx::query(
            "UPDATE ivr_calls SET state = $1, version = $2, updated_at = $3 \
             WHERE call_sid = $4 AND version = $5 AND ended_at IS NULL",
        )
        .bind(&c.state)
        .bind(c.version)
        .bind(c.updated_at.as_millisecond())
        .bind(&c.call_sid)
        .bind(c.version - 1)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            let exists = sqlx::query("SELECT 1 AS one FROM ivr_calls WHERE call_sid = $1")
                .bind(&c.call_sid)
                .fetch_optional(&mut *tx)
                .await?
                .is_some();
            return Err(if exists {
                StoreError::Conflict {
                    what: format!(
                        "IVR call {} at version {} (it moved on or ended)",
                        c.call_sid,
                        c.version - 1
                    ),
                }
            } else {
                StoreError::not_found(format!("IVR call {}", c.call_sid))
            });
        }
        self.write_effects(&mut tx, effects).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn end_ivr_call(
        &self,
        call_sid: &str,
        status: &str,
        at: Timestamp,
        effects: Effects,
    ) -> StoreResult<bool> {
        let mut tx = self.writer.begin().await?;
        let done = sqlx::query(
            "UPDATE ivr_calls SET ended_at = $1, end_status = $2, updated_at = $1 \
             WHERE call_sid = $3 AND ended_at IS NULL",
        )
        .bind(at.as_millisecond())
        .bind(status)
        .bind(call_sid)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        self.write_effects(&mut tx, effects).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn count_active_ivr_calls(&self) -> StoreResult<u64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM ivr_calls WHERE ended_at IS NULL")
            .fetch_one(&self.reader)
            .await?;
        u64::try_from(row.int("n")?).map_err(|e| StoreError::Corrupt(format!("count: {e}")))
    }
}
