//! Routing (product §4): contacts enter queues (integrations: chat, the IVR, callbacks), agents
//! set their presence and accept offers (the console, with a WebSocket that pushes changes),
//! supervisors read the live figures and set agents' skills.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::{
    AgentId, CardholderId, Channel, ContactId, Department, Lang, Reason, Tier, Timestamp, UserId,
};
use routing::{AgentProfile, Availability, Capacity, ContactKind, Hub, Proficiency};
use serde::{Deserialize, Serialize};
use store::User;
use tokio::sync::broadcast::error::RecvError;
use utoipa::ToSchema;

use super::cardholders::view_cardholder;
use super::extract::{ApiJson, ApiPath};
use crate::auth::{Auth, Ctx, Integrations, Principal, Staff, Supervisors};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::switchboard::{
    AgentOverview, ConsoleView, ContactEntry, Entered, Switchboard, agent_of,
};

/// A contact to route. Give `tier` and `language`, or a `cardholder_id` to take them (and the
/// relationship manager) from the cardholder.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewContactRequest {
    /// Your id for the contact (a UUID); a retry with the same id is refused with 409 instead of
    /// queueing the contact twice. Default: a new id.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub id: Option<ContactId>,
    /// phone, chat, in_app, secure_message, email, social, mail or fax.
    #[schema(value_type = String, example = "phone")]
    pub channel: Channel,
    /// call, chat, message or callback; default: from the channel.
    #[schema(value_type = Option<String>)]
    pub kind: Option<ContactKind>,
    #[schema(value_type = String, example = "lost_stolen")]
    pub reason: Reason,
    /// Default: the department that handles the reason.
    #[schema(value_type = Option<String>)]
    pub department: Option<Department>,
    #[schema(value_type = Option<String>, example = "platinum")]
    pub tier: Option<Tier>,
    #[schema(value_type = Option<String>, example = "es")]
    pub language: Option<Lang>,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub cardholder_id: Option<CardholderId>,
    /// A staff user id; they are offered the contact first while they are signed in.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub relationship_manager: Option<UserId>,
    /// new_york, london, sydney, mumbai or tokyo; default: follow the sun.
    #[schema(value_type = Option<String>)]
    pub home_hub: Option<Hub>,
    /// When the cardholder started waiting (e.g. entered the IVR); default: now.
    #[schema(value_type = Option<String>)]
    pub waiting_since: Option<Timestamp>,
    /// Your reference for the contact (case, conversation or call id): shown to the agent.
    pub context_id: String,
}

const MAX_CONTEXT_ID: usize = 200;

