//! Live chat (product §3): cardholders (portal session) and anonymous visitors (a name and a
//! chat token) start conversations, which enter the switchboard; an agent who accepts the offer
//! answers from the console. Messages flow over one WebSocket per client
//! (`/api/v1/chat/live`), each stored before it is acknowledged. A chat nobody can answer (no
//! agent staffed, or the visitor leaves before an answer) becomes a case instead of vanishing.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::ws::{Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cases::attachment::{AttachmentPolicy, AttachmentRef};
use cases::conversation::{
    Author, Conversation, ConversationChannel, ConversationStatus, Delivery, Draft, Side,
};
use cases::{Actor, NewCase};
use domain::{CaseId, Channel, ContactId, ConversationId, Department, Lang, Reason, Tier};
use routing::{ContactKind, ContactPhase};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use store::cases::{Guest, StoredAttachment, StoredConversation};
use store::{AuditRecord, Effects, NewEvent, Page};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use utoipa::{IntoParams, ToSchema};

use super::extract::{ApiJson, ApiPath, ApiQuery};
use crate::auth::{Auth, Ctx, MaybePrincipal, Principal, Staff, token};
use crate::chat::{ChatHub, MessageView};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::switchboard::ContactEntry;

/// The header a visitor's requests carry their chat token in.
pub const CHAT_TOKEN_HEADER: &str = "x-chat-token";
const NAME_MAX: usize = 80;

/// The author a caller writes as in a conversation, or why they may not.
fn author_in(principal: &Principal, stored: &StoredConversation) -> Result<Author, ApiError> {
    if let Some(user) = principal.staff_user() {
        return Ok(Author::Agent(user.id));
    }
    match (principal.cardholder(), stored.conversation.cardholder) {
        (Some(c), Some(owner)) if c.id == owner => Ok(Author::Cardholder),
        _ => Err(not_yours(stored.conversation.id)),
    }
}

fn not_yours(id: ConversationId) -> ApiError {
    ApiError::not_found(
        "chat.not_found",
        format!(
            "There is no conversation {id} of yours; list yours at /api/v1/chat/conversations."
        ),
    )
}

async fn guest_conversation(state: &AppState, token: &str) -> Result<StoredConversation, ApiError> {
    state
        .store
        .conversation_by_guest_token(&token::digest(token.trim()))
        .await?
        .ok_or_else(|| {
            ApiError::unauthorized(
                "The chat token is not valid; start a new chat at POST /api/v1/chat/conversations.",
            )
            .with_code("chat.bad_token")
        })
}

