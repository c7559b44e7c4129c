//! The journeys of the seed documents (issue 12), each driven end to end through Helpline's
//! public interfaces only: the HTTP API, the TwiML webhooks (signed as the carrier signs them),
//! WebSocket chat and SIP where it applies. The same functions are the end-to-end tests
//! (`tests/journeys/`, which then also check what was stored) and `helpline demo tour`, which
//! prints each step and its result against a running demo.
//!
//! A journey only knows what its people know: the demo's published accounts and password, the
//! cardholder's own card number and security code (the demo fixtures), and the server's
//! telephony token (from the data directory, as the carrier would be configured with it).

pub mod charge_not_recognised;
pub mod chat;
pub mod everyday_self_service;
pub mod formal_complaint;
pub mod lost_card_abroad;
pub mod people;
pub mod phone;
pub mod platinum_priority;
pub mod scam_call;
pub mod spanish_at_night;
pub mod was_this_you;

use std::future::Future;
use std::pin::Pin;

use anyhow::{Context, bail};
use serde_json::Value;

/// The server a journey runs against.
#[derive(Clone, Debug)]
pub struct Target {
    /// Base URL, e.g. `http://127.0.0.1:8080` (no trailing slash).
    pub url: String,
    /// `[telephony] twiml_auth_token`, to sign IVR webhook requests as the carrier would.
    pub twiml_auth_token: String,
}

/// One thing a journey did and what came of it, as the tour prints it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub what: String,
    pub result: String,
}

/// A journey in progress: where it runs and the steps taken so far.
pub struct Tour {
    pub target: Target,
    steps: Vec<Step>,
    on_step: Box<dyn FnMut(&Step) + Send + Sync>,
}

impl Tour {
    /// `on_step` sees each step as it is taken (the tour prints it; tests ignore it).
    pub fn new(target: Target, on_step: impl FnMut(&Step) + Send + Sync + 'static) -> Tour {
        Tour {
            target,
            steps: Vec::new(),
            on_step: Box::new(on_step),
        }
    }

    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// Records a step and its result.
    pub fn step(&mut self, what: impl Into<String>, result: impl Into<String>) {
        let step = Step {
            what: what.into(),
            result: result.into(),
        };
        (self.on_step)(&step);
        self.steps.push(step);
    }

    /// Records a step whose outcome the journey depends on: an error (ending the journey)
    /// when `holds` is false, saying what was expected and what was seen.
    pub fn expect(
        &mut self,
        what: &str,
        holds: bool,
        seen: impl Into<String>,
    ) -> anyhow::Result<()> {
        let seen = seen.into();
        if !holds {
            bail!("{what}: expected, but saw {seen}");
        }
        self.step(what, seen);
        Ok(())
    }

    /// `url` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.target.url)
    }

    /// A new client that keeps cookies, like a browser (one per person in a journey).
    pub fn browser(&self) -> anyhow::Result<reqwest::Client> {
        reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .context("building an HTTP client")
    }
}

/// Sends a request and reads the JSON answer; a non-success status is an error that carries
/// the server's problem details.
pub async fn json(request: reqwest::RequestBuilder) -> anyhow::Result<Value> {
    let response = request.send().await.context("sending the request")?;
    let status = response.status();
    let url = response.url().path().to_owned();
    let text = response.text().await.context("reading the answer")?;
    if !status.is_success() {
        bail!("{url} answered {status}: {text}");
    }
    if text.is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(&text).with_context(|| format!("{url} answered with invalid JSON: {text}"))
}

/// A JSON value as a person reads it: a string without its quotes, anything else as JSON.
pub fn text(value: &Value) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_owned)
}

type Run =
    for<'a> fn(&'a mut Tour) -> Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send + 'a>>;

/// A journey as the tour lists and runs it.
pub struct Journey {
    pub number: u8,
    pub title: &'static str,
    pub run: Run,
}

/// Every journey, in the seeds' order.
pub fn all() -> Vec<Journey> {
    vec![
        Journey {
            number: 1,
            title: "Lost card abroad",
            run: |t| Box::pin(async { lost_card_abroad::run(t).await.map(drop) }),
        },
        Journey {
            number: 2,
            title: "A charge I don't recognise",
            run: |t| Box::pin(async { charge_not_recognised::run(t).await.map(drop) }),
        },
        Journey {
            number: 3,
            title: "Was this you?",
            run: |t| Box::pin(async { was_this_you::run(t).await.map(drop) }),
        },
        Journey {
            number: 4,
            title: "Is this call really from my bank?",
            run: |t| Box::pin(async { scam_call::run(t).await.map(drop) }),
        },
        Journey {
            number: 5,
            title: "Platinum priority",
            run: |t| Box::pin(async move { platinum_priority::run(t).await.map(drop) }),
        },
        Journey {
            number: 6,
            title: "Spanish at 3 a.m. New York time",
            run: |t| Box::pin(async move { spanish_at_night::run(t).await.map(drop) }),
        },
        Journey {
            number: 7,
            title: "Formal complaint",
            run: |t| Box::pin(async move { formal_complaint::run(t).await.map(drop) }),
        },
        Journey {
            number: 8,
            title: "Everyday self-service",
            run: |t| Box::pin(async move { everyday_self_service::run(t).await.map(drop) }),
        },
    ]
}
