//! The diagnosis on the committed samples: each sample program's finding is
//! ranked first and covers exactly the goroutines Go's GC proved leaked in
//! the same process; healthy services yield nothing above low; every form of
//! a sample leads to the same rule.

use crate::common;

use common::*;
use dumpscope::analyze::finding::Severity;
use dumpscope::analyze::DiagnoseOptions;
use dumpscope::report::{Finding, Report};
use std::collections::BTreeSet;

/// Sample program -> the rule its finding must come from.
const EXPECTED: &[(&str, &str)] = &[
    ("chan-range-never-closed", "chan.range-not-closed"),
    ("cond-never-signalled", "sync.cond-never-signalled"),
    ("ctx-never-cancelled", "chan.ctx-never-cancelled"),
    ("goroutine-explosion", "leak.explosion"),
    ("http-body-not-closed", "net.http-body-not-closed"),
    ("lock-order-deadlock", "deadlock.lock-order"),
    ("nil-channel", "chan.nil"),
    ("recursive-rlock", "deadlock.recursive-rlock"),
    ("select-forever", "chan.select-forever"),
    ("stranded-senders", "chan.stranded-senders"),
    ("waitgroup-mismatch", "sync.waitgroup-mismatch"),
    ("self-lock", "deadlock.self-lock"),
    ("lock-wait-cycle", "deadlock.cycle"),
    // Beside live connections of the same shape: only the writeLoops whose
    // readLoop is gone.
    ("writeloop-orphaned", "sync.cond-never-signalled"),
];

const CRASHES: &[(&str, &str)] = &[
    ("crash-all-asleep", "deadlock.global"),
    ("crash-concurrent-map-writes", "crash.concurrent-map-writes"),
    ("crash-nil-map", "crash.nil-map-write"),
    ("crash-nil-pointer", "crash.nil-deref"),
    ("crash-out-of-range", "crash.out-of-range"),
    ("crash-send-closed", "crash.send-closed-chan"),
    ("crash-multiline", "crash.panic"),
    ("crash-nested-panic", "crash.panic"),
    ("crash-repanic", "crash.panic"),
    ("crash-stack-overflow", "crash.stack-overflow"),
    ("crash-unlock-unlocked", "crash.fatal"),
];

fn sev(f: &Finding) -> Severity {
    f.severity
        .as_str()
        .parse::<Severity>()
        .expect("a known severity")
}

/// Goroutine ids marked `(leaked)` in a dump.
fn leaked_ids(rel: &str) -> BTreeSet<u64> {
    let p = parse(rel);
    p.snapshots
        .iter()
        .flat_map(|s| s.tasks.iter())
        .filter(|t| t.flags.has(dumpscope::model::TaskFlags::LEAKED))
        .map(|t| t.id)
        .collect()
}

/// The first finding that is not the crash record (dumps written by a
/// panic carry the sample's own dump-triggering panic).
fn first_non_crash(r: &Report) -> &Finding {
    r.findings
        .iter()
        .find(|f| f.kind != "crash")
        .expect("a finding")
}

/// Goroutine ids named by the findings of one rule.
fn covered_by(r: &Report, rule: &str) -> BTreeSet<u64> {
    r.findings
        .iter()
        .filter(|f| f.rule == rule)
        .flat_map(|f| f.task_ids.iter().copied())
        .collect()
}

/// Per goroutineleak profile: the program, the goroutines Go proves leaked,
/// and those named by a leak, blocked-forever or deadlock finding of
/// severity medium or more computed from the plain dump of the same process.
fn recall_per_sample() -> Vec<(String, String, BTreeSet<u64>, BTreeSet<u64>)> {
    go_samples()
        .iter()
        .filter(|e| e.path.ends_with("/leak-debug2.txt"))
        .map(|e| {
            let proof = sample_path(e);
            let plain = proof.replace("leak-debug2", "debug2");
            let r = report(&plain);
            let found: BTreeSet<u64> = r
                .findings
                .iter()
                .filter(|f| matches!(f.kind.as_str(), "leak" | "blocked-forever" | "deadlock"))
                .filter(|f| sev(f) >= Severity::Medium)
                .flat_map(|f| f.task_ids.iter().copied())
                .collect();
            (e.program.clone(), plain, leaked_ids(&proof), found)
        })
        .collect()
}

