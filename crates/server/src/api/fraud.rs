//! Fraud monitoring (product §6): the authorization decision API for the card processor, card
//! enrolment from the card system, the cardholder's "was this you?" answers (SMS reply webhook,
//! portal button) and the analysts' queue.

use axum::extract::State;
use axum::http::StatusCode;
use domain::{CardId, CardholderId, Country, Currency, Money, Timestamp};
use fraud::{CardStatus, GeoPoint, Mcc, Merchant};
use serde::{Deserialize, Serialize};
use store::{AlertStatus, Effects, FraudAlert, FraudDecisionRecord, Page};
use utoipa::ToSchema;
use uuid::Uuid;

use super::extract::{ApiJson, ApiPath};
use crate::auth::{Analysts, Auth, Cardholders, Ctx, Integrations, Staff};
use crate::error::{ApiError, ApiResult};
use crate::fraud::{Answer, AuthorizationInput, Decided, FraudError, KnownCard, Reason};
use crate::state::AppState;

impl From<FraudError> for ApiError {
    fn from(err: FraudError) -> Self {
        match err {
            FraudError::Store(e) => e.into(),
            FraudError::WriterStopped => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "fraud.shutting_down",
                "The server is shutting down; send the authorization to another node or retry.",
            )
            .retry_after(1),
            FraudError::NotStored(cause) => {
                tracing::error!(%cause, "a fraud decision could not be stored");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "fraud.not_stored",
                    "The decision could not be stored; retry the authorization.",
                )
                .retry_after(1)
            }
        }
    }
}

