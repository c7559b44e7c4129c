//! Appointments: a booked seat is unique (also under concurrent inserts), cancelling and
//! rescheduling are atomic and retire undelivered reminders, reminders wait for their due time.

use std::sync::Arc;

use ::cases::appointments::{
    Appointment, AppointmentStatus, Booker, CentreId, SlotKey, demo_centres,
};
use domain::{CardholderId, Clock, FakeClock, Timestamp};
use jiff::SignedDuration;

use super::sample_cardholder;
use crate::*;

fn ts(s: &str) -> Timestamp {
    s.parse().expect("instant")
}

fn booking(
    cardholder: CardholderId,
    start: Timestamp,
    seat: u8,
    now: Timestamp,
) -> StoredAppointment {
    let nyc = demo_centres()
        .into_iter()
        .find(|c| c.id.as_str() == "nyc")
        .expect("nyc");
    let slot = nyc.slot_at(start).expect("a slot");
    StoredAppointment {
        id: uuid::Uuid::now_v7(),
        appointment: Appointment {
            key: slot.key(seat),
            centre: nyc.id.clone(),
            cardholder,
            case: None,
            start: slot.start,
            end: slot.end,
            status: AppointmentStatus::Booked,
            booked_at: now,
        },
        booked_by: Booker::Cardholder,
        booked_actor: format!("cardholder:{cardholder}"),
        cancelled_at: None,
        cancelled_by: None,
        replaces: None,
    }
}

fn reminder(id: uuid::Uuid, due: Timestamp) -> NewEvent {
    NewEvent::new(
        REMINDER_TOPIC,
        appointment_subject(id),
        serde_json::json!({"due": due}),
    )
    .due_at(due)
}

async fn reminders(store: &dyn Store, id: uuid::Uuid) -> usize {
    store
        .events_for_subject(&appointment_subject(id))
        .await
        .expect("events")
        .iter()
        .filter(|e| e.topic == REMINDER_TOPIC && e.delivered_at.is_none())
        .count()
}

