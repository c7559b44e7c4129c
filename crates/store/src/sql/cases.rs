use async_trait::async_trait;
use cases::attachment::MediaType;
use cases::conversation::{Conversation, ConversationStatus};
use cases::{Case, CaseEvent, CaseEventKind, CaseRef, Message};
use domain::{CardholderId, CaseId, ConversationId, Timestamp};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe, Row};

use super::{RowExt, SqlStore};
use crate::cases::{
    CaseChange, CaseFilter, CaseStore, ConversationStore, Guest, MessageAppend, StoredAttachment,
    StoredConversation,
};
use crate::error::{StoreError, StoreResult};
use crate::model::{Effects, Page};
use crate::traits::Backend;

fn to_json(value: &impl Serialize) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(format!("case row: {e}")))
}

fn case_row(row: &AnyRow) -> StoreResult<Case> {
    row.json("snapshot")
}

fn conversation_row(row: &AnyRow) -> StoreResult<StoredConversation> {
    Ok(StoredConversation {
        conversation: row.json("snapshot")?,
        guest_name: row.opt_text("guest_name")?,
    })
}

const MESSAGE_COLUMNS: &str =
    "m.conversation_id, m.seq, m.id, m.author, m.body, m.attachments, m.client_key, m.sent_at";

fn message_row(row: &AnyRow) -> StoreResult<Message> {
    Ok(Message {
        id: row.parsed("id")?,
        conversation: row.parsed("conversation_id")?,
        seq: u64::try_from(row.int("seq")?)
            .map_err(|e| StoreError::Corrupt(format!("message seq: {e}")))?,
        author: row.json("author")?,
        body: row.text("body")?,
        attachments: row.json("attachments")?,
        client_key: row.opt_text("client_key")?,
        sent_at: row.time("sent_at")?,
    })
}

fn signed(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The words of a search, quoted for FTS5 (every word must match); `None` when there are none.
fn search_words(query: &str) -> Option<String> {
    let words: Vec<&str> = query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(16)
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// The searchable text an event adds to its case.
fn searchable(kind: &CaseEventKind) -> Option<String> {
    match kind {
        CaseEventKind::Opened {
            subject, reference, ..
        } => Some(format!("{subject} {}", reference.compact())),
        CaseEventKind::NoteAdded { text } => Some(text.clone()),
        CaseEventKind::AwaitingCustomer { request } => Some(request.clone()),
        CaseEventKind::Resolved { summary }
        | CaseEventKind::ComplaintRaised { summary, .. }
        | CaseEventKind::ComplaintFinalResponse { summary } => Some(summary.clone()),
        CaseEventKind::Escalated { reason, .. } => Some(reason.clone()),
        _ => None,
    }
}

async fn index_text(
    conn: &mut AnyConnection,
    case: &str,
    conversation: &str,
    seq: u64,
    body: &str,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO search_docs (case_id, conversation_id, seq, body) VALUES ($1, $2, $3, $4)",
    )
    .bind(case)
    .bind(conversation)
    .bind(signed(seq))
    .bind(body)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

impl SqlStore {
    /// Appends one message inside `tx` (checked against the conversation's `last_seq`).
    async fn append_in(
        &self,
        tx: &mut AnyConnection,
        c: &Conversation,
        m: &Message,
        effects: Effects,
    ) -> StoreResult<()> {
        if m.conversation != c.id || m.seq != c.last_seq {
            return Err(StoreError::Corrupt(format!(
                "message {} of conversation {} does not follow conversation {} at {}",
                m.seq, m.conversation, c.id, c.last_seq
            )));
        }
        let updated = sqlx::query(
            "UPDATE conversations SET last_seq = $1, snapshot = $2, status = $3, updated_at = $4, \
                 case_id = $5, cardholder_id = $6 \
             WHERE id = $7 AND last_seq = $8",
        )
        .bind(signed(c.last_seq))
        .bind(to_json(c)?)
        .bind(status_text(c))
        .bind(m.sent_at.as_millisecond())
        .bind(c.case.map(|id| id.to_string()))
        .bind(c.cardholder.map(|id| id.to_string()))
        .bind(c.id.to_string())
        .bind(signed(m.seq.saturating_sub(1)))
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::conflict(format!(
                "message {} of conversation {}",
                m.seq, c.id
            )));
        }
        sqlx::query(
            "INSERT INTO conversation_messages (conversation_id, seq, id, author, body, \
                 attachments, client_key, sent_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(c.id.to_string())
        .bind(signed(m.seq))
        .bind(m.id.to_string())
        .bind(to_json(&m.author)?)
        .bind(&m.body)
        .bind(to_json(&m.attachments)?)
        .bind(m.client_key.clone())
        .bind(m.sent_at.as_millisecond())
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            StoreError::unique_as_conflict(e, format!("message {} of conversation {}", m.seq, c.id))
        })?;
        if !m.body.is_empty() {
            index_text(tx, "", &c.id.to_string(), m.seq, &m.body).await?;
        }
        self.write_effects(tx, effects).await
    }

    /// The condition that selects matching `search_docs` rows, with `$1` the words.
    fn search_condition(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "search_docs MATCH $1",
            Backend::Postgres => "search_docs.tsv @@ plainto_tsquery('simple', $1)",
        }
    }

    fn search_argument(&self, words: &str) -> String {
        match self.backend {
            // Each word quoted: FTS5 operators typed by a person are taken literally.
            Backend::Sqlite => words
                .split(' ')
                .map(|w| format!("\"{w}\""))
                .collect::<Vec<_>>()
                .join(" "),
            Backend::Postgres => words.to_owned(),
        }
    }
}

