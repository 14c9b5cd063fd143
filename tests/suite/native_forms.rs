//! Native and Rust forms as the real tools print them: a gdb session with
//! one `bt` after the signal, lldb `bt all` with inlined frames, a crash
//! handler printing both glibc backtrace forms, eu-stack `-a`, the
//! sanitizers' titles and TSan's lock-order report, Rust v0 symbols, a
//! compiler's internal error, and tcmalloc's legacy heap texts. Every dump
//! is a committed output of a real program (samples/native/crash-sessions,
//! samples/native/asan, tsan, tcmalloc-cache, samples/rust/v0-ice).

use crate::common;

use dumpscope::model::CodeKind;
use dumpscope::report::{Finding, Report, SnapshotReport};

fn only(r: &Report) -> &SnapshotReport {
    assert_eq!(r.snapshots.len(), 1, "one snapshot");
    &r.snapshots[0]
}

fn first_finding(r: &Report) -> &Finding {
    r.findings.first().expect("a finding")
}

/// Function names of the crashing thread's preview.
fn crashed_in(s: &SnapshotReport) -> Vec<String> {
    s.crash_task
        .as_ref()
        .expect("a crashing thread")
        .frames
        .iter()
        .map(|f| f.function.clone())
        .collect()
}

/// Every function name of every group.
fn all_functions(s: &SnapshotReport) -> Vec<String> {
    s.groups
        .iter()
        .flat_map(|g| g.frames.iter().map(|f| f.function.clone()))
        .collect()
}

const SESSIONS: &str = "samples/native/crash-sessions";

#[test]
fn gdb_session_with_one_bt_after_the_signal_is_a_crash() {
    for dump in ["gdb-bt.txt", "gdb-bt-all.txt", "gdb-bt-symtab.txt"] {
        let rel = format!("{SESSIONS}/{dump}");
        let r = common::report(&rel);
        let s = only(&r);
        assert_eq!(s.format, "gdb-threads", "{rel}");
        let crash = s
            .crash
            .as_ref()
            .unwrap_or_else(|| panic!("{rel}: no crash"));
        assert!(crash.message.contains("received signal SIGSEGV"), "{rel}");
        let frames = crashed_in(s);
        assert!(frames[0].starts_with("__strlen"), "{rel}: {frames:?}");
        // The worker's own code is where it crashed.
        let f = first_finding(&r);
        assert_eq!(f.rule, "crash.native", "{rel}");
        assert!(
            f.title.contains(" in memo_len") || f.title.contains(" in Ledger::memo_width"),
            "{rel}: {}",
            f.title
        );
        // Nothing of gdb's frame text glued into a name.
        for name in all_functions(s) {
            assert!(
                !name.contains(" at ") && !name.contains(" from ") && !name.ends_with("()"),
                "{rel}: {name}"
            );
        }
    }
    // The thread that received the signal is the crashing one, by its LWP.
    let text = common::read(&format!("{SESSIONS}/gdb-bt-all.txt"));
    let lwp: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("[Switching to Thread "))
        .and_then(|l| l.split("(LWP ").nth(1))
        .and_then(|l| l.split(')').next())
        .and_then(|l| l.parse().ok())
        .expect("the LWP gdb switched to");
    let r = common::report(&format!("{SESSIONS}/gdb-bt-all.txt"));
    assert_eq!(only(&r).crash_task.as_ref().map(|t| t.id), Some(lwp));
    // A frame named from the symbol table keeps its qualifier, not gdb's `()`.
    let r = common::report(&format!("{SESSIONS}/gdb-bt-symtab.txt"));
    assert!(crashed_in(only(&r)).contains(&"Ledger::memo_width() const".to_string()));
}

#[test]
fn gdb_session_forced_as_gdb_threads_or_read_as_native_keeps_names() {
    let rel = format!("{SESSIONS}/gdb-bt.txt");
    let text = common::read(&rel);
    for format in ["gdb-threads", "native-backtrace"] {
        let popts = dumpscope::parse::ParseOptions {
            format: dumpscope::parse::Format::named(format),
            ..Default::default()
        };
        let data = dumpscope::input::Bytes::owned(text.clone().into_bytes());
        let parsed = dumpscope::parse::parse_input(&rel, data, &popts)
            .unwrap_or_else(|e| panic!("{rel} as {format}: {e}"));
        let snap = parsed.snapshots.first().expect("a snapshot");
        let t = &snap.tables;
        let names: Vec<String> = snap
            .tasks
            .iter()
            .flat_map(|task| t.stack(task.stack).frames.iter())
            .map(|f| t.str(t.function(t.frame(*f).function).full).to_string())
            .collect();
        assert!(
            names.iter().any(|n| n == "Ledger::memo_width"),
            "{format}: {names:?}"
        );
        for n in &names {
            assert!(
                !n.contains(" at ") && !n.contains(" from ") && !n.contains('('),
                "{format}: {n}"
            );
        }
    }
}

