//! Properties: no sequence of caller input, effect outcomes or restarts panics or leaves a
//! call stuck; every state either waits for the caller (and says what it waits for) or ends;
//! the TwiML of every reply is well-formed; parsers and the validator never panic.

use domain::{Tier, Timestamp};
use ivr::sim::DemoBank;
use ivr::twiml::{TwimlOptions, Webhook, render};
use ivr::{CallState, EffectResult, Event, NewCall, Output, Reply, Then};
use proptest::prelude::*;
use quick_xml::events::Event as XmlEvent;

use crate::support::{DEMO, daytime, night};

#[derive(Debug, Clone)]
enum Step {
    Keys(String),
    /// The answer the question wants (a card number, a PIN…).
    Right,
    Say(&'static str, f32),
    Silence,
    /// A result arriving while the caller is being asked (a confused edge).
    StaleResult,
}

const PHRASES: &[&str] = &[
    "representative",
    "representante",
    "I lost my card",
    "me robaron la tarjeta",
    "español",
    "I was charged twice",
    "I want to transfer money",
    "something odd",
    "hotel",
    "1 2 3 4",
    "blah blah",
    "stolen",
    "abroad",
    "",
];

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => "[0-9*#]".prop_map(Step::Keys),
        1 => "[0-9#]{2,20}".prop_map(Step::Keys),
        4 => Just(Step::Right),
        2 => (proptest::sample::select(PHRASES), 0.0f32..=1.0).prop_map(|(p, c)| Step::Say(p, c)),
        2 => Just(Step::Silence),
        1 => Just(Step::StaleResult),
    ]
}

const OPTIONS: TwimlOptions<'static> = TwimlOptions {
    action_url: "https://h.example/action",
    audio_base_url: None,
    enqueue_wait_url: None,
};

/// Runs effects like the edge does, failing those the test says, and returns the reply.
fn drive(
    state: &mut CallState,
    mut output: Output,
    now: Timestamp,
    bank: &mut DemoBank,
    failures: &mut impl Iterator<Item = bool>,
) -> Reply {
    for _ in 0..20 {
        match output {
            Output::Reply(reply) => return reply,
            Output::Perform(request) => {
                let mut result = bank.perform(&request.effect);
                if failures.next().unwrap_or(false) {
                    result = EffectResult::Failed;
                }
                output = DEMO.handle(state, Event::Done(result), now);
            }
        }
    }
    panic!("more than 20 effects for one caller event");
}

fn check(state: &CallState, reply: &Reply) {
    match &reply.then {
        Then::Gather(gather) => {
            assert!(!state.is_ended());
            assert_eq!(state.node(), Some(gather.node.as_str()));
            assert_eq!(state.question(), Some(gather.question));
        }
        Then::Enqueue(_) | Then::Dial { .. } | Then::Hangup => assert!(state.is_ended()),
    }
    let twiml = render(reply, &OPTIONS).unwrap();
    let mut reader = quick_xml::Reader::from_str(&twiml);
    loop {
        match reader.read_event() {
            Ok(XmlEvent::Eof) => break,
            Ok(_) => {}
            Err(error) => panic!("malformed TwiML ({error}):\n{twiml}"),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn no_input_sequence_breaks_or_strands_a_call(
        steps in proptest::collection::vec(step(), 0..40),
        tier in proptest::sample::select(Tier::ALL),
        by_night in any::<bool>(),
        lock_after in 1u8..6,
        failures in proptest::collection::vec(proptest::bool::weighted(0.15), 0..40),
    ) {
        let now = if by_night { night() } else { daytime() };
        let mut bank = DemoBank::new(tier, jiff::civil::date(2026, 3, 2));
        bank.lock_after = lock_after;
        let mut failures = failures.into_iter();
        let (mut state, output) = DEMO.start(
            NewCall { call_id: "CA1".into(), from: "+12125550100".into(), to: "+18005550199".into() },
            now,
        );
        let reply = drive(&mut state, output, now, &mut bank, &mut failures);
        check(&state, &reply);
        for step in steps {
            let was_ended = state.is_ended();
            let event = match step {
                Step::Keys(keys) => Event::digits(&keys),
                Step::Right => Event::digits(&bank.answer(&state)),
                Step::Say(text, confidence) => Event::speech(text, confidence),
                Step::Silence => Event::Silence,
                Step::StaleResult => Event::Done(EffectResult::CardActivated),
            };
            let output = DEMO.handle(&mut state, event, now);
            let reply = drive(&mut state, output, now, &mut bank, &mut failures);
            // The edge persists the state between requests.
            let stored = serde_json::to_string(&state).unwrap();
            let restored: CallState = serde_json::from_str(&stored).unwrap();
            prop_assert_eq!(&restored, &state);
            state = restored;
            check(&state, &reply);
            prop_assert!(!was_ended || state.is_ended(), "an ended call stays ended");
        }
        // A caller who stops answering always ends with a person (or a goodbye).
        for _ in 0..10 {
            if state.is_ended() {
                break;
            }
            let output = DEMO.handle(&mut state, Event::Silence, now);
            let reply = drive(&mut state, output, now, &mut bank, &mut failures);
            check(&state, &reply);
        }
        prop_assert!(state.is_ended(), "stuck at {:?}", state.node());
    }

    #[test]
    fn webhook_parameters_never_panic(
        params in proptest::collection::vec(
            (proptest::sample::select(vec!["CallSid", "From", "To", "Digits", "SpeechResult", "Confidence", "CallStatus", "X"]), ".{0,12}"),
            0..8,
        )
    ) {
        let params: Vec<(String, String)> = params.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        if let Ok(hook) = Webhook::parse(&params) {
            let _ = hook.event();
        }
    }

    #[test]
    fn the_validator_never_panics_and_points_inside_the_file(
        cut in 0usize..400,
        insert in "[a-z_=\\[\\]\"{}., \n]{0,30}",
    ) {
        let lines: Vec<&str> = ivr::demo::FLOW.lines().collect();
        let at = cut % lines.len();
        let mut text = lines[..at].join("\n");
        text.push('\n');
        text.push_str(&insert);
        text.push('\n');
        text.push_str(&lines[at + 1..].join("\n"));
        let (catalogs, _) = ivr::Catalogs::parse(&ivr::demo::source().catalogs);
        let line_count = text.lines().count().max(1) + 1;
        for problem in ivr::validate("flow.toml", &text, &catalogs) {
            prop_assert!((1..=line_count).contains(&problem.line), "{problem}");
        }
    }

    #[test]
    fn speech_and_spelling_never_panic(text in "\\PC{0,40}") {
        let _ = ivr::spell(&text);
        let _ = DEMO.start(
            NewCall { call_id: text.clone(), from: text.clone(), to: text.clone() },
            daytime(),
        );
    }
}
