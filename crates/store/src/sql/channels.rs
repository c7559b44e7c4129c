use async_trait::async_trait;
use cases::attachment::MediaType;
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use super::{RowExt, SqlStore};
use crate::channels::{ChannelItem, ChannelStore, SealedAttachment};
use crate::error::{StoreError, StoreResult};
use crate::model::{Effects, Page};

const ITEM_COLUMNS: &str =
    "id, channel, external_id, disposition, conversation_id, received_at, detail";

fn item_row(row: &AnyRow) -> StoreResult<ChannelItem> {
    Ok(ChannelItem {
        id: row.parsed("id")?,
        channel: row.text("channel")?,
        external_id: row.opt_text("external_id")?,
        disposition: row.text("disposition")?,
        conversation: row.opt_parsed("conversation_id")?,
        received_at: row.time("received_at")?,
        detail: row.json("detail")?,
    })
}

fn media_text(media: MediaType) -> StoreResult<String> {
    match serde_json::to_value(media) {
        Ok(serde_json::Value::String(s)) => Ok(s),
        other => Err(StoreError::Corrupt(format!("media type {other:?}"))),
    }
}

#[async_trait]
impl ChannelStore for SqlStore {
    async fn record_channel_item(&self, item: &ChannelItem, effects: Effects) -> StoreResult<()> {
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "INSERT INTO channel_items (id, channel, external_id, disposition, conversation_id, \
                 received_at, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(item.id.to_string())
        .bind(&item.channel)
        .bind(item.external_id.clone())
        .bind(&item.disposition)
        .bind(item.conversation.map(|id| id.to_string()))
        .bind(item.received_at.as_millisecond())
        .bind(item.detail.to_string())
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            StoreError::unique_as_conflict(
                e,
                format!(
                    "{} item {}",
                    item.channel,
                    item.external_id.as_deref().unwrap_or("")
                ),
            )
        })?;
        self.write_effects(&mut tx, effects).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn channel_item_by_external_id(
        &self,
        channels: &[&str],
        external_ids: &[String],
    ) -> StoreResult<Option<ChannelItem>> {
        for id in external_ids {
            for channel in channels {
                let row = sqlx::query(AssertSqlSafe(format!(
                    "SELECT {ITEM_COLUMNS} FROM channel_items WHERE channel = $1 AND external_id = $2"
                )))
                .bind(*channel)
                .bind(id)
                .fetch_optional(&self.reader)
                .await?;
                if let Some(row) = row {
                    return item_row(&row).map(Some);
                }
            }
        }
        Ok(None)
    }

    async fn recent_channel_items(
        &self,
        channel: &str,
        page: Page,
    ) -> StoreResult<Vec<ChannelItem>> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {ITEM_COLUMNS} FROM channel_items WHERE ($1 = '' OR channel = $1) \
             ORDER BY received_at DESC, id DESC LIMIT $2 OFFSET $3"
        )))
        .bind(channel)
        .bind(i64::from(page.limit))
        .bind(i64::from(page.offset))
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(item_row)
        .collect()
    }

    async fn put_sealed_attachment(&self, a: &SealedAttachment) -> StoreResult<bool> {
        let inserted = sqlx::query(
            "INSERT INTO sealed_attachments (sha256, key_id, media_type, size, content, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(&a.sha256)
        .bind(&a.key_id)
        .bind(media_text(a.media_type)?)
        .bind(i64::try_from(a.size).unwrap_or(i64::MAX))
        .bind(a.content.clone())
        .bind(a.created_at.as_millisecond())
        .execute(&self.writer)
        .await?;
        Ok(inserted.rows_affected() > 0)
    }

    async fn sealed_attachment(&self, sha256: &str) -> StoreResult<Option<SealedAttachment>> {
        let Some(row) = sqlx::query(
            "SELECT sha256, key_id, media_type, size, content, created_at \
             FROM sealed_attachments WHERE sha256 = $1",
        )
        .bind(sha256)
        .fetch_optional(&self.reader)
        .await?
        else {
            return Ok(None);
        };
        let media_type: MediaType =
            serde_json::from_value(serde_json::Value::String(row.text("media_type")?))
                .map_err(|e| StoreError::Corrupt(format!("sealed attachment media type: {e}")))?;
        Ok(Some(SealedAttachment {
            sha256: row.text("sha256")?,
            key_id: row.text("key_id")?,
            media_type,
            size: u64::try_from(row.int("size")?).unwrap_or_default(),
            content: row.try_get::<Vec<u8>, _>("content")?,
            created_at: row.time("created_at")?,
        }))
    }
}
