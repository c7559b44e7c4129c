//! The one SQL implementation of the store traits, over SQLite or PostgreSQL (sqlx's `Any`
//! driver). Queries are written once in the subset both dialects share (`$1` placeholders,
//! `RETURNING`, `ON CONFLICT`); the few places where they differ branch on `Backend`.

mod appointments;
mod audit;
mod cardholders;
mod cards;
mod cases;
mod channels;
mod directory;
mod fraud;
mod idempotency;
mod ivr;
mod notifications;
mod outbox;
mod routing;
mod sessions;
mod tokens;
mod users;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use domain::{Clock, Timestamp};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::migrate::Migrator;
use sqlx::{AnyConnection, AnyPool, Executor, Row};
use tokio::sync::Notify;

use crate::error::{StoreError, StoreResult};
use crate::model::Effects;
use crate::traits::{Backend, Store};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// Storage on SQLite or PostgreSQL.
#[derive(Debug, Clone)]
pub struct SqlStore {
    /// SQLite allows one writer at a time: a single-connection pool makes writers queue in
    /// process instead of failing with SQLITE_BUSY. On PostgreSQL both pools are the same.
    writer: AnyPool,
    reader: AnyPool,
    backend: Backend,
    clock: Arc<dyn Clock>,
    outbox_signal: Arc<Notify>,
}

/// How to open the database.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    pub url: String,
    /// Connections for readers (PostgreSQL: for everything).
    pub max_connections: u32,
}

impl ConnectOptions {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            max_connections: 8,
        }
    }
}

impl SqlStore {
    /// Opens the database named by the URL (`sqlite://PATH`, `sqlite::memory:`, `postgres://…`)
    /// and brings its schema up to date.
    pub async fn connect(options: &ConnectOptions, clock: Arc<dyn Clock>) -> StoreResult<Self> {
        sqlx::any::install_default_drivers();
        let url = options.url.as_str();
        let backend = backend_of(url)?;
        let connect = AnyConnectOptions::from_str(url)?;
        let (writer, reader) = match backend {
            Backend::Sqlite => {
                let writer = sqlite_pool(1).connect_with(connect.clone()).await?;
                // An in-memory database exists once per connection: share the writer.
                let reader = if url.contains(":memory:") || url.contains("mode=memory") {
                    writer.clone()
                } else {
                    sqlite_pool(options.max_connections)
                        .connect_with(connect)
                        .await?
                };
                (writer, reader)
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(options.max_connections)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(connect)
                    .await?;
                (pool.clone(), pool)
            }
        };
        let store = Self {
            writer,
            reader,
            backend,
            clock,
            outbox_signal: Arc::new(Notify::new()),
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Applies pending migrations; applied ones are checked against their recorded checksums.
    pub async fn migrate(&self) -> StoreResult<()> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&self.writer).await?;
        Ok(())
    }

    /// The names of the migrations this build knows, per backend, for the test that keeps the
    /// two folders in step.
    pub fn migration_names(backend: Backend) -> Vec<String> {
        let migrator = match backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator
            .iter()
            .map(|m| format!("{}_{}", m.version, m.description))
            .collect()
    }

    pub async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }

    fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Writes a change's events and audit rows inside the change's transaction.
    async fn write_effects(&self, conn: &mut AnyConnection, effects: Effects) -> StoreResult<()> {
        let now = self.now().as_millisecond();
        let has_events = !effects.events.is_empty();
        for event in effects.events {
            sqlx::query(
                "INSERT INTO outbox (topic, subject, payload, created_at, available_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(event.topic)
            .bind(event.subject)
            .bind(event.payload.to_string())
            .bind(now)
            .bind(event.due_at.map_or(now, |at| at.as_millisecond()))
            .execute(&mut *conn)
            .await?;
        }
        for record in &effects.audit {
            audit::insert(&mut *conn, record).await?;
        }
        if has_events {
            // Woken early is harmless: the dispatcher finds the events once the commit lands.
            self.outbox_signal.notify_one();
        }
        Ok(())
    }
}

fn backend_of(url: &str) -> StoreResult<Backend> {
    if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Backend::Postgres)
    } else {
        Err(StoreError::UnsupportedUrl {
            url: redact_url(url),
        })
    }
}

