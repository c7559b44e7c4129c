//! The default model: TF-IDF features, one-vs-rest linear SVMs with 8-bit weights, and a
//! calibration fitted on held-out scores so that confidences mean what they say.

use domain::Department;

use crate::calibrate::Calibrator;
use crate::codec::{self, FileKind, ModelFileError, Reader, Writer};
use crate::features::{FeatureConfig, Featuriser};
use crate::folds::{complement, stratified_folds};
use crate::labels::{Labels, LabelsError};
use crate::linear::{self, QuantisedLinear, SparseRows, SvmConfig};
use crate::model::{ClassifyError, IntentModel, ModelKind};
use crate::text::{InputError, Query};

/// Bumped whenever the payload layout or the meaning of a field changes.
const FORMAT_VERSION: u16 = 3;

/// Everything that shapes a lexical model besides the data and the seed.
#[derive(Debug, Clone, PartialEq)]
pub struct LexicalConfig {
    pub features: FeatureConfig,
    pub svm: SvmConfig,
    /// Folds used to collect held-out scores for the calibration fit.
    pub calibration_folds: usize,
}

impl Default for LexicalConfig {
    fn default() -> Self {
        Self {
            features: FeatureConfig::default(),
            svm: SvmConfig::default(),
            calibration_folds: 3,
        }
    }
}

/// Where training is. `done` of `total` one-vs-rest classifiers are fitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrainProgress {
    pub stage: TrainStage,
    pub done: usize,
    pub total: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrainStage {
    /// Fitting on part of the data to measure how over- or under-confident the scores are.
    Calibration { fold: usize, folds: usize },
    /// Fitting the final model on all the data.
    Final,
}

/// A labelled example that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DataError {
    #[error("there are no examples")]
    NoExamples,
    #[error(
        "row {row}: intent {intent:?} is not in the intent → department map; add it to departments.csv or fix the label"
    )]
    UnknownIntent { row: usize, intent: String },
    #[error("row {row}: {source}")]
    BadText { row: usize, source: InputError },
}

/// Training data that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrainError {
    #[error(transparent)]
    Data(#[from] DataError),
    #[error(
        "intent {intent:?} has no training examples; add some or remove it from departments.csv"
    )]
    NoExamplesFor { intent: String },
    #[error(transparent)]
    Labels(#[from] LabelsError),
}

/// A trained lexical model. Immutable and cheap to share (`Arc`) across threads.
#[derive(Debug, Clone, PartialEq)]
pub struct LexicalModel {
    labels: Labels,
    featuriser: Featuriser,
    classifier: QuantisedLinear,
    calibrator: Calibrator,
}

/// Validated training examples: queries and the label index of each.
pub(crate) struct Examples {
    pub(crate) queries: Vec<Query>,
    pub(crate) gold: Vec<usize>,
}

impl Examples {
    /// Checks every row against the label list; rows are numbered from 1 in errors.
    pub(crate) fn new(rows: &[(String, String)], labels: &Labels) -> Result<Self, DataError> {
        if rows.is_empty() {
            return Err(DataError::NoExamples);
        }
        let mut queries = Vec::with_capacity(rows.len());
        let mut gold = Vec::with_capacity(rows.len());
        for (i, (text, intent)) in rows.iter().enumerate() {
            let row = i + 1;
            let label = labels
                .index(intent)
                .ok_or_else(|| DataError::UnknownIntent {
                    row,
                    intent: intent.clone(),
                })?;
            queries.push(Query::new(text).map_err(|source| DataError::BadText { row, source })?);
            gold.push(label);
        }
        Ok(Self { queries, gold })
    }

    /// Fails on the first intent without an example: its classifier could never fire.
    pub(crate) fn check_coverage(&self, labels: &Labels) -> Result<(), TrainError> {
        let mut seen = vec![false; labels.len()];
        for &g in &self.gold {
            seen[g] = true;
        }
        match seen.iter().position(|s| !s) {
            Some(missing) => Err(TrainError::NoExamplesFor {
                intent: labels.intent(missing).to_owned(),
            }),
            None => Ok(()),
        }
    }
}

/// Trains the default lexical model. The same rows, map and seed give a byte-identical
/// [`LexicalModel::to_bytes`].
pub fn train(
    rows: &[(String, String)],
    departments: &[(String, Department)],
    seed: u64,
    progress: impl FnMut(TrainProgress),
) -> Result<LexicalModel, TrainError> {
    train_with(rows, departments, &LexicalConfig::default(), seed, progress)
}

/// [`train`] with explicit settings.
pub fn train_with(
    rows: &[(String, String)],
    departments: &[(String, Department)],
    config: &LexicalConfig,
    seed: u64,
    mut progress: impl FnMut(TrainProgress),
) -> Result<LexicalModel, TrainError> {
    let labels = Labels::new(departments)?;
    let examples = Examples::new(rows, &labels)?;
    examples.check_coverage(&labels)?;
    let all: Vec<usize> = (0..examples.gold.len()).collect();
    Ok(LexicalModel::fit(
        &labels,
        &examples,
        &all,
        config,
        seed,
        &mut progress,
    ))
}

