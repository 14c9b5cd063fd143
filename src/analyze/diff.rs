//! What changed between dumps of one process taken in time order: goroutine
//! groups that appeared, grew, shrank or vanished (matched by a signature
//! that survives missing ids, new argument values and a rebuild that shifts
//! line numbers), goroutines stuck at the same place in every dump, busy
//! loops, what is spawning the new goroutines, and heap growth by function
//! and by stack (what `go tool pprof -base` shows, ranked).

use super::finding::{score_by, Finding, Kind, RuleInfo, Severity};
use super::heap::HeapFinding;
use super::phrase::{frame_name, mib, MIB};
use crate::model::heap::{HeapProfile, HeapValues};
use crate::model::Confidence;
use crate::model::{CodeKind, FrameId, FuncId, Snapshot, StackId, StateClass, Tables, TaskFlags};
use crate::report::diff::{
    DiffGroup, DiffPoint, DiffReport, HeapDiff, HeapFunctionDelta, HeapStackDelta, Spawner,
    SpinTask, StuckTask,
};
use crate::report::heap::HeapAmounts;
use rustc_hash::FxHashMap;

pub static GROWTH: RuleInfo = RuleInfo {
    id: "diff.growth",
    title: "Goroutines piling up between dumps",
    kind: Kind::Growth,
    severity: Severity::High,
    explanation: "More goroutines wait at the same place in each dump: something starts them faster than they finish. Left alone the process runs out of memory.",
    cause: "A goroutine per request or per item that blocks forever (a send nobody receives, a receive nobody sends, a lock never released), or a retry loop that starts goroutines without bound.",
    remedy: "Look at the site and at who creates the goroutines (the `created by` frame): give every goroutine a way out (context, done channel, buffered result channel) and bound how many can run.",
    sketch: "select {\ncase out <- v:\ncase <-ctx.Done():\n\treturn\n}",
    references: &["https://go.dev/blog/pipelines"],
};

pub static STUCK: RuleInfo = RuleInfo {
    id: "diff.stuck",
    title: "Goroutines stuck at the same place in every dump",
    kind: Kind::Stuck,
    severity: Severity::High,
    explanation: "The same goroutines are blocked at the same line in every dump, and the time they have been blocked keeps growing: they are not slow, they are stuck.",
    cause: "A lock that is never released, a channel nobody will use again, a call without a deadline.",
    remedy: "Follow what they wait for (the finding names the site; the wait-for graph names the holder) and give the wait an end: release the lock on every path, close the channel, add a deadline.",
    sketch: "ctx, cancel := context.WithTimeout(ctx, 5*time.Second)\ndefer cancel()",
    references: &["https://pkg.go.dev/context"],
};

pub static SPIN: RuleInfo = RuleInfo {
    id: "diff.spin",
    title: "A goroutine running at the same place in every dump: a busy loop",
    kind: Kind::Spin,
    severity: Severity::Medium,
    explanation: "The same goroutine is running (or ready to run) at the same frames in every dump: it never blocks. That is a busy loop burning a CPU, typically `select` with a `default` branch in a `for` loop.",
    cause: "`for { select { case v := <-ch: ...; default: } }` or a loop polling a flag without sleeping.",
    remedy: "Block instead of polling: drop the `default` branch so the select waits, or wait on a ticker or a condition.",
    sketch: "for {\n\tselect {\n\tcase v := <-ch:\n\t\thandle(v)\n\tcase <-ctx.Done():\n\t\treturn\n\t}\n}",
    references: &["https://go.dev/ref/spec#Select_statements"],
};

pub static HEAP_GROWTH: RuleInfo = RuleInfo {
    id: "diff.heap-growth",
    title: "Memory in use growing at one allocation site between heap snapshots",
    kind: Kind::Growth,
    severity: Severity::High,
    explanation: "This allocation site holds more memory in each heap snapshot: whatever it allocates is kept.",
    cause: "A cache or map without eviction, a slice that is only appended to, goroutines that keep what they allocated.",
    remedy: "Bound or evict what the site's callers keep (a size-bounded LRU, a TTL), then check that the site stays flat between snapshots.",
    sketch: "cache, _ := lru.New[string, []byte](10_000)",
    references: &["https://pkg.go.dev/runtime/pprof"],
};

