use domain::{AgentId, ContactId};

use crate::policy::PolicyError;

/// A routing operation that could not be carried out, and what to do about it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RoutingError {
    #[error("unknown agent {0}: register the agent with upsert_agent first")]
    UnknownAgent(AgentId),
    #[error(
        "unknown contact {0}: it never entered routing, or it was already completed or abandoned"
    )]
    UnknownContact(ContactId),
    #[error("contact {0} is already being routed; give a new contact a new id")]
    DuplicateContact(ContactId),
    #[error(
        "contact {contact} is not offered to agent {agent}: the offer may have timed out or been withdrawn"
    )]
    NotOffered { contact: ContactId, agent: AgentId },
    #[error("contact {0} is not connected to an agent, so it cannot be completed")]
    NotConnected(ContactId),
    #[error("contact {0} is already connected to an agent; complete it instead of abandoning it")]
    AlreadyConnected(ContactId),
    #[error("contact {0} is not a call waiting in a queue, so it cannot become a callback")]
    NotAWaitingCall(ContactId),
    #[error("agent {agent}: {problem}")]
    InvalidAgent { agent: AgentId, problem: String },
    #[error("routing state to restore is inconsistent: {0}")]
    InconsistentState(String),
    #[error("routing policy: {0}")]
    Policy(#[from] PolicyError),
}
