//! In-person appointments at service centres: opening hours in the centre's own time zone,
//! holidays, fixed-length slots, who may book, and the booking, rescheduling and cancelling
//! rules. Each bookable seat of a slot has a [`SlotKey`]; the store keeps active bookings unique
//! on it, which makes double booking impossible even under concurrent requests.

use std::collections::BTreeSet;
use std::fmt;

use domain::{CardholderId, CaseId, Tier};
use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use crate::calendar::{add, zone};

/// Longest date range one slot listing may cover.
const MAX_LISTING_DAYS: i64 = 92;

/// A short stable name for a centre: `nyc`, `la`, `chicago`.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct CentreId(String);

impl CentreId {
    pub fn parse(id: &str) -> Result<Self, AppointmentError> {
        let valid = (1..=32).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if valid {
            Ok(CentreId(id.to_owned()))
        } else {
            Err(AppointmentError::BadCentreId(id.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CentreId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for CentreId {
    type Error = AppointmentError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        CentreId::parse(&s)
    }
}

impl From<CentreId> for String {
    fn from(id: CentreId) -> Self {
        id.0
    }
}

/// One opening period of a day, local time (`closes` after `opens`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Period {
    pub opens: Time,
    pub closes: Time,
}

/// Opening periods per weekday; a missing day is closed.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WeeklyHours {
    pub monday: Vec<Period>,
    pub tuesday: Vec<Period>,
    pub wednesday: Vec<Period>,
    pub thursday: Vec<Period>,
    pub friday: Vec<Period>,
    pub saturday: Vec<Period>,
    pub sunday: Vec<Period>,
}

impl WeeklyHours {
    pub fn on(&self, day: Weekday) -> &[Period] {
        match day {
            Weekday::Monday => &self.monday,
            Weekday::Tuesday => &self.tuesday,
            Weekday::Wednesday => &self.wednesday,
            Weekday::Thursday => &self.thursday,
            Weekday::Friday => &self.friday,
            Weekday::Saturday => &self.saturday,
            Weekday::Sunday => &self.sunday,
        }
    }

    /// The same periods Monday to Friday.
    pub fn weekdays(periods: &[Period]) -> Self {
        Self {
            monday: periods.to_vec(),
            tuesday: periods.to_vec(),
            wednesday: periods.to_vec(),
            thursday: periods.to_vec(),
            friday: periods.to_vec(),
            ..Self::default()
        }
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceCentre {
    pub id: CentreId,
    pub name: String,
    pub address: String,
    #[serde(with = "jiff::fmt::serde::tz::required")]
    pub zone: TimeZone,
    pub hours: WeeklyHours,
    #[serde(default)]
    pub holidays: BTreeSet<Date>,
    pub slot_minutes: u16,
    /// Advisors, i.e. appointments that can share one slot.
    pub seats: u8,
}

/// One bookable time at a centre.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Slot {
    pub centre: CentreId,
    pub start: Timestamp,
    pub end: Timestamp,
    /// The start as the centre's clocks show it, for display.
    pub local_start: DateTime,
}

/// The unique key of one seat of one slot: `nyc/2026-03-02T14:00:00Z/1`.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct SlotKey(pub String);

impl Slot {
    pub fn key(&self, seat: u8) -> SlotKey {
        SlotKey(format!("{}/{}/{}", self.centre, self.start, seat))
    }
}

impl ServiceCentre {
    /// Every slot from `from` to `to` (inclusive, local dates), whatever the time now.
    pub fn slots(&self, from: Date, to: Date) -> Result<Vec<Slot>, AppointmentError> {
        let days = to.duration_since(from).as_hours() / 24;
        if !(0..MAX_LISTING_DAYS).contains(&days) {
            return Err(AppointmentError::BadRange {
                from,
                to,
                max_days: MAX_LISTING_DAYS,
            });
        }
        let length = SignedDuration::from_mins(i64::from(self.slot_minutes.max(5)));
        let mut slots = Vec::new();
        let mut date = from;
        while date <= to {
            if !self.holidays.contains(&date) {
                for period in self.hours.on(date.weekday()) {
                    self.fill_period(date, period, length, &mut slots);
                }
            }
            match date.tomorrow() {
                Ok(next) => date = next,
                Err(_) => break,
            }
        }
        Ok(slots)
    }

    fn fill_period(
        &self,
        date: Date,
        period: &Period,
        length: SignedDuration,
        slots: &mut Vec<Slot>,
    ) {
        let mut local = date.to_datetime(period.opens);
        let closes = date.to_datetime(period.closes);
        while let Ok(local_end) = local.checked_add(length)
            && local_end <= closes
        {
            // A time skipped by a DST change resolves to the later instant; skip duplicates.
            if let (Ok(start), Ok(end)) = (
                self.zone.to_timestamp(local),
                self.zone.to_timestamp(local_end),
            ) && slots.last().is_none_or(|s: &Slot| s.start < start)
            {
                slots.push(Slot {
                    centre: self.id.clone(),
                    start,
                    end,
                    local_start: local,
                });
            }
            local = local_end;
        }
    }

    /// The slot starting exactly at `start`, if the centre is open then.
    pub fn slot_at(&self, start: Timestamp) -> Option<Slot> {
        let date = self.zone.to_datetime(start).date();
        self.slots(date, date)
            .ok()?
            .into_iter()
            .find(|s| s.start == start)
    }
}

/// Who books, reschedules or cancels: agents may book at short notice and cancel late.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Booker {
    Cardholder,
    Agent,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AppointmentRules {
    pub eligible_tiers: Vec<Tier>,
    /// A cardholder books at least this long ahead (default 2 h).
    #[serde(serialize_with = "jiff::fmt::serde::duration::friendly::compact::required")]
    pub min_notice: SignedDuration,
    /// And at most this many days ahead (default 60).
    pub max_advance_days: u16,
    /// A cardholder cannot cancel or move an appointment later than this before it (default 2 h).
    #[serde(serialize_with = "jiff::fmt::serde::duration::friendly::compact::required")]
    pub change_cutoff: SignedDuration,
    /// Reminders this long before the start (default 24 h and 2 h).
    pub reminders_before: Vec<SignedDuration>,
}

impl Default for AppointmentRules {
    fn default() -> Self {
        Self {
            eligible_tiers: vec![Tier::Platinum, Tier::Centurion],
            min_notice: SignedDuration::from_hours(2),
            max_advance_days: 60,
            change_cutoff: SignedDuration::from_hours(2),
            reminders_before: vec![
                SignedDuration::from_hours(24),
                SignedDuration::from_hours(2),
            ],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppointmentStatus {
    Booked,
    Cancelled,
}

/// A booking (the store adds its id and keeps `key` unique among booked appointments).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Appointment {
    pub key: SlotKey,
    pub centre: CentreId,
    pub cardholder: CardholderId,
    pub case: Option<CaseId>,
    pub start: Timestamp,
    pub end: Timestamp,
    pub status: AppointmentStatus,
    pub booked_at: Timestamp,
}

/// For the outbox: confirmations, change notices and reminders.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AppointmentEvent {
    Booked {
        key: SlotKey,
        start: Timestamp,
    },
    Rescheduled {
        from: SlotKey,
        to: SlotKey,
        start: Timestamp,
    },
    Cancelled {
        key: SlotKey,
        by: Booker,
    },
    ReminderDue {
        key: SlotKey,
        start: Timestamp,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AppointmentError {
    #[error("{0:?} is not a centre id (1 to 32 lowercase letters, digits or '-')")]
    BadCentreId(String),
    #[error("appointments at a service centre are for {eligible} cardholders; this card is {tier}")]
    NotEligible { tier: Tier, eligible: String },
    #[error(
        "the range {from} to {to} is not valid; list at most {max_days} days, start before end"
    )]
    BadRange { from: Date, to: Date, max_days: i64 },
    #[error(
        "there is no slot at {start} at {centre}: the centre is closed then or the time is not a slot start; pick one from the current list"
    )]
    NoSuchSlot { centre: CentreId, start: Timestamp },
    #[error("the slot at {start} has passed or starts too soon; book at least {notice:#} ahead")]
    TooSoon {
        start: Timestamp,
        notice: SignedDuration,
    },
    #[error("the slot at {start} is too far ahead; book at most {days} days ahead")]
    TooFarAhead { start: Timestamp, days: u16 },
    #[error("the slot at {start} is fully booked; pick another time")]
    SlotFull { start: Timestamp },
    #[error(
        "the appointment at {start} can no longer be changed online (less than {cutoff:#} before); call us"
    )]
    PastCutoff {
        start: Timestamp,
        cutoff: SignedDuration,
    },
    #[error("the appointment was already cancelled")]
    AlreadyCancelled,
}

