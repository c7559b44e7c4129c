//! Appointments at service centres (product §3): eligible cardholders (Platinum, Centurion) book,
//! move and cancel in the portal; agents do it for them from the customer view. The rules are
//! `cases::appointments`; the store keeps each booked seat unique, so concurrent requests for the
//! last seat cannot both win: a losing insert retries with fresh taken seats, then gets 409.
//! Confirmations and reminders (due before the start) go through the outbox; moving or
//! cancelling retires the old reminders in the same transaction.

use std::sync::LazyLock;

use axum::extract::State;
use axum::http::StatusCode;
use cases::appointments::{
    AppointmentError, AppointmentEvent, AppointmentRules, AppointmentStatus, Booker, ServiceCentre,
    Slot, WeeklyHours, demo_centres,
};
use domain::{CardholderId, CaseId, Role, Timestamp};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use store::{
    Cancellation, Cardholder, Effects, NewEvent, Page, REMINDER_TOPIC, StoreError,
    StoredAppointment, appointment_subject,
};
use utoipa::{IntoParams, ToSchema};

use super::cardholders::view_cardholder;
use super::extract::{ApiJson, ApiPath, ApiQuery};
use crate::auth::{Actor, Anyone, Auth, Ctx, Policy, Principal};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Who may book: signed-in cardholders (for themselves) and front-line staff (for a cardholder).
#[derive(Debug)]
pub struct Booking;

impl Policy for Booking {
    const ROLES: &'static [Role] = &[Role::Agent, Role::Supervisor, Role::Admin];
    const CARDHOLDERS: bool = true;
    const WHO: &'static str = "signed-in cardholders, agents, supervisors and admins";
}

/// The service centres and the booking rules (the demo issuer's).
pub struct Catalogue {
    pub centres: Vec<ServiceCentre>,
    pub rules: AppointmentRules,
}

pub static CATALOGUE: LazyLock<Catalogue> = LazyLock::new(|| Catalogue {
    centres: demo_centres(),
    rules: AppointmentRules::default(),
});

/// The centre with this id, or 404 naming the known ones.
pub fn centre(id: &str) -> ApiResult<&'static ServiceCentre> {
    CATALOGUE
        .centres
        .iter()
        .find(|c| c.id.as_str() == id)
        .ok_or_else(|| {
            let known: Vec<&str> = CATALOGUE.centres.iter().map(|c| c.id.as_str()).collect();
            ApiError::not_found(
                "appointment.unknown_centre",
                format!(
                    "There is no service centre {id:?}; use one of: {}.",
                    known.join(", ")
                ),
            )
        })
}

