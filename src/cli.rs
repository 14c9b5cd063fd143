//! The command line: clap definitions, flags to options, library calls,
//! errors to exit codes. Exit codes: 0 success, 1 a finding at or above
//! `--fail-on`, 2 unusable input or usage (a report of the inputs that could
//! be read is still written; 2 wins over 1).

use crate::analyze::finding::Severity;
use crate::analyze::{DiagnoseOptions, Similarity};
use crate::input::LoadOptions;
use crate::parse::Format;
use crate::pipeline::{self, Config};
use crate::report::{self, GroupOptions};
use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

/// Exit code: success.
pub const EXIT_OK: u8 = 0;
/// Exit code: a finding at or above `--fail-on` exists.
pub const EXIT_FINDING: u8 = 1;
/// Exit code: some input could not be used, or the command line is wrong.
pub const EXIT_INPUT: u8 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "dumpscope",
    version,
    about = "Post-mortem of a hung, leaking or crashed service from its goroutine dumps",
    long_about = "dumpscope reads goroutine dumps (panic logs, SIGQUIT dumps, \
/debug/pprof/goroutine?debug=2 downloads, dumps pasted into tickets or buried in logs), \
groups the goroutines by stack and reports what they are doing.\n\n\
Exit codes: 0 success; 1 a finding at or above --fail-on; 2 unusable input or wrong \
usage (a report of the inputs that could be read is still written; 2 wins over 1)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Analyse one or more dumps.
    Analyze(Box<AnalyzeArgs>),
    /// What changed between dumps of one process taken in time order
    /// (oldest first): goroutine groups that grew, appeared or vanished,
    /// goroutines stuck or spinning in every dump, heap growth by site.
    Diff(Box<DiffArgs>),
    /// Write a backtrace back with every resolvable address annotated
    /// (function, file:line, inlined frames) and everything else untouched,
    /// for pasting into the ticket. Needs --binary or --debug-dir.
    Symbolize(Box<SymbolizeArgs>),
    /// Print the JSON Schema of the report.
    Schema,
    /// Print the rule catalogue (Markdown).
    Rules,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

#[derive(Args, Debug)]
pub struct AnalyzeArgs {
    /// Dump files; `-` reads stdin. gzip and zstd are detected and decompressed.
    #[arg(value_name = "FILE", default_value = "-")]
    pub files: Vec<String>,
    /// How alike stacks must be to share a group.
    #[arg(long, value_enum, default_value_t = Similarity::Pointers)]
    pub similarity: Similarity,
    /// Also write the JSON report to PATH (`-` for stdout, replacing the text).
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
    /// Write the HTML report (one self-contained file) to PATH.
    #[arg(long, value_name = "PATH")]
    pub html: Option<PathBuf>,
    /// Write a compact Markdown summary (for a ticket comment) to PATH.
    #[arg(long, value_name = "PATH")]
    pub md: Option<PathBuf>,
    /// Write the report to PATH in the format its extension names:
    /// .html/.htm, .md/.markdown, .json or .txt. May be repeated.
    #[arg(short = 'o', long = "output", value_name = "PATH")]
    pub output: Vec<PathBuf>,
    /// What to write on stdout.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Indent the JSON.
    #[arg(long)]
    pub pretty: bool,
    /// Read the inputs as this format instead of detecting it.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub input_format: Option<Format>,
    /// Keep only groups whose state, frames (function or file) or creator match.
    #[arg(long, value_name = "REGEX")]
    pub filter: Option<String>,
    /// Show at most N groups per dump (text shows 50 unless told otherwise;
    /// JSON has every group unless told otherwise).
    #[arg(long, value_name = "N")]
    pub max_groups: Option<usize>,
    /// Never colour the text output (NO_COLOR is honoured too).
    #[arg(long)]
    pub no_color: bool,
    /// Exit with code 1 when a finding at or above this severity exists.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<Severity>,
    /// A rules file (TOML) that marks findings benign or changes their
    /// severity; see docs/rules.md.
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// Read Go sources under DIR (matched by the longest suffix of each
    /// frame's path) to infer which locks a goroutine holds.
    #[arg(long, value_name = "DIR")]
    pub source_root: Option<PathBuf>,
    /// Group only: skip the diagnosis (wait-for graph, clusters, findings).
    #[arg(long)]
    pub no_diagnose: bool,
    /// Findings shown in text (JSON has them all).
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub max_findings: usize,
    /// Refuse to decompress an input beyond this many bytes (suffixes K, M, G).
    #[arg(long, value_name = "SIZE", default_value = "4G", value_parser = parse_size)]
    pub max_decompressed: u64,
    #[command(flatten)]
    pub symbols: SymbolArgs,
}

