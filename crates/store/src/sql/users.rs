use async_trait::async_trait;
use domain::UserId;
use sqlx::any::AnyRow;

use super::{RowExt, SqlStore};
use crate::error::{StoreError, StoreResult};
use crate::model::{Effects, Page, User};
use crate::traits::UserStore;
use sqlx::AssertSqlSafe;

const COLUMNS: &str =
    "id, email, display_name, role, password_hash, language, disabled, created_at";

fn user(row: &AnyRow) -> StoreResult<User> {
    Ok(User {
        id: row.parsed("id")?,
        email: row.text("email")?,
        display_name: row.text("display_name")?,
        role: row.parsed("role")?,
        password_hash: row.text("password_hash")?,
        language: row.parsed("language")?,
        disabled: row.flag("disabled")?,
        created_at: row.time("created_at")?,
    })
}

#[async_trait]
impl UserStore for SqlStore {
    async fn insert_user(&self, u: &User, effects: Effects) -> StoreResult<()> {
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "INSERT INTO users (id, email, display_name, role, password_hash, language, disabled, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(u.id.to_string())
        .bind(u.email.to_lowercase())
        .bind(&u.display_name)
        .bind(u.role.as_str())
        .bind(&u.password_hash)
        .bind(u.language.code())
        .bind(i64::from(u.disabled))
        .bind(u.created_at.as_millisecond())
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::unique_as_conflict(e, format!("a user with email {}", u.email)))?;
        self.write_effects(&mut tx, effects).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn user_by_id(&self, id: UserId) -> StoreResult<Option<User>> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM users WHERE id = $1"
        )))
        .bind(id.to_string())
        .fetch_optional(&self.reader)
        .await?
        .as_ref()
        .map(user)
        .transpose()
    }

    async fn user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM users WHERE email = $1"
        )))
        .bind(email.trim().to_lowercase())
        .fetch_optional(&self.reader)
        .await?
        .as_ref()
        .map(user)
        .transpose()
    }

    async fn list_users(&self, page: Page) -> StoreResult<Vec<User>> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM users ORDER BY role, display_name LIMIT $1 OFFSET $2"
        )))
        .bind(i64::from(page.limit))
        .bind(i64::from(page.offset))
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(user)
        .collect()
    }
}
