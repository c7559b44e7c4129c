//! Bad input gets a clear 4xx problem, never a 500 or a silent success.

use domain::Role;
use server::testkit::TestApp;

async fn problem(response: reqwest::Response) -> (u16, serde_json::Value) {
    let status = response.status().as_u16();
    let ctype = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert_eq!(ctype, "application/problem+json", "status {status}");
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn malformed_bodies_on_every_write_route_are_4xx_problems() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin).await;
    let http = app.client();
    let spec: serde_json::Value = http
        .get(format!("{}/api/openapi.json", app.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let oversized = format!(
        "{{\"text\": \"{}\"}}",
        "x".repeat(app.state.settings.server.max_body_bytes + 1)
    );
    let bodies: [(&str, String); 4] = [
        ("truncated JSON", "{\"oops\":".to_owned()),
        (
            "wrong types",
            r#"{"id": [], "amount": "lots", "email": 42, "country": {"x": 1}}"#.to_owned(),
        ),
        ("not an object", "[1, 2, 3]".to_owned()),
        ("oversized", oversized),
    ];
    let mut tried = 0;
    for (path, ops) in spec["paths"].as_object().unwrap() {
        for method in ["post", "put", "patch"] {
            if ops.get(method).is_none() {
                continue;
            }
            let url = format!(
                "{}{}",
                app.url,
                path.replace("{id}", "01000000-0000-7000-8000-000000000000")
            );
            for (name, body) in &bodies {
                let response = http
                    .request(method.to_uppercase().parse().unwrap(), &url)
                    .bearer_auth(&admin)
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await
                    .unwrap();
                let (status, _) = problem(response).await;
                assert!(
                    (400..500).contains(&status),
                    "{method} {path} [{name}] answered {status}"
                );
                tried += 1;
            }
        }
    }
    assert!(tried >= 16, "only {tried} requests");
    app.stop().await;
}

#[tokio::test]
async fn each_kind_of_bad_request_says_what_was_wrong() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::Admin).await;
    let http = app.client();
    let post = |body: &'static str| {
        http.post(format!("{}/api/v1/users", app.url))
            .bearer_auth(&admin)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let (status, body) = problem(post("{\"email\": ").await.unwrap()).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("request.invalid_json"))
    );

    let (status, body) = problem(
        post(
            r#"{"email": 42, "display_name": "x", "role": "agent", "password": "long enough pw"}"#,
        )
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("request.invalid_field"))
    );
    assert!(body["detail"].as_str().unwrap().contains("email"), "{body}");

    let (status, body) = problem(
        post(r#"{"email": "a@example.com", "display_name": "x", "role": "agent", "password": "long enough pw", "colour": "red"}"#)
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        body["detail"].as_str().unwrap().contains("colour"),
        "unknown fields are named: {body}"
    );

    let (status, body) = problem(post(r#"{"email": "a@example.com", "display_name": "x", "role": "wizard", "password": "long enough pw"}"#).await.unwrap()).await;
    assert_eq!((status, body["code"].as_str()), (422, Some("user.role")));
    assert!(
        body["detail"].as_str().unwrap().contains("fraud_analyst"),
        "the allowed values are listed: {body}"
    );

    let (status, body) = problem(post(r#"{"email": "a@example.com", "display_name": "x", "role": "agent", "password": "short"}"#).await.unwrap()).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("user.password"))
    );

    let plain = http
        .post(format!("{}/api/v1/users", app.url))
        .bearer_auth(&admin)
        .body("{}")
        .send()
        .await
        .unwrap();
    let (status, body) = problem(plain).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (415, Some("request.content_type"))
    );

    let (status, body) = problem(
        http.get(format!("{}/api/v1/no-such-thing", app.url))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("route.not_found"))
    );

    let (status, body) = problem(
        http.put(format!("{}/api/v1/me", app.url))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (405, Some("route.method_not_allowed"))
    );

    let (status, body) = problem(
        http.get(format!("{}/api/v1/cardholders/not-a-uuid", app.url))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("request.invalid_path"))
    );

    let (status, body) = problem(
        http.get(format!("{}/api/v1/cardholders?limit=lots", app.url))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("request.invalid_query"))
    );

    let missing = format!(
        "{}/api/v1/cardholders/{}",
        app.url,
        domain::CardholderId::new()
    );
    let (status, body) = problem(http.get(missing).bearer_auth(&admin).send().await.unwrap()).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("cardholder.not_found"))
    );

    let (status, body) = problem(
        http.get(format!("{}/api/v1/me", app.url))
            .bearer_auth("hl_forged")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("auth.required"))
    );
    app.stop().await;
}
