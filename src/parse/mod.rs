//! Parsers: one module per format, each implementing [`InputFormat`] (how
//! sure it is that it reads a text, and how it turns it into [`Snapshot`]s
//! and heap profiles). `FORMATS` lists them in detection order and
//! [`parse_input`] unwraps, detects and parses one input with them.

pub mod dhat;
pub mod elfcore;
pub mod go;
pub mod java;
pub mod jemalloc;
pub mod native;
pub mod pprof;
pub mod python;
pub mod threads;

pub mod format;
mod info;
mod locate;

pub use format::{
    Dumps, Format, GoOptions, InputFormat, ParseOptions, SnapshotFormat, SnapshotReader,
};
pub use info::InputInfo;

use crate::input;
use crate::model::heap::HeapProfile;
use crate::model::{Bytes, Snapshot};

/// Every format dumpscope reads, in detection order: on a tie in
/// confidence the first wins, raw formats are tried first in this order,
/// and the earliest anchor any of them finds in a log line is where its
/// dump part starts. A new format is one module implementing
/// [`InputFormat`] plus one line here.
const FORMATS: &[&dyn InputFormat] = &[
    &go::GoTraceback,
    &pprof::text::GoProfileText,
    &pprof::decode::Pprof,
    &jemalloc::Jemalloc,
    &dhat::Dhat,
    &native::rust::RUST_BACKTRACE,
    &native::frames::NATIVE_BACKTRACE,
    &java::JAVA_THREADS,
    &native::gdb::GDB_THREADS,
    &java::JAVA_JSON,
    &python::PYTHON_THREADS,
    &python::PY_SPY_JSON,
    &native::tokio::TOKIO_TASKS,
    &elfcore::ElfCore,
];

/// One handle per entry of [`FORMATS`], for [`Format::all`] and clap.
static HANDLES: [Format; FORMATS.len()] = handles();

const fn handles<const N: usize>() -> [Format; N] {
    let mut all = [Format(0); N];
    let mut index = 0;
    while index < N {
        all[index] = Format(index as u8);
        index += 1;
    }
    all
}

impl Format {
    /// The table entry this handle stands for.
    fn def(self) -> &'static dyn InputFormat {
        FORMATS[self.0 as usize]
    }

    /// The format id (`go-traceback`).
    pub fn id(self) -> &'static str {
        self.def().id()
    }

    /// Every format, in detection order.
    pub fn all() -> &'static [Format] {
        &HANDLES
    }

    /// The format with this id or alias (as `--input-format` takes it).
    pub fn named(name: &str) -> Option<Format> {
        Format::all()
            .iter()
            .copied()
            .find(|format| format.id() == name || format.def().aliases().contains(&name))
    }

    fn is_raw(self) -> bool {
        self.def().is_raw()
    }

    fn anchor(self, line: &[u8]) -> Option<usize> {
        self.def().anchor(line)
    }

    fn detect(self, text: &[u8]) -> f32 {
        self.def().detect(text)
    }

    fn parse(self, text: Bytes, source: &str, opts: &ParseOptions) -> Result<Dumps, String> {
        self.def().parse(text, source, opts)
    }
}

impl std::fmt::Debug for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Format({})", self.id())
    }
}

impl clap::ValueEnum for Format {
    fn value_variants<'a>() -> &'a [Self] {
        Format::all()
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        let def = self.def();
        Some(
            clap::builder::PossibleValue::new(def.id())
                .help(def.help())
                .aliases(def.aliases().iter().copied()),
        )
    }
}

/// The result of reading one input.
pub struct Parsed {
    /// The format the input was read as.
    pub format: Format,
    /// How sure detection was (1.0 when forced).
    pub confidence: f32,
    /// What the input layer did to find the dump (`stripped RFC 3339 ...`).
    pub notes: Vec<String>,
    /// The dumps found, in input order.
    pub snapshots: Vec<Snapshot>,
    /// Heap snapshots.
    pub heaps: Vec<HeapProfile>,
}

