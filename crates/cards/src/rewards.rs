//! Rewards points as an append-only ledger: earn, adjust, transfer to partners. The balance is
//! the sum of the ledger and never goes below zero; every request carries an idempotency key
//! and applies at most once.
//!
//! The store runs [`apply`] inside one transaction per request: it reads the account's balance
//! and the entries already recorded under the request's key (locking the account row, e.g.
//! `SELECT … FOR UPDATE`, or SQLite's single writer), appends what `apply` returns, and relies
//! on a unique index on `(account_id, idempotency_key)` so that two concurrent requests with one
//! key cannot both append: the loser retries, finds the entries, and gets `AlreadyApplied`.

use std::collections::BTreeMap;
use std::fmt;

use domain::{AccountId, Money, Tier, Timestamp};

use crate::card::Actor;
use crate::events::Event;
use crate::transactions::TransactionRef;

/// The caller's key for one request (an `Idempotency-Key` header, a transaction reference).
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(text: &str) -> Result<Self, RewardsError> {
        let text = text.trim();
        let ok = (1..=200).contains(&text.len()) && text.chars().all(|c| c.is_ascii_graphic());
        if ok {
            Ok(Self(text.to_owned()))
        } else {
            Err(RewardsError::BadIdempotencyKey)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for IdempotencyKey {
    type Error = RewardsError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        IdempotencyKey::parse(&text)
    }
}

impl From<IdempotencyKey> for String {
    fn from(key: IdempotencyKey) -> Self {
        key.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartnerKind {
    Airline,
    Hotel,
}

/// A partner programme points can be moved to, at `points` : `partner_units`, in multiples of
/// `increment` points.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Partner {
    pub id: String,
    pub name: String,
    pub kind: PartnerKind,
    pub points: i64,
    pub partner_units: i64,
    pub increment: i64,
}

impl Partner {
    /// Checks the ratio gives whole partner units for every increment.
    pub fn new(
        id: &str,
        name: &str,
        kind: PartnerKind,
        (points, partner_units): (i64, i64),
        increment: i64,
    ) -> Result<Self, RewardsError> {
        let whole = points > 0
            && partner_units > 0
            && increment > 0
            && (increment.checked_mul(partner_units)).is_some_and(|u| u % points == 0);
        if !whole {
            return Err(RewardsError::BadPartner(id.to_owned()));
        }
        Ok(Self {
            id: id.to_owned(),
            name: name.to_owned(),
            kind,
            points,
            partner_units,
            increment,
        })
    }

    fn units_for(&self, points: i64) -> Option<i64> {
        points
            .checked_mul(self.partner_units)
            .map(|u| u / self.points)
    }
}

/// How points are earned and where they can go.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RewardsProgram {
    /// Spend that earns one base point (e.g. 1.00 USD).
    pub spend_per_point: Money,
    pub multipliers: BTreeMap<Tier, i64>,
    pub partners: Vec<Partner>,
    /// Largest manual adjustment in either direction.
    pub max_adjustment: i64,
}

impl RewardsProgram {
    /// One point per dollar, times 1 (Green, co-brand), 2 (Gold, Business), 3 (Platinum) or
    /// 5 (Centurion); three fictional partners.
    pub fn demo() -> Result<Self, RewardsError> {
        Ok(Self {
            spend_per_point: Money::new(100, domain::Currency::USD),
            multipliers: BTreeMap::from([
                (Tier::Green, 1),
                (Tier::CoBrand, 1),
                (Tier::Gold, 2),
                (Tier::Business, 2),
                (Tier::Platinum, 3),
                (Tier::Centurion, 5),
            ]),
            partners: vec![
                Partner::new(
                    "example-air",
                    "Example Air Miles",
                    PartnerKind::Airline,
                    (1, 1),
                    1000,
                )?,
                Partner::new(
                    "sample-airways",
                    "Sample Airways Club",
                    PartnerKind::Airline,
                    (5, 4),
                    1000,
                )?,
                Partner::new(
                    "example-hotels",
                    "Example Hotels Rewards",
                    PartnerKind::Hotel,
                    (1, 2),
                    1000,
                )?,
            ],
            max_adjustment: 100_000,
        })
    }

    pub fn partner(&self, id: &str) -> Option<&Partner> {
        self.partners.iter().find(|p| p.id == id)
    }
}

/// What a request asks for.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum RewardsCommand {
    /// Points for a purchase (billing currency = the programme's).
    Earn {
        transaction: TransactionRef,
        amount: Money,
        tier: Tier,
    },
    /// A manual correction (goodwill, a refund's clawback).
    Adjust {
        points: i64,
        reason: String,
        by: Actor,
    },
    /// Move points to a partner programme.
    Transfer {
        partner: String,
        member_number: String,
        points: i64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RewardsRequest {
    pub key: IdempotencyKey,
    pub command: RewardsCommand,
}

/// What one ledger line records.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EntryKind {
    Earned {
        transaction: TransactionRef,
        amount: Money,
        tier: Tier,
        multiplier: i64,
    },
    Adjusted {
        reason: String,
        by: Actor,
    },
    TransferredOut {
        partner: String,
        member_number: String,
        partner_units: i64,
    },
}

/// One line of the ledger. `points` is signed: earnings positive, transfers negative.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LedgerEntry {
    pub key: IdempotencyKey,
    pub at: Timestamp,
    pub points: i64,
    pub kind: EntryKind,
}

