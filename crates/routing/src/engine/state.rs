//! Reading the engine's state: views for consoles and tests, and the record the edge persists
//! to rebuild the engine after a restart.

use std::collections::BTreeMap;

use domain::{AgentId, ContactId, Department, Lang, Reason, Tier, Timestamp};
use serde::{Deserialize, Serialize};

use super::{Agent, Contact, Engine, Stage, Timer, TimerClass, later};
use crate::error::RoutingError;
use crate::event::Event;
use crate::figures::{
    Counters, FiguresSnapshot, HubFigures, KindFigures, QueueFigures, Slice, TierFigures,
};
use crate::model::{
    AgentProfile, Availability, ContactKind, Hub, Medium, NewContact, Presence, Priority, QueueKey,
    Reach,
};
use crate::policy::Policy;

/// An agent as the console shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentStatus {
    pub id: AgentId,
    pub hub: Hub,
    pub availability: Availability,
    pub presence: Presence,
    pub ready_since: Timestamp,
    pub offered: Vec<ContactId>,
    pub connected: Vec<ContactId>,
    pub wrap_up_started: Option<Timestamp>,
}

/// Where a contact is in routing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum ContactPhase {
    /// Waiting for the cardholder's relationship manager only.
    WaitingForManager {
        manager: AgentId,
    },
    Waiting {
        reach: Reach,
    },
    Offered {
        agent: AgentId,
        expires_at: Timestamp,
    },
    Connected {
        agent: AgentId,
        answered_at: Timestamp,
    },
}

/// A contact as the console and the tests see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactStatus {
    pub id: ContactId,
    pub kind: ContactKind,
    pub queue: QueueKey,
    pub reason: Reason,
    pub tier: Tier,
    pub priority: Priority,
    pub home_hub: Hub,
    pub arrived_at: Timestamp,
    pub relationship_manager: Option<AgentId>,
    pub phase: ContactPhase,
    pub declined_by: Vec<AgentId>,
}

