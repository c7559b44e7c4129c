//! Fraud monitoring at the edge (product §6): the one `fraud::Engine` of this server, the
//! group-commit writer that makes every decision durable before it is answered, the challenge
//! answers ("was this you?") and the timers (unanswered challenges → analysts' queue, daily
//! retraining, snapshots).
//!
//! Flow of an authorization: the engine decides under a std mutex (microseconds; over the
//! configured budget the stand-in answers) → the decision (and its alert, if challenged) goes to
//! the writer task → the writer commits whatever is queued in one transaction (group commit) and
//! acknowledges each decision → the API answers. At shutdown the writer drains its queue before
//! it stops, so no acknowledged decision and no queued one is lost.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use domain::{CardId, CardholderId, Clock, Money, Timestamp};
use fraud::{
    Authorization, CardKey, CardStatus, Engine, EngineState, Features, Label, Merchant, Outcome,
    OutcomeSource, Signal, SignalKind, Verdict,
};
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use serde::{Deserialize, Serialize};
use store::{
    AlertStatus, Effects, FraudAlert, FraudBatch, FraudDecisionRecord, FraudLabel, NewEvent, Store,
    StoreError,
};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::metrics::Metrics;

/// Decisions queued for the writer at most; a full queue makes callers wait (back-pressure).
const QUEUE: usize = 65_536;
/// Decisions per transaction at most.
const BATCH: usize = 2_048;
/// How long a "YES, it was me" lets the same card retry at the same merchant.
const RETRY_WINDOW: jiff::SignedDuration = jiff::SignedDuration::from_mins(30);
/// Rows read per page when rebuilding the profiles.
const REBUILD_PAGE: u32 = 5_000;

/// The fraud settings of `helpline.toml` (`[fraud]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FraudSettings {
    /// Rules, weights and thresholds (TOML, see crates/fraud/fraud.toml); empty = built-in rules.
    /// Analysts can change the file; a restart (or the reload action) applies it.
    pub rules_file: String,
    /// A challenge nobody answers within this many minutes goes to the analysts' queue.
    pub challenge_answer_minutes: u32,
    /// How often the learned state is saved (it is also saved at shutdown).
    pub snapshot_minutes: u32,
}

impl Default for FraudSettings {
    fn default() -> Self {
        Self {
            rules_file: String::new(),
            challenge_answer_minutes: 10,
            snapshot_minutes: 5,
        }
    }
}

impl FraudSettings {
    pub fn rules(&self) -> anyhow::Result<fraud::Config> {
        use anyhow::Context;
        if self.rules_file.is_empty() {
            return Ok(fraud::Config::default_rules()?);
        }
        let text = std::fs::read_to_string(&self.rules_file)
            .with_context(|| format!("cannot read fraud.rules_file {}", self.rules_file))?;
        fraud::Config::from_toml(&text).with_context(|| format!("in {}", self.rules_file))
    }
}

/// Who a card is, for the fraud engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownCard {
    pub card_id: CardId,
    pub cardholder: Option<CardholderId>,
}

/// An authorization as the API parsed it.
#[derive(Debug, Clone)]
pub struct AuthorizationInput {
    /// `None` = the card could not be resolved (declined as unknown).
    pub card: Option<KnownCard>,
    /// Why the card system refuses this card (locked, lost, stolen, closed, expired…).
    pub refusal: Option<String>,
    pub amount: Money,
    pub merchant: Merchant,
    pub card_present: bool,
    pub at: Timestamp,
}

/// What the API answers.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Decided {
    #[schema(value_type = String, format = Uuid)]
    pub decision_id: Uuid,
    /// approve | challenge | decline.
    pub decision: String,
    /// Estimated probability of fraud, 0–1.
    pub score: f64,
    pub reasons: Vec<Reason>,
    /// The engine ran over its time budget and the configured stand-in answered.
    pub stand_in: bool,
    /// For a challenge: the alert the cardholder's answer resolves.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub alert_id: Option<Uuid>,
}

/// One signal that fired.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Reason {
    pub signal: String,
    /// Log-odds points it added.
    pub points: f32,
    pub reason: String,
}

impl From<&Signal> for Reason {
    fn from(s: &Signal) -> Self {
        Reason {
            signal: s.kind.as_str().to_owned(),
            points: s.points,
            reason: s.reason.to_string(),
        }
    }
}

