//! The conformance suite on every backend this machine can run.

use std::sync::Arc;

use store::conformance::{ScratchPostgres, as_clock, run_all, test_clock};
use store::{CardholderStore, ConnectOptions, SqlStore, Store};

#[tokio::test]
async fn sqlite_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("helpline.sqlite").display()
    );
    let clock = test_clock();
    let store = SqlStore::connect(&ConnectOptions::new(url.clone()), as_clock(&clock))
        .await
        .expect("open");
    run_all(Arc::new(store.clone()) as Arc<dyn Store>, clock.clone()).await;
    store.close().await;
    // Reopening applies no migration twice and finds the data.
    let again = SqlStore::connect(&ConnectOptions::new(url), as_clock(&clock))
        .await
        .expect("reopen");
    assert!(again.count_cardholders().await.expect("count") >= 2);
}

#[tokio::test]
async fn sqlite_memory() {
    let clock = test_clock();
    let store = SqlStore::connect(&ConnectOptions::new("sqlite::memory:"), as_clock(&clock))
        .await
        .expect("open");
    run_all(Arc::new(store), clock).await;
}

/// Runs when `HELPLINE_TEST_PG_URL` names a PostgreSQL server (CI always sets it).
#[tokio::test]
async fn postgres() {
    let Ok(admin_url) = std::env::var("HELPLINE_TEST_PG_URL") else {
        eprintln!("HELPLINE_TEST_PG_URL is not set: skipping the PostgreSQL conformance run");
        return;
    };
    let scratch = ScratchPostgres::create(&admin_url).await;
    let clock = test_clock();
    let store = SqlStore::connect(&ConnectOptions::new(scratch.url.clone()), as_clock(&clock))
        .await
        .expect("open");
    run_all(Arc::new(store.clone()), clock.clone()).await;
    store.close().await;
    let again = SqlStore::connect(&ConnectOptions::new(scratch.url.clone()), as_clock(&clock))
        .await
        .expect("reopen");
    again.close().await;
    scratch.drop_database().await;
}
