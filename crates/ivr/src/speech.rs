//! Matching what callers say against keyword lists from the catalogs.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Lower case, accents dropped, punctuation as spaces, single spaces:
/// "¡Español, por favor!" → "espanol por favor".
pub(crate) fn normalize(text: &str) -> String {
    let folded: String = text
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A catalog keyword message ("lost, stolen, missing card") as normalised phrases.
pub(crate) fn keywords(list: &str) -> Vec<String> {
    list.split(',')
        .map(normalize)
        .filter(|k| !k.is_empty())
        .collect()
}

/// How well normalised `text` matches `keywords`: the total length of the phrases found in it
/// as whole words (longer and more phrases weigh more), or `None` when none is found.
pub(crate) fn score(text: &str, keywords: &[String]) -> Option<usize> {
    let padded = format!(" {text} ");
    let found: usize = keywords
        .iter()
        .filter(|k| padded.contains(&format!(" {k} ")))
        .map(String::len)
        .sum();
    (found > 0).then_some(found)
}

/// Digits spoken as digits ("4 1 2 3", "4123-55"), as recognisers transcribe them.
pub(crate) fn spoken_digits(text: &str) -> Option<String> {
    let digits: String = text
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | ','))
        .collect();
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalising_drops_case_accents_and_punctuation() {
        assert_eq!(normalize("¡Español, POR favor!"), "espanol por favor");
        assert_eq!(normalize("  I lost   my card. "), "i lost my card");
    }

    #[test]
    fn keywords_match_whole_words_and_score_by_length() {
        let kws = keywords("card, lost card, stolen");
        assert_eq!(score("i lost my card", &kws), Some(4));
        assert_eq!(score("my lost card", &kws), Some(13));
        assert_eq!(score("cardboard", &kws), None);
        assert!(keywords(" , ").is_empty());
    }

    #[test]
    fn spoken_digits_are_read_back() {
        assert_eq!(spoken_digits("4 1 2 3"), Some("4123".into()));
        assert_eq!(spoken_digits("12-34"), Some("1234".into()));
        assert_eq!(spoken_digits("four"), None);
        assert_eq!(spoken_digits(" "), None);
    }
}