impl AppointmentRules {
    pub fn check_eligible(&self, tier: Tier) -> Result<(), AppointmentError> {
        if self.eligible_tiers.contains(&tier) {
            Ok(())
        } else {
            Err(AppointmentError::NotEligible {
                tier,
                eligible: self
                    .eligible_tiers
                    .iter()
                    .map(|t| t.as_str())
                    .collect::<Vec<_>>()
                    .join(" and "),
            })
        }
    }

    fn check_timing(
        &self,
        start: Timestamp,
        now: Timestamp,
        booker: Booker,
    ) -> Result<(), AppointmentError> {
        let notice = match booker {
            Booker::Cardholder => self.min_notice,
            Booker::Agent => SignedDuration::ZERO,
        };
        if start < add(now, notice) || start <= now {
            return Err(AppointmentError::TooSoon { start, notice });
        }
        let horizon = SignedDuration::from_hours(24 * i64::from(self.max_advance_days));
        if start > add(now, horizon) {
            return Err(AppointmentError::TooFarAhead {
                start,
                days: self.max_advance_days,
            });
        }
        Ok(())
    }

    /// The slots a booker may pick from `from` to `to` at `now`.
    pub fn bookable_slots(
        &self,
        centre: &ServiceCentre,
        from: Date,
        to: Date,
        now: Timestamp,
        booker: Booker,
    ) -> Result<Vec<Slot>, AppointmentError> {
        Ok(centre
            .slots(from, to)?
            .into_iter()
            .filter(|s| self.check_timing(s.start, now, booker).is_ok())
            .collect())
    }

