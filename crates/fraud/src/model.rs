//! The learned part of the score: an additive model over binned features (boosted per-feature
//! Newton steps, i.e. gradient-boosted stumps on histogram bins). Each feature adds the value of
//! its bin, so every score splits into per-feature contributions that can be shown as reasons.
//!
//! It is trained on outcomes already known to the engine, with the configured rules' log-odds as
//! the starting point, so the rules stay the analyst's prior and the model learns the correction.

use std::collections::VecDeque;

use crate::config::{Config, MAX_BINS};
use crate::features::{Features, N_FEATURES};
use crate::profile::DAY;
use crate::rules;

/// One labelled feature vector.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Example {
    features: Features,
    fraud: bool,
    weight: f32,
    /// Transaction time.
    at: u32,
}

/// Outcomes kept for training: every fraud, one genuine outcome in `genuine_sample_every`.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TrainingSet {
    examples: VecDeque<Example>,
    genuine_seen: u64,
}

impl TrainingSet {
    pub(crate) fn add(&mut self, features: Features, fraud: bool, at: u32, config: &Config) {
        let every = config.model.genuine_sample_every;
        let weight = if fraud {
            1.0
        } else {
            self.genuine_seen += 1;
            if !self.genuine_seen.is_multiple_of(u64::from(every)) {
                return;
            }
            every as f32
        };
        self.examples.push_back(Example {
            features,
            fraud,
            weight,
            at,
        });
        while self.examples.len() > config.model.max_examples {
            self.examples.pop_front();
        }
    }

    pub fn len(&self) -> usize {
        self.examples.len()
    }

    /// Forgets outcomes of transactions older than the window.
    pub(crate) fn forget_before(&mut self, at: u32) {
        self.examples.retain(|e| e.at >= at);
    }
}

/// Bin edges of one feature: bin 0 = missing, bin i = values in [edges[i-2], edges[i-1]).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Bins {
    edges: Vec<f32>,
}

impl Bins {
    fn of(&self, value: f32) -> usize {
        if value.is_nan() {
            0
        } else {
            1 + self.edges.partition_point(|&e| e <= value)
        }
    }

    fn count(&self) -> usize {
        self.edges.len() + 2
    }
}

/// What a training run saw.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ModelSummary {
    /// Training time (seconds since the epoch).
    pub trained_at: u32,
    pub examples: usize,
    pub frauds: usize,
    /// Weighted mean log-loss on the training outcomes (lower is better).
    pub log_loss: f64,
}

/// Bins per feature in the scoring layout, and values per feature table.
const STRIDE: usize = MAX_BINS;
const TABLE_STRIDE: usize = MAX_BINS + 2;

/// A trained model. Scoring uses flat, padded arrays (a branch-free search per feature); it is
/// stored as plain per-feature lists.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(into = "StoredModel", try_from = "StoredModel")]
pub struct Model {
    /// Per feature, `STRIDE` sorted edges padded with +∞.
    edges: Vec<[f32; STRIDE]>,
    /// Per feature, `TABLE_STRIDE` log-odds, one per bin.
    tables: Vec<[f32; TABLE_STRIDE]>,
    bias: f32,
    stored: StoredModel,
}

/// The persisted form of a model.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StoredModel {
    bins: Vec<Bins>,
    tables: Vec<Vec<f32>>,
    bias: f32,
    summary: ModelSummary,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a stored model does not fit this engine ({0}); retrain it")]
