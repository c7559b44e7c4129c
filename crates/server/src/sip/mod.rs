//! The SIP adapter of the IVR (product §5): a user agent server on UDP, so a PBX, a trunk or a
//! softphone can call Helpline directly. Same flows, same interpreter, same [`telephony::step`]
//! as the TwiML webhooks; only the edge differs: SIP signalling here (one task reading the
//! socket, answering transactions and handing each dialog's events to its call), RTP media and
//! digit collection in [`call`], prompt audio in [`prompts`]. Parsing is pure code in the `sip`
//! crate.
//!
//! Answers: INVITE → 100, 180, 200 with an SDP answer (PCMU/PCMA, telephone-event with the
//! offer's payload type), or 400 (malformed), 488 (no G.711 in the offer), 503 (too many calls);
//! re-INVITE → 200 with the same answer; ACK; BYE both ways; CANCEL while ringing → 200 + 487;
//! OPTIONS → 200; INFO (application/dtmf-relay) → a digit; other known methods → 405, unknown
//! ones → 501; requests for a dialog we do not have → 481.

mod call;
pub mod prompts;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sip::sdp::{Negotiated, Offer, SdpError};
use sip::{Message, Method, StartLine};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::state::AppState;
use crate::telephony;

const ALLOW: &str = "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO";
const USER_AGENT: &str = "Helpline IVR";
/// SIP methods we know and do not serve (405); anything else is 501.
const KNOWN_METHODS: &[&str] = &[
    "REGISTER",
    "SUBSCRIBE",
    "NOTIFY",
    "PUBLISH",
    "MESSAGE",
    "REFER",
    "UPDATE",
    "PRACK",
];

#[derive(Debug, Clone)]
pub struct SipOptions {
    /// How long a call rings before it is answered (a CANCEL in that time gets 487).
    pub ring: Duration,
    /// Calls held at once; more are answered 503.
    pub max_calls: usize,
    /// Where rendered prompts are kept between runs (`None`: memory only).
    pub prompt_dir: Option<std::path::PathBuf>,
}

impl Default for SipOptions {
    fn default() -> Self {
        Self {
            ring: Duration::from_millis(200),
            max_calls: 2000,
            prompt_dir: None,
        }
    }
}

/// A running SIP server.
#[derive(Debug)]
pub struct SipServer {
    pub local: SocketAddr,
    pub task: tokio::task::JoinHandle<()>,
}

/// What the signalling side tells a call.
#[derive(Debug)]
enum Control {
    Ack,
    Bye,
    Cancel,
    Digit(char),
    /// A re-INVITE moved the caller's media.
    Remote(SocketAddr),
    /// A response to a request the call sent (its BYE).
    Response(u16),
}

struct Dialog {
    tx: mpsc::UnboundedSender<Control>,
    /// The original INVITE (for 487, for building our BYE) and where it came from.
    invite: Message,
    peer: SocketAddr,
    local_tag: String,
    answer_sdp: String,
    /// The last response to the INVITE, re-sent when the INVITE is retransmitted.
    last_response: Mutex<Vec<u8>>,
}

/// Shared by the signalling loop and the calls.
struct Shared {
    state: AppState,
    socket: UdpSocket,
    local: SocketAddr,
    options: SipOptions,
    prompts: prompts::Prompts,
    dialogs: Mutex<HashMap<String, Arc<Dialog>>>,
    /// Calls that ended lately (Call-ID → when), so a retransmitted BYE still gets 200, not 481.
    ended: Mutex<HashMap<String, std::time::Instant>>,
    stop: CancellationToken,
}

impl Shared {
    fn dialog(&self, call_id: &str) -> Option<Arc<Dialog>> {
        self.dialogs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(call_id)
            .cloned()
    }

    fn forget(&self, call_id: &str) {
        self.dialogs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(call_id);
        let mut ended = self.ended.lock().unwrap_or_else(|e| e.into_inner());
        // 64 × T1: how long a peer keeps retransmitting.
        ended.retain(|_, at| at.elapsed() < Duration::from_secs(32));
        ended.insert(call_id.to_owned(), std::time::Instant::now());
    }

