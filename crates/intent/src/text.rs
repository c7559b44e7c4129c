//! What a message must look like before it is classified, and the normal form models and the
//! safety net read.

use std::fmt;

/// The longest message accepted, in characters (Unicode scalar values).
pub const MAX_CHARS: usize = 2000;

/// A message accepted for classification: trimmed, not empty, at most [`MAX_CHARS`] characters.
///
/// `Debug` shows only the length: customers paste card numbers into chat.
#[derive(Clone, PartialEq, Eq)]
pub struct Query(String);

/// Why a message cannot be classified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    #[error("the message is empty; write a few words about what the customer needs")]
    Empty,
    #[error("the message is {chars} characters long; the limit is {max} characters, shorten it")]
    TooLong { chars: usize, max: usize },
}

impl Query {
    pub fn new(text: &str) -> Result<Self, InputError> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(InputError::Empty);
        }
        let chars = trimmed.chars().count();
        if chars > MAX_CHARS {
            return Err(InputError::TooLong {
                chars,
                max: MAX_CHARS,
            });
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Query({} chars)", self.0.chars().count())
    }
}

impl std::str::FromStr for Query {
    type Err = InputError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::new(text)
    }
}

/// Lower case, apostrophes dropped ("don't" → "dont", as IVR transcripts write it), every other
/// non-alphanumeric character a single space, no leading or trailing space.
pub(crate) fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars() {
        if matches!(c, '\'' | '’' | '‘' | '`' | '´') {
            continue;
        }
        if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.extend(c.to_lowercase().filter(|l| l.is_alphanumeric()));
        } else {
            pending_space = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn empty_blank_and_long_messages_are_refused() {
        assert_eq!(Query::new(""), Err(InputError::Empty));
        assert_eq!(Query::new(" \t\n "), Err(InputError::Empty));
        let long = "a".repeat(MAX_CHARS + 1);
        assert_eq!(
            Query::new(&long),
            Err(InputError::TooLong {
                chars: MAX_CHARS + 1,
                max: MAX_CHARS
            })
        );
        // The limit counts characters, not bytes.
        assert!(Query::new(&"é".repeat(MAX_CHARS)).is_ok());
        assert_eq!(
            Query::new("  lost my card ").unwrap().as_str(),
            "lost my card"
        );
    }

    #[test]
    fn debug_does_not_show_the_text() {
        let q = Query::new("my card 5500 0000 0000 0004 was stolen").unwrap();
        let shown = format!("{q:?}");
        assert!(!shown.contains("5500"), "{shown}");
    }

    #[test]
    fn normal_form_matches_typed_and_transcribed_text() {
        assert_eq!(
            normalise("I DON'T know this payment!!"),
            "i dont know this payment"
        );
        assert_eq!(
            normalise("i dont know this payment"),
            "i dont know this payment"
        );
        assert_eq!(normalise("  top-up  failed? "), "top up failed");
        assert_eq!(normalise("Zürich ATM"), "zürich atm");
        assert_eq!(normalise("?!"), "");
    }

    proptest! {
        #[test]
        fn normal_form_is_idempotent_and_tidy(text in "\\PC{0,60}") {
            let once = normalise(&text);
            prop_assert_eq!(normalise(&once), once.clone());
            prop_assert!(!once.starts_with(' ') && !once.ends_with(' ') && !once.contains("  "));
        }
    }
}
