//! sync primitives: WaitGroups that never reach zero, Conds never
//! signalled, lock convoys.

use super::context::with_proof;
use super::context::Cx;
use crate::analyze::cluster::Cluster;
use crate::analyze::finding::{Finding, Kind, RuleInfo, Severity};
use crate::analyze::phrase::{count as count_of, goroutines_do, resource_id, short_site};
use crate::analyze::phrase::{creator_phrase, scale, with_wait};
use crate::analyze::wait::{ResKey, ResKind};
use crate::model::Confidence;
use crate::model::TaskFlags;

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

/// `sync.lock-abandoned`: a lock no live goroutine holds.
pub static ABANDONED: RuleInfo = RuleInfo {
    id: "sync.lock-abandoned",
    title: "Lock that no live goroutine holds",
    kind: Kind::BlockedForever,
    severity: Severity::Medium,
    explanation: "These goroutines wait for a lock inside an object they reach by pointer, and no other goroutine carries that object: whoever locked it has returned or is the waiter itself, so nobody is left to unlock it.",
    cause: "A path that returns (or continues a loop) between Lock and Unlock without unlocking, usually an error path; or a method that locks its own receiver's mutex a second time.",
    remedy: "Unlock with `defer` right after Lock, so every return path releases it; split a method that needs the lock twice into a locked wrapper and an unlocked helper.",
    sketch: "s.mu.Lock()
defer s.mu.Unlock() // released on every return path
if err := s.check(); err != nil {
	return err
}",
    references: &["https://pkg.go.dev/sync#Mutex"],
};

/// The rules of this family, in catalogue order.
pub static RULES: &[&RuleInfo] = &[&WAITGROUP, &COND, &CONVOY, &ABANDONED];

/// Waiters on one mutex from which a convoy is reported.
const CONVOY_MIN: usize = 5;

