use domain::Country;

use super::{at, demo_entries, provenance};
use crate::{
    CheckStatus, Coverage, Directory, E164, Entry, Hours, PhoneError, ServiceLine, Status, demo,
};

fn cc(code: &str) -> Option<Country> {
    Some(Country::parse(code).unwrap())
}

fn listing(country: &str, number: &str, status: Status, source: &str) -> Entry {
    let number = E164::parse(number, cc(country)).unwrap();
    Entry {
        coverage: Coverage::Country(cc(country).unwrap()),
        service: ServiceLine::General,
        tiers: Vec::new(),
        toll_free: number.is_toll_free(),
        number,
        collect: false,
        languages: Vec::new(),
        hours: Some(Hours::Always),
        notes: String::new(),
        provenance: provenance(source),
        status,
    }
}

/// The demo directory, two third-party listings and one confirmed scam number.
fn directory() -> Directory {
    let mut entries = demo_entries();
    entries.push(listing(
        "GB",
        "0800 151 0900",
        Status::ThirdParty,
        "article",
    ));
    entries.push(listing("JP", "0120-099-818", Status::ThirdParty, "article"));
    entries.push(Entry::reported_scam(
        E164::parse("+44 20 7946 0999", None).unwrap(),
        "Caller asked for the card's security code".into(),
        "moderator".into(),
        at("2026-03-01T10:00:00Z"),
    ));
    // A third party that lists an official number is still the official number.
    entries.push(listing("US", "212 555 0101", Status::ThirdParty, "article"));
    Directory::new(entries)
}

#[test]
fn every_written_form_of_a_listed_number_finds_it() {
    let directory = directory();
    // (written, hint, status, E.164)
    let cases: &[(&str, Option<&str>, CheckStatus, &str)] = &[
        (
            "+1 212 555 0100",
            None,
            CheckStatus::Official,
            "+12125550100",
        ),
        (
            "(212) 555-0100",
            None,
            CheckStatus::Official,
            "+12125550100",
        ),
        ("212.555.0100", None, CheckStatus::Official, "+12125550100"),
        (
            "1-212-555-0100",
            None,
            CheckStatus::Official,
            "+12125550100",
        ),
        (
            "011 1 212 555 0100",
            None,
            CheckStatus::Official,
            "+12125550100",
        ),
        (
            "001 212 555 0100",
            Some("GB"),
            CheckStatus::Official,
            "+12125550100",
        ),
        (
            "0808 157 0101",
            None,
            CheckStatus::Official,
            "+448081570101",
        ),
        (
            "+44 808 157 0101",
            None,
            CheckStatus::Official,
            "+448081570101",
        ),
        (
            "0044 808 157 0101",
            None,
            CheckStatus::Official,
            "+448081570101",
        ),
        (
            "44 808 157 0101",
            None,
            CheckStatus::Official,
            "+448081570101",
        ),
        ("0120-000-100", None, CheckStatus::Official, "+81120000100"),
        (
            "０１２０－０００－１００",
            None,
            CheckStatus::Official,
            "+81120000100",
        ),
        ("1800 160 401", None, CheckStatus::Official, "+611800160401"),
        (
            "01 99 00 01 00",
            None,
            CheckStatus::Official,
            "+33199000100",
        ),
        (
            "0800 151 0900",
            None,
            CheckStatus::ThirdParty,
            "+448001510900",
        ),
        (
            "0120-099-818",
            None,
            CheckStatus::ThirdParty,
            "+81120099818",
        ),
        (
            "+81 120 099 818",
            None,
            CheckStatus::ThirdParty,
            "+81120099818",
        ),
        (
            "020 7946 0999",
            None,
            CheckStatus::ReportedScam,
            "+442079460999",
        ),
        (
            "+44 (0)20 7946 0999",
            None,
            CheckStatus::ReportedScam,
            "+442079460999",
        ),
        ("212 555 0101", None, CheckStatus::Official, "+12125550101"),
    ];
    for (written, hint, status, number) in cases {
        let answer = directory
            .check(written, hint.and_then(cc))
            .unwrap_or_else(|e| panic!("{written}: {e}"));
        assert_eq!(
            (answer.status, answer.number.as_str()),
            (*status, *number),
            "{written}"
        );
        assert!(!answer.entries.is_empty(), "{written}");
    }
}

