//! Secure-message and channel pages (issue 7): the portal's "Messages" (list, read, write with
//! an attachment, download a record), the agent console's "Messages" beside chat (secure threads,
//! recent email, social, mail and fax items, and the form to file a scanned letter or fax), and
//! one thread page for both. Plain forms; the work is `api::secure_messages` and
//! `api::channels`.

use askama::Template;
use axum::extract::{Multipart, Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use domain::{Channel, ConversationId};
use std::collections::HashMap;
use store::Page;

use super::{Base, error_page, page_lang, query_param, render};
use crate::api::channels::{self as channels_api, PaperParams};
use crate::api::secure_messages::{self as api, NewSecureMessage, NewThread, ThreadView};
use crate::auth::{Cardholders, Ctx, PageAuth, Principal, Staff, check_form_csrf};
use crate::error::ApiError;
use crate::state::AppState;

pub struct ThreadRow {
    pub id: String,
    pub subject: String,
    pub case_reference: String,
    pub last: String,
    pub due: Option<String>,
}

pub struct MessageRow {
    pub author: String,
    pub mine: bool,
    pub when: String,
    pub body: String,
    pub attachments: Vec<(String, String)>,
}

pub struct ItemRow {
    /// The conversation, read in the chat pane beside the other channels.
    pub conversation: Option<String>,
    pub channel: String,
    pub when: String,
    pub from: String,
    pub disposition: String,
    pub case_reference: String,
}

#[derive(Template)]
#[template(path = "messages/list.html")]
struct ListPage<'a> {
    base: Base<'a>,
    /// `/portal/messages` or `/console/messages`.
    path: &'static str,
    staff: bool,
    notice: Option<String>,
    error: Option<String>,
    threads: Vec<ThreadRow>,
    items: Vec<ItemRow>,
}

#[derive(Template)]
#[template(path = "messages/thread.html")]
struct ThreadPage<'a> {
    base: Base<'a>,
    id: String,
    path: String,
    back: &'static str,
    subject: String,
    case_reference: String,
    due: Option<String>,
    error: Option<String>,
    messages: Vec<MessageRow>,
}

fn when(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

fn thread_row(t: &ThreadView) -> ThreadRow {
    ThreadRow {
        id: t.id.to_string(),
        subject: t.subject.clone(),
        case_reference: t.case_reference.clone().unwrap_or_default(),
        last: t.last_message_at.map(when).unwrap_or_default(),
        due: t.reply_due.map(when),
    }
}

/// A multipart form's text fields and its first non-empty file.
async fn read_form(
    mut form: Multipart,
) -> Result<(HashMap<String, String>, Option<(String, Vec<u8>)>), ApiError> {
    let bad = |e: axum::extract::multipart::MultipartError| {
        ApiError::bad_request("form.invalid", format!("The form could not be read: {e}"))
    };
    let mut fields = HashMap::new();
    let mut file = None;
    while let Some(field) = form.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_owned();
        if let Some(file_name) = field.file_name().map(str::to_owned) {
            let bytes = field.bytes().await.map_err(bad)?;
            if !bytes.is_empty() && file.is_none() {
                file = Some((file_name, bytes.to_vec()));
            }
        } else {
            fields.insert(name, field.text().await.map_err(bad)?);
        }
    }
    Ok((fields, file))
}

