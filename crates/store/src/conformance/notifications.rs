//! Notification deliveries: a sent (event, channel, recipient) is never handed out again; a
//! failed one is, with its attempts counted; a cardholder's list is newest first.

use domain::{CardholderId, Clock, FakeClock};
use jiff::SignedDuration;

use crate::*;

fn attempt<'a>(
    event_id: i64,
    channel: &'a str,
    recipient: &'a str,
    holder: CardholderId,
) -> DeliveryAttempt<'a> {
    DeliveryAttempt {
        event_id,
        channel,
        recipient,
        cardholder_id: Some(holder),
        provider: "webhook",
        template: "fraud-challenge",
    }
}

pub async fn each_channel_is_sent_once(store: &dyn Store, clock: &FakeClock) {
    let holder = CardholderId::new();
    let sms = attempt(9001, "sms", "+12025550143", holder);
    let email = attempt(9001, "email", "ada@example.test", holder);

    let first = store
        .begin_delivery(&sms, clock.now())
        .await
        .expect("begin")
        .expect("new delivery");
    assert_eq!(first.status, DeliveryStatus::Sending);
    assert_eq!(first.attempts, 1);
    assert_eq!(first.cardholder_id, Some(holder));
    store
        .finish_delivery(9001, "sms", "+12025550143", Ok(()), clock.now())
        .await
        .expect("sent");
    assert!(
        store
            .begin_delivery(&sms, clock.now())
            .await
            .expect("begin again")
            .is_none(),
        "a sent delivery is not handed out again"
    );
    // Finishing it again (a late duplicate) leaves it sent.
    store
        .finish_delivery(9001, "sms", "+12025550143", Err("late"), clock.now())
        .await
        .expect("late finish");

    clock.advance(SignedDuration::from_secs(1));
    store
        .begin_delivery(&email, clock.now())
        .await
        .expect("begin")
        .expect("new");
    store
        .finish_delivery(
            9001,
            "email",
            "ada@example.test",
            Err("smtp: 451 try later"),
            clock.now(),
        )
        .await
        .expect("failed");
    let retry = store
        .begin_delivery(&email, clock.now())
        .await
        .expect("begin")
        .expect("a failed delivery is tried again");
    assert_eq!(retry.attempts, 2);
    assert_eq!(retry.status, DeliveryStatus::Sending);
    assert_eq!(retry.last_error.as_deref(), Some("smtp: 451 try later"));
    store
        .finish_delivery(9001, "email", "ada@example.test", Ok(()), clock.now())
        .await
        .expect("sent");

    let rows = store.deliveries_for_event(9001).await.expect("by event");
    assert_eq!(
        rows.iter()
            .map(|d| (d.channel.as_str(), d.status, d.attempts))
            .collect::<Vec<_>>(),
        [
            ("email", DeliveryStatus::Sent, 2),
            ("sms", DeliveryStatus::Sent, 1)
        ]
    );
    assert!(rows.iter().all(|d| d.sent_at.is_some()));
    assert_eq!(rows[1].last_error, None);

    let listed = store
        .deliveries_for_cardholder(holder, Page::default())
        .await
        .expect("by cardholder");
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].channel, "email", "newest first");
    assert!(
        store
            .deliveries_for_cardholder(CardholderId::new(), Page::default())
            .await
            .expect("other")
            .is_empty()
    );
    let err = store
        .finish_delivery(9002, "sms", "+1", Ok(()), clock.now())
        .await
        .expect_err("unknown delivery");
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
}
