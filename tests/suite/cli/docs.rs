//! The help and the documentation of the command line agree with the
//! binary: format names, options and their values, size suffixes, links,
//! the README's commands.

use super::{cmd, stderr_of, DUMP};
use crate::common;
use predicates::prelude::*;

/// The format names of the JSON report's `format` fields (every format id
/// constant of the parsers), of the headings of docs/formats.md and of the
/// `--input-format` row of docs/cli.md are all accepted by
/// `--input-format`.
#[test]
fn every_format_name_of_the_docs_and_reports_is_accepted() {
    use clap::ValueEnum;
    let root = common::root();
    let mut names: Vec<(String, &str)> = Vec::new();
    // Format ids the parsers write into reports.
    let id_const = regex::Regex::new(r#"pub const \w*FORMAT: &str = "([a-z0-9-]+)";"#).unwrap();
    let mut stack = vec![root.join("src/parse")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for c in id_const.captures_iter(&text) {
                    names.push((c[1].to_string(), "a format id of src/parse"));
                }
            }
        }
    }
    assert!(names.len() >= 15, "{names:?}");
    // The headings of docs/formats.md.
    let formats = std::fs::read_to_string(root.join("docs/formats.md")).unwrap();
    let code = regex::Regex::new(r"`([a-z0-9-]+)`").unwrap();
    for heading in formats.lines().filter(|l| l.starts_with('#')) {
        for c in code.captures_iter(heading) {
            names.push((c[1].to_string(), "a heading of docs/formats.md"));
        }
    }
    // The `--input-format` row of docs/cli.md.
    let cli = std::fs::read_to_string(root.join("docs/cli.md")).unwrap();
    let row = cli
        .lines()
        .find(|l| l.starts_with("| `--input-format"))
        .expect("docs/cli.md documents --input-format");
    let cell = row.split(" | ").nth(1).unwrap();
    for c in code.captures_iter(cell) {
        names.push((c[1].to_string(), "the --input-format row of docs/cli.md"));
    }
    for (name, from) in &names {
        assert!(
            dumpscope::parse::Format::from_str(name, false).is_ok(),
            "--input-format rejects '{name}', {from}"
        );
    }
    for id in [
        "lldb-threads",
        "async-backtrace-tasks",
        "go-heap-text",
        "native-heap-text",
    ] {
        assert!(names.iter().any(|(n, _)| n == id), "{id} not found");
    }
    // And the binary takes them: an lldb backtrace read as `lldb-threads`.
    let out = cmd()
        .args([
            "analyze",
            "--format",
            "json",
            "--input-format",
            "lldb-threads",
            "samples/native/lock-order/c/lldb-bt.txt",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["snapshots"][0]["format"], "lldb-threads");
}

/// The part of a Markdown page under a `##` heading, up to the next one.
fn section<'a>(page: &'a str, heading: &str) -> &'a str {
    let start = page
        .find(&format!("\n## {heading}\n"))
        .unwrap_or_else(|| panic!("docs/cli.md has no section '## {heading}'"));
    let rest = &page[start + 1..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |e| e + 3);
    &rest[..end]
}

/// docs/cli.md documents every option of every command (and every value
/// an option takes) where the help has it, and names no option in its
/// tables that the command does not have.
#[test]
fn docs_cli_md_documents_every_option_the_help_has() {
    use clap::CommandFactory;
    let page = std::fs::read_to_string(common::root().join("docs/cli.md")).unwrap();
    let mut top = dumpscope::cli::Cli::command();
    top.build();
    let global = section(&page, "Options of every command");
    let flag = regex::Regex::new(r"`(--[a-z][a-z-]*)").unwrap();
    for sub in top.get_subcommands() {
        let name = sub.get_name();
        let mut text = section(&page, &format!("`{name}`")).to_string();
        if name == "diff" {
            text.push_str(section(&page, "`analyze`"));
        }
        let rows: Vec<&str> = text
            .lines()
            .chain(global.lines())
            .filter(|l| l.starts_with("| `"))
            .collect();
        let mut longs = Vec::new();
        for arg in sub.get_arguments().filter(|a| !a.is_hide_set()) {
            let values: Vec<String> = arg
                .get_possible_values()
                .iter()
                .filter(|v| !v.is_hide_set())
                .map(|v| v.get_name().to_string())
                .collect();
            let Some(long) = arg.get_long() else {
                // A positional argument: its values are named in the section.
                for value in &values {
                    assert!(
                        text.contains(&format!("`{value}`")) || text.contains(&format!("{value}|")),
                        "docs/cli.md `{name}` does not name '{value}'"
                    );
                }
                continue;
            };
            let long = format!("--{long}");
            let row = rows
                .iter()
                .find(|r| {
                    r.split(" | ")
                        .next()
                        .is_some_and(|c| c.contains(&format!("`{long}")))
                })
                .unwrap_or_else(|| panic!("docs/cli.md: no row for `{name} {long}`"));
            for value in &values {
                assert!(
                    row.contains(value.as_str()),
                    "docs/cli.md: the row of `{name} {long}` does not name '{value}'"
                );
            }
            longs.push(long);
        }
        for row in text.lines().filter(|l| l.starts_with("| `")) {
            let cell = row.split(" | ").next().unwrap_or("");
            for c in flag.captures_iter(cell) {
                assert!(
                    longs.iter().any(|l| *l == c[1]),
                    "docs/cli.md documents {} for `{name}`, which has no such option",
                    &c[1]
                );
            }
        }
    }
}

