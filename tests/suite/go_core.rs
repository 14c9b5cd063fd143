//! Go cores (samples/core/go/): the goroutines read from the runtime's
//! structures in each core, checked against the traceback the runtime
//! printed at the same moment (GOTRACEBACK=crash, the answer key), and the
//! findings of the core against the findings of that traceback.

use crate::common;

use dumpscope::model::Snapshot;
use dumpscope::pipeline::{self, Config};
use dumpscope::symbolize::Options;
use std::collections::BTreeMap;
use std::path::PathBuf;

const SAMPLES: &[&str] = &[
    "lock-order-deadlock",
    "stranded-senders",
    "waitgroup-mismatch",
    "sync-globals",
];

/// The sample's binary, decompressed once into the target directory.
fn binary(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("gocore");
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let out = dir.join(name);
    let zst = common::root().join(format!("samples/core/go/{name}/{name}.zst"));
    let loaded = dumpscope::input::load(
        zst.to_str().expect("utf-8 path"),
        &dumpscope::input::LoadOptions::default(),
    )
    .expect("binary sample");
    let data: &[u8] = &loaded.data;
    // Written whole under a name of this thread, then renamed: tests running
    // at the same time never see half a binary.
    if std::fs::read(&out).ok().as_deref() != Some(data) {
        let tmp = dir.join(format!("{name}.{:?}", std::thread::current().id()));
        std::fs::write(&tmp, data).expect("write binary");
        std::fs::rename(&tmp, &out).expect("rename binary");
    }
    out
}

fn config(name: &str) -> Config {
    Config {
        symbolize: Options {
            binaries: vec![binary(name)],
            ..Options::default()
        },
        ..Config::default()
    }
}

