//! Every committed sample, read through the whole pipeline: goroutine counts
//! against an independent count of headers, the facts each sample program
//! guarantees, crash records, and the messy wrappings of real dumps.

use crate::common;

use common::*;
use dumpscope::model::{StateClass, TaskFlags};

#[test]
fn every_goroutine_of_every_sample_is_read() {
    let samples = go_samples();
    assert!(
        samples.len() >= 80,
        "expected the full sample set, found {}",
        samples.len()
    );
    for e in &samples {
        let rel = sample_path(e);
        let p = parse(&rel);
        let tasks: usize = p.snapshots.iter().map(|s| s.tasks.len()).sum();
        assert_eq!(tasks, header_count(&read(&rel)), "{rel}");
        for s in &p.snapshots {
            assert!(
                s.warnings.is_empty(),
                "{rel}: unexpected warnings {:?}",
                s.warnings
            );
            assert!(!s.truncated, "{rel}: not cut off");
            for t in &s.tasks {
                let st = s.tables.stack(t.stack);
                assert!(
                    !st.frames.is_empty() || t.flags.has(TaskFlags::STACK_UNAVAILABLE),
                    "{rel}: goroutine {} has no frames",
                    t.id
                );
                for f in st.frames.iter() {
                    let fr = s.tables.frame(*f);
                    assert!(
                        fr.line > 0 && !s.tables.str(fr.file).is_empty(),
                        "{rel}: frame without position"
                    );
                }
            }
        }
    }
}

/// Go before 1.20 printed `semacquire` for mutexes and WaitGroups.
fn state_matches(form: &str, expected: &str, got: &str) -> bool {
    got == expected
        || (form.starts_with("go119")
            && got == "semacquire"
            && (expected.starts_with("sync.Mutex")
                || expected.starts_with("sync.RWMutex")
                || expected.starts_with("sync.WaitGroup")))
}

#[test]
fn each_pattern_program_shows_its_blocked_goroutines() {
    let mut checked = 0;
    for e in go_samples() {
        let Some(b) = e.expect.as_ref().and_then(|x| x.get("blocked")) else {
            continue;
        };
        let func = b["function"].as_str().unwrap();
        let state = b["state"].as_str().unwrap();
        let count = b["count"].as_u64().unwrap() as usize;
        let rel = sample_path(&e);
        let p = parse(&rel);
        let s = &p.snapshots[0];
        let n = s
            .tasks
            .iter()
            .filter(|t| state_matches(&e.form, state, s.state(t)))
            .filter(|t| {
                s.stack(t)
                    .frames
                    .iter()
                    .any(|f| s.tables.func_name(s.tables.frame(*f).function) == func)
            })
            .count();
        assert_eq!(n, count, "{rel}: goroutines in {func} [{state}]");
        checked += 1;
    }
    assert!(checked >= 60, "checked {checked}");
}

#[test]
fn old_semacquire_is_classified_from_the_frames() {
    let p = parse("samples/go/lock-order-deadlock/go119-all.txt");
    let s = &p.snapshots[0];
    let locks: Vec<_> = s
        .tasks
        .iter()
        .filter(|t| s.state(t) == "semacquire")
        .collect();
    assert_eq!(locks.len(), 2);
    assert!(locks.iter().all(|t| t.class == StateClass::Lock));
    assert_eq!(s.version_guess.as_deref(), Some("go1.18..go1.19"));
    let p = parse("samples/go/waitgroup-mismatch/go119-all.txt");
    let s = &p.snapshots[0];
    assert!(s
        .tasks
        .iter()
        .filter(|t| s.state(t) == "semacquire")
        .all(|t| t.class == StateClass::Sync));
}

