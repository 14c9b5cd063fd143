//! The whole job for a list of inputs, in order: load and unwrap each
//! (`input`), detect and parse it (`parse`), resolve raw addresses
//! (`symbolize`), then analyse every dump and heap snapshot as one series
//! (`analyze`) and build the report (`report`). It only orchestrates: the
//! CLI and the tests both call it.

use crate::analyze;
use crate::input::{self, Bytes, Compression, LoadOptions};
use crate::model::heap::HeapProfile;
use crate::model::Snapshot;
pub use crate::parse::InputInfo;
use crate::parse::{self, Format, ParseOptions};
use crate::report::{self, GroupOptions, Report};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

/// What to do with the inputs.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// How inputs are read: size limits and unwrapping.
    pub load: LoadOptions,
    /// The format forced with `--input-format`, or `None` to detect it.
    pub format: Option<Format>,
    /// Similarity, filter and limits of the groups reported.
    pub groups: GroupOptions,
    /// Options of the diagnosis: sources to read, user rules, or none at all.
    pub diagnose: analyze::DiagnoseOptions,
    /// Binaries and debug directories for raw addresses.
    pub symbolize: crate::symbolize::Options,
}

/// The result of analysing a set of inputs: a report of everything that
/// could be read, and what could not.
#[derive(Debug)]
pub struct Outcome {
    /// `None` when no input could be read.
    pub report: Option<Report>,
    /// One message per input that could not be used.
    pub errors: Vec<String>,
    /// Problems that did not stop the analysis.
    pub warnings: Vec<String>,
}

/// A loaded and parsed input, before analysis and reporting.
pub struct ParsedInput {
    /// What the input was and how it was read.
    pub input: InputInfo,
    /// The goroutine or thread dumps found in it, in order.
    pub snapshots: Vec<Snapshot>,
    /// The heap snapshots found in it, in order.
    pub heaps: Vec<HeapProfile>,
}

/// Parses bytes that are already in memory (or mapped).
pub fn parse_bytes(
    name: &str,
    size: u64,
    compression: Compression,
    data: Bytes,
    format: Option<Format>,
    progress: Option<Arc<AtomicU64>>,
) -> Result<ParsedInput, parse::ParseError> {
    let popts = ParseOptions {
        format,
        go: parse::go::Options {
            progress,
            ..Default::default()
        },
    };
    let decompressed = data.len() as u64;
    let parsed = parse::parse_input(name, data, &popts)?;
    Ok(ParsedInput {
        input: InputInfo {
            source: name.to_string(),
            size,
            compression,
            decompressed_size: decompressed,
            format: Some(parsed.format),
            confidence: parsed.confidence,
            notes: parsed.notes,
        },
        snapshots: parsed.snapshots,
        heaps: parsed.heaps,
    })
}

/// Loads and parses one path (`-` for stdin).
pub fn load_and_parse(
    path: impl AsRef<std::path::Path>,
    cfg: &Config,
    progress: &dyn Fn(u64) -> Option<Arc<AtomicU64>>,
    warnings: &mut Vec<String>,
) -> Result<ParsedInput, String> {
    let loaded = input::load(path, &cfg.load).map_err(|e| e.to_string())?;
    for w in &loaded.warnings {
        warnings.push(format!("{}: {w}", loaded.name));
    }
    if input::elfcore::is_core(&loaded.data) {
        return read_core(loaded, &cfg.symbolize, warnings);
    }
    let counter = progress(loaded.data.len() as u64);
    let parsed = parse_bytes(
        &loaded.name,
        loaded.size,
        loaded.compression,
        loaded.data,
        cfg.format,
        counter,
    )
    .map_err(|e| e.to_string())?;
    for snapshot in &parsed.snapshots {
        if snapshot.truncated {
            warnings.push(format!(
                "{}: dump {} is cut off; its last task is partial",
                snapshot.source,
                snapshot.index + 1
            ));
        }
    }
    Ok(parsed)
}

