//! Threads and tasks of other runtimes: gdb and lldb, Python, tokio and
//! Java dumps written by real programs, checked against the ground truth
//! each program recorded about itself (the samples' expected.json).

use crate::common;

use dumpscope::report::Report;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

fn expected(rel: &str) -> Value {
    serde_json::from_str(&common::read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Every task id with its name, across the report's groups.
fn names(r: &Report) -> BTreeMap<u64, String> {
    let mut m = BTreeMap::new();
    for s in &r.snapshots {
        for g in &s.groups {
            for (k, id) in g.task_ids.iter().enumerate() {
                m.insert(*id, g.task_names.get(k).cloned().unwrap_or_default());
            }
        }
    }
    m
}

/// How many tasks of the first snapshot are in a state.
fn state(r: &Report, name: &str) -> Option<u64> {
    r.snapshots[0]
        .states
        .0
        .iter()
        .find(|(s, _)| s == name)
        .map(|x| x.1)
}

fn finding<'a>(r: &'a Report, rule: &str) -> Option<&'a dumpscope::report::Finding> {
    r.findings.iter().find(|f| f.rule == rule)
}

/// `held-by` edges of the graph as (resource id, task id, confidence).
fn held_by(r: &Report) -> BTreeSet<(String, u64, String)> {
    r.graph
        .edges
        .iter()
        .filter(|e| e.kind == "held-by")
        .map(|e| {
            let task =
                e.to.rsplit("task:")
                    .next()
                    .and_then(|t| t.parse().ok())
                    .unwrap_or(u64::MAX);
            (e.from.clone(), task, e.confidence.to_string())
        })
        .collect()
}

fn hex(v: &Value) -> u64 {
    let s = v.as_str().expect("hex string");
    u64::from_str_radix(s.trim_start_matches("0x"), 16).expect("hex")
}

