//! The people of a journey: a cardholder in the portal, staff in the console (both signed in
//! with the demo password, as a browser would be: a session cookie and its CSRF token), and the
//! card network's integration token.

use anyhow::{Context, bail};
use reqwest::RequestBuilder;
use serde_json::{Value, json};

use crate::{Tour, json};

/// Someone signed in: their own cookie jar and the session's CSRF token.
pub struct Person {
    pub client: reqwest::Client,
    /// The client's cookies (the session), to send on a WebSocket handshake as a browser does.
    pub jar: std::sync::Arc<reqwest::cookie::Jar>,
    pub csrf: String,
    /// `GET /api/v1/me`'s `id`: the cardholder's or staff user's id.
    pub id: String,
    base: String,
}

impl Person {
    /// The server's URL + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn get(&self, path: &str) -> RequestBuilder {
        self.client.get(self.url(path))
    }

    /// A state-changing request, with the CSRF token a browser page would send.
    pub fn post(&self, path: &str, body: &Value) -> RequestBuilder {
        self.client
            .post(format!("{}{path}", self.base))
            .header("X-CSRF-Token", &self.csrf)
            .json(body)
    }
}

impl Person {
    /// The notification on `channel` from `template` that staff see sent to `cardholder`,
    /// waiting up to 10 s for the outbox to send it.
    pub async fn notification(
        &self,
        cardholder: &str,
        channel: &str,
        template: &str,
    ) -> anyhow::Result<Option<Value>> {
        for _ in 0..100 {
            let sent =
                json(self.get(&format!("/api/v1/notifications?cardholder={cardholder}"))).await?;
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
}

impl Tour {
    /// A cardholder signs in to the portal with the demo password.
    pub async fn cardholder(&self, email: &str) -> anyhow::Result<Person> {
        self.sign_in("/api/v1/portal/login", email).await
    }

    /// A staff member signs in to the console with the demo password.
    pub async fn staff(&self, email: &str) -> anyhow::Result<Person> {
        self.sign_in("/api/v1/auth/login", email).await
    }

    /// Signs in; when the server's sign-in rate limit (per client address) says to wait, waits
    /// as a person would and tries again, for up to two minutes.
    async fn sign_in(&self, path: &str, email: &str) -> anyhow::Result<Person> {
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .build()
            .context("building an HTTP client")?;
        let body = json!({"email": email, "password": server::demo::DEMO_PASSWORD});
        let mut waited = 0;
        let response = loop {
            let response = client
                .post(self.url(path))
                .json(&body)
                .send()
                .await
                .with_context(|| format!("signing in as {email}"))?;
            if response.status() != reqwest::StatusCode::TOO_MANY_REQUESTS || waited >= 120 {
                break response;
            }
            tokio::time::sleep(std::time::Duration::from_secs(6)).await;
            waited += 6;
        };
        let status = response.status();
        let text = response.text().await.context("reading the answer")?;
        if !status.is_success() {
            bail!("signing in as {email}: {path} answered {status}: {text}");
        }
        let me: Value = serde_json::from_str(&text)
            .with_context(|| format!("signing in as {email}: {text}"))?;
        let field = |name: &str| {
            me[name]
                .as_str()
                .map(str::to_owned)
                .with_context(|| format!("signing in as {email}: no {name} in {me}"))
        };
        Ok(Person {
            client,
            jar,
            csrf: field("csrf_token")?,
            id: field("id")?,
            base: self.target.url.clone(),
        })
    }

    /// A bearer token for the card network (authorizations, SMS replies), issued by the demo
    /// admin as an operator would.
    pub async fn integration_token(&self, name: &str) -> anyhow::Result<String> {
        let admin = self.staff("admin@example.com").await?;
        let created = json(admin.post(
            "/api/v1/tokens",
            &json!({"name": name, "role": "integration"}),
        ))
        .await?;
        created["token"]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("no token in {created}"))
    }
}
