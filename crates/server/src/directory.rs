//! The in-memory helpline directory (product §1): `check` and `lookup` answer from a
//! `directory::Directory` built from the stored entries, rebuilt after every change this server
//! makes (and at start). Changes go through [`DirectoryIndex::upsert`], `update`, `delete` and
//! `moderate`, which store the change with its audit rows and then rebuild.

use std::sync::{Arc, RwLock};

use directory::{Directory, Entry};
use domain::Timestamp;
use store::{Effects, Moderation, ScamReport, Store, StoreResult, UpsertCounts};

pub struct DirectoryIndex {
    store: Arc<dyn Store>,
    current: RwLock<Arc<Directory>>,
    /// Serialises rebuilds so that an older snapshot never replaces a newer one.
    rebuild: tokio::sync::Mutex<()>,
}

impl DirectoryIndex {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            current: RwLock::new(Arc::new(Directory::default())),
            rebuild: tokio::sync::Mutex::new(()),
        }
    }

    /// The directory as of the last change; cheap (an `Arc` clone).
    pub fn get(&self) -> Arc<Directory> {
        match self.current.read() {
            Ok(current) => current.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Rebuilds the in-memory directory from the store.
    pub async fn load(&self) -> StoreResult<()> {
        let _one_at_a_time = self.rebuild.lock().await;
        let entries: Vec<Entry> = self
            .store
            .directory_entries()
            .await?
            .into_iter()
            .map(|stored| stored.entry)
            .collect();
        let directory = Arc::new(Directory::new(entries));
        match self.current.write() {
            Ok(mut current) => *current = directory,
            Err(poisoned) => *poisoned.into_inner() = directory,
        }
        Ok(())
    }

    pub async fn upsert(
        &self,
        entries: &[Entry],
        at: Timestamp,
        effects: Effects,
    ) -> StoreResult<UpsertCounts> {
        let counts = self
            .store
            .upsert_directory_entries(entries, at, effects)
            .await?;
        self.load().await?;
        Ok(counts)
    }

    pub async fn update(
        &self,
        id: uuid::Uuid,
        entry: &Entry,
        at: Timestamp,
        effects: Effects,
    ) -> StoreResult<()> {
        self.store
            .update_directory_entry(id, entry, at, effects)
            .await?;
        self.load().await
    }

    pub async fn delete(&self, id: uuid::Uuid, effects: Effects) -> StoreResult<()> {
        self.store.delete_directory_entry(id, effects).await?;
        self.load().await
    }

    pub async fn moderate(
        &self,
        id: uuid::Uuid,
        moderation: &Moderation,
        entry: Option<&Entry>,
        effects: Effects,
    ) -> StoreResult<ScamReport> {
        let report = self
            .store
            .moderate_scam_report(id, moderation, entry, effects)
            .await?;
        if entry.is_some() {
            self.load().await?;
        }
        Ok(report)
    }
}

/// What importing third-party listings did.
pub struct Imported {
    /// Listings read from the file.
    pub read: usize,
    pub counts: UpsertCounts,
    /// Where the directory (every source, after the import) disagrees with itself.
    pub report: directory::ConflictReport,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the source must name who lists the numbers (1 to 200 characters)")]
    BadSource,
    #[error(
        "{0:?} is the source of official entries; imported listings are third-party, so name the source they come from"
    )]
    OfficialSource(String),
    #[error(transparent)]
    Unreadable(#[from] directory::import::ImportError),
    #[error("the importer produced an entry that is not third-party")]
    NotThirdParty,
    #[error(transparent)]
    Store(#[from] store::StoreError),
}

/// Entries stored per transaction.
const IMPORT_BATCH: usize = 500;

/// Imports third-party listings (CSV, or text like the seed articles) as entries of `source`
/// (importing a source again updates its entries) and reports where the directory disagrees.
/// `audit(batch, entries)` is the audit row of each stored batch; `progress(stored, of)` is
/// told after each.
pub async fn import_listings(
    store: &dyn Store,
    source: &str,
    bytes: &[u8],
    now: Timestamp,
    audit: impl Fn(usize, usize) -> store::AuditRecord,
    mut progress: impl FnMut(usize, usize),
) -> Result<Imported, ImportError> {
    let source = source.trim();
    if source.is_empty() || source.chars().count() > 200 {
        return Err(ImportError::BadSource);
    }
    let entries = |all: Vec<store::StoredEntry>| -> Vec<Entry> {
        all.into_iter().map(|stored| stored.entry).collect()
    };
    if entries(store.directory_entries().await?)
        .iter()
        .any(|e| e.status == directory::Status::Official && e.provenance.source == source)
    {
        return Err(ImportError::OfficialSource(source.to_owned()));
    }
    let provenance = directory::Provenance {
        source: source.to_owned(),
        asserted_at: now,
    };
    let import = directory::import::import_file(&provenance, bytes)?;
    // The crate makes third-party entries only; keep that a fact here too.
    if import
        .entries
        .iter()
        .any(|e| e.status != directory::Status::ThirdParty)
    {
        return Err(ImportError::NotThirdParty);
    }
    let mut counts = UpsertCounts::default();
    for (i, batch) in import.entries.chunks(IMPORT_BATCH).enumerate() {
        let stored = store
            .upsert_directory_entries(batch, now, Effects::none().audit(audit(i, batch.len())))
            .await?;
        counts.inserted += stored.inserted;
        counts.updated += stored.updated;
        counts.kept_official += stored.kept_official;
        progress(i * IMPORT_BATCH + batch.len(), import.entries.len());
    }
    let all = entries(store.directory_entries().await?);
    Ok(Imported {
        read: import.entries.len(),
        counts,
        report: directory::ConflictReport::new(&all, &import.rejected),
    })
}

impl DirectoryIndex {
    /// [`import_listings`], then a rebuild.
    pub async fn import(
        &self,
        source: &str,
        bytes: &[u8],
        now: Timestamp,
        audit: impl Fn(usize, usize) -> store::AuditRecord,
    ) -> Result<Imported, ImportError> {
        let imported = import_listings(&*self.store, source, bytes, now, audit, |_, _| {}).await?;
        self.load().await?;
        Ok(imported)
    }
}