#[test]
fn crash_records() {
    for e in go_samples() {
        let Some(c) = e.expect.as_ref().and_then(|x| x.get("crash")) else {
            continue;
        };
        let rel = sample_path(&e);
        let r = report(&rel);
        let crash = r.snapshots[0]
            .crash
            .as_ref()
            .unwrap_or_else(|| panic!("{rel}: no crash record"));
        assert!(
            crash.message.starts_with(c.as_str().unwrap()),
            "{rel}: {:?}",
            crash.message
        );
    }
    let r = report("samples/go/crash-nil-pointer/all.txt");
    let c = r.snapshots[0].crash.as_ref().unwrap();
    let sig = c.signal.as_ref().unwrap();
    assert_eq!(sig.name, "SIGSEGV");
    assert_eq!(sig.addr.as_deref(), Some("0x0"));
    let top = &r.snapshots[0].crash_task.as_ref().unwrap().frames[0];
    assert_eq!((top.function.as_str(), top.inlined), ("main.greet", true));

    let r = report("samples/go/crash-nested-panic/all.txt");
    let c = r.snapshots[0].crash.as_ref().unwrap();
    assert_eq!(c.panics.len(), 2);
    assert!(!c.panics[0].nested && c.panics[1].nested);
    assert!(c.panics[1].message.contains("cleanup failed"));

    let r = report("samples/go/crash-repanic/all.txt");
    let c = r.snapshots[0].crash.as_ref().unwrap();
    assert!(c.panics[0].recovered, "{:?}", c.panics);
    assert!(c.panics.iter().any(|p| p.message.contains("re-raised")));

    let r = report("samples/go/crash-multiline/all.txt");
    let m = &r.snapshots[0].crash.as_ref().unwrap().panics[0].message;
    assert!(
        m.contains("listen: missing port") && m.contains("tls: certificate expired"),
        "{m:?}"
    );

    let r = report("samples/go/crash-all-asleep/all.txt");
    let c = r.snapshots[0].crash.as_ref().unwrap();
    assert_eq!(
        c.fatal_error.as_deref(),
        Some("all goroutines are asleep - deadlock!")
    );
    assert_eq!(r.snapshots[0].origin.as_deref(), Some("fatal"));

    let r = report("samples/go/select-forever/gorun.txt");
    assert_eq!(r.snapshots[0].crash.as_ref().unwrap().exit_status, Some(2));
}

#[test]
fn race_reports_do_not_break_the_dump() {
    let r = report("samples/go/race/all.txt");
    let s = &r.snapshots[0];
    let c = s.crash.as_ref().unwrap();
    assert_eq!(c.races.len(), 1);
    let a = &c.races[0].accesses;
    assert_eq!(a.len(), 2);
    assert_eq!(a[0].access, "Read");
    assert_eq!(a[0].goroutine, Some(7));
    assert_eq!(a[1].access, "Previous write");
    assert_eq!(a[1].goroutine, None);
    assert!(a[0]
        .top_frame
        .as_deref()
        .unwrap()
        .starts_with("main.(*Stats).record "));
    assert!(c.message.starts_with("panic: dumping"));
    assert_eq!(
        s.task_count as usize,
        header_count(&read("samples/go/race/all.txt"))
    );
}

#[test]
fn sigquit_and_crash_dumps() {
    let r = report("samples/go/lock-order-deadlock/sigquit.txt");
    let s = &r.snapshots[0];
    assert_eq!(s.origin.as_deref(), Some("sigquit"));
    assert_eq!(
        s.crash.as_ref().unwrap().signal.as_ref().unwrap().name,
        "SIGQUIT"
    );
    assert!(s
        .crash
        .as_ref()
        .unwrap()
        .signal
        .as_ref()
        .unwrap()
        .pc
        .is_some());
    // GOTRACEBACK=crash on a panic: one snapshot.
    let p = parse("samples/go/lock-order-deadlock/crash.txt");
    assert_eq!(p.snapshots.len(), 1);
    // SIGQUIT at GOTRACEBACK=crash: every M's registers and g0 stack after `-----`,
    // each with its own `SIGQUIT: quit` line, all in one snapshot.
    let rel = "samples/go/healthy-service/crash.txt";
    let text = read(rel);
    let p = parse(rel);
    assert_eq!(p.snapshots.len(), 1);
    let s = &p.snapshots[0];
    let separators = text.lines().filter(|l| *l == "-----").count() as u32;
    assert!(separators >= 1);
    assert_eq!(s.crash.as_ref().unwrap().register_dumps(), separators + 1);
    assert!(s
        .tasks
        .iter()
        .any(|t| t.id == 0 && t.flags.has(TaskFlags::SYSTEM_STACK)));
}

