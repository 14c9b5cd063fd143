//! The same lock-order (AB-BA) deadlock on two global locks, written in C,
//! C++, Rust, Python and tokio and dumped by every tool (gdb `bt`, `bt full`,
//! printed owners, lldb, eu-stack, py-spy, faulthandler, the tokio task
//! dump): each dump must yield a deadlock at high or above whose tasks are
//! exactly the two deadlocked threads of the program's own record, naming
//! both locks whenever the dump or the sources can name them.

use crate::common;

use dumpscope::analyze::DiagnoseOptions;
use dumpscope::report::{Finding, Report};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

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

/// How a dump identifies the locks.
#[derive(Clone, Copy, PartialEq)]
enum Locks {
    /// By name (a debugger's symbol, or the sources).
    Named,
    /// By address only (lldb prints no symbol).
    Addressed,
    /// Neither (eu-stack without sources): the threads only.
    Unnamed,
}

fn report(rel: &str, sources: Option<&str>) -> Report {
    let options = DiagnoseOptions {
        source_root: sources.map(|s| common::root().join(s)),
        ..Default::default()
    };
    common::report_with(rel, &options)
}

/// The deadlock finding at high or above.
fn deadlock(r: &Report) -> Option<&Finding> {
    r.findings.iter().find(|f| {
        f.kind == "deadlock" && matches!(f.severity.to_string().as_str(), "high" | "critical")
    })
}

/// Checks one dump: the finding's tasks are the two threads (`ids` maps
/// the report's task ids to the record's thread names, or the report names
/// them), and it names the two locks as `locks` says.
fn check(
    rel: &str,
    sources: Option<&str>,
    threads: &[(&str, u64)],
    lock_names: &[(&str, u64)],
    locks: Locks,
) -> String {
    let r = report(rel, sources);
    let f = deadlock(&r).unwrap_or_else(|| {
        panic!(
            "{rel} (sources {sources:?}): no deadlock at high or above: {:?}",
            r.findings
                .iter()
                .map(|f| (&f.rule, &f.title))
                .collect::<Vec<_>>()
        )
    });
    let named = names(&r);
    let found: BTreeSet<String> = f
        .task_ids
        .iter()
        .map(|id| {
            threads
                .iter()
                .find(|(_, known)| known == id)
                .map(|(name, _)| name.to_string())
                .or_else(|| named.get(id).filter(|n| !n.is_empty()).cloned())
                .unwrap_or_else(|| format!("task {id}"))
        })
        .collect();
    let want: BTreeSet<String> = threads.iter().map(|(n, _)| n.to_string()).collect();
    assert_eq!(found, want, "{rel} (sources {sources:?}): {}", f.title);
    let text = format!("{} {}", f.title, f.resources.join(" "));
    for (name, addr) in lock_names {
        match locks {
            Locks::Named => assert!(
                text.contains(&format!("`{name}`")) || text.contains(&format!("::{name}`")),
                "{rel} (sources {sources:?}): lock {name} not named in {text}"
            ),
            Locks::Addressed => assert!(
                text.contains(&format!("{addr:#x}")),
                "{rel}: lock {addr:#x} not in {text}"
            ),
            Locks::Unnamed => {}
        }
    }
    format!(
        "{rel} sources={} → {} {} {} [{}]",
        sources.is_some(),
        f.rule,
        f.severity,
        f.confidence,
        f.title
    )
}

fn hex(v: &Value) -> u64 {
    let s = v.as_str().expect("hex string");
    u64::from_str_radix(s.trim_start_matches("0x"), 16).expect("hex")
}

