//! Scripted calls from "hello" to a queued hand-off, one for each reason the seeds list, in
//! English and Spanish, with the TwiML of every step kept as a golden file.

use domain::{Department, Lang, Reason, Tier};
use ivr::{Cause, Outcome, Priority, Shipping, VerificationLevel};

use crate::support::{Call, DEMO, Input, daytime};

struct Script {
    name: &'static str,
    /// After the language choice.
    steps: Vec<Input>,
    department: Department,
    reason: Reason,
    priority: Priority,
}

fn k(keys: &str) -> Input {
    Input::keys(keys)
}

fn scripts(lang: Lang) -> Vec<Script> {
    use Input::Right;
    let address = match lang {
        Lang::Es => "Hotel Ejemplo, calle Mayor 1, Madrid, España",
        _ => "Hotel Example, 1 Rue de Rivoli, Paris, France",
    };
    vec![
        Script {
            name: "lost_stolen",
            steps: vec![
                k("1"),
                Right,
                Right,
                k("2"),
                k("3"),
                k("1"),
                Input::say(address),
                k("1"),
            ],
            department: Department::LostOrStolen,
            reason: Reason::LostStolen,
            priority: Priority::Urgent,
        },
        Script {
            name: "fraud",
            steps: vec![k("2"), Right, Right],
            department: Department::LostOrStolen,
            reason: Reason::Fraud,
            priority: Priority::Urgent,
        },
        Script {
            name: "billing",
            steps: vec![k("3"), Right, Right, k("2")],
            department: Department::BillingDisputes,
            reason: Reason::Billing,
            priority: Priority::Standard,
        },
        Script {
            name: "activation",
            steps: vec![k("4"), Right, Right, Right, k("1")],
            department: Department::CardServices,
            reason: Reason::Activation,
            priority: Priority::Standard,
        },
        Script {
            name: "account",
            steps: vec![k("5"), Right, Right, k("1"), k("1")],
            department: Department::AccountManagement,
            reason: Reason::Account,
            priority: Priority::Standard,
        },
        Script {
            name: "rewards",
            steps: vec![k("6"), Right, Right, k("1")],
            department: Department::Rewards,
            reason: Reason::Rewards,
            priority: Priority::Standard,
        },
        Script {
            name: "travel",
            steps: vec![k("7"), k("1"), Right, Right],
            department: Department::TravelAndInternational,
            reason: Reason::Travel,
            priority: Priority::Standard,
        },
        Script {
            name: "roadside",
            steps: vec![k("7"), k("2"), Right, Right],
            department: Department::TravelAndInternational,
            reason: Reason::Roadside,
            priority: Priority::Standard,
        },
        Script {
            name: "business",
            steps: vec![k("8"), Right, Right],
            department: Department::Business,
            reason: Reason::Business,
            priority: Priority::Standard,
        },
        Script {
            name: "general",
            steps: vec![k("9"), Right, Right],
            department: Department::General,
            reason: Reason::General,
            priority: Priority::Standard,
        },
    ]
}

fn run_every_reason(lang: Lang) {
    let choice = match lang {
        Lang::Es => "2",
        _ => "1",
    };
    let mut reasons = Vec::new();
    for script in scripts(lang) {
        let mut call = Call::start(&DEMO, Tier::Gold, daytime());
        call.press(choice);
        for step in script.steps {
            assert!(
                call.handoff().is_none(),
                "{}: queued too early",
                script.name
            );
            call.send(step);
        }
        let handoff = call
            .handoff()
            .unwrap_or_else(|| panic!("{}: not queued\n{}", script.name, call.transcript));
        assert_eq!(handoff.department, script.department, "{}", script.name);
        assert_eq!(handoff.reason, Some(script.reason), "{}", script.name);
        assert_eq!(handoff.priority, script.priority, "{}", script.name);
        assert_eq!(handoff.language, lang, "{}", script.name);
        // What the agent sees, so that nobody asks again.
        let context = &handoff.context;
        assert_eq!(context.caller, crate::support::CALLER);
        assert!(
            context.identity.level >= VerificationLevel::Basic,
            "{}",
            script.name
        );
        assert_eq!(
            context.identity.card.as_ref().map(|c| c.last4.clone()),
            Some(call.bank.card.last4.clone())
        );
        assert_eq!(context.identity.tier, Some(Tier::Gold));
        assert!(
            context.choices.len() >= 2,
            "{}: {:?}",
            script.name,
            context.choices
        );
        assert_eq!(context.cause, Some(Cause::Routed), "{}", script.name);
        assert!(call.state().is_ended());
        insta::assert_snapshot!(format!("{}_{lang}", script.name), call.transcript);
        reasons.push(script.reason);
    }
    reasons.sort();
    assert_eq!(
        reasons,
        Reason::ALL,
        "every reason of the seeds has a script"
    );
}

