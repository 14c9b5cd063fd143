//! The line account on every sample: each line of every dump under
//! `samples/` is read into the model or skipped with a reason, none is
//! unexplained, and the dumps of one input tile its text. Thread dumps cut,
//! concatenated and re-wrapped (log prefixes, CRLF, text around) keep every
//! thread complete before the cut.

mod common;

use dumpscope::input::Bytes;
use dumpscope::model::LineUnit;
use dumpscope::parse::{self, ParseOptions};
use dumpscope::pipeline::{self, Config};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

/// Files that are not dumps by their kind: the programs that wrote the
/// samples, the scripts that run them, their documentation and build
/// files, the records programs keep of what they did.
fn is_not_a_dump(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().into_owned())
        .unwrap_or_default();
    const SOURCE: [&str; 15] = [
        "go",
        "py",
        "sh",
        "c",
        "cc",
        "cpp",
        "h",
        "rs",
        "java",
        "md",
        "toml",
        "lock",
        "mod",
        "sum",
        "gitignore",
    ];
    SOURCE.contains(&ext.as_str()) || name.starts_with("expected") || name == "manifest.json"
}

fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else if !is_not_a_dump(&path) {
            out.push(path);
        }
    }
}

fn line_count(text: &[u8]) -> u64 {
    let newlines = text.iter().filter(|&&c| c == b'\n').count() as u64;
    newlines + u64::from(!text.is_empty() && !text.ends_with(b"\n"))
}

#[derive(Default, Debug)]
struct Tally {
    files: u32,
    dumps: u32,
    lines: u64,
    unexplained: i64,
    without_account: u32,
}

/// Every dump of every format under `samples/`: its account balances,
/// and the accounts of one input's dumps cover its text once.
#[test]
fn every_line_of_every_sample_is_accounted_for() {
    let mut files = Vec::new();
    walk(&common::root().join("samples"), &mut files);
    files.sort();
    let mut by_format: BTreeMap<&'static str, Tally> = BTreeMap::new();
    let mut failures = Vec::new();
    for path in &files {
        let mut warnings = Vec::new();
        let none = |_: u64| None;
        // Inputs no format reads (binaries the samples were symbolized
        // with) are not dumps either.
        let Ok(parsed) = pipeline::load_and_parse(
            path.to_str().unwrap(),
            &Config::default(),
            &none,
            &mut warnings,
        ) else {
            continue;
        };
        let rel = path
            .strip_prefix(common::root())
            .unwrap_or(path)
            .display()
            .to_string();
        let mut covered = 0;
        let mut text_lines = None;
        for s in &parsed.snapshots {
            let tally = by_format.entry(s.format).or_default();
            tally.dumps += 1;
            let Some(lines) = s.lines.as_ref() else {
                tally.without_account += 1;
                failures.push(format!("{rel} dump {} ({}): no account", s.index, s.format));
                continue;
            };
            tally.lines += lines.total();
            tally.unexplained += lines.unexplained().abs();
            if lines.unexplained() != 0 {
                failures.push(format!("{rel} dump {} ({}): {lines:?}", s.index, s.format));
            }
            if lines.unit == LineUnit::Line {
                covered += lines.total();
                text_lines.get_or_insert_with(|| line_count(&s.text));
            } else if lines.total() == 0 {
                failures.push(format!("{rel} dump {}: no record counted", s.index));
            }
        }
        if let Some(n) = text_lines {
            if covered != n {
                failures.push(format!("{rel}: the dumps cover {covered} of {n} lines"));
            }
        }
        let formats: std::collections::BTreeSet<_> =
            parsed.snapshots.iter().map(|s| s.format).collect();
        for f in formats {
            by_format.entry(f).or_default().files += 1;
        }
    }
    for (format, tally) in &by_format {
        eprintln!("{format:24} {tally:?}");
    }
    assert!(by_format.len() > 8, "{by_format:?}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn parse_any(text: &[u8]) -> Vec<dumpscope::model::Snapshot> {
    parse::parse_input(
        "test",
        Bytes::owned(text.to_vec()),
        &ParseOptions::default(),
    )
    .map(|p| p.snapshots)
    .unwrap_or_default()
}
