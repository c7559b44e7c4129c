//! The classifier on top of the sentence embeddings: multinomial logistic regression (a softmax
//! layer trained with AdamW from zero weights, so no randomness), fused with the lexical model:
//!
//! `score(intent) = log p_head(intent) + β · log p_lexical(intent)`
//!
//! then calibrated like the lexical model ([`Calibrator`]). β and the calibration are fitted on
//! cross-validated held-out predictions of the training data, never on the data they are
//! reported on.

use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use domain::Department;

use super::EmbeddingError;
use crate::calibrate::Calibrator;
use crate::codec::{self, FileKind, ModelFileError, Reader, Writer};
use crate::eval::{CrossValidation, CrossValidationProgress, argmax, cross_validate_lexical};
use crate::folds::{complement, stratified_folds};
use crate::labels::Labels;
use crate::lexical::{Examples, LexicalConfig, TrainError};
use crate::model::ModelKind;
use crate::routing::RoutingPolicy;

const FORMAT_VERSION: u16 = 2;

/// The layers the head reads by default: the mean of the last layer's states (the sentence
/// embedding of all-MiniLM-L6-v2).
pub const DEFAULT_LAYERS: [usize; 1] = [MAX_LAYER];

/// The last layer of all-MiniLM-L6-v2 (0 is the embeddings).
const MAX_LAYER: usize = 6;

/// The values of β tried when fusing the head with the lexical model (0: the head alone).
pub const LEXICAL_WEIGHTS: [f32; 8] = [0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0];

/// Which sentence features the head reads and how the softmax layer is trained (full batch).
#[derive(Debug, Clone, PartialEq)]
pub struct HeadConfig {
    /// The encoder layers whose mean-pooled states are concatenated (see [`Encoder::features`]).
    ///
    /// [`Encoder::features`]: super::Encoder::features
    pub layers: Vec<usize>,
    pub steps: usize,
    pub learning_rate: f64,
    pub weight_decay: f64,
}

impl Default for HeadConfig {
    fn default() -> Self {
        Self {
            layers: DEFAULT_LAYERS.to_vec(),
            steps: 300,
            learning_rate: 0.05,
            weight_decay: 0.0,
        }
    }
}

/// `log softmax(W·x + b)`.
#[derive(Debug, Clone, PartialEq)]
struct SoftmaxLayer {
    dimensions: usize,
    /// Row-major `(classes, dimensions)`.
    weights: Vec<f32>,
    bias: Vec<f32>,
}

impl SoftmaxLayer {
    fn fit(
        x: &[Vec<f32>],
        subset: &[usize],
        gold: &[usize],
        classes: usize,
        config: &HeadConfig,
    ) -> candle_core::Result<Self> {
        let dimensions = x.first().map_or(0, Vec::len);
        let device = Device::Cpu;
        let flat: Vec<f32> = subset.iter().flat_map(|&i| x[i].iter().copied()).collect();
        let xs = Tensor::from_vec(flat, (subset.len(), dimensions), &device)?;
        let targets: Vec<u32> = subset.iter().map(|&i| gold[i] as u32).collect();
        let targets = Tensor::from_vec(targets, subset.len(), &device)?;
        let w = Var::zeros((dimensions, classes), DType::F32, &device)?;
        let b = Var::zeros(classes, DType::F32, &device)?;
        let mut optimiser = AdamW::new(
            vec![w.clone(), b.clone()],
            ParamsAdamW {
                lr: config.learning_rate,
                weight_decay: config.weight_decay,
                ..ParamsAdamW::default()
            },
        )?;
        for _ in 0..config.steps {
            let logits = xs.matmul(w.as_tensor())?.broadcast_add(b.as_tensor())?;
            let loss = candle_nn::loss::cross_entropy(&logits, &targets)?;
            optimiser.backward_step(&loss)?;
        }
        Ok(Self {
            dimensions,
            weights: w.as_tensor().t()?.contiguous()?.flatten_all()?.to_vec1()?,
            bias: b.as_tensor().to_vec1()?,
        })
    }