/// A card authorization to decide. Give `card_id`, or `card_number` (looked up by its keyed
/// hash; never stored or logged).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthorizationRequest {
    #[schema(value_type = Option<String>, format = Uuid)]
    pub card_id: Option<String>,
    pub card_number: Option<String>,
    /// Decimal major units, e.g. "42.50".
    #[schema(example = "42.50")]
    pub amount: String,
    /// ISO 4217.
    #[schema(example = "USD")]
    pub currency: String,
    pub merchant: MerchantRequest,
    pub card_present: bool,
    /// RFC 3339; default: now.
    pub timestamp: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MerchantRequest {
    pub id: String,
    #[serde(default)]
    pub name: String,
    /// ISO 18245 merchant category code, 4 digits.
    #[schema(example = "5411")]
    pub mcc: String,
    /// ISO 3166-1 alpha-2.
    #[schema(example = "US")]
    pub country: String,
    #[serde(default)]
    pub city: String,
    /// Required together with `lon` when the card is present.
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

fn bad(detail: impl Into<String>) -> ApiError {
    ApiError::bad_request("fraud.invalid_authorization", detail)
}

/// How an authorization names its card.
enum CardRef {
    Id(String),
    Number(cards::Pan),
}

fn parse_request(
    request: AuthorizationRequest,
    now: Timestamp,
) -> ApiResult<(CardRef, AuthorizationInput)> {
    let currency = Currency::parse(&request.currency).map_err(|e| {
        bad(format!(
            "currency {:?} is not an ISO 4217 code such as USD: {e}",
            request.currency
        ))
    })?;
    let amount = Money::parse(&request.amount, currency).map_err(|e| {
        bad(format!(
            "amount {:?} is not a decimal amount in {currency} such as \"42.50\": {e}",
            request.amount
        ))
    })?;
    if amount.minor <= 0 {
        return Err(bad("amount must be greater than zero"));
    }
    let m = request.merchant;
    if m.id.trim().is_empty() || m.id.len() > 100 {
        return Err(bad("merchant.id must be 1 to 100 characters"));
    }
    let mcc = Mcc::parse(&m.mcc).map_err(|e| {
        bad(format!(
            "merchant.mcc {:?} is not a 4-digit merchant category code: {e}",
            m.mcc
        ))
    })?;
    let country = Country::parse(&m.country).map_err(|e| {
        bad(format!(
            "merchant.country {:?} is not an ISO 3166-1 alpha-2 code such as US: {e}",
            m.country
        ))
    })?;
    let location = match (m.lat, m.lon) {
        (Some(lat), Some(lon)) => Some(GeoPoint::new(lat, lon).map_err(|e| {
            bad(format!(
                "merchant.lat/lon {lat}, {lon} are not WGS 84 degrees: {e}"
            ))
        })?),
        (None, None) => None,
        _ => return Err(bad("give both merchant.lat and merchant.lon, or neither")),
    };
    if request.card_present && location.is_none() {
        return Err(bad(
            "a card-present authorization needs merchant.lat and merchant.lon",
        ));
    }
    let at = match &request.timestamp {
        Some(text) => text.parse::<Timestamp>().map_err(|e| {
            bad(format!(
                "timestamp {text:?} is not an RFC 3339 time such as 2026-11-24T10:15:00Z: {e}"
            ))
        })?,
        None => now,
    };
    let card_ref = match (request.card_id, request.card_number) {
        (Some(id), None) => CardRef::Id(id),
        // The number is never echoed back, stored or logged.
        (None, Some(number)) => CardRef::Number(cards::Pan::parse(&number).map_err(|_| {
            bad("card_number is not a card number (15 or 16 digits passing the Luhn check)")
        })?),
        (Some(_), Some(_)) => return Err(bad("give card_id or card_number, not both")),
        (None, None) => return Err(bad("give card_id or card_number")),
    };
    Ok((
        card_ref,
        AuthorizationInput {
            card: None,
            refusal: None,
            amount,
            merchant: Merchant {
                id: m.id,
                name: m.name,
                mcc,
                country,
                city: m.city,
                location,
            },
            card_present: request.card_present,
            at,
        },
    ))
}

/// Decides a card authorization: approve, challenge ("was this you?" goes to the cardholder)
/// or decline, with a score and the reasons. The decision is stored before the answer. An
/// unknown or locked/lost/stolen card is declined with its reason.
#[utoipa::path(post, path = "/api/v1/authorizations", tag = "fraud", request_body = AuthorizationRequest, responses(
    (status = 200, body = Decided),
    (status = 400, description = "Malformed authorization", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 503, description = "The decision could not be stored; retry", body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
pub async fn authorize(
    State(state): State<AppState>,
    Auth(..): Auth<Integrations>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> ApiResult<axum::Json<Decided>> {
    let request: AuthorizationRequest = serde_json::from_value(body)
        .map_err(|e| bad(format!("the authorization does not fit the schema: {e}")))?;
    let (card_ref, mut input) = parse_request(request, state.clock.now())?;
    let now = state.clock.now();
    let record = match card_ref {
        CardRef::Id(text) => match text.parse::<CardId>() {
            Ok(id) => state.store.card_by_id(id).await?,
            Err(_) => {
                return Err(bad(format!("card_id {text:?} is not a card id (a UUID)")));
            }
        },
        CardRef::Number(pan) => crate::cards::card_by_number(&state, &pan).await?,
    };
    if let Some(record) = record {
        let card = KnownCard {
            card_id: record.card.id,
            cardholder: Some(record.card.cardholder_id),
        };
        // The card system's word first: a locked, lost, stolen, closed, expired or not yet
        // activated card is always declined.
        let refusal = cards::can_authorize(&record.card, now).err();
        let status = match &record.card.state {
            cards::CardState::Lost { .. } => CardStatus::Lost,
            cards::CardState::Stolen { .. } => CardStatus::Stolen,
            _ if refusal.is_some() => CardStatus::Locked,
            _ => CardStatus::Active,
        };
        if state.fraud.card_status(card.card_id) != Some(status)
            || state.fraud.known_card(card.card_id) != Some(card)
        {
            state
                .fraud
                .enrol(card, status)
                .map_err(|e| ApiError::internal(&*e))?;
        }
        input.card = Some(card);
        input.refusal = refusal.map(|r| r.to_string());
    }
    Ok(axum::Json(state.fraud.authorize(input).await?))
}

/// A card the engine should know, and its status (from the card system).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CardEnrolment {
    #[schema(value_type = Option<String>, format = Uuid)]
    pub cardholder_id: Option<CardholderId>,
    /// active, locked, lost or stolen.
    #[schema(value_type = String, example = "active")]
    pub status: CardStatus,
}

/// Tells the fraud engine about a card and its status (issued, locked, reported lost/stolen).
/// A locked, lost or stolen card is always declined.
#[utoipa::path(put, path = "/api/v1/fraud/cards/{card_id}", tag = "fraud", request_body = CardEnrolment,
    params(("card_id" = String, Path, format = Uuid)), responses(
    (status = 204),
    (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
pub async fn enrol_card(
    State(state): State<AppState>,
    Auth(..): Auth<Integrations>,
    ApiPath(card_id): ApiPath<CardId>,
    ApiJson(request): ApiJson<CardEnrolment>,
) -> ApiResult<StatusCode> {
    if let Some(holder) = request.cardholder_id
        && state.store.cardholder_by_id(holder).await?.is_none()
    {
        return Err(ApiError::unprocessable(
            "fraud.unknown_cardholder",
            format!("No cardholder has id {holder}."),
        ));
    }
    state
        .fraud
        .enrol(
            KnownCard {
                card_id,
                cardholder: request.cardholder_id,
            },
            request.status,
        )
        .map_err(|e| ApiError::unprocessable("fraud.enrol_failed", e.to_string()))?;
    Ok(StatusCode::NO_CONTENT)
}

/// An SMS reply from the SMS provider's webhook.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SmsReply {
    /// The sender, E.164.
    #[schema(example = "+12025550143")]
    pub from: String,
    /// The text: YES or NO (case and surrounding words ignored).
    pub body: String,
}

/// What an answer did.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnswerOutcome {
    #[schema(value_type = Vec<String>, format = Uuid)]
    pub alerts: Vec<Uuid>,
    /// genuine or confirmed_fraud.
    pub status: String,
}

fn parse_yes_no(text: &str) -> Option<Answer> {
    let word = text
        .trim()
        .split(|c: char| !c.is_alphanumeric())
        .find(|w| !w.is_empty())?
        .to_lowercase();
    match word.as_str() {
        "yes" | "y" | "si" | "sí" => Some(Answer::Genuine),
        "no" | "n" => Some(Answer::Fraud),
        _ => None,
    }
}

/// The cardholder's SMS answer to "was this you?" (the SMS provider's webhook, with an
/// integration token). It answers every challenge waiting for the cardholder with that phone.
#[utoipa::path(post, path = "/api/v1/fraud/sms-replies", tag = "fraud", request_body = SmsReply, responses(
    (status = 200, body = AnswerOutcome),
    (status = 404, description = "No challenge waits for this phone number", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = [])))]
