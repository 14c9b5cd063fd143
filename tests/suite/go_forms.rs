//! Go traceback forms read without loss: truncation decided by the grammar,
//! every line of every Go sample accounted for, ancestor chains
//! (`GODEBUG=tracebackancestors`), unreadable lines warned, goroutines inside
//! a panic, test timeouts, several dumps in one input. The dumps are the
//! committed samples (`samples/go-forms/generate.sh` and the others), cut or
//! re-wrapped here by code.

use crate::common;

use dumpscope::input::Bytes;
use dumpscope::model::{Snapshot, TaskDetail, TaskFlags};
use dumpscope::parse::{self, go, ParseOptions};
use proptest::prelude::*;
use std::path::Path;

fn parse_go(text: &[u8]) -> Vec<Snapshot> {
    go::parse(Bytes::owned(text.to_vec()), "test", &go::Options::default())
}

/// Through the input layer too: unwrapping and detection.
fn parse_any(text: &[u8]) -> Vec<Snapshot> {
    parse::parse_input(
        "test",
        Bytes::owned(text.to_vec()),
        &ParseOptions::default(),
    )
    .map(|p| p.snapshots)
    .unwrap_or_default()
}

fn sample(rel: &str) -> Vec<u8> {
    std::fs::read(common::root().join(rel)).unwrap()
}

fn line_count(text: &[u8]) -> u64 {
    let newlines = text.iter().filter(|&&c| c == b'\n').count() as u64;
    newlines + u64::from(!text.is_empty() && !text.ends_with(b"\n"))
}

/// Every text file of the Go sample directories.
fn go_sample_files() -> Vec<String> {
    let mut out = Vec::new();
    for dir in [
        "samples/go",
        "samples/go-forms",
        "samples/gobench",
        "samples/ext",
    ] {
        collect(&common::root().join(dir), &mut out);
    }
    out.sort();
    out
}

fn collect(dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "txt") {
            let text = std::fs::read(&path).unwrap();
            if go::detect(&text) >= 0.9 {
                out.push(path.to_string_lossy().into_owned());
            }
        }
    }
}

/// Goroutine blocks of a dump read with a regex independent of the
/// parser: (id, number of frame function lines), for the blocks that end
/// before byte `end`.
fn complete_blocks(text: &str, end: usize) -> Vec<(u64, usize)> {
    let header =
        regex::Regex::new(r"^goroutine (\d+) (?:gp=\S+ m=\S+ (?:mp=\S+ )?)?\[.*\]:$").unwrap();
    let mut out = Vec::new();
    let mut cur: Option<(u64, usize, bool)> = None;
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        let next = pos + line.len();
        let l = line.trim_end_matches(['\n', '\r']);
        if let Some(c) = header.captures(l) {
            cur = Some((c[1].parse().unwrap(), 0, false));
        } else if l.is_empty() {
            if let Some((id, n, _)) = cur.take() {
                if pos <= end {
                    out.push((id, n));
                }
            }
        } else if let Some((_, n, in_ancestor)) = cur.as_mut() {
            if l.starts_with("[originating from") {
                *in_ancestor = true;
            } else if !*in_ancestor
                && !l.starts_with('\t')
                && !l.starts_with("created by")
                && l.ends_with(')')
            {
                *n += 1;
            }
        }
        pos = next;
    }
    out
}

#[test]
fn every_line_of_every_go_sample_is_accounted_for() {
    let files = go_sample_files();
    assert!(files.len() > 40, "{} Go samples", files.len());
    for path in files {
        let text = std::fs::read(&path).unwrap();
        let snaps = parse_go(&text);
        assert!(!snaps.is_empty(), "{path}");
        let mut expected_first = 1;
        let mut total = 0;
        for s in &snaps {
            let lines = s.lines.as_ref().expect("the Go parser keeps the account");
            assert_eq!(lines.unexplained(), 0, "{path} dump {}: {lines:?}", s.index);
            assert_eq!(
                lines.first, expected_first,
                "{path} dump {}: dumps tile the text",
                s.index
            );
            expected_first = lines.last + 1;
            total += lines.total();
        }
        assert_eq!(total, line_count(&text), "{path}: every line in some dump");
    }
}

