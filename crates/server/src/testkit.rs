//! Test support: the real server on an ephemeral port, on a fresh database.
//! The backend is SQLite unless `HELPLINE_TEST_BACKEND=postgres` (then `HELPLINE_TEST_PG_URL`
//! names the server, and each app gets a scratch database that is dropped afterwards).

use std::net::SocketAddr;
use std::sync::Arc;

use domain::{Clock, SystemClock};
use store::conformance::ScratchPostgres;
use store::{ConnectOptions, SqlStore, Store};
use tokio_util::sync::CancellationToken;

use crate::config::Settings;
use crate::secrets::Secrets;
use crate::state::AppState;

pub struct TestApp {
    pub url: String,
    pub addr: SocketAddr,
    pub state: AppState,
    pub store: Arc<dyn Store>,
    pub data_dir: tempfile::TempDir,
    shutdown: CancellationToken,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    scratch: Option<ScratchPostgres>,
}

pub struct Options {
    pub demo: bool,
    pub clock: Arc<dyn Clock>,
    pub settings: Settings,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            demo: true,
            clock: Arc::new(SystemClock),
            settings: Settings::default(),
        }
    }
}

impl TestApp {
    /// The demo issuer on SQLite (or PostgreSQL, see the module docs), real clock.
    pub async fn spawn() -> TestApp {
        Self::spawn_with(Options::default()).await
    }

    pub async fn spawn_with(options: Options) -> TestApp {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let mut settings = options.settings;
        settings.data_dir = data_dir.path().to_owned();
        let mut scratch = None;
        settings.database_url = match std::env::var("HELPLINE_TEST_BACKEND").as_deref() {
            Ok("postgres") => {
                let admin = std::env::var("HELPLINE_TEST_PG_URL")
                    .expect("HELPLINE_TEST_BACKEND=postgres needs HELPLINE_TEST_PG_URL");
                let db = ScratchPostgres::create(&admin).await;
                let url = db.url.clone();
                scratch = Some(db);
                url
            }
            _ => format!(
                "sqlite://{}?mode=rwc",
                data_dir.path().join("helpline.sqlite").display()
            ),
        };
        let store = SqlStore::connect(
            &ConnectOptions::new(settings.database_url.clone()),
            options.clock.clone(),
        )
        .await
        .expect("open the test database");
        if options.demo {
            crate::demo::seed(&store, options.clock.now())
                .await
                .expect("seed the demo");
        }
        Self::start(
            settings,
            store,
            options.clock,
            options.demo,
            data_dir,
            scratch,
        )
        .await
    }

    async fn start(
        mut settings: Settings,
        store: SqlStore,
        clock: Arc<dyn Clock>,
        demo: bool,
        data_dir: tempfile::TempDir,
        scratch: Option<ScratchPostgres>,
    ) -> TestApp {
        let (secrets, _) =
            Secrets::load_or_create(&data_dir.path().join("secrets.toml")).expect("secrets");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        settings.server.addr = addr;
        settings.server.public_url = format!("http://{addr}");
        let store: Arc<dyn Store> = Arc::new(store);
        let state = crate::build_state(crate::Parts {
            settings,
            store: store.clone(),
            clock,
            secrets,
            demo,
        })
        .expect("state");
        let shutdown = CancellationToken::new();
        let server = tokio::spawn(crate::launch(state.clone(), listener, shutdown.clone()));
        TestApp {
            url: format!("http://{addr}"),
            addr,
            state,
            store,
            data_dir,
            shutdown,
            server: Some(server),
            scratch,
        }
    }

    /// Stops the server and starts a new one (new state, new port) on the same database, as
    /// an operator's restart would.
    pub async fn restart(mut self) -> TestApp {
        self.shutdown.cancel();
        if let Some(server) = self.server.take() {
            server
                .await
                .expect("server task")
                .expect("server stopped cleanly");
        }
        let settings = self.state.settings.clone();
        let clock = self.state.clock.clone();
        let store = SqlStore::connect(
            &ConnectOptions::new(settings.database_url.clone()),
            clock.clone(),
        )
        .await
        .expect("reopen the test database");
        let data_dir =
            std::mem::replace(&mut self.data_dir, tempfile::tempdir().expect("temp dir"));
        let demo = self.state.demo;
        let scratch = self.scratch.take();
        Self::start(settings, store, clock, demo, data_dir, scratch).await
    }

    /// The SQLite database files (the database, its WAL and shared memory) as they are on
    /// disk now, read while the server runs; `None` on PostgreSQL, whose files are elsewhere.
    pub fn sqlite_files(&self) -> Option<Vec<(std::path::PathBuf, Vec<u8>)>> {
        if self.scratch.is_some() {
            return None;
        }
        let mut files = Vec::new();
        for entry in std::fs::read_dir(self.data_dir.path()).expect("the data directory") {
            let path = entry.expect("a directory entry").path();
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            if name.starts_with("helpline.sqlite") {
                let bytes = std::fs::read(&path).expect("a database file");
                files.push((path, bytes));
            }
        }
        Some(files)
    }

    /// A client that keeps cookies, like a browser.
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .expect("client")
    }

    /// A client signed in as staff, with its CSRF token.
    pub async fn staff_client(&self, email: &str) -> (reqwest::Client, String) {
        self.signed_in("/api/v1/auth/login", email).await
    }

    /// A client signed in to the portal, with its CSRF token.
    pub async fn cardholder_client(&self, email: &str) -> (reqwest::Client, String) {
        self.signed_in("/api/v1/portal/login", email).await
    }

    async fn signed_in(&self, path: &str, email: &str) -> (reqwest::Client, String) {
        let client = self.client();
        let response = client
            .post(format!("{}{path}", self.url))
            .json(&serde_json::json!({"email": email, "password": crate::demo::DEMO_PASSWORD}))
            .send()
            .await
            .expect("sign in");
        assert_eq!(response.status(), 200, "sign-in as {email} failed");
        let me: serde_json::Value = response.json().await.expect("me");
        let csrf = me["csrf_token"].as_str().expect("csrf token").to_owned();
        (client, csrf)
    }

    /// A bearer token with `role`.
    pub async fn token(&self, role: domain::Role) -> String {
        crate::api::admin::issue_token(&self.state, "test", role, None, None)
            .await
            .expect("token")
            .1
    }

    /// Stops the server, letting in-flight requests finish, and drops a scratch database.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(server) = self.server.take() {
            server
                .await
                .expect("server task")
                .expect("server stopped cleanly");
        }
        if let Some(db) = self.scratch.take() {
            db.drop_database().await;
        }
    }
}

/// Polls `check` until it holds, for up to 10 s, for work the server does in the background
/// (the outbox dispatcher, a call's task).
pub async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    for _ in 0..200 {
        if check().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}
