//! Which runtime produced a snapshot, and what it calls its tasks.

use serde::Serialize;

/// Which runtime produced a snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Runtime {
    Go,
    Native,
    Java,
    Rust,
    Python,
}

impl Runtime {
    /// The runtime's name as reports print it (`go`, `java`).
    pub fn as_str(self) -> &'static str {
        match self {
            Runtime::Go => "go",
            Runtime::Native => "native",
            Runtime::Java => "java",
            Runtime::Rust => "rust",
            Runtime::Python => "python",
        }
    }
}
