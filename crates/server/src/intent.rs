//! Which intent model the server (and the CLI's default) uses (product §7).
//!
//! The best installed model wins: the embedding model when all-MiniLM-L6-v2 is installed in
//! `<data_dir>/intent/minilm/` (`helpline intent install-model`, feature `embeddings`), fused
//! with the lexical model; the lexical model is a file at `<data_dir>/intent/lexical.hlm`
//! (written by `helpline intent train --out …`), else the one bundled in the binary. A file that
//! cannot be used (missing, corrupt, wrong sha256) is logged as a warning and the next model used
//! instead: classification is never lost because of a bad file.
//!
//! Other code classifies with `state.intent.suggest(text)` (see [`intent::Classifier`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use intent::{Classifier, IntentModel, LexicalModel, ModelFileError};

/// Where an installed lexical model lives in the data directory.
pub fn lexical_path(data_dir: &Path) -> PathBuf {
    data_dir.join("intent").join("lexical.hlm")
}

/// A model file that cannot be used, naming the file.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Model {
        path: PathBuf,
        source: ModelFileError,
    },
}

/// Reads a lexical model file.
pub fn load_lexical_file(path: &Path) -> Result<LexicalModel, LoadError> {
    let bytes = std::fs::read(path).map_err(|source| LoadError::Read {
        path: path.to_owned(),
        source,
    })?;
    LexicalModel::from_bytes(&bytes).map_err(|source| LoadError::Model {
        path: path.to_owned(),
        source,
    })
}

/// Where `helpline intent install-model` puts all-MiniLM-L6-v2 (weights, tokenizer, config).
pub fn minilm_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("intent").join("minilm")
}

/// An embedding head trained with `helpline intent train --model embedding` and copied here is
/// used instead of the bundled one.
pub fn embedding_head_path(data_dir: &Path) -> PathBuf {
    minilm_dir(data_dir).join("head.hlm")
}

/// The lexical model the CLI and server use: the installed file, else the bundled one. The
/// installed file's error is returned (the server falls back, the CLI reports it).
pub fn load_lexical(data_dir: &Path) -> Result<(LexicalModel, String), LoadError> {
    let installed = lexical_path(data_dir);
    if installed.exists() {
        let model = load_lexical_file(&installed)?;
        return Ok((model, format!("lexical ({})", installed.display())));
    }
    let bundled =
        LexicalModel::from_bytes(intent::BUNDLED_LEXICAL).map_err(|source| LoadError::Model {
            path: PathBuf::from("(bundled)"),
            source,
        })?;
    Ok((bundled, "lexical (bundled)".to_owned()))
}

/// The embedding model cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddingLoadError {
    #[error(
        "the embedding model is not installed in {0}; install it with `helpline intent install-model`"
    )]
    NotInstalled(PathBuf),
    #[error(
        "this build of helpline has no embedding support (built without the `embeddings` feature)"
    )]
    NotBuilt,
    #[error("{path}: {cause}")]
    Read {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[cfg(feature = "embeddings")]
    #[error("{path}: {cause}")]
    Model {
        path: PathBuf,
        cause: intent::embedding::EmbeddingError,
    },
}

/// The installed all-MiniLM-L6-v2 encoder (hashes checked).
#[cfg(feature = "embeddings")]
pub fn load_encoder(data_dir: &Path) -> Result<intent::embedding::Encoder, EmbeddingLoadError> {
    use intent::embedding::{CONFIG_FILE, Encoder, EncoderFiles, TOKENIZER_FILE, WEIGHTS_FILE};
    let dir = minilm_dir(data_dir);
    if !dir.join(WEIGHTS_FILE).exists() {
        return Err(EmbeddingLoadError::NotInstalled(dir));
    }
    let files = EncoderFiles {
        weights: read(dir.join(WEIGHTS_FILE))?,
        tokenizer: read(dir.join(TOKENIZER_FILE))?,
        config: read(dir.join(CONFIG_FILE))?,
    };
    Encoder::load(files).map_err(|cause| EmbeddingLoadError::Model { path: dir, cause })
}

