//! Email threading and loop protection, over header values the edge has parsed.
//!
//! Inbound: [`classify`] says whether a message is from a person or is automatic (an
//! out-of-office, a bounce, a list mail), which must never open, reopen or answer a case; then
//! [`thread`] finds the case from the subject's reference or from the message ids it answers.
//! Outbound: [`outbound_subject`], [`outbound_message_id`] and [`outbound_headers`] make replies
//! thread back and stop other robots from answering.

use crate::reference::{CaseRef, find_references};

/// Extra headers for an outbound case email: `X-Loop` with our marker (so our own mail coming
/// back is recognised), a request to Exchange not to send out-of-office replies, and for
/// messages no person wrote (acknowledgements, reminders) `Auto-Submitted` (RFC 3834).
pub fn outbound_headers(automatic: bool, loop_marker: &str) -> Vec<(&'static str, String)> {
    let mut headers = vec![
        ("X-Loop", loop_marker.trim().to_owned()),
        ("X-Auto-Response-Suppress", "OOF, AutoReply".to_owned()),
    ];
    if automatic {
        headers.push(("Auto-Submitted", "auto-generated".to_owned()));
    }
    headers
}

/// Why an inbound email is to be stored but not treated as a cardholder's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Automatic {
    /// Out-of-office and other auto-replies.
    AutoReply,
    /// A delivery failure report.
    Bounce,
    /// Mailing lists and bulk senders.
    Bulk,
    /// A read receipt or a spam-complaint report.
    Report,
    /// Our own message coming back.
    Loop,
}

/// What to do with an inbound email.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "disposition", rename_all = "snake_case")]
pub enum Disposition {
    /// From a person: thread it into a case.
    Thread,
    /// Automatic: record it, never reply, never reopen.
    Ignore {
        kind: Automatic,
        /// The header that gave it away, for the log.
        evidence: &'static str,
    },
}

/// The headers [`classify`] looks at; pass each as the edge's MIME parser returns it
/// (unfolded, decoded), or `None` if absent.
#[derive(Debug, Clone, Copy, Default)]
pub struct InboundHeaders<'a> {
    pub from: Option<&'a str>,
    pub subject: Option<&'a str>,
    pub return_path: Option<&'a str>,
    pub auto_submitted: Option<&'a str>,
    pub precedence: Option<&'a str>,
    pub content_type: Option<&'a str>,
    pub x_autoreply: Option<&'a str>,
    pub x_autorespond: Option<&'a str>,
    pub x_auto_response_suppress: Option<&'a str>,
    pub x_failed_recipients: Option<&'a str>,
    pub list_id: Option<&'a str>,
    pub list_unsubscribe: Option<&'a str>,
    pub feedback_type: Option<&'a str>,
    /// Our `X-Loop` value comes back when a message of ours loops.
    pub x_loop: Option<&'a str>,
}

/// Subject starts of auto-replies and bounces, lowercase, in the languages served.
const AUTO_REPLY_SUBJECTS: &[&str] = &[
    "auto:",
    "automatic reply",
    "auto-reply",
    "autoreply",
    "auto reply",
    "out of office",
    "out of the office",
    "abwesenheitsnotiz",
    "automatische antwort",
    "réponse automatique",
    "respuesta automática",
    "risposta automatica",
    "resposta automática",
    "自動応答",
    "自动回复",
];
const BOUNCE_SUBJECTS: &[&str] = &[
    "undeliverable",
    "undelivered mail",
    "delivery status notification",
    "delivery failure",
    "mail delivery failed",
    "mail delivery failure",
    "returned mail",
    "failure notice",
    "message not delivered",
    "unzustellbar",
    "non remis",
];
const BOUNCE_SENDERS: &[&str] = &["mailer-daemon@", "postmaster@"];