pub struct BadModel(&'static str);

impl From<Model> for StoredModel {
    fn from(model: Model) -> Self {
        model.stored
    }
}

impl TryFrom<StoredModel> for Model {
    type Error = BadModel;
    fn try_from(stored: StoredModel) -> Result<Self, Self::Error> {
        if stored.bins.len() != N_FEATURES || stored.tables.len() != N_FEATURES {
            return Err(BadModel("wrong number of features"));
        }
        let mut edges = vec![[f32::INFINITY; STRIDE]; N_FEATURES];
        let mut tables = vec![[0.0; TABLE_STRIDE]; N_FEATURES];
        for (j, (bins, table)) in stored.bins.iter().zip(&stored.tables).enumerate() {
            let sorted = bins.edges.windows(2).all(|w| w[0] < w[1]);
            if bins.edges.len() >= STRIDE || table.len() != bins.count() || !sorted {
                return Err(BadModel("bins and table do not match"));
            }
            edges[j][..bins.edges.len()].copy_from_slice(&bins.edges);
            tables[j][..table.len()].copy_from_slice(table);
        }
        Ok(Model {
            edges,
            tables,
            bias: stored.bias,
            stored,
        })
    }
}

/// Number of edges ≤ `value` in 31 sorted, +∞-padded edges, without branches (the comparisons
/// are unpredictable; a mispredicted branch costs more than the arithmetic). The index never
/// exceeds 30, so masking it only spares the bounds checks.
fn count_at_most(edges: &[f32; STRIDE], value: f32) -> usize {
    let mut i = 0;
    for step in [16, 8, 4, 2, 1] {
        i += step * usize::from(edges[(i + step - 1) % STRIDE] <= value);
    }
    i
}

impl Model {
    /// The model's log-odds (without the rules' points) and each feature's contribution,
    /// relative to the average case.
    pub(crate) fn score(&self, f: &Features) -> (f32, [f32; N_FEATURES]) {
        let mut contributions = [0.0; N_FEATURES];
        let mut sum = self.bias;
        for (j, ((&value, edges), table)) in f
            .values()
            .iter()
            .zip(&self.edges)
            .zip(&self.tables)
            .enumerate()
        {
            // Bin 0 holds missing values.
            let bin = (1 + count_at_most(edges, value)) * usize::from(!value.is_nan());
            let c = table[bin.min(TABLE_STRIDE - 1)];
            contributions[j] = c;
            sum += c;
        }
        (sum, contributions)
    }

    pub fn summary(&self) -> &ModelSummary {
        &self.stored.summary
    }

    /// Trains on the kept outcomes; `None` while there are too few confirmed frauds.
    pub(crate) fn train(set: &TrainingSet, config: &Config, now: u32) -> Option<Model> {
        let m = &config.model;
        let examples: Vec<&Example> = set.examples.iter().collect();
        let frauds = examples.iter().filter(|e| e.fraud).count();
        if frauds < m.min_frauds as usize || frauds == examples.len() {
            return None;
        }
        let bins: Vec<Bins> = (0..N_FEATURES)
            .map(|j| quantile_bins(&examples, j, m.bins.min(MAX_BINS)))
            .collect();
        let binned: Vec<[u8; N_FEATURES]> = examples
            .iter()
            .map(|e| {
                let mut row = [0u8; N_FEATURES];
                for (j, slot) in row.iter_mut().enumerate() {
                    *slot = bins[j].of(e.features.values()[j]) as u8;
                }
                row
            })
            .collect();
        let offsets: Vec<f32> = examples
            .iter()
            .map(|e| rules::points(&e.features, config))
            .collect();
        let labels: Vec<f32> = examples
            .iter()
            .map(|e| f32::from(u8::from(e.fraud)))
            .collect();
        let weights: Vec<f32> = examples.iter().map(|e| e.weight).collect();

        let total_weight: f32 = weights.iter().sum();
        let fraud_weight: f32 = weights.iter().zip(&labels).map(|(w, y)| w * y).sum();
        let base_rate = (fraud_weight / total_weight).clamp(1e-6, 1.0 - 1e-6);
        let mean_offset = offsets
            .iter()
            .zip(&weights)
            .map(|(o, w)| o * w)
            .sum::<f32>()
            / total_weight;
        let mut bias = (base_rate / (1.0 - base_rate)).ln() - mean_offset;
        let mut margins: Vec<f32> = offsets.iter().map(|o| o + bias).collect();
        let mut tables: Vec<Vec<f32>> = bins.iter().map(|b| vec![0.0; b.count()]).collect();

        let newton = |margins: &[f32], bin_of: &dyn Fn(usize) -> usize, n_bins: usize| {
            let mut grad = vec![0.0f64; n_bins];
            let mut hess = vec![0.0f64; n_bins];
            for (i, margin) in margins.iter().enumerate() {
                let p = sigmoid(*margin);
                let b = bin_of(i);
                grad[b] += f64::from(weights[i] * (p - labels[i]));
                hess[b] += f64::from(weights[i] * p * (1.0 - p));
            }
            grad.iter()
                .zip(&hess)
                .map(|(g, h)| (-m.learning_rate as f64 * g / (h + m.l2 as f64)) as f32)
                .collect::<Vec<f32>>()
        };
        for _ in 0..m.rounds {
            let step = newton(&margins, &|_| 0, 1)[0];
            bias += step;
            margins.iter_mut().for_each(|x| *x += step);
            for j in 0..N_FEATURES {
                let steps = newton(&margins, &|i| usize::from(binned[i][j]), tables[j].len());
                for (value, step) in tables[j].iter_mut().zip(&steps) {
                    *value += step;
                }
                for (margin, row) in margins.iter_mut().zip(&binned) {
                    *margin += steps[usize::from(row[j])];
                }
            }
        }
        // Centre every table on the average case so contributions read as "above usual".
        for (j, table) in tables.iter_mut().enumerate() {
            let mean = binned
                .iter()
                .zip(&weights)
                .map(|(row, w)| table[usize::from(row[j])] * w)
                .sum::<f32>()
                / total_weight;
            table.iter_mut().for_each(|v| *v -= mean);
            bias += mean;
        }
        let log_loss = margins
            .iter()
            .zip(&labels)
            .zip(&weights)
            .map(|((margin, y), w)| {
                let p = f64::from(sigmoid(*margin)).clamp(1e-12, 1.0 - 1e-12);
                -f64::from(*w) * (f64::from(*y) * p.ln() + (1.0 - f64::from(*y)) * (1.0 - p).ln())
            })
            .sum::<f64>()
            / f64::from(total_weight);
        Model::try_from(StoredModel {
            bins,
            tables,
            bias,
            summary: ModelSummary {
                trained_at: now,
                examples: examples.len(),
                frauds,
                log_loss,
            },
        })
        .ok()
    }
}

pub(crate) fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// Edges at quantiles of a feature, frauds and genuine outcomes weighing half each, so that the
/// rare fraud values get bins of their own.
fn quantile_bins(examples: &[&Example], feature: usize, bins: usize) -> Bins {
    let fraud_total: f32 = examples.iter().filter(|e| e.fraud).map(|e| e.weight).sum();
    let genuine_total: f32 = examples.iter().filter(|e| !e.fraud).map(|e| e.weight).sum();
    let mut values: Vec<(f32, f32)> = examples
        .iter()
        .filter_map(|e| {
            let v = e.features.values()[feature];
            let share = if e.fraud { fraud_total } else { genuine_total };
            (!v.is_nan()).then_some((v, e.weight / share.max(1e-9)))
        })
        .collect();
    values.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f32 = values.iter().map(|v| v.1).sum();
    let mut edges: Vec<f32> = Vec::with_capacity(bins);
    let mut acc = 0.0;
    let mut next = 1;
    for window in values.windows(2) {
        acc += window[0].1;
        // Edges only between distinct values, half-way, once a quantile has been passed.
        if window[0].0 < window[1].0 && next < bins && acc >= total * next as f32 / bins as f32 {
            edges.push(0.5 * (window[0].0 + window[1].0));
            while next < bins && acc >= total * next as f32 / bins as f32 {
                next += 1;
            }
        }
    }
    Bins { edges }
}

/// Days as seconds, for the training window.
pub(crate) fn days_to_secs(days: f64) -> u32 {
    (days * f64::from(DAY)).clamp(0.0, f64::from(u32::MAX)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::Feature;

    fn example(amount: f32) -> Features {
        let mut f = Features::missing();
        f.set(Feature::AmountLog, amount);
        f.set(Feature::CardPresent, 1.0);
        f
    }

    #[test]
    fn learns_a_threshold_from_examples() {
        let mut config = Config::default_rules().unwrap();
        config.model.min_frauds = 10;
        config.model.genuine_sample_every = 1;
        let mut set = TrainingSet::default();
        for i in 0..2000u32 {
            let amount = (i % 100) as f32 / 10.0;
            let fraud = amount > 8.0 && i % 3 != 0;
            set.add(example(amount), fraud, 1000 + i, &config);
        }
        let model = Model::train(&set, &config, 5000).unwrap();
        let (high, contributions) = model.score(&example(9.0));
        let (low, _) = model.score(&example(2.0));
        assert!(high > low + 3.0, "{high} {low}");
        assert!(model.summary().log_loss < 0.3, "{:?}", model.summary());
        let top = contributions
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .unwrap()
            .0;
        assert_eq!(top, Feature::AmountLog as usize);
        let json = serde_json::to_string(&model).unwrap();
        let back: Model = serde_json::from_str(&json).unwrap();
        assert_eq!(back.score(&example(9.0)).0, high);
    }

    #[test]
    fn branch_free_search_counts_edges() {
        let mut edges = [f32::INFINITY; STRIDE];
        edges[..5].copy_from_slice(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        for (value, expected) in [(0.5, 0), (1.0, 1), (2.5, 2), (5.0, 5), (1e9, 5)] {
            assert_eq!(count_at_most(&edges, value), expected, "{value}");
        }
        let full: [f32; STRIDE] =
            std::array::from_fn(|i| if i < 31 { i as f32 } else { f32::INFINITY });
        assert_eq!(count_at_most(&full, 100.0), 31);
        assert_eq!(count_at_most(&full, 17.5), 18);
    }

    #[test]
    fn does_not_train_without_enough_frauds() {
        let config = Config::default_rules().unwrap();
        let mut set = TrainingSet::default();
        for i in 0..100 {
            set.add(example(1.0), i < 5, 1000, &config);
        }
        assert!(Model::train(&set, &config, 2000).is_none());
    }

    #[test]
    fn bins_separate_distinct_values() {
        let mut config = Config::default_rules().unwrap();
        config.model.genuine_sample_every = 1;
        let mut set = TrainingSet::default();
        for i in 0..1000u32 {
            set.add(example((i % 4) as f32), i % 2 == 0, 1, &config);
        }
        let refs: Vec<&Example> = set.examples.iter().collect();
        let bins = quantile_bins(&refs, Feature::AmountLog as usize, 32);
        assert_eq!(bins.edges, vec![0.5, 1.5, 2.5]);
        assert_eq!(bins.of(f32::NAN), 0);
        assert_eq!(bins.of(0.0), 1);
        assert_eq!(bins.of(3.0), 4);
    }
}
