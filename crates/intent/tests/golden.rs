//! Golden messages, written by hand (not from BANKING77), for every department: typed chat with
//! misspellings and IVR-style transcripts without punctuation or capitals. They run against the
//! committed model, so a retrained model that gets worse on them fails here. The threshold path
//! (clarify, hand to a person, the safety net) is checked with policies set to force each branch.

#![allow(clippy::unwrap_used)]

use domain::Department::{self, *};
use intent::{Classifier, Route, RoutingPolicy, SafetyNet};

fn classifier() -> Classifier {
    Classifier::bundled().unwrap()
}

const GOLDEN: &[(&str, Department)] = &[
    // lost_or_stolen
    (
        "i think i left my card at the restaurant last night and now i cant find it",
        LostOrStolen,
    ),
    ("my purse was snatched with my card in it", LostOrStolen),
    (
        "someone has been using my card without me knowing",
        LostOrStolen,
    ),
    (
        "there is a payment from a shop i have never been to",
        LostOrStolen,
    ),
    (
        "yes hello my card was stolen on the bus this morning",
        LostOrStolen,
    ),
    (
        "i dont reconise this withdrawl from an atm in madrid",
        LostOrStolen,
    ),
    ("my phone got stolen and the app is on it", LostOrStolen),
    // billing_disputes
    ("I was charged twice for the same coffee", BillingDisputes),
    ("why is there a fee on my card payment", BillingDisputes),
    (
        "the atm gave me less cash than i asked for",
        BillingDisputes,
    ),
    (
        "i want a refund for something i returned to the store",
        BillingDisputes,
    ),
    (
        "i returned an item two weeks ago and the refund is still not on my account",
        BillingDisputes,
    ),
    (
        "you charged me a fee for topping up by card why",
        BillingDisputes,
    ),
    // card_services
    ("when will my new card arive", CardServices),
    ("how do i activate the card i just got", CardServices),
    ("the atm ate my card", CardServices),
    ("i want to change my pin number", CardServices),
    ("my pin is blocked after too many tries", CardServices),
    ("contactless doesnt work in shops", CardServices),
    ("can i add my card to apple pay", CardServices),
    ("how do i get a virtual card", CardServices),
    // payments_transfers
    (
        "my transfer still hasnt arrived to my friend",
        PaymentsTransfers,
    ),
    (
        "how long does a bank transfer take to show",
        PaymentsTransfers,
    ),
    ("my top up failed can you help", PaymentsTransfers),
    ("can i top up with cash at a shop", PaymentsTransfers),
    ("how do i set up automatic top ups", PaymentsTransfers),
    ("the payment is still pending in the app", PaymentsTransfers),
    (
        "how can i recieve money from abroad into my account",
        PaymentsTransfers,
    ),
    // account_management
    ("i need to update my adress", AccountManagement),
    ("how do i close my acount", AccountManagement),
    ("why do you need to verify my identity", AccountManagement),
    ("i forgot my passcode and cant log in", AccountManagement),
    ("the identity check keeps failing", AccountManagement),
    // travel_and_international
    (
        "what is your exchange rate for japanese yen",
        TravelAndInternational,
    ),
    (
        "i got a bad exchange rate when i paid in euros",
        TravelAndInternational,
    ),
    (
        "can i hold dollars and pounds in the app",
        TravelAndInternational,
    ),
    (
        "is there a charge for exchanging currency",
        TravelAndInternational,
    ),
    // general
    ("how old do i need to be to open an account", General),
    ("which countries do you support", General),
    ("can my 15 year old son get a card", General),
];

/// Where each golden message goes: the routed department, or for a clarifying question or a
/// person the department of the best guess.
fn department(classifier: &Classifier, text: &str) -> Department {
    classifier.suggest(text).unwrap().department()
}

