//! Analysis over the model: grouping, the wait-for graph, leak clusters,
//! the rule catalogue and ranking. Reads snapshots, never text.

pub mod cluster;
pub mod diff;
pub mod facts;
pub mod graph;
pub mod group;
pub mod heap;
pub mod rules;
pub mod source;
pub mod vocab;
pub mod wait;

pub use group::{group, Group, Similarity, WaitStats};

use crate::model::Snapshot;
use std::path::PathBuf;
use wait::ResKey;

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
    pub graph: graph::WaitGraph,
    pub clusters: Vec<cluster::Cluster>,
    pub findings: Vec<rules::Finding>,
}

/// Builds the wait-for graph and the clusters and runs the rules.
pub fn diagnose(
    snap: &Snapshot,
    groups: &[Group],
    history: Option<&rules::History>,
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
    history: Option<&rules::History>,
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

/// The stable id of a resource: `mutex@0xc000123408`, or
/// `chan@site:/src/app/main.go:24` when no address is known.
pub fn resource_id(snap: &Snapshot, g: &graph::WaitGraph, r: u32) -> String {
    let Some(res) = g.resources.get(r as usize) else {
        return format!("resource#{r}");
    };
    let kind = res.kind.as_str();
    match res.key {
        ResKey::Addr(a) => format!("{kind}@{a:#x}"),
        ResKey::Object(a) => format!("{kind}@{a:#x}+"),
        ResKey::Site(f) if f.0 == u32::MAX => format!("{kind}@site:unknown"),
        ResKey::Site(f) => {
            let t = &snap.tables;
            let fr = t.frame(f);
            let file = t.str(fr.file);
            if file.is_empty() {
                format!("{kind}@site:{}", t.func_name(fr.function))
            } else {
                format!("{kind}@site:{}:{}", file, fr.line)
            }
        }
    }
}