pub async fn sms_reply(
    State(state): State<AppState>,
    Auth(caller, ..): Auth<Integrations>,
    ctx: Ctx,
    ApiJson(reply): ApiJson<SmsReply>,
) -> ApiResult<axum::Json<AnswerOutcome>> {
    let answer = parse_yes_no(&reply.body).ok_or_else(|| {
        ApiError::unprocessable(
            "fraud.unclear_answer",
            "The reply is neither YES nor NO; ask the cardholder to reply YES or NO.",
        )
    })?;
    let phone = reply.from.trim();
    let holders = state
        .store
        .search_cardholders(
            phone,
            Page {
                limit: 20,
                offset: 0,
            },
        )
        .await?;
    let mut alerts = Vec::new();
    for holder in holders.iter().filter(|h| h.phone.as_deref() == Some(phone)) {
        alerts.extend(
            state
                .store
                .challenged_fraud_alerts_for_cardholder(holder.id)
                .await?,
        );
    }
    if alerts.is_empty() {
        return Err(ApiError::not_found(
            "fraud.no_challenge",
            "No challenge is waiting for an answer from this phone number.",
        ));
    }
    answer_all(&state, &caller, &ctx, alerts, answer, "sms").await
}

async fn answer_all(
    state: &AppState,
    caller: &crate::auth::Principal,
    ctx: &Ctx,
    alerts: Vec<FraudAlert>,
    answer: Answer,
    by: &str,
) -> ApiResult<axum::Json<AnswerOutcome>> {
    let mut done = Vec::new();
    let mut status = String::new();
    for alert in alerts {
        let audit = ctx.audit(
            caller,
            state.clock.now(),
            "fraud.answer",
            format!("fraud_alert:{}", alert.id),
            serde_json::json!({"answer": format!("{answer:?}"), "by": by}),
        );
        let resolved = state
            .fraud
            .answer(alert.id, answer, by, None, Effects::none().audit(audit))
            .await?;
        status = resolved.status.as_str().to_owned();
        done.push(resolved.id);
    }
    Ok(axum::Json(AnswerOutcome {
        alerts: done,
        status,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PortalAnswer {
    /// yes (it was me) or no (it was not me).
    #[schema(example = "no")]
    pub answer: String,
}

/// The cardholder answers a challenge from the portal.
#[utoipa::path(post, path = "/api/v1/portal/fraud/alerts/{id}/answer", tag = "fraud", request_body = PortalAnswer,
    params(("id" = String, Path, format = Uuid)), responses(
    (status = 200, body = AnswerOutcome),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "Already answered", body = crate::error::Problem, content_type = "application/problem+json"),
), security(("session" = [])))]
pub async fn portal_answer(
    State(state): State<AppState>,
    Auth(caller, ..): Auth<Cardholders>,
    ctx: Ctx,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(request): ApiJson<PortalAnswer>,
) -> ApiResult<axum::Json<AnswerOutcome>> {
    let answer = parse_yes_no(&request.answer).ok_or_else(|| {
        ApiError::unprocessable("fraud.unclear_answer", "answer must be yes or no.")
    })?;
    let alert = state.store.fraud_alert(id).await?;
    let mine = caller.cardholder().map(|c| c.id);
    if mine.is_none() || alert.cardholder_id != mine {
        return Err(ApiError::not_found(
            "fraud.no_challenge",
            format!("No challenge {id} is waiting for you."),
        ));
    }
    answer_all(&state, &caller, &ctx, vec![alert], answer, "portal").await
}

/// An alert in the analysts' queue, with its decision.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertView {
    #[schema(value_type = String, format = Uuid)]
    pub id: Uuid,
    pub status: String,
    pub card_id: Option<String>,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub cardholder_id: Option<CardholderId>,
    #[schema(value_type = String)]
    pub opened_at: Timestamp,
    pub note: Option<String>,
    pub decision: DecisionView,
}

