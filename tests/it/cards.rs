//! Cards over HTTP: report-lost blocks at once and orders a replacement with the right delivery
//! window; verification with step-up and lockout; disputes with documents checked by content;
//! idempotent rewards transfers; and no card number or security code in clear in the database
//! or the logs.

use std::sync::Arc;

use domain::{CardId, Clock, FakeClock, Role};
use reqwest::StatusCode;
use serde_json::{Value, json};
use server::demo::cards::demo_card_of;
use server::testkit::{Options, TestApp};

/// Friday 9 January 2026, 20:00 UTC (15:00 in New York).
const FRIDAY_EVENING: &str = "2026-01-09T20:00:00Z";

async fn app_at(at: &str) -> (TestApp, Arc<FakeClock>) {
    let clock = Arc::new(FakeClock::new(at.parse().unwrap()));
    let app = TestApp::spawn_with(Options {
        clock: clock.clone(),
        ..Options::default()
    })
    .await;
    // The server answers once its demo cards are seeded (at start-up, before serving).
    let ready = reqwest::get(format!("{}/healthz", app.url)).await.unwrap();
    assert!(ready.status().is_success());
    (app, clock)
}

/// The `i`-th demo cardholder's row.
async fn demo_holder(app: &TestApp, i: usize) -> store::Cardholder {
    let email = server::demo::demo_cardholder(i, "", None, jiff::Timestamp::UNIX_EPOCH)
        .unwrap()
        .email;
    app.store
        .cardholder_by_email(&email)
        .await
        .unwrap()
        .unwrap()
}

async fn first_card(app: &TestApp, holder: &store::Cardholder) -> store::CardRecord {
    app.store
        .cards_for(holder.id)
        .await
        .unwrap()
        .into_iter()
        .next()
        .unwrap()
}

async fn send(request: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

#[tokio::test]
async fn report_lost_blocks_at_once_and_orders_the_replacement() {
    let (app, clock) = app_at(FRIDAY_EVENING).await;
    let holder = demo_holder(&app, 0).await;
    assert_eq!(holder.time_zone, "America/New_York");
    let card = first_card(&app, &holder).await;
    assert!(cards::can_authorize(&card.card, clock.now()).is_ok());
    let (agent, csrf) = app.staff_client("agent@example.com").await;
    let report = |key: &str| {
        agent
            .post(format!(
                "{}/api/v1/cards/{}/report?channel=phone",
                app.url, card.card.id
            ))
            .header("x-csrf-token", &csrf)
            .header("idempotency-key", key)
            .json(&json!({"loss": "lost", "replacement": {"shipping": "expedited"}}))
    };

    // Not verified yet: refused, with what to ask for.
    let (status, body) = send(report("r-1")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["code"], "verification.step_up_required");
    assert!(
        body["detail"].as_str().unwrap().contains("ask for"),
        "{body}"
    );

    // Date of birth and postcode: basic verification, enough to report a card.
    let (status, body) = send(
        agent
            .post(format!(
                "{}/api/v1/cardholders/{}/verification",
                app.url, holder.id
            ))
            .header("x-csrf-token", &csrf)
            .json(&json!({
                "channel": "phone",
                "new_conversation": true,
                "date_of_birth": holder.date_of_birth,
                "postcode": holder.postcode,
            })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["outcome"]["result"], "passed");
    assert_eq!(body["session"]["level"], "basic");

    let (status, body) = send(report("r-2")).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["card"]["status"], "lost");
    assert_eq!(body["card"]["can_pay"], false);
    // Ordered on Friday 15:00 in New York: 1–2 business days from Monday.
    let window = &body["order"]["window"];
    assert_eq!(window["kind"], "business_days");
    assert_eq!(window["first"], "2026-01-12");
    assert_eq!(window["last"], "2026-01-13");
    assert_eq!(
        body["order"]["fee"]["minor"], 1500,
        "Green pays the expedited fee"
    );
    assert_eq!(body["replacement_card"]["status"], "issued");
    let number = body["card"]["number"].as_str().unwrap();
    assert!(number.starts_with("••••"), "{number}");

    // Blocked at once: the check the fraud engine runs refuses it.
    let stored = app.store.card_by_id(card.card.id).await.unwrap().unwrap();
    let refusal = cards::can_authorize(&stored.card, clock.now()).unwrap_err();
    assert_eq!(refusal.code(), "card.lost");
    let new_id: CardId = body["replacement_card"]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(matches!(
        stored.card.state,
        cards::CardState::Lost { replacement: Some(link), .. } if link.card_id == new_id
    ));
    let order = app
        .store
        .replacement_order(card.card.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(order.shipping, cards::ShippingOption::Expedited);

    // The same key replays the answer; nothing is reported twice.
    let response = report("r-2").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.headers()["idempotent-replay"], "true");
    // A new key: the card is terminal, and the refusal says so.
    let (status, body) = send(report("r-3")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "card.terminal");

    let topics: Vec<String> = app
        .store
        .events_for_subject(&format!("card:{}", card.card.id))
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.topic)
        .collect();
    assert_eq!(topics, ["card.reported_lost", "card.replacement_ordered"]);
    let audit = app
        .store
        .audit_for_subject(&format!("card:{}", card.card.id), store::Page::default())
        .await
        .unwrap();
    assert!(audit.iter().any(|a| a.record.action == "card.report"));
}

