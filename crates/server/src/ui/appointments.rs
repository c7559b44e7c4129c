//! Appointment pages: the portal's "Appointments" (pick a centre, a date and a free time; see,
//! move or cancel your own), the same page for an agent booking for a cardholder from the
//! customer view, and a centre's day for staff. Plain forms; the work is `api::appointments`.

use askama::Template;
use axum::Form;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use cases::appointments::{AppointmentStatus, ServiceCentre};
use domain::{CardholderId, Lang, Role};
use jiff::civil::Date;
use serde::Deserialize;
use store::{Cardholder, Page, StoredAppointment};

use super::{Base, error_page, page_lang, query_param, render};
use crate::api::appointments::{
    self as api, AppointmentView, CATALOGUE, booker_of, centre_day, free_slots, load,
};
use crate::api::cardholders::view_cardholder;
use crate::auth::{Cardholders, Ctx, PageAuth, Policy, Principal, check_form_csrf};
use crate::error::ApiError;
use crate::state::AppState;

/// Staff who book for cardholders.
#[derive(Debug)]
pub struct Agents;

impl Policy for Agents {
    const ROLES: &'static [Role] = &[Role::Agent, Role::Supervisor, Role::Admin];
    const WHO: &'static str = "agents, supervisors and admins";
}

pub struct CentreOption {
    pub id: String,
    pub label: String,
    pub selected: bool,
}

pub struct SlotRow {
    pub start: String,
    pub time: String,
    pub seats_left: u8,
}

pub struct Row {
    pub id: String,
    pub centre: String,
    pub when: String,
    pub cardholder: String,
    pub status: String,
    pub booked: bool,
    pub changeable: bool,
}

#[derive(Template)]
#[template(path = "appointments/book.html")]
struct BookPage<'a> {
    base: Base<'a>,
    /// Where this page lives; forms post here.
    path: String,
    for_name: Option<String>,
    not_eligible: Option<String>,
    notice: Option<String>,
    error: Option<String>,
    centres: Vec<CentreOption>,
    centre_info: String,
    centre_id: String,
    date: String,
    slots: Vec<SlotRow>,
    reschedule: Option<String>,
    mine: Vec<Row>,
}

#[derive(Template)]
#[template(path = "appointments/day.html")]
struct DayPage<'a> {
    base: Base<'a>,
    centres: Vec<CentreOption>,
    centre_info: String,
    date: String,
    rows: Vec<Row>,
    error: Option<String>,
}

