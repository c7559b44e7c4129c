//! Property tests: random agents and random sequences of operations, checked after every
//! operation against an oracle written from the policy's rules (not from the engine's indexes).

use std::collections::HashMap;

use domain::{AgentId, ContactId, Department, Lang, Reason, Tier, Timestamp};
use jiff::SignedDuration;
use proptest::prelude::*;
use routing::{
    AgentOrder, AgentProfile, AgentStatus, Availability, Capacity, ContactKind, ContactPhase,
    ContactStatus, Engine, Event, EventKind, Hub, Medium, NewContact, Policy, Priority, Reach,
    Relaxation,
};
use uuid::Uuid;

const HUBS: [Hub; 2] = [Hub::London, Hub::NewYork];
const DEPARTMENTS: [Department; 2] = [Department::General, Department::BillingDisputes];
const LANGS: [Lang; 2] = [Lang::En, Lang::Fr];
const TIERS: [Tier; 2] = [Tier::Gold, Tier::Platinum];
const REASONS: [Reason; 3] = [Reason::General, Reason::Fraud, Reason::Billing];

const OTHER_HUBS_AFTER: i64 = 20;
const LANGUAGE_AFTER: i64 = 60;
const MANAGER_WAIT: i64 = 30;

fn start() -> Timestamp {
    "2026-01-05T14:00:00Z".parse().unwrap()
}

fn policy(break_after_missed_offer: bool, longest_idle_first: bool) -> Policy {
    Policy {
        relaxation: Relaxation {
            other_hubs_after_secs: Some(OTHER_HUBS_AFTER as u32),
            any_agent_with_language_after_secs: Some(LANGUAGE_AFTER as u32),
        },
        relationship_manager_wait_secs: MANAGER_WAIT as u32,
        offer_timeout_secs: 15,
        max_wrap_up_secs: 10,
        break_after_missed_offer,
        agent_order: if longest_idle_first {
            AgentOrder::LongestIdleThenBestSkilled
        } else {
            AgentOrder::BestSkilledThenLongestIdle
        },
        ..Policy::default()
    }
}

fn subset<T: Copy + std::fmt::Debug + 'static>(all: [T; 2]) -> impl Strategy<Value = Vec<T>> {
    prop_oneof![Just(vec![all[0]]), Just(vec![all[1]]), Just(all.to_vec())]
}

fn agent_profile(n: usize) -> impl Strategy<Value = AgentProfile> {
    (
        prop::sample::select(HUBS.to_vec()),
        subset(DEPARTMENTS),
        subset(LANGS),
        subset(TIERS),
        prop::collection::vec(1u8..=5, 4),
        prop_oneof![
            Just(Capacity::VOICE),
            Just(Capacity::digital(2)),
            Just(Capacity {
                voice: true,
                digital: 2
            })
        ],
    )
        .prop_map(
            move |(hub, departments, languages, tiers, skill, capacity)| AgentProfile {
                id: AgentId(Uuid::from_u128(n as u128 + 1)),
                hub,
                departments: departments
                    .iter()
                    .zip(&skill)
                    .map(|(d, p)| (*d, *p))
                    .collect(),
                languages: languages
                    .iter()
                    .zip(&skill[2..])
                    .map(|(l, p)| (*l, *p))
                    .collect(),
                tiers: tiers.into_iter().collect(),
                capacity,
            },
        )
}

#[derive(Debug, Clone)]
enum Op {
    Arrive {
        kind: ContactKind,
        reason: Reason,
        department: Department,
        lang: Lang,
        tier: Tier,
        home: Hub,
        manager: Option<usize>,
        waited_before: i64,
    },
    Advance(i64),
    Accept(usize),
    Decline(usize),
    Abandon(usize),
    Complete(usize),
    WrapUpDone(usize),
    SetAvailability(usize, Availability),
}

