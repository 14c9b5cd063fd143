//! The entry points of the fuzz targets (`fuzz/`), shared with the stable
//! test that replays the committed fuzz inputs (`tests/grammar.rs`), so the
//! two cannot drift apart. Every function takes arbitrary bytes and must
//! never panic; what it reads is thrown away.
//!
//! [`Target`] names each target; [`run`] runs one on one input.

use crate::analyze::DiagnoseOptions;
use crate::input::{self, Bytes, Compression, LoadOptions};
use crate::parse::Format;
use crate::pipeline::{self, DiffTimes, ParsedInput};
use crate::report::{self, GroupOptions, Report};

/// The decompression cap of the fuzz targets: large enough for any seed,
/// small enough that a crafted stream cannot exhaust the fuzzer's memory.
pub const MAX_DECOMPRESSED: u64 = 8 << 20;

/// One fuzz target: a family of input formats, the input layer, or the
/// whole pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Go tracebacks and pprof goroutine text (`debug=1`).
    Go,
    /// Java thread dumps, as text and as `jcmd Thread.dump_to_file` JSON.
    Java,
    /// Native stacks: gdb/lldb/eu-stack, backtraces, Rust panics, tokio tasks.
    Native,
    /// Python: faulthandler and py-spy text, py-spy JSON.
    Python,
    /// Heap profiles: pprof protobuf and text, jemalloc, dhat.
    Heap,
    /// The input layer: gzip/zstd under a cap, then unwrapping and detection.
    Input,
    /// Load, detect, parse, analyse and render in every report format.
    Report,
    /// Two inputs (split at the first `\n====\n`) as `dumpscope diff`.
    Diff,
    /// ELF cores (plain or compressed) read by the core reader, analysed
    /// and rendered: without a binary, and for inputs of odd length with
    /// the aarch64 sample's static binary (samples/core/arm64-c).
    Core,
}

impl Target {
    /// Every target, in the order `fuzz/` lists them.
    pub const ALL: [Target; 9] = [
        Target::Go,
        Target::Java,
        Target::Native,
        Target::Python,
        Target::Heap,
        Target::Input,
        Target::Report,
        Target::Diff,
        Target::Core,
    ];

    /// The target's name: its binary in `fuzz/fuzz_targets/` and its
    /// directory of regression inputs in `fuzz/regressions/`.
    pub fn name(self) -> &'static str {
        match self {
            Target::Go => "go",
            Target::Java => "java",
            Target::Native => "native",
            Target::Python => "python",
            Target::Heap => "heap",
            Target::Input => "input",
            Target::Report => "report",
            Target::Diff => "diff",
            Target::Core => "core",
        }
    }

    /// The target with this name.
    pub fn named(name: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The formats a parser-family target forces on its input, each in
    /// turn (every format of the table whose id names the family; the
    /// heap target also takes the Go profile text, whose heap form it
    /// reads); empty for the targets that detect the format.
    pub fn formats(self) -> Vec<Format> {
        Format::all()
            .iter()
            .copied()
            .filter(|f| {
                family_of(f.id()) == Some(self)
                    || (self == Target::Heap && f.id().contains("pprof"))
            })
            .collect()
    }
}

/// The family target of a format id, by the id's leading word.
pub fn family_of(id: &str) -> Option<Target> {
    let first = id.split('-').next().unwrap_or(id);
    Some(match first {
        "go" => Target::Go,
        "java" => Target::Java,
        "gdb" | "lldb" | "eu" | "native" | "rust" | "tokio" | "async" => Target::Native,
        "elf" | "core" => Target::Core,
        "python" | "py" => Target::Python,
        "pprof" | "jemalloc" | "dhat" => Target::Heap,
        _ => return None,
    })
}

/// Runs one target on one input. Never panics on any input (that is what
/// the fuzzer checks).
pub fn run(target: Target, data: &[u8]) {
    match target {
        Target::Input => input_layer(data),
        Target::Report => whole_report(data),
        Target::Diff => diff(data),
        Target::Core => {
            for format in Target::Core.formats() {
                parse_as(format, data);
            }
            core(data);
        }
        family => {
            for format in family.formats() {
                parse_as(format, data);
            }
        }
    }
}

/// Parses `data` as `format`, forced as `--input-format` does (the
/// analysis of what it reads is the `report` target's).
pub fn parse_as(format: Format, data: &[u8]) {
    let bytes = Bytes::owned(data.to_vec());
    let size = data.len() as u64;
    let _ = pipeline::parse_bytes("fuzz", size, Compression::None, bytes, Some(format), None);
}

