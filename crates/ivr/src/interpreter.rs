//! The call interpreter: a pure state machine over a flow. The edge feeds it events and
//! carries out what it asks; it never reads a clock or does I/O.

use std::collections::BTreeMap;

use domain::{Department, Lang, Reason, Timestamp};
use serde::{Deserialize, Serialize};

use crate::call::{
    CallContext, Cause, Choice, Destination, Effect, EffectRequest, EffectResult, Event, Factor,
    FactorAnswer, FactorCheck, Gather, Handoff, Identity, Loss, NewCall, Outcome, Output, Priority,
    Prompt, Question, Reply, Said, Secret, Segment, Shipping, Then, VerificationLevel,
};
use crate::card_number;
use crate::catalog::{Arg, Args, spell};
use crate::flow::{Condition, DateOrder, Locale, MenuOption, Model, NodeKind, Service, msg};
use crate::load::Flow;
use crate::speech::{keywords, normalize, score, spoken_digits};

/// Node visits allowed between two caller inputs; beyond it the flow is looping.
const MAX_HOPS: u16 = 100;

/// Everything the interpreter needs between two events of a call. The edge persists it
/// (it is serde) so that a call survives a restart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallState {
    flow: String,
    context: CallContext,
    at: At,
    retries: u8,
    effects: u32,
    /// Nodes visited since the caller last said or pressed something.
    hops: u16,
    /// Spoken before an effect, to go out with the next reply.
    pending: Vec<Segment>,
    lost: LostDraft,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum At {
    Asking { node: String, question: Question },
    Awaiting { node: String, effect: Awaited },
    Ended,
}

/// The effect whose result the call waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "factor", rename_all = "snake_case")]
enum Awaited {
    Factor(Factor),
    ReportLost,
    Activate,
    Balance,
    Rewards,
    Classify,
    Callback,
}

/// Answers gathered so far while reporting a lost card.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct LostDraft {
    loss: Option<Loss>,
    destination: Option<Destination>,
    shipping: Option<Shipping>,
}

impl CallState {
    pub fn flow_id(&self) -> &str {
        &self.flow
    }

    /// What the call has learned so far.
    pub fn context(&self) -> &CallContext {
        &self.context
    }

    pub fn language(&self) -> Lang {
        self.context.language
    }

    /// The node the call is at, until it ends.
    pub fn node(&self) -> Option<&str> {
        match &self.at {
            At::Asking { node, .. } | At::Awaiting { node, .. } => Some(node),
            At::Ended => None,
        }
    }

    /// The question the caller is being asked, if the call waits for them.
    pub fn question(&self) -> Option<Question> {
        match &self.at {
            At::Asking { question, .. } => Some(*question),
            _ => None,
        }
    }

    /// Whether the call waits for the result of an effect.
    pub fn awaits_effect(&self) -> bool {
        matches!(self.at, At::Awaiting { .. })
    }

    /// The IVR part of the call is over (queued, dialled out or hung up).
    pub fn is_ended(&self) -> bool {
        self.at == At::Ended
    }
}

impl Flow {
    /// Answers a new call.
    pub fn start(&self, call: NewCall, now: Timestamp) -> (CallState, Output) {
        let mut state = CallState {
            flow: self.model.id.clone(),
            context: CallContext {
                call_id: call.call_id,
                caller: call.from,
                called: call.to,
                language: self.model.default_language,
                reason: None,
                department: None,
                identity: Identity::default(),
                choices: Vec::new(),
                said: Vec::new(),
                outcomes: Vec::new(),
                answers: BTreeMap::new(),
                cause: None,
            },
            at: At::Ended,
            retries: 0,
            effects: 0,
            hops: 0,
            pending: Vec::new(),
            lost: LostDraft::default(),
        };
        let output = Run::new(self, &mut state, now).goto(&self.model.start);
        (state, output)
    }

    /// Moves the call on by one event. Events that do not fit (a result while the caller is
    /// asked, input while an effect is pending, anything after the end) never fail: the
    /// question is asked again, the node is entered again, or the call is hung up.
    pub fn handle(&self, state: &mut CallState, event: Event, now: Timestamp) -> Output {
        let at = state.at.clone();
        if !matches!(event, Event::Done(_)) {
            state.hops = 0;
        }
        let mut run = Run::new(self, state, now);
        match (at, event) {
            (At::Ended, _) => run.reply(Then::Hangup),
            (At::Asking { node, question }, Event::Done(_)) => run.ask(&node, question, None),
            (At::Asking { node, question }, Event::Silence) => run.on_silence(&node, question),
            (At::Asking { node, question }, Event::Digits(keys)) => {
                run.on_keys(&node, question, keys.expose())
            }
            (At::Asking { node, question }, Event::Speech { text, confidence }) => {
                run.on_speech(&node, question, text.expose(), confidence)
            }
            (At::Awaiting { node, effect }, Event::Done(result)) => {
                run.on_result(&node, effect, result)
            }
            (At::Awaiting { node, .. }, _) => run.goto(&node),
        }
    }
}

/// Speaking and listening, for the interpreter and the fraud challenge call alike.
impl Flow {
    /// How prompts in `lang` are spoken.
    pub(crate) fn locale(&self, lang: Lang) -> Locale {
        self.model
            .locales
            .get(&lang)
            .cloned()
            .unwrap_or_else(|| Locale::default_for(lang))
    }

