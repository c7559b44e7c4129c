//! The server's one routing engine (product §4). Every fact (an agent's presence, a contact
//! arriving, an accept) goes through [`Switchboard`]: the engine decides, the changed rows and
//! the engine's events (outbox) and audit rows are stored in one transaction, then the consoles
//! of the agents concerned are told to refresh. A background task runs the engine's timers
//! (offer timeouts, skill widening, wrap-up) and refreshes the `/metrics` gauges.

use std::collections::{BTreeSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use domain::{
    AgentId, CardholderId, Channel, Clock, ContactId, Department, Lang, Reason, Tier, Timestamp,
    UserId,
};
use routing::{
    AgentProfile, AgentStatus, Availability, ContactKind, ContactPhase, ContactStatus, Engine,
    Event, EventKind, FiguresSnapshot, Hub, NewContact, Policy, Presence, RoutingError,
};
use serde::Serialize;
use store::{AuditRecord, Effects, NewEvent, RoutingChanges, RoutingFigures, Store};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::error::ApiError;

pub use gauges::RoutingGauges;

mod gauges;

/// How long the dashboard's charts look back, and how often they take a sample.
const HISTORY_SAMPLES: usize = 240;
const SAMPLE_EVERY: jiff::SignedDuration = jiff::SignedDuration::from_secs(15);

pub struct Switchboard {
    engine: tokio::sync::Mutex<Engine>,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    /// Agents whose console should refresh.
    updates: broadcast::Sender<AgentId>,
    gauges: RoutingGauges,
    history: Mutex<VecDeque<Sample>>,
    /// Cancelled when the server stops, so that open consoles are closed.
    closing: CancellationToken,
}

/// A staff user as the router knows them: the same UUID.
pub fn agent_of(user: UserId) -> AgentId {
    AgentId(user.0)
}

/// One point of the dashboard's charts.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub at: Timestamp,
    pub waiting: u64,
    pub agents_available: u32,
    pub agents_busy: u32,
    pub service_level: Option<f64>,
}

/// A contact entering routing, from chat, the IVR, a callback or the API.
#[derive(Debug, Clone)]
pub struct ContactEntry {
    pub id: ContactId,
    pub kind: ContactKind,
    pub channel: Channel,
    pub reason: Reason,
    /// `None`: the department that handles `reason`.
    pub department: Option<Department>,
    pub tier: Tier,
    pub lang: Lang,
    pub relationship_manager: Option<UserId>,
    pub cardholder: Option<CardholderId>,
    /// `None`: follow-the-sun picks an open hub.
    pub home_hub: Option<Hub>,
    /// When the cardholder started waiting (e.g. in the IVR); `None`: now.
    pub waiting_since: Option<Timestamp>,
    /// The caller's own reference (a case, a conversation, an IVR call), shown to the agent.
    pub context_id: String,
}

/// What became of a contact that entered routing.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Entered {
    #[schema(value_type = String, format = Uuid)]
    pub contact_id: ContactId,
    /// `offered` (an agent is being asked) or `waiting`.
    pub status: String,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub offered_to: Option<AgentId>,
    /// What to announce to a waiting caller; absent when nobody who could answer is staffed.
    pub estimated_wait_secs: Option<f64>,
    /// The wait is long: offer the caller a callback.
    pub callback_suggested: bool,
}

/// A contact as an agent's console shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ContactCard {
    #[schema(value_type = String, format = Uuid)]
    pub id: ContactId,
    #[schema(value_type = String)]
    pub kind: ContactKind,
    #[schema(value_type = String)]
    pub reason: Reason,
    #[schema(value_type = String)]
    pub department: Department,
    #[schema(value_type = String)]
    pub tier: Tier,
    #[schema(value_type = String)]
    pub language: Lang,
    #[schema(value_type = String)]
    pub arrived_at: Timestamp,
    /// The caller's reference (case, conversation, call) to open.
    pub context_id: String,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub cardholder_id: Option<CardholderId>,
    pub channel: String,
    /// Offers only: when the offer goes to someone else, and how long is left.
    #[schema(value_type = Option<String>)]
    pub expires_at: Option<Timestamp>,
    pub seconds_left: Option<i64>,
    /// Connected contacts only.
    #[schema(value_type = Option<String>)]
    pub answered_at: Option<Timestamp>,
    /// What the contact's channel learned before routing (e.g. the IVR), for the agent.
    pub notes: Vec<String>,
}