fn op() -> impl Strategy<Value = Op> {
    let arrive = (
        prop::sample::select(ContactKind::ALL.to_vec()),
        prop::sample::select(REASONS.to_vec()),
        prop::sample::select(DEPARTMENTS.to_vec()),
        prop::sample::select(LANGS.to_vec()),
        prop::sample::select(TIERS.to_vec()),
        prop::sample::select(HUBS.to_vec()),
        prop::option::weighted(0.2, 0usize..8),
        prop_oneof![3 => Just(0i64), 1 => 0i64..40],
    )
        .prop_map(
            |(kind, reason, department, lang, tier, home, manager, waited_before)| Op::Arrive {
                kind,
                reason,
                department,
                lang,
                tier,
                home,
                manager,
                waited_before,
            },
        );
    let availability = prop::sample::select(vec![
        Availability::Available,
        Availability::Available,
        Availability::Break,
        Availability::Offline,
    ]);
    prop_oneof![
        5 => arrive,
        4 => (1i64..45).prop_map(Op::Advance),
        4 => any::<usize>().prop_map(Op::Accept),
        1 => any::<usize>().prop_map(Op::Decline),
        1 => any::<usize>().prop_map(Op::Abandon),
        3 => any::<usize>().prop_map(Op::Complete),
        1 => any::<usize>().prop_map(Op::WrapUpDone),
        1 => (any::<usize>(), availability).prop_map(|(a, v)| Op::SetAvailability(a, v)),
    ]
}

/// What the edge knows from the events alone.
#[derive(Default)]
struct Ledger {
    offered: HashMap<ContactId, AgentId>,
    connected: HashMap<ContactId, AgentId>,
}

impl Ledger {
    fn apply(&mut self, event: &Event) -> Result<(), TestCaseError> {
        match &event.kind {
            EventKind::Offered { contact, agent, .. } => {
                prop_assert!(
                    !self.offered.contains_key(contact) && !self.connected.contains_key(contact),
                    "contact {contact} offered twice: {event:?}"
                );
                self.offered.insert(*contact, *agent);
            }
            EventKind::OfferWithdrawn { contact, agent, .. } => {
                prop_assert_eq!(self.offered.remove(contact), Some(*agent));
            }
            EventKind::Connected { contact, agent, .. } => {
                prop_assert_eq!(self.offered.remove(contact), Some(*agent));
                self.connected.insert(*contact, *agent);
            }
            EventKind::Completed { contact, agent, .. } => {
                prop_assert_eq!(self.connected.remove(contact), Some(*agent));
            }
            EventKind::Abandoned { contact, .. } => {
                prop_assert!(!self.offered.contains_key(contact));
                prop_assert!(!self.connected.contains_key(contact));
            }
            _ => {}
        }
        Ok(())
    }

    fn loads(&self, agent: AgentId, kinds: &HashMap<ContactId, ContactKind>) -> (usize, usize) {
        let mine = self
            .offered
            .iter()
            .chain(&self.connected)
            .filter(|(_, a)| **a == agent)
            .map(|(c, _)| kinds[c].medium());
        mine.fold((0, 0), |(v, d), m| match m {
            Medium::Voice => (v + 1, d),
            Medium::Digital => (v, d + 1),
        })
    }

    fn is_waiting(&self, contact: ContactId) -> bool {
        !self.offered.contains_key(&contact) && !self.connected.contains_key(&contact)
    }
}

fn expected_priority(reason: Reason, tier: Tier) -> Priority {
    if reason.is_urgent() {
        Priority::Urgent
    } else if tier.is_premium() {
        Priority::Premium
    } else {
        Priority::Standard
    }
}

fn expected_reach(waited: SignedDuration) -> Reach {
    if waited >= SignedDuration::from_secs(LANGUAGE_AFTER) {
        Reach::AnyAgentWithLanguage
    } else if waited >= SignedDuration::from_secs(OTHER_HUBS_AFTER) {
        Reach::AnyHub
    } else {
        Reach::HomeHub
    }
}

/// May `agent` take `contact` at `at`, by the policy's rules?
fn may_take(agent: &AgentProfile, contact: &ContactStatus, at: Timestamp) -> bool {
    if contact.declined_by.contains(&agent.id) {
        return false;
    }
    if let ContactPhase::WaitingForManager { manager } = contact.phase {
        return manager == agent.id;
    }
    let q = contact.queue;
    let speaks = agent.languages.contains_key(&q.lang);
    let skilled = speaks
        && agent.departments.contains_key(&q.department)
        && agent.tiers.contains(&contact.tier);
    match expected_reach(at.duration_since(contact.arrived_at)) {
        Reach::HomeHub => skilled && agent.hub == contact.home_hub,
        Reach::AnyHub => skilled,
        Reach::AnyAgentWithLanguage => speaks,
    }
}

