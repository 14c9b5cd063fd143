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

/// Renders a report as text without styling.
fn plain_text(r: &dumpscope::report::Report) -> String {
    let mut buf = Vec::new();
    dumpscope::report::text::render(r, &Default::default(), &mut buf).unwrap();
    String::from_utf8(anstream::adapter::strip_bytes(&buf).into_vec()).unwrap()
}

/// The report of several inputs read in one run, as `analyze A B` makes it.
fn report_of(rels: &[&str]) -> dumpscope::report::Report {
    let parsed: Vec<_> = rels.iter().map(|rel| common::parse(rel)).collect();
    dumpscope::pipeline::report(&parsed, &Default::default(), &Default::default())
}

/// Two inputs (two deploys) and two dumps in one file: the findings of all
/// dumps first, ranked together, then each dump.
#[test]
fn text_reports_of_several_dumps() {
    for (name, rels) in [
        (
            "before-after",
            &[
                "samples/go/leak-and-spin/before-deploy.txt",
                "samples/go/leak-and-spin/after-deploy.txt",
            ][..],
        ),
        (
            "three-dumps",
            &[
                "samples/go/leak-and-spin/goroutine-1.txt",
                "samples/go/leak-and-spin/goroutine-2.txt",
                "samples/go/leak-and-spin/goroutine-3.txt",
            ][..],
        ),
    ] {
        insta::assert_snapshot!(format!("several__{name}"), plain_text(&report_of(rels)));
    }
}

#[test]
fn findings_of_every_dump_come_first_ranked_together() {
    for rels in [
        &[
            "samples/go/leak-and-spin/before-deploy.txt",
            "samples/go/leak-and-spin/after-deploy.txt",
        ][..],
        &["samples/messy/two-debug2.txt"][..],
        &[
            "samples/go/leak-and-spin/goroutine-1.txt",
            "samples/go/leak-and-spin/heap-1.pb.gz",
        ][..],
    ] {
        let r = report_of(rels);
        assert!(r.snapshots.len() + r.heap.len() > 1, "{rels:?}");
        let text = plain_text(&r);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("findings"), "{rels:?}: {}", lines[0]);
        // Every finding above info, in rank order, before the first dump's
        // or heap profile's summary.
        let first_summary = lines
            .iter()
            .position(|l| l.starts_with("  format "))
            .expect("a summary");
        let mut last = 0;
        for f in r.findings.iter().filter(|f| !f.is_quiet()) {
            let head = format!("  #{} ", f.rank);
            let at = lines
                .iter()
                .position(|l| l.starts_with(&head))
                .unwrap_or_else(|| panic!("{rels:?}: #{} not shown", f.rank));
            assert!(at < first_summary, "{rels:?}: #{} after a summary", f.rank);
            assert!(at >= last, "{rels:?}: #{} out of rank order", f.rank);
            last = at;
            // Said once: a finding that persists is not repeated per dump.
            assert_eq!(
                lines.iter().filter(|l| l.starts_with(&head)).count(),
                1,
                "{rels:?}: #{} shown twice",
                f.rank
            );
        }
        // Each dump's summary names its findings by rank.
        for (si, _) in r.snapshots.iter().enumerate() {
            let ranks: Vec<String> = r
                .findings
                .iter()
                .filter(|f| !f.is_quiet() && (f.snapshot == Some(si) || f.also_in.contains(&si)))
                .map(|f| format!("#{}", f.rank))
                .collect();
            if !ranks.is_empty() {
                let want = format!("  findings   {} (above)", ranks.join(", "));
                assert!(text.contains(&want), "{rels:?}: no {want:?}");
            }
        }
    }
}

/// Three dumps of one process given as three inputs: what persists is
/// reported once, on the newest, saying where else it was seen.
#[test]
fn what_persists_across_inputs_is_reported_once() {
    let r = report_of(&[
        "samples/go/leak-and-spin/goroutine-1.txt",
        "samples/go/leak-and-spin/goroutine-2.txt",
        "samples/go/leak-and-spin/goroutine-3.txt",
    ]);
    let explosions: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.rule == "leak.explosion")
        .collect();
    assert_eq!(explosions.len(), 1, "{explosions:#?}");
    assert_eq!(explosions[0].snapshot, Some(2));
    assert_eq!(explosions[0].also_in, vec![0, 1]);
    let text = plain_text(&r);
    assert!(
        text.contains("persists across 3 dumps (also in dumps 1, 2)"),
        "{text}"
    );
    assert!(text.contains("goroutine-1.txt (dump 1 of 3)"), "{text}");
}

