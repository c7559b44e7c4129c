//! A discrete-event simulation of a day of traffic through the real [`Engine`]: one queue, one
//! skill, `agents` identical phone agents, Poisson arrivals and exponential handle times unless
//! configured otherwise. Agents accept offers at once, so the wait measured is the queueing
//! delay alone, which makes the result comparable with [`crate::erlang`].

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap};

use domain::{AgentId, ContactId, Department, Lang, Reason, Tier, Timestamp};
use jiff::SignedDuration;
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::engine::Engine;
use crate::error::RoutingError;
use crate::event::{Event, EventKind};
use crate::model::{AgentProfile, Availability, Capacity, ContactKind, Hub, NewContact};
use crate::policy::{AnswerTargets, Policy};

/// The settings of `helpline routing simulate`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulationOptions {
    pub agents: u32,
    pub arrivals_per_hour: f64,
    /// Mean handle time.
    pub handle_seconds: f64,
    /// How long contacts keep arriving; the simulation then runs until every contact is done.
    pub hours: f64,
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Answer target for the service level.
    #[serde(default = "default_target")]
    pub target_seconds: u32,
    /// Mean patience (exponentially distributed) after which a waiting caller hangs up;
    /// `None` turns abandonment off.
    #[serde(default)]
    pub patience_seconds: Option<f64>,
    #[serde(default)]
    pub arrivals: Distribution,
    #[serde(default)]
    pub handle_times: Distribution,
}

fn default_seed() -> u64 {
    1
}

fn default_target() -> u32 {
    20
}

impl SimulationOptions {
    /// Options with the defaults for everything but the four required settings.
    pub fn new(agents: u32, arrivals_per_hour: f64, handle_seconds: f64, hours: f64) -> Self {
        Self {
            agents,
            arrivals_per_hour,
            handle_seconds,
            hours,
            seed: default_seed(),
            target_seconds: default_target(),
            patience_seconds: None,
            arrivals: Distribution::default(),
            handle_times: Distribution::default(),
        }
    }
}

/// How intervals between arrivals and handle times vary around their mean.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Distribution {
    /// Memoryless (Poisson arrivals, exponential handle times).
    #[default]
    Exponential,
    /// Always exactly the mean.
    Constant,
}

impl Distribution {
    pub(crate) fn sample(self, mean: f64, rng: &mut Xoshiro256PlusPlus) -> f64 {
        match self {
            // 1 − u lies in (0, 1], so the logarithm is finite.
            Distribution::Exponential => -mean * (1.0 - rng.random::<f64>()).ln(),
            Distribution::Constant => mean,
        }
    }
}

/// The result of a run, printed by `helpline routing simulate --json` with exactly these keys.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SimulationReport {
    /// Contacts that arrived.
    pub offered: u64,
    pub answered: u64,
    pub abandoned: u64,
    /// Answered within the target ÷ (answered + abandoned); 0 if no contact arrived.
    pub service_level: f64,
    /// Mean wait of answered contacts.
    pub asa_seconds: f64,
    /// Share of the agents' time spent handling contacts while contacts were arriving.
    pub occupancy: f64,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SimulationError {
    #[error("{name} must be a positive number, got {value}")]
    NotPositive { name: &'static str, value: f64 },
    #[error("agents must be at least 1")]
    NoAgents,
    #[error(
        "the run would have about {expected} contacts; keep arrivals-per-hour × hours under {limit}"
    )]
    TooLarge { expected: f64, limit: f64 },
    #[error("routing failed during the simulation: {0}")]
    Routing(#[from] RoutingError),
}

const MAX_CONTACTS: f64 = 20_000_000.0;

/// When the simulated day starts (a Monday; only the differences matter).
const DAY_START: Timestamp = Timestamp::constant(1_767_571_200, 0);

/// Ids that do not depend on the wall clock, so a run is reproducible.
pub(crate) fn agent_id(n: u64) -> AgentId {
    AgentId(uuid::Uuid::from_u128(u128::from(n) + 1))
}

pub(crate) fn contact_id(n: u64) -> ContactId {
    ContactId(uuid::Uuid::from_u128(CONTACT_ID_BASE + u128::from(n)))
}

fn contact_number(id: ContactId) -> u64 {
    id.0.as_u128().wrapping_sub(CONTACT_ID_BASE) as u64
}

const CONTACT_ID_BASE: u128 = 1 << 64;

fn check_positive(name: &'static str, value: f64) -> Result<(), SimulationError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(SimulationError::NotPositive { name, value })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Happening {
    Arrival,
    Abandon(u64),
    Complete(u64),
}

/// Runs the simulation.
pub fn run(options: &SimulationOptions) -> Result<SimulationReport, SimulationError> {
    run_with_progress(options, |_| {})
}

