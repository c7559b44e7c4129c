use async_trait::async_trait;
use domain::Timestamp;
use jiff::SignedDuration;
use sqlx::any::AnyRow;

use super::{RowExt, SqlStore, prefix_pattern};
use crate::error::{StoreError, StoreResult};
use crate::model::{OutboxEvent, Page};
use crate::traits::{Backend, OutboxStore};
use sqlx::AssertSqlSafe;

const COLUMNS: &str = "id, topic, subject, payload, created_at, attempts, delivered_at, last_error";

fn event(row: &AnyRow) -> StoreResult<OutboxEvent> {
    Ok(OutboxEvent {
        id: row.int("id")?,
        topic: row.text("topic")?,
        subject: row.text("subject")?,
        payload: row.json("payload")?,
        created_at: row.time("created_at")?,
        attempts: row.int("attempts")?,
        delivered_at: row.opt_time("delivered_at")?,
        last_error: row.opt_text("last_error")?,
    })
}

#[async_trait]
impl OutboxStore for SqlStore {
    async fn claim_due_events(
        &self,
        now: Timestamp,
        lease: SignedDuration,
        limit: u32,
    ) -> StoreResult<Vec<OutboxEvent>> {
        let leased_until = now
            .checked_add(lease)
            .map_err(|e| StoreError::Corrupt(format!("lease: {e}")))?;
        // PostgreSQL: several nodes may claim at once, so skip rows another node holds.
        // SQLite has one writer, so a plain sub-select is already exclusive.
        let lock = match self.backend {
            Backend::Postgres => "FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let mut rows = sqlx::query(AssertSqlSafe(format!(
            "UPDATE outbox SET available_at = $1 WHERE id IN (\
                 SELECT id FROM outbox WHERE delivered_at IS NULL AND available_at <= $2 \
                 ORDER BY id LIMIT $3 {lock}) \
             RETURNING {COLUMNS}"
        )))
        .bind(leased_until.as_millisecond())
        .bind(now.as_millisecond())
        .bind(i64::from(limit))
        .fetch_all(&self.writer)
        .await?
        .iter()
        .map(event)
        .collect::<StoreResult<Vec<_>>>()?;
        rows.sort_by_key(|e| e.id);
        Ok(rows)
    }

    async fn mark_event_delivered(&self, id: i64, at: Timestamp) -> StoreResult<()> {
        sqlx::query("UPDATE outbox SET delivered_at = $1, attempts = attempts + 1 WHERE id = $2")
            .bind(at.as_millisecond())
            .bind(id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn mark_event_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE outbox SET attempts = attempts + 1, last_error = $1, available_at = $2 WHERE id = $3",
        )
        .bind(error)
        .bind(retry_at.as_millisecond())
        .bind(id)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn events_for_subject(&self, subject: &str) -> StoreResult<Vec<OutboxEvent>> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM outbox WHERE subject = $1 ORDER BY id"
        )))
        .bind(subject)
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(event)
        .collect()
    }

    async fn recent_events(&self, topic_prefix: &str, page: Page) -> StoreResult<Vec<OutboxEvent>> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM outbox WHERE topic LIKE $1 ESCAPE '\\' \
             ORDER BY id DESC LIMIT $2 OFFSET $3"
        )))
        .bind(prefix_pattern(topic_prefix))
        .bind(i64::from(page.limit))
        .bind(i64::from(page.offset))
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(event)
        .collect()
    }

    async fn undelivered_event_count(&self) -> StoreResult<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL")
            .fetch_one(&self.reader)
            .await?;
        Ok(n.max(0) as u64)
    }
}
