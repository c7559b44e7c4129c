//! Case reference numbers a person can read aloud: `HL-3K7-9XM-4EF`.
//!
//! The alphabet has 17 characters, `2-9` and `E F H K M R W X Y`, chosen so that no two are
//! confused in writing or over the phone:
//! - dropped for sight: `0 O Q D` (round), `1 I L` (strokes), `S` (5), `B` (8), `Z` (2),
//!   `G` (6), `U V` (each other), `T` (7), `A` (4);
//! - dropped for sound: the "ee" set `B C D G P T V Z` (only `E` kept), the "ay" set `A J K`
//!   (only `K` kept), `M N` (only `M` kept), `F S`, `I Y`, `Q U`.
//!
//! Eight payload characters give 17^8 ≈ 7.0 billion references; the ninth is a check character
//! `c9` chosen so that `Σ i·cᵢ ≡ 0 (mod 17)` for positions `i = 1..=9`. Because 17 is prime and
//! the weights 1..9 are distinct and non-zero modulo 17:
//! - a substitution at position `i` changes the sum by `i·(a−b)`, never 0 mod 17;
//! - a transposition of positions `i` and `j` (adjacent or not) changes it by `(i−j)·(a−b)`,
//!   never 0 mod 17.
//!
//! So every single-character error and every swap of two characters is caught (tested
//! exhaustively below).

use std::fmt;
use std::ops::Range;

/// The characters of a reference, in value order.
const ALPHABET: &[u8; 17] = b"23456789EFHKMRWXY";
const BASE: u64 = 17;
const PAYLOAD_LEN: usize = 8;
const LEN: usize = PAYLOAD_LEN + 1;
/// Every reference starts with this; it is not part of the checked body.
pub const PREFIX: &str = "HL";
/// Letters that are not in the alphabet but are read as the digit they look like.
const LOOKALIKES: &[(u8, u8)] = &[(b'S', b'5'), (b'B', b'8'), (b'Z', b'2'), (b'G', b'6')];
/// Characters people put between groups when they write a reference down.
const SEPARATORS: &[char] = &['-', ' ', '.', '_', '/', '\u{a0}', '–', '—'];

/// A case reference number, always valid (its check character matches).
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct CaseRef([u8; LEN]);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    #[error(
        "{input:?} is not a case reference: it has {found} characters after HL where a reference has 9 (like HL-3K7-9XM-4EF)"
    )]
    WrongLength { input: String, found: usize },
    #[error(
        "{input:?} is not a case reference: {character:?} (character {position} after HL) is never used; references use only 2-9 and E F H K M R W X Y"
    )]
    BadCharacter {
        input: String,
        character: char,
        position: usize,
    },
    #[error(
        "{input:?} is not a valid case reference: its check character does not match, so a character was probably misheard or two were swapped; read it back character by character"
    )]
    CheckMismatch { input: String },
}

fn value_of(c: char) -> Option<u8> {
    if !c.is_ascii() {
        return None;
    }
    let upper = (c as u8).to_ascii_uppercase();
    let canonical = LOOKALIKES
        .iter()
        .find(|(alias, _)| *alias == upper)
        .map_or(upper, |(_, digit)| *digit);
    ALPHABET
        .iter()
        .position(|c| *c == canonical)
        .map(|v| v as u8)
}

/// The check value that makes the weighted sum of the payload plus it zero modulo 17.
fn check_value(payload: &[u8]) -> u8 {
    let sum: u64 = payload
        .iter()
        .enumerate()
        .map(|(i, v)| (i as u64 + 1) * u64::from(*v))
        .sum();
    // 9 · 2 ≡ 1 (mod 17), so dividing by the check's weight 9 is multiplying by 2.
    (((BASE - sum % BASE) * 2) % BASE) as u8
}

fn weighted_sum_is_zero(values: &[u8; LEN]) -> bool {
    let sum: u64 = values
        .iter()
        .enumerate()
        .map(|(i, v)| (i as u64 + 1) * u64::from(*v))
        .sum();
    sum.is_multiple_of(BASE)
}

