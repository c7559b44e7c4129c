//! The IVR over SIP with real peers: sipp (tests/sip/*.xml) calls Helpline's SIP server on
//! loopback, hears RTP prompt audio, reports a stolen card with RFC 4733 digits and hangs up
//! while queued; baresip places a call and sends digits too. Assertions are on what Helpline
//! recorded. Skipped, with the reason printed, only when the peer program is not installed
//! (scripts/test installs both).

use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::Arc;

use domain::FakeClock;
use server::sip::{SipOptions, ivr_call_id};
use server::telephony::Session;
use server::testkit::{Options, TestApp};
use tokio::net::UdpSocket;
use tokio_util::sync::CancellationToken;

fn installed(program: &str) -> bool {
    std::process::Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The test app (daytime in New York, every team open) with SIP on an ephemeral UDP port.
async fn spawn() -> (TestApp, SocketAddr, CancellationToken) {
    let app = TestApp::spawn_with(Options {
        clock: Arc::new(FakeClock::new("2026-01-05T21:00:00Z".parse().unwrap())),
        ..Options::default()
    })
    .await;
    let stop = CancellationToken::new();
    let sip = server::sip::start(
        app.state.clone(),
        "127.0.0.1:0".parse().unwrap(),
        SipOptions {
            prompt_dir: Some(app.data_dir.path().join("prompts")),
            ..SipOptions::default()
        },
        stop.clone(),
    )
    .await
    .unwrap();
    (app, sip.local, stop)
}

fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// What the test heard of Helpline's RTP.
#[derive(Debug, Default)]
struct Heard {
    packets: usize,
    ssrcs: std::collections::BTreeSet<u32>,
    /// Consecutive packets whose sequence number did not go up by one or whose timestamp did not
    /// go up by 160 (one 20 ms G.711 packet).
    broken_steps: usize,
    /// Packets that were not silence.
    audible: usize,
}

/// Listens for Helpline's RTP on `socket` until `stop`.
async fn listen_rtp(socket: UdpSocket, stop: CancellationToken) -> Heard {
    let mut heard = Heard::default();
    let mut buf = vec![0u8; 2048];
    let mut last: Option<(u16, u32)> = None;
    loop {
        let (len, _) = tokio::select! {
            () = stop.cancelled() => return heard,
            r = socket.recv_from(&mut buf) => r.unwrap(),
        };
        let Some(packet) = sip::rtp::Packet::parse(&buf[..len]) else {
            continue;
        };
        heard.packets += 1;
        heard.ssrcs.insert(packet.ssrc);
        if let Some((seq, ts)) = last
            && (packet.sequence != seq.wrapping_add(1) || packet.timestamp != ts.wrapping_add(160))
        {
            heard.broken_steps += 1;
        }
        last = Some((packet.sequence, packet.timestamp));
        if packet.payload.len() == 160 && packet.payload.iter().any(|b| *b != 0xff) {
            heard.audible += 1;
        }
    }
}

/// Milliseconds sipp needs to key `digits` (its synthesised presses take about 250 ms each),
/// plus the time to hear the next question.
fn keying_ms(digits: &str) -> String {
    (digits.len() as u64 * 300 + 2500).to_string()
}

#[tokio::test]
async fn sipp_reports_a_stolen_card_with_rfc4733_digits_and_hears_prompts() {
    if !installed("sipp") {
        eprintln!("SKIPPED: sipp is not installed (apt-get install sip-tester; scripts/test does)");
        return;
    }
    // sipp sends `play_dtmf` RTP from a raw socket, which only root may open.
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.trim_ascii() == b"0");
    if !root {
        eprintln!("SKIPPED: sipp's RFC 4733 digits need root (a raw socket); CI runs as root");
        return;
    }
    let (app, sip_addr, stop) = spawn().await;
    let (holder, number, _, dob) = crate::ivr::demo_caller(&app, 3).await;
    let caller = holder.phone.clone().unwrap();
    let audio = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let audio_port = audio.local_addr().unwrap().port();
    let heard_stop = CancellationToken::new();
    let heard = tokio::spawn(listen_rtp(audio, heard_stop.clone()));

    // sipp numbers its calls from 1: `-cid_str` makes the one call's Call-ID known.
    let cid_prefix = format!("lost-card-{}", std::process::id());
    let call_id = format!("{cid_prefix}-1@127.0.0.1");
    let scenario = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sip/lost_card.xml"),
    )
    .unwrap()
    .replace("{CALLER}", &caller)
    .replace("{CARD}", &number)
    .replace("{CARD_MS}", &keying_ms(&number))
    .replace("{DOB}", &dob)
    .replace("{DOB_MS}", &keying_ms(&dob))
    .replace("{AUDIO_PORT}", &audio_port.to_string());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lost_card.xml");
    std::fs::write(&file, scenario).unwrap();
    let out = tokio::process::Command::new("sipp")
        .current_dir(dir.path())
        .args(["-sf", file.to_str().unwrap()])
        .args(["-m", "1", "-l", "1", "-nostdin", "-trace_err"])
        .args(["-cid_str", &format!("{cid_prefix}-%u@127.0.0.1")])
        .args(["-timeout", "90s", "-timeout_error"])
        .args(["-i", "127.0.0.1", "-p", &free_udp_port().to_string()])
        .args(["-mp", &free_udp_port().to_string()])
        .arg(sip_addr.to_string())
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    heard_stop.cancel();
    let heard = heard.await.unwrap();
    let errors: String = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with("errors.log"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
        .collect();
    assert!(
        out.status.success(),
        "sipp failed ({}):\n{}\n{errors}",
        out.status,
        String::from_utf8_lossy(&out.stdout)
    );

    // Helpline spoke: 20 ms packets from one source, in order, most of them not silence.
    assert_eq!(heard.ssrcs.len(), 1, "{heard:?}");
    assert!(heard.packets > 500, "about 20 s of call: {heard:?}");
    assert!(
        heard.broken_steps == 0,
        "sequence +1 and timestamp +160 per packet: {heard:?}"
    );
    assert!(heard.audible > 100, "prompts were heard: {heard:?}");

    // What Helpline recorded: verified, the card blocked as stolen, a replacement ordered, the
    // case of the report, the call queued for the lost/stolen team, and ended when sipp hung up.
    let cards = app.store.cards_for(holder.id).await.unwrap();
    let old = cards
        .iter()
        .find(|c| number.ends_with(&c.card.last4.to_string()))
        .unwrap();
    assert!(old.card.state.is_terminal(), "{:?}", old.card.state);
    let order = app
        .store
        .replacement_order(old.card.id)
        .await
        .unwrap()
        .expect("replacement ordered");
    assert_eq!(order.shipping, cards::ShippingOption::Expedited);
    let row = app
        .store
        .ivr_call(&ivr_call_id(&call_id))
        .await
        .unwrap()
        .expect("the SIP call ran the IVR");
    assert!(
        !row.state.contains(&number),
        "no card number in the call state"
    );
    let session: Session = serde_json::from_str(&row.state).unwrap();
    let context = session.call.context();
    assert!(context.identity.level >= ivr::VerificationLevel::Basic);
    let case = crate::ivr::reported_case(&app, context).await;
    assert_eq!(case.reason, domain::Reason::LostStolen);
    assert_eq!(case.cardholder, Some(holder.id));
    assert!(session.contact.is_some(), "handed off to a person");
    // The BYE is answered at once; the call's task records the end just after.
    let (store, sid) = (app.store.clone(), ivr_call_id(&call_id));
    crate::eventually("the BYE ended the call", || {
        let (store, sid) = (store.clone(), sid.clone());
        async move {
            store
                .ivr_call(&sid)
                .await
                .unwrap()
                .is_some_and(|row| row.ended_at.is_some())
        }
    })
    .await;
    stop.cancel();
}

