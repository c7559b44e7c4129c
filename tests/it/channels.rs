//! Channels that feed cases (issue 7) over real HTTP: inbound email threads into the right case
//! (reference in the subject, In-Reply-To/References, our own reply's Message-ID), automatic
//! mail is recorded but never answers a case, a redelivery changes nothing, malformed MIME is a
//! recorded 400; a signed social mention gets a public reply without personal data and moves to
//! a DM carrying the case; secure messages are sealed in the database file; letters and faxes
//! are filed into cases.

use domain::Role;
use hmac::{Hmac, KeyInit, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use server::testkit::{Options, TestApp};
use sha2::Sha256;
use store::Page;

const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

pub(crate) fn email(headers: &[(&str, &str)], body: &str) -> String {
    let mut raw = String::new();
    for (name, value) in headers {
        raw.push_str(&format!("{name}: {value}\r\n"));
    }
    raw.push_str("\r\n");
    raw.push_str(body);
    raw
}

fn email_with_pdf(from: &str, subject: &str, message_id: &str, text: &str) -> String {
    let pdf = String::from_utf8(PDF.to_vec()).unwrap();
    email(
        &[
            ("From", &format!("Cardholder <{from}>")),
            ("To", "support@helpline.example"),
            ("Subject", subject),
            ("Message-ID", &format!("<{message_id}>")),
            ("MIME-Version", "1.0"),
            ("Content-Type", "multipart/mixed; boundary=\"XYZ\""),
        ],
        &format!(
            "--XYZ\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n--XYZ\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"statement.pdf\"\r\nContent-Transfer-Encoding: 7bit\r\n\r\n{pdf}\r\n--XYZ--\r\n"
        ),
    )
}

pub(crate) async fn send_email(app: &TestApp, token: &str, raw: &str) -> (StatusCode, Value) {
    let response = app
        .client()
        .post(format!("{}/api/v1/channels/email/inbound", app.url))
        .bearer_auth(token)
        .header("content-type", "message/rfc822")
        .body(raw.to_owned())
        .send()
        .await
        .unwrap();
    let status = response.status();
    if !status.is_success() {
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
    }
    (status, response.json().await.unwrap())
}

async fn bodies(app: &TestApp, conversation: &str) -> Vec<String> {
    app.store
        .messages_after(conversation.parse().unwrap(), 0, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.body)
        .collect()
}

#[tokio::test]
async fn an_email_reply_threads_into_the_right_case() {
    let app = TestApp::spawn().await;
    let token = app.token(Role::Integration).await;
    let holder = server::demo::first_cardholder_email();

    // A first email opens a case, linked to the cardholder by address, with its attachment.
    let (status, first) = send_email(
        &app,
        &token,
        &email_with_pdf(
            &holder,
            "Charge I do not recognise",
            "first-1@mail.example",
            "Please look at the attached statement.",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["new_case"], true);
    let reference = first["case_reference"].as_str().unwrap().to_owned();
    let conversation = first["conversation_id"].as_str().unwrap().to_owned();
    let case = app
        .store
        .case_by_id(first["case_id"].as_str().unwrap().parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(
        case.cardholder.is_some(),
        "the sender's address names a cardholder"
    );
    let stored = app
        .store
        .messages_after(conversation.parse().unwrap(), 0, 10)
        .await
        .unwrap();
    assert_eq!(stored[0].attachments.len(), 1);
    assert!(
        app.store
            .attachment(&stored[0].attachments[0].sha256)
            .await
            .unwrap()
            .is_some()
    );

    // Another sender's email is another case.
    let (_, other) = send_email(
        &app,
        &token,
        &email(
            &[
                ("From", "someone@elsewhere.example"),
                ("Subject", "Question"),
                ("Message-ID", "<other-1@elsewhere.example>"),
            ],
            "Hi",
        ),
    )
    .await;
    assert_eq!(other["new_case"], true);
    assert_ne!(other["case_reference"], reference.as_str());

    // A redelivery of the first email changes nothing.
    let (status, again) = send_email(
        &app,
        &token,
        &email_with_pdf(
            &holder,
            "Charge I do not recognise",
            "first-1@mail.example",
            "Please look at the attached statement.",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["disposition"], "duplicate");
    assert_eq!(bodies(&app, &conversation).await.len(), 1);

    // The agent replies: an email.outbound event with the reference in the subject.
    let (agent, csrf) = app.staff_client("agent@example.com").await;
    let response = agent
        .post(format!(
            "{}/api/v1/channels/email/conversations/{conversation}/reply",
            app.url
        ))
        .header("x-csrf-token", &csrf)
        .json(&json!({"body": "We are looking into it."}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let queued: Value = response.json().await.unwrap();
    assert!(queued["subject"].as_str().unwrap().contains(&reference));
    assert_eq!(queued["to"], holder.to_lowercase());
    let events = app
        .store
        .recent_events("email.outbound", Page::default())
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].payload["message_id"], queued["message_id"]);
    assert_eq!(
        events[0].payload["headers"]["X-Loop"],
        "support@helpline.example"
    );

    // The cardholder answers our reply: In-Reply-To our Message-ID, subject without reference.
    let (status, reply) = send_email(
        &app,
        &token,
        &email(
            &[
                ("From", &holder),
                ("Subject", "Re: thanks"),
                ("Message-ID", "<reply-2@mail.example>"),
                (
                    "In-Reply-To",
                    &format!("<{}>", queued["message_id"].as_str().unwrap()),
                ),
            ],
            "Thank you, here is more detail.",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{reply}");
    assert_eq!(reply["case_reference"], reference.as_str());
    assert_eq!(reply["conversation_id"], conversation.as_str());
    assert_eq!(reply["new_case"], false);

    // A reply found only through References (the cardholder's own first Message-ID).
    let (_, by_refs) = send_email(
        &app,
        &token,
        &email(
            &[
                ("From", &holder),
                ("Subject", "one more thing"),
                ("Message-ID", "<reply-3@mail.example>"),
                ("References", "<unknown@x.example> <first-1@mail.example>"),
            ],
            "And another detail.",
        ),
    )
    .await;
    assert_eq!(by_refs["case_reference"], reference.as_str());
    // And one by the reference in the subject alone.
    let (_, by_subject) = send_email(
        &app,
        &token,
        &email(
            &[
                ("From", &holder),
                ("Subject", &format!("Fwd: about [{reference}]")),
                ("Message-ID", "<reply-4@mail.example>"),
            ],
            "By subject. My card is 4111 1111 1111 1111.",
        ),
    )
    .await;
    assert_eq!(by_subject["case_reference"], reference.as_str());
    // A card number written into an email is not stored in clear.
    let texts = bodies(&app, &conversation).await;
    assert!(texts.last().unwrap().contains("[card number]"), "{texts:?}");
    assert!(texts.iter().all(|b| !b.contains("4111")));
    assert_eq!(bodies(&app, &conversation).await.len(), 5);

    // An out-of-office naming the case is recorded, but never answers it.
    let (status, auto) = send_email(
        &app,
        &token,
        &email(
            &[
                ("From", &holder),
                ("Subject", &format!("Automatic reply: [{reference}]")),
                ("Auto-Submitted", "auto-replied"),
                ("Message-ID", "<ooo-5@mail.example>"),
            ],
            "I am away.",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(auto["disposition"], "ignored");
    assert_eq!(auto["ignored_as"], "auto_reply");
    // Our own mail coming back (X-Loop) likewise.
    let (_, looped) = send_email(
        &app,
        &token,
        &email(
            &[
                ("From", &holder),
                ("Subject", "hello"),
                ("X-Loop", "support@helpline.example"),
                ("Message-ID", "<loop-6@mail.example>"),
            ],
            "loop",
        ),
    )
    .await;
    assert_eq!(looped["ignored_as"], "loop");
    assert_eq!(bodies(&app, &conversation).await.len(), 5);
    let items = app
        .store
        .recent_channel_items("email", Page::default())
        .await
        .unwrap();
    assert!(items.iter().any(|i| i.disposition == "auto_reply"));

    // Malformed MIME: a 400 that names the problem, recorded, nothing stored.
    let before = app
        .store
        .recent_channel_items("", Page::default())
        .await
        .unwrap()
        .len();
    let (status, problem) = send_email(&app, &token, "this is not an email at all").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(problem["code"], "email.malformed");
    let (status, _) = send_email(&app, &token, "Subject: nobody sent this\r\n\r\nbody").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // An attachment whose content is not an allowed type is refused (422), also recorded.
    let bad_attachment = email(
        &[
            ("From", &holder),
            ("Subject", "exe"),
            ("Message-ID", "<bad-7@mail.example>"),
            ("Content-Type", "multipart/mixed; boundary=\"B\""),
        ],
        "--B\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--B\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"x.pdf\"\r\n\r\nMZ not a pdf at all\r\n--B--\r\n",
    );
    let (status, problem) = send_email(&app, &token, &bad_attachment).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(
        app.store
            .recent_channel_items("", Page::default())
            .await
            .unwrap()
            .len(),
        before
    );
    let audit = app.store.recent_audit(Page::default()).await.unwrap();
    assert_eq!(
        audit
            .iter()
            .filter(|a| a.record.action == "channel.email.rejected")
            .count(),
        3
    );
    // Only integration tokens (and admins) may deliver mail.
    let response = agent
        .post(format!("{}/api/v1/channels/email/inbound", app.url))
        .header("x-csrf-token", &csrf)
        .body("From: a@b.example\r\n\r\nx")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    app.stop().await;
}

fn sign(secret: &str, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[tokio::test]
async fn a_public_mention_with_a_card_number_gets_a_clean_public_reply_and_a_dm_with_the_case() {
    let secret = "social-test-secret";
    let mut options = Options::default();
    options.settings.channels.social_webhook_secret = secret.to_owned();
    let app = TestApp::spawn_with(options).await;
    let http = app.client();
    let post = |body: String, signature: Option<String>| {
        let mut request = http
            .post(format!("{}/api/v1/channels/social/inbound", app.url))
            .header("content-type", "application/json")
            .body(body);
        if let Some(signature) = signature {
            request = request.header("x-helpline-signature", signature);
        }
        request.send()
    };
    let mention = json!({
        "network": "x",
        "kind": "mention",
        "id": "post-1001",
        "author": {"id": "u-77", "handle": "ada_l"},
        "text": "@HelplineBank my card 4111 1111 1111 1111 was charged twice!! email me at ada@example.com",
    })
    .to_string();
    let response = post(mention.clone(), Some(sign(secret, &mention)))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let outcome: Value = response.json().await.unwrap();
    let reply = outcome["public_reply"].as_str().unwrap();
    assert!(reply.starts_with("@ada_l "), "{reply}");
    for leak in ["4111", "1111", "ada@example.com"] {
        assert!(!reply.contains(leak), "{reply}");
    }
    let reference = outcome["case_reference"].as_str().unwrap();
    // The public conversation is closed; its stored copy of the post is redacted too.
    let public = outcome["conversation_id"].as_str().unwrap();
    let public_bodies = bodies(&app, public).await;
    assert!(
        public_bodies.iter().all(|b| !b.contains("4111")),
        "{public_bodies:?}"
    );
    let stored = app
        .store
        .conversation(public.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.conversation.status,
        cases::conversation::ConversationStatus::Closed
    );
    // The DM carries the case.
    let dm = outcome["direct_conversation_id"].as_str().unwrap();
    let dm_conversation = app
        .store
        .conversation(dm.parse().unwrap())
        .await
        .unwrap()
        .unwrap()
        .conversation;
    assert_eq!(
        dm_conversation.channel,
        cases::conversation::ConversationChannel::SocialDirect
    );
    assert_eq!(
        dm_conversation.case.unwrap().to_string(),
        outcome["case_id"].as_str().unwrap()
    );
    assert!(bodies(&app, dm).await[0].contains(reference));
    // What goes out: a public reply and a DM, and nothing public carries the number.
    let events = app
        .store
        .recent_events("social.reply", Page::default())
        .await
        .unwrap();
    assert_eq!(events.len(), 2);
    for event in &events {
        assert!(!event.payload.to_string().contains("4111"));
    }
    assert!(events.iter().any(|e| e.payload["visibility"] == "public" && e.payload["in_reply_to"] == "post-1001"));
    assert!(events.iter().any(|e| e.payload["visibility"] == "direct"
        && e.payload["text"].as_str().unwrap().contains(reference)));

    // The author's DM continues the same case.
    let direct = json!({"network": "x", "kind": "direct_message", "id": "dm-1", "author": {"id": "u-77", "handle": "ada_l"}, "text": "Hi, it is the card ending 1111"}).to_string();
    let outcome2: Value = post(direct.clone(), Some(sign(secret, &direct)))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(outcome2["case_reference"], reference);
    assert_eq!(outcome2["conversation_id"], dm);
    assert_eq!(outcome2["new_case"], false);
    // Redelivered: nothing changes.
    let again = post(direct.clone(), Some(sign(secret, &direct)))
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(bodies(&app, dm).await.len(), 2);

    // Bad signature → 401; signed but unknown shape → 400; both problems, both recorded.
    for (body, signature, status, code) in [
        (
            mention.clone(),
            Some(sign("wrong", &mention)),
            StatusCode::UNAUTHORIZED,
            "social.bad_signature",
        ),
        (
            mention.clone(),
            None,
            StatusCode::UNAUTHORIZED,
            "social.bad_signature",
        ),
        (
            r#"{"kind":"poke"}"#.to_owned(),
            Some(sign(secret, r#"{"kind":"poke"}"#)),
            StatusCode::BAD_REQUEST,
            "social.unknown_shape",
        ),
    ] {
        let response = post(body, signature).await.unwrap();
        assert_eq!(response.status(), status);
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["code"], code);
    }
    let audit = app.store.recent_audit(Page::default()).await.unwrap();
    assert_eq!(
        audit
            .iter()
            .filter(|a| a.record.action == "channel.social.rejected")
            .count(),
        3
    );
    app.stop().await;
}

#[tokio::test]
async fn a_secure_message_is_sealed_in_the_database_file_and_answered_within_its_target() {
    let app = TestApp::spawn().await;
    let holder = server::demo::first_cardholder_email();
    let (cardholder, csrf) = app.cardholder_client(&holder).await;
    let mut pdf = PDF.to_vec();
    pdf.extend_from_slice(b"% ATTACHMENTMARKER-QX81\n");
    let response = cardholder
        .post(format!(
            "{}/api/v1/secure-messages/attachments?file_name=letter.pdf",
            app.url
        ))
        .header("x-csrf-token", &csrf)
        .body(pdf.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let attachment: Value = response.json().await.unwrap();
    let response = cardholder
        .post(format!("{}/api/v1/secure-messages", app.url))
        .header("x-csrf-token", &csrf)
        .json(&json!({"subject": "SUBJECTMARKER-QX81", "body": "BODYMARKER-QX81 my new address is 1 Main St", "attachments": [attachment]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let thread: Value = response.json().await.unwrap();
    assert_eq!(thread["subject"], "SUBJECTMARKER-QX81");
    assert_eq!(
        thread["messages"][0]["body"],
        "BODYMARKER-QX81 my new address is 1 Main St"
    );
    let due: jiff::Timestamp = thread["reply_due"].as_str().unwrap().parse().unwrap();
    let hours = due.duration_since(app.state.clock.now()).as_secs() / 3600;
    assert!((23..=48).contains(&hours), "reply due in {hours} h");
    let id = thread["id"].as_str().unwrap();

    // An agent sees it in the list, reads it (audited) and answers: nothing awaits a reply.
    let (agent, agent_csrf) = app.staff_client("agent@example.com").await;
    let list: Value = agent
        .get(format!("{}/api/v1/secure-messages", app.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(list.as_array().unwrap().iter().any(|t| t["id"] == id));
    let response = agent
        .post(format!("{}/api/v1/secure-messages/{id}/messages", app.url))
        .header("x-csrf-token", &agent_csrf)
        .json(&json!({"body": "REPLYMARKER-QX81 updated."}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let answered: Value = response.json().await.unwrap();
    assert!(answered["reply_due"].is_null());
    assert_eq!(answered["messages"][1]["author"], "agent");
    let audit = app.store.recent_audit(Page::default()).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|a| a.record.action == "secure_message.list")
    );
    // The cardholder downloads the attachment in clear and the thread as a record.
    let sha = attachment["sha256"].as_str().unwrap();
    let bytes = cardholder
        .get(format!(
            "{}/api/v1/secure-messages/attachments/{sha}",
            app.url
        ))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&bytes[..], &pdf[..]);
    let record = cardholder
        .get(format!("{}/api/v1/secure-messages/{id}/record", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(record.contains("BODYMARKER-QX81") && record.contains("REPLYMARKER-QX81"));
    // Another cardholder sees none of it.
    let other = server::demo::demo_cardholder(1, "", None, jiff::Timestamp::UNIX_EPOCH)
        .unwrap()
        .email;
    let (stranger, _) = app.cardholder_client(&other).await;
    let response = stranger
        .get(format!("{}/api/v1/secure-messages/{id}", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let response = stranger
        .get(format!(
            "{}/api/v1/secure-messages/attachments/{sha}",
            app.url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    // The SQLite files hold none of it in clear (PostgreSQL keeps its files elsewhere). Read
    // while the server runs: what is committed is in the file or its WAL.
    if let Some(files) = app.sqlite_files() {
        assert!(
            files.iter().any(|(_, bytes)| !bytes.is_empty()),
            "the database file was read"
        );
        for (path, bytes) in files {
            for marker in [
                "BODYMARKER",
                "SUBJECTMARKER",
                "ATTACHMENTMARKER",
                "REPLYMARKER",
                "1 Main St",
            ] {
                assert!(
                    !bytes.windows(marker.len()).any(|w| w == marker.as_bytes()),
                    "{marker} is readable in {}",
                    path.display()
                );
            }
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn a_scanned_letter_is_filed_into_an_existing_case_and_bad_scans_are_refused() {
    let app = TestApp::spawn().await;
    let token = app.token(Role::Integration).await;
    let (_, first) = send_email(
        &app,
        &token,
        &email(
            &[
                ("From", "someone@elsewhere.example"),
                ("Subject", "Dispute"),
                ("Message-ID", "<d-1@x.example>"),
            ],
            "I dispute a charge",
        ),
    )
    .await;
    let reference = first["case_reference"].as_str().unwrap();
    let (agent, csrf) = app.staff_client("agent@example.com").await;
    let upload = |query: String, body: Vec<u8>| {
        agent
            .post(format!("{}/api/v1/channels/paper?{query}", app.url))
            .header("x-csrf-token", &csrf)
            .body(body)
            .send()
    };
    let png = [
        &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A][..],
        &[0u8; 32][..],
    ]
    .concat();
    let response = upload(format!("channel=fax&sender=J.%20Smith&received_on=2026-11-20&case={reference}&file_name=fax.png"), png.clone()).await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let filed: Value = response.json().await.unwrap();
    assert_eq!(filed["case_reference"], reference);
    assert_eq!(filed["new_case"], false);
    let case = app
        .store
        .case_by_reference(reference.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    let events = app.store.case_events(case.id).await.unwrap();
    assert!(
        events.iter().any(|e| e.kind.name() == "attachment_added"),
        "{events:?}"
    );
    let fax = app
        .store
        .recent_channel_items("fax", Page::default())
        .await
        .unwrap();
    assert_eq!(fax[0].detail["sender"], "J. Smith");
    assert_eq!(fax[0].detail["received_on"], "2026-11-20");
    // A letter without a case opens one.
    let response = upload(
        "channel=mail&sender=Ada&received_on=2026-11-19".to_owned(),
        PDF.to_vec(),
    )
    .await
    .unwrap();
    let letter: Value = response.json().await.unwrap();
    assert_eq!(letter["new_case"], true);

    for (query, body, status) in [
        (
            "channel=mail&sender=Ada&received_on=2026-11-19".to_owned(),
            b"GIF89a not allowed".to_vec(),
            422,
        ),
        (
            "channel=mail&sender=Ada&received_on=2099-01-01".to_owned(),
            PDF.to_vec(),
            422,
        ),
        (
            "channel=email&sender=Ada&received_on=2026-11-19".to_owned(),
            PDF.to_vec(),
            422,
        ),
        (
            "channel=mail&sender=Ada&received_on=2026-11-19&case=HL-AAA-AAA-AAA".to_owned(),
            PDF.to_vec(),
            422,
        ),
        (
            "channel=mail&sender=Ada&received_on=yesterday".to_owned(),
            PDF.to_vec(),
            400,
        ),
    ] {
        let response = upload(query.clone(), body).await.unwrap();
        assert_eq!(response.status().as_u16(), status, "{query}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn in_a_browser_a_cardholder_sends_a_secure_message_with_an_attachment_and_books_and_an_agent_sees_both()
 {
    let Some(browser) = crate::browser::Browser::start().await else {
        return;
    };
    let clock = std::sync::Arc::new(domain::FakeClock::new(
        "2026-03-02T12:00:00Z".parse().unwrap(),
    ));
    let app = TestApp::spawn_with(Options {
        clock: clock.clone(),
        ..Options::default()
    })
    .await;
    let platinum = (0..server::demo::DEMO_CARDHOLDERS)
        .find(|i| server::demo::demo_tier(*i) == domain::Tier::Platinum)
        .unwrap();
    let holder =
        server::demo::demo_cardholder(platinum, "", None, jiff::Timestamp::UNIX_EPOCH).unwrap();
    let scan_dir = tempfile::tempdir().unwrap();
    let scan = scan_dir.path().join("receipt.pdf");
    std::fs::write(&scan, PDF).unwrap();

    // The cardholder writes from the portal, with a PDF attached.
    browser
        .client
        .goto(&format!("{}/portal/messages", app.url))
        .await
        .unwrap();
    browser.sign_in(&holder.email).await;
    browser.find("nav a[href='/portal/messages']").await;
    browser
        .find("#messages-new-form input[name=subject]")
        .await
        .send_keys("Double charge at a hotel")
        .await
        .unwrap();
    browser
        .find("#messages-new-form textarea[name=body]")
        .await
        .send_keys("I was charged twice for one night.")
        .await
        .unwrap();
    browser
        .find("#messages-new-form input[type=file]")
        .await
        .send_keys(scan.to_str().unwrap())
        .await
        .unwrap();
    browser
        .find("#messages-new-form button[type=submit]")
        .await
        .click()
        .await
        .unwrap();
    browser.wait_for_url_containing("/portal/messages/").await;
    assert_eq!(
        browser.find("#thread-subject").await.text().await.unwrap(),
        "Double charge at a hotel"
    );
    assert!(
        browser
            .find("a.attachment")
            .await
            .text()
            .await
            .unwrap()
            .contains("receipt.pdf")
    );
    let due = browser.find("#thread-due").await.text().await.unwrap();
    assert!(
        due.contains("2026-03-03 12:00"),
        "premium reply target 24 h: {due}"
    );

    // And books an appointment.
    browser
        .client
        .goto(&format!(
            "{}/portal/appointments?centre=nyc&date=2026-03-03",
            app.url
        ))
        .await
        .unwrap();
    browser
        .find("#slots button.slot")
        .await
        .click()
        .await
        .unwrap();
    browser.wait_for_url_containing("done=booked").await;

    // An email arrives too.
    let token = app.token(Role::Integration).await;
    let (status, _) = send_email(
        &app,
        &token,
        &email(
            &[
                ("From", "writer@elsewhere.example"),
                ("Subject", "Statement question"),
                ("Message-ID", "<b-1@elsewhere.example>"),
            ],
            "Hello",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);

    // An agent sees the message (with its attachment), the email and the appointment.
    browser.client.delete_all_cookies().await.unwrap();
    browser
        .client
        .goto(&format!("{}/console/messages", app.url))
        .await
        .unwrap();
    browser.sign_in("agent@example.com").await;
    let email_row = browser
        .find("#messages-inbound tr.item")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        email_row.contains("writer@elsewhere.example"),
        "{email_row}"
    );
    let open = browser
        .find("#messages-inbound tr.item a")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    assert!(open.starts_with("/console/chat/"), "{open}");
    let row = browser.find("#messages-threads tr.thread a").await;
    assert_eq!(row.text().await.unwrap(), "Double charge at a hotel");
    row.click().await.unwrap();
    browser.wait_for_url_containing("/console/messages/").await;
    let body = browser
        .find("#thread-messages .body")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(body, "I was charged twice for one night.");
    let link = browser
        .find("a.attachment")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    // The agent's browser session downloads it in clear.
    let bytes = browser
        .client
        .execute_async(
            "fetch(arguments[0]).then(r => r.text()).then(t => arguments[1](t))",
            vec![json!(link)],
        )
        .await
        .unwrap();
    assert!(bytes.as_str().unwrap().starts_with("%PDF-"));
    browser
        .client
        .goto(&format!(
            "{}/console/appointments?centre=nyc&date=2026-03-03",
            app.url
        ))
        .await
        .unwrap();
    let booked = browser
        .find("#day tr.booked a")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let id = app
        .store
        .cardholder_by_email(&holder.email)
        .await
        .unwrap()
        .unwrap()
        .id;
    assert!(booked.contains(&id.to_string()), "{booked}");
    // The console page works in Spanish too.
    browser
        .client
        .goto(&format!("{}/console/messages?lang=es", app.url))
        .await
        .unwrap();
    assert_eq!(
        browser.find("h1").await.text().await.unwrap(),
        "Mensajes y correo"
    );
    browser.close().await;
    app.stop().await;
}
