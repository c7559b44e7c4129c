//! Helpline's IVR (product §5): call flows as data files with message catalogs, a validator
//! that points at the line of each problem, a transport-neutral interpreter (a pure state
//! machine the TwiML webhooks and a SIP adapter both drive), and the TwiML dialect.
//!
//! The edge loop, per caller event (a webhook, a SIP digit):
//! load the [`CallState`], call [`Flow::handle`] (or [`Flow::start`] for a new call), and while
//! the output is [`Output::Perform`] carry out the effect and hand back [`Event::Done`]; then
//! persist the state and answer the caller with the [`Reply`] ([`twiml::render`]).
//! The fraud challenge call (`Flow::start_challenge`) speaks from the same catalogs.

pub mod bench;
mod call;
mod card_number;
mod catalog;
mod challenge;
pub mod demo;
mod flow;
mod hours;
mod interpreter;
pub mod keys;
mod load;
mod problem;
pub mod sim;
mod speech;
pub mod twiml;

pub use call::{
    CallContext, CardRef, Cause, Choice, DeliveryWindow, Destination, Effect, EffectRequest,
    EffectResult, Event, Factor, FactorAnswer, FactorCheck, Gather, Handoff, Identity, Loss,
    NewCall, Outcome, Output, Payment, Priority, Prompt, Question, Reply, Said, Secret, Segment,
    Shipping, Then, VerificationLevel,
};
pub use catalog::{CatalogSource, Catalogs, catalog_language, spell};
pub use challenge::{ChallengeAnswer, ChallengeCall, ChallengeOutput, HeldPayment, Recorded};
pub use flow::NodeType;
pub use interpreter::CallState;
pub use load::{Flow, FlowSource, validate};
pub use problem::{Problem, ProblemKind};
