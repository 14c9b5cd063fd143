//! Running a subcommand: flags turned into a pipeline configuration, the
//! library called (analyze, diff, symbolize, rules, schema), errors turned
//! into exit codes.

use super::args::{AnalyzeArgs, Cli, ColorWhen, Command, SymbolArgs, SymbolizeArgs};
use super::diag;
use super::output::{self, EXIT_FINDING, EXIT_INPUT, EXIT_OK};
use super::progress::Progress;
use crate::analyze::DiagnoseOptions;
use crate::input::LoadOptions;
use crate::pipeline::{self, Config, Outcome};
use crate::report::{self, GroupOptions};
use anyhow::Context;
use clap::{CommandFactory, Parser, ValueEnum};
use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::Path;

/// Parses the command line as the binary does. The colour flags are read
/// first, so that clap's own messages (usage errors, help) follow them
/// too; a usage error is printed and exits with code 2, `--help` and
/// `--version` with 0.
pub fn parse_args<I, T>(args: I) -> Cli
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    diag::set_color(color_in(&args));
    Cli::parse_from(args)
}

/// The colour the raw arguments ask for, the last flag winning; anything
/// clap will reject is left to clap.
fn color_in(args: &[OsString]) -> ColorWhen {
    let mut when = ColorWhen::Auto;
    let mut rest = args.iter().skip(1).map(|a| a.to_str());
    while let Some(arg) = rest.next() {
        let value = match arg {
            Some("--") => break,
            Some("--no-color") => Some("never"),
            Some("--color") => rest.next().flatten(),
            Some(arg) => arg.strip_prefix("--color="),
            None => None,
        };
        if let Some(value) = value.and_then(|v| ColorWhen::from_str(v, false).ok()) {
            when = value;
        }
    }
    when
}

/// Runs the command line; returns the process exit code.
pub fn run(cli: Cli) -> u8 {
    diag::set_color(cli.color_choice());
    match cli.command {
        Command::Schema => {
            let schema = serde_json::to_string_pretty(&report::json_schema()).unwrap_or_default();
            exit_code(print(schema.as_bytes()).and_then(|_| print(b"\n")))
        }
        Command::Rules => exit_code(print(
            crate::analyze::rules::catalogue_markdown().as_bytes(),
        )),
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "dumpscope", &mut script);
            exit_code(print(&script))
        }
        Command::Man { command } => exit_code(man(command.as_deref()).and_then(|p| print(&p))),
        Command::Help { command } => help(&command),
        Command::Symbolize(args) => exit_code(symbolize(&args)),
        Command::Analyze(args) => exit_code(analyze(*args, None)),
        Command::Diff(diff) => {
            let diff = *diff;
            if diff.analyze.files.len() < 2 {
                diag::error("diff needs at least two inputs, oldest first");
                return EXIT_INPUT;
            }
            exit_code(analyze(diff.analyze, Some(diff.interval)))
        }
    }
}

/// `dumpscope help [COMMAND]...`: the same text as `dumpscope COMMAND
/// --help`; an unknown subcommand is a usage error, as clap reports it.
fn help(path: &[String]) -> u8 {
    let args = std::iter::once("dumpscope")
        .chain(path.iter().map(String::as_str))
        .chain(std::iter::once("--help"));
    match Cli::try_parse_from(args) {
        Ok(_) => EXIT_OK,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_INPUT } else { EXIT_OK };
            match e.print() {
                Err(io) if io.kind() != std::io::ErrorKind::BrokenPipe => EXIT_INPUT,
                _ => code,
            }
        }
    }
}

/// The manual page (roff) of dumpscope, or of one of its subcommands
/// (`dumpscope-analyze(1)`, with every option of the subcommand).
fn man(command: Option<&str>) -> anyhow::Result<Vec<u8>> {
    let mut cli = Cli::command();
    cli.build();
    let page = match command {
        None => cli,
        Some(name) => {
            let names: Vec<&str> = cli.get_subcommands().map(|c| c.get_name()).collect();
            cli.find_subcommand(name).cloned().ok_or_else(|| {
                anyhow::anyhow!("no subcommand '{name}' (one of: {})", names.join(", "))
            })?
        }
    };
    let mut roff = Vec::new();
    clap_mangen::Man::new(page).render(&mut roff)?;
    Ok(roff)
}