pub static RULES: &[&RuleInfo] = &[&GROWTH, &STUCK, &SPIN, &HEAP_GROWTH];

/// Groups kept in the report (the rest are counted).
pub const MAX_GROUPS: usize = 500;
/// Goroutines listed per stuck/spin list.
const MAX_TASKS: usize = 1000;
/// Heap functions and stacks kept.
const MAX_HEAP_ROWS: usize = 200;

/// When each point was taken, in seconds from the first, and how that is
/// known (`interval`, `timestamps`, `mtime`).
pub struct Times {
    pub seconds: Vec<Option<f64>>,
    pub from: Option<&'static str>,
}

/// What the diff adds to the newest snapshot's and heap's findings.
pub struct DiffOutcome {
    pub report: DiffReport,
    /// Findings about the newest goroutine snapshot (task indices into it).
    pub findings: Vec<Finding>,
    /// Findings about the newest heap snapshot.
    pub heap_findings: Vec<HeapFinding>,
}

fn is_runtime(t: &Tables, f: FrameId) -> bool {
    t.function(t.frame(f).function).kind == CodeKind::Runtime
}

/// The signature of a stack: its functions, innermost first, without the
/// runtime frames at the top (debug=1 profiles leave them out), lines and
/// arguments (a rebuild moves lines; ids and arguments change every dump).
fn signature(t: &Tables, stack: StackId) -> String {
    let frames = &t.stack(stack).frames;
    let start = frames.iter().position(|&f| !is_runtime(t, f)).unwrap_or(0);
    let mut s = String::new();
    for &f in &frames[start..] {
        if !s.is_empty() {
            s.push('\n');
        }
        s.push_str(t.func_name(t.frame(f).function));
    }
    s
}

/// The goroutine that wrote the dump (a pprof or runtime.Stack call).
fn is_dumper(t: &Tables, stack: StackId) -> bool {
    t.stack(stack).frames.iter().any(|&f| {
        let n = t.func_name(t.frame(f).function);
        n.starts_with("runtime/pprof.") || n == "runtime.Stack" || n.starts_with("runtime/debug.")
    })
}

fn first_user(t: &Tables, stack: StackId) -> Option<FrameId> {
    super::heap::user_frame(t, stack)
}

struct GroupAcc {
    counts: Vec<u64>,
    /// (snapshot, task index) of a representative, newest first seen.
    example: (usize, usize),
    states: FxHashMap<String, u64>,
    creators: FxHashMap<String, u64>,
    tasks_newest: Vec<u32>,
}

