//! Fraud monitoring over HTTP: authorizations decided and stored, the "was this you?" challenge
//! answered NO by SMS (card locked, dispute filed, then the fraud case and the replacement from
//! `fraud.confirmed`) or YES (the retry is approved), unanswered challenges in the analysts' queue,
//! malformed and unknown-card authorizations, and a restart in the middle of a load that loses
//! no acknowledged decision.

use domain::{AccountId, CardId, Currency, Role, Tier};
use reqwest::StatusCode;
use serde_json::{Value, json};
use server::testkit::{Options, TestApp};
use store::{CardAccount, Effects, Page};

/// A demo cardholder with a phone and an active card.
pub(crate) struct Holder {
    pub(crate) id: domain::CardholderId,
    pub(crate) phone: String,
    pub(crate) card: CardId,
}

/// The card is written with the server's own keys, so it can be found by its number too.
pub(crate) async fn holder_with_card(app: &TestApp, nth: usize, pan: &str) -> Holder {
    let store = &app.store;
    let now = domain::Clock::now(&domain::SystemClock);
    let holder = store
        .search_cardholders(
            "",
            Page {
                limit: 50,
                offset: 0,
            },
        )
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.phone.is_some())
        .nth(nth)
        .expect("a demo cardholder with a phone");
    let account = CardAccount {
        id: AccountId::new(),
        cardholder_id: holder.id,
        product: "Gold Card".to_owned(),
        tier: Tier::Gold,
        currency: Currency::USD,
        rewards_balance: 0,
        opened_at: now,
    };
    store
        .insert_card_account(&account, Effects::none())
        .await
        .unwrap();
    let keys = server::cards::keys(&app.state).unwrap();
    let pan = cards::Pan::parse(pan).unwrap();
    let id = CardId::new();
    let mut record = store::CardRecord {
        card: cards::Card::issue(
            id,
            account.id,
            account.cardholder_id,
            account.tier,
            &pan,
            cards::Expiry::new(2031, 8).unwrap(),
            now,
        ),
        pan_lookup: keys.pan_lookup(&pan),
        pan_encrypted: keys
            .encrypt_pan(
                id,
                &pan,
                &mut cards::rand_core::UnwrapErr(getrandom::SysRng),
            )
            .unwrap(),
        security_code_hash: keys
            .security_code_hash(id, &cards::SecurityCode::parse("123").unwrap()),
        pin_hash: None,
        alerts: Default::default(),
        version: 0,
        issued_at: now,
    };
    record.card.state = cards::CardState::Active { since: now };
    store.insert_card(&record, Effects::none()).await.unwrap();
    Holder {
        id: holder.id,
        phone: holder.phone.unwrap(),
        card: record.card.id,
    }
}

pub(crate) fn purchase(
    card: &str,
    city: (&str, &str, f64, f64),
    minutes_ago: i64,
    amount: &str,
) -> Value {
    let (name, country, lat, lon) = city;
    let at =
        domain::Clock::now(&domain::SystemClock) - jiff::SignedDuration::from_mins(minutes_ago);
    json!({
        "card_id": card,
        "amount": amount,
        "currency": if country == "JP" { "JPY" } else { "USD" },
        "merchant": {"id": format!("M-{name}"), "name": format!("{name} Market"), "mcc": "5411",
                     "country": country, "city": name, "lat": lat, "lon": lon},
        "card_present": true,
        "timestamp": at.to_string(),
    })
}

const TOKYO: (&str, &str, f64, f64) = ("Tokyo", "JP", 35.68, 139.69);
pub(crate) const SAO_PAULO: (&str, &str, f64, f64) = ("Sao Paulo", "BR", -23.55, -46.63);