/// A bare UDP SIP client: sends one request, collects the responses up to the final one.
struct Peer {
    socket: UdpSocket,
    server: SocketAddr,
}

impl Peer {
    async fn new(server: SocketAddr) -> Peer {
        Peer {
            socket: UdpSocket::bind("127.0.0.1:0").await.unwrap(),
            server,
        }
    }

    fn request(&self, method: &str, call_id: &str, cseq: u32, extra: &str, body: &str) -> String {
        let me = self.socket.local_addr().unwrap();
        let content_type = if body.is_empty() {
            String::new()
        } else {
            "Content-Type: application/sdp\r\n".to_owned()
        };
        format!(
            "{method} sip:ivr@{server} SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch=z9hG4bK{call_id}{cseq}{method}\r\nFrom: <sip:+12125550100@{me}>;tag=peer\r\nTo: <sip:ivr@{server}>{extra}\r\nCall-ID: {call_id}\r\nCSeq: {cseq} {method}\r\nContact: <sip:peer@{me}>\r\nMax-Forwards: 70\r\n{content_type}Content-Length: {}\r\n\r\n{body}",
            body.len(),
            server = self.server,
        )
    }

    async fn send(&self, text: &str) {
        self.socket
            .send_to(text.as_bytes(), self.server)
            .await
            .unwrap();
    }

