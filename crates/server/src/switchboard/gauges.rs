//! Live routing figures as Prometheus gauges in the server's registry: per queue (department ×
//! language) and per hub: waiting, longest wait, service level, average speed of answer,
//! abandonment; per hub also agents by presence and whether the hub is open.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use routing::{Figures, FiguresSnapshot};

use crate::metrics::Metrics;

type Value = Gauge<f64, AtomicU64>;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QueueLabels {
    department: String,
    language: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HubLabels {
    hub: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PresenceLabels {
    hub: String,
    presence: String,
}

/// The five service figures for one kind of slice.
struct FigureGauges<L> {
    waiting: Family<L, Value>,
    longest_wait: Family<L, Value>,
    service_level: Family<L, Value>,
    asa: Family<L, Value>,
    abandon_rate: Family<L, Value>,
}

impl<L> FigureGauges<L>
where
    L: Clone + std::hash::Hash + Eq + EncodeLabelSet + std::fmt::Debug + Send + Sync + 'static,
{
    fn register(metrics: &Metrics, of: &str) -> Self {
        let gauges = Self {
            waiting: Family::default(),
            longest_wait: Family::default(),
            service_level: Family::default(),
            asa: Family::default(),
            abandon_rate: Family::default(),
        };
        metrics.with_registry(|r| {
            r.register(
                format!("routing_{of}_waiting"),
                format!("Contacts waiting, per {of}"),
                gauges.waiting.clone(),
            );
            r.register(
                format!("routing_{of}_longest_wait_seconds"),
                format!("How long the longest-waiting contact has waited, per {of}"),
                gauges.longest_wait.clone(),
            );
            r.register(
                format!("routing_{of}_service_level"),
                format!("Fraction of answered contacts answered within their target, per {of}"),
                gauges.service_level.clone(),
            );
            r.register(
                format!("routing_{of}_asa_seconds"),
                format!("Average speed of answer, per {of}"),
                gauges.asa.clone(),
            );
            r.register(
                format!("routing_{of}_abandon_rate"),
                format!("Fraction of contacts abandoned before an answer, per {of}"),
                gauges.abandon_rate.clone(),
            );
        });
        gauges
    }

    fn clear(&self) {
        for family in [
            &self.waiting,
            &self.longest_wait,
            &self.service_level,
            &self.asa,
            &self.abandon_rate,
        ] {
            family.clear();
        }
    }

    /// Sets the figures of one slice; figures without data (no answer yet) are left out.
    fn show(&self, labels: &L, f: &Figures) {
        self.waiting.get_or_create(labels).set(f.waiting as f64);
        self.longest_wait
            .get_or_create(labels)
            .set(f.longest_wait_secs);
        for (family, value) in [
            (&self.service_level, f.service_level),
            (&self.asa, f.asa_secs),
            (&self.abandon_rate, f.abandon_rate),
        ] {
            if let Some(value) = value {
                family.get_or_create(labels).set(value);
            }
        }
    }
}

pub struct RoutingGauges {
    metrics: Arc<Metrics>,
    queues: FigureGauges<QueueLabels>,
    hubs: FigureGauges<HubLabels>,
    hub_open: Family<HubLabels, Value>,
    agents: Family<PresenceLabels, Value>,
}

impl RoutingGauges {
    pub fn register(metrics: Arc<Metrics>) -> Self {
        let queues = FigureGauges::register(&metrics, "queue");
        let hubs = FigureGauges::register(&metrics, "hub");
        let hub_open = Family::<HubLabels, Value>::default();
        let agents = Family::<PresenceLabels, Value>::default();
        metrics.with_registry(|r| {
            r.register(
                "routing_hub_open",
                "1 while the hub is within its business hours",
                hub_open.clone(),
            );
            r.register(
                "routing_hub_agents",
                "Agents per hub and presence",
                agents.clone(),
            );
        });
        Self {
            metrics,
            queues,
            hubs,
            hub_open,
            agents,
        }
    }

    /// Replaces every routing gauge with `figures`; a scrape sees either the old set or the new.
    pub fn show(&self, figures: &FiguresSnapshot) {
        self.metrics.with_registry(|_| {
            self.queues.clear();
            self.hubs.clear();
            self.hub_open.clear();
            self.agents.clear();
            for q in &figures.queues {
                let labels = QueueLabels {
                    department: q.department.to_string(),
                    language: q.lang.code().to_owned(),
                };
                self.queues.show(&labels, &q.figures);
            }
            for h in &figures.hubs {
                let labels = HubLabels {
                    hub: h.hub.to_string(),
                };
                self.hubs.show(&labels, &h.figures);
                self.hub_open
                    .get_or_create(&labels)
                    .set(if h.open { 1.0 } else { 0.0 });
                for (presence, count) in &h.agents {
                    let labels = PresenceLabels {
                        hub: h.hub.to_string(),
                        presence: presence.as_str().to_owned(),
                    };
                    self.agents.get_or_create(&labels).set(f64::from(*count));
                }
            }
        });
    }
}
