//! Analysis over the model: grouping (`group`); the waits and holds of
//! every runtime as facts (`wait` with the per-runtime `vocab` kept as data,
//! `facts`, locks read from Go sources in `source`) and the wait-for graph
//! built from them alone (`graph`); leak clusters (`cluster`); the rule
//! catalogue and its families (`rules`); findings and their ranking
//! (`finding`); shared phrasing and naming (`phrase`); the heap analysis
//! (`heap`); the diff (`diff`); and the series of snapshots of one run
//! (`history`, `series`). Reads snapshots, never text; returns analysis
//! types that the report converts.

pub mod cluster;
pub mod diff;
pub mod facts;
pub mod finding;
pub mod graph;
pub mod group;
pub mod heap;
pub mod history;
pub mod partner;
pub mod phrase;
pub mod rules;
pub mod series;
pub mod source;
pub mod srclocks;
pub mod wait;

pub use group::{group, Group, Similarity, WaitStats};

use crate::model::Snapshot;
use std::path::PathBuf;

/// Options of the diagnosis.
#[derive(Debug, Clone, Default)]
pub struct DiagnoseOptions {
    /// `--source-root`: where to read Go sources to infer held locks.
    pub source_root: Option<PathBuf>,
    /// Also read sources at the paths the dump names, when they exist.
    pub dump_paths: bool,
    /// `--rules`.
    pub user_rules: rules::user::UserRules,
    /// `--no-diagnose`: group only; no graph, clusters or findings.
    pub skip: bool,
}

/// The diagnosis of one snapshot.
pub struct Diagnosis {
    /// The wait-for graph.
    pub graph: graph::WaitGraph,
    /// Leak clusters: tasks blocked at the same place.
    pub clusters: Vec<cluster::Cluster>,
    /// Ranked findings, most urgent first.
    pub findings: Vec<finding::Finding>,
}

/// Builds the wait-for graph and the clusters and runs the rules.
pub fn diagnose(
    snap: &Snapshot,
    groups: &[Group],
    history: Option<&history::History>,
    opts: &DiagnoseOptions,
) -> Diagnosis {
    let pre = prepare(snap, opts);
    conclude(snap, groups, pre, history, opts)
}

/// The part of the diagnosis that needs no groups: the wait-for graph and
/// the leak clusters. It can run beside the grouping.
pub struct Prepared {
    graph: graph::WaitGraph,
    clusters: Vec<cluster::Cluster>,
}

/// Builds the wait-for graph and the leak clusters of a snapshot (nothing
/// when the diagnosis is skipped).
pub fn prepare(snap: &Snapshot, opts: &DiagnoseOptions) -> Prepared {
    if opts.skip {
        return Prepared {
            graph: graph::WaitGraph::default(),
            clusters: Vec::new(),
        };
    }
    let mut sources = source::SourceIndex::new(opts.source_root.clone(), opts.dump_paths);
    let (graph, clusters) =
        graph::build_with(snap, &mut sources, |waits| cluster::of_waits(snap, waits));
    Prepared { graph, clusters }
}

/// Runs the rules over a prepared snapshot.
pub fn conclude(
    snap: &Snapshot,
    groups: &[Group],
    pre: Prepared,
    history: Option<&history::History>,
    opts: &DiagnoseOptions,
) -> Diagnosis {
    let Prepared { graph, clusters } = pre;
    let findings = if opts.skip {
        Vec::new()
    } else {
        rules::diagnose(snap, &graph, groups, &clusters, history, &opts.user_rules)
    };
    Diagnosis {
        graph,
        clusters,
        findings,
    }
}
