//! What the engine tells the edge: offers to show, offers to take back, presence to display,
//! figures to count. Every state change produces one event, so the events alone are enough to
//! keep an outbox, the agent consoles and a persisted copy of the state up to date.

use domain::{AgentId, ContactId, Timestamp};
use serde::{Deserialize, Serialize};

use crate::model::{Hub, Presence, Priority, QueueKey, Reach};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub at: Timestamp,
    #[serde(flatten)]
    pub kind: EventKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// The contact waits: no agent could take it on arrival. Tell the caller the estimate.
    Queued {
        contact: ContactId,
        queue: QueueKey,
        home_hub: Hub,
        priority: Priority,
        /// `None` when nobody who could answer is staffed.
        estimated_wait_secs: Option<f64>,
    },
    /// The wait is long (or unknown): the IVR should offer to call the cardholder back, and call
    /// `Engine::convert_to_callback` if they accept.
    CallbackSuggested {
        contact: ContactId,
        estimated_wait_secs: Option<f64>,
    },
    /// A waiting contact may now be answered by more agents.
    Widened {
        contact: ContactId,
        reach: Reach,
    },
    /// Show the contact to the agent with an accept button until `expires_at`.
    Offered {
        contact: ContactId,
        agent: AgentId,
        expires_at: Timestamp,
        context: serde_json::Value,
    },
    /// Remove the offer from the agent's console.
    OfferWithdrawn {
        contact: ContactId,
        agent: AgentId,
        reason: Withdrawal,
    },
    /// The agent accepted: connect the call or open the chat.
    Connected {
        contact: ContactId,
        agent: AgentId,
        waited_secs: f64,
    },
    Completed {
        contact: ContactId,
        agent: AgentId,
        handled_secs: f64,
    },
    Abandoned {
        contact: ContactId,
        waited_secs: f64,
    },
    ConvertedToCallback {
        contact: ContactId,
    },
    PresenceChanged {
        agent: AgentId,
        presence: Presence,
    },
}

impl EventKind {
    /// The contact the event is about, if any.
    pub fn contact(&self) -> Option<ContactId> {
        match self {
            EventKind::Queued { contact, .. }
            | EventKind::CallbackSuggested { contact, .. }
            | EventKind::Widened { contact, .. }
            | EventKind::Offered { contact, .. }
            | EventKind::OfferWithdrawn { contact, .. }
            | EventKind::Connected { contact, .. }
            | EventKind::Completed { contact, .. }
            | EventKind::Abandoned { contact, .. }
            | EventKind::ConvertedToCallback { contact } => Some(*contact),
            EventKind::PresenceChanged { .. } => None,
        }
    }

    /// The agent the event is about, if any.
    pub fn agent(&self) -> Option<AgentId> {
        match self {
            EventKind::Offered { agent, .. }
            | EventKind::OfferWithdrawn { agent, .. }
            | EventKind::Connected { agent, .. }
            | EventKind::Completed { agent, .. }
            | EventKind::PresenceChanged { agent, .. } => Some(*agent),
            EventKind::Queued { .. }
            | EventKind::CallbackSuggested { .. }
            | EventKind::Widened { .. }
            | EventKind::Abandoned { .. }
            | EventKind::ConvertedToCallback { .. } => None,
        }
    }

    /// The event's name, as in its serialized `type`.
    pub const fn name(&self) -> &'static str {
        match self {
            EventKind::Queued { .. } => "queued",
            EventKind::CallbackSuggested { .. } => "callback_suggested",
            EventKind::Widened { .. } => "widened",
            EventKind::Offered { .. } => "offered",
            EventKind::OfferWithdrawn { .. } => "offer_withdrawn",
            EventKind::Connected { .. } => "connected",
            EventKind::Completed { .. } => "completed",
            EventKind::Abandoned { .. } => "abandoned",
            EventKind::ConvertedToCallback { .. } => "converted_to_callback",
            EventKind::PresenceChanged { .. } => "presence_changed",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Withdrawal {
    Declined,
    TimedOut,
    Abandoned,
    /// The agent went on break or offline before accepting.
    AgentUnavailable,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_the_serialized_type() {
        let (contact, agent) = (ContactId::new(), AgentId::new());
        let kinds = [
            EventKind::Abandoned {
                contact,
                waited_secs: 1.0,
            },
            EventKind::ConvertedToCallback { contact },
            EventKind::OfferWithdrawn {
                contact,
                agent,
                reason: Withdrawal::TimedOut,
            },
            EventKind::PresenceChanged {
                agent,
                presence: Presence::WrapUp,
            },
        ];
        for kind in kinds {
            let json = serde_json::to_value(&kind).unwrap();
            assert_eq!(json["type"], kind.name());
        }
    }
}