#[test]
fn golden_messages_reach_their_department() {
    let classifier = classifier();
    let wrong: Vec<String> = GOLDEN
        .iter()
        .filter_map(|(text, expected)| {
            let got = department(&classifier, text);
            (got != *expected).then(|| format!("{text:?}: {got}, expected {expected}"))
        })
        .collect();
    // Every department has several messages; a lexical model may miss one or two of the 40.
    assert!(
        wrong.len() <= 2,
        "{} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    for department in [
        LostOrStolen,
        BillingDisputes,
        CardServices,
        PaymentsTransfers,
        AccountManagement,
        TravelAndInternational,
        General,
    ] {
        assert!(
            GOLDEN.iter().any(|(_, d)| *d == department),
            "no golden message for {department}"
        );
    }
}

#[test]
fn every_lost_or_stolen_golden_message_is_routed_there() {
    let classifier = classifier();
    for (text, expected) in GOLDEN {
        if *expected == LostOrStolen {
            let route = classifier.suggest(text).unwrap().route;
            assert_eq!(route.department(), Some(LostOrStolen), "{text}: {route:?}");
        }
    }
}

#[test]
fn transcripts_and_typed_text_agree() {
    let classifier = classifier();
    for (typed, spoken) in [
        (
            "My card hasn't arrived yet, where is it?",
            "my card hasnt arrived yet where is it",
        ),
        (
            "What's the exchange rate for USD?",
            "whats the exchange rate for usd",
        ),
        ("I can't remember my PIN!", "i cant remember my pin"),
    ] {
        let a = classifier.suggest(typed).unwrap().classification;
        let b = classifier.suggest(spoken).unwrap().classification;
        assert_eq!(a.intent, b.intent, "{typed} / {spoken}");
    }
}

#[test]
fn the_threshold_decides_between_routing_asking_and_a_person() {
    let text = "i have a question about my card";
    let sure = classifier().with_policy(RoutingPolicy {
        route_at: 0.0,
        lost_or_stolen_at: 1.1,
        ..RoutingPolicy::default()
    });
    assert!(matches!(
        sure.suggest(text).unwrap().route,
        Route::Department {
            safety_net: None,
            ..
        }
    ));

    // Nothing is confident enough to route: ask when the top intents together are likely.
    let ask = classifier().with_policy(RoutingPolicy {
        route_at: 1.1,
        clarify_at: 0.0,
        lost_or_stolen_at: 1.1,
        ..RoutingPolicy::default()
    });
    match ask.suggest(text).unwrap().route {
        Route::Clarify { options } => {
            assert_eq!(options.len(), 3);
            assert!(
                options
                    .windows(2)
                    .all(|w| w[0].confidence >= w[1].confidence)
            );
            assert!(options.iter().all(|o| !o.description.is_empty()));
        }
        other => panic!("expected a clarifying question, got {other:?}"),
    }

    // … and hand to a person when even that is unlikely.
    let person = classifier().with_policy(RoutingPolicy {
        route_at: 1.1,
        clarify_at: 1.1,
        lost_or_stolen_at: 1.1,
        ..RoutingPolicy::default()
    });
    assert!(matches!(
        person.suggest(text).unwrap().route,
        Route::Person { .. }
    ));

    // The safety net's phrase rules win over any threshold.
    let route = person
        .suggest("my card was stolen yesterday")
        .unwrap()
        .route;
    assert_eq!(route.department(), Some(LostOrStolen));
    assert!(matches!(
        route,
        Route::Department {
            safety_net: Some(SafetyNet::Phrase { .. }),
            ..
        }
    ));
}

#[test]
fn the_committed_model_is_small_and_reloads_identically() {
    assert!(
        intent::BUNDLED_LEXICAL.len() < 4_000_000,
        "{} bytes",
        intent::BUNDLED_LEXICAL.len()
    );
    let model = intent::LexicalModel::from_bytes(intent::BUNDLED_LEXICAL).unwrap();
    assert_eq!(model.to_bytes(), intent::BUNDLED_LEXICAL);
}
