//! Identity verification for the IVR, chat and agents: factors combine into a level; risky
//! actions need the strong level; repeated failures lock the channel and raise a fraud signal.
//!
//! Levels:
//! - **strong**: card number + security code and one more factor, or three other factors
//!   one of which is the last four of the tax id;
//! - **basic**: card number + security code alone, or any two other factors;
//! - **none**: anything less.

use std::collections::BTreeSet;
use std::fmt;

use domain::{CardId, CardholderId, Channel, Timestamp};
use jiff::SignedDuration;
use jiff::civil::Date;

use crate::contact::PhoneNumber;
use crate::events::Event;
use crate::pan::{Pan, SecurityCode};
use crate::secrets::{Keys, PanLookup, SecurityCodeHash};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Factor {
    CardAndCode,
    DateOfBirth,
    Postcode,
    PhoneOnFile,
    TaxIdLast4,
}

impl fmt::Display for Factor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Factor::CardAndCode => "card number and security code",
            Factor::DateOfBirth => "date of birth",
            Factor::Postcode => "postcode",
            Factor::PhoneOnFile => "phone number on file",
            Factor::TaxIdLast4 => "last four digits of the tax id",
        })
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    None,
    Basic,
    Strong,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::None => "none",
            Level::Basic => "basic",
            Level::Strong => "strong",
        })
    }
}

/// The level a set of passed factors reaches (see the module documentation).
pub fn level_of(passed: &BTreeSet<Factor>) -> Level {
    let card = passed.contains(&Factor::CardAndCode);
    let others = passed.len() - usize::from(card);
    let tax_id = passed.contains(&Factor::TaxIdLast4);
    if (card && others >= 1) || (others >= 3 && tax_id) {
        Level::Strong
    } else if card || others >= 2 {
        Level::Basic
    } else {
        Level::None
    }
}

/// What verification gates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    ViewAccount,
    ActivateCard,
    LockCard,
    UnlockCard,
    ReportLostOrStolen,
    FileDispute,
    ChangeAddress,
    ChangeContact,
    ReplaceToNewAddress,
    TransferRewards,
}

impl Action {
    /// Risky actions (those that move the card, the points or the contacts elsewhere) need
    /// strong verification; everything else basic.
    pub const fn required_level(self) -> Level {
        if self.is_risky() {
            Level::Strong
        } else {
            Level::Basic
        }
    }

    pub const fn is_risky(self) -> bool {
        matches!(
            self,
            Action::ChangeAddress
                | Action::ChangeContact
                | Action::ReplaceToNewAddress
                | Action::TransferRewards
        )
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Action::ViewAccount => "viewing the account",
            Action::ActivateCard => "activating a card",
            Action::LockCard => "locking a card",
            Action::UnlockCard => "unlocking a card",
            Action::ReportLostOrStolen => "reporting a card lost or stolen",
            Action::FileDispute => "filing a dispute",
            Action::ChangeAddress => "changing the address",
            Action::ChangeContact => "changing the phone or email",
            Action::ReplaceToNewAddress => "sending a replacement to a new address",
            Action::TransferRewards => "transferring rewards points",
        })
    }
}

/// Lockout rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VerificationPolicy {
    pub max_failures: u8,
    pub lockout: SignedDuration,
}

impl Default for VerificationPolicy {
    /// Three failed attempts lock the channel for 30 minutes.
    fn default() -> Self {
        Self {
            max_failures: 3,
            lockout: SignedDuration::from_mins(30),
        }
    }
}

/// What the caller said in one attempt; any subset.
#[derive(Debug, Clone, Default)]
pub struct Answers {
    pub card: Option<(Pan, SecurityCode)>,
    pub date_of_birth: Option<Date>,
    pub postcode: Option<String>,
    /// The number the caller gives, or the caller id the telephony adapter saw.
    pub phone: Option<String>,
    pub tax_id_last4: Option<String>,
}

impl Answers {
    fn is_empty(&self) -> bool {
        self.card.is_none()
            && self.date_of_birth.is_none()
            && self.postcode.is_none()
            && self.phone.is_none()
            && self.tax_id_last4.is_none()
    }
}

/// A card's verification secrets as the store keeps them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardOnFile {
    pub card_id: CardId,
    pub lookup: PanLookup,
    pub security_code: SecurityCodeHash,
}

