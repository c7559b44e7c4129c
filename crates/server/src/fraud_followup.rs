//! What follows a confirmed fraud (`fraud.confirmed`): the fraud monitor has already locked the
//! card and filed the zero-liability dispute; this opens the fraud case and reports the card
//! stolen so that a replacement is ordered to the address on file.
//!
//! The outbox delivers at least once, so every step finds its earlier result first: the case
//! takes the alert's id, and a card already reported is not reported again.

use async_trait::async_trait;
use cases::{Actor, CaseCommand, NewCase};
use domain::{CardId, CardholderId, CaseId, Channel, Reason};
use store::{AuditRecord, OutboxEvent};
use uuid::Uuid;

use crate::outbox::EventHandler;
use crate::state::AppState;

pub const TOPIC: &str = "fraud.confirmed";

pub struct FraudFollowUp {
    pub state: AppState,
}

#[derive(serde::Deserialize)]
struct Confirmed {
    alert_id: Uuid,
    card_id: Option<CardId>,
    cardholder_id: Option<CardholderId>,
    answered_by: String,
}

#[async_trait]
impl EventHandler for FraudFollowUp {
    fn name(&self) -> &'static str {
        "fraud-follow-up"
    }

    fn wants(&self, topic: &str) -> bool {
        topic == TOPIC
    }

    async fn handle(&self, event: &OutboxEvent) -> anyhow::Result<()> {
        let confirmed: Confirmed = serde_json::from_value(event.payload.clone())?;
        follow_up(&self.state, &confirmed).await
    }
}

async fn follow_up(state: &AppState, confirmed: &Confirmed) -> anyhow::Result<()> {
    let case_id = CaseId(confirmed.alert_id);
    let card = match confirmed.card_id {
        Some(id) => state.store.card_by_id(id).await?,
        None => None,
    };
    if state.store.case_by_id(case_id).await?.is_none() {
        let subject = match &card {
            Some(card) => format!(
                "Fraud confirmed on the card ending {} ({})",
                card.card.last4, confirmed.answered_by
            ),
            None => format!("Fraud confirmed ({})", confirmed.answered_by),
        };
        let new = NewCase {
            id: case_id,
            reference: cases::CaseRef::generate(0),
            cardholder: confirmed.cardholder_id,
            tier: card.as_ref().map(|c| c.card.tier),
            subject,
            reason: Reason::Fraud,
            department: None,
            // The fraud team follows a confirmed fraud up by phone.
            channel: Channel::Phone,
        };
        crate::casework::open(state, new, Actor::System, vec![audit(state, confirmed)])
            .await
            .map_err(failed)?;
    }
    let Some(card) = card else {
        return Ok(());
    };
    if card.card.state.is_terminal() {
        return Ok(());
    }
    let reported = crate::cards::report_lost(
        state,
        card.card.id,
        cards::Loss::Stolen,
        cards::Actor::FraudEngine,
        None,
        audit(state, confirmed),
    )
    .await
    .map_err(failed)?;
    let note = format!(
        "{} Zero-liability dispute filed for the transaction.",
        reported.summary()
    );
    crate::casework::change(
        state,
        case_id,
        CaseCommand::AddNote { text: note },
        Actor::System,
        Vec::new(),
    )
    .await
    .map_err(failed)?;
    Ok(())
}

fn audit(state: &AppState, confirmed: &Confirmed) -> AuditRecord {
    AuditRecord {
        at: state.clock.now(),
        actor: "system".to_owned(),
        action: "fraud.follow_up".to_owned(),
        subject: match confirmed.card_id {
            Some(card) => format!("card:{card}"),
            None => format!("fraud_alert:{}", confirmed.alert_id),
        },
        ip: String::new(),
        request_id: String::new(),
        detail: serde_json::json!({"alert_id": confirmed.alert_id}),
    }
}

fn failed(err: crate::error::ApiError) -> anyhow::Error {
    anyhow::anyhow!("{err}")
}
