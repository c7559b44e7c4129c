//! Cases and channels (product §3): the pure decisions behind cases, conversations and the
//! channels that feed them. No I/O and no clock: every function takes `now` and returns new
//! state plus the events the edge stores (timeline + outbox) in one transaction.
//!
//! - [`mod@reference`]: case numbers a person can read aloud, with a check character.
//! - [`case`]: the case lifecycle, its timeline events, merge, complaints, follow-ups, survey.
//! - [`sla`]: targets per channel and tier, clocks that pause while waiting on the customer.
//! - [`conversation`]: messages with per-conversation sequence numbers, resume, receipts.
//! - [`redact`]: the filter every public social-media reply goes through.
//! - [`email`]: threading inbound mail into cases, ignoring auto-replies and bounces.
//! - [`appointments`]: service centres, slots, booking rules.
//! - [`attachment`]: type-by-content and size checks for uploads.

pub mod appointments;
pub mod attachment;
pub mod bench;
pub mod calendar;
pub mod case;
pub mod conversation;
pub mod email;
pub mod redact;
pub mod reference;
pub mod rules;
pub mod sla;

pub use case::{
    Actor, Case, CaseCommand, CaseError, CaseEvent, CaseEventKind, CaseSla, Context, NewCase,
    Priority, Status,
};
pub use conversation::{Conversation, ConversationChannel, Draft, Message};
pub use reference::{CaseRef, ReferenceError};
pub use rules::CaseRules;