/// GitHub's anchor of a heading: lower case, punctuation dropped, spaces
/// to hyphens.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// Every relative link of docs/cli.md, docs/formats.md and README.md names
/// a file that exists, and every anchor a heading of that file.
#[test]
fn links_of_the_cli_docs_resolve() {
    let root = common::root();
    let link = regex::Regex::new(r"\]\(([^)\s]+)\)").unwrap();
    for doc in ["docs/cli.md", "docs/formats.md", "README.md"] {
        let path = root.join(doc);
        let text = std::fs::read_to_string(&path).unwrap();
        for c in link.captures_iter(&text) {
            let target = &c[1];
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let (file, anchor) = match target.split_once('#') {
                Some((f, a)) => (f, Some(a)),
                None => (target, None),
            };
            let file = if file.is_empty() {
                path.clone()
            } else {
                path.parent().unwrap().join(file)
            };
            assert!(file.exists(), "{doc}: link to {target}: no such file");
            if let Some(anchor) = anchor {
                let page = std::fs::read_to_string(&file).unwrap();
                let anchors: Vec<String> = page
                    .lines()
                    .filter(|l| l.starts_with('#'))
                    .map(|l| slug(l.trim_start_matches('#')))
                    .collect();
                assert!(
                    anchors.iter().any(|a| a == anchor),
                    "{doc}: link to {target}: no such heading (have {anchors:?})"
                );
            }
        }
    }
}

/// The help names the size suffixes `--max-decompressed` takes, and it
/// takes each of them; `diff --help` says what `--interval` wins over.
#[test]
fn help_matches_the_parsers() {
    let help = cmd().args(["analyze", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout).replace('\n', " ");
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(help.contains("suffix K, M, G or T"), "{help}");
    for size in ["1K", "1KB", "1KiB", "1k"] {
        cmd()
            .args(["analyze", "samples/messy/lock-order-deadlock.txt.gz"])
            .args(["--max-decompressed", size])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("exceeds the limit of 1 KiB"));
    }
    for size in ["1M", "1G", "1T"] {
        cmd()
            .args(["analyze", "samples/messy/lock-order-deadlock.txt.gz"])
            .args(["--max-decompressed", size])
            .assert()
            .success();
    }
    cmd()
        .args(["analyze", DUMP, "--max-decompressed", "5Q"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("K, M, G or T"));
    let diff = cmd().args(["diff", "--help"]).output().unwrap();
    let diff = String::from_utf8_lossy(&diff.stdout).replace('\n', " ");
    let diff = diff.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(diff.contains("wins over the times the dumps carry and the files' modification times"));
}

/// README: `cargo install --locked`, and every `dumpscope COMMAND` it
/// shows is a command of the binary.
#[test]
fn readme_commands_exist() {
    let readme = std::fs::read_to_string(common::root().join("README.md")).unwrap();
    assert!(readme.contains("cargo install --locked --path ."));
    assert!(!readme.contains("cargo install --path"));
    let command = regex::Regex::new(r"^(?:\$ )?dumpscope ([a-z]+)").unwrap();
    let mut seen = 0;
    let mut in_code = false;
    for line in readme.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
        } else if let Some(c) = command.captures(line).filter(|_| in_code) {
            cmd().args([&c[1], "--help"]).assert().success();
            seen += 1;
        }
    }
    assert!(seen >= 8, "{seen}");
}
