//! The official directory of the fictional demo issuer, "Example Card Co." (24 countries and
//! two worldwide lines; every number fictional, see the comments at the top of
//! `data/demo_directory.csv`).

use domain::Timestamp;

use crate::entry::{Entry, Provenance};
use crate::import::official_from_csv;

/// The provenance source of every demo entry.
pub const SOURCE: &str = "Example Card Co.";

/// When the demo issuer asserted its directory: 2026-01-01T00:00:00Z.
pub const ASSERTED_AT: Timestamp = Timestamp::constant(1_767_225_600, 0);

const CSV: &str = include_str!("../data/demo_directory.csv");

/// The demo directory's official entries. The embedded file is checked by the tests: every row
/// becomes an entry.
pub fn entries() -> Vec<Entry> {
    let provenance = Provenance {
        source: SOURCE.to_owned(),
        asserted_at: ASSERTED_AT,
    };
    official_from_csv(&provenance, CSV.as_bytes())
        .map(|import| import.entries)
        .unwrap_or_default()
}

#[cfg(test)]
pub(crate) fn csv() -> &'static str {
    CSV
}
