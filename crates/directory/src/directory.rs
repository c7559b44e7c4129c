//! The in-memory directory: every entry, indexed by every way its number is dialled, so that a
//! number check is a few hash look-ups.
//!
//! How a written number is matched (the check rule):
//! 1. The text is reduced to digits (keypad letters become digits) and an optional leading `+`.
//! 2. With `+`, the digits are the country code and number: only that reading counts.
//! 3. Without `+`, three readings are tried at once: a national number of any country (matched
//!    against each entry's national forms: `0800 151 0900`, `800 151 0900`, `0120-099-818`,
//!    `1-800-…`), a number after an international prefix `00` or `011`, and a country code
//!    written without `+` (`44 20 …`).
//! 4. If readings of different numbers match, the caller's country (the hint) wins, then the
//!    strongest status (official, then reported scam, then third party); the others are returned
//!    as `other_readings`.
//! 5. If nothing matches, the number is read with libphonenumber (the hint's country, else an
//!    international prefix, else each country the directory has numbers in, else a country code
//!    without `+`) and looked up once more in E.164 (this catches unusual written forms); still
//!    nothing is `unknown`, with the normalised number. Text that no country reads as a valid
//!    number is an error that says why.

use std::collections::HashMap;

use domain::Country;

use crate::entry::{Entry, Status};
use crate::phone::{Dialled, E164, PhoneError};

/// Digit strings of up to 17 digits as one integer, leading zeros kept by the length bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct DigitKey(u64);

impl DigitKey {
    const MAX_DIGITS: usize = 17;

    fn new(digits: &str) -> Option<DigitKey> {
        if digits.is_empty() || digits.len() > Self::MAX_DIGITS {
            return None;
        }
        let value = digits.parse::<u64>().ok()?;
        Some(DigitKey((digits.len() as u64) << 57 | value))
    }
}

/// All entries, indexed for checks and look-ups. Build it from the store's entries and rebuild it
/// when they change; it is immutable, so share it behind an `Arc`.
#[derive(Debug, Default)]
pub struct Directory {
    entries: Vec<Entry>,
    /// E.164 digits (country code first) → entries with that number.
    by_number: HashMap<DigitKey, Vec<u32>>,
    /// Each national way of dialling a number → entries with that number.
    by_national: HashMap<DigitKey, Vec<u32>>,
    /// Countries of the entries' numbers, most numbers first: the default regions tried for a
    /// national number that matched nothing.
    regions: Vec<Country>,
}

/// What a number check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Official,
    /// Listed by third parties only.
    ThirdParty,
    ReportedScam,
    Unknown,
}

impl From<Status> for CheckStatus {
    fn from(status: Status) -> Self {
        match status {
            Status::Official => CheckStatus::Official,
            Status::ThirdParty => CheckStatus::ThirdParty,
            Status::ReportedScam => CheckStatus::ReportedScam,
        }
    }
}

/// The answer to "is this number real?" (`GET /api/v1/directory/check`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CheckResponse {
    pub status: CheckStatus,
    /// The number as understood, in E.164.
    pub number: E164,
    /// National format, as people in its country write it.
    pub display: String,
    /// International format, for callers abroad.
    pub international: String,
    pub region: Option<Country>,
    /// Every entry with this number: official first, then scam reports, then third parties.
    pub entries: Vec<Entry>,
    /// Other numbers the text could mean, with what we know of each.
    pub other_readings: Vec<Reading>,
}

/// Another number the checked text could mean.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Reading {
    pub number: E164,
    pub status: CheckStatus,
}

