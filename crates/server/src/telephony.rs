//! Telephony (product §5): the TwiML-compatible webhooks that run phone calls through the IVR.
//!
//! Per webhook: check the `X-Twilio-Signature` → load the call's session from the store (so a
//! call survives a restart mid-call) → the `ivr` interpreter decides → carry out the effects it
//! asks for (cards, classifier, callbacks) → store the new state (versioned) → answer TwiML.
//! A hand-off enters the switchboard with everything the call learned. The staff simulator
//! (`ui/simulator.rs`) drives the very same [`step`], with a demo cardholder answering the effects.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use domain::{Channel, ContactId, Department, Lang, Reason, Tier, Timestamp};
use ivr::twiml::{RequestSigner, TwimlOptions, Webhook};
use ivr::{
    CallContext, CallState, Cause, Effect, EffectResult, Event, Flow, Handoff, NewCall, Outcome,
    Output, Reply, Segment, Shipping, Then, VerificationLevel,
};
use routing::{ContactKind, ContactPhase};
use serde::{Deserialize, Serialize};
use store::{AuditRecord, Effects, IvrCall, NewEvent, StoreError};

use crate::config::Settings;
use crate::error::ApiError;
use crate::i18n::Tr;
use crate::request_id::current_request_id;
use crate::secrets::Secrets;
use crate::state::AppState;
use crate::switchboard::ContactEntry;

pub const VOICE_PATH: &str = "/telephony/twiml/voice";
pub const ACTION_PATH: &str = "/telephony/twiml/action";
pub const STATUS_PATH: &str = "/telephony/twiml/status";
const SIGNATURE_HEADER: &str = "x-twilio-signature";
const TWIML: &str = "text/xml; charset=utf-8";

/// The flows calls can run and the webhook signer.
pub struct Telephony {
    flows: Vec<Arc<Flow>>,
    signer: RequestSigner,
}

impl std::fmt::Debug for Telephony {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Telephony")
            .field("flows", &self.flows.len())
            .finish_non_exhaustive()
    }
}

impl Telephony {
    /// The demo issuer's flow; the auth token from `[telephony] twiml_auth_token`, else the
    /// generated one in the secrets file.
    pub fn new(settings: &Settings, secrets: &Secrets) -> anyhow::Result<Self> {
        let flow = ivr::demo::flow().map_err(|problems| {
            anyhow::anyhow!(
                "the demo IVR flow does not load: {}",
                problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        })?;
        let token = if settings.telephony.twiml_auth_token.is_empty() {
            &secrets.twiml_auth_token
        } else {
            &settings.telephony.twiml_auth_token
        };
        Ok(Self {
            flows: vec![Arc::new(flow)],
            signer: RequestSigner::new(token)?,
        })
    }

    /// The flow new calls run (the first).
    pub fn default_flow(&self) -> &Arc<Flow> {
        &self.flows[0]
    }

    pub fn flows(&self) -> &[Arc<Flow>] {
        &self.flows
    }

    pub fn flow(&self, id: &str) -> Option<&Arc<Flow>> {
        self.flows.iter().find(|f| f.id() == id)
    }

    pub fn signer(&self) -> &RequestSigner {
        &self.signer
    }
}

/// What is stored per call (the `ivr_calls.state` column, JSON).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub call: CallState,
    /// The last TwiML answered, replayed when the provider retries the voice webhook.
    pub twiml: String,
    /// The routing contact the call became, once handed off.
    pub contact: Option<ContactId>,
    /// Set for simulator calls: who answers the effects and what was said.
    pub simulated: Option<Simulated>,
}

/// A simulator call: a demo cardholder answers the effects, nothing real changes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Simulated {
    /// The demo caller's card tier; `None`: a caller the issuer does not know.
    pub tier: Option<Tier>,
    pub failures: u8,
    pub transcript: Vec<Line>,
    /// Where the call went, once it left the IVR.
    pub destination: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Line {
    /// `ivr`, `caller` or `system`.
    pub who: String,
    pub text: String,
}

/// What the caller did.
#[derive(Debug)]
pub enum Input {
    Start { call: NewCall, flow: Option<String> },
    Event(Event),
}

/// The answer to one step.
#[derive(Debug)]
pub struct Stepped {
    pub session: Session,
    /// `None` when the call had already left the IVR (the answer is a hang-up).
    pub reply: Option<Reply>,
}

impl Stepped {
    pub fn twiml(&self) -> &str {
        &self.session.twiml
    }
}

/// A call not yet started, or a call's stored state and version.
struct Loaded {
    session: Option<Session>,
    version: i64,
    started_at: Option<Timestamp>,
    ended: bool,
}

async fn load(state: &AppState, call_sid: &str) -> Result<Loaded, ApiError> {
    match state.store.ivr_call(call_sid).await? {
        None => Ok(Loaded {
            session: None,
            version: 0,
            started_at: None,
            ended: false,
        }),
        Some(row) if row.flow_id == crate::fraud_call::CHALLENGE_FLOW => Err(ApiError::conflict(
            "ivr.challenge_call",
            format!(
                "Call {call_sid:?} is a fraud challenge call; its webhooks go to the URL it was placed with."
            ),
        )),
        Some(row) => Ok(Loaded {
            session: Some(session_of(&row)?),
            version: row.version,
            started_at: Some(row.started_at),
            ended: row.ended_at.is_some(),
        }),
    }
}

