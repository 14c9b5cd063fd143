//! Recall and precision on the blocking-bug corpus (samples/gobench): per
//! program, the goroutines Go's GC proves leaked (the `(leaked)` marks of
//! its goroutineleak profile, written by the same process as the plain
//! dump), how many of them lie in a leak, blocked-forever or deadlock
//! finding of severity medium or more computed from the plain dump, and how
//! many goroutines such findings flag that Go does not prove leaked.

use crate::common;

use common::*;
use dumpscope::analyze::finding::Severity;
use dumpscope::model::TaskFlags;
use dumpscope::report::Report;
use std::collections::BTreeSet;

/// One program of the corpus, measured.
struct Measured {
    program: String,
    proven: BTreeSet<u64>,
    flagged: BTreeSet<u64>,
}

impl Measured {
    fn covered(&self) -> usize {
        self.proven.intersection(&self.flagged).count()
    }
    fn extra(&self) -> usize {
        self.flagged.difference(&self.proven).count()
    }
}

fn medium_plus(r: &Report) -> BTreeSet<u64> {
    r.findings
        .iter()
        .filter(|f| matches!(f.kind.as_str(), "leak" | "blocked-forever" | "deadlock"))
        .filter(|f| {
            f.severity
                .as_str()
                .parse::<Severity>()
                .is_ok_and(|s| s >= Severity::Medium)
        })
        .flat_map(|f| f.task_ids.iter().copied())
        .collect()
}

fn programs() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(root().join("samples/gobench"))
        .expect("samples/gobench")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn measure() -> Vec<Measured> {
    programs()
        .into_iter()
        .map(|program| {
            let proof = parse(&format!("samples/gobench/{program}/leak-debug2.txt"));
            let proven = proof
                .snapshots
                .iter()
                .flat_map(|s| s.tasks.iter())
                .filter(|t| t.flags.has(TaskFlags::LEAKED))
                .map(|t| t.id)
                .collect();
            let flagged = medium_plus(&report(&format!("samples/gobench/{program}/debug2.txt")));
            Measured {
                program,
                proven,
                flagged,
            }
        })
        .collect()
}

/// The highest severity of a leak, blocked-forever or deadlock finding of
/// a dump (for the forms without goroutine ids), or "none".
fn top_forever(rel: &str) -> String {
    report(rel)
        .findings
        .iter()
        .filter(|f| matches!(f.kind.as_str(), "leak" | "blocked-forever" | "deadlock"))
        .filter_map(|f| f.severity.as_str().parse::<Severity>().ok())
        .max()
        .map_or("none".to_string(), |s| s.as_str().to_string())
}

/// Totals: proven leaked, covered at medium+, flagged at medium+, leaking
/// programs with nothing covered.
fn totals(m: &[Measured]) -> (usize, usize, usize, usize) {
    let proven = m.iter().map(|p| p.proven.len()).sum();
    let covered = m.iter().map(Measured::covered).sum();
    let flagged = m.iter().map(|p| p.flagged.len()).sum();
    let none = m
        .iter()
        .filter(|p| !p.proven.is_empty() && p.covered() == 0)
        .count();
    (proven, covered, flagged, none)
}

fn percent(a: usize, b: usize) -> f64 {
    if b == 0 {
        100.0
    } else {
        (a as f64 * 1000.0 / b as f64).round() / 10.0
    }
}

/// Recall and precision before this corpus drove the analysis (the same
/// computation on the same dumps): 69 of 94 proven leaks covered, 142
/// goroutines flagged, 5 leaking programs with none.
const PRECISION_BEFORE: f64 = 48.6;

#[test]
fn proven_leaks_are_covered_at_medium_or_above() {
    let m = measure();
    assert!(m.len() >= 30, "the corpus has {} programs", m.len());
    let (proven, covered, flagged, none) = totals(&m);
    assert!(proven >= 80, "the corpus proves {proven} leaks");
    let recall = percent(covered, proven);
    assert!(recall >= 98.0, "recall {recall}% ({covered} of {proven})");
    assert_eq!(none, 0, "leaking programs with nothing at medium or above");
    for p in &m {
        assert!(
            p.proven.is_empty() || p.covered() > 0,
            "{}: none of {} proven leaks covered",
            p.program,
            p.proven.len()
        );
    }
    let precision = percent(covered, flagged);
    assert!(
        precision >= PRECISION_BEFORE,
        "precision {precision}% ({covered} of {flagged} flagged goroutines proven leaked)"
    );
}

