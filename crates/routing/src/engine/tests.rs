use domain::{AgentId, ContactId, Department, Lang, Reason, Tier, Timestamp};
use jiff::SignedDuration;
use uuid::Uuid;

use super::*;
use crate::model::Capacity;

/// 14:00 UTC on a Monday in January: London and New York are open.
fn t(secs: i64) -> Timestamp {
    let base: Timestamp = "2026-01-05T14:00:00Z".parse().unwrap();
    base.checked_add(SignedDuration::from_secs(secs)).unwrap()
}

fn aid(n: u128) -> AgentId {
    AgentId(Uuid::from_u128(n))
}

fn cid(n: u128) -> ContactId {
    ContactId(Uuid::from_u128(1000 + n))
}

fn profile(n: u128, hub: Hub) -> AgentProfile {
    AgentProfile {
        id: aid(n),
        hub,
        departments: [(Department::General, 3)].into(),
        languages: [(Lang::En, 3)].into(),
        tiers: Tier::ALL.iter().copied().collect(),
        capacity: Capacity::VOICE,
    }
}

fn call(n: u128, reason: Reason, tier: Tier, at: Timestamp) -> NewContact {
    let mut c = NewContact::new(cid(n), ContactKind::Call, reason, tier, Lang::En, at);
    c.department = Department::General;
    c.home_hub = Some(Hub::London);
    c
}

fn engine() -> Engine {
    Engine::new(Policy::default(), t(0)).unwrap()
}

fn login(e: &mut Engine, p: AgentProfile, at: Timestamp) -> Vec<Event> {
    let id = p.id;
    e.upsert_agent(p, at).unwrap();
    e.set_availability(id, Availability::Available, at).unwrap()
}

fn offers(events: &[Event]) -> Vec<(ContactId, AgentId)> {
    events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Offered { contact, agent, .. } => Some((contact, agent)),
            _ => None,
        })
        .collect()
}

/// Offers `contact` to `agent` and has it accepted.
fn answer(e: &mut Engine, events: &[Event], contact: u128, agent: u128, at: Timestamp) {
    assert_eq!(
        offers(events),
        vec![(cid(contact), aid(agent))],
        "{events:#?}"
    );
    e.accept(cid(contact), aid(agent), at).unwrap();
}

#[test]
fn a_free_agent_gets_a_contact_at_once_and_wraps_up_after_it() {
    let mut e = engine();
    login(&mut e, profile(1, Hub::London), t(0));
    let ev = e
        .arrive(call(1, Reason::General, Tier::Gold, t(5)), t(5))
        .unwrap();
    assert_eq!(offers(&ev), vec![(cid(1), aid(1))]);
    let Some(EventKind::Offered { expires_at, .. }) = ev.first().map(|e| e.kind.clone()) else {
        panic!("{ev:?}")
    };
    assert_eq!(expires_at, t(25));
    assert_eq!(e.agent(aid(1)).unwrap().presence, Presence::OnContact);
    let ev = e.accept(cid(1), aid(1), t(8)).unwrap();
    assert!(matches!(ev[0].kind, EventKind::Connected { waited_secs, .. } if waited_secs == 3.0));
    let ev = e.complete(cid(1), t(100)).unwrap();
    assert!(ev.iter().any(
        |e| matches!(e.kind, EventKind::Completed { handled_secs, .. } if handled_secs == 92.0)
    ));
    assert_eq!(e.agent(aid(1)).unwrap().presence, Presence::WrapUp);
    // A call arriving during wrap-up waits until wrap-up is done.
    let ev = e
        .arrive(call(2, Reason::General, Tier::Gold, t(110)), t(110))
        .unwrap();
    assert!(offers(&ev).is_empty());
    let ev = e.wrap_up_done(aid(1), t(130)).unwrap();
    assert_eq!(offers(&ev), vec![(cid(2), aid(1))]);
    assert!(e.complete(cid(1), t(131)).is_err());
}

#[test]
fn wrap_up_ends_by_itself_at_the_limit() {
    let mut e = engine();
    login(&mut e, profile(1, Hub::London), t(0));
    let ev = e
        .arrive(call(1, Reason::General, Tier::Gold, t(0)), t(0))
        .unwrap();
    answer(&mut e, &ev, 1, 1, t(1));
    e.complete(cid(1), t(10)).unwrap();
    e.arrive(call(2, Reason::General, Tier::Gold, t(20)), t(20))
        .unwrap();
    assert!(offers(&e.tick(t(129))).is_empty());
    let ev = e.tick(t(200));
    assert_eq!(offers(&ev), vec![(cid(2), aid(1))]);
    assert_eq!(ev[0].at, t(130));
}

