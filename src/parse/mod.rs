//! Parsers: one module per format. Each can say how sure it is that it reads
//! a text ([`detect`]) and turns it into [`Snapshot`]s.

pub mod dhat;
pub mod go;
pub mod java;
pub mod jemalloc;
pub mod native;
pub mod pprof;
pub mod python;

use crate::input::{self, Bytes};
use crate::model::heap::HeapProfile;
use crate::model::Snapshot;

/// A format dumpscope reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Go tracebacks: panics, fatal errors, SIGQUIT, pprof debug=2.
    #[value(name = "go-traceback", alias = "go")]
    GoTraceback,
    /// Go pprof text profiles (debug=1): goroutine, goroutineleak and the
    /// legacy heap profile.
    #[value(name = "go-pprof-text", alias = "pprof-text")]
    GoProfileText,
    /// pprof protobuf (`profile.proto`, gzip or raw): goroutine,
    /// goroutineleak and heap profiles, incl. the per-goroutine variant.
    #[value(name = "pprof", alias = "proto")]
    Pprof,
    /// jemalloc heap profiles (`heap_v2/N`, as jeprof reads them).
    #[value(name = "jemalloc-heap", alias = "jemalloc")]
    Jemalloc,
    /// dhat-rs heap profiles (`dhat-heap.json`).
    #[value(name = "dhat")]
    Dhat,
    /// Rust panics and backtraces (`RUST_BACKTRACE=1` or `full`,
    /// `std::backtrace::Backtrace` output).
    #[value(name = "rust-backtrace", alias = "rust")]
    RustBacktrace,
    /// Native backtraces: glibc backtrace_symbols, AddressSanitizer and
    /// ThreadSanitizer reports, eu-stack, Android tombstones.
    #[value(name = "native-backtrace", alias = "native")]
    NativeBacktrace,
    /// JDK 21+ JSON thread dumps (`jcmd PID Thread.dump_to_file -format=json`).
    #[value(name = "java-json")]
    JavaJson,
    /// gdb `thread apply all bt [full]` and lldb `bt all`.
    #[value(name = "gdb-threads", alias = "gdb", alias = "lldb")]
    GdbThreads,
    /// Async task trees: tokio task dumps and async-backtrace trees.
    #[value(name = "tokio-taskdump", alias = "tokio", alias = "async-backtrace")]
    TokioTasks,
    /// Python thread dumps: faulthandler and `py-spy dump` text.
    #[value(name = "python-threads", alias = "python", alias = "py-spy")]
    PythonThreads,
    /// `py-spy dump --json`.
    #[value(name = "py-spy-json")]
    PySpyJson,
    /// Java thread dumps: jstack, jcmd Thread.print, SIGQUIT output.
    #[value(name = "java-threads", alias = "java", alias = "jstack")]
    JavaThreads,
}

