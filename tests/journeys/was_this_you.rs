//! Journey 3: the challenged São Paulo authorization answered NO by SMS leaves a locked card,
//! a fraud case, a replacement and a zero-liability dispute; the genuine trip is approved.

use server::testkit::TestApp;

#[tokio::test]
async fn was_this_you() {
    let app = TestApp::spawn().await;
    let mut tour = crate::tour(&app);
    let outcome = journeys::was_this_you::run(&mut tour)
        .await
        .unwrap_or_else(|e| panic!("{e:#}\nsteps: {:#?}", tour.steps()));
    let holder: domain::CardholderId = outcome.cardholder.parse().unwrap();
    let card: domain::CardId = outcome.card.parse().unwrap();

    let challenged = app
        .store
        .fraud_decision(outcome.challenged_decision.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(challenged.verdict, "challenge");
    assert_eq!(challenged.label.unwrap().label, "fraud");

    // The card blocked and replaced, the fraud case, the dispute with zero liability.
    let (_, new) = crate::stolen_and_replaced(&app, &outcome.card).await;
    assert_eq!(new.card.cardholder_id, holder);
    let case = app
        .store
        .case_by_id(domain::CaseId(outcome.alert.parse().unwrap()))
        .await
        .unwrap()
        .expect("the fraud case");
    assert_eq!(case.reason, domain::Reason::Fraud);
    assert_eq!(case.cardholder, Some(holder));
    let disputes = app.store.disputes_for(holder).await.unwrap();
    assert_eq!(disputes.len(), 1, "{disputes:?}");
    assert!(disputes[0].fraud, "zero liability");
    assert_eq!(disputes[0].card_id, card);

    // The genuine trip: approved, no challenge, no alert.
    let genuine = app
        .store
        .fraud_decision(outcome.genuine_decision.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(genuine.verdict, "approve");
    let genuine_card = app
        .store
        .card_by_id(outcome.genuine_card.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(
        genuine_card.card.state,
        cards::CardState::Active { .. }
    ));
    app.stop().await;
}
