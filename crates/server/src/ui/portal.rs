//! The cardholder portal.

use askama::Template;
use axum::Form;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use store::PrincipalRef;

use super::staff::{LoginForm, login_form, redirect_with_cookie, safe_next};
use super::{Base, page_lang, query_param, render};
use crate::api::session::cardholder_login;
use crate::auth::{self, Cardholders, Ctx, PageAuth};
use crate::i18n::Tr;
use crate::state::AppState;

pub async fn login_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let lang = page_lang(&state, &headers, q.as_deref(), None);
    let next = safe_next(
        q.as_deref().and_then(|q| query_param(q, "next")).as_deref(),
        "/portal",
    );
    let tr = Tr {
        lang,
        i18n: &state.i18n,
    };
    render(&login_form(
        &state,
        tr,
        "portal-login-title",
        "/portal/login",
        next,
        String::new(),
        None,
    ))
}

pub async fn login_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let lang = page_lang(&state, &headers, None, None);
    let tr = Tr {
        lang,
        i18n: &state.i18n,
    };
    let next = safe_next(Some(&form.next), "/portal");
    match cardholder_login(&state, &ctx, &form.email, &form.password).await {
        Ok(c) => match auth::start_session(&state, PrincipalRef::Cardholder(c.id), &ctx).await {
            Ok(cookie) => redirect_with_cookie(&next, cookie),
            Err(err) => err.into_response(),
        },
        Err(err) => {
            let message = if err.status == StatusCode::TOO_MANY_REQUESTS {
                tr.t("login-rate-limited")
            } else {
                tr.t("login-failed")
            };
            let page = login_form(
                &state,
                tr,
                "portal-login-title",
                "/portal/login",
                next,
                form.email,
                Some(message),
            );
            (err.status, render(&page)).into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "portal.html")]
struct PortalPage<'a> {
    base: Base<'a>,
    welcome: String,
    tier: String,
}

pub async fn home(
    State(state): State<AppState>,
    PageAuth(who, ..): PageAuth<Cardholders>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let lang = page_lang(&state, &headers, q.as_deref(), Some(&who));
    let base = Base::new(&state, lang, "portal-title", Some(&who));
    let Some(c) = who.cardholder() else {
        return StatusCode::FORBIDDEN.into_response();
    };
    let page = PortalPage {
        welcome: base.tr.t1("portal-welcome", "name", &c.given_name),
        tier: base.tr.t1("portal-tier", "tier", c.tier),
        base,
    };
    render(&page)
}
