//! Conversations: the one model every channel feeds (chat, in-app, secure message, email,
//! social, mail/fax, phone notes).
//!
//! Each message gets the next sequence number of its conversation (1, 2, 3…, no gaps), so a
//! client that reconnects says "after 41" and gets exactly 42, 43… ([`resume`]); a client's own
//! retry carries the same `client_key` and is recognised instead of stored twice. Receipts are
//! watermarks ("delivered up to 43", "read up to 40") that only move forward.

use std::fmt;

use domain::{CardholderId, CaseId, Channel, ConversationId, MessageId, Tier, UserId};
use jiff::Timestamp;

use crate::attachment::AttachmentRef;
use crate::calendar::add;
use crate::redact::{Finding, redact};
use crate::sla::SlaTable;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationChannel {
    Chat,
    InApp,
    SecureMessage,
    Email,
    /// A public mention: everything the issuer writes here is public.
    SocialPublic,
    SocialDirect,
    Mail,
    Fax,
    /// Notes of a phone call.
    Phone,
}

impl ConversationChannel {
    /// The channel in the shared vocabulary (SLA table, reporting).
    pub const fn channel(self) -> Channel {
        match self {
            ConversationChannel::Chat => Channel::Chat,
            ConversationChannel::InApp => Channel::InApp,
            ConversationChannel::SecureMessage => Channel::SecureMessage,
            ConversationChannel::Email => Channel::Email,
            ConversationChannel::SocialPublic | ConversationChannel::SocialDirect => {
                Channel::Social
            }
            ConversationChannel::Mail => Channel::Mail,
            ConversationChannel::Fax => Channel::Fax,
            ConversationChannel::Phone => Channel::Phone,
        }
    }

    /// Longest message body accepted, in characters.
    pub const fn body_limit(self) -> usize {
        match self {
            ConversationChannel::Chat | ConversationChannel::InApp => 4_000,
            ConversationChannel::SocialPublic | ConversationChannel::SocialDirect => 10_000,
            _ => 100_000,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Author {
    Cardholder,
    Agent(UserId),
    /// Automatic messages (greetings, "an agent will be with you", case acknowledgements).
    System,
}

impl Author {
    /// Which side reads this author's messages.
    pub const fn reader(self) -> Side {
        match self {
            Author::Cardholder => Side::Issuer,
            Author::Agent(_) | Author::System => Side::Cardholder,
        }
    }
}

/// The two ends of a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Cardholder,
    Issuer,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    Sent,
    Delivered,
    Read,
}

/// How far one side has received and read (sequence numbers, inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Receipts {
    pub delivered_up_to: u64,
    pub read_up_to: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationStatus {
    Open,
    Closed,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Conversation {
    pub id: ConversationId,
    pub channel: ConversationChannel,
    pub cardholder: Option<CardholderId>,
    /// Tier of the cardholder when known (sets the reply target).
    pub tier: Option<Tier>,
    pub case: Option<CaseId>,
    /// The channel's own thread key: the email root Message-ID, the social post or DM thread id.
    pub external_thread: Option<String>,
    pub subject: Option<String>,
    pub status: ConversationStatus,
    /// Sequence number of the last message (0 before the first).
    pub last_seq: u64,
    pub started_at: Timestamp,
    pub last_message_at: Option<Timestamp>,
    /// The oldest cardholder message not yet answered (the reply clock starts there).
    pub unanswered_since: Option<Timestamp>,
    /// What the cardholder has received and read of the issuer's messages.
    pub cardholder_receipts: Receipts,
    /// What the issuer's agents have received and read of the cardholder's messages.
    pub issuer_receipts: Receipts,
}

#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Message {
    pub id: MessageId,
    pub conversation: ConversationId,
    pub seq: u64,
    pub author: Author,
    pub body: String,
    pub attachments: Vec<AttachmentRef>,
    /// The sender's idempotency key (the store keeps it unique per conversation).
    pub client_key: Option<String>,
    pub sent_at: Timestamp,
}

impl fmt::Debug for Message {
    /// Bodies may hold personal data: debug output shows only their length.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message")
            .field("id", &self.id)
            .field("conversation", &self.conversation)
            .field("seq", &self.seq)
            .field("author", &self.author)
            .field("body_chars", &self.body.chars().count())
            .field("attachments", &self.attachments.len())
            .field("client_key", &self.client_key)
            .field("sent_at", &self.sent_at)
            .finish()
    }
}

/// A message before it is stored.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Draft {
    pub author: Author,
    pub body: String,
    pub attachments: Vec<AttachmentRef>,
    pub client_key: Option<String>,
}