#[test]
fn each_sample_ranks_its_finding_first_covering_exactly_the_proven_leaks() {
    for (prog, rule) in EXPECTED {
        let plain = format!("samples/go/{prog}/debug2.txt");
        let proof = format!("samples/go/{prog}/leak-debug2.txt");
        let r = report(&plain);
        let first = &r.findings[0];
        assert_eq!(
            &first.rule, rule,
            "{plain}: first finding {:?}",
            first.title
        );
        assert!(
            sev(first) >= Severity::Medium,
            "{plain}: {}",
            first.severity
        );
        // Ground truth from the same process: the goroutineleak profile.
        let leaked = leaked_ids(&proof);
        assert!(!leaked.is_empty(), "{proof}: has leaked goroutines");
        let covered = covered_by(&r, rule);
        assert_eq!(
            covered, leaked,
            "{plain}: {rule} covers exactly the proven leaks"
        );
    }
}

#[test]
fn every_form_of_a_sample_leads_to_the_same_rule() {
    for (prog, rule) in EXPECTED {
        for e in go_samples().iter().filter(|e| e.program == *prog) {
            let rel = sample_path(e);
            if rel.contains("/leak-") || rel.ends_with("debug1.txt") || rel.contains("ancestors") {
                // Leak profiles are judged by Go's own marks; debug=1 is a
                // different format (pprof issue).
                continue;
            }
            let r = report(&rel);
            if r.snapshots.iter().all(|s| s.task_count == 0) {
                continue;
            }
            let f = first_non_crash(&r);
            assert_eq!(&f.rule, rule, "{rel}: first finding {:?}", f.title);
        }
    }
}

#[test]
fn crash_records_are_explained_first() {
    for (prog, rule) in CRASHES {
        let rel = format!("samples/go/{prog}/all.txt");
        let r = report(&rel);
        assert_eq!(
            &r.findings[0].rule, rule,
            "{rel}: {:?}",
            r.findings[0].title
        );
        assert_eq!(r.findings[0].severity, "critical", "{rel}");
    }
}

/// Every dump of a healthy service (`"expect": {"healthy": true}` in the
/// manifest), in every form: tracebacks and counted profiles.
fn healthy_samples() -> Vec<Entry> {
    manifest()
        .files
        .into_iter()
        .filter(|e| e.path.starts_with("go/"))
        .filter(|e| {
            e.expect
                .as_ref()
                .and_then(|x| x.get("healthy"))
                .and_then(|h| h.as_bool())
                == Some(true)
        })
        .collect()
}

/// Findings at medium or above, the crash record that wrote the dump aside.
fn alarms(r: &Report) -> Vec<&Finding> {
    r.findings
        .iter()
        .filter(|f| f.kind != "crash" && sev(f) >= Severity::Medium)
        .collect()
}

#[test]
fn healthy_services_have_nothing_above_low() {
    let samples = healthy_samples();
    for program in [
        "healthy-service",
        "busy-http2",
        "busy-rpc-sql",
        "busy-nats",
        "busy-pools",
    ] {
        assert!(
            samples.iter().filter(|e| e.program == program).count() >= 4,
            "{program}: its forms are in the manifest as healthy"
        );
    }
    for e in &samples {
        let rel = sample_path(e);
        let r = report(&rel);
        if r.snapshots.iter().all(|s| s.task_count == 0) {
            // A goroutineleak profile of a healthy process: `total 0`.
            assert!(r.findings.is_empty(), "{rel}");
            continue;
        }
        for f in &r.findings {
            if f.kind == "crash" {
                // The panic that wrote an all/system dump.
                continue;
            }
            assert!(sev(f) <= Severity::Low, "{rel}: {} {}", f.severity, f.title);
        }
        assert!(
            r.findings.iter().any(|f| f.kind == "benign"),
            "{rel}: benign waits are recognised"
        );
    }
}

#[test]
fn recall_against_the_goroutineleak_profile() {
    // Every goroutine Go proves leaked lies inside a leak, blocked-forever or
    // deadlock finding of severity medium or more, computed from the plain dump.
    let mut proven = 0;
    for (_, plain, leaked, found) in recall_per_sample() {
        for id in leaked {
            proven += 1;
            assert!(
                found.contains(&id),
                "{plain}: goroutine {id} proven leaked but not in a finding"
            );
        }
    }
    assert!(proven >= 2000, "the samples prove {proven} leaks");
}