/// An agent's console: presence, offers with their countdown, contacts in hand.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConsoleView {
    #[schema(value_type = String, format = Uuid)]
    pub agent: AgentId,
    /// What the agent asked for: available, break or offline.
    #[schema(value_type = String)]
    pub availability: Availability,
    /// What the agent is doing: available, on_contact, wrap_up, break or offline.
    #[schema(value_type = String)]
    pub presence: Presence,
    #[schema(value_type = Option<String>)]
    pub wrap_up_started: Option<Timestamp>,
    pub offers: Vec<ContactCard>,
    pub connected: Vec<ContactCard>,
    #[schema(value_type = String)]
    pub now: Timestamp,
}

/// An agent with skills and presence, for supervisors.
#[derive(Debug, Clone)]
pub struct AgentOverview {
    pub profile: AgentProfile,
    pub status: AgentStatus,
}

impl Switchboard {
    /// An empty engine; [`Switchboard::load`] fills it from the store before serving.
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        gauges: RoutingGauges,
    ) -> anyhow::Result<Self> {
        let engine = Engine::new(Policy::default(), clock.now())?;
        Ok(Self {
            engine: tokio::sync::Mutex::new(engine),
            store,
            clock,
            updates: broadcast::channel(256).0,
            gauges,
            history: Mutex::new(VecDeque::new()),
            closing: CancellationToken::new(),
        })
    }

    /// Rebuilds the engine from the stored rows; waiting contacts are offered again.
    pub async fn load(&self) -> anyhow::Result<()> {
        let mut engine = self.engine.lock().await;
        let now = self.clock.now();
        let state = self.store.routing_state(now).await?;
        let (restored, mut events) = Engine::restore(engine.policy().clone(), state)?;
        *engine = restored;
        events.extend(engine.tick(now));
        tracing::info!(
            agents = engine.agents().count(),
            contacts = engine.contacts().count(),
            "routing state restored"
        );
        self.save(&engine, &events, &[], Vec::new()).await?;
        self.refresh_gauges(&engine, now);
        Ok(())
    }

    /// Consoles to refresh: each message names an agent whose console changed.
    pub fn subscribe(&self) -> broadcast::Receiver<AgentId> {
        self.updates.subscribe()
    }

    /// Cancelled when the server stops.
    pub fn closed(&self) -> CancellationToken {
        self.closing.clone()
    }

    /// Runs the engine's timers at their time (at least every second) and keeps the gauges and
    /// the dashboard's history current, until `stop`.
    pub async fn run_timers(self: Arc<Self>, stop: CancellationToken) {
        let mut last_sample: Option<Timestamp> = None;
        loop {
            let pause = {
                let engine = self.engine.lock().await;
                let now = self.clock.now();
                engine
                    .next_wakeup()
                    .map(|at| at.duration_since(now))
                    .and_then(|d| Duration::try_from(d).ok())
                    .unwrap_or(Duration::from_secs(1))
                    .clamp(Duration::from_millis(20), Duration::from_secs(1))
            };
            tokio::select! {
                () = stop.cancelled() => {
                    self.closing.cancel();
                    return;
                }
                () = tokio::time::sleep(pause) => {}
            }
            if let Err(err) = self.change(Vec::new(), &[], |e, now| Ok(e.tick(now))).await {
                tracing::warn!(error = %err, "routing timers could not be saved");
            }
            let engine = self.engine.lock().await;
            let now = self.clock.now();
            let figures = self.refresh_gauges(&engine, now);
            if last_sample.is_none_or(|at| now.duration_since(at) >= SAMPLE_EVERY) {
                last_sample = Some(now);
                self.record_sample(&figures);
            }
        }
    }

    /// The one entry point for contacts: chat, the IVR, callbacks and `POST /api/v1/routing/contacts`.
    pub async fn enter(
        &self,
        entry: ContactEntry,
        audit: Vec<AuditRecord>,
    ) -> Result<Entered, ApiError> {
        self.enter_with_notes(entry, Vec::new(), audit).await
    }

    /// [`Switchboard::enter`] with notes the agent sees on the offer (what the IVR learned:
    /// verification, what the caller said, self-service done), so they need not ask again.
    pub async fn enter_with_notes(
        &self,
        entry: ContactEntry,
        notes: Vec<String>,
        audit: Vec<AuditRecord>,
    ) -> Result<Entered, ApiError> {
        let id = entry.id;
        let mut contact = NewContact::new(
            id,
            entry.kind,
            entry.reason,
            entry.tier,
            entry.lang,
            self.clock.now(),
        );
        if let Some(department) = entry.department {
            contact.department = department;
        }
        if let Some(since) = entry.waiting_since {
            contact.arrived_at = since;
        }
        contact.relationship_manager = entry.relationship_manager.map(agent_of);
        contact.home_hub = entry.home_hub;
        contact.context = serde_json::json!({
            "context_id": entry.context_id,
            "channel": entry.channel,
            "cardholder_id": entry.cardholder,
            "notes": notes,
        });
        if let Some(manager) = contact.relationship_manager
            && self.engine.lock().await.agent(manager).is_none()
        {
            return Err(ApiError::unprocessable(
                "routing.unknown_manager",
                format!(
                    "relationship_manager {manager} has no routing profile; name a staff member who takes contacts, or leave it out"
                ),
            ));
        }
        let events = self
            .change(audit, &[], |e, now| e.arrive(contact, now))
            .await?;
        let offered_to = events.iter().find_map(|e| match e.kind {
            EventKind::Offered { contact, agent, .. } if contact == id => Some(agent),
            _ => None,
        });
        let estimated_wait_secs = events.iter().find_map(|e| match e.kind {
            EventKind::Queued {
                contact,
                estimated_wait_secs,
                ..
            } if contact == id => estimated_wait_secs,
            _ => None,
        });
        Ok(Entered {
            contact_id: id,
            status: if offered_to.is_some() {
                "offered"
            } else {
                "waiting"
            }
            .to_owned(),
            offered_to,
            estimated_wait_secs,
            callback_suggested: events.iter().any(
                |e| matches!(e.kind, EventKind::CallbackSuggested { contact, .. } if contact == id),
            ),
        })
    }

    pub async fn set_availability(
        &self,
        agent: AgentId,
        availability: Availability,
        audit: Vec<AuditRecord>,
    ) -> Result<(), ApiError> {
        self.change(audit, &[agent], |e, now| {
            e.set_availability(agent, availability, now)
        })
        .await
        .map(drop)
    }

    pub async fn accept(
        &self,
        contact: ContactId,
        agent: AgentId,
        audit: Vec<AuditRecord>,
    ) -> Result<(), ApiError> {
        self.change(audit, &[agent], |e, now| e.accept(contact, agent, now))
            .await
            .map(drop)
    }

    pub async fn decline(
        &self,
        contact: ContactId,
        agent: AgentId,
        audit: Vec<AuditRecord>,
    ) -> Result<(), ApiError> {
        self.change(audit, &[agent], |e, now| e.decline(contact, agent, now))
            .await
            .map(drop)
    }

    /// The agent finished a contact they are connected with.
    pub async fn complete(
        &self,
        contact: ContactId,
        agent: AgentId,
        audit: Vec<AuditRecord>,
    ) -> Result<(), ApiError> {
        if let Some(ContactPhase::Connected { agent: with, .. }) =
            self.contact(contact).await.map(|c| c.phase)
            && with != agent
        {
            return Err(ApiError::forbidden(format!(
                "Contact {contact} is connected to another agent; only they can complete it."
            ))
            .with_code("routing.not_yours"));
        }
        self.change(audit, &[agent], |e, now| e.complete(contact, now))
            .await
            .map(drop)
    }

    pub async fn wrap_up_done(
        &self,
        agent: AgentId,
        audit: Vec<AuditRecord>,
    ) -> Result<(), ApiError> {
        self.change(audit, &[agent], |e, now| e.wrap_up_done(agent, now))
            .await
            .map(drop)
    }

    /// The cardholder hung up or left before being answered.
    pub async fn abandon(
        &self,
        contact: ContactId,
        audit: Vec<AuditRecord>,
    ) -> Result<(), ApiError> {
        self.change(audit, &[], |e, now| e.abandon(contact, now))
            .await
            .map(drop)
    }

    /// The caller accepted a callback: they keep their place in the queue.
    pub async fn convert_to_callback(
        &self,
        contact: ContactId,
        audit: Vec<AuditRecord>,
    ) -> Result<(), ApiError> {
        self.change(audit, &[], |e, now| e.convert_to_callback(contact, now))
            .await
            .map(drop)
    }

    /// Registers an agent or changes their skills.
    pub async fn upsert_agent(
        &self,
        profile: AgentProfile,
        audit: Vec<AuditRecord>,
    ) -> Result<(), ApiError> {
        let agent = profile.id;
        self.change(audit, &[agent], |e, now| e.upsert_agent(profile, now))
            .await
            .map(drop)
    }

    /// The console of `agent`, or `None` when they have no routing profile.
    pub async fn console(&self, agent: AgentId) -> Option<ConsoleView> {
        let engine = self.engine.lock().await;
        let now = self.clock.now().max(engine.now());
        let status = engine.agent(agent)?;
        let cards = |ids: &[ContactId]| -> Vec<ContactCard> {
            ids.iter()
                .filter_map(|id| contact_card(&engine, *id, now))
                .collect()
        };
        Some(ConsoleView {
            agent,
            availability: status.availability,
            presence: status.presence,
            wrap_up_started: status.wrap_up_started,
            offers: cards(&status.offered),
            connected: cards(&status.connected),
            now,
        })
    }

    pub async fn contact(&self, id: ContactId) -> Option<ContactStatus> {
        self.engine.lock().await.contact(id)
    }

    pub async fn is_agent(&self, agent: AgentId) -> bool {
        self.engine.lock().await.agent(agent).is_some()
    }

    pub async fn agents(&self) -> Vec<AgentOverview> {
        let engine = self.engine.lock().await;
        engine
            .agents()
            .filter_map(|status| {
                Some(AgentOverview {
                    profile: engine.agent_profile(status.id)?.clone(),
                    status,
                })
            })
            .collect()
    }

    pub async fn figures(&self) -> FiguresSnapshot {
        let engine = self.engine.lock().await;
        engine.figures(self.clock.now())
    }

    /// The dashboard's recent samples, oldest first.
    pub fn history(&self) -> Vec<Sample> {
        self.history
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .iter()
            .copied()
            .collect()
    }

    /// Runs one engine operation and stores what it changed, with its events and `audit`, in
    /// one transaction. If the operation fails, the timers it ran are still stored; if storing
    /// fails, the engine is rebuilt from the database so the two never disagree.
    async fn change(
        &self,
        audit: Vec<AuditRecord>,
        agents: &[AgentId],
        op: impl FnOnce(&mut Engine, Timestamp) -> Result<Vec<Event>, RoutingError>,
    ) -> Result<Vec<Event>, ApiError> {
        let mut engine = self.engine.lock().await;
        let now = self.clock.now();
        let (events, failure, agents, audit) = match op(&mut engine, now) {
            Ok(events) => (events, None, agents, audit),
            Err(err) => (engine.tick(now), Some(err), &[][..], Vec::new()),
        };
        if let Err(err) = self.save(&engine, &events, agents, audit).await {
            // The engine is ahead of the database: take the database's word for it.
            let restored = match self.store.routing_state(now).await {
                Ok(state) => {
                    Engine::restore(engine.policy().clone(), state).map_err(|e| e.to_string())
                }
                Err(e) => Err(e.to_string()),
            };
            match restored {
                Ok((restored, _)) => *engine = restored,
                Err(reload) => {
                    tracing::error!(error = %reload, "routing state could not be reloaded")
                }
            }
            return Err(err.into());
        }
        for agent in touched_agents(&engine, &events, agents) {
            // Nobody listening is fine: consoles fetch their state when they connect.
            let _ = self.updates.send(agent);
        }
        match failure {
            Some(err) => Err(routing_problem(err)),
            None => Ok(events),
        }
    }

    async fn save(
        &self,
        engine: &Engine,
        events: &[Event],
        agents: &[AgentId],
        audit: Vec<AuditRecord>,
    ) -> Result<(), store::StoreError> {
        if events.is_empty() && agents.is_empty() && audit.is_empty() {
            return Ok(());
        }
        let contacts: BTreeSet<ContactId> =
            events.iter().filter_map(|e| e.kind.contact()).collect();
        let (current, finished): (Vec<_>, Vec<_>) = contacts
            .into_iter()
            .map(|id| (id, engine.contact_row(id)))
            .partition(|(_, row)| row.is_some());
        let changes = RoutingChanges {
            at: engine.now(),
            agents: touched_agents(engine, events, agents)
                .into_iter()
                .filter_map(|a| engine.agent_row(a))
                .collect(),
            contacts: current.into_iter().filter_map(|(_, row)| row).collect(),
            finished: finished.into_iter().map(|(id, _)| id).collect(),
            figures: Some(RoutingFigures {
                since: engine.figures_since(),
                counters: engine.slice_counters(),
                handle_times: engine.handle_times(),
            }),
        };
        let mut effects = Effects::none();
        for event in events {
            let subject = match (event.kind.contact(), event.kind.agent()) {
                (Some(contact), _) => format!("contact:{contact}"),
                (None, Some(agent)) => format!("agent:{agent}"),
                (None, None) => "routing".to_owned(),
            };
            effects = effects.event(NewEvent::new(
                format!("routing.{}", event.kind.name()),
                subject,
                event,
            ));
        }
        effects.audit = audit;
        self.store.save_routing_changes(&changes, effects).await
    }

    fn refresh_gauges(&self, engine: &Engine, now: Timestamp) -> FiguresSnapshot {
        let figures = engine.figures(now);
        self.gauges.show(&figures);
        figures
    }

    fn record_sample(&self, figures: &FiguresSnapshot) {
        let count = |presence: Presence| -> u32 {
            figures
                .hubs
                .iter()
                .filter_map(|h| h.agents.get(&presence))
                .sum()
        };
        let sample = Sample {
            at: figures.at,
            waiting: figures.total.waiting,
            agents_available: count(Presence::Available),
            agents_busy: count(Presence::OnContact) + count(Presence::WrapUp),
            service_level: figures.total.service_level,
        };
        let mut history = self
            .history
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if history.len() == HISTORY_SAMPLES {
            history.pop_front();
        }
        history.push_back(sample);
    }
}

