//! At every menu of the demo flow, in both languages and by day and night: invalid keys and
//! silence retry with a clear prompt and then reach a person; "0" and "representative" reach a
//! person at once. At every other question "0" and silence do the same.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use domain::{Lang, Tier, Timestamp};
use ivr::{Cause, NodeType, Question};

use crate::support::{Call, DEMO, Input, daytime, night};

/// Where the caller is asked something.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Point {
    /// Teams keep hours, so the same menu may lead elsewhere by night.
    now: Timestamp,
    node: String,
    question: String,
    lang: Lang,
}

struct Way {
    now: Timestamp,
    inputs: Vec<Input>,
}

impl Way {
    fn replay(&self) -> Call<'static> {
        let mut call = Call::start(&DEMO, Tier::Gold, self.now);
        for input in &self.inputs {
            call.send(input.clone());
        }
        call
    }
}

/// A shortest way to every point the demo flow can ask something, found by trying keys.
fn ways_to_every_question() -> BTreeMap<Point, Way> {
    let mut found = BTreeMap::new();
    let mut queue: VecDeque<Way> = [daytime(), night()]
        .into_iter()
        .map(|now| Way {
            now,
            inputs: Vec::new(),
        })
        .collect();
    while let Some(way) = queue.pop_front() {
        let call = way.replay();
        let state = call.state();
        let (Some(node), Some(question)) = (state.node(), state.question()) else {
            continue;
        };
        let point = Point {
            now: way.now,
            node: node.to_owned(),
            question: format!("{question:?}"),
            lang: state.language(),
        };
        if found.contains_key(&point) || way.inputs.len() > 14 {
            continue;
        }
        let next: Vec<Input> = match question {
            Question::Factor(_) | Question::NewPin => vec![Input::Right],
            Question::Address => vec![Input::say("Hotel Example, Paris")],
            Question::Digits => vec![Input::keys("1234")],
            _ => (1..=9).map(|d| Input::keys(&d.to_string())).collect(),
        };
        for input in next {
            let mut inputs = way.inputs.clone();
            inputs.push(input);
            queue.push_back(Way {
                now: way.now,
                inputs,
            });
        }
        found.insert(point, way);
    }
    found
}

fn representative(lang: Lang) -> &'static str {
    match lang {
        Lang::Es => "quiero hablar con un representante",
        _ => "I want to talk to a representative",
    }
}

fn assert_person(call: &Call<'_>, cause: Cause, at: &Point) {
    let handoff = call
        .handoff()
        .unwrap_or_else(|| panic!("{at:?}: no person\n{}", call.transcript));
    assert_eq!(handoff.context.cause, Some(cause), "{at:?}");
    assert_eq!(handoff.language, at.lang, "{at:?}");
}

fn assert_asked_again(call: &Call<'_>, at: &Point, notice: &str) {
    let state = call.state();
    assert_eq!(
        state.node(),
        Some(at.node.as_str()),
        "{at:?}\n{}",
        call.transcript
    );
    assert_eq!(
        format!("{:?}", state.question().unwrap()),
        at.question,
        "{at:?}"
    );
    assert_eq!(
        call.messages().first().map(String::as_str),
        Some(notice),
        "{at:?}"
    );
    assert!(
        call.messages().len() >= 2,
        "{at:?}: the question is asked again"
    );
}

#[test]
fn every_menu_handles_invalid_keys_silence_zero_and_representative() {
    let ways = ways_to_every_question();
    let menus: BTreeSet<&str> = DEMO
        .nodes()
        .filter(|(_, kind)| matches!(kind, NodeType::Menu | NodeType::Language))
        .map(|(id, _)| id)
        .collect();
    let mut tested = BTreeSet::new();
    for (at, way) in &ways {
        let Some(&menu) = menus.get(at.node.as_str()) else {
            continue;
        };
        let is_language_choice = menu == "welcome";

        // "0" reaches a person.
        let mut call = way.replay();
        call.press("0");
        assert_person(&call, Cause::AskedForPerson, at);

        // So does "representative", said in the call's language.
        let mut call = way.replay();
        call.say(representative(at.lang));
        assert_person(&call, Cause::AskedForPerson, at);

        // An invalid key: a clear prompt and the question again; then a person.
        let mut call = way.replay();
        call.press("*");
        assert_asked_again(&call, at, "invalid");
        call.press("*");
        assert_asked_again(&call, at, "invalid");
        call.press("*");
        if is_language_choice {
            assert_eq!(
                call.node().as_deref(),
                Some("reason_menu"),
                "keeps the default language"
            );
        } else {
            assert_person(&call, Cause::NotUnderstood, at);
        }

        // Silence: a clear prompt and the question again; then a person.
        let mut call = way.replay();
        call.silence();
        if is_language_choice {
            assert_eq!(
                call.node().as_deref(),
                Some("reason_menu"),
                "no choice: the default"
            );
            assert_eq!(call.state().language(), Lang::En);
        } else {
            assert_asked_again(&call, at, "no-input");
            call.silence();
            assert_asked_again(&call, at, "no-input");
            call.silence();
            assert_person(&call, Cause::NoInput, at);
        }
        tested.insert(menu);
    }
    assert_eq!(tested, menus, "every menu was reached and tested");
    let languages: BTreeSet<Lang> = ways.keys().map(|p| p.lang).collect();
    assert_eq!(languages, BTreeSet::from([Lang::En, Lang::Es]));
}

#[test]
fn every_other_question_lets_the_caller_reach_a_person() {
    let ways = ways_to_every_question();
    let mut questions = BTreeSet::new();
    for (at, way) in &ways {
        if matches!(at.question.as_str(), "Menu" | "Language") {
            continue;
        }
        let mut call = way.replay();
        call.press("0");
        assert_person(&call, Cause::AskedForPerson, at);

        let mut call = way.replay();
        for _ in 0..3 {
            call.silence();
        }
        assert_person(&call, Cause::NoInput, at);
        questions.insert(at.question.clone());
    }
    let expected = [
        "Address",
        "Destination",
        "Factor(CardNumber)",
        "Factor(DateOfBirth)",
        "Factor(Postcode)",
        "Factor(SecurityCode)",
        "Factor(TaxIdLast4)",
        "Loss",
        "NewPin",
        "Shipping",
    ];
    assert_eq!(questions, expected.iter().map(|q| q.to_string()).collect());
}
