//! The one call the rest of Helpline makes: text in, a suggested intent, department and route out.
//!
//! A [`Classifier`] holds a model (the bundled lexical one unless another is given) and the
//! routing policy. It is immutable and `Send + Sync`: share it in an `Arc` and call it from any
//! thread. Classifying one message takes well under a millisecond with the lexical model, so
//! async code may call it inline.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::codec::ModelFileError;
use crate::lexical::LexicalModel;
use crate::model::{Classification, ClassifyError, IntentModel, ModelKind};
use crate::routing::{Route, RoutingPolicy, route};
use crate::text::{InputError, Query};

/// The lexical model trained from BANKING77's train.csv, committed with the source. Rebuild it
/// byte-for-byte with the command in the crate README.
pub const BUNDLED_LEXICAL: &[u8] = include_bytes!("../model/lexical.hlm");

/// What the classifier suggests for one message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    /// The model's view: best intent, its department, calibrated confidence, alternatives.
    pub classification: Classification,
    /// What to do with the message under the routing policy (safety net included).
    pub route: Route,
}

impl Suggestion {
    /// The department the message should go to: the route's when it routes, otherwise the
    /// model's best guess (for a person to confirm).
    pub fn department(&self) -> domain::Department {
        self.route
            .department()
            .unwrap_or(self.classification.department)
    }
}

/// A message that could not be classified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SuggestError {
    /// The text is empty or too long: the caller's fault (HTTP 400).
    #[error(transparent)]
    Input(#[from] InputError),
    /// The model failed (only the embedding model can).
    #[error(transparent)]
    Classify(#[from] ClassifyError),
}

/// A model and a routing policy.
#[derive(Clone)]
pub struct Classifier {
    model: Arc<dyn IntentModel>,
    policy: RoutingPolicy,
    description: String,
}

impl std::fmt::Debug for Classifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Classifier")
            .field("model", &self.description)
            .field("policy", &self.policy)
            .finish()
    }
}

impl Classifier {
    /// `description` says which model this is (shown in logs and by the CLI).
    pub fn new(
        model: Arc<dyn IntentModel>,
        policy: RoutingPolicy,
        description: impl Into<String>,
    ) -> Self {
        Self {
            model,
            policy,
            description: description.into(),
        }
    }

    /// The bundled lexical model with the default policy.
    pub fn bundled() -> Result<Self, ModelFileError> {
        Ok(Self::new(
            Arc::new(LexicalModel::from_bytes(BUNDLED_LEXICAL)?),
            RoutingPolicy::default(),
            "lexical (bundled)",
        ))
    }

    pub fn with_policy(mut self, policy: RoutingPolicy) -> Self {
        self.policy = policy;
        self
    }

    pub fn kind(&self) -> ModelKind {
        self.model.kind()
    }

    pub fn description(&self) -> &str {
        &self.description
    }

    pub fn policy(&self) -> &RoutingPolicy {
        &self.policy
    }

    pub fn model(&self) -> &dyn IntentModel {
        self.model.as_ref()
    }

    /// Validates `text` ([`Query::new`]), classifies it and decides the route.
    pub fn suggest(&self, text: &str) -> Result<Suggestion, SuggestError> {
        let query = Query::new(text)?;
        Ok(self.suggest_query(&query)?)
    }

    pub fn suggest_query(&self, query: &Query) -> Result<Suggestion, ClassifyError> {
        let classification = self.model.classify(query)?;
        let route = route(&classification, query, &self.policy);
        Ok(Suggestion {
            classification,
            route,
        })
    }

    /// Many messages at once (faster for the embedding model), in order.
    pub fn suggest_batch(&self, queries: &[Query]) -> Result<Vec<Suggestion>, ClassifyError> {
        Ok(self
            .model
            .classify_batch(queries)?
            .into_iter()
            .zip(queries)
            .map(|(classification, query)| {
                let route = route(&classification, query, &self.policy);
                Suggestion {
                    classification,
                    route,
                }
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use domain::Department;

    use super::*;

    #[test]
    fn the_bundled_model_loads_and_routes() {
        let classifier = Classifier::bundled().unwrap();
        assert_eq!(classifier.kind(), ModelKind::Lexical);
        assert_eq!(classifier.model().labels().len(), 77);
        let s = classifier.suggest("my card was stolen").unwrap();
        assert_eq!(s.department(), Department::LostOrStolen);
        assert_eq!(
            classifier.suggest("   "),
            Err(SuggestError::Input(InputError::Empty))
        );
    }

    #[test]
    fn batches_keep_order_and_agree_with_single_calls() {
        let classifier = Classifier::bundled().unwrap();
        let texts = [
            "i lost my card",
            "what is the exchange rate",
            "close my account",
        ];
        let queries: Vec<Query> = texts.iter().map(|t| Query::new(t).unwrap()).collect();
        let batch = classifier.suggest_batch(&queries).unwrap();
        assert_eq!(batch.len(), 3);
        for (text, suggestion) in texts.iter().zip(&batch) {
            assert_eq!(&classifier.suggest(text).unwrap(), suggestion);
        }
    }
}
