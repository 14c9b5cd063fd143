//! Leak clusters: tasks blocked at the same site and started from the same
//! creator site, with what the rules need to judge them (count, wait age,
//! proof of leaks, whether the creating function has returned).

use super::graph::WaitGraph;
use super::wait::{ResKind, Wait, WaitOp};
use crate::model::{FrameId, FuncId, Snapshot, TaskFlags};
use rustc_hash::FxHashMap;

#[derive(Debug, Clone)]
pub struct Cluster {
    /// The blocking site (first user frame of the waiters).
    pub site: Option<FrameId>,
    pub creator: Option<FrameId>,
    /// Indices into `snapshot.tasks`, in dump order.
    pub tasks: Vec<u32>,
    pub kind: ResKind,
    pub op: WaitOp,
    pub wait_max: u32,
    pub wait_median: u32,
    /// Tasks marked `(leaked)` by Go's GC.
    pub leaked: usize,
    /// Tasks whose creating function is no longer on its parent's stack (or
    /// whose parent is gone): they outlived the scope that started them.
    pub outlived: usize,
    /// Distinct parent ids.
    pub parents: usize,
    /// Tasks that cannot make progress by themselves (not in IO, a
    /// syscall or a timer).
    pub stuck: usize,
    /// `site <- creator`, by function and line: the same in every snapshot
    /// of a process, for growth.
    pub signature: String,
}

impl Cluster {
    pub fn count(&self) -> usize {
        self.tasks.len()
    }
}

/// (blocking site, creator site, resource kind, operation).
type ClusterKey = (Option<FrameId>, Option<FrameId>, ResKind, WaitOp);

/// Groups waiting tasks by (blocking site, creator site); biggest first.
pub fn clusters(snap: &Snapshot, graph: &WaitGraph) -> Vec<Cluster> {
    of_waits(snap, &graph.waits)
}

/// [`clusters`] from the tasks' waits alone.
pub fn of_waits(snap: &Snapshot, waits: &[Option<Wait>]) -> Vec<Cluster> {
    use rayon::prelude::*;
    const CHUNK: usize = 16384;
    // Per chunk of tasks, in parallel: tasks by key, and the parents named.
    type Part = (Vec<(ClusterKey, Vec<u32>)>, Vec<u64>);
    let parts: Vec<Part> = waits
        .par_chunks(CHUNK)
        .enumerate()
        .map(|(ci, ws)| {
            // Keyed by the key packed into two words (cheaper to hash).
            let mut index: FxHashMap<(u64, u16), usize> = FxHashMap::default();
            let mut by_key: Vec<(ClusterKey, Vec<u32>)> = Vec::new();
            let mut parents: Vec<u64> = Vec::new();
            for (k, w) in ws.iter().enumerate() {
                let Some(w) = w else { continue };
                let i = ci * CHUNK + k;
                let task = &snap.tasks[i];
                let packed = (
                    (u64::from(w.site.map_or(u32::MAX, |f| f.0)) << 32)
                        | u64::from(task.creator.map_or(u32::MAX, |f| f.0)),
                    ((w.kind as u16) << 8) | w.op as u16,
                );
                let li = *index.entry(packed).or_insert_with(|| {
                    by_key.push(((w.site, task.creator, w.kind, w.op), Vec::new()));
                    by_key.len() - 1
                });
                by_key[li].1.push(i as u32);
                if let Some(p) = task.parent_id {
                    if parents.last() != Some(&p) {
                        parents.push(p);
                    }
                }
            }
            parents.sort_unstable();
            parents.dedup();
            (by_key, parents)
        })
        .collect();
    // Merged in chunk order, so every cluster lists its tasks in dump order.
    let mut index: FxHashMap<ClusterKey, usize> = FxHashMap::default();
    let mut lists: Vec<(ClusterKey, Vec<u32>)> = Vec::new();
    let mut id_index: FxHashMap<u64, u32> = FxHashMap::default();
    for (by_key, parents) in parts {
        for (key, tasks) in by_key {
            match index.get(&key) {
                Some(&li) => lists[li].1.extend(tasks),
                None => {
                    index.insert(key, lists.len());
                    lists.push((key, tasks));
                }
            }
        }
        for p in parents {
            id_index.insert(p, u32::MAX);
        }
    }
    // Index of every parent goroutine the clusters name (few, even when the
    // dump is large).
    let mut missing = id_index.len();
    for (i, task) in snap.tasks.iter().enumerate() {
        if missing == 0 {
            break;
        }
        if let Some(x) = id_index.get_mut(&task.id) {
            if *x == u32::MAX {
                *x = i as u32;
                missing -= 1;
            }
        }
    }
    // Dumps before Go 1.21 do not say which goroutine created which: the
    // creating function is then alive when it is on any goroutine's stack.
    let on_any_stack: std::sync::OnceLock<rustc_hash::FxHashSet<FuncId>> =
        std::sync::OnceLock::new();
    let mut out: Vec<Cluster> = lists
        .into_par_iter()
        .map(|(key, tasks)| summarise(snap, key, tasks, &id_index, &on_any_stack))
        .collect();
    out.sort_by(|a, b| {
        b.count()
            .cmp(&a.count())
            .then_with(|| a.tasks.first().cmp(&b.tasks.first()))
    });
    out
}

