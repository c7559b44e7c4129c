//! `/ivr/simulator`: runs a call flow as a chat for staff (product §5). It drives the same
//! [`crate::telephony::step`] the TwiML webhooks use (the interpreter, stored call state,
//! rendered TwiML), with a demo cardholder answering verification and self-service, so nothing
//! real changes and nobody is queued.

use askama::Template;
use axum::Form;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use domain::Tier;
use ivr::{Event, NewCall};
use serde::Deserialize;

use super::{Base, page_lang, query_param, render};
use crate::auth::{PageAuth, Staff, check_form_csrf};
use crate::error::ApiError;
use crate::state::AppState;
use crate::telephony::{Input, Session, Simulated, step};

/// Demo callers: an unknown number, or a cardholder of each tier.
const CALLERS: [Option<Tier>; 6] = [
    None,
    Some(Tier::Green),
    Some(Tier::Gold),
    Some(Tier::Platinum),
    Some(Tier::Centurion),
    Some(Tier::Business),
];

struct Line {
    who: String,
    kind: String,
    text: String,
}

#[derive(Template)]
#[template(path = "ivr/simulator.html")]
struct SimulatorPage<'a> {
    base: Base<'a>,
    flows: Vec<(String, String)>,
    callers: Vec<(String, String)>,
    call: Option<String>,
    transcript: Vec<Line>,
    waiting_for: Option<String>,
    destination: Option<String>,
    notes: Vec<String>,
    twiml: String,
}

fn caller_value(tier: Option<Tier>) -> String {
    tier.map_or_else(|| "unknown".to_owned(), |t| t.to_string())
}

async fn simulated_session(state: &AppState, call: &str) -> Option<Session> {
    let row = state.store.ivr_call(call).await.ok()??;
    let session: Session = serde_json::from_str(&row.state).ok()?;
    // Only simulator calls: a real caller's call is not shown here.
    session.simulated.is_some().then_some(session)
}

