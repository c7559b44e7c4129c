//! Server-rendered pages (askama templates compiled into the binary) with small enhancements
//! in `/assets/app.js`. Every string comes from the message catalogs.

pub mod admin;
pub mod appointments;
pub mod assets;
pub mod cards;
pub mod cases;
pub mod chat;
pub mod directory;
pub mod fraud;
pub mod messages;
pub mod portal;
pub mod routing;
pub mod simulator;
pub mod staff;

use askama::Template;
use axum::Router;
use axum::extract::Request;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use domain::{Lang, Role};

use crate::auth::{Actor, Principal};
use crate::i18n::Tr;
use crate::state::AppState;

pub const LANG_COOKIE: &str = "helpline_lang";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(staff::home))
        .route("/login", get(staff::login_page).post(staff::login_submit))
        .route("/logout", post(staff::logout))
        .route("/console", get(staff::console))
        .route("/console/cardholders/{id}", get(staff::customer))
        .route("/console/contacts", get(routing::console))
        .route("/routing", get(routing::dashboard))
        .route("/chat", get(chat::widget))
        .route("/console/chat/{id}", get(chat::agent_pane))
        .route("/fraud", get(fraud::queue))
        .route("/fraud/alerts/{id}/action", post(fraud::action))
        .route("/ivr/simulator", get(simulator::page))
        .route("/ivr/simulator/start", post(simulator::start))
        .route("/ivr/simulator/step", post(simulator::caller_step))
        .route(
            "/portal/login",
            get(portal::login_page).post(portal::login_submit),
        )
        .route("/portal", get(portal::home))
        .route("/portal/cards", get(cards::portal_page))
        .route("/portal/cards/{id}/disputes", post(cards::portal_dispute))
        .route(
            "/portal/cards/{id}/{action}",
            post(cards::portal_card_action),
        )
        .route(
            "/portal/accounts/{id}/transfer",
            post(cards::portal_transfer),
        )
        .route("/admin", get(admin::page))
        .route("/admin/users", post(admin::create_user))
        .route("/admin/tokens", post(admin::create_token))
        .route("/admin/tokens/{id}/revoke", post(admin::revoke_token))
        .route("/assets/{*path}", get(assets::serve))
        .route("/directory", get(directory::find))
        .route("/directory/check", get(directory::check))
        .route("/directory/report", post(directory::report))
        .route("/admin/directory", get(directory::admin))
        .route("/admin/directory/entries", post(directory::create_entry))
        .route(
            "/admin/directory/entries/{id}",
            post(directory::update_entry),
        )
        .route(
            "/admin/directory/entries/{id}/delete",
            post(directory::delete_entry),
        )
        .route("/admin/directory/reports/{id}", post(directory::moderate))
        .route(
            "/portal/appointments",
            get(appointments::portal_page).post(appointments::portal_book),
        )
        .route(
            "/portal/appointments/{id}/cancel",
            post(appointments::portal_cancel),
        )
        .route(
            "/console/cardholders/{id}/appointments",
            get(appointments::console_page).post(appointments::console_book),
        )
        .route(
            "/console/cardholders/{id}/appointments/{appointment}/cancel",
            post(appointments::console_cancel),
        )
        .route("/console/appointments", get(appointments::day_page))
        .route(
            "/portal/messages",
            get(messages::portal_list).post(messages::portal_create),
        )
        .route(
            "/portal/messages/{id}",
            get(messages::portal_thread).post(messages::portal_reply),
        )
        .route("/console/messages", get(messages::console_list))
        .route("/console/messages/paper", post(messages::console_paper))
        .route(
            "/console/messages/{id}",
            get(messages::console_thread).post(messages::console_reply),
        )
        .route("/console/cases", get(cases::inbox))
        .route("/console/cases/{id}", get(cases::case_page))
        .route("/console/cases/{id}/commands", post(cases::command))
        .route("/console/escalations", get(cases::escalations))
}

/// Which navigation a page shows.
pub enum Area {
    Public,
    Staff { admin: bool },
    Cardholder,
}

/// What every page's layout needs.
pub struct Base<'a> {
    pub tr: Tr<'a>,
    pub title: String,
    pub who: Option<String>,
    pub csrf: String,
    pub nav: Vec<(&'static str, String)>,
    pub languages: Vec<(&'static str, &'static str, bool)>,
}

