//! Scam reports: a cardholder or a member of staff says a number is used by scammers; an admin
//! approves (the number becomes a `reported_scam` entry) or rejects the report. A report is
//! moderated once: pending → approved | rejected, and never again.

use std::fmt;

/// Where a report stands.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    Pending,
    Approved,
    Rejected,
}

/// A moderator's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    Reject,
}

/// A report that is no longer pending cannot be moderated again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the report was already {0}; a report is moderated once")]
pub struct AlreadyModerated(pub ReportStatus);

impl ReportStatus {
    pub const ALL: &'static [ReportStatus] = &[
        ReportStatus::Pending,
        ReportStatus::Approved,
        ReportStatus::Rejected,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            ReportStatus::Pending => "pending",
            ReportStatus::Approved => "approved",
            ReportStatus::Rejected => "rejected",
        }
    }

    /// The status after `decision`; only a pending report can be moderated.
    pub fn moderate(self, decision: Decision) -> Result<ReportStatus, AlreadyModerated> {
        match (self, decision) {
            (ReportStatus::Pending, Decision::Approve) => Ok(ReportStatus::Approved),
            (ReportStatus::Pending, Decision::Reject) => Ok(ReportStatus::Rejected),
            (done, _) => Err(AlreadyModerated(done)),
        }
    }
}

impl fmt::Display for ReportStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ReportStatus {
    type Err = domain::ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ReportStatus::ALL
            .iter()
            .copied()
            .find(|status| status.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| domain::ParseError {
                kind: "report status",
                value: s.to_owned(),
                expected: "pending, approved, rejected".to_owned(),
            })
    }
}

/// The longest description a report keeps, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 1000;

/// A report's free text as it may be stored: trimmed, shortened to [`MAX_DESCRIPTION_CHARS`],
/// control characters (but newlines) dropped, and anything that looks like a card number (13 to
/// 19 digits, spaces or dashes between them, passing the Luhn check) replaced: people paste what
/// the caller asked them for.
pub fn clean_description(text: &str) -> String {
    // Control characters go before trimming, so that what they hid at the edges is trimmed too.
    let kept: String = text
        .chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .take(MAX_DESCRIPTION_CHARS)
        .collect();
    let text = kept.trim();
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            // The run of digits with single spaces or dashes between them.
            let mut end = i;
            let mut digits = String::new();
            let mut j = i;
            while j < chars.len() {
                if chars[j].is_ascii_digit() {
                    digits.push(chars[j]);
                    end = j + 1;
                    j += 1;
                } else if matches!(chars[j], ' ' | '-')
                    && chars.get(j + 1).is_some_and(char::is_ascii_digit)
                {
                    j += 1;
                } else {
                    break;
                }
            }
            if (13..=19).contains(&digits.len()) && luhn(&digits) {
                out.push_str("[card number removed]");
            } else {
                out.extend(&chars[i..end]);
            }
            i = end;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn card_numbers_are_removed_but_phone_numbers_stay() {
        let cleaned =
            clean_description("He asked for 4111 1111 1111 1111 and said call +1 800 555 0199.");
        assert_eq!(
            cleaned,
            "He asked for [card number removed] and said call +1 800 555 0199."
        );
        assert_eq!(
            clean_description("  4111-1111-1111-1112 is not a card  "),
            "4111-1111-1111-1112 is not a card"
        );
    }

    #[test]
    fn a_report_is_moderated_once() {
        assert_eq!(
            ReportStatus::Pending.moderate(Decision::Approve),
            Ok(ReportStatus::Approved)
        );
        assert_eq!(
            ReportStatus::Rejected.moderate(Decision::Approve),
            Err(AlreadyModerated(ReportStatus::Rejected))
        );
    }

    fn decision() -> impl Strategy<Value = Decision> {
        prop_oneof![Just(Decision::Approve), Just(Decision::Reject)]
    }

    proptest! {
        /// Whatever moderators do, the first decision is the one that counts.
        #[test]
        fn only_the_first_decision_counts(decisions in prop::collection::vec(decision(), 1..8)) {
            let mut status = ReportStatus::Pending;
            let mut applied = 0;
            for d in &decisions {
                if let Ok(next) = status.moderate(*d) {
                    status = next;
                    applied += 1;
                }
            }
            prop_assert_eq!(applied, 1);
            let expected = match decisions[0] {
                Decision::Approve => ReportStatus::Approved,
                Decision::Reject => ReportStatus::Rejected,
            };
            prop_assert_eq!(status, expected);
        }

        #[test]
        fn cleaning_never_panics_and_is_idempotent(text in ".{0,300}") {
            let once = clean_description(&text);
            prop_assert!(once.chars().count() <= MAX_DESCRIPTION_CHARS + 40);
            prop_assert_eq!(clean_description(&once), once.clone());
        }
    }
}
