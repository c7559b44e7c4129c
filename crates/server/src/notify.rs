//! The notifications sender (product §3): an outbox handler that turns the events a cardholder
//! should hear about into SMS, push and email, through the provider configured per channel: the
//! log (default), SMTP (lettre over rustls), or a signed HTTPS webhook (SMS and push). When a
//! voice provider is configured, a fraud challenge is also a phone call: the carrier's
//! outbound-call webhook is asked to call the cardholder and fetch the call's TwiML from us
//! (`fraud_call`).
//!
//! Nothing is sent twice: each (event, channel, recipient) is recorded in the store before the
//! provider is called and marked sent after, so when the dispatcher hands an event out again
//! (it is at-least-once, and retries with backoff when this handler fails) only the channels
//! that did not go out are tried. A crash between the provider's answer and the record is the
//! one window left; webhooks carry a stable `Idempotency-Key` and emails a stable `Message-ID`
//! so the receiving side can drop such a duplicate.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context, bail};
use async_trait::async_trait;
use domain::{CardholderId, Lang};
use fluent_bundle::{FluentArgs, FluentValue};
use hmac::{KeyInit, Mac};
use serde::{Deserialize, Serialize};
use store::{DeliveryAttempt, OutboxEvent};

use crate::i18n::I18n;
use crate::outbox::EventHandler;
use crate::state::AppState;

// ---------------------------------------------------------------------------------------------
// Settings

/// `[notifications]` in `helpline.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotificationSettings {
    /// Who the messages say they are from ("Example Card Co.").
    pub issuer_name: String,
    /// The provider of each channel: "log", "smtp" (email only), "webhook" (any) or "off".
    pub email: Provider,
    pub sms: Provider,
    pub push: Provider,
    /// The fraud challenge's phone call: "webhook" (the carrier's outbound-call webhook,
    /// `voice_webhook`), "log" or "off" (the default: no calls).
    pub voice: Provider,
    pub smtp: SmtpSettings,
    pub webhook: WebhookSettings,
    /// The carrier's outbound-call webhook, signed like `webhook`; put its secret in
    /// HELPLINE_NOTIFICATIONS__VOICE_WEBHOOK__SECRET.
    pub voice_webhook: WebhookSettings,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    Log,
    Smtp,
    Webhook,
    Off,
}

impl Provider {
    pub fn name(self) -> &'static str {
        match self {
            Provider::Log => "log",
            Provider::Smtp => "smtp",
            Provider::Webhook => "webhook",
            Provider::Off => "off",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    /// "starttls" (upgrade after connecting; port 587), "tls" (TLS from the start; port 465) or
    /// "none" (plain text: only for a relay on this machine).
    pub tls: SmtpTls,
    /// The From header, e.g. "Example Card Co. <no-reply@example.com>".
    pub from: String,
    /// Empty: no authentication. Put the password in HELPLINE_NOTIFICATIONS__SMTP__PASSWORD,
    /// never in a file under version control.
    pub username: String,
    pub password: String,
    pub timeout_seconds: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpTls {
    Starttls,
    Tls,
    None,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookSettings {
    /// HTTPS (plain HTTP only to a loopback address).
    pub url: String,
    /// Signs every request (HMAC-SHA256); put it in HELPLINE_NOTIFICATIONS__WEBHOOK__SECRET.
    pub secret: String,
    pub timeout_seconds: u64,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        Self {
            issuer_name: "Helpline".to_owned(),
            email: Provider::Log,
            sms: Provider::Log,
            push: Provider::Log,
            voice: Provider::Off,
            smtp: SmtpSettings::default(),
            webhook: WebhookSettings::default(),
            voice_webhook: WebhookSettings::default(),
        }
    }
}

impl Default for SmtpSettings {
    fn default() -> Self {
        Self {
            host: String::new(),
            port: 587,
            tls: SmtpTls::Starttls,
            from: String::new(),
            username: String::new(),
            password: String::new(),
            timeout_seconds: 10,
        }
    }
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            url: String::new(),
            secret: String::new(),
            timeout_seconds: 10,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Decisions (pure)

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Sms,
    Push,
    Email,
    /// A phone call (the fraud challenge's).
    Voice,
}

impl Channel {
    pub fn name(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Push => "push",
            Channel::Email => "email",
            Channel::Voice => "voice",
        }
    }
}

/// The template whose phone call the IVR can make: the fraud challenge ("was this you?").
pub const CALL_TEMPLATE: &str = "fraud-challenge";

/// What one outbox event asks to tell one cardholder.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub cardholder: CardholderId,
    pub channels: Vec<Channel>,
    /// A catalog template: `notify-<template>-subject` / `-body`.
    pub template: String,
    pub args: BTreeMap<String, String>,
    /// Where to send on a channel instead of the contact on file (a contact-change notice goes
    /// to the old details).
    pub to: BTreeMap<Channel, String>,
}

