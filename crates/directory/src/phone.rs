//! Phone numbers: reading what people write, and the validated E.164 form.
//!
//! Parsing, validation and formatting are libphonenumber's (the `phonenumber` crate); this module
//! adds what it does not do for us: keypad letters without a region, international prefixes
//! without a region, and error messages that say what is wrong.

use std::fmt;

use domain::Country;
use phonenumber::metadata::DATABASE;
use phonenumber::{Mode, PhoneNumber, Type, country::Id};
use regex_cache::RegexCache;

/// Longer input is not a phone number, whatever it holds; refusing it bounds the work.
const MAX_INPUT_CHARS: usize = 64;
/// E.164 allows 15 digits.
const MAX_E164_DIGITS: usize = 15;
/// An international prefix (`011`) adds up to three.
const MAX_DIGITS: usize = 18;
/// The shortest national numbers (a few small countries) have four or five digits.
const MIN_DIGITS: usize = 4;

/// How many compiled patterns libphonenumber's metadata keeps. The crate compiles its patterns on
/// first use into one LRU cache shared by the whole database, 100 patterns by default; reading a
/// `+1` number alone tests the patterns of the 25 NANPA regions, so numbers of a few countries in
/// turn evicted each other's patterns and every unlisted number recompiled dozens of regexes
/// (p99 of a check 6.8 ms instead of 4 µs, `helpline bench directory`). Room for the whole
/// metadata means each pattern is compiled once per process; only patterns used are compiled.
const REGEX_CACHE_CAPACITY: usize = 16_384;

/// Gives libphonenumber's pattern cache [`REGEX_CACHE_CAPACITY`] slots, once per process.
fn size_regex_cache() {
    static SIZED: std::sync::Once = std::sync::Once::new();
    SIZED.call_once(|| {
        if let Ok(mut cache) = DATABASE.cache().lock() {
            *cache = RegexCache::new(REGEX_CACHE_CAPACITY);
        }
    });
}

/// Why written text is not a usable phone number. Messages never repeat the input: people paste
/// card numbers into number boxes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("no phone number was given")]
    Empty,
    #[error(
        "the text has no digits; write the number with digits (keypad letters are fine in a number such as 1-800-AXP-EARN)"
    )]
    NoDigits,
    #[error(
        "{0:?} does not belong in a phone number; use digits, spaces, + - . ( ) / and keypad letters"
    )]
    UnexpectedCharacter(char),
    #[error("a + may only start the number (as in +44 20 7946 0100)")]
    MisplacedPlus,
    #[error("the number is too short: {digits} digits")]
    TooShort { digits: usize },
    #[error(
        "the number is too long: {digits} digits, and phone numbers have at most 15 after the country code{hint}"
    )]
    TooLong { digits: usize, hint: &'static str },
    #[error("the text is too long to be a phone number (more than {MAX_INPUT_CHARS} characters)")]
    InputTooLong,
    #[error("the number starts with +{0}, which is not a country calling code")]
    UnknownCountryCode(String),
    #[error(
        "the number has no country code: write it as + and the country code (for example +44 20 7946 0100), or choose the country it belongs to"
    )]
    NeedsCountry,
    #[error("phone numbers of {0} are not known to the numbering database")]
    UnknownRegion(Country),
    #[error("this is not a valid number {place}: {why}")]
    Invalid { place: String, why: InvalidReason },
}

/// Why a number that parsed is still not a valid number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvalidReason {
    TooShort { digits: usize, shortest: u16 },
    TooLong { digits: usize, longest: u16 },
    UnassignedRange,
}

impl fmt::Display for InvalidReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InvalidReason::TooShort { digits, shortest } => write!(
                f,
                "too short ({digits} digits after the country code; numbers there have at least {shortest})"
            ),
            InvalidReason::TooLong { digits, longest } => write!(
                f,
                "too long ({digits} digits after the country code; numbers there have at most {longest})"
            ),
            InvalidReason::UnassignedRange => {
                f.write_str("no numbers there start with these digits")
            }
        }
    }
}

