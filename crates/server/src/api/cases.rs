//! Cases (product §3) for staff: open, read with timeline and SLA, list and search, change
//! through the lifecycle's commands (accept, wait on the customer — which pauses the SLA
//! clocks —, resolve, close, reopen, assign, transfer, notes, attachments, escalate, complaint,
//! follow-ups, survey), merge duplicates. Every read of a case and every change is audited;
//! changes accept an `Idempotency-Key` so that a retry does not act twice.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use cases::{Actor, CaseCommand, NewCase, Status};
use domain::{CardholderId, CaseId, Channel, ConversationId, Department, Reason, UserId};
use serde::{Deserialize, Serialize};
use store::cases::CaseFilter;
use store::{IdempotentResponse, NewEvent, Page, StoreError};
use utoipa::{IntoParams, ToSchema};

use super::chat::ConversationView;
use super::extract::{ApiJson, ApiPath, ApiQuery};
use crate::auth::{Auth, Cardholders, Ctx, Principal, Staff};
use crate::casework;
use crate::chat::MessageView;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

const IDEMPOTENCY_HEADER: &str = "idempotency-key";

/// Runs `act` once per `Idempotency-Key` (per caller and operation): a retry with the same key
/// and body gets the first answer again; the same key with another body is refused.
async fn idempotent<F, Fut>(
    state: &AppState,
    headers: &HeaderMap,
    who: &Principal,
    operation: &str,
    body: &serde_json::Value,
    act: F,
) -> ApiResult<(StatusCode, axum::Json<serde_json::Value>)>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ApiResult<(StatusCode, serde_json::Value)>>,
{
    let Some(key) = headers
        .get(IDEMPOTENCY_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty())
    else {
        let (status, value) = act().await?;
        return Ok((status, axum::Json(value)));
    };
    if key.len() > 200 {
        return Err(ApiError::unprocessable(
            "request.idempotency_key",
            "Idempotency-Key must be at most 200 characters.",
        ));
    }
    let scope = format!("{operation}:{}", who.audit_name());
    let hash = crate::auth::token::fingerprint(&body.to_string());
    if let Some(done) = state.store.idempotent_response(&scope, key).await? {
        if done.request_hash != hash {
            return Err(ApiError::unprocessable(
                "request.idempotency_key_reused",
                "This Idempotency-Key was used with a different body; use a new key for a new request.",
            ));
        }
        let status = StatusCode::from_u16(done.status).unwrap_or(StatusCode::OK);
        return Ok((status, axum::Json(done.response)));
    }
    let (status, value) = act().await?;
    let saved = state
        .store
        .save_idempotent_response(
            &scope,
            key,
            &IdempotentResponse {
                request_hash: hash,
                status: status.as_u16(),
                response: value.clone(),
            },
            state.clock.now(),
        )
        .await;
    match saved {
        Ok(()) | Err(StoreError::Conflict { .. }) => Ok((status, axum::Json(value))),
        Err(err) => Err(err.into()),
    }
}

fn staff_actor(who: &Principal) -> Actor {
    match (who.staff_user(), who.cardholder()) {
        (Some(user), _) => Actor::Staff(user.id),
        (None, Some(c)) => Actor::Cardholder(c.id),
        _ => Actor::System,
    }
}

fn to_value(value: &impl Serialize) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

/// A new case.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCaseRequest {
    pub subject: String,
    #[schema(value_type = String, example = "lost_stolen")]
    pub reason: Reason,
    /// Default: the department that handles the reason.
    #[schema(value_type = Option<String>)]
    pub department: Option<Department>,
    /// Where it came from: phone, chat, email, …; default phone.
    #[schema(value_type = Option<String>)]
    pub channel: Option<Channel>,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub cardholder_id: Option<CardholderId>,
    /// A conversation to link (its messages join the case's search).
    #[schema(value_type = Option<String>, format = Uuid)]
    pub conversation_id: Option<ConversationId>,
}

/// Opens a case.
#[utoipa::path(post, path = "/api/v1/cases", tag = "cases", request_body = NewCaseRequest, responses(
    (status = 201, description = "The case", body = Object),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = []), ("session" = [])))]
