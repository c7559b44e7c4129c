//! Directory rows: entries upsert by their key without ever downgrading an official row, scam
//! reports are moderated once, and an approval adds its `reported_scam` entry in the same
//! transaction.

use ::directory::report::{Decision, ReportStatus};
use ::directory::{E164, Entry, Status};
use domain::{Clock, FakeClock};

use crate::*;

fn official(number: &str) -> Entry {
    let mut entry = ::directory::demo::entries()
        .into_iter()
        .next()
        .expect("the demo directory has entries");
    entry.number = number.parse().expect("valid number");
    entry
}

pub(super) async fn entries_and_scam_reports(store: &dyn Store, clock: &FakeClock) {
    let now = clock.now();
    let demo = ::directory::demo::entries();
    let counts = store
        .upsert_directory_entries(&demo, now, Effects::none())
        .await
        .expect("store the demo directory");
    assert_eq!(counts.inserted, demo.len() as u64);
    let again = store
        .upsert_directory_entries(&demo, now, Effects::none())
        .await
        .expect("store it again");
    assert_eq!(
        (again.inserted, again.updated),
        (0, demo.len() as u64),
        "the same entries update their rows"
    );
    let stored = store.directory_entries().await.expect("entries");
    assert_eq!(stored.len(), demo.len());
    let mut round_trip: Vec<Entry> = stored.iter().map(|s| s.entry.clone()).collect();
    let mut expected = demo.clone();
    round_trip.sort_by_key(Entry::key);
    expected.sort_by_key(Entry::key);
    assert_eq!(round_trip, expected, "entries come back as they went in");

    // A third-party entry with an official row's key never replaces it.
    let mut hearsay = demo[0].clone();
    hearsay.status = Status::ThirdParty;
    hearsay.notes = "from a blog".to_owned();
    let kept = store
        .upsert_directory_entries(std::slice::from_ref(&hearsay), now, Effects::none())
        .await
        .expect("upsert hearsay");
    assert_eq!(kept.kept_official, 1);
    let first = stored
        .iter()
        .find(|s| s.entry.key() == demo[0].key())
        .expect("first entry stored");
    let row = store
        .directory_entry(first.id)
        .await
        .expect("by id")
        .expect("found");
    assert_eq!(row.entry.status, Status::Official);

    // Edit and delete by id; a key clash is a conflict.
    let mut edited = row.entry.clone();
    edited.notes = "Edited by an admin".to_owned();
    store
        .update_directory_entry(row.id, &edited, now, Effects::none())
        .await
        .expect("edit");
    assert_eq!(
        store
            .directory_entry(row.id)
            .await
            .expect("by id")
            .expect("found")
            .entry
            .notes,
        "Edited by an admin"
    );
    let other = stored
        .iter()
        .find(|s| s.id != row.id)
        .expect("a second entry");
    let err = store
        .update_directory_entry(other.id, &edited, now, Effects::none())
        .await
        .expect_err("key clash");
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
    let err = store
        .update_directory_entry(uuid::Uuid::now_v7(), &edited, now, Effects::none())
        .await
        .expect_err("unknown id");
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    let extra = official("+12025550177");
    store
        .upsert_directory_entries(std::slice::from_ref(&extra), now, Effects::none())
        .await
        .expect("extra");
    let extra_id = store
        .directory_entries()
        .await
        .expect("entries")
        .into_iter()
        .find(|s| s.entry.key() == extra.key())
        .expect("extra stored")
        .id;
    let audit = AuditRecord {
        at: now,
        actor: "user:admin".to_owned(),
        action: "directory.entry.delete".to_owned(),
        subject: format!("directory_entry:{extra_id}"),
        ip: "127.0.0.1".to_owned(),
        request_id: "req-dir".to_owned(),
        detail: serde_json::json!({}),
    };
    store
        .delete_directory_entry(extra_id, Effects::none().audit(audit))
        .await
        .expect("delete");
    assert!(
        store
            .directory_entry(extra_id)
            .await
            .expect("by id")
            .is_none()
    );
    assert_eq!(
        store
            .audit_for_subject(&format!("directory_entry:{extra_id}"), Page::default())
            .await
            .expect("audit")
            .len(),
        1,
        "the audit row is written with the change"
    );

    // Scam reports: moderated once; an approval adds the reported_scam entry.
    let number: E164 = "+442079460123".parse().expect("number");
    let report = ScamReport {
        id: uuid::Uuid::now_v7(),
        number: number.clone(),
        description: "Said my card was blocked and asked for the code".to_owned(),
        reporter: "cardholder:test".to_owned(),
        status: ReportStatus::Pending,
        created_at: now,
        moderation: None,
    };
    store
        .insert_scam_report(&report, Effects::none())
        .await
        .expect("report");
    let rejected = ScamReport {
        id: uuid::Uuid::now_v7(),
        created_at: now + jiff::SignedDuration::from_secs(1),
        ..report.clone()
    };
    store
        .insert_scam_report(&rejected, Effects::none())
        .await
        .expect("second report");
    let pending = store
        .scam_reports(Some(ReportStatus::Pending), Page::default())
        .await
        .expect("pending");
    assert_eq!(
        pending.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![rejected.id, report.id],
        "newest first"
    );
    let moderation = Moderation {
        decision: Decision::Approve,
        by: "user:admin".to_owned(),
        at: now,
        note: "Three reports this week".to_owned(),
        entry_id: None,
    };
    let scam = Entry::reported_scam(
        number.clone(),
        report.description.clone(),
        "user:admin".to_owned(),
        now,
    );
    let approved = store
        .moderate_scam_report(report.id, &moderation, Some(&scam), Effects::none())
        .await
        .expect("approve");
    assert_eq!(approved.status, ReportStatus::Approved);
    let entry_id = approved
        .moderation
        .as_ref()
        .and_then(|m| m.entry_id)
        .expect("an entry was added");
    assert_eq!(
        store
            .directory_entry(entry_id)
            .await
            .expect("by id")
            .expect("the scam entry")
            .entry
            .status,
        Status::ReportedScam
    );
    assert_eq!(
        store.scam_report(report.id).await.expect("by id"),
        Some(approved.clone())
    );
    let err = store
        .moderate_scam_report(report.id, &moderation, Some(&scam), Effects::none())
        .await
        .expect_err("moderated twice");
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
    let reject = Moderation {
        decision: Decision::Reject,
        ..moderation.clone()
    };
    let done = store
        .moderate_scam_report(rejected.id, &reject, None, Effects::none())
        .await
        .expect("reject");
    assert_eq!(done.status, ReportStatus::Rejected);
    assert!(
        store
            .scam_reports(Some(ReportStatus::Pending), Page::default())
            .await
            .expect("pending")
            .is_empty()
    );
    assert_eq!(
        store
            .scam_reports(None, Page::default())
            .await
            .expect("all")
            .len(),
        2
    );
    let err = store
        .moderate_scam_report(uuid::Uuid::now_v7(), &reject, None, Effects::none())
        .await
        .expect_err("unknown report");
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
}