/// The cardholder's (or an analyst's) answer to an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// "Yes, it was me" / marked genuine.
    Genuine,
    /// "No" / fraud confirmed.
    Fraud,
}

#[derive(Debug, thiserror::Error)]
pub enum FraudError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the decision writer has stopped (the server is shutting down)")]
    WriterStopped,
    #[error("the decision could not be stored: {0}")]
    NotStored(String),
}

struct Pending {
    record: FraudDecisionRecord,
    alert: Option<FraudAlert>,
    events: Vec<NewEvent>,
    ack: oneshot::Sender<Result<(), String>>,
}

/// The server's fraud engine and its writer.
pub struct FraudMonitor {
    engine: Mutex<Engine>,
    /// Cards the engine knows, with their cardholders.
    cards: Mutex<HashMap<CardKey, KnownCard>>,
    /// Cards whose holder said "yes, it was me": (merchant id, until).
    retries: Mutex<HashMap<CardKey, (String, Timestamp)>>,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    settings: FraudSettings,
    queue: mpsc::Sender<Pending>,
    receiver: Mutex<Option<mpsc::Receiver<Pending>>>,
    writer_metrics: WriterMetrics,
}

/// The group-commit writer's figures on `/metrics`: how many decisions a commit carries and
/// how long it takes (what bounds the authorizations' throughput and latency).
pub struct WriterMetrics {
    batch_decisions: Histogram,
    commit_seconds: Histogram,
}

impl WriterMetrics {
    pub fn register(metrics: &Metrics) -> Self {
        let batch_decisions = Histogram::new(exponential_buckets(1.0, 2.0, 12));
        let commit_seconds = Histogram::new(exponential_buckets(0.000_25, 2.0, 12));
        metrics.with_registry(|r| {
            r.register(
                "fraud_batch_decisions",
                "Fraud decisions written per group commit",
                batch_decisions.clone(),
            );
            r.register(
                "fraud_commit_seconds",
                "Time to write one group commit of fraud decisions",
                commit_seconds.clone(),
            );
        });
        Self {
            batch_decisions,
            commit_seconds,
        }
    }
}

/// The snapshot row: the engine's state and the last decision it has seen.
#[derive(Serialize, Deserialize)]
struct Snapshot {
    after: Option<(Timestamp, Uuid)>,
    engine: EngineState,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl FraudMonitor {
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        settings: FraudSettings,
        writer_metrics: WriterMetrics,
    ) -> anyhow::Result<Self> {
        let engine = Engine::new(settings.rules()?)?;
        let (queue, receiver) = mpsc::channel(QUEUE);
        Ok(Self {
            engine: Mutex::new(engine),
            cards: Mutex::new(HashMap::new()),
            retries: Mutex::new(HashMap::new()),
            store,
            clock,
            settings,
            queue,
            receiver: Mutex::new(Some(receiver)),
            writer_metrics,
        })
    }

    pub fn settings(&self) -> &FraudSettings {
        &self.settings
    }

    /// Makes a card known to the engine (the cards store calls this for every issued card and
    /// on every status change).
    pub fn enrol(&self, card: KnownCard, status: CardStatus) -> anyhow::Result<()> {
        let key = CardKey::from(card.card_id);
        let mut engine = lock(&self.engine);
        if engine.card_status(key).is_some() {
            engine.set_card_status(key, status);
        } else {
            engine.enrol(key, status)?;
        }
        lock(&self.cards).insert(key, card);
        Ok(())
    }

    /// The card's status as the engine knows it.
    pub fn card_status(&self, card: CardId) -> Option<CardStatus> {
        lock(&self.engine).card_status(CardKey::from(card))
    }

    pub fn known_card(&self, card: CardId) -> Option<KnownCard> {
        lock(&self.cards).get(&CardKey::from(card)).copied()
    }

