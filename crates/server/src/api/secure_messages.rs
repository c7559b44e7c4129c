//! Secure messages (issue 7): threads between a signed-in cardholder and the issuer in the
//! portal, with attachments. Bodies, subjects and attachments are sealed at rest with AES-GCM
//! (`crate::sealed`, the secrets file's data keys; each value names its key id so keys can
//! rotate). Each thread is a `secure_message` conversation linked to a case, so agents see it
//! beside chat; the reply target (24 h for premium tiers, 48 h otherwise, from the SLA table) is
//! shown as a due time. Staff reads are audited.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use cases::attachment::{AttachmentPolicy, AttachmentRef};
use cases::conversation::{Author, Conversation, ConversationChannel, ConversationStatus};
use cases::{Case, Message};
use domain::{CaseId, ConversationId};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use store::channels::SealedAttachment;
use store::{Effects, Page};
use utoipa::{IntoParams, ToSchema};

use super::extract::{ApiJson, ApiPath, ApiQuery};
use crate::api::chat::UploadParams;
use crate::auth::{Anyone, Auth, Cardholders, Ctx, Principal};
use crate::channels::{self as edge, Sender};
use crate::error::{ApiError, ApiResult};
use crate::sealed;
use crate::state::AppState;

/// Longest message, in characters.
const BODY_MAX: usize = 20_000;
const SUBJECT_MAX: usize = 200;

/// A new thread.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewThread {
    pub subject: String,
    pub body: String,
    /// From `POST /api/v1/secure-messages/attachments`.
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub attachments: Vec<AttachmentRef>,
}

/// A reply in a thread.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSecureMessage {
    pub body: String,
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub attachments: Vec<AttachmentRef>,
}

/// A message in clear, for its participants.
#[derive(Debug, Serialize, ToSchema)]
pub struct SecureMessageView {
    pub seq: u64,
    /// cardholder, agent or system.
    pub author: &'static str,
    pub body: String,
    #[schema(value_type = Vec<Object>)]
    pub attachments: Vec<AttachmentRef>,
    #[schema(value_type = String)]
    pub sent_at: jiff::Timestamp,
}

/// A thread and (when opened) its messages.
#[derive(Debug, Serialize, ToSchema)]
pub struct ThreadView {
    #[schema(value_type = String, format = Uuid)]
    pub id: ConversationId,
    pub subject: String,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub case_id: Option<CaseId>,
    pub case_reference: Option<String>,
    pub status: &'static str,
    #[schema(value_type = String)]
    pub started_at: jiff::Timestamp,
    #[schema(value_type = Option<String>)]
    pub last_message_at: Option<jiff::Timestamp>,
    /// When the issuer will have replied by (the channel's reply target); none when nothing
    /// awaits an answer.
    #[schema(value_type = Option<String>)]
    pub reply_due: Option<jiff::Timestamp>,
    pub messages: Vec<SecureMessageView>,
}

fn subject_aad(id: ConversationId) -> String {
    format!("conversation:{id}:subject")
}

fn body_aad(id: ConversationId) -> String {
    format!("conversation:{id}:body")
}

fn attachment_aad(sha256: &str) -> String {
    format!("attachment:{sha256}")
}

fn seal_failed(err: sealed::SealError) -> ApiError {
    ApiError::internal(&err)
}

fn not_found(id: ConversationId) -> ApiError {
    ApiError::not_found(
        "secure_message.not_found",
        format!(
            "There is no secure message thread {id} of yours; list yours at /api/v1/secure-messages."
        ),
    )
}

fn check_body(body: &str) -> Result<(), ApiError> {
    let length = body.trim().chars().count();
    if length > BODY_MAX {
        return Err(ApiError::unprocessable(
            "secure_message.too_long",
            format!("The message has {length} characters; at most {BODY_MAX}."),
        ));
    }
    Ok(())
}

/// Checks that each attachment was uploaded as a sealed attachment.
async fn check_attachments(
    state: &AppState,
    attachments: &[AttachmentRef],
) -> Result<(), ApiError> {
    if attachments.len() > 10 {
        return Err(ApiError::unprocessable(
            "secure_message.attachments",
            "At most 10 attachments per message.",
        ));
    }
    for a in attachments {
        if state.store.sealed_attachment(&a.sha256).await?.is_none() {
            return Err(ApiError::unprocessable(
                "secure_message.unknown_attachment",
                format!(
                    "Attachment {} was not uploaded; POST it to /api/v1/secure-messages/attachments first.",
                    a.sha256
                ),
            ));
        }
    }
    Ok(())
}

