//! Notifications (product §3): what the notifications sender handed to a provider, one row per
//! (outbox event, channel, recipient). The row is written before the provider is called and
//! updated after, so an event the dispatcher hands out again is not sent twice on a channel.

use async_trait::async_trait;
use domain::{CardholderId, Timestamp};
use serde::Serialize;

use crate::error::StoreResult;
use crate::model::Page;

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Handed to the provider; no answer recorded (a crash in between leaves it so).
    Sending,
    Sent,
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Sending => "sending",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "sending" => Some(DeliveryStatus::Sending),
            "sent" => Some(DeliveryStatus::Sent),
            "failed" => Some(DeliveryStatus::Failed),
            _ => None,
        }
    }
}

/// One notification on one channel to one recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    pub event_id: i64,
    /// `sms`, `push` or `email`.
    pub channel: String,
    pub recipient: String,
    pub cardholder_id: Option<CardholderId>,
    pub provider: String,
    pub template: String,
    pub status: DeliveryStatus,
    /// Provider calls made, this one included.
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub sent_at: Option<Timestamp>,
}

/// What the sender is about to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryAttempt<'a> {
    pub event_id: i64,
    pub channel: &'a str,
    pub recipient: &'a str,
    pub cardholder_id: Option<CardholderId>,
    pub provider: &'a str,
    pub template: &'a str,
}

#[async_trait]
pub trait NotificationStore: Send + Sync {
    /// Records an attempt before the provider is called. `None` when this (event, channel,
    /// recipient) was already sent: the caller must not send it again. Otherwise the row, now
    /// `Sending` with one more attempt.
    async fn begin_delivery(
        &self,
        attempt: &DeliveryAttempt<'_>,
        at: Timestamp,
    ) -> StoreResult<Option<Delivery>>;
    /// Records the provider's answer: `Ok(())` sent, `Err(reason)` failed.
    async fn finish_delivery(
        &self,
        event_id: i64,
        channel: &str,
        recipient: &str,
        outcome: Result<(), &str>,
        at: Timestamp,
    ) -> StoreResult<()>;
    /// A cardholder's notifications, newest first.
    async fn deliveries_for_cardholder(
        &self,
        cardholder: CardholderId,
        page: Page,
    ) -> StoreResult<Vec<Delivery>>;
    /// One event's deliveries, by channel then recipient.
    async fn deliveries_for_event(&self, event_id: i64) -> StoreResult<Vec<Delivery>>;
}
