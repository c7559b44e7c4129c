//! Which intent model the server (and the CLI's default) uses (product §7).
//!
//! The best installed model wins: a lexical model file at `<data_dir>/intent/lexical.hlm`
//! (written by `helpline intent train --out …`), else the lexical model bundled in the binary.
//! A file that cannot be read is reported and the bundled model used instead: classification is
//! never lost because of a bad file.
//!
//! Other code classifies with `state.intent.suggest(text)` (see [`intent::Classifier`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use intent::{Classifier, LexicalModel, ModelFileError};

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

/// The best installed model and how long it took to load. Logs which model is active.
pub fn load_best(data_dir: &Path) -> anyhow::Result<(Classifier, Duration)> {
    let start = Instant::now();
    let installed = lexical_path(data_dir);
    let classifier = if installed.exists() {
        match load_lexical_file(&installed) {
            Ok(model) => Classifier::new(
                Arc::new(model),
                intent::RoutingPolicy::default(),
                format!("lexical ({})", installed.display()),
            ),
            Err(error) => {
                tracing::warn!(%error, "the installed intent model cannot be used; using the bundled lexical model");
                Classifier::bundled()?
            }
        }
    } else {
        Classifier::bundled()?
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

/// Classifies `text`; `None` when it cannot be classified (empty or too long).
pub fn route(classifier: &Classifier, text: &str) -> Option<Routed> {
    let suggestion = classifier.suggest(text).ok()?;
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
