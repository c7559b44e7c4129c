//! Cards, transactions, disputes, rewards and identity verification (product §2).
//!
//! Staff and integrations (IVR, chat) act for a cardholder verified on a channel (`?channel=`,
//! phone by default); cardholders act on their own cards through their portal session. Every
//! change needs an `Idempotency-Key` header (a retry with the same key and body replays the
//! first answer) and writes an audit row; its events go to the outbox in the same transaction.
//! Card numbers appear only masked.

use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cards::dispute::{DisputeReason, MerchantPosition, Outcome as DisputeOutcome};
use cards::replacement::Destination;
use cards::rewards::RewardsCommand;
use cards::transactions::{TransactionRef, TransactionStatus};
use cards::{
    Action, Answers, Card, CardState, ContactChange, DisputePolicy, IdempotencyKey, Loss,
    ReplacementRequest, RewardsRequest, ShippingOption, Transaction, TransactionFilter,
    TransactionQuery, VerificationSession,
};
use domain::{
    AccountId, CardId, CardholderId, Channel, Country, Currency, DisputeId, Money, Timestamp,
};
use serde::{Deserialize, Serialize};
use store::{AuditRecord, CardRecord, Cardholder, ContactUpdate, Effects, IdempotentResponse};
use utoipa::{IntoParams, ToSchema};

use super::extract::{ApiJson, ApiPath, ApiQuery};
use crate::auth::{Anyone, Auth, Cardholders, Ctx, Integrations, Principal, Staff};
use crate::cards as svc;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

// ---------------------------------------------------------------------------------------------
// Idempotency

pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";

/// The `Idempotency-Key` header every change needs.
pub fn idempotency_key(headers: &HeaderMap) -> ApiResult<String> {
    let key = headers
        .get(IDEMPOTENCY_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .unwrap_or("");
    if key.is_empty() || key.len() > 200 || !key.chars().all(|c| c.is_ascii_graphic()) {
        return Err(ApiError::bad_request(
            "request.idempotency_key",
            "Send an `Idempotency-Key` header (1 to 200 visible ASCII characters, e.g. a UUID) with every change; reuse it only to retry the same request.",
        ));
    }
    Ok(key.to_owned())
}

/// Runs `run` once per (caller, operation, key): a retry with the same request replays the
/// stored answer; the same key with a different request is refused.
pub async fn once<T, F>(
    state: &AppState,
    who: &Principal,
    key: &str,
    operation: &str,
    request: serde_json::Value,
    run: F,
) -> ApiResult<Response>
where
    T: Serialize,
    F: Future<Output = ApiResult<(StatusCode, T)>>,
{
    let scope = format!("{}:{operation}", who.audit_name());
    let hash = crate::auth::token::fingerprint(&request.to_string());
    if let Some(stored) = state.store.idempotent_response(&scope, key).await? {
        return replay(stored, &hash);
    }
    let (status, body) = run.await?;
    let body = serde_json::to_value(&body).map_err(|e| ApiError::internal(&e))?;
    let response = IdempotentResponse {
        request_hash: hash.clone(),
        status: status.as_u16(),
        response: body.clone(),
    };
    match state
        .store
        .save_idempotent_response(&scope, key, &response, state.clock.now())
        .await
    {
        Ok(()) => Ok((status, axum::Json(body)).into_response()),
        // A concurrent request with this key finished first: answer as it did.
        Err(store::StoreError::Conflict { .. }) => {
            match state.store.idempotent_response(&scope, key).await? {
                Some(stored) => replay(stored, &hash),
                None => Ok((status, axum::Json(body)).into_response()),
            }
        }
        Err(e) => Err(e.into()),
    }
}

fn replay(stored: IdempotentResponse, hash: &str) -> ApiResult<Response> {
    if stored.request_hash != hash {
        return Err(ApiError::unprocessable(
            "request.idempotency_key_reused",
            "This Idempotency-Key was already used for a different request; use a new key for a new request.",
        ));
    }
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut response = (status, axum::Json(stored.response)).into_response();
    response.headers_mut().insert(
        "idempotent-replay",
        header::HeaderValue::from_static("true"),
    );
    Ok(response)
}

// ---------------------------------------------------------------------------------------------
// Who may act

/// Which channel a staff member or integration serves the cardholder on.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ChannelParam {
    /// The channel the cardholder was verified on (phone, chat, in_app…); phone by default.
    #[param(value_type = Option<String>)]
    pub channel: Option<Channel>,
}

/// Checks that `who` may do `action` on `holder`'s behalf, and names them for the cards crate.
async fn acting_for(
    state: &AppState,
    who: &Principal,
    holder: CardholderId,
    channel: Option<Channel>,
    action: Action,
) -> ApiResult<cards::Actor> {
    if let Some(me) = who.cardholder() {
        if me.id != holder {
            return Err(ApiError::not_found(
                "card.not_found",
                "You have no such card or account.",
            ));
        }
        if action.is_risky() {
            svc::require_verified(state, holder, Channel::InApp, action).await?;
        }
        return Ok(cards::Actor::Cardholder);
    }
    svc::require_verified(state, holder, channel.unwrap_or(Channel::Phone), action).await?;
    Ok(match who.staff_user() {
        Some(user) => cards::Actor::Agent { user_id: user.id },
        // An integration (IVR, chat bot) serving the verified cardholder themselves.
        None => cards::Actor::Cardholder,
    })
}

/// Loads a card the caller may see (404 for another cardholder's card).
async fn visible_card(state: &AppState, who: &Principal, id: CardId) -> ApiResult<CardRecord> {
    let record = svc::load_card(state, id).await?;
    if let Some(me) = who.cardholder()
        && me.id != record.card.cardholder_id
    {
        return Err(ApiError::not_found(
            "card.not_found",
            format!("No card has id {id}."),
        ));
    }
    Ok(record)
}

async fn holder(state: &AppState, id: CardholderId) -> ApiResult<Cardholder> {
    state.store.cardholder_by_id(id).await?.ok_or_else(|| {
        ApiError::not_found(
            "cardholder.not_found",
            format!("No cardholder has id {id}."),
        )
    })
}

fn audit(
    ctx: &Ctx,
    who: &Principal,
    state: &AppState,
    action: &str,
    subject: String,
    detail: serde_json::Value,
) -> AuditRecord {
    ctx.audit(who, state.clock.now(), action, subject, detail)
}

// ---------------------------------------------------------------------------------------------
// Views

/// A card, masked.
#[derive(Debug, Serialize, ToSchema)]
pub struct CardView {
    #[schema(value_type = String, format = Uuid)]
    pub id: CardId,
    #[schema(value_type = String, format = Uuid)]
    pub account_id: AccountId,
    #[schema(value_type = String, format = Uuid)]
    pub cardholder_id: CardholderId,
    pub tier: String,
    /// `•••• •••• •••• 0005`.
    pub number: String,
    pub last4: String,
    /// `MM/YY`.
    pub expiry: String,
    /// issued, active, locked, lost, stolen or closed.
    pub status: String,
    /// The lifecycle state with its dates (and who locked it, or its replacement).
    #[schema(value_type = Object)]
    pub state: CardState,
    /// Whether a payment would be authorized now; otherwise why not.
    pub can_pay: bool,
    pub refusal: Option<String>,
    #[schema(value_type = Object)]
    pub alerts: cards::AlertSettings,
}

