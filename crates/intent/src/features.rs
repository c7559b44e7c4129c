//! TF-IDF features of a message: character n-grams of the normal form (robust to misspellings and
//! missing punctuation) and a word block of stemmed content words, unordered pairs of nearby
//! content words (a linear model cannot otherwise tell "card declined" from "declined transfer" +
//! "card") and ordered bigrams of all words ("top up", "how long": stop words matter there).

use std::collections::HashMap;

use crate::codec::{ModelFileError, OutOfBounds, Reader, Writer};
use crate::text::normalise;

/// How terms are extracted and weighted.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureConfig {
    /// Shortest and longest character n-gram.
    pub char_min: usize,
    pub char_max: usize,
    /// Content words at most this far apart form a pair feature.
    pub pair_window: usize,
    /// Terms seen in fewer training messages than this are dropped (they only memorise).
    pub min_messages: u32,
    /// The L2 norm of each block after weighting.
    pub char_weight: f32,
    pub word_weight: f32,
    /// Ordered pairs of adjacent words, stop words included.
    pub bigrams: bool,
    /// Content words (and so pairs) lose a plural or verb ending: "charges", "charged" → "charg".
    pub stem: bool,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        Self {
            char_min: 1,
            char_max: 5,
            pair_window: 8,
            min_messages: 2,
            char_weight: 1.0,
            word_weight: 0.7,
            bigrams: true,
            stem: true,
        }
    }
}

/// Function words that carry no intent on their own (negations are kept on purpose).
const STOP_WORDS: &[&str] = &[
    "a", "am", "an", "and", "are", "be", "can", "do", "for", "has", "have", "i", "im", "in", "is",
    "it", "me", "my", "of", "on", "the", "this", "that", "to", "was", "you", "your",
];

/// Terms are keyed by a block tag then the term: `c` char n-gram, `o` ordered bigram, `p` word pair,
/// `w` word. The tags sort the char block before the word block, so each block is a contiguous
/// index range.
const CHAR_TAG: char = 'c';
const BIGRAM_TAG: char = 'o';
const PAIR_TAG: char = 'p';
const WORD_TAG: char = 'w';

/// A sparse vector: feature indices in increasing order and their values.
pub(crate) type SparseVector = Vec<(u32, f32)>;

/// Calls `visit` with the key of every term occurrence of a message, reusing `key` as the buffer.
fn for_each_term(
    config: &FeatureConfig,
    message: &str,
    key: &mut String,
    mut visit: impl FnMut(&str),
) {
    let normal = normalise(message);
    let padded: Vec<char> = std::iter::once(' ')
        .chain(normal.chars())
        .chain(std::iter::once(' '))
        .collect();
    for n in config.char_min..=config.char_max {
        for gram in padded.windows(n) {
            key.clear();
            key.push(CHAR_TAG);
            key.extend(gram);
            visit(key);
        }
    }
    let words: Vec<&str> = normal.split(' ').filter(|w| !w.is_empty()).collect();
    if config.bigrams {
        for pair in words.windows(2) {
            key.clear();
            key.push(BIGRAM_TAG);
            key.push_str(pair[0]);
            key.push(' ');
            key.push_str(pair[1]);
            visit(key);
        }
    }
    let content: Vec<&str> = words
        .into_iter()
        .filter(|w| !STOP_WORDS.contains(w))
        .map(|w| if config.stem { stem(w) } else { w })
        .collect();
    for (i, word) in content.iter().enumerate() {
        key.clear();
        key.push(WORD_TAG);
        key.push_str(word);
        visit(key);
        for other in content.iter().skip(i + 1).take(config.pair_window) {
            let (first, second) = if word <= other {
                (word, other)
            } else {
                (other, word)
            };
            key.clear();
            key.push(PAIR_TAG);
            key.push_str(first);
            key.push('|');
            key.push_str(second);
            visit(key);
        }
    }
}

/// A word without a plural or verb ending, if at least three letters and no final "s" are left
/// ("cards" → "card", "declined" → "declin", but "address" stays). Crude, and measured better
/// than a finer one that also joined "charge" and "charged".
fn stem(word: &str) -> &str {
    for suffix in ["ing", "ed", "es", "s"] {
        if let Some(rest) = word.strip_suffix(suffix)
            && rest.chars().count() >= 3
            && !rest.ends_with('s')
        {
            return rest;
        }
    }
    word
}

/// The vocabulary and IDF weights learned from training messages.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Featuriser {
    config: FeatureConfig,
    /// Sorted keys; a key's position is its feature index.
    keys: Vec<String>,
    index: HashMap<String, u32>,
    idf: Vec<f32>,
    /// Features below this index are char n-grams, the rest the word block.
    first_word_feature: u32,
}

