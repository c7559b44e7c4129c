//! Cases and conversations (product §3). A case is stored as its timeline (the events, numbered
//! per case) plus a snapshot with the columns lists filter on; a change is saved only if the
//! stored version is the one it was decided on (optimistic concurrency), so two agents changing
//! the same case never lose an event. Messages are numbered per conversation and stored before
//! anyone is told they exist.

use async_trait::async_trait;
use cases::attachment::MediaType;
use cases::conversation::Conversation;
use cases::{Case, CaseEvent, CaseRef, Message, Status};
use domain::{CardholderId, CaseId, ConversationId, Timestamp, UserId};

use crate::error::StoreResult;
use crate::model::{Effects, Page};

/// One case's change: its new snapshot and the events that led there.
#[derive(Debug, Clone, Copy)]
pub struct CaseChange<'a> {
    pub case: &'a Case,
    /// The version the change was decided on; 0 inserts a new case.
    pub expected_version: u64,
    /// Events `expected_version + 1 ..= case.version`.
    pub events: &'a [CaseEvent],
    /// When the case's next timer fires (`Case::next_timer`).
    pub next_timer: Option<Timestamp>,
}

/// Which cases a list shows; every field narrows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseFilter {
    pub assignee: Option<UserId>,
    pub cardholder: Option<CardholderId>,
    pub status: Option<Status>,
    /// Only cases with an open escalation.
    pub escalated: bool,
    /// Only new, open and waiting cases.
    pub active: bool,
}

/// Uploaded content, stored once per SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAttachment {
    pub sha256: String,
    pub media_type: MediaType,
    pub content: Vec<u8>,
    pub created_at: Timestamp,
}

#[async_trait]
pub trait CaseStore: Send + Sync {
    /// Saves the changes in one transaction with `effects`. Fails with `Conflict` when a case's
    /// stored version is not its `expected_version` (someone else changed it: reload and decide
    /// again) or when a new case's reference is taken (generate another).
    async fn save_cases(&self, changes: &[CaseChange<'_>], effects: Effects) -> StoreResult<()>;
    async fn case_by_id(&self, id: CaseId) -> StoreResult<Option<Case>>;
    async fn case_by_reference(&self, reference: CaseRef) -> StoreResult<Option<Case>>;
    /// The timeline, oldest first.
    async fn case_events(&self, id: CaseId) -> StoreResult<Vec<CaseEvent>>;
    /// Most recently changed first.
    async fn list_cases(&self, filter: &CaseFilter, page: Page) -> StoreResult<Vec<Case>>;
    /// Cases whose subject, internal notes or conversations' messages contain every word of
    /// `query`, most recently changed first.
    async fn search_cases(&self, query: &str, page: Page) -> StoreResult<Vec<Case>>;
    /// Cases whose next timer is due at `now`, soonest first.
    async fn cases_due(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<Case>>;
    /// Stores content under its digest; `false` when it was already there (nothing changes).
    async fn put_attachment(&self, attachment: &StoredAttachment) -> StoreResult<bool>;
    async fn attachment(&self, sha256: &str) -> StoreResult<Option<StoredAttachment>>;
}

/// An anonymous web-chat visitor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guest {
    pub name: String,
    /// SHA-256 of the visitor's chat token (the token itself is never stored).
    pub token_hash: String,
}

/// One message to append with its conversation after posting it (see
/// [`ConversationStore::append_messages`]).
#[derive(Debug, Clone)]
pub struct MessageAppend {
    pub conversation: Conversation,
    pub message: Message,
    pub effects: Effects,
}

/// A stored conversation and its visitor, if anonymous.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredConversation {
    pub conversation: Conversation,
    pub guest_name: Option<String>,
}

#[async_trait]
pub trait ConversationStore: Send + Sync {
    async fn insert_conversation(
        &self,
        conversation: &Conversation,
        guest: Option<&Guest>,
        effects: Effects,
    ) -> StoreResult<()>;
    async fn conversation(&self, id: ConversationId) -> StoreResult<Option<StoredConversation>>;
    async fn conversation_by_guest_token(
        &self,
        token_hash: &str,
    ) -> StoreResult<Option<StoredConversation>>;
    /// Newest activity first.
    async fn conversations_of_cardholder(
        &self,
        cardholder: CardholderId,
        page: Page,
    ) -> StoreResult<Vec<StoredConversation>>;
    async fn conversations_of_case(&self, case: CaseId) -> StoreResult<Vec<StoredConversation>>;
    /// Stores `message` and the conversation after posting it (`conversation.last_seq ==
    /// message.seq`). Fails with `Conflict` when the sequence number or the client key is taken
    /// (another writer got there first: reload).
    async fn append_message(
        &self,
        conversation: &Conversation,
        message: &Message,
        effects: Effects,
    ) -> StoreResult<()>;
    /// Several [`append_message`](Self::append_message)s in one transaction (group commit):
    /// all are stored or, on any conflict, none.
    async fn append_messages(&self, batch: &[MessageAppend]) -> StoreResult<()>;
    /// Saves receipts, links and status (never `last_seq`, which only messages move).
    async fn save_conversation(
        &self,
        conversation: &Conversation,
        effects: Effects,
    ) -> StoreResult<()>;
    async fn message_by_client_key(
        &self,
        conversation: ConversationId,
        client_key: &str,
    ) -> StoreResult<Option<Message>>;
    /// Messages with `seq > after_seq`, in order, at most `limit`.
    async fn messages_after(
        &self,
        conversation: ConversationId,
        after_seq: u64,
        limit: u32,
    ) -> StoreResult<Vec<Message>>;
    /// Messages containing every word of `query`, newest first.
    async fn search_messages(&self, query: &str, page: Page) -> StoreResult<Vec<Message>>;
}
