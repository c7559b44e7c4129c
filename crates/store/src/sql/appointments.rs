use ::cases::appointments::{Appointment, AppointmentStatus, Booker, CentreId, SlotKey};
use async_trait::async_trait;
use domain::{CardholderId, Timestamp};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe};

use super::{RowExt, SqlStore};
use crate::appointments::{
    AppointmentStore, Cancellation, REMINDER_TOPIC, StoredAppointment, appointment_subject,
};
use crate::error::{StoreError, StoreResult};
use crate::model::{Effects, Page};

const COLUMNS: &str = "id, slot_key, centre, cardholder, case_id, starts_at, ends_at, status, \
     booked_at, booked_by, booked_actor, cancelled_at, cancelled_by, replaces";

fn booker(text: &str) -> StoreResult<Booker> {
    match text {
        "cardholder" => Ok(Booker::Cardholder),
        "agent" => Ok(Booker::Agent),
        other => Err(StoreError::Corrupt(format!("appointment booker {other:?}"))),
    }
}

fn booker_text(b: Booker) -> &'static str {
    match b {
        Booker::Cardholder => "cardholder",
        Booker::Agent => "agent",
    }
}

fn appointment(row: &AnyRow) -> StoreResult<StoredAppointment> {
    let status = match row.text("status")?.as_str() {
        "booked" => AppointmentStatus::Booked,
        "cancelled" => AppointmentStatus::Cancelled,
        other => {
            return Err(StoreError::Corrupt(format!("appointment status {other:?}")));
        }
    };
    let centre = CentreId::parse(&row.text("centre")?)
        .map_err(|e| StoreError::Corrupt(format!("column centre: {e}")))?;
    Ok(StoredAppointment {
        id: row.parsed("id")?,
        appointment: Appointment {
            key: SlotKey(row.text("slot_key")?),
            centre,
            cardholder: row.parsed("cardholder")?,
            case: row.opt_parsed("case_id")?,
            start: row.time("starts_at")?,
            end: row.time("ends_at")?,
            status,
            booked_at: row.time("booked_at")?,
        },
        booked_by: booker(&row.text("booked_by")?)?,
        booked_actor: row.text("booked_actor")?,
        cancelled_at: row.opt_time("cancelled_at")?,
        cancelled_by: row.opt_text("cancelled_by")?,
        replaces: row.opt_parsed("replaces")?,
    })
}

async fn insert(conn: &mut AnyConnection, s: &StoredAppointment) -> StoreResult<()> {
    let a = &s.appointment;
    let status = match a.status {
        AppointmentStatus::Booked => "booked",
        AppointmentStatus::Cancelled => "cancelled",
    };
    sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO appointments ({COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
    )))
    .bind(s.id.to_string())
    .bind(&a.key.0)
    .bind(a.centre.as_str())
    .bind(a.cardholder.to_string())
    .bind(a.case.map(|c| c.to_string()))
    .bind(a.start.as_millisecond())
    .bind(a.end.as_millisecond())
    .bind(status)
    .bind(a.booked_at.as_millisecond())
    .bind(booker_text(s.booked_by))
    .bind(&s.booked_actor)
    .bind(s.cancelled_at.map(|t| t.as_millisecond()))
    .bind(s.cancelled_by.clone())
    .bind(s.replaces.map(|r| r.to_string()))
    .execute(&mut *conn)
    .await
    .map_err(|e| StoreError::unique_as_conflict(e, format!("a booking of the seat {}", a.key.0)))?;
    Ok(())
}

/// Marks a booked appointment cancelled and deletes its undelivered reminders.
async fn cancel(
    conn: &mut AnyConnection,
    id: uuid::Uuid,
    c: &Cancellation,
) -> StoreResult<StoredAppointment> {
    let done = sqlx::query(
        "UPDATE appointments SET status = 'cancelled', cancelled_at = $1, cancelled_by = $2 \
         WHERE id = $3 AND status = 'booked'",
    )
    .bind(c.at.as_millisecond())
    .bind(&c.by)
    .bind(id.to_string())
    .execute(&mut *conn)
    .await?;
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM appointments WHERE id = $1"
    )))
    .bind(id.to_string())
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| StoreError::not_found(format!("appointment {id}")))?;
    if done.rows_affected() == 0 {
        return Err(StoreError::conflict(format!(
            "a cancellation of appointment {id}"
        )));
    }
    sqlx::query("DELETE FROM outbox WHERE subject = $1 AND topic = $2 AND delivered_at IS NULL")
        .bind(appointment_subject(id))
        .bind(REMINDER_TOPIC)
        .execute(&mut *conn)
        .await?;
    appointment(&row)
}