fn session_of(row: &IvrCall) -> Result<Session, ApiError> {
    serde_json::from_str(&row.state)
        .map_err(|e| ApiError::internal(&StoreError::Corrupt(format!("IVR call state: {e}"))))
}

pub(crate) fn hangup_twiml() -> String {
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response>\n  <Hangup/>\n</Response>".to_owned()
}

pub(crate) fn system_audit(
    at: Timestamp,
    action: &str,
    subject: String,
    detail: serde_json::Value,
) -> AuditRecord {
    AuditRecord {
        at,
        actor: "system:telephony".to_owned(),
        action: action.to_owned(),
        subject,
        ip: String::new(),
        request_id: current_request_id(),
        detail,
    }
}

/// One caller step, for the webhooks and the simulator alike: load, interpret, perform the
/// effects, hand off, store, render.
pub async fn step(
    state: &AppState,
    call_sid: &str,
    input: Input,
    simulated: Option<Simulated>,
) -> Result<Stepped, ApiError> {
    let now = state.clock.now();
    let loaded = load(state, call_sid).await?;
    let telephony = &state.telephony;
    let (mut session, output) = match (input, loaded.session) {
        // A retried voice webhook: answer as before.
        (Input::Start { .. }, Some(session)) => {
            return Ok(Stepped {
                session,
                reply: None,
            });
        }
        (Input::Start { call, flow }, None) => {
            let flow = match flow {
                Some(id) => telephony.flow(&id).ok_or_else(|| {
                    ApiError::unprocessable(
                        "ivr.unknown_flow",
                        format!("There is no IVR flow {id:?}; pick one of the listed flows."),
                    )
                })?,
                None => telephony.default_flow(),
            };
            let (call, output) = flow.start(call, now);
            let session = Session {
                call,
                twiml: String::new(),
                contact: None,
                simulated,
            };
            (session, output)
        }
        (Input::Event(_), None) => {
            return Err(ApiError::not_found(
                "ivr.unknown_call",
                format!(
                    "There is no IVR call {call_sid:?}; a call starts at {VOICE_PATH} (or the simulator's start button)."
                ),
            ));
        }
        (Input::Event(event), Some(mut session)) => {
            if loaded.ended || session.call.is_ended() {
                session.twiml = hangup_twiml();
                return Ok(Stepped {
                    session,
                    reply: None,
                });
            }
            let Some(flow) = telephony.flow(session.call.flow_id()).cloned() else {
                return Err(ApiError::conflict(
                    "ivr.flow_gone",
                    format!(
                        "The call runs flow {:?}, which this server no longer has.",
                        session.call.flow_id()
                    ),
                ));
            };
            if let Some(sim) = &mut session.simulated {
                sim.transcript.push(Line {
                    who: "caller".to_owned(),
                    // Keys typed at identity and PIN questions are never shown.
                    text: describe_input(
                        &event,
                        matches!(
                            session.call.question(),
                            Some(ivr::Question::Factor(_) | ivr::Question::NewPin)
                        ),
                    ),
                });
            }
            let output = flow.handle(&mut session.call, event, now);
            (session, output)
        }
    };
    let flow = telephony
        .flow(session.call.flow_id())
        .cloned()
        .unwrap_or_else(|| telephony.default_flow().clone());
    let mut output = output;
    let reply = loop {
        match output {
            Output::Reply(reply) => break reply,
            Output::Perform(request) => {
                let result = perform(state, call_sid, &mut session, &request.effect, now).await;
                output = flow.handle(&mut session.call, Event::Done(result), now);
            }
        }
    };
    let mut events = Vec::new();
    let subject = format!("ivr_call:{call_sid}");
    if let Then::Enqueue(handoff) = &reply.then {
        match &mut session.simulated {
            Some(sim) => {
                sim.destination = Some(handoff.queue_name());
            }
            None => {
                let contact =
                    hand_off(state, call_sid, handoff, loaded.started_at.unwrap_or(now)).await?;
                session.contact = Some(contact);
                events.push(NewEvent::new(
                    "ivr.handed_off",
                    subject.clone(),
                    serde_json::json!({
                        "contact_id": contact,
                        "queue": handoff.queue_name(),
                        "reason": handoff.reason,
                    }),
                ));
            }
        }
    }
    if let Some(sim) = &mut session.simulated {
        sim.transcript.extend(describe_reply(&reply));
        if let Then::Dial { number } = &reply.then {
            sim.destination = Some(format!("dial {number}"));
        }
        if matches!(reply.then, Then::Hangup) {
            sim.destination = Some("hangup".to_owned());
        }
    }
    let action_url = format!("{}{ACTION_PATH}", state.settings.public_url());
    session.twiml = ivr::twiml::render(
        &reply,
        &TwimlOptions {
            action_url: &action_url,
            audio_base_url: None,
            enqueue_wait_url: None,
        },
    )
    .map_err(|e| ApiError::internal(&e))?;
    let text = serde_json::to_string(&session).map_err(|e| ApiError::internal(&e))?;
    let row = IvrCall {
        call_sid: call_sid.to_owned(),
        flow_id: session.call.flow_id().to_owned(),
        state: text,
        version: loaded.version + 1,
        started_at: loaded.started_at.unwrap_or(now),
        updated_at: now,
        ended_at: None,
        end_status: None,
    };
    if loaded.version == 0 {
        events.push(NewEvent::new(
            "ivr.call_started",
            subject,
            serde_json::json!({"flow": row.flow_id, "simulated": session.simulated.is_some()}),
        ));
    }
    save_call(
        state,
        &row,
        Effects {
            events,
            audit: Vec::new(),
        },
    )
    .await?;
    Ok(Stepped {
        session,
        reply: Some(reply),
    })
}

