use async_trait::async_trait;
use domain::{CardholderId, Timestamp};
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};
use uuid::Uuid;

use super::{RowExt, SqlStore};
use crate::error::{StoreError, StoreResult};
use crate::fraud::{
    AlertStatus, FraudAlert, FraudBatch, FraudDecisionRecord, FraudLabel, FraudStore,
};
use crate::model::Effects;

const DECISION_COLUMNS: &str = "id, card_id, cardholder_id, at, decided_at, amount_minor, \
    currency, merchant, card_present, verdict, score, reasons, features, stand_in, label, \
    label_source, label_at";
/// Columns written by an insert (the label comes later).
const INSERTED: usize = 14;
/// Rows per INSERT statement: few round trips, well under both backends' parameter limits.
const ROWS_PER_INSERT: usize = 64;

const ALERT_COLUMNS: &str = "id, decision_id, card_id, cardholder_id, status, opened_at, \
    answer_by, resolved_at, resolved_by, note";

fn decision(row: &AnyRow) -> StoreResult<FraudDecisionRecord> {
    let label = match row.opt_text("label")? {
        Some(label) => Some(FraudLabel {
            label,
            source: row.opt_text("label_source")?.unwrap_or_default(),
            at: row.opt_time("label_at")?.ok_or_else(|| {
                StoreError::Corrupt("fraud decision label without label_at".to_owned())
            })?,
        }),
        None => None,
    };
    Ok(FraudDecisionRecord {
        id: row.parsed("id")?,
        card_id: row.opt_text("card_id")?,
        cardholder_id: row.opt_parsed("cardholder_id")?,
        at: row.time("at")?,
        decided_at: row.time("decided_at")?,
        amount_minor: row.int("amount_minor")?,
        currency: row.text("currency")?,
        merchant: row.json("merchant")?,
        card_present: row.flag("card_present")?,
        verdict: row.text("verdict")?,
        score: row.try_get::<f64, _>("score")?,
        reasons: row.json("reasons")?,
        features: row.json("features")?,
        stand_in: row.flag("stand_in")?,
        label,
    })
}

fn alert(row: &AnyRow) -> StoreResult<FraudAlert> {
    Ok(FraudAlert {
        id: row.parsed("id")?,
        decision_id: row.parsed("decision_id")?,
        card_id: row.opt_text("card_id")?,
        cardholder_id: row.opt_parsed("cardholder_id")?,
        status: row.parsed("status")?,
        opened_at: row.time("opened_at")?,
        answer_by: row.opt_time("answer_by")?,
        resolved_at: row.opt_time("resolved_at")?,
        resolved_by: row.opt_text("resolved_by")?,
        note: row.opt_text("note")?,
    })
}