#[test]
fn urgent_before_premium_before_standard_then_longest_waiting() {
    let mut e = engine();
    login(&mut e, profile(1, Hub::London), t(0));
    let ev = e
        .arrive(call(1, Reason::General, Tier::Gold, t(0)), t(0))
        .unwrap();
    answer(&mut e, &ev, 1, 1, t(0));
    // Arrival order: standard, premium, standard, fraud, lost card, premium.
    let waiting = [
        (2, Reason::Billing, Tier::Gold),
        (3, Reason::General, Tier::Centurion),
        (4, Reason::General, Tier::Green),
        (5, Reason::Fraud, Tier::Green),
        (6, Reason::LostStolen, Tier::Gold),
        (7, Reason::Rewards, Tier::Platinum),
    ];
    for (i, (n, reason, tier)) in waiting.into_iter().enumerate() {
        let at = t(1 + i as i64);
        let ev = e.arrive(call(n, reason, tier, at), at).unwrap();
        assert!(offers(&ev).is_empty());
    }
    let mut order = Vec::new();
    let mut current = 1;
    for step in 0..6 {
        let at = t(10 + step);
        e.complete(cid(current), at).unwrap();
        let ev = e.wrap_up_done(aid(1), at).unwrap();
        let (contact, _) = offers(&ev)[0];
        e.accept(contact, aid(1), at).unwrap();
        current = contact.0.as_u128() - 1000;
        order.push(current);
    }
    assert_eq!(order, vec![5, 6, 3, 7, 2, 4]);
}

#[test]
fn the_best_skilled_free_agent_gets_the_contact_then_the_longest_idle() {
    let mut e = engine();
    let mut expert = profile(1, Hub::London);
    expert.departments.insert(Department::General, 5);
    login(&mut e, profile(2, Hub::London), t(0));
    login(&mut e, profile(3, Hub::London), t(1));
    login(&mut e, expert, t(2));
    let ev = e
        .arrive(call(1, Reason::General, Tier::Gold, t(5)), t(5))
        .unwrap();
    assert_eq!(offers(&ev), vec![(cid(1), aid(1))]);
    // Equal skill: agent 2 has been free longer than agent 3.
    let ev = e
        .arrive(call(2, Reason::General, Tier::Gold, t(6)), t(6))
        .unwrap();
    assert_eq!(offers(&ev), vec![(cid(2), aid(2))]);

    let policy = Policy {
        agent_order: AgentOrder::LongestIdleThenBestSkilled,
        ..Policy::default()
    };
    let mut e = Engine::new(policy, t(0)).unwrap();
    let mut expert = profile(1, Hub::London);
    expert.departments.insert(Department::General, 5);
    login(&mut e, profile(2, Hub::London), t(0));
    login(&mut e, expert, t(2));
    let ev = e
        .arrive(call(1, Reason::General, Tier::Gold, t(5)), t(5))
        .unwrap();
    assert_eq!(offers(&ev), vec![(cid(1), aid(2))]);
}

#[test]
fn a_waiting_contact_widens_to_other_hubs_then_to_anyone_with_the_language() {
    let mut e = engine();
    let mut billing_ny = profile(1, Hub::NewYork);
    billing_ny.departments = [(Department::BillingDisputes, 4)].into();
    let mut french = profile(2, Hub::London);
    french.languages = [(Lang::Fr, 5)].into();
    french.departments = [(Department::BillingDisputes, 5)].into();
    let mut general_ny = profile(3, Hub::NewYork);
    general_ny.departments = [(Department::Rewards, 2)].into();
    login(&mut e, billing_ny, t(0));
    login(&mut e, french, t(0));
    login(&mut e, general_ny, t(0));

    // Billing, English, home London: nobody in London may take it yet.
    let mut c1 = call(1, Reason::Billing, Tier::Gold, t(0));
    c1.department = Department::BillingDisputes;
    let ev = e.arrive(c1, t(0)).unwrap();
    assert!(offers(&ev).is_empty());
    assert!(
        ev.iter()
            .any(|e| matches!(e.kind, EventKind::Queued { .. }))
    );
    assert!(offers(&e.tick(t(29))).is_empty());
    // At 30 s any hub: the New York billing agent.
    let ev = e.tick(t(30));
    assert!(matches!(
        ev[0].kind,
        EventKind::Widened {
            reach: Reach::AnyHub,
            ..
        }
    ));
    assert_eq!(offers(&ev), vec![(cid(1), aid(1))]);
    e.accept(cid(1), aid(1), t(31)).unwrap();

    // An account question nobody is skilled for: after 120 s, any English speaker.
    let mut c2 = call(2, Reason::Account, Tier::Gold, t(40));
    c2.department = Department::AccountManagement;
    assert!(offers(&e.arrive(c2, t(40)).unwrap()).is_empty());
    assert!(offers(&e.tick(t(159))).is_empty());
    let ev = e.tick(t(160));
    assert_eq!(offers(&ev), vec![(cid(2), aid(3))]);
    assert_eq!(
        e.contact(cid(2)).unwrap().phase,
        ContactPhase::Offered {
            agent: aid(3),
            expires_at: t(180)
        }
    );
}