/// Goroutine profiles at debug=1 keep the account too.
#[test]
fn every_line_of_every_goroutine_profile_text_is_accounted_for() {
    let mut files = Vec::new();
    for dir in ["samples/go", "samples/gobench", "samples/ext"] {
        collect_all(&common::root().join(dir), &mut files);
    }
    let mut checked = 0;
    for path in files {
        let text = std::fs::read(&path).unwrap();
        if !text.starts_with(b"goroutine profile: total")
            && !text.starts_with(b"goroutineleak profile: total")
        {
            continue;
        }
        let read = dumpscope::parse::pprof::text::parse(Bytes::owned(text.clone()), "test");
        let mut total = 0;
        for s in &read.snapshots {
            let lines = s
                .lines
                .as_ref()
                .expect("debug=1 goroutine profiles keep the account");
            assert_eq!(lines.unexplained(), 0, "{path}: {lines:?}");
            total += lines.total();
        }
        assert_eq!(total, line_count(&text), "{path}");
        // Without the final newline, nothing is cut.
        let trimmed = text.strip_suffix(b"\n").unwrap_or(&text).to_vec();
        let read = dumpscope::parse::pprof::text::parse(Bytes::owned(trimmed), "test");
        assert!(read.snapshots.iter().all(|s| !s.truncated), "{path}");
        checked += 1;
    }
    assert!(checked > 20, "{checked}");
}

fn collect_all(dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_all(&path, out);
        } else if path.extension().is_some_and(|e| e == "txt") {
            out.push(path.to_string_lossy().into_owned());
        }
    }
}

#[test]
fn a_complete_file_without_its_final_newline_is_not_cut() {
    for rel in [
        "samples/go-forms/cut-no-final-newline.txt",
        "samples/go/stranded-senders/all.txt",
        "samples/go/healthy-service/sigquit.txt",
        "samples/go/lock-order-deadlock/debug2.txt",
        "samples/go/chan-range-never-closed/ancestors.txt",
    ] {
        let mut text = sample(rel);
        while text.last() == Some(&b'\n') {
            text.pop();
        }
        for s in parse_go(&text) {
            assert!(!s.truncated, "{rel}: {:?}", s.warnings);
            assert!(
                !s.tasks.iter().any(|t| t.flags.has(TaskFlags::PARTIAL)),
                "{rel}"
            );
        }
        let report = dumpscope::pipeline::report(
            &[{
                let mut p = common::parse(rel);
                p.snapshots = parse_go(&text);
                p
            }],
            &Default::default(),
            &Default::default(),
        );
        assert!(
            !report.findings.iter().any(|f| f.rule == "deadlock.global"),
            "{rel}: no whole-process deadlock claimed"
        );
    }
}

#[test]
fn a_dump_cut_inside_a_header_or_frame_is_cut() {
    for rel in [
        "samples/go-forms/cut-in-header.txt",
        "samples/go-forms/cut-in-frame.txt",
    ] {
        let snaps = parse_go(&sample(rel));
        assert!(snaps.iter().any(|s| s.truncated), "{rel}");
    }
    // The same cuts followed by more text (a cut dump pasted before
    // another): the cut goroutine is partial all the same.
    let text = String::from_utf8(sample("samples/go-forms/ancestors-chain.txt")).unwrap();
    let header_at = text.find("\ngoroutine 19 ").unwrap() + 1;
    let mut cut = text[..header_at + 16].to_string();
    cut.push_str("\n\nservice restarted\n");
    let snaps = parse_go(cut.as_bytes());
    assert!(snaps[0].truncated, "{:?}", snaps[0].warnings);
    assert!(snaps[0]
        .tasks
        .iter()
        .any(|t| t.id == 19 && t.flags.has(TaskFlags::PARTIAL)));
}

