//! Opening hours of a line: 24/7, or weekly windows read in the line's IANA time zone.
//!
//! A window is civil time ("Mon 09:00–17:00 in Europe/London"), so it follows daylight saving
//! time: it opens at 09:00 local whatever the UTC offset is that day. A window whose closing time
//! is not after its opening time runs past midnight into the next day (`Fri 22:00-06:00` is
//! Friday 22:00 to Saturday 06:00; `00:00-24:00` is the whole day).

use std::fmt;

use jiff::civil::{Date, Time, Weekday};
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{Timestamp, ToSpan};

/// When a line answers.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Hours {
    /// Around the clock, every day.
    Always,
    /// In these weekly windows, read in `zone`.
    Weekly { zone: Zone, windows: Vec<Window> },
}

/// One opening window on one day of the week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Window {
    pub day: Day,
    pub opens: Time,
    /// Not after `opens`: the window ends on the next day.
    pub closes: Time,
}

/// A day of the week, written `mon` … `sun`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Day {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

/// An IANA time zone (`Asia/Tokyo`), checked against the bundled tz database.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Zone {
    name: Box<str>,
    tz: TimeZone,
}

/// Hours written in a way we cannot read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HoursError {
    #[error(
        "unknown time zone {0:?}; use an IANA name such as America/New_York, Europe/London or Asia/Tokyo"
    )]
    UnknownZone(String),
    #[error("hours {0:?} need a time zone (an IANA name such as Europe/London)")]
    MissingZone(String),
    #[error(
        "cannot read hours {text:?}: {why}; write \"24/7\" or windows such as \"Mon-Fri 09:00-17:00; Sat 10:00-14:00\""
    )]
    Syntax { text: String, why: String },
}

const DAYS: [(Day, &str, Weekday); 7] = [
    (Day::Mon, "Mon", Weekday::Monday),
    (Day::Tue, "Tue", Weekday::Tuesday),
    (Day::Wed, "Wed", Weekday::Wednesday),
    (Day::Thu, "Thu", Weekday::Thursday),
    (Day::Fri, "Fri", Weekday::Friday),
    (Day::Sat, "Sat", Weekday::Saturday),
    (Day::Sun, "Sun", Weekday::Sunday),
];

impl Day {
    fn index(self) -> usize {
        self as usize
    }

    fn name(self) -> &'static str {
        DAYS[self.index()].1
    }

    fn weekday(self) -> Weekday {
        DAYS[self.index()].2
    }

    fn from_weekday(weekday: Weekday) -> Day {
        DAYS[weekday.to_monday_zero_offset() as usize].0
    }

    fn next(self) -> Day {
        DAYS[(self.index() + 1) % 7].0
    }

    fn parse(text: &str) -> Option<Day> {
        let text = text.trim();
        DAYS.iter()
            .find(|(_, name, weekday)| {
                text.eq_ignore_ascii_case(name)
                    || text.eq_ignore_ascii_case(&format!("{weekday:?}"))
            })
            .map(|row| row.0)
    }
}

