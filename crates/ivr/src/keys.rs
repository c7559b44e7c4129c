//! Key presses gathered one at a time into the answer a `<Gather>` would send, for edges that
//! receive single keys (SIP: RFC 4733 events, INFO) rather than a provider's finished `Digits`.

use crate::{Event, Gather};

/// The keys pressed so far for one gather.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyBuffer {
    keys: String,
    num_digits: Option<u8>,
    finish_on_key: Option<char>,
}

impl KeyBuffer {
    pub fn new(gather: &Gather) -> KeyBuffer {
        KeyBuffer {
            keys: String::new(),
            num_digits: gather.num_digits,
            finish_on_key: gather.finish_on_key,
        }
    }

    /// One key. `Some(event)`: the answer is complete (the finish key, which is not part of
    /// it, or the digit count reached); `None`: wait for more (or the timeout).
    pub fn press(&mut self, key: char) -> Option<Event> {
        if self.finish_on_key == Some(key) {
            return Some(Event::digits(&std::mem::take(&mut self.keys)));
        }
        self.keys.push(key);
        let count = self.keys.chars().count();
        self.num_digits
            .is_some_and(|n| count >= usize::from(n))
            .then(|| Event::digits(&std::mem::take(&mut self.keys)))
    }

    /// The caller stopped: what they keyed so far, or no input at all.
    pub fn timeout(&mut self) -> Event {
        let keys = std::mem::take(&mut self.keys);
        if keys.is_empty() {
            Event::Silence
        } else {
            Event::digits(&keys)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn buffer(num_digits: Option<u8>, finish_on_key: Option<char>) -> KeyBuffer {
        KeyBuffer {
            keys: String::new(),
            num_digits,
            finish_on_key,
        }
    }

    #[test]
    fn like_twiml_gather() {
        let mut menu = buffer(Some(1), None);
        assert_eq!(menu.press('2'), Some(Event::digits("2")));
        let mut card = buffer(Some(19), Some('#'));
        for key in "4111111111111111".chars() {
            assert_eq!(card.press(key), None);
        }
        assert_eq!(card.press('#'), Some(Event::digits("4111111111111111")));
        assert_eq!(card.timeout(), Event::Silence);
        card.press('1');
        assert_eq!(card.timeout(), Event::digits("1"));
    }

    proptest! {
        /// Whatever is pressed, the answers sent plus what the timeout sends are exactly the
        /// keys pressed minus the finish keys, no answer is longer than the digit count, and
        /// nothing is sent twice.
        #[test]
        fn no_key_is_lost_or_sent_twice(
            keys in proptest::collection::vec(prop_oneof![Just('#'), Just('*'), proptest::char::range('0', '9')], 0..40),
            num_digits in proptest::option::of(1u8..20),
            finish in proptest::option::of(prop_oneof![Just('#'), Just('*')]),
        ) {
            let mut buffer = buffer(num_digits, finish);
            let mut sent = String::new();
            for key in &keys {
                if let Some(Event::Digits(answer)) = buffer.press(*key) {
                    let len = answer.expose().chars().count();
                    prop_assert!(num_digits.is_none_or(|n| len <= usize::from(n)));
                    sent.push_str(answer.expose());
                }
            }
            if let Event::Digits(rest) = buffer.timeout() {
                sent.push_str(rest.expose());
            }
            let want: String = keys.iter().filter(|k| Some(**k) != finish).collect();
            prop_assert_eq!(sent, want);
            prop_assert_eq!(buffer.timeout(), Event::Silence);
        }
    }
}
