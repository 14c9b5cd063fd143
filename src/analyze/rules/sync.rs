//! sync primitives: WaitGroups that never reach zero, Conds never
//! signalled, lock convoys.

use super::context::with_proof;
use super::context::Cx;
use crate::analyze::cluster::Cluster;
use crate::analyze::finding::{Finding, Kind, RuleInfo, Severity};
use crate::analyze::phrase::{creator_phrase, scale, with_wait};
use crate::analyze::phrase::{resource_id, short_site};
use crate::analyze::wait::ResKind;
use crate::model::Confidence;

/// `sync.waitgroup-mismatch`: a WaitGroup.Wait that will never return.
pub static WAITGROUP: RuleInfo = RuleInfo {
    id: "sync.waitgroup-mismatch",
    title: "WaitGroup.Wait that will never return",
    kind: Kind::BlockedForever,
    severity: Severity::Medium,
    explanation: "These goroutines wait for a WaitGroup counter to reach zero, and no goroutine that could call Done is left.",
    cause: "Add and Done do not match: Add(n) with fewer goroutines started, a Done skipped on an early return, or Add called inside the goroutine.",
    remedy: "Call Add(1) next to each go statement and `defer wg.Done()` as the first line of the goroutine; never compute the count separately.",
    sketch: "for _, it := range items {\n\twg.Add(1)\n\tgo func() {\n\t\tdefer wg.Done()\n\t\tprocess(it)\n\t}()\n}\nwg.Wait()",
    references: &["https://pkg.go.dev/sync#WaitGroup"],
};

/// `sync.cond-never-signalled`: sync.Cond waiters never signalled.
pub static COND: RuleInfo = RuleInfo {
    id: "sync.cond-never-signalled",
    title: "sync.Cond waiters never signalled",
    kind: Kind::BlockedForever,
    severity: Severity::Medium,
    explanation: "These goroutines wait on a sync.Cond and no live goroutine can call Signal or Broadcast on it.",
    cause: "The code that changes the condition does not call Signal/Broadcast (or calls it before the waiters arrive and nobody re-checks), or the producer exited.",
    remedy: "Call Broadcast (or Signal) after every change of the condition, under the lock; prefer a channel when the condition is 'a value is available'.",
    sketch: "func (q *Queue) Add(it int) {\n\tq.mu.Lock()\n\tq.items = append(q.items, it)\n\tq.mu.Unlock()\n\tq.cond.Signal() // wake a waiter\n}",
    references: &["https://pkg.go.dev/sync#Cond"],
};

/// `sync.lock-convoy`: lock convoy: many goroutines queued on one mutex.
pub static CONVOY: RuleInfo = RuleInfo {
    id: "sync.lock-convoy",
    title: "Lock convoy: many goroutines queued on one mutex",
    kind: Kind::Contention,
    severity: Severity::Medium,
    explanation: "Many goroutines wait for the same mutex. Whoever holds it is slow (IO, a long computation or a wait while holding it) or has stopped, and every request that needs the lock piles up behind it.",
    cause: "Work done while holding a lock (network calls, disk, channel operations), or a lock never released on an error path.",
    remedy: "Find the holder (named below when it could be inferred). Keep critical sections short: copy what you need under the lock, do the slow part outside; shard the lock or use RWMutex for read-mostly data.",
    sketch: "c.mu.Lock()\nv, ok := c.items[k]\nc.mu.Unlock()\nif !ok {\n\tv = load(k) // slow work outside the lock\n}",
    references: &["https://pkg.go.dev/sync#Mutex", "https://go.dev/doc/diagnostics#profiling"],
};

/// The rules of this family, in catalogue order.
pub static RULES: &[&RuleInfo] = &[&WAITGROUP, &COND, &CONVOY];

/// Waiters on one mutex from which a convoy is reported.
const CONVOY_MIN: usize = 5;

/// The `sync` package's waits: WaitGroups and Conds nobody will release, and
/// convoys of goroutines queued on one mutex.
pub fn run(cx: &mut Cx) {
    let graph = cx.graph;
    for (index, resource) in graph.resources.iter().enumerate() {
        match resource.kind {
            ResKind::Mutex | ResKind::RwMutex if resource.waiters.len() >= CONVOY_MIN => {
                convoy(cx, index as u32)
            }
            _ => {}
        }
    }
    for cluster in cx.clusters {
        let rule: &'static RuleInfo = match cluster.kind {
            ResKind::WaitGroup | ResKind::Errgroup => &WAITGROUP,
            ResKind::Cond => &COND,
            _ => continue,
        };
        let mut tasks = cx.unclaimed(&cluster.tasks);
        let partner = cx.partner(cluster);
        match &partner {
            // A live partner can still release these: the benign family
            // reports them with their partner.
            Some(p) if !p.weak => tasks.retain(|t| p.tasks.binary_search(t).is_err()),
            _ => {}
        }
        if tasks.is_empty() {
            continue;
        }
        let finding = cx.weakly_partnered(cluster, never_released(cx, rule, cluster, tasks));
        let finding = with_proof(cx, with_wait(cluster, finding));
        cx.push(finding);
    }
}