/// Everything needed to rebuild the engine: persist it (whole, or row by row from the events)
/// and pass it to [`Engine::restore`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineState {
    pub at: Timestamp,
    pub agents: Vec<AgentRecord>,
    pub contacts: Vec<ContactRecord>,
    pub figures_since: Timestamp,
    pub counters: Vec<SliceCounters>,
    /// Smoothed handle times per medium and queue, in seconds.
    pub handle_times: Vec<(Medium, QueueKey, f64)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentRecord {
    pub profile: AgentProfile,
    pub availability: Availability,
    pub ready_since: Timestamp,
    pub wrap_up_started: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactRecord {
    pub contact: NewContact,
    pub status: RecordedStatus,
    pub declined_by: Vec<AgentId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum RecordedStatus {
    /// Waiting (for its manager or anyone): the engine works out which again.
    Waiting,
    Offered {
        agent: AgentId,
        expires_at: Timestamp,
    },
    Connected {
        agent: AgentId,
        answered_at: Timestamp,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SliceCounters {
    pub slice: Slice,
    pub counters: Counters,
}

impl Engine {
    fn agent_status(&self, agent: &Agent) -> AgentStatus {
        let ids = |connected: bool| {
            agent
                .contacts
                .iter()
                .map(|c| &self.contacts[*c as usize])
                .filter(|k| matches!(k.stage, Stage::Connected { .. }) == connected)
                .map(|k| k.info.id)
                .collect()
        };
        AgentStatus {
            id: agent.profile.id,
            hub: agent.profile.hub,
            availability: agent.availability,
            presence: agent.presence(),
            ready_since: agent.ready_since,
            offered: ids(false),
            connected: ids(true),
            wrap_up_started: agent.wrap_up.map(|(started, _)| started),
        }
    }

    fn agent_id(&self, a: u32) -> AgentId {
        self.agents[a as usize].profile.id
    }

    fn contact_status(&self, k: &Contact) -> ContactStatus {
        let phase = match k.stage {
            Stage::Held { manager } => ContactPhase::WaitingForManager {
                manager: self.agent_id(manager),
            },
            Stage::Waiting { reach } => ContactPhase::Waiting { reach },
            // Unrouted exists only inside an operation.
            Stage::Unrouted => ContactPhase::Waiting {
                reach: Reach::HomeHub,
            },
            Stage::Offered { agent, expires_at } => ContactPhase::Offered {
                agent: self.agent_id(agent),
                expires_at,
            },
            Stage::Connected { agent, answered_at } => ContactPhase::Connected {
                agent: self.agent_id(agent),
                answered_at,
            },
        };
        ContactStatus {
            id: k.info.id,
            kind: k.info.kind,
            queue: k.info.queue(),
            reason: k.info.reason,
            tier: k.info.tier,
            priority: k.priority,
            home_hub: k.home_hub,
            arrived_at: k.info.arrived_at,
            relationship_manager: k.info.relationship_manager,
            phase,
            declined_by: k.declined_by.iter().map(|a| self.agent_id(*a)).collect(),
        }
    }

    pub fn agent(&self, id: AgentId) -> Option<AgentStatus> {
        let a = *self.agent_slots.get(&id)?;
        Some(self.agent_status(&self.agents[a as usize]))
    }

    pub fn agent_profile(&self, id: AgentId) -> Option<&AgentProfile> {
        let a = *self.agent_slots.get(&id)?;
        Some(&self.agents[a as usize].profile)
    }

    /// Every registered agent, in registration order.
    pub fn agents(&self) -> impl Iterator<Item = AgentStatus> + '_ {
        self.agents.iter().map(|a| self.agent_status(a))
    }

    pub fn contact(&self, id: ContactId) -> Option<ContactStatus> {
        let c = *self.contact_slots.get(&id)?;
        Some(self.contact_status(&self.contacts[c as usize]))
    }

    /// Every contact in routing (waiting, offered or connected), in no particular order.
    pub fn contacts(&self) -> impl Iterator<Item = ContactStatus> + '_ {
        self.contacts.iter().map(|(_, k)| self.contact_status(k))
    }

    /// Restarts the counters (waiting contacts stay).
    pub fn reset_figures(&mut self, now: Timestamp) {
        self.book.reset(now.max(self.now));
    }

    /// Live figures per queue, hub, tier and kind, for `/metrics` and the dashboard.
    pub fn figures(&self, now: Timestamp) -> FiguresSnapshot {
        let now = now.max(self.now);
        let mut presence_by_hub: BTreeMap<Hub, BTreeMap<Presence, u32>> = Hub::ALL
            .iter()
            .map(|h| (*h, Presence::ALL.iter().map(|p| (*p, 0)).collect()))
            .collect();
        for agent in &self.agents {
            if let Some(n) = presence_by_hub
                .get_mut(&agent.profile.hub)
                .and_then(|m| m.get_mut(&agent.presence()))
            {
                *n += 1;
            }
        }
        let open: Vec<Hub> = self.rules.open_hubs(now).collect();
        let mut queues = Vec::new();
        for department in Department::ALL {
            for lang in Lang::ALL {
                let (department, lang) = (*department, *lang);
                let queue = QueueKey { department, lang };
                let slice = Slice::Queue { department, lang };
                let staffed_voice = self.estimator.staffed(Medium::Voice, queue);
                let staffed_digital_slots = self.estimator.staffed(Medium::Digital, queue);
                if !self.book.has_activity(slice) && staffed_voice + staffed_digital_slots == 0 {
                    continue;
                }
                queues.push(QueueFigures {
                    department,
                    lang,
                    staffed_voice,
                    staffed_digital_slots,
                    estimated_wait_secs: self
                        .estimator
                        .estimate(
                            Medium::Voice,
                            queue,
                            Priority::Standard,
                            self.rules.language_step(),
                        )
                        .map(|d| d.as_secs_f64()),
                    figures: self.book.figures(slice, now),
                });
            }
        }
        let mut hubs: Vec<HubFigures> = presence_by_hub
            .into_iter()
            .map(|(hub, agents)| HubFigures {
                hub,
                open: open.contains(&hub),
                agents,
                figures: self.book.figures(Slice::Hub { hub }, now),
            })
            .collect();
        hubs.sort_by_key(|h| self.rules.hub_rank(h.hub));
        FiguresSnapshot {
            at: now,
            since: self.book.since(),
            total: self.book.figures(Slice::Total, now),
            queues,
            hubs,
            tiers: Tier::ALL
                .iter()
                .filter(|t| self.book.has_activity(Slice::Tier { tier: **t }))
                .map(|t| TierFigures {
                    tier: *t,
                    figures: self.book.figures(Slice::Tier { tier: *t }, now),
                })
                .collect(),
            kinds: ContactKind::ALL
                .iter()
                .filter(|k| self.book.has_activity(Slice::Kind { kind: **k }))
                .map(|k| KindFigures {
                    kind: *k,
                    figures: self.book.figures(Slice::Kind { kind: *k }, now),
                })
                .collect(),
        }
    }

    /// The state to persist.
    pub fn state(&self) -> EngineState {
        EngineState {
            at: self.now,
            agents: self.agents.iter().map(|a| self.agent_record(a)).collect(),
            contacts: self
                .contacts
                .iter()
                .map(|(_, k)| self.contact_record(k))
                .collect(),
            figures_since: self.book.since(),
            counters: self.slice_counters(),
            handle_times: self.estimator.handle_times(),
        }
    }

    /// One agent's persisted row, for edges that keep rows current from the events.
    pub fn agent_row(&self, id: AgentId) -> Option<AgentRecord> {
        let a = *self.agent_slots.get(&id)?;
        Some(self.agent_record(&self.agents[a as usize]))
    }

    /// One contact's persisted row; `None` once it was completed or abandoned.
    pub fn contact_row(&self, id: ContactId) -> Option<ContactRecord> {
        let c = *self.contact_slots.get(&id)?;
        Some(self.contact_record(&self.contacts[c as usize]))
    }

    /// The figure counters to persist (see [`EngineState::counters`]).
    pub fn slice_counters(&self) -> Vec<SliceCounters> {
        self.book
            .counters()
            .into_iter()
            .map(|(slice, counters)| SliceCounters { slice, counters })
            .collect()
    }

    /// Smoothed handle times to persist (see [`EngineState::handle_times`]).
    pub fn handle_times(&self) -> Vec<(Medium, QueueKey, f64)> {
        self.estimator.handle_times()
    }

    /// When the figure counters started.
    pub fn figures_since(&self) -> Timestamp {
        self.book.since()
    }

    fn agent_record(&self, a: &Agent) -> AgentRecord {
        AgentRecord {
            profile: a.profile.clone(),
            availability: a.availability,
            ready_since: a.ready_since,
            wrap_up_started: a.wrap_up.map(|(started, _)| started),
        }
    }

    fn contact_record(&self, k: &Contact) -> ContactRecord {
        ContactRecord {
            contact: k.info.clone(),
            status: match k.stage {
                Stage::Offered { agent, expires_at } => RecordedStatus::Offered {
                    agent: self.agent_id(agent),
                    expires_at,
                },
                Stage::Connected { agent, answered_at } => RecordedStatus::Connected {
                    agent: self.agent_id(agent),
                    answered_at,
                },
                Stage::Held { .. } | Stage::Waiting { .. } | Stage::Unrouted => {
                    RecordedStatus::Waiting
                }
            },
            declined_by: k.declined_by.iter().map(|a| self.agent_id(*a)).collect(),
        }
    }

    /// Rebuilds an engine from persisted state (under a possibly changed policy). Waiting
    /// contacts are routed again in answer order, so the returned events may contain offers.
    /// Call [`Engine::tick`] with the current time afterwards to run what fell due meanwhile.
    pub fn restore(
        policy: Policy,
        state: EngineState,
    ) -> Result<(Engine, Vec<Event>), RoutingError> {
        let mut engine = Engine::new(policy, state.at)?;
        engine.book.restore_counters(
            state.figures_since,
            &state
                .counters
                .iter()
                .map(|s| (s.slice, s.counters))
                .collect::<Vec<_>>(),
        );
        for (medium, queue, secs) in state.handle_times {
            engine.estimator.restore_handle_time(medium, queue, secs);
        }
        for record in state.agents {
            super::validate_profile(&record.profile)?;
            let id = record.profile.id;
            if engine.agent_slots.contains_key(&id) {
                return Err(RoutingError::InconsistentState(format!(
                    "agent {id} is listed twice"
                )));
            }
            let a = engine.agents.len() as u32;
            let mut agent = Agent::new(record.profile, record.ready_since);
            agent.availability = record.availability;
            if let (Some(started), Some(max)) = (record.wrap_up_started, engine.rules.max_wrap_up) {
                let key =
                    engine.set_timer(later(started, max), TimerClass::WrapUpEnd, Timer::Agent(a));
                agent.wrap_up = Some((started, key));
            }
            engine.agent_slots.insert(id, a);
            engine.agents.push(agent);
            if record.availability == Availability::Available {
                engine.staffing(a, true);
            }
        }

        let mut waiting = Vec::new();
        for record in state.contacts {
            let id = record.contact.id;
            if engine.contact_slots.contains_key(&id) {
                return Err(RoutingError::InconsistentState(format!(
                    "contact {id} is listed twice"
                )));
            }
            let lang = record.contact.lang;
            let home_hub = record
                .contact
                .home_hub
                .unwrap_or_else(|| engine.rules.home_hub(lang, state.at));
            let priority = engine
                .rules
                .priority(record.contact.reason, record.contact.tier);
            let c = engine.admit(record.contact, home_hub, priority);
            let slot = |agent: AgentId| {
                engine.agent_slots.get(&agent).copied().ok_or_else(|| {
                    RoutingError::InconsistentState(format!(
                        "contact {id} refers to agent {agent}, who is not in the state"
                    ))
                })
            };
            let declined: Vec<u32> = record
                .declined_by
                .iter()
                .filter_map(|a| slot(*a).ok())
                .collect();
            let stage = match record.status {
                RecordedStatus::Waiting => None,
                RecordedStatus::Offered { agent, expires_at } => Some(Stage::Offered {
                    agent: slot(agent)?,
                    expires_at,
                }),
                RecordedStatus::Connected { agent, answered_at } => Some(Stage::Connected {
                    agent: slot(agent)?,
                    answered_at,
                }),
            };
            let k = &mut engine.contacts[c as usize];
            k.declined_by = declined;
            let (slices, arrived_at, seq, medium, queue) = (
                k.slices,
                k.info.arrived_at,
                k.seq,
                k.medium(),
                k.info.queue(),
            );
            match stage {
                None => {
                    engine.book.resumed(slices, arrived_at, seq);
                    waiting.push(c);
                }
                Some(Stage::Offered { agent, expires_at }) => {
                    engine.book.resumed(slices, arrived_at, seq);
                    engine.attach(c, agent, Stage::Offered { agent, expires_at });
                    let key =
                        engine.set_timer(expires_at, TimerClass::OfferExpiry, Timer::Contact(c));
                    engine.contacts[c as usize].timer = Some(key);
                }
                Some(stage @ Stage::Connected { agent, .. }) => {
                    // A connected contact no longer counts as waiting.
                    engine
                        .estimator
                        .waiting_changed(medium, queue, priority, false);
                    engine.attach(c, agent, stage);
                }
                Some(_) => {}
            }
        }

        for a in 0..engine.agents.len() as u32 {
            engine.reindex(a);
            let agent = &mut engine.agents[a as usize];
            agent.shown = agent.presence();
        }
        engine.place_best_first(waiting);
        for a in 0..engine.agents.len() as u32 {
            engine.refresh_agent(a);
        }
        let events = engine.take_events();
        Ok((engine, events))
    }

    /// Puts a restored offered or connected contact on its agent.
    fn attach(&mut self, c: u32, a: u32, stage: Stage) {
        let medium = self.contacts[c as usize].medium();
        self.contacts[c as usize].stage = stage;
        let agent = &mut self.agents[a as usize];
        agent.contacts.push(c);
        *agent.load_mut(medium) += 1;
    }
}