    fn ended_lately(&self, call_id: &str) -> bool {
        self.ended
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(call_id)
    }

    async fn send(&self, message: &Message, to: SocketAddr) {
        self.send_bytes(&message.to_bytes(), to).await;
    }

    async fn send_bytes(&self, bytes: &[u8], to: SocketAddr) {
        if let Err(err) = self.socket.send_to(bytes, to).await {
            tracing::debug!(error = %err, %to, "SIP send failed");
        }
    }

    /// The address we give `peer` (Contact, SDP): the bound one, or, when bound to every
    /// interface, the one the system would send to `peer` from.
    fn advertised_ip(&self, peer: SocketAddr) -> IpAddr {
        let ip = self.local.ip();
        if !ip.is_unspecified() {
            return ip;
        }
        std::net::UdpSocket::bind(SocketAddr::new(ip, 0))
            .and_then(|s| {
                s.connect(peer)?;
                s.local_addr()
            })
            .map_or(IpAddr::from([127, 0, 0, 1]), |a| a.ip())
    }

    fn contact(&self, peer: SocketAddr) -> String {
        format!(
            "<sip:ivr@{}>",
            SocketAddr::new(self.advertised_ip(peer), self.local.port())
        )
    }
}

fn random_token() -> String {
    format!(
        "{:08x}{:08x}",
        getrandom::u32().unwrap_or(0),
        getrandom::u32().unwrap_or(1)
    )
}

/// The IVR call id of a SIP call (kept apart from TwiML CallSids).
pub fn ivr_call_id(call_id: &str) -> String {
    format!("sip:{call_id}")
}

/// Binds `addr` (UDP) and serves SIP until `stop` is cancelled.
pub async fn start(
    state: AppState,
    addr: SocketAddr,
    options: SipOptions,
    stop: CancellationToken,
) -> anyhow::Result<SipServer> {
    let socket = UdpSocket::bind(addr).await.map_err(|e| {
        anyhow::anyhow!("could not listen for SIP on udp/{addr}: {e}; is another server using it?")
    })?;
    let local = socket.local_addr()?;
    let shared = Arc::new(Shared {
        prompts: prompts::Prompts::new(options.prompt_dir.clone()),
        state,
        socket,
        local,
        options,
        dialogs: Mutex::new(HashMap::new()),
        ended: Mutex::new(HashMap::new()),
        stop,
    });
    let task = tokio::spawn(serve(shared));
    Ok(SipServer { local, task })
}

async fn serve(shared: Arc<Shared>) {
    let mut buf = vec![0u8; 65_535];
    loop {
        let received = tokio::select! {
            () = shared.stop.cancelled() => return,
            r = shared.socket.recv_from(&mut buf) => r,
        };
        let (len, from) = match received {
            Ok(r) => r,
            // ICMP port unreachable from an earlier send shows up here on some systems.
            Err(err) => {
                tracing::debug!(error = %err, "SIP receive error");
                continue;
            }
        };
        handle_datagram(&shared, &buf[..len], from).await;
    }
}

async fn handle_datagram(shared: &Arc<Shared>, bytes: &[u8], from: SocketAddr) {
    let message = match Message::parse(bytes) {
        Ok(m) => m,
        Err(sip::ParseError::Empty) => return,
        Err(err) => {
            // Answer 400 when there is enough to answer to; otherwise there is no one to tell.
            if let Ok(loose) = Message::parse_loose(bytes)
                && loose.method().is_some_and(|m| *m != Method::Ack)
                && loose.header("via").is_some()
            {
                let response = loose
                    .response(400, "Bad Request", Some(&random_token()))
                    .with_header("Warning", format!("399 helpline \"{err}\""));
                shared.send(&response, from).await;
            }
            tracing::debug!(error = %err, %from, "malformed SIP message");
            return;
        }
    };
    let method = match &message.start {
        StartLine::Response { code, .. } => {
            // Responses to our BYEs.
            if let Some(dialog) = shared.dialog(message.call_id()) {
                let _ = dialog.tx.send(Control::Response(*code));
            }
            return;
        }
        StartLine::Request { method, .. } => method.clone(),
    };
    match method {
        Method::Invite => invite(shared, message, from).await,
        Method::Ack => {
            if let Some(dialog) = shared.dialog(message.call_id()) {
                let _ = dialog.tx.send(Control::Ack);
            }
        }
        Method::Bye => in_dialog(shared, &message, from, Control::Bye).await,
        Method::Cancel => cancel(shared, &message, from).await,
        Method::Options => {
            let response = message
                .response(200, "OK", Some(&random_token()))
                .with_header("Allow", ALLOW)
                .with_header("Accept", "application/sdp, application/dtmf-relay")
                .with_header("User-Agent", USER_AGENT);
            shared.send(&response, from).await;
        }
        Method::Info => info(shared, &message, from).await,
        Method::Register | Method::Other(_) => {
            let known = KNOWN_METHODS.contains(&method.as_str()) || method == Method::Register;
            let response = if known {
                message.response(405, "Method Not Allowed", Some(&random_token()))
            } else {
                message.response(501, "Not Implemented", Some(&random_token()))
            };
            shared
                .send(&response.with_header("Allow", ALLOW), from)
                .await;
        }
    }
}

