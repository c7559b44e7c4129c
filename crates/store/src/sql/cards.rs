use ::cards::dispute::Document;
use ::cards::rewards::{LedgerEntry, RewardsError};
use ::cards::transactions::TransactionStatus;
use ::cards::{
    Applied, Dispute, EncryptedPan, LedgerState, PanLookup, PinHash, ReplacementOrder,
    RewardsProgram, RewardsRequest, SecurityCodeHash, Transaction, VerificationSession,
};
use async_trait::async_trait;
use domain::{AccountId, CardId, CardholderId, Channel, Currency, DisputeId, Money, Timestamp};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{RowExt, SqlStore};
use crate::cards::{
    CardAccount, CardRecord, CardStore, CardUpdate, ContactUpdate, Replacement, StoredDocument,
    card_event,
};
use crate::error::{StoreError, StoreResult};
use crate::model::Effects;

fn to_json(value: &impl Serialize) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(format!("cards row: {e}")))
}

fn corrupt(col: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("column {col}: {e}"))
}

macro_rules! account_columns {
    () => {
        "id, cardholder_id, product, tier, currency, rewards_balance, opened_at"
    };
}

fn account(row: &AnyRow) -> StoreResult<CardAccount> {
    Ok(CardAccount {
        id: row.parsed("id")?,
        cardholder_id: row.parsed("cardholder_id")?,
        product: row.text("product")?,
        tier: row.parsed("tier")?,
        currency: Currency::parse(&row.text("currency")?).map_err(|e| corrupt("currency", e))?,
        rewards_balance: row.int("rewards_balance")?,
        opened_at: row.time("opened_at")?,
    })
}

macro_rules! card_columns {
    () => {
        "card, pan_hmac, pan_enc, csc_hash, pin_hash, alerts, version, issued_at"
    };
}

fn card_record(row: &AnyRow) -> StoreResult<CardRecord> {
    Ok(CardRecord {
        card: row.json("card")?,
        pan_lookup: PanLookup::from_text(&row.text("pan_hmac")?)
            .map_err(|e| corrupt("pan_hmac", e))?,
        pan_encrypted: EncryptedPan::from_text(&row.text("pan_enc")?)
            .map_err(|e| corrupt("pan_enc", e))?,
        security_code_hash: SecurityCodeHash::from_text(&row.text("csc_hash")?)
            .map_err(|e| corrupt("csc_hash", e))?,
        pin_hash: row.opt_text("pin_hash")?.map(PinHash::from_stored),
        alerts: row.json("alerts")?,
        version: row.int("version")?,
        issued_at: row.time("issued_at")?,
    })
}

fn status_name(status: TransactionStatus) -> StoreResult<String> {
    match serde_json::to_value(status) {
        Ok(serde_json::Value::String(s)) => Ok(s),
        _ => Err(StoreError::Corrupt(format!(
            "transaction status {status:?}"
        ))),
    }
}

fn transaction(row: &AnyRow) -> StoreResult<Transaction> {
    let currency = Currency::parse(&row.text("currency")?).map_err(|e| corrupt("currency", e))?;
    Ok(Transaction {
        reference: ::cards::transactions::TransactionRef(row.text("reference")?),
        card_id: row.parsed("card_id")?,
        at: row.time("at")?,
        amount: Money::new(row.int("amount_minor")?, currency),
        merchant: row.text("merchant")?,
        merchant_country: row.parsed("merchant_country")?,
        card_present: row.flag("card_present")?,
        status: serde_json::from_value(serde_json::Value::String(row.text("status")?))
            .map_err(|e| corrupt("status", e))?,
    })
}

async fn insert_card_row(
    conn: &mut AnyConnection,
    record: &CardRecord,
    now: Timestamp,
) -> StoreResult<()> {
    let card = &record.card;
    sqlx::query(
        "INSERT INTO cards (id, account_id, cardholder_id, status, last4, card, pan_hmac, \
             pan_enc, csc_hash, pin_hash, alerts, version, issued_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(card.id.to_string())
    .bind(card.account_id.to_string())
    .bind(card.cardholder_id.to_string())
    .bind(card.state.name())
    .bind(card.last4.as_str().to_owned())
    .bind(to_json(card)?)
    .bind(record.pan_lookup.to_text())
    .bind(record.pan_encrypted.to_text())
    .bind(record.security_code_hash.to_text())
    .bind(record.pin_hash.as_ref().map(|h| h.as_str().to_owned()))
    .bind(to_json(&record.alerts)?)
    .bind(record.version)
    .bind(record.issued_at.as_millisecond())
    .bind(now.as_millisecond())
    .execute(&mut *conn)
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::conflict(format!("a card with this number or id ({})", card.id))
        }
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
            StoreError::not_found(format!(
                "account {} or cardholder {}",
                card.account_id, card.cardholder_id
            ))
        }
        _ => StoreError::Database(e),
    })?;
    Ok(())
}

