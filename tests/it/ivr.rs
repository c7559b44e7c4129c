//! The IVR over TwiML webhooks: signed requests only, a call for each reason from "hello" to a
//! queued hand-off (golden TwiML), invalid keys, silence and "0" at the menus, the provider's
//! status callback, the agent's offer carrying what the call learned, and a restart mid-call.

use std::sync::Arc;

use domain::FakeClock;
use ivr::twiml::RequestSigner;
use reqwest::StatusCode;
use serde_json::{Value, json};
use server::telephony::Session;
use server::testkit::{Options, TestApp};

const CALLER: &str = "+12125550100";
const HELPLINE: &str = "+18005550199";

/// Monday 5 January 2026, 16:00 in New York: every IVR team and the New York hub are open.
fn daytime() -> Arc<FakeClock> {
    Arc::new(FakeClock::new("2026-01-05T21:00:00Z".parse().unwrap()))
}

async fn spawn() -> TestApp {
    TestApp::spawn_with(Options {
        clock: daytime(),
        ..Options::default()
    })
    .await
}

/// The telephony provider, as the server sees it: signed form posts.
pub(crate) struct Provider<'a> {
    app: &'a TestApp,
    pub(crate) signer: RequestSigner,
    /// The caller id sent with every request.
    from: String,
}

pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) body: String,
}

impl Provider<'_> {
    pub(crate) fn new(app: &TestApp) -> Provider<'_> {
        let token = app.state.secrets.twiml_auth_token.clone();
        Provider {
            app,
            signer: RequestSigner::new(&token).unwrap(),
            from: CALLER.to_owned(),
        }
    }

    pub(crate) fn params(sid: &str, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut params = vec![
            ("CallSid".to_owned(), sid.to_owned()),
            ("From".to_owned(), CALLER.to_owned()),
            ("To".to_owned(), HELPLINE.to_owned()),
            ("CallStatus".to_owned(), "in-progress".to_owned()),
            ("AccountSid".to_owned(), "AC0000".to_owned()),
        ];
        for (k, v) in extra {
            params.retain(|(name, _)| name != k);
            params.push(((*k).to_owned(), (*v).to_owned()));
        }
        params
    }

    pub(crate) async fn post_raw(
        &self,
        path: &str,
        params: &[(String, String)],
        signature: Option<String>,
    ) -> Answer {
        let mut request = reqwest::Client::new()
            .post(format!("{}{path}", self.app.url))
            .form(params);
        if let Some(signature) = signature {
            request = request.header("X-Twilio-Signature", signature);
        }
        let response = request.send().await.unwrap();
        Answer {
            status: response.status(),
            body: response.text().await.unwrap(),
        }
    }

    pub(crate) async fn post(&self, path: &str, params: Vec<(String, String)>) -> Answer {
        let url = format!("{}{path}", self.app.url);
        let signature = self.signer.sign(&url, &params);
        self.post_raw(path, &params, Some(signature)).await
    }

    async fn start(&self, sid: &str) -> String {
        let answer = self
            .post(
                "/telephony/twiml/voice",
                Self::params(sid, &[("From", &self.from)]),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        answer.body
    }

    async fn press(&self, sid: &str, keys: &str) -> String {
        self.act(sid, &[("Digits", keys)]).await
    }

    async fn say(&self, sid: &str, text: &str) -> String {
        self.act(sid, &[("SpeechResult", text), ("Confidence", "0.92")])
            .await
    }

    async fn silence(&self, sid: &str) -> String {
        self.act(sid, &[]).await
    }

    async fn act(&self, sid: &str, extra: &[(&str, &str)]) -> String {
        let mut extra = extra.to_vec();
        extra.push(("From", &self.from));
        let answer = self
            .post("/telephony/twiml/action", Self::params(sid, &extra))
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        assert!(answer.body.contains("<Response>"), "{}", answer.body);
        answer.body
    }

    async fn session(&self, sid: &str) -> Session {
        let row = self.app.store.ivr_call(sid).await.unwrap().expect("stored");
        serde_json::from_str(&row.state).unwrap()
    }
}

