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
    "labelled-handlers",
    "lock-order-deadlock-go121",
    "lock-order-deadlock-go124",
];

fn binary(name: &str) -> PathBuf {
    common::core_binary("go", name)
}

fn config(name: &str) -> Config {
    common::core_config("go", name)
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

/// The goroutine blocks of a dump (register printouts left out, wait
/// durations too), keyed by their header up to the state and their first
/// frame; sorted, as the threads' stacks of a runtime before Go 1.23
/// (`goroutine 0 [idle]:`, no address in the header) share their keys.
fn blocks(text: &str) -> BTreeMap<String, Vec<String>> {
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
        let list: &mut Vec<String> = out.entry(key).or_default();
        list.push(without_minutes(&lines.join("\n")));
        list.sort();
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
            assert_eq!(got.get(k), Some(w), "{name}: {k}");
        }
        assert_eq!(want.len(), got.len(), "{name}: as many goroutines");
        // The signal that stopped the process, as the runtime named it.
        // A runtime that aborts on the last thread of its SIGQUIT relay
        // (before Go 1.22, which the reader says) leaves that thread's
        // signal in the core: the relay's last header.
        let head: Vec<&str> = key.lines().take(2).collect();
        let mine: Vec<&str> = read.text.lines().take(2).collect();
        let relayed = read
            .warnings
            .iter()
            .any(|w| w.contains("last thread its SIGQUIT"));
        let last_pc = key.lines().rfind(|l| l.starts_with("PC="));
        if relayed {
            assert_eq!(head[0], mine[0], "{name}: signal");
            assert_eq!(last_pc, mine.get(1).copied(), "{name}: the relay's last pc");
        } else {
            assert_eq!(head, mine, "{name}: signal and pc");
        }
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
        let want: BTreeMap<_, _> = blocks(&key).into_iter().filter(|(k, _)| keep(k)).collect();
        let got: BTreeMap<_, _> = blocks(&read.text)
            .into_iter()
            .filter(|(k, _)| keep(k))
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
        // The live process's wait queues name the objects the kernel's
        // core names, for every goroutine but main.
        let live = memory_waits(&read.snapshots[0]);
        let mut dead = memory_waits(&core_input(name).snapshots[0]);
        dead.remove(&1);
        assert!(!live.is_empty(), "{name}: waits read from the gcore");
        assert_eq!(live, dead, "{name}: the gcore's waits");
    }
    assert!(read_any, "no gcore sample");
}

/// The goroutine blocks of an answer key by goroutine id.
fn key_blocks(text: &str) -> BTreeMap<u64, String> {
    text.split("\n\n")
        .filter_map(|b| {
            let b = b.trim_matches('\n');
            let id = b
                .strip_prefix("goroutine ")?
                .split(' ')
                .next()?
                .parse()
                .ok()?;
            Some((id, b.to_string()))
        })
        .collect()
}

/// The first argument of the frame of `function` in a goroutine block, when
/// the runtime printed it as a reliable word (no `?`).
fn first_arg(block: &str, function: &str) -> Option<u64> {
    let line = block
        .lines()
        .find(|l| l.starts_with(function) && l[function.len()..].starts_with('('))?;
    let arg = line[function.len() + 1..].split([',', ')']).next()?;
    u64::from_str_radix(arg.strip_prefix("0x")?, 16).ok()
}

/// The frames whose first argument is the object waited on, by the
/// goroutine's state, as the runtime prints them.
const WAITED_ARG: &[(&str, &str)] = &[
    ("chan send", "runtime.chansend"),
    ("chan receive", "runtime.chanrecv"),
    ("sync.Mutex.Lock", "internal/sync.(*Mutex).lockSlow"),
    ("sync.WaitGroup.Wait", "sync.(*WaitGroup).Wait"),
];

