//! One SIP call: ring, answer (200 re-sent until the ACK), then run the IVR with
//! [`telephony::step`]: play each reply's prompts as 20 ms RTP packets paced against a fixed
//! start, collect keys (RFC 4733 events de-duplicated by SSRC + timestamp, or SIP INFO) the way a
//! TwiML `<Gather>` does (barge-in, `numDigits`, `finishOnKey`, `timeout` → no input), and send
//! them to the interpreter as `Digits`, exactly like the webhook's `Digits` parameter.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use ivr::keys::KeyBuffer;
use ivr::{Event, Gather, NewCall, Reply, Segment, Then};
use sip::g711;
use sip::rtp::{DigitDetector, Packet, SAMPLES_PER_PACKET, Sender};
use sip::sdp::Negotiated;
use sip::{Message, StartLine};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior};

use super::{Control, Dialog, Shared, ended, ivr_call_id, random_token};
use crate::telephony::{self, Input};

/// RFC 3261 T1 (the first retransmission interval) and how long we retransmit (64 × T1).
const T1: Duration = Duration::from_millis(500);
const GIVE_UP: Duration = Duration::from_secs(32);
const PACKET: Duration = Duration::from_millis(20);

pub(super) struct Media {
    /// Unconnected: we send to the offer's address and accept RTP from wherever it comes.
    pub socket: UdpSocket,
    pub remote: SocketAddr,
    pub agreed: Negotiated,
}

/// What happens when the prompts being played are done.
enum After {
    Listen,
    Hangup,
    /// Queued for a person: hold audio until the caller hangs up.
    Hold,
}

struct Listening {
    gather: Gather,
    keys: KeyBuffer,
}

pub(super) async fn run(
    shared: Arc<Shared>,
    dialog: Arc<Dialog>,
    media: Media,
    mut rx: mpsc::UnboundedReceiver<Control>,
) {
    let call_id = dialog.invite.call_id().to_owned();
    let outcome = ring_and_answer(&shared, &dialog, &mut rx).await;
    if outcome.is_some() {
        let mut call = Call::new(&shared, &dialog, media, rx);
        let status = call.run().await;
        ended(&shared, &call_id, status).await;
    }
    shared.forget(&call_id);
}

/// Sends 180, waits the ring time (a CANCEL → 487) and sends the 200 OK. `None`: cancelled.
async fn ring_and_answer(
    shared: &Shared,
    dialog: &Dialog,
    rx: &mut mpsc::UnboundedReceiver<Control>,
) -> Option<()> {
    let invite = &dialog.invite;
    let ringing = invite
        .response(180, "Ringing", Some(&dialog.local_tag))
        .with_header("Contact", shared.contact(dialog.peer))
        .to_bytes();
    remember(dialog, &ringing);
    shared.send_bytes(&ringing, dialog.peer).await;
    let ring = tokio::time::sleep(shared.options.ring);
    tokio::pin!(ring);
    loop {
        tokio::select! {
            () = &mut ring => break,
            control = rx.recv() => match control {
                Some(Control::Cancel) | None => {
                    let terminated = invite
                        .response(487, "Request Terminated", Some(&dialog.local_tag))
                        .to_bytes();
                    remember(dialog, &terminated);
                    shared.send_bytes(&terminated, dialog.peer).await;
                    return None;
                }
                Some(_) => {}
            },
        }
    }
    let ok = invite
        .response(200, "OK", Some(&dialog.local_tag))
        .with_header("Contact", shared.contact(dialog.peer))
        .with_header("Allow", super::ALLOW)
        .with_header("User-Agent", super::USER_AGENT)
        .with_body("application/sdp", dialog.answer_sdp.clone().into_bytes())
        .to_bytes();
    remember(dialog, &ok);
    shared.send_bytes(&ok, dialog.peer).await;
    Some(())
}

fn remember(dialog: &Dialog, response: &[u8]) {
    *dialog
        .last_response
        .lock()
        .unwrap_or_else(|e| e.into_inner()) = response.to_vec();
}

struct Call<'a> {
    shared: &'a Shared,
    dialog: &'a Dialog,
    media: Media,
    rx: mpsc::UnboundedReceiver<Control>,
    ivr_id: String,
    sender: Sender,
    detector: DigitDetector,
    /// Encoded audio still to send.
    out: VecDeque<u8>,
    playing: bool,
    after: After,
    listening: Option<Listening>,
    /// When the caller has said nothing for long enough (a gather's timeout).
    deadline: Option<Instant>,
    acked: bool,
    hold: Vec<u8>,
}

impl<'a> Call<'a> {
    fn new(
        shared: &'a Shared,
        dialog: &'a Dialog,
        media: Media,
        rx: mpsc::UnboundedReceiver<Control>,
    ) -> Self {
        let codec = media.agreed.codec;
        let mut hold = g711::tone(400, 425.0);
        hold.extend(std::iter::repeat_n(0, 8 * 3600));
        Call {
            shared,
            dialog,
            sender: Sender::new(
                getrandom::u32().unwrap_or(7),
                codec.payload_type(),
                getrandom::u32().unwrap_or(0),
            ),
            media,
            rx,
            ivr_id: ivr_call_id(dialog.invite.call_id()),
            detector: DigitDetector::default(),
            out: VecDeque::new(),
            playing: false,
            after: After::Listen,
            listening: None,
            deadline: None,
            acked: false,
            hold: g711::encode(codec, &hold),
        }
    }