pub async fn create(
    State(state): State<AppState>,
    Auth(who, ..): Auth<Staff>,
    ctx: Ctx,
    headers: HeaderMap,
    ApiJson(request): ApiJson<NewCaseRequest>,
) -> ApiResult<(StatusCode, axum::Json<serde_json::Value>)> {
    let body = to_value(&request);
    idempotent(&state, &headers, &who, "case.create", &body, || async {
        let cardholder = match request.cardholder_id {
            Some(id) => Some(state.store.cardholder_by_id(id).await?.ok_or_else(|| {
                ApiError::not_found(
                    "cardholder.not_found",
                    format!("There is no cardholder {id}."),
                )
            })?),
            None => None,
        };
        let id = CaseId::new();
        let audit = vec![ctx.audit(
            &who,
            state.clock.now(),
            "case.create",
            format!("case:{id}"),
            serde_json::json!({"cardholder_id": request.cardholder_id}),
        )];
        let mut case = casework::open(
            &state,
            NewCase {
                id,
                reference: cases::CaseRef::generate(0),
                cardholder: cardholder.as_ref().map(|c| c.id),
                tier: cardholder.as_ref().map(|c| c.tier),
                subject: request.subject.clone(),
                reason: request.reason,
                department: request.department,
                channel: request.channel.unwrap_or(Channel::Phone),
            },
            staff_actor(&who),
            audit,
        )
        .await?;
        if let Some(conversation) = request.conversation_id {
            state
                .store
                .conversation(conversation)
                .await?
                .ok_or_else(|| {
                    ApiError::not_found(
                        "chat.not_found",
                        format!("There is no conversation {conversation}."),
                    )
                })?;
            (case, _) = casework::change(
                &state,
                case.id,
                CaseCommand::LinkConversation { conversation },
                staff_actor(&who),
                Vec::new(),
            )
            .await?;
            let case_id = case.id;
            state
                .chat
                .update(conversation, |c| {
                    c.link_case(case_id).ok().flatten().map(|e| {
                        NewEvent::new(
                            "conversation.linked_to_case",
                            format!("conversation:{conversation}"),
                            &e,
                        )
                    })
                })
                .await?;
        }
        Ok((StatusCode::CREATED, to_value(&case)))
    })
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// Words to find in subjects, internal notes and the messages of linked conversations.
    pub q: Option<String>,
    /// `me` or a staff user id.
    pub assignee: Option<String>,
    #[param(value_type = Option<String>)]
    pub status: Option<Status>,
    #[param(value_type = Option<String>, format = Uuid)]
    pub cardholder_id: Option<CardholderId>,
    /// Only cases with an open escalation (the supervisors' view).
    #[serde(default)]
    pub escalated: bool,
    /// Only new, open and waiting cases.
    #[serde(default)]
    pub active: bool,
    /// At most 200; default 50.
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

/// A case in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseSummary {
    #[schema(value_type = String, format = Uuid)]
    pub id: CaseId,
    pub reference: String,
    pub subject: String,
    pub status: String,
    pub priority: String,
    pub department: String,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub assignee: Option<UserId>,
    pub escalated: bool,
    pub complaint: bool,
    /// The SLA target that is due next, if any.
    #[schema(value_type = Option<String>)]
    pub next_due: Option<jiff::Timestamp>,
    #[schema(value_type = String)]
    pub updated_at: jiff::Timestamp,
}

/// Lists or searches cases, most recently changed first.
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", params(ListParams), responses(
    (status = 200, body = Vec<CaseSummary>),
), security(("bearer" = []), ("session" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Auth(who, ..): Auth<Staff>,
    ctx: Ctx,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<axum::Json<Vec<CaseSummary>>> {
    let page = Page {
        limit: params.limit.unwrap_or(50).clamp(1, 200),
        offset: params.offset.unwrap_or(0),
    };
    let assignee = match params.assignee.as_deref() {
        None | Some("") => None,
        Some("me") => Some(who.staff_user().map(|u| u.id).ok_or_else(|| {
            ApiError::unprocessable("case.assignee", "assignee=me needs a staff sign-in.")
        })?),
        Some(id) => Some(id.parse::<UserId>().map_err(|_| {
            ApiError::bad_request("case.assignee", "assignee must be `me` or a staff user id.")
        })?),
    };
    let found = match params.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        Some(q) => state.store.search_cases(q, page).await?,
        None => {
            let filter = CaseFilter {
                assignee,
                cardholder: params.cardholder_id,
                status: params.status,
                escalated: params.escalated,
                active: params.active,
            };
            state.store.list_cases(&filter, page).await?
        }
    };
    ctx.record(
        &state,
        &who,
        "case.list",
        "cases",
        serde_json::json!({"q": params.q, "count": found.len()}),
    )
    .await?;
    let now = state.clock.now();
    Ok(axum::Json(
        found
            .iter()
            .map(|c| CaseSummary {
                id: c.id,
                reference: c.reference.to_string(),
                subject: c.subject.clone(),
                status: c.status.as_str().to_owned(),
                priority: c.priority.as_str().to_owned(),
                department: c.department.as_str().to_owned(),
                assignee: c.assignee,
                escalated: c.open_escalation().is_some(),
                complaint: c
                    .complaint
                    .as_ref()
                    .is_some_and(|x| x.final_response_at.is_none()),
                next_due: c.sla(&state.settings.cases.sla, now).next_due(now),
                updated_at: c.updated_at,
            })
            .collect(),
    ))
}

/// A case with everything an agent needs to work on it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseDetail {
    #[schema(value_type = Object)]
    pub case: cases::Case,
    #[schema(value_type = Object)]
    pub sla: cases::CaseSla,
    /// Every event, oldest first (internal notes included).
    #[schema(value_type = Vec<Object>)]
    pub timeline: Vec<cases::CaseEvent>,
    pub conversations: Vec<ConversationView>,
    /// The latest messages of the linked conversations (up to 50 each).
    pub messages: Vec<MessageView>,
    /// The cardholder, as staff see them.
    pub cardholder: Option<super::cardholders::CardholderView>,
}

