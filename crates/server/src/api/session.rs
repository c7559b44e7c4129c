//! Signing in and out through the API (the pages use the same session cookie).

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::{Lang, Role};
use serde::{Deserialize, Serialize};
use store::{Effects, PrincipalRef};
use utoipa::ToSchema;

use super::extract::ApiJson;
use crate::auth::{self, Actor, Anyone, Auth, Ctx, Principal};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// Who is signed in, and the token to send as `X-CSRF-Token` on state-changing requests.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// `staff`, `token` or `cardholder`.
    pub kind: &'static str,
    pub id: String,
    pub name: String,
    /// agent, supervisor, fraud_analyst, admin or integration; absent for cardholders.
    pub role: Option<String>,
    pub language: String,
    pub csrf_token: Option<String>,
}

impl Me {
    pub fn of(principal: &Principal) -> Me {
        let (kind, id, language) = match &principal.actor {
            Actor::Staff(u) => ("staff", u.id.to_string(), u.language),
            Actor::Token(t) => ("token", t.id.to_string(), Lang::En),
            Actor::Cardholder(c) => ("cardholder", c.id.to_string(), c.language),
        };
        Me {
            kind,
            id,
            name: principal.display_name(),
            role: principal.role().map(|r| r.to_string()),
            language: language.to_string(),
            csrf_token: principal.csrf.clone(),
        }
    }
}

/// What went wrong with a sign-in, said the same way whatever the cause.
fn bad_credentials() -> ApiError {
    ApiError::unauthorized("The email or password is not right.").with_code("auth.bad_credentials")
}

pub fn too_many_attempts() -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "auth.rate_limited",
        "Too many sign-in attempts; wait a minute and try again.",
    )
    .retry_after(60)
}

/// Checks staff credentials (rate-limited, audited); the caller starts the session.
pub async fn staff_login(
    state: &AppState,
    ctx: &Ctx,
    email: &str,
    password: &str,
) -> ApiResult<store::User> {
    if !state.login_limiter.allow(email, &ctx.ip) {
        state.metrics.logins_refused.inc();
        return Err(too_many_attempts());
    }
    let user = state.store.user_by_email(email).await?;
    let hash = user
        .as_ref()
        .map_or(auth::password::decoy_hash(), |u| u.password_hash.as_str());
    let ok = auth::password::verify(password, hash);
    match user {
        Some(user) if ok && !user.disabled => {
            let who = Principal {
                actor: Actor::Staff(Box::new(user.clone())),
                csrf: None,
            };
            ctx.record(
                state,
                &who,
                "staff.login",
                format!("user:{}", user.id),
                serde_json::json!({}),
            )
            .await?;
            Ok(user)
        }
        _ => {
            state.metrics.logins_refused.inc();
            tracing::info!(ip = %ctx.ip, "staff sign-in refused");
            Err(bad_credentials())
        }
    }
}

/// Checks cardholder portal credentials (rate-limited, audited).
pub async fn cardholder_login(
    state: &AppState,
    ctx: &Ctx,
    email: &str,
    password: &str,
) -> ApiResult<store::Cardholder> {
    if !state.login_limiter.allow(email, &ctx.ip) {
        state.metrics.logins_refused.inc();
        return Err(too_many_attempts());
    }
    let cardholder = state.store.cardholder_by_email(email).await?;
    let hash = cardholder
        .as_ref()
        .and_then(|c| c.password_hash.as_deref())
        .unwrap_or(auth::password::decoy_hash());
    if auth::password::verify(password, hash)
        && let Some(c) = cardholder
    {
        let who = Principal {
            actor: Actor::Cardholder(Box::new(c.clone())),
            csrf: None,
        };
        ctx.record(
            state,
            &who,
            "cardholder.login",
            format!("cardholder:{}", c.id),
            serde_json::json!({}),
        )
        .await?;
        return Ok(c);
    }
    state.metrics.logins_refused.inc();
    Err(bad_credentials())
}

fn with_cookie(cookie: cookie::Cookie<'static>, body: impl IntoResponse) -> Response {
    let mut response = body.into_response();
    if let Ok(value) = cookie.to_string().parse() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

async fn session_response(
    state: &AppState,
    ctx: &Ctx,
    who: PrincipalRef,
    principal: Principal,
) -> ApiResult<Response> {
    let cookie = auth::start_session(state, who, ctx).await?;
    // The CSRF token lives in the new session; read it back for the answer.
    let secret = cookie.value().to_owned();
    let session = state
        .store
        .live_session(&auth::token::digest(&secret), state.clock.now())
        .await?;
    let me = Me {
        csrf_token: session.map(|s| s.csrf_token),
        ..Me::of(&principal)
    };
    Ok(with_cookie(cookie, axum::Json(me)))
}

/// Staff sign-in: sets the session cookie.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest, responses(
    (status = 200, description = "Signed in; the session cookie is set", body = Me),
    (status = 401, description = "Wrong email or password", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 429, description = "Too many attempts", body = crate::error::Problem, content_type = "application/problem+json"),
))]
pub async fn login(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Response> {
    let user = staff_login(&state, &ctx, &req.email, &req.password).await?;
    let principal = Principal {
        actor: Actor::Staff(Box::new(user.clone())),
        csrf: None,
    };
    session_response(&state, &ctx, PrincipalRef::Staff(user.id), principal).await
}

/// Cardholder sign-in to the portal: sets the session cookie.
#[utoipa::path(post, path = "/api/v1/portal/login", tag = "auth", request_body = LoginRequest, responses(
    (status = 200, description = "Signed in; the session cookie is set", body = Me),
    (status = 401, description = "Wrong email or password", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 429, description = "Too many attempts", body = crate::error::Problem, content_type = "application/problem+json"),
))]
pub async fn portal_login(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Response> {
    let cardholder = cardholder_login(&state, &ctx, &req.email, &req.password).await?;
    let principal = Principal {
        actor: Actor::Cardholder(Box::new(cardholder.clone())),
        csrf: None,
    };
    session_response(
        &state,
        &ctx,
        PrincipalRef::Cardholder(cardholder.id),
        principal,
    )
    .await
}

/// Ends the session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", responses(
    (status = 204, description = "Signed out"),
    (status = 400, description = "A body was sent, or the caller used a bearer token", body = crate::error::Problem, content_type = "application/problem+json"),
))]
pub async fn logout(
    State(state): State<AppState>,
    Auth(principal, ..): Auth<Anyone>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    if !body.is_empty() {
        return Err(ApiError::bad_request(
            "request.unexpected_body",
            "Sign-out takes no request body; send none.",
        ));
    }
    if principal.csrf.is_none() {
        return Err(ApiError::bad_request(
            "auth.no_session",
            "A bearer token has no session to end; revoke the token instead (DELETE /api/v1/tokens/{id}).",
        ));
    }
    if let Some(secret) = auth::session_cookie(&headers) {
        state
            .store
            .delete_session(&auth::token::digest(&secret))
            .await?;
    }
    let expired = auth::session_cookie_for(&state, String::new(), jiff::SignedDuration::ZERO);
    Ok(with_cookie(expired, StatusCode::NO_CONTENT))
}

/// The caller.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", responses(
    (status = 200, description = "The caller", body = Me),
    (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"),
))]
pub async fn me(Auth(principal, ..): Auth<Anyone>) -> axum::Json<Me> {
    axum::Json(Me::of(&principal))
}

pub fn role_names() -> String {
    Role::ALL
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Effects with one audit row.
pub fn audited(record: store::AuditRecord) -> Effects {
    Effects::none().audit(record)
}