/// A stored decision as staff see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionView {
    #[schema(value_type = String, format = Uuid)]
    pub id: Uuid,
    #[schema(value_type = String)]
    pub at: Timestamp,
    pub amount: String,
    pub merchant: String,
    pub mcc: String,
    pub country: String,
    pub city: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub card_present: bool,
    pub decision: String,
    pub score: f64,
    pub reasons: Vec<Reason>,
    pub stand_in: bool,
    pub label: Option<String>,
}

impl From<&FraudDecisionRecord> for DecisionView {
    fn from(d: &FraudDecisionRecord) -> Self {
        let merchant: Option<Merchant> = serde_json::from_value(d.merchant.clone()).ok();
        let amount = Currency::parse(&d.currency)
            .map(|currency| {
                Money {
                    minor: d.amount_minor,
                    currency,
                }
                .to_string()
            })
            .unwrap_or_else(|_| format!("{} {}", d.amount_minor, d.currency));
        DecisionView {
            id: d.id,
            at: d.at,
            amount,
            merchant: merchant
                .as_ref()
                .map(|m| m.name.clone())
                .unwrap_or_default(),
            mcc: merchant
                .as_ref()
                .map(|m| m.mcc.to_string())
                .unwrap_or_default(),
            country: merchant
                .as_ref()
                .map(|m| m.country.to_string())
                .unwrap_or_default(),
            city: merchant
                .as_ref()
                .map(|m| m.city.clone())
                .unwrap_or_default(),
            lat: merchant.as_ref().and_then(|m| m.location).map(|p| p.lat),
            lon: merchant.as_ref().and_then(|m| m.location).map(|p| p.lon),
            card_present: d.card_present,
            decision: d.verdict.clone(),
            score: d.score,
            reasons: serde_json::from_value(d.reasons.clone()).unwrap_or_default(),
            stand_in: d.stand_in,
            label: d.label.as_ref().map(|l| l.label.clone()),
        }
    }
}

pub(crate) async fn alert_view(state: &AppState, alert: &FraudAlert) -> ApiResult<AlertView> {
    let decision = state.store.fraud_decision(alert.decision_id).await?;
    Ok(AlertView {
        id: alert.id,
        status: alert.status.as_str().to_owned(),
        card_id: alert.card_id.clone(),
        cardholder_id: alert.cardholder_id,
        opened_at: alert.opened_at,
        note: alert.note.clone(),
        decision: DecisionView::from(&decision),
    })
}