/// Loads a thread the caller may see: its cardholder, or staff.
async fn thread_for(
    state: &AppState,
    who: &Principal,
    id: ConversationId,
) -> Result<Conversation, ApiError> {
    let conversation = state
        .store
        .conversation(id)
        .await?
        .map(|s| s.conversation)
        .filter(|c| c.channel == ConversationChannel::SecureMessage)
        .ok_or_else(|| not_found(id))?;
    if who.staff_user().is_some() {
        return Ok(conversation);
    }
    match (who.cardholder(), conversation.cardholder) {
        (Some(c), Some(owner)) if c.id == owner => Ok(conversation),
        _ => Err(not_found(id)),
    }
}

fn author_of(who: &Principal) -> Result<Author, ApiError> {
    if let Some(user) = who.staff_user() {
        Ok(Author::Agent(user.id))
    } else if who.cardholder().is_some() {
        Ok(Author::Cardholder)
    } else {
        Err(ApiError::forbidden(
            "Secure messages are between cardholders and staff.",
        ))
    }
}

fn open_message(state: &AppState, m: &Message) -> Result<SecureMessageView, ApiError> {
    let body = if m.body.is_empty() {
        String::new()
    } else {
        sealed::open_text(&state.secrets, &body_aad(m.conversation), &m.body)
            .map_err(seal_failed)?
    };
    Ok(SecureMessageView {
        seq: m.seq,
        author: match m.author {
            Author::Cardholder => "cardholder",
            Author::Agent(_) => "agent",
            Author::System => "system",
        },
        body,
        attachments: m.attachments.clone(),
        sent_at: m.sent_at,
    })
}

/// The thread in clear; `messages` only when `with_messages`.
pub async fn view(
    state: &AppState,
    c: &Conversation,
    with_messages: bool,
) -> Result<ThreadView, ApiError> {
    let subject = match &c.subject {
        Some(s) => sealed::open_text(&state.secrets, &subject_aad(c.id), s).map_err(seal_failed)?,
        None => String::new(),
    };
    let case: Option<Case> = match c.case {
        Some(id) => state.store.case_by_id(id).await?,
        None => None,
    };
    let mut messages = Vec::new();
    if with_messages {
        let mut after = 0;
        loop {
            let batch = state.store.messages_after(c.id, after, 200).await?;
            for m in &batch {
                messages.push(open_message(state, m)?);
                after = m.seq;
            }
            if batch.len() < 200 {
                break;
            }
        }
    }
    Ok(ThreadView {
        id: c.id,
        subject,
        case_id: c.case,
        case_reference: case.map(|c| c.reference.to_string()),
        status: match c.status {
            ConversationStatus::Open => "open",
            ConversationStatus::Closed => "closed",
        },
        started_at: c.started_at,
        last_message_at: c.last_message_at,
        reply_due: c.reply_due(&state.settings.cases.sla),
        messages,
    })
}

/// Starts a thread as the signed-in cardholder (a case is opened for it).
pub async fn start_thread(
    state: &AppState,
    who: &Principal,
    new: NewThread,
) -> Result<ThreadView, ApiError> {
    let holder = who
        .cardholder()
        .ok_or_else(|| ApiError::forbidden("Only cardholders start secure message threads."))?;
    let subject = new.subject.trim().to_owned();
    if subject.is_empty() || subject.chars().count() > SUBJECT_MAX {
        return Err(ApiError::unprocessable(
            "secure_message.subject",
            format!("Give a subject of 1 to {SUBJECT_MAX} characters."),
        ));
    }
    if new.body.trim().is_empty() && new.attachments.is_empty() {
        return Err(ApiError::unprocessable(
            "secure_message.empty",
            "Write a message or attach a document.",
        ));
    }
    check_body(&new.body)?;
    check_attachments(state, &new.attachments).await?;
    let sender = Sender {
        cardholder: Some(holder.id),
        tier: Some(holder.tier),
    };
    // The case's subject is in clear (lists, search): it does not repeat the sealed one.
    let case = crate::casework::open(
        state,
        cases::NewCase {
            id: CaseId::new(),
            reference: cases::CaseRef::generate(0),
            cardholder: Some(holder.id),
            tier: Some(holder.tier),
            subject: "Secure message".to_owned(),
            reason: domain::Reason::General,
            department: None,
            channel: domain::Channel::SecureMessage,
        },
        cases::Actor::Cardholder(holder.id),
        Vec::new(),
    )
    .await?;
    let mut sealing = Ok(());
    let conversation = edge::new_conversation_for_case(
        state,
        &case,
        ConversationChannel::SecureMessage,
        sender,
        None,
        |id| match sealed::seal_text(&state.secrets, &subject_aad(id), &subject) {
            Ok(s) => Some(s),
            Err(e) => {
                sealing = Err(e);
                None
            }
        },
    )
    .await?;
    sealing.map_err(seal_failed)?;
    let item = edge::item(
        state,
        "secure_message",
        None,
        "threaded",
        Some(conversation.id),
        serde_json::json!({"cardholder_id": holder.id, "case_reference": case.reference}),
    );
    edge::record_item(state, &item, Effects::none()).await?;
    let conversation = post(
        state,
        &conversation,
        Author::Cardholder,
        &new.body,
        new.attachments,
    )
    .await?;
    view(state, &conversation, true).await
}

