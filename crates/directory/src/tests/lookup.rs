use domain::{Country, Lang, Reason, Tier};

use super::{at, demo_directory, provenance};
use crate::import::official_from_csv;
use crate::{
    Choice, Coverage, Directory, LookupError, LookupQuery, LookupResponse, Place, ServiceLine,
};

fn ask(
    place: Place,
    reason: Reason,
    tier: Option<Tier>,
    lang: Option<Lang>,
    instant: &str,
) -> LookupResponse {
    demo_directory()
        .lookup(&LookupQuery {
            place,
            reason,
            tier,
            lang,
            at: at(instant),
        })
        .unwrap()
}

fn country(code: &str) -> Place {
    Place::Country(Country::parse(code).unwrap())
}

fn line_number(response: &LookupResponse) -> &str {
    response.line.as_ref().map_or("none", |l| l.number.as_str())
}

#[test]
fn japanese_lost_card_by_day_gets_the_japanese_line() {
    // 12:00 in Tokyo.
    let r = ask(
        country("JP"),
        Reason::LostStolen,
        Some(Tier::Gold),
        Some(Lang::Ja),
        "2026-05-13T03:00:00Z",
    );
    assert_eq!(
        (r.choice, line_number(&r)),
        (Choice::BestMatch, "+81120000101")
    );
    assert!(r.open_now);
    assert_eq!(r.fallback.as_ref().unwrap().number.as_str(), "+12125550199");
}

#[test]
fn japanese_lost_card_at_night_gets_the_global_collect_line() {
    // 02:00 on a Wednesday in Tokyo: both Japanese lines are closed.
    let r = ask(
        country("JP"),
        Reason::LostStolen,
        Some(Tier::Gold),
        Some(Lang::Ja),
        "2026-05-12T17:00:00Z",
    );
    assert_eq!(r.choice, Choice::FallbackWhileClosed);
    let line = r.line.as_ref().unwrap();
    assert_eq!(line.number.as_str(), "+12125550199");
    assert!(line.collect && line.open_now && line.coverage == Coverage::Global);
    // The Japanese lines are still shown, with when they open (09:00 JST = 00:00Z).
    assert_eq!(r.alternatives[0].number.as_str(), "+81120000101");
    assert_eq!(
        r.alternatives[0].next_open,
        Some(at("2026-05-13T00:00:00Z"))
    );
    assert_eq!(
        r.alternatives[0].next_open_local.as_deref(),
        Some("2026-05-13T09:00:00+09:00[Asia/Tokyo]")
    );
}

#[test]
fn a_closed_specialised_line_stays_first_with_an_open_general_alternative() {
    // Sunday 12:00 in New York: the billing line is closed, the general line is 24/7.
    let r = ask(
        country("US"),
        Reason::Billing,
        Some(Tier::Green),
        Some(Lang::En),
        "2026-05-10T16:00:00Z",
    );
    assert_eq!(
        (r.choice, line_number(&r)),
        (Choice::BestMatch, "+12125550103")
    );
    assert!(!r.open_now);
    assert_eq!(r.next_open, Some(at("2026-05-11T12:00:00Z"))); // Monday 08:00 EDT
    assert_eq!(r.alternatives[0].number.as_str(), "+12125550100");
    assert!(r.alternatives[0].open_now);
    assert_eq!(r.alternatives[0].hours_text, "24/7");
    assert_eq!(
        r.line.as_ref().unwrap().hours_text,
        "Mon-Fri 08:00-22:00; Sat 09:00-17:00 (America/New_York)"
    );
}

#[test]
fn a_tier_line_beats_the_line_for_everyone_and_other_tiers_lines_are_never_offered() {
    let centurion = ask(
        country("US"),
        Reason::General,
        Some(Tier::Centurion),
        None,
        "2026-05-13T15:00:00Z",
    );
    assert_eq!(line_number(&centurion), "+12125550109");
    let green = ask(
        country("US"),
        Reason::General,
        Some(Tier::Green),
        None,
        "2026-05-13T15:00:00Z",
    );
    assert_eq!(line_number(&green), "+12125550100");
    let offered: Vec<&str> = green
        .alternatives
        .iter()
        .map(|l| l.number.as_str())
        .collect();
    assert!(
        !offered.contains(&"+12125550109") && !offered.contains(&"+12125550110"),
        "{offered:?}"
    );
    // Travel is for platinum and centurion only: a green cardholder gets the general line.
    let travel = ask(
        country("US"),
        Reason::Travel,
        Some(Tier::Green),
        None,
        "2026-05-13T15:00:00Z",
    );
    assert_eq!(line_number(&travel), "+12125550100");
    let travel = ask(
        country("US"),
        Reason::Travel,
        Some(Tier::Platinum),
        None,
        "2026-05-13T15:00:00Z",
    );
    assert_eq!(line_number(&travel), "+12125550105");
}

