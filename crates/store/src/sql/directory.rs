use ::directory::report::{Decision, ReportStatus};
use ::directory::{E164, Entry};
use async_trait::async_trait;
use domain::Timestamp;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use super::{RowExt, SqlStore};
use crate::directory::{DirectoryStore, Moderation, ScamReport, StoredEntry, UpsertCounts};
use crate::error::{StoreError, StoreResult};
use crate::model::{Effects, Page};

macro_rules! entry_columns {
    () => {
        "id, entry, updated_at"
    };
}
macro_rules! report_columns {
    () => {
        "id, number, description, reporter, status, created_at, moderated_by, moderated_at, \
         moderation_note, entry_id"
    };
}

fn entry_json(entry: &Entry) -> StoreResult<String> {
    serde_json::to_string(entry).map_err(|e| StoreError::Corrupt(format!("directory entry: {e}")))
}

fn stored_entry(row: &AnyRow) -> StoreResult<StoredEntry> {
    Ok(StoredEntry {
        id: row.parsed("id")?,
        entry: row.json("entry")?,
        updated_at: row.time("updated_at")?,
    })
}

fn report(row: &AnyRow) -> StoreResult<ScamReport> {
    let status: ReportStatus = row.parsed("status")?;
    let moderation = match (row.opt_text("moderated_by")?, row.opt_time("moderated_at")?) {
        (Some(by), Some(at)) => Some(Moderation {
            decision: match status {
                ReportStatus::Approved => Decision::Approve,
                _ => Decision::Reject,
            },
            by,
            at,
            note: row.opt_text("moderation_note")?.unwrap_or_default(),
            entry_id: row.opt_parsed("entry_id")?,
        }),
        _ => None,
    };
    Ok(ScamReport {
        id: row.parsed("id")?,
        number: row.parsed::<E164>("number")?,
        description: row.text("description")?,
        reporter: row.text("reporter")?,
        status,
        created_at: row.time("created_at")?,
        moderation,
    })
}

fn status_str(entry: &Entry) -> &'static str {
    match entry.status {
        ::directory::Status::Official => "official",
        ::directory::Status::ThirdParty => "third_party",
        ::directory::Status::ReportedScam => "reported_scam",
    }
}