#[test]
fn header_fields_from_real_dumps() {
    // gp= m= mp= at GOTRACEBACK=system.
    let p = parse("samples/go/lock-order-deadlock/system.txt");
    let s = &p.snapshots[0];
    let e = s.tasks[0].go_detail().unwrap();
    assert!(e.gp.is_some() && e.m.is_some());
    assert!(s
        .tasks
        .iter()
        .any(|t| t.go_detail().is_some_and(|e| e.m == Some(None))));
    // `, N minutes`.
    let p = parse("samples/go/ctx-never-cancelled/minutes.txt");
    let s = &p.snapshots[0];
    assert!(s.tasks.iter().any(|t| t.wait_minutes.unwrap_or(0) >= 1));
    let r = report("samples/go/ctx-never-cancelled/minutes.txt");
    assert!(r.snapshots[0]
        .groups
        .iter()
        .any(|g| g.wait_minutes.is_some_and(|w| w.max >= 1)));
    // `(leaked)` from the goroutineleak profile.
    let p = parse("samples/go/chan-range-never-closed/leak-debug2.txt");
    let s = &p.snapshots[0];
    assert_eq!(
        s.tasks
            .iter()
            .filter(|t| t.flags.has(TaskFlags::LEAKED))
            .count(),
        8
    );
    assert_eq!(s.origin.as_deref(), Some("goroutineleak"));
    // Labels (Go 1.27).
    let r = report("samples/go/goroutine-explosion/labels.txt");
    let g = &r.snapshots[0].groups[0];
    assert_eq!(g.count, 2000);
    assert_eq!(
        g.labels.get("handler").unwrap(),
        &vec!["events".to_string()]
    );
    assert_eq!(g.labels.get("shard").unwrap().len(), 4);
    // `locked to thread`.
    let p = parse("samples/go/healthy-service/all.txt");
    let s = &p.snapshots[0];
    assert!(s
        .tasks
        .iter()
        .any(|t| t.flags.has(TaskFlags::LOCKED_TO_THREAD)));
}

#[test]
fn frames_from_real_dumps() {
    // Ancestors are attached to their goroutine and not counted.
    let rel = "samples/go/chan-range-never-closed/ancestors.txt";
    let p = parse(rel);
    let s = &p.snapshots[0];
    assert_eq!(s.tasks.len(), header_count(&read(rel)));
    assert!(s
        .tasks
        .iter()
        .any(|t| t.go_detail().is_some_and(|e| !e.ancestors.is_empty())));
    // Elision, new and old style.
    let p = parse("samples/go/crash-deep-recursion/all.txt");
    let st = p.snapshots[0].stack(&p.snapshots[0].tasks[0]);
    assert!(
        matches!(st.elided, Some((_, n)) if n > 0),
        "{:?}",
        st.elided
    );
    // Go 1.19 cut this stack at 100 frames without a marker: not a truncated dump.
    let p = parse("samples/go/crash-deep-recursion/go119-all.txt");
    let st = p.snapshots[0].stack(&p.snapshots[0].tasks[0]);
    assert!(st.frames.len() >= 90, "{}", st.frames.len());
    assert!(!p.snapshots[0].truncated);
    // A goroutine running on another thread.
    let p = parse("samples/go/crash-spin/all.txt");
    assert!(p.snapshots[0]
        .tasks
        .iter()
        .any(|t| t.flags.has(TaskFlags::STACK_UNAVAILABLE)));
    // -trimpath module paths.
    let r = report("samples/go/stranded-senders/trimpath.txt");
    let files: Vec<&str> = r.snapshots[0]
        .groups
        .iter()
        .flat_map(|g| g.frames.iter())
        .map(|f| f.file.as_str())
        .collect();
    assert!(
        files.iter().any(|f| f.starts_with("example.com/shop/")),
        "{files:?}"
    );
    // cgo frames.
    let r = report("samples/go/healthy-service/all.txt");
    assert!(r.snapshots[0]
        .groups
        .iter()
        .any(|g| g.frames.iter().any(|f| f.function.contains("_Cfunc_"))));
    // Inlined frames.
    let r = report("samples/go/chan-range-never-closed/all.txt");
    assert!(r.snapshots[0]
        .groups
        .iter()
        .any(|g| g.frames.iter().any(|f| f.inlined)));
}

