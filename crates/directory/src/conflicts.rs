//! Where listings disagree: with the official directory, with each other, and with themselves.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::entry::{Coverage, Entry, ServiceLine, Status};
use crate::import::Rejected;
use crate::phone::E164;

/// Everything an import should make a person look at.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct ConflictReport {
    /// A source lists a number for a line the issuer runs under another number.
    pub disagreements_with_official: Vec<OfficialDisagreement>,
    /// Sources list different numbers for the same line.
    pub disagreements_between_sources: Vec<SourceDisagreement>,
    /// One number is listed for different lines (by any source, the issuer included).
    pub numbers_for_several_services: Vec<SharedNumber>,
    /// Numbers that could not be read or placed, with the text and why.
    pub rejected: Vec<Rejected>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OfficialDisagreement {
    pub coverage: Coverage,
    pub service: ServiceLine,
    pub source: String,
    pub listed: E164,
    pub official: Vec<E164>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SourceDisagreement {
    pub coverage: Coverage,
    pub service: ServiceLine,
    pub by_source: Vec<SourceNumbers>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SourceNumbers {
    pub source: String,
    pub numbers: Vec<E164>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SharedNumber {
    pub number: E164,
    pub listings: Vec<ListedAs>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct ListedAs {
    pub source: String,
    pub status: Status,
    pub coverage: Coverage,
    pub service: ServiceLine,
}

type Line = (Coverage, ServiceLine);

impl ConflictReport {
    /// Compares `entries` (the official directory and the third-party listings of any number of
    /// sources; scam reports are left out) and carries along the listings an import rejected.
    pub fn new(entries: &[Entry], rejected: &[Rejected]) -> ConflictReport {
        let line = |e: &Entry| (e.coverage, e.service);
        let official: BTreeMap<Line, BTreeSet<&E164>> = group(
            entries.iter().filter(|e| e.status == Status::Official),
            |e| (line(e), &e.number),
        );
        let third_party: Vec<&Entry> = entries
            .iter()
            .filter(|e| e.status == Status::ThirdParty)
            .collect();

        let mut disagreements_with_official: Vec<OfficialDisagreement> = third_party
            .iter()
            .filter_map(|e| {
                let numbers = official.get(&line(e))?;
                (!numbers.contains(&e.number)).then(|| OfficialDisagreement {
                    coverage: e.coverage,
                    service: e.service,
                    source: e.provenance.source.clone(),
                    listed: e.number.clone(),
                    official: numbers.iter().map(|&n| n.clone()).collect(),
                })
            })
            .collect();
        disagreements_with_official.sort_by(|a, b| {
            (a.coverage, a.service, &a.source, &a.listed)
                .cmp(&(b.coverage, b.service, &b.source, &b.listed))
        });

        let by_line_and_source: BTreeMap<Line, BTreeMap<&str, BTreeSet<&E164>>> =
            group(third_party.iter().copied(), |e| {
                (line(e), (e.provenance.source.as_str(), &e.number))
            })
            .into_iter()
            .map(|(line, listed)| {
                (
                    line,
                    group(listed.into_iter(), |&(source, number)| (source, number)),
                )
            })
            .collect();
        let disagreements_between_sources = by_line_and_source
            .into_iter()
            .filter(|(_, by_source)| {
                let mut sets = by_source.values();
                let first = sets.next();
                by_source.len() > 1 && sets.any(|set| Some(set) != first)
            })
            .map(|((coverage, service), by_source)| SourceDisagreement {
                coverage,
                service,
                by_source: by_source
                    .into_iter()
                    .map(|(source, numbers)| SourceNumbers {
                        source: source.to_owned(),
                        numbers: numbers.into_iter().cloned().collect(),
                    })
                    .collect(),
            })
            .collect();

        let numbers_for_several_services = group(
            entries.iter().filter(|e| e.status != Status::ReportedScam),
            |e| {
                let listed = ListedAs {
                    source: e.provenance.source.clone(),
                    status: e.status,
                    coverage: e.coverage,
                    service: e.service,
                };
                (&e.number, listed)
            },
        )
        .into_iter()
        .filter(|(_, listings)| {
            let services: BTreeSet<ServiceLine> = listings.iter().map(|l| l.service).collect();
            services.len() > 1
        })
        .map(|(number, listings)| SharedNumber {
            number: number.clone(),
            listings: listings.into_iter().collect(),
        })
        .collect();

        ConflictReport {
            disagreements_with_official,
            disagreements_between_sources,
            numbers_for_several_services,
            rejected: rejected.to_vec(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.disagreements_with_official.is_empty()
            && self.disagreements_between_sources.is_empty()
            && self.numbers_for_several_services.is_empty()
            && self.rejected.is_empty()
    }
}

fn group<'a, T: 'a, K: Ord, V: Ord>(
    items: impl Iterator<Item = T>,
    key_value: impl Fn(&T) -> (K, V),
) -> BTreeMap<K, BTreeSet<V>> {
    let mut groups: BTreeMap<K, BTreeSet<V>> = BTreeMap::new();
    for item in items {
        let (key, value) = key_value(&item);
        groups.entry(key).or_default().insert(value);
    }
    groups
}

fn numbers(numbers: &[E164]) -> String {
    numbers
        .iter()
        .map(E164::international_format)
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for ConflictReport {
    /// The report the import command prints.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return writeln!(f, "No conflicts.");
        }
        writeln!(
            f,
            "Numbers that disagree with the official directory ({}):",
            self.disagreements_with_official.len()
        )?;
        for d in &self.disagreements_with_official {
            writeln!(
                f,
                "  {} {}: {} lists {}; official: {}",
                d.coverage,
                d.service,
                d.source,
                d.listed.international_format(),
                numbers(&d.official)
            )?;
        }
        writeln!(
            f,
            "Lines for which sources list different numbers ({}):",
            self.disagreements_between_sources.len()
        )?;
        for d in &self.disagreements_between_sources {
            let by_source: Vec<String> = d
                .by_source
                .iter()
                .map(|s| format!("{}: {}", s.source, numbers(&s.numbers)))
                .collect();
            writeln!(
                f,
                "  {} {}: {}",
                d.coverage,
                d.service,
                by_source.join(" | ")
            )?;
        }
        writeln!(
            f,
            "Numbers listed for different services ({}):",
            self.numbers_for_several_services.len()
        )?;
        for shared in &self.numbers_for_several_services {
            let listings: Vec<String> = shared
                .listings
                .iter()
                .map(|l| format!("{} {} {}", l.source, l.coverage, l.service))
                .collect();
            writeln!(
                f,
                "  {}: {}",
                shared.number.international_format(),
                listings.join("; ")
            )?;
        }
        writeln!(
            f,
            "Numbers that could not be read or placed ({}):",
            self.rejected.len()
        )?;
        for r in &self.rejected {
            writeln!(
                f,
                "  {} line {}: {:?}: {}",
                r.source, r.line, r.number, r.reason
            )?;
            writeln!(f, "    in: {}", r.text)?;
        }
        Ok(())
    }
}