/// The API error for a broken booking rule.
pub fn rule_error(err: AppointmentError) -> ApiError {
    use AppointmentError as E;
    let detail = format!("{}.", capitalised(&err.to_string()));
    match err {
        E::BadCentreId(_) => ApiError::not_found("appointment.unknown_centre", detail),
        E::NotEligible { .. } => {
            ApiError::new(StatusCode::FORBIDDEN, "appointment.not_eligible", detail)
        }
        E::BadRange { .. } => ApiError::unprocessable("appointment.bad_range", detail),
        E::NoSuchSlot { .. } => ApiError::unprocessable("appointment.no_such_slot", detail),
        E::TooSoon { .. } => ApiError::unprocessable("appointment.too_soon", detail),
        E::TooFarAhead { .. } => ApiError::unprocessable("appointment.too_far_ahead", detail),
        E::SlotFull { .. } => ApiError::conflict("appointment.slot_full", detail),
        E::PastCutoff { .. } => ApiError::conflict("appointment.past_cutoff", detail),
        E::AlreadyCancelled => ApiError::conflict("appointment.already_cancelled", detail),
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A service centre, its opening hours in its own time zone and its holidays.
#[derive(Debug, Serialize, ToSchema)]
pub struct CentreView {
    #[schema(example = "nyc")]
    pub id: String,
    pub name: String,
    pub address: String,
    /// IANA time zone of the opening hours.
    #[schema(example = "America/New_York")]
    pub time_zone: String,
    /// Local opening periods per weekday (`{"monday": [{"opens": "09:00:00", "closes": "12:30:00"}]}`).
    #[schema(value_type = Object)]
    pub hours: WeeklyHours,
    /// Closed on these local dates.
    #[schema(value_type = Vec<String>)]
    pub holidays: Vec<Date>,
    pub slot_minutes: u16,
    /// Appointments that can share one slot.
    pub seats: u8,
}

impl From<&ServiceCentre> for CentreView {
    fn from(c: &ServiceCentre) -> Self {
        CentreView {
            id: c.id.to_string(),
            name: c.name.clone(),
            address: c.address.clone(),
            time_zone: zone_name(c),
            hours: c.hours.clone(),
            holidays: c.holidays.iter().copied().collect(),
            slot_minutes: c.slot_minutes,
            seats: c.seats,
        }
    }
}

fn zone_name(c: &ServiceCentre) -> String {
    c.zone.iana_name().unwrap_or("UTC").to_owned()
}

/// A slot with at least one seat free.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SlotView {
    #[schema(value_type = String)]
    pub start: Timestamp,
    #[schema(value_type = String)]
    pub end: Timestamp,
    /// The start on the centre's clocks.
    #[schema(example = "2026-03-02T09:00:00")]
    pub local_start: String,
    pub seats_left: u8,
}

/// An appointment.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AppointmentView {
    #[schema(value_type = String, format = Uuid)]
    pub id: uuid::Uuid,
    pub centre: String,
    pub centre_name: String,
    #[schema(value_type = String, format = Uuid)]
    pub cardholder_id: CardholderId,
    #[schema(value_type = Option<String>, format = Uuid)]
    pub case_id: Option<CaseId>,
    #[schema(value_type = String)]
    pub start: Timestamp,
    #[schema(value_type = String)]
    pub end: Timestamp,
    /// The start on the centre's clocks.
    pub local_start: String,
    pub time_zone: String,
    /// booked or cancelled.
    #[schema(value_type = String)]
    pub status: AppointmentStatus,
    #[schema(value_type = String)]
    pub booked_at: Timestamp,
    /// cardholder or agent.
    #[schema(value_type = String)]
    pub booked_by: Booker,
    #[schema(value_type = Option<String>)]
    pub cancelled_at: Option<Timestamp>,
    /// The appointment this one replaced.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub replaces: Option<uuid::Uuid>,
}

impl From<&StoredAppointment> for AppointmentView {
    fn from(s: &StoredAppointment) -> Self {
        let a = &s.appointment;
        let found = centre(a.centre.as_str()).ok();
        AppointmentView {
            id: s.id,
            centre: a.centre.to_string(),
            centre_name: found.map_or_else(|| a.centre.to_string(), |c| c.name.clone()),
            cardholder_id: a.cardholder,
            case_id: a.case,
            start: a.start,
            end: a.end,
            local_start: found.map_or_else(
                || a.start.to_string(),
                |c| c.zone.to_datetime(a.start).to_string(),
            ),
            time_zone: found.map(zone_name).unwrap_or_default(),
            status: a.status,
            booked_at: a.booked_at,
            booked_by: s.booked_by,
            cancelled_at: s.cancelled_at,
            replaces: s.replaces,
        }
    }
}

/// How this caller books: cardholders keep the notice and cut-off rules, staff may book at short
/// notice and cancel late.
pub fn booker_of(who: &Principal) -> Booker {
    match who.actor {
        Actor::Cardholder(_) => Booker::Cardholder,
        _ => Booker::Agent,
    }
}

/// The free slots of a centre from `from` to `to` (local dates) for this booker.
pub async fn free_slots(
    state: &AppState,
    centre: &ServiceCentre,
    from: Date,
    to: Date,
    booker: Booker,
) -> ApiResult<Vec<SlotView>> {
    let slots: Vec<Slot> = CATALOGUE
        .rules
        .bookable_slots(centre, from, to, state.clock.now(), booker)
        .map_err(rule_error)?;
    let (Some(first), Some(last)) = (slots.first(), slots.last()) else {
        return Ok(Vec::new());
    };
    let counts = state
        .store
        .booked_counts(&centre.id, first.start, last.end)
        .await?;
    Ok(slots
        .iter()
        .filter_map(|s| {
            let booked = counts
                .iter()
                .find(|(at, _)| *at == s.start)
                .map_or(0, |(_, n)| *n);
            let left = u32::from(centre.seats).saturating_sub(booked);
            (left > 0).then(|| SlotView {
                start: s.start,
                end: s.end,
                local_start: s.local_start.to_string(),
                seats_left: u8::try_from(left).unwrap_or(u8::MAX),
            })
        })
        .collect())
}

