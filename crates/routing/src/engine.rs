//! The routing engine: state, and the operations the edge calls on each event.

mod state;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use domain::{AgentId, ContactId, Department, Lang, Tier, Timestamp};
use jiff::SignedDuration;
use slab::Slab;

use crate::error::RoutingError;
use crate::event::{Event, EventKind, Withdrawal};
use crate::figures::{ContactSlices, FigureBook, WaitEstimator};
use crate::index::{AgentRank, ContactBucket, ContactRank, IdleAgents, SkillKey, WaitingContacts};
use crate::model::{
    AgentProfile, Availability, ContactKind, Hub, Medium, NewContact, Presence, Priority,
    Proficiency, QueueKey, Reach,
};
use crate::policy::{AgentOrder, Policy, Rules};

pub use state::{
    AgentRecord, AgentStatus, ContactPhase, ContactRecord, ContactStatus, EngineState,
    RecordedStatus, SliceCounters,
};

/// Skills-based router. Pure and deterministic: every operation takes `now`, first runs the
/// timers due by then (offer timeouts, widening, wrap-up ends), then applies the operation, and
/// returns the events the edge must act on. An operation that fails changes nothing itself, but
/// the events of the timers it ran are kept and returned by the next call (e.g. `tick`).
///
/// Invariants after every operation: an agent with room who may take a waiting contact is
/// offered one; no contact is offered to two agents; no agent holds more than its capacity.
#[derive(Debug)]
pub struct Engine {
    policy: Policy,
    rules: Rules,
    now: Timestamp,
    next_seq: u64,
    agents: Vec<Agent>,
    agent_slots: HashMap<AgentId, u32>,
    contacts: Slab<Contact>,
    contact_slots: HashMap<ContactId, u32>,
    waiting: WaitingContacts,
    idle: IdleAgents,
    timers: BTreeMap<TimerKey, Timer>,
    book: FigureBook,
    estimator: WaitEstimator,
    /// Events not yet handed to the edge.
    outbox: Vec<Event>,
}

#[derive(Debug)]
struct Agent {
    profile: AgentProfile,
    departments: Vec<(Department, Proficiency)>,
    languages: Vec<(Lang, Proficiency)>,
    tiers: Vec<Tier>,
    availability: Availability,
    /// (started, timer ending it) while wrapping up.
    wrap_up: Option<(Timestamp, TimerKey)>,
    /// Contacts offered to or connected with the agent.
    contacts: Vec<u32>,
    voice_load: u8,
    digital_load: u8,
    /// Since when the agent has been waiting for their next contact (the idle-time order).
    ready_since: Timestamp,
    /// The `ready_since` each medium's index entries were filed with.
    indexed: [Option<Timestamp>; 2],
    /// The agent's relationship cardholders waiting for them.
    held: BTreeMap<ContactRank, u32>,
    /// The presence last announced.
    shown: Presence,
}

impl Agent {
    fn new(profile: AgentProfile, now: Timestamp) -> Self {
        let mut agent = Agent {
            departments: Vec::new(),
            languages: Vec::new(),
            tiers: Vec::new(),
            profile,
            availability: Availability::Offline,
            wrap_up: None,
            contacts: Vec::new(),
            voice_load: 0,
            digital_load: 0,
            ready_since: now,
            indexed: [None, None],
            held: BTreeMap::new(),
            shown: Presence::Offline,
        };
        agent.set_profile(agent.profile.clone());
        agent
    }

    fn set_profile(&mut self, profile: AgentProfile) {
        self.departments = profile.departments.iter().map(|(d, p)| (*d, *p)).collect();
        self.languages = profile.languages.iter().map(|(l, p)| (*l, *p)).collect();
        self.tiers = profile.tiers.iter().copied().collect();
        self.profile = profile;
    }

    /// May take one more contact of `medium` now.
    fn has_room(&self, medium: Medium) -> bool {
        if self.availability != Availability::Available || self.wrap_up.is_some() {
            return false;
        }
        let capacity = self.profile.capacity;
        match medium {
            Medium::Voice => capacity.voice && self.voice_load == 0 && self.digital_load == 0,
            Medium::Digital => self.voice_load == 0 && self.digital_load < capacity.digital,
        }
    }

    fn load_mut(&mut self, medium: Medium) -> &mut u8 {
        match medium {
            Medium::Voice => &mut self.voice_load,
            Medium::Digital => &mut self.digital_load,
        }
    }

