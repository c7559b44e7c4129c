//! Live chat over real WebSockets: nothing lost or repeated across dropped connections, an
//! unanswered chat becomes a case, uploads are checked by content.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use server::testkit::TestApp;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as Ws;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

async fn start_guest(app: &TestApp, name: &str) -> Value {
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/chat/conversations", app.url))
        .json(&json!({"name": name, "message": "Hello, I need help with my card"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

async fn connect(app: &TestApp) -> Socket {
    let url = format!("{}/api/v1/chat/live", app.url.replace("http://", "ws://"));
    tokio_tungstenite::connect_async(url).await.unwrap().0
}

async fn join(app: &TestApp, conversation: &str, token: &str, after_seq: u64) -> Socket {
    let mut socket = connect(app).await;
    let frame = json!({"type": "join", "conversation": conversation, "guest_token": token, "after_seq": after_seq});
    socket.send(Ws::text(frame.to_string())).await.unwrap();
    socket
}

/// The next JSON frame (fails the test after 30 s of silence).
async fn next_frame(socket: &mut Socket) -> Value {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(30), socket.next())
            .await
            .expect("a frame within 30 s")
            .expect("the socket is open")
            .expect("a readable frame");
        if let Ws::Text(text) = frame {
            return serde_json::from_str(text.as_str()).unwrap();
        }
    }
}

async fn ack_of(socket: &mut Socket, key: &str) -> u64 {
    loop {
        let frame = next_frame(socket).await;
        match frame["type"].as_str() {
            Some("ack") if frame["client_key"] == key => return frame["seq"].as_u64().unwrap(),
            Some("error") => panic!("error frame: {frame}"),
            _ => {}
        }
    }
}

#[tokio::test]
async fn a_thousand_messages_across_twenty_disconnects_arrive_once_in_order() {
    const TOTAL: usize = 1000;
    const DROP_EVERY: usize = 50;
    let app = TestApp::spawn().await;
    let started = start_guest(&app, "Ada").await;
    let conversation = started["conversation_id"].as_str().unwrap().to_owned();
    let token = started["guest_token"].as_str().unwrap().to_owned();

    // The reader (the visitor's second device) drops its connection every 50 messages and
    // resumes from the last sequence number it showed.
    let reader = {
        let app_url = app.url.clone();
        let (conversation, token) = (conversation.clone(), token.clone());
        tokio::spawn(async move {
            let app = TestAppUrl(app_url);
            let mut shown: Vec<(u64, String)> = Vec::new();
            let mut last = 0u64;
            let mut drops = 0;
            let mut socket = app.join(&conversation, &token, last).await;
            while shown.iter().filter(|(_, b)| b.starts_with("msg ")).count() < TOTAL {
                let frame = next_frame(&mut socket).await;
                if frame["type"] != "message" {
                    continue;
                }
                let seq = frame["seq"].as_u64().unwrap();
                assert_eq!(seq, last + 1, "the reader got {seq} after {last}");
                last = seq;
                shown.push((seq, frame["body"].as_str().unwrap().to_owned()));
                if shown.len().is_multiple_of(DROP_EVERY) {
                    drop(socket);
                    drops += 1;
                    socket = app.join(&conversation, &token, last).await;
                }
            }
            (shown, drops)
        })
    };

    // The writer drops its connection every 50 messages right after sending, before the ack,
    // and sends that message again (same client_key) on a new connection.
    let mut writer = join(&app, &conversation, &token, 0).await;
    let mut writer_drops = 0;
    let mut seqs = Vec::new();
    for i in 0..TOTAL {
        let key = format!("m{i}");
        let frame = json!({"type": "send", "conversation": conversation, "client_key": key, "body": format!("msg {i}")});
        writer.send(Ws::text(frame.to_string())).await.unwrap();
        if (i + 1).is_multiple_of(DROP_EVERY) {
            drop(writer);
            writer_drops += 1;
            writer = join(
                &app,
                &conversation,
                &token,
                seqs.last().copied().unwrap_or(0),
            )
            .await;
            writer.send(Ws::text(frame.to_string())).await.unwrap();
        }
        seqs.push(ack_of(&mut writer, &key).await);
    }
    assert_eq!(writer_drops, 20);
    // Acknowledged sequence numbers are consecutive: the resent messages were not stored twice.
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");

    let (shown, reader_drops) = reader.await.unwrap();
    assert!(reader_drops >= 20, "{reader_drops}");
    let bodies: Vec<String> = shown
        .iter()
        .map(|(_, b)| b.clone())
        .filter(|b| b.starts_with("msg "))
        .collect();
    let expected: Vec<String> = (0..TOTAL).map(|i| format!("msg {i}")).collect();
    assert_eq!(bodies, expected);

    // The store agrees: every message once, numbered without gaps.
    let page: Value = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/chat/conversations/{conversation}/messages?after_seq={}&limit=500",
            app.url,
            seqs[0] - 1
        ))
        .header("x-chat-token", &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let stored = page["messages"].as_array().unwrap();
    assert_eq!(stored.len(), 500);
    assert_eq!(stored[0]["body"], "msg 0");
    assert_eq!(
        page["conversation"]["last_seq"].as_u64().unwrap(),
        *seqs.last().unwrap()
    );
}

/// `join` without a `TestApp` borrow, for the reader task.
struct TestAppUrl(String);

impl TestAppUrl {
    async fn join(&self, conversation: &str, token: &str, after_seq: u64) -> Socket {
        let url = format!("{}/api/v1/chat/live", self.0.replace("http://", "ws://"));
        let mut socket = tokio_tungstenite::connect_async(url).await.unwrap().0;
        let frame = json!({"type": "join", "conversation": conversation, "guest_token": token, "after_seq": after_seq});
        socket.send(Ws::text(frame.to_string())).await.unwrap();
        socket
    }
}

#[tokio::test]
async fn an_unanswered_chat_becomes_a_case_and_strangers_are_kept_out() {
    let app = TestApp::spawn().await;
    let started = start_guest(&app, "Bo").await;
    let conversation = started["conversation_id"].as_str().unwrap();
    let token = started["guest_token"].as_str().unwrap();
    assert_eq!(started["status"], "offline", "{started}");
    let reference = started["case_reference"].as_str().unwrap();
    assert!(reference.starts_with("HL-"), "{reference}");

    // The visitor sees their message and the system's note naming the case.
    let mut socket = join(&app, conversation, token, 0).await;
    let first = next_frame(&mut socket).await;
    assert_eq!(first["seq"], 1);
    assert_eq!(first["author"], "cardholder");
    let second = next_frame(&mut socket).await;
    assert_eq!(second["author"], "system");
    assert!(second["body"].as_str().unwrap().contains(reference));
    assert_eq!(next_frame(&mut socket).await["type"], "resumed");

    // Another visitor's token does not open this conversation.
    let other = start_guest(&app, "Eve").await;
    let mut intruder = join(
        &app,
        conversation,
        other["guest_token"].as_str().unwrap(),
        0,
    )
    .await;
    let refused = next_frame(&mut intruder).await;
    assert_eq!(refused["type"], "error");
    assert_eq!(refused["code"], "chat.not_found");

    // Sending before joining, bad frames and resuming ahead are explained.
    let mut fresh = connect(&app).await;
    fresh
        .send(Ws::text(
            json!({"type": "send", "conversation": conversation, "client_key": "x", "body": "hi"})
                .to_string(),
        ))
        .await
        .unwrap();
    assert_eq!(next_frame(&mut fresh).await["code"], "chat.not_joined");
    fresh.send(Ws::text("{\"type\":\"dance\"}")).await.unwrap();
    assert_eq!(next_frame(&mut fresh).await["code"], "chat.bad_frame");
    let mut ahead = join(&app, conversation, token, 99).await;
    assert_eq!(next_frame(&mut ahead).await["code"], "chat.resume_ahead");

    // A visitor without a name is asked for one.
    let nameless = reqwest::Client::new()
        .post(format!("{}/api/v1/chat/conversations", app.url))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(nameless.status(), 422);
    let problem: Value = nameless.json().await.unwrap();
    assert_eq!(problem["code"], "chat.name_required");
}

/// The first message is classified when the visitor picked no reason: an offline chat's case
/// lands with the lost/stolen-and-fraud team; a reason the visitor picked stands.
#[tokio::test]
async fn the_first_message_routes_a_chat_by_the_intent_model() {
    let app = TestApp::spawn().await;
    let case_of = async |body: Value| {
        let response = reqwest::Client::new()
            .post(format!("{}/api/v1/chat/conversations", app.url))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let started: Value = response.json().await.unwrap();
        assert_eq!(started["status"], "offline", "{started}");
        let reference: cases::CaseRef =
            started["case_reference"].as_str().unwrap().parse().unwrap();
        app.store
            .case_by_reference(reference)
            .await
            .unwrap()
            .unwrap()
    };
    let words = "someone stole my wallet with my credit card in it last night";
    let case = case_of(json!({"name": "Ana", "message": words})).await;
    assert_eq!(case.reason, domain::Reason::LostStolen);
    assert_eq!(case.department, domain::Department::LostOrStolen);
    let case = case_of(json!({"name": "Ana", "message": words, "reason": "rewards"})).await;
    assert_eq!(case.reason, domain::Reason::Rewards);
    assert_eq!(case.department, domain::Department::Rewards);
    app.stop().await;
}

#[tokio::test]
async fn uploads_are_typed_by_content_and_stored_once() {
    let app = TestApp::spawn().await;
    let started = start_guest(&app, "Cy").await;
    let token = started["guest_token"].as_str().unwrap();
    let http = reqwest::Client::new();
    let upload = |body: Vec<u8>, name: &str| {
        http.post(format!("{}/api/v1/attachments?file_name={name}", app.url))
            .header("x-chat-token", token)
            .body(body)
            .send()
    };
    let pdf = b"%PDF-1.7\n1 0 obj <<>> endobj\n".to_vec();
    let first = upload(pdf.clone(), "statement.exe").await.unwrap();
    assert_eq!(first.status(), 201);
    let reference: Value = first.json().await.unwrap();
    assert_eq!(reference["media_type"], "pdf");
    let again: Value = upload(pdf, "copy.pdf").await.unwrap().json().await.unwrap();
    assert_eq!(again["sha256"], reference["sha256"]);

    let script = upload(b"#!/bin/sh\nrm -rf /\n".to_vec(), "photo.png")
        .await
        .unwrap();
    assert_eq!(script.status(), 422);
    let problem: Value = script.json().await.unwrap();
    assert_eq!(problem["code"], "attachment.refused");

    let anonymous = http
        .post(format!("{}/api/v1/attachments?file_name=a.pdf", app.url))
        .body(b"%PDF-1.7".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}

/// Waits until an element matching `css` shows `text`.
async fn wait_for_text(browser: &super::browser::Browser, css: &str, text: &str) {
    for _ in 0..150 {
        if let Ok(items) = browser.client.find_all(fantoccini::Locator::Css(css)).await {
            for item in items {
                if item.text().await.is_ok_and(|t| t.contains(text)) {
                    return;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no {css} showed {text:?}");
}

#[tokio::test]
async fn a_visitor_chats_in_the_widget_and_an_agent_answers_in_the_console() {
    let Some(visitor) = super::browser::Browser::start().await else {
        return;
    };
    let Some(agent_browser) = super::browser::Browser::start().await else {
        return;
    };
    // Monday 21:00 UTC: New York, where the demo agent Alex works, is open.
    let clock = std::sync::Arc::new(domain::FakeClock::new(
        "2026-01-05T21:00:00Z".parse().unwrap(),
    ));
    let app = TestApp::spawn_with(server::testkit::Options {
        clock: clock.clone(),
        ..server::testkit::Options::default()
    })
    .await;
    let (alex, csrf) = app.staff_client("agent@example.com").await;
    let available = alex
        .put(format!("{}/api/v1/routing/console/presence", app.url))
        .header("x-csrf-token", &csrf)
        .json(&json!({"availability": "available"}))
        .send()
        .await
        .unwrap();
    assert_eq!(available.status(), 200);

    // The visitor starts a chat in the widget.
    visitor
        .client
        .goto(&format!("{}/chat", app.url))
        .await
        .unwrap();
    visitor
        .find("#chat-name")
        .await
        .send_keys("Ada")
        .await
        .unwrap();
    visitor
        .find("#chat-first")
        .await
        .send_keys("I lost my card in Rome")
        .await
        .unwrap();
    visitor
        .find("#chat-start-button")
        .await
        .click()
        .await
        .unwrap();
    wait_for_text(&visitor, "#chat-messages li", "I lost my card in Rome").await;

    // Alex is offered the chat and accepts it.
    let console: Value = alex
        .get(format!("{}/api/v1/routing/console", app.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let offer = &console["offers"][0];
    let contact = offer["id"].as_str().expect("an offer").to_owned();
    let conversation = offer["context_id"]
        .as_str()
        .unwrap()
        .strip_prefix("conversation:")
        .unwrap()
        .to_owned();
    let accepted = alex
        .post(format!(
            "{}/api/v1/routing/contacts/{contact}/accept",
            app.url
        ))
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 200);

    // Alex signs in in another browser, opens the chat from the console and answers.
    let b = &agent_browser;
    b.client.goto(&format!("{}/login", app.url)).await.unwrap();
    b.sign_in("agent@example.com").await;
    b.find("#console-welcome").await;
    b.client
        .goto(&format!("{}/console/contacts", app.url))
        .await
        .unwrap();
    // The console refreshes its list live, so read the link (again if it was replaced).
    let mut href = None;
    for _ in 0..50 {
        if let Ok(Some(h)) = b.find("a.open-chat").await.attr("href").await {
            href = Some(h);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let href = href.expect("the console links the chat");
    assert!(href.contains(&conversation), "{href}");
    b.client.goto(&format!("{}{href}", app.url)).await.unwrap();
    wait_for_text(b, "#chat-messages li", "I lost my card in Rome").await;
    b.find("#chat-input")
        .await
        .send_keys("Hello Ada, I am blocking it now")
        .await
        .unwrap();
    b.find("#chat-send-button").await.click().await.unwrap();

    // The visitor sees the answer, from the agent.
    wait_for_text(&visitor, "#chat-messages li.theirs", "I am blocking it now").await;
    visitor.close().await;
    agent_browser.close().await;
    app.stop().await;
}
