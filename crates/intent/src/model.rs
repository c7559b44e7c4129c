//! The one interface both models implement, and what a classification says.

use domain::Department;
use serde::{Deserialize, Serialize};

use crate::labels::Labels;
use crate::text::Query;

/// Which model produced a classification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// TF-IDF + linear SVMs; always available.
    Lexical,
    /// all-MiniLM-L6-v2 sentence embeddings + a linear head, fused with the lexical scores.
    Embedding,
}

impl ModelKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            ModelKind::Lexical => "lexical",
            ModelKind::Embedding => "embedding",
        }
    }
}

impl std::fmt::Display for ModelKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A model could not classify (only the embedding model can fail, e.g. inside candle).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClassifyError {
    #[error("the embedding model failed: {0}")]
    Inference(String),
}

/// A text classifier over a fixed label list.
pub trait IntentModel: Send + Sync {
    fn kind(&self) -> ModelKind;

    fn labels(&self) -> &Labels;

    /// Calibrated probabilities of every intent, in [`IntentModel::labels`] order, one vector per
    /// query. Batching is faster for the embedding model.
    fn probabilities(&self, queries: &[Query]) -> Result<Vec<Vec<f32>>, ClassifyError>;

    fn classify(&self, query: &Query) -> Result<Classification, ClassifyError> {
        let mut all = self.classify_batch(std::slice::from_ref(query))?;
        all.pop()
            .ok_or_else(|| ClassifyError::Inference("no result for the query".into()))
    }

    fn classify_batch(&self, queries: &[Query]) -> Result<Vec<Classification>, ClassifyError> {
        Ok(self
            .probabilities(queries)?
            .iter()
            .map(|p| Classification::from_probabilities(self.labels(), p, self.kind()))
            .collect())
    }
}

/// An intent and its probability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoredIntent {
    pub intent: String,
    pub department: Department,
    pub confidence: f32,
}

/// A department and the summed probability of its intents.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ScoredDepartment {
    pub department: Department,
    pub confidence: f32,
}

/// What a model thinks a message is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Classification {
    /// The most probable intent, spelled as in the label list (`categories.json`).
    pub intent: String,
    /// The department of that intent.
    pub department: Department,
    /// Calibrated probability that `intent` is right.
    pub confidence: f32,
    /// The next most probable intents, best first ([`Classification::ALTERNATIVES`] at most).
    pub alternatives: Vec<ScoredIntent>,
    /// Every department with its probability mass, most probable first.
    pub departments: Vec<ScoredDepartment>,
    pub model: ModelKind,
}

impl Classification {
    pub const ALTERNATIVES: usize = 4;

    /// Summarises a probability vector aligned with `labels`.
    pub fn from_probabilities(labels: &Labels, probabilities: &[f32], model: ModelKind) -> Self {
        let mut order: Vec<usize> = (0..labels.len().min(probabilities.len())).collect();
        // Ties break on label order so that results are reproducible.
        order.sort_by(|a, b| {
            probabilities[*b]
                .total_cmp(&probabilities[*a])
                .then(a.cmp(b))
        });
        let scored = |i: usize| ScoredIntent {
            intent: labels.intent(i).to_owned(),
            department: labels.department(i),
            confidence: probabilities[i],
        };
        let best = order.first().copied().unwrap_or(0);
        let mut departments: Vec<ScoredDepartment> = labels
            .departments()
            .into_iter()
            .map(|department| ScoredDepartment {
                department,
                confidence: order
                    .iter()
                    .filter(|i| labels.department(**i) == department)
                    .map(|i| probabilities[*i])
                    .sum(),
            })
            .collect();
        departments.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
        Self {
            intent: labels.intent(best).to_owned(),
            department: labels.department(best),
            confidence: probabilities.get(best).copied().unwrap_or(0.0),
            alternatives: order
                .iter()
                .skip(1)
                .take(Self::ALTERNATIVES)
                .map(|i| scored(*i))
                .collect(),
            departments,
            model,
        }
    }

    /// The probability mass of one department (0 when the model has no intent in it).
    pub fn department_confidence(&self, department: Department) -> f32 {
        self.departments
            .iter()
            .find(|d| d.department == department)
            .map_or(0.0, |d| d.confidence)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_orders_intents_and_sums_departments() {
        let labels = Labels::new(&[
            ("lost_or_stolen_card".into(), Department::LostOrStolen),
            ("card_arrival".into(), Department::CardServices),
            ("compromised_card".into(), Department::LostOrStolen),
        ])
        .unwrap();
        let c = Classification::from_probabilities(&labels, &[0.3, 0.45, 0.25], ModelKind::Lexical);
        assert_eq!(c.intent, "card_arrival");
        assert_eq!(c.department, Department::CardServices);
        assert_eq!(
            c.alternatives
                .iter()
                .map(|a| a.intent.as_str())
                .collect::<Vec<_>>(),
            ["lost_or_stolen_card", "compromised_card"]
        );
        assert_eq!(c.departments[0].department, Department::LostOrStolen);
        assert!((c.department_confidence(Department::LostOrStolen) - 0.55).abs() < 1e-6);
        assert_eq!(c.department_confidence(Department::General), 0.0);
    }
}
