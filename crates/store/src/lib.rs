//! Helpline's storage. The server sees only the [`Store`] traits; [`SqlStore`] implements them
//! over SQLite (the embedded default) or PostgreSQL, chosen by the database URL.
//!
//! Every mutation takes [`Effects`]: the outbox events and audit rows it writes in the same
//! transaction, so an event exists exactly when its change does.

mod appointments;
mod cards;
pub mod cases;
pub mod channels;
#[cfg(feature = "testing")]
pub mod conformance;
mod directory;
mod error;
mod fraud;
mod ivr;
mod model;
pub mod notifications;
mod routing;
mod sql;
mod traits;

pub use self::appointments::{
    AppointmentStore, Cancellation, REMINDER_TOPIC, StoredAppointment, appointment_subject,
};
pub use self::cards::{
    CardAccount, CardRecord, CardStore, CardUpdate, ContactUpdate, Replacement, StoredDocument,
    card_event,
};
pub use self::directory::{DirectoryStore, Moderation, ScamReport, StoredEntry, UpsertCounts};
pub use self::fraud::{
    AlertStatus, FraudAlert, FraudBatch, FraudDecisionRecord, FraudLabel, FraudStore,
};
pub use self::ivr::{IvrCall, IvrStore};
pub use self::notifications::{Delivery, DeliveryAttempt, DeliveryStatus, NotificationStore};
pub use self::routing::{RoutingChanges, RoutingFigures, RoutingStore};
pub use error::{StoreError, StoreResult};
pub use model::*;
pub use sql::{ConnectOptions, SqlStore, redact_url};
pub use traits::*;