#[test]
fn lock_order_cycle_names_both_mutexes_and_holders() {
    let r = report("samples/go/lock-order-deadlock/debug2.txt");
    assert_eq!(r.graph.cycles.len(), 1);
    let cycle = &r.graph.cycles[0];
    assert_eq!(cycle.iter().filter(|n| n.starts_with("task:")).count(), 2);
    assert_eq!(
        cycle.iter().filter(|n| n.starts_with("mutex@0x")).count(),
        2
    );
    let held: Vec<_> = r
        .graph
        .edges
        .iter()
        .filter(|e| e.kind == "held-by")
        .collect();
    assert_eq!(held.len(), 2);
    assert!(held.iter().all(|e| e.confidence == "likely"));
    assert_eq!(r.findings[0].confidence, "likely");
    assert_eq!(r.findings[0].resources.len(), 2);
}

#[test]
fn source_root_confirms_the_held_read_lock() {
    let rel = "samples/go/recursive-rlock/debug2.txt";
    let without = report(rel);
    assert_eq!(without.findings[0].confidence, "possible");
    let d = DiagnoseOptions {
        source_root: Some(root().join("samples/programs")),
        ..Default::default()
    };
    let with = report_with(rel, &d);
    let f = &with.findings[0];
    assert_eq!(f.rule, "deadlock.recursive-rlock");
    assert_eq!(f.confidence, "likely");
    assert!(
        f.evidence.iter().any(|e| e.contains("c.mu.RLock()")),
        "{:?}",
        f.evidence
    );
}

#[test]
fn user_rules_mark_benign_and_change_severity() {
    let rel = "samples/go/stranded-senders/debug2.txt";
    let rules = dumpscope::analyze::rules::user::UserRules::parse(
        "[[rule]]\nname = \"quotes are fine\"\nfunction = 'queryBackend'\naction = \"benign\"\n",
    )
    .unwrap();
    let d = DiagnoseOptions {
        user_rules: rules,
        ..Default::default()
    };
    let r = report_with(rel, &d);
    let f = r
        .findings
        .iter()
        .find(|f| f.rule == "chan.stranded-senders")
        .unwrap();
    assert_eq!(f.severity, "info");
    assert_eq!(f.kind, "benign");
    assert_eq!(f.user_rule.as_deref(), Some("quotes are fine"));
    let raise = dumpscope::analyze::rules::user::UserRules::parse(
        "[[rule]]\nname = \"raise\"\nfinding = '^chan\\.stranded'\naction = \"severity\"\nseverity = \"critical\"\n",
    )
    .unwrap();
    let r = report_with(
        rel,
        &DiagnoseOptions {
            user_rules: raise,
            ..Default::default()
        },
    );
    assert_eq!(r.findings[0].severity, "critical");
}

#[test]
fn growth_between_snapshots_raises_a_leak() {
    use dumpscope::analyze::{self, cluster};
    let p = parse("samples/go/ctx-never-cancelled/debug2.txt");
    let snap = &p.snapshots[0];
    let groups = analyze::group(snap, Default::default());
    let d = analyze::diagnose(snap, &groups, None, &Default::default());
    let c = d
        .clusters
        .iter()
        .find(|c| c.count() == 12)
        .expect("the watchers' cluster");
    let before = d
        .findings
        .iter()
        .find(|f| f.rule.id == "chan.ctx-never-cancelled")
        .unwrap();
    assert_eq!(before.severity, Severity::Medium);
    // An earlier dump of the process with a single watcher.
    let mut h = dumpscope::analyze::history::History::default();
    h.counts.insert(c.signature(snap), vec![1]);
    h.snapshots = 1;
    let d2 = analyze::diagnose(snap, &groups, Some(&h), &Default::default());
    let after = d2
        .findings
        .iter()
        .find(|f| f.rule.id == "chan.ctx-never-cancelled")
        .unwrap();
    assert_eq!(after.severity, Severity::High);
    assert!(
        after
            .evidence
            .iter()
            .any(|e| e.contains("grew from 1 to 12")),
        "{:?}",
        after.evidence
    );
    // Through the pipeline, the same dump twice does not grow.
    let r = dumpscope::pipeline::report(
        &[parse("samples/go/ctx-never-cancelled/debug2.txt"), p],
        &Default::default(),
        &Default::default(),
    );
    assert!(r
        .findings
        .iter()
        .all(|f| !f.evidence.iter().any(|e| e.contains("grew"))));
    assert!(r.findings.iter().any(|f| f.snapshot == Some(1)));
    assert!(r
        .graph
        .nodes
        .iter()
        .all(|n| n.id.starts_with(&format!("s{}/", n.snapshot))));
    let _ = cluster::site_sig;
}

