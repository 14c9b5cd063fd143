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

/// The bit of a [`Span`] that says a blank line ended the goroutine.
const BLANK_AFTER: u32 = 1 << 31;

/// The lines of one goroutine as the merge counts them: how many from its
/// header to its last line, and whether a blank line ended it, in one
/// word (one per goroutine, beside the goroutine).
#[derive(Debug, Clone, Copy)]
pub(super) struct Span(u32);

impl Span {
    /// The number of lines (at least 1) and whether a blank line followed.
    #[inline]
    pub(super) fn get(self) -> (u32, bool) {
        ((self.0 & !BLANK_AFTER).max(1), self.0 & BLANK_AFTER != 0)
    }
}

impl TaskLines {
    /// Splits the count for the merge: the span and the blank line after
    /// it, and the lines that could not be used (rare) as an event of
    /// their own.
    #[inline]
    pub(super) fn split(self) -> (Span, Option<Event>) {
        let blank = if self.blank_after { BLANK_AFTER } else { 0 };
        let span = Span(self.span.min(BLANK_AFTER - 1) | blank);
        let skipped =
            (self.unreadable | self.cut | self.over_limit != 0).then_some(Event::Skipped {
                unreadable: self.unreadable,
                cut: self.cut,
                over_limit: self.over_limit,
            });
        (span, skipped)
    }
}

/// What a chunk holds besides its goroutines, each placed before the
/// goroutine of its index in [`Chunk::tasks`] (or after the last one).
pub(super) enum Event {
    /// Lines of the goroutine just before that were not used.
    Skipped {
        unreadable: u32,
        cut: u32,
        over_limit: u32,
    },
    /// `count` consecutive lines outside the goroutines, the first one
    /// numbered `line` (chunk-relative): bytes `start..end` of the text,
    /// the last line without its newline and trailing blanks. Kept as one
    /// event so that a long run of text between goroutines (blank lines,
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

/// What one parallel reader hands to the merge. The goroutines, the bulk
/// of a dump, travel in a vector of their own that the merge moves in runs
/// into the snapshot being built; the rest, rare in a dump, comes as
/// events placed between them.
pub(super) struct Chunk {
    pub(super) tables: Tables,
    /// The goroutines, in input order.
    pub(super) tasks: Vec<Task>,
    /// The lines of each goroutine of `tasks`, at the same index.
    pub(super) spans: Vec<Span>,
    /// The other items, in input order, each with the index in `tasks` of
    /// the goroutine it comes before.
    pub(super) events: Vec<(u32, Event)>,
    pub(super) args: Vec<ArgSpan>,
    pub(super) lines: u32,
    pub(super) features: Features,
}

#[cfg(test)]
mod tests {
    use super::super::ChunkParser;
    use super::Event;

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
            .events
            .iter()
            .filter_map(|(_, event)| match event {
                Event::Lines { count, .. } => Some(*count),
                _ => None,
            })
            .collect();
        assert!(runs.len() <= 4, "{} runs", runs.len());
        assert!(runs.iter().map(|&c| u64::from(c)).sum::<u64>() >= 101_000);
    }
}