async fn save_case(conn: &mut AnyConnection, change: &CaseChange<'_>) -> StoreResult<()> {
    let case = change.case;
    let escalated = i64::from(case.open_escalation().is_some());
    let complaint = i64::from(
        case.complaint
            .as_ref()
            .is_some_and(|c| c.final_response_at.is_none()),
    );
    let snapshot = to_json(case)?;
    let next_timer = change.next_timer.map(|t| t.as_millisecond());
    if change.expected_version == 0 {
        sqlx::query(
            "INSERT INTO cases (id, reference, cardholder_id, status, department, priority, \
                 assignee, escalated, complaint, subject, version, snapshot, next_timer, \
                 opened_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        )
        .bind(case.id.to_string())
        .bind(case.reference.to_string())
        .bind(case.cardholder.map(|c| c.to_string()))
        .bind(case.status.as_str())
        .bind(case.department.as_str())
        .bind(case.priority.as_str())
        .bind(case.assignee.map(|u| u.to_string()))
        .bind(escalated)
        .bind(complaint)
        .bind(&case.subject)
        .bind(signed(case.version))
        .bind(snapshot)
        .bind(next_timer)
        .bind(case.opened_at.as_millisecond())
        .bind(case.updated_at.as_millisecond())
        .execute(&mut *conn)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                StoreError::not_found("the case's cardholder or assignee")
            }
            _ => StoreError::unique_as_conflict(e, format!("case {}", case.reference)),
        })?;
    } else {
        let updated = sqlx::query(
            "UPDATE cases SET cardholder_id = $1, status = $2, department = $3, priority = $4, \
                 assignee = $5, escalated = $6, complaint = $7, subject = $8, version = $9, \
                 snapshot = $10, next_timer = $11, updated_at = $12 \
             WHERE id = $13 AND version = $14",
        )
        .bind(case.cardholder.map(|c| c.to_string()))
        .bind(case.status.as_str())
        .bind(case.department.as_str())
        .bind(case.priority.as_str())
        .bind(case.assignee.map(|u| u.to_string()))
        .bind(escalated)
        .bind(complaint)
        .bind(&case.subject)
        .bind(signed(case.version))
        .bind(snapshot)
        .bind(next_timer)
        .bind(case.updated_at.as_millisecond())
        .bind(case.id.to_string())
        .bind(signed(change.expected_version))
        .execute(&mut *conn)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                StoreError::not_found("the case's cardholder or assignee")
            }
            _ => StoreError::Database(e),
        })?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::conflict(format!(
                "a newer version of case {}",
                case.reference
            )));
        }
    }
    for event in change.events {
        sqlx::query(
            "INSERT INTO case_events (case_id, version, at, kind, event) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(event.case.to_string())
        .bind(signed(event.version))
        .bind(event.at.as_millisecond())
        .bind(event.kind.name())
        .bind(to_json(event)?)
        .execute(&mut *conn)
        .await
        .map_err(|e| {
            StoreError::unique_as_conflict(
                e,
                format!("event {} of case {}", event.version, case.reference),
            )
        })?;
        if let Some(text) = searchable(&event.kind) {
            index_text(conn, &case.id.to_string(), "", 0, &text).await?;
        }
    }
    Ok(())
}

