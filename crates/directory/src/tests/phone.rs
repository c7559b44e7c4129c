use domain::Country;
use proptest::prelude::*;

use crate::{E164, InvalidReason, PhoneError};

fn cc(code: &str) -> Option<Country> {
    Some(Country::parse(code).unwrap())
}

fn e164(input: &str, region: Option<Country>) -> String {
    match E164::parse(input, region) {
        Ok(number) => number.to_string(),
        Err(error) => format!("error: {error}"),
    }
}

#[test]
fn many_written_forms_of_the_same_number() {
    let forms: &[(&str, Option<&str>)] = &[
        ("+1 212 555 0100", None),
        ("+12125550100", None),
        ("+1 (212) 555-0100", None),
        ("+1.212.555.0100", None),
        ("+1-212-555-0100", None),
        ("  +1 212 555 0100  ", None),
        ("＋１ ２１２ ５５５ ０１００", None),
        ("001 212 555 0100", None),
        ("00 1 212 555 0100", None),
        ("011 1 212 555 0100", None),
        ("0111 212 555 0100", None),
        ("(212) 555-0100", Some("US")),
        ("212-555-0100", Some("US")),
        ("212.555.0100", Some("US")),
        ("212 555 0100", Some("US")),
        ("2125550100", Some("US")),
        ("1-212-555-0100", Some("US")),
        ("1 (212) 555-0100", Some("US")),
        ("011 1 212 555 0100", Some("US")),
        ("00 1 212 555 0100", Some("GB")),
        ("+1 212 555 0100", Some("JP")),
        ("212/555-0100", Some("US")),
        ("212–555–0100", Some("US")),
    ];
    for (input, region) in forms {
        assert_eq!(
            e164(input, region.and_then(cc)),
            "+12125550100",
            "{input:?} in {region:?}"
        );
    }
}

#[test]
fn keypad_letters_become_digits() {
    let cases = [
        ("1-800-AXP-EARN", Some("US"), "+18002973276"),
        ("+1-800-AXP-EARN", None, "+18002973276"),
        ("1-800-axp-earn", Some("US"), "+18002973276"),
        ("+1 800 FLOWERS", None, "+18003569377"),
        ("0800 REWARDS", Some("GB"), "+448007392737"),
    ];
    for (input, region, expected) in cases {
        assert_eq!(e164(input, region.and_then(cc)), expected, "{input}");
    }
}

#[test]
fn numbers_of_many_countries_parse_and_format() {
    // (country, as written at home, E.164, national display)
    let cases = [
        ("US", "(212) 555-0100", "+12125550100", "(212) 555-0100"),
        ("CA", "416-555-0100", "+14165550100", "(416) 555-0100"),
        ("GB", "0808 157 0100", "+448081570100", "0808 157 0100"),
        ("GB", "020 7946 0100", "+442079460100", "020 7946 0100"),
        ("FR", "01 99 00 01 00", "+33199000100", "01 99 00 01 00"),
        ("DE", "0800 000 0100", "+498000000100", "0800 0000100"),
        ("IT", "800 000 100", "+39800000100", "800 000 100"),
        ("ES", "900 000 100", "+34900000100", "900 000 100"),
        ("CH", "0800 000 100", "+41800000100", "0800 000 100"),
        ("NL", "0800 000 0100", "+318000000100", "0800 0000100"),
        ("SE", "070-174 06 05", "+46701740605", "070-174 06 05"),
        ("JP", "0120-099-818", "+81120099818", "0120-099-818"),
        ("CN", "400-820-9088", "+864008209088", "400 820 9088"),
        ("HK", "800-966-618", "+852800966618", "800 966 618"),
        ("TW", "0800-006-188", "+886800006188", "080 000 6188"),
        ("KR", "080-000-0100", "+82800000100", "080-000-0100"),
        ("IN", "1800 103 3000", "+9118001033000", "1800 103 3000"),
        ("SG", "800-181-2272", "+658001812272", "800 181 2272"),
        ("AU", "1800 160 401", "+611800160401", "1800 160 401"),
        ("AU", "02 5550 0101", "+61255500101", "(02) 5550 0101"),
        ("NZ", "0800 228 588", "+64800228588", "0800 228 588"),
        ("MX", "800 000 0100", "+528000000100", "800 000 0100"),
        ("BR", "0800 891 2323", "+558008912323", "0800 891 2323"),
        ("AR", "0800-555-0123", "+548005550123", "0800-555-0123"),
        ("ZA", "0800 98 5000", "+27800985000", "080 098 5000"),
        ("SA", "800 844 1000", "+9668008441000", "800 844 1000"),
        ("AE", "800 044 4400", "+9718000444400", "800 0444400"),
    ];
    for (country, written, expected, display) in cases {
        let number = E164::parse(written, cc(country)).unwrap_or_else(|e| panic!("{written}: {e}"));
        assert_eq!(number.as_str(), expected, "{country} {written}");
        assert_eq!(number.national(), display, "{country} {written}");
        assert_eq!(number.region(), cc(country), "{country} {written}");
        // The international form reads back to the same number from anywhere.
        assert_eq!(e164(number.international_format(), None), expected);
        assert_eq!(e164(number.international_format(), cc("JP")), expected);
    }
}