fn header_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get(CHAT_TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Loads a conversation the caller may use, and the author they write as.
async fn open_for(
    state: &AppState,
    principal: Option<&Principal>,
    guest_token: Option<&str>,
    id: ConversationId,
) -> Result<(StoredConversation, Author), ApiError> {
    if let Some(token) = guest_token {
        let stored = guest_conversation(state, token).await?;
        if stored.conversation.id != id {
            return Err(not_yours(id));
        }
        return Ok((stored, Author::Cardholder));
    }
    let Some(principal) = principal else {
        return Err(ApiError::unauthorized(
            "Sign in to the portal, or send the chat token you got when starting the chat.",
        ));
    };
    let stored = state
        .store
        .conversation(id)
        .await?
        .ok_or_else(|| not_yours(id))?;
    let author = author_in(principal, &stored)?;
    Ok((stored, author))
}

/// A new chat. Signed-in cardholders need nothing; visitors give their name.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartChat {
    /// Visitors only: how the agent should address you.
    pub name: Option<String>,
    /// What it is about; default general.
    #[schema(value_type = Option<String>, example = "lost_stolen")]
    pub reason: Option<Reason>,
    /// Visitors only (cardholders use their own); default en.
    #[schema(value_type = Option<String>, example = "es")]
    pub language: Option<Lang>,
    /// The first message, if any.
    pub message: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChatStarted {
    #[schema(value_type = String, format = Uuid)]
    pub conversation_id: ConversationId,
    /// Visitors only, shown once: send it in `X-Chat-Token` and in the WebSocket `join`.
    pub guest_token: Option<String>,
    /// `offered` or `waiting` (an agent will answer), or `offline` (nobody can answer now: the
    /// chat became case `case_reference` and will be answered later).
    pub status: String,
    pub estimated_wait_secs: Option<f64>,
    pub case_reference: Option<String>,
}

/// Starts a chat and puts it in the queues.
#[utoipa::path(post, path = "/api/v1/chat/conversations", tag = "chat", request_body = StartChat, responses(
    (status = 201, body = ChatStarted),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
))]
pub async fn start(
    State(state): State<AppState>,
    MaybePrincipal(principal): MaybePrincipal,
    ctx: Ctx,
    ApiJson(request): ApiJson<StartChat>,
) -> ApiResult<(StatusCode, axum::Json<ChatStarted>)> {
    let now = state.clock.now();
    let cardholder = match &principal {
        Some(p) if p.cardholder().is_some() => p.cardholder().cloned(),
        Some(_) => {
            return Err(ApiError::forbidden(
                "Staff answer chats from the console; chats are started by cardholders and visitors.",
            )
            .with_code("chat.staff"));
        }
        None => None,
    };
    let (guest, guest_token) = match &cardholder {
        Some(_) => (None, None),
        None => {
            let name = request.name.as_deref().unwrap_or("").trim().to_owned();
            if name.is_empty()
                || name.chars().count() > NAME_MAX
                || name.chars().any(char::is_control)
            {
                return Err(ApiError::unprocessable(
                    "chat.name_required",
                    format!(
                        "Give your name (1 to {NAME_MAX} characters) so the agent can address you, or sign in to the portal."
                    ),
                ));
            }
            let secret = token::generate("hc_");
            (
                Some(Guest {
                    name,
                    token_hash: token::digest(&secret),
                }),
                Some(secret),
            )
        }
    };
    let conversation = Conversation::start(
        ConversationId::new(),
        ConversationChannel::Chat,
        cardholder.as_ref().map(|c| c.id),
        cardholder.as_ref().map(|c| c.tier),
        now,
    );
    let id = conversation.id;
    let actor_name = principal
        .as_ref()
        .map_or_else(|| format!("guest:{id}"), Principal::audit_name);
    let audit = AuditRecord {
        at: now,
        actor: actor_name,
        action: "chat.start".to_owned(),
        subject: format!("conversation:{id}"),
        ip: ctx.ip.clone(),
        request_id: crate::request_id::current_request_id(),
        detail: serde_json::json!({}),
    };
    state
        .store
        .insert_conversation(
            &conversation,
            guest.as_ref(),
            Effects::none()
                .event(NewEvent::new(
                    "conversation.started",
                    format!("conversation:{id}"),
                    serde_json::json!({"channel": "chat", "cardholder_id": conversation.cardholder}),
                ))
                .audit(audit.clone()),
        )
        .await?;
    if let Some(text) = request.message.as_deref().filter(|t| !t.trim().is_empty()) {
        state
            .chat
            .post(
                id,
                Draft {
                    author: Author::Cardholder,
                    body: text.to_owned(),
                    attachments: Vec::new(),
                    client_key: None,
                },
            )
            .await?;
    }
    // A reason the visitor picked stands; otherwise their own words are classified, the
    // contact routed by the suggestion and the agent shown what it was (a case made of the chat
    // can be reclassified or transferred).
    let routed = match (request.reason, request.message.as_deref()) {
        (None, Some(text)) => crate::intent::route(&state.intent, text).await,
        _ => None,
    };
    let department = routed.as_ref().and_then(|r| r.department);
    let reason = request
        .reason
        .or(department.map(Reason::for_department))
        .unwrap_or(Reason::General);
    let notes = routed.as_ref().map(suggestion_note).into_iter().collect();
    let entered = state
        .switchboard
        .enter_with_notes(
            ContactEntry {
                id: ContactId(id.0),
                kind: ContactKind::Chat,
                channel: Channel::Chat,
                reason,
                department,
                tier: cardholder.as_ref().map_or(Tier::Green, |c| c.tier),
                lang: cardholder
                    .as_ref()
                    .map(|c| c.language)
                    .or(request.language)
                    .unwrap_or(Lang::En),
                relationship_manager: cardholder.as_ref().and_then(|c| c.relationship_manager),
                cardholder: cardholder.as_ref().map(|c| c.id),
                home_hub: None,
                waiting_since: None,
                context_id: format!("conversation:{id}"),
            },
            notes,
            Vec::new(),
        )
        .await?;
    let offline = entered.status == "waiting" && entered.estimated_wait_secs.is_none();
    let case_reference = if offline {
        state
            .switchboard
            .abandon(ContactId(id.0), Vec::new())
            .await?;
        Some(chat_to_case(&state, id, reason, department, "chat.offline").await?)
    } else {
        None
    };
    Ok((
        StatusCode::CREATED,
        axum::Json(ChatStarted {
            conversation_id: id,
            guest_token,
            status: if offline {
                "offline".to_owned()
            } else {
                entered.status
            },
            estimated_wait_secs: entered.estimated_wait_secs,
            case_reference,
        }),
    ))
}

