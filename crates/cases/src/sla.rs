//! SLA clocks: targets per channel and tier, and clocks that run, pause while the case waits on
//! the customer, and stop when the target is met.
//!
//! A clock is the list of intervals during which it ran. Its due time is the instant at which
//! the running time reaches the target, so every paused or stopped interval before that instant
//! pushes the due time back by exactly its length.

use std::collections::BTreeMap;

use domain::{Channel, Tier};
use jiff::{SignedDuration, Timestamp};

use crate::calendar::add;

/// What happened to a clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockInput {
    /// Start, or resume after a pause or stop.
    Run,
    /// Waiting on the customer: time does not count.
    Pause,
    /// The target was met (responded, resolved).
    Stop,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockState {
    #[default]
    NotStarted,
    Running,
    Paused,
    Stopped,
}

/// One interval during which the clock ran; `to` is `None` while it still runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Run {
    pub from: Timestamp,
    pub to: Option<Timestamp>,
}

/// The history of one clock, folded from its inputs (persisted inside the case snapshot).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct ClockTrack {
    pub runs: Vec<Run>,
    pub state: ClockState,
    /// When it last stopped (the moment the target was met).
    pub stopped_at: Option<Timestamp>,
}

/// Where a clock stands at `now` against a target.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClockStatus {
    #[serde(serialize_with = "jiff::fmt::serde::duration::friendly::compact::required")]
    pub target: SignedDuration,
    pub state: ClockState,
    /// Time that counted so far.
    #[serde(serialize_with = "jiff::fmt::serde::duration::friendly::compact::required")]
    pub elapsed: SignedDuration,
    /// Time since the first start that did not count (paused or stopped).
    #[serde(serialize_with = "jiff::fmt::serde::duration::friendly::compact::required")]
    pub paused: SignedDuration,
    /// `target − elapsed`; negative once overdue.
    #[serde(serialize_with = "jiff::fmt::serde::duration::friendly::compact::required")]
    pub remaining: SignedDuration,
    /// When the target is (or was) reached: known while running, or once breached. `None`
    /// while paused or stopped short of the target (show `remaining` instead).
    pub due: Option<Timestamp>,
    pub breached: bool,
    /// When the target was met in time.
    pub met_at: Option<Timestamp>,
}

impl ClockTrack {
    pub fn from_inputs(inputs: impl IntoIterator<Item = (Timestamp, ClockInput)>) -> ClockTrack {
        let mut track = ClockTrack::default();
        for (at, input) in inputs {
            track.feed(at, input);
        }
        track
    }

    /// Applies one input. Inputs must come in time order; an earlier instant is treated as
    /// the latest one seen, so that a clock never runs backwards.
    pub fn feed(&mut self, at: Timestamp, input: ClockInput) {
        let at = self.latest().map_or(at, |latest| at.max(latest));
        match (self.state, input) {
            (ClockState::Running, ClockInput::Run) => {}
            (_, ClockInput::Run) => {
                self.runs.push(Run { from: at, to: None });
                self.state = ClockState::Running;
                self.stopped_at = None;
            }
            (ClockState::Running, ClockInput::Pause) => {
                self.close_run(at);
                self.state = ClockState::Paused;
            }
            (
                ClockState::Running | ClockState::Paused | ClockState::NotStarted,
                ClockInput::Stop,
            ) => {
                self.close_run(at);
                self.state = ClockState::Stopped;
                self.stopped_at = Some(at);
            }
            (
                ClockState::NotStarted | ClockState::Paused | ClockState::Stopped,
                ClockInput::Pause,
            )
            | (ClockState::Stopped, ClockInput::Stop) => {}
        }
    }

    fn latest(&self) -> Option<Timestamp> {
        let last_run = self.runs.last().map(|r| r.to.unwrap_or(r.from));
        last_run.max(self.stopped_at)
    }

    fn close_run(&mut self, at: Timestamp) {
        if let Some(run) = self.runs.last_mut()
            && run.to.is_none()
        {
            run.to = Some(at.max(run.from));
        }
    }

    /// Running time up to `now`.
    pub fn elapsed(&self, now: Timestamp) -> SignedDuration {
        self.runs
            .iter()
            .map(|run| {
                let end = run.to.unwrap_or(now).min(now);
                end.duration_since(run.from).max(SignedDuration::ZERO)
            })
            .fold(SignedDuration::ZERO, SignedDuration::saturating_add)
    }