    fn presence(&self) -> Presence {
        if !self.contacts.is_empty() {
            Presence::OnContact
        } else if self.wrap_up.is_some() {
            Presence::WrapUp
        } else {
            match self.availability {
                Availability::Available => Presence::Available,
                Availability::Break => Presence::Break,
                Availability::Offline => Presence::Offline,
            }
        }
    }
}

#[derive(Debug)]
struct Contact {
    /// As it arrived, with the home hub filled in.
    info: NewContact,
    home_hub: Hub,
    seq: u64,
    priority: Priority,
    target: SignedDuration,
    slices: ContactSlices,
    stage: Stage,
    /// Agents who declined it or let its offer time out: it is not offered to them again.
    declined_by: Vec<u32>,
    timer: Option<TimerKey>,
}

impl Contact {
    fn rank(&self) -> ContactRank {
        ContactRank {
            priority: self.priority,
            arrived_at: self.info.arrived_at,
            seq: self.seq,
        }
    }

    fn medium(&self) -> Medium {
        self.info.kind.medium()
    }

    fn skill(&self) -> SkillKey {
        skill_of(&self.info)
    }
}

fn skill_of(contact: &NewContact) -> SkillKey {
    SkillKey {
        medium: contact.kind.medium(),
        department: contact.department,
        lang: contact.lang,
        tier: contact.tier,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Between two filings, inside one operation.
    Unrouted,
    /// Waiting for the cardholder's relationship manager only.
    Held {
        manager: u32,
    },
    Waiting {
        reach: Reach,
    },
    Offered {
        agent: u32,
        expires_at: Timestamp,
    },
    Connected {
        agent: u32,
        answered_at: Timestamp,
    },
}

/// Timers fire in time order; at the same instant, contacts widen before agents free up, so a
/// freed agent sees every contact it may take at that instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct TimerKey {
    at: Timestamp,
    class: TimerClass,
    seq: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum TimerClass {
    ContactWait,
    OfferExpiry,
    WrapUpEnd,
}

#[derive(Debug, Clone, Copy)]
enum Timer {
    Contact(u32),
    Agent(u32),
}

fn later(at: Timestamp, by: SignedDuration) -> Timestamp {
    at.checked_add(by).unwrap_or(Timestamp::MAX)
}

fn agent_rank(order: AgentOrder, score: u16, since: Timestamp, agent: u32) -> AgentRank {
    let (skill, idle) = (-i64::from(score), since.as_microsecond());
    match order {
        AgentOrder::BestSkilledThenLongestIdle => AgentRank {
            first: skill,
            second: idle,
            agent,
        },
        AgentOrder::LongestIdleThenBestSkilled => AgentRank {
            first: idle,
            second: skill,
            agent,
        },
    }
}

/// Keeps in `best` the better of it and the best contact of `bucket` that `agent` may take.
fn best_in_bucket(
    bucket: &ContactBucket,
    contacts: &Slab<Contact>,
    agent: u32,
    best: &mut Option<(ContactRank, u32)>,
) {
    for (rank, &slot) in bucket {
        if best.is_some_and(|(b, _)| b <= *rank) {
            return;
        }
        if !contacts[slot as usize].declined_by.contains(&agent) {
            *best = Some((*rank, slot));
            return;
        }
    }
}

/// Keeps in `best` the better of it and the best agent of `set` who has not declined.
fn best_in_set(set: &BTreeSet<AgentRank>, declined_by: &[u32], best: &mut Option<AgentRank>) {
    for rank in set {
        if best.is_some_and(|b| b <= *rank) {
            return;
        }
        if !declined_by.contains(&rank.agent) {
            *best = Some(*rank);
            return;
        }
    }
}

fn validate_profile(profile: &AgentProfile) -> Result<(), RoutingError> {
    let problem = if profile.departments.is_empty() {
        Some("list at least one department".to_owned())
    } else if profile.languages.is_empty() {
        Some("list at least one language".to_owned())
    } else if profile.tiers.is_empty() {
        Some("list at least one card tier".to_owned())
    } else if !profile.capacity.voice && profile.capacity.digital == 0 {
        Some("capacity allows no contact; enable voice or set digital to 1 or more".to_owned())
    } else {
        let proficiencies = profile
            .departments
            .values()
            .chain(profile.languages.values());
        proficiencies
            .copied()
            .find(|p| !(1..=5).contains(p))
            .map(|p| format!("proficiency {p} is out of range; use 1 (can help) to 5 (expert)"))
    };
    match problem {
        Some(problem) => Err(RoutingError::InvalidAgent {
            agent: profile.id,
            problem,
        }),
        None => Ok(()),
    }
}

impl Engine {
    pub fn new(policy: Policy, now: Timestamp) -> Result<Self, RoutingError> {
        let rules = policy.compile()?;
        let estimator = WaitEstimator::new(rules.handle_time);
        Ok(Self {
            policy,
            rules,
            now,
            next_seq: 0,
            agents: Vec::new(),
            agent_slots: HashMap::new(),
            contacts: Slab::new(),
            contact_slots: HashMap::new(),
            waiting: WaitingContacts::new(),
            idle: IdleAgents::new(),
            timers: BTreeMap::new(),
            book: FigureBook::new(now),
            estimator,
            outbox: Vec::new(),
        })
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The engine's time: the latest `now` it was given (earlier ones are treated as this).
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// When the edge must call [`Engine::tick`] next, if anything is pending.
    pub fn next_wakeup(&self) -> Option<Timestamp> {
        self.timers.first_key_value().map(|(k, _)| k.at)
    }

    /// Runs the timers due by `now`.
    pub fn tick(&mut self, now: Timestamp) -> Vec<Event> {
        self.advance(now);
        self.take_events()
    }

    /// Registers an agent (offline) or changes a registered agent's skills, hub or capacity.
    pub fn upsert_agent(
        &mut self,
        profile: AgentProfile,
        now: Timestamp,
    ) -> Result<Vec<Event>, RoutingError> {
        validate_profile(&profile)?;
        self.advance(now);
        match self.agent_slots.get(&profile.id) {
            None => {
                let slot = self.agents.len() as u32;
                self.agent_slots.insert(profile.id, slot);
                self.agents.push(Agent::new(profile, self.now));
            }
            Some(&a) => {
                let staffed = self.agents[a as usize].availability == Availability::Available;
                if staffed {
                    self.staffing(a, false);
                }
                for medium in Medium::ALL {
                    self.file_agent(a, medium, None);
                }
                self.agents[a as usize].set_profile(profile);
                if staffed {
                    self.staffing(a, true);
                }
                self.refresh_agent(a);
            }
        }
        Ok(self.take_events())
    }

    /// An agent logs in, takes a break, comes back or logs out.
    pub fn set_availability(
        &mut self,
        agent: AgentId,
        availability: Availability,
        now: Timestamp,
    ) -> Result<Vec<Event>, RoutingError> {
        self.advance(now);
        let a = self.agent_slot(agent)?;
        self.change_availability(a, availability);
        Ok(self.take_events())
    }

    /// A contact enters routing. It is offered at once if an agent may take it, else it waits.
    pub fn arrive(
        &mut self,
        mut contact: NewContact,
        now: Timestamp,
    ) -> Result<Vec<Event>, RoutingError> {
        self.advance(now);
        if self.contact_slots.contains_key(&contact.id) {
            return Err(RoutingError::DuplicateContact(contact.id));
        }
        contact.arrived_at = contact.arrived_at.min(self.now);
        let home_hub = contact
            .home_hub
            .unwrap_or_else(|| self.rules.home_hub(contact.lang, self.now));
        contact.home_hub = Some(home_hub);
        let priority = self.rules.priority(contact.reason, contact.tier);
        let medium = contact.kind.medium();
        let queue = contact.queue();
        let estimate = self
            .estimator
            .estimate(medium, queue, priority, self.rules.language_step());
        let c = self.admit(contact, home_hub, priority);
        let (id, kind, arrived_at, seq, slices) = {
            let k = &self.contacts[c as usize];
            (k.info.id, k.info.kind, k.info.arrived_at, k.seq, k.slices)
        };
        self.book.arrived(slices, arrived_at, seq);
        self.place(c);
        if matches!(
            self.contacts[c as usize].stage,
            Stage::Held { .. } | Stage::Waiting { .. }
        ) {
            let estimated_wait_secs = estimate.map(|e| e.as_secs_f64());
            self.emit(EventKind::Queued {
                contact: id,
                queue,
                home_hub,
                priority,
                estimated_wait_secs,
            });
            if kind == ContactKind::Call
                && estimate.is_none_or(|e| e > self.rules.callback_offer_above)
            {
                self.emit(EventKind::CallbackSuggested {
                    contact: id,
                    estimated_wait_secs,
                });
            }
        }
        Ok(self.take_events())
    }

    /// The agent accepted the contact offered to them.
    pub fn accept(
        &mut self,
        contact: ContactId,
        agent: AgentId,
        now: Timestamp,
    ) -> Result<Vec<Event>, RoutingError> {
        self.advance(now);
        let (c, a) = self.offered_to(contact, agent)?;
        self.cancel_timer(c);
        let now = self.now;
        let k = &mut self.contacts[c as usize];
        k.stage = Stage::Connected {
            agent: a,
            answered_at: now,
        };
        let waited = now.duration_since(k.info.arrived_at);
        self.book
            .answered(k.slices, k.info.arrived_at, k.seq, waited, k.target);
        self.estimator
            .waiting_changed(k.medium(), k.info.queue(), k.priority, false);
        self.emit(EventKind::Connected {
            contact,
            agent,
            waited_secs: waited.as_secs_f64(),
        });
        Ok(self.take_events())
    }

    /// The agent declined the offer: the contact goes to someone else, never back to them.
    pub fn decline(
        &mut self,
        contact: ContactId,
        agent: AgentId,
        now: Timestamp,
    ) -> Result<Vec<Event>, RoutingError> {
        self.advance(now);
        let (c, a) = self.offered_to(contact, agent)?;
        self.withdraw(c, a, Withdrawal::Declined);
        self.contacts[c as usize].declined_by.push(a);
        self.place(c);
        self.refresh_agent(a);
        Ok(self.take_events())
    }

    /// The cardholder hung up or left the chat before being answered.
    pub fn abandon(
        &mut self,
        contact: ContactId,
        now: Timestamp,
    ) -> Result<Vec<Event>, RoutingError> {
        self.advance(now);
        let c = self.contact_slot(contact)?;
        let freed = match self.contacts[c as usize].stage {
            Stage::Connected { .. } => return Err(RoutingError::AlreadyConnected(contact)),
            Stage::Offered { agent, .. } => {
                self.withdraw(c, agent, Withdrawal::Abandoned);
                Some(agent)
            }
            Stage::Held { .. } | Stage::Waiting { .. } | Stage::Unrouted => {
                self.unfile(c);
                None
            }
        };
        let k = self.remove_contact(c);
        self.book.abandoned(k.slices, k.info.arrived_at, k.seq);
        self.estimator
            .waiting_changed(k.medium(), k.info.queue(), k.priority, false);
        let waited = self.now.duration_since(k.info.arrived_at);
        self.emit(EventKind::Abandoned {
            contact,
            waited_secs: waited.as_secs_f64(),
        });
        if let Some(a) = freed {
            self.refresh_agent(a);
        }
        Ok(self.take_events())
    }

    /// The agent finished the contact. Its handle time feeds the wait estimates; the agent wraps
    /// up (if the policy has wrap-up and nothing else is open) or takes the next contact.
    pub fn complete(
        &mut self,
        contact: ContactId,
        now: Timestamp,
    ) -> Result<Vec<Event>, RoutingError> {
        self.advance(now);
        let c = self.contact_slot(contact)?;
        let Stage::Connected {
            agent: a,
            answered_at,
        } = self.contacts[c as usize].stage
        else {
            return Err(RoutingError::NotConnected(contact));
        };
        self.release(c, a);
        let k = self.remove_contact(c);
        let handled = self.now.duration_since(answered_at);
        self.book.completed(k.slices, handled);
        self.estimator.handled(k.medium(), k.info.queue(), handled);
        let agent = self.agents[a as usize].profile.id;
        self.emit(EventKind::Completed {
            contact,
            agent,
            handled_secs: handled.as_secs_f64(),
        });
        if let Some(max) = self.rules.max_wrap_up
            && self.agents[a as usize].contacts.is_empty()
        {
            let key = self.set_timer(later(self.now, max), TimerClass::WrapUpEnd, Timer::Agent(a));
            self.agents[a as usize].wrap_up = Some((self.now, key));
        }
        self.refresh_agent(a);
        Ok(self.take_events())
    }

    /// The agent finished their notes before the wrap-up limit.
    pub fn wrap_up_done(
        &mut self,
        agent: AgentId,
        now: Timestamp,
    ) -> Result<Vec<Event>, RoutingError> {
        self.advance(now);
        let a = self.agent_slot(agent)?;
        if let Some((_, key)) = self.agents[a as usize].wrap_up.take() {
            self.timers.remove(&key);
            self.end_wrap_up(a);
        }
        Ok(self.take_events())
    }

    /// The caller accepted a callback: they hang up but keep their place in the queue.
    pub fn convert_to_callback(
        &mut self,
        contact: ContactId,
        now: Timestamp,
    ) -> Result<Vec<Event>, RoutingError> {
        self.advance(now);
        let c = self.contact_slot(contact)?;
        let k = &mut self.contacts[c as usize];
        let waiting = matches!(k.stage, Stage::Held { .. } | Stage::Waiting { .. });
        if !waiting || k.info.kind != ContactKind::Call {
            return Err(RoutingError::NotAWaitingCall(contact));
        }
        // Same medium and rank: it stays where it is filed.
        k.info.kind = ContactKind::Callback;
        self.emit(EventKind::ConvertedToCallback { contact });
        Ok(self.take_events())
    }

    /// What a contact like this one would wait now (for the IVR to announce before hand-off):
    /// zero if a skilled agent of its home hub is free, else the queue's estimate.
    pub fn estimate_wait(&self, contact: &NewContact) -> Option<SignedDuration> {
        let home_hub = contact
            .home_hub
            .unwrap_or_else(|| self.rules.home_hub(contact.lang, self.now));
        if !self.idle.skilled(skill_of(contact), home_hub).is_empty() {
            return Some(SignedDuration::ZERO);
        }
        let priority = self.rules.priority(contact.reason, contact.tier);
        self.estimator.estimate(
            contact.kind.medium(),
            contact.queue(),
            priority,
            self.rules.language_step(),
        )
    }

    // ----- internals -----

    fn emit(&mut self, kind: EventKind) {
        self.outbox.push(Event { at: self.now, kind });
    }

    /// The events of the operation just done (and of timers run by an earlier failed one).
    fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.outbox)
    }

    fn agent_slot(&self, id: AgentId) -> Result<u32, RoutingError> {
        self.agent_slots
            .get(&id)
            .copied()
            .ok_or(RoutingError::UnknownAgent(id))
    }

    fn contact_slot(&self, id: ContactId) -> Result<u32, RoutingError> {
        self.contact_slots
            .get(&id)
            .copied()
            .ok_or(RoutingError::UnknownContact(id))
    }

    fn offered_to(&self, contact: ContactId, agent: AgentId) -> Result<(u32, u32), RoutingError> {
        let c = self.contact_slot(contact)?;
        let a = self.agent_slot(agent)?;
        match self.contacts[c as usize].stage {
            Stage::Offered { agent: to, .. } if to == a => Ok((c, a)),
            _ => Err(RoutingError::NotOffered { contact, agent }),
        }
    }

    /// Stores a new contact, not yet filed anywhere.
    fn admit(&mut self, info: NewContact, home_hub: Hub, priority: Priority) -> u32 {
        let seq = self.next_seq;
        self.next_seq += 1;
        let target = self.rules.answer_target(info.kind, priority);
        let slices = ContactSlices::new(info.queue(), home_hub, info.tier, info.kind);
        let id = info.id;
        let medium = info.kind.medium();
        self.estimator
            .waiting_changed(medium, info.queue(), priority, true);
        let c = self.contacts.insert(Contact {
            info,
            home_hub,
            seq,
            priority,
            target,
            slices,
            stage: Stage::Unrouted,
            declined_by: Vec::new(),
            timer: None,
        }) as u32;
        self.contact_slots.insert(id, c);
        c
    }

    fn remove_contact(&mut self, c: u32) -> Contact {
        let k = self.contacts.remove(c as usize);
        self.contact_slots.remove(&k.info.id);
        k
    }

    fn set_timer(&mut self, at: Timestamp, class: TimerClass, timer: Timer) -> TimerKey {
        let key = TimerKey {
            at,
            class,
            seq: self.next_seq,
        };
        self.next_seq += 1;
        self.timers.insert(key, timer);
        key
    }

    fn cancel_timer(&mut self, c: u32) {
        if let Some(key) = self.contacts[c as usize].timer.take() {
            self.timers.remove(&key);
        }
    }

    fn advance(&mut self, now: Timestamp) {
        while let Some((&key, &timer)) = self.timers.first_key_value() {
            if key.at > now {
                break;
            }
            self.timers.remove(&key);
            self.now = self.now.max(key.at);
            match timer {
                Timer::Contact(c) if key.class == TimerClass::ContactWait => {
                    // Every contact whose search widens at this instant, placed best first.
                    let mut widened = vec![c];
                    while let Some((&next, &Timer::Contact(d))) = self.timers.first_key_value()
                        && next.at == key.at
                        && next.class == TimerClass::ContactWait
                    {
                        self.timers.remove(&next);
                        widened.push(d);
                    }
                    for &c in &widened {
                        self.contacts[c as usize].timer = None;
                        self.unfile(c);
                        let k = &self.contacts[c as usize];
                        let reach = self
                            .rules
                            .reach_after(self.now.duration_since(k.info.arrived_at));
                        let contact = k.info.id;
                        self.emit(EventKind::Widened { contact, reach });
                    }
                    self.place_best_first(widened);
                }
                Timer::Contact(c) => {
                    self.contacts[c as usize].timer = None;
                    if let Stage::Offered { agent, .. } = self.contacts[c as usize].stage {
                        self.offer_missed(c, agent);
                    }
                }
                Timer::Agent(a) => {
                    self.agents[a as usize].wrap_up = None;
                    self.end_wrap_up(a);
                }
            }
        }
        self.now = self.now.max(now);
    }

    /// Places unrouted contacts in answer order, so the best of them gets the first free agent.
    fn place_best_first(&mut self, mut unrouted: Vec<u32>) {
        unrouted.sort_by_key(|c| self.contacts[*c as usize].rank());
        for c in unrouted {
            self.place(c);
        }
    }

    fn offer_missed(&mut self, c: u32, a: u32) {
        self.withdraw(c, a, Withdrawal::TimedOut);
        self.contacts[c as usize].declined_by.push(a);
        let mut unrouted = vec![c];
        if self.rules.break_after_missed_offer {
            unrouted.extend(self.set_availability_of(a, Availability::Break));
        }
        self.place_best_first(unrouted);
        self.refresh_agent(a);
    }

    fn end_wrap_up(&mut self, a: u32) {
        self.agents[a as usize].ready_since = self.now;
        self.refresh_agent(a);
    }

    fn change_availability(&mut self, a: u32, availability: Availability) {
        let unrouted = self.set_availability_of(a, availability);
        self.place_best_first(unrouted);
        self.refresh_agent(a);
    }

    /// Sets what the agent asked for. Returns the contacts an unavailable agent gives up (offers
    /// withdrawn, cardholders no longer held for them), unrouted, for the caller to place.
    fn set_availability_of(&mut self, a: u32, availability: Availability) -> Vec<u32> {
        let before = self.agents[a as usize].availability;
        if before == availability {
            return Vec::new();
        }
        if before == Availability::Available {
            self.staffing(a, false);
        }
        let agent = &mut self.agents[a as usize];
        agent.availability = availability;
        if availability == Availability::Available {
            agent.ready_since = self.now;
            self.staffing(a, true);
            return Vec::new();
        }
        self.reindex(a);
        let agent = &self.agents[a as usize];
        let offered: Vec<u32> = agent
            .contacts
            .iter()
            .copied()
            .filter(|c| matches!(self.contacts[*c as usize].stage, Stage::Offered { .. }))
            .collect();
        let held: Vec<u32> = agent.held.values().copied().collect();
        for &c in &offered {
            self.withdraw(c, a, Withdrawal::AgentUnavailable);
        }
        for &c in &held {
            self.unfile(c);
        }
        [offered, held].concat()
    }

    /// Adds (`joined`) or removes the agent's staffing from the wait estimates.
    fn staffing(&mut self, a: u32, joined: bool) {
        let agent = &self.agents[a as usize];
        let capacity = agent.profile.capacity;
        for medium in Medium::ALL {
            let slots = match medium {
                Medium::Voice => u32::from(capacity.voice),
                Medium::Digital => u32::from(capacity.digital),
            };
            if slots == 0 {
                continue;
            }
            for (lang, _) in &agent.languages {
                for (department, _) in &agent.departments {
                    let queue = QueueKey {
                        department: *department,
                        lang: *lang,
                    };
                    self.estimator
                        .staffing_changed(medium, queue, slots, joined);
                }
                self.estimator
                    .language_staffing_changed(medium, *lang, slots, joined);
            }
        }
    }

    /// Takes back the offer of contact `c` from agent `a`; the contact is left unrouted.
    fn withdraw(&mut self, c: u32, a: u32, reason: Withdrawal) {
        self.cancel_timer(c);
        self.release(c, a);
        self.contacts[c as usize].stage = Stage::Unrouted;
        let (contact, agent) = (
            self.contacts[c as usize].info.id,
            self.agents[a as usize].profile.id,
        );
        self.emit(EventKind::OfferWithdrawn {
            contact,
            agent,
            reason,
        });
    }

    /// Detaches contact `c` (offered or connected) from agent `a`. The agent's index entries
    /// are left stale until `refresh_agent`.
    fn release(&mut self, c: u32, a: u32) {
        let medium = self.contacts[c as usize].medium();
        let agent = &mut self.agents[a as usize];
        agent.contacts.retain(|x| *x != c);
        let load = agent.load_mut(medium);
        *load = load.saturating_sub(1);
        agent.ready_since = self.now;
    }

    /// Removes a held or waiting contact from where it is filed, with its timer.
    fn unfile(&mut self, c: u32) {
        self.cancel_timer(c);
        let k = &mut self.contacts[c as usize];
        let rank = k.rank();
        match k.stage {
            Stage::Held { manager } => {
                self.agents[manager as usize].held.remove(&rank);
            }
            Stage::Waiting { reach } => {
                self.waiting.remove(k.skill(), k.home_hub, reach, &rank);
            }
            Stage::Unrouted | Stage::Offered { .. } | Stage::Connected { .. } => {}
        }
        k.stage = Stage::Unrouted;
    }

    /// The relationship manager this contact should wait for, if any.
    fn manager_to_wait_for(&self, c: u32) -> Option<u32> {
        let k = &self.contacts[c as usize];
        let m = *self.agent_slots.get(&k.info.relationship_manager?)?;
        let waited = self.now.duration_since(k.info.arrived_at);
        let manager = &self.agents[m as usize];
        (manager.availability == Availability::Available
            && waited < self.rules.manager_wait
            && !k.declined_by.contains(&m))
        .then_some(m)
    }

    /// Routes an unrouted contact: offer it to the best agent who may take it now, or file it
    /// to wait (with a timer for when its search widens).
    fn place(&mut self, c: u32) {
        let (medium, rank, arrived_at) = {
            let k = &self.contacts[c as usize];
            (k.medium(), k.rank(), k.info.arrived_at)
        };
        if let Some(m) = self.manager_to_wait_for(c) {
            if self.agents[m as usize].has_room(medium) {
                self.offer(c, m);
            } else {
                self.agents[m as usize].held.insert(rank, c);
                let at = later(arrived_at, self.rules.manager_wait);
                let key = self.set_timer(at, TimerClass::ContactWait, Timer::Contact(c));
                let k = &mut self.contacts[c as usize];
                k.stage = Stage::Held { manager: m };
                k.timer = Some(key);
            }
            return;
        }
        let reach = self.rules.reach_after(self.now.duration_since(arrived_at));
        if let Some(a) = self.best_agent_for(c, reach) {
            self.offer(c, a);
            return;
        }
        let k = &self.contacts[c as usize];
        self.waiting.insert(k.skill(), k.home_hub, reach, rank, c);
        // The next step is always in the future; the filter guards against a timer loop.
        let timer = self
            .rules
            .next_widening(reach)
            .map(|after| later(arrived_at, after))
            .filter(|at| *at > self.now)
            .map(|at| self.set_timer(at, TimerClass::ContactWait, Timer::Contact(c)));
        let k = &mut self.contacts[c as usize];
        k.stage = Stage::Waiting { reach };
        k.timer = timer;
    }

    fn best_agent_for(&self, c: u32, reach: Reach) -> Option<u32> {
        let k = &self.contacts[c as usize];
        let skill = k.skill();
        let mut best = None;
        match reach {
            Reach::HomeHub => best_in_set(
                self.idle.skilled(skill, k.home_hub),
                &k.declined_by,
                &mut best,
            ),
            Reach::AnyHub | Reach::AnyAgentWithLanguage => {
                for hub in Hub::ALL {
                    best_in_set(self.idle.skilled(skill, *hub), &k.declined_by, &mut best);
                }
                if reach == Reach::AnyAgentWithLanguage && best.is_none() {
                    best_in_set(
                        self.idle.language(skill.medium, skill.lang),
                        &k.declined_by,
                        &mut best,
                    );
                }
            }
        }
        best.map(|r| r.agent)
    }

    fn best_contact_for(&self, a: u32) -> Option<u32> {
        let agent = &self.agents[a as usize];
        let mut best = None;
        for medium in Medium::ALL {
            if !agent.has_room(medium) {
                continue;
            }
            for (department, _) in &agent.departments {
                for (lang, _) in &agent.languages {
                    for tier in &agent.tiers {
                        let skill = SkillKey {
                            medium,
                            department: *department,
                            lang: *lang,
                            tier: *tier,
                        };
                        for bucket in self.waiting.buckets_for_agent(skill, agent.profile.hub) {
                            best_in_bucket(bucket, &self.contacts, a, &mut best);
                        }
                    }
                }
            }
            for (lang, _) in &agent.languages {
                best_in_bucket(
                    self.waiting.language_bucket(medium, *lang),
                    &self.contacts,
                    a,
                    &mut best,
                );
            }
        }
        for (rank, &c) in &agent.held {
            if best.is_some_and(|(b, _)| b <= *rank) {
                break;
            }
            if agent.has_room(self.contacts[c as usize].medium()) {
                best = Some((*rank, c));
                break;
            }
        }
        best.map(|(_, c)| c)
    }

    fn offer(&mut self, c: u32, a: u32) {
        let expires_at = later(self.now, self.rules.offer_timeout);
        let key = self.set_timer(expires_at, TimerClass::OfferExpiry, Timer::Contact(c));
        let k = &mut self.contacts[c as usize];
        k.stage = Stage::Offered {
            agent: a,
            expires_at,
        };
        k.timer = Some(key);
        let (contact, medium, context) = (k.info.id, k.medium(), k.info.context.clone());
        let agent = &mut self.agents[a as usize];
        agent.contacts.push(c);
        *agent.load_mut(medium) += 1;
        agent.ready_since = self.now;
        let agent = agent.profile.id;
        self.emit(EventKind::Offered {
            contact,
            agent,
            expires_at,
            context,
        });
        self.reindex(a);
        self.sync_presence(a);
    }

    /// After an agent's state changed: file it where it now belongs, announce its presence, and
    /// offer it contacts while it has room.
    fn refresh_agent(&mut self, a: u32) {
        self.reindex(a);
        self.sync_presence(a);
        while let Some(c) = self.best_contact_for(a) {
            self.unfile(c);
            self.offer(c, a);
        }
    }

    fn sync_presence(&mut self, a: u32) {
        let agent = &mut self.agents[a as usize];
        let presence = agent.presence();
        if presence != agent.shown {
            agent.shown = presence;
            let agent = agent.profile.id;
            self.emit(EventKind::PresenceChanged { agent, presence });
        }
    }

    fn reindex(&mut self, a: u32) {
        for medium in Medium::ALL {
            let agent = &self.agents[a as usize];
            let want = agent.has_room(medium).then_some(agent.ready_since);
            self.file_agent(a, medium, want);
        }
    }

    /// Files the agent as free for `medium` since `since`, or unfiles it (`None`).
    fn file_agent(&mut self, a: u32, medium: Medium, since: Option<Timestamp>) {
        let agent = &mut self.agents[a as usize];
        let had = agent.indexed[medium as usize];
        if had == since {
            return;
        }
        agent.indexed[medium as usize] = since;
        let agent = &self.agents[a as usize];
        let order = self.rules.agent_order;
        for (stamp, insert) in [(had, false), (since, true)] {
            let Some(stamp) = stamp else { continue };
            for (lang, lang_skill) in &agent.languages {
                for (department, dept_skill) in &agent.departments {
                    let score = u16::from(*dept_skill) + u16::from(*lang_skill);
                    let rank = agent_rank(order, score, stamp, a);
                    for tier in &agent.tiers {
                        let skill = SkillKey {
                            medium,
                            department: *department,
                            lang: *lang,
                            tier: *tier,
                        };
                        let set = self.idle.skilled_mut(skill, agent.profile.hub);
                        if insert {
                            set.insert(rank);
                        } else {
                            set.remove(&rank);
                        }
                    }
                }
                let rank = agent_rank(order, u16::from(*lang_skill), stamp, a);
                let set = self.idle.language_mut(medium, *lang);
                if insert {
                    set.insert(rank);
                } else {
                    set.remove(&rank);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