fn queue_of(twiml: &str) -> Option<String> {
    let start = twiml.find("<Enqueue")?;
    let open = start + twiml[start..].find('>')? + 1;
    let close = open + twiml[open..].find("</Enqueue>")?;
    Some(twiml[open..close].to_owned())
}

/// The TwiML as a golden file: the ephemeral address is replaced by a fixed one.
fn golden(app: &TestApp, steps: &[(String, String)]) -> String {
    steps
        .iter()
        .map(|(input, twiml)| format!("--- caller: {input}\n{twiml}\n"))
        .collect::<String>()
        .replace(&app.url, "https://helpline.test")
}

struct Script {
    name: &'static str,
    /// After choosing English: what the caller does until the hand-off.
    steps: &'static [&'static str],
    reason: &'static str,
    department: &'static str,
}

/// `say:` sends speech; anything else is keys; the script ends when the call is queued.
const SCRIPTS: &[Script] = &[
    Script {
        name: "lost_stolen",
        steps: &["1"],
        reason: "lost_stolen",
        department: "lost_or_stolen",
    },
    Script {
        name: "fraud",
        steps: &["2"],
        reason: "fraud",
        department: "lost_or_stolen",
    },
    Script {
        name: "billing",
        steps: &["3"],
        reason: "billing",
        department: "billing_disputes",
    },
    Script {
        name: "activation",
        steps: &["4"],
        reason: "activation",
        department: "card_services",
    },
    Script {
        name: "account",
        steps: &["5"],
        reason: "account",
        department: "account_management",
    },
    Script {
        name: "rewards",
        steps: &["6"],
        reason: "rewards",
        department: "rewards",
    },
    Script {
        name: "travel",
        steps: &["7", "1"],
        reason: "travel",
        department: "travel_and_international",
    },
    Script {
        name: "business",
        steps: &["8"],
        reason: "business",
        department: "business",
    },
    Script {
        name: "general",
        steps: &["9"],
        reason: "general",
        department: "general",
    },
    Script {
        name: "roadside",
        steps: &["say:roadside assistance"],
        reason: "roadside",
        department: "travel_and_international",
    },
];

#[tokio::test]
async fn signatures_are_checked_and_tampering_is_refused() {
    let app = spawn().await;
    let provider = Provider::new(&app);
    let params = Provider::params("CAsig1", &[]);
    let url = format!("{}/telephony/twiml/voice", app.url);
    let good = provider.signer.sign(&url, &params);

    let missing = provider
        .post_raw("/telephony/twiml/voice", &params, None)
        .await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN, "{}", missing.body);
    assert!(
        missing.body.contains("X-Twilio-Signature"),
        "{}",
        missing.body
    );

    let mut tampered = params.clone();
    tampered[1].1 = "+19995550000".to_owned();
    let answer = provider
        .post_raw("/telephony/twiml/voice", &tampered, Some(good.clone()))
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);

    let other_url = provider
        .signer
        .sign("https://elsewhere.example/telephony/twiml/voice", &params);
    let answer = provider
        .post_raw("/telephony/twiml/voice", &params, Some(other_url))
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);

    let wrong_key = RequestSigner::new("not-the-token")
        .unwrap()
        .sign(&url, &params);
    let answer = provider
        .post_raw("/telephony/twiml/voice", &params, Some(wrong_key))
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(
        app.store.ivr_call("CAsig1").await.unwrap().is_none(),
        "a refused request starts no call"
    );

    let answer = provider
        .post_raw("/telephony/twiml/voice", &params, Some(good))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert!(
        answer.body.contains("<Gather input=\"dtmf speech\""),
        "{}",
        answer.body
    );

    // A signed request without a CallSid is bad input, said as a problem.
    let answer = provider
        .post(
            "/telephony/twiml/action",
            vec![("Digits".into(), "1".into())],
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
    assert!(answer.body.contains("CallSid"), "{}", answer.body);
    // An unknown call.
    let answer = provider
        .post(
            "/telephony/twiml/action",
            Provider::params("CAnobody", &[("Digits", "1")]),
        )
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND, "{}", answer.body);
}