#[test]
fn healthy_controls_prove_nothing_and_raise_no_deadlock() {
    for p in measure()
        .iter()
        .filter(|p| p.program.starts_with("healthy-"))
    {
        assert!(p.proven.is_empty(), "{}: Go proves no leak", p.program);
        let r = report(&format!("samples/gobench/{}/debug2.txt", p.program));
        for f in &r.findings {
            assert!(
                f.kind != "deadlock"
                    || f.severity.as_str() == "low"
                    || f.severity.as_str() == "info",
                "{}: {} {}",
                p.program,
                f.severity,
                f.title
            );
        }
    }
}

/// The table of docs/accuracy.md for the corpus.
fn gobench_table() -> String {
    let m = measure();
    let mut out = String::from(
        "| program | proven leaked | covered at medium+ | flagged at medium+ | flagged, not proven | debug=1 | protobuf |\n| --- | --- | --- | --- | --- | --- | --- |\n",
    );
    for p in &m {
        let d = |form: &str| top_forever(&format!("samples/gobench/{}/{form}", p.program));
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            p.program,
            p.proven.len(),
            p.covered(),
            p.flagged.len(),
            p.extra(),
            d("debug1.txt"),
            d("goroutine.pb.gz"),
        ));
    }
    let (proven, covered, flagged, none) = totals(&m);
    out.push_str(&format!(
        "\nOverall: {covered} of {proven} proven leaks covered at medium or above (recall {}%); {covered} of {flagged} flagged goroutines proven leaked (precision {}%); leaking programs with nothing at medium or above: {none}. The debug=1 and protobuf columns give the highest severity of a leak, blocked-forever or deadlock finding of the same process's profile in that form (no goroutine ids to match).\n",
        percent(covered, proven),
        percent(covered, flagged)
    ));
    out
}

#[test]
fn docs_accuracy_gobench_is_current() {
    const BEGIN: &str = "<!-- gobench: begin -->";
    const END: &str = "<!-- gobench: end -->";
    let generated = format!("{BEGIN}\n{}{END}", gobench_table());
    let path = root().join("docs/accuracy.md");
    let doc = std::fs::read_to_string(&path).unwrap_or_default();
    let (Some(a), Some(b)) = (doc.find(BEGIN), doc.find(END)) else {
        panic!("docs/accuracy.md lacks the gobench markers");
    };
    if doc[a..b + END.len()] != generated {
        if std::env::var_os("DUMPSCOPE_UPDATE_DOCS").is_some() {
            let new = format!("{}{}{}", &doc[..a], generated, &doc[b + END.len()..]);
            std::fs::write(&path, new).expect("write docs/accuracy.md");
        } else {
            panic!("docs/accuracy.md is out of date: run DUMPSCOPE_UPDATE_DOCS=1 cargo test --test suite gobench::docs_accuracy");
        }
    }
}

#[test]
fn the_goroutine_writing_the_dump_is_not_progress() {
    // Programs whose only runnable goroutine is the one writing the dump:
    // the findings say the whole process is blocked.
    let said: Vec<String> = programs()
        .into_iter()
        .filter(|p| {
            report(&format!("samples/gobench/{p}/debug2.txt"))
                .findings
                .iter()
                .flat_map(|f| f.evidence.iter())
                .any(|e| e.contains("writing this dump"))
        })
        .collect();
    assert!(said.len() >= 3, "{said:?}");
    assert!(said.iter().all(|p| !p.starts_with("healthy-")), "{said:?}");
}

#[test]
fn waits_behind_a_stuck_goroutine_take_its_severity() {
    // sync.Once waiters, WaitGroup parents and lock waiters behind a
    // goroutine blocked forever are named with it.
    let behind = programs()
        .into_iter()
        .filter(|p| {
            report(&format!("samples/gobench/{p}/debug2.txt"))
                .findings
                .iter()
                .filter(|f| f.severity.as_str() != "low" && f.severity.as_str() != "info")
                .flat_map(|f| f.evidence.iter())
                .any(|e| e.contains("wait behind these") || e.contains("is itself blocked forever"))
        })
        .count();
    assert!(behind >= 3, "{behind} programs");
}
