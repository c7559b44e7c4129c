//! Channels that feed cases from outside (issue 7): inbound email (raw MIME by webhook), social
//! media (a signed generic JSON shape), outbound email replies (an outbox event the
//! notifications sender delivers over SMTP) and agents' intake of scanned letters and faxes.
//! Bad input is refused with a problem naming the cause and recorded in the audit log; it is
//! checked completely before anything is stored.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use cases::attachment::AttachmentPolicy;
use cases::conversation::{Author, ConversationChannel};
use cases::email::{Disposition, Threading};
use domain::{CaseId, Channel, ConversationId};
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use store::channels::ChannelItem;
use store::{AuditRecord, Effects, NewEvent, Page};
use utoipa::{IntoParams, ToSchema};

use super::extract::{ApiJson, ApiPath, ApiQuery};
use crate::auth::{Auth, Ctx, Integrations, Principal, Staff};
use crate::channels::{self as edge, Sender};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The header the social-media webhook signs its body in: `sha256=<hex HMAC-SHA256>`.
pub const SOCIAL_SIGNATURE_HEADER: &str = "x-helpline-signature";

/// What became of an inbound item.
#[derive(Debug, Serialize, ToSchema)]
pub struct InboundOutcome {
    /// `threaded`, `duplicate` (already received: nothing changed) or `ignored`.
    pub disposition: String,
    /// Why it was ignored: `auto_reply`, `bounce`, `bulk`, `report`, `loop`.
    pub ignored_as: Option<String>,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub case_id: Option<CaseId>,
    pub case_reference: Option<String>,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub conversation_id: Option<ConversationId>,
    /// Whether this item opened the case.
    pub new_case: bool,
    pub seq: Option<u64>,
    /// Social mentions: the public reply sent (never containing personal data).
    pub public_reply: Option<String>,
    /// Social mentions: the direct-message conversation the case continues in.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub direct_conversation_id: Option<ConversationId>,
}

impl InboundOutcome {
    fn new(disposition: &str) -> Self {
        InboundOutcome {
            disposition: disposition.to_owned(),
            ignored_as: None,
            case_id: None,
            case_reference: None,
            conversation_id: None,
            new_case: false,
            seq: None,
            public_reply: None,
            direct_conversation_id: None,
        }
    }

    fn duplicate(item: &ChannelItem) -> Self {
        let mut out = InboundOutcome::new("duplicate");
        out.conversation_id = item.conversation;
        out.case_reference = item.detail["case_reference"].as_str().map(str::to_owned);
        out
    }
}

async fn record_rejection(
    state: &AppState,
    ctx: &Ctx,
    who: Option<&Principal>,
    action: &str,
    reason: &str,
) -> Result<(), ApiError> {
    let row = match who {
        Some(who) => ctx.audit(
            who,
            state.clock.now(),
            action,
            "channel:inbound",
            serde_json::json!({"reason": reason}),
        ),
        None => AuditRecord {
            at: state.clock.now(),
            actor: "webhook".to_owned(),
            action: action.to_owned(),
            subject: "channel:inbound".to_owned(),
            ip: ctx.ip.clone(),
            request_id: crate::request_id::current_request_id(),
            detail: serde_json::json!({"reason": reason}),
        },
    };
    state.store.append_audit(&[row]).await?;
    Ok(())
}

