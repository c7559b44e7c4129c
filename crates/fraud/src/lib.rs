//! Real-time card fraud engine (product §6): per-card behavioural profiles kept in memory,
//! configurable signals with human-readable reasons, a learned additive model, and a decision
//! (approve, challenge, decline) for every authorization. Pure: no I/O, no clock; time comes from
//! the authorizations and outcomes themselves.
//!
//! Also here: the replay of a labelled CSV file through the same engine ([`replay`]), the
//! handbook's evaluation metrics ([`eval`]) and benchmark helpers ([`bench`]).

pub mod bench;
mod config;
mod engine;
pub mod eval;
mod features;
mod geo;
mod index;
mod mcc;
mod model;
mod profile;
pub mod replay;
mod rules;
mod types;

pub use config::{Config, ConfigError, DEFAULT_TOML};
pub use engine::{Engine, EngineError, EngineState, EngineStats};
pub use features::{Feature, Features, N_FEATURES, WrongFeatureCount};
pub use geo::{BadCoordinates, GeoPoint};
pub use mcc::{BadMcc, Category, Mcc};
pub use model::ModelSummary;
pub use profile::{CardProfile, MerchantProfile};
pub use types::{
    Authorization, CardKey, CardStatus, Decision, Label, Merchant, Outcome, OutcomeSource, Reason,
    Signal, SignalKind, Verdict,
};
