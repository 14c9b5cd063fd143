//! What the parallel readers of a Go traceback hand to the sequential
//! merge: per chunk of the input, its goroutines (with where their lines
//! went), the lines around them and the warnings, in input order.

use super::features::Features;
use crate::model::{ArgSpan, Tables, Task};

/// The format id of Go tracebacks.
pub const FORMAT: &str = "go-traceback";

/// At most this many warnings are kept per snapshot.
pub(super) const MAX_WARNINGS: usize = 1000;

/// Where the lines of one goroutine went: all of them used but those
/// counted here.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct TaskLines {
    /// Lines from the header to the last line read into the goroutine.
    pub(super) span: u32,
    /// The blank line that ended it, when one did.
    pub(super) blank_after: bool,
    /// Lines that could not be read (each warned).
    pub(super) unreadable: u32,
    /// A last line cut off by the end of the input, not kept.
    pub(super) cut: u32,
    /// Lines of frames beyond the per-stack limit.
    pub(super) over_limit: u32,
}

pub(super) enum Item {
    Task(Task, TaskLines),
    Line {
        line: u32,
        start: usize,
        end: usize,
    },
    /// A warning with a chunk-relative line.
    Warn {
        line: u32,
        message: String,
    },
}

pub(super) struct Chunk {
    pub(super) tables: Tables,
    pub(super) items: Vec<Item>,
    pub(super) args: Vec<ArgSpan>,
    pub(super) lines: u32,
    pub(super) features: Features,
}