#[tokio::test]
async fn three_failed_verifications_lock_the_channel_and_raise_a_fraud_signal() {
    let (app, _clock) = app_at(FRIDAY_EVENING).await;
    let holder = demo_holder(&app, 3).await;
    let token = app.token(Role::Integration).await;
    let verify = |body: Value| {
        reqwest::Client::new()
            .post(format!(
                "{}/api/v1/integrations/cardholders/{}/verification",
                app.url, holder.id
            ))
            .bearer_auth(&token)
            .json(&body)
    };
    for left in [2, 1] {
        let (status, body) = send(verify(json!({"date_of_birth": "1901-01-01"}))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            body["outcome"],
            json!({"result": "failed", "attempts_left": left})
        );
    }
    let (_, body) = send(verify(json!({"date_of_birth": "1901-01-01"}))).await;
    assert_eq!(body["outcome"]["result"], "locked");
    // Now even right answers wait for the lock to end.
    let demo = demo_card_of(3, 0).unwrap();
    let (_, body) = send(verify(json!({
        "card_number": demo.pan.reveal(),
        "security_code": demo.security_code.reveal(),
    })))
    .await;
    assert_eq!(body["outcome"]["result"], "locked");
    let signals: Vec<_> = app
        .store
        .events_for_subject(&format!("cardholder:{}", holder.id))
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.topic == "verification.locked")
        .collect();
    assert_eq!(signals.len(), 1);
    assert_eq!(signals[0].payload["channel"], "phone");
    // Other channels are not locked: chat passes with card and code.
    let (_, body) = send(verify(json!({
        "channel": "chat",
        "card_number": demo.pan.reveal(),
        "security_code": demo.security_code.reveal(),
    })))
    .await;
    assert_eq!(body["outcome"]["result"], "passed", "{body}");
    assert_eq!(body["session"]["level"], "basic");
}

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n";

