//! The helpline directory (product §1): "find the right number" and "is this number real?" for
//! anyone (no sign-in), scam reports from cardholders and staff, and the admins' entry editing
//! and report moderation. Look-ups and checks answer from the in-memory directory
//! (`AppState::directory`); changes are stored with their audit rows, then the directory is
//! rebuilt.

use axum::extract::State;
use axum::http::StatusCode;
use directory::report::{Decision, ReportStatus, clean_description};
use directory::{
    CheckResponse, Coverage, E164, Entry, Hours, LookupError, LookupQuery, LookupResponse,
    PhoneError, Place, Provenance, ServiceLine, Status,
};
use domain::{Country, Lang, Reason, Tier};
use serde::{Deserialize, Serialize};
use store::{Effects, Moderation, Page, ScamReport, StoredEntry};
use utoipa::{IntoParams, ToSchema};

use super::extract::{ApiJson, ApiPath, ApiQuery};
use crate::auth::{Admins, Anyone, Auth, Ctx};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// `GET /api/v1/directory/lookup` parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LookupParams {
    /// ISO 3166 alpha-2 country of the caller (`JP`); or give `caller_number`.
    pub country: Option<String>,
    /// The caller's own phone number in international form (`+81 3 …`, `0081 3 …`): its
    /// country stands in for `country`.
    pub caller_number: Option<String>,
    /// general, lost_stolen, fraud, billing, business, travel, rewards, roadside, activation
    /// (also account); default general.
    pub reason: Option<String>,
    /// green, gold, platinum, centurion or business; default: lines for every tier.
    pub tier: Option<String>,
    /// Preferred language (`en`, `es`, `ja`…).
    pub lang: Option<String>,
}

/// `GET /api/v1/directory/check` parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CheckParams {
    /// The number in any written form: `+44 20 7946 0100`, `0800 151 0900`, `1-800-AXP-EARN`,
    /// `011 44 …`.
    pub number: Option<String>,
    /// ISO 3166 alpha-2 country the number is dialled from, to read a national number.
    pub country: Option<String>,
}

fn bad_param(param: &str, why: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request("directory.invalid_parameter", format!("{param}: {why}."))
}

fn country_param(param: &str, text: Option<&str>) -> ApiResult<Option<Country>> {
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| Country::parse(t).map_err(|e| bad_param(param, e)))
        .transpose()
}

fn parsed<T: std::str::FromStr>(param: &str, text: Option<&str>) -> ApiResult<Option<T>>
where
    T::Err: std::fmt::Display,
{
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| t.parse::<T>().map_err(|e| bad_param(param, e)))
        .transpose()
}

fn phone_problem(param: &str, err: &PhoneError) -> ApiError {
    ApiError::bad_request(
        "directory.invalid_number",
        format!("{param} is not a phone number we can read: {err}."),
    )
}

/// The lookup, decided by the directory crate at the server's time.
pub fn lookup_in(state: &AppState, params: &LookupParams) -> ApiResult<LookupResponse> {
    let country = country_param("country", params.country.as_deref())?;
    let caller = params
        .caller_number
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let place = match (country, caller) {
        (Some(country), _) => Place::Country(country),
        (None, Some(number)) => Place::CallerNumber(number.to_owned()),
        (None, None) => {
            return Err(ApiError::bad_request(
                "directory.missing_country",
                "Give country (ISO 3166 alpha-2, e.g. JP) or caller_number (your own phone number with its country code).",
            ));
        }
    };
    let query = LookupQuery {
        place,
        reason: parsed::<Reason>("reason", params.reason.as_deref())?.unwrap_or(Reason::General),
        tier: parsed::<Tier>("tier", params.tier.as_deref())?,
        lang: parsed::<Lang>("lang", params.lang.as_deref())?,
        at: state.clock.now(),
    };
    state.directory.get().lookup(&query).map_err(|e| match e {
        LookupError::CallerNumber(err) => phone_problem("caller_number", &err),
        other @ LookupError::NoCountryForNumber(_) => bad_param("caller_number", other.to_string()),
    })
}

