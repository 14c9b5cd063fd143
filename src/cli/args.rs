//! The command line's arguments: clap definitions for every subcommand
//! and the parsers of sizes, durations and module bases.

use crate::analyze::finding::Severity;
use crate::analyze::Similarity;
use crate::parse::Format;
use clap::{Args, Parser, Subcommand, ValueEnum, ValueHint};
use std::path::PathBuf;

// The command line: a subcommand and its arguments.
// clap turns doc comments into --help text, which tests check: the items
// here are described in plain comments.
#[allow(missing_docs)]
#[derive(Parser, Debug)]
#[command(
    name = "dumpscope",
    version,
    propagate_version = true,
    disable_help_subcommand = true,
    about = "Post-mortem of a hung, leaking or crashed service from its dumps: \
goroutine dumps, thread dumps, backtraces and heap profiles",
    long_about = "dumpscope reads the dumps of a hung, leaking or crashed service: Go \
goroutine dumps (panic logs, SIGQUIT dumps, /debug/pprof/goroutine downloads), Java thread \
dumps, gdb, lldb and eu-stack backtraces, Rust and native backtraces, Python and tokio task \
dumps, and heap profiles (pprof, jemalloc, tcmalloc, dhat), also when they are pasted into \
tickets or buried in logs. It groups the tasks by stack, builds the wait-for graph and ranks \
what it finds: deadlocks, leaks, stuck and starved tasks.\n\n\
Exit codes: 0 success; 1 a finding at or above --fail-on; 2 unusable input or wrong \
usage (a report of the inputs that could be read is still written; 2 wins over 1).\n\n\
Colour: --color, or the NO_COLOR, CLICOLOR and CLICOLOR_FORCE environment variables."
)]
pub struct Cli {
    /// When to colour the output: auto (on a terminal, unless NO_COLOR or
    /// CLICOLOR=0 is set; CLICOLOR_FORCE forces it), always or never.
    #[arg(
        long,
        value_enum,
        value_name = "WHEN",
        global = true,
        default_value_t = ColorWhen::Auto
    )]
    pub color: ColorWhen,
    /// Same as --color never.
    #[arg(long, global = true)]
    pub no_color: bool,
    #[command(subcommand)]
    pub command: Command,
}

// When to colour the output.
// clap turns doc comments into --help text, which tests check: the items
// here are described in plain comments.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

impl Cli {
    /// The colour choice the flags ask for: `--no-color` is `--color never`.
    pub fn color_choice(&self) -> ColorWhen {
        if self.no_color {
            ColorWhen::Never
        } else {
            self.color
        }
    }
}

// The subcommands.
// clap turns doc comments into --help text, which tests check: the items
// here are described in plain comments.
#[allow(missing_docs)]
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
    /// Print a shell completion script, e.g.
    /// `dumpscope completions bash > ~/.local/share/bash-completion/completions/dumpscope`.
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) of dumpscope or of a subcommand, e.g.
    /// `dumpscope man | man -l -`, `dumpscope man analyze | man -l -`.
    Man {
        /// The subcommand whose page to print (dumpscope-COMMAND(1)).
        #[arg(value_name = "COMMAND")]
        command: Option<String>,
    },
    /// Print the help of dumpscope or of a subcommand.
    Help {
        /// The subcommand (and its subcommands) to describe.
        #[arg(value_name = "COMMAND")]
        command: Vec<String>,
    },
}

// How a report is written: text for people or JSON.
// clap turns doc comments into --help text, which tests check: the items
// here are described in plain comments.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

