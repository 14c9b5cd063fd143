//! Parsers: one module per format. Each can say how sure it is that it reads
//! a text ([`detect`]) and turns it into [`Snapshot`]s.

pub mod go;

use crate::input::{self, Bytes};
use crate::model::Snapshot;

/// A format dumpscope reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Go tracebacks: panics, fatal errors, SIGQUIT, pprof debug=2.
    #[value(name = "go-traceback", alias = "go")]
    GoTraceback,
}

impl Format {
    pub fn id(self) -> &'static str {
        match self {
            Format::GoTraceback => go::FORMAT,
        }
    }

    pub fn all() -> &'static [Format] {
        &[Format::GoTraceback]
    }

    /// What a line of this format that certainly belongs to a dump looks like,
    /// for the input layer's log-prefix detection.
    fn anchor(self, line: &[u8]) -> Option<usize> {
        match self {
            Format::GoTraceback => go::line::find_header(line),
        }
    }

    fn detect(self, text: &[u8]) -> f32 {
        match self {
            Format::GoTraceback => go::detect(text),
        }
    }

    fn parse(self, text: Bytes, source: &str, opts: &ParseOptions) -> Vec<Snapshot> {
        match self {
            Format::GoTraceback => go::parse(text, source, &opts.go),
        }
    }
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
}

/// Why an input could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("'{name}': no known dump format found (expected {expected}); use --input-format to force one")]
    UnknownFormat { name: String, expected: String },
    #[error("'{name}': read as {format}, but no {format} dump was found in it")]
    Empty { name: String, format: &'static str },
}

/// Unwraps, detects and parses one loaded input.
pub fn parse_input(name: &str, data: Bytes, opts: &ParseOptions) -> Result<Parsed, ParseError> {
    let formats: Vec<Format> = match opts.format {
        Some(f) => vec![f],
        None => Format::all().to_vec(),
    };
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
    let snapshots = format.parse(text, name, opts);
    if snapshots.is_empty() {
        return Err(ParseError::Empty {
            name: name.to_string(),
            format: format.id(),
        });
    }
    Ok(Parsed {
        format,
        confidence,
        notes: unwrapped.notes,
        snapshots,
    })
}

/// A human list of what dumpscope reads, for error messages.
pub fn expected_formats() -> String {
    "a Go goroutine dump (panic, fatal error, SIGQUIT or /debug/pprof/goroutine?debug=2 text, \
     with lines like `goroutine 1 [running]:`)"
        .to_string()
}