impl CaseRef {
    /// A reference drawn from `random` (any u64; the edge passes fresh randomness and retries on
    /// the rare collision that the store's unique constraint reports).
    pub fn generate(random: u64) -> CaseRef {
        let mut rest = random % BASE.pow(PAYLOAD_LEN as u32);
        let mut values = [0u8; LEN];
        for slot in values[..PAYLOAD_LEN].iter_mut().rev() {
            *slot = (rest % BASE) as u8;
            rest /= BASE;
        }
        values[PAYLOAD_LEN] = check_value(&values[..PAYLOAD_LEN]);
        CaseRef(values.map(|v| ALPHABET[usize::from(v)]))
    }

    /// Reads a reference however it was written: any case, with or without `HL`, dashes or
    /// spaces, and with `S B Z G` read as `5 8 2 6`.
    pub fn parse(input: &str) -> Result<CaseRef, ReferenceError> {
        let compact: Vec<char> = input
            .trim()
            .chars()
            .filter(|c| !SEPARATORS.contains(c))
            .collect();
        let body = match compact.get(..2) {
            Some([h, l]) if h.eq_ignore_ascii_case(&'H') && l.eq_ignore_ascii_case(&'L') => {
                &compact[2..]
            }
            _ => &compact[..],
        };
        if body.len() != LEN {
            return Err(ReferenceError::WrongLength {
                input: input.to_owned(),
                found: body.len(),
            });
        }
        let mut values = [0u8; LEN];
        for (i, c) in body.iter().enumerate() {
            values[i] = value_of(*c).ok_or_else(|| ReferenceError::BadCharacter {
                input: input.to_owned(),
                character: *c,
                position: i + 1,
            })?;
        }
        if !weighted_sum_is_zero(&values) {
            return Err(ReferenceError::CheckMismatch {
                input: input.to_owned(),
            });
        }
        Ok(CaseRef(values.map(|v| ALPHABET[usize::from(v)])))
    }

    /// The nine characters without prefix or dashes, e.g. for a database column.
    pub fn compact(&self) -> &str {
        // Built only from ALPHABET, which is ASCII.
        std::str::from_utf8(&self.0).unwrap_or("")
    }

    /// The reference spelled for reading aloud: digits as words, letters in the NATO alphabet,
    /// groups separated by commas ("Hotel Lima, three Kilo seven, …").
    pub fn spoken(&self) -> String {
        let word = |c: u8| match c {
            b'2' => "two",
            b'3' => "three",
            b'4' => "four",
            b'5' => "five",
            b'6' => "six",
            b'7' => "seven",
            b'8' => "eight",
            b'9' => "nine",
            b'E' => "Echo",
            b'F' => "Foxtrot",
            b'H' => "Hotel",
            b'K' => "Kilo",
            b'M' => "Mike",
            b'R' => "Romeo",
            b'W' => "Whiskey",
            b'X' => "X-ray",
            _ => "Yankee",
        };
        let groups = self
            .0
            .chunks(3)
            .map(|group| group.iter().map(|c| word(*c)).collect::<Vec<_>>().join(" "));
        std::iter::once("Hotel Lima".to_owned())
            .chain(groups)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for CaseRef {
    /// `HL-3K7-9XM-4EF`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.compact();
        write!(f, "{PREFIX}-{}-{}-{}", &s[0..3], &s[3..6], &s[6..9])
    }
}

impl fmt::Debug for CaseRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::str::FromStr for CaseRef {
    type Err = ReferenceError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CaseRef::parse(s)
    }
}

impl TryFrom<String> for CaseRef {
    type Error = ReferenceError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        CaseRef::parse(&s)
    }
}

impl From<CaseRef> for String {
    fn from(r: CaseRef) -> Self {
        r.to_string()
    }
}