    /// The instant the running time reaches `target`, if the history determines it.
    pub fn due(&self, target: SignedDuration) -> Option<Timestamp> {
        let mut counted = SignedDuration::ZERO;
        for run in &self.runs {
            let needed = target.saturating_sub(counted);
            match run.to {
                None => return Some(add(run.from, needed)),
                Some(to) => {
                    let length = to.duration_since(run.from);
                    if length > needed {
                        return Some(add(run.from, needed));
                    }
                    counted = counted.saturating_add(length);
                }
            }
        }
        None
    }

    pub fn status(&self, target: SignedDuration, now: Timestamp) -> ClockStatus {
        let elapsed = self.elapsed(now);
        let due = self.due(target);
        let breached = due.is_some_and(|due| due < now);
        let span_end = match self.state {
            ClockState::Stopped => self.stopped_at.unwrap_or(now),
            _ => now,
        };
        let paused = self
            .runs
            .first()
            .map_or(SignedDuration::ZERO, |first| {
                span_end.duration_since(first.from).saturating_sub(elapsed)
            })
            .max(SignedDuration::ZERO);
        let met_at = match self.state {
            ClockState::Stopped if !breached => self.stopped_at,
            _ => None,
        };
        let due_shown = match self.state {
            ClockState::Running => due,
            _ => due.filter(|_| breached),
        };
        ClockStatus {
            target,
            state: self.state,
            elapsed,
            paused,
            remaining: target.saturating_sub(elapsed),
            due: due_shown,
            breached,
            met_at,
        }
    }
}

/// The targets for one channel and tier class; `None` means "not tracked" (a phone call is
/// answered live, so it has no first-response target).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    /// From opening to the first answer by a person.
    #[serde(
        default,
        serialize_with = "jiff::fmt::serde::duration::friendly::compact::optional"
    )]
    pub first_response: Option<SignedDuration>,
    /// From a customer's message to the next answer in the same conversation (the visible
    /// "we will reply by" of secure messages and email).
    #[serde(
        default,
        serialize_with = "jiff::fmt::serde::duration::friendly::compact::optional"
    )]
    pub reply: Option<SignedDuration>,
    /// From opening to resolution, not counting time waiting on the customer.
    #[serde(
        default,
        serialize_with = "jiff::fmt::serde::duration::friendly::compact::optional"
    )]
    pub resolution: Option<SignedDuration>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelTargets {
    pub standard: Targets,
    /// Platinum and Centurion.
    pub premium: Targets,
}

/// SLA targets per channel (config table `[cases.sla.<channel>]`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct SlaTable(pub BTreeMap<Channel, ChannelTargets>);

fn targets(first: Option<i64>, reply: Option<i64>, resolution: Option<i64>) -> Targets {
    let secs = |s: Option<i64>| s.map(SignedDuration::from_secs);
    Targets {
        first_response: secs(first),
        reply: secs(reply),
        resolution: secs(resolution),
    }
}

impl Default for SlaTable {
    /// Chat answered in 2 minutes (premium 30 s), secure messages within 48 h (premium 24 h),
    /// email within 24 h (premium 8 h), social within 1 h, mail and fax within 5 days.
    fn default() -> Self {
        const MIN: i64 = 60;
        const HOUR: i64 = 60 * MIN;
        const DAY: i64 = 24 * HOUR;
        let live = ChannelTargets {
            standard: targets(Some(2 * MIN), Some(2 * MIN), Some(DAY)),
            premium: targets(Some(30), Some(MIN), Some(8 * HOUR)),
        };
        let paper = ChannelTargets {
            standard: targets(Some(5 * DAY), Some(5 * DAY), Some(15 * DAY)),
            premium: targets(Some(3 * DAY), Some(3 * DAY), Some(10 * DAY)),
        };
        let in_person = ChannelTargets {
            standard: targets(None, None, Some(3 * DAY)),
            premium: targets(None, None, Some(DAY)),
        };
        SlaTable(BTreeMap::from([
            (Channel::Phone, in_person),
            (Channel::Chat, live),
            (Channel::InApp, live),
            (
                Channel::SecureMessage,
                ChannelTargets {
                    standard: targets(Some(2 * DAY), Some(2 * DAY), Some(5 * DAY)),
                    premium: targets(Some(DAY), Some(DAY), Some(3 * DAY)),
                },
            ),
            (
                Channel::Email,
                ChannelTargets {
                    standard: targets(Some(DAY), Some(DAY), Some(5 * DAY)),
                    premium: targets(Some(8 * HOUR), Some(8 * HOUR), Some(3 * DAY)),
                },
            ),
            (
                Channel::Social,
                ChannelTargets {
                    standard: targets(Some(HOUR), Some(HOUR), Some(3 * DAY)),
                    premium: targets(Some(30 * MIN), Some(30 * MIN), Some(DAY)),
                },
            ),
            (Channel::Mail, paper),
            (Channel::Fax, paper),
            (Channel::Appointment, in_person),
        ]))
    }
}

