use std::collections::BTreeSet;

use domain::{Country, Tier};

use super::provenance;
use crate::import::official_from_csv;
use crate::{Coverage, Hours, ServiceLine, Status, demo};

#[test]
fn every_demo_row_becomes_a_valid_official_entry() {
    let import = official_from_csv(&provenance(demo::SOURCE), demo::csv().as_bytes()).unwrap();
    assert_eq!(import.rejected, []);
    let rows = demo::csv()
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .count();
    assert_eq!(
        demo::entries().len(),
        rows - 1,
        "one entry per row, none merged away"
    );
    for entry in super::demo_entries() {
        assert_eq!(entry.status, Status::Official);
        assert_eq!(entry.provenance.source, demo::SOURCE);
        assert!(entry.hours.is_some(), "{:?} has hours", entry.number);
        // Numbers read back from their stored form, and lines of a country use its numbers.
        assert_eq!(
            entry.number.as_str().parse::<crate::E164>().unwrap(),
            entry.number
        );
        if let Coverage::Country(country) = entry.coverage {
            assert_eq!(entry.number.region(), Some(country), "{:?}", entry.number);
        }
        if let Some(Hours::Weekly { zone, .. }) = &entry.hours {
            assert!(zone.time_zone().iana_name().is_some(), "{zone}");
        }
    }
}

#[test]
fn the_demo_covers_twenty_countries_several_lines_and_tiers() {
    let entries = super::demo_entries();
    let countries: BTreeSet<Country> = entries
        .iter()
        .filter_map(|e| e.coverage.country())
        .collect();
    assert!(countries.len() >= 20, "{} countries", countries.len());
    let services: BTreeSet<ServiceLine> = entries.iter().map(|e| e.service).collect();
    assert!(services.len() >= 8, "{services:?}");
    let tiers: BTreeSet<Tier> = entries
        .iter()
        .flat_map(|e| e.tiers.iter().copied())
        .collect();
    assert!(tiers.len() >= 3, "{tiers:?}");
    let collect: Vec<_> = entries
        .iter()
        .filter(|e| {
            e.service == ServiceLine::InternationalCollect && e.coverage == Coverage::Global
        })
        .collect();
    assert_eq!(collect.len(), 1);
    assert!(collect[0].collect && collect[0].hours == Some(Hours::Always));
}

#[test]
fn japan_has_a_general_line_and_no_lost_card_line_open_at_night() {
    let japan = Coverage::Country(Country::parse("JP").unwrap());
    let entries: Vec<_> = super::demo_entries()
        .into_iter()
        .filter(|e| e.coverage == japan)
        .collect();
    assert!(entries.iter().any(|e| e.service == ServiceLine::General));
    // Every night of a week, 23:00 to 07:00 Tokyo time, checked every half hour.
    let monday_23h = super::at("2026-05-11T14:00:00Z");
    for night in 0..7 {
        for half_hour in 0..=16 {
            let instant =
                monday_23h + jiff::SignedDuration::from_mins(night * 24 * 60 + half_hour * 30);
            for entry in entries
                .iter()
                .filter(|e| matches!(e.service, ServiceLine::LostStolen | ServiceLine::Fraud))
            {
                assert!(
                    !entry.hours.as_ref().unwrap().open_now(instant),
                    "{:?} open at {instant}",
                    entry.number
                );
            }
        }
    }
}

#[test]
fn demo_numbers_are_in_the_fiction_ranges_where_a_country_has_one() {
    for entry in super::demo_entries() {
        let national = entry.number.national().to_owned();
        let in_range = match entry
            .number
            .region()
            .map(|c| c.code().to_owned())
            .as_deref()
        {
            Some("US" | "CA") => entry.number.as_str()[5..].starts_with("55501"),
            Some("GB") => national.starts_with("0808 157 0") || national.starts_with("020 7946 0"),
            Some("AU") => national == "1800 160 401" || national.starts_with("(02) 5550 "),
            Some("SE") => entry.number.as_str().starts_with("+467017406"),
            Some("FR") => national.starts_with("01 99 00 "),
            _ => entry.number.digits().contains("000"),
        };
        assert!(in_range, "{:?} ({national})", entry.number);
    }
}