impl Zone {
    pub fn get(name: &str) -> Result<Zone, HoursError> {
        let tz =
            TimeZone::get(name.trim()).map_err(|_| HoursError::UnknownZone(name.to_owned()))?;
        Ok(Zone {
            name: name.trim().into(),
            tz,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn time_zone(&self) -> &TimeZone {
        &self.tz
    }
}

impl PartialEq for Zone {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for Zone {}

impl fmt::Debug for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl TryFrom<String> for Zone {
    type Error = HoursError;
    fn try_from(name: String) -> Result<Self, Self::Error> {
        Zone::get(&name)
    }
}

impl From<Zone> for String {
    fn from(zone: Zone) -> Self {
        zone.name.into()
    }
}

impl Window {
    fn spans_midnight(&self) -> bool {
        self.closes <= self.opens
    }

    fn covers(&self, day: Day, time: Time) -> bool {
        if self.spans_midnight() {
            (day == self.day && time >= self.opens)
                || (day == self.day.next() && time < self.closes)
        } else {
            day == self.day && self.opens <= time && time < self.closes
        }
    }
}

impl Hours {
    /// Reads `24/7` (also "24 hours", "always") or windows such as
    /// `Mon-Fri 09:00-17:00; Sat 10:00-14:00` (`daily` means every day, `24:00` midnight),
    /// read in the IANA zone `zone`.
    pub fn parse(text: &str, zone: Option<&str>) -> Result<Hours, HoursError> {
        let trimmed = text.trim();
        if ["24/7", "24x7", "24 hours", "always"]
            .iter()
            .any(|always| trimmed.eq_ignore_ascii_case(always))
        {
            return Ok(Hours::Always);
        }
        let zone = match zone.map(str::trim).filter(|z| !z.is_empty()) {
            Some(name) => Zone::get(name)?,
            None => return Err(HoursError::MissingZone(trimmed.to_owned())),
        };
        let syntax = |why: &str| HoursError::Syntax {
            text: trimmed.to_owned(),
            why: why.to_owned(),
        };
        let mut windows = Vec::new();
        for group in trimmed.split(';').map(str::trim).filter(|g| !g.is_empty()) {
            let (days, times) = group.split_once(char::is_whitespace).ok_or_else(|| {
                syntax("each group needs days and times, as in \"Mon-Fri 09:00-17:00\"")
            })?;
            let days = parse_days(days).ok_or_else(|| syntax(&format!("unknown days {days:?}")))?;
            for range in times.split(',').map(str::trim) {
                let (opens, closes) = range
                    .split_once('-')
                    .and_then(|(a, b)| Some((parse_time(a)?, parse_time(b)?)))
                    .ok_or_else(|| syntax(&format!("times {range:?} are not HH:MM-HH:MM")))?;
                windows.extend(days.iter().map(|&day| Window { day, opens, closes }));
            }
        }
        if windows.is_empty() {
            return Err(syntax("no opening windows"));
        }
        // One order whatever the text's, so that equal schedules compare equal.
        windows.sort_by_key(|w| (w.day, w.opens, w.closes));
        windows.dedup();
        Ok(Hours::Weekly { zone, windows })
    }

    /// The zone the hours are read in (none for 24/7).
    pub fn zone(&self) -> Option<&Zone> {
        match self {
            Hours::Always => None,
            Hours::Weekly { zone, .. } => Some(zone),
        }
    }

    /// Whether the line answers at `at`.
    pub fn open_now(&self, at: Timestamp) -> bool {
        match self {
            Hours::Always => true,
            Hours::Weekly { zone, windows } => {
                let local = zone.tz.to_datetime(at);
                let day = Day::from_weekday(local.weekday());
                windows.iter().any(|w| w.covers(day, local.time()))
            }
        }
    }

    /// When the line next opens after `at`, if it is closed at `at` (`None` when it is open, or
    /// has no windows at all).
    pub fn next_open(&self, at: Timestamp) -> Option<Timestamp> {
        let Hours::Weekly { zone, windows } = self else {
            return None;
        };
        if self.open_now(at) {
            return None;
        }
        let today = zone.tz.to_datetime(at).date();
        // Every window opens within a week of any instant; one more day covers DST shifts.
        (0..=7i32)
            .filter_map(|offset| today.checked_add(offset.days()).ok())
            .flat_map(|date| {
                windows
                    .iter()
                    .filter(move |w| w.day.weekday() == date.weekday())
                    .flat_map(move |w| opening_instants(&zone.tz, date, w.opens))
            })
            .filter(|&start| start > at)
            .min()
    }
}

/// The instants at which civil time `opens` on `date` begins in `tz`: usually one; two when a
/// DST fall-back repeats that hour; and, when a spring-forward gap skips it, the end of the gap
/// (the first instant whose local time is past `opens`).
fn opening_instants(tz: &TimeZone, date: Date, opens: Time) -> Vec<Timestamp> {
    let ambiguous = tz.to_ambiguous_timestamp(date.to_datetime(opens));
    match ambiguous.offset() {
        AmbiguousOffset::Unambiguous { .. } => ambiguous.compatible().ok().into_iter().collect(),
        AmbiguousOffset::Fold { .. } => [ambiguous.earlier(), ambiguous.later()]
            .into_iter()
            .filter_map(Result::ok)
            .collect(),
        AmbiguousOffset::Gap { .. } => ambiguous
            .earlier()
            .ok()
            .and_then(|before_gap| tz.following(before_gap).next())
            .map(|transition| transition.timestamp())
            .into_iter()
            .collect(),
    }
}

fn parse_days(text: &str) -> Option<Vec<Day>> {
    if text.eq_ignore_ascii_case("daily") {
        return Some(DAYS.iter().map(|row| row.0).collect());
    }
    let mut days = Vec::new();
    for part in text.split(',') {
        match part.split_once('-') {
            Some((from, to)) => {
                let (mut day, last) = (Day::parse(from)?, Day::parse(to)?);
                days.push(day);
                while day != last {
                    day = day.next();
                    days.push(day);
                }
            }
            None => days.push(Day::parse(part)?),
        }
    }
    Some(days)
}

fn parse_time(text: &str) -> Option<Time> {
    let text = text.trim();
    if text == "24:00" {
        return Some(Time::midnight());
    }
    let (h, m) = text.split_once(':')?;
    let (h, m) = (h.parse::<i8>().ok()?, m.parse::<i8>().ok()?);
    Time::new(h, m, 0, 0).ok()
}

/// Opening and closing times of one day, sorted.
type Times = Vec<(Time, Time)>;

impl fmt::Display for Hours {
    /// The same text [`Hours::parse`] reads, days with equal times grouped: `Mon-Fri 09:00-17:00;
    /// Sat 10:00-14:00`. The zone is not part of the text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Hours::Weekly { windows, .. } = self else {
            return f.write_str("24/7");
        };
        let mut groups: Vec<(Vec<Day>, Times)> = Vec::new();
        for (day, _, _) in DAYS {
            let mut times: Times = windows
                .iter()
                .filter(|w| w.day == day)
                .map(|w| (w.opens, w.closes))
                .collect();
            if times.is_empty() {
                continue;
            }
            times.sort();
            match groups.last_mut() {
                Some((days, t)) if *t == times && days.last().map(|d| d.next()) == Some(day) => {
                    days.push(day)
                }
                _ => groups.push((vec![day], times)),
            }
        }
        let text: Vec<String> = groups
            .iter()
            .map(|(days, times)| {
                let days = match days.as_slice() {
                    [one] => one.name().to_owned(),
                    all if all.len() == 7 => "daily".to_owned(),
                    [first, .., last] => format!("{}-{}", first.name(), last.name()),
                    [] => String::new(),
                };
                let times: Vec<String> = times
                    .iter()
                    .map(|(o, c)| format!("{}-{}", o.strftime("%H:%M"), c.strftime("%H:%M")))
                    .collect();
                format!("{days} {}", times.join(","))
            })
            .collect();
        f.write_str(&text.join("; "))
    }
}