/// BYE (and other requests inside a dialog): 200 and tell the call, or 481.
async fn in_dialog(shared: &Shared, message: &Message, from: SocketAddr, control: Control) {
    match shared.dialog(message.call_id()) {
        Some(dialog) if message.to_tag() == Some(dialog.local_tag.as_str()) => {
            shared.send(&message.response(200, "OK", None), from).await;
            let _ = dialog.tx.send(control);
        }
        None if message.method() == Some(&Method::Bye)
            && shared.ended_lately(message.call_id()) =>
        {
            shared.send(&message.response(200, "OK", None), from).await;
        }
        _ => {
            shared
                .send(
                    &message.response(481, "Call/Transaction Does Not Exist", None),
                    from,
                )
                .await;
        }
    }
}

/// INFO: application/dtmf-relay (`Signal=5`) is a key press; other bodies are acknowledged.
async fn info(shared: &Shared, message: &Message, from: SocketAddr) {
    let Some(dialog) = shared
        .dialog(message.call_id())
        .filter(|d| message.to_tag() == Some(d.local_tag.as_str()))
    else {
        shared
            .send(
                &message.response(481, "Call/Transaction Does Not Exist", None),
                from,
            )
            .await;
        return;
    };
    let content_type = message.header("content-type").unwrap_or("");
    if content_type.eq_ignore_ascii_case("application/dtmf-relay") {
        let body = String::from_utf8_lossy(&message.body);
        let key = body.lines().find_map(|line| {
            let (name, value) = line.split_once('=')?;
            name.trim()
                .eq_ignore_ascii_case("signal")
                .then(|| value.trim().chars().next())
                .flatten()
        });
        match key.filter(|k| k.is_ascii_digit() || matches!(k, '*' | '#' | 'A'..='D')) {
            Some(key) => {
                shared.send(&message.response(200, "OK", None), from).await;
                let _ = dialog.tx.send(Control::Digit(key));
            }
            None => {
                shared
                    .send(
                        &message
                            .response(400, "Bad Request", None)
                            .with_header("Warning", "399 helpline \"no Signal=KEY line\""),
                        from,
                    )
                    .await;
            }
        }
    } else {
        shared.send(&message.response(200, "OK", None), from).await;
    }
}

async fn cancel(shared: &Shared, message: &Message, from: SocketAddr) {
    match shared.dialog(message.call_id()) {
        Some(dialog) => {
            shared.send(&message.response(200, "OK", None), from).await;
            let _ = dialog.tx.send(Control::Cancel);
        }
        None => {
            shared
                .send(
                    &message.response(481, "Call/Transaction Does Not Exist", None),
                    from,
                )
                .await;
        }
    }
}