    /// Runs the call until it ends; the end status for the record.
    async fn run(&mut self) -> &'static str {
        let invite = &self.dialog.invite;
        let start = Input::Start {
            call: NewCall {
                call_id: self.ivr_id.clone(),
                from: invite.from_user().to_owned(),
                to: invite.to_user().to_owned(),
            },
            flow: None,
        };
        match telephony::step(&self.shared.state, &self.ivr_id, start, None).await {
            Ok(stepped) => match stepped.reply {
                Some(reply) => self.apply(reply).await,
                None => return self.hang_up().await,
            },
            Err(err) => {
                tracing::warn!(code = err.code, "SIP call could not start its IVR flow");
                return self.hang_up().await;
            }
        }
        let started = Instant::now();
        let mut tick = tokio::time::interval_at(started, PACKET);
        // Pace against the fixed start: a late tick is caught up, not shifted.
        tick.set_missed_tick_behavior(MissedTickBehavior::Burst);
        let mut retransmit = T1;
        let mut resend_at = started + retransmit;
        let mut buf = vec![0u8; 2048];
        let mut packet = Vec::with_capacity(12 + SAMPLES_PER_PACKET);
        let far_future = started + Duration::from_secs(86_400 * 365);
        loop {
            let deadline = self.deadline.unwrap_or(far_future);
            let resend = if self.acked { far_future } else { resend_at };
            tokio::select! {
                () = self.shared.stop.cancelled() => return self.hang_up().await,
                _ = tick.tick() => {
                    self.send_packet(&mut packet).await;
                    if self.playing && self.out.is_empty() {
                        self.playing = false;
                        if let Some(status) = self.played_out().await {
                            return status;
                        }
                    }
                }
                received = self.media.socket.recv_from(&mut buf) => {
                    if let Ok((len, _)) = received
                        && let Some(te) = self.media.agreed.telephone_event
                        && let Some(rtp) = Packet::parse(&buf[..len])
                        && let Some(key) = self.detector.packet(&rtp, te)
                        && let Some(status) = self.key(key).await
                    {
                        return status;
                    }
                }
                control = self.rx.recv() => match control {
                    Some(Control::Ack) => self.acked = true,
                    Some(Control::Bye) | None => return "completed",
                    Some(Control::Digit(key)) => {
                        if let Some(status) = self.key(key).await {
                            return status;
                        }
                    }
                    Some(Control::Remote(addr)) => self.media.remote = addr,
                    Some(Control::Cancel | Control::Response(_)) => {}
                },
                () = tokio::time::sleep_until(deadline) => {
                    self.deadline = None;
                    if let Some(status) = self.timed_out().await {
                        return status;
                    }
                }
                () = tokio::time::sleep_until(resend) => {
                    if started.elapsed() >= GIVE_UP {
                        tracing::info!("SIP caller never acknowledged the answer; hanging up");
                        return self.hang_up().await;
                    }
                    let last = self.dialog.last_response.lock().unwrap_or_else(|e| e.into_inner()).clone();
                    self.shared.send_bytes(&last, self.dialog.peer).await;
                    retransmit = (retransmit * 2).min(Duration::from_secs(4));
                    resend_at = Instant::now() + retransmit;
                }
            }
        }
    }

    async fn send_packet(&mut self, packet: &mut Vec<u8>) {
        let codec = self.media.agreed.codec;
        if self.out.is_empty() && matches!(self.after, After::Hold) && !self.playing {
            self.out.extend(self.hold.iter().copied());
        }
        let mut payload = [g711::silence(codec); SAMPLES_PER_PACKET];
        for slot in &mut payload {
            match self.out.pop_front() {
                Some(b) => *slot = b,
                None => break,
            }
        }
        self.sender.next(&payload, packet);
        if let Err(err) = self.media.socket.send_to(packet, self.media.remote).await {
            tracing::debug!(error = %err, "RTP send failed");
        }
    }

    /// Queues a reply's audio and sets what follows it.
    async fn apply(&mut self, reply: Reply) {
        let codec = self.media.agreed.codec;
        for segment in &reply.say {
            let samples = match segment {
                Segment::Say(prompt) => {
                    self.shared
                        .prompts
                        .speak(super::prompts::voice_for(prompt.lang), &prompt.text)
                        .await
                }
                // No recordings ship with the flow: a short chime marks a clip.
                Segment::Play { .. } => Arc::new(g711::tone(300, 660.0)),
                Segment::Pause { seconds } => Arc::new(vec![0; 8000 * usize::from(*seconds)]),
            };
            self.out.extend(g711::encode(codec, &samples));
        }
        // Set even with nothing to say, so the next tick runs what follows the prompts.
        self.playing = true;
        self.listening = None;
        self.deadline = None;
        self.after = match reply.then {
            Then::Gather(gather) => {
                // Keys pressed while the prompt plays count (barge-in), as with TwiML <Gather>.
                self.listening = Some(Listening {
                    keys: KeyBuffer::new(&gather),
                    gather,
                });
                After::Listen
            }
            Then::Enqueue(_) => After::Hold,
            Then::Dial { number } => {
                // Bridging to another number is not done over SIP yet: the IVR says where the
                // caller should call, and we end the call.
                tracing::info!(%number, "SIP call asked to dial out; ending the call instead");
                After::Hangup
            }
            Then::Hangup => After::Hangup,
        };
    }

    /// The prompts are done. `Some(status)`: the call is over.
    async fn played_out(&mut self) -> Option<&'static str> {
        match self.after {
            After::Listen => {
                if let Some(listening) = &self.listening {
                    self.deadline = Some(
                        Instant::now()
                            + Duration::from_secs(u64::from(listening.gather.timeout_secs.max(1))),
                    );
                }
                None
            }
            After::Hangup => Some(self.hang_up().await),
            After::Hold => None,
        }
    }

    /// A key press. `Some(status)`: the call is over.
    async fn key(&mut self, key: char) -> Option<&'static str> {
        let listening = self.listening.as_mut()?;
        if !listening.gather.dtmf {
            return None;
        }
        // Barge-in: the first key stops the prompt.
        if self.playing {
            self.out.clear();
            self.playing = false;
        }
        if let Some(event) = listening.keys.press(key) {
            return self.submit(event).await;
        }
        self.deadline = Some(
            Instant::now() + Duration::from_secs(u64::from(listening.gather.timeout_secs.max(1))),
        );
        None
    }

    /// The gather's timeout: the keys so far, or no input.
    async fn timed_out(&mut self) -> Option<&'static str> {
        let event = self.listening.as_mut()?.keys.timeout();
        self.submit(event).await
    }

    async fn submit(&mut self, event: Event) -> Option<&'static str> {
        self.listening = None;
        self.deadline = None;
        match telephony::step(&self.shared.state, &self.ivr_id, Input::Event(event), None).await {
            Ok(stepped) => match stepped.reply {
                Some(reply) => {
                    self.apply(reply).await;
                    None
                }
                None => Some(self.hang_up().await),
            },
            Err(err) => {
                tracing::warn!(code = err.code, "SIP call step failed; hanging up");
                Some(self.hang_up().await)
            }
        }
    }

    /// Sends our BYE and waits (briefly, re-sending) for its answer.
    async fn hang_up(&mut self) -> &'static str {
        let invite = &self.dialog.invite;
        let target = invite
            .header("contact")
            .and_then(|c| {
                let (a, b) = (c.find('<')?, c.find('>')?);
                (a < b).then(|| c[a + 1..b].to_owned())
            })
            .or_else(|| {
                invite
                    .header("contact")
                    .map(|c| c.split(';').next().unwrap_or(c).trim().to_owned())
            })
            .filter(|uri| uri.contains(':'))
            .unwrap_or_else(|| match &invite.start {
                StartLine::Request { uri, .. } => uri.clone(),
                StartLine::Response { .. } => String::new(),
            });
        let local = self.shared.contact(self.dialog.peer);
        let to_us = invite.header("to").unwrap_or("");
        let bye = Message {
            start: StartLine::Request {
                method: sip::Method::Bye,
                uri: target,
            },
            headers: vec![
                (
                    "Via".to_owned(),
                    format!(
                        "SIP/2.0/UDP {};branch=z9hG4bK{}",
                        local.trim_start_matches("<sip:ivr@").trim_end_matches('>'),
                        random_token()
                    ),
                ),
                ("Max-Forwards".to_owned(), "70".to_owned()),
                (
                    "From".to_owned(),
                    format!("{to_us};tag={}", self.dialog.local_tag),
                ),
                (
                    "To".to_owned(),
                    invite.header("from").unwrap_or("").to_owned(),
                ),
                ("Call-ID".to_owned(), invite.call_id().to_owned()),
                ("CSeq".to_owned(), "1 BYE".to_owned()),
                ("User-Agent".to_owned(), super::USER_AGENT.to_owned()),
            ],
            body: Vec::new(),
        }
        .to_bytes();
        let mut wait = T1;
        for _ in 0..4 {
            self.shared.send_bytes(&bye, self.dialog.peer).await;
            let until = Instant::now() + wait;
            loop {
                match tokio::time::timeout_at(until, self.rx.recv()).await {
                    Ok(Some(Control::Response(code))) if code >= 200 => return "completed",
                    // The caller hung up at the same moment.
                    Ok(Some(Control::Bye) | None) => return "completed",
                    Ok(Some(_)) => {}
                    Err(_) => break,
                }
            }
            wait *= 2;
        }
        "completed"
    }
}
