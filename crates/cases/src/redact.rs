//! The filter every public post goes through: card numbers, amounts, street addresses, phone
//! numbers, e-mail addresses and secret codes are replaced by a label such as `[card number]`.
//!
//! It errs on the side of removing too much (a long order number or a date written with dashes
//! is removed as a phone number): a public reply should carry no numbers a person could misuse.
//! Case references (`HL-…` with a valid check character) are kept.

use std::fmt;
use std::ops::Range;

use crate::reference::find_references;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum PersonalData {
    // Declared from most to least specific: when spans overlap, the earlier label wins.
    Email,
    /// An IBAN (it may contain a card-length digit run).
    BankAccount,
    CardNumber,
    Address,
    Amount,
    Phone,
    SecretCode,
    /// Any other long digit run (account, order or document numbers).
    Number,
}

impl PersonalData {
    pub const fn label(self) -> &'static str {
        match self {
            PersonalData::Email => "[email]",
            PersonalData::BankAccount => "[account number]",
            PersonalData::CardNumber => "[card number]",
            PersonalData::Address => "[address]",
            PersonalData::Amount => "[amount]",
            PersonalData::Phone => "[phone]",
            PersonalData::SecretCode => "[code]",
            PersonalData::Number => "[number]",
        }
    }

    pub const fn description(self) -> &'static str {
        match self {
            PersonalData::Email => "e-mail address",
            PersonalData::BankAccount => "bank account number",
            PersonalData::CardNumber => "card number",
            PersonalData::Address => "address",
            PersonalData::Amount => "amount",
            PersonalData::Phone => "phone number",
            PersonalData::SecretCode => "security code",
            PersonalData::Number => "long number",
        }
    }
}

/// Where personal data was found (byte range in the original text). Holds no text itself, so
/// it is safe to log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Finding {
    pub kind: PersonalData,
    pub range: Range<usize>,
}

impl Finding {
    /// "card number, amount" for messages.
    pub fn kinds_text(findings: &[Finding]) -> String {
        let mut kinds: Vec<PersonalData> = findings.iter().map(|f| f.kind).collect();
        kinds.sort();
        kinds.dedup();
        kinds
            .iter()
            .map(|k| k.description())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The text safe to post, and what was removed.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Redacted {
    pub text: String,
    pub findings: Vec<Finding>,
}

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redacted")
            .field("text", &self.text)
            .field("findings", &self.findings)
            .finish()
    }
}

/// Removes personal data from `text`.
pub fn redact(text: &str) -> Redacted {
    let scan = Scan::new(text);
    let mut spans = Vec::new();
    scan.emails(&mut spans);
    scan.digit_runs(&mut spans);
    scan.ibans(&mut spans);
    scan.amounts(&mut spans);
    let tokens = scan.tokens();
    scan.secret_codes(&tokens, &mut spans);
    scan.addresses(&tokens, &mut spans);
    let findings = merge(spans);
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for finding in &findings {
        out.push_str(&text[last..finding.range.start]);
        out.push_str(finding.kind.label());
        last = finding.range.end;
    }
    out.push_str(&text[last..]);
    Redacted {
        text: out,
        findings,
    }
}

/// Sorts spans and merges overlapping ones, keeping the most specific label.
fn merge(mut spans: Vec<Finding>) -> Vec<Finding> {
    spans.sort_by_key(|f| (f.range.start, std::cmp::Reverse(f.range.end)));
    let mut merged: Vec<Finding> = Vec::with_capacity(spans.len());
    for span in spans {
        match merged.last_mut() {
            Some(last) if span.range.start < last.range.end => {
                last.range.end = last.range.end.max(span.range.end);
                last.kind = last.kind.min(span.kind);
            }
            _ => merged.push(span),
        }
    }
    merged
}

/// The public reply to a mention that moves the conversation to a direct message. It names the
/// handle (when it is a plausible one) and nothing else about the person.
pub fn public_reply_moving_to_dm(handle: &str, signature: &str) -> String {
    let handle = handle.trim().trim_start_matches('@');
    let plausible = (1..=30).contains(&handle.len())
        && handle
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    let mention = if plausible {
        format!("@{handle} ")
    } else {
        String::new()
    };
    let text = format!(
        "{mention}Thanks for reaching out. To keep your details safe, we've sent you a direct message: please continue there, and never post card numbers or other personal details publicly. {}",
        signature.trim()
    );
    redact(text.trim_end()).text
}

/// The first direct message after a public mention: it carries the case reference.
pub fn direct_message_opening(reference: crate::reference::CaseRef, company: &str) -> String {
    format!(
        "Hi, this is {}. We've opened case {reference} for your message and will continue here. For your security, never send your full card number, PIN or security code, not even in this chat.",
        company.trim()
    )
}

const SEPARATORS: &[char] = &[
    ' ', '-', '.', '/', '(', ')', '\u{a0}', '\u{202f}', '–', '—', '\t',
];
const MASKS: &[char] = &['x', 'X', '*', '•', '#'];
const CURRENCY_SYMBOLS: &[char] = &[
    '$', '€', '£', '¥', '₹', '₩', '₽', '₺', '₪', '₫', '฿', '₱', '₦', '₴', '₡', '₲', '₵', '₸', '¢',
    '元', '円',
];
const CURRENCY_CODES: &[&str] = &[
    "usd", "eur", "gbp", "jpy", "cny", "rmb", "hkd", "sgd", "aud", "cad", "nzd", "chf", "inr",
    "krw", "rub", "try", "ils", "brl", "mxn", "zar", "sek", "nok", "dkk", "pln", "thb", "php",
    "idr", "myr", "aed", "sar", "twd", "czk", "huf",
];
const CURRENCY_WORDS: &[&str] = &[
    "dollar", "dollars", "euro", "euros", "pound", "pounds", "yen", "yuan", "rupee", "rupees",
    "peso", "pesos", "franc", "francs", "bucks", "quid", "cents", "reais", "rubles", "roubles",
    "lira", "baht", "ringgit", "dirhams", "riyals", "pence",
];

