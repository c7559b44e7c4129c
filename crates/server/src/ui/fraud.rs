//! `/fraud`: the analysts' queue (product §6). Open alerts with the reasons that fired, the
//! card's recent decisions as an inline SVG timeline (time → score, coloured by decision), and
//! the actions: confirm fraud, mark genuine, contact the cardholder.

use askama::Template;
use axum::Form;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use store::{AlertStatus, Effects};

use super::{Base, page_lang, render};
use crate::api::fraud::{AlertView, DecisionView, alert_view};
use crate::auth::{Analysts, Ctx, PageAuth, check_form_csrf};
use crate::error::ApiError;
use crate::fraud::Answer;
use crate::state::AppState;

/// One point of a card's timeline.
pub struct Dot {
    pub x: f64,
    pub y: f64,
    pub class: &'static str,
    pub title: String,
}

pub struct QueueItem {
    pub alert: AlertView,
    pub dots: Vec<Dot>,
}

#[derive(Template)]
#[template(path = "fraud/queue.html")]
struct QueuePage<'a> {
    base: Base<'a>,
    items: Vec<QueueItem>,
}

const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 80.0;

/// Decisions placed on a time axis (oldest left) with the score as height.
pub fn timeline(decisions: &[DecisionView]) -> Vec<Dot> {
    let (Some(first), Some(last)) = (
        decisions.iter().map(|d| d.at).min(),
        decisions.iter().map(|d| d.at).max(),
    ) else {
        return Vec::new();
    };
    let span = (last - first).as_secs_f64().max(1.0);
    decisions
        .iter()
        .map(|d| Dot {
            x: 10.0 + (WIDTH - 20.0) * (d.at - first).as_secs_f64() / span,
            y: HEIGHT - 8.0 - (HEIGHT - 16.0) * d.score.clamp(0.0, 1.0),
            class: match d.decision.as_str() {
                "approve" => "approve",
                "challenge" => "challenge",
                _ => "decline",
            },
            title: format!(
                "{} · {} · {} {} · {} ({:.2})",
                d.at, d.amount, d.merchant, d.country, d.decision, d.score
            ),
        })
        .collect()
}

pub async fn queue(
    State(state): State<AppState>,
    PageAuth(who, ..): PageAuth<Analysts>,
    ctx: Ctx,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let lang = page_lang(&state, &headers, q.as_deref(), Some(&who));
    let result: Result<Vec<QueueItem>, ApiError> = async {
        state.fraud.escalate_unanswered().await?;
        let alerts = state
            .store
            .fraud_alerts(&[AlertStatus::Open, AlertStatus::Challenged], 100)
            .await?;
        let mut items = Vec::new();
        for alert in &alerts {
            let view = alert_view(&state, alert).await?;
            let history = match &alert.card_id {
                Some(card) => state.store.card_fraud_decisions(card, 50).await?,
                None => Vec::new(),
            };
            let history: Vec<DecisionView> = history.iter().map(DecisionView::from).collect();
            items.push(QueueItem {
                alert: view,
                dots: timeline(&history),
            });
        }
        ctx.record(
            &state,
            &who,
            "fraud.queue.view",
            "fraud_alerts",
            serde_json::json!({"alerts": items.len()}),
        )
        .await?;
        Ok(items)
    }
    .await;
    match result {
        Ok(items) => render(&QueuePage {
            base: Base::new(&state, lang, "fraud-queue-title", Some(&who)),
            items,
        }),
        Err(err) => err.into_response(),
    }
}

#[derive(Deserialize)]
pub struct ActionForm {
    csrf: String,
    action: String,
}

pub async fn action(
    State(state): State<AppState>,
    PageAuth(who, ..): PageAuth<Analysts>,
    ctx: Ctx,
    Path(id): Path<uuid::Uuid>,
    Form(form): Form<ActionForm>,
) -> Response {
    if let Err(err) = check_form_csrf(&who, &form.csrf) {
        return err.into_response();
    }
    let by = format!(
        "analyst:{}",
        who.staff_user()
            .map(|u| u.id.to_string())
            .unwrap_or_default()
    );
    let audit = ctx.audit(
        &who,
        state.clock.now(),
        "fraud.alert.action",
        format!("fraud_alert:{id}"),
        serde_json::json!({"action": form.action}),
    );
    let effects = Effects::none().audit(audit);
    let done = match form.action.as_str() {
        "confirm_fraud" => state
            .fraud
            .answer(id, Answer::Fraud, &by, None, effects)
            .await
            .map(|_| ()),
        "mark_genuine" => state
            .fraud
            .answer(id, Answer::Genuine, &by, None, effects)
            .await
            .map(|_| ()),
        "contact_cardholder" => state
            .fraud
            .contact_cardholder(id, &by, effects)
            .await
            .map(|_| ()),
        _ => {
            return ApiError::unprocessable(
                "fraud.unknown_action",
                "action must be confirm_fraud, mark_genuine or contact_cardholder",
            )
            .into_response();
        }
    };
    match done {
        Ok(()) => Redirect::to("/fraud").into_response(),
        Err(err) => ApiError::from(err).into_response(),
    }
}
