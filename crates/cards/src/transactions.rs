//! Transaction history queries and per-card spending alerts.

use std::fmt;

use domain::{CardId, Country, Money, MoneyError, Timestamp};
use jiff::tz::TimeZone;

use crate::events::Event;
use crate::time::local_date;

/// The processor's reference of a transaction.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct TransactionRef(pub String);

impl fmt::Display for TransactionRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransactionStatus {
    /// Authorized, not yet settled.
    Pending,
    Posted,
    Declined,
    /// An authorization released before settlement.
    Reversed,
    Disputed,
}

/// A card transaction as history and alerts see it. `amount` is in the account's billing
/// currency; refunds are negative.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Transaction {
    pub reference: TransactionRef,
    pub card_id: CardId,
    pub at: Timestamp,
    pub amount: Money,
    pub merchant: String,
    pub merchant_country: Country,
    /// False for online, phone and mail orders.
    pub card_present: bool,
    pub status: TransactionStatus,
}

/// Filters as the history page and the API accept them; all are optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct TransactionQuery {
    /// Inclusive.
    pub from: Option<Timestamp>,
    /// Exclusive.
    pub until: Option<Timestamp>,
    /// Inclusive, on the signed amount.
    pub min_amount: Option<Money>,
    pub max_amount: Option<Money>,
    /// Case-insensitive part of the merchant name.
    pub merchant: Option<String>,
    /// Any of these; empty means all.
    pub statuses: Vec<TransactionStatus>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("the date range ends ({until}) before it starts ({from}); swap the two dates")]
    BackwardsDates { from: Timestamp, until: Timestamp },
    #[error("the smallest amount ({min}) is larger than the largest ({max}); swap the two amounts")]
    BackwardsAmounts { min: Money, max: Money },
    #[error("the amount range mixes currencies ({0} and {1}); give both amounts in one currency")]
    MixedCurrencies(domain::Currency, domain::Currency),
    #[error("the merchant text has {0} characters; use at most 100")]
    MerchantTooLong(usize),
}

/// A checked query: build it with [`TransactionFilter::new`], then test transactions with it.
/// Its fields also map one-to-one onto a SQL `WHERE` clause, should the store prefer that.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionFilter {
    query: TransactionQuery,
    merchant_lower: Option<String>,
}

impl TransactionFilter {
    pub fn new(mut query: TransactionQuery) -> Result<Self, QueryError> {
        if let (Some(from), Some(until)) = (query.from, query.until)
            && until < from
        {
            return Err(QueryError::BackwardsDates { from, until });
        }
        if let (Some(min), Some(max)) = (query.min_amount, query.max_amount) {
            if min.currency != max.currency {
                return Err(QueryError::MixedCurrencies(min.currency, max.currency));
            }
            if min.minor > max.minor {
                return Err(QueryError::BackwardsAmounts { min, max });
            }
        }
        query.merchant = query
            .merchant
            .map(|m| m.trim().to_owned())
            .filter(|m| !m.is_empty());
        if let Some(m) = &query.merchant
            && m.chars().count() > 100
        {
            return Err(QueryError::MerchantTooLong(m.chars().count()));
        }
        let merchant_lower = query.merchant.as_deref().map(str::to_lowercase);
        Ok(Self {
            query,
            merchant_lower,
        })
    }

    pub fn query(&self) -> &TransactionQuery {
        &self.query
    }

    pub fn matches(&self, tx: &Transaction) -> bool {
        let q = &self.query;
        let amount_ok = |bound: Option<Money>, ok: fn(i64, i64) -> bool| {
            bound.is_none_or(|b| b.currency == tx.amount.currency && ok(tx.amount.minor, b.minor))
        };
        q.from.is_none_or(|from| tx.at >= from)
            && q.until.is_none_or(|until| tx.at < until)
            && amount_ok(q.min_amount, |a, b| a >= b)
            && amount_ok(q.max_amount, |a, b| a <= b)
            && self
                .merchant_lower
                .as_deref()
                .is_none_or(|m| tx.merchant.to_lowercase().contains(m))
            && (q.statuses.is_empty() || q.statuses.contains(&tx.status))
    }

    /// The matching transactions, newest first, at most `limit`.
    pub fn apply<'a>(
        &self,
        transactions: impl IntoIterator<Item = &'a Transaction>,
        limit: usize,
    ) -> Vec<&'a Transaction> {
        let mut found: Vec<&Transaction> = transactions
            .into_iter()
            .filter(|t| self.matches(t))
            .collect();
        found.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| b.reference.cmp(&a.reference)));
        found.truncate(limit);
        found
    }
}

/// A cardholder's alert thresholds for one card. Amounts are in the billing currency.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct AlertSettings {
    pub single_transaction_over: Option<Money>,
    pub daily_total_over: Option<Money>,
    /// Any purchase from a merchant outside the home country.
    pub foreign: bool,
    /// Any online, phone or mail-order purchase.
    pub card_not_present: bool,
}