impl CardView {
    pub fn new(record: &CardRecord, now: Timestamp) -> Self {
        let card = &record.card;
        let refusal = cards::can_authorize(card, now).err();
        CardView {
            id: card.id,
            account_id: card.account_id,
            cardholder_id: card.cardholder_id,
            tier: card.tier.to_string(),
            number: card.masked_number(),
            last4: card.last4.as_str().to_owned(),
            expiry: card.expiry.to_string(),
            status: card.state.name().to_owned(),
            state: card.state,
            can_pay: refusal.is_none(),
            refusal: refusal.map(|r| r.to_string()),
            alerts: record.alerts.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountView {
    #[schema(value_type = String, format = Uuid)]
    pub id: AccountId,
    pub product: String,
    pub tier: String,
    pub currency: String,
    pub rewards_balance: i64,
    pub cards: Vec<CardView>,
}

/// A channel's verification state.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerificationView {
    pub channel: String,
    /// none, basic or strong.
    pub level: String,
    /// Factors passed in this conversation.
    pub passed: Vec<String>,
    pub failures: u8,
    /// Set while the channel is locked after repeated failures.
    pub locked_until: Option<String>,
}

impl VerificationView {
    pub fn new(session: &VerificationSession, now: Timestamp) -> Self {
        VerificationView {
            channel: session.channel().to_string(),
            level: session.level(now).to_string(),
            passed: session
                .passed()
                .iter()
                .map(|f| {
                    serde_json::to_value(f)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default()
                })
                .collect(),
            failures: session.failures(),
            locked_until: session.locked_until(now).map(|t| t.to_string()),
        }
    }
}

/// Everything about one cardholder's cards.
#[derive(Debug, Serialize, ToSchema)]
pub struct CardsOverview {
    #[schema(value_type = String, format = Uuid)]
    pub cardholder_id: CardholderId,
    pub accounts: Vec<AccountView>,
    pub verification: Vec<VerificationView>,
}

pub async fn overview(state: &AppState, holder: CardholderId) -> ApiResult<CardsOverview> {
    let now = state.clock.now();
    let cards = state.store.cards_for(holder).await?;
    let accounts = state
        .store
        .card_accounts_for(holder)
        .await?
        .into_iter()
        .map(|a| AccountView {
            id: a.id,
            product: a.product,
            tier: a.tier.to_string(),
            currency: a.currency.to_string(),
            rewards_balance: a.rewards_balance,
            cards: cards
                .iter()
                .filter(|c| c.card.account_id == a.id)
                .map(|c| CardView::new(c, now))
                .collect(),
        })
        .collect();
    let verification = state
        .store
        .verification_sessions_for(holder)
        .await?
        .iter()
        .map(|s| VerificationView::new(s, now))
        .collect();
    Ok(CardsOverview {
        cardholder_id: holder,
        accounts,
        verification,
    })
}

/// A cardholder's accounts, cards and verification state (audited).
#[utoipa::path(get, path = "/api/v1/cardholders/{id}/cards", tag = "cards", params(("id" = String, Path, format = Uuid)), responses(
    (status = 200, body = CardsOverview),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = []), ("session" = [])))]
pub async fn cardholder_cards(
    State(state): State<AppState>,
    Auth(who, ..): Auth<Staff>,
    ctx: Ctx,
    ApiPath(id): ApiPath<CardholderId>,
) -> ApiResult<axum::Json<CardsOverview>> {
    holder(&state, id).await?;
    let view = overview(&state, id).await?;
    ctx.record(
        &state,
        &who,
        "card.list",
        format!("cardholder:{id}"),
        serde_json::json!({}),
    )
    .await?;
    Ok(axum::Json(view))
}

/// The signed-in cardholder's accounts and cards.
#[utoipa::path(get, path = "/api/v1/me/cards", tag = "cards", responses(
    (status = 200, body = CardsOverview),
    (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("session" = [])))]
pub async fn my_cards(
    State(state): State<AppState>,
    Auth(who, ..): Auth<Cardholders>,
) -> ApiResult<axum::Json<CardsOverview>> {
    let id = who
        .cardholder()
        .map(|c| c.id)
        .ok_or_else(|| ApiError::forbidden("Sign in to the portal as a cardholder."))?;
    Ok(axum::Json(overview(&state, id).await?))
}

/// One card (masked; audited for staff).
#[utoipa::path(get, path = "/api/v1/cards/{id}", tag = "cards", params(("id" = String, Path, format = Uuid)), responses(
    (status = 200, body = CardView),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = []), ("session" = [])))]
pub async fn get_card(
    State(state): State<AppState>,
    Auth(who, ..): Auth<Anyone>,
    ctx: Ctx,
    ApiPath(id): ApiPath<CardId>,
) -> ApiResult<axum::Json<CardView>> {
    let record = visible_card(&state, &who, id).await?;
    ctx.record(
        &state,
        &who,
        "card.view",
        format!("card:{id}"),
        serde_json::json!({}),
    )
    .await?;
    Ok(axum::Json(CardView::new(&record, state.clock.now())))
}

// ---------------------------------------------------------------------------------------------
// Lifecycle

async fn state_change(
    state: AppState,
    who: Principal,
    ctx: Ctx,
    headers: HeaderMap,
    id: CardId,
    channel: Option<Channel>,
    change: svc::StateChange,
) -> ApiResult<Response> {
    let key = idempotency_key(&headers)?;
    let (name, action) = match change {
        svc::StateChange::Lock => ("card.lock", Action::LockCard),
        svc::StateChange::Unlock => ("card.unlock", Action::UnlockCard),
        svc::StateChange::Close => ("card.close", Action::LockCard),
    };
    once(
        &state,
        &who,
        &key,
        &format!("{name}:{id}"),
        serde_json::json!({}),
        async {
            let record = visible_card(&state, &who, id).await?;
            let by = acting_for(&state, &who, record.card.cardholder_id, channel, action).await?;
            let row = audit(
                &ctx,
                &who,
                &state,
                name,
                format!("card:{id}"),
                serde_json::json!({"channel": channel}),
            );
            let saved = svc::change_state(&state, id, change, by, row).await?;
            Ok((StatusCode::OK, CardView::new(&saved, state.clock.now())))
        },
    )
    .await
}

/// Locks a card at once (payments are refused until it is unlocked).
#[utoipa::path(post, path = "/api/v1/cards/{id}/lock", tag = "cards", params(("id" = String, Path, format = Uuid), ChannelParam, ("Idempotency-Key" = String, Header)), responses(
    (status = 200, body = CardView),
    (status = 403, description = "The cardholder is not verified enough", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "Not possible in the card's state", body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = []), ("session" = [])))]
pub async fn lock(
    State(state): State<AppState>,
    Auth(who, ..): Auth<Anyone>,
    ctx: Ctx,
    headers: HeaderMap,
    ApiPath(id): ApiPath<CardId>,
    ApiQuery(q): ApiQuery<ChannelParam>,
) -> ApiResult<Response> {
    state_change(
        state,
        who,
        ctx,
        headers,
        id,
        q.channel,
        svc::StateChange::Lock,
    )
    .await
}

/// Unlocks a locked card (a lock set by fraud monitoring only by an agent).
#[utoipa::path(post, path = "/api/v1/cards/{id}/unlock", tag = "cards", params(("id" = String, Path, format = Uuid), ChannelParam, ("Idempotency-Key" = String, Header)), responses(
    (status = 200, body = CardView),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = []), ("session" = [])))]
pub async fn unlock(
    State(state): State<AppState>,
    Auth(who, ..): Auth<Anyone>,
    ctx: Ctx,
    headers: HeaderMap,
    ApiPath(id): ApiPath<CardId>,
    ApiQuery(q): ApiQuery<ChannelParam>,
) -> ApiResult<Response> {
    state_change(
        state,
        who,
        ctx,
        headers,
        id,
        q.channel,
        svc::StateChange::Unlock,
    )
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivateRequest {
    /// 4 to 6 digits, not an easy one (0000, 1234…). Stored only as a slow hash.
    pub pin: String,
}

/// Activates a newly issued card and sets its PIN.
#[utoipa::path(post, path = "/api/v1/cards/{id}/activate", tag = "cards", request_body = ActivateRequest, params(("id" = String, Path, format = Uuid), ChannelParam, ("Idempotency-Key" = String, Header)), responses(
    (status = 200, body = CardView),
    (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = []), ("session" = [])))]
