//! What changed between dumps of one process taken in time order: goroutine
//! groups that appeared, grew, shrank or vanished (`groups.rs`), goroutines
//! stuck at the same place in every dump, busy loops and what is spawning
//! the new goroutines (`tasks.rs`), and heap growth by function and by stack
//! (`memory.rs`). The values are analysis types (`types.rs`); the report
//! converts them.

pub mod groups;
pub mod memory;
pub mod rules;
pub mod tasks;
pub mod types;

pub use rules::RULES;
pub use types::{DiffAnalysis, Times};

use super::finding::Finding;
use super::heap::HeapFinding;
use crate::model::heap::HeapProfile;
use crate::model::Snapshot;
use types::DiffPoint;

/// Groups kept in the analysis (the rest are counted).
pub const MAX_GROUPS: usize = 500;

/// What the diff adds to the newest snapshot's and heap's findings.
pub struct DiffOutcome {
    /// What changed.
    pub diff: DiffAnalysis,
    /// Findings about the newest goroutine snapshot (task indices into it).
    pub findings: Vec<Finding>,
    /// Findings about the newest heap snapshot.
    pub heap_findings: Vec<HeapFinding>,
}

/// Compares the goroutine snapshots `snaps` and the heap snapshots `heaps`,
/// each in time order.
pub fn diff(
    snaps: &[&Snapshot],
    snap_times: &Times,
    heaps: &[&HeapProfile],
    heap_times: &Times,
) -> DiffOutcome {
    let (mut rows, group_of) = groups::match_groups(snaps, snap_times);
    let minutes = snap_times.span().map(|s| s / 60.0);
    let mut findings = groups::growth_findings(&rows, snaps.len(), minutes);
    let groups_total = rows.len();
    rows.truncate(MAX_GROUPS);
    // Per goroutine, where ids exist.
    let (stuck, spinning, spawners) = tasks::per_task(snaps, &group_of, &mut findings);
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
    let (heap, heap_findings) = memory::heap_diff(heaps, heap_times);
    DiffOutcome {
        diff: DiffAnalysis {
            snapshots: points,
            times_from: snap_times.from,
            span_seconds: snap_times.span(),
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