/// Receives one inbound email as raw MIME (`message/rfc822`). It is threaded into its case by
/// the reference in the subject, or by the Message-IDs it answers (`In-Reply-To`,
/// `References`), else it opens a case. Auto-replies, bounces, list mail and our own mail
/// coming back are recorded but never open or answer a case. A redelivered Message-ID changes
/// nothing. Attachments: PDF, PNG, JPEG, WebP or HEIC (by content), 10 MiB each.
#[utoipa::path(post, path = "/api/v1/channels/email/inbound", tag = "channels",
    request_body(content = String, content_type = "message/rfc822"), responses(
    (status = 201, description = "Threaded into a case", body = InboundOutcome),
    (status = 200, description = "Already received, or automatic mail recorded and ignored", body = InboundOutcome),
    (status = 400, description = "Not an email", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "An attachment was refused", body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
pub async fn email_inbound(
    State(state): State<AppState>,
    Auth(who, ..): Auth<Integrations>,
    ctx: Ctx,
    body: Bytes,
) -> ApiResult<(StatusCode, axum::Json<InboundOutcome>)> {
    let email = match edge::parse_email(&body) {
        Ok(email) => email,
        Err(reason) => {
            record_rejection(&state, &ctx, Some(&who), "channel.email.rejected", &reason).await?;
            return Err(ApiError::bad_request(
                "email.malformed",
                format!("This is not an email message: {reason}."),
            ));
        }
    };
    let checked = match edge::check_attachments(&email.attachments, &AttachmentPolicy::messages()) {
        Ok(checked) => checked,
        Err(err) => {
            record_rejection(
                &state,
                &ctx,
                Some(&who),
                "channel.email.rejected",
                &err.problem().detail,
            )
            .await?;
            return Err(err);
        }
    };
    if let Some(id) = &email.message_id
        && let Some(seen) = state
            .store
            .channel_item_by_external_id(&["email"], std::slice::from_ref(id))
            .await?
    {
        return Ok((StatusCode::OK, axum::Json(InboundOutcome::duplicate(&seen))));
    }
    let detail = |extra: serde_json::Value| {
        let mut d = serde_json::json!({
            "from": email.from,
            "subject": email.subject,
            "attachments": checked.len(),
        });
        if let (Some(d), Some(extra)) = (d.as_object_mut(), extra.as_object()) {
            d.extend(extra.clone());
        }
        d
    };
    if let Disposition::Ignore { kind, evidence } =
        cases::email::classify(&email.headers(), &state.settings.channels.email_loop_marker)
    {
        let kind = serde_json::to_value(kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let item = edge::item(
            &state,
            "email",
            email.message_id.clone(),
            &kind,
            None,
            detail(serde_json::json!({"evidence": evidence})),
        );
        edge::record_item(&state, &item, Effects::none()).await?;
        let mut out = InboundOutcome::new("ignored");
        out.ignored_as = Some(kind);
        return Ok((StatusCode::OK, axum::Json(out)));
    }

    let holder = state.store.cardholder_by_email(&email.from).await?;
    let sender = Sender {
        cardholder: holder.as_ref().map(|h| h.id),
        tier: holder.as_ref().map(|h| h.tier),
    };
    // Which case: the subject's reference, else the ids it answers, else a new one.
    let mut case = None;
    let mut conversation = None;
    match cases::email::thread(
        &email.subject,
        email.in_reply_to.as_deref(),
        email.references.as_deref(),
    ) {
        Threading::Reference { reference } => {
            case = state.store.case_by_reference(reference).await?;
        }
        Threading::MessageIds { ids } => {
            if let Some(item) = state
                .store
                .channel_item_by_external_id(&["email", "email_out"], &ids)
                .await?
                && let Some(id) = item.conversation
                && let Some(stored) = state.store.conversation(id).await?
            {
                if let Some(case_id) = stored.conversation.case {
                    case = state.store.case_by_id(case_id).await?;
                }
                conversation = Some(stored.conversation);
            }
        }
        Threading::NewCase => {}
    }
    let mut new_case = false;
    let conversation = match (case, conversation) {
        (Some(case), Some(conversation)) if conversation.case == Some(case.id) => {
            (case, conversation)
        }
        (Some(case), _) => {
            let conversation =
                match edge::case_conversation(&state, case.id, ConversationChannel::Email).await? {
                    Some(c) => c,
                    None => {
                        edge::conversation_for_case(
                            &state,
                            &case,
                            ConversationChannel::Email,
                            sender,
                            email.message_id.clone(),
                            None,
                        )
                        .await?
                    }
                };
            (case, conversation)
        }
        (None, _) => {
            new_case = true;
            let subject = cases::email::strip_reply_prefixes(&email.subject);
            let subject = if subject.is_empty() {
                format!("Email from {}", email.from)
            } else {
                subject.to_owned()
            };
            edge::open_case_with_conversation(
                &state,
                ConversationChannel::Email,
                subject,
                sender,
                email.message_id.clone(),
            )
            .await?
        }
    };
    let (case, conversation) = conversation;
    let attachments = edge::store_attachments(&state, &email.attachments, &checked).await?;
    let message = edge::post(
        &state,
        &conversation,
        Author::Cardholder,
        email.text.clone(),
        attachments,
    )
    .await?;
    let item = edge::item(
        &state,
        "email",
        email.message_id.clone(),
        "threaded",
        Some(conversation.id),
        detail(serde_json::json!({"case_reference": case.reference, "seq": message.seq})),
    );
    edge::record_item(
        &state,
        &item,
        Effects::none().event(NewEvent::new(
            "channel.email.received",
            format!("conversation:{}", conversation.id),
            serde_json::json!({"case_id": case.id, "seq": message.seq, "new_case": new_case}),
        )),
    )
    .await?;
    let mut out = InboundOutcome::new("threaded");
    out.case_id = Some(case.id);
    out.case_reference = Some(case.reference.to_string());
    out.conversation_id = Some(conversation.id);
    out.new_case = new_case;
    out.seq = Some(message.seq);
    Ok((StatusCode::CREATED, axum::Json(out)))
}

/// An agent's reply to an email conversation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailReply {
    pub body: String,
}

/// What was queued for the notifications sender.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueuedEmail {
    pub to: String,
    pub subject: String,
    pub message_id: String,
    pub seq: u64,
}

/// Replies to an email conversation: the message is stored in the conversation and an
/// `email.outbound` outbox event (to, subject with the case reference, a Message-ID naming the
/// case, loop-protection headers, body) is queued for the notifications sender (SMTP).
#[utoipa::path(post, path = "/api/v1/channels/email/conversations/{id}/reply", tag = "channels",
    params(("id" = String, Path, format = Uuid)), request_body = EmailReply, responses(
    (status = 201, body = QueuedEmail),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = []), ("session" = [])))]