/// Per goroutine id: what memory says it waits on (its lock fact's kind
/// and address).
fn memory_waits(s: &Snapshot) -> BTreeMap<u64, (dumpscope::model::SyncKind, u64)> {
    use dumpscope::model::{Confidence, LockBasis};
    s.sync
        .locks
        .iter()
        .filter(|f| f.basis == LockBasis::Memory)
        .map(|f| {
            assert_eq!(f.confidence, Confidence::Certain);
            (s.tasks[f.task as usize].id, (f.kind, f.addr))
        })
        .collect()
}

/// The address of the data symbol `name` in the sample's binary.
fn data_symbol(sample: &str, name: &str) -> u64 {
    use object::{Object, ObjectSymbol};
    let bytes = std::fs::read(binary(sample)).expect("binary");
    let file = object::File::parse(&*bytes).expect("ELF");
    let found = file.symbols().find(|s| s.name() == Ok(name));
    found.map(|s| s.address()).expect(name)
}

#[test]
fn memory_names_the_channel_or_primitive_each_blocked_goroutine_waits_on() {
    // For every goroutine blocked on a channel, a sync.Mutex or a WaitGroup,
    // the object the runtime's wait queues name is the one its frames
    // carry in the answer key (where the runtime printed the argument).
    let mut checked = 0;
    for name in SAMPLES {
        let key = key_blocks(&common::read(&format!(
            "samples/core/go/{name}/traceback.txt"
        )));
        let core = core_input(name);
        let snap = &core.snapshots[0];
        let mem = memory_waits(snap);
        for t in &snap.tasks {
            let state = snap.state(t).to_string();
            let Some((_, func)) = WAITED_ARG.iter().find(|(s, _)| *s == state) else {
                continue;
            };
            let got = mem.get(&t.id).map(|w| w.1);
            assert!(
                got.is_some(),
                "{name}: goroutine {} [{state}] not read",
                t.id
            );
            if let Some(want) = key.get(&t.id).and_then(|b| first_arg(b, func)) {
                assert_eq!(got, Some(want), "{name}: goroutine {} [{state}]", t.id);
                checked += 1;
            }
        }
    }
    assert!(checked >= 30, "only {checked} waits checked");
}

/// The goroutines of a snapshot in `state`, by id.
fn in_state(s: &Snapshot, state: &str) -> Vec<u64> {
    s.tasks
        .iter()
        .filter(|t| s.state(t) == state)
        .map(|t| t.id)
        .collect()
}

