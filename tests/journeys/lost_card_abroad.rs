//! Journey 1 at night in Tokyo: the lookup gives the global collect line, the call reports the
//! card stolen with global delivery to a hotel, and the store has the blocked card, the order,
//! the case, the SMS and the declined authorization.

/// Monday 5 January 2026, 22:00 in Tokyo: Japan's lost-card line (09:00–21:00) is closed.
const TOKYO_NIGHT: &str = "2026-01-05T13:00:00Z";

#[tokio::test]
async fn lost_card_abroad() {
    let (app, clock) = crate::app_at(TOKYO_NIGHT).await;
    let mut tour = crate::tour(&app);
    let outcome = journeys::lost_card_abroad::run(&mut tour)
        .await
        .unwrap_or_else(|e| panic!("{e:#}\nsteps: {:#?}", tour.steps()));
    let steps = format!("{:?}", tour.steps());
    assert!(steps.contains("global collect line"), "{steps}");
    let now = domain::Clock::now(&*clock);

    // Blocked at once, stolen, with a replacement for the same cardholder.
    let (old, _) = crate::stolen_and_replaced(&app, &outcome.card).await;
    let card = old.card.id;
    assert!(cards::can_authorize(&old.card, now).is_err());
    assert_eq!(outcome.cardholder, old.card.cardholder_id.to_string());

    // Global delivery to the hotel in Tokyo, 24 to 72 hours from now.
    let order = app
        .store
        .replacement_order(card)
        .await
        .unwrap()
        .expect("a replacement order");
    assert_eq!(order.shipping, cards::ShippingOption::Global);
    let cards::DeliveryWindow::Hours { earliest, latest } = order.window else {
        panic!("a window in hours: {:?}", order.window);
    };
    assert_eq!(earliest, now + jiff::SignedDuration::from_hours(24));
    assert_eq!(latest, now + jiff::SignedDuration::from_hours(72));
    assert_eq!(order.place, cards::replacement::PlaceKind::Hotel);
    assert!(!order.to_address_on_file);
    let address = format!("{:?}", order.address);
    assert!(
        address.contains("Tokyo") && address.contains("Marunouchi"),
        "{address}"
    );

    // The case under the reference the caller heard.
    let case = app
        .store
        .case_by_reference(outcome.case_reference.parse().unwrap())
        .await
        .unwrap()
        .expect("a case under the reference the caller heard");
    assert_eq!(case.reason, domain::Reason::LostStolen);
    assert_eq!(case.cardholder, Some(old.card.cardholder_id));

    // The SMS confirmation, to the mobile on file, without the card number.
    let holder = app
        .store
        .cardholder_by_id(old.card.cardholder_id)
        .await
        .unwrap()
        .unwrap();
    let sent = app
        .store
        .deliveries_for_cardholder(holder.id, store::Page::default())
        .await
        .unwrap();
    let sms = sent
        .iter()
        .find(|d| d.channel == "sms" && d.template == "card-reported")
        .unwrap_or_else(|| panic!("an SMS confirmation: {sent:?}"));
    assert_eq!(Some(&sms.recipient), holder.phone.as_ref());

    // The authorization on the old card, declined for the card's status.
    let decision = app
        .store
        .fraud_decision(outcome.decision.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(decision.verdict, "decline");

    // The call never kept the card number.
    let call = app
        .store
        .ivr_call(&outcome.call_sid)
        .await
        .unwrap()
        .unwrap();
    let number = server::demo::cards::demo_card_of(0, 0).unwrap();
    assert!(!call.state.contains(number.pan.reveal()));
    app.stop().await;
}
