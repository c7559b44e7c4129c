//! Importing listings: a CSV file (columns in [`csv`]) or a free-text article like the seed
//! documents ([`article`]). Imported entries are always [`Status::ThirdParty`] with the source's
//! name as provenance; only [`official_from_csv`] (the issuer's own file) and the demo directory
//! make official entries.

mod article;
mod csv;
mod words;

pub use self::article::import_article;
pub use self::csv::{COLUMNS, import_csv, official_from_csv};

use std::collections::HashMap;

use crate::entry::{Entry, EntryKey, Provenance};

/// The result of reading one source.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct Import {
    /// One entry per (coverage, service, number), repeated listings merged.
    pub entries: Vec<Entry>,
    /// Listings that could not become entries, with why.
    pub rejected: Vec<Rejected>,
}

/// A listing that could not become an entry.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Rejected {
    pub source: String,
    /// 1-based line of the file.
    pub line: u64,
    /// The number as written.
    pub number: String,
    /// The line it was on (shortened).
    pub text: String,
    pub reason: String,
}

/// A file that cannot be imported at all.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the file is not UTF-8 text: {0}")]
    NotText(#[from] std::str::Utf8Error),
    #[error("the CSV header lacks the column {missing:?}; the columns are: {}", COLUMNS.join(", "))]
    MissingColumn { missing: &'static str },
    #[error("the CSV header has an unknown column {column:?}; the columns are: {}", COLUMNS.join(", "))]
    UnknownColumn { column: String },
    #[error("cannot read the CSV file: {0}")]
    Csv(#[from] ::csv::Error),
}

/// Reads a source file, CSV or article: a file whose first non-comment line is a CSV header
/// naming a `number` column is CSV; anything else is read as an article.
pub fn import_file(provenance: &Provenance, bytes: &[u8]) -> Result<Import, ImportError> {
    let text = std::str::from_utf8(bytes)?;
    let header = text
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty() && !line.starts_with('#'));
    let is_csv = header.is_some_and(|h| {
        h.contains(',')
            && h.split(',').any(|column| {
                column
                    .trim()
                    .trim_matches('"')
                    .eq_ignore_ascii_case("number")
            })
    });
    if is_csv {
        import_csv(provenance, bytes)
    } else {
        Ok(import_article(provenance, text))
    }
}

/// Shortens a line for a report.
fn excerpt(line: &str) -> String {
    const MAX: usize = 160;
    let line = line.trim();
    match line.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_owned(),
    }
}

/// Merges listings of the same (coverage, service, number): a source that repeats a number
/// (a list and then a table) says one thing, with the union of what it says about it.
fn merge(entries: Vec<Entry>) -> Vec<Entry> {
    let mut merged: Vec<Entry> = Vec::new();
    let mut seen: HashMap<EntryKey, usize> = HashMap::new();
    for entry in entries {
        let Some(&at) = seen.get(&entry.key()) else {
            seen.insert(entry.key(), merged.len());
            merged.push(entry);
            continue;
        };
        let kept = &mut merged[at];
        // A listing for every tier and one for some tiers: the line serves every tier.
        if kept.tiers.is_empty() || entry.tiers.is_empty() {
            kept.tiers.clear();
        } else {
            union(&mut kept.tiers, &entry.tiers);
        }
        union(&mut kept.languages, &entry.languages);
        kept.toll_free |= entry.toll_free;
        kept.collect |= entry.collect;
        if kept.hours.is_none() {
            kept.hours = entry.hours;
        }
        if !entry.notes.is_empty() && !kept.notes.contains(&entry.notes) {
            if !kept.notes.is_empty() {
                kept.notes.push_str("; ");
            }
            kept.notes.push_str(&entry.notes);
        }
    }
    merged
}

fn union<T: PartialEq + Copy>(into: &mut Vec<T>, more: &[T]) {
    for item in more {
        if !into.contains(item) {
            into.push(*item);
        }
    }
}