#[test]
fn every_reason_reaches_its_queue_in_english() {
    run_every_reason(Lang::En);
}

#[test]
fn every_reason_reaches_its_queue_in_spanish() {
    run_every_reason(Lang::Es);
}

#[test]
fn the_lost_card_report_reaches_the_agent() {
    let mut call = Call::start(&DEMO, Tier::Gold, daytime());
    for step in ["1", "1"] {
        call.press(step);
    }
    call.right();
    call.right();
    call.say("stolen");
    call.say("I'm abroad");
    call.say("the embassy");
    call.say("US Embassy, Avenida Reforma 305, Mexico City");
    assert!(call.said("lost-reported"), "{}", call.transcript);
    let text = call.text();
    assert!(
        text.contains("L S, 4 8 2 1, 0 7"),
        "reference read character by character: {text}"
    );
    assert!(text.contains("stolen"), "{text}");
    assert!(
        text.contains("Tuesday, March 3 and Thursday, March 5"),
        "{text}"
    );
    call.say("a specialist please");
    let handoff = call.handoff().expect("queued");
    assert_eq!(
        handoff.context.outcomes,
        vec![Outcome::LostOrStolenReported {
            loss: ivr::Loss::Stolen,
            shipping: Shipping::Global {
                destination: ivr::Destination::Embassy,
                address: "US Embassy, Avenida Reforma 305, Mexico City".into()
            },
            case_reference: "LS-4821-07".into(),
            delivery: ivr::DeliveryWindow {
                earliest: jiff::civil::date(2026, 3, 3),
                latest: jiff::civil::date(2026, 3, 5),
            },
        }]
    );
    assert_eq!(handoff.queue_name(), "lost_or_stolen.en.urgent");
}

#[test]
fn spanish_prompts_read_amounts_and_dates_in_spanish() {
    let mut call = Call::start(&DEMO, Tier::Gold, daytime());
    for step in ["2", "5"] {
        call.press(step);
    }
    call.right();
    call.right();
    call.press("1");
    let text = call.text();
    assert!(
        text.contains("1234 dólares con 56 centavos"),
        "balance in words: {text}"
    );
    assert!(text.contains("500 dólares"), "{text}");
    assert!(text.contains("miércoles 18 de febrero"), "{text}");
    assert!(call.reply.say.iter().all(|s| match s {
        ivr::Segment::Say(p) => p.locale == "es-US" && p.voice.as_deref() == Some("Polly.Lupe"),
        _ => true,
    }));
}

#[test]
fn verified_premium_card_members_get_the_priority_queue() {
    let mut call = Call::start(&DEMO, Tier::Platinum, daytime());
    for step in ["1", "3"] {
        call.press(step);
    }
    call.right();
    call.right();
    call.press("0");
    assert!(call.said("transfer-premium"), "{}", call.transcript);
    let handoff = call.handoff().expect("queued");
    assert_eq!(handoff.priority, Priority::Premium);
    assert_eq!(handoff.department, Department::BillingDisputes);
    assert_eq!(handoff.context.cause, Some(Cause::AskedForPerson));
    assert_eq!(handoff.queue_name(), "billing_disputes.en.premium");
}

#[test]
fn an_unverified_premium_card_gets_no_priority() {
    let mut call = Call::start(&DEMO, Tier::Centurion, daytime());
    for step in ["1", "9"] {
        call.press(step);
    }
    call.right();
    // Three wrong security codes.
    for _ in 0..3 {
        call.press("999");
    }
    let handoff = call
        .handoff()
        .expect("general help goes on without verification");
    assert_eq!(handoff.priority, Priority::Standard);
    assert_eq!(handoff.context.cause, Some(Cause::VerificationFailed));
    assert!(
        handoff
            .context
            .outcomes
            .contains(&Outcome::VerificationFailed)
    );
}