/// Speech that matches no menu keyword goes through the intent model: a compromised card in
/// the caller's own words reaches the lost/stolen-and-fraud team; a need it is unsure of is asked again.
#[tokio::test]
async fn free_speech_is_routed_by_the_intent_model() {
    let app = spawn().await;
    let provider = Provider::new(&app);
    let sid = "CAintent";
    provider.start(sid).await;
    provider.press(sid, "1").await;
    let unsure = provider
        .say(
            sid,
            "i would like to order some foreign currency before i go",
        )
        .await;
    assert!(
        unsure.contains("didn&apos;t quite catch") || unsure.contains("didn't quite catch"),
        "{unsure}"
    );
    assert!(queue_of(&unsure).is_none(), "{unsure}");
    let mut twiml = provider
        .say(sid, "someone copied my details and bought things online")
        .await;
    assert!(
        !twiml.contains("quite catch"),
        "understood at once: {twiml}"
    );
    for _ in 0..25 {
        if queue_of(&twiml).is_some() {
            break;
        }
        twiml = provider.press(sid, "1").await;
    }
    let queue = queue_of(&twiml).expect("queued");
    assert!(queue.starts_with("lost_or_stolen.en."), "{queue}");
}

#[tokio::test]
async fn a_call_for_each_reason_reaches_its_queue_with_golden_twiml() {
    let app = spawn().await;
    let provider = Provider::new(&app);
    for script in SCRIPTS {
        let sid = format!("CA{}", script.name);
        let mut steps = vec![("(calls)".to_owned(), provider.start(&sid).await)];
        steps.push(("1".to_owned(), provider.press(&sid, "1").await));
        let mut pending: Vec<&str> = script.steps.to_vec();
        let mut rounds = 0;
        while queue_of(&steps.last().unwrap().1).is_none() {
            rounds += 1;
            assert!(
                rounds < 25,
                "{}: never queued:\n{}",
                script.name,
                golden(&app, &steps)
            );
            let input = if pending.is_empty() {
                "1"
            } else {
                pending.remove(0)
            };
            let twiml = match input.strip_prefix("say:") {
                Some(text) => provider.say(&sid, text).await,
                None => provider.press(&sid, input).await,
            };
            steps.push((input.to_owned(), twiml));
        }
        let queue = queue_of(&steps.last().unwrap().1).unwrap();
        assert!(
            queue.starts_with(&format!("{}.en.", script.department)),
            "{}: {queue}",
            script.name
        );
        insta::assert_snapshot!(format!("twiml_{}", script.name), golden(&app, &steps));

        let session = provider.session(&sid).await;
        assert!(session.call.is_ended());
        let contact = session.contact.expect("handed to routing");
        let status = app
            .state
            .switchboard
            .contact(contact)
            .await
            .expect("in routing");
        assert_eq!(status.reason.as_str(), script.reason, "{}", script.name);
        assert_eq!(status.queue.department.as_str(), script.department);
        // A retried voice webhook answers as before and starts nothing new.
        let again = provider.start(&sid).await;
        assert_eq!(queue_of(&again).as_deref(), Some(queue.as_str()));
    }
}

