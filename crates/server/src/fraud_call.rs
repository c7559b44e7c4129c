//! The fraud "was this you?" phone call (product §6), at the edge. When a voice provider is
//! configured, the notifier asks the carrier to call the cardholder and fetch TwiML from
//! [`challenge_url`]; the carrier's webhooks for that call come back here, signed like every
//! TwiML webhook (`X-Twilio-Signature`), to a URL that names the alert and carries a keyed MAC of
//! it, so only the call placed for a challenge can answer it.
//!
//! Per webhook: check the signature and the URL's key → load the call's session (the
//! `ivr_calls` row, flow [`CHALLENGE_FLOW`]) → `ivr`'s challenge call decides → an answer goes
//! through [`FraudMonitor::answer`](crate::fraud::FraudMonitor::answer), the code path of the SMS
//! reply and the portal button → store the session (versioned) → answer TwiML.

use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{KeyInit, Mac};
use ivr::twiml::TwimlOptions;
use ivr::{ChallengeAnswer, ChallengeCall, ChallengeOutput, HeldPayment, Recorded, Reply};
use serde::{Deserialize, Serialize};
use store::{Effects, IvrCall, NewEvent, StoreError};
use uuid::Uuid;

use crate::error::ApiError;
use crate::fraud::{Answer, FraudError};
use crate::state::AppState;
use crate::telephony::{
    call_status, end_call, hangup_twiml, save_call, signed_params, system_audit, twiml_response,
    webhook,
};

/// The route; `{alert_id}` and `{key}` are filled in by [`challenge_url`].
pub const CHALLENGE_PATH: &str = "/telephony/twiml/challenges/{alert_id}/{key}";
/// Marks the answers' URL (`<Gather action>`), as `/action` does for the IVR's calls.
const ANSWER_QUERY: &str = "step=answer";
/// The `flow_id` of challenge calls in `ivr_calls`.
pub const CHALLENGE_FLOW: &str = "fraud-challenge";

/// What is stored per challenge call (the `ivr_calls.state` column, JSON).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChallengeSession {
    pub alert_id: Uuid,
    pub call: ChallengeCall,
    /// The last TwiML answered, replayed when the carrier retries the first webhook.
    pub twiml: String,
}

/// The alert's key: a MAC under the server's keyed-hash key, so a URL for one alert cannot be
/// made from another's.
fn key_of(state: &AppState, alert_id: Uuid) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&state.secrets.hmac_key)
        .expect("HMAC takes any key");
    mac.update(b"fraud-challenge-call:");
    mac.update(alert_id.as_bytes());
    let tag = mac.finalize().into_bytes();
    URL_SAFE_NO_PAD.encode(&tag[..16])
}

/// Where the carrier fetches the call's TwiML (and posts the answers and the final status).
pub fn challenge_url(state: &AppState, alert_id: Uuid) -> String {
    let path = CHALLENGE_PATH
        .replace("{alert_id}", &alert_id.to_string())
        .replace("{key}", &key_of(state, alert_id));
    format!("{}{path}", state.settings.public_url())
}

/// The alert a URL names, if its key is the alert's; otherwise 404, as for any unknown URL.
fn alert_of(state: &AppState, alert_id: &str, key: &str) -> Result<Uuid, ApiError> {
    use subtle::ConstantTimeEq;
    let unknown = || {
        ApiError::not_found(
            "fraud.no_challenge_call",
            "There is no challenge call at this URL.",
        )
    };
    let alert_id: Uuid = alert_id.parse().map_err(|_| unknown())?;
    let expected = key_of(state, alert_id);
    if bool::from(expected.as_bytes().ct_eq(key.as_bytes())) {
        Ok(alert_id)
    } else {
        Err(unknown())
    }
}