fn placeholders(rows: usize, columns: usize) -> String {
    (0..rows)
        .map(|r| {
            let cells: Vec<String> = (1..=columns)
                .map(|c| format!("${}", r * columns + c))
                .collect();
            format!("({})", cells.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[async_trait]
impl FraudStore for SqlStore {
    async fn record_fraud_batch(&self, batch: &FraudBatch, effects: Effects) -> StoreResult<()> {
        let mut tx = self.writer.begin().await?;
        for chunk in batch.decisions.chunks(ROWS_PER_INSERT) {
            let sql = format!(
                "INSERT INTO fraud_decisions (id, card_id, cardholder_id, at, decided_at, \
                     amount_minor, currency, merchant, card_present, verdict, score, reasons, \
                     features, stand_in) VALUES {}",
                placeholders(chunk.len(), INSERTED)
            );
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for d in chunk {
                query = query
                    .bind(d.id.to_string())
                    .bind(d.card_id.clone())
                    .bind(d.cardholder_id.map(|c| c.to_string()))
                    .bind(d.at.as_millisecond())
                    .bind(d.decided_at.as_millisecond())
                    .bind(d.amount_minor)
                    .bind(d.currency.clone())
                    .bind(d.merchant.to_string())
                    .bind(i64::from(d.card_present))
                    .bind(d.verdict.clone())
                    .bind(d.score)
                    .bind(d.reasons.to_string())
                    .bind(d.features.to_string())
                    .bind(i64::from(d.stand_in));
            }
            query
                .execute(&mut *tx)
                .await
                .map_err(|e| StoreError::unique_as_conflict(e, "fraud decision id"))?;
        }
        for a in &batch.alerts {
            sqlx::query(AssertSqlSafe(format!(
                "INSERT INTO fraud_alerts ({ALERT_COLUMNS}, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
            )))
            .bind(a.id.to_string())
            .bind(a.decision_id.to_string())
            .bind(a.card_id.clone())
            .bind(a.cardholder_id.map(|c| c.to_string()))
            .bind(a.status.as_str())
            .bind(a.opened_at.as_millisecond())
            .bind(a.answer_by.map(|t| t.as_millisecond()))
            .bind(a.resolved_at.map(|t| t.as_millisecond()))
            .bind(a.resolved_by.clone())
            .bind(a.note.clone())
            .bind(self.now().as_millisecond())
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::unique_as_conflict(e, "fraud alert id"))?;
        }
        self.write_effects(&mut tx, effects).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn fraud_decision(&self, id: Uuid) -> StoreResult<FraudDecisionRecord> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {DECISION_COLUMNS} FROM fraud_decisions WHERE id = $1"
        )))
        .bind(id.to_string())
        .fetch_optional(&self.reader)
        .await?
        .ok_or_else(|| StoreError::not_found(format!("fraud decision {id}")))?;
        decision(&row)
    }

    async fn card_fraud_decisions(
        &self,
        card_id: &str,
        limit: u32,
    ) -> StoreResult<Vec<FraudDecisionRecord>> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {DECISION_COLUMNS} FROM fraud_decisions WHERE card_id = $1 \
             ORDER BY at DESC, id DESC LIMIT $2"
        )))
        .bind(card_id.to_owned())
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(decision)
        .collect()
    }

    async fn cardholder_fraud_decisions(
        &self,
        cardholder: CardholderId,
        limit: u32,
    ) -> StoreResult<Vec<FraudDecisionRecord>> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {DECISION_COLUMNS} FROM fraud_decisions WHERE cardholder_id = $1 \
             ORDER BY at DESC, id DESC LIMIT $2"
        )))
        .bind(cardholder.to_string())
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(decision)
        .collect()
    }

    async fn fraud_decisions_after(
        &self,
        after: Option<(Timestamp, Uuid)>,
        limit: u32,
    ) -> StoreResult<Vec<FraudDecisionRecord>> {
        let (at, id) = after.map_or((i64::MIN, String::new()), |(at, id)| {
            (at.as_millisecond(), id.to_string())
        });
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {DECISION_COLUMNS} FROM fraud_decisions \
             WHERE decided_at > $1 OR (decided_at = $1 AND id > $2) \
             ORDER BY decided_at, id LIMIT $3"
        )))
        .bind(at)
        .bind(id)
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(decision)
        .collect()
    }

    async fn label_fraud_decision(
        &self,
        id: Uuid,
        label: &FraudLabel,
        effects: Effects,
    ) -> StoreResult<()> {
        let mut tx = self.writer.begin().await?;
        let done = sqlx::query(
            "UPDATE fraud_decisions SET label = $1, label_source = $2, label_at = $3 \
             WHERE id = $4",
        )
        .bind(label.label.clone())
        .bind(label.source.clone())
        .bind(label.at.as_millisecond())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found(format!("fraud decision {id}")));
        }
        self.write_effects(&mut tx, effects).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn fraud_alert(&self, id: Uuid) -> StoreResult<FraudAlert> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {ALERT_COLUMNS} FROM fraud_alerts WHERE id = $1"
        )))
        .bind(id.to_string())
        .fetch_optional(&self.reader)
        .await?
        .ok_or_else(|| StoreError::not_found(format!("fraud alert {id}")))?;
        alert(&row)
    }

    async fn fraud_alerts(
        &self,
        statuses: &[AlertStatus],
        limit: u32,
    ) -> StoreResult<Vec<FraudAlert>> {
        if statuses.is_empty() {
            return Ok(Vec::new());
        }
        let list: Vec<String> = (0..statuses.len()).map(|i| format!("${}", i + 1)).collect();
        let sql = format!(
            "SELECT {ALERT_COLUMNS} FROM fraud_alerts WHERE status IN ({}) \
             ORDER BY opened_at, id LIMIT ${}",
            list.join(", "),
            statuses.len() + 1
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for s in statuses {
            query = query.bind(s.as_str());
        }
        query
            .bind(i64::from(limit))
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(alert)
            .collect()
    }

    async fn challenged_fraud_alerts_for_cardholder(
        &self,
        cardholder: CardholderId,
    ) -> StoreResult<Vec<FraudAlert>> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {ALERT_COLUMNS} FROM fraud_alerts WHERE cardholder_id = $1 \
             AND status = 'challenged' ORDER BY opened_at, id"
        )))
        .bind(cardholder.to_string())
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(alert)
        .collect()
    }

    async fn update_fraud_alert(
        &self,
        a: &FraudAlert,
        expected: AlertStatus,
        effects: Effects,
    ) -> StoreResult<()> {
        let mut tx = self.writer.begin().await?;
        let done = sqlx::query(
            "UPDATE fraud_alerts SET status = $1, answer_by = $2, resolved_at = $3, \
                 resolved_by = $4, note = $5, updated_at = $6 \
             WHERE id = $7 AND status = $8",
        )
        .bind(a.status.as_str())
        .bind(a.answer_by.map(|t| t.as_millisecond()))
        .bind(a.resolved_at.map(|t| t.as_millisecond()))
        .bind(a.resolved_by.clone())
        .bind(a.note.clone())
        .bind(self.now().as_millisecond())
        .bind(a.id.to_string())
        .bind(expected.as_str())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            let exists = sqlx::query("SELECT status FROM fraud_alerts WHERE id = $1")
                .bind(a.id.to_string())
                .fetch_optional(&mut *tx)
                .await?;
            return Err(match exists {
                None => StoreError::not_found(format!("fraud alert {}", a.id)),
                Some(row) => StoreError::conflict(format!(
                    "fraud alert {} is {}, not {}",
                    a.id,
                    row.text("status")?,
                    expected.as_str()
                )),
            });
        }
        self.write_effects(&mut tx, effects).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn save_fraud_snapshot(&self, at: Timestamp, state: &str) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO fraud_snapshot (id, at, state) VALUES (1, $1, $2) \
             ON CONFLICT (id) DO UPDATE SET at = excluded.at, state = excluded.state",
        )
        .bind(at.as_millisecond())
        .bind(state.to_owned())
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn fraud_snapshot(&self) -> StoreResult<Option<(Timestamp, String)>> {
        let row = sqlx::query("SELECT at, state FROM fraud_snapshot WHERE id = 1")
            .fetch_optional(&self.reader)
            .await?;
        row.map(|r| Ok((r.time("at")?, r.text("state")?)))
            .transpose()
    }
}