fn has_room(
    profile: &AgentProfile,
    status: &AgentStatus,
    loads: (usize, usize),
    medium: Medium,
) -> bool {
    if status.availability != Availability::Available || status.wrap_up_started.is_some() {
        return false;
    }
    let (voice, digital) = loads;
    match medium {
        Medium::Voice => profile.capacity.voice && voice == 0 && digital == 0,
        Medium::Digital => voice == 0 && digital < usize::from(profile.capacity.digital),
    }
}

struct World {
    engine: Engine,
    profiles: Vec<AgentProfile>,
    ledger: Ledger,
    kinds: HashMap<ContactId, ContactKind>,
    now: Timestamp,
    next_contact: u128,
    arrived_in_op: Option<ContactId>,
}

impl World {
    fn pick(&self, n: usize, phase: fn(&ContactPhase) -> bool) -> Option<ContactStatus> {
        let mut matching: Vec<_> = self.engine.contacts().filter(|c| phase(&c.phase)).collect();
        matching.sort_by_key(|c| c.id);
        (!matching.is_empty()).then(|| matching.swap_remove(n % matching.len()))
    }

    fn run(&mut self, op: &Op) -> Result<Vec<Event>, TestCaseError> {
        let now = self.now;
        self.arrived_in_op = None;
        let agent = |n: usize| self.profiles[n % self.profiles.len()].id;
        let events = match op {
            Op::Arrive {
                kind,
                reason,
                department,
                lang,
                tier,
                home,
                manager,
                waited_before,
            } => {
                self.next_contact += 1;
                let id = ContactId(Uuid::from_u128(1000 + self.next_contact));
                let arrived = now
                    .checked_sub(SignedDuration::from_secs(*waited_before))
                    .unwrap();
                let mut c = NewContact::new(id, *kind, *reason, *tier, *lang, arrived);
                c.department = *department;
                c.home_hub = Some(*home);
                c.relationship_manager = manager.map(agent);
                self.kinds.insert(id, *kind);
                self.arrived_in_op = Some(id);
                let events = self.engine.arrive(c, now).unwrap();
                let status = self.engine.contact(id).unwrap();
                prop_assert_eq!(status.priority, expected_priority(*reason, *tier));
                events
            }
            Op::Advance(secs) => {
                self.now = now.checked_add(SignedDuration::from_secs(*secs)).unwrap();
                self.engine.tick(self.now)
            }
            Op::Accept(n) | Op::Decline(n) => {
                // Offers may time out on the way: run the timers first, then pick.
                let mut events = self.engine.tick(now);
                if let Some(c) = self.pick(*n, |p| matches!(p, ContactPhase::Offered { .. })) {
                    let ContactPhase::Offered { agent, .. } = c.phase else {
                        unreachable!()
                    };
                    events.extend(match op {
                        Op::Accept(_) => self.engine.accept(c.id, agent, now).unwrap(),
                        _ => self.engine.decline(c.id, agent, now).unwrap(),
                    });
                }
                events
            }
            Op::Abandon(n) => {
                let mut events = self.engine.tick(now);
                if let Some(c) = self.pick(*n, |p| !matches!(p, ContactPhase::Connected { .. })) {
                    events.extend(self.engine.abandon(c.id, now).unwrap());
                }
                events
            }
            Op::Complete(n) => {
                let mut events = self.engine.tick(now);
                if let Some(c) = self.pick(*n, |p| matches!(p, ContactPhase::Connected { .. })) {
                    events.extend(self.engine.complete(c.id, now).unwrap());
                }
                events
            }
            Op::WrapUpDone(n) => self.engine.wrap_up_done(agent(*n), now).unwrap(),
            Op::SetAvailability(n, v) => self.engine.set_availability(agent(*n), *v, now).unwrap(),
        };
        Ok(events)
    }