pub async fn detail(state: &AppState, id: CaseId) -> ApiResult<CaseDetail> {
    let case = casework::load(state, id).await?;
    let timeline = state.store.case_events(id).await?;
    let conversations = state.store.conversations_of_case(id).await?;
    let mut messages = Vec::new();
    for c in &conversations {
        let from = c.conversation.last_seq.saturating_sub(50);
        messages.extend(
            state
                .store
                .messages_after(c.conversation.id, from, 50)
                .await?
                .iter()
                .map(MessageView::of),
        );
    }
    let cardholder = match case.cardholder {
        Some(id) => state
            .store
            .cardholder_by_id(id)
            .await?
            .as_ref()
            .map(super::cardholders::CardholderView::from),
        None => None,
    };
    Ok(CaseDetail {
        sla: case.sla(&state.settings.cases.sla, state.clock.now()),
        case,
        timeline,
        conversations: conversations.iter().map(ConversationView::from).collect(),
        messages,
        cardholder,
    })
}

/// A case (by id or by its reference, e.g. `HL-3K7-9XM-4EF`) with timeline, SLA clocks,
/// conversations and the cardholder. Audited.
#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases",
    params(("id" = String, Path, description = "Case id or reference")), responses(
    (status = 200, body = CaseDetail),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = []), ("session" = [])))]
pub async fn get(
    State(state): State<AppState>,
    Auth(who, ..): Auth<Staff>,
    ctx: Ctx,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<axum::Json<CaseDetail>> {
    let id = resolve(&state, &id).await?;
    let found = detail(&state, id).await?;
    ctx.record(
        &state,
        &who,
        "case.view",
        format!("case:{id}"),
        serde_json::json!({"cardholder_id": found.case.cardholder}),
    )
    .await?;
    Ok(axum::Json(found))
}

/// A case id from an id or a reference (spoken forms and lowercase are accepted).
async fn resolve(state: &AppState, text: &str) -> ApiResult<CaseId> {
    if let Ok(id) = text.parse::<CaseId>() {
        return Ok(id);
    }
    let reference = cases::CaseRef::parse(text).map_err(|e| {
        ApiError::bad_request(
            "case.bad_reference",
            format!("{text:?} is neither a case id nor a case reference: {e}"),
        )
    })?;
    state
        .store
        .case_by_reference(reference)
        .await?
        .map(|c| c.id)
        .ok_or_else(|| {
            ApiError::not_found("case.not_found", format!("There is no case {reference}."))
        })
}

/// Changes a case. The body is one command, e.g. `{"command": "await_customer", "request":
/// "Please send the police report"}` (pauses the SLA clocks), `{"command": "resolve",
/// "summary": "…"}` (offers the survey), `{"command": "assign", "to": "<user id>"}`,
/// `{"command": "add_note", "text": "…"}`, `{"command": "escalate", "to": null, "reason":
/// "…"}`, `{"command": "raise_complaint", "summary": "…"}`, `{"command":
/// "schedule_follow_up", "due": "2026-12-01T09:00:00Z", "note": "…"}`. A command the case's
/// state does not allow is refused with 422 saying why.
#[utoipa::path(post, path = "/api/v1/cases/{id}/commands", tag = "cases",
    params(("id" = String, Path, description = "Case id or reference")),
    request_body(content = Object, description = "A case command"), responses(
    (status = 200, description = "The case and the events recorded", body = Object),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = []), ("session" = [])))]
