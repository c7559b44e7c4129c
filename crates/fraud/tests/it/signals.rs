//! Each signal: cases that must fire it and cases that must not.

use fraud::{CardStatus, Label, Outcome, OutcomeSource, SignalKind as S, Verdict};

use crate::fixtures::*;

const END: &str = "2024-01-31T17:00:00Z";

/// The last purchase of `toronto_regular` happened 19 hours before END.
fn last_home_purchase() -> domain::Timestamp {
    later(at(END), -19 * 60)
}

#[test]
fn a_clone_used_abroad_minutes_after_a_purchase_at_home_is_impossible_travel() {
    let mut e = engine();
    let c = toronto_regular(&mut e, 1, at(END));
    let home = e.decide(&auth(
        c,
        "35.00",
        "CAD",
        shop("TOR-GROCER", "5411", "CA", Some(TORONTO)),
        at(END),
    ));
    assert!(!fired(&home, S::ImpossibleTravel));
    let paris = e.decide(&auth(
        c,
        "900.00",
        "EUR",
        shop("PAR-JEWEL", "5944", "FR", Some(PARIS)),
        later(at(END), 30),
    ));
    assert!(fired(&paris, S::ImpossibleTravel), "{paris:?}");
    assert!(paris.verdict >= Verdict::Challenge);
    let why = reason(&paris, S::ImpossibleTravel);
    assert!(why.contains("km/h") && why.contains("in CA"), "{why}");
}

#[test]
fn a_flight_with_a_plausible_duration_is_not_impossible_travel() {
    let mut e = engine();
    let c = toronto_regular(&mut e, 1, at(END));
    e.decide(&auth(
        c,
        "35.00",
        "CAD",
        shop("TOR-GROCER", "5411", "CA", Some(TORONTO)),
        at(END),
    ));
    // Toronto → Paris is about 6,000 km: 8 h 40 min of flying and taxiing is plausible.
    let arrival = later(at(END), 8 * 60 + 40);
    let taxi = e.decide(&auth(
        c,
        "55.00",
        "EUR",
        shop("PAR-TAXI", "4121", "FR", Some(PARIS)),
        arrival,
    ));
    assert!(!fired(&taxi, S::ImpossibleTravel), "{taxi:?}");
    assert!(fired(&taxi, S::UnusualCountry), "{taxi:?}");
}

#[test]
fn nearby_purchases_minutes_apart_are_not_travel() {
    let mut e = engine();
    let c = toronto_regular(&mut e, 1, at(END));
    e.decide(&auth(
        c,
        "35.00",
        "CAD",
        shop("TOR-GROCER", "5411", "CA", Some(TORONTO)),
        at(END),
    ));
    // 30 km across the city one minute later.
    let across = (TORONTO.0 + 0.27, TORONTO.1);
    let d = e.decide(&auth(
        c,
        "20.00",
        "CAD",
        shop("TOR-FUEL", "5541", "CA", Some(across)),
        later(at(END), 1),
    ));
    assert!(!fired(&d, S::ImpossibleTravel), "{d:?}");
}

#[test]
fn coming_home_after_a_clone_was_used_abroad_is_not_impossible_travel() {
    let mut e = engine();
    let c = toronto_regular(&mut e, 1, at(END));
    e.decide(&auth(
        c,
        "35.00",
        "CAD",
        shop("TOR-GROCER", "5411", "CA", Some(TORONTO)),
        at(END),
    ));
    let clone = e.decide(&auth(
        c,
        "400.00",
        "EUR",
        shop("PAR-ATM", "6011", "FR", Some(PARIS)),
        later(at(END), 20),
    ));
    assert!(fired(&clone, S::ImpossibleTravel));
    let back = e.decide(&auth(
        c,
        "12.00",
        "CAD",
        shop("TOR-DINER", "5812", "CA", Some(TORONTO)),
        later(at(END), 90),
    ));
    assert!(!fired(&back, S::ImpossibleTravel), "{back:?}");
    assert_eq!(back.verdict, Verdict::Approve, "{back:?}");
}

#[test]
fn a_first_card_present_use_in_a_new_country_is_unusual() {
    let mut e = engine();
    let c = toronto_regular(&mut e, 1, at(END));
    // 20 hours after the last purchase: the flight is plausible, the country is new.
    let when = later(last_home_purchase(), 20 * 60 + 19 * 60);
    let d = e.decide(&auth(
        c,
        "800.00",
        "THB",
        shop("BKK-MALL", "5311", "TH", Some(BANGKOK)),
        when,
    ));
    assert!(fired(&d, S::UnusualCountry), "{d:?}");
    assert!(reason(&d, S::UnusualCountry).contains("usually CA"));
    let home = e.decide(&auth(
        c,
        "30.00",
        "CAD",
        shop("TOR-GROCER", "5411", "CA", Some(TORONTO)),
        later(when, 48 * 60),
    ));
    assert!(!fired(&home, S::UnusualCountry), "{home:?}");
}

