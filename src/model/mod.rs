//! The runtime-agnostic model, the bottom layer (it imports no other
//! layer): a [`Snapshot`] holds [`Task`]s of one [`TaskKind`] (goroutines,
//! OS threads, virtual threads, async tasks), each with a name, a state, an
//! interned stack of [`Frame`]s, a creator, labels, flags and, rarely,
//! runtime-specific [`TaskDetail`]; a [`Crash`] is a common part plus a
//! runtime-specific [`CrashDetail`]. Strings, frames, stacks and label sets
//! are interned in [`Tables`], so a million tasks sharing a hundred stacks
//! cost a few dozen bytes each.

mod bytes;
mod confidence;
mod crash;
mod frame;
pub mod heap;
mod hex;
mod ids;
mod intern;
mod lines;
mod runtime;
mod state;
mod sync;
mod task;
pub mod vocab;
mod warning;

pub use bytes::Bytes;
pub use confidence::Confidence;
pub use crash::{
    Crash, CrashDetail, GoCrash, PanicRecord, RaceAccess, RaceReport, RustCrash, SignalInfo,
    MAX_RUNTIME_STACK,
};
pub use frame::{AddrSpace, CodeKind, Frame, Function, RawAddr, Stack};
pub use hex::parse_hex;
pub use ids::{FrameId, FuncId, LabelSetId, StackId, Sym};
pub use intern::{IdMap, Tables};
pub use lines::{LineAccount, LineUnit, SkipReason};
pub use runtime::Runtime;
pub use state::StateClass;
pub use sync::{
    Evidence, HoldFact, LockBasis, LockFact, LockRel, ObjectNote, ReportedDeadlock, ResKey,
    ResKind, SyncFacts, SyncKind, WaitFact, WaitOp,
};
pub use task::{
    Ancestor, ArgSpan, GoTaskDetail, JavaTaskDetail, Task, TaskDetail, TaskFlags, TaskKind,
};
pub use warning::Warning;

use std::sync::Arc;

/// One dump: everything read from one dump inside an input.
pub struct Snapshot {
    /// The input's name (path or `<stdin>`).
    pub source: String,
    /// Position of this dump within its input (0-based).
    pub index: usize,
    /// Format id, e.g. `go-traceback`.
    pub format: &'static str,
    /// The runtime that wrote the dump.
    pub runtime: Runtime,
    /// What the dump's tasks are (goroutines, threads, async tasks); some
    /// tasks may say more (virtual threads among threads).
    pub task_kind: TaskKind,
    /// A guess at the runtime version from the features present.
    pub version_guess: Option<String>,
    /// What kind of dump this is within the format: `panic`, `fatal`,
    /// `sigquit`, `stack` (runtime.Stack / pprof debug=2), ...
    pub origin: Option<String>,
    /// The crash the dump reports (panic, fatal signal, data race), when it reports one.
    pub crash: Option<Crash>,
    /// The dump's tasks (goroutines, threads, async tasks), in the order printed.
    pub tasks: Vec<Task>,
    /// Interned strings, frames and stacks (shared by the snapshots of one input).
    pub tables: Arc<Tables>,
    /// Argument spans of all tasks (see [`Task::args`]), shared likewise.
    pub args: Arc<Vec<ArgSpan>>,
    /// Lines that could not be read.
    pub warnings: Vec<Warning>,
    /// The dump was cut off before its end (what was complete is kept).
    pub truncated: bool,
    /// Where every line of the dump's text went, for the parsers that keep
    /// the account (`None` for the others).
    pub lines: Option<LineAccount>,
    /// The text the tasks' offsets refer to.
    pub text: Bytes,
    /// Byte range of this dump within `text`.
    pub range: (u64, u64),
    /// When the dump was written (seconds since the Unix epoch), when the
    /// input says: the timestamp of a log prefix on its first line, or a
    /// protobuf profile's `time_nanos`.
    pub time_unix: Option<f64>,
    /// Mappings the dump carried (a `/proc/PID/maps` block, a tombstone's
    /// memory map), for placing absolute addresses in modules.
    pub maps: Vec<heap::Module>,
    /// Lock relations the dump states outright (Java monitors and
    /// synchronizers, printed mutex owners).
    pub sync: SyncFacts,
}

impl Snapshot {
    /// A snapshot of a dump read from `source` as `format`, with the text
    /// and tables its tasks refer to. It starts as dump 0 of its input,
    /// spanning the whole text, its tasks goroutines for Go and threads
    /// otherwise, with no tasks, origin, crash, warnings,
    /// mappings or lock facts: the parser sets the fields that apply.
    pub fn new(
        source: &str,
        format: &'static str,
        runtime: Runtime,
        text: Bytes,
        tables: Arc<Tables>,
        args: Arc<Vec<ArgSpan>>,
    ) -> Snapshot {
        let range = (0, text.len() as u64);
        Snapshot {
            source: source.to_string(),
            index: 0,
            format,
            runtime,
            task_kind: match runtime {
                Runtime::Go => TaskKind::Goroutine,
                _ => TaskKind::OsThread,
            },
            version_guess: None,
            origin: None,
            crash: None,
            tasks: Vec::new(),
            tables,
            args,
            warnings: Vec::new(),
            truncated: false,
            lines: None,
            text,
            range,
            time_unix: None,
            maps: Vec::new(),
            sync: SyncFacts::default(),
        }
    }

    /// What this dump's tasks are called: goroutines, threads or tasks.
    pub fn noun(&self) -> (&'static str, &'static str) {
        self.task_kind.noun()
    }

    /// A task's name, for runtimes that name their threads or tasks.
    pub fn task_name(&self, t: &Task) -> Option<&str> {
        t.name.map(|name| self.tables.str(name))
    }

    /// How a task is named in findings: `goroutine 12`, `thread "worker-1"
    /// (12)`.
    pub fn task_label(&self, t: &Task) -> String {
        let (one, _) = self.noun();
        match self.task_name(t) {
            Some(name) if self.runtime != Runtime::Go => format!("{one} \"{name}\" ({})", t.id),
            _ => format!("{one} {}", t.id),
        }
    }

    /// The call stack of a task.
    pub fn stack(&self, t: &Task) -> &Stack {
        self.tables.stack(t.stack)
    }

    /// The argument text of each frame of a task, innermost first.
    pub fn task_args(&self, t: &Task) -> Vec<&str> {
        let frame_count = self.stack(t).frames.len();
        let start = t.args as usize;
        let spans = self.args.get(start..start + frame_count).unwrap_or(&[]);
        spans
            .iter()
            .map(|s| {
                let start = t.offset as usize + s.start as usize;
                let end = start + s.len as usize;
                self.text
                    .get(start..end)
                    .and_then(|bytes| std::str::from_utf8(bytes).ok())
                    .unwrap_or("")
            })
            .collect()
    }

    /// The state of a task as printed.
    pub fn state(&self, t: &Task) -> &str {
        self.tables.str(t.state)
    }

    /// A task's label set as `(key, value)` pairs.
    pub fn labels(&self, t: &Task) -> &[(Sym, Sym)] {
        self.tables.labels(t.labels)
    }
}