pub async fn activate(
    State(state): State<AppState>,
    Auth(who, ..): Auth<Anyone>,
    ctx: Ctx,
    headers: HeaderMap,
    ApiPath(id): ApiPath<CardId>,
    ApiQuery(q): ApiQuery<ChannelParam>,
    ApiJson(body): ApiJson<ActivateRequest>,
) -> ApiResult<Response> {
    let key = idempotency_key(&headers)?;
    // The PIN stays out of the idempotency table entirely (even a hash of 4 to 6 digits could
    // be reversed): a retry with the same key replays the first answer.
    once(
        &state,
        &who,
        &key,
        &format!("card.activate:{id}"),
        serde_json::json!({}),
        async {
            let record = visible_card(&state, &who, id).await?;
            acting_for(
                &state,
                &who,
                record.card.cardholder_id,
                q.channel,
                Action::ActivateCard,
            )
            .await?;
            let row = audit(
                &ctx,
                &who,
                &state,
                "card.activate",
                format!("card:{id}"),
                serde_json::json!({}),
            );
            let saved = svc::activate(&state, id, &body.pin, row).await?;
            Ok((StatusCode::OK, CardView::new(&saved, state.clock.now())))
        },
    )
    .await
}

/// How to send a replacement.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShippingRequest {
    /// standard (3–5 business days, free), expedited (1–2 business days, fee) or global
    /// (24–72 h to an address abroad).
    #[schema(value_type = String)]
    pub shipping: ShippingOption,
    /// `{"to": "address_on_file"}` (default) or `{"to": "elsewhere", "place": "hotel",
    /// "address": {...}}` (needs strong verification).
    #[schema(value_type = Object)]
    #[serde(default = "on_file")]
    pub destination: Destination,
}

fn on_file() -> Destination {
    Destination::AddressOnFile
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    /// lost or stolen.
    #[schema(value_type = String)]
    pub loss: Loss,
    /// How to send the replacement; standard to the address on file when absent.
    pub replacement: Option<ShippingRequest>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportView {
    /// The reported card: blocked from now on.
    pub card: CardView,
    pub replacement_card: Option<CardView>,
    /// The order: shipping, address, fee and the promised delivery window.
    #[schema(value_type = Option<Object>)]
    pub order: Option<cards::ReplacementOrder>,
    /// Why no replacement was ordered (order again with POST …/replacement).
    pub order_refused: Option<String>,
}

/// Reports a card lost or stolen: blocked at once, a replacement issued and ordered.
#[utoipa::path(post, path = "/api/v1/cards/{id}/report", tag = "cards", request_body = ReportRequest, params(("id" = String, Path, format = Uuid), ChannelParam, ("Idempotency-Key" = String, Header)), responses(
    (status = 201, body = ReportView),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = []), ("session" = [])))]
pub async fn report(
    State(state): State<AppState>,
    Auth(who, ..): Auth<Anyone>,
    ctx: Ctx,
    headers: HeaderMap,
    ApiPath(id): ApiPath<CardId>,
    ApiQuery(q): ApiQuery<ChannelParam>,
    ApiJson(body): ApiJson<ReportRequest>,
) -> ApiResult<Response> {
    let key = idempotency_key(&headers)?;
    let request = serde_json::to_value(&body).map_err(|e| ApiError::internal(&e))?;
    once(
        &state,
        &who,
        &key,
        &format!("card.report:{id}"),
        request,
        async {
            let record = visible_card(&state, &who, id).await?;
            let holder_id = record.card.cardholder_id;
            let by = acting_for(
                &state,
                &who,
                holder_id,
                q.channel,
                Action::ReportLostOrStolen,
            )
            .await?;
            let replacement = body.replacement.map(|r| ReplacementRequest {
                shipping: r.shipping,
                destination: r.destination,
            });
            if let Some(r) = &replacement
                && r.needs_step_up()
            {
                acting_for(
                    &state,
                    &who,
                    holder_id,
                    q.channel,
                    Action::ReplaceToNewAddress,
                )
                .await?;
            }
            let row = audit(
                &ctx,
                &who,
                &state,
                "card.report",
                format!("card:{id}"),
                serde_json::json!({"loss": body.loss}),
            );
            let done = svc::report_lost(&state, id, body.loss, by, replacement, row).await?;
            Ok((StatusCode::CREATED, report_view(&state, &done).await?))
        },
    )
    .await
}

async fn report_view(state: &AppState, done: &svc::Reported) -> ApiResult<ReportView> {
    let now = state.clock.now();
    let card = svc::load_card(state, done.card.id).await?;
    let replacement_card = match &done.replacement {
        Some((new, _)) => Some(CardView::new(&svc::load_card(state, new.id).await?, now)),
        None => None,
    };
    Ok(ReportView {
        card: CardView::new(&card, now),
        replacement_card,
        order: done.replacement.as_ref().map(|(_, o)| o.clone()),
        order_refused: done.order_refused.clone(),
    })
}

/// Orders the replacement of a reported card that has none yet.
#[utoipa::path(post, path = "/api/v1/cards/{id}/replacement", tag = "cards", request_body = ShippingRequest, params(("id" = String, Path, format = Uuid), ChannelParam, ("Idempotency-Key" = String, Header)), responses(
    (status = 201, body = ReportView),
    (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = []), ("session" = [])))]
pub async fn replacement(
    State(state): State<AppState>,
    Auth(who, ..): Auth<Anyone>,
    ctx: Ctx,
    headers: HeaderMap,
    ApiPath(id): ApiPath<CardId>,
    ApiQuery(q): ApiQuery<ChannelParam>,
    ApiJson(body): ApiJson<ShippingRequest>,
) -> ApiResult<Response> {
    let key = idempotency_key(&headers)?;
    let request = serde_json::to_value(&body).map_err(|e| ApiError::internal(&e))?;
    once(
        &state,
        &who,
        &key,
        &format!("card.replace:{id}"),
        request,
        async {
            let record = visible_card(&state, &who, id).await?;
            let request = ReplacementRequest {
                shipping: body.shipping,
                destination: body.destination,
            };
            let action = if request.needs_step_up() {
                Action::ReplaceToNewAddress
            } else {
                Action::ReportLostOrStolen
            };
            acting_for(&state, &who, record.card.cardholder_id, q.channel, action).await?;
            let row = audit(
                &ctx,
                &who,
                &state,
                "card.replace",
                format!("card:{id}"),
                serde_json::json!({}),
            );
            let (new, order) = svc::order_replacement(&state, id, request, row).await?;
            let done = svc::Reported {
                card: record.card.clone(),
                replacement: Some((new, order)),
                order_refused: None,
            };
            Ok((StatusCode::CREATED, report_view(&state, &done).await?))
        },
    )
    .await
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertsRequest {
    /// Alert on any purchase above this amount (in the account's currency, e.g. "250.00").
    pub single_transaction_over: Option<String>,
    /// Alert when a day's purchases pass this total.
    pub daily_total_over: Option<String>,
    #[serde(default)]
    pub foreign: bool,
    #[serde(default)]
    pub card_not_present: bool,
}

/// Sets a card's spending alerts (raised through the outbox as purchases arrive).
#[utoipa::path(put, path = "/api/v1/cards/{id}/alerts", tag = "cards", request_body = AlertsRequest, params(("id" = String, Path, format = Uuid), ChannelParam, ("Idempotency-Key" = String, Header)), responses(
    (status = 200, body = CardView),
    (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = []), ("session" = [])))]