    /// Checks a booking and picks the first free seat. `taken` holds the keys of booked
    /// appointments in that slot (the store's current view). Insert the appointment with a
    /// unique key: if the insert conflicts, someone was faster; call again with a fresh `taken`.
    pub fn book(
        &self,
        centre: &ServiceCentre,
        tier: Tier,
        start: Timestamp,
        taken: &[SlotKey],
        now: Timestamp,
        booker: Booker,
    ) -> Result<(Slot, SlotKey), AppointmentError> {
        self.check_eligible(tier)?;
        let slot = centre
            .slot_at(start)
            .ok_or_else(|| AppointmentError::NoSuchSlot {
                centre: centre.id.clone(),
                start,
            })?;
        self.check_timing(start, now, booker)?;
        let key = (1..=centre.seats)
            .map(|seat| slot.key(seat))
            .find(|key| !taken.contains(key))
            .ok_or(AppointmentError::SlotFull { start })?;
        Ok((slot, key))
    }

    /// Whether `booker` may still cancel or move `appointment` at `now`.
    pub fn check_change(
        &self,
        appointment: &Appointment,
        now: Timestamp,
        booker: Booker,
    ) -> Result<(), AppointmentError> {
        if appointment.status == AppointmentStatus::Cancelled {
            return Err(AppointmentError::AlreadyCancelled);
        }
        let cutoff = match booker {
            Booker::Cardholder => self.change_cutoff,
            Booker::Agent => SignedDuration::ZERO,
        };
        if now
            > appointment
                .start
                .saturating_sub(cutoff)
                .unwrap_or(appointment.start)
        {
            return Err(AppointmentError::PastCutoff {
                start: appointment.start,
                cutoff,
            });
        }
        Ok(())
    }