// The arguments of `dumpscope analyze` (and of `diff`, flattened).
// clap turns doc comments into --help text, which tests check: the items
// here are described in plain comments.
#[allow(missing_docs)]
#[derive(Args, Debug)]
pub struct AnalyzeArgs {
    /// Dump files; `-` reads stdin. gzip and zstd are detected and decompressed.
    #[arg(value_name = "FILE", default_value = "-", value_hint = ValueHint::FilePath)]
    pub files: Vec<PathBuf>,
    /// How alike stacks must be to share a group.
    #[arg(long, value_enum, default_value_t = Similarity::Pointers)]
    pub similarity: Similarity,
    /// Also write the JSON report to PATH (`-` for stdout, replacing the text).
    #[arg(long, value_name = "PATH", value_hint = ValueHint::FilePath)]
    pub json: Option<PathBuf>,
    /// Write the HTML report (one self-contained file) to PATH.
    #[arg(long, value_name = "PATH", value_hint = ValueHint::FilePath)]
    pub html: Option<PathBuf>,
    /// Write a compact Markdown summary (for a ticket comment) to PATH.
    #[arg(long, value_name = "PATH", value_hint = ValueHint::FilePath)]
    pub md: Option<PathBuf>,
    /// Write the report to PATH in the format its extension names:
    /// .html/.htm, .md/.markdown, .json or .txt. May be repeated.
    #[arg(short = 'o', long = "output", value_name = "PATH", value_hint = ValueHint::FilePath)]
    pub output: Vec<PathBuf>,
    /// What to write on stdout.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Indent the JSON.
    #[arg(long)]
    pub pretty: bool,
    /// Read the inputs as this format instead of detecting it. Every format
    /// id a report prints (`lldb-threads`, `go-heap-text`,
    /// `native-heap-text`, `async-backtrace-tasks`) and short names (`go`,
    /// `java`, `gdb`, `lldb`, `rust`, `python`, `tokio`, ...) are accepted
    /// too; see docs/cli.md.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub input_format: Option<Format>,
    /// Keep only groups whose state, frames (function or file) or creator match.
    #[arg(long, value_name = "REGEX")]
    pub filter: Option<String>,
    /// Show at most N groups per dump (text shows 50 unless told otherwise;
    /// JSON has every group unless told otherwise).
    #[arg(long, value_name = "N")]
    pub max_groups: Option<usize>,
    /// Exit with code 1 when a finding at or above this severity exists.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<Severity>,
    /// A rules file (TOML) that marks findings benign or changes their
    /// severity; see docs/rules.md.
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub rules: Option<PathBuf>,
    /// Read sources under DIR (matched by the longest suffix of each frame's
    /// path) to infer which locks a task holds (Go; C, C++, Rust, Python
    /// and tokio global locks).
    #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub source_root: Option<PathBuf>,
    /// Group only: skip the diagnosis (wait-for graph, clusters, findings).
    #[arg(long)]
    pub no_diagnose: bool,
    /// Findings shown in text (JSON has them all).
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub max_findings: usize,
    /// Refuse to decompress an input beyond this many bytes: a number with
    /// an optional suffix K, M, G or T (powers of 1024), e.g. 512M.
    #[arg(long, value_name = "SIZE", default_value = "1G", value_parser = parse_size)]
    pub max_decompressed: u64,
    #[command(flatten)]
    pub symbols: SymbolArgs,
}

// The arguments of `dumpscope symbolize`.
// clap turns doc comments into --help text, which tests check: the items
// here are described in plain comments.
#[allow(missing_docs)]
#[derive(Args, Debug)]
pub struct SymbolizeArgs {
    /// The backtrace; `-` reads stdin. gzip and zstd are decompressed.
    #[arg(value_name = "FILE", default_value = "-", value_hint = ValueHint::FilePath)]
    pub file: PathBuf,
    /// Write the annotated text to PATH instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "PATH", value_hint = ValueHint::FilePath)]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub symbols: SymbolArgs,
    /// Refuse to decompress the input beyond this many bytes: a number with
    /// an optional suffix K, M, G or T (powers of 1024), e.g. 512M.
    #[arg(long, value_name = "SIZE", default_value = "1G", value_parser = parse_size)]
    pub max_decompressed: u64,
}