    /// Catalog message `message` in `lang` as a spoken segment; `None` when the catalog lacks it.
    pub(crate) fn prompt(&self, lang: Lang, message: &str, args: &Args) -> Option<Segment> {
        let rendered = self.catalogs.render(lang, message, args)?;
        let locale = self.locale(lang);
        Some(Segment::Say(Prompt {
            message: message.to_owned(),
            text: rendered.text,
            lang,
            locale: locale.tag,
            voice: locale.voice,
            clip: rendered.clip,
        }))
    }

    pub(crate) fn keyword_list(&self, lang: Lang, message: &str) -> Vec<String> {
        keywords(&self.catalogs.text(lang, message, &Vec::new()))
    }

    /// Keywords as written, for the recogniser's hints.
    pub(crate) fn add_hints(&self, hints: &mut Vec<String>, lang: Lang, message: &str) {
        let list = self.catalogs.text(lang, message, &Vec::new());
        for hint in list.split(',').map(str::trim).filter(|h| !h.is_empty()) {
            if !hints.iter().any(|h| h == hint) {
                hints.push(hint.to_owned());
            }
        }
    }

    /// Which of `choices` (key, keyword message) the caller picked: by its key, or by the
    /// choice whose keywords the speech matches best.
    pub(crate) fn pick(
        &self,
        lang: Lang,
        choices: &[(char, &str)],
        answer: &Answer<'_>,
    ) -> Option<usize> {
        match answer {
            Answer::Keys(keys) => {
                let key = single_key(keys)?;
                choices.iter().position(|(digit, _)| *digit == key)
            }
            Answer::Speech { normalized, .. } => {
                let mut best: Option<(usize, usize)> = None;
                for (i, (_, keywords)) in choices.iter().enumerate() {
                    if let Some(length) = score(normalized, &self.keyword_list(lang, keywords))
                        && best.is_none_or(|(longest, _)| length > longest)
                    {
                        best = Some((length, i));
                    }
                }
                best.map(|(_, i)| i)
            }
        }
    }
}