/// The cardholder an appointment request is about: a cardholder books for themselves; staff
/// name one (the view is audited).
pub async fn subject_cardholder(
    state: &AppState,
    who: &Principal,
    ctx: &Ctx,
    named: Option<CardholderId>,
) -> ApiResult<Cardholder> {
    match (&who.actor, named) {
        (Actor::Cardholder(c), None) => Ok((**c).clone()),
        (Actor::Cardholder(c), Some(id)) if id == c.id => Ok((**c).clone()),
        (Actor::Cardholder(_), Some(_)) => Err(ApiError::forbidden(
            "Cardholders book for themselves: leave out cardholder_id.",
        )),
        (_, Some(id)) => view_cardholder(state, who, ctx, id).await,
        (_, None) => Err(ApiError::unprocessable(
            "appointment.missing_cardholder",
            "Give cardholder_id: the cardholder the appointment is for.",
        )),
    }
}

/// A booked appointment the caller may see: a cardholder only their own (others are 404).
pub async fn load(
    state: &AppState,
    who: &Principal,
    id: uuid::Uuid,
) -> ApiResult<StoredAppointment> {
    let found = state.store.appointment_by_id(id).await?;
    match (found, who.cardholder()) {
        (Some(a), Some(c)) if a.appointment.cardholder != c.id => Err(not_found(id)),
        (Some(a), _) => Ok(a),
        (None, _) => Err(not_found(id)),
    }
}

fn not_found(id: uuid::Uuid) -> ApiError {
    ApiError::not_found(
        "appointment.not_found",
        format!("There is no appointment {id} of yours; list them at /api/v1/appointments."),
    )
}

fn event_payload(s: &StoredAppointment, event: &AppointmentEvent) -> serde_json::Value {
    let view = AppointmentView::from(s);
    serde_json::json!({
        "event": event,
        "appointment_id": s.id,
        "cardholder_id": s.appointment.cardholder,
        "centre": view.centre,
        "centre_name": view.centre_name,
        "local_start": view.local_start,
        "time_zone": view.time_zone,
    })
}

/// Attempts at a seat before answering "fully booked": one per seat, plus one.
fn attempts(centre: &ServiceCentre) -> usize {
    usize::from(centre.seats) + 1
}

