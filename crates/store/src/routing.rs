//! Routing (product §4): the rows that let the routing engine survive a restart. The server
//! keeps them current from the engine's events (each touched agent's and contact's row, and the
//! counters), and rebuilds the engine from [`RoutingStore::routing_state`] when it starts.

use ::routing::{AgentRecord, ContactRecord, EngineState, Medium, QueueKey, SliceCounters};
use async_trait::async_trait;
use domain::{ContactId, Timestamp};

use crate::error::StoreResult;
use crate::model::Effects;

/// What one routing operation changed, written in one transaction with its effects.
#[derive(Debug, Clone, PartialEq)]
pub struct RoutingChanges {
    pub at: Timestamp,
    /// Agents whose skills or presence changed (whole rows).
    pub agents: Vec<AgentRecord>,
    /// Contacts that entered routing or changed (whole rows).
    pub contacts: Vec<ContactRecord>,
    /// Contacts that left routing (completed or abandoned).
    pub finished: Vec<ContactId>,
    /// The counters after the change; `None` leaves the stored ones.
    pub figures: Option<RoutingFigures>,
}

/// The engine's cumulative counters and learned handle times.
#[derive(Debug, Clone, PartialEq)]
pub struct RoutingFigures {
    pub since: Timestamp,
    pub counters: Vec<SliceCounters>,
    pub handle_times: Vec<(Medium, QueueKey, f64)>,
}

#[async_trait]
pub trait RoutingStore: Send + Sync {
    /// Everything needed to rebuild the engine, as of `now`.
    async fn routing_state(&self, now: Timestamp) -> StoreResult<EngineState>;
    /// Writes the changed rows (an agent's row must name a staff user).
    async fn save_routing_changes(
        &self,
        changes: &RoutingChanges,
        effects: Effects,
    ) -> StoreResult<()>;
}