/// Checks a number, decided by the directory crate.
pub fn check_in(state: &AppState, params: &CheckParams) -> ApiResult<CheckResponse> {
    let hint = country_param("country", params.country.as_deref())?;
    let number = params.number.as_deref().unwrap_or("");
    if number.trim().is_empty() {
        return Err(ApiError::bad_request(
            "directory.missing_number",
            "Give number: the phone number to check, in any written form (e.g. +44 20 7946 0100 or 1-800-555-0100).",
        ));
    }
    state
        .directory
        .get()
        .check(number, hint)
        .map_err(|e| phone_problem("number", &e))
}

/// The right line for a country (or the caller's own number), reason, tier and language: `line`,
/// whether it is open now, `next_open` when closed, `alternatives` and the global collect
/// `fallback`. Public.
#[utoipa::path(get, path = "/api/v1/directory/lookup", tag = "directory", params(LookupParams), responses(
    (status = 200, body = Object, description = "country, reason, service, choice, line, open_now, next_open, alternatives, fallback"),
    (status = 400, description = "A parameter is missing or cannot be read", body = crate::error::Problem, content_type = "application/problem+json"),
))]
pub async fn lookup(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<LookupParams>,
) -> ApiResult<axum::Json<LookupResponse>> {
    lookup_in(&state, &params).map(axum::Json)
}

/// Is this number really the issuer's? `status` is official, third_party (listed by third
/// parties only), reported_scam or unknown, with the matching entries and the number normalised
/// to E.164. Public.
#[utoipa::path(get, path = "/api/v1/directory/check", tag = "directory", params(CheckParams), responses(
    (status = 200, body = Object, description = "status, number, display, international, region, entries, other_readings"),
    (status = 400, description = "The number cannot be read (the problem says why)", body = crate::error::Problem, content_type = "application/problem+json"),
))]
pub async fn check(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<CheckParams>,
) -> ApiResult<axum::Json<CheckResponse>> {
    check_in(&state, &params).map(axum::Json)
}

/// A scam report as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportView {
    #[schema(value_type = String, format = Uuid)]
    pub id: uuid::Uuid,
    /// E.164.
    pub number: String,
    pub display: String,
    pub description: String,
    pub reporter: String,
    /// pending, approved or rejected.
    pub status: String,
    #[schema(value_type = String)]
    pub created_at: jiff::Timestamp,
    pub moderated_by: Option<String>,
    #[schema(value_type = Option<String>)]
    pub moderated_at: Option<jiff::Timestamp>,
    pub moderation_note: Option<String>,
    /// The reported_scam entry an approval added.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub entry_id: Option<uuid::Uuid>,
}

impl From<&ScamReport> for ReportView {
    fn from(r: &ScamReport) -> Self {
        ReportView {
            id: r.id,
            number: r.number.to_string(),
            display: r.number.international_format().to_owned(),
            description: r.description.clone(),
            reporter: r.reporter.clone(),
            status: r.status.to_string(),
            created_at: r.created_at,
            moderated_by: r.moderation.as_ref().map(|m| m.by.clone()),
            moderated_at: r.moderation.as_ref().map(|m| m.at),
            moderation_note: r.moderation.as_ref().map(|m| m.note.clone()),
            entry_id: r.moderation.as_ref().and_then(|m| m.entry_id),
        }
    }
}

/// A report that a number is used by scammers.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReport {
    /// The number, in any written form.
    pub number: String,
    /// ISO 3166 alpha-2 country the number was dialled from (to read a national number);
    /// default: the cardholder's country.
    pub country: Option<String>,
    /// What happened (up to 1000 characters; card numbers are removed).
    pub description: String,
}

/// Creates a scam report for a moderator (signed-in cardholders and staff).
pub async fn create_report(
    state: &AppState,
    caller: &crate::auth::Principal,
    ctx: &Ctx,
    request: &NewReport,
) -> ApiResult<ScamReport> {
    let hint = match country_param("country", request.country.as_deref())? {
        Some(country) => Some(country),
        None => caller.cardholder().map(|c| c.country),
    };
    let number = state
        .directory
        .get()
        .check(&request.number, hint)
        .map_err(|e| phone_problem("number", &e))?
        .number;
    let description = clean_description(&request.description);
    if description.is_empty() {
        return Err(ApiError::unprocessable(
            "directory.missing_description",
            "description: say what happened (who called, what they asked for).",
        ));
    }
    let now = state.clock.now();
    let report = ScamReport {
        id: uuid::Uuid::now_v7(),
        number,
        description,
        reporter: caller.audit_name(),
        status: ReportStatus::Pending,
        created_at: now,
        moderation: None,
    };
    let audit = ctx.audit(
        caller,
        now,
        "directory.report.create",
        format!("scam_report:{}", report.id),
        serde_json::json!({"number": report.number.as_str()}),
    );
    state
        .store
        .insert_scam_report(&report, Effects::none().audit(audit))
        .await?;
    Ok(report)
}