/// Writes `bytes` to standard output.
fn print(bytes: &[u8]) -> anyhow::Result<u8> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)?;
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
            diag::error(format!("{e:#}"));
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
    check_symbol_paths(&args.symbols)?;
    if let Some(path) = &args.output {
        output::check_writable(path)?;
    }
    stdin_hint(std::slice::from_ref(&args.file), "a backtrace");
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
                .with_context(|| format!("cannot write '{}'", path.display()))?;
            let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
            crate::symbolize::text::annotate(&text, &mut symbolizer, &mut out)
                .and_then(|stats| out.flush().map(|()| stats))
                .with_context(|| format!("cannot write '{}'", path.display()))?
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
        diag::note(note);
    }
    diag::note(format!(
        "{} of {} addresses resolved",
        stats.resolved, stats.addresses
    ));
    Ok(EXIT_OK)
}

/// `analyze`, or `diff` when `diff` is set (to the `--interval`).
fn analyze(args: AnalyzeArgs, diff: Option<Option<f64>>) -> anyhow::Result<u8> {
    let cfg = config(&args)?;
    let files = output::output_files(&args)?;
    if args.files.iter().filter(|f| f.as_os_str() == "-").count() > 1 {
        anyhow::bail!("stdin ('-') can be given only once");
    }
    stdin_hint(&args.files, "a dump");
    let outcome = run_pipeline(&args.files, &cfg, diff);
    for warning in &outcome.warnings {
        diag::warning(warning);
    }
    for error in &outcome.errors {
        diag::error(error);
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
                .with_context(|| format!("cannot read rules file '{}'", path.display()))?;
            crate::analyze::rules::user::UserRules::parse(&text)
                .map_err(|e| anyhow::anyhow!("rules file '{}': {e}", path.display()))?
        }
        None => Default::default(),
    };
    if let Some(root) = &args.source_root {
        check_dir("--source-root", root)?;
    }
    check_symbol_paths(&args.symbols)?;
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

/// Every `--binary` must be a file and every `--debug-dir` a directory:
/// a mistyped path is a usage error, not an address left unresolved.
fn check_symbol_paths(symbols: &SymbolArgs) -> anyhow::Result<()> {
    for binary in &symbols.binaries {
        match std::fs::metadata(binary) {
            Ok(meta) if meta.is_dir() => {
                anyhow::bail!("--binary '{}' is a directory", binary.display())
            }
            Ok(_) => {}
            Err(e) => anyhow::bail!("--binary '{}': {}", binary.display(), why(&e)),
        }
    }
    for dir in &symbols.debug_dirs {
        check_dir("--debug-dir", dir)?;
    }
    Ok(())
}

/// A directory a flag names must exist and be a directory.
fn check_dir(flag: &str, dir: &Path) -> anyhow::Result<()> {
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => anyhow::bail!("{flag} '{}' is not a directory", dir.display()),
        Err(e) => anyhow::bail!("{flag} '{}': {}", dir.display(), why(&e)),
    }
}

/// What the operating system said about a path, in words.
fn why(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// A hint on stderr when stdin is read and is a terminal: without it the
/// command would wait silently for input.
fn stdin_hint(files: &[std::path::PathBuf], what: &str) {
    if files.iter().any(|f| f.as_os_str() == "-") && std::io::stdin().is_terminal() {
        diag::hint(format!(
            "reading {what} from standard input (end it with Ctrl-D; see --help)"
        ));
    }
}

/// Analyses (or diffs) the inputs with a progress bar per big input.
fn run_pipeline(paths: &[std::path::PathBuf], cfg: &Config, diff: Option<Option<f64>>) -> Outcome {
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
