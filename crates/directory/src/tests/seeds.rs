use std::path::PathBuf;
use std::sync::OnceLock;

use super::provenance;
use crate::import::{Import, import_file};
use crate::{ConflictReport, Coverage, E164, Entry, ServiceLine, Status};

/// The shared seed articles: `$HELPLINE_SHARED_DATA/../seeds`, else `shared/seeds` next to the
/// workspace or next to the folder of worktrees it is in.
fn seed(name: &str) -> Vec<u8> {
    let workspace = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let shared = std::env::var_os("HELPLINE_SHARED_DATA")
        .map(|data| PathBuf::from(data).join(".."))
        .unwrap_or_else(|| {
            let beside = workspace.join("../shared");
            if beside.join("seeds").is_dir() {
                beside
            } else {
                workspace.join("../../shared")
            }
        });
    let path = shared.join("seeds").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Both seeds imported as two sources, once for all tests.
fn import_seeds() -> &'static (Import, Import) {
    static IMPORTS: OnceLock<(Import, Import)> = OnceLock::new();
    IMPORTS.get_or_init(|| {
        let a = import_file(&provenance("seed-000"), &seed("000_f55749a21ae9218b.txt")).unwrap();
        let b = import_file(&provenance("seed-001"), &seed("001_7f265ee942515205.txt")).unwrap();
        (a, b)
    })
}

fn numbers(entries: &[Entry], source: &str, coverage: &str, service: ServiceLine) -> Vec<String> {
    let coverage = Coverage::parse(coverage).unwrap();
    let mut found: Vec<String> = entries
        .iter()
        .filter(|e| e.provenance.source == source && e.coverage == coverage && e.service == service)
        .map(|e| e.number.to_string())
        .collect();
    found.sort();
    found
}

#[test]
fn the_seed_articles_are_read_as_third_party_listings() {
    let (a, b) = import_seeds();
    let all: Vec<Entry> = a.entries.iter().chain(&b.entries).cloned().collect();
    assert!(all.iter().all(|e| e.status == Status::ThirdParty));
    // (source, coverage, service, numbers)
    let expected: &[(&str, &str, ServiceLine, &[&str])] = &[
        ("seed-000", "US", ServiceLine::General, &["+18005284800"]),
        ("seed-000", "US", ServiceLine::Business, &["+18004729297"]),
        ("seed-000", "US", ServiceLine::Fraud, &["+18002979407"]),
        ("seed-000", "US", ServiceLine::Travel, &["+18005258888"]),
        ("seed-000", "CA", ServiceLine::General, &["+18002274669"]),
        ("seed-000", "CA", ServiceLine::Travel, &["+18003384422"]),
        ("seed-000", "GB", ServiceLine::General, &["+448001510900"]),
        (
            "seed-000",
            "AU",
            ServiceLine::General,
            &["+611800026288", "+61292572000"],
        ),
        ("seed-000", "JP", ServiceLine::General, &["+81120099818"]),
        (
            "seed-000",
            "SG",
            ServiceLine::General,
            &["+6565108888", "+658001812272"],
        ),
        ("seed-000", "DE", ServiceLine::General, &["+442072641777"]),
        ("seed-000", "HK", ServiceLine::General, &["+852800966618"]),
        (
            "seed-000",
            "global",
            ServiceLine::General,
            &["+16027855000"],
        ),
        ("seed-001", "US", ServiceLine::General, &["+18005282122"]),
        // "activate your card by calling … the general customer service number, often 1-800-419-2122"
        ("seed-001", "US", ServiceLine::Activation, &["+18004192122"]),
        ("seed-001", "US", ServiceLine::LostStolen, &["+18005284800"]),
        (
            "seed-001",
            "US",
            ServiceLine::Fraud,
            &["+18005284800", "+18556932213"],
        ),
        ("seed-001", "US", ServiceLine::Rewards, &["+18002973276"]),
        (
            "seed-001",
            "US",
            ServiceLine::Roadside,
            &["+16306949750", "+18553271403"],
        ),
        ("seed-001", "US", ServiceLine::Travel, &["+18002972977"]),
        (
            "seed-001",
            "global",
            ServiceLine::InternationalCollect,
            &["+16234925450"],
        ),
    ];
    for (source, coverage, service, want) in expected {
        assert_eq!(
            numbers(&all, source, coverage, *service),
            *want,
            "{source} {coverage} {service}"
        );
    }
    let japan = a
        .entries
        .iter()
        .find(|e| e.number.as_str() == "+81120099818")
        .unwrap();
    assert_eq!(japan.languages, [domain::Lang::En, domain::Lang::Ja]);
    assert_eq!(japan.hours, Some(crate::Hours::Always));
    assert!(japan.toll_free);
    let collect = b
        .entries
        .iter()
        .find(|e| e.number.as_str() == "+16306949750")
        .unwrap();
    assert!(collect.collect, "the roadside line marked (collect)");
    // The fax number and the postcode are not phone lines.
    assert!(!all.iter().any(|e| e.number.as_str() == "+18003871193"));
}