#[async_trait]
impl CaseStore for SqlStore {
    async fn save_cases(&self, changes: &[CaseChange<'_>], effects: Effects) -> StoreResult<()> {
        let mut tx = self.writer.begin().await?;
        for change in changes {
            save_case(&mut tx, change).await?;
        }
        self.write_effects(&mut tx, effects).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn case_by_id(&self, id: CaseId) -> StoreResult<Option<Case>> {
        sqlx::query("SELECT snapshot FROM cases WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.reader)
            .await?
            .as_ref()
            .map(case_row)
            .transpose()
    }

    async fn case_by_reference(&self, reference: CaseRef) -> StoreResult<Option<Case>> {
        sqlx::query("SELECT snapshot FROM cases WHERE reference = $1")
            .bind(reference.to_string())
            .fetch_optional(&self.reader)
            .await?
            .as_ref()
            .map(case_row)
            .transpose()
    }

    async fn case_events(&self, id: CaseId) -> StoreResult<Vec<CaseEvent>> {
        sqlx::query("SELECT event FROM case_events WHERE case_id = $1 ORDER BY version")
            .bind(id.to_string())
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(|row| row.json("event"))
            .collect()
    }

    async fn list_cases(&self, filter: &CaseFilter, page: Page) -> StoreResult<Vec<Case>> {
        // Every condition is always present; an absent filter binds NULL and matches all.
        sqlx::query(
            "SELECT snapshot FROM cases \
             WHERE ($1 IS NULL OR assignee = $1) AND ($2 IS NULL OR cardholder_id = $2) \
               AND ($3 IS NULL OR status = $3) AND ($4 = 0 OR escalated = 1) \
               AND ($5 = 0 OR status IN ('new', 'open', 'waiting_on_customer')) \
             ORDER BY updated_at DESC, id LIMIT $6 OFFSET $7",
        )
        .bind(filter.assignee.map(|u| u.to_string()))
        .bind(filter.cardholder.map(|c| c.to_string()))
        .bind(filter.status.map(|s| s.as_str()))
        .bind(i64::from(filter.escalated))
        .bind(i64::from(filter.active))
        .bind(i64::from(page.limit))
        .bind(i64::from(page.offset))
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(case_row)
        .collect()
    }

    async fn search_cases(&self, query: &str, page: Page) -> StoreResult<Vec<Case>> {
        let Some(words) = search_words(query) else {
            return Ok(Vec::new());
        };
        // A case matches when each word is somewhere in its text or its conversations' messages
        // (not necessarily all in the same note or message).
        let words: Vec<&str> = words.split(' ').collect();
        let conditions: Vec<String> = (1..=words.len())
            .map(|n| {
                format!(
                    "id IN (SELECT CASE WHEN search_docs.case_id <> '' THEN search_docs.case_id \
                                        ELSE cv.case_id END \
                            FROM search_docs LEFT JOIN conversations cv \
                                ON cv.id = search_docs.conversation_id \
                            WHERE {})",
                    self.search_condition().replace("$1", &format!("${n}"))
                )
            })
            .collect();
        let n = words.len();
        let mut query = sqlx::query(AssertSqlSafe(format!(
            "SELECT snapshot FROM cases WHERE {} \
             ORDER BY updated_at DESC, id LIMIT ${} OFFSET ${}",
            conditions.join(" AND "),
            n + 1,
            n + 2
        )));
        for word in &words {
            query = query.bind(self.search_argument(word));
        }
        query
            .bind(i64::from(page.limit))
            .bind(i64::from(page.offset))
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(case_row)
            .collect()
    }

    async fn cases_due(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<Case>> {
        sqlx::query(
            "SELECT snapshot FROM cases WHERE next_timer IS NOT NULL AND next_timer <= $1 \
             ORDER BY next_timer LIMIT $2",
        )
        .bind(now.as_millisecond())
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(case_row)
        .collect()
    }

    async fn put_attachment(&self, a: &StoredAttachment) -> StoreResult<bool> {
        let media_type = to_json(&a.media_type)?;
        let inserted = sqlx::query(
            "INSERT INTO attachments (sha256, media_type, size, content, created_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(&a.sha256)
        .bind(media_type.trim_matches('"').to_owned())
        .bind(i64::try_from(a.content.len()).unwrap_or(i64::MAX))
        .bind(a.content.clone())
        .bind(a.created_at.as_millisecond())
        .execute(&self.writer)
        .await?;
        Ok(inserted.rows_affected() > 0)
    }

    async fn attachment(&self, sha256: &str) -> StoreResult<Option<StoredAttachment>> {
        let Some(row) = sqlx::query(
            "SELECT sha256, media_type, content, created_at FROM attachments WHERE sha256 = $1",
        )
        .bind(sha256)
        .fetch_optional(&self.reader)
        .await?
        else {
            return Ok(None);
        };
        let media_type: MediaType =
            serde_json::from_value(serde_json::Value::String(row.text("media_type")?))
                .map_err(|e| StoreError::Corrupt(format!("attachment media type: {e}")))?;
        Ok(Some(StoredAttachment {
            sha256: row.text("sha256")?,
            media_type,
            content: row.try_get::<Vec<u8>, _>("content")?,
            created_at: row.time("created_at")?,
        }))
    }
}

const CONVERSATION_COLUMNS: &str = "snapshot, guest_name";

fn status_text(conversation: &Conversation) -> &'static str {
    match conversation.status {
        ConversationStatus::Open => "open",
        ConversationStatus::Closed => "closed",
    }
}

#[async_trait]
impl ConversationStore for SqlStore {
    async fn insert_conversation(
        &self,
        c: &Conversation,
        guest: Option<&Guest>,
        effects: Effects,
    ) -> StoreResult<()> {
        let mut tx = self.writer.begin().await?;
        let channel = to_json(&c.channel)?;
        sqlx::query(
            "INSERT INTO conversations (id, channel, cardholder_id, case_id, guest_name, \
                 guest_token_hash, status, last_seq, snapshot, started_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
        )
        .bind(c.id.to_string())
        .bind(channel.trim_matches('"').to_owned())
        .bind(c.cardholder.map(|id| id.to_string()))
        .bind(c.case.map(|id| id.to_string()))
        .bind(guest.map(|g| g.name.clone()))
        .bind(guest.map(|g| g.token_hash.clone()))
        .bind(status_text(c))
        .bind(signed(c.last_seq))
        .bind(to_json(c)?)
        .bind(c.started_at.as_millisecond())
        .execute(&mut *tx)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                StoreError::not_found("the conversation's cardholder or case")
            }
            _ => StoreError::unique_as_conflict(e, format!("conversation {}", c.id)),
        })?;
        self.write_effects(&mut tx, effects).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn conversation(&self, id: ConversationId) -> StoreResult<Option<StoredConversation>> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE id = $1"
        )))
        .bind(id.to_string())
        .fetch_optional(&self.reader)
        .await?
        .as_ref()
        .map(conversation_row)
        .transpose()
    }

    async fn conversation_by_guest_token(
        &self,
        token_hash: &str,
    ) -> StoreResult<Option<StoredConversation>> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE guest_token_hash = $1"
        )))
        .bind(token_hash)
        .fetch_optional(&self.reader)
        .await?
        .as_ref()
        .map(conversation_row)
        .transpose()
    }

    async fn conversations_of_cardholder(
        &self,
        cardholder: CardholderId,
        page: Page,
    ) -> StoreResult<Vec<StoredConversation>> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE cardholder_id = $1 \
             ORDER BY updated_at DESC, id LIMIT $2 OFFSET $3"
        )))
        .bind(cardholder.to_string())
        .bind(i64::from(page.limit))
        .bind(i64::from(page.offset))
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(conversation_row)
        .collect()
    }

    async fn conversations_of_case(&self, case: CaseId) -> StoreResult<Vec<StoredConversation>> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE case_id = $1 \
             ORDER BY started_at, id"
        )))
        .bind(case.to_string())
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(conversation_row)
        .collect()
    }

    async fn append_message(
        &self,
        c: &Conversation,
        m: &Message,
        effects: Effects,
    ) -> StoreResult<()> {
        let mut tx = self.writer.begin().await?;
        self.append_in(&mut tx, c, m, effects).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn append_messages(&self, batch: &[MessageAppend]) -> StoreResult<()> {
        let mut tx = self.writer.begin().await?;
        for item in batch {
            self.append_in(
                &mut tx,
                &item.conversation,
                &item.message,
                item.effects.clone(),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn save_conversation(&self, c: &Conversation, effects: Effects) -> StoreResult<()> {
        let mut tx = self.writer.begin().await?;
        // The stored last_seq wins: a snapshot taken before a message was appended must not
        // undo it, so the snapshot is written only when it agrees.
        let updated = sqlx::query(
            "UPDATE conversations SET snapshot = $1, status = $2, case_id = $3, \
                 cardholder_id = $4, updated_at = $5 \
             WHERE id = $6 AND last_seq = $7",
        )
        .bind(to_json(c)?)
        .bind(status_text(c))
        .bind(c.case.map(|id| id.to_string()))
        .bind(c.cardholder.map(|id| id.to_string()))
        .bind(self.now().as_millisecond())
        .bind(c.id.to_string())
        .bind(signed(c.last_seq))
        .execute(&mut *tx)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                StoreError::not_found("the conversation's cardholder or case")
            }
            _ => StoreError::Database(e),
        })?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::conflict(format!(
                "a newer version of conversation {}",
                c.id
            )));
        }
        self.write_effects(&mut tx, effects).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn message_by_client_key(
        &self,
        conversation: ConversationId,
        client_key: &str,
    ) -> StoreResult<Option<Message>> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {MESSAGE_COLUMNS} FROM conversation_messages m \
             WHERE m.conversation_id = $1 AND m.client_key = $2"
        )))
        .bind(conversation.to_string())
        .bind(client_key)
        .fetch_optional(&self.reader)
        .await?
        .as_ref()
        .map(message_row)
        .transpose()
    }

    async fn messages_after(
        &self,
        conversation: ConversationId,
        after_seq: u64,
        limit: u32,
    ) -> StoreResult<Vec<Message>> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {MESSAGE_COLUMNS} FROM conversation_messages m \
             WHERE m.conversation_id = $1 AND m.seq > $2 ORDER BY m.seq LIMIT $3"
        )))
        .bind(conversation.to_string())
        .bind(signed(after_seq))
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(message_row)
        .collect()
    }

    async fn search_messages(&self, query: &str, page: Page) -> StoreResult<Vec<Message>> {
        let Some(words) = search_words(query) else {
            return Ok(Vec::new());
        };
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {MESSAGE_COLUMNS} FROM conversation_messages m JOIN search_docs \
                 ON search_docs.conversation_id = m.conversation_id AND search_docs.seq = m.seq \
             WHERE {} ORDER BY m.sent_at DESC, m.id LIMIT $2 OFFSET $3",
            self.search_condition()
        )))
        .bind(self.search_argument(&words))
        .bind(i64::from(page.limit))
        .bind(i64::from(page.offset))
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(message_row)
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_words_drop_operators_and_punctuation() {
        assert_eq!(search_words("  "), None);
        assert_eq!(
            search_words("card* OR \"lost\""),
            Some("card OR lost".to_owned())
        );
        assert_eq!(
            search_words("tarjeta-perdida"),
            Some("tarjeta perdida".to_owned())
        );
    }
}
