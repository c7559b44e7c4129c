use domain::{CardholderId, CaseId, Channel, ConversationId, Reason, Tier, UserId};
use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;

use super::*;
use crate::rules::CaseRules;

const T0: i64 = 1_772_550_000; // Tuesday 2026-03-03 15:00 UTC

fn at(minutes: i64) -> Timestamp {
    Timestamp::from_second(T0 + minutes * 60).unwrap()
}

fn uuid(n: u128) -> uuid::Uuid {
    uuid::Uuid::from_u128(n)
}

const AGENT: Actor = Actor::Staff(UserId(uuid::Uuid::from_u128(900)));

fn new_case(n: u128, reason: Reason, tier: Option<Tier>, channel: Channel) -> Case {
    let new = NewCase {
        id: CaseId(uuid(n)),
        reference: CaseRef::generate(n as u64),
        cardholder: Some(CardholderId(uuid(1))),
        tier,
        subject: "Card declined".to_owned(),
        reason,
        department: None,
        channel,
    };
    Case::open(new, Actor::System, at(0)).unwrap().0
}

fn chat_case() -> Case {
    new_case(10, Reason::General, Some(Tier::Gold), Channel::Chat)
}

fn run(
    case: &mut Case,
    rules: &CaseRules,
    minute: i64,
    command: CaseCommand,
) -> Result<Vec<CaseEvent>, CaseError> {
    case.execute(
        command,
        Context {
            now: at(minute),
            actor: AGENT,
            rules,
        },
    )
}

fn names(events: &[CaseEvent]) -> Vec<&'static str> {
    events.iter().map(|e| e.kind.name()).collect()
}

#[test]
fn a_case_lives_through_its_lifecycle() {
    let rules = CaseRules::default();
    let mut case = chat_case();
    assert_eq!(
        (case.status, case.priority, case.department),
        (Status::New, Priority::Normal, Department::General)
    );
    let events = run(
        &mut case,
        &rules,
        1,
        CaseCommand::RecordAgentResponse { conversation: None },
    )
    .unwrap();
    assert_eq!(names(&events), ["agent_responded", "accepted"]);
    assert_eq!(case.first_response_at, Some(at(1)));
    run(
        &mut case,
        &rules,
        2,
        CaseCommand::AwaitCustomer {
            request: "Where are you?".into(),
        },
    )
    .unwrap();
    assert_eq!(case.status, Status::WaitingOnCustomer);
    let events = run(
        &mut case,
        &rules,
        30,
        CaseCommand::RecordCustomerMessage { conversation: None },
    )
    .unwrap();
    assert_eq!(names(&events), ["customer_responded", "resumed"]);
    let events = run(
        &mut case,
        &rules,
        40,
        CaseCommand::Resolve {
            summary: "Travel notice set".into(),
        },
    )
    .unwrap();
    assert_eq!(names(&events), ["resolved", "survey_offered"]);
    run(
        &mut case,
        &rules,
        41,
        CaseCommand::AnswerSurvey {
            score: 5,
            comment: "quick!".into(),
        },
    )
    .unwrap();
    run(&mut case, &rules, 50, CaseCommand::Close).unwrap();
    assert_eq!(
        (case.status, case.closure),
        (Status::Closed, Some(Closure::Completed))
    );
    let events = run(
        &mut case,
        &rules,
        60,
        CaseCommand::RecordCustomerMessage { conversation: None },
    )
    .unwrap();
    assert_eq!(names(&events), ["customer_responded", "reopened"]);
    assert_eq!((case.status, case.reopened), (Status::Open, 1));
    let events = run(
        &mut case,
        &rules,
        70,
        CaseCommand::Resolve {
            summary: "Done again".into(),
        },
    )
    .unwrap();
    assert_eq!(names(&events), ["resolved"], "the survey is offered once");
    let err = run(
        &mut case,
        &rules,
        71,
        CaseCommand::AnswerSurvey {
            score: 4,
            comment: String::new(),
        },
    )
    .unwrap_err();
    assert!(matches!(err, CaseError::SurveyAnswered { .. }));
    run(&mut case, &rules, 80, CaseCommand::Close).unwrap();
    let too_late = 80 + 31 * 24 * 60;
    let err = run(
        &mut case,
        &rules,
        too_late,
        CaseCommand::Reopen {
            reason: "again".into(),
        },
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("can no longer be reopened; open a new case"),
        "{err}"
    );
}