    fn log_probabilities(&self, x: &[f32]) -> Vec<f32> {
        let logits: Vec<f32> = self
            .weights
            .chunks_exact(self.dimensions)
            .zip(&self.bias)
            .map(|(row, b)| b + row.iter().zip(x).map(|(w, v)| w * v).sum::<f32>())
            .collect();
        let peak = logits.iter().fold(f32::NEG_INFINITY, |m, v| m.max(*v));
        let total: f32 = logits.iter().map(|v| (v - peak).exp()).sum();
        let log_total = peak + total.ln();
        logits.iter().map(|v| v - log_total).collect()
    }
}

/// `log p_head + β · log p_lexical`, the scores the calibration turns into probabilities.
fn fuse(head: &[f32], lexical: &[f32], beta: f32) -> Vec<f32> {
    head.iter()
        .zip(lexical)
        .map(|(h, l)| h + beta * l.max(f32::MIN_POSITIVE).ln())
        .collect()
}

/// A trained head: the layers it reads, the softmax layer, the lexical weight β and the
/// calibration.
#[derive(Debug, Clone, PartialEq)]
pub struct EmbeddingHead {
    labels: Labels,
    layers: Vec<usize>,
    layer: SoftmaxLayer,
    lexical_weight: f32,
    calibrator: Calibrator,
}

impl EmbeddingHead {
    pub fn labels(&self) -> &Labels {
        &self.labels
    }

    /// The encoder layers whose pooled states the head reads, in order.
    pub fn layers(&self) -> &[usize] {
        &self.layers
    }

    /// β, the weight of the lexical model's log-probabilities in the fused score.
    pub fn lexical_weight(&self) -> f32 {
        self.lexical_weight
    }

    /// Calibrated probabilities from an embedding and the lexical model's probabilities.
    pub fn probabilities(&self, embedding: &[f32], lexical: &[f32]) -> Vec<f32> {
        self.calibrator.probabilities(&fuse(
            &self.layer.log_probabilities(embedding),
            lexical,
            self.lexical_weight,
        ))
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::default();
        self.labels.write(&mut w);
        w.len(self.layers.len());
        for &l in &self.layers {
            w.len(l);
        }
        w.len(self.layer.dimensions);
        w.f32s(&self.layer.weights);
        w.f32s(&self.layer.bias);
        w.f32(self.lexical_weight);
        self.calibrator.write(&mut w);
        codec::seal(FileKind::EmbeddingHead, FORMAT_VERSION, &w.bytes)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ModelFileError> {
        // Version 1 heads (before the layer list) read the last layer.
        let (payload, version) = match codec::open(bytes, FileKind::EmbeddingHead, FORMAT_VERSION) {
            Err(ModelFileError::UnsupportedVersion { found: 1, .. }) => {
                (codec::open(bytes, FileKind::EmbeddingHead, 1)?, 1)
            }
            opened => (opened?, FORMAT_VERSION),
        };
        let mut r = Reader::new(payload);
        let labels = Labels::read(&mut r)?;
        let (layers, count) = if version == 1 {
            (DEFAULT_LAYERS.to_vec(), 1)
        } else {
            let count = r.len()?;
            let layers = (0..count.min(MAX_LAYER + 1))
                .map(|_| r.len())
                .collect::<Result<Vec<_>, _>>()?;
            (layers, count)
        };
        let dimensions = r.len()?;
        let weights = r.f32s()?;
        let bias = r.f32s()?;
        let lexical_weight = r.f32()?;
        let calibrator = Calibrator::read(&mut r)?;
        r.finish()?;
        if layers.is_empty() || layers.len() != count || layers.iter().any(|&l| l > MAX_LAYER) {
            return Err(ModelFileError::Malformed(format!(
                "the head reads layers {layers:?}; 1 to {} layers of 0..={MAX_LAYER} expected",
                MAX_LAYER + 1
            )));
        }
        if dimensions != super::DIMENSIONS * layers.len()
            || bias.len() != labels.len()
            || weights.len() != labels.len() * dimensions
        {
            return Err(ModelFileError::Malformed(
                "the head's weights do not match its labels and the embedding size".into(),
            ));
        }
        if !(lexical_weight.is_finite() && lexical_weight >= 0.0) {
            return Err(ModelFileError::Malformed(
                "lexical weight out of range".into(),
            ));
        }
        Ok(Self {
            labels,
            layers,
            layer: SoftmaxLayer {
                dimensions,
                weights,
                bias,
            },
            lexical_weight,
            calibrator,
        })
    }
}

/// Where head training is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadProgress {
    /// Cross-validating the lexical model (its held-out probabilities are fused with the head's).
    Lexical(CrossValidationProgress),
    /// Training the head of a fold (1-based), or the final head (`fold == folds + 1`).
    Head { fold: usize, folds: usize },
}