#[test]
fn lldb_inlined_frames_and_const_methods() {
    let rel = format!("{SESSIONS}/lldb-bt-all.txt");
    let r = common::report(&rel);
    let s = only(&r);
    assert_eq!(s.format, "lldb-threads");
    assert!(s
        .crash
        .as_ref()
        .is_some_and(|c| c.message.contains("SIGSEGV")));
    let task = s.crash_task.as_ref().expect("the stopped thread");
    let inlined: Vec<&str> = task
        .frames
        .iter()
        .filter(|f| f.inlined)
        .map(|f| f.function.as_str())
        .collect();
    assert_eq!(inlined, ["memo_len"]);
    let names = crashed_in(s);
    assert!(
        names.contains(&"Ledger::memo_width".to_string()),
        "{names:?}"
    );
    assert!(names.contains(&"report".to_string()), "{names:?}");
    for n in all_functions(s) {
        assert!(!n.contains("[inlined]") && !n.contains(" const"), "{n}");
    }
}

#[test]
fn lldb_dump_behind_log_prefixes_is_read() {
    let rel = format!("{SESSIONS}/lldb-bt-all.txt");
    let plain = common::report(&rel);
    let text: String = common::read(&rel)
        .lines()
        .map(|l| format!("2026-12-07T10:00:00Z app[123]: {l}\n"))
        .collect();
    let parsed = dumpscope::pipeline::parse_bytes(
        &rel,
        text.len() as u64,
        dumpscope::input::Compression::None,
        dumpscope::input::Bytes::owned(text.into_bytes()),
        None,
        None,
    )
    .unwrap_or_else(|e| panic!("{rel} with log prefixes: {e}"));
    let logged = dumpscope::pipeline::report(&[parsed], &Default::default(), &Default::default());
    assert_eq!(only(&logged).format, "lldb-threads");
    assert_eq!(only(&logged).task_count, only(&plain).task_count);
    assert_eq!(crashed_in(only(&logged)), crashed_in(only(&plain)));
}

#[test]
fn both_glibc_backtrace_forms_are_two_stacks() {
    let rel = format!("{SESSIONS}/backtrace-both.txt");
    let r = common::report(&rel);
    let s = only(&r);
    assert_eq!(s.format, "native-backtrace");
    assert_eq!(
        s.task_count, 2,
        "backtrace_symbols, then backtrace_symbols_fd"
    );
    // Each stack ends at the program's entry, none runs past it.
    for g in &s.groups {
        let last = g.frames.last().map(|f| f.function.as_str());
        assert_eq!(last, Some("_start"), "{}", g.id);
        let starts = g.frames.iter().filter(|f| f.function == "_start").count();
        assert_eq!(starts, 1, "{}", g.id);
    }
}

#[test]
fn eu_stack_return_address_marks_are_not_names() {
    let rel = format!("{SESSIONS}/eu-stack-a-r.txt");
    let r = common::report(&rel);
    let names = all_functions(only(&r));
    assert_eq!(names.first().map(String::as_str), Some("read"));
    assert!(names.contains(&"next_job".to_string()), "{names:?}");
    assert!(names.contains(&"run_jobs".to_string()), "{names:?}");
    for n in &names {
        assert!(!n.starts_with('-') && !n.contains("- 1"), "{n}");
    }
}

