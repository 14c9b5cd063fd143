//! Building goroutine snapshots from profile records: a stack with a count
//! (pprof debug=0 and debug=1 carry no goroutine ids, states or ages), or one
//! goroutine per sample with the per-goroutine pseudo-labels.
//!
//! A record of N goroutines becomes N tasks that share one interned stack
//! (a task costs about a hundred bytes), flagged [`TaskFlags::NO_ID`], so
//! grouping, clusters and rules count them like goroutines of a traceback.
//! Their state is inferred from the stack (see [`infer_state`]).

use crate::input::Bytes;
use crate::model::{
    FrameId, LabelSetId, Runtime, Snapshot, StateClass, Sym, Tables, Task, TaskFlags, TaskKind,
    Warning,
};
use crate::parse::go::line::split_go_func;
use std::sync::Arc;

/// Tasks expanded per snapshot at most: a file claiming more goroutines
/// than this is clipped (with a warning) so it cannot exhaust memory.
pub const MAX_TASKS: u64 = 5_000_000;
/// Frames kept per stack.
pub const MAX_FRAMES: usize = 4096;
/// Warnings kept per snapshot.
pub const MAX_WARNINGS: usize = 1000;

/// One goroutine (or a count of identical ones) read from a profile.
pub struct Record {
    /// The stack, innermost frame first.
    pub frames: Vec<FrameId>,
    /// How many goroutines share this record (1 in the per-goroutine variant).
    pub count: u64,
    /// The record's pprof labels (the empty set when none).
    pub labels: LabelSetId,
    /// 1-based line (text) or sample index (protobuf).
    pub line: u32,
    /// Byte offset of the record in the text (0 for protobuf).
    pub offset: u64,
    /// Frames the profile hid above the first one (debug=1 prints no
    /// runtime frames at the top): the goroutine is parked in the runtime.
    pub hidden_top: bool,
    /// Set for the per-goroutine variant.
    pub id: Option<u64>,
    /// The goroutine's state as printed, for the per-goroutine variant.
    pub state: Option<String>,
    /// How long it has been waiting (minutes), when printed.
    pub wait_minutes: Option<u32>,
    /// The `created by` frame, when printed.
    pub creator: Option<FrameId>,
    /// The creating goroutine's id, when printed.
    pub parent_id: Option<u64>,
}

impl Record {
    /// A record of `count` goroutines on one stack, everything else unknown.
    pub fn new(frames: Vec<FrameId>, count: u64) -> Self {
        Record {
            frames,
            count,
            labels: LabelSetId(0),
            line: 0,
            offset: 0,
            hidden_top: false,
            id: None,
            state: None,
            wait_minutes: None,
            creator: None,
            parent_id: None,
        }
    }
}

/// Accumulates the records of one profile into a snapshot.
pub struct Builder {
    /// The interned strings, frames and stacks of the snapshot being built.
    pub tables: Tables,
    /// The tasks read so far.
    pub tasks: Vec<Task>,
    /// Lines or samples that could not be read.
    pub warnings: Vec<Warning>,
    /// Goroutines the profile counts, before any clipping.
    pub declared: u64,
    /// The `total N` a text profile's header declares, when it has one.
    pub header_total: Option<u64>,
    leaked: bool,
}

impl Builder {
    /// `leaked`: every goroutine of the profile is a proven leak (the
    /// goroutineleak profile).
    pub fn new(leaked: bool) -> Self {
        Builder {
            tables: Tables::new(),
            tasks: Vec::new(),
            warnings: Vec::new(),
            declared: 0,
            header_total: None,
            leaked,
        }
    }