/// Compares the goroutine snapshots `snaps` and the heap snapshots `heaps`,
/// each in time order.
pub fn diff(
    snaps: &[&Snapshot],
    snap_times: &Times,
    heaps: &[&HeapProfile],
    heap_times: &Times,
) -> DiffOutcome {
    let n = snaps.len();
    let mut findings = Vec::new();
    // Groups by signature (`groups[k]` is signature `sigs[k]`).
    let mut groups: Vec<GroupAcc> = Vec::new();
    let mut sig_of: Vec<Vec<u32>> = Vec::with_capacity(n);
    let mut sigs: Vec<String> = Vec::new();
    let mut sig_index: FxHashMap<String, u32> = FxHashMap::default();
    for (si, s) in snaps.iter().enumerate() {
        let t = &s.tables;
        // Per stack: its signature, or `u32::MAX` for the goroutine writing
        // the dump (not the program's).
        let mut by_stack: FxHashMap<StackId, u32> = FxHashMap::default();
        let mut of = Vec::with_capacity(s.tasks.len());
        // Counted by id here, named once per snapshot below.
        let mut states: FxHashMap<(u32, crate::model::Sym), u64> = FxHashMap::default();
        let mut creators: FxHashMap<(u32, FuncId), u64> = FxHashMap::default();
        for (ti, task) in s.tasks.iter().enumerate() {
            let k = *by_stack.entry(task.stack).or_insert_with(|| {
                if is_dumper(t, task.stack) {
                    return u32::MAX;
                }
                let sig = signature(t, task.stack);
                if let Some(&k) = sig_index.get(&sig) {
                    return k;
                }
                let k = sigs.len() as u32;
                sig_index.insert(sig.clone(), k);
                sigs.push(sig);
                groups.push(GroupAcc {
                    counts: vec![0; n],
                    example: (si, ti),
                    states: FxHashMap::default(),
                    creators: FxHashMap::default(),
                    tasks_newest: Vec::new(),
                });
                k
            });
            of.push(k);
            let Some(g) = groups.get_mut(k as usize) else {
                continue;
            };
            g.counts[si] += 1;
            if si + 1 == n {
                g.example = (si, ti);
                *states.entry((k, task.state)).or_default() += 1;
                g.tasks_newest.push(ti as u32);
            }
            if let Some(c) = task.creator {
                *creators.entry((k, t.frame(c).function)).or_default() += 1;
            }
        }
        for ((k, st), c) in states {
            *groups[k as usize]
                .states
                .entry(t.str(st).to_string())
                .or_default() += c;
        }
        for ((k, f), c) in creators {
            *groups[k as usize]
                .creators
                .entry(t.func_name(f).to_string())
                .or_default() += c;
        }
        sig_of.push(of);
    }
    let span = |times: &Times| match (times.seconds.first(), times.seconds.last()) {
        (Some(Some(a)), Some(Some(b))) if b > a => Some(b - a),
        _ => None,
    };
    let minutes = span(snap_times).map(|s| s / 60.0);
    let mut rows: Vec<(DiffGroup, Vec<u32>)> = groups
        .into_iter()
        .zip(sigs)
        .map(|(g, key)| {
            let (si, ti) = g.example;
            let s = snaps[si];
            let task = &s.tasks[ti];
            let t = &s.tables;
            let first = g.counts.first().copied().unwrap_or(0);
            let last = g.counts.last().copied().unwrap_or(0);
            let change = last as i64 - first as i64;
            let status = match (first, last) {
                (0, l) if l > 0 => "new",
                (f, 0) if f > 0 => "gone",
                (f, l) if l > f => "grown",
                (f, l) if l < f => "shrunk",
                _ => "same",
            };
            let state = if g.states.is_empty() {
                t.str(task.state).to_string()
            } else {
                top(&g.states)
            };
            let function = key.lines().next().unwrap_or_default().to_string();
            (
                DiffGroup {
                    site: frame_name(t, first_user(t, task.stack)),
                    function,
                    signature: key,
                    state,
                    creator: (!g.creators.is_empty()).then(|| top(&g.creators)),
                    counts: g.counts,
                    change,
                    relative: (first > 0).then(|| change as f64 / first as f64),
                    per_minute: minutes.map(|m| change as f64 / m),
                    status: status.to_string(),
                },
                g.tasks_newest,
            )
        })
        .collect();
    rows.sort_by(|a, b| {
        b.0.change
            .abs()
            .cmp(&a.0.change.abs())
            .then(b.0.counts.last().cmp(&a.0.counts.last()))
            .then_with(|| a.0.signature.cmp(&b.0.signature))
    });
    // Growth findings: the groups that grew the most.
    if n >= 2 {
        for (g, tasks) in rows.iter().filter(|(g, _)| g.change > 0).take(3) {
            let first = g.counts[0];
            let last = g.counts[n - 1];
            if g.change < 10 || (first > 0 && (g.change as f64) < 0.2 * first as f64) {
                continue;
            }
            let series = g
                .counts
                .iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(" → ");
            let rate = g
                .per_minute
                .map(|r| format!(", {r:+.1} per minute"))
                .unwrap_or_default();
            let mut f = Finding::new(
                &GROWTH,
                format!(
                    "{} more goroutines at {} ({series}{rate})",
                    g.change, g.site
                ),
                tasks.clone(),
            )
            .confidence(if n >= 3 && g.counts.windows(2).all(|w| w[1] >= w[0]) {
                Confidence::Certain
            } else {
                Confidence::Likely
            })
            .explain(format!(
                "Goroutines in state `{}` at {} went from {first} to {last} over {} dumps{}. {}",
                g.state,
                g.site,
                n,
                minutes
                    .map(|m| format!(" and {m:.1} minutes"))
                    .unwrap_or_default(),
                GROWTH.explanation
            ))
            .evidence(format!("counts per dump: {series}"));
            if let Some(c) = &g.creator {
                f = f.evidence(format!("created by {c}"));
            }
            if first == 0 {
                f = f.evidence("none in the first dump");
            }
            score_by(&mut f, 1.0 + (g.change.max(1) as f64).log10());
            findings.push(f);
        }
    }
    let groups_total = rows.len();
    rows.truncate(MAX_GROUPS);
    // Per goroutine, where ids exist.
    let (stuck, spinning, spawners) = per_task(snaps, &sig_of, &mut findings);
    let points = snaps
        .iter()
        .enumerate()
        .map(|(i, s)| DiffPoint {
            source: s.source.clone(),
            index: i,
            format: s.format.to_string(),
            seconds: snap_times.seconds.get(i).copied().flatten(),
            goroutines: s.tasks.len() as u64,
        })
        .collect();
    let (heap, heap_findings) = heap_diff(heaps, heap_times);
    DiffOutcome {
        report: DiffReport {
            snapshots: points,
            times_from: snap_times.from.map(str::to_string),
            span_seconds: span(snap_times),
            groups_total,
            groups: rows.into_iter().map(|(g, _)| g).collect(),
            stuck,
            spinning,
            spawners,
            heap,
        },
        findings,
        heap_findings,
    }
}