/// A trained head and what cross-validation says about it.
#[derive(Debug)]
pub struct HeadTraining {
    pub head: EmbeddingHead,
    /// The fused model: for each fold, β and the calibration are chosen on the other folds'
    /// held-out predictions.
    pub cross_validation: CrossValidation,
    /// The lexical model alone, on the same folds.
    pub lexical: CrossValidation,
    /// Pooled held-out accuracy for each β of [`LEXICAL_WEIGHTS`] (β = 0: the head alone).
    pub sweep: Vec<(f32, f64)>,
}

/// Cross-validates and trains the head on `rows` and their `embeddings` (same order).
#[allow(clippy::too_many_arguments)]
pub fn train_head(
    rows: &[(String, String)],
    departments: &[(String, Department)],
    embeddings: &[Vec<f32>],
    lexical: &LexicalConfig,
    config: &HeadConfig,
    folds: usize,
    seed: u64,
    mut progress: impl FnMut(HeadProgress),
) -> Result<HeadTraining, EmbeddingError> {
    let policy = RoutingPolicy::default();
    let labels = Labels::new(departments).map_err(TrainError::from)?;
    let examples = Examples::new(rows, &labels).map_err(TrainError::from)?;
    examples.check_coverage(&labels)?;
    let dimensions = super::DIMENSIONS * config.layers.len();
    if embeddings.len() != rows.len() || embeddings.iter().any(|e| e.len() != dimensions) {
        return Err(EmbeddingError::Inference(format!(
            "{} embeddings of {dimensions} values expected",
            rows.len(),
        )));
    }
    let lexical_cv =
        cross_validate_lexical(rows, departments, lexical, folds, seed, &policy, |p| {
            progress(HeadProgress::Lexical(p));
        })?;
    let (lexical_p, gold) = lexical_cv.held_out();
    let n = rows.len();
    let classes = labels.len();
    let fit = |subset: &[usize]| {
        SoftmaxLayer::fit(embeddings, subset, gold, classes, config)
            .map_err(|e| EmbeddingError::Inference(e.to_string()))
    };
    let mut head_lp = vec![Vec::new(); n];
    for (fold, held_out) in stratified_folds(gold, folds, seed).iter().enumerate() {
        progress(HeadProgress::Head {
            fold: fold + 1,
            folds,
        });
        let layer = fit(&complement(held_out, n))?;
        for &i in held_out {
            head_lp[i] = layer.log_probabilities(&embeddings[i]);
        }
    }
    // β with the best held-out accuracy on `subset`, and the calibration of its fused scores.
    let fusion = |subset: &[usize]| -> (f32, Calibrator) {
        let correct = |beta: f32| {
            subset
                .iter()
                .filter(|&&i| argmax(&fuse(&head_lp[i], &lexical_p[i], beta)) == gold[i])
                .count()
        };
        let mut best = (LEXICAL_WEIGHTS[0], correct(LEXICAL_WEIGHTS[0]));
        for beta in &LEXICAL_WEIGHTS[1..] {
            let c = correct(*beta);
            if c > best.1 {
                best = (*beta, c);
            }
        }
        let scores: Vec<Vec<f32>> = subset
            .iter()
            .map(|&i| fuse(&head_lp[i], &lexical_p[i], best.0))
            .collect();
        let subset_gold: Vec<usize> = subset.iter().map(|&i| gold[i]).collect();
        (best.0, Calibrator::fit(&scores, &subset_gold))
    };
    let cross_validation = CrossValidation::run(
        &labels,
        ModelKind::Embedding,
        rows,
        folds,
        seed,
        &policy,
        |_, train, held_out| -> Result<_, EmbeddingError> {
            let (beta, calibrator) = fusion(train);
            Ok(held_out
                .iter()
                .map(|&i| calibrator.probabilities(&fuse(&head_lp[i], &lexical_p[i], beta)))
                .collect())
        },
    )?;
    let sweep = LEXICAL_WEIGHTS
        .iter()
        .map(|&beta| {
            let correct = (0..n)
                .filter(|&i| argmax(&fuse(&head_lp[i], &lexical_p[i], beta)) == gold[i])
                .count();
            (beta, correct as f64 / n as f64)
        })
        .collect();
    let all: Vec<usize> = (0..n).collect();
    let (lexical_weight, calibrator) = fusion(&all);
    progress(HeadProgress::Head {
        fold: folds + 1,
        folds,
    });
    let layer = fit(&all)?;
    Ok(HeadTraining {
        head: EmbeddingHead {
            labels,
            layers: config.layers.clone(),
            layer,
            lexical_weight,
            calibrator,
        },
        cross_validation,
        lexical: lexical_cv,
        sweep,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_softmax_layer_learns_separable_points() {
        // Two classes on either side of the first axis.
        let x: Vec<Vec<f32>> = (0..20)
            .map(|i| {
                let side = if i % 2 == 0 { 1.0 } else { -1.0 };
                vec![side, 0.1 * (i as f32 / 20.0)]
            })
            .collect();
        let gold: Vec<usize> = (0..20).map(|i| i % 2).collect();
        let all: Vec<usize> = (0..20).collect();
        let layer = SoftmaxLayer::fit(&x, &all, &gold, 2, &HeadConfig::default()).unwrap();
        for (xi, g) in x.iter().zip(&gold) {
            let lp = layer.log_probabilities(xi);
            assert_eq!(argmax(&lp), *g);
            assert!((lp.iter().map(|v| v.exp()).sum::<f32>() - 1.0).abs() < 1e-4);
        }
    }

    /// A head over `layers` for two intents, with arbitrary weights.
    fn head_reading(layers: Vec<usize>) -> EmbeddingHead {
        let labels = Labels::new(&[
            ("card_arrival".to_owned(), Department::CardServices),
            ("lost_or_stolen_card".to_owned(), Department::LostOrStolen),
        ])
        .unwrap();
        let dimensions = super::super::DIMENSIONS * layers.len();
        EmbeddingHead {
            labels,
            layers,
            layer: SoftmaxLayer {
                dimensions,
                weights: (0..2 * dimensions).map(|i| i as f32 / 1000.0).collect(),
                bias: vec![0.5, -0.5],
            },
            lexical_weight: 0.75,
            calibrator: Calibrator::fit(&[vec![0.0, -1.0], vec![-1.0, 0.0]], &[0, 1]),
        }
    }

    #[test]
    fn a_head_over_several_layers_survives_its_file() {
        let head = head_reading(vec![4, 5, 6]);
        assert_eq!(EmbeddingHead::from_bytes(&head.to_bytes()).unwrap(), head);
    }

    #[test]
    fn a_version_1_head_reads_the_last_layer() {
        let head = head_reading(vec![6]);
        let mut w = Writer::default();
        head.labels.write(&mut w);
        w.len(head.layer.dimensions);
        w.f32s(&head.layer.weights);
        w.f32s(&head.layer.bias);
        w.f32(head.lexical_weight);
        head.calibrator.write(&mut w);
        let v1 = codec::seal(FileKind::EmbeddingHead, 1, &w.bytes);
        assert_eq!(EmbeddingHead::from_bytes(&v1).unwrap(), head);
    }

    #[test]
    fn a_head_reading_a_layer_the_model_lacks_is_refused() {
        for layers in [vec![7], vec![]] {
            let bytes = head_reading(layers.clone()).to_bytes();
            assert!(
                matches!(
                    EmbeddingHead::from_bytes(&bytes),
                    Err(ModelFileError::Malformed(_))
                ),
                "{layers:?}"
            );
        }
    }

    #[test]
    fn fusion_adds_weighted_lexical_log_probabilities() {
        let fused = fuse(&[-0.1, -2.0], &[0.25, 0.75], 2.0);
        assert!((fused[0] - (-0.1 + 2.0 * 0.25f32.ln())).abs() < 1e-6);
        assert!((fused[1] - (-2.0 + 2.0 * 0.75f32.ln())).abs() < 1e-6);
    }
}