/// What a person wrote, reduced to an optional leading `+` and digits (keypad letters become
/// digits, punctuation goes). No allocation: this runs on every number check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Dialled {
    pub plus: bool,
    len: u8,
    digits: [u8; MAX_DIGITS],
}

impl Dialled {
    pub fn read(input: &str) -> Result<Self, PhoneError> {
        let text = input.trim();
        if text.is_empty() {
            return Err(PhoneError::Empty);
        }
        if text.chars().count() > MAX_INPUT_CHARS {
            return Err(PhoneError::InputTooLong);
        }
        let mut dialled = Dialled {
            plus: false,
            len: 0,
            digits: [0; MAX_DIGITS],
        };
        let mut count = 0usize;
        let mut letters = 0usize;
        for ch in text.chars() {
            let digit = if let Some(d) = ascii_or_fullwidth_digit(ch) {
                d
            } else if let Some(d) = keypad_digit(ch) {
                letters += 1;
                d
            } else if ch == '+' || ch == '\u{FF0B}' {
                if count > 0 || dialled.plus {
                    return Err(PhoneError::MisplacedPlus);
                }
                dialled.plus = true;
                continue;
            } else if is_separator(ch) {
                continue;
            } else {
                return Err(PhoneError::UnexpectedCharacter(ch));
            };
            if count < MAX_DIGITS {
                dialled.digits[count] = digit;
            }
            count += 1;
        }
        if count == letters {
            return Err(PhoneError::NoDigits);
        }
        let international_prefix = !dialled.plus
            && (dialled.digits.starts_with(b"00") || dialled.digits.starts_with(b"011"));
        // E.164 numbers have at most 15 digits; only an international prefix adds to that.
        if count > MAX_DIGITS || (count > MAX_E164_DIGITS && !international_prefix) {
            return Err(PhoneError::TooLong {
                digits: count,
                hint: card_number_hint(count),
            });
        }
        if count < MIN_DIGITS {
            return Err(PhoneError::TooShort { digits: count });
        }
        dialled.len = count as u8;
        Ok(dialled)
    }

    /// The digits as ASCII text.
    pub fn digits(&self) -> &str {
        // Every byte is an ASCII digit written by `read`.
        std::str::from_utf8(&self.digits[..usize::from(self.len)]).unwrap_or_default()
    }

    /// The digits after an international prefix that works from most of the world (`00`) or from
    /// North America (`011`), if the number starts with one.
    pub fn after_international_prefix(&self) -> Option<&str> {
        let digits = self.digits();
        digits
            .strip_prefix("011")
            .or_else(|| digits.strip_prefix("00"))
    }
}

fn ascii_or_fullwidth_digit(ch: char) -> Option<u8> {
    match ch {
        '0'..='9' => Some(ch as u8),
        '\u{FF10}'..='\u{FF19}' => Some(b'0' + (ch as u32 - 0xFF10) as u8),
        _ => None,
    }
}

/// The ITU E.161 keypad: ABC=2, DEF=3, GHI=4, JKL=5, MNO=6, PQRS=7, TUV=8, WXYZ=9.
fn keypad_digit(ch: char) -> Option<u8> {
    let digit = match ch.to_ascii_uppercase() {
        'A'..='C' => b'2',
        'D'..='F' => b'3',
        'G'..='I' => b'4',
        'J'..='L' => b'5',
        'M'..='O' => b'6',
        'P'..='S' => b'7',
        'T'..='V' => b'8',
        'W'..='Z' => b'9',
        _ => return None,
    };
    Some(digit)
}

pub(crate) fn is_separator(ch: char) -> bool {
    ch.is_whitespace()
        || matches!(
            ch,
            '-' | '.' | '(' | ')' | '/' | '\u{2010}'
                ..='\u{2015}'
                    | '\u{2212}'
                    | '\u{30FC}'
                    | '\u{FF08}'
                    | '\u{FF09}'
                    | '\u{FF0D}'
                    | '\u{FF0E}'
        )
}

