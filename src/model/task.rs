//! One task of a snapshot (a goroutine, an OS thread, a virtual thread or
//! an async task): its kind, name, state, stack and flags, plus the rarely
//! present detail only one runtime prints ([`TaskDetail`]).

use super::ids::{FrameId, LabelSetId, StackId, Sym};
use super::state::StateClass;
use serde::Serialize;

/// What kind of task a dump lists.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    /// A Go goroutine.
    Goroutine,
    /// An operating-system thread (native, JVM platform, Python threads).
    #[default]
    OsThread,
    /// A thread the runtime schedules on carrier threads (JVM virtual
    /// threads).
    VirtualThread,
    /// An async task (tokio, async-backtrace).
    AsyncTask,
}

impl TaskKind {
    /// What a dump of tasks of this kind calls them, `(one, many)`:
    /// goroutines, tasks or threads (virtual threads are threads).
    pub fn noun(self) -> (&'static str, &'static str) {
        match self {
            TaskKind::Goroutine => ("goroutine", "goroutines"),
            TaskKind::AsyncTask => ("task", "tasks"),
            TaskKind::OsThread | TaskKind::VirtualThread => ("thread", "threads"),
        }
    }
}

/// Flags of a task, one `u16` whatever the runtime (a per-runtime set would
/// cost a tag per task). The bits are in two groups: [`TaskFlags::COMMON`]
/// (`PARTIAL`, `NO_ID`) may be set for any runtime; [`TaskFlags::GO`]
/// (`LEAKED`, `LOCKED_TO_THREAD`, `SCAN`, `DURABLE`, `STACK_UNAVAILABLE`,
/// `SYSTEM_STACK`) are what Go's traceback headers print and are only set
/// on goroutines. A new runtime adds its flags as a group of its own in the
/// free bits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct TaskFlags(pub u16);

impl TaskFlags {
    /// Go: proven leaked by the GC (`(leaked)`).
    pub const LEAKED: u16 = 1;
    /// Go: `, locked to thread`.
    pub const LOCKED_TO_THREAD: u16 = 1 << 1;
    /// Go: `(scan)`, the GC was scanning the stack.
    pub const SCAN: u16 = 1 << 2;
    /// Go: `(durable)`, a synctest durably blocked wait.
    pub const DURABLE: u16 = 1 << 3;
    /// Any runtime: the dump was cut inside this task, frames may be
    /// missing.
    pub const PARTIAL: u16 = 1 << 4;
    /// Go: `goroutine running on other thread; stack unavailable`.
    pub const STACK_UNAVAILABLE: u16 = 1 << 5;
    /// Go: an M's g0 block (`goroutine 0 ... [idle]`), not a user goroutine.
    pub const SYSTEM_STACK: u16 = 1 << 6;
    /// Any runtime: the dump does not identify this task, it is one of the
    /// tasks a profile record counts (pprof debug=0/1). Its id is 0 and is
    /// never reported.
    pub const NO_ID: u16 = 1 << 7;
    /// Any runtime: a line inside this task could not be read (a corrupted
    /// byte, a log line written into the stack); the frames around it were
    /// kept, what the line held is missing.
    pub const DAMAGED: u16 = 1 << 8;
    /// Async tasks: one branch of a forked task, a future the task awaits
    /// together with the one on its own stack (`join!`, `select!`, the timer
    /// of a `timeout`). Its stack runs from the branch's leaf to the task's
    /// root; it carries the task's id, and [`Task::parent`] is that id.
    pub const BRANCH: u16 = 1 << 9;
    /// The flags any runtime may set.
    pub const COMMON: u16 =
        TaskFlags::PARTIAL | TaskFlags::NO_ID | TaskFlags::DAMAGED | TaskFlags::BRANCH;
    /// The flags only goroutines carry.
    pub const GO: u16 = TaskFlags::LEAKED
        | TaskFlags::LOCKED_TO_THREAD
        | TaskFlags::SCAN
        | TaskFlags::DURABLE
        | TaskFlags::STACK_UNAVAILABLE
        | TaskFlags::SYSTEM_STACK;
    /// Number of flags, for per-flag counters.
    pub const COUNT: usize = 10;

    /// Whether flag `flag` is set.
    pub fn has(self, flag: u16) -> bool {
        self.0 & flag != 0
    }
    /// Sets flag `flag`.
    pub fn set(&mut self, flag: u16) {
        self.0 |= flag;
    }
    /// All bits.
    pub fn bits(self) -> u16 {
        self.0
    }
    /// Names of the flags that are set, for reports.
    pub fn names(self) -> Vec<&'static str> {
        const NAMES: [(u16, &str); TaskFlags::COUNT] = [
            (TaskFlags::LEAKED, "leaked"),
            (TaskFlags::LOCKED_TO_THREAD, "locked_to_thread"),
            (TaskFlags::SCAN, "scan"),
            (TaskFlags::DURABLE, "durable"),
            (TaskFlags::PARTIAL, "partial"),
            (TaskFlags::STACK_UNAVAILABLE, "stack_unavailable"),
            (TaskFlags::SYSTEM_STACK, "system_stack"),
            (TaskFlags::NO_ID, "no_id"),
            (TaskFlags::DAMAGED, "damaged"),
            (TaskFlags::BRANCH, "branch"),
        ];
        NAMES
            .iter()
            .filter(|(bit, _)| self.has(*bit))
            .map(|(_, name)| *name)
            .collect()
    }
}

