//! Leaks in general: goroutine explosions from one creator site, leaks Go's
//! GC proved, blocked clusters that outlived their creator, growth between
//! snapshots.

use super::context::with_proof;
use super::context::Cx;
use crate::analyze::cluster::Cluster;
use crate::analyze::finding::{Finding, Kind, RuleInfo, Severity};
use crate::analyze::phrase::{count as count_of, percent, short_site};
use crate::analyze::phrase::{creator_phrase, with_wait};
use crate::analyze::wait::ResKind;
use crate::model::Confidence;
use crate::model::{CodeKind, FrameId, Snapshot, StateClass, TaskFlags};
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::hash_map::Entry;

/// `leak.explosion`: goroutine explosion from one creator site.
pub static EXPLOSION: RuleInfo = RuleInfo {
    id: "leak.explosion",
    title: "Goroutine explosion from one creator site",
    kind: Kind::Leak,
    severity: Severity::High,
    explanation: "One go statement started a very large share of all goroutines, and they are blocked. Memory grows with every event until the process is killed.",
    cause: "A goroutine per event or request with no bound, blocked on a resource that does not scale with them (a full semaphore channel, a slow downstream, a lock).",
    remedy: "When they wait for a slot of a limiter or a slow resource, bound the concurrency: a fixed worker pool fed by a channel, a semaphore acquired before the go statement (not inside), or errgroup.SetLimit; shed load when full. When they wait to send results to a caller that gave up (a timeout, the first answer), give the channel room for every sender or have senders select on ctx.Done().",
    sketch: "sem := make(chan struct{}, 64)\nfor ev := range events {\n\tsem <- struct{}{} // acquire before starting\n\tgo func() {\n\t\tdefer func() { <-sem }()\n\t\tdeliver(ev)\n\t}()\n}",
    references: &["https://pkg.go.dev/golang.org/x/sync/errgroup#Group.SetLimit"],
};

/// `leak.confirmed`: goroutines proven leaked by Go's GC.
pub static CONFIRMED: RuleInfo = RuleInfo {
    id: "leak.confirmed",
    title: "Goroutines proven leaked by Go's GC",
    kind: Kind::Leak,
    severity: Severity::High,
    explanation: "The goroutineleak profile marks a goroutine `(leaked)` when the garbage collector proves that it is blocked on something no live goroutine can reach: it can never wake.",
    cause: "The goroutine waits on a channel, lock or WaitGroup that every other goroutine has dropped.",
    remedy: "Follow the blocking site: give the goroutine a way out (close the channel, cancel its context, buffer the channel) on every path of its creator.",
    sketch: "ctx, cancel := context.WithCancel(ctx)\ndefer cancel()\ngo worker(ctx, ch)",
    references: &["https://pkg.go.dev/runtime/pprof#Profile"],
};

/// `leak.cluster`: blocked goroutines that outlived their creator.
pub static CLUSTER: RuleInfo = RuleInfo {
    id: "leak.cluster",
    title: "Blocked goroutines that outlived their creator",
    kind: Kind::Leak,
    severity: Severity::Low,
    explanation: "Goroutines blocked at the same site and started from the same place. When the function that started them has returned, or their number grows between dumps, they are likely leaking.",
    cause: "A goroutine with no exit path for the case where its counterpart goes away (no ctx.Done(), no close, no timeout).",
    remedy: "Give each goroutine an owner that stops it: pass a context and select on ctx.Done(), close channels from the sender side, and wait for the goroutines before returning.",
    sketch: "g, ctx := errgroup.WithContext(ctx)\ng.Go(func() error { return work(ctx) })\nreturn g.Wait() // the creator outlives its goroutines",
    references: &["https://go.dev/blog/pipelines", "https://pkg.go.dev/go.uber.org/goleak"],
};

/// `leak.growth`: blocked goroutines growing between dumps.
pub static GROWTH: RuleInfo = RuleInfo {
    id: "leak.growth",
    title: "Blocked goroutines growing between dumps",
    kind: Kind::Growth,
    severity: Severity::High,
    explanation: "The same blocked cluster has more goroutines in each dump: it is leaking at the rate shown.",
    cause: "Every request or event leaves one more goroutine behind at this site.",
    remedy: "Fix the exit path at the blocking site (see the site's rule), then watch the count stay flat.",
    sketch: "// before returning, make sure every goroutine you started can finish:\ncancel()\nwg.Wait()",
    references: &["https://go.dev/doc/diagnostics"],
};

