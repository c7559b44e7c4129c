//! Staff accounts and API tokens (admins only).

use axum::extract::State;
use axum::http::StatusCode;
use domain::{Lang, Role, UserId};
use serde::{Deserialize, Serialize};
use store::{ApiToken, Effects, NewEvent, Page, User};
use utoipa::ToSchema;

use super::extract::{ApiJson, ApiPath};
use super::session::role_names;
use crate::auth::{self, Admins, Auth, Ctx};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    #[schema(value_type = String, format = Uuid)]
    pub id: UserId,
    pub email: String,
    pub display_name: String,
    /// agent, supervisor, fraud_analyst, admin or integration.
    #[schema(value_type = String)]
    pub role: Role,
    #[schema(value_type = String, example = "en")]
    pub language: Lang,
    pub disabled: bool,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: jiff::Timestamp,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        UserView {
            id: u.id,
            email: u.email.clone(),
            display_name: u.display_name.clone(),
            role: u.role,
            language: u.language,
            disabled: u.disabled,
            created_at: u.created_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserRequest {
    pub email: String,
    pub display_name: String,
    /// agent, supervisor, fraud_analyst or admin.
    pub role: String,
    pub password: String,
    /// Interface language (BCP 47 code); default en.
    pub language: Option<String>,
}

/// Validated input for a new staff account, shared by the API, the admin page and the CLI.
pub struct NewStaff {
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub password: String,
    pub language: Lang,
}

impl NewStaff {
    pub fn parse(req: NewUserRequest) -> ApiResult<NewStaff> {
        let email = req.email.trim().to_owned();
        if !plausible_email(&email) {
            return Err(ApiError::unprocessable(
                "user.email",
                format!("{email:?} is not an email address."),
            ));
        }
        let display_name = req.display_name.trim().to_owned();
        if display_name.is_empty() || display_name.chars().count() > 100 {
            return Err(ApiError::unprocessable(
                "user.display_name",
                "Give a display name of 1 to 100 characters.",
            ));
        }
        let role: Role = req
            .role
            .parse()
            .map_err(|e| ApiError::unprocessable("user.role", format!("{e}")))?;
        if role == Role::Integration {
            return Err(ApiError::unprocessable(
                "user.role",
                "Integrations sign in with API tokens, not passwords: create a token with role integration.",
            ));
        }
        let language = match req.language.as_deref() {
            None | Some("") => Lang::En,
            Some(code) => code
                .parse()
                .map_err(|e| ApiError::unprocessable("user.language", format!("{e}")))?,
        };
        Ok(NewStaff {
            email,
            display_name,
            role,
            password: req.password,
            language,
        })
    }
}

pub fn plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Creates a staff account (hashing the password), auditing it as done by `actor`.
pub async fn create_staff(
    state: &AppState,
    new: NewStaff,
    audit: Option<store::AuditRecord>,
) -> ApiResult<User> {
    auth::password::check_strength(&new.password, state.settings.auth.min_password_length)
        .map_err(|e| ApiError::unprocessable("user.password", e.to_string()))?;
    let password_hash = auth::password::hash(&new.password).map_err(|e| ApiError::internal(&e))?;
    let user = User {
        id: UserId::new(),
        email: new.email.to_lowercase(),
        display_name: new.display_name,
        role: new.role,
        password_hash,
        language: new.language,
        disabled: false,
        created_at: state.clock.now(),
    };
    let subject = format!("user:{}", user.id);
    let mut effects = Effects::none().event(NewEvent::new(
        "user.created",
        subject,
        serde_json::json!({"role": user.role, "email": user.email}),
    ));
    effects.audit.extend(audit);
    state
        .store
        .insert_user(&user, effects)
        .await
        .map_err(|e| match e {
            store::StoreError::Conflict { .. } => ApiError::conflict(
                "user.exists",
                format!("A user with email {} already exists.", user.email),
            ),
            other => other.into(),
        })?;
    Ok(user)
}

/// Staff accounts.
#[utoipa::path(get, path = "/api/v1/users", tag = "admin", responses(
    (status = 200, body = Vec<UserView>),
    (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = []), ("session" = [])))]
pub async fn list_users(
    State(state): State<AppState>,
    _admin: Auth<Admins>,
) -> ApiResult<axum::Json<Vec<UserView>>> {
    let users = state
        .store
        .list_users(Page {
            limit: 500,
            offset: 0,
        })
        .await?;
    Ok(axum::Json(users.iter().map(UserView::from).collect()))
}

/// Creates a staff account.
#[utoipa::path(post, path = "/api/v1/users", tag = "admin", request_body = NewUserRequest, responses(
    (status = 201, body = UserView),
    (status = 409, description = "Email taken", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "Invalid field", body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = []), ("session" = [])))]