impl<'a> Base<'a> {
    pub fn new(
        state: &'a AppState,
        lang: Lang,
        title_id: &str,
        principal: Option<&Principal>,
    ) -> Self {
        let tr = Tr {
            lang,
            i18n: &state.i18n,
        };
        let area = match principal.map(|p| &p.actor) {
            Some(Actor::Staff(u)) => Area::Staff {
                admin: u.role == Role::Admin,
            },
            Some(Actor::Cardholder(_)) => Area::Cardholder,
            _ => Area::Public,
        };
        let nav = match area {
            Area::Public => vec![
                ("/", tr.t("nav-home")),
                ("/login", tr.t("nav-sign-in")),
                ("/portal/login", tr.t("nav-portal-sign-in")),
                ("/directory", tr.t("nav-directory")),
                ("/directory/check", tr.t("nav-check-number")),
            ],
            Area::Staff { admin } => {
                let mut items = vec![
                    ("/console", tr.t("nav-console")),
                    ("/console/cases", tr.t("nav-cases")),
                    ("/console/contacts", tr.t("nav-contacts")),
                    ("/ivr/simulator", tr.t("nav-ivr")),
                    ("/console/appointments", tr.t("nav-appointments")),
                    ("/console/messages", tr.t("nav-messages")),
                ];
                if principal
                    .and_then(Principal::role)
                    .is_some_and(|r| matches!(r, Role::Supervisor | Role::Admin))
                {
                    items.push(("/routing", tr.t("nav-routing")));
                    items.push(("/console/escalations", tr.t("nav-escalations")));
                }
                if principal.and_then(Principal::role).is_some_and(|r| {
                    matches!(r, Role::FraudAnalyst | Role::Supervisor | Role::Admin)
                }) {
                    items.push(("/fraud", tr.t("nav-fraud")));
                }
                if admin {
                    items.push(("/admin", tr.t("nav-admin")));
                    items.push(("/admin/directory", tr.t("nav-directory-admin")));
                }
                items.push(("/directory/check", tr.t("nav-check-number")));
                items
            }
            Area::Cardholder => vec![
                ("/portal", tr.t("nav-portal")),
                ("/portal/cards", tr.t("cards-portal-title")),
                ("/directory", tr.t("nav-directory")),
                ("/directory/check", tr.t("nav-check-number")),
                ("/portal/appointments", tr.t("nav-appointments")),
                ("/portal/messages", tr.t("nav-messages")),
            ],
        };
        let languages = state
            .i18n
            .languages()
            .into_iter()
            .map(|l| (l.code(), l.native_name(), l == lang))
            .collect();
        Base {
            title: tr.t(title_id),
            tr,
            who: principal.map(|p| p.display_name()),
            csrf: principal.and_then(|p| p.csrf.clone()).unwrap_or_default(),
            nav,
            languages,
        }
    }
}

/// The page language: `?lang=`, then the language cookie, then the signed-in person's
/// profile, then the browser's Accept-Language, then English.
pub fn page_lang(
    state: &AppState,
    headers: &HeaderMap,
    query: Option<&str>,
    principal: Option<&Principal>,
) -> Lang {
    let usable = |code: &str| {
        code.parse::<Lang>()
            .ok()
            .filter(|l| state.i18n.supports(*l))
    };
    if let Some(lang) = query
        .and_then(|q| query_param(q, "lang"))
        .and_then(|c| usable(&c))
    {
        return lang;
    }
    let from_cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == LANG_COOKIE)
        .and_then(|c| usable(c.value()));
    if let Some(lang) = from_cookie {
        return lang;
    }
    let profile = principal.and_then(|p| match &p.actor {
        Actor::Staff(u) => Some(u.language),
        Actor::Cardholder(c) => Some(c.language),
        Actor::Token(_) => None,
    });
    if let Some(lang) = profile.filter(|l| state.i18n.supports(*l)) {
        return lang;
    }
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|accept| {
            accept
                .split(',')
                .map(|part| part.split(';').next().unwrap_or("").trim())
                .find_map(usable)
        })
        .unwrap_or(Lang::En)
}

/// One query-string parameter, percent-decoded.
pub fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then(|| percent_decode(v))
    })
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| text.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match (escaped, bytes[i]) {
            (Some(byte), _) => {
                out.push(byte);
                i += 3;
            }
            (None, b'+') => {
                out.push(b' ');
                i += 1;
            }
            (None, other) => {
                out.push(other);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Middleware for pages: `?lang=xx` also sets the language cookie for later pages.
pub async fn remember_lang(request: Request, next: Next) -> Response {
    let chosen = request
        .uri()
        .query()
        .and_then(|q| query_param(q, "lang"))
        .filter(|code| code.parse::<Lang>().is_ok());
    let mut response = next.run(request).await;
    if let Some(code) = chosen {
        let cookie = cookie::Cookie::build((LANG_COOKIE, code))
            .path("/")
            .same_site(cookie::SameSite::Lax)
            .max_age(cookie::time::Duration::days(365))
            .build();
        if let Ok(value) = cookie.to_string().parse() {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// Renders a template, or a plain 500 page if rendering fails.
pub fn render(template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(err) => {
            tracing::error!(error = %err, "template rendering failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "The page could not be rendered.",
            )
                .into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    pub base: Base<'a>,
    pub message: String,
}

pub fn error_page(
    state: &AppState,
    lang: Lang,
    status: StatusCode,
    principal: Option<&Principal>,
    message: String,
) -> Response {
    let page = ErrorPage {
        base: Base::new(state, lang, "error-title", principal),
        message,
    };
    (status, render(&page)).into_response()
}

/// The page for a signed-in visitor who may not see what they asked for.
pub fn forbidden_page(state: &AppState, parts: &Parts, message: &str) -> Response {
    let lang = page_lang(state, &parts.headers, parts.uri.query(), None);
    let text = format!(
        "{} {message}",
        state.i18n.message(lang, "error-forbidden", None)
    );
    error_page(state, lang, StatusCode::FORBIDDEN, None, text)
}

/// Unknown page paths get a readable page, not a bare 404.
pub async fn not_found(
    axum::extract::State(state): axum::extract::State<AppState>,
    headers: HeaderMap,
) -> Response {
    let lang = page_lang(&state, &headers, None, None);
    let message = state.i18n.message(lang, "error-not-found", None);
    error_page(&state, lang, StatusCode::NOT_FOUND, None, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_params_are_decoded() {
        assert_eq!(
            query_param("a=1&next=%2Fconsole%3Fq%3Dx&lang=es", "next").as_deref(),
            Some("/console?q=x")
        );
        assert_eq!(
            query_param("q=ana+maria", "q").as_deref(),
            Some("ana maria")
        );
        assert_eq!(query_param("q=100%", "q").as_deref(), Some("100%"));
        assert_eq!(query_param("a=1", "b"), None);
    }
}