impl Format {
    pub fn id(self) -> &'static str {
        match self {
            Format::GoTraceback => go::FORMAT,
            Format::GoProfileText => pprof::text::GOROUTINE_FORMAT,
            Format::Pprof => pprof::decode::FORMAT,
            Format::Jemalloc => jemalloc::FORMAT,
            Format::Dhat => dhat::FORMAT,
            Format::RustBacktrace => native::rust::FORMAT,
            Format::NativeBacktrace => native::frames::FORMAT,
            Format::JavaThreads => java::FORMAT,
            Format::GdbThreads => native::gdb::FORMAT,
            Format::JavaJson => java::JSON_FORMAT,
            Format::PythonThreads => python::FORMAT,
            Format::TokioTasks => native::tokio::FORMAT,
            Format::PySpyJson => python::JSON_FORMAT,
        }
    }

    pub fn all() -> &'static [Format] {
        &[
            Format::GoTraceback,
            Format::GoProfileText,
            Format::Pprof,
            Format::Jemalloc,
            Format::Dhat,
            Format::RustBacktrace,
            Format::NativeBacktrace,
            Format::JavaThreads,
            Format::GdbThreads,
            Format::JavaJson,
            Format::PythonThreads,
            Format::PySpyJson,
            Format::TokioTasks,
        ]
    }

    /// Binary or structured formats: read as they are, never unwrapped
    /// (log prefixes, CRLF) like text.
    fn is_raw(self) -> bool {
        matches!(
            self,
            Format::Pprof | Format::Dhat | Format::PySpyJson | Format::JavaJson
        )
    }

    /// What a line of this format that certainly belongs to a dump looks like,
    /// for the input layer's log-prefix detection.
    fn anchor(self, line: &[u8]) -> Option<usize> {
        match self {
            Format::GoTraceback => go::line::find_header(line),
            Format::GoProfileText => pprof::text::find_header(line)
                .map(|(p, _)| p)
                .or_else(|| memchr::memmem::find(line, b"#\t0x")),
            Format::Jemalloc => jemalloc::find_header(line),
            Format::RustBacktrace => native::rust::find_header(line),
            Format::NativeBacktrace => native::frames::find_header(line),
            Format::JavaThreads => java::find_header(line),
            Format::GdbThreads => native::gdb::find_header(line),
            Format::PythonThreads => python::find_header(line),
            Format::TokioTasks => native::tokio::find_header(line),
            Format::Pprof | Format::Dhat | Format::PySpyJson | Format::JavaJson => None,
        }
    }

    fn detect(self, text: &[u8]) -> f32 {
        match self {
            Format::GoTraceback => go::detect(text),
            Format::GoProfileText => pprof::text::detect(text),
            Format::Pprof => pprof::decode::detect(text),
            Format::Jemalloc => jemalloc::detect(text),
            Format::Dhat => dhat::detect(text),
            Format::RustBacktrace => native::rust::detect(text),
            Format::NativeBacktrace => native::frames::detect(text),
            Format::JavaThreads => java::detect(text),
            Format::GdbThreads => native::gdb::detect(text),
            Format::JavaJson => java::detect_json(text),
            Format::PythonThreads => python::detect(text),
            Format::PySpyJson => python::detect_json(text),
            Format::TokioTasks => native::tokio::detect(text),
        }
    }

    fn parse(self, text: Bytes, source: &str, opts: &ParseOptions) -> Result<Dumps, String> {
        let mut d = Dumps::default();
        match self {
            Format::GoTraceback => d.snapshots = go::parse(text, source, &opts.go),
            Format::GoProfileText => {
                let r = pprof::text::parse(text, source);
                d.snapshots = r.snapshots;
                d.heaps = r.heaps;
            }
            Format::Pprof => match pprof::decode::parse(text, source) {
                pprof::decode::Read::Goroutines(s) => d.snapshots.push(*s),
                pprof::decode::Read::Heap(h) => d.heaps.push(*h),
                pprof::decode::Read::Unsupported(types) => {
                    return Err(format!(
                        "a pprof profile of {types}: dumpscope reads goroutine, goroutineleak and heap profiles"
                    ))
                }
            },
            Format::Jemalloc => d.heaps = jemalloc::parse(text, source),
            Format::Dhat => d.heaps.push(dhat::parse(&text, source)?),
            Format::RustBacktrace => d.snapshots = native::rust::parse(text, source),
            Format::NativeBacktrace => d.snapshots = native::frames::parse(text, source),
            Format::JavaThreads => d.snapshots = java::parse(text, source),
            Format::GdbThreads => d.snapshots = native::gdb::parse(text, source),
            Format::JavaJson => d.snapshots = java::parse_json(&text, source)?,
            Format::PythonThreads => d.snapshots = python::parse(text, source),
            Format::PySpyJson => d.snapshots = python::parse_json(&text, source)?,
            Format::TokioTasks => d.snapshots = native::tokio::parse(text, source),
        }
        Ok(d)
    }
}

/// Everything read from one input.
#[derive(Default)]
pub struct Dumps {
    pub snapshots: Vec<Snapshot>,
    pub heaps: Vec<HeapProfile>,
}

/// Options for parsing.
#[derive(Debug, Clone, Default)]
pub struct ParseOptions {
    /// Force a format instead of detecting it.
    pub format: Option<Format>,
    pub go: go::Options,
}

