//! Cases at the edge (product §3): load → decide in `cases` → store snapshot, timeline, outbox
//! and audit in one transaction. A change decided on a stale version is decided again.

use cases::{Actor, Case, CaseCommand, CaseError, CaseEvent, CaseRef, Context, NewCase};
use domain::CaseId;
use store::cases::CaseChange;
use store::{AuditRecord, Effects, NewEvent, StoreError};

use crate::error::ApiError;
use crate::secrets::random_bytes;
use crate::state::AppState;

/// The outbox events for a case's timeline events: `case.<name>` about `case:<id>`, with what a
/// notification needs (reference, cardholder, the event).
pub fn outbox_events(case: &Case, events: &[CaseEvent]) -> Vec<NewEvent> {
    events
        .iter()
        .map(|event| {
            NewEvent::new(
                format!("case.{}", event.kind.name()),
                format!("case:{}", case.id),
                serde_json::json!({
                    "reference": case.reference,
                    "cardholder_id": case.cardholder,
                    "assignee": case.assignee,
                    "notify_cardholder": event.kind.notifies_cardholder(),
                    "notify_staff": event.kind.notifies_staff(),
                    "event": event,
                }),
            )
        })
        .collect()
}

pub fn case_problem(err: CaseError) -> ApiError {
    ApiError::unprocessable("case.refused", err.to_string())
}

fn random_u64() -> u64 {
    u64::from_le_bytes(random_bytes::<8>())
}

/// Opens a case (a new reference is drawn if the first is taken).
pub async fn open(
    state: &AppState,
    mut new: NewCase,
    actor: Actor,
    audit: Vec<AuditRecord>,
) -> Result<Case, ApiError> {
    let mut attempts = 0;
    loop {
        new.reference = CaseRef::generate(random_u64());
        let now = state.clock.now();
        let (case, opened) = Case::open(new.clone(), actor, now).map_err(case_problem)?;
        let events = [opened];
        let change = CaseChange {
            case: &case,
            expected_version: 0,
            events: &events,
            next_timer: case.next_timer(&state.settings.cases, now),
        };
        let effects = Effects {
            events: outbox_events(&case, &events),
            audit: audit.clone(),
        };
        match state.store.save_cases(&[change], effects).await {
            Ok(()) => return Ok(case),
            Err(StoreError::Conflict { .. }) if attempts < 5 => attempts += 1,
            Err(err) => return Err(err.into()),
        }
    }
}

pub async fn load(state: &AppState, id: CaseId) -> Result<Case, ApiError> {
    state.store.case_by_id(id).await?.ok_or_else(|| {
        ApiError::not_found(
            "case.not_found",
            format!("There is no case {id}; list cases at /api/v1/cases."),
        )
    })
}

/// Runs `command` on case `id` as `actor`; returns the case and the events it recorded (none
/// for an idempotent repeat).
pub async fn change(
    state: &AppState,
    id: CaseId,
    command: CaseCommand,
    actor: Actor,
    audit: Vec<AuditRecord>,
) -> Result<(Case, Vec<CaseEvent>), ApiError> {
    let mut attempts = 0;
    loop {
        let mut case = load(state, id).await?;
        let expected = case.version;
        let now = state.clock.now();
        let context = Context {
            now,
            actor,
            rules: &state.settings.cases,
        };
        let events = case
            .execute(command.clone(), context)
            .map_err(case_problem)?;
        if events.is_empty() {
            return Ok((case, events));
        }
        let change = CaseChange {
            case: &case,
            expected_version: expected,
            events: &events,
            next_timer: case.next_timer(&state.settings.cases, now),
        };
        let effects = Effects {
            events: outbox_events(&case, &events),
            audit: audit.clone(),
        };
        match state.store.save_cases(&[change], effects).await {
            Ok(()) => return Ok((case, events)),
            Err(StoreError::Conflict { .. }) if attempts < 5 => attempts += 1,
            Err(err) => return Err(err.into()),
        }
    }
}

/// Merges `duplicate` into `survivor`, both saved in one transaction.
pub async fn merge(
    state: &AppState,
    duplicate: CaseId,
    survivor: CaseId,
    actor: Actor,
    audit: Vec<AuditRecord>,
) -> Result<(Case, Case), ApiError> {
    let mut attempts = 0;
    loop {
        let mut dup = load(state, duplicate).await?;
        let mut surv = load(state, survivor).await?;
        let (dup_version, surv_version) = (dup.version, surv.version);
        let now = state.clock.now();
        let context = Context {
            now,
            actor,
            rules: &state.settings.cases,
        };
        let merged = cases::case::merge(&mut dup, &mut surv, context).map_err(case_problem)?;
        let changes = [
            CaseChange {
                case: &dup,
                expected_version: dup_version,
                events: &merged.duplicate,
                next_timer: dup.next_timer(&state.settings.cases, now),
            },
            CaseChange {
                case: &surv,
                expected_version: surv_version,
                events: &merged.survivor,
                next_timer: surv.next_timer(&state.settings.cases, now),
            },
        ];
        let mut events = outbox_events(&dup, &merged.duplicate);
        events.extend(outbox_events(&surv, &merged.survivor));
        let effects = Effects {
            events,
            audit: audit.clone(),
        };
        match state.store.save_cases(&changes, effects).await {
            Ok(()) => return Ok((dup, surv)),
            Err(StoreError::Conflict { .. }) if attempts < 5 => attempts += 1,
            Err(err) => return Err(err.into()),
        }
    }
}

/// Runs the cases' due timers (SLA breaches, follow-up reminders, auto-close) as the system.
pub async fn run_due_timers(state: &AppState) -> Result<usize, ApiError> {
    let now = state.clock.now();
    let due = state.store.cases_due(now, 100).await?;
    let mut fired = 0;
    for case in due {
        for command in case.due_timers(&state.settings.cases, now) {
            match change(state, case.id, command, Actor::System, Vec::new()).await {
                Ok((_, events)) => fired += events.len(),
                Err(err) => {
                    tracing::warn!(case = %case.id, error = %err.problem().detail, "case timer failed")
                }
            }
        }
    }
    Ok(fired)
}

/// Fires due case timers every few seconds until `stop`.
pub async fn run_timers(state: AppState, stop: tokio_util::sync::CancellationToken) {
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(std::time::Duration::from_secs(5)) => {}
        }
        if let Err(err) = run_due_timers(&state).await {
            tracing::warn!(error = %err.problem().detail, "case timers failed");
        }
    }
}