#[test]
fn docs_rules_carries_the_catalogue() {
    let doc = read("docs/rules.md");
    let cat = dumpscope::analyze::rules::catalogue_markdown();
    assert!(
        doc.contains(&cat),
        "docs/rules.md is out of date: run `dumpscope rules`"
    );
    let ids: BTreeSet<&str> = dumpscope::analyze::rules::catalogue()
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(
        ids.len(),
        dumpscope::analyze::rules::catalogue().len(),
        "rule ids are unique"
    );
}

/// Samples whose goroutines are stuck but still reachable (Go's leak
/// profile cannot prove them): the expected goroutines are the ones the
/// program blocks by construction (the manifest's `blocked` facts).
const EXPECTED_LIVE: &[(&str, &str)] = &[
    ("lock-convoy", "sync.lock-convoy"),
    ("exec-wait-stuck", "exec.wait-stuck"),
    ("read-no-deadline", "net.read-no-deadline"),
];

/// Goroutine ids whose stack holds the manifest's blocked function.
fn blocked_ids(e: &Entry) -> Option<BTreeSet<u64>> {
    let b = e.expect.as_ref()?.get("blocked")?;
    let func = b.get("function")?.as_str()?;
    let p = parse(&sample_path(e));
    let s = p.snapshots.first()?;
    let t = &s.tables;
    Some(
        s.tasks
            .iter()
            .filter(|task| {
                t.stack(task.stack)
                    .frames
                    .iter()
                    .any(|f| t.func_name(t.frame(*f).function) == func)
            })
            .map(|task| task.id)
            .collect(),
    )
}

#[test]
fn stuck_but_reachable_samples_rank_their_finding_first() {
    for (prog, rule) in EXPECTED_LIVE {
        let entries: Vec<Entry> = go_samples()
            .into_iter()
            .filter(|e| {
                e.program == *prog && !e.form.contains("debug1") && !e.form.starts_with("leak-")
            })
            .collect();
        assert!(!entries.is_empty(), "{prog}: has samples");
        for e in &entries {
            let rel = sample_path(e);
            let r = report(&rel);
            let f = first_non_crash(&r);
            assert_eq!(&f.rule, rule, "{rel}: first finding {:?}", f.title);
            let want = blocked_ids(e).expect("blocked facts");
            let covered = covered_by(&r, rule);
            assert!(
                want.is_subset(&covered),
                "{rel}: {rule} covers the blocked goroutines {want:?}, has {covered:?}"
            );
        }
    }
}

/// The per-sample table of docs/accuracy.md.
fn accuracy_table() -> String {
    let mut out = String::from(
        "| sample | dump | expected rule | first finding | expected goroutines | found | missed | extra |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n",
    );
    let mut row = |prog: &str, rel: &str, rule: &str, want: &BTreeSet<u64>, r: &Report| {
        let f = first_non_crash(r);
        let found = covered_by(r, rule);
        let form = rel.rsplit('/').next().unwrap_or(rel);
        out.push_str(&format!(
            "| {prog} | {form} | `{rule}` | {} `{}` ({}, {}) | {} | {} | {} | {} |\n",
            if f.rule == rule { "✓" } else { "✗" },
            f.rule,
            f.severity,
            f.confidence,
            want.len(),
            found.intersection(want).count(),
            want.difference(&found).count(),
            found.difference(want).count(),
        ));
    };
    for (prog, rule) in EXPECTED {
        let plain = format!("samples/go/{prog}/debug2.txt");
        let want = leaked_ids(&format!("samples/go/{prog}/leak-debug2.txt"));
        row(prog, &plain, rule, &want, &report(&plain));
    }
    for (prog, rule) in EXPECTED_LIVE {
        for e in go_samples()
            .iter()
            .filter(|e| e.program == *prog && (e.form == "debug2" || e.form == "all"))
        {
            let rel = sample_path(e);
            let want = blocked_ids(e).unwrap_or_default();
            row(prog, &rel, rule, &want, &report(&rel));
        }
    }
    out
}

/// Per leak profile: goroutines Go proves leaked, and how many lie in a
/// finding of severity medium or more computed from the plain dump.
fn recall_table() -> String {
    let mut out = String::from("| sample | proven leaked (leak-debug2) | in a medium+ leak/blocked-forever/deadlock finding of debug2 |\n| --- | --- | --- |\n");
    let (mut all, mut hit) = (0, 0);
    for (program, _, leaked, found) in recall_per_sample() {
        let n = leaked.iter().filter(|id| found.contains(id)).count();
        all += leaked.len();
        hit += n;
        out.push_str(&format!("| {program} | {} | {n} |\n", leaked.len()));
    }
    out.push_str(&format!("| **all** | **{all}** | **{hit}** |\n"));
    out
}

