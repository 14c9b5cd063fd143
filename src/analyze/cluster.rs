//! Leak clusters: tasks blocked at the same site and started from the same
//! creator site, with what the rules need to judge them (count, wait age,
//! proof of leaks, whether the creating function has returned).

use super::graph::WaitGraph;
use super::wait::{ResKind, Wait, WaitOp};
use crate::model::{FrameId, FuncId, Snapshot, TaskFlags};
use rustc_hash::FxHashMap;

/// Waiting tasks that block at one site and were started from one creator
/// site: the unit the leak rules judge.
#[derive(Debug, Clone)]
pub struct Cluster {
    /// The blocking site (first user frame of the waiters).
    pub site: Option<FrameId>,
    /// The `created by` frame shared by the tasks, when the dump names one.
    pub creator: Option<FrameId>,
    /// Indices into `snapshot.tasks`, in dump order.
    pub tasks: Vec<u32>,
    /// The kind of resource the tasks wait on.
    pub kind: ResKind,
    /// The operation they are blocked in (receive, send, lock, ...).
    pub op: WaitOp,
    /// The longest wait the dump states for a task, in minutes (0 if none).
    pub wait_max: u32,
    /// The median of the stated waits, in minutes.
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
}

impl Cluster {
    /// How many tasks the cluster holds.
    pub fn count(&self) -> usize {
        self.tasks.len()
    }

    /// `site <- creator`, by function and line: the same in every snapshot
    /// of a process, for growth. Made when asked (`snap` is the cluster's
    /// own snapshot): a dump of a million distinct stacks has a million
    /// clusters, and most are never compared.
    pub fn signature(&self, snap: &Snapshot) -> String {
        format!(
            "{} <- {}",
            site_sig(snap, self.site),
            site_sig(snap, self.creator)
        )
    }
}

/// (blocking site, creator site, resource kind, operation).
type ClusterKey = (Option<FrameId>, Option<FrameId>, ResKind, WaitOp);

/// Groups waiting tasks by (blocking site, creator site); biggest first.
pub fn clusters(snap: &Snapshot, graph: &WaitGraph) -> Vec<Cluster> {
    of_waits(snap, &graph.waits)
}

/// What one pass over a cluster's tasks gathers.
struct Acc {
    key: ClusterKey,
    tasks: Vec<u32>,
    wait_minutes: Vec<u32>,
    leaked: usize,
    stuck: usize,
    /// Tasks per parent goroutine id.
    parents: FxHashMap<u64, u32>,
    /// Tasks with a creator but no parent id (dumps before Go 1.21).
    orphans: usize,
}

impl Acc {
    fn new(key: ClusterKey) -> Self {
        Acc {
            key,
            tasks: Vec::new(),
            wait_minutes: Vec::new(),
            leaked: 0,
            stuck: 0,
            parents: FxHashMap::default(),
            orphans: 0,
        }
    }

    fn merge(&mut self, o: Acc) {
        self.tasks.extend(o.tasks);
        self.wait_minutes.extend(o.wait_minutes);
        self.leaked += o.leaked;
        self.stuck += o.stuck;
        self.orphans += o.orphans;
        for (p, n) in o.parents {
            *self.parents.entry(p).or_default() += n;
        }
    }
}

/// Tasks waited on per chunk, in one pass over the chunk.
const CHUNK: usize = 16384;

/// [`clusters`] from the tasks' waits alone.
pub fn of_waits(snap: &Snapshot, waits: &[Option<Wait>]) -> Vec<Cluster> {
    use rayon::prelude::*;
    // Per chunk of tasks, in parallel, in one pass over them.
    let parts: Vec<Vec<Acc>> = waits
        .par_chunks(CHUNK)
        .enumerate()
        .map(|(chunk, chunk_waits)| chunk_clusters(snap, chunk * CHUNK, chunk_waits))
        .collect();
    let accs = merge_chunks(parts);
    let id_index = parent_indexes(snap, &accs);
    // Dumps before Go 1.21 do not say which goroutine created which: the
    // creating function is then alive when it is on any goroutine's stack.
    let on_any_stack: std::sync::OnceLock<rustc_hash::FxHashSet<FuncId>> =
        std::sync::OnceLock::new();
    let mut out: Vec<Cluster> = accs
        .into_par_iter()
        .map(|acc| summarise(snap, acc, &id_index, &on_any_stack))
        .collect();
    // The first task breaks every tie (a task is in one cluster only): an
    // unstable sort gives the same order without a buffer of half the
    // clusters.
    out.sort_unstable_by(|a, b| {
        b.count()
            .cmp(&a.count())
            .then_with(|| a.tasks.first().cmp(&b.tasks.first()))
    });
    out
}