    /// When to send reminders for an appointment (only those still ahead when it was booked).
    pub fn reminder_times(&self, appointment: &Appointment) -> Vec<Timestamp> {
        let mut times: Vec<Timestamp> = self
            .reminders_before
            .iter()
            .filter_map(|before| appointment.start.saturating_sub(*before).ok())
            .filter(|at| *at > appointment.booked_at)
            .collect();
        times.sort();
        times.dedup();
        times
    }
}

fn hours(opens: (i8, i8), closes: (i8, i8)) -> Period {
    let time = |(h, m): (i8, i8)| Time::new(h, m, 0, 0).unwrap_or(Time::MIN);
    Period {
        opens: time(opens),
        closes: time(closes),
    }
}

/// US federal holidays (observed dates) for 2026 and 2027.
fn us_holidays() -> BTreeSet<Date> {
    [
        (2026, 1, 1),
        (2026, 1, 19),
        (2026, 2, 16),
        (2026, 5, 25),
        (2026, 6, 19),
        (2026, 7, 3),
        (2026, 9, 7),
        (2026, 10, 12),
        (2026, 11, 11),
        (2026, 11, 26),
        (2026, 12, 25),
        (2027, 1, 1),
        (2027, 1, 18),
        (2027, 2, 15),
        (2027, 5, 31),
        (2027, 6, 18),
        (2027, 7, 5),
        (2027, 9, 6),
        (2027, 10, 11),
        (2027, 11, 11),
        (2027, 11, 25),
        (2027, 12, 24),
    ]
    .into_iter()
    .filter_map(|(y, m, d)| Date::new(y, m, d).ok())
    .collect()
}

