//! Journey 7: a secure message becomes a formal complaint escalated to the supervisor; the
//! deadlines are the configured ones; the message is sealed at rest.

use journeys::formal_complaint;
use server::testkit::TestApp;

#[tokio::test]
async fn a_secure_message_escalated_as_a_formal_complaint_has_its_deadlines_tracked() {
    let app = TestApp::spawn().await;
    let mut tour = crate::tour(&app);
    let outcome = formal_complaint::run(&mut tour)
        .await
        .unwrap_or_else(|e| panic!("{e:#}\nsteps: {:#?}", tour.steps()));

    let case = app
        .store
        .case_by_reference(outcome.case_reference.parse().unwrap())
        .await
        .unwrap()
        .expect("the case");
    let complaint = case.complaint.clone().expect("a formal complaint");
    assert!(complaint.acknowledged_at.is_some(), "{complaint:?}");
    assert!(complaint.final_response_at.is_none());
    let supervisor = app
        .store
        .user_by_email("supervisor@example.com")
        .await
        .unwrap()
        .unwrap();
    let escalation = case.open_escalation().expect("escalated");
    assert_eq!(escalation.to, Some(supervisor.id));
    let holder = app
        .store
        .cardholder_by_email(&outcome.cardholder_email)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(case.cardholder, Some(holder.id));

    // The deadlines shown are the configured ones, counted from when it was raised.
    let sla = case.sla(&app.state.settings.cases.sla, app.state.clock.now());
    let ack = sla.complaint_acknowledgement.expect("tracked");
    let final_response = sla.complaint_final_response.expect("tracked");
    assert_eq!(ack.due.to_string(), outcome.acknowledgement_due);
    assert_eq!(final_response.due.to_string(), outcome.final_response_due);
    let rules = &app.state.settings.cases.complaint;
    assert_eq!(
        (ack.due, final_response.due),
        (complaint.acknowledge_by, complaint.final_response_by)
    );
    // Whole days in the calendar's zone (a clock change may add or take an hour).
    let days = |d: jiff::Timestamp| (d.duration_since(complaint.raised_at).as_hours() + 12) / 24;
    assert_eq!(
        days(final_response.due),
        i64::from(rules.final_response_days)
    );
    assert!(
        days(ack.due) >= i64::from(rules.acknowledge_business_days),
        "{} business days is at least as many calendar days",
        rules.acknowledge_business_days
    );
    assert!(!ack.breached && !final_response.breached);

    // The steps are in the outbox, and the cardholder was written to about the complaint.
    let topics: Vec<String> = app
        .store
        .events_for_subject(&format!("case:{}", case.id))
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.topic)
        .collect();
    for topic in [
        "case.complaint_raised",
        "case.escalated",
        "case.complaint_acknowledged",
    ] {
        assert!(topics.iter().any(|t| t == topic), "{topic} in {topics:?}");
    }

    // The message body is sealed: not in the SQLite files (PostgreSQL keeps its files elsewhere).
    if let Some(files) = app.sqlite_files() {
        assert!(!files.is_empty(), "the database files were read");
        for (path, bytes) in files {
            for marker in [outcome.body_marker.as_str(), "annual fee twice"] {
                assert!(
                    !bytes.windows(marker.len()).any(|w| w == marker.as_bytes()),
                    "{marker} is readable in {}",
                    path.display()
                );
            }
        }
    }
    app.stop().await;
}
