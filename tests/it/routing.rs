//! Routing over HTTP: agents' presence and offers, the entry point for contacts, priorities,
//! relationship managers, offer timeouts, live figures, and a restart that keeps waiting
//! contacts. The clock is fake and set to a Monday 21:00 UTC, when New York (where the demo's
//! English agents Alex and Lucía work) is the open hub for English.

use std::sync::Arc;

use domain::{FakeClock, Role};
use jiff::SignedDuration;
use reqwest::StatusCode;
use serde_json::{Value, json};
use server::testkit::{Options, TestApp};

const ALEX: &str = "agent@example.com";
const LUCIA: &str = "lucia@example.com";

struct Desk {
    app: TestApp,
    clock: Arc<FakeClock>,
    integration: String,
}

/// A signed-in staff member.
struct Staffer {
    http: reqwest::Client,
    csrf: String,
    id: String,
}

impl Desk {
    async fn open() -> Desk {
        let clock = Arc::new(FakeClock::new("2026-01-05T21:00:00Z".parse().unwrap()));
        let app = TestApp::spawn_with(Options {
            clock: clock.clone(),
            ..Options::default()
        })
        .await;
        let integration = app.token(Role::Integration).await;
        Desk {
            app,
            clock,
            integration,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.app.url)
    }

    async fn staff(&self, email: &str) -> Staffer {
        let (http, csrf) = self.app.staff_client(email).await;
        let me: Value = http
            .get(self.url("/api/v1/me"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        Staffer {
            http,
            csrf,
            id: me["id"].as_str().unwrap().to_owned(),
        }
    }

    /// A contact entering routing through the integrations API.
    async fn contact(&self, body: Value) -> (StatusCode, Value) {
        let response = reqwest::Client::new()
            .post(self.url("/api/v1/routing/contacts"))
            .bearer_auth(&self.integration)
            .json(&body)
            .send()
            .await
            .unwrap();
        (response.status(), response.json().await.unwrap())
    }

    async fn call(&self, tier: &str, context: &str) -> String {
        let (status, body) = self
            .contact(json!({"channel": "phone", "reason": "general", "tier": tier, "language": "en", "context_id": context}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["contact_id"].as_str().unwrap().to_owned()
    }

    /// Where a contact is in routing, as the integration sees it (404: not in routing).
    async fn status(&self, contact: &str) -> (StatusCode, Value) {
        let response = reqwest::Client::new()
            .get(self.url(&format!("/api/v1/routing/contacts/{contact}")))
            .bearer_auth(&self.integration)
            .send()
            .await
            .unwrap();
        (response.status(), response.json().await.unwrap())
    }

    /// Waits (bounded) for the background timers to have done something.
    async fn until(&self, what: &str, check: impl AsyncFn() -> bool) {
        crate::eventually(what, check).await;
    }

    async fn metrics(&self) -> String {
        reqwest::get(self.url("/metrics"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }
}

impl Staffer {
    async fn send(
        &self,
        method: reqwest::Method,
        url: String,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .http
            .request(method, url)
            .header("x-csrf-token", &self.csrf);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn console(&self, desk: &Desk) -> Value {
        let (status, body) = self
            .send(
                reqwest::Method::GET,
                desk.url("/api/v1/routing/console"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    async fn presence(&self, desk: &Desk, availability: &str) -> Value {
        let (status, body) = self
            .send(
                reqwest::Method::PUT,
                desk.url("/api/v1/routing/console/presence"),
                Some(json!({"availability": availability})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    async fn step(&self, desk: &Desk, contact: &str, step: &str) -> (StatusCode, Value) {
        self.send(
            reqwest::Method::POST,
            desk.url(&format!("/api/v1/routing/contacts/{contact}/{step}")),
            None,
        )
        .await
    }

    async fn ready(&self, desk: &Desk) -> Value {
        let (status, body) = self
            .send(
                reqwest::Method::POST,
                desk.url("/api/v1/routing/console/wrap-up-done"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }
}

fn offer_ids(console: &Value) -> Vec<String> {
    console["offers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn an_agent_goes_available_sees_the_offer_and_accepts_it() {
    let desk = Desk::open().await;
    let alex = desk.staff(ALEX).await;
    let before = alex.console(&desk).await;
    assert_eq!(before["presence"], "offline");
    assert_eq!(
        alex.presence(&desk, "available").await["presence"],
        "available"
    );

    let (status, entered) = desk
        .contact(json!({"channel": "phone", "reason": "lost_stolen", "tier": "gold", "language": "en", "context_id": "call:CA-1001"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{entered}");
    assert_eq!(entered["status"], "offered");
    assert_eq!(entered["offered_to"], alex.id.as_str());
    let contact = entered["contact_id"].as_str().unwrap().to_owned();

    let console = alex.console(&desk).await;
    assert_eq!(console["presence"], "on_contact");
    let offer = &console["offers"][0];
    assert_eq!(offer["id"], contact.as_str());
    assert_eq!(offer["context_id"], "call:CA-1001");
    assert_eq!(offer["reason"], "lost_stolen");
    assert_eq!(offer["seconds_left"], 20);

    let (status, accepted) = alex.step(&desk, &contact, "accept").await;
    assert_eq!(status, StatusCode::OK, "{accepted}");
    assert!(accepted["offers"].as_array().unwrap().is_empty());
    assert_eq!(accepted["connected"][0]["id"], contact.as_str());
    assert_eq!(accepted["connected"][0]["context_id"], "call:CA-1001");
    let (_, status_now) = desk.status(&contact).await;
    assert_eq!(status_now["phase"]["phase"], "connected");
    assert_eq!(status_now["phase"]["agent"], alex.id.as_str());

    // Accepting twice is refused with a problem that says why.
    let (status, problem) = alex.step(&desk, &contact, "accept").await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(problem["code"], "routing.not_offered");

    desk.clock.advance(SignedDuration::from_secs(95));
    let (status, done) = alex.step(&desk, &contact, "complete").await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["presence"], "wrap_up");
    assert_eq!(alex.ready(&desk).await["presence"], "available");
    let (status, _) = desk.status(&contact).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a finished contact leaves routing"
    );

    // Every step is in the outbox and the audit log.
    let topics: Vec<String> = desk
        .app
        .store
        .events_for_subject(&format!("contact:{contact}"))
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.topic)
        .collect();
    assert_eq!(
        topics,
        ["routing.offered", "routing.connected", "routing.completed"]
    );
    let audit = desk
        .app
        .store
        .audit_for_subject(&format!("contact:{contact}"), store::Page::default())
        .await
        .unwrap();
    let actions: Vec<&str> = audit.iter().map(|a| a.record.action.as_str()).collect();
    for action in [
        "routing.contact.enter",
        "routing.contact.accept",
        "routing.contact.complete",
    ] {
        assert!(actions.contains(&action), "{actions:?}");
    }
    desk.app.stop().await;
}

#[tokio::test]
async fn an_offer_nobody_accepts_goes_to_another_agent() {
    let desk = Desk::open().await;
    let alex = desk.staff(ALEX).await;
    let lucia = desk.staff(LUCIA).await;
    alex.presence(&desk, "available").await;
    lucia.presence(&desk, "available").await;
    let contact = desk.call("green", "chat:77").await;
    let (_, first) = desk.status(&contact).await;
    let first_agent = first["phase"]["agent"].as_str().unwrap().to_owned();
    let (missed, other) = if first_agent == alex.id {
        (&alex, &lucia)
    } else {
        (&lucia, &alex)
    };
    assert_eq!(offer_ids(&missed.console(&desk).await), [contact.as_str()]);

    // Twenty seconds pass without an answer: the offer times out and goes to the other agent.
    desk.clock.advance(SignedDuration::from_secs(21));
    desk.until("the offer moves to the other agent", async || {
        desk.status(&contact).await.1["phase"]["agent"] == other.id.as_str()
    })
    .await;
    assert_eq!(offer_ids(&other.console(&desk).await), [contact.as_str()]);
    let missed_console = missed.console(&desk).await;
    assert!(offer_ids(&missed_console).is_empty());
    assert_eq!(
        missed_console["presence"], "break",
        "an agent who misses an offer is probably away"
    );
    let (status, problem) = missed.step(&desk, &contact, "accept").await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(problem["code"], "routing.not_offered");
    assert_eq!(
        other.step(&desk, &contact, "accept").await.0,
        StatusCode::OK
    );
    desk.app.stop().await;
}

#[tokio::test]
async fn platinum_goes_first_and_to_the_relationship_manager() {
    let desk = Desk::open().await;
    let supervisor = desk.staff("supervisor@example.com").await;
    let alex = desk.staff(ALEX).await;
    let lucia = desk.staff(LUCIA).await;
    // Both serve every tier in English, Alex a little better.
    for (who, english) in [(&alex, 5), (&lucia, 4)] {
        let (status, body) = supervisor
            .send(
                reqwest::Method::PUT,
                desk.url(&format!("/api/v1/routing/agents/{}", who.id)),
                Some(json!({
                    "hub": "new_york",
                    "departments": {"general": 4},
                    "languages": {"en": english, "es": 5},
                    "tiers": ["green", "gold", "platinum", "centurion"],
                    "voice": true,
                    "digital": 0
                })),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    }
    let (_, agents) = supervisor
        .send(
            reqwest::Method::GET,
            desk.url("/api/v1/routing/agents"),
            None,
        )
        .await;
    let listed = agents
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["user_id"] == lucia.id.as_str())
        .unwrap();
    assert_eq!(listed["profile"]["languages"]["en"], 4);

    // Alex is busy; a Green call and then a Platinum call wait.
    alex.presence(&desk, "available").await;
    let first = desk.call("gold", "call:1").await;
    assert_eq!(alex.step(&desk, &first, "accept").await.0, StatusCode::OK);
    let green = desk.call("green", "call:2").await;
    desk.clock.advance(SignedDuration::from_secs(5));
    let platinum = desk.call("platinum", "call:3").await;
    for waiting in [&green, &platinum] {
        assert_eq!(desk.status(waiting).await.1["phase"]["phase"], "waiting");
    }
    // When Alex is free again, the Platinum call is offered first although it came later.
    desk.clock.advance(SignedDuration::from_secs(5));
    alex.step(&desk, &first, "complete").await;
    let console = alex.ready(&desk).await;
    assert_eq!(offer_ids(&console), [platinum.as_str()]);
    alex.step(&desk, &platinum, "accept").await;

    // Then the Green call.
    desk.clock.advance(SignedDuration::from_secs(5));
    alex.step(&desk, &platinum, "complete").await;
    assert_eq!(offer_ids(&alex.ready(&desk).await), [green.as_str()]);
    alex.step(&desk, &green, "accept").await;

    // A Platinum cardholder's relationship manager is offered their call first, although
    // Alex is free too and speaks better English.
    lucia.presence(&desk, "available").await;
    alex.step(&desk, &green, "complete").await;
    assert_eq!(alex.ready(&desk).await["presence"], "available");
    let (status, entered) = desk
        .contact(json!({"channel": "phone", "reason": "billing", "department": "general", "tier": "platinum", "language": "en", "relationship_manager": lucia.id, "context_id": "call:4"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{entered}");
    assert_eq!(entered["offered_to"], lucia.id.as_str());
    desk.app.stop().await;
}

#[tokio::test]
async fn a_cardholder_id_brings_tier_language_and_manager() {
    let desk = Desk::open().await;
    let supervisor = desk.staff("supervisor@example.com").await;
    // Find a premium cardholder with a relationship manager.
    let (_, found) = supervisor
        .send(
            reqwest::Method::GET,
            desk.url("/api/v1/cardholders?limit=200"),
            None,
        )
        .await;
    let cardholder = found
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["tier"] == "platinum" && c["has_relationship_manager"] == true)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, entered) = desk
        .contact(json!({"channel": "chat", "reason": "rewards", "cardholder_id": cardholder, "context_id": "conversation:9"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{entered}");
    let contact = entered["contact_id"].as_str().unwrap();
    let (_, routed) = desk.status(contact).await;
    assert_eq!(routed["tier"], "platinum");
    assert_eq!(routed["kind"], "chat");
    assert!(routed["relationship_manager"].is_string(), "{routed}");
    let audit = desk
        .app
        .store
        .audit_for_subject(&format!("cardholder:{cardholder}"), store::Page::default())
        .await
        .unwrap();
    assert!(
        audit.iter().any(|a| a.record.action == "cardholder.view"),
        "reading the cardholder is audited"
    );
    desk.app.stop().await;
}

#[tokio::test]
async fn bad_requests_get_problems_that_say_what_to_fix() {
    let desk = Desk::open().await;
    let cases = [
        (
            json!({"channel": "phone", "reason": "general", "language": "en", "context_id": "x"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "routing.missing_field",
        ),
        (
            json!({"channel": "appointment", "reason": "general", "tier": "gold", "language": "en", "context_id": "x"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "routing.not_routable",
        ),
        (
            json!({"channel": "phone", "reason": "sightseeing", "tier": "gold", "language": "en", "context_id": "x"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "request.invalid_field",
        ),
        (
            json!({"channel": "phone", "reason": "general", "tier": "gold", "language": "en", "context_id": " "}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "routing.invalid_context_id",
        ),
        (
            json!({"channel": "phone", "reason": "general", "tier": "gold", "language": "en", "context_id": "x", "relationship_manager": "00000000-0000-7000-8000-000000000000"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "routing.unknown_manager",
        ),
        (
            json!({"channel": "phone", "reason": "general", "tier": "gold", "language": "en", "context_id": "x", "cardholder_id": "00000000-0000-7000-8000-000000000000"}),
            StatusCode::NOT_FOUND,
            "cardholder.not_found",
        ),
    ];
    for (body, status, code) in cases {
        let (got, problem) = desk.contact(body.clone()).await;
        assert_eq!(
            (got, problem["code"].as_str()),
            (status, Some(code)),
            "{body}: {problem}"
        );
        assert!(!problem["detail"].as_str().unwrap().is_empty());
    }
    let id = "0191f000-0000-7000-8000-0000000000aa";
    let twice = json!({"id": id, "channel": "phone", "reason": "general", "tier": "gold", "language": "en", "context_id": "x"});
    assert_eq!(desk.contact(twice.clone()).await.0, StatusCode::CREATED);
    let (status, problem) = desk.contact(twice).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::CONFLICT, Some("routing.duplicate_contact"))
    );

    // Staff without a routing profile are told how to get one; agents cannot enter contacts.
    let analyst = desk.staff("analyst@example.com").await;
    let (status, problem) = analyst
        .send(
            reqwest::Method::GET,
            desk.url("/api/v1/routing/console"),
            None,
        )
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::CONFLICT, Some("routing.no_profile"))
    );
    let alex = desk.staff(ALEX).await;
    let (status, _) = alex
        .send(
            reqwest::Method::POST,
            desk.url("/api/v1/routing/contacts"),
            Some(json!({"channel": "phone", "reason": "general", "tier": "gold", "language": "en", "context_id": "x"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, problem) = alex
        .send(
            reqwest::Method::PUT,
            desk.url("/api/v1/routing/console/presence"),
            Some(json!({"availability": "lunch"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");

    // The console's WebSocket refuses other sites' pages.
    let handshake = |origin: &'static str| {
        alex.http
            .get(desk.url("/api/v1/routing/console/live"))
            .header("connection", "upgrade")
            .header("upgrade", "websocket")
            .header("sec-websocket-version", "13")
            .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
            .header("origin", origin)
            .send()
    };
    assert_eq!(
        handshake("https://evil.example").await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let own = format!("http://{}", desk.app.addr);
    let response = alex
        .http
        .get(desk.url("/api/v1/routing/console/live"))
        .header("connection", "upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .header("origin", own)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
    desk.app.stop().await;
}

#[tokio::test]
async fn live_figures_are_on_metrics_and_the_dashboard() {
    let desk = Desk::open().await;
    desk.call("gold", "call:a").await;
    desk.call("platinum", "call:b").await;
    desk.clock.advance(SignedDuration::from_secs(42));
    desk.until("the gauges show the waiting calls", async || {
        desk.metrics()
            .await
            .contains("helpline_routing_queue_waiting{department=\"general\",language=\"en\"} 2.0")
    })
    .await;
    let metrics = desk.metrics().await;
    for line in [
        "helpline_routing_queue_longest_wait_seconds{department=\"general\",language=\"en\"} 42.0",
        "helpline_routing_hub_waiting{hub=\"new_york\"} 2.0",
        "helpline_routing_hub_open{hub=\"new_york\"} 1.0",
        "helpline_routing_hub_open{hub=\"london\"} 0.0",
        "helpline_routing_hub_agents{hub=\"london\",presence=\"offline\"} 3.0",
    ] {
        assert!(metrics.contains(line), "{line} missing from\n{metrics}");
    }
    // Answered and abandoned contacts give service level, speed of answer and abandonment.
    let alex = desk.staff(ALEX).await;
    alex.presence(&desk, "available").await;
    let offered = offer_ids(&alex.console(&desk).await);
    assert_eq!(offered.len(), 1);
    alex.step(&desk, &offered[0], "accept").await;
    let other = desk.call("green", "call:c").await;
    let abandoned = reqwest::Client::new()
        .post(desk.url(&format!("/api/v1/routing/contacts/{other}/abandon")))
        .bearer_auth(&desk.integration)
        .send()
        .await
        .unwrap();
    assert_eq!(abandoned.status(), StatusCode::NO_CONTENT);
    desk.until("service figures appear", async || {
        let m = desk.metrics().await;
        m.contains("helpline_routing_queue_service_level{department=\"general\",language=\"en\"}")
            && m.contains(
                "helpline_routing_queue_asa_seconds{department=\"general\",language=\"en\"} 42.0",
            )
            && m.contains(
                "helpline_routing_queue_abandon_rate{department=\"general\",language=\"en\"}",
            )
    })
    .await;

    let supervisor = desk.staff("supervisor@example.com").await;
    for (lang, title) in [("en", "Routing dashboard"), ("es", "Panel de enrutamiento")] {
        let page = supervisor
            .http
            .get(desk.url(&format!("/routing?lang={lang}")))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        let html = page.text().await.unwrap();
        assert!(html.contains(title), "{lang}");
        assert!(html.contains("<svg"), "charts are inline SVG");
        assert!(html.contains("id=\"queues\""));
    }
    let fragment = supervisor
        .http
        .get(desk.url("/routing?part=figures"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(fragment.contains("kpi-waiting") && !fragment.contains("<html"));
    // Agents may not see the dashboard or the figures.
    let refused = alex
        .http
        .get(desk.url("/api/v1/routing/figures"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let (status, figures) = supervisor
        .send(
            reqwest::Method::GET,
            desk.url("/api/v1/routing/figures"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(figures["total"]["abandoned"], 1);
    desk.app.stop().await;
}

#[tokio::test]
async fn a_restart_keeps_waiting_contacts_and_their_order() {
    let desk = Desk::open().await;
    let older = desk.call("gold", "call:older").await;
    desk.clock.advance(SignedDuration::from_secs(3));
    let newer = desk.call("gold", "call:newer").await;
    let Desk {
        app,
        clock,
        integration,
    } = desk;
    let desk = Desk {
        app: app.restart().await,
        clock,
        integration,
    };
    for contact in [&older, &newer] {
        let (status, routed) = desk.status(contact).await;
        assert_eq!(status, StatusCode::OK, "{contact} survived the restart");
        assert_eq!(routed["phase"]["phase"], "waiting");
    }
    desk.until("the restored contacts are counted", async || {
        desk.metrics()
            .await
            .contains("helpline_routing_queue_waiting{department=\"general\",language=\"en\"} 2.0")
    })
    .await;
    let alex = desk.staff(ALEX).await;
    let console = alex.presence(&desk, "available").await;
    assert_eq!(
        offer_ids(&console),
        [older],
        "the longest-waiting call first"
    );
    desk.app.stop().await;
}

#[tokio::test]
async fn in_a_real_browser_an_agent_goes_available_and_accepts_an_offer() {
    let Some(browser) = crate::browser::Browser::start().await else {
        return;
    };
    let desk = Desk::open().await;
    browser
        .client
        .goto(&desk.url("/console/contacts"))
        .await
        .unwrap();
    browser.sign_in(ALEX).await;
    browser.find("#presence[data-presence=offline]").await;
    browser.find("#go-available").await.click().await.unwrap();
    browser.find("#presence[data-presence=available]").await;
    desk.until("the console's WebSocket is open", async || {
        browser.text("#routing-link").await == "Live"
    })
    .await;

    // The offer is pushed to the open page, with a countdown.
    let contact = desk.call("gold", "call:browser-1").await;
    let accept = browser
        .find(&format!("button.accept[data-contact='{contact}']"))
        .await;
    let countdown = browser.text(".offer .countdown").await;
    assert!(countdown.ends_with(" s"), "{countdown}");
    accept.click().await.unwrap();
    let context = browser.text("#connected code.context-id").await;
    assert_eq!(context, "call:browser-1");
    browser.find("#presence[data-presence=on_contact]").await;
    assert_eq!(desk.status(&contact).await.1["phase"]["phase"], "connected");
    browser.close().await;
    desk.app.stop().await;
}

fn helpline(args: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    std::process::Command::new(env!("CARGO_BIN_EXE_helpline"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn routing_simulate_prints_the_documented_json_and_a_readable_report() {
    let args = [
        "routing",
        "simulate",
        "--agents",
        "5",
        "--arrivals-per-hour",
        "100",
        "--handle-seconds",
        "120",
        "--hours",
        "2",
        "--seed",
        "7",
    ];
    let out = helpline(&[&args[..], &["--json"]].concat());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let keys: Vec<&str> = report
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected = [
        "offered",
        "answered",
        "abandoned",
        "service_level",
        "asa_seconds",
        "occupancy",
    ];
    expected.sort_unstable();
    let mut keys = keys;
    keys.sort_unstable();
    assert_eq!(keys, expected);
    assert_eq!(
        report["abandoned"], 0,
        "no abandonment without --patience-seconds"
    );
    assert_eq!(report["offered"], report["answered"]);
    let again = helpline(&[&args[..], &["--json"]].concat());
    assert_eq!(out.stdout, again.stdout, "the same seed gives the same run");

    let human = helpline(&[&args[..], &["--patience-seconds", "30"]].concat());
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(
        text.contains("service level") && text.contains("occupancy"),
        "{text}"
    );
    assert!(
        !text.contains("Erlang C"),
        "Erlang C assumes nobody hangs up: {text}"
    );

    let bad = helpline(&[
        "routing",
        "simulate",
        "--agents",
        "0",
        "--arrivals-per-hour",
        "10",
        "--handle-seconds",
        "60",
        "--hours",
        "1",
    ]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("agents must be at least 1"));
}

#[test]
fn bench_routing_reports_decisions_per_second_and_p99() {
    let out = helpline(&[
        "bench",
        "routing",
        "--agents",
        "200",
        "--waiting",
        "2000",
        "--queues",
        "10",
        "--decisions",
        "2000",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["decisions"], 2000);
    assert!(report["decisions_per_second"].as_f64().unwrap() > 0.0);
    assert!(report["p99_micros"].as_f64().unwrap() > 0.0);
    assert!(String::from_utf8_lossy(&out.stderr).contains("timing 2000 decisions"));
}
