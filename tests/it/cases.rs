//! Cases over HTTP: open (idempotently), change through the lifecycle (waiting on the customer
//! pauses the SLA), notes and search, merge, survey, and the refusals that explain themselves.

use reqwest::StatusCode;
use serde_json::{Value, json};
use server::testkit::TestApp;

struct Agent {
    http: reqwest::Client,
    csrf: String,
    url: String,
}

impl Agent {
    async fn post(&self, path: &str, body: Value, key: Option<&str>) -> (StatusCode, Value) {
        let mut request = self
            .http
            .post(format!("{}{path}", self.url))
            .header("x-csrf-token", &self.csrf)
            .json(&body);
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        let response = request.send().await.unwrap();
        (response.status(), response.json().await.unwrap())
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let response = self
            .http
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .unwrap();
        (response.status(), response.json().await.unwrap())
    }

    async fn command(&self, case: &str, body: Value) -> (StatusCode, Value) {
        self.post(&format!("/api/v1/cases/{case}/commands"), body, None)
            .await
    }
}

#[tokio::test]
async fn a_case_goes_through_its_lifecycle_with_timeline_search_and_merge() {
    let app = TestApp::spawn().await;
    let (http, csrf) = app.staff_client("agent@example.com").await;
    let agent = Agent {
        http,
        csrf,
        url: app.url.clone(),
    };
    let me = agent.get("/api/v1/me").await.1;
    let cardholder = server::demo::first_cardholder_email();
    let holder = agent
        .get(&format!("/api/v1/cardholders?q={cardholder}"))
        .await
        .1[0]["id"]
        .clone();

    // Opening twice with one key opens one case.
    let body = json!({"subject": "Card swallowed by an ATM in Lisbon", "reason": "lost_stolen", "cardholder_id": holder});
    let (status, case) = agent
        .post("/api/v1/cases", body.clone(), Some("open-1"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{case}");
    let (again_status, again) = agent.post("/api/v1/cases", body, Some("open-1")).await;
    assert_eq!(again_status, StatusCode::CREATED);
    assert_eq!(again["id"], case["id"]);
    let id = case["id"].as_str().unwrap();
    let reference = case["reference"].as_str().unwrap();
    assert!(reference.starts_with("HL-"));

    // Lifecycle: accept, assign, note, wait on the customer (clocks pause), resume, resolve.
    for command in [
        json!({"command": "accept"}),
        json!({"command": "assign", "to": me["id"]}),
        json!({"command": "add_note", "text": "Branch manager confirms the machine retained it"}),
        json!({"command": "await_customer", "request": "Please confirm your address"}),
    ] {
        let (status, changed) = agent.command(id, command.clone()).await;
        assert_eq!(status, StatusCode::OK, "{command}: {changed}");
    }
    let (_, waiting) = agent.get(&format!("/api/v1/cases/{reference}")).await;
    assert_eq!(waiting["case"]["status"], "waiting_on_customer");
    let mine = agent.get("/api/v1/cases?assignee=me&active=true").await.1;
    assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");
    // Closing a case that is not resolved is refused with the reason.
    let (refused, problem) = agent.command(id, json!({"command": "close"})).await;
    assert_eq!(refused, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["code"], "case.refused");
    assert!(
        problem["detail"].as_str().unwrap().contains("waiting"),
        "{problem}"
    );
    agent.command(id, json!({"command": "resume"})).await;
    let (status, resolved) = agent
        .command(
            id,
            json!({"command": "resolve", "summary": "New card sent"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{resolved}");
    let names: Vec<&str> = resolved["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"survey_offered"), "{names:?}");

    // The timeline has every step; search finds the note's words.
    let (_, detail) = agent.get(&format!("/api/v1/cases/{id}")).await;
    let timeline: Vec<&str> = detail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    for step in [
        "opened",
        "accepted",
        "assigned",
        "note_added",
        "awaiting_customer",
        "resumed",
        "resolved",
    ] {
        assert!(timeline.contains(&step), "{step} missing from {timeline:?}");
    }
    assert!(detail["cardholder"]["name"].is_string());
    let found = agent.get("/api/v1/cases?q=branch%20machine").await.1;
    assert_eq!(found[0]["id"], case["id"]);
    assert!(
        agent
            .get("/api/v1/cases?q=zanzibar")
            .await
            .1
            .as_array()
            .unwrap()
            .is_empty()
    );

    // A duplicate merges into it.
    let (_, dup) = agent
        .post("/api/v1/cases", json!({"subject": "ATM kept my card", "reason": "lost_stolen", "cardholder_id": holder}), None)
        .await;
    let (status, merged) = agent
        .post(
            &format!("/api/v1/cases/{}/merge", dup["id"].as_str().unwrap()),
            json!({"into": reference}),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{merged}");
    assert_eq!(merged["duplicate"]["status"], "closed");

    // Reads and changes are audited.
    let (sup_http, sup_csrf) = app.staff_client("supervisor@example.com").await;
    let supervisor = Agent {
        http: sup_http,
        csrf: sup_csrf,
        url: app.url.clone(),
    };
    let audit = supervisor
        .get(&format!("/api/v1/audit?subject=case:{id}"))
        .await;
    let actions: Vec<String> = audit.1.as_array().map_or_else(Vec::new, |a| {
        a.iter()
            .map(|e| e["action"].as_str().unwrap_or("").to_owned())
            .collect()
    });
    assert!(actions.iter().any(|a| a == "case.view"), "{actions:?}");

    // Unknown cases, bad references and cardholders are turned away with a reason.
    let (bad, problem) = agent.get("/api/v1/cases/HL-OOO-III-LLL").await;
    assert_eq!(bad, StatusCode::BAD_REQUEST, "{problem}");
    assert_eq!(problem["code"], "case.bad_reference");
    let (portal, _) = app.cardholder_client(&cardholder).await;
    let denied = portal
        .get(format!("{}/api/v1/cases", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_offline_chat_case_is_found_by_its_messages() {
    let app = TestApp::spawn().await;
    let started: Value = reqwest::Client::new()
        .post(format!("{}/api/v1/chat/conversations", app.url))
        .json(&json!({"name": "Dee", "message": "My replacement card never arrived in Valparaiso"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(started["status"], "offline");
    let (http, _) = app.staff_client("agent@example.com").await;
    let found: Value = http
        .get(format!("{}/api/v1/cases?q=valparaiso", app.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found[0]["reference"], started["case_reference"], "{found}");
}
