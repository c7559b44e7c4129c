//! PINs chosen at activation: 4 to 6 digits, not trivially guessable.

use std::fmt;

use zeroize::Zeroizing;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PinError {
    #[error("a PIN has 4 to 6 digits and nothing else")]
    Format,
    #[error(
        "this PIN is too easy to guess ({0}); choose digits that are not a run, a repeat or a keypad line"
    )]
    Trivial(&'static str),
}

/// A PIN that passed the rules. Never printable; wiped when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct Pin {
    digits: Zeroizing<String>,
}

/// Keypad lines people pick because they are easy to type.
const KEYPAD_LINES: &[&str] = &["2580", "0852", "147258", "852741", "369258", "159753"];

impl Pin {
    pub fn parse(input: &str) -> Result<Self, PinError> {
        let digits = Zeroizing::new(input.trim().to_owned());
        if !(4..=6).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PinError::Format);
        }
        if let Some(why) = triviality(digits.as_bytes()) {
            return Err(PinError::Trivial(why));
        }
        Ok(Pin { digits })
    }

    /// The digits, for hashing only.
    pub(crate) fn reveal(&self) -> &str {
        &self.digits
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pin(••••)")
    }
}

/// Why the digits are guessable, if they are.
fn triviality(d: &[u8]) -> Option<&'static str> {
    let steps: Vec<i16> = d
        .windows(2)
        .map(|w| i16::from(w[1]) - i16::from(w[0]))
        .collect();
    if steps.iter().all(|&s| s == 0) {
        return Some("all the same digit");
    }
    if steps.iter().all(|&s| s == 1) {
        return Some("an ascending run");
    }
    if steps.iter().all(|&s| s == -1) {
        return Some("a descending run");
    }
    // A short block said again: 1212, 123123, 121212.
    let repeats = (1..=d.len() / 2)
        .filter(|period| d.len().is_multiple_of(*period))
        .any(|period| d.chunks(period).all(|chunk| chunk == &d[..period]));
    if repeats {
        return Some("a repeated pattern");
    }
    if KEYPAD_LINES.iter().any(|line| line.as_bytes() == d) {
        return Some("a line on the keypad");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pin_rules() {
        let cases: &[(&str, Result<(), PinError>)] = &[
            ("4821", Ok(())),
            ("902714", Ok(())),
            ("07391", Ok(())),
            ("0000", Err(PinError::Trivial("all the same digit"))),
            ("999999", Err(PinError::Trivial("all the same digit"))),
            ("1234", Err(PinError::Trivial("an ascending run"))),
            ("456789", Err(PinError::Trivial("an ascending run"))),
            ("4321", Err(PinError::Trivial("a descending run"))),
            ("1212", Err(PinError::Trivial("a repeated pattern"))),
            ("123123", Err(PinError::Trivial("a repeated pattern"))),
            ("2580", Err(PinError::Trivial("a line on the keypad"))),
            ("123", Err(PinError::Format)),
            ("1234567", Err(PinError::Format)),
            ("12a4", Err(PinError::Format)),
            ("", Err(PinError::Format)),
        ];
        for (input, expected) in cases {
            assert_eq!(Pin::parse(input).map(|_| ()), *expected, "{input:?}");
        }
    }

    #[test]
    fn errors_and_debug_never_show_the_pin() {
        let err = Pin::parse("0000").unwrap_err().to_string();
        assert!(!err.contains("0000"), "{err}");
        let pin = Pin::parse("4821").unwrap();
        assert!(!format!("{pin:?}").contains("4821"));
    }
}