/// gdb and lldb: every thread the program recorded, by LWP and name.
#[test]
fn gdb_threads_are_the_programs_threads() {
    for dir in [
        "mutex-deadlock",
        "mutex-convoy",
        "cond-rwlock-join",
        "cpp-deadlock",
    ] {
        let exp = expected(&format!("samples/native/gdb/{dir}/expected.json"));
        let want: BTreeMap<u64, String> = exp["threads"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t["lwp"].as_u64().unwrap(),
                    t["name"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        for file in ["bt.txt", "bt-full.txt"] {
            let rel = format!("samples/native/gdb/{dir}/{file}");
            let r = common::report(&rel);
            assert_eq!(r.snapshots[0].format, "gdb-threads", "{rel}");
            assert_eq!(names(&r), want, "{rel}");
        }
        // lldb numbers threads 1..n in LWP order and names them alike.
        let rel = format!("samples/native/gdb/{dir}/lldb-bt.txt");
        let r = common::report(&rel);
        assert_eq!(r.snapshots[0].format, "lldb-threads");
        let got: BTreeSet<String> = names(&r).into_values().collect();
        let want_names: BTreeSet<String> = want.values().cloned().collect();
        assert_eq!(got, want_names, "{rel}");
    }
}

/// The lock-order deadlock: both threads on the cycle, each holding the
/// mutex the program says it holds; certain when gdb printed the owners,
/// likely when inferred from the frames; the bystander is queued.
#[test]
fn gdb_mutex_deadlock_matches_the_program() {
    let exp = expected("samples/native/gdb/mutex-deadlock/expected.json");
    let threads = exp["threads"].as_array().unwrap();
    let mut holds: BTreeSet<(String, u64)> = BTreeSet::new();
    let mut cycle: BTreeSet<u64> = BTreeSet::new();
    let mut queued: BTreeSet<u64> = BTreeSet::new();
    for t in threads {
        let lwp = t["lwp"].as_u64().unwrap();
        for h in t["holds"].as_array().unwrap() {
            holds.insert((format!("mutex@{:#x}", hex(&h["address"])), lwp));
            cycle.insert(lwp);
        }
        if t["waits"]["kind"] == "mutex" && t["holds"].as_array().unwrap().is_empty() {
            queued.insert(lwp);
        }
    }
    assert_eq!(cycle.len(), 2);
    for (file, conf) in [
        ("bt-owners.txt", "certain"),
        ("bt.txt", "likely"),
        ("bt-full.txt", "likely"),
        ("bt-no-thread-db.txt", "likely"),
        ("bt-core.txt", "likely"),
        ("lldb-bt.txt", "likely"),
    ] {
        let rel = format!("samples/native/gdb/mutex-deadlock/{file}");
        let r = common::report(&rel);
        let f = finding(&r, "native.deadlock").unwrap_or_else(|| panic!("{rel}: no deadlock"));
        assert_eq!(f.confidence, conf, "{rel}");
        if file == "lldb-bt.txt" {
            // lldb prints thread numbers, not LWPs.
            assert_eq!(f.task_ids.len(), 3, "{rel}");
            continue;
        }
        let on: BTreeSet<u64> = f.task_ids.iter().copied().collect();
        let want: BTreeSet<u64> = cycle.union(&queued).copied().collect();
        assert_eq!(on, want, "{rel}");
        let edges: BTreeSet<(String, u64)> = held_by(&r)
            .into_iter()
            .filter(|e| e.0.starts_with("mutex@"))
            .map(|(res, t, c)| {
                assert_eq!(c, conf, "{rel}: {res}");
                (res, t)
            })
            .collect();
        assert_eq!(edges, holds, "{rel}");
    }
}

/// Joins: the joined thread is found by its pthread_t, for certain.
#[test]
fn gdb_joins_point_at_the_joined_thread() {
    for dir in ["cond-rwlock-join", "mutex-deadlock", "mutex-convoy"] {
        let exp = expected(&format!("samples/native/gdb/{dir}/expected.json"));
        let rel = format!("samples/native/gdb/{dir}/bt.txt");
        let r = common::report(&rel);
        let edges = held_by(&r);
        for t in exp["threads"].as_array().unwrap() {
            if t["waits"]["kind"] != "join" {
                continue;
            }
            let target = t["waits"]["target_lwp"].as_u64().unwrap();
            let res = format!("thread@{:#x}", hex(&t["waits"]["pthread"]));
            assert!(
                edges.contains(&(res.clone(), target, "certain".to_string())),
                "{rel}: {res} held by {target}: {edges:?}"
            );
            let lwp = t["lwp"].as_u64().unwrap();
            assert!(
                r.graph.edges.iter().any(|e| e.kind == "waits-on"
                    && e.from == format!("task:{lwp}")
                    && e.to == res),
                "{rel}: {lwp} waits on {res}"
            );
        }
    }
}

/// The convoy: eight workers on the cache mutex, the flusher its holder
/// (certain from the printed owner, possible from the frames).
#[test]
fn gdb_mutex_convoy_names_its_holder() {
    let exp = expected("samples/native/gdb/mutex-convoy/expected.json");
    let threads = exp["threads"].as_array().unwrap();
    let holder = threads
        .iter()
        .find(|t| !t["holds"].as_array().unwrap().is_empty())
        .unwrap();
    let mutex = format!("mutex@{:#x}", hex(&holder["holds"][0]["address"]));
    let waiters: BTreeSet<u64> = threads
        .iter()
        .filter(|t| t["waits"]["kind"] == "mutex")
        .map(|t| t["lwp"].as_u64().unwrap())
        .collect();
    assert_eq!(waiters.len(), 8);
    for (file, conf) in [("bt.txt", "possible"), ("bt-owners.txt", "certain")] {
        let rel = format!("samples/native/gdb/mutex-convoy/{file}");
        let r = common::report(&rel);
        let f = finding(&r, "threads.lock-convoy").unwrap_or_else(|| panic!("{rel}"));
        assert_eq!(f.resources, vec![mutex.clone()], "{rel}");
        let got: BTreeSet<u64> = f.task_ids.iter().copied().collect();
        assert_eq!(got, waiters, "{rel}");
        let lwp = holder["lwp"].as_u64().unwrap();
        assert!(
            held_by(&r).contains(&(mutex.clone(), lwp, conf.to_string())),
            "{rel}: {:?}",
            held_by(&r)
        );
    }
    // Two attaches in one file: two snapshots, the same convoy in each,
    // reported once on the newer, as persisting.
    let r = common::report("samples/native/gdb/mutex-convoy/several.txt");
    assert_eq!(r.snapshots.len(), 2);
    let convoys: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.rule == "threads.lock-convoy")
        .collect();
    assert_eq!(convoys.len(), 1);
    assert_eq!(convoys[0].snapshot, Some(1));
    assert_eq!(convoys[0].also_in, vec![0]);
}

/// C++: the deadlock through std::mutex, proven by the printed owners.
#[test]
fn gdb_cpp_deadlock_with_owners() {
    let exp = expected("samples/native/gdb/cpp-deadlock/expected.json");
    let cycle: BTreeSet<u64> = exp["threads"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| !t["holds"].as_array().unwrap().is_empty())
        .map(|t| t["lwp"].as_u64().unwrap())
        .collect();
    let r = common::report("samples/native/gdb/cpp-deadlock/bt-owners.txt");
    let f = finding(&r, "native.deadlock").expect("deadlock");
    assert_eq!(f.confidence, "certain");
    assert_eq!(f.task_ids.iter().copied().collect::<BTreeSet<_>>(), cycle);
    // The wrapped terminal output still reads as frames.
    let r = common::report("samples/native/gdb/cpp-deadlock/bt-terminal.txt");
    assert!(r.snapshots[0].groups[0].frames.len() > 3);
}

/// Python: thread names and ids, what each waits on (the queue by the
/// address py-spy prints), and the whole program stuck.
#[test]
fn python_dumps_match_the_program() {
    let exp = expected("samples/python/queue-consumers/expected.json");
    let proc0 = &exp["processes"][0];
    let by_name: BTreeMap<String, &Value> = proc0["threads"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["state"] != "dead")
        .map(|t| (t["name"].as_str().unwrap().to_string(), t))
        .collect();
    for file in [
        "py-spy.txt",
        "py-spy-locals.txt",
        "py-spy-native.txt",
        "py-spy.json",
    ] {
        let rel = format!("samples/python/queue-consumers/{file}");
        let r = common::report(&rel);
        let got = names(&r);
        for (id, name) in &got {
            let t = by_name.get(name).unwrap_or_else(|| panic!("{rel}: {name}"));
            assert_eq!(t["native_id"].as_u64(), Some(*id), "{rel}: {name}");
        }
        assert_eq!(got.len(), by_name.len(), "{rel}");
        let consumers: BTreeSet<u64> = by_name
            .values()
            .filter(|t| t["waits_on"]["kind"] == "Queue.get")
            .map(|t| t["native_id"].as_u64().unwrap())
            .collect();
        assert_eq!(consumers.len(), 6);
        let f = finding(&r, "threads.all-blocked").unwrap_or_else(|| panic!("{rel}"));
        let on: BTreeSet<u64> = f.task_ids.iter().copied().collect();
        assert!(consumers.is_subset(&on), "{rel}");
    }
    // With --locals the queue is identified by its address.
    let id = by_name["consumer-1"]["waits_on"]["id_hex"]
        .as_str()
        .unwrap();
    let p = common::parse("samples/python/queue-consumers/py-spy-locals.txt");
    let snap = &p.snapshots[0];
    let want = u64::from_str_radix(id.trim_start_matches("0x"), 16).unwrap();
    let on_queue = snap
        .sync
        .locks
        .iter()
        .filter(|f| f.addr == want && f.kind == dumpscope::model::SyncKind::Queue)
        .count();
    assert_eq!(on_queue, 6);
}

/// faulthandler: the crash form names the crashing thread; two dumps in one
/// file are two snapshots.
#[test]
fn python_faulthandler_forms() {
    let r = common::report("samples/python/lock-deadlock/faulthandler-crash.txt");
    let f = finding(&r, "crash.python").expect("crash");
    assert!(f.title.contains("Segmentation fault"), "{}", f.title);
    assert!(f.title.contains("read_status"), "{}", f.title);
    let r = common::report("samples/python/rlock-convoy/several.txt");
    assert_eq!(r.snapshots.len(), 2);
    let exp = expected("samples/python/rlock-convoy/expected.json");
    let n = exp["processes"][0]["threads"].as_array().unwrap().len() as u64;
    for s in &r.snapshots {
        assert_eq!(s.task_count, n);
    }
    // The native frames show the lock acquire: a convoy of ten requests.
    let r = common::report("samples/python/rlock-convoy/py-spy-native.txt");
    let f = finding(&r, "threads.lock-convoy").expect("convoy");
    assert_eq!(f.task_ids.len(), 10);
}

/// tokio task dumps and async-backtrace trees: every task, the waits on
/// tokio's primitives, the semaphore queue.
#[test]
fn tokio_task_dumps_match_the_program() {
    let exp = expected("samples/rust/tokio/mutex-deadlock/expected.json");
    for d in exp["dumps"].as_array().unwrap() {
        let file = d["file"].as_str().unwrap();
        let rel = format!("samples/rust/tokio/mutex-deadlock/{file}");
        let r = common::report(&rel);
        let s = &r.snapshots[0];
        assert_eq!(
            s.task_count - s.branch_count,
            d["tasks_in_dump"].as_u64().unwrap(),
            "{rel}"
        );
        assert_eq!(state(&r, "Mutex::lock"), Some(3), "{rel}");
    }
    // A task that awaits several futures at once (a timeout, a join) has
    // one path per future in the program's design: each path but the
    // task's own is a branch (debug builds; a release build inlines the
    // fork away).
    for program in [
        "mutex-deadlock",
        "mutex-deadlock-framed",
        "rwlock-writer",
        "semaphore-exhaustion",
    ] {
        let exp = expected(&format!("samples/rust/tokio/{program}/expected.json"));
        for d in exp["dumps"].as_array().unwrap() {
            if d["build"] != "dev" || !d["kind"].as_str().unwrap().starts_with("tokio") {
                continue;
            }
            let rel = format!(
                "samples/rust/tokio/{program}/{}",
                d["file"].as_str().unwrap()
            );
            let roles = d["task_ids"].as_object().unwrap();
            let forks: u64 = roles
                .keys()
                .map(|role| exp["roles"][role]["paths"].as_array().unwrap().len() as u64 - 1)
                .sum();
            let r = common::report(&rel);
            assert_eq!(r.snapshots[0].branch_count, forks, "{rel}");
        }
    }
    let r = common::report("samples/rust/tokio/semaphore-exhaustion/taskdump.txt");
    let f = finding(&r, "threads.lock-convoy").expect("semaphore queue");
    assert_eq!(f.task_ids.len(), 20);
    assert!(f.resources[0].starts_with("semaphore@site:"));
    let r = common::report("samples/rust/tokio/mutex-deadlock-framed/tree-nowait.txt");
    assert_eq!(r.snapshots[0].format, "async-backtrace-tasks");
    assert_eq!(state(&r, "polling"), Some(1));
}

/// Parsers of these formats never panic, whatever the bytes.
mod never_panics {
    use proptest::prelude::*;

    fn lines() -> impl Strategy<Value = String> {
        let line = prop_oneof![
            Just("Thread 2 (Thread 0x7f00 (LWP 12) \"w\"):".to_string()),
            Just("#1  0x00007f in ___pthread_mutex_lock (mutex=0x5650 <a>) at x.c:9".to_string()),
            Just("#0  f (a=1,".to_string()),
            Just("    b=2) at y.c:1".to_string()),
            Just("$2 = {__data = {__lock = 2, __owner = 12".to_string()),
            Just("* thread #1, name = 'x'".to_string()),
            Just("  frame #0: 0x1 a.so`f(x=0x5) at a.c:1:2".to_string()),
            Just("Thread 0x00007f (most recent call first):".to_string()),
            Just("  File \"a.py\", line 3 in f".to_string()),
            Just("Thread 12 (idle): \"MainThread\"".to_string()),
            Just("    f (a.py:3)".to_string()),
            Just("            self: <Queue at 0x7f00>".to_string()),
            Just("task 0 (id 3) trace:".to_string()),
            Just("\u{a0}\u{a0}└╼\u{a0}tokio::sync::mutex::Mutex<T>::lock at m.rs:1:2".to_string()),
            Just("╼ app::f at src/main.rs:1:1".to_string()),
            Just("\"t\" #1 prio=5 os_prio=0 tid=0x1 nid=0x2 waiting for monitor entry".to_string()),
            Just("   java.lang.Thread.State: BLOCKED (on object monitor)".to_string()),
            Just("\tat a.B.c(B.java:1)".to_string()),
            Just("\t- waiting to lock <0x1> (a java.lang.Object)".to_string()),
            Just("Found one Java-level deadlock:".to_string()),
            Just("  which is held by \"t\"".to_string()),
            ".{0,40}",
        ];
        prop::collection::vec(line, 0..40).prop_map(|v| v.join("\n"))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn thread_parsers(text in lines()) {
            let b = || dumpscope::input::Bytes::owned(text.clone().into_bytes());
            let _ = dumpscope::parse::native::gdb::parse(b(), "t");
            let _ = dumpscope::parse::python::parse(b(), "t");
            let _ = dumpscope::parse::native::tokio::parse(b(), "t");
            let _ = dumpscope::parse::java::parse(b(), "t");
            let _ = dumpscope::parse::python::parse_json(text.as_bytes(), "t");
        }
    }
}

/// Every Java dump of every case, checked against what the program knows:
/// its deadlock cycles (by thread name), who holds what each blocked thread
/// waits for, the convoy and its holder, the exhausted pool, and a healthy
/// service with nothing to report.
#[test]
fn java_dumps_match_the_programs() {
    let cases = std::fs::read_dir(common::root().join("samples/java")).unwrap();
    let mut checked = 0;
    for case in cases {
        let dir = case.unwrap().path();
        let exp_path = dir.join("expected.json");
        if !exp_path.exists() {
            continue;
        }
        let case = dir.file_name().unwrap().to_string_lossy().into_owned();
        let exp = expected(&format!("samples/java/{case}/expected.json"));
        for (file, meta) in exp["files"].as_object().unwrap() {
            let rel = format!("samples/java/{case}/{file}");
            let r = common::report(&rel);
            checked += 1;
            assert_eq!(
                r.snapshots.len() as u64,
                meta["dumps"].as_u64().unwrap(),
                "{rel}: dumps"
            );
            let names = names(&r);
            let id_of = |n: &str| {
                names
                    .iter()
                    .find(|(_, v)| v.as_str() == n)
                    .map(|(k, _)| *k)
                    .unwrap_or_else(|| panic!("{rel}: no thread {n}"))
            };
            let name_set = |ids: &[u64]| -> BTreeSet<String> {
                ids.iter().filter_map(|i| names.get(i).cloned()).collect()
            };
            // A JSON dump does not say who owns a java.util.concurrent lock.
            let owners_hidden = meta["format"] == "threaddump-json" && case == "juc-deadlock";
            for cycle in exp["deadlocks"].as_array().unwrap() {
                let want: BTreeSet<String> = cycle
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|n| n.as_str().unwrap().to_string())
                    .collect();
                let found = r.findings.iter().any(|f| {
                    f.rule == "java.deadlock"
                        && f.confidence == "certain"
                        && want.is_subset(&name_set(&f.task_ids))
                        && f.task_ids.len() <= want.len() + 1
                });
                assert_eq!(found, !owners_hidden, "{rel}: deadlock {want:?}");
                if !owners_hidden && meta["format"] == "hotspot" {
                    let f = r
                        .findings
                        .iter()
                        .find(|f| {
                            f.rule == "java.deadlock" && want.is_subset(&name_set(&f.task_ids))
                        })
                        .unwrap();
                    assert!(
                        f.evidence
                            .iter()
                            .any(|e| e.contains("JVM's own deadlock detector")),
                        "{rel}: the JVM's report is checked"
                    );
                }
            }
            if owners_hidden {
                // No owner to close the cycle: every thread blocked, the
                // busy ones on two locks.
                assert!(
                    finding(&r, "threads.likely-lock-deadlock").is_some()
                        || finding(&r, "threads.all-blocked").is_some(),
                    "{rel}"
                );
            }
            // Who holds what each thread waits for.
            let edges = held_by(&r);
            for (name, t) in exp["threads"].as_object().unwrap() {
                let w = &t["waits_for"];
                let Some(holder) = w["held_by"].as_str() else {
                    continue;
                };
                if owners_hidden || !matches!(w["kind"].as_str(), Some("monitor" | "ownable")) {
                    continue;
                }
                // Thread.print and jstack leave virtual threads out; the
                // JDK 25 text and JSON dumps do not name j.u.c owners.
                if t["virtual"] == true && (meta["format"] == "hotspot" || w["kind"] == "ownable") {
                    continue;
                }
                let prefix = if r.snapshots.len() > 1 { "s0/" } else { "" };
                let me = format!("{prefix}task:{}", id_of(name));
                let res = r
                    .graph
                    .edges
                    .iter()
                    .find(|e| e.kind == "waits-on" && e.from == me)
                    .map(|e| e.to.clone())
                    .unwrap_or_else(|| panic!("{rel}: {name} waits on nothing"));
                let hid = id_of(holder);
                assert!(
                    edges
                        .iter()
                        .any(|(r2, t2, c)| *r2 == res && *t2 == hid && c == "certain"),
                    "{rel}: {res} held by {holder}"
                );
            }
            // Virtual threads appear only in `Thread.dump_to_file` dumps,
            // which do not name owners of java.util.concurrent locks.
            let virtual_case = case == "virtual-threads";
            if let Some(c) = exp
                .get("convoy")
                .filter(|c| !c.is_null())
                .filter(|_| !virtual_case || meta["format"] != "hotspot")
            {
                let f = finding(&r, "threads.lock-convoy").unwrap_or_else(|| panic!("{rel}"));
                let want: BTreeSet<String> = c["waiters"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|n| n.as_str().unwrap().to_string())
                    .collect();
                assert_eq!(name_set(&f.task_ids), want, "{rel}");
                let holder = c["holder"].as_str().unwrap();
                if virtual_case {
                    assert!(
                        f.evidence.iter().any(|e| e.contains("known to hold")),
                        "{rel}: the owner is not in this format"
                    );
                    continue;
                }
                assert!(
                    f.evidence
                        .iter()
                        .any(|e| e.contains(&format!("\"{holder}\""))),
                    "{rel}: holder {holder}: {:?}",
                    f.evidence
                );
            }
            if let Some(p) = exp.get("pool").filter(|p| p["all_blocked"] == true) {
                let f = finding(&r, "java.pool-exhaustion").unwrap_or_else(|| panic!("{rel}"));
                let want: BTreeSet<String> = p["workers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|n| n.as_str().unwrap().to_string())
                    .collect();
                assert_eq!(name_set(&f.task_ids), want, "{rel}");
            }
            if exp["healthy"] == true {
                assert!(
                    r.findings
                        .iter()
                        .all(|f| f.severity == "info" || f.severity == "low"),
                    "{rel}: {:?}",
                    r.findings.iter().map(|f| &f.title).collect::<Vec<_>>()
                );
            }
        }
    }
    assert!(checked >= 25, "{checked} Java dumps checked");
}

/// Threads waiting on the same lock at the same place in consecutive dumps
/// (the JVM's SIGQUIT output twice, two gdb attaches) have been blocked at
/// least the time between them.
#[test]
fn blocked_across_dumps() {
    let r = common::report("samples/java/lock-convoy/sigquit.txt");
    let second: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.rule == "threads.lock-convoy" && f.snapshot == Some(1))
        .collect();
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].severity, "high");
    let exp = expected("samples/java/lock-convoy/expected.json");
    let min = exp["convoy"]["min_blocked_seconds"].as_u64().unwrap();
    let ev = second[0]
        .evidence
        .iter()
        .find(|e| e.contains("consecutive dumps"))
        .expect("evidence of the earlier dump");
    let secs: u64 = ev
        .split("at least ")
        .nth(1)
        .and_then(|x| x.split(' ').next())
        .and_then(|x| x.parse().ok())
        .expect("seconds");
    assert!(secs >= min, "{ev}");
    // The first dump has no earlier one.
    assert!(r
        .findings
        .iter()
        .filter(|f| f.snapshot == Some(0))
        .all(|f| f.severity != "high"));
    // Two attaches given as two inputs: the rwlock writer is blocked in both.
    let parsed = vec![
        common::parse("samples/native/gdb/cond-rwlock-join/bt.txt"),
        common::parse("samples/native/gdb/cond-rwlock-join/bt-full.txt"),
    ];
    let r = dumpscope::pipeline::report(&parsed, &Default::default(), &Default::default());
    let f = r
        .findings
        .iter()
        .find(|f| f.rule == "threads.blocked-long")
        .expect("blocked across the two attaches");
    let exp = expected("samples/native/gdb/cond-rwlock-join/expected.json");
    let writer = exp["threads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["waits"]["kind"] == "rwlock")
        .unwrap();
    assert_eq!(f.task_ids, vec![writer["lwp"].as_u64().unwrap()]);
    assert_eq!(f.snapshot, Some(1));
}