/// What the store reads before applying a request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LedgerState {
    /// `SUM(points)` over the account's entries.
    pub balance: i64,
    /// The entries already recorded under the request's key (empty if none).
    pub recorded_under_key: Vec<LedgerEntry>,
}

/// The result of applying a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// Append these entries.
    Recorded(Vec<LedgerEntry>),
    /// The key was used before for this same request: append nothing, answer as before.
    AlreadyApplied(Vec<LedgerEntry>),
}

impl Applied {
    pub fn entries(&self) -> &[LedgerEntry] {
        match self {
            Applied::Recorded(entries) | Applied::AlreadyApplied(entries) => entries,
        }
    }

    /// Outbox events for newly recorded entries (a replay has none): transfers notify.
    pub fn events(&self, account_id: AccountId) -> Vec<Event> {
        let Applied::Recorded(entries) = self else {
            return Vec::new();
        };
        entries
            .iter()
            .filter_map(|entry| match &entry.kind {
                EntryKind::TransferredOut {
                    partner,
                    partner_units,
                    ..
                } => Some(Event::RewardsTransferred {
                    account_id,
                    partner: partner.clone(),
                    points: -entry.points,
                    partner_units: *partner_units,
                    at: entry.at,
                }),
                _ => None,
            })
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RewardsError {
    #[error("an idempotency key has 1 to 200 visible ASCII characters")]
    BadIdempotencyKey,
    #[error("partner {0:?} has a ratio or increment that does not give whole partner units")]
    BadPartner(String),
    #[error("unknown partner programme {0:?}; choose one of: {1}")]
    UnknownPartner(String, String),
    #[error("transfers to {partner} are in multiples of {increment} points; {points} is not")]
    NotAnIncrement {
        partner: String,
        increment: i64,
        points: i64,
    },
    #[error("the balance is {balance} points, which is not enough for {needed}")]
    InsufficientPoints { balance: i64, needed: i64 },
    #[error("only purchases earn points; the amount must be positive and in {0}")]
    NotAPurchase(domain::Currency),
    #[error("no multiplier is set for tier {0}")]
    NoMultiplier(Tier),
    #[error("an adjustment is between -{0} and {0} points, not zero, with a reason")]
    BadAdjustment(i64),
    #[error("a partner membership number has 1 to 40 letters or digits")]
    BadMemberNumber,
    #[error("that many points overflow the ledger")]
    Overflow,
    #[error("another request changed these points at the same moment ({0}); retry the request")]
    Conflict(#[from] AppendError),
    #[error(
        "idempotency key {0:?} was already used for a different request; use a new key for a new request"
    )]
    KeyReused(String),
}

/// The entry a command produces, before the balance check.
fn plan(
    command: &RewardsCommand,
    program: &RewardsProgram,
) -> Result<(i64, EntryKind), RewardsError> {
    match command {
        RewardsCommand::Earn {
            transaction,
            amount,
            tier,
        } => {
            let per = program.spend_per_point;
            if amount.currency != per.currency || amount.minor <= 0 || per.minor <= 0 {
                return Err(RewardsError::NotAPurchase(per.currency));
            }
            let multiplier = *program
                .multipliers
                .get(tier)
                .ok_or(RewardsError::NoMultiplier(*tier))?;
            let points = (amount.minor / per.minor)
                .checked_mul(multiplier)
                .ok_or(RewardsError::Overflow)?;
            Ok((
                points,
                EntryKind::Earned {
                    transaction: transaction.clone(),
                    amount: *amount,
                    tier: *tier,
                    multiplier,
                },
            ))
        }
        RewardsCommand::Adjust { points, reason, by } => {
            let limit = program.max_adjustment;
            if *points == 0 || points.abs() > limit || reason.trim().is_empty() {
                return Err(RewardsError::BadAdjustment(limit));
            }
            Ok((
                *points,
                EntryKind::Adjusted {
                    reason: reason.trim().to_owned(),
                    by: *by,
                },
            ))
        }
        RewardsCommand::Transfer {
            partner,
            member_number,
            points,
        } => {
            let found = program.partner(partner).ok_or_else(|| {
                let ids: Vec<&str> = program.partners.iter().map(|p| p.id.as_str()).collect();
                RewardsError::UnknownPartner(partner.clone(), ids.join(", "))
            })?;
            if *points <= 0 || points % found.increment != 0 {
                return Err(RewardsError::NotAnIncrement {
                    partner: found.name.clone(),
                    increment: found.increment,
                    points: *points,
                });
            }
            let member = member_number.trim();
            if member.is_empty()
                || member.len() > 40
                || !member.chars().all(|c| c.is_ascii_alphanumeric())
            {
                return Err(RewardsError::BadMemberNumber);
            }
            let partner_units = found.units_for(*points).ok_or(RewardsError::Overflow)?;
            Ok((
                -points,
                EntryKind::TransferredOut {
                    partner: found.id.clone(),
                    member_number: member.to_owned(),
                    partner_units,
                },
            ))
        }
    }
}

/// Decides what a request appends. Pure: the store supplies `state` and writes the result.
pub fn apply(
    state: &LedgerState,
    request: &RewardsRequest,
    program: &RewardsProgram,
    now: Timestamp,
) -> Result<Applied, RewardsError> {
    let (points, kind) = plan(&request.command, program)?;
    if !state.recorded_under_key.is_empty() {
        let same = state
            .recorded_under_key
            .iter()
            .all(|e| e.points == points && e.kind == kind);
        return if same {
            Ok(Applied::AlreadyApplied(state.recorded_under_key.clone()))
        } else {
            Err(RewardsError::KeyReused(request.key.0.clone()))
        };
    }
    let after = state
        .balance
        .checked_add(points)
        .ok_or(RewardsError::Overflow)?;
    if after < 0 {
        return Err(RewardsError::InsufficientPoints {
            balance: state.balance,
            needed: -points,
        });
    }
    Ok(Applied::Recorded(vec![LedgerEntry {
        key: request.key.clone(),
        at: now,
        points,
        kind,
    }]))
}

/// Why the in-memory ledger refused to append: the two guards the store also needs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AppendError {
    #[error("idempotency key {0:?} already has entries (unique index)")]
    KeyTaken(String),
    #[error("appending would make the balance negative (balance check)")]
    WouldGoNegative,
}