/// What the agent sees on the offer: the model's suggestion, or its unsure best guess.
fn suggestion_note(routed: &crate::intent::Routed) -> String {
    let percent = (routed.confidence * 100.0).round();
    match routed.department {
        Some(department) => format!(
            "Suggested from the first message: {department} ({}, {percent} %)",
            routed.intent
        ),
        None => format!(
            "Unsure from the first message, perhaps {} ({}, {percent} %): ask what it is about",
            routed.best_guess, routed.intent
        ),
    }
}

/// Makes a case of a chat nobody answered (unless it has one) and tells the visitor its
/// reference; returns the reference.
async fn chat_to_case(
    state: &AppState,
    id: ConversationId,
    reason: Reason,
    department: Option<Department>,
    why: &str,
) -> Result<String, ApiError> {
    let stored = state
        .store
        .conversation(id)
        .await?
        .ok_or_else(|| not_yours(id))?;
    if let Some(case) = stored.conversation.case {
        return Ok(crate::casework::load(state, case)
            .await?
            .reference
            .to_string());
    }
    let first = state.store.messages_after(id, 0, 1).await?;
    let subject = first.first().map_or_else(
        || {
            format!(
                "Chat from {}",
                stored.guest_name.as_deref().unwrap_or("a cardholder")
            )
        },
        |m| cases::case::subject_from_text(&m.body),
    );
    let subject = if subject.trim().is_empty() {
        "Chat".to_owned()
    } else {
        subject
    };
    let actor = stored
        .conversation
        .cardholder
        .map_or(Actor::System, Actor::Cardholder);
    let mut case = crate::casework::open(
        state,
        NewCase {
            id: CaseId::new(),
            reference: cases::CaseRef::generate(0),
            cardholder: stored.conversation.cardholder,
            tier: stored.conversation.tier,
            subject,
            reason,
            department,
            channel: Channel::Chat,
        },
        actor,
        Vec::new(),
    )
    .await?;
    (case, _) = crate::casework::change(
        state,
        case.id,
        cases::CaseCommand::LinkConversation { conversation: id },
        Actor::System,
        Vec::new(),
    )
    .await?;
    let case_id = case.id;
    state
        .chat
        .update(id, |c| {
            c.link_case(case_id).ok().flatten().map(|e| {
                NewEvent::new(
                    "conversation.linked_to_case",
                    format!("conversation:{id}"),
                    serde_json::json!({"event": e, "why": why}),
                )
            })
        })
        .await?;
    let reference = case.reference.to_string();
    state
        .chat
        .post(
            id,
            Draft {
                author: Author::System,
                body: format!(
                    "No agent can answer right now. We have opened case {reference} and will reply as soon as we can."
                ),
                attachments: Vec::new(),
                client_key: None,
            },
        )
        .await?;
    Ok(reference)
}