pub async fn email_reply(
    State(state): State<AppState>,
    Auth(who, ..): Auth<Staff>,
    ApiPath(id): ApiPath<ConversationId>,
    ApiJson(reply): ApiJson<EmailReply>,
) -> ApiResult<(StatusCode, axum::Json<QueuedEmail>)> {
    let not_found = || {
        ApiError::not_found(
            "channel.not_found",
            format!("There is no email conversation {id}."),
        )
    };
    let stored = state.store.conversation(id).await?.ok_or_else(not_found)?;
    let conversation = stored.conversation;
    if conversation.channel != ConversationChannel::Email {
        return Err(not_found());
    }
    let case_id = conversation.case.ok_or_else(not_found)?;
    let case = crate::casework::load(&state, case_id).await?;
    if reply.body.trim().is_empty() {
        return Err(ApiError::unprocessable(
            "email.empty",
            "The reply has no text.",
        ));
    }
    // The address: the latest inbound email of this conversation.
    let items = state
        .store
        .recent_channel_items(
            "email",
            Page {
                limit: 200,
                offset: 0,
            },
        )
        .await?;
    let to = items
        .iter()
        .find(|i| i.conversation == Some(id) && i.disposition == "threaded")
        .and_then(|i| i.detail["from"].as_str().map(str::to_owned))
        .ok_or_else(|| {
            ApiError::unprocessable(
                "email.no_address",
                "This conversation has no sender address to reply to.",
            )
        })?;
    let agent = who
        .staff_user()
        .map(|u| u.id)
        .ok_or_else(|| ApiError::forbidden("Only staff reply to email."))?;
    let message = edge::post(
        &state,
        &conversation,
        Author::Agent(agent),
        reply.body.clone(),
        Vec::new(),
    )
    .await?;
    let unique = uuid::Uuid::now_v7().simple().to_string();
    let message_id = cases::email::outbound_message_id(
        case.reference,
        &unique,
        &state.settings.channels.email_domain,
    );
    let subject = cases::email::outbound_subject(case.reference, &case.subject);
    let headers: serde_json::Map<String, serde_json::Value> =
        cases::email::outbound_headers(false, &state.settings.channels.email_loop_marker)
            .into_iter()
            .map(|(k, v)| (k.to_owned(), serde_json::Value::String(v)))
            .collect();
    let in_reply_to = conversation.external_thread.clone();
    let item = edge::item(
        &state,
        "email_out",
        Some(message_id.clone()),
        "sent",
        Some(id),
        serde_json::json!({"to": to, "subject": subject, "case_reference": case.reference, "seq": message.seq}),
    );
    edge::record_item(
        &state,
        &item,
        Effects::none().event(NewEvent::new(
            "email.outbound",
            format!("conversation:{id}"),
            serde_json::json!({
                "channel": "email",
                "to": to,
                "subject": subject,
                "message_id": message_id,
                "in_reply_to": in_reply_to,
                "headers": headers,
                "body": message.body,
                "case_id": case.id,
                "case_reference": case.reference,
            }),
        )),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(QueuedEmail {
            to,
            subject,
            message_id,
            seq: message.seq,
        }),
    ))
}