/// An in-memory ledger with the store's guarantees: a unique key per request and a balance
/// that cannot go negative even when appends race. For the demo, simulations and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Ledger {
    entries: Vec<LedgerEntry>,
}

impl Ledger {
    pub fn entries(&self) -> &[LedgerEntry] {
        &self.entries
    }

    pub fn balance(&self) -> i64 {
        self.entries.iter().map(|e| e.points).sum()
    }

    pub fn state_for(&self, key: &IdempotencyKey) -> LedgerState {
        LedgerState {
            balance: self.balance(),
            recorded_under_key: self
                .entries
                .iter()
                .filter(|e| &e.key == key)
                .cloned()
                .collect(),
        }
    }

    /// Appends entries decided on a possibly stale state, as a store commit does: refused if
    /// their key is taken meanwhile or the balance would go negative.
    pub fn append(&mut self, entries: &[LedgerEntry]) -> Result<(), AppendError> {
        if let Some(taken) = entries
            .iter()
            .find(|new| self.entries.iter().any(|e| e.key == new.key))
        {
            return Err(AppendError::KeyTaken(taken.key.0.clone()));
        }
        let added: i64 = entries.iter().map(|e| e.points).sum();
        if self.balance().saturating_add(added) < 0 {
            return Err(AppendError::WouldGoNegative);
        }
        self.entries.extend_from_slice(entries);
        Ok(())
    }

    /// Reads, applies and appends in one step, like one serialized store transaction.
    pub fn submit(
        &mut self,
        request: &RewardsRequest,
        program: &RewardsProgram,
        now: Timestamp,
    ) -> Result<Applied, RewardsError> {
        let applied = apply(&self.state_for(&request.key), request, program, now)?;
        if let Applied::Recorded(new) = &applied {
            self.append(new)?;
        }
        Ok(applied)
    }
}

