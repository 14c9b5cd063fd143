//! The contract every input format implements ([`InputFormat`]), what a
//! parser returns ([`Dumps`]) and the options parsing takes
//! ([`ParseOptions`]). The table of formats lives in `parse/mod.rs`; this
//! file imports no parser, so every parser can implement the trait.

use crate::model::heap::HeapProfile;
use crate::model::{Bytes, Snapshot};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

/// One input format dumpscope reads: its names, how it is recognised and
/// how it is parsed. Each parser module implements it once: a
/// [`SnapshotFormat`] constant when its parser needs only its input and
/// returns snapshots, a unit struct otherwise (heap profiles, protobuf,
/// options); `parse::FORMATS` lists them in detection order.
pub trait InputFormat: Sync {
    /// The format id, as reports print it and `--input-format` accepts it
    /// (`go-traceback`).
    fn id(&self) -> &'static str;

    /// Other names `--input-format` accepts (`go`).
    fn aliases(&self) -> &'static [&'static str] {
        &[]
    }

    /// One line for `--input-format`'s help: what the format is.
    fn help(&self) -> &'static str;

    /// How the "no known dump format found (expected ...)" message names
    /// it, or `None` when another format's phrase already covers it (the
    /// protobuf and text variants of one profiler).
    fn expected(&self) -> Option<&'static str>;

    /// How sure this format is that it reads `text`, on a scale from 0.0
    /// to 1.0:
    ///
    /// - `0.0`: not this format (nothing it recognises). A format is only
    ///   chosen with a confidence above 0.0.
    /// - low (up to about 0.5): a few lines that could belong to it, or its
    ///   shapes mixed with much unrelated text; a weak guess another format
    ///   should win over.
    /// - high (0.8 and above): its headers and frames, in the order it
    ///   prints them, on most of the lines looked at.
    /// - `1.0`: certain (a magic number, a structured document of this
    ///   format).
    ///
    /// The format with the highest confidence wins; on a tie, the one
    /// listed first in `parse::FORMATS`.
    fn detect(&self, text: &[u8]) -> f32;

    /// Where a line that certainly belongs to a dump of this format starts
    /// (the byte offset of, for example, `goroutine 1 [running]:`), for the
    /// input layer's log-prefix detection. `None` for raw formats and lines
    /// that are not such an anchor.
    fn anchor(&self, _line: &[u8]) -> Option<usize> {
        None
    }

    /// Binary or structured formats (protobuf, JSON): read as they are,
    /// never unwrapped (log prefixes, CRLF) like text.
    fn is_raw(&self) -> bool {
        false
    }

    /// Reads every dump in `text` (`source` names the input in warnings
    /// and reports). An `Err` is a message saying why the input cannot be
    /// read as this format at all.
    fn parse(&self, text: Bytes, source: &str, opts: &ParseOptions) -> Result<Dumps, String>;
}

/// A format whose parser only needs its input and returns snapshots (the
/// thread dumps, backtraces and JSON thread dumps), described as data: its
/// module states its names, its detector and its parser in one constant,
/// and this implements [`InputFormat`] for all of them.
pub struct SnapshotFormat {
    /// The format id ([`InputFormat::id`]).
    pub id: &'static str,
    /// Other names `--input-format` accepts.
    pub aliases: &'static [&'static str],
    /// One line for `--input-format`'s help.
    pub help: &'static str,
    /// How the "no known dump format" message names it.
    pub expected: Option<&'static str>,
    /// The detector, on the scale of [`InputFormat::detect`].
    pub detect: fn(&[u8]) -> f32,
    /// How the input is read.
    pub reader: SnapshotReader,
}

/// How a [`SnapshotFormat`] reads its input.
pub enum SnapshotReader {
    /// Text, unwrapped first (log prefixes, CRLF): `anchor` finds where a
    /// line that certainly belongs to the dump starts, `parse` reads every
    /// dump in the text (`source` names the input).
    Text {
        /// [`InputFormat::anchor`].
        anchor: fn(&[u8]) -> Option<usize>,
        /// The parser.
        parse: fn(Bytes, &str) -> Vec<Snapshot>,
    },
    /// A JSON document read as it is; an `Err` says why it cannot be read.
    Json(fn(&[u8], &str) -> Result<Vec<Snapshot>, String>),
}

impl InputFormat for SnapshotFormat {
    fn id(&self) -> &'static str {
        self.id
    }

    fn aliases(&self) -> &'static [&'static str] {
        self.aliases
    }

    fn help(&self) -> &'static str {
        self.help
    }

    fn expected(&self) -> Option<&'static str> {
        self.expected
    }

    fn detect(&self, text: &[u8]) -> f32 {
        (self.detect)(text)
    }

    fn anchor(&self, line: &[u8]) -> Option<usize> {
        match self.reader {
            SnapshotReader::Text { anchor, .. } => anchor(line),
            SnapshotReader::Json(_) => None,
        }
    }

    fn is_raw(&self) -> bool {
        matches!(self.reader, SnapshotReader::Json(_))
    }

    fn parse(&self, text: Bytes, source: &str, _opts: &ParseOptions) -> Result<Dumps, String> {
        let snapshots = match self.reader {
            SnapshotReader::Text { parse, .. } => parse(text, source),
            SnapshotReader::Json(parse) => parse(&text, source)?,
        };
        Ok(Dumps::of_snapshots(snapshots))
    }
}

/// Everything read from one input.
#[derive(Default)]
pub struct Dumps {
    /// Goroutine, thread and task dumps.
    pub snapshots: Vec<Snapshot>,
    /// Heap profiles.
    pub heaps: Vec<HeapProfile>,
}

impl Dumps {
    /// Dumps holding only thread or goroutine snapshots.
    pub fn of_snapshots(snapshots: Vec<Snapshot>) -> Self {
        Dumps {
            snapshots,
            heaps: Vec::new(),
        }
    }

    /// Dumps holding only heap profiles.
    pub fn of_heaps(heaps: Vec<HeapProfile>) -> Self {
        Dumps {
            snapshots: Vec::new(),
            heaps,
        }
    }
}

/// A format dumpscope reads: a handle on one entry of `parse::FORMATS`
/// (its methods, in `parse/mod.rs`, read the entry).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Format(pub(super) u8);

/// Options for parsing.
#[derive(Debug, Clone, Default)]
pub struct ParseOptions {
    /// Force a format instead of detecting it.
    pub format: Option<Format>,
    /// Options of the Go traceback parser.
    pub go: GoOptions,
}

/// Options of the Go parser.
#[derive(Debug, Clone, Default)]
pub struct GoOptions {
    /// Parse in parallel when the input is at least this large (bytes);
    /// 0 means the default (4 MiB).
    pub parallel_threshold: usize,
    /// Progress: bytes parsed so far, updated per chunk.
    pub progress: Option<Arc<AtomicU64>>,
}
