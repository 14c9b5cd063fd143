//! What the diagnosis of one snapshot knows of the earlier snapshots of the
//! same process: cluster counts and lock waits, for growth and for how long a
//! thread has been blocked.

use super::cluster::Cluster;
use super::finding::{Finding, Kind, Severity};
use super::graph::WaitGraph;
use super::wait::{is_lock, Wait};
use crate::model::{Runtime, Snapshot};

/// Growth of clusters over earlier snapshots of the same process.
#[derive(Debug, Clone, Default)]
pub struct History {
    /// Cluster signature -> task counts in earlier snapshots, oldest first.
    pub counts: rustc_hash::FxHashMap<String, Vec<usize>>,
    /// How many earlier snapshots there are.
    pub snapshots: usize,
    /// Threads blocked on a lock in earlier snapshots, by (task id, where it
    /// waits): the first and last snapshot it was seen so, and the first
    /// snapshot's time.
    pub blocked: rustc_hash::FxHashMap<(u64, String), (usize, usize, Option<f64>)>,
}

impl History {
    /// Records the lock waits of one more snapshot (call before counting
    /// it in `snapshots`).
    pub fn note_blocked(&mut self, snap: &Snapshot, graph: &WaitGraph) {
        if snap.runtime == Runtime::Go {
            return;
        }
        let now = self.snapshots;
        for (i, w) in graph.waits.iter().enumerate() {
            let Some(key) = blocked_key(snap, i, w.as_ref()) else {
                continue;
            };
            let entry = self
                .blocked
                .entry(key)
                .or_insert((now, now, snap.time_unix));
            if entry.1 + 1 < now {
                // Not blocked there in the snapshot before: a new wait.
                *entry = (now, now, snap.time_unix);
            }
            entry.1 = now;
        }
    }
}

/// What identifies a thread's wait on a lock across snapshots: its id and
/// the function and line it waits at (objects may move between dumps).
pub fn blocked_key(snap: &Snapshot, task: usize, wait: Option<&Wait>) -> Option<(u64, String)> {
    let wait = wait?;
    if !is_lock(wait.kind) {
        return None;
    }
    let blocked_task = snap.tasks.get(task)?;
    let site = wait.site.map(|f| {
        let fr = snap.tables.frame(f);
        format!("{}:{}", snap.tables.func_name(fr.function), fr.line)
    })?;
    Some((blocked_task.id, format!("{}@{site}", wait.kind.as_str())))
}

impl History {
    /// Adds growth across earlier snapshots to the leak findings it
    /// concerns, and raises them to high.
    pub fn mark_growth(&self, snap: &Snapshot, clusters: &[Cluster], findings: &mut [Finding]) {
        let mut of_task: rustc_hash::FxHashMap<u32, usize> = rustc_hash::FxHashMap::default();
        for (ci, c) in clusters.iter().enumerate() {
            if let Some(&t) = c.tasks.first() {
                of_task.insert(t, ci);
            }
        }
        for f in findings.iter_mut() {
            if !matches!(f.kind, Kind::Leak | Kind::BlockedForever | Kind::Contention) {
                continue;
            }
            let Some(c) = f
                .tasks
                .iter()
                .find_map(|t| of_task.get(t))
                .map(|&ci| &clusters[ci])
            else {
                continue;
            };
            let Some(first) = self
                .counts
                .get(&c.signature(snap))
                .and_then(|v| v.first().copied())
            else {
                continue;
            };
            if c.count() >= first * 2 && c.count() >= first + 10 {
                f.evidence.push(format!(
                    "grew from {first} to {} goroutines over {}",
                    c.count(),
                    crate::analyze::phrase::count(self.snapshots, "earlier dump", "earlier dumps")
                ));
                if f.severity < Severity::High {
                    f.severity = Severity::High;
                }
            }
        }
    }
}
