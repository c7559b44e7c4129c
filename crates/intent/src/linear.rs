//! One-vs-rest linear SVMs (L2-regularised squared hinge, solved in the dual by coordinate
//! descent with shrinking, after Hsieh et al. 2008) and their 8-bit weights.

use crate::codec::{ModelFileError, Reader, Writer};
use crate::features::SparseVector;
use crate::rng::SplitMix64;

/// Rows of a sparse design matrix.
#[derive(Debug, Default)]
pub(crate) struct SparseRows {
    offsets: Vec<usize>,
    entries: Vec<(u32, f32)>,
}

impl SparseRows {
    pub(crate) fn from_vectors(rows: impl IntoIterator<Item = SparseVector>) -> Self {
        let mut out = Self {
            offsets: vec![0],
            entries: Vec::new(),
        };
        for row in rows {
            out.entries.extend(row);
            out.offsets.push(out.entries.len());
        }
        out
    }

    pub(crate) fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    pub(crate) fn row(&self, i: usize) -> &[(u32, f32)] {
        &self.entries[self.offsets[i]..self.offsets[i + 1]]
    }
}

/// Solver settings.
#[derive(Debug, Clone, PartialEq)]
pub struct SvmConfig {
    /// Inverse regularisation strength.
    pub c: f64,
    /// Stop when the projected-gradient spread falls below this (liblinear's default 0.1).
    pub tolerance: f64,
    pub max_epochs: usize,
}

impl Default for SvmConfig {
    fn default() -> Self {
        Self {
            c: 1.0,
            tolerance: 0.1,
            max_epochs: 1000,
        }
    }
}

/// Trains one binary SVM per class; returns per-class weights (the last entry is the bias).
/// Each class shuffles with its own stream, so results do not depend on the order classes run in.
pub(crate) fn train_one_vs_rest(
    x: &SparseRows,
    features: usize,
    gold: &[usize],
    classes: usize,
    config: &SvmConfig,
    seed: u64,
    mut progress: impl FnMut(usize),
) -> Vec<Vec<f64>> {
    let squared_norms: Vec<f64> = (0..x.len())
        .map(|i| {
            1.0 + x
                .row(i)
                .iter()
                .map(|(_, v)| f64::from(*v).powi(2))
                .sum::<f64>()
        })
        .collect();
    (0..classes)
        .map(|class| {
            let signs: Vec<f64> = gold
                .iter()
                .map(|&g| if g == class { 1.0 } else { -1.0 })
                .collect();
            let mut rng = SplitMix64::derive(seed, class as u64);
            let w = solve_binary(x, features, &signs, &squared_norms, config, &mut rng);
            progress(class + 1);
            w
        })
        .collect()
}

/// Dual coordinate descent for min ½‖w‖² + C Σ max(0, 1 − yᵢ w·xᵢ)², bias as a constant feature.
fn solve_binary(
    x: &SparseRows,
    features: usize,
    signs: &[f64],
    squared_norms: &[f64],
    config: &SvmConfig,
    rng: &mut SplitMix64,
) -> Vec<f64> {
    let n = x.len();
    let diagonal = 0.5 / config.c;
    let mut w = vec![0.0f64; features + 1];
    let mut alpha = vec![0.0f64; n];
    let mut order: Vec<usize> = (0..n).collect();
    let mut active = n;
    // Squared hinge has no upper bound on alpha, so only the lower-bound shrinking test applies.
    let mut gradient_max_old = f64::INFINITY;
    for _ in 0..config.max_epochs {
        let mut gradient_max = f64::NEG_INFINITY;
        let mut gradient_min = f64::INFINITY;
        rng.shuffle(&mut order[..active]);
        let mut s = 0;
        while s < active {
            let i = order[s];
            let row = x.row(i);
            let margin = w[features]
                + row
                    .iter()
                    .map(|&(f, v)| w[f as usize] * f64::from(v))
                    .sum::<f64>();
            let g = signs[i] * margin - 1.0 + diagonal * alpha[i];
            let mut projected = g;
            if alpha[i] == 0.0 {
                if g > gradient_max_old {
                    // Shrink: this example is far outside the margin and will stay at zero.
                    active -= 1;
                    order.swap(s, active);
                    continue;
                }
                projected = g.min(0.0);
            }
            gradient_max = gradient_max.max(projected);
            gradient_min = gradient_min.min(projected);
            if projected.abs() > 1e-12 {
                let old = alpha[i];
                alpha[i] = (old - g / (squared_norms[i] + diagonal)).max(0.0);
                let step = (alpha[i] - old) * signs[i];
                for &(f, v) in row {
                    w[f as usize] += step * f64::from(v);
                }
                w[features] += step;
            }
            s += 1;
        }
        if gradient_max - gradient_min <= config.tolerance {
            if active == n {
                break;
            }
            // Converged on the active set: check once more on everything.
            active = n;
            gradient_max_old = f64::INFINITY;
            continue;
        }
        gradient_max_old = if gradient_max <= 0.0 {
            f64::INFINITY
        } else {
            gradient_max
        };
    }
    w
}

