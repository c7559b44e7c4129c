//! Journey 4: a reported number confirmed by an admin checks as a reported scam (stored as an
//! entry with the report's provenance), and the seed articles' import reports the conflicts.

use server::testkit::TestApp;

#[tokio::test]
async fn scam_call() {
    let app = TestApp::spawn().await;
    let mut tour = crate::tour(&app);
    let outcome = journeys::scam_call::run(&mut tour)
        .await
        .unwrap_or_else(|e| panic!("{e:#}\nsteps: {:#?}", tour.steps()));
    let report = app
        .store
        .scam_report(outcome.report.parse().unwrap())
        .await
        .unwrap()
        .expect("the report");
    assert_eq!(report.number.as_str(), outcome.number);
    assert_eq!(report.status, directory::report::ReportStatus::Approved);
    let entries = app.store.directory_entries().await.unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e.entry.number.as_str() == outcome.number
                && e.entry.status == directory::Status::ReportedScam),
        "a reported-scam entry for {}",
        outcome.number
    );

    // Both seed articles imported as third-party entries of their sources; the second's
    // report names where the two disagree.
    assert_eq!(outcome.imports.len(), 2, "the seed articles were found");
    for (source, _, _) in &outcome.imports {
        assert!(
            entries.iter().any(|e| &e.entry.provenance.source == source
                && e.entry.status == directory::Status::ThirdParty),
            "third-party entries of {source}"
        );
    }
    let (_, _, second) = &outcome.imports[1];
    assert!(
        second.contains("US general: seed-000: +1 800-528-4800 | seed-001: +1 800-528-2122"),
        "{second}"
    );
    assert!(
        second.contains("US fraud: seed-000: +1 800-297-9407 | seed-001:"),
        "{second}"
    );

    // Only admins import; bad input is a problem that says why.
    let import = |token: String, body: serde_json::Value| {
        reqwest::Client::new()
            .post(format!("{}/api/v1/directory/imports", app.url))
            .bearer_auth(token)
            .json(&body)
            .send()
    };
    let agent = app.token(domain::Role::Agent).await;
    let refused = import(agent, serde_json::json!({"source": "x", "text": "a,b"}))
        .await
        .unwrap();
    assert_eq!(refused.status(), reqwest::StatusCode::FORBIDDEN);
    let admin = app.token(domain::Role::Admin).await;
    let official = entries
        .iter()
        .find(|e| e.entry.status == directory::Status::Official)
        .unwrap()
        .entry
        .provenance
        .source
        .clone();
    let bad = import(
        admin,
        serde_json::json!({"source": official, "text": "a,b"}),
    )
    .await
    .unwrap();
    assert_eq!(bad.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
    let problem: serde_json::Value = bad.json().await.unwrap();
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("is the source of official entries"),
        "{problem}"
    );
    app.stop().await;
}