/// A conversation as its participants see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationView {
    #[schema(value_type = String, format = Uuid)]
    pub id: ConversationId,
    pub status: String,
    pub last_seq: u64,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub case_id: Option<CaseId>,
    pub guest_name: Option<String>,
    #[schema(value_type = String)]
    pub started_at: jiff::Timestamp,
    #[schema(value_type = Option<String>)]
    pub last_message_at: Option<jiff::Timestamp>,
    /// How far the cardholder has received / read the issuer's messages.
    pub cardholder_read_up_to: u64,
    pub issuer_read_up_to: u64,
}

impl From<&StoredConversation> for ConversationView {
    fn from(s: &StoredConversation) -> Self {
        let c = &s.conversation;
        ConversationView {
            id: c.id,
            status: match c.status {
                ConversationStatus::Open => "open",
                ConversationStatus::Closed => "closed",
            }
            .to_owned(),
            last_seq: c.last_seq,
            case_id: c.case,
            guest_name: s.guest_name.clone(),
            started_at: c.started_at,
            last_message_at: c.last_message_at,
            cardholder_read_up_to: c.cardholder_receipts.read_up_to,
            issuer_read_up_to: c.issuer_receipts.read_up_to,
        }
    }
}

/// The signed-in cardholder's conversations, newest first.
#[utoipa::path(get, path = "/api/v1/chat/conversations", tag = "chat", responses(
    (status = 200, body = Vec<ConversationView>),
    (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
))]
pub async fn mine(
    State(state): State<AppState>,
    Auth(who, ..): Auth<crate::auth::Cardholders>,
) -> ApiResult<axum::Json<Vec<ConversationView>>> {
    let Some(c) = who.cardholder() else {
        return Err(ApiError::forbidden(
            "Only cardholders have conversations of their own.",
        ));
    };
    let list = state
        .store
        .conversations_of_cardholder(c.id, Page::default())
        .await?;
    Ok(axum::Json(
        list.iter().map(ConversationView::from).collect(),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AfterParams {
    /// The last sequence number you have; default 0 (from the start).
    pub after_seq: Option<u64>,
    /// At most 500; default 100.
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessagePage {
    pub conversation: ConversationView,
    pub messages: Vec<MessageView>,
}

/// A conversation and its messages after `after_seq` (for clients without WebSockets, and
/// the case view). Staff reads are audited.
#[utoipa::path(get, path = "/api/v1/chat/conversations/{id}/messages", tag = "chat",
    params(("id" = String, Path, format = Uuid), AfterParams), responses(
    (status = 200, body = MessagePage),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
))]
pub async fn messages(
    State(state): State<AppState>,
    MaybePrincipal(principal): MaybePrincipal,
    headers: HeaderMap,
    ctx: Ctx,
    ApiPath(id): ApiPath<ConversationId>,
    ApiQuery(params): ApiQuery<AfterParams>,
) -> ApiResult<axum::Json<MessagePage>> {
    let token = header_token(&headers);
    let (stored, author) = open_for(&state, principal.as_ref(), token.as_deref(), id).await?;
    if let (Author::Agent(_), Some(p)) = (author, &principal) {
        ctx.record(
            &state,
            p,
            "chat.read",
            format!("conversation:{id}"),
            serde_json::json!({}),
        )
        .await?;
    }
    let limit = params.limit.unwrap_or(100).clamp(1, 500);
    let messages = state
        .store
        .messages_after(id, params.after_seq.unwrap_or(0), limit)
        .await?;
    Ok(axum::Json(MessagePage {
        conversation: ConversationView::from(&stored),
        messages: messages.iter().map(MessageView::of).collect(),
    }))
}

/// Ends a chat. A chat that no agent answered becomes a case, so nothing is lost.
#[utoipa::path(post, path = "/api/v1/chat/conversations/{id}/close", tag = "chat",
    params(("id" = String, Path, format = Uuid)), responses(
    (status = 200, body = ConversationView),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
))]
pub async fn close(
    State(state): State<AppState>,
    MaybePrincipal(principal): MaybePrincipal,
    headers: HeaderMap,
    ApiPath(id): ApiPath<ConversationId>,
) -> ApiResult<axum::Json<ConversationView>> {
    let token = header_token(&headers);
    open_for(&state, principal.as_ref(), token.as_deref(), id).await?;
    let contact = ContactId(id.0);
    let answered = match state.switchboard.contact(contact).await.map(|c| c.phase) {
        Some(ContactPhase::Connected { .. }) => true,
        Some(_) => {
            state.switchboard.abandon(contact, Vec::new()).await?;
            false
        }
        None => state
            .store
            .messages_after(id, 0, 1000)
            .await?
            .iter()
            .any(|m| matches!(m.author, Author::Agent(_))),
    };
    if !answered {
        chat_to_case(&state, id, Reason::General, None, "chat.abandoned").await?;
    }
    state
        .chat
        .update(id, |c| {
            c.close()
                .map(|e| NewEvent::new("conversation.closed", format!("conversation:{id}"), &e))
        })
        .await?;
    let stored = state
        .store
        .conversation(id)
        .await?
        .ok_or_else(|| not_yours(id))?;
    Ok(axum::Json(ConversationView::from(&stored)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UploadParams {
    /// The file's name as the sender knows it (cleaned before it is shown); default
    /// `attachment`.
    pub file_name: Option<String>,
}

/// Uploads a document (the raw bytes as the body); refer to the returned attachment in a
/// message. The type is decided by the content: PDF, PNG, JPEG, WebP or HEIC, at most 10 MiB.
#[utoipa::path(post, path = "/api/v1/attachments", tag = "chat", params(UploadParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"), responses(
    (status = 201, body = Object),
    (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
))]
pub async fn upload(
    State(state): State<AppState>,
    MaybePrincipal(principal): MaybePrincipal,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<UploadParams>,
    body: Bytes,
) -> ApiResult<(StatusCode, axum::Json<AttachmentRef>)> {
    if principal.is_none() {
        match header_token(&headers) {
            Some(token) => {
                guest_conversation(&state, &token).await?;
            }
            None => {
                return Err(ApiError::unauthorized(
                    "Sign in, or send your chat token in X-Chat-Token.",
                ));
            }
        }
    }
    let media = AttachmentPolicy::messages()
        .check(&body[..body.len().min(64)], body.len() as u64)
        .map_err(|e| ApiError::unprocessable("attachment.refused", e.to_string()))?;
    let sha256 = hex::encode(Sha256::digest(&body));
    let reference = AttachmentRef::new(
        &sha256,
        params.file_name.as_deref().unwrap_or(""),
        media,
        body.len() as u64,
    )
    .map_err(|e| ApiError::unprocessable("attachment.refused", e.to_string()))?;
    state
        .store
        .put_attachment(&StoredAttachment {
            sha256,
            media_type: media,
            content: body.to_vec(),
            created_at: state.clock.now(),
        })
        .await?;
    Ok((StatusCode::CREATED, axum::Json(reference)))
}

/// Downloads an attachment (staff; audited).
#[utoipa::path(get, path = "/api/v1/attachments/{sha256}", tag = "chat",
    params(("sha256" = String, Path)), responses(
    (status = 200, content_type = "application/octet-stream"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = []), ("session" = [])))]