/// Stores a call's state: version 1 is a new call, a later one must follow the version the
/// step read. A concurrent webhook for the same call gets 409 (the provider retries it).
pub(crate) async fn save_call(
    state: &AppState,
    row: &IvrCall,
    effects: Effects,
) -> Result<(), ApiError> {
    let call_sid = &row.call_sid;
    let saved = if row.version == 1 {
        state.store.insert_ivr_call(row, effects).await
    } else {
        state.store.update_ivr_call(row, effects).await
    };
    saved.map_err(|e| match e {
        StoreError::Conflict { .. } if row.version == 1 => ApiError::conflict(
            "ivr.call_exists",
            format!("Call {call_sid:?} was started by another request; retry the webhook."),
        ),
        StoreError::Conflict { .. } => ApiError::conflict(
            "ivr.call_moved_on",
            format!(
                "Call {call_sid:?} moved on (another webhook for it was answered first) or ended."
            ),
        ),
        other => other.into(),
    })
}

/// The transcript line for what the caller did; `secret`: keys are not shown.
fn describe_input(event: &Event, secret: bool) -> String {
    match event {
        Event::Digits(keys) if secret => "•".repeat(keys.expose().chars().count()),
        Event::Digits(keys) => format!("[{}]", keys.expose()),
        Event::Speech { text, confidence } => {
            format!("“{}” ({:.0} %)", text.expose(), confidence * 100.0)
        }
        Event::Silence => "…".to_owned(),
        Event::Done(_) => String::new(),
    }
}

fn describe_reply(reply: &Reply) -> Vec<Line> {
    let mut lines: Vec<Line> = reply
        .say
        .iter()
        .filter_map(|s| match s {
            Segment::Say(prompt) => Some(prompt.text.clone()),
            Segment::Play { clip } => Some(format!("♪ {clip}")),
            Segment::Pause { .. } => None,
        })
        .map(|text| Line {
            who: "ivr".to_owned(),
            text,
        })
        .collect();
    let system = match &reply.then {
        Then::Gather(_) => None,
        Then::Enqueue(handoff) => Some(format!("→ queue {}", handoff.queue_name())),
        Then::Dial { number } => Some(format!("→ dial {number}")),
        Then::Hangup => Some("→ hang up".to_owned()),
    };
    lines.extend(system.map(|text| Line {
        who: "system".to_owned(),
        text,
    }));
    lines
}

/// The tier routing should use: only what the caller has proven.
fn proven_tier(context: &CallContext) -> Tier {
    match context.identity.tier {
        Some(tier) if context.identity.level >= VerificationLevel::Basic => tier,
        _ => Tier::Green,
    }
}

/// Queues the call for a person with everything it learned.
async fn hand_off(
    state: &AppState,
    call_sid: &str,
    handoff: &Handoff,
    since: Timestamp,
) -> Result<ContactId, ApiError> {
    let context = &handoff.context;
    // A verified caller brings their cardholder record, and with it their relationship manager.
    let holder = match &context.identity.card {
        Some(card) if context.identity.level >= VerificationLevel::Basic => {
            match state.store.card_by_id(card.id).await? {
                Some(record) => {
                    state
                        .store
                        .cardholder_by_id(record.card.cardholder_id)
                        .await?
                }
                None => None,
            }
        }
        _ => None,
    };
    let entry = ContactEntry {
        id: ContactId::new(),
        kind: ContactKind::Call,
        channel: Channel::Phone,
        reason: handoff.reason.unwrap_or(Reason::General),
        department: Some(handoff.department),
        tier: proven_tier(context),
        lang: handoff.language,
        relationship_manager: holder.as_ref().and_then(|h| h.relationship_manager),
        cardholder: holder.as_ref().map(|h| h.id),
        home_hub: None,
        waiting_since: Some(since),
        context_id: format!("ivr:{call_sid}"),
    };
    let notes = notes(state, context);
    let audit = system_audit(
        state.clock.now(),
        "routing.contact.enter",
        format!("contact:{}", entry.id),
        serde_json::json!({
            "context_id": entry.context_id,
            "reason": entry.reason,
            "tier": entry.tier,
            "queue": handoff.queue_name(),
            "cardholder_id": entry.cardholder,
            "relationship_manager": entry.relationship_manager,
        }),
    );
    let id = entry.id;
    state
        .switchboard
        .enter_with_notes(entry, notes, vec![audit])
        .await?;
    Ok(id)
}