#[test]
fn illegal_transitions_say_what_and_why() {
    let rules = CaseRules::default();
    let reference = chat_case().reference;
    let cases: Vec<(Vec<CaseCommand>, CaseCommand, String)> = vec![
        (
            vec![],
            CaseCommand::Close,
            format!(
                "cannot close case {reference} while it is new: a case is closed only after it is resolved"
            ),
        ),
        (
            vec![CaseCommand::Accept],
            CaseCommand::Accept,
            format!("cannot accept case {reference} while it is open: only a new case is accepted"),
        ),
        (
            vec![],
            CaseCommand::Resume,
            format!(
                "cannot resume case {reference} while it is new: only a case waiting on the customer is resumed"
            ),
        ),
        (
            vec![],
            CaseCommand::Reopen { reason: "x".into() },
            format!(
                "cannot reopen case {reference} while it is new: only a resolved or closed case can be reopened"
            ),
        ),
        (
            vec![CaseCommand::Resolve {
                summary: "ok".into(),
            }],
            CaseCommand::Resolve {
                summary: "ok".into(),
            },
            format!(
                "cannot resolve case {reference} while it is resolved: it is already resolved or closed"
            ),
        ),
        (
            vec![
                CaseCommand::Resolve {
                    summary: "ok".into(),
                },
                CaseCommand::Close,
            ],
            CaseCommand::Assign { to: None },
            format!(
                "cannot assign case {reference} while it is closed: a closed case must be reopened first"
            ),
        ),
        (
            vec![CaseCommand::AwaitCustomer {
                request: "docs".into(),
            }],
            CaseCommand::AwaitCustomer {
                request: "docs".into(),
            },
            format!(
                "cannot wait on the customer for case {reference} while it is waiting_on_customer: it already waits"
            ),
        ),
        (
            vec![],
            CaseCommand::AddNote { text: "   ".into() },
            "the note is empty; write a few words".into(),
        ),
        (
            vec![],
            CaseCommand::AnswerSurvey {
                score: 6,
                comment: String::new(),
            },
            "survey score 6 is out of range; use 1 (very unsatisfied) to 5 (very satisfied)".into(),
        ),
        (
            vec![],
            CaseCommand::AnswerSurvey {
                score: 3,
                comment: String::new(),
            },
            format!(
                "no survey was offered for case {reference}; it is offered when the case is resolved"
            ),
        ),
        (
            vec![],
            CaseCommand::CloseEscalation {
                outcome: "x".into(),
            },
            format!("case {reference} has no open escalation to close"),
        ),
        (
            vec![],
            CaseCommand::AcknowledgeComplaint,
            format!("case {reference} has no formal complaint; raise one first"),
        ),
    ];
    for (setup, command, expected) in cases {
        let mut case = chat_case();
        for step in setup {
            run(&mut case, &rules, 1, step).unwrap();
        }
        let before = case.clone();
        let err = run(&mut case, &rules, 2, command).unwrap_err();
        assert_eq!(err.to_string(), expected);
        assert_eq!(case, before, "a refused command changes nothing");
    }
}

#[test]
fn priority_follows_reason_tier_complaint_and_escalation() {
    assert_eq!(
        Priority::derive(Reason::Fraud, Some(Tier::Centurion), false, false),
        Priority::Critical
    );
    assert_eq!(
        Priority::derive(Reason::LostStolen, None, false, false),
        Priority::Urgent
    );
    assert_eq!(
        Priority::derive(Reason::Rewards, Some(Tier::Platinum), false, false),
        Priority::High
    );
    assert_eq!(
        Priority::derive(Reason::Billing, Some(Tier::Green), true, false),
        Priority::High
    );
    assert_eq!(
        Priority::derive(Reason::Billing, Some(Tier::Green), false, false),
        Priority::Normal
    );
    let rules = CaseRules::default();
    let mut case = chat_case();
    let events = run(
        &mut case,
        &rules,
        1,
        CaseCommand::Escalate {
            to: None,
            reason: "angry".into(),
        },
    )
    .unwrap();
    assert_eq!(names(&events), ["escalated", "priority_changed"]);
    assert_eq!(case.priority, Priority::High);
    run(
        &mut case,
        &rules,
        2,
        CaseCommand::CloseEscalation {
            outcome: "calmed".into(),
        },
    )
    .unwrap();
    assert_eq!(case.priority, Priority::Normal);
    run(
        &mut case,
        &rules,
        3,
        CaseCommand::Reclassify { to: Reason::Fraud },
    )
    .unwrap();
    assert_eq!(
        (case.priority, case.reason),
        (Priority::Urgent, Reason::Fraud)
    );
    run(
        &mut case,
        &rules,
        4,
        CaseCommand::SetPriorityFloor {
            floor: Some(Priority::Critical),
        },
    )
    .unwrap();
    assert_eq!(case.priority, Priority::Critical);
    run(
        &mut case,
        &rules,
        5,
        CaseCommand::SetPriorityFloor { floor: None },
    )
    .unwrap();
    assert_eq!(case.priority, Priority::Urgent);
}

