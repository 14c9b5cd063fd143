//! The crash as the JSON report carries it: the model's [`model::Crash`]
//! (a common part plus per-runtime detail) flattened into the report's
//! long-standing shape.

use crate::model::{self, PanicRecord, RaceReport, SignalInfo};
use schemars::JsonSchema;
use serde::Serialize;

/// What surrounded the tasks when the process crashed or was dumped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Crash {
    /// One-line summary: the first panic or fatal error, or the signal.
    pub message: String,
    /// `panic:` records in the order printed (outermost first); nested
    /// panics and `[recovered]` ones appear in sequence.
    pub panics: Vec<PanicRecord>,
    /// `fatal error: ...`
    pub fatal_error: Option<String>,
    /// `[signal SIGSEGV: segmentation violation code=... addr=... pc=...]`
    /// or `SIGQUIT: quit` / `SIGABRT: abort`.
    pub signal: Option<SignalInfo>,
    /// The goroutine that panicked or threw (first one printed after the
    /// panic or fatal error).
    pub goroutine_id: Option<u64>,
    /// `exit status N` (printed by `go run`).
    pub exit_status: Option<i32>,
    /// How many per-M register dumps were printed (GOTRACEBACK=crash).
    pub register_dumps: u32,
    /// Data race reports printed by the race detector.
    pub races: Vec<RaceReport>,
    /// The functions of the `runtime stack:` block a Go fatal error prints
    /// (the system stack of the thread that threw), innermost first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub runtime_stack: Vec<String>,
}

impl From<&model::Crash> for Crash {
    fn from(crash: &model::Crash) -> Crash {
        Crash {
            message: crash.message.clone(),
            panics: crash.panics().to_vec(),
            fatal_error: crash.fatal_error().map(str::to_string),
            signal: crash.signal.clone(),
            goroutine_id: crash.task_id,
            exit_status: crash.exit_status,
            register_dumps: crash.register_dumps(),
            races: crash.races().to_vec(),
            runtime_stack: crash.runtime_stack().to_vec(),
        }
    }
}