pub async fn command(
    State(state): State<AppState>,
    Auth(who, ..): Auth<Staff>,
    ctx: Ctx,
    headers: HeaderMap,
    ApiPath(id): ApiPath<String>,
    ApiJson(command): ApiJson<CaseCommand>,
) -> ApiResult<(StatusCode, axum::Json<serde_json::Value>)> {
    let id = resolve(&state, &id).await?;
    let body = serde_json::json!({"case": id, "command": command});
    idempotent(&state, &headers, &who, "case.command", &body, || async {
        let name = body["command"]["command"].as_str().unwrap_or("").to_owned();
        let audit = vec![ctx.audit(
            &who,
            state.clock.now(),
            &format!("case.{name}"),
            format!("case:{id}"),
            serde_json::json!({}),
        )];
        let (case, events) =
            casework::change(&state, id, command.clone(), staff_actor(&who), audit).await?;
        Ok((
            StatusCode::OK,
            serde_json::json!({"case": case, "events": events}),
        ))
    })
    .await
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    /// The case that carries on (id or reference); this one is closed as its duplicate.
    pub into: String,
}

/// Merges a duplicate case into another: conversations, attachments, follow-ups and any
/// complaint move over; the duplicate is closed and points at the survivor.
#[utoipa::path(post, path = "/api/v1/cases/{id}/merge", tag = "cases",
    params(("id" = String, Path, description = "The duplicate: case id or reference")),
    request_body = MergeRequest, responses(
    (status = 200, description = "Both cases", body = Object),
    (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = []), ("session" = [])))]
pub async fn merge(
    State(state): State<AppState>,
    Auth(who, ..): Auth<Staff>,
    ctx: Ctx,
    headers: HeaderMap,
    ApiPath(id): ApiPath<String>,
    ApiJson(request): ApiJson<MergeRequest>,
) -> ApiResult<(StatusCode, axum::Json<serde_json::Value>)> {
    let duplicate = resolve(&state, &id).await?;
    let survivor = resolve(&state, &request.into).await?;
    let body = serde_json::json!({"duplicate": duplicate, "survivor": survivor});
    idempotent(&state, &headers, &who, "case.merge", &body, || async {
        let audit = vec![ctx.audit(
            &who,
            state.clock.now(),
            "case.merge",
            format!("case:{duplicate}"),
            serde_json::json!({"into": survivor}),
        )];
        let (dup, surv) =
            casework::merge(&state, duplicate, survivor, staff_actor(&who), audit).await?;
        Ok((
            StatusCode::OK,
            serde_json::json!({"duplicate": dup, "survivor": surv}),
        ))
    })
    .await
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SurveyAnswerRequest {
    /// 1 (very unhappy) to 5 (very happy).
    pub score: u8,
    #[serde(default)]
    pub comment: String,
}

/// The cardholder answers the satisfaction survey of their resolved case.
#[utoipa::path(post, path = "/api/v1/cases/{id}/survey", tag = "cases",
    params(("id" = String, Path, description = "Case id or reference")),
    request_body = SurveyAnswerRequest, responses(
    (status = 200, description = "Thanks", body = Object),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
))]
pub async fn survey(
    State(state): State<AppState>,
    Auth(who, ..): Auth<Cardholders>,
    ctx: Ctx,
    ApiPath(id): ApiPath<String>,
    ApiJson(request): ApiJson<SurveyAnswerRequest>,
) -> ApiResult<axum::Json<serde_json::Value>> {
    let id = resolve(&state, &id).await?;
    let case = casework::load(&state, id).await?;
    let Some(me) = who.cardholder() else {
        return Err(ApiError::forbidden(
            "Only the case's cardholder answers its survey.",
        ));
    };
    if case.cardholder != Some(me.id) {
        return Err(ApiError::not_found(
            "case.not_found",
            format!("There is no case {id} of yours."),
        ));
    }
    let audit = vec![ctx.audit(
        &who,
        state.clock.now(),
        "case.survey_answered",
        format!("case:{id}"),
        serde_json::json!({}),
    )];
    casework::change(
        &state,
        id,
        CaseCommand::AnswerSurvey {
            score: request.score,
            comment: request.comment,
        },
        Actor::Cardholder(me.id),
        audit,
    )
    .await?;
    Ok(axum::Json(serde_json::json!({"thanks": true})))
}