/// What the agent sees on the offer, in the call's language (the queue's language).
pub fn notes(state: &AppState, context: &CallContext) -> Vec<String> {
    let tr = Tr {
        lang: context.language,
        i18n: &state.i18n,
    };
    let mut notes = Vec::new();
    let identity = &context.identity;
    let level = match identity.level {
        VerificationLevel::None => None,
        VerificationLevel::Basic => Some(tr.t("ivr-level-basic")),
        VerificationLevel::Strong => Some(tr.t("ivr-level-strong")),
    };
    match (level, &identity.card) {
        (Some(level), Some(card)) => notes.push(format!(
            "{} · {}",
            tr.t1("ivr-note-verified", "level", level),
            tr.t1("ivr-note-card", "last4", &card.last4)
        )),
        (Some(level), None) => notes.push(tr.t1("ivr-note-verified", "level", level)),
        (None, _) => notes.push(tr.t("ivr-note-not-verified")),
    }
    if identity.locked {
        notes.push(tr.t("ivr-note-locked"));
    }
    if let Some(tier) = identity
        .tier
        .filter(|_| identity.level >= VerificationLevel::Basic)
    {
        notes.push(tr.t1("ivr-note-tier", "tier", tier));
    }
    if !context.choices.is_empty() {
        let picked: Vec<&str> = context.choices.iter().map(|c| c.picked.as_str()).collect();
        notes.push(tr.t1("ivr-note-choices", "choices", picked.join(" → ")));
    }
    for said in &context.said {
        notes.push(tr.t1("ivr-note-said", "text", &said.text));
    }
    for outcome in &context.outcomes {
        let text = match outcome {
            Outcome::LostOrStolenReported {
                case_reference,
                shipping,
                delivery,
                ..
            } => {
                let how = match shipping {
                    Shipping::Standard => "standard".to_owned(),
                    Shipping::Expedited => "expedited".to_owned(),
                    Shipping::Global { address, .. } => format!("global: {address}"),
                };
                format!(
                    "{} {case_reference} · {how} · {}–{}",
                    tr.t("ivr-note-reported"),
                    delivery.earliest,
                    delivery.latest
                )
            }
            Outcome::CardActivated => tr.t("ivr-note-activated"),
            Outcome::BalanceHeard => tr.t("ivr-note-balance"),
            Outcome::RewardsHeard { points } => tr.t1("ivr-note-rewards", "points", points),
            Outcome::CallbackBooked { .. } => tr.t("ivr-note-callback"),
            Outcome::ServiceFailed { node } => tr.t1("ivr-note-failed", "node", node),
            Outcome::Classified { .. }
            | Outcome::VerificationFailed
            | Outcome::VerificationLocked => continue,
        };
        notes.push(text);
    }
    if let Some(cause) = context.cause {
        let id = match cause {
            Cause::Routed => "ivr-cause-routed",
            Cause::AskedForPerson => "ivr-cause-asked",
            Cause::NoInput => "ivr-cause-no-input",
            Cause::NotUnderstood => "ivr-cause-not-understood",
            Cause::VerificationFailed => "ivr-cause-verification-failed",
            Cause::VerificationLocked => "ivr-cause-verification-locked",
            Cause::NotVerified => "ivr-cause-not-verified",
            Cause::ServiceFailed => "ivr-cause-service-failed",
            Cause::FlowError => "ivr-cause-flow-error",
        };
        notes.push(tr.t(id));
    }
    notes
}

/// Carries out one effect. Simulator calls are answered by a demo cardholder and change nothing.
async fn perform(
    state: &AppState,
    call_sid: &str,
    session: &mut Session,
    effect: &Effect,
    now: Timestamp,
) -> EffectResult {
    if let Some(sim) = &mut session.simulated {
        let today = jiff::tz::TimeZone::UTC.to_datetime(now).date();
        return match sim.tier {
            Some(tier) => {
                let mut bank = ivr::sim::DemoBank::new(tier, today);
                bank.failures = sim.failures;
                let result = bank.perform(effect);
                sim.failures = bank.failures;
                result
            }
            // A caller the issuer does not know: no card matches.
            None => match effect {
                Effect::CheckFactor { .. } => {
                    sim.failures = sim.failures.saturating_add(1);
                    EffectResult::FactorChecked(if sim.failures >= 5 {
                        ivr::FactorCheck::Locked
                    } else {
                        ivr::FactorCheck::Mismatch
                    })
                }
                other => ivr::sim::DemoBank::new(Tier::Green, today).perform(other),
            },
        };
    }
    match effect {
        Effect::ClassifySpeech { text, .. } => classify(state, text).await,
        Effect::RequestCallback {
            number,
            department,
            language,
            context,
        } => match book_callback(state, call_sid, number, *department, *language, context).await {
            Ok(()) => EffectResult::CallbackBooked,
            Err(err) => {
                tracing::warn!(code = err.code, "IVR callback not booked");
                EffectResult::Failed
            }
        },
        Effect::CheckFactor {
            card,
            caller,
            answer,
            passed,
        } => check_factor(state, call_sid, card.as_ref(), caller, answer, passed, now)
            .await
            .unwrap_or_else(|err| failed(&err)),
        Effect::ReportLostOrStolen {
            card,
            loss,
            shipping,
        } => report_lost(state, call_sid, card, *loss, shipping, now)
            .await
            .unwrap_or_else(|err| failed(&err)),
        Effect::ActivateCard { card, pin } => {
            let result = async {
                let record = crate::cards::load_card(state, card.id).await?;
                crate::cards::require_verified(
                    state,
                    record.card.cardholder_id,
                    Channel::Phone,
                    cards::Action::ActivateCard,
                )
                .await?;
                let audit = card_audit(now, call_sid, "card.activate", &record);
                crate::cards::activate(state, card.id, pin.expose(), audit).await
            }
            .await;
            result.map_or_else(|err| failed(&err), |_| EffectResult::CardActivated)
        }
        Effect::FetchBalance { card } => balance(state, call_sid, card, now)
            .await
            .unwrap_or_else(|err| failed(&err)),
        Effect::FetchRewards { card } => rewards(state, call_sid, card, now)
            .await
            .unwrap_or_else(|err| failed(&err)),
    }
}