pub async fn download(
    State(state): State<AppState>,
    Auth(who, ..): Auth<Staff>,
    ctx: Ctx,
    ApiPath(sha256): ApiPath<String>,
) -> ApiResult<Response> {
    let found = state
        .store
        .attachment(&sha256.to_ascii_lowercase())
        .await?
        .ok_or_else(|| {
            ApiError::not_found(
                "attachment.not_found",
                format!("There is no attachment {sha256}."),
            )
        })?;
    ctx.record(
        &state,
        &who,
        "attachment.download",
        format!("attachment:{}", found.sha256),
        serde_json::json!({}),
    )
    .await?;
    Ok((
        [
            (header::CONTENT_TYPE, found.media_type.mime()),
            (header::CONTENT_DISPOSITION, "attachment"),
        ],
        found.content,
    )
        .into_response())
}

/// What a client sends over the chat WebSocket.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum ClientFrame {
    /// Follow a conversation from `after_seq` (the last sequence number you have).
    Join {
        conversation: ConversationId,
        #[serde(default)]
        after_seq: u64,
        guest_token: Option<String>,
    },
    /// Post a message; `client_key` makes a retry safe.
    Send {
        conversation: ConversationId,
        client_key: String,
        #[serde(default)]
        body: String,
        #[serde(default)]
        attachments: Vec<AttachmentRef>,
    },
    Typing {
        conversation: ConversationId,
    },
    Receipt {
        conversation: ConversationId,
        delivery: Delivery,
        up_to: u64,
    },
    Leave {
        conversation: ConversationId,
    },
}