#[test]
fn sanitizer_titles_and_labelled_stacks() {
    let r = common::report("samples/native/asan/report.txt");
    let s = only(&r);
    let message = &s.crash.as_ref().expect("a crash").message;
    assert!(
        message.starts_with("AddressSanitizer: heap-use-after-free"),
        "{message}"
    );
    assert!(
        !message.contains("==") && !message.contains("ERROR:"),
        "{message}"
    );
    let labels: Vec<&str> = s
        .groups
        .iter()
        .flat_map(|g| g.task_names.iter().map(String::as_str))
        .collect();
    assert!(
        labels.iter().any(|l| l.starts_with("READ of size")),
        "{labels:?}"
    );
    assert!(
        labels.iter().any(|l| l.starts_with("freed by thread")),
        "{labels:?}"
    );
    assert!(
        labels
            .iter()
            .any(|l| l.starts_with("previously allocated by")),
        "{labels:?}"
    );
    // The text report labels each one-stack group with its section.
    let mut buf = Vec::new();
    dumpscope::report::text::render(&r, &Default::default(), &mut buf).expect("text");
    let text = String::from_utf8_lossy(&buf);
    for label in [
        "\"freed by thread T0 here\"",
        "\"previously allocated by thread T0 here\"",
    ] {
        assert!(
            text.lines()
                .any(|l| l.contains("1 task") && l.ends_with(label)),
            "{label} not on a group's line"
        );
    }
}

#[test]
fn tsan_lock_order_inversion_is_a_potential_deadlock() {
    for dump in [
        "report.txt",
        "report-second-stack.txt",
        "report-unsymbolized.txt",
    ] {
        let rel = format!("samples/native/tsan/{dump}");
        let text = common::read(&rel);
        // The two mutexes as TSan's cycle line names them.
        let cycle = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("Cycle in lock order graph: "))
            .expect("the cycle line");
        let r = common::report(&rel);
        let f = first_finding(&r);
        assert_eq!(f.rule, "crash.lock-order-inversion", "{rel}");
        assert!(f.title.contains(cycle), "{rel}: {}", f.title);
        assert!(
            f.title.contains("M0 (0x") && f.title.contains("M1 (0x"),
            "{rel}"
        );
        assert!(!f.title.contains("pid="), "{rel}: {}", f.title);
        assert!(
            f.severity < dumpscope::analyze::finding::Severity::Critical,
            "{rel}: not a crash that stopped the process"
        );
        assert!(
            !r.findings.iter().any(|f| f.rule == "crash.native"),
            "{rel}"
        );
    }
}

#[test]
fn rust_v0_frames_are_the_standard_library() {
    for dump in ["panic-v0-full.txt", "panic-v0-1.txt"] {
        let rel = format!("samples/rust/v0-ice/{dump}");
        let r = common::report(&rel);
        let s = only(&r);
        assert!(
            s.crash.is_some(),
            "{rel}: thread 'loader' (TID) panicked is a crash"
        );
        let f = first_finding(&r);
        assert_eq!(f.rule, "crash.rust-panic");
        assert!(f.title.contains("parse_limit"), "{rel}: {}", f.title);
        for g in &s.groups {
            for frame in &g.frames {
                let krate = frame
                    .function
                    .trim_start_matches('<')
                    .split("::")
                    .next()
                    .unwrap_or("");
                if krate.starts_with("std[")
                    || krate.starts_with("core[")
                    || krate.starts_with("alloc[")
                {
                    assert_ne!(frame.kind, CodeKind::User, "{rel}: {}", frame.function);
                }
            }
        }
        // The preview starts where the panic began, not in the printer.
        let preview = crashed_in(s);
        assert!(
            !preview
                .iter()
                .any(|n| n.contains("backtrace_rs") || n.contains("default_hook")),
            "{rel}: {preview:?}"
        );
        assert!(
            preview.iter().any(|n| n.contains("parse_limit")),
            "{rel}: {preview:?}"
        );
    }
}

#[test]
fn compiler_ice_message_is_surfaced() {
    let rel = "samples/rust/v0-ice/ice.txt";
    let text = common::read(rel);
    let ice = text
        .lines()
        .find_map(|l| l.strip_prefix("error: "))
        .filter(|l| l.starts_with("internal compiler error"))
        .expect("the ICE line");
    let r = common::report(rel);
    let s = only(&r);
    assert!(s.crash.as_ref().is_some_and(|c| c.message.starts_with(ice)));
    let f = first_finding(&r);
    assert!(f.title.contains(ice), "{}", f.title);
    assert!(!f.title.contains(" in __rustc::"), "{}", f.title);
}

