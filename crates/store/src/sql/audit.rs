use async_trait::async_trait;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use super::{RowExt, SqlStore};
use crate::error::StoreResult;
use crate::model::{AuditEntry, AuditRecord, Page};
use crate::traits::AuditStore;
use sqlx::AssertSqlSafe;

const COLUMNS: &str = "id, at, actor, action, subject, ip, request_id, detail";

pub(super) async fn insert(conn: &mut AnyConnection, r: &AuditRecord) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor, action, subject, ip, request_id, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(r.at.as_millisecond())
    .bind(&r.actor)
    .bind(&r.action)
    .bind(&r.subject)
    .bind(&r.ip)
    .bind(&r.request_id)
    .bind(r.detail.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

fn entry(row: &AnyRow) -> StoreResult<AuditEntry> {
    Ok(AuditEntry {
        id: row.int("id")?,
        record: AuditRecord {
            at: row.time("at")?,
            actor: row.text("actor")?,
            action: row.text("action")?,
            subject: row.text("subject")?,
            ip: row.text("ip")?,
            request_id: row.text("request_id")?,
            detail: row.json("detail")?,
        },
    })
}

#[async_trait]
impl AuditStore for SqlStore {
    async fn append_audit(&self, records: &[AuditRecord]) -> StoreResult<()> {
        if records.is_empty() {
            return Ok(());
        }
        let mut tx = self.writer.begin().await?;
        for record in records {
            insert(&mut tx, record).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn audit_for_subject(&self, subject: &str, page: Page) -> StoreResult<Vec<AuditEntry>> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM audit_log WHERE subject = $1 ORDER BY id DESC LIMIT $2 OFFSET $3"
        )))
        .bind(subject)
        .bind(i64::from(page.limit))
        .bind(i64::from(page.offset))
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(entry)
        .collect()
    }

    async fn recent_audit(&self, page: Page) -> StoreResult<Vec<AuditEntry>> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM audit_log ORDER BY id DESC LIMIT $1 OFFSET $2"
        )))
        .bind(i64::from(page.limit))
        .bind(i64::from(page.offset))
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(entry)
        .collect()
    }
}
