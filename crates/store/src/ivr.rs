//! IVR (product §5): the call sessions that let a phone call survive a server restart.
//! The state is the `ivr` interpreter's `CallState` as JSON; this crate keeps it opaque.

use async_trait::async_trait;
use domain::Timestamp;

use crate::error::StoreResult;
use crate::model::Effects;

/// One call the IVR is answering (or answered).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IvrCall {
    /// The provider's id (TwiML `CallSid`).
    pub call_sid: String,
    pub flow_id: String,
    /// The interpreter's state, JSON.
    pub state: String,
    /// 1 when inserted; each update stores `version + 1`.
    pub version: i64,
    pub started_at: Timestamp,
    pub updated_at: Timestamp,
    pub ended_at: Option<Timestamp>,
    /// The provider's final `CallStatus`.
    pub end_status: Option<String>,
}

#[async_trait]
pub trait IvrStore: Send + Sync {
    /// Fails with `Conflict` when a call with this sid exists.
    async fn insert_ivr_call(&self, call: &IvrCall, effects: Effects) -> StoreResult<()>;
    async fn ivr_call(&self, call_sid: &str) -> StoreResult<Option<IvrCall>>;
    /// Stores `call.state` as version `call.version`, if the stored version is `call.version - 1`
    /// and the call has not ended: otherwise `Conflict` (someone else moved the call on) or
    /// `NotFound`.
    async fn update_ivr_call(&self, call: &IvrCall, effects: Effects) -> StoreResult<()>;
    /// Marks the call ended; `false` when it is unknown or had already ended.
    async fn end_ivr_call(
        &self,
        call_sid: &str,
        status: &str,
        at: Timestamp,
        effects: Effects,
    ) -> StoreResult<bool>;
    /// How many calls have not ended.
    async fn count_active_ivr_calls(&self) -> StoreResult<u64>;
}
