use async_trait::async_trait;
use domain::CardholderId;
use sqlx::any::AnyRow;

use super::{RowExt, SqlStore, like_pattern};
use crate::error::{StoreError, StoreResult};
use crate::model::{Cardholder, Effects, Page};
use crate::traits::CardholderStore;
use sqlx::AssertSqlSafe;

const COLUMNS: &str = "id, given_name, family_name, email, phone, language, country, time_zone, tier, \
     date_of_birth, postcode, tax_id_last4, address, password_hash, relationship_manager, created_at";

fn cardholder(row: &AnyRow) -> StoreResult<Cardholder> {
    Ok(Cardholder {
        id: row.parsed("id")?,
        given_name: row.text("given_name")?,
        family_name: row.text("family_name")?,
        email: row.text("email")?,
        phone: row.opt_text("phone")?,
        language: row.parsed("language")?,
        country: row.parsed("country")?,
        time_zone: row.text("time_zone")?,
        tier: row.parsed("tier")?,
        date_of_birth: row.opt_text("date_of_birth")?,
        postcode: row.opt_text("postcode")?,
        tax_id_last4: row.opt_text("tax_id_last4")?,
        address: row.json("address")?,
        password_hash: row.opt_text("password_hash")?,
        relationship_manager: row.opt_parsed("relationship_manager")?,
        created_at: row.time("created_at")?,
    })
}

#[async_trait]
impl CardholderStore for SqlStore {
    async fn insert_cardholder(&self, c: &Cardholder, effects: Effects) -> StoreResult<()> {
        let mut tx = self.writer.begin().await?;
        sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO cardholders ({COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
        )))
        .bind(c.id.to_string())
        .bind(&c.given_name)
        .bind(&c.family_name)
        .bind(c.email.to_lowercase())
        .bind(c.phone.clone())
        .bind(c.language.code())
        .bind(c.country.code())
        .bind(&c.time_zone)
        .bind(c.tier.as_str())
        .bind(c.date_of_birth.clone())
        .bind(c.postcode.clone())
        .bind(c.tax_id_last4.clone())
        .bind(serde_json::to_string(&c.address).map_err(|e| StoreError::Corrupt(e.to_string()))?)
        .bind(c.password_hash.clone())
        .bind(c.relationship_manager.map(|id| id.to_string()))
        .bind(c.created_at.as_millisecond())
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            StoreError::unique_as_conflict(e, format!("a cardholder with email {}", c.email))
        })?;
        self.write_effects(&mut tx, effects).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn cardholder_by_id(&self, id: CardholderId) -> StoreResult<Option<Cardholder>> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM cardholders WHERE id = $1"
        )))
        .bind(id.to_string())
        .fetch_optional(&self.reader)
        .await?
        .as_ref()
        .map(cardholder)
        .transpose()
    }

    async fn cardholder_by_email(&self, email: &str) -> StoreResult<Option<Cardholder>> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM cardholders WHERE email = $1"
        )))
        .bind(email.trim().to_lowercase())
        .fetch_optional(&self.reader)
        .await?
        .as_ref()
        .map(cardholder)
        .transpose()
    }

    async fn search_cardholders(&self, query: &str, page: Page) -> StoreResult<Vec<Cardholder>> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM cardholders \
             WHERE LOWER(given_name || ' ' || family_name) LIKE $1 ESCAPE '\\' \
                OR email LIKE $1 ESCAPE '\\' OR COALESCE(phone, '') LIKE $1 ESCAPE '\\' \
             ORDER BY family_name, given_name, id LIMIT $2 OFFSET $3"
        )))
        .bind(like_pattern(query.trim()))
        .bind(i64::from(page.limit))
        .bind(i64::from(page.offset))
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(cardholder)
        .collect()
    }

    async fn count_cardholders(&self) -> StoreResult<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cardholders")
            .fetch_one(&self.reader)
            .await?;
        Ok(n.max(0) as u64)
    }
}
