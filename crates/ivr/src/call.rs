//! What passes between the interpreter and the edge that runs a call: events in,
//! outputs (replies and effects) out, and the context handed to a person.

use std::collections::BTreeMap;
use std::fmt;

use domain::{CardId, Department, Lang, Money, Reason, Tier};
use serde::{Deserialize, Serialize};

/// A value the caller keyed or said that must never be logged (card numbers,
/// security codes, PINs): `Debug` shows only its length.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself, for the code that checks it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({} chars)", self.0.chars().count())
    }
}

/// A new call, as the telephony edge first sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCall {
    /// The edge's id for the call (TwiML `CallSid`, a SIP Call-ID).
    pub call_id: String,
    /// The caller's number as presented (E.164 when known, may be empty or "anonymous").
    pub from: String,
    /// The number the caller dialled.
    pub to: String,
}

/// Something that happened on the call.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// Keys the caller pressed; a trailing terminator (`#`) may be present or not.
    Digits(Secret),
    /// What the caller said as transcribed, with the recogniser's confidence in `0.0..=1.0`.
    Speech { text: Secret, confidence: f32 },
    /// The caller pressed and said nothing before the timeout.
    Silence,
    /// The result of the effect the interpreter asked for.
    Done(EffectResult),
}

impl Event {
    pub fn digits(keys: &str) -> Self {
        Event::Digits(Secret::new(keys))
    }

    pub fn speech(text: &str, confidence: f32) -> Self {
        Event::Speech {
            text: Secret::new(text),
            confidence,
        }
    }
}

/// What the interpreter wants next.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Carry this out and hand the result back as [`Event::Done`] before answering the caller.
    Perform(EffectRequest),
    /// Answer the caller: speak, then gather input or end the IVR part of the call.
    Reply(Reply),
}

/// An effect with the key that makes it safe to retry (the same key is never reused in a call).
#[derive(Debug, Clone, PartialEq)]
pub struct EffectRequest {
    pub idempotency_key: String,
    pub effect: Effect,
}

/// Work only the edge can do (it owns the cards, the queues and the classifier).
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Check one identity factor. `passed` lists the factors already proven on this call,
    /// so that the edge can tell the level reached without keeping state of its own.
    /// Reply with [`EffectResult::FactorChecked`].
    CheckFactor {
        card: Option<CardRef>,
        caller: String,
        answer: FactorAnswer,
        passed: Vec<Factor>,
    },
    /// Block the card and order a replacement. Reply with [`EffectResult::LostOrStolenReported`].
    ReportLostOrStolen {
        card: CardRef,
        loss: Loss,
        shipping: Shipping,
    },
    /// Activate the card and set its PIN. Reply with [`EffectResult::CardActivated`].
    ActivateCard { card: CardRef, pin: Secret },
    /// Reply with [`EffectResult::Balance`].
    FetchBalance { card: CardRef },
    /// Reply with [`EffectResult::Rewards`].
    FetchRewards { card: CardRef },
    /// Map free speech to a department (product §7). Reply with [`EffectResult::Classified`].
    ClassifySpeech { text: String, language: Lang },
    /// Book a call back to `number`. Reply with [`EffectResult::CallbackBooked`].
    RequestCallback {
        number: String,
        department: Department,
        language: Lang,
        context: Box<CallContext>,
    },
}

/// What the edge reports back after carrying out an effect.
#[derive(Debug, Clone, PartialEq)]
pub enum EffectResult {
    FactorChecked(FactorCheck),
    LostOrStolenReported {
        /// The case reference a person can read aloud.
        case_reference: String,
        delivery: DeliveryWindow,
    },
    CardActivated,
    Balance {
        /// Positive: owed by the cardholder; negative: a credit.
        balance: Money,
        last_payment: Option<Payment>,
    },
    Rewards {
        points: i64,
    },
    Classified {
        department: Option<Department>,
        confidence: f32,
    },
    CallbackBooked,
    /// The edge could not do it (not eligible, not found, unavailable): the caller goes to a person.
    Failed,
}

/// The outcome of checking one identity factor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FactorCheck {
    /// The answer matched. `card` and `tier` are what the factors proven so far identify.
    Passed {
        card: Option<CardRef>,
        tier: Option<Tier>,
        level: VerificationLevel,
    },
    Mismatch,
    /// Too many failures: the edge has locked phone verification (and raised a fraud signal).
    Locked,
}

/// A card as the IVR may know it: the id and the last four digits, never the number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardRef {
    pub id: CardId,
    pub last4: String,
}

/// A way for a caller to prove who they are (product §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Factor {
    CardNumber,
    SecurityCode,
    DateOfBirth,
    Postcode,
    PhoneOnFile,
    TaxIdLast4,
}

/// One factor's answer, normalised: digits only; a date of birth as `YYYY-MM-DD`;
/// a postcode in capitals without spaces.
#[derive(Debug, Clone, PartialEq)]
pub struct FactorAnswer {
    pub factor: Factor,
    pub value: Secret,
}

/// How sure the IVR is of who is calling; self-service needs at least `Basic`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum VerificationLevel {
    #[default]
    None,
    Basic,
    Strong,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Loss {
    Lost,
    Stolen,
}

/// How the replacement card travels (product §2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Shipping {
    /// 3–5 business days.
    Standard,
    /// 1–2 business days.
    Expedited,
    /// 24–72 hours to an address abroad, as the caller said it.
    Global {
        destination: Destination,
        address: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Destination {
    Hotel,
    Embassy,
    Other,
}

/// When a replacement card should arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryWindow {
    pub earliest: jiff::civil::Date,
    pub latest: jiff::civil::Date,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    pub amount: Money,
    pub date: jiff::civil::Date,
}

