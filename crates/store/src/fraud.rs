//! Fraud monitoring (product §6): the record of every authorization decision, the alerts that
//! wait for the cardholder's answer or an analyst, and a snapshot of the engine's learned state.
//! The server writes decisions in batches (group commit) and rebuilds the engine from the
//! snapshot and the decisions after it when it starts.

use async_trait::async_trait;
use domain::{CardholderId, Timestamp};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::StoreResult;
use crate::model::Effects;

/// One authorization decision as stored. No card number: only the card's id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FraudDecisionRecord {
    pub id: Uuid,
    pub card_id: Option<String>,
    pub cardholder_id: Option<CardholderId>,
    /// The authorization's time.
    pub at: Timestamp,
    pub decided_at: Timestamp,
    pub amount_minor: i64,
    pub currency: String,
    /// `{"id","name","mcc","country","city","lat","lon"}`.
    pub merchant: serde_json::Value,
    pub card_present: bool,
    /// approve | challenge | decline.
    pub verdict: String,
    pub score: f64,
    /// `[{"signal","points","reason"}]`.
    pub reasons: serde_json::Value,
    /// The engine's feature vector, handed back with the truth.
    pub features: serde_json::Value,
    pub stand_in: bool,
    pub label: Option<FraudLabel>,
}

/// The truth about a decision, once known.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FraudLabel {
    /// fraud | genuine.
    pub label: String,
    /// challenge | dispute | analyst | chargeback.
    pub source: String,
    pub at: Timestamp,
}

/// Where an alert stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    /// Waiting for the cardholder's "was this you?" answer until `answer_by`.
    Challenged,
    /// In the analysts' queue.
    Open,
    ConfirmedFraud,
    Genuine,
}

impl AlertStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertStatus::Challenged => "challenged",
            AlertStatus::Open => "open",
            AlertStatus::ConfirmedFraud => "confirmed_fraud",
            AlertStatus::Genuine => "genuine",
        }
    }

    pub fn is_resolved(self) -> bool {
        matches!(self, AlertStatus::ConfirmedFraud | AlertStatus::Genuine)
    }
}

impl std::str::FromStr for AlertStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "challenged" => AlertStatus::Challenged,
            "open" => AlertStatus::Open,
            "confirmed_fraud" => AlertStatus::ConfirmedFraud,
            "genuine" => AlertStatus::Genuine,
            other => return Err(format!("unknown fraud alert status {other:?}")),
        })
    }
}

/// A decision that needs a person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FraudAlert {
    pub id: Uuid,
    pub decision_id: Uuid,
    pub card_id: Option<String>,
    pub cardholder_id: Option<CardholderId>,
    pub status: AlertStatus,
    pub opened_at: Timestamp,
    pub answer_by: Option<Timestamp>,
    pub resolved_at: Option<Timestamp>,
    /// sms | portal | ivr | analyst:<user id> | timeout.
    pub resolved_by: Option<String>,
    pub note: Option<String>,
}

/// A batch of decisions and the alerts they opened, written in one transaction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FraudBatch {
    pub decisions: Vec<FraudDecisionRecord>,
    pub alerts: Vec<FraudAlert>,
}

#[async_trait]
pub trait FraudStore: Send + Sync {
    /// Writes a batch of decisions, their alerts and effects in one transaction (group commit).
    async fn record_fraud_batch(&self, batch: &FraudBatch, effects: Effects) -> StoreResult<()>;
    async fn fraud_decision(&self, id: Uuid) -> StoreResult<FraudDecisionRecord>;
    /// A card's latest decisions, newest first.
    async fn card_fraud_decisions(
        &self,
        card_id: &str,
        limit: u32,
    ) -> StoreResult<Vec<FraudDecisionRecord>>;
    /// A cardholder's latest decisions, newest first.
    async fn cardholder_fraud_decisions(
        &self,
        cardholder: CardholderId,
        limit: u32,
    ) -> StoreResult<Vec<FraudDecisionRecord>>;
    /// Decisions made after `(decided_at, id)` in that order, for rebuilding the engine.
    async fn fraud_decisions_after(
        &self,
        after: Option<(Timestamp, Uuid)>,
        limit: u32,
    ) -> StoreResult<Vec<FraudDecisionRecord>>;
    /// Records the truth about a decision (the last word wins).
    async fn label_fraud_decision(
        &self,
        id: Uuid,
        label: &FraudLabel,
        effects: Effects,
    ) -> StoreResult<()>;
    async fn fraud_alert(&self, id: Uuid) -> StoreResult<FraudAlert>;
    /// Alerts in these states, oldest first.
    async fn fraud_alerts(
        &self,
        statuses: &[AlertStatus],
        limit: u32,
    ) -> StoreResult<Vec<FraudAlert>>;
    /// The card's alerts still waiting for its cardholder's answer, oldest first.
    async fn challenged_fraud_alerts_for_cardholder(
        &self,
        cardholder: CardholderId,
    ) -> StoreResult<Vec<FraudAlert>>;
    /// Writes `alert` if its stored status is still `expected`; `Conflict` otherwise (someone
    /// else answered first).
    async fn update_fraud_alert(
        &self,
        alert: &FraudAlert,
        expected: AlertStatus,
        effects: Effects,
    ) -> StoreResult<()>;
    async fn save_fraud_snapshot(&self, at: Timestamp, state: &str) -> StoreResult<()>;
    async fn fraud_snapshot(&self) -> StoreResult<Option<(Timestamp, String)>>;
}
