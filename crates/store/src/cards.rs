//! Cards (product §2): accounts, cards, transactions, replacement orders, disputes with their
//! documents, the rewards ledger and identity-verification sessions.
//!
//! The decisions are the `cards` crate's; the store keeps its values. A card number is stored
//! only as its HMAC look-up key, its AES-GCM ciphertext and its last four digits; a security
//! code only as a keyed hash; a PIN only as an argon2id hash. Card rows carry a `version`: an
//! update names the version it read and fails with `Conflict` if someone changed the card since.

use ::cards::dispute::Document;
use ::cards::rewards::{LedgerEntry, RewardsError};
use ::cards::{
    AlertSettings, Applied, Card, Dispute, EncryptedPan, Event, PanLookup, PinHash,
    ReplacementOrder, RewardsProgram, RewardsRequest, SecurityCodeHash, Transaction,
    VerificationSession,
};
use async_trait::async_trait;
use domain::{AccountId, CardId, CardholderId, Channel, Currency, DisputeId, Tier, Timestamp};

use crate::error::StoreResult;
use crate::model::{Address, Effects, NewEvent};

/// The billing relationship cards hang off; it also holds the rewards balance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardAccount {
    pub id: AccountId,
    pub cardholder_id: CardholderId,
    /// The product name shown to people (`Gold Card`, `Example Air co-brand`).
    pub product: String,
    pub tier: Tier,
    /// The billing currency.
    pub currency: Currency,
    /// Points; always equal to the sum of the account's rewards ledger.
    pub rewards_balance: i64,
    pub opened_at: Timestamp,
}

/// A stored card: the lifecycle value plus its protected card data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardRecord {
    pub card: Card,
    pub pan_lookup: PanLookup,
    pub pan_encrypted: EncryptedPan,
    pub security_code_hash: SecurityCodeHash,
    /// Set at activation.
    pub pin_hash: Option<PinHash>,
    pub alerts: AlertSettings,
    /// Bumped by every update; pass back the one you read.
    pub version: i64,
    pub issued_at: Timestamp,
}

/// A change to an existing card: its new value, as read at `version`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardUpdate {
    pub card: Card,
    /// `None` keeps the stored PIN hash.
    pub pin_hash: Option<PinHash>,
    /// `None` keeps the stored alert settings.
    pub alerts: Option<AlertSettings>,
    /// The version the change was decided on.
    pub version: i64,
}

impl CardUpdate {
    /// A state change of `record`'s card (lock, unlock, report, close).
    pub fn state(record: &CardRecord, card: Card) -> Self {
        Self {
            card,
            pin_hash: None,
            alerts: None,
            version: record.version,
        }
    }
}

/// A reported card, its new card and the order, written together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replacement {
    pub old: CardUpdate,
    pub new: CardRecord,
    pub order: ReplacementOrder,
}

/// One dispute document's stored content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDocument {
    pub document: Document,
    pub content: Vec<u8>,
    pub added_at: Timestamp,
}

/// What a contact change writes to the cardholder's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactUpdate {
    pub email: String,
    /// E.164.
    pub phone: Option<String>,
    pub address: Address,
}

/// The outbox form of a cards-crate event: its topic, subject, and itself as JSON (which never
/// holds a full card number or a security code).
pub fn card_event(event: &Event) -> NewEvent {
    NewEvent::new(event.topic(), event.subject(), event)
}

#[async_trait]
pub trait CardStore: Send + Sync {
    // Accounts.
    /// Fails with `NotFound` for an unknown cardholder.
    async fn insert_card_account(&self, account: &CardAccount, effects: Effects)
    -> StoreResult<()>;
    async fn card_account(&self, id: AccountId) -> StoreResult<Option<CardAccount>>;
    /// Oldest first.
    async fn card_accounts_for(&self, cardholder: CardholderId) -> StoreResult<Vec<CardAccount>>;

