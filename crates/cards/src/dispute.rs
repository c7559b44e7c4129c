//! Disputes: filed → provisionally credited → merchant responded → won or lost, with deadlines.
//! A dispute marked fraud leaves the cardholder liable for nothing.

use std::fmt;

use domain::{CardId, CardholderId, DisputeId, Money, Timestamp};
use jiff::SignedDuration;
use sha2::{Digest, Sha256};

use crate::events::Event;
use crate::time::{after, before};
use crate::transactions::{Transaction, TransactionRef};

/// Time limits and upload limits. Days are calendar days (24 h each).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct DisputePolicy {
    /// How long after the transaction a dispute may be filed.
    pub filing_window_days: i64,
    /// The issuer credits the cardholder provisionally within this many days of filing.
    pub provisional_credit_days: i64,
    /// The merchant must answer within this many days of filing.
    pub merchant_response_days: i64,
    /// The issuer decides within this many days of filing.
    pub decision_days: i64,
    pub max_documents: usize,
    pub max_document_bytes: usize,
}

impl Default for DisputePolicy {
    /// 120 days to file; credit within 10 days; merchant answers within 30; decision within 90
    /// (the two-billing-cycle limit card regulations commonly set); up to 10 files of 10 MiB.
    fn default() -> Self {
        Self {
            filing_window_days: 120,
            provisional_credit_days: 10,
            merchant_response_days: 30,
            decision_days: 90,
            max_documents: 10,
            max_document_bytes: 10 * 1024 * 1024,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisputeReason {
    /// The cardholder did not make or allow the transaction: a fraud dispute.
    Unauthorized,
    NotReceived,
    NotAsDescribed,
    Duplicate,
    WrongAmount,
    CancelledRecurring,
    RefundNotProcessed,
    Other,
}

/// A file type accepted as evidence, recognised by its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    Pdf,
    Jpeg,
    Png,
}

impl DocumentKind {
    pub const fn mime_type(self) -> &'static str {
        match self {
            DocumentKind::Pdf => "application/pdf",
            DocumentKind::Jpeg => "image/jpeg",
            DocumentKind::Png => "image/png",
        }
    }

    /// Recognises the file by its first bytes (magic numbers), whatever its name says.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        const SIGNATURES: &[(&[u8], DocumentKind)] = &[
            (b"%PDF-", DocumentKind::Pdf),
            (&[0xFF, 0xD8, 0xFF], DocumentKind::Jpeg),
            (
                &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A],
                DocumentKind::Png,
            ),
        ];
        SIGNATURES
            .iter()
            .find(|(magic, _)| bytes.starts_with(magic))
            .map(|(_, kind)| *kind)
    }
}

/// An accepted evidence file: what the store keeps next to the bytes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Document {
    pub name: String,
    pub kind: DocumentKind,
    pub bytes: usize,
    /// Hex SHA-256 of the content, to spot the same file sent twice.
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    #[error("{name:?} is empty; attach the file again")]
    Empty { name: String },
    #[error(
        "{name:?} is {size} bytes; the limit is {limit} bytes, so send a smaller scan or photo"
    )]
    TooLarge {
        name: String,
        size: usize,
        limit: usize,
    },
    #[error("{name:?} is not a PDF, JPEG or PNG file (checked by its content, not its name)")]
    UnsupportedType { name: String },
}

/// Checks one upload by content and size.
pub fn check_document(
    name: &str,
    content: &[u8],
    policy: &DisputePolicy,
) -> Result<Document, DocumentError> {
    let name = name.trim().to_owned();
    if content.is_empty() {
        return Err(DocumentError::Empty { name });
    }
    if content.len() > policy.max_document_bytes {
        return Err(DocumentError::TooLarge {
            name,
            size: content.len(),
            limit: policy.max_document_bytes,
        });
    }
    let kind = DocumentKind::sniff(content)
        .ok_or(DocumentError::UnsupportedType { name: name.clone() })?;
    Ok(Document {
        name,
        kind,
        bytes: content.len(),
        sha256: hex::encode(Sha256::digest(content)),
    })
}

/// The merchant's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MerchantPosition {
    /// The merchant accepts the chargeback.
    Accepts,
    /// The merchant contests it with its own evidence.
    Contests,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// For the cardholder: the provisional credit becomes final.
    Won,
    /// For the merchant: the provisional credit is reversed (unless the dispute is fraud).
    Lost,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum DisputeState {
    Filed,
    ProvisionallyCredited {
        at: Timestamp,
    },
    MerchantResponded {
        credited_at: Timestamp,
        at: Timestamp,
        position: MerchantPosition,
    },
    Decided {
        at: Timestamp,
        outcome: Outcome,
    },
}

