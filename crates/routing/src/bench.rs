//! `helpline bench routing`: routing decisions at contact-centre scale.
//!
//! Fills an engine with `agents` agents (five hubs, two departments and one or two languages
//! each, one in seven a chat agent) and `waiting_contacts` waiting contacts over `queues`
//! department × language queues, then times `decisions` routing decisions, alternating:
//! an agent finishes a contact and is offered the best one it may take, and a new contact
//! arrives and looks for a free agent (usually queueing). Each timed call also runs the timers
//! that fell due (waiting contacts widening their search). Engine time advances 5 ms per decision.

use std::time::{Duration, Instant};

use domain::{ContactId, Department, Lang, Reason, Tier, Timestamp};
use jiff::SignedDuration;
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::engine::Engine;
use crate::error::RoutingError;
use crate::event::{Event, EventKind};
use crate::model::{AgentProfile, Availability, Capacity, ContactKind, Hub, NewContact, QueueKey};
use crate::policy::Policy;
use crate::simulate::{agent_id, contact_id};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BenchOptions {
    pub agents: u32,
    pub waiting_contacts: u32,
    pub queues: u32,
    pub decisions: u32,
    pub seed: u64,
}

impl Default for BenchOptions {
    fn default() -> Self {
        Self {
            agents: 10_000,
            waiting_contacts: 100_000,
            queues: 50,
            decisions: 200_000,
            seed: 1,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchReport {
    pub agents: u32,
    pub waiting_contacts: u32,
    pub queues: u32,
    pub decisions: u64,
    /// Decisions divided by the time spent inside the timed engine calls.
    pub decisions_per_second: f64,
    pub p50_micros: f64,
    pub p99_micros: f64,
    pub p999_micros: f64,
    pub max_micros: f64,
    /// Contacts offered by the timed decisions (a finishing agent usually gets the next one).
    pub offers: u64,
    pub setup_seconds: f64,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BenchError {
    #[error("queues must be between 1 and {max} (departments × languages)")]
    Queues { max: usize },
    #[error("agents, waiting contacts and decisions must each be at least 1")]
    Empty,
    #[error("routing failed during the benchmark: {0}")]
    Routing(#[from] RoutingError),
}

const START: Timestamp = Timestamp::constant(1_767_618_000, 0); // Monday 13:00 UTC
const STEP: SignedDuration = SignedDuration::from_millis(5);

struct Bench {
    engine: Engine,
    rng: Xoshiro256PlusPlus,
    queues: Vec<QueueKey>,
    agents: u32,
    now: Timestamp,
    next_contact: u64,
    /// Connected contacts, any of which may finish next.
    connected: Vec<ContactId>,
}

impl Bench {
    fn new(options: &BenchOptions) -> Result<Self, BenchError> {
        let max = Department::ALL.len() * Lang::ALL.len();
        let count = options.queues as usize;
        if count == 0 || count > max {
            return Err(BenchError::Queues { max });
        }
        let queues = (0..count)
            .map(|q| QueueKey {
                department: Department::ALL[q % Department::ALL.len()],
                lang: Lang::ALL[q / Department::ALL.len()],
            })
            .collect();
        let policy = Policy {
            max_wrap_up_secs: 0,
            offer_timeout_secs: 60,
            ..Policy::default()
        };
        Ok(Self {
            engine: Engine::new(policy, START)?,
            rng: Xoshiro256PlusPlus::seed_from_u64(options.seed),
            queues,
            agents: options.agents,
            now: START,
            next_contact: 0,
            connected: Vec::new(),
        })
    }

    fn queue(&mut self) -> QueueKey {
        self.queues[self.rng.random_range(0..self.queues.len())]
    }

    fn skill(&mut self) -> u8 {
        self.rng.random_range(1..=5)
    }

    fn add_agents(&mut self) -> Result<(), RoutingError> {
        for n in 0..self.agents {
            let (home, other) = (self.queues[n as usize % self.queues.len()], self.queue());
            let mut languages = std::collections::BTreeMap::from([(home.lang, self.skill())]);
            if self.rng.random_bool(0.3) {
                languages.insert(other.lang, self.skill());
            }
            let profile = AgentProfile {
                id: agent_id(u64::from(n)),
                hub: Hub::ALL[n as usize % Hub::ALL.len()],
                departments: [
                    (home.department, self.skill()),
                    (other.department, self.skill()),
                ]
                .into(),
                languages,
                tiers: Tier::ALL.iter().copied().collect(),
                capacity: if n % 7 == 0 {
                    Capacity::digital(3)
                } else {
                    Capacity::VOICE
                },
            };
            self.engine.upsert_agent(profile, self.now)?;
            self.engine.set_availability(
                agent_id(u64::from(n)),
                Availability::Available,
                self.now,
            )?;
        }
        Ok(())
    }

    fn new_contact(&mut self, waited_secs: f64) -> NewContact {
        let queue = self.queue();
        let kind = match self.rng.random::<f64>() {
            x if x < 0.75 => ContactKind::Call,
            x if x < 0.90 => ContactKind::Chat,
            x if x < 0.95 => ContactKind::Message,
            _ => ContactKind::Callback,
        };
        let reason = match self.rng.random::<f64>() {
            x if x < 0.08 => Reason::Fraud,
            x if x < 0.12 => Reason::LostStolen,
            _ => Reason::General,
        };
        let tier = Tier::ALL[self.rng.random_range(0..Tier::ALL.len())];
        let arrived = self
            .now
            .checked_sub(SignedDuration::from_secs_f64(waited_secs))
            .unwrap_or(self.now);
        let mut contact = NewContact::new(
            contact_id(self.next_contact),
            kind,
            reason,
            tier,
            queue.lang,
            arrived,
        );
        self.next_contact += 1;
        contact.department = queue.department;
        if self.rng.random_bool(0.01) {
            contact.relationship_manager =
                Some(agent_id(u64::from(self.rng.random_range(0..self.agents))));
        }
        contact
    }

    /// Agents accept every offer (untimed); returns how many offers there were.
    fn accept_offers(&mut self, events: &[Event]) -> Result<u64, RoutingError> {
        let mut offers = 0;
        for event in events {
            if let EventKind::Offered { contact, agent, .. } = event.kind {
                self.engine.accept(contact, agent, self.now)?;
                self.connected.push(contact);
                offers += 1;
            }
        }
        Ok(offers)
    }

    /// Arrivals (already waiting up to five minutes) until `target` contacts wait.
    fn fill_queues(&mut self, target: u32) -> Result<(), RoutingError> {
        let mut waiting = 0u64;
        while waiting < u64::from(target) {
            self.now = self
                .now
                .checked_add(SignedDuration::from_micros(100))
                .unwrap_or(self.now);
            let waited = self.rng.random_range(0.0..300.0);
            let contact = self.new_contact(waited);
            let events = self.engine.arrive(contact, self.now)?;
            waiting += 1;
            waiting -= self.accept_offers(&events)?;
        }
        Ok(())
    }

    /// One timed decision; returns its duration and the offers it made.
    fn decide(&mut self, finish: bool) -> Result<(Duration, u64), RoutingError> {
        self.now = self.now.checked_add(STEP).unwrap_or(self.now);
        let (events, took) = if finish && !self.connected.is_empty() {
            let i = self.rng.random_range(0..self.connected.len());
            let contact = self.connected.swap_remove(i);
            let started = Instant::now();
            let events = self.engine.complete(contact, self.now)?;
            (events, started.elapsed())
        } else {
            let contact = self.new_contact(0.0);
            let started = Instant::now();
            let events = self.engine.arrive(contact, self.now)?;
            (events, started.elapsed())
        };
        Ok((took, self.accept_offers(&events)?))
    }
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    let last = sorted.len().saturating_sub(1);
    let i = ((last as f64) * p).round() as usize;
    sorted
        .get(i.min(last))
        .map_or(0.0, |ns| *ns as f64 / 1000.0)
}

/// Runs the benchmark; `progress` hears what it is doing.
pub fn run(
    options: &BenchOptions,
    mut progress: impl FnMut(&str),
) -> Result<BenchReport, BenchError> {
    if options.agents == 0 || options.waiting_contacts == 0 || options.decisions == 0 {
        return Err(BenchError::Empty);
    }
    let setup = Instant::now();
    let mut bench = Bench::new(options)?;
    progress(&format!("adding {} agents", options.agents));
    bench.add_agents()?;
    progress(&format!("queueing {} contacts", options.waiting_contacts));
    bench.fill_queues(options.waiting_contacts)?;
    let setup_seconds = setup.elapsed().as_secs_f64();
    progress(&format!("timing {} decisions", options.decisions));
    let mut samples = Vec::with_capacity(options.decisions as usize);
    let mut offers = 0;
    for i in 0..options.decisions {
        let (took, offered) = bench.decide(i % 2 == 0)?;
        samples.push(u64::try_from(took.as_nanos()).unwrap_or(u64::MAX));
        offers += offered;
    }
    let total_secs = samples.iter().sum::<u64>() as f64 / 1e9;
    samples.sort_unstable();
    Ok(BenchReport {
        agents: options.agents,
        waiting_contacts: options.waiting_contacts,
        queues: options.queues,
        decisions: samples.len() as u64,
        decisions_per_second: samples.len() as f64 / total_secs.max(f64::MIN_POSITIVE),
        p50_micros: percentile(&samples, 0.50),
        p99_micros: percentile(&samples, 0.99),
        p999_micros: percentile(&samples, 0.999),
        max_micros: percentile(&samples, 1.0),
        offers,
        setup_seconds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_run_reports_its_figures() {
        let options = BenchOptions {
            agents: 50,
            waiting_contacts: 300,
            queues: 5,
            decisions: 400,
            seed: 3,
        };
        let mut heard = Vec::new();
        let report = run(&options, |m| heard.push(m.to_owned())).unwrap();
        assert_eq!(report.decisions, 400);
        assert!(report.offers > 50, "{report:?}");
        assert!(report.p50_micros <= report.p99_micros && report.p99_micros <= report.max_micros);
        assert_eq!(heard.len(), 3);
        let too_many = BenchOptions {
            queues: 500,
            ..options
        };
        assert!(matches!(
            run(&too_many, |_| {}),
            Err(BenchError::Queues { max: 135 })
        ));
    }

    #[test]
    fn percentiles_pick_from_the_sorted_samples() {
        let samples: Vec<u64> = (1..=1000).map(|i| i * 1000).collect();
        assert_eq!(percentile(&samples, 0.5), 501.0);
        assert_eq!(percentile(&samples, 0.99), 990.0);
        assert_eq!(percentile(&samples, 1.0), 1000.0);
        assert_eq!(percentile(&[], 0.99), 0.0);
    }
}