#[test]
fn speech_picks_the_reason_in_either_language() {
    let cases = [
        ("1", "I think I lost my card abroad", "lost_verify"),
        (
            "1",
            "there's a charge I don't recognize, it's fraud",
            "fraud_verify",
        ),
        ("1", "my car broke down", "roadside_verify"),
        ("2", "me robaron la tarjeta", "lost_verify"),
        ("2", "quiero ver mi saldo de puntos", "rewards_verify"),
        (
            "2",
            "una pregunta sobre mi estado de cuenta",
            "billing_verify",
        ),
    ];
    for (language, said, node) in cases {
        let mut call = Call::start(&DEMO, Tier::Gold, daytime());
        call.press(language);
        call.say(said);
        assert_eq!(call.node().as_deref(), Some(node), "{said}");
        assert!(call.state().context().choices.last().unwrap().by_speech);
    }
}

#[test]
fn free_speech_goes_through_the_classifier() {
    // Matches no keyword; the classifier maps it to billing, an option of the menu.
    let mut call = Call::start(&DEMO, Tier::Gold, daytime());
    call.press("1");
    call.say("I was charged twice for my hotel");
    assert_eq!(call.node().as_deref(), Some("billing_verify"));
    assert!(
        call.transcript
            .contains("classify \"I was charged twice for my hotel\" (en)")
    );

    // A confident department no option covers: a person in that team.
    let mut call = Call::start(&DEMO, Tier::Gold, daytime());
    call.press("1");
    call.say("I want to transfer money to my brother");
    let handoff = call.handoff().expect("queued");
    assert_eq!(handoff.department, Department::PaymentsTransfers);
    assert_eq!(handoff.context.cause, Some(Cause::Routed));

    // Low confidence: a clarifying retry at the same menu.
    let mut call = Call::start(&DEMO, Tier::Gold, daytime());
    call.press("1");
    call.say("something odd happened");
    assert_eq!(call.node().as_deref(), Some("reason_menu"));
    assert!(call.said("not-understood") && call.said("reason-menu"));
}

#[test]
fn mumbled_speech_is_asked_again() {
    let mut call = Call::start(&DEMO, Tier::Gold, daytime());
    call.press("1");
    call.send(Input::Say("lost card".into(), 0.1));
    assert_eq!(call.node().as_deref(), Some("reason_menu"));
    assert!(call.said("not-understood"));
}

#[test]
fn closed_teams_offer_a_call_back() {
    let mut call = Call::start(&DEMO, Tier::Gold, crate::support::night());
    call.press("1");
    call.say("business card");
    assert_eq!(call.node().as_deref(), Some("business_closed"));
    assert!(call.text().contains("Monday to Friday from 8 AM to 8 PM"));
    call.press("2");
    assert!(call.said("callback-booked"), "{}", call.transcript);
    assert!(call.text().contains("ending in 0 1 0 0"));
    assert!(call.said("goodbye"));
    assert_eq!(call.reply.then, ivr::Then::Hangup);
    let context = call.state().context().clone();
    assert!(context.outcomes.contains(&Outcome::CallbackBooked {
        department: Department::Business
    }));

    // Lost business cards are handled around the clock.
    let mut call = Call::start(&DEMO, Tier::Business, crate::support::night());
    call.press("1");
    call.press("8");
    call.press("1");
    assert_eq!(call.node().as_deref(), Some("lost_verify"));
}

#[test]
fn no_call_back_without_a_caller_number() {
    let mut call = Call::start_from(&DEMO, Tier::Gold, crate::support::night(), "anonymous");
    call.press("1");
    call.press("6");
    call.right();
    call.right();
    call.press("1");
    assert_eq!(call.node().as_deref(), Some("rewards_closed"));
    call.press("1");
    assert!(call.said("service-failed"));
    let handoff = call.handoff().expect("a person instead");
    assert_eq!(handoff.context.cause, Some(Cause::ServiceFailed));
    assert_eq!(handoff.department, Department::Rewards);
}

#[test]
fn a_failed_self_service_goes_to_a_person_with_the_reason() {
    let mut call = Call::start(&DEMO, Tier::Gold, daytime());
    call.fail_effect = |effect| matches!(effect, ivr::Effect::ActivateCard { .. });
    call.press("1");
    call.press("4");
    call.right();
    call.right();
    call.right();
    assert!(call.said("service-failed"));
    let handoff = call.handoff().expect("queued");
    assert_eq!(handoff.department, Department::CardServices);
    assert_eq!(handoff.context.cause, Some(Cause::ServiceFailed));
    assert!(handoff.context.outcomes.contains(&Outcome::ServiceFailed {
        node: "activate_card".into()
    }));
}