impl DisputeState {
    pub const fn name(&self) -> &'static str {
        match self {
            DisputeState::Filed => "filed",
            DisputeState::ProvisionallyCredited { .. } => "provisionally_credited",
            DisputeState::MerchantResponded { .. } => "merchant_responded",
            DisputeState::Decided {
                outcome: Outcome::Won,
                ..
            } => "won",
            DisputeState::Decided {
                outcome: Outcome::Lost,
                ..
            } => "lost",
        }
    }
}

/// When each step is due, fixed at filing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Deadlines {
    pub provisional_credit: Timestamp,
    pub merchant_response: Timestamp,
    pub decision: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineKind {
    ProvisionalCredit,
    MerchantResponse,
    Decision,
}

/// What the cardholder owes on the disputed amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Liability {
    Decided {
        amount: Money,
    },
    /// Not decided yet; at most this much.
    Open {
        at_most: Money,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Dispute {
    pub id: DisputeId,
    pub card_id: CardId,
    pub cardholder_id: CardholderId,
    pub transaction: TransactionRef,
    pub reason: DisputeReason,
    pub description: String,
    pub amount: Money,
    pub documents: Vec<Document>,
    /// Set when filed as unauthorized or marked by an analyst: zero liability.
    pub fraud: bool,
    pub filed_at: Timestamp,
    pub deadlines: Deadlines,
    pub state: DisputeState,
}

/// What the cardholder files.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DisputeFiling {
    pub reason: DisputeReason,
    pub description: String,
    pub amount: Money,
    pub documents: Vec<Document>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DisputeError {
    #[error(
        "the disputed amount must be more than zero and at most the transaction's {transaction} (same currency); it was {amount}"
    )]
    BadAmount { amount: Money, transaction: Money },
    #[error(
        "the transaction of {at} is more than {days} days old and can no longer be disputed; call us to discuss it"
    )]
    TooLate { at: Timestamp, days: i64 },
    #[error("only posted or pending transactions can be disputed")]
    NotDisputable,
    #[error("please describe the problem in at most 2000 characters")]
    Description,
    #[error("a dispute takes at most {0} documents")]
    TooManyDocuments(usize),
    #[error("cannot {action} dispute in state {state}: {why}")]
    Transition {
        action: &'static str,
        state: &'static str,
        why: &'static str,
    },
}

fn days(n: i64) -> SignedDuration {
    SignedDuration::from_hours(n.saturating_mul(24))
}

/// Files a dispute on a posted or pending transaction of the cardholder's card.
pub fn file_dispute(
    id: DisputeId,
    cardholder_id: CardholderId,
    transaction: &Transaction,
    filing: DisputeFiling,
    policy: &DisputePolicy,
    now: Timestamp,
) -> Result<(Dispute, Vec<Event>), DisputeError> {
    use crate::transactions::TransactionStatus::{Pending, Posted};
    if !matches!(transaction.status, Posted | Pending) {
        return Err(DisputeError::NotDisputable);
    }
    let amount_ok = filing.amount.currency == transaction.amount.currency
        && filing.amount.minor > 0
        && filing.amount.minor <= transaction.amount.minor;
    if !amount_ok {
        return Err(DisputeError::BadAmount {
            amount: filing.amount,
            transaction: transaction.amount,
        });
    }
    if before(now, days(policy.filing_window_days)) > transaction.at {
        return Err(DisputeError::TooLate {
            at: transaction.at,
            days: policy.filing_window_days,
        });
    }
    let description = filing.description.trim().to_owned();
    if description.chars().count() > 2000 {
        return Err(DisputeError::Description);
    }
    if filing.documents.len() > policy.max_documents {
        return Err(DisputeError::TooManyDocuments(policy.max_documents));
    }
    let dispute = Dispute {
        id,
        card_id: transaction.card_id,
        cardholder_id,
        transaction: transaction.reference.clone(),
        reason: filing.reason,
        description,
        amount: filing.amount,
        documents: filing.documents,
        fraud: filing.reason == DisputeReason::Unauthorized,
        filed_at: now,
        deadlines: Deadlines {
            provisional_credit: after(now, days(policy.provisional_credit_days)),
            merchant_response: after(now, days(policy.merchant_response_days)),
            decision: after(now, days(policy.decision_days)),
        },
        state: DisputeState::Filed,
    };
    let events = vec![dispute.event(DisputeChange::Filed, now)];
    Ok((dispute, events))
}