    /// Rebuilds the profiles: the snapshot, then every decision stored after it (in decision
    /// order; labelled ones also teach the engine).
    pub async fn load(&self) -> anyhow::Result<()> {
        let mut after = None;
        if let Some((_, text)) = self.store.fraud_snapshot().await? {
            match serde_json::from_str::<Snapshot>(&text) {
                Ok(snapshot) => {
                    let config = lock(&self.engine).config().clone();
                    let restored = Engine::restore(config, snapshot.engine)?;
                    *lock(&self.engine) = restored;
                    after = snapshot.after;
                }
                Err(err) => {
                    tracing::warn!(error = %err, "the fraud snapshot is unreadable; rebuilding from the decisions");
                }
            }
        }
        let mut replayed = 0u64;
        loop {
            let page = self
                .store
                .fraud_decisions_after(after, REBUILD_PAGE)
                .await?;
            let Some(last) = page.last() else { break };
            after = Some((last.decided_at, last.id));
            let mut engine = lock(&self.engine);
            for record in &page {
                let Some(auth) = authorization_of(record) else {
                    continue;
                };
                if engine.card_status(auth.card).is_none() {
                    engine.enrol(auth.card, CardStatus::Active)?;
                    if let Some(card) = record.card_id.as_deref().and_then(|c| c.parse().ok()) {
                        lock(&self.cards).insert(
                            auth.card,
                            KnownCard {
                                card_id: card,
                                cardholder: record.cardholder_id,
                            },
                        );
                    }
                }
                engine.decide(&auth);
                if let Some(outcome) = outcome_of(record, &auth) {
                    engine.learn(&outcome.0, outcome.1);
                }
                replayed += 1;
            }
        }
        let stats = lock(&self.engine).stats();
        tracing::info!(replayed, ?stats, "fraud profiles rebuilt");
        Ok(())
    }

    /// Saves the engine's state with the last decision it reflects.
    pub async fn snapshot(&self) -> anyhow::Result<()> {
        // Read the newest stored decision first: every stored decision was decided (and so
        // is in the engine's state) before it was stored.
        let newest = self.newest_decision().await?;
        let engine = lock(&self.engine).state();
        let text = serde_json::to_string(&Snapshot {
            after: newest,
            engine,
        })?;
        self.store
            .save_fraud_snapshot(self.clock.now(), &text)
            .await?;
        Ok(())
    }

    async fn newest_decision(&self) -> anyhow::Result<Option<(Timestamp, Uuid)>> {
        // Walk from the snapshot's cursor; pages are large and this runs every few minutes.
        let mut after = match self.store.fraud_snapshot().await? {
            Some((_, text)) => serde_json::from_str::<Snapshot>(&text)
                .ok()
                .and_then(|s| s.after),
            None => None,
        };
        loop {
            let page = self
                .store
                .fraud_decisions_after(after, REBUILD_PAGE)
                .await?;
            match page.last() {
                Some(last) => after = Some((last.decided_at, last.id)),
                None => return Ok(after),
            }
        }
    }

