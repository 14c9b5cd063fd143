//! Leaks in general: goroutine explosions from one creator site, leaks Go's
//! GC proved, blocked clusters that outlived their creator, growth between
//! snapshots.

use super::context::with_proof;
use super::context::Cx;
use crate::analyze::finding::{Finding, Kind, RuleInfo, Severity};
use crate::analyze::phrase::short_site;
use crate::analyze::phrase::{creator_phrase, with_wait};
use crate::analyze::wait::ResKind;
use crate::model::Confidence;
use crate::model::{FrameId, StateClass, TaskFlags};
use rustc_hash::FxHashMap;

/// `leak.explosion`: goroutine explosion from one creator site.
pub static EXPLOSION: RuleInfo = RuleInfo {
    id: "leak.explosion",
    title: "Goroutine explosion from one creator site",
    kind: Kind::Leak,
    severity: Severity::High,
    explanation: "One go statement started a very large share of all goroutines, and they are blocked. Memory grows with every event until the process is killed.",
    cause: "A goroutine per event or request with no bound, blocked on a resource that does not scale with them (a full semaphore channel, a slow downstream, a lock).",
    remedy: "Bound the concurrency: a fixed worker pool fed by a channel, a semaphore acquired before the go statement (not inside), or errgroup.SetLimit; shed load when full.",
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

pub fn run_explosion(cx: &mut Cx) {
    let snap = cx.snap;
    // Blocked goroutines by creator, from the clusters (which hold every
    // waiting goroutine once).
    // Profiles without `created by` lines (pprof debug=0/1) group by the
    // function each goroutine started in instead.
    let mut by_creator: FxHashMap<FrameId, (usize, Vec<usize>)> = FxHashMap::default();
    let mut entry_only = rustc_hash::FxHashSet::default();
    for (ci, c) in cx.clusters.iter().enumerate() {
        let key = c.creator.or_else(|| {
            let f = entry_frame(snap, c)?;
            entry_only.insert(f);
            Some(f)
        });
        if let Some(cr) = key {
            let e = by_creator.entry(cr).or_default();
            e.0 += c.count();
            e.1.push(ci);
        }
    }
    let mut big: Vec<(FrameId, usize, Vec<usize>)> = by_creator
        .into_iter()
        .filter(|(_, (n, _))| *n >= EXPLOSION_MIN || (*n >= 200 && *n * 2 >= cx.live_tasks))
        .map(|(f, (n, cs))| (f, n, cs))
        .collect();
    big.sort_by_key(|b| (std::cmp::Reverse(b.1), b.0));
    for (creator, _, cs) in big {
        // Where they block, most common first; goroutines that can still
        // make progress (IO, syscalls, timers) are not counted.
        let stuck = |t: &u32| {
            let task = &snap.tasks[*t as usize];
            !task.flags.has(TaskFlags::SYSTEM_STACK) && !task.class.can_progress()
        };
        let all: usize = cs.iter().map(|&ci| cx.clusters[ci].stuck).sum();
        if all < EXPLOSION_MIN && (all < 200 || all * 2 < cx.live_tasks) {
            continue;
        }
        let mut tasks: Vec<u32> = Vec::new();
        let mut sites: Vec<(Option<FrameId>, usize)> = Vec::new();
        for &ci in &cs {
            let c = &cx.clusters[ci];
            let before = tasks.len();
            if c.stuck == 0 {
                continue;
            }
            if c.stuck == c.count() {
                tasks.extend(cx.unclaimed(&c.tasks));
            } else {
                tasks.extend(cx.unclaimed(&c.tasks).into_iter().filter(stuck));
            }
            let n = tasks.len() - before;
            if n == 0 {
                continue;
            }
            match sites.iter_mut().find(|s| s.0 == c.site) {
                Some(s) => s.1 += n,
                None => sites.push((c.site, n)),
            }
        }
        if tasks.len() < 200 {
            continue;
        }
        tasks.sort_unstable();
        let share = tasks.len() as f64 * 100.0 / cx.live_tasks.max(1) as f64;
        sites.sort_by_key(|s| std::cmp::Reverse(s.1));
        let top = sites
            .iter()
            .take(3)
            .map(|(s, n)| format!("{n} at {}", short_site(snap, *s)))
            .collect::<Vec<_>>()
            .join(", ");
        let creator_s = short_site(snap, Some(creator));
        let started = if entry_only.contains(&creator) {
            "started as"
        } else {
            "started by"
        };
        let state = snap.state(&snap.tasks[tasks[0] as usize]).to_string();
        let mut f = Finding::new(
            &EXPLOSION,
            format!(
                "{} goroutines ({share:.0}% of all) {started} {creator_s} are blocked",
                tasks.len()
            ),
            tasks.clone(),
        )
        .severity(if tasks.len() >= 10_000 || share >= 50.0 {
            Severity::High
        } else {
            Severity::Medium
        })
        .confidence(Confidence::Likely)
        .explain(format!(
            "{} goroutines {started} {creator_s} are blocked ({state}): {top}. {}",
            tasks.len(),
            EXPLOSION.explanation
        ))
        .evidence(format!(
            "{share:.1}% of the {} goroutines in the dump",
            cx.live_tasks
        ));
        f = with_proof(cx, f);
        cx.push(f);
    }
}

/// The function a goroutine of a cluster started in: the outermost frame
/// that is not the runtime's, for profiles that print no `created by`.
fn entry_frame(
    snap: &crate::model::Snapshot,
    c: &crate::analyze::cluster::Cluster,
) -> Option<FrameId> {
    let t = &snap.tables;
    let task = snap.tasks.get(*c.tasks.first()? as usize)?;
    if !task.flags.has(TaskFlags::NO_ID) {
        return None;
    }
    t.stack(task.stack)
        .frames
        .iter()
        .rev()
        .find(|f| t.function(t.frame(**f).function).kind != crate::model::CodeKind::Runtime)
        .copied()
}

pub fn run(cx: &mut Cx) {
    for c in cx.clusters {
        let tasks = cx.unclaimed(&c.tasks);
        if tasks.is_empty() {
            continue;
        }
        let leaked = cx.leaked(&tasks);
        let growth = cx
            .history
            .and_then(|h| h.counts.get(&c.signature))
            .and_then(|v| {
                let first = *v.first()?;
                (c.count() >= first * 2 && c.count() >= first + 10).then_some((first, v.len()))
            });
        let blocked = !matches!(
            c.kind,
            ResKind::Net | ResKind::Timer | ResKind::Syscall | ResKind::Cgo | ResKind::Signal
        );
        let site = short_site(cx.snap, c.site);
        if let Some((first, n)) = growth {
            let f = Finding::new(
                &GROWTH,
                format!(
                    "{} goroutines blocked at {site} (was {first} {n} dump(s) earlier)",
                    tasks.len()
                ),
                tasks.clone(),
            )
            .severity(if blocked {
                Severity::High
            } else {
                Severity::Medium
            })
            .confidence(Confidence::Likely)
            .explain(format!(
                "{} goroutine(s) at {site}{} grew from {first} to {}. {}",
                tasks.len(),
                creator_phrase(cx.snap, c),
                c.count(),
                GROWTH.explanation
            ))
            .evidence(format!("cluster `{}`", c.signature));
            let f = with_proof(cx, with_wait(c, f));
            cx.push(f);
            continue;
        }
        if leaked > 0 {
            let f = Finding::new(
                &CONFIRMED,
                format!("{leaked} goroutine(s) proven leaked at {site}"),
                tasks.clone(),
            )
            .severity(Severity::High)
            .confidence(Confidence::Certain)
            .explain(format!(
                "{} goroutine(s) blocked ({}) at {site}{}. {}",
                tasks.len(),
                cx.snap.state(&cx.snap.tasks[tasks[0] as usize]),
                creator_phrase(cx.snap, c),
                CONFIRMED.explanation
            ));
            let f = with_proof(cx, with_wait(c, f));
            cx.push(f);
            continue;
        }
        if !blocked {
            continue;
        }
        let first = &cx.snap.tasks[tasks[0] as usize];
        if matches!(first.class, StateClass::Runtime | StateClass::Idle) {
            continue;
        }
        let outlived = c.outlived == c.count();
        let severity = if outlived && c.count() >= 2 {
            Severity::Medium
        } else {
            Severity::Low
        };
        let mut f = Finding::new(
            &CLUSTER,
            format!(
                "{} goroutine(s) blocked at {site} ({})",
                tasks.len(),
                cx.snap.state(first)
            ),
            tasks.clone(),
        )
        .severity(severity)
        .confidence(Confidence::Possible)
        .explain(format!(
            "{} goroutine(s) blocked ({}) at {site}{}. {}",
            tasks.len(),
            cx.snap.state(first),
            creator_phrase(cx.snap, c),
            CLUSTER.explanation
        ));
        if outlived && c.creator.is_some() {
            f = f.evidence("the function that started them has returned");
        }
        let f = with_wait(c, f);
        cx.push(f);
    }
}
