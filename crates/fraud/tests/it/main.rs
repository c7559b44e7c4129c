//! Integration tests of the fraud engine: one binary, one module per area.

// Fixtures and helpers outside `#[test]` functions panic on bad test data, like the tests.
#![allow(clippy::unwrap_used)]

mod fixtures;
mod replay;
mod signals;
