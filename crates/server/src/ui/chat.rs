//! Chat pages: the cardholder's chat widget (`/chat`, embeddable in an issuer's site in an
//! iframe; visitors give their name, signed-in cardholders need nothing) and the agent's chat
//! pane (`/console/chat/{conversation}`, opened from an accepted chat in the console). Both are
//! driven by `/assets/chat.js` over the chat WebSocket.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use domain::ConversationId;

use super::{page_lang, render};
use crate::auth::{MaybePrincipal, PageAuth, Staff};
use crate::i18n::Tr;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "chat/widget.html")]
struct ChatPage<'a> {
    tr: Tr<'a>,
    title: String,
    csrf: String,
    /// `visitor` (cardholder or anonymous) or `agent`.
    mode: &'static str,
    conversation: String,
    signed_in: &'static str,
}

pub async fn widget(
    State(state): State<AppState>,
    MaybePrincipal(principal): MaybePrincipal,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let principal = principal.filter(|p| p.cardholder().is_some());
    let lang = page_lang(&state, &headers, q.as_deref(), principal.as_ref());
    let tr = Tr {
        lang,
        i18n: &state.i18n,
    };
    render(&ChatPage {
        title: tr.t("chat-title"),
        tr,
        csrf: principal
            .as_ref()
            .and_then(|p| p.csrf.clone())
            .unwrap_or_default(),
        mode: "visitor",
        conversation: String::new(),
        signed_in: if principal.is_some() { "yes" } else { "no" },
    })
}

pub async fn agent_pane(
    State(state): State<AppState>,
    PageAuth(who, ..): PageAuth<Staff>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Path(conversation): Path<ConversationId>,
) -> Response {
    let lang = page_lang(&state, &headers, q.as_deref(), Some(&who));
    let tr = Tr {
        lang,
        i18n: &state.i18n,
    };
    render(&ChatPage {
        title: tr.t("chat-agent-title"),
        tr,
        csrf: who.csrf.clone().unwrap_or_default(),
        mode: "agent",
        conversation: conversation.to_string(),
        signed_in: "yes",
    })
}
