//! Findings and the wait-for graph in report form.

use super::{EdgeKind, Finding, Graph, GraphEdge, GraphNode, NodeKind, MAX_WAITER_NODES};
use crate::analyze::graph::WaitGraph;
use crate::analyze::heap::HeapAnalysis;
use crate::analyze::phrase::resource_id;
use crate::analyze::series::{rank_across, Ranked};
use crate::analyze::wait::ResKind;
use crate::analyze::{Diagnosis, Group};
use crate::model::{Confidence, Snapshot, TaskFlags};
use rustc_hash::{FxHashMap, FxHashSet};

/// One analysed snapshot.
pub struct Analysed<'a> {
    pub snap: &'a Snapshot,
    pub groups: &'a [Group],
    pub diagnosis: &'a Diagnosis,
}

/// Task index -> group index.
fn group_index(snap: &Snapshot, groups: &[Group]) -> Vec<u32> {
    let mut v = vec![u32::MAX; snap.tasks.len()];
    for (gi, g) in groups.iter().enumerate() {
        for &t in &g.tasks {
            if let Some(x) = v.get_mut(t as usize) {
                *x = gi as u32;
            }
        }
    }
    v
}

/// The report's findings of every snapshot and heap (`heaps` are the heap
/// analyses, in the order of the report's `heap`), in the order ranked
/// across them by the analysis, and the graph of every snapshot.
pub fn build(items: &[Analysed], heaps: &[&HeapAnalysis]) -> (Vec<Finding>, Graph) {
    let diagnoses: Vec<&Diagnosis> = items.iter().map(|a| a.diagnosis).collect();
    let ranked = rank_across(&diagnoses, heaps);
    let multi = items.len() > 1;
    let prefix = |i: usize| {
        if multi {
            format!("s{i}/")
        } else {
            String::new()
        }
    };
    let gidx: Vec<Vec<u32>> = items
        .iter()
        .map(|a| group_index(a.snap, a.groups))
        .collect();
    use rayon::prelude::*;
    let findings: Vec<Finding> = ranked
        .par_iter()
        .enumerate()
        .map(|(rank, origin)| {
            let (snapshot, f) = (origin.snapshot(), origin.finding());
            let heap = match origin {
                Ranked::Heap(hi, h) => Some((*hi, *h)),
                Ranked::Snapshot(..) => None,
            };
            let a = snapshot.and_then(|si| items.get(si));
            let mut groups: Vec<u32> = Vec::new();
            let (mut task_ids, mut resources) = (Vec::new(), Vec::new());
            if let (Some(a), Some(si)) = (a, snapshot) {
                let snap = a.snap;
                let p = prefix(si);
                let mut in_group = vec![false; a.groups.len()];
                for &t in &f.tasks {
                    if let Some(g) = gidx[si]
                        .get(t as usize)
                        .and_then(|&g| in_group.get_mut(g as usize))
                    {
                        *g = true;
                    }
                }
                groups = (0..in_group.len() as u32)
                    .filter(|&g| in_group[g as usize])
                    .collect();
                task_ids = super::ids_of(snap, &f.tasks);
                resources = f
                    .resources
                    .iter()
                    .map(|r| format!("{p}{}", resource_id(snap, &a.diagnosis.graph, *r)))
                    .collect();
            }
            Finding {
                id: format!("f{}", rank + 1),
                rank: rank as u32 + 1,
                kind: f.kind,
                rule: f.rule.id.to_string(),
                severity: f.severity,
                confidence: f.confidence,
                score: f.score,
                snapshot,
                heap: heap.map(|(hi, _)| hi),
                heap_sites: heap.map_or_else(Vec::new, |(_, h)| {
                    h.sites
                        .iter()
                        .copied()
                        .filter(|&s| s < super::heap::MAX_SITES)
                        .collect()
                }),
                title: f.title.clone(),
                explanation: f.explanation.clone(),
                cause: f.rule.cause.to_string(),
                remedy: f.rule.remedy.to_string(),
                sketch: f.rule.sketch.to_string(),
                references: f.rule.references.iter().map(|r| r.to_string()).collect(),
                task_ids,
                task_count: f.tasks.len() as u64,
                groups: groups.iter().map(|g| format!("g{}", g + 1)).collect(),
                resources,
                evidence: f.evidence.clone(),
                user_rule: f.user_rule.clone(),
            }
        })
        .collect();
    let mut graph = Graph::default();
    for (i, a) in items.iter().enumerate() {
        add_graph(&mut graph, i, &prefix(i), a, &gidx[i]);
    }
    (findings, graph)
}