pub async fn set_alerts(
    State(state): State<AppState>,
    Auth(who, ..): Auth<Anyone>,
    ctx: Ctx,
    headers: HeaderMap,
    ApiPath(id): ApiPath<CardId>,
    ApiQuery(q): ApiQuery<ChannelParam>,
    ApiJson(body): ApiJson<AlertsRequest>,
) -> ApiResult<Response> {
    let key = idempotency_key(&headers)?;
    let request = serde_json::to_value(&body).map_err(|e| ApiError::internal(&e))?;
    once(
        &state,
        &who,
        &key,
        &format!("card.alerts:{id}"),
        request,
        async {
            let record = visible_card(&state, &who, id).await?;
            acting_for(
                &state,
                &who,
                record.card.cardholder_id,
                q.channel,
                Action::ViewAccount,
            )
            .await?;
            let account = state
                .store
                .card_account(record.card.account_id)
                .await?
                .ok_or_else(|| {
                    ApiError::not_found("account.not_found", "The card's account is gone.")
                })?;
            let money = |field: &str, v: &Option<String>| -> ApiResult<Option<Money>> {
                v.as_deref()
                    .map(|t| {
                        let m = Money::parse(t, account.currency).map_err(|e| {
                            ApiError::unprocessable(
                                "alerts.invalid_amount",
                                format!("{field}: {e}."),
                            )
                        })?;
                        if m.minor <= 0 {
                            return Err(ApiError::unprocessable(
                                "alerts.invalid_amount",
                                format!("{field} must be more than zero."),
                            ));
                        }
                        Ok(m)
                    })
                    .transpose()
            };
            let alerts = cards::AlertSettings {
                single_transaction_over: money(
                    "single_transaction_over",
                    &body.single_transaction_over,
                )?,
                daily_total_over: money("daily_total_over", &body.daily_total_over)?,
                foreign: body.foreign,
                card_not_present: body.card_not_present,
            };
            let row = audit(
                &ctx,
                &who,
                &state,
                "card.alerts",
                format!("card:{id}"),
                serde_json::json!({}),
            );
            let saved = state
                .store
                .update_card(
                    &store::CardUpdate {
                        card: record.card.clone(),
                        pin_hash: None,
                        alerts: Some(alerts),
                        version: record.version,
                    },
                    Effects::none().audit(row),
                )
                .await?;
            Ok((StatusCode::OK, CardView::new(&saved, state.clock.now())))
        },
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// Transactions

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct HistoryParams {
    /// RFC 3339 instant, inclusive.
    pub from: Option<String>,
    /// RFC 3339 instant, exclusive.
    pub until: Option<String>,
    /// Part of the merchant name.
    pub merchant: Option<String>,
    /// pending, posted, declined, reversed or disputed (comma-separated).
    pub status: Option<String>,
    /// Smallest amount, e.g. "10.00".
    pub min_amount: Option<String>,
    pub max_amount: Option<String>,
    /// At most 500; 100 by default.
    pub limit: Option<u32>,
    #[param(value_type = Option<String>)]
    pub channel: Option<Channel>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TransactionView {
    pub reference: String,
    pub at: String,
    /// Decimal in the currency's units.
    pub amount: String,
    pub currency: String,
    pub merchant: String,
    pub merchant_country: String,
    pub card_present: bool,
    pub status: String,
}

impl From<&Transaction> for TransactionView {
    fn from(t: &Transaction) -> Self {
        TransactionView {
            reference: t.reference.0.clone(),
            at: t.at.to_string(),
            amount: decimal(t.amount),
            currency: t.amount.currency.to_string(),
            merchant: t.merchant.clone(),
            merchant_country: t.merchant_country.to_string(),
            card_present: t.card_present,
            status: serde_json::to_value(t.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
        }
    }
}

/// `146.00` (the amount without its currency).
pub fn decimal(m: Money) -> String {
    let text = m.to_string();
    text.split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

fn instant(field: &str, text: &Option<String>) -> ApiResult<Option<Timestamp>> {
    text.as_deref()
        .map(|t| {
            t.parse::<Timestamp>().map_err(|_| {
                ApiError::bad_request(
                    "request.invalid_query",
                    format!("{field} must be an RFC 3339 instant such as 2026-01-31T00:00:00Z."),
                )
            })
        })
        .transpose()
}

/// The transactions of a card, newest first, with filters.
pub async fn history(
    state: &AppState,
    record: &CardRecord,
    params: &HistoryParams,
) -> ApiResult<Vec<Transaction>> {
    let account = state.store.card_account(record.card.account_id).await?;
    let currency = account.map_or(Currency::USD, |a| a.currency);
    let money = |field: &str, v: &Option<String>| -> ApiResult<Option<Money>> {
        v.as_deref()
            .map(|t| {
                Money::parse(t, currency).map_err(|e| {
                    ApiError::bad_request("request.invalid_query", format!("{field}: {e}."))
                })
            })
            .transpose()
    };
    let statuses = params
        .status
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            serde_json::from_value::<TransactionStatus>(serde_json::Value::String(s.to_owned()))
                .map_err(|_| {
                    ApiError::bad_request(
                        "request.invalid_query",
                        format!("status {s:?} is not one of pending, posted, declined, reversed, disputed."),
                    )
                })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    let query = TransactionQuery {
        from: instant("from", &params.from)?,
        until: instant("until", &params.until)?,
        min_amount: money("min_amount", &params.min_amount)?,
        max_amount: money("max_amount", &params.max_amount)?,
        merchant: params.merchant.clone(),
        statuses,
    };
    let filter = TransactionFilter::new(query)
        .map_err(|e| ApiError::bad_request("request.invalid_query", format!("{e}.")))?;
    let limit = params.limit.unwrap_or(100).clamp(1, 500);
    let all = state
        .store
        .transactions_for_card(
            record.card.id,
            filter.query().from,
            filter.query().until,
            5_000,
        )
        .await?;
    Ok(filter
        .apply(&all, limit as usize)
        .into_iter()
        .cloned()
        .collect())
}

/// A card's transaction history (newest first).
#[utoipa::path(get, path = "/api/v1/cards/{id}/transactions", tag = "cards", params(("id" = String, Path, format = Uuid), HistoryParams), responses(
    (status = 200, body = Vec<TransactionView>),
    (status = 400, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = []), ("session" = [])))]
pub async fn transactions(
    State(state): State<AppState>,
    Auth(who, ..): Auth<Anyone>,
    ctx: Ctx,
    ApiPath(id): ApiPath<CardId>,
    ApiQuery(params): ApiQuery<HistoryParams>,
) -> ApiResult<axum::Json<Vec<TransactionView>>> {
    let record = visible_card(&state, &who, id).await?;
    let found = history(&state, &record, &params).await?;
    ctx.record(
        &state,
        &who,
        "card.transactions",
        format!("card:{id}"),
        serde_json::json!({"results": found.len()}),
    )
    .await?;
    Ok(axum::Json(
        found.iter().map(TransactionView::from).collect(),
    ))
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTransaction {
    /// The processor's reference (unique).
    pub reference: String,
    /// RFC 3339; now when absent.
    pub at: Option<String>,
    /// Decimal in the account's currency; refunds negative.
    pub amount: String,
    pub merchant: String,
    /// ISO 3166 alpha-2.
    pub merchant_country: String,
    #[serde(default = "yes")]
    pub card_present: bool,
    /// pending (default), posted, declined or reversed.
    #[schema(value_type = Option<String>)]
    pub status: Option<TransactionStatus>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Recorded {
    pub transaction: TransactionView,
    /// Spending alerts raised (outbox topic card.spending_alert).
    pub alerts: usize,
    /// Rewards points earned.
    pub points: i64,
}

/// Records a transaction from the card processor: raises the card's spending alerts and earns
/// rewards points for purchases, in the same request.
#[utoipa::path(post, path = "/api/v1/cards/{id}/transactions", tag = "cards", request_body = NewTransaction, params(("id" = String, Path, format = Uuid), ("Idempotency-Key" = String, Header)), responses(
    (status = 201, body = Recorded),
    (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
pub async fn record_transaction(
    State(state): State<AppState>,
    Auth(who, ..): Auth<Integrations>,
    ctx: Ctx,
    headers: HeaderMap,
    ApiPath(id): ApiPath<CardId>,
    ApiJson(body): ApiJson<NewTransaction>,
) -> ApiResult<Response> {
    let key = idempotency_key(&headers)?;
    let request = serde_json::to_value(&body).map_err(|e| ApiError::internal(&e))?;
    once(
        &state,
        &who,
        &key,
        &format!("card.transaction:{id}"),
        request,
        async {
            let record = svc::load_card(&state, id).await?;
            let account = state
                .store
                .card_account(record.card.account_id)
                .await?
                .ok_or_else(|| {
                    ApiError::not_found("account.not_found", "The card's account is gone.")
                })?;
            let holder = holder(&state, record.card.cardholder_id).await?;
            let bad = |m: String| ApiError::unprocessable("transaction.invalid", m);
            let reference = body.reference.trim();
            if reference.is_empty()
                || reference.len() > 100
                || reference.chars().any(char::is_control)
            {
                return Err(bad(
                    "reference must be 1 to 100 printable characters.".into()
                ));
            }
            let merchant = body.merchant.trim();
            if merchant.is_empty() || merchant.chars().count() > 200 {
                return Err(bad("merchant must be 1 to 200 characters.".into()));
            }
            let tx = Transaction {
                reference: TransactionRef(reference.to_owned()),
                card_id: id,
                at: instant("at", &body.at)
                    .map_err(|e| bad(e.detail))?
                    .unwrap_or(state.clock.now()),
                amount: Money::parse(&body.amount, account.currency)
                    .map_err(|e| bad(format!("amount: {e}.")))?,
                merchant: merchant.to_owned(),
                merchant_country: Country::parse(&body.merchant_country)
                    .map_err(|e| bad(format!("merchant_country: {e}.")))?,
                card_present: body.card_present,
                status: body.status.unwrap_or(TransactionStatus::Pending),
            };
            let tz = jiff::tz::TimeZone::get(&holder.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
            let earlier = state
                .store
                .transactions_for_card(
                    id,
                    Some(tx.at - jiff::SignedDuration::from_hours(48)),
                    Some(tx.at),
                    5_000,
                )
                .await?;
            let spent =
                cards::transactions::spent_on_day(&earlier, id, tx.at, &tz, account.currency)
                    .map_err(|e| bad(format!("{e}.")))?;
            let alerts = cards::spending_alerts(&record.alerts, holder.country, &tx, spent)
                .map_err(|e| bad(format!("{e}.")))?;
            let row = audit(
                &ctx,
                &who,
                &state,
                "card.transaction",
                format!("card:{id}"),
                serde_json::json!({"reference": reference}),
            );
            state
                .store
                .insert_transactions(
                    std::slice::from_ref(&tx),
                    Effects {
                        events: svc::events(&alerts),
                        audit: vec![row],
                    },
                )
                .await?;
            let mut points = 0;
            let purchase = tx.amount.minor > 0
                && matches!(
                    tx.status,
                    TransactionStatus::Pending | TransactionStatus::Posted
                );
            if purchase {
                let earn = RewardsRequest {
                    key: IdempotencyKey::parse(&format!("earn:{reference}"))
                        .map_err(|e| bad(format!("{e}.")))?,
                    command: RewardsCommand::Earn {
                        transaction: tx.reference.clone(),
                        amount: tx.amount,
                        tier: record.card.tier,
                    },
                };
                if let Ok(applied) = state
                    .store
                    .apply_rewards(account.id, &earn, &svc::program()?, Effects::none())
                    .await?
                {
                    points = applied.entries().iter().map(|e| e.points).sum();
                }
            }
            Ok((
                StatusCode::CREATED,
                Recorded {
                    transaction: TransactionView::from(&tx),
                    alerts: alerts.len(),
                    points,
                },
            ))
        },
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// Disputes

#[derive(Debug, Serialize, ToSchema)]
pub struct DisputeView {
    #[schema(value_type = String, format = Uuid)]
    pub id: DisputeId,
    #[schema(value_type = String, format = Uuid)]
    pub card_id: CardId,
    pub transaction: String,
    pub reason: String,
    pub amount: String,
    pub currency: String,
    /// filed, provisionally_credited, merchant_responded, won or lost.
    pub status: String,
    pub fraud: bool,
    /// What the cardholder owes on the disputed amount.
    #[schema(value_type = Object)]
    pub liability: cards::dispute::Liability,
    #[schema(value_type = Object)]
    pub deadlines: cards::dispute::Deadlines,
    pub overdue: Vec<String>,
    /// Name, type and size of each document (download: GET /api/v1/disputes/{id}/documents/{n}).
    #[schema(value_type = Vec<Object>)]
    pub documents: Vec<cards::dispute::Document>,
    pub filed_at: String,
}

impl DisputeView {
    pub fn new(d: &cards::Dispute, now: Timestamp) -> Self {
        let name = |v: serde_json::Value| v.as_str().map(str::to_owned).unwrap_or_default();
        DisputeView {
            id: d.id,
            card_id: d.card_id,
            transaction: d.transaction.0.clone(),
            reason: name(serde_json::to_value(d.reason).unwrap_or_default()),
            amount: decimal(d.amount),
            currency: d.amount.currency.to_string(),
            status: d.state.name().to_owned(),
            fraud: d.fraud,
            liability: d.liability(),
            deadlines: d.deadlines,
            overdue: d
                .overdue(now)
                .into_iter()
                .map(|k| name(serde_json::to_value(k).unwrap_or_default()))
                .collect(),
            documents: d.documents.clone(),
            filed_at: d.filed_at.to_string(),
        }
    }
}

fn dispute_error(e: &cards::dispute::DisputeError) -> ApiError {
    match e {
        cards::dispute::DisputeError::Transition { .. } => {
            ApiError::conflict("dispute.transition", format!("{e}."))
        }
        _ => ApiError::unprocessable("dispute.invalid", format!("{e}.")),
    }
}

/// Files a dispute (multipart form: `transaction`, `reason`, `amount`, `description`, and up to
/// 10 `document` files, PDF/JPEG/PNG checked by content, 10 MiB each).
#[utoipa::path(post, path = "/api/v1/cards/{id}/disputes", tag = "disputes", params(("id" = String, Path, format = Uuid), ChannelParam, ("Idempotency-Key" = String, Header)), request_body(content_type = "multipart/form-data", description = "transaction, reason, amount, description, document…"), responses(
    (status = 201, body = DisputeView),
    (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = []), ("session" = [])))]
pub async fn file_dispute(
    State(state): State<AppState>,
    Auth(who, ..): Auth<Anyone>,
    ctx: Ctx,
    headers: HeaderMap,
    ApiPath(id): ApiPath<CardId>,
    ApiQuery(q): ApiQuery<ChannelParam>,
    form: Result<Multipart, MultipartRejection>,
) -> ApiResult<Response> {
    let key = idempotency_key(&headers)?;
    let form = form.map_err(|e| {
        ApiError::bad_request(
            "request.invalid_form",
            format!("Send the dispute as multipart/form-data: {e}."),
        )
    })?;
    let (fields, uploads) = read_dispute_form(form).await?;
    file_dispute_with(&state, &who, &ctx, &key, id, q.channel, fields, uploads).await
}

/// A dispute form's text fields and its `document` files.
pub type DisputeForm = (
    std::collections::BTreeMap<String, String>,
    Vec<(String, Vec<u8>)>,
);

pub async fn read_dispute_form(mut form: Multipart) -> ApiResult<DisputeForm> {
    let mut fields = std::collections::BTreeMap::new();
    let mut uploads: Vec<(String, Vec<u8>)> = Vec::new();
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        ApiError::bad_request(
            "request.invalid_form",
            format!("The form could not be read: {e}."),
        )
    };
    while let Some(field) = form.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or("").to_owned();
        if name == "document" {
            let file = field.file_name().unwrap_or("document").to_owned();
            let bytes = field.bytes().await.map_err(unreadable)?;
            // A form's empty file input sends an unnamed, empty part: not a document.
            if !(bytes.is_empty() && file.is_empty()) {
                uploads.push((file, bytes.to_vec()));
            }
        } else {
            let text = field.text().await.map_err(unreadable)?;
            fields.insert(name, text);
        }
    }
    Ok((fields, uploads))
}

/// Files a dispute from a read form (shared by the API and the portal).
#[allow(clippy::too_many_arguments)]
pub async fn file_dispute_with(
    state: &AppState,
    who: &Principal,
    ctx: &Ctx,
    key: &str,
    id: CardId,
    channel: Option<Channel>,
    fields: std::collections::BTreeMap<String, String>,
    uploads: Vec<(String, Vec<u8>)>,
) -> ApiResult<Response> {
    let (state, who, ctx) = (state.clone(), who.clone(), ctx.clone());
    let q = ChannelParam { channel };
    let policy = DisputePolicy::default();
    let mut documents = Vec::new();
    let mut contents = Vec::new();
    for (name, bytes) in uploads {
        let doc = cards::check_document(&name, &bytes, &policy)
            .map_err(|e| ApiError::unprocessable("dispute.invalid_document", format!("{e}.")))?;
        documents.push(doc);
        contents.push(bytes);
    }
    let mut request_fields = fields.clone();
    request_fields.remove("csrf");
    let request = serde_json::json!({"fields": request_fields, "documents": documents});
    once(&state, &who, key, &format!("dispute.file:{id}"), request, async {
        let record = visible_card(&state, &who, id).await?;
        acting_for(&state, &who, record.card.cardholder_id, q.channel, Action::FileDispute).await?;
        let field = |n: &str| fields.get(n).map(|s| s.trim().to_owned()).unwrap_or_default();
        let reference = field("transaction");
        let tx = state.store.transaction(&reference).await?.filter(|t| t.card_id == id).ok_or_else(|| {
            ApiError::unprocessable(
                "dispute.unknown_transaction",
                format!("Card {id} has no transaction {reference:?}; give the reference from its history."),
            )
        })?;
        let reason: DisputeReason = serde_json::from_value(serde_json::Value::String(field("reason"))).map_err(|_| {
            ApiError::unprocessable(
                "dispute.invalid_reason",
                "reason must be one of unauthorized, not_received, not_as_described, duplicate, wrong_amount, cancelled_recurring, refund_not_processed, other.",
            )
        })?;
        let amount_text = fields.get("amount").cloned().unwrap_or_else(|| decimal(tx.amount));
        let amount = Money::parse(&amount_text, tx.amount.currency)
            .map_err(|e| ApiError::unprocessable("dispute.invalid", format!("amount: {e}.")))?;
        let (dispute, events) = cards::file_dispute(
            DisputeId::new(),
            record.card.cardholder_id,
            &tx,
            cards::DisputeFiling { reason, description: field("description"), amount, documents: documents.clone() },
            &policy,
            state.clock.now(),
        )
        .map_err(|e| dispute_error(&e))?;
        let row = audit(&ctx, &who, &state, "dispute.file", format!("dispute:{}", dispute.id), serde_json::json!({"card": id, "documents": documents.len()}));
        state
            .store
            .insert_dispute(&dispute, &contents, Effects { events: svc::events(&events), audit: vec![row] })
            .await?;
        Ok((StatusCode::CREATED, DisputeView::new(&dispute, state.clock.now())))
    })
    .await
}

/// A cardholder's disputes (newest first; audited).
#[utoipa::path(get, path = "/api/v1/cardholders/{id}/disputes", tag = "disputes", params(("id" = String, Path, format = Uuid)), responses(
    (status = 200, body = Vec<DisputeView>),
), security(("bearer" = []), ("session" = [])))]
pub async fn cardholder_disputes(
    State(state): State<AppState>,
    Auth(who, ..): Auth<Anyone>,
    ctx: Ctx,
    ApiPath(id): ApiPath<CardholderId>,
) -> ApiResult<axum::Json<Vec<DisputeView>>> {
    if let Some(me) = who.cardholder()
        && me.id != id
    {
        return Err(ApiError::not_found(
            "cardholder.not_found",
            format!("No cardholder has id {id}."),
        ));
    }
    holder(&state, id).await?;
    let now = state.clock.now();
    let found = state.store.disputes_for(id).await?;
    ctx.record(
        &state,
        &who,
        "dispute.list",
        format!("cardholder:{id}"),
        serde_json::json!({}),
    )
    .await?;
    Ok(axum::Json(
        found.iter().map(|d| DisputeView::new(d, now)).collect(),
    ))
}