/// The most frequent key (ties by name).
fn top(m: &FxHashMap<String, u64>) -> String {
    m.iter()
        .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
        .map(|(k, _)| k.clone())
        .unwrap_or_default()
}

fn per_task(
    snaps: &[&Snapshot],
    sig_of: &[Vec<u32>],
    findings: &mut Vec<Finding>,
) -> (Vec<StuckTask>, Vec<SpinTask>, Vec<Spawner>) {
    // Snapshots with goroutine ids.
    let with_ids: Vec<usize> = (0..snaps.len())
        .filter(|&i| {
            snaps[i]
                .tasks
                .iter()
                .any(|t| t.flags.0 & TaskFlags::NO_ID == 0)
        })
        .collect();
    if with_ids.len() < 2 {
        return Default::default();
    }
    let newest = *with_ids.last().unwrap_or(&0);
    let index: Vec<FxHashMap<u64, usize>> = with_ids
        .iter()
        .map(|&si| {
            snaps[si]
                .tasks
                .iter()
                .enumerate()
                .filter(|(_, t)| t.flags.0 & TaskFlags::NO_ID == 0)
                .map(|(i, t)| (t.id, i))
                .collect()
        })
        .collect();
    let s_new = snaps[newest];
    let t_new = &s_new.tables;
    let mut stuck: Vec<(StuckTask, u32)> = Vec::new();
    let mut spinning: Vec<(SpinTask, u32)> = Vec::new();
    // Per creator: new goroutines, and where they are by site.
    let mut spawned: FxHashMap<String, (u64, FxHashMap<String, u64>)> = FxHashMap::default();
    let newest_pos = with_ids.len() - 1;
    for (ti, task) in s_new.tasks.iter().enumerate() {
        if task.flags.0 & TaskFlags::NO_ID != 0 {
            continue;
        }
        // Where this id was in each snapshot.
        let mut places = Vec::with_capacity(with_ids.len());
        for (k, &si) in with_ids.iter().enumerate() {
            places.push(index[k].get(&task.id).map(|&i| (si, i)));
        }
        let seen_before = places[..newest_pos].iter().any(Option::is_some);
        if sig_of[newest][ti] == u32::MAX {
            continue;
        }
        if !seen_before {
            let creator = task
                .creator
                .map(|c| t_new.func_name(t_new.frame(c).function).to_string())
                .unwrap_or_else(|| "an unknown creator".to_string());
            let e = spawned.entry(creator).or_default();
            e.0 += 1;
            *e.1.entry(frame_name(t_new, first_user(t_new, task.stack)))
                .or_default() += 1;
            continue;
        }
        if places.iter().any(Option::is_none) {
            continue;
        }
        let sig = sig_of[newest][ti];
        if sig == u32::MAX {
            continue;
        }
        let same_place = places.iter().flatten().all(|&(si, i)| sig_of[si][i] == sig);
        if !same_place {
            continue;
        }
        let tasks: Vec<_> = places
            .iter()
            .flatten()
            .map(|&(si, i)| &snaps[si].tasks[i])
            .collect();
        let site = frame_name(t_new, first_user(t_new, task.stack));
        let busy = |c: StateClass| matches!(c, StateClass::Running | StateClass::Runnable);
        if tasks.iter().all(|t| busy(t.class)) {
            if is_dumper(t_new, task.stack) {
                continue;
            }
            spinning.push((
                SpinTask {
                    id: task.id,
                    site,
                    states: places
                        .iter()
                        .flatten()
                        .map(|&(si, i)| {
                            let s = snaps[si];
                            s.tables.str(s.tasks[i].state).to_string()
                        })
                        .collect(),
                },
                ti as u32,
            ));
        } else if tasks.iter().all(|t| !busy(t.class)) {
            // Minutes known in every dump and growing: a goroutine with no
            // minutes in the first dump may be another process's that got
            // the same id (dumps before and after a restart).
            let waits: Vec<Option<u32>> = tasks.iter().map(|t| t.wait_minutes).collect();
            let known: Option<Vec<u32>> = waits.iter().copied().collect();
            let growing =
                known.is_some_and(|k| k.windows(2).all(|w| w[1] >= w[0]) && k.last() > k.first());
            if growing {
                stuck.push((
                    StuckTask {
                        id: task.id,
                        site,
                        state: t_new.str(task.state).to_string(),
                        wait_minutes: waits,
                    },
                    ti as u32,
                ));
            }
        }
    }
    stuck.sort_by(|a, b| a.0.site.cmp(&b.0.site).then(a.0.id.cmp(&b.0.id)));
    spinning.sort_by_key(|a| a.0.id);
    // Stuck: one finding per site.
    let mut by_site: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, (s, _)) in stuck.iter().enumerate() {
        match by_site.last_mut() {
            Some((site, v)) if *site == s.site => v.push(i),
            _ => by_site.push((s.site.clone(), vec![i])),
        }
    }
    for (site, idx) in &by_site {
        let first = &stuck[idx[0]].0;
        let waits = first
            .wait_minutes
            .iter()
            .map(|w| w.map_or("?".to_string(), |m| m.to_string()))
            .collect::<Vec<_>>()
            .join(" → ");
        let mut f = Finding::new(
            &STUCK,
            format!(
                "{} goroutine{} stuck at {site} in every dump ({}, blocked {waits} minutes)",
                idx.len(),
                if idx.len() == 1 { "" } else { "s" },
                first.state
            ),
            idx.iter().map(|&i| stuck[i].1).collect(),
        )
        .confidence(Confidence::Certain)
        .explain(format!(
            "Goroutine{} {} {} blocked in `{}` at {site} in all {} dumps, for {waits} minutes. {}",
            if idx.len() == 1 { "" } else { "s" },
            ids_text(idx.iter().map(|&i| stuck[i].0.id)),
            if idx.len() == 1 { "was" } else { "were" },
            first.state,
            with_ids.len(),
            STUCK.explanation
        ));
        f = f.evidence(format!("blocked minutes per dump: {waits}"));
        score_by(&mut f, 1.0 + (idx.len() as f64).log10());
        findings.push(f);
    }
    for (s, ti) in &spinning {
        let mut f = Finding::new(
            &SPIN,
            format!(
                "goroutine {} is running at {} in every dump: a busy loop",
                s.id, s.site
            ),
            vec![*ti],
        )
        .confidence(if with_ids.len() >= 3 {
            Confidence::Likely
        } else {
            Confidence::Possible
        })
        .explain(format!(
            "Goroutine {} was {} at {} in all {} dumps. {}",
            s.id,
            s.states.join(", then "),
            s.site,
            with_ids.len(),
            SPIN.explanation
        ))
        .evidence(format!("states per dump: {}", s.states.join(" → ")));
        score_by(&mut f, 1.0);
        findings.push(f);
    }
    let mut spawners: Vec<Spawner> = spawned
        .into_iter()
        .map(|(creator, (count, sites))| {
            let mut sites: Vec<(String, u64)> = sites.into_iter().collect();
            sites.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            Spawner {
                creator,
                new_goroutines: count,
                sites: sites.into_iter().take(3).map(|(s, _)| s).collect(),
            }
        })
        .collect();
    spawners.sort_by(|a, b| {
        b.new_goroutines
            .cmp(&a.new_goroutines)
            .then_with(|| a.creator.cmp(&b.creator))
    });
    // Findings name tasks of the last snapshot: when that one has no ids
    // (a counted profile), they name none.
    if newest + 1 != snaps.len() {
        for f in findings.iter_mut() {
            if f.rule.id == STUCK.id || f.rule.id == SPIN.id {
                f.tasks.clear();
            }
        }
    }
    let stuck = stuck.into_iter().take(MAX_TASKS).map(|(s, _)| s).collect();
    let spinning = spinning
        .into_iter()
        .take(MAX_TASKS)
        .map(|(s, _)| s)
        .collect();
    (stuck, spinning, spawners)
}

