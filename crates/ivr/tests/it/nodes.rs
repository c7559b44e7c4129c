//! Node kinds the demo flow does not use: collecting digits and branching on language,
//! reason and verification level.

use domain::{Lang, Tier, Timestamp};
use ivr::sim::DemoBank;
use ivr::{CatalogSource, Event, Flow, FlowSource, NewCall, Output, Reply, Then};

const FLOW: &str = r#"[flow]
id = "nodes"
languages = ["en", "es"]
start = "welcome"
operator = "person"

[nodes.welcome]
type = "language"
prompt = "hello"
options = [{ digit = "1", language = "en" }, { digit = "2", language = "es" }]
next = "policy"

[nodes.policy]
type = "collect"
prompt = "policy"
var = "policy_number"
min_digits = 4
max_digits = 6
next = "by_language"

[nodes.by_language]
type = "branch"
cases = [{ language = ["es"], next = "bye" }]
else = "menu"

[nodes.menu]
type = "menu"
prompt = "menu"
options = [
  { digit = "1", reason = "lost_stolen", next = "by_reason" },
  { digit = "2", reason = "billing", next = "by_reason" },
]

[nodes.by_reason]
type = "branch"
cases = [{ reason = ["lost_stolen", "fraud"], next = "person" }]
else = "check"

[nodes.check]
type = "verify"
factors = ["card_number", "security_code"]
next = "by_level"

[nodes.by_level]
type = "branch"
cases = [{ verified = "strong", tier = ["gold", "platinum"], next = "vip" }]
else = "bye"

[nodes.vip]
type = "transfer"
department = "rewards"

[nodes.person]
type = "transfer"

[nodes.bye]
type = "hangup"
prompt = "bye"
"#;

const COMMON: &str = "no-input = …\ninvalid = …\nnot-understood = …\nkw-operator = agent\n\
hello = Hello.\npolicy = Policy number?\nmenu = Menu.\nbye = Bye.\nkw-language = language\n\
language-offer = Press { $digit }.\nverify-card-number = Card?\nverify-security-code = Code?\n\
verify-bad-format = Bad.\nverify-mismatch = No.\nverify-done = Done.\nverify-failed = Failed.\n\
verify-locked = Locked.\n";

fn flow() -> Flow {
    FlowSource {
        file_name: "nodes.toml",
        text: FLOW,
        catalogs: vec![
            CatalogSource {
                file_name: "en.ftl",
                lang: Lang::En,
                text: COMMON,
            },
            CatalogSource {
                file_name: "es.ftl",
                lang: Lang::Es,
                text: COMMON,
            },
        ],
    }
    .load()
    .unwrap()
}

fn now() -> Timestamp {
    "2026-03-02T15:00:00Z".parse().unwrap()
}

/// Runs a call through `events` (effects answered by a Gold demo bank) and returns the state
/// and last reply.
fn run(flow: &Flow, tier: Tier, events: &[Event]) -> (ivr::CallState, Reply) {
    let mut bank = DemoBank::new(tier, jiff::civil::date(2026, 3, 2));
    let (mut state, output) = flow.start(
        NewCall {
            call_id: "CA1".into(),
            from: "+12125550100".into(),
            to: "+18005550199".into(),
        },
        now(),
    );
    let mut reply = ivr::sim::drive(flow, &mut state, output, now(), |e| bank.perform(e));
    for event in events {
        let event = match event {
            Event::Digits(keys) if keys.expose() == "right" => Event::digits(&bank.answer(&state)),
            other => other.clone(),
        };
        let output: Output = flow.handle(&mut state, event, now());
        reply = ivr::sim::drive(flow, &mut state, output, now(), |e| bank.perform(e));
    }
    (state, reply)
}

#[test]
fn collected_digits_are_kept_for_the_agent() {
    let flow = flow();
    let (state, reply) = run(
        &flow,
        Tier::Gold,
        &[Event::digits("1"), Event::digits("12")],
    );
    assert_eq!(state.node(), Some("policy"), "too short: asked again");
    let Then::Gather(gather) = &reply.then else {
        panic!("{reply:?}")
    };
    assert_eq!((gather.num_digits, gather.finish_on_key), (None, Some('#')));

    let (state, _) = run(
        &flow,
        Tier::Gold,
        &[Event::digits("1"), Event::digits("12345#")],
    );
    assert_eq!(state.context().answers["policy_number"], "12345");
    assert_eq!(state.node(), Some("menu"));

    let (state, _) = run(
        &flow,
        Tier::Gold,
        &[Event::digits("1"), Event::speech("4 5 6 7", 0.8)],
    );
    assert_eq!(state.context().answers["policy_number"], "4567");
}

#[test]
fn branches_follow_language_reason_and_verification() {
    let flow = flow();
    let (state, reply) = run(
        &flow,
        Tier::Gold,
        &[Event::digits("2"), Event::digits("1234")],
    );
    assert!(
        state.is_ended() && reply.then == Then::Hangup,
        "Spanish callers: goodbye"
    );

    let (_, reply) = run(
        &flow,
        Tier::Gold,
        &[
            Event::digits("1"),
            Event::digits("1234"),
            Event::digits("1"),
        ],
    );
    assert!(
        matches!(reply.then, Then::Enqueue(ref h) if h.reason == Some(domain::Reason::LostStolen))
    );

    let right = || Event::digits("right");
    let verified = [
        Event::digits("1"),
        Event::digits("1234"),
        Event::digits("2"),
        right(),
        right(),
    ];
    let (_, reply) = run(&flow, Tier::Gold, &verified);
    assert!(
        matches!(reply.then, Then::Enqueue(ref h) if h.department == domain::Department::Rewards),
        "strongly verified gold card: {reply:?}"
    );
    let (_, reply) = run(&flow, Tier::Green, &verified);
    assert_eq!(
        reply.then,
        Then::Hangup,
        "a green card is not in the case's tiers"
    );
}