#[test]
fn night_time_spending_in_a_foreign_country_fires_only_at_night() {
    let mut e = engine();
    let c = toronto_regular(&mut e, 1, at(END));
    // 2024-02-02 20:30 UTC = 03:30 in Bangkok; 08:00 UTC = 15:00.
    let night = e.decide(&auth(
        c,
        "9000.00",
        "THB",
        shop("BKK-BAR", "5813", "TH", Some(BANGKOK)),
        at("2024-02-02T20:30:00Z"),
    ));
    assert!(fired(&night, S::NightAbroad), "{night:?}");
    assert!(reason(&night, S::NightAbroad).starts_with("03:30 local time in TH"));

    let mut e = engine();
    let c = toronto_regular(&mut e, 1, at(END));
    let day = e.decide(&auth(
        c,
        "900.00",
        "THB",
        shop("BKK-CAFE", "5814", "TH", Some(BANGKOK)),
        at("2024-02-02T08:00:00Z"),
    ));
    assert!(!fired(&day, S::NightAbroad), "{day:?}");
}

#[test]
fn a_purchase_at_an_hour_the_card_never_uses_is_unusual() {
    let mut e = engine();
    let c = toronto_regular(&mut e, 1, at(END));
    // 08:30 UTC = 03:30 in Toronto.
    let d = e.decide(&auth(
        c,
        "45.00",
        "CAD",
        shop("TOR-GROCER", "5411", "CA", Some(TORONTO)),
        at("2024-01-31T08:30:00Z"),
    ));
    assert!(fired(&d, S::UnusualHour), "{d:?}");
    let usual = e.decide(&auth(
        c,
        "45.00",
        "CAD",
        shop("TOR-GROCER", "5411", "CA", Some(TORONTO)),
        at("2024-01-31T19:00:00Z"),
    ));
    assert!(!fired(&usual, S::UnusualHour), "{usual:?}");
}

#[test]
fn an_amount_far_above_the_cards_usual_in_the_category_is_unusual() {
    let mut e = engine();
    let c = toronto_regular(&mut e, 1, at(END));
    let big = e.decide(&auth(
        c,
        "950.00",
        "CAD",
        shop("TOR-GROCER", "5411", "CA", Some(TORONTO)),
        at(END),
    ));
    assert!(fired(&big, S::UnusualAmount), "{big:?}");
    assert!(reason(&big, S::UnusualAmount).contains("groceries"));
    let usual = e.decide(&auth(
        c,
        "52.00",
        "CAD",
        shop("TOR-GROCER", "5411", "CA", Some(TORONTO)),
        later(at(END), 60),
    ));
    assert!(!fired(&usual, S::UnusualAmount), "{usual:?}");
    // Comparable across currencies: 40 USD is a usual grocery bill for this card.
    let usd = e.decide(&auth(
        c,
        "40.00",
        "USD",
        shop("NYC-GROCER", "5411", "US", None),
        later(at(END), 120),
    ));
    assert!(!fired(&usd, S::UnusualAmount), "{usd:?}");
}

#[test]
fn risky_categories_fire_and_say_when_they_are_new_for_the_card() {
    let mut e = engine();
    let c = toronto_regular(&mut e, 1, at(END));
    let jewel = e.decide(&auth(
        c,
        "60.00",
        "CAD",
        shop("TOR-JEWEL", "5944", "CA", Some(TORONTO)),
        at(END),
    ));
    assert!(fired(&jewel, S::RiskyCategory), "{jewel:?}");
    assert!(reason(&jewel, S::RiskyCategory).contains("new for this card"));
    let grocer = e.decide(&auth(
        c,
        "45.00",
        "CAD",
        shop("TOR-GROCER", "5411", "CA", Some(TORONTO)),
        later(at(END), 60),
    ));
    assert!(!fired(&grocer, S::RiskyCategory));
}

#[test]
fn many_authorizations_within_an_hour_are_velocity() {
    let mut e = engine();
    let c = toronto_regular(&mut e, 1, at(END));
    let mut last = None;
    for i in 0..7 {
        let d = e.decide(&auth(
            c,
            "20.00",
            "CAD",
            shop(&format!("TOR-{i}"), "5999", "CA", Some(TORONTO)),
            later(at(END), i * 8),
        ));
        assert_eq!(fired(&d, S::Velocity), i >= 5, "purchase {i}: {d:?}");
        last = Some(d);
    }
    assert!(reason(&last.unwrap(), S::Velocity).starts_with("7 authorizations in the last hour"));
}