/// Waiting goroutines of a dump with all of `functions` on their stack, counted from the
/// parsed tasks (profiles that count goroutines give each record's count).
fn tasks_in(rel: &str, functions: &[&str]) -> u64 {
    let p = parse(rel);
    p.snapshots
        .iter()
        .map(|s| {
            s.tasks
                .iter()
                // Waiting: woken goroutines (runnable) still show the wait.
                .filter(|t| !t.class.can_progress())
                .filter(|t| {
                    let frames = &s.tables.stack(t.stack).frames;
                    functions.iter().all(|function| {
                        frames
                            .iter()
                            .any(|f| s.tables.func_name(s.tables.frame(*f).function) == *function)
                    })
                })
                .count() as u64
        })
        .sum()
}

/// The goroutines findings of a kind account for at a site.
fn claimed_by(r: &Report, kind: &str, title_part: &str) -> u64 {
    r.findings
        .iter()
        .filter(|f| f.kind == kind && f.title.contains(title_part))
        .map(|f| f.task_count)
        .sum()
}

#[test]
fn healthy_shapes_are_recognised_with_their_partner() {
    // Each wait of these shapes has a live partner in the same process: the
    // benign family reports them (none is left to a leak rule), whatever
    // the form of the dump.
    let cond = "sync.(*Cond).Wait";
    let shapes: &[(&str, &[&str], &str)] = &[
        // NATS-like: every writeLoop's readLoop is in IO wait on the same client.
        (
            "busy-nats",
            &["main.(*client).writeLoop", cond],
            "main.(*client).writeLoop",
        ),
        // net/rpc calls waiting for the reply that the input loop delivers.
        ("busy-rpc-sql", &["net/rpc.(*Client).Call"], "main.caller"),
        // A raft-like scheduler's workers, signalled by the live tick loop.
        (
            "busy-pools",
            &["main.(*Scheduler).worker", cond],
            "main.(*Scheduler).worker",
        ),
        // A worker pool beside its dispatcher.
        ("busy-pools", &["main.(*Pool).work"], "main.(*Pool).work"),
        // HTTP/2 response bodies read through the Cond-based pipe.
        (
            "busy-http2",
            &["net/http/internal/http2.(*pipe).Read", "main.subscribe"],
            "main.subscribe",
        ),
    ];
    for (program, function, site) in shapes {
        for e in healthy_samples().iter().filter(|e| e.program == *program) {
            let rel = sample_path(e);
            let want = tasks_in(&rel, function);
            if want == 0 {
                continue;
            }
            let r = report(&rel);
            // Without argument words (a counted profile, an inlined frame) a
            // live goroutine in a method of the same type is weak evidence,
            // kept at low.
            let weak: u64 = r
                .findings
                .iter()
                .filter(|f| f.title.contains(site) && f.severity == "low")
                .filter(|f| f.evidence.iter().any(|ev| ev.contains("same type")))
                .map(|f| f.task_count)
                .sum();
            let got = claimed_by(&r, "benign", site) + weak;
            assert_eq!(got, want, "{rel}: {function:?} wait with a live partner");
            // With goroutine ids (tracebacks, debug=2) the partner is named;
            // a counted profile may read a handful as an idle pool instead.
            let named = r
                .findings
                .iter()
                .filter(|f| f.rule == "benign.partner-alive" && f.title.contains(site))
                .all(|f| f.evidence.iter().any(|ev| ev.contains("live")));
            assert!(named, "{rel}: the partner is named");
            if e.form != "debug1" {
                assert_eq!(
                    claimed_by(&r, "benign", site),
                    r.findings
                        .iter()
                        .filter(|f| f.rule == "benign.partner-alive" && f.title.contains(site))
                        .map(|f| f.task_count)
                        .sum::<u64>(),
                    "{rel}: {site} waits with its partner"
                );
            }
        }
    }
}

