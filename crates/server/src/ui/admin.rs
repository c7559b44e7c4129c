//! The admin page: staff accounts, API tokens, the audit log.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use domain::Role;
use serde::Deserialize;
use store::{ApiToken, AuditEntry, Page, User};

use super::{Base, page_lang, render};
use crate::api::admin::{NewStaff, NewUserRequest, create_staff, issue_token};
use crate::auth::{Admins, Ctx, PageAuth, Principal, check_form_csrf};
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage<'a> {
    base: Base<'a>,
    users: Vec<User>,
    tokens: Vec<ApiToken>,
    audit: Vec<AuditEntry>,
    roles: Vec<&'static str>,
    notice: Option<String>,
    error: Option<String>,
    new_token: Option<String>,
}

/// What the page shows after a form: a notice, an error or a new token's secret.
#[derive(Default)]
struct Outcome {
    notice: Option<String>,
    error: Option<String>,
    new_token: Option<String>,
}

async fn show(
    state: &AppState,
    who: &Principal,
    headers: &HeaderMap,
    outcome: Outcome,
) -> Response {
    let lang = page_lang(state, headers, None, Some(who));
    let loaded = async {
        Ok::<_, ApiError>((
            state
                .store
                .list_users(Page {
                    limit: 500,
                    offset: 0,
                })
                .await?,
            state.store.list_api_tokens().await?,
            state
                .store
                .recent_audit(Page {
                    limit: 50,
                    offset: 0,
                })
                .await?,
        ))
    }
    .await;
    match loaded {
        Ok((users, tokens, audit)) => render(&AdminPage {
            base: Base::new(state, lang, "admin-title", Some(who)),
            users,
            tokens,
            audit,
            roles: Role::ALL.iter().map(|r| r.as_str()).collect(),
            notice: outcome.notice,
            error: outcome.error,
            new_token: outcome.new_token,
        }),
        Err(err) => err.into_response(),
    }
}

pub async fn page(
    State(state): State<AppState>,
    PageAuth(who, ..): PageAuth<Admins>,
    headers: HeaderMap,
) -> Response {
    show(&state, &who, &headers, Outcome::default()).await
}

#[derive(Deserialize)]
pub struct UserForm {
    csrf: String,
    email: String,
    display_name: String,
    role: String,
    password: String,
    #[serde(default)]
    language: String,
}

pub async fn create_user(
    State(state): State<AppState>,
    PageAuth(who, ..): PageAuth<Admins>,
    ctx: Ctx,
    headers: HeaderMap,
    Form(form): Form<UserForm>,
) -> Response {
    if let Err(err) = check_form_csrf(&who, &form.csrf) {
        return err.into_response();
    }
    let request = NewUserRequest {
        email: form.email,
        display_name: form.display_name,
        role: form.role,
        password: form.password,
        language: Some(form.language),
    };
    let result = async {
        let new = NewStaff::parse(request)?;
        let audit = ctx.audit(
            &who,
            state.clock.now(),
            "user.create",
            format!("email:{}", new.email),
            serde_json::json!({"role": new.role}),
        );
        create_staff(&state, new, Some(audit)).await
    }
    .await;
    let lang = page_lang(&state, &headers, None, Some(&who));
    let outcome = match result {
        Ok(user) => Outcome {
            notice: Some(state.i18n.message(
                lang,
                "admin-user-created",
                Some(&{
                    let mut args = fluent_bundle::FluentArgs::new();
                    args.set("email", user.email);
                    args
                }),
            )),
            ..Outcome::default()
        },
        Err(err) => Outcome {
            error: Some(err.detail),
            ..Outcome::default()
        },
    };
    show(&state, &who, &headers, outcome).await
}

#[derive(Deserialize)]
pub struct TokenForm {
    csrf: String,
    name: String,
    role: String,
}

pub async fn create_token(
    State(state): State<AppState>,
    PageAuth(who, ..): PageAuth<Admins>,
    ctx: Ctx,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> Response {
    if let Err(err) = check_form_csrf(&who, &form.csrf) {
        return err.into_response();
    }
    let result = async {
        let role: Role = form
            .role
            .parse()
            .map_err(|e| ApiError::unprocessable("token.role", format!("{e}")))?;
        let audit = ctx.audit(
            &who,
            state.clock.now(),
            "api_token.create",
            format!("api_token:{}", form.name),
            serde_json::json!({"role": role}),
        );
        issue_token(
            &state,
            &form.name,
            role,
            who.staff_user().map(|u| u.id),
            Some(audit),
        )
        .await
    }
    .await;
    let outcome = match result {
        Ok((_, secret)) => Outcome {
            new_token: Some(secret),
            ..Outcome::default()
        },
        Err(err) => Outcome {
            error: Some(err.detail),
            ..Outcome::default()
        },
    };
    show(&state, &who, &headers, outcome).await
}

#[derive(Deserialize)]
pub struct RevokeForm {
    csrf: String,
}

pub async fn revoke_token(
    State(state): State<AppState>,
    PageAuth(who, ..): PageAuth<Admins>,
    ctx: Ctx,
    Path(id): Path<uuid::Uuid>,
    Form(form): Form<RevokeForm>,
) -> Response {
    if let Err(err) = check_form_csrf(&who, &form.csrf) {
        return err.into_response();
    }
    let audit = ctx.audit(
        &who,
        state.clock.now(),
        "api_token.revoke",
        format!("api_token:{id}"),
        serde_json::json!({}),
    );
    match state
        .store
        .revoke_api_token(id, state.clock.now(), store::Effects::none().audit(audit))
        .await
    {
        Ok(()) | Err(store::StoreError::NotFound { .. }) => Redirect::to("/admin").into_response(),
        Err(err) => ApiError::from(err).into_response(),
    }
}