/// Puts a contact in the queues (chat, IVR hand-off, callback).
#[utoipa::path(post, path = "/api/v1/routing/contacts", tag = "routing", request_body = NewContactRequest, responses(
    (status = 201, body = Entered),
    (status = 404, description = "Unknown cardholder", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "A contact with this id is already being routed", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
pub async fn enter(
    State(state): State<AppState>,
    Auth(caller, ..): Auth<Integrations>,
    ctx: Ctx,
    ApiJson(request): ApiJson<NewContactRequest>,
) -> ApiResult<(StatusCode, axum::Json<Entered>)> {
    let context_id = request.context_id.trim().to_owned();
    if context_id.is_empty()
        || context_id.chars().count() > MAX_CONTEXT_ID
        || context_id.chars().any(char::is_control)
    {
        return Err(ApiError::unprocessable(
            "routing.invalid_context_id",
            format!(
                "context_id must be 1 to {MAX_CONTEXT_ID} printable characters (your case, conversation or call reference)."
            ),
        ));
    }
    let kind = match request.kind {
        Some(kind) => kind,
        None => ContactKind::for_channel(request.channel).ok_or_else(|| {
            ApiError::unprocessable(
                "routing.not_routable",
                format!(
                    "Contacts on channel {} are booked, not routed; use another channel.",
                    request.channel
                ),
            )
        })?,
    };
    let cardholder = match request.cardholder_id {
        Some(id) => Some(view_cardholder(&state, &caller, &ctx, id).await?),
        None => None,
    };
    let (Some(tier), Some(lang)) = (
        request.tier.or(cardholder.as_ref().map(|c| c.tier)),
        request.language.or(cardholder.as_ref().map(|c| c.language)),
    ) else {
        return Err(ApiError::unprocessable(
            "routing.missing_field",
            "Give tier and language, or a cardholder_id to take them from.",
        ));
    };
    let entry = ContactEntry {
        id: request.id.unwrap_or_default(),
        kind,
        channel: request.channel,
        reason: request.reason,
        department: request.department,
        tier,
        lang,
        relationship_manager: request
            .relationship_manager
            .or(cardholder.as_ref().and_then(|c| c.relationship_manager)),
        cardholder: request.cardholder_id,
        home_hub: request.home_hub,
        waiting_since: request.waiting_since,
        context_id,
    };
    let audit = ctx.audit(
        &caller,
        state.clock.now(),
        "routing.contact.enter",
        format!("contact:{}", entry.id),
        serde_json::json!({"context_id": entry.context_id, "reason": entry.reason, "tier": tier}),
    );
    let entered = state.switchboard.enter(entry, vec![audit]).await?;
    Ok((StatusCode::CREATED, axum::Json(entered)))
}

/// Where a contact is in routing (waiting, offered or connected).
#[utoipa::path(get, path = "/api/v1/routing/contacts/{id}", tag = "routing", params(("id" = String, Path, format = Uuid)), responses(
    (status = 200, body = Object),
    (status = 404, description = "Not in routing (never entered, or finished)", body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
pub async fn contact(
    State(state): State<AppState>,
    _caller: Auth<Integrations>,
    ApiPath(id): ApiPath<ContactId>,
) -> ApiResult<axum::Json<routing::ContactStatus>> {
    state
        .switchboard
        .contact(id)
        .await
        .map(axum::Json)
        .ok_or_else(|| not_in_routing(id))
}

fn not_in_routing(id: ContactId) -> ApiError {
    ApiError::not_found(
        "routing.contact_not_found",
        format!(
            "Contact {id} is not in routing: it never entered, or it was completed or abandoned."
        ),
    )
}

/// The cardholder hung up or left the chat before an agent answered.
#[utoipa::path(post, path = "/api/v1/routing/contacts/{id}/abandon", tag = "routing", params(("id" = String, Path, format = Uuid)), responses(
    (status = 204, description = "Removed from the queue"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "Already answered", body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
pub async fn abandon(
    State(state): State<AppState>,
    Auth(caller, ..): Auth<Integrations>,
    ctx: Ctx,
    ApiPath(id): ApiPath<ContactId>,
) -> ApiResult<StatusCode> {
    let audit = contact_audit(&state, &caller, &ctx, "routing.contact.abandon", id);
    state.switchboard.abandon(id, audit).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller accepted a callback: they hang up and keep their place in the queue.
#[utoipa::path(post, path = "/api/v1/routing/contacts/{id}/callback", tag = "routing", params(("id" = String, Path, format = Uuid)), responses(
    (status = 204, description = "Now a callback"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "Not a waiting call", body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
pub async fn callback(
    State(state): State<AppState>,
    Auth(caller, ..): Auth<Integrations>,
    ctx: Ctx,
    ApiPath(id): ApiPath<ContactId>,
) -> ApiResult<StatusCode> {
    let audit = contact_audit(&state, &caller, &ctx, "routing.contact.callback", id);
    state.switchboard.convert_to_callback(id, audit).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn contact_audit(
    state: &AppState,
    who: &Principal,
    ctx: &Ctx,
    action: &str,
    id: ContactId,
) -> Vec<store::AuditRecord> {
    vec![ctx.audit(
        who,
        state.clock.now(),
        action,
        format!("contact:{id}"),
        serde_json::json!({}),
    )]
}

/// The signed-in staff member as an agent. API tokens cannot take contacts.
fn console_agent(who: &Principal) -> ApiResult<(AgentId, &User)> {
    let user = who.staff_user().ok_or_else(|| {
        ApiError::forbidden("The agent console is for signed-in staff, not API tokens.")
            .with_code("routing.staff_only")
    })?;
    Ok((agent_of(user.id), user))
}

fn no_profile(user: &User) -> ApiError {
    ApiError::conflict(
        "routing.no_profile",
        format!(
            "{} has no routing profile (hub, languages, departments, tiers); a supervisor sets it with PUT /api/v1/routing/agents/{}.",
            user.email, user.id
        ),
    )
}

/// The caller's console: presence, offers (with their countdown) and contacts in hand.
#[utoipa::path(get, path = "/api/v1/routing/console", tag = "routing", responses(
    (status = 200, body = ConsoleView),
    (status = 409, description = "The caller has no routing profile", body = crate::error::Problem, content_type = "application/problem+json"),
), security(("session" = [])))]
pub async fn console(
    State(state): State<AppState>,
    Auth(who, ..): Auth<Staff>,
) -> ApiResult<axum::Json<ConsoleView>> {
    console_of(&state, &who).await
}

async fn console_of(state: &AppState, who: &Principal) -> ApiResult<axum::Json<ConsoleView>> {
    let (agent, user) = console_agent(who)?;
    state
        .switchboard
        .console(agent)
        .await
        .map(axum::Json)
        .ok_or_else(|| no_profile(user))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PresenceRequest {
    /// available, break or offline.
    #[schema(value_type = String, example = "available")]
    pub availability: Availability,
}

/// Go available, take a break or sign off from routing.
#[utoipa::path(put, path = "/api/v1/routing/console/presence", tag = "routing", request_body = PresenceRequest, responses(
    (status = 200, body = ConsoleView),
    (status = 409, description = "The caller has no routing profile", body = crate::error::Problem, content_type = "application/problem+json"),
), security(("session" = [])))]
pub async fn set_presence(
    State(state): State<AppState>,
    Auth(who, ..): Auth<Staff>,
    ctx: Ctx,
    ApiJson(request): ApiJson<PresenceRequest>,
) -> ApiResult<axum::Json<ConsoleView>> {
    let (agent, user) = console_agent(&who)?;
    if !state.switchboard.is_agent(agent).await {
        return Err(no_profile(user));
    }
    let audit = ctx.audit(
        &who,
        state.clock.now(),
        "routing.presence",
        format!("agent:{agent}"),
        serde_json::json!({"availability": request.availability}),
    );
    state
        .switchboard
        .set_availability(agent, request.availability, vec![audit])
        .await?;
    console_of(&state, &who).await
}

/// Notes are done: ready for the next contact before the wrap-up limit.
#[utoipa::path(post, path = "/api/v1/routing/console/wrap-up-done", tag = "routing", responses(
    (status = 200, body = ConsoleView),
    (status = 409, description = "The caller has no routing profile", body = crate::error::Problem, content_type = "application/problem+json"),
), security(("session" = [])))]
pub async fn wrap_up_done(
    State(state): State<AppState>,
    Auth(who, ..): Auth<Staff>,
    ctx: Ctx,
) -> ApiResult<axum::Json<ConsoleView>> {
    let (agent, user) = console_agent(&who)?;
    if !state.switchboard.is_agent(agent).await {
        return Err(no_profile(user));
    }
    let audit = ctx.audit(
        &who,
        state.clock.now(),
        "routing.wrap_up_done",
        format!("agent:{agent}"),
        serde_json::json!({}),
    );
    state.switchboard.wrap_up_done(agent, vec![audit]).await?;
    console_of(&state, &who).await
}

