//! The routing crate's integration tests, in one binary.
// Helpers outside `#[test]` functions unwrap too: here a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

mod erlang_c;
mod invariants;