impl fmt::Display for Partner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({} points = {} units, in steps of {})",
            self.name, self.points, self.partner_units, self.increment
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::tests::ts;
    use crate::transactions::tests::usd;
    use proptest::prelude::*;

    fn key(k: &str) -> IdempotencyKey {
        IdempotencyKey::parse(k).unwrap()
    }

    fn earn(k: &str, dollars: i64, tier: Tier) -> RewardsRequest {
        RewardsRequest {
            key: key(k),
            command: RewardsCommand::Earn {
                transaction: TransactionRef(k.into()),
                amount: usd(dollars),
                tier,
            },
        }
    }

    fn transfer(k: &str, partner: &str, points: i64) -> RewardsRequest {
        RewardsRequest {
            key: key(k),
            command: RewardsCommand::Transfer {
                partner: partner.into(),
                member_number: "AB123456".into(),
                points,
            },
        }
    }

    #[test]
    fn earning_follows_tier_multipliers() {
        let program = RewardsProgram::demo().unwrap();
        let now = ts("2026-03-02T10:00:00Z");
        let mut ledger = Ledger::default();
        ledger
            .submit(&earn("t1", 100, Tier::Gold), &program, now)
            .unwrap();
        ledger
            .submit(&earn("t2", 10, Tier::Centurion), &program, now)
            .unwrap();
        assert_eq!(ledger.balance(), 250);
        let cents = RewardsRequest {
            command: RewardsCommand::Earn {
                transaction: TransactionRef("t3".into()),
                amount: Money::new(199, domain::Currency::USD),
                tier: Tier::Green,
            },
            ..earn("t3", 0, Tier::Green)
        };
        ledger.submit(&cents, &program, now).unwrap();
        assert_eq!(ledger.balance(), 251, "whole dollars only");
        assert!(matches!(
            ledger.submit(&earn("t4", -5, Tier::Gold), &program, now),
            Err(RewardsError::NotAPurchase(_))
        ));
    }

    #[test]
    fn transfers_use_the_partner_ratio_and_increment() {
        let program = RewardsProgram::demo().unwrap();
        let now = ts("2026-03-02T10:00:00Z");
        let mut ledger = Ledger::default();
        ledger
            .submit(&earn("t1", 2500, Tier::Gold), &program, now)
            .unwrap();
        let applied = ledger
            .submit(&transfer("x1", "sample-airways", 2000), &program, now)
            .unwrap();
        let [entry] = applied.entries() else { panic!() };
        assert_eq!(entry.points, -2000);
        assert!(matches!(
            entry.kind,
            EntryKind::TransferredOut {
                partner_units: 1600,
                ..
            }
        ));
        assert_eq!(ledger.balance(), 3000);
        let err = ledger
            .submit(&transfer("x2", "example-hotels", 1500), &program, now)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "transfers to Example Hotels Rewards are in multiples of 1000 points; 1500 is not"
        );
        let err = ledger
            .submit(&transfer("x3", "example-air", 4000), &program, now)
            .unwrap_err();
        assert_eq!(
            err,
            RewardsError::InsufficientPoints {
                balance: 3000,
                needed: 4000
            }
        );
        assert!(matches!(
            ledger.submit(&transfer("x4", "nowhere", 1000), &program, now),
            Err(RewardsError::UnknownPartner(..))
        ));
        assert!(Partner::new("odd", "Odd", PartnerKind::Hotel, (3, 1), 1000).is_err());
    }

    #[test]
    fn a_reused_key_replays_or_conflicts() {
        let program = RewardsProgram::demo().unwrap();
        let now = ts("2026-03-02T10:00:00Z");
        let mut ledger = Ledger::default();
        ledger
            .submit(&earn("t1", 5000, Tier::Gold), &program, now)
            .unwrap();
        let first = ledger
            .submit(&transfer("x1", "example-air", 1000), &program, now)
            .unwrap();
        let again = ledger
            .submit(
                &transfer("x1", "example-air", 1000),
                &program,
                ts("2026-03-02T10:00:05Z"),
            )
            .unwrap();
        assert_eq!(again, Applied::AlreadyApplied(first.entries().to_vec()));
        assert_eq!(ledger.balance(), 9000);
        assert!(matches!(
            ledger.submit(&transfer("x1", "example-air", 2000), &program, now),
            Err(RewardsError::KeyReused(_))
        ));
    }

    #[derive(Debug, Clone)]
    enum Op {
        Earn(i64, usize),
        Adjust(i64),
        Transfer(usize, i64),
        /// Resubmit an earlier request with its key.
        Repeat(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (1i64..5000, 0usize..6).prop_map(|(d, t)| Op::Earn(d, t)),
            (-20_000i64..20_000).prop_map(Op::Adjust),
            (0usize..3, 1i64..12).prop_map(|(p, n)| Op::Transfer(p, n * 500)),
            (0usize..64).prop_map(Op::Repeat),
        ]
    }

    proptest! {
        #[test]
        fn balance_is_the_ledger_sum_never_negative_and_keys_apply_once(ops in prop::collection::vec(op(), 1..60)) {
            let program = RewardsProgram::demo().unwrap();
            let now = ts("2026-03-02T10:00:00Z");
            let mut ledger = Ledger::default();
            let mut sent: Vec<RewardsRequest> = Vec::new();
            for (i, op) in ops.into_iter().enumerate() {
                let k = key(&format!("k{i}"));
                let request = match op {
                    Op::Earn(dollars, tier) => RewardsRequest { key: k, command: RewardsCommand::Earn {
                        transaction: TransactionRef(format!("t{i}")), amount: usd(dollars), tier: Tier::ALL[tier] } },
                    Op::Adjust(points) => RewardsRequest { key: k, command: RewardsCommand::Adjust {
                        points, reason: "goodwill".into(), by: Actor::Cardholder } },
                    Op::Transfer(p, points) => RewardsRequest { key: k, command: RewardsCommand::Transfer {
                        partner: program.partners[p].id.clone(), member_number: "M1".into(), points } },
                    Op::Repeat(j) if !sent.is_empty() => sent[j % sent.len()].clone(),
                    Op::Repeat(_) => continue,
                };
                let before = ledger.entries().len();
                let balance_before = ledger.balance();
                match ledger.submit(&request, &program, now) {
                    Ok(Applied::Recorded(new)) => prop_assert_eq!(ledger.entries().len(), before + new.len()),
                    Ok(Applied::AlreadyApplied(_)) | Err(_) => {
                        prop_assert_eq!(ledger.entries().len(), before);
                        prop_assert_eq!(ledger.balance(), balance_before);
                    }
                }
                sent.push(request);
                prop_assert!(ledger.balance() >= 0);
                let by_key = ledger.entries().iter().fold(BTreeMap::<&IdempotencyKey, usize>::new(), |mut m, e| {
                    *m.entry(&e.key).or_default() += 1;
                    m
                });
                prop_assert!(by_key.values().all(|&n| n == 1), "one entry per key");
            }
            let sum: i64 = ledger.entries().iter().map(|e| e.points).sum();
            prop_assert_eq!(ledger.balance(), sum);
        }

        #[test]
        fn concurrent_copies_of_one_transfer_apply_once(copies in 2usize..20, winner in 0usize..20) {
            let program = RewardsProgram::demo().unwrap();
            let now = ts("2026-03-02T10:00:00Z");
            let mut ledger = Ledger::default();
            ledger.submit(&earn("t1", 10_000, Tier::Gold), &program, now).unwrap();
            let request = transfer("same", "example-hotels", 5000);
            // All copies read the state before any commits (the race), then commit in turn.
            let decided: Vec<Applied> = (0..copies)
                .map(|_| apply(&ledger.state_for(&request.key), &request, &program, now).unwrap())
                .collect();
            let first = winner % copies;
            let mut order: Vec<usize> = (0..copies).collect();
            order.rotate_left(first);
            let mut recorded = 0;
            for i in order {
                let Applied::Recorded(entries) = &decided[i] else { panic!("nothing recorded yet") };
                match ledger.append(entries) {
                    Ok(()) => recorded += 1,
                    Err(AppendError::KeyTaken(_)) => {
                        // The loser retries its transaction and is told it already happened.
                        let retried = ledger.submit(&request, &program, now).unwrap();
                        prop_assert!(matches!(retried, Applied::AlreadyApplied(_)));
                    }
                    Err(other) => prop_assert!(false, "{other}"),
                }
            }
            prop_assert_eq!(recorded, 1);
            prop_assert_eq!(ledger.balance(), 20_000 - 5000);
        }

        #[test]
        fn racing_transfers_with_different_keys_never_overdraw(amounts in prop::collection::vec(1i64..6, 2..8)) {
            let program = RewardsProgram::demo().unwrap();
            let now = ts("2026-03-02T10:00:00Z");
            let mut ledger = Ledger::default();
            ledger.submit(&earn("t1", 2500, Tier::Gold), &program, now).unwrap();
            let decided: Vec<Result<Applied, RewardsError>> = amounts
                .iter()
                .enumerate()
                .map(|(i, n)| {
                    let request = transfer(&format!("x{i}"), "example-air", n * 1000);
                    apply(&ledger.state_for(&request.key), &request, &program, now)
                })
                .collect();
            for applied in decided.into_iter().flatten() {
                if let Applied::Recorded(entries) = applied {
                    let _ = ledger.append(&entries);
                }
                prop_assert!(ledger.balance() >= 0);
            }
        }
    }
}
