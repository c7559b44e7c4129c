//! The helpline directory over HTTP (product §1): the public check and lookup at the API edge
//! (many written forms of the demo issuer's numbers in 24 countries, vanity letters, problems
//! that say why), opening hours across DST and midnight with a fake clock, scam reports and
//! their moderation, admin entry editing, the import command on the seed articles, and the
//! public check page in a real browser. The crate's own tests cover the parsing and ranking
//! rules in depth; these check that the server gives the same answers.

use std::process::Command;
use std::sync::Arc;

use directory::{Coverage, Status};
use domain::{FakeClock, Role};
use reqwest::StatusCode;
use serde_json::{Value, json};
use server::testkit::{Options, TestApp};

use crate::browser::Browser;

async fn get(app: &TestApp, path_and_query: &str) -> (StatusCode, Value, String) {
    let response = reqwest::get(format!("{}{path_and_query}", app.url))
        .await
        .unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, response.json().await.unwrap(), content_type)
}

fn enc(text: &str) -> String {
    server::auth::urlencode(text)
}

async fn check(app: &TestApp, number: &str, country: Option<&str>) -> (StatusCode, Value) {
    let mut path = format!("/api/v1/directory/check?number={}", enc(number));
    if let Some(country) = country {
        path.push_str(&format!("&country={country}"));
    }
    let (status, body, _) = get(app, &path).await;
    (status, body)
}

/// Every way people write a number, for one number.
fn written_forms(e164: &str, international: &str, national: &str) -> Vec<String> {
    let digits = &e164[1..];
    vec![
        e164.to_owned(),
        international.to_owned(),
        international.replace(' ', "-"),
        international.replace(' ', "."),
        format!("00 {}", &international[1..]),
        format!("011 {}", &international[1..]),
        format!("00{digits}"),
        format!("+{}", digits),
        national.to_owned(),
        national.replace(' ', ""),
        format!("  {national}  "),
    ]
}

#[tokio::test]
async fn every_demo_line_checks_official_in_every_written_form() {
    let app = TestApp::spawn().await;
    let demo = directory::demo::entries();
    let mut countries = std::collections::BTreeSet::new();
    let mut checked = 0;
    for entry in demo.iter().filter(|e| e.status == Status::Official) {
        let e164 = entry.number.as_str();
        let hint = entry.number.region().map(|c| c.code().to_owned());
        for form in written_forms(
            e164,
            entry.number.international_format(),
            entry.number.national(),
        ) {
            let (status, body) = check(&app, &form, hint.as_deref()).await;
            assert_eq!(status, StatusCode::OK, "{form:?}: {body}");
            assert_eq!(body["status"], "official", "{form:?}: {body}");
            assert_eq!(body["number"], e164, "{form:?}: {body}");
            assert!(
                body["entries"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|e| e["status"] == "official"),
                "{body}"
            );
            checked += 1;
        }
        if let Coverage::Country(country) = entry.coverage {
            countries.insert(country);
        }
    }
    assert!(countries.len() >= 20, "only {} countries", countries.len());
    assert!(checked > 500, "{checked}");
    app.stop().await;
}