fn card_number_hint(digits: usize) -> &'static str {
    if (13..=19).contains(&digits) {
        " (if this is a card number, never type it here or give it to a caller)"
    } else {
        ""
    }
}

/// A valid phone number in E.164 form (`+442079460100`), with its national and international
/// display forms and its region worked out once.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct E164 {
    e164: Box<str>,
    national: Box<str>,
    international: Box<str>,
    region: Option<Country>,
    kind: Type,
    /// Digits of the national significant number (the E.164 digits after the country code).
    significant_len: u8,
}

impl E164 {
    /// Reads any written form: `+44 20 7946 0100`, `(212) 555-0100`, `1-800-AXP-EARN`,
    /// `00 44 20 7946 0100`, `011 44 …`, `０１２０-０００-１００`. A number without a country code
    /// is read as a national number of `default_region`; without one it is refused with
    /// [`PhoneError::NeedsCountry`] unless it starts with `00` or `011`.
    pub fn parse(input: &str, default_region: Option<Country>) -> Result<Self, PhoneError> {
        let dialled = Dialled::read(input)?;
        Self::from_dialled(&dialled, default_region)
    }

    pub(crate) fn from_dialled(
        dialled: &Dialled,
        default_region: Option<Country>,
    ) -> Result<Self, PhoneError> {
        if dialled.plus {
            return Self::international(dialled.digits());
        }
        size_regex_cache();
        match default_region {
            Some(region) => {
                let id = region_id(region)?;
                let number = phonenumber::parse(Some(id), dialled.digits())
                    .map_err(|e| parse_error(e, dialled.digits()))?;
                Self::validated(number, Some(region))
            }
            None => match dialled.after_international_prefix() {
                Some(rest) => Self::international(rest),
                None => Err(PhoneError::NeedsCountry),
            },
        }
    }

    /// Digits that start with the country code (`442079460100`).
    pub(crate) fn international(digits: &str) -> Result<Self, PhoneError> {
        size_regex_cache();
        let with_plus = format!("+{digits}");
        let number = phonenumber::parse(None, &with_plus).map_err(|e| parse_error(e, digits))?;
        Self::validated(number, None)
    }

    fn validated(number: PhoneNumber, asked_region: Option<Country>) -> Result<Self, PhoneError> {
        if !number.is_valid() {
            return Err(invalid(&number, asked_region));
        }
        let region = number
            .country()
            .id()
            .and_then(|id| Country::parse(id.as_ref()).ok());
        let significant = number.national().to_string();
        Ok(E164 {
            // What `Mode::E164` would write, without another pass through the formatter.
            e164: format!("+{}{significant}", number.country().code()).into(),
            national: number.format().mode(Mode::National).to_string().into(),
            international: number.format().mode(Mode::International).to_string().into(),
            region,
            kind: number.number_type(&DATABASE),
            significant_len: significant.len() as u8,
        })
    }

    /// `+442079460100`
    pub fn as_str(&self) -> &str {
        &self.e164
    }

    /// The digits of the E.164 form, country code first (`442079460100`).
    pub fn digits(&self) -> &str {
        &self.e164[1..]
    }

    /// How the number is written inside its country: `020 7946 0100`, `(212) 555-0100`.
    pub fn national(&self) -> &str {
        &self.national
    }

    /// How the number is written from abroad: `+44 20 7946 0100`.
    pub fn international_format(&self) -> &str {
        &self.international
    }

    /// The country the number belongs to; `None` for non-geographic numbers (`+800`, `+882`).
    pub fn region(&self) -> Option<Country> {
        self.region
    }

    /// Free to call from inside its country.
    pub fn is_toll_free(&self) -> bool {
        self.kind == Type::TollFree
    }