/// Why an input could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// No format recognised the input.
    #[error("'{name}': no known dump format found (expected {expected}); use --input-format to force one")]
    UnknownFormat {
        /// The input's name.
        name: String,
        /// The formats that were tried, for the message.
        expected: String,
    },
    /// The input holds nothing but blank space.
    #[error("'{name}': the input is empty")]
    EmptyInput {
        /// The input's name.
        name: String,
    },
    /// The input was read in the chosen format but held no dump of it.
    #[error("'{name}': read as {format}, but no {format} dump was found in it")]
    Empty {
        /// The input's name.
        name: String,
        /// The format the input was read as.
        format: &'static str,
    },
    /// The parser gave up on the input (a corrupt protobuf, invalid JSON).
    #[error("'{name}': {message}")]
    Unreadable {
        /// The input's name.
        name: String,
        /// What the parser reported.
        message: String,
    },
}

/// Unwraps, detects and parses one loaded input.
pub fn parse_input(name: &str, data: Bytes, opts: &ParseOptions) -> Result<Parsed, ParseError> {
    if data.iter().all(u8::is_ascii_whitespace) {
        return Err(ParseError::EmptyInput {
            name: name.to_string(),
        });
    }
    let formats: Vec<Format> = match opts.format {
        Some(f) => vec![f],
        None => Format::all().to_vec(),
    };
    // Binary and JSON formats are read as they are.
    let raw = formats
        .iter()
        .copied()
        .filter(|f| f.is_raw())
        .map(|f| {
            (
                f,
                if opts.format.is_some() {
                    1.0
                } else {
                    f.detect(&data)
                },
            )
        })
        .find(|(_, c)| *c > 0.0);
    if let Some((format, confidence)) = raw {
        return finish(name, format, confidence, Vec::new(), data, opts);
    }
    // The earliest start any format finds: a line that is a dump line of
    // one format as it stands has no prefix, whatever another format finds
    // further in (a frame-like `#3 ... (` inside a Java thread header).
    let anchor = |l: &[u8]| formats.iter().filter_map(|f| f.anchor(l)).min();
    let unwrapped = input::unwrap(data, &anchor);
    let text = unwrapped.bytes;
    // Detection looks at the whole text: a dump after megabytes of logs
    // is found where it starts (see `locate`).
    let found = match opts.format {
        Some(format) => locate::Found {
            format,
            confidence: 1.0,
            start: 0,
            line: 1,
        },
        None => match locate::first_dump(&formats, &text) {
            Some(found) => found,
            None => {
                return Err(ParseError::UnknownFormat {
                    name: name.to_string(),
                    expected: expected_formats(),
                })
            }
        },
    };
    let (format, confidence) = (found.format, found.confidence);
    let mut notes = unwrapped.notes;
    if found.start > 0 {
        notes.push(format!(
            "the first {} dump starts at line {}, after {} of other text",
            format.id(),
            found.line,
            size(found.start)
        ));
    }
    let times = unwrapped.times;
    let mut parsed = finish(name, format, confidence, notes, text.clone(), opts)?;
    if opts.format.is_none() {
        // Dumps of another format in the text the chosen format left out
        // (a Java thread dump, then a Go dump) are read with their own
        // format, and named in a note.
        let gaps = gaps(&parsed.snapshots, found.start, &text);
        let mut read_more = false;
        for other in locate::other_dumps(&formats, format, &text, &gaps) {
            let more = read_other(name, other.format, &text, &gaps, opts);
            let id = other.format.id();
            if more.is_empty() {
                parsed.notes.push(format!(
                    "a {id} dump also starts at line {} but could not be read: read it alone with --input-format {id}",
                    other.line
                ));
                continue;
            }
            let tasks: usize = more.iter().map(|s| s.tasks.len()).sum();
            parsed.notes.push(format!(
                "a {id} dump also starts at line {}: read as {id} ({})",
                other.line,
                counted(more.len(), "dump", tasks)
            ));
            parsed.snapshots.extend(more);
            read_more = true;
        }
        if read_more {
            // In input order: by where each dump's first task is.
            parsed
                .snapshots
                .sort_by_key(|s| s.tasks.iter().map(|t| t.offset).min().unwrap_or(s.range.0));
            for (index, s) in parsed.snapshots.iter_mut().enumerate() {
                s.index = index;
            }
        }
    }
    // Each dump's time: the log prefix timestamp of the line its first task
    // starts on (or of the last new second before it); the range of a dump
    // may also cover the dumps left out before it over the limit.
    if !times.is_empty() {
        for s in &mut parsed.snapshots {
            let at = s.tasks.first().map_or(s.range.0, |t| t.offset);
            let index = times.partition_point(|&(off, _)| off <= at);
            s.time_unix = index.checked_sub(1).map(|index| times[index].1);
        }
    }
    Ok(parsed)
}

