//! The fraud "was this you?" phone call: with a voice provider configured, a challenged
//! authorization asks the carrier (a real local HTTP listener here, checking our signature) to
//! call the cardholder; the carrier then fetches the call's TwiML and posts the answers, signed
//! as it does. 2 locks the card (case, replacement, zero-liability dispute), 1 approves the retry,
//! silence and unclear answers are asked once more, forged or foreign requests are refused, a
//! finished challenge is not answered twice, and without a voice provider nobody is called.

use std::time::Duration;

use domain::Role;
use ivr::twiml::RequestSigner;
use reqwest::StatusCode;
use serde_json::Value;
use server::notify::Provider as Via;
use server::testkit::{Options, TestApp};

use crate::fraud::{Holder, assert_the_retry_is_approved, challenged, holder_with_card, sms_reply};
use crate::ivr::Provider;
use crate::notify::{Hook, SECRET, channel_count, webhook};

/// The issuer's outbound caller id, as the carrier sends it.
const ISSUER: &str = "+18005550199";

async fn app_with_voice(hook_url: &str) -> TestApp {
    let mut settings = server::config::Settings::default();
    let n = &mut settings.notifications;
    n.voice = Via::Webhook;
    n.voice_webhook.url = hook_url.to_owned();
    n.voice_webhook.secret = SECRET.to_owned();
    TestApp::spawn_with(Options {
        settings,
        ..Options::default()
    })
    .await
}

/// The call the carrier was asked to place for `alert`; returns its TwiML path.
async fn placed_call(app: &TestApp, hook: &Hook, holder: &Holder, alert: &str) -> String {
    crate::eventually("the outbound call request", async || {
        hook.accepted
            .lock()
            .unwrap()
            .iter()
            .any(|m| m["channel"] == "voice" && m["to"] == holder.phone.as_str())
    })
    .await;
    let call = hook
        .accepted
        .lock()
        .unwrap()
        .iter()
        .find(|m| m["channel"] == "voice" && m["to"] == holder.phone.as_str())
        .cloned()
        .unwrap();
    assert_eq!(call["template"], "fraud-challenge");
    assert_eq!(call["cardholder_id"], holder.id.to_string());
    let url = call["twiml_url"].as_str().unwrap().to_owned();
    let prefix = format!("{}/telephony/twiml/challenges/{alert}/", app.url);
    assert!(url.starts_with(&prefix), "{url} is the challenge's URL");
    assert!(url.len() > prefix.len() + 16, "{url} carries a key");
    assert_eq!(call["status_callback_url"], url.as_str());
    assert_eq!(*hook.bad_signatures.lock().unwrap(), 0);
    assert!(
        hook.idempotency_keys
            .lock()
            .unwrap()
            .iter()
            .any(|k| k.ends_with("-voice")),
        "a stable idempotency key, so the carrier places one call"
    );
    url.strip_prefix(&app.url).unwrap().to_owned()
}

/// The carrier's parameters for our outbound call to the cardholder.
fn params(sid: &str, holder: &Holder, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut all = vec![
        ("From", ISSUER),
        ("To", holder.phone.as_str()),
        ("Direction", "outbound-api"),
    ];
    all.extend_from_slice(extra);
    Provider::params(sid, &all)
}

/// The callee picks up: the carrier fetches the TwiML.
async fn pick_up(carrier: &Provider<'_>, path: &str, sid: &str, holder: &Holder) -> String {
    let answer = carrier.post(path, params(sid, holder, &[])).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer.body
}

/// The callee's keys or speech, posted to the `<Gather action>`.
async fn respond(
    carrier: &Provider<'_>,
    path: &str,
    sid: &str,
    holder: &Holder,
    extra: &[(&str, &str)],
) -> String {
    let answer = carrier
        .post(&format!("{path}?step=answer"), params(sid, holder, extra))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert!(answer.body.contains("<Response>"), "{}", answer.body);
    answer.body
}