/// An effect the cards service refused or could not do: the caller goes to a person.
fn failed(err: &ApiError) -> EffectResult {
    tracing::info!(
        code = err.code,
        "IVR self-service not done; the caller goes to a person"
    );
    EffectResult::Failed
}

fn card_audit(
    at: Timestamp,
    call_sid: &str,
    action: &str,
    record: &store::CardRecord,
) -> AuditRecord {
    system_audit(
        at,
        action,
        format!("card:{}", record.card.id),
        serde_json::json!({
            "cardholder_id": record.card.cardholder_id,
            "channel": "phone",
            "call": call_sid,
        }),
    )
}

fn card_ref(record: &store::CardRecord) -> ivr::CardRef {
    ivr::CardRef {
        id: record.card.id,
        last4: record.card.last4.to_string(),
    }
}

fn level_of(level: cards::verification::Level) -> VerificationLevel {
    match level {
        cards::verification::Level::None => VerificationLevel::None,
        cards::verification::Level::Basic => VerificationLevel::Basic,
        cards::verification::Level::Strong => VerificationLevel::Strong,
    }
}

/// One identity factor, checked by the cards service as soon as it is keyed. The card number
/// finds the card (and so the cardholder); every other answer is a verification attempt on the
/// cardholder's phone channel, whose failures and 30-minute lock outlive the call.
async fn check_factor(
    state: &AppState,
    call_sid: &str,
    card: Option<&ivr::CardRef>,
    caller: &str,
    answer: &ivr::FactorAnswer,
    passed: &[ivr::Factor],
    now: Timestamp,
) -> Result<EffectResult, ApiError> {
    use cards::verification::Outcome as Verified;
    use ivr::{Factor, FactorCheck};
    let checked = |check| Ok(EffectResult::FactorChecked(check));
    let value = answer.value.expose();
    if answer.factor == Factor::CardNumber {
        let Ok(pan) = cards::Pan::parse(value) else {
            return checked(FactorCheck::Mismatch);
        };
        let Some(record) = crate::cards::card_by_number(state, &pan)
            .await?
            .filter(|r| crate::cards::is_usable(&r.card))
        else {
            return checked(FactorCheck::Mismatch);
        };
        let session =
            crate::cards::session(state, record.card.cardholder_id, Channel::Phone).await?;
        if session.locked_until(now).is_some() {
            return checked(FactorCheck::Locked);
        }
        return checked(FactorCheck::Passed {
            card: Some(card_ref(&record)),
            tier: Some(record.card.tier),
            level: VerificationLevel::None,
        });
    }
    // Every other factor is checked against the cardholder of the card keyed first.
    let Some(card) = card else {
        return checked(FactorCheck::Mismatch);
    };
    let record = crate::cards::load_card(state, card.id).await?;
    let Some(holder) = state
        .store
        .cardholder_by_id(record.card.cardholder_id)
        .await?
    else {
        return checked(FactorCheck::Mismatch);
    };
    let mut answers = cards::Answers::default();
    match answer.factor {
        Factor::CardNumber => {}
        Factor::SecurityCode => {
            let Ok(code) = cards::SecurityCode::parse(value) else {
                return checked(FactorCheck::Mismatch);
            };
            // The number was keyed earlier in the call and not kept: decrypt it for this check.
            let keys = crate::cards::keys(state)?;
            let pan = keys
                .decrypt_pan(record.card.id, &record.pan_encrypted)
                .map_err(|e| ApiError::internal(&e))?;
            answers.card = Some((pan, code));
        }
        Factor::DateOfBirth => match value.parse() {
            Ok(date) => answers.date_of_birth = Some(date),
            Err(_) => return checked(FactorCheck::Mismatch),
        },
        Factor::Postcode => answers.postcode = Some(value.to_owned()),
        Factor::PhoneOnFile => answers.phone = Some(value.to_owned()),
        Factor::TaxIdLast4 => answers.tax_id_last4 = Some(value.to_owned()),
    }
    // The first attempt of this call starts a new conversation: earlier calls' answers do not
    // count (their failures and locks do). The caller id counts as the phone on file when it
    // is that number (never as a wrong answer: callers may ring from any phone).
    let first = passed.iter().all(|f| *f == Factor::CardNumber);
    let caller_id = cards::PhoneNumber::parse(caller).ok();
    let on_file = holder
        .phone
        .as_deref()
        .and_then(|p| cards::PhoneNumber::parse(p).ok());
    if first && answers.phone.is_none() && caller_id.is_some() && caller_id == on_file {
        answers.phone = Some(caller.to_owned());
    }
    let audit = system_audit(
        now,
        "verification.attempt",
        format!("cardholder:{}", holder.id),
        serde_json::json!({"channel": "phone", "factor": answer.factor, "call": call_sid}),
    );
    let (session, outcome) =
        crate::cards::verify(state, &holder, Channel::Phone, &answers, first, audit).await?;
    checked(match outcome {
        Verified::Passed { passed, .. } if passed.is_empty() => FactorCheck::Mismatch,
        Verified::Passed { .. } => FactorCheck::Passed {
            card: Some(card_ref(&record)),
            tier: Some(record.card.tier),
            level: level_of(session.level(now)),
        },
        Verified::Failed { .. } => FactorCheck::Mismatch,
        Verified::Locked { .. } => FactorCheck::Locked,
    })
}

