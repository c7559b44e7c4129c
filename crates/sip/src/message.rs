//! SIP messages (RFC 3261 §7): parse one datagram into a request or response, read the headers a
//! user agent server needs, build responses that echo Via/From/To/Call-ID/CSeq.

use std::fmt;

/// The most a message may be: a UDP datagram cannot be larger, and nothing legitimate is close.
pub const MAX_MESSAGE: usize = 65_535;
/// Headers per message we accept; more is an attack or garbage.
const MAX_HEADERS: usize = 128;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("the message is empty")]
    Empty,
    #[error("the message is larger than {MAX_MESSAGE} bytes")]
    TooLarge,
    #[error("the message head is not UTF-8")]
    NotUtf8,
    #[error("there is no blank line after the headers")]
    NoHeaderEnd,
    #[error("malformed start line: {0:?}")]
    StartLine(String),
    #[error("malformed header line: {0:?}")]
    Header(String),
    #[error("too many headers")]
    TooManyHeaders,
    #[error("missing header {0}")]
    Missing(&'static str),
    #[error("bad Content-Length")]
    ContentLength,
    #[error("bad CSeq")]
    CSeq,
    #[error("the body is shorter than Content-Length")]
    ShortBody,
}

/// A SIP method; unknown ones keep their name (answered 501 by the server).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Method {
    Invite,
    Ack,
    Bye,
    Cancel,
    Options,
    Info,
    Register,
    Other(String),
}

impl Method {
    pub fn parse(token: &str) -> Option<Method> {
        if token.is_empty() || !token.bytes().all(is_token_byte) {
            return None;
        }
        Some(match token {
            "INVITE" => Method::Invite,
            "ACK" => Method::Ack,
            "BYE" => Method::Bye,
            "CANCEL" => Method::Cancel,
            "OPTIONS" => Method::Options,
            "INFO" => Method::Info,
            "REGISTER" => Method::Register,
            other => Method::Other(other.to_owned()),
        })
    }

