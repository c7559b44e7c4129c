//! What the notifications sender sent a cardholder (staff only; every read is audited).

use axum::extract::State;
use domain::CardholderId;
use serde::{Deserialize, Serialize};
use store::{Delivery, Page};
use utoipa::{IntoParams, ToSchema};

use super::extract::ApiQuery;
use crate::auth::{Auth, Ctx, Staff};
use crate::error::ApiResult;
use crate::state::AppState;

/// One notification on one channel.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationView {
    /// The outbox event that asked for it.
    pub event_id: i64,
    /// sms, push or email.
    pub channel: String,
    pub recipient: String,
    pub provider: String,
    pub template: String,
    /// sending, sent or failed.
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: String,
    pub sent_at: Option<String>,
}

impl From<&Delivery> for NotificationView {
    fn from(d: &Delivery) -> Self {
        NotificationView {
            event_id: d.event_id,
            channel: d.channel.clone(),
            recipient: d.recipient.clone(),
            provider: d.provider.clone(),
            template: d.template.clone(),
            status: d.status.as_str().to_owned(),
            attempts: d.attempts,
            last_error: d.last_error.clone(),
            created_at: d.created_at.to_string(),
            sent_at: d.sent_at.map(|t| t.to_string()),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// The cardholder's id.
    #[param(value_type = String, format = Uuid)]
    pub cardholder: CardholderId,
    /// At most 200.
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

/// A cardholder's notifications, newest first (audited).
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications", params(ListParams), responses(
    (status = 200, body = Vec<NotificationView>),
    (status = 400, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = []), ("session" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Auth(staff, ..): Auth<Staff>,
    ctx: Ctx,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<axum::Json<Vec<NotificationView>>> {
    let page = Page {
        limit: params.limit.unwrap_or(50).min(200),
        offset: params.offset.unwrap_or(0),
    };
    let found = state
        .store
        .deliveries_for_cardholder(params.cardholder, page)
        .await?;
    ctx.record(
        &state,
        &staff,
        "notification.list",
        format!("cardholder:{}", params.cardholder),
        serde_json::json!({"results": found.len()}),
    )
    .await?;
    Ok(axum::Json(
        found.iter().map(NotificationView::from).collect(),
    ))
}