#[test]
fn tcmalloc_heap_texts_are_native_and_blame_the_program() {
    for (dump, kind) in [
        ("heap-sample.heap", "heap_v2/65536"),
        ("heap-growth.heap", "growth"),
        ("service.0001.heap", "heapprofile"),
    ] {
        let rel = format!("samples/native/tcmalloc-cache/{dump}");
        let text = common::read(&rel);
        assert!(text
            .lines()
            .next()
            .is_some_and(|l| l.ends_with(&format!("@ {kind}"))));
        let r = common::report(&rel);
        assert_eq!(r.heap.len(), 1, "{rel}: one heap profile");
        let heap = &r.heap[0];
        assert_eq!(
            heap.runtime,
            dumpscope::model::Runtime::Native,
            "{rel}: not Go"
        );
        assert_eq!(heap.format, "native-heap-text", "{rel}");
        // The memory map is read, not warned about.
        assert!(heap.warnings.is_empty(), "{rel}: {:?}", heap.warnings);
        assert!(!heap.modules.is_empty(), "{rel}: MAPPED_LIBRARIES read");
        // No site starts in the allocator, and the biggest is the program's.
        for site in &heap.sites {
            let top = site.frames.first().map_or("", |f| f.function.as_str());
            assert!(!top.starts_with("libtcmalloc"), "{rel}: {top}");
        }
        let biggest = heap.sites.first().expect("a site");
        assert!(
            biggest.function.starts_with("service+0x"),
            "{rel}: {}",
            biggest.function
        );
        for f in r.findings.iter().filter(|f| f.heap.is_some()) {
            assert!(!f.title.contains("libtcmalloc"), "{rel}: {}", f.title);
        }
        // In use equals allocated on every line: nothing says what was
        // freed, so nothing is "never freed".
        assert!(!heap.has_alloc, "{rel}");
        assert!(
            !r.findings.iter().any(|f| f.rule == "heap.never-freed"),
            "{rel}: never-freed inferred from live-only counts"
        );
    }
}

#[test]
fn go_legacy_heap_text_stays_go() {
    // The reader of native heap text leaves Go's own `@ heap/N` alone.
    assert!(dumpscope::parse::jemalloc::legacy_header(
        b"heap profile: 7: 1234 [100: 5678] @ heap/1048576"
    )
    .is_none());
    for line in [
        "heap profile: 7: 1234 [100: 5678] @ heapz_v2/524288",
        "heap profile: 7: 1234 [7: 1234] @ growthz",
    ] {
        assert!(
            dumpscope::parse::jemalloc::legacy_header(line.as_bytes()).is_some(),
            "{line}"
        );
    }
}

#[test]
fn tokio_barrier_wait_is_not_a_channel_receive() {
    let rel = "samples/rust/tokio-barrier/taskdump.txt";
    let text = common::read(rel);
    // The tasks the dump shows parked in Barrier::wait.
    let waiting = text
        .split("trace:")
        .filter(|task| task.contains("tokio::sync::barrier::Barrier::wait "))
        .count() as u64;
    assert_eq!(waiting, 3);
    let r = common::report(rel);
    let s = only(&r);
    let states: std::collections::BTreeMap<&str, u64> =
        s.states.0.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(states.get("Barrier::wait"), Some(&waiting), "{states:?}");
    assert_eq!(states.get("channel receive"), None, "{states:?}");
}

/// Leaves of the async trees of a dump (each `2x` line counted twice) and
/// its tasks (roots), read from the text.
fn tree_leaves_and_roots(text: &str) -> (u64, u64) {
    let nodes: Vec<(usize, u64)> = text
        .lines()
        .filter_map(|line| {
            let depth = line.chars().position(|c| c == '╼' || c == '┈')?;
            let node = line.split_once(['╼', '┈'])?.1.trim();
            let times = node
                .split_once("x ")
                .and_then(|(n, _)| n.parse::<u64>().ok())
                .unwrap_or(1);
            Some((depth, times))
        })
        .collect();
    let roots = nodes.iter().filter(|(depth, _)| *depth == 0).count() as u64;
    let leaves = nodes
        .iter()
        .enumerate()
        .filter(|(i, (depth, _))| nodes.get(i + 1).is_none_or(|next| next.0 <= *depth))
        .map(|(_, (_, times))| times)
        .sum();
    (leaves, roots)
}

