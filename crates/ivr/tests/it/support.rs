//! A caller on the demo flow: sends events the way the edge does (state persisted as JSON
//! between requests, effects carried out by a demo bank) and keeps a transcript.

use std::fmt::Write as _;
use std::sync::LazyLock;

use domain::{Tier, Timestamp};
use ivr::sim::DemoBank;
use ivr::twiml::{TwimlOptions, render};
use ivr::{
    CallState, Effect, EffectResult, Event, Flow, Handoff, NewCall, Output, Reply, Segment, Then,
};

pub static DEMO: LazyLock<Flow> = LazyLock::new(|| match ivr::demo::flow() {
    Ok(flow) => flow,
    Err(problems) => panic!("the demo flow has problems: {problems:#?}"),
});

/// Monday 2 March 2026, 10:00 in New York: every team is open.
pub fn daytime() -> Timestamp {
    "2026-03-02T15:00:00Z".parse().unwrap()
}

/// Monday 2 March 2026, 04:30 in New York: rewards and business teams are closed.
pub fn night() -> Timestamp {
    "2026-03-02T09:30:00Z".parse().unwrap()
}

pub const CALLER: &str = "+12125550100";

pub const OPTIONS: TwimlOptions<'static> = TwimlOptions {
    action_url: "https://helpline.example/telephony/twiml/voice/action?flow=demo&step=next",
    audio_base_url: None,
    enqueue_wait_url: Some("https://helpline.example/telephony/twiml/hold"),
};

/// What a caller does at a question.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    Keys(String),
    Say(String, f32),
    Silence,
    /// The right answer for the question asked (card number, security code…).
    Right,
}

impl Input {
    pub fn keys(keys: &str) -> Self {
        Input::Keys(keys.to_owned())
    }

    pub fn say(text: &str) -> Self {
        Input::Say(text.to_owned(), 0.9)
    }
}

pub struct Call<'f> {
    pub flow: &'f Flow,
    /// As persisted by the edge between requests.
    pub stored: String,
    pub bank: DemoBank,
    pub now: Timestamp,
    pub reply: Reply,
    pub transcript: String,
    /// Effects in the order they were asked for.
    pub effects: Vec<Effect>,
    /// Results replaced by `Failed` when this returns true for the effect.
    pub fail_effect: fn(&Effect) -> bool,
}

impl<'f> Call<'f> {
    pub fn start(flow: &'f Flow, tier: Tier, now: Timestamp) -> Self {
        Self::start_from(flow, tier, now, CALLER)
    }

    pub fn start_from(flow: &'f Flow, tier: Tier, now: Timestamp, from: &str) -> Self {
        let bank = DemoBank::new(tier, now.to_zoned_datetime(jiff::tz::TimeZone::UTC).date());
        let (mut state, output) = flow.start(
            NewCall {
                call_id: "CA0001".into(),
                from: from.into(),
                to: "+18005550199".into(),
            },
            now,
        );
        let mut call = Call {
            flow,
            stored: String::new(),
            bank,
            now,
            reply: Reply {
                say: Vec::new(),
                then: Then::Hangup,
            },
            transcript: String::new(),
            effects: Vec::new(),
            fail_effect: |_| false,
        };
        call.transcript = format!(">>> call from {from}\n");
        call.finish_step(&mut state, output);
        call
    }

    pub fn state(&self) -> CallState {
        serde_json::from_str(&self.stored).unwrap()
    }

    fn finish_step(&mut self, state: &mut CallState, mut output: Output) {
        loop {
            match output {
                Output::Reply(reply) => {
                    self.reply = reply;
                    break;
                }
                Output::Perform(request) => {
                    let mut result = self.bank.perform(&request.effect);
                    if (self.fail_effect)(&request.effect) {
                        result = EffectResult::Failed;
                    }
                    writeln!(
                        self.transcript,
                        "... {} → {}",
                        describe_effect(&request.effect),
                        describe_result(&result)
                    )
                    .unwrap();
                    self.effects.push(request.effect);
                    output = self.flow.handle(state, Event::Done(result), self.now);
                }
            }
        }
        // The edge persists the state and answers with TwiML.
        self.stored = serde_json::to_string(state).unwrap();
        let twiml = render(&self.reply, &OPTIONS).unwrap();
        self.transcript.push_str(&twiml);
        self.transcript.push('\n');
    }

    pub fn send(&mut self, input: Input) -> &Reply {
        let mut state = self.state();
        let (label, event) = match input {
            Input::Keys(keys) => (format!("press {keys}"), Event::digits(&keys)),
            Input::Say(text, confidence) => (
                format!("say {text:?} ({confidence})"),
                Event::speech(&text, confidence),
            ),
            Input::Silence => ("silence".to_owned(), Event::Silence),
            Input::Right => {
                let keys = self.bank.answer(&state);
                ("press the right answer".to_owned(), Event::digits(&keys))
            }
        };
        writeln!(self.transcript, ">>> {label}").unwrap();
        let output = self.flow.handle(&mut state, event, self.now);
        self.finish_step(&mut state, output);
        &self.reply
    }

    pub fn press(&mut self, keys: &str) -> &Reply {
        self.send(Input::keys(keys))
    }

    pub fn say(&mut self, text: &str) -> &Reply {
        self.send(Input::say(text))
    }

    pub fn silence(&mut self) -> &Reply {
        self.send(Input::Silence)
    }

    /// Answers the identity question asked right now.
    pub fn right(&mut self) -> &Reply {
        self.send(Input::Right)
    }

    pub fn node(&self) -> Option<String> {
        self.state().node().map(str::to_owned)
    }

    pub fn handoff(&self) -> Option<&Handoff> {
        match &self.reply.then {
            Then::Enqueue(handoff) => Some(handoff),
            _ => None,
        }
    }

    /// The catalog messages spoken in the last reply.
    pub fn messages(&self) -> Vec<String> {
        self.reply
            .say
            .iter()
            .filter_map(|s| match s {
                Segment::Say(prompt) => Some(prompt.message.clone()),
                _ => None,
            })
            .collect()
    }

    pub fn said(&self, message: &str) -> bool {
        self.messages().iter().any(|m| m == message)
    }

    /// Everything spoken in the last reply.
    pub fn text(&self) -> String {
        self.reply.spoken()
    }
}

/// An effect without its secrets, for transcripts.
pub fn describe_effect(effect: &Effect) -> String {
    match effect {
        Effect::CheckFactor { answer, passed, .. } => {
            format!("check {:?} (passed so far: {passed:?})", answer.factor)
        }
        Effect::ReportLostOrStolen { loss, shipping, .. } => {
            format!("report {loss:?}, ship {shipping:?}")
        }
        Effect::ActivateCard { card, .. } => format!("activate card ending {}", card.last4),
        Effect::FetchBalance { .. } => "fetch balance".into(),
        Effect::FetchRewards { .. } => "fetch rewards".into(),
        Effect::ClassifySpeech { text, language } => format!("classify {text:?} ({language})"),
        Effect::RequestCallback {
            number, department, ..
        } => format!("book a callback to {number} for {department}"),
    }
}

fn describe_result(result: &EffectResult) -> String {
    format!("{result:?}")
}
