//! Waits behind a wait that never ends: a goroutine whose every possible
//! partner (each task that could unlock, send, close, call Done or signal
//! what it waits on) is itself blocked forever is blocked forever too. Run
//! after every family: findings below medium whose tasks all wait behind
//! tasks of medium-or-above findings take that severity, with the partner
//! named as evidence, and the rule repeats until nothing changes.

use super::context::Cx;
use crate::analyze::finding::{Kind, Severity};
use crate::analyze::graph::WaitGraph;

/// Kinds of findings whose tasks can never wake.
fn forever(kind: Kind) -> bool {
    matches!(kind, Kind::Deadlock | Kind::BlockedForever | Kind::Leak)
}

/// Raises the findings whose tasks wait only behind tasks already blocked
/// forever.
pub fn run(cx: &mut Cx) {
    let graph = cx.graph;
    let n = cx.snap.tasks.len();
    // Per task: the severity of the surest finding that it never wakes.
    let mut doomed: Vec<Option<Severity>> = vec![None; n];
    let mark = |doomed: &mut Vec<Option<Severity>>, tasks: &[u32], s: Severity| {
        for &t in tasks {
            if let Some(d) = doomed.get_mut(t as usize) {
                *d = Some(d.map_or(s, |x| x.max(s)));
            }
        }
    };
    for f in &cx.findings {
        if forever(f.kind) && f.severity >= Severity::Medium {
            mark(&mut doomed, &f.tasks, f.severity);
        }
    }
    // A finding is raised at most once; each round may raise others.
    for _ in 0..8 {
        let mut changed = queue_behind(cx, &mut doomed);
        for f in cx.findings.iter_mut() {
            if !forever(f.kind) || f.severity >= Severity::Medium || f.tasks.is_empty() {
                continue;
            }
            let mut partner: Option<(Severity, u32)> = None;
            let all_behind = f
                .tasks
                .iter()
                .all(|&t| match doomed_partner(graph, &doomed, t) {
                    Some(p) => {
                        if partner.is_none_or(|q| p.0 < q.0) {
                            partner = Some(p);
                        }
                        true
                    }
                    None => false,
                });
            let Some((severity, task)) = partner.filter(|_| all_behind) else {
                continue;
            };
            f.severity = severity;
            f.evidence.push(format!(
                "every goroutine that could release what they wait on (such as goroutine {}) is itself blocked forever",
                cx.snap.tasks[task as usize].id
            ));
            mark(&mut doomed, &f.tasks, severity);
            changed = true;
        }
        if !changed {
            break;
        }
    }
}

/// The partner of `task` when every task that could release what it waits
/// on is blocked forever: the least severe of them, with its severity.
fn doomed_partner(
    graph: &WaitGraph,
    doomed: &[Option<Severity>],
    task: u32,
) -> Option<(Severity, u32)> {
    let r = graph.res_of.get(task as usize).copied().flatten()?;
    let res = &graph.resources[r as usize];
    let mut partner: Option<(Severity, u32)> = None;
    for h in res.holders.iter().filter(|h| h.task != task) {
        let s = doomed.get(h.task as usize).copied().flatten()?;
        if partner.is_none_or(|(p, _)| s < p) {
            partner = Some((s, h.task));
        }
    }
    partner
}

/// Tasks no finding explains that wait behind a task blocked forever join
/// that task's finding (first the one naming the partner). Returns whether
/// any did.
fn queue_behind(cx: &mut Cx, doomed: &mut [Option<Severity>]) -> bool {
    let mut joined: Vec<(usize, u32)> = Vec::new();
    // Per task, the first medium-or-above finding that names it.
    let mut finding_of: Vec<u32> = Vec::new();
    for (fi, f) in cx.findings.iter().enumerate() {
        if forever(f.kind) && f.severity >= Severity::Medium {
            if finding_of.is_empty() {
                finding_of = vec![u32::MAX; cx.snap.tasks.len()];
            }
            for &t in &f.tasks {
                if let Some(slot) = finding_of.get_mut(t as usize) {
                    if *slot == u32::MAX {
                        *slot = fi as u32;
                    }
                }
            }
        }
    }
    if finding_of.is_empty() {
        return false;
    }
    for t in 0..cx.snap.tasks.len() as u32 {
        if cx.claimed.get(t as usize).copied().unwrap_or(true) {
            continue;
        }
        let Some((_, partner)) = doomed_partner(cx.graph, doomed, t) else {
            continue;
        };
        let Some(&fi) = finding_of
            .get(partner as usize)
            .filter(|fi| **fi != u32::MAX)
        else {
            continue;
        };
        joined.push((fi as usize, t));
    }
    for &(fi, t) in &joined {
        let f = &mut cx.findings[fi];
        f.tasks.push(t);
        if let Some(d) = doomed.get_mut(t as usize) {
            *d = Some(f.severity);
        }
        if let Some(c) = cx.claimed.get_mut(t as usize) {
            *c = true;
        }
    }
    let mut by_finding: Vec<(usize, Vec<u32>)> = Vec::new();
    for (fi, t) in joined.iter().copied() {
        match by_finding.iter_mut().find(|(f, _)| *f == fi) {
            Some((_, ts)) => ts.push(t),
            None => by_finding.push((fi, vec![t])),
        }
    }
    for (fi, ts) in by_finding {
        let ids = cx.ids(&ts, 8);
        cx.findings[fi].evidence.push(format!(
            "{} more {} behind these, on what only they could release: {ids}",
            ts.len(),
            if ts.len() == 1 {
                "goroutine waits"
            } else {
                "goroutines wait"
            }
        ));
    }
    !joined.is_empty()
}
