//! Integration tests of the IVR crate: one binary, one module per concern.

// Helpers outside #[test] functions unwrap too: a failure is a failed test.
#![allow(clippy::unwrap_used)]

mod calls;
mod menus;
mod nodes;
mod properties;
mod support;
mod telephony;
mod validator;
