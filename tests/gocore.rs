//! Go cores (samples/core/go/): the goroutines read from the runtime's
//! structures in each core, checked against the traceback the runtime
//! printed at the same moment (GOTRACEBACK=crash, the answer key), and the
//! findings of the core against the findings of that traceback.

mod common;

use dumpscope::model::Snapshot;
use dumpscope::pipeline::{self, Config};
use dumpscope::symbolize::Options;
use std::collections::BTreeMap;
use std::path::PathBuf;

const SAMPLES: &[&str] = &["lock-order-deadlock", "stranded-senders", "waitgroup-mismatch"];

/// The sample's binary, decompressed once into the target directory.
fn binary(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("gocore");
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let out = dir.join(name);
    if !out.exists() {
        let zst = common::root().join(format!("samples/core/go/{name}/{name}.zst"));
        let loaded = dumpscope::input::load(
            zst.to_str().expect("utf-8 path"),
            &dumpscope::input::LoadOptions::default(),
        )
        .expect("binary sample");
        let data: &[u8] = &loaded.data;
        let tmp = dir.join(format!("{name}.part"));
        std::fs::write(&tmp, data).expect("write binary");
        std::fs::rename(&tmp, &out).expect("rename binary");
    }
    out
}

fn config(name: &str) -> Config {
    let mut cfg = Config::default();
    cfg.symbolize = Options {
        binaries: vec![binary(name)],
        ..Options::default()
    };
    cfg
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
    for name in SAMPLES {
        let key = common::parse(&format!("samples/core/go/{name}/traceback.txt"));
        let core = core_input(name);
        assert_eq!(core.snapshots.len(), 1, "{name}: one snapshot");
        let want = goroutines(&key.snapshots[0]);
        let got = goroutines(&core.snapshots[0]);
        let mut bad = Vec::new();
        for (id, w) in &want {
            match got.get(id) {
                None => bad.push(format!("goroutine {id:?} missing")),
                Some(g) if g != w => bad.push(format!("goroutine {id:?}:\n  key  {w:?}\n  core {g:?}")),
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
}
