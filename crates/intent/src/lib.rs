//! Text → BANKING77 intent → department (product §7).
//!
//! A [`Query`] (a validated message) goes through an [`IntentModel`] — the [`LexicalModel`] by
//! default, the embedding model with the `embeddings` feature — to a [`Classification`] with
//! calibrated confidences, then [`route`] turns it into a [`Route`]: a department, a clarifying
//! question or a person. The lost/stolen-and-fraud safety net lives in `route`.

pub mod bench;
mod calibrate;
mod classifier;
mod codec;
mod data;
mod describe;
#[cfg(feature = "embeddings")]
pub mod embedding;
mod eval;
mod features;
mod folds;
mod labels;
mod lexical;
mod linear;
mod model;
mod rng;
mod routing;
mod safety;
mod text;

pub use classifier::{BUNDLED_LEXICAL, Classifier, SuggestError, Suggestion};
pub use codec::ModelFileError;
pub use data::{
    ClassifiedRow, CsvError, TextRow, read_departments, read_labelled, read_texts, write_classified,
};
pub use describe::describe;
pub use eval::{
    Calibration, CalibrationBin, Confusion, CrossValidation, CrossValidationProgress,
    DepartmentRecall, EvalError, FoldScore, Report, RoutingReport, SafetyReport,
    cross_validate_lexical, evaluate,
};
pub use features::FeatureConfig;
pub use folds::stratified_folds;
pub use labels::{Labels, LabelsError};
pub use lexical::{
    DataError, LexicalConfig, LexicalModel, TrainError, TrainProgress, TrainStage, train,
    train_with,
};
pub use linear::SvmConfig;
pub use model::{
    Classification, ClassifyError, IntentModel, ModelKind, ScoredDepartment, ScoredIntent,
};
pub use routing::{ClarifyOption, Route, RoutingPolicy, SafetyNet, route};
pub use safety::{SafetySignal, safety_signal};
pub use text::{InputError, MAX_CHARS, Query};