#[derive(Args, Debug)]
pub struct SymbolizeArgs {
    /// The backtrace; `-` reads stdin. gzip and zstd are decompressed.
    #[arg(value_name = "FILE", default_value = "-")]
    pub file: String,
    /// Write the annotated text to PATH instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "PATH")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub symbols: SymbolArgs,
    /// Refuse to decompress the input beyond this many bytes (suffixes K, M, G).
    #[arg(long, value_name = "SIZE", default_value = "4G", value_parser = parse_size)]
    pub max_decompressed: u64,
}

/// Where to find the code of the modules a dump names by address.
#[derive(Args, Debug, Clone, Default)]
pub struct SymbolArgs {
    /// Resolve raw addresses against this executable or shared object (or
    /// its debug file). Repeatable; modules are matched by build-id first,
    /// then by file name.
    #[arg(long = "binary", value_name = "PATH")]
    pub binaries: Vec<PathBuf>,
    /// Look for separate debug files in DIR (`.build-id/xx/rest.debug`,
    /// `.gnu_debuglink` targets, DWZ files). Repeatable; /usr/lib/debug is
    /// searched too.
    #[arg(long = "debug-dir", value_name = "DIR")]
    pub debug_dirs: Vec<PathBuf>,
    /// Where MODULE was loaded (the start of its first mapping), for bare
    /// addresses the dump does not place; e.g. `--base app=0x55d5c1a00000`.
    /// Without it the base of a lone --binary is inferred.
    #[arg(long = "base", value_name = "MODULE=ADDR", value_parser = parse_base)]
    pub bases: Vec<(String, u64)>,
}

impl SymbolArgs {
    pub fn options(&self) -> crate::symbolize::Options {
        crate::symbolize::Options {
            binaries: self.binaries.clone(),
            debug_dirs: self.debug_dirs.clone(),
            bases: self.bases.clone(),
            system_dirs: true,
        }
    }
}

/// `MODULE=ADDR` with a hex (`0x...`) or decimal address.
fn parse_base(s: &str) -> Result<(String, u64), String> {
    let (m, a) = s
        .rsplit_once('=')
        .ok_or_else(|| format!("'{s}': expected MODULE=ADDR, e.g. app=0x55d5c1a00000"))?;
    let a = a.trim();
    let addr = match a.strip_prefix("0x").or_else(|| a.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16),
        None => a.parse(),
    }
    .map_err(|_| format!("'{a}' is not an address (hex with 0x, or decimal)"))?;
    if m.is_empty() {
        return Err(format!("'{s}': the module name is empty"));
    }
    Ok((m.to_string(), addr))
}

#[derive(Args, Debug)]
pub struct DiffArgs {
    /// Seconds (or `30s`, `5m`, `1h`) between successive dumps, when the
    /// files' modification times do not tell.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub interval: Option<f64>,
    #[command(flatten)]
    pub analyze: AnalyzeArgs,
}

/// `90`, `90s`, `1.5m`, `2h` -> seconds.
fn parse_duration(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let (num, mult) = match t.char_indices().last() {
        Some((i, 's')) => (&t[..i], 1.0),
        Some((i, 'm')) => (&t[..i], 60.0),
        Some((i, 'h')) => (&t[..i], 3600.0),
        _ => (t, 1.0),
    };
    match num.trim().parse::<f64>() {
        Ok(v) if v > 0.0 && v.is_finite() => Ok(v * mult),
        _ => Err(format!("'{s}' is not a duration (e.g. 90, 30s, 5m, 1h)")),
    }
}

fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (num, mult) = match s.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let m: u64 = match c.to_ascii_uppercase() {
                'K' => 1 << 10,
                'M' => 1 << 20,
                'G' => 1 << 30,
                'T' => 1 << 40,
                _ => return Err(format!("unknown size suffix '{c}' (use K, M, G or T)")),
            };
            (&s[..i], m)
        }
        _ => (s, 1),
    };
    let n: u64 = num
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a size (e.g. 512M, 4G)"))?;
    n.checked_mul(mult)
        .ok_or_else(|| format!("'{s}' is too large"))
}

/// Runs the command line; returns the process exit code.
pub fn run(cli: Cli) -> u8 {
    match cli.command {
        Command::Schema => {
            let s = serde_json::to_string_pretty(&report::json_schema()).unwrap_or_default();
            println!("{s}");
            EXIT_OK
        }
        Command::Rules => {
            print!("{}", crate::analyze::rules::catalogue_markdown());
            EXIT_OK
        }
        Command::Symbolize(a) => match symbolize(&a) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("dumpscope: error: {e:#}");
                EXIT_INPUT
            }
        },
        Command::Analyze(a) => match analyze(*a, None) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("dumpscope: error: {e:#}");
                EXIT_INPUT
            }
        },
        Command::Diff(d) => {
            let d = *d;
            if d.analyze.files.len() < 2 {
                eprintln!("dumpscope: error: diff needs at least two inputs, oldest first");
                return EXIT_INPUT;
            }
            match analyze(d.analyze, Some(d.interval)) {
                Ok(code) => code,
                Err(e) => {
                    eprintln!("dumpscope: error: {e:#}");
                    EXIT_INPUT
                }
            }
        }
    }
}

/// `dumpscope symbolize`.
fn symbolize(a: &SymbolizeArgs) -> anyhow::Result<u8> {
    let opts = a.symbols.options();
    if !opts.is_active() {
        anyhow::bail!("symbolize needs the binaries: give --binary PATH (or --debug-dir DIR)");
    }
    let loaded = crate::input::load(
        &a.file,
        &LoadOptions {
            max_decompressed: a.max_decompressed,
        },
    )?;
    let text = String::from_utf8_lossy(&loaded.data);
    let mut sym = crate::symbolize::Symbolizer::new(&opts);
    let stats = match &a.output {
        Some(p) => {
            let f = std::fs::File::create(p)
                .with_context(|| format!("cannot write {}", p.display()))?;
            let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
            let s = crate::symbolize::text::annotate(&text, &mut sym, &mut w)
                .and_then(|s| w.flush().map(|()| s))
                .with_context(|| format!("cannot write {}", p.display()))?;
            s
        }
        None => {
            let stdout = std::io::stdout();
            let mut w = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
            match crate::symbolize::text::annotate(&text, &mut sym, &mut w)
                .and_then(|s| w.flush().map(|()| s))
            {
                Ok(s) => s,
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(EXIT_OK),
                Err(e) => return Err(e.into()),
            }
        }
    };
    for n in &stats.notes {
        eprintln!("dumpscope: note: {n}");
    }
    eprintln!(
        "dumpscope: {} of {} addresses resolved",
        stats.resolved, stats.addresses
    );
    Ok(EXIT_OK)
}