fn shown(kind: ResKind) -> bool {
    kind.is_sync() || kind == ResKind::Select
}

fn add_graph(out: &mut Graph, si: usize, p: &str, a: &Analysed, gidx: &[u32]) {
    let snap = a.snap;
    let g: &WaitGraph = &a.diagnosis.graph;
    // Resource ids are unique; tasks and groups are added once.
    let mut seen_task: Vec<bool> = vec![false; snap.tasks.len()];
    let mut seen_group: FxHashSet<u32> = FxHashSet::default();
    let node = |out: &mut Graph, id: String, kind: NodeKind, count: Option<u64>| {
        out.nodes.push(GraphNode {
            id,
            kind,
            snapshot: si,
            count,
            name: None,
        });
    };
    // A task the dump does not identify (counted profiles) is drawn as its
    // group.
    let anonymous = |t: u32| {
        snap.tasks
            .get(t as usize)
            .is_some_and(|t| t.flags.has(TaskFlags::NO_ID))
    };
    let group_of = |t: u32| gidx.get(t as usize).copied().unwrap_or(u32::MAX);
    let group_id = |gi: u32| {
        if gi == u32::MAX {
            format!("{p}group:ungrouped")
        } else {
            format!("{p}group:g{}", gi + 1)
        }
    };
    let task_id = |t: u32| {
        if anonymous(t) {
            group_id(group_of(t))
        } else {
            format!("{p}task:{}", snap.tasks[t as usize].id)
        }
    };
    let mut task_node = |out: &mut Graph, seen_group: &mut FxHashSet<u32>, t: u32| -> String {
        let id = task_id(t);
        if anonymous(t) {
            let gi = group_of(t);
            if seen_group.insert(gi) {
                let n = a.groups.get(gi as usize).map(|g| g.count() as u64);
                node(out, id.clone(), NodeKind::Group, n);
            }
            return id;
        }
        if let Some(s) = seen_task.get_mut(t as usize) {
            if !*s {
                *s = true;
                node(out, id.clone(), NodeKind::Task, None);
                if let Some(n) = out.nodes.last_mut() {
                    n.name = snap
                        .tasks
                        .get(t as usize)
                        .and_then(|t| snap.task_name(t))
                        .map(str::to_string);
                }
            }
        }
        id
    };
    for (ri, r) in g.resources.iter().enumerate() {
        if !shown(r.kind) {
            continue;
        }
        let rid = format!("{p}{}", resource_id(snap, g, ri as u32));
        node(out, rid.clone(), NodeKind::Resource(r.kind), None);
        if r.waiters.len() <= MAX_WAITER_NODES && !r.waiters.iter().any(|&w| anonymous(w)) {
            for &w in &r.waiters {
                let tid = task_node(out, &mut seen_group, w);
                out.edges.push(GraphEdge {
                    from: tid,
                    to: rid.clone(),
                    kind: EdgeKind::WaitsOn,
                    confidence: Confidence::Certain,
                    evidence: None,
                    count: None,
                });
            }
        } else {
            let mut per_group: FxHashMap<u32, u64> = FxHashMap::default();
            for &w in &r.waiters {
                *per_group
                    .entry(gidx.get(w as usize).copied().unwrap_or(u32::MAX))
                    .or_default() += 1;
            }
            let mut pg: Vec<(u32, u64)> = per_group.into_iter().collect();
            pg.sort_unstable();
            for (gi, n) in pg {
                let gid = group_id(gi);
                if seen_group.insert(gi) {
                    node(out, gid.clone(), NodeKind::Group, Some(n));
                }
                out.edges.push(GraphEdge {
                    from: gid,
                    to: rid.clone(),
                    kind: EdgeKind::WaitsOn,
                    confidence: Confidence::Certain,
                    evidence: None,
                    count: Some(n),
                });
            }
        }
        for h in &r.holders {
            let tid = task_node(out, &mut seen_group, h.task);
            out.edges.push(GraphEdge {
                from: rid.clone(),
                to: tid,
                kind: EdgeKind::HeldBy,
                confidence: h.confidence,
                evidence: Some(h.evidence.clone()),
                count: None,
            });
        }
    }
    for c in &g.cycles {
        let mut ids: Vec<String> = Vec::new();
        for &t in &c.tasks {
            ids.push(task_id(t));
        }
        for &r in &c.resources {
            ids.push(format!("{p}{}", resource_id(snap, g, r)));
        }
        out.cycles.push(ids);
    }
}