#[test]
fn a_complaint_has_its_own_deadlines_and_blocks_resolution_until_answered() {
    let rules = CaseRules::default();
    let mut case = chat_case();
    let events = run(
        &mut case,
        &rules,
        0,
        CaseCommand::RaiseComplaint {
            summary: "Charged twice, no help".into(),
        },
    )
    .unwrap();
    assert_eq!(names(&events), ["complaint_raised", "priority_changed"]);
    let complaint = case.complaint.clone().unwrap();
    // Raised Tuesday 10:00 New York: acknowledge by the end of next Tuesday; reply within 8 weeks.
    assert_eq!(
        complaint.acknowledge_by,
        "2026-03-11T04:00:00Z".parse().unwrap()
    );
    assert_eq!(
        complaint.final_response_by,
        "2026-04-28T14:00:00Z".parse().unwrap()
    );
    let err = run(
        &mut case,
        &rules,
        5,
        CaseCommand::Resolve {
            summary: "x".into(),
        },
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("needs a final response (due 2026-04-28T14:00:00Z)"),
        "{err}"
    );
    let events = run(
        &mut case,
        &rules,
        10,
        CaseCommand::SendComplaintFinalResponse {
            summary: "Refunded".into(),
        },
    )
    .unwrap();
    assert_eq!(
        names(&events),
        [
            "complaint_acknowledged",
            "complaint_final_response",
            "priority_changed"
        ]
    );
    run(
        &mut case,
        &rules,
        11,
        CaseCommand::Resolve {
            summary: "Refunded".into(),
        },
    )
    .unwrap();
    let sla = case.sla(&rules.sla, at(20));
    assert!(!sla.complaint_acknowledgement.unwrap().breached);
    assert!(
        run(
            &mut case,
            &rules,
            12,
            CaseCommand::RaiseComplaint {
                summary: "again".into()
            }
        )
        .is_err()
    );
}

#[test]
fn follow_ups_fire_once_and_then_finish() {
    let rules = CaseRules::default();
    let mut case = chat_case();
    assert!(matches!(
        run(
            &mut case,
            &rules,
            10,
            CaseCommand::ScheduleFollowUp {
                due: at(5),
                note: "call back".into()
            }
        ),
        Err(CaseError::FollowUpInPast { .. })
    ));
    run(
        &mut case,
        &rules,
        10,
        CaseCommand::ScheduleFollowUp {
            due: at(60),
            note: "call back".into(),
        },
    )
    .unwrap();
    assert!(
        case.due_timers(&rules, at(59))
            .iter()
            .all(|c| !matches!(c, CaseCommand::FireFollowUpReminder { .. }))
    );
    assert!(case.next_timer(&rules, at(20)).unwrap() <= at(60));
    let timers = case.due_timers(&rules, at(61));
    assert!(
        timers.contains(&CaseCommand::FireFollowUpReminder { number: 1 }),
        "{timers:?}"
    );
    let events = run(
        &mut case,
        &rules,
        61,
        CaseCommand::FireFollowUpReminder { number: 1 },
    )
    .unwrap();
    assert_eq!(names(&events), ["follow_up_due"]);
    assert!(
        run(
            &mut case,
            &rules,
            62,
            CaseCommand::FireFollowUpReminder { number: 1 }
        )
        .unwrap()
        .is_empty()
    );
    run(
        &mut case,
        &rules,
        63,
        CaseCommand::CompleteFollowUp { number: 1 },
    )
    .unwrap();
    assert!(matches!(
        run(
            &mut case,
            &rules,
            64,
            CaseCommand::CancelFollowUp { number: 1 }
        ),
        Err(CaseError::FollowUpFinished { .. })
    ));
    assert!(matches!(
        run(
            &mut case,
            &rules,
            64,
            CaseCommand::CompleteFollowUp { number: 2 }
        ),
        Err(CaseError::UnknownFollowUp { .. })
    ));
}