/// The cardholder's facts to check answers against. Pass only cards that are not closed,
/// lost or stolen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OnFile {
    pub cards: Vec<CardOnFile>,
    pub date_of_birth: Option<Date>,
    pub postcode: Option<String>,
    pub phone: Option<PhoneNumber>,
    pub tax_id_last4: Option<String>,
}

/// The verification state of one cardholder on one channel; the edge keeps one per
/// (cardholder, channel) so that a lockout outlives the call or chat that caused it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VerificationSession {
    cardholder_id: CardholderId,
    channel: Channel,
    passed: BTreeSet<Factor>,
    verified_card: Option<CardId>,
    failures: u8,
    locked_until: Option<Timestamp>,
}

/// How an attempt went.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Outcome {
    /// Every checkable answer was right.
    Passed {
        level: Level,
        passed: BTreeSet<Factor>,
        /// Answered, but nothing is on file to check against: not counted either way.
        unverifiable: BTreeSet<Factor>,
    },
    /// Some answer was wrong (which one is not said, so the caller cannot probe).
    Failed {
        attempts_left: u8,
    },
    Locked {
        until: Timestamp,
    },
}

/// The new session, the outcome and the events to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub session: VerificationSession,
    pub outcome: Outcome,
    pub events: Vec<Event>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerificationError {
    #[error("no answer was given; ask for at least one factor")]
    NoAnswers,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthorizeError {
    #[error(
        "{action} needs {needed} verification and the caller is at {current}; ask for {}",
        suggest_list(.suggest)
    )]
    StepUpRequired {
        action: Action,
        needed: Level,
        current: Level,
        suggest: Vec<Factor>,
    },
    #[error("verification on this channel is locked until {until} after repeated failures")]
    Locked { until: Timestamp },
}

fn suggest_list(factors: &[Factor]) -> String {
    let names: Vec<String> = factors.iter().map(Factor::to_string).collect();
    names.join(" or ")
}

fn normalise_postcode(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .collect()
}

/// A phone answer matches the E.164 number on file in full, or as a national number of at
/// least 7 digits (leading trunk zeros dropped).
fn phone_matches(answer: &str, on_file: &PhoneNumber) -> bool {
    let digits: String = answer.chars().filter(char::is_ascii_digit).collect();
    let national = digits.trim_start_matches('0');
    digits == on_file.digits() || (national.len() >= 7 && on_file.digits().ends_with(national))
}

impl VerificationSession {
    pub fn new(cardholder_id: CardholderId, channel: Channel) -> Self {
        Self {
            cardholder_id,
            channel,
            passed: BTreeSet::new(),
            verified_card: None,
            failures: 0,
            locked_until: None,
        }
    }

    pub fn cardholder_id(&self) -> CardholderId {
        self.cardholder_id
    }

    pub fn channel(&self) -> Channel {
        self.channel
    }

    pub fn passed(&self) -> &BTreeSet<Factor> {
        &self.passed
    }

    /// The card whose number and code the caller gave, if any.
    pub fn verified_card(&self) -> Option<CardId> {
        self.verified_card
    }

    pub fn failures(&self) -> u8 {
        self.failures
    }

    /// `Some(until)` while the channel is locked.
    pub fn locked_until(&self, now: Timestamp) -> Option<Timestamp> {
        self.locked_until.filter(|until| now < *until)
    }

    /// The current level; none while locked.
    pub fn level(&self, now: Timestamp) -> Level {
        if self.locked_until(now).is_some() {
            Level::None
        } else {
            level_of(&self.passed)
        }
    }

    /// A fresh call or chat: passed factors are forgotten, failures and a lock are kept.
    pub fn new_conversation(&self) -> Self {
        Self {
            passed: BTreeSet::new(),
            verified_card: None,
            ..self.clone()
        }
    }