impl SlaTable {
    /// The targets for a channel and tier (an unknown tier counts as standard; a channel
    /// missing from the table has no targets).
    pub fn targets(&self, channel: Channel, tier: Option<Tier>) -> Targets {
        self.0
            .get(&channel)
            .map(|t| {
                if tier.is_some_and(Tier::is_premium) {
                    t.premium
                } else {
                    t.standard
                }
            })
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const T0: i64 = 1_770_000_000;

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_second(T0 + secs).unwrap()
    }

    fn mins(m: i64) -> SignedDuration {
        SignedDuration::from_mins(m)
    }

    #[test]
    fn a_pause_moves_the_due_time_by_its_length() {
        let mut clock = ClockTrack::default();
        clock.feed(at(0), ClockInput::Run);
        assert_eq!(clock.due(mins(60)), Some(at(3600)));
        clock.feed(at(600), ClockInput::Pause);
        let paused = clock.status(mins(60), at(1200));
        assert_eq!(paused.state, ClockState::Paused);
        assert_eq!(paused.due, None);
        assert_eq!(paused.remaining, mins(50));
        assert_eq!(paused.paused, mins(10));
        clock.feed(at(1800), ClockInput::Run);
        assert_eq!(clock.due(mins(60)), Some(at(3600 + 1200)));
        let late = clock.status(mins(60), at(5000));
        assert!(late.breached);
        assert_eq!(
            late.remaining,
            SignedDuration::from_secs(3600 - (5000 - 1200))
        );
    }

    #[test]
    fn stopping_in_time_is_met_and_late_is_breached() {
        let clock = ClockTrack::from_inputs([(at(0), ClockInput::Run), (at(60), ClockInput::Stop)]);
        let status = clock.status(mins(2), at(10_000));
        assert_eq!(status.met_at, Some(at(60)));
        assert!(!status.breached);
        assert_eq!(status.due, None);
        let late = ClockTrack::from_inputs([(at(0), ClockInput::Run), (at(300), ClockInput::Stop)]);
        let status = late.status(mins(2), at(10_000));
        assert!(status.breached);
        assert_eq!(status.due, Some(at(120)));
        assert_eq!(status.met_at, None);
    }

    #[test]
    fn meeting_exactly_at_the_target_is_in_time() {
        let clock =
            ClockTrack::from_inputs([(at(0), ClockInput::Run), (at(120), ClockInput::Stop)]);
        assert!(!clock.status(mins(2), at(500)).breached);
    }

    #[test]
    fn defaults_follow_the_product() {
        let table = SlaTable::default();
        let chat = table.targets(Channel::Chat, Some(Tier::Gold));
        assert_eq!(chat.first_response, Some(mins(2)));
        let premium = table.targets(Channel::Chat, Some(Tier::Centurion));
        assert_eq!(premium.first_response, Some(SignedDuration::from_secs(30)));
        assert_eq!(table.targets(Channel::Phone, None).first_response, None);
        let secure = table.targets(Channel::SecureMessage, None);
        assert_eq!(secure.reply, Some(SignedDuration::from_hours(48)));
        let secure = table.targets(Channel::SecureMessage, Some(Tier::Platinum));
        assert_eq!(secure.reply, Some(SignedDuration::from_hours(24)));
        assert_eq!(
            table.targets(Channel::Email, None).first_response,
            Some(SignedDuration::from_hours(24))
        );
        for channel in Channel::ALL {
            let t = table.targets(*channel, Some(Tier::Platinum));
            let s = table.targets(*channel, None);
            assert!(
                t.resolution <= s.resolution,
                "premium is tighter for {channel}"
            );
        }
    }