/// Reads an ELF core: threads unwound and symbolized with the binaries and
/// debug directories of `symbolize`, waits read from memory (also the fuzz target's path).
pub fn read_core(
    loaded: input::Loaded,
    symbolize: &crate::symbolize::Options,
    warnings: &mut Vec<String>,
) -> Result<ParsedInput, String> {
    let size = loaded.data.len() as u64;
    let read = crate::symbolize::elfcore::read(&loaded.name, loaded.data, symbolize)?;
    warnings.extend(read.warnings);
    Ok(ParsedInput {
        input: InputInfo {
            source: loaded.name,
            size: loaded.size,
            compression: loaded.compression,
            decompressed_size: size,
            format: None,
            confidence: 1.0,
            notes: Vec::new(),
        },
        snapshots: read.snapshots,
        heaps: Vec::new(),
    })
}

/// Builds the report of parsed inputs: groups, diagnosis and findings for
/// every snapshot. Snapshots are taken as successive dumps of one process
/// for growth: each one's clusters are compared with the earlier ones.
pub fn report(
    parsed: &[ParsedInput],
    opts: &GroupOptions,
    dopts: &analyze::DiagnoseOptions,
) -> Report {
    build_report(parsed, opts, dopts, None)
}

/// When the inputs of a diff were taken.
#[derive(Debug, Clone, Default)]
pub struct DiffTimes {
    /// `--interval`: seconds between successive dumps (and heap snapshots).
    pub interval: Option<f64>,
    /// Per input, seconds since the epoch it was written (the file's
    /// modification time), used only when they increase in the order given.
    pub mtimes: Vec<Option<f64>>,
}

/// The report of `dumpscope diff`: the inputs are successive dumps of one
/// process, oldest first. The findings are the diff's (growth, stuck
/// goroutines, busy loops, heap growth) and the diagnosis of the newest
/// dump and heap snapshot.
pub fn diff_report(
    parsed: &[ParsedInput],
    opts: &GroupOptions,
    dopts: &analyze::DiagnoseOptions,
    times: &DiffTimes,
) -> Report {
    build_report(parsed, opts, dopts, Some(times))
}

/// Seconds from the first point, for points read from `input_of` inputs.
fn point_times(
    input_of: &[usize],
    stamps: Option<Vec<f64>>,
    times: &DiffTimes,
) -> analyze::diff::Times {
    let count = input_of.len();
    if let Some(interval) = times.interval.filter(|i| *i > 0.0) {
        return analyze::diff::Times {
            seconds: (0..count).map(|i| Some(i as f64 * interval)).collect(),
            from: Some("interval"),
        };
    }
    let increasing = |v: &[f64]| v.len() == count && count > 1 && v.windows(2).all(|w| w[1] > w[0]);
    if let Some(v) = stamps.filter(|v| increasing(v)) {
        let t0 = v[0];
        return analyze::diff::Times {
            seconds: v.iter().map(|t| Some(t - t0)).collect(),
            from: Some("timestamps"),
        };
    }
    let modified: Option<Vec<f64>> = input_of
        .iter()
        .map(|&i| times.mtimes.get(i).copied().flatten())
        .collect();
    // Modification times only when at least a second apart (a checkout or
    // a copy writes files a few milliseconds apart).
    let spaced = |v: &[f64]| increasing(v) && v.windows(2).all(|w| w[1] - w[0] >= 1.0);
    if let Some(v) = modified.filter(|v| spaced(v)) {
        let t0 = v[0];
        return analyze::diff::Times {
            seconds: v.iter().map(|t| Some(t - t0)).collect(),
            from: Some("mtime"),
        };
    }
    analyze::diff::Times {
        seconds: vec![None; count],
        from: None,
    }
}

/// The times of the goroutine dumps and heap snapshots of a diff, from
/// `--interval`, their own timestamps or the files' modification times.
fn series_times(
    parsed: &[ParsedInput],
    snaps: &[&Snapshot],
    heaps: &[&HeapProfile],
    times: &DiffTimes,
) -> analyze::series::DiffTimes {
    let input_of = |count: fn(&ParsedInput) -> usize| -> Vec<usize> {
        parsed
            .iter()
            .enumerate()
            .flat_map(|(i, p)| std::iter::repeat_n(i, count(p)))
            .collect()
    };
    let heap_stamps: Option<Vec<f64>> = heaps
        .iter()
        .map(|h| h.time_nanos.map(|t| t as f64 / 1e9))
        .collect();
    let snap_stamps: Option<Vec<f64>> = snaps.iter().map(|s| s.time_unix).collect();
    analyze::series::DiffTimes {
        snapshots: point_times(&input_of(|p| p.snapshots.len()), snap_stamps, times),
        heaps: point_times(&input_of(|p| p.heaps.len()), heap_stamps, times),
    }
}