    /// Checks `answers` against `on_file`. Any wrong answer fails the whole attempt (and its
    /// right answers do not count); `policy.max_failures` failures in a row lock the channel
    /// for `policy.lockout` and raise [`Event::VerificationLocked`].
    pub fn attempt(
        &self,
        answers: &Answers,
        on_file: &OnFile,
        keys: &Keys,
        policy: &VerificationPolicy,
        now: Timestamp,
    ) -> Result<Attempt, VerificationError> {
        if let Some(until) = self.locked_until(now) {
            return Ok(Attempt {
                session: self.clone(),
                outcome: Outcome::Locked { until },
                events: Vec::new(),
            });
        }
        if answers.is_empty() {
            return Err(VerificationError::NoAnswers);
        }
        let mut session = self.clone();
        if session.locked_until.is_some() {
            // The lock has run out: a clean slate.
            session.locked_until = None;
            session.failures = 0;
        }

        let mut right = BTreeSet::new();
        let mut wrong = false;
        let mut unverifiable = BTreeSet::new();
        let mut card = None;
        let mut check = |factor: Factor, verdict: Option<bool>| match verdict {
            Some(true) => {
                right.insert(factor);
            }
            Some(false) => wrong = true,
            None => {
                unverifiable.insert(factor);
            }
        };
        if let Some((pan, code)) = &answers.card {
            let lookup = keys.pan_lookup(pan);
            let found = on_file.cards.iter().find(|c| c.lookup == lookup);
            let ok =
                found.is_some_and(|c| keys.verify_security_code(c.card_id, code, &c.security_code));
            card = found.filter(|_| ok).map(|c| c.card_id);
            check(Factor::CardAndCode, Some(ok));
        }
        if let Some(dob) = answers.date_of_birth {
            check(
                Factor::DateOfBirth,
                on_file.date_of_birth.map(|known| known == dob),
            );
        }
        if let Some(postcode) = &answers.postcode {
            check(
                Factor::Postcode,
                on_file
                    .postcode
                    .as_deref()
                    .map(|known| normalise_postcode(known) == normalise_postcode(postcode)),
            );
        }
        if let Some(phone) = &answers.phone {
            check(
                Factor::PhoneOnFile,
                on_file
                    .phone
                    .as_ref()
                    .map(|known| phone_matches(phone, known)),
            );
        }
        if let Some(last4) = &answers.tax_id_last4 {
            let digits: String = last4.chars().filter(char::is_ascii_digit).collect();
            check(
                Factor::TaxIdLast4,
                on_file
                    .tax_id_last4
                    .as_deref()
                    .map(|known| digits.len() == 4 && known == digits),
            );
        }

        let mut events = Vec::new();
        let outcome = if wrong {
            session.failures = session.failures.saturating_add(1);
            if session.failures >= policy.max_failures {
                let until = crate::time::after(now, policy.lockout);
                session.locked_until = Some(until);
                session.passed.clear();
                session.verified_card = None;
                events.push(Event::VerificationLocked {
                    cardholder_id: session.cardholder_id,
                    channel: session.channel,
                    failures: session.failures,
                    until,
                    at: now,
                });
                Outcome::Locked { until }
            } else {
                Outcome::Failed {
                    attempts_left: policy.max_failures - session.failures,
                }
            }
        } else {
            session.failures = 0;
            session.passed.extend(right.iter().copied());
            if card.is_some() {
                session.verified_card = card;
            }
            Outcome::Passed {
                level: level_of(&session.passed),
                passed: right,
                unverifiable,
            }
        };
        Ok(Attempt {
            session,
            outcome,
            events,
        })
    }