pub(crate) async fn authorize(app: &TestApp, token: &str, body: &Value) -> Value {
    let response = app
        .client()
        .post(format!("{}/api/v1/authorizations", app.url))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

fn signals(decision: &Value) -> Vec<String> {
    decision["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["signal"].as_str().unwrap().to_owned())
        .collect()
}

/// A purchase in Tokyo, then the same card in São Paulo 40 minutes later: challenged.
pub(crate) async fn challenged(app: &TestApp, token: &str, holder: &Holder) -> Value {
    let card = holder.card.to_string();
    let home = authorize(app, token, &purchase(&card, TOKYO, 60, "3500")).await;
    assert_eq!(home["decision"], "approve", "{home}");
    let clone = authorize(app, token, &purchase(&card, SAO_PAULO, 20, "80.00")).await;
    assert_eq!(clone["decision"], "challenge", "{clone}");
    assert!(
        signals(&clone).contains(&"impossible_travel".to_owned()),
        "{clone}"
    );
    clone
}

/// The cardholder's SMS reply to "was this you?", as the SMS provider's webhook posts it.
pub(crate) async fn sms_reply(
    app: &TestApp,
    token: &str,
    holder: &Holder,
    body: &str,
) -> reqwest::Response {
    app.client()
        .post(format!("{}/api/v1/fraud/sms-replies", app.url))
        .bearer_auth(token)
        .json(&json!({"from": holder.phone, "body": body}))
        .send()
        .await
        .unwrap()
}

/// After a YES, the held purchase goes through on retry and the card stays active.
pub(crate) async fn assert_the_retry_is_approved(app: &TestApp, token: &str, holder: &Holder) {
    let retry = authorize(
        app,
        token,
        &purchase(&holder.card.to_string(), SAO_PAULO, 19, "80.00"),
    )
    .await;
    assert_eq!(retry["decision"], "approve", "{retry}");
    let card = app.store.card_by_id(holder.card).await.unwrap().unwrap();
    assert!(matches!(card.card.state, cards::CardState::Active { .. }));
}

/// After a genuine answer: a purchase back in Tokyo, then São Paulo again within minutes.
async fn challenged_again(app: &TestApp, token: &str, holder: &Holder) -> Value {
    let card = holder.card.to_string();
    authorize(app, token, &purchase(&card, TOKYO, 10, "2000")).await;
    let mut elsewhere = purchase(&card, SAO_PAULO, 2, "75.00");
    elsewhere["merchant"]["id"] = json!("M-elsewhere");
    let clone = authorize(app, token, &elsewhere).await;
    assert_ne!(clone["decision"], "approve", "{clone}");
    clone
}

#[tokio::test]
async fn a_challenge_answered_no_by_sms_locks_the_card_and_files_a_dispute() {
    let app = TestApp::spawn().await;
    let token = app.token(Role::Integration).await;
    let holder = holder_with_card(&app, 0, "4111 1111 1111 1111").await;
    let clone = challenged(&app, &token, &holder).await;
    let alert = clone["alert_id"].as_str().unwrap().to_owned();

    // The decision is stored with its reasons; "was this you?" is in the outbox.
    let decision_id: uuid::Uuid = clone["decision_id"].as_str().unwrap().parse().unwrap();
    let stored = app.store.fraud_decision(decision_id).await.unwrap();
    assert_eq!(stored.verdict, "challenge");
    let asked = app
        .store
        .events_for_subject(&format!("cardholder:{}", holder.id))
        .await
        .unwrap();
    assert!(
        asked.iter().any(|e| e.topic == "notification.requested"
            && e.payload["template"] == "fraud-challenge"
            && e.payload["args"]["alert_id"] == alert.as_str()),
        "{asked:?}"
    );

    // The SMS webhook needs an integration token.
    let reply = json!({"from": holder.phone, "body": "NO"});
    let anonymous = app
        .client()
        .post(format!("{}/api/v1/fraud/sms-replies", app.url))
        .json(&reply)
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let answered = sms_reply(&app, &token, &holder, "NO").await;
    assert_eq!(answered.status(), StatusCode::OK);
    let answered: Value = answered.json().await.unwrap();
    assert_eq!(answered["status"], "confirmed_fraud");
    assert_eq!(answered["alerts"][0], alert.as_str());

    // Card blocked at once (locked, then reported stolen by the follow-up), zero-liability
    // dispute filed, the case and replacement requested.
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
    let events = app
        .store
        .events_for_subject(&format!("card:{}", holder.card))
        .await
        .unwrap();
    let confirmed = events
        .iter()
        .find(|e| e.topic == "fraud.confirmed")
        .expect("fraud.confirmed for the cases and cards integrations");
    assert_eq!(confirmed.payload["alert_id"], alert.as_str());
    assert_eq!(
        app.store
            .fraud_decision(decision_id)
            .await
            .unwrap()
            .label
            .unwrap()
            .label,
        "fraud"
    );

    // The follow-up of `fraud.confirmed`: a fraud case for the cardholder, the card reported
    // stolen and a replacement ordered to the address on file, noted on the case.
    let case_id = domain::CaseId(alert.parse().unwrap());
    crate::eventually("the fraud follow-up", async || {
        let card = app.store.card_by_id(holder.card).await.unwrap().unwrap();
        let noted = app.store.case_events(case_id).await.unwrap().len() > 1;
        noted && card.card.state.is_terminal()
    })
    .await;
    let case = app.store.case_by_id(case_id).await.unwrap().unwrap();
    assert_eq!(case.reason, domain::Reason::Fraud);
    assert_eq!(case.department, domain::Department::LostOrStolen);
    assert_eq!(case.cardholder, Some(holder.id));
    let card = app.store.card_by_id(holder.card).await.unwrap().unwrap();
    let cards::CardState::Stolen {
        replacement: Some(replacement),
        ..
    } = card.card.state
    else {
        panic!("reported stolen with a replacement: {:?}", card.card.state);
    };
    let new_card = app
        .store
        .card_by_id(replacement.card_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(new_card.card.cardholder_id, holder.id);
    let timeline = serde_json::to_string(&app.store.case_events(case_id).await.unwrap()).unwrap();
    assert!(
        timeline.contains(&format!("replacement ending {}", replacement.last4)),
        "{timeline}"
    );

    // A second answer is refused; the blocked card is declined from now on.
    let again = sms_reply(&app, &token, &holder, "NO").await;
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    let after = authorize(
        &app,
        &token,
        &purchase(&holder.card.to_string(), TOKYO, 1, "1200"),
    )
    .await;
    assert_eq!(after["decision"], "decline", "{after}");
    assert_eq!(signals(&after)[0], "card_status");
    app.stop().await;
}

#[tokio::test]
async fn a_challenge_answered_yes_lets_the_retry_through() {
    let app = TestApp::spawn().await;
    let token = app.token(Role::Integration).await;
    let holder = holder_with_card(&app, 1, "5555 5555 5555 4444").await;
    challenged(&app, &token, &holder).await;
    let answered = sms_reply(&app, &token, &holder, "Yes it was me").await;
    assert_eq!(answered.status(), StatusCode::OK);
    let answered: Value = answered.json().await.unwrap();
    assert_eq!(answered["status"], "genuine");
    assert_the_retry_is_approved(&app, &token, &holder).await;
    app.stop().await;
}

#[tokio::test]
async fn an_unanswered_challenge_goes_to_the_analysts_queue() {
    let mut settings = server::config::Settings::default();
    settings.fraud.challenge_answer_minutes = 0;
    let app = TestApp::spawn_with(Options {
        settings,
        ..Options::default()
    })
    .await;
    let token = app.token(Role::Integration).await;
    let holder = holder_with_card(&app, 2, "4000 0566 5566 5556").await;
    let clone = challenged(&app, &token, &holder).await;

    let analyst = app.token(Role::FraudAnalyst).await;
    let agent = app.token(Role::Agent).await;
    let url = format!("{}/api/v1/fraud/alerts", app.url);
    let refused = app
        .client()
        .get(&url)
        .bearer_auth(&agent)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let queue: Value = app
        .client()
        .get(&url)
        .bearer_auth(&analyst)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let item = queue
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == clone["alert_id"])
        .expect("the alert is queued");
    assert_eq!(item["status"], "open", "{item}");
    assert!(item["note"].as_str().unwrap().contains("no answer"));
    assert_eq!(item["decision"]["decision"], "challenge");

    let marked = app
        .client()
        .post(format!("{url}/{}/actions", item["id"].as_str().unwrap()))
        .bearer_auth(&analyst)
        .json(&json!({"action": "mark_genuine", "note": "called the cardholder: on a trip"}))
        .send()
        .await
        .unwrap();
    assert_eq!(marked.status(), StatusCode::OK);
    let marked: Value = marked.json().await.unwrap();
    assert_eq!(marked["status"], "genuine");
    assert_eq!(marked["decision"]["label"], "genuine");

    // The agent's customer view lists the decisions.
    let decisions: Value = app
        .client()
        .get(format!(
            "{}/api/v1/cardholders/{}/fraud-decisions",
            app.url, holder.id
        ))
        .bearer_auth(&agent)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(decisions.as_array().unwrap().len(), 2);

    // The pages: the analysts' queue (with the card's timeline) and the agent's customer view.
    let another = challenged_again(&app, &token, &holder).await;
    let (browser, _) = app.staff_client("analyst@example.com").await;
    let page = browser
        .get(format!("{}/fraud", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        html.contains(another["alert_id"].as_str().unwrap()),
        "{html}"
    );
    assert!(html.contains("impossible_travel") && html.contains("<svg"));
    let (agent_browser, _) = app.staff_client("agent@example.com").await;
    let view = agent_browser
        .get(format!("{}/console/cardholders/{}", app.url, holder.id))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        view.contains("fraud-decisions") && view.contains("challenge"),
        "{view}"
    );
    app.stop().await;
}

#[tokio::test]
async fn malformed_authorizations_are_400_and_unknown_cards_are_declined() {
    let app = TestApp::spawn().await;
    let token = app.token(Role::Integration).await;
    let holder = holder_with_card(&app, 3, "4242 4242 4242 4242").await;
    let good = purchase(&holder.card.to_string(), TOKYO, 5, "3500");
    let url = format!("{}/api/v1/authorizations", app.url);
    for (field, value, says) in [
        ("amount", json!("12,50"), "amount"),
        ("currency", json!("XXXX"), "currency"),
        ("timestamp", json!("yesterday"), "timestamp"),
        ("card_present", json!("yes"), "schema"),
        (
            "merchant",
            json!({"id": "M1", "mcc": "54", "country": "US"}),
            "mcc",
        ),
        ("card_id", json!("not-a-card"), "card_id"),
    ] {
        let mut body = good.clone();
        body[field] = value;
        let response = app
            .client()
            .post(&url)
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{field}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json",
            "{field}"
        );
        let problem: Value = response.json().await.unwrap();
        assert!(
            problem["detail"].as_str().unwrap().contains(says),
            "{field}: {problem}"
        );
    }
    // A card number is found by its keyed hash; a malformed one is refused without echoing it.
    let mut by_number = good.clone();
    by_number.as_object_mut().unwrap().remove("card_id");
    by_number["card_number"] = json!("4242-4242-4242-4242");
    let decided = authorize(&app, &token, &by_number).await;
    assert_eq!(decided["decision"], "approve", "{decided}");
    let stored: uuid::Uuid = decided["decision_id"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        app.store.fraud_decision(stored).await.unwrap().card_id,
        Some(holder.card.to_string())
    );
    by_number["card_number"] = json!("4242 4242 4242 4241");
    let refused = app
        .client()
        .post(&url)
        .bearer_auth(&token)
        .json(&by_number)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let problem = refused.text().await.unwrap();
    assert!(problem.contains("card_number"), "{problem}");
    assert!(!problem.contains("4241"), "{problem}");
    by_number["card_number"] = json!("5555 5555 5555 4444");
    let unknown = authorize(&app, &token, &by_number).await;
    assert_eq!(unknown["decision"], "decline");
    assert_eq!(signals(&unknown)[0], "unknown_card");

    let mut stranger = good.clone();
    stranger["card_id"] = json!(CardId::new().to_string());
    let declined = authorize(&app, &token, &stranger).await;
    assert_eq!(declined["decision"], "decline");
    assert_eq!(signals(&declined)[0], "unknown_card");
    let no_token = app.client().post(&url).json(&good).send().await.unwrap();
    assert_eq!(no_token.status(), StatusCode::UNAUTHORIZED);
    app.stop().await;
}

#[tokio::test]
async fn a_restart_in_the_middle_of_a_load_loses_no_acknowledged_decision() {
    let app = TestApp::spawn().await;
    let token = app.token(Role::Integration).await;
    let holder = holder_with_card(&app, 4, "4000 0000 0000 0002").await;
    let card = holder.card.to_string();
    let url = format!("{}/api/v1/authorizations", app.url);
    let mut senders = Vec::new();
    for worker in 0..8 {
        let (url, token, card) = (url.clone(), token.clone(), card.clone());
        senders.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut acknowledged = Vec::new();
            for i in 0..400 {
                let body = purchase(&card, TOKYO, 600 - i, &format!("{}", 1000 + worker));
                match client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await
                {
                    Ok(r) if r.status() == StatusCode::OK => {
                        let v: Value = r.json().await.unwrap();
                        acknowledged.push(v["decision_id"].as_str().unwrap().to_owned());
                    }
                    // Refused or cut off while the server stops: not acknowledged.
                    _ => break,
                }
            }
            acknowledged
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let app = app.restart().await;
    let mut acknowledged = Vec::new();
    for sender in senders {
        acknowledged.extend(sender.await.unwrap());
    }
    assert!(!acknowledged.is_empty(), "the load ran before the restart");
    for id in &acknowledged {
        app.store
            .fraud_decision(id.parse().unwrap())
            .await
            .unwrap_or_else(|e| panic!("acknowledged decision {id} is lost: {e}"));
    }
    // The rebuilt engine still knows the card's history.
    let after = authorize(&app, &token, &purchase(&card, SAO_PAULO, 0, "80.00")).await;
    assert!(
        signals(&after).contains(&"impossible_travel".to_owned()),
        "{after}"
    );
    app.stop().await;
}
