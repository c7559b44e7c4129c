use ::routing::{
    AgentProfile, AgentRecord, Availability, Capacity, ContactRecord, EngineState, RecordedStatus,
};
use async_trait::async_trait;
use domain::Timestamp;
use serde::Serialize;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use super::{RowExt, SqlStore};
use crate::error::{StoreError, StoreResult};
use crate::model::Effects;
use crate::routing::{RoutingChanges, RoutingStore};

fn to_json(value: &impl Serialize) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(format!("routing row: {e}")))
}

fn agent(row: &AnyRow) -> StoreResult<AgentRecord> {
    Ok(AgentRecord {
        profile: AgentProfile {
            id: row.parsed("user_id")?,
            hub: row.parsed("hub")?,
            departments: row.json("departments")?,
            languages: row.json("languages")?,
            tiers: row.json("tiers")?,
            capacity: Capacity {
                voice: row.flag("voice")?,
                digital: u8::try_from(row.int("digital")?)
                    .map_err(|e| StoreError::Corrupt(format!("column digital: {e}")))?,
            },
        },
        availability: row.parsed::<Availability>("availability")?,
        ready_since: row.time("ready_since")?,
        wrap_up_started: row.opt_time("wrap_up_started")?,
    })
}

fn contact(row: &AnyRow) -> StoreResult<ContactRecord> {
    let agent = || -> StoreResult<_> {
        row.opt_parsed("agent_id")?
            .ok_or_else(|| StoreError::Corrupt("routing contact without its agent".to_owned()))
    };
    let at = || -> StoreResult<_> {
        row.opt_time("status_at")?
            .ok_or_else(|| StoreError::Corrupt("routing contact without status_at".to_owned()))
    };
    let status = match row.text("status")?.as_str() {
        "waiting" => RecordedStatus::Waiting,
        "offered" => RecordedStatus::Offered {
            agent: agent()?,
            expires_at: at()?,
        },
        "connected" => RecordedStatus::Connected {
            agent: agent()?,
            answered_at: at()?,
        },
        other => {
            return Err(StoreError::Corrupt(format!(
                "routing contact status {other:?}"
            )));
        }
    };
    Ok(ContactRecord {
        contact: row.json("contact")?,
        status,
        declined_by: row.json("declined_by")?,
    })
}

async fn upsert_agent(conn: &mut AnyConnection, a: &AgentRecord, at: Timestamp) -> StoreResult<()> {
    let p = &a.profile;
    sqlx::query(
        "INSERT INTO routing_agents (user_id, hub, departments, languages, tiers, voice, digital, \
             availability, ready_since, wrap_up_started, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (user_id) DO UPDATE SET hub = excluded.hub, \
             departments = excluded.departments, languages = excluded.languages, \
             tiers = excluded.tiers, voice = excluded.voice, digital = excluded.digital, \
             availability = excluded.availability, ready_since = excluded.ready_since, \
             wrap_up_started = excluded.wrap_up_started, updated_at = excluded.updated_at",
    )
    .bind(p.id.to_string())
    .bind(p.hub.as_str())
    .bind(to_json(&p.departments)?)
    .bind(to_json(&p.languages)?)
    .bind(to_json(&p.tiers)?)
    .bind(i64::from(p.capacity.voice))
    .bind(i64::from(p.capacity.digital))
    .bind(a.availability.as_str())
    .bind(a.ready_since.as_millisecond())
    .bind(a.wrap_up_started.map(|t| t.as_millisecond()))
    .bind(at.as_millisecond())
    .execute(&mut *conn)
    .await
    .map_err(|e| match &e {
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
            StoreError::not_found(format!("staff user {}", p.id))
        }
        _ => StoreError::Database(e),
    })?;
    Ok(())
}

async fn upsert_contact(
    conn: &mut AnyConnection,
    c: &ContactRecord,
    at: Timestamp,
) -> StoreResult<()> {
    let (status, agent, status_at) = match c.status {
        RecordedStatus::Waiting => ("waiting", None, None),
        RecordedStatus::Offered { agent, expires_at } => {
            ("offered", Some(agent.to_string()), Some(expires_at))
        }
        RecordedStatus::Connected { agent, answered_at } => {
            ("connected", Some(agent.to_string()), Some(answered_at))
        }
    };
    sqlx::query(
        "INSERT INTO routing_contacts (id, contact, status, agent_id, status_at, declined_by, \
             arrived_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (id) DO UPDATE SET contact = excluded.contact, status = excluded.status, \
             agent_id = excluded.agent_id, status_at = excluded.status_at, \
             declined_by = excluded.declined_by, updated_at = excluded.updated_at",
    )
    .bind(c.contact.id.to_string())
    .bind(to_json(&c.contact)?)
    .bind(status)
    .bind(agent)
    .bind(status_at.map(|t| t.as_millisecond()))
    .bind(to_json(&c.declined_by)?)
    .bind(c.contact.arrived_at.as_millisecond())
    .bind(at.as_millisecond())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[async_trait]
impl RoutingStore for SqlStore {
    async fn routing_state(&self, now: Timestamp) -> StoreResult<EngineState> {
        let agents = sqlx::query(
            "SELECT user_id, hub, departments, languages, tiers, voice, digital, availability, \
                 ready_since, wrap_up_started FROM routing_agents ORDER BY user_id",
        )
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(agent)
        .collect::<StoreResult<Vec<_>>>()?;
        let contacts = sqlx::query(
            "SELECT contact, status, agent_id, status_at, declined_by FROM routing_contacts \
             ORDER BY arrived_at, id",
        )
        .fetch_all(&self.reader)
        .await?
        .iter()
        .map(contact)
        .collect::<StoreResult<Vec<_>>>()?;
        let figures =
            sqlx::query("SELECT since, counters, handle_times FROM routing_figures WHERE id = 1")
                .fetch_optional(&self.reader)
                .await?;
        let (figures_since, counters, handle_times) = match figures {
            Some(row) => (
                row.time("since")?,
                row.json("counters")?,
                row.json("handle_times")?,
            ),
            None => (now, Vec::new(), Vec::new()),
        };
        Ok(EngineState {
            at: now,
            agents,
            contacts,
            figures_since,
            counters,
            handle_times,
        })
    }

    async fn save_routing_changes(
        &self,
        changes: &RoutingChanges,
        effects: Effects,
    ) -> StoreResult<()> {
        let mut tx = self.writer.begin().await?;
        for a in &changes.agents {
            upsert_agent(&mut tx, a, changes.at).await?;
        }
        for c in &changes.contacts {
            upsert_contact(&mut tx, c, changes.at).await?;
        }
        for id in &changes.finished {
            sqlx::query("DELETE FROM routing_contacts WHERE id = $1")
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
        }
        if let Some(f) = &changes.figures {
            sqlx::query(
                "INSERT INTO routing_figures (id, since, counters, handle_times, updated_at) \
                 VALUES (1, $1, $2, $3, $4) \
                 ON CONFLICT (id) DO UPDATE SET since = excluded.since, counters = excluded.counters, \
                     handle_times = excluded.handle_times, updated_at = excluded.updated_at",
            )
            .bind(f.since.as_millisecond())
            .bind(to_json(&f.counters)?)
            .bind(to_json(&f.handle_times)?)
            .bind(changes.at.as_millisecond())
            .execute(&mut *tx)
            .await?;
        }
        self.write_effects(&mut tx, effects).await?;
        tx.commit().await?;
        Ok(())
    }
}
