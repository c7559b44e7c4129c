//! Routing pages: the agent's contacts console (presence, offers with an accept button and a
//! countdown, contacts in hand) and the supervisors' live dashboard (inline SVG charts). Both
//! render their changing part as a fragment that `/assets/routing.js` fetches again when the
//! console's WebSocket says something changed, or every few seconds for the dashboard.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use domain::{Department, Lang, Reason, Timestamp};
use routing::{ContactKind, Figures, FiguresSnapshot, Hub, Presence};

use super::{Base, page_lang, query_param, render};
use crate::auth::{PageAuth, Staff, Supervisors};
use crate::i18n::Tr;
use crate::state::AppState;
use crate::switchboard::{ConsoleView, ContactCard, Sample, agent_of};

/// Localized names of the routing vocabulary.
fn hub_name(tr: &Tr<'_>, hub: Hub) -> String {
    tr.t(&format!("routing-hub-{}", hub.as_str().replace('_', "-")))
}

fn presence_name(tr: &Tr<'_>, presence: Presence) -> String {
    tr.t(&format!(
        "routing-presence-{}",
        presence.as_str().replace('_', "-")
    ))
}

fn department_name(tr: &Tr<'_>, department: Department) -> String {
    tr.t(&format!(
        "routing-department-{}",
        department.as_str().replace('_', "-")
    ))
}

fn reason_name(tr: &Tr<'_>, reason: Reason) -> String {
    tr.t(&format!(
        "routing-reason-{}",
        reason.as_str().replace('_', "-")
    ))
}

fn kind_name(tr: &Tr<'_>, kind: ContactKind) -> String {
    let key = match kind {
        ContactKind::Call => "call",
        ContactKind::Chat => "chat",
        ContactKind::Message => "message",
        ContactKind::Callback => "callback",
    };
    tr.t(&format!("routing-kind-{key}"))
}

/// `m:ss` (or `h:mm:ss`) for a number of seconds.
fn clock_text(secs: f64) -> String {
    let secs = secs.max(0.0).round() as u64;
    match (secs / 3600, secs % 3600 / 60, secs % 60) {
        (0, m, s) => format!("{m}:{s:02}"),
        (h, m, s) => format!("{h}:{m:02}:{s:02}"),
    }
}

fn percent(fraction: Option<f64>) -> String {
    fraction.map_or_else(|| "–".to_owned(), |f| format!("{:.0} %", f * 100.0))
}

/// A contact as the console lists it, with every label in the page's language.
struct ContactLine {
    id: String,
    what: String,
    reason: String,
    tier: String,
    language: String,
    context_id: String,
    cardholder: Option<String>,
    waited: String,
    seconds_left: Option<i64>,
    notes: Vec<String>,
}

impl ContactLine {
    fn new(tr: &Tr<'_>, card: &ContactCard, now: Timestamp) -> Self {
        Self {
            id: card.id.to_string(),
            what: format!(
                "{} · {}",
                kind_name(tr, card.kind),
                department_name(tr, card.department)
            ),
            reason: reason_name(tr, card.reason),
            tier: card.tier.to_string(),
            language: card.language.native_name().to_owned(),
            context_id: card.context_id.clone(),
            cardholder: card.cardholder_id.map(|c| c.to_string()),
            waited: clock_text(
                card.answered_at
                    .unwrap_or(now)
                    .duration_since(card.arrived_at)
                    .as_secs_f64(),
            ),
            seconds_left: card.seconds_left,
            notes: card.notes.clone(),
        }
    }
}

/// The changing part of the console.
#[derive(Template)]
#[template(path = "routing/console_state.html")]
struct ConsoleState<'a> {
    tr: Tr<'a>,
    presence: &'static str,
    presence_label: String,
    wrapping_up: bool,
    offers: Vec<ContactLine>,
    connected: Vec<ContactLine>,
}

impl<'a> ConsoleState<'a> {
    fn new(tr: Tr<'a>, view: &ConsoleView) -> Self {
        Self {
            presence: view.presence.as_str(),
            presence_label: presence_name(&tr, view.presence),
            wrapping_up: view.presence == Presence::WrapUp,
            offers: view
                .offers
                .iter()
                .map(|c| ContactLine::new(&tr, c, view.now))
                .collect(),
            connected: view
                .connected
                .iter()
                .map(|c| ContactLine::new(&tr, c, view.now))
                .collect(),
            tr,
        }
    }
}

