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
