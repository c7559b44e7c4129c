//! The flow file format (TOML) and its compiled model.
//!
//! A flow file has four tables: `[flow]` (languages, start, where a person is reached),
//! `[locales.<lang>]` (speech locale, voice, date order), `[hours.<name>]` (opening hours) and
//! `[nodes.<id>]`, each node with a `type`. `flows/demo/flow.toml` documents every field.

use std::collections::{BTreeMap, BTreeSet};

use domain::{Department, Lang, Reason, Tier};
use serde::Deserialize;
use toml::Spanned;

use crate::call::{Factor, VerificationLevel};
use crate::hours::Hours;
use crate::problem::{ProblemKind, Problems};

/// The kinds of node a flow is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeType {
    /// Speak a prompt, then go on.
    Say,
    /// Play a recorded clip, then go on.
    Play,
    /// Offer each language in its own voice; silence keeps the default.
    Language,
    /// Options by key and by spoken keyword; free speech may be classified.
    Menu,
    /// Digits into a named answer.
    Collect,
    /// Ask for identity factors one by one and have the edge check each.
    Verify,
    /// Self-service: block a lost or stolen card and order its replacement.
    ReportLost,
    /// Self-service: activate a card and set its PIN.
    Activate,
    /// Self-service: read the balance and last payment.
    Balance,
    /// Self-service: read the rewards balance.
    Rewards,
    /// Go one way or another on tier, verification, language, reason or opening hours.
    Branch,
    /// Queue for a person with everything learned so far.
    Transfer,
    /// Book a call back to the caller's number.
    Callback,
    /// Connect to an outside number.
    Dial,
    Hangup,
}

impl NodeType {
    /// The name written in flow files.
    pub fn name(self) -> &'static str {
        match self {
            NodeType::Say => "say",
            NodeType::Play => "play",
            NodeType::Language => "language",
            NodeType::Menu => "menu",
            NodeType::Collect => "collect",
            NodeType::Verify => "verify",
            NodeType::ReportLost => "report_lost",
            NodeType::Activate => "activate",
            NodeType::Balance => "balance",
            NodeType::Rewards => "rewards",
            NodeType::Branch => "branch",
            NodeType::Transfer => "transfer",
            NodeType::Callback => "callback",
            NodeType::Dial => "dial",
            NodeType::Hangup => "hangup",
        }
    }

    /// Nodes that stop and wait for the caller.
    pub fn waits_for_caller(self) -> bool {
        matches!(
            self,
            NodeType::Language
                | NodeType::Menu
                | NodeType::Collect
                | NodeType::ReportLost
                | NodeType::Activate
        )
    }

    /// Nodes where "0", "representative" and exhausted retries lead to a person.
    fn reaches_person(self) -> bool {
        self.waits_for_caller() || self == NodeType::Verify
    }

    /// Nodes that end the IVR part of the call.
    pub fn ends_call(self) -> bool {
        matches!(self, NodeType::Transfer | NodeType::Dial | NodeType::Hangup)
    }

    /// Nodes with a failure path (`on_failure`, by default the flow's `operator`).
    fn can_fail(self) -> bool {
        matches!(
            self,
            NodeType::Verify
                | NodeType::ReportLost
                | NodeType::Activate
                | NodeType::Balance
                | NodeType::Rewards
                | NodeType::Callback
        )
    }

    /// The fields a node of this type may have besides `type`.
    fn fields(self) -> &'static [&'static str] {
        match self {
            NodeType::Say => &["prompt", "pause", "next"],
            NodeType::Play => &["clip", "next"],
            NodeType::Language => &["prompt", "options", "timeout", "next"],
            NodeType::Menu => &["prompt", "options", "speech", "classify", "timeout"],
            NodeType::Collect => &[
                "prompt",
                "var",
                "min_digits",
                "max_digits",
                "terminator",
                "timeout",
                "next",
            ],
            NodeType::Verify => &["factors", "next", "on_failure"],
            NodeType::ReportLost | NodeType::Activate | NodeType::Balance | NodeType::Rewards => {
                &["requires", "next", "on_failure"]
            }
            NodeType::Branch => &["cases", "else"],
            NodeType::Transfer => &["prompt", "department", "reason"],
            NodeType::Callback => &["prompt", "department", "next", "on_failure"],
            NodeType::Dial => &["prompt", "number"],
            NodeType::Hangup => &["prompt"],
        }
    }

    /// Catalog messages the interpreter speaks at nodes of this type.
    pub(crate) fn builtin_messages(self) -> &'static [&'static str] {
        match self {
            NodeType::Language => &[msg::LANGUAGE_OFFER, msg::LANGUAGE_KEYWORDS],
            NodeType::Verify => &[
                msg::VERIFY_BAD_FORMAT,
                msg::VERIFY_MISMATCH,
                msg::VERIFY_DONE,
                msg::VERIFY_FAILED,
                msg::VERIFY_LOCKED,
            ],
            NodeType::ReportLost => &[
                msg::NOT_VERIFIED,
                msg::SERVICE_FAILED,
                msg::LOST_LOSS,
                msg::LOST_SHIPPING,
                msg::LOST_DESTINATION,
                msg::LOST_ADDRESS,
                msg::LOST_REPORTED,
                "kw-lost",
                "kw-stolen",
                "kw-standard",
                "kw-expedited",
                "kw-global",
                "kw-hotel",
                "kw-embassy",
                "kw-other",
                msg::DATE,
            ],
            NodeType::Activate => &[
                msg::NOT_VERIFIED,
                msg::SERVICE_FAILED,
                msg::ACTIVATE_PIN,
                msg::ACTIVATE_PIN_MISMATCH,
                msg::ACTIVATE_DONE,
            ],
            NodeType::Balance => &[
                msg::NOT_VERIFIED,
                msg::SERVICE_FAILED,
                msg::BALANCE_INFO,
                msg::MONEY,
                msg::DATE,
            ],
            NodeType::Rewards => &[msg::NOT_VERIFIED, msg::SERVICE_FAILED, msg::REWARDS_INFO],
            NodeType::Callback => &[msg::SERVICE_FAILED],
            _ => &[],
        }
    }
}