/// The demo issuer's centres: New York, Los Angeles and Chicago, 30-minute slots.
pub fn demo_centres() -> Vec<ServiceCentre> {
    let centre =
        |id: &str, name: &str, address: &str, tz: &str, week: WeeklyHours, seats| ServiceCentre {
            id: CentreId(id.to_owned()),
            name: name.to_owned(),
            address: address.to_owned(),
            zone: zone(tz),
            hours: week,
            holidays: us_holidays(),
            slot_minutes: 30,
            seats,
        };
    let new_york = WeeklyHours {
        saturday: vec![hours((10, 0), (14, 0))],
        ..WeeklyHours::weekdays(&[hours((9, 0), (12, 30)), hours((13, 30), (18, 0))])
    };
    vec![
        centre(
            "nyc",
            "New York",
            "Example Card Co. Service Centre, New York, NY",
            "America/New_York",
            new_york,
            3,
        ),
        centre(
            "la",
            "Los Angeles",
            "Example Card Co. Service Centre, Los Angeles, CA",
            "America/Los_Angeles",
            WeeklyHours::weekdays(&[hours((9, 0), (17, 0))]),
            2,
        ),
        centre(
            "chicago",
            "Chicago",
            "Example Card Co. Service Centre, Chicago, IL",
            "America/Chicago",
            WeeklyHours::weekdays(&[hours((8, 30), (16, 30))]),
            2,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn centre(id: &str) -> ServiceCentre {
        demo_centres()
            .into_iter()
            .find(|c| c.id.as_str() == id)
            .unwrap()
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn demo_centres_use_real_zones_and_weekday_holidays() {
        for c in demo_centres() {
            assert!(
                c.zone
                    .iana_name()
                    .is_some_and(|n| n.starts_with("America/")),
                "{}",
                c.id
            );
            for holiday in &c.holidays {
                assert!(
                    !matches!(holiday.weekday(), Weekday::Saturday | Weekday::Sunday),
                    "{holiday}"
                );
            }
        }
        let json = serde_json::to_string(&centre("la")).unwrap();
        let back: ServiceCentre = serde_json::from_str(&json).unwrap();
        assert_eq!(back, centre("la"));
    }

    #[test]
    fn slots_follow_local_hours() {
        let nyc = centre("nyc");
        // Monday 2026-03-02: 09:00–12:30 (7 slots) and 13:30–18:00 (9 slots), EST = UTC−5.
        let monday = nyc.slots(date(2026, 3, 2), date(2026, 3, 2)).unwrap();
        assert_eq!(monday.len(), 16);
        assert_eq!(monday[0].start, ts("2026-03-02T14:00:00Z"));
        assert_eq!(
            monday[0].key(1),
            SlotKey("nyc/2026-03-02T14:00:00Z/1".into())
        );
        assert_eq!(monday[7].local_start.time(), Time::constant(13, 30, 0, 0));
        // Saturday: 10:00–14:00; Sunday closed.
        assert_eq!(
            nyc.slots(date(2026, 3, 7), date(2026, 3, 8)).unwrap().len(),
            8
        );
        // After the switch to EDT (2026-03-08) the same local time is an hour earlier in UTC.
        let after = nyc.slots(date(2026, 3, 9), date(2026, 3, 9)).unwrap();
        assert_eq!(after[0].start, ts("2026-03-09T13:00:00Z"));
        let la = centre("la")
            .slots(date(2026, 3, 2), date(2026, 3, 2))
            .unwrap();
        assert_eq!(la[0].start, ts("2026-03-02T17:00:00Z"));
        assert_eq!(la.len(), 16);
    }

    #[test]
    fn holidays_and_weekends_have_no_slots() {
        let chicago = centre("chicago");
        assert!(
            chicago
                .slots(date(2026, 11, 26), date(2026, 11, 26))
                .unwrap()
                .is_empty()
        );
        assert!(
            chicago
                .slots(date(2026, 3, 7), date(2026, 3, 8))
                .unwrap()
                .is_empty()
        );
        assert!(chicago.slots(date(2026, 1, 1), date(2026, 6, 1)).is_err());
        assert!(chicago.slots(date(2026, 1, 2), date(2026, 1, 1)).is_err());
    }

    #[test]
    fn only_premium_tiers_book() {
        let rules = AppointmentRules::default();
        let nyc = centre("nyc");
        let now = ts("2026-03-01T12:00:00Z");
        let start = ts("2026-03-02T14:00:00Z");
        let err = rules
            .book(&nyc, Tier::Gold, start, &[], now, Booker::Cardholder)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "appointments at a service centre are for platinum and centurion cardholders; this card is gold"
        );
        let (slot, key) = rules
            .book(&nyc, Tier::Centurion, start, &[], now, Booker::Cardholder)
            .unwrap();
        assert_eq!(slot.start, start);
        assert_eq!(key, slot.key(1));
    }

    #[test]
    fn seats_fill_up_then_the_slot_is_full() {
        let rules = AppointmentRules::default();
        let nyc = centre("nyc");
        let now = ts("2026-03-01T12:00:00Z");
        let start = ts("2026-03-02T14:00:00Z");
        let mut taken = Vec::new();
        for _ in 0..nyc.seats {
            let (_, key) = rules
                .book(&nyc, Tier::Platinum, start, &taken, now, Booker::Cardholder)
                .unwrap();
            assert!(!taken.contains(&key));
            taken.push(key);
        }
        let err = rules
            .book(&nyc, Tier::Platinum, start, &taken, now, Booker::Cardholder)
            .unwrap_err();
        assert_eq!(err, AppointmentError::SlotFull { start });
    }

    #[test]
    fn bookings_respect_time_rules() {
        let rules = AppointmentRules::default();
        let nyc = centre("nyc");
        let start = ts("2026-03-02T14:00:00Z");
        let book = |now: &str, start, booker| {
            rules.book(&nyc, Tier::Platinum, start, &[], ts(now), booker)
        };
        assert!(matches!(
            book("2026-03-02T15:00:00Z", start, Booker::Agent),
            Err(AppointmentError::TooSoon { .. })
        ));
        assert!(matches!(
            book("2026-03-02T13:00:00Z", start, Booker::Cardholder),
            Err(AppointmentError::TooSoon { .. })
        ));
        assert!(book("2026-03-02T13:00:00Z", start, Booker::Agent).is_ok());
        assert!(matches!(
            book("2025-12-01T13:00:00Z", start, Booker::Cardholder),
            Err(AppointmentError::TooFarAhead { .. })
        ));
        let off_grid = ts("2026-03-02T14:10:00Z");
        assert!(matches!(
            book("2026-03-01T12:00:00Z", off_grid, Booker::Cardholder),
            Err(AppointmentError::NoSuchSlot { .. })
        ));
        let sunday = ts("2026-03-08T15:00:00Z");
        assert!(matches!(
            book("2026-03-01T12:00:00Z", sunday, Booker::Cardholder),
            Err(AppointmentError::NoSuchSlot { .. })
        ));
        let listed = rules
            .bookable_slots(
                &nyc,
                date(2026, 3, 2),
                date(2026, 3, 2),
                ts("2026-03-02T15:00:00Z"),
                Booker::Cardholder,
            )
            .unwrap();
        assert!(listed.iter().all(|s| s.start >= ts("2026-03-02T17:00:00Z")));
    }

    #[test]
    fn changes_close_before_the_appointment_and_reminders_are_ahead() {
        let rules = AppointmentRules::default();
        let appointment = Appointment {
            key: SlotKey("nyc/2026-03-02T14:00:00Z/1".into()),
            centre: CentreId::parse("nyc").unwrap(),
            cardholder: CardholderId(uuid::Uuid::from_u128(1)),
            case: None,
            start: ts("2026-03-02T14:00:00Z"),
            end: ts("2026-03-02T14:30:00Z"),
            status: AppointmentStatus::Booked,
            booked_at: ts("2026-03-02T01:00:00Z"),
        };
        assert!(
            rules
                .check_change(&appointment, ts("2026-03-02T11:59:00Z"), Booker::Cardholder)
                .is_ok()
        );
        let late = rules.check_change(&appointment, ts("2026-03-02T12:30:00Z"), Booker::Cardholder);
        assert!(matches!(late, Err(AppointmentError::PastCutoff { .. })));
        assert!(
            rules
                .check_change(&appointment, ts("2026-03-02T12:30:00Z"), Booker::Agent)
                .is_ok()
        );
        // Booked 13 h ahead: only the 2-hour reminder is still to come.
        assert_eq!(
            rules.reminder_times(&appointment),
            vec![ts("2026-03-02T12:00:00Z")]
        );
        let cancelled = Appointment {
            status: AppointmentStatus::Cancelled,
            ..appointment
        };
        assert_eq!(
            rules.check_change(&cancelled, ts("2026-03-01T00:00:00Z"), Booker::Agent),
            Err(AppointmentError::AlreadyCancelled)
        );
    }

    #[test]
    fn centre_ids_are_checked() {
        assert!(CentreId::parse("new-york-2").is_ok());
        assert!(CentreId::parse("New York").is_err());
        assert!(serde_json::from_str::<CentreId>("\"../x\"").is_err());
    }

    proptest::proptest! {
        /// Any sequence of bookings and cancellations of one slot: the booked seats are distinct,
        /// never more than the centre has, and a booking fails with `SlotFull` exactly when
        /// every seat is taken.
        #[test]
        fn seats_stay_unique_and_within_capacity(ops in proptest::collection::vec(proptest::prelude::any::<(bool, u8)>(), 1..60)) {
            let rules = AppointmentRules::default();
            let nyc = centre("nyc");
            let now = ts("2026-03-01T12:00:00Z");
            let start = ts("2026-03-02T14:00:00Z");
            let mut taken: Vec<SlotKey> = Vec::new();
            for (book, pick) in ops {
                if book {
                    match rules.book(&nyc, Tier::Platinum, start, &taken, now, Booker::Cardholder) {
                        Ok((_, key)) => {
                            proptest::prop_assert!(!taken.contains(&key));
                            taken.push(key);
                        }
                        Err(AppointmentError::SlotFull { .. }) => {
                            proptest::prop_assert_eq!(taken.len(), usize::from(nyc.seats));
                        }
                        Err(other) => proptest::prop_assert!(false, "{other}"),
                    }
                } else if !taken.is_empty() {
                    let i = usize::from(pick) % taken.len();
                    taken.remove(i);
                }
                proptest::prop_assert!(taken.len() <= usize::from(nyc.seats));
            }
        }
    }
}