/// Case events a cardholder hears about (by email): the acknowledgement with the reference,
/// when the agent waits on them, the resolution, a reopening and the complaint milestones.
const CASE_TEMPLATES: [&str; 7] = [
    "opened",
    "awaiting_customer",
    "resolved",
    "reopened",
    "complaint_raised",
    "complaint_acknowledged",
    "complaint_final_response",
];

/// An agent's email reply on a case, written by the email channel (`api/channels.rs`).
pub const CASE_EMAIL_TOPIC: &str = "email.outbound";

/// A cardholder's address, phone or email changed (`cards::Event::ContactChanged`).
pub const CONTACT_CHANGED_TOPIC: &str = "cardholder.contact_changed";

/// The topics this handler wants.
pub fn wants(topic: &str) -> bool {
    topic == "notification.requested"
        || topic == CASE_EMAIL_TOPIC
        || topic == CONTACT_CHANGED_TOPIC
        || topic.starts_with("appointment.")
        || topic
            .strip_prefix("case.")
            .is_some_and(|name| CASE_TEMPLATES.contains(&name))
}

/// Reads an event into a request; `None` when it is not for a cardholder (no cardholder, a
/// staff-only case event, an unknown channel list).
pub fn plan(topic: &str, payload: &serde_json::Value) -> Option<Request> {
    let cardholder: CardholderId = payload.get("cardholder_id")?.as_str()?.parse().ok()?;
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    let mut args = BTreeMap::new();
    let mut to = BTreeMap::new();
    let (channels, template) = if topic == "notification.requested" {
        let mut channels: Vec<Channel> = payload
            .get("channels")?
            .as_array()?
            .iter()
            .filter_map(|c| serde_json::from_value(c.clone()).ok())
            .collect();
        channels.sort();
        channels.dedup();
        if let Some(given) = payload.get("args").and_then(|a| a.as_object()) {
            for (k, v) in given {
                if let Some(v) = text(v) {
                    args.insert(k.clone(), v);
                }
            }
        }
        (channels, payload.get("template")?.as_str()?.to_owned())
    } else if topic == CONTACT_CHANGED_TOPIC {
        // The notice goes where the change says: the old value and the other contacts on
        // file, never the new value alone. Letters (an old address) have no provider here.
        for target in payload.get("notify")?.as_array()? {
            let channel = match target.get("by")?.as_str()? {
                "sms" => Channel::Sms,
                "email" => Channel::Email,
                _ => continue,
            };
            to.insert(channel, target.get("to")?.as_str()?.to_owned());
        }
        let field = payload.get("field")?.as_str()?;
        (
            to.keys().copied().collect(),
            format!("contact-changed-{field}"),
        )
    } else if let Some(name) = topic.strip_prefix("case.") {
        if !CASE_TEMPLATES.contains(&name) || payload.get("notify_cardholder")? != true {
            return None;
        }
        args.insert("reference".to_owned(), text(payload.get("reference")?)?);
        (
            vec![Channel::Email],
            format!("case-{}", name.replace('_', "-")),
        )
    } else if let Some(name) = topic.strip_prefix("appointment.") {
        if !["booked", "rescheduled", "cancelled", "reminder"].contains(&name) {
            return None;
        }
        for key in ["centre_name", "local_start"] {
            args.insert(key.to_owned(), text(payload.get(key)?)?);
        }
        let channels = if name == "reminder" {
            vec![Channel::Sms, Channel::Email]
        } else {
            vec![Channel::Email]
        };
        (channels, format!("appointment-{name}"))
    } else {
        return None;
    };
    if channels.is_empty() || template.is_empty() {
        return None;
    }
    Some(Request {
        cardholder,
        channels,
        template,
        args,
        to,
    })
}

/// A message ready for a provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    /// Short enough for an SMS.
    pub body: String,
}