    pub fn as_str(&self) -> &str {
        match self {
            Method::Invite => "INVITE",
            Method::Ack => "ACK",
            Method::Bye => "BYE",
            Method::Cancel => "CANCEL",
            Method::Options => "OPTIONS",
            Method::Info => "INFO",
            Method::Register => "REGISTER",
            Method::Other(name) => name,
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartLine {
    Request { method: Method, uri: String },
    Response { code: u16, reason: String },
}

/// One SIP message. Header names are kept as received; look-ups are case-insensitive and know
/// the compact forms (`v`, `f`, `t`, `i`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub start: StartLine,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// The full name of a compact header form (RFC 3261 §7.3.3).
fn canonical(name: &str) -> &str {
    match name.to_ascii_lowercase().as_str() {
        "v" => "via",
        "f" => "from",
        "t" => "to",
        "i" => "call-id",
        "m" => "contact",
        "l" => "content-length",
        "c" => "content-type",
        "k" => "supported",
        "s" => "subject",
        _ => name,
    }
}

fn same_header(a: &str, b: &str) -> bool {
    canonical(a).eq_ignore_ascii_case(canonical(b))
}

impl Message {
    /// Parses one datagram. Requests must carry Via, From, To, Call-ID and CSeq; a body is cut
    /// at Content-Length (absent: the rest of the datagram).
    pub fn parse(bytes: &[u8]) -> Result<Message, ParseError> {
        let message = Message::parse_loose(bytes)?;
        for required in ["via", "from", "to", "call-id", "cseq"] {
            if message.header(required).is_none() {
                return Err(ParseError::Missing(match required {
                    "via" => "Via",
                    "from" => "From",
                    "to" => "To",
                    "call-id" => "Call-ID",
                    _ => "CSeq",
                }));
            }
        }
        message.cseq().ok_or(ParseError::CSeq)?;
        Ok(message)
    }

    /// The start line and headers without the checks of [`Message::parse`]: enough to answer a
    /// malformed request with 400 when it has a Via to answer to.
    pub fn parse_loose(bytes: &[u8]) -> Result<Message, ParseError> {
        if bytes.len() > MAX_MESSAGE {
            return Err(ParseError::TooLarge);
        }
        // Keep-alives (CRLF) and leading blank lines are not messages.
        let start = bytes
            .iter()
            .position(|b| *b != b'\r' && *b != b'\n')
            .ok_or(ParseError::Empty)?;
        let bytes = &bytes[start..];
        let (head, rest) = split_head(bytes).ok_or(ParseError::NoHeaderEnd)?;
        let head = std::str::from_utf8(head).map_err(|_| ParseError::NotUtf8)?;
        let mut lines = head.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
        let first = lines.next().ok_or(ParseError::Empty)?;
        let start = parse_start(first)?;
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in lines {
            if line.starts_with(' ') || line.starts_with('\t') {
                // Folded continuation of the previous header (obsolete but legal).
                let last = headers
                    .last_mut()
                    .ok_or_else(|| ParseError::Header(line.to_owned()))?;
                last.1.push(' ');
                last.1.push_str(line.trim());
                continue;
            }
            let (name, value) = line
                .split_once(':')
                .ok_or_else(|| ParseError::Header(line.to_owned()))?;
            let name = name.trim();
            if name.is_empty() || !name.bytes().all(is_token_byte) {
                return Err(ParseError::Header(line.to_owned()));
            }
            if headers.len() >= MAX_HEADERS {
                return Err(ParseError::TooManyHeaders);
            }
            headers.push((name.to_owned(), value.trim().to_owned()));
        }
        let mut message = Message {
            start,
            headers,
            body: Vec::new(),
        };
        message.body = match message.header("content-length") {
            Some(len) => {
                let len: usize = len.trim().parse().map_err(|_| ParseError::ContentLength)?;
                rest.get(..len).ok_or(ParseError::ShortBody)?.to_vec()
            }
            None => rest.to_vec(),
        };
        Ok(message)
    }

    /// The first value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| same_header(n, name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a header, in order (comma-joined values are not split).
    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| same_header(n, name))
            .map(|(_, v)| v.as_str())
    }

    pub fn method(&self) -> Option<&Method> {
        match &self.start {
            StartLine::Request { method, .. } => Some(method),
            StartLine::Response { .. } => None,
        }
    }

    pub fn call_id(&self) -> &str {
        self.header("call-id").unwrap_or("")
    }

    /// The CSeq number and method.
    pub fn cseq(&self) -> Option<(u32, Method)> {
        let value = self.header("cseq")?;
        let mut parts = value.split_whitespace();
        let number = parts.next()?.parse().ok()?;
        let method = Method::parse(parts.next()?)?;
        parts.next().is_none().then_some((number, method))
    }

    /// The `tag` parameter of the From header.
    pub fn from_tag(&self) -> Option<&str> {
        self.header("from").and_then(|v| param(v, "tag"))
    }

    /// The `tag` parameter of the To header.
    pub fn to_tag(&self) -> Option<&str> {
        self.header("to").and_then(|v| param(v, "tag"))
    }

    /// The branch of the top Via (the transaction id with the method).
    pub fn branch(&self) -> Option<&str> {
        self.header("via").and_then(|v| param(v, "branch"))
    }

    /// The user part of the From URI (the caller's number), or "" when there is none.
    pub fn from_user(&self) -> &str {
        self.header("from").map(uri_user).unwrap_or("")
    }

    /// The user part of the To URI (the number dialled).
    pub fn to_user(&self) -> &str {
        self.header("to").map(uri_user).unwrap_or("")
    }

    /// A response to this request echoing what RFC 3261 §8.2.6 asks; `to_tag` is added to To
    /// when it has none.
    pub fn response(&self, code: u16, reason: &str, to_tag: Option<&str>) -> Message {
        let mut headers = Vec::new();
        for via in self.headers_named("via") {
            headers.push(("Via".to_owned(), via.to_owned()));
        }
        if let Some(from) = self.header("from") {
            headers.push(("From".to_owned(), from.to_owned()));
        }
        if let Some(to) = self.header("to") {
            let to = match to_tag {
                Some(tag) if param(to, "tag").is_none() => format!("{to};tag={tag}"),
                _ => to.to_owned(),
            };
            headers.push(("To".to_owned(), to));
        }
        headers.push(("Call-ID".to_owned(), self.call_id().to_owned()));
        if let Some(cseq) = self.header("cseq") {
            headers.push(("CSeq".to_owned(), cseq.to_owned()));
        }
        Message {
            start: StartLine::Response {
                code,
                reason: reason.to_owned(),
            },
            headers,
            body: Vec::new(),
        }
    }

    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Message {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    pub fn with_body(mut self, content_type: &str, body: Vec<u8>) -> Message {
        self.headers
            .push(("Content-Type".to_owned(), content_type.to_owned()));
        self.body = body;
        self
    }

    /// The wire form, with a Content-Length matching the body (any earlier one is replaced).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = match &self.start {
            StartLine::Request { method, uri } => format!("{method} {uri} SIP/2.0\r\n"),
            StartLine::Response { code, reason } => format!("SIP/2.0 {code} {reason}\r\n"),
        };
        for (name, value) in &self.headers {
            if same_header(name, "content-length") {
                continue;
            }
            out.push_str(name);
            out.push_str(": ");
            out.push_str(value);
            out.push_str("\r\n");
        }
        out.push_str(&format!("Content-Length: {}\r\n\r\n", self.body.len()));
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

fn split_head(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    if let Some(i) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
        return Some((&bytes[..i], &bytes[i + 4..]));
    }
    // Bare LF line ends are tolerated (RFC 3261 §7.5 asks for CRLF; be liberal in what we accept).
    let i = bytes.windows(2).position(|w| w == b"\n\n")?;
    Some((&bytes[..i], &bytes[i + 2..]))
}

fn parse_start(line: &str) -> Result<StartLine, ParseError> {
    let bad = || ParseError::StartLine(line.chars().take(200).collect());
    if let Some(rest) = line.strip_prefix("SIP/2.0 ") {
        let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
        let code: u16 = code.parse().map_err(|_| bad())?;
        if !(100..=699).contains(&code) {
            return Err(bad());
        }
        return Ok(StartLine::Response {
            code,
            reason: reason.to_owned(),
        });
    }
    let mut parts = line.split(' ');
    let (Some(method), Some(uri), Some("SIP/2.0"), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let method = Method::parse(method).ok_or_else(bad)?;
    if uri.is_empty() || !uri.contains(':') {
        return Err(bad());
    }
    Ok(StartLine::Request {
        method,
        uri: uri.to_owned(),
    })
}

/// A `;name=value` parameter of a header value (outside the `<…>` URI).
pub fn param<'a>(value: &'a str, name: &str) -> Option<&'a str> {
    let after_uri = match value.rfind('>') {
        Some(i) => &value[i + 1..],
        None => value,
    };
    after_uri.split(';').skip(1).find_map(|p| {
        let (n, v) = p.split_once('=').unwrap_or((p, ""));
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// The user part of a name-addr or addr-spec (`"Ann" <sip:+1212555@host>;tag=x` → `+1212555`).
pub fn uri_user(value: &str) -> &str {
    let uri = match (value.find('<'), value.find('>')) {
        (Some(a), Some(b)) if a < b => &value[a + 1..b],
        _ => value.split(';').next().unwrap_or(""),
    };
    let uri = uri.trim();
    let rest = uri
        .strip_prefix("sips:")
        .or_else(|| uri.strip_prefix("sip:"))
        .or_else(|| uri.strip_prefix("tel:"))
        .unwrap_or(uri);
    match rest.find('@') {
        Some(i) => rest[..i].split(';').next().unwrap_or(""),
        None if uri.starts_with("tel:") => rest.split(';').next().unwrap_or(""),
        None => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const INVITE: &str = "INVITE sip:ivr@127.0.0.1:5060 SIP/2.0\r\n\
Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-1\r\n\
From: \"Ann\" <sip:+12125550100@127.0.0.1:5061>;tag=abc\r\n\
To: <sip:+18005550199@127.0.0.1>\r\n\
Call-ID: 1-2@127.0.0.1\r\n\
CSeq: 1 INVITE\r\n\
Contact: <sip:ann@127.0.0.1:5061>\r\n\
Content-Type: application/sdp\r\n\
l: 4\r\n\
\r\n\
v=0\r\ntrailing";

    #[test]
    fn parses_an_invite_and_answers_it() {
        let m = Message::parse(INVITE.as_bytes()).unwrap();
        assert_eq!(m.method(), Some(&Method::Invite));
        assert_eq!(m.call_id(), "1-2@127.0.0.1");
        assert_eq!(m.cseq(), Some((1, Method::Invite)));
        assert_eq!(m.from_tag(), Some("abc"));
        assert_eq!(m.to_tag(), None);
        assert_eq!(m.branch(), Some("z9hG4bK-1"));
        assert_eq!(m.from_user(), "+12125550100");
        assert_eq!(m.to_user(), "+18005550199");
        assert_eq!(m.body, b"v=0\r");
        let r = m.response(200, "OK", Some("xyz"));
        let text = String::from_utf8(r.to_bytes()).unwrap();
        assert!(text.starts_with("SIP/2.0 200 OK\r\n"));
        assert!(text.contains("To: <sip:+18005550199@127.0.0.1>;tag=xyz\r\n"));
        assert!(text.contains("CSeq: 1 INVITE\r\n"));
        assert!(text.ends_with("Content-Length: 0\r\n\r\n"));
        assert_eq!(Message::parse(&r.to_bytes()).unwrap().to_tag(), Some("xyz"));
    }

    #[test]
    fn refuses_what_is_not_sip() {
        assert_eq!(Message::parse(b"\r\n\r\n"), Err(ParseError::Empty));
        assert!(matches!(
            Message::parse(b"HELLO\r\n\r\n"),
            Err(ParseError::StartLine(_))
        ));
        let no_cseq = INVITE.replace("CSeq: 1 INVITE\r\n", "");
        assert_eq!(
            Message::parse(no_cseq.as_bytes()),
            Err(ParseError::Missing("CSeq"))
        );
        let long = INVITE.replace("l: 4", "l: 400");
        assert_eq!(Message::parse(long.as_bytes()), Err(ParseError::ShortBody));
    }

    #[test]
    fn uri_users() {
        assert_eq!(uri_user("<sip:100@h>;tag=1"), "100");
        assert_eq!(uri_user("<sip:100;user=phone@h>"), "100");
        assert_eq!(uri_user("sip:100@h;tag=1"), "100");
        assert_eq!(uri_user("<tel:+1555>"), "+1555");
        assert_eq!(uri_user("garbage"), "");
    }

    fn token() -> impl Strategy<Value = String> {
        "[A-Za-z0-9][A-Za-z0-9.!%*_+~-]{0,12}"
    }

    proptest! {
        /// Arbitrary bytes never panic the parser.
        #[test]
        fn never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let _ = Message::parse(&bytes);
        }

        /// Nor do mutations of a real INVITE (the interesting neighbourhood).
        #[test]
        fn never_panics_on_mutated_invites(
            edits in proptest::collection::vec((0usize..400, any::<u8>()), 0..12),
            cut in 0usize..420,
        ) {
            let mut bytes = INVITE.as_bytes().to_vec();
            for (at, b) in edits {
                let at = at % bytes.len();
                bytes[at] = b;
            }
            bytes.truncate(cut.max(1));
            if let Ok(m) = Message::parse(&bytes) {
                let _ = (m.cseq(), m.from_user(), m.to_tag(), m.branch());
                let _ = Message::parse(&m.to_bytes());
            }
        }

        /// What we write, we read back the same.
        #[test]
        fn round_trips(
            method in token(),
            user in "[+0-9a-z]{1,12}",
            call_id in "[A-Za-z0-9@.-]{1,30}",
            cseq in any::<u32>(),
            extra in proptest::collection::vec((token(), "[ -~]{0,40}"), 0..6),
            body in proptest::collection::vec(any::<u8>(), 0..200),
        ) {
            let method = Method::parse(&method).unwrap();
            let mut headers = vec![
                ("Via".to_owned(), "SIP/2.0/UDP h;branch=z9hG4bKx".to_owned()),
                ("From".to_owned(), format!("<sip:{user}@h>;tag=1")),
                ("To".to_owned(), "<sip:ivr@h>".to_owned()),
                ("Call-ID".to_owned(), call_id.clone()),
                ("CSeq".to_owned(), format!("{cseq} {method}")),
            ];
            for (n, v) in extra {
                let c = canonical(&n).to_ascii_lowercase();
                if ["via", "from", "to", "call-id", "cseq", "content-length"].contains(&c.as_str()) {
                    continue;
                }
                headers.push((n, v.trim().to_owned()));
            }
            let m = Message {
                start: StartLine::Request { method: method.clone(), uri: "sip:ivr@h".to_owned() },
                headers,
                body,
            };
            let parsed = Message::parse(&m.to_bytes()).unwrap();
            prop_assert_eq!(parsed.method(), Some(&method));
            prop_assert_eq!(parsed.call_id(), call_id.as_str());
            prop_assert_eq!(parsed.cseq(), Some((cseq, method)));
            prop_assert_eq!(parsed.from_user(), user.as_str());
            prop_assert_eq!(&parsed.body, &m.body);
        }
    }
}