/// Reports a number as used by scammers; an admin moderates the report.
#[utoipa::path(post, path = "/api/v1/directory/reports", tag = "directory", request_body = NewReport, responses(
    (status = 201, body = ReportView),
    (status = 400, description = "The number cannot be read", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("session" = []), ("bearer" = [])))]
pub async fn report(
    State(state): State<AppState>,
    Auth(caller, ..): Auth<Anyone>,
    ctx: Ctx,
    ApiJson(request): ApiJson<NewReport>,
) -> ApiResult<(StatusCode, axum::Json<ReportView>)> {
    let report = create_report(&state, &caller, &ctx, &request).await?;
    Ok((StatusCode::CREATED, axum::Json(ReportView::from(&report))))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportsParams {
    /// pending, approved or rejected; default: all.
    pub status: Option<String>,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

/// Scam reports, newest first (admins).
#[utoipa::path(get, path = "/api/v1/directory/reports", tag = "directory", params(ReportsParams), responses(
    (status = 200, body = Vec<ReportView>),
), security(("session" = []), ("bearer" = [])))]
pub async fn reports(
    State(state): State<AppState>,
    Auth(caller, ..): Auth<Admins>,
    ctx: Ctx,
    ApiQuery(params): ApiQuery<ReportsParams>,
) -> ApiResult<axum::Json<Vec<ReportView>>> {
    let status = parsed::<ReportStatus>("status", params.status.as_deref())?;
    let page = Page {
        limit: params.limit.unwrap_or(50).clamp(1, 500),
        offset: params.offset.unwrap_or(0),
    };
    let found = state.store.scam_reports(status, page).await?;
    // Reports name their reporters: reading them is audited.
    ctx.record(
        &state,
        &caller,
        "directory.report.list",
        "scam_reports",
        serde_json::json!({"status": status.map(|s| s.as_str()), "count": found.len()}),
    )
    .await?;
    Ok(axum::Json(found.iter().map(ReportView::from).collect()))
}

/// A moderator's decision.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModerationRequest {
    /// approve (the number becomes reported_scam in the directory) or reject.
    #[schema(value_type = String, example = "approve")]
    pub decision: Decision,
    #[serde(default)]
    pub note: String,
}

/// Moderates a pending report.
pub async fn moderate_report(
    state: &AppState,
    caller: &crate::auth::Principal,
    ctx: &Ctx,
    id: uuid::Uuid,
    request: &ModerationRequest,
) -> ApiResult<ScamReport> {
    let report =
        state.store.scam_report(id).await?.ok_or_else(|| {
            ApiError::not_found("directory.report_not_found", "No such scam report.")
        })?;
    if let Err(e) = report.status.moderate(request.decision) {
        return Err(ApiError::conflict(
            "directory.already_moderated",
            format!("{e}."),
        ));
    }
    let now = state.clock.now();
    let by = caller.audit_name();
    let note: String = request.note.trim().chars().take(500).collect();
    let entry = (request.decision == Decision::Approve).then(|| {
        Entry::reported_scam(
            report.number.clone(),
            report.description.clone(),
            by.clone(),
            now,
        )
    });
    let audit = ctx.audit(
        caller,
        now,
        "directory.report.moderate",
        format!("scam_report:{id}"),
        serde_json::json!({"decision": request.decision, "number": report.number.as_str()}),
    );
    let moderation = Moderation {
        decision: request.decision,
        by,
        at: now,
        note,
        entry_id: None,
    };
    Ok(state
        .directory
        .moderate(
            id,
            &moderation,
            entry.as_ref(),
            Effects::none().audit(audit),
        )
        .await?)
}