/// What changed, for the dispute event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisputeChange {
    Filed,
    ProvisionallyCredited,
    MerchantResponded,
    DocumentAdded,
    MarkedFraud,
    Decided,
}

impl fmt::Display for DisputeChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DisputeChange::Filed => "filed",
            DisputeChange::ProvisionallyCredited => "provisionally_credited",
            DisputeChange::MerchantResponded => "merchant_responded",
            DisputeChange::DocumentAdded => "document_added",
            DisputeChange::MarkedFraud => "marked_fraud",
            DisputeChange::Decided => "decided",
        })
    }
}

impl Dispute {
    fn refuse(&self, action: &'static str, why: &'static str) -> DisputeError {
        DisputeError::Transition {
            action,
            state: self.state.name(),
            why,
        }
    }

    fn event(&self, change: DisputeChange, now: Timestamp) -> Event {
        Event::DisputeChanged {
            dispute_id: self.id,
            card_id: self.card_id,
            cardholder_id: self.cardholder_id,
            change,
            status: self.state.name().to_owned(),
            amount: self.amount,
            fraud: self.fraud,
            liability: self.liability(),
            at: now,
        }
    }

    fn moved(
        &self,
        state: DisputeState,
        change: DisputeChange,
        now: Timestamp,
    ) -> (Dispute, Vec<Event>) {
        let next = Dispute {
            state,
            ..self.clone()
        };
        let events = vec![next.event(change, now)];
        (next, events)
    }

    pub fn is_decided(&self) -> bool {
        matches!(self.state, DisputeState::Decided { .. })
    }

    /// Filed → provisionally credited: the amount goes back on the account while the
    /// merchant is asked.
    pub fn credit_provisionally(
        &self,
        now: Timestamp,
    ) -> Result<(Dispute, Vec<Event>), DisputeError> {
        match self.state {
            DisputeState::Filed => Ok(self.moved(
                DisputeState::ProvisionallyCredited { at: now },
                DisputeChange::ProvisionallyCredited,
                now,
            )),
            _ => Err(self.refuse("credit", "the provisional credit was already given")),
        }
    }

    /// Provisionally credited → merchant responded.
    pub fn record_merchant_response(
        &self,
        position: MerchantPosition,
        now: Timestamp,
    ) -> Result<(Dispute, Vec<Event>), DisputeError> {
        match self.state {
            DisputeState::ProvisionallyCredited { at } => Ok(self.moved(
                DisputeState::MerchantResponded {
                    credited_at: at,
                    at: now,
                    position,
                },
                DisputeChange::MerchantResponded,
                now,
            )),
            DisputeState::Filed => Err(self.refuse(
                "record the merchant's response to",
                "the provisional credit must be given first",
            )),
            _ => Err(self.refuse(
                "record the merchant's response to",
                "the merchant has already responded",
            )),
        }
    }

    /// Merchant responded → won/lost; or, once the merchant's deadline has passed without an
    /// answer, provisionally credited → won/lost.
    pub fn decide(
        &self,
        outcome: Outcome,
        now: Timestamp,
    ) -> Result<(Dispute, Vec<Event>), DisputeError> {
        let may_decide = match self.state {
            DisputeState::MerchantResponded { .. } => true,
            DisputeState::ProvisionallyCredited { .. } => now > self.deadlines.merchant_response,
            _ => false,
        };
        if !may_decide {
            return Err(self.refuse(
                "decide",
                "the merchant has until its deadline to respond, after the provisional credit",
            ));
        }
        Ok(self.moved(
            DisputeState::Decided { at: now, outcome },
            DisputeChange::Decided,
            now,
        ))
    }

    /// An analyst found the transaction fraudulent: the cardholder owes nothing.
    pub fn mark_fraud(&self, now: Timestamp) -> Result<(Dispute, Vec<Event>), DisputeError> {
        if self.is_decided() {
            return Err(self.refuse("mark fraud on", "it is already decided"));
        }
        if self.fraud {
            return Err(self.refuse("mark fraud on", "it is already marked fraud"));
        }
        let marked = Dispute {
            fraud: true,
            ..self.clone()
        };
        let events = vec![marked.event(DisputeChange::MarkedFraud, now)];
        Ok((marked, events))
    }

