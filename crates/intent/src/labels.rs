//! The intents a model knows and the department each one is routed to.

use domain::Department;

use crate::codec::{ModelFileError, Reader, Writer};

/// The label list of a model, in the order of its probability vectors. A model file carries its
/// labels, so a fresh clone classifies without the data folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Labels {
    intents: Vec<String>,
    departments: Vec<Department>,
}

/// An intent → department map that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelsError {
    #[error("the intent → department map is empty; pass departments.csv")]
    Empty,
    #[error("the intent → department map lists {intent:?} twice")]
    Duplicate { intent: String },
}

impl Labels {
    /// Labels in the order of the map.
    pub fn new(map: &[(String, Department)]) -> Result<Self, LabelsError> {
        if map.is_empty() {
            return Err(LabelsError::Empty);
        }
        let mut intents = Vec::with_capacity(map.len());
        for (intent, _) in map {
            if intents.contains(intent) {
                return Err(LabelsError::Duplicate {
                    intent: intent.clone(),
                });
            }
            intents.push(intent.clone());
        }
        Ok(Self {
            intents,
            departments: map.iter().map(|(_, d)| *d).collect(),
        })
    }

    pub fn len(&self) -> usize {
        self.intents.len()
    }

    pub fn is_empty(&self) -> bool {
        self.intents.is_empty()
    }

    pub fn intent(&self, index: usize) -> &str {
        &self.intents[index]
    }

    pub fn department(&self, index: usize) -> Department {
        self.departments[index]
    }

    pub fn intents(&self) -> impl Iterator<Item = &str> {
        self.intents.iter().map(String::as_str)
    }

    /// The index of an intent name, exactly as spelled in the model.
    pub fn index(&self, intent: &str) -> Option<usize> {
        self.intents.iter().position(|i| i == intent)
    }

    /// The departments that have at least one intent, in `Department::ALL` order.
    pub fn departments(&self) -> Vec<Department> {
        Department::ALL
            .iter()
            .copied()
            .filter(|d| self.departments.contains(d))
            .collect()
    }

    pub(crate) fn write(&self, w: &mut Writer) {
        w.len(self.intents.len());
        for (intent, department) in self.intents.iter().zip(&self.departments) {
            w.str(intent);
            w.str(department.as_str());
        }
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, ModelFileError> {
        let n = r.len()?;
        let mut map = Vec::with_capacity(n.min(4096));
        for _ in 0..n {
            let intent = r.str()?.to_owned();
            let department = r
                .str()?
                .parse::<Department>()
                .map_err(|e| ModelFileError::Malformed(e.to_string()))?;
            map.push((intent, department));
        }
        Self::new(&map).map_err(|e| ModelFileError::Malformed(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_and_empty_maps_are_refused() {
        assert_eq!(Labels::new(&[]), Err(LabelsError::Empty));
        let twice = [
            ("card_arrival".to_owned(), Department::CardServices),
            ("card_arrival".to_owned(), Department::General),
        ];
        assert!(matches!(
            Labels::new(&twice),
            Err(LabelsError::Duplicate { .. })
        ));
    }
}