fn core_input(name: &str) -> pipeline::ParsedInput {
    let path = common::root().join(format!("samples/core/go/{name}/core.zst"));
    let none = |_: u64| None;
    let mut warnings = Vec::new();
    let mut p = pipeline::load_and_parse(
        path.to_str().expect("utf-8 path"),
        &config(name),
        &none,
        &mut warnings,
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"));
    p.input.source = format!("samples/core/go/{name}/core.zst");
    p
}

/// Each goroutine: (state, wait minutes, parent, functions innermost first,
/// creator function).
type Goroutine = (String, Option<u32>, Option<u64>, Vec<String>, String);

fn goroutines(s: &Snapshot) -> BTreeMap<(u64, String), Goroutine> {
    let mut out = BTreeMap::new();
    for t in &s.tasks {
        let frames = s
            .stack(t)
            .frames
            .iter()
            .map(|f| {
                let fr = s.tables.frame(*f);
                s.tables.func_name(fr.function).to_string()
            })
            .collect::<Vec<String>>();
        let creator = t
            .creator
            .map(|f| s.tables.func_name(s.tables.frame(f).function).to_string())
            .unwrap_or_default();
        // Thread stacks (goroutine 0) are keyed by their frames.
        let key = if t.id == 0 {
            frames.join(" ")
        } else {
            String::new()
        };
        out.insert(
            (t.id, key),
            (
                s.state(t).to_string(),
                t.wait_minutes,
                t.parent_id(),
                frames,
                creator,
            ),
        );
    }
    out
}

#[test]
fn every_goroutine_of_the_answer_key_is_read_from_the_core() {
    let mut minutes_equal = 0;
    for name in SAMPLES {
        let key = common::parse(&format!("samples/core/go/{name}/traceback.txt"));
        let core = core_input(name);
        assert_eq!(core.snapshots.len(), 1, "{name}: one snapshot");
        let want = goroutines(&key.snapshots[0]);
        let got = goroutines(&core.snapshots[0]);
        let mut bad = Vec::new();
        for (id, w) in &want {
            // Wait durations are counted from the latest time the core
            // records: never more than the runtime printed.
            let (wm, gm) = (w.1.unwrap_or(0), got.get(id).and_then(|g| g.1).unwrap_or(0));
            if gm == wm && wm > 0 {
                minutes_equal += 1;
            }
            match got.get(id) {
                None => bad.push(format!("goroutine {id:?} missing")),
                Some(g) if (&g.0, g.2, &g.3, &g.4) != (&w.0, w.2, &w.3, &w.4) || gm > wm => {
                    bad.push(format!("goroutine {id:?}:\n  key  {w:?}\n  core {g:?}"))
                }
                Some(_) => {}
            }
        }
        for id in got.keys() {
            if !want.contains_key(id) {
                bad.push(format!("goroutine {id:?} not in the answer key"));
            }
        }
        assert!(bad.is_empty(), "{name}:\n{}", bad.join("\n"));
    }
    // Every sample's goroutines waited over a minute; where the core
    // recorded a recent time, the durations are the runtime's.
    assert!(minutes_equal > 0, "no wait duration read");
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

#[test]
fn the_core_is_written_as_the_runtime_wrote_its_traceback() {
    // Every goroutine block, frames, arguments, files, lines, offsets and
    // the frames' sp and fp included, as the runtime printed it.
    for name in SAMPLES {
        let key = common::read(&format!("samples/core/go/{name}/traceback.txt"));
        let path = common::root().join(format!("samples/core/go/{name}/core.zst"));
        let loaded = dumpscope::input::load(
            path.to_str().expect("utf-8 path"),
            &dumpscope::input::LoadOptions::default(),
        )
        .expect("core sample");
        let read = dumpscope::symbolize::elfcore::read(name, loaded.data, &config(name).symbolize)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let (want, got) = (blocks(&key), blocks(&read.text));
        assert!(want.len() > 10, "{name}: answer key read");
        for (k, w) in &want {
            let g = got.get(k).map(|g| without_minutes(g));
            assert_eq!(g, Some(without_minutes(w)), "{name}: {k}");
        }
        assert_eq!(want.len(), got.len(), "{name}: as many goroutines");
        // The signal that stopped the process, as the runtime named it.
        let head: Vec<&str> = key.lines().take(2).collect();
        let mine: Vec<&str> = read.text.lines().take(2).collect();
        assert_eq!(head, mine, "{name}: signal and pc");
    }
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

#[test]
fn the_core_gives_the_findings_of_the_runtimes_traceback() {
    let mut seen = Vec::new();
    for name in SAMPLES {
        let key = common::report(&format!("samples/core/go/{name}/traceback.txt"));
        let core = pipeline::report(
            &[core_input(name)],
            &Default::default(),
            &Default::default(),
        );
        let (want, got) = (serious(&key), serious(&core));
        assert!(!want.is_empty(), "{name}: the answer key has a finding");
        assert_eq!(want, got, "{name}: findings at medium or above");
        seen.extend(got.into_iter().map(|f| f.0));
    }
    // The three patterns, each named by its own rule.
    for rule in [
        "deadlock.lock-order",
        "chan.stranded-senders",
        "sync.waitgroup-mismatch",
    ] {
        assert!(seen.iter().any(|r| r == rule), "{rule} in {seen:?}");
    }
}

#[test]
fn a_go_core_without_its_binary_or_with_another_says_so() {
    let path = common::root().join("samples/core/go/lock-order-deadlock/core.zst");
    let loaded = dumpscope::input::load(
        path.to_str().expect("utf-8 path"),
        &dumpscope::input::LoadOptions::default(),
    )
    .expect("core sample");
    let err = |r: Result<dumpscope::symbolize::elfcore::CoreRead, String>| match r {
        Ok(_) => panic!("read without the right binary"),
        Err(e) => e,
    };
    let none = err(dumpscope::symbolize::elfcore::read(
        "core",
        loaded.data.clone(),
        &Options::default(),
    ));
    assert!(none.contains("--binary"), "{none}");
    let other = err(dumpscope::symbolize::elfcore::read(
        "core",
        loaded.data,
        &config("stranded-senders").symbolize,
    ));
    assert!(other.contains("not the executable of this core"), "{other}");
}

/// A header without its wait duration (`, 1 minutes`).
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

#[test]
fn a_gcore_of_the_live_process_reads_the_same_goroutines() {
    // gcore took these cores seconds before the traceback: every goroutine
    // but the main one (asleep then, running the SIGQUIT after) is the
    // same, frames and arguments included; threads run no goroutine.
    let mut read_any = false;
    for name in SAMPLES {
        let key = common::read(&format!("samples/core/go/{name}/traceback.txt"));
        let path = common::root().join(format!("samples/core/go/{name}/gcore.core.zst"));
        if !path.exists() {
            continue;
        }
        read_any = true;
        let loaded = dumpscope::input::load(
            path.to_str().expect("utf-8 path"),
            // gcore writes the runtime's reservations as zeros: 1.2 GB
            // once decompressed, over the default cap.
            &dumpscope::input::LoadOptions {
                max_decompressed: 2 << 30,
            },
        )
        .expect("gcore sample");
        let read = dumpscope::symbolize::elfcore::read(name, loaded.data, &config(name).symbolize)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let keep = |k: &String| !k.starts_with("goroutine 0 ") && !k.starts_with("goroutine 1 ");
        let want: BTreeMap<_, _> = blocks(&key)
            .into_iter()
            .filter(|(k, _)| keep(k))
            .map(|(k, v)| (k, without_minutes(&v)))
            .collect();
        let got: BTreeMap<_, _> = blocks(&read.text)
            .into_iter()
            .filter(|(k, _)| keep(k))
            .map(|(k, v)| (k, without_minutes(&v)))
            .collect();
        assert!(want.len() > 5, "{name}: answer key read");
        assert_eq!(want, got, "{name}");
        let main = read
            .text
            .lines()
            .find(|l| l.starts_with("goroutine 1 "))
            .unwrap_or("");
        assert!(main.ends_with("[sleep]:"), "{name}: {main}");
        assert!(
            !read.text.starts_with("SIG"),
            "{name}: no signal in a gcore"
        );
    }
    assert!(read_any, "no gcore sample");
}
