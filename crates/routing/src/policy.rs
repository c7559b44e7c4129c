//! Routing policy: the settings an operator tunes, with defaults that work for the demo.

use std::collections::BTreeMap;

use domain::{Lang, Reason, Tier, Timestamp};
use jiff::SignedDuration;
use jiff::civil::{Time, Weekday};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use crate::model::{ContactKind, Hub, Priority, Reach};

/// Everything about routing that is configuration rather than code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Policy {
    /// Reasons answered before everything else.
    pub urgent_reasons: Vec<Reason>,
    /// Tiers answered before standard contacts, with their own answer target.
    pub premium_tiers: Vec<Tier>,
    pub answer_targets: AnswerTargets,
    pub relaxation: Relaxation,
    pub agent_order: AgentOrder,
    /// How long a relationship manager's cardholder waits for their manager before anyone may answer.
    pub relationship_manager_wait_secs: u32,
    /// How long an agent has to accept an offer before it goes to someone else.
    pub offer_timeout_secs: u32,
    /// An agent who lets an offer time out is put on break (they are probably away).
    pub break_after_missed_offer: bool,
    /// Wrap-up after a contact ends automatically after this long; 0 means no wrap-up at all.
    pub max_wrap_up_secs: u32,
    /// Callers are offered a callback when their estimated wait is longer than this.
    pub callback_offer_above_secs: u32,
    pub handle_time: HandleTimeEstimate,
    /// The follow-the-sun hubs and their business hours, in preference order.
    pub hubs: Vec<HubHours>,
    /// Hubs that should answer a language first while they are open (others: any open hub).
    pub preferred_hubs: BTreeMap<Lang, Vec<Hub>>,
}

/// Answer targets, in seconds, used for service level and for the premium promise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AnswerTargets {
    pub urgent_secs: u32,
    pub premium_secs: u32,
    pub standard_secs: u32,
    /// Secure messages and emails: the reply target, whatever their priority.
    pub message_secs: u32,
}

impl Default for AnswerTargets {
    fn default() -> Self {
        Self {
            urgent_secs: 20,
            premium_secs: 30,
            standard_secs: 60,
            message_secs: 24 * 3600,
        }
    }
}

/// When a waiting contact's search widens; `None` turns a step off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Relaxation {
    /// After this wait, skilled agents of any hub may answer.
    pub other_hubs_after_secs: Option<u32>,
    /// After this wait, any agent who speaks the language may answer.
    pub any_agent_with_language_after_secs: Option<u32>,
}

impl Default for Relaxation {
    fn default() -> Self {
        Self {
            other_hubs_after_secs: Some(30),
            any_agent_with_language_after_secs: Some(120),
        }
    }
}

/// Which of several free agents gets a contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentOrder {
    /// Highest proficiency in the contact's department and language; ties go to the longest idle.
    BestSkilledThenLongestIdle,
    /// Longest idle; ties go to the highest proficiency.
    LongestIdleThenBestSkilled,
}

/// How estimated wait times learn handle times.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HandleTimeEstimate {
    /// Assumed handle time of a voice contact before a queue has history.
    pub default_voice_secs: u32,
    /// Assumed handle time of a chat or message before a queue has history.
    pub default_digital_secs: u32,
    /// Weight of the newest handle time in the moving average (0 < w ≤ 1).
    pub smoothing: f64,
}

impl Default for HandleTimeEstimate {
    fn default() -> Self {
        Self {
            default_voice_secs: 300,
            default_digital_secs: 600,
            smoothing: 0.1,
        }
    }
}

/// A hub's business hours in its own time zone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HubHours {
    pub hub: Hub,
    /// IANA name, e.g. `Asia/Tokyo`.
    pub time_zone: String,
    /// Local opening time. `opens == closes` means around the clock; `closes < opens` runs past midnight.
    pub opens: Time,
    pub closes: Time,
    /// Days on which the hub opens (an overnight shift belongs to the day it starts).
    pub days: Vec<Day>,
}

/// A day of the week in configuration files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Day {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Day {
    pub const ALL: [Day; 7] = [
        Day::Mon,
        Day::Tue,
        Day::Wed,
        Day::Thu,
        Day::Fri,
        Day::Sat,
        Day::Sun,
    ];

    fn weekday(self) -> Weekday {
        match self {
            Day::Mon => Weekday::Monday,
            Day::Tue => Weekday::Tuesday,
            Day::Wed => Weekday::Wednesday,
            Day::Thu => Weekday::Thursday,
            Day::Fri => Weekday::Friday,
            Day::Sat => Weekday::Saturday,
            Day::Sun => Weekday::Sunday,
        }
    }
}