#[async_trait]
impl AppointmentStore for SqlStore {
    async fn insert_appointment(&self, a: &StoredAppointment, effects: Effects) -> StoreResult<()> {
        let mut tx = self.writer.begin().await?;
        insert(&mut tx, a).await?;
        self.write_effects(&mut tx, effects).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn taken_slot_keys(
        &self,
        centre: &CentreId,
        start: Timestamp,
    ) -> StoreResult<Vec<SlotKey>> {
        // The writer sees every committed booking (on SQLite the readers may lag a WAL snapshot).
        let keys: Vec<String> = sqlx::query_scalar(
            "SELECT slot_key FROM appointments \
             WHERE centre = $1 AND starts_at = $2 AND status = 'booked' ORDER BY slot_key",
        )
        .bind(centre.as_str())
        .bind(start.as_millisecond())
        .fetch_all(&self.writer)
        .await?;
        Ok(keys.into_iter().map(SlotKey).collect())
    }

    async fn booked_counts(
        &self,
        centre: &CentreId,
        from: Timestamp,
        to: Timestamp,
    ) -> StoreResult<Vec<(Timestamp, u32)>> {
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT starts_at, COUNT(*) FROM appointments \
             WHERE centre = $1 AND status = 'booked' AND starts_at >= $2 AND starts_at < $3 \
             GROUP BY starts_at ORDER BY starts_at",
        )
        .bind(centre.as_str())
        .bind(from.as_millisecond())
        .bind(to.as_millisecond())
        .fetch_all(&self.reader)
        .await?;
        rows.into_iter()
            .map(|(at, n)| Ok((super::millis(at)?, u32::try_from(n).unwrap_or(u32::MAX))))
            .collect()
    }

    async fn appointment_by_id(&self, id: uuid::Uuid) -> StoreResult<Option<StoredAppointment>> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM appointments WHERE id = $1"
        )))
        .bind(id.to_string())
        .fetch_optional(&self.reader)
        .await?
        .as_ref()
        .map(appointment)
        .transpose()
    }

    async fn appointments_for_cardholder(
        &self,
        cardholder: CardholderId,
        page: Page,
    ) -> StoreResult<Vec<StoredAppointment>> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM appointments WHERE cardholder = $1 \
             ORDER BY starts_at DESC, id LIMIT $2 OFFSET $3"
        )))
        .bind(cardholder.to_string())
        .bind(i64::from(page.limit))
        .bind(i64::from(page.offset))
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(appointment)
        .collect()
    }

    async fn appointments_for_centre(
        &self,
        centre: &CentreId,
        from: Timestamp,
        to: Timestamp,
    ) -> StoreResult<Vec<StoredAppointment>> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM appointments \
             WHERE centre = $1 AND starts_at >= $2 AND starts_at < $3 \
             ORDER BY starts_at, slot_key, id"
        )))
        .bind(centre.as_str())
        .bind(from.as_millisecond())
        .bind(to.as_millisecond())
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(appointment)
        .collect()
    }

    async fn cancel_appointment(
        &self,
        id: uuid::Uuid,
        cancellation: &Cancellation,
        effects: Effects,
    ) -> StoreResult<StoredAppointment> {
        let mut tx = self.writer.begin().await?;
        let cancelled = cancel(&mut tx, id, cancellation).await?;
        self.write_effects(&mut tx, effects).await?;
        tx.commit().await?;
        Ok(cancelled)
    }

    async fn reschedule_appointment(
        &self,
        old: uuid::Uuid,
        cancellation: &Cancellation,
        new: &StoredAppointment,
        effects: Effects,
    ) -> StoreResult<()> {
        let mut tx = self.writer.begin().await?;
        cancel(&mut tx, old, cancellation).await?;
        insert(&mut tx, new).await?;
        self.write_effects(&mut tx, effects).await?;
        tx.commit().await?;
        Ok(())
    }
}