/// Inserts or updates one entry by its key; says which happened.
async fn upsert_one(
    conn: &mut AnyConnection,
    entry: &Entry,
    at: Timestamp,
) -> StoreResult<Upserted> {
    let key = entry.key();
    let existing = sqlx::query(
        "SELECT id, status FROM directory_entries \
         WHERE source = $1 AND coverage = $2 AND service = $3 AND number = $4",
    )
    .bind(&key.source)
    .bind(key.coverage.to_string())
    .bind(key.service.as_str())
    .bind(key.number.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    match existing {
        Some(row) => {
            let official = row.text("status")? == "official";
            if official && entry.status != ::directory::Status::Official {
                return Ok(Upserted::KeptOfficial);
            }
            sqlx::query(
                "UPDATE directory_entries SET status = $1, entry = $2, asserted_at = $3, \
                     updated_at = $4 WHERE id = $5",
            )
            .bind(status_str(entry))
            .bind(entry_json(entry)?)
            .bind(entry.provenance.asserted_at.as_millisecond())
            .bind(at.as_millisecond())
            .bind(row.text("id")?)
            .execute(&mut *conn)
            .await?;
            Ok(Upserted::Updated)
        }
        None => {
            let id = uuid::Uuid::now_v7();
            insert_entry(conn, id, entry, at).await?;
            Ok(Upserted::Inserted(id))
        }
    }
}

enum Upserted {
    Inserted(uuid::Uuid),
    Updated,
    KeptOfficial,
}

async fn insert_entry(
    conn: &mut AnyConnection,
    id: uuid::Uuid,
    entry: &Entry,
    at: Timestamp,
) -> StoreResult<()> {
    let key = entry.key();
    sqlx::query(
        "INSERT INTO directory_entries (id, source, coverage, service, number, status, entry, \
             asserted_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id.to_string())
    .bind(&key.source)
    .bind(key.coverage.to_string())
    .bind(key.service.as_str())
    .bind(key.number.as_str())
    .bind(status_str(entry))
    .bind(entry_json(entry)?)
    .bind(entry.provenance.asserted_at.as_millisecond())
    .bind(at.as_millisecond())
    .execute(&mut *conn)
    .await
    .map_err(|e| {
        StoreError::unique_as_conflict(
            e,
            format!(
                "directory entry of {} for {} {} by {}",
                key.number, key.coverage, key.service, key.source
            ),
        )
    })?;
    Ok(())
}

#[async_trait]
impl DirectoryStore for SqlStore {
    async fn directory_entries(&self) -> StoreResult<Vec<StoredEntry>> {
        sqlx::query(concat!(
            "SELECT ",
            entry_columns!(),
            " FROM directory_entries \
             ORDER BY coverage, service, number, source"
        ))
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(stored_entry)
        .collect()
    }

    async fn directory_entry(&self, id: uuid::Uuid) -> StoreResult<Option<StoredEntry>> {
        sqlx::query(concat!(
            "SELECT ",
            entry_columns!(),
            " FROM directory_entries WHERE id = $1"
        ))
        .bind(id.to_string())
        .fetch_optional(&self.reader)
        .await?
        .as_ref()
        .map(stored_entry)
        .transpose()
    }

    async fn upsert_directory_entries(
        &self,
        entries: &[Entry],
        at: Timestamp,
        effects: Effects,
    ) -> StoreResult<UpsertCounts> {
        let mut tx = self.writer.begin().await?;
        let mut counts = UpsertCounts::default();
        for entry in entries {
            match upsert_one(&mut tx, entry, at).await? {
                Upserted::Inserted(_) => counts.inserted += 1,
                Upserted::Updated => counts.updated += 1,
                Upserted::KeptOfficial => counts.kept_official += 1,
            }
        }
        self.write_effects(&mut tx, effects).await?;
        tx.commit().await?;
        Ok(counts)
    }

    async fn update_directory_entry(
        &self,
        id: uuid::Uuid,
        entry: &Entry,
        at: Timestamp,
        effects: Effects,
    ) -> StoreResult<()> {
        let key = entry.key();
        let mut tx = self.writer.begin().await?;
        let done = sqlx::query(
            "UPDATE directory_entries SET source = $1, coverage = $2, service = $3, number = $4, \
                 status = $5, entry = $6, asserted_at = $7, updated_at = $8 WHERE id = $9",
        )
        .bind(&key.source)
        .bind(key.coverage.to_string())
        .bind(key.service.as_str())
        .bind(key.number.as_str())
        .bind(status_str(entry))
        .bind(entry_json(entry)?)
        .bind(entry.provenance.asserted_at.as_millisecond())
        .bind(at.as_millisecond())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            StoreError::unique_as_conflict(
                e,
                format!(
                    "directory entry of {} for {} {} by {}",
                    key.number, key.coverage, key.service, key.source
                ),
            )
        })?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found(format!("directory entry {id}")));
        }
        self.write_effects(&mut tx, effects).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn delete_directory_entry(&self, id: uuid::Uuid, effects: Effects) -> StoreResult<()> {
        let mut tx = self.writer.begin().await?;
        let done = sqlx::query("DELETE FROM directory_entries WHERE id = $1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found(format!("directory entry {id}")));
        }
        self.write_effects(&mut tx, effects).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn insert_scam_report(&self, report: &ScamReport, effects: Effects) -> StoreResult<()> {
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "INSERT INTO directory_scam_reports (id, number, description, reporter, status, \
                 created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(report.id.to_string())
        .bind(report.number.as_str())
        .bind(&report.description)
        .bind(&report.reporter)
        .bind(report.status.as_str())
        .bind(report.created_at.as_millisecond())
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::unique_as_conflict(e, format!("scam report {}", report.id)))?;
        self.write_effects(&mut tx, effects).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn scam_report(&self, id: uuid::Uuid) -> StoreResult<Option<ScamReport>> {
        sqlx::query(concat!(
            "SELECT ",
            report_columns!(),
            " FROM directory_scam_reports WHERE id = $1"
        ))
        .bind(id.to_string())
        .fetch_optional(&self.reader)
        .await?
        .as_ref()
        .map(report)
        .transpose()
    }

    async fn scam_reports(
        &self,
        status: Option<ReportStatus>,
        page: Page,
    ) -> StoreResult<Vec<ScamReport>> {
        let rows = match status {
            Some(status) => {
                sqlx::query(concat!(
                    "SELECT ",
                    report_columns!(),
                    " FROM directory_scam_reports WHERE status = $1 \
                     ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3"
                ))
                .bind(status.as_str())
                .bind(i64::from(page.limit))
                .bind(i64::from(page.offset))
                .fetch_all(&self.reader)
                .await?
            }
            None => {
                sqlx::query(concat!(
                    "SELECT ",
                    report_columns!(),
                    " FROM directory_scam_reports \
                     ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2"
                ))
                .bind(i64::from(page.limit))
                .bind(i64::from(page.offset))
                .fetch_all(&self.reader)
                .await?
            }
        };
        rows.iter().map(report).collect()
    }

    async fn moderate_scam_report(
        &self,
        id: uuid::Uuid,
        moderation: &Moderation,
        entry: Option<&Entry>,
        effects: Effects,
    ) -> StoreResult<ScamReport> {
        let mut tx = self.writer.begin().await?;
        let current = sqlx::query(concat!(
            "SELECT ",
            report_columns!(),
            " FROM directory_scam_reports WHERE id = $1"
        ))
        .bind(id.to_string())
        .fetch_optional(&mut *tx)
        .await?
        .as_ref()
        .map(report)
        .transpose()?
        .ok_or_else(|| StoreError::not_found(format!("scam report {id}")))?;
        let status = current
            .status
            .moderate(moderation.decision)
            .map_err(|e| StoreError::conflict(format!("scam report {id}: {e}")))?;
        let entry_id = match entry {
            Some(entry) => match upsert_one(&mut tx, entry, moderation.at).await? {
                Upserted::Inserted(id) => Some(id),
                // The number was already confirmed (or is official): nothing new to add.
                Upserted::Updated | Upserted::KeptOfficial => None,
            },
            None => None,
        };
        // Only a pending row changes: a concurrent moderator's decision is never overwritten.
        let done = sqlx::query(
            "UPDATE directory_scam_reports SET status = $1, moderated_by = $2, moderated_at = $3, \
                 moderation_note = $4, entry_id = $5 WHERE id = $6 AND status = 'pending'",
        )
        .bind(status.as_str())
        .bind(&moderation.by)
        .bind(moderation.at.as_millisecond())
        .bind(&moderation.note)
        .bind(entry_id.map(|id| id.to_string()))
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::conflict(format!(
                "scam report {id}: it was moderated meanwhile"
            )));
        }
        self.write_effects(&mut tx, effects).await?;
        tx.commit().await?;
        Ok(ScamReport {
            status,
            moderation: Some(Moderation {
                entry_id,
                ..moderation.clone()
            }),
            ..current
        })
    }
}
