//! Appointments over HTTP: concurrent bookings of one slot, eligibility, reminders retired by
//! rescheduling and cancelling, slots across the DST change, and the portal and console pages.
//! The clock is fake: Monday 2026-03-02 12:00 UTC (07:00 in New York).

use std::sync::Arc;

use domain::{FakeClock, Role, Tier};
use reqwest::StatusCode;
use serde_json::{Value, json};
use server::demo::{demo_cardholder, demo_tier};
use server::testkit::{Options, TestApp};

/// Tuesday 2026-03-03 09:00 in New York (EST, UTC−5).
const TUESDAY_NINE: &str = "2026-03-03T14:00:00Z";

async fn app_at(now: &str) -> (TestApp, Arc<FakeClock>) {
    let clock = Arc::new(FakeClock::new(now.parse().unwrap()));
    let app = TestApp::spawn_with(Options {
        clock: clock.clone(),
        ..Options::default()
    })
    .await;
    (app, clock)
}

/// The e-mail addresses of the first `n` demo cardholders of these tiers.
fn demo_emails(tiers: &[Tier], n: usize) -> Vec<String> {
    (0..server::demo::DEMO_CARDHOLDERS)
        .filter(|i| tiers.contains(&demo_tier(*i)))
        .take(n)
        .map(|i| {
            demo_cardholder(i, "", None, jiff::Timestamp::UNIX_EPOCH)
                .unwrap()
                .email
        })
        .collect()
}

async fn cardholder_id(app: &TestApp, email: &str) -> String {
    app.store
        .cardholder_by_email(email)
        .await
        .unwrap()
        .unwrap()
        .id
        .to_string()
}

async fn json_of(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body: Value = response.json().await.unwrap();
    if !status.is_success() {
        assert_eq!(content_type, "application/problem+json", "{body}");
    }
    (status, body)
}

async fn undelivered_reminders(app: &TestApp, id: &str) -> Vec<Value> {
    app.store
        .events_for_subject(&format!("appointment:{id}"))
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.topic == "appointment.reminder" && e.delivered_at.is_none())
        .map(|e| e.payload)
        .collect()
}