/// Why an alert went off.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AlertReason {
    LargeTransaction { threshold: Money },
    DailyTotal { threshold: Money, total: Money },
    Foreign { country: Country },
    CardNotPresent,
}

/// Evaluates a new purchase against the card's alert settings. `spent_earlier_today` is the
/// card's total of purchases before this one on the same local day (see [`spent_on_day`]).
/// The daily alert fires once, on the purchase that crosses the threshold. Declined,
/// reversed and refund transactions raise no alert.
pub fn spending_alerts(
    settings: &AlertSettings,
    home_country: Country,
    tx: &Transaction,
    spent_earlier_today: Money,
) -> Result<Vec<Event>, MoneyError> {
    let purchase = tx.amount.minor > 0
        && matches!(
            tx.status,
            TransactionStatus::Pending | TransactionStatus::Posted
        );
    if !purchase {
        return Ok(Vec::new());
    }
    let mut reasons = Vec::new();
    if let Some(threshold) = settings.single_transaction_over {
        same_currency(threshold, tx.amount)?;
        if tx.amount.minor > threshold.minor {
            reasons.push(AlertReason::LargeTransaction { threshold });
        }
    }
    if let Some(threshold) = settings.daily_total_over {
        same_currency(threshold, tx.amount)?;
        let total = spent_earlier_today.checked_add(tx.amount)?;
        if spent_earlier_today.minor <= threshold.minor && total.minor > threshold.minor {
            reasons.push(AlertReason::DailyTotal { threshold, total });
        }
    }
    if settings.foreign && tx.merchant_country != home_country {
        reasons.push(AlertReason::Foreign {
            country: tx.merchant_country,
        });
    }
    if settings.card_not_present && !tx.card_present {
        reasons.push(AlertReason::CardNotPresent);
    }
    Ok(reasons
        .into_iter()
        .map(|reason| Event::SpendingAlert {
            card_id: tx.card_id,
            transaction: tx.reference.clone(),
            amount: tx.amount,
            merchant: tx.merchant.clone(),
            reason,
            at: tx.at,
        })
        .collect())
}

fn same_currency(a: Money, b: Money) -> Result<(), MoneyError> {
    if a.currency == b.currency {
        Ok(())
    } else {
        Err(MoneyError::CurrencyMismatch(a.currency, b.currency))
    }
}

