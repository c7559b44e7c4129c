//! The card lifecycle: issued → active ↔ locked; lost, stolen and closed are terminal and link to
//! the replacement card. Every refused transition says which one and why.

use std::fmt;

use domain::{AccountId, CardId, CardholderId, Tier, Timestamp, UserId};
use jiff::civil::Date;
use rand_core::CryptoRng;

use crate::events::Event;
use crate::pan::{Last4, Pan, PanLayout};
use crate::pin::Pin;
use crate::secrets::{CryptoError, Keys, PinHash};

/// The last month a card is valid, as printed (`08/29`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct Expiry {
    year: i16,
    month: i8,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a card expiry; write it as MM/YY (e.g. 08/29)")]
pub struct ExpiryError(String);

impl Expiry {
    pub fn new(year: i16, month: i8) -> Result<Self, ExpiryError> {
        if (1..=12).contains(&month) && (2000..=2099).contains(&year) {
            Ok(Self { year, month })
        } else {
            Err(ExpiryError(format!("{month:02}/{year}")))
        }
    }

    /// `MM/YY` or `MM/YYYY`.
    pub fn parse(text: &str) -> Result<Self, ExpiryError> {
        let bad = || ExpiryError(text.to_owned());
        let (month, year) = text.trim().split_once('/').ok_or_else(bad)?;
        let month: i8 = month.trim().parse().map_err(|_| bad())?;
        let year: i16 = match year.trim() {
            y if y.len() == 2 => 2000 + y.parse::<i16>().map_err(|_| bad())?,
            y if y.len() == 4 => y.parse().map_err(|_| bad())?,
            _ => return Err(bad()),
        };
        Self::new(year, month).map_err(|_| bad())
    }

    pub fn year(self) -> i16 {
        self.year
    }

    pub fn month(self) -> i8 {
        self.month
    }

    /// A card is good through the last day of its expiry month (UTC).
    pub fn is_expired_at(self, now: Timestamp) -> bool {
        let today = crate::time::utc_date(now);
        (today.year(), today.month()) > (self.year, self.month)
    }

    /// The expiry `years` after `date`, in the same month.
    pub(crate) fn years_after(date: Date, years: i16) -> Self {
        Self {
            year: date.year().saturating_add(years),
            month: date.month(),
        }
    }
}

impl fmt::Display for Expiry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}/{:02}", self.month, self.year % 100)
    }
}

impl TryFrom<String> for Expiry {
    type Error = ExpiryError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Expiry::parse(&text)
    }
}

impl From<Expiry> for String {
    fn from(expiry: Expiry) -> Self {
        expiry.to_string()
    }
}

/// Who asked for a change: it decides, for instance, who may lift a lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Actor {
    /// The cardholder, in the portal, the app or the IVR.
    Cardholder,
    /// A staff member acting for a verified cardholder.
    Agent { user_id: UserId },
    /// Real-time fraud monitoring.
    FraudEngine,
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Actor::Cardholder => "the cardholder",
            Actor::Agent { .. } => "an agent",
            Actor::FraudEngine => "fraud monitoring",
        })
    }
}

/// Lost or stolen: both block at once; stolen also tells fraud monitoring to watch closely.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Loss {
    Lost,
    Stolen,
}

/// Where a terminal card points: the card that replaced it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReplacementLink {
    pub card_id: CardId,
    pub last4: Last4,
}

/// A card's place in its lifecycle. `Lost`, `Stolen` and `Closed` never change again, except to
/// record the replacement once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum CardState {
    /// Made and sent, not yet activated: refuses every payment.
    Issued {
        at: Timestamp,
    },
    Active {
        since: Timestamp,
    },
    Locked {
        since: Timestamp,
        by: Actor,
    },
    Lost {
        at: Timestamp,
        replacement: Option<ReplacementLink>,
    },
    Stolen {
        at: Timestamp,
        replacement: Option<ReplacementLink>,
    },
    Closed {
        at: Timestamp,
        replacement: Option<ReplacementLink>,
    },
}