/// Decides whether an inbound email comes from a person. `our_loop_marker` is the value our
/// outbound mail puts in `X-Loop` (e.g. the support address).
pub fn classify(headers: &InboundHeaders<'_>, our_loop_marker: &str) -> Disposition {
    let ignore = |kind, evidence| Disposition::Ignore { kind, evidence };
    let lower = |v: Option<&str>| v.map(|s| s.trim().to_lowercase());
    if lower(headers.x_loop).is_some_and(|v| v.contains(&our_loop_marker.trim().to_lowercase())) {
        return ignore(Automatic::Loop, "X-Loop");
    }
    let content_type = lower(headers.content_type).unwrap_or_default();
    if content_type.starts_with("multipart/report") {
        let kind = if content_type.contains("delivery-status") {
            Automatic::Bounce
        } else {
            Automatic::Report
        };
        return ignore(kind, "Content-Type: multipart/report");
    }
    if headers.x_failed_recipients.is_some() {
        return ignore(Automatic::Bounce, "X-Failed-Recipients");
    }
    if let Some(path) = lower(headers.return_path)
        && (path == "<>" || path.is_empty())
    {
        return ignore(Automatic::Bounce, "Return-Path: <>");
    }
    if let Some(from) = lower(headers.from)
        && BOUNCE_SENDERS.iter().any(|s| from.contains(s))
    {
        return ignore(Automatic::Bounce, "From: mailer-daemon");
    }
    if headers.feedback_type.is_some() {
        return ignore(Automatic::Report, "Feedback-Type");
    }
    if let Some(auto) = lower(headers.auto_submitted)
        && auto != "no"
    {
        return ignore(Automatic::AutoReply, "Auto-Submitted");
    }
    if headers.x_autoreply.is_some() || headers.x_autorespond.is_some() {
        return ignore(Automatic::AutoReply, "X-Autoreply");
    }
    if let Some(suppress) = lower(headers.x_auto_response_suppress)
        && ["all", "oof", "autoreply"]
            .iter()
            .any(|v| suppress.split(',').any(|part| part.trim() == *v))
    {
        return ignore(Automatic::AutoReply, "X-Auto-Response-Suppress");
    }
    match lower(headers.precedence).as_deref() {
        Some("auto_reply") => return ignore(Automatic::AutoReply, "Precedence: auto_reply"),
        Some("bulk" | "junk" | "list") => return ignore(Automatic::Bulk, "Precedence"),
        _ => {}
    }
    if headers.list_id.is_some() || headers.list_unsubscribe.is_some() {
        return ignore(Automatic::Bulk, "List-Id");
    }
    let subject = strip_reply_prefixes(headers.subject.unwrap_or_default()).to_lowercase();
    let raw_subject = headers.subject.unwrap_or_default().trim().to_lowercase();
    if BOUNCE_SUBJECTS
        .iter()
        .any(|s| subject.starts_with(s) || raw_subject.starts_with(s))
    {
        return ignore(Automatic::Bounce, "Subject");
    }
    if AUTO_REPLY_SUBJECTS
        .iter()
        .any(|s| subject.starts_with(s) || raw_subject.starts_with(s))
    {
        return ignore(Automatic::AutoReply, "Subject");
    }
    Disposition::Thread
}

/// How an inbound email finds its case.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Threading {
    /// A reference in the subject, or inside one of our own Message-IDs it answers.
    Reference { reference: CaseRef },
    /// Look these Message-IDs up in the store (most recent first); the first one found names
    /// the conversation and its case.
    MessageIds { ids: Vec<String> },
    /// Nothing to go on: open a new case.
    NewCase,
}

