//! Table tests over real cases; seeds and shared data are read at run time.

mod check;
mod csv;
mod demo;
mod hours;
mod lookup;
mod phone;
mod seeds;

use std::sync::OnceLock;

use domain::Timestamp;

use crate::Directory;
use crate::entry::{Entry, Provenance};

pub(crate) fn at(text: &str) -> Timestamp {
    text.parse().expect("an RFC 3339 instant")
}

pub(crate) fn provenance(source: &str) -> Provenance {
    Provenance {
        source: source.to_owned(),
        asserted_at: at("2026-02-01T00:00:00Z"),
    }
}

/// The demo entries, read once: libphonenumber is slow in unoptimised test builds.
pub(crate) fn demo_entries() -> Vec<Entry> {
    demo_directory().entries().to_vec()
}

pub(crate) fn demo_directory() -> &'static Directory {
    static DIRECTORY: OnceLock<Directory> = OnceLock::new();
    DIRECTORY.get_or_init(|| Directory::new(crate::demo::entries()))
}
