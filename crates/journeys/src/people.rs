//! The people of journeys 5–8 as the server sees them: staff and cardholders signed in with
//! the demo password (a browser-like client with its CSRF token), and callers on the phone,
//! whose every keypress is a TwiML webhook signed as the carrier signs it.

use anyhow::{Context, bail};
use ivr::twiml::RequestSigner;
use serde_json::{Value, json};

use crate::{Tour, json};

/// The number callers dial (the demo's fictional toll-free line).
const HELPLINE: &str = "+18005550199";

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
        let http = t.browser();
        let url = t.url(path);
        let base = t.target.url.clone();
        let email = email.to_owned();
        async move { Self::signed_in(http?, &url, base, email).await }
    }

    async fn signed_in(
        http: reqwest::Client,
        url: &str,
        base: String,
        email: String,
    ) -> anyhow::Result<Person> {
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
            base,
        })
    }

    fn url(&self, path: &str) -> String {
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
}

/// The offers on a console.
pub fn offers(console: &Value) -> impl Iterator<Item = &Value> {
    console["offers"].as_array().into_iter().flatten()
}

/// A caller on the phone: each step is the carrier's signed webhook, each answer TwiML.
pub struct Phone {
    http: reqwest::Client,
    signer: RequestSigner,
    base: String,
    from: String,
    /// The call's id at the carrier.
    pub sid: String,
    /// Every TwiML answer, in order.
    pub heard: Vec<String>,
}

impl Phone {
    /// A new call from `from` (E.164), not yet placed.
    pub fn new(t: &Tour, from: &str) -> anyhow::Result<Phone> {
        Ok(Phone {
            http: reqwest::Client::new(),
            signer: RequestSigner::new(&t.target.twiml_auth_token)
                .map_err(|e| anyhow::anyhow!("the telephony token: {e}"))?,
            base: t.target.url.clone(),
            from: from.to_owned(),
            sid: fresh("CA"),
            heard: Vec::new(),
        })
    }

    async fn post(&mut self, path: &str, extra: &[(&str, &str)]) -> anyhow::Result<String> {
        let mut params: Vec<(String, String)> = [
            ("CallSid", self.sid.as_str()),
            ("From", self.from.as_str()),
            ("To", HELPLINE),
            ("CallStatus", "in-progress"),
            ("AccountSid", "ACjourneys"),
        ]
        .iter()
        .chain(extra)
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        params.sort();
        let url = format!("{}{path}", self.base);
        let signature = self.signer.sign(&url, &params);
        let response = self
            .http
            .post(&url)
            .header("X-Twilio-Signature", signature)
            .form(&params)
            .send()
            .await
            .with_context(|| format!("posting {path}"))?;
        let status = response.status();
        let body = response.text().await?;
        if !status.is_success() {
            bail!("{path} answered {status}: {body}");
        }
        self.heard.push(body.clone());
        Ok(body)
    }

    /// Dials the helpline: the first TwiML.
    pub async fn call(&mut self) -> anyhow::Result<String> {
        self.post("/telephony/twiml/voice", &[]).await
    }

    /// Keys digits at the current question.
    pub async fn press(&mut self, keys: &str) -> anyhow::Result<String> {
        self.post("/telephony/twiml/action", &[("Digits", keys)])
            .await
    }

    /// Says something at the current question (the carrier's speech recognition).
    pub async fn say(&mut self, text: &str) -> anyhow::Result<String> {
        self.post(
            "/telephony/twiml/action",
            &[("SpeechResult", text), ("Confidence", "0.93")],
        )
        .await
    }

    /// Hangs up: the carrier's final status callback.
    pub async fn hang_up(&mut self) -> anyhow::Result<()> {
        self.post("/telephony/twiml/status", &[("CallStatus", "completed")])
            .await
            .map(drop)
    }
}

/// The queue a TwiML answer puts the caller in, if it does.
pub fn enqueued(twiml: &str) -> Option<&str> {
    let start = twiml.find("<Enqueue")?;
    let open = start + twiml[start..].find('>')? + 1;
    let close = open + twiml[open..].find("</Enqueue>")?;
    Some(&twiml[open..close])
}

/// What the caller hears in a TwiML answer: each `<Say>` with its `language` attribute.
pub fn spoken(twiml: &str) -> Vec<(String, String)> {
    let mut said = Vec::new();
    let mut rest = twiml;
    while let Some(start) = rest.find("<Say") {
        let Some(open) = rest[start..].find('>').map(|i| start + i) else {
            break;
        };
        let tag = &rest[start..open];
        let language = tag
            .split("language=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or("")
            .to_owned();
        let Some(close) = rest[open..].find("</Say>").map(|i| open + i) else {
            break;
        };
        let text = rest[open + 1..close]
            .replace("&apos;", "'")
            .replace("&quot;", "\"")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&");
        said.push((language, text));
        rest = &rest[close..];
    }
    said
}

/// Everything said in a TwiML answer, as one text.
pub fn said(twiml: &str) -> String {
    spoken(twiml)
        .into_iter()
        .map(|(_, text)| text)
        .collect::<Vec<_>>()
        .join(" ")
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

impl Phone {
    /// A call from demo cardholder `i`'s phone on file (or a fictional number if they have none).
    pub fn of_cardholder(t: &Tour, i: usize) -> anyhow::Result<Phone> {
        let holder = demo_cardholder(i)?;
        Phone::new(t, holder.phone.as_deref().unwrap_or("+12125550142"))
    }

    /// Calls as demo cardholder `i`, chooses `language_key` and `reason_key` at the menus and
    /// answers the card number and security code of their first card; returns the queue once
    /// the call waits for a person.
    pub async fn call_for_a_person(
        &mut self,
        i: usize,
        language_key: &str,
        reason_key: &str,
    ) -> anyhow::Result<String> {
        let (number, code) = demo_card(i, 0)?;
        self.call().await?;
        self.press(language_key).await?;
        self.press(reason_key).await?;
        self.press(&number).await?;
        let twiml = self.press(&code).await?;
        match enqueued(&twiml) {
            Some(queue) => Ok(queue.to_owned()),
            None => bail!("the call was not queued for a person: {twiml}"),
        }
    }
}
