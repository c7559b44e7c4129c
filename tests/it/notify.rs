//! Notifications to cardholders through real peers: a fraud challenge reaches a signed webhook
//! (SMS and push, an axum server here that checks the signature) and an SMTP server (a small
//! real one here that lettre speaks SMTP to); a webhook that fails is retried with backoff and
//! no channel is sent twice; the SMS reply still answers the challenge; staff can list what
//! was sent.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use domain::Role;
use serde_json::{Value, json};
use server::notify::{Provider, SmtpTls, verify};
use server::testkit::{Options, TestApp};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::fraud::{challenged, holder_with_card};

pub(crate) const SECRET: &str = "webhook-secret-for-tests";

/// A minimal SMTP server: accepts any mail and keeps each message's DATA.
async fn smtp_sink() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let mail = Arc::new(Mutex::new(Vec::new()));
    let kept = mail.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let kept = kept.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 sink.test ESMTP\r\n").await.unwrap();
                while let Ok(Some(line)) = lines.next_line().await {
                    let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                    let answer: &[u8] = match verb.as_str() {
                        "EHLO" => b"250-sink.test\r\n250 8BITMIME\r\n",
                        "HELO" | "MAIL" | "RCPT" | "RSET" | "NOOP" => b"250 OK\r\n",
                        "DATA" => {
                            write.write_all(b"354 go on\r\n").await.unwrap();
                            let mut data = String::new();
                            while let Ok(Some(l)) = lines.next_line().await {
                                if l == "." {
                                    break;
                                }
                                data.push_str(&l);
                                data.push('\n');
                            }
                            kept.lock().unwrap().push(data);
                            b"250 queued\r\n"
                        }
                        "QUIT" => {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            return;
                        }
                        _ => b"502 unknown\r\n",
                    };
                    if write.write_all(answer).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (port, mail)
}

#[derive(Default)]
pub(crate) struct Hook {
    /// Answer 503 to this many requests first.
    fail_first: Mutex<usize>,
    /// Well-signed requests answered 200.
    pub(crate) accepted: Mutex<Vec<Value>>,
    /// Requests whose signature did not verify, or that were refused on purpose.
    refused: Mutex<usize>,
    pub(crate) bad_signatures: Mutex<usize>,
    pub(crate) idempotency_keys: Mutex<Vec<String>>,
}

/// A webhook receiver that checks every signature.
pub(crate) async fn webhook(fail_first: usize) -> (String, Arc<Hook>) {
    let hook = Arc::new(Hook {
        fail_first: Mutex::new(fail_first),
        ..Hook::default()
    });
    let shared = hook.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let hook = shared.clone();
            async move {
                let header = |name: &str| {
                    headers
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_owned()
                };
                let timestamp: i64 = header("x-helpline-timestamp").parse().unwrap_or(0);
                let now = domain::Clock::now(&domain::SystemClock).as_second();
                if !verify(
                    SECRET.as_bytes(),
                    timestamp,
                    &body,
                    &header("x-helpline-signature"),
                ) || (now - timestamp).abs() > 300
                {
                    *hook.bad_signatures.lock().unwrap() += 1;
                    return StatusCode::UNAUTHORIZED;
                }
                hook.idempotency_keys
                    .lock()
                    .unwrap()
                    .push(header("idempotency-key"));
                {
                    let mut fail = hook.fail_first.lock().unwrap();
                    if *fail > 0 {
                        *fail -= 1;
                        *hook.refused.lock().unwrap() += 1;
                        return StatusCode::SERVICE_UNAVAILABLE;
                    }
                }
                let message: Value = serde_json::from_slice(&body).unwrap();
                hook.accepted.lock().unwrap().push(message);
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, hook)
}

async fn app_with_providers(hook_url: &str, smtp_port: u16) -> TestApp {
    let mut settings = server::config::Settings::default();
    let n = &mut settings.notifications;
    n.issuer_name = "Example Card Co.".to_owned();
    n.sms = Provider::Webhook;
    n.push = Provider::Webhook;
    n.email = Provider::Smtp;
    n.webhook.url = hook_url.to_owned();
    n.webhook.secret = SECRET.to_owned();
    n.smtp.host = "127.0.0.1".to_owned();
    n.smtp.port = smtp_port;
    n.smtp.tls = SmtpTls::None;
    n.smtp.from = "Example Card Co. <no-reply@example.com>".to_owned();
    TestApp::spawn_with(Options {
        settings,
        ..Options::default()
    })
    .await
}

pub(crate) fn channel_count(hook: &Hook, channel: &str, template: &str) -> usize {
    hook.accepted
        .lock()
        .unwrap()
        .iter()
        .filter(|m| m["channel"] == channel && m["template"] == template)
        .count()
}

