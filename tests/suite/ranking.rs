//! Severity, ranking, links and advice on the committed samples: causes rank
//! before their symptoms and are linked to them, a panic raised only to get
//! the dump is info, a finding counts the goroutines stranded behind it, the
//! remedy fits what the goroutines wait on, evidence does not contradict the
//! explanation, a finding seen in successive dumps of one file is reported
//! once, and info findings fold into one line in every report.

use crate::common;

use common::*;
use dumpscope::analyze::rules::rule;
use dumpscope::report::{Finding, Report};

fn by_id<'a>(r: &'a Report, id: &str) -> &'a Finding {
    r.findings
        .iter()
        .find(|f| f.id == id)
        .unwrap_or_else(|| panic!("no finding {id}"))
}

fn remedy(id: &str) -> String {
    rule(id)
        .expect("a rule of the catalogue")
        .remedy
        .to_string()
}

fn text(r: &Report) -> String {
    let mut out = Vec::new();
    dumpscope::report::text::render(r, &Default::default(), &mut out).expect("text");
    String::from_utf8(out).expect("utf-8")
}

/// The samples' programs panic on purpose to have their goroutines printed:
/// that panic is info, and the pattern each sample is named for ranks first.
#[test]
fn a_panic_raised_to_write_the_dump_is_info_and_ranks_last() {
    let mut checked = 0;
    for e in go_samples().iter().filter(|e| e.path.ends_with("/all.txt")) {
        let rel = sample_path(e);
        let r = report(&rel);
        let Some(crash) = r.snapshots.first().and_then(|s| s.crash.as_ref()) else {
            continue;
        };
        let Some(dump_panic) = r
            .findings
            .iter()
            .find(|f| f.kind == "crash" && f.title.contains("dumping"))
        else {
            continue;
        };
        assert_eq!(dump_panic.severity, "info", "{rel}: {crash:?}");
        let first_real = r.findings.iter().find(|f| !f.is_quiet());
        if let Some(first) = first_real {
            assert!(first.rank < dump_panic.rank, "{rel}");
        }
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} samples panic to dump");
}

/// A watchdog's panic ("deadlock detected") is the symptom of the deadlock
/// the dump shows: the deadlock ranks first, is at least as severe, and the
/// two are linked both ways; the panic's fix is the deadlock's.
#[test]
fn a_watchdog_panic_follows_the_deadlock_it_reports() {
    let r = report("samples/go/watchdog-rlock/all.txt");
    let cause = &r.findings[0];
    assert_eq!(cause.rule, "deadlock.recursive-rlock", "{:?}", cause.title);
    assert_eq!(cause.severity, "critical");
    let panic = r
        .findings
        .iter()
        .find(|f| f.rule == "crash.panic")
        .expect("the watchdog's panic");
    assert!(panic.title.contains("deadlock detected"));
    assert_eq!(panic.caused_by, vec![cause.id.clone()]);
    assert!(cause.explains.contains(&panic.id));
    assert!(panic.rank > cause.rank);
    assert_eq!(panic.remedy, remedy("deadlock.recursive-rlock"));
    assert_eq!(
        panic.advice_rule.as_deref(),
        Some("deadlock.recursive-rlock")
    );
    let out = text(&r);
    assert!(out.contains("caused by #1"), "{out}");
}

/// A cycle through one RWMutex (two readers that re-take the read lock, a
/// writer queued) is a recursive RLock, never a lock-order deadlock, which
/// needs two locks.
#[test]
fn a_cycle_on_one_lock_is_not_lock_order() {
    let r = report("samples/go/watchdog-rlock/all.txt");
    let f = &r.findings[0];
    assert!(f.task_ids.len() >= 2, "{:?}", f.task_ids);
    assert_eq!(f.resources.len(), 1, "one lock");
    for e in go_samples().iter() {
        let rel = sample_path(e);
        if rel.contains("debug1") {
            continue;
        }
        for f in report(&rel)
            .findings
            .iter()
            .filter(|f| f.rule == "deadlock.lock-order")
        {
            let mut locks = f.resources.clone();
            locks.sort();
            locks.dedup();
            assert!(locks.len() >= 2, "{rel}: {:?}", f.title);
        }
    }
}

/// 400 senders left on the result channels of callers that timed out: the
/// fix is a buffer or a select on the context, not a bound on concurrency;
/// 2,000 goroutines queued on one full limiter keep "bound the concurrency".
#[test]
fn remedies_follow_the_shape_of_the_wait() {
    let r = report("samples/go/fanout-timeout/system.txt");
    let f = &r.findings[0];
    assert_eq!(f.task_count, 400, "{:?}", f.title);
    assert_eq!(f.remedy, remedy("chan.stranded-senders"));
    assert_eq!(f.advice_rule.as_deref(), Some("chan.stranded-senders"));
    for rel in [
        "samples/go/goroutine-explosion/system.txt",
        "samples/go/goroutine-explosion/all.txt",
        "samples/go/fanout-timeout/all.txt",
    ] {
        let r = report(rel);
        let f = &r.findings[0];
        assert_eq!(f.rule, "leak.explosion", "{rel}");
        assert_eq!(f.advice_rule, None, "{rel}");
        assert!(f.remedy.contains("bound the concurrency"), "{rel}");
    }
}