async fn alert_status(app: &TestApp, alert: &str) -> String {
    app.store
        .fraud_alert(alert.parse().unwrap())
        .await
        .unwrap()
        .status
        .as_str()
        .to_owned()
}

#[tokio::test]
async fn a_challenge_call_answered_2_locks_the_card_and_cannot_be_answered_twice() {
    let (hook_url, hook) = webhook(0).await;
    let app = app_with_voice(&hook_url).await;
    let token = app.token(Role::Integration).await;
    let holder = holder_with_card(&app, 0, "4111 1111 1111 1111").await;
    let alert = challenged(&app, &token, &holder).await["alert_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = placed_call(&app, &hook, &holder, &alert).await;

    // The callee picks up: the payment, and the question with keys and speech.
    let carrier = Provider::new(&app);
    let twiml = pick_up(&carrier, &path, "CA-voice-1", &holder).await;
    for part in [
        "card ending in 1 1 1 1",
        "80 dollars",
        "Sao Paulo Market",
        "press 1 or say yes",
        "<Gather input=\"dtmf speech\"",
        "step=answer",
    ] {
        assert!(twiml.contains(part), "{part:?} in {twiml}");
    }
    assert!(!twiml.contains("4111"), "never a card number: {twiml}");
    // The carrier retries the first webhook: the same TwiML, no second call session.
    assert_eq!(pick_up(&carrier, &path, "CA-voice-1", &holder).await, twiml);

    let said = respond(&carrier, &path, "CA-voice-1", &holder, &[("Digits", "2")]).await;
    assert!(said.contains("locked your card"), "{said}");
    assert!(
        said.contains("replacement") && said.contains("dispute"),
        "{said}"
    );
    assert!(said.contains("<Hangup/>"), "{said}");

    // As an SMS NO: card blocked at once, zero-liability dispute, fraud case, replacement.
    assert_eq!(alert_status(&app, &alert).await, "confirmed_fraud");
    let card = app.store.card_by_id(holder.card).await.unwrap().unwrap();
    assert!(
        matches!(
            card.card.state,
            cards::CardState::Locked { .. } | cards::CardState::Stolen { .. }
        ),
        "{:?}",
        card.card.state
    );
    let disputes = app.store.disputes_for(holder.id).await.unwrap();
    assert_eq!(disputes.len(), 1);
    assert!(disputes[0].fraud, "zero liability");
    let case_id = domain::CaseId(alert.parse().unwrap());
    crate::eventually("the fraud case and the replacement", async || {
        let card = app.store.card_by_id(holder.card).await.unwrap().unwrap();
        let case = app.store.case_by_id(case_id).await.unwrap();
        case.is_some() && card.card.state.is_terminal()
    })
    .await;
    let card = app.store.card_by_id(holder.card).await.unwrap().unwrap();
    assert!(
        matches!(
            card.card.state,
            cards::CardState::Stolen {
                replacement: Some(_),
                ..
            }
        ),
        "{:?}",
        card.card.state
    );
    let audit = app
        .store
        .audit_for_subject(&format!("fraud_alert:{alert}"), store::Page::default())
        .await
        .unwrap();
    assert!(
        audit
            .iter()
            .any(|a| a.record.action == "fraud.answer" && a.record.actor == "system:telephony"),
        "{audit:?}"
    );
    let alert_row = app.store.fraud_alert(alert.parse().unwrap()).await.unwrap();
    assert_eq!(alert_row.resolved_by.as_deref(), Some("ivr"));

    // Answering twice is refused: the same call again, another call, and an SMS reply.
    let again = respond(&carrier, &path, "CA-voice-1", &holder, &[("Digits", "1")]).await;
    assert!(
        again.contains("<Hangup/>") && !again.contains("approved"),
        "{again}"
    );
    let second_call = pick_up(&carrier, &path, "CA-voice-2", &holder).await;
    assert!(
        second_call.contains("already been answered") && second_call.contains("<Hangup/>"),
        "{second_call}"
    );
    let sms = sms_reply(&app, &token, &holder, "YES").await;
    assert_eq!(sms.status(), StatusCode::NOT_FOUND);
    assert_eq!(alert_status(&app, &alert).await, "confirmed_fraud");

    // The call is listed with the other notifications.
    let agent = app.token(Role::Agent).await;
    let listed: Vec<Value> = app
        .client()
        .get(format!(
            "{}/api/v1/notifications?cardholder={}",
            app.url, holder.id
        ))
        .bearer_auth(&agent)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        listed.iter().any(|n| n["channel"] == "voice"
            && n["template"] == "fraud-challenge"
            && n["status"] == "sent"),
        "{listed:?}"
    );
    // Nothing more is placed later (no duplicate from a second dispatch).
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(channel_count(&hook, "voice", "fraud-challenge"), 1);
    app.stop().await;
}