/// A social-media post or direct message, in the network-neutral shape the webhook takes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SocialInbound {
    /// The network, e.g. `x`, `facebook`, `instagram`.
    pub network: String,
    /// `mention` (a public post naming us) or `direct_message`.
    pub kind: SocialKind,
    /// The network's id of the post or message (a redelivery with the same id changes nothing).
    pub id: String,
    pub author: SocialAuthor,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SocialKind {
    Mention,
    DirectMessage,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SocialAuthor {
    /// The network's stable id of the account.
    pub id: String,
    /// The public handle, without `@`.
    pub handle: String,
}

fn signature_ok(secret: &str, body: &[u8], header: Option<&str>) -> bool {
    if secret.is_empty() {
        return false;
    }
    let Some(hex_sig) = header.and_then(|h| h.trim().strip_prefix("sha256=")) else {
        return false;
    };
    let Ok(sig) = hex::decode(hex_sig) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&sig).is_ok()
}

/// Receives a public mention or a direct message from a social network. The body must be
/// signed: `X-Helpline-Signature: sha256=<hex HMAC-SHA256 of the body>` with the configured
/// `channels.social_webhook_secret`. A mention opens a case, gets a public reply that never
/// contains personal data and moves to a direct message carrying the case reference; a direct
/// message continues its author's conversation (or opens a case).
#[utoipa::path(post, path = "/api/v1/channels/social/inbound", tag = "channels",
    request_body = SocialInbound, params(("x-helpline-signature" = String, Header)), responses(
    (status = 201, body = InboundOutcome),
    (status = 200, description = "Already received", body = InboundOutcome),
    (status = 400, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
))]
pub async fn social_inbound(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, axum::Json<InboundOutcome>)> {
    let header = headers
        .get(SOCIAL_SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok());
    if !signature_ok(
        &state.settings.channels.social_webhook_secret,
        &body,
        header,
    ) {
        record_rejection(
            &state,
            &ctx,
            None,
            "channel.social.rejected",
            "bad signature",
        )
        .await?;
        return Err(ApiError::unauthorized(
            "The X-Helpline-Signature header is missing or does not match the body (sha256=<hex HMAC-SHA256>).",
        )
        .with_code("social.bad_signature"));
    }
    let post: SocialInbound = match serde_json::from_slice(&body) {
        Ok(post) => post,
        Err(err) => {
            let reason = format!("the body is not the social shape: {err}");
            record_rejection(&state, &ctx, None, "channel.social.rejected", &reason).await?;
            return Err(ApiError::bad_request(
                "social.unknown_shape",
                format!("The {reason}; see SocialInbound in /api/openapi.json."),
            ));
        }
    };
    let blank = [&post.network, &post.id, &post.author.id, &post.text]
        .iter()
        .any(|s| s.trim().is_empty());
    if blank {
        record_rejection(&state, &ctx, None, "channel.social.rejected", "empty field").await?;
        return Err(ApiError::bad_request(
            "social.unknown_shape",
            "network, id, author.id and text must not be empty.",
        ));
    }
    let external = format!("{}:{}", post.network, post.id);
    if let Some(seen) = state
        .store
        .channel_item_by_external_id(&["social"], std::slice::from_ref(&external))
        .await?
    {
        return Ok((StatusCode::OK, axum::Json(InboundOutcome::duplicate(&seen))));
    }
    let thread_key = format!("{}:{}", post.network, post.author.id);
    let company = state.settings.channels.company_name.clone();
    let mut out = InboundOutcome::new("threaded");
    match post.kind {
        SocialKind::Mention => {
            // The public post is stored as redacted as the reply: personal data posted in
            // public is not copied into our database in clear.
            let stored_text = cases::redact::redact(&post.text).text;
            let subject = format!(
                "Social mention from @{}",
                post.author.handle.trim_start_matches('@')
            );
            let (case, public) = edge::open_case_with_conversation(
                &state,
                ConversationChannel::SocialPublic,
                subject,
                Sender::default(),
                Some(external.clone()),
            )
            .await?;
            let message =
                edge::post(&state, &public, Author::Cardholder, stored_text, Vec::new()).await?;
            let reply = cases::redact::public_reply_moving_to_dm(&post.author.handle, &company);
            // `post` refuses issuer text with personal data in a public conversation.
            edge::post(&state, &public, Author::System, reply.clone(), Vec::new()).await?;
            state
                .chat
                .update(public.id, |c| {
                    c.close().map(|e| {
                        NewEvent::new(
                            "conversation.closed",
                            format!("conversation:{}", c.id),
                            serde_json::json!({"event": e, "why": "moved to a direct message"}),
                        )
                    })
                })
                .await?;
            let direct = edge::conversation_for_case(
                &state,
                &case,
                ConversationChannel::SocialDirect,
                Sender::default(),
                Some(thread_key.clone()),
                None,
            )
            .await?;
            let opening = cases::redact::direct_message_opening(case.reference, &company);
            edge::post(&state, &direct, Author::System, opening.clone(), Vec::new()).await?;
            let thread_item = edge::item(
                &state,
                "social_thread",
                Some(thread_key.clone()),
                "threaded",
                Some(direct.id),
                serde_json::json!({"case_reference": case.reference}),
            );
            // A second mention by the same author keeps the first thread.
            edge::record_item(&state, &thread_item, Effects::none()).await?;
            let item = edge::item(
                &state,
                "social",
                Some(external.clone()),
                "threaded",
                Some(public.id),
                serde_json::json!({"network": post.network, "kind": "mention", "handle": post.author.handle, "case_reference": case.reference, "seq": message.seq}),
            );
            edge::record_item(&state, &item, Effects::none()
                .event(NewEvent::new("social.reply", format!("conversation:{}", public.id), serde_json::json!({
                    "network": post.network, "visibility": "public", "in_reply_to": post.id, "text": reply,
                })))
                .event(NewEvent::new("social.reply", format!("conversation:{}", direct.id), serde_json::json!({
                    "network": post.network, "visibility": "direct", "to": post.author.id, "text": opening,
                })))).await?;
            out.case_id = Some(case.id);
            out.case_reference = Some(case.reference.to_string());
            out.conversation_id = Some(public.id);
            out.new_case = true;
            out.seq = Some(message.seq);
            out.public_reply = Some(reply);
            out.direct_conversation_id = Some(direct.id);
        }
        SocialKind::DirectMessage => {
            let existing = match state
                .store
                .channel_item_by_external_id(&["social_thread"], std::slice::from_ref(&thread_key))
                .await?
                .and_then(|i| i.conversation)
            {
                Some(id) => state.store.conversation(id).await?.map(|s| s.conversation),
                None => None,
            };
            let existing = existing.and_then(|d| d.case.map(|case_id| (case_id, d)));
            let (case, direct, new_case) = match existing {
                Some((case_id, direct)) => {
                    let case = crate::casework::load(&state, case_id).await?;
                    (case, direct, false)
                }
                _ => {
                    let subject = format!(
                        "Direct message from @{}",
                        post.author.handle.trim_start_matches('@')
                    );
                    let (case, direct) = edge::open_case_with_conversation(
                        &state,
                        ConversationChannel::SocialDirect,
                        subject,
                        Sender::default(),
                        Some(thread_key.clone()),
                    )
                    .await?;
                    let thread_item = edge::item(
                        &state,
                        "social_thread",
                        Some(thread_key.clone()),
                        "threaded",
                        Some(direct.id),
                        serde_json::json!({"case_reference": case.reference}),
                    );
                    edge::record_item(&state, &thread_item, Effects::none()).await?;
                    (case, direct, true)
                }
            };
            let message = edge::post(
                &state,
                &direct,
                Author::Cardholder,
                edge::mask_card_data(&post.text),
                Vec::new(),
            )
            .await?;
            let item = edge::item(
                &state,
                "social",
                Some(external.clone()),
                "threaded",
                Some(direct.id),
                serde_json::json!({"network": post.network, "kind": "direct_message", "handle": post.author.handle, "case_reference": case.reference, "seq": message.seq}),
            );
            edge::record_item(&state, &item, Effects::none()).await?;
            out.case_id = Some(case.id);
            out.case_reference = Some(case.reference.to_string());
            out.conversation_id = Some(direct.id);
            out.direct_conversation_id = Some(direct.id);
            out.new_case = new_case;
            out.seq = Some(message.seq);
        }
    }
    Ok((StatusCode::CREATED, axum::Json(out)))
}