#[test]
fn unusable_input_says_why() {
    let cases: &[(&str, Option<&str>, PhoneError)] = &[
        ("", None, PhoneError::Empty),
        ("   ", None, PhoneError::Empty),
        ("call me", None, PhoneError::NoDigits),
        ("AXP-EARN", Some("US"), PhoneError::NoDigits),
        ("12", Some("US"), PhoneError::TooShort { digits: 2 }),
        (
            "+1 212 555 0100 #5",
            None,
            PhoneError::UnexpectedCharacter('#'),
        ),
        ("212@555", Some("US"), PhoneError::UnexpectedCharacter('@')),
        ("1+212 555 0100", None, PhoneError::MisplacedPlus),
        ("0800 151 0900", None, PhoneError::NeedsCountry),
        (
            "+999 1234 5678",
            None,
            PhoneError::UnknownCountryCode("999".into()),
        ),
        (
            "555-0100",
            Some("US"),
            PhoneError::Invalid {
                place: "in US".into(),
                why: InvalidReason::TooShort {
                    digits: 7,
                    shortest: 10,
                },
            },
        ),
        (
            "01-800-005-2221",
            Some("MX"),
            PhoneError::Invalid {
                place: "in MX".into(),
                why: InvalidReason::TooLong {
                    digits: 12,
                    longest: 10,
                },
            },
        ),
        (
            "+44 20 7946 01000",
            None,
            PhoneError::Invalid {
                place: "for +44 (GB)".into(),
                why: InvalidReason::TooLong {
                    digits: 11,
                    longest: 10,
                },
            },
        ),
    ];
    for (input, region, expected) in cases {
        assert_eq!(
            E164::parse(input, region.and_then(cc)).as_ref().err(),
            Some(expected),
            "{input:?}"
        );
    }
    let messages = [
        (E164::parse("0800 151 0900", None), "no country code"),
        (
            E164::parse("555-0100", cc("US")),
            "not a valid number in US: too short (7 digits",
        ),
        (
            E164::parse("01-800-005-2221", cc("MX")),
            "too long (12 digits after the country code",
        ),
        (
            E164::parse("+1 212 055 0100", None),
            "no numbers there start with these digits",
        ),
    ];
    for (result, expected) in messages {
        let message = result.unwrap_err().to_string();
        assert!(message.contains(expected), "{message}");
    }
}

#[test]
fn errors_never_repeat_a_card_number() {
    let digits = format!("4{}", "1".repeat(15));
    let error = E164::parse(&digits, cc("US")).unwrap_err();
    let message = error.to_string();
    assert!(!message.contains(&digits) && !format!("{error:?}").contains(&digits));
    assert!(message.contains("card number"), "{message}");
}

#[test]
fn serde_holds_the_e164_text_and_validates_it() {
    let number = E164::parse("020 7946 0100", cc("GB")).unwrap();
    assert_eq!(serde_json::to_string(&number).unwrap(), "\"+442079460100\"");
    let back: E164 = serde_json::from_str("\"+442079460100\"").unwrap();
    assert_eq!(back, number);
    assert_eq!(back.national(), "020 7946 0100");
    assert!(serde_json::from_str::<E164>("\"02079460100\"").is_err());
    assert!(serde_json::from_str::<E164>("\"+44207946\"").is_err());
}

proptest! {
    #[test]
    fn any_text_is_read_or_refused_without_panicking(input in "\\PC{0,40}", region in prop::sample::select(vec!["US", "GB", "JP", "DE"])) {
        let _ = E164::parse(&input, cc(region));
        let _ = E164::parse(&input, None);
    }

    #[test]
    fn punctuation_does_not_change_the_number(
        parts in prop::sample::select(vec![vec!["212", "555", "0100"], vec!["1", "212", "555", "0100"]]),
        separators in prop::collection::vec(prop::sample::select(vec![" ", "-", ".", " - ", "/", ""]), 4),
        bracket in any::<bool>(),
    ) {
        let mut text = String::new();
        for (i, part) in parts.iter().enumerate() {
            let part = if bracket && *part == "212" { "(212)".to_owned() } else { (*part).to_owned() };
            text.push_str(&part);
            if i + 1 < parts.len() {
                text.push_str(separators[i]);
            }
        }
        prop_assert_eq!(e164(&text, cc("US")), "+12125550100");
    }
}