#[tokio::test]
async fn ten_concurrent_bookings_of_a_three_seat_slot_give_three_appointments() {
    let (app, _clock) = app_at("2026-03-02T12:00:00Z").await;
    let token = app.token(Role::Agent).await;
    let emails = demo_emails(&[Tier::Platinum, Tier::Centurion], 10);
    assert_eq!(emails.len(), 10);
    let mut ids = Vec::new();
    for email in &emails {
        ids.push(cardholder_id(&app, email).await);
    }
    let http = reqwest::Client::new();
    let mut tasks = tokio::task::JoinSet::new();
    for id in &ids {
        let request = http
            .post(format!("{}/api/v1/appointments", app.url))
            .bearer_auth(&token)
            .json(&json!({"centre": "nyc", "start": TUESDAY_NINE, "cardholder_id": id}))
            .send();
        tasks.spawn(async move { json_of(request.await.unwrap()).await });
    }
    let answers = tasks.join_all().await;
    let won: Vec<&Value> = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .map(|(_, b)| b)
        .collect();
    let lost: Vec<&Value> = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::CONFLICT)
        .map(|(_, b)| b)
        .collect();
    assert_eq!(won.len(), 3, "{answers:?}");
    assert_eq!(lost.len(), 7, "{answers:?}");
    for problem in lost {
        assert_eq!(problem["code"], "appointment.slot_full");
        assert!(
            problem["detail"].as_str().unwrap().contains("fully booked"),
            "{problem}"
        );
    }
    // Three distinct seats, all at the slot's local time.
    let mut seats: Vec<&str> = won.iter().map(|b| b["id"].as_str().unwrap()).collect();
    seats.dedup();
    assert_eq!(seats.len(), 3);
    for b in &won {
        assert_eq!(b["local_start"], "2026-03-03T09:00:00");
        assert_eq!(b["booked_by"], "agent");
    }
    // The slot is no longer offered; the next one is, with all its seats.
    let (status, slots) = json_of(
        http.get(format!(
            "{}/api/v1/appointments/centres/nyc/slots?from=2026-03-03",
            app.url
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{slots}");
    let slots = slots.as_array().unwrap();
    assert!(slots.iter().all(|s| s["start"] != TUESDAY_NINE));
    assert_eq!(slots[0]["start"], "2026-03-03T14:30:00Z");
    assert_eq!(slots[0]["seats_left"], 3);
    // The centre's day lists the three.
    let (_, day) = json_of(
        http.get(format!(
            "{}/api/v1/appointments?centre=nyc&date=2026-03-03",
            app.url
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(day.as_array().unwrap().len(), 3);
    app.stop().await;
}

#[tokio::test]
async fn gold_cardholders_are_refused_with_a_clear_message() {
    let (app, _clock) = app_at("2026-03-02T12:00:00Z").await;
    let gold = &demo_emails(&[Tier::Gold], 1)[0];
    let (http, csrf) = app.cardholder_client(gold).await;
    let (status, problem) = json_of(
        http.post(format!("{}/api/v1/appointments", app.url))
            .header("x-csrf-token", &csrf)
            .json(&json!({"centre": "nyc", "start": TUESDAY_NINE}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    assert_eq!(problem["code"], "appointment.not_eligible");
    assert_eq!(
        problem["detail"],
        "Appointments at a service centre are for platinum and centurion cardholders; this card is gold."
    );
    // The portal page says so instead of offering slots.
    let page = http
        .get(format!("{}/portal/appointments", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("for Platinum and Centurion cardholders"),
        "{page}"
    );
    assert!(!page.contains("name=\"start\""), "{page}");
    // An agent cannot book for them either.
    let token = app.token(Role::Agent).await;
    let id = cardholder_id(&app, gold).await;
    let (status, _) = json_of(
        reqwest::Client::new()
            .post(format!("{}/api/v1/appointments", app.url))
            .bearer_auth(&token)
            .json(&json!({"centre": "nyc", "start": TUESDAY_NINE, "cardholder_id": id}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    app.stop().await;
}

#[tokio::test]
async fn rescheduling_and_cancelling_retire_reminders() {
    let (app, clock) = app_at("2026-03-02T12:00:00Z").await;
    let emails = demo_emails(&[Tier::Platinum], 2);
    let (http, csrf) = app.cardholder_client(&emails[0]).await;
    let post = |path: &str, body: Value| {
        http.post(format!("{}{path}", app.url))
            .header("x-csrf-token", &csrf)
            .json(&body)
            .send()
    };
    let (status, booked) = json_of(
        post(
            "/api/v1/appointments",
            json!({"centre": "nyc", "start": TUESDAY_NINE}),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{booked}");
    assert_eq!(booked["booked_by"], "cardholder");
    let first = booked["id"].as_str().unwrap().to_owned();
    // The same time again (a double-click): refused, one seat per person.
    let (status, problem) = json_of(
        post(
            "/api/v1/appointments",
            json!({"centre": "nyc", "start": TUESDAY_NINE}),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["code"], "appointment.already_booked");
    // Booked 26 h ahead: reminders 24 h and 2 h before.
    let due: Vec<Value> = undelivered_reminders(&app, &first)
        .await
        .iter()
        .map(|p| p["due_at"].clone())
        .collect();
    assert_eq!(
        due,
        vec![json!("2026-03-02T14:00:00Z"), json!("2026-03-03T12:00:00Z")]
    );
    let events = app
        .store
        .events_for_subject(&format!("appointment:{first}"))
        .await
        .unwrap();
    assert!(events.iter().any(|e| e.topic == "appointment.booked"));

    // Someone else cannot see or change it.
    let (other, other_csrf) = app.cardholder_client(&emails[1]).await;
    let stranger = other
        .post(format!("{}/api/v1/appointments/{first}/cancel", app.url))
        .header("x-csrf-token", &other_csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(stranger.status(), StatusCode::NOT_FOUND);

    // Reschedule to Wednesday 10:00 (EST): the old reminders are retired, new ones due.
    let (status, moved) = json_of(
        post(
            &format!("/api/v1/appointments/{first}/reschedule"),
            json!({"start": "2026-03-04T15:00:00Z"}),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{moved}");
    let second = moved["id"].as_str().unwrap().to_owned();
    assert_eq!(moved["replaces"], first.as_str());
    assert_eq!(moved["local_start"], "2026-03-04T10:00:00");
    assert!(undelivered_reminders(&app, &first).await.is_empty());
    assert_eq!(undelivered_reminders(&app, &second).await.len(), 2);
    let (_, old) = json_of(
        http.get(format!("{}/api/v1/appointments/{first}", app.url))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(old["status"], "cancelled");
    // A slot that does not exist is a clear 422, and nothing changes.
    let (status, problem) = json_of(
        post(
            &format!("/api/v1/appointments/{second}/reschedule"),
            json!({"start": "2026-03-04T15:10:00Z"}),
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["code"], "appointment.no_such_slot");
    assert_eq!(undelivered_reminders(&app, &second).await.len(), 2);

    // Cancel: its reminders are retired; a second cancel is 409.
    let (status, cancelled) = json_of(
        post(&format!("/api/v1/appointments/{second}/cancel"), json!({}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    assert_eq!(cancelled["status"], "cancelled");
    assert!(undelivered_reminders(&app, &second).await.is_empty());
    let (status, problem) = json_of(
        post(&format!("/api/v1/appointments/{second}/cancel"), json!({}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(problem["code"], "appointment.already_cancelled");
    let events = app
        .store
        .events_for_subject(&format!("appointment:{second}"))
        .await
        .unwrap();
    assert!(events.iter().any(|e| e.topic == "appointment.rescheduled"));
    assert!(events.iter().any(|e| e.topic == "appointment.cancelled"));
    let audit = app
        .store
        .audit_for_subject(
            &format!("cardholder:{}", booked["cardholder_id"].as_str().unwrap()),
            store::Page::default(),
        )
        .await
        .unwrap();
    for action in [
        "appointment.book",
        "appointment.reschedule",
        "appointment.cancel",
    ] {
        assert!(audit.iter().any(|a| a.record.action == action), "{action}");
    }

    // Too late for the cardholder to cancel online (1 h before); an agent still may.
    let (_, late) = json_of(
        post(
            "/api/v1/appointments",
            json!({"centre": "nyc", "start": TUESDAY_NINE}),
        )
        .await
        .unwrap(),
    )
    .await;
    let late = late["id"].as_str().unwrap().to_owned();
    clock.set("2026-03-03T13:00:00Z".parse().unwrap());
    // (A day later the session has expired: sign in again.)
    let (http, csrf) = app.cardholder_client(&emails[0]).await;
    let (status, problem) = json_of(
        http.post(format!("{}/api/v1/appointments/{late}/cancel", app.url))
            .header("x-csrf-token", &csrf)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(problem["code"], "appointment.past_cutoff");
    let token = app.token(Role::Agent).await;
    let by_agent = reqwest::Client::new()
        .post(format!("{}/api/v1/appointments/{late}/cancel", app.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(by_agent.status(), StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn slots_follow_each_centres_clock_across_the_dst_change() {
    // Thursday before the US switch to summer time (Sunday 2026-03-08).
    let (app, _clock) = app_at("2026-03-05T12:00:00Z").await;
    let token = app.token(Role::Agent).await;
    let http = reqwest::Client::new();
    let slots = |centre: &'static str, from: &'static str, to: &'static str| {
        let request = http
            .get(format!(
                "{}/api/v1/appointments/centres/{centre}/slots?from={from}&to={to}",
                app.url
            ))
            .bearer_auth(&token)
            .send();
        async move {
            let (status, body) = json_of(request.await.unwrap()).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            body.as_array().unwrap().clone()
        }
    };
    let week = slots("nyc", "2026-03-06", "2026-03-09").await;
    let first_of = |day: &str| {
        week.iter()
            .find(|s| s["local_start"].as_str().unwrap().starts_with(day))
            .map(|s| s["start"].as_str().unwrap().to_owned())
    };
    // Friday 09:00 EST, Saturday 10:00 EST, Sunday closed, Monday 09:00 EDT.
    assert_eq!(
        first_of("2026-03-06").as_deref(),
        Some("2026-03-06T14:00:00Z")
    );
    assert_eq!(
        first_of("2026-03-07").as_deref(),
        Some("2026-03-07T15:00:00Z")
    );
    assert_eq!(first_of("2026-03-08"), None);
    assert_eq!(
        first_of("2026-03-09").as_deref(),
        Some("2026-03-09T13:00:00Z")
    );
    assert_eq!(week.len(), 16 + 8 + 16);
    // Los Angeles and Chicago keep their own local hours across the change.
    let la = slots("la", "2026-03-09", "2026-03-09").await;
    assert_eq!(la[0]["start"], "2026-03-09T16:00:00Z");
    assert_eq!(la[0]["local_start"], "2026-03-09T09:00:00");
    assert_eq!(la[0]["seats_left"], 2);
    let chicago = slots("chicago", "2026-03-06", "2026-03-06").await;
    assert_eq!(chicago[0]["start"], "2026-03-06T14:30:00Z");
    // A Monday after the switch books and shows its local time.
    let id = cardholder_id(&app, &demo_emails(&[Tier::Centurion], 1)[0]).await;
    let (status, booked) = json_of(
        http.post(format!("{}/api/v1/appointments", app.url))
            .bearer_auth(&token)
            .json(&json!({"centre": "nyc", "start": "2026-03-09T13:00:00Z", "cardholder_id": id}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{booked}");
    assert_eq!(booked["local_start"], "2026-03-09T09:00:00");
    // Bad input: a holiday-free range too long, an unknown centre, a malformed date.
    for (path, status, code) in [
        (
            "/api/v1/appointments/centres/nyc/slots?from=2026-03-06&to=2026-09-01",
            StatusCode::UNPROCESSABLE_ENTITY,
            "appointment.bad_range",
        ),
        (
            "/api/v1/appointments/centres/paris/slots?from=2026-03-06",
            StatusCode::NOT_FOUND,
            "appointment.unknown_centre",
        ),
    ] {
        let (got, problem) = json_of(
            http.get(format!("{}{path}", app.url))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(got, status, "{path}: {problem}");
        assert_eq!(problem["code"], code);
    }
    let malformed = http
        .get(format!(
            "{}/api/v1/appointments/centres/nyc/slots?from=next-week",
            app.url
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert!(malformed.status().is_client_error());
    app.stop().await;
}

#[tokio::test]
async fn agents_book_for_a_cardholder_from_the_console_and_see_the_centre_day() {
    let (app, _clock) = app_at("2026-03-02T12:00:00Z").await;
    let email = &demo_emails(&[Tier::Centurion], 1)[0];
    let id = cardholder_id(&app, email).await;
    let (http, csrf) = app.staff_client("agent@example.com").await;
    let customer = http
        .get(format!("{}/console/cardholders/{id}", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        customer.contains(&format!("/console/cardholders/{id}/appointments")),
        "{customer}"
    );
    let page = format!("{}/console/cardholders/{id}/appointments", app.url);
    let form = http
        .get(format!("{page}?centre=la&date=2026-03-03"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // Los Angeles opens at 09:00 local = 17:00 UTC.
    assert!(form.contains("value=\"2026-03-03T17:00:00Z\""), "{form}");
    let booked = http
        .post(&page)
        .form(&[
            ("csrf", csrf.as_str()),
            ("centre", "la"),
            ("start", "2026-03-03T17:00:00Z"),
            ("reschedule", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(booked.status(), StatusCode::OK, "followed the redirect");
    let text = booked.text().await.unwrap();
    assert!(text.contains("Your appointment is booked"), "{text}");
    assert!(
        text.contains("2026-03-03 09:00 (America/Los_Angeles)"),
        "{text}"
    );
    // A time that is not a slot: the page says so, with a 4xx.
    let bad = http
        .post(&page)
        .form(&[
            ("csrf", csrf.as_str()),
            ("centre", "la"),
            ("start", "2026-03-03T17:10:00Z"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.text()
            .await
            .unwrap()
            .contains("not available at this centre")
    );
    // Without the form's CSRF token nothing is booked.
    let forged = http
        .post(&page)
        .form(&[("centre", "la"), ("start", "2026-03-03T17:30:00Z")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let day = http
        .get(format!(
            "{}/console/appointments?centre=la&date=2026-03-03",
            app.url
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        day.matches("class=\"appointment booked\"").count(),
        1,
        "{day}"
    );
    // Cardholders cannot open the console pages.
    let (portal, _) = app.cardholder_client(email).await;
    let refused = portal
        .get(format!("{}/console/appointments", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    app.stop().await;
}

#[tokio::test]
async fn a_platinum_cardholder_books_and_cancels_in_a_real_browser() {
    let Some(browser) = crate::browser::Browser::start().await else {
        return;
    };
    let (app, _clock) = app_at("2026-03-02T12:00:00Z").await;
    let email = &demo_emails(&[Tier::Platinum], 1)[0];
    browser
        .client
        .goto(&format!("{}/portal/appointments", app.url))
        .await
        .unwrap();
    browser.sign_in(email).await;
    // Back on the appointments page, linked from the portal's navigation.
    browser.find("#appointments-pick").await;
    browser.find("nav a[href='/portal/appointments']").await;
    browser
        .client
        .goto(&format!(
            "{}/portal/appointments?centre=nyc&date=2026-03-03",
            app.url
        ))
        .await
        .unwrap();
    let first = browser.find("#slots button.slot").await;
    assert_eq!(
        first.attr("data-start").await.unwrap().as_deref(),
        Some(TUESDAY_NINE)
    );
    first.click().await.unwrap();
    browser.wait_for_url_containing("done=booked").await;
    let notice = browser
        .find("#appointments-notice")
        .await
        .text()
        .await
        .unwrap();
    assert!(notice.contains("booked"), "{notice}");
    let row = browser.find("#mine tr.booked").await.text().await.unwrap();
    assert!(row.contains("2026-03-03 09:00"), "{row}");
    assert!(row.contains("New York"), "{row}");
    browser
        .find("#mine tr.booked button.cancel")
        .await
        .click()
        .await
        .unwrap();
    browser.wait_for_url_containing("done=cancelled").await;
    browser.find("#mine tr.cancelled").await;
    // The store agrees: cancelled, with no reminder left to send.
    let id = cardholder_id(&app, email).await;
    let mine = app
        .store
        .appointments_for_cardholder(id.parse().unwrap(), store::Page::default())
        .await
        .unwrap();
    assert_eq!(mine.len(), 1);
    assert!(mine[0].cancelled_at.is_some(), "{mine:?}");
    assert!(
        undelivered_reminders(&app, &mine[0].id.to_string())
            .await
            .is_empty()
    );
    browser.close().await;
    app.stop().await;
}

#[tokio::test]
async fn the_demo_has_appointments_a_week_ahead_at_every_centre() {
    let (app, _clock) = app_at("2026-03-02T12:00:00Z").await;
    let token = app.token(Role::Agent).await;
    let http = reqwest::Client::new();
    // Monday 2026-03-09 is a week ahead and an open day everywhere.
    for centre in ["nyc", "la", "chicago"] {
        let (status, day) = json_of(
            http.get(format!(
                "{}/api/v1/appointments?centre={centre}&date=2026-03-09",
                app.url
            ))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{day}");
        let day = day.as_array().unwrap();
        assert!(!day.is_empty(), "{centre}");
        assert!(day.iter().all(|a| a["status"] == "booked"));
    }
    app.stop().await;
}