#[tokio::test]
async fn made_up_numbers_are_unknown_and_unreadable_ones_are_problems_that_say_why() {
    let app = TestApp::spawn().await;
    let (status, body) = check(&app, "+44 20 7946 0999", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "unknown");
    assert_eq!(body["number"], "+442079460999");
    assert_eq!(body["display"], "020 7946 0999");
    // A national number read in the caller's country.
    let (_, body) = check(&app, "(212) 555-0142", Some("US")).await;
    assert_eq!(body["status"], "unknown");
    assert_eq!(body["number"], "+12125550142");

    for (input, says) in [
        ("", "Give number"),
        ("   ", "Give number"),
        ("call me", "no digits"),
        ("12", "too short"),
        ("+999 1234 5678", "not a country calling code"),
        ("4111 1111 1111 1111", "card number"),
        ("+1 212 555 0100 ext!", "does not belong"),
        ("+44 20 79", "short"),
    ] {
        let (status, body, content_type) = get(
            &app,
            &format!("/api/v1/directory/check?number={}", enc(input)),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{input:?}: {body}");
        assert!(
            content_type.starts_with("application/problem+json"),
            "{content_type}"
        );
        let detail = body["detail"].as_str().unwrap();
        assert!(detail.contains(says), "{input:?}: {detail}");
        assert!(
            !detail.contains("4111"),
            "a problem never repeats the input: {detail}"
        );
    }
    for (query, says) in [
        ("number=%2B12125550100&country=Narnia", "country"),
        ("number=%2B12125550100&colour=red", "unknown field `colour`"),
        ("nothing=1", "unknown field"),
    ] {
        let (status, body, _) = get(&app, &format!("/api/v1/directory/check?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert!(
            body["detail"].as_str().unwrap().contains(says),
            "{query}: {body}"
        );
    }
    app.stop().await;
}

async fn admin(app: &TestApp) -> String {
    app.token(Role::Admin).await
}

#[tokio::test]
async fn vanity_letters_and_admin_edits_reach_the_in_memory_directory() {
    let app = TestApp::spawn().await;
    let token = admin(&app).await;
    let http = reqwest::Client::new();
    let url = |p: &str| format!("{}{p}", app.url);
    // Not listed yet.
    let (_, body) = check(&app, "1-800-AXP-EARN", None).await;
    assert_eq!(body["status"], "unknown");
    assert_eq!(body["number"], "+18002973276");
    // An admin adds it (written with letters), and every form now finds it.
    let created = http
        .post(url("/api/v1/directory/entries"))
        .bearer_auth(&token)
        .json(&json!({
            "coverage": "US", "service": "rewards", "number": "1-800-AXP-EARN",
            "languages": ["en"], "hours": "Mon-Fri 08:00-20:00", "time_zone": "America/New_York",
            "status": "official", "notes": "Rewards line"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["entry"]["toll_free"], true, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    for form in [
        "1-800-AXP-EARN",
        "1 (800) axp-earn",
        "+1 800 AXP EARN",
        "800-297-3276",
        "+1.800.297.3276",
        "001 800 297 3276",
    ] {
        let (status, body) = check(&app, form, Some("US")).await;
        assert_eq!(status, StatusCode::OK, "{form}: {body}");
        assert_eq!(body["status"], "official", "{form}: {body}");
        assert_eq!(body["number"], "+18002973276", "{form}");
    }
    // Adding it twice is a conflict; bad fields are named.
    let again = http
        .post(url("/api/v1/directory/entries"))
        .bearer_auth(&token)
        .json(&json!({"coverage": "US", "service": "rewards", "number": "+18002973276", "status": "official"}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::CONFLICT);
    let bad = http
        .post(url("/api/v1/directory/entries"))
        .bearer_auth(&token)
        .json(&json!({"coverage": "US", "service": "rewards", "number": "+18002973277",
                      "hours": "Mon-Fri 09:00-17:00", "time_zone": "Mars/Olympus", "status": "official"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let bad: Value = bad.json().await.unwrap();
    assert!(
        bad["detail"].as_str().unwrap().starts_with("hours:"),
        "{bad}"
    );
    // Demoted to third party, then deleted: the check follows at once.
    let updated = http
        .put(url(&format!("/api/v1/directory/entries/{id}")))
        .bearer_auth(&token)
        .json(&json!({"coverage": "US", "service": "rewards", "number": "+18002973276", "status": "third_party"}))
        .send()
        .await
        .unwrap();
    assert_eq!(updated.status(), StatusCode::OK);
    assert_eq!(
        check(&app, "1-800-AXP-EARN", None).await.1["status"],
        "third_party"
    );
    let deleted = http
        .delete(url(&format!("/api/v1/directory/entries/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        check(&app, "1-800-AXP-EARN", None).await.1["status"],
        "unknown"
    );
    // Every change is audited.
    let audit: Vec<_> = app
        .store
        .audit_for_subject(&format!("directory_entry:{id}"), store::Page::default())
        .await
        .unwrap();
    let actions: Vec<&str> = audit.iter().map(|a| a.record.action.as_str()).collect();
    assert_eq!(
        actions,
        ["directory.entry.delete", "directory.entry.update"],
        "{actions:?}"
    );
    // Only admins edit.
    let agent = app.token(Role::Agent).await;
    let denied = http
        .get(url("/api/v1/directory/entries"))
        .bearer_auth(&agent)
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), StatusCode::FORBIDDEN);
    let anonymous = http
        .get(url("/api/v1/directory/entries"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    app.stop().await;
}

struct Clocked {
    app: TestApp,
    clock: Arc<FakeClock>,
}

impl Clocked {
    async fn at(instant: &str) -> Clocked {
        let clock = Arc::new(FakeClock::new(instant.parse().unwrap()));
        let app = TestApp::spawn_with(Options {
            clock: clock.clone(),
            ..Options::default()
        })
        .await;
        Clocked { app, clock }
    }

    async fn lookup(&self, at: &str, query: &str) -> Value {
        self.clock.set(at.parse().unwrap());
        let (status, body, _) = get(&self.app, &format!("/api/v1/directory/lookup?{query}")).await;
        assert_eq!(status, StatusCode::OK, "{query}: {body}");
        body
    }
}

#[tokio::test]
async fn lookups_follow_each_lines_hours_across_midnight_and_dst() {
    let t = Clocked::at("2026-01-05T11:00:00Z").await;
    // Japan's lost/stolen line is open 09:00-21:00 Tokyo time.
    let open = t
        .lookup("2026-01-05T11:59:00Z", "country=JP&reason=lost_stolen")
        .await;
    assert_eq!(open["choice"], "best_match");
    assert_eq!(open["line"]["number"], "+81120000101");
    assert_eq!(open["open_now"], true);
    // 21:00 in Tokyo: it closed, so the open global collect line is the line to call.
    let night = t
        .lookup("2026-01-05T12:00:00Z", "country=JP&reason=lost_stolen")
        .await;
    assert_eq!(night["choice"], "fallback_while_closed", "{night}");
    assert_eq!(night["line"]["number"], "+12125550199");
    assert_eq!(night["line"]["collect"], true);
    assert_eq!(night["open_now"], true);
    let alternatives: Vec<&str> = night["alternatives"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["number"].as_str().unwrap())
        .collect();
    assert!(alternatives.contains(&"+81120000101"), "{night}");
    // For a reason that is not urgent the country's line stays the answer, with when it opens.
    let general = t
        .lookup("2026-01-05T12:00:00Z", "country=JP&reason=general")
        .await;
    assert_eq!(general["line"]["number"], "+81120000100");
    assert_eq!(general["open_now"], false);
    assert_eq!(general["next_open"], "2026-01-06T00:00:00Z");
    assert_eq!(
        general["line"]["next_open_local"],
        "2026-01-06T09:00:00+09:00[Asia/Tokyo]"
    );
    assert_eq!(general["fallback"]["number"], "+12125550199");
    // Hong Kong's night travel desk (20:00-09:00) is open after midnight, for platinum.
    let hk = t
        .lookup(
            "2026-01-06T17:30:00Z",
            "country=HK&reason=travel&tier=platinum",
        )
        .await;
    assert_eq!(hk["line"]["number"], "+852800000101", "{hk}");
    assert_eq!(hk["open_now"], true);
    let hk_morning = t
        .lookup(
            "2026-01-07T01:30:00Z",
            "country=HK&reason=travel&tier=platinum",
        )
        .await;
    assert_eq!(hk_morning["open_now"], false, "{hk_morning}");
    // London opens at 08:00 local: 08:00 UTC in winter, 07:00 UTC in summer time.
    let winter = t
        .lookup("2026-03-27T07:30:00Z", "country=GB&reason=general")
        .await;
    assert_eq!(winter["line"]["number"], "+448081570100");
    assert_eq!(winter["open_now"], false);
    assert_eq!(winter["next_open"], "2026-03-27T08:00:00Z");
    let summer = t
        .lookup("2026-03-30T07:30:00Z", "country=GB&reason=general")
        .await;
    assert_eq!(summer["open_now"], true, "{summer}");
    // New York's billing line opens at 08:00 Eastern: 13:00 UTC before DST, 12:00 UTC after.
    let before = t
        .lookup("2026-03-06T12:30:00Z", "country=US&reason=billing")
        .await;
    assert_eq!(before["line"]["number"], "+12125550103");
    assert_eq!(before["open_now"], false);
    assert_eq!(before["next_open"], "2026-03-06T13:00:00Z");
    let after = t
        .lookup("2026-03-09T12:30:00Z", "country=US&reason=billing")
        .await;
    assert_eq!(after["open_now"], true, "{after}");
    t.app.stop().await;
}

#[tokio::test]
async fn the_callers_number_stands_in_for_the_country_and_bad_parameters_are_problems() {
    let t = Clocked::at("2026-01-05T03:00:00Z").await;
    let by_number = t
        .lookup(
            "2026-01-05T03:00:00Z",
            &format!("caller_number={}&reason=general", enc("+81 3-1234-5678")),
        )
        .await;
    assert_eq!(by_number["country"], "JP");
    assert_eq!(by_number["line"]["number"], "+81120000100");
    // Tiers: a platinum cardholder in the US gets the platinum line, others the general one.
    let platinum = t
        .lookup(
            "2026-01-05T03:00:00Z",
            "country=US&reason=general&tier=platinum&lang=es",
        )
        .await;
    assert_eq!(platinum["line"]["number"], "+12125550110");
    let green = t
        .lookup(
            "2026-01-05T03:00:00Z",
            "country=US&reason=general&tier=green",
        )
        .await;
    assert_eq!(green["line"]["number"], "+12125550100");
    // A country without lines gets the global collect line.
    let peru = t
        .lookup("2026-01-05T03:00:00Z", "country=PE&reason=fraud")
        .await;
    assert_eq!(peru["choice"], "fallback_no_line");
    assert_eq!(peru["line"]["number"], "+12125550199");
    for (query, says) in [
        ("reason=general", "Give country"),
        ("country=ZZ", "country"),
        ("country=US&reason=pizza", "reason"),
        ("country=US&tier=diamond", "tier"),
        ("country=US&lang=klingon", "lang"),
        ("caller_number=hello", "caller_number"),
        ("country=US&when=now", "unknown field `when`"),
    ] {
        let (status, body, content_type) =
            get(&t.app, &format!("/api/v1/directory/lookup?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert!(content_type.starts_with("application/problem+json"));
        assert!(
            body["detail"].as_str().unwrap().contains(says),
            "{query}: {body}"
        );
    }
    t.app.stop().await;
}

#[tokio::test]
async fn scam_reports_are_moderated_once_by_an_admin_and_then_checks_say_so() {
    let app = TestApp::spawn().await;
    let url = |p: &str| format!("{}{p}", app.url);
    // Anonymous callers cannot report.
    let anonymous = reqwest::Client::new()
        .post(url("/api/v1/directory/reports"))
        .json(&json!({"number": "+44 20 7946 0666", "description": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    // A cardholder reports a national number (read in their country, the US) and pastes a card
    // number into the description: it is not stored.
    let email = server::demo::first_cardholder_email();
    let (cardholder, csrf) = app.cardholder_client(&email).await;
    let reported = cardholder
        .post(url("/api/v1/directory/reports"))
        .header("X-CSRF-Token", &csrf)
        .json(&json!({"number": "(646) 555-0166", "country": "US",
                      "description": "Said my card 4111 1111 1111 1111 was blocked and asked for the PIN"}))
        .send()
        .await
        .unwrap();
    assert_eq!(reported.status(), StatusCode::CREATED);
    let reported: Value = reported.json().await.unwrap();
    assert_eq!(reported["number"], "+16465550166");
    assert_eq!(reported["status"], "pending");
    let description = reported["description"].as_str().unwrap();
    assert!(!description.contains("4111"), "{description}");
    let id = reported["id"].as_str().unwrap().to_owned();
    // Staff can report too; garbage is refused with the reason.
    let agent = app.token(Role::Agent).await;
    let bad = reqwest::Client::new()
        .post(url("/api/v1/directory/reports"))
        .bearer_auth(&agent)
        .json(&json!({"number": "not a number", "description": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    // Still unknown until moderated; the cardholder cannot moderate.
    assert_eq!(
        check(&app, "+16465550166", None).await.1["status"],
        "unknown"
    );
    let denied = cardholder
        .post(url(&format!("/api/v1/directory/reports/{id}/moderate")))
        .header("X-CSRF-Token", &csrf)
        .json(&json!({"decision": "approve"}))
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), StatusCode::FORBIDDEN);
    let token = admin(&app).await;
    let admin_http = reqwest::Client::new();
    let pending: Value = admin_http
        .get(url("/api/v1/directory/reports?status=pending"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        pending.as_array().unwrap().iter().any(|r| r["id"] == id),
        "{pending}"
    );
    let approved = admin_http
        .post(url(&format!("/api/v1/directory/reports/{id}/moderate")))
        .bearer_auth(&token)
        .json(&json!({"decision": "approve", "note": "confirmed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(approved.status(), StatusCode::OK);
    let approved: Value = approved.json().await.unwrap();
    assert_eq!(approved["status"], "approved");
    assert!(approved["entry_id"].is_string());
    let (_, checked) = check(&app, "646-555-0166", Some("US")).await;
    assert_eq!(checked["status"], "reported_scam", "{checked}");
    // A report is moderated once.
    let twice = admin_http
        .post(url(&format!("/api/v1/directory/reports/{id}/moderate")))
        .bearer_auth(&token)
        .json(&json!({"decision": "reject"}))
        .send()
        .await
        .unwrap();
    assert_eq!(twice.status(), StatusCode::CONFLICT);
    let audit = app
        .store
        .audit_for_subject(&format!("scam_report:{id}"), store::Page::default())
        .await
        .unwrap();
    let actions: Vec<&str> = audit.iter().map(|a| a.record.action.as_str()).collect();
    assert_eq!(
        actions,
        ["directory.report.moderate", "directory.report.create"]
    );
    app.stop().await;
}

#[test]
fn importing_the_seed_articles_reports_where_they_disagree() {
    let dir = tempfile::tempdir().unwrap();
    // `shared/seeds` next to the workspace (or next to its folder of worktrees).
    let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let seeds = std::env::var_os("HELPLINE_SHARED_DATA")
        .map(|data| std::path::PathBuf::from(data).join("../seeds"))
        .into_iter()
        .chain([
            workspace.join("../shared/seeds"),
            workspace.join("../../shared/seeds"),
        ])
        .find(|dir| dir.is_dir())
        .expect("the shared seed articles");
    let run = |source: &str, file: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_helpline"))
            .arg("--data-dir")
            .arg(dir.path())
            .env_remove("HELPLINE_DATABASE_URL")
            .args(["directory", "import", "--source", source])
            .arg(seeds.join(file))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let first = run("seed-000", "000_f55749a21ae9218b.txt");
    assert!(
        first.contains("as third-party entries of \"seed-000\""),
        "{first}"
    );
    assert!(
        first.contains("Numbers that could not be read or placed"),
        "{first}"
    );
    let second = run("seed-001", "001_7f265ee942515205.txt");
    // The general US line and the fraud line have different numbers in the two articles.
    assert!(
        second.contains("US general: seed-000: +1 800-528-4800 | seed-001: +1 800-528-2122"),
        "{second}"
    );
    assert!(
        second.contains("US fraud: seed-000: +1 800-297-9407 | seed-001:"),
        "{second}"
    );
    assert!(
        second.contains("Numbers listed for different services"),
        "{second}"
    );
    // Importing again updates instead of adding.
    let again = run("seed-001", "001_7f265ee942515205.txt");
    assert!(again.contains(": 0 new, "), "{again}");
    // An unreadable file is an error that names it.
    let out = Command::new(env!("CARGO_BIN_EXE_helpline"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["directory", "import", "--source", "x", "/nonexistent.csv"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent.csv"));
}

#[tokio::test]
async fn the_public_check_page_says_unknown_for_a_made_up_number_and_official_for_a_demo_line() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn().await;
    for (number, status, label) in [
        ("+44 20 7946 0999", "unknown", "Unknown"),
        ("0808 157 0101", "official", "Official"),
    ] {
        browser
            .client
            .goto(&format!("{}/directory/check", app.url))
            .await
            .unwrap();
        let input = browser.find("#number").await;
        input.clear().await.unwrap();
        input.send_keys(number).await.unwrap();
        browser
            .find("input[name=country]")
            .await
            .send_keys("GB")
            .await
            .unwrap();
        browser.find("#check-button").await.click().await.unwrap();
        browser.wait_for_url_containing("number=").await;
        let result = browser.find("#check-result").await;
        assert_eq!(
            result.attr("data-status").await.unwrap().as_deref(),
            Some(status),
            "{number}"
        );
        let badge = browser.find("#check-status").await.text().await.unwrap();
        assert_eq!(badge, label, "{number}");
    }
    // The page works in Spanish too, without signing in.
    browser
        .client
        .goto(&format!(
            "{}/directory/check?lang=es&number=%2B12125550100",
            app.url
        ))
        .await
        .unwrap();
    let badge = browser.find("#check-status").await.text().await.unwrap();
    assert_eq!(badge, "Oficial");
    browser.close().await;
    app.stop().await;
}

#[tokio::test]
async fn the_pages_work_without_signing_in_and_the_admin_page_needs_an_admin() {
    let app = TestApp::spawn().await;
    let http = reqwest::Client::new();
    let page = http
        .get(format!(
            "{}/directory?country=GB&reason=lost_stolen",
            app.url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("0808 157 0101"), "the GB lost/stolen line");
    let check = http
        .get(format!("{}/directory/check?number=hello", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(check.status(), StatusCode::OK);
    assert!(check.text().await.unwrap().contains("id=\"check-error\""));
    let admin_page = app
        .client()
        .get(format!("{}/admin/directory", app.url))
        .send()
        .await
        .unwrap();
    assert!(
        admin_page.url().path().ends_with("/login"),
        "{}",
        admin_page.url()
    );
    let (admin, _) = app.staff_client("admin@example.com").await;
    let html = admin
        .get(format!("{}/admin/directory", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("id=\"directory-entries\""));
    assert!(
        html.contains("Asia/Tokyo"),
        "Japan's lines are listed with their hours"
    );
    app.stop().await;
}
