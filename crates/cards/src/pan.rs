//! Card numbers and security codes: parsed once, never printable in full.

use std::fmt;

use zeroize::Zeroizing;

/// Why a typed card number or security code was refused. Never contains the digits themselves.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PanError {
    #[error(
        "a card number may contain only digits, spaces and dashes; remove the other characters"
    )]
    NotDigits,
    #[error("a card number has 15 or 16 digits, this one has {0}; check that none is missing")]
    WrongLength(usize),
    #[error("this card number fails its check digit (Luhn); it was probably mistyped")]
    CheckDigit,
    #[error(
        "a security code has 3 or 4 digits (the 4-digit code is on the front of 15-digit cards)"
    )]
    BadSecurityCode,
    #[error("{0:?} is not the last four digits of a card; expected exactly 4 digits")]
    BadLast4(String),
}

/// How a card number is grouped on the plastic: 15 digits as 4-6-5, 16 digits as 4-4-4-4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PanLayout {
    Fifteen,
    Sixteen,
}

impl PanLayout {
    pub const fn digits(self) -> usize {
        match self {
            PanLayout::Fifteen => 15,
            PanLayout::Sixteen => 16,
        }
    }

    /// Digits in the security code printed for this layout.
    pub const fn security_code_digits(self) -> usize {
        match self {
            PanLayout::Fifteen => 4,
            PanLayout::Sixteen => 3,
        }
    }

    const fn groups(self) -> &'static [usize] {
        match self {
            PanLayout::Fifteen => &[4, 6, 5],
            PanLayout::Sixteen => &[4, 4, 4, 4],
        }
    }

    /// `•••• •••• •••• 0005` or `•••• •••••• •0005`.
    pub fn masked(self, last4: &Last4) -> String {
        let hidden = self.digits() - 4;
        let shown: Vec<char> = "•"
            .repeat(hidden)
            .chars()
            .chain(last4.as_str().chars())
            .collect();
        let mut out = String::new();
        let mut start = 0;
        for size in self.groups() {
            if start > 0 {
                out.push(' ');
            }
            out.extend(&shown[start..start + size]);
            start += size;
        }
        out
    }
}

/// The last four digits of a card: safe to show and store.
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct Last4([u8; 4]);

impl Last4 {
    pub fn parse(text: &str) -> Result<Self, PanError> {
        match text.as_bytes() {
            [a, b, c, d] if text.bytes().all(|b| b.is_ascii_digit()) => Ok(Last4([*a, *b, *c, *d])),
            _ => Err(PanError::BadLast4(text.to_owned())),
        }
    }

    pub fn as_str(&self) -> &str {
        // Built from ASCII digits only.
        std::str::from_utf8(&self.0).unwrap_or("????")
    }
}

impl fmt::Display for Last4 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Last4 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Last4({})", self.as_str())
    }
}

impl TryFrom<String> for Last4 {
    type Error = PanError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Last4::parse(&text)
    }
}

impl From<Last4> for String {
    fn from(last4: Last4) -> Self {
        last4.as_str().to_owned()
    }
}

/// A full card number (PAN). Luhn-checked on entry; `Debug` and `Display` show only the masked
/// form; the digits are wiped from memory when it is dropped. Deliberately not `Serialize`.
#[derive(Clone, PartialEq, Eq)]
pub struct Pan {
    digits: Zeroizing<String>,
}

impl Pan {
    /// Accepts 15 or 16 digits, with spaces or dashes between them as printed on the card.
    pub fn parse(input: &str) -> Result<Self, PanError> {
        let digits = digits_only(input, PanError::NotDigits)?;
        if digits.len() != 15 && digits.len() != 16 {
            return Err(PanError::WrongLength(digits.len()));
        }
        if !luhn_valid(&digits) {
            return Err(PanError::CheckDigit);
        }
        Ok(Pan { digits })
    }

    pub fn layout(&self) -> PanLayout {
        if self.digits.len() == 15 {
            PanLayout::Fifteen
        } else {
            PanLayout::Sixteen
        }
    }

    pub fn last4(&self) -> Last4 {
        let bytes = self.digits.as_bytes();
        let tail = &bytes[bytes.len() - 4..];
        Last4([tail[0], tail[1], tail[2], tail[3]])
    }

    /// `•••• •••• •••• 0005`: the only form for screens, logs and API responses.
    pub fn masked(&self) -> String {
        self.layout().masked(&self.last4())
    }

    /// The full digits. Only for encryption, look-up hashing and showing a demo card to its
    /// owner: never log, store or send them.
    pub fn reveal(&self) -> &str {
        &self.digits
    }
}

impl fmt::Debug for Pan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pan({})", self.masked())
    }
}

impl fmt::Display for Pan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

/// A card security code (CSC/CVV/CID): 3 or 4 digits. Never stored, only verified against a
/// keyed hash; never printable.
#[derive(Clone, PartialEq, Eq)]
pub struct SecurityCode {
    digits: Zeroizing<String>,
}

impl SecurityCode {
    pub fn parse(input: &str) -> Result<Self, PanError> {
        let digits = digits_only(input.trim(), PanError::BadSecurityCode)?;
        if !(3..=4).contains(&digits.len()) {
            return Err(PanError::BadSecurityCode);
        }
        Ok(SecurityCode { digits })
    }

    /// The digits, for hashing and for showing a demo card to its owner only.
    pub fn reveal(&self) -> &str {
        &self.digits
    }
}

impl fmt::Debug for SecurityCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecurityCode(•••)")
    }
}