/// The analysts' queue: alerts nobody has resolved (unanswered challenges after their answer
/// time, and challenges still waiting), oldest first (audited).
#[utoipa::path(get, path = "/api/v1/fraud/alerts", tag = "fraud", responses(
    (status = 200, body = Vec<AlertView>),
), security(("bearer" = []), ("session" = [])))]
pub async fn alerts(
    State(state): State<AppState>,
    Auth(analyst, ..): Auth<Analysts>,
    ctx: Ctx,
) -> ApiResult<axum::Json<Vec<AlertView>>> {
    state.fraud.escalate_unanswered().await?;
    let found = state
        .store
        .fraud_alerts(&[AlertStatus::Open, AlertStatus::Challenged], 200)
        .await?;
    let mut views = Vec::with_capacity(found.len());
    for alert in &found {
        views.push(alert_view(&state, alert).await?);
    }
    ctx.record(
        &state,
        &analyst,
        "fraud.queue.view",
        "fraud_alerts",
        serde_json::json!({"alerts": views.len()}),
    )
    .await?;
    Ok(axum::Json(views))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnalystAction {
    /// confirm_fraud, mark_genuine or contact_cardholder.
    pub action: String,
    pub note: Option<String>,
}

/// An analyst resolves an alert (confirm fraud: the card is locked and `fraud.confirmed` opens
/// the case, replacement and dispute; mark genuine: the profile learns) or asks the cardholder
/// again.
#[utoipa::path(post, path = "/api/v1/fraud/alerts/{id}/actions", tag = "fraud", request_body = AnalystAction,
    params(("id" = String, Path, format = Uuid)), responses(
    (status = 200, body = AlertView),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "Already resolved", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = []), ("session" = [])))]
pub async fn analyst_action(
    State(state): State<AppState>,
    Auth(analyst, ..): Auth<Analysts>,
    ctx: Ctx,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(request): ApiJson<AnalystAction>,
) -> ApiResult<axum::Json<AlertView>> {
    let by = format!(
        "analyst:{}",
        analyst
            .staff_user()
            .map(|u| u.id.to_string())
            .unwrap_or_else(|| "token".to_owned())
    );
    let audit = ctx.audit(
        &analyst,
        state.clock.now(),
        "fraud.alert.action",
        format!("fraud_alert:{id}"),
        serde_json::json!({"action": request.action}),
    );
    let note = request
        .note
        .map(|n| n.chars().take(2_000).collect::<String>());
    let resolved = match request.action.as_str() {
        "confirm_fraud" => {
            state
                .fraud
                .answer(id, Answer::Fraud, &by, note, Effects::none().audit(audit))
                .await?
        }
        "mark_genuine" => {
            state
                .fraud
                .answer(id, Answer::Genuine, &by, note, Effects::none().audit(audit))
                .await?
        }
        "contact_cardholder" => {
            state
                .fraud
                .contact_cardholder(id, &by, Effects::none().audit(audit))
                .await?
        }
        other => {
            return Err(ApiError::unprocessable(
                "fraud.unknown_action",
                format!(
                    "action {other:?} is not confirm_fraud, mark_genuine or contact_cardholder"
                ),
            ));
        }
    };
    Ok(axum::Json(alert_view(&state, &resolved).await?))
}

/// A cardholder's latest authorization decisions (audited).
#[utoipa::path(get, path = "/api/v1/cardholders/{id}/fraud-decisions", tag = "fraud",
    params(("id" = String, Path, format = Uuid)), responses(
    (status = 200, body = Vec<DecisionView>),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = []), ("session" = [])))]
pub async fn cardholder_decisions(
    State(state): State<AppState>,
    Auth(staff, ..): Auth<Staff>,
    ctx: Ctx,
    ApiPath(id): ApiPath<CardholderId>,
) -> ApiResult<axum::Json<Vec<DecisionView>>> {
    super::cardholders::view_cardholder(&state, &staff, &ctx, id).await?;
    let found = state.store.cardholder_fraud_decisions(id, 100).await?;
    Ok(axum::Json(found.iter().map(DecisionView::from).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sms_answers_read_yes_and_no() {
        assert_eq!(parse_yes_no("YES"), Some(Answer::Genuine));
        assert_eq!(parse_yes_no("  yes, it was me"), Some(Answer::Genuine));
        assert_eq!(parse_yes_no("No."), Some(Answer::Fraud));
        assert_eq!(parse_yes_no("nope"), None);
        assert_eq!(parse_yes_no(""), None);
    }
}
