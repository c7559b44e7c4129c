//! "Find the right number": the best official line for a country, reason, tier and language, at
//! a given instant.
//!
//! Ranking (only official lines of the country are candidates; a line restricted to other tiers
//! is never offered):
//! - reason match: the line for the reason (3), the sibling urgent line (lost/stolen ↔ fraud, 2),
//!   the general line (1); other lines are not candidates;
//! - tier match: a line that names the caller's tier (2) over a line for every tier (1);
//! - language match: a line that speaks the asked language (1);
//! - open now.
//!
//! For urgent reasons (lost/stolen, fraud) a line that answers now beats everything else, and
//! when no line of the country is open, the open global collect line becomes `line`. For other
//! reasons the best match is `line` even when closed (with `next_open`), and `alternatives`
//! lists the others, open ones first. Ties go to toll-free lines, then to the lower number.
//! `fallback` is the global (or the country's own) international collect line; it becomes `line`
//! when the country has no candidate line.

use std::cmp::Reverse;

use domain::{Country, Lang, Reason, Tier, Timestamp};

use crate::directory::Directory;
use crate::entry::{Coverage, Entry, ServiceLine, Status};
use crate::hours::Hours;
use crate::phone::{E164, PhoneError};

/// How many alternatives a look-up returns at most.
const MAX_ALTERNATIVES: usize = 4;

/// Where the caller is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    Country(Country),
    /// The caller's own phone number in international form (`+81 3 …`, `0081 3 …`, as caller
    /// ID gives it): its country stands in for the country.
    CallerNumber(String),
}

/// A look-up: `GET /api/v1/directory/lookup?country=CC&reason=R&tier=T&lang=L`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupQuery {
    pub place: Place,
    pub reason: Reason,
    pub tier: Option<Tier>,
    pub lang: Option<Lang>,
    /// The instant "open now" refers to (the server's clock).
    pub at: Timestamp,
}

/// Why a look-up could not be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    #[error("cannot read the caller's number: {0}")]
    CallerNumber(#[source] PhoneError),
    #[error("the caller's number {0} belongs to no single country; give the country instead")]
    NoCountryForNumber(E164),
}

/// Why `line` is the line it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Choice {
    /// The best-ranked line of the country.
    BestMatch,
    /// The reason is urgent and no line of the country is open now: the collect line is.
    FallbackWhileClosed,
    /// The country has no line for this reason and tier.
    FallbackNoLine,
    /// Neither the country nor the world has a line: `line` is empty.
    NoLine,
}

/// One line as the API shows it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LineView {
    /// E.164.
    pub number: E164,
    /// National format.
    pub display: String,
    /// International format, for calls from abroad.
    pub international: String,
    pub coverage: Coverage,
    pub service: ServiceLine,
    pub tiers: Vec<Tier>,
    pub languages: Vec<Lang>,
    pub hours: Option<Hours>,
    /// `24/7`, or the weekly windows with their zone: `Mon-Fri 09:00-18:00 (Asia/Tokyo)`.
    pub hours_text: String,
    pub toll_free: bool,
    pub collect: bool,
    pub notes: String,
    pub open_now: bool,
    pub next_open: Option<Timestamp>,
    /// `next_open` in the line's zone, RFC 9557 (`2026-03-09T09:00:00+09:00[Asia/Tokyo]`).
    pub next_open_local: Option<String>,
}

/// The answer to a look-up.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LookupResponse {
    pub country: Country,
    pub reason: Reason,
    pub service: ServiceLine,
    pub choice: Choice,
    pub line: Option<LineView>,
    pub open_now: bool,
    pub next_open: Option<Timestamp>,
    pub alternatives: Vec<LineView>,
    pub fallback: Option<LineView>,
}

/// A candidate line and its rank; larger is better.
struct Ranked<'a> {
    entry: &'a Entry,
    open: bool,
    relevance: u8,
    tier: u8,
    lang: u8,
}

impl Ranked<'_> {
    fn match_key(&self) -> (u8, u8, u8) {
        (self.relevance, self.tier, self.lang)
    }

    fn tie_break(&self) -> (bool, Reverse<&E164>) {
        (self.entry.toll_free, Reverse(&self.entry.number))
    }
}

