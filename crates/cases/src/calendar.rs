//! Business days in a time zone, for deadlines such as "acknowledge within 5 business days".

use std::collections::BTreeSet;

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan};

/// `ts + duration`, saturating at the ends of time instead of failing.
pub(crate) fn add(ts: Timestamp, duration: SignedDuration) -> Timestamp {
    ts.saturating_add(duration)
        .unwrap_or(if duration.is_negative() {
            Timestamp::MIN
        } else {
            Timestamp::MAX
        })
}

/// Loads a zone from the bundled IANA database, falling back to UTC (never fails at run time:
/// the names passed are constants checked by tests).
pub(crate) fn zone(name: &str) -> TimeZone {
    TimeZone::get(name).unwrap_or(TimeZone::UTC)
}

/// Monday to Friday, minus holidays, in one time zone.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BusinessCalendar {
    /// IANA zone whose dates count, e.g. `America/New_York`.
    #[serde(with = "jiff::fmt::serde::tz::required")]
    pub zone: TimeZone,
    /// Dates that are not business days even on a weekday.
    #[serde(default)]
    pub holidays: BTreeSet<Date>,
}

impl Default for BusinessCalendar {
    fn default() -> Self {
        Self {
            zone: zone("America/New_York"),
            holidays: BTreeSet::new(),
        }
    }
}

impl BusinessCalendar {
    pub fn is_business_day(&self, date: Date) -> bool {
        !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
            && !self.holidays.contains(&date)
    }

    /// The end (midnight after) of the `days`-th business day after the day `from` falls on,
    /// in the calendar's zone. Received on a Tuesday, 5 business days ends at the midnight that
    /// starts the next Wednesday.
    pub fn end_of_business_days_after(&self, from: Timestamp, days: u16) -> Timestamp {
        let mut date = self.zone.to_datetime(from).date();
        let mut counted = 0;
        while counted < days {
            date = date.tomorrow().unwrap_or(date);
            if date == Date::MAX {
                break;
            }
            if self.is_business_day(date) {
                counted += 1;
            }
        }
        let midnight_after = date.tomorrow().unwrap_or(date).at(0, 0, 0, 0);
        self.zone
            .to_timestamp(midnight_after)
            .unwrap_or(Timestamp::MAX)
    }

    /// The same local time `days` calendar days later (DST-correct).
    pub fn calendar_days_after(&self, from: Timestamp, days: u16) -> Timestamp {
        from.to_zoned_datetime(self.zone.clone())
            .checked_add(i64::from(days).days())
            .map(|z| z.timestamp())
            .unwrap_or(Timestamp::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn business_days_skip_weekends_and_holidays() {
        let mut calendar = BusinessCalendar::default();
        // Tuesday 2026-03-03 10:00 New York.
        let received = ts("2026-03-03T15:00:00Z");
        // Wed, Thu, Fri, Mon, Tue → ends at the midnight starting Wed 2026-03-11 (EDT from 03-08).
        assert_eq!(
            calendar.end_of_business_days_after(received, 5),
            ts("2026-03-11T04:00:00Z")
        );
        calendar.holidays.insert(date(2026, 3, 6));
        assert_eq!(
            calendar.end_of_business_days_after(received, 5),
            ts("2026-03-12T04:00:00Z")
        );
        // Received on a Saturday: counting starts Monday.
        let saturday = ts("2026-03-07T15:00:00Z");
        assert_eq!(
            calendar.end_of_business_days_after(saturday, 1),
            ts("2026-03-10T04:00:00Z")
        );
    }

    #[test]
    fn calendar_days_keep_local_time_across_dst() {
        let calendar = BusinessCalendar::default();
        let received = ts("2026-03-01T15:00:00Z"); // 10:00 EST
        let due = calendar.calendar_days_after(received, 56);
        assert_eq!(due, ts("2026-04-26T14:00:00Z")); // 10:00 EDT
    }

    #[test]
    fn calendar_round_trips_through_json() {
        let mut calendar = BusinessCalendar::default();
        calendar.holidays.insert(date(2026, 12, 25));
        let json = serde_json::to_string(&calendar).unwrap();
        assert_eq!(
            json,
            r#"{"zone":"America/New_York","holidays":["2026-12-25"]}"#
        );
        let back: BusinessCalendar = serde_json::from_str(&json).unwrap();
        assert_eq!(back, calendar);
    }
}
