//! The people of a journey as the server sees them: staff and cardholders signed in with the
//! demo password (a browser-like client with its CSRF token), the card network's integration
//! token, and what the demo fixtures tell a cardholder about themselves.

use anyhow::{Context, bail};
use serde_json::{Value, json};

use crate::{Tour, json};

/// How long a sign-in waits out the server's sign-in rate limit, and how often it tries.
const SIGN_IN_PATIENCE_SECS: u64 = 90;
const SIGN_IN_RETRY_SECS: u64 = 5;

/// A fresh id for a call or an idempotency key: re-running the tour never repeats one.
pub fn fresh(prefix: &str) -> String {
    format!("{prefix}{}", uuid::Uuid::now_v7().simple())
}

/// Someone signed in: a staff member (console and API) or a cardholder (portal).
pub struct Person {
    pub http: reqwest::Client,
    /// The client's cookies (the session), to send on a WebSocket handshake as a browser does.
    pub jar: std::sync::Arc<reqwest::cookie::Jar>,
    pub csrf: String,
    /// Their user id (staff) or cardholder id.
    pub id: String,
    pub email: String,
    base: String,
}

impl Person {
    /// Signs a demo staff member in.
    pub fn staff(t: &Tour, email: &str) -> impl Future<Output = anyhow::Result<Person>> + use<> {
        Self::sign_in(t, "/api/v1/auth/login", email)
    }

    /// Signs a demo cardholder in to the portal.
    pub fn cardholder(
        t: &Tour,
        email: &str,
    ) -> impl Future<Output = anyhow::Result<Person>> + use<> {
        Self::sign_in(t, "/api/v1/portal/login", email)
    }

    /// (The future holds no reference to the tour, which journeys change meanwhile.)
    fn sign_in(
        t: &Tour,
        path: &str,
        email: &str,
    ) -> impl Future<Output = anyhow::Result<Person>> + use<> {
        let url = t.url(path);
        let base = t.target.url.clone();
        let email = email.to_owned();
        async move { Self::signed_in(&url, base, email).await }
    }