    #[test]
    fn table_round_trips_through_json_with_readable_durations() {
        let table = SlaTable::default();
        let json = serde_json::to_string(&table).unwrap();
        assert!(
            json.contains(r#""chat":{"standard":{"first_response":"2m""#),
            "{json}"
        );
        let back: SlaTable = serde_json::from_str(&json).unwrap();
        assert_eq!(back, table);
        let custom: SlaTable = serde_json::from_str(
            r#"{"email":{"standard":{"first_response":"PT12H"},"premium":{"reply":"4h"}}}"#,
        )
        .unwrap();
        assert_eq!(
            custom.targets(Channel::Email, None).first_response,
            Some(SignedDuration::from_hours(12))
        );
        assert_eq!(custom.targets(Channel::Chat, None), Targets::default());
    }

    /// A history: gaps in seconds between inputs.
    fn history() -> impl Strategy<Value = Vec<(i64, ClockInput)>> {
        let input = prop_oneof![
            Just(ClockInput::Run),
            Just(ClockInput::Pause),
            Just(ClockInput::Stop)
        ];
        prop::collection::vec((0i64..5_000, input), 1..20)
    }

    fn timed(history: &[(i64, ClockInput)]) -> Vec<(Timestamp, ClockInput)> {
        let mut t = 0;
        history
            .iter()
            .map(|(gap, input)| {
                t += gap;
                (at(t), *input)
            })
            .collect()
    }

    proptest! {
        #[test]
        fn paused_time_is_excluded_exactly(h in history(), target in 1i64..20_000) {
            let inputs = timed(&h);
            let clock = ClockTrack::from_inputs(inputs.iter().copied());
            let target = SignedDuration::from_secs(target);
            if let Some(due) = clock.due(target) {
                let start = clock.runs[0].from;
                let not_running = due.duration_since(start) - clock.elapsed(due);
                prop_assert_eq!(due.duration_since(start), target + not_running);
                prop_assert_eq!(clock.elapsed(due), target);
            }
        }

        #[test]
        fn pausing_never_shortens_a_deadline(
            h in history(),
            target in 1i64..20_000,
            insert_at in 0usize..20,
            pause in 1i64..10_000,
        ) {
            let inputs = timed(&h);
            let target = SignedDuration::from_secs(target);
            let original = ClockTrack::from_inputs(inputs.iter().copied());
            // Insert a pause of `pause` seconds at the first moment from `insert_at` on when
            // the clock runs (histories that never run again have nothing to check).
            let running_at = |k: usize| {
                ClockTrack::from_inputs(inputs[..k].iter().copied()).state == ClockState::Running
            };
            let Some(k) = (insert_at.min(inputs.len())..=inputs.len()).find(|k| running_at(*k)) else {
                return Ok(());
            };
            let moment = inputs.get(k).map_or(at(1_000_000), |(t, _)| *t);
            let shift = SignedDuration::from_secs(pause);
            let mut paused_inputs: Vec<_> = inputs[..k].to_vec();
            paused_inputs.push((moment, ClockInput::Pause));
            paused_inputs.push((moment + shift, ClockInput::Run));
            paused_inputs.extend(inputs[k..].iter().map(|(t, i)| (*t + shift, *i)));
            let with_pause = ClockTrack::from_inputs(paused_inputs);
            match (original.due(target), with_pause.due(target)) {
                (Some(before), Some(after)) => {
                    prop_assert!(after >= before);
                    let expected = if before >= moment { before + shift } else { before };
                    prop_assert_eq!(after, expected);
                }
                (before, after) => prop_assert_eq!(before.is_some(), after.is_some()),
            }
        }

        #[test]
        fn due_times_are_monotone_as_history_grows(h in history(), target in 1i64..20_000) {
            let inputs = timed(&h);
            let target = SignedDuration::from_secs(target);
            let mut latest_due: Option<Timestamp> = None;
            let mut clock = ClockTrack::default();
            for (t, input) in inputs {
                clock.feed(t, input);
                if let Some(due) = clock.status(target, t).due {
                    if let Some(previous) = latest_due {
                        prop_assert!(due >= previous, "{due} < {previous}");
                    }
                    latest_due = Some(due);
                }
            }
        }

        #[test]
        fn elapsed_never_exceeds_wall_time(h in history(), extra in 0i64..10_000) {
            let inputs = timed(&h);
            let clock = ClockTrack::from_inputs(inputs.iter().copied());
            let now = inputs.last().unwrap().0 + SignedDuration::from_secs(extra);
            if let Some(first) = clock.runs.first() {
                let status = clock.status(SignedDuration::from_hours(1), now);
                prop_assert!(status.elapsed <= now.duration_since(first.from));
                prop_assert!(status.paused >= SignedDuration::ZERO);
            }
        }
    }
}