/// The clusters of one chunk of waits, the chunk's first task being
/// `first_task`, in the order first met.
fn chunk_clusters(snap: &Snapshot, first_task: usize, waits: &[Option<Wait>]) -> Vec<Acc> {
    // Keyed by the key packed into two words (cheaper to hash).
    let mut index: FxHashMap<(u64, u16), usize> = FxHashMap::default();
    let mut accs: Vec<Acc> = Vec::new();
    for (offset, wait) in waits.iter().enumerate() {
        let Some(wait) = wait else { continue };
        let task_index = first_task + offset;
        let task = &snap.tasks[task_index];
        let packed = (
            (u64::from(wait.site.map_or(u32::MAX, |f| f.0)) << 32)
                | u64::from(task.creator.map_or(u32::MAX, |f| f.0)),
            ((wait.kind as u16) << 8) | wait.op as u16,
        );
        let acc_index = *index.entry(packed).or_insert_with(|| {
            accs.push(Acc::new((wait.site, task.creator, wait.kind, wait.op)));
            accs.len() - 1
        });
        let acc = &mut accs[acc_index];
        acc.tasks.push(task_index as u32);
        acc.wait_minutes.push(task.wait_minutes.unwrap_or(0));
        acc.leaked += usize::from(task.flags.has(TaskFlags::LEAKED));
        acc.stuck += usize::from(!task.class.can_progress());
        match (task.parent_id(), task.creator) {
            (Some(parent), _) => *acc.parents.entry(parent).or_default() += 1,
            (None, Some(_)) => acc.orphans += 1,
            (None, None) => {}
        }
    }
    accs
}

/// The chunks' clusters merged in chunk order, so that every cluster lists
/// its tasks in dump order.
fn merge_chunks(parts: Vec<Vec<Acc>>) -> Vec<Acc> {
    // Room for every chunk's clusters at once (as many when all differ),
    // trimmed after.
    let most: usize = parts.iter().map(Vec::len).sum();
    let mut index: FxHashMap<ClusterKey, usize> = FxHashMap::default();
    index.reserve(most);
    let mut accs: Vec<Acc> = Vec::with_capacity(most);
    for part in parts {
        for acc in part {
            match index.get(&acc.key) {
                Some(&acc_index) => accs[acc_index].merge(acc),
                None => {
                    index.insert(acc.key, accs.len());
                    accs.push(acc);
                }
            }
        }
    }
    accs.shrink_to_fit();
    accs
}

/// The task index of every parent goroutine the clusters name (few, even
/// when the dump is large); `u32::MAX` for parents not in the dump.
fn parent_indexes(snap: &Snapshot, accs: &[Acc]) -> FxHashMap<u64, u32> {
    let mut id_index: FxHashMap<u64, u32> = accs
        .iter()
        .flat_map(|acc| acc.parents.keys().map(|parent| (*parent, u32::MAX)))
        .collect();
    let mut missing = id_index.len();
    for (task_index, task) in snap.tasks.iter().enumerate() {
        if missing == 0 {
            break;
        }
        if let Some(index) = id_index.get_mut(&task.id) {
            if *index == u32::MAX {
                *index = task_index as u32;
                missing -= 1;
            }
        }
    }
    id_index
}

/// One cluster from what a pass over its tasks gathered: wait statistics,
/// parents, and the tasks that outlived the function that started them.
fn summarise(
    snap: &Snapshot,
    acc: Acc,
    id_index: &FxHashMap<u64, u32>,
    on_any_stack: &std::sync::OnceLock<rustc_hash::FxHashSet<FuncId>>,
) -> Cluster {
    let tables = &snap.tables;
    let (site, creator, kind, op) = acc.key;
    let func = creator.map(|c| tables.frame(c).function);
    let mut outlived = 0;
    if let Some(func) = func {
        // A parent outlived its children's creation when the creating
        // function is no longer on its stack (or the parent is gone).
        for (p, n) in &acc.parents {
            let alive = id_index
                .get(p)
                .filter(|&&pi| pi != u32::MAX)
                .is_some_and(|&pi| {
                    let parent = &snap.tasks[pi as usize];
                    tables
                        .stack(parent.stack)
                        .frames
                        .iter()
                        .any(|f| tables.frame(*f).function == func)
                });
            if !alive {
                outlived += *n as usize;
            }
        }
        if acc.orphans > 0 {
            let funcs = on_any_stack.get_or_init(|| {
                let mut set = rustc_hash::FxHashSet::default();
                for s in snap
                    .tasks
                    .iter()
                    .map(|tables| tables.stack)
                    .collect::<rustc_hash::FxHashSet<_>>()
                {
                    for f in tables.stack(s).frames.iter() {
                        set.insert(tables.frame(*f).function);
                    }
                }
                set
            });
            if !funcs.contains(&func) {
                outlived += acc.orphans;
            }
        }
    }
    let mut waits = acc.wait_minutes;
    waits.sort_unstable();
    Cluster {
        site,
        creator,
        wait_max: waits.last().copied().unwrap_or(0),
        wait_median: waits.get(waits.len() / 2).copied().unwrap_or(0),
        tasks: acc.tasks,
        kind,
        op,
        leaked: acc.leaked,
        outlived,
        parents: acc.parents.len(),
        stuck: acc.stuck,
    }
}

/// `function file:line` of a frame, or `-`.
pub fn site_sig(snap: &Snapshot, f: Option<FrameId>) -> String {
    let tables = &snap.tables;
    match f {
        Some(f) if (f.0 as usize) < usize::MAX && f.0 != u32::MAX => {
            let fr = tables.frame(f);
            format!(
                "{} {}:{}",
                tables.func_name(fr.function),
                tables.str(fr.file),
                fr.line
            )
        }
        _ => "-".to_string(),
    }
}