/// Seals and posts a message; returns the conversation after it.
pub async fn post(
    state: &AppState,
    conversation: &Conversation,
    author: Author,
    body: &str,
    attachments: Vec<AttachmentRef>,
) -> Result<Conversation, ApiError> {
    let body = body.trim();
    let sealed_body = if body.is_empty() {
        String::new()
    } else {
        sealed::seal_text(&state.secrets, &body_aad(conversation.id), body).map_err(seal_failed)?
    };
    // An agent's message goes on the outbox as `conversation.message_posted` (the chat hub
    // does that), which is what tells the cardholder a reply is waiting, never what it says.
    edge::post(state, conversation, author, sealed_body, attachments).await?;
    state
        .store
        .conversation(conversation.id)
        .await?
        .map(|s| s.conversation)
        .ok_or_else(|| not_found(conversation.id))
}

/// Starts a secure message thread (signed-in cardholders).
#[utoipa::path(post, path = "/api/v1/secure-messages", tag = "secure-messages", request_body = NewThread, responses(
    (status = 201, body = ThreadView),
    (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("session" = [])))]
pub async fn create(
    State(state): State<AppState>,
    Auth(who, ..): Auth<Cardholders>,
    ApiJson(new): ApiJson<NewThread>,
) -> ApiResult<(StatusCode, axum::Json<ThreadView>)> {
    Ok((
        StatusCode::CREATED,
        axum::Json(start_thread(&state, &who, new).await?),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    pub limit: Option<u32>,
}

/// The caller's threads (a cardholder's own; staff: the most recent of everyone's), newest
/// first, without messages.
#[utoipa::path(get, path = "/api/v1/secure-messages", tag = "secure-messages", params(ListParams), responses(
    (status = 200, body = Vec<ThreadView>),
), security(("bearer" = []), ("session" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Auth(who, ..): Auth<Anyone>,
    ctx: Ctx,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<axum::Json<Vec<ThreadView>>> {
    let limit = params.limit.unwrap_or(50).clamp(1, 200);
    Ok(axum::Json(threads(&state, &who, &ctx, limit).await?))
}

/// The threads a caller may see, newest first (the pages use this too).
pub async fn threads(
    state: &AppState,
    who: &Principal,
    ctx: &Ctx,
    limit: u32,
) -> Result<Vec<ThreadView>, ApiError> {
    author_of(who)?;
    let conversations: Vec<Conversation> = if let Some(holder) = who.cardholder() {
        state
            .store
            .conversations_of_cardholder(
                holder.id,
                Page {
                    limit: 200,
                    offset: 0,
                },
            )
            .await?
            .into_iter()
            .map(|s| s.conversation)
            .filter(|c| c.channel == ConversationChannel::SecureMessage)
            .take(limit as usize)
            .collect()
    } else {
        let items = state
            .store
            .recent_channel_items("secure_message", Page { limit, offset: 0 })
            .await?;
        let mut out = Vec::new();
        for id in items.iter().filter_map(|i| i.conversation) {
            if let Some(s) = state.store.conversation(id).await? {
                out.push(s.conversation);
            }
        }
        ctx.record(
            state,
            who,
            "secure_message.list",
            "secure_message:*",
            serde_json::json!({"count": out.len()}),
        )
        .await?;
        out
    };
    let mut views = Vec::new();
    for c in &conversations {
        views.push(view(state, c, false).await?);
    }
    Ok(views)
}

/// One thread with its messages in clear (its cardholder, or staff: audited).
#[utoipa::path(get, path = "/api/v1/secure-messages/{id}", tag = "secure-messages",
    params(("id" = String, Path, format = Uuid)), responses(
    (status = 200, body = ThreadView),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = []), ("session" = [])))]
