//! Opening hours of a line: weekly ranges in the line's time zone.

use domain::Timestamp;
use jiff::tz::TimeZone;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HoursError {
    #[error("unknown time zone {0:?}; use an IANA name such as \"America/New_York\"")]
    TimeZone(String),
    #[error(
        "opening hours {0:?} are not `DAYS HH:MM-HH:MM`; write e.g. \"mon-fri 08:00-20:00\" or \"sat,sun 10:00-16:00\""
    )]
    Syntax(String),
    #[error("unknown day {0:?}; use mon, tue, wed, thu, fri, sat, sun or daily")]
    Day(String),
    #[error("time {0:?} is not HH:MM between 00:00 and 24:00")]
    Time(String),
}

/// When a line is open.
#[derive(Debug, Clone, PartialEq)]
pub struct Hours {
    time_zone: TimeZone,
    ranges: Vec<Range>,
}

/// Open on `days` (Monday first) from `start` to `end`, in minutes after midnight;
/// an `end` not after `start` runs past midnight into the next day.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Range {
    days: [bool; 7],
    start: u16,
    end: u16,
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl Hours {
    pub fn parse(time_zone: &str, open: &[&str]) -> Result<Self, HoursError> {
        let tz =
            TimeZone::get(time_zone).map_err(|_| HoursError::TimeZone(time_zone.to_owned()))?;
        let ranges = open
            .iter()
            .map(|text| parse_range(text))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            time_zone: tz,
            ranges,
        })
    }

    pub fn is_open(&self, now: Timestamp) -> bool {
        let local = now.to_zoned_datetime(self.time_zone.clone());
        let today = usize::from(local.weekday().to_monday_zero_offset().unsigned_abs());
        let yesterday = (today + 6) % 7;
        let minute = u16::try_from(i32::from(local.hour()) * 60 + i32::from(local.minute()))
            .unwrap_or_default();
        self.ranges.iter().any(|r| {
            if r.start < r.end {
                r.days[today] && (r.start..r.end).contains(&minute)
            } else {
                (r.days[today] && minute >= r.start) || (r.days[yesterday] && minute < r.end)
            }
        })
    }
}

fn parse_range(text: &str) -> Result<Range, HoursError> {
    let syntax = || HoursError::Syntax(text.to_owned());
    let (days, times) = text.trim().split_once(' ').ok_or_else(syntax)?;
    let (start, end) = times.trim().split_once('-').ok_or_else(syntax)?;
    Ok(Range {
        days: parse_days(days)?,
        start: parse_time(start)?,
        end: parse_time(end)?,
    })
}

fn parse_days(text: &str) -> Result<[bool; 7], HoursError> {
    let mut days = [false; 7];
    let index = |name: &str| {
        DAYS.iter()
            .position(|d| d.eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| HoursError::Day(name.trim().to_owned()))
    };
    for part in text.split(',') {
        if part.trim().eq_ignore_ascii_case("daily") {
            days = [true; 7];
            continue;
        }
        match part.split_once('-') {
            Some((from, to)) => {
                let (from, to) = (index(from)?, index(to)?);
                // A range may wrap past Sunday: "fri-mon".
                let mut day = from;
                loop {
                    days[day] = true;
                    if day == to {
                        break;
                    }
                    day = (day + 1) % 7;
                }
            }
            None => days[index(part)?] = true,
        }
    }
    Ok(days)
}

fn parse_time(text: &str) -> Result<u16, HoursError> {
    let bad = || HoursError::Time(text.trim().to_owned());
    let (h, m) = text.trim().split_once(':').ok_or_else(bad)?;
    let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    let minutes = h * 60 + m;
    if m >= 60 || minutes > 24 * 60 {
        return Err(bad());
    }
    Ok(minutes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn weekday_ranges_follow_the_time_zone() {
        let hours = Hours::parse("America/New_York", &["mon-fri 08:00-20:00"]).unwrap();
        // Monday 2026-03-02 09:00 in New York is 14:00 UTC.
        assert!(hours.is_open(at("2026-03-02T14:00:00Z")));
        // 07:59 local.
        assert!(!hours.is_open(at("2026-03-02T12:59:00Z")));
        // Saturday.
        assert!(!hours.is_open(at("2026-03-07T15:00:00Z")));
    }

    #[test]
    fn overnight_ranges_and_day_lists() {
        let hours = Hours::parse("UTC", &["fri-sat 22:00-02:00", "sun 00:00-24:00"]).unwrap();
        assert!(hours.is_open(at("2026-03-06T23:00:00Z"))); // Friday night
        assert!(hours.is_open(at("2026-03-07T01:00:00Z"))); // early Saturday
        assert!(hours.is_open(at("2026-03-08T23:59:00Z"))); // Sunday
        assert!(!hours.is_open(at("2026-03-09T01:00:00Z"))); // early Monday
        let always = Hours::parse("UTC", &["daily 00:00-24:00"]).unwrap();
        assert!(always.is_open(at("2026-03-04T03:00:00Z")));
    }

    #[test]
    fn mistakes_say_how_to_write_hours() {
        assert_eq!(
            Hours::parse("Mars/Olympus", &[]).unwrap_err(),
            HoursError::TimeZone("Mars/Olympus".into())
        );
        assert!(matches!(
            Hours::parse("UTC", &["weekdays 08:00-20:00"]),
            Err(HoursError::Day(_))
        ));
        assert!(matches!(
            Hours::parse("UTC", &["mon 8-20"]),
            Err(HoursError::Time(_))
        ));
        assert!(matches!(
            Hours::parse("UTC", &["mon"]),
            Err(HoursError::Syntax(_))
        ));
    }
}
