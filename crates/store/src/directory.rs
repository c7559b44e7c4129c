//! The helpline directory (product §1): entries with their provenance and status, and scam
//! reports with their moderation. The server builds its in-memory `directory::Directory` from
//! [`DirectoryStore::directory_entries`] and rebuilds it after every change.

use ::directory::report::{Decision, ReportStatus};
use ::directory::{E164, Entry};
use async_trait::async_trait;
use domain::Timestamp;

use crate::error::StoreResult;
use crate::model::{Effects, Page};

/// An entry as stored: its row id and when it last changed.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StoredEntry {
    pub id: uuid::Uuid,
    pub entry: Entry,
    pub updated_at: Timestamp,
}

/// What storing a batch of entries did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct UpsertCounts {
    pub inserted: u64,
    pub updated: u64,
    /// Rows left alone because they are official and the new entry is not: a third party never
    /// overwrites the issuer's word.
    pub kept_official: u64,
}

/// A number someone reported as used by scammers.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ScamReport {
    pub id: uuid::Uuid,
    pub number: E164,
    /// Free text, card numbers removed (`directory::report::clean_description`).
    pub description: String,
    /// Who reported it, as the audit log names them.
    pub reporter: String,
    pub status: ReportStatus,
    pub created_at: Timestamp,
    pub moderation: Option<Moderation>,
}

/// How a report was moderated.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Moderation {
    pub decision: Decision,
    pub by: String,
    pub at: Timestamp,
    pub note: String,
    /// The `reported_scam` entry an approval added.
    pub entry_id: Option<uuid::Uuid>,
}

#[async_trait]
pub trait DirectoryStore: Send + Sync {
    /// Every entry, by coverage, service and number.
    async fn directory_entries(&self) -> StoreResult<Vec<StoredEntry>>;
    async fn directory_entry(&self, id: uuid::Uuid) -> StoreResult<Option<StoredEntry>>;
    /// Inserts each entry, or updates the row with the same key (`Entry::key`), in one
    /// transaction; an official row is never replaced by an entry that is not official.
    async fn upsert_directory_entries(
        &self,
        entries: &[Entry],
        at: Timestamp,
        effects: Effects,
    ) -> StoreResult<UpsertCounts>;
    /// Replaces one entry. `NotFound` for an unknown id; `Conflict` when another row has the
    /// new key.
    async fn update_directory_entry(
        &self,
        id: uuid::Uuid,
        entry: &Entry,
        at: Timestamp,
        effects: Effects,
    ) -> StoreResult<()>;
    /// `NotFound` for an unknown id.
    async fn delete_directory_entry(&self, id: uuid::Uuid, effects: Effects) -> StoreResult<()>;

    async fn insert_scam_report(&self, report: &ScamReport, effects: Effects) -> StoreResult<()>;
    async fn scam_report(&self, id: uuid::Uuid) -> StoreResult<Option<ScamReport>>;
    /// Newest first; all statuses when `status` is `None`.
    async fn scam_reports(
        &self,
        status: Option<ReportStatus>,
        page: Page,
    ) -> StoreResult<Vec<ScamReport>>;
    /// Records the decision on a pending report and, for an approval, stores `entry` (a
    /// `reported_scam` entry) in the same transaction. `NotFound` for an unknown id; `Conflict`
    /// when the report was already moderated. Returns the report as it now is.
    async fn moderate_scam_report(
        &self,
        id: uuid::Uuid,
        moderation: &Moderation,
        entry: Option<&Entry>,
        effects: Effects,
    ) -> StoreResult<ScamReport>;
}