    /// Records a warning, keeping at most [`MAX_WARNINGS`].
    pub fn warn(&mut self, line: u64, message: String) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(Warning { line, message });
        }
    }

    /// Interns a Go frame.
    pub fn frame(&mut self, function: &[u8], file: &[u8], line: u32, inlined: bool) -> FrameId {
        let function = self.tables.intern_function(function, split_go_func);
        let file = self.tables.intern_bytes(file);
        self.tables.intern_frame(crate::model::Frame {
            function,
            file,
            line,
            pc_offset: None,
            inlined,
        })
    }

    /// Interns a label set given as key/value strings.
    pub fn labels(&mut self, pairs: &[(String, String)]) -> LabelSetId {
        let interned: Vec<(Sym, Sym)> = pairs
            .iter()
            .map(|(key, value)| (self.tables.intern(key), self.tables.intern(value)))
            .collect();
        self.tables.intern_labels(interned)
    }

    /// Adds a record's goroutines as tasks, clipped to [`MAX_TASKS`] in all.
    pub fn push(&mut self, mut r: Record) {
        self.declared = self.declared.saturating_add(r.count);
        let room = MAX_TASKS.saturating_sub(self.tasks.len() as u64);
        if r.count > room {
            self.warn(
                u64::from(r.line),
                format!(
                    "record of {} goroutines clipped to {room}: at most {MAX_TASKS} goroutines are read per profile",
                    r.count
                ),
            );
            r.count = room;
        }
        if r.count == 0 {
            return;
        }
        r.frames.truncate(MAX_FRAMES);
        let stack = self.tables.intern_stack(&r.frames, None);
        let (state, class) = match r.state.as_deref() {
            Some(s) => (s.to_string(), StateClass::from_go(s)),
            None => {
                let (s, c) = infer_state(&self.tables, &r.frames, r.hidden_top);
                (s.to_string(), c)
            }
        };
        let state = self.tables.intern(&state);
        let mut flags = TaskFlags::default();
        if r.id.is_none() {
            flags.set(TaskFlags::NO_ID);
        }
        if self.leaked {
            flags.set(TaskFlags::LEAKED);
        }
        let task = Task {
            id: r.id.unwrap_or(0),
            parent: r.parent_id.unwrap_or(Task::NO_PARENT),
            kind: TaskKind::Goroutine,
            name: None,
            state,
            class,
            wait_minutes: r.wait_minutes,
            flags,
            labels: r.labels,
            stack,
            creator: r.creator,
            args: 0,
            offset: r.offset,
            line: r.line,
            arg_hash: [0, 0],
            detail: None,
        };
        self.tasks.reserve(r.count as usize);
        for _ in 1..r.count {
            self.tasks.push(task.clone());
        }
        self.tasks.push(task);
    }

    /// The snapshot; `text` is what task offsets refer to.
    #[allow(clippy::too_many_arguments)]
    pub fn finish(
        self,
        source: &str,
        index: usize,
        format: &'static str,
        origin: &str,
        text: Bytes,
        range: (u64, u64),
        truncated: bool,
    ) -> Snapshot {
        let mut warnings = self.warnings;
        if self.declared > self.tasks.len() as u64 && warnings.len() < MAX_WARNINGS {
            warnings.push(Warning {
                line: 0,
                message: format!(
                    "the profile counts {} goroutines; {} were read",
                    self.declared,
                    self.tasks.len()
                ),
            });
        }
        // Records holding fewer goroutines than the header declares: the
        // profile was cut between records.
        let cut_short = self.header_total.is_some_and(|total| total > self.declared);
        if cut_short && warnings.len() < MAX_WARNINGS {
            warnings.push(Warning {
                line: 0,
                message: format!(
                    "the header counts {} goroutines; the records hold {}: the profile is cut short",
                    self.header_total.unwrap_or_default(),
                    self.declared
                ),
            });
        }
        let mut snapshot = Snapshot::new(
            source,
            format,
            Runtime::Go,
            text,
            Arc::new(self.tables),
            Arc::new(Vec::new()),
        );
        snapshot.index = index;
        snapshot.origin = Some(origin.to_string());
        snapshot.tasks = self.tasks;
        snapshot.warnings = warnings;
        snapshot.truncated = truncated || cut_short;
        snapshot.range = range;
        snapshot
    }
}

/// The state a goroutine is in, from its stack alone: the blocking call
/// under `runtime.gopark` names it the way a traceback header would.
/// `waiting` when the goroutine is parked on something the stack does not
/// name (debug=1 hides the runtime frames), `unknown` when nothing tells.
pub fn infer_state(t: &Tables, frames: &[FrameId], hidden_top: bool) -> (&'static str, StateClass) {
    let mut parked = hidden_top;
    for f in frames.iter().take(16) {
        let name = t.func_name(t.frame(*f).function);
        let state = match name {
            "runtime.gopark" | "runtime.goparkunlock" | "runtime.park_m" => {
                parked = true;
                continue;
            }
            "runtime.chanrecv" | "runtime.chanrecv1" | "runtime.chanrecv2" => "chan receive",
            "runtime.chansend" | "runtime.chansend1" => "chan send",
            "runtime.selectgo" | "reflect.rselect" => "select",
            "runtime.block" => "select (no cases)",
            "sync.runtime_SemacquireMutex"
            | "internal/sync.runtime_SemacquireMutex"
            | "sync.(*Mutex).Lock"
            | "sync.(*Mutex).lockSlow"
            | "internal/sync.(*Mutex).lockSlow" => "sync.Mutex.Lock",
            "sync.runtime_SemacquireRWMutexR" | "sync.(*RWMutex).RLock" => "sync.RWMutex.RLock",
            "sync.runtime_SemacquireRWMutex" | "sync.(*RWMutex).Lock" => "sync.RWMutex.Lock",
            "sync.runtime_SemacquireWaitGroup" | "sync.(*WaitGroup).Wait" => "sync.WaitGroup.Wait",
            "sync.runtime_notifyListWait" | "sync.(*Cond).Wait" => "sync.Cond.Wait",
            "sync.runtime_Semacquire" | "internal/sync.runtime_Semacquire" => "semacquire",
            "internal/poll.runtime_pollWait" | "runtime.netpollblock" => "IO wait",
            "time.Sleep" | "runtime.timeSleep" => "sleep",
            "runtime.cgocall" | "runtime.asmcgocall" => "syscall",
            "runtime.gcBgMarkWorker" => "GC worker (idle)",
            "runtime.forcegchelper" => "force gc (idle)",
            "runtime.bgsweep" => "GC sweep wait",
            "runtime.bgscavenge" => "GC scavenge wait",
            "runtime.runfinq" => "finalizer wait",
            "runtime.runCleanups" | "runtime.(*cleanupQueue).dequeue" => "cleanup wait",
            "runtime.Gosched" | "runtime.goschedImpl" | "runtime.gosched_m" => "runnable",
            "runtime/pprof.writeGoroutine"
            | "runtime/pprof.writeRuntimeProfile"
            | "runtime.goroutineProfileWithLabels"
            | "runtime.pprof_goroutineProfileWithLabels"
            | "runtime.pprof_goroutineLeakProfileWithLabels" => "running",
            n if n.starts_with("syscall.Syscall")
                || n.starts_with("syscall.RawSyscall")
                || n.starts_with("syscall.syscall")
                || n.starts_with("internal/runtime/syscall.")
                || n.starts_with("runtime/internal/syscall.")
                || n == "os/signal.signal_recv"
                || n.contains("._Cfunc_") =>
            {
                "syscall"
            }
            n if n.starts_with("runtime.") => continue,
            _ => break,
        };
        return (state, StateClass::from_go(state));
    }
    if parked {
        ("waiting", StateClass::Sync)
    } else {
        ("unknown", StateClass::Other)
    }
}