/// Every output names counts in words that agree with them: no `(s)`, no
/// `1 minutes`, no share rounded up to all when not all.
#[test]
fn counts_agree_with_their_words() {
    let plural = regex::Regex::new(
        r"\b1 (minutes|seconds|goroutines|threads|tasks|groups|dumps|objects|frames|findings|lines|states|stacks|sites)\b",
    )
    .unwrap();
    let verb =
        regex::Regex::new(r"\b1 (goroutine|thread|task) (wait|block|read|sit|are|run)\b").unwrap();
    let all = regex::Regex::new(r"\((\d+) goroutines \(100% of all\)").unwrap();
    let code = regex::Regex::new(r"(?s)<script.*?</script>|<style.*?</style>").unwrap();
    let mut singular_seen = 0;
    for rels in [
        &["samples/go/ctx-never-cancelled/minutes.txt"][..],
        &["samples/go/read-no-deadline/all.txt"][..],
        &["samples/go/nil-channel/all.txt"][..],
        &["samples/go/goroutine-explosion/all.txt"][..],
        &["samples/go/race/all.txt"][..],
        &["samples/go/crash-send-closed/all.txt"][..],
        &["samples/go/select-forever/go119-all.txt"][..],
        &["samples/go/cond-never-signalled/all.txt"][..],
        &["samples/go/lock-order-deadlock/leak-debug1.txt"][..],
        &["samples/java/healthy/jstack-l.txt"][..],
        &["samples/messy/two-debug2.txt"][..],
        &[
            "samples/go/leak-holding-memory/pprof/goroutine-debug2.txt",
            "samples/go/leak-holding-memory/pprof/heap.pb.gz",
        ][..],
    ] {
        let r = report_of(rels);
        let md = dumpscope::report::md::render(&r, &Default::default());
        // The page's text, not its script.
        let html = code
            .replace_all(&dumpscope::report::html::render(&r), "")
            .into_owned();
        let json = serde_json::to_string(&r).unwrap();
        // What the dump itself says (a panic message) is quoted as it is.
        let quoted: Vec<String> = r
            .snapshots
            .iter()
            .filter_map(|s| s.crash.as_ref())
            .flat_map(|c| {
                c.panics
                    .iter()
                    .map(|p| p.message.clone())
                    .chain([c.message.clone()])
            })
            .filter(|m| !m.is_empty())
            .collect();
        for (what, out) in [
            ("text", plain_text(&r)),
            ("md", md),
            ("html", html),
            ("json", json),
        ] {
            let out = quoted
                .iter()
                .fold(out, |out, q| out.replace(q.as_str(), ""));
            assert!(
                !out.contains("(s)"),
                "{rels:?} {what}: \"(s)\" in {}",
                around(&out, "(s)")
            );
            if let Some(m) = plural.find(&out) {
                panic!("{rels:?} {what}: {:?}", around(&out, m.as_str()));
            }
            if let Some(m) = verb.find(&out) {
                panic!("{rels:?} {what}: {:?}", around(&out, m.as_str()));
            }
            singular_seen += out.matches("1 goroutine waits").count()
                + out.matches("1 goroutine ").count().min(1);
        }
        for f in &r.findings {
            if let Some(c) = all.captures(&f.title) {
                let n: usize = c[1].parse().unwrap();
                let live = f
                    .snapshot
                    .map_or(0, |si| r.snapshots[si].task_count as usize);
                assert_eq!(n, live, "{}: 100% of all when not all", f.title);
            }
        }
    }
    assert!(singular_seen > 0, "no singular count in any output checked");
}

/// Some characters of `out` around the first `needle`.
fn around(out: &str, needle: &str) -> String {
    let at = out.find(needle).unwrap_or(0);
    let from = (0..=at.saturating_sub(80))
        .rev()
        .find(|&i| out.is_char_boundary(i))
        .unwrap_or(0);
    let to = ((at + needle.len() + 80).min(out.len())..=out.len())
        .find(|&i| out.is_char_boundary(i))
        .unwrap_or(out.len());
    out[from..to].to_string()
}