/// A byte range of a task's argument text, relative to [`Task::offset`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ArgSpan {
    /// Start of the text, relative to the task's offset.
    pub start: u32,
    /// Length of the text in bytes.
    pub len: u32,
}

/// Rarely present detail of a task that only one runtime prints, boxed to
/// keep [`Task`] small.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskDetail {
    /// What a Go traceback header and its ancestry blocks print.
    Go(GoTaskDetail),
    /// What a Java thread header prints beyond the name and state.
    Java(JavaTaskDetail),
}

/// Go detail of a goroutine (GODEBUG and synctest output).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GoTaskDetail {
    /// `gp=0x...`
    pub gp: Option<u64>,
    /// `m=N`; `Some(None)` for `m=nil`.
    pub m: Option<Option<u32>>,
    /// `mp=0x...`
    pub mp: Option<u64>,
    /// `synctest bubble N`
    pub bubble: Option<u64>,
    /// `[originating from goroutine N]:` blocks, newest ancestor first.
    pub ancestors: Vec<Ancestor>,
}

/// Java detail of a thread.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JavaTaskDetail {
    /// The header says `daemon`: the JVM exits without waiting for it.
    pub daemon: bool,
}

/// A goroutine that created the task's creator (`[originating from
/// goroutine N]:`), with the stack of its `go` statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ancestor {
    /// The ancestor goroutine's id.
    pub id: u64,
    /// Where it ran the `go` statement.
    pub stack: StackId,
    /// What created it (its own `created by` line inside the block), when
    /// printed.
    pub creator: Option<FrameId>,
}

/// One goroutine, thread or async task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    /// The id the dump prints (goroutine id, thread id or number, task
    /// id); 0 when it prints none (see [`TaskFlags::NO_ID`]).
    pub id: u64,
    /// The creating task's id, [`Task::NO_PARENT`] when unknown (read it
    /// with [`Task::parent_id`]; stored without an `Option` to keep the task
    /// small).
    pub parent: u64,
    /// What kind of task this is.
    pub kind: TaskKind,
    /// The thread or task name, for runtimes that have one (read it with
    /// `Snapshot::task_name`).
    pub name: Option<Sym>,
    /// The state as printed (`chan receive`, `IO wait`, `running`).
    pub state: Sym,
    /// What the state means across runtimes.
    pub class: StateClass,
    /// Minutes spent blocked, when the dump says (`, 5 minutes`).
    pub wait_minutes: Option<u32>,
    /// Flags the dump states (see [`TaskFlags`]).
    pub flags: TaskFlags,
    /// pprof labels (Go); the empty set otherwise.
    pub labels: LabelSetId,
    /// The call stack, innermost frame first.
    pub stack: StackId,
    /// The frame of the `go` statement (`created by`), when known.
    pub creator: Option<FrameId>,
    /// Index of the first of `stack.frames.len()` argument spans in
    /// `Snapshot::args`.
    pub args: u32,
    /// Byte offset of the task's first line in `Snapshot::text`.
    pub offset: u64,
    /// 1-based line number of the task's first line.
    pub line: u32,
    /// Hashes of the argument text: `[exact, pointers masked]`.
    pub arg_hash: [u64; 2],
    /// Runtime-specific detail, when the dump printed any.
    pub detail: Option<Box<TaskDetail>>,
}

impl Task {
    /// [`Task::parent`] when the creating task is unknown.
    pub const NO_PARENT: u64 = u64::MAX;

    /// The creating task's id, when the dump says (`created by ... in
    /// goroutine N`).
    pub fn parent_id(&self) -> Option<u64> {
        (self.parent != Task::NO_PARENT).then_some(self.parent)
    }

    /// Records the creating task's id (`None`: unknown).
    pub fn set_parent_id(&mut self, parent: Option<u64>) {
        self.parent = parent.unwrap_or(Task::NO_PARENT);
    }

    /// The Go detail, when the dump printed any.
    pub fn go_detail(&self) -> Option<&GoTaskDetail> {
        match self.detail.as_deref() {
            Some(TaskDetail::Go(go)) => Some(go),
            _ => None,
        }
    }

    /// The Go detail, created empty when absent.
    pub fn go_detail_mut(&mut self) -> &mut GoTaskDetail {
        if !matches!(self.detail.as_deref(), Some(TaskDetail::Go(_))) {
            self.detail = Some(Box::new(TaskDetail::Go(GoTaskDetail::default())));
        }
        match self.detail.as_deref_mut() {
            Some(TaskDetail::Go(go)) => go,
            _ => unreachable!("the Go detail was just set"),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_task_stays_96_bytes() {
        assert_eq!(std::mem::size_of::<super::Task>(), 96);
    }
}