/// What the caller answered.
pub(crate) enum Answer<'t> {
    Keys(&'t str),
    Speech { raw: &'t str, normalized: String },
}

/// One step of a call: from an event to the next output.
struct Run<'f, 's> {
    flow: &'f Flow,
    state: &'s mut CallState,
    now: Timestamp,
    say: Vec<Segment>,
}

impl<'f, 's> Run<'f, 's> {
    fn new(flow: &'f Flow, state: &'s mut CallState, now: Timestamp) -> Self {
        Self {
            flow,
            state,
            now,
            say: Vec::new(),
        }
    }

    fn model(&self) -> &'f Model {
        &self.flow.model
    }

    fn node(&self, id: &str) -> Option<&'f NodeKind> {
        self.model().nodes.get(id)
    }

    fn lang(&self) -> Lang {
        self.state.context.language
    }

    fn locale(&self, lang: Lang) -> Locale {
        self.flow.locale(lang)
    }

    // ---- Speaking ----

    fn speak(&mut self, lang: Lang, message: &str, args: &Args) {
        self.say.extend(self.flow.prompt(lang, message, args));
    }

    /// Speaks in the call's language with the variables every prompt may use.
    fn speak_here(&mut self, message: &str) {
        let args = self.common_args();
        self.speak(self.lang(), message, &args);
    }

    fn speak_with(&mut self, message: &str, mut args: Args) {
        args.extend(self.common_args());
        self.speak(self.lang(), message, &args);
    }

    fn common_args(&self) -> Args {
        let mut args = Vec::new();
        if let Some(card) = &self.state.context.identity.card {
            args.push(("last4", Arg::Text(spell(&card.last4))));
        }
        args
    }

    fn keyword_list(&self, lang: Lang, message: &str) -> Vec<String> {
        self.flow.keyword_list(lang, message)
    }

    fn add_hints(&self, hints: &mut Vec<String>, lang: Lang, message: &str) {
        self.flow.add_hints(hints, lang, message);
    }

    // ---- Ending a step ----

    fn reply(&mut self, then: Then) -> Output {
        let mut say = std::mem::take(&mut self.state.pending);
        say.append(&mut self.say);
        Output::Reply(Reply { say, then })
    }

    fn end(&mut self, then: Then) -> Output {
        self.state.at = At::Ended;
        self.reply(then)
    }

    fn perform(&mut self, node: &str, awaited: Awaited, effect: Effect) -> Output {
        self.state.pending.append(&mut self.say);
        self.state.at = At::Awaiting {
            node: node.to_owned(),
            effect: awaited,
        };
        self.state.effects += 1;
        Output::Perform(EffectRequest {
            idempotency_key: format!("{}/{}", self.state.context.call_id, self.state.effects),
            effect,
        })
    }

    // ---- Moving through the flow ----

    fn goto(&mut self, id: &str) -> Output {
        self.state.hops = self.state.hops.saturating_add(1);
        let Some(node) = self.node(id).filter(|_| self.state.hops <= MAX_HOPS) else {
            return self.give_up();
        };
        self.state.retries = 0;
        match node {
            NodeKind::Say {
                prompt,
                pause,
                next,
            } => {
                self.speak_here(prompt);
                if *pause > 0 {
                    self.say.push(Segment::Pause { seconds: *pause });
                }
                self.goto(next)
            }
            NodeKind::Play { clip, next } => {
                self.say.push(Segment::Play { clip: clip.clone() });
                self.goto(next)
            }
            NodeKind::Language { .. } => self.ask(id, Question::Language, None),
            NodeKind::Menu { .. } => self.ask(id, Question::Menu, None),
            NodeKind::Collect { .. } => self.ask(id, Question::Digits, None),
            NodeKind::Verify { factors, next, .. } => {
                if self.state.context.identity.locked {
                    self.speak_here(msg::VERIFY_LOCKED);
                    return self.fail(id, Cause::VerificationLocked);
                }
                match self.missing_factor(factors) {
                    Some(factor) => self.ask(id, Question::Factor(factor), None),
                    None => self.goto(next),
                }
            }
            NodeKind::Service {
                service, requires, ..
            } => self.service(id, *service, *requires),
            NodeKind::Branch { cases, otherwise } => {
                let next = cases
                    .iter()
                    .find(|case| self.holds(&case.when))
                    .map_or(otherwise, |case| &case.next);
                self.goto(next)
            }
            NodeKind::Transfer {
                prompt,
                department,
                reason,
            } => {
                if let Some(prompt) = prompt {
                    self.speak_here(prompt);
                }
                let handoff = self.handoff(*department, *reason);
                self.end(Then::Enqueue(Box::new(handoff)))
            }
            NodeKind::Callback { department, .. } => {
                let number = self.state.context.caller.clone();
                if number.bytes().filter(u8::is_ascii_digit).count() < 7 {
                    // Nothing to call back: an anonymous or withheld number.
                    self.speak_here(msg::SERVICE_FAILED);
                    return self.fail(id, Cause::ServiceFailed);
                }
                let effect = Effect::RequestCallback {
                    number,
                    department: self.department(*department, self.state.context.reason),
                    language: self.lang(),
                    context: Box::new(self.state.context.clone()),
                };
                self.perform(id, Awaited::Callback, effect)
            }
            NodeKind::Dial { prompt, number } => {
                if let Some(prompt) = prompt {
                    self.speak_here(prompt);
                }
                self.end(Then::Dial {
                    number: number.clone(),
                })
            }
            NodeKind::Hangup { prompt } => {
                if let Some(prompt) = prompt {
                    self.speak_here(prompt);
                }
                self.end(Then::Hangup)
            }
        }
    }

    /// The flow cannot go on (a loop, or the call's node is gone): queue for a person directly.
    fn give_up(&mut self) -> Output {
        self.state.context.cause = Some(Cause::FlowError);
        let handoff = self.handoff(None, None);
        self.end(Then::Enqueue(Box::new(handoff)))
    }

    fn reach_person(&mut self, cause: Cause) -> Output {
        self.state.context.cause = Some(cause);
        let operator = &self.model().operator;
        self.goto(operator)
    }

    /// Takes a node's failure path: its `on_failure`, or a person.
    fn fail(&mut self, id: &str, cause: Cause) -> Output {
        self.state.context.cause = Some(cause);
        let model = self.model();
        let target = self
            .node(id)
            .and_then(NodeKind::on_failure)
            .unwrap_or(&model.operator);
        self.goto(target)
    }

    fn next_of(&self, id: &str) -> Option<&'f str> {
        match self.node(id)? {
            NodeKind::Verify { next, .. }
            | NodeKind::Service { next, .. }
            | NodeKind::Callback { next, .. } => Some(next),
            _ => None,
        }
    }

    fn go_on(&mut self, id: &str) -> Output {
        match self.next_of(id) {
            Some(next) => self.goto(next),
            None => self.give_up(),
        }
    }

    fn holds(&self, when: &Condition) -> bool {
        let context = &self.state.context;
        let identity = &context.identity;
        let verified = identity.level >= VerificationLevel::Basic;
        when.tier
            .as_ref()
            .is_none_or(|tiers| verified && identity.tier.is_some_and(|tier| tiers.contains(&tier)))
            && when
                .premium
                .is_none_or(|premium| identity.is_verified_premium() == premium)
            && when.verified.is_none_or(|level| identity.level >= level)
            && when
                .language
                .as_ref()
                .is_none_or(|langs| langs.contains(&context.language))
            && when.open.as_ref().is_none_or(|name| {
                self.model()
                    .hours
                    .get(name)
                    .is_some_and(|hours| hours.is_open(self.now))
            })
            && when.reason.as_ref().is_none_or(|reasons| {
                context
                    .reason
                    .is_some_and(|reason| reasons.contains(&reason))
            })
    }

    /// The team: the node's, else what the call learned, else the reason's, else general.
    fn department(&self, explicit: Option<Department>, reason: Option<Reason>) -> Department {
        explicit
            .or(self.state.context.department)
            .or(reason.map(Reason::department))
            .unwrap_or(Department::General)
    }

    fn handoff(&self, department: Option<Department>, reason: Option<Reason>) -> Handoff {
        let reason = reason.or(self.state.context.reason);
        let department = self.department(department, reason);
        let mut context = self.state.context.clone();
        context.reason = reason;
        context.department = Some(department);
        context.cause.get_or_insert(Cause::Routed);
        let priority = if context.identity.is_verified_premium() {
            Priority::Premium
        } else if reason.is_some_and(Reason::is_urgent) {
            Priority::Urgent
        } else {
            Priority::Standard
        };
        Handoff {
            department,
            language: context.language,
            priority,
            reason,
            context,
        }
    }

    fn missing_factor(&self, factors: &[Factor]) -> Option<Factor> {
        let passed = &self.state.context.identity.passed;
        factors.iter().copied().find(|f| !passed.contains(f))
    }

    fn service(&mut self, id: &str, service: Service, requires: VerificationLevel) -> Output {
        let identity = &self.state.context.identity;
        let card = match &identity.card {
            Some(card) if identity.level >= requires => card.clone(),
            _ => {
                self.speak_here(msg::NOT_VERIFIED);
                return self.fail(id, Cause::NotVerified);
            }
        };
        match service {
            Service::ReportLost => {
                self.state.lost = LostDraft::default();
                self.ask(id, Question::Loss, None)
            }
            Service::Activate => self.ask(id, Question::NewPin, None),
            Service::Balance => self.perform(id, Awaited::Balance, Effect::FetchBalance { card }),
            Service::Rewards => self.perform(id, Awaited::Rewards, Effect::FetchRewards { card }),
        }
    }

    // ---- Asking ----

    fn ask_first(&mut self, id: &str, question: Question) -> Output {
        self.state.retries = 0;
        self.ask(id, question, None)
    }

    /// Speaks the question (after `notice`, e.g. "sorry, I didn't catch that") and gathers.
    fn ask(&mut self, id: &str, question: Question, notice: Option<&str>) -> Output {
        let Some(node) = self.node(id) else {
            return self.give_up();
        };
        self.state.at = At::Asking {
            node: id.to_owned(),
            question,
        };
        if let Some(notice) = notice {
            self.speak_here(notice);
        }
        let lang = self.lang();
        let (num_digits, finish_on_key) = entry(question, node);
        let mut gather = Gather {
            node: id.to_owned(),
            question,
            dtmf: true,
            speech: true,
            num_digits,
            finish_on_key,
            timeout_secs: self.model().settings.timeout_secs,
            lang,
            locale: self.locale(lang).tag,
            hints: Vec::new(),
            sensitive: matches!(question, Question::Factor(_) | Question::NewPin),
        };
        self.add_hints(&mut gather.hints, lang, msg::OPERATOR_KEYWORDS);
        match (question, node) {
            (
                Question::Language,
                NodeKind::Language {
                    prompt,
                    options,
                    timeout,
                    ..
                },
            ) => {
                self.speak_here(prompt);
                for option in options {
                    let args = vec![("digit", Arg::Text(option.digit.to_string()))];
                    self.speak(option.language, msg::LANGUAGE_OFFER, &args);
                    self.add_hints(&mut gather.hints, option.language, msg::LANGUAGE_KEYWORDS);
                }
                gather.timeout_secs = timeout.unwrap_or(gather.timeout_secs);
            }
            (
                Question::Menu,
                NodeKind::Menu {
                    prompt,
                    options,
                    speech,
                    timeout,
                    ..
                },
            ) => {
                self.speak_here(prompt);
                gather.speech = *speech;
                for keywords in options.iter().filter_map(|o| o.keywords.as_deref()) {
                    self.add_hints(&mut gather.hints, lang, keywords);
                }
                gather.timeout_secs = timeout.unwrap_or(gather.timeout_secs);
            }
            (
                Question::Digits,
                NodeKind::Collect {
                    prompt, timeout, ..
                },
            ) => {
                self.speak_here(prompt);
                gather.timeout_secs = timeout.unwrap_or(gather.timeout_secs);
            }
            (Question::Factor(factor), NodeKind::Verify { .. }) => {
                self.speak_here(factor.message());
                gather.timeout_secs = gather.timeout_secs.max(10);
            }
            (
                Question::Loss | Question::Shipping | Question::Destination,
                NodeKind::Service { .. },
            ) => {
                let (message, choices) = fixed_choices(question);
                self.speak_here(message);
                for (_, keywords) in choices {
                    self.add_hints(&mut gather.hints, lang, keywords);
                }
            }
            (Question::Address, NodeKind::Service { .. }) => {
                self.speak_here(msg::LOST_ADDRESS);
                gather.timeout_secs = gather.timeout_secs.max(10);
            }
            (Question::NewPin, NodeKind::Service { .. }) => {
                self.speak_here(msg::ACTIVATE_PIN);
                // A PIN is keyed, never said aloud.
                gather.speech = false;
                gather.timeout_secs = gather.timeout_secs.max(10);
            }
            // The flow changed under the call and the node is no longer what it was.
            _ => return self.give_up(),
        }
        self.reply(Then::Gather(gather))
    }

    fn retry(&mut self, id: &str, question: Question, notice: &str, cause: Cause) -> Output {
        self.state.retries = self.state.retries.saturating_add(1);
        if self.state.retries <= self.model().settings.retries {
            return self.ask(id, question, Some(notice));
        }
        if let Some(NodeKind::Language { next, .. }) = self.node(id) {
            // Callers who never choose carry on in the default language.
            return self.goto(next);
        }
        self.reach_person(cause)
    }

    fn retry_invalid(&mut self, id: &str, question: Question, answer: &Answer<'_>) -> Output {
        let notice = match answer {
            Answer::Keys(_) => msg::INVALID,
            Answer::Speech { .. } => msg::NOT_UNDERSTOOD,
        };
        self.retry(id, question, notice, Cause::NotUnderstood)
    }

    // ---- Caller input ----

    fn on_silence(&mut self, id: &str, question: Question) -> Output {
        if let Some(NodeKind::Language { next, .. }) = self.node(id) {
            return self.goto(next);
        }
        self.retry(id, question, msg::NO_INPUT, Cause::NoInput)
    }

    fn on_keys(&mut self, id: &str, question: Question, keys: &str) -> Output {
        let keys = match self.node(id).map(|node| entry(question, node).1) {
            Some(Some(terminator)) => keys.trim_end_matches(terminator),
            _ => keys,
        };
        if keys.is_empty() {
            return self.on_silence(id, question);
        }
        if keys == "0" {
            return self.reach_person(Cause::AskedForPerson);
        }
        self.answer(id, question, Answer::Keys(keys))
    }

    fn on_speech(&mut self, id: &str, question: Question, text: &str, confidence: f32) -> Output {
        if text.trim().is_empty() {
            return self.on_silence(id, question);
        }
        let sensitive = matches!(question, Question::Factor(_) | Question::NewPin);
        if !sensitive {
            self.state.context.said.push(Said {
                node: id.to_owned(),
                text: text.to_owned(),
                confidence,
            });
        }
        if confidence.is_nan() || confidence < self.model().settings.speech_confidence {
            return self.retry(id, question, msg::NOT_UNDERSTOOD, Cause::NotUnderstood);
        }
        let normalized = normalize(text);
        // At the language choice the caller may speak any of the languages offered.
        let mut languages = vec![self.lang()];
        if let Some(NodeKind::Language { options, .. }) = self.node(id) {
            languages.extend(options.iter().map(|o| o.language));
        }
        let asks_for_person = languages.into_iter().any(|lang| {
            let operator = self.keyword_list(lang, msg::OPERATOR_KEYWORDS);
            score(&normalized, &operator).is_some()
        });
        if asks_for_person {
            return self.reach_person(Cause::AskedForPerson);
        }
        self.answer(
            id,
            question,
            Answer::Speech {
                raw: text,
                normalized,
            },
        )
    }

    fn answer(&mut self, id: &str, question: Question, answer: Answer<'_>) -> Output {
        let Some(node) = self.node(id) else {
            return self.give_up();
        };
        match (question, node) {
            (Question::Language, NodeKind::Language { options, next, .. }) => {
                let picked = options.iter().find(|option| match &answer {
                    Answer::Keys(keys) => single_key(keys) == Some(option.digit),
                    Answer::Speech { normalized, .. } => {
                        let words = self.keyword_list(option.language, msg::LANGUAGE_KEYWORDS);
                        score(normalized, &words).is_some()
                    }
                });
                let Some(option) = picked else {
                    return self.retry_invalid(id, question, &answer);
                };
                self.state.context.language = option.language;
                self.state.context.choices.push(Choice {
                    node: id.to_owned(),
                    picked: option.language.code().to_owned(),
                    by_speech: matches!(answer, Answer::Speech { .. }),
                });
                self.goto(next)
            }
            (
                Question::Menu,
                NodeKind::Menu {
                    options, classify, ..
                },
            ) => match &answer {
                Answer::Keys(keys) => {
                    let key = single_key(keys);
                    match options.iter().find(|o| o.digit.is_some() && o.digit == key) {
                        Some(option) => self.choose(id, option, false),
                        None => self.retry_invalid(id, question, &answer),
                    }
                }
                Answer::Speech { raw, normalized } => {
                    let lang = self.lang();
                    let mut best: Option<(usize, &MenuOption)> = None;
                    for option in options {
                        let Some(keywords) = &option.keywords else {
                            continue;
                        };
                        let found = score(normalized, &self.keyword_list(lang, keywords));
                        if let Some(length) = found
                            && best.is_none_or(|(longest, _)| length > longest)
                        {
                            best = Some((length, option));
                        }
                    }
                    match best {
                        Some((_, option)) => self.choose(id, option, true),
                        None if *classify => {
                            let effect = Effect::ClassifySpeech {
                                text: (*raw).to_owned(),
                                language: lang,
                            };
                            self.perform(id, Awaited::Classify, effect)
                        }
                        None => self.retry_invalid(id, question, &answer),
                    }
                }
            },
            (
                Question::Digits,
                NodeKind::Collect {
                    var,
                    min_digits,
                    max_digits,
                    next,
                    ..
                },
            ) => {
                let digits = match &answer {
                    Answer::Keys(keys) => Some((*keys).to_owned()),
                    Answer::Speech { raw, .. } => spoken_digits(raw),
                };
                let fits = |d: &String| {
                    d.bytes().all(|b| b.is_ascii_digit())
                        && (usize::from(*min_digits)..=usize::from(*max_digits)).contains(&d.len())
                };
                match digits.filter(fits) {
                    Some(digits) => {
                        self.state.context.answers.insert(var.clone(), digits);
                        self.goto(next)
                    }
                    None => self.retry_invalid(id, question, &answer),
                }
            }
            (Question::Factor(factor), NodeKind::Verify { .. }) => {
                let typed = match &answer {
                    Answer::Keys(keys) => Some((*keys).to_owned()),
                    Answer::Speech { raw, .. } if factor == Factor::Postcode => {
                        Some((*raw).to_owned())
                    }
                    Answer::Speech { raw, .. } => spoken_digits(raw),
                };
                let order = self.locale(self.lang()).date_order;
                let today = self.now.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
                match typed.and_then(|t| normalize_factor(factor, &t, order, today)) {
                    Some(value) => {
                        let identity = &self.state.context.identity;
                        let effect = Effect::CheckFactor {
                            card: identity.card.clone(),
                            caller: self.state.context.caller.clone(),
                            answer: FactorAnswer {
                                factor,
                                value: Secret::new(value),
                            },
                            passed: identity.passed.clone(),
                        };
                        self.perform(id, Awaited::Factor(factor), effect)
                    }
                    None => self.retry(id, question, msg::VERIFY_BAD_FORMAT, Cause::NotUnderstood),
                }
            }
            (
                Question::Loss | Question::Shipping | Question::Destination,
                NodeKind::Service { .. },
            ) => {
                let Some(picked) = self.pick(question, &answer) else {
                    return self.retry_invalid(id, question, &answer);
                };
                match (question, picked) {
                    (Question::Loss, 0) => {
                        self.state.lost.loss = Some(Loss::Lost);
                        self.ask_first(id, Question::Shipping)
                    }
                    (Question::Loss, _) => {
                        self.state.lost.loss = Some(Loss::Stolen);
                        self.ask_first(id, Question::Shipping)
                    }
                    (Question::Shipping, 0) => self.report_lost(id, Shipping::Standard),
                    (Question::Shipping, 1) => self.report_lost(id, Shipping::Expedited),
                    (Question::Shipping, _) => self.ask_first(id, Question::Destination),
                    (_, picked) => {
                        self.state.lost.destination = Some(match picked {
                            0 => Destination::Hotel,
                            1 => Destination::Embassy,
                            _ => Destination::Other,
                        });
                        self.ask_first(id, Question::Address)
                    }
                }
            }
            (Question::Address, NodeKind::Service { .. }) => match &answer {
                Answer::Speech { raw, .. } => {
                    let shipping = Shipping::Global {
                        destination: self.state.lost.destination.unwrap_or(Destination::Other),
                        address: raw.trim().to_owned(),
                    };
                    self.report_lost(id, shipping)
                }
                Answer::Keys(_) => self.retry_invalid(id, question, &answer),
            },
            (Question::NewPin, NodeKind::Service { .. }) => match &answer {
                Answer::Keys(keys)
                    if keys.len() == 8 && keys.bytes().all(|b| b.is_ascii_digit()) =>
                {
                    let (pin, again) = keys.split_at(4);
                    if pin != again {
                        return self.retry(
                            id,
                            question,
                            msg::ACTIVATE_PIN_MISMATCH,
                            Cause::NotUnderstood,
                        );
                    }
                    match self.state.context.identity.card.clone() {
                        Some(card) => self.perform(
                            id,
                            Awaited::Activate,
                            Effect::ActivateCard {
                                card,
                                pin: Secret::new(pin),
                            },
                        ),
                        None => self.fail(id, Cause::NotVerified),
                    }
                }
                _ => self.retry_invalid(id, question, &answer),
            },
            _ => self.give_up(),
        }
    }

    /// Which of a fixed question's choices the caller picked, by key or keyword.
    fn pick(&self, question: Question, answer: &Answer<'_>) -> Option<usize> {
        let (_, choices) = fixed_choices(question);
        self.flow.pick(self.lang(), choices, answer)
    }

    fn choose(&mut self, id: &str, option: &'f MenuOption, by_speech: bool) -> Output {
        let context = &mut self.state.context;
        if let Some(reason) = option.reason {
            context.reason = Some(reason);
            context.department = Some(reason.department());
        }
        if let Some(department) = option.department {
            context.department = Some(department);
        }
        if let Some(language) = option.language {
            context.language = language;
        }
        context.cause = None;
        context.choices.push(Choice {
            node: id.to_owned(),
            picked: option.label.clone().unwrap_or_else(|| option.next.clone()),
            by_speech,
        });
        self.goto(&option.next)
    }

    fn report_lost(&mut self, id: &str, shipping: Shipping) -> Output {
        let Some(card) = self.state.context.identity.card.clone() else {
            return self.fail(id, Cause::NotVerified);
        };
        self.state.lost.shipping = Some(shipping.clone());
        let loss = self.state.lost.loss.unwrap_or(Loss::Lost);
        let effect = Effect::ReportLostOrStolen {
            card,
            loss,
            shipping,
        };
        self.perform(id, Awaited::ReportLost, effect)
    }

    // ---- Effect results ----

    fn on_result(&mut self, id: &str, awaited: Awaited, result: EffectResult) -> Output {
        match (awaited, result) {
            (
                Awaited::Classify,
                EffectResult::Classified {
                    department,
                    confidence,
                },
            ) => self.classified(id, department, confidence),
            // No usable answer from the classifier: ask again, as for speech not understood.
            (Awaited::Classify, _) => self.retry(
                id,
                Question::Menu,
                msg::NOT_UNDERSTOOD,
                Cause::NotUnderstood,
            ),
            (Awaited::Factor(factor), EffectResult::FactorChecked(check)) => {
                self.factor_checked(id, factor, check)
            }
            (
                Awaited::ReportLost,
                EffectResult::LostOrStolenReported {
                    case_reference,
                    delivery,
                },
            ) => {
                let draft = std::mem::take(&mut self.state.lost);
                let loss = draft.loss.unwrap_or(Loss::Lost);
                let shipping = draft.shipping.unwrap_or(Shipping::Standard);
                let lang = self.lang();
                let catalogs = &self.flow.catalogs;
                let args = vec![
                    ("reference", Arg::Text(spell(&case_reference))),
                    ("loss", Arg::Text(loss_name(loss).to_owned())),
                    ("shipping", Arg::Text(shipping_name(&shipping).to_owned())),
                    (
                        "earliest",
                        Arg::Text(catalogs.date(lang, delivery.earliest)),
                    ),
                    ("latest", Arg::Text(catalogs.date(lang, delivery.latest))),
                ];
                self.speak_with(msg::LOST_REPORTED, args);
                self.state
                    .context
                    .outcomes
                    .push(Outcome::LostOrStolenReported {
                        loss,
                        shipping,
                        case_reference,
                        delivery,
                    });
                self.go_on(id)
            }
            (Awaited::Activate, EffectResult::CardActivated) => {
                self.state.context.outcomes.push(Outcome::CardActivated);
                self.speak_here(msg::ACTIVATE_DONE);
                self.go_on(id)
            }
            (
                Awaited::Balance,
                EffectResult::Balance {
                    balance,
                    last_payment,
                },
            ) => {
                let lang = self.lang();
                let catalogs = &self.flow.catalogs;
                let mut args = vec![
                    ("balance", Arg::Text(catalogs.money(lang, balance))),
                    ("credit", Arg::Text(yes_no(balance.minor < 0))),
                    ("paid", Arg::Text(yes_no(last_payment.is_some()))),
                ];
                if let Some(payment) = last_payment {
                    args.push(("payment", Arg::Text(catalogs.money(lang, payment.amount))));
                    args.push(("payment_date", Arg::Text(catalogs.date(lang, payment.date))));
                }
                self.speak_with(msg::BALANCE_INFO, args);
                self.state.context.outcomes.push(Outcome::BalanceHeard);
                self.go_on(id)
            }
            (Awaited::Rewards, EffectResult::Rewards { points }) => {
                self.speak_with(msg::REWARDS_INFO, vec![("points", Arg::Number(points))]);
                self.state
                    .context
                    .outcomes
                    .push(Outcome::RewardsHeard { points });
                self.go_on(id)
            }
            (Awaited::Callback, EffectResult::CallbackBooked) => {
                let Some(NodeKind::Callback {
                    prompt, department, ..
                }) = self.node(id)
                else {
                    return self.give_up();
                };
                let department = self.department(*department, self.state.context.reason);
                let caller = &self.state.context.caller;
                let last4: String = caller
                    .chars()
                    .filter(char::is_ascii_digit)
                    .rev()
                    .take(4)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                self.speak_with(prompt, vec![("caller_last4", Arg::Text(spell(&last4)))]);
                self.state
                    .context
                    .outcomes
                    .push(Outcome::CallbackBooked { department });
                self.go_on(id)
            }
            // Failed, or a result that answers another effect.
            _ => {
                self.state.context.outcomes.push(Outcome::ServiceFailed {
                    node: id.to_owned(),
                });
                self.speak_here(msg::SERVICE_FAILED);
                self.fail(id, Cause::ServiceFailed)
            }
        }
    }

    fn factor_checked(&mut self, id: &str, factor: Factor, check: FactorCheck) -> Output {
        let attempts = self.model().settings.verify_attempts;
        let identity = &mut self.state.context.identity;
        match check {
            FactorCheck::Passed { card, tier, level } => {
                if !identity.passed.contains(&factor) {
                    identity.passed.push(factor);
                }
                if card.is_some() {
                    identity.card = card;
                }
                if tier.is_some() {
                    identity.tier = tier;
                }
                identity.level = level;
                let Some(NodeKind::Verify { factors, next, .. }) = self.node(id) else {
                    return self.give_up();
                };
                match self.missing_factor(factors) {
                    Some(missing) => self.ask_first(id, Question::Factor(missing)),
                    None => {
                        self.speak_here(msg::VERIFY_DONE);
                        self.goto(next)
                    }
                }
            }
            FactorCheck::Mismatch => {
                identity.failures = identity.failures.saturating_add(1);
                if identity.failures >= attempts {
                    self.state
                        .context
                        .outcomes
                        .push(Outcome::VerificationFailed);
                    self.speak_here(msg::VERIFY_FAILED);
                    return self.fail(id, Cause::VerificationFailed);
                }
                self.state.retries = 0;
                self.ask(id, Question::Factor(factor), Some(msg::VERIFY_MISMATCH))
            }
            FactorCheck::Locked => {
                identity.locked = true;
                self.state
                    .context
                    .outcomes
                    .push(Outcome::VerificationLocked);
                self.speak_here(msg::VERIFY_LOCKED);
                self.fail(id, Cause::VerificationLocked)
            }
        }
    }

    fn classified(&mut self, id: &str, department: Option<Department>, confidence: f32) -> Output {
        self.state.context.outcomes.push(Outcome::Classified {
            department,
            confidence,
        });
        let threshold = self.model().settings.classify_confidence;
        let Some(department) = department.filter(|_| confidence >= threshold) else {
            return self.retry(
                id,
                Question::Menu,
                msg::NOT_UNDERSTOOD,
                Cause::NotUnderstood,
            );
        };
        if let Some(NodeKind::Menu { options, .. }) = self.node(id)
            && let Some(option) = options.iter().find(|o| o.department() == Some(department))
        {
            return self.choose(id, option, true);
        }
        // A need no option covers: a person in the right team.
        self.state.context.department = Some(department);
        self.reach_person(Cause::Routed)
    }
}

