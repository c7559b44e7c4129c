//! Turning per-intent scores into calibrated probabilities.
//!
//! `p = (1 − ε)·softmax(s / T) + ε / K`: the temperature `T` fixes over- or under-confidence of
//! the scores, and the floor `ε` accounts for label noise (BANKING77 has mislabelled examples, so
//! even a model that is sure is wrong now and then). Both are fitted by minimising the negative
//! log-likelihood of held-out scores.

use crate::codec::{ModelFileError, Reader, Writer};

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Calibrator {
    temperature: f32,
    floor: f32,
}

impl Calibrator {
    pub(crate) fn fit(scores: &[Vec<f32>], gold: &[usize]) -> Self {
        let classes = scores.first().map_or(1, Vec::len).max(1) as f64;
        let nll = |log_t: f64, floor: f64| -> f64 {
            let t = log_t.exp();
            scores
                .iter()
                .zip(gold)
                .map(|(s, &g)| {
                    let peak = s
                        .iter()
                        .fold(f64::NEG_INFINITY, |m, v| m.max(f64::from(*v)));
                    let total: f64 = s.iter().map(|v| ((f64::from(*v) - peak) / t).exp()).sum();
                    let p = ((f64::from(s[g]) - peak) / t).exp() / total;
                    -((1.0 - floor) * p + floor / classes).ln()
                })
                .sum()
        };
        // The NLL is unimodal in each parameter; a few alternating line searches converge.
        let (mut log_t, mut floor) = (0.0, 0.0);
        for _ in 0..3 {
            log_t = golden_minimum(1e-3f64.ln(), 1e2f64.ln(), |x| nll(x, floor));
            floor = golden_minimum(0.0, 0.2, |x| nll(log_t, x));
        }
        Self {
            temperature: log_t.exp() as f32,
            floor: floor as f32,
        }
    }

    pub(crate) fn probabilities(&self, scores: &[f32]) -> Vec<f32> {
        let peak = scores.iter().fold(f32::NEG_INFINITY, |m, s| m.max(*s));
        let exps: Vec<f32> = scores
            .iter()
            .map(|s| ((s - peak) / self.temperature).exp())
            .collect();
        let total: f32 = exps.iter().sum();
        let uniform = self.floor / scores.len().max(1) as f32;
        exps.iter()
            .map(|e| (1.0 - self.floor) * e / total + uniform)
            .collect()
    }

    pub(crate) fn write(&self, w: &mut Writer) {
        w.f32(self.temperature);
        w.f32(self.floor);
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, ModelFileError> {
        let temperature = r.f32()?;
        let floor = r.f32()?;
        if !(temperature.is_finite() && temperature > 0.0 && (0.0..1.0).contains(&floor)) {
            return Err(ModelFileError::Malformed(
                "calibration parameters out of range".into(),
            ));
        }
        Ok(Self { temperature, floor })
    }
}

/// The minimum of a unimodal function on `[lo, hi]` by golden-section search.
fn golden_minimum(mut lo: f64, mut hi: f64, f: impl Fn(f64) -> f64) -> f64 {
    let ratio = (5f64.sqrt() - 1.0) / 2.0;
    let mut a = hi - ratio * (hi - lo);
    let mut b = lo + ratio * (hi - lo);
    let (mut fa, mut fb) = (f(a), f(b));
    for _ in 0..40 {
        if fa < fb {
            hi = b;
            b = a;
            fb = fa;
            a = hi - ratio * (hi - lo);
            fa = f(a);
        } else {
            lo = a;
            a = b;
            fa = fb;
            b = lo + ratio * (hi - lo);
            fb = f(b);
        }
    }
    (lo + hi) / 2.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sharpens_scores_that_are_always_right() {
        let scores: Vec<Vec<f32>> = (0..50)
            .map(|i| {
                if i % 2 == 0 {
                    vec![0.2, 0.0]
                } else {
                    vec![0.0, 0.2]
                }
            })
            .collect();
        let gold: Vec<usize> = (0..50).map(|i| i % 2).collect();
        let c = Calibrator::fit(&scores, &gold);
        let p = c.probabilities(&scores[0]);
        assert!(p[0] > 0.98, "{c:?}");
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5);
    }

    #[test]
    fn learns_a_floor_when_sure_answers_are_sometimes_wrong() {
        // Large margins, but one in ten labels disagrees.
        let scores: Vec<Vec<f32>> = (0..100)
            .map(|i| {
                if i % 2 == 0 {
                    vec![5.0, 0.0]
                } else {
                    vec![0.0, 5.0]
                }
            })
            .collect();
        let gold: Vec<usize> = (0..100)
            .map(|i| if i % 10 == 0 { 1 - i % 2 } else { i % 2 })
            .collect();
        let c = Calibrator::fit(&scores, &gold);
        let top = c.probabilities(&scores[0])[0];
        assert!((top - 0.9).abs() < 0.02, "{c:?} gives {top}");
    }

    #[test]
    fn golden_section_finds_a_parabola_minimum() {
        assert!((golden_minimum(-5.0, 5.0, |x| (x - 1.5) * (x - 1.5)) - 1.5).abs() < 1e-6);
    }
}