/// The chat WebSocket. Frames are JSON text. Send `join` (visitors add `guest_token`) for each
/// conversation; then `send` (answered by `ack` once stored), `typing`, `receipt`. You receive
/// `message` (with `seq`), `resumed` (caught up to `last_seq`), `typing`, `receipt`,
/// `conversation` (status or case changed) and `error`. After a dropped connection, join again
/// with the last `seq` you showed: you get exactly what you missed.
#[utoipa::path(get, path = "/api/v1/chat/live", tag = "chat", responses(
    (status = 101, description = "Switching to the WebSocket protocol"),
))]
pub async fn live(
    State(state): State<AppState>,
    MaybePrincipal(principal): MaybePrincipal,
    headers: HeaderMap,
    ctx: Ctx,
    upgrade: WebSocketUpgrade,
) -> Response {
    // Browsers send cookies on cross-site handshakes: a session only counts from our own pages
    // (visitors on an issuer's site authenticate with their chat token instead).
    let principal = principal.filter(|_| super::routing::same_origin(&headers));
    upgrade
        .read_buffer_size(4 * 1024)
        .write_buffer_size(4 * 1024)
        .max_message_size(64 * 1024)
        .on_upgrade(move |socket| connection(socket, state, principal, ctx))
        .into_response()
}

fn error_frame(code: &str, detail: &str) -> String {
    serde_json::json!({"type": "error", "code": code, "detail": detail}).to_string()
}

fn api_error_frame(err: &ApiError) -> String {
    let problem = err.problem();
    error_frame(problem.code.as_str(), &problem.detail)
}

struct Joined {
    author: Author,
    stop: CancellationToken,
}

async fn connection(
    mut socket: WebSocket,
    state: AppState,
    principal: Option<Principal>,
    ctx: Ctx,
) {
    let (out, mut inbox) = mpsc::channel::<Arc<str>>(256);
    let closing = state.switchboard.closed();
    let mut joined: HashMap<ConversationId, Joined> = HashMap::new();
    loop {
        tokio::select! {
            incoming = socket.recv() => {
                let text = match incoming {
                    Some(Ok(WsMessage::Text(text))) => text,
                    Some(Ok(WsMessage::Close(_)) | Err(_)) | None => break,
                    Some(Ok(_)) => continue,
                };
                let reply = match serde_json::from_str::<ClientFrame>(text.as_str()) {
                    Ok(frame) => handle(&state, principal.as_ref(), &ctx, &mut joined, &out, frame).await,
                    Err(err) => Some(error_frame("chat.bad_frame", &format!("The frame is not a chat frame: {err}"))),
                };
                if let Some(reply) = reply
                    && socket.send(WsMessage::Text(reply.into())).await.is_err()
                {
                    break;
                }
            }
            Some(text) = inbox.recv() => {
                if socket.send(WsMessage::Text(text.as_ref().into())).await.is_err() {
                    break;
                }
            }
            () = closing.cancelled() => {
                let _ = socket.send(WsMessage::Close(None)).await;
                break;
            }
        }
    }
    for (_, j) in joined {
        j.stop.cancel();
    }
}

