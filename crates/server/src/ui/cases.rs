//! The agent console's case pages (product §3): `/console/cases` (my open cases and their
//! conversations, filtered by status), `/console/cases/{id}` (details, SLA due times, timeline,
//! internal notes, attachments, status actions, assign, escalate, the customer panel) and, for
//! supervisors, `/console/escalations` (escalated cases and breached SLAs). Built on the same
//! loading, commands and audit as the cases API.

use askama::Template;
use axum::Form;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use cases::{Actor, Case, CaseCommand, CaseEvent, CaseEventKind, Status};
use domain::{CaseId, Lang, UserId};
use serde::Deserialize;
use store::Page;
use store::cases::CaseFilter;

use super::{Base, error_page, page_lang, query_param, render};
use crate::api::cardholders::CardholderView;
use crate::api::cases::{CaseDetail, detail as case_detail};
use crate::auth::{Ctx, PageAuth, Principal, Staff, Supervisors, check_form_csrf};
use crate::casework;
use crate::error::ApiError;
use crate::state::AppState;

/// A case in a list.
pub struct Row {
    pub id: CaseId,
    pub reference: String,
    pub subject: String,
    pub status: &'static str,
    /// The catalog id of the status's name.
    pub status_key: String,
    pub priority: &'static str,
    pub department: &'static str,
    pub next_due: String,
    pub breached: bool,
    pub escalation: String,
}

fn row(state: &AppState, c: &Case) -> Row {
    let now = state.clock.now();
    let sla = c.sla(&state.settings.cases.sla, now);
    Row {
        id: c.id,
        reference: c.reference.to_string(),
        subject: c.subject.clone(),
        status: c.status.as_str(),
        status_key: format!("cases-status-{}", c.status.as_str()),
        priority: c.priority.as_str(),
        department: c.department.as_str(),
        next_due: sla.next_due(now).map(|t| t.to_string()).unwrap_or_default(),
        breached: !c.sla_breaches.is_empty(),
        escalation: c
            .open_escalation()
            .map(|e| e.reason.clone())
            .unwrap_or_default(),
    }
}

const STATUSES: [&str; 5] = ["new", "open", "waiting_on_customer", "resolved", "closed"];

#[derive(Template)]
#[template(path = "cases/inbox.html")]
struct InboxPage<'a> {
    base: Base<'a>,
    rows: Vec<Row>,
    /// (conversation id, case reference, status)
    conversations: Vec<(String, String, String)>,
    statuses: Vec<(&'static str, bool)>,
}

fn status_of(text: &str) -> Option<Status> {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).ok()
}

/// My cases: the active ones by default, or those in `?status=`.
pub async fn inbox(
    State(state): State<AppState>,
    PageAuth(who, ..): PageAuth<Staff>,
    ctx: Ctx,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let lang = page_lang(&state, &headers, q.as_deref(), Some(&who));
    let wanted = q
        .as_deref()
        .and_then(|q| query_param(q, "status"))
        .filter(|s| !s.is_empty());
    let status = match wanted.as_deref().map(status_of) {
        Some(None) => {
            let message = state.i18n.message(lang, "cases-bad-status", None);
            return error_page(&state, lang, StatusCode::BAD_REQUEST, Some(&who), message);
        }
        Some(found) => found,
        None => None,
    };
    let result: Result<InboxPage<'_>, ApiError> = async {
        let filter = CaseFilter {
            assignee: who.staff_user().map(|u| u.id),
            status,
            active: status.is_none(),
            ..CaseFilter::default()
        };
        let found = state
            .store
            .list_cases(
                &filter,
                Page {
                    limit: 200,
                    offset: 0,
                },
            )
            .await?;
        let mut conversations = Vec::new();
        for c in &found {
            for conv in state.store.conversations_of_case(c.id).await? {
                conversations.push((
                    conv.conversation.id.to_string(),
                    c.reference.to_string(),
                    format!("{:?}", conv.conversation.status).to_lowercase(),
                ));
            }
        }
        ctx.record(
            &state,
            &who,
            "case.list",
            "cases",
            serde_json::json!({"view": "inbox", "count": found.len()}),
        )
        .await?;
        Ok(InboxPage {
            base: Base::new(&state, lang, "cases-inbox-title", Some(&who)),
            rows: found.iter().map(|c| row(&state, c)).collect(),
            conversations,
            statuses: STATUSES
                .iter()
                .map(|s| (*s, wanted.as_deref() == Some(*s)))
                .collect(),
        })
    }
    .await;
    match result {
        Ok(page) => render(&page),
        Err(err) => err.into_response(),
    }
}