impl CardState {
    /// The stable name the store keeps in its status column.
    pub const fn name(&self) -> &'static str {
        match self {
            CardState::Issued { .. } => "issued",
            CardState::Active { .. } => "active",
            CardState::Locked { .. } => "locked",
            CardState::Lost { .. } => "lost",
            CardState::Stolen { .. } => "stolen",
            CardState::Closed { .. } => "closed",
        }
    }

    pub const fn is_terminal(&self) -> bool {
        matches!(
            self,
            CardState::Lost { .. } | CardState::Stolen { .. } | CardState::Closed { .. }
        )
    }

    /// For a terminal state: when it happened, in words, and its replacement.
    fn terminal(&self) -> Option<(&'static str, Timestamp, Option<ReplacementLink>)> {
        match *self {
            CardState::Lost { at, replacement } => Some(("reported lost", at, replacement)),
            CardState::Stolen { at, replacement } => Some(("reported stolen", at, replacement)),
            CardState::Closed { at, replacement } => Some(("closed", at, replacement)),
            _ => None,
        }
    }
}

/// One card as the lifecycle sees it. The full number lives only in the store, encrypted.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Card {
    pub id: CardId,
    pub account_id: AccountId,
    pub cardholder_id: CardholderId,
    pub tier: Tier,
    pub layout: PanLayout,
    pub last4: Last4,
    pub expiry: Expiry,
    pub state: CardState,
}

/// The operations that move a card through its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardAction {
    Activate,
    Lock,
    Unlock,
    ReportLost,
    ReportStolen,
    Close,
    Replace,
}

impl fmt::Display for CardAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CardAction::Activate => "activate",
            CardAction::Lock => "lock",
            CardAction::Unlock => "unlock",
            CardAction::ReportLost => "report lost",
            CardAction::ReportStolen => "report stolen",
            CardAction::Close => "close",
            CardAction::Replace => "order a replacement for",
        })
    }
}

/// Why a transition cannot happen, in the words the error message uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blocker {
    AlreadyActive { since: Timestamp },
    NotActivated,
    AlreadyLocked { since: Timestamp, by: Actor },
    NotLocked,
    LockedByFraud { since: Timestamp },
    Terminal { state: CardState },
    NotTerminal,
    Expired { expiry: Expiry },
    AlreadyReplaced { by: ReplacementLink },
}

/// A refused lifecycle transition: "cannot unlock card ending 0005: it was reported stolen on
/// 2026-03-02; its replacement is card ending 1234".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {action} card ending {last4}: {blocker}")]
pub struct LifecycleError {
    pub action: CardAction,
    pub last4: Last4,
    pub blocker: Blocker,
}

impl LifecycleError {
    /// A stable machine code for API bodies.
    pub fn code(&self) -> &'static str {
        match self.blocker {
            Blocker::AlreadyActive { .. } => "card.already_active",
            Blocker::NotActivated => "card.not_activated",
            Blocker::AlreadyLocked { .. } => "card.already_locked",
            Blocker::NotLocked => "card.not_locked",
            Blocker::LockedByFraud { .. } => "card.locked_by_fraud",
            Blocker::Terminal { .. } => "card.terminal",
            Blocker::NotTerminal => "card.not_replaceable",
            Blocker::Expired { .. } => "card.expired",
            Blocker::AlreadyReplaced { .. } => "card.already_replaced",
        }
    }
}

fn day(at: Timestamp) -> Date {
    crate::time::utc_date(at)
}

