//! Directory pages (product §1): the public "Find the right number" and "Check a number" pages
//! (no sign-in; forms that submit with GET, so they work without script), a scam-report form for
//! signed-in cardholders and staff, and the admins' page to edit entries and moderate reports.
//! Every decision is the API module's (`api::directory`), so the pages and the API agree.

use askama::Template;
use axum::Form;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use directory::report::{Decision, ReportStatus};
use directory::{CheckStatus, Entry, LineView, ServiceLine, Status};
use domain::{Reason, Tier};
use serde::Deserialize;
use store::{Page, StoredEntry};

use super::{Base, page_lang, query_param, render};
use crate::api::directory::{
    CheckParams, EntryRequest, LookupParams, ModerationRequest, NewReport, ReportView, add_entry,
    check_in, create_report, edit_entry, lookup_in, moderate_report, remove_entry,
};
use crate::auth::{Admins, Ctx, MaybePrincipal, PageAuth, Principal, check_form_csrf};
use crate::error::ApiError;
use crate::i18n::Tr;
use crate::state::AppState;

/// The reasons the public page offers, in the order.
const REASONS: &[Reason] = &[
    Reason::General,
    Reason::LostStolen,
    Reason::Fraud,
    Reason::Billing,
    Reason::Business,
    Reason::Travel,
    Reason::Rewards,
    Reason::Roadside,
    Reason::Activation,
];

fn reason_name(tr: &Tr<'_>, reason: Reason) -> String {
    tr.t(&format!(
        "directory-reason-{}",
        reason.as_str().replace('_', "-")
    ))
}

fn service_name(tr: &Tr<'_>, service: ServiceLine) -> String {
    tr.t(&format!(
        "directory-service-{}",
        service.as_str().replace('_', "-")
    ))
}

fn status_name(tr: &Tr<'_>, status: &str) -> String {
    tr.t(&format!("directory-status-{}", status.replace('_', "-")))
}

fn status_key(status: Status) -> &'static str {
    match status {
        Status::Official => "official",
        Status::ThirdParty => "third_party",
        Status::ReportedScam => "reported_scam",
    }
}

/// A line as the pages show it, labels in the page's language.
struct LineCard {
    display: String,
    international: String,
    e164: String,
    service: String,
    hours: String,
    languages: String,
    tiers: String,
    toll_free: bool,
    collect: bool,
    open_now: bool,
    next_open: Option<String>,
    notes: String,
}