#[test]
fn premium_and_business_lines_need_the_tier_skill() {
    let mut e = engine();
    let mut standard_only = profile(1, Hub::London);
    standard_only.tiers = [Tier::Green, Tier::Gold].into();
    login(&mut e, standard_only, t(0));
    let ev = e
        .arrive(call(1, Reason::General, Tier::Business, t(0)), t(0))
        .unwrap();
    assert!(offers(&ev).is_empty());
    let mut business = profile(2, Hub::London);
    business.tiers = [Tier::Business].into();
    let ev = login(&mut e, business, t(10));
    assert_eq!(offers(&ev), vec![(cid(1), aid(2))]);
}

#[test]
fn a_relationship_manager_answers_their_cardholders_first() {
    let mut e = engine();
    login(&mut e, profile(1, Hub::London), t(0));
    login(&mut e, profile(2, Hub::London), t(1));
    // Keep the manager (agent 1) busy.
    let ev = e
        .arrive(call(1, Reason::General, Tier::Gold, t(2)), t(2))
        .unwrap();
    answer(&mut e, &ev, 1, 1, t(2));
    let mut vip = call(2, Reason::General, Tier::Centurion, t(3));
    vip.relationship_manager = Some(aid(1));
    let ev = e.arrive(vip, t(3)).unwrap();
    assert!(
        offers(&ev).is_empty(),
        "agent 2 is free but must not take it"
    );
    assert_eq!(
        e.contact(cid(2)).unwrap().phase,
        ContactPhase::WaitingForManager { manager: aid(1) }
    );
    // The manager finishes within the wait: they get their cardholder.
    e.complete(cid(1), t(20)).unwrap();
    let ev = e.wrap_up_done(aid(1), t(21)).unwrap();
    assert_eq!(offers(&ev), vec![(cid(2), aid(1))]);

    // Another cardholder of agent 1 while they are busy: after 60 s, anyone.
    e.accept(cid(2), aid(1), t(22)).unwrap();
    let mut vip = call(3, Reason::General, Tier::Centurion, t(30));
    vip.relationship_manager = Some(aid(1));
    assert!(offers(&e.arrive(vip, t(30)).unwrap()).is_empty());
    assert!(offers(&e.tick(t(89))).is_empty());
    let ev = e.tick(t(90));
    assert_eq!(offers(&ev), vec![(cid(3), aid(2))]);

    // A manager on break is not waited for.
    e.set_availability(aid(1), Availability::Break, t(95))
        .unwrap();
    e.accept(cid(3), aid(2), t(95)).unwrap();
    login(&mut e, profile(4, Hub::London), t(96));
    let mut vip = call(4, Reason::General, Tier::Centurion, t(97));
    vip.relationship_manager = Some(aid(1));
    assert_eq!(
        offers(&e.arrive(vip, t(97)).unwrap()),
        vec![(cid(4), aid(4))]
    );
}

#[test]
fn a_missed_offer_goes_to_someone_else_and_the_agent_goes_on_break() {
    let mut e = engine();
    login(&mut e, profile(1, Hub::London), t(0));
    e.arrive(call(1, Reason::General, Tier::Gold, t(1)), t(1))
        .unwrap();
    login(&mut e, profile(2, Hub::London), t(5));
    let ev = e.tick(t(21));
    let kinds: Vec<_> = ev.iter().map(|e| &e.kind).collect();
    assert!(matches!(
        kinds[0],
        EventKind::OfferWithdrawn {
            reason: Withdrawal::TimedOut,
            ..
        }
    ));
    assert!(kinds.iter().any(|k| matches!(k, EventKind::PresenceChanged { presence: Presence::Break, agent } if *agent == aid(1))));
    assert_eq!(offers(&ev), vec![(cid(1), aid(2))]);
    assert_eq!(
        e.accept(cid(1), aid(1), t(22)),
        Err(RoutingError::NotOffered {
            contact: cid(1),
            agent: aid(1)
        })
    );
    assert_eq!(e.contact(cid(1)).unwrap().declined_by, vec![aid(1)]);
}