#[tokio::test]
async fn disputes_take_documents_checked_by_content() {
    let (app, _clock) = app_at(FRIDAY_EVENING).await;
    let holder = demo_holder(&app, 0).await;
    let card = first_card(&app, &holder).await;
    let (portal, csrf) = app.cardholder_client(&holder.email).await;
    let file = |key: &str, name: &str, bytes: &[u8]| {
        let form = reqwest::multipart::Form::new()
            .text("transaction", "demo-0-2")
            .text("reason", "not_received")
            .text("description", "The parcel never came.")
            .part(
                "document",
                reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_owned()),
            );
        portal
            .post(format!(
                "{}/api/v1/cards/{}/disputes",
                app.url, card.card.id
            ))
            .header("x-csrf-token", &csrf)
            .header("idempotency-key", key)
            .multipart(form)
    };
    // A text file named .pdf is refused by its content.
    let (status, body) = send(file("d-1", "receipt.pdf", b"just some text")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "dispute.invalid_document");
    // A real PDF, whatever its name.
    let (status, body) = send(file("d-2", "receipt.bin", PDF)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["status"], "filed");
    assert_eq!(body["documents"][0]["kind"], "pdf");
    assert_eq!(body["fraud"], false);
    let id = body["id"].as_str().unwrap().to_owned();
    let response = portal
        .get(format!("{}/api/v1/disputes/{id}/documents/0", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    assert_eq!(response.bytes().await.unwrap().as_ref(), PDF);

    // Staff move it on: provisional credit, then the merchant accepts, then won.
    let (agent, staff_csrf) = app.staff_client("agent@example.com").await;
    for (n, step) in [
        json!({"step": "provisional_credit"}),
        json!({"step": "merchant_response", "position": "accepts"}),
        json!({"step": "decide", "outcome": "won"}),
    ]
    .into_iter()
    .enumerate()
    {
        let (status, body) = send(
            agent
                .post(format!("{}/api/v1/disputes/{id}/steps", app.url))
                .header("x-csrf-token", &staff_csrf)
                .header("idempotency-key", format!("step-{n}"))
                .json(&step),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (_, list) = send(agent.get(format!(
        "{}/api/v1/cardholders/{}/disputes",
        app.url, holder.id
    )))
    .await;
    assert_eq!(list[0]["status"], "won");
    assert_eq!(list[0]["liability"]["amount"]["minor"], 0);
    // Another cardholder cannot read the document.
    let other = demo_holder(&app, 1).await;
    let (stranger, _) = app.cardholder_client(&other.email).await;
    let response = stranger
        .get(format!("{}/api/v1/disputes/{id}/documents/0", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

/// The provisional credit is posted to the card's account (the cardholder sees it in their
/// history), and reversed by a debit when the merchant wins a dispute that is not fraud.
#[tokio::test]
async fn a_provisional_credit_is_posted_to_the_account_and_reversed_if_the_merchant_wins() {
    let (app, _clock) = app_at(FRIDAY_EVENING).await;
    let holder = demo_holder(&app, 0).await;
    let card = first_card(&app, &holder).await;
    let disputed = app.store.transaction("demo-0-2").await.unwrap().unwrap();
    let (portal, csrf) = app.cardholder_client(&holder.email).await;
    let form = reqwest::multipart::Form::new()
        .text("transaction", "demo-0-2")
        .text("reason", "not_as_described")
        .text("description", "Not what was advertised.");
    let (status, body) = send(
        portal
            .post(format!(
                "{}/api/v1/cards/{}/disputes",
                app.url, card.card.id
            ))
            .header("x-csrf-token", &csrf)
            .header("idempotency-key", "credit-1")
            .multipart(form),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["id"].as_str().unwrap().to_owned();
    let (agent, staff_csrf) = app.staff_client("agent@example.com").await;
    let step = |n: usize, step: Value| {
        send(
            agent
                .post(format!("{}/api/v1/disputes/{id}/steps", app.url))
                .header("x-csrf-token", &staff_csrf)
                .header("idempotency-key", format!("credit-step-{n}"))
                .json(&step),
        )
    };
    let history = async || {
        let (status, list) = send(portal.get(format!(
            "{}/api/v1/cards/{}/transactions",
            app.url, card.card.id
        )))
        .await;
        assert_eq!(status, StatusCode::OK, "{list}");
        list.as_array().unwrap().clone()
    };
    let entry = |list: &[Value], suffix: &str| {
        list.iter()
            .find(|t| t["reference"] == format!("dispute-{id}-{suffix}"))
            .cloned()
    };
    assert!(
        entry(&history().await, "credit").is_none(),
        "no credit before it is given"
    );

    let (status, body) = step(0, json!({"step": "provisional_credit"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let credit = entry(&history().await, "credit").expect("the credit in the history");
    assert_eq!(
        credit["amount"],
        format!("-{}", body["amount"].as_str().unwrap())
    );
    assert_eq!(credit["status"], "posted");
    assert!(
        credit["merchant"]
            .as_str()
            .unwrap()
            .contains(&disputed.merchant),
        "{credit}"
    );
    // Replaying the step (same key) posts nothing more.
    let (status, _) = step(0, json!({"step": "provisional_credit"})).await;
    assert_eq!(status, StatusCode::OK);
    let stored = app
        .store
        .transactions_for_card(card.card.id, None, None, 5_000)
        .await
        .unwrap();
    let credits: Vec<_> = stored
        .iter()
        .filter(|t| t.reference.0.starts_with(&format!("dispute-{id}")))
        .collect();
    assert_eq!(credits.len(), 1, "{credits:?}");
    assert_eq!(credits[0].amount.minor, -disputed.amount.minor);

    // The merchant contests and wins: the credit is reversed by a debit.
    let (status, body) = step(
        1,
        json!({"step": "merchant_response", "position": "contests"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = step(2, json!({"step": "decide", "outcome": "lost"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let list = history().await;
    let reversal = entry(&list, "reversal").expect("the reversal in the history");
    assert_eq!(reversal["amount"], body["amount"]);
    assert!(
        entry(&list, "credit").is_some(),
        "the credit stays, reversed"
    );
    app.stop().await;
}

#[tokio::test]
async fn rewards_transfers_are_idempotent_and_need_step_up() {
    let (app, _clock) = app_at(FRIDAY_EVENING).await;
    let holder = demo_holder(&app, 0).await;
    let account = app.store.card_accounts_for(holder.id).await.unwrap()[0].clone();
    let before = app.store.rewards_ledger_sum(account.id).await.unwrap();
    assert!(before >= 2_000, "{before}");
    let (portal, csrf) = app.cardholder_client(&holder.email).await;
    let transfer = |key: &str, points: i64| {
        portal
            .post(format!(
                "{}/api/v1/accounts/{}/rewards/transfers",
                app.url, account.id
            ))
            .header("x-csrf-token", &csrf)
            .header("idempotency-key", key)
            .json(
                &json!({"partner": "example-air", "member_number": "EA1234567", "points": points}),
            )
    };
    // A transfer is risky: the portal asks for step-up first.
    let (status, body) = send(transfer("t-0", 1_000)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = send(
        portal
            .post(format!("{}/api/v1/me/verification", app.url))
            .header("x-csrf-token", &csrf)
            .json(&json!({
                "date_of_birth": holder.date_of_birth,
                "postcode": holder.postcode,
                "tax_id_last4": holder.tax_id_last4,
            })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["session"]["level"], "strong");

    // Four concurrent requests with one key: the points move once.
    let (a, b, c, d) = tokio::join!(
        send(transfer("t-1", 1_000)),
        send(transfer("t-1", 1_000)),
        send(transfer("t-1", 1_000)),
        send(transfer("t-1", 1_000)),
    );
    for (status, body) in [&a, &b, &c, &d] {
        assert_eq!(*status, StatusCode::CREATED, "{body}");
        assert_eq!(body["points"], 1_000);
    }
    let after = app.store.rewards_ledger_sum(account.id).await.unwrap();
    assert_eq!(after, before - 1_000);
    let stored = app.store.card_account(account.id).await.unwrap().unwrap();
    assert_eq!(stored.rewards_balance, after);
    // The same key for another amount is refused; too many points are refused.
    let (status, body) = send(transfer("t-1", 2_000)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = send(transfer("t-2", 10_000_000)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains("not enough"),
        "{body}"
    );
    assert_eq!(
        app.store.rewards_ledger_sum(account.id).await.unwrap(),
        after
    );
}

#[tokio::test]
async fn cardholders_lock_and_unlock_their_own_cards_only() {
    let (app, clock) = app_at(FRIDAY_EVENING).await;
    let holder = demo_holder(&app, 0).await;
    let card = first_card(&app, &holder).await;
    let (portal, csrf) = app.cardholder_client(&holder.email).await;
    let act = |what: &str, id: CardId, key: &str| {
        portal
            .post(format!("{}/api/v1/cards/{id}/{what}", app.url))
            .header("x-csrf-token", &csrf)
            .header("idempotency-key", key)
    };
    let (status, body) = send(act("lock", card.card.id, "l-1")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "locked");
    let stored = app.store.card_by_id(card.card.id).await.unwrap().unwrap();
    assert_eq!(
        cards::can_authorize(&stored.card, clock.now())
            .unwrap_err()
            .code(),
        "card.locked"
    );
    let (status, body) = send(act("unlock", card.card.id, "u-1")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "active");
    // No Idempotency-Key: a 400 that says what to send.
    let (status, body) = send(
        portal
            .post(format!("{}/api/v1/cards/{}/lock", app.url, card.card.id))
            .header("x-csrf-token", &csrf),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["code"], "request.idempotency_key");
    // Someone else's card does not exist for them.
    let other = first_card(&app, &demo_holder(&app, 1).await).await;
    let (status, _) = send(act("lock", other.card.id, "l-2")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn purchases_raise_spending_alerts_and_earn_points() {
    let (app, _clock) = app_at(FRIDAY_EVENING).await;
    let holder = demo_holder(&app, 0).await;
    let card = first_card(&app, &holder).await;
    let account = app.store.card_accounts_for(holder.id).await.unwrap()[0].clone();
    let before = app.store.rewards_ledger_sum(account.id).await.unwrap();
    let token = app.token(Role::Integration).await;
    let (status, body) = send(
        reqwest::Client::new()
            .post(format!(
                "{}/api/v1/cards/{}/transactions",
                app.url, card.card.id
            ))
            .bearer_auth(&token)
            .header("idempotency-key", "tx-1")
            .json(&json!({
                "reference": "it-tx-1", "amount": "750.00", "merchant": "Example Jewels",
                "merchant_country": "US", "status": "posted"
            })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["alerts"], 1, "over the demo's 500.00 threshold");
    assert_eq!(body["points"], 750, "Green earns 1 point per dollar");
    assert_eq!(
        app.store.rewards_ledger_sum(account.id).await.unwrap(),
        before + 750
    );
    let alerts = app
        .store
        .events_for_subject(&format!("card:{}", card.card.id))
        .await
        .unwrap();
    assert!(alerts.iter().any(|e| e.topic == "card.spending_alert"));
    let (agent, _) = app.staff_client("agent@example.com").await;
    let (status, list) = send(agent.get(format!(
        "{}/api/v1/cards/{}/transactions?merchant=jewels",
        app.url, card.card.id
    )))
    .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["amount"], "750.00");
    let (status, body) = send(agent.get(format!(
        "{}/api/v1/cards/{}/transactions?from=yesterday",
        app.url, card.card.id
    )))
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

/// Every demo card number and security code, and the verification answers a test sends, must
/// be absent in clear from the database files and from the server's log.
#[tokio::test]
async fn no_card_number_or_security_code_in_clear_in_the_database_or_the_logs() {
    let dir = tempfile::tempdir().unwrap();
    let log = std::fs::File::create(dir.path().join("server.log")).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_helpline"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["serve", "--demo", "--addr", "127.0.0.1:0"])
        .env_remove("HELPLINE_DATABASE_URL")
        .env("RUST_LOG", "debug")
        .stdout(std::process::Stdio::piped())
        .stderr(log)
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut first).unwrap();
    let url = first
        .trim()
        .strip_prefix("Helpline is running at ")
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    let token = String::from_utf8(
        std::process::Command::new(env!("CARGO_BIN_EXE_helpline"))
            .arg("--data-dir")
            .arg(dir.path())
            .args(["token", "create", "--role", "admin", "--name", "scan"])
            .env_remove("HELPLINE_DATABASE_URL")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .trim()
    .to_owned();
    // The IVR verifies cardholder 0 by card number and code (right, then wrong).
    let holder_email = server::demo::first_cardholder_email();
    let client = reqwest::Client::new();
    let found: Value = client
        .get(format!("{url}/api/v1/cardholders?q={holder_email}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap_or(Value::Null);
    let demo = demo_card_of(0, 0).unwrap();
    let id = found[0]["id"]
        .as_str()
        .expect("the demo's first cardholder");
    for code in [demo.security_code.reveal(), "0000"] {
        let response = client
            .post(format!(
                "{url}/api/v1/integrations/cardholders/{id}/verification"
            ))
            .bearer_auth(&token)
            .json(&json!({"card_number": demo.pan.reveal(), "security_code": code}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert!(!response.text().await.unwrap().contains(demo.pan.reveal()));
    }
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    child.wait().unwrap();

    let mut scanned = Vec::new();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            scanned.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
    let db = scanned
        .iter()
        .find(|(p, _)| p.extension().is_some_and(|e| e == "sqlite"))
        .expect("the database file");
    assert!(
        db.1.windows(6).any(|w| w == b"v1.k1."),
        "the database holds encrypted card numbers"
    );
    // Every run of 15 or 16 digits in the files, then each demo number looked up in them.
    let mut runs = std::collections::HashSet::new();
    for (path, bytes) in &scanned {
        for run in bytes.split(|b| !b.is_ascii_digit()) {
            if run.len() == 15 || run.len() == 16 {
                runs.insert((String::from_utf8_lossy(run).into_owned(), path.clone()));
            }
        }
    }
    for i in 0..server::demo::DEMO_CARDHOLDERS {
        for k in 0..server::demo::cards::demo_card_count(i) {
            let card = demo_card_of(i, k).unwrap();
            for (run, path) in &runs {
                assert_ne!(
                    run,
                    card.pan.reveal(),
                    "demo card {i}/{k} in clear in {}",
                    path.display()
                );
            }
        }
    }
    let code = format!("\"security_code\":\"{}\"", demo.security_code.reveal());
    for (path, bytes) in &scanned {
        assert!(
            !bytes.windows(code.len()).any(|w| w == code.as_bytes()),
            "security code in {}",
            path.display()
        );
    }
    let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap();
    assert!(!log.is_empty(), "the server logged something to scan");
}

/// A cardholder signs in to the portal, locks a card and unlocks it again, in headless Chromium.
#[tokio::test]
async fn a_cardholder_locks_and_unlocks_a_card_in_the_portal() {
    let Some(browser) = crate::browser::Browser::start().await else {
        return;
    };
    let (app, clock) = app_at(FRIDAY_EVENING).await;
    let holder = demo_holder(&app, 0).await;
    let card = first_card(&app, &holder).await;
    let c = &browser.client;
    c.goto(&format!("{}/portal/cards", app.url)).await.unwrap();
    browser.sign_in(&holder.email).await;
    let row = format!("#card-{}", card.card.id);
    let status = browser
        .find(&format!("{row} .status"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(status, "Active");
    let number = browser
        .find(&format!("{row} .mono"))
        .await
        .text()
        .await
        .unwrap();
    assert!(number.ends_with(card.card.last4.as_str()), "{number}");
    browser
        .find(&format!("{row} button[data-action=lock]"))
        .await
        .click()
        .await
        .unwrap();
    browser.wait_for_url_containing("done=locked").await;
    let status = browser
        .find(&format!("{row} .status"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(status, "Locked");
    let stored = app.store.card_by_id(card.card.id).await.unwrap().unwrap();
    assert_eq!(
        cards::can_authorize(&stored.card, clock.now())
            .unwrap_err()
            .code(),
        "card.locked"
    );
    browser
        .find(&format!("{row} button[data-action=unlock]"))
        .await
        .click()
        .await
        .unwrap();
    browser.wait_for_url_containing("done=unlocked").await;
    let status = browser
        .find(&format!("{row} .status"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(status, "Active");
    let stored = app.store.card_by_id(card.card.id).await.unwrap().unwrap();
    assert!(cards::can_authorize(&stored.card, clock.now()).is_ok());
    browser.close().await;
    app.stop().await;
}

#[tokio::test]
async fn the_agent_customer_view_shows_cards_rewards_and_verification() {
    let (app, _clock) = app_at(FRIDAY_EVENING).await;
    let holder = demo_holder(&app, 5).await;
    let (agent, _) = app.staff_client("agent@example.com").await;
    let page = agent
        .get(format!("{}/console/cardholders/{}", app.url, holder.id))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"customer-cards\""), "{page}");
    assert!(page.contains("Business Card"));
    let cards = app.store.cards_for(holder.id).await.unwrap();
    assert_eq!(cards.len(), 2, "Business holds two cards");
    for card in &cards {
        assert!(page.contains(&card.card.masked_number()));
    }
    assert!(page.contains("Not verified on any channel"));
    // The portal page, in Spanish, for the same cardholder.
    let (portal, _) = app.cardholder_client(&holder.email).await;
    let page = portal
        .get(format!("{}/portal/cards?lang=es", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Bloquear tarjeta"), "{page}");
}