/// `GET /ivr/simulator[?call=SIM…]`
pub async fn page(
    State(state): State<AppState>,
    PageAuth(who, ..): PageAuth<Staff>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let lang = page_lang(&state, &headers, q.as_deref(), Some(&who));
    let base = Base::new(&state, lang, "ivr-sim-title", Some(&who));
    let tr = base.tr;
    let call = q.as_deref().and_then(|q| query_param(q, "call"));
    let session = match &call {
        Some(id) => simulated_session(&state, id).await,
        None => None,
    };
    let mut page = SimulatorPage {
        flows: state
            .telephony
            .flows()
            .iter()
            .map(|f| (f.id().to_owned(), f.name().to_owned()))
            .collect(),
        callers: CALLERS
            .iter()
            .map(|t| {
                let label = match t {
                    None => tr.t("ivr-sim-caller-unknown"),
                    Some(tier) => tr.t1("ivr-sim-caller-tier", "tier", tier),
                };
                (caller_value(*t), label)
            })
            .collect(),
        call: session.as_ref().and(call),
        transcript: Vec::new(),
        waiting_for: None,
        destination: None,
        notes: Vec::new(),
        twiml: String::new(),
        base,
    };
    if let Some(session) = session {
        let sim = session.simulated.as_ref();
        page.transcript = sim
            .map(|s| {
                s.transcript
                    .iter()
                    .map(|l| Line {
                        who: tr.t(match l.who.as_str() {
                            "caller" => "ivr-sim-who-caller",
                            "system" => "ivr-sim-who-system",
                            _ => "ivr-sim-who-ivr",
                        }),
                        kind: l.who.clone(),
                        text: l.text.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        page.waiting_for = session.call.question().map(|q| {
            let node = session.call.node().unwrap_or_default();
            let what = serde_json::to_value(q)
                .ok()
                .map(|v| {
                    let kind = v["kind"].as_str().unwrap_or_default().to_owned();
                    match v["factor"].as_str() {
                        Some(factor) => format!("{kind}: {factor}"),
                        None => kind,
                    }
                })
                .unwrap_or_default();
            tr.t1(
                "ivr-sim-waiting-for",
                "question",
                format!("{what} ({node})"),
            )
        });
        page.destination = sim
            .and_then(|s| s.destination.clone())
            .map(|d| tr.t1("ivr-sim-destination", "destination", d));
        if session.call.is_ended() {
            page.notes = crate::telephony::notes(&state, session.call.context());
        }
        page.twiml = session.twiml;
    }
    render(&page)
}

#[derive(Debug, Deserialize)]
pub struct StartForm {
    csrf: String,
    flow: String,
    caller: String,
}

/// `POST /ivr/simulator/start`
pub async fn start(
    State(state): State<AppState>,
    PageAuth(who, ..): PageAuth<Staff>,
    Form(form): Form<StartForm>,
) -> Response {
    if let Err(err) = check_form_csrf(&who, &form.csrf) {
        return err.into_response();
    }
    let tier = match form.caller.as_str() {
        "unknown" => None,
        other => match other.parse::<Tier>() {
            Ok(tier) => Some(tier),
            Err(err) => {
                return ApiError::bad_request("ivr.bad_caller", err.to_string()).into_response();
            }
        },
    };
    let call = format!("SIM{}", uuid::Uuid::now_v7().simple());
    let result = step(
        &state,
        &call,
        Input::Start {
            call: NewCall {
                call_id: call.clone(),
                from: if tier.is_some() {
                    "+12125550100".to_owned()
                } else {
                    "anonymous".to_owned()
                },
                to: "+18005550199".to_owned(),
            },
            flow: Some(form.flow),
        },
        Some(Simulated {
            tier,
            failures: 0,
            transcript: Vec::new(),
            destination: None,
        }),
    )
    .await;
    match result {
        Ok(_) => Redirect::to(&format!("/ivr/simulator?call={call}")).into_response(),
        Err(err) => err.into_response(),
    }
}

#[derive(Debug, Deserialize)]
pub struct StepForm {
    csrf: String,
    call: String,
    /// `keys`, `speech`, `silence` or `answer`.
    action: String,
    #[serde(default)]
    keys: String,
    #[serde(default)]
    speech: String,
}

/// `POST /ivr/simulator/step`
pub async fn caller_step(
    State(state): State<AppState>,
    PageAuth(who, ..): PageAuth<Staff>,
    Form(form): Form<StepForm>,
) -> Response {
    if let Err(err) = check_form_csrf(&who, &form.csrf) {
        return err.into_response();
    }
    let Some(session) = simulated_session(&state, &form.call).await else {
        return ApiError::not_found(
            "ivr.unknown_call",
            "There is no such simulator call; start a new one.",
        )
        .into_response();
    };
    let event = match form.action.as_str() {
        "keys" => {
            let keys = form.keys.trim();
            if keys.is_empty()
                || !keys
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == '*' || c == '#')
            {
                return ApiError::bad_request(
                    "ivr.bad_keys",
                    "Keys are the phone's keys: digits, * and #.",
                )
                .into_response();
            }
            Event::digits(keys)
        }
        "speech" if !form.speech.trim().is_empty() => Event::speech(form.speech.trim(), 0.9),
        "speech" => {
            return ApiError::bad_request("ivr.bad_speech", "Type what the caller says.")
                .into_response();
        }
        "silence" => Event::Silence,
        "answer" => {
            let today = jiff::tz::TimeZone::UTC
                .to_datetime(state.clock.now())
                .date();
            let tier = session
                .simulated
                .as_ref()
                .and_then(|s| s.tier)
                .unwrap_or(Tier::Green);
            Event::digits(&ivr::sim::DemoBank::new(tier, today).answer(&session.call))
        }
        other => {
            return ApiError::bad_request(
                "ivr.bad_action",
                format!("Unknown action {other:?}: use keys, speech, silence or answer."),
            )
            .into_response();
        }
    };
    match step(&state, &form.call, Input::Event(event), None).await {
        Ok(_) => Redirect::to(&format!("/ivr/simulator?call={}", form.call)).into_response(),
        Err(err) => err.into_response(),
    }
}