/// Catalog messages the interpreter itself uses.
pub(crate) mod msg {
    pub const NO_INPUT: &str = "no-input";
    pub const INVALID: &str = "invalid";
    pub const NOT_UNDERSTOOD: &str = "not-understood";
    pub const OPERATOR_KEYWORDS: &str = "kw-operator";
    /// Needed by every flow.
    pub const FLOW: &[&str] = &[NO_INPUT, INVALID, NOT_UNDERSTOOD, OPERATOR_KEYWORDS];

    pub const LANGUAGE_OFFER: &str = "language-offer";
    pub const LANGUAGE_KEYWORDS: &str = "kw-language";
    pub const VERIFY_BAD_FORMAT: &str = "verify-bad-format";
    pub const VERIFY_MISMATCH: &str = "verify-mismatch";
    pub const VERIFY_DONE: &str = "verify-done";
    pub const VERIFY_FAILED: &str = "verify-failed";
    pub const VERIFY_LOCKED: &str = "verify-locked";
    pub const NOT_VERIFIED: &str = "not-verified";
    pub const SERVICE_FAILED: &str = "service-failed";
    pub const LOST_LOSS: &str = "lost-loss";
    pub const LOST_SHIPPING: &str = "lost-shipping";
    pub const LOST_DESTINATION: &str = "lost-destination";
    pub const LOST_ADDRESS: &str = "lost-address";
    pub const LOST_REPORTED: &str = "lost-reported";
    pub const ACTIVATE_PIN: &str = "activate-pin";
    pub const ACTIVATE_PIN_MISMATCH: &str = "activate-pin-mismatch";
    pub const ACTIVATE_DONE: &str = "activate-done";
    pub const BALANCE_INFO: &str = "balance-info";
    pub const REWARDS_INFO: &str = "rewards-info";
    pub const MONEY: &str = "money";
    pub const DATE: &str = "date";
}

impl Factor {
    /// The message that asks for this factor.
    pub(crate) fn message(self) -> &'static str {
        match self {
            Factor::CardNumber => "verify-card-number",
            Factor::SecurityCode => "verify-security-code",
            Factor::DateOfBirth => "verify-date-of-birth",
            Factor::Postcode => "verify-postcode",
            Factor::PhoneOnFile => "verify-phone-on-file",
            Factor::TaxIdLast4 => "verify-tax-id-last4",
        }
    }
}

/// The order in which callers key a date of birth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateOrder {
    Mdy,
    Dmy,
    Ymd,
}

/// How prompts in one language are spoken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Locale {
    pub tag: String,
    pub voice: Option<String>,
    pub date_order: DateOrder,
}

impl Locale {
    pub(crate) fn default_for(lang: Lang) -> Self {
        let tag = match lang {
            Lang::En => "en-US",
            Lang::Es => "es-US",
            Lang::Fr => "fr-FR",
            Lang::De => "de-DE",
            Lang::It => "it-IT",
            Lang::Pt => "pt-BR",
            Lang::Ja => "ja-JP",
            Lang::Zh => "zh-CN",
            Lang::Yue => "zh-HK",
            Lang::Hi => "hi-IN",
            Lang::Ms => "ms-MY",
            Lang::Ta => "ta-IN",
            Lang::Ar => "ar-AE",
            Lang::Ko => "ko-KR",
            Lang::Ru => "ru-RU",
        };
        let date_order = match lang {
            Lang::En => DateOrder::Mdy,
            Lang::Ja | Lang::Zh | Lang::Yue | Lang::Ko => DateOrder::Ymd,
            _ => DateOrder::Dmy,
        };
        Self {
            tag: tag.to_owned(),
            voice: None,
            date_order,
        }
    }
}