/// Reaches a menu, then checks invalid keys and silence are retried, and "0" reaches a person.
async fn check_menu(provider: &Provider<'_>, sid: &str, reach: &[&str]) {
    let mut twiml = provider.start(sid).await;
    for keys in reach {
        twiml = provider.press(sid, keys).await;
    }
    let asked = twiml.clone();
    assert!(asked.contains("<Gather"), "{sid}: {asked}");
    let invalid = provider.press(sid, "*").await;
    assert!(
        invalid.contains("<Gather"),
        "{sid}: invalid keys are retried: {invalid}"
    );
    assert!(queue_of(&invalid).is_none());
    let silent = provider.silence(sid).await;
    assert!(
        silent.contains("<Gather"),
        "{sid}: silence is retried: {silent}"
    );
    let person = provider.press(sid, "0").await;
    assert!(
        queue_of(&person).is_some(),
        "{sid}: 0 reaches a person: {person}"
    );
    let session = provider.session(sid).await;
    assert_eq!(
        session.call.context().cause,
        Some(ivr::Cause::AskedForPerson),
        "{sid}"
    );
}

#[tokio::test]
async fn menus_retry_invalid_keys_and_silence_and_zero_reaches_a_person() {
    let app = spawn().await;
    let provider = Provider::new(&app);
    check_menu(&provider, "CAmenu-language", &[]).await;
    check_menu(&provider, "CAmenu-reasons", &["1"]).await;
    check_menu(&provider, "CAmenu-reasons-es", &["2"]).await;
    check_menu(&provider, "CAmenu-travel", &["1", "7"]).await;

    // Silence at every try goes to a person after the retries.
    let sid = "CAsilent";
    provider.start(sid).await;
    provider.press(sid, "1").await;
    let mut twiml = String::new();
    for _ in 0..6 {
        twiml = provider.silence(sid).await;
        if queue_of(&twiml).is_some() {
            break;
        }
    }
    assert!(queue_of(&twiml).is_some(), "{twiml}");
    assert_eq!(
        provider.session(sid).await.call.context().cause,
        Some(ivr::Cause::NoInput)
    );
    // "representative" said at a menu reaches a person too.
    let sid = "CArepresentative";
    provider.start(sid).await;
    provider.press(sid, "1").await;
    let twiml = provider.say(sid, "representative").await;
    assert!(queue_of(&twiml).is_some(), "{twiml}");
}