/// What an agent can do with a contact from the console.
#[derive(Clone, Copy)]
enum Step {
    Accept,
    Decline,
    Complete,
}

async fn step(
    state: AppState,
    who: Principal,
    ctx: Ctx,
    id: ContactId,
    step: Step,
) -> ApiResult<axum::Json<ConsoleView>> {
    let (agent, user) = console_agent(&who)?;
    if !state.switchboard.is_agent(agent).await {
        return Err(no_profile(user));
    }
    let action = match step {
        Step::Accept => "routing.contact.accept",
        Step::Decline => "routing.contact.decline",
        Step::Complete => "routing.contact.complete",
    };
    let audit = vec![ctx.audit(
        &who,
        state.clock.now(),
        action,
        format!("contact:{id}"),
        serde_json::json!({}),
    )];
    let switchboard = &state.switchboard;
    match step {
        Step::Accept => switchboard.accept(id, agent, audit).await?,
        Step::Decline => switchboard.decline(id, agent, audit).await?,
        Step::Complete => switchboard.complete(id, agent, audit).await?,
    }
    console_of(&state, &who).await
}

/// Accept a contact offered to the caller, before its offer expires.
#[utoipa::path(post, path = "/api/v1/routing/contacts/{id}/accept", tag = "routing", params(("id" = String, Path, format = Uuid)), responses(
    (status = 200, body = ConsoleView),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "Not offered to the caller (it may have timed out)", body = crate::error::Problem, content_type = "application/problem+json"),
), security(("session" = [])))]
pub async fn accept(
    State(state): State<AppState>,
    Auth(who, ..): Auth<Staff>,
    ctx: Ctx,
    ApiPath(id): ApiPath<ContactId>,
) -> ApiResult<axum::Json<ConsoleView>> {
    step(state, who, ctx, id, Step::Accept).await
}

