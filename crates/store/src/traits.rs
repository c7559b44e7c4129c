//! The storage capabilities, one trait per aggregate. The server only ever sees `dyn Store`.

use async_trait::async_trait;
use domain::{CardholderId, Timestamp, UserId};
use jiff::SignedDuration;

use crate::error::StoreResult;
use crate::model::*;

#[async_trait]
pub trait UserStore: Send + Sync {
    /// Fails with `Conflict` when the email is taken.
    async fn insert_user(&self, user: &User, effects: Effects) -> StoreResult<()>;
    async fn user_by_id(&self, id: UserId) -> StoreResult<Option<User>>;
    /// Case-insensitive.
    async fn user_by_email(&self, email: &str) -> StoreResult<Option<User>>;
    async fn list_users(&self, page: Page) -> StoreResult<Vec<User>>;
}

#[async_trait]
pub trait CardholderStore: Send + Sync {
    /// Fails with `Conflict` when the email is taken.
    async fn insert_cardholder(&self, cardholder: &Cardholder, effects: Effects)
    -> StoreResult<()>;
    async fn cardholder_by_id(&self, id: CardholderId) -> StoreResult<Option<Cardholder>>;
    /// Case-insensitive.
    async fn cardholder_by_email(&self, email: &str) -> StoreResult<Option<Cardholder>>;
    /// Cardholders whose name, email or phone contains `query` (all when empty), by family name.
    async fn search_cardholders(&self, query: &str, page: Page) -> StoreResult<Vec<Cardholder>>;
    async fn count_cardholders(&self) -> StoreResult<u64>;
}

#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn insert_session(&self, session: &Session) -> StoreResult<()>;
    /// The session with this token hash, if it has not expired at `now`.
    async fn live_session(&self, token_hash: &str, now: Timestamp) -> StoreResult<Option<Session>>;
    async fn delete_session(&self, token_hash: &str) -> StoreResult<()>;
    /// Removes sessions expired at `now`; returns how many.
    async fn delete_expired_sessions(&self, now: Timestamp) -> StoreResult<u64>;
}

#[async_trait]
pub trait TokenStore: Send + Sync {
    async fn insert_api_token(&self, token: &ApiToken, effects: Effects) -> StoreResult<()>;
    /// The unrevoked token with this hash.
    async fn active_api_token(&self, token_hash: &str) -> StoreResult<Option<ApiToken>>;
    async fn list_api_tokens(&self) -> StoreResult<Vec<ApiToken>>;
    /// Fails with `NotFound` for an unknown or already revoked token.
    async fn revoke_api_token(
        &self,
        id: uuid::Uuid,
        at: Timestamp,
        effects: Effects,
    ) -> StoreResult<()>;
    async fn touch_api_token(&self, id: uuid::Uuid, at: Timestamp) -> StoreResult<()>;
}

#[async_trait]
pub trait AuditStore: Send + Sync {
    async fn append_audit(&self, records: &[AuditRecord]) -> StoreResult<()>;
    /// Newest first.
    async fn audit_for_subject(&self, subject: &str, page: Page) -> StoreResult<Vec<AuditEntry>>;
    /// Newest first.
    async fn recent_audit(&self, page: Page) -> StoreResult<Vec<AuditEntry>>;
}

#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Leases up to `limit` undelivered events that are due at `now`, oldest first: they will not be
    /// handed out again until `now + lease`, so a crashed dispatcher's events come back.
    async fn claim_due_events(
        &self,
        now: Timestamp,
        lease: SignedDuration,
        limit: u32,
    ) -> StoreResult<Vec<OutboxEvent>>;
    async fn mark_event_delivered(&self, id: i64, at: Timestamp) -> StoreResult<()>;
    /// Records a failed attempt and when to try again.
    async fn mark_event_failed(&self, id: i64, error: &str, retry_at: Timestamp)
    -> StoreResult<()>;
    /// Every event about `subject`, oldest first.
    async fn events_for_subject(&self, subject: &str) -> StoreResult<Vec<OutboxEvent>>;
    /// Events whose topic starts with `topic_prefix`, newest first.
    async fn recent_events(&self, topic_prefix: &str, page: Page) -> StoreResult<Vec<OutboxEvent>>;
    async fn undelivered_event_count(&self) -> StoreResult<u64>;
}

#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    async fn idempotent_response(
        &self,
        scope: &str,
        key: &str,
    ) -> StoreResult<Option<IdempotentResponse>>;
    /// Fails with `Conflict` when the key was already used in this scope.
    async fn save_idempotent_response(
        &self,
        scope: &str,
        key: &str,
        response: &IdempotentResponse,
        at: Timestamp,
    ) -> StoreResult<()>;
}

/// Which database is behind the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Everything the server needs from storage.
#[async_trait]
pub trait Store:
    UserStore
    + CardholderStore
    + SessionStore
    + TokenStore
    + AuditStore
    + OutboxStore
    + IdempotencyStore
    + crate::routing::RoutingStore
    + crate::fraud::FraudStore
    + crate::ivr::IvrStore
    + crate::cards::CardStore
    + crate::directory::DirectoryStore
    + crate::cases::CaseStore
    + crate::cases::ConversationStore
    + crate::appointments::AppointmentStore
    + crate::channels::ChannelStore
    + crate::notifications::NotificationStore
{
    fn backend(&self) -> Backend;
    /// Succeeds when the database answers a query.
    async fn ping(&self) -> StoreResult<()>;
    /// Woken whenever a change wrote outbox events, so the dispatcher need not poll hard.
    fn outbox_signal(&self) -> std::sync::Arc<tokio::sync::Notify>;
}
