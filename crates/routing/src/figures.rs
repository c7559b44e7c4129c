//! Live figures per queue, hub, tier and contact kind, and the wait estimates built from them.

use std::collections::{BTreeMap, BTreeSet};

use domain::{Department, Lang, Tier, Timestamp};
use jiff::SignedDuration;
use serde::{Deserialize, Serialize};

use crate::model::{ContactKind, Hub, Medium, Presence, Priority, QueueKey};
use crate::policy::HandleTimeEstimate;

/// Running totals since the figures were last reset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Counters {
    /// Contacts that entered routing.
    pub offered: u64,
    pub answered: u64,
    /// Answered no later than the contact's answer target.
    pub answered_within_target: u64,
    pub abandoned: u64,
    pub completed: u64,
    /// Sum of the waits of answered contacts.
    pub answer_wait_secs: f64,
    /// Sum of the handle times of completed contacts.
    pub handle_secs: f64,
}

/// Figures of one slice of traffic (a queue, a hub, a tier, a kind, or everything).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// Contacts not yet answered (including those ringing at an agent).
    pub waiting: u64,
    pub longest_wait_secs: f64,
    #[serde(flatten)]
    pub counters: Counters,
    /// Answered within target ÷ (answered + abandoned); `None` before any contact ended its wait.
    pub service_level: Option<f64>,
    /// Average speed of answer.
    pub asa_secs: Option<f64>,
    /// Abandoned ÷ (answered + abandoned).
    pub abandon_rate: Option<f64>,
    pub average_handle_secs: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueFigures {
    pub department: Department,
    pub lang: Lang,
    /// Agents available or busy (not on break or offline) who serve the queue by voice.
    pub staffed_voice: u32,
    /// Chat and message slots of the agents who serve the queue digitally.
    pub staffed_digital_slots: u32,
    /// What a new standard-priority call would be told now; `None` if nobody can answer it.
    pub estimated_wait_secs: Option<f64>,
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HubFigures {
    pub hub: Hub,
    /// Within its business hours now.
    pub open: bool,
    /// Agents of the hub by presence.
    pub agents: BTreeMap<Presence, u32>,
    /// Contacts whose home hub this is.
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TierFigures {
    pub tier: Tier,
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KindFigures {
    pub kind: ContactKind,
    #[serde(flatten)]
    pub figures: Figures,
}

/// Everything the `/metrics` endpoint and the supervisor dashboard show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FiguresSnapshot {
    pub at: Timestamp,
    /// When the counters started.
    pub since: Timestamp,
    pub total: Figures,
    /// Queues with traffic or staff, in department then language order.
    pub queues: Vec<QueueFigures>,
    /// Every hub, in the policy's preference order: a language without preferred hubs is
    /// answered first by the first open one.
    pub hubs: Vec<HubFigures>,
    pub tiers: Vec<TierFigures>,
    pub kinds: Vec<KindFigures>,
}

/// Which slice of traffic a set of counters describes (for persisting them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "slice", rename_all = "snake_case")]
pub enum Slice {
    Total,
    Queue { department: Department, lang: Lang },
    Hub { hub: Hub },
    Tier { tier: Tier },
    Kind { kind: ContactKind },
}

const QUEUES: usize = Department::ALL.len() * Lang::ALL.len();
const QUEUE_BASE: usize = 1;
const HUB_BASE: usize = QUEUE_BASE + QUEUES;
const TIER_BASE: usize = HUB_BASE + Hub::ALL.len();
const KIND_BASE: usize = TIER_BASE + Tier::ALL.len();
const SLICES: usize = KIND_BASE + ContactKind::ALL.len();

fn queue_index(queue: QueueKey) -> usize {
    queue.department as usize * Lang::ALL.len() + queue.lang as usize
}

fn queue_at(index: usize) -> QueueKey {
    QueueKey {
        department: Department::ALL[index / Lang::ALL.len()],
        lang: Lang::ALL[index % Lang::ALL.len()],
    }
}

impl Slice {
    fn index(self) -> usize {
        match self {
            Slice::Total => 0,
            Slice::Queue { department, lang } => {
                QUEUE_BASE + queue_index(QueueKey { department, lang })
            }
            Slice::Hub { hub } => HUB_BASE + hub as usize,
            Slice::Tier { tier } => TIER_BASE + tier as usize,
            Slice::Kind { kind } => KIND_BASE + kind as usize,
        }
    }

    fn at(index: usize) -> Slice {
        match index {
            0 => Slice::Total,
            i if i < HUB_BASE => {
                let q = queue_at(i - QUEUE_BASE);
                Slice::Queue {
                    department: q.department,
                    lang: q.lang,
                }
            }
            i if i < TIER_BASE => Slice::Hub {
                hub: Hub::ALL[i - HUB_BASE],
            },
            i if i < KIND_BASE => Slice::Tier {
                tier: Tier::ALL[i - TIER_BASE],
            },
            i => Slice::Kind {
                kind: ContactKind::ALL[(i - KIND_BASE) % ContactKind::ALL.len()],
            },
        }
    }
}

/// The slices one contact counts in.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ContactSlices([usize; 5]);

impl ContactSlices {
    pub fn new(queue: QueueKey, hub: Hub, tier: Tier, kind: ContactKind) -> Self {
        Self([
            Slice::Total.index(),
            QUEUE_BASE + queue_index(queue),
            Slice::Hub { hub }.index(),
            Slice::Tier { tier }.index(),
            Slice::Kind { kind }.index(),
        ])
    }
}

#[derive(Debug, Default)]
struct Tally {
    counters: Counters,
    /// (arrival, sequence) of the contacts still waiting, oldest first.
    waiting: BTreeSet<(Timestamp, u64)>,
}

/// Counters and waiting lists of every slice.
#[derive(Debug)]
pub(crate) struct FigureBook {
    since: Timestamp,
    tallies: Vec<Tally>,
}

impl FigureBook {
    pub fn new(since: Timestamp) -> Self {
        Self {
            since,
            tallies: (0..SLICES).map(|_| Tally::default()).collect(),
        }
    }

    fn each(&mut self, slices: ContactSlices, mut f: impl FnMut(&mut Tally)) {
        for i in slices.0 {
            f(&mut self.tallies[i]);
        }
    }

    pub fn arrived(&mut self, slices: ContactSlices, arrived_at: Timestamp, seq: u64) {
        self.each(slices, |t| {
            t.counters.offered += 1;
            t.waiting.insert((arrived_at, seq));
        });
    }

    /// A contact known from a restored state starts waiting again without being counted twice.
    pub fn resumed(&mut self, slices: ContactSlices, arrived_at: Timestamp, seq: u64) {
        self.each(slices, |t| {
            t.waiting.insert((arrived_at, seq));
        });
    }

    pub fn answered(
        &mut self,
        slices: ContactSlices,
        arrived_at: Timestamp,
        seq: u64,
        waited: SignedDuration,
        target: SignedDuration,
    ) {
        self.each(slices, |t| {
            t.waiting.remove(&(arrived_at, seq));
            t.counters.answered += 1;
            t.counters.answered_within_target += u64::from(waited <= target);
            t.counters.answer_wait_secs += waited.as_secs_f64();
        });
    }

    pub fn abandoned(&mut self, slices: ContactSlices, arrived_at: Timestamp, seq: u64) {
        self.each(slices, |t| {
            t.waiting.remove(&(arrived_at, seq));
            t.counters.abandoned += 1;
        });
    }

    pub fn completed(&mut self, slices: ContactSlices, handled: SignedDuration) {
        self.each(slices, |t| {
            t.counters.completed += 1;
            t.counters.handle_secs += handled.as_secs_f64();
        });
    }

    pub fn reset(&mut self, since: Timestamp) {
        self.since = since;
        for t in &mut self.tallies {
            t.counters = Counters::default();
        }
    }

    pub fn since(&self) -> Timestamp {
        self.since
    }

    /// The counters of every slice that has any, for persisting.
    pub fn counters(&self) -> Vec<(Slice, Counters)> {
        self.tallies
            .iter()
            .enumerate()
            .filter(|(_, t)| t.counters != Counters::default())
            .map(|(i, t)| (Slice::at(i), t.counters))
            .collect()
    }

    pub fn restore_counters(&mut self, since: Timestamp, counters: &[(Slice, Counters)]) {
        self.since = since;
        for (slice, c) in counters {
            self.tallies[slice.index()].counters = *c;
        }
    }

    pub fn figures(&self, slice: Slice, now: Timestamp) -> Figures {
        let tally = &self.tallies[slice.index()];
        let c = tally.counters;
        let ended = c.answered + c.abandoned;
        let ratio = |n: f64, d: u64| (d > 0).then(|| n / d as f64);
        Figures {
            waiting: tally.waiting.len() as u64,
            longest_wait_secs: tally.waiting.first().map_or(0.0, |(arrived, _)| {
                now.duration_since(*arrived).as_secs_f64().max(0.0)
            }),
            counters: c,
            service_level: ratio(c.answered_within_target as f64, ended),
            asa_secs: ratio(c.answer_wait_secs, c.answered),
            abandon_rate: ratio(c.abandoned as f64, ended),
            average_handle_secs: ratio(c.handle_secs, c.completed),
        }
    }

    pub fn has_activity(&self, slice: Slice) -> bool {
        let t = &self.tallies[slice.index()];
        !t.waiting.is_empty() || t.counters != Counters::default()
    }
}

const MEDIA: usize = Medium::ALL.len();

fn medium_queue(medium: Medium, queue: QueueKey) -> usize {
    medium as usize * QUEUES + queue_index(queue)
}

fn medium_lang(medium: Medium, lang: Lang) -> usize {
    medium as usize * Lang::ALL.len() + lang as usize
}

/// What estimated waits are computed from: who is waiting, who is staffed, recent handle times.
#[derive(Debug)]
pub(crate) struct WaitEstimator {
    settings: HandleTimeEstimate,
    waiting: Vec<[u32; Priority::ALL.len()]>,
    staffed: Vec<u32>,
    staffed_by_lang: Vec<u32>,
    handle_secs: Vec<Option<f64>>,
}

impl WaitEstimator {
    pub fn new(settings: HandleTimeEstimate) -> Self {
        Self {
            settings,
            waiting: vec![[0; Priority::ALL.len()]; MEDIA * QUEUES],
            staffed: vec![0; MEDIA * QUEUES],
            staffed_by_lang: vec![0; MEDIA * Lang::ALL.len()],
            handle_secs: vec![None; MEDIA * QUEUES],
        }
    }

    pub fn waiting_changed(
        &mut self,
        medium: Medium,
        queue: QueueKey,
        priority: Priority,
        joined: bool,
    ) {
        let n = &mut self.waiting[medium_queue(medium, queue)][priority as usize];
        *n = if joined { *n + 1 } else { n.saturating_sub(1) };
    }

    /// An agent started (`joined`) or stopped serving a queue with `slots` contacts at once.
    pub fn staffing_changed(&mut self, medium: Medium, queue: QueueKey, slots: u32, joined: bool) {
        let n = &mut self.staffed[medium_queue(medium, queue)];
        *n = if joined {
            *n + slots
        } else {
            n.saturating_sub(slots)
        };
    }

    pub fn language_staffing_changed(
        &mut self,
        medium: Medium,
        lang: Lang,
        slots: u32,
        joined: bool,
    ) {
        let n = &mut self.staffed_by_lang[medium_lang(medium, lang)];
        *n = if joined {
            *n + slots
        } else {
            n.saturating_sub(slots)
        };
    }

    pub fn staffed(&self, medium: Medium, queue: QueueKey) -> u32 {
        self.staffed[medium_queue(medium, queue)]
    }

    pub fn handled(&mut self, medium: Medium, queue: QueueKey, took: SignedDuration) {
        let w = self.settings.smoothing;
        let secs = took.as_secs_f64().max(0.0);
        let slot = &mut self.handle_secs[medium_queue(medium, queue)];
        *slot = Some(slot.map_or(secs, |avg| avg + w * (secs - avg)));
    }

    pub fn handle_time(&self, medium: Medium, queue: QueueKey) -> f64 {
        self.handle_secs[medium_queue(medium, queue)].unwrap_or(match medium {
            Medium::Voice => f64::from(self.settings.default_voice_secs),
            Medium::Digital => f64::from(self.settings.default_digital_secs),
        })
    }

    pub fn handle_times(&self) -> Vec<(Medium, QueueKey, f64)> {
        self.handle_secs
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                s.map(|secs| (Medium::ALL[i / QUEUES], queue_at(i % QUEUES), secs))
            })
            .collect()
    }

    pub fn restore_handle_time(&mut self, medium: Medium, queue: QueueKey, secs: f64) {
        self.handle_secs[medium_queue(medium, queue)] = Some(secs);
    }

    /// Expected wait of a contact joining behind everyone of its priority or higher: the work
    /// ahead of it divided among the staff. Agents outside the department only count after the
    /// `language_step` wait; `None` when nobody staffed speaks the language.
    pub fn estimate(
        &self,
        medium: Medium,
        queue: QueueKey,
        priority: Priority,
        language_step: Option<SignedDuration>,
    ) -> Option<SignedDuration> {
        let counts = &self.waiting[medium_queue(medium, queue)];
        let ahead: u32 = counts[..=priority as usize].iter().sum();
        let work = f64::from(ahead + 1) * self.handle_time(medium, queue);
        let skilled = self.staffed(medium, queue);
        if skilled > 0 {
            return Some(SignedDuration::from_secs_f64(work / f64::from(skilled)));
        }
        let speakers = self.staffed_by_lang[medium_lang(medium, queue.lang)];
        let step = language_step?;
        (speakers > 0).then(|| SignedDuration::from_secs_f64(work / f64::from(speakers)).max(step))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_slice_has_its_own_index() {
        for i in 0..SLICES {
            assert_eq!(Slice::at(i).index(), i, "{:?}", Slice::at(i));
        }
    }

    #[test]
    fn estimate_divides_the_work_ahead_among_the_staff() {
        let mut e = WaitEstimator::new(HandleTimeEstimate::default());
        let q = QueueKey {
            department: Department::General,
            lang: Lang::En,
        };
        assert_eq!(e.estimate(Medium::Voice, q, Priority::Standard, None), None);
        e.staffing_changed(Medium::Voice, q, 1, true);
        e.staffing_changed(Medium::Voice, q, 1, true);
        e.handled(Medium::Voice, q, SignedDuration::from_secs(100));
        for _ in 0..3 {
            e.waiting_changed(Medium::Voice, q, Priority::Standard, true);
        }
        e.waiting_changed(Medium::Voice, q, Priority::Urgent, true);
        // Standard: 4 ahead + itself = 5 × 100 s over 2 agents.
        assert_eq!(
            e.estimate(Medium::Voice, q, Priority::Standard, None),
            Some(SignedDuration::from_secs(250))
        );
        // Urgent: 1 ahead + itself.
        assert_eq!(
            e.estimate(Medium::Voice, q, Priority::Urgent, None),
            Some(SignedDuration::from_secs(100))
        );
        e.handled(Medium::Voice, q, SignedDuration::from_secs(200));
        assert!((e.handle_time(Medium::Voice, q) - 110.0).abs() < 1e-9);
    }
}
