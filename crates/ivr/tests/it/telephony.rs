//! TwiML verbs and escaping, webhook parameters, and the request signature.

use base64::Engine as _;
use domain::{Lang, Timestamp};
use hmac::{Hmac, KeyInit, Mac};
use ivr::twiml::{RequestSigner, TwimlOptions, Webhook, parse_form, render};
use ivr::{CatalogSource, Event, FlowSource, NewCall, Output};

const FLOW: &str = r#"[flow]
id = "verbs"
languages = ["en"]
start = "hello"
operator = "out"

[nodes.hello]
type = "say"
prompt = "hello"
pause = 2
next = "music"

[nodes.music]
type = "play"
clip = "hold-music.wav"
next = "out"

[nodes.out]
type = "dial"
prompt = "fish"
number = "+15550100"
"#;

const CATALOG: &str = "no-input = Sorry.\ninvalid = Sorry.\nnot-understood = Sorry.\n\
kw-operator = agent\nhello = Hello & welcome, <friend>!\n    .audio = hello.wav\n\
fish = Fish & \"chips\" aren't < steak.\n";

fn first_reply(options: &TwimlOptions<'_>) -> String {
    let flow = FlowSource {
        file_name: "verbs.toml",
        text: FLOW,
        catalogs: vec![CatalogSource {
            file_name: "en.ftl",
            lang: Lang::En,
            text: CATALOG,
        }],
    }
    .load()
    .unwrap();
    let now: Timestamp = "2026-03-02T15:00:00Z".parse().unwrap();
    let (_, output) = flow.start(
        NewCall {
            call_id: "CA1".into(),
            from: "+12125550100".into(),
            to: "+18005550199".into(),
        },
        now,
    );
    let Output::Reply(reply) = output else {
        panic!("no effect expected");
    };
    render(&reply, options).unwrap()
}

#[test]
fn say_pause_play_and_dial_are_rendered_and_escaped() {
    let twiml = first_reply(&TwimlOptions {
        action_url: "https://h.example/a?x=1&y=2",
        audio_base_url: None,
        enqueue_wait_url: None,
    });
    assert_eq!(
        twiml,
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Say language="en-US">Hello &amp; welcome, &lt;friend&gt;!</Say>
  <Pause length="2"/>
  <Play>hold-music.wav</Play>
  <Say language="en-US">Fish &amp; "chips" aren't &lt; steak.</Say>
  <Dial>+15550100</Dial>
</Response>"#
    );
}

#[test]
fn recorded_prompts_play_when_recordings_are_served() {
    let twiml = first_reply(&TwimlOptions {
        action_url: "https://h.example/a",
        audio_base_url: Some("https://cdn.example/ivr/"),
        enqueue_wait_url: None,
    });
    assert!(
        twiml.contains("<Play>https://cdn.example/ivr/hello.wav</Play>"),
        "{twiml}"
    );
    assert!(
        twiml.contains("<Play>https://cdn.example/ivr/hold-music.wav</Play>"),
        "{twiml}"
    );
    assert!(twiml.contains("<Say language=\"en-US\">Fish"), "{twiml}");
}

/// The documented algorithm, written out independently of the crate: the full URL, then each
/// POST parameter sorted by name with its value appended, HMAC-SHA1 keyed with the auth
/// token, base64.
fn expected_signature(token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted = params.to_vec();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut data = url.to_owned();
    for (name, value) in &sorted {
        data.push_str(name);
        data.push_str(value);
    }
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(token.as_bytes()).unwrap();
    mac.update(data.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

const URL: &str = "https://helpline.example/telephony/twiml/voice/action?call=CA42";
const BODY: &[u8] = b"CallSid=CA42&From=%2B12125550100&To=%2B18005550199&Digits=1234&CallStatus=in-progress&SpeechResult=&AccountSid=AC9";

#[test]
fn a_correctly_signed_request_is_accepted() {
    let token = "demo-auth-token";
    let params = parse_form(BODY);
    let header = expected_signature(token, URL, &params);
    let signer = RequestSigner::new(token).unwrap();
    assert_eq!(signer.sign(URL, &params), header);
    assert!(signer.verify(URL, &params, &header));

    let hook = Webhook::parse(&params).unwrap();
    assert_eq!(hook.call_sid, "CA42");
    assert_eq!(hook.event(), Event::digits("1234"));
}

#[test]
fn a_tampered_request_is_rejected() {
    let token = "demo-auth-token";
    let signer = RequestSigner::new(token).unwrap();
    let params = parse_form(BODY);
    let header = expected_signature(token, URL, &params);

    let mut changed_digits = params.clone();
    changed_digits[3].1 = "9999".into();
    assert!(!signer.verify(URL, &changed_digits, &header));

    let mut extra = params.clone();
    extra.push(("Digits2".into(), "1".into()));
    assert!(!signer.verify(URL, &extra, &header));

    assert!(!signer.verify(
        "https://helpline.example/telephony/twiml/voice/action?call=CA43",
        &params,
        &header
    ));
    assert!(
        !RequestSigner::new("another-token")
            .unwrap()
            .verify(URL, &params, &header)
    );
    assert!(!signer.verify(URL, &params, ""));
    assert!(!signer.verify(URL, &params, "not base64!"));
    let mut flipped = header.into_bytes();
    flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
    assert!(!signer.verify(URL, &params, &String::from_utf8(flipped).unwrap()));
}

#[test]
fn the_signer_never_shows_its_token() {
    let signer = RequestSigner::new("super-secret-token").unwrap();
    assert!(!format!("{signer:?}").contains("super-secret"));
}