fn ids_text(ids: impl Iterator<Item = u64>) -> String {
    let v: Vec<String> = ids.map(|i| i.to_string()).collect();
    if v.len() > 10 {
        format!("{} and {} more", v[..10].join(", "), v.len() - 10)
    } else {
        v.join(", ")
    }
}

fn amounts(v: &HeapValues) -> HeapAmounts {
    HeapAmounts {
        alloc_objects: v.alloc_objects,
        alloc_bytes: v.alloc_bytes,
        inuse_objects: v.inuse_objects,
        inuse_bytes: v.inuse_bytes,
    }
}

/// Frames and functions of several heap snapshots by content (function,
/// file name, line), so that stacks compare across snapshots whose tables
/// differ. Each distinct frame is named once, not once per stack.
#[derive(Default)]
struct Common {
    frames: FxHashMap<(String, String, u32), u32>,
    funcs: FxHashMap<String, u32>,
    func_names: Vec<String>,
}

/// A stack of one snapshot, keyed by [`Common`] frame ids.
struct StackSum {
    bytes: i64,
    /// The stack in this snapshot's tables.
    stack: StackId,
    /// [`Common`] id of its user frame.
    user: Option<u32>,
}

/// In-use bytes by function (flat, cum) and by stack, per heap snapshot.
struct HeapSums {
    totals: HeapValues,
    /// By [`Common`] function id.
    flat: FxHashMap<u32, i64>,
    cum: FxHashMap<u32, i64>,
    stacks: FxHashMap<Box<[u32]>, StackSum>,
}