/// The rules of this family, in catalogue order.
pub static RULES: &[&RuleInfo] = &[&EXPLOSION, &CONFIRMED, &CLUSTER, &GROWTH];

/// Goroutines from one creator site from which an explosion is reported.
const EXPLOSION_MIN: usize = 1000;

/// Goroutines started from one creator site, with the clusters they fall in.
struct CreatorSite {
    /// The `created by` frame, or the entry function for profiles without one.
    creator: FrameId,
    /// Indices into the clusters.
    clusters: Vec<usize>,
    /// The creator is the function the goroutines started in, not a
    /// `created by` line.
    entry_only: bool,
}

/// Whether `count` goroutines are enough for an explosion: many in absolute
/// terms, or at least 200 and half of all goroutines.
fn is_explosion(count: usize, live_tasks: usize) -> bool {
    count >= EXPLOSION_MIN || (count >= 200 && count * 2 >= live_tasks)
}

/// Reports creator sites that started a very large share of all goroutines,
/// now blocked (`leak.explosion`).
pub fn run_explosion(cx: &mut Cx) {
    for site in explosion_candidates(cx) {
        let stuck_count: usize = site
            .clusters
            .iter()
            .map(|&index| cx.clusters[index].stuck)
            .sum();
        if !is_explosion(stuck_count, cx.live_tasks) {
            continue;
        }
        let (mut tasks, mut sites) = stuck_tasks(cx, &site.clusters);
        if tasks.len() < 200 {
            continue;
        }
        tasks.sort_unstable();
        sites.sort_by_key(|site| std::cmp::Reverse(site.1));
        let finding = explosion_finding(cx, &site, tasks, &sites);
        let finding = with_proof(cx, finding);
        cx.push(finding);
    }
}

/// Creator sites whose blocked goroutines are numerous enough, most
/// goroutines first. The clusters hold every waiting goroutine once;
/// profiles without `created by` lines (pprof debug=0/1) group by the
/// function each goroutine started in instead.
fn explosion_candidates(cx: &Cx) -> Vec<CreatorSite> {
    let mut by_creator: FxHashMap<FrameId, (usize, Vec<usize>)> = FxHashMap::default();
    let mut entry_only = FxHashSet::default();
    for (index, cluster) in cx.clusters.iter().enumerate() {
        let key = cluster.creator.or_else(|| {
            let entry = entry_frame(cx.snap, cluster)?;
            entry_only.insert(entry);
            Some(entry)
        });
        if let Some(creator) = key {
            let counts = by_creator.entry(creator).or_default();
            counts.0 += cluster.count();
            counts.1.push(index);
        }
    }
    let mut big: Vec<(FrameId, usize, Vec<usize>)> = by_creator
        .into_iter()
        .filter(|(_, (count, _))| is_explosion(*count, cx.live_tasks))
        .map(|(creator, (count, clusters))| (creator, count, clusters))
        .collect();
    big.sort_by_key(|site| (std::cmp::Reverse(site.1), site.0));
    big.into_iter()
        .map(|(creator, _, clusters)| CreatorSite {
            creator,
            clusters,
            entry_only: entry_only.contains(&creator),
        })
        .collect()
}

/// The unclaimed goroutines of these clusters that cannot make progress by
/// themselves (IO, syscalls and timers are left out), and how many of them
/// block at each site, in the clusters' order.
fn stuck_tasks(cx: &Cx, clusters: &[usize]) -> (Vec<u32>, Vec<(Option<FrameId>, usize)>) {
    let snap = cx.snap;
    let stuck = |task: &u32| {
        let task = &snap.tasks[*task as usize];
        !task.flags.has(TaskFlags::SYSTEM_STACK) && !task.class.can_progress()
    };
    let mut tasks: Vec<u32> = Vec::new();
    let mut sites: Vec<(Option<FrameId>, usize)> = Vec::new();
    let mut index: FxHashMap<Option<FrameId>, usize> = FxHashMap::default();
    for &cluster_index in clusters {
        let cluster = &cx.clusters[cluster_index];
        let before = tasks.len();
        if cluster.stuck == 0 {
            continue;
        }
        if cluster.stuck == cluster.count() {
            tasks.extend(cx.unclaimed(&cluster.tasks));
        } else {
            tasks.extend(cx.unclaimed(&cluster.tasks).into_iter().filter(stuck));
        }
        let added = tasks.len() - before;
        if added == 0 {
            continue;
        }
        // The sites in the order first met, found through an index: a
        // creator may start goroutines that block at a million sites.
        match index.entry(cluster.site) {
            Entry::Occupied(at) => sites[*at.get()].1 += added,
            Entry::Vacant(at) => {
                at.insert(sites.len());
                sites.push((cluster.site, added));
            }
        }
    }
    (tasks, sites)
}

