use domain::{Lang, Tier};

use super::provenance;
use crate::import::{ImportError, import_csv, import_file};
use crate::{Coverage, Hours, ServiceLine, Status};

const LISTINGS: &str = "\
# Listings copied from a travel site.
Country,Service,Number,Tiers,Languages,Hours,Time_Zone,Toll_Free,Collect,Notes
GB,lost_stolen,0808 157 0123,,English,24/7,,,,
United Kingdom,general,+44 20 7946 0123,platinum;centurion,en;fr,Mon-Fri 09:00-17:00,Europe/London,no,,office
JP,general,0120-000-123,,ja,,,,,
global,international_collect,+1 212 555 0150,,,24/7,,,,
US,lost,+1 212 555 0151,,,,,,,
US,general,555-0100,,,,,,,
US,general,+1 212 555 0152,diamond,,,,,,
US,general,+1 212 555 0153,,,Mon-Fri 09:00-17:00,,,,
GB,lost_stolen,0808 157 0123,,fr,,,,,repeated
";

#[test]
fn csv_rows_become_third_party_entries_and_bad_rows_are_reported() {
    let import = import_csv(&provenance("travel-site"), LISTINGS.as_bytes()).unwrap();
    assert!(
        import
            .entries
            .iter()
            .all(|e| e.status == Status::ThirdParty)
    );
    assert!(
        import
            .entries
            .iter()
            .all(|e| e.provenance.source == "travel-site")
    );
    let numbers: Vec<&str> = import.entries.iter().map(|e| e.number.as_str()).collect();
    assert_eq!(
        numbers,
        [
            "+448081570123",
            "+442079460123",
            "+81120000123",
            "+12125550150"
        ]
    );

    let lost = &import.entries[0];
    assert_eq!(
        (lost.service, lost.toll_free, lost.collect),
        (ServiceLine::LostStolen, true, false)
    );
    assert_eq!(
        lost.languages,
        [Lang::En, Lang::Fr],
        "the repeated row is merged"
    );
    assert_eq!(lost.notes, "repeated");
    let office = &import.entries[1];
    assert_eq!(office.coverage, Coverage::parse("GB").unwrap());
    assert_eq!(office.tiers, [Tier::Platinum, Tier::Centurion]);
    assert!(matches!(office.hours, Some(Hours::Weekly { .. })));
    assert!(!office.toll_free);
    assert_eq!(import.entries[2].hours, None);
    assert!(import.entries[3].collect && import.entries[3].coverage == Coverage::Global);

    let reasons: Vec<(u64, &str)> = import
        .rejected
        .iter()
        .map(|r| (r.line, r.reason.as_str()))
        .collect();
    assert_eq!(reasons.len(), 4, "{reasons:?}");
    assert!(
        reasons[0].1.contains("unknown service line \"lost\""),
        "{reasons:?}"
    );
    assert!(
        reasons[1].1.contains("not a valid number in US"),
        "{reasons:?}"
    );
    assert!(
        reasons[2].1.contains("unknown tier \"diamond\""),
        "{reasons:?}"
    );
    assert!(reasons[3].1.contains("need a time zone"), "{reasons:?}");
    assert_eq!(reasons[0].0, 7, "lines count from 1 and include comments");
    assert_eq!(import.rejected[1].number, "555-0100");
}

#[test]
fn a_bad_header_names_the_columns() {
    let missing =
        import_csv(&provenance("x"), "country,service\nUS,general\n".as_bytes()).unwrap_err();
    assert!(matches!(
        missing,
        ImportError::MissingColumn { missing: "number" }
    ));
    let unknown = import_csv(
        &provenance("x"),
        "country,service,number,phone\n".as_bytes(),
    )
    .unwrap_err();
    let message = unknown.to_string();
    assert!(
        message.contains("\"phone\"") && message.contains("time_zone"),
        "{message}"
    );
}

#[test]
fn files_are_told_apart_by_their_header() {
    let csv = import_file(&provenance("x"), LISTINGS.as_bytes()).unwrap();
    assert_eq!(csv.entries.len(), 4);
    let article = "Japan:\n0120-000-123 (Toll-free)\nJapanese support\n";
    let read = import_file(&provenance("x"), article.as_bytes()).unwrap();
    assert_eq!(read.entries.len(), 1);
    assert_eq!(read.entries[0].languages, [Lang::Ja]);
    assert!(matches!(
        import_file(&provenance("x"), &[0xff, 0xfe]),
        Err(ImportError::NotText(_))
    ));
}