async fn list_page(
    state: &AppState,
    who: &Principal,
    ctx: &Ctx,
    lang: domain::Lang,
    staff: bool,
    query: Option<&str>,
    failed: Option<ApiError>,
) -> Response {
    let path = if staff {
        "/console/messages"
    } else {
        "/portal/messages"
    };
    let title = if staff {
        "messages-console-title"
    } else {
        "messages-title"
    };
    let base = Base::new(state, lang, title, Some(who));
    let threads = match api::threads(state, who, ctx, 50).await {
        Ok(t) => t.iter().map(thread_row).collect(),
        Err(err) => return error_page(state, lang, err.status, Some(who), err.detail),
    };
    let items = if staff {
        match state
            .store
            .recent_channel_items(
                "",
                Page {
                    limit: 50,
                    offset: 0,
                },
            )
            .await
        {
            Ok(items) => items
                .into_iter()
                .filter(|i| i.channel != "secure_message" && i.channel != "social_thread")
                .map(|i| ItemRow {
                    conversation: i.conversation.map(|c| c.to_string()),
                    channel: i.channel.clone(),
                    when: when(i.received_at),
                    from: ["from", "sender", "handle", "to"]
                        .iter()
                        .find_map(|k| i.detail[*k].as_str().map(str::to_owned))
                        .unwrap_or_default(),
                    disposition: i.disposition.clone(),
                    case_reference: i.detail["case_reference"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                })
                .collect(),
            Err(err) => return ApiError::from(err).into_response(),
        }
    } else {
        Vec::new()
    };
    let notice = query
        .and_then(|q| query_param(q, "filed"))
        .filter(|r| !r.is_empty())
        .map(|r| base.tr.t1("messages-paper-done", "reference", r));
    let status = failed.as_ref().map_or(StatusCode::OK, |e| e.status);
    let page = ListPage {
        path,
        staff,
        notice,
        error: failed.map(|e| e.detail),
        threads,
        items,
        base,
    };
    (status, render(&page)).into_response()
}

async fn thread_page(
    state: &AppState,
    who: &Principal,
    ctx: &Ctx,
    lang: domain::Lang,
    id: &str,
    failed: Option<ApiError>,
) -> Response {
    let staff = who.staff_user().is_some();
    let Ok(id) = id.parse::<ConversationId>() else {
        return error_page(
            state,
            lang,
            StatusCode::NOT_FOUND,
            Some(who),
            "There is no such thread.".to_owned(),
        );
    };
    let thread = match api::read(state, who, ctx, id).await {
        Ok(t) => t,
        Err(err) => return error_page(state, lang, err.status, Some(who), err.detail),
    };
    let base = Base::new(state, lang, "messages-title", Some(who));
    let messages = thread
        .messages
        .iter()
        .map(|m| {
            let mine = (m.author == "cardholder") != staff;
            MessageRow {
                author: base.tr.t(match (m.author, staff) {
                    ("cardholder", false) => "messages-from-you",
                    ("cardholder", true) => "messages-from-cardholder",
                    (_, false) => "messages-from-us",
                    ("agent", true) => "messages-from-agent",
                    _ => "messages-from-system",
                }),
                mine,
                when: when(m.sent_at),
                body: m.body.clone(),
                attachments: m
                    .attachments
                    .iter()
                    .map(|a| (a.sha256.clone(), a.file_name.clone()))
                    .collect(),
            }
        })
        .collect();
    let back = if staff {
        "/console/messages"
    } else {
        "/portal/messages"
    };
    let page = ThreadPage {
        id: id.to_string(),
        path: format!("{back}/{id}"),
        back,
        subject: thread.subject.clone(),
        case_reference: thread.case_reference.clone().unwrap_or_default(),
        due: thread.reply_due.map(when),
        error: failed.as_ref().map(|e| e.detail.clone()),
        messages,
        base,
    };
    let status = failed.map_or(StatusCode::OK, |e| e.status);
    (status, render(&page)).into_response()
}

/// Uploads the form's file (if any) sealed, for a message.
async fn sealed_upload(
    state: &AppState,
    who: &Principal,
    file: Option<(String, Vec<u8>)>,
) -> Result<Vec<cases::attachment::AttachmentRef>, ApiError> {
    match file {
        Some((name, bytes)) => Ok(vec![api::store_upload(state, who, &name, &bytes).await?]),
        None => Ok(Vec::new()),
    }
}

pub async fn portal_list(
    State(state): State<AppState>,
    PageAuth(who, ..): PageAuth<Cardholders>,
    ctx: Ctx,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let lang = page_lang(&state, &headers, q.as_deref(), Some(&who));
    list_page(&state, &who, &ctx, lang, false, q.as_deref(), None).await
}

/// A new thread from the portal's form (multipart: subject, body, an optional attachment).
pub async fn portal_create(
    State(state): State<AppState>,
    PageAuth(who, ..): PageAuth<Cardholders>,
    ctx: Ctx,
    headers: HeaderMap,
    form: Multipart,
) -> Response {
    let lang = page_lang(&state, &headers, None, Some(&who));
    let result = async {
        let (fields, file) = read_form(form).await?;
        check_form_csrf(&who, fields.get("csrf").map_or("", String::as_str))?;
        let attachments = sealed_upload(&state, &who, file).await?;
        let field = |k: &str| fields.get(k).cloned().unwrap_or_default();
        api::start_thread(
            &state,
            &who,
            NewThread {
                subject: field("subject"),
                body: field("body"),
                attachments,
            },
        )
        .await
    }
    .await;
    match result {
        Ok(thread) => Redirect::to(&format!("/portal/messages/{}", thread.id)).into_response(),
        Err(err) => list_page(&state, &who, &ctx, lang, false, None, Some(err)).await,
    }
}

pub async fn portal_thread(
    State(state): State<AppState>,
    PageAuth(who, ..): PageAuth<Cardholders>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let lang = page_lang(&state, &headers, q.as_deref(), Some(&who));
    thread_page(&state, &who, &ctx, lang, &id, None).await
}

async fn reply(
    state: &AppState,
    who: &Principal,
    ctx: &Ctx,
    id: &str,
    form: Multipart,
) -> Result<(), ApiError> {
    let (fields, file) = read_form(form).await?;
    check_form_csrf(who, fields.get("csrf").map_or("", String::as_str))?;
    let id: ConversationId = id
        .parse()
        .map_err(|_| ApiError::not_found("secure_message.not_found", "There is no such thread."))?;
    let attachments = sealed_upload(state, who, file).await?;
    let body = fields.get("body").cloned().unwrap_or_default();
    api::write(state, who, ctx, id, NewSecureMessage { body, attachments }).await?;
    Ok(())
}

pub async fn portal_reply(
    State(state): State<AppState>,
    PageAuth(who, ..): PageAuth<Cardholders>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Multipart,
) -> Response {
    let lang = page_lang(&state, &headers, None, Some(&who));
    match reply(&state, &who, &ctx, &id, form).await {
        Ok(()) => Redirect::to(&format!("/portal/messages/{id}")).into_response(),
        Err(err) => thread_page(&state, &who, &ctx, lang, &id, Some(err)).await,
    }
}

pub async fn console_list(
    State(state): State<AppState>,
    PageAuth(who, ..): PageAuth<Staff>,
    ctx: Ctx,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let lang = page_lang(&state, &headers, q.as_deref(), Some(&who));
    list_page(&state, &who, &ctx, lang, true, q.as_deref(), None).await
}

pub async fn console_thread(
    State(state): State<AppState>,
    PageAuth(who, ..): PageAuth<Staff>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let lang = page_lang(&state, &headers, q.as_deref(), Some(&who));
    thread_page(&state, &who, &ctx, lang, &id, None).await
}

pub async fn console_reply(
    State(state): State<AppState>,
    PageAuth(who, ..): PageAuth<Staff>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Multipart,
) -> Response {
    let lang = page_lang(&state, &headers, None, Some(&who));
    match reply(&state, &who, &ctx, &id, form).await {
        Ok(()) => Redirect::to(&format!("/console/messages/{id}")).into_response(),
        Err(err) => thread_page(&state, &who, &ctx, lang, &id, Some(err)).await,
    }
}

/// Files a scanned letter or fax from the console's form.
pub async fn console_paper(
    State(state): State<AppState>,
    PageAuth(who, ..): PageAuth<Staff>,
    ctx: Ctx,
    headers: HeaderMap,
    form: Multipart,
) -> Response {
    let lang = page_lang(&state, &headers, None, Some(&who));
    let result = async {
        let (fields, file) = read_form(form).await?;
        check_form_csrf(&who, fields.get("csrf").map_or("", String::as_str))?;
        let field = |k: &str| {
            fields
                .get(k)
                .map(|v| v.trim().to_owned())
                .unwrap_or_default()
        };
        let channel: Channel = field("channel")
            .parse()
            .map_err(|_| ApiError::unprocessable("paper.channel", "Choose post or fax."))?;
        let received_on = field("received_on").parse().map_err(|_| {
            ApiError::unprocessable(
                "paper.received_on",
                "Give the date it arrived (YYYY-MM-DD).",
            )
        })?;
        let (file_name, bytes) = file.ok_or_else(|| {
            ApiError::unprocessable("attachment.refused", "Choose the scanned file.")
        })?;
        let params = PaperParams {
            channel,
            sender: field("sender"),
            received_on,
            case: Some(field("case")).filter(|c| !c.is_empty()),
            subject: None,
            file_name: Some(file_name),
        };
        channels_api::paper(&state, &who, &ctx, params, bytes).await
    }
    .await;
    match result {
        Ok(outcome) => Redirect::to(&format!(
            "/console/messages?filed={}",
            outcome.case_reference.unwrap_or_default()
        ))
        .into_response(),
        Err(err) => list_page(&state, &who, &ctx, lang, true, None, Some(err)).await,
    }
}