#[tokio::test]
async fn a_fraud_challenge_is_one_signed_sms_one_push_and_one_email_and_the_reply_still_works() {
    let (smtp_port, mail) = smtp_sink().await;
    let (hook_url, hook) = webhook(0).await;
    let app = app_with_providers(&hook_url, smtp_port).await;
    let token = app.token(Role::Integration).await;
    let holder = holder_with_card(&app, 0, "4111 1111 1111 1111").await;
    let cardholder = app
        .store
        .cardholder_by_id(holder.id)
        .await
        .unwrap()
        .unwrap();
    challenged(&app, &token, &holder).await;

    crate::eventually("the SMS, the push and the email", async || {
        channel_count(&hook, "sms", "fraud-challenge") == 1
            && channel_count(&hook, "push", "fraud-challenge") == 1
            && mail.lock().unwrap().len() == 1
    })
    .await;
    let sms = hook.accepted.lock().unwrap()[0].clone();
    let sms = if sms["channel"] == "sms" {
        sms
    } else {
        hook.accepted.lock().unwrap()[1].clone()
    };
    assert_eq!(sms["to"], holder.phone.as_str());
    assert_eq!(sms["cardholder_id"], holder.id.to_string());
    let text = sms["text"].as_str().unwrap();
    assert!(
        text.contains("80.00") && text.contains("Sao Paulo Market"),
        "{text}"
    );
    assert!(!text.contains("4111"), "never a card number: {text}");
    assert_eq!(*hook.bad_signatures.lock().unwrap(), 0);
    let email = mail.lock().unwrap()[0].clone();
    assert!(email.contains(&cardholder.email), "{email}");
    assert!(email.contains("Example Card Co."), "{email}");
    assert!(email.contains("@helpline>"), "a stable Message-ID: {email}");

    // Nothing more arrives later (no duplicate from a second dispatch).
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(channel_count(&hook, "sms", "fraud-challenge"), 1);
    assert_eq!(mail.lock().unwrap().len(), 1);

    // The cardholder answers NO by SMS: the challenge is answered, and the next steps go out.
    let answered = crate::fraud::sms_reply(&app, &token, &holder, "NO").await;
    assert_eq!(answered.status(), reqwest::StatusCode::OK);
    let answered: Value = answered.json().await.unwrap();
    assert_eq!(answered["status"], "confirmed_fraud");
    crate::eventually("the next-steps SMS", async || {
        channel_count(&hook, "sms", "fraud-confirmed-next-steps") == 1
    })
    .await;

    // Staff see what was sent; cardholders and strangers do not.
    let agent = app.token(Role::Agent).await;
    let url = format!("{}/api/v1/notifications?cardholder={}", app.url, holder.id);
    let listed: Vec<Value> = app
        .client()
        .get(&url)
        .bearer_auth(&agent)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let sent = |channel: &str, template: &str| {
        listed
            .iter()
            .filter(|n| {
                n["channel"] == channel && n["template"] == template && n["status"] == "sent"
            })
            .count()
    };
    assert_eq!(sent("sms", "fraud-challenge"), 1, "{listed:?}");
    assert_eq!(sent("email", "fraud-challenge"), 1, "{listed:?}");
    assert_eq!(sent("push", "fraud-challenge"), 1, "{listed:?}");
    // …and on the customer view in the console.
    let (supervisor, _) = app.staff_client("supervisor@example.com").await;
    let view = supervisor
        .get(format!("{}/console/cardholders/{}", app.url, holder.id))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        view.contains("id=\"notifications\"") && view.contains("fraud-challenge"),
        "the customer view lists the notifications"
    );
    let anonymous = app.client().get(&url).send().await.unwrap();
    assert_eq!(anonymous.status(), reqwest::StatusCode::UNAUTHORIZED);
    let bad = app
        .client()
        .get(format!(
            "{}/api/v1/notifications?cardholder=nobody",
            app.url
        ))
        .bearer_auth(&agent)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), reqwest::StatusCode::BAD_REQUEST);
    assert_eq!(
        bad.headers()["content-type"],
        "application/problem+json",
        "a problem, not a bare error"
    );
    let audit = app
        .store
        .audit_for_subject(&format!("cardholder:{}", holder.id), store::Page::default())
        .await
        .unwrap();
    assert!(audit.iter().any(|a| a.record.action == "notification.list"));
    app.stop().await;
}

