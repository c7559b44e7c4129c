//! Reading the audit log (supervisors and admins).

use axum::extract::State;
use serde::Deserialize;
use store::{AuditEntry, Page};
use utoipa::IntoParams;

use super::extract::ApiQuery;
use crate::auth::{Auth, Supervisors};
use crate::error::ApiResult;
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditParams {
    /// Only rows about this subject, e.g. `cardholder:<id>`.
    pub subject: Option<String>,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

/// Audit rows, newest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "admin", params(AuditParams), responses(
    (status = 200, description = "Audit rows", body = Vec<Object>),
), security(("bearer" = []), ("session" = [])))]
pub async fn list(
    State(state): State<AppState>,
    _who: Auth<Supervisors>,
    ApiQuery(params): ApiQuery<AuditParams>,
) -> ApiResult<axum::Json<Vec<AuditEntry>>> {
    let page = Page {
        limit: params.limit.unwrap_or(100).min(1000),
        offset: params.offset.unwrap_or(0),
    };
    let rows = match params.subject {
        Some(subject) => state.store.audit_for_subject(&subject, page).await?,
        None => state.store.recent_audit(page).await?,
    };
    Ok(axum::Json(rows))
}
