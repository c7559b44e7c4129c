//! The events the edge writes to the outbox in the same transaction as the change. None
//! carries a full card number or security code: cards appear by id and last four only.

use domain::{AccountId, CardId, CardholderId, Channel, DisputeId, Money, Timestamp};

use crate::card::{Actor, Loss};
use crate::contact::{ContactField, NoticeTarget};
use crate::dispute::{DisputeChange, Liability};
use crate::pan::Last4;
use crate::replacement::ReplacementOrder;
use crate::transactions::{AlertReason, TransactionRef};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type")]
pub enum Event {
    CardActivated {
        card_id: CardId,
        cardholder_id: CardholderId,
        last4: Last4,
        at: Timestamp,
    },
    CardLocked {
        card_id: CardId,
        cardholder_id: CardholderId,
        last4: Last4,
        by: Actor,
        at: Timestamp,
    },
    CardUnlocked {
        card_id: CardId,
        cardholder_id: CardholderId,
        last4: Last4,
        by: Actor,
        at: Timestamp,
    },
    /// Lost or stolen: the card is blocked from `at`. Fraud monitoring listens for this.
    CardReported {
        card_id: CardId,
        cardholder_id: CardholderId,
        last4: Last4,
        loss: Loss,
        by: Actor,
        at: Timestamp,
    },
    CardClosed {
        card_id: CardId,
        cardholder_id: CardholderId,
        last4: Last4,
        by: Actor,
        at: Timestamp,
    },
    /// To card production and to the cardholder (with the delivery window).
    ReplacementOrdered {
        card_id: CardId,
        cardholder_id: CardholderId,
        order: ReplacementOrder,
        at: Timestamp,
    },
    /// A notice to each of `notify`: the old value of the changed field first.
    ContactChanged {
        cardholder_id: CardholderId,
        field: ContactField,
        notify: Vec<NoticeTarget>,
        at: Timestamp,
    },
    SpendingAlert {
        card_id: CardId,
        transaction: TransactionRef,
        amount: Money,
        merchant: String,
        reason: AlertReason,
        at: Timestamp,
    },
    DisputeChanged {
        dispute_id: DisputeId,
        card_id: CardId,
        cardholder_id: CardholderId,
        change: DisputeChange,
        /// The state name after the change (`filed`, `won`…).
        status: String,
        amount: Money,
        fraud: bool,
        liability: Liability,
        at: Timestamp,
    },
    RewardsTransferred {
        account_id: AccountId,
        partner: String,
        points: i64,
        partner_units: i64,
        at: Timestamp,
    },
    /// A fraud signal: too many failed verification attempts on one channel.
    VerificationLocked {
        cardholder_id: CardholderId,
        channel: Channel,
        failures: u8,
        until: Timestamp,
        at: Timestamp,
    },
}

impl Event {
    /// The dotted outbox topic.
    pub fn topic(&self) -> String {
        match self {
            Event::CardActivated { .. } => "card.activated".into(),
            Event::CardLocked { .. } => "card.locked".into(),
            Event::CardUnlocked { .. } => "card.unlocked".into(),
            Event::CardReported {
                loss: Loss::Lost, ..
            } => "card.reported_lost".into(),
            Event::CardReported {
                loss: Loss::Stolen, ..
            } => "card.reported_stolen".into(),
            Event::CardClosed { .. } => "card.closed".into(),
            Event::ReplacementOrdered { .. } => "card.replacement_ordered".into(),
            Event::ContactChanged { .. } => "cardholder.contact_changed".into(),
            Event::SpendingAlert { .. } => "card.spending_alert".into(),
            Event::DisputeChanged { change, .. } => format!("dispute.{change}"),
            Event::RewardsTransferred { .. } => "rewards.transferred".into(),
            Event::VerificationLocked { .. } => "verification.locked".into(),
        }
    }

    /// What the event is about (`card:<id>`), for ordering and look-up.
    pub fn subject(&self) -> String {
        match self {
            Event::CardActivated { card_id, .. }
            | Event::CardLocked { card_id, .. }
            | Event::CardUnlocked { card_id, .. }
            | Event::CardReported { card_id, .. }
            | Event::CardClosed { card_id, .. }
            | Event::ReplacementOrdered { card_id, .. }
            | Event::SpendingAlert { card_id, .. } => format!("card:{card_id}"),
            Event::ContactChanged { cardholder_id, .. }
            | Event::VerificationLocked { cardholder_id, .. } => {
                format!("cardholder:{cardholder_id}")
            }
            Event::DisputeChanged { dispute_id, .. } => format!("dispute:{dispute_id}"),
            Event::RewardsTransferred { account_id, .. } => format!("account:{account_id}"),
        }
    }
}