/// Where and how a scanned letter or fax arrived.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PaperParams {
    /// `mail` or `fax`.
    #[param(value_type = String, example = "mail")]
    pub channel: Channel,
    /// Who sent it (name, address or fax number as written on it).
    pub sender: String,
    /// The date it arrived, `YYYY-MM-DD`.
    #[param(value_type = String, example = "2026-11-20")]
    pub received_on: jiff::civil::Date,
    /// An existing case's reference; without it a case is opened.
    pub case: Option<String>,
    /// The new case's subject (default: "Letter from <sender>").
    pub subject: Option<String>,
    pub file_name: Option<String>,
}

/// Files a scanned letter or fax (the raw file as the body: PDF, TIFF, JPEG or PNG by content,
/// at most 25 MiB) into an existing case or a new one, with its sender, received date and
/// channel recorded.
#[utoipa::path(post, path = "/api/v1/channels/paper", tag = "channels", params(PaperParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"), responses(
    (status = 201, body = InboundOutcome),
    (status = 400, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = []), ("session" = [])))]
pub async fn paper_intake(
    State(state): State<AppState>,
    Auth(who, ..): Auth<Staff>,
    ctx: Ctx,
    ApiQuery(params): ApiQuery<PaperParams>,
    body: Bytes,
) -> ApiResult<(StatusCode, axum::Json<InboundOutcome>)> {
    let outcome = paper(&state, &who, &ctx, params, body.to_vec()).await;
    if let Err(err) = &outcome {
        record_rejection(
            &state,
            &ctx,
            Some(&who),
            "channel.paper.rejected",
            &err.problem().detail,
        )
        .await?;
    }
    outcome.map(|o| (StatusCode::CREATED, axum::Json(o)))
}