/// How many keys a question takes and which key ends the entry.
fn entry(question: Question, node: &NodeKind) -> (Option<u8>, Option<char>) {
    match (question, node) {
        (
            Question::Digits,
            NodeKind::Collect {
                min_digits,
                max_digits,
                terminator,
                ..
            },
        ) => (
            (min_digits == max_digits).then_some(*max_digits),
            *terminator,
        ),
        (Question::Factor(Factor::DateOfBirth), _) => (Some(8), None),
        (Question::Factor(Factor::TaxIdLast4), _) => (Some(4), None),
        (Question::Factor(_), _) => (None, Some('#')),
        (Question::NewPin, _) => (Some(8), None),
        _ => (Some(1), None),
    }
}

/// The prompt and the (key, keyword message) choices of the lost-card questions.
fn fixed_choices(question: Question) -> (&'static str, &'static [(char, &'static str)]) {
    match question {
        Question::Loss => (msg::LOST_LOSS, &[('1', "kw-lost"), ('2', "kw-stolen")]),
        Question::Shipping => (
            msg::LOST_SHIPPING,
            &[
                ('1', "kw-standard"),
                ('2', "kw-expedited"),
                ('3', "kw-global"),
            ],
        ),
        _ => (
            msg::LOST_DESTINATION,
            &[('1', "kw-hotel"), ('2', "kw-embassy"), ('3', "kw-other")],
        ),
    }
}

fn single_key(keys: &str) -> Option<char> {
    let mut chars = keys.chars();
    match (chars.next(), chars.next()) {
        (Some(key), None) => Some(key),
        _ => None,
    }
}

/// A factor's answer in the form the edge checks, or `None` when it cannot be right.
fn normalize_factor(
    factor: Factor,
    typed: &str,
    order: DateOrder,
    today: jiff::civil::Date,
) -> Option<String> {
    let digits = typed.bytes().all(|b| b.is_ascii_digit());
    let len = typed.len();
    match factor {
        Factor::CardNumber => card_number::is_plausible(typed).then(|| typed.to_owned()),
        Factor::SecurityCode => (digits && (3..=4).contains(&len)).then(|| typed.to_owned()),
        Factor::PhoneOnFile => (digits && (7..=15).contains(&len)).then(|| typed.to_owned()),
        Factor::TaxIdLast4 => (digits && len == 4).then(|| typed.to_owned()),
        Factor::Postcode => {
            let code: String = typed
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .map(|c| c.to_ascii_uppercase())
                .collect();
            (3..=10).contains(&code.len()).then_some(code)
        }
        Factor::DateOfBirth => {
            if !digits || len != 8 {
                return None;
            }
            let part = |range: std::ops::Range<usize>| typed.get(range)?.parse::<i16>().ok();
            let (year, month, day) = match order {
                DateOrder::Mdy => (part(4..8)?, part(0..2)?, part(2..4)?),
                DateOrder::Dmy => (part(4..8)?, part(2..4)?, part(0..2)?),
                DateOrder::Ymd => (part(0..4)?, part(4..6)?, part(6..8)?),
            };
            let date =
                jiff::civil::Date::new(year, i8::try_from(month).ok()?, i8::try_from(day).ok()?)
                    .ok()?;
            (year >= 1900 && date <= today).then(|| date.to_string())
        }
    }
}

fn loss_name(loss: Loss) -> &'static str {
    match loss {
        Loss::Lost => "lost",
        Loss::Stolen => "stolen",
    }
}

fn shipping_name(shipping: &Shipping) -> &'static str {
    match shipping {
        Shipping::Standard => "standard",
        Shipping::Expedited => "expedited",
        Shipping::Global { .. } => "global",
    }
}

