//! A caller on the phone as the telephony provider reports the call: form posts to the TwiML
//! webhooks, signed with the telephony token, and the TwiML the server answers with.

use anyhow::{Context, bail};
use ivr::twiml::RequestSigner;

use crate::Tour;
use crate::people::{demo_card, demo_cardholder, fresh};

/// The number callers dial unless they looked up another (the demo's fictional toll-free line).
const HELPLINE: &str = "+18005550199";

/// A caller on the phone: each step is the carrier's signed webhook, each answer TwiML.
pub struct Phone {
    http: reqwest::Client,
    signer: RequestSigner,
    base: String,
    from: String,
    to: String,
    /// The call's id at the carrier.
    pub sid: String,
    /// Every TwiML answer, in order.
    pub heard: Vec<String>,
}

impl Phone {
    /// A new call from `from` (E.164) to the helpline, not yet placed.
    pub fn new(t: &Tour, from: &str) -> anyhow::Result<Phone> {
        Self::dialling(t, from, HELPLINE)
    }

    /// A new call from `from` to the number `to` (E.164), not yet placed.
    pub fn dialling(t: &Tour, from: &str, to: &str) -> anyhow::Result<Phone> {
        Ok(Phone {
            http: reqwest::Client::new(),
            signer: RequestSigner::new(&t.target.twiml_auth_token)
                .map_err(|e| anyhow::anyhow!("the telephony token: {e}"))?,
            base: t.target.url.clone(),
            from: from.to_owned(),
            to: to.to_owned(),
            sid: fresh("CA"),
            heard: Vec::new(),
        })
    }

    async fn post(&mut self, path: &str, extra: &[(&str, &str)]) -> anyhow::Result<String> {
        let mut params: Vec<(String, String)> = [
            ("CallSid", self.sid.as_str()),
            ("From", self.from.as_str()),
            ("To", self.to.as_str()),
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