/// Total of the card's purchases (pending or posted, positive) on the local day of `day_of`,
/// strictly before `day_of`.
pub fn spent_on_day<'a>(
    transactions: impl IntoIterator<Item = &'a Transaction>,
    card_id: CardId,
    day_of: Timestamp,
    time_zone: &TimeZone,
    currency: domain::Currency,
) -> Result<Money, MoneyError> {
    let day = local_date(day_of, time_zone);
    transactions
        .into_iter()
        .filter(|t| {
            t.card_id == card_id
                && t.at < day_of
                && t.amount.minor > 0
                && matches!(
                    t.status,
                    TransactionStatus::Pending | TransactionStatus::Posted
                )
                && local_date(t.at, time_zone) == day
        })
        .try_fold(Money::new(0, currency), |sum, t| sum.checked_add(t.amount))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::card::tests::ts;
    use domain::Currency;

    pub(crate) fn usd(major: i64) -> Money {
        Money::new(major * 100, Currency::USD)
    }

    pub(crate) fn tx(reference: &str, at: &str, dollars: i64, merchant: &str) -> Transaction {
        Transaction {
            reference: TransactionRef(reference.into()),
            card_id: CardId(uuid_of(1)),
            at: ts(at),
            amount: usd(dollars),
            merchant: merchant.into(),
            merchant_country: "US".parse().unwrap(),
            card_present: true,
            status: TransactionStatus::Posted,
        }
    }

    fn uuid_of(n: u128) -> uuid::Uuid {
        uuid::Uuid::from_u128(n)
    }

    fn history() -> Vec<Transaction> {
        vec![
            tx("t1", "2026-03-01T10:00:00Z", 12, "Corner Café"),
            tx("t2", "2026-03-02T10:00:00Z", 250, "Grand Hotel Example"),
            Transaction {
                status: TransactionStatus::Pending,
                ..tx("t3", "2026-03-03T10:00:00Z", 40, "CAFÉ NOIR")
            },
            tx("t4", "2026-03-04T10:00:00Z", -12, "Corner Café"),
        ]
    }

    fn refs(filter: TransactionQuery) -> Vec<String> {
        let all = history();
        TransactionFilter::new(filter)
            .unwrap()
            .apply(&all, 10)
            .into_iter()
            .map(|t| t.reference.0.clone())
            .collect()
    }

    #[test]
    fn filters_combine_and_sort_newest_first() {
        assert_eq!(refs(TransactionQuery::default()), ["t4", "t3", "t2", "t1"]);
        let cafe = TransactionQuery {
            merchant: Some(" café ".into()),
            ..Default::default()
        };
        assert_eq!(refs(cafe.clone()), ["t4", "t3", "t1"]);
        let purchases = TransactionQuery {
            min_amount: Some(usd(0)),
            ..cafe
        };
        assert_eq!(refs(purchases), ["t3", "t1"]);
        let range = TransactionQuery {
            from: Some(ts("2026-03-02T00:00:00Z")),
            until: Some(ts("2026-03-04T10:00:00Z")),
            ..Default::default()
        };
        assert_eq!(refs(range), ["t3", "t2"]);
        let pending = TransactionQuery {
            statuses: vec![TransactionStatus::Pending],
            ..Default::default()
        };
        assert_eq!(refs(pending), ["t3"]);
        let big = TransactionQuery {
            min_amount: Some(usd(100)),
            max_amount: Some(usd(1000)),
            ..Default::default()
        };
        assert_eq!(refs(big), ["t2"]);
    }

    #[test]
    fn inconsistent_filters_are_refused() {
        let backwards = TransactionQuery {
            from: Some(ts("2026-03-02T00:00:00Z")),
            until: Some(ts("2026-03-01T00:00:00Z")),
            ..Default::default()
        };
        assert!(matches!(
            TransactionFilter::new(backwards),
            Err(QueryError::BackwardsDates { .. })
        ));
        let mixed = TransactionQuery {
            min_amount: Some(usd(1)),
            max_amount: Some(Money::new(5, Currency::EUR)),
            ..Default::default()
        };
        assert!(matches!(
            TransactionFilter::new(mixed),
            Err(QueryError::MixedCurrencies(..))
        ));
        let upside_down = TransactionQuery {
            min_amount: Some(usd(10)),
            max_amount: Some(usd(1)),
            ..Default::default()
        };
        assert!(
            TransactionFilter::new(upside_down)
                .unwrap_err()
                .to_string()
                .contains("swap")
        );
    }

    fn reasons(events: Vec<Event>) -> Vec<AlertReason> {
        events
            .into_iter()
            .map(|e| match e {
                Event::SpendingAlert { reason, .. } => reason,
                other => panic!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn alerts_fire_on_each_threshold() {
        let settings = AlertSettings {
            single_transaction_over: Some(usd(200)),
            daily_total_over: Some(usd(500)),
            foreign: true,
            card_not_present: true,
        };
        let us = "US".parse().unwrap();
        let hotel = tx("t2", "2026-03-02T10:00:00Z", 250, "Grand Hotel Example");
        assert_eq!(
            reasons(spending_alerts(&settings, us, &hotel, usd(100)).unwrap()),
            [AlertReason::LargeTransaction {
                threshold: usd(200)
            }]
        );
        assert_eq!(
            reasons(spending_alerts(&settings, us, &hotel, usd(300)).unwrap()),
            [
                AlertReason::LargeTransaction {
                    threshold: usd(200)
                },
                AlertReason::DailyTotal {
                    threshold: usd(500),
                    total: usd(550)
                }
            ]
        );
        // Already over the daily threshold: no second daily alert.
        let small = tx("t5", "2026-03-02T12:00:00Z", 5, "Kiosk");
        assert!(
            spending_alerts(&settings, us, &small, usd(600))
                .unwrap()
                .is_empty()
        );
        let online_abroad = Transaction {
            merchant_country: "JP".parse().unwrap(),
            card_present: false,
            ..small.clone()
        };
        assert_eq!(
            reasons(spending_alerts(&settings, us, &online_abroad, usd(0)).unwrap()),
            [
                AlertReason::Foreign {
                    country: "JP".parse().unwrap()
                },
                AlertReason::CardNotPresent
            ]
        );
        let declined = Transaction {
            status: TransactionStatus::Declined,
            ..online_abroad
        };
        assert!(
            spending_alerts(&settings, us, &declined, usd(0))
                .unwrap()
                .is_empty()
        );
        let euros = Transaction {
            amount: Money::new(100, Currency::EUR),
            ..small
        };
        assert!(spending_alerts(&settings, us, &euros, usd(0)).is_err());
    }

    #[test]
    fn the_daily_total_uses_the_local_day() {
        let new_york = TimeZone::get("America/New_York").unwrap();
        let all = vec![
            // 2026-03-01 21:00 in New York: the day before locally.
            tx("a", "2026-03-02T02:00:00Z", 100, "A"),
            tx("b", "2026-03-02T14:00:00Z", 30, "B"),
            tx("c", "2026-03-02T15:00:00Z", -30, "refund"),
            tx("d", "2026-03-02T18:00:00Z", 70, "later"),
        ];
        let total = spent_on_day(
            &all,
            all[0].card_id,
            ts("2026-03-02T16:00:00Z"),
            &new_york,
            Currency::USD,
        )
        .unwrap();
        assert_eq!(total, usd(30));
    }
}
