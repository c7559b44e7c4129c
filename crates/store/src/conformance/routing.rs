//! Routing rows: what the server keeps current from the engine's events must rebuild the engine.

use ::routing::{
    AgentProfile, Availability, Capacity, ContactKind, Engine, Hub, NewContact, Policy,
    RecordedStatus,
};
use domain::{AgentId, Clock, ContactId, Department, FakeClock, Lang, Reason, Role, Tier};

use super::sample_user;
use crate::*;

fn changes_of(engine: &Engine, agents: &[AgentId], contacts: &[ContactId]) -> RoutingChanges {
    RoutingChanges {
        at: engine.now(),
        agents: agents.iter().filter_map(|a| engine.agent_row(*a)).collect(),
        contacts: contacts
            .iter()
            .filter_map(|c| engine.contact_row(*c))
            .collect(),
        finished: contacts
            .iter()
            .filter(|c| engine.contact_row(**c).is_none())
            .copied()
            .collect(),
        figures: Some(RoutingFigures {
            since: engine.figures_since(),
            counters: engine.slice_counters(),
            handle_times: engine.handle_times(),
        }),
    }
}

pub(super) async fn rows_rebuild_the_engine(store: &dyn Store, clock: &FakeClock) {
    let now = clock.now();
    let user = sample_user("router@example.test", Role::Agent, now);
    store
        .insert_user(&user, Effects::none())
        .await
        .expect("insert agent user");
    let agent = AgentId(user.id.0);
    let profile = AgentProfile {
        id: agent,
        hub: Hub::London,
        departments: [(Department::General, 4), (Department::Rewards, 2)].into(),
        languages: [(Lang::En, 5), (Lang::Es, 3)].into(),
        tiers: [Tier::Green, Tier::Platinum].into(),
        capacity: Capacity {
            voice: true,
            digital: 2,
        },
    };
    let mut engine = Engine::new(Policy::default(), now).expect("engine");
    engine.upsert_agent(profile.clone(), now).expect("agent");
    engine
        .set_availability(agent, Availability::Available, now)
        .expect("available");
    let (first, second) = (ContactId::new(), ContactId::new());
    for id in [first, second] {
        let mut contact = NewContact::new(
            id,
            ContactKind::Call,
            Reason::General,
            Tier::Green,
            Lang::En,
            now,
        );
        contact.home_hub = Some(Hub::London);
        contact.context = serde_json::json!("case:42");
        engine.arrive(contact, now).expect("arrive");
    }
    let changes = changes_of(&engine, &[agent], &[first, second]);
    let event = NewEvent::new("routing.offered", format!("contact:{first}"), 1);
    store
        .save_routing_changes(&changes, Effects::none().event(event))
        .await
        .expect("save");
    assert_eq!(
        store
            .events_for_subject(&format!("contact:{first}"))
            .await
            .expect("events")
            .len(),
        1,
        "the change's event is written with it"
    );

    let state = store.routing_state(now).await.expect("state");
    let mine = state
        .agents
        .iter()
        .find(|a| a.profile.id == agent)
        .expect("agent row");
    assert_eq!(mine.profile, profile);
    assert_eq!(mine.availability, Availability::Available);
    let offered = state
        .contacts
        .iter()
        .find(|c| c.contact.id == first)
        .expect("first contact");
    assert!(
        matches!(offered.status, RecordedStatus::Offered { agent: a, .. } if a == agent),
        "{offered:?}"
    );
    assert_eq!(offered.contact.context, serde_json::json!("case:42"));
    let waiting = state
        .contacts
        .iter()
        .find(|c| c.contact.id == second)
        .expect("second contact");
    assert_eq!(waiting.status, RecordedStatus::Waiting);
    assert_eq!(state.counters, engine.slice_counters());

    let (restored, _) = Engine::restore(Policy::default(), state).expect("restore");
    assert_eq!(restored.contact(first), engine.contact(first));
    assert_eq!(restored.contact(second), engine.contact(second));

    // The first call is answered and finished: its row goes, the handle time stays.
    engine.accept(first, agent, now).expect("accept");
    let later = now + jiff::SignedDuration::from_secs(90);
    engine.complete(first, later).expect("complete");
    let changes = changes_of(&engine, &[agent], &[first, second]);
    assert_eq!(changes.finished, vec![first]);
    store
        .save_routing_changes(&changes, Effects::none())
        .await
        .expect("save");
    let state = store.routing_state(later).await.expect("state");
    assert!(state.contacts.iter().all(|c| c.contact.id != first));
    assert_eq!(state.handle_times, engine.handle_times());
    assert!(!state.handle_times.is_empty());

    // A row for someone who is not staff is refused, and nothing of the change is kept.
    let stranger = AgentId::new();
    let mut bad = changes_of(&engine, &[], &[second]);
    let mut row = engine.agent_row(agent).expect("row");
    row.profile.id = stranger;
    bad.agents.push(row);
    let subject = format!("agent:{stranger}");
    let err = store
        .save_routing_changes(
            &bad,
            Effects::none().event(NewEvent::new("routing.x", subject.clone(), 1)),
        )
        .await
        .expect_err("unknown staff user");
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    assert!(
        store
            .events_for_subject(&subject)
            .await
            .expect("events")
            .is_empty()
    );
}