/// Cut at every line boundary (with and without the newline) and in the
/// middle of every header and function line: complete goroutines are kept,
/// and the dump is flagged cut exactly when the kept text ends inside a
/// goroutine whose stack has not ended.
#[test]
fn cuts_at_every_line_keep_complete_goroutines() {
    for rel in [
        "samples/go-forms/ancestors-chain.txt",
        "samples/go/stranded-senders/all.txt",
        "samples/go/lock-order-deadlock/debug2.txt",
    ] {
        let text = String::from_utf8(sample(rel)).unwrap();
        let mut pos = 0;
        for line in text.split_inclusive('\n') {
            let end = pos + line.len();
            let body = line.trim_end_matches('\n');
            let mut cuts = vec![(end, false), (end - 1, false)];
            let is_header = body.starts_with("goroutine ");
            let is_call =
                !body.starts_with('\t') && body.ends_with(')') && !body.starts_with("created by");
            if (is_header || is_call) && body.len() > 4 {
                cuts.push((pos + body.len() / 2, true));
            }
            for (cut, inside) in cuts {
                let kept = &text[..cut];
                let snaps = parse_go(kept.as_bytes());
                let got: Vec<(u64, usize)> = snaps
                    .iter()
                    .flat_map(|s| {
                        s.tasks.iter().map(move |t| {
                            (
                                t.id,
                                s.stack(t).frames.len(),
                                t.flags.has(TaskFlags::PARTIAL),
                            )
                        })
                    })
                    .filter(|t| !t.2)
                    .map(|t| (t.0, t.1))
                    .collect();
                for block in complete_blocks(kept, cut) {
                    assert!(
                        got.contains(&block),
                        "{rel} cut at {cut}: goroutine {block:?} lost"
                    );
                }
                let truncated = snaps.iter().any(|s| s.truncated);
                if inside || is_header || is_call && !body.ends_with("(...)") {
                    assert!(
                        truncated || snaps.is_empty(),
                        "{rel} cut at {cut} ({body:?}) not flagged"
                    );
                }
            }
            pos = end;
        }
        // Cut at the end of each goroutine's block: nothing is cut.
        for (at, _) in text.match_indices("\n\n") {
            for s in parse_go(&text.as_bytes()[..at + 1]) {
                assert!(
                    !s.truncated,
                    "{rel} cut after a whole goroutine at {at}: {:?}",
                    s.warnings
                );
            }
        }
    }
}

#[test]
fn ancestor_chains_keep_each_goroutines_own_creator() {
    for rel in [
        "samples/go-forms/ancestors-chain.txt",
        "samples/go/chan-range-never-closed/ancestors.txt",
    ] {
        let text = String::from_utf8(sample(rel)).unwrap();
        let snaps = parse_go(text.as_bytes());
        let s = &snaps[0];
        let mut chains = 0;
        for block in text.split("\n\n") {
            let Some(id) = block
                .strip_prefix("goroutine ")
                .and_then(|b| b.split(' ').next())
                .and_then(|n| n.parse::<u64>().ok())
            else {
                continue;
            };
            let lines: Vec<&str> = block.lines().collect();
            // The goroutine's own `created by` is the first; the ancestors'
            // come after their `[originating from goroutine N]:` lines.
            let own = lines.iter().position(|l| l.starts_with("created by "));
            let origins: Vec<u64> = lines
                .iter()
                .filter_map(|l| {
                    l.strip_prefix("[originating from goroutine ")?
                        .strip_suffix("]:")?
                        .parse()
                        .ok()
                })
                .collect();
            let task = s.tasks.iter().find(|t| t.id == id).unwrap();
            if let Some(i) = own {
                let creator = s.tables.frame(task.creator.unwrap());
                let printed = lines[i].trim_start_matches("created by ");
                let (function, parent) = printed.split_once(" in goroutine ").unwrap();
                assert_eq!(
                    s.tables.func_name(creator.function),
                    function,
                    "{rel} goroutine {id}"
                );
                assert_eq!(
                    task.parent_id(),
                    Some(parent.parse().unwrap()),
                    "{rel} goroutine {id}"
                );
            }
            let ancestors = match task.detail.as_deref() {
                Some(TaskDetail::Go(g)) => g.ancestors.iter().map(|a| a.id).collect(),
                _ => Vec::new(),
            };
            assert_eq!(ancestors, origins, "{rel} goroutine {id}");
            if !origins.is_empty() {
                chains += 1;
            }
        }
        assert!(chains > 0, "{rel}");
        assert!(s.warnings.is_empty(), "{rel}: {:?}", s.warnings);
        // The chain reaches the report.
        let report = common::report(rel);
        let json = serde_json::to_value(&report).unwrap();
        let groups = json["snapshots"][0]["groups"].as_array().unwrap();
        assert!(
            groups
                .iter()
                .any(|g| g["ancestors"].as_array().is_some_and(|a| !a.is_empty())),
            "{rel}"
        );
        let mut out = Vec::new();
        dumpscope::report::text::render(&report, &Default::default(), &mut out).unwrap();
        assert!(
            String::from_utf8_lossy(&out).contains("originating from goroutine"),
            "{rel}"
        );
        let md = dumpscope::report::md::render(&report, &Default::default());
        assert!(md.contains("[originating from goroutine "), "{rel}");
        let html = dumpscope::report::html::render(&report);
        assert!(html.contains("[originating from goroutine "), "{rel}");
    }
}