/// Finds the case an inbound email belongs to, from its subject and its `In-Reply-To` and
/// `References` header values.
pub fn thread(subject: &str, in_reply_to: Option<&str>, references: Option<&str>) -> Threading {
    if let Some((_, reference)) = find_references(subject).into_iter().next() {
        return Threading::Reference { reference };
    }
    let mut ids = in_reply_to.map(message_ids).unwrap_or_default();
    let mut referenced = references.map(message_ids).unwrap_or_default();
    referenced.reverse();
    for id in referenced {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if let Some(reference) = ids.iter().find_map(|id| reference_in_message_id(id)) {
        return Threading::Reference { reference };
    }
    if ids.is_empty() {
        Threading::NewCase
    } else {
        Threading::MessageIds { ids }
    }
}

/// The ids in a `References`/`In-Reply-To` value: `<a@b> <c@d>`, tolerant of missing brackets,
/// commas and folding. Returned without brackets.
pub fn message_ids(value: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut rest = value;
    while let Some(open) = rest.find('<') {
        let Some(close) = rest[open..].find('>') else {
            break;
        };
        let id = rest[open + 1..open + close].trim();
        if id.contains('@') && !id.contains(char::is_whitespace) {
            ids.push(id.to_owned());
        }
        rest = &rest[open + close + 1..];
    }
    if ids.is_empty() {
        ids = value
            .split(|c: char| c.is_whitespace() || c == ',')
            .map(|s| s.trim_matches(|c| c == '<' || c == '>'))
            .filter(|s| s.contains('@'))
            .map(str::to_owned)
            .collect();
    }
    ids
}

/// A Message-ID for an outbound case email that names the case, so a reply threads even when
/// the cardholder's client drops the subject: `hl.HL-3K7-9XM-4EF.<unique>@<domain>` (without
/// the angle brackets the header adds).
pub fn outbound_message_id(reference: CaseRef, unique: &str, domain: &str) -> String {
    let unique: String = unique
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    format!("hl.{}.{unique}@{}", reference.compact(), domain.trim())
}

fn reference_in_message_id(id: &str) -> Option<CaseRef> {
    let local = id.split('@').next()?;
    let mut parts = local.split('.');
    if parts.next()? != "hl" {
        return None;
    }
    CaseRef::parse(parts.next()?).ok()
}

/// The subject for an outbound email: the reference in brackets in front, once.
pub fn outbound_subject(reference: CaseRef, subject: &str) -> String {
    let subject = subject.trim();
    if find_references(subject)
        .iter()
        .any(|(_, r)| *r == reference)
    {
        subject.to_owned()
    } else if subject.is_empty() {
        format!("[{reference}]")
    } else {
        format!("[{reference}] {subject}")
    }
}

/// A subject without its "Re:", "Fwd:", "AW:", "SV:"… prefixes (for a new case's subject).
pub fn strip_reply_prefixes(subject: &str) -> &str {
    const PREFIXES: &[&str] = &[
        "re", "fw", "fwd", "aw", "wg", "sv", "vs", "tr", "rv", "enc", "res", "odp", "antw", "r",
        "回复", "答复", "转发",
    ];
    let mut rest = subject.trim();
    loop {
        let Some(colon) = rest.find([':', '：']) else {
            return rest;
        };
        let head = rest[..colon].trim();
        // "Re[2]:" and "RE(3):" count too.
        let word = head
            .split(['[', '('])
            .next()
            .unwrap_or_default()
            .to_lowercase();
        if !PREFIXES.contains(&word.as_str()) {
            return rest;
        }
        let skip = rest[colon..].chars().next().map_or(1, char::len_utf8);
        rest = rest[colon + skip..].trim_start();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOOP: &str = "support@examplecard.test";

    fn person() -> InboundHeaders<'static> {
        InboundHeaders {
            from: Some("Kim Lee <kim@example.net>"),
            subject: Some("Re: my card"),
            return_path: Some("<kim@example.net>"),
            content_type: Some("multipart/alternative; boundary=x"),
            ..Default::default()
        }
    }

    #[test]
    fn people_are_threaded() {
        assert_eq!(classify(&person(), LOOP), Disposition::Thread);
        let explicit_no = InboundHeaders {
            auto_submitted: Some("no"),
            ..person()
        };
        assert_eq!(classify(&explicit_no, LOOP), Disposition::Thread);
    }

    #[test]
    fn robots_are_recognised() {
        let cases: Vec<(InboundHeaders<'static>, Automatic)> = vec![
            (
                InboundHeaders {
                    auto_submitted: Some("auto-replied"),
                    ..person()
                },
                Automatic::AutoReply,
            ),
            (
                InboundHeaders {
                    auto_submitted: Some("Auto-Generated"),
                    ..person()
                },
                Automatic::AutoReply,
            ),
            (
                InboundHeaders {
                    x_autoreply: Some("yes"),
                    ..person()
                },
                Automatic::AutoReply,
            ),
            (
                InboundHeaders {
                    x_auto_response_suppress: Some("DR, OOF"),
                    ..person()
                },
                Automatic::AutoReply,
            ),
            (
                InboundHeaders {
                    precedence: Some("auto_reply"),
                    ..person()
                },
                Automatic::AutoReply,
            ),
            (
                InboundHeaders {
                    precedence: Some("Bulk"),
                    ..person()
                },
                Automatic::Bulk,
            ),
            (
                InboundHeaders {
                    precedence: Some("junk"),
                    ..person()
                },
                Automatic::Bulk,
            ),
            (
                InboundHeaders {
                    list_id: Some("<news.example.net>"),
                    ..person()
                },
                Automatic::Bulk,
            ),
            (
                InboundHeaders {
                    return_path: Some("<>"),
                    ..person()
                },
                Automatic::Bounce,
            ),
            (
                InboundHeaders {
                    x_failed_recipients: Some("kim@example.net"),
                    ..person()
                },
                Automatic::Bounce,
            ),
            (
                InboundHeaders {
                    content_type: Some("multipart/report; report-type=delivery-status; boundary=b"),
                    ..person()
                },
                Automatic::Bounce,
            ),
            (
                InboundHeaders {
                    content_type: Some("multipart/report; report-type=disposition-notification"),
                    ..person()
                },
                Automatic::Report,
            ),
            (
                InboundHeaders {
                    from: Some("MAILER-DAEMON@mx.example.net"),
                    ..person()
                },
                Automatic::Bounce,
            ),
            (
                InboundHeaders {
                    subject: Some("Automatic reply: my card"),
                    ..person()
                },
                Automatic::AutoReply,
            ),
            (
                InboundHeaders {
                    subject: Some("Out of Office: back Monday"),
                    ..person()
                },
                Automatic::AutoReply,
            ),
            (
                InboundHeaders {
                    subject: Some("Abwesenheitsnotiz: Karte"),
                    ..person()
                },
                Automatic::AutoReply,
            ),
            (
                InboundHeaders {
                    subject: Some("Undeliverable: [HL-222-222-222]"),
                    ..person()
                },
                Automatic::Bounce,
            ),
            (
                InboundHeaders {
                    subject: Some("Undelivered Mail Returned to Sender"),
                    ..person()
                },
                Automatic::Bounce,
            ),
            (
                InboundHeaders {
                    x_loop: Some("Support@ExampleCard.test"),
                    ..person()
                },
                Automatic::Loop,
            ),
            (
                InboundHeaders {
                    feedback_type: Some("abuse"),
                    ..person()
                },
                Automatic::Report,
            ),
        ];
        for (headers, expected) in cases {
            match classify(&headers, LOOP) {
                Disposition::Ignore { kind, .. } => assert_eq!(kind, expected, "{headers:?}"),
                Disposition::Thread => panic!("{headers:?} was threaded"),
            }
        }
    }

    #[test]
    fn replies_thread_by_subject_reference() {
        let reference = CaseRef::generate(31_337);
        let subject = format!("RE: [{reference}] Lost card");
        assert_eq!(
            thread(&subject, Some("<x@mail.example.net>"), None),
            Threading::Reference { reference }
        );
        let lowercase = format!("re: case {}", reference.compact().to_lowercase());
        // Without the HL prefix a subject word is never taken for a reference.
        assert_ne!(
            thread(&lowercase, None, None),
            Threading::Reference { reference }
        );
    }

    #[test]
    fn replies_thread_by_our_message_id() {
        let reference = CaseRef::generate(99);
        let ours = outbound_message_id(reference, "0190-abc", "mail.examplecard.test");
        assert!(ours.starts_with("hl."), "{ours}");
        let references = format!("<first@example.net>\r\n <{ours}>");
        assert_eq!(
            thread("Re: help", None, Some(&references)),
            Threading::Reference { reference }
        );
    }

    #[test]
    fn other_ids_are_looked_up_most_recent_first() {
        let got = thread("hello", Some("<c@x>"), Some("<a@x> <b@x>\t<c@x>"));
        assert_eq!(
            got,
            Threading::MessageIds {
                ids: vec!["c@x".into(), "b@x".into(), "a@x".into()]
            }
        );
        assert_eq!(thread("hello", None, None), Threading::NewCase);
        assert_eq!(message_ids("a@x, b@y"), vec!["a@x", "b@y"]);
        assert_eq!(message_ids("<no id here>"), Vec::<String>::new());
    }

    #[test]
    fn outbound_subjects_carry_the_reference_once() {
        let reference = CaseRef::generate(8);
        let first = outbound_subject(reference, "Your replacement card");
        assert_eq!(first, format!("[{reference}] Your replacement card"));
        assert_eq!(
            outbound_subject(reference, &format!("Re: {first}")),
            format!("Re: {first}")
        );
        assert_eq!(outbound_subject(reference, ""), format!("[{reference}]"));
    }

    #[test]
    fn our_own_headers_are_recognised_when_they_come_back() {
        let headers = outbound_headers(true, LOOP);
        let value = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.as_str())
        };
        let echoed = InboundHeaders {
            x_loop: value("X-Loop"),
            auto_submitted: value("Auto-Submitted"),
            ..person()
        };
        assert_eq!(
            classify(&echoed, LOOP),
            Disposition::Ignore {
                kind: Automatic::Loop,
                evidence: "X-Loop"
            }
        );
        assert!(
            outbound_headers(false, LOOP)
                .iter()
                .all(|(n, _)| *n != "Auto-Submitted")
        );
    }

    #[test]
    fn reply_prefixes_are_stripped() {
        for (input, expected) in [
            ("Re: Fwd: AW: card", "card"),
            ("RE[2]: card", "card"),
            ("SV:card", "card"),
            ("回复：卡", "卡"),
            ("Reminder: card", "Reminder: card"),
            ("card", "card"),
        ] {
            assert_eq!(strip_reply_prefixes(input), expected, "{input}");
        }
    }
}