pub(super) async fn seats_are_unique_and_changes_retire_reminders(
    store: Arc<dyn Store>,
    clock: &FakeClock,
) {
    let now = clock.now();
    let ada = sample_cardholder("appointments@example.test", "Booker", now);
    store
        .insert_cardholder(&ada, Effects::none())
        .await
        .expect("cardholder");
    let nyc = CentreId::parse("nyc").expect("nyc");
    // Monday 2026-03-02 09:00 and 09:30 in New York (EST).
    let (nine, half_past) = (ts("2026-03-02T14:00:00Z"), ts("2026-03-02T14:30:00Z"));

    let first = booking(ada.id, nine, 1, now);
    let due = ts("2026-03-01T14:00:00Z");
    store
        .insert_appointment(
            &first,
            Effects::none()
                .event(NewEvent::new(
                    "appointment.booked",
                    appointment_subject(first.id),
                    serde_json::json!({}),
                ))
                .event(reminder(first.id, due)),
        )
        .await
        .expect("book seat 1");
    assert_eq!(
        store.appointment_by_id(first.id).await.expect("by id"),
        Some(first.clone())
    );
    // The reminder is not handed out before it is due.
    let claimed = store
        .claim_due_events(now, SignedDuration::from_secs(30), 1000)
        .await
        .expect("claim");
    assert!(
        claimed
            .iter()
            .all(|e| e.subject != appointment_subject(first.id) || e.topic != REMINDER_TOPIC),
        "a reminder due later was claimed now"
    );
    assert!(
        claimed
            .iter()
            .any(|e| e.subject == appointment_subject(first.id)),
        "the confirmation is due at once"
    );
    for e in &claimed {
        store.mark_event_delivered(e.id, now).await.expect("ack");
    }
    assert_eq!(reminders(&*store, first.id).await, 1);

    // The same seat again: Conflict, and nothing written.
    let mut again = booking(ada.id, nine, 1, now);
    again.booked_actor = "staff:x".to_owned();
    let err = store
        .insert_appointment(&again, Effects::none().event(reminder(again.id, due)))
        .await
        .expect_err("same seat twice");
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
    assert_eq!(store.appointment_by_id(again.id).await.expect("get"), None);
    assert_eq!(reminders(&*store, again.id).await, 0);
    assert_eq!(
        store.taken_slot_keys(&nyc, nine).await.expect("taken"),
        vec![first.appointment.key.clone()]
    );

    // Concurrent bookings of one seat: exactly one wins.
    let attempts: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            let b = booking(ada.id, nine, 2, now);
            tokio::spawn(async move { store.insert_appointment(&b, Effects::none()).await })
        })
        .collect();
    let mut won = 0;
    for attempt in attempts {
        match attempt.await.expect("join") {
            Ok(()) => won += 1,
            Err(StoreError::Conflict { .. }) => {}
            Err(other) => panic!("unexpected error {other:?}"),
        }
    }
    assert_eq!(won, 1, "exactly one concurrent insert of a seat wins");
    let taken = store.taken_slot_keys(&nyc, nine).await.expect("taken");
    assert_eq!(taken.len(), 2);
    assert_eq!(
        store
            .booked_counts(&nyc, nine, half_past)
            .await
            .expect("counts"),
        vec![(nine, 2)]
    );

    // Reschedule onto a taken seat: nothing changes, the reminder stays.
    let taken_seat = booking(ada.id, nine, 2, now);
    let by = Cancellation {
        at: now,
        by: format!("cardholder:{}", ada.id),
    };
    let err = store
        .reschedule_appointment(first.id, &by, &taken_seat, Effects::none())
        .await
        .expect_err("seat taken");
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
    let unchanged = store
        .appointment_by_id(first.id)
        .await
        .expect("get")
        .expect("still there");
    assert_eq!(unchanged.appointment.status, AppointmentStatus::Booked);
    assert_eq!(reminders(&*store, first.id).await, 1);

    // Reschedule to 09:30: the old one is cancelled, its reminder retired, the new one booked.
    let mut moved = booking(ada.id, half_past, 1, now);
    moved.replaces = Some(first.id);
    store
        .reschedule_appointment(
            first.id,
            &by,
            &moved,
            Effects::none().event(reminder(moved.id, due)),
        )
        .await
        .expect("reschedule");
    let old = store
        .appointment_by_id(first.id)
        .await
        .expect("get")
        .expect("old");
    assert_eq!(old.appointment.status, AppointmentStatus::Cancelled);
    assert_eq!(old.cancelled_at, Some(now));
    assert_eq!(old.cancelled_by.as_deref(), Some(by.by.as_str()));
    assert_eq!(reminders(&*store, first.id).await, 0);
    assert_eq!(reminders(&*store, moved.id).await, 1);
    assert_eq!(
        store
            .taken_slot_keys(&nyc, nine)
            .await
            .expect("taken")
            .len(),
        1
    );
    // The freed seat can be booked again.
    let rebook = booking(ada.id, nine, 1, now);
    store
        .insert_appointment(&rebook, Effects::none())
        .await
        .expect("freed seat");

    // Cancel: reminders retired; cancelling twice is a Conflict; unknown ids are NotFound.
    let cancelled = store
        .cancel_appointment(moved.id, &by, Effects::none())
        .await
        .expect("cancel");
    assert_eq!(cancelled.appointment.status, AppointmentStatus::Cancelled);
    assert_eq!(reminders(&*store, moved.id).await, 0);
    let err = store
        .cancel_appointment(moved.id, &by, Effects::none())
        .await
        .expect_err("twice");
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
    let err = store
        .cancel_appointment(uuid::Uuid::now_v7(), &by, Effects::none())
        .await
        .expect_err("unknown");
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");

    // Listings.
    let mine = store
        .appointments_for_cardholder(ada.id, Page::default())
        .await
        .expect("mine");
    assert_eq!(mine.len(), 4);
    assert_eq!(mine[0].id, moved.id, "latest start first");
    let day = store
        .appointments_for_centre(&nyc, ts("2026-03-02T05:00:00Z"), ts("2026-03-03T05:00:00Z"))
        .await
        .expect("day");
    assert_eq!(day.len(), 4);
    assert!(
        day.windows(2)
            .all(|w| w[0].appointment.start <= w[1].appointment.start)
    );
    assert_eq!(
        day.iter()
            .filter(|a| a.appointment.status == AppointmentStatus::Booked)
            .map(|a| a.appointment.key.clone())
            .collect::<Vec<SlotKey>>()
            .len(),
        2
    );
    assert!(
        store
            .appointments_for_centre(&CentreId::parse("la").expect("la"), nine, half_past)
            .await
            .expect("la")
            .is_empty()
    );
}