/// Books (or, with `replacing`, moves to) the slot at `start`. Retries with fresh taken seats
/// when a concurrent request took the picked seat first.
#[allow(clippy::too_many_arguments)]
pub async fn book(
    state: &AppState,
    who: &Principal,
    ctx: &Ctx,
    cardholder: &Cardholder,
    centre: &ServiceCentre,
    start: Timestamp,
    case: Option<CaseId>,
    replacing: Option<&StoredAppointment>,
) -> ApiResult<StoredAppointment> {
    let rules = &CATALOGUE.rules;
    let booker = booker_of(who);
    if let Some(old) = replacing {
        rules
            .check_change(&old.appointment, state.clock.now(), booker)
            .map_err(rule_error)?;
    }
    // One person, one seat per time (a double-click must not book two seats).
    let theirs = state
        .store
        .appointments_for_cardholder(
            cardholder.id,
            Page {
                limit: 200,
                offset: 0,
            },
        )
        .await?;
    if theirs.iter().any(|a| {
        a.appointment.status == AppointmentStatus::Booked
            && a.appointment.start == start
            && replacing.is_none_or(|old| old.id != a.id)
    }) {
        return Err(ApiError::conflict(
            "appointment.already_booked",
            format!(
                "{} already has an appointment at {start}; see the list of appointments.",
                cardholder.full_name()
            ),
        ));
    }
    for _ in 0..attempts(centre) {
        let now = state.clock.now();
        let taken = state.store.taken_slot_keys(&centre.id, start).await?;
        let (slot, key) = rules
            .book(centre, cardholder.tier, start, &taken, now, booker)
            .map_err(rule_error)?;
        let new = StoredAppointment {
            id: uuid::Uuid::now_v7(),
            appointment: cases::appointments::Appointment {
                key: key.clone(),
                centre: centre.id.clone(),
                cardholder: cardholder.id,
                case: case.or(replacing.and_then(|o| o.appointment.case)),
                start: slot.start,
                end: slot.end,
                status: AppointmentStatus::Booked,
                booked_at: now,
            },
            booked_by: booker,
            booked_actor: who.audit_name(),
            cancelled_at: None,
            cancelled_by: None,
            replaces: replacing.map(|o| o.id),
        };
        let subject = appointment_subject(new.id);
        let (topic, action, event) = match replacing {
            None => (
                "appointment.booked",
                "appointment.book",
                AppointmentEvent::Booked {
                    key: key.clone(),
                    start: slot.start,
                },
            ),
            Some(old) => (
                "appointment.rescheduled",
                "appointment.reschedule",
                AppointmentEvent::Rescheduled {
                    from: old.appointment.key.clone(),
                    to: key.clone(),
                    start: slot.start,
                },
            ),
        };
        let mut effects = Effects::none()
            .event(NewEvent::new(topic, &subject, event_payload(&new, &event)))
            .audit(ctx.audit(
                who,
                now,
                action,
                format!("cardholder:{}", cardholder.id),
                serde_json::json!({
                    "appointment_id": new.id,
                    "centre": centre.id,
                    "start": slot.start,
                    "replaces": replacing.map(|o| o.id),
                }),
            ));
        for due in rules.reminder_times(&new.appointment) {
            let reminder = AppointmentEvent::ReminderDue {
                key: key.clone(),
                start: slot.start,
            };
            let mut payload = event_payload(&new, &reminder);
            payload["due_at"] = serde_json::json!(due);
            effects = effects.event(NewEvent::new(REMINDER_TOPIC, &subject, payload).due_at(due));
        }
        let written = match replacing {
            None => state.store.insert_appointment(&new, effects).await,
            Some(old) => {
                let cancellation = Cancellation {
                    at: now,
                    by: who.audit_name(),
                };
                state
                    .store
                    .reschedule_appointment(old.id, &cancellation, &new, effects)
                    .await
            }
        };
        match written {
            Ok(()) => return Ok(new),
            Err(StoreError::Conflict { .. }) => {
                // Someone took the seat (or the old appointment changed): look again.
                if let Some(old) = replacing {
                    let current = state.store.appointment_by_id(old.id).await?;
                    if current.is_none_or(|c| c.appointment.status != AppointmentStatus::Booked) {
                        return Err(rule_error(AppointmentError::AlreadyCancelled));
                    }
                }
            }
            Err(other) => return Err(other.into()),
        }
    }
    Err(ApiError::conflict(
        "appointment.slot_full",
        format!(
            "The slot at {start} was fully booked by others while you booked; pick another time."
        ),
    ))
}

/// Cancels an appointment: its reminders are retired with it.
pub async fn cancel(
    state: &AppState,
    who: &Principal,
    ctx: &Ctx,
    old: &StoredAppointment,
) -> ApiResult<StoredAppointment> {
    let now = state.clock.now();
    let booker = booker_of(who);
    CATALOGUE
        .rules
        .check_change(&old.appointment, now, booker)
        .map_err(rule_error)?;
    let event = AppointmentEvent::Cancelled {
        key: old.appointment.key.clone(),
        by: booker,
    };
    let effects = Effects::none()
        .event(NewEvent::new(
            "appointment.cancelled",
            appointment_subject(old.id),
            event_payload(old, &event),
        ))
        .audit(ctx.audit(
            who,
            now,
            "appointment.cancel",
            format!("cardholder:{}", old.appointment.cardholder),
            serde_json::json!({"appointment_id": old.id, "start": old.appointment.start}),
        ));
    let cancellation = Cancellation {
        at: now,
        by: who.audit_name(),
    };
    match state
        .store
        .cancel_appointment(old.id, &cancellation, effects)
        .await
    {
        Ok(done) => Ok(done),
        Err(StoreError::Conflict { .. }) => Err(rule_error(AppointmentError::AlreadyCancelled)),
        Err(other) => Err(other.into()),
    }
}

/// The local day `[start, end)` of `date` at a centre.
pub fn local_day(centre: &ServiceCentre, date: Date) -> ApiResult<(Timestamp, Timestamp)> {
    let bad = |e: jiff::Error| {
        ApiError::unprocessable(
            "appointment.bad_date",
            format!("The date {date} is not usable: {e}."),
        )
    };
    let start = centre
        .zone
        .to_timestamp(date.to_datetime(jiff::civil::Time::midnight()))
        .map_err(bad)?;
    let next = date.tomorrow().map_err(bad)?;
    let end = centre
        .zone
        .to_timestamp(next.to_datetime(jiff::civil::Time::midnight()))
        .map_err(bad)?;
    Ok((start, end))
}