async fn update_card_row(
    conn: &mut AnyConnection,
    update: &CardUpdate,
    now: Timestamp,
) -> StoreResult<CardRecord> {
    let card = &update.card;
    let alerts = update.alerts.as_ref().map(to_json).transpose()?;
    let done = sqlx::query(
        "UPDATE cards SET status = $1, card = $2, pin_hash = COALESCE($3, pin_hash), \
             alerts = COALESCE($4, alerts), version = version + 1, updated_at = $5 \
         WHERE id = $6 AND version = $7",
    )
    .bind(card.state.name())
    .bind(to_json(card)?)
    .bind(update.pin_hash.as_ref().map(|h| h.as_str().to_owned()))
    .bind(alerts)
    .bind(now.as_millisecond())
    .bind(card.id.to_string())
    .bind(update.version)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        let exists = sqlx::query("SELECT version FROM cards WHERE id = $1")
            .bind(card.id.to_string())
            .fetch_optional(&mut *conn)
            .await?;
        return Err(match exists {
            None => StoreError::not_found(format!("card {}", card.id)),
            Some(_) => StoreError::conflict(format!(
                "a newer change of card ending {} (reload it and try again): version {}",
                card.last4.as_str(),
                update.version
            )),
        });
    }
    let row = sqlx::query(concat!(
        "SELECT ",
        card_columns!(),
        " FROM cards WHERE id = $1"
    ))
    .bind(card.id.to_string())
    .fetch_one(&mut *conn)
    .await?;
    card_record(&row)
}

