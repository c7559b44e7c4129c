//! Appointments at service centres (product §3). The rules live in `cases::appointments`; the
//! store keeps each booked seat's [`SlotKey`] unique, so two requests can never hold the same
//! seat: the second insert fails with `Conflict` and the caller retries with fresh taken keys.
//!
//! Reminders are outbox events with a due time (`NewEvent::due_at`) on the subject
//! [`appointment_subject`] and topic [`REMINDER_TOPIC`]: cancelling or moving an appointment
//! deletes its undelivered reminders in the same transaction, so no stale reminder is sent.

use ::cases::appointments::{Appointment, Booker, CentreId, SlotKey};
use async_trait::async_trait;
use domain::{CardholderId, Timestamp};

use crate::error::StoreResult;
use crate::model::{Effects, Page};

/// The outbox topic of appointment reminders.
pub const REMINDER_TOPIC: &str = "appointment.reminder";

/// The outbox and audit subject of an appointment.
pub fn appointment_subject(id: uuid::Uuid) -> String {
    format!("appointment:{id}")
}

/// An appointment as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAppointment {
    pub id: uuid::Uuid,
    pub appointment: Appointment,
    /// Whether the cardholder or an agent booked it.
    pub booked_by: Booker,
    /// The principal who booked it: `cardholder:<id>`, `staff:<id>`, `token:<id>`.
    pub booked_actor: String,
    pub cancelled_at: Option<Timestamp>,
    pub cancelled_by: Option<String>,
    /// The appointment this one replaced when it was rescheduled.
    pub replaces: Option<uuid::Uuid>,
}

/// Who cancels (or moves) an appointment, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cancellation {
    pub at: Timestamp,
    /// `cardholder:<id>`, `staff:<id>`, `token:<id>`.
    pub by: String,
}

#[async_trait]
pub trait AppointmentStore: Send + Sync {
    /// Books a seat. Fails with `Conflict` when its slot key is already booked.
    async fn insert_appointment(
        &self,
        appointment: &StoredAppointment,
        effects: Effects,
    ) -> StoreResult<()>;
    /// The keys of the booked seats of the slot starting at `start`.
    async fn taken_slot_keys(
        &self,
        centre: &CentreId,
        start: Timestamp,
    ) -> StoreResult<Vec<SlotKey>>;
    /// How many seats are booked per slot start, for slots starting in `[from, to)`.
    async fn booked_counts(
        &self,
        centre: &CentreId,
        from: Timestamp,
        to: Timestamp,
    ) -> StoreResult<Vec<(Timestamp, u32)>>;
    async fn appointment_by_id(&self, id: uuid::Uuid) -> StoreResult<Option<StoredAppointment>>;
    /// A cardholder's appointments (booked and cancelled), latest start first.
    async fn appointments_for_cardholder(
        &self,
        cardholder: CardholderId,
        page: Page,
    ) -> StoreResult<Vec<StoredAppointment>>;
    /// A centre's appointments (booked and cancelled) starting in `[from, to)`, by start.
    async fn appointments_for_centre(
        &self,
        centre: &CentreId,
        from: Timestamp,
        to: Timestamp,
    ) -> StoreResult<Vec<StoredAppointment>>;
    /// Cancels a booked appointment and deletes its undelivered reminders. `NotFound` for an
    /// unknown id, `Conflict` when it is no longer booked.
    async fn cancel_appointment(
        &self,
        id: uuid::Uuid,
        cancellation: &Cancellation,
        effects: Effects,
    ) -> StoreResult<StoredAppointment>;
    /// Cancels `old` and books `new` in one transaction: either both happen or neither.
    /// `Conflict` when `new`'s seat is taken or `old` is no longer booked.
    async fn reschedule_appointment(
        &self,
        old: uuid::Uuid,
        cancellation: &Cancellation,
        new: &StoredAppointment,
        effects: Effects,
    ) -> StoreResult<()>;
}