/// Decline an offer: the contact goes to someone else, never back to the caller.
#[utoipa::path(post, path = "/api/v1/routing/contacts/{id}/decline", tag = "routing", params(("id" = String, Path, format = Uuid)), responses(
    (status = 200, body = ConsoleView),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "Not offered to the caller", body = crate::error::Problem, content_type = "application/problem+json"),
), security(("session" = [])))]
pub async fn decline(
    State(state): State<AppState>,
    Auth(who, ..): Auth<Staff>,
    ctx: Ctx,
    ApiPath(id): ApiPath<ContactId>,
) -> ApiResult<axum::Json<ConsoleView>> {
    step(state, who, ctx, id, Step::Decline).await
}

/// The caller finished a contact they were connected with (then wraps up).
#[utoipa::path(post, path = "/api/v1/routing/contacts/{id}/complete", tag = "routing", params(("id" = String, Path, format = Uuid)), responses(
    (status = 200, body = ConsoleView),
    (status = 403, description = "Connected to another agent", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "Not connected yet", body = crate::error::Problem, content_type = "application/problem+json"),
), security(("session" = [])))]
pub async fn complete(
    State(state): State<AppState>,
    Auth(who, ..): Auth<Staff>,
    ctx: Ctx,
    ApiPath(id): ApiPath<ContactId>,
) -> ApiResult<axum::Json<ConsoleView>> {
    step(state, who, ctx, id, Step::Complete).await
}

/// A WebSocket that sends the caller's console (as `GET /api/v1/routing/console` does) at once
/// and again whenever it changes: an offer arrives or is taken back, presence changes.
#[utoipa::path(get, path = "/api/v1/routing/console/live", tag = "routing", responses(
    (status = 101, description = "WebSocket: a ConsoleView JSON text message per change"),
    (status = 403, description = "Cross-site request", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "The caller has no routing profile", body = crate::error::Problem, content_type = "application/problem+json"),
), security(("session" = [])))]
pub async fn console_live(
    State(state): State<AppState>,
    Auth(who, ..): Auth<Staff>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> ApiResult<Response> {
    // Browsers send cookies on cross-site WebSocket handshakes: only our own pages may connect.
    if !same_origin(&headers) {
        return Err(ApiError::forbidden(
            "The console WebSocket only accepts connections from this server's own pages.",
        )
        .with_code("routing.cross_site"));
    }
    let (agent, user) = console_agent(&who)?;
    if !state.switchboard.is_agent(agent).await {
        return Err(no_profile(user));
    }
    let switchboard = state.switchboard.clone();
    Ok(upgrade
        .on_upgrade(move |socket| push_console(socket, switchboard, agent))
        .into_response())
}

/// An `Origin` header, when sent, must name the host the request was sent to.
pub(crate) fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin_host = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, rest)| rest.trim_end_matches('/'));
    matches!((origin_host, host), (Some(a), Some(b)) if a.eq_ignore_ascii_case(b))
}

async fn push_console(mut socket: WebSocket, switchboard: Arc<Switchboard>, agent: AgentId) {
    let mut updates = switchboard.subscribe();
    let closed = switchboard.closed();
    if send_console(&mut socket, &switchboard, agent)
        .await
        .is_err()
    {
        return;
    }
    loop {
        tokio::select! {
            update = updates.recv() => match update {
                Ok(changed) if changed != agent => continue,
                Ok(_) | Err(RecvError::Lagged(_)) => {
                    if send_console(&mut socket, &switchboard, agent).await.is_err() {
                        return;
                    }
                }
                Err(RecvError::Closed) => return,
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_)) | Err(_)) | None => return,
                Some(Ok(_)) => {}
            },
            () = closed.cancelled() => {
                let _ = socket.send(Message::Close(None)).await;
                return;
            }
        }
    }
}

async fn send_console(
    socket: &mut WebSocket,
    switchboard: &Switchboard,
    agent: AgentId,
) -> Result<(), axum::Error> {
    let view = switchboard.console(agent).await;
    let text = serde_json::to_string(&view).unwrap_or_default();
    socket.send(Message::Text(text.into())).await
}