/// A WaitGroup that never reaches zero strands the goroutine waiting on it
/// and the 20 handlers waiting for that goroutine to close their channel:
/// it ranks first, above single-goroutine findings, counts them, and the
/// handlers' finding names it as cause and carries its remedy.
#[test]
fn a_finding_counts_the_goroutines_stranded_behind_it() {
    let r = report("samples/go/waitgroup-strands/system.txt");
    let cause = &r.findings[0];
    assert_eq!(cause.rule, "sync.waitgroup-mismatch", "{:?}", cause.title);
    let victims = r
        .findings
        .iter()
        .find(|f| f.task_count == 20)
        .expect("the stranded handlers");
    assert_eq!(victims.caused_by, vec![cause.id.clone()]);
    assert_eq!(victims.remedy, remedy("sync.waitgroup-mismatch"));
    assert!(!victims.remedy.contains("close"), "{}", victims.remedy);
    let single = r
        .findings
        .iter()
        .find(|f| f.rule == "chan.stranded-senders")
        .expect("the single stranded sender");
    assert_eq!(single.severity, cause.severity);
    assert!(cause.score > single.score);
    assert!(cause.rank < single.rank);
    assert!(by_id(&r, &victims.caused_by[0])
        .explains
        .contains(&victims.id));
}

/// The explanation never says nobody is left to release the goroutines
/// while the evidence names one that may.
#[test]
fn evidence_does_not_contradict_the_explanation() {
    let mut checked = 0;
    for e in go_samples() {
        let rel = sample_path(&e);
        for f in report(&rel).findings {
            let helper = f
                .evidence
                .iter()
                .any(|e| e.contains("may still release") || e.contains("may still send"));
            if !helper {
                continue;
            }
            checked += 1;
            assert!(
                !f.explanation.contains("that could call Done is left")
                    && !f.explanation.contains("or close the channel is left")
                    && !f.title.contains("nothing will send or close"),
                "{rel}: {:?} / {:?}",
                f.title,
                f.explanation
            );
        }
    }
    assert!(checked > 0);
}

/// Two dumps of one process in one file: the finding seen in both is
/// reported once, on the newer dump, saying it persists.
#[test]
fn a_finding_in_successive_dumps_is_reported_once() {
    let two = report("samples/messy/two-debug2.txt");
    let one = report("samples/go/chan-range-never-closed/debug2.txt");
    assert_eq!(two.snapshots.len(), 2);
    let real = |r: &Report| r.findings.iter().filter(|f| !f.is_quiet()).count();
    assert_eq!(real(&two), real(&one));
    let f = &two.findings[0];
    assert_eq!(f.snapshot, Some(1));
    assert_eq!(f.also_in, vec![0]);
    let out = text(&two);
    assert!(out.contains("persists across 2 dumps"), "{out}");
    // Shown once, first; both dumps' summaries name it.
    assert_eq!(out.matches("persists across 2 dumps").count(), 1, "{out}");
    assert_eq!(out.matches("findings   #1 (above)").count(), 2, "{out}");
    let md = dumpscope::report::md::render(&two, &Default::default());
    assert!(md.contains("persists across 2 dumps"), "{md}");
    let html = dumpscope::report::html::render(&two);
    assert!(html.contains("<b>Persists</b> across 2 dumps"));
}

/// Info findings and benign waits fold into one line in text, Markdown and
/// HTML; in the HTML it comes before the wait-for graph, with no row of its
/// own per finding.
#[test]
fn info_and_benign_fold_into_one_line_everywhere() {
    let r = report("samples/go/healthy-service/all.txt");
    let quiet = r.findings.iter().filter(|f| f.is_quiet()).count();
    assert!(quiet >= 2, "{quiet}");
    let html = dumpscope::report::html::render(&r);
    assert_eq!(html.matches("<details class=\"quiet\">").count(), 1);
    assert!(!html.contains("class=\"finding sev-info\""));
    let folded = html.find("<details class=\"quiet\">").expect("the line");
    let graph = html.find("id=\"graph\"").unwrap_or(usize::MAX);
    assert!(folded < graph);
    let out = text(&r);
    assert!(!out.contains(" INFO "), "{out}");
    assert_eq!(out.matches("info and benign waits").count(), 1, "{out}");
    let md = dumpscope::report::md::render(&r, &Default::default());
    assert!(!md.contains("INFO**"), "{md}");
    assert_eq!(md.matches("\nInfo and benign waits").count(), 1, "{md}");
}

/// Two dumps joined without a newline (the first file lacked its last
/// one): the second dump's first header, glued to the end of the first
/// dump's last line, is still a goroutine; both dumps keep every goroutine
/// and the cycle, and no goroutine lost to the glue makes the process look
/// wholly deadlocked.
#[test]
fn two_dumps_joined_without_a_newline_keep_every_goroutine() {
    let rel = "samples/go/lock-order-deadlock/debug2.txt";
    let one = read(rel);
    let joined = format!("{}{}", one.trim_end_matches('\n'), one);
    let parsed = dumpscope::pipeline::parse_bytes(
        "joined.txt",
        joined.len() as u64,
        dumpscope::input::Compression::None,
        dumpscope::input::Bytes::owned(joined.into_bytes()),
        None,
        None,
    )
    .expect("read");
    let r = dumpscope::pipeline::report(&[parsed], &Default::default(), &Default::default());
    let single = report(rel);
    assert_eq!(r.snapshots.len(), 2);
    for s in &r.snapshots {
        assert_eq!(s.task_count, single.snapshots[0].task_count);
    }
    assert!(r.snapshots[0]
        .warnings
        .iter()
        .any(|w| w.message.contains("joined")));
    let cycles: Vec<&Finding> = r
        .findings
        .iter()
        .filter(|f| f.rule == "deadlock.lock-order")
        .collect();
    assert_eq!(cycles.len(), 1, "{:#?}", r.findings);
    assert_eq!(cycles[0].also_in, vec![0]);
    assert!(r.findings.iter().all(|f| f.rule != "deadlock.global"));
}
