//! Helpline's shared vocabulary. No I/O; the only clock is the one passed in.

mod clock;
mod country;
mod id;
mod lang;
mod money;
mod vocab;

pub use clock::{Clock, FakeClock, SystemClock};
pub use country::Country;
pub use id::{
    AccountId, AgentId, CardId, CardholderId, CaseId, ContactId, ConversationId, DecisionId,
    DisputeId, MessageId, UserId,
};
pub use lang::Lang;
pub use money::{Currency, Money, MoneyError};
pub use vocab::{Channel, Department, ParseError, Reason, Role, Tier};

/// Re-exported so that every crate names instants the same way.
pub use jiff::Timestamp;