#[test]
fn a_declined_contact_is_never_offered_to_the_same_agent_again() {
    let mut e = engine();
    login(&mut e, profile(1, Hub::London), t(0));
    e.arrive(call(1, Reason::General, Tier::Gold, t(1)), t(1))
        .unwrap();
    e.arrive(call(2, Reason::General, Tier::Gold, t(2)), t(2))
        .unwrap();
    // Agent 1 declines contact 1 and is offered contact 2 instead.
    let ev = e.decline(cid(1), aid(1), t(3)).unwrap();
    assert_eq!(offers(&ev), vec![(cid(2), aid(1))]);
    e.accept(cid(2), aid(1), t(3)).unwrap();
    // A second agent takes contact 1.
    let ev = login(&mut e, profile(2, Hub::London), t(4));
    assert_eq!(offers(&ev), vec![(cid(1), aid(2))]);
}

#[test]
fn abandoning_while_ringing_frees_the_agent_for_the_next_contact() {
    let mut e = engine();
    login(&mut e, profile(1, Hub::London), t(0));
    e.arrive(call(1, Reason::General, Tier::Gold, t(1)), t(1))
        .unwrap();
    e.arrive(call(2, Reason::General, Tier::Gold, t(2)), t(2))
        .unwrap();
    e.arrive(call(3, Reason::General, Tier::Gold, t(3)), t(3))
        .unwrap();
    let ev = e.abandon(cid(2), t(4)).unwrap();
    assert!(offers(&ev).is_empty());
    let ev = e.abandon(cid(1), t(5)).unwrap();
    assert!(matches!(
        ev[0].kind,
        EventKind::OfferWithdrawn {
            reason: Withdrawal::Abandoned,
            ..
        }
    ));
    assert_eq!(offers(&ev), vec![(cid(3), aid(1))]);
    e.accept(cid(3), aid(1), t(6)).unwrap();
    assert_eq!(
        e.abandon(cid(3), t(7)),
        Err(RoutingError::AlreadyConnected(cid(3)))
    );
    let total = e.figures(t(7)).total;
    assert_eq!(total.counters.abandoned, 2);
    assert_eq!(total.counters.answered, 1);
}

#[test]
fn chat_agents_take_several_chats_but_no_calls() {
    let mut e = engine();
    let mut chat = profile(1, Hub::London);
    chat.capacity = Capacity::digital(2);
    login(&mut e, chat, t(0));
    let chat_at = |n, at| {
        let mut c = call(n, Reason::General, Tier::Gold, at);
        c.kind = ContactKind::Chat;
        c
    };
    assert_eq!(
        offers(&e.arrive(chat_at(1, t(1)), t(1)).unwrap()),
        vec![(cid(1), aid(1))]
    );
    assert_eq!(
        offers(&e.arrive(chat_at(2, t(2)), t(2)).unwrap()),
        vec![(cid(2), aid(1))]
    );
    assert!(offers(&e.arrive(chat_at(3, t(3)), t(3)).unwrap()).is_empty());
    assert!(
        offers(
            &e.arrive(call(4, Reason::General, Tier::Gold, t(4)), t(4))
                .unwrap()
        )
        .is_empty()
    );
    e.accept(cid(1), aid(1), t(5)).unwrap();
    e.accept(cid(2), aid(1), t(5)).unwrap();
    // Ending one chat makes room for the waiting chat, not the call (wrap-up only when idle).
    let ev = e.complete(cid(1), t(6)).unwrap();
    assert_eq!(offers(&ev), vec![(cid(3), aid(1))]);
}

#[test]
fn a_blended_agent_takes_a_call_only_with_nothing_open() {
    let mut e = engine();
    let mut blended = profile(1, Hub::London);
    blended.capacity = Capacity {
        voice: true,
        digital: 2,
    };
    login(&mut e, blended, t(0));
    let mut chat = call(1, Reason::General, Tier::Gold, t(1));
    chat.kind = ContactKind::Chat;
    assert_eq!(
        offers(&e.arrive(chat, t(1)).unwrap()),
        vec![(cid(1), aid(1))]
    );
    assert!(
        offers(
            &e.arrive(call(2, Reason::General, Tier::Gold, t(2)), t(2))
                .unwrap()
        )
        .is_empty()
    );
    e.accept(cid(1), aid(1), t(3)).unwrap();
    e.complete(cid(1), t(4)).unwrap();
    let ev = e.wrap_up_done(aid(1), t(5)).unwrap();
    assert_eq!(offers(&ev), vec![(cid(2), aid(1))]);
}

