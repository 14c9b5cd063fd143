//! What surrounded the tasks when the process crashed or was dumped: a
//! part every runtime has (message, signal, crashing task, exit status)
//! and what only one runtime prints ([`CrashDetail`]).

use serde::Serialize;

/// What surrounded the tasks when the process crashed or was dumped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Crash {
    /// One-line summary: the first panic or fatal error, or the signal.
    pub message: String,
    /// `[signal SIGSEGV: segmentation violation code=... addr=... pc=...]`
    /// or `SIGQUIT: quit` / `SIGABRT: abort`, a sanitizer's or tombstone's
    /// signal.
    pub signal: Option<SignalInfo>,
    /// The task that panicked, threw or crashed (for Go, the first
    /// goroutine printed after the panic or fatal error).
    pub task_id: Option<u64>,
    /// `exit status N` (printed by `go run`).
    pub exit_status: Option<i32>,
    /// What only the crashed runtime prints.
    pub detail: CrashDetail,
}

/// The runtime-specific part of a [`Crash`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum CrashDetail {
    /// Nothing beyond the common part.
    #[default]
    None,
    /// A Go panic, fatal error, register dumps or race reports.
    Go(GoCrash),
    /// A Rust panic.
    Rust(RustCrash),
}

/// What a Go crash prints beyond the common part.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GoCrash {
    /// `panic:` records in the order printed (outermost first); nested
    /// panics and `[recovered]` ones appear in sequence.
    pub panics: Vec<PanicRecord>,
    /// `fatal error: ...`
    pub fatal_error: Option<String>,
    /// How many per-M register dumps were printed (GOTRACEBACK=crash).
    pub register_dumps: u32,
    /// Data race reports printed by the race detector.
    pub races: Vec<RaceReport>,
    /// The functions of the `runtime stack:` block a fatal error prints
    /// (the system stack of the thread that threw), innermost first, at
    /// most [`MAX_RUNTIME_STACK`].
    pub runtime_stack: Vec<String>,
}

/// The most functions of a `runtime stack:` block kept.
pub const MAX_RUNTIME_STACK: usize = 64;

/// What a Rust panic prints beyond the common part.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RustCrash {
    /// `thread '...' panicked at` records in the order printed.
    pub panics: Vec<PanicRecord>,
}

impl Crash {
    /// The panics printed, outermost first (Go and Rust).
    pub fn panics(&self) -> &[PanicRecord] {
        match &self.detail {
            CrashDetail::Go(go) => &go.panics,
            CrashDetail::Rust(rust) => &rust.panics,
            CrashDetail::None => &[],
        }
    }

    /// Go's `fatal error: ...`.
    pub fn fatal_error(&self) -> Option<&str> {
        match &self.detail {
            CrashDetail::Go(go) => go.fatal_error.as_deref(),
            _ => None,
        }
    }

    /// Data race reports (Go's race detector).
    pub fn races(&self) -> &[RaceReport] {
        match &self.detail {
            CrashDetail::Go(go) => &go.races,
            _ => &[],
        }
    }

    /// How many per-M register dumps Go printed.
    pub fn register_dumps(&self) -> u32 {
        match &self.detail {
            CrashDetail::Go(go) => go.register_dumps,
            _ => 0,
        }
    }

    /// The functions of Go's `runtime stack:` block, innermost first.
    pub fn runtime_stack(&self) -> &[String] {
        match &self.detail {
            CrashDetail::Go(go) => &go.runtime_stack,
            _ => &[],
        }
    }
}

// A `panic:` printed by the runtime, with its message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[allow(missing_docs)] // a doc comment here would change docs/schema.json
pub struct PanicRecord {
    // The panic's message as printed after `panic: `.
    pub message: String,
    // The panic was recovered (`[recovered]`) before the program died.
    pub recovered: bool,
    /// The panic was printed as a continuation of an earlier one
    /// (`panic: a [recovered]` then indented `panic: b`).
    pub nested: bool,
}

// The fatal signal a crash reports (`[signal SIGSEGV: segmentation violation code=... addr=... pc=...]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[allow(missing_docs)] // a doc comment here would change docs/schema.json
pub struct SignalInfo {
    /// `SIGSEGV`, `SIGQUIT`, ...
    pub name: String,
    /// The line as printed.
    pub raw: String,
    // The signal's `code=` value, when printed.
    pub code: Option<String>,
    // The faulting address (`addr=`), when printed.
    pub addr: Option<String>,
    // The program counter at the fault (`pc=`), when printed.
    pub pc: Option<String>,
}

// A data race reported by the race detector (`WARNING: DATA RACE`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[allow(missing_docs)] // a doc comment here would change docs/schema.json
pub struct RaceReport {
    /// 1-based line of `WARNING: DATA RACE`.
    pub line: u64,
    // The conflicting accesses, in the order printed.
    pub accesses: Vec<RaceAccess>,
}

// One access of a data race report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[allow(missing_docs)] // a doc comment here would change docs/schema.json
pub struct RaceAccess {
    /// `Read`, `Write`, `Previous write`, ...
    pub access: String,
    // The accessed address as printed (hex).
    pub addr: String,
    /// The goroutine (`None` for the main goroutine printed as `main goroutine`).
    pub goroutine: Option<u64>,
    /// Innermost frame: `function file:line`.
    pub top_frame: Option<String>,
}