    /// Decides an authorization, stores the decision durably and answers.
    pub async fn authorize(&self, input: AuthorizationInput) -> Result<Decided, FraudError> {
        let started = Instant::now();
        let now = self.clock.now();
        let key = input
            .card
            .map_or(CardKey::from_u128(0), |c| CardKey::from(c.card_id));
        let auth = Authorization {
            card: key,
            amount: input.amount,
            merchant: input.merchant.clone(),
            card_present: input.card_present,
            at: input.at,
        };
        let (mut decision, budget_ms, stand_in_verdict) = {
            let mut engine = lock(&self.engine);
            let budget = engine.config().decision.budget_ms;
            let stand_in = engine.stand_in();
            // An unknown card is never enrolled: the engine declines it with its reason.
            let decision = engine.decide(&auth);
            (decision, budget, stand_in)
        };
        if let Some(refusal) = &input.refusal {
            decision.verdict = Verdict::Decline;
            decision.score = 1.0;
            decision
                .reasons
                .retain(|r| r.kind != SignalKind::CardStatus);
            decision.reasons.insert(
                0,
                Signal {
                    kind: SignalKind::CardStatus,
                    points: 0.0,
                    reason: refusal.clone().into(),
                },
            );
        }
        let mut stand_in = false;
        if started.elapsed() > Duration::from_millis(u64::from(budget_ms))
            && decision.verdict != Verdict::Decline
        {
            stand_in = true;
            decision.verdict = stand_in_verdict;
            decision.reasons.push(Signal {
                kind: SignalKind::Learned,
                points: 0.0,
                reason: format!(
                    "the engine took longer than its {budget_ms} ms budget; the stand-in decision answered"
                )
                .into(),
            });
        }
        if decision.verdict == Verdict::Challenge && self.retry_allowed(key, &auth, now) {
            decision.verdict = Verdict::Approve;
            decision.reasons.push(Signal {
                kind: SignalKind::Learned,
                points: 0.0,
                reason: "the cardholder confirmed this purchase (\"yes, it was me\")".into(),
            });
        }
        let id = Uuid::now_v7();
        let reasons: Vec<Reason> = decision.reasons.iter().map(Reason::from).collect();
        let record = FraudDecisionRecord {
            id,
            card_id: input.card.map(|c| c.card_id.to_string()),
            cardholder_id: input.card.and_then(|c| c.cardholder),
            at: input.at,
            decided_at: now,
            amount_minor: input.amount.minor,
            currency: input.amount.currency.to_string(),
            merchant: serde_json::to_value(&input.merchant).unwrap_or_default(),
            card_present: input.card_present,
            verdict: decision.verdict.as_str().to_owned(),
            score: decision.score,
            reasons: serde_json::to_value(&reasons).unwrap_or_default(),
            features: serde_json::to_value(decision.features).unwrap_or_default(),
            stand_in,
            label: None,
        };
        let mut events = Vec::new();
        let mut alert = None;
        if decision.verdict == Verdict::Challenge
            && let Some(card) = input.card
        {
            let a = FraudAlert {
                id: Uuid::now_v7(),
                decision_id: id,
                card_id: Some(card.card_id.to_string()),
                cardholder_id: card.cardholder,
                status: AlertStatus::Challenged,
                opened_at: now,
                answer_by: Some(
                    now + jiff::SignedDuration::from_mins(i64::from(
                        self.settings.challenge_answer_minutes,
                    )),
                ),
                resolved_at: None,
                resolved_by: None,
                note: None,
            };
            events.push(NewEvent::new(
                "fraud.challenged",
                format!("card:{}", card.card_id),
                serde_json::json!({"alert_id": a.id, "decision_id": id, "card_id": card.card_id}),
            ));
            if let Some(holder) = card.cardholder {
                events.push(challenge_notification(holder, &a, &input));
            }
            alert = Some(a);
        }
        let decided = Decided {
            decision_id: id,
            decision: decision.verdict.as_str().to_owned(),
            score: decision.score,
            reasons,
            stand_in,
            alert_id: alert.as_ref().map(|a| a.id),
        };
        let (ack, acked) = oneshot::channel();
        self.queue
            .send(Pending {
                record,
                alert,
                events,
                ack,
            })
            .await
            .map_err(|_| FraudError::WriterStopped)?;
        match acked.await {
            Ok(Ok(())) => Ok(decided),
            Ok(Err(e)) => Err(FraudError::NotStored(e)),
            Err(_) => Err(FraudError::WriterStopped),
        }
    }

    fn retry_allowed(&self, key: CardKey, auth: &Authorization, now: Timestamp) -> bool {
        let mut retries = lock(&self.retries);
        match retries.get(&key) {
            Some((merchant, until)) if *until >= now && *merchant == auth.merchant.id => true,
            Some((_, until)) if *until < now => {
                retries.remove(&key);
                false
            }
            _ => false,
        }
    }

    /// The group-commit writer: takes what is queued (up to [`BATCH`]), writes it in one
    /// transaction, acknowledges. On `stop` it closes the queue, drains it and returns.
    pub async fn run_writer(self: Arc<Self>, stop: CancellationToken) {
        let Some(mut receiver) = lock(&self.receiver).take() else {
            return;
        };
        let mut buffer = Vec::with_capacity(BATCH);
        loop {
            tokio::select! {
                biased;
                n = receiver.recv_many(&mut buffer, BATCH) => {
                    if n == 0 {
                        return;
                    }
                    self.commit(&mut buffer).await;
                }
                () = stop.cancelled() => {
                    receiver.close();
                    while receiver.recv_many(&mut buffer, BATCH).await > 0 {
                        self.commit(&mut buffer).await;
                    }
                    return;
                }
            }
        }
    }