fn summarise(
    snap: &Snapshot,
    (site, creator, kind, op): ClusterKey,
    tasks: Vec<u32>,
    id_index: &FxHashMap<u64, u32>,
    on_any_stack: &std::sync::OnceLock<rustc_hash::FxHashSet<FuncId>>,
) -> Cluster {
    let t = &snap.tables;
    let mut alive_cache: FxHashMap<(u64, FuncId), bool> = FxHashMap::default();
    let mut waits: Vec<u32> = Vec::with_capacity(tasks.len());
    let mut leaked = 0;
    let mut outlived = 0;
    let mut stuck = 0;
    let mut parents: Vec<u64> = Vec::new();
    let mut last_alive: Option<(u64, FuncId, bool)> = None;
    for &i in &tasks {
        let task = &snap.tasks[i as usize];
        waits.push(task.wait_minutes.unwrap_or(0));
        if task.flags.has(TaskFlags::LEAKED) {
            leaked += 1;
        }
        if !task.class.can_progress() {
            stuck += 1;
        }
        if let (None, Some(c)) = (task.parent_id, task.creator) {
            let funcs = on_any_stack.get_or_init(|| {
                let mut set = rustc_hash::FxHashSet::default();
                for s in snap
                    .tasks
                    .iter()
                    .map(|t| t.stack)
                    .collect::<rustc_hash::FxHashSet<_>>()
                {
                    for f in t.stack(s).frames.iter() {
                        set.insert(t.frame(*f).function);
                    }
                }
                set
            });
            if !funcs.contains(&t.frame(c).function) {
                outlived += 1;
            }
        }
        if let (Some(p), Some(c)) = (task.parent_id, task.creator) {
            if parents.len() < 1024 && parents.last() != Some(&p) && !parents.contains(&p) {
                parents.push(p);
            }
            let func = t.frame(c).function;
            let alive = match last_alive {
                Some((lp, lf, a)) if lp == p && lf == func => a,
                _ => *alive_cache.entry((p, func)).or_insert_with(|| {
                    id_index
                        .get(&p)
                        .filter(|&&pi| pi != u32::MAX)
                        .is_some_and(|&pi| {
                            let parent = &snap.tasks[pi as usize];
                            t.stack(parent.stack)
                                .frames
                                .iter()
                                .any(|f| t.frame(*f).function == func)
                        })
                }),
            };
            last_alive = Some((p, func, alive));
            if !alive {
                outlived += 1;
            }
        }
    }
    waits.sort_unstable();
    let signature = format!("{} <- {}", site_sig(snap, site), site_sig(snap, creator));
    Cluster {
        site,
        creator,
        wait_max: waits.last().copied().unwrap_or(0),
        wait_median: waits.get(waits.len() / 2).copied().unwrap_or(0),
        tasks,
        kind,
        op,
        leaked,
        outlived,
        parents: parents.len(),
        stuck,
        signature,
    }
}

/// `function file:line` of a frame, or `-`.
pub fn site_sig(snap: &Snapshot, f: Option<FrameId>) -> String {
    let t = &snap.tables;
    match f {
        Some(f) if (f.0 as usize) < usize::MAX && f.0 != u32::MAX => {
            let fr = t.frame(f);
            format!(
                "{} {}:{}",
                t.func_name(fr.function),
                t.str(fr.file),
                fr.line
            )
        }
        _ => "-".to_string(),
    }
}

/// `function (file:line)` with the file's base name, for titles.
pub fn short_site(snap: &Snapshot, f: Option<FrameId>) -> String {
    let t = &snap.tables;
    match f {
        Some(f) if f.0 != u32::MAX => {
            let fr = t.frame(f);
            let file = t.str(fr.file);
            let base = file.rsplit(['/', '\\']).next().unwrap_or(file);
            if fr.line > 0 {
                format!("{} ({}:{})", t.func_name(fr.function), base, fr.line)
            } else {
                t.func_name(fr.function).to_string()
            }
        }
        _ => "an unknown site".to_string(),
    }
}