/// A country named at the end of an address said aloud (or its ISO code).
fn country_named(name: &str) -> Option<domain::Country> {
    let name = name.trim().to_lowercase();
    let code = match name.as_str() {
        "france" | "francia" => "FR",
        "spain" | "españa" | "espana" => "ES",
        "mexico" | "méxico" => "MX",
        "germany" | "alemania" => "DE",
        "italy" | "italia" => "IT",
        "united kingdom" | "uk" | "england" | "reino unido" | "inglaterra" => "GB",
        "japan" | "japón" | "japon" => "JP",
        "canada" | "canadá" => "CA",
        "australia" => "AU",
        "india" => "IN",
        "portugal" => "PT",
        "united states" | "usa" | "estados unidos" => "US",
        other => other,
    };
    code.parse().ok()
}

/// "Hotel Example, 1 Rue de Rivoli, Paris, France" → lines, city, country.
fn spoken_address(text: &str) -> Option<cards::Address> {
    let parts: Vec<&str> = text
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let (country, rest) = parts.split_last()?;
    let (city, lines) = rest.split_last()?;
    if lines.is_empty() {
        return None;
    }
    cards::Address::try_from(cards::AddressFields {
        lines: lines.iter().map(|l| (*l).to_owned()).collect(),
        city: (*city).to_owned(),
        region: String::new(),
        postcode: String::new(),
        country: country_named(country)?,
    })
    .ok()
}

/// Reports the card through the cards service: blocked at once, replacement issued and ordered.
async fn report_lost(
    state: &AppState,
    call_sid: &str,
    card: &ivr::CardRef,
    loss: ivr::Loss,
    shipping: &Shipping,
    now: Timestamp,
) -> Result<EffectResult, ApiError> {
    use cards::replacement::Destination as To;
    let record = crate::cards::load_card(state, card.id).await?;
    let holder = record.card.cardholder_id;
    crate::cards::require_verified(
        state,
        holder,
        Channel::Phone,
        cards::Action::ReportLostOrStolen,
    )
    .await?;
    let audit = card_audit(now, call_sid, "card.report_lost", &record);
    let strong = crate::cards::require_verified(
        state,
        holder,
        Channel::Phone,
        cards::Action::ReplaceToNewAddress,
    )
    .await
    .is_ok();
    let loss = match loss {
        ivr::Loss::Lost => cards::Loss::Lost,
        ivr::Loss::Stolen => cards::Loss::Stolen,
    };
    let request = match shipping {
        Shipping::Standard => cards::ReplacementRequest {
            shipping: cards::ShippingOption::Standard,
            destination: To::AddressOnFile,
        },
        Shipping::Expedited => cards::ReplacementRequest {
            shipping: cards::ShippingOption::Expedited,
            destination: To::AddressOnFile,
        },
        Shipping::Global {
            destination,
            address,
        } => match spoken_address(address).filter(|_| strong) {
            Some(address) => cards::ReplacementRequest {
                shipping: cards::ShippingOption::Global,
                destination: To::Elsewhere {
                    place: match destination {
                        ivr::Destination::Hotel => cards::replacement::PlaceKind::Hotel,
                        ivr::Destination::Embassy => cards::replacement::PlaceKind::Embassy,
                        ivr::Destination::Other => cards::replacement::PlaceKind::Other,
                    },
                    address,
                },
            },
            None => {
                // An address the IVR cannot read, or a caller not verified strongly enough to
                // send a card elsewhere: block the card at once; a person checks the address
                // and orders the global delivery.
                crate::cards::change_state(
                    state,
                    card.id,
                    crate::cards::StateChange::Lock,
                    cards::Actor::Cardholder,
                    audit,
                )
                .await?;
                return Ok(EffectResult::Failed);
            }
        },
    };
    let reported = crate::cards::report_lost(
        state,
        card.id,
        loss,
        cards::Actor::Cardholder,
        Some(request),
        audit,
    )
    .await?;
    let Some((_, order)) = &reported.replacement else {
        return Ok(EffectResult::Failed);
    };
    let (earliest, latest) = match order.window {
        cards::DeliveryWindow::BusinessDays { first, last, .. } => (first, last),
        cards::DeliveryWindow::Hours { earliest, latest } => (
            jiff::tz::TimeZone::UTC.to_datetime(earliest).date(),
            jiff::tz::TimeZone::UTC.to_datetime(latest).date(),
        ),
    };
    let case = self_service_case(state, &reported).await?;
    Ok(EffectResult::LostOrStolenReported {
        case_reference: case.reference.to_string(),
        delivery: ivr::DeliveryWindow { earliest, latest },
    })
}

