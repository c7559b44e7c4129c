//! The agent console's case pages: the inbox, a case with notes and actions, the supervisors'
//! escalation view; roles and both languages over HTTP, and the whole flow in a real browser.

use reqwest::StatusCode;
use serde_json::{Value, json};
use server::testkit::TestApp;

use crate::browser::Browser;

/// Opens a case for a demo cardholder and assigns it to the demo agent; returns (id, reference).
async fn case_for_the_agent(app: &TestApp) -> (String, String) {
    let (http, csrf) = app.staff_client("agent@example.com").await;
    let holder = app
        .store
        .search_cardholders("", store::Page::default())
        .await
        .unwrap()[0]
        .id;
    let case: Value = http
        .post(format!("{}/api/v1/cases", app.url))
        .header("x-csrf-token", &csrf)
        .json(&json!({"subject": "Card declined abroad", "reason": "lost_stolen", "cardholder_id": holder}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = case["id"].as_str().expect("case id").to_owned();
    let agent = app
        .store
        .user_by_email("agent@example.com")
        .await
        .unwrap()
        .unwrap();
    let assigned = http
        .post(format!("{}/api/v1/cases/{id}/commands", app.url))
        .header("x-csrf-token", &csrf)
        .json(&json!({"command": "assign", "to": agent.id}))
        .send()
        .await
        .unwrap();
    assert_eq!(assigned.status(), StatusCode::OK);
    (id, case["reference"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn case_pages_enforce_roles_and_speak_both_languages() {
    let app = TestApp::spawn().await;
    let (id, reference) = case_for_the_agent(&app).await;
    let (agent, csrf) = app.staff_client("agent@example.com").await;
    let page = |http: &reqwest::Client, path: &str| {
        let url = format!("{}{path}", app.url);
        let http = http.clone();
        async move {
            let r = http.get(url).send().await.unwrap();
            (r.status(), r.text().await.unwrap())
        }
    };
    let (status, inbox) = page(&agent, "/console/cases").await;
    assert_eq!(status, StatusCode::OK);
    assert!(inbox.contains(&reference), "my case is in my inbox");
    let (_, spanish) = page(&agent, "/console/cases?lang=es").await;
    assert!(spanish.contains("Mis casos"), "Spanish inbox");
    // `?lang=` is remembered in a cookie: back to English.
    page(&agent, "/console/cases?lang=en").await;
    let (status, _) = page(&agent, "/console/cases?status=bogus").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, view) = page(&agent, &format!("/console/cases/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(view.contains("customer-link") && view.contains("/console/cardholders/"));
    let (status, _) = page(&agent, "/console/cases/not-a-case").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A note through the form; an action without its text is refused readably.
    let form = |command: &str, text: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("command", command.to_owned()),
            ("text", text.to_owned()),
        ]
    };
    let url = format!("{}/console/cases/{id}/commands", app.url);
    let noted = agent
        .post(&url)
        .form(&form("add_note", "Called the branch"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        noted.status(),
        StatusCode::OK,
        "redirected back to the case"
    );
    assert!(noted.text().await.unwrap().contains("Called the branch"));
    let refused = agent
        .post(&url)
        .form(&form("escalate", " "))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().await.unwrap().contains("needs a reason"));
    let forged = agent
        .post(&url)
        .form(&[("csrf", "wrong"), ("command", "close"), ("text", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);

    // Escalations are for supervisors; cardholders see no console page at all.
    let (status, _) = page(&agent, "/console/escalations").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let escalated = agent
        .post(&url)
        .form(&form("escalate", "Customer asks for a manager"))
        .send()
        .await
        .unwrap();
    assert_eq!(escalated.status(), StatusCode::OK);
    let (supervisor, _) = app.staff_client("supervisor@example.com").await;
    let (status, queue) = page(&supervisor, "/console/escalations").await;
    assert_eq!(status, StatusCode::OK);
    assert!(queue.contains(&reference) && queue.contains("Customer asks for a manager"));
    let (_, queue_es) = page(&supervisor, "/console/escalations?lang=es").await;
    assert!(queue_es.contains("Escalados"), "Spanish escalations");
    let holder = app
        .store
        .search_cardholders(
            "",
            store::Page {
                limit: 500,
                offset: 0,
            },
        )
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.password_hash.is_some())
        .expect("a demo cardholder with a portal password");
    let (cardholder, _) = app.cardholder_client(&holder.email).await;
    for path in [
        "/console/cases",
        &format!("/console/cases/{id}"),
        "/console/escalations",
    ] {
        let (status, _) = page(&cardholder, path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    // Reading the case through the console is audited, on the case and on the cardholder.
    let audit = app
        .store
        .audit_for_subject(&format!("case:{id}"), store::Page::default())
        .await
        .unwrap();
    assert!(audit.iter().any(|a| a.record.action == "case.view"));
    app.stop().await;
}

#[tokio::test]
async fn an_agent_notes_and_escalates_a_case_and_the_supervisor_sees_it_in_the_browser() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn().await;
    let (_, reference) = case_for_the_agent(&app).await;
    browser
        .client
        .goto(&format!("{}/console/cases", app.url))
        .await
        .unwrap();
    browser.sign_in("agent@example.com").await;
    browser.wait_for_url_containing("/console").await;
    browser
        .client
        .goto(&format!("{}/console/cases", app.url))
        .await
        .unwrap();
    browser
        .find(&format!("tr[data-reference='{reference}'] a"))
        .await
        .click()
        .await
        .unwrap();
    browser.find("#case-reference").await;
    browser
        .find("#note-text")
        .await
        .send_keys("Spoke to the cardholder; card was used in Lisbon")
        .await
        .unwrap();
    browser
        .find("#add-note button")
        .await
        .click()
        .await
        .unwrap();
    let notes = browser.find("#notes li").await.text().await.unwrap();
    assert!(notes.contains("used in Lisbon"), "{notes}");
    browser
        .find("#action-text")
        .await
        .send_keys("Needs a supervisor's decision")
        .await
        .unwrap();
    browser.find("#escalate").await.click().await.unwrap();
    let flag = browser.find("#case-escalation").await.text().await.unwrap();
    assert!(flag.contains("supervisor's decision"), "{flag}");
    browser.close().await;

    let Some(browser) = Browser::start().await else {
        return;
    };
    browser
        .client
        .goto(&format!("{}/console/escalations", app.url))
        .await
        .unwrap();
    browser.sign_in("supervisor@example.com").await;
    browser.wait_for_url_containing("/console").await;
    browser
        .client
        .goto(&format!("{}/console/escalations", app.url))
        .await
        .unwrap();
    let row = browser
        .find(&format!("#escalated tr[data-reference='{reference}']"))
        .await
        .text()
        .await
        .unwrap();
    assert!(row.contains("supervisor's decision"), "{row}");
    browser.close().await;
    app.stop().await;
}