/// The `sync` package's waits: WaitGroups and Conds nobody will release, and
/// convoys of goroutines queued on one mutex.
pub fn run(cx: &mut Cx) {
    let graph = cx.graph;
    // Each check without a carried object scans the tasks once: bounded.
    let mut scans = 0;
    for index in 0..graph.resources.len() {
        abandoned(cx, index as u32, &mut scans);
    }
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
            if matches!(
                res.key,
                crate::analyze::wait::ResKey::Site(_) | crate::analyze::wait::ResKey::Named(_)
            ) {
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
    // The rule's explanation says nobody is left to release them: true
    // only when no helper was found.
    let meaning = if helpers.is_empty() {
        rule.explanation.to_string()
    } else if rule.id == WAITGROUP.id {
        format!(
            "These goroutines wait for a WaitGroup counter to reach zero; {} may still call Done.",
            helpers.join(", ")
        )
    } else {
        format!(
            "These goroutines wait on a sync.Cond; {} may still call Signal or Broadcast.",
            helpers.join(", ")
        )
    };
    let finding = Finding::new(
        rule,
        goroutines_do(count, &format!("{what} at {site}")),
        tasks,
    )
    .explain(format!(
        "{}{}. {meaning}",
        goroutines_do(count, &format!("{what} at {site}")),
        creator_phrase(cx.snap, cluster),
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
        finding = finding.evidence(format!(
            "the longest waiter has waited {}",
            count_of(max_wait as usize, "minute", "minutes")
        ));
    }
    finding = with_proof(cx, finding);
    cx.push(finding);
}

/// Locks per snapshot checked by scanning every task's stack for a method
/// of the waiters' type.
const MAX_TYPE_SCANS: usize = 16;

/// How far above an object's address a lock inside it may lie.
const FIELD_RANGE: u64 = 256;

/// The first waiter of `resource` whose blocking frame carries, as its
/// receiver or first argument, a pointer to the object the lock lies in (so
/// the lock is not a global any code could reach).
fn carried_by_waiter(cx: &Cx, waiters: &[u32], addr: u64) -> Option<(u32, u64)> {
    let graph = cx.graph;
    waiters.iter().take(8).find_map(|&w| {
        let wait = graph.waits.get(w as usize).copied().flatten()?;
        let args = cx.snap.task_args(&cx.snap.tasks[w as usize]);
        let first = args
            .get(wait.site_index as usize)?
            .split(',')
            .next()?
            .trim();
        if first.ends_with('?') {
            return None;
        }
        let p = crate::model::parse_hex(first.as_bytes())?;
        (p <= addr && addr - p < FIELD_RANGE).then_some((w, p))
    })
}

/// `sync.lock-abandoned`: waiters on a lock with a known address inside an
/// object their own frames carry, when no hold fact names any holder and no
/// goroutine that does not wait on it carries the object.
fn abandoned(cx: &mut Cx, resource_index: u32, scans: &mut usize) {
    let graph = cx.graph;
    let res = &graph.resources[resource_index as usize];
    // A cut dump may have lost the holder.
    if !matches!(res.kind, ResKind::Mutex | ResKind::RwMutex)
        || !res.holders.is_empty()
        || res.referenced
        || cx.snap.truncated
    {
        return;
    }
    // A profile that counts goroutines (debug=1, protobuf) prints no
    // address: the blocking site stands for the lock, and only the types of
    // the goroutines' methods can say that no live goroutine took it.
    let addr = match res.key {
        ResKey::Addr(addr) | ResKey::Object(addr) => Some(addr),
        ResKey::Site(_) if counted_profile(cx.snap) => None,
        _ => return,
    };
    let tasks = cx.unclaimed(&res.waiters);
    if tasks.is_empty() {
        return;
    }
    let carried = addr.and_then(|addr| carried_by_waiter(cx, &res.waiters, addr));
    let alone = if carried.is_none() && *scans < MAX_TYPE_SCANS {
        *scans += 1;
        alone_in_type(cx, &res.waiters)
    } else {
        None
    };
    let evidence = match (carried, alone) {
        (Some((carrier, object)), _) => format!(
            "goroutine {} reaches the lock through the object at {object:#x}; no goroutine that is not waiting for the lock carries that object or the lock",
            cx.snap.tasks[carrier as usize].id
        ),
        (None, Some(ty)) if addr.is_none() => format!(
            "this profile prints no ids or addresses; the waiters block in methods of {ty}, and every other goroutine inside a method of {ty} waits for a lock itself: whoever holds this one is stuck behind another lock (a lock-order cycle) or has returned without unlocking. Confirm with a debug=2 dump (goroutine ids and receivers) or Go's goroutineleak profile"
        ),
        (None, Some(ty)) => format!(
            "the waiters block in methods of {ty}, no other goroutine is inside a method of {ty}, and none carries the lock"
        ),
        (None, None) => return,
    };
    let id = resource_id(cx.snap, graph, resource_index);
    let site = graph.waits[tasks[0] as usize].and_then(|w| w.site);
    let count = tasks.len();
    let finding = Finding::new(
        &ABANDONED,
        format!(
            "{}, which no live goroutine holds",
            goroutines_do(count, &format!("wait for {id}"))
        ),
        tasks,
    )
    .confidence(if addr.is_some() {
        Confidence::Likely
    } else {
        Confidence::Possible
    })
    .resources(vec![resource_index])
    .explain(format!(
        "{} at {}. {}",
        goroutines_do(count, &format!("wait for {id}")),
        short_site(cx.snap, site),
        ABANDONED.explanation
    ))
    .evidence(evidence);
    let finding = with_proof(cx, finding);
    cx.push(finding);
}

/// Whether the snapshot is a profile that counts goroutines instead of
/// listing them (no ids, no argument words).
fn counted_profile(snap: &crate::model::Snapshot) -> bool {
    !snap.tasks.is_empty() && snap.tasks.iter().all(|t| t.flags.has(TaskFlags::NO_ID))
}

/// The type whose methods all `waiters` block in (the receiver of their
/// blocking frames), when no other goroutine has a frame of a method of that
/// type: whoever took a lock of such an object did it in one of them.
fn alone_in_type(cx: &Cx, waiters: &[u32]) -> Option<String> {
    let snap = cx.snap;
    let tables = &snap.tables;
    let graph = cx.graph;
    let mut ty: Option<(crate::model::Sym, crate::model::Sym)> = None;
    for &w in waiters {
        let site = graph.waits.get(w as usize).copied().flatten()?.site?;
        let func = tables.function(tables.frame(site).function);
        let this = (func.package, func.receiver?);
        if ty.is_some_and(|t| t != this) {
            return None;
        }
        ty = Some(this);
    }
    let ty = ty?;
    let waiting: rustc_hash::FxHashSet<u32> = waiters.iter().copied().collect();
    let mut seen: rustc_hash::FxHashSet<crate::model::StackId> = Default::default();
    // In a profile without addresses a goroutine blocked on a lock is no
    // progress either: it may hold this lock too, but then it is stuck.
    let counted = counted_profile(snap);
    for (i, t) in snap.tasks.iter().enumerate() {
        if waiting.contains(&(i as u32)) || !seen.insert(t.stack) {
            continue;
        }
        let on_lock = graph
            .waits
            .get(i)
            .copied()
            .flatten()
            .is_some_and(|w| matches!(w.kind, ResKind::Mutex | ResKind::RwMutex));
        if counted && on_lock {
            continue;
        }
        let inside = tables.stack(t.stack).frames.iter().any(|f| {
            let func = tables.function(tables.frame(*f).function);
            func.receiver.is_some_and(|r| (func.package, r) == ty)
        });
        if inside {
            return None;
        }
    }
    Some(format!("{}.{}", tables.str(ty.0), tables.str(ty.1)))
}