#[test]
fn bursts_of_small_online_amounts_at_several_merchants_are_card_testing() {
    let mut e = engine();
    let c = toronto_regular(&mut e, 1, at(END));
    let mut decisions = Vec::new();
    for i in 0..4 {
        let merchant = shop(&format!("WEB-{i}"), "8398", "US", None);
        decisions.push(e.decide(&auth(c, "1.00", "USD", merchant, later(at(END), i))));
    }
    assert!(!fired(&decisions[1], S::CardTesting));
    assert!(fired(&decisions[2], S::CardTesting), "{:?}", decisions[2]);
    assert_eq!(decisions[3].verdict, Verdict::Decline);
    assert!(
        reason(&decisions[3], S::CardTesting)
            .starts_with("4 online amounts under 2.00 USD at 4 merchants")
    );
}

#[test]
fn small_online_amounts_spread_over_hours_or_card_present_are_not_card_testing() {
    let mut e = engine();
    let c = toronto_regular(&mut e, 1, at(END));
    for i in 0..4 {
        let app_store = shop(&format!("APPS-{i}"), "5818", "US", None);
        let d = e.decide(&auth(c, "1.99", "USD", app_store, later(at(END), i * 90)));
        assert!(!fired(&d, S::CardTesting), "{d:?}");
    }
    for i in 0..4 {
        let kiosk = shop(&format!("TOR-KIOSK-{i}"), "5994", "CA", Some(TORONTO));
        let d = e.decide(&auth(c, "1.50", "CAD", kiosk, later(at(END), 400 + i)));
        assert!(!fired(&d, S::CardTesting), "{d:?}");
    }
}

fn confirm(e: &mut fraud::Engine, authorization: fraud::Authorization, label: Label) {
    let d = e.decide(&authorization);
    e.learn(
        &Outcome {
            known_at: later(authorization.at, 60),
            authorization,
            label,
            source: OutcomeSource::Analyst,
            features: Some(d.features),
        },
        d.verdict,
    );
}

#[test]
fn a_merchant_with_confirmed_frauds_is_compromised_for_other_cards() {
    let mut e = engine();
    for n in 10..14 {
        e.enrol(card(n), CardStatus::Active).unwrap();
        confirm(
            &mut e,
            auth(
                card(n),
                "70.00",
                "CAD",
                shop("TOR-SKIMMER", "5541", "CA", Some(TORONTO)),
                later(at(END), n as i64),
            ),
            Label::Fraud,
        );
    }
    let c = toronto_regular(&mut e, 1, at(END));
    let d = e.decide(&auth(
        c,
        "45.00",
        "CAD",
        shop("TOR-SKIMMER", "5541", "CA", Some(TORONTO)),
        later(at(END), 120),
    ));
    assert!(fired(&d, S::CompromisedMerchant), "{d:?}");
    assert!(
        reason(&d, S::CompromisedMerchant)
            .starts_with("merchant TOR-SKIMMER: 4.0 confirmed frauds")
    );
    let elsewhere = e.decide(&auth(
        c,
        "45.00",
        "CAD",
        shop("TOR-GROCER", "5411", "CA", Some(TORONTO)),
        later(at(END), 180),
    ));
    assert!(!fired(&elsewhere, S::CompromisedMerchant));
}

#[test]
fn genuine_outcomes_keep_a_merchant_clean() {
    let mut e = engine();
    for n in 10..30 {
        e.enrol(card(n), CardStatus::Active).unwrap();
        let label = if n < 12 { Label::Fraud } else { Label::Genuine };
        confirm(
            &mut e,
            auth(
                card(n),
                "70.00",
                "CAD",
                shop("TOR-BUSY", "5541", "CA", Some(TORONTO)),
                later(at(END), n as i64),
            ),
            label,
        );
    }
    let c = toronto_regular(&mut e, 1, at(END));
    let d = e.decide(&auth(
        c,
        "45.00",
        "CAD",
        shop("TOR-BUSY", "5541", "CA", Some(TORONTO)),
        later(at(END), 120),
    ));
    assert!(!fired(&d, S::CompromisedMerchant), "{d:?}");
}

#[test]
fn a_card_with_a_confirmed_fraud_stays_suspicious() {
    let mut e = engine();
    let c = toronto_regular(&mut e, 1, at(END));
    let other = toronto_regular(&mut e, 2, at(END));
    confirm(
        &mut e,
        auth(
            c,
            "300.00",
            "USD",
            shop("WEB-SHOP", "5999", "US", None),
            at(END),
        ),
        Label::Fraud,
    );
    let d = e.decide(&auth(
        c,
        "45.00",
        "CAD",
        shop("TOR-GROCER", "5411", "CA", Some(TORONTO)),
        later(at(END), 24 * 60),
    ));
    assert!(fired(&d, S::CompromisedCard), "{d:?}");
    let o = e.decide(&auth(
        other,
        "45.00",
        "CAD",
        shop("TOR-GROCER", "5411", "CA", Some(TORONTO)),
        later(at(END), 24 * 60),
    ));
    assert!(!fired(&o, S::CompromisedCard));
}