/// Approves (the number becomes `reported_scam`) or rejects a pending report (admins).
#[utoipa::path(post, path = "/api/v1/directory/reports/{id}/moderate", tag = "directory", params(("id" = String, Path, format = Uuid)), request_body = ModerationRequest, responses(
    (status = 200, body = ReportView),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "Already moderated", body = crate::error::Problem, content_type = "application/problem+json"),
), security(("session" = []), ("bearer" = [])))]
pub async fn moderate(
    State(state): State<AppState>,
    Auth(caller, ..): Auth<Admins>,
    ctx: Ctx,
    ApiPath(id): ApiPath<uuid::Uuid>,
    ApiJson(request): ApiJson<ModerationRequest>,
) -> ApiResult<axum::Json<ReportView>> {
    let report = moderate_report(&state, &caller, &ctx, id, &request).await?;
    Ok(axum::Json(ReportView::from(&report)))
}

/// An entry as an admin writes it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntryRequest {
    /// ISO 3166 alpha-2, or `global`.
    pub coverage: String,
    /// general, lost_stolen, fraud, billing, business, travel, rewards, roadside, activation or
    /// international_collect.
    pub service: String,
    /// Any written form; a national number is read in the coverage's country.
    pub number: String,
    /// Tiers served; empty: every tier.
    #[serde(default)]
    pub tiers: Vec<String>,
    #[serde(default)]
    pub languages: Vec<String>,
    /// `24/7` or windows such as `Mon-Fri 09:00-18:00; Sat 10:00-14:00`; empty: not stated.
    #[serde(default)]
    pub hours: String,
    /// IANA zone the hours are read in (`Asia/Tokyo`).
    #[serde(default)]
    pub time_zone: String,
    /// Default: what the numbering plan says (free-phone ranges).
    pub toll_free: Option<bool>,
    #[serde(default)]
    pub collect: bool,
    #[serde(default)]
    pub notes: String,
    /// official, third_party or reported_scam.
    pub status: String,
    /// Who asserts it; default: the admin.
    pub source: Option<String>,
}

/// Reads an admin's entry; every problem names its field.
pub fn entry_from_request(
    request: &EntryRequest,
    default_source: String,
    at: jiff::Timestamp,
) -> ApiResult<Entry> {
    let field = |name: &str, why: String| {
        ApiError::unprocessable("directory.invalid_entry", format!("{name}: {why}."))
    };
    let coverage = Coverage::parse(&request.coverage).map_err(|e| {
        field(
            "coverage",
            format!("{e}; use an ISO 3166 alpha-2 code or global"),
        )
    })?;
    let service: ServiceLine = request
        .service
        .parse()
        .map_err(|e: domain::ParseError| field("service", e.to_string()))?;
    let number = E164::parse(&request.number, coverage.country())
        .map_err(|e| field("number", e.to_string()))?;
    let tiers = request
        .tiers
        .iter()
        .map(|t| t.parse::<Tier>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| field("tiers", e.to_string()))?;
    let languages = request
        .languages
        .iter()
        .map(|l| l.parse::<Lang>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| field("languages", format!("{e}")))?;
    let hours = if request.hours.trim().is_empty() {
        None
    } else {
        Some(
            Hours::parse(&request.hours, Some(request.time_zone.as_str()))
                .map_err(|e| field("hours", e.to_string()))?,
        )
    };
    let status = match request.status.trim() {
        "official" => Status::Official,
        "third_party" => Status::ThirdParty,
        "reported_scam" => Status::ReportedScam,
        _ => {
            return Err(field(
                "status",
                "use official, third_party or reported_scam".to_owned(),
            ));
        }
    };
    let source = request
        .source
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map_or(default_source, str::to_owned);
    if source.chars().count() > 200 || request.notes.chars().count() > 2000 {
        return Err(field(
            "source/notes",
            "at most 200 and 2000 characters".to_owned(),
        ));
    }
    Ok(Entry {
        coverage,
        service,
        tiers,
        toll_free: request.toll_free.unwrap_or_else(|| number.is_toll_free()),
        number,
        collect: request.collect,
        languages,
        hours,
        notes: request.notes.trim().to_owned(),
        provenance: Provenance {
            source,
            asserted_at: at,
        },
        status,
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EntriesParams {
    /// official, third_party or reported_scam; default: all.
    pub status: Option<String>,
    /// ISO 3166 alpha-2 or global.
    pub coverage: Option<String>,
}

/// Every directory entry with its id (admins).
#[utoipa::path(get, path = "/api/v1/directory/entries", tag = "directory", params(EntriesParams), responses(
    (status = 200, body = Object, description = "[{id, entry, updated_at}]"),
), security(("session" = []), ("bearer" = [])))]
pub async fn entries(
    State(state): State<AppState>,
    Auth(..): Auth<Admins>,
    ApiQuery(params): ApiQuery<EntriesParams>,
) -> ApiResult<axum::Json<Vec<StoredEntry>>> {
    let status: Option<Status> = match params.status.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(
            serde_json::from_value(serde_json::Value::String(text.to_owned()))
                .map_err(|_| bad_param("status", "use official, third_party or reported_scam"))?,
        ),
    };
    let coverage = match params.coverage.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(
            Coverage::parse(text).map_err(|e| bad_param("coverage", format!("{e}; or global")))?,
        ),
    };
    let all = state.store.directory_entries().await?;
    Ok(axum::Json(
        all.into_iter()
            .filter(|s| status.is_none_or(|st| s.entry.status == st))
            .filter(|s| coverage.is_none_or(|c| s.entry.coverage == c))
            .collect(),
    ))
}