#[derive(Template)]
#[template(path = "routing/console.html")]
struct ConsolePage<'a> {
    base: Base<'a>,
    /// The rendered fragment; `None` when the caller has no routing profile.
    state: Option<String>,
}

/// `/console/contacts`: presence, offers and contacts in hand; `?part=state` is the fragment.
pub async fn console(
    State(state): State<AppState>,
    PageAuth(who, ..): PageAuth<Staff>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let lang = page_lang(&state, &headers, q.as_deref(), Some(&who));
    let tr = Tr {
        lang,
        i18n: &state.i18n,
    };
    let view = match who.staff_user() {
        Some(user) => state.switchboard.console(agent_of(user.id)).await,
        None => None,
    };
    let console_state = view.as_ref().map(|v| ConsoleState::new(tr, v));
    if q.as_deref().and_then(|q| query_param(q, "part")).as_deref() == Some("state") {
        return match console_state {
            Some(fragment) => render(&fragment),
            None => axum::http::StatusCode::CONFLICT.into_response(),
        };
    }
    let fragment = match &console_state {
        Some(fragment) => match fragment.render() {
            Ok(html) => Some(html),
            // `render` logs the failure and answers 500.
            Err(_) => return render(fragment),
        },
        None => None,
    };
    render(&ConsolePage {
        base: Base::new(&state, lang, "routing-console-title", Some(&who)),
        state: fragment,
    })
}

/// A line chart of the recent samples: waiting contacts and available agents.
struct LineChart {
    waiting: String,
    available: String,
    busy: String,
    max: u64,
    minutes: i64,
}

const CHART_W: f64 = 640.0;
const CHART_H: f64 = 160.0;

impl LineChart {
    fn new(samples: &[Sample], now: Timestamp) -> Option<Self> {
        let first = samples.first()?.at;
        let span = now.duration_since(first).as_secs_f64().max(60.0);
        let max = samples
            .iter()
            .map(|s| {
                s.waiting
                    .max(u64::from(s.agents_available))
                    .max(u64::from(s.agents_busy))
            })
            .max()
            .unwrap_or(0)
            .max(1);
        let line = |value: &dyn Fn(&Sample) -> u64| {
            samples
                .iter()
                .map(|s| {
                    let x = s.at.duration_since(first).as_secs_f64() / span * CHART_W;
                    let y = CHART_H - value(s) as f64 / max as f64 * CHART_H;
                    format!("{x:.1},{y:.1}")
                })
                .collect::<Vec<_>>()
                .join(" ")
        };
        Some(Self {
            waiting: line(&|s| s.waiting),
            available: line(&|s| u64::from(s.agents_available)),
            busy: line(&|s| u64::from(s.agents_busy)),
            max,
            minutes: (span / 60.0).round() as i64,
        })
    }
}

