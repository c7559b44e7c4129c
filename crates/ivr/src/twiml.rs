//! The TwiML dialect of the common cloud telephony providers: rendering replies, reading
//! webhook parameters, and the `X-Twilio-Signature` request signature.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, KeyInit, Mac};
use quick_xml::Writer;
use quick_xml::escape::partial_escape;
use quick_xml::events::{BytesDecl, BytesText, Event as XmlEvent};
use sha1::Sha1;

use crate::call::{Event, NewCall, Reply, Secret, Segment, Then};

/// Where the rendered TwiML sends the caller's answers and finds recordings.
#[derive(Debug, Clone, Copy)]
pub struct TwimlOptions<'a> {
    /// The absolute URL that receives `<Gather>` results (and the redirect after silence).
    pub action_url: &'a str,
    /// Prefix for clip ids; without it clips are played by id as given (a full URL).
    pub audio_base_url: Option<&'a str>,
    /// The hold music/announcements URL for `<Enqueue waitUrl>`.
    pub enqueue_wait_url: Option<&'a str>,
}

#[derive(Debug, thiserror::Error)]
pub enum TwimlError {
    #[error("could not write TwiML: {0}")]
    Write(#[from] std::io::Error),
    #[error("TwiML was not UTF-8: {0}")]
    Utf8(#[from] std::string::FromUtf8Error),
}

/// Renders a reply as a TwiML document.
pub fn render(reply: &Reply, options: &TwimlOptions<'_>) -> Result<String, TwimlError> {
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    writer.write_event(XmlEvent::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    writer
        .create_element("Response")
        .write_inner_content(|w| write_reply(w, reply, options))?;
    Ok(String::from_utf8(writer.into_inner())?)
}

type XmlWriter = Writer<Vec<u8>>;

/// Element text with `<`, `>` and `&` escaped (quotes need no escaping outside attributes).
fn text(content: &str) -> BytesText<'_> {
    BytesText::from_escaped(partial_escape(content))
}

fn write_reply(
    w: &mut XmlWriter,
    reply: &Reply,
    options: &TwimlOptions<'_>,
) -> std::io::Result<()> {
    match &reply.then {
        Then::Gather(gather) => {
            let input = match (gather.dtmf, gather.speech) {
                (true, true) => "dtmf speech",
                (false, true) => "speech",
                _ => "dtmf",
            };
            let timeout = gather.timeout_secs.to_string();
            let finish_on_key = gather.finish_on_key.map(String::from).unwrap_or_default();
            let mut element = w
                .create_element("Gather")
                .with_attribute(("input", input))
                .with_attribute(("action", options.action_url))
                .with_attribute(("method", "POST"))
                .with_attribute(("timeout", timeout.as_str()))
                .with_attribute(("finishOnKey", finish_on_key.as_str()));
            let num_digits = gather.num_digits.map(|n| n.to_string());
            if let Some(n) = &num_digits {
                element = element.with_attribute(("numDigits", n.as_str()));
            }
            let hints = gather.hints.join(", ");
            if gather.speech {
                element = element
                    .with_attribute(("language", gather.locale.as_str()))
                    .with_attribute(("speechTimeout", "auto"));
                if !hints.is_empty() {
                    element = element.with_attribute(("hints", hints.as_str()));
                }
            }
            element.write_inner_content(|w| write_segments(w, &reply.say, options))?;
            // Reached only when the caller stays silent: report the silence to the same action.
            w.create_element("Redirect")
                .with_attribute(("method", "POST"))
                .write_text_content(text(options.action_url))?;
        }
        Then::Enqueue(handoff) => {
            write_segments(w, &reply.say, options)?;
            let mut element = w.create_element("Enqueue");
            if let Some(url) = options.enqueue_wait_url {
                element = element.with_attribute(("waitUrl", url));
            }
            element.write_text_content(text(&handoff.queue_name()))?;
        }
        Then::Dial { number } => {
            write_segments(w, &reply.say, options)?;
            w.create_element("Dial").write_text_content(text(number))?;
        }
        Then::Hangup => {
            write_segments(w, &reply.say, options)?;
            w.create_element("Hangup").write_empty()?;
        }
    }
    Ok(())
}

fn write_segments(
    w: &mut XmlWriter,
    segments: &[Segment],
    options: &TwimlOptions<'_>,
) -> std::io::Result<()> {
    let clip_url = |clip: &str| match options.audio_base_url {
        Some(base) => format!("{}/{clip}", base.trim_end_matches('/')),
        None => clip.to_owned(),
    };
    for segment in segments {
        match segment {
            Segment::Say(prompt) => match (&prompt.clip, options.audio_base_url) {
                (Some(clip), Some(_)) => {
                    w.create_element("Play")
                        .write_text_content(text(&clip_url(clip)))?;
                }
                _ => {
                    let mut element = w.create_element("Say");
                    if let Some(voice) = &prompt.voice {
                        element = element.with_attribute(("voice", voice.as_str()));
                    }
                    element
                        .with_attribute(("language", prompt.locale.as_str()))
                        .write_text_content(text(&prompt.text))?;
                }
            },
            Segment::Play { clip } => {
                w.create_element("Play")
                    .write_text_content(text(&clip_url(clip)))?;
            }
            Segment::Pause { seconds } => {
                w.create_element("Pause")
                    .with_attribute(("length", seconds.to_string().as_str()))
                    .write_empty()?;
            }
        }
    }
    Ok(())
}

/// Decodes an `application/x-www-form-urlencoded` body into name/value pairs.
pub fn parse_form(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("the webhook has no CallSid; is this request from the telephony provider?")]
    MissingCallSid,
    #[error("Confidence {0:?} is not a number between 0 and 1")]
    BadConfidence(String),
}

/// The status the provider reports for a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallStatus {
    Queued,
    Ringing,
    InProgress,
    Completed,
    Busy,
    Failed,
    NoAnswer,
    Canceled,
}