#[test]
fn async_tree_sibling_branches_are_not_lost() {
    for rel in [
        "samples/rust/tokio/mutex-deadlock-framed/tree-wait.txt",
        "samples/rust/tokio/mutex-deadlock-framed/tree-nowait.txt",
        "samples/rust/tokio/mutex-deadlock-framed/taskdump.txt",
        "samples/rust/tokio/lock-order/taskdump.txt",
        "samples/rust/tokio/semaphore-exhaustion/taskdump.txt",
    ] {
        let text = common::read(rel);
        let r = common::report(rel);
        let s = only(&r);
        let functions = all_functions(s);
        // Every future the tree names is on some task's stack.
        for line in text.lines() {
            let Some((_, node)) = line.split_once('╼') else {
                continue;
            };
            let node = node.trim();
            let node = match node.split_once("x ") {
                Some((n, rest)) if n.bytes().all(|b| b.is_ascii_digit()) => rest,
                _ => node,
            };
            let function = node.rsplit_once(" at ").map_or(node, |(f, _)| f);
            if function.starts_with('[') {
                continue;
            }
            assert!(
                functions.iter().any(|f| f == function),
                "{rel}: {function} lost"
            );
        }
        // One task per leaf: each task's own stack and its branches.
        let (leaves, roots) = tree_leaves_and_roots(&text);
        assert!(leaves > roots, "{rel}: the sample forks");
        assert_eq!(s.task_count, leaves, "{rel}");
        assert_eq!(s.branch_count, leaves - roots, "{rel}");
        let flagged: u64 = s
            .groups
            .iter()
            .filter_map(|g| g.flags.0.iter().find(|(k, _)| k == "branch"))
            .map(|(_, n)| *n)
            .sum();
        assert_eq!(flagged, leaves - roots, "{rel}");
        // The line of `file:LINE:COL` is kept.
        for g in &s.groups {
            for f in &g.frames {
                if !f.file.is_empty() {
                    assert_ne!(f.line, 0, "{rel}: {}", f.function);
                }
            }
        }
    }
}

#[test]
fn a_forked_async_tree_gives_each_branch_its_stack() {
    // await_config awaits wait_for_reload and two wait_for_setting futures
    // together (`2x`): the task's stack follows one, each other future is a
    // branch with the task's id, its stack from its leaf to the task's root.
    let rel = "samples/rust/tokio/mutex-deadlock-framed/tree-wait.txt";
    let r = common::report(rel);
    let s = only(&r);
    let root = "mutex_deadlock_framed::await_config::{{closure}}";
    let forked: Vec<_> = s
        .groups
        .iter()
        .filter(|g| g.frames.last().is_some_and(|f| f.function == root))
        .collect();
    let leaves: Vec<(&str, u64)> = forked
        .iter()
        .map(|g| (g.frames[0].function.as_str(), g.count))
        .collect();
    assert_eq!(forked.len(), 2, "{leaves:?}");
    let ids: std::collections::BTreeSet<u64> = forked
        .iter()
        .flat_map(|g| g.task_ids.iter().copied())
        .collect();
    assert_eq!(ids.len(), 1, "one task: {ids:?}");
    let total: u64 = forked.iter().map(|g| g.count).sum();
    assert_eq!(total, 3, "{leaves:?}");
    let branches: u64 = forked
        .iter()
        .filter_map(|g| g.flags.0.iter().find(|(k, _)| k == "branch"))
        .map(|(_, n)| *n)
        .sum();
    assert_eq!(branches, 2, "{leaves:?}");
    assert!(
        leaves.contains(&("mutex_deadlock_framed::wait_for_setting::{{closure}}", 2)),
        "{leaves:?}"
    );
    // The forks are no longer warnings.
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
}

#[test]
fn a_jemalloc_linked_into_the_program_is_not_the_site() {
    // tikv-jemallocator links jemalloc into the binary: every stack starts
    // with jemalloc's frames in the program's own module.
    let rel = "samples/native/jemalloc-static/jeprof.heap";
    let text = common::read(rel);
    let tops: std::collections::BTreeSet<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("@ "))
        .filter_map(|pcs| pcs.split_whitespace().next())
        .collect();
    assert_eq!(tops.len(), 1, "one frame starts every stack");
    let r = common::report(rel);
    let heap = &r.heap[0];
    // The sites still holding memory are told apart: each starts where its
    // own code path allocates, not in the allocator they all share.
    let live: Vec<&str> = heap
        .sites
        .iter()
        .filter(|s| s.values.inuse_bytes > 0)
        .map(|s| s.function.as_str())
        .collect();
    assert!(live.len() >= 3, "{live:?}");
    let distinct: std::collections::BTreeSet<&&str> = live.iter().collect();
    assert_eq!(
        distinct.len(),
        live.len(),
        "sites blamed on one shared frame: {live:?}"
    );
    let leak = r
        .findings
        .iter()
        .find(|f| f.heap.is_some())
        .expect("the cache's leak");
    assert!(leak.title.contains(live[0]), "{}", leak.title);
}