impl LineCard {
    fn new(tr: &Tr<'_>, line: &LineView) -> Self {
        LineCard {
            display: line.display.clone(),
            international: line.international.clone(),
            e164: line.number.to_string(),
            service: service_name(tr, line.service),
            hours: line.hours_text.clone(),
            languages: line
                .languages
                .iter()
                .map(|l| l.native_name())
                .collect::<Vec<_>>()
                .join(", "),
            tiers: if line.tiers.is_empty() {
                tr.t("directory-every-tier")
            } else {
                line.tiers
                    .iter()
                    .map(|t| t.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            toll_free: line.toll_free,
            collect: line.collect,
            open_now: line.open_now,
            next_open: line.next_open_local.clone(),
            notes: line.notes.clone(),
        }
    }
}

/// What a lookup found, for the page.
struct LookupResult {
    choice: &'static str,
    line: Option<LineCard>,
    alternatives: Vec<LineCard>,
    fallback: Option<LineCard>,
}

#[derive(Template)]
#[template(path = "directory/find.html")]
struct FindPage<'a> {
    base: Base<'a>,
    countries: Vec<String>,
    reasons: Vec<(&'static str, String)>,
    tiers: Vec<&'static str>,
    languages: Vec<(&'static str, &'static str)>,
    country: String,
    reason: String,
    tier: String,
    language: String,
    result: Option<LookupResult>,
    error: Option<String>,
}

/// Countries that have an official line, for the form.
fn countries(state: &AppState) -> Vec<String> {
    let mut found: Vec<String> = state
        .directory
        .get()
        .entries()
        .iter()
        .filter(|e| e.status == Status::Official)
        .filter_map(|e| e.coverage.country())
        .map(|c| c.code().to_owned())
        .collect();
    found.sort();
    found.dedup();
    found
}

/// `GET /directory`: "Find the right number".
pub async fn find(
    State(state): State<AppState>,
    MaybePrincipal(who): MaybePrincipal,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let lang = page_lang(&state, &headers, query.as_deref(), who.as_ref());
    let param = |name: &str| {
        query
            .as_deref()
            .and_then(|q| query_param(q, name))
            .unwrap_or_default()
    };
    let (country, reason, tier, language) = (
        param("country"),
        param("reason"),
        param("tier"),
        param("language"),
    );
    let base = Base::new(&state, lang, "directory-find-title", who.as_ref());
    let (result, error) = if country.is_empty() {
        (None, None)
    } else {
        let params = LookupParams {
            country: Some(country.clone()),
            caller_number: None,
            reason: Some(reason.clone()),
            tier: Some(tier.clone()),
            lang: Some(language.clone()),
        };
        match lookup_in(&state, &params) {
            Ok(found) => (
                Some(LookupResult {
                    choice: match found.choice {
                        directory::Choice::BestMatch => "best_match",
                        directory::Choice::FallbackWhileClosed => "fallback_while_closed",
                        directory::Choice::FallbackNoLine => "fallback_no_line",
                        directory::Choice::NoLine => "no_line",
                    },
                    line: found.line.as_ref().map(|l| LineCard::new(&base.tr, l)),
                    alternatives: found
                        .alternatives
                        .iter()
                        .map(|l| LineCard::new(&base.tr, l))
                        .collect(),
                    fallback: found.fallback.as_ref().map(|l| LineCard::new(&base.tr, l)),
                }),
                None,
            ),
            Err(err) => (None, Some(err.detail)),
        }
    };
    render(&FindPage {
        countries: countries(&state),
        reasons: REASONS
            .iter()
            .map(|r| (r.as_str(), reason_name(&base.tr, *r)))
            .collect(),
        tiers: Tier::ALL.iter().map(|t| t.as_str()).collect(),
        languages: state
            .i18n
            .languages()
            .iter()
            .chain(domain::Lang::ALL)
            .map(|l| (l.code(), l.native_name()))
            .fold(Vec::new(), |mut all, l| {
                if !all.contains(&l) {
                    all.push(l);
                }
                all
            }),
        base,
        country,
        reason,
        tier,
        language,
        result,
        error,
    })
}

/// One entry that matched a check.
struct MatchLine {
    status: String,
    status_key: &'static str,
    coverage: String,
    service: String,
    source: String,
    notes: String,
}

#[derive(Template)]
#[template(path = "directory/check.html")]
struct CheckPage<'a> {
    base: Base<'a>,
    number: String,
    country: String,
    /// official, third_party, reported_scam or unknown.
    status: Option<&'static str>,
    status_label: String,
    explanation: String,
    display: String,
    international: String,
    matches: Vec<MatchLine>,
    error: Option<String>,
    notice: Option<String>,
    can_report: bool,
}

/// `GET /directory/check`: "Check a number".
pub async fn check(
    State(state): State<AppState>,
    MaybePrincipal(who): MaybePrincipal,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let lang = page_lang(&state, &headers, query.as_deref(), who.as_ref());
    let number = query
        .as_deref()
        .and_then(|q| query_param(q, "number"))
        .unwrap_or_default();
    let country = query
        .as_deref()
        .and_then(|q| query_param(q, "country"))
        .unwrap_or_default();
    show_check(&state, who.as_ref(), lang, number, country, None)
}

fn show_check(
    state: &AppState,
    who: Option<&Principal>,
    lang: domain::Lang,
    number: String,
    country: String,
    notice: Option<String>,
) -> Response {
    let base = Base::new(state, lang, "directory-check-title", who);
    let mut page = CheckPage {
        number: number.clone(),
        country: country.clone(),
        status: None,
        status_label: String::new(),
        explanation: String::new(),
        display: String::new(),
        international: String::new(),
        matches: Vec::new(),
        error: None,
        notice,
        can_report: who.is_some_and(|p| p.role() != Some(domain::Role::Integration)),
        base,
    };
    if !number.trim().is_empty() {
        let params = CheckParams {
            number: Some(number),
            country: Some(country),
        };
        match check_in(state, &params) {
            Ok(found) => {
                let key = match found.status {
                    CheckStatus::Official => "official",
                    CheckStatus::ThirdParty => "third_party",
                    CheckStatus::ReportedScam => "reported_scam",
                    CheckStatus::Unknown => "unknown",
                };
                page.status = Some(key);
                page.status_label = status_name(&page.base.tr, key);
                page.explanation = page
                    .base
                    .tr
                    .t(&format!("directory-explain-{}", key.replace('_', "-")));
                page.display = found.display.clone();
                page.international = found.international.clone();
                page.matches = found
                    .entries
                    .iter()
                    .map(|e| MatchLine {
                        status: status_name(&page.base.tr, status_key(e.status)),
                        status_key: status_key(e.status),
                        coverage: e.coverage.to_string(),
                        service: service_name(&page.base.tr, e.service),
                        source: e.provenance.source.clone(),
                        notes: e.notes.clone(),
                    })
                    .collect();
            }
            Err(err) => page.error = Some(err.detail),
        }
    }
    render(&page)
}

#[derive(Deserialize)]
pub struct ReportForm {
    csrf: String,
    number: String,
    #[serde(default)]
    country: String,
    description: String,
}

/// `POST /directory/report`: a signed-in cardholder or member of staff reports a number.
pub async fn report(
    State(state): State<AppState>,
    MaybePrincipal(who): MaybePrincipal,
    ctx: Ctx,
    headers: HeaderMap,
    Form(form): Form<ReportForm>,
) -> Response {
    let Some(who) = who else {
        return ApiError::unauthorized("Sign in to report a number.").into_response();
    };
    if let Err(err) = check_form_csrf(&who, &form.csrf) {
        return err.into_response();
    }
    let lang = page_lang(&state, &headers, None, Some(&who));
    let request = NewReport {
        number: form.number.clone(),
        country: Some(form.country.clone()),
        description: form.description,
    };
    let tr = Tr {
        lang,
        i18n: &state.i18n,
    };
    let notice = match create_report(&state, &who, &ctx, &request).await {
        Ok(_) => tr.t("directory-report-thanks"),
        Err(err) => err.detail,
    };
    show_check(
        &state,
        Some(&who),
        lang,
        form.number,
        form.country,
        Some(notice),
    )
}

/// An entry row on the admin page, with its form values.
struct EntryRow {
    id: String,
    coverage: String,
    service: String,
    service_label: String,
    number: String,
    display: String,
    status: &'static str,
    status_label: String,
    tiers: String,
    languages: String,
    hours: String,
    time_zone: String,
    collect: bool,
    notes: String,
    source: String,
}

impl EntryRow {
    fn new(tr: &Tr<'_>, stored: &StoredEntry) -> Self {
        let e: &Entry = &stored.entry;
        let (hours, time_zone) = match &e.hours {
            None => (String::new(), String::new()),
            Some(directory::Hours::Always) => ("24/7".to_owned(), String::new()),
            Some(h) => (
                h.to_string(),
                h.zone().map(|z| z.name().to_owned()).unwrap_or_default(),
            ),
        };
        EntryRow {
            id: stored.id.to_string(),
            coverage: e.coverage.to_string(),
            service: e.service.as_str().to_owned(),
            service_label: service_name(tr, e.service),
            number: e.number.to_string(),
            display: e.number.international_format().to_owned(),
            status: status_key(e.status),
            status_label: status_name(tr, status_key(e.status)),
            tiers: e
                .tiers
                .iter()
                .map(|t| t.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            languages: e
                .languages
                .iter()
                .map(|l| l.code())
                .collect::<Vec<_>>()
                .join(" "),
            hours,
            time_zone,
            collect: e.collect,
            notes: e.notes.clone(),
            source: e.provenance.source.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "directory/admin.html")]
struct AdminPage<'a> {
    base: Base<'a>,
    reports: Vec<ReportView>,
    entries: Vec<EntryRow>,
    services: Vec<(&'static str, String)>,
    statuses: Vec<(&'static str, String)>,
    filter: String,
    notice: Option<String>,
    error: Option<String>,
}

async fn show_admin(
    state: &AppState,
    who: &Principal,
    ctx: &Ctx,
    headers: &HeaderMap,
    filter: String,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let lang = page_lang(state, headers, None, Some(who));
    let base = Base::new(state, lang, "directory-admin-title", Some(who));
    let loaded = async {
        let reports = state
            .store
            .scam_reports(
                Some(ReportStatus::Pending),
                Page {
                    limit: 200,
                    offset: 0,
                },
            )
            .await?;
        // Reports name their reporters: reading them is audited.
        ctx.record(
            state,
            who,
            "directory.report.list",
            "scam_reports",
            serde_json::json!({"status": "pending", "count": reports.len()}),
        )
        .await?;
        let entries = state.store.directory_entries().await?;
        Ok::<_, ApiError>((reports, entries))
    }
    .await;
    let (reports, entries) = match loaded {
        Ok(found) => found,
        Err(err) => return err.into_response(),
    };
    let wanted = filter.trim().to_ascii_lowercase();
    let entries = entries
        .iter()
        .filter(|s| {
            wanted.is_empty()
                || s.entry.coverage.to_string().eq_ignore_ascii_case(&wanted)
                || status_key(s.entry.status) == wanted
                || s.entry
                    .provenance
                    .source
                    .to_ascii_lowercase()
                    .contains(&wanted)
                || s.entry.number.as_str().contains(&wanted)
        })
        .map(|s| EntryRow::new(&base.tr, s))
        .collect();
    render(&AdminPage {
        reports: reports.iter().map(ReportView::from).collect(),
        entries,
        services: ServiceLine::ALL
            .iter()
            .map(|s| (s.as_str(), service_name(&base.tr, *s)))
            .collect(),
        statuses: ["official", "third_party", "reported_scam"]
            .into_iter()
            .map(|s| (s, status_name(&base.tr, s)))
            .collect(),
        base,
        filter,
        notice,
        error,
    })
}

/// `GET /admin/directory`.
pub async fn admin(
    State(state): State<AppState>,
    PageAuth(who, ..): PageAuth<Admins>,
    ctx: Ctx,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let filter = query
        .as_deref()
        .and_then(|q| query_param(q, "filter"))
        .unwrap_or_default();
    show_admin(&state, &who, &ctx, &headers, filter, None, None).await
}

#[derive(Deserialize)]
pub struct EntryForm {
    csrf: String,
    coverage: String,
    service: String,
    number: String,
    #[serde(default)]
    tiers: String,
    #[serde(default)]
    languages: String,
    #[serde(default)]
    hours: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    collect: Option<String>,
    #[serde(default)]
    notes: String,
    status: String,
    #[serde(default)]
    source: String,
}

impl EntryForm {
    fn request(&self) -> EntryRequest {
        let words = |text: &str| {
            text.split([' ', ','])
                .filter(|w| !w.is_empty())
                .map(str::to_owned)
                .collect()
        };
        EntryRequest {
            coverage: self.coverage.clone(),
            service: self.service.clone(),
            number: self.number.clone(),
            tiers: words(&self.tiers),
            languages: words(&self.languages),
            hours: self.hours.clone(),
            time_zone: self.time_zone.clone(),
            toll_free: None,
            collect: self.collect.is_some(),
            notes: self.notes.clone(),
            status: self.status.clone(),
            source: Some(self.source.clone()),
        }
    }
}

async fn after_change(
    state: &AppState,
    who: &Principal,
    ctx: &Ctx,
    headers: &HeaderMap,
    result: Result<String, ApiError>,
) -> Response {
    match result {
        Ok(notice) => show_admin(state, who, ctx, headers, String::new(), Some(notice), None).await,
        Err(err) => {
            show_admin(
                state,
                who,
                ctx,
                headers,
                String::new(),
                None,
                Some(err.detail),
            )
            .await
        }
    }
}

fn tr<'a>(state: &'a AppState, headers: &HeaderMap, who: &Principal) -> Tr<'a> {
    Tr {
        lang: page_lang(state, headers, None, Some(who)),
        i18n: &state.i18n,
    }
}

/// `POST /admin/directory/entries`.
pub async fn create_entry(
    State(state): State<AppState>,
    PageAuth(who, ..): PageAuth<Admins>,
    ctx: Ctx,
    headers: HeaderMap,
    Form(form): Form<EntryForm>,
) -> Response {
    if let Err(err) = check_form_csrf(&who, &form.csrf) {
        return err.into_response();
    }
    let result = add_entry(&state, &who, &ctx, &form.request())
        .await
        .map(|_| tr(&state, &headers, &who).t("directory-entry-saved"));
    after_change(&state, &who, &ctx, &headers, result).await
}

/// `POST /admin/directory/entries/{id}`.
pub async fn update_entry(
    State(state): State<AppState>,
    PageAuth(who, ..): PageAuth<Admins>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<uuid::Uuid>,
    Form(form): Form<EntryForm>,
) -> Response {
    if let Err(err) = check_form_csrf(&who, &form.csrf) {
        return err.into_response();
    }
    let result = edit_entry(&state, &who, &ctx, id, &form.request())
        .await
        .map(|_| tr(&state, &headers, &who).t("directory-entry-saved"));
    after_change(&state, &who, &ctx, &headers, result).await
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

/// `POST /admin/directory/entries/{id}/delete`.
pub async fn delete_entry(
    State(state): State<AppState>,
    PageAuth(who, ..): PageAuth<Admins>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<uuid::Uuid>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Err(err) = check_form_csrf(&who, &form.csrf) {
        return err.into_response();
    }
    let result = remove_entry(&state, &who, &ctx, id)
        .await
        .map(|()| tr(&state, &headers, &who).t("directory-entry-deleted"));
    after_change(&state, &who, &ctx, &headers, result).await
}

#[derive(Deserialize)]
pub struct ModerationForm {
    csrf: String,
    decision: Decision,
    #[serde(default)]
    note: String,
}

/// `POST /admin/directory/reports/{id}`.
pub async fn moderate(
    State(state): State<AppState>,
    PageAuth(who, ..): PageAuth<Admins>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<uuid::Uuid>,
    Form(form): Form<ModerationForm>,
) -> Response {
    if let Err(err) = check_form_csrf(&who, &form.csrf) {
        return err.into_response();
    }
    let request = ModerationRequest {
        decision: form.decision,
        note: form.note,
    };
    let result = moderate_report(&state, &who, &ctx, id, &request)
        .await
        .map(|r| {
            tr(&state, &headers, &who).t(if r.status == ReportStatus::Approved {
                "directory-report-approved"
            } else {
                "directory-report-rejected"
            })
        });
    after_change(&state, &who, &ctx, &headers, result).await
}
