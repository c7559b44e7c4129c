//! Automatic contact distribution (product §4): which agent answers which call, chat, message or
//! callback, and when.
//!
//! The [`Engine`] is pure: the edge passes every fact (an agent's presence, a contact arriving,
//! an accept) with the current time, and gets back the [`Event`]s to act on (show an offer, take
//! one back, announce a wait, suggest a callback). [`Policy`] holds the tunable rules;
//! [`Engine::figures`] the live service-level figures; [`simulate`] runs a day of synthetic
//! traffic through the real engine; [`erlang`] gives the textbook answer to compare with;
//! [`bench`](mod@bench) measures decision latency at contact-centre scale.

pub mod bench;
mod engine;
pub mod erlang;
mod error;
mod event;
mod figures;
mod index;
mod model;
mod policy;
pub mod simulate;

pub use engine::{
    AgentRecord, AgentStatus, ContactPhase, ContactRecord, ContactStatus, Engine, EngineState,
    RecordedStatus, SliceCounters,
};
pub use error::RoutingError;
pub use event::{Event, EventKind, Withdrawal};
pub use figures::{
    Counters, Figures, FiguresSnapshot, HubFigures, KindFigures, QueueFigures, Slice, TierFigures,
};
pub use model::{
    AgentProfile, Availability, Capacity, ContactKind, Hub, Medium, NewContact, Presence, Priority,
    Proficiency, QueueKey, Reach,
};
pub use policy::{
    AgentOrder, AnswerTargets, Day, HandleTimeEstimate, HubHours, Policy, PolicyError, Relaxation,
};