/// One document of a dispute, as uploaded (audited).
#[utoipa::path(get, path = "/api/v1/disputes/{id}/documents/{n}", tag = "disputes", params(("id" = String, Path, format = Uuid), ("n" = u32, Path)), responses(
    (status = 200, description = "The file", content_type = "application/octet-stream"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = []), ("session" = [])))]
pub async fn dispute_document(
    State(state): State<AppState>,
    Auth(who, ..): Auth<Anyone>,
    ctx: Ctx,
    ApiPath((id, n)): ApiPath<(DisputeId, u32)>,
) -> ApiResult<Response> {
    let missing = || {
        ApiError::not_found(
            "dispute.document_not_found",
            format!("Dispute {id} has no document {n}."),
        )
    };
    let dispute = state.store.dispute(id).await?.ok_or_else(missing)?;
    if let Some(me) = who.cardholder()
        && me.id != dispute.cardholder_id
    {
        return Err(missing());
    }
    let doc = state
        .store
        .dispute_document(id, n)
        .await?
        .ok_or_else(missing)?;
    ctx.record(
        &state,
        &who,
        "dispute.document",
        format!("dispute:{id}"),
        serde_json::json!({"n": n}),
    )
    .await?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                doc.document.kind.mime_type().to_owned(),
            ),
            (header::CONTENT_DISPOSITION, "attachment".to_owned()),
        ],
        doc.content,
    )
        .into_response())
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(tag = "step", rename_all = "snake_case", deny_unknown_fields)]
pub enum DisputeStep {
    ProvisionalCredit,
    MerchantResponse {
        #[schema(value_type = String)]
        position: MerchantPosition,
    },
    Decide {
        #[schema(value_type = String)]
        outcome: DisputeOutcome,
    },
    MarkFraud,
}