/// Per-class linear scores with 8-bit weights stored feature-major (one row of `classes` weights
/// per feature), so scoring a message touches only the rows of its features.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct QuantisedLinear {
    classes: usize,
    scales: Vec<f32>,
    biases: Vec<f32>,
    weights: Vec<i8>,
}

impl QuantisedLinear {
    /// Quantises per-class weights (bias last) to 8 bits with one scale per class.
    pub(crate) fn quantise(per_class: &[Vec<f64>]) -> Self {
        let classes = per_class.len();
        let features = per_class.first().map_or(0, |w| w.len().saturating_sub(1));
        let scales: Vec<f32> = per_class
            .iter()
            .map(|w| {
                let peak = w[..features].iter().fold(0.0f64, |m, v| m.max(v.abs()));
                if peak > 0.0 {
                    (peak / 127.0) as f32
                } else {
                    1.0
                }
            })
            .collect();
        let mut weights = vec![0i8; features * classes];
        for (class, w) in per_class.iter().enumerate() {
            let scale = f64::from(scales[class]);
            for (feature, value) in w[..features].iter().enumerate() {
                weights[feature * classes + class] =
                    (value / scale).round().clamp(-127.0, 127.0) as i8;
            }
        }
        Self {
            classes,
            scales,
            biases: per_class.iter().map(|w| w[features] as f32).collect(),
            weights,
        }
    }

    pub(crate) fn features(&self) -> usize {
        self.weights.len() / self.classes.max(1)
    }

    pub(crate) fn scores(&self, x: &[(u32, f32)]) -> Vec<f32> {
        let mut sums = vec![0.0f32; self.classes];
        for &(feature, value) in x {
            let start = feature as usize * self.classes;
            if let Some(row) = self.weights.get(start..start + self.classes) {
                for (sum, w) in sums.iter_mut().zip(row) {
                    *sum += value * f32::from(*w);
                }
            }
        }
        sums.iter()
            .zip(&self.scales)
            .zip(&self.biases)
            .map(|((s, scale), bias)| s * scale + bias)
            .collect()
    }

    /// The features whose weights are not all zero after quantisation.
    pub(crate) fn used_features(&self) -> Vec<u32> {
        self.weights
            .chunks_exact(self.classes)
            .enumerate()
            .filter(|(_, row)| row.iter().any(|w| *w != 0))
            .map(|(f, _)| f as u32)
            .collect()
    }

    /// Keeps only the rows of `keep` (sorted feature indices).
    pub(crate) fn retain(&self, keep: &[u32]) -> Self {
        let mut weights = Vec::with_capacity(keep.len() * self.classes);
        for &f in keep {
            let start = f as usize * self.classes;
            weights.extend_from_slice(&self.weights[start..start + self.classes]);
        }
        Self {
            weights,
            ..self.clone()
        }
    }

    pub(crate) fn write(&self, w: &mut Writer) {
        w.len(self.classes);
        w.f32s(&self.scales);
        w.f32s(&self.biases);
        w.i8s(&self.weights);
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, ModelFileError> {
        let classes = r.len()?;
        let scales = r.f32s()?;
        let biases = r.f32s()?;
        let weights = r.i8s()?;
        if classes == 0
            || scales.len() != classes
            || biases.len() != classes
            || weights.len() % classes != 0
        {
            return Err(ModelFileError::Malformed(
                "classifier sizes do not match".into(),
            ));
        }
        Ok(Self {
            classes,
            scales,
            biases,
            weights,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> (SparseRows, Vec<usize>) {
        // Class 0 uses feature 0, class 1 feature 1, class 2 feature 2; feature 3 is noise.
        let rows: Vec<SparseVector> = (0..30)
            .map(|i| {
                let class = i % 3;
                vec![(class as u32, 1.0), (3, if i % 2 == 0 { 0.5 } else { 0.0 })]
            })
            .collect();
        let gold = (0..30).map(|i| i % 3).collect();
        (SparseRows::from_vectors(rows), gold)
    }

    #[test]
    fn separable_classes_are_learned_deterministically() {
        let (x, gold) = toy();
        let config = SvmConfig::default();
        let w = train_one_vs_rest(&x, 4, &gold, 3, &config, 9, |_| {});
        let model = QuantisedLinear::quantise(&w);
        for (i, expected) in gold.iter().enumerate() {
            let s = model.scores(x.row(i));
            let best = (0..3).max_by(|a, b| s[*a].total_cmp(&s[*b])).unwrap();
            assert_eq!(best, *expected);
        }
        let again =
            QuantisedLinear::quantise(&train_one_vs_rest(&x, 4, &gold, 3, &config, 9, |_| {}));
        assert_eq!(model, again);
        assert_eq!(model.features(), 4);
    }

    #[test]
    fn quantised_rows_can_be_pruned() {
        let w = vec![vec![1.0, 0.0, -0.5, 0.1], vec![0.5, 0.0, 0.0, -0.2]];
        let q = QuantisedLinear::quantise(&w);
        assert_eq!(q.used_features(), vec![0, 2]);
        let pruned = q.retain(&[0, 2]);
        assert_eq!(
            pruned.scores(&[(0, 1.0), (1, 1.0)]),
            q.scores(&[(0, 1.0), (2, 1.0)])
        );
    }
}