/// Every service centre with its opening hours, time zone and holidays.
#[utoipa::path(get, path = "/api/v1/appointments/centres", tag = "appointments", responses(
    (status = 200, body = Vec<CentreView>),
    (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = []), ("session" = [])))]
pub async fn centres(Auth(..): Auth<Anyone>) -> axum::Json<Vec<CentreView>> {
    axum::Json(CATALOGUE.centres.iter().map(CentreView::from).collect())
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SlotParams {
    /// First local date, `YYYY-MM-DD`.
    #[param(value_type = String, example = "2026-12-01")]
    pub from: Date,
    /// Last local date (inclusive); default: `from`. At most 92 days.
    #[param(value_type = Option<String>)]
    pub to: Option<Date>,
}

/// The free slots of a centre (seats left), for the caller's booking rules.
#[utoipa::path(get, path = "/api/v1/appointments/centres/{centre}/slots", tag = "appointments",
    params(("centre" = String, Path, example = "nyc"), SlotParams), responses(
    (status = 200, body = Vec<SlotView>),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = []), ("session" = [])))]
pub async fn slots(
    State(state): State<AppState>,
    Auth(who, ..): Auth<Booking>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(params): ApiQuery<SlotParams>,
) -> ApiResult<axum::Json<Vec<SlotView>>> {
    let centre = centre(&id)?;
    let to = params.to.unwrap_or(params.from);
    Ok(axum::Json(
        free_slots(&state, centre, params.from, to, booker_of(&who)).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookRequest {
    #[schema(example = "nyc")]
    pub centre: String,
    /// The slot's start, as listed by the slots route.
    #[schema(value_type = String, example = "2026-12-01T14:00:00Z")]
    pub start: Timestamp,
    /// Staff: the cardholder to book for. Cardholders leave it out.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub cardholder_id: Option<CardholderId>,
    /// A case the appointment belongs to.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub case_id: Option<CaseId>,
}

/// Books a slot. Platinum and Centurion cardholders only; a full slot is 409.
#[utoipa::path(post, path = "/api/v1/appointments", tag = "appointments", request_body = BookRequest, responses(
    (status = 201, body = AppointmentView),
    (status = 403, description = "The cardholder's tier may not book", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "The slot is fully booked", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, description = "No such slot, too soon or too far ahead", body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = []), ("session" = [])))]
pub async fn create(
    State(state): State<AppState>,
    Auth(who, ..): Auth<Booking>,
    ctx: Ctx,
    ApiJson(request): ApiJson<BookRequest>,
) -> ApiResult<(StatusCode, axum::Json<AppointmentView>)> {
    let centre = centre(&request.centre)?;
    let cardholder = subject_cardholder(&state, &who, &ctx, request.cardholder_id).await?;
    let booked = book(
        &state,
        &who,
        &ctx,
        &cardholder,
        centre,
        request.start,
        request.case_id,
        None,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(AppointmentView::from(&booked)),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// Staff: this cardholder's appointments.
    #[param(value_type = Option<String>, format = Uuid)]
    pub cardholder_id: Option<CardholderId>,
    /// Staff: with `date`, a centre's day.
    pub centre: Option<String>,
    /// Local date `YYYY-MM-DD` at `centre`.
    #[param(value_type = Option<String>)]
    pub date: Option<Date>,
}

/// Appointments: a cardholder's own; staff give `cardholder_id`, or `centre` and `date`.
#[utoipa::path(get, path = "/api/v1/appointments", tag = "appointments", params(ListParams), responses(
    (status = 200, body = Vec<AppointmentView>),
    (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = []), ("session" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Auth(who, ..): Auth<Booking>,
    ctx: Ctx,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<axum::Json<Vec<AppointmentView>>> {
    let found = if let Some(c) = who.cardholder() {
        if params.cardholder_id.is_some_and(|id| id != c.id) || params.centre.is_some() {
            return Err(ApiError::forbidden(
                "Cardholders see their own appointments: leave out cardholder_id and centre.",
            ));
        }
        state
            .store
            .appointments_for_cardholder(c.id, Page::default())
            .await?
    } else {
        match (params.cardholder_id, params.centre.as_deref(), params.date) {
            (Some(id), None, None) => {
                let cardholder = subject_cardholder(&state, &who, &ctx, Some(id)).await?;
                state
                    .store
                    .appointments_for_cardholder(cardholder.id, Page::default())
                    .await?
            }
            (None, Some(centre_id), Some(date)) => {
                centre_day(&state, &who, &ctx, centre(centre_id)?, date).await?
            }
            _ => {
                return Err(ApiError::unprocessable(
                    "appointment.missing_filter",
                    "Give cardholder_id, or centre and date (YYYY-MM-DD), to list appointments.",
                ));
            }
        }
    };
    Ok(axum::Json(
        found.iter().map(AppointmentView::from).collect(),
    ))
}

/// A centre's appointments on a local day (audited: it names cardholders).
pub async fn centre_day(
    state: &AppState,
    who: &Principal,
    ctx: &Ctx,
    centre: &ServiceCentre,
    date: Date,
) -> ApiResult<Vec<StoredAppointment>> {
    let (from, to) = local_day(centre, date)?;
    let found = state
        .store
        .appointments_for_centre(&centre.id, from, to)
        .await?;
    ctx.record(
        state,
        who,
        "appointment.centre_day",
        format!("centre:{}", centre.id),
        serde_json::json!({"date": date, "results": found.len()}),
    )
    .await?;
    Ok(found)
}

/// One appointment.
#[utoipa::path(get, path = "/api/v1/appointments/{id}", tag = "appointments", params(("id" = String, Path, format = Uuid)), responses(
    (status = 200, body = AppointmentView),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = []), ("session" = [])))]