/// `POST /telephony/twiml/challenges/{alert_id}/{key}`: the call was answered (the carrier
/// fetches the first TwiML), or its final status; with `?step=answer`: the callee's keys, speech
/// or silence.
pub async fn challenge_webhook(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    Path((alert_id, key)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let params = signed_params(&state, &uri, &headers, &body)?;
    let alert_id = alert_of(&state, &alert_id, &key)?;
    let hook = webhook(&params)?;
    let call_sid = hook.call_sid.as_str();
    if hook.status.is_some_and(|s| s.is_final()) {
        // Busy, no answer, failed or hung up: the challenge stays open for the other channels
        // and, after its answer time, the analysts.
        end_call(&state, call_sid, call_status(&params)).await?;
        return Ok(twiml_response(hangup_twiml()));
    }
    let answering = uri.query() == Some(ANSWER_QUERY);
    let session = match (state.store.ivr_call(call_sid).await?, answering) {
        (None, false) => return start(&state, call_sid, alert_id).await,
        (None, true) => {
            return Err(ApiError::not_found(
                "ivr.unknown_call",
                format!(
                    "There is no challenge call {call_sid:?}; it starts at the URL without ?{ANSWER_QUERY}."
                ),
            ));
        }
        (Some(row), _) => row,
    };
    if session.flow_id != CHALLENGE_FLOW {
        return Err(ApiError::conflict(
            "ivr.not_a_challenge_call",
            format!("Call {call_sid:?} is an IVR call, not a fraud challenge call."),
        ));
    }
    let mut stored: ChallengeSession = serde_json::from_str(&session.state).map_err(|e| {
        ApiError::internal(&StoreError::Corrupt(format!("challenge call state: {e}")))
    })?;
    if stored.alert_id != alert_id {
        return Err(ApiError::forbidden(
            "This call was placed for another challenge; it cannot answer this one.",
        ));
    }
    if !answering {
        // The carrier retried the first webhook: answer as before.
        return Ok(twiml_response(stored.twiml));
    }
    if session.ended_at.is_some() || stored.call.is_ended() {
        return Ok(twiml_response(hangup_twiml()));
    }
    let flow = state.telephony.default_flow().clone();
    let reply = match flow.handle_challenge(&mut stored.call, hook.event()) {
        ChallengeOutput::Reply(reply) => reply,
        ChallengeOutput::Record(answer) => {
            let recorded = record(&state, call_sid, alert_id, answer).await;
            flow.challenge_recorded(&mut stored.call, recorded)
        }
    };
    stored.twiml = render(&state, alert_id, &reply)?;
    let row = IvrCall {
        state: serde_json::to_string(&stored).map_err(|e| ApiError::internal(&e))?,
        version: session.version + 1,
        updated_at: state.clock.now(),
        ..session
    };
    save_call(&state, &row, Effects::none()).await?;
    Ok(twiml_response(stored.twiml))
}

/// The callee picked up: say the held payment and ask, or say it was already answered.
async fn start(state: &AppState, call_sid: &str, alert_id: Uuid) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let alert = state.store.fraud_alert(alert_id).await?;
    let holder = match alert.cardholder_id {
        Some(id) => state.store.cardholder_by_id(id).await?,
        None => None,
    };
    let flow = state.telephony.default_flow().clone();
    let lang = holder
        .as_ref()
        .map_or(flow.default_language(), |h| h.language);
    if alert.status.is_resolved() {
        // Answered (by SMS, the portal, an analyst) while the phone rang: nothing to ask.
        let closed = flow.challenge_closed(lang);
        return Ok(twiml_response(render(state, alert_id, &closed)?));
    }
    let payment = held_payment(state, &alert, holder.as_ref()).await?;
    let (call, reply) = flow.start_challenge(lang, payment);
    let session = ChallengeSession {
        alert_id,
        call,
        twiml: render(state, alert_id, &reply)?,
    };
    let row = IvrCall {
        call_sid: call_sid.to_owned(),
        flow_id: CHALLENGE_FLOW.to_owned(),
        state: serde_json::to_string(&session).map_err(|e| ApiError::internal(&e))?,
        version: 1,
        started_at: now,
        updated_at: now,
        ended_at: None,
        end_status: None,
    };
    let event = NewEvent::new(
        "ivr.call_started",
        format!("ivr_call:{call_sid}"),
        serde_json::json!({"flow": CHALLENGE_FLOW, "alert_id": alert_id, "simulated": false}),
    );
    save_call(state, &row, Effects::none().event(event)).await?;
    Ok(twiml_response(session.twiml))
}

/// The payment the alert held, as the cardholder should hear it (their time zone).
async fn held_payment(
    state: &AppState,
    alert: &store::FraudAlert,
    holder: Option<&store::Cardholder>,
) -> Result<HeldPayment, ApiError> {
    let record = state.store.fraud_decision(alert.decision_id).await?;
    let auth = crate::fraud::authorization_of(&record).ok_or_else(|| {
        ApiError::internal(&StoreError::Corrupt(format!(
            "fraud decision {} cannot be read back",
            record.id
        )))
    })?;
    let last4 = match record.card_id.as_deref().and_then(|c| c.parse().ok()) {
        Some(card) => state
            .store
            .card_by_id(card)
            .await?
            .map(|c| c.card.last4.to_string())
            .unwrap_or_default(),
        None => String::new(),
    };
    let zone = holder
        .and_then(|h| jiff::tz::TimeZone::get(&h.time_zone).ok())
        .unwrap_or(jiff::tz::TimeZone::UTC);
    Ok(HeldPayment {
        merchant: auth.merchant.display_name().to_owned(),
        amount: auth.amount,
        at: zone.to_datetime(record.at),
        last4,
    })
}

/// Records the callee's answer through the fraud monitor, as an SMS reply or the portal does.
async fn record(
    state: &AppState,
    call_sid: &str,
    alert_id: Uuid,
    answer: ChallengeAnswer,
) -> Recorded {
    let as_fraud = match answer {
        ChallengeAnswer::ItWasMe => Answer::Genuine,
        ChallengeAnswer::NotMe => Answer::Fraud,
    };
    let audit = system_audit(
        state.clock.now(),
        "fraud.answer",
        format!("fraud_alert:{alert_id}"),
        serde_json::json!({"answer": format!("{as_fraud:?}"), "by": "ivr", "call_sid": call_sid}),
    );
    match state
        .fraud
        .answer(
            alert_id,
            as_fraud,
            "ivr",
            None,
            Effects::none().audit(audit),
        )
        .await
    {
        Ok(_) => Recorded::Done(answer),
        Err(FraudError::Store(StoreError::Conflict { .. })) => Recorded::AlreadyAnswered,
        Err(err) => {
            tracing::error!(error = %err, alert = %alert_id, "the challenge call's answer could not be recorded");
            Recorded::Failed
        }
    }
}

fn render(state: &AppState, alert_id: Uuid, reply: &Reply) -> Result<String, ApiError> {
    let url = format!("{}?{ANSWER_QUERY}", challenge_url(state, alert_id));
    ivr::twiml::render(
        reply,
        &TwimlOptions {
            action_url: &url,
            audio_base_url: None,
            enqueue_wait_url: None,
        },
    )
    .map_err(|e| ApiError::internal(&e))
}