/// One line of the timeline.
pub struct Line {
    pub at: String,
    pub what: String,
    pub by: String,
    pub text: String,
    pub note: bool,
}

fn actor_name(actor: &Actor, names: &[(UserId, String)]) -> String {
    match actor {
        Actor::Staff(id) => names
            .iter()
            .find(|(u, _)| u == id)
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| id.to_string()),
        Actor::Cardholder(_) => "cardholder".to_owned(),
        Actor::System => "system".to_owned(),
    }
}

/// The human text of an event, where it has one.
fn event_text(kind: &CaseEventKind) -> String {
    match serde_json::to_value(kind) {
        Ok(serde_json::Value::Object(map)) => map
            .iter()
            .filter(|(k, _)| k.as_str() != "type")
            .filter_map(|(k, v)| match v {
                serde_json::Value::String(s) => Some(format!("{k}: {s}")),
                serde_json::Value::Null => None,
                other => Some(format!("{k}: {other}")),
            })
            .collect::<Vec<_>>()
            .join(" · "),
        _ => String::new(),
    }
}

pub struct Due {
    pub name: String,
    pub due: String,
    pub state: String,
    pub breached: bool,
}

#[derive(Template)]
#[template(path = "cases/case.html")]
struct CasePage<'a> {
    base: Base<'a>,
    item: Row,
    assignee: String,
    mine: bool,
    channel: &'static str,
    opened_at: String,
    sla: Vec<Due>,
    timeline: Vec<Line>,
    notes: Vec<Line>,
    attachments: Vec<(String, String, String, u64)>,
    conversations: Vec<String>,
    cardholder: Option<CardholderView>,
    actions: Vec<&'static str>,
    escalated: bool,
    supervisor: bool,
}

/// The status actions the case's state allows (the domain still has the last word).
fn actions_for(status: Status) -> Vec<&'static str> {
    match status {
        Status::New => vec!["accept", "resolve"],
        Status::Open => vec!["await_customer", "resolve"],
        Status::WaitingOnCustomer => vec!["resume", "resolve"],
        Status::Resolved => vec!["close", "reopen"],
        Status::Closed => vec!["reopen"],
    }
}

fn sla_lines(tr: &crate::i18n::Tr<'_>, detail: &CaseDetail) -> Vec<Due> {
    let mut lines = Vec::new();
    for (id, clock) in [
        ("cases-sla-first-response", &detail.sla.first_response),
        ("cases-sla-resolution", &detail.sla.resolution),
    ] {
        if let Some(c) = clock {
            lines.push(Due {
                name: tr.t(id),
                due: c.due.map(|t| t.to_string()).unwrap_or_else(|| {
                    format!("{} {:#}", tr.t("cases-sla-remaining"), c.remaining)
                }),
                state: format!("{:?}", c.state).to_lowercase(),
                breached: c.remaining.is_negative(),
            });
        }
    }
    for (id, deadline) in [
        (
            "cases-sla-complaint-ack",
            &detail.sla.complaint_acknowledgement,
        ),
        (
            "cases-sla-complaint-final",
            &detail.sla.complaint_final_response,
        ),
    ] {
        if let Some(d) = deadline {
            lines.push(Due {
                name: tr.t(id),
                due: d.due.to_string(),
                state: if d.done_at.is_some() {
                    "done"
                } else {
                    "running"
                }
                .to_owned(),
                breached: d.breached,
            });
        }
    }
    lines
}

async fn staff_names(state: &AppState, events: &[CaseEvent]) -> Vec<(UserId, String)> {
    let mut names: Vec<(UserId, String)> = Vec::new();
    for e in events {
        if let Actor::Staff(id) = e.actor
            && !names.iter().any(|(u, _)| *u == id)
            && let Ok(Some(user)) = state.store.user_by_id(id).await
        {
            names.push((id, user.display_name));
        }
    }
    names
}