/// Adds an entry (admins); audited.
#[utoipa::path(post, path = "/api/v1/directory/entries", tag = "directory", request_body = EntryRequest, responses(
    (status = 201, body = Object, description = "{id, entry, updated_at}"),
    (status = 409, description = "The source already lists this number for this line", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("session" = []), ("bearer" = [])))]
pub async fn create_entry(
    State(state): State<AppState>,
    Auth(caller, ..): Auth<Admins>,
    ctx: Ctx,
    ApiJson(request): ApiJson<EntryRequest>,
) -> ApiResult<(StatusCode, axum::Json<StoredEntry>)> {
    let stored = add_entry(&state, &caller, &ctx, &request).await?;
    Ok((StatusCode::CREATED, axum::Json(stored)))
}

pub async fn add_entry(
    state: &AppState,
    caller: &crate::auth::Principal,
    ctx: &Ctx,
    request: &EntryRequest,
) -> ApiResult<StoredEntry> {
    let now = state.clock.now();
    let entry = entry_from_request(request, caller.audit_name(), now)?;
    let key = entry.key();
    if state
        .store
        .directory_entries()
        .await?
        .iter()
        .any(|s| s.entry.key() == key)
    {
        return Err(ApiError::conflict(
            "directory.duplicate_entry",
            format!(
                "{} already lists {} for {} {}; edit that entry instead.",
                key.source, key.number, key.coverage, key.service
            ),
        ));
    }
    let audit = ctx.audit(
        caller,
        now,
        "directory.entry.create",
        format!("directory_number:{}", entry.number),
        serde_json::json!({"entry": &entry}),
    );
    state
        .directory
        .upsert(
            std::slice::from_ref(&entry),
            now,
            Effects::none().audit(audit),
        )
        .await?;
    state
        .store
        .directory_entries()
        .await?
        .into_iter()
        .find(|s| s.entry.key() == key)
        .ok_or_else(|| ApiError::not_found("directory.entry_not_found", "The entry vanished."))
}

/// Replaces an entry (admins); audited.
#[utoipa::path(put, path = "/api/v1/directory/entries/{id}", tag = "directory", params(("id" = String, Path, format = Uuid)), request_body = EntryRequest, responses(
    (status = 200, body = Object, description = "{id, entry, updated_at}"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("session" = []), ("bearer" = [])))]
pub async fn update_entry(
    State(state): State<AppState>,
    Auth(caller, ..): Auth<Admins>,
    ctx: Ctx,
    ApiPath(id): ApiPath<uuid::Uuid>,
    ApiJson(request): ApiJson<EntryRequest>,
) -> ApiResult<axum::Json<StoredEntry>> {
    Ok(axum::Json(
        edit_entry(&state, &caller, &ctx, id, &request).await?,
    ))
}

