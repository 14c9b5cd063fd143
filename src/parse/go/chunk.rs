//! What the parallel readers of a Go traceback hand to the sequential
//! merge: per chunk of the input, its goroutines (with where their lines
//! went), the lines around them and the warnings, in input order.

use super::features::Features;
use crate::model::{ArgSpan, Sym, Tables, Task};

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

/// The bit of a packed line count that says a blank line ended the
/// goroutine.
const BLANK_AFTER: u32 = 1 << 31;

impl TaskLines {
    /// Hands the line count of `task` to the merge: the span and the blank
    /// line after it travel in the task's `name`, which goroutines never
    /// have, so that an item stays the size of a task (it is written once
    /// per goroutine and read again by the merge); the lines that could
    /// not be used, rare, follow as an item of their own.
    #[inline]
    pub(super) fn pack(self, task: &mut Task) -> Option<Item> {
        let blank = if self.blank_after { BLANK_AFTER } else { 0 };
        task.name = Some(Sym(self.span.min(BLANK_AFTER - 1) | blank));
        (self.unreadable | self.cut | self.over_limit != 0).then_some(Item::Skipped {
            unreadable: self.unreadable,
            cut: self.cut,
            over_limit: self.over_limit,
        })
    }

    /// Takes back the span and the blank line after it from a task
    /// [`pack`](Self::pack)ed.
    #[inline]
    pub(super) fn unpack(task: &mut Task) -> (u32, bool) {
        let packed = task.name.take().map_or(1, |sym| sym.0);
        (packed & !BLANK_AFTER, packed & BLANK_AFTER != 0)
    }
}

pub(super) enum Item {
    /// A goroutine, its line count [packed](TaskLines::pack) in it.
    Task(Task),
    /// Lines of the goroutine just before that were not used.
    Skipped {
        unreadable: u32,
        cut: u32,
        over_limit: u32,
    },
    /// `count` consecutive lines outside the goroutines, the first one
    /// numbered `line` (chunk-relative): bytes `start..end` of the text,
    /// the last line without its newline and trailing blanks. Kept as one
    /// item so that a long run of text between goroutines (blank lines,
    /// logs) costs nothing per line.
    Lines {
        line: u32,
        count: u32,
        start: usize,
        end: usize,
    },
    /// A warning with a chunk-relative line.
    Warn { line: u32, message: String },
}

pub(super) struct Chunk {
    pub(super) tables: Tables,
    pub(super) items: Vec<Item>,
    pub(super) args: Vec<ArgSpan>,
    pub(super) lines: u32,
    pub(super) features: Features,
}

#[cfg(test)]
mod tests {
    use super::super::ChunkParser;
    use super::Item;
    use crate::model::Task;

    /// An item, written once per goroutine and read again by the merge,
    /// is no larger than the goroutine it carries.
    #[test]
    fn an_item_is_the_size_of_a_task() {
        assert_eq!(std::mem::size_of::<Item>(), std::mem::size_of::<Task>());
    }

    /// Lines outside the goroutines cost one item per run, not per line:
    /// 150 MB of blank lines after one goroutine must not cost memory per
    /// line.
    #[test]
    fn lines_outside_goroutines_are_kept_as_runs() {
        let path = format!(
            "{}/samples/go/healthy-service/debug2.txt",
            env!("CARGO_MANIFEST_DIR")
        );
        let dump = std::fs::read(path).expect("sample");
        let mut text = dump.clone();
        text.extend(std::iter::repeat_n(b'\n', 100_000));
        for _ in 0..1000 {
            text.extend_from_slice(b"some program output between dumps\n\n");
        }
        text.extend_from_slice(&dump);
        let chunk = ChunkParser::new(&text, 0, text.len()).run();
        let runs: Vec<u32> = chunk
            .items
            .iter()
            .filter_map(|item| match item {
                Item::Lines { count, .. } => Some(*count),
                _ => None,
            })
            .collect();
        assert!(runs.len() <= 4, "{} runs", runs.len());
        assert!(runs.iter().map(|&c| u64::from(c)).sum::<u64>() >= 101_000);
    }
}
