use domain::Role;
use reqwest::StatusCode;
use server::testkit::TestApp;
use store::Page;

async fn problem(response: reqwest::Response) -> (StatusCode, serde_json::Value) {
    let status = response.status();
    let ctype = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert_eq!(ctype, "application/problem+json", "status {status}");
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn staff_sign_in_with_a_session_cookie_and_csrf() {
    let app = TestApp::spawn().await;
    let http = app.client();
    let wrong = http
        .post(format!("{}/api/v1/auth/login", app.url))
        .json(&serde_json::json!({"email": "admin@example.com", "password": "not-the-password"}))
        .send()
        .await
        .unwrap();
    let (status, body) = problem(wrong).await;
    assert_eq!(status, 401);
    assert_eq!(body["code"], "auth.bad_credentials");

    let (client, csrf) = app.staff_client("admin@example.com").await;
    let me: serde_json::Value = client
        .get(format!("{}/api/v1/me", app.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["role"], "admin");
    assert_eq!(me["name"], "Avery Admin");

    let new_user = serde_json::json!({"email": "new.agent@example.com", "display_name": "New Agent", "role": "agent", "password": "long enough password"});
    let without_csrf = client
        .post(format!("{}/api/v1/users", app.url))
        .json(&new_user)
        .send()
        .await
        .unwrap();
    let (status, body) = problem(without_csrf).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("auth.csrf"))
    );

    let created = client
        .post(format!("{}/api/v1/users", app.url))
        .header("x-csrf-token", &csrf)
        .json(&new_user)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let stored = app
        .store
        .user_by_email("new.agent@example.com")
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(stored.role, Role::Agent);
    assert!(
        stored.password_hash.starts_with("$argon2id$"),
        "passwords are stored as argon2id"
    );

    let out = client
        .post(format!("{}/api/v1/auth/logout", app.url))
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);
    let after = client
        .get(format!("{}/api/v1/me", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 401);
    app.stop().await;
}

#[tokio::test]
async fn every_api_route_refuses_anonymous_callers_and_wrong_roles() {
    let app = TestApp::spawn().await;
    let http = app.client();
    let spec: serde_json::Value = http
        .get(format!("{}/api/openapi.json", app.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let public = [
        "/healthz",
        "/readyz",
        "/api/v1/auth/login",
        "/api/v1/portal/login",
        "/api/v1/directory/lookup",
        "/api/v1/directory/check",
        // Anonymous visitors start web chats (with their name) and then use a chat token.
        "/api/v1/chat/conversations",
        "/api/v1/chat/live",
        // Authenticated by its HMAC signature (401 social.bad_signature; tests/it/channels.rs).
        "/api/v1/channels/social/inbound",
    ];
    let mut checked = 0;
    for (path, ops) in spec["paths"].as_object().unwrap() {
        if public.contains(&path.as_str()) || !path.starts_with("/api/") {
            continue;
        }
        let url = format!(
            "{}{}",
            app.url,
            path.replace("{id}", "01000000-0000-7000-8000-000000000000")
        );
        for method in ops.as_object().unwrap().keys() {
            let request = http.request(method.to_uppercase().parse().unwrap(), &url);
            let (status, body) = problem(request.send().await.unwrap()).await;
            assert_eq!(status, 401, "{method} {path} let an anonymous caller in");
            assert_eq!(body["code"], "auth.required");
            checked += 1;
        }
    }
    assert!(checked >= 8, "only {checked} routes checked");

    let agent = app.token(Role::Agent).await;
    for (method, path) in [
        ("GET", "/api/v1/users"),
        ("POST", "/api/v1/tokens"),
        ("GET", "/api/v1/audit"),
    ] {
        let response = http
            .request(method.parse().unwrap(), format!("{}{path}", app.url))
            .bearer_auth(&agent)
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap();
        let (status, body) = problem(response).await;
        assert_eq!(status, 403, "{method} {path} let an agent in");
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .contains("your role is agent"),
            "{body}"
        );
    }
    let cardholder_email = server::demo::first_cardholder_email();
    let (cardholder, _) = app.cardholder_client(&cardholder_email).await;
    let response = cardholder
        .get(format!("{}/api/v1/cardholders", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        403,
        "cardholders cannot search other cardholders"
    );
    app.stop().await;
}

#[tokio::test]
async fn api_tokens_work_until_revoked() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin).await;
    let http = app.client();
    let created: serde_json::Value = http
        .post(format!("{}/api/v1/tokens", app.url))
        .bearer_auth(&admin)
        .json(&serde_json::json!({"name": "processor", "role": "integration"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let secret = created["token"].as_str().unwrap();
    assert!(secret.starts_with("hl_"));
    let me = http
        .get(format!("{}/api/v1/me", app.url))
        .bearer_auth(secret)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let listed = http
        .get(format!("{}/api/v1/tokens", app.url))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!listed.contains(secret), "token secrets are never listed");
    let id = created["id"].as_str().unwrap();
    let revoked = http
        .delete(format!("{}/api/v1/tokens/{id}", app.url))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 204);
    let after = http
        .get(format!("{}/api/v1/me", app.url))
        .bearer_auth(secret)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 401);
    app.stop().await;
}

#[tokio::test]
async fn sign_in_attempts_are_rate_limited() {
    let app = TestApp::spawn().await;
    let http = app.client();
    let attempt = || {
        http.post(format!("{}/api/v1/auth/login", app.url))
            .json(
                &serde_json::json!({"email": "agent@example.com", "password": "guess-guess-guess"}),
            )
            .send()
    };
    let limit = app.state.settings.auth.login_attempts_per_minute;
    for _ in 0..limit {
        assert_eq!(attempt().await.unwrap().status(), 401);
    }
    let (status, body) = problem(attempt().await.unwrap()).await;
    assert_eq!(status, 429);
    assert_eq!(body["code"], "auth.rate_limited");
    app.stop().await;
}

#[tokio::test]
async fn viewing_personal_data_is_audited_with_who_what_when_and_where() {
    let app = TestApp::spawn().await;
    let (agent, _) = app.staff_client("agent@example.com").await;
    let found: Vec<serde_json::Value> = agent
        .get(format!("{}/api/v1/cardholders?q=silva", app.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!found.is_empty());
    let id = found[0]["id"].as_str().unwrap();
    let one = agent
        .get(format!("{}/api/v1/cardholders/{id}", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(one.status(), 200);
    let body = one.text().await.unwrap();
    assert!(
        !body.contains("date_of_birth") && !body.contains("tax_id"),
        "verification facts are not shown: {body}"
    );

    let rows = app
        .store
        .audit_for_subject(&format!("cardholder:{id}"), Page::default())
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let row = &rows[0].record;
    let agent_user = app
        .store
        .user_by_email("agent@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.action, "cardholder.view");
    assert_eq!(row.actor, format!("staff:{}", agent_user.id));
    assert_eq!(row.ip, "127.0.0.1");
    assert_ne!(row.request_id, "-");
    let searches = app
        .store
        .audit_for_subject("cardholders", Page::default())
        .await
        .unwrap();
    assert_eq!(searches[0].record.action, "cardholder.search");
    app.stop().await;
}
