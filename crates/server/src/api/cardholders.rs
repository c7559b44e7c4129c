//! Cardholder look-up for staff. Every view is audited.

use axum::extract::State;
use domain::{CardholderId, Lang, Tier};
use serde::{Deserialize, Serialize};
use store::{Cardholder, Page};
use utoipa::{IntoParams, ToSchema};

use super::extract::{ApiPath, ApiQuery};
use crate::auth::{Auth, Ctx, Staff};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// A cardholder as staff see them. Identity-verification facts (date of birth, tax id) are not
/// shown: agents check answers against them, they never read them out.
#[derive(Debug, Serialize, ToSchema)]
pub struct CardholderView {
    #[schema(value_type = String, format = Uuid)]
    pub id: CardholderId,
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
    #[schema(value_type = String)]
    pub language: Lang,
    pub country: String,
    pub time_zone: String,
    #[schema(value_type = String)]
    pub tier: Tier,
    pub city: String,
    pub has_relationship_manager: bool,
}

impl From<&Cardholder> for CardholderView {
    fn from(c: &Cardholder) -> Self {
        CardholderView {
            id: c.id,
            name: c.full_name(),
            email: c.email.clone(),
            phone: c.phone.clone(),
            language: c.language,
            country: c.country.to_string(),
            time_zone: c.time_zone.clone(),
            tier: c.tier,
            city: c.address.city.clone(),
            has_relationship_manager: c.relationship_manager.is_some(),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SearchParams {
    /// Part of a name, email or phone number; empty lists everyone.
    #[serde(default)]
    pub q: String,
    /// At most 200.
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

/// Finds cardholders (audited as a search).
#[utoipa::path(get, path = "/api/v1/cardholders", tag = "cardholders", params(SearchParams), responses(
    (status = 200, body = Vec<CardholderView>),
    (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = []), ("session" = [])))]
pub async fn search(
    State(state): State<AppState>,
    Auth(staff, ..): Auth<Staff>,
    ctx: Ctx,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> ApiResult<axum::Json<Vec<CardholderView>>> {
    let page = Page {
        limit: params.limit.unwrap_or(50).min(200),
        offset: params.offset.unwrap_or(0),
    };
    let found = state.store.search_cardholders(&params.q, page).await?;
    ctx.record(
        &state,
        &staff,
        "cardholder.search",
        "cardholders",
        serde_json::json!({"query": params.q, "results": found.len()}),
    )
    .await?;
    Ok(axum::Json(found.iter().map(CardholderView::from).collect()))
}

/// Loads a cardholder and audits the view; shared by the API and the console.
pub async fn view_cardholder(
    state: &AppState,
    who: &crate::auth::Principal,
    ctx: &Ctx,
    id: CardholderId,
) -> ApiResult<Cardholder> {
    let cardholder = state.store.cardholder_by_id(id).await?.ok_or_else(|| {
        ApiError::not_found(
            "cardholder.not_found",
            format!("No cardholder has id {id}."),
        )
    })?;
    ctx.record(
        state,
        who,
        "cardholder.view",
        format!("cardholder:{id}"),
        serde_json::json!({}),
    )
    .await?;
    Ok(cardholder)
}

/// One cardholder (audited).
#[utoipa::path(get, path = "/api/v1/cardholders/{id}", tag = "cardholders", params(("id" = String, Path, format = Uuid)), responses(
    (status = 200, body = CardholderView),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = []), ("session" = [])))]
pub async fn get(
    State(state): State<AppState>,
    Auth(staff, ..): Auth<Staff>,
    ctx: Ctx,
    ApiPath(id): ApiPath<CardholderId>,
) -> ApiResult<axum::Json<CardholderView>> {
    let cardholder = view_cardholder(&state, &staff, &ctx, id).await?;
    Ok(axum::Json(CardholderView::from(&cardholder)))
}
