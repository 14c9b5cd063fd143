//! Links between the findings of one snapshot, once every family has run:
//! which finding is the symptom of which. A finding whose tasks wait on
//! resources that only the tasks of other findings could release is
//! stranded behind them; a panic by which the program reports a hang (a
//! watchdog, a test's timeout) follows from the hangs found. A cause counts
//! the tasks stranded behind it, is at least as severe as its symptoms, and
//! ranks before them; a symptom is fixed by fixing its cause, so it carries
//! the cause's advice.

use crate::analyze::finding::{Finding, Kind, Severity};
use crate::analyze::graph::WaitGraph;
use crate::model::vocab::go;
use crate::model::{Snapshot, StateClass};
use rustc_hash::FxHashSet;

/// In the map of task owners: a task that will release nothing (it
/// crashed), whatever finding names it.
const SETTLED: u32 = u32::MAX - 1;

/// Numbers the findings in their current order (their `key`).
pub fn number(findings: &mut [Finding]) {
    for (index, finding) in findings.iter_mut().enumerate() {
        finding.key = index as u32;
    }
}

/// Kinds of findings whose tasks are stuck waiting: they can strand others
/// and be stranded.
fn waiting(finding: &Finding) -> bool {
    finding.severity > Severity::Info
        && matches!(
            finding.kind,
            Kind::Deadlock
                | Kind::BlockedForever
                | Kind::Leak
                | Kind::Stuck
                | Kind::Contention
                | Kind::Starvation
        )
}

/// Links every finding to the findings stranding it, then to the panics
/// that report a hang.
pub fn link(snap: &Snapshot, graph: &WaitGraph, findings: &mut [Finding]) {
    let mut links = blocked_behind(snap, graph, findings);
    links.extend(hang_reports(snap, findings));
    let noun = snap.noun();
    for (symptom, causes) in links {
        apply(findings, symptom, causes, noun);
    }
}

/// Per finding stranded behind others: its index and the indices of the
/// findings holding everything its tasks wait on. A finding is stranded
/// when every task that could release what it waits on (the holders of the
/// wait-for graph: lock holders, goroutines carrying a channel, a
/// WaitGroup's possible Done callers) belongs to another stuck finding.
fn blocked_behind(
    snap: &Snapshot,
    graph: &WaitGraph,
    findings: &[Finding],
) -> Vec<(usize, Vec<usize>)> {
    let mut owner: Vec<u32> = vec![u32::MAX; snap.tasks.len()];
    for (index, finding) in findings.iter().enumerate() {
        if !waiting(finding) {
            continue;
        }
        for &task in &finding.tasks {
            if let Some(slot) = owner.get_mut(task as usize) {
                if *slot == u32::MAX {
                    *slot = index as u32;
                }
            }
        }
    }
    // The goroutine that crashed releases nothing any more.
    let crashed = snap
        .crash
        .as_ref()
        .and_then(|crash| crash.task_id)
        .and_then(|id| snap.tasks.iter().position(|task| task.id == id));
    if let Some(slot) = crashed.and_then(|task| owner.get_mut(task)) {
        *slot = SETTLED;
    }
    // Nor does the goroutine writing the dump count as a releaser: the
    // rules that found these waits did not count it as a partner either.
    for (slot, task) in owner.iter_mut().zip(&snap.tasks) {
        if *slot == u32::MAX
            && matches!(task.class, StateClass::Running | StateClass::Runnable)
            && crate::model::vocab::stack_writes_dump(&snap.tables, task.stack)
        {
            *slot = SETTLED;
        }
    }
    let mut links = Vec::new();
    for (index, finding) in findings.iter().enumerate() {
        if !waiting(finding) || finding.kind == Kind::Deadlock {
            continue;
        }
        if let Some(causes) = holders_elsewhere(graph, &owner, index as u32, finding) {
            links.push((index, causes));
        }
    }
    links
}

