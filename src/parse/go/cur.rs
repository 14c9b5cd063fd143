//! The state of the goroutine a chunk reader is reading.

use super::chunk::TaskLines;
use crate::model::{Ancestor, FrameId, StateClass, Sym, Task, TaskFlags, TaskKind};
use rustc_hash::FxHasher;

/// The goroutine being read. One per chunk, reset at each header: the
/// goroutine is moved out when it ends, nothing else of it is moved.
pub(super) struct Cur<'a> {
    pub(super) task: Task,
    /// The header's state is `semacquire` (before Go 1.20: the frames tell
    /// a mutex from a WaitGroup).
    pub(super) semacquire: bool,
    pub(super) frames: Vec<FrameId>,
    pub(super) elided: Option<(u32, u32)>,
    /// A function line waiting for its file line: (name, args start, args
    /// len, line number).
    pub(super) pending: Option<(&'a [u8], u32, u32, u32)>,
    /// `created by` waiting for its file line.
    pub(super) creator_pending: Option<(&'a [u8], u32)>,
    pub(super) ancestors: Vec<Ancestor>,
    /// Reading an ancestor block: its id and frames.
    pub(super) ancestor: Option<(u64, Vec<FrameId>, Option<FrameId>)>,
    /// Where its lines went.
    pub(super) lines: TaskLines,
    /// The line number of the header.
    pub(super) first_line: u32,
    pub(super) h_exact: FxHasher,
    pub(super) h_ptr: FxHasher,
}

/// A goroutine with nothing read into it yet.
pub(super) fn blank_task() -> Task {
    Task {
        id: 0,
        parent: Task::NO_PARENT,
        kind: TaskKind::Goroutine,
        name: None,
        state: Sym(0),
        class: StateClass::Other,
        wait_minutes: None,
        flags: TaskFlags::default(),
        labels: Default::default(),
        stack: Default::default(),
        creator: None,
        args: 0,
        offset: 0,
        line: 0,
        arg_hash: [0; 2],
        detail: None,
    }
}

impl Cur<'_> {
    pub(super) fn new() -> Self {
        Cur {
            task: blank_task(),
            semacquire: false,
            frames: Vec::new(),
            elided: None,
            pending: None,
            creator_pending: None,
            ancestors: Vec::new(),
            ancestor: None,
            lines: TaskLines::default(),
            first_line: 0,
            h_exact: FxHasher::default(),
            h_ptr: FxHasher::default(),
        }
    }
}