/// Flow-wide settings.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Settings {
    /// Further attempts after a silent or invalid answer before a person takes over.
    pub retries: u8,
    pub timeout_secs: u8,
    /// Speech below this confidence is treated as not understood.
    pub speech_confidence: f32,
    /// Classifier results below this confidence are treated as not understood.
    pub classify_confidence: f32,
    /// Failed identity checks before the verify node gives up.
    pub verify_attempts: u8,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum NodeKind {
    Say {
        prompt: String,
        pause: u8,
        next: String,
    },
    Play {
        clip: String,
        next: String,
    },
    Language {
        prompt: String,
        options: Vec<LanguageOption>,
        timeout: Option<u8>,
        next: String,
    },
    Menu {
        prompt: String,
        options: Vec<MenuOption>,
        speech: bool,
        classify: bool,
        timeout: Option<u8>,
    },
    Collect {
        prompt: String,
        var: String,
        min_digits: u8,
        max_digits: u8,
        terminator: Option<char>,
        timeout: Option<u8>,
        next: String,
    },
    Verify {
        factors: Vec<Factor>,
        next: String,
        on_failure: Option<String>,
    },
    Service {
        service: Service,
        requires: VerificationLevel,
        next: String,
        on_failure: Option<String>,
    },
    Branch {
        cases: Vec<Case>,
        otherwise: String,
    },
    Transfer {
        prompt: Option<String>,
        department: Option<Department>,
        reason: Option<Reason>,
    },
    Callback {
        prompt: String,
        department: Option<Department>,
        next: String,
        on_failure: Option<String>,
    },
    Dial {
        prompt: Option<String>,
        number: String,
    },
    Hangup {
        prompt: Option<String>,
    },
}