#[test]
fn pins_must_be_keyed_twice_alike() {
    let mut call = Call::start(&DEMO, Tier::Gold, daytime());
    call.press("1");
    call.press("4");
    call.right();
    call.right();
    call.press("12345678");
    assert!(call.said("activate-pin-mismatch") && call.said("activate-pin"));
    assert!(
        call.effects
            .iter()
            .all(|e| !matches!(e, ivr::Effect::ActivateCard { .. }))
    );
    call.press("24682468");
    assert!(call.said("activate-done"));
    assert!(matches!(
        call.effects.last(),
        Some(ivr::Effect::ActivateCard { pin, .. }) if pin.expose() == "2468"
    ));
}

#[test]
fn a_locked_account_stops_verification() {
    let mut call = Call::start(&DEMO, Tier::Gold, daytime());
    call.bank.lock_after = 1;
    call.press("1");
    call.press("3");
    call.press(&ivr_card_typo(&call.bank.card_number));
    assert!(
        call.said("verify-bad-format"),
        "a mistyped number is caught before any lookup"
    );
    assert!(call.effects.is_empty());
    call.right();
    call.press("4321");
    assert!(call.said("verify-locked"));
    let handoff = call.handoff().expect("a person");
    assert_eq!(handoff.context.cause, Some(Cause::VerificationLocked));
    assert!(handoff.context.identity.locked);
}

/// The card number with one digit changed, so that its check digit is wrong.
fn ivr_card_typo(number: &str) -> String {
    let mut digits = number.as_bytes().to_vec();
    digits[5] = if digits[5] == b'9' {
        b'1'
    } else {
        digits[5] + 1
    };
    String::from_utf8(digits).unwrap()
}

#[test]
fn the_call_survives_a_restart_between_any_two_steps() {
    // Every step of the scripted calls goes through JSON (see support::Call::send); here the
    // stored state also round-trips byte for byte.
    let mut call = Call::start(&DEMO, Tier::Gold, daytime());
    call.press("1");
    call.press("3");
    call.right();
    let state = call.state();
    assert_eq!(serde_json::to_string(&state).unwrap(), call.stored);
    assert_eq!(state.node(), Some("billing_verify"));
    assert_eq!(
        state.question(),
        Some(ivr::Question::Factor(ivr::Factor::SecurityCode))
    );
}

#[test]
fn events_that_do_not_fit_never_break_the_call() {
    let flow = &*DEMO;
    let now = daytime();
    let (mut state, _) = flow.start(
        ivr::NewCall {
            call_id: "CA9".into(),
            from: "+12125550100".into(),
            to: "+18005550199".into(),
        },
        now,
    );
    // A result while the caller is being asked: the question again.
    let out = flow.handle(
        &mut state,
        ivr::Event::Done(ivr::EffectResult::CardActivated),
        now,
    );
    assert!(matches!(out, ivr::Output::Reply(ref r) if matches!(r.then, ivr::Then::Gather(_))));
    assert_eq!(state.node(), Some("welcome"));

    // Input while an effect is pending (the edge restarted mid-effect): the node again.
    flow.handle(&mut state, ivr::Event::digits("1"), now);
    flow.handle(&mut state, ivr::Event::digits("3"), now);
    let bank = ivr::sim::DemoBank::new(Tier::Gold, jiff::civil::date(2026, 3, 2));
    let out = flow.handle(&mut state, ivr::Event::digits(&bank.card_number), now);
    assert!(matches!(out, ivr::Output::Perform(_)));
    assert!(state.awaits_effect());
    let out = flow.handle(&mut state, ivr::Event::Silence, now);
    assert!(matches!(out, ivr::Output::Reply(_)));
    assert_eq!(
        state.question(),
        Some(ivr::Question::Factor(ivr::Factor::CardNumber))
    );

    // A result for another effect counts as a failure.
    flow.handle(&mut state, ivr::Event::digits(&bank.card_number), now);
    let out = flow.handle(
        &mut state,
        ivr::Event::Done(ivr::EffectResult::Rewards { points: 1 }),
        now,
    );
    assert!(matches!(out, ivr::Output::Reply(ref r) if matches!(r.then, ivr::Then::Enqueue(_))));
    assert_eq!(state.context().cause, Some(Cause::ServiceFailed));

    // After the end, anything hangs up.
    let out = flow.handle(&mut state, ivr::Event::digits("1"), now);
    assert_eq!(
        out,
        ivr::Output::Reply(ivr::Reply {
            say: Vec::new(),
            then: ivr::Then::Hangup
        })
    );
}