pub async fn case_page(
    State(state): State<AppState>,
    PageAuth(who, ..): PageAuth<Staff>,
    ctx: Ctx,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
    Path(id): Path<String>,
) -> Response {
    let lang = page_lang(&state, &headers, q.as_deref(), Some(&who));
    let Ok(id) = id.parse::<CaseId>() else {
        let message = state.i18n.message(lang, "error-not-found", None);
        return error_page(&state, lang, StatusCode::NOT_FOUND, Some(&who), message);
    };
    match show(&state, &who, &ctx, lang, id).await {
        Ok(response) => response,
        Err(err) if err.status == StatusCode::NOT_FOUND => {
            let message = state.i18n.message(lang, "error-not-found", None);
            error_page(&state, lang, StatusCode::NOT_FOUND, Some(&who), message)
        }
        Err(err) => err.into_response(),
    }
}

async fn show(
    state: &AppState,
    who: &Principal,
    ctx: &Ctx,
    lang: Lang,
    id: CaseId,
) -> Result<Response, ApiError> {
    let detail = case_detail(state, id).await?;
    ctx.record(
        state,
        who,
        "case.view",
        format!("case:{id}"),
        serde_json::json!({"cardholder_id": detail.case.cardholder, "via": "console"}),
    )
    .await?;
    if let Some(holder) = detail.case.cardholder {
        // The customer panel shows personal data: audited as a view of the cardholder too.
        ctx.record(
            state,
            who,
            "cardholder.view",
            format!("cardholder:{holder}"),
            serde_json::json!({"via": format!("case:{id}")}),
        )
        .await?;
    }
    let mut base = Base::new(state, lang, "cases-case-title", Some(who));
    base.title = format!("{} · {}", detail.case.reference, detail.case.subject);
    let names = staff_names(state, &detail.timeline).await;
    let mut assignee_name = String::new();
    if let Some(a) = detail.case.assignee {
        assignee_name = match state.store.user_by_id(a).await? {
            Some(u) => u.display_name,
            None => a.to_string(),
        };
    }
    let timeline: Vec<Line> = detail
        .timeline
        .iter()
        .map(|e| Line {
            at: e.at.to_string(),
            what: e.kind.name().to_owned(),
            by: actor_name(&e.actor, &names),
            text: event_text(&e.kind),
            note: matches!(e.kind, CaseEventKind::NoteAdded { .. }),
        })
        .collect();
    let notes = detail
        .timeline
        .iter()
        .filter_map(|e| match &e.kind {
            CaseEventKind::NoteAdded { text } => Some(Line {
                at: e.at.to_string(),
                what: "note_added".to_owned(),
                by: actor_name(&e.actor, &names),
                text: text.clone(),
                note: true,
            }),
            _ => None,
        })
        .collect();
    let me = who.staff_user().map(|u| u.id);
    let page = CasePage {
        sla: sla_lines(&base.tr, &detail),
        base,
        item: row(state, &detail.case),
        mine: me.is_some() && detail.case.assignee == me,
        assignee: assignee_name,
        channel: detail.case.channel.as_str(),
        opened_at: detail.case.opened_at.to_string(),
        timeline,
        notes,
        attachments: detail
            .case
            .attachments
            .iter()
            .map(|a| {
                (
                    a.sha256.clone(),
                    a.file_name.clone(),
                    a.media_type.mime().to_owned(),
                    a.size,
                )
            })
            .collect(),
        conversations: detail
            .conversations
            .iter()
            .map(|c| c.id.to_string())
            .collect(),
        cardholder: detail.cardholder,
        actions: actions_for(detail.case.status),
        escalated: detail.case.open_escalation().is_some(),
        supervisor: who
            .role()
            .is_some_and(|r| matches!(r, domain::Role::Supervisor | domain::Role::Admin)),
    };
    Ok(render(&page))
}

#[derive(Deserialize)]
pub struct CommandForm {
    csrf: String,
    command: String,
    #[serde(default)]
    text: String,
}