#[test]
fn grouping_puts_a_pattern_in_one_group() {
    let r = report("samples/go/goroutine-explosion/all.txt");
    let g = &r.snapshots[0].groups[0];
    assert_eq!(g.count, 2000);
    assert_eq!(g.task_ids.len(), 2000);
    assert_eq!(g.state, "chan send");
    assert_eq!(
        g.created_by.as_ref().unwrap().function,
        "main.(*Dispatcher).OnEvent"
    );
    assert_eq!(g.created_by.as_ref().unwrap().parent_ids, vec![1]);
    let r = report("samples/go/chan-range-never-closed/all.txt");
    assert_eq!(r.snapshots[0].groups[0].count, 8);
}

/// Messy wrappings of real dumps read the same as the dump itself.
#[test]
fn messy_inputs_read_like_their_source() {
    let src = "samples/go/lock-order-deadlock/all.txt";
    let want = report(src);
    let want_groups: Vec<(u64, String, String)> = want.snapshots[0]
        .groups
        .iter()
        .map(|g| (g.count, g.state.clone(), g.frames[0].function.clone()))
        .collect();
    for m in [
        "rfc3339.txt",
        "kubectl-timestamps.txt",
        "journald.txt",
        "compose.txt",
        "docker-json.log",
        "crlf.txt",
        "bom.txt",
        "utf16le.txt",
        "ticket-fenced.md",
        "ticket-indented.md",
        "ticket-quoted.md",
        "logs-around.txt",
        "lock-order-deadlock.txt.gz",
        "lock-order-deadlock.txt.zst",
    ] {
        let rel = format!("samples/messy/{m}");
        let r = report(&rel);
        assert_eq!(r.snapshots.len(), 1, "{rel}");
        let s = &r.snapshots[0];
        let got: Vec<(u64, String, String)> = s
            .groups
            .iter()
            .map(|g| (g.count, g.state.clone(), g.frames[0].function.clone()))
            .collect();
        assert_eq!(got, want_groups, "{rel}");
        assert!(s.warnings.is_empty(), "{rel}: {:?}", s.warnings);
        assert_eq!(
            s.crash.as_ref().map(|c| &c.message),
            want.snapshots[0].crash.as_ref().map(|c| &c.message),
            "{rel}"
        );
    }
    let r = report("samples/messy/rfc3339.txt");
    assert!(
        r.inputs[0].notes.iter().any(|n| n.contains("RFC 3339")),
        "{:?}",
        r.inputs[0].notes
    );
    let r = report("samples/messy/lock-order-deadlock.txt.gz");
    assert_eq!(r.inputs[0].compression, "gzip");
}

#[test]
fn several_dumps_in_one_file() {
    let src = header_count(&read("samples/go/chan-range-never-closed/debug2.txt"));
    let p = parse("samples/messy/two-debug2.txt");
    assert_eq!(p.snapshots.len(), 2);
    assert!(p.snapshots.iter().all(|s| s.tasks.len() == src));
    assert_eq!(p.snapshots[1].index, 1);
    let p = parse("samples/messy/multi-kind.txt");
    assert_eq!(p.snapshots.len(), 2);
    assert_eq!(p.snapshots[0].origin.as_deref(), Some("stack"));
    assert_eq!(p.snapshots[1].origin.as_deref(), Some("panic"));
}

#[test]
fn escaped_dumps_in_structured_logs() {
    for rel in ["samples/messy/slog-json.txt", "samples/messy/slog-text.txt"] {
        let p = parse(rel);
        assert_eq!(p.snapshots.len(), 1, "{rel}");
        let s = &p.snapshots[0];
        assert_eq!(s.tasks.len(), 4, "{rel}");
        assert!(p.input.notes.iter().any(|n| n.contains("escaped")), "{rel}");
    }
}

#[test]
fn truncated_dumps_keep_what_is_complete() {
    for rel in [
        "samples/messy/truncated-midline.txt",
        "samples/messy/truncated-line.txt",
        "samples/messy/explosion-cut-64k.txt",
    ] {
        let text = read(rel);
        let p = parse(rel);
        let s = &p.snapshots[0];
        assert!(s.truncated, "{rel}");
        assert_eq!(s.tasks.len(), header_count(&text), "{rel}");
        let last = s.tasks.last().unwrap();
        assert!(last.flags.has(TaskFlags::PARTIAL), "{rel}");
        assert!(
            s.tasks[..s.tasks.len() - 1]
                .iter()
                .all(|t| !t.flags.has(TaskFlags::PARTIAL)),
            "{rel}"
        );
        assert!(
            s.warnings.iter().any(|w| w.message.contains("cut off")),
            "{rel}"
        );
    }
}