#[tokio::test]
async fn a_failing_webhook_is_retried_and_no_channel_goes_out_twice() {
    let (smtp_port, mail) = smtp_sink().await;
    // The first two webhook calls (this event's SMS and push) fail; the retry succeeds.
    let (hook_url, hook) = webhook(2).await;
    let app = app_with_providers(&hook_url, smtp_port).await;
    let token = app.token(Role::Integration).await;
    let holder = holder_with_card(&app, 1, "4111 1111 1111 1111").await;
    challenged(&app, &token, &holder).await;

    crate::eventually("the retried SMS and push", async || {
        channel_count(&hook, "sms", "fraud-challenge") == 1
            && channel_count(&hook, "push", "fraud-challenge") == 1
    })
    .await;
    assert_eq!(*hook.refused.lock().unwrap(), 2);
    // The retry reused each channel's key, so a receiver could drop a duplicate itself.
    let keys = hook.idempotency_keys.lock().unwrap().clone();
    assert_eq!(keys.len(), 4, "{keys:?}");
    let mut unique = keys.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 2, "{keys:?}");
    // The email went out on the first attempt and was not sent again with the retry.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(mail.lock().unwrap().len(), 1);
    assert_eq!(channel_count(&hook, "sms", "fraud-challenge"), 1);
    let rows = app
        .store
        .deliveries_for_cardholder(holder.id, store::Page::default())
        .await
        .unwrap();
    let attempts = |channel: &str| {
        rows.iter()
            .find(|d| d.channel == channel)
            .map(|d| (d.attempts, d.status))
            .unwrap()
    };
    assert_eq!(attempts("sms"), (2, store::DeliveryStatus::Sent));
    assert_eq!(attempts("push"), (2, store::DeliveryStatus::Sent));
    assert_eq!(attempts("email"), (1, store::DeliveryStatus::Sent));
    app.stop().await;
}

/// An agent's email reply on a case goes out through SMTP once, threaded: the reference in the
/// subject, In-Reply-To and References the cardholder's message, our loop marker.
#[tokio::test]
async fn an_agent_s_case_email_goes_out_by_smtp_threaded_to_the_cardholder_s_message() {
    let (smtp_port, mail) = smtp_sink().await;
    let (hook_url, _hook) = webhook(0).await;
    let app = app_with_providers(&hook_url, smtp_port).await;
    let token = app.token(Role::Integration).await;
    let raw = crate::channels::email(
        &[
            ("From", "Kim <kim@mail.example>"),
            ("Subject", "Where is my new card?"),
            ("Message-ID", "<kim-1@mail.example>"),
        ],
        "It has been two weeks.",
    );
    let (status, opened) = crate::channels::send_email(&app, &token, &raw).await;
    assert_eq!(status, StatusCode::CREATED, "{opened}");
    let reference = opened["case_reference"].as_str().unwrap().to_owned();
    let conversation = opened["conversation_id"].as_str().unwrap();
    let (agent, csrf) = app.staff_client("agent@example.com").await;
    let replied = agent
        .post(format!(
            "{}/api/v1/channels/email/conversations/{conversation}/reply",
            app.url
        ))
        .header("x-csrf-token", &csrf)
        .json(&json!({"body": "It was posted yesterday."}))
        .send()
        .await
        .unwrap();
    assert_eq!(replied.status(), StatusCode::CREATED);
    let mail_of = |mail: &Arc<Mutex<Vec<String>>>| {
        mail.lock()
            .unwrap()
            .iter()
            .find(|m| m.contains("It was posted yesterday."))
            .cloned()
    };
    crate::eventually("the case email", async || mail_of(&mail).is_some()).await;
    let sent = mail_of(&mail).unwrap();
    assert!(sent.contains(&reference), "{sent}");
    assert!(sent.contains("In-Reply-To: <kim-1@mail.example>"), "{sent}");
    assert!(sent.contains("References: <kim-1@mail.example>"), "{sent}");
    assert!(sent.contains("X-Loop: support@helpline.example"), "{sent}");
    assert!(sent.contains("To: kim@mail.example"), "{sent}");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let copies = mail
        .lock()
        .unwrap()
        .iter()
        .filter(|m| m.contains("It was posted yesterday."))
        .count();
    assert_eq!(copies, 1);
    app.stop().await;
}

#[test]
fn config_check_names_a_bad_provider_setting_and_never_prints_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("helpline.toml");
    std::fs::write(
        &config,
        "[notifications]\nsms = \"webhook\"\n[notifications.webhook]\nurl = \"https://sms.example.com/hook\"\n",
    )
    .unwrap();
    let check = |secret: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_helpline"))
            .arg("--data-dir")
            .arg(dir.path())
            .arg("--config")
            .arg(&config)
            .args(["config", "check"])
            .env_remove("HELPLINE_DATABASE_URL")
            .env("HELPLINE_NOTIFICATIONS__WEBHOOK__SECRET", secret)
            .output()
            .unwrap()
    };
    let short = check("short");
    assert!(!short.status.success());
    let stderr = String::from_utf8_lossy(&short.stderr);
    assert!(stderr.contains("notifications.webhook.secret"), "{stderr}");
    let good = check("a-long-enough-webhook-secret");
    assert!(
        good.status.success(),
        "{}",
        String::from_utf8_lossy(&good.stderr)
    );
    let stdout = String::from_utf8_lossy(&good.stdout);
    assert!(stdout.contains("sms = \"webhook\""), "{stdout}");
    assert!(!stdout.contains("a-long-enough-webhook-secret"), "{stdout}");
}