    /// May the caller do `action` now? If not, says what to ask for.
    pub fn authorize(&self, action: Action, now: Timestamp) -> Result<(), AuthorizeError> {
        if let Some(until) = self.locked_until(now) {
            return Err(AuthorizeError::Locked { until });
        }
        let needed = action.required_level();
        let current = level_of(&self.passed);
        if current >= needed {
            return Ok(());
        }
        let missing: Vec<Factor> = [
            Factor::CardAndCode,
            Factor::DateOfBirth,
            Factor::Postcode,
            Factor::PhoneOnFile,
            Factor::TaxIdLast4,
        ]
        .into_iter()
        .filter(|f| !self.passed.contains(f))
        .collect();
        let one_is_enough: Vec<Factor> = missing
            .iter()
            .copied()
            .filter(|f| {
                let mut with = self.passed.clone();
                with.insert(*f);
                level_of(&with) >= needed
            })
            .collect();
        Err(AuthorizeError::StepUpRequired {
            action,
            needed,
            current,
            suggest: if one_is_enough.is_empty() {
                missing
            } else {
                one_is_enough
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::tests::ts;
    use crate::pan::tests::valid_pan_digits;
    use crate::secrets::tests::test_keys;
    use proptest::prelude::*;

    struct Fixture {
        keys: Keys,
        pan: Pan,
        on_file: OnFile,
    }

    fn fixture() -> Fixture {
        let keys = test_keys();
        let pan = Pan::parse(&valid_pan_digits("999900123456789")).unwrap();
        let card_id = CardId::new();
        let on_file = OnFile {
            cards: vec![CardOnFile {
                card_id,
                lookup: keys.pan_lookup(&pan),
                security_code: keys
                    .security_code_hash(card_id, &SecurityCode::parse("123").unwrap()),
            }],
            date_of_birth: Some("1980-05-17".parse().unwrap()),
            postcode: Some("SW1A 2AA".into()),
            phone: Some(PhoneNumber::parse("+44 20 7946 0000").unwrap()),
            tax_id_last4: Some("6789".into()),
        };
        Fixture { keys, pan, on_file }
    }

    fn session() -> VerificationSession {
        VerificationSession::new(CardholderId::new(), Channel::Phone)
    }

    fn attempt(s: &VerificationSession, f: &Fixture, answers: Answers, now: &str) -> Attempt {
        s.attempt(
            &answers,
            &f.on_file,
            &f.keys,
            &VerificationPolicy::default(),
            ts(now),
        )
        .unwrap()
    }

    fn dob(text: &str) -> Answers {
        Answers {
            date_of_birth: Some(text.parse().unwrap()),
            ..Answers::default()
        }
    }

    #[test]
    fn levels_combine_as_documented() {
        use Factor::*;
        let cases: &[(&[Factor], Level)] = &[
            (&[], Level::None),
            (&[DateOfBirth], Level::None),
            (&[DateOfBirth, Postcode], Level::Basic),
            (&[CardAndCode], Level::Basic),
            (&[CardAndCode, Postcode], Level::Strong),
            (&[DateOfBirth, Postcode, PhoneOnFile], Level::Basic),
            (&[DateOfBirth, Postcode, TaxIdLast4], Level::Strong),
        ];
        for (factors, level) in cases {
            let set: BTreeSet<Factor> = factors.iter().copied().collect();
            assert_eq!(level_of(&set), *level, "{factors:?}");
        }
    }

    #[test]
    fn card_and_code_then_postcode_reaches_strong() {
        let f = fixture();
        let s = session();
        let card = Answers {
            card: Some((f.pan.clone(), SecurityCode::parse("123").unwrap())),
            ..Answers::default()
        };
        let a = attempt(&s, &f, card, "2026-03-02T10:00:00Z");
        assert!(matches!(
            a.outcome,
            Outcome::Passed {
                level: Level::Basic,
                ..
            }
        ));
        assert_eq!(a.session.verified_card(), Some(f.on_file.cards[0].card_id));
        let err = a
            .session
            .authorize(Action::TransferRewards, ts("2026-03-02T10:00:00Z"))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "transferring rewards points needs strong verification and the caller is at basic; ask for date of birth or postcode or phone number on file or last four digits of the tax id"
        );
        assert!(
            a.session
                .authorize(Action::LockCard, ts("2026-03-02T10:00:00Z"))
                .is_ok()
        );
        let postcode = Answers {
            postcode: Some("sw1a2aa".into()),
            ..Answers::default()
        };
        let b = attempt(&a.session, &f, postcode, "2026-03-02T10:01:00Z");
        assert_eq!(b.session.level(ts("2026-03-02T10:01:00Z")), Level::Strong);
        assert!(
            b.session
                .authorize(Action::TransferRewards, ts("2026-03-02T10:01:00Z"))
                .is_ok()
        );
    }

    #[test]
    fn a_wrong_answer_spoils_the_whole_attempt() {
        let f = fixture();
        let answers = Answers {
            card: Some((f.pan.clone(), SecurityCode::parse("124").unwrap())),
            postcode: Some("SW1A 2AA".into()),
            ..Answers::default()
        };
        let a = attempt(&session(), &f, answers, "2026-03-02T10:00:00Z");
        assert_eq!(a.outcome, Outcome::Failed { attempts_left: 2 });
        assert!(a.session.passed().is_empty());
        assert_eq!(a.session.verified_card(), None);
    }

    #[test]
    fn phone_answers_match_in_international_or_national_form() {
        let f = fixture();
        for (answer, ok) in [
            ("+44 20 7946 0000", true),
            ("020 7946 0000", true),
            ("7946 0000", true),
            ("0000", false),
            ("+44 20 7946 0001", false),
        ] {
            let a = attempt(
                &session(),
                &f,
                Answers {
                    phone: Some(answer.into()),
                    ..Answers::default()
                },
                "2026-03-02T10:00:00Z",
            );
            assert_eq!(matches!(a.outcome, Outcome::Passed { .. }), ok, "{answer}");
        }
    }

    #[test]
    fn facts_missing_on_file_are_neither_passed_nor_failed() {
        let mut f = fixture();
        f.on_file.tax_id_last4 = None;
        let a = attempt(
            &session(),
            &f,
            Answers {
                tax_id_last4: Some("6789".into()),
                ..Answers::default()
            },
            "2026-03-02T10:00:00Z",
        );
        let Outcome::Passed {
            passed,
            unverifiable,
            ..
        } = a.outcome
        else {
            panic!()
        };
        assert!(passed.is_empty());
        assert_eq!(unverifiable, BTreeSet::from([Factor::TaxIdLast4]));
        assert_eq!(
            session().attempt(
                &Answers::default(),
                &f.on_file,
                &f.keys,
                &VerificationPolicy::default(),
                ts("2026-03-02T10:00:00Z")
            ),
            Err(VerificationError::NoAnswers)
        );
    }

    #[test]
    fn a_lock_survives_a_new_conversation() {
        let f = fixture();
        let mut s = session();
        for _ in 0..3 {
            s = attempt(&s, &f, dob("1999-01-01"), "2026-03-02T10:00:00Z").session;
        }
        let fresh = s.new_conversation();
        assert_eq!(
            fresh.locked_until(ts("2026-03-02T10:10:00Z")),
            Some(ts("2026-03-02T10:30:00Z"))
        );
    }

    proptest! {
        /// Three failures in a row lock the channel for exactly 30 minutes, with one fraud
        /// signal; while locked every attempt is refused; afterwards a right answer passes.
        #[test]
        fn lockout_after_three_failures_and_unlock_after_thirty_minutes(
            rights_first in 0usize..3,
            wait_secs in 0i64..3600,
        ) {
            let f = fixture();
            let start = ts("2026-03-02T10:00:00Z");
            let mut s = session();
            let mut at = start;
            for _ in 0..rights_first {
                s = s.attempt(&dob("1980-05-17"), &f.on_file, &f.keys, &VerificationPolicy::default(), at).unwrap().session;
                at = crate::time::after(at, SignedDuration::from_secs(10));
            }
            let mut signals = 0;
            for i in 1..=3u8 {
                let a = s.attempt(&dob("1999-01-01"), &f.on_file, &f.keys, &VerificationPolicy::default(), at).unwrap();
                signals += a.events.iter().filter(|e| matches!(e, Event::VerificationLocked { .. })).count();
                if i < 3 {
                    prop_assert_eq!(&a.outcome, &Outcome::Failed { attempts_left: 3 - i });
                }
                s = a.session;
                at = crate::time::after(at, SignedDuration::from_secs(10));
            }
            let locked_at = crate::time::before(at, SignedDuration::from_secs(10));
            let until = crate::time::after(locked_at, SignedDuration::from_mins(30));
            prop_assert_eq!(signals, 1);
            prop_assert_eq!(s.level(locked_at), Level::None);

            let later = crate::time::after(locked_at, SignedDuration::from_secs(wait_secs));
            let retry = s.attempt(&dob("1980-05-17"), &f.on_file, &f.keys, &VerificationPolicy::default(), later).unwrap();
            if later < until {
                prop_assert_eq!(retry.outcome, Outcome::Locked { until });
                prop_assert!(retry.events.is_empty());
                prop_assert!(s.authorize(Action::ViewAccount, later).is_err());
            } else {
                let passed = matches!(retry.outcome, Outcome::Passed { .. });
                prop_assert!(passed);
                prop_assert_eq!(retry.session.failures(), 0);
            }
        }
    }
}