    async fn commit(&self, pending: &mut Vec<Pending>) {
        let mut batch = FraudBatch::default();
        let mut effects = Effects::none();
        let mut acks = Vec::with_capacity(pending.len());
        for p in pending.drain(..) {
            batch.decisions.push(p.record);
            batch.alerts.extend(p.alert);
            effects.events.extend(p.events);
            acks.push(p.ack);
        }
        let started = Instant::now();
        let mut result = self.store.record_fraud_batch(&batch, effects.clone()).await;
        self.writer_metrics
            .commit_seconds
            .observe(started.elapsed().as_secs_f64());
        self.writer_metrics
            .batch_decisions
            .observe(batch.decisions.len() as f64);
        for attempt in 1..=3 {
            if result.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50 * attempt)).await;
            result = self.store.record_fraud_batch(&batch, effects.clone()).await;
        }
        let answer = result.map_err(|e| {
            tracing::error!(error = %e, decisions = batch.decisions.len(), "fraud decisions could not be stored");
            e.to_string()
        });
        for ack in acks {
            let _ = ack.send(answer.clone());
        }
    }

    /// Timers: unanswered challenges go to the analysts' queue; the model retrains when due;
    /// the learned state is saved now and then, and at shutdown.
    pub async fn run_timers(self: Arc<Self>, stop: CancellationToken) {
        let mut last_snapshot = Instant::now();
        loop {
            tokio::select! {
                () = stop.cancelled() => break,
                () = tokio::time::sleep(Duration::from_secs(2)) => {}
            }
            if let Err(err) = self.escalate_unanswered().await {
                tracing::warn!(error = %err, "could not escalate unanswered challenges");
            }
            let now = self.clock.now();
            let _ = lock(&self.engine).retrain_if_due(now);
            if last_snapshot.elapsed()
                > Duration::from_secs(60 * u64::from(self.settings.snapshot_minutes.max(1)))
            {
                last_snapshot = Instant::now();
                if let Err(err) = self.snapshot().await {
                    tracing::warn!(error = %err, "could not save the fraud snapshot");
                }
            }
        }
    }

    /// Challenges whose answer time has passed → the analysts' queue.
    pub async fn escalate_unanswered(&self) -> Result<usize, FraudError> {
        let now = self.clock.now();
        let waiting = self
            .store
            .fraud_alerts(&[AlertStatus::Challenged], 500)
            .await?;
        let mut moved = 0;
        for alert in waiting
            .into_iter()
            .filter(|a| a.answer_by.is_some_and(|t| t <= now))
        {
            let mut open = alert.clone();
            open.status = AlertStatus::Open;
            open.note = Some(format!(
                "no answer from the cardholder within {} minutes",
                self.settings.challenge_answer_minutes
            ));
            let event = NewEvent::new(
                "fraud.escalated",
                subject_of(&alert),
                serde_json::json!({"alert_id": alert.id, "decision_id": alert.decision_id}),
            );
            match self
                .store
                .update_fraud_alert(&open, AlertStatus::Challenged, Effects::none().event(event))
                .await
            {
                Ok(()) => moved += 1,
                Err(StoreError::Conflict { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(moved)
    }

    /// The alert, if it is still open; a resolved one is a conflict.
    async fn open_alert(&self, alert_id: Uuid) -> Result<FraudAlert, FraudError> {
        let alert = self.store.fraud_alert(alert_id).await?;
        if alert.status.is_resolved() {
            return Err(StoreError::conflict(format!(
                "fraud alert {alert_id} is already resolved ({})",
                alert.status.as_str()
            ))
            .into());
        }
        Ok(alert)
    }

    /// Resolves an alert: the cardholder's YES/NO (sms, portal, ivr) or an analyst's verdict.
    /// Fraud: the card is locked in the engine at once and `fraud.confirmed` asks the cards and
    /// cases integrations for the case, the replacement and the zero-liability dispute.
    pub async fn answer(
        &self,
        alert_id: Uuid,
        answer: Answer,
        by: &str,
        note: Option<String>,
        mut effects: Effects,
    ) -> Result<FraudAlert, FraudError> {
        let alert = self.open_alert(alert_id).await?;
        let now = self.clock.now();
        let record = self.store.fraud_decision(alert.decision_id).await?;
        let mut resolved = alert.clone();
        resolved.status = match answer {
            Answer::Genuine => AlertStatus::Genuine,
            Answer::Fraud => AlertStatus::ConfirmedFraud,
        };
        resolved.resolved_at = Some(now);
        resolved.resolved_by = Some(by.to_owned());
        resolved.note = note.or(alert.note.clone());
        let subject = subject_of(&alert);
        let payload = serde_json::json!({
            "alert_id": alert.id,
            "decision_id": alert.decision_id,
            "card_id": alert.card_id,
            "cardholder_id": alert.cardholder_id,
            "transactions": [alert.decision_id],
            "answered_by": by,
        });
        match answer {
            Answer::Genuine => {
                effects
                    .events
                    .push(NewEvent::new("fraud.genuine", subject, payload));
            }
            Answer::Fraud => {
                effects
                    .events
                    .push(NewEvent::new("fraud.confirmed", subject, payload));
                if let Some(holder) = alert.cardholder_id {
                    effects.events.push(NewEvent::new(
                        "notification.requested",
                        format!("cardholder:{holder}"),
                        serde_json::json!({
                            "cardholder_id": holder,
                            "channels": ["sms", "push", "email"],
                            "template": "fraud-confirmed-next-steps",
                            "args": {"alert_id": alert.id},
                        }),
                    ));
                }
            }
        }
        self.store
            .update_fraud_alert(&resolved, alert.status, effects)
            .await?;
        let label = FraudLabel {
            label: match answer {
                Answer::Genuine => "genuine",
                Answer::Fraud => "fraud",
            }
            .to_owned(),
            source: if by.starts_with("analyst") {
                "analyst"
            } else {
                "challenge"
            }
            .to_owned(),
            at: now,
        };
        self.store
            .label_fraud_decision(record.id, &label, Effects::none())
            .await?;
        if answer == Answer::Fraud {
            self.protect_card(&record, by, now).await?;
        }
        let mut labelled = record.clone();
        labelled.label = Some(label);
        if let Some(auth) = authorization_of(&labelled) {
            let mut engine = lock(&self.engine);
            if let Some((outcome, verdict)) = outcome_of(&labelled, &auth) {
                engine.learn(&outcome, verdict);
            }
            match answer {
                Answer::Fraud => {
                    engine.set_card_status(auth.card, CardStatus::Locked);
                }
                Answer::Genuine => {
                    lock(&self.retries)
                        .insert(auth.card, (auth.merchant.id.clone(), now + RETRY_WINDOW));
                }
            }
        }
        Ok(resolved)
    }
}

impl FraudMonitor {
    /// Fraud confirmed: the card is locked at once by the card system (fraud monitoring), the
    /// held authorization is recorded as a pending transaction, and a zero-liability
    /// (unauthorized) dispute is filed for it. The case and the replacement come from
    /// `fraud.confirmed` (cases and cards integrations).
    async fn protect_card(
        &self,
        record: &FraudDecisionRecord,
        by: &str,
        now: Timestamp,
    ) -> Result<(), FraudError> {
        use cards::dispute::DisputeReason;
        use cards::transactions::{TransactionRef, TransactionStatus};
        let Some(card_id) = record
            .card_id
            .as_deref()
            .and_then(|c| c.parse::<CardId>().ok())
        else {
            return Ok(());
        };
        // `fraud.confirmed` is already committed, so the follow-up (card reported stolen, the
        // replacement) may change the card between our read and our write: read again then.
        let mut attempts = 0;
        let cardholder = loop {
            let Some(stored) = self.store.card_by_id(card_id).await? else {
                return Ok(());
            };
            let Ok(t) = stored.card.lock(cards::Actor::FraudEngine, now) else {
                break stored.card.cardholder_id; // already locked, reported or closed
            };
            match self
                .store
                .update_card(
                    &store::CardUpdate::state(&stored, t.card),
                    Effects {
                        events: crate::cards::events(&t.events),
                        audit: Vec::new(),
                    },
                )
                .await
            {
                Ok(_) => break stored.card.cardholder_id,
                Err(StoreError::Conflict { .. }) if attempts < 5 => attempts += 1,
                Err(e) => return Err(e.into()),
            }
        };
        let Some(auth) = authorization_of(record) else {
            return Ok(());
        };
        let transaction = cards::Transaction {
            reference: TransactionRef(format!("auth-{}", record.id)),
            card_id,
            at: record.at,
            amount: auth.amount,
            merchant: auth.merchant.display_name().to_owned(),
            merchant_country: auth.merchant.country,
            card_present: record.card_present,
            status: TransactionStatus::Pending,
        };
        if self
            .store
            .transaction(&transaction.reference.0)
            .await?
            .is_none()
        {
            self.store
                .insert_transactions(std::slice::from_ref(&transaction), Effects::none())
                .await?;
        }
        let filing = cards::DisputeFiling {
            reason: DisputeReason::Unauthorized,
            description: format!(
                "Not made by the cardholder: answered NO to the fraud challenge ({by})."
            ),
            amount: auth.amount,
            documents: Vec::new(),
        };
        match cards::file_dispute(
            domain::DisputeId::new(),
            cardholder,
            &transaction,
            filing,
            &cards::DisputePolicy::default(),
            now,
        ) {
            Ok((dispute, events)) => {
                self.store
                    .insert_dispute(
                        &dispute,
                        &[],
                        Effects {
                            events: crate::cards::events(&events),
                            audit: Vec::new(),
                        },
                    )
                    .await?;
            }
            Err(err) => {
                tracing::warn!(error = %err, "the zero-liability dispute could not be filed");
            }
        }
        Ok(())
    }

    /// Asks the cardholder again ("was this you?") and notes it on the alert.
    pub async fn contact_cardholder(
        &self,
        alert_id: Uuid,
        by: &str,
        mut effects: Effects,
    ) -> Result<FraudAlert, FraudError> {
        let alert = self.open_alert(alert_id).await?;
        let now = self.clock.now();
        let mut asked = alert.clone();
        asked.status = AlertStatus::Challenged;
        asked.answer_by = Some(
            now + jiff::SignedDuration::from_mins(i64::from(
                self.settings.challenge_answer_minutes,
            )),
        );
        asked.note = Some(format!("{by} asked the cardholder again"));
        if let Some(holder) = alert.cardholder_id {
            effects.events.push(NewEvent::new(
                "notification.requested",
                format!("cardholder:{holder}"),
                serde_json::json!({
                    "cardholder_id": holder,
                    "channels": ["sms", "push", "email", "voice"],
                    "template": "fraud-challenge",
                    "args": {"alert_id": alert.id},
                    "reply": "YES or NO",
                }),
            ));
        }
        self.store
            .update_fraud_alert(&asked, alert.status, effects)
            .await?;
        Ok(asked)
    }
}

fn subject_of(alert: &FraudAlert) -> String {
    match &alert.card_id {
        Some(card) => format!("card:{card}"),
        None => format!("fraud_alert:{}", alert.id),
    }
}

/// "Was this you?" through the notifications outbox (a phone call too, when a voice provider is
/// configured).
fn challenge_notification(
    holder: CardholderId,
    alert: &FraudAlert,
    input: &AuthorizationInput,
) -> NewEvent {
    NewEvent::new(
        "notification.requested",
        format!("cardholder:{holder}"),
        serde_json::json!({
            "cardholder_id": holder,
            "channels": ["sms", "push", "email", "voice"],
            "template": "fraud-challenge",
            "args": {
                "alert_id": alert.id,
                "amount": input.amount.to_string(),
                "merchant": input.merchant.name,
                "city": input.merchant.city,
                "country": input.merchant.country.to_string(),
            },
            "reply": "YES or NO",
        }),
    )
}

/// The authorization a stored decision was about.
pub(crate) fn authorization_of(record: &FraudDecisionRecord) -> Option<Authorization> {
    let card: CardId = record.card_id.as_deref()?.parse().ok()?;
    let merchant: Merchant = serde_json::from_value(record.merchant.clone()).ok()?;
    let currency = domain::Currency::parse(&record.currency).ok()?;
    Some(Authorization {
        card: CardKey::from(card),
        amount: Money {
            minor: record.amount_minor,
            currency,
        },
        merchant,
        card_present: record.card_present,
        at: record.at,
    })
}

/// The outcome of a labelled decision, with its original verdict.
fn outcome_of(record: &FraudDecisionRecord, auth: &Authorization) -> Option<(Outcome, Verdict)> {
    let label = record.label.as_ref()?;
    let verdict = match record.verdict.as_str() {
        "approve" => Verdict::Approve,
        "challenge" => Verdict::Challenge,
        _ => Verdict::Decline,
    };
    let features: Option<Features> = serde_json::from_value(record.features.clone()).ok();
    Some((
        Outcome {
            authorization: auth.clone(),
            label: if label.label == "fraud" {
                Label::Fraud
            } else {
                Label::Genuine
            },
            source: match label.source.as_str() {
                "analyst" => OutcomeSource::Analyst,
                "dispute" => OutcomeSource::Dispute,
                _ => OutcomeSource::Challenge,
            },
            known_at: label.at,
            features,
        },
        verdict,
    ))
}