impl CallStatus {
    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "queued" => CallStatus::Queued,
            "ringing" => CallStatus::Ringing,
            "in-progress" => CallStatus::InProgress,
            "completed" => CallStatus::Completed,
            "busy" => CallStatus::Busy,
            "failed" => CallStatus::Failed,
            "no-answer" => CallStatus::NoAnswer,
            "canceled" => CallStatus::Canceled,
            _ => return None,
        })
    }

    /// The call is over: the edge can drop its state.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            CallStatus::Completed
                | CallStatus::Busy
                | CallStatus::Failed
                | CallStatus::NoAnswer
                | CallStatus::Canceled
        )
    }
}

/// The parameters of a voice or action webhook that the IVR uses.
#[derive(Debug, Clone, PartialEq)]
pub struct Webhook {
    pub call_sid: String,
    pub from: String,
    pub to: String,
    pub status: Option<CallStatus>,
    digits: Option<Secret>,
    speech: Option<(Secret, f32)>,
}

impl Webhook {
    pub fn parse(params: &[(String, String)]) -> Result<Self, WebhookError> {
        let get = |name: &str| {
            params
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.as_str())
        };
        let call_sid = get("CallSid")
            .filter(|sid| !sid.is_empty())
            .ok_or(WebhookError::MissingCallSid)?;
        let speech = match get("SpeechResult").filter(|s| !s.trim().is_empty()) {
            Some(text) => {
                let confidence = match get("Confidence") {
                    // Some providers omit it: take the transcript as heard.
                    None | Some("") => 1.0,
                    Some(c) => c
                        .trim()
                        .parse::<f32>()
                        .ok()
                        .filter(|c| (0.0..=1.0).contains(c))
                        .ok_or_else(|| WebhookError::BadConfidence(c.to_owned()))?,
                };
                Some((Secret::new(text), confidence))
            }
            None => None,
        };
        Ok(Webhook {
            call_sid: call_sid.to_owned(),
            from: get("From").unwrap_or_default().to_owned(),
            to: get("To").unwrap_or_default().to_owned(),
            status: get("CallStatus").and_then(CallStatus::parse),
            digits: get("Digits").filter(|d| !d.is_empty()).map(Secret::new),
            speech,
        })
    }

    /// The call to start, for the first (voice) webhook.
    pub fn new_call(&self) -> NewCall {
        NewCall {
            call_id: self.call_sid.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
        }
    }

    /// The caller's answer, for action webhooks: keys, else speech, else silence.
    pub fn event(&self) -> Event {
        match (&self.digits, &self.speech) {
            (Some(digits), _) => Event::Digits(digits.clone()),
            (None, Some((text, confidence))) => Event::Speech {
                text: text.clone(),
                confidence: *confidence,
            },
            (None, None) => Event::Silence,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error(
        "the TwiML auth token is empty; set [telephony] twiml_auth_token or HELPLINE_TELEPHONY__TWIML_AUTH_TOKEN"
    )]
    EmptyToken,
}