/// `analyze`, or `diff` when `diff` is set (to the `--interval`).
fn analyze(a: AnalyzeArgs, diff: Option<Option<f64>>) -> anyhow::Result<u8> {
    let filter = match &a.filter {
        Some(f) => Some(
            regex::RegexBuilder::new(f)
                .size_limit(1 << 22)
                .build()
                .with_context(|| format!("--filter '{f}' is not a valid regular expression"))?,
        ),
        None => None,
    };
    let user_rules = match &a.rules {
        Some(p) => {
            let text = read_small(p, 1 << 20)
                .with_context(|| format!("cannot read rules file {}", p.display()))?;
            crate::analyze::rules::user::UserRules::parse(&text)
                .map_err(|e| anyhow::anyhow!("rules file {}: {e}", p.display()))?
        }
        None => Default::default(),
    };
    if let Some(root) = &a.source_root {
        if !root.is_dir() {
            anyhow::bail!("--source-root {} is not a directory", root.display());
        }
    }
    let gopts = GroupOptions {
        similarity: a.similarity,
        filter,
        max_groups: a.max_groups,
    };
    let cfg = Config {
        load: LoadOptions {
            max_decompressed: a.max_decompressed,
        },
        format: a.input_format,
        groups: gopts,
        diagnose: DiagnoseOptions {
            source_root: a.source_root.clone(),
            dump_paths: a.source_root.is_none(),
            user_rules,
            skip: a.no_diagnose,
        },
        symbolize: a.symbols.options(),
    };
    let files = output_files(&a)?;
    if a.files.iter().filter(|f| f.as_str() == "-").count() > 1 {
        anyhow::bail!("stdin ('-') can be given only once");
    }
    let bars: std::cell::RefCell<Vec<Progress>> = Default::default();
    let progress = |size: u64| {
        for done in bars.borrow_mut().drain(..) {
            done.finish();
        }
        let p = Progress::start(size);
        let c = p.counter();
        bars.borrow_mut().push(p);
        c
    };
    let outcome = match diff {
        None => pipeline::analyze_paths(&a.files, &cfg, &progress),
        Some(interval) => pipeline::diff_paths(&a.files, &cfg, &progress, interval),
    };
    for p in bars.into_inner() {
        p.finish();
    }
    for w in &outcome.warnings {
        eprintln!("dumpscope: warning: {w}");
    }
    for e in &outcome.errors {
        eprintln!("dumpscope: error: {e}");
    }
    let code = if outcome.errors.is_empty() {
        EXIT_OK
    } else {
        EXIT_INPUT
    };
    let Some(r) = outcome.report else {
        return Ok(EXIT_INPUT);
    };
    let json_to_stdout = a.format == OutputFormat::Json || a.json.as_deref() == Some("-".as_ref());
    let text_opts = report::text::TextOptions {
        max_groups: a.max_groups.unwrap_or(report::text::DEFAULT_MAX_GROUPS),
        max_findings: a.max_findings,
    };
    for (p, kind) in &files {
        write_file(p, |w| match kind {
            FileKind::Json => write_json(&r, a.pretty, w),
            FileKind::Html => Ok(w.write_all(report::html::render(&r).as_bytes())?),
            FileKind::Md => Ok(
                w.write_all(report::md::render(&r, &report::md::MdOptions::default()).as_bytes())?
            ),
            FileKind::Text => {
                let mut buf = Vec::new();
                report::text::render(&r, &text_opts, &mut buf)?;
                Ok(w.write_all(&anstream::adapter::strip_bytes(&buf).into_vec())?)
            }
        })?;
    }
    let stdout = std::io::stdout();
    if json_to_stdout {
        let mut w = std::io::BufWriter::new(stdout.lock());
        write_json(&r, a.pretty, &mut w)?;
        w.flush()?;
    } else {
        let color =
            !a.no_color && anstream::AutoStream::choice(&stdout) != anstream::ColorChoice::Never;
        let mut buf = Vec::with_capacity(1 << 16);
        report::text::render(&r, &text_opts, &mut buf)?;
        let out = if color {
            buf
        } else {
            anstream::adapter::strip_bytes(&buf).into_vec()
        };
        let mut lock = stdout.lock();
        if let Err(e) = lock.write_all(&out).and_then(|()| lock.flush()) {
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                return Err(e.into());
            }
        }
    }
    if code == EXIT_OK {
        if let Some(min) = a.fail_on {
            if r.max_severity().is_some_and(|s| s >= min) {
                return Ok(EXIT_FINDING);
            }
        }
    }
    Ok(code)
}

/// What a report file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileKind {
    Json,
    Html,
    Md,
    Text,
}