impl Directory {
    pub fn lookup(&self, query: &LookupQuery) -> Result<LookupResponse, LookupError> {
        let country = match &query.place {
            Place::Country(country) => *country,
            Place::CallerNumber(text) => {
                let number = E164::parse(text, None).map_err(LookupError::CallerNumber)?;
                number
                    .region()
                    .ok_or(LookupError::NoCountryForNumber(number))?
            }
        };
        let service = ServiceLine::for_reason(query.reason);
        let urgent = query.reason.is_urgent();
        let at = query.at;

        let mut candidates: Vec<Ranked<'_>> = self
            .official_lines(query.tier)
            .filter(|e| e.coverage == Coverage::Country(country))
            .filter_map(|entry| {
                let relevance = relevance(service, entry.service)?;
                Some(rank(entry, relevance, query))
            })
            .collect();
        candidates.sort_by(|a, b| {
            let order = if urgent {
                (a.open, a.match_key()).cmp(&(b.open, b.match_key()))
            } else {
                (a.match_key(), a.open).cmp(&(b.match_key(), b.open))
            };
            order
                .then_with(|| a.tie_break().cmp(&b.tie_break()))
                .reverse()
        });

        let fallback = self
            .official_lines(query.tier)
            .filter(|e| e.service == ServiceLine::InternationalCollect)
            .filter(|e| e.coverage == Coverage::Global || e.coverage == Coverage::Country(country))
            .map(|entry| rank(entry, 0, query))
            .max_by(|a, b| {
                (a.open, a.match_key(), a.tie_break()).cmp(&(b.open, b.match_key(), b.tie_break()))
            });
        let fallback_open = fallback.as_ref().is_some_and(|f| f.open);

        let (choice, line, rest) = match candidates.split_first() {
            None if fallback.is_some() => (Choice::FallbackNoLine, fallback.as_ref(), &[][..]),
            None => (Choice::NoLine, None, &[][..]),
            Some((best, _)) if urgent && !best.open && fallback_open => (
                Choice::FallbackWhileClosed,
                fallback.as_ref(),
                &candidates[..],
            ),
            Some((best, rest)) => (Choice::BestMatch, Some(best), rest),
        };
        let mut alternatives: Vec<&Ranked<'_>> = rest.iter().collect();
        // Stable: open lines first, each group still in rank order.
        alternatives.sort_by_key(|r| Reverse(r.open));
        let line = line.map(|r| view(r.entry, at));
        Ok(LookupResponse {
            country,
            reason: query.reason,
            service,
            choice,
            open_now: line.as_ref().is_some_and(|l| l.open_now),
            next_open: line.as_ref().and_then(|l| l.next_open),
            line,
            alternatives: alternatives
                .into_iter()
                .take(MAX_ALTERNATIVES)
                .map(|r| view(r.entry, at))
                .collect(),
            fallback: fallback.map(|r| view(r.entry, at)),
        })
    }

    /// Official lines a cardholder of `tier` may call (every line when the tier is unknown).
    fn official_lines(&self, tier: Option<Tier>) -> impl Iterator<Item = &Entry> {
        self.entries()
            .iter()
            .filter(|e| e.status == Status::Official)
            .filter(move |e| tier.is_none_or(|t| e.serves(t)))
    }
}

/// How well a line of kind `line` serves a caller who needs `wanted`; `None`: not at all.
fn relevance(wanted: ServiceLine, line: ServiceLine) -> Option<u8> {
    use ServiceLine::{Fraud, General, InternationalCollect, LostStolen};
    match (wanted, line) {
        (_, InternationalCollect) => None,
        (w, l) if w == l => Some(3),
        (LostStolen, Fraud) | (Fraud, LostStolen) => Some(2),
        (_, General) => Some(1),
        _ => None,
    }
}

fn rank<'a>(entry: &'a Entry, relevance: u8, query: &LookupQuery) -> Ranked<'a> {
    let tier = match query.tier {
        Some(tier) if entry.tiers.contains(&tier) => 2,
        _ if entry.tiers.is_empty() => 1,
        _ => 0,
    };
    Ranked {
        entry,
        open: entry.hours.as_ref().is_some_and(|h| h.open_now(query.at)),
        relevance,
        tier,
        lang: u8::from(query.lang.is_some_and(|l| entry.languages.contains(&l))),
    }
}

fn view(entry: &Entry, at: Timestamp) -> LineView {
    let hours = entry.hours.as_ref();
    let next_open = hours.and_then(|h| h.next_open(at));
    let next_open_local = next_open.and_then(|instant| {
        let zone = hours?.zone()?;
        Some(
            instant
                .to_zoned_datetime(zone.time_zone().clone())
                .to_string(),
        )
    });
    LineView {
        number: entry.number.clone(),
        display: entry.number.national().to_owned(),
        international: entry.number.international_format().to_owned(),
        coverage: entry.coverage,
        service: entry.service,
        tiers: entry.tiers.clone(),
        languages: entry.languages.clone(),
        hours: entry.hours.clone(),
        hours_text: match hours {
            None => "not stated".to_owned(),
            Some(Hours::Always) => "24/7".to_owned(),
            Some(weekly @ Hours::Weekly { zone, .. }) => format!("{weekly} ({zone})"),
        },
        toll_free: entry.toll_free,
        collect: entry.collect,
        notes: entry.notes.clone(),
        open_now: hours.is_some_and(|h| h.open_now(at)),
        next_open,
        next_open_local,
    }
}