/// Signs and checks webhook requests: base64(HMAC-SHA1(auth token, URL + each parameter
/// name immediately followed by its value, sorted by name)).
#[derive(Clone)]
pub struct RequestSigner {
    mac: Hmac<Sha1>,
}

impl fmt::Debug for RequestSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RequestSigner { .. }")
    }
}

impl RequestSigner {
    pub fn new(auth_token: &str) -> Result<Self, SignatureError> {
        if auth_token.is_empty() {
            return Err(SignatureError::EmptyToken);
        }
        let mac = Hmac::<Sha1>::new_from_slice(auth_token.as_bytes())
            .map_err(|_| SignatureError::EmptyToken)?;
        Ok(Self { mac })
    }

    fn mac_of(&self, url: &str, params: &[(String, String)]) -> Hmac<Sha1> {
        let mut sorted: Vec<&(String, String)> = params.iter().collect();
        sorted.sort();
        let mut mac = self.mac.clone();
        mac.update(url.as_bytes());
        for (name, value) in sorted {
            mac.update(name.as_bytes());
            mac.update(value.as_bytes());
        }
        mac
    }

    /// The signature a provider would send for this request.
    pub fn sign(&self, url: &str, params: &[(String, String)]) -> String {
        BASE64.encode(self.mac_of(url, params).finalize().into_bytes())
    }

    /// Whether `signature` (the header's value) signs this request; compared in constant time.
    pub fn verify(&self, url: &str, params: &[(String, String)], signature: &str) -> bool {
        match BASE64.decode(signature.trim()) {
            Ok(tag) => self.mac_of(url, params).verify_slice(&tag).is_ok(),
            Err(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn webhooks_become_events() {
        let digits = Webhook::parse(&pairs(&[
            ("CallSid", "CA1"),
            ("From", "+15550100"),
            ("To", "+15550199"),
            ("Digits", "3"),
            ("CallStatus", "in-progress"),
        ]))
        .unwrap();
        assert_eq!(digits.event(), Event::digits("3"));
        assert_eq!(digits.status, Some(CallStatus::InProgress));
        assert_eq!(digits.new_call().from, "+15550100");

        let speech = Webhook::parse(&pairs(&[
            ("CallSid", "CA1"),
            ("SpeechResult", "lost card"),
            ("Confidence", "0.87"),
        ]))
        .unwrap();
        assert_eq!(speech.event(), Event::speech("lost card", 0.87));

        let silence = Webhook::parse(&pairs(&[("CallSid", "CA1"), ("Digits", "")])).unwrap();
        assert_eq!(silence.event(), Event::Silence);

        assert_eq!(
            Webhook::parse(&pairs(&[("From", "+1")])),
            Err(WebhookError::MissingCallSid)
        );
        assert!(matches!(
            Webhook::parse(&pairs(&[
                ("CallSid", "CA1"),
                ("SpeechResult", "x"),
                ("Confidence", "high")
            ])),
            Err(WebhookError::BadConfidence(_))
        ));
        assert!(
            Webhook::parse(&pairs(&[("CallSid", "CA1"), ("CallStatus", "completed")]))
                .unwrap()
                .status
                .is_some_and(CallStatus::is_final)
        );
    }

    #[test]
    fn digits_never_show_in_debug_output() {
        let number = crate::card_number::with_check_digit("411122223333444");
        let hook = Webhook::parse(&pairs(&[("CallSid", "CA1"), ("Digits", &number)])).unwrap();
        let shown = format!("{hook:?} {:?}", hook.event());
        assert!(!shown.contains(&number), "{shown}");
    }

    #[test]
    fn forms_decode() {
        assert_eq!(
            parse_form(b"SpeechResult=lost+my+card%21&Digits="),
            pairs(&[("SpeechResult", "lost my card!"), ("Digits", "")])
        );
    }

    #[test]
    fn an_empty_token_is_refused() {
        assert_eq!(
            RequestSigner::new("").unwrap_err(),
            SignatureError::EmptyToken
        );
    }
}