#[test]
fn long_estimated_waits_suggest_a_callback_that_keeps_the_place_in_line() {
    let mut e = engine();
    login(&mut e, profile(1, Hub::London), t(0));
    let first = call(1, Reason::General, Tier::Gold, t(0));
    assert_eq!(e.estimate_wait(&first), Some(SignedDuration::ZERO));
    let ev = e
        .arrive(call(1, Reason::General, Tier::Gold, t(0)), t(0))
        .unwrap();
    answer(&mut e, &ev, 1, 1, t(0));
    // Default voice handle time 300 s, one agent: the first waiting caller hears 300 s.
    let ev = e
        .arrive(call(2, Reason::General, Tier::Gold, t(1)), t(1))
        .unwrap();
    let queued = ev
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Queued {
                estimated_wait_secs,
                ..
            } => Some(*estimated_wait_secs),
            _ => None,
        })
        .unwrap();
    assert_eq!(queued, Some(300.0));
    assert!(
        ev.iter()
            .any(|e| matches!(e.kind, EventKind::CallbackSuggested { .. }))
    );
    e.convert_to_callback(cid(2), t(2)).unwrap();
    assert_eq!(e.contact(cid(2)).unwrap().kind, ContactKind::Callback);
    assert_eq!(
        e.convert_to_callback(cid(2), t(2)),
        Err(RoutingError::NotAWaitingCall(cid(2)))
    );
    // A short learned handle time brings the estimate under the callback threshold.
    e.complete(cid(1), t(60)).unwrap();
    let ev = e.wrap_up_done(aid(1), t(61)).unwrap();
    answer(&mut e, &ev, 2, 1, t(61));
    let mut probe = call(9, Reason::General, Tier::Gold, t(62));
    probe.kind = ContactKind::Call;
    assert_eq!(e.estimate_wait(&probe), Some(SignedDuration::from_secs(60)));
    let ev = e
        .arrive(call(3, Reason::General, Tier::Gold, t(62)), t(62))
        .unwrap();
    assert!(
        !ev.iter()
            .any(|e| matches!(e.kind, EventKind::CallbackSuggested { .. }))
    );
}

#[test]
fn figures_count_service_level_speed_of_answer_and_abandonment() {
    let mut e = engine();
    login(&mut e, profile(1, Hub::London), t(0));
    // Premium answered in 10 s (target 30), standard in 70 s (target 60), one abandoned.
    let ev = e
        .arrive(call(1, Reason::General, Tier::Platinum, t(0)), t(0))
        .unwrap();
    assert_eq!(offers(&ev).len(), 1);
    e.accept(cid(1), aid(1), t(10)).unwrap();
    e.arrive(call(2, Reason::General, Tier::Gold, t(10)), t(10))
        .unwrap();
    e.arrive(call(3, Reason::General, Tier::Gold, t(11)), t(11))
        .unwrap();
    e.abandon(cid(3), t(40)).unwrap();
    e.complete(cid(1), t(70)).unwrap();
    e.wrap_up_done(aid(1), t(75)).unwrap();
    e.accept(cid(2), aid(1), t(80)).unwrap();
    let f = e.figures(t(90));
    let total = &f.total;
    assert_eq!(total.counters.offered, 3);
    assert_eq!(total.counters.answered, 2);
    assert_eq!(total.counters.answered_within_target, 1);
    assert_eq!(total.service_level, Some(1.0 / 3.0));
    assert_eq!(total.asa_secs, Some(40.0));
    assert_eq!(total.abandon_rate, Some(1.0 / 3.0));
    assert_eq!(total.average_handle_secs, Some(60.0));
    assert_eq!(total.waiting, 0);
    let queue = f
        .queues
        .iter()
        .find(|q| q.department == Department::General && q.lang == Lang::En)
        .unwrap();
    assert_eq!(queue.figures.counters.offered, 3);
    assert_eq!(queue.staffed_voice, 1);
    let london = f.hubs.iter().find(|h| h.hub == Hub::London).unwrap();
    assert!(london.open);
    assert_eq!(london.agents[&Presence::OnContact], 1);
    assert_eq!(london.figures.counters.offered, 3);
    let tokyo = f.hubs.iter().find(|h| h.hub == Hub::Tokyo).unwrap();
    assert!(!tokyo.open);
    let platinum = f.tiers.iter().find(|x| x.tier == Tier::Platinum).unwrap();
    assert_eq!(platinum.figures.counters.answered_within_target, 1);
    // Longest wait is live.
    e.arrive(call(4, Reason::General, Tier::Gold, t(100)), t(100))
        .unwrap();
    let f = e.figures(t(130));
    assert_eq!((f.total.waiting, f.total.longest_wait_secs), (1, 30.0));
    let json = serde_json::to_value(&f).unwrap();
    assert_eq!(json["total"]["longest_wait_secs"], 30.0);
    // Hubs come in the policy's preference order.
    assert_eq!(json["hubs"][0]["hub"], "london");
    assert_eq!(json["hubs"][1]["hub"], "new_york");
    e.reset_figures(t(130));
    assert_eq!(e.figures(t(130)).total.counters.offered, 0);
    assert_eq!(e.figures(t(130)).total.waiting, 1);
}