impl Default for Policy {
    fn default() -> Self {
        let every_day = Day::ALL.to_vec();
        let hubs = [
            Hub::London,
            Hub::NewYork,
            Hub::Tokyo,
            Hub::Sydney,
            Hub::Mumbai,
        ]
        .into_iter()
        .map(|hub| HubHours {
            hub,
            time_zone: hub.default_time_zone().to_owned(),
            opens: Time::constant(8, 0, 0, 0),
            closes: Time::constant(20, 0, 0, 0),
            days: every_day.clone(),
        })
        .collect();
        let preferred_hubs = [
            (Lang::Es, vec![Hub::NewYork, Hub::London]),
            (Lang::Pt, vec![Hub::NewYork, Hub::London]),
            (Lang::Fr, vec![Hub::London]),
            (Lang::De, vec![Hub::London]),
            (Lang::It, vec![Hub::London]),
            (Lang::Ru, vec![Hub::London]),
            (Lang::Ar, vec![Hub::London, Hub::Mumbai]),
            (Lang::Ja, vec![Hub::Tokyo]),
            (Lang::Ko, vec![Hub::Tokyo]),
            (Lang::Zh, vec![Hub::Tokyo, Hub::Sydney]),
            (Lang::Yue, vec![Hub::Tokyo, Hub::Sydney]),
            (Lang::Hi, vec![Hub::Mumbai]),
            (Lang::Ta, vec![Hub::Mumbai]),
            (Lang::Ms, vec![Hub::Sydney, Hub::Mumbai]),
        ]
        .into_iter()
        .collect();
        Self {
            urgent_reasons: vec![Reason::Fraud, Reason::LostStolen],
            premium_tiers: vec![Tier::Platinum, Tier::Centurion],
            answer_targets: AnswerTargets::default(),
            relaxation: Relaxation::default(),
            agent_order: AgentOrder::BestSkilledThenLongestIdle,
            relationship_manager_wait_secs: 60,
            offer_timeout_secs: 20,
            break_after_missed_offer: true,
            max_wrap_up_secs: 120,
            callback_offer_above_secs: 180,
            handle_time: HandleTimeEstimate::default(),
            hubs,
            preferred_hubs,
        }
    }
}

/// A policy that cannot be used, and how to fix it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PolicyError {
    #[error("hub {hub}: time zone {name:?} is not an IANA time zone name (e.g. America/New_York)")]
    UnknownTimeZone { hub: Hub, name: String },
    #[error("hub {0} has business hours listed twice; keep one entry per hub")]
    HubListedTwice(Hub),
    #[error("hub {0} opens on no day; list at least one day or remove the hub")]
    NoDays(Hub),
    #[error("no hubs are configured; list at least one hub with its business hours")]
    NoHubs,
    #[error("handle_time.smoothing is {0}; it must be greater than 0 and at most 1")]
    BadSmoothing(f64),
    #[error("offer_timeout_secs must be at least 1 second")]
    ZeroOfferTimeout,
}

/// A hub's hours with the time zone looked up.
#[derive(Debug, Clone)]
pub(crate) struct OpenHours {
    pub hub: Hub,
    zone: TimeZone,
    opens: Time,
    closes: Time,
    days: [bool; 7],
}

impl OpenHours {
    fn opens_on(&self, day: Weekday) -> bool {
        self.days[day.to_monday_zero_offset() as usize]
    }

    fn is_open(&self, at: Timestamp) -> bool {
        let local = self.zone.to_datetime(at);
        let (day, time) = (local.weekday(), local.time());
        if self.opens == self.closes {
            self.opens_on(day)
        } else if self.opens < self.closes {
            self.opens_on(day) && self.opens <= time && time < self.closes
        } else {
            (self.opens_on(day) && time >= self.opens)
                || (self.opens_on(day.previous()) && time < self.closes)
        }
    }
}

/// The policy checked and turned into what the engine consults on every decision.
#[derive(Debug, Clone)]
pub(crate) struct Rules {
    urgent: [bool; Reason::ALL.len()],
    premium: [bool; Tier::ALL.len()],
    targets: AnswerTargets,
    other_hubs_after: Option<SignedDuration>,
    language_after: Option<SignedDuration>,
    pub agent_order: AgentOrder,
    pub manager_wait: SignedDuration,
    pub offer_timeout: SignedDuration,
    pub break_after_missed_offer: bool,
    pub max_wrap_up: Option<SignedDuration>,
    pub callback_offer_above: SignedDuration,
    pub handle_time: HandleTimeEstimate,
    hours: Vec<OpenHours>,
    preferred_hubs: Vec<Vec<Hub>>,
}

