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
    /// What a dump of this runtime and format calls its tasks, `(one,
    /// many)`: goroutines, tasks (async task dumps) or threads.
    pub fn noun(self, format: &str) -> (&'static str, &'static str) {
        match self {
            Runtime::Go => ("goroutine", "goroutines"),
            _ if format.contains("task") => ("task", "tasks"),
            _ => ("thread", "threads"),
        }
    }

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