#[tokio::test]
async fn the_agent_offer_carries_what_the_call_learned_and_hanging_up_leaves_the_queue() {
    let app = spawn().await;
    let provider = Provider::new(&app);
    let (alex, csrf) = app.staff_client("agent@example.com").await;
    let presence = alex
        .put(format!("{}/api/v1/routing/console/presence", app.url))
        .header("x-csrf-token", &csrf)
        .json(&json!({"availability": "available"}))
        .send()
        .await
        .unwrap();
    assert_eq!(presence.status(), StatusCode::OK);

    let sid = "CAoffer";
    provider.start(sid).await;
    provider.press(sid, "1").await;
    let twiml = provider.say(sid, "representative").await;
    assert!(queue_of(&twiml).is_some(), "{twiml}");
    let console: Value = alex
        .get(format!("{}/api/v1/routing/console", app.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let offer = console["offers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["context_id"] == format!("ivr:{sid}"))
        .unwrap_or_else(|| panic!("offered to Alex: {console}"));
    let notes: Vec<&str> = offer["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(notes.contains(&"Asked for a person"), "{notes:?}");
    assert!(notes.contains(&"Not verified by the IVR"), "{notes:?}");
    assert_eq!(offer["language"], "en");

    // The caller hangs up while offered: the call ends and leaves routing.
    let contact = provider.session(sid).await.contact.unwrap();
    let status = provider
        .post(
            "/telephony/twiml/status",
            Provider::params(sid, &[("CallStatus", "completed")]),
        )
        .await;
    assert_eq!(status.status, StatusCode::NO_CONTENT, "{}", status.body);
    let row = app.store.ivr_call(sid).await.unwrap().unwrap();
    assert_eq!(row.end_status.as_deref(), Some("completed"));
    assert!(row.ended_at.is_some());
    assert!(app.state.switchboard.contact(contact).await.is_none());
    // A late action webhook for the ended call is told to hang up.
    let late = provider.press(sid, "1").await;
    assert!(late.contains("<Hangup/>"), "{late}");
    let events = app
        .store
        .events_for_subject(&format!("ivr_call:{sid}"))
        .await
        .unwrap();
    let topics: Vec<&str> = events.iter().map(|e| e.topic.as_str()).collect();
    assert_eq!(
        topics,
        ["ivr.call_started", "ivr.handed_off", "ivr.call_ended"]
    );
}

#[tokio::test]
async fn a_call_survives_a_restart_mid_call() {
    let app = spawn().await;
    let sid = "CArestart";
    {
        let provider = Provider::new(&app);
        provider.start(sid).await;
        let menu = provider.press(sid, "2").await;
        assert!(menu.contains("es-"), "Spanish chosen: {menu}");
    }
    let app = app.restart().await;
    let provider = Provider::new(&app);
    let twiml = provider.say(sid, "representante").await;
    let queue = queue_of(&twiml).unwrap_or_else(|| panic!("{twiml}"));
    assert!(
        queue.contains(".es."),
        "the call kept its language: {queue}"
    );
    let session = provider.session(sid).await;
    assert_eq!(session.call.language(), domain::Lang::Es);
    assert!(session.contact.is_some());
}

#[tokio::test]
async fn the_simulator_runs_a_flow_as_a_chat_through_the_same_interpreter() {
    let app = spawn().await;
    let (staff, csrf) = app.staff_client("agent@example.com").await;
    let page = staff
        .get(format!("{}/ivr/simulator", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("value=\"platinum\""), "{html}");

    let started = staff
        .post(format!("{}/ivr/simulator/start", app.url))
        .form(&[
            ("csrf", csrf.as_str()),
            ("flow", "demo"),
            ("caller", "platinum"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), StatusCode::OK);
    let call = started
        .url()
        .query()
        .and_then(|q| q.strip_prefix("call="))
        .unwrap()
        .to_owned();
    assert!(call.starts_with("SIM"), "{call}");
    let html = started.text().await.unwrap();
    assert!(html.contains("Thank you for calling"), "{html}");

    let send = |action: &'static str, field: &'static str, value: &'static str| {
        let staff = staff.clone();
        let url = format!("{}/ivr/simulator/step", app.url);
        let form = vec![
            ("csrf", csrf.clone()),
            ("call", call.clone()),
            ("action", action.to_owned()),
            (field, value.to_owned()),
        ];
        async move {
            let response = staff.post(url).form(&form).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            response.text().await.unwrap()
        }
    };
    send("keys", "keys", "1").await;
    let html = send("speech", "speech", "rewards").await;
    assert!(html.contains("“rewards”"), "speech is shown: {html}");
    // The demo cardholder answers the identity questions; the keys are never shown.
    send("answer", "keys", "").await;
    let html = send("answer", "keys", "").await;
    assert!(!html.contains("37990000004242"), "card digits never shown");
    let html = send("keys", "keys", "0").await;
    assert!(html.contains("id=\"destination\""), "{html}");
    assert!(
        html.contains(".premium"),
        "a verified platinum card gets priority: {html}"
    );
    assert!(html.contains("Asked for a person"), "{html}");
    assert!(html.contains("Verified ("), "{html}");
    assert!(html.contains("Enqueue"), "the TwiML is shown: {html}");
    // Nothing was queued for real.
    let session = Provider::new(&app).session(&call).await;
    assert!(session.contact.is_none());
    // Bad input is a problem, not a crash.
    let bad = staff
        .post(format!("{}/ivr/simulator/step", app.url))
        .form(&[
            ("csrf", csrf.as_str()),
            ("call", call.as_str()),
            ("action", "keys"),
            ("keys", "12ab"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert!(bad.text().await.unwrap().contains("digits, * and #"));
}

/// The `i`-th demo cardholder, their first card's number and security code, and their date of
/// birth keyed the English way (month, day, year).
pub(crate) async fn demo_caller(
    app: &TestApp,
    i: usize,
) -> (store::Cardholder, String, String, String) {
    let email = server::demo::demo_cardholder(i, "", None, jiff::Timestamp::UNIX_EPOCH)
        .unwrap()
        .email;
    let holder = app
        .store
        .cardholder_by_email(&email)
        .await
        .unwrap()
        .unwrap();
    let card = server::demo::cards::demo_card_of(i, 0).unwrap();
    let dob = holder.date_of_birth.clone().unwrap();
    let (y, rest) = dob.split_once('-').unwrap();
    let (m, d) = rest.split_once('-').unwrap();
    (
        holder,
        card.pan.reveal().to_owned(),
        card.security_code.reveal().to_owned(),
        format!("{m}{d}{y}"),
    )
}

/// Reports the first card of demo cardholder `i` by phone, calling from their number on file;
/// `shipping` is the key pressed at the shipping question. Returns the last TwiML.
async fn report_stolen(
    app: &TestApp,
    i: usize,
    sid: &str,
    shipping: &str,
) -> (String, String, store::Cardholder) {
    let (holder, number, _, dob) = demo_caller(app, i).await;
    let mut provider = Provider::new(app);
    provider.from = holder.phone.clone().unwrap();
    provider.start(sid).await;
    provider.press(sid, "1").await;
    provider.press(sid, "1").await;
    let asked = provider.press(sid, &number).await;
    assert!(asked.contains("birth"), "{asked}");
    let loss = provider.press(sid, &dob).await;
    assert!(
        loss.contains("lost or stolen"),
        "verified, asked what happened: {loss}"
    );
    provider.press(sid, "2").await;
    let mut twiml = provider.press(sid, shipping).await;
    if shipping == "3" {
        provider.press(sid, "1").await;
        twiml = provider
            .say(sid, "Hotel Example, 1 Rue de Rivoli, Paris, France")
            .await;
    }
    let told = twiml.clone();
    for _ in 0..4 {
        if queue_of(&twiml).is_some() {
            break;
        }
        twiml = provider.press(sid, "1").await;
    }
    let queue = queue_of(&twiml).unwrap_or_else(|| panic!("{told}\n{twiml}"));
    assert!(queue.starts_with("lost_or_stolen.en."), "{queue}");
    let row = app.store.ivr_call(sid).await.unwrap().unwrap();
    assert!(
        !row.state.contains(&number),
        "the card number is not in the call state"
    );
    (told, number, holder)
}

#[tokio::test]
async fn a_verified_caller_reports_a_stolen_card_against_the_cards_store() {
    let app = spawn().await;
    // Expedited to the address on file: blocked at once, replacement issued and ordered.
    let (told, number, holder) = report_stolen(&app, 3, "CAstolen", "2").await;
    assert!(
        told.contains("blocked and recorded as stolen") && told.contains("reference number is H L"),
        "the caller hears the case reference: {told}"
    );
    let cards = app.store.cards_for(holder.id).await.unwrap();
    let old = cards
        .iter()
        .find(|c| number.ends_with(&c.card.last4.to_string()))
        .unwrap();
    assert!(
        old.card.state.is_terminal(),
        "blocked at once: {:?}",
        old.card.state
    );
    let order = app
        .store
        .replacement_order(old.card.id)
        .await
        .unwrap()
        .expect("replacement ordered");
    assert_eq!(order.shipping, cards::ShippingOption::Expedited);
    let session = Provider::new(&app).session("CAstolen").await;
    let context = session.call.context();
    assert!(context.identity.level >= ivr::VerificationLevel::Basic);
    // The report is kept as a resolved case whose reference the caller heard.
    let case = reported_case(&app, context).await;
    assert_eq!(case.reason, domain::Reason::LostStolen);
    assert_eq!(case.cardholder, Some(old.card.cardholder_id));
    assert_eq!(case.status, cases::Status::Resolved);
    let heard: String = told.chars().filter(char::is_ascii_alphanumeric).collect();
    let spelled: String = case
        .reference
        .to_string()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    assert!(heard.contains(&spelled), "{spelled} in {told}");

    // Global delivery sends the card elsewhere, which needs strong verification: the card is
    // blocked at once and a person checks the address and orders the courier.
    let mut other = 4;
    while demo_caller(&app, other).await.0.phone.is_none() {
        other += 1;
    }
    let (_, number, holder) = report_stolen(&app, other, "CAglobal", "3").await;
    let cards = app.store.cards_for(holder.id).await.unwrap();
    let old = cards
        .iter()
        .find(|c| number.ends_with(&c.card.last4.to_string()))
        .unwrap();
    assert!(
        cards::can_authorize(&old.card, app.state.clock.now()).is_err(),
        "blocked at once: {:?}",
        old.card.state
    );
    let session = Provider::new(&app).session("CAglobal").await;
    assert_eq!(
        session.call.context().cause,
        Some(ivr::Cause::ServiceFailed)
    );
}

#[tokio::test]
async fn verification_balance_and_rewards_come_from_the_cards_store_and_premium_gets_priority() {
    let app = spawn().await;
    let provider = Provider::new(&app);
    let (holder, number, code, _) = demo_caller(&app, 3).await;
    let sid = "CArewards";
    provider.start(sid).await;
    provider.press(sid, "1").await;
    provider.press(sid, "6").await;
    provider.press(sid, &number).await;
    let heard = provider.press(sid, &code).await;
    let points = app
        .store
        .card_accounts_for(holder.id)
        .await
        .unwrap()
        .first()
        .unwrap()
        .rewards_balance;
    let spoken = points.to_string();
    let grouped = heard.replace(',', "");
    assert!(
        grouped.contains(&spoken),
        "the rewards balance ({points}) is read out: {heard}"
    );
    let twiml = provider.press(sid, "1").await;
    let queue = queue_of(&twiml).unwrap_or_else(|| panic!("{twiml}"));
    assert_eq!(queue, "rewards.en.premium", "a verified platinum card");
    let contact = provider.session(sid).await.contact.unwrap();
    let status = app.state.switchboard.contact(contact).await.unwrap();
    assert_eq!(status.tier, domain::Tier::Platinum);
    // A verified caller brings their relationship manager to routing.
    assert_eq!(
        status.relationship_manager,
        holder
            .relationship_manager
            .map(server::switchboard::agent_of)
    );
    assert!(status.relationship_manager.is_some());

    // Wrong security codes: three failures lock phone verification for the cardholder.
    let sid = "CAwrong";
    provider.start(sid).await;
    provider.press(sid, "1").await;
    provider.press(sid, "6").await;
    provider.press(sid, &number).await;
    let wrong = if code == "0000" { "1111" } else { "0000" };
    let mut twiml = String::new();
    for _ in 0..4 {
        twiml = provider.press(sid, wrong).await;
        if queue_of(&twiml).is_some() {
            break;
        }
    }
    assert!(queue_of(&twiml).is_some(), "{twiml}");
    let session = app
        .store
        .verification_session(holder.id, domain::Channel::Phone)
        .await
        .unwrap()
        .unwrap();
    assert!(
        session.failures() >= 1,
        "failures are recorded on the cardholder"
    );
}

/// The case of the lost/stolen report a call made in self-service.
pub(crate) async fn reported_case(app: &TestApp, context: &ivr::CallContext) -> cases::Case {
    let reference = context
        .outcomes
        .iter()
        .find_map(|o| match o {
            ivr::Outcome::LostOrStolenReported { case_reference, .. } => {
                Some(case_reference.clone())
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("reported: {:?}", context.outcomes));
    app.store
        .case_by_reference(reference.parse().unwrap())
        .await
        .unwrap()
        .expect("a case for the report")
}