/// The case that keeps a report made in self-service: what was done, resolved at once (an agent
/// reopens it if the cardholder comes back about it). Its reference is what the caller hears.
async fn self_service_case(
    state: &AppState,
    reported: &crate::cards::Reported,
) -> Result<cases::Case, ApiError> {
    let card = &reported.card;
    let case = crate::casework::open(
        state,
        cases::NewCase {
            id: domain::CaseId::new(),
            reference: cases::CaseRef::generate(0),
            cardholder: Some(card.cardholder_id),
            tier: Some(card.tier),
            subject: format!(
                "Card ending {} reported by phone (self-service)",
                card.last4
            ),
            reason: domain::Reason::LostStolen,
            department: None,
            channel: Channel::Phone,
        },
        cases::Actor::Cardholder(card.cardholder_id),
        Vec::new(),
    )
    .await?;
    let summary = reported.summary();
    let (case, _) = crate::casework::change(
        state,
        case.id,
        cases::CaseCommand::Resolve { summary },
        cases::Actor::System,
        Vec::new(),
    )
    .await?;
    Ok(case)
}

/// The account's balance (posted and pending charges less credits on its cards) and the
/// latest credit as the last payment.
async fn balance(
    state: &AppState,
    call_sid: &str,
    card: &ivr::CardRef,
    now: Timestamp,
) -> Result<EffectResult, ApiError> {
    let record = crate::cards::load_card(state, card.id).await?;
    crate::cards::require_verified(
        state,
        record.card.cardholder_id,
        Channel::Phone,
        cards::Action::ViewAccount,
    )
    .await?;
    let account = state
        .store
        .card_account(record.card.account_id)
        .await?
        .ok_or_else(|| ApiError::not_found("card.no_account", "The card's account is gone."))?;
    let mut total = domain::Money::new(0, account.currency);
    let mut last_payment: Option<ivr::Payment> = None;
    for holder_card in state.store.cards_for(record.card.cardholder_id).await? {
        if holder_card.card.account_id != account.id {
            continue;
        }
        let txs = state
            .store
            .transactions_for_card(holder_card.card.id, None, None, 10_000)
            .await?;
        for tx in txs {
            if tx.amount.currency != account.currency
                || matches!(tx.status, cards::transactions::TransactionStatus::Declined)
            {
                continue;
            }
            total = total.checked_add(tx.amount).unwrap_or(total);
            if tx.amount.minor < 0 {
                let date = jiff::tz::TimeZone::UTC.to_datetime(tx.at).date();
                if last_payment.is_none_or(|p| p.date < date) {
                    last_payment = Some(ivr::Payment {
                        amount: domain::Money::new(-tx.amount.minor, account.currency),
                        date,
                    });
                }
            }
        }
    }
    state
        .store
        .append_audit(&[card_audit(now, call_sid, "card.balance.view", &record)])
        .await?;
    Ok(EffectResult::Balance {
        balance: total,
        last_payment,
    })
}

async fn rewards(
    state: &AppState,
    call_sid: &str,
    card: &ivr::CardRef,
    now: Timestamp,
) -> Result<EffectResult, ApiError> {
    let record = crate::cards::load_card(state, card.id).await?;
    crate::cards::require_verified(
        state,
        record.card.cardholder_id,
        Channel::Phone,
        cards::Action::ViewAccount,
    )
    .await?;
    let points = state
        .store
        .rewards_ledger_sum(record.card.account_id)
        .await?;
    state
        .store
        .append_audit(&[card_audit(now, call_sid, "rewards.view", &record)])
        .await?;
    Ok(EffectResult::Rewards { points })
}

/// Free speech → department with the intent model (product §7); no department when the model's
/// policy would ask or hand to a person, and the flow then re-asks.
async fn classify(state: &AppState, text: &str) -> EffectResult {
    let routed = crate::intent::route(&state.intent, text).await;
    EffectResult::Classified {
        department: routed.as_ref().and_then(|r| r.department),
        confidence: routed.map_or(0.0, |r| r.confidence),
    }
}