/// The intake shared by the API and the console page.
pub async fn paper(
    state: &AppState,
    who: &Principal,
    ctx: &Ctx,
    params: PaperParams,
    bytes: Vec<u8>,
) -> Result<InboundOutcome, ApiError> {
    let channel = edge::paper_channel(params.channel).ok_or_else(|| {
        ApiError::unprocessable(
            "paper.channel",
            "The channel of a scanned document is mail or fax.",
        )
    })?;
    let sender = params.sender.trim();
    if sender.is_empty() || sender.chars().count() > 200 {
        return Err(ApiError::unprocessable(
            "paper.sender",
            "Say who sent it (at most 200 characters).",
        ));
    }
    let today = state
        .clock
        .now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date();
    if params.received_on > today {
        return Err(ApiError::unprocessable(
            "paper.received_on",
            "The received date is in the future.",
        ));
    }
    let name = params
        .file_name
        .clone()
        .unwrap_or_else(|| "scan".to_owned());
    let files = vec![(name, bytes)];
    let checked = edge::check_attachments(&files, &AttachmentPolicy::mail_and_fax())?;
    let existing = match params
        .case
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(reference) => {
            let reference = cases::CaseRef::parse(reference).map_err(|e| {
                ApiError::unprocessable(
                    "paper.case",
                    format!("{reference:?} is not a case reference: {e}"),
                )
            })?;
            Some(
                state
                    .store
                    .case_by_reference(reference)
                    .await?
                    .ok_or_else(|| {
                        ApiError::not_found(
                            "case.not_found",
                            format!("There is no case {reference}."),
                        )
                    })?,
            )
        }
        None => None,
    };
    let what = if channel == ConversationChannel::Fax {
        "Fax"
    } else {
        "Letter"
    };
    let (case, conversation, new_case) = match existing {
        Some(case) => {
            let sender_of = Sender {
                cardholder: case.cardholder,
                tier: case.tier,
            };
            let conversation = match edge::case_conversation(state, case.id, channel).await? {
                Some(c) => c,
                None => {
                    edge::conversation_for_case(state, &case, channel, sender_of, None, None)
                        .await?
                }
            };
            (case, conversation, false)
        }
        None => {
            let subject = params
                .subject
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map_or_else(|| format!("{what} from {sender}"), str::to_owned);
            let (case, conversation) =
                edge::open_case_with_conversation(state, channel, subject, Sender::default(), None)
                    .await?;
            (case, conversation, true)
        }
    };
    let attachments = edge::store_attachments(state, &files, &checked).await?;
    let body = format!("{what} from {sender}, received {}.", params.received_on);
    let message = edge::post(
        state,
        &conversation,
        Author::Cardholder,
        body,
        attachments.clone(),
    )
    .await?;
    for attachment in attachments {
        let actor = who
            .staff_user()
            .map_or(cases::Actor::System, |u| cases::Actor::Staff(u.id));
        crate::casework::change(
            state,
            case.id,
            cases::CaseCommand::AddAttachment { attachment },
            actor,
            Vec::new(),
        )
        .await?;
    }
    let item = edge::item(
        state,
        params.channel.as_str(),
        None,
        "threaded",
        Some(conversation.id),
        serde_json::json!({
            "sender": sender, "received_on": params.received_on, "case_reference": case.reference, "seq": message.seq,
        }),
    );
    let audit = ctx.audit(
        who,
        state.clock.now(),
        "channel.paper.filed",
        format!("case:{}", case.id),
        serde_json::json!({"channel": params.channel}),
    );
    edge::record_item(
        state,
        &item,
        Effects {
            events: Vec::new(),
            audit: vec![audit],
        },
    )
    .await?;
    let mut out = InboundOutcome::new("threaded");
    out.case_id = Some(case.id);
    out.case_reference = Some(case.reference.to_string());
    out.conversation_id = Some(conversation.id);
    out.new_case = new_case;
    out.seq = Some(message.seq);
    Ok(out)
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ItemParams {
    /// `email`, `email_out`, `social`, `mail`, `fax`; default all.
    pub channel: Option<String>,
    pub limit: Option<u32>,
}