/// How a witness run reads its inputs.
#[derive(Clone, Copy)]
enum Run {
    /// `analyze` of the inputs.
    Analyze,
    /// `analyze --source-root DIR`.
    Sources(&'static str),
    /// `diff` of the inputs.
    Diff,
}

/// For each rule of the catalogue, a committed sample (or a few read in
/// one run) on which it fires.
const WITNESSES: &[(&str, &[&str], Run)] = &[
    (
        "deadlock.lock-order",
        &["samples/messy/lock-order-deadlock.txt.zst"],
        Run::Analyze,
    ),
    (
        "deadlock.recursive-rlock",
        &["samples/go/recursive-rlock/go119-all.txt"],
        Run::Analyze,
    ),
    (
        "deadlock.self-lock",
        &["samples/gobench/moby-36114-service-relock/debug2.txt"],
        Run::Analyze,
    ),
    (
        "deadlock.cycle",
        &["samples/gobench/kubernetes-26980-pool-ready/debug2.txt"],
        Run::Analyze,
    ),
    (
        "deadlock.global",
        &["samples/go/crash-all-asleep/go119-all.txt"],
        Run::Analyze,
    ),
    (
        "chan.nil",
        &["samples/go/nil-channel/all.txt"],
        Run::Analyze,
    ),
    (
        "chan.select-forever",
        &["samples/go/select-forever/go119-all.txt"],
        Run::Analyze,
    ),
    (
        "chan.stranded-senders",
        &["samples/gobench/cockroach-2448-chan-cycle/goroutine.pb.gz"],
        Run::Analyze,
    ),
    (
        "chan.range-not-closed",
        &["samples/go/crash-send-closed/all.txt"],
        Run::Analyze,
    ),
    (
        "chan.ctx-never-cancelled",
        &["samples/gobench/cockroach-13197-txn-heartbeat/debug2.txt"],
        Run::Analyze,
    ),
    (
        "sync.waitgroup-mismatch",
        &["samples/go/waitgroup-mismatch/leak-debug1.txt"],
        Run::Analyze,
    ),
    (
        "sync.cond-never-signalled",
        &["samples/go/cond-never-signalled/leak-debug1.txt"],
        Run::Analyze,
    ),
    (
        "sync.lock-convoy",
        &["samples/go/lock-convoy/debug1.txt"],
        Run::Analyze,
    ),
    (
        "sync.lock-abandoned",
        &["samples/go/lock-order-deadlock/leak-debug1.txt"],
        Run::Analyze,
    ),
    (
        "leak.explosion",
        &["samples/go/fanout-timeout/leak-debug1.txt"],
        Run::Analyze,
    ),
    (
        "leak.confirmed",
        &["samples/go/select-forever/leak-debug1.txt"],
        Run::Analyze,
    ),
    (
        "leak.cluster",
        &["samples/go/cache-never-evicts/pprof/goroutines-labelled.pb.gz"],
        Run::Analyze,
    ),
    (
        "leak.growth",
        &[
            "samples/go/retry-pileup/goroutine-1.txt",
            "samples/go/retry-pileup/goroutine-2.txt",
            "samples/go/retry-pileup/goroutine-3.txt",
        ],
        Run::Analyze,
    ),
    (
        "net.http-body-not-closed",
        &["samples/go/http-body-not-closed/leak-debug1.txt"],
        Run::Analyze,
    ),
    (
        "net.read-no-deadline",
        &["samples/go/read-no-deadline/all.txt"],
        Run::Analyze,
    ),
    (
        "exec.wait-stuck",
        &["samples/go/exec-wait-stuck/debug1.txt"],
        Run::Analyze,
    ),
    (
        "crash.nil-map-write",
        &["samples/go/crash-nil-map/all.txt"],
        Run::Analyze,
    ),
    (
        "crash.concurrent-map-writes",
        &["samples/go/crash-concurrent-map-writes/all.txt"],
        Run::Analyze,
    ),
    (
        "crash.send-closed-chan",
        &["samples/go/crash-send-closed/all.txt"],
        Run::Analyze,
    ),
    (
        "crash.nil-deref",
        &["samples/go/crash-nil-pointer/all.txt"],
        Run::Analyze,
    ),
    (
        "crash.out-of-range",
        &["samples/go/crash-out-of-range/all.txt"],
        Run::Analyze,
    ),
    (
        "crash.stack-overflow",
        &["samples/go/crash-stack-overflow/all.txt"],
        Run::Analyze,
    ),
    (
        "crash.panic",
        &["samples/messy/lock-order-deadlock.txt.zst"],
        Run::Analyze,
    ),
    (
        "crash.fatal",
        &["samples/go/crash-unlock-unlocked/all.txt"],
        Run::Analyze,
    ),
    (
        "crash.data-race",
        &["samples/go/race/all.txt"],
        Run::Analyze,
    ),
    (
        "crash.inside-panic",
        &["samples/go-forms/recovering-debug2.txt"],
        Run::Analyze,
    ),
    (
        "crash.rust-panic",
        &["samples/rust/panics/panic.txt"],
        Run::Analyze,
    ),
    (
        "crash.native",
        &["samples/native/crash-sessions/gdb-bt-symtab.txt"],
        Run::Analyze,
    ),
    (
        "crash.lock-order-inversion",
        &["samples/native/tsan/report-unsymbolized.txt"],
        Run::Analyze,
    ),
    (
        "crash.python",
        &["samples/python/lock-deadlock/faulthandler-crash.txt"],
        Run::Analyze,
    ),
    (
        "threads.all-blocked",
        &["samples/python/queue-consumers/py-spy.txt"],
        Run::Analyze,
    ),
    (
        "threads.blocked-behind",
        &["samples/native/gdb/cond-rwlock-join/bt.txt"],
        Run::Analyze,
    ),
    (
        "threads.blocked-long",
        &[
            "samples/native/gdb/cond-rwlock-join/bt.txt",
            "samples/native/gdb/cond-rwlock-join/bt-full.txt",
        ],
        Run::Analyze,
    ),
    (
        "java.deadlock",
        &["samples/java/monitor-deadlock/jstack-l.txt"],
        Run::Analyze,
    ),
    (
        "native.deadlock",
        &["samples/native/gdb/mutex-deadlock/bt-no-thread-db.txt"],
        Run::Analyze,
    ),
    (
        "python.deadlock",
        &["samples/python/lock-order/py-spy.txt"],
        Run::Sources("samples/python/programs"),
    ),
    (
        "tokio.deadlock",
        &["samples/rust/tokio/lock-order/taskdump.txt"],
        Run::Sources("samples/rust/tokio/programs"),
    ),
    (
        "threads.lock-convoy",
        &["samples/native/gdb/mutex-convoy/lldb-thread-list.txt"],
        Run::Analyze,
    ),
    (
        "java.pool-exhaustion",
        &["samples/java/pool-exhaustion/jstack-l.txt"],
        Run::Analyze,
    ),
    (
        "threads.likely-lock-deadlock",
        &["samples/native/lock-order/c/eu-stack.txt"],
        Run::Analyze,
    ),
    (
        "benign.accept-loop",
        &["samples/go/healthy-service/pprof/goroutines-labelled.pb.gz"],
        Run::Analyze,
    ),
    (
        "benign.keepalive",
        &["samples/go/http-body-not-closed/debug1.txt"],
        Run::Analyze,
    ),
    (
        "benign.signal",
        &["samples/go/cache-never-evicts/pprof/goroutines-labelled.pb.gz"],
        Run::Analyze,
    ),
    (
        "benign.idle-loop",
        &["samples/gobench/cockroach-13197-txn-heartbeat/goroutine.pb.gz"],
        Run::Analyze,
    ),
    (
        "benign.partner-alive",
        &["samples/gobench/istio-17860-push-queue/goroutine.pb.gz"],
        Run::Analyze,
    ),
    (
        "benign.test-runner",
        &["samples/go-forms/gotest-timeout.txt"],
        Run::Analyze,
    ),
    (
        "heap.dominant-site",
        &["samples/native/tcmalloc-cache/service.0001.heap"],
        Run::Analyze,
    ),
    (
        "heap.never-freed",
        &["samples/go/leak-and-spin/heap-1.pb.gz"],
        Run::Analyze,
    ),
    (
        "heap.time-after-loop",
        &["samples/go/cache-never-evicts/pprof/heap.pb.gz"],
        Run::Analyze,
    ),
    (
        "heap.request-buffers",
        &["samples/go/leak-holding-memory/pprof/heap.pb.gz"],
        Run::Analyze,
    ),
    (
        "heap.growth",
        &[
            "samples/go/leak-and-spin/heap-1.pb.gz",
            "samples/go/leak-and-spin/heap-2.pb.gz",
        ],
        Run::Analyze,
    ),
    (
        "leak.holds-memory",
        &[
            "samples/go/leak-holding-memory/pprof/goroutine-debug2.txt",
            "samples/go/leak-holding-memory/pprof/heap.pb.gz",
        ],
        Run::Analyze,
    ),
    (
        "diff.growth",
        &[
            "samples/go/leak-and-spin/goroutine-1.txt",
            "samples/go/leak-and-spin/goroutine-3.txt",
        ],
        Run::Diff,
    ),
    (
        "diff.stuck",
        &[
            "samples/go/leak-and-spin/goroutine-1.txt",
            "samples/go/leak-and-spin/goroutine-3.txt",
        ],
        Run::Diff,
    ),
    (
        "diff.spin",
        &[
            "samples/go/leak-and-spin/goroutine-1.txt",
            "samples/go/leak-and-spin/goroutine-3.txt",
        ],
        Run::Diff,
    ),
    (
        "diff.heap-growth",
        &[
            "samples/go/leak-and-spin/heap-1.pb.gz",
            "samples/go/leak-and-spin/heap-3.pb.gz",
        ],
        Run::Diff,
    ),
];

/// Rules of the catalogue no committed sample fires, and why they stay.
const NOT_WITNESSED: &[(&str, &str)] = &[(
    "java.reported-deadlock",
    "the JVM reports a deadlock whose locks the dump does not list; every committed \
         jstack dump lists them (tests/threads.rs strips them to check the rule)",
)];

#[test]
fn every_rule_of_the_catalogue_fires_on_a_committed_sample() {
    let catalogue: Vec<&str> = dumpscope::analyze::rules::catalogue()
        .iter()
        .map(|r| r.id)
        .collect();
    for id in &catalogue {
        let witnessed = WITNESSES.iter().any(|w| w.0 == *id);
        let excused = NOT_WITNESSED.iter().any(|w| w.0 == *id);
        assert!(
            witnessed != excused,
            "{id}: needs exactly one of a witness sample or a reason it has none"
        );
    }
    for id in NOT_WITNESSED
        .iter()
        .map(|w| w.0)
        .chain(WITNESSES.iter().map(|w| w.0))
    {
        assert!(catalogue.contains(&id), "{id} is not in the catalogue");
    }
    for (id, rels, run) in WITNESSES {
        let parsed: Vec<_> = rels.iter().map(|rel| common::parse(rel)).collect();
        let r = match run {
            Run::Analyze => {
                dumpscope::pipeline::report(&parsed, &Default::default(), &Default::default())
            }
            Run::Sources(dir) => dumpscope::pipeline::report(
                &parsed,
                &Default::default(),
                &dumpscope::analyze::DiagnoseOptions {
                    source_root: Some(common::root().join(dir)),
                    ..Default::default()
                },
            ),
            Run::Diff => dumpscope::pipeline::diff_report(
                &parsed,
                &Default::default(),
                &Default::default(),
                &Default::default(),
            ),
        };
        let fired: Vec<&str> = r.findings.iter().map(|f| f.rule.as_str()).collect();
        assert!(
            fired.contains(id),
            "{id} does not fire on {rels:?}: {fired:?}"
        );
    }
}

/// Retriers that pile up from dump to dump (each sleeping in its backoff, a
/// wait no other rule claims) are `leak.growth` from the second dump on,
/// reported on the last with the count it shows; nothing else is at medium
/// or above.
#[test]
fn retries_piling_up_between_dumps_are_growth() {
    let rels = [
        "samples/go/retry-pileup/goroutine-1.txt",
        "samples/go/retry-pileup/goroutine-2.txt",
        "samples/go/retry-pileup/goroutine-3.txt",
    ];
    // Counted in the text, independently of the parser: goroutines whose
    // stack goes through the retry loop.
    let counts: Vec<usize> = rels
        .iter()
        .map(|rel| {
            common::read(rel)
                .split("\n\n")
                .filter(|g| g.contains("main.(*Payments).retry("))
                .count()
        })
        .collect();
    assert!(
        counts[1] >= counts[0] * 2 && counts[2] > counts[1],
        "{counts:?}"
    );
    let r = report_of(&rels);
    // Seen in the second and third dumps: reported once, on the third.
    let growth: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.rule == "leak.growth")
        .collect();
    assert_eq!(growth.len(), 1, "{growth:#?}");
    let g = growth[0];
    assert_eq!((g.snapshot, g.also_in.clone()), (Some(2), vec![1]));
    assert_eq!(g.task_count, counts[2] as u64, "{}", g.title);
    assert_eq!(g.severity, "medium");
    assert!(
        g.title
            .contains(&format!("up from {}, 2 dumps earlier", counts[0])),
        "{}",
        g.title
    );
    let loud: Vec<&str> = r
        .findings
        .iter()
        .filter(|f| {
            f.rule != "leak.growth"
                && !f.is_quiet()
                && f.severity >= dumpscope::analyze::finding::Severity::Medium
        })
        .map(|f| f.title.as_str())
        .collect();
    assert!(loud.is_empty(), "{loud:?}");
}