/// Every valid reference written in `text` (an email subject, a chat message), with its byte
/// range. A reference is recognised only with its `HL` prefix, at a word start, in any case and
/// with any of the usual separators; candidates whose check character fails are skipped.
pub fn find_references(text: &str) -> Vec<(Range<usize>, CaseRef)> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut start = 0;
    while start + 1 < bytes.len() {
        let at_word_start = start == 0 || !bytes[start - 1].is_ascii_alphanumeric();
        let is_prefix = bytes[start].eq_ignore_ascii_case(&b'H')
            && bytes[start + 1].eq_ignore_ascii_case(&b'L');
        if at_word_start
            && is_prefix
            && let Some((end, reference)) = reference_after_prefix(text, start + 2)
        {
            found.push((start..end, reference));
            start = end;
            continue;
        }
        start += 1;
    }
    found
}

/// Reads nine reference characters from `from`, allowing up to two separators between them.
fn reference_after_prefix(text: &str, from: usize) -> Option<(usize, CaseRef)> {
    let mut body = String::with_capacity(LEN);
    let mut end = from;
    let mut separators_in_a_row = 0;
    for (offset, c) in text[from..].char_indices() {
        if body.len() == LEN {
            break;
        }
        if SEPARATORS.contains(&c) || c == ':' || c == '#' {
            separators_in_a_row += 1;
            if separators_in_a_row > 2 {
                return None;
            }
        } else if value_of(c).is_some() {
            separators_in_a_row = 0;
            body.push(c);
            end = from + offset + c.len_utf8();
        } else {
            return None;
        }
    }
    let followed_by_word_char = text[end..]
        .chars()
        .next()
        .is_some_and(|c| c.is_alphanumeric());
    if body.len() != LEN || followed_by_word_char {
        return None;
    }
    CaseRef::parse(&body).ok().map(|r| (end, r))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn values(r: &CaseRef) -> [u8; LEN] {
        r.0.map(|c| value_of(char::from(c)).unwrap())
    }

    fn from_values(values: [u8; LEN]) -> String {
        values
            .iter()
            .map(|v| char::from(ALPHABET[usize::from(*v)]))
            .collect()
    }

    /// A spread of references: small, large and pseudo-random seeds.
    fn sample_references() -> Vec<CaseRef> {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        (0..3000u64)
            .map(|i| {
                seed = seed
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                CaseRef::generate(if i < 20 { i } else { seed })
            })
            .collect()
    }

    #[test]
    fn alphabet_has_no_confusable_characters() {
        for banned in "0O1ILSBZGUVDQTACPJN".bytes() {
            assert!(!ALPHABET.contains(&banned), "{}", char::from(banned));
        }
        assert_eq!(ALPHABET.len(), 17);
    }

    #[test]
    fn every_single_substitution_is_caught() {
        for reference in sample_references() {
            let original = values(&reference);
            for position in 0..LEN {
                for replacement in 0..BASE as u8 {
                    if replacement == original[position] {
                        continue;
                    }
                    let mut changed = original;
                    changed[position] = replacement;
                    let text = from_values(changed);
                    assert!(
                        matches!(
                            CaseRef::parse(&text),
                            Err(ReferenceError::CheckMismatch { .. })
                        ),
                        "{reference} → {text} was accepted"
                    );
                }
            }
        }
    }

    #[test]
    fn every_transposition_is_caught() {
        for reference in sample_references() {
            let original = values(&reference);
            for i in 0..LEN {
                for j in i + 1..LEN {
                    if original[i] == original[j] {
                        continue;
                    }
                    let mut swapped = original;
                    swapped.swap(i, j);
                    assert!(
                        CaseRef::parse(&from_values(swapped)).is_err(),
                        "{reference}: swapping {i} and {j} was accepted"
                    );
                }
            }
        }
    }

    #[test]
    fn the_algebra_holds_for_every_weight_and_value_pair() {
        // The two facts the sample tests rely on, checked over all possibilities.
        for weight in 1..=LEN as u64 {
            for difference in 1..BASE {
                assert_ne!(weight * difference % BASE, 0);
            }
        }
        for wi in 1..=LEN as u64 {
            for wj in wi + 1..=LEN as u64 {
                for difference in 1..BASE {
                    assert_ne!((wj - wi) * difference % BASE, 0);
                }
            }
        }
    }

    #[test]
    fn parsing_is_tolerant_of_how_people_write() {
        let reference = CaseRef::generate(123_456_789);
        let shown = reference.to_string();
        let compact = reference.compact().to_owned();
        let spaced = format!("hl {} {} {}", &compact[..3], &compact[3..6], &compact[6..]);
        for written in [
            shown.clone(),
            shown.to_lowercase(),
            compact.clone(),
            compact.to_lowercase(),
            spaced,
            format!("  HL{compact} "),
            format!("HL.{}", &compact),
            shown.replace('-', " – "),
        ] {
            assert_eq!(CaseRef::parse(&written).unwrap(), reference, "{written:?}");
        }
    }

    #[test]
    fn lookalike_letters_are_read_as_digits() {
        let reference = (0..)
            .map(CaseRef::generate)
            .find(|r| r.compact().contains('5'))
            .unwrap();
        let misread = reference.to_string().replacen('5', "S", 1);
        assert_eq!(CaseRef::parse(&misread).unwrap(), reference);
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let err = CaseRef::parse("HL-3K7-9XM").unwrap_err().to_string();
        assert!(err.contains("has 6 characters"), "{err}");
        let err = CaseRef::parse("HL-3K7-9XM-40F").unwrap_err().to_string();
        assert!(err.contains("'0'") && err.contains("character 8"), "{err}");
        let reference = CaseRef::generate(42).to_string();
        let last = reference.chars().last().unwrap();
        let wrong = if last == '2' { '3' } else { '2' };
        let typo = format!("{}{wrong}", &reference[..reference.len() - 1]);
        let err = CaseRef::parse(&typo).unwrap_err().to_string();
        assert!(err.contains("check character"), "{err}");
    }

    #[test]
    fn display_groups_in_threes_and_reads_aloud() {
        // All-zero payload: the weighted sum is already 0, so the check is the zero character.
        assert_eq!(CaseRef::generate(0).to_string(), "HL-222-222-222");
        let shown = CaseRef::generate(u64::MAX).to_string();
        assert_eq!(shown.len(), 14);
        assert_eq!(&shown[..3], "HL-");
        assert_eq!((shown.as_bytes()[6], shown.as_bytes()[10]), (b'-', b'-'));
        let spoken = CaseRef::generate(987_654_321).spoken();
        assert!(spoken.starts_with("Hotel Lima, "), "{spoken}");
        assert_eq!(spoken.matches(", ").count(), 3, "{spoken}");
    }

    #[test]
    fn references_are_found_in_subjects() {
        let reference = CaseRef::generate(77);
        let compact = reference.compact();
        let subjects = [
            format!("Re: Your case {reference} – card replaced"),
            format!("[{reference}] Re: dispute"),
            format!("RE: AW: hl {}{}", &compact[..4], &compact[4..]),
            format!("Case #HL:{compact}."),
        ];
        for subject in &subjects {
            let found = find_references(subject);
            assert_eq!(found.len(), 1, "{subject}");
            assert_eq!(found[0].1, reference, "{subject}");
        }
        assert!(find_references("PHL-222-222-222 and HL-222-222-2229").is_empty());
        assert!(find_references("Hello, help please").is_empty());
        let bad_check = format!("HL-{}-{}-{}", &compact[..3], &compact[3..6], "222");
        if CaseRef::parse(&bad_check).is_err() {
            assert!(find_references(&bad_check).is_empty());
        }
    }

    proptest! {
        #[test]
        fn generated_references_round_trip(seed in any::<u64>()) {
            let reference = CaseRef::generate(seed);
            prop_assert_eq!(CaseRef::parse(&reference.to_string()).unwrap(), reference);
            let json = serde_json::to_string(&reference).unwrap();
            prop_assert_eq!(serde_json::from_str::<CaseRef>(&json).unwrap(), reference);
            let found = find_references(&format!("re: {reference}!"));
            prop_assert_eq!(found.len(), 1);
        }

        #[test]
        fn parse_never_panics(text in ".{0,30}") {
            let _ = CaseRef::parse(&text);
            let _ = find_references(&text);
        }
    }
}