impl fmt::Debug for Draft {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Draft")
            .field("author", &self.author)
            .field("body_chars", &self.body.chars().count())
            .field("attachments", &self.attachments.len())
            .field("client_key", &self.client_key)
            .finish()
    }
}

/// What happened to a conversation, for the outbox (WebSocket fan-out, notifications).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ConversationEvent {
    MessagePosted {
        conversation: ConversationId,
        message: MessageId,
        seq: u64,
        author: Author,
    },
    ReceiptAdvanced {
        conversation: ConversationId,
        reader: Side,
        delivery: Delivery,
        up_to: u64,
    },
    LinkedToCase {
        conversation: ConversationId,
        case: CaseId,
    },
    LinkedToCardholder {
        conversation: ConversationId,
        cardholder: CardholderId,
    },
    Closed {
        conversation: ConversationId,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConversationError {
    #[error("the message is empty; write something or attach a document")]
    EmptyMessage,
    #[error("the message is {length} characters long; this channel takes at most {max}")]
    TooLong { length: usize, max: usize },
    #[error("client_key must be 1 to 64 letters, digits, '-' or '_'")]
    BadClientKey,
    #[error("this conversation is closed; start a new one")]
    Closed,
    #[error(
        "a public reply must not contain personal data ({kinds}); post the redacted text or move to a direct message"
    )]
    PersonalDataInPublic { kinds: String },
    #[error("receipts go up to message {up_to}, but the conversation has only {last_seq} messages")]
    ReceiptAhead { up_to: u64, last_seq: u64 },
    #[error(
        "the client has seen up to message {after_seq}, but the conversation has only {last_seq}; resume from {last_seq} or reload"
    )]
    ResumeAhead { after_seq: u64, last_seq: u64 },
    #[error("this conversation is already linked to another {what}; a conversation belongs to one")]
    AlreadyLinked { what: &'static str },
}