pub async fn get(
    State(state): State<AppState>,
    Auth(who, ..): Auth<Anyone>,
    ctx: Ctx,
    ApiPath(id): ApiPath<ConversationId>,
) -> ApiResult<axum::Json<ThreadView>> {
    Ok(axum::Json(read(&state, &who, &ctx, id).await?))
}

/// Reads a thread (audited for staff).
pub async fn read(
    state: &AppState,
    who: &Principal,
    ctx: &Ctx,
    id: ConversationId,
) -> Result<ThreadView, ApiError> {
    author_of(who)?;
    let conversation = thread_for(state, who, id).await?;
    if who.staff_user().is_some() {
        ctx.record(
            state,
            who,
            "secure_message.view",
            format!("conversation:{id}"),
            serde_json::json!({"cardholder_id": conversation.cardholder}),
        )
        .await?;
    }
    view(state, &conversation, true).await
}

/// Writes in a thread (its cardholder, or an agent answering).
#[utoipa::path(post, path = "/api/v1/secure-messages/{id}/messages", tag = "secure-messages",
    params(("id" = String, Path, format = Uuid)), request_body = NewSecureMessage, responses(
    (status = 201, body = ThreadView),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = []), ("session" = [])))]
pub async fn reply(
    State(state): State<AppState>,
    Auth(who, ..): Auth<Anyone>,
    ctx: Ctx,
    ApiPath(id): ApiPath<ConversationId>,
    ApiJson(message): ApiJson<NewSecureMessage>,
) -> ApiResult<(StatusCode, axum::Json<ThreadView>)> {
    Ok((
        StatusCode::CREATED,
        axum::Json(write(&state, &who, &ctx, id, message).await?),
    ))
}

pub async fn write(
    state: &AppState,
    who: &Principal,
    ctx: &Ctx,
    id: ConversationId,
    message: NewSecureMessage,
) -> Result<ThreadView, ApiError> {
    let author = author_of(who)?;
    let conversation = thread_for(state, who, id).await?;
    if message.body.trim().is_empty() && message.attachments.is_empty() {
        return Err(ApiError::unprocessable(
            "secure_message.empty",
            "Write a message or attach a document.",
        ));
    }
    check_body(&message.body)?;
    check_attachments(state, &message.attachments).await?;
    if who.staff_user().is_some() {
        ctx.record(
            state,
            who,
            "secure_message.reply",
            format!("conversation:{id}"),
            serde_json::json!({"cardholder_id": conversation.cardholder}),
        )
        .await?;
    }
    let conversation = post(
        state,
        &conversation,
        author,
        &message.body,
        message.attachments,
    )
    .await?;
    view(state, &conversation, true).await
}

/// Uploads an attachment for a secure message (the raw bytes as the body: PDF, PNG, JPEG, WebP
/// or HEIC by content, at most 10 MiB); it is stored sealed. Refer to the answer in a message.
#[utoipa::path(post, path = "/api/v1/secure-messages/attachments", tag = "secure-messages", params(UploadParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"), responses(
    (status = 201, body = Object),
    (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = []), ("session" = [])))]
pub async fn upload(
    State(state): State<AppState>,
    Auth(who, ..): Auth<Anyone>,
    ApiQuery(params): ApiQuery<UploadParams>,
    body: Bytes,
) -> ApiResult<(StatusCode, axum::Json<AttachmentRef>)> {
    Ok((
        StatusCode::CREATED,
        axum::Json(
            store_upload(
                &state,
                &who,
                params.file_name.as_deref().unwrap_or(""),
                &body,
            )
            .await?,
        ),
    ))
}