#[cfg(feature = "embeddings")]
fn read(path: PathBuf) -> Result<Vec<u8>, EmbeddingLoadError> {
    std::fs::read(&path).map_err(|cause| EmbeddingLoadError::Read { path, cause })
}

/// The installed embedding model (with the installed head, else the bundled one), fused with
/// `lexical`.
#[cfg(feature = "embeddings")]
pub fn load_embedding(
    data_dir: &Path,
    lexical: Arc<LexicalModel>,
) -> Result<intent::embedding::EmbeddingModel, EmbeddingLoadError> {
    use intent::embedding::{EmbeddingHead, EmbeddingModel};
    let encoder = load_encoder(data_dir)?;
    let head_path = embedding_head_path(data_dir);
    let (bytes, head_path) = if head_path.exists() {
        (read(head_path.clone())?, head_path)
    } else {
        (
            intent::embedding::BUNDLED_HEAD.to_vec(),
            PathBuf::from("(bundled embedding head)"),
        )
    };
    let model_error = |cause| EmbeddingLoadError::Model {
        path: head_path.clone(),
        cause,
    };
    let head = EmbeddingHead::from_bytes(&bytes).map_err(|e| model_error(e.into()))?;
    EmbeddingModel::new(encoder, head, lexical).map_err(model_error)
}

/// [`load_embedding`] behind the common interface (in every build).
pub fn load_embedding_model(
    data_dir: &Path,
    lexical: Arc<LexicalModel>,
) -> Result<Arc<dyn IntentModel>, EmbeddingLoadError> {
    #[cfg(feature = "embeddings")]
    {
        Ok(Arc::new(load_embedding(data_dir, lexical)?))
    }
    #[cfg(not(feature = "embeddings"))]
    {
        let _ = lexical;
        let dir = minilm_dir(data_dir);
        Err(if dir.exists() {
            EmbeddingLoadError::NotBuilt
        } else {
            EmbeddingLoadError::NotInstalled(dir)
        })
    }
}