/// Moves a dispute on (staff): provisional credit, merchant response, decision, or marking it fraud.
#[utoipa::path(post, path = "/api/v1/disputes/{id}/steps", tag = "disputes", request_body = DisputeStep, params(("id" = String, Path, format = Uuid), ("Idempotency-Key" = String, Header)), responses(
    (status = 200, body = DisputeView),
    (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = []), ("session" = [])))]
pub async fn dispute_step(
    State(state): State<AppState>,
    Auth(who, ..): Auth<Staff>,
    ctx: Ctx,
    headers: HeaderMap,
    ApiPath(id): ApiPath<DisputeId>,
    ApiJson(step): ApiJson<DisputeStep>,
) -> ApiResult<Response> {
    let key = idempotency_key(&headers)?;
    let request = serde_json::to_value(&step).map_err(|e| ApiError::internal(&e))?;
    once(
        &state,
        &who,
        &key,
        &format!("dispute.step:{id}"),
        request,
        async {
            let dispute = state.store.dispute(id).await?.ok_or_else(|| {
                ApiError::not_found("dispute.not_found", format!("No dispute has id {id}."))
            })?;
            let now = state.clock.now();
            let (next, events) = match &step {
                DisputeStep::ProvisionalCredit => dispute.credit_provisionally(now),
                DisputeStep::MerchantResponse { position } => {
                    dispute.record_merchant_response(*position, now)
                }
                DisputeStep::Decide { outcome } => dispute.decide(*outcome, now),
                DisputeStep::MarkFraud => dispute.mark_fraud(now),
            }
            .map_err(|e| dispute_error(&e))?;
            let disputed = state
                .store
                .transaction(&dispute.transaction.0)
                .await?
                .ok_or_else(|| {
                    ApiError::internal(&std::io::Error::other(format!(
                        "dispute {id}'s transaction {} is not stored",
                        dispute.transaction
                    )))
                })?;
            let entries: Vec<Transaction> = dispute
                .account_entry(&next, &disputed, now)
                .into_iter()
                .collect();
            let row = audit(
                &ctx,
                &who,
                &state,
                "dispute.step",
                format!("dispute:{id}"),
                serde_json::to_value(&step).unwrap_or_default(),
            );
            state
                .store
                .update_dispute(
                    &next,
                    &[],
                    &entries,
                    Effects {
                        events: svc::events(&events),
                        audit: vec![row],
                    },
                )
                .await?;
            Ok((StatusCode::OK, DisputeView::new(&next, now)))
        },
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// Rewards

#[derive(Debug, Serialize, ToSchema)]
pub struct RewardsView {
    #[schema(value_type = String, format = Uuid)]
    pub account_id: AccountId,
    pub balance: i64,
    /// Newest first (at most 50).
    #[schema(value_type = Vec<Object>)]
    pub ledger: Vec<cards::rewards::LedgerEntry>,
    /// Partner programmes: ratio and minimum increment.
    #[schema(value_type = Vec<Object>)]
    pub partners: Vec<cards::rewards::Partner>,
}

async fn account_for(
    state: &AppState,
    who: &Principal,
    id: AccountId,
) -> ApiResult<store::CardAccount> {
    let account = state
        .store
        .card_account(id)
        .await?
        .filter(|a| who.cardholder().is_none_or(|me| me.id == a.cardholder_id));
    account
        .ok_or_else(|| ApiError::not_found("account.not_found", format!("No account has id {id}.")))
}

pub async fn rewards_view(
    state: &AppState,
    account: &store::CardAccount,
) -> ApiResult<RewardsView> {
    Ok(RewardsView {
        account_id: account.id,
        balance: state.store.rewards_ledger_sum(account.id).await?,
        ledger: state.store.rewards_ledger(account.id, 50).await?,
        partners: svc::program()?.partners,
    })
}

/// An account's rewards balance, ledger and partners.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/rewards", tag = "rewards", params(("id" = String, Path, format = Uuid)), responses(
    (status = 200, body = RewardsView),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = []), ("session" = [])))]