/// The report files asked for, checked before any work is done.
fn output_files(a: &AnalyzeArgs) -> anyhow::Result<Vec<(PathBuf, FileKind)>> {
    let mut out = Vec::new();
    if let Some(p) = a.json.as_ref().filter(|p| p.as_os_str() != "-") {
        out.push((p.clone(), FileKind::Json));
    }
    if let Some(p) = &a.html {
        out.push((p.clone(), FileKind::Html));
    }
    if let Some(p) = &a.md {
        out.push((p.clone(), FileKind::Md));
    }
    for p in &a.output {
        let ext = p
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        let kind = match ext.as_deref() {
            Some("html" | "htm") => FileKind::Html,
            Some("md" | "markdown") => FileKind::Md,
            Some("json") => FileKind::Json,
            Some("txt" | "text") => FileKind::Text,
            _ => anyhow::bail!(
                "-o {}: cannot tell the format from the extension (use .html, .md, .json or .txt)",
                p.display()
            ),
        };
        out.push((p.clone(), kind));
    }
    Ok(out)
}

/// Writes a report file through a buffer.
fn write_file(
    p: &std::path::Path,
    body: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let f = std::fs::File::create(p).with_context(|| format!("cannot write {}", p.display()))?;
    let mut w = std::io::BufWriter::new(f);
    body(&mut w).with_context(|| format!("cannot write {}", p.display()))?;
    w.flush()
        .with_context(|| format!("cannot write {}", p.display()))?;
    Ok(())
}

/// Reads a small text file, refusing anything larger than `max` bytes.
fn read_small(p: &std::path::Path, max: u64) -> anyhow::Result<String> {
    let meta = std::fs::metadata(p)?;
    if meta.len() > max {
        anyhow::bail!("larger than {max} bytes");
    }
    Ok(String::from_utf8_lossy(&std::fs::read(p)?).into_owned())
}

fn write_json(r: &report::Report, pretty: bool, w: &mut dyn Write) -> anyhow::Result<()> {
    if pretty {
        serde_json::to_writer_pretty(&mut *w, r)?;
    } else {
        serde_json::to_writer(&mut *w, r)?;
    }
    w.write_all(b"\n")?;
    Ok(())
}

/// A progress bar on stderr for big inputs, only when stderr is a terminal.
struct Progress {
    counter: Option<Arc<AtomicU64>>,
    stop: Option<(
        Arc<std::sync::atomic::AtomicBool>,
        std::thread::JoinHandle<()>,
    )>,
}

impl Progress {
    const MIN_BYTES: u64 = 64 << 20;

    fn start(total: u64) -> Progress {
        if total < Self::MIN_BYTES || !std::io::stderr().is_terminal() {
            return Progress {
                counter: None,
                stop: None,
            };
        }
        let counter = Arc::new(AtomicU64::new(0));
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (c, d) = (Arc::clone(&counter), Arc::clone(&done));
        let handle = std::thread::spawn(move || {
            let bar = indicatif::ProgressBar::new(total);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {bytes}/{total_bytes} {bytes_per_sec}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            while !d.load(std::sync::atomic::Ordering::Relaxed) {
                bar.set_position(c.load(std::sync::atomic::Ordering::Relaxed));
                std::thread::sleep(std::time::Duration::from_millis(80));
            }
            bar.finish_and_clear();
        });
        Progress {
            counter: Some(counter),
            stop: Some((done, handle)),
        }
    }

    fn counter(&self) -> Option<Arc<AtomicU64>> {
        self.counter.clone()
    }

    fn finish(self) {
        if let Some((done, h)) = self.stop {
            done.store(true, std::sync::atomic::Ordering::Relaxed);
            let _ = h.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("512"), Ok(512));
        assert_eq!(parse_size("4G"), Ok(4 << 30));
        assert_eq!(parse_size("10m"), Ok(10 << 20));
        assert!(parse_size("x").is_err());
        assert!(parse_size("5Q").is_err());
        assert!(parse_size("99999999999T").is_err());
    }
}