/// Characters with their byte offsets; protected spans (case references) are blanked.
struct Scan {
    chars: Vec<char>,
    offsets: Vec<usize>,
}

#[derive(Debug, Clone)]
struct Token {
    start: usize,
    end: usize,
    /// Lowercase text of a word, or the punctuation character.
    lower: String,
    word: bool,
    capitalised: bool,
}

impl Token {
    fn is(&self, s: &str) -> bool {
        self.lower == s
    }

    fn is_number(&self) -> bool {
        self.word && self.lower.chars().all(|c| c.is_ascii_digit())
    }
}

fn is_digit(c: char) -> bool {
    c.is_numeric()
}

impl Scan {
    fn new(text: &str) -> Self {
        let mut chars = Vec::with_capacity(text.len());
        let mut offsets = Vec::with_capacity(text.len() + 1);
        for (offset, c) in text.char_indices() {
            chars.push(c);
            offsets.push(offset);
        }
        offsets.push(text.len());
        for (range, _) in find_references(text) {
            for (i, offset) in offsets.iter().enumerate().take(chars.len()) {
                if range.contains(offset) {
                    chars[i] = '_';
                }
            }
        }
        Scan { chars, offsets }
    }

    fn at(&self, i: usize) -> Option<char> {
        self.chars.get(i).copied()
    }

    fn span(&self, kind: PersonalData, start: usize, end: usize) -> Finding {
        Finding {
            kind,
            range: self.offsets[start]..self.offsets[end],
        }
    }

    /// `name@domain.tld`, also with `(at)`/`[at]` and `(dot)`/`[dot]` written out.
    fn emails(&self, spans: &mut Vec<Finding>) {
        let local = |c: char| c.is_alphanumeric() || "._%+-'".contains(c);
        let mut i = 0;
        while i < self.chars.len() {
            let Some(after_at) = self.at_sign(i) else {
                i += 1;
                continue;
            };
            let mut left = i;
            while left > 0 && self.at(left - 1).is_some_and(local) {
                left -= 1;
            }
            // "name at example dot com" counts only with the dot written out too, so that
            // "charged at Amazon.com" stays.
            let plain_at = self.at(i) == Some(' ')
                && self.at(i + 1) != Some(' ')
                && !matches!(self.at(i + 1), Some('(' | '[' | '{' | '<'));
            if let Some((end, written_dot)) = self.domain(after_at)
                && left < i
                && (written_dot || !plain_at)
            {
                spans.push(self.span(PersonalData::Email, left, end));
                i = end;
            } else {
                i = after_at;
            }
        }
    }

    /// If an at-sign (or a written-out `(at)`) starts at `i`, where the domain starts.
    fn at_sign(&self, i: usize) -> Option<usize> {
        match self.at(i)? {
            '@' | '＠' => Some(i + 1),
            ' ' | '(' | '[' | '{' | '<' => {
                let word_at = |j: usize| -> Option<String> {
                    Some(
                        self.chars
                            .get(j..j + 2)?
                            .iter()
                            .collect::<String>()
                            .to_lowercase(),
                    )
                };
                let mut j = i;
                if self.at(j) == Some(' ') {
                    j += 1;
                }
                let skip_space = |k: usize| if self.at(k) == Some(' ') { k + 1 } else { k };
                let close = match self.at(j)? {
                    '(' => ')',
                    '[' => ']',
                    '{' => '}',
                    '<' => '>',
                    _ => {
                        // " at " written as a word.
                        let plain = i < j && word_at(j)? == "at" && self.at(j + 2) == Some(' ');
                        return plain.then_some(j + 3);
                    }
                };
                (word_at(j + 1)? == "at" && self.at(j + 3) == Some(close))
                    .then(|| skip_space(j + 4))
            }
            _ => None,
        }
    }

    /// A domain of two or more labels from `i`; returns its end and whether a dot was written
    /// out as a word.
    fn domain(&self, i: usize) -> Option<(usize, bool)> {
        let label = |c: char| c.is_alphanumeric() || c == '-';
        let mut j = i;
        let mut labels = 0;
        let mut written_dot = false;
        let mut last_label = (i, i);
        loop {
            let start = j;
            while self.at(j).is_some_and(label) {
                j += 1;
            }
            if j == start {
                break;
            }
            labels += 1;
            last_label = (start, j);
            match self.dot(j) {
                Some(next) if self.at(next).is_some_and(label) => {
                    written_dot |= self.at(j) != Some('.');
                    j = next;
                }
                _ => break,
            }
        }
        let tld_alphabetic = last_label.1 - last_label.0 >= 2
            && self.chars[last_label.0..last_label.1]
                .iter()
                .all(|c| c.is_alphabetic());
        (labels >= 2 && tld_alphabetic).then_some((last_label.1, written_dot))
    }

    /// A dot, or a written-out `(dot)`/`[dot]`/` dot `, at `i`; returns where the next label starts.
    fn dot(&self, i: usize) -> Option<usize> {
        if self.at(i) == Some('.') {
            return Some(i + 1);
        }
        let word_at = |j: usize, len: usize| -> String {
            self.chars
                .get(j..(j + len).min(self.chars.len()))
                .map(|w| w.iter().collect::<String>().to_lowercase())
                .unwrap_or_default()
        };
        let skip_space = |j: usize| if self.at(j) == Some(' ') { j + 1 } else { j };
        let bracketed = skip_space(i);
        if ["(dot)", "[dot]", "{dot}"].contains(&word_at(bracketed, 5).as_str()) {
            return Some(skip_space(bracketed + 5));
        }
        (word_at(i, 5) == " dot ").then_some(i + 5)
    }