/// Keeps the digits of `input`, dropping spaces and dashes; anything else is `error`.
fn digits_only(input: &str, error: PanError) -> Result<Zeroizing<String>, PanError> {
    let mut digits = Zeroizing::new(String::with_capacity(input.len()));
    for c in input.trim().chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' => {}
            _ => return Err(error),
        }
    }
    Ok(digits)
}

/// The Luhn (mod 10) sum of ASCII `digits`, doubling every second digit from the right when
/// `check_digit_present`, or from the rightmost when computing a missing check digit.
fn luhn_sum(digits: &str, check_digit_present: bool) -> u32 {
    let first_doubled = if check_digit_present { 1 } else { 0 };
    digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == first_doubled {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum()
}

fn luhn_valid(digits: &str) -> bool {
    luhn_sum(digits, true).is_multiple_of(10)
}

/// The digit that makes `body` (ASCII digits) pass the Luhn check when appended.
pub(crate) fn luhn_check_digit(body: &str) -> char {
    let digit = (10 - luhn_sum(body, false) % 10) % 10;
    char::from(b'0' + digit as u8)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A Luhn-valid number built at run time, so that no valid PAN is ever written in a file.
    pub(crate) fn valid_pan_digits(body: &str) -> String {
        format!("{body}{}", luhn_check_digit(body))
    }

    #[test]
    fn luhn_check_digit_matches_the_published_worked_example() {
        // The ISO/IEC 7812 worked example: body 7992739871 has check digit 3.
        assert_eq!(luhn_check_digit("7992739871"), '3');
        assert!(luhn_valid("79927398713"));
        assert!(!luhn_valid("79927398710"));
    }

    #[test]
    fn accepts_valid_numbers_with_spaces_and_dashes() {
        let sixteen = valid_pan_digits("999900123456789");
        let spaced = format!(
            "{} {} {} {}",
            &sixteen[0..4],
            &sixteen[4..8],
            &sixteen[8..12],
            &sixteen[12..16]
        );
        let pan = Pan::parse(&spaced).unwrap();
        assert_eq!(pan.reveal(), sixteen);
        assert_eq!(pan.layout(), PanLayout::Sixteen);
        let dashed = format!("{}-{}-{}", &sixteen[0..4], &sixteen[4..10], &sixteen[10..]);
        assert_eq!(Pan::parse(&dashed).unwrap(), pan);

        let fifteen = valid_pan_digits("99990012345678");
        assert_eq!(Pan::parse(&fifteen).unwrap().layout(), PanLayout::Fifteen);
    }

    #[test]
    fn refuses_bad_numbers_with_errors_that_do_not_echo_them() {
        let good = valid_pan_digits("999900123456789");
        let last = good.chars().last().unwrap();
        let wrong_check = format!(
            "{}{}",
            &good[..15],
            if last == '9' {
                '0'
            } else {
                char::from(last as u8 + 1)
            }
        );
        let too_long = format!("{good}1234");
        let cases = [
            (wrong_check.as_str(), PanError::CheckDigit),
            (&good[..14], PanError::WrongLength(14)),
            (too_long.as_str(), PanError::WrongLength(20)),
            ("9999/0012/3456/7890", PanError::NotDigits),
            ("", PanError::WrongLength(0)),
        ];
        for (input, expected) in cases {
            let err = Pan::parse(input).unwrap_err();
            assert_eq!(err, expected, "{input:?}");
            if input.len() > 4 {
                assert!(!err.to_string().contains(&input[4..]), "{err}");
            }
        }
    }

    #[test]
    fn masked_forms_follow_the_card_layout() {
        let sixteen = Pan::parse(&valid_pan_digits("999900123456789")).unwrap();
        let last4 = sixteen.last4();
        assert_eq!(
            sixteen.masked(),
            format!("•••• •••• •••• {last4}"),
            "16-digit cards group 4-4-4-4"
        );
        let fifteen = Pan::parse(&valid_pan_digits("99990012345678")).unwrap();
        let tail = fifteen.last4();
        let expected = format!("•••• •••••• •{tail}");
        assert_eq!(fifteen.masked(), expected, "15-digit cards group 4-6-5");
        assert_eq!(
            PanLayout::Sixteen.masked(&Last4::parse("0005").unwrap()),
            "•••• •••• •••• 0005"
        );
        assert_eq!(
            PanLayout::Fifteen.masked(&Last4::parse("0005").unwrap()),
            "•••• •••••• •0005"
        );
    }

    #[test]
    fn debug_and_display_never_show_the_number() {
        let digits = valid_pan_digits("999900123456789");
        let pan = Pan::parse(&digits).unwrap();
        for shown in [
            format!("{pan:?}"),
            format!("{pan}"),
            format!("{:?}", Some(&pan)),
        ] {
            assert!(!shown.contains(&digits[..12]), "{shown}");
            assert!(shown.contains(pan.last4().as_str()), "{shown}");
        }
        let code = SecurityCode::parse("1234").unwrap();
        assert!(!format!("{code:?}").contains("1234"));
    }

    #[test]
    fn security_codes_have_three_or_four_digits() {
        assert_eq!(SecurityCode::parse(" 123 ").unwrap().reveal(), "123");
        assert_eq!(SecurityCode::parse("0042").unwrap().reveal(), "0042");
        for bad in ["12", "12345", "12a", ""] {
            assert_eq!(
                SecurityCode::parse(bad).unwrap_err(),
                PanError::BadSecurityCode
            );
        }
    }

    #[test]
    fn last4_round_trips_through_json() {
        let last4 = Last4::parse("0005").unwrap();
        let json = serde_json::to_string(&last4).unwrap();
        assert_eq!(json, "\"0005\"");
        assert_eq!(serde_json::from_str::<Last4>(&json).unwrap(), last4);
        assert!(serde_json::from_str::<Last4>("\"05\"").is_err());
    }
}