#[test]
fn follow_the_sun_picks_the_home_hub_when_the_edge_does_not() {
    let tokyo_day: Timestamp = "2026-01-05T01:00:00Z".parse().unwrap();
    let mut e = Engine::new(Policy::default(), tokyo_day).unwrap();
    let travel = |n, lang| {
        NewContact::new(
            cid(n),
            ContactKind::Chat,
            Reason::Travel,
            Tier::Gold,
            lang,
            tokyo_day,
        )
    };
    e.arrive(travel(1, Lang::Ja), tokyo_day).unwrap();
    e.arrive(travel(2, Lang::Fr), tokyo_day).unwrap();
    assert_eq!(e.contact(cid(1)).unwrap().home_hub, Hub::Tokyo);
    // French prefers London, closed at 01:00 GMT: the first open hub instead.
    assert_eq!(e.contact(cid(2)).unwrap().home_hub, Hub::Tokyo);
}

#[test]
fn time_never_runs_backwards() {
    let mut e = engine();
    login(&mut e, profile(1, Hub::London), t(50));
    e.arrive(call(1, Reason::General, Tier::Gold, t(60)), t(40))
        .unwrap();
    assert_eq!(e.now(), t(50));
    assert_eq!(e.contact(cid(1)).unwrap().arrived_at, t(50));
}

#[test]
fn mistakes_are_reported_with_what_to_do() {
    let mut e = engine();
    let err = e
        .set_availability(aid(9), Availability::Available, t(0))
        .unwrap_err();
    assert!(err.to_string().contains("upsert_agent"), "{err}");
    e.arrive(call(1, Reason::General, Tier::Gold, t(0)), t(0))
        .unwrap();
    assert_eq!(
        e.arrive(call(1, Reason::General, Tier::Gold, t(0)), t(0)),
        Err(RoutingError::DuplicateContact(cid(1)))
    );
    assert_eq!(
        e.complete(cid(1), t(1)),
        Err(RoutingError::NotConnected(cid(1)))
    );
    assert_eq!(
        e.abandon(cid(7), t(1)),
        Err(RoutingError::UnknownContact(cid(7)))
    );
    let mut bad = profile(1, Hub::London);
    bad.languages.insert(Lang::Fr, 9);
    let err = e.upsert_agent(bad, t(1)).unwrap_err().to_string();
    assert!(err.contains("proficiency 9"), "{err}");
    let mut idle = profile(1, Hub::London);
    idle.capacity = Capacity::digital(0);
    assert!(e.upsert_agent(idle, t(1)).is_err());
}

#[test]
fn changing_an_agent_skills_reroutes_at_once() {
    let mut e = engine();
    let mut p = profile(1, Hub::London);
    p.languages = [(Lang::Fr, 3)].into();
    login(&mut e, p.clone(), t(0));
    assert!(
        offers(
            &e.arrive(call(1, Reason::General, Tier::Gold, t(1)), t(1))
                .unwrap()
        )
        .is_empty()
    );
    p.languages.insert(Lang::En, 2);
    let ev = e.upsert_agent(p, t(2)).unwrap();
    assert_eq!(offers(&ev), vec![(cid(1), aid(1))]);
}