/// A URL with any password replaced, for messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

fn sqlite_pool(max: u32) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(30))
        // A connection to a local file cannot go stale the way a network one can: no ping
        // (a hand-off to its worker thread) before every query.
        .test_before_acquire(false)
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                conn.execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                )
                .await?;
                Ok(())
            })
        })
}

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> Backend {
        self.backend
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    fn outbox_signal(&self) -> Arc<Notify> {
        self.outbox_signal.clone()
    }
}

/// Typed reads from a row, with unreadable values reported as `Corrupt`.
pub(crate) trait RowExt {
    fn text(&self, col: &str) -> StoreResult<String>;
    fn opt_text(&self, col: &str) -> StoreResult<Option<String>>;
    fn int(&self, col: &str) -> StoreResult<i64>;
    fn opt_int(&self, col: &str) -> StoreResult<Option<i64>>;
    fn flag(&self, col: &str) -> StoreResult<bool> {
        Ok(self.int(col)? != 0)
    }
    fn time(&self, col: &str) -> StoreResult<Timestamp> {
        millis(self.int(col)?)
    }
    fn opt_time(&self, col: &str) -> StoreResult<Option<Timestamp>> {
        self.opt_int(col)?.map(millis).transpose()
    }
    fn parsed<T: FromStr>(&self, col: &str) -> StoreResult<T>
    where
        T::Err: std::fmt::Display,
    {
        let text = self.text(col)?;
        text.parse()
            .map_err(|e| StoreError::Corrupt(format!("column {col}: {e}")))
    }
    fn opt_parsed<T: FromStr>(&self, col: &str) -> StoreResult<Option<T>>
    where
        T::Err: std::fmt::Display,
    {
        self.opt_text(col)?
            .map(|t| {
                t.parse()
                    .map_err(|e| StoreError::Corrupt(format!("column {col}: {e}")))
            })
            .transpose()
    }
    fn json<T: serde::de::DeserializeOwned>(&self, col: &str) -> StoreResult<T> {
        serde_json::from_str(&self.text(col)?)
            .map_err(|e| StoreError::Corrupt(format!("column {col}: {e}")))
    }
}

impl RowExt for AnyRow {
    fn text(&self, col: &str) -> StoreResult<String> {
        Ok(self.try_get::<String, _>(col)?)
    }
    fn opt_text(&self, col: &str) -> StoreResult<Option<String>> {
        Ok(self.try_get::<Option<String>, _>(col)?)
    }
    fn int(&self, col: &str) -> StoreResult<i64> {
        Ok(self.try_get::<i64, _>(col)?)
    }
    fn opt_int(&self, col: &str) -> StoreResult<Option<i64>> {
        Ok(self.try_get::<Option<i64>, _>(col)?)
    }
}

pub(crate) fn millis(ms: i64) -> StoreResult<Timestamp> {
    Timestamp::from_millisecond(ms).map_err(|e| StoreError::Corrupt(format!("instant {ms}: {e}")))
}

/// `text` with the LIKE wildcards escaped by `\\`.
fn like_escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// `%query%` for a case-insensitive LIKE against lower-cased text.
pub(crate) fn like_pattern(query: &str) -> String {
    format!("%{}%", like_escape(&query.to_lowercase()))
}

/// `prefix%` for LIKE.
pub(crate) fn prefix_pattern(prefix: &str) -> String {
    format!("{}%", like_escape(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_pick_the_backend_and_hide_passwords() {
        assert_eq!(backend_of("sqlite://x.db").unwrap(), Backend::Sqlite);
        assert_eq!(backend_of("sqlite::memory:").unwrap(), Backend::Sqlite);
        assert_eq!(backend_of("postgres://u@h/db").unwrap(), Backend::Postgres);
        let err = backend_of("mysql://root:hunter2@h/db")
            .unwrap_err()
            .to_string();
        assert!(err.contains("mysql://root:***@h/db"), "{err}");
        assert!(!err.contains("hunter2"));
    }

    #[test]
    fn both_backends_have_the_same_migrations() {
        assert_eq!(
            SqlStore::migration_names(Backend::Sqlite),
            SqlStore::migration_names(Backend::Postgres)
        );
    }
}