/// One hub's row of the dashboard: service level bar and agents by presence.
struct HubRow {
    name: String,
    open: bool,
    figures: FigureTexts,
    /// Bar width for the service level, 0–100.
    level_width: f64,
    /// (presence key, label, count, x, width) of the stacked agents bar.
    agents: Vec<(&'static str, String, u32, f64, f64)>,
    agents_total: u32,
}

/// The five service figures as text.
struct FigureTexts {
    waiting: u64,
    longest_wait: String,
    service_level: String,
    asa: String,
    abandon_rate: String,
    answered: u64,
}

impl FigureTexts {
    fn new(f: &Figures) -> Self {
        Self {
            waiting: f.waiting,
            longest_wait: clock_text(f.longest_wait_secs),
            service_level: percent(f.service_level),
            asa: f.asa_secs.map_or_else(|| "–".to_owned(), clock_text),
            abandon_rate: percent(f.abandon_rate),
            answered: f.counters.answered,
        }
    }
}

struct QueueRow {
    department: String,
    language: String,
    figures: FigureTexts,
    staffed: u32,
    estimated_wait: String,
    /// Width of the longest-wait bar, 0–100.
    wait_width: f64,
}

/// The changing part of the dashboard.
#[derive(Template)]
#[template(path = "routing/figures.html")]
struct DashboardFigures<'a> {
    tr: Tr<'a>,
    total: FigureTexts,
    since: String,
    chart: Option<LineChart>,
    hubs: Vec<HubRow>,
    /// (presence key, label) for the agents bars' legend.
    legend: Vec<(&'static str, String)>,
    queues: Vec<QueueRow>,
}

const AGENT_BAR_W: f64 = 240.0;

impl<'a> DashboardFigures<'a> {
    fn new(tr: Tr<'a>, figures: &FiguresSnapshot, samples: &[Sample]) -> Self {
        let most_agents = figures
            .hubs
            .iter()
            .map(|h| h.agents.values().sum::<u32>())
            .max()
            .unwrap_or(0)
            .max(1);
        let hubs = figures
            .hubs
            .iter()
            .map(|h| {
                let agents_total = h.agents.values().sum::<u32>();
                let mut x = 0.0;
                let agents = Presence::ALL
                    .iter()
                    .filter_map(|p| {
                        let count = *h.agents.get(p)?;
                        let width = f64::from(count) / f64::from(most_agents) * AGENT_BAR_W;
                        let segment = (p.as_str(), presence_name(&tr, *p), count, x, width);
                        x += width;
                        (count > 0).then_some(segment)
                    })
                    .collect();
                HubRow {
                    name: hub_name(&tr, h.hub),
                    open: h.open,
                    level_width: h.figures.service_level.unwrap_or(0.0) * 100.0,
                    figures: FigureTexts::new(&h.figures),
                    agents,
                    agents_total,
                }
            })
            .collect();
        let longest = figures
            .queues
            .iter()
            .map(|q| q.figures.longest_wait_secs)
            .fold(1.0, f64::max);
        let queues = figures
            .queues
            .iter()
            .map(|q| QueueRow {
                department: department_name(&tr, q.department),
                language: q.lang.native_name().to_owned(),
                figures: FigureTexts::new(&q.figures),
                staffed: q.staffed_voice,
                estimated_wait: q
                    .estimated_wait_secs
                    .map_or_else(|| "–".to_owned(), clock_text),
                wait_width: q.figures.longest_wait_secs / longest * 100.0,
            })
            .collect();
        Self {
            total: FigureTexts::new(&figures.total),
            since: figures.since.strftime("%Y-%m-%d %H:%M UTC").to_string(),
            chart: LineChart::new(samples, figures.at),
            hubs,
            legend: Presence::ALL
                .iter()
                .map(|p| (p.as_str(), presence_name(&tr, *p)))
                .collect(),
            queues,
            tr,
        }
    }
}

#[derive(Template)]
#[template(path = "routing/dashboard.html")]
struct DashboardPage<'a> {
    base: Base<'a>,
    /// The rendered fragment.
    figures: String,
}

/// `/routing`: live figures per hub and queue with charts; `?part=figures` is the fragment.
pub async fn dashboard(
    State(state): State<AppState>,
    PageAuth(who, ..): PageAuth<Supervisors>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let lang: Lang = page_lang(&state, &headers, q.as_deref(), Some(&who));
    let tr = Tr {
        lang,
        i18n: &state.i18n,
    };
    let snapshot = state.switchboard.figures().await;
    let figures = DashboardFigures::new(tr, &snapshot, &state.switchboard.history());
    if q.as_deref().and_then(|q| query_param(q, "part")).as_deref() == Some("figures") {
        return render(&figures);
    }
    match figures.render() {
        Ok(html) => render(&DashboardPage {
            base: Base::new(&state, lang, "routing-dashboard-title", Some(&who)),
            figures: html,
        }),
        // `render` logs the failure and answers 500.
        Err(_) => render(&figures),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_clocks() {
        assert_eq!(clock_text(0.0), "0:00");
        assert_eq!(clock_text(65.4), "1:05");
        assert_eq!(clock_text(3725.0), "1:02:05");
        assert_eq!(clock_text(-3.0), "0:00");
        assert_eq!(percent(Some(0.873)), "87 %");
        assert_eq!(percent(None), "–");
    }
}
