//! Journey 8 on a fake clock (Tuesday 3 March 2026, 09:00 in New York): activation with a PIN
//! by phone, a rewards transfer after step-up, an address change whose notice goes to the old
//! contact, and an appointment, each checked in the store.

use journeys::everyday_self_service;

#[tokio::test]
async fn a_cardholder_activates_transfers_moves_and_books_by_themselves() {
    let (app, _) = crate::app_at("2026-03-03T14:00:00Z").await;
    let mut tour = crate::tour(&app);
    let outcome = everyday_self_service::run(&mut tour)
        .await
        .unwrap_or_else(|e| panic!("{e:#}\nsteps: {:#?}", tour.steps()));
    let holder_id: domain::CardholderId = outcome.cardholder_id.parse().unwrap();

    // The new card is active with a PIN on file (a hash, not the PIN).
    let card = app
        .store
        .card_by_id(outcome.card_id.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(
        matches!(card.card.state, cards::CardState::Active { .. }),
        "{:?}",
        card.card.state
    );
    let pin = card.pin_hash.expect("a PIN is set");
    assert!(!format!("{pin:?}").contains("4826"));
    let row = app.store.ivr_call(&outcome.call).await.unwrap().unwrap();
    assert!(
        !row.state.contains("4826"),
        "the PIN is not in the call state"
    );

    // The points moved once.
    let account = outcome.account_id.parse().unwrap();
    assert_eq!(
        app.store.rewards_ledger_sum(account).await.unwrap(),
        outcome.balance_after
    );
    assert_eq!(outcome.balance_before - outcome.balance_after, 1_000);

    // The address changed; the notice went to the old address and the email on file.
    let holder = app
        .store
        .cardholder_by_id(holder_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(holder.address.lines[0], outcome.new_address_line);
    let changed = app
        .store
        .events_for_subject(&format!("cardholder:{holder_id}"))
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.topic == "cardholder.contact_changed")
        .expect("the change is in the outbox");
    let notify = changed.payload["notify"].as_array().unwrap();
    assert_eq!(notify[0]["by"], "letter");
    assert_ne!(
        notify[0]["to"]["lines"][0].as_str(),
        Some(outcome.new_address_line.as_str())
    );
    assert!(
        notify
            .iter()
            .any(|n| n["by"] == "email" && n["to"] == holder.email.as_str()),
        "{notify:?}"
    );
    crate::eventually("the notice is sent to the email on file", async || {
        app.store
            .deliveries_for_cardholder(holder_id, store::Page::default())
            .await
            .unwrap()
            .iter()
            .any(|d| d.template == "contact-changed-address" && d.recipient == holder.email)
    })
    .await;

    // The appointment is booked for them.
    let booked = app
        .store
        .appointment_by_id(outcome.appointment_id.parse().unwrap())
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(booked.appointment.cardholder, holder_id);
    assert!(booked.cancelled_at.is_none());
    assert_eq!(booked.booked_actor, format!("cardholder:{holder_id}"));
    app.stop().await;
}
