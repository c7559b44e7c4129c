use async_trait::async_trait;
use domain::{CardholderId, Timestamp};
use sqlx::AssertSqlSafe;
use sqlx::any::AnyRow;

use super::{RowExt, SqlStore};
use crate::error::{StoreError, StoreResult};
use crate::model::Page;
use crate::notifications::{Delivery, DeliveryAttempt, DeliveryStatus, NotificationStore};

const COLUMNS: &str = "event_id, channel, recipient, cardholder_id, provider, template, status, \
                       attempts, last_error, created_at, updated_at, sent_at";

fn delivery(row: &AnyRow) -> StoreResult<Delivery> {
    let status = row.text("status")?;
    Ok(Delivery {
        event_id: row.int("event_id")?,
        channel: row.text("channel")?,
        recipient: row.text("recipient")?,
        cardholder_id: row.opt_parsed("cardholder_id")?,
        provider: row.text("provider")?,
        template: row.text("template")?,
        status: DeliveryStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("delivery status {status}")))?,
        attempts: row.int("attempts")?,
        last_error: row.opt_text("last_error")?,
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
        sent_at: row.opt_time("sent_at")?,
    })
}

impl SqlStore {
    async fn delivery(
        &self,
        event_id: i64,
        channel: &str,
        recipient: &str,
    ) -> StoreResult<Option<Delivery>> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM notification_deliveries \
             WHERE event_id = $1 AND channel = $2 AND recipient = $3"
        )))
        .bind(event_id)
        .bind(channel)
        .bind(recipient)
        .fetch_optional(&self.writer)
        .await?
        .as_ref()
        .map(delivery)
        .transpose()
    }
}

#[async_trait]
impl NotificationStore for SqlStore {
    async fn begin_delivery(
        &self,
        a: &DeliveryAttempt<'_>,
        at: Timestamp,
    ) -> StoreResult<Option<Delivery>> {
        let now = at.as_millisecond();
        // Insert, or count one more attempt on a row that was not sent; one statement, so two
        // dispatchers racing on the same event cannot both see "not sent".
        let written = sqlx::query(
            "INSERT INTO notification_deliveries (event_id, channel, recipient, cardholder_id, \
                 provider, template, status, attempts, last_error, created_at, updated_at, sent_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 'sending', 1, NULL, $7, $7, NULL) \
             ON CONFLICT (event_id, channel, recipient) DO UPDATE \
                 SET status = 'sending', attempts = notification_deliveries.attempts + 1, \
                     provider = excluded.provider, updated_at = excluded.updated_at \
                 WHERE notification_deliveries.status <> 'sent'",
        )
        .bind(a.event_id)
        .bind(a.channel)
        .bind(a.recipient)
        .bind(a.cardholder_id.map(|c| c.to_string()))
        .bind(a.provider)
        .bind(a.template)
        .bind(now)
        .execute(&self.writer)
        .await?;
        if written.rows_affected() == 0 {
            return Ok(None);
        }
        self.delivery(a.event_id, a.channel, a.recipient).await
    }

    async fn finish_delivery(
        &self,
        event_id: i64,
        channel: &str,
        recipient: &str,
        outcome: Result<(), &str>,
        at: Timestamp,
    ) -> StoreResult<()> {
        let now = at.as_millisecond();
        let (status, error, sent) = match outcome {
            Ok(()) => (DeliveryStatus::Sent, None, Some(now)),
            Err(reason) => (DeliveryStatus::Failed, Some(reason), None),
        };
        let done = sqlx::query(
            "UPDATE notification_deliveries SET status = $1, last_error = $2, updated_at = $3, \
                 sent_at = $4 \
             WHERE event_id = $5 AND channel = $6 AND recipient = $7 AND status <> 'sent'",
        )
        .bind(status.as_str())
        .bind(error)
        .bind(now)
        .bind(sent)
        .bind(event_id)
        .bind(channel)
        .bind(recipient)
        .execute(&self.writer)
        .await?;
        if done.rows_affected() == 0 && self.delivery(event_id, channel, recipient).await?.is_none()
        {
            return Err(StoreError::not_found(format!(
                "notification delivery {event_id}/{channel}"
            )));
        }
        Ok(())
    }

    async fn deliveries_for_cardholder(
        &self,
        cardholder: CardholderId,
        page: Page,
    ) -> StoreResult<Vec<Delivery>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM notification_deliveries WHERE cardholder_id = $1 \
             ORDER BY created_at DESC, event_id DESC, channel LIMIT $2 OFFSET $3"
        )))
        .bind(cardholder.to_string())
        .bind(i64::from(page.limit))
        .bind(i64::from(page.offset))
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(delivery).collect()
    }

    async fn deliveries_for_event(&self, event_id: i64) -> StoreResult<Vec<Delivery>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM notification_deliveries WHERE event_id = $1 \
             ORDER BY channel, recipient"
        )))
        .bind(event_id)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(delivery).collect()
    }
}