pub async fn edit_entry(
    state: &AppState,
    caller: &crate::auth::Principal,
    ctx: &Ctx,
    id: uuid::Uuid,
    request: &EntryRequest,
) -> ApiResult<StoredEntry> {
    let before = state.store.directory_entry(id).await?.ok_or_else(|| {
        ApiError::not_found("directory.entry_not_found", "No such directory entry.")
    })?;
    let now = state.clock.now();
    let entry = entry_from_request(request, before.entry.provenance.source.clone(), now)?;
    let audit = ctx.audit(
        caller,
        now,
        "directory.entry.update",
        format!("directory_entry:{id}"),
        serde_json::json!({"before": &before.entry, "after": &entry}),
    );
    state
        .directory
        .update(id, &entry, now, Effects::none().audit(audit))
        .await?;
    state
        .store
        .directory_entry(id)
        .await?
        .ok_or_else(|| ApiError::not_found("directory.entry_not_found", "No such directory entry."))
}

/// Removes an entry (admins); audited.
#[utoipa::path(delete, path = "/api/v1/directory/entries/{id}", tag = "directory", params(("id" = String, Path, format = Uuid)), responses(
    (status = 204),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("session" = []), ("bearer" = [])))]
pub async fn delete_entry(
    State(state): State<AppState>,
    Auth(caller, ..): Auth<Admins>,
    ctx: Ctx,
    ApiPath(id): ApiPath<uuid::Uuid>,
) -> ApiResult<StatusCode> {
    remove_entry(&state, &caller, &ctx, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn remove_entry(
    state: &AppState,
    caller: &crate::auth::Principal,
    ctx: &Ctx,
    id: uuid::Uuid,
) -> ApiResult<()> {
    let before = state.store.directory_entry(id).await?.ok_or_else(|| {
        ApiError::not_found("directory.entry_not_found", "No such directory entry.")
    })?;
    let audit = ctx.audit(
        caller,
        state.clock.now(),
        "directory.entry.delete",
        format!("directory_entry:{id}"),
        serde_json::json!({"before": &before.entry}),
    );
    state
        .directory
        .delete(id, Effects::none().audit(audit))
        .await?;
    Ok(())
}

/// `POST /api/v1/directory/imports`: third-party listings to import.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportRequest {
    /// Who lists these numbers (a web site, an article, a partner): the entries' provenance.
    pub source: String,
    /// CSV (columns: country, service, number, tiers, languages, hours, time_zone, toll_free,
    /// collect, notes) or free text with tables and headed lists, like the seed articles.
    pub text: String,
}

/// What an import did and where the directory now disagrees with itself.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportView {
    pub source: String,
    pub read: usize,
    pub inserted: u64,
    pub updated: u64,
    pub kept_official: u64,
    #[schema(value_type = Object)]
    pub report: directory::ConflictReport,
    /// The report as `helpline directory import` prints it.
    pub report_text: String,
}

/// Imports third-party listings as entries of `source` (again: updates them) and reports where
/// they disagree with the official directory, with other sources and with themselves (admins;
/// audited). The same as `helpline directory import`, for a running server.
#[utoipa::path(post, path = "/api/v1/directory/imports", tag = "directory", request_body = ImportRequest, responses(
    (status = 200, body = ImportView),
    (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "An unreadable file, or an official source", body = crate::error::Problem, content_type = "application/problem+json"),
), security(("session" = []), ("bearer" = [])))]
pub async fn import(
    State(state): State<AppState>,
    Auth(caller, ..): Auth<Admins>,
    ctx: Ctx,
    ApiJson(request): ApiJson<ImportRequest>,
) -> ApiResult<axum::Json<ImportView>> {
    use crate::directory::ImportError;
    let now = state.clock.now();
    let source = request.source.trim().to_owned();
    let audit = |batch: usize, entries: usize| {
        ctx.audit(
            &caller,
            now,
            "directory.import",
            format!("directory_source:{source}"),
            serde_json::json!({"batch": batch, "entries": entries}),
        )
    };
    let imported = state
        .directory
        .import(&source, request.text.as_bytes(), now, audit)
        .await
        .map_err(|e| match e {
            ImportError::Store(e) => ApiError::from(e),
            ImportError::NotThirdParty => ApiError::internal(&e),
            e => ApiError::unprocessable("directory.import", format!("{e}.")),
        })?;
    Ok(axum::Json(ImportView {
        source,
        read: imported.read,
        inserted: imported.counts.inserted,
        updated: imported.counts.updated,
        kept_official: imported.counts.kept_official,
        report_text: imported.report.to_string(),
        report: imported.report,
    }))
}
