//! Typed UUIDv7 ids: a `CardId` can never be passed where a `CaseId` is expected.

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub uuid::Uuid);

        impl $name {
            /// A new time-ordered id.
            pub fn new() -> Self {
                Self(uuid::Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                uuid::Uuid::parse_str(s).map(Self)
            }
        }
    )*};
}

id_type!(
    /// A cardholder (a person, who may hold several accounts and cards).
    CardholderId,
    /// An account (the billing relationship; cards hang off it).
    AccountId,
    /// One plastic or virtual card.
    CardId,
    /// A support case.
    CaseId,
    /// A conversation on any channel.
    ConversationId,
    /// One message in a conversation.
    MessageId,
    /// A staff login (agent, supervisor, analyst, admin).
    UserId,
    /// An agent as the router sees them.
    AgentId,
    /// A contact waiting to be routed (call, chat, message, callback).
    ContactId,
    /// A dispute.
    DisputeId,
    /// A fraud decision on an authorization.
    DecisionId,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_text() {
        let id = CaseId::new();
        let back: CaseId = id.to_string().parse().unwrap();
        assert_eq!(id, back);
        assert!("not-a-uuid".parse::<CaseId>().is_err());
    }
}