/// Crash samples: the crash rule first; healthy samples: the highest
/// severity outside the crash record that wrote the dump.
fn crash_and_healthy_tables() -> String {
    let mut out = String::from(
        "| crash sample | expected first finding | first finding |\n| --- | --- | --- |\n",
    );
    for (prog, rule) in CRASHES {
        let r = report(&format!("samples/go/{prog}/all.txt"));
        let f = &r.findings[0];
        out.push_str(&format!(
            "| {prog} | `{rule}` | {} `{}` ({}) |\n",
            if f.rule == *rule { "✓" } else { "✗" },
            f.rule,
            f.severity
        ));
    }
    out.push_str("\n| healthy service | dump | findings | at medium or above (crash record aside) | highest severity (crash record aside) | benign findings |\n| --- | --- | --- | --- | --- | --- |\n");
    for e in healthy_samples() {
        let r = report(&sample_path(&e));
        let top = r
            .findings
            .iter()
            .filter(|f| f.kind != "crash")
            .map(sev)
            .max()
            .map_or("none".to_string(), |s| s.as_str().to_string());
        out.push_str(&format!(
            "| {} | {} | {} | {} | {top} | {} |\n",
            e.program,
            e.form,
            r.findings.len(),
            alarms(&r).len(),
            r.findings.iter().filter(|f| f.kind == "benign").count()
        ));
    }
    out
}

#[test]
fn docs_accuracy_is_current() {
    let generated = format!(
        "<!-- generated: begin -->\n### Expected against found\n\n{}\n### Recall against Go's leak proof\n\n{}\n### Crashes and healthy services\n\n{}<!-- generated: end -->",
        accuracy_table(),
        recall_table(),
        crash_and_healthy_tables()
    );
    let path = root().join("docs/accuracy.md");
    let doc = std::fs::read_to_string(&path).unwrap_or_default();
    let (Some(a), Some(b)) = (
        doc.find("<!-- generated: begin -->"),
        doc.find("<!-- generated: end -->"),
    ) else {
        panic!("docs/accuracy.md lacks the generated markers");
    };
    let current = &doc[a..b + "<!-- generated: end -->".len()];
    if current != generated {
        if std::env::var_os("DUMPSCOPE_UPDATE_DOCS").is_some() {
            let new = format!(
                "{}{}{}",
                &doc[..a],
                generated,
                &doc[b + "<!-- generated: end -->".len()..]
            );
            std::fs::write(&path, new).expect("write docs/accuracy.md");
        } else {
            panic!("docs/accuracy.md is out of date: run DUMPSCOPE_UPDATE_DOCS=1 cargo test --test suite diagnosis::docs_accuracy");
        }
    }
}

#[test]
fn lock_convoy_names_its_holder_and_what_the_holder_waits_for() {
    let rel = "samples/go/lock-convoy/debug2.txt";
    // Without sources: a method of the locking type carries the mutex.
    let r = report(rel);
    let f = &r.findings[0];
    assert_eq!(f.rule, "sync.lock-convoy");
    assert_eq!(f.confidence, "certain");
    assert!(f.title.contains("(possible)"), "{}", f.title);
    // With the sources: the held Lock is read from refresh's body.
    let d = DiagnoseOptions {
        source_root: Some(root().join("samples/programs")),
        ..Default::default()
    };
    let r = report_with(rel, &d);
    let f = &r.findings[0];
    assert!(f.title.contains("(likely)"), "{}", f.title);
    assert!(
        f.evidence.iter().any(|e| e.contains("`c.mu.Lock()`")),
        "{:?}",
        f.evidence
    );
    assert!(
        f.evidence
            .iter()
            .any(|e| e.contains("itself blocked (chan receive)")),
        "{:?}",
        f.evidence
    );
    // The 40 queued requests plus the holder.
    assert_eq!(f.task_ids.len(), 41);
}

#[test]
fn cycles_only_where_the_program_deadlocks() {
    // No false cycle through benign waits (IO, timers, accept loops, idle
    // pools) in any of the real dumps: only the deadlocking programs have one.
    let deadlocking = [
        "lock-order-deadlock",
        "recursive-rlock",
        "self-lock",
        "lock-wait-cycle",
        "watchdog-rlock",
    ];
    for e in go_samples() {
        if e.form.contains("debug1") {
            continue;
        }
        let rel = sample_path(&e);
        let r = report(&rel);
        let has = !r.graph.cycles.is_empty();
        let should = deadlocking.contains(&e.program.as_str());
        if should {
            assert!(has, "{rel}: the deadlock is a cycle");
        } else {
            assert!(!has, "{rel}: false cycle {:?}", r.graph.cycles);
        }
    }
}