/// The `leak.explosion` finding for the stuck goroutines of one creator
/// site, naming the three sites most of them block at.
fn explosion_finding(
    cx: &Cx,
    site: &CreatorSite,
    tasks: Vec<u32>,
    sites: &[(Option<FrameId>, usize)],
) -> Finding {
    let snap = cx.snap;
    let share = tasks.len() as f64 * 100.0 / cx.live_tasks.max(1) as f64;
    let top = sites
        .iter()
        .take(3)
        .map(|(frame, count)| format!("{count} at {}", short_site(snap, *frame)))
        .collect::<Vec<_>>()
        .join(", ");
    let creator = short_site(snap, Some(site.creator));
    let started = if site.entry_only {
        "started as"
    } else {
        "started by"
    };
    let state = snap.state(&snap.tasks[tasks[0] as usize]).to_string();
    let count = tasks.len();
    Finding::new(
        &EXPLOSION,
        format!(
            "{count} goroutines ({} of all) {started} {creator} are blocked",
            percent(share, 0)
        ),
        tasks,
    )
    .severity(if count >= 10_000 || share >= 50.0 {
        Severity::High
    } else {
        Severity::Medium
    })
    .confidence(Confidence::Likely)
    .explain(format!(
        "{count} goroutines {started} {creator} are blocked ({state}): {top}. {}",
        EXPLOSION.explanation
    ))
    .evidence(format!(
        "{} of the {} in the dump",
        percent(share, 1),
        count_of(cx.live_tasks, "goroutine", "goroutines")
    ))
}

/// The function a goroutine of a cluster started in: the outermost frame
/// that is not the runtime's, for profiles that print no `created by`.
fn entry_frame(snap: &Snapshot, cluster: &Cluster) -> Option<FrameId> {
    let tables = &snap.tables;
    let task = snap.tasks.get(*cluster.tasks.first()? as usize)?;
    if !task.flags.has(TaskFlags::NO_ID) {
        return None;
    }
    tables
        .stack(task.stack)
        .frames
        .iter()
        .rev()
        .find(|frame| tables.function(tables.frame(**frame).function).kind != CodeKind::Runtime)
        .copied()
}

/// Reports the clusters left unclaimed: growing between dumps
/// (`leak.growth`), proven leaked by Go's GC (`leak.confirmed`), or blocked
/// (`leak.cluster`).
pub fn run(cx: &mut Cx) {
    for cluster in cx.clusters {
        let tasks = cx.unclaimed(&cluster.tasks);
        if tasks.is_empty() {
            continue;
        }
        let blocked = !matches!(
            cluster.kind,
            ResKind::Net | ResKind::Timer | ResKind::Syscall | ResKind::Cgo | ResKind::Signal
        );
        let finding = if let Some(growth) = growth(cx, cluster) {
            with_proof(
                cx,
                with_wait(cluster, growth_finding(cx, cluster, tasks, growth, blocked)),
            )
        } else if cx.leaked(&tasks) > 0 {
            with_proof(
                cx,
                with_wait(cluster, confirmed_finding(cx, cluster, tasks)),
            )
        } else if blocked {
            match cluster_finding(cx, cluster, tasks) {
                Some(finding) => with_proof(cx, with_wait(cluster, finding)),
                None => continue,
            }
        } else {
            continue;
        };
        cx.push(finding);
    }
}

/// The cluster's size in the first earlier dump and how many dumps there
/// were, when it has at least doubled since, by at least ten goroutines.
fn growth(cx: &Cx, cluster: &Cluster) -> Option<(usize, usize)> {
    let counts = cx.history?.counts.get(&cluster.signature(cx.snap))?;
    let first = *counts.first()?;
    (cluster.count() >= first * 2 && cluster.count() >= first + 10).then_some((first, counts.len()))
}