/// Form posts: book (or move) a slot, cancel.
#[derive(Debug, Deserialize)]
pub struct BookForm {
    #[serde(default)]
    csrf: String,
    centre: String,
    start: String,
    #[serde(default)]
    reschedule: String,
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// What the page was asked for in its query string.
struct Wanted {
    centre: &'static ServiceCentre,
    date: Date,
    reschedule: Option<String>,
    done: Option<String>,
}

fn wanted(state: &AppState, query: Option<&str>) -> Wanted {
    let param = |name| {
        query
            .and_then(|q| query_param(q, name))
            .filter(|v| !v.is_empty())
    };
    let centre = param("centre")
        .and_then(|id| api::centre(&id).ok())
        .or(CATALOGUE.centres.first())
        .expect("the catalogue has centres");
    let tomorrow = centre
        .zone
        .to_datetime(state.clock.now())
        .date()
        .tomorrow()
        .unwrap_or(Date::MIN);
    let date = param("date")
        .and_then(|d| d.parse::<Date>().ok())
        .unwrap_or(tomorrow);
    Wanted {
        centre,
        date,
        reschedule: param("reschedule"),
        done: param("done"),
    }
}

fn centre_options(base: &Base<'_>, chosen: &ServiceCentre) -> (Vec<CentreOption>, String) {
    let options = CATALOGUE
        .centres
        .iter()
        .map(|c| CentreOption {
            id: c.id.to_string(),
            label: c.name.clone(),
            selected: c.id == chosen.id,
        })
        .collect();
    let info = base.tr.t1(
        "appointments-centre-info",
        "address",
        format!(
            "{} · {}",
            chosen.address,
            chosen.zone.iana_name().unwrap_or("UTC")
        ),
    );
    (options, info)
}

/// The page's text for an API error: known booking problems in the page's language.
fn message_for(base: &Base<'_>, err: &ApiError) -> String {
    let id = match err.code {
        "appointment.not_eligible" => "appointments-not-eligible",
        "appointment.slot_full" => "appointments-slot-full",
        "appointment.past_cutoff" => "appointments-past-cutoff",
        "appointment.too_soon" => "appointments-too-soon",
        "appointment.too_far_ahead" => "appointments-too-far",
        "appointment.no_such_slot" => "appointments-no-such-slot",
        "appointment.already_cancelled" => "appointments-already-cancelled",
        "appointment.already_booked" => "appointments-already-booked",
        "appointment.bad_range" => "appointments-bad-date",
        _ => return err.detail.clone(),
    };
    base.tr.t(id)
}

fn row(base: &Base<'_>, s: &StoredAppointment, who: &Principal, now: jiff::Timestamp) -> Row {
    let view = AppointmentView::from(s);
    let when = api::centre(&view.centre).map_or_else(
        |_| view.local_start.clone(),
        |c| {
            c.zone
                .to_datetime(view.start)
                .strftime("%Y-%m-%d %H:%M")
                .to_string()
        },
    );
    let booked = s.appointment.status == AppointmentStatus::Booked;
    Row {
        id: s.id.to_string(),
        centre: view.centre_name,
        when: format!("{when} ({})", view.time_zone),
        cardholder: s.appointment.cardholder.to_string(),
        status: base.tr.t(if booked {
            "appointments-status-booked"
        } else {
            "appointments-status-cancelled"
        }),
        booked,
        changeable: booked
            && CATALOGUE
                .rules
                .check_change(&s.appointment, now, booker_of(who))
                .is_ok(),
    }
}

/// The booking page for `cardholder` at `path`, with an error if the last action failed.
#[allow(clippy::too_many_arguments)]
async fn book_page(
    state: &AppState,
    who: &Principal,
    lang: Lang,
    cardholder: &Cardholder,
    path: String,
    query: Option<&str>,
    failed: Option<ApiError>,
) -> Response {
    let want = wanted(state, query);
    let mut base = Base::new(state, lang, "appointments-title", Some(who));
    let for_name = who.cardholder().is_none().then(|| cardholder.full_name());
    if let Some(name) = &for_name {
        base.title = format!("{} · {name}", base.title);
    }
    let (centres, centre_info) = centre_options(&base, want.centre);
    let not_eligible = CATALOGUE
        .rules
        .check_eligible(cardholder.tier)
        .err()
        .map(|_| base.tr.t("appointments-not-eligible"));
    let mut error = failed.as_ref().map(|e| message_for(&base, e));
    let slots = if not_eligible.is_some() {
        Vec::new()
    } else {
        match free_slots(state, want.centre, want.date, want.date, booker_of(who)).await {
            Ok(slots) => slots
                .into_iter()
                .map(|s| SlotRow {
                    start: s.start.to_string(),
                    time: s.local_start.get(11..16).unwrap_or_default().to_owned(),
                    seats_left: s.seats_left,
                })
                .collect(),
            Err(err) => {
                error.get_or_insert_with(|| message_for(&base, &err));
                Vec::new()
            }
        }
    };
    let now = state.clock.now();
    let mine = match state
        .store
        .appointments_for_cardholder(cardholder.id, Page::default())
        .await
    {
        Ok(found) => found.iter().map(|s| row(&base, s, who, now)).collect(),
        Err(err) => return ApiError::from(err).into_response(),
    };
    let notice = want.done.as_deref().and_then(|done| match done {
        "booked" => Some(base.tr.t("appointments-done-booked")),
        "moved" => Some(base.tr.t("appointments-done-moved")),
        "cancelled" => Some(base.tr.t("appointments-done-cancelled")),
        _ => None,
    });
    let page = BookPage {
        path,
        for_name,
        not_eligible,
        notice,
        error,
        centres,
        centre_info,
        centre_id: want.centre.id.to_string(),
        date: want.date.to_string(),
        slots,
        reschedule: want.reschedule,
        mine,
        base,
    };
    let status = failed.map_or(StatusCode::OK, |e| e.status);
    (status, render(&page)).into_response()
}

/// Books or moves, as the form says; the redirect target on success.
async fn submit_booking(
    state: &AppState,
    who: &Principal,
    ctx: &Ctx,
    cardholder: &Cardholder,
    form: &BookForm,
) -> Result<&'static str, ApiError> {
    check_form_csrf(who, &form.csrf)?;
    let centre = api::centre(&form.centre)?;
    let start = form.start.parse().map_err(|_| {
        ApiError::unprocessable(
            "appointment.no_such_slot",
            "Pick a time from the list of free times.",
        )
    })?;
    let replacing = match form.reschedule.trim() {
        "" => None,
        id => {
            let id = id.parse().map_err(|_| {
                ApiError::not_found("appointment.not_found", "That appointment does not exist.")
            })?;
            let old = load(state, who, id).await?;
            if old.appointment.cardholder != cardholder.id {
                return Err(ApiError::not_found(
                    "appointment.not_found",
                    "That appointment does not exist.",
                ));
            }
            Some(old)
        }
    };
    api::book(
        state,
        who,
        ctx,
        cardholder,
        centre,
        start,
        None,
        replacing.as_ref(),
    )
    .await?;
    Ok(if replacing.is_some() {
        "moved"
    } else {
        "booked"
    })
}

