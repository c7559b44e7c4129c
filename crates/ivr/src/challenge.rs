//! The fraud "was this you?" call (product §6): when the fraud engine holds a payment, the
//! issuer calls the cardholder, says the merchant, amount and time of the payment and asks
//! "press 1 if this was you, 2 if it was not" (or yes / no aloud). A silent or unclear answer is
//! asked once more, then the call says goodbye and leaves the challenge to the analysts.
//!
//! Pure, like the interpreter, and spoken from the same flow's catalogs and locales: the edge
//! keeps the [`ChallengeCall`] between webhooks, feeds it the callee's [`Event`]s, records the
//! [`ChallengeAnswer`] it asks for, and tells it how that went ([`Recorded`]).

use domain::{Lang, Money};
use serde::{Deserialize, Serialize};

use crate::call::{Event, Gather, Question, Reply, Segment, Then};
use crate::catalog::{Arg, Args, spell};
use crate::interpreter::Answer;
use crate::load::Flow;
use crate::speech::normalize;

/// How many times the question is asked before the call gives up.
const ASKED_AT_MOST: u8 = 2;

/// Catalog messages of the challenge call.
mod msg {
    pub const INTRO: &str = "challenge-intro";
    pub const PAYMENT: &str = "challenge-payment";
    pub const QUESTION: &str = "challenge-question";
    pub const YES: &str = "kw-yes";
    pub const NO: &str = "kw-no";
    pub const GENUINE: &str = "challenge-genuine";
    pub const FRAUD: &str = "challenge-fraud";
    pub const NO_ANSWER: &str = "challenge-no-answer";
    pub const CLOSED: &str = "challenge-closed";
    pub const FAILED: &str = "challenge-failed";
    pub const TIME: &str = "time";
}

/// Every message a flow needs to place challenge calls.
const MESSAGES: &[&str] = &[
    msg::INTRO,
    msg::PAYMENT,
    msg::QUESTION,
    msg::YES,
    msg::NO,
    msg::GENUINE,
    msg::FRAUD,
    msg::NO_ANSWER,
    msg::CLOSED,
    msg::FAILED,
    msg::TIME,
    crate::flow::msg::MONEY,
    crate::flow::msg::DATE,
    crate::flow::msg::NO_INPUT,
    crate::flow::msg::INVALID,
    crate::flow::msg::NOT_UNDERSTOOD,
];

/// The payment the call is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeldPayment {
    pub merchant: String,
    pub amount: Money,
    /// When it was made, in the cardholder's time zone.
    pub at: jiff::civil::DateTime,
    /// The card's last four digits.
    pub last4: String,
}

/// What the callee said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChallengeAnswer {
    /// 1 or "yes": the cardholder made the payment.
    ItWasMe,
    /// 2 or "no": they did not.
    NotMe,
}

/// How recording the answer went, for the call to say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    Done(ChallengeAnswer),
    /// Someone answered first (an SMS reply, the portal, an analyst, another call).
    AlreadyAnswered,
    Failed,
}

/// What the call wants next.
#[derive(Debug, Clone, PartialEq)]
pub enum ChallengeOutput {
    Reply(Reply),
    /// Record this answer, then call [`Flow::challenge_recorded`].
    Record(ChallengeAnswer),
}

/// One challenge call between two events. The edge persists it (serde).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChallengeCall {
    lang: Lang,
    payment: HeldPayment,
    asked: u8,
    ended: bool,
}

impl ChallengeCall {
    pub fn language(&self) -> Lang {
        self.lang
    }

    pub fn is_ended(&self) -> bool {
        self.ended
    }
}

impl Flow {
    /// The challenge messages this flow's catalogs lack, as "message (language)".
    pub fn missing_challenge_messages(&self) -> Vec<String> {
        let mut missing = Vec::new();
        for &lang in self.languages() {
            for message in MESSAGES {
                if !self.catalogs.contains(lang, message) {
                    missing.push(format!("{message} ({})", lang.english_name()));
                }
            }
        }
        missing
    }

    /// The language a cardholder is called in: theirs when the flow speaks it.
    fn challenge_language(&self, lang: Lang) -> Lang {
        if self.languages().contains(&lang) {
            lang
        } else {
            self.default_language()
        }
    }

    /// The callee picked up: who is calling, the payment, and the question.
    pub fn start_challenge(&self, lang: Lang, payment: HeldPayment) -> (ChallengeCall, Reply) {
        let mut call = ChallengeCall {
            lang: self.challenge_language(lang),
            payment,
            asked: 0,
            ended: false,
        };
        let args: Args = vec![("last4", Arg::Text(spell(&call.payment.last4)))];
        let intro = self.prompt(call.lang, msg::INTRO, &args);
        let reply = self.ask_challenge(&mut call, intro);
        (call, reply)
    }

