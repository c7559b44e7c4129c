//! The seeds' journeys end to end (issue 12): each test starts the real server on an
//! ephemeral port, runs one journey from the `journeys` crate through the public interfaces,
//! and then checks what was stored. The backend is SQLite unless `HELPLINE_TEST_BACKEND=postgres`.

// Test helpers may panic on what the test did not expect.
#![allow(clippy::unwrap_used)]

use journeys::{Target, Tour};
use server::testkit::TestApp;

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

mod everyday_self_service;
mod formal_complaint;
mod platinum_priority;
mod spanish_at_night;

pub use server::testkit::eventually;