/// `leak.growth`: the cluster grew from `first` goroutines `dumps` dumps
/// earlier; high when the goroutines are blocked rather than in IO.
fn growth_finding(
    cx: &Cx,
    cluster: &Cluster,
    tasks: Vec<u32>,
    (first, dumps): (usize, usize),
    blocked: bool,
) -> Finding {
    let site = short_site(cx.snap, cluster.site);
    let count = tasks.len();
    Finding::new(
        &GROWTH,
        format!(
            "{} {} at {site} (up from {first}, {} earlier)",
            count_of(count, "goroutine", "goroutines"),
            if blocked { "blocked" } else { "waiting" },
            count_of(dumps, "dump", "dumps")
        ),
        tasks,
    )
    .severity(if blocked {
        Severity::High
    } else {
        Severity::Medium
    })
    .confidence(Confidence::Likely)
    .explain(format!(
        "{} at {site}{} grew from {first} to {}. {}",
        count_of(count, "goroutine", "goroutines"),
        creator_phrase(cx.snap, cluster),
        cluster.count(),
        GROWTH.explanation
    ))
    .evidence(format!("cluster `{}`", cluster.signature(cx.snap)))
}

/// `leak.confirmed`: goroutines of the cluster that Go's GC marked leaked.
fn confirmed_finding(cx: &Cx, cluster: &Cluster, tasks: Vec<u32>) -> Finding {
    let site = short_site(cx.snap, cluster.site);
    let leaked = cx.leaked(&tasks);
    let count = tasks.len();
    let state = cx.snap.state(&cx.snap.tasks[tasks[0] as usize]).to_string();
    Finding::new(
        &CONFIRMED,
        format!(
            "{} proven leaked at {site}",
            count_of(leaked, "goroutine", "goroutines")
        ),
        tasks,
    )
    .severity(Severity::High)
    .confidence(Confidence::Certain)
    .explain(format!(
        "{} blocked ({state}) at {site}{}. {}",
        count_of(count, "goroutine", "goroutines"),
        creator_phrase(cx.snap, cluster),
        CONFIRMED.explanation
    ))
}

/// `leak.cluster`: blocked goroutines, medium when all of them outlived the
/// function that started them; none for runtime or idle goroutines.
fn cluster_finding(cx: &Cx, cluster: &Cluster, tasks: Vec<u32>) -> Option<Finding> {
    let first = &cx.snap.tasks[tasks[0] as usize];
    if matches!(first.class, StateClass::Runtime | StateClass::Idle) {
        return None;
    }
    let site = short_site(cx.snap, cluster.site);
    let state = cx.snap.state(first);
    let outlived = cluster.outlived == cluster.count();
    let alive = live_partner(cx, &tasks);
    let severity = if outlived && cluster.count() >= 2 && alive.is_none() {
        Severity::Medium
    } else {
        Severity::Low
    };
    let count = tasks.len();
    let mut finding = Finding::new(
        &CLUSTER,
        format!(
            "{} blocked at {site} ({state})",
            count_of(count, "goroutine", "goroutines")
        ),
        tasks,
    )
    .severity(severity)
    .confidence(Confidence::Possible)
    .explain(format!(
        "{} blocked ({state}) at {site}{}. {}",
        count_of(count, "goroutine", "goroutines"),
        creator_phrase(cx.snap, cluster),
        CLUSTER.explanation
    ));
    if outlived && cluster.creator.is_some() {
        finding = finding.evidence("the function that started them has returned");
    }
    if let Some(id) = alive {
        finding = finding.evidence(format!(
            "goroutine {id}, which may release what they wait on (or what its holder waits on), can still run"
        ));
    }
    Some(finding)
}

/// A goroutine that can still run (running, runnable, in a syscall, in IO,
/// asleep) among the possible holders of what `tasks` wait on, or among the
/// holders of what those holders wait on: its id.
fn live_partner(cx: &Cx, tasks: &[u32]) -> Option<u64> {
    let graph = cx.graph;
    let holders = |t: u32| {
        graph
            .res_of
            .get(t as usize)
            .copied()
            .flatten()
            .map(|r| graph.resources[r as usize].holders.as_slice())
            .unwrap_or(&[])
    };
    let can_run = |t: u32| cx.snap.tasks[t as usize].class.can_progress();
    for &t in tasks.iter().take(64) {
        for h in holders(t).iter().filter(|h| h.task != t) {
            if can_run(h.task) {
                return Some(cx.snap.tasks[h.task as usize].id);
            }
            for h2 in holders(h.task).iter().filter(|h2| h2.task != h.task) {
                if can_run(h2.task) {
                    return Some(cx.snap.tasks[h2.task as usize].id);
                }
            }
        }
    }
    None
}