    /// The call for a challenge that was answered before the callee picked up.
    pub fn challenge_closed(&self, lang: Lang) -> Reply {
        let lang = self.challenge_language(lang);
        Reply {
            say: self
                .prompt(lang, msg::CLOSED, &Vec::new())
                .into_iter()
                .collect(),
            then: Then::Hangup,
        }
    }

    /// Moves the call on by the callee's keys, speech or silence.
    pub fn handle_challenge(&self, call: &mut ChallengeCall, event: Event) -> ChallengeOutput {
        use crate::flow::msg::{INVALID, NO_INPUT, NOT_UNDERSTOOD};
        if call.ended {
            return ChallengeOutput::Reply(Reply {
                say: Vec::new(),
                then: Then::Hangup,
            });
        }
        let choices = [('1', msg::YES), ('2', msg::NO)];
        let (answer, notice) = match &event {
            Event::Digits(keys) => {
                let keys = keys.expose().trim_end_matches('#');
                if keys.is_empty() {
                    (None, NO_INPUT)
                } else {
                    (Some(Answer::Keys(keys)), INVALID)
                }
            }
            Event::Speech { text, confidence } => {
                let heard = *confidence >= self.model.settings.speech_confidence;
                let normalized = normalize(text.expose());
                if normalized.is_empty() {
                    (None, NO_INPUT)
                } else {
                    let answer = heard.then_some(Answer::Speech {
                        raw: text.expose(),
                        normalized,
                    });
                    (answer, NOT_UNDERSTOOD)
                }
            }
            Event::Silence => (None, NO_INPUT),
            // Nothing the call asked for: ask again, uncounted.
            Event::Done(_) => {
                call.asked = call.asked.saturating_sub(1);
                return ChallengeOutput::Reply(self.ask_challenge(call, None));
            }
        };
        match answer.and_then(|a| self.pick(call.lang, &choices, &a)) {
            Some(0) => ChallengeOutput::Record(ChallengeAnswer::ItWasMe),
            Some(_) => ChallengeOutput::Record(ChallengeAnswer::NotMe),
            None if call.asked >= ASKED_AT_MOST => {
                ChallengeOutput::Reply(self.end_challenge(call, msg::NO_ANSWER))
            }
            None => {
                let notice = self.prompt(call.lang, notice, &Vec::new());
                ChallengeOutput::Reply(self.ask_challenge(call, notice))
            }
        }
    }

    /// Says what the answer did and ends the call.
    pub fn challenge_recorded(&self, call: &mut ChallengeCall, recorded: Recorded) -> Reply {
        let message = match recorded {
            Recorded::Done(ChallengeAnswer::ItWasMe) => msg::GENUINE,
            Recorded::Done(ChallengeAnswer::NotMe) => msg::FRAUD,
            Recorded::AlreadyAnswered => msg::CLOSED,
            Recorded::Failed => msg::FAILED,
        };
        self.end_challenge(call, message)
    }

    fn end_challenge(&self, call: &mut ChallengeCall, message: &str) -> Reply {
        call.ended = true;
        Reply {
            say: self
                .prompt(call.lang, message, &Vec::new())
                .into_iter()
                .collect(),
            then: Then::Hangup,
        }
    }