/// A form's command; `None` for an unknown one, `Some(Err)` when its text is missing.
fn command_of(form: &CommandForm, me: Option<UserId>) -> Option<Result<CaseCommand, &'static str>> {
    let text = form.text.trim().to_owned();
    let needs_text = |make: fn(String) -> CaseCommand| {
        if text.is_empty() {
            Err("cases-text-required")
        } else {
            Ok(make(text.clone()))
        }
    };
    Some(match form.command.as_str() {
        "accept" => Ok(CaseCommand::Accept),
        "resume" => Ok(CaseCommand::Resume),
        "close" => Ok(CaseCommand::Close),
        "assign_me" => Ok(CaseCommand::Assign { to: me }),
        "unassign" => Ok(CaseCommand::Assign { to: None }),
        "add_note" => needs_text(|text| CaseCommand::AddNote { text }),
        "await_customer" => needs_text(|request| CaseCommand::AwaitCustomer { request }),
        "resolve" => needs_text(|summary| CaseCommand::Resolve { summary }),
        "reopen" => needs_text(|reason| CaseCommand::Reopen { reason }),
        "escalate" => needs_text(|reason| CaseCommand::Escalate { to: None, reason }),
        "close_escalation" => needs_text(|outcome| CaseCommand::CloseEscalation { outcome }),
        _ => return None,
    })
}

pub async fn command(
    State(state): State<AppState>,
    PageAuth(who, ..): PageAuth<Staff>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<CaseId>,
    Form(form): Form<CommandForm>,
) -> Response {
    if let Err(err) = check_form_csrf(&who, &form.csrf) {
        return err.into_response();
    }
    let lang = page_lang(&state, &headers, None, Some(&who));
    let me = who.staff_user().map(|u| u.id);
    let command = match command_of(&form, me) {
        None => {
            let message = state.i18n.message(lang, "cases-unknown-action", None);
            return error_page(&state, lang, StatusCode::BAD_REQUEST, Some(&who), message);
        }
        Some(Err(id)) => {
            let message = state.i18n.message(lang, id, None);
            return error_page(
                &state,
                lang,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(&who),
                message,
            );
        }
        Some(Ok(c)) => c,
    };
    let supervisor_only = form.command == "close_escalation";
    if supervisor_only
        && !who
            .role()
            .is_some_and(|r| matches!(r, domain::Role::Supervisor | domain::Role::Admin))
    {
        let message = state.i18n.message(lang, "error-forbidden", None);
        return error_page(&state, lang, StatusCode::FORBIDDEN, Some(&who), message);
    }
    let audit = vec![ctx.audit(
        &who,
        state.clock.now(),
        &format!("case.{}", form.command),
        format!("case:{id}"),
        serde_json::json!({"via": "console"}),
    )];
    let actor = me.map_or(Actor::System, Actor::Staff);
    match casework::change(&state, id, command, actor, audit).await {
        Ok(_) => Redirect::to(&format!("/console/cases/{id}")).into_response(),
        Err(err) if err.status.is_client_error() => {
            error_page(&state, lang, err.status, Some(&who), err.detail)
        }
        Err(err) => err.into_response(),
    }
}

#[derive(Template)]
#[template(path = "cases/escalations.html")]
struct EscalationsPage<'a> {
    base: Base<'a>,
    escalated: Vec<Row>,
    breached: Vec<Row>,
}

/// Supervisors: cases with an open escalation, and active cases past an SLA target.
pub async fn escalations(
    State(state): State<AppState>,
    PageAuth(who, ..): PageAuth<Supervisors>,
    ctx: Ctx,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let lang = page_lang(&state, &headers, q.as_deref(), Some(&who));
    let result: Result<EscalationsPage<'_>, ApiError> = async {
        let page = Page {
            limit: 200,
            offset: 0,
        };
        let escalated = state
            .store
            .list_cases(
                &CaseFilter {
                    escalated: true,
                    ..CaseFilter::default()
                },
                page,
            )
            .await?;
        let active = state
            .store
            .list_cases(
                &CaseFilter {
                    active: true,
                    ..CaseFilter::default()
                },
                page,
            )
            .await?;
        let breached: Vec<Row> = active
            .iter()
            .filter(|c| c.open_escalation().is_none())
            .map(|c| row(&state, c))
            .filter(|r| r.breached)
            .collect();
        ctx.record(
            &state,
            &who,
            "case.list",
            "cases",
            serde_json::json!({"view": "escalations", "count": escalated.len() + breached.len()}),
        )
        .await?;
        Ok(EscalationsPage {
            base: Base::new(&state, lang, "cases-escalations-title", Some(&who)),
            escalated: escalated.iter().map(|c| row(&state, c)).collect(),
            breached,
        })
    }
    .await;
    match result {
        Ok(page) => render(&page),
        Err(err) => err.into_response(),
    }
}