/// The best installed model and how long it took to load. Logs which model is active.
///
/// The embedding model when it is installed and loads, else the lexical model (the installed
/// file, else the bundled one). Files that cannot be used are reported as warnings and skipped:
/// classification is never lost because of a bad file.
pub fn load_best(data_dir: &Path) -> anyhow::Result<(Classifier, Duration)> {
    let start = Instant::now();
    let (lexical, description) = match load_lexical(data_dir) {
        Ok(loaded) => loaded,
        Err(error) => {
            tracing::warn!(%error, "the installed intent model cannot be used; using the bundled lexical model");
            (
                LexicalModel::from_bytes(intent::BUNDLED_LEXICAL)?,
                "lexical (bundled)".to_owned(),
            )
        }
    };
    let lexical = Arc::new(lexical);
    let policy = intent::RoutingPolicy::default();
    let classifier = match load_embedding_model(data_dir, lexical.clone()) {
        Ok(model) => Classifier::new(
            model,
            policy,
            format!(
                "embedding (all-MiniLM-L6-v2 in {}, fused with {description})",
                minilm_dir(data_dir).display()
            ),
        ),
        Err(EmbeddingLoadError::NotInstalled(_)) => Classifier::new(lexical, policy, description),
        Err(error) => {
            tracing::warn!(%error, "the embedding model cannot be used; using the lexical model");
            Classifier::new(lexical, policy, description)
        }
    };
    let took = start.elapsed();
    tracing::info!(
        model = classifier.description(),
        load_ms = took.as_secs_f64() * 1000.0,
        "intent model loaded"
    );
    Ok((classifier, took))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_corrupt_installed_model_falls_back_to_the_bundled_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = lexical_path(dir.path());
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, b"HLINTENT but not really").unwrap();
        let error = load_lexical_file(&path).unwrap_err().to_string();
        assert!(error.contains("lexical.hlm"), "{error}");
        let (classifier, _) = load_best(dir.path()).unwrap();
        assert_eq!(classifier.description(), "lexical (bundled)");
    }

    #[test]
    fn a_corrupt_embedding_model_falls_back_to_the_lexical_one() {
        let dir = tempfile::tempdir().unwrap();
        let minilm = minilm_dir(dir.path());
        std::fs::create_dir_all(&minilm).unwrap();
        for name in ["model.safetensors", "tokenizer.json", "config.json"] {
            std::fs::write(minilm.join(name), b"damaged").unwrap();
        }
        let lexical = Arc::new(LexicalModel::from_bytes(intent::BUNDLED_LEXICAL).unwrap());
        let error = load_embedding_model(dir.path(), lexical)
            .err()
            .unwrap()
            .to_string();
        if cfg!(feature = "embeddings") {
            assert!(error.contains("sha256"), "{error}");
        } else {
            assert!(error.contains("no embedding support"), "{error}");
        }
        let (classifier, _) = load_best(dir.path()).unwrap();
        assert_eq!(classifier.description(), "lexical (bundled)");
        assert_eq!(classifier.kind(), intent::ModelKind::Lexical);
    }

    #[test]
    fn without_an_embedding_model_the_lexical_one_is_used() {
        let dir = tempfile::tempdir().unwrap();
        let lexical = Arc::new(LexicalModel::from_bytes(intent::BUNDLED_LEXICAL).unwrap());
        assert!(matches!(
            load_embedding_model(dir.path(), lexical),
            Err(EmbeddingLoadError::NotInstalled(_))
        ));
    }

    #[test]
    fn an_installed_model_is_preferred() {
        let dir = tempfile::tempdir().unwrap();
        let path = lexical_path(dir.path());
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, intent::BUNDLED_LEXICAL).unwrap();
        let (classifier, _) = load_best(dir.path()).unwrap();
        assert!(classifier.description().contains("lexical.hlm"));
    }
}

/// What the intent model makes of a cardholder's own words (chat, IVR speech), under its
/// routing policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Routed {
    /// Where to send the contact; `None` when the policy would ask again or hand to a person.
    pub department: Option<domain::Department>,
    /// The model's best guess, for the agent to confirm when there is no route.
    pub best_guess: domain::Department,
    pub intent: String,
    /// Calibrated; 1.0 for a safety-net route, which is a rule rather than a guess, so that no
    /// confidence threshold downstream can undo it.
    pub confidence: f32,
}

/// `classifier.suggest(text)`, off the async workers when the model takes milliseconds of CPU
/// (the embedding model); inline for the lexical model's microseconds.
pub async fn suggest(
    classifier: &Classifier,
    text: &str,
) -> Result<intent::Suggestion, intent::SuggestError> {
    if classifier.kind() != intent::ModelKind::Embedding {
        return classifier.suggest(text);
    }
    let (classifier, text) = (classifier.clone(), text.to_owned());
    tokio::task::spawn_blocking(move || classifier.suggest(&text))
        .await
        .unwrap_or_else(|e| {
            Err(intent::SuggestError::Classify(
                intent::ClassifyError::Inference(format!("the classifying task failed: {e}")),
            ))
        })
}

/// Classifies `text`; `None` when it cannot be classified (empty or too long).
pub async fn route(classifier: &Classifier, text: &str) -> Option<Routed> {
    let suggestion = suggest(classifier, text).await.ok()?;
    let (department, confidence) = match suggestion.route {
        intent::Route::Department {
            department,
            safety_net: Some(_),
            ..
        } => (Some(department), 1.0),
        intent::Route::Department {
            department,
            confidence,
            ..
        } => (Some(department), confidence),
        intent::Route::Clarify { .. } | intent::Route::Person { .. } => {
            (None, suggestion.classification.confidence)
        }
    };
    Some(Routed {
        department,
        best_guess: suggestion.classification.department,
        intent: suggestion.classification.intent,
        confidence,
    })
}