#[test]
fn language_breaks_ties_and_open_lines_break_language_ties() {
    let csv = "country,service,number,languages,hours,time_zone\n\
        MX,general,800 000 0100,en,24/7,\n\
        MX,general,800 000 0102,es,24/7,\n\
        MX,general,800 000 0103,es,Mon-Fri 09:00-17:00,America/Mexico_City\n";
    let entries = official_from_csv(&provenance("issuer"), csv.as_bytes())
        .unwrap()
        .entries;
    let directory = Directory::new(entries);
    let ask = |lang| {
        let query = LookupQuery {
            place: country("MX"),
            reason: Reason::General,
            tier: None,
            lang: Some(lang),
            at: at("2026-05-13T03:00:00Z"), // Tuesday 21:00 in Mexico City
        };
        directory.lookup(&query).unwrap()
    };
    assert_eq!(line_number(&ask(Lang::En)), "+528000000100");
    let spanish = ask(Lang::Es);
    assert_eq!(line_number(&spanish), "+528000000102");
    let alternatives: Vec<&str> = spanish
        .alternatives
        .iter()
        .map(|l| l.number.as_str())
        .collect();
    assert_eq!(
        alternatives,
        ["+528000000100", "+528000000103"],
        "open lines first"
    );
}

#[test]
fn fraud_and_lost_cards_share_lines_when_one_is_missing() {
    // India has a fraud line and no lost/stolen line.
    let r = ask(
        country("IN"),
        Reason::LostStolen,
        None,
        None,
        "2026-05-13T08:00:00Z",
    );
    assert_eq!(line_number(&r), "+9118000000101");
    assert_eq!(r.alternatives[0].service, ServiceLine::General);
}

#[test]
fn a_country_without_lines_gets_the_collect_line() {
    let r = ask(
        country("KE"),
        Reason::General,
        None,
        None,
        "2026-05-13T08:00:00Z",
    );
    assert_eq!(
        (r.choice, line_number(&r)),
        (Choice::FallbackNoLine, "+12125550199")
    );
    assert!(r.open_now && r.alternatives.is_empty());
    let empty = Directory::new(Vec::new())
        .lookup(&LookupQuery {
            place: country("KE"),
            reason: Reason::General,
            tier: None,
            lang: None,
            at: at("2026-05-13T08:00:00Z"),
        })
        .unwrap();
    assert_eq!(
        (empty.choice, empty.line, empty.fallback),
        (Choice::NoLine, None, None)
    );
}

#[test]
fn the_callers_number_stands_in_for_the_country() {
    let r = ask(
        Place::CallerNumber("+81 3 5550 0100".into()),
        Reason::General,
        None,
        None,
        "2026-05-13T03:00:00Z",
    );
    assert_eq!(r.country, Country::parse("JP").unwrap());
    assert_eq!(line_number(&r), "+81120000100");
    let directory = demo_directory();
    let query = |text: &str| LookupQuery {
        place: Place::CallerNumber(text.into()),
        reason: Reason::General,
        tier: None,
        lang: None,
        at: at("2026-05-13T03:00:00Z"),
    };
    assert!(matches!(
        directory.lookup(&query("090 0000 0000")),
        Err(LookupError::CallerNumber(_))
    ));
    assert!(matches!(
        directory.lookup(&query("+800 1234 5678")),
        Err(LookupError::NoCountryForNumber(_))
    ));
}

#[test]
fn lookup_responses_serialise_for_the_api() {
    let r = ask(
        country("GB"),
        Reason::LostStolen,
        None,
        None,
        "2026-05-13T08:00:00Z",
    );
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["country"], "GB");
    assert_eq!(json["reason"], "lost_stolen");
    assert_eq!(json["choice"], "best_match");
    assert_eq!(json["line"]["number"], "+448081570101");
    assert_eq!(json["line"]["display"], "0808 157 0101");
    assert_eq!(json["line"]["international"], "+44 808 157 0101");
    assert_eq!(json["line"]["toll_free"], true);
    assert_eq!(json["line"]["languages"], serde_json::json!(["en"]));
    assert_eq!(json["line"]["hours"], serde_json::json!({"kind": "always"}));
    assert_eq!(json["open_now"], true);
    assert_eq!(json["next_open"], serde_json::Value::Null);
}
