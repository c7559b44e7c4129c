//! Figures for `helpline bench ivr`: the pure part of a webhook step, measured on many
//! interleaved calls of the demo flow.

use std::time::{Duration, Instant};

use domain::{Tier, Timestamp};

use crate::call::NewCall;
use crate::interpreter::CallState;
use crate::problem::Problem;
use crate::sim::{DemoBank, drive};
use crate::twiml::{RequestSigner, TwimlError, TwimlOptions, Webhook, WebhookError, render};

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("the demo flow does not load ({} problems)", .0.len())]
    Flow(Vec<Problem>),
    #[error("a call state did not round-trip through JSON: {0}")]
    State(#[from] serde_json::Error),
    #[error(transparent)]
    Twiml(#[from] TwimlError),
    #[error(transparent)]
    Webhook(#[from] WebhookError),
    #[error("a signed request failed verification")]
    Signature,
}

/// Latency of one step: read the stored state, check the signature, parse the webhook, run
/// the interpreter and its effects (against [`DemoBank`]), render TwiML, store the state.
#[derive(Debug, Clone, PartialEq)]
pub struct StepLatency {
    pub calls: usize,
    pub steps: usize,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
    /// On one thread.
    pub steps_per_second: f64,
    /// Mean size of a stored call state (JSON).
    pub state_bytes: usize,
}

/// Monday 2 March 2026, 10:00 in New York: every team of the demo is open.
const NOW: Timestamp = Timestamp::constant(1_772_463_600, 0);

/// What each caller keys after the greeting; `None` is the answer the question wants.
const SCRIPTS: [&[Option<&str>]; 4] = [
    &[
        Some("1"),
        Some("1"),
        None,
        None,
        Some("2"),
        Some("1"),
        Some("1"),
    ],
    &[Some("1"), Some("3"), None, None, Some("2")],
    &[Some("2"), Some("5"), None, None, Some("1"), Some("1")],
    &[Some("1"), Some("6"), None, None, Some("1")],
];

const URL: &str = "https://helpline.example/telephony/twiml/voice/action";

/// Runs `calls` demo calls interleaved step by step, as that many concurrent callers would.
pub fn step_latency(calls: usize) -> Result<StepLatency, BenchError> {
    let flow = crate::demo::flow().map_err(BenchError::Flow)?;
    let signer = RequestSigner::new("bench-token").map_err(|_| BenchError::Signature)?;
    let options = TwimlOptions {
        action_url: URL,
        audio_base_url: None,
        enqueue_wait_url: None,
    };
    let mut bank = DemoBank::new(Tier::Gold, jiff::civil::date(2026, 3, 2));
    let mut stored: Vec<String> = Vec::with_capacity(calls);
    let mut timings = Vec::new();
    let mut state_bytes = 0;

    for i in 0..calls {
        let step = Instant::now();
        let (mut state, output) = flow.start(
            NewCall {
                call_id: format!("CA{i:032}"),
                from: "+12125550100".into(),
                to: "+18005550199".into(),
            },
            NOW,
        );
        let reply = drive(&flow, &mut state, output, NOW, |e| bank.perform(e));
        std::hint::black_box(render(&reply, &options)?);
        stored.push(serde_json::to_string(&state)?);
        timings.push(step.elapsed());
    }

    let rounds = SCRIPTS.iter().map(|s| s.len()).max().unwrap_or_default();
    for round in 0..rounds {
        for (i, saved) in stored.iter_mut().enumerate() {
            let Some(&keys) = SCRIPTS[i % SCRIPTS.len()].get(round) else {
                continue;
            };
            // The provider's request, built and signed outside the timed part.
            let before: CallState = serde_json::from_str(saved)?;
            let digits = keys.map_or_else(|| bank.answer(&before), str::to_owned);
            let params = vec![
                ("CallSid".to_owned(), before.context().call_id.clone()),
                ("Digits".to_owned(), digits),
                ("From".to_owned(), "+12125550100".to_owned()),
                ("To".to_owned(), "+18005550199".to_owned()),
            ];
            let signature = signer.sign(URL, &params);

            let step = Instant::now();
            let mut state: CallState = serde_json::from_str(saved)?;
            if !signer.verify(URL, &params, &signature) {
                return Err(BenchError::Signature);
            }
            let event = Webhook::parse(&params)?.event();
            let output = flow.handle(&mut state, event, NOW);
            let reply = drive(&flow, &mut state, output, NOW, |e| bank.perform(e));
            std::hint::black_box(render(&reply, &options)?);
            *saved = serde_json::to_string(&state)?;
            timings.push(step.elapsed());
            state_bytes += saved.len();
        }
    }

    timings.sort_unstable();
    let steps = timings.len();
    let quantile = |q: f64| {
        let index = ((steps.saturating_sub(1)) as f64 * q).round() as usize;
        timings.get(index).copied().unwrap_or_default()
    };
    let measured: Duration = timings.iter().sum();
    Ok(StepLatency {
        calls,
        steps,
        p50: quantile(0.50),
        p99: quantile(0.99),
        max: timings.last().copied().unwrap_or_default(),
        steps_per_second: steps as f64 / measured.as_secs_f64().max(f64::EPSILON),
        state_bytes: state_bytes / steps.saturating_sub(calls).max(1),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_benchmark_runs_every_script_to_its_end() {
        let figures = super::step_latency(8).unwrap();
        assert_eq!(figures.calls, 8);
        // Greetings plus every scripted step.
        assert_eq!(figures.steps, 8 + 2 * (7 + 5 + 6 + 5));
        assert!(figures.p50 <= figures.p99 && figures.p99 <= figures.max);
    }
}