/// Runs the simulation, telling `progress` the share of the arrival period simulated so far
/// (after each simulated hour, and 1.0 at the end).
pub fn run_with_progress(
    options: &SimulationOptions,
    mut progress: impl FnMut(f64),
) -> Result<SimulationReport, SimulationError> {
    check_positive("arrivals_per_hour", options.arrivals_per_hour)?;
    check_positive("handle_seconds", options.handle_seconds)?;
    check_positive("hours", options.hours)?;
    if let Some(p) = options.patience_seconds {
        check_positive("patience_seconds", p)?;
    }
    if options.agents == 0 {
        return Err(SimulationError::NoAgents);
    }
    let expected = options.arrivals_per_hour * options.hours;
    if expected > MAX_CONTACTS {
        return Err(SimulationError::TooLarge {
            expected,
            limit: MAX_CONTACTS,
        });
    }
    let report = Simulation::new(options)?.run(&mut progress)?;
    progress(1.0);
    Ok(report)
}

struct Simulation<'a> {
    options: &'a SimulationOptions,
    engine: Engine,
    rng: Xoshiro256PlusPlus,
    queue: BinaryHeap<Reverse<(Timestamp, u64, Happening)>>,
    seq: u64,
    end_of_arrivals: Timestamp,
    arrivals: u64,
    /// Contacts not yet answered (only they can abandon).
    unanswered: BTreeSet<u64>,
    busy_secs: f64,
}

impl<'a> Simulation<'a> {
    fn new(options: &'a SimulationOptions) -> Result<Self, RoutingError> {
        let target = options.target_seconds;
        let policy = Policy {
            answer_targets: AnswerTargets {
                urgent_secs: target,
                premium_secs: target,
                standard_secs: target,
                message_secs: target,
            },
            max_wrap_up_secs: 0,
            ..Policy::default()
        };
        let mut engine = Engine::new(policy, DAY_START)?;
        for n in 0..u64::from(options.agents) {
            let profile = AgentProfile {
                id: agent_id(n),
                hub: Hub::NewYork,
                departments: [(Department::General, 3)].into(),
                languages: [(Lang::En, 3)].into(),
                tiers: [Tier::Green].into(),
                capacity: Capacity::VOICE,
            };
            engine.upsert_agent(profile, DAY_START)?;
            engine.set_availability(agent_id(n), Availability::Available, DAY_START)?;
        }
        let hours = SignedDuration::from_secs_f64(options.hours * 3600.0);
        Ok(Self {
            options,
            engine,
            rng: Xoshiro256PlusPlus::seed_from_u64(options.seed),
            queue: BinaryHeap::new(),
            seq: 0,
            end_of_arrivals: DAY_START.checked_add(hours).unwrap_or(Timestamp::MAX),
            arrivals: 0,
            unanswered: BTreeSet::new(),
            busy_secs: 0.0,
        })
    }

    fn schedule(&mut self, at: Timestamp, what: Happening) {
        self.seq += 1;
        self.queue.push(Reverse((at, self.seq, what)));
    }

    fn after(&self, at: Timestamp, secs: f64) -> Timestamp {
        at.checked_add(SignedDuration::from_secs_f64(secs))
            .unwrap_or(Timestamp::MAX)
    }

    fn next_arrival(&mut self, from: Timestamp) {
        let gap = self
            .options
            .arrivals
            .sample(3600.0 / self.options.arrivals_per_hour, &mut self.rng);
        let at = self.after(from, gap);
        if at < self.end_of_arrivals {
            self.schedule(at, Happening::Arrival);
        }
    }

    fn run(mut self, progress: &mut dyn FnMut(f64)) -> Result<SimulationReport, SimulationError> {
        self.next_arrival(DAY_START);
        let hour = SignedDuration::from_hours(1);
        let mut next_report = DAY_START.checked_add(hour).unwrap_or(Timestamp::MAX);
        loop {
            let next = self.queue.peek().map(|Reverse((at, _, _))| *at);
            // The engine's own timers (widening, offer expiry) run at their own instants.
            if let (Some(wake), Some(next)) = (self.engine.next_wakeup(), next)
                && wake <= next
            {
                let events = self.engine.tick(wake);
                self.absorb(events, wake)?;
                continue;
            }
            let Some(Reverse((now, _, what))) = self.queue.pop() else {
                break;
            };
            if now >= next_report && now < self.end_of_arrivals {
                let done =
                    now.duration_since(DAY_START).as_secs_f64() / (self.options.hours * 3600.0);
                progress(done);
                next_report = now.checked_add(hour).unwrap_or(Timestamp::MAX);
            }
            let events = match what {
                Happening::Arrival => {
                    let n = self.arrivals;
                    self.arrivals += 1;
                    let mut contact = NewContact::new(
                        contact_id(n),
                        ContactKind::Call,
                        Reason::General,
                        Tier::Green,
                        Lang::En,
                        now,
                    );
                    contact.home_hub = Some(Hub::NewYork);
                    if let Some(patience) = self.options.patience_seconds {
                        let gives_up = Distribution::Exponential.sample(patience, &mut self.rng);
                        let at = self.after(now, gives_up);
                        self.schedule(at, Happening::Abandon(n));
                    }
                    self.unanswered.insert(n);
                    self.next_arrival(now);
                    self.engine.arrive(contact, now)?
                }
                Happening::Abandon(n) => {
                    if !self.unanswered.remove(&n) {
                        continue;
                    }
                    self.engine.abandon(contact_id(n), now)?
                }
                Happening::Complete(n) => self.engine.complete(contact_id(n), now)?,
            };
            self.absorb(events, now)?;
        }
        let total = self.engine.figures(self.engine.now()).total;
        let c = total.counters;
        let agent_secs = f64::from(self.options.agents) * self.options.hours * 3600.0;
        Ok(SimulationReport {
            offered: c.offered,
            answered: c.answered,
            abandoned: c.abandoned,
            service_level: total.service_level.unwrap_or(0.0),
            asa_seconds: total.asa_secs.unwrap_or(0.0),
            occupancy: self.busy_secs / agent_secs,
        })
    }