    /// The ways people dial this number inside its country, as digit strings: the national
    /// format's digits (`08081570100`), the national significant number (`8081570100`), and, in
    /// countries with a trunk prefix, prefix + significant number.
    pub(crate) fn national_digit_forms(&self) -> Vec<String> {
        let Some(region) = self.region else {
            return Vec::new();
        };
        let national_digits: String = self.national.chars().filter(char::is_ascii_digit).collect();
        let significant =
            self.e164[self.e164.len() - usize::from(self.significant_len)..].to_owned();
        let mut forms = vec![national_digits, significant.clone()];
        let trunk = region_id(region)
            .ok()
            .and_then(|id| DATABASE.by_id(id.as_ref()))
            .and_then(|meta| meta.national_prefix());
        if let Some(trunk) = trunk {
            forms.push(format!("{trunk}{significant}"));
        }
        forms.sort();
        forms.dedup();
        forms
    }
}

impl PartialEq for E164 {
    fn eq(&self, other: &Self) -> bool {
        self.e164 == other.e164
    }
}

impl Eq for E164 {}

impl std::hash::Hash for E164 {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.e164.hash(state);
    }
}

impl PartialOrd for E164 {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for E164 {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.e164.cmp(&other.e164)
    }
}

impl fmt::Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.e164)
    }
}

impl fmt::Debug for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.e164)
    }
}

impl std::str::FromStr for E164 {
    type Err = PhoneError;

    /// Strict: only the international form with `+` (what the store and the API hold).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let dialled = Dialled::read(s)?;
        if !dialled.plus {
            return Err(PhoneError::NeedsCountry);
        }
        Self::international(dialled.digits())
    }
}

impl TryFrom<String> for E164 {
    type Error = PhoneError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<E164> for String {
    fn from(number: E164) -> Self {
        number.e164.into()
    }
}

fn region_id(region: Country) -> Result<Id, PhoneError> {
    region
        .code()
        .parse::<Id>()
        .map_err(|_| PhoneError::UnknownRegion(region))
}

fn parse_error(error: phonenumber::ParseError, digits: &str) -> PhoneError {
    use phonenumber::ParseError as P;
    let count = digits.len();
    match error {
        P::InvalidCountryCode => PhoneError::UnknownCountryCode(digits.chars().take(3).collect()),
        P::TooShortNsn | P::TooShortAfterIdd => PhoneError::TooShort { digits: count },
        P::TooLong | P::MalformedInteger(_) => PhoneError::TooLong {
            digits: count,
            hint: card_number_hint(count),
        },
        P::NoNumber => PhoneError::NoDigits,
    }
}

fn invalid(number: &PhoneNumber, asked_region: Option<Country>) -> PhoneError {
    let code = number.country().code();
    let meta = number
        .country()
        .id()
        .and_then(|id| DATABASE.by_id(id.as_ref()))
        .or_else(|| DATABASE.by_code(&code).and_then(|m| m.into_iter().next()));
    let place = match asked_region {
        Some(region) if meta.is_some_and(|m| m.country_code() == code) => format!("in {region}"),
        _ => match meta {
            Some(m) if m.id() != "001" => format!("for +{code} ({})", m.id()),
            _ => format!("for +{code}"),
        },
    };
    let digits = number.national().to_string().len();
    // The metadata gives lengths per number type; the general descriptor often has none.
    let lengths: Vec<u16> = meta
        .map(|m| {
            [
                Type::Unknown,
                Type::FixedLine,
                Type::Mobile,
                Type::TollFree,
                Type::PremiumRate,
            ]
            .into_iter()
            .chain([
                Type::SharedCost,
                Type::PersonalNumber,
                Type::Voip,
                Type::Uan,
            ])
            .filter_map(|kind| m.descriptors().get(kind))
            .flat_map(|d| d.possible_length().iter().copied())
            .collect()
        })
        .unwrap_or_default();
    let why = match (lengths.iter().min(), lengths.iter().max()) {
        (Some(&shortest), _) if digits < usize::from(shortest) => {
            InvalidReason::TooShort { digits, shortest }
        }
        (_, Some(&longest)) if digits > usize::from(longest) => {
            InvalidReason::TooLong { digits, longest }
        }
        _ => InvalidReason::UnassignedRange,
    };
    PhoneError::Invalid { place, why }
}