pub async fn create_user(
    State(state): State<AppState>,
    Auth(admin, ..): Auth<Admins>,
    ctx: Ctx,
    ApiJson(req): ApiJson<NewUserRequest>,
) -> ApiResult<(StatusCode, axum::Json<UserView>)> {
    let new = NewStaff::parse(req)?;
    let audit = ctx.audit(
        &admin,
        state.clock.now(),
        "user.create",
        format!("email:{}", new.email),
        serde_json::json!({"role": new.role}),
    );
    let user = create_staff(&state, new, Some(audit)).await?;
    Ok((StatusCode::CREATED, axum::Json(UserView::from(&user))))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    #[schema(value_type = String, format = Uuid)]
    pub id: uuid::Uuid,
    pub name: String,
    #[schema(value_type = String)]
    pub role: Role,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: jiff::Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_used_at: Option<jiff::Timestamp>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub revoked_at: Option<jiff::Timestamp>,
}

impl From<&ApiToken> for TokenView {
    fn from(t: &ApiToken) -> Self {
        TokenView {
            id: t.id,
            name: t.name.clone(),
            role: t.role,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenRequest {
    /// What the token is for, e.g. "card processor".
    pub name: String,
    /// agent, supervisor, fraud_analyst, admin or integration.
    pub role: String,
}

/// The new token: its secret is shown this once and never stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedToken {
    pub token: String,
    #[serde(flatten)]
    pub view: TokenView,
}

/// Creates an API token for `role`; returns the token record and the secret (shown once).
pub async fn issue_token(
    state: &AppState,
    name: &str,
    role: Role,
    created_by: Option<UserId>,
    audit: Option<store::AuditRecord>,
) -> ApiResult<(ApiToken, String)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::unprocessable(
            "token.name",
            "Give the token a name of 1 to 100 characters.",
        ));
    }
    let secret = auth::token::generate("hl_");
    let token = ApiToken {
        id: uuid::Uuid::now_v7(),
        name: name.to_owned(),
        token_hash: auth::token::digest(&secret),
        role,
        created_by,
        created_at: state.clock.now(),
        last_used_at: None,
        revoked_at: None,
    };
    let mut effects = Effects::none();
    effects.audit.extend(audit);
    state.store.insert_api_token(&token, effects).await?;
    Ok((token, secret))
}

/// API tokens (secrets are never shown again).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "admin", responses((status = 200, body = Vec<TokenView>)),
    security(("bearer" = []), ("session" = [])))]
pub async fn list_tokens(
    State(state): State<AppState>,
    _admin: Auth<Admins>,
) -> ApiResult<axum::Json<Vec<TokenView>>> {
    Ok(axum::Json(
        state
            .store
            .list_api_tokens()
            .await?
            .iter()
            .map(TokenView::from)
            .collect(),
    ))
}

/// Creates an API token.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "admin", request_body = NewTokenRequest, responses(
    (status = 201, body = CreatedToken),
    (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = []), ("session" = [])))]
pub async fn create_token(
    State(state): State<AppState>,
    Auth(admin, ..): Auth<Admins>,
    ctx: Ctx,
    ApiJson(req): ApiJson<NewTokenRequest>,
) -> ApiResult<(StatusCode, axum::Json<CreatedToken>)> {
    let role: Role = req.role.parse().map_err(|_| {
        ApiError::unprocessable(
            "token.role",
            format!("Unknown role {:?}; use one of {}.", req.role, role_names()),
        )
    })?;
    let audit = ctx.audit(
        &admin,
        state.clock.now(),
        "api_token.create",
        format!("api_token:{}", req.name),
        serde_json::json!({"role": role}),
    );
    let (token, secret) = issue_token(
        &state,
        &req.name,
        role,
        admin.staff_user().map(|u| u.id),
        Some(audit),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(CreatedToken {
            token: secret,
            view: TokenView::from(&token),
        }),
    ))
}

/// Revokes an API token at once.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "admin", params(("id" = String, Path, format = Uuid)), responses(
    (status = 204, description = "Revoked"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = []), ("session" = [])))]
pub async fn revoke_token(
    State(state): State<AppState>,
    Auth(admin, ..): Auth<Admins>,
    ctx: Ctx,
    ApiPath(id): ApiPath<uuid::Uuid>,
) -> ApiResult<StatusCode> {
    let audit = ctx.audit(
        &admin,
        state.clock.now(),
        "api_token.revoke",
        format!("api_token:{id}"),
        serde_json::json!({}),
    );
    state
        .store
        .revoke_api_token(id, state.clock.now(), Effects::none().audit(audit))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