    /// Agents accept every offer at once; each accepted contact is scheduled to complete.
    fn absorb(&mut self, events: Vec<Event>, now: Timestamp) -> Result<(), RoutingError> {
        for event in events {
            let EventKind::Offered { contact, agent, .. } = event.kind else {
                continue;
            };
            self.engine.accept(contact, agent, now)?;
            let n = contact_number(contact);
            self.unanswered.remove(&n);
            let handle = self
                .options
                .handle_times
                .sample(self.options.handle_seconds, &mut self.rng);
            let done = self.after(now, handle);
            let window_end = self.end_of_arrivals;
            self.busy_secs += window_end
                .min(done)
                .duration_since(window_end.min(now))
                .as_secs_f64();
            self.schedule(done, Happening::Complete(n));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_has_exactly_the_documented_keys() {
        let mut heard = Vec::new();
        let report = run_with_progress(&SimulationOptions::new(3, 60.0, 120.0, 2.0), |f| {
            heard.push(f)
        })
        .unwrap();
        assert_eq!(heard.last(), Some(&1.0), "{heard:?}");
        assert!(heard.windows(2).all(|w| w[0] <= w[1]), "{heard:?}");
        let json = serde_json::to_string(&report).unwrap();
        let keys: Vec<&str> = json
            .trim_matches(['{', '}'])
            .split(',')
            .map(|field| field.split(':').next().unwrap().trim_matches('"'))
            .collect();
        assert_eq!(
            keys,
            [
                "offered",
                "answered",
                "abandoned",
                "service_level",
                "asa_seconds",
                "occupancy"
            ]
        );
        assert_eq!(report.answered + report.abandoned, report.offered);
        assert!(report.offered > 80 && report.offered < 170, "{report:?}");
    }

    #[test]
    fn same_seed_same_result_and_another_seed_differs() {
        let options = SimulationOptions::new(5, 120.0, 120.0, 3.0);
        assert_eq!(run(&options).unwrap(), run(&options).unwrap());
        let other = SimulationOptions {
            seed: 7,
            ..options.clone()
        };
        assert_ne!(run(&options).unwrap(), run(&other).unwrap());
    }

    #[test]
    fn constant_traffic_below_capacity_never_waits() {
        let options = SimulationOptions {
            arrivals: Distribution::Constant,
            handle_times: Distribution::Constant,
            ..SimulationOptions::new(2, 60.0, 100.0, 1.0)
        };
        let report = run(&options).unwrap();
        // One arrival a minute, 100 s each, two agents: nobody waits; occupancy 100/120.
        assert_eq!(report.asa_seconds, 0.0);
        assert_eq!(report.service_level, 1.0);
        assert!(
            (report.occupancy - 100.0 / 120.0).abs() < 0.02,
            "{report:?}"
        );
    }

    #[test]
    fn impatient_callers_abandon_an_overloaded_queue() {
        let options = SimulationOptions {
            patience_seconds: Some(30.0),
            ..SimulationOptions::new(2, 120.0, 180.0, 2.0)
        };
        let report = run(&options).unwrap();
        // 6 erlangs offered to 2 agents: most callers give up.
        assert!(report.abandoned > report.answered, "{report:?}");
        assert_eq!(report.answered + report.abandoned, report.offered);
        assert!(report.occupancy > 0.9, "{report:?}");
    }

    #[test]
    fn bad_options_are_refused_with_the_reason() {
        let err = run(&SimulationOptions::new(0, 60.0, 60.0, 1.0)).unwrap_err();
        assert_eq!(err, SimulationError::NoAgents);
        let err = run(&SimulationOptions::new(1, -5.0, 60.0, 1.0)).unwrap_err();
        assert!(err.to_string().contains("arrivals_per_hour"), "{err}");
        let err = run(&SimulationOptions::new(1, 1e9, 60.0, 24.0)).unwrap_err();
        assert!(matches!(err, SimulationError::TooLarge { .. }), "{err}");
        let options: SimulationOptions = serde_json::from_str(
            r#"{"agents": 3, "arrivals_per_hour": 10, "handle_seconds": 60, "hours": 1}"#,
        )
        .unwrap();
        assert_eq!(options, SimulationOptions::new(3, 10.0, 60.0, 1.0));
    }
}
