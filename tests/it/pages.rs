//! Pages over plain HTTP: sign-in forms, roles on pages, languages.

use server::testkit::TestApp;

fn form_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn csrf_of(html: &str) -> String {
    let start = html
        .find("name=\"csrf-token\" content=\"")
        .expect("csrf meta")
        + 27;
    html[start..].split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn staff_sign_in_through_the_form_reaches_the_console() {
    let app = TestApp::spawn().await;
    let http = form_client();
    let to_login = http
        .get(format!("{}/console", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(to_login.status(), 303);
    assert_eq!(to_login.headers()["location"], "/login?next=/console");

    let page = http
        .get(format!("{}/login", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Staff sign-in") && page.contains("helpline-demo"),
        "demo hint shown in demo mode"
    );

    let bad = http
        .post(format!("{}/login", app.url))
        .form(&[
            ("email", "agent@example.com"),
            ("password", "wrong password!"),
            ("next", "/console"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);
    assert!(
        bad.text()
            .await
            .unwrap()
            .contains("The email or password is not right.")
    );

    let good = http
        .post(format!("{}/login", app.url))
        .form(&[
            ("email", "agent@example.com"),
            ("password", "helpline-demo"),
            ("next", "//evil.example/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(good.status(), 303);
    assert_eq!(
        good.headers()["location"],
        "/console",
        "off-site next= is ignored"
    );
    let cookie = good.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );

    let console = http
        .get(format!("{}/console?q=garcia", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(console.contains("Welcome, Alex Morgan"));
    assert!(
        console.contains("/console/cardholders/"),
        "search results link to the customer view"
    );

    let admin_page = http.get(format!("{}/admin", app.url)).send().await.unwrap();
    assert_eq!(
        admin_page.status(),
        403,
        "agents cannot open the admin page"
    );

    let csrf = csrf_of(&console);
    let forged = http
        .post(format!("{}/logout", app.url))
        .form(&[("csrf", "wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let out = http
        .post(format!("{}/logout", app.url))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    let again = http
        .get(format!("{}/console", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 303);
    app.stop().await;
}

#[tokio::test]
async fn admins_create_accounts_and_tokens_on_the_admin_page() {
    let app = TestApp::spawn().await;
    let http = form_client();
    http.post(format!("{}/login", app.url))
        .form(&[
            ("email", "admin@example.com"),
            ("password", "helpline-demo"),
        ])
        .send()
        .await
        .unwrap();
    let page = http
        .get(format!("{}/admin", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_of(&page);
    let created = http
        .post(format!("{}/admin/users", app.url))
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", "zoe@example.com"),
            ("display_name", "Zoe Zhang"),
            ("role", "supervisor"),
            ("language", "zh"),
            ("password", "a long password"),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        created.contains("Account zoe@example.com created."),
        "{created}"
    );
    let token_page = http
        .post(format!("{}/admin/tokens", app.url))
        .form(&[
            ("csrf", csrf.as_str()),
            ("name", "IVR provider"),
            ("role", "integration"),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let start = token_page.find("id=\"new-token\">").unwrap() + 15;
    let token = token_page[start..].split('<').next().unwrap();
    assert!(token.starts_with("hl_"));
    let me = app
        .client()
        .get(format!("{}/api/v1/me", app.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn pages_speak_spanish_when_asked_and_remember_it() {
    let app = TestApp::spawn().await;
    let http = form_client();
    let spanish = http
        .get(format!("{}/login?lang=es", app.url))
        .send()
        .await
        .unwrap();
    assert!(
        spanish.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("helpline_lang=es")
    );
    let html = spanish.text().await.unwrap();
    assert!(
        html.contains("<html lang=\"es\">") && html.contains("Acceso del personal"),
        "{html}"
    );
    let later = http
        .get(format!("{}/", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        later.contains("Atención para cada titular"),
        "the choice is remembered"
    );
    let browser_says = app
        .client()
        .get(format!("{}/", app.url))
        .header("accept-language", "es-MX,es;q=0.9")
        .send()
        .await
        .unwrap();
    assert!(
        browser_says
            .text()
            .await
            .unwrap()
            .contains("Para titulares")
    );
    app.stop().await;
}

#[tokio::test]
async fn cardholders_sign_in_to_the_portal_and_nowhere_else() {
    let app = TestApp::spawn().await;
    let http = form_client();
    let email = server::demo::first_cardholder_email();
    let signed = http
        .post(format!("{}/portal/login", app.url))
        .form(&[
            ("email", email.as_str()),
            ("password", "helpline-demo"),
            ("next", "/portal"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), 303);
    let portal = http
        .get(format!("{}/portal", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(portal.contains("Hello, Maria"), "{portal}");
    assert!(portal.contains("never ask for your full card number"));
    let console = http
        .get(format!("{}/console", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(console.status(), 403);
    let unknown = app
        .client()
        .get(format!("{}/no/such/page", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    assert!(
        unknown
            .text()
            .await
            .unwrap()
            .contains("There is no such page.")
    );
    app.stop().await;
}