    fn check(&mut self, events: &[Event]) -> Result<(), TestCaseError> {
        let before = Ledger {
            offered: self.ledger.offered.clone(),
            connected: self.ledger.connected.clone(),
        };
        for e in events {
            self.ledger.apply(e)?;
        }
        let contacts: Vec<ContactStatus> = self.engine.contacts().collect();
        // The engine's view agrees with the events.
        for c in &contacts {
            match c.phase {
                ContactPhase::Offered { agent, .. } => {
                    prop_assert_eq!(self.ledger.offered.get(&c.id), Some(&agent))
                }
                ContactPhase::Connected { agent, .. } => {
                    prop_assert_eq!(self.ledger.connected.get(&c.id), Some(&agent))
                }
                ContactPhase::Waiting { reach } => {
                    prop_assert!(self.ledger.is_waiting(c.id));
                    prop_assert_eq!(reach, expected_reach(self.now.duration_since(c.arrived_at)));
                }
                ContactPhase::WaitingForManager { .. } => {
                    prop_assert!(self.ledger.is_waiting(c.id));
                    prop_assert!(
                        self.now.duration_since(c.arrived_at)
                            < SignedDuration::from_secs(MANAGER_WAIT)
                    );
                }
            }
        }
        prop_assert_eq!(
            contacts
                .iter()
                .filter(|c| !self.ledger.is_waiting(c.id))
                .count(),
            self.ledger.offered.len() + self.ledger.connected.len()
        );

        for profile in &self.profiles {
            let status = self.engine.agent(profile.id).unwrap();
            let loads = self.ledger.loads(profile.id, &self.kinds);
            // Never beyond capacity.
            let (voice, digital) = loads;
            prop_assert!(voice <= 1 && (voice == 0 || (profile.capacity.voice && digital == 0)));
            prop_assert!(digital <= usize::from(profile.capacity.digital));
            // Never idle while a contact it may take waits.
            for c in contacts.iter().filter(|c| self.ledger.is_waiting(c.id)) {
                prop_assert!(
                    !(has_room(profile, &status, loads, c.kind.medium())
                        && may_take(profile, c, self.now)),
                    "agent {} ({:?}) is free while {:?} waits",
                    profile.id,
                    status,
                    c
                );
            }
        }

        // Priorities: nobody still waiting was a better choice for an agent when it got its offer.
        let mut ledger = before;
        for (i, e) in events.iter().enumerate() {
            if let EventKind::Offered { contact, agent, .. } = e.kind
                && let Some(offered) = contacts.iter().find(|c| c.id == contact)
            {
                let profile = self.profiles.iter().find(|p| p.id == agent).unwrap();
                // The contact arriving in this operation exists once it is queued.
                let present = |w: &ContactStatus| match self.arrived_in_op {
                    Some(id) if id == w.id => events[..i].iter().any(
                        |x| matches!(x.kind, EventKind::Queued { contact, .. } if contact == id),
                    ),
                    _ => true,
                };
                for w in contacts.iter().filter(|w| {
                    w.id != contact
                        && w.relationship_manager.is_none()
                        && w.kind.medium() == offered.kind.medium()
                        && self.ledger.is_waiting(w.id)
                        && ledger.is_waiting(w.id)
                        && present(w)
                        && w.arrived_at <= e.at
                        && may_take(profile, w, e.at)
                }) {
                    prop_assert!(
                        (offered.priority, offered.arrived_at) <= (w.priority, w.arrived_at),
                        "agent {} was offered {:?} while the better {:?} waited",
                        agent,
                        offered,
                        w
                    );
                }
            }
            ledger.apply(e)?;
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn routing_invariants_hold_after_every_operation(
        profiles in (2usize..6).prop_flat_map(|n| (0..n).map(agent_profile).collect::<Vec<_>>()),
        availability in prop::collection::vec(prop::bool::weighted(0.8), 6),
        ops in prop::collection::vec(op(), 1..80),
        break_after_missed_offer in any::<bool>(),
        longest_idle_first in any::<bool>(),
    ) {
        let mut engine = Engine::new(policy(break_after_missed_offer, longest_idle_first), start()).unwrap();
        for (p, on) in profiles.iter().zip(&availability) {
            engine.upsert_agent(p.clone(), start()).unwrap();
            if *on {
                engine.set_availability(p.id, Availability::Available, start()).unwrap();
            }
        }
        let mut world = World {
            engine,
            profiles,
            ledger: Ledger::default(),
            kinds: HashMap::new(),
            now: start(),
            next_contact: 0,
            arrived_in_op: None,
        };
        for op in &ops {
            let events = world.run(op)?;
            world.check(&events)?;
        }
    }
}