fn valid_client_key(key: &str) -> bool {
    (1..=64).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Conversation {
    pub fn start(
        id: ConversationId,
        channel: ConversationChannel,
        cardholder: Option<CardholderId>,
        tier: Option<Tier>,
        now: Timestamp,
    ) -> Conversation {
        Conversation {
            id,
            channel,
            cardholder,
            tier,
            case: None,
            external_thread: None,
            subject: None,
            status: ConversationStatus::Open,
            last_seq: 0,
            started_at: now,
            last_message_at: None,
            unanswered_since: None,
            cardholder_receipts: Receipts::default(),
            issuer_receipts: Receipts::default(),
        }
    }

    /// Checks a draft and gives it the next sequence number. If the store already holds a
    /// message with the draft's `client_key` (a retry after a dropped connection), pass it as
    /// `already_stored`: that message is returned and nothing changes.
    pub fn post(
        &mut self,
        draft: Draft,
        id: MessageId,
        already_stored: Option<&Message>,
        now: Timestamp,
    ) -> Result<Posted, ConversationError> {
        if let Some(existing) = already_stored
            && existing.client_key.is_some()
            && existing.client_key == draft.client_key
        {
            return Ok(Posted::Duplicate(existing.clone()));
        }
        if self.status == ConversationStatus::Closed {
            return Err(ConversationError::Closed);
        }
        if let Some(key) = &draft.client_key
            && !valid_client_key(key)
        {
            return Err(ConversationError::BadClientKey);
        }
        let body = draft.body.trim().to_owned();
        let length = body.chars().count();
        if length == 0 && draft.attachments.is_empty() {
            return Err(ConversationError::EmptyMessage);
        }
        let max = self.channel.body_limit();
        if length > max {
            return Err(ConversationError::TooLong { length, max });
        }
        let from_issuer = draft.author != Author::Cardholder;
        if from_issuer && self.channel == ConversationChannel::SocialPublic {
            let findings = redact(&body).findings;
            if !findings.is_empty() {
                return Err(ConversationError::PersonalDataInPublic {
                    kinds: Finding::kinds_text(&findings),
                });
            }
        }
        self.last_seq += 1;
        self.last_message_at = Some(now);
        match draft.author {
            Author::Cardholder => {
                self.unanswered_since.get_or_insert(now);
            }
            Author::Agent(_) => self.unanswered_since = None,
            Author::System => {}
        }
        let message = Message {
            id,
            conversation: self.id,
            seq: self.last_seq,
            author: draft.author,
            body,
            attachments: draft.attachments,
            client_key: draft.client_key,
            sent_at: now,
        };
        let event = ConversationEvent::MessagePosted {
            conversation: self.id,
            message: id,
            seq: message.seq,
            author: message.author,
        };
        Ok(Posted::New { message, event })
    }

    /// `reader` has received (or read) everything up to `up_to`. Never moves backwards: an
    /// older receipt returns `None`. Read implies delivered.
    pub fn acknowledge(
        &mut self,
        reader: Side,
        delivery: Delivery,
        up_to: u64,
    ) -> Result<Option<ConversationEvent>, ConversationError> {
        if up_to > self.last_seq {
            return Err(ConversationError::ReceiptAhead {
                up_to,
                last_seq: self.last_seq,
            });
        }
        let receipts = match reader {
            Side::Cardholder => &mut self.cardholder_receipts,
            Side::Issuer => &mut self.issuer_receipts,
        };
        let watermark = match delivery {
            Delivery::Sent => return Ok(None),
            Delivery::Delivered => &mut receipts.delivered_up_to,
            Delivery::Read => &mut receipts.read_up_to,
        };
        if up_to <= *watermark {
            return Ok(None);
        }
        *watermark = up_to;
        receipts.delivered_up_to = receipts.delivered_up_to.max(receipts.read_up_to);
        Ok(Some(ConversationEvent::ReceiptAdvanced {
            conversation: self.id,
            reader,
            delivery,
            up_to,
        }))
    }

    /// The delivery state of one message as its author sees it.
    pub fn delivery_of(&self, message: &Message) -> Delivery {
        let receipts = match message.author.reader() {
            Side::Cardholder => self.cardholder_receipts,
            Side::Issuer => self.issuer_receipts,
        };
        if message.seq <= receipts.read_up_to {
            Delivery::Read
        } else if message.seq <= receipts.delivered_up_to {
            Delivery::Delivered
        } else {
            Delivery::Sent
        }
    }

    /// When the issuer must reply by (the visible "we will reply by" of secure messages and
    /// email), from the channel's reply target; `None` when nothing awaits an answer.
    pub fn reply_due(&self, table: &SlaTable) -> Option<Timestamp> {
        let target = table.targets(self.channel.channel(), self.tier).reply?;
        self.unanswered_since.map(|since| add(since, target))
    }

    pub fn link_case(
        &mut self,
        case: CaseId,
    ) -> Result<Option<ConversationEvent>, ConversationError> {
        match self.case {
            Some(existing) if existing == case => Ok(None),
            Some(_) => Err(ConversationError::AlreadyLinked { what: "case" }),
            None => {
                self.case = Some(case);
                Ok(Some(ConversationEvent::LinkedToCase {
                    conversation: self.id,
                    case,
                }))
            }
        }
    }

    /// Ties an anonymous conversation (email, social) to a verified cardholder.
    pub fn link_cardholder(
        &mut self,
        cardholder: CardholderId,
        tier: Option<Tier>,
    ) -> Result<Option<ConversationEvent>, ConversationError> {
        match self.cardholder {
            Some(existing) if existing == cardholder => {
                self.tier = tier.or(self.tier);
                Ok(None)
            }
            Some(_) => Err(ConversationError::AlreadyLinked { what: "cardholder" }),
            None => {
                self.cardholder = Some(cardholder);
                self.tier = tier;
                Ok(Some(ConversationEvent::LinkedToCardholder {
                    conversation: self.id,
                    cardholder,
                }))
            }
        }
    }

    pub fn close(&mut self) -> Option<ConversationEvent> {
        match self.status {
            ConversationStatus::Closed => None,
            ConversationStatus::Open => {
                self.status = ConversationStatus::Closed;
                Some(ConversationEvent::Closed {
                    conversation: self.id,
                })
            }
        }
    }
}

/// The result of [`Conversation::post`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Posted {
    /// Store the message (unique on conversation+seq and conversation+client_key) and the event.
    New {
        message: Message,
        event: ConversationEvent,
    },
    /// A retry of a stored message: acknowledge it again, store nothing.
    Duplicate(Message),
}