fn heap_sums(h: &HeapProfile, common: &mut Common) -> HeapSums {
    let t = &h.tables;
    let mut frame_ids = vec![u32::MAX; t.frame_count()];
    let mut func_ids = vec![u32::MAX; t.func_count()];
    let mut func_id = |f: FuncId, common: &mut Common| -> u32 {
        let slot = &mut func_ids[f.index()];
        if *slot == u32::MAX {
            let name = t.func_name(f);
            *slot = match common.funcs.get(name) {
                Some(&id) => id,
                None => {
                    let id = common.func_names.len() as u32;
                    common.funcs.insert(name.to_string(), id);
                    common.func_names.push(name.to_string());
                    id
                }
            };
        }
        *slot
    };
    let mut frame_id = |f: FrameId, common: &mut Common| -> u32 {
        let slot = &mut frame_ids[f.index()];
        if *slot == u32::MAX {
            let fr = t.frame(f);
            let file = t.str(fr.file);
            let base = file.rsplit(['/', '\\']).next().unwrap_or(file);
            let key = (
                t.func_name(fr.function).to_string(),
                base.to_string(),
                fr.line,
            );
            let next = common.frames.len() as u32;
            *slot = *common.frames.entry(key).or_insert(next);
        }
        *slot
    };
    let mut s = HeapSums {
        totals: h.totals(),
        flat: FxHashMap::default(),
        cum: FxHashMap::default(),
        stacks: FxHashMap::default(),
    };
    let mut seen: Vec<u32> = Vec::new();
    let mut key: Vec<u32> = Vec::new();
    for sample in &h.samples {
        let frames = &t.stack(sample.stack).frames;
        let b = sample.values.inuse_bytes;
        seen.clear();
        key.clear();
        for &f in frames.iter() {
            key.push(frame_id(f, common));
            let func = func_id(t.frame(f).function, common);
            if !seen.contains(&func) {
                seen.push(func);
                let v = s.cum.entry(func).or_default();
                *v = v.saturating_add(b);
            }
        }
        if let Some(&func) = seen.first() {
            let v = s.flat.entry(func).or_default();
            *v = v.saturating_add(b);
        }
        match s.stacks.get_mut(key.as_slice()) {
            Some(e) => e.bytes = e.bytes.saturating_add(b),
            None => {
                let user = super::heap::user_frame(t, sample.stack).map(|f| frame_id(f, common));
                s.stacks.insert(
                    key.as_slice().into(),
                    StackSum {
                        bytes: b,
                        stack: sample.stack,
                        user,
                    },
                );
            }
        }
    }
    s
}