/// Checks and seals an upload.
pub async fn store_upload(
    state: &AppState,
    who: &Principal,
    file_name: &str,
    body: &[u8],
) -> Result<AttachmentRef, ApiError> {
    author_of(who)?;
    let media = AttachmentPolicy::messages()
        .check(&body[..body.len().min(64)], body.len() as u64)
        .map_err(|e| ApiError::unprocessable("attachment.refused", e.to_string()))?;
    let sha256 = hex::encode(Sha256::digest(body));
    let reference = AttachmentRef::new(&sha256, file_name, media, body.len() as u64)
        .map_err(|e| ApiError::unprocessable("attachment.refused", e.to_string()))?;
    let (key_id, content) =
        sealed::seal_bytes(&state.secrets, &attachment_aad(&sha256), body).map_err(seal_failed)?;
    state
        .store
        .put_sealed_attachment(&SealedAttachment {
            sha256,
            key_id,
            media_type: media,
            size: body.len() as u64,
            content,
            created_at: state.clock.now(),
        })
        .await?;
    Ok(reference)
}

/// Downloads a secure-message attachment in clear: staff (audited), or the cardholder whose
/// thread carries it.
#[utoipa::path(get, path = "/api/v1/secure-messages/attachments/{sha256}", tag = "secure-messages",
    params(("sha256" = String, Path)), responses(
    (status = 200, content_type = "application/octet-stream"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = []), ("session" = [])))]
pub async fn download(
    State(state): State<AppState>,
    Auth(who, ..): Auth<Anyone>,
    ctx: Ctx,
    ApiPath(sha256): ApiPath<String>,
) -> ApiResult<Response> {
    let (media, bytes) = open_attachment(&state, &who, &ctx, &sha256.to_ascii_lowercase()).await?;
    Ok((
        [
            (header::CONTENT_TYPE, media),
            (header::CONTENT_DISPOSITION, "attachment"),
        ],
        bytes,
    )
        .into_response())
}

pub async fn open_attachment(
    state: &AppState,
    who: &Principal,
    ctx: &Ctx,
    sha256: &str,
) -> Result<(&'static str, Vec<u8>), ApiError> {
    author_of(who)?;
    let missing = || {
        ApiError::not_found(
            "attachment.not_found",
            format!("There is no attachment {sha256} of yours."),
        )
    };
    let found = state
        .store
        .sealed_attachment(sha256)
        .await?
        .ok_or_else(missing)?;
    if let Some(holder) = who.cardholder() {
        // Only the cardholder whose thread carries it.
        let mut carried = false;
        for s in state
            .store
            .conversations_of_cardholder(
                holder.id,
                Page {
                    limit: 200,
                    offset: 0,
                },
            )
            .await?
        {
            if s.conversation.channel != ConversationChannel::SecureMessage {
                continue;
            }
            let messages = state
                .store
                .messages_after(s.conversation.id, 0, 1000)
                .await?;
            if messages
                .iter()
                .any(|m| m.attachments.iter().any(|a| a.sha256 == sha256))
            {
                carried = true;
                break;
            }
        }
        if !carried {
            return Err(missing());
        }
    } else {
        ctx.record(
            state,
            who,
            "attachment.download",
            format!("attachment:{sha256}"),
            serde_json::json!({"sealed": true}),
        )
        .await?;
    }
    let clear = sealed::open_bytes(
        &state.secrets,
        &found.key_id,
        &attachment_aad(sha256),
        &found.content,
    )
    .map_err(seal_failed)?;
    Ok((found.media_type.mime(), clear))
}

/// The thread as a plain-text record the cardholder can download and keep.
#[utoipa::path(get, path = "/api/v1/secure-messages/{id}/record", tag = "secure-messages",
    params(("id" = String, Path, format = Uuid)), responses(
    (status = 200, content_type = "text/plain"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = []), ("session" = [])))]
pub async fn record(
    State(state): State<AppState>,
    Auth(who, ..): Auth<Anyone>,
    ctx: Ctx,
    ApiPath(id): ApiPath<ConversationId>,
) -> ApiResult<Response> {
    let thread = read(&state, &who, &ctx, id).await?;
    let mut text = format!(
        "Secure message record\nSubject: {}\nCase: {}\nThread: {}\nStarted: {}\n",
        thread.subject,
        thread.case_reference.as_deref().unwrap_or("-"),
        thread.id,
        thread.started_at
    );
    for m in &thread.messages {
        text.push_str(&format!(
            "\n--- #{} {} at {} ---\n{}\n",
            m.seq, m.author, m.sent_at, m.body
        ));
        for a in &m.attachments {
            text.push_str(&format!(
                "[attachment: {} ({}, {} bytes, sha256 {})]\n",
                a.file_name, a.media_type, a.size, a.sha256
            ));
        }
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"secure-message-{id}.txt\""),
            ),
        ],
        text,
    )
        .into_response())
}
