//! The embedding model (feature `embeddings`): all-MiniLM-L6-v2 sentence embeddings with a
//! linear head, fused with the lexical model's scores.

mod encoder;

pub use encoder::{
    CONFIG_FILE, DIMENSIONS, Encoder, EncoderFiles, MAX_TOKENS, TOKENIZER_FILE, WEIGHTS_FILE, WHEEL,
};

use crate::codec::ModelFileError;

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
}