    /// `before`, the payment and the question, listening for one key or yes / no.
    fn ask_challenge(&self, call: &mut ChallengeCall, before: Option<Segment>) -> Reply {
        call.asked += 1;
        let lang = call.lang;
        let payment = &call.payment;
        let args: Args = vec![
            ("merchant", Arg::Text(payment.merchant.clone())),
            (
                "amount",
                Arg::Text(self.catalogs.money(lang, payment.amount)),
            ),
            (
                "date",
                Arg::Text(self.catalogs.date(lang, payment.at.date())),
            ),
            (
                "time",
                Arg::Text(self.catalogs.time(lang, payment.at.time())),
            ),
        ];
        let mut say: Vec<Segment> = before.into_iter().collect();
        say.extend(self.prompt(lang, msg::PAYMENT, &args));
        say.extend(self.prompt(lang, msg::QUESTION, &Vec::new()));
        let mut gather = Gather {
            node: "challenge".to_owned(),
            question: Question::Challenge,
            dtmf: true,
            speech: true,
            num_digits: Some(1),
            finish_on_key: None,
            timeout_secs: self.model.settings.timeout_secs,
            lang,
            locale: self.locale(lang).tag,
            hints: Vec::new(),
            sensitive: false,
        };
        self.add_hints(&mut gather.hints, lang, msg::YES);
        self.add_hints(&mut gather.hints, lang, msg::NO);
        Reply {
            say,
            then: Then::Gather(gather),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow() -> Flow {
        crate::demo::flow().expect("the demo flow loads")
    }

    fn payment() -> HeldPayment {
        HeldPayment {
            merchant: "Sao Paulo Market".to_owned(),
            amount: Money::new(8_000, domain::Currency::USD),
            at: jiff::civil::date(2026, 1, 5).at(15, 42, 0, 0),
            last4: "1111".to_owned(),
        }
    }

    #[test]
    fn the_demo_flow_can_place_challenge_calls() {
        assert_eq!(flow().missing_challenge_messages(), Vec::<String>::new());
    }

    #[test]
    fn the_call_says_the_payment_and_asks_in_the_cardholder_s_language() {
        let flow = flow();
        let (_, en) = flow.start_challenge(Lang::En, payment());
        let text = en.spoken();
        for part in [
            "1 1 1 1",
            "80 dollars",
            "Sao Paulo Market",
            "Monday, January 5",
            "3:42 PM",
            "press 1",
        ] {
            assert!(text.contains(part), "{part:?} in {text}");
        }
        let Then::Gather(gather) = &en.then else {
            panic!("a question: {en:?}")
        };
        assert!(gather.dtmf && gather.speech);
        assert_eq!(gather.num_digits, Some(1));
        assert!(
            gather.hints.iter().any(|h| h == "yes"),
            "{:?}",
            gather.hints
        );
        let (call, es) = flow.start_challenge(Lang::Es, payment());
        assert_eq!(call.language(), Lang::Es);
        assert!(es.spoken().contains("oprima 1"), "{}", es.spoken());
        assert!(es.spoken().contains("15:42"), "{}", es.spoken());
        // A language the flow does not speak: its default.
        let (call, _) = flow.start_challenge(Lang::Ja, payment());
        assert_eq!(call.language(), Lang::En);
    }

    #[test]
    fn keys_and_speech_answer_and_anything_else_is_asked_once_more() {
        let flow = flow();
        let answer = |events: &[Event]| {
            let (mut call, _) = flow.start_challenge(Lang::En, payment());
            let mut last = None;
            for event in events {
                last = Some(flow.handle_challenge(&mut call, event.clone()));
            }
            (call, last.expect("an event"))
        };
        let record = |a| ChallengeOutput::Record(a);
        assert_eq!(
            answer(&[Event::digits("1")]).1,
            record(ChallengeAnswer::ItWasMe)
        );
        assert_eq!(
            answer(&[Event::digits("2#")]).1,
            record(ChallengeAnswer::NotMe)
        );
        assert_eq!(
            answer(&[Event::speech("Yes, it was me", 0.9)]).1,
            record(ChallengeAnswer::ItWasMe)
        );
        assert_eq!(
            answer(&[Event::speech("no I did not", 0.9)]).1,
            record(ChallengeAnswer::NotMe)
        );
        // Once more after silence, an invalid key or unclear speech; then goodbye.
        let (call, again) = answer(&[Event::Silence]);
        let ChallengeOutput::Reply(again) = again else {
            panic!("asked again")
        };
        assert!(
            again.spoken().starts_with("Sorry, I didn't hear"),
            "{again:?}"
        );
        assert!(again.spoken().contains("press 1"));
        assert!(!call.is_ended());
        let (_, fixed) = answer(&[Event::digits("7"), Event::digits("2")]);
        assert_eq!(fixed, record(ChallengeAnswer::NotMe));
        let (call, gone) = answer(&[Event::speech("yes", 0.1), Event::digits("9")]);
        let ChallengeOutput::Reply(gone) = gone else {
            panic!("goodbye")
        };
        assert!(call.is_ended());
        assert_eq!(gone.then, Then::Hangup);
        assert!(gone.spoken().contains("fraud specialist"), "{gone:?}");
    }

    #[test]
    fn the_call_says_what_the_answer_did_and_ends() {
        let flow = flow();
        let (mut call, _) = flow.start_challenge(Lang::En, payment());
        let said = flow.challenge_recorded(&mut call, Recorded::Done(ChallengeAnswer::NotMe));
        assert!(said.spoken().contains("locked your card"), "{said:?}");
        assert!(said.spoken().contains("replacement"));
        assert!(said.spoken().contains("dispute"));
        assert_eq!(said.then, Then::Hangup);
        assert!(call.is_ended());
        // Anything after the end hangs up.
        let ChallengeOutput::Reply(after) = flow.handle_challenge(&mut call, Event::digits("1"))
        else {
            panic!("a hang-up")
        };
        assert_eq!(after.then, Then::Hangup);
        assert!(
            flow.challenge_closed(Lang::Es)
                .spoken()
                .contains("ya fue respondido"),
            "closed in Spanish"
        );
    }
}