async fn book_callback(
    state: &AppState,
    call_sid: &str,
    number: &str,
    department: Department,
    language: Lang,
    context: &CallContext,
) -> Result<(), ApiError> {
    let entry = ContactEntry {
        id: ContactId::new(),
        kind: ContactKind::Callback,
        channel: Channel::Phone,
        reason: context.reason.unwrap_or(Reason::General),
        department: Some(department),
        tier: proven_tier(context),
        lang: language,
        relationship_manager: None,
        cardholder: None,
        home_hub: None,
        waiting_since: None,
        context_id: format!("ivr:{call_sid}"),
    };
    let tr = Tr {
        lang: language,
        i18n: &state.i18n,
    };
    let mut notes = vec![tr.t1("ivr-note-call-back", "number", number)];
    notes.extend(self::notes(state, context));
    let audit = system_audit(
        state.clock.now(),
        "routing.contact.enter",
        format!("contact:{}", entry.id),
        serde_json::json!({"context_id": entry.context_id, "kind": "callback"}),
    );
    state
        .switchboard
        .enter_with_notes(entry, notes, vec![audit])
        .await
        .map(drop)
}

/// The webhook routes. Their policy is the provider's request signature (403 without it).
pub fn router() -> Router<AppState> {
    Router::new()
        .route(VOICE_PATH, post(voice))
        .route(ACTION_PATH, post(action))
        .route(STATUS_PATH, post(status))
        .route(
            crate::fraud_call::CHALLENGE_PATH,
            post(crate::fraud_call::challenge_webhook),
        )
}

/// Checks the signature over the public URL of this request and its form parameters.
pub(crate) fn signed_params(
    state: &AppState,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Vec<(String, String)>, ApiError> {
    let params = ivr::twiml::parse_form(body);
    let url = format!(
        "{}{}",
        state.settings.public_url(),
        uri.path_and_query().map_or(uri.path(), |p| p.as_str())
    );
    let signature = headers
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            ApiError::forbidden(
                "The request has no X-Twilio-Signature header; only the telephony provider may call this webhook.",
            )
        })?;
    if !state.telephony.signer().verify(&url, &params, signature) {
        return Err(ApiError::forbidden(format!(
            "The X-Twilio-Signature does not sign this request for {url}; check [telephony] twiml_auth_token and [server] public_url."
        )));
    }
    Ok(params)
}

pub(crate) fn webhook(params: &[(String, String)]) -> Result<Webhook, ApiError> {
    Webhook::parse(params).map_err(|e| ApiError::bad_request("ivr.bad_webhook", e.to_string()))
}

pub(crate) fn twiml_response(body: String) -> Response {
    ([(header::CONTENT_TYPE, TWIML)], body).into_response()
}

/// `POST /telephony/twiml/voice`: a new call.
pub async fn voice(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let params = signed_params(&state, &uri, &headers, &body)?;
    let hook = webhook(&params)?;
    let stepped = step(
        &state,
        &hook.call_sid,
        Input::Start {
            call: hook.new_call(),
            flow: None,
        },
        None,
    )
    .await?;
    Ok(twiml_response(stepped.session.twiml))
}

/// `POST /telephony/twiml/action`: the caller's answer to a `<Gather>` (or silence).
pub async fn action(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let params = signed_params(&state, &uri, &headers, &body)?;
    let hook = webhook(&params)?;
    if hook.status.is_some_and(|s| s.is_final()) {
        end_call(&state, &hook.call_sid, call_status(&params)).await?;
        return Ok(twiml_response(hangup_twiml()));
    }
    let stepped = step(&state, &hook.call_sid, Input::Event(hook.event()), None).await?;
    Ok(twiml_response(stepped.session.twiml))
}

/// `POST /telephony/twiml/status`: the provider's status callback; a final status ends the
/// session (and a caller who hangs up while queued leaves the queue).
pub async fn status(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let params = signed_params(&state, &uri, &headers, &body)?;
    let hook = webhook(&params)?;
    if hook.status.is_some_and(|s| s.is_final()) {
        end_call(&state, &hook.call_sid, call_status(&params)).await?;
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub(crate) fn call_status(params: &[(String, String)]) -> &str {
    params
        .iter()
        .find(|(k, _)| k == "CallStatus")
        .map_or("completed", |(_, v)| v.as_str())
}

/// The call is over (the provider's final status, a SIP BYE or CANCEL): mark it ended and take a
/// queued hand-off out of the queue.
pub async fn end_call(state: &AppState, call_sid: &str, status: &str) -> Result<(), ApiError> {
    let now = state.clock.now();
    let ended = state
        .store
        .end_ivr_call(
            call_sid,
            status,
            now,
            Effects::none().event(NewEvent::new(
                "ivr.call_ended",
                format!("ivr_call:{call_sid}"),
                serde_json::json!({"status": status}),
            )),
        )
        .await?;
    if !ended {
        return Ok(());
    }
    let contact = match state.store.ivr_call(call_sid).await? {
        // A challenge call's status may reach the IVR's status URL: it never queued.
        Some(row) if row.flow_id != crate::fraud_call::CHALLENGE_FLOW => session_of(&row)?.contact,
        _ => None,
    };
    if let Some(contact) = contact
        && let Some(status) = state.switchboard.contact(contact).await
        && matches!(
            status.phase,
            ContactPhase::Waiting { .. }
                | ContactPhase::WaitingForManager { .. }
                | ContactPhase::Offered { .. }
        )
    {
        let audit = system_audit(
            now,
            "routing.contact.abandon",
            format!("contact:{contact}"),
            serde_json::json!({"context_id": format!("ivr:{call_sid}")}),
        );
        state.switchboard.abandon(contact, vec![audit]).await?;
    }
    Ok(())
}
