//! Fraud rows: a batch of decisions is written whole with its alerts and events; alerts change
//! only from the status the caller saw; the snapshot keeps one row.

use domain::{CardholderId, Clock, FakeClock};
use jiff::SignedDuration;
use uuid::Uuid;

use crate::*;

fn sample_decision(card: &str, holder: CardholderId, at: domain::Timestamp) -> FraudDecisionRecord {
    FraudDecisionRecord {
        id: Uuid::now_v7(),
        card_id: Some(card.to_owned()),
        cardholder_id: Some(holder),
        at,
        decided_at: at,
        amount_minor: 12_345,
        currency: "USD".to_owned(),
        merchant: serde_json::json!({"id": "M1", "name": "Shop", "mcc": "5411", "country": "US"}),
        card_present: true,
        verdict: "challenge".to_owned(),
        score: 0.625,
        reasons: serde_json::json!([{"signal": "impossible_travel", "reason": "9,000 km in 40 min"}]),
        features: serde_json::json!([1.0, null, 3.5]),
        stand_in: false,
        label: None,
    }
}

pub(super) async fn decisions_batches_and_alerts(store: &dyn Store, clock: &FakeClock) {
    let now = clock.now();
    let holder = CardholderId::new();
    let card = Uuid::now_v7().to_string();
    let decisions: Vec<_> = (0..150)
        .map(|i| sample_decision(&card, holder, now + SignedDuration::from_secs(i)))
        .collect();
    let challenged = decisions[149].clone();
    let alert = FraudAlert {
        id: Uuid::now_v7(),
        decision_id: challenged.id,
        card_id: Some(card.clone()),
        cardholder_id: Some(holder),
        status: AlertStatus::Challenged,
        opened_at: now,
        answer_by: Some(now + SignedDuration::from_mins(10)),
        resolved_at: None,
        resolved_by: None,
        note: None,
    };
    let batch = FraudBatch {
        decisions: decisions.clone(),
        alerts: vec![alert.clone()],
    };
    let event = NewEvent::new("fraud.challenged", format!("card:{card}"), alert.id);
    store
        .record_fraud_batch(&batch, Effects::none().event(event))
        .await
        .expect("record a batch of 150 decisions");
    // The same ids again: the whole batch is refused, nothing half-written.
    let again = FraudBatch {
        decisions: vec![sample_decision(&card, holder, now), decisions[0].clone()],
        alerts: Vec::new(),
    };
    assert!(matches!(
        store.record_fraud_batch(&again, Effects::none()).await,
        Err(StoreError::Conflict { .. })
    ));
    // Decisions alone, over several INSERTs (SQLite sends them as one statement list): the
    // refused batch left no transaction open, and every value lands in its own row.
    let later: Vec<_> = (0..130)
        .map(|i| sample_decision(&card, holder, now + SignedDuration::from_secs(200 + i)))
        .collect();
    store
        .record_fraud_batch(
            &FraudBatch {
                decisions: later.clone(),
                alerts: Vec::new(),
            },
            Effects::none(),
        )
        .await
        .expect("record a batch of decisions after a refused one");
    assert_eq!(
        store
            .fraud_decision(challenged.id)
            .await
            .expect("read back"),
        challenged
    );
    let latest = store
        .card_fraud_decisions(&card, 10)
        .await
        .expect("card decisions");
    assert_eq!(latest.len(), 10);
    assert_eq!(latest[0].id, later[129].id, "newest first");
    assert_eq!(
        store
            .cardholder_fraud_decisions(holder, 500)
            .await
            .expect("holder decisions")
            .len(),
        280
    );
    // Paging in decision order rebuilds everything exactly once.
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .fraud_decisions_after(after, 40)
            .await
            .expect("page of decisions");
        let Some(last) = page.last() else { break };
        after = Some((last.decided_at, last.id));
        seen.extend(
            page.into_iter()
                .filter(|d| d.card_id.as_deref() == Some(&card)),
        );
    }
    assert_eq!(seen, [decisions, later].concat());

    let label = FraudLabel {
        label: "fraud".to_owned(),
        source: "challenge".to_owned(),
        at: now,
    };
    store
        .label_fraud_decision(challenged.id, &label, Effects::none())
        .await
        .expect("label");
    assert_eq!(
        store
            .fraud_decision(challenged.id)
            .await
            .expect("read")
            .label,
        Some(label.clone())
    );
    assert!(matches!(
        store
            .label_fraud_decision(Uuid::now_v7(), &label, Effects::none())
            .await,
        Err(StoreError::NotFound { .. })
    ));

    // Alerts: waiting for the cardholder, then answered once.
    assert_eq!(
        store
            .challenged_fraud_alerts_for_cardholder(holder)
            .await
            .expect("challenged"),
        vec![alert.clone()]
    );
    let mut answered = alert.clone();
    answered.status = AlertStatus::ConfirmedFraud;
    answered.resolved_at = Some(now);
    answered.resolved_by = Some("sms".to_owned());
    store
        .update_fraud_alert(&answered, AlertStatus::Challenged, Effects::none())
        .await
        .expect("answer");
    assert!(matches!(
        store
            .update_fraud_alert(&answered, AlertStatus::Challenged, Effects::none())
            .await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(store.fraud_alert(alert.id).await.expect("alert"), answered);
    assert!(
        store
            .fraud_alerts(&[AlertStatus::Open, AlertStatus::Challenged], 100)
            .await
            .expect("queue")
            .iter()
            .all(|a| a.id != alert.id)
    );
    assert!(
        store
            .fraud_alerts(&[AlertStatus::ConfirmedFraud], 100)
            .await
            .expect("resolved")
            .iter()
            .any(|a| a.id == alert.id)
    );

    // The snapshot is one row, replaced.
    assert_eq!(store.fraud_snapshot().await.expect("none yet"), None);
    store
        .save_fraud_snapshot(now, "{\"v\":1}")
        .await
        .expect("save");
    store
        .save_fraud_snapshot(now, "{\"v\":2}")
        .await
        .expect("replace");
    assert_eq!(
        store.fraud_snapshot().await.expect("snapshot"),
        Some((now, "{\"v\":2}".to_owned()))
    );
}
