//! The edge of the channels that feed cases from outside (issue 7): email, social media, mail
//! and fax. Each inbound item is parsed and checked completely first (so bad input stores
//! nothing), then threaded into a case's conversation of its channel (or a new case), posted
//! through the chat hub (the one conversation/message storage) and recorded as a channel item
//! (`ChannelStore`) keyed by the sender's id, which makes a redelivery a no-op.

use cases::attachment::{AttachmentPolicy, AttachmentRef, MediaType};
use cases::conversation::{Author, Conversation, ConversationChannel, Draft};
use cases::{Actor, Case, CaseCommand, Message, NewCase};
use domain::{CardholderId, CaseId, Channel, ConversationId, Reason, Tier};
use mail_parser::MimeHeaders;
use sha2::{Digest, Sha256};
use store::cases::StoredAttachment;
use store::channels::ChannelItem;
use store::{Effects, NewEvent, StoreError};

use crate::error::ApiError;
use crate::state::AppState;

/// An email as the webhook delivered it, parsed and checked.
#[derive(Debug, Clone, Default)]
pub struct ParsedEmail {
    pub message_id: Option<String>,
    pub from: String,
    pub from_name: Option<String>,
    pub subject: String,
    pub in_reply_to: Option<String>,
    pub references: Option<String>,
    pub return_path: Option<String>,
    pub auto_submitted: Option<String>,
    pub precedence: Option<String>,
    pub content_type: Option<String>,
    pub x_autoreply: Option<String>,
    pub x_autorespond: Option<String>,
    pub x_auto_response_suppress: Option<String>,
    pub x_failed_recipients: Option<String>,
    pub list_id: Option<String>,
    pub list_unsubscribe: Option<String>,
    pub feedback_type: Option<String>,
    pub x_loop: Option<String>,
    pub text: String,
    pub attachments: Vec<(String, Vec<u8>)>,
}

impl ParsedEmail {
    pub fn headers(&self) -> cases::email::InboundHeaders<'_> {
        cases::email::InboundHeaders {
            from: Some(&self.from),
            subject: Some(&self.subject),
            return_path: self.return_path.as_deref(),
            auto_submitted: self.auto_submitted.as_deref(),
            precedence: self.precedence.as_deref(),
            content_type: self.content_type.as_deref(),
            x_autoreply: self.x_autoreply.as_deref(),
            x_autorespond: self.x_autorespond.as_deref(),
            x_auto_response_suppress: self.x_auto_response_suppress.as_deref(),
            x_failed_recipients: self.x_failed_recipients.as_deref(),
            list_id: self.list_id.as_deref(),
            list_unsubscribe: self.list_unsubscribe.as_deref(),
            feedback_type: self.feedback_type.as_deref(),
            x_loop: self.x_loop.as_deref(),
        }
    }
}