    // Cards.
    /// Fails with `Conflict` when the card number is already on file (same look-up key).
    async fn insert_card(&self, card: &CardRecord, effects: Effects) -> StoreResult<()>;
    async fn card_by_id(&self, id: CardId) -> StoreResult<Option<CardRecord>>;
    /// The card with this card number's HMAC look-up key.
    async fn card_by_lookup(&self, lookup: &PanLookup) -> StoreResult<Option<CardRecord>>;
    /// Oldest first.
    async fn cards_for(&self, cardholder: CardholderId) -> StoreResult<Vec<CardRecord>>;
    /// Writes the change; `NotFound` for an unknown card, `Conflict` when the card changed
    /// since `update.version`. Returns the record as stored.
    async fn update_card(&self, update: &CardUpdate, effects: Effects) -> StoreResult<CardRecord>;
    /// The reported card's update, its new card and the order, in one transaction.
    async fn save_replacement(
        &self,
        replacement: &Replacement,
        effects: Effects,
    ) -> StoreResult<()>;
    /// The order that replaced `old_card`.
    async fn replacement_order(&self, old_card: CardId) -> StoreResult<Option<ReplacementOrder>>;
    /// Every stored card number's ciphertext, for key rotation and audits: (card, ciphertext).
    async fn encrypted_pans(&self) -> StoreResult<Vec<(CardId, EncryptedPan)>>;

    // Transactions.
    /// Fails with `Conflict` when a reference is already stored (nothing is written then).
    async fn insert_transactions(&self, txs: &[Transaction], effects: Effects) -> StoreResult<()>;
    async fn transaction(&self, reference: &str) -> StoreResult<Option<Transaction>>;
    /// The card's transactions in `[from, until)` (either end open), newest first, at most `limit`.
    async fn transactions_for_card(
        &self,
        card: CardId,
        from: Option<Timestamp>,
        until: Option<Timestamp>,
        limit: u32,
    ) -> StoreResult<Vec<Transaction>>;

    // Disputes.
    /// The dispute and its documents' content (in `dispute.documents` order).
    async fn insert_dispute(
        &self,
        dispute: &Dispute,
        contents: &[Vec<u8>],
        effects: Effects,
    ) -> StoreResult<()>;
    /// Writes the dispute's new value; `new_contents` are the content of documents appended at
    /// the end of `dispute.documents` since the stored value, `entries` what the step posts to
    /// the card's account (a provisional credit or its reversal), in the same transaction.
    async fn update_dispute(
        &self,
        dispute: &Dispute,
        new_contents: &[Vec<u8>],
        entries: &[Transaction],
        effects: Effects,
    ) -> StoreResult<()>;
    async fn dispute(&self, id: DisputeId) -> StoreResult<Option<Dispute>>;
    /// Newest first.
    async fn disputes_for(&self, cardholder: CardholderId) -> StoreResult<Vec<Dispute>>;
    /// The `position`th document (0-based) of a dispute.
    async fn dispute_document(
        &self,
        id: DisputeId,
        position: u32,
    ) -> StoreResult<Option<StoredDocument>>;

    // Rewards.
    /// Applies one request to the account's ledger in one transaction: locks the account,
    /// reads the balance and the entries under the request's key, asks `cards::apply`, appends.
    /// Concurrent requests with the same key apply once; the balance never goes negative.
    /// The outcome's `RewardsTransferred` events and `effects` are written only when entries
    /// were appended. `NotFound` for an unknown account.
    async fn apply_rewards(
        &self,
        account: AccountId,
        request: &RewardsRequest,
        program: &RewardsProgram,
        effects: Effects,
    ) -> StoreResult<Result<Applied, RewardsError>>;
    /// Newest first.
    async fn rewards_ledger(&self, account: AccountId, limit: u32)
    -> StoreResult<Vec<LedgerEntry>>;
    /// `SUM(points)` over the ledger (the `rewards_balance` column must match it).
    async fn rewards_ledger_sum(&self, account: AccountId) -> StoreResult<i64>;

    // Identity verification.
    async fn verification_session(
        &self,
        cardholder: CardholderId,
        channel: Channel,
    ) -> StoreResult<Option<VerificationSession>>;
    /// Every channel's session for the cardholder (to show lockouts).
    async fn verification_sessions_for(
        &self,
        cardholder: CardholderId,
    ) -> StoreResult<Vec<VerificationSession>>;
    /// Replaces the (cardholder, channel) session.
    async fn save_verification_session(
        &self,
        session: &VerificationSession,
        effects: Effects,
    ) -> StoreResult<()>;

    // Contacts.
    /// Writes a cardholder's new email, phone and address (postcode follows the address).
    /// `NotFound` for an unknown cardholder, `Conflict` when the email is another's.
    async fn update_contact(
        &self,
        cardholder: CardholderId,
        contact: &ContactUpdate,
        effects: Effects,
    ) -> StoreResult<()>;
}