#[test]
fn sla_clocks_pause_while_waiting_and_breaches_are_recorded_once() {
    let rules = CaseRules::default();
    let mut case = chat_case();
    let sla = case.sla(&rules.sla, at(1));
    let first = sla.first_response.unwrap();
    assert_eq!(first.due, Some(at(2)));
    // Waiting on the customer from minute 1 to 31 pushes both targets back 30 minutes.
    run(
        &mut case,
        &rules,
        1,
        CaseCommand::AwaitCustomer {
            request: "Card number's last four?".into(),
        },
    )
    .unwrap();
    run(
        &mut case,
        &rules,
        31,
        CaseCommand::RecordCustomerMessage { conversation: None },
    )
    .unwrap();
    let sla = case.sla(&rules.sla, at(31));
    assert_eq!(sla.first_response.as_ref().unwrap().due, Some(at(32)));
    assert_eq!(sla.resolution.as_ref().unwrap().due, Some(at(24 * 60 + 30)));
    assert!(sla.breaches().is_empty());
    assert_eq!(
        case.next_timer(&rules, at(31)),
        Some(at(32) + SignedDuration::from_nanos(1))
    );
    let timers = case.due_timers(&rules, at(40));
    assert_eq!(
        timers,
        vec![CaseCommand::RecordSlaBreach {
            clock: SlaClock::FirstResponse
        }]
    );
    let events = run(&mut case, &rules, 40, timers[0].clone()).unwrap();
    assert_eq!(names(&events), ["sla_breached"]);
    assert!(case.due_timers(&rules, at(41)).is_empty());
    assert!(
        run(
            &mut case,
            &rules,
            42,
            CaseCommand::RecordSlaBreach {
                clock: SlaClock::Resolution
            }
        )
        .is_err()
    );
    // Phone cases have no first-response target.
    let phone = new_case(11, Reason::General, None, Channel::Phone);
    assert!(phone.sla(&rules.sla, at(5)).first_response.is_none());
}

#[test]
fn resolved_cases_close_themselves() {
    let rules = CaseRules::default();
    let mut case = chat_case();
    run(
        &mut case,
        &rules,
        1,
        CaseCommand::Resolve {
            summary: "done".into(),
        },
    )
    .unwrap();
    let week = 7 * 24 * 60;
    assert!(
        !case
            .due_timers(&rules, at(week))
            .contains(&CaseCommand::Close)
    );
    assert!(
        case.due_timers(&rules, at(week + 1))
            .contains(&CaseCommand::Close)
    );
}

