//! Running a subcommand: flags turned into a pipeline configuration, the
//! library called (analyze, diff, symbolize, rules, schema), errors turned
//! into exit codes.

use super::args::{AnalyzeArgs, Cli, Command, SymbolizeArgs};
use super::output::{self, EXIT_FINDING, EXIT_INPUT, EXIT_OK};
use super::progress::Progress;
use crate::analyze::DiagnoseOptions;
use crate::input::LoadOptions;
use crate::pipeline::{self, Config, Outcome};
use crate::report::{self, GroupOptions};
use anyhow::Context;
use std::io::Write;

/// Runs the command line; returns the process exit code.
pub fn run(cli: Cli) -> u8 {
    match cli.command {
        Command::Schema => {
            let schema = serde_json::to_string_pretty(&report::json_schema()).unwrap_or_default();
            exit_code(print(&format!("{schema}\n")))
        }
        Command::Rules => exit_code(print(&crate::analyze::rules::catalogue_markdown())),
        Command::Symbolize(args) => exit_code(symbolize(&args)),
        Command::Analyze(args) => exit_code(analyze(*args, None)),
        Command::Diff(diff) => {
            let diff = *diff;
            if diff.analyze.files.len() < 2 {
                eprintln!("dumpscope: error: diff needs at least two inputs, oldest first");
                return EXIT_INPUT;
            }
            exit_code(analyze(diff.analyze, Some(diff.interval)))
        }
    }
}

/// Writes `text` to standard output.
fn print(text: &str) -> anyhow::Result<u8> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(EXIT_OK)
}

/// Whether an error is a write to a pipe whose reader has gone (`| head`).
fn broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || cause
                .downcast_ref::<serde_json::Error>()
                .and_then(serde_json::Error::io_error_kind)
                == Some(std::io::ErrorKind::BrokenPipe)
    })
}

/// The exit code of a subcommand; an error is printed and is unusable input.
/// A reader that stopped reading (`| head`) is not an error: the output
/// ends quietly, as ripgrep's and jq's do.
fn exit_code(result: anyhow::Result<u8>) -> u8 {
    match result {
        Ok(code) => code,
        Err(e) if broken_pipe(&e) => EXIT_OK,
        Err(e) => {
            eprintln!("dumpscope: error: {e:#}");
            EXIT_INPUT
        }
    }
}

/// `dumpscope symbolize`.
fn symbolize(args: &SymbolizeArgs) -> anyhow::Result<u8> {
    let opts = args.symbols.options();
    if !opts.is_active() {
        anyhow::bail!("symbolize needs the binaries: give --binary PATH (or --debug-dir DIR)");
    }
    let loaded = crate::input::load(
        &args.file,
        &LoadOptions {
            max_decompressed: args.max_decompressed,
        },
    )?;
    let text = String::from_utf8_lossy(&loaded.data);
    let mut symbolizer = crate::symbolize::Symbolizer::new(&opts);
    let stats = match &args.output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
            crate::symbolize::text::annotate(&text, &mut symbolizer, &mut out)
                .and_then(|stats| out.flush().map(|()| stats))
                .with_context(|| format!("cannot write {}", path.display()))?
        }
        None => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
            match crate::symbolize::text::annotate(&text, &mut symbolizer, &mut out)
                .and_then(|stats| out.flush().map(|()| stats))
            {
                Ok(stats) => stats,
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(EXIT_OK),
                Err(e) => return Err(e.into()),
            }
        }
    };
    for note in &stats.notes {
        eprintln!("dumpscope: note: {note}");
    }
    eprintln!(
        "dumpscope: {} of {} addresses resolved",
        stats.resolved, stats.addresses
    );
    Ok(EXIT_OK)
}

/// `analyze`, or `diff` when `diff` is set (to the `--interval`).
fn analyze(args: AnalyzeArgs, diff: Option<Option<f64>>) -> anyhow::Result<u8> {
    let cfg = config(&args)?;
    let files = output::output_files(&args)?;
    if args.files.iter().filter(|f| f.as_str() == "-").count() > 1 {
        anyhow::bail!("stdin ('-') can be given only once");
    }
    let outcome = run_pipeline(&args.files, &cfg, diff);
    for warning in &outcome.warnings {
        eprintln!("dumpscope: warning: {warning}");
    }
    for error in &outcome.errors {
        eprintln!("dumpscope: error: {error}");
    }
    let code = if outcome.errors.is_empty() {
        EXIT_OK
    } else {
        EXIT_INPUT
    };
    let Some(r) = outcome.report else {
        return Ok(EXIT_INPUT);
    };
    output::write_reports(&r, &args, &files)?;
    if code == EXIT_OK {
        if let Some(min) = args.fail_on {
            if r.max_severity().is_some_and(|s| s >= min) {
                return Ok(EXIT_FINDING);
            }
        }
    }
    Ok(code)
}

/// The pipeline configuration the flags ask for; a bad `--filter`,
/// rules file or `--source-root` is an error.
fn config(args: &AnalyzeArgs) -> anyhow::Result<Config> {
    let filter = match &args.filter {
        Some(pattern) => Some(
            regex::RegexBuilder::new(pattern)
                .size_limit(1 << 22)
                .build()
                .with_context(|| {
                    format!("--filter '{pattern}' is not a valid regular expression")
                })?,
        ),
        None => None,
    };
    let user_rules = match &args.rules {
        Some(path) => {
            let text = read_small(path, 1 << 20)
                .with_context(|| format!("cannot read rules file {}", path.display()))?;
            crate::analyze::rules::user::UserRules::parse(&text)
                .map_err(|e| anyhow::anyhow!("rules file {}: {e}", path.display()))?
        }
        None => Default::default(),
    };
    if let Some(root) = &args.source_root {
        if !root.is_dir() {
            anyhow::bail!("--source-root {} is not a directory", root.display());
        }
    }
    Ok(Config {
        load: LoadOptions {
            max_decompressed: args.max_decompressed,
        },
        format: args.input_format,
        groups: GroupOptions {
            similarity: args.similarity,
            filter,
            max_groups: args.max_groups,
        },
        diagnose: DiagnoseOptions {
            source_root: args.source_root.clone(),
            dump_paths: args.source_root.is_none(),
            user_rules,
            skip: args.no_diagnose,
        },
        symbolize: args.symbols.options(),
    })
}

/// Analyses (or diffs) the inputs with a progress bar per big input.
fn run_pipeline(paths: &[String], cfg: &Config, diff: Option<Option<f64>>) -> Outcome {
    let bars: std::cell::RefCell<Vec<Progress>> = Default::default();
    let progress = |size: u64| {
        for done in bars.borrow_mut().drain(..) {
            done.finish();
        }
        let bar = Progress::start(size);
        let counter = bar.counter();
        bars.borrow_mut().push(bar);
        counter
    };
    let outcome = match diff {
        None => pipeline::analyze_paths(paths, cfg, &progress),
        Some(interval) => pipeline::diff_paths(paths, cfg, &progress, interval),
    };
    for bar in bars.into_inner() {
        bar.finish();
    }
    outcome
}

/// Reads a small text file, refusing anything larger than `max` bytes.
fn read_small(path: &std::path::Path, max: u64) -> anyhow::Result<String> {
    let meta = std::fs::metadata(path)?;
    if meta.len() > max {
        anyhow::bail!("larger than {max} bytes");
    }
    Ok(String::from_utf8_lossy(&std::fs::read(path)?).into_owned())
}