async fn handle(
    state: &AppState,
    principal: Option<&Principal>,
    ctx: &Ctx,
    joined: &mut HashMap<ConversationId, Joined>,
    out: &mpsc::Sender<Arc<str>>,
    frame: ClientFrame,
) -> Option<String> {
    let hub: &Arc<ChatHub> = &state.chat;
    let member = |joined: &HashMap<ConversationId, Joined>, id: ConversationId| {
        joined.get(&id).map(|j| j.author).ok_or_else(|| {
            error_frame(
                "chat.not_joined",
                &format!("Join conversation {id} before using it."),
            )
        })
    };
    match frame {
        ClientFrame::Join {
            conversation,
            after_seq,
            guest_token,
        } => {
            let (stored, author) =
                match open_for(state, principal, guest_token.as_deref(), conversation).await {
                    Ok(found) => found,
                    Err(err) => return Some(api_error_frame(&err)),
                };
            if after_seq > stored.conversation.last_seq {
                return Some(error_frame(
                    "chat.resume_ahead",
                    &format!(
                        "You have seen up to {after_seq}, but the conversation has only {} messages; join from {} or reload.",
                        stored.conversation.last_seq, stored.conversation.last_seq
                    ),
                ));
            }
            if let (Author::Agent(_), Some(p)) = (author, principal) {
                let subject = format!("conversation:{conversation}");
                let audited = ctx
                    .record(state, p, "chat.join", subject, serde_json::json!({}))
                    .await;
                if let Err(err) = audited {
                    return Some(api_error_frame(&err));
                }
            }
            if let Some(old) = joined.remove(&conversation) {
                old.stop.cancel();
            }
            let stop = CancellationToken::new();
            hub.follow(conversation, after_seq, out.clone(), stop.clone());
            joined.insert(conversation, Joined { author, stop });
            None
        }
        ClientFrame::Send {
            conversation,
            client_key,
            body,
            attachments,
        } => {
            let author = match member(joined, conversation) {
                Ok(a) => a,
                Err(e) => return Some(e),
            };
            for a in &attachments {
                match state.store.attachment(&a.sha256).await {
                    Ok(Some(found)) if found.media_type == a.media_type => {}
                    Ok(_) => {
                        return Some(error_frame(
                            "chat.unknown_attachment",
                            &format!(
                                "Attachment {} was not uploaded; POST it to /api/v1/attachments first.",
                                a.sha256
                            ),
                        ));
                    }
                    Err(err) => return Some(api_error_frame(&err.into())),
                }
            }
            let draft = Draft {
                author,
                body,
                attachments,
                client_key: Some(client_key.clone()),
            };
            match hub.post(conversation, draft).await {
                Ok(message) => Some(
                    serde_json::json!({
                        "type": "ack",
                        "conversation": conversation,
                        "client_key": client_key,
                        "seq": message.seq,
                        "id": message.id,
                    })
                    .to_string(),
                ),
                Err(err) => Some(
                    serde_json::json!({
                        "type": "error",
                        "code": err.problem().code,
                        "detail": err.problem().detail,
                        "client_key": client_key,
                    })
                    .to_string(),
                ),
            }
        }
        ClientFrame::Typing { conversation } => {
            match member(joined, conversation) {
                Ok(author) => hub.typing(conversation, writer_side(author)),
                Err(e) => return Some(e),
            }
            None
        }
        ClientFrame::Receipt {
            conversation,
            delivery,
            up_to,
        } => {
            let author = match member(joined, conversation) {
                Ok(a) => a,
                Err(e) => return Some(e),
            };
            // The reader is the writer's own side: a cardholder reads the issuer's messages.
            let reader = match author {
                Author::Cardholder => Side::Cardholder,
                _ => Side::Issuer,
            };
            hub.receipt(conversation, reader, delivery, up_to)
                .await
                .err()
                .map(|e| api_error_frame(&e))
        }
        ClientFrame::Leave { conversation } => {
            if let Some(j) = joined.remove(&conversation) {
                j.stop.cancel();
            }
            None
        }
    }
}

/// Which side a writer is on (for typing indicators).
fn writer_side(author: Author) -> Side {
    match author {
        Author::Cardholder => Side::Cardholder,
        _ => Side::Issuer,
    }
}