pub async fn rewards(
    State(state): State<AppState>,
    Auth(who, ..): Auth<Anyone>,
    ctx: Ctx,
    ApiPath(id): ApiPath<AccountId>,
) -> ApiResult<axum::Json<RewardsView>> {
    let account = account_for(&state, &who, id).await?;
    ctx.record(
        &state,
        &who,
        "rewards.view",
        format!("account:{id}"),
        serde_json::json!({}),
    )
    .await?;
    Ok(axum::Json(rewards_view(&state, &account).await?))
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferRequest {
    /// A partner id from the rewards view.
    pub partner: String,
    /// The cardholder's membership number with the partner.
    pub member_number: String,
    /// A multiple of the partner's increment.
    pub points: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TransferView {
    /// False when this key had already applied the transfer (nothing moved twice).
    pub applied_now: bool,
    pub points: i64,
    pub partner_units: i64,
    pub balance: i64,
}

/// Transfers points to a partner programme (strong verification; idempotent by the
/// Idempotency-Key; never overdraws, even under concurrent requests).
#[utoipa::path(post, path = "/api/v1/accounts/{id}/rewards/transfers", tag = "rewards", request_body = TransferRequest, params(("id" = String, Path, format = Uuid), ChannelParam, ("Idempotency-Key" = String, Header)), responses(
    (status = 201, body = TransferView),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = []), ("session" = [])))]
pub async fn transfer(
    State(state): State<AppState>,
    Auth(who, ..): Auth<Anyone>,
    ctx: Ctx,
    headers: HeaderMap,
    ApiPath(id): ApiPath<AccountId>,
    ApiQuery(q): ApiQuery<ChannelParam>,
    ApiJson(body): ApiJson<TransferRequest>,
) -> ApiResult<Response> {
    let key = idempotency_key(&headers)?;
    let request = serde_json::to_value(&body).map_err(|e| ApiError::internal(&e))?;
    once(
        &state,
        &who,
        &key,
        &format!("rewards.transfer:{id}"),
        request,
        async {
            let account = account_for(&state, &who, id).await?;
            acting_for(
                &state,
                &who,
                account.cardholder_id,
                q.channel,
                Action::TransferRewards,
            )
            .await?;
            transfer_points(&state, &who, &ctx, &account, &key, &body).await
        },
    )
    .await
}

/// The rewards transfer itself (shared with the portal form).
pub async fn transfer_points(
    state: &AppState,
    who: &Principal,
    ctx: &Ctx,
    account: &store::CardAccount,
    key: &str,
    body: &TransferRequest,
) -> ApiResult<(StatusCode, TransferView)> {
    let bad = |m: String| ApiError::unprocessable("rewards.refused", m);
    let request = RewardsRequest {
        key: IdempotencyKey::parse(&format!("transfer:{key}")).map_err(|e| bad(format!("{e}.")))?,
        command: RewardsCommand::Transfer {
            partner: body.partner.clone(),
            member_number: body.member_number.clone(),
            points: body.points,
        },
    };
    let row = audit(
        ctx,
        who,
        state,
        "rewards.transfer",
        format!("account:{}", account.id),
        serde_json::json!({"partner": body.partner, "points": body.points}),
    );
    let applied = state
        .store
        .apply_rewards(
            account.id,
            &request,
            &svc::program()?,
            Effects::none().audit(row),
        )
        .await?
        .map_err(|e| bad(format!("{e}.")))?;
    let entry = applied.entries().first().cloned();
    let partner_units = match entry.as_ref().map(|e| &e.kind) {
        Some(cards::rewards::EntryKind::TransferredOut { partner_units, .. }) => *partner_units,
        _ => 0,
    };
    Ok((
        StatusCode::CREATED,
        TransferView {
            applied_now: matches!(applied, cards::Applied::Recorded(_)),
            points: entry.map_or(0, |e| -e.points),
            partner_units,
            balance: state.store.rewards_ledger_sum(account.id).await?,
        },
    ))
}

// ---------------------------------------------------------------------------------------------
// Verification

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    /// phone (default), chat, in_app…
    #[schema(value_type = Option<String>)]
    pub channel: Option<Channel>,
    /// Start of a new call or chat: earlier factors no longer count (a lockout stays).
    #[serde(default)]
    pub new_conversation: bool,
    /// Card number and security code, together.
    pub card_number: Option<String>,
    pub security_code: Option<String>,
    /// YYYY-MM-DD.
    pub date_of_birth: Option<String>,
    pub postcode: Option<String>,
    pub phone: Option<String>,
    pub tax_id_last4: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VerifyView {
    /// passed, failed or locked (which answer was wrong is never said).
    #[schema(value_type = Object)]
    pub outcome: cards::verification::Outcome,
    pub session: VerificationView,
}

pub fn answers(body: &VerifyRequest) -> ApiResult<Answers> {
    let bad = |m: String| ApiError::unprocessable("verification.invalid_answer", m);
    let card = match (&body.card_number, &body.security_code) {
        (Some(pan), Some(code)) => Some((
            cards::Pan::parse(pan).map_err(|e| bad(format!("card_number: {e}.")))?,
            cards::SecurityCode::parse(code).map_err(|e| bad(format!("security_code: {e}.")))?,
        )),
        (None, None) => None,
        _ => {
            return Err(bad(
                "Give the card number and its security code together.".into()
            ));
        }
    };
    let date_of_birth = body
        .date_of_birth
        .as_deref()
        .map(|d| d.trim().parse::<jiff::civil::Date>())
        .transpose()
        .map_err(|_| bad("date_of_birth must be a date written YYYY-MM-DD.".into()))?;
    Ok(Answers {
        card,
        date_of_birth,
        postcode: body.postcode.clone(),
        phone: body.phone.clone(),
        tax_id_last4: body.tax_id_last4.clone(),
    })
}

