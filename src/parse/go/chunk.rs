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

#[cfg(test)]
mod tests {
    use super::super::ChunkParser;
    use super::Item;

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