async fn submit_cancel(
    state: &AppState,
    who: &Principal,
    ctx: &Ctx,
    cardholder: &Cardholder,
    id: &str,
    csrf: &str,
) -> Result<(), ApiError> {
    check_form_csrf(who, csrf)?;
    let missing =
        || ApiError::not_found("appointment.not_found", "That appointment does not exist.");
    let id = id.parse().map_err(|_| missing())?;
    let old = load(state, who, id).await?;
    if old.appointment.cardholder != cardholder.id {
        return Err(missing());
    }
    api::cancel(state, who, ctx, &old).await?;
    Ok(())
}

fn own(who: &Principal) -> Option<Cardholder> {
    who.cardholder().cloned()
}

pub async fn portal_page(
    State(state): State<AppState>,
    PageAuth(who, ..): PageAuth<Cardholders>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let lang = page_lang(&state, &headers, q.as_deref(), Some(&who));
    let Some(c) = own(&who) else {
        return StatusCode::FORBIDDEN.into_response();
    };
    book_page(
        &state,
        &who,
        lang,
        &c,
        "/portal/appointments".to_owned(),
        q.as_deref(),
        None,
    )
    .await
}

pub async fn portal_book(
    State(state): State<AppState>,
    PageAuth(who, ..): PageAuth<Cardholders>,
    ctx: Ctx,
    headers: HeaderMap,
    Form(form): Form<BookForm>,
) -> Response {
    let lang = page_lang(&state, &headers, None, Some(&who));
    let Some(c) = own(&who) else {
        return StatusCode::FORBIDDEN.into_response();
    };
    let path = "/portal/appointments".to_owned();
    match submit_booking(&state, &who, &ctx, &c, &form).await {
        Ok(done) => Redirect::to(&format!("{path}?done={done}")).into_response(),
        Err(err) => {
            let query = back_query(&form);
            book_page(&state, &who, lang, &c, path, Some(&query), Some(err)).await
        }
    }
}

pub async fn portal_cancel(
    State(state): State<AppState>,
    PageAuth(who, ..): PageAuth<Cardholders>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let lang = page_lang(&state, &headers, None, Some(&who));
    let Some(c) = own(&who) else {
        return StatusCode::FORBIDDEN.into_response();
    };
    let path = "/portal/appointments".to_owned();
    match submit_cancel(&state, &who, &ctx, &c, &id, &form.csrf).await {
        Ok(()) => Redirect::to(&format!("{path}?done=cancelled")).into_response(),
        Err(err) => book_page(&state, &who, lang, &c, path, None, Some(err)).await,
    }
}