#[test]
fn unreadable_frame_and_created_by_lines_are_warned_not_dropped() {
    let text = String::from_utf8(sample("samples/go-forms/ancestors-chain.txt")).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    // Break the first frame line of goroutine 19 (its closing parenthesis).
    let header = lines
        .iter()
        .position(|l| l.starts_with("goroutine 19 "))
        .unwrap();
    lines[header + 1].pop();
    // Drop the source line of the `created by` of goroutine 20.
    let header20 = lines
        .iter()
        .position(|l| l.starts_with("goroutine 20 "))
        .unwrap();
    let created = header20
        + lines[header20..]
            .iter()
            .position(|l| l.starts_with("created by"))
            .unwrap();
    lines.remove(created + 1);
    let edited = lines.join("\n") + "\n";
    let s = &parse_go(edited.as_bytes())[0];
    let warned = |line: usize| s.warnings.iter().any(|w| w.line == line as u64 + 1);
    assert!(warned(header + 1), "{:?}", s.warnings);
    assert!(warned(created), "{:?}", s.warnings);
    let g19 = s.tasks.iter().find(|t| t.id == 19).unwrap();
    assert_eq!(s.stack(g19).frames.len(), 1, "the unreadable frame is kept");
    assert!(g19.creator.is_some());
    let g20 = s.tasks.iter().find(|t| t.id == 20).unwrap();
    let creator = s
        .tables
        .frame(g20.creator.expect("the creator is kept without a location"));
    assert!(s.tables.func_name(creator.function).ends_with("start"));
    assert_eq!(g20.parent_id(), Some(18));
    assert!(!s.truncated);
    assert_eq!(s.lines.as_ref().unwrap().unexplained(), 0);
}

#[test]
fn elided_frames_are_shown_in_text() {
    for rel in [
        "samples/go/crash-deep-recursion/all.txt",
        "samples/go/crash-deep-recursion/go119-all.txt",
    ] {
        if !common::root().join(rel).exists() {
            continue;
        }
        let text = common::read(rel);
        if !text.contains("frames elided...") {
            continue;
        }
        let report = common::report(rel);
        let mut out = Vec::new();
        dumpscope::report::text::render(&report, &Default::default(), &mut out).unwrap();
        assert!(
            String::from_utf8_lossy(&out).contains("frames elided ..."),
            "{rel}"
        );
    }
}

/// The id of the goroutine header in a block of lines.
fn block_id(block: &str) -> Option<u64> {
    block.lines().find_map(|l| {
        l.strip_prefix("goroutine ")?
            .split(' ')
            .next()?
            .parse()
            .ok()
    })
}

#[test]
fn goroutines_inside_a_panic_are_surfaced() {
    let rel = "samples/go-forms/recovering-debug2.txt";
    let text = common::read(rel);
    let inside: Vec<u64> = text
        .split("\n\n")
        .filter(|b| b.lines().any(|l| l.starts_with("panic(")))
        .filter_map(block_id)
        .collect();
    assert!(!inside.is_empty());
    let report = common::report(rel);
    let finding = report
        .findings
        .iter()
        .find(|f| f.rule == "crash.inside-panic")
        .expect("surfaced");
    let mut ids = finding.task_ids.clone();
    ids.sort();
    assert_eq!(ids, inside);
    assert!(finding.title.contains("main.lookup"), "{}", finding.title);
    // A test timeout names the tests still running: their goroutines join
    // the crash.
    let report = common::report("samples/go-forms/gotest-timeout.txt");
    let text = common::read("samples/go-forms/gotest-timeout.txt");
    let running: Vec<u64> = text
        .split("\n\n")
        .filter(|b| b.contains(".TestHang("))
        .filter_map(block_id)
        .collect();
    let crash = report
        .findings
        .iter()
        .find(|f| f.kind.as_str() == "crash")
        .unwrap();
    for id in running {
        assert!(crash.task_ids.contains(&id), "{:?}", crash.task_ids);
    }
    assert_eq!(
        report.snapshots[0].version_guess.as_deref(),
        Some(">=go1.21")
    );
}