impl Policy {
    /// Checks the policy and looks up its time zones.
    pub(crate) fn compile(&self) -> Result<Rules, PolicyError> {
        if self.hubs.is_empty() {
            return Err(PolicyError::NoHubs);
        }
        let smoothing = self.handle_time.smoothing;
        if !(smoothing > 0.0 && smoothing <= 1.0) {
            return Err(PolicyError::BadSmoothing(smoothing));
        }
        if self.offer_timeout_secs == 0 {
            return Err(PolicyError::ZeroOfferTimeout);
        }
        let mut hours: Vec<OpenHours> = Vec::with_capacity(self.hubs.len());
        for h in &self.hubs {
            if hours.iter().any(|o| o.hub == h.hub) {
                return Err(PolicyError::HubListedTwice(h.hub));
            }
            if h.days.is_empty() {
                return Err(PolicyError::NoDays(h.hub));
            }
            let zone = TimeZone::get(&h.time_zone).map_err(|_| PolicyError::UnknownTimeZone {
                hub: h.hub,
                name: h.time_zone.clone(),
            })?;
            let mut days = [false; 7];
            for d in &h.days {
                days[d.weekday().to_monday_zero_offset() as usize] = true;
            }
            hours.push(OpenHours {
                hub: h.hub,
                zone,
                opens: h.opens,
                closes: h.closes,
                days,
            });
        }
        let secs = |s: u32| SignedDuration::from_secs(i64::from(s));
        Ok(Rules {
            urgent: std::array::from_fn(|i| self.urgent_reasons.contains(&Reason::ALL[i])),
            premium: std::array::from_fn(|i| self.premium_tiers.contains(&Tier::ALL[i])),
            targets: self.answer_targets,
            other_hubs_after: self.relaxation.other_hubs_after_secs.map(secs),
            language_after: self.relaxation.any_agent_with_language_after_secs.map(secs),
            agent_order: self.agent_order,
            manager_wait: secs(self.relationship_manager_wait_secs),
            offer_timeout: secs(self.offer_timeout_secs),
            break_after_missed_offer: self.break_after_missed_offer,
            max_wrap_up: (self.max_wrap_up_secs > 0).then(|| secs(self.max_wrap_up_secs)),
            callback_offer_above: secs(self.callback_offer_above_secs),
            handle_time: self.handle_time,
            hours,
            preferred_hubs: Lang::ALL
                .iter()
                .map(|l| self.preferred_hubs.get(l).cloned().unwrap_or_default())
                .collect(),
        })
    }

    /// Checks the policy without building an engine (for `helpline config check`).
    pub fn validate(&self) -> Result<(), PolicyError> {
        self.compile().map(drop)
    }

    /// The hubs open at `at`, in configured order.
    pub fn open_hubs(&self, at: Timestamp) -> Result<Vec<Hub>, PolicyError> {
        Ok(self.compile()?.open_hubs(at).collect())
    }

    /// Whole hours from `from` (for `hours` hours) at which no hub is open: the coverage gaps of
    /// the follow-the-sun schedule. Empty means every hour is covered.
    pub fn uncovered_hours(
        &self,
        from: Timestamp,
        hours: u32,
    ) -> Result<Vec<Timestamp>, PolicyError> {
        let rules = self.compile()?;
        Ok((0..i64::from(hours))
            .filter_map(|h| from.checked_add(SignedDuration::from_hours(h)).ok())
            .filter(|at| rules.open_hubs(*at).next().is_none())
            .collect())
    }
}

impl Rules {
    pub fn priority(&self, reason: domain::Reason, tier: Tier) -> Priority {
        if self.urgent[reason as usize] {
            Priority::Urgent
        } else if self.premium[tier as usize] {
            Priority::Premium
        } else {
            Priority::Standard
        }
    }

    pub fn answer_target(&self, kind: ContactKind, priority: Priority) -> SignedDuration {
        let secs = match (kind, priority) {
            (ContactKind::Message, _) => self.targets.message_secs,
            (_, Priority::Urgent) => self.targets.urgent_secs,
            (_, Priority::Premium) => self.targets.premium_secs,
            (_, Priority::Standard) => self.targets.standard_secs,
        };
        SignedDuration::from_secs(i64::from(secs))
    }

    /// How far a contact that has waited `waited` may reach.
    pub fn reach_after(&self, waited: SignedDuration) -> Reach {
        if self.language_after.is_some_and(|d| waited >= d) {
            Reach::AnyAgentWithLanguage
        } else if self.other_hubs_after.is_some_and(|d| waited >= d) {
            Reach::AnyHub
        } else {
            Reach::HomeHub
        }
    }

