//! Where a report goes: the report files asked for (by flag or by the
//! extension of `-o`), stdout as text (coloured on a terminal) or JSON,
//! and the process exit codes.

use super::args::{AnalyzeArgs, OutputFormat};
use crate::report::{self, Report};
use anyhow::Context;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Exit code: success.
pub const EXIT_OK: u8 = 0;
/// Exit code: a finding at or above `--fail-on` exists.
pub const EXIT_FINDING: u8 = 1;
/// Exit code: some input could not be used, or the command line is wrong.
pub const EXIT_INPUT: u8 = 2;

/// What a report file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FileKind {
    Json,
    Html,
    Md,
    Text,
}

/// The report files asked for, checked before any work is done.
pub(super) fn output_files(args: &AnalyzeArgs) -> anyhow::Result<Vec<(PathBuf, FileKind)>> {
    let mut out = Vec::new();
    if let Some(path) = args.json.as_ref().filter(|p| p.as_os_str() != "-") {
        out.push((path.clone(), FileKind::Json));
    }
    if let Some(path) = &args.html {
        out.push((path.clone(), FileKind::Html));
    }
    if let Some(path) = &args.md {
        out.push((path.clone(), FileKind::Md));
    }
    for path in &args.output {
        let ext = path
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
                path.display()
            ),
        };
        out.push((path.clone(), kind));
    }
    for (path, _) in &out {
        check_writable(path)?;
    }
    Ok(out)
}

/// A report path must name a file in a directory that exists: checked
/// before any input is read, so a typo costs nothing.
pub(super) fn check_writable(path: &Path) -> anyhow::Result<()> {
    if path.is_dir() {
        anyhow::bail!("cannot write '{}': it is a directory", path.display());
    }
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
    if let Some(dir) = parent {
        if !dir.is_dir() {
            anyhow::bail!(
                "cannot write '{}': no directory '{}'",
                path.display(),
                dir.display()
            );
        }
    }
    Ok(())
}

/// Writes the report files, then the report on stdout: JSON when asked
/// for, otherwise the text, coloured as `--color` and the environment
/// (`NO_COLOR`, `CLICOLOR`, `CLICOLOR_FORCE`, a pipe) say. A closed stdout
/// is not an error.
pub(super) fn write_reports(
    report: &Report,
    args: &AnalyzeArgs,
    files: &[(PathBuf, FileKind)],
) -> anyhow::Result<()> {
    let text_opts = report::text::TextOptions {
        max_groups: args.max_groups.unwrap_or(report::text::DEFAULT_MAX_GROUPS),
        max_findings: args.max_findings,
    };
    for (path, kind) in files {
        write_file(path, |w| match kind {
            FileKind::Json => write_json(report, args.pretty, w),
            FileKind::Html => Ok(w.write_all(report::html::render(report).as_bytes())?),
            FileKind::Md => Ok(w.write_all(
                report::md::render(report, &report::md::MdOptions::default()).as_bytes(),
            )?),
            FileKind::Text => {
                let mut buf = Vec::new();
                report::text::render(report, &text_opts, &mut buf)?;
                Ok(w.write_all(&anstream::adapter::strip_bytes(&buf).into_vec())?)
            }
        })?;
    }
    let json_to_stdout =
        args.format == OutputFormat::Json || args.json.as_deref() == Some("-".as_ref());
    let stdout = std::io::stdout();
    if json_to_stdout {
        let mut out = std::io::BufWriter::new(stdout.lock());
        write_json(report, args.pretty, &mut out)?;
        out.flush()?;
    } else {
        let color = anstream::AutoStream::choice(&stdout) != anstream::ColorChoice::Never;
        let mut buf = Vec::with_capacity(1 << 16);
        report::text::render(report, &text_opts, &mut buf)?;
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
    Ok(())
}

/// Writes a report file through a buffer.
pub(super) fn write_file(
    path: &Path,
    body: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let file = std::fs::File::create(path)
        .with_context(|| format!("cannot write '{}'", path.display()))?;
    let mut out = std::io::BufWriter::new(file);
    body(&mut out).with_context(|| format!("cannot write '{}'", path.display()))?;
    out.flush()
        .with_context(|| format!("cannot write '{}'", path.display()))?;
    Ok(())
}

/// The JSON report, indented when `pretty`, with a final newline. The
/// serializer's many small writes go to a buffer of a known type (inlined
/// copies), which reaches `w` in large blocks.
fn write_json(report: &Report, pretty: bool, w: &mut dyn Write) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, w);
    if pretty {
        serde_json::to_writer_pretty(&mut out, report)?;
    } else {
        serde_json::to_writer(&mut out, report)?;
    }
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}