/// Agents named by the events, plus `also`, that the engine knows.
fn touched_agents(engine: &Engine, events: &[Event], also: &[AgentId]) -> BTreeSet<AgentId> {
    events
        .iter()
        .filter_map(|e| e.kind.agent())
        .chain(also.iter().copied())
        .filter(|a| engine.agent(*a).is_some())
        .collect()
}

fn contact_card(engine: &Engine, id: ContactId, now: Timestamp) -> Option<ContactCard> {
    let row = engine.contact_row(id)?;
    let status = engine.contact(id)?;
    let context = &row.contact.context;
    let text = |key: &str| context.get(key).and_then(|v| v.as_str()).map(str::to_owned);
    let (expires_at, answered_at) = match status.phase {
        ContactPhase::Offered { expires_at, .. } => (Some(expires_at), None),
        ContactPhase::Connected { answered_at, .. } => (None, Some(answered_at)),
        _ => (None, None),
    };
    Some(ContactCard {
        id,
        kind: row.contact.kind,
        reason: row.contact.reason,
        department: row.contact.department,
        tier: row.contact.tier,
        language: row.contact.lang,
        arrived_at: row.contact.arrived_at,
        context_id: text("context_id").unwrap_or_default(),
        cardholder_id: text("cardholder_id").and_then(|c| c.parse().ok()),
        channel: text("channel").unwrap_or_default(),
        expires_at,
        seconds_left: expires_at.map(|at| at.duration_since(now).as_secs().max(0)),
        answered_at,
        notes: context
            .get("notes")
            .and_then(|n| serde_json::from_value(n.clone()).ok())
            .unwrap_or_default(),
    })
}

/// A routing refusal as an API problem that says what to do.
fn routing_problem(err: RoutingError) -> ApiError {
    let detail = err.to_string();
    match err {
        RoutingError::UnknownAgent(_) => ApiError::conflict("routing.no_profile", detail),
        RoutingError::UnknownContact(_) => ApiError::not_found("routing.contact_not_found", detail),
        RoutingError::DuplicateContact(_) => {
            ApiError::conflict("routing.duplicate_contact", detail)
        }
        RoutingError::NotOffered { .. } => ApiError::conflict("routing.not_offered", detail),
        RoutingError::NotConnected(_) => ApiError::conflict("routing.not_connected", detail),
        RoutingError::AlreadyConnected(_) => {
            ApiError::conflict("routing.already_connected", detail)
        }
        RoutingError::NotAWaitingCall(_) => {
            ApiError::conflict("routing.not_a_waiting_call", detail)
        }
        RoutingError::InvalidAgent { .. } | RoutingError::Policy(_) => {
            ApiError::unprocessable("routing.invalid_profile", detail)
        }
        RoutingError::InconsistentState(_) => ApiError::internal(&err),
    }
}
