//! The seeds' journeys end to end (issue 12): each test starts the real server on an
//! ephemeral port, runs one journey from the `journeys` crate through the public interfaces,
//! and then checks what was stored. The backend is SQLite unless `HELPLINE_TEST_BACKEND=postgres`.

// Test helpers may panic on what the test did not expect.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use domain::FakeClock;
use journeys::{Target, Tour};
use server::testkit::{Options, TestApp};

/// The demo on a fresh server whose clock stands at `at` (RFC 3339), and that clock.
pub async fn app_at(at: &str) -> (TestApp, Arc<FakeClock>) {
    let clock = Arc::new(FakeClock::new(at.parse().unwrap()));
    let app = TestApp::spawn_with(Options {
        clock: clock.clone(),
        ..Options::default()
    })
    .await;
    (app, clock)
}

/// A tour against `app` that keeps its steps quiet (a failure names the step).
pub fn tour(app: &TestApp) -> Tour {
    Tour::new(
        Target {
            url: app.url.clone(),
            twiml_auth_token: app.state.secrets.twiml_auth_token.clone(),
        },
        |_| {},
    )
}

mod charge_not_recognised;
mod lost_card_abroad;
mod scam_call;
mod tour;
mod was_this_you;

/// The stored card, reported stolen with a replacement, and the replacement.
pub async fn stolen_and_replaced(
    app: &TestApp,
    card: &str,
) -> (store::CardRecord, store::CardRecord) {
    let old = app
        .store
        .card_by_id(card.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    let cards::CardState::Stolen {
        replacement: Some(replacement),
        ..
    } = &old.card.state
    else {
        panic!("reported stolen with a replacement: {:?}", old.card.state);
    };
    let new = app
        .store
        .card_by_id(replacement.card_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(new.card.cardholder_id, old.card.cardholder_id);
    (old, new)
}
mod everyday_self_service;
mod formal_complaint;
mod platinum_priority;
mod spanish_at_night;

pub use server::testkit::eventually;