/// A thread that joins one blocked in a read waits for as long as the read:
/// the head of the chain is named.
#[test]
fn blocked_behind_a_thread_in_a_system_call() {
    let exp = expected("samples/native/gdb/cond-rwlock-join/expected.json");
    let threads = exp["threads"].as_array().unwrap();
    let head = threads
        .iter()
        .find(|t| t["waits"]["kind"] == "read")
        .unwrap();
    let joiner = threads
        .iter()
        .find(|t| t["waits"]["target_name"] == head["name"])
        .unwrap();
    for file in ["bt.txt", "bt-full.txt"] {
        let rel = format!("samples/native/gdb/cond-rwlock-join/{file}");
        let r = common::report(&rel);
        let f = finding(&r, "threads.blocked-behind").unwrap_or_else(|| panic!("{rel}"));
        assert_eq!(f.task_ids, vec![joiner["lwp"].as_u64().unwrap()], "{rel}");
        assert!(
            f.title
                .contains(&format!("\"{}\"", head["name"].as_str().unwrap())),
            "{rel}: {}",
            f.title
        );
        assert_eq!(f.confidence, "certain");
    }
}

/// Every gdb dump the programs list and every Python dump: the threads are
/// the program's (by LWP for gdb; by native id and name for py-spy, by
/// ident for faulthandler), in every snapshot.
#[test]
fn every_gdb_and_python_dump_has_the_programs_threads() {
    for dir in [
        "mutex-deadlock",
        "mutex-convoy",
        "cond-rwlock-join",
        "cpp-deadlock",
        "stripped",
    ] {
        let exp = expected(&format!("samples/native/gdb/{dir}/expected.json"));
        let lwps: BTreeSet<u64> = exp["threads"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["lwp"].as_u64().unwrap())
            .collect();
        for file in exp["dumps"].as_array().unwrap() {
            let file = file.as_str().unwrap();
            if file.contains("thread-list") {
                continue; // `thread list` has no stacks
            }
            let rel = format!("samples/native/gdb/{dir}/{file}");
            let r = common::report(&rel);
            for s in &r.snapshots {
                assert_eq!(s.task_count as usize, lwps.len(), "{rel}");
            }
            if !file.starts_with("lldb") {
                let got: BTreeSet<u64> = names(&r).into_keys().collect();
                assert_eq!(got, lwps, "{rel}");
            }
        }
    }
    for dir in [
        "lock-deadlock",
        "queue-consumers",
        "rlock-convoy",
        "asyncio-lock",
    ] {
        let exp = expected(&format!("samples/python/{dir}/expected.json"));
        for p in exp["processes"].as_array().unwrap() {
            let live: Vec<&Value> = p["threads"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|t| t["state"] != "dead")
                .collect();
            for file in p["files"].as_array().unwrap() {
                let file = file.as_str().unwrap();
                if file == "stderr.txt" {
                    continue; // an exception's traceback, not a dump
                }
                let rel = format!("samples/python/{dir}/{file}");
                let r = common::report(&rel);
                assert!(!r.snapshots.is_empty(), "{rel}");
                for s in &r.snapshots {
                    assert_eq!(s.task_count as usize, live.len(), "{rel}");
                }
                let got = names(&r);
                if file.starts_with("py-spy") {
                    for t in &live {
                        let id = t["native_id"].as_u64().unwrap();
                        assert_eq!(
                            got.get(&id).map(String::as_str),
                            t["name"].as_str(),
                            "{rel}"
                        );
                    }
                } else {
                    for t in &live {
                        let ident = t["ident"].as_u64().unwrap();
                        assert!(got.contains_key(&ident), "{rel}: {ident:#x}");
                    }
                }
            }
        }
    }
}

/// A deadlock the JVM reports but the lock lines do not close is its own
/// finding: here the owners the JVM's section names are taken out of the
/// parsed dump, as with a dump whose threads print no owners.
#[test]
fn jvm_reported_deadlock_without_owners() {
    let mut p = common::parse("samples/java/juc-deadlock/jstack.txt");
    for s in &mut p.snapshots {
        s.sync
            .locks
            .retain(|f| !(f.rel == dumpscope::model::LockRel::Holds && f.frame == u16::MAX));
    }
    let r = dumpscope::pipeline::report(&[p], &Default::default(), &Default::default());
    assert!(finding(&r, "java.deadlock").is_none());
    let exp = expected("samples/java/juc-deadlock/expected.json");
    let names = names(&r);
    for cycle in exp["deadlocks"].as_array().unwrap() {
        let want: BTreeSet<String> = cycle
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap().to_string())
            .collect();
        assert!(
            r.findings.iter().any(|f| f.rule == "java.reported-deadlock"
                && f.confidence == "certain"
                && f.task_ids
                    .iter()
                    .filter_map(|t| names.get(t).cloned())
                    .collect::<BTreeSet<_>>()
                    == want),
            "{want:?}"
        );
    }
}