/// Renders `notify-<template>-subject` and `-body` in `lang` (English when the language lacks
/// it). A body whose arguments are missing falls back to `-body-plain`, so that a template
/// asked for with fewer details still reads well. `None` for an unknown template.
pub fn render(
    i18n: &I18n,
    lang: Lang,
    template: &str,
    args: &BTreeMap<String, String>,
    issuer: &str,
) -> Option<Rendered> {
    let mut fluent = FluentArgs::new();
    fluent.set("issuer", FluentValue::from(issuer.to_owned()));
    for (k, v) in args {
        fluent.set(k.clone(), FluentValue::from(v.clone()));
    }
    let subject = i18n.checked(lang, &format!("notify-{template}-subject"), Some(&fluent))?;
    let body = i18n
        .checked(lang, &format!("notify-{template}-body"), Some(&fluent))
        .or_else(|| {
            i18n.checked(
                lang,
                &format!("notify-{template}-body-plain"),
                Some(&fluent),
            )
        })?;
    Some(Rendered { subject, body })
}

/// The webhook's signature header value: `v1=` and hex HMAC-SHA256 of `"<timestamp>.<body>"`.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret).expect("HMAC takes any key");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// Checks a signature in constant time (for receivers, and the tests).
pub fn verify(secret: &[u8], timestamp: i64, body: &[u8], signature: &str) -> bool {
    use subtle::ConstantTimeEq;
    let expected = sign(secret, timestamp, body);
    expected.as_bytes().ct_eq(signature.as_bytes()).into()
}

/// The delivery's stable key: the same on every attempt.
pub fn delivery_key(event_id: i64, channel: Channel) -> String {
    format!("helpline-{event_id}-{}", channel.name())
}

// ---------------------------------------------------------------------------------------------
// Providers (I/O)

/// The JSON a webhook receives for an SMS, a push or (the voice webhook) a call to place.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WebhookMessage {
    pub id: String,
    pub channel: Channel,
    /// E.164 phone number (SMS, voice) or `cardholder:<id>` (push).
    pub to: String,
    pub cardholder_id: CardholderId,
    pub template: String,
    pub language: String,
    pub title: String,
    pub text: String,
    /// Voice: where the carrier fetches the call's TwiML once the callee answers (POST).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub twiml_url: Option<String>,
    /// Voice: where the carrier posts the call's final status (POST).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_callback_url: Option<String>,
}

struct Webhook {
    client: reqwest::Client,
    url: String,
    secret: Vec<u8>,
}

impl Webhook {
    fn new(settings: &WebhookSettings) -> anyhow::Result<Webhook> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(settings.timeout_seconds.max(1)))
            .build()
            .context("notifications webhook client")?;
        Ok(Webhook {
            client,
            url: settings.url.clone(),
            secret: settings.secret.as_bytes().to_vec(),
        })
    }
}

type SmtpTransport = lettre::AsyncSmtpTransport<lettre::Tokio1Executor>;

struct Smtp {
    transport: SmtpTransport,
    from: lettre::message::Mailbox,
}

/// The notifications handler. Built from settings at start-up: a misconfigured provider stops
/// the server with a message that names the setting.
pub struct Notifier {
    state: AppState,
    webhook: Option<Webhook>,
    voice_webhook: Option<Webhook>,
    smtp: Option<Smtp>,
}