    /// Runs of digits with separators: card numbers (13–19 digits, masked or not), phone
    /// numbers (7–12, or any with `+`/parentheses up to 15) and other long numbers.
    fn digit_runs(&self, spans: &mut Vec<Finding>) {
        let mut i = 0;
        while i < self.chars.len() {
            let c = self.chars[i];
            let leader = (c == '+' || c == '(') && self.at(i + 1).is_some_and(is_digit);
            if !(is_digit(c) || leader || self.mask_group(i) > 0) {
                i += 1;
                continue;
            }
            let start = i;
            let phone_style = leader;
            let mut j = if leader { i + 1 } else { i };
            let (mut digits, mut masked, mut parentheses, mut end) = (0, 0, leader && c == '(', j);
            loop {
                let group_start = j;
                while self.at(j).is_some_and(is_digit) {
                    j += 1;
                }
                digits += j - group_start;
                if j == group_start {
                    let mask = self.mask_group(j);
                    if mask == 0 {
                        break;
                    }
                    masked += mask;
                    j += mask;
                }
                end = j;
                let Some(next) = self.separator_group(j) else {
                    break;
                };
                parentheses |= self.chars[j..next].contains(&'(');
                j = next;
            }
            let total = digits + masked;
            let kind = if (phone_style || parentheses) && (7..=15).contains(&digits) && masked == 0
            {
                Some(PersonalData::Phone)
            } else if (13..=19).contains(&total) && digits >= 4 {
                Some(PersonalData::CardNumber)
            } else if total > 19 {
                Some(PersonalData::Number)
            } else if (7..=12).contains(&digits) {
                Some(PersonalData::Phone)
            } else {
                None
            };
            if let Some(kind) = kind {
                // A parenthesis opens a phone number's area code, but only encloses anything else.
                let start = if c == '(' && kind != PersonalData::Phone {
                    start + 1
                } else {
                    start
                };
                spans.push(self.span(kind, start, end));
            }
            i = end.max(i + 1);
        }
    }

