//! Public home, staff sign-in and the agent console.

use askama::Template;
use axum::Form;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use domain::CardholderId;
use serde::Deserialize;
use store::{Cardholder, Page, PrincipalRef};

use super::{Base, error_page, page_lang, query_param, render};
use crate::api::cardholders::view_cardholder;
use crate::api::session::staff_login;
use crate::auth::{self, Anyone, Ctx, MaybePrincipal, PageAuth, Staff, check_form_csrf};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage<'a> {
    base: Base<'a>,
}

pub async fn home(
    State(state): State<AppState>,
    MaybePrincipal(who): MaybePrincipal,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let lang = page_lang(&state, &headers, q.as_deref(), who.as_ref());
    render(&HomePage {
        base: Base::new(&state, lang, "app-name", who.as_ref()),
    })
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage<'a> {
    pub base: Base<'a>,
    pub action: &'static str,
    pub next: String,
    pub email: String,
    pub error: Option<String>,
    pub demo_hint: Option<String>,
}

/// Only same-site paths may follow a sign-in.
pub fn safe_next(next: Option<&str>, default: &str) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => default.to_owned(),
    }
}

pub fn login_form<'a>(
    state: &'a AppState,
    lang: crate::i18n::Tr<'a>,
    title: &str,
    action: &'static str,
    next: String,
    email: String,
    error: Option<String>,
) -> LoginPage<'a> {
    let demo_hint = state
        .demo
        .then(|| lang.t1("login-demo-hint", "password", crate::demo::DEMO_PASSWORD));
    LoginPage {
        base: Base::new(state, lang.lang, title, None),
        action,
        next,
        email,
        error,
        demo_hint,
    }
}

pub async fn login_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let lang = page_lang(&state, &headers, q.as_deref(), None);
    let next = safe_next(
        q.as_deref().and_then(|q| query_param(q, "next")).as_deref(),
        "/console",
    );
    let tr = crate::i18n::Tr {
        lang,
        i18n: &state.i18n,
    };
    render(&login_form(
        &state,
        tr,
        "login-title",
        "/login",
        next,
        String::new(),
        None,
    ))
}

#[derive(Deserialize)]
pub struct LoginForm {
    pub email: String,
    pub password: String,
    #[serde(default)]
    pub next: String,
}

pub async fn login_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let lang = page_lang(&state, &headers, None, None);
    let tr = crate::i18n::Tr {
        lang,
        i18n: &state.i18n,
    };
    let next = safe_next(Some(&form.next), "/console");
    match staff_login(&state, &ctx, &form.email, &form.password).await {
        Ok(user) => match auth::start_session(&state, PrincipalRef::Staff(user.id), &ctx).await {
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
                "login-title",
                "/login",
                next,
                form.email,
                Some(message),
            );
            (err.status, render(&page)).into_response()
        }
    }
}

pub fn redirect_with_cookie(to: &str, cookie: cookie::Cookie<'static>) -> Response {
    let mut response = Redirect::to(to).into_response();
    if let Ok(value) = cookie.to_string().parse() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(
    State(state): State<AppState>,
    PageAuth(who, ..): PageAuth<Anyone>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(err) = check_form_csrf(&who, &form.csrf) {
        return err.into_response();
    }
    if let Some(secret) = auth::session_cookie(&headers)
        && let Err(err) = state
            .store
            .delete_session(&auth::token::digest(&secret))
            .await
    {
        return crate::error::ApiError::from(err).into_response();
    }
    let home = if who.cardholder().is_some() {
        "/portal/login"
    } else {
        "/login"
    };
    redirect_with_cookie(
        home,
        auth::session_cookie_for(&state, String::new(), jiff::SignedDuration::ZERO),
    )
}

#[derive(Template)]
#[template(path = "console.html")]
struct ConsolePage<'a> {
    base: Base<'a>,
    welcome: String,
    query: String,
    results_label: String,
    results: Vec<Cardholder>,
}

pub async fn console(
    State(state): State<AppState>,
    PageAuth(who, ..): PageAuth<Staff>,
    ctx: Ctx,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let lang = page_lang(&state, &headers, q.as_deref(), Some(&who));
    let base = Base::new(&state, lang, "console-title", Some(&who));
    let query = q
        .as_deref()
        .and_then(|q| query_param(q, "q"))
        .unwrap_or_default();
    let results = match state
        .store
        .search_cardholders(
            query.trim(),
            Page {
                limit: 25,
                offset: 0,
            },
        )
        .await
    {
        Ok(found) => found,
        Err(err) => return crate::error::ApiError::from(err).into_response(),
    };
    let audited = ctx
        .record(
            &state,
            &who,
            "cardholder.search",
            "cardholders",
            serde_json::json!({"query": query, "results": results.len()}),
        )
        .await;
    if let Err(err) = audited {
        return err.into_response();
    }
    let page = ConsolePage {
        welcome: base.tr.t1("console-welcome", "name", who.display_name()),
        results_label: base.tr.t1("console-results", "count", results.len()),
        base,
        query,
        results,
    };
    render(&page)
}

#[derive(Template)]
#[template(path = "customer.html")]
struct CustomerPage<'a> {
    base: Base<'a>,
    c: Cardholder,
    address: String,
    cards: String,
    /// The cardholder's latest authorization decisions (fraud monitoring).
    fraud: Vec<crate::api::fraud::DecisionView>,
    /// What the notifications sender sent them, newest first.
    notifications: Vec<crate::api::notifications::NotificationView>,
}

pub async fn customer(
    State(state): State<AppState>,
    PageAuth(who, ..): PageAuth<Staff>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let lang = page_lang(&state, &headers, None, Some(&who));
    let Ok(id) = id.parse::<CardholderId>() else {
        let message = state.i18n.message(lang, "error-not-found", None);
        return error_page(&state, lang, StatusCode::NOT_FOUND, Some(&who), message);
    };
    match view_cardholder(&state, &who, &ctx, id).await {
        Ok(c) => {
            let mut base = Base::new(&state, lang, "customer-title", Some(&who));
            base.title = c.full_name();
            let a = &c.address;
            let address = a
                .lines
                .iter()
                .cloned()
                .chain([
                    format!("{} {} {}", a.postcode, a.city, a.region),
                    a.country.clone(),
                ])
                .collect::<Vec<_>>()
                .join(", ");
            let cards = super::cards::staff_panel(&state, base.tr, &c).await;
            let fraud = match state.store.cardholder_fraud_decisions(id, 20).await {
                Ok(found) => found
                    .iter()
                    .map(crate::api::fraud::DecisionView::from)
                    .collect(),
                Err(err) => return crate::error::ApiError::from(err).into_response(),
            };
            let page = store::Page {
                limit: 20,
                offset: 0,
            };
            let notifications = match state.store.deliveries_for_cardholder(id, page).await {
                Ok(found) => found
                    .iter()
                    .map(crate::api::notifications::NotificationView::from)
                    .collect(),
                Err(err) => return crate::error::ApiError::from(err).into_response(),
            };
            render(&CustomerPage {
                base,
                c,
                address,
                cards,
                fraud,
                notifications,
            })
        }
        Err(err) if err.status == StatusCode::NOT_FOUND => {
            let message = state.i18n.message(lang, "error-not-found", None);
            error_page(&state, lang, StatusCode::NOT_FOUND, Some(&who), message)
        }
        Err(err) => err.into_response(),
    }
}