impl fmt::Display for Blocker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Blocker::AlreadyActive { since } => {
                write!(f, "it is already active (since {})", day(*since))
            }
            Blocker::NotActivated => f.write_str(
                "it has not been activated yet, and an inactive card already refuses every payment",
            ),
            Blocker::AlreadyLocked { since, by } => {
                write!(f, "it is already locked (by {by} on {})", day(*since))
            }
            Blocker::NotLocked => f.write_str("it is not locked"),
            Blocker::LockedByFraud { since } => write!(
                f,
                "it was locked by fraud monitoring on {}; an agent must review the recent transactions with the cardholder and unlock it",
                day(*since)
            ),
            Blocker::Terminal { state } => {
                let Some((what, at, replacement)) = state.terminal() else {
                    return f.write_str("it is no longer usable");
                };
                write!(f, "it was {what} on {}; ", day(at))?;
                match replacement {
                    Some(link) => write!(f, "its replacement is card ending {}", link.last4),
                    None => f.write_str("no replacement has been ordered yet"),
                }
            }
            Blocker::NotTerminal => f.write_str(
                "only a lost, stolen or closed card is replaced; report it lost or stolen, or close it, first",
            ),
            Blocker::Expired { expiry } => write!(f, "it expired at the end of {expiry}"),
            Blocker::AlreadyReplaced { by } => {
                write!(f, "it was already replaced by card ending {}", by.last4)
            }
        }
    }
}

/// The card after a transition and the events to put in the outbox with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub card: Card,
    pub events: Vec<Event>,
}

