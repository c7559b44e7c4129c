//! Delivers outbox events to in-process handlers, at least once, in order per claim batch.
//! Handlers must be idempotent by event id (the notifications sender records what it sent).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use domain::Clock;
use jiff::SignedDuration;
use store::{OutboxEvent, Store};
use tokio_util::sync::CancellationToken;

use crate::metrics::{Metrics, TopicLabels};

#[async_trait]
pub trait EventHandler: Send + Sync {
    fn name(&self) -> &'static str;
    fn wants(&self, topic: &str) -> bool;
    async fn handle(&self, event: &OutboxEvent) -> anyhow::Result<()>;
}

pub struct Dispatcher {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub handlers: Vec<Arc<dyn EventHandler>>,
    pub metrics: Arc<Metrics>,
    /// Also wake up this often, for retries and other nodes' events.
    pub poll: Duration,
}

/// How long a claimed batch is ours before another dispatcher may take it.
const LEASE: SignedDuration = SignedDuration::from_secs(60);
const BATCH: u32 = 200;

impl Dispatcher {
    /// Runs until `shutdown`; the batch in hand is finished first.
    pub async fn run(self, shutdown: CancellationToken) {
        let signal = self.store.outbox_signal();
        loop {
            let worked = match self.dispatch_once().await {
                Ok(n) => n > 0,
                Err(err) => {
                    tracing::warn!(error = %err, "outbox dispatch failed; will retry");
                    false
                }
            };
            if let Ok(n) = self.store.undelivered_event_count().await {
                self.metrics
                    .outbox_undelivered
                    .set(i64::try_from(n).unwrap_or(i64::MAX));
            }
            if worked {
                continue;
            }
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = signal.notified() => {}
                () = tokio::time::sleep(self.poll) => {}
            }
        }
    }

    /// Claims and handles one batch; returns how many events it took.
    pub async fn dispatch_once(&self) -> anyhow::Result<usize> {
        let now = self.clock.now();
        let events = self.store.claim_due_events(now, LEASE, BATCH).await?;
        for event in &events {
            let mut failure = None;
            for handler in self.handlers.iter().filter(|h| h.wants(&event.topic)) {
                if let Err(err) = handler.handle(event).await {
                    failure = Some(format!("{}: {err:#}", handler.name()));
                    break;
                }
            }
            let outcome = match failure {
                None => {
                    self.store
                        .mark_event_delivered(event.id, self.clock.now())
                        .await?;
                    "delivered"
                }
                Some(error) => {
                    let retry_at = self.clock.now() + backoff(event.attempts);
                    tracing::warn!(event = event.id, topic = %event.topic, %error, "event handler failed; retrying later");
                    self.store
                        .mark_event_failed(event.id, &error, retry_at)
                        .await?;
                    "failed"
                }
            };
            self.metrics
                .events_dispatched
                .get_or_create(&TopicLabels {
                    topic: event.topic.clone(),
                    outcome: outcome.to_owned(),
                })
                .inc();
        }
        Ok(events.len())
    }
}

/// 1 s, 2 s, 4 s … up to an hour between attempts.
fn backoff(attempts: i64) -> SignedDuration {
    let exponent = u32::try_from(attempts.clamp(0, 12)).unwrap_or(12);
    SignedDuration::from_secs((1i64 << exponent).min(3600))
}

/// Logs every event: the default handler until a real one subscribes.
pub struct LogHandler;

#[async_trait]
impl EventHandler for LogHandler {
    fn name(&self) -> &'static str {
        "log"
    }

    fn wants(&self, _topic: &str) -> bool {
        true
    }

    async fn handle(&self, event: &OutboxEvent) -> anyhow::Result<()> {
        tracing::debug!(event = event.id, topic = %event.topic, subject = %event.subject, "event");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(backoff(0), SignedDuration::from_secs(1));
        assert_eq!(backoff(3), SignedDuration::from_secs(8));
        assert_eq!(backoff(100), SignedDuration::from_secs(3600));
    }
}