/// What to send a client that has seen everything up to `after_seq`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resume<'a> {
    /// Messages `after_seq + 1, after_seq + 2, …` without a gap, at most `limit`.
    pub messages: &'a [Message],
    /// Ask again with this `after_seq` if `more` is set.
    pub next_after: u64,
    pub more: bool,
}

/// Picks the messages a reconnecting client lacks from `stored` (the conversation's messages
/// with `seq > after_seq`, ordered by `seq`, as the store's query returns them; a longer slice
/// is fine). Stops at a gap, so a message still being written is never skipped.
pub fn resume<'a>(
    conversation: &Conversation,
    stored: &'a [Message],
    after_seq: u64,
    limit: usize,
) -> Result<Resume<'a>, ConversationError> {
    if after_seq > conversation.last_seq {
        return Err(ConversationError::ResumeAhead {
            after_seq,
            last_seq: conversation.last_seq,
        });
    }
    let start = stored.partition_point(|m| m.seq <= after_seq);
    let candidates = &stored[start..];
    let contiguous = candidates
        .iter()
        .zip(after_seq + 1..)
        .take_while(|(m, expected)| m.seq == *expected)
        .count()
        .min(limit);
    let messages = &candidates[..contiguous];
    let next_after = messages.last().map_or(after_seq, |m| m.seq);
    Ok(Resume {
        messages,
        next_after,
        more: next_after < conversation.last_seq,
    })
}

/// The client's side of resumption: remembers the last sequence number it showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct ClientCursor {
    pub last_seen: u64,
}

/// What a client does with an incoming message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// The next message: show it.
    Show,
    /// Already shown (a replay after reconnecting): drop it.
    Duplicate,
    /// Messages are missing before it: drop it and resume from `last_seen`.
    Gap { missing_from: u64 },
}

