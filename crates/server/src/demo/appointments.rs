//! The demo's appointments: a few premium cardholders have booked visits a week ahead at each
//! centre, so a centre's day and their portal page are not empty. Booked through the same rules
//! (and the same unique seats) as any booking; later cardholders only, so that tests which book
//! for the first premium cardholders start from a clean slate.

use cases::appointments::{Appointment, AppointmentStatus, Booker};
use domain::Timestamp;
use jiff::SignedDuration;
use store::{Effects, Store, StoredAppointment};

use super::{DEMO_CARDHOLDERS, demo_cardholder, demo_tier};
use crate::api::appointments::CATALOGUE;

/// Demo cardholders from this index on may have demo appointments.
const FIRST: usize = 200;

pub async fn seed(store: &dyn Store, now: Timestamp) -> anyhow::Result<usize> {
    let rules = &CATALOGUE.rules;
    let eligible =
        (FIRST..DEMO_CARDHOLDERS).filter(|i| rules.check_eligible(demo_tier(*i)).is_ok());
    let mut booked = 0;
    for (n, i) in eligible.take(6).enumerate() {
        let email = demo_cardholder(i, "", None, now)?.email;
        let Some(cardholder) = store.cardholder_by_email(&email).await? else {
            continue;
        };
        let centre = &CATALOGUE.centres[n % CATALOGUE.centres.len()];
        // A week ahead, the first open day from then, the (n+3)-th slot of the day.
        let mut day = centre
            .zone
            .to_datetime(now + SignedDuration::from_hours(24 * 7))
            .date();
        let mut slots = Vec::new();
        for _ in 0..7 {
            slots = centre.slots(day, day)?;
            if !slots.is_empty() {
                break;
            }
            day = day.tomorrow()?;
        }
        let Some(slot) = slots.get(3 + n) else {
            continue;
        };
        let taken = store.taken_slot_keys(&centre.id, slot.start).await?;
        let (slot, key) = rules.book(
            centre,
            cardholder.tier,
            slot.start,
            &taken,
            now,
            Booker::Agent,
        )?;
        let appointment = StoredAppointment {
            id: uuid::Uuid::now_v7(),
            appointment: Appointment {
                key,
                centre: centre.id.clone(),
                cardholder: cardholder.id,
                case: None,
                start: slot.start,
                end: slot.end,
                status: AppointmentStatus::Booked,
                booked_at: now,
            },
            booked_by: Booker::Agent,
            booked_actor: "system".to_owned(),
            cancelled_at: None,
            cancelled_by: None,
            replaces: None,
        };
        store
            .insert_appointment(&appointment, Effects::none())
            .await?;
        booked += 1;
    }
    Ok(booked)
}
