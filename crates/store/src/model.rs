//! Records as the store reads and writes them.

use domain::{CardholderId, Country, Lang, Role, Tier, Timestamp, UserId};
use serde::{Deserialize, Serialize};

/// A staff login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// An argon2id PHC string; never shown.
    pub password_hash: String,
    pub language: Lang,
    pub disabled: bool,
    pub created_at: Timestamp,
}

/// A postal address, kept as one JSON document.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Address {
    pub lines: Vec<String>,
    pub city: String,
    pub region: String,
    pub postcode: String,
    pub country: String,
}

/// A cardholder: a person with cards, who may log in to the portal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cardholder {
    pub id: CardholderId,
    pub given_name: String,
    pub family_name: String,
    pub email: String,
    /// E.164.
    pub phone: Option<String>,
    pub language: Lang,
    pub country: Country,
    /// IANA time zone name.
    pub time_zone: String,
    /// The membership tier: the highest tier among the cardholder's cards.
    pub tier: Tier,
    /// ISO date `YYYY-MM-DD`.
    pub date_of_birth: Option<String>,
    pub postcode: Option<String>,
    pub tax_id_last4: Option<String>,
    pub address: Address,
    /// An argon2id PHC string; `None` = no portal login yet.
    pub password_hash: Option<String>,
    pub relationship_manager: Option<UserId>,
    pub created_at: Timestamp,
}

impl Cardholder {
    pub fn full_name(&self) -> String {
        format!("{} {}", self.given_name, self.family_name)
    }
}

/// Who holds a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalRef {
    Staff(UserId),
    Cardholder(CardholderId),
}

impl PrincipalRef {
    pub fn kind(&self) -> &'static str {
        match self {
            PrincipalRef::Staff(_) => "staff",
            PrincipalRef::Cardholder(_) => "cardholder",
        }
    }

    pub fn id(&self) -> uuid::Uuid {
        match self {
            PrincipalRef::Staff(id) => id.0,
            PrincipalRef::Cardholder(id) => id.0,
        }
    }
}

/// A login session; the cookie carries the token, the store only its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub token_hash: String,
    pub principal: PrincipalRef,
    pub csrf_token: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub ip: String,
    pub user_agent: String,
}

/// An API bearer token for an integration or a script; the store keeps only its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: uuid::Uuid,
    pub name: String,
    pub token_hash: String,
    pub role: Role,
    pub created_by: Option<UserId>,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

/// One row of the audit log: who did what to whose data, when and from where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditRecord {
    pub at: Timestamp,
    /// `staff:<id>`, `cardholder:<id>`, `token:<id>`, `system`.
    pub actor: String,
    /// A stable verb such as `cardholder.view` or `user.create`.
    pub action: String,
    /// `cardholder:<id>`, `card:<id>`…
    pub subject: String,
    pub ip: String,
    pub request_id: String,
    pub detail: serde_json::Value,
}

/// A stored audit row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    #[serde(flatten)]
    pub record: AuditRecord,
}

/// A domain event to write to the outbox in the same transaction as the change it describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    /// Dotted name such as `user.created` or `card.reported_lost`.
    pub topic: String,
    /// What the event is about (`card:<id>`), for ordering and look-up.
    pub subject: String,
    pub payload: serde_json::Value,
    /// Not handed to the dispatcher before this instant (reminders); `None` = at once.
    pub due_at: Option<Timestamp>,
}

impl NewEvent {
    pub fn new(
        topic: impl Into<String>,
        subject: impl Into<String>,
        payload: impl Serialize,
    ) -> Self {
        Self {
            topic: topic.into(),
            subject: subject.into(),
            payload: serde_json::to_value(payload).unwrap_or(serde_json::Value::Null),
            due_at: None,
        }
    }

    /// Delivered no earlier than `at`.
    pub fn due_at(mut self, at: Timestamp) -> Self {
        self.due_at = Some(at);
        self
    }
}

/// An event in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxEvent {
    pub id: i64,
    pub topic: String,
    pub subject: String,
    pub payload: serde_json::Value,
    pub created_at: Timestamp,
    pub attempts: i64,
    pub delivered_at: Option<Timestamp>,
    pub last_error: Option<String>,
}

/// What a change writes besides itself, in the same transaction: its events and its audit rows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Effects {
    pub events: Vec<NewEvent>,
    pub audit: Vec<AuditRecord>,
}

impl Effects {
    pub fn none() -> Self {
        Self::default()
    }

    pub fn event(mut self, event: NewEvent) -> Self {
        self.events.push(event);
        self
    }

    pub fn audit(mut self, record: AuditRecord) -> Self {
        self.audit.push(record);
        self
    }
}

/// A stored answer to an idempotent request, replayed when the same key comes again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotentResponse {
    pub request_hash: String,
    pub status: u16,
    pub response: serde_json::Value,
}

/// A page of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: u32,
    pub offset: u32,
}

impl Default for Page {
    fn default() -> Self {
        Self {
            limit: 50,
            offset: 0,
        }
    }
}