async fn insert_documents(
    conn: &mut AnyConnection,
    dispute: &Dispute,
    first: usize,
    contents: &[Vec<u8>],
    now: Timestamp,
) -> StoreResult<()> {
    if first + contents.len() != dispute.documents.len() {
        return Err(StoreError::Corrupt(format!(
            "dispute {} lists {} documents but {} were stored and {} sent",
            dispute.id,
            dispute.documents.len(),
            first,
            contents.len()
        )));
    }
    for (i, content) in contents.iter().enumerate() {
        let position = first + i;
        let doc: &Document = &dispute.documents[position];
        sqlx::query(
            "INSERT INTO dispute_documents (dispute_id, position, name, kind, size, content, \
                 added_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(dispute.id.to_string())
        .bind(i64::try_from(position).map_err(|e| corrupt("position", e))?)
        .bind(doc.name.clone())
        .bind(doc.kind.mime_type())
        .bind(i64::try_from(content.len()).map_err(|e| corrupt("size", e))?)
        .bind(content.clone())
        .bind(now.as_millisecond())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

fn dispute_status(d: &Dispute) -> &'static str {
    d.state.name()
}

#[async_trait]
impl CardStore for SqlStore {
    async fn insert_card_account(
        &self,
        account: &CardAccount,
        effects: Effects,
    ) -> StoreResult<()> {
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "INSERT INTO card_accounts (id, cardholder_id, product, tier, currency, \
                 rewards_balance, opened_at) VALUES ($1, $2, $3, $4, $5, 0, $6)",
        )
        .bind(account.id.to_string())
        .bind(account.cardholder_id.to_string())
        .bind(account.product.clone())
        .bind(account.tier.as_str())
        .bind(account.currency.code().to_owned())
        .bind(account.opened_at.as_millisecond())
        .execute(&mut *tx)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                StoreError::not_found(format!("cardholder {}", account.cardholder_id))
            }
            _ => StoreError::unique_as_conflict(e, format!("account {}", account.id)),
        })?;
        self.write_effects(&mut tx, effects).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn card_account(&self, id: AccountId) -> StoreResult<Option<CardAccount>> {
        sqlx::query(concat!(
            "SELECT ",
            account_columns!(),
            " FROM card_accounts WHERE id = $1"
        ))
        .bind(id.to_string())
        .fetch_optional(&self.reader)
        .await?
        .as_ref()
        .map(account)
        .transpose()
    }

    async fn card_accounts_for(&self, cardholder: CardholderId) -> StoreResult<Vec<CardAccount>> {
        sqlx::query(concat!(
            "SELECT ",
            account_columns!(),
            " FROM card_accounts WHERE cardholder_id = $1 ORDER BY opened_at, id"
        ))
        .bind(cardholder.to_string())
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(account)
        .collect()
    }

    async fn insert_card(&self, card: &CardRecord, effects: Effects) -> StoreResult<()> {
        let mut tx = self.writer.begin().await?;
        insert_card_row(&mut tx, card, self.now()).await?;
        self.write_effects(&mut tx, effects).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn card_by_id(&self, id: CardId) -> StoreResult<Option<CardRecord>> {
        sqlx::query(concat!(
            "SELECT ",
            card_columns!(),
            " FROM cards WHERE id = $1"
        ))
        .bind(id.to_string())
        .fetch_optional(&self.reader)
        .await?
        .as_ref()
        .map(card_record)
        .transpose()
    }

    async fn card_by_lookup(&self, lookup: &PanLookup) -> StoreResult<Option<CardRecord>> {
        sqlx::query(concat!(
            "SELECT ",
            card_columns!(),
            " FROM cards WHERE pan_hmac = $1"
        ))
        .bind(lookup.to_text())
        .fetch_optional(&self.reader)
        .await?
        .as_ref()
        .map(card_record)
        .transpose()
    }

    async fn cards_for(&self, cardholder: CardholderId) -> StoreResult<Vec<CardRecord>> {
        sqlx::query(concat!(
            "SELECT ",
            card_columns!(),
            " FROM cards WHERE cardholder_id = $1 ORDER BY issued_at, id"
        ))
        .bind(cardholder.to_string())
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(card_record)
        .collect()
    }

    async fn update_card(&self, update: &CardUpdate, effects: Effects) -> StoreResult<CardRecord> {
        let mut tx = self.writer.begin().await?;
        let record = update_card_row(&mut tx, update, self.now()).await?;
        self.write_effects(&mut tx, effects).await?;
        tx.commit().await?;
        Ok(record)
    }

    async fn save_replacement(
        &self,
        replacement: &Replacement,
        effects: Effects,
    ) -> StoreResult<()> {
        let now = self.now();
        let mut tx = self.writer.begin().await?;
        // The new card first: the old card's row will point at it.
        insert_card_row(&mut tx, &replacement.new, now).await?;
        update_card_row(&mut tx, &replacement.old, now).await?;
        let order: &ReplacementOrder = &replacement.order;
        sqlx::query(
            "INSERT INTO card_replacements (old_card_id, new_card_id, order_json, ordered_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(order.replaces.card_id.to_string())
        .bind(order.replacement.card_id.to_string())
        .bind(to_json(order)?)
        .bind(order.ordered_at.as_millisecond())
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            StoreError::unique_as_conflict(
                e,
                format!("a replacement order for card {}", order.replaces.card_id),
            )
        })?;
        self.write_effects(&mut tx, effects).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn replacement_order(&self, old_card: CardId) -> StoreResult<Option<ReplacementOrder>> {
        sqlx::query("SELECT order_json FROM card_replacements WHERE old_card_id = $1")
            .bind(old_card.to_string())
            .fetch_optional(&self.reader)
            .await?
            .map(|row| row.json("order_json"))
            .transpose()
    }

    async fn encrypted_pans(&self) -> StoreResult<Vec<(CardId, EncryptedPan)>> {
        sqlx::query("SELECT id, pan_enc FROM cards ORDER BY id")
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(|row| {
                Ok((
                    row.parsed("id")?,
                    EncryptedPan::from_text(&row.text("pan_enc")?)
                        .map_err(|e| corrupt("pan_enc", e))?,
                ))
            })
            .collect()
    }

    async fn insert_transactions(&self, txs: &[Transaction], effects: Effects) -> StoreResult<()> {
        let mut db = self.writer.begin().await?;
        insert_transaction_rows(&mut db, txs).await?;
        self.write_effects(&mut db, effects).await?;
        db.commit().await?;
        Ok(())
    }

    async fn transaction(&self, reference: &str) -> StoreResult<Option<Transaction>> {
        sqlx::query("SELECT * FROM card_transactions WHERE reference = $1")
            .bind(reference.to_owned())
            .fetch_optional(&self.reader)
            .await?
            .as_ref()
            .map(transaction)
            .transpose()
    }

    async fn transactions_for_card(
        &self,
        card: CardId,
        from: Option<Timestamp>,
        until: Option<Timestamp>,
        limit: u32,
    ) -> StoreResult<Vec<Transaction>> {
        sqlx::query(
            "SELECT * FROM card_transactions WHERE card_id = $1 AND at >= $2 AND at < $3 \
             ORDER BY at DESC, reference DESC LIMIT $4",
        )
        .bind(card.to_string())
        .bind(from.map_or(i64::MIN, |t| t.as_millisecond()))
        .bind(until.map_or(i64::MAX, |t| t.as_millisecond()))
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(transaction)
        .collect()
    }

    async fn insert_dispute(
        &self,
        dispute: &Dispute,
        contents: &[Vec<u8>],
        effects: Effects,
    ) -> StoreResult<()> {
        let now = self.now();
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "INSERT INTO disputes (id, card_id, cardholder_id, transaction_ref, status, dispute, \
                 filed_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(dispute.id.to_string())
        .bind(dispute.card_id.to_string())
        .bind(dispute.cardholder_id.to_string())
        .bind(dispute.transaction.0.clone())
        .bind(dispute_status(dispute))
        .bind(to_json(dispute)?)
        .bind(dispute.filed_at.as_millisecond())
        .bind(now.as_millisecond())
        .execute(&mut *tx)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
                StoreError::not_found(format!(
                    "card {} or cardholder {}",
                    dispute.card_id, dispute.cardholder_id
                ))
            }
            _ => StoreError::unique_as_conflict(e, format!("dispute {}", dispute.id)),
        })?;
        insert_documents(&mut tx, dispute, 0, contents, now).await?;
        self.write_effects(&mut tx, effects).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn update_dispute(
        &self,
        dispute: &Dispute,
        new_contents: &[Vec<u8>],
        entries: &[Transaction],
        effects: Effects,
    ) -> StoreResult<()> {
        let now = self.now();
        let mut tx = self.writer.begin().await?;
        let done = sqlx::query(
            "UPDATE disputes SET status = $1, dispute = $2, updated_at = $3 WHERE id = $4",
        )
        .bind(dispute_status(dispute))
        .bind(to_json(dispute)?)
        .bind(now.as_millisecond())
        .bind(dispute.id.to_string())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found(format!("dispute {}", dispute.id)));
        }
        let stored: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM dispute_documents WHERE dispute_id = $1")
                .bind(dispute.id.to_string())
                .fetch_one(&mut *tx)
                .await?
                .int("n")?;
        let stored = usize::try_from(stored).map_err(|e| corrupt("n", e))?;
        insert_documents(&mut tx, dispute, stored, new_contents, now).await?;
        insert_transaction_rows(&mut tx, entries).await?;
        self.write_effects(&mut tx, effects).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn dispute(&self, id: DisputeId) -> StoreResult<Option<Dispute>> {
        sqlx::query("SELECT dispute FROM disputes WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.reader)
            .await?
            .map(|row| row.json("dispute"))
            .transpose()
    }

    async fn disputes_for(&self, cardholder: CardholderId) -> StoreResult<Vec<Dispute>> {
        sqlx::query(
            "SELECT dispute FROM disputes WHERE cardholder_id = $1 ORDER BY filed_at DESC, id DESC",
        )
        .bind(cardholder.to_string())
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(|row| row.json("dispute"))
        .collect()
    }

    async fn dispute_document(
        &self,
        id: DisputeId,
        position: u32,
    ) -> StoreResult<Option<StoredDocument>> {
        let Some(dispute) = self.dispute(id).await? else {
            return Ok(None);
        };
        let Some(document) = dispute.documents.get(position as usize).cloned() else {
            return Ok(None);
        };
        let row = sqlx::query(
            "SELECT content, added_at FROM dispute_documents WHERE dispute_id = $1 AND position = $2",
        )
        .bind(id.to_string())
        .bind(i64::from(position))
        .fetch_optional(&self.reader)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        Ok(Some(StoredDocument {
            document,
            content: row.try_get::<Vec<u8>, _>("content")?,
            added_at: row.time("added_at")?,
        }))
    }

    async fn apply_rewards(
        &self,
        account_id: AccountId,
        request: &RewardsRequest,
        program: &RewardsProgram,
        effects: Effects,
    ) -> StoreResult<Result<Applied, RewardsError>> {
        // A concurrent request with the same key may insert first: the unique index refuses
        // the second, and its retry reads the first one's entries (AlreadyApplied).
        let mut last = None;
        for _ in 0..3 {
            match self
                .apply_rewards_once(account_id, request, program, effects.clone())
                .await
            {
                Err(StoreError::Conflict { what }) => last = Some(what),
                other => return other,
            }
        }
        Err(StoreError::conflict(last.unwrap_or_default()))
    }

    async fn rewards_ledger(
        &self,
        account: AccountId,
        limit: u32,
    ) -> StoreResult<Vec<LedgerEntry>> {
        sqlx::query(
            "SELECT entry FROM rewards_ledger WHERE account_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(account.to_string())
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(|row| row.json("entry"))
        .collect()
    }

    async fn rewards_ledger_sum(&self, account: AccountId) -> StoreResult<i64> {
        let row = sqlx::query(
            "SELECT CAST(COALESCE(SUM(points), 0) AS BIGINT) AS total FROM rewards_ledger \
             WHERE account_id = $1",
        )
        .bind(account.to_string())
        .fetch_one(&self.reader)
        .await?;
        row.int("total")
    }

    async fn verification_session(
        &self,
        cardholder: CardholderId,
        channel: Channel,
    ) -> StoreResult<Option<VerificationSession>> {
        sqlx::query(
            "SELECT session FROM verification_sessions WHERE cardholder_id = $1 AND channel = $2",
        )
        .bind(cardholder.to_string())
        .bind(channel.as_str())
        .fetch_optional(&self.reader)
        .await?
        .map(|row| row.json("session"))
        .transpose()
    }

    async fn verification_sessions_for(
        &self,
        cardholder: CardholderId,
    ) -> StoreResult<Vec<VerificationSession>> {
        sqlx::query(
            "SELECT session FROM verification_sessions WHERE cardholder_id = $1 ORDER BY channel",
        )
        .bind(cardholder.to_string())
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(|row| row.json("session"))
        .collect()
    }

    async fn save_verification_session(
        &self,
        session: &VerificationSession,
        effects: Effects,
    ) -> StoreResult<()> {
        let now = self.now();
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "INSERT INTO verification_sessions (cardholder_id, channel, session, failures, \
                 locked_until, updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (cardholder_id, channel) DO UPDATE SET session = excluded.session, \
                 failures = excluded.failures, locked_until = excluded.locked_until, \
                 updated_at = excluded.updated_at",
        )
        .bind(session.cardholder_id().to_string())
        .bind(session.channel().as_str())
        .bind(to_json(session)?)
        .bind(i64::from(session.failures()))
        .bind(session.locked_until(now).map(|t| t.as_millisecond()))
        .bind(now.as_millisecond())
        .execute(&mut *tx)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
                StoreError::not_found(format!("cardholder {}", session.cardholder_id()))
            }
            _ => StoreError::Database(e),
        })?;
        self.write_effects(&mut tx, effects).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn update_contact(
        &self,
        cardholder: CardholderId,
        contact: &ContactUpdate,
        effects: Effects,
    ) -> StoreResult<()> {
        let mut tx = self.writer.begin().await?;
        let done = sqlx::query(
            "UPDATE cardholders SET email = $1, phone = $2, address = $3, postcode = $4 \
             WHERE id = $5",
        )
        .bind(contact.email.clone())
        .bind(contact.phone.clone())
        .bind(to_json(&contact.address)?)
        .bind(contact.address.postcode.clone())
        .bind(cardholder.to_string())
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::unique_as_conflict(e, format!("email {}", contact.email)))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found(format!("cardholder {cardholder}")));
        }
        self.write_effects(&mut tx, effects).await?;
        tx.commit().await?;
        Ok(())
    }
}