async fn invite(shared: &Arc<Shared>, message: Message, from: SocketAddr) {
    let call_id = message.call_id().to_owned();
    if let Some(dialog) = shared.dialog(&call_id) {
        match message.to_tag() {
            // A retransmission of the INVITE: the same answer again.
            None => {
                let last = dialog
                    .last_response
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .clone();
                shared.send_bytes(&last, from).await;
            }
            // A re-INVITE (hold, new media address): the same answer, following the new address.
            Some(tag) if tag == dialog.local_tag => {
                if let Ok(offer) = Offer::parse(&message.body)
                    && offer.negotiate().is_ok()
                {
                    let _ = dialog
                        .tx
                        .send(Control::Remote(SocketAddr::new(offer.addr, offer.port)));
                }
                let ok = message
                    .response(200, "OK", None)
                    .with_header("Contact", shared.contact(from))
                    .with_header("Allow", ALLOW)
                    .with_body("application/sdp", dialog.answer_sdp.clone().into_bytes());
                shared.send(&ok, from).await;
            }
            Some(_) => {
                shared
                    .send(
                        &message.response(481, "Call/Transaction Does Not Exist", None),
                        from,
                    )
                    .await;
            }
        }
        return;
    }
    if message.to_tag().is_some() {
        shared
            .send(
                &message.response(481, "Call/Transaction Does Not Exist", None),
                from,
            )
            .await;
        return;
    }
    let local_tag = random_token();
    let refuse = |code: u16, reason: &str, warning: String| {
        message
            .response(code, reason, Some(&local_tag))
            .with_header("Warning", format!("399 helpline \"{warning}\""))
    };
    let agreed: Result<(Offer, Negotiated), SdpError> =
        Offer::parse(&message.body).and_then(|offer| {
            let agreed = offer.negotiate()?;
            Ok((offer, agreed))
        });
    let (offer, agreed) = match agreed {
        Ok(ok) => ok,
        Err(SdpError::NoCodec) => {
            let response = refuse(
                488,
                "Not Acceptable Here",
                "offer PCMU or PCMA (G.711)".to_owned(),
            );
            shared.send(&response, from).await;
            return;
        }
        Err(err) if message.body.is_empty() => {
            tracing::debug!(error = %err, "INVITE without an offer");
            let response = refuse(
                488,
                "Not Acceptable Here",
                "send an SDP offer in the INVITE".to_owned(),
            );
            shared.send(&response, from).await;
            return;
        }
        Err(err) => {
            shared
                .send(&refuse(400, "Bad Request", err.to_string()), from)
                .await;
            return;
        }
    };
    let count = shared
        .dialogs
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .len();
    if count >= shared.options.max_calls {
        let response = refuse(503, "Service Unavailable", "too many calls".to_owned())
            .with_header("Retry-After", "5");
        shared.send(&response, from).await;
        return;
    }
    let rtp = match UdpSocket::bind(SocketAddr::new(shared.local.ip(), 0)).await {
        Ok(socket) => socket,
        Err(err) => {
            tracing::warn!(error = %err, "no RTP port for a SIP call");
            let response = refuse(503, "Service Unavailable", "no media port".to_owned());
            shared.send(&response, from).await;
            return;
        }
    };
    let rtp_port = rtp.local_addr().map(|a| a.port()).unwrap_or(0);
    let answer_sdp = sip::sdp::answer(
        shared.advertised_ip(from),
        rtp_port,
        u64::from(getrandom::u32().unwrap_or(0)),
        &agreed,
    );
    let trying = message.response(100, "Trying", None).to_bytes();
    shared.send_bytes(&trying, from).await;
    let (tx, rx) = mpsc::unbounded_channel();
    let dialog = Arc::new(Dialog {
        tx,
        invite: message,
        peer: from,
        local_tag,
        answer_sdp,
        last_response: Mutex::new(trying),
    });
    shared
        .dialogs
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(call_id, dialog.clone());
    let media = call::Media {
        socket: rtp,
        remote: SocketAddr::new(offer.addr, offer.port),
        agreed,
    };
    tokio::spawn(call::run(shared.clone(), dialog, media, rx));
}

/// Marks the IVR call ended (and takes a queued hand-off out of the queue).
async fn ended(shared: &Shared, call_id: &str, status: &str) {
    if let Err(err) = telephony::end_call(&shared.state, &ivr_call_id(call_id), status).await {
        tracing::warn!(code = err.code, "could not record the end of a SIP call");
    }
}