#[test]
fn merging_closes_the_duplicate_and_keeps_what_matters() {
    let rules = CaseRules::default();
    let mut survivor = chat_case();
    let mut duplicate = new_case(20, Reason::Billing, Some(Tier::Gold), Channel::Email);
    let conversation = ConversationId(uuid(77));
    run(
        &mut duplicate,
        &rules,
        1,
        CaseCommand::LinkConversation { conversation },
    )
    .unwrap();
    run(
        &mut duplicate,
        &rules,
        2,
        CaseCommand::RaiseComplaint {
            summary: "Charged twice".into(),
        },
    )
    .unwrap();
    run(
        &mut duplicate,
        &rules,
        3,
        CaseCommand::ScheduleFollowUp {
            due: at(600),
            note: "check refund".into(),
        },
    )
    .unwrap();
    run(
        &mut survivor,
        &rules,
        4,
        CaseCommand::ScheduleFollowUp {
            due: at(500),
            note: "call".into(),
        },
    )
    .unwrap();
    let merged = merge(
        &mut duplicate,
        &mut survivor,
        Context {
            now: at(5),
            actor: AGENT,
            rules: &rules,
        },
    )
    .unwrap();
    assert_eq!(names(&merged.duplicate), ["merged_into", "closed"]);
    assert_eq!(names(&merged.survivor), ["merged_from", "priority_changed"]);
    assert_eq!(
        duplicate.closure,
        Some(Closure::Duplicate {
            survivor: survivor.id,
            survivor_reference: survivor.reference
        })
    );
    assert_eq!(survivor.conversations, vec![conversation]);
    assert_eq!(survivor.complaint.as_ref().unwrap().raised_at, at(2));
    assert_eq!(
        survivor
            .follow_ups
            .iter()
            .map(|f| f.number)
            .collect::<Vec<_>>(),
        [1, 2]
    );
    assert_eq!(survivor.priority, Priority::High);
    let err = run(
        &mut duplicate,
        &rules,
        6,
        CaseCommand::RecordCustomerMessage { conversation: None },
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "case {} was merged into {}; work on {} instead",
            duplicate.reference, survivor.reference, survivor.reference
        )
    );
    assert!(matches!(
        merge(
            &mut survivor.clone(),
            &mut survivor,
            Context {
                now: at(7),
                actor: AGENT,
                rules: &rules
            }
        ),
        Err(CaseError::MergeIntoItself { .. })
    ));
    let mut stranger = new_case(30, Reason::General, None, Channel::Chat);
    run(
        &mut stranger,
        &rules,
        1,
        CaseCommand::IdentifyCardholder {
            cardholder: CardholderId(uuid(2)),
            tier: None,
        },
    )
    .unwrap_err();
    let mut other = Case {
        cardholder: Some(CardholderId(uuid(2))),
        ..new_case(31, Reason::General, None, Channel::Chat)
    };
    assert!(matches!(
        merge(
            &mut other,
            &mut survivor,
            Context {
                now: at(7),
                actor: AGENT,
                rules: &rules
            }
        ),
        Err(CaseError::MergeAcrossCardholders { .. })
    ));
}

#[test]
fn combined_timelines_interleave_by_time() {
    let rules = CaseRules::default();
    let mut a = chat_case();
    let mut b = new_case(21, Reason::General, None, Channel::Email);
    let mut a_events = vec![];
    let mut b_events = vec![];
    a_events.extend(
        run(
            &mut a,
            &rules,
            3,
            CaseCommand::AddNote { text: "a3".into() },
        )
        .unwrap(),
    );
    b_events.extend(
        run(
            &mut b,
            &rules,
            2,
            CaseCommand::AddNote { text: "b2".into() },
        )
        .unwrap(),
    );
    a_events.extend(
        run(
            &mut a,
            &rules,
            1,
            CaseCommand::AddNote {
                text: "a1 (late clock)".into(),
            },
        )
        .unwrap(),
    );
    let combined = combined_timeline(&[&a_events, &b_events]);
    let times: Vec<Timestamp> = combined.iter().map(|e| e.at).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    // A clock running late never writes an event before the last one.
    assert_eq!(a_events[1].at, at(3));
}

#[test]
fn events_serialise_with_a_type_tag_and_replay() {
    let rules = CaseRules::default();
    let mut case = chat_case();
    let mut timeline = vec![];
    let opened = Case::replay(&[]).unwrap_err();
    assert!(opened.to_string().contains("must start with `opened`"));
    let (_, first) = Case::open(
        NewCase {
            id: case.id,
            reference: case.reference,
            cardholder: case.cardholder,
            tier: case.tier,
            subject: case.subject.clone(),
            reason: case.reason,
            department: None,
            channel: case.channel,
        },
        Actor::System,
        at(0),
    )
    .unwrap();
    timeline.push(first);
    timeline.extend(
        run(
            &mut case,
            &rules,
            1,
            CaseCommand::Assign {
                to: Some(UserId(uuid(5))),
            },
        )
        .unwrap(),
    );
    let json = serde_json::to_value(&timeline[1]).unwrap();
    assert_eq!(json["type"], "assigned");
    assert_eq!(
        json["actor"]["staff"],
        "00000000-0000-0000-0000-000000000384"
    );
    let back: Vec<CaseEvent> =
        serde_json::from_str(&serde_json::to_string(&timeline).unwrap()).unwrap();
    assert_eq!(back, timeline);
    assert_eq!(Case::replay(&back).unwrap(), case);
    let snapshot: Case = serde_json::from_str(&serde_json::to_string(&case).unwrap()).unwrap();
    assert_eq!(snapshot, case);
}