#[test]
fn the_answer_lists_every_entry_official_first() {
    let answer = directory().check("212 555 0101", None).unwrap();
    let statuses: Vec<Status> = answer.entries.iter().map(|e| e.status).collect();
    assert_eq!(statuses, [Status::Official, Status::ThirdParty]);
    assert_eq!(answer.display, "(212) 555-0101");
    assert_eq!(answer.international, "+1 212-555-0101");
    assert_eq!(answer.region, cc("US"));
}

#[test]
fn made_up_numbers_are_unknown_with_the_normalised_number() {
    let directory = directory();
    let cases: &[(&str, Option<&str>, &str)] = &[
        ("+1 212 555 0142", None, "+12125550142"),
        ("(212) 555-0142", Some("US"), "+12125550142"),
        ("(212) 555-0142", None, "+12125550142"),
        ("0808 157 0999", None, "+448081570999"),
        ("00 44 808 157 0999", None, "+448081570999"),
        ("0120-000-999", Some("JP"), "+81120000999"),
    ];
    for (written, hint, number) in cases {
        let answer = directory
            .check(written, hint.and_then(cc))
            .unwrap_or_else(|e| panic!("{written}: {e}"));
        assert_eq!(answer.status, CheckStatus::Unknown, "{written}");
        assert_eq!(answer.number.as_str(), *number, "{written}");
        assert!(answer.entries.is_empty());
    }
}

#[test]
fn text_that_is_no_number_anywhere_is_an_error_that_says_why() {
    let directory = directory();
    assert_eq!(directory.check("", None).unwrap_err(), PhoneError::Empty);
    assert_eq!(
        directory.check("hello", None).unwrap_err(),
        PhoneError::NoDigits
    );
    assert_eq!(
        directory.check("12345", None).unwrap_err(),
        PhoneError::NeedsCountry
    );
    assert!(matches!(
        directory.check("555-0100", cc("US")),
        Err(PhoneError::Invalid { .. })
    ));
    assert!(matches!(
        directory.check("+999 123 4567", None),
        Err(PhoneError::UnknownCountryCode(_))
    ));
}

#[test]
fn the_callers_country_decides_between_readings() {
    // The same national digits listed in two countries.
    let entries = vec![
        listing("GB", "0800 000 0100", Status::Official, "issuer"),
        listing("DE", "0800 000 0100", Status::ThirdParty, "article"),
    ];
    let directory = Directory::new(entries);
    let uk = directory.check("0800 000 0100", cc("GB")).unwrap();
    assert_eq!(
        (uk.status, uk.number.as_str()),
        (CheckStatus::Official, "+448000000100")
    );
    let de = directory.check("0800 000 0100", cc("DE")).unwrap();
    assert_eq!(
        (de.status, de.number.as_str()),
        (CheckStatus::ThirdParty, "+498000000100")
    );
    assert_eq!(de.other_readings.len(), 1);
    assert_eq!(de.other_readings[0].status, CheckStatus::Official);
    // Without a hint, the strongest status wins and the other reading is reported.
    let any = directory.check("0800 000 0100", None).unwrap();
    assert_eq!(any.number.as_str(), "+448000000100");
    assert_eq!(any.other_readings[0].number.as_str(), "+498000000100");
}

#[test]
fn check_responses_serialise_for_the_api() {
    let answer = directory().check("0808 157 0101", None).unwrap();
    let json = serde_json::to_value(&answer).unwrap();
    assert_eq!(json["status"], "official");
    assert_eq!(json["number"], "+448081570101");
    assert_eq!(json["display"], "0808 157 0101");
    assert_eq!(json["entries"][0]["service"], "lost_stolen");
    assert_eq!(json["entries"][0]["provenance"]["source"], demo::SOURCE);
}