#[test]
fn importing_both_seeds_reports_where_they_disagree() {
    let (a, b) = import_seeds();
    let mut entries = a.entries.clone();
    entries.extend(b.entries.clone());
    let rejected: Vec<_> = a.rejected.iter().chain(&b.rejected).cloned().collect();
    let report = ConflictReport::new(&entries, &rejected);

    let between = |coverage: &str, service: ServiceLine| {
        let coverage = Coverage::parse(coverage).unwrap();
        report
            .disagreements_between_sources
            .iter()
            .find(|d| d.coverage == coverage && d.service == service)
            .map(|d| {
                d.by_source
                    .iter()
                    .map(|s| {
                        (
                            s.source.as_str(),
                            s.numbers.iter().map(E164::to_string).collect::<Vec<_>>(),
                        )
                    })
                    .collect::<Vec<_>>()
            })
    };
    assert_eq!(
        between("US", ServiceLine::General),
        Some(vec![
            ("seed-000", vec!["+18005284800".to_owned()]),
            ("seed-001", vec!["+18005282122".to_owned()]),
        ])
    );
    assert_eq!(
        between("US", ServiceLine::Fraud),
        Some(vec![
            ("seed-000", vec!["+18002979407".to_owned()]),
            (
                "seed-001",
                vec!["+18005284800".to_owned(), "+18556932213".to_owned()]
            ),
        ])
    );
    assert!(between("US", ServiceLine::Travel).is_some());
    assert!(between("US", ServiceLine::Business).is_some());

    let shared: Vec<(String, Vec<ServiceLine>)> = report
        .numbers_for_several_services
        .iter()
        .map(|s| {
            (
                s.number.to_string(),
                s.listings.iter().map(|l| l.service).collect(),
            )
        })
        .collect();
    assert!(
        shared
            .iter()
            .any(|(number, services)| number == "+18005284800"
                && services.contains(&ServiceLine::LostStolen)
                && services.contains(&ServiceLine::Fraud)
                && services.contains(&ServiceLine::General)),
        "{shared:?}"
    );
    assert!(
        shared.iter().any(|(number, _)| number == "+18005282122"),
        "{shared:?}"
    );

    let unreadable: Vec<(&str, &str)> = report
        .rejected
        .iter()
        .map(|r| (r.number.as_str(), r.reason.as_str()))
        .collect();
    assert!(
        unreadable
            .iter()
            .any(|(n, why)| *n == "01-800-005-2221" && why.contains("not a valid number in MX")),
        "{unreadable:?}"
    );
    assert!(
        unreadable.iter().any(|(n, _)| *n == "00798-800-1111"),
        "{unreadable:?}"
    );
    assert!(
        unreadable
            .iter()
            .any(|(n, why)| *n == "+44 20 7264 1777" && why.contains("Europe")),
        "{unreadable:?}"
    );
    assert!(
        report
            .rejected
            .iter()
            .all(|r| !r.text.is_empty() && r.line > 0)
    );

    let printed = report.to_string();
    assert!(
        printed.contains(
            "US fraud: seed-000: +1 800-297-9407 | seed-001: +1 800-528-4800, +1 855-693-2213"
        ),
        "{printed}"
    );
}

#[test]
fn seed_listings_disagree_with_the_official_demo_directory_and_never_become_official() {
    let (a, _) = import_seeds();
    let mut entries = super::demo_entries();
    entries.extend(a.entries.clone());
    let report = ConflictReport::new(&entries, &[]);
    let us_general = report
        .disagreements_with_official
        .iter()
        .find(|d| d.coverage == Coverage::parse("US").unwrap() && d.service == ServiceLine::General)
        .unwrap();
    assert_eq!(us_general.listed.as_str(), "+18005284800");
    assert!(
        us_general
            .official
            .iter()
            .any(|n| n.as_str() == "+12125550100")
    );
    // The check says what it is: listed by a third party only.
    let directory = crate::Directory::new(entries);
    let answer = directory.check("1-800-528-4800", None).unwrap();
    assert_eq!(answer.status, crate::CheckStatus::ThirdParty);
}