#[test]
fn locked_lost_and_stolen_cards_are_always_declined() {
    let mut e = engine();
    let c = toronto_regular(&mut e, 1, at(END));
    for status in [CardStatus::Locked, CardStatus::Lost, CardStatus::Stolen] {
        assert!(e.set_card_status(c, status));
        let d = e.decide(&auth(
            c,
            "5.00",
            "CAD",
            shop("TOR-GROCER", "5411", "CA", Some(TORONTO)),
            at(END),
        ));
        assert_eq!(d.verdict, Verdict::Decline);
        assert_eq!(d.reasons[0].kind, S::CardStatus);
        assert_eq!(
            d.reasons[0].reason.to_string(),
            format!("card is {}", status.label())
        );
    }
    assert!(e.set_card_status(c, CardStatus::Active));
    let d = e.decide(&auth(
        c,
        "45.00",
        "CAD",
        shop("TOR-GROCER", "5411", "CA", Some(TORONTO)),
        at(END),
    ));
    assert_eq!(d.verdict, Verdict::Approve, "{d:?}");
}

#[test]
fn an_unknown_card_is_declined_with_its_reason() {
    let mut e = engine();
    let d = e.decide(&auth(
        card(99),
        "5.00",
        "CAD",
        shop("TOR-GROCER", "5411", "CA", Some(TORONTO)),
        at(END),
    ));
    assert_eq!(d.verdict, Verdict::Decline);
    assert_eq!(d.score, 1.0);
    assert_eq!(
        d.reasons_text(),
        "unknown_card (+inf): card is not known to the issuer"
    );
    assert!(!e.set_card_status(card(99), CardStatus::Lost));
}

#[test]
fn ordinary_purchases_are_approved_without_reasons() {
    let mut e = engine();
    let c = toronto_regular(&mut e, 1, at(END));
    let d = e.decide(&auth(
        c,
        "48.00",
        "CAD",
        shop("TOR-GROCER", "5411", "CA", Some(TORONTO)),
        at(END),
    ));
    assert_eq!(d.verdict, Verdict::Approve);
    assert!(d.reasons.is_empty(), "{d:?}");
    assert!(d.score < 0.05);
}

#[test]
fn a_confirmed_genuine_trip_becomes_usual() {
    let mut e = engine();
    let c = toronto_regular(&mut e, 1, at(END));
    let when = later(at(END), 20 * 60);
    let trip = auth(
        c,
        "800.00",
        "THB",
        shop("BKK-MALL", "5311", "TH", Some(BANGKOK)),
        when,
    );
    let first = e.decide(&trip);
    assert!(fired(&first, S::UnusualCountry));
    // The cardholder answered "yes, it was me" (or the edge confirmed it otherwise).
    e.learn(
        &Outcome {
            authorization: trip,
            label: Label::Genuine,
            source: OutcomeSource::Challenge,
            known_at: later(when, 5),
            features: Some(first.features),
        },
        Verdict::Challenge,
    );
    let next = e.decide(&auth(
        c,
        "300.00",
        "THB",
        shop("BKK-CAFE", "5814", "TH", Some(BANGKOK)),
        later(when, 60),
    ));
    assert!(!fired(&next, S::UnusualCountry), "{next:?}");
}

#[test]
fn the_stand_in_decision_comes_from_the_configuration() {
    let e = engine();
    assert_eq!(e.stand_in(), Verdict::Approve);
    let text = fraud::DEFAULT_TOML.replace("stand_in = \"approve\"", "stand_in = \"decline\"");
    let e = fraud::Engine::new(fraud::Config::from_toml(&text).unwrap()).unwrap();
    assert_eq!(e.stand_in(), Verdict::Decline);
}

#[test]
fn a_restored_engine_decides_as_the_original() {
    let mut e = engine();
    let c = toronto_regular(&mut e, 1, at(END));
    let json = serde_json::to_string(&e.state()).unwrap();
    let mut restored =
        fraud::Engine::restore(e.config().clone(), serde_json::from_str(&json).unwrap()).unwrap();
    let probe = auth(
        c,
        "950.00",
        "EUR",
        shop("PAR-JEWEL", "5944", "FR", Some(PARIS)),
        later(at(END), 10),
    );
    let (a, b) = (e.decide(&probe), restored.decide(&probe));
    assert_eq!(a.verdict, b.verdict);
    assert_eq!(a.score, b.score);
    assert_eq!(a.reasons, b.reasons);
}
