//! The line account on every sample: each line of every dump under
//! `samples/` is read into the model or skipped with a reason, none is
//! unexplained, and the dumps of one input tile its text. Thread dumps cut,
//! concatenated and re-wrapped (log prefixes, CRLF, text around) keep every
//! thread complete before the cut.

use crate::common;

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

/// Every input under `samples/` some format reads, with its parse, in
/// path order (inputs no format reads, such as the binaries samples were
/// symbolized with, are not dumps either).
fn sample_dumps() -> impl Iterator<Item = (std::path::PathBuf, pipeline::ParsedInput)> {
    let mut files = Vec::new();
    walk(&common::root().join("samples"), &mut files);
    files.sort();
    files.into_iter().filter_map(|path| {
        let mut warnings = Vec::new();
        let none = |_: u64| None;
        let parsed =
            pipeline::load_and_parse(path.to_str()?, &Config::default(), &none, &mut warnings)
                .ok()?;
        Some((path, parsed))
    })
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
    let mut by_format: BTreeMap<&'static str, Tally> = BTreeMap::new();
    let mut failures = Vec::new();
    for (path, parsed) in sample_dumps() {
        let path = &path;
        let rel = path
            .strip_prefix(common::root())
            .unwrap_or(path)
            .display()
            .to_string();
        // Every account of the input (dumps and heap profiles), to check
        // that the line ranges tile the text.
        let mut ranges: Vec<(u64, u64)> = Vec::new();
        let mut text_lines = None;
        let accounts = parsed
            .snapshots
            .iter()
            .map(|s| (s.format, s.index, s.lines.as_ref(), !s.tasks.is_empty()))
            .chain(
                parsed
                    .heaps
                    .iter()
                    .map(|h| (h.format, h.index, h.lines.as_ref(), !h.samples.is_empty())),
            );
        for (format, index, lines, has_content) in accounts {
            let tally = by_format.entry(format).or_default();
            tally.dumps += 1;
            let Some(lines) = lines else {
                tally.without_account += 1;
                failures.push(format!("{rel} dump {index} ({format}): no account"));
                continue;
            };
            tally.lines += lines.total();
            tally.unexplained += lines.unexplained().abs();
            if lines.unexplained() != 0 {
                failures.push(format!("{rel} dump {index} ({format}): {lines:?}"));
            }
            if lines.unit == LineUnit::Line {
                ranges.push((lines.first, lines.last));
            } else if lines.total() == 0 && has_content {
                failures.push(format!("{rel} dump {index}: no record counted"));
            }
        }
        if let Some(s) = parsed.snapshots.first() {
            text_lines = Some(line_count(&s.text));
        }
        ranges.sort();
        let mut next = 1;
        for (first, last) in &ranges {
            if *first != next {
                failures.push(format!("{rel}: accounts do not tile the text: {ranges:?}"));
                break;
            }
            next = last + 1;
        }
        if let (Some(n), false) = (text_lines, ranges.is_empty()) {
            if next - 1 != n {
                failures.push(format!("{rel}: the dumps cover {} of {n} lines", next - 1));
            }
        }
        let formats: std::collections::BTreeSet<_> = parsed
            .snapshots
            .iter()
            .map(|s| s.format)
            .chain(parsed.heaps.iter().map(|h| h.format))
            .collect();
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

/// A thread dump format for the property test: a sample, its thread
/// header (with the thread's name, when the dump prints one, in group 1)
/// and its frame lines, read with regexes independent of the parsers.
struct Form {
    sample: &'static str,
    header: &'static str,
    frame: &'static str,
}

const FORMS: [Form; 6] = [
    Form {
        sample: "samples/java/healthy/jstack.txt",
        header: r#"^"([^"]*)" .*\bnid="#,
        frame: r"^\s+at ",
    },
    Form {
        sample: "samples/java/lock-convoy/jstack-l.txt",
        header: r#"^"([^"]*)" .*\bnid="#,
        frame: r"^\s+at ",
    },
    Form {
        sample: "samples/native/gdb/mutex-deadlock/bt-full.txt",
        header: r"^Thread \d+ \(Thread 0x[0-9a-f]+ \(LWP \d+\)(?: \x22([^\x22]*)\x22)?\):$",
        frame: r"^#\d+ ",
    },
    Form {
        sample: "samples/native/gdb/mutex-deadlock/bt.txt",
        header: r"^Thread \d+ \(Thread 0x[0-9a-f]+ \(LWP \d+\)(?: \x22([^\x22]*)\x22)?\):$",
        frame: r"^#\d+ ",
    },
    Form {
        sample: "samples/python/lock-deadlock/faulthandler.txt",
        header: r"^(?:Current thread|Thread) 0x[0-9a-f]+ \(most recent call first\):$()",
        frame: r#"^  File ""#,
    },
    Form {
        sample: "samples/python/lock-deadlock/py-spy.txt",
        header: r#"^Thread \d+ \(\w+\): "([^"]*)"$"#,
        frame: r"^    \S.* \(\S+\)$",
    },
];

/// The threads of `text` that end (a blank line, another header) before
/// byte `end`, or at its end when it is the `whole` dump: (name, number of
/// frames).
fn complete_threads(form: &Form, text: &str, end: usize, whole: bool) -> Vec<(String, usize)> {
    let header = regex::Regex::new(form.header).unwrap();
    let frame = regex::Regex::new(form.frame).unwrap();
    let mut out = Vec::new();
    let mut cur: Option<(String, usize)> = None;
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        let l = line.trim_end_matches(['\n', '\r']);
        let ended = pos + line.len() <= end && (whole || line.ends_with('\n'));
        if let Some(c) = header.captures(l) {
            if let Some(done) = cur.take() {
                if pos < end {
                    out.push(done);
                }
            }
            let name = c.get(1).map_or("", |m| m.as_str()).to_string();
            cur = Some((name, 0));
        } else if frame.is_match(l) {
            if let Some((_, n)) = cur.as_mut() {
                if ended {
                    *n += 1;
                } else {
                    // A frame cut in the middle: the thread is not complete.
                    cur = None;
                }
            }
        } else if l.trim().is_empty() {
            if let Some(done) = cur.take() {
                if pos < end {
                    out.push(done);
                }
            }
        }
        pos += line.len();
    }
    // The whole text: its last thread is complete too.
    if let (Some(done), true) = (cur, whole) {
        out.push(done);
    }
    out
}

/// The transformations a dump goes through on its way to a ticket.
fn rewrap(text: &str, how: u8) -> String {
    match how {
        0 => text.replace('\n', "\r\n"),
        1 => text
            .lines()
            .enumerate()
            .map(|(i, l)| format!("2026-03-01T10:00:{:02}.{:03}Z {l}\n", i % 60, i % 1000))
            .collect(),
        2 => format!("service starting\nlistening on :8080\n{text}\nexit status 2\n"),
        3 => text.lines().map(|l| format!("> {l}\n")).collect(),
        _ => text.to_string(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Cut a thread dump anywhere, re-wrap it (CRLF, log prefixes, text
    /// around, quoting), append a copy of the whole dump: every thread
    /// complete before the cut is read with all its frames, and every line
    /// is still accounted for.
    #[test]
    fn cut_rewrapped_and_concatenated_thread_dumps_keep_complete_threads(
        which in 0usize..FORMS.len(),
        cut in 0.05f64..1.0,
        how in 0u8..5,
        append in any::<bool>(),
    ) {
        let form = &FORMS[which];
        let text = common::read(form.sample);
        let mut at = (text.len() as f64 * cut) as usize;
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        let kept = &text[..at];
        let mut input = rewrap(kept, how);
        let mut expected = complete_threads(form, kept, at, false);
        if append {
            input.push('\n');
            input.push_str(&rewrap(&text, how));
            expected.extend(complete_threads(form, &text, text.len(), true));
        }
        let snaps = parse_any(input.as_bytes());
        let mut got: Vec<(String, usize)> = snaps
            .iter()
            .flat_map(|s| {
                s.tasks.iter().map(move |t| {
                    (s.task_name(t).unwrap_or("").to_string(), s.stack(t).frames.len())
                })
            })
            .collect();
        for thread in &expected {
            // Faulthandler prints no names: the frame count alone.
            let found = got.iter().position(|g| {
                g.1 == thread.1 && (thread.0.is_empty() || g.0 == thread.0)
            });
            prop_assert!(
                found.is_some(),
                "{} cut at {} how {} append {}: thread {:?} lost; read {:?}",
                form.sample, at, how, append, thread, got
            );
            if let Some(i) = found {
                got.swap_remove(i);
            }
        }
        for s in &snaps {
            let lines = s.lines.as_ref().expect("thread dumps keep the account");
            prop_assert_eq!(lines.unexplained(), 0, "{} how {}: {:?}", form.sample, how, lines);
        }
    }
}

/// The property test's own reading of each sample finds its threads, and
/// the parsers read the same ones from the whole dump.
#[test]
fn the_property_test_sees_every_thread_of_its_samples() {
    for form in &FORMS {
        let text = common::read(form.sample);
        let expected = complete_threads(form, &text, text.len(), true);
        assert!(expected.len() > 2, "{}: {expected:?}", form.sample);
        assert!(
            expected.iter().filter(|t| t.1 > 0).count() > 2,
            "{}",
            form.sample
        );
        let snaps = parse_any(text.as_bytes());
        let tasks: usize = snaps.iter().map(|s| s.tasks.len()).sum();
        assert_eq!(tasks, expected.len(), "{}", form.sample);
    }
}

/// Every report of every sample, a report of several dumps and a diff
/// validate against the schema `dumpscope schema` prints: the JSON keeps
/// the contract it publishes.
#[test]
fn every_json_report_validates_against_the_schema() {
    let schema = dumpscope::report::json_schema();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let mut failures = Vec::new();
    let mut checked = 0;
    let mut parsed_all = Vec::new();
    for (path, parsed) in sample_dumps() {
        let report = pipeline::report(
            std::slice::from_ref(&parsed),
            &Default::default(),
            &Default::default(),
        );
        let json = serde_json::to_value(&report).expect("serializes");
        checked += 1;
        for error in validator.iter_errors(&json).take(3) {
            failures.push(format!(
                "{}: {error} at {}",
                path.display(),
                error.instance_path()
            ));
        }
        if parsed_all.len() < 2 && path.to_string_lossy().contains("samples/go/lock-convoy/") {
            parsed_all.push(parsed);
        }
    }
    assert!(checked > 100, "{checked}");
    // Several inputs in one report, and a diff of two.
    let several = pipeline::report(&parsed_all, &Default::default(), &Default::default());
    let json = serde_json::to_value(&several).expect("serializes");
    for error in validator.iter_errors(&json).take(3) {
        failures.push(format!("two inputs: {error} at {}", error.instance_path()));
    }
    let diff = pipeline::diff_report(
        &parsed_all,
        &Default::default(),
        &Default::default(),
        &pipeline::DiffTimes {
            interval: Some(60.0),
            mtimes: Vec::new(),
        },
    );
    let json = serde_json::to_value(&diff).expect("serializes");
    for error in validator.iter_errors(&json).take(3) {
        failures.push(format!("diff: {error} at {}", error.instance_path()));
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// The blocks of a sample's text (split at blank lines) that start with
/// `prefix`, each with its blank line.
fn sample_blocks(rel: &str, prefix: &str) -> Vec<String> {
    let text = std::fs::read_to_string(common::root().join(rel)).expect("sample");
    text.split("\n\n")
        .map(|b| b.trim_matches('\n'))
        .filter(|b| b.starts_with(prefix))
        .map(|b| format!("{b}\n\n"))
        .collect()
}

/// What every dump of a capped input must show: at most
/// [`parse::threads::MAX_DUMPS`] dumps, the first warning how many earlier
/// ones were left out, and every line of the input still accounted for
/// (those of the dumps left out as skipped over the limit).
fn assert_capped(snaps: &[dumpscope::model::Snapshot], text: &str, repeats: usize) {
    let cap = parse::threads::MAX_DUMPS;
    assert_eq!(snaps.len(), cap, "dumps kept");
    let dropped = repeats - cap;
    let warning = &snaps[0].warnings[0].message;
    assert!(
        warning.starts_with(&format!("{dropped} earlier dumps")) && warning.contains("at most"),
        "{warning}"
    );
    assert!(snaps[1..]
        .iter()
        .all(|s| s.warnings.iter().all(|w| !w.message.contains("at most"))));
    let mut total = dumpscope::model::LineAccount::default();
    for snap in snaps {
        let lines = snap.lines.clone().expect("account");
        assert_eq!(lines.unexplained(), 0, "dump {}", snap.index);
        total.absorb(&lines);
    }
    assert_eq!(total.total(), line_count(text.as_bytes()));
    assert!(total.skipped(dumpscope::model::SkipReason::OverLimit) > 0);
    // The last dumps are kept: the last one ends the input.
    let last = snaps.last().and_then(|s| s.tasks.last()).expect("a task");
    assert!(text.len() - last.offset as usize <= text.len() / repeats + 1);
    assert!(snaps.iter().enumerate().all(|(i, s)| s.index == i));
    // The first dump kept covers the text of those left out.
    assert_eq!(snaps[0].range.0, 0);
}

/// A goroutine printed again starts a new dump; a file that prints one
/// goroutine thousands of times (a log of `debug.Stack()` calls, a hostile
/// input) keeps the last dumps up to the cap, warns, and accounts for the
/// rest.
#[test]
fn a_goroutine_repeated_thousands_of_times_is_capped_with_a_warning() {
    let blocks = sample_blocks("samples/go/healthy-service/debug2.txt", "goroutine ");
    let block = blocks.iter().min_by_key(|b| b.len()).expect("a goroutine");
    let repeats = 2 * parse::threads::MAX_DUMPS + 500;
    let text = block.repeat(repeats);
    let snaps = parse_any(text.as_bytes());
    assert_capped(&snaps, &text, repeats);
    assert!(snaps.iter().all(|s| s.tasks.len() == 1));
    // Goroutine headers alone, repeated (no frames, so each is cut).
    let header = format!("{}\n", block.lines().next().unwrap_or_default());
    let headers = header.repeat(repeats);
    let snaps = parse_any(headers.as_bytes());
    assert_capped(&snaps, &headers, repeats);
}

/// The same for the thread dump builder (Python's faulthandler prints no
/// separator between dumps, so a thread printed again starts the next).
#[test]
fn a_thread_repeated_thousands_of_times_is_capped_with_a_warning() {
    let blocks = sample_blocks("samples/python/lock-deadlock/faulthandler.txt", "Thread 0x");
    let block = blocks.iter().min_by_key(|b| b.len()).expect("a thread");
    let repeats = parse::threads::MAX_DUMPS + 700;
    let text = block.repeat(repeats);
    let snaps = parse_any(text.as_bytes());
    assert_capped(&snaps, &text, repeats);
}

/// Genuinely separate dumps in one file, fewer than the cap, stay
/// separate dumps, without a warning about the cap.
#[test]
fn separate_dumps_under_the_cap_are_all_kept() {
    let path = common::root().join("samples/go/busy-pools/all.txt");
    let one = std::fs::read_to_string(path).expect("sample");
    let text = one.repeat(3);
    let snaps = parse_any(text.as_bytes());
    assert_eq!(snaps.len(), 3);
    let single = parse_any(one.as_bytes());
    for snap in &snaps {
        assert_eq!(snap.tasks.len(), single[0].tasks.len());
        assert!(snap.warnings.iter().all(|w| !w.message.contains("at most")));
    }
}

/// Long runs of empty lines between and after goroutines, inside crash
/// text and a race report, are counted line by line in the account
/// (they are read as runs, not one by one).
#[test]
fn runs_of_blank_lines_are_accounted_for() {
    for rel in [
        "samples/go/healthy-service/debug2.txt",
        "samples/go/crash-nil-map/all.txt",
        "samples/go/race/all.txt",
    ] {
        let Ok(one) = std::fs::read_to_string(common::root().join(rel)) else {
            continue;
        };
        let single = parse_any(one.as_bytes());
        let blank = "\n".repeat(5000);
        // Every blank line made a run of 5,000, and 5,000 more at the end.
        let text = one.replace("\n\n", &format!("\n{blank}")) + &blank;
        let snaps = parse_any(text.as_bytes());
        assert_eq!(snaps.len(), single.len(), "{rel}");
        let mut total = dumpscope::model::LineAccount::default();
        for (snap, was) in snaps.iter().zip(&single) {
            assert_eq!(snap.tasks.len(), was.tasks.len(), "{rel}");
            assert_eq!(snap.crash.is_some(), was.crash.is_some(), "{rel}");
            let lines = snap.lines.clone().expect("account");
            assert_eq!(lines.unexplained(), 0, "{rel}");
            total.absorb(&lines);
        }
        assert_eq!(total.total(), line_count(text.as_bytes()), "{rel}");
        let blanks = text.lines().filter(|l| l.trim().is_empty()).count() as u64;
        assert_eq!(
            total.skipped(dumpscope::model::SkipReason::Blank),
            blanks,
            "{rel}"
        );
    }
}

/// Dumps that each bring thousands of new distinct stacks (function names
/// no two dumps share) keep fewer dumps than the cap: some passes visit
/// every stack of the input once per dump, so dumps times stacks is
/// bounded.
#[test]
fn dumps_with_many_distinct_stacks_keep_fewer() {
    let blocks = sample_blocks("samples/go/healthy-service/debug2.txt", "goroutine ");
    let block = blocks.iter().min_by_key(|b| b.len()).expect("a goroutine");
    let (head, rest) = block.split_once('\n').expect("a header line");
    let (function, tail) = rest.split_once('(').expect("a call");
    let (dumps, per) = (1500usize, 10usize);
    let mut text = String::new();
    for d in 0..dumps {
        for i in 0..per {
            let id_at = head.find(|c: char| c.is_ascii_digit()).unwrap_or(0);
            let digits = head[id_at..]
                .chars()
                .take_while(char::is_ascii_digit)
                .count();
            let head = format!("{}{}{}", &head[..id_at], i + 1, &head[id_at + digits..]);
            text.push_str(&format!("{head}\n{function}_{d}_{i}({tail}"));
        }
    }
    let snaps = parse_any(text.as_bytes());
    let stacks = snaps[0].tables.stack_count();
    assert!(stacks >= dumps * per, "{stacks} stacks");
    let kept = parse::threads::dumps_kept(stacks);
    assert!(kept < parse::threads::MAX_DUMPS, "{kept}");
    assert_eq!(snaps.len(), kept);
    assert!(snaps[0].warnings[0]
        .message
        .starts_with(&format!("{} earlier dumps", dumps - kept)));
    assert!(snaps.iter().all(|s| s.tasks.len() == per));
}