impl Directory {
    pub fn new(entries: Vec<Entry>) -> Directory {
        let mut by_number: HashMap<DigitKey, Vec<u32>> = HashMap::new();
        let mut by_national: HashMap<DigitKey, Vec<u32>> = HashMap::new();
        let mut region_counts: HashMap<Country, usize> = HashMap::new();
        let mut national_forms: HashMap<&E164, Vec<String>> = HashMap::new();
        for (index, entry) in entries.iter().enumerate() {
            let index = index as u32;
            if let Some(key) = DigitKey::new(entry.number.digits()) {
                by_number.entry(key).or_default().push(index);
            }
            let forms = national_forms
                .entry(&entry.number)
                .or_insert_with(|| entry.number.national_digit_forms());
            for key in forms.iter().filter_map(|form| DigitKey::new(form)) {
                by_national.entry(key).or_default().push(index);
            }
            if let Some(region) = entry.number.region() {
                *region_counts.entry(region).or_default() += 1;
            }
        }
        let mut regions: Vec<(Country, usize)> = region_counts.into_iter().collect();
        regions.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        Directory {
            entries,
            by_number,
            by_national,
            regions: regions.into_iter().map(|(region, _)| region).collect(),
        }
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Checks a number written in any form. `region_hint` is the caller's country, if known (the
    /// country picked on the page, or the country of the phone the question comes from): it
    /// decides how a national number is read and which reading wins when several match.
    pub fn check(
        &self,
        input: &str,
        region_hint: Option<Country>,
    ) -> Result<CheckResponse, PhoneError> {
        let dialled = Dialled::read(input)?;
        match self.respond(self.listed_readings(&dialled), Vec::new(), region_hint) {
            Some(response) => Ok(response),
            None => self.check_unlisted(&dialled, region_hint),
        }
    }

    /// Entry indices whose numbers match a reading of the dialled digits, most likely first.
    fn listed_readings(&self, dialled: &Dialled) -> Vec<u32> {
        let digits = dialled.digits();
        let mut keys = Vec::with_capacity(3);
        if dialled.plus {
            keys.push((&self.by_number, digits));
        } else {
            keys.push((&self.by_national, digits));
            if let Some(rest) = dialled.after_international_prefix() {
                keys.push((&self.by_number, rest));
            }
            keys.push((&self.by_number, digits));
        }
        let mut matched: Vec<u32> = Vec::new();
        for (index, digits) in keys {
            let found = DigitKey::new(digits).and_then(|key| index.get(&key));
            for &entry in found.into_iter().flatten() {
                if !matched.contains(&entry) {
                    matched.push(entry);
                }
            }
        }
        matched
    }

    /// The slow path: read the number with libphonenumber, then look it up by E.164.
    fn check_unlisted(
        &self,
        dialled: &Dialled,
        region_hint: Option<Country>,
    ) -> Result<CheckResponse, PhoneError> {
        let readings = self.readings(dialled, region_hint)?;
        let matched: Vec<u32> = readings
            .iter()
            .filter_map(|number| DigitKey::new(number.digits()))
            .filter_map(|key| self.by_number.get(&key))
            .flatten()
            .copied()
            .collect();
        let unlisted: Vec<E164> = readings
            .iter()
            .filter(|number| !matched.iter().any(|&i| self.entry(i).number == **number))
            .cloned()
            .collect();
        if let Some(response) = self.respond(matched, unlisted, region_hint) {
            return Ok(response);
        }
        let mut readings = readings.into_iter();
        let Some(number) = readings.next() else {
            return Err(PhoneError::NeedsCountry);
        };
        Ok(CheckResponse {
            status: CheckStatus::Unknown,
            display: number.national().to_owned(),
            international: number.international_format().to_owned(),
            region: number.region(),
            number,
            entries: Vec::new(),
            other_readings: readings.map(Reading::unknown).collect(),
        })
    }

    /// Valid numbers the dialled digits can mean, most likely first; the reason when none.
    fn readings(
        &self,
        dialled: &Dialled,
        region_hint: Option<Country>,
    ) -> Result<Vec<E164>, PhoneError> {
        if dialled.plus {
            return E164::from_dialled(dialled, None).map(|number| vec![number]);
        }
        let mut attempts = Vec::new();
        if let Some(hint) = region_hint {
            attempts.push(E164::from_dialled(dialled, Some(hint)));
        }
        if dialled.after_international_prefix().is_some() {
            attempts.push(E164::from_dialled(dialled, None));
        }
        if region_hint.is_none() {
            attempts.extend(
                self.regions
                    .iter()
                    .map(|&region| E164::from_dialled(dialled, Some(region)))
                    .filter(Result::is_ok),
            );
        }
        let mut readings: Vec<E164> = Vec::new();
        let mut error = None;
        for attempt in attempts {
            match attempt {
                Ok(number) if !readings.contains(&number) => readings.push(number),
                Ok(_) => {}
                Err(e) => {
                    error.get_or_insert(e);
                }
            }
        }
        if readings.is_empty() {
            // A country code written without `+` (`44 20 7946 0100`).
            readings.extend(E164::international(dialled.digits()).ok());
        }
        if readings.is_empty() {
            return Err(error.unwrap_or(PhoneError::NeedsCountry));
        }
        Ok(readings)
    }

    fn entry(&self, index: u32) -> &Entry {
        &self.entries[index as usize]
    }

    /// Picks the number to answer about among the matched entries' numbers; `None` when nothing
    /// matched.
    fn respond(
        &self,
        matched: Vec<u32>,
        unlisted: Vec<E164>,
        region_hint: Option<Country>,
    ) -> Option<CheckResponse> {
        // Numbers in the order first matched, each with its strongest status.
        let mut numbers: Vec<(&E164, Status)> = Vec::new();
        for &index in &matched {
            let entry = self.entry(index);
            match numbers.iter_mut().find(|(n, _)| **n == entry.number) {
                Some((_, status)) if entry.status.precedence() > status.precedence() => {
                    *status = entry.status
                }
                Some(_) => {}
                None => numbers.push((&entry.number, entry.status)),
            }
        }
        let preference = |(number, status): &(&E164, Status)| {
            let in_hint = region_hint.is_some() && number.region() == region_hint;
            (in_hint, status.precedence())
        };
        // `max_by_key` keeps the last of equals; scan in reverse so the first matched wins ties.
        let (number, status) = numbers
            .iter()
            .rev()
            .max_by_key(|n| preference(n))
            .map(|(number, status)| ((*number).clone(), *status))?;
        let mut entries: Vec<Entry> = matched
            .iter()
            .map(|&i| self.entry(i))
            .filter(|entry| entry.number == number)
            .cloned()
            .collect();
        entries.sort_by_key(|entry| std::cmp::Reverse(entry.status.precedence()));
        let other_readings = numbers
            .iter()
            .filter(|(n, _)| **n != number)
            .map(|(n, status)| Reading {
                number: (*n).clone(),
                status: (*status).into(),
            })
            .chain(unlisted.into_iter().map(Reading::unknown))
            .collect();
        Some(CheckResponse {
            status: status.into(),
            display: number.national().to_owned(),
            international: number.international_format().to_owned(),
            region: number.region(),
            number,
            entries,
            other_readings,
        })
    }
}

impl Reading {
    fn unknown(number: E164) -> Reading {
        Reading {
            number,
            status: CheckStatus::Unknown,
        }
    }
}
