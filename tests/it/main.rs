//! Integration tests: the real server on an ephemeral port, spoken to over HTTP (and through
//! headless Chromium). One test binary, one module per area.

// Test helpers may panic on what the test did not expect.
#![allow(clippy::unwrap_used)]

mod api_errors;
mod appointments;
mod auth;
pub mod browser;
mod cards;
mod case_pages;
mod cases;
mod channels;
mod chat;
mod cli;
mod directory;
mod fraud;
mod intent;
mod ivr;
mod notify;
mod operations;
mod pages;
mod routing;
mod sip;
mod voice;

pub use server::testkit::eventually;