impl SqlStore {
    async fn apply_rewards_once(
        &self,
        account_id: AccountId,
        request: &RewardsRequest,
        program: &RewardsProgram,
        mut effects: Effects,
    ) -> StoreResult<Result<Applied, RewardsError>> {
        let account = account_id.to_string();
        let key = request.key.as_str().to_owned();
        let mut tx = self.writer.begin().await?;
        // Lock the account row: PostgreSQL queues concurrent requests for the same account
        // here; SQLite has its single writer.
        let locked =
            sqlx::query("UPDATE card_accounts SET rewards_balance = rewards_balance WHERE id = $1")
                .bind(account.clone())
                .execute(&mut *tx)
                .await?;
        if locked.rows_affected() == 0 {
            return Err(StoreError::not_found(format!("account {account_id}")));
        }
        let balance = sqlx::query(
            "SELECT CAST(COALESCE(SUM(points), 0) AS BIGINT) AS total FROM rewards_ledger \
             WHERE account_id = $1",
        )
        .bind(account.clone())
        .fetch_one(&mut *tx)
        .await?
        .int("total")?;
        let recorded_under_key = sqlx::query(
            "SELECT entry FROM rewards_ledger WHERE account_id = $1 AND idempotency_key = $2 \
             ORDER BY position",
        )
        .bind(account.clone())
        .bind(key.clone())
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|row| row.json("entry"))
        .collect::<StoreResult<Vec<LedgerEntry>>>()?;
        let state = LedgerState {
            balance,
            recorded_under_key,
        };
        let applied = match ::cards::apply(&state, request, program, self.now()) {
            Ok(applied) => applied,
            Err(refused) => return Ok(Err(refused)),
        };
        let Applied::Recorded(entries) = &applied else {
            return Ok(Ok(applied));
        };
        let mut total = 0i64;
        for (position, entry) in entries.iter().enumerate() {
            total += entry.points;
            sqlx::query(
                "INSERT INTO rewards_ledger (account_id, idempotency_key, position, points, entry, \
                     at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(account.clone())
            .bind(key.clone())
            .bind(i64::try_from(position).map_err(|e| corrupt("position", e))?)
            .bind(entry.points)
            .bind(to_json(entry)?)
            .bind(entry.at.as_millisecond())
            .execute(&mut *tx)
            .await
            .map_err(|e| {
                StoreError::unique_as_conflict(e, format!("rewards request {key:?} (in flight)"))
            })?;
        }
        sqlx::query(
            "UPDATE card_accounts SET rewards_balance = rewards_balance + $1 WHERE id = $2",
        )
        .bind(total)
        .bind(account.clone())
        .execute(&mut *tx)
        .await
        .map_err(|e| match &e {
            // The CHECK (rewards_balance >= 0): a second guard that should never fire.
            sqlx::Error::Database(d) if d.is_check_violation() => {
                StoreError::conflict(format!("a rewards balance below zero on {account}"))
            }
            _ => StoreError::Database(e),
        })?;
        effects
            .events
            .extend(applied.events(account_id).iter().map(card_event));
        self.write_effects(&mut tx, effects).await?;
        tx.commit().await?;
        Ok(Ok(applied))
    }
}

/// Inserts transaction rows; a reference already stored is a `Conflict`.
async fn insert_transaction_rows(db: &mut AnyConnection, txs: &[Transaction]) -> StoreResult<()> {
    for t in txs {
        sqlx::query(
            "INSERT INTO card_transactions (reference, card_id, at, amount_minor, currency, \
                     merchant, merchant_country, card_present, status) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(t.reference.0.clone())
        .bind(t.card_id.to_string())
        .bind(t.at.as_millisecond())
        .bind(t.amount.minor)
        .bind(t.amount.currency.code().to_owned())
        .bind(t.merchant.clone())
        .bind(t.merchant_country.code().to_owned())
        .bind(i64::from(t.card_present))
        .bind(status_name(t.status)?)
        .execute(&mut *db)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
                StoreError::not_found(format!("card {}", t.card_id))
            }
            _ => StoreError::unique_as_conflict(e, format!("transaction {}", t.reference)),
        })?;
    }
    Ok(())
}