fn build_report(
    parsed: &[ParsedInput],
    opts: &GroupOptions,
    dopts: &analyze::DiagnoseOptions,
    diff_times: Option<&DiffTimes>,
) -> Report {
    let inputs = parsed
        .iter()
        .map(|p| report::InputReport::from(&p.input))
        .collect();
    let snaps: Vec<&Snapshot> = parsed.iter().flat_map(|p| p.snapshots.iter()).collect();
    let heaps: Vec<&HeapProfile> = parsed.iter().flat_map(|p| p.heaps.iter()).collect();
    let times = diff_times.map(|times| series_times(parsed, &snaps, &heaps, times));
    let series =
        analyze::series::analyze_series(&snaps, &heaps, opts.similarity, dopts, times.as_ref());
    report::series::series_report(inputs, &snaps, &heaps, series, opts)
}

/// Analyses every path; `progress` may return a counter the parser advances
/// for an input of the given size (for a progress bar).
pub fn analyze_paths(
    paths: &[impl AsRef<std::path::Path>],
    cfg: &Config,
    progress: &dyn Fn(u64) -> Option<Arc<AtomicU64>>,
) -> Outcome {
    run_paths(paths, cfg, progress, None)
}

/// Loads the inputs of `dumpscope diff` (oldest first) and builds the diff
/// report; `interval` is `--interval` in seconds.
pub fn diff_paths(
    paths: &[impl AsRef<std::path::Path>],
    cfg: &Config,
    progress: &dyn Fn(u64) -> Option<Arc<AtomicU64>>,
    interval: Option<f64>,
) -> Outcome {
    run_paths(paths, cfg, progress, Some(interval))
}

/// Resolves the raw addresses of a parsed input; what happened goes to the
/// input's notes.
pub fn symbolize(sym: &mut crate::symbolize::Symbolizer, parsed: &mut ParsedInput) {
    use crate::symbolize::apply;
    let in_dumps = apply::snapshots(sym, &mut parsed.snapshots);
    let in_heaps = apply::heaps(sym, &mut parsed.heaps);
    let addresses = in_dumps.addresses + in_heaps.addresses;
    let resolved = in_dumps.resolved + in_heaps.resolved;
    if addresses > 0 {
        parsed.input.notes.push(format!(
            "symbolized {resolved} of {addresses} distinct addresses"
        ));
    }
    for note in in_dumps.notes.into_iter().chain(in_heaps.notes) {
        if !parsed.input.notes.contains(&note) {
            parsed.input.notes.push(note);
        }
    }
}

fn run_paths(
    paths: &[impl AsRef<std::path::Path>],
    cfg: &Config,
    progress: &dyn Fn(u64) -> Option<Arc<AtomicU64>>,
    diff: Option<Option<f64>>,
) -> Outcome {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let mut parsed = Vec::new();
    let mut mtimes = Vec::new();
    let mut symbolizer = cfg
        .symbolize
        .is_active()
        .then(|| crate::symbolize::Symbolizer::new(&cfg.symbolize));
    for p in paths {
        let p = p.as_ref();
        match load_and_parse(p, cfg, progress, &mut warnings) {
            Ok(mut x) => {
                if let Some(sym) = symbolizer.as_mut() {
                    symbolize(sym, &mut x);
                }
                parsed.push(x);
                mtimes.push(
                    std::fs::metadata(p)
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                        .map(|d| d.as_secs_f64()),
                );
            }
            Err(e) => errors.push(e),
        }
    }
    let report = (!parsed.is_empty()).then(|| match diff {
        None => report(&parsed, &cfg.groups, &cfg.diagnose),
        Some(interval) => {
            let times = DiffTimes { interval, mtimes };
            diff_report(&parsed, &cfg.groups, &cfg.diagnose, &times)
        }
    });
    Outcome {
        report,
        errors,
        warnings,
    }
}
