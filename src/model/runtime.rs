//! Which runtime produced a snapshot, and what it calls its tasks.

use serde::Serialize;

/// Which runtime produced a snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)] // a doc comment here would change docs/schema.json
pub enum Runtime {
    // A Go program (goroutine dumps, pprof profiles).
    Go,
    // A native (C, C++) program: gdb, lldb, glibc or sanitizer backtraces, jemalloc heap profiles.
    Native,
    // A JVM (jstack, jcmd thread dumps).
    Java,
    // A Rust program (std backtraces, tokio task dumps, dhat heap profiles).
    Rust,
    // A CPython process (faulthandler, py-spy).
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
