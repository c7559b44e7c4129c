//! The CSV column set. A header row names the columns, in any order, case-insensitively; lines
//! starting with `#` are comments; cells are trimmed.
//!
//! | column      | required | content |
//! |-------------|----------|---------|
//! | `country`   | yes | ISO 3166-1 alpha-2 code (`JP`), an English country name, or `global` |
//! | `service`   | yes | `general`, `lost_stolen`, `fraud`, `billing`, `business`, `travel`, `rewards`, `roadside`, `activation`, `international_collect` |
//! | `number`    | yes | any written form; national forms are read in `country` |
//! | `tiers`     | no  | tier names separated by `,` `;` or spaces (`platinum;centurion`); empty: every tier |
//! | `languages` | no  | codes or English names (`en;es`, `English, Spanish`) |
//! | `hours`     | no  | `24/7`, or windows such as `Mon-Fri 09:00-17:00; Sat 10:00-14:00`; empty: not stated |
//! | `time_zone` | with weekly hours | IANA zone the hours are read in (`Asia/Tokyo`) |
//! | `toll_free` | no  | `yes`/`no`; empty: from the number's type |
//! | `collect`   | no  | `yes`/`no`; empty: yes for `international_collect` lines |
//! | `notes`     | no  | free text |

use std::io::Read;

use domain::{Lang, Tier};

use super::{Import, ImportError, Rejected, excerpt, merge, words};
use crate::entry::{Coverage, Entry, Provenance, ServiceLine, Status};
use crate::hours::Hours;
use crate::phone::E164;

/// The column names, in the order this documentation lists them.
pub const COLUMNS: &[&str] = &[
    "country",
    "service",
    "number",
    "tiers",
    "languages",
    "hours",
    "time_zone",
    "toll_free",
    "collect",
    "notes",
];
const REQUIRED: &[&str] = &["country", "service", "number"];

/// Reads third-party listings from CSV: every entry is [`Status::ThirdParty`].
pub fn import_csv(provenance: &Provenance, reader: impl Read) -> Result<Import, ImportError> {
    read(provenance, Status::ThirdParty, reader)
}

/// Reads the issuer's own directory file: every entry is [`Status::Official`]. For the admin's
/// directory load only, never for listings found elsewhere.
pub fn official_from_csv(
    provenance: &Provenance,
    reader: impl Read,
) -> Result<Import, ImportError> {
    read(provenance, Status::Official, reader)
}

fn read(provenance: &Provenance, status: Status, reader: impl Read) -> Result<Import, ImportError> {
    let mut csv = ::csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .trim(::csv::Trim::All)
        .from_reader(reader);
    let header = csv.headers()?.clone();
    let mut positions = [None; COLUMNS.len()];
    for (at, name) in header.iter().enumerate() {
        let column = COLUMNS
            .iter()
            .position(|c| c.eq_ignore_ascii_case(name))
            .ok_or_else(|| ImportError::UnknownColumn {
                column: name.to_owned(),
            })?;
        positions[column] = Some(at);
    }
    if let Some(missing) = REQUIRED.iter().find(|name| {
        COLUMNS
            .iter()
            .position(|c| c == *name)
            .and_then(|i| positions[i])
            .is_none()
    }) {
        return Err(ImportError::MissingColumn { missing });
    }

    let mut import = Import::default();
    let mut entries = Vec::new();
    for record in csv.records() {
        let record = record?;
        let cell = |name: &str| {
            COLUMNS
                .iter()
                .position(|c| *c == name)
                .and_then(|i| positions[i])
                .and_then(|at| record.get(at))
                .unwrap_or("")
        };
        let row = Row {
            country: cell("country"),
            service: cell("service"),
            number: cell("number"),
            tiers: cell("tiers"),
            languages: cell("languages"),
            hours: cell("hours"),
            time_zone: cell("time_zone"),
            toll_free: cell("toll_free"),
            collect: cell("collect"),
            notes: cell("notes"),
        };
        match row.entry(provenance, status) {
            Ok(entry) => entries.push(entry),
            Err(reason) => import.rejected.push(Rejected {
                source: provenance.source.clone(),
                line: record.position().map_or(0, |p| p.line()),
                number: row.number.to_owned(),
                text: excerpt(&record.iter().collect::<Vec<_>>().join(",")),
                reason,
            }),
        }
    }
    import.entries = merge(entries);
    Ok(import)
}

struct Row<'a> {
    country: &'a str,
    service: &'a str,
    number: &'a str,
    tiers: &'a str,
    languages: &'a str,
    hours: &'a str,
    time_zone: &'a str,
    toll_free: &'a str,
    collect: &'a str,
    notes: &'a str,
}

impl Row<'_> {
    fn entry(&self, provenance: &Provenance, status: Status) -> Result<Entry, String> {
        let coverage = Coverage::parse(self.country).or_else(|error| {
            words::country_in(self.country)
                .map(Coverage::Country)
                .ok_or_else(|| error.to_string())
        })?;
        let service: ServiceLine = self
            .service
            .parse()
            .map_err(|e: domain::ParseError| e.to_string())?;
        let number = E164::parse(self.number, coverage.country()).map_err(|e| e.to_string())?;
        let tiers = list::<Tier>(self.tiers)?;
        let languages = list::<Lang>(self.languages)?;
        let hours = match self.hours {
            "" => None,
            text => Some(Hours::parse(text, Some(self.time_zone)).map_err(|e| e.to_string())?),
        };
        let toll_free = flag(self.toll_free, "toll_free")?.unwrap_or_else(|| number.is_toll_free());
        let collect =
            flag(self.collect, "collect")?.unwrap_or(service == ServiceLine::InternationalCollect);
        Ok(Entry {
            coverage,
            service,
            tiers,
            number,
            toll_free,
            collect,
            languages,
            hours,
            notes: self.notes.to_owned(),
            provenance: provenance.clone(),
            status,
        })
    }
}

fn list<T: std::str::FromStr<Err = domain::ParseError> + PartialEq>(
    text: &str,
) -> Result<Vec<T>, String> {
    let mut items = Vec::new();
    for word in text.split([',', ';', ' ', '|']).filter(|w| !w.is_empty()) {
        let item = word.parse::<T>().map_err(|e| e.to_string())?;
        if !items.contains(&item) {
            items.push(item);
        }
    }
    Ok(items)
}

fn flag(text: &str, column: &str) -> Result<Option<bool>, String> {
    match text.to_ascii_lowercase().as_str() {
        "" => Ok(None),
        "yes" | "y" | "true" | "1" => Ok(Some(true)),
        "no" | "n" | "false" | "0" => Ok(Some(false)),
        other => Err(format!("{column} must be yes or no, not {other:?}")),
    }
}