fn loopback(url: &reqwest::Url) -> bool {
    let host = url.host_str().unwrap_or_default();
    host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Refuses settings that cannot work, naming the setting to fix.
pub fn check(settings: &NotificationSettings) -> anyhow::Result<()> {
    let uses = |p: Provider| [settings.email, settings.sms, settings.push].contains(&p);
    if [settings.sms, settings.push, settings.voice].contains(&Provider::Smtp) {
        bail!(
            "notifications: only email can go through smtp; set sms, push and voice to webhook, log or off"
        );
    }
    if uses(Provider::Webhook) {
        check_webhook("webhook", &settings.webhook)?;
    }
    if settings.voice == Provider::Webhook {
        check_webhook("voice_webhook", &settings.voice_webhook)?;
    }
    if uses(Provider::Smtp) {
        let s = &settings.smtp;
        if s.host.is_empty() {
            bail!("notifications.smtp.host is empty but email goes through smtp");
        }
        s.from
            .parse::<lettre::message::Mailbox>()
            .with_context(|| format!("notifications.smtp.from {:?}", s.from))?;
    }
    Ok(())
}

/// Refuses a webhook that is not HTTPS (but for this machine) or has a short secret.
fn check_webhook(name: &str, w: &WebhookSettings) -> anyhow::Result<()> {
    let url: reqwest::Url = w
        .url
        .parse()
        .with_context(|| format!("notifications.{name}.url {:?}", w.url))?;
    if url.scheme() != "https" && !(url.scheme() == "http" && loopback(&url)) {
        bail!("notifications.{name}.url must be https:// (plain http only to this machine)");
    }
    if w.secret.len() < 16 {
        bail!(
            "notifications.{name}.secret must be at least 16 characters (set HELPLINE_NOTIFICATIONS__{}__SECRET)",
            name.to_uppercase()
        );
    }
    Ok(())
}

impl Notifier {
    pub fn new(state: AppState) -> anyhow::Result<Notifier> {
        let settings = &state.settings.notifications;
        check(settings)?;
        let uses = |p: Provider| [settings.email, settings.sms, settings.push].contains(&p);
        let webhook = if uses(Provider::Webhook) {
            Some(Webhook::new(&settings.webhook)?)
        } else {
            None
        };
        let voice_webhook = if settings.voice == Provider::Webhook {
            Some(Webhook::new(&settings.voice_webhook)?)
        } else {
            None
        };
        if settings.voice != Provider::Off {
            let missing = state.telephony.default_flow().missing_challenge_messages();
            if !missing.is_empty() {
                bail!(
                    "notifications.voice is on, but the IVR flow cannot speak the fraud challenge call; its catalogs lack: {}",
                    missing.join(", ")
                );
            }
        }
        let smtp = if uses(Provider::Smtp) {
            let s = &settings.smtp;
            let builder = match s.tls {
                SmtpTls::Starttls => SmtpTransport::starttls_relay(&s.host)?,
                SmtpTls::Tls => SmtpTransport::relay(&s.host)?,
                SmtpTls::None => SmtpTransport::builder_dangerous(&s.host),
            };
            let mut builder = builder
                .port(s.port)
                .timeout(Some(Duration::from_secs(s.timeout_seconds.max(1))));
            if !s.username.is_empty() {
                builder =
                    builder.credentials(lettre::transport::smtp::authentication::Credentials::new(
                        s.username.clone(),
                        s.password.clone(),
                    ));
            }
            Some(Smtp {
                transport: builder.build(),
                from: s.from.parse()?,
            })
        } else {
            None
        };
        Ok(Notifier {
            state,
            webhook,
            voice_webhook,
            smtp,
        })
    }

    fn provider(&self, channel: Channel) -> Provider {
        match channel {
            Channel::Sms => self.state.settings.notifications.sms,
            Channel::Push => self.state.settings.notifications.push,
            Channel::Email => self.state.settings.notifications.email,
            Channel::Voice => self.state.settings.notifications.voice,
        }
    }

    /// Sends one channel through its provider.
    async fn send(
        &self,
        provider: Provider,
        key: &str,
        message: &WebhookMessage,
    ) -> anyhow::Result<()> {
        match provider {
            Provider::Off => Ok(()),
            Provider::Log => {
                tracing::info!(
                    delivery = key,
                    channel = message.channel.name(),
                    template = %message.template,
                    cardholder = %message.cardholder_id,
                    "notification (log provider)"
                );
                Ok(())
            }
            Provider::Webhook => {
                let hook = match message.channel {
                    Channel::Voice => self.voice_webhook.as_ref(),
                    _ => self.webhook.as_ref(),
                }
                .context("no webhook configured for this channel")?;
                self.post(hook, key, serde_json::to_vec(message)?).await
            }
            Provider::Smtp => {
                use lettre::AsyncTransport;
                let smtp = self.smtp.as_ref().context("no SMTP server configured")?;
                let to = message
                    .to
                    .parse()
                    .with_context(|| "the cardholder's email address is not valid".to_owned())?;
                let email = lettre::Message::builder()
                    .from(smtp.from.clone())
                    .to(to)
                    .subject(&message.title)
                    .message_id(Some(format!("<{key}@helpline>")))
                    .header(lettre::message::header::ContentType::TEXT_PLAIN)
                    .body(message.text.clone())?;
                smtp.transport
                    .send(email)
                    .await
                    .map_err(|e| anyhow::anyhow!("smtp: {e}"))?;
                Ok(())
            }
        }
    }
}

impl Notifier {
    /// Posts a signed JSON body to the webhook.
    async fn post_webhook(&self, key: &str, body: Vec<u8>) -> anyhow::Result<()> {
        let hook = self.webhook.as_ref().context("no webhook configured")?;
        self.post(hook, key, body).await
    }

    async fn post(&self, hook: &Webhook, key: &str, body: Vec<u8>) -> anyhow::Result<()> {
        let timestamp = self.state.clock.now().as_second();
        let response = hook
            .client
            .post(&hook.url)
            .header("content-type", "application/json")
            .header("x-helpline-timestamp", timestamp.to_string())
            .header("x-helpline-signature", sign(&hook.secret, timestamp, &body))
            .header("idempotency-key", key)
            .body(body)
            .send()
            .await
            .context("webhook unreachable")?;
        if !response.status().is_success() {
            bail!("webhook answered {}", response.status());
        }
        Ok(())
    }

    /// An agent's reply by email: sent as written, with the threading and loop headers the
    /// email channel chose, through the email provider, once (like every other delivery).
    async fn send_case_email(&self, event: &OutboxEvent) -> anyhow::Result<()> {
        let email: CaseEmail = serde_json::from_value(event.payload.clone())
            .with_context(|| format!("{CASE_EMAIL_TOPIC} event {} is not readable", event.id))?;
        let provider = self.provider(Channel::Email);
        if provider == Provider::Off {
            return Ok(());
        }
        let attempt = DeliveryAttempt {
            event_id: event.id,
            channel: Channel::Email.name(),
            recipient: &email.to,
            cardholder_id: None,
            provider: provider.name(),
            template: "case-email",
        };
        let key = delivery_key(event.id, Channel::Email);
        let send = async {
            match provider {
                Provider::Off => Ok(()),
                Provider::Log => {
                    tracing::info!(delivery = %key, case = %email.case_reference, "case email (log provider)");
                    Ok(())
                }
                Provider::Webhook => {
                    let body = serde_json::to_vec(&serde_json::json!({
                        "id": key,
                        "channel": "email",
                        "to": email.to,
                        "title": email.subject,
                        "text": email.body,
                        "message_id": email.message_id,
                        "in_reply_to": email.in_reply_to,
                        "headers": email.headers,
                    }))?;
                    self.post_webhook(&key, body).await
                }
                Provider::Smtp => self.smtp_case_email(&email).await,
            }
        };
        self.deliver_once(&attempt, send)
            .await?
            .map_err(anyhow::Error::msg)
    }

    /// Sends one delivery unless an earlier attempt already did: recorded before the provider
    /// is called, marked sent or failed after. The outer error is the store's; the inner one
    /// says why the provider failed.
    async fn deliver_once(
        &self,
        attempt: &DeliveryAttempt<'_>,
        send: impl Future<Output = anyhow::Result<()>>,
    ) -> anyhow::Result<Result<(), String>> {
        let store = &self.state.store;
        if store
            .begin_delivery(attempt, self.state.clock.now())
            .await?
            .is_none()
        {
            return Ok(Ok(())); // sent on an earlier attempt
        }
        let error = send.await.err().map(|e| format!("{e:#}"));
        store
            .finish_delivery(
                attempt.event_id,
                attempt.channel,
                attempt.recipient,
                error.as_deref().map_or(Ok(()), Err),
                self.state.clock.now(),
            )
            .await?;
        Ok(error.map_or(Ok(()), Err))
    }

    async fn smtp_case_email(&self, email: &CaseEmail) -> anyhow::Result<()> {
        use lettre::AsyncTransport;
        use lettre::message::header::{HeaderName, HeaderValue};
        let smtp = self.smtp.as_ref().context("no SMTP server configured")?;
        let bracketed = |id: &str| {
            let id = id.trim();
            if id.starts_with('<') {
                id.to_owned()
            } else {
                format!("<{id}>")
            }
        };
        let mut builder = lettre::Message::builder()
            .from(smtp.from.clone())
            .to(email
                .to
                .parse()
                .context("the case email's address is not valid")?)
            .subject(&email.subject)
            .message_id(Some(bracketed(&email.message_id)))
            .header(lettre::message::header::ContentType::TEXT_PLAIN);
        if let Some(parent) = email
            .in_reply_to
            .as_deref()
            .filter(|p| !p.trim().is_empty())
        {
            builder = builder
                .in_reply_to(bracketed(parent))
                .references(bracketed(parent));
        }
        for (name, value) in &email.headers {
            let name = HeaderName::new_from_ascii(name.clone())
                .map_err(|_| anyhow::anyhow!("header name {name:?} is not ASCII"))?;
            builder = builder.raw_header(HeaderValue::new(name, value.clone()));
        }
        let message = builder.body(email.body.clone())?;
        smtp.transport
            .send(message)
            .await
            .map_err(|e| anyhow::anyhow!("smtp: {e}"))?;
        Ok(())
    }
}

/// The `email.outbound` payload.
#[derive(Debug, Deserialize)]
struct CaseEmail {
    to: String,
    subject: String,
    message_id: String,
    in_reply_to: Option<String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    body: String,
    case_reference: String,
}

#[async_trait]
impl EventHandler for Notifier {
    fn name(&self) -> &'static str {
        "notifications"
    }

    fn wants(&self, topic: &str) -> bool {
        wants(topic)
    }

    async fn handle(&self, event: &OutboxEvent) -> anyhow::Result<()> {
        if event.topic == CASE_EMAIL_TOPIC {
            return self.send_case_email(event).await;
        }
        let Some(request) = plan(&event.topic, &event.payload) else {
            return Ok(());
        };
        let Some(holder) = self
            .state
            .store
            .cardholder_by_id(request.cardholder)
            .await?
        else {
            tracing::warn!(
                event = event.id,
                "notification for an unknown cardholder; dropped"
            );
            return Ok(());
        };
        let Some(rendered) = render(
            &self.state.i18n,
            holder.language,
            &request.template,
            &request.args,
            &self.state.settings.notifications.issuer_name,
        ) else {
            // Retrying cannot help: the catalog lacks the template. Say so loudly.
            tracing::error!(event = event.id, template = %request.template, "no notification template; nothing sent");
            return Ok(());
        };
        let mut failures = Vec::new();
        // Each channel is recorded and sent on its own: one failing does not resend the others.
        for channel in request.channels {
            let provider = self.provider(channel);
            if provider == Provider::Off {
                continue;
            }
            let recipient = match (request.to.get(&channel), channel) {
                (Some(to), _) => to.clone(),
                (None, Channel::Sms | Channel::Voice) => match &holder.phone {
                    Some(phone) => phone.clone(),
                    None => {
                        // Nothing to text or call: the other channels (and, unanswered, the
                        // analysts) carry the message.
                        tracing::info!(event = event.id, channel = channel.name(), cardholder = %holder.id, "no phone on file; not sent");
                        continue;
                    }
                },
                (None, Channel::Push) => format!("cardholder:{}", holder.id),
                (None, Channel::Email) => holder.email.clone(),
            };
            // Only the fraud challenge has a call script; its URL names the alert.
            let twiml_url = match channel {
                Channel::Voice => {
                    let alert = (request.template == CALL_TEMPLATE)
                        .then(|| request.args.get("alert_id")?.parse().ok())
                        .flatten();
                    let Some(alert) = alert else {
                        tracing::warn!(event = event.id, template = %request.template, "no phone call for this notification; not called");
                        continue;
                    };
                    Some(crate::fraud_call::challenge_url(&self.state, alert))
                }
                _ => None,
            };
            let attempt = DeliveryAttempt {
                event_id: event.id,
                channel: channel.name(),
                recipient: &recipient,
                cardholder_id: Some(holder.id),
                provider: provider.name(),
                template: &request.template,
            };
            let key = delivery_key(event.id, channel);
            let message = WebhookMessage {
                id: key.clone(),
                channel,
                to: recipient.clone(),
                cardholder_id: holder.id,
                template: request.template.clone(),
                language: holder.language.code().to_owned(),
                title: rendered.subject.clone(),
                text: rendered.body.clone(),
                status_callback_url: twiml_url.clone(),
                twiml_url,
            };
            let send = self.send(provider, &key, &message);
            if let Err(error) = self.deliver_once(&attempt, send).await? {
                failures.push(format!("{}: {error}", channel.name()));
            }
        }
        if failures.is_empty() {
            Ok(())
        } else {
            bail!("{}", failures.join("; "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const HOLDER: &str = "0190c0de-0000-7000-8000-000000000001";

    #[test]
    fn a_contact_change_notice_goes_to_the_old_details_not_the_new() {
        let payload = json!({
            "type": "ContactChanged",
            "cardholder_id": HOLDER,
            "field": "email",
            "notify": [
                {"by": "email", "to": "old@example.net"},
                {"by": "sms", "to": "+12125550100"},
            ],
            "at": "2026-03-03T14:00:00Z",
        });
        assert!(wants(CONTACT_CHANGED_TOPIC));
        let r = plan(CONTACT_CHANGED_TOPIC, &payload).expect("planned");
        assert_eq!(r.template, "contact-changed-email");
        assert_eq!(r.channels, [Channel::Sms, Channel::Email]);
        assert_eq!(r.to[&Channel::Email], "old@example.net");
        assert_eq!(r.to[&Channel::Sms], "+12125550100");
        // An address change: the letter to the old address has no provider; email and SMS go.
        let payload = json!({
            "cardholder_id": HOLDER,
            "field": "address",
            "notify": [
                {"by": "letter", "to": {"lines": ["1 Old Road"], "city": "X", "region": "", "postcode": "1", "country": "US"}},
                {"by": "email", "to": "me@example.net"},
            ],
        });
        let r = plan(CONTACT_CHANGED_TOPIC, &payload).expect("planned");
        assert_eq!(r.template, "contact-changed-address");
        assert_eq!(r.channels, [Channel::Email]);
    }

    #[test]
    fn fraud_requests_keep_their_channels_and_args() {
        let payload = json!({
            "cardholder_id": HOLDER,
            "channels": ["sms", "push", "email", "sms", "fax"],
            "template": "fraud-challenge",
            "args": {"amount": "80.00", "merchant": "Sao Paulo Market", "n": 3, "skip": {"x": 1}},
            "reply": "YES or NO",
        });
        let r = plan("notification.requested", &payload).expect("planned");
        assert_eq!(r.channels, [Channel::Sms, Channel::Push, Channel::Email]);
        assert_eq!(r.template, "fraud-challenge");
        assert_eq!(r.args["amount"], "80.00");
        assert_eq!(r.args["n"], "3");
        assert!(!r.args.contains_key("skip"));
    }

    #[test]
    fn only_cardholder_case_events_are_sent() {
        let payload =
            json!({"cardholder_id": HOLDER, "reference": "HX4-7KQ", "notify_cardholder": true});
        let r = plan("case.opened", &payload).expect("acknowledged");
        assert_eq!(r.template, "case-opened");
        assert_eq!(r.channels, [Channel::Email]);
        assert!(
            plan("case.note_added", &payload).is_none(),
            "internal notes stay internal"
        );
        assert!(!wants("case.note_added"));
        let quiet =
            json!({"cardholder_id": HOLDER, "reference": "HX4-7KQ", "notify_cardholder": false});
        assert!(plan("case.opened", &quiet).is_none());
        let anonymous =
            json!({"cardholder_id": null, "reference": "HX4-7KQ", "notify_cardholder": true});
        assert!(plan("case.opened", &anonymous).is_none());
    }

    #[test]
    fn appointment_reminders_go_by_sms_and_email() {
        let payload =
            json!({"cardholder_id": HOLDER, "centre_name": "New York", "local_start": "Mon 10:00"});
        let r = plan("appointment.reminder", &payload).expect("reminder");
        assert_eq!(r.channels, [Channel::Sms, Channel::Email]);
        assert_eq!(
            plan("appointment.booked", &payload)
                .expect("booked")
                .channels,
            [Channel::Email]
        );
        assert!(plan("appointment.no_show", &payload).is_none());
    }

    #[test]
    fn every_template_renders_in_english_and_spanish() {
        let i18n = I18n::load().expect("catalogs");
        let args: BTreeMap<String, String> = [
            ("amount", "80.00"),
            ("merchant", "Sao Paulo Market"),
            ("city", "Sao Paulo"),
            ("country", "BR"),
            ("alert_id", "a1"),
            ("reference", "HX4-7KQ"),
            ("centre_name", "New York"),
            ("local_start", "Mon 10:00"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let mut templates: Vec<String> = CASE_TEMPLATES
            .iter()
            .map(|n| format!("case-{}", n.replace('_', "-")))
            .collect();
        templates.extend(
            ["booked", "rescheduled", "cancelled", "reminder"].map(|n| format!("appointment-{n}")),
        );
        templates.extend(["fraud-challenge", "fraud-confirmed-next-steps"].map(str::to_owned));
        for template in &templates {
            let en = render(&i18n, Lang::En, template, &args, "Example Card Co.")
                .unwrap_or_else(|| panic!("{template} renders in English"));
            let es = render(&i18n, Lang::Es, template, &args, "Example Card Co.")
                .unwrap_or_else(|| panic!("{template} renders in Spanish"));
            assert_ne!(en.body, es.body, "{template}");
            assert!(!en.body.contains('{'), "{template}: {}", en.body);
            assert!(
                en.body.chars().count() <= 320,
                "{template} is short enough for SMS"
            );
        }
        let en = render(
            &i18n,
            Lang::En,
            "fraud-challenge",
            &args,
            "Example Card Co.",
        )
        .expect("en");
        assert!(
            en.body.contains("80.00") && en.body.contains("Sao Paulo Market"),
            "{}",
            en.body
        );
        assert!(en.body.contains("YES"), "{}", en.body);
        // Asked again by an analyst: no purchase details, the plain body.
        let bare = BTreeMap::from([("alert_id".to_owned(), "a1".to_owned())]);
        let plain = render(&i18n, Lang::En, "fraud-challenge", &bare, "X").expect("plain");
        assert!(!plain.body.contains('{'), "{}", plain.body);
        assert!(render(&i18n, Lang::En, "no-such-template", &args, "X").is_none());
    }

    #[test]
    fn signatures_verify_and_catch_tampering() {
        let sig = sign(b"0123456789abcdef", 1_700_000_000, b"{\"a\":1}");
        assert!(sig.starts_with("v1=") && sig.len() == 67);
        assert!(verify(
            b"0123456789abcdef",
            1_700_000_000,
            b"{\"a\":1}",
            &sig
        ));
        assert!(!verify(
            b"0123456789abcdef",
            1_700_000_001,
            b"{\"a\":1}",
            &sig
        ));
        assert!(!verify(
            b"0123456789abcdef",
            1_700_000_000,
            b"{\"a\":2}",
            &sig
        ));
        assert!(!verify(
            b"another-secret!!",
            1_700_000_000,
            b"{\"a\":1}",
            &sig
        ));
    }

    #[test]
    fn misconfigured_providers_are_refused_with_the_setting_named() {
        let store_less = |s: &NotificationSettings| -> String {
            // Checks run before anything touches the store; a dummy store is never reached.
            match check(s) {
                Ok(()) => String::new(),
                Err(e) => e.to_string(),
            }
        };
        let mut s = NotificationSettings::default();
        assert_eq!(store_less(&s), "");
        s.sms = Provider::Webhook;
        s.webhook.url = "http://sms.example.com/hook".to_owned();
        s.webhook.secret = "0123456789abcdef".to_owned();
        assert!(store_less(&s).contains("https"), "{}", store_less(&s));
        s.webhook.url = "http://127.0.0.1:9/hook".to_owned();
        assert_eq!(store_less(&s), "");
        s.webhook.secret = "short".to_owned();
        assert!(store_less(&s).contains("secret"));
        s.webhook.secret = "0123456789abcdef".to_owned();
        s.email = Provider::Smtp;
        assert!(store_less(&s).contains("smtp.host"));
        s.push = Provider::Smtp;
        assert!(store_less(&s).contains("only email"));
        // The call provider has its own webhook, checked the same way.
        let mut s = NotificationSettings {
            voice: Provider::Webhook,
            ..NotificationSettings::default()
        };
        assert!(
            store_less(&s).contains("voice_webhook.url"),
            "{}",
            store_less(&s)
        );
        s.voice_webhook.url = "https://carrier.example.com/calls".to_owned();
        assert!(
            store_less(&s).contains("VOICE_WEBHOOK__SECRET"),
            "{}",
            store_less(&s)
        );
        s.voice_webhook.secret = "0123456789abcdef".to_owned();
        assert_eq!(store_less(&s), "");
        s.voice = Provider::Smtp;
        assert!(store_less(&s).contains("only email"));
    }
}
