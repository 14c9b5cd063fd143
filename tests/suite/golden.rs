//! Golden snapshots of the JSON report for every Go sample, and of the text
//! output for a few. Review changes with `cargo insta review`, or accept them
//! with `INSTA_UPDATE=always cargo test --test suite golden::`.

use crate::common;

#[test]
fn json_reports() {
    insta::glob!(
        "../../samples",
        "{go,messy}/**/*.{txt,log,md,gz,zst}",
        |path| {
            let rel = path
                .strip_prefix(common::root())
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            if rel.contains("/reference/") {
                return; // `go tool pprof -top` output, not a dump
            }
            if rel.ends_with("/README.md") || rel.ends_with("/times.txt") {
                return; // notes beside the dumps
            }
            let report = common::report(&rel);
            insta::assert_json_snapshot!(report);
        }
    );
}

#[test]
fn text_reports() {
    for rel in [
        "samples/go/lock-order-deadlock/all.txt",
        "samples/go/crash-nil-pointer/all.txt",
        "samples/go/race/all.txt",
        "samples/messy/two-debug2.txt",
        "samples/messy/truncated-midline.txt",
        "samples/java/monitor-deadlock/jstack-l.txt",
        "samples/native/gdb/mutex-deadlock/bt.txt",
        "samples/python/queue-consumers/py-spy.txt",
    ] {
        let r = common::report(rel);
        let mut buf = Vec::new();
        dumpscope::report::text::render(&r, &Default::default(), &mut buf).unwrap();
        let text = String::from_utf8(anstream::adapter::strip_bytes(&buf).into_vec()).unwrap();
        insta::assert_snapshot!(rel.replace('/', "__"), text);
    }
}

/// Rust and native backtraces, as read without binaries (raw frames stay
/// addresses); tests/suite/symbolize.rs covers them symbolized.
#[test]
fn native_json_reports() {
    insta::glob!("../../samples", "{native,rust}/**/*.txt", |path| {
        let rel = path
            .strip_prefix(common::root())
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if rel.contains("/reference") || rel.ends_with(".maps.txt") || rel.contains("/programs/") {
            return; // references and side files, not dumps
        }
        if rel.starts_with("samples/native/gdb/")
            || rel.starts_with("samples/native/lock-order/")
            || rel.starts_with("samples/rust/tokio/")
        {
            return; // thread dumps: a selection in `thread_json_reports`
        }
        if rel.ends_with("panic-backtrace1-stripped.txt") {
            return; // a stripped binary prints no frames: not a backtrace
        }
        let report = common::report(&rel);
        insta::assert_json_snapshot!(report);
    });
}

/// The text report of backtraces symbolized against the committed
/// binaries.
#[test]
fn symbolized_text_reports() {
    for (rel, bin, dirs) in [
        (
            "samples/native/backtrace-symbols/crash-pie.txt",
            "samples/native/backtrace-symbols/bin/app",
            &["samples/native/backtrace-symbols/debug"][..],
        ),
        (
            "samples/rust/panics/panic-full-stripped.txt",
            "samples/rust/panics/bin/panics",
            &[],
        ),
        (
            "samples/native/tsan/report-unsymbolized.txt",
            "samples/native/tsan/bin/transfers",
            &[],
        ),
    ] {
        let mut p = common::parse(rel);
        let opts = dumpscope::symbolize::Options {
            binaries: vec![common::root().join(bin)],
            debug_dirs: dirs.iter().map(|d| common::root().join(d)).collect(),
            ..Default::default()
        };
        let mut sym = dumpscope::symbolize::Symbolizer::new(&opts);
        dumpscope::pipeline::symbolize(&mut sym, &mut p);
        // Notes name the binaries by path: keep this machine's out.
        let root = format!("{}/", common::root().display());
        for n in &mut p.input.notes {
            *n = n.replace(&root, "");
        }
        let r = dumpscope::pipeline::report(&[p], &Default::default(), &Default::default());
        let mut buf = Vec::new();
        dumpscope::report::text::render(&r, &Default::default(), &mut buf).unwrap();
        let text = String::from_utf8(anstream::adapter::strip_bytes(&buf).into_vec()).unwrap();
        insta::assert_snapshot!(format!("symbolized__{}", rel.replace('/', "__")), text);
    }
}

/// Thread and task dumps of the other runtimes: one or two dumps per case
/// and format (tests/suite/threads.rs checks every dump against its program).
#[test]
fn thread_json_reports() {
    for rel in [
        "samples/java/monitor-deadlock/jstack-l.txt",
        "samples/java/juc-deadlock/jstack.txt",
        "samples/java/lock-convoy/sigquit.txt",
        "samples/java/pool-exhaustion/jcmd-print.txt",
        "samples/java/wait-notify/jstack-l.txt",
        "samples/java/healthy/jstack.txt",
        "samples/java/virtual-threads/threads.json",
        "samples/java/virtual-threads/threads.txt",
        "samples/native/gdb/mutex-deadlock/bt-owners.txt",
        "samples/native/gdb/mutex-deadlock/lldb-bt.txt",
        "samples/native/gdb/mutex-convoy/bt.txt",
        "samples/native/gdb/cond-rwlock-join/bt-full.txt",
        "samples/native/gdb/cpp-deadlock/bt-terminal.txt",
        "samples/native/gdb/stripped/bt.txt",
        "samples/python/queue-consumers/py-spy-locals.txt",
        "samples/python/lock-deadlock/faulthandler-crash.txt",
        "samples/python/rlock-convoy/py-spy.json",
        "samples/rust/tokio/semaphore-exhaustion/taskdump.txt",
        "samples/rust/tokio/mutex-deadlock-framed/tree-nowait.txt",
    ] {
        let report = common::report(rel);
        insta::assert_json_snapshot!(format!("json__{}", rel.replace('/', "__")), report);
    }
}