fn yes_no(value: bool) -> String {
    if value { "yes" } else { "no" }.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_of_birth_follow_the_language_order() {
        let today = jiff::civil::date(2026, 3, 2);
        let dob = |typed, order| normalize_factor(Factor::DateOfBirth, typed, order, today);
        assert_eq!(
            dob("02011980", DateOrder::Mdy).as_deref(),
            Some("1980-02-01")
        );
        assert_eq!(
            dob("02011980", DateOrder::Dmy).as_deref(),
            Some("1980-01-02")
        );
        assert_eq!(
            dob("19800201", DateOrder::Ymd).as_deref(),
            Some("1980-02-01")
        );
        assert_eq!(dob("13011980", DateOrder::Mdy), None);
        assert_eq!(dob("01012030", DateOrder::Mdy), None);
        assert_eq!(dob("0101198", DateOrder::Mdy), None);
    }

    #[test]
    fn other_factors_are_checked_for_shape_only() {
        let today = jiff::civil::date(2026, 3, 2);
        let check = |factor, typed| normalize_factor(factor, typed, DateOrder::Mdy, today);
        assert_eq!(check(Factor::SecurityCode, "1234").as_deref(), Some("1234"));
        assert_eq!(check(Factor::SecurityCode, "12"), None);
        assert_eq!(
            check(Factor::Postcode, "sw1a 1aa").as_deref(),
            Some("SW1A1AA")
        );
        assert_eq!(check(Factor::TaxIdLast4, "123"), None);
        assert_eq!(
            check(Factor::PhoneOnFile, "5550100"),
            Some("5550100".into())
        );
        assert_eq!(check(Factor::CardNumber, "4111"), None);
    }
}