    /// The wait after which a contact at `reach` widens further, if it ever does.
    pub fn next_widening(&self, reach: Reach) -> Option<SignedDuration> {
        let later = |step: Option<SignedDuration>, floor: Option<SignedDuration>| {
            step.filter(|s| floor.is_none_or(|f| *s > f))
        };
        match reach {
            Reach::HomeHub => match (self.other_hubs_after, self.language_after) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
            Reach::AnyHub => later(self.language_after, self.other_hubs_after),
            Reach::AnyAgentWithLanguage => None,
        }
    }

    /// The wait after which the language-only step applies, if enabled.
    pub fn language_step(&self) -> Option<SignedDuration> {
        self.language_after
    }

    /// Where `hub` comes in the policy's preference order (hubs it does not name come last).
    pub fn hub_rank(&self, hub: Hub) -> usize {
        self.hours
            .iter()
            .position(|h| h.hub == hub)
            .unwrap_or(self.hours.len())
    }

    pub fn open_hubs(&self, at: Timestamp) -> impl Iterator<Item = Hub> + '_ {
        self.hours
            .iter()
            .filter(move |h| h.is_open(at))
            .map(|h| h.hub)
    }

    /// Follow the sun: the first open hub the language prefers, else the first open hub, else the
    /// language's (or the policy's) first hub.
    pub fn home_hub(&self, lang: Lang, at: Timestamp) -> Hub {
        let preferred = &self.preferred_hubs[lang as usize];
        let open_preferred = preferred
            .iter()
            .copied()
            .find(|hub| self.hours.iter().any(|h| h.hub == *hub && h.is_open(at)));
        open_preferred
            .or_else(|| self.open_hubs(at).next())
            .or_else(|| preferred.first().copied())
            .or_else(|| self.hours.first().map(|h| h.hub))
            .unwrap_or(Hub::NewYork)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn default_hubs_cover_every_hour_of_every_week_of_the_year() {
        // A whole year, hour by hour, crosses every DST change of all five zones.
        let policy = Policy::default();
        let gaps = policy
            .uncovered_hours(at("2026-01-01T00:00:00Z"), 366 * 24)
            .unwrap();
        assert!(gaps.is_empty(), "uncovered: {gaps:?}");
        // And every half hour of one week, for the half-hour offset of Mumbai.
        let rules = policy.compile().unwrap();
        for half_hour in 0..(7 * 48) {
            let t = at("2026-03-28T00:15:00Z")
                .checked_add(SignedDuration::from_mins(30 * half_hour))
                .unwrap();
            assert!(rules.open_hubs(t).next().is_some(), "{t}");
        }
    }

    #[test]
    fn a_gap_in_the_schedule_is_reported() {
        let mut policy = Policy::default();
        policy.hubs.retain(|h| h.hub == Hub::London);
        let gaps = policy
            .uncovered_hours(at("2026-01-05T00:00:00Z"), 24)
            .unwrap();
        // London opens 08:00–20:00 GMT in January: 12 uncovered hours.
        assert_eq!(gaps.len(), 12);
        assert_eq!(gaps[0], at("2026-01-05T00:00:00Z"));
        assert_eq!(gaps[8], at("2026-01-05T20:00:00Z"));
    }

    #[test]
    fn hours_follow_each_hub_time_zone_and_daylight_saving() {
        let policy = Policy::default();
        let open = |s: &str| policy.open_hubs(at(s)).unwrap();
        // 13:30 UTC in January: London (13:30 GMT), New York (08:30 EST), Mumbai (19:00 IST).
        assert_eq!(
            open("2026-01-05T13:30:00Z"),
            vec![Hub::London, Hub::NewYork, Hub::Mumbai]
        );
        // 12:30 UTC in July is 08:30 EDT, but 07:30 EST in January.
        assert!(open("2026-07-06T12:30:00Z").contains(&Hub::NewYork));
        assert!(!open("2026-01-05T12:30:00Z").contains(&Hub::NewYork));
        // 02:00 UTC: Tokyo (11:00), Sydney (13:00 AEDT) and Mumbai (07:30, still closed).
        assert_eq!(open("2026-01-05T02:00:00Z"), vec![Hub::Tokyo, Hub::Sydney]);
        assert_eq!(
            open("2026-01-05T03:00:00Z"),
            vec![Hub::Tokyo, Hub::Sydney, Hub::Mumbai]
        );
    }

    #[test]
    fn overnight_and_round_the_clock_hours() {
        let hub = |opens, closes, days: Vec<Day>| OpenHours {
            hub: Hub::London,
            zone: TimeZone::UTC,
            opens,
            closes,
            days: std::array::from_fn(|i| days.contains(&Day::ALL[i])),
        };
        let night = hub(
            Time::constant(22, 0, 0, 0),
            Time::constant(6, 0, 0, 0),
            vec![Day::Mon],
        );
        // 2026-01-05 is a Monday.
        assert!(night.is_open(at("2026-01-05T23:00:00Z")));
        assert!(night.is_open(at("2026-01-06T05:59:59Z")));
        assert!(!night.is_open(at("2026-01-06T06:00:00Z")));
        assert!(!night.is_open(at("2026-01-06T23:00:00Z")));
        assert!(!night.is_open(at("2026-01-05T03:00:00Z")));
        let always = hub(Time::midnight(), Time::midnight(), vec![Day::Sat]);
        assert!(always.is_open(at("2026-01-10T00:00:00Z")));
        assert!(!always.is_open(at("2026-01-11T00:00:00Z")));
    }

    #[test]
    fn follow_the_sun_picks_an_open_hub_the_language_prefers() {
        let rules = Policy::default().compile().unwrap();
        let t = at("2026-01-05T13:30:00Z");
        assert_eq!(rules.home_hub(Lang::Es, t), Hub::NewYork);
        assert_eq!(rules.home_hub(Lang::En, t), Hub::London);
        // Japanese at 13:30 UTC: Tokyo is closed (22:30), so any open hub.
        assert_eq!(rules.home_hub(Lang::Ja, t), Hub::London);
        assert_eq!(
            rules.home_hub(Lang::Ja, at("2026-01-05T01:00:00Z")),
            Hub::Tokyo
        );
    }

    #[test]
    fn priorities_targets_and_reach_follow_the_policy() {
        let rules = Policy::default().compile().unwrap();
        assert_eq!(rules.priority(Reason::Fraud, Tier::Green), Priority::Urgent);
        assert_eq!(
            rules.priority(Reason::LostStolen, Tier::Centurion),
            Priority::Urgent
        );
        assert_eq!(
            rules.priority(Reason::Billing, Tier::Platinum),
            Priority::Premium
        );
        assert_eq!(
            rules.priority(Reason::Billing, Tier::Gold),
            Priority::Standard
        );
        assert_eq!(
            rules.answer_target(ContactKind::Call, Priority::Premium),
            SignedDuration::from_secs(30)
        );
        let s = SignedDuration::from_secs;
        assert_eq!(rules.reach_after(s(29)), Reach::HomeHub);
        assert_eq!(rules.reach_after(s(30)), Reach::AnyHub);
        assert_eq!(rules.reach_after(s(120)), Reach::AnyAgentWithLanguage);
        assert_eq!(rules.next_widening(Reach::HomeHub), Some(s(30)));
        assert_eq!(rules.next_widening(Reach::AnyHub), Some(s(120)));
        assert_eq!(rules.next_widening(Reach::AnyAgentWithLanguage), None);
    }

    #[test]
    fn policy_reads_from_json_with_defaults_and_rejects_bad_values() {
        let p: Policy = serde_json::from_str(
            r#"{"offer_timeout_secs": 10, "relaxation": {"other_hubs_after_secs": null}}"#,
        )
        .unwrap();
        assert_eq!(p.offer_timeout_secs, 10);
        assert_eq!(p.relaxation.other_hubs_after_secs, None);
        assert_eq!(p.relaxation.any_agent_with_language_after_secs, Some(120));
        let rules = p.compile().unwrap();
        assert_eq!(
            rules.next_widening(Reach::HomeHub),
            Some(SignedDuration::from_secs(120))
        );
        assert!(serde_json::from_str::<Policy>(r#"{"ofer_timeout_secs": 10}"#).is_err());
        let round = serde_json::to_string(&Policy::default()).unwrap();
        assert_eq!(
            serde_json::from_str::<Policy>(&round).unwrap(),
            Policy::default()
        );

        let mut bad = Policy::default();
        bad.hubs[0].time_zone = "Mars/Olympus".into();
        let err = bad.validate().unwrap_err().to_string();
        assert!(err.contains("Mars/Olympus"), "{err}");
        let hours: HubHours = serde_json::from_str(
            r#"{"hub":"tokyo","time_zone":"Asia/Tokyo","opens":"09:00","closes":"17:30","days":["mon","fri"]}"#,
        )
        .unwrap();
        assert_eq!(hours.closes, Time::constant(17, 30, 0, 0));
    }
}