pub async fn get(
    State(state): State<AppState>,
    Auth(who, ..): Auth<Booking>,
    ApiPath(id): ApiPath<uuid::Uuid>,
) -> ApiResult<axum::Json<AppointmentView>> {
    Ok(axum::Json(AppointmentView::from(
        &load(&state, &who, id).await?,
    )))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RescheduleRequest {
    /// The new slot's start.
    #[schema(value_type = String)]
    pub start: Timestamp,
    /// Another centre; default: the same.
    pub centre: Option<String>,
}

/// Moves an appointment to another slot: the old one is cancelled and the new one booked in one
/// step (either both or neither); the old reminders are retired.
#[utoipa::path(post, path = "/api/v1/appointments/{id}/reschedule", tag = "appointments",
    params(("id" = String, Path, format = Uuid)), request_body = RescheduleRequest, responses(
    (status = 201, body = AppointmentView),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "Full, cancelled, or too late to change", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = []), ("session" = [])))]
pub async fn reschedule(
    State(state): State<AppState>,
    Auth(who, ..): Auth<Booking>,
    ctx: Ctx,
    ApiPath(id): ApiPath<uuid::Uuid>,
    ApiJson(request): ApiJson<RescheduleRequest>,
) -> ApiResult<(StatusCode, axum::Json<AppointmentView>)> {
    let old = load(&state, &who, id).await?;
    let centre = centre(
        request
            .centre
            .as_deref()
            .unwrap_or(old.appointment.centre.as_str()),
    )?;
    let cardholder = subject_cardholder(
        &state,
        &who,
        &ctx,
        who.cardholder()
            .is_none()
            .then_some(old.appointment.cardholder),
    )
    .await?;
    let moved = book(
        &state,
        &who,
        &ctx,
        &cardholder,
        centre,
        request.start,
        None,
        Some(&old),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(AppointmentView::from(&moved)),
    ))
}

/// Cancels an appointment (cardholders up to 2 hours before it).
#[utoipa::path(post, path = "/api/v1/appointments/{id}/cancel", tag = "appointments", params(("id" = String, Path, format = Uuid)), responses(
    (status = 200, body = AppointmentView),
    (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "Already cancelled or too late", body = crate::error::Problem, content_type = "application/problem+json"),
), security(("bearer" = []), ("session" = [])))]
pub async fn cancel_one(
    State(state): State<AppState>,
    Auth(who, ..): Auth<Booking>,
    ctx: Ctx,
    ApiPath(id): ApiPath<uuid::Uuid>,
) -> ApiResult<axum::Json<AppointmentView>> {
    let old = load(&state, &who, id).await?;
    let done = cancel(&state, &who, &ctx, &old).await?;
    Ok(axum::Json(AppointmentView::from(&done)))
}