/// The answer to the caller.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reply {
    /// Spoken or played in order, before `then`.
    pub say: Vec<Segment>,
    pub then: Then,
}

impl Reply {
    /// Everything the reply says aloud (its prompts' text, clips and pauses left out).
    pub fn spoken(&self) -> String {
        self.say
            .iter()
            .filter_map(|s| match s {
                Segment::Say(prompt) => Some(prompt.text.as_str()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Segment {
    Say(Prompt),
    /// A recorded clip by id (the edge maps ids to URLs or files).
    Play {
        clip: String,
    },
    Pause {
        seconds: u8,
    },
}

/// A rendered prompt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prompt {
    /// The catalog message it came from.
    pub message: String,
    pub text: String,
    pub lang: Lang,
    /// The speech locale, e.g. `en-US`.
    pub locale: String,
    /// The text-to-speech voice, when the flow names one.
    pub voice: Option<String>,
    /// A recording of this prompt, when the catalog names one (`.audio` attribute).
    pub clip: Option<String>,
}

/// What happens once the prompts have been spoken.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Then {
    /// Wait for the caller; send what they do back as an [`Event`].
    Gather(Gather),
    /// The IVR is done: queue the call for a person.
    Enqueue(Box<Handoff>),
    /// The IVR is done: connect the call to this number.
    Dial { number: String },
    /// The IVR is done: end the call.
    Hangup,
}

/// How to listen for the caller's answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gather {
    /// Which question this is (for simulators, logs and adapters that buffer keys).
    pub node: String,
    pub question: Question,
    pub dtmf: bool,
    pub speech: bool,
    /// Stop after this many keys.
    pub num_digits: Option<u8>,
    /// The key that ends the entry; `None`: only `num_digits` or the timeout do.
    pub finish_on_key: Option<char>,
    pub timeout_secs: u8,
    pub lang: Lang,
    pub locale: String,
    /// Words the recogniser should expect.
    pub hints: Vec<String>,
    /// The answer must not be logged or transcribed into the context.
    pub sensitive: bool,
}

/// The kind of answer a gather waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "factor", rename_all = "snake_case")]
pub enum Question {
    Language,
    Menu,
    Digits,
    Factor(Factor),
    Loss,
    Shipping,
    Destination,
    Address,
    NewPin,
    /// The fraud challenge call's "was this you?" (1 or yes, 2 or no).
    Challenge,
}

/// The hand-off to a person: where to queue and what the agent should see.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Handoff {
    pub department: Department,
    pub language: Lang,
    pub priority: Priority,
    pub reason: Option<Reason>,
    pub context: CallContext,
}

impl Handoff {
    /// A queue name for the edge's `<Enqueue>`: `department.language.priority`.
    pub fn queue_name(&self) -> String {
        format!(
            "{}.{}.{}",
            self.department,
            self.language,
            self.priority.as_str()
        )
    }
}

/// Queue priority. Verified premium tiers get the priority queue (product §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Standard,
    /// Lost cards and fraud.
    Urgent,
    /// A verified premium card.
    Premium,
}

impl Priority {
    pub const fn as_str(self) -> &'static str {
        match self {
            Priority::Standard => "standard",
            Priority::Urgent => "urgent",
            Priority::Premium => "premium",
        }
    }
}

/// Everything the call learned, so the agent does not ask again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallContext {
    pub call_id: String,
    pub caller: String,
    pub called: String,
    pub language: Lang,
    pub reason: Option<Reason>,
    pub department: Option<Department>,
    pub identity: Identity,
    /// Menu choices in order.
    pub choices: Vec<Choice>,
    /// What the caller said at questions that are not sensitive.
    pub said: Vec<Said>,
    /// Self-service done on this call.
    pub outcomes: Vec<Outcome>,
    /// Digits collected by `collect` nodes, by variable name.
    pub answers: BTreeMap<String, String>,
    /// Why the call is going to a person or ended, once known.
    pub cause: Option<Cause>,
}

/// What the caller proved.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Identity {
    pub card: Option<CardRef>,
    pub tier: Option<Tier>,
    pub level: VerificationLevel,
    pub passed: Vec<Factor>,
    pub failures: u8,
    pub locked: bool,
}

impl Identity {
    /// Premium service is for premium cards the caller has proven they hold.
    pub fn is_verified_premium(&self) -> bool {
        self.level >= VerificationLevel::Basic && self.tier.is_some_and(Tier::is_premium)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub node: String,
    /// The option's label (or its target when it has none).
    pub picked: String,
    pub by_speech: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Said {
    pub node: String,
    pub text: String,
    pub confidence: f32,
}

/// Self-service results and notable events, for the agent and the case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    LostOrStolenReported {
        loss: Loss,
        shipping: Shipping,
        case_reference: String,
        delivery: DeliveryWindow,
    },
    CardActivated,
    BalanceHeard,
    RewardsHeard {
        points: i64,
    },
    CallbackBooked {
        department: Department,
    },
    Classified {
        department: Option<Department>,
        confidence: f32,
    },
    VerificationFailed,
    VerificationLocked,
    /// The edge could not do what a node asked.
    ServiceFailed {
        node: String,
    },
}

/// Why a call reached a person (or a node's failure path).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// The flow led there (a menu choice, a described need).
    Routed,
    /// "0" or "representative".
    AskedForPerson,
    /// Silence after the retries.
    NoInput,
    /// Invalid or not understood input after the retries.
    NotUnderstood,
    VerificationFailed,
    VerificationLocked,
    /// Self-service needs a verified card the call does not have.
    NotVerified,
    ServiceFailed,
    /// The flow could not go on: it went round without waiting for the caller, or the call's
    /// node is gone from a changed flow.
    FlowError,
}