fn heap_diff(heaps: &[&HeapProfile], times: &Times) -> (Option<HeapDiff>, Vec<HeapFinding>) {
    if heaps.len() < 2 {
        return (None, Vec::new());
    }
    let mut common = Common::default();
    let sums: Vec<HeapSums> = heaps.iter().map(|h| heap_sums(h, &mut common)).collect();
    let n = sums.len();
    let series = |get: &dyn Fn(&HeapSums) -> i64| -> Vec<i64> { sums.iter().map(get).collect() };
    // Functions.
    let mut ids: Vec<u32> = sums.iter().flat_map(|s| s.cum.keys().copied()).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut functions: Vec<HeapFunctionDelta> = ids
        .into_iter()
        .map(|id| {
            let flat = series(&|s| s.flat.get(&id).copied().unwrap_or(0));
            let cum = series(&|s| s.cum.get(&id).copied().unwrap_or(0));
            HeapFunctionDelta {
                function: common.func_names[id as usize].clone(),
                flat_delta: flat[n - 1].saturating_sub(flat[0]),
                cum_delta: cum[n - 1].saturating_sub(cum[0]),
                flat,
                cum,
            }
        })
        .collect();
    functions.sort_by(|a, b| {
        b.flat_delta
            .cmp(&a.flat_delta)
            .then(b.cum_delta.cmp(&a.cum_delta))
            .then_with(|| a.function.cmp(&b.function))
    });
    let functions_total = functions.len();
    functions.truncate(MAX_HEAP_ROWS);
    // Stacks: series by key, named only for the ones reported.
    let mut keys: Vec<&[u32]> = sums
        .iter()
        .flat_map(|s| s.stacks.keys().map(|k| &**k))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    let stacks_total = keys.len();
    struct Row<'a> {
        key: &'a [u32],
        bytes: Vec<i64>,
        delta: i64,
        /// The newest snapshot that has it, and its sum there.
        example: (usize, &'a StackSum),
    }
    let mut rows: Vec<Row> = keys
        .into_iter()
        .filter_map(|k| {
            let bytes = series(&|s| s.stacks.get(k).map_or(0, |e| e.bytes));
            let example = sums
                .iter()
                .enumerate()
                .rev()
                .find_map(|(i, s)| s.stacks.get(k).map(|e| (i, e)))?;
            Some(Row {
                key: k,
                delta: bytes[n - 1].saturating_sub(bytes[0]),
                bytes,
                example,
            })
        })
        .collect();
    rows.sort_by(|a, b| b.delta.cmp(&a.delta).then_with(|| a.key.cmp(b.key)));
    // Growth by the user's allocating line.
    // User frame -> (in use per snapshot, stacks, an example stack).
    type UserSum<'a> = (Vec<i64>, usize, (usize, &'a StackSum));
    let mut by_user: FxHashMap<Option<u32>, UserSum> = FxHashMap::default();
    for r in &rows {
        let e = by_user
            .entry(r.example.1.user)
            .or_insert_with(|| (vec![0; n], 0, r.example));
        for (a, b) in e.0.iter_mut().zip(&r.bytes) {
            *a = a.saturating_add(*b);
        }
        e.1 += 1;
    }
    let name_user = |(hi, e): (usize, &StackSum)| {
        frame_name(
            &heaps[hi].tables,
            super::heap::user_frame(&heaps[hi].tables, e.stack),
        )
    };
    let stacks: Vec<HeapStackDelta> = rows
        .iter()
        .take(MAX_HEAP_ROWS)
        .map(|r| {
            let (hi, e) = r.example;
            let t = &heaps[hi].tables;
            let frames: Vec<String> = t
                .stack(e.stack)
                .frames
                .iter()
                .map(|&f| frame_name(t, Some(f)))
                .collect();
            HeapStackDelta {
                function: frames.first().cloned().unwrap_or_default(),
                user_frame: name_user(r.example),
                frames,
                inuse_bytes: r.bytes.clone(),
                delta: r.delta,
            }
        })
        .collect();
    let total_growth = sums[n - 1]
        .totals
        .inuse_bytes
        .saturating_sub(sums[0].totals.inuse_bytes);
    let mut users: Vec<(String, Vec<i64>, usize)> = by_user
        .into_values()
        .map(|(v, c, example)| (name_user(example), v, c))
        .collect();
    users.sort_by(|a, b| {
        (b.1[n - 1].saturating_sub(b.1[0]))
            .cmp(&a.1[n - 1].saturating_sub(a.1[0]))
            .then_with(|| a.0.cmp(&b.0))
    });
    let minutes = match (times.seconds.first(), times.seconds.last()) {
        (Some(Some(a)), Some(Some(b))) if b > a => Some((b - a) / 60.0),
        _ => None,
    };
    let mut findings = Vec::new();
    for (site, bytes, nstacks) in users.iter().take(3) {
        let delta = bytes[n - 1].saturating_sub(bytes[0]);
        if delta < MIB || (total_growth > 0 && (delta as f64) < 0.1 * total_growth as f64) {
            continue;
        }
        let series = bytes
            .iter()
            .map(|b| mib(*b))
            .collect::<Vec<_>>()
            .join(" → ");
        let rate = minutes
            .map(|m| format!(", {} per minute", mib((delta as f64 / m) as i64)))
            .unwrap_or_default();
        let monotone = bytes.windows(2).all(|w| w[1] >= w[0]);
        let mut f = Finding::new(
            &HEAP_GROWTH,
            format!(
                "{site} holds {} more in use ({series}{rate})",
                mib(delta)
            ),
            Vec::new(),
        )
        .confidence(if n >= 3 && monotone {
            Confidence::Certain
        } else {
            Confidence::Likely
        })
        .explain(format!(
            "Memory in use allocated at {site} went from {} to {} over {n} heap snapshots ({} of the heap's growth of {}). {}",
            mib(bytes[0]),
            mib(bytes[n - 1]),
            if total_growth > 0 {
                format!("{:.0}%", delta as f64 * 100.0 / total_growth as f64)
            } else {
                "all".to_string()
            },
            mib(total_growth),
            HEAP_GROWTH.explanation
        ))
        .evidence(format!("in use per snapshot: {series}"))
        .evidence(format!("{nstacks} allocation stacks at this line"));
        score_by(&mut f, 1.0 + (delta as f64 / MIB as f64).max(1.0).log10());
        findings.push(HeapFinding {
            finding: f,
            sites: Vec::new(),
            bytes: delta,
            snapshot: None,
        });
    }
    let totals: Vec<HeapAmounts> = sums.iter().map(|s| amounts(&s.totals)).collect();
    let (a, z) = (&totals[0], &totals[n - 1]);
    let delta = HeapAmounts {
        alloc_objects: z.alloc_objects.saturating_sub(a.alloc_objects),
        alloc_bytes: z.alloc_bytes.saturating_sub(a.alloc_bytes),
        inuse_objects: z.inuse_objects.saturating_sub(a.inuse_objects),
        inuse_bytes: z.inuse_bytes.saturating_sub(a.inuse_bytes),
    };
    let d = HeapDiff {
        snapshots: heaps
            .iter()
            .enumerate()
            .map(|(i, h)| crate::report::diff::HeapPoint {
                source: h.source.clone(),
                index: i,
                format: h.format.to_string(),
                seconds: times.seconds.get(i).copied().flatten(),
            })
            .collect(),
        totals,
        delta,
        functions_total,
        functions,
        stacks_total,
        stacks,
    };
    (Some(d), findings)
}