    async fn signed_in(url: &str, base: String, email: String) -> anyhow::Result<Person> {
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        let http = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .build()
            .context("building an HTTP client")?;
        let credentials = json!({"email": email, "password": server::demo::DEMO_PASSWORD});
        // Sign-ins are rate-limited per address: a tour of every journey from one machine
        // waits for the limit to let the next one through, as a person would.
        let mut waited = 0;
        let me = loop {
            let answer = json(http.post(url).json(&credentials)).await;
            match answer {
                Err(e) if e.to_string().contains("429") && waited < SIGN_IN_PATIENCE_SECS => {
                    tokio::time::sleep(std::time::Duration::from_secs(SIGN_IN_RETRY_SECS)).await;
                    waited += SIGN_IN_RETRY_SECS;
                }
                answer => break answer.with_context(|| format!("signing in as {email}"))?,
            }
        };
        let field = |name: &str| {
            me[name]
                .as_str()
                .map(str::to_owned)
                .with_context(|| format!("the sign-in answer has no {name}: {me}"))
        };
        Ok(Person {
            csrf: field("csrf_token")?,
            id: field("id")?,
            email,
            http,
            jar,
            base,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> anyhow::Result<Value> {
        json(self.http.get(self.url(path))).await
    }

    /// A page as HTML.
    pub async fn page(&self, path: &str) -> anyhow::Result<String> {
        let response = self.http.get(self.url(path)).send().await?;
        let status = response.status();
        let text = response.text().await?;
        if !status.is_success() {
            bail!("{path} answered {status}: {text}");
        }
        Ok(text)
    }

    /// A state-changing request with the CSRF token (and a fresh idempotency key).
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let mut request = self
            .http
            .request(method, self.url(path))
            .header("x-csrf-token", &self.csrf)
            .header("idempotency-key", fresh("j-"));
        if let Some(body) = body {
            request = request.json(&body);
        }
        json(request).await
    }

    pub async fn post(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        self.send(reqwest::Method::PUT, path, Some(body)).await
    }

    /// Staff: the routing console (presence, offers, contacts in hand).
    pub async fn console(&self) -> anyhow::Result<Value> {
        self.get("/api/v1/routing/console").await
    }

    /// Staff: asks for `availability` (available, break or offline).
    pub async fn presence(&self, availability: &str) -> anyhow::Result<Value> {
        self.put(
            "/api/v1/routing/console/presence",
            json!({"availability": availability}),
        )
        .await
    }

    /// Staff: accept, decline or complete a contact.
    pub async fn contact(&self, contact: &str, step: &str) -> anyhow::Result<Value> {
        self.send(
            reqwest::Method::POST,
            &format!("/api/v1/routing/contacts/{contact}/{step}"),
            None,
        )
        .await
    }

    /// Staff: ends wrap-up, ready for the next contact.
    pub async fn ready(&self) -> anyhow::Result<Value> {
        self.send(
            reqwest::Method::POST,
            "/api/v1/routing/console/wrap-up-done",
            None,
        )
        .await
    }

    /// Staff: waits (up to `seconds`) for an offer on the console whose context is `context`.
    pub async fn offer_of(&self, context: &str, seconds: u64) -> anyhow::Result<Option<Value>> {
        for _ in 0..seconds * 4 {
            let console = self.console().await?;
            if let Some(offer) = offers(&console).find(|o| o["context_id"] == context) {
                return Ok(Some(offer.clone()));
            }
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        }
        Ok(None)
    }

    /// The notification on `channel` from `template` that staff see sent to `cardholder`,
    /// waiting up to 10 s for the outbox to send it.
    pub async fn notification(
        &self,
        cardholder: &str,
        channel: &str,
        template: &str,
    ) -> anyhow::Result<Option<Value>> {
        for _ in 0..100 {
            let sent = self
                .get(&format!("/api/v1/notifications?cardholder={cardholder}"))
                .await?;
            let found = sent
                .as_array()
                .into_iter()
                .flatten()
                .find(|n| n["channel"] == channel && n["template"] == template);
            if let Some(found) = found {
                return Ok(Some(found.clone()));
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        Ok(None)
    }

    /// A bearer token for the card network (authorizations, SMS replies), issued by the demo
    /// admin as an operator would.
    pub async fn integration_token(t: &Tour, name: &str) -> anyhow::Result<String> {
        let admin = Person::staff(t, "admin@example.com").await?;
        let created = admin
            .post(
                "/api/v1/tokens",
                json!({"name": name, "role": "integration"}),
            )
            .await?;
        created["token"]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("no token in {created}"))
    }
}

/// The hubs open at the time of `figures` (`GET /api/v1/routing/figures`), in its order.
pub fn open_hubs(figures: &Value) -> Vec<String> {
    figures["hubs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|h| h["open"] == true)
        .filter_map(|h| h["hub"].as_str().map(str::to_owned))
        .collect()
}

/// The offers on a console.
pub fn offers(console: &Value) -> impl Iterator<Item = &Value> {
    console["offers"].as_array().into_iter().flatten()
}

/// The `i`-th demo cardholder as the fixtures know them (their own details).
pub fn demo_cardholder(i: usize) -> anyhow::Result<store::Cardholder> {
    server::demo::demo_cardholder(i, "", None, jiff::Timestamp::UNIX_EPOCH)
}

/// The number and security code of the `k`-th card of the `i`-th demo cardholder.
pub fn demo_card(i: usize, k: u32) -> anyhow::Result<(String, String)> {
    let card = server::demo::cards::demo_card_of(i, k)?;
    Ok((
        card.pan.reveal().to_owned(),
        card.security_code.reveal().to_owned(),
    ))
}