#[test]
fn several_dumps_in_one_input_are_summarised_across() {
    for rel in [
        "samples/go-forms/sigquit-x8.txt",
        "samples/go-forms/debug2-x8.txt",
    ] {
        let text = common::read(rel);
        let report = common::report(rel);
        assert_eq!(report.snapshots.len(), 8, "{rel}");
        assert_eq!(report.across.len(), 1, "{rel}");
        let across = &report.across[0];
        assert_eq!(across.snapshots.len(), 8);
        // The leaked fetches, counted per dump in the text.
        let mut per_dump = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut count = 0;
        for block in text.split("\n\n") {
            let Some(id) = block.lines().find_map(|l| {
                l.strip_prefix("goroutine ")?
                    .split(' ')
                    .next()?
                    .parse::<u64>()
                    .ok()
            }) else {
                continue;
            };
            if block.contains("SIGQUIT: quit") || !seen.insert(id) {
                if !seen.is_empty() && count > 0 {
                    per_dump.push(count);
                }
                count = 0;
                seen.clear();
                seen.insert(id);
            }
            if block.contains("\nmain.fetch(") {
                count += 1;
            }
        }
        per_dump.push(count);
        let grown = across
            .groups
            .iter()
            .find(|g| g.site.contains("main.fetch"))
            .expect("the leak is a group across the dumps");
        assert_eq!(grown.counts, per_dump, "{rel}");
        assert!(grown.counts.windows(2).all(|w| w[1] > w[0]));
        let mut out = Vec::new();
        dumpscope::report::text::render(&report, &Default::default(), &mut out).unwrap();
        let out = String::from_utf8_lossy(&out);
        assert!(out.contains("across 8 dumps"), "{rel}");
    }
    // One dump: no summary.
    assert!(common::report("samples/go/stranded-senders/all.txt")
        .across
        .is_empty());
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
        2 => format!("service starting\nlistening on :8080\n{text}exit status 2\n"),
        _ => text.to_string(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Cut a dump anywhere, re-wrap it (CRLF, log prefixes, text around),
    /// append another: every goroutine complete before the cut is read.
    #[test]
    fn cut_rewrapped_and_concatenated_dumps_keep_complete_goroutines(
        which in 0usize..3,
        cut in 0.05f64..1.0,
        how in 0u8..4,
        append in any::<bool>(),
    ) {
        let rel = [
            "samples/go-forms/ancestors-chain.txt",
            "samples/go/stranded-senders/all.txt",
            "samples/go/healthy-service/debug2.txt",
        ][which];
        let text = common::read(rel);
        let mut at = (text.len() as f64 * cut) as usize;
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        let kept = &text[..at];
        let mut input = rewrap(kept, how);
        if append {
            input.push('\n');
            input.push_str(&rewrap(&common::read("samples/go/nil-channel/all.txt"), how));
        }
        let snaps = parse_any(input.as_bytes());
        let got: Vec<(u64, usize)> = snaps
            .iter()
            .flat_map(|s| s.tasks.iter().map(move |t| (t.id, s.stack(t).frames.len())))
            .collect();
        for block in complete_blocks(kept, at) {
            prop_assert!(got.contains(&block), "{} cut at {} how {}: goroutine {:?} lost", rel, at, how, block);
        }
    }
}

/// A fatal error's `runtime stack:` block (the system stack of the thread
/// that threw) is read into the crash, every line of it used, not skipped as
/// text outside the dump; its functions are those the block prints, in order.
#[test]
fn a_fatal_errors_runtime_stack_is_read_into_the_crash() {
    let text = sample("samples/go/crash-stack-overflow/all.txt");
    let snaps = parse_go(&text);
    let crash = snaps[0].crash.as_ref().expect("a crash");
    let printed = String::from_utf8_lossy(&text);
    let block: Vec<&str> = printed
        .lines()
        .skip_while(|l| *l != "runtime stack:")
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect();
    assert!(block.len() >= 4, "{block:?}");
    let functions: Vec<&str> = block
        .iter()
        .filter(|l| !l.starts_with('\t'))
        .map(|l| l.rsplit_once('(').map_or(*l, |(name, _)| name))
        .collect();
    assert_eq!(crash.runtime_stack(), functions.as_slice());
    // Its lines are read, not "not part of the dump".
    let lines = snaps[0].lines.as_ref().expect("a line account");
    let not_dump = lines.skipped(dumpscope::model::SkipReason::NotDump);
    assert!(
        not_dump < block.len() as u64,
        "{not_dump} lines not part of the dump"
    );
}
