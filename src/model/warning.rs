//! Warnings about input lines that could not be read.

use serde::Serialize;

/// A warning about a line that could not be read; line numbers are 1-based in
/// the unwrapped text of the input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[allow(missing_docs)] // a doc comment here would change docs/schema.json
pub struct Warning {
    // 1-based line number in the unwrapped input text.
    pub line: u64,
    // What could not be read, for a human.
    pub message: String,
}
