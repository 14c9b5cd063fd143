//! Advice that fits what the tasks wait on. The leak rules recognise a
//! general shape (an explosion from one creator, blocked goroutines that
//! outlived it, leaks Go's GC proved, growth); their remedy is then the one
//! of the primitive the goroutines wait on: senders on a channel nobody
//! reads are fixed with a buffer or a select on the context, WaitGroup
//! waiters with matching Add and Done, and so on. An explosion keeps its
//! own remedy (bound the concurrency, or a buffer when the channel's
//! receiver has gone) unless its creator has returned and its goroutines
//! wait on several channels, one per call: result channels left behind.

use super::{chan, leak, sync};
use crate::analyze::cluster::Cluster;
use crate::analyze::finding::{Finding, RuleInfo};
use crate::analyze::graph::WaitGraph;
use crate::analyze::wait::{ResKey, ResKind, WaitOp};

/// Sets the advice of the leak findings from the waits of their tasks.
pub fn fit(graph: &WaitGraph, clusters: &[Cluster], findings: &mut [Finding]) {
    for finding in findings.iter_mut() {
        let explosion = std::ptr::eq(finding.rule, &leak::EXPLOSION);
        let general = explosion
            || std::ptr::eq(finding.rule, &leak::CLUSTER)
            || std::ptr::eq(finding.rule, &leak::CONFIRMED)
            || std::ptr::eq(finding.rule, &leak::GROWTH);
        if !general || finding.advice.is_some() {
            continue;
        }
        let wait = dominant_wait(graph, &finding.tasks);
        if explosion
            && !(creators_returned(clusters, &finding.tasks) && spread(graph, &finding.tasks))
        {
            continue;
        }
        if let Some(rule) = wait.and_then(primitive_rule) {
            finding.advice = Some(rule);
        }
    }
}

/// The wait most of `tasks` are in.
fn dominant_wait(graph: &WaitGraph, tasks: &[u32]) -> Option<(ResKind, WaitOp)> {
    let mut counts: Vec<((ResKind, WaitOp), usize)> = Vec::new();
    for &task in tasks {
        let Some(wait) = graph.waits.get(task as usize).copied().flatten() else {
            continue;
        };
        let key = (wait.kind, wait.op);
        match counts.iter_mut().find(|(k, _)| *k == key) {
            Some((_, n)) => *n += 1,
            None => counts.push((key, 1)),
        }
    }
    let (key, n) = counts.into_iter().max_by_key(|(_, n)| *n)?;
    (n * 2 > tasks.len()).then_some(key)
}

/// The rule whose remedy is the one for waiting `op` on a `kind`.
fn primitive_rule((kind, op): (ResKind, WaitOp)) -> Option<&'static RuleInfo> {
    Some(match (kind, op) {
        (_, WaitOp::NilRecv | WaitOp::NilSend) => &chan::NIL_CHAN,
        (_, WaitOp::SelectNoCases) => &chan::SELECT_FOREVER,
        (ResKind::Chan, WaitOp::Send) => &chan::STRANDED_SENDERS,
        (ResKind::Chan, _) => &chan::RANGE_NOT_CLOSED,
        (ResKind::Select, _) => &chan::CTX_NEVER_CANCELLED,
        (ResKind::WaitGroup | ResKind::Errgroup, _) => &sync::WAITGROUP,
        (ResKind::Cond, _) => &sync::COND,
        (ResKind::Mutex | ResKind::RwMutex, _) => &sync::CONVOY,
        _ => return None,
    })
}

/// Whether `tasks` wait on at least two distinct primitives known by their
/// address: each call of the creator made its own channel (a result channel
/// per request), rather than all of them queueing on one shared limiter,
/// which only a bound on the concurrency fixes. Unknown when the dump prints
/// no addresses: the explosion's own remedy names both shapes then.
fn spread(graph: &WaitGraph, tasks: &[u32]) -> bool {
    let mut first: Option<u32> = None;
    for &task in tasks {
        let Some(resource) = graph.res_of.get(task as usize).copied().flatten() else {
            continue;
        };
        let addressed = graph
            .resources
            .get(resource as usize)
            .is_some_and(|r| matches!(r.key, ResKey::Addr(_)));
        if !addressed {
            continue;
        }
        match first {
            None => first = Some(resource),
            Some(seen) if seen != resource => return true,
            Some(_) => {}
        }
    }
    false
}

/// Whether the clusters holding `tasks` all outlived the function that
/// started them (the goroutines are left over, not still being started).
fn creators_returned(clusters: &[Cluster], tasks: &[u32]) -> bool {
    let mut sorted = tasks.to_vec();
    sorted.sort_unstable();
    let mut any = false;
    for cluster in clusters {
        let Some(first) = cluster.tasks.first() else {
            continue;
        };
        if sorted.binary_search(first).is_err() {
            continue;
        }
        if cluster.outlived < cluster.count() {
            return false;
        }
        any = true;
    }
    any
}