/// Activation: the new state plus the PIN hash to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activation {
    pub transition: Transition,
    pub pin_hash: PinHash,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActivationError {
    #[error(transparent)]
    Lifecycle(#[from] LifecycleError),
    #[error(transparent)]
    Crypto(#[from] CryptoError),
}

/// Why the fraud engine must decline an authorization on this card.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[serde(tag = "refusal", rename_all = "snake_case")]
pub enum Refusal {
    #[error("the card has not been activated")]
    NotActivated,
    #[error("the card was locked by {by} on {}", day(*since))]
    Locked { since: Timestamp, by: Actor },
    #[error("the card was reported lost on {}", day(*at))]
    ReportedLost { at: Timestamp },
    #[error("the card was reported stolen on {}", day(*at))]
    ReportedStolen { at: Timestamp },
    #[error("the card was closed on {}", day(*at))]
    Closed { at: Timestamp },
    #[error("the card expired at the end of {expiry}")]
    Expired { expiry: Expiry },
}

impl Refusal {
    pub const fn code(&self) -> &'static str {
        match self {
            Refusal::NotActivated => "card.not_activated",
            Refusal::Locked { .. } => "card.locked",
            Refusal::ReportedLost { .. } => "card.lost",
            Refusal::ReportedStolen { .. } => "card.stolen",
            Refusal::Closed { .. } => "card.closed",
            Refusal::Expired { .. } => "card.expired",
        }
    }
}

/// The check the fraud engine runs first on every authorization: only an active, unexpired
/// card may be charged.
pub fn can_authorize(card: &Card, now: Timestamp) -> Result<(), Refusal> {
    match card.state {
        CardState::Issued { .. } => Err(Refusal::NotActivated),
        CardState::Locked { since, by } => Err(Refusal::Locked { since, by }),
        CardState::Lost { at, .. } => Err(Refusal::ReportedLost { at }),
        CardState::Stolen { at, .. } => Err(Refusal::ReportedStolen { at }),
        CardState::Closed { at, .. } => Err(Refusal::Closed { at }),
        CardState::Active { .. } if card.expiry.is_expired_at(now) => Err(Refusal::Expired {
            expiry: card.expiry,
        }),
        CardState::Active { .. } => Ok(()),
    }
}

impl Card {
    /// A newly issued card (not yet active). The caller encrypts and hashes `pan` separately.
    pub fn issue(
        id: CardId,
        account_id: AccountId,
        cardholder_id: CardholderId,
        tier: Tier,
        pan: &Pan,
        expiry: Expiry,
        now: Timestamp,
    ) -> Self {
        Self {
            id,
            account_id,
            cardholder_id,
            tier,
            layout: pan.layout(),
            last4: pan.last4(),
            expiry,
            state: CardState::Issued { at: now },
        }
    }

    /// `•••• •••• •••• 0005`.
    pub fn masked_number(&self) -> String {
        self.layout.masked(&self.last4)
    }

    fn refuse(&self, action: CardAction, blocker: Blocker) -> LifecycleError {
        LifecycleError {
            action,
            last4: self.last4,
            blocker,
        }
    }

    /// The blocker a terminal state puts in front of every action.
    fn terminal_blocker(&self, action: CardAction) -> Result<(), LifecycleError> {
        if self.state.is_terminal() {
            Err(self.refuse(action, Blocker::Terminal { state: self.state }))
        } else {
            Ok(())
        }
    }

    fn moved_to(&self, state: CardState, event: Event) -> Transition {
        Transition {
            card: Card {
                state,
                ..self.clone()
            },
            events: vec![event],
        }
    }

    /// Checks that activation is allowed, without hashing anything.
    pub fn check_activate(&self, now: Timestamp) -> Result<(), LifecycleError> {
        let action = CardAction::Activate;
        self.terminal_blocker(action)?;
        match self.state {
            CardState::Active { since } => {
                Err(self.refuse(action, Blocker::AlreadyActive { since }))
            }
            CardState::Locked { since, by } => {
                Err(self.refuse(action, Blocker::AlreadyLocked { since, by }))
            }
            _ if self.expiry.is_expired_at(now) => Err(self.refuse(
                action,
                Blocker::Expired {
                    expiry: self.expiry,
                },
            )),
            _ => Ok(()),
        }
    }

    /// Issued → active, setting the PIN (hashed with argon2id; checked for legality first so
    /// that a refused activation costs no hashing).
    pub fn activate(
        &self,
        pin: &Pin,
        keys: &Keys,
        rng: &mut impl CryptoRng,
        now: Timestamp,
    ) -> Result<Activation, ActivationError> {
        self.check_activate(now)?;
        let pin_hash = keys.hash_pin(pin, rng)?;
        let transition = self.moved_to(
            CardState::Active { since: now },
            Event::CardActivated {
                card_id: self.id,
                cardholder_id: self.cardholder_id,
                last4: self.last4,
                at: now,
            },
        );
        Ok(Activation {
            transition,
            pin_hash,
        })
    }

    /// Active → locked. A temporary block the cardholder can lift (unless fraud monitoring set it).
    pub fn lock(&self, by: Actor, now: Timestamp) -> Result<Transition, LifecycleError> {
        let action = CardAction::Lock;
        self.terminal_blocker(action)?;
        match self.state {
            CardState::Active { .. } => Ok(self.moved_to(
                CardState::Locked { since: now, by },
                Event::CardLocked {
                    card_id: self.id,
                    cardholder_id: self.cardholder_id,
                    last4: self.last4,
                    by,
                    at: now,
                },
            )),
            CardState::Locked { since, by } => {
                Err(self.refuse(action, Blocker::AlreadyLocked { since, by }))
            }
            _ => Err(self.refuse(action, Blocker::NotActivated)),
        }
    }

    /// Locked → active. A lock set by fraud monitoring can be lifted only by an agent.
    pub fn unlock(&self, by: Actor, now: Timestamp) -> Result<Transition, LifecycleError> {
        let action = CardAction::Unlock;
        self.terminal_blocker(action)?;
        match self.state {
            CardState::Locked {
                since,
                by: Actor::FraudEngine,
            } if !matches!(by, Actor::Agent { .. }) => {
                Err(self.refuse(action, Blocker::LockedByFraud { since }))
            }
            CardState::Locked { .. } => Ok(self.moved_to(
                CardState::Active { since: now },
                Event::CardUnlocked {
                    card_id: self.id,
                    cardholder_id: self.cardholder_id,
                    last4: self.last4,
                    by,
                    at: now,
                },
            )),
            CardState::Issued { .. } => Err(self.refuse(action, Blocker::NotActivated)),
            _ => Err(self.refuse(action, Blocker::NotLocked)),
        }
    }

    /// Issued, active or locked → lost/stolen, at once. The replacement is ordered next with
    /// [`crate::order_replacement`]; the card refuses payments from this moment.
    pub fn report(
        &self,
        loss: Loss,
        by: Actor,
        now: Timestamp,
    ) -> Result<Transition, LifecycleError> {
        let action = match loss {
            Loss::Lost => CardAction::ReportLost,
            Loss::Stolen => CardAction::ReportStolen,
        };
        self.terminal_blocker(action)?;
        let state = match loss {
            Loss::Lost => CardState::Lost {
                at: now,
                replacement: None,
            },
            Loss::Stolen => CardState::Stolen {
                at: now,
                replacement: None,
            },
        };
        Ok(self.moved_to(
            state,
            Event::CardReported {
                card_id: self.id,
                cardholder_id: self.cardholder_id,
                last4: self.last4,
                loss,
                by,
                at: now,
            },
        ))
    }

    /// Issued, active or locked → closed.
    pub fn close(&self, by: Actor, now: Timestamp) -> Result<Transition, LifecycleError> {
        self.terminal_blocker(CardAction::Close)?;
        Ok(self.moved_to(
            CardState::Closed {
                at: now,
                replacement: None,
            },
            Event::CardClosed {
                card_id: self.id,
                cardholder_id: self.cardholder_id,
                last4: self.last4,
                by,
                at: now,
            },
        ))
    }

    /// Records the replacement of a terminal card (once). The state name does not change.
    pub fn link_replacement(&self, link: ReplacementLink) -> Result<Card, LifecycleError> {
        let refuse = |blocker| Err(self.refuse(CardAction::Replace, blocker));
        let replacement = Some(link);
        let state = match self.state {
            CardState::Lost {
                at,
                replacement: None,
            } => CardState::Lost { at, replacement },
            CardState::Stolen {
                at,
                replacement: None,
            } => CardState::Stolen { at, replacement },
            CardState::Closed {
                at,
                replacement: None,
            } => CardState::Closed { at, replacement },
            CardState::Lost {
                replacement: Some(by),
                ..
            }
            | CardState::Stolen {
                replacement: Some(by),
                ..
            }
            | CardState::Closed {
                replacement: Some(by),
                ..
            } => return refuse(Blocker::AlreadyReplaced { by }),
            _ => return refuse(Blocker::NotTerminal),
        };
        Ok(Card {
            state,
            ..self.clone()
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::pan::tests::valid_pan_digits;
    use crate::secrets::tests::test_keys;
    use crate::test_rng::TestRng;

    pub(crate) fn ts(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    /// A card ending `last4_body` + check digit, issued on 2026-01-05.
    pub(crate) fn issued_card(body: &str) -> Card {
        let pan = Pan::parse(&valid_pan_digits(body)).unwrap();
        Card::issue(
            CardId::new(),
            AccountId::new(),
            CardholderId::new(),
            Tier::Gold,
            &pan,
            Expiry::parse("08/29").unwrap(),
            ts("2026-01-05T09:00:00Z"),
        )
    }

    pub(crate) fn active_card() -> Card {
        let card = issued_card("999900123456789");
        activate(&card, ts("2026-01-06T09:00:00Z"))
    }

    fn activate(card: &Card, now: Timestamp) -> Card {
        card.activate(
            &Pin::parse("4821").unwrap(),
            &test_keys(),
            &mut TestRng::new(1),
            now,
        )
        .unwrap()
        .transition
        .card
    }

    #[test]
    fn the_happy_path_emits_one_event_per_step() {
        let now = ts("2026-02-01T10:00:00Z");
        let card = active_card();
        assert_eq!(can_authorize(&card, now), Ok(()));
        let locked = card.lock(Actor::Cardholder, now).unwrap();
        assert!(matches!(locked.events[..], [Event::CardLocked { .. }]));
        assert_eq!(
            can_authorize(&locked.card, now).unwrap_err().code(),
            "card.locked"
        );
        let unlocked = locked.card.unlock(Actor::Cardholder, now).unwrap();
        assert_eq!(unlocked.card.state, CardState::Active { since: now });
        let lost = unlocked
            .card
            .report(Loss::Lost, Actor::Cardholder, now)
            .unwrap();
        assert_eq!(
            can_authorize(&lost.card, now),
            Err(Refusal::ReportedLost { at: now })
        );
    }

    #[test]
    fn illegal_transitions_say_which_and_why() {
        let now = ts("2026-03-02T10:00:00Z");
        let card = active_card();
        let stolen = card
            .report(Loss::Stolen, Actor::Cardholder, now)
            .unwrap()
            .card;
        let err = stolen.unlock(Actor::Cardholder, now).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "cannot unlock card ending {}: it was reported stolen on 2026-03-02; no replacement has been ordered yet",
                card.last4
            )
        );
        assert_eq!(err.code(), "card.terminal");

        let link = ReplacementLink {
            card_id: CardId::new(),
            last4: Last4::parse("1234").unwrap(),
        };
        let replaced = stolen.link_replacement(link).unwrap();
        let err = replaced.unlock(Actor::Cardholder, now).unwrap_err();
        assert!(
            err.to_string().ends_with(
                "it was reported stolen on 2026-03-02; its replacement is card ending 1234"
            ),
            "{err}"
        );
        let again = replaced.link_replacement(link).unwrap_err();
        assert_eq!(again.code(), "card.already_replaced");

        let issued = issued_card("999900123456780");
        let cases: Vec<(Result<Transition, LifecycleError>, &str)> = vec![
            (issued.lock(Actor::Cardholder, now), "card.not_activated"),
            (issued.unlock(Actor::Cardholder, now), "card.not_activated"),
            (card.unlock(Actor::Cardholder, now), "card.not_locked"),
            (
                card.lock(Actor::Cardholder, now)
                    .and_then(|t| t.card.lock(Actor::Cardholder, now)),
                "card.already_locked",
            ),
            (
                stolen.report(Loss::Lost, Actor::Cardholder, now),
                "card.terminal",
            ),
            (stolen.close(Actor::Cardholder, now), "card.terminal"),
        ];
        for (result, code) in cases {
            assert_eq!(result.unwrap_err().code(), code);
        }
        assert_eq!(
            card.check_activate(now).unwrap_err().code(),
            "card.already_active"
        );
        assert_eq!(
            card.link_replacement(link).unwrap_err().code(),
            "card.not_replaceable"
        );
    }

    #[test]
    fn a_fraud_lock_is_lifted_only_by_an_agent() {
        let now = ts("2026-02-01T10:00:00Z");
        let locked = active_card().lock(Actor::FraudEngine, now).unwrap().card;
        let err = locked.unlock(Actor::Cardholder, now).unwrap_err();
        assert_eq!(err.code(), "card.locked_by_fraud");
        assert!(err.to_string().contains("an agent must review"), "{err}");
        let agent = Actor::Agent {
            user_id: UserId::new(),
        };
        assert!(locked.unlock(agent, now).is_ok());
    }

    #[test]
    fn expired_cards_neither_activate_nor_authorize() {
        let card = issued_card("999900123456789");
        let after = ts("2029-09-01T00:00:00Z");
        let last_day = ts("2029-08-31T23:59:59Z");
        assert_eq!(
            card.check_activate(after).unwrap_err().code(),
            "card.expired"
        );
        assert!(card.check_activate(last_day).is_ok());
        let active = activate(&card, last_day);
        assert_eq!(can_authorize(&active, last_day), Ok(()));
        assert_eq!(
            can_authorize(&active, after).unwrap_err().to_string(),
            "the card expired at the end of 08/29"
        );
        assert_eq!(can_authorize(&card, last_day), Err(Refusal::NotActivated));
    }

    #[test]
    fn expiry_parses_printed_forms() {
        assert_eq!(
            Expiry::parse("08/29").unwrap(),
            Expiry::new(2029, 8).unwrap()
        );
        assert_eq!(Expiry::parse("8/2031").unwrap().to_string(), "08/31");
        for bad in ["13/29", "0/29", "08-29", "08/2", "aa/bb"] {
            assert!(Expiry::parse(bad).is_err(), "{bad}");
        }
        let json = serde_json::to_string(&Expiry::parse("08/29").unwrap()).unwrap();
        assert_eq!(json, "\"08/29\"");
    }

    #[test]
    fn card_state_serializes_with_a_status_tag() {
        let card = active_card();
        let json = serde_json::to_value(&card).unwrap();
        assert_eq!(json["state"]["status"], "active");
        assert_eq!(json["last4"], card.last4.as_str());
        let back: Card = serde_json::from_value(json).unwrap();
        assert_eq!(back, card);
    }
}