/// Parses raw MIME (RFC 5322) with mail-parser. Refuses what is not an email: no header block,
/// no sender address, or a body mail-parser cannot read. The reason names the problem.
pub fn parse_email(raw: &[u8]) -> Result<ParsedEmail, String> {
    if raw.is_empty() {
        return Err("the body is empty; send the raw message (message/rfc822)".to_owned());
    }
    let head_end = find(raw, b"\r\n\r\n").or_else(|| find(raw, b"\n\n"));
    let Some(head_end) = head_end else {
        return Err("there is no blank line between the headers and the body".to_owned());
    };
    let head = &raw[..head_end];
    // Every header line is "Name: value" or a folded continuation.
    for line in head.split(|b| *b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() || line[0] == b' ' || line[0] == b'\t' {
            continue;
        }
        let name_end = line.iter().position(|b| *b == b':');
        let valid = name_end.is_some_and(|end| {
            end > 0
                && line[..end]
                    .iter()
                    .all(|b| b.is_ascii_graphic() && *b != b':')
        });
        if !valid {
            return Err(format!(
                "header line {:?} is not \"Name: value\"",
                String::from_utf8_lossy(&line[..line.len().min(40)])
            ));
        }
    }
    let message = mail_parser::MessageParser::default()
        .parse(raw)
        .ok_or_else(|| "the message could not be parsed as MIME".to_owned())?;
    let from = message
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .map(|a| a.trim().to_lowercase())
        .filter(|a| a.contains('@'))
        .ok_or_else(|| "the message has no From address".to_owned())?;
    let from_name = message
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.name())
        .map(str::to_owned);
    let raw_header = |name: &str| {
        message
            .header_raw(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let text = message
        .body_text(0)
        .map(|t| t.trim().to_owned())
        .or_else(|| message.body_html(0).map(|h| strip_tags(&h)))
        .unwrap_or_default();
    let mut attachments = Vec::new();
    for part in message.attachments() {
        let name = part.attachment_name().unwrap_or("attachment").to_owned();
        attachments.push((name, part.contents().to_vec()));
    }
    let text = mask_card_data(&text);
    Ok(ParsedEmail {
        message_id: message.message_id().map(|id| id.trim().to_owned()),
        from,
        from_name,
        subject: mask_card_data(message.subject().unwrap_or_default().trim()),
        in_reply_to: raw_header("In-Reply-To"),
        references: raw_header("References"),
        return_path: raw_header("Return-Path"),
        auto_submitted: raw_header("Auto-Submitted"),
        precedence: raw_header("Precedence"),
        content_type: raw_header("Content-Type"),
        x_autoreply: raw_header("X-Autoreply"),
        x_autorespond: raw_header("X-Autorespond"),
        x_auto_response_suppress: raw_header("X-Auto-Response-Suppress"),
        x_failed_recipients: raw_header("X-Failed-Recipients"),
        list_id: raw_header("List-Id"),
        list_unsubscribe: raw_header("List-Unsubscribe"),
        feedback_type: raw_header("Feedback-Type"),
        x_loop: raw_header("X-Loop"),
        text,
        attachments,
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The text of an HTML-only email, without its tags (what an agent reads; never rendered).
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Replaces card numbers and security codes with their labels: they are never stored in clear,
/// even when a customer writes them into an email or a direct message. Other personal data
/// stays (the agent needs it; these channels are private).
pub fn mask_card_data(text: &str) -> String {
    use cases::redact::PersonalData;
    let found = cases::redact::redact(text).findings;
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for f in found
        .iter()
        .filter(|f| matches!(f.kind, PersonalData::CardNumber | PersonalData::SecretCode))
    {
        out.push_str(&text[last..f.range.start]);
        out.push_str(f.kind.label());
        last = f.range.end;
    }
    out.push_str(&text[last..]);
    out
}

/// Checks every attachment (type by content, size) before anything is stored.
pub fn check_attachments(
    files: &[(String, Vec<u8>)],
    policy: &AttachmentPolicy,
) -> Result<Vec<(AttachmentRef, MediaType)>, ApiError> {
    let mut checked = Vec::new();
    for (name, bytes) in files {
        let media = policy
            .check(&bytes[..bytes.len().min(64)], bytes.len() as u64)
            .map_err(|e| {
                ApiError::unprocessable("attachment.refused", format!("Attachment {name:?}: {e}"))
            })?;
        let sha256 = hex::encode(Sha256::digest(bytes));
        let reference = AttachmentRef::new(&sha256, name, media, bytes.len() as u64)
            .map_err(|e| ApiError::unprocessable("attachment.refused", e.to_string()))?;
        checked.push((reference, media));
    }
    Ok(checked)
}

/// Stores checked attachments (content-addressed, like chat uploads).
pub async fn store_attachments(
    state: &AppState,
    files: &[(String, Vec<u8>)],
    checked: &[(AttachmentRef, MediaType)],
) -> Result<Vec<AttachmentRef>, ApiError> {
    for ((_, bytes), (reference, media)) in files.iter().zip(checked) {
        state
            .store
            .put_attachment(&StoredAttachment {
                sha256: reference.sha256.clone(),
                media_type: *media,
                content: bytes.clone(),
                created_at: state.clock.now(),
            })
            .await?;
    }
    Ok(checked.iter().map(|(r, _)| r.clone()).collect())
}

/// Who wrote in, as far as the channel knows.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sender {
    pub cardholder: Option<CardholderId>,
    pub tier: Option<Tier>,
}

/// Opens a case for an inbound item and a conversation of `channel` linked to it.
pub async fn open_case_with_conversation(
    state: &AppState,
    channel: ConversationChannel,
    subject: String,
    sender: Sender,
    external_thread: Option<String>,
) -> Result<(Case, Conversation), ApiError> {
    let actor = sender.cardholder.map_or(Actor::System, Actor::Cardholder);
    let case = crate::casework::open(
        state,
        NewCase {
            id: CaseId::new(),
            reference: cases::CaseRef::generate(0),
            cardholder: sender.cardholder,
            tier: sender.tier,
            subject,
            reason: Reason::General,
            department: None,
            channel: channel.channel(),
        },
        actor,
        Vec::new(),
    )
    .await?;
    let conversation =
        conversation_for_case(state, &case, channel, sender, external_thread, None).await?;
    Ok((case, conversation))
}

/// A new conversation of `channel` linked to `case` (and the case to it).
pub async fn conversation_for_case(
    state: &AppState,
    case: &Case,
    channel: ConversationChannel,
    sender: Sender,
    external_thread: Option<String>,
    subject: Option<String>,
) -> Result<Conversation, ApiError> {
    new_conversation_for_case(state, case, channel, sender, external_thread, |_| subject).await
}

/// Like [`conversation_for_case`], with a subject made from the new conversation's id (secure
/// messages seal it with the id as associated data).
pub async fn new_conversation_for_case(
    state: &AppState,
    case: &Case,
    channel: ConversationChannel,
    sender: Sender,
    external_thread: Option<String>,
    subject: impl FnOnce(ConversationId) -> Option<String>,
) -> Result<Conversation, ApiError> {
    let mut conversation = Conversation::start(
        ConversationId::new(),
        channel,
        sender.cardholder,
        sender.tier,
        state.clock.now(),
    );
    conversation.case = Some(case.id);
    conversation.external_thread = external_thread;
    conversation.subject = subject(conversation.id);
    state
        .store
        .insert_conversation(
            &conversation,
            None,
            Effects::none().event(NewEvent::new(
                "conversation.started",
                format!("conversation:{}", conversation.id),
                serde_json::json!({"channel": channel, "case_id": case.id}),
            )),
        )
        .await?;
    crate::casework::change(
        state,
        case.id,
        CaseCommand::LinkConversation {
            conversation: conversation.id,
        },
        Actor::System,
        Vec::new(),
    )
    .await?;
    Ok(conversation)
}

/// The open conversation of `channel` of a case, if it has one.
pub async fn case_conversation(
    state: &AppState,
    case: CaseId,
    channel: ConversationChannel,
) -> Result<Option<Conversation>, ApiError> {
    Ok(state
        .store
        .conversations_of_case(case)
        .await?
        .into_iter()
        .map(|s| s.conversation)
        .find(|c| {
            c.channel == channel && c.status == cases::conversation::ConversationStatus::Open
        }))
}

/// Posts a message through the chat hub (numbered, stored, then broadcast) and tells the case
/// who wrote (a customer's message resumes a waiting case or reopens a resolved one).
pub async fn post(
    state: &AppState,
    conversation: &Conversation,
    author: Author,
    body: String,
    attachments: Vec<AttachmentRef>,
) -> Result<Message, ApiError> {
    let limit = conversation.channel.body_limit();
    let body = if body.chars().count() > limit {
        body.chars().take(limit).collect()
    } else {
        body
    };
    let message = state
        .chat
        .post(
            conversation.id,
            Draft {
                author,
                body,
                attachments,
                client_key: None,
            },
        )
        .await?;
    if let Some(case) = conversation.case {
        let command = match author {
            Author::Cardholder => Some(CaseCommand::RecordCustomerMessage {
                conversation: Some(conversation.id),
            }),
            Author::Agent(_) => Some(CaseCommand::RecordAgentResponse {
                conversation: Some(conversation.id),
            }),
            Author::System => None,
        };
        if let Some(command) = command {
            let actor = match author {
                Author::Agent(id) => Actor::Staff(id),
                _ => conversation
                    .cardholder
                    .map_or(Actor::System, Actor::Cardholder),
            };
            // A case that refuses (e.g. closed for good) still keeps the message.
            if let Err(err) = crate::casework::change(state, case, command, actor, Vec::new()).await
            {
                tracing::info!(case = %case, error = %err.problem().detail, "case did not take the message");
            }
        }
    }
    Ok(message)
}

/// Records a channel item; a redelivery (same external id) is reported as `Ok(false)`.
pub async fn record_item(
    state: &AppState,
    item: &ChannelItem,
    effects: Effects,
) -> Result<bool, ApiError> {
    match state.store.record_channel_item(item, effects).await {
        Ok(()) => Ok(true),
        Err(StoreError::Conflict { .. }) => Ok(false),
        Err(err) => Err(err.into()),
    }
}

/// A channel item about to be recorded now.
pub fn item(
    state: &AppState,
    channel: &str,
    external_id: Option<String>,
    disposition: &str,
    conversation: Option<ConversationId>,
    detail: serde_json::Value,
) -> ChannelItem {
    ChannelItem {
        id: uuid::Uuid::now_v7(),
        channel: channel.to_owned(),
        external_id,
        disposition: disposition.to_owned(),
        conversation,
        received_at: state.clock.now(),
        detail,
    }
}

/// The channel a `Channel` maps to for paper intake.
pub fn paper_channel(channel: Channel) -> Option<ConversationChannel> {
    match channel {
        Channel::Mail => Some(ConversationChannel::Mail),
        Channel::Fax => Some(ConversationChannel::Fax),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_email_parses_with_its_threading_headers() {
        let raw = b"From: Ada <ADA@example.com>\r\nTo: support@helpline.example\r\nSubject: Re: [HL-3K7-9XM-4EF] my card\r\nMessage-ID: <abc@mail.example>\r\nIn-Reply-To: <hl.x@helpline.example>\r\n\r\nHello there\r\n";
        let email = parse_email(raw).expect("parses");
        assert_eq!(email.from, "ada@example.com");
        assert_eq!(email.message_id.as_deref(), Some("abc@mail.example"));
        assert_eq!(
            email.in_reply_to.as_deref(),
            Some("<hl.x@helpline.example>")
        );
        assert_eq!(email.text, "Hello there");
        assert!(email.attachments.is_empty());
    }

    #[test]
    fn what_is_not_an_email_is_refused_with_the_reason() {
        for (raw, needle) in [
            (&b""[..], "empty"),
            (b"just some text without headers", "blank line"),
            (b"this is not a header\n\nbody", "Name: value"),
            (b"Subject: no sender\r\n\r\nbody", "From"),
            (b"From: not-an-address\r\n\r\nbody", "From"),
        ] {
            let err = parse_email(raw).expect_err("refused");
            assert!(err.contains(needle), "{err} should mention {needle}");
        }
    }

    #[test]
    fn card_numbers_and_codes_are_masked_but_the_rest_stays() {
        let masked = mask_card_data("card 4111 1111 1111 1111, reach me at ada@example.com");
        assert!(!masked.contains("4111"), "{masked}");
        assert!(masked.contains("[card number]"));
        assert!(masked.contains("ada@example.com"));
        assert_eq!(mask_card_data("nothing here"), "nothing here");
    }

    proptest::proptest! {
        // Whatever arrives, the parser answers (an email or a reason) and never panics; what
        // it accepts has a sender and no card number left in its text.
        #[test]
        fn any_bytes_are_parsed_or_refused_without_panicking(raw in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600)) {
            if let Ok(email) = parse_email(&raw) {
                proptest::prop_assert!(email.from.contains('@'));
            }
        }

        #[test]
        fn header_shaped_input_is_parsed_or_refused(
            name in "[A-Za-z-]{1,12}",
            value in "[ -~]{0,40}",
            from in proptest::option::of("[a-z]{1,8}@[a-z]{1,8}\\.example"),
            body in "[ -~\n]{0,200}",
        ) {
            let mut raw = format!("{name}: {value}\r\n");
            if let Some(from) = &from {
                raw.push_str(&format!("From: {from}\r\n"));
            }
            raw.push_str("\r\n");
            raw.push_str(&body);
            match parse_email(raw.as_bytes()) {
                Ok(email) => proptest::prop_assert!(email.from.contains('@')),
                Err(reason) => proptest::prop_assert!(!reason.is_empty()),
            }
        }
    }

    #[test]
    fn html_only_mail_is_read_without_tags() {
        assert_eq!(strip_tags("<p>Hello <b>there</b></p>"), "Hello there");
    }
}