/// C, C++ and Rust under gdb, lldb and eu-stack.
#[test]
fn native_lock_order_deadlock_in_every_tool() {
    let programs = PathBuf::from("samples/native/lock-order/programs");
    let programs = programs.to_str().expect("utf-8 path");
    for lang in ["c", "cpp", "rust"] {
        let dir = format!("samples/native/lock-order/{lang}");
        let truth = expected(&format!("{dir}/expected.json"));
        let deadlocked: Vec<&str> = truth["deadlock"]["threads"]
            .as_array()
            .expect("threads")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let by_lwp: Vec<(&str, u64)> = truth["threads"]
            .as_array()
            .expect("threads")
            .iter()
            .filter(|t| deadlocked.contains(&t["name"].as_str().unwrap_or("")))
            .map(|t| {
                (
                    t["name"].as_str().unwrap_or(""),
                    t["lwp"].as_u64().unwrap_or(0),
                )
            })
            .collect();
        assert_eq!(by_lwp.len(), 2);
        let lock_names: Vec<(&str, u64)> = truth["locks"]
            .as_object()
            .expect("locks")
            .iter()
            .map(|(name, lock)| (name.as_str(), hex(&lock["address"])))
            .collect();
        // lldb prints the glibc mutex's address, not the Rust one's.
        let lldb = if lang == "rust" {
            Locks::Unnamed
        } else {
            Locks::Addressed
        };
        let mut dumps: Vec<(&str, Locks, Locks)> = vec![
            ("bt.txt", Locks::Named, Locks::Named),
            ("bt-full.txt", Locks::Named, Locks::Named),
            ("lldb-bt.txt", lldb, Locks::Named),
            ("eu-stack.txt", Locks::Unnamed, Locks::Unnamed),
            ("eu-stack-lines.txt", Locks::Unnamed, Locks::Named),
        ];
        if lang != "rust" {
            // Rust's std mutex keeps no owner to print.
            dumps.push(("bt-owners.txt", Locks::Named, Locks::Named));
            dumps.push(("bt-full-owners.txt", Locks::Named, Locks::Named));
        }
        for (file, plain, with_sources) in dumps {
            let rel = format!("{dir}/{file}");
            // lldb numbers threads itself: the report names them.
            let ids: Vec<(&str, u64)> = if file.starts_with("lldb") {
                Vec::new()
            } else {
                by_lwp.clone()
            };
            let ids = if ids.is_empty() {
                deadlocked.iter().map(|n| (*n, u64::MAX)).collect()
            } else {
                ids
            };
            eprintln!("{}", check(&rel, None, &ids, &lock_names, plain));
            eprintln!(
                "{}",
                check(&rel, Some(programs), &ids, &lock_names, with_sources)
            );
        }
    }
}

/// A lock owner printed by gdb makes the cycle certain.
#[test]
fn printed_owners_make_the_cycle_certain() {
    for lang in ["c", "cpp"] {
        for file in ["bt-owners.txt", "bt-full-owners.txt"] {
            let rel = format!("samples/native/lock-order/{lang}/{file}");
            let r = report(&rel, None);
            let f = deadlock(&r).expect("a deadlock");
            assert_eq!(f.rule, "native.deadlock", "{rel}");
            assert_eq!(f.severity.to_string(), "critical", "{rel}");
            assert_eq!(f.confidence.to_string(), "certain", "{rel}");
        }
    }
}