#[test]
fn going_on_break_takes_back_offers_and_releases_held_cardholders() {
    let mut e = engine();
    login(&mut e, profile(1, Hub::London), t(0));
    let ev = e
        .arrive(call(1, Reason::General, Tier::Gold, t(1)), t(1))
        .unwrap();
    answer(&mut e, &ev, 1, 1, t(1));
    let mut vip = call(2, Reason::General, Tier::Centurion, t(2));
    vip.relationship_manager = Some(aid(1));
    e.arrive(vip, t(2)).unwrap();
    login(&mut e, profile(2, Hub::London), t(3));
    let mut chatty = profile(3, Hub::London);
    chatty.capacity = Capacity::digital(1);
    login(&mut e, chatty, t(3));
    let mut chat = call(3, Reason::General, Tier::Gold, t(4));
    chat.kind = ContactKind::Chat;
    assert_eq!(
        offers(&e.arrive(chat, t(4)).unwrap()),
        vec![(cid(3), aid(3))]
    );
    // Agent 3 goes on break with the chat ringing: withdrawn (and nobody else takes chats).
    let ev = e
        .set_availability(aid(3), Availability::Break, t(5))
        .unwrap();
    assert!(matches!(
        ev[0].kind,
        EventKind::OfferWithdrawn {
            reason: Withdrawal::AgentUnavailable,
            ..
        }
    ));
    assert!(matches!(
        e.contact(cid(3)).unwrap().phase,
        ContactPhase::Waiting { .. }
    ));
    // The manager logs out on their call: their cardholder goes to agent 2.
    let ev = e
        .set_availability(aid(1), Availability::Offline, t(6))
        .unwrap();
    assert_eq!(offers(&ev), vec![(cid(2), aid(2))]);
    assert_eq!(e.agent(aid(1)).unwrap().presence, Presence::OnContact);
    let ev = e.complete(cid(1), t(7)).unwrap();
    assert!(ev.iter().any(|e| matches!(
        e.kind,
        EventKind::PresenceChanged {
            presence: Presence::WrapUp,
            ..
        }
    )));
    let ev = e.wrap_up_done(aid(1), t(8)).unwrap();
    assert!(ev.iter().any(|e| matches!(
        e.kind,
        EventKind::PresenceChanged {
            presence: Presence::Offline,
            ..
        }
    )));
}

/// Drives two engines the same way and checks they say the same things.
fn same_future(a: &mut Engine, b: &mut Engine) {
    for (n, at) in [(50, 300), (51, 301), (52, 302)] {
        let ca = a
            .arrive(call(n, Reason::Fraud, Tier::Gold, t(at)), t(at))
            .unwrap();
        let cb = b
            .arrive(call(n, Reason::Fraud, Tier::Gold, t(at)), t(at))
            .unwrap();
        assert_eq!(ca, cb);
    }
    assert_eq!(a.tick(t(1000)), b.tick(t(1000)));
    let mut sa: Vec<_> = a.contacts().collect();
    let mut sb: Vec<_> = b.contacts().collect();
    sa.sort_by_key(|c| c.id);
    sb.sort_by_key(|c| c.id);
    assert_eq!(sa, sb);
    assert_eq!(
        a.agents().collect::<Vec<_>>(),
        b.agents().collect::<Vec<_>>()
    );
    assert_eq!(a.figures(t(1000)), b.figures(t(1000)));
}

#[test]
fn state_survives_a_restart() {
    let mut e = engine();
    login(&mut e, profile(1, Hub::London), t(0));
    login(&mut e, profile(2, Hub::NewYork), t(0));
    let mut chat = profile(3, Hub::London);
    chat.capacity = Capacity::digital(2);
    login(&mut e, chat, t(0));
    let ev = e
        .arrive(call(1, Reason::General, Tier::Gold, t(1)), t(1))
        .unwrap();
    answer(&mut e, &ev, 1, 1, t(2));
    // Home hub London, and the New York agent may only take it after 30 s.
    e.arrive(call(2, Reason::General, Tier::Gold, t(3)), t(3))
        .unwrap();
    let mut vip = call(3, Reason::General, Tier::Centurion, t(4));
    vip.relationship_manager = Some(aid(1));
    e.arrive(vip, t(4)).unwrap();
    let mut ch = call(4, Reason::General, Tier::Gold, t(5));
    ch.kind = ContactKind::Chat;
    e.arrive(ch, t(5)).unwrap();
    e.decline(cid(4), aid(3), t(6)).unwrap();
    e.complete(cid(1), t(10)).unwrap();
    e.tick(t(12));

    let saved = serde_json::to_string(&e.state()).unwrap();
    let (mut restored, events) =
        Engine::restore(Policy::default(), serde_json::from_str(&saved).unwrap()).unwrap();
    assert!(
        events.is_empty(),
        "a consistent state needs no new offers: {events:?}"
    );
    assert_eq!(restored.now(), e.now());
    assert_eq!(restored.next_wakeup(), e.next_wakeup());
    same_future(&mut e, &mut restored);
}