#[test]
fn memory_places_waits_on_the_sample_globals_and_channel_states() {
    use dumpscope::model::SyncKind;
    let name = "sync-globals";
    let core = core_input(name);
    let snap = &core.snapshots[0];
    let mem = memory_waits(snap);
    let addr_of = |ids: &[u64]| -> Vec<u64> {
        let mut v: Vec<u64> = ids
            .iter()
            .filter_map(|id| mem.get(id))
            .map(|w| w.1)
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let symbol_at = |addr: u64| snap.sync.note(addr).and_then(|n| n.symbol.clone());
    // The lock-order pair: two goroutines on two distinct mutexes, the
    // program's muA and muB.
    let lockers = in_state(snap, "sync.Mutex.Lock");
    assert_eq!(lockers.len(), 2);
    let mut want = vec![data_symbol(name, "main.muA"), data_symbol(name, "main.muB")];
    want.sort_unstable();
    assert_eq!(addr_of(&lockers), want);
    let mut names: Vec<Option<String>> = want.iter().map(|a| symbol_at(*a)).collect();
    names.sort();
    assert_eq!(
        names,
        [Some("main.muA".to_string()), Some("main.muB".to_string())]
    );
    let state_at = |addr: u64| snap.sync.note(addr).and_then(|n| n.state.clone());
    for a in &want {
        // Each held by one transfer, the other queued on it.
        assert_eq!(state_at(*a).as_deref(), Some("locked, 1 waiter"));
    }
    // The WaitGroup's waiters on pending, the RWMutex's writer and the
    // reader queued behind it on config.
    let waiters = in_state(snap, "sync.WaitGroup.Wait");
    assert_eq!(waiters.len(), 2);
    assert_eq!(addr_of(&waiters), [data_symbol(name, "main.pending")]);
    let mut rw = in_state(snap, "sync.RWMutex.Lock");
    rw.extend(in_state(snap, "sync.RWMutex.RLock"));
    assert_eq!(rw.len(), 2);
    assert_eq!(addr_of(&rw), [data_symbol(name, "main.config")]);
    assert_eq!(
        symbol_at(data_symbol(name, "main.config")).as_deref(),
        Some("main.config")
    );
    assert_eq!(
        state_at(data_symbol(name, "main.config")).as_deref(),
        Some("held by 1 reader, a writer waiting, 1 reader queued behind it")
    );
    // One Add without its Done: the counter the waiters wait on.
    assert_eq!(
        state_at(data_symbol(name, "main.pending")).as_deref(),
        Some("counter 1")
    );
    // Each channel with its buffer and queues: three reporters on an
    // unbuffered channel, two producers behind a full buffer of two, two
    // consumers on a channel nobody sends on.
    let mut states: Vec<(usize, String)> = Vec::new();
    let chans: Vec<u64> = mem
        .values()
        .filter(|w| w.0 == SyncKind::Chan)
        .map(|w| w.1)
        .collect::<std::collections::BTreeSet<u64>>()
        .into_iter()
        .collect();
    for c in chans {
        let n = mem.values().filter(|w| w.1 == c).count();
        let state = snap.sync.note(c).and_then(|n| n.state.clone());
        states.push((n, state.unwrap_or_default()));
    }
    states.sort();
    assert_eq!(
        states,
        [
            (
                2,
                "buffer 2/2 (full), 2 senders waiting, no receiver".to_string()
            ),
            (2, "unbuffered, no sender, 2 receivers waiting".to_string()),
            (3, "unbuffered, 3 senders waiting, no receiver".to_string()),
        ]
    );
}

#[test]
fn each_mismatched_waitgroup_is_read_with_its_counter() {
    // Three batches, each with its own WaitGroup counting one worker too
    // many: three WaitGroups, one waiter each, each counter at 1.
    let core = core_input("waitgroup-mismatch");
    let snap = &core.snapshots[0];
    let mem = memory_waits(snap);
    let waiters = in_state(snap, "sync.WaitGroup.Wait");
    assert_eq!(waiters.len(), 3);
    let mut groups: Vec<u64> = waiters.iter().map(|id| mem[id].1).collect();
    groups.sort_unstable();
    groups.dedup();
    assert_eq!(groups.len(), 3);
    for g in groups {
        let note = snap.sync.note(g).expect("WaitGroup state");
        assert_eq!(note.state.as_deref(), Some("counter 1"));
    }
}

#[test]
fn stranded_senders_share_their_channel_and_only_it() {
    // Five calls, each with its own unbuffered channel and three senders
    // left behind: five channels, three senders each, no receiver.
    let core = core_input("stranded-senders");
    let snap = &core.snapshots[0];
    let mem = memory_waits(snap);
    let senders = in_state(snap, "chan send");
    assert_eq!(senders.len(), 15);
    let mut per_chan: BTreeMap<u64, usize> = BTreeMap::new();
    for id in &senders {
        *per_chan.entry(mem[id].1).or_default() += 1;
    }
    assert_eq!(per_chan.values().copied().collect::<Vec<_>>(), [3; 5]);
    for c in per_chan.keys() {
        let note = snap.sync.note(*c).expect("channel state");
        assert_eq!(
            note.state.as_deref(),
            Some("unbuffered, 3 senders waiting, no receiver")
        );
        assert_eq!(note.symbol, None, "a channel made at run time");
    }
}

/// The waits the analysis reads: per goroutine id, (resource key,
/// confidence).
fn analysed_waits(
    s: &Snapshot,
) -> BTreeMap<u64, (dumpscope::model::ResKey, dumpscope::model::Confidence)> {
    let (facts, _) = dumpscope::analyze::facts::wait_facts(s);
    s.tasks
        .iter()
        .zip(&facts.waits)
        .filter_map(|(t, w)| w.map(|w| (t.id, (w.key, w.confidence))))
        .collect()
}

#[test]
fn the_analysis_keys_memory_waits_by_address_with_certainty() {
    use dumpscope::model::{Confidence, ResKey};
    for name in SAMPLES {
        let core = core_input(name);
        let snap = &core.snapshots[0];
        let mem = memory_waits(snap);
        let waits = analysed_waits(snap);
        assert!(!mem.is_empty(), "{name}: memory waits");
        for (id, (_, addr)) in &mem {
            assert_eq!(
                waits.get(id),
                Some(&(ResKey::Addr(*addr), Confidence::Certain)),
                "{name}: goroutine {id}"
            );
        }
    }
    // The text dump printed no address for the RWMutex's waiters (`0x0?`):
    // it keys each by its own site, apart; memory puts both on config.
    let text = common::parse("samples/core/go/sync-globals/traceback.txt");
    let snap = &text.snapshots[0];
    let key_of = |waits: &BTreeMap<u64, (ResKey, Confidence)>, state: &str| {
        let ids = in_state(snap, state);
        assert_eq!(ids.len(), 1, "{state}");
        waits.get(&ids[0]).map(|w| w.0)
    };
    let text_waits = analysed_waits(snap);
    let (w, r) = (
        key_of(&text_waits, "sync.RWMutex.Lock"),
        key_of(&text_waits, "sync.RWMutex.RLock"),
    );
    assert!(matches!(w, Some(ResKey::Site(_))) && w != r, "{w:?} {r:?}");
    let core = core_input("sync-globals");
    let core_waits = analysed_waits(&core.snapshots[0]);
    let (w, r) = (
        key_of(&core_waits, "sync.RWMutex.Lock"),
        key_of(&core_waits, "sync.RWMutex.RLock"),
    );
    let config = data_symbol("sync-globals", "main.config");
    assert_eq!(
        (w, r),
        (Some(ResKey::Addr(config)), Some(ResKey::Addr(config)))
    );
}

#[test]
fn the_core_is_at_least_as_sure_as_the_traceback_and_says_what_memory_adds() {
    // Every finding of the answer key, at any severity, is found in the
    // core with the same rule and goroutines, as severe and as sure.
    let mut noted = 0;
    for name in SAMPLES {
        let key = common::report(&format!("samples/core/go/{name}/traceback.txt"));
        let core = pipeline::report(
            &[core_input(name)],
            &Default::default(),
            &Default::default(),
        );
        for want in &key.findings {
            let got = core
                .findings
                .iter()
                .find(|f| f.rule == want.rule && f.task_ids == want.task_ids);
            let Some(got) = got else {
                panic!("{name}: {} {:?} not in the core", want.rule, want.task_ids);
            };
            assert!(
                got.severity >= want.severity && got.confidence >= want.confidence,
                "{name}: {}: {:?} {:?} in the core, {:?} {:?} in the traceback",
                want.rule,
                got.severity,
                got.confidence,
                want.severity,
                want.confidence
            );
            assert!(
                !want
                    .evidence
                    .iter()
                    .any(|e| e.starts_with("read from the core")),
                "{name}: a text dump has no memory"
            );
            noted += usize::from(
                got.evidence
                    .iter()
                    .any(|e| e.starts_with("read from the core: ")),
            );
        }
    }
    assert!(noted >= 8, "{noted} findings with what memory says");
    // The stranded senders' channel as memory shows it.
    let core = pipeline::report(
        &[core_input("sync-globals")],
        &Default::default(),
        &Default::default(),
    );
    let senders = core
        .findings
        .iter()
        .find(|f| f.rule == "chan.stranded-senders" && f.task_ids.len() == 3)
        .expect("stranded senders");
    assert!(
        senders
            .evidence
            .iter()
            .any(|e| e.starts_with("read from the core: channel 0x")
                && e.ends_with(": unbuffered, 3 senders waiting, no receiver")),
        "{:?}",
        senders.evidence
    );
}

/// Each task's pprof labels, `key=value` pairs joined by commas.
fn labels_of(s: &Snapshot, t: &dumpscope::model::Task) -> String {
    s.tables
        .labels(t.labels)
        .iter()
        .map(|(k, v)| format!("{}={}", s.tables.str(*k), s.tables.str(*v)))
        .collect::<Vec<_>>()
        .join(",")
}

/// How many goroutines carry each non-empty label set.
fn label_counts(s: &Snapshot) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for t in &s.tasks {
        let l = labels_of(s, t);
        if !l.is_empty() {
            *out.entry(l).or_insert(0) += 1;
        }
    }
    out
}