/// The findings (other than `index`) that own every releaser of what the
/// tasks of `finding` wait on; none when some releaser is free, or none is
/// known.
fn holders_elsewhere(
    graph: &WaitGraph,
    owner: &[u32],
    index: u32,
    finding: &Finding,
) -> Option<Vec<usize>> {
    let mut seen: FxHashSet<u32> = FxHashSet::default();
    let mut causes: Vec<usize> = Vec::new();
    for &task in &finding.tasks {
        let Some(resource) = graph.res_of.get(task as usize).copied().flatten() else {
            continue;
        };
        if !seen.insert(resource) {
            continue;
        }
        for holder in &graph.resources.get(resource as usize)?.holders {
            match owner.get(holder.task as usize).copied() {
                Some(own) if own == index || own == SETTLED => {}
                Some(other) if other != u32::MAX => {
                    if !causes.contains(&(other as usize)) {
                        causes.push(other as usize);
                    }
                }
                _ => return None,
            }
        }
    }
    (!causes.is_empty()).then_some(causes)
}

/// Crash findings whose panic reports a hang the program noticed itself,
/// with the hangs found: the deadlocks when there are any, else every
/// stuck finding at medium or above.
fn hang_reports(snap: &Snapshot, findings: &[Finding]) -> Vec<(usize, Vec<usize>)> {
    let Some(message) = snap
        .crash
        .as_ref()
        .and_then(|crash| crash.panics().first())
        .map(|panic| panic.message.as_str())
    else {
        return Vec::new();
    };
    if !go::mentions(message, go::PANIC_REPORTS_HANG) {
        return Vec::new();
    }
    let serious = |f: &Finding| waiting(f) && f.severity >= Severity::Medium;
    let deadlocks: Vec<usize> = (0..findings.len())
        .filter(|&i| serious(&findings[i]) && findings[i].kind == Kind::Deadlock)
        .collect();
    let causes = if deadlocks.is_empty() {
        (0..findings.len())
            .filter(|&i| serious(&findings[i]))
            .collect()
    } else {
        deadlocks
    };
    if causes.is_empty() {
        return Vec::new();
    }
    findings
        .iter()
        .enumerate()
        .filter(|(_, f)| f.kind == Kind::Crash && f.rule.id != "crash.data-race")
        .map(|(i, _)| (i, causes.clone()))
        .collect()
}

/// Records that `symptom` follows from `causes`.
fn apply(findings: &mut [Finding], symptom: usize, causes: Vec<usize>, (one, many): (&str, &str)) {
    let (count, severity, title) = {
        let f = &findings[symptom];
        (f.tasks.len(), f.severity, f.title.clone())
    };
    let crash = findings[symptom].kind == Kind::Crash;
    let mut advice = None;
    for &cause in &causes {
        let f = &mut findings[cause];
        if !crash {
            f.stranded += count;
        }
        if f.severity < severity {
            f.severity = severity;
        }
        f.evidence.push(if crash {
            format!("the program's own watchdog gave up on it: {title}")
        } else {
            format!(
                "{} more {} stranded behind it: {title}",
                count,
                if count == 1 { one } else { many }
            )
        });
        let cause_rule = f.advice_rule();
        advice = match advice {
            None => Some(cause_rule),
            Some(rule) if std::ptr::eq(rule, cause_rule) => Some(rule),
            Some(_) => Some(findings[symptom].advice_rule()),
        };
    }
    let titles: Vec<String> = causes.iter().map(|&c| findings[c].title.clone()).collect();
    let keys: Vec<u32> = causes.iter().map(|&c| findings[c].key).collect();
    let f = &mut findings[symptom];
    f.evidence.push(if crash {
        format!(
            "the panic reports a hang, and the dump shows it: {}",
            titles.join("; ")
        )
    } else {
        format!(
            "what could release these tasks is itself stuck: {}",
            titles.join("; ")
        )
    });
    f.caused_by = keys;
    if advice.is_some_and(|rule| !std::ptr::eq(rule, f.rule)) {
        f.advice = advice;
    }
}