/// The query that shows the same centre and day again after a failed booking.
fn back_query(form: &BookForm) -> String {
    let date = form.start.get(..10).unwrap_or_default();
    let mut q = format!(
        "centre={}&date={}",
        crate::auth::urlencode(&form.centre),
        crate::auth::urlencode(date)
    );
    if !form.reschedule.is_empty() {
        q.push_str(&format!(
            "&reschedule={}",
            crate::auth::urlencode(&form.reschedule)
        ));
    }
    q
}

/// The cardholder a console page is about (audited), or the page to answer instead.
async fn customer(
    state: &AppState,
    who: &Principal,
    ctx: &Ctx,
    lang: Lang,
    id: &str,
) -> Result<Cardholder, Response> {
    let missing = || {
        let message = state.i18n.message(lang, "error-not-found", None);
        error_page(state, lang, StatusCode::NOT_FOUND, Some(who), message)
    };
    let id: CardholderId = id.parse().map_err(|_| missing())?;
    match view_cardholder(state, who, ctx, id).await {
        Ok(c) => Ok(c),
        Err(err) if err.status == StatusCode::NOT_FOUND => Err(missing()),
        Err(err) => Err(err.into_response()),
    }
}

pub async fn console_page(
    State(state): State<AppState>,
    PageAuth(who, ..): PageAuth<Agents>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let lang = page_lang(&state, &headers, q.as_deref(), Some(&who));
    match customer(&state, &who, &ctx, lang, &id).await {
        Ok(c) => {
            let path = format!("/console/cardholders/{}/appointments", c.id);
            book_page(&state, &who, lang, &c, path, q.as_deref(), None).await
        }
        Err(page) => page,
    }
}

pub async fn console_book(
    State(state): State<AppState>,
    PageAuth(who, ..): PageAuth<Agents>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<BookForm>,
) -> Response {
    let lang = page_lang(&state, &headers, None, Some(&who));
    let c = match customer(&state, &who, &ctx, lang, &id).await {
        Ok(c) => c,
        Err(page) => return page,
    };
    let path = format!("/console/cardholders/{}/appointments", c.id);
    match submit_booking(&state, &who, &ctx, &c, &form).await {
        Ok(done) => Redirect::to(&format!("{path}?done={done}")).into_response(),
        Err(err) => {
            let query = back_query(&form);
            book_page(&state, &who, lang, &c, path, Some(&query), Some(err)).await
        }
    }
}

pub async fn console_cancel(
    State(state): State<AppState>,
    PageAuth(who, ..): PageAuth<Agents>,
    ctx: Ctx,
    headers: HeaderMap,
    Path((id, appointment)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let lang = page_lang(&state, &headers, None, Some(&who));
    let c = match customer(&state, &who, &ctx, lang, &id).await {
        Ok(c) => c,
        Err(page) => return page,
    };
    let path = format!("/console/cardholders/{}/appointments", c.id);
    match submit_cancel(&state, &who, &ctx, &c, &appointment, &form.csrf).await {
        Ok(()) => Redirect::to(&format!("{path}?done=cancelled")).into_response(),
        Err(err) => book_page(&state, &who, lang, &c, path, None, Some(err)).await,
    }
}

/// A centre's day: who is coming when (staff).
pub async fn day_page(
    State(state): State<AppState>,
    PageAuth(who, ..): PageAuth<Agents>,
    ctx: Ctx,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let lang = page_lang(&state, &headers, q.as_deref(), Some(&who));
    let want = wanted(&state, q.as_deref());
    let base = Base::new(&state, lang, "appointments-day-title", Some(&who));
    let (centres, centre_info) = centre_options(&base, want.centre);
    let now = state.clock.now();
    let (rows, error) = match centre_day(&state, &who, &ctx, want.centre, want.date).await {
        Ok(found) => (
            found.iter().map(|s| row(&base, s, &who, now)).collect(),
            None,
        ),
        Err(err) => (Vec::new(), Some(message_for(&base, &err))),
    };
    render(&DayPage {
        base,
        centres,
        centre_info,
        date: want.date.to_string(),
        rows,
        error,
    })
}
