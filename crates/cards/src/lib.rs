//! Cards, card data and identity verification (product §2): pure decisions.
//!
//! - [`card`]: the lifecycle state machine and [`can_authorize`], the check fraud monitoring runs.
//! - [`pan`], [`pin`], [`secrets`]: card numbers, security codes and PINs, and the keyed
//!   hashing and encryption that keep them out of storage in clear.
//! - [`replacement`], [`contact`], [`transactions`]: replacement orders with delivery windows,
//!   contact changes with notices to the old contact, history filters and spending alerts.
//! - [`dispute`], [`rewards`], [`verification`]: disputes with deadlines, the points ledger,
//!   identity verification with step-up and lockout.
//! - [`demo`]: deterministic demo cards; [`bench`]: figures for `helpline bench`.
//!
//! Nothing here reads the clock, draws randomness of its own or does I/O: `now`, RNGs and
//! keys are passed in; changes come back as new values plus [`Event`]s for the outbox.

pub mod bench;
pub mod card;
pub mod contact;
pub mod demo;
pub mod dispute;
pub mod events;
pub mod pan;
pub mod pin;
pub mod replacement;
pub mod rewards;
pub mod secrets;
mod time;
pub mod transactions;
pub mod verification;

#[cfg(test)]
mod lifecycle_props;
#[cfg(test)]
mod test_rng;

/// The RNG traits the crypto functions take; the edge passes
/// `rand_core::UnwrapErr(getrandom::SysRng)` (getrandom 0.4, feature `sys_rng`).
pub use rand_core;

pub use card::{
    Activation, ActivationError, Actor, Blocker, Card, CardAction, CardState, Expiry,
    LifecycleError, Loss, Refusal, ReplacementLink, Transition, can_authorize,
};
pub use contact::{
    ContactChange, ContactDetails, Email, NoticeTarget, PhoneNumber, change_contact,
};
pub use demo::{DemoCard, demo_card};
pub use dispute::{Dispute, DisputeFiling, DisputePolicy, check_document, file_dispute};
pub use events::Event;
pub use pan::{Last4, Pan, PanError, PanLayout, SecurityCode};
pub use pin::{Pin, PinError};
pub use replacement::{
    Address, AddressFields, BusinessCalendar, DeliveryWindow, Destination, ReplacementOrder,
    ReplacementRequest, ShippingFees, ShippingOption, delivery_window, order_replacement,
};
pub use rewards::{
    Applied, IdempotencyKey, LedgerState, RewardsCommand, RewardsProgram, RewardsRequest, apply,
};
pub use secrets::{EncryptedPan, KeyId, Keys, PanLookup, PinHash, PinHashParams, SecurityCodeHash};
pub use transactions::{
    AlertSettings, Transaction, TransactionFilter, TransactionQuery, spending_alerts,
};
pub use verification::{Action, Answers, Level, OnFile, VerificationPolicy, VerificationSession};