    /// Adds a checked document while the dispute is open.
    pub fn add_document(
        &self,
        document: Document,
        policy: &DisputePolicy,
        now: Timestamp,
    ) -> Result<(Dispute, Vec<Event>), DisputeError> {
        if self.is_decided() {
            return Err(self.refuse("add a document to", "it is already decided"));
        }
        if self.documents.len() >= policy.max_documents {
            return Err(DisputeError::TooManyDocuments(policy.max_documents));
        }
        let mut next = self.clone();
        next.documents.push(document);
        let events = vec![next.event(DisputeChange::DocumentAdded, now)];
        Ok((next, events))
    }

    /// Fraud: nothing, ever. Won: nothing. Lost: the disputed amount. Open: at most the amount.
    pub fn liability(&self) -> Liability {
        let zero = Money::new(0, self.amount.currency);
        match self.state {
            _ if self.fraud => Liability::Decided { amount: zero },
            DisputeState::Decided {
                outcome: Outcome::Won,
                ..
            } => Liability::Decided { amount: zero },
            DisputeState::Decided {
                outcome: Outcome::Lost,
                ..
            } => Liability::Decided {
                amount: self.amount,
            },
            _ => Liability::Open {
                at_most: self.amount,
            },
        }
    }

    /// What a step of the dispute posts to the card's account, as the issuer books it: giving
    /// the provisional credit posts a credit (the disputed amount, negative) and a lost dispute
    /// that is not fraud reverses that credit with a debit; a won or fraud dispute keeps the
    /// credit. `self` is the dispute before the step, `next` after it, `disputed` the
    /// transaction it is about. Each entry's reference is derived from the dispute, so an
    /// entry cannot be posted twice.
    pub fn account_entry(
        &self,
        next: &Dispute,
        disputed: &Transaction,
        now: Timestamp,
    ) -> Option<Transaction> {
        let credited = |s: &DisputeState| {
            matches!(
                s,
                DisputeState::ProvisionallyCredited { .. } | DisputeState::MerchantResponded { .. }
            )
        };
        let (suffix, minor, merchant) = match next.state {
            DisputeState::ProvisionallyCredited { .. } if !credited(&self.state) => (
                "credit",
                -next.amount.minor,
                format!("Provisional credit: dispute of {}", disputed.merchant),
            ),
            DisputeState::Decided {
                outcome: Outcome::Lost,
                ..
            } if credited(&self.state) && !next.fraud => (
                "reversal",
                next.amount.minor,
                format!(
                    "Provisional credit reversed: dispute of {}",
                    disputed.merchant
                ),
            ),
            _ => return None,
        };
        Some(Transaction {
            reference: TransactionRef(format!("dispute-{}-{suffix}", next.id)),
            card_id: next.card_id,
            at: now,
            amount: Money::new(minor, next.amount.currency),
            merchant,
            merchant_country: disputed.merchant_country,
            card_present: false,
            status: crate::transactions::TransactionStatus::Posted,
        })
    }