impl Featuriser {
    pub(crate) fn fit(config: FeatureConfig, messages: &[&str]) -> Self {
        let mut document_frequency: HashMap<String, u32> = HashMap::new();
        let mut seen: Vec<String> = Vec::new();
        let mut key = String::new();
        for message in messages {
            seen.clear();
            for_each_term(&config, message, &mut key, |k| seen.push(k.to_owned()));
            seen.sort_unstable();
            seen.dedup();
            for k in seen.drain(..) {
                *document_frequency.entry(k).or_insert(0) += 1;
            }
        }
        let mut kept: Vec<(String, u32)> = document_frequency
            .into_iter()
            .filter(|(_, df)| *df >= config.min_messages)
            .collect();
        kept.sort_unstable();
        let n = messages.len() as f64;
        let idf = kept
            .iter()
            .map(|(_, df)| (((1.0 + n) / (1.0 + f64::from(*df))).ln() + 1.0) as f32)
            .collect();
        let keys = kept.into_iter().map(|(k, _)| k).collect();
        Self::from_parts(config, keys, idf)
    }

    fn from_parts(config: FeatureConfig, keys: Vec<String>, idf: Vec<f32>) -> Self {
        let first_word_feature = keys.partition_point(|k| k.starts_with(CHAR_TAG)) as u32;
        let index = keys
            .iter()
            .enumerate()
            .map(|(i, k)| (k.clone(), i as u32))
            .collect();
        Self {
            config,
            keys,
            index,
            idf,
            first_word_feature,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    /// Sublinear TF × IDF, each block scaled to its configured L2 norm.
    pub(crate) fn vectorise(&self, message: &str) -> SparseVector {
        let mut hits: Vec<u32> = Vec::new();
        let mut key = String::new();
        for_each_term(&self.config, message, &mut key, |k| {
            if let Some(&i) = self.index.get(k) {
                hits.push(i);
            }
        });
        hits.sort_unstable();
        let mut vector: SparseVector = Vec::with_capacity(hits.len());
        for chunk in hits.chunk_by(|a, b| a == b) {
            let feature = chunk[0];
            let tf = 1.0 + (chunk.len() as f32).ln();
            vector.push((feature, tf * self.idf[feature as usize]));
        }
        let split = vector.partition_point(|(f, _)| *f < self.first_word_feature);
        let (chars, words) = vector.split_at_mut(split);
        scale_to_norm(chars, self.config.char_weight);
        scale_to_norm(words, self.config.word_weight);
        vector
    }

    /// Keeps only the features in `keep` (sorted indices), renumbered in order.
    pub(crate) fn retain(&self, keep: &[u32]) -> Self {
        let keys = keep
            .iter()
            .map(|&i| self.keys[i as usize].clone())
            .collect();
        let idf = keep.iter().map(|&i| self.idf[i as usize]).collect();
        Self::from_parts(self.config.clone(), keys, idf)
    }

    pub(crate) fn write(&self, w: &mut Writer) {
        let c = &self.config;
        for v in [c.char_min, c.char_max, c.pair_window] {
            w.len(v);
        }
        w.u32(c.min_messages);
        w.f32(c.char_weight);
        w.f32(c.word_weight);
        w.u8(u8::from(c.bigrams) | u8::from(c.stem) << 1);
        w.len(self.keys.len());
        // Front coding: sorted neighbours share long prefixes.
        let mut previous: &str = "";
        for key in &self.keys {
            let shared = common_prefix(previous, key);
            w.varint(shared as u64);
            w.varint((key.len() - shared) as u64);
            w.bytes.extend_from_slice(&key.as_bytes()[shared..]);
            previous = key;
        }
        w.f32s(&self.idf);
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, ModelFileError> {
        let config = FeatureConfig {
            char_min: r.len()?,
            char_max: r.len()?,
            pair_window: r.len()?,
            min_messages: r.u32()?,
            char_weight: r.f32()?,
            word_weight: r.f32()?,
            bigrams: false,
            stem: false,
        };
        let flags = r.u8()?;
        if flags > 0b11 {
            return Err(ModelFileError::Malformed("unknown feature flags".into()));
        }
        let config = FeatureConfig {
            bigrams: flags & 1 != 0,
            stem: flags & 0b10 != 0,
            ..config
        };
        if config.char_min == 0 || config.char_min > config.char_max || config.char_max > 16 {
            return Err(ModelFileError::Malformed(
                "impossible character n-gram range".into(),
            ));
        }
        let n = r.len()?;
        let mut keys: Vec<String> = Vec::with_capacity(n.min(1 << 20));
        for _ in 0..n {
            let shared = usize::try_from(r.varint()?).map_err(|_| OutOfBounds)?;
            let suffix = usize::try_from(r.varint()?).map_err(|_| OutOfBounds)?;
            let previous = keys.last().map_or("", String::as_str);
            let prefix = previous
                .as_bytes()
                .get(..shared)
                .ok_or_else(|| ModelFileError::Malformed("bad vocabulary prefix".into()))?;
            let mut bytes = prefix.to_vec();
            bytes.extend_from_slice(r.bytes(suffix)?);
            let key = String::from_utf8(bytes)
                .map_err(|_| ModelFileError::Malformed("a vocabulary term is not UTF-8".into()))?;
            if previous >= key.as_str() && !keys.is_empty() {
                return Err(ModelFileError::Malformed(
                    "vocabulary terms out of order".into(),
                ));
            }
            keys.push(key);
        }
        let idf = r.f32s()?;
        if idf.len() != keys.len() {
            return Err(ModelFileError::Malformed(
                "IDF and vocabulary sizes differ".into(),
            ));
        }
        Ok(Self::from_parts(config, keys, idf))
    }
}

fn common_prefix(a: &str, b: &str) -> usize {
    a.char_indices()
        .zip(b.chars())
        .find(|((_, x), y)| x != y)
        .map_or_else(|| a.len().min(b.len()), |((i, _), _)| i)
}

fn scale_to_norm(values: &mut [(u32, f32)], norm: f32) {
    let length = values.iter().map(|(_, v)| v * v).sum::<f32>().sqrt();
    if length > 0.0 {
        for (_, v) in values {
            *v *= norm / length;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(message: &str) -> Vec<String> {
        let config = FeatureConfig {
            char_min: 2,
            char_max: 3,
            pair_window: 2,
            ..FeatureConfig::default()
        };
        let mut out = Vec::new();
        for_each_term(&config, message, &mut String::new(), |k| {
            out.push(k.to_owned())
        });
        out
    }

    #[test]
    fn terms_cover_chars_words_and_nearby_pairs() {
        let t = terms("My card, stolen!");
        assert!(t.contains(&"c c".to_owned()) && t.contains(&"cen ".to_owned()));
        assert!(t.contains(&"wcard".to_owned()) && t.contains(&"wstolen".to_owned()));
        assert!(
            !t.contains(&"wmy".to_owned()),
            "stop words are not word features"
        );
        assert!(t.contains(&"pcard|stolen".to_owned()));
        // Pairs are unordered and limited to the window.
        assert_eq!(
            terms("stolen card")
                .iter()
                .filter(|k| k.starts_with('p'))
                .count(),
            1
        );
        assert!(terms("one two three four").contains(&"pone|three".to_owned()));
        assert!(!terms("one two three four").contains(&"pfour|one".to_owned()));
        // Bigrams keep order and stop words; words and pairs are stemmed.
        let t = terms("how do I top up cards");
        assert!(t.contains(&"otop up".to_owned()) && t.contains(&"ohow do".to_owned()));
        assert!(!t.contains(&"oup top".to_owned()));
        assert!(t.contains(&"wcard".to_owned()) && t.contains(&"pcard|up".to_owned()));
    }

    #[test]
    fn stemming_drops_only_common_endings() {
        for (word, expected) in [
            ("cards", "card"),
            ("charged", "charg"),
            ("charges", "charg"),
            ("topping", "topp"),
            ("declined", "declin"),
            ("address", "address"),
            ("fees", "fee"),
            ("is", "is"),
            ("using", "using"),
            ("cafés", "café"),
        ] {
            assert_eq!(stem(word), expected, "{word}");
        }
    }

    #[test]
    fn vectors_have_one_entry_per_feature_and_unit_blocks() {
        let messages = [
            "card stolen",
            "card stolen today",
            "lost card",
            "lost phone",
        ];
        let f = Featuriser::fit(FeatureConfig::default(), &messages);
        let v = f.vectorise("card card stolen");
        assert!(v.windows(2).all(|w| w[0].0 < w[1].0));
        let norm = |block: &[(u32, f32)]| block.iter().map(|(_, x)| x * x).sum::<f32>().sqrt();
        let split = v.partition_point(|(i, _)| *i < f.first_word_feature);
        assert!((norm(&v[..split]) - 1.0).abs() < 1e-5);
        assert!((norm(&v[split..]) - 0.7).abs() < 1e-5);
        assert!(
            f.vectorise("zzz qqq").is_empty()
                || f.vectorise("zzz qqq")
                    .iter()
                    .all(|(i, _)| *i < f.first_word_feature)
        );
    }

    #[test]
    fn vocabulary_round_trips() {
        let messages = ["café au lait", "café noir", "lost my card", "lost my phone"];
        let f = Featuriser::fit(FeatureConfig::default(), &messages);
        let mut w = Writer::default();
        f.write(&mut w);
        let mut r = Reader::new(&w.bytes);
        assert_eq!(Featuriser::read(&mut r).unwrap(), f);
        r.finish().unwrap();
        assert_eq!(common_prefix("cafe", "café"), 3);
        assert_eq!(common_prefix("ab", "abc"), 2);
    }
}
