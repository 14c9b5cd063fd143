//! Warnings about input lines that could not be read.

use serde::Serialize;

/// A warning about a line that could not be read; line numbers are 1-based in
/// the unwrapped text of the input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Warning {
    pub line: u64,
    pub message: String,
}