/// Live goroutines that may still call Done or Signal on what `tasks` wait
/// on (at most eight, named), and whether some of those primitives have no
/// known address.
fn helpers(cx: &Cx, tasks: &[u32]) -> (Vec<String>, bool) {
    let graph = cx.graph;
    let mut helpers: Vec<String> = Vec::new();
    let mut unknown_key = false;
    for &task in tasks {
        if let Some(resource) = graph.res_of[task as usize] {
            let res = &graph.resources[resource as usize];
            if matches!(res.key, crate::analyze::wait::ResKey::Site(_)) {
                unknown_key = true;
            }
            for h in &res.holders {
                let helper = format!("goroutine {}", cx.snap.tasks[h.task as usize].id);
                if !helpers.contains(&helper) && helpers.len() < 8 {
                    helpers.push(helper);
                }
            }
        }
    }
    (helpers, unknown_key)
}

/// `sync.waitgroup-mismatch` or `sync.cond-never-signalled` for the
/// unexplained `tasks` of a cluster: medium (raised for big clusters) when
/// no live goroutine may release them, low otherwise.
fn never_released(cx: &Cx, rule: &'static RuleInfo, cluster: &Cluster, tasks: Vec<u32>) -> Finding {
    let (helpers, unknown_key) = helpers(cx, &tasks);
    let site = short_site(cx.snap, cluster.site);
    let what = if rule.id == WAITGROUP.id {
        "wait on a WaitGroup"
    } else {
        "wait on a sync.Cond"
    };
    let count = tasks.len();
    let finding = Finding::new(
        rule,
        format!("{count} goroutine(s) {what} at {site}"),
        tasks,
    )
    .explain(format!(
        "{count} goroutine(s) {what} at {site}{}. {}",
        creator_phrase(cx.snap, cluster),
        rule.explanation
    ));
    if helpers.is_empty() {
        finding
            .severity(scale(Severity::Medium, cluster))
            .confidence(if unknown_key { Confidence::Possible } else { Confidence::Likely })
            .evidence(if unknown_key {
                "no goroutine started by the waiter is alive, and the primitive's address is not in the dump".to_string()
            } else {
                "no other goroutine carries the primitive's address or was started by the waiter".to_string()
            })
    } else {
        finding
            .severity(Severity::Low)
            .confidence(Confidence::Possible)
            .evidence(format!("{} may still release it", helpers.join(", ")))
    }
}

/// `sync.lock-convoy`: at least [`CONVOY_MIN`] unexplained goroutines
/// queued on the mutex `resource_index`, with its holder when known.
fn convoy(cx: &mut Cx, resource_index: u32) {
    let graph = cx.graph;
    let res = &graph.resources[resource_index as usize];
    let tasks = cx.unclaimed(&res.waiters);
    if tasks.len() < CONVOY_MIN {
        return;
    }
    let id = resource_id(cx.snap, graph, resource_index);
    let holder = res.holders.iter().max_by_key(|h| h.confidence);
    let max_wait = tasks
        .iter()
        .filter_map(|&t| cx.snap.tasks[t as usize].wait_minutes)
        .max()
        .unwrap_or(0);
    let severity = if tasks.len() >= 100 || max_wait >= 10 {
        Severity::High
    } else {
        Severity::Medium
    };
    let who = match holder {
        Some(h) => format!(
            "; held by goroutine {} ({})",
            cx.snap.tasks[h.task as usize].id,
            h.confidence.as_str()
        ),
        None => "; the holder could not be inferred from the dump".to_string(),
    };
    let site = graph.waits[tasks[0] as usize].and_then(|w| w.site);
    let mut finding = Finding::new(
        &CONVOY,
        format!("{} goroutines queued on {id}{who}", tasks.len()),
        tasks.clone(),
    )
    .severity(severity)
    .confidence(Confidence::Certain)
    .resources(vec![resource_index])
    .explain(format!(
        "{} goroutines wait for {id} at {}{who}. {}",
        tasks.len(),
        short_site(cx.snap, site),
        CONVOY.explanation
    ));
    if let Some(h) = holder {
        finding = finding.evidence(h.evidence.clone());
        let holder_task = &cx.snap.tasks[h.task as usize];
        if let Some(w) = graph.waits[h.task as usize] {
            finding = finding.evidence(format!(
                "goroutine {}, the holder, is itself blocked ({}) at {}: that wait is what the queue is waiting for",
                holder_task.id,
                cx.snap.state(holder_task),
                short_site(cx.snap, w.site)
            ));
        }
        let mut all = tasks;
        all.push(h.task);
        finding.tasks = all;
    }
    if max_wait > 0 {
        finding = finding.evidence(format!("the longest waiter has waited {max_wait} minutes"));
    }
    finding = with_proof(cx, finding);
    cx.push(finding);
}
