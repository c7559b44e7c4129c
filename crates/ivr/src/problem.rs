//! Problems found in a flow or its catalogs, each pointing at a file and line.

use std::fmt;

use serde::Serialize;

/// One thing wrong with a flow file or a message catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub file: String,
    /// 1-based.
    pub line: usize,
    pub kind: ProblemKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// Not valid TOML or Fluent, or a value of the wrong type.
    Syntax,
    /// A required field is absent.
    MissingField,
    /// A field that does nothing for this kind of node.
    UnusedField,
    /// A value out of range or inconsistent with the rest of the flow.
    BadValue,
    /// A reference to a node that does not exist.
    MissingTarget,
    /// A node that no call can reach.
    Unreachable,
    /// A cycle from which no transfer, dial or hang-up can be reached.
    LoopWithoutExit,
    /// A cycle that never waits for the caller, so a call could spin in it.
    LoopWithoutInput,
    /// A message absent from a configured language's catalog.
    MissingPrompt,
    /// A configured language without a catalog.
    MissingCatalog,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

/// The 1-based line of a byte offset.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Collects problems for one file.
pub(crate) struct Problems<'a> {
    pub file: &'a str,
    pub text: &'a str,
    pub found: Vec<Problem>,
}

impl<'a> Problems<'a> {
    pub fn new(file: &'a str, text: &'a str) -> Self {
        Self {
            file,
            text,
            found: Vec::new(),
        }
    }

    /// Records a problem at a byte offset of the file.
    pub fn at(&mut self, offset: usize, kind: ProblemKind, message: impl Into<String>) {
        let line = line_of(self.text, offset);
        self.found.push(Problem {
            file: self.file.to_owned(),
            line,
            kind,
            message: message.into(),
        });
    }
}