async fn verify_for(
    state: &AppState,
    who: &Principal,
    ctx: &Ctx,
    holder: &Cardholder,
    channel: Channel,
    body: &VerifyRequest,
) -> ApiResult<VerifyView> {
    let answers = answers(body)?;
    let asked: Vec<&str> = [
        answers.card.as_ref().map(|_| "card_and_code"),
        answers.date_of_birth.map(|_| "date_of_birth"),
        answers.postcode.as_ref().map(|_| "postcode"),
        answers.phone.as_ref().map(|_| "phone"),
        answers.tax_id_last4.as_ref().map(|_| "tax_id_last4"),
    ]
    .into_iter()
    .flatten()
    .collect();
    let row = audit(
        ctx,
        who,
        state,
        "verification.attempt",
        format!("cardholder:{}", holder.id),
        serde_json::json!({"channel": channel, "factors": asked}),
    );
    let (session, outcome) =
        svc::verify(state, holder, channel, &answers, body.new_conversation, row).await?;
    Ok(VerifyView {
        outcome,
        session: VerificationView::new(&session, state.clock.now()),
    })
}

/// Checks a cardholder's answers on a channel (IVR, chat, agents): the session's level rises
/// with each right factor; 3 failures in a row lock the channel for 30 minutes and raise a
/// `verification.locked` fraud signal. Answers are never echoed or logged.
#[utoipa::path(post, path = "/api/v1/cardholders/{id}/verification", tag = "verification", request_body = VerifyRequest, params(("id" = String, Path, format = Uuid)), responses(
    (status = 200, body = VerifyView),
    (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = []), ("session" = [])))]
pub async fn verify(
    State(state): State<AppState>,
    Auth(who, ..): Auth<Staff>,
    ctx: Ctx,
    ApiPath(id): ApiPath<CardholderId>,
    ApiJson(body): ApiJson<VerifyRequest>,
) -> ApiResult<axum::Json<VerifyView>> {
    let holder = holder(&state, id).await?;
    let channel = body.channel.unwrap_or(Channel::Phone);
    Ok(axum::Json(
        verify_for(&state, &who, &ctx, &holder, channel, &body).await?,
    ))
}

/// The same check for integrations (IVR, chat bot), by bearer token.
#[utoipa::path(post, path = "/api/v1/integrations/cardholders/{id}/verification", tag = "verification", request_body = VerifyRequest, params(("id" = String, Path, format = Uuid)), responses(
    (status = 200, body = VerifyView),
    (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
pub async fn verify_integration(
    State(state): State<AppState>,
    Auth(who, ..): Auth<Integrations>,
    ctx: Ctx,
    ApiPath(id): ApiPath<CardholderId>,
    ApiJson(body): ApiJson<VerifyRequest>,
) -> ApiResult<axum::Json<VerifyView>> {
    let holder = holder(&state, id).await?;
    let channel = body.channel.unwrap_or(Channel::Phone);
    Ok(axum::Json(
        verify_for(&state, &who, &ctx, &holder, channel, &body).await?,
    ))
}

/// Step-up in the portal (channel in_app): needed before a rewards transfer, a contact change
/// or a replacement to a new address.
#[utoipa::path(post, path = "/api/v1/me/verification", tag = "verification", request_body = VerifyRequest, responses(
    (status = 200, body = VerifyView),
    (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("session" = [])))]
pub async fn verify_me(
    State(state): State<AppState>,
    Auth(who, ..): Auth<Cardholders>,
    ctx: Ctx,
    ApiJson(body): ApiJson<VerifyRequest>,
) -> ApiResult<axum::Json<VerifyView>> {
    let me = who
        .cardholder()
        .cloned()
        .ok_or_else(|| ApiError::forbidden("Sign in as a cardholder."))?;
    Ok(axum::Json(
        verify_for(&state, &who, &ctx, &me, Channel::InApp, &body).await?,
    ))
}

// ---------------------------------------------------------------------------------------------
// Contacts

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactRequest {
    /// `{"field": "email", "value": "new@example.net"}`, `{"field": "phone", "value": "+1…"}` or
    /// `{"field": "address", "value": {"lines": [...], "city": …, "postcode": …, "country": "US"}}`.
    #[schema(value_type = Object)]
    pub change: ContactChange,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContactView {
    pub email: String,
    pub phone: Option<String>,
    #[schema(value_type = Object)]
    pub address: store::Address,
    /// Where the notice of the change was sent (the old contact first).
    #[schema(value_type = Vec<Object>)]
    pub notified: Vec<cards::NoticeTarget>,
}

/// Changes the address, phone or email (strong verification). A notice goes to the OLD contact
/// through the outbox (`cardholder.contact_changed`).
#[utoipa::path(put, path = "/api/v1/cardholders/{id}/contact", tag = "cards", request_body = ContactRequest, params(("id" = String, Path, format = Uuid), ChannelParam, ("Idempotency-Key" = String, Header)), responses(
    (status = 200, body = ContactView),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = []), ("session" = [])))]
pub async fn change_contact(
    State(state): State<AppState>,
    Auth(who, ..): Auth<Anyone>,
    ctx: Ctx,
    headers: HeaderMap,
    ApiPath(id): ApiPath<CardholderId>,
    ApiQuery(q): ApiQuery<ChannelParam>,
    ApiJson(body): ApiJson<ContactRequest>,
) -> ApiResult<Response> {
    let key = idempotency_key(&headers)?;
    let request = serde_json::to_value(&body).map_err(|e| ApiError::internal(&e))?;
    once(
        &state,
        &who,
        &key,
        &format!("contact.change:{id}"),
        request,
        async {
            let action = match body.change {
                ContactChange::Address(_) => Action::ChangeAddress,
                _ => Action::ChangeContact,
            };
            acting_for(&state, &who, id, q.channel, action).await?;
            let holder = holder(&state, id).await?;
            let current = svc::contact_details(&holder)?;
            let (updated, events) =
                cards::change_contact(id, &current, body.change.clone(), state.clock.now())
                    .map_err(|e| ApiError::unprocessable("contact.invalid", format!("{e}.")))?;
            let notified = events
                .iter()
                .flat_map(|e| match e {
                    cards::Event::ContactChanged { notify, .. } => notify.clone(),
                    _ => Vec::new(),
                })
                .collect();
            let update = ContactUpdate {
                email: updated.email.as_str().to_owned(),
                phone: Some(updated.phone.as_str().to_owned()),
                address: svc::to_store_address(&updated.address),
            };
            let row = audit(
                &ctx,
                &who,
                &state,
                "contact.change",
                format!("cardholder:{id}"),
                serde_json::json!({"field": body.change.field()}),
            );
            state
                .store
                .update_contact(
                    id,
                    &update,
                    Effects {
                        events: svc::events(&events),
                        audit: vec![row],
                    },
                )
                .await?;
            Ok((
                StatusCode::OK,
                ContactView {
                    email: update.email,
                    phone: update.phone,
                    address: update.address,
                    notified,
                },
            ))
        },
    )
    .await
}

/// For pages: the card views of a cardholder (no audit; the page audits).
pub fn card_views(records: &[CardRecord], now: Timestamp) -> Vec<CardView> {
    records.iter().map(|r| CardView::new(r, now)).collect()
}

/// Used by pages: the first usable card of a list.
pub fn first_usable(records: &[CardRecord]) -> Option<&Card> {
    records.iter().map(|r| &r.card).find(|c| svc::is_usable(c))
}