/// A channel item as the console lists it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemView {
    #[schema(value_type = String, format = Uuid)]
    pub id: uuid::Uuid,
    pub channel: String,
    pub external_id: Option<String>,
    pub disposition: String,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub conversation_id: Option<ConversationId>,
    #[schema(value_type = String)]
    pub received_at: jiff::Timestamp,
    pub detail: serde_json::Value,
}

impl From<ChannelItem> for ItemView {
    fn from(i: ChannelItem) -> Self {
        ItemView {
            id: i.id,
            channel: i.channel,
            external_id: i.external_id,
            disposition: i.disposition,
            conversation_id: i.conversation,
            received_at: i.received_at,
            detail: i.detail,
        }
    }
}

/// Recent inbound and outbound channel items, newest first (staff).
#[utoipa::path(get, path = "/api/v1/channels/items", tag = "channels", params(ItemParams), responses(
    (status = 200, body = Vec<ItemView>),
), security(("bearer" = []), ("session" = [])))]
pub async fn items(
    State(state): State<AppState>,
    Auth(..): Auth<Staff>,
    ApiQuery(params): ApiQuery<ItemParams>,
) -> ApiResult<axum::Json<Vec<ItemView>>> {
    let page = Page {
        limit: params.limit.unwrap_or(50).clamp(1, 200),
        offset: 0,
    };
    let items = state
        .store
        .recent_channel_items(params.channel.as_deref().unwrap_or(""), page)
        .await?;
    Ok(axum::Json(items.into_iter().map(ItemView::from).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_checked_over_the_exact_body() {
        let body = br#"{"a":1}"#;
        let mut mac = Hmac::<Sha256>::new_from_slice(b"s3cret").expect("key");
        mac.update(body);
        let good = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
        assert!(signature_ok("s3cret", body, Some(&good)));
        assert!(!signature_ok("s3cret", br#"{"a":2}"#, Some(&good)));
        assert!(!signature_ok("other", body, Some(&good)));
        assert!(
            !signature_ok("", body, Some(&good)),
            "no secret configured: refuse"
        );
        assert!(!signature_ok("s3cret", body, None));
        assert!(!signature_ok("s3cret", body, Some("sha256=zz")));
    }
}