/// The rows an edge keeps from the events (each touched agent's and contact's row, the
/// counters) add up to the same state as a whole snapshot.
#[test]
fn rows_kept_from_events_equal_the_snapshot() {
    use std::collections::BTreeMap;
    let mut e = engine();
    let mut agents: BTreeMap<AgentId, AgentRecord> = BTreeMap::new();
    let mut contacts: BTreeMap<ContactId, ContactRecord> = BTreeMap::new();
    let mut keep = |e: &Engine, events: Vec<Event>, extra: Option<AgentId>| {
        for event in &events {
            let (contact, agent) = (event.kind.contact(), event.kind.agent());
            if let Some(c) = contact {
                match e.contact_row(c) {
                    Some(row) => contacts.insert(c, row),
                    None => contacts.remove(&c),
                };
            }
            if let Some(a) = agent.or(extra) {
                agents.insert(a, e.agent_row(a).unwrap());
            }
        }
        if let Some(a) = extra {
            agents.insert(a, e.agent_row(a).unwrap());
        }
    };
    for (n, hub) in [(1, Hub::London), (2, Hub::NewYork)] {
        let ev = e.upsert_agent(profile(n, hub), t(0)).unwrap();
        keep(&e, ev, Some(aid(n)));
        let ev = e
            .set_availability(aid(n), Availability::Available, t(0))
            .unwrap();
        keep(&e, ev, None);
    }
    let ev = e
        .arrive(call(1, Reason::General, Tier::Gold, t(1)), t(1))
        .unwrap();
    keep(&e, ev, None);
    let ev = e.accept(cid(1), aid(1), t(2)).unwrap();
    keep(&e, ev, None);
    let ev = e
        .arrive(call(2, Reason::Fraud, Tier::Gold, t(3)), t(3))
        .unwrap();
    keep(&e, ev, None);
    let ev = e
        .arrive(call(3, Reason::General, Tier::Green, t(4)), t(4))
        .unwrap();
    keep(&e, ev, None);
    let ev = e.convert_to_callback(cid(3), t(5)).unwrap();
    keep(&e, ev, None);
    let ev = e.complete(cid(1), t(20)).unwrap();
    keep(&e, ev, None);
    let ev = e.tick(t(90));
    keep(&e, ev, None);
    let ev = e.abandon(cid(3), t(95)).unwrap();
    keep(&e, ev, None);

    let snapshot = e.state();
    let mut by_id = snapshot.contacts.clone();
    by_id.sort_by_key(|c| c.contact.id);
    assert_eq!(contacts.into_values().collect::<Vec<_>>(), by_id);
    let mut agents_snapshot = snapshot.agents.clone();
    agents_snapshot.sort_by_key(|a| a.profile.id);
    assert_eq!(agents.into_values().collect::<Vec<_>>(), agents_snapshot);
    assert_eq!(e.slice_counters(), snapshot.counters);
    assert_eq!(e.handle_times(), snapshot.handle_times);
    assert_eq!(e.figures_since(), snapshot.figures_since);
}

#[test]
fn events_of_timers_run_by_a_failed_call_are_not_lost() {
    let mut e = engine();
    login(&mut e, profile(1, Hub::London), t(0));
    login(&mut e, profile(2, Hub::London), t(0));
    e.arrive(call(1, Reason::General, Tier::Gold, t(1)), t(1))
        .unwrap();
    // Agent 1 accepts too late: the offer timed out at 21 s and went to agent 2.
    assert!(e.accept(cid(1), aid(1), t(30)).is_err());
    let ev = e.tick(t(30));
    assert_eq!(offers(&ev), vec![(cid(1), aid(2))]);
    assert_eq!(ev[0].at, t(21));
}

#[test]
fn events_serialise_as_flat_tagged_objects() {
    let mut e = engine();
    login(&mut e, profile(1, Hub::London), t(0));
    let mut c = call(1, Reason::Fraud, Tier::Gold, t(1));
    c.context = serde_json::json!({"case": "HL-123"});
    let ev = e.arrive(c, t(1)).unwrap();
    let json = serde_json::to_value(&ev[0]).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "at": "2026-01-05T14:00:01Z",
            "type": "offered",
            "contact": cid(1).to_string(),
            "agent": aid(1).to_string(),
            "expires_at": "2026-01-05T14:00:21Z",
            "context": {"case": "HL-123"},
        })
    );
    let back: Event = serde_json::from_value(json).unwrap();
    assert_eq!(back, ev[0]);
}