    /// Steps whose deadline has passed without being done, for escalation.
    pub fn overdue(&self, now: Timestamp) -> Vec<DeadlineKind> {
        let mut late = Vec::new();
        if matches!(self.state, DisputeState::Filed) && now > self.deadlines.provisional_credit {
            late.push(DeadlineKind::ProvisionalCredit);
        }
        if matches!(
            self.state,
            DisputeState::Filed | DisputeState::ProvisionallyCredited { .. }
        ) && now > self.deadlines.merchant_response
        {
            late.push(DeadlineKind::MerchantResponse);
        }
        if !self.is_decided() && now > self.deadlines.decision {
            late.push(DeadlineKind::Decision);
        }
        late
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::tests::ts;
    use crate::transactions::tests::{tx, usd};

    fn filing(reason: DisputeReason, dollars: i64) -> DisputeFiling {
        DisputeFiling {
            reason,
            description: "Charged twice".into(),
            amount: usd(dollars),
            documents: vec![],
        }
    }

    fn filed(reason: DisputeReason) -> Dispute {
        let transaction = tx("t9", "2026-03-01T10:00:00Z", 80, "Example Shop");
        file_dispute(
            DisputeId::new(),
            CardholderId::new(),
            &transaction,
            filing(reason, 80),
            &DisputePolicy::default(),
            ts("2026-03-02T10:00:00Z"),
        )
        .unwrap()
        .0
    }

    #[test]
    fn deadlines_follow_the_policy() {
        let d = filed(DisputeReason::Duplicate);
        assert_eq!(d.deadlines.provisional_credit, ts("2026-03-12T10:00:00Z"));
        assert_eq!(d.deadlines.merchant_response, ts("2026-04-01T10:00:00Z"));
        assert_eq!(d.deadlines.decision, ts("2026-05-31T10:00:00Z"));
        assert!(d.overdue(ts("2026-03-12T10:00:00Z")).is_empty());
        assert_eq!(
            d.overdue(ts("2026-04-02T00:00:00Z")),
            [
                DeadlineKind::ProvisionalCredit,
                DeadlineKind::MerchantResponse
            ]
        );
        let (credited, _) = d.credit_provisionally(ts("2026-03-03T00:00:00Z")).unwrap();
        assert_eq!(
            credited.overdue(ts("2026-06-01T00:00:00Z")),
            [DeadlineKind::MerchantResponse, DeadlineKind::Decision]
        );
    }

    #[test]
    fn the_full_path_and_its_liability() {
        let d = filed(DisputeReason::NotReceived);
        assert_eq!(d.liability(), Liability::Open { at_most: usd(80) });
        let now = ts("2026-03-05T10:00:00Z");
        let (d, _) = d.credit_provisionally(now).unwrap();
        let (d, _) = d
            .record_merchant_response(MerchantPosition::Contests, now)
            .unwrap();
        let (lost, events) = d.decide(Outcome::Lost, now).unwrap();
        assert_eq!(lost.state.name(), "lost");
        assert_eq!(lost.liability(), Liability::Decided { amount: usd(80) });
        assert!(matches!(
            events[..],
            [Event::DisputeChanged {
                change: DisputeChange::Decided,
                ..
            }]
        ));
        let (won, _) = d.decide(Outcome::Won, now).unwrap();
        assert_eq!(won.liability(), Liability::Decided { amount: usd(0) });
    }

    #[test]
    fn fraud_disputes_carry_zero_liability_whatever_the_outcome() {
        let zero = Liability::Decided { amount: usd(0) };
        let fraud = filed(DisputeReason::Unauthorized);
        assert!(fraud.fraud);
        assert_eq!(fraud.liability(), zero);
        let now = ts("2026-03-05T10:00:00Z");
        let (d, _) = fraud.credit_provisionally(now).unwrap();
        let (d, _) = d
            .record_merchant_response(MerchantPosition::Contests, now)
            .unwrap();
        let (lost, _) = d.decide(Outcome::Lost, now).unwrap();
        assert_eq!(lost.liability(), zero);

        let marked_later = filed(DisputeReason::NotAsDescribed);
        let (marked, events) = marked_later.mark_fraud(now).unwrap();
        assert_eq!(marked.liability(), zero);
        assert!(matches!(
            events[..],
            [Event::DisputeChanged { liability: Liability::Decided { amount }, .. }] if amount.minor == 0
        ));
        assert!(marked.mark_fraud(now).is_err());
    }

    #[test]
    fn the_provisional_credit_is_posted_and_reversed_only_when_a_non_fraud_dispute_is_lost() {
        let disputed = tx("t9", "2026-03-01T10:00:00Z", 80, "Example Shop");
        let now = ts("2026-03-05T10:00:00Z");
        let d = filed(DisputeReason::NotReceived);
        let (credited, _) = d.credit_provisionally(now).unwrap();
        let credit = d
            .account_entry(&credited, &disputed, now)
            .expect("a credit");
        assert_eq!(credit.amount, usd(-80));
        assert_eq!(credit.card_id, d.card_id);
        assert_eq!(credit.at, now);
        assert_eq!(
            credit.status,
            crate::transactions::TransactionStatus::Posted
        );
        assert_eq!(credit.reference.0, format!("dispute-{}-credit", d.id));
        assert!(
            credit.merchant.contains("Example Shop"),
            "{}",
            credit.merchant
        );

        let (responded, _) = credited
            .record_merchant_response(MerchantPosition::Contests, now)
            .unwrap();
        assert_eq!(credited.account_entry(&responded, &disputed, now), None);
        let (lost, _) = responded.decide(Outcome::Lost, now).unwrap();
        let reversal = responded
            .account_entry(&lost, &disputed, now)
            .expect("a debit");
        assert_eq!(reversal.amount, usd(80));
        assert_eq!(reversal.reference.0, format!("dispute-{}-reversal", d.id));
        let (won, _) = responded.decide(Outcome::Won, now).unwrap();
        assert_eq!(responded.account_entry(&won, &disputed, now), None);

        // Fraud: the credit stays whatever the merchant says.
        let fraud = filed(DisputeReason::Unauthorized);
        let (credited, _) = fraud.credit_provisionally(now).unwrap();
        assert!(fraud.account_entry(&credited, &disputed, now).is_some());
        let (responded, _) = credited
            .record_merchant_response(MerchantPosition::Contests, now)
            .unwrap();
        let (lost, _) = responded.decide(Outcome::Lost, now).unwrap();
        assert_eq!(responded.account_entry(&lost, &disputed, now), None);
        // Marking fraud posts nothing.
        let (marked, _) = d.mark_fraud(now).unwrap();
        assert_eq!(d.account_entry(&marked, &disputed, now), None);
    }

    #[test]
    fn out_of_order_steps_are_refused_with_the_reason() {
        let d = filed(DisputeReason::Duplicate);
        let now = ts("2026-03-05T10:00:00Z");
        let err = d
            .record_merchant_response(MerchantPosition::Accepts, now)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot record the merchant's response to dispute in state filed: the provisional credit must be given first"
        );
        assert!(d.decide(Outcome::Won, now).is_err());
        let (credited, _) = d.credit_provisionally(now).unwrap();
        assert!(credited.credit_provisionally(now).is_err());
        assert!(
            credited.decide(Outcome::Won, now).is_err(),
            "merchant still has time"
        );
        let silent_merchant = credited.decide(Outcome::Won, ts("2026-04-02T00:00:00Z"));
        assert!(silent_merchant.is_ok());
    }