    /// The next message within 5 s.
    async fn next(&self) -> Option<sip::Message> {
        let mut buf = vec![0u8; 65_535];
        let (len, _) = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            self.socket.recv_from(&mut buf),
        )
        .await
        .ok()?
        .unwrap();
        // Loose: a 400 echoes the unreadable CSeq it was sent.
        Some(sip::Message::parse_loose(&buf[..len]).unwrap())
    }

    /// Status codes of the responses up to (and with) the first final one.
    async fn codes(&self) -> Vec<u16> {
        let mut codes = Vec::new();
        while let Some(message) = self.next().await {
            if let sip::StartLine::Response { code, .. } = message.start {
                codes.push(code);
                if code >= 200 {
                    break;
                }
            }
        }
        codes
    }

    async fn final_response(&self) -> sip::Message {
        loop {
            let message = self.next().await.expect("a response");
            if let sip::StartLine::Response { code, .. } = message.start
                && code >= 200
            {
                return message;
            }
        }
    }
}

const OFFER: &str = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n";

#[tokio::test]
async fn bad_sip_gets_the_right_error_and_a_call_answers_hangs_up_and_is_recorded() {
    let (app, sip_addr, stop) = spawn().await;
    let peer = Peer::new(sip_addr).await;

    // Noise never brings the server down; a request it cannot read gets 400.
    peer.send("\u{0}\u{1}garbage\r\n\r\n").await;
    peer.send(
        &peer
            .request("INVITE", "bad-cseq", 1, "", "")
            .replace("CSeq: 1 INVITE", "CSeq: one INVITE"),
    )
    .await;
    assert_eq!(peer.codes().await, vec![400]);

    peer.send(&peer.request("OPTIONS", "opt", 1, "", "")).await;
    let options = peer.final_response().await;
    assert!(matches!(
        options.start,
        sip::StartLine::Response { code: 200, .. }
    ));
    assert!(options.header("allow").unwrap().contains("INVITE"));

    peer.send(&peer.request("FROB", "frob", 1, "", "")).await;
    assert_eq!(peer.codes().await, vec![501]);
    peer.send(&peer.request("REGISTER", "reg", 1, "", "")).await;
    assert_eq!(peer.codes().await, vec![405]);
    peer.send(&peer.request("BYE", "nobody", 2, ";tag=x", ""))
        .await;
    assert_eq!(peer.codes().await, vec![481]);

    // An offer without G.711: 488.
    let opus = OFFER
        .replace("RTP/AVP 8 101", "RTP/AVP 111")
        .replace("a=rtpmap:8 PCMA/8000", "a=rtpmap:111 opus/48000/2");
    peer.send(&peer.request("INVITE", "opus", 1, "", &opus))
        .await;
    assert_eq!(peer.codes().await, vec![488]);

    // CANCEL while it rings: 200 for the CANCEL, 487 for the INVITE.
    peer.send(&peer.request("INVITE", "cancelled", 1, "", OFFER))
        .await;
    let mut seen = Vec::new();
    while let Some(message) = peer.next().await {
        if let sip::StartLine::Response { code, .. } = message.start {
            seen.push((code, message.cseq().unwrap().1.to_string()));
            if code == 180 {
                let cancel = peer
                    .request("CANCEL", "cancelled", 1, "", "")
                    .replace("z9hG4bKcancelled1CANCEL", "z9hG4bKcancelled1INVITE");
                peer.send(&cancel).await;
            }
            if code == 487 {
                break;
            }
        }
    }
    assert!(seen.contains(&(200, "CANCEL".to_owned())), "{seen:?}");
    assert!(seen.contains(&(487, "INVITE".to_owned())), "{seen:?}");

    // A call: 100, 180, 200 with our answer (A-law and the offer's event type), ACK, a digit by
    // SIP INFO, then the caller hangs up and the IVR call is recorded as ended.
    peer.send(&peer.request("INVITE", "answered", 1, "", OFFER))
        .await;
    let mut codes = Vec::new();
    let ok = loop {
        let message = peer.next().await.expect("answered");
        if let sip::StartLine::Response { code, .. } = message.start {
            codes.push(code);
            if code >= 200 {
                break message;
            }
        }
    };
    assert_eq!(codes, vec![100, 180, 200]);
    let answer = sip::sdp::Offer::parse(&ok.body).unwrap();
    let agreed = answer.negotiate().unwrap();
    assert_eq!(agreed.codec, sip::sdp::Codec::Pcma);
    assert_eq!(agreed.telephone_event, Some(101));
    let tag = format!(";tag={}", ok.to_tag().unwrap());
    peer.send(&peer.request("ACK", "answered", 1, &tag, ""))
        .await;
    let info = peer
        .request("INFO", "answered", 2, &tag, "")
        .replace(
            "Content-Length: 0\r\n\r\n",
            "Content-Type: application/dtmf-relay\r\nContent-Length: 24\r\n\r\nSignal=1\r\nDuration=160\r\n",
        );
    peer.send(&info).await;
    assert_eq!(peer.codes().await, vec![200]);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    peer.send(&peer.request("BYE", "answered", 3, &tag, ""))
        .await;
    assert_eq!(peer.codes().await, vec![200]);
    let id = ivr_call_id("answered");
    let mut ended = false;
    for _ in 0..50 {
        let row = app
            .store
            .ivr_call(&id)
            .await
            .unwrap()
            .expect("the call ran the IVR");
        if row.ended_at.is_some() {
            ended = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(ended, "the BYE ended the IVR call");
    // A retransmitted BYE (our 200 was lost) is answered 200 again, not 481.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    peer.send(&peer.request("BYE", "answered", 3, &tag, ""))
        .await;
    assert_eq!(peer.codes().await, vec![200]);
    let row = app.store.ivr_call(&id).await.unwrap().unwrap();
    let session: Session = serde_json::from_str(&row.state).unwrap();
    assert!(
        matches!(session.call.question(), Some(ivr::Question::Menu)),
        "the INFO digit 1 picked English and the caller reached the menu: {:?}",
        session.call.question()
    );
    stop.cancel();
}

/// Sends one command to baresip's ctrl_tcp module (a JSON netstring) and reads its answer.
async fn baresip_command(port: u16, command: &str, params: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let json = serde_json::json!({"command": command, "params": params, "token": "t"}).to_string();
    stream
        .write_all(format!("{}:{json},", json.len()).as_bytes())
        .await
        .unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(std::time::Duration::from_secs(5), stream.read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[tokio::test]
async fn baresip_calls_and_its_digits_move_the_ivr_on() {
    if !installed("baresip") {
        eprintln!("SKIPPED: baresip is not installed (apt-get install baresip; scripts/test does)");
        return;
    }
    let (app, sip_addr, stop) = spawn().await;
    let dir = tempfile::tempdir().unwrap();
    // A minute of silence as the microphone; received audio goes to an in-memory bridge.
    let mut wav = b"RIFF".to_vec();
    let samples = 8000 * 60 * 2u32;
    wav.extend((36 + samples).to_le_bytes());
    wav.extend(b"WAVEfmt ");
    wav.extend(16u32.to_le_bytes());
    wav.extend([1, 0, 1, 0]);
    wav.extend(8000u32.to_le_bytes());
    wav.extend(16000u32.to_le_bytes());
    wav.extend([2, 0, 16, 0]);
    wav.extend(b"data");
    wav.extend(samples.to_le_bytes());
    wav.resize(wav.len() + samples as usize, 0);
    let silence = dir.path().join("silence.wav");
    std::fs::write(&silence, wav).unwrap();
    let ctrl = free_udp_port();
    let config = format!(
        "poll_method epoll\nsip_listen 127.0.0.1:{}\nmodule_path /usr/lib/baresip/modules\nmodule g711.so\nmodule aufile.so\nmodule aubridge.so\nmodule ctrl_tcp.so\nmodule_app account.so\nmodule_app menu.so\nctrl_tcp_listen 127.0.0.1:{ctrl}\naudio_player aubridge,helpline\naudio_alert aubridge,helpline\naudio_source aufile,{}\naudio_srate 8000\naudio_channels 1\n",
        free_udp_port(),
        silence.display()
    );
    std::fs::write(dir.path().join("config"), config).unwrap();
    std::fs::write(
        dir.path().join("accounts"),
        "<sip:+12125550177@127.0.0.1>;regint=0\n",
    )
    .unwrap();
    let mut baresip = tokio::process::Command::new("baresip")
        .args(["-f", dir.path().to_str().unwrap()])
        .args(["-e", &format!("/dial sip:+18005550199@{sip_addr}")])
        .args(["-t", "60"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();

    // The call reaches the IVR, which asks for a language.
    let store = app.store.clone();
    let mut call_sid = String::new();
    for _ in 0..100 {
        let started = store
            .recent_events("ivr.call_started", store::Page::default())
            .await
            .unwrap();
        if let Some(event) = started.first() {
            call_sid = event.subject.trim_start_matches("ivr_call:").to_owned();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        call_sid.starts_with("sip:"),
        "baresip's call started the IVR"
    );
    let question = |store: Arc<dyn store::Store>, sid: String| async move {
        let row = store.ivr_call(&sid).await.unwrap().unwrap();
        let session: Session = serde_json::from_str(&row.state).unwrap();
        (session.call.question(), row.ended_at.is_some())
    };
    assert_eq!(
        question(store.clone(), call_sid.clone()).await.0,
        Some(ivr::Question::Language)
    );

    // "1" (English), then "1" (lost or stolen card): baresip sends RFC 4733 events (its own
    // payload type, 101), and the IVR asks for the card number.
    let answer = baresip_command(ctrl, "sndcode", "1").await;
    assert!(answer.contains("\"ok\":true"), "{answer}");
    crate::eventually("English is picked", || {
        let (store, sid) = (store.clone(), call_sid.clone());
        async move { question(store, sid).await.0 == Some(ivr::Question::Menu) }
    })
    .await;
    baresip_command(ctrl, "sndcode", "1").await;
    crate::eventually("the card number is asked for", || {
        let (store, sid) = (store.clone(), call_sid.clone());
        async move {
            question(store, sid).await.0 == Some(ivr::Question::Factor(ivr::Factor::CardNumber))
        }
    })
    .await;

    // baresip hangs up: the BYE ends the recorded call.
    baresip_command(ctrl, "hangup", "").await;
    crate::eventually("the call is recorded as ended", || {
        let (store, sid) = (store.clone(), call_sid.clone());
        async move { question(store, sid).await.1 }
    })
    .await;
    let _ = baresip.kill().await;
    stop.cancel();
}
