//! Benchmarks for `helpline bench intent`: single-message latency (classify + route),
//! batched throughput and model load time. Timings read the monotonic clock; nothing else in
//! this crate does.

use std::fmt;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use crate::model::{ClassifyError, IntentModel, ModelKind};
use crate::routing::{RoutingPolicy, route};
use crate::text::Query;

/// A benchmark that could not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BenchError {
    #[error("no messages to benchmark with")]
    NoMessages,
    #[error(transparent)]
    Classify(#[from] ClassifyError),
    #[error("could not record a timing: {0}")]
    Histogram(String),
}

/// Latency percentiles in microseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Latency {
    pub samples: u64,
    pub p50_us: f64,
    pub p99_us: f64,
    pub max_us: f64,
}

/// Everything `helpline bench intent` prints for one model.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchReport {
    pub model: ModelKind,
    pub load: Duration,
    pub latency: Latency,
    pub batch_size: usize,
    pub messages_per_second: f64,
}

/// Varied messages for benchmarking without the data folder: short and long, typed and
/// transcribed.
pub fn sample_queries() -> Vec<Query> {
    [
        "i lost my card in tokyo",
        "someone used my card i dont know this payment",
        "hi i want to dispute a charge",
        "How long does it take for a transfer from the UK to arrive?",
        "My card was declined at the supermarket this morning even though I have plenty of money in my account, what is going on?",
        "what is the exchange rate for euros",
        "can i top up with apple pay",
        "I need to change my address",
        "why was i charged a fee for taking out cash",
        "my pin is blocked",
        "I'm travelling next month, can I use the card in Japan and will there be extra charges for paying in yen or withdrawing cash at airports?",
        "close my account",
    ]
    .iter()
    .filter_map(|t| Query::new(t).ok())
    .collect()
}

/// Classifies and routes one message at a time, `samples` times, cycling through `queries`
/// (after one untimed pass to warm caches).
pub fn single_message_latency(
    model: &dyn IntentModel,
    queries: &[Query],
    samples: usize,
) -> Result<Latency, BenchError> {
    if queries.is_empty() {
        return Err(BenchError::NoMessages);
    }
    let policy = RoutingPolicy::default();
    for q in queries {
        model.classify(q)?;
    }
    let mut histogram =
        Histogram::<u64>::new(3).map_err(|e| BenchError::Histogram(e.to_string()))?;
    for q in queries.iter().cycle().take(samples.max(1)) {
        let start = Instant::now();
        let decision = route(&model.classify(q)?, q, &policy);
        let elapsed = start.elapsed();
        std::hint::black_box(decision);
        histogram
            .record(u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX).max(1))
            .map_err(|e| BenchError::Histogram(e.to_string()))?;
    }
    let us = |ns: u64| ns as f64 / 1000.0;
    Ok(Latency {
        samples: histogram.len(),
        p50_us: us(histogram.value_at_quantile(0.50)),
        p99_us: us(histogram.value_at_quantile(0.99)),
        max_us: us(histogram.max()),
    })
}

/// Messages per second when classifying `total` messages in batches of `batch_size`.
pub fn throughput(
    model: &dyn IntentModel,
    queries: &[Query],
    batch_size: usize,
    total: usize,
) -> Result<f64, BenchError> {
    if queries.is_empty() {
        return Err(BenchError::NoMessages);
    }
    let messages: Vec<Query> = queries.iter().cycle().take(total.max(1)).cloned().collect();
    let start = Instant::now();
    for batch in messages.chunks(batch_size.max(1)) {
        std::hint::black_box(model.classify_batch(batch)?);
    }
    Ok(messages.len() as f64 / start.elapsed().as_secs_f64())
}

/// The median time of `repeats` calls of `load` (e.g. `LexicalModel::from_bytes` on the file's
/// bytes), and the last loaded value.
pub fn load_time<T, E>(
    repeats: usize,
    mut load: impl FnMut() -> Result<T, E>,
) -> Result<(Duration, T), E> {
    let mut times = Vec::with_capacity(repeats.max(1));
    let mut loaded = None;
    for _ in 0..repeats.max(1) {
        let start = Instant::now();
        let value = load()?;
        times.push(start.elapsed());
        loaded = Some(value);
    }
    times.sort_unstable();
    let median = times[times.len() / 2];
    match loaded {
        Some(value) => Ok((median, value)),
        None => load().map(|value| (median, value)),
    }
}

impl fmt::Display for BenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "model: {}", self.model)?;
        writeln!(
            f,
            "  load time            {:.1} ms",
            self.load.as_secs_f64() * 1000.0
        )?;
        writeln!(
            f,
            "  latency (classify + route, {} messages): p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs",
            self.latency.samples, self.latency.p50_us, self.latency.p99_us, self.latency.max_us
        )?;
        write!(
            f,
            "  throughput           {:.0} messages/s (batches of {})",
            self.messages_per_second, self.batch_size
        )
    }
}