impl ClientCursor {
    pub fn receive(&mut self, seq: u64) -> Arrival {
        if seq <= self.last_seen {
            Arrival::Duplicate
        } else if seq == self.last_seen + 1 {
            self.last_seen = seq;
            Arrival::Show
        } else {
            Arrival::Gap {
                missing_from: self.last_seen + 1,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn now(secs: i64) -> Timestamp {
        Timestamp::from_second(1_770_000_000 + secs).unwrap()
    }

    fn conversation(channel: ConversationChannel) -> Conversation {
        Conversation::start(
            ConversationId(uuid::Uuid::from_u128(1)),
            channel,
            None,
            None,
            now(0),
        )
    }

    fn draft(author: Author, body: &str, key: Option<&str>) -> Draft {
        Draft {
            author,
            body: body.to_owned(),
            attachments: vec![],
            client_key: key.map(str::to_owned),
        }
    }

    fn message_id(n: u64) -> MessageId {
        MessageId(uuid::Uuid::from_u128(u128::from(n) + 100))
    }

    fn post(c: &mut Conversation, author: Author, body: &str, t: i64) -> Message {
        let id = message_id(c.last_seq + 1);
        match c.post(draft(author, body, None), id, None, now(t)).unwrap() {
            Posted::New { message, .. } => message,
            Posted::Duplicate(_) => panic!("not a retry"),
        }
    }

    const AGENT: Author = Author::Agent(UserId(uuid::Uuid::from_u128(7)));

    #[test]
    fn sequence_numbers_count_up_and_retries_are_recognised() {
        let mut c = conversation(ConversationChannel::Chat);
        let first = match c
            .post(
                draft(Author::Cardholder, "hello", Some("k1")),
                message_id(1),
                None,
                now(1),
            )
            .unwrap()
        {
            Posted::New { message, .. } => message,
            Posted::Duplicate(_) => unreachable!(),
        };
        assert_eq!(first.seq, 1);
        let retry = c
            .post(
                draft(Author::Cardholder, "hello", Some("k1")),
                message_id(2),
                Some(&first),
                now(2),
            )
            .unwrap();
        assert_eq!(retry, Posted::Duplicate(first));
        assert_eq!(c.last_seq, 1);
        assert_eq!(post(&mut c, AGENT, "hi!", 3).seq, 2);
    }

    #[test]
    fn bad_messages_are_refused() {
        let mut c = conversation(ConversationChannel::Chat);
        let err = |c: &mut Conversation, d| c.post(d, message_id(9), None, now(1)).unwrap_err();
        assert_eq!(
            err(&mut c, draft(Author::Cardholder, "  ", None)),
            ConversationError::EmptyMessage
        );
        let long = "x".repeat(4_001);
        assert!(matches!(
            err(&mut c, draft(Author::Cardholder, &long, None)),
            ConversationError::TooLong { .. }
        ));
        assert_eq!(
            err(&mut c, draft(Author::Cardholder, "hi", Some("bad key!"))),
            ConversationError::BadClientKey
        );
        c.close();
        assert_eq!(
            err(&mut c, draft(Author::Cardholder, "hi", None)),
            ConversationError::Closed
        );
    }

    #[test]
    fn a_public_reply_with_personal_data_is_refused() {
        let mut c = conversation(ConversationChannel::SocialPublic);
        post(
            &mut c,
            Author::Cardholder,
            "my card 4000 1234 5678 9010 was charged twice!",
            1,
        );
        let refused = c
            .post(
                draft(AGENT, "Sorry! We see a charge of $45.00 on it", None),
                message_id(2),
                None,
                now(2),
            )
            .unwrap_err();
        assert!(refused.to_string().contains("amount"), "{refused}");
        post(
            &mut c,
            AGENT,
            "Sorry to hear that! We've sent you a direct message.",
            3,
        );
        // The issuer may open the direct message, which carries the case reference.
        let mut dm = conversation(ConversationChannel::SocialDirect);
        let reference = crate::reference::CaseRef::generate(3);
        let opening = crate::redact::direct_message_opening(reference, "Example Card Co.");
        assert_eq!(post(&mut dm, AGENT, &opening, 4).seq, 1);
    }

    #[test]
    fn receipts_only_move_forward() {
        let mut c = conversation(ConversationChannel::Chat);
        let m1 = post(&mut c, AGENT, "one", 1);
        let m2 = post(&mut c, AGENT, "two", 2);
        assert_eq!(c.delivery_of(&m2), Delivery::Sent);
        assert!(
            c.acknowledge(Side::Cardholder, Delivery::Delivered, 2)
                .unwrap()
                .is_some()
        );
        assert_eq!(c.delivery_of(&m2), Delivery::Delivered);
        assert!(
            c.acknowledge(Side::Cardholder, Delivery::Read, 1)
                .unwrap()
                .is_some()
        );
        assert_eq!(c.delivery_of(&m1), Delivery::Read);
        assert_eq!(c.delivery_of(&m2), Delivery::Delivered);
        assert!(
            c.acknowledge(Side::Cardholder, Delivery::Delivered, 1)
                .unwrap()
                .is_none()
        );
        assert!(c.acknowledge(Side::Cardholder, Delivery::Read, 5).is_err());
        assert!(
            c.acknowledge(Side::Cardholder, Delivery::Read, 2)
                .unwrap()
                .is_some()
        );
        assert_eq!(c.cardholder_receipts.delivered_up_to, 2);
    }

    #[test]
    fn reply_due_follows_the_oldest_unanswered_message() {
        let table = SlaTable::default();
        let mut c = conversation(ConversationChannel::SecureMessage);
        assert_eq!(c.reply_due(&table), None);
        post(&mut c, Author::Cardholder, "question", 10);
        post(&mut c, Author::Cardholder, "and another", 500);
        assert_eq!(c.reply_due(&table), Some(now(10 + 48 * 3600)));
        c.link_cardholder(
            CardholderId(uuid::Uuid::from_u128(5)),
            Some(Tier::Centurion),
        )
        .unwrap();
        assert_eq!(c.reply_due(&table), Some(now(10 + 24 * 3600)));
        post(&mut c, AGENT, "answer", 600);
        assert_eq!(c.reply_due(&table), None);
    }

    #[test]
    fn links_are_made_once() {
        let mut c = conversation(ConversationChannel::Email);
        let case = CaseId(uuid::Uuid::from_u128(3));
        assert!(c.link_case(case).unwrap().is_some());
        assert!(c.link_case(case).unwrap().is_none());
        assert!(c.link_case(CaseId(uuid::Uuid::from_u128(4))).is_err());
        let who = CardholderId(uuid::Uuid::from_u128(5));
        assert!(c.link_cardholder(who, None).unwrap().is_some());
        assert!(
            c.link_cardholder(CardholderId(uuid::Uuid::from_u128(6)), None)
                .is_err()
        );
    }

    #[test]
    fn message_debug_hides_the_body() {
        let mut c = conversation(ConversationChannel::Chat);
        let m = post(&mut c, Author::Cardholder, "my secret 1234", 1);
        let shown = format!("{m:?}");
        assert!(!shown.contains("secret"), "{shown}");
    }

    proptest! {
        /// 1,000 messages, the client connection dropping at random points, and each reconnect
        /// resuming from the cursor: every message arrives once, in order.
        #[test]
        fn resume_loses_and_duplicates_nothing(
            drops in prop::collection::vec(0usize..1000, 0..25),
            replay in 0u64..5,
            limit in 1usize..300,
        ) {
            let mut c = conversation(ConversationChannel::Chat);
            let stored: Vec<Message> = (0..1000).map(|i| post(&mut c, AGENT, "m", i)).collect();
            let mut cursor = ClientCursor::default();
            let mut shown = Vec::new();
            let mut live_from = 0usize;
            let mut drops = drops;
            drops.sort_unstable();
            for drop_at in drops.into_iter().chain([1000]) {
                // Live delivery until the connection drops, then the server resends a few.
                for m in &stored[live_from.min(drop_at)..drop_at] {
                    if cursor.receive(m.seq) == Arrival::Show {
                        shown.push(m.seq);
                    }
                }
                let mut after = cursor.last_seen.saturating_sub(replay);
                loop {
                    let batch = resume(&c, &stored, after, limit).unwrap();
                    for m in batch.messages {
                        if cursor.receive(m.seq) == Arrival::Show {
                            shown.push(m.seq);
                        }
                    }
                    after = batch.next_after;
                    if !batch.more { break; }
                }
                live_from = drop_at.max(cursor.last_seen as usize);
            }
            prop_assert_eq!(shown, (1..=1000).collect::<Vec<u64>>());
        }

        #[test]
        fn resume_stops_at_a_gap(gap in 2u64..50) {
            let mut c = conversation(ConversationChannel::Chat);
            let mut stored: Vec<Message> = (0..50).map(|i| post(&mut c, AGENT, "m", i)).collect();
            stored.retain(|m| m.seq != gap);
            let batch = resume(&c, &stored, 0, 100).unwrap();
            prop_assert_eq!(batch.next_after, gap - 1);
            prop_assert!(batch.more);
        }
    }

    #[test]
    fn a_gap_tells_the_client_to_resume() {
        let mut cursor = ClientCursor { last_seen: 4 };
        assert_eq!(cursor.receive(4), Arrival::Duplicate);
        assert_eq!(cursor.receive(7), Arrival::Gap { missing_from: 5 });
        assert_eq!(cursor.receive(5), Arrival::Show);
        let c = conversation(ConversationChannel::Chat);
        assert!(resume(&c, &[], 3, 10).is_err());
    }
}