/// Loads `data` as the input layer does (decompressing under
/// [`MAX_DECOMPRESSED`]) and parses it with detection.
fn input_layer(data: &[u8]) {
    let _ = load_and_parse(data);
}

fn load_and_parse(data: &[u8]) -> Option<ParsedInput> {
    let opts = LoadOptions {
        max_decompressed: MAX_DECOMPRESSED,
    };
    let loaded = input::load_bytes("fuzz", data.to_vec(), &opts).ok()?;
    pipeline::parse_bytes(
        &loaded.name,
        loaded.size,
        loaded.compression,
        loaded.data,
        None,
        None,
    )
    .ok()
}

/// The whole pipeline on one input, rendered in every report format.
fn whole_report(data: &[u8]) {
    let Some(parsed) = load_and_parse(data) else {
        return;
    };
    let report = pipeline::report(
        std::slice::from_ref(&parsed),
        &GroupOptions::default(),
        &DiagnoseOptions::default(),
    );
    render_all(&report);
}

/// An ELF core read as `dumpscope analyze CORE [--binary EXE]` reads it,
/// analysed and rendered in every format.
fn core(data: &[u8]) {
    let opts = LoadOptions {
        max_decompressed: MAX_DECOMPRESSED,
    };
    let Ok(loaded) = input::load_bytes("fuzz", data.to_vec(), &opts) else {
        return;
    };
    let sopts = crate::symbolize::Options {
        binaries: if data.len() % 2 == 1 {
            core_binary().into_iter().collect()
        } else {
            Vec::new()
        },
        ..Default::default()
    };
    let Ok(parsed) = pipeline::read_core(loaded, &sopts, &mut Vec::new()) else {
        return;
    };
    let report = pipeline::report(
        std::slice::from_ref(&parsed),
        &GroupOptions::default(),
        &DiagnoseOptions::default(),
    );
    render_all(&report);
}

/// The aarch64 core sample's binary (samples/core/arm64-c/lock-order.zst),
/// decompressed once into the temporary directory.
fn core_binary() -> Option<std::path::PathBuf> {
    static BINARY: std::sync::OnceLock<Option<std::path::PathBuf>> = std::sync::OnceLock::new();
    BINARY
        .get_or_init(|| {
            let src = concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/samples/core/arm64-c/lock-order.zst"
            );
            let loaded = input::load(src, &LoadOptions::default()).ok()?;
            let dir = std::env::temp_dir().join("dumpscope-fuzz-core");
            std::fs::create_dir_all(&dir).ok()?;
            let path = dir.join("lock-order");
            if std::fs::read(&path).ok().as_deref() != Some(&loaded.data[..]) {
                // Written whole under a name of this process, then renamed:
                // fuzzers running at once never see half a binary.
                let part = dir.join(format!("lock-order.{}", std::process::id()));
                std::fs::write(&part, &*loaded.data).ok()?;
                std::fs::rename(&part, &path).ok()?;
            }
            Some(path)
        })
        .clone()
}

/// The separator of the two inputs of the diff target.
pub const DIFF_SEPARATOR: &[u8] = b"\n====\n";

/// `dumpscope diff` of the two halves of `data`, rendered in every format.
fn diff(data: &[u8]) {
    let (before, after) = match memchr::memmem::find(data, DIFF_SEPARATOR) {
        Some(at) => (&data[..at], &data[at + DIFF_SEPARATOR.len()..]),
        None => (data, data),
    };
    let (Some(before), Some(after)) = (load_and_parse(before), load_and_parse(after)) else {
        return;
    };
    let times = DiffTimes {
        interval: Some(60.0),
        mtimes: Vec::new(),
    };
    let report = pipeline::diff_report(
        &[before, after],
        &GroupOptions::default(),
        &DiagnoseOptions::default(),
        &times,
    );
    render_all(&report);
}

/// Renders a report as JSON, text, Markdown and HTML, and checks what a
/// renderer promises whatever the input: the JSON reads back, the Markdown
/// stays under its size cap.
pub fn render_all(report: &Report) {
    let json = serde_json::to_string(report).unwrap_or_default();
    assert!(
        serde_json::from_str::<serde_json::Value>(&json).is_ok(),
        "the JSON report does not read back"
    );
    let mut text = Vec::new();
    let _ = report::text::render(report, &report::text::TextOptions::default(), &mut text);
    let md_opts = report::md::MdOptions::default();
    let md = report::md::render(report, &md_opts);
    assert!(
        md.len() <= md_opts.max_bytes,
        "the Markdown report is over its cap"
    );
    let _ = report::html::render(report);
}