/// Where to find the code of the modules a dump names by address.
#[derive(Args, Debug, Clone, Default)]
pub struct SymbolArgs {
    /// Resolve raw addresses against this executable or shared object (or
    /// its debug file). Repeatable; modules are matched by build-id first,
    /// then by file name.
    #[arg(long = "binary", value_name = "PATH", value_hint = ValueHint::FilePath)]
    pub binaries: Vec<PathBuf>,
    /// Look for separate debug files in DIR (`.build-id/xx/rest.debug`,
    /// `.gnu_debuglink` targets, DWZ files). Repeatable; /usr/lib/debug is
    /// searched too.
    #[arg(long = "debug-dir", value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub debug_dirs: Vec<PathBuf>,
    /// Where MODULE was loaded (the start of its first mapping), for bare
    /// addresses the dump does not place; e.g. `--base app=0x55d5c1a00000`.
    /// Without it the base of a lone --binary is inferred.
    #[arg(long = "base", value_name = "MODULE=ADDR", value_parser = parse_base)]
    pub bases: Vec<(String, u64)>,
}

impl SymbolArgs {
    /// The symbolizer's options for these flags (system debug directories
    /// searched too).
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
    let (module, address) = s
        .rsplit_once('=')
        .ok_or_else(|| format!("'{s}': expected MODULE=ADDR, e.g. app=0x55d5c1a00000"))?;
    let address = address.trim();
    let addr = match address
        .strip_prefix("0x")
        .or_else(|| address.strip_prefix("0X"))
    {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => address.parse(),
    }
    .map_err(|_| format!("'{address}' is not an address (hex with 0x, or decimal)"))?;
    if module.is_empty() {
        return Err(format!("'{s}': the module name is empty"));
    }
    Ok((module.to_string(), addr))
}

// The arguments of `dumpscope diff`.
// clap turns doc comments into --help text, which tests check: the items
// here are described in plain comments.
#[allow(missing_docs)]
#[derive(Args, Debug)]
pub struct DiffArgs {
    /// The time between successive dumps: seconds, or with a unit (`30s`,
    /// `5m`, `1h`). It wins over the times the dumps carry and the files'
    /// modification times.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub interval: Option<f64>,
    #[command(flatten)]
    pub analyze: AnalyzeArgs,
}

/// `90`, `90s`, `1.5m`, `2h` -> seconds.
fn parse_duration(s: &str) -> Result<f64, String> {
    let text = s.trim();
    let (num, mult) = match text.char_indices().last() {
        Some((i, 's')) => (&text[..i], 1.0),
        Some((i, 'm')) => (&text[..i], 60.0),
        Some((i, 'h')) => (&text[..i], 3600.0),
        _ => (text, 1.0),
    };
    match num.trim().parse::<f64>() {
        Ok(v) if v > 0.0 && v.is_finite() => Ok(v * mult),
        _ => Err(format!("'{s}' is not a duration (e.g. 90, 30s, 5m, 1h)")),
    }
}

/// `512`, `64K`, `512M`, `4G`, `1T` (powers of 1024; `KB`, `KiB` and lower
/// case are read the same) -> bytes.
fn parse_size(s: &str) -> Result<u64, String> {
    let text = s.trim();
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (num, unit) = text.split_at(digits);
    let mult: u64 = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "K" | "KB" | "KIB" => 1 << 10,
        "M" | "MB" | "MIB" => 1 << 20,
        "G" | "GB" | "GIB" => 1 << 30,
        "T" | "TB" | "TIB" => 1 << 40,
        _ => {
            return Err(format!(
                "'{text}': unknown size suffix '{}' (use K, M, G or T, e.g. 512M, 4G)",
                unit.trim()
            ))
        }
    };
    let count: u64 = num
        .parse()
        .map_err(|_| format!("'{text}' is not a size (e.g. 512M, 4G)"))?;
    count
        .checked_mul(mult)
        .ok_or_else(|| format!("'{text}' is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("512"), Ok(512));
        assert_eq!(parse_size("4G"), Ok(4 << 30));
        assert_eq!(parse_size("10m"), Ok(10 << 20));
        assert_eq!(parse_size("1t"), Ok(1 << 40));
        assert_eq!(parse_size("512MB"), Ok(512 << 20));
        assert_eq!(parse_size("2 GiB"), Ok(2 << 30));
        assert!(parse_size("x").is_err());
        assert!(parse_size("").is_err());
        assert!(parse_size("1.5G").is_err());
        assert!(parse_size("5Q").is_err());
        assert!(parse_size("99999999999T").is_err());
    }
}