/// Python threads under py-spy and faulthandler: the sources the dump names
/// tell which lock each `with` or `acquire()` takes.
#[test]
fn python_lock_order_deadlock() {
    let truth = expected("samples/python/lock-order/expected.json");
    let process = &truth["processes"][0];
    let threads: Vec<&Value> = process["threads"]
        .as_array()
        .expect("threads")
        .iter()
        .filter(|t| t["name"] == "place-order" || t["name"] == "restock")
        .collect();
    assert_eq!(threads.len(), 2);
    let by_native: Vec<(&str, u64)> = threads
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap_or(""),
                t["native_id"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    let by_ident: Vec<(&str, u64)> = threads
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap_or(""),
                t["ident"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    let locks = [("orders", 0), ("inventory", 0)];
    for file in [
        "py-spy.txt",
        "py-spy-locals.txt",
        "py-spy-native.txt",
        "py-spy.json",
    ] {
        let rel = format!("samples/python/lock-order/{file}");
        eprintln!(
            "{}",
            check(
                &rel,
                Some("samples/python/programs"),
                &by_native,
                &locks,
                Locks::Named
            )
        );
    }
    let rel = "samples/python/lock-order/faulthandler.txt";
    eprintln!(
        "{}",
        check(
            rel,
            Some("samples/python/programs"),
            &by_ident,
            &locks,
            Locks::Named
        )
    );
    // py-spy --native shows the lock acquire in C: high without sources.
    let rel = "samples/python/lock-order/py-spy-native.txt";
    eprintln!("{}", check(rel, None, &by_native, &locks, Locks::Unnamed));
}

/// tokio tasks: without sources the two lock waits at two sites, with them
/// the `.lock().await` guards alive at each task's frame close the cycle.
#[test]
fn tokio_lock_order_deadlock() {
    let truth = expected("samples/rust/tokio/lock-order/expected.json");
    let ids: Vec<(&str, u64)> = truth["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .filter(|t| t["role"] == "place_order" || t["role"] == "restock")
        .map(|t| {
            (
                t["role"].as_str().unwrap_or(""),
                t["ids"][0].as_u64().unwrap_or(0),
            )
        })
        .collect();
    let locks = [("ORDERS", 0), ("INVENTORY", 0)];
    let rel = "samples/rust/tokio/lock-order/taskdump.txt";
    eprintln!("{}", check(rel, None, &ids, &locks, Locks::Unnamed));
    let with = check(
        rel,
        Some("samples/rust/tokio/programs"),
        &ids,
        &locks,
        Locks::Named,
    );
    assert!(with.contains("critical"), "{with}");
}

/// Healthy or non-deadlocked thread dumps gain no likely deadlock.
#[test]
fn no_likely_deadlock_without_two_locks() {
    for rel in [
        "samples/native/gdb/mutex-convoy/bt.txt",
        "samples/native/gdb/cond-rwlock-join/bt.txt",
        "samples/python/rlock-convoy/py-spy.txt",
        "samples/python/queue-consumers/py-spy.txt",
        "samples/rust/tokio/rwlock-writer/taskdump.txt",
        "samples/rust/tokio/semaphore-exhaustion/taskdump.txt",
        "samples/java/healthy/jstack.txt",
    ] {
        if !common::root().join(rel).exists() {
            continue;
        }
        for sources in [None, Some("samples")] {
            let r = report(rel, sources);
            assert!(
                r.findings
                    .iter()
                    .all(|f| f.rule != "threads.likely-lock-deadlock"),
                "{rel}: {:?}",
                r.findings.iter().map(|f| &f.title).collect::<Vec<_>>()
            );
        }
    }
}

#[test]
fn the_deadlock_survives_log_prefixes() {
    // The same dumps as a log shipper keeps them: every line behind a
    // timestamp and a process tag. The finding names the same threads.
    let prefixed = |rel: &str| -> Report {
        let text: String = common::read(rel)
            .lines()
            .map(|l| format!("2026-12-07T10:00:00Z app[123]: {l}\n"))
            .collect();
        let parsed = dumpscope::pipeline::parse_bytes(
            rel,
            text.len() as u64,
            dumpscope::input::Compression::None,
            dumpscope::input::Bytes::owned(text.into_bytes()),
            None,
            None,
        )
        .unwrap_or_else(|e| panic!("{rel} with log prefixes: {e}"));
        dumpscope::pipeline::report(&[parsed], &Default::default(), &Default::default())
    };
    for lang in ["c", "cpp", "rust"] {
        for dump in [
            "bt.txt",
            "bt-full.txt",
            "eu-stack.txt",
            "eu-stack-lines.txt",
            "lldb-bt.txt",
        ] {
            let rel = format!("samples/native/lock-order/{lang}/{dump}");
            let plain = report(&rel, None);
            let Some(expected) = deadlock(&plain) else {
                panic!("{rel}: no deadlock without prefixes");
            };
            let logged = prefixed(&rel);
            let found =
                deadlock(&logged).unwrap_or_else(|| panic!("{rel} with log prefixes: no deadlock"));
            let ids = |f: &Finding| f.task_ids.iter().copied().collect::<BTreeSet<u64>>();
            assert_eq!(ids(found), ids(expected), "{rel} with log prefixes");
        }
    }
}