impl NodeKind {
    pub fn on_failure(&self) -> Option<&str> {
        match self {
            NodeKind::Verify { on_failure, .. }
            | NodeKind::Service { on_failure, .. }
            | NodeKind::Callback { on_failure, .. } => on_failure.as_deref(),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Service {
    ReportLost,
    Activate,
    Balance,
    Rewards,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LanguageOption {
    pub digit: char,
    pub language: Lang,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MenuOption {
    pub digit: Option<char>,
    /// A catalog message listing spoken keywords, comma-separated.
    pub keywords: Option<String>,
    pub label: Option<String>,
    pub reason: Option<Reason>,
    pub department: Option<Department>,
    pub language: Option<Lang>,
    pub next: String,
}

impl MenuOption {
    /// The team this option leads to, for matching a classifier's answer.
    pub fn department(&self) -> Option<Department> {
        self.department.or(self.reason.map(Reason::department))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Case {
    pub when: Condition,
    pub next: String,
}

/// Every condition given must hold.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Condition {
    pub tier: Option<Vec<Tier>>,
    pub premium: Option<bool>,
    pub verified: Option<VerificationLevel>,
    pub language: Option<Vec<Lang>>,
    pub open: Option<String>,
    pub reason: Option<Vec<Reason>>,
}

/// A compiled flow without its catalogs.
#[derive(Debug, Clone)]
pub(crate) struct Model {
    pub id: String,
    pub name: String,
    pub languages: Vec<Lang>,
    pub default_language: Lang,
    pub start: String,
    pub operator: String,
    pub settings: Settings,
    pub locales: BTreeMap<Lang, Locale>,
    pub hours: BTreeMap<String, Hours>,
    pub nodes: BTreeMap<String, NodeKind>,
    pub types: BTreeMap<String, NodeType>,
}

// ---- The file as written, with spans ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFile {
    flow: Spanned<RawFlow>,
    #[serde(default)]
    locales: BTreeMap<Lang, RawLocale>,
    #[serde(default)]
    hours: BTreeMap<Spanned<String>, Spanned<RawHours>>,
    #[serde(default)]
    nodes: BTreeMap<Spanned<String>, Spanned<RawNode>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFlow {
    id: String,
    name: Option<String>,
    languages: Spanned<Vec<Lang>>,
    default_language: Option<Spanned<Lang>>,
    start: Spanned<String>,
    operator: Spanned<String>,
    retries: Option<Spanned<u8>>,
    timeout: Option<Spanned<u8>>,
    speech_confidence: Option<Spanned<f32>>,
    classify_confidence: Option<Spanned<f32>>,
    verify_attempts: Option<Spanned<u8>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLocale {
    tag: Option<String>,
    voice: Option<String>,
    date_order: Option<DateOrder>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHours {
    time_zone: String,
    open: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNode {
    #[serde(rename = "type")]
    kind: Spanned<NodeType>,
    prompt: Option<Spanned<String>>,
    next: Option<Spanned<String>>,
    on_failure: Option<Spanned<String>>,
    options: Option<Spanned<Vec<Spanned<RawOption>>>>,
    speech: Option<Spanned<bool>>,
    classify: Option<Spanned<bool>>,
    timeout: Option<Spanned<u8>>,
    var: Option<Spanned<String>>,
    min_digits: Option<Spanned<u8>>,
    max_digits: Option<Spanned<u8>>,
    terminator: Option<Spanned<String>>,
    factors: Option<Spanned<Vec<Factor>>>,
    requires: Option<Spanned<VerificationLevel>>,
    cases: Option<Spanned<Vec<Spanned<RawCase>>>>,
    #[serde(rename = "else")]
    otherwise: Option<Spanned<String>>,
    department: Option<Spanned<Department>>,
    reason: Option<Spanned<Reason>>,
    clip: Option<Spanned<String>>,
    pause: Option<Spanned<u8>>,
    number: Option<Spanned<String>>,
}

impl RawNode {
    /// The optional fields that are present, with where they start.
    fn present_fields(&self) -> Vec<(&'static str, usize)> {
        fn at<T>(field: &Option<Spanned<T>>) -> Option<usize> {
            field.as_ref().map(|f| f.span().start)
        }
        [
            ("prompt", at(&self.prompt)),
            ("next", at(&self.next)),
            ("on_failure", at(&self.on_failure)),
            ("options", at(&self.options)),
            ("speech", at(&self.speech)),
            ("classify", at(&self.classify)),
            ("timeout", at(&self.timeout)),
            ("var", at(&self.var)),
            ("min_digits", at(&self.min_digits)),
            ("max_digits", at(&self.max_digits)),
            ("terminator", at(&self.terminator)),
            ("factors", at(&self.factors)),
            ("requires", at(&self.requires)),
            ("cases", at(&self.cases)),
            ("else", at(&self.otherwise)),
            ("department", at(&self.department)),
            ("reason", at(&self.reason)),
            ("clip", at(&self.clip)),
            ("pause", at(&self.pause)),
            ("number", at(&self.number)),
        ]
        .into_iter()
        .filter_map(|(name, offset)| offset.map(|o| (name, o)))
        .collect()
    }

    /// Every node this one names as a way on.
    fn targets(&self) -> Vec<&Spanned<String>> {
        let mut targets: Vec<&Spanned<String>> = [&self.next, &self.on_failure, &self.otherwise]
            .into_iter()
            .flatten()
            .collect();
        if let Some(options) = &self.options {
            targets.extend(
                options
                    .get_ref()
                    .iter()
                    .filter_map(|o| o.get_ref().next.as_ref()),
            );
        }
        if let Some(cases) = &self.cases {
            targets.extend(cases.get_ref().iter().map(|c| &c.get_ref().next));
        }
        targets
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOption {
    digit: Option<Spanned<String>>,
    keywords: Option<Spanned<String>>,
    label: Option<String>,
    reason: Option<Reason>,
    department: Option<Department>,
    language: Option<Spanned<Lang>>,
    next: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCase {
    tier: Option<Vec<Tier>>,
    premium: Option<bool>,
    verified: Option<VerificationLevel>,
    language: Option<Vec<Lang>>,
    open: Option<Spanned<String>>,
    reason: Option<Vec<Reason>>,
    next: Spanned<String>,
}

// ---- Compiling ----

/// A node of the flow graph, for the structural checks.
pub(crate) struct GraphNode {
    pub id: String,
    pub offset: usize,
    pub kind: NodeType,
    /// Targets as written; missing ones are reported where they are written.
    pub edges: Vec<String>,
    /// "0", retries or a failure lead to the flow's `operator`.
    pub to_operator: bool,
}

/// Everything compiling found besides the model: what the structural and catalog checks need.
pub(crate) struct Compiled {
    pub model: Option<Model>,
    pub graph: Vec<GraphNode>,
    pub start: String,
    pub operator: String,
    /// Where the `[flow]` table starts.
    pub flow_offset: usize,
    pub languages_offset: usize,
    pub languages: Vec<Lang>,
    /// Messages referenced in the file, with where.
    pub prompts: Vec<(String, usize)>,
}

pub(crate) fn parse(problems: &mut Problems<'_>) -> Option<RawFile> {
    match toml::from_str::<RawFile>(problems.text) {
        Ok(raw) => Some(raw),
        Err(error) => {
            let offset = error.span().map(|s| s.start).unwrap_or_default();
            problems.at(
                offset,
                ProblemKind::Syntax,
                error.message().trim().to_owned(),
            );
            None
        }
    }
}

pub(crate) fn compile(raw: &RawFile, problems: &mut Problems<'_>) -> Compiled {
    let errors_before = problems.found.len();
    let flow = raw.flow.get_ref();
    let flow_offset = raw.flow.span().start;

    let languages = flow.languages.get_ref().clone();
    let languages_offset = flow.languages.span().start;
    if languages.is_empty() {
        problems.at(
            languages_offset,
            ProblemKind::BadValue,
            "`languages` is empty; list at least one, e.g. [\"en\"]",
        );
    }
    let mut seen = BTreeSet::new();
    for lang in &languages {
        if !seen.insert(lang) {
            problems.at(
                languages_offset,
                ProblemKind::BadValue,
                format!("language `{lang}` is listed twice"),
            );
        }
    }
    let default_language = match &flow.default_language {
        Some(lang) => {
            if !languages.contains(lang.get_ref()) {
                problems.at(
                    lang.span().start,
                    ProblemKind::BadValue,
                    format!(
                        "default language `{}` is not in `languages`",
                        lang.get_ref()
                    ),
                );
            }
            *lang.get_ref()
        }
        None => languages.first().copied().unwrap_or(Lang::En),
    };

    let settings = Settings {
        retries: flow.retries.as_ref().map_or(2, |r| *r.get_ref()),
        timeout_secs: flow
            .timeout
            .as_ref()
            .map_or(Some(5), |t| checked_timeout(t, problems))
            .unwrap_or(5),
        speech_confidence: confidence(flow.speech_confidence.as_ref(), 0.4, problems),
        classify_confidence: confidence(flow.classify_confidence.as_ref(), 0.6, problems),
        verify_attempts: match &flow.verify_attempts {
            Some(n) if *n.get_ref() == 0 => {
                problems.at(
                    n.span().start,
                    ProblemKind::BadValue,
                    "`verify_attempts` must be at least 1",
                );
                1
            }
            Some(n) => *n.get_ref(),
            None => 3,
        },
    };

    let locales = languages
        .iter()
        .map(|&lang| {
            let mut locale = Locale::default_for(lang);
            if let Some(raw) = raw.locales.get(&lang) {
                if let Some(tag) = &raw.tag {
                    locale.tag.clone_from(tag);
                }
                locale.voice.clone_from(&raw.voice);
                if let Some(order) = raw.date_order {
                    locale.date_order = order;
                }
            }
            (lang, locale)
        })
        .collect();

    let mut hours = BTreeMap::new();
    for (name, table) in &raw.hours {
        let table = table.get_ref();
        let open: Vec<&str> = table.open.iter().map(String::as_str).collect();
        match Hours::parse(&table.time_zone, &open) {
            Ok(h) => {
                hours.insert(name.get_ref().clone(), h);
            }
            Err(error) => problems.at(name.span().start, ProblemKind::BadValue, error.to_string()),
        }
    }

    let mut compiler = NodeCompiler {
        problems,
        languages: &languages,
        hour_names: raw.hours.keys().map(|k| k.get_ref().as_str()).collect(),
        prompts: Vec::new(),
    };
    let mut nodes = BTreeMap::new();
    let mut types = BTreeMap::new();
    let mut graph = Vec::new();
    for (id, node) in &raw.nodes {
        let offset = id.span().start;
        let raw_node = node.get_ref();
        let kind = *raw_node.kind.get_ref();
        if let Some(compiled) = compiler.node(id.get_ref(), offset, raw_node) {
            nodes.insert(id.get_ref().clone(), compiled);
        }
        types.insert(id.get_ref().clone(), kind);
        graph.push(GraphNode {
            id: id.get_ref().clone(),
            offset,
            kind,
            edges: raw_node
                .targets()
                .into_iter()
                .map(|t| t.get_ref().clone())
                .collect(),
            to_operator: kind.reaches_person()
                || (kind.can_fail() && raw_node.on_failure.is_none()),
        });
        // Targets are checked here, where their spans are known.
        for target in raw_node.targets() {
            if !raw.nodes.contains_key(target.get_ref().as_str()) {
                compiler.problems.at(
                    target.span().start,
                    ProblemKind::MissingTarget,
                    format!(
                        "node `{}` leads to `{}`, which does not exist",
                        id.get_ref(),
                        target.get_ref()
                    ),
                );
            }
        }
    }
    for (field, target) in [("start", &flow.start), ("operator", &flow.operator)] {
        if !raw.nodes.contains_key(target.get_ref().as_str()) {
            compiler.problems.at(
                target.span().start,
                ProblemKind::MissingTarget,
                format!(
                    "`{field}` names node `{}`, which does not exist",
                    target.get_ref()
                ),
            );
        }
    }
    let prompts = compiler.prompts;
    let failed = problems.found.len() > errors_before;

    Compiled {
        model: (!failed).then(|| Model {
            id: flow.id.clone(),
            name: flow.name.clone().unwrap_or_else(|| flow.id.clone()),
            languages: languages.clone(),
            default_language,
            start: flow.start.get_ref().clone(),
            operator: flow.operator.get_ref().clone(),
            settings,
            locales,
            hours,
            nodes,
            types,
        }),
        graph,
        start: flow.start.get_ref().clone(),
        operator: flow.operator.get_ref().clone(),
        flow_offset,
        languages_offset,
        languages,
        prompts,
    }
}

fn checked_timeout(timeout: &Spanned<u8>, problems: &mut Problems<'_>) -> Option<u8> {
    let value = *timeout.get_ref();
    if (1..=60).contains(&value) {
        Some(value)
    } else {
        problems.at(
            timeout.span().start,
            ProblemKind::BadValue,
            format!("timeout {value} is out of range; use 1 to 60 seconds"),
        );
        None
    }
}

fn confidence(value: Option<&Spanned<f32>>, default: f32, problems: &mut Problems<'_>) -> f32 {
    match value {
        Some(v) if !(0.0..=1.0).contains(v.get_ref()) => {
            problems.at(
                v.span().start,
                ProblemKind::BadValue,
                format!("confidence {} is out of range; use 0.0 to 1.0", v.get_ref()),
            );
            default
        }
        Some(v) => *v.get_ref(),
        None => default,
    }
}

struct NodeCompiler<'p, 'a> {
    problems: &'p mut Problems<'a>,
    languages: &'p [Lang],
    hour_names: BTreeSet<&'p str>,
    prompts: Vec<(String, usize)>,
}

impl NodeCompiler<'_, '_> {
    /// A required field's value; reports it missing at the node's header.
    fn need<'v, T>(
        &mut self,
        field: &'v Option<Spanned<T>>,
        name: &str,
        id: &str,
        offset: usize,
    ) -> Option<&'v T> {
        if field.is_none() {
            self.problems.at(
                offset,
                ProblemKind::MissingField,
                format!("node `{id}` needs `{name}`"),
            );
        }
        field.as_ref().map(Spanned::get_ref)
    }

    fn prompt(&mut self, field: &Spanned<String>) -> String {
        self.prompts
            .push((field.get_ref().clone(), field.span().start));
        field.get_ref().clone()
    }

    fn node(&mut self, id: &str, offset: usize, raw: &RawNode) -> Option<NodeKind> {
        let kind = *raw.kind.get_ref();
        let allowed = kind.fields();
        for (field, at) in raw.present_fields() {
            if !allowed.contains(&field) {
                self.problems.at(
                    at,
                    ProblemKind::UnusedField,
                    format!(
                        "`{field}` does nothing in a {} node; it may have: {}",
                        kind.name(),
                        allowed.join(", ")
                    ),
                );
            }
        }
        let prompt_field = raw.prompt.as_ref().map(|p| self.prompt(p));
        let timeout = raw
            .timeout
            .as_ref()
            .and_then(|t| checked_timeout(t, self.problems));
        let next = raw.next.as_ref().map(|n| n.get_ref().clone());
        let on_failure = raw.on_failure.as_ref().map(|n| n.get_ref().clone());
        let department = raw.department.as_ref().map(|d| *d.get_ref());
        let reason = raw.reason.as_ref().map(|r| *r.get_ref());
        let needs_prompt = matches!(
            kind,
            NodeType::Say
                | NodeType::Language
                | NodeType::Menu
                | NodeType::Collect
                | NodeType::Callback
        );
        if needs_prompt {
            self.need(&raw.prompt, "prompt", id, offset);
        }
        let needs_next = allowed.contains(&"next");
        if needs_next {
            self.need(&raw.next, "next", id, offset);
        }
        let next_or_empty = next.clone().unwrap_or_default();
        let prompt = prompt_field.clone().unwrap_or_default();
        Some(match kind {
            NodeType::Say => NodeKind::Say {
                prompt,
                pause: raw.pause.as_ref().map_or(0, |p| *p.get_ref()),
                next: next_or_empty,
            },
            NodeType::Play => NodeKind::Play {
                clip: self.need(&raw.clip, "clip", id, offset)?.clone(),
                next: next_or_empty,
            },
            NodeType::Language => NodeKind::Language {
                prompt,
                options: self.language_options(raw, id, offset)?,
                timeout,
                next: next_or_empty,
            },
            NodeType::Menu => NodeKind::Menu {
                prompt,
                options: self.menu_options(raw, id, offset)?,
                speech: raw.speech.as_ref().is_none_or(|s| *s.get_ref()),
                classify: raw.classify.as_ref().is_some_and(|c| *c.get_ref()),
                timeout,
            },
            NodeType::Collect => self.collect(raw, id, offset, prompt, timeout, next_or_empty)?,
            NodeType::Verify => {
                let factors = self.need(&raw.factors, "factors", id, offset)?;
                let unique: BTreeSet<_> = factors.iter().collect();
                if factors.is_empty() || unique.len() != factors.len() {
                    let at = raw.factors.as_ref().map_or(offset, |f| f.span().start);
                    self.problems.at(
                        at,
                        ProblemKind::BadValue,
                        "`factors` must list at least one factor, each once",
                    );
                }
                let at = raw.factors.as_ref().map_or(offset, |f| f.span().start);
                for factor in factors {
                    self.prompts.push((factor.message().to_owned(), at));
                }
                NodeKind::Verify {
                    factors: factors.clone(),
                    next: next_or_empty,
                    on_failure,
                }
            }
            NodeType::ReportLost | NodeType::Activate | NodeType::Balance | NodeType::Rewards => {
                NodeKind::Service {
                    service: match kind {
                        NodeType::ReportLost => Service::ReportLost,
                        NodeType::Activate => Service::Activate,
                        NodeType::Balance => Service::Balance,
                        _ => Service::Rewards,
                    },
                    requires: raw
                        .requires
                        .as_ref()
                        .map_or(VerificationLevel::Basic, |r| *r.get_ref()),
                    next: next_or_empty,
                    on_failure,
                }
            }
            NodeType::Branch => NodeKind::Branch {
                cases: self.cases(raw, id, offset)?,
                otherwise: self.need(&raw.otherwise, "else", id, offset)?.clone(),
            },
            NodeType::Transfer => NodeKind::Transfer {
                prompt: prompt_field,
                department,
                reason,
            },
            NodeType::Callback => NodeKind::Callback {
                prompt,
                department,
                next: next_or_empty,
                on_failure,
            },
            NodeType::Dial => {
                let number = self.need(&raw.number, "number", id, offset)?;
                let digits = number.strip_prefix('+').unwrap_or_default();
                if !(8..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit())
                {
                    let at = raw.number.as_ref().map_or(offset, |n| n.span().start);
                    self.problems.at(
                        at,
                        ProblemKind::BadValue,
                        format!("number {number:?} is not in E.164 form, e.g. \"+15550100\""),
                    );
                }
                NodeKind::Dial {
                    prompt: prompt_field,
                    number: number.clone(),
                }
            }
            NodeType::Hangup => NodeKind::Hangup {
                prompt: prompt_field,
            },
        })
    }

    /// A single key other than "0", which always reaches a person.
    fn digit(&mut self, digit: &Spanned<String>) -> Option<char> {
        let mut chars = digit.get_ref().chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) if c != '0' && (c.is_ascii_digit() || c == '*' || c == '#') => Some(c),
            _ => {
                self.problems.at(
                    digit.span().start,
                    ProblemKind::BadValue,
                    format!(
                        "digit {:?} must be one key, 1-9, * or # (0 is kept for reaching a person)",
                        digit.get_ref()
                    ),
                );
                None
            }
        }
    }

    fn unique_digit(&mut self, seen: &mut BTreeSet<char>, digit: char, at: usize) {
        if !seen.insert(digit) {
            self.problems.at(
                at,
                ProblemKind::BadValue,
                format!("digit {digit} is used by two options"),
            );
        }
    }

    fn language_options(
        &mut self,
        raw: &RawNode,
        id: &str,
        offset: usize,
    ) -> Option<Vec<LanguageOption>> {
        let options = self.need(&raw.options, "options", id, offset)?;
        let mut seen = BTreeSet::new();
        let mut compiled = Vec::new();
        for option in options {
            let at = option.span().start;
            let option = option.get_ref();
            if option.next.is_some()
                || option.keywords.is_some()
                || option.reason.is_some()
                || option.department.is_some()
                || option.label.is_some()
            {
                self.problems.at(
                    at,
                    ProblemKind::UnusedField,
                    "a language option has only `digit` and `language`; the node's `next` follows every choice",
                );
            }
            let (Some(digit), Some(language)) = (&option.digit, &option.language) else {
                self.problems.at(
                    at,
                    ProblemKind::MissingField,
                    "a language option needs `digit` and `language`",
                );
                continue;
            };
            if !self.languages.contains(language.get_ref()) {
                self.problems.at(
                    language.span().start,
                    ProblemKind::BadValue,
                    format!(
                        "language `{}` is not in the flow's `languages`",
                        language.get_ref()
                    ),
                );
            }
            if let Some(d) = self.digit(digit) {
                self.unique_digit(&mut seen, d, digit.span().start);
                compiled.push(LanguageOption {
                    digit: d,
                    language: *language.get_ref(),
                });
            }
        }
        Some(compiled)
    }

    fn menu_options(&mut self, raw: &RawNode, id: &str, offset: usize) -> Option<Vec<MenuOption>> {
        let options = self.need(&raw.options, "options", id, offset)?;
        if options.is_empty() {
            self.problems.at(
                raw.options.as_ref().map_or(offset, |o| o.span().start),
                ProblemKind::MissingField,
                format!("menu `{id}` has no options"),
            );
        }
        let mut seen = BTreeSet::new();
        let mut compiled = Vec::new();
        for option in options {
            let at = option.span().start;
            let option = option.get_ref();
            if option.digit.is_none() && option.keywords.is_none() {
                self.problems.at(
                    at,
                    ProblemKind::MissingField,
                    "a menu option needs a `digit`, `keywords` or both",
                );
            }
            let Some(next) = &option.next else {
                self.problems
                    .at(at, ProblemKind::MissingField, "a menu option needs `next`");
                continue;
            };
            if let Some(language) = &option.language
                && !self.languages.contains(language.get_ref())
            {
                self.problems.at(
                    language.span().start,
                    ProblemKind::BadValue,
                    format!(
                        "language `{}` is not in the flow's `languages`",
                        language.get_ref()
                    ),
                );
            }
            let digit = option.digit.as_ref().and_then(|d| {
                let key = self.digit(d)?;
                self.unique_digit(&mut seen, key, d.span().start);
                Some(key)
            });
            compiled.push(MenuOption {
                digit,
                keywords: option.keywords.as_ref().map(|k| self.prompt(k)),
                label: option.label.clone(),
                reason: option.reason,
                department: option.department,
                language: option.language.as_ref().map(|l| *l.get_ref()),
                next: next.get_ref().clone(),
            });
        }
        Some(compiled)
    }

    fn collect(
        &mut self,
        raw: &RawNode,
        id: &str,
        offset: usize,
        prompt: String,
        timeout: Option<u8>,
        next: String,
    ) -> Option<NodeKind> {
        let var = self.need(&raw.var, "var", id, offset)?.clone();
        let min = *self.need(&raw.min_digits, "min_digits", id, offset)?;
        let max = raw.max_digits.as_ref().map_or(min, |m| *m.get_ref());
        if min == 0 || max < min || max > 30 {
            self.problems.at(
                raw.min_digits.as_ref().map_or(offset, |m| m.span().start),
                ProblemKind::BadValue,
                format!("digits {min}..{max}: need 1 <= min_digits <= max_digits <= 30"),
            );
        }
        let terminator = match &raw.terminator {
            None => Some('#'),
            Some(t) => match t.get_ref().as_str() {
                "" => None,
                "#" => Some('#'),
                "*" => Some('*'),
                other => {
                    self.problems.at(
                        t.span().start,
                        ProblemKind::BadValue,
                        format!("terminator {other:?} must be \"#\", \"*\" or \"\" (none)"),
                    );
                    None
                }
            },
        };
        Some(NodeKind::Collect {
            prompt,
            var,
            min_digits: min,
            max_digits: max,
            terminator,
            timeout,
            next,
        })
    }

    fn cases(&mut self, raw: &RawNode, id: &str, offset: usize) -> Option<Vec<Case>> {
        let cases = self.need(&raw.cases, "cases", id, offset)?;
        if cases.is_empty() {
            self.problems.at(
                offset,
                ProblemKind::MissingField,
                format!("branch `{id}` has no cases"),
            );
        }
        let mut compiled = Vec::new();
        for case in cases {
            let at = case.span().start;
            let case = case.get_ref();
            if let Some(open) = &case.open
                && !self.hour_names.contains(open.get_ref().as_str())
            {
                self.problems.at(
                    open.span().start,
                    ProblemKind::BadValue,
                    format!("no [hours.{}] table", open.get_ref()),
                );
            }
            let when = Condition {
                tier: case.tier.clone(),
                premium: case.premium,
                verified: case.verified,
                language: case.language.clone(),
                open: case.open.as_ref().map(|o| o.get_ref().clone()),
                reason: case.reason.clone(),
            };
            if when == Condition::default() {
                self.problems.at(
                    at,
                    ProblemKind::MissingField,
                    "a case needs a condition: tier, premium, verified, language, open or reason",
                );
            }
            compiled.push(Case {
                when,
                next: case.next.get_ref().clone(),
            });
        }
        Some(compiled)
    }
}
