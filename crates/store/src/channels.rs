//! Channels that feed cases from outside (product §3): email, social media, mail and fax. Every
//! inbound item leaves one row here, whether it was threaded into a conversation or ignored (an
//! auto-reply, a bounce, a loop), keyed by the sender's own id (the email's `Message-ID`, the
//! social network's post id) so a redelivered webhook is recognised instead of stored twice and
//! a reply finds its conversation. Secure messages keep their attachments sealed (AES-GCM by the
//! server) in their own table: the content-addressed `attachments` table holds clear bytes.

use async_trait::async_trait;
use cases::attachment::MediaType;
use domain::{ConversationId, Timestamp};

use crate::error::StoreResult;
use crate::model::{Effects, Page};

/// One inbound (or sent) item of a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelItem {
    pub id: uuid::Uuid,
    /// `email`, `email_out`, `social`, `mail`, `fax`.
    pub channel: String,
    /// The sender's id for it (Message-ID without brackets, a post id); unique per channel.
    pub external_id: Option<String>,
    /// `threaded`, or why it was not (`auto_reply`, `bounce`, `bulk`, `report`, `loop`).
    pub disposition: String,
    pub conversation: Option<ConversationId>,
    pub received_at: Timestamp,
    /// What the console shows: sender, subject, evidence, received date… (no message bodies).
    pub detail: serde_json::Value,
}

/// An attachment sealed by the server: `content` is nonce ‖ ciphertext ‖ tag under `key_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedAttachment {
    /// The SHA-256 of the clear content (what messages refer to).
    pub sha256: String,
    pub key_id: String,
    pub media_type: MediaType,
    pub size: u64,
    pub content: Vec<u8>,
    pub created_at: Timestamp,
}

#[async_trait]
pub trait ChannelStore: Send + Sync {
    /// Records an item with `effects` in one transaction. Fails with `Conflict` when the
    /// channel already has an item with this `external_id` (a redelivery).
    async fn record_channel_item(&self, item: &ChannelItem, effects: Effects) -> StoreResult<()>;
    /// The first of `external_ids` (in the order given) recorded on any of `channels`.
    async fn channel_item_by_external_id(
        &self,
        channels: &[&str],
        external_ids: &[String],
    ) -> StoreResult<Option<ChannelItem>>;
    /// Newest first; `channel` empty = every channel.
    async fn recent_channel_items(
        &self,
        channel: &str,
        page: Page,
    ) -> StoreResult<Vec<ChannelItem>>;
    /// Stores sealed content under its clear digest; `false` when it was already there.
    async fn put_sealed_attachment(&self, attachment: &SealedAttachment) -> StoreResult<bool>;
    async fn sealed_attachment(&self, sha256: &str) -> StoreResult<Option<SealedAttachment>>;
}
