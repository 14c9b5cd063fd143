//! Go cores of aarch64 processes (samples/core/arm64-go/): the programs of
//! samples/core/go/ built with GOARCH=arm64 and run under qemu-aarch64,
//! whose cores have no `NT_FILE` note and leave the binary's code out. The
//! goroutines read from each core are checked against the traceback the
//! runtime printed at the same moment (its answer key), block for block,
//! and the findings against the traceback's and the x86-64 cores' rules.

use crate::common;

use dumpscope::model::Snapshot;
use dumpscope::pipeline::{self, Config};
use std::collections::BTreeMap;

const SAMPLES: &[&str] = &[
    "lock-order-deadlock",
    "stranded-senders",
    "waitgroup-mismatch",
];

fn config(name: &str) -> Config {
    common::core_config("arm64-go", name)
}

fn core_path(name: &str) -> String {
    common::root()
        .join(format!("samples/core/arm64-go/{name}/qemu.core.zst"))
        .to_str()
        .expect("utf-8 path")
        .to_string()
}

/// Each goroutine: (state, parent, functions innermost first, creator).
type Goroutine = (String, Option<u64>, Vec<String>, String);

fn goroutines(s: &Snapshot) -> BTreeMap<(u64, String), Goroutine> {
    let mut out = BTreeMap::new();
    for t in &s.tasks {
        let frames: Vec<String> = s
            .stack(t)
            .frames
            .iter()
            .map(|f| s.tables.func_name(s.tables.frame(*f).function).to_string())
            .collect();
        let creator = t
            .creator
            .map(|f| s.tables.func_name(s.tables.frame(f).function).to_string())
            .unwrap_or_default();
        let key = if t.id == 0 {
            frames.join(" ")
        } else {
            String::new()
        };
        out.insert(
            (t.id, key),
            (s.state(t).to_string(), t.parent_id(), frames, creator),
        );
    }
    out
}

#[test]
fn every_goroutine_of_the_answer_key_is_read_from_the_aarch64_core() {
    for name in SAMPLES {
        let key = common::parse(&format!("samples/core/arm64-go/{name}/traceback.txt"));
        let mut warnings = Vec::new();
        let core =
            pipeline::load_and_parse(core_path(name), &config(name), &|_| None, &mut warnings)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        let want = goroutines(&key.snapshots[0]);
        let got = goroutines(&core.snapshots[0]);
        assert!(want.len() > 10, "{name}: answer key read");
        assert_eq!(want, got, "{name}");
    }
}

/// The goroutine blocks of a dump (register printouts left out), keyed by
/// their header up to the state and their first frame.
fn blocks(text: &str) -> BTreeMap<String, String> {
    let register = |l: &str| {
        let mut w = l.split_whitespace();
        matches!((w.next(), w.next(), w.next()), (Some(_), Some(v), None) if v.starts_with("0x"))
    };
    let mut out = BTreeMap::new();
    for b in text.split("\n\n") {
        let b = b.trim_matches('\n');
        if !b.starts_with("goroutine ") {
            continue;
        }
        let lines: Vec<&str> = b.lines().filter(|l| !register(l)).collect();
        let key = format!(
            "{} {}",
            lines[0].split(" [").next().unwrap_or(""),
            lines.get(1).copied().unwrap_or("")
        );
        out.insert(key, lines.join("\n"));
    }
    out
}

/// Every goroutine block as the runtime printed it: frames, arguments,
/// files, lines, pc offsets, the frames' sp and fp (arm64's frame layout:
/// the return address saved at the callee's sp), and the signal's header;
/// the wait durations are left out (see [`without_minutes`]).
#[test]
fn the_aarch64_core_is_written_as_the_runtime_wrote_its_traceback() {
    for name in SAMPLES {
        let key = common::read(&format!("samples/core/arm64-go/{name}/traceback.txt"));
        let loaded =
            dumpscope::input::load(core_path(name), &dumpscope::input::LoadOptions::default())
                .expect("core sample");
        let read = dumpscope::symbolize::elfcore::read(name, loaded.data, &config(name).symbolize)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let (want, got) = (blocks(&key), blocks(&read.text));
        for (k, w) in &want {
            let g = got.get(k).map(|g| without_minutes(g));
            assert_eq!(g, Some(without_minutes(w)), "{name}: {k}");
        }
        assert_eq!(want.len(), got.len(), "{name}: as many goroutines");
        let head: Vec<&str> = key.lines().take(2).collect();
        let mine: Vec<&str> = read.text.lines().take(2).collect();
        assert_eq!(head, mine, "{name}: signal and pc");
    }
}

/// A header without its wait duration (`, 1 minutes`): the core counts
/// from the latest time it records, a little after the runtime printed, and
/// a goroutine that had waited just under a minute then is over it.
fn without_minutes(block: &str) -> String {
    let mut lines = block.lines();
    let head = lines.next().unwrap_or("");
    let head = match (head.find(", "), head.find(" minutes")) {
        (Some(a), Some(b)) if a < b => format!("{}{}", &head[..a], &head[b + 8..]),
        _ => head.to_string(),
    };
    std::iter::once(head.as_str())
        .chain(lines)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The findings at medium or above: (rule, severity, sorted task ids).
fn serious(r: &dumpscope::report::Report) -> Vec<(String, String, Vec<u64>)> {
    use dumpscope::analyze::finding::Severity;
    let mut out: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.severity >= Severity::Medium)
        .map(|f| {
            let mut ids = f.task_ids.clone();
            ids.sort_unstable();
            (f.rule.clone(), format!("{:?}", f.severity), ids)
        })
        .collect();
    out.sort();
    out
}

/// The aarch64 core gives the findings of its own traceback, and the rules
/// and severities of the x86-64 core of the same program.
#[test]
fn the_aarch64_core_gives_the_findings_of_its_traceback_and_of_x86_64() {
    for name in SAMPLES {
        let key = common::report(&format!("samples/core/arm64-go/{name}/traceback.txt"));
        let mut warnings = Vec::new();
        let core =
            pipeline::load_and_parse(core_path(name), &config(name), &|_| None, &mut warnings)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        let got = serious(&pipeline::report(
            &[core],
            &Default::default(),
            &Default::default(),
        ));
        let want = serious(&key);
        assert!(!want.is_empty(), "{name}: the answer key has a finding");
        assert_eq!(want, got, "{name}: findings at medium or above");
        let x86 = serious(&common::report(&format!(
            "samples/core/go/{name}/traceback.txt"
        )));
        let rules = |v: &[(String, String, Vec<u64>)]| {
            v.iter()
                .map(|f| (f.0.clone(), f.1.clone(), f.2.len()))
                .collect::<Vec<_>>()
        };
        assert_eq!(rules(&got), rules(&x86), "{name}: as on x86-64");
    }
}