    /// International bank account numbers: `GB29 NWBK 6016 1331 9268 19`.
    fn ibans(&self, spans: &mut Vec<Finding>) {
        let upper_or_digit =
            |c: Option<char>| c.is_some_and(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        for i in 0..self.chars.len() {
            let word_start = i == 0 || !self.chars[i - 1].is_alphanumeric();
            let country = self.chars[i..].iter().take(2).all(char::is_ascii_uppercase);
            let check = self
                .chars
                .get(i + 2..i + 4)
                .is_some_and(|d| d.iter().all(char::is_ascii_digit));
            if !(word_start && country && check) {
                continue;
            }
            let (mut j, mut count, mut end) = (i, 0, i);
            loop {
                if upper_or_digit(self.at(j)) {
                    count += 1;
                    j += 1;
                    end = j;
                } else if self.at(j) == Some(' ') && upper_or_digit(self.at(j + 1)) {
                    j += 1;
                } else {
                    break;
                }
            }
            if (15..=34).contains(&count) {
                spans.push(self.span(PersonalData::BankAccount, i, end));
            }
        }
    }

    /// Length of a mask group (`****`, `xxxx`, `••••`) at `i`: two or more mask characters not
    /// inside a word.
    fn mask_group(&self, i: usize) -> usize {
        let mut j = i;
        while self.at(j).is_some_and(|c| MASKS.contains(&c)) {
            j += 1;
        }
        let inside_word = (i > 0 && self.at(i - 1).is_some_and(char::is_alphabetic))
            || self.at(j).is_some_and(char::is_alphabetic);
        if j - i >= 2 && !inside_word { j - i } else { 0 }
    }

    /// One to three separators (or a single comma) followed by a digit or a mask group;
    /// returns where that digit starts.
    fn separator_group(&self, i: usize) -> Option<usize> {
        let continues = |j: usize| self.at(j).is_some_and(is_digit) || self.mask_group(j) > 0;
        if self.at(i) == Some(',') && continues(i + 1) {
            return Some(i + 1);
        }
        let mut j = i;
        while j - i < 3 && self.at(j).is_some_and(|c| SEPARATORS.contains(&c)) {
            j += 1;
        }
        (j > i && continues(j)).then_some(j)
    }

    /// Numbers next to a currency symbol, code or word, and numbers with exactly two decimals.
    fn amounts(&self, spans: &mut Vec<Finding>) {
        let mut i = 0;
        while i < self.chars.len() {
            let starts_number = self.at(i).is_some_and(is_digit)
                && (i == 0
                    || !self
                        .at(i - 1)
                        .is_some_and(|c| c.is_alphanumeric() && !CURRENCY_SYMBOLS.contains(&c)));
            if !starts_number {
                i += 1;
                continue;
            }
            let (end, two_decimals) = self.amount_number(i);
            let before = self.currency_before(i);
            let after = self.currency_after(end);
            let percent = self.at(end) == Some('%');
            if before.is_some() || after.is_some() || (two_decimals && !percent) {
                let mut start = before.unwrap_or(i);
                if start > 0 && matches!(self.at(start - 1), Some('-' | '+' | '−')) {
                    start -= 1;
                }
                spans.push(self.span(PersonalData::Amount, start, after.unwrap_or(end)));
            }
            i = end.max(i + 1);
        }
    }

    /// The end of an amount starting at `i` (thousands groups, decimals, a k/m/bn suffix), and
    /// whether it has exactly two decimals.
    fn amount_number(&self, i: usize) -> (usize, bool) {
        let digits_from = |j: usize| {
            let mut k = j;
            while self.at(k).is_some_and(|c| c.is_ascii_digit()) {
                k += 1;
            }
            k - j
        };
        let mut j = i + digits_from(i);
        loop {
            let grouping = matches!(
                self.at(j),
                Some(',' | '.' | '\'' | ' ' | '\u{a0}' | '\u{202f}')
            );
            let group = digits_from(j + 1);
            // Thousands (1,000,000) or Indian lakh grouping (1,00,000).
            let lakh = group == 2 && self.at(j) == Some(',') && self.at(j + 3) == Some(',');
            if grouping && (group == 3 || lakh) {
                j += 1 + group;
            } else {
                break;
            }
        }
        let mut two_decimals = false;
        if matches!(self.at(j), Some('.' | ',')) {
            let decimals = digits_from(j + 1);
            if (1..=2).contains(&decimals) {
                two_decimals = decimals == 2;
                j += 1 + decimals;
            }
        }
        let suffix: String = self.chars[j..(j + 3).min(self.chars.len())]
            .iter()
            .collect::<String>()
            .to_lowercase();
        for s in ["bn", "k", "m"] {
            let after = j + s.len();
            if suffix.starts_with(s) && !self.at(after).is_some_and(char::is_alphanumeric) {
                j = after;
                break;
            }
        }
        (j, two_decimals)
    }

    /// Where a currency marker directly before `i` (at most one space between) starts.
    fn currency_before(&self, i: usize) -> Option<usize> {
        let mut j = i;
        if j > 0 && matches!(self.at(j - 1), Some(' ' | '\u{a0}')) {
            j -= 1;
        }
        let c = self.at(j.checked_sub(1)?)?;
        if CURRENCY_SYMBOLS.contains(&c) {
            // Include a country prefix such as US$, HK$, R$.
            let mut k = j - 1;
            while k > 0 && k + 3 > j && self.at(k - 1).is_some_and(|c| c.is_ascii_uppercase()) {
                k -= 1;
            }
            return Some(k);
        }
        let mut k = j;
        while k > 0 && self.at(k - 1).is_some_and(char::is_alphabetic) {
            k -= 1;
        }
        let word: String = self.chars[k..j].iter().collect::<String>().to_lowercase();
        (CURRENCY_CODES.contains(&word.as_str()) || word == "rs").then_some(k)
    }

    /// Where a currency marker directly after `end` (at most one space between) ends.
    fn currency_after(&self, end: usize) -> Option<usize> {
        let mut j = end;
        if matches!(self.at(j), Some(' ' | '\u{a0}')) {
            j += 1;
        }
        if self.at(j).is_some_and(|c| CURRENCY_SYMBOLS.contains(&c)) {
            return Some(j + 1);
        }
        let mut k = j;
        while self.at(k).is_some_and(char::is_alphabetic) {
            k += 1;
        }
        let word: String = self.chars[j..k].iter().collect::<String>().to_lowercase();
        (CURRENCY_CODES.contains(&word.as_str()) || CURRENCY_WORDS.contains(&word.as_str()))
            .then_some(k)
    }

    /// Words (letters, digits, apostrophes) and single punctuation characters.
    fn tokens(&self) -> Vec<Token> {
        let mut tokens = Vec::new();
        let mut i = 0;
        let in_word = |c: char| c.is_alphanumeric() || c == '\'' || c == '’';
        while i < self.chars.len() {
            let c = self.chars[i];
            if c.is_whitespace() {
                i += 1;
            } else if in_word(c) {
                let start = i;
                while self.at(i).is_some_and(in_word) {
                    i += 1;
                }
                let text: String = self.chars[start..i].iter().collect();
                tokens.push(Token {
                    start,
                    end: i,
                    capitalised: text.chars().next().is_some_and(char::is_uppercase),
                    lower: text.to_lowercase(),
                    word: true,
                });
            } else {
                tokens.push(Token {
                    start: i,
                    end: i + 1,
                    lower: c.to_string(),
                    word: false,
                    capitalised: false,
                });
                i += 1;
            }
        }
        tokens
    }

    /// A number of 3 to 8 digits within four words after "PIN", "CVV", "security code"…
    fn secret_codes(&self, tokens: &[Token], spans: &mut Vec<Finding>) {
        const SINGLE: &[&str] = &[
            "pin",
            "cvv",
            "cvv2",
            "cvc",
            "cvc2",
            "cid",
            "csc",
            "passcode",
            "password",
            "otp",
            "ssn",
            "code",
            "passcodes",
            "pins",
        ];
        for (k, token) in tokens.iter().enumerate() {
            if !(token.word && SINGLE.contains(&token.lower.as_str())) {
                continue;
            }
            for next in tokens.iter().skip(k + 1).take(5) {
                if next.is_number() && (3..=8).contains(&next.lower.len()) {
                    spans.push(self.span(PersonalData::SecretCode, next.start, next.end));
                    break;
                }
                if next.is(".") || next.is("?") || next.is("!") {
                    break;
                }
            }
        }
    }

    fn addresses(&self, tokens: &[Token], spans: &mut Vec<Finding>) {
        for k in 0..tokens.len() {
            let found = number_first_address(tokens, k)
                .or_else(|| number_then_street_type(tokens, k))
                .or_else(|| street_type_then_number(tokens, k))
                .or_else(|| compound_street_then_number(tokens, k))
                .or_else(|| post_office_box(tokens, k))
                .or_else(|| postcode(tokens, k).map(|(_, end)| end));
            if let Some(end) = found {
                let end = extend_address(tokens, end);
                spans.push(self.span(PersonalData::Address, tokens[k].start, tokens[end].end));
            }
        }
    }
}

/// Street types that end an English-style address ("12 Elm Street"). Common words among them
/// ("way", "park", "place"…) count only when capitalised.
const STRONG_SUFFIXES: &[&str] = &[
    "street",
    "st",
    "avenue",
    "ave",
    "av",
    "road",
    "rd",
    "boulevard",
    "blvd",
    "lane",
    "ln",
    "drive",
    "dr",
    "parkway",
    "pkwy",
    "highway",
    "hwy",
    "terrace",
    "crescent",
    "cres",
    "plaza",
    "expressway",
    "turnpike",
    "alley",
    "broadway",
];
const WEAK_SUFFIXES: &[&str] = &[
    "way", "place", "pl", "court", "ct", "close", "square", "sq", "circle", "cir", "park", "row",
    "hill", "grove", "gardens", "trail", "mews", "walk", "green", "rise", "view",
];
/// Street types written before the name ("rue de Rivoli", "Calle Mayor", "Via Roma").
const PREFIX_TYPES: &[&str] = &[
    "rue",
    "avenue",
    "av",
    "boulevard",
    "bd",
    "chemin",
    "allée",
    "impasse",
    "quai",
    "calle",
    "avenida",
    "via",
    "viale",
    "corso",
    "piazza",
    "rua",
    "travessa",
    "praça",
    "carrer",
    "paseo",
    "plaza",
    "calzada",
    "largo",
];
/// Endings of one-word street names ("Hauptstraße 5", "Kalverstraat 12").
const COMPOUND_ENDINGS: &[&str] = &[
    "straße", "strasse", "str", "weg", "gasse", "allee", "platz", "damm", "ufer", "chaussee",
    "straat", "laan", "plein", "gracht", "gatan", "vägen", "gade", "vej",
];
const STOPWORDS: &[&str] = &[
    "the", "a", "an", "and", "or", "in", "on", "at", "to", "for", "my", "your", "our", "their",
    "is", "was", "were", "are", "be", "i", "you", "we", "they", "it", "this", "that", "with",
    "from", "by", "of", "days", "times", "cards", "hours", "minutes", "weeks", "months", "years",
    "people", "items", "more", "than", "not", "no", "just", "only", "about", "all",
];
const UNIT_WORDS: &[&str] = &[
    "apt",
    "apartment",
    "suite",
    "ste",
    "unit",
    "flat",
    "floor",
    "fl",
    "room",
    "rm",
    "building",
    "bldg",
    "#",
];
const US_STATES: &[&str] = &[
    "al", "ak", "az", "ar", "ca", "co", "ct", "de", "dc", "fl", "ga", "hi", "id", "il", "in", "ia",
    "ks", "ky", "la", "me", "md", "ma", "mi", "mn", "ms", "mo", "mt", "ne", "nv", "nh", "nj", "nm",
    "ny", "nc", "nd", "oh", "ok", "or", "pa", "ri", "sc", "sd", "tn", "tx", "ut", "vt", "va", "wa",
    "wv", "wi", "wy", "pr",
];

/// A house number: 1–6 digits, optionally with one or two letters ("221B"), not an ordinal.
fn house_number(token: &Token) -> bool {
    let digits = token
        .lower
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .count();
    let rest = &token.lower[digits..];
    token.word
        && (1..=6).contains(&digits)
        && rest.len() <= 2
        && rest.chars().all(|c| c.is_ascii_alphabetic())
        && !["st", "nd", "rd", "th"].contains(&rest)
}

fn name_word(token: &Token) -> bool {
    token.word && !STOPWORDS.contains(&token.lower.as_str()) && !token.is_number()
}

/// Skips a "." right after a token (abbreviations: "St.", "Ave.").
fn after_dot(tokens: &[Token], k: usize) -> usize {
    if tokens.get(k + 1).is_some_and(|t| t.is(".")) {
        k + 1
    } else {
        k
    }
}

/// "1600 Pennsylvania Avenue", "221B Baker Street", "12 High St." (returns the last token).
fn number_first_address(tokens: &[Token], k: usize) -> Option<usize> {
    if !house_number(tokens.get(k)?) {
        return None;
    }
    let mut j = k + 1;
    // A range ("12-14 Elm Street").
    if tokens.get(j).is_some_and(|t| t.is("-")) && tokens.get(j + 1).is_some_and(Token::is_number) {
        j += 2;
    }
    let names_from = j;
    while j < tokens.len() && j - names_from <= 5 {
        let token = &tokens[j];
        let lower = token.lower.as_str();
        let strong = STRONG_SUFFIXES.contains(&lower);
        let weak = WEAK_SUFFIXES.contains(&lower);
        if j > names_from && (strong || weak) {
            let names = &tokens[names_from..j];
            let capitalised = token.capitalised
                && names
                    .iter()
                    .all(|t| t.capitalised || !t.lower.starts_with(char::is_alphabetic));
            if strong || capitalised {
                let mut end = after_dot(tokens, j);
                // "Elm Park Gardens": a street type may itself be followed by another.
                while let Some(next) = tokens.get(end + 1)
                    && next.capitalised
                    && (STRONG_SUFFIXES.contains(&next.lower.as_str())
                        || WEAK_SUFFIXES.contains(&next.lower.as_str()))
                {
                    end = after_dot(tokens, end + 1);
                }
                if let Some(direction) = tokens.get(end + 1)
                    && [
                        "n", "s", "e", "w", "ne", "nw", "se", "sw", "north", "south", "east",
                        "west",
                    ]
                    .contains(&direction.lower.as_str())
                    && direction.capitalised
                {
                    end += 1;
                }
                return Some(end);
            }
        }
        let ordinal = token.lower.len() > 2
            && token.lower.starts_with(|c: char| c.is_ascii_digit())
            && ["st", "nd", "rd", "th"]
                .iter()
                .any(|s| token.lower.ends_with(s));
        if !(name_word(token) || ordinal) {
            return None;
        }
        j += 1;
    }
    None
}

/// "12 rue de Rivoli", "5, avenue des Champs-Élysées".
fn number_then_street_type(tokens: &[Token], k: usize) -> Option<usize> {
    if !house_number(tokens.get(k)?) {
        return None;
    }
    let mut j = k + 1;
    if tokens.get(j).is_some_and(|t| t.is(",")) {
        j += 1;
    }
    let street_type = tokens.get(j)?;
    if !PREFIX_TYPES.contains(&street_type.lower.as_str()) {
        return None;
    }
    name_words_after(tokens, j)
}

/// The last of one to four name words (joined by hyphens or apostrophes) after `j`.
fn name_words_after(tokens: &[Token], j: usize) -> Option<usize> {
    let mut end = None;
    let mut k = j + 1;
    while k < tokens.len() && k - j <= 6 {
        let token = &tokens[k];
        if token.word && !token.is_number() {
            end = Some(k);
        } else if !(token.is("-") || token.is("'")) {
            break;
        }
        k += 1;
    }
    end
}

/// "Calle Mayor 3", "Via Roma, 10", "Avenida Paulista 1578".
fn street_type_then_number(tokens: &[Token], k: usize) -> Option<usize> {
    let street_type = tokens.get(k)?;
    if !(street_type.word && PREFIX_TYPES.contains(&street_type.lower.as_str())) {
        return None;
    }
    let mut j = k + 1;
    while j < tokens.len() && j - k <= 5 {
        let token = &tokens[j];
        if house_number(token) && j > k + 1 {
            return Some(j);
        }
        if !(token.word || token.is(",") || token.is("-")) {
            return None;
        }
        j += 1;
    }
    None
}

/// "Hauptstraße 5", "Musterweg 12a", "Kalverstraat 92".
fn compound_street_then_number(tokens: &[Token], k: usize) -> Option<usize> {
    let street = tokens.get(k)?;
    let compound = street.word
        && COMPOUND_ENDINGS.iter().any(|ending| {
            street.lower.ends_with(ending)
                && street.lower.chars().count() >= ending.chars().count() + 3
        });
    if !compound {
        return None;
    }
    let j = after_dot(tokens, k) + 1;
    tokens.get(j).is_some_and(house_number).then_some(j)
}

/// "PO Box 123", "P.O. Box 4", "Post Office Box 9", "Postfach 100".
fn post_office_box(tokens: &[Token], k: usize) -> Option<usize> {
    let words: Vec<&str> = tokens[k..]
        .iter()
        .filter(|t| !t.is("."))
        .take(4)
        .map(|t| t.lower.as_str())
        .collect();
    let skip = match words.as_slice() {
        ["po", "box", ..] | ["p", "o", "box", ..] | ["post", "office", "box", ..] => {
            words.iter().position(|w| *w == "box")?
        }
        ["postfach" | "apartado" | "casilla", ..] => 0,
        _ => return None,
    };
    let mut seen = 0;
    for (j, token) in tokens.iter().enumerate().skip(k) {
        if token.is(".") {
            continue;
        }
        if seen > skip {
            return token.is_number().then_some(j);
        }
        seen += 1;
    }
    None
}

/// A postal code that identifies a place by itself: a UK or Canadian postcode, or a US state
/// abbreviation and ZIP. Returns the (first, last) token.
fn postcode(tokens: &[Token], k: usize) -> Option<(usize, usize)> {
    let first = tokens.get(k)?;
    let original_upper =
        first.capitalised && first.lower.chars().all(|c| c.is_ascii_alphanumeric());
    let second = tokens.get(k + 1);
    let shape = |t: &Token| -> String {
        t.lower
            .chars()
            .map(|c| {
                if c.is_ascii_digit() {
                    '9'
                } else if c.is_ascii_alphabetic() {
                    'a'
                } else {
                    '?'
                }
            })
            .collect()
    };
    if original_upper && let Some(second) = second {
        let (a, b) = (shape(first), shape(second));
        let uk_outward = ["a9", "a99", "aa9", "aa99", "a9a", "aa9a"].contains(&a.as_str());
        if (uk_outward && b == "9aa") || (a == "a9a" && b == "9a9") {
            return Some((k, k + 1));
        }
        let zip = second.is_number() && second.lower.len() == 5;
        if US_STATES.contains(&first.lower.as_str()) && first.lower.len() == 2 && zip {
            let plus_four = tokens.get(k + 2).is_some_and(|t| t.is("-"))
                && tokens
                    .get(k + 3)
                    .is_some_and(|t| t.is_number() && t.lower.len() == 4);
            return Some((k, if plus_four { k + 3 } else { k + 1 }));
        }
    }
    None
}

/// Extends an address over a following unit, city, state and postal code
/// ("…, Apt 4B, Springfield, IL 62704").
fn extend_address(tokens: &[Token], end: usize) -> usize {
    let mut best = end;
    let mut j = end + 1;
    while j < tokens.len() && j - end <= 10 {
        let token = &tokens[j];
        if token.is(",") {
            j += 1;
        } else if UNIT_WORDS.contains(&token.lower.as_str()) {
            match tokens.get(j + 1) {
                Some(next) if next.word => {
                    best = j + 1;
                    j += 2;
                }
                Some(next) if next.is(".") && tokens.get(j + 2).is_some_and(|t| t.word) => {
                    best = j + 2;
                    j += 3;
                }
                _ => break,
            }
        } else if let Some((_, last)) = postcode(tokens, j) {
            return last;
        } else if token.is_number() && token.lower.len() == 5 {
            // A bare ZIP after the city.
            return j;
        } else if token.word && token.capitalised {
            j += 1;
        } else {
            break;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check(input: &str, expected: &str) {
        let got = redact(input).text;
        assert_eq!(got, expected, "input: {input:?}");
    }

    /// A Luhn-valid number built at run time, so that none sits in the source.
    fn luhn_card(prefix: &str, len: usize, seed: u64) -> String {
        let mut digits: Vec<u32> = prefix.chars().map(|c| c.to_digit(10).unwrap()).collect();
        let mut s = seed;
        while digits.len() < len - 1 {
            s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            digits.push(((s >> 33) % 10) as u32);
        }
        let sum: u32 = digits
            .iter()
            .rev()
            .enumerate()
            .map(|(i, d)| {
                if i % 2 == 0 {
                    let x = d * 2;
                    if x > 9 { x - 9 } else { x }
                } else {
                    *d
                }
            })
            .sum();
        digits.push((10 - sum % 10) % 10);
        digits
            .iter()
            .map(|d| char::from_digit(*d, 10).unwrap())
            .collect()
    }

    fn grouped(number: &str, sep: &str) -> String {
        number
            .as_bytes()
            .chunks(4)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join(sep)
    }

    #[test]
    fn card_numbers_in_any_writing_are_removed() {
        let visa = luhn_card("4", 16, 1);
        let amex = luhn_card("37", 15, 2);
        for (input, expected) in [
            (
                format!("my card {visa} was declined"),
                "my card [card number] was declined",
            ),
            (
                format!("card: {}", grouped(&visa, " ")),
                "card: [card number]",
            ),
            (
                format!("card: {}.", grouped(&visa, "-")),
                "card: [card number].",
            ),
            (format!("({})", grouped(&visa, ".")), "([card number])"),
            (format!("amex {}", &amex), "amex [card number]"),
            (
                format!("amex {} {} {}", &amex[..4], &amex[4..10], &amex[10..]),
                "amex [card number]",
            ),
            (format!("typo {}", &visa[..13]), "typo [card number]"),
            (format!("ref{visa}!"), "ref[card number]!"),
            (grouped(&visa, ","), "[card number]"),
        ] {
            check(&input, expected);
        }
        check(
            "it's xxxx xxxx xxxx 1234 please",
            "it's [card number] please",
        );
        check("card **** **** **** 4321", "card [card number]");
        check("card ending 4321 is fine", "card ending 4321 is fine");
        let fullwidth: String = visa
            .chars()
            .map(|c| char::from_u32(0xFF10 + c.to_digit(10).unwrap()).unwrap())
            .collect();
        check(&format!("番号 {fullwidth} です"), "番号 [card number] です");
    }

    #[test]
    fn phone_numbers_are_removed() {
        for (input, expected) in [
            (
                "call me on +1 (212) 555-0147 tonight",
                "call me on [phone] tonight",
            ),
            ("212-555-0147", "[phone]"),
            ("212.555.0147 or 555 0148", "[phone] or [phone]"),
            ("UK: +44 20 7946 0958", "UK: [phone]"),
            ("mobile 07700 900123", "mobile [phone]"),
            ("+33 1 23 45 67 89", "[phone]"),
            ("(555) 010-9999", "[phone]"),
            ("ring 5550147", "ring [phone]"),
            ("+8613800138000", "[phone]"),
        ] {
            check(input, expected);
        }
    }

    #[test]
    fn emails_are_removed() {
        for (input, expected) in [
            (
                "write to jane.doe+bank@example.co.uk thanks",
                "write to [email] thanks",
            ),
            ("Email: JOHN_SMITH@Example.com.", "Email: [email]."),
            ("mailto:a@b.io", "mailto:[email]"),
            ("me (at) example (dot) com", "[email]"),
            ("me[at]example[dot]org", "[email]"),
            ("k.lee at gmail dot com", "[email]"),
            ("charged at Amazon.com", "charged at Amazon.com"),
            ("see you at the bank", "see you at the bank"),
            ("josé@correo.es", "[email]"),
            ("@ExampleCard help!", "@ExampleCard help!"),
            ("meet @ 5pm", "meet @ 5pm"),
        ] {
            check(input, expected);
        }
    }

    #[test]
    fn amounts_are_removed() {
        for (input, expected) in [
            ("charged $45.99 twice", "charged [amount] twice"),
            ("a $1,250 charge", "a [amount] charge"),
            ("refund of €12,50", "refund of [amount]"),
            ("£ 300 missing", "[amount] missing"),
            ("USD 2,000.00 pending", "[amount] pending"),
            ("paid 150 USD", "paid [amount]"),
            ("paid 150usd", "paid [amount]"),
            ("It was 3317 JPY", "It was [amount]"),
            ("¥3,317", "[amount]"),
            ("about 20 dollars", "about [amount]"),
            ("fee 39.00", "fee [amount]"),
            ("-$20 refund", "[amount] refund"),
            ("US$1.5k", "[amount]"),
            ("R$ 250,00", "[amount]"),
            ("₹1,00,000", "[amount]"),
            ("rates rose 2.25%", "rates rose 2.25%"),
            ("3 cards and 2 days", "3 cards and 2 days"),
        ] {
            check(input, expected);
        }
    }

    #[test]
    fn addresses_are_removed() {
        for (input, expected) in [
            (
                "send it to 221B Baker Street please",
                "send it to [address] please",
            ),
            (
                "I live at 1600 Pennsylvania Avenue NW, Washington, DC 20500",
                "I live at [address]",
            ),
            ("12 elm st. apt 4", "[address]"),
            (
                "742 Evergreen Terrace, Springfield",
                "[address], Springfield",
            ),
            (
                "350 Fifth Ave, Suite 300, New York, NY 10118.",
                "[address].",
            ),
            ("10 Downing Street, London SW1A 2AA", "[address]"),
            ("12-14 High Rd", "[address]"),
            ("55 West 42nd Street", "[address]"),
            ("12 rue de Rivoli, Paris", "[address], Paris"),
            ("Calle Mayor 3, Madrid", "[address], Madrid"),
            ("Avenida Paulista, 1578", "[address]"),
            ("Hauptstraße 5, 10115 Berlin", "[address] Berlin"),
            ("Kalverstraat 92", "[address]"),
            ("PO Box 1234", "[address]"),
            ("P.O. Box 77, Austin TX 78701", "[address]"),
            ("postcode EC1A 1BB", "postcode [address]"),
            ("Ottawa K1A 0B1", "Ottawa [address]"),
            ("zip: NY 10001", "zip: [address]"),
            ("5 Elm Park Gardens", "[address]"),
        ] {
            check(input, expected);
        }
    }

    #[test]
    fn ordinary_sentences_are_left_alone() {
        for text in [
            "I waited 3 days and nobody answered.",
            "We'll be on the way in 2 minutes",
            "I walked 3 miles in the park",
            "It's been 2 weeks, please help!",
            "My flight is at 10:30 tomorrow",
            "Thanks @ExampleCard, you're the best",
            "Order #12 arrived",
            "Your case HL-222-222-222 is resolved",
            "Call us on the number on the back of your card",
        ] {
            check(text, text);
        }
    }

    #[test]
    fn bank_account_numbers_are_removed() {
        check(
            "IBAN GB29 NWBK 6016 1331 9268 19 please",
            "IBAN [account number] please",
        );
        check("DE89370400440532013000", "[account number]");
        check("my account no. is 12345678", "my account no. is [phone]");
        check("GB29 is not an IBAN", "GB29 is not an IBAN");
    }

    #[test]
    fn secret_codes_are_removed() {
        for (input, expected) in [
            ("my PIN is 4821", "my PIN is [code]"),
            ("cvv: 123", "cvv: [code]"),
            (
                "the code they texted was 482913",
                "the code they texted was [code]",
            ),
            ("SSN 123-45-6789", "SSN [phone]"),
        ] {
            check(input, expected);
        }
    }

    #[test]
    fn realistic_posts_keep_their_sense() {
        let card = grouped(&luhn_card("5", 16, 9), " ");
        let post = format!(
            "@ExampleCard you charged me $89.99 twice on card {card}!! Call me at (415) 555-0123 or email kim.lee@example.net. I'm at 88 Colin P Kelly Jr Street, San Francisco, CA 94107"
        );
        let out = redact(&post);
        assert_eq!(
            out.text,
            "@ExampleCard you charged me [amount] twice on card [card number]!! Call me at [phone] or email [email]. I'm at [address]"
        );
        assert_eq!(
            Finding::kinds_text(&out.findings),
            "e-mail address, card number, address, amount, phone number"
        );
        let shown = format!("{out:?}");
        assert!(!shown.contains("kim.lee"), "{shown}");
    }

    #[test]
    fn the_public_reply_template_is_clean() {
        let reply = public_reply_moving_to_dm("@kim_lee", "^AB");
        assert!(reply.starts_with("@kim_lee Thanks"), "{reply}");
        assert!(reply.ends_with("^AB"), "{reply}");
        assert!(redact(&reply).findings.is_empty());
        let odd = public_reply_moving_to_dm("kim lee <script>", "");
        assert!(odd.starts_with("Thanks"), "{odd}");
        let reference = crate::reference::CaseRef::generate(5);
        let dm = direct_message_opening(reference, "Example Card Co.");
        assert!(dm.contains(&reference.to_string()), "{dm}");
        assert!(redact(&dm).findings.is_empty(), "{dm}");
    }

    fn words() -> impl Strategy<Value = String> {
        let word = prop::sample::select(vec![
            "hello",
            "my",
            "card",
            "was",
            "charged",
            "twice",
            "please",
            "help",
            "@ExampleCard",
            "thanks",
            "!",
            "?",
            ",",
            "call",
            "me",
            "at",
            "the",
            "bank",
            "today",
            "3",
            "days",
            "on",
            "since",
            "x",
            "(",
            ")",
            "-",
            ":",
            "#",
            "2",
            "pm",
            "Street",
            "way",
        ]);
        prop::collection::vec(word, 0..12).prop_map(|w| w.join(" "))
    }

    /// The digit runs left in a text (digits joined by separators), for checking.
    fn longest_digit_run(text: &str) -> usize {
        let mut longest = 0;
        let mut current = 0;
        let mut gap = 0;
        for c in text.chars() {
            if c.is_numeric() {
                current += 1;
                gap = 0;
                longest = longest.max(current);
            } else if !c.is_alphanumeric() && gap < 3 {
                gap += 1;
            } else {
                current = 0;
                gap = 0;
            }
        }
        longest
    }

    proptest! {
        #[test]
        fn embedded_card_numbers_never_survive(
            before in words(), after in words(), seed in any::<u64>(),
            len in 13usize..=19, sep in prop::sample::select(vec!["", " ", "-", ".", "  ", " - "]),
        ) {
            let card = grouped(&luhn_card("4", len, seed), sep);
            let text = format!("{before} {card} {after}");
            let out = redact(&text).text;
            prop_assert!(!out.contains(&card), "{out}");
            prop_assert!(longest_digit_run(&out) < 7, "{out}");
        }

        #[test]
        fn embedded_emails_never_survive(
            before in words(), after in words(),
            user in "[a-z][a-z0-9._+-]{0,15}[a-z0-9]", host in "[a-z][a-z0-9-]{0,10}[a-z]",
            tld in prop::sample::select(vec!["com", "org", "co.uk", "io", "example"]),
        ) {
            let email = format!("{user}@{host}.{tld}");
            let out = redact(&format!("{before} {email} {after}")).text;
            prop_assert!(!out.contains(&email), "{out}");
            prop_assert!(!out.contains(&format!("@{host}")), "{out}");
        }

        #[test]
        fn embedded_phone_numbers_never_survive(
            before in words(), after in words(),
            area in 200u32..999, exchange in 200u32..999, line in 0u32..10_000,
            style in 0usize..6,
        ) {
            let phone = match style {
                0 => format!("+1 ({area}) {exchange}-{line:04}"),
                1 => format!("{area}-{exchange}-{line:04}"),
                2 => format!("{area}.{exchange}.{line:04}"),
                3 => format!("+44 {area} {exchange} {line:04}"),
                4 => format!("0{area}{exchange}{line:04}"),
                _ => format!("({area}){exchange} {line:04}"),
            };
            let out = redact(&format!("{before} {phone} {after}")).text;
            prop_assert!(!out.contains(&phone), "{out}");
            prop_assert!(longest_digit_run(&out) < 7, "{out}");
        }

        #[test]
        fn redaction_is_idempotent_and_never_panics(text in ".{0,200}") {
            let once = redact(&text).text;
            let twice = redact(&once);
            prop_assert_eq!(&twice.text, &once);
        }
    }
}