impl LexicalModel {
    /// Fits on the examples at `subset`: held-out calibration, then the final classifier.
    pub(crate) fn fit(
        labels: &Labels,
        examples: &Examples,
        subset: &[usize],
        config: &LexicalConfig,
        seed: u64,
        progress: &mut impl FnMut(TrainProgress),
    ) -> Self {
        let classes = labels.len();
        let folds = config.calibration_folds.max(2);
        let total = (folds + 1) * classes;
        let gold: Vec<usize> = subset.iter().map(|&i| examples.gold[i]).collect();
        let mut held_out_scores = vec![Vec::new(); subset.len()];
        for (fold, held_out) in stratified_folds(&gold, folds, seed).iter().enumerate() {
            let train_part: Vec<usize> = complement(held_out, subset.len())
                .into_iter()
                .map(|i| subset[i])
                .collect();
            let done_before = fold * classes;
            let (featuriser, classifier) =
                fit_parts(examples, &train_part, classes, config, seed, |done| {
                    progress(TrainProgress {
                        stage: TrainStage::Calibration {
                            fold: fold + 1,
                            folds,
                        },
                        done: done_before + done,
                        total,
                    });
                });
            for &i in held_out {
                let x = featuriser.vectorise(examples.queries[subset[i]].as_str());
                held_out_scores[i] = classifier.scores(&x);
            }
        }
        let calibrator = Calibrator::fit(&held_out_scores, &gold);
        let (featuriser, classifier) = fit_parts(examples, subset, classes, config, seed, |done| {
            progress(TrainProgress {
                stage: TrainStage::Final,
                done: folds * classes + done,
                total,
            });
        });
        // Features whose weights all round to zero only cost space.
        let used = classifier.used_features();
        Self {
            labels: labels.clone(),
            featuriser: featuriser.retain(&used),
            classifier: classifier.retain(&used),
            calibrator,
        }
    }

    /// Raw per-intent scores (before calibration), for fusion with other models.
    pub(crate) fn scores(&self, query: &Query) -> Vec<f32> {
        self.classifier
            .scores(&self.featuriser.vectorise(query.as_str()))
    }

    /// The model file: a versioned, checksummed envelope around the labels (with their
    /// departments), the vocabulary with IDF weights, the 8-bit weights and the calibration.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::default();
        self.labels.write(&mut w);
        self.featuriser.write(&mut w);
        self.classifier.write(&mut w);
        self.calibrator.write(&mut w);
        codec::seal(FileKind::Lexical, FORMAT_VERSION, &w.bytes)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ModelFileError> {
        let mut r = Reader::new(codec::open(bytes, FileKind::Lexical, FORMAT_VERSION)?);
        let labels = Labels::read(&mut r)?;
        let featuriser = Featuriser::read(&mut r)?;
        let classifier = QuantisedLinear::read(&mut r)?;
        let calibrator = Calibrator::read(&mut r)?;
        r.finish()?;
        if classifier.features() != featuriser.len() {
            return Err(ModelFileError::Malformed(
                "vocabulary and weight rows differ in number".into(),
            ));
        }
        if classifier.scores(&[]).len() != labels.len() {
            return Err(ModelFileError::Malformed(
                "label list and classifier differ in size".into(),
            ));
        }
        Ok(Self {
            labels,
            featuriser,
            classifier,
            calibrator,
        })
    }

    /// Number of vocabulary terms kept.
    pub fn vocabulary_size(&self) -> usize {
        self.featuriser.len()
    }
}

/// Vocabulary and classifier fitted on the examples at `subset`.
fn fit_parts(
    examples: &Examples,
    subset: &[usize],
    classes: usize,
    config: &LexicalConfig,
    seed: u64,
    progress: impl FnMut(usize),
) -> (Featuriser, QuantisedLinear) {
    let texts: Vec<&str> = subset
        .iter()
        .map(|&i| examples.queries[i].as_str())
        .collect();
    let featuriser = Featuriser::fit(config.features.clone(), &texts);
    let x = SparseRows::from_vectors(texts.iter().map(|t| featuriser.vectorise(t)));
    let gold: Vec<usize> = subset.iter().map(|&i| examples.gold[i]).collect();
    let weights = linear::train_one_vs_rest(
        &x,
        featuriser.len(),
        &gold,
        classes,
        &config.svm,
        seed,
        progress,
    );
    (featuriser, QuantisedLinear::quantise(&weights))
}

impl IntentModel for LexicalModel {
    fn kind(&self) -> ModelKind {
        ModelKind::Lexical
    }

    fn labels(&self) -> &Labels {
        &self.labels
    }

    fn probabilities(&self, queries: &[Query]) -> Result<Vec<Vec<f32>>, ClassifyError> {
        Ok(queries
            .iter()
            .map(|q| self.calibrator.probabilities(&self.scores(q)))
            .collect())
    }
}
