//! A phone call as the telephony provider reports it: form posts to the TwiML webhooks, signed
//! with the telephony token, and the TwiML the server answers with.

use anyhow::{Context, bail};
use ivr::twiml::RequestSigner;

use crate::Tour;

/// One call from `from` to `to`.
pub struct Call {
    client: reqwest::Client,
    signer: RequestSigner,
    base: String,
    pub sid: String,
    pub from: String,
    pub to: String,
}

impl Tour {
    /// A new call (`sid` must be new to the server: add something unique for re-runs).
    pub fn call(&self, sid: &str, from: &str, to: &str) -> anyhow::Result<Call> {
        Ok(Call {
            client: reqwest::Client::new(),
            signer: RequestSigner::new(&self.target.twiml_auth_token)
                .context("the telephony token")?,
            base: self.target.url.clone(),
            sid: sid.to_owned(),
            from: from.to_owned(),
            to: to.to_owned(),
        })
    }
}

impl Call {
    async fn post(&self, path: &str, extra: &[(&str, &str)]) -> anyhow::Result<String> {
        let mut params: Vec<(String, String)> = [
            ("CallSid", self.sid.as_str()),
            ("From", &self.from),
            ("To", &self.to),
            ("CallStatus", "in-progress"),
            ("AccountSid", "ACjourneys"),
        ]
        .iter()
        .filter(|(k, _)| !extra.iter().any(|(e, _)| e == k))
        .chain(extra)
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        params.sort();
        let url = format!("{}{path}", self.base);
        let signature = self.signer.sign(&url, &params);
        let response = self
            .client
            .post(&url)
            .header("X-Twilio-Signature", signature)
            .form(&params)
            .send()
            .await
            .with_context(|| format!("posting to {path}"))?;
        let status = response.status();
        let body = response.text().await.context("reading the TwiML")?;
        if !status.is_success() {
            bail!("{path} answered {status}: {body}");
        }
        Ok(body)
    }

    /// The call rings: the server's first TwiML.
    pub async fn start(&self) -> anyhow::Result<String> {
        self.post("/telephony/twiml/voice", &[]).await
    }

    /// The caller keys `digits`.
    pub async fn press(&self, digits: &str) -> anyhow::Result<String> {
        self.post("/telephony/twiml/action", &[("Digits", digits)])
            .await
    }

    /// The caller says `text` (as the provider's speech recognition heard it).
    pub async fn say(&self, text: &str) -> anyhow::Result<String> {
        self.post(
            "/telephony/twiml/action",
            &[("SpeechResult", text), ("Confidence", "0.92")],
        )
        .await
    }

    /// The caller hangs up.
    pub async fn hang_up(&self) -> anyhow::Result<()> {
        self.post("/telephony/twiml/status", &[("CallStatus", "completed")])
            .await
            .map(drop)
    }
}

/// What the caller hears in a TwiML answer: the text of its `<Say>` elements.
pub fn heard(twiml: &str) -> String {
    let mut out = String::new();
    let mut rest = twiml;
    while let Some(start) = rest.find("<Say") {
        let Some(open) = rest[start..].find('>') else {
            break;
        };
        let body = &rest[start + open + 1..];
        let Some(close) = body.find("</Say>") else {
            break;
        };
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&body[..close]);
        rest = &body[close..];
    }
    out.replace("&apos;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The queue a TwiML answer puts the caller in, if any.
pub fn queue(twiml: &str) -> Option<&str> {
    let start = twiml.find("<Enqueue")?;
    let open = start + twiml[start..].find('>')? + 1;
    let close = open + twiml[open..].find("</Enqueue>")?;
    Some(&twiml[open..close])
}