/// The result of reading one input.
pub struct Parsed {
    pub format: Format,
    /// How sure detection was (1.0 when forced).
    pub confidence: f32,
    /// What the input layer did to find the dump (`stripped RFC 3339 ...`).
    pub notes: Vec<String>,
    pub snapshots: Vec<Snapshot>,
    /// Heap snapshots.
    pub heaps: Vec<HeapProfile>,
}

/// Why an input could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("'{name}': no known dump format found (expected {expected}); use --input-format to force one")]
    UnknownFormat { name: String, expected: String },
    #[error("'{name}': read as {format}, but no {format} dump was found in it")]
    Empty { name: String, format: &'static str },
    #[error("'{name}': {message}")]
    Unreadable { name: String, message: String },
}

/// Unwraps, detects and parses one loaded input.
pub fn parse_input(name: &str, data: Bytes, opts: &ParseOptions) -> Result<Parsed, ParseError> {
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
    let anchor = |l: &[u8]| formats.iter().find_map(|f| f.anchor(l));
    let unwrapped = input::unwrap(data, &anchor);
    let text = unwrapped.bytes;
    let (format, confidence) = match opts.format {
        Some(f) => (f, 1.0),
        None => {
            let best = formats.iter().map(|&f| (f, f.detect(&text))).fold(
                None::<(Format, f32)>,
                |acc, x| match acc {
                    Some(a) if a.1 >= x.1 => Some(a),
                    _ => Some(x),
                },
            );
            match best {
                Some((f, c)) if c > 0.0 => (f, c),
                _ => {
                    return Err(ParseError::UnknownFormat {
                        name: name.to_string(),
                        expected: expected_formats(),
                    })
                }
            }
        }
    };
    let times = unwrapped.times;
    let mut parsed = finish(name, format, confidence, unwrapped.notes, text, opts)?;
    // Each dump's time: the log prefix timestamp of the line it starts on
    // (or of the last new second before it).
    if !times.is_empty() {
        for s in &mut parsed.snapshots {
            let i = times.partition_point(|&(off, _)| off <= s.range.0);
            s.time_unix = i.checked_sub(1).map(|i| times[i].1);
        }
    }
    Ok(parsed)
}

fn finish(
    name: &str,
    format: Format,
    confidence: f32,
    notes: Vec<String>,
    text: Bytes,
    opts: &ParseOptions,
) -> Result<Parsed, ParseError> {
    let d = format
        .parse(text, name, opts)
        .map_err(|message| ParseError::Unreadable {
            name: name.to_string(),
            message,
        })?;
    if d.snapshots.is_empty() && d.heaps.is_empty() {
        return Err(ParseError::Empty {
            name: name.to_string(),
            format: format.id(),
        });
    }
    Ok(Parsed {
        format,
        confidence,
        notes,
        snapshots: d.snapshots,
        heaps: d.heaps,
    })
}

/// A human list of what dumpscope reads, for error messages.
pub fn expected_formats() -> String {
    "a Go goroutine dump (panic, fatal error, SIGQUIT or /debug/pprof/goroutine?debug=2 text, \
     with lines like `goroutine 1 [running]:`), a pprof goroutine or heap profile (protobuf, \
     or debug=1 text starting `goroutine profile: total N` or `heap profile:`), a jemalloc \
     heap profile (`heap_v2/N`), a dhat-heap.json, a Rust panic or backtrace \
     (`thread 'main' panicked at`, `stack backtrace:`) or a native backtrace (glibc \
     backtrace_symbols, AddressSanitizer/ThreadSanitizer, eu-stack, Android tombstone), gdb or lldb thread backtraces (`Thread 2 (Thread 0x... (LWP n))`), a Python \
     faulthandler or py-spy dump (`Thread 0x... (most recent call first):`, `Thread 42 (idle): \"MainThread\"`), a tokio task dump or async-backtrace tree \
     (`task 3 trace:`, `╼ app::handler at src/main.rs:12:5`) or a \
     Java thread dump (jstack, jcmd Thread.print: `\"main\" #1 ... nid=0x...`)"
        .to_string()
}