    #[test]
    fn filing_checks_amount_age_and_documents() {
        let transaction = tx("t9", "2026-03-01T10:00:00Z", 80, "Example Shop");
        let policy = DisputePolicy::default();
        let file = |f: DisputeFiling, now: &str| {
            file_dispute(
                DisputeId::new(),
                CardholderId::new(),
                &transaction,
                f,
                &policy,
                ts(now),
            )
        };
        assert!(matches!(
            file(
                filing(DisputeReason::WrongAmount, 81),
                "2026-03-02T00:00:00Z"
            ),
            Err(DisputeError::BadAmount { .. })
        ));
        assert!(matches!(
            file(
                filing(DisputeReason::WrongAmount, 0),
                "2026-03-02T00:00:00Z"
            ),
            Err(DisputeError::BadAmount { .. })
        ));
        assert!(matches!(
            file(
                filing(DisputeReason::WrongAmount, 10),
                "2026-06-30T10:00:01Z"
            ),
            Err(DisputeError::TooLate { .. })
        ));
        let too_many = DisputeFiling {
            documents: vec![check_document("a.pdf", b"%PDF-1.7", &policy).unwrap(); 11],
            ..filing(DisputeReason::Other, 10)
        };
        assert!(matches!(
            file(too_many, "2026-03-02T00:00:00Z"),
            Err(DisputeError::TooManyDocuments(10))
        ));
    }

    #[test]
    fn documents_are_recognised_by_content() {
        let policy = DisputePolicy {
            max_document_bytes: 64,
            ..DisputePolicy::default()
        };
        let png = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0];
        let cases: &[(&str, &[u8], Result<DocumentKind, &str>)] = &[
            ("receipt.pdf", b"%PDF-1.4\n...", Ok(DocumentKind::Pdf)),
            (
                "photo.jpg",
                &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10],
                Ok(DocumentKind::Jpeg),
            ),
            ("scan.png", &png, Ok(DocumentKind::Png)),
            // The name lies: content decides.
            (
                "receipt.pdf",
                b"GIF89a....",
                Err("is not a PDF, JPEG or PNG"),
            ),
            (
                "page.png",
                b"<html></html>",
                Err("is not a PDF, JPEG or PNG"),
            ),
            ("empty.pdf", b"", Err("is empty")),
            ("huge.pdf", &[b'%'; 65], Err("the limit is 64 bytes")),
        ];
        for (name, content, expected) in cases {
            let result = check_document(name, content, &policy);
            match expected {
                Ok(kind) => assert_eq!(result.unwrap().kind, *kind, "{name}"),
                Err(text) => {
                    let err = result.unwrap_err().to_string();
                    assert!(err.contains(text) && err.contains(name), "{err}");
                }
            }
        }
        let doc = check_document("r.pdf", b"%PDF-1.4", &policy).unwrap();
        assert_eq!(doc.sha256.len(), 64);
        assert_eq!(doc.kind.mime_type(), "application/pdf");
    }
}