/// Live figures per queue, hub, tier and kind of contact.
#[utoipa::path(get, path = "/api/v1/routing/figures", tag = "routing", responses(
    (status = 200, body = Object),
), security(("bearer" = []), ("session" = [])))]
pub async fn figures(
    State(state): State<AppState>,
    _supervisor: Auth<Supervisors>,
) -> axum::Json<routing::FiguresSnapshot> {
    axum::Json(state.switchboard.figures().await)
}

/// An agent's skills and presence.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgentView {
    #[schema(value_type = String, format = Uuid)]
    pub user_id: UserId,
    pub name: String,
    pub email: String,
    #[schema(value_type = Object)]
    pub profile: AgentProfile,
    #[schema(value_type = Object)]
    pub status: routing::AgentStatus,
}

/// Everyone who takes contacts, with skills and presence.
#[utoipa::path(get, path = "/api/v1/routing/agents", tag = "routing", responses(
    (status = 200, body = Vec<AgentView>),
), security(("bearer" = []), ("session" = [])))]
pub async fn agents(
    State(state): State<AppState>,
    _supervisor: Auth<Supervisors>,
) -> ApiResult<axum::Json<Vec<AgentView>>> {
    let users: BTreeMap<UserId, User> = state
        .store
        .list_users(store::Page {
            limit: 10_000,
            offset: 0,
        })
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let views = state
        .switchboard
        .agents()
        .await
        .into_iter()
        .map(|AgentOverview { profile, status }| {
            let user = users.get(&UserId(profile.id.0));
            AgentView {
                user_id: UserId(profile.id.0),
                name: user.map(|u| u.display_name.clone()).unwrap_or_default(),
                email: user.map(|u| u.email.clone()).unwrap_or_default(),
                profile,
                status,
            }
        })
        .collect();
    Ok(axum::Json(views))
}

/// Skills of a staff member who takes contacts.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentSkillsRequest {
    /// new_york, london, sydney, mumbai or tokyo.
    #[schema(value_type = String, example = "london")]
    pub hub: Hub,
    /// Department → proficiency 1 (can help) to 5 (expert).
    #[schema(value_type = Object, example = json!({"general": 3, "lost_or_stolen": 5}))]
    pub departments: BTreeMap<Department, Proficiency>,
    /// Language → proficiency 1 to 5.
    #[schema(value_type = Object, example = json!({"en": 5, "es": 4}))]
    pub languages: BTreeMap<Lang, Proficiency>,
    /// Card tiers served: green, gold, platinum, centurion, business, co_brand.
    #[schema(value_type = Vec<String>)]
    pub tiers: BTreeSet<Tier>,
    /// Takes phone calls and callbacks.
    pub voice: bool,
    /// Chats and messages at once (0: none).
    pub digital: u8,
}

/// Sets a staff member's routing skills (registering them for routing the first time).
#[utoipa::path(put, path = "/api/v1/routing/agents/{id}", tag = "routing", params(("id" = String, Path, format = Uuid, description = "The staff user's id")), request_body = AgentSkillsRequest, responses(
    (status = 204, description = "Saved"),
    (status = 404, description = "No such staff user", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = []), ("session" = [])))]
pub async fn set_skills(
    State(state): State<AppState>,
    Auth(who, ..): Auth<Supervisors>,
    ctx: Ctx,
    ApiPath(id): ApiPath<UserId>,
    ApiJson(request): ApiJson<AgentSkillsRequest>,
) -> ApiResult<StatusCode> {
    let user = state.store.user_by_id(id).await?.ok_or_else(|| {
        ApiError::not_found("user.not_found", format!("No staff user has id {id}."))
    })?;
    if !user.role.is_staff_console() {
        return Err(ApiError::unprocessable(
            "routing.not_an_agent",
            format!(
                "{} is {}; only console staff take contacts.",
                user.email, user.role
            ),
        ));
    }
    let profile = AgentProfile {
        id: agent_of(user.id),
        hub: request.hub,
        departments: request.departments,
        languages: request.languages,
        tiers: request.tiers,
        capacity: Capacity {
            voice: request.voice,
            digital: request.digital,
        },
    };
    let audit = ctx.audit(
        &who,
        state.clock.now(),
        "routing.agent.skills",
        format!("user:{id}"),
        serde_json::to_value(&profile).unwrap_or_default(),
    );
    state.switchboard.upsert_agent(profile, vec![audit]).await?;
    Ok(StatusCode::NO_CONTENT)
}