#[test]
fn each_goroutines_labels_are_read_from_the_core() {
    // The runtime printed each goroutine's labels in its header
    // (GODEBUG=tracebacklabels=1): the core's, read from g.labels, are
    // the same, goroutine by goroutine.
    let mut labelled = 0;
    for name in SAMPLES {
        let key = common::parse(&format!("samples/core/go/{name}/traceback.txt"));
        let core = core_input(name);
        let (k, c) = (&key.snapshots[0], &core.snapshots[0]);
        let want: BTreeMap<u64, String> = k
            .tasks
            .iter()
            .filter(|t| t.id != 0)
            .map(|t| (t.id, labels_of(k, t)))
            .collect();
        let got: BTreeMap<u64, String> = c
            .tasks
            .iter()
            .filter(|t| t.id != 0)
            .map(|t| (t.id, labels_of(c, t)))
            .collect();
        assert_eq!(want, got, "{name}: labels per goroutine");
        labelled += got.values().filter(|l| !l.is_empty()).count();
    }
    assert!(labelled >= 5, "labelled goroutines read: {labelled}");
}

#[test]
fn the_cores_labels_are_those_of_the_programs_goroutine_profile() {
    // The program wrote its goroutine profile at debug=1 (`# labels:` per
    // stack, printed by runtime/pprof) just before it dumped: the same
    // label sets on as many goroutines, nested sets merged, quoted values
    // read back.
    let name = "labelled-handlers";
    let key = common::parse(&format!("samples/core/go/{name}/labels-debug1.txt"));
    let core = core_input(name);
    let want = label_counts(&key.snapshots[0]);
    let got = label_counts(&core.snapshots[0]);
    assert!(want.len() >= 3, "answer key read: {want:?}");
    assert!(
        want.keys().any(|l| l.split(',').count() == 3),
        "a nested label set in the key: {want:?}"
    );
    assert_eq!(want, got, "{name}: label sets and their goroutines");
    // The report's groups carry them (`labels` of each group in the JSON):
    // every pair of the answer key in some group.
    let report = pipeline::report(&[core], &Default::default(), &Default::default());
    let json = serde_json::to_value(&report).expect("report as JSON");
    let groups: Vec<&serde_json::Value> = json["snapshots"]
        .as_array()
        .expect("snapshots")
        .iter()
        .flat_map(|s| s["groups"].as_array().into_iter().flatten())
        .collect();
    assert!(!groups.is_empty(), "groups in the report");
    for set in want.keys() {
        for pair in set.split(',') {
            let (k, v) = pair.split_once('=').expect("key=value");
            let found = groups.iter().any(|g| {
                g["labels"][k]
                    .as_array()
                    .is_some_and(|vs| vs.iter().any(|x| x.as_str() == Some(v)))
            });
            assert!(found, "{k}={v} in no group's labels");
        }
    }
}