fn command() -> impl Strategy<Value = CaseCommand> {
    let text = prop::sample::select(vec!["ok", "", "details please"]).prop_map(str::to_owned);
    prop_oneof![
        Just(CaseCommand::Accept),
        Just(CaseCommand::RecordAgentResponse { conversation: None }),
        Just(CaseCommand::RecordCustomerMessage { conversation: None }),
        text.clone()
            .prop_map(|request| CaseCommand::AwaitCustomer { request }),
        Just(CaseCommand::Resume),
        text.clone()
            .prop_map(|summary| CaseCommand::Resolve { summary }),
        Just(CaseCommand::Close),
        text.clone()
            .prop_map(|reason| CaseCommand::Reopen { reason }),
        (0u128..3).prop_map(|n| CaseCommand::Assign {
            to: (n > 0).then(|| UserId(uuid(n)))
        }),
        prop::sample::select(Reason::ALL.to_vec()).prop_map(|to| CaseCommand::Reclassify { to }),
        text.clone().prop_map(|text| CaseCommand::AddNote { text }),
        text.clone()
            .prop_map(|reason| CaseCommand::Escalate { to: None, reason }),
        text.clone()
            .prop_map(|outcome| CaseCommand::CloseEscalation { outcome }),
        text.clone()
            .prop_map(|summary| CaseCommand::RaiseComplaint { summary }),
        Just(CaseCommand::AcknowledgeComplaint),
        text.clone()
            .prop_map(|summary| CaseCommand::SendComplaintFinalResponse { summary }),
        (1i64..5000).prop_map(|m| CaseCommand::ScheduleFollowUp {
            due: at(m),
            note: "call".into()
        }),
        (1u32..3).prop_map(|number| CaseCommand::FireFollowUpReminder { number }),
        (1u32..3).prop_map(|number| CaseCommand::CompleteFollowUp { number }),
        (0u8..7).prop_map(|score| CaseCommand::AnswerSurvey {
            score,
            comment: String::new()
        }),
        prop::sample::select(vec![SlaClock::FirstResponse, SlaClock::Resolution])
            .prop_map(|clock| CaseCommand::RecordSlaBreach { clock }),
    ]
}

proptest! {
    /// Whatever is asked, in any order: refused commands change nothing, accepted ones produce
    /// numbered events that rebuild the same case, and the status follows the lifecycle.
    #[test]
    fn the_lifecycle_holds_under_any_commands(
        steps in prop::collection::vec((0i64..3000, command()), 1..60),
        tier in prop::option::of(prop::sample::select(Tier::ALL.to_vec())),
    ) {
        let rules = CaseRules::default();
        let mut case = new_case(50, Reason::General, tier, Channel::SecureMessage);
        let (_, opened) = Case::open(
            NewCase {
                id: case.id, reference: case.reference, cardholder: case.cardholder, tier,
                subject: case.subject.clone(), reason: case.reason, department: None, channel: case.channel,
            },
            Actor::System,
            at(0),
        ).unwrap();
        let mut timeline = vec![opened];
        let mut minute = 0;
        for (gap, command) in steps {
            minute += gap;
            let before = case.clone();
            match case.execute(command, Context { now: at(minute), actor: AGENT, rules: &rules }) {
                Ok(events) => {
                    for (i, event) in events.iter().enumerate() {
                        prop_assert_eq!(event.version, before.version + 1 + i as u64);
                    }
                    let allowed = match (before.status, case.status) {
                        (a, b) if a == b => true,
                        (Status::New, _) => true,
                        (Status::Open | Status::WaitingOnCustomer, Status::Open | Status::WaitingOnCustomer | Status::Resolved) => true,
                        (Status::Resolved, Status::Open | Status::Closed) => true,
                        (Status::Closed, Status::Open) => true,
                        _ => false,
                    };
                    prop_assert!(allowed, "{} → {}", before.status, case.status);
                    timeline.extend(events);
                }
                Err(_) => prop_assert_eq!(&case, &before),
            }
            prop_assert!(case.priority >= Priority::derive(case.reason, case.tier, false, false));
            prop_assert_eq!(case.survey.answer.is_some(), case.survey.answer.as_ref().is_some_and(|a| (1..=5).contains(&a.score)));
        }
        prop_assert_eq!(Case::replay(&timeline).unwrap(), case.clone());
        let sla = case.sla(&rules.sla, at(minute));
        if let Some(resolution) = sla.resolution {
            prop_assert!(resolution.elapsed <= at(minute).duration_since(at(0)));
        }
    }
}