#[tokio::test]
async fn a_challenge_call_answered_yes_after_a_silence_approves_the_retry() {
    let (hook_url, hook) = webhook(0).await;
    let app = app_with_voice(&hook_url).await;
    let token = app.token(Role::Integration).await;
    let holder = holder_with_card(&app, 1, "5555 5555 5555 4444").await;
    let alert = challenged(&app, &token, &holder).await["alert_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = placed_call(&app, &hook, &holder, &alert).await;
    let carrier = Provider::new(&app);
    pick_up(&carrier, &path, "CA-voice-yes", &holder).await;

    // Silence: asked once more.
    let again = respond(&carrier, &path, "CA-voice-yes", &holder, &[]).await;
    assert!(
        again.contains("didn't hear") && again.contains("<Gather"),
        "{again}"
    );
    let said = respond(
        &carrier,
        &path,
        "CA-voice-yes",
        &holder,
        &[("SpeechResult", "Yes, it was me"), ("Confidence", "0.91")],
    )
    .await;
    assert!(
        said.contains("approved") && said.contains("<Hangup/>"),
        "{said}"
    );
    assert_eq!(alert_status(&app, &alert).await, "genuine");

    // As an SMS YES: the retry goes through, and the card stays active.
    assert_the_retry_is_approved(&app, &token, &holder).await;
    app.stop().await;
}

#[tokio::test]
async fn challenge_call_webhooks_refuse_forged_and_foreign_requests_and_unclear_answers_leave_it_open()
 {
    let (hook_url, hook) = webhook(0).await;
    let app = app_with_voice(&hook_url).await;
    let token = app.token(Role::Integration).await;
    let first = holder_with_card(&app, 2, "4000 0566 5566 5556").await;
    let second = holder_with_card(&app, 3, "4111 1111 1111 1111").await;
    let alert = challenged(&app, &token, &first).await["alert_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = challenged(&app, &token, &second).await["alert_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = placed_call(&app, &hook, &first, &alert).await;
    let other_path = placed_call(&app, &hook, &second, &other).await;
    let carrier = Provider::new(&app);

    // Unsigned, or signed with another token: refused, as problem details.
    let unsigned = carrier
        .post_raw(&path, &params("CA-forged", &first, &[]), None)
        .await;
    assert_eq!(unsigned.status, StatusCode::FORBIDDEN, "{}", unsigned.body);
    assert!(
        unsigned.body.contains("X-Twilio-Signature"),
        "{}",
        unsigned.body
    );
    let forger = RequestSigner::new("not-the-carrier-token").unwrap();
    let url = format!("{}{path}", app.url);
    let forged_params = params("CA-forged", &first, &[]);
    let forged = carrier
        .post_raw(
            &path,
            &forged_params,
            Some(forger.sign(&url, &forged_params)),
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    // Signed by the carrier, but for a URL whose key is not the alert's: unknown.
    let (base, _key) = path.rsplit_once('/').unwrap();
    let guessed = carrier
        .post(
            &format!("{base}/AAAAAAAAAAAAAAAAAAAAAA"),
            params("CA-guess", &first, &[]),
        )
        .await;
    assert_eq!(guessed.status, StatusCode::NOT_FOUND, "{}", guessed.body);
    let other_key = other_path.rsplit_once('/').unwrap().1;
    let swapped = carrier
        .post(
            &format!("{base}/{other_key}"),
            params("CA-swap", &first, &[]),
        )
        .await;
    assert_eq!(swapped.status, StatusCode::NOT_FOUND, "{}", swapped.body);
    // Answers for a call that never started: unknown.
    let unstarted = carrier
        .post(
            &format!("{path}?step=answer"),
            params("CA-never", &first, &[("Digits", "2")]),
        )
        .await;
    assert_eq!(
        unstarted.status,
        StatusCode::NOT_FOUND,
        "{}",
        unstarted.body
    );
    assert_eq!(alert_status(&app, &alert).await, "challenged");

    // The call placed for one challenge cannot answer another.
    pick_up(&carrier, &path, "CA-first", &first).await;
    let foreign = carrier
        .post(
            &format!("{other_path}?step=answer"),
            params("CA-first", &first, &[("Digits", "2")]),
        )
        .await;
    assert_eq!(foreign.status, StatusCode::FORBIDDEN, "{}", foreign.body);
    assert_eq!(alert_status(&app, &other).await, "challenged");
    // Nor can the IVR's own webhooks move it.
    let ivr = carrier
        .post(
            "/telephony/twiml/action",
            params("CA-first", &first, &[("Digits", "2")]),
        )
        .await;
    assert_eq!(ivr.status, StatusCode::CONFLICT, "{}", ivr.body);

    // An invalid key, then unclear speech: asked once more, then goodbye; the challenge stays
    // open for the analysts.
    let again = respond(&carrier, &path, "CA-first", &first, &[("Digits", "7")]).await;
    assert!(
        again.contains("not one of the choices") && again.contains("<Gather"),
        "{again}"
    );
    let bye = respond(
        &carrier,
        &path,
        "CA-first",
        &first,
        &[
            ("SpeechResult", "what is this about"),
            ("Confidence", "0.9"),
        ],
    )
    .await;
    assert!(
        bye.contains("fraud specialist will review") && bye.contains("<Hangup/>"),
        "{bye}"
    );
    assert_eq!(alert_status(&app, &alert).await, "challenged");

    // The other call is not picked up: its final status ends it, and its challenge stays open.
    let status = carrier
        .post(
            &other_path,
            params("CA-second", &second, &[("CallStatus", "no-answer")]),
        )
        .await;
    assert_eq!(status.status, StatusCode::OK, "{}", status.body);
    assert_eq!(alert_status(&app, &other).await, "challenged");
    let analyst = app.token(Role::FraudAnalyst).await;
    let queue: Vec<Value> = app
        .client()
        .get(format!("{}/api/v1/fraud/alerts", app.url))
        .bearer_auth(&analyst)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for id in [&alert, &other] {
        assert!(
            queue.iter().any(|a| a["id"] == id.as_str()),
            "{id} waits for an analyst"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn without_a_voice_provider_a_challenge_places_no_call() {
    let (hook_url, hook) = webhook(0).await;
    let mut settings = server::config::Settings::default();
    let n = &mut settings.notifications;
    n.sms = Via::Webhook;
    n.webhook.url = hook_url.clone();
    n.webhook.secret = SECRET.to_owned();
    let app = TestApp::spawn_with(Options {
        settings,
        ..Options::default()
    })
    .await;
    let token = app.token(Role::Integration).await;
    let holder = holder_with_card(&app, 0, "4111 1111 1111 1111").await;
    challenged(&app, &token, &holder).await;
    crate::eventually("the SMS", async || {
        channel_count(&hook, "sms", "fraud-challenge") == 1
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(channel_count(&hook, "voice", "fraud-challenge"), 0);
    let agent = app.token(Role::Agent).await;
    let listed: Vec<Value> = app
        .client()
        .get(format!(
            "{}/api/v1/notifications?cardholder={}",
            app.url, holder.id
        ))
        .bearer_auth(&agent)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(listed.iter().all(|n| n["channel"] != "voice"), "{listed:?}");
    app.stop().await;
}