/// The byte ranges of `from..text.len()` outside every snapshot: a
/// snapshot covers its range from its first task (some parsers start the
/// first dump's range at the start of the text) up to the first blank line
/// after its last task (some end it at the end of the text).
fn gaps(snapshots: &[Snapshot], from: usize, text: &[u8]) -> Vec<(usize, usize)> {
    let len = text.len();
    let mut ranges: Vec<(usize, usize)> = snapshots
        .iter()
        .map(|s| {
            let first = s.tasks.iter().map(|t| t.offset).min().unwrap_or(s.range.0);
            let (start, end) = (first.max(s.range.0) as usize, (s.range.1 as usize).min(len));
            let last = s.tasks.iter().map(|t| t.offset as usize).max();
            let end = match last {
                Some(last) if last >= start && last < end => {
                    memchr::memmem::find(&text[last..end], b"\n\n").map_or(end, |i| last + i + 2)
                }
                _ => end,
            };
            (start, end)
        })
        .collect();
    ranges.sort_unstable();
    let mut out = Vec::new();
    let mut at = from;
    for (start, end) in ranges {
        if start > at {
            out.push((at, start.min(len)));
        }
        at = at.max(end);
    }
    if at < len {
        out.push((at, len));
    }
    out
}

/// The dumps `format` reads in the `gaps` of `text` (the text outside the
/// dumps of the format chosen first): the whole text is read, so that line
/// numbers and offsets stay those of the input, and the snapshots whose
/// every task lies in a gap are kept, with the warnings of their own lines.
fn read_other(
    name: &str,
    format: Format,
    text: &Bytes,
    gaps: &[(usize, usize)],
    opts: &ParseOptions,
) -> Vec<Snapshot> {
    let Ok(dumps) = format.parse(text.clone(), name, opts) else {
        return Vec::new();
    };
    let in_gap = |offset: u64| {
        let i = gaps.partition_point(|&(_, end)| end as u64 <= offset);
        gaps.get(i)
            .is_some_and(|&(start, _)| start as u64 <= offset)
    };
    // The line numbers the gaps span, for the warnings kept.
    let line_at = |offset: usize| {
        1 + memchr::memchr_iter(b'\n', &text[..offset.min(text.len())]).count() as u64
    };
    let lines: Vec<(u64, u64)> = gaps
        .iter()
        .map(|&(start, end)| (line_at(start), line_at(end)))
        .collect();
    dumps
        .snapshots
        .into_iter()
        .filter(|s| !s.tasks.is_empty() && s.tasks.iter().all(|t| in_gap(t.offset)))
        .map(|mut s| {
            s.warnings
                .retain(|w| lines.iter().any(|&(a, b)| (a..=b).contains(&w.line)));
            s
        })
        .collect()
}

/// `2 dumps, 40 tasks`, `1 dump, 1 task`.
fn counted(dumps: usize, what: &str, tasks: usize) -> String {
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    format!(
        "{dumps} {what}{}, {tasks} task{}",
        plural(dumps),
        plural(tasks)
    )
}

/// A byte count for a note: `8.0 MiB`, `512 KiB`, `300 bytes`.
fn size(bytes: usize) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / (1 << 20) as f64),
        b if b >= 1 << 10 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}

fn finish(
    name: &str,
    format: Format,
    confidence: f32,
    notes: Vec<String>,
    text: Bytes,
    opts: &ParseOptions,
) -> Result<Parsed, ParseError> {
    let dumps = format
        .parse(text, name, opts)
        .map_err(|message| ParseError::Unreadable {
            name: name.to_string(),
            message,
        })?;
    if dumps.snapshots.is_empty() && dumps.heaps.is_empty() {
        return Err(ParseError::Empty {
            name: name.to_string(),
            format: format.id(),
        });
    }
    Ok(Parsed {
        format,
        confidence,
        notes,
        snapshots: dumps.snapshots,
        heaps: dumps.heaps,
    })
}

/// A human list of what dumpscope reads, for error messages: the formats'
/// phrases in detection order.
pub fn expected_formats() -> String {
    let phrases: Vec<&str> = FORMATS
        .iter()
        .filter_map(|format| format.expected())
        .collect();
    match phrases.split_last() {
        Some((last, [])) => last.to_string(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}
