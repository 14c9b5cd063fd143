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
    /// The snapshot as parsed.
    pub snap: &'a Snapshot,
    /// Its groups of tasks, in report order.
    pub groups: &'a [Group],
    /// Its findings and wait-for graph.
    pub diagnosis: &'a Diagnosis,
}

/// Task index -> group index.
fn group_index(snap: &Snapshot, groups: &[Group]) -> Vec<u32> {
    let mut group_of = vec![u32::MAX; snap.tasks.len()];
    for (group_index, group) in groups.iter().enumerate() {
        for &task in &group.tasks {
            if let Some(slot) = group_of.get_mut(task as usize) {
                *slot = group_index as u32;
            }
        }
    }
    group_of
}

/// The report's findings of every snapshot and heap (`heaps` are the heap
/// analyses, in the order of the report's `heap`), in the order ranked
/// across them by the analysis, and the graph of every snapshot.
pub fn build(items: &[Analysed], heaps: &[&HeapAnalysis]) -> (Vec<Finding>, Graph) {
    let diagnoses: Vec<&Diagnosis> = items.iter().map(|item| item.diagnosis).collect();
    let ranked = rank_across(&diagnoses, heaps);
    let multi = items.len() > 1;
    let prefix = |index: usize| {
        if multi {
            format!("s{index}/")
        } else {
            String::new()
        }
    };
    let group_of: Vec<Vec<u32>> = items
        .iter()
        .map(|item| group_index(item.snap, item.groups))
        .collect();
    let links = Links::new(&ranked);
    use rayon::prelude::*;
    let findings: Vec<Finding> = ranked
        .par_iter()
        .enumerate()
        .map(|(rank, origin)| {
            let context = origin.snapshot().and_then(|index| {
                Some(SnapshotContext {
                    analysed: items.get(index)?,
                    group_of: group_of.get(index)?,
                    prefix: prefix(index),
                })
            });
            let mut report = finding_report(rank, origin, context.as_ref());
            if let Ranked::Snapshot(index, finding) = origin {
                report.caused_by = links.ids(*index, &finding.caused_by);
                report.explains = links
                    .symptoms
                    .get(&(*index, finding.key))
                    .cloned()
                    .unwrap_or_default();
            }
            report
        })
        .collect();
    let mut graph = Graph::default();
    for (index, analysed) in items.iter().enumerate() {
        add_graph(
            &mut graph,
            index,
            &prefix(index),
            analysed,
            &group_of[index],
        );
    }
    // What the room made for the graph's waiters left unused.
    graph.nodes.shrink_to_fit();
    graph.edges.shrink_to_fit();
    (findings, graph)
}

/// The report ids of linked findings: by snapshot and key, and the
/// symptoms of each cause, in rank order.
struct Links {
    ids: FxHashMap<(usize, u32), String>,
    symptoms: FxHashMap<(usize, u32), Vec<String>>,
}

impl Links {
    fn new(ranked: &[Ranked]) -> Links {
        let mut ids = FxHashMap::default();
        for (rank, origin) in ranked.iter().enumerate() {
            if let Ranked::Snapshot(index, finding) = origin {
                if finding.key != u32::MAX {
                    ids.insert((*index, finding.key), format!("f{}", rank + 1));
                }
            }
        }
        let mut symptoms: FxHashMap<(usize, u32), Vec<String>> = FxHashMap::default();
        for (rank, origin) in ranked.iter().enumerate() {
            if let Ranked::Snapshot(index, finding) = origin {
                for &cause in &finding.caused_by {
                    if ids.contains_key(&(*index, cause)) {
                        symptoms
                            .entry((*index, cause))
                            .or_default()
                            .push(format!("f{}", rank + 1));
                    }
                }
            }
        }
        Links { ids, symptoms }
    }

    /// The ids of the findings `keys` of snapshot `index` (those reported).
    fn ids(&self, index: usize, keys: &[u32]) -> Vec<String> {
        keys.iter()
            .filter_map(|key| self.ids.get(&(index, *key)).cloned())
            .collect()
    }
}

/// The snapshot a finding is about, as the report names its parts.
struct SnapshotContext<'a, 'b> {
    analysed: &'b Analysed<'a>,
    /// Task index -> group index.
    group_of: &'b [u32],
    /// `sN/` when the report has several snapshots, else empty.
    prefix: String,
}

/// The report form of the finding ranked `rank` (0 for the first).
fn finding_report(rank: usize, origin: &Ranked, context: Option<&SnapshotContext>) -> Finding {
    let finding = origin.finding();
    let heap = match origin {
        Ranked::Heap(heap_index, heap_finding) => Some((*heap_index, *heap_finding)),
        Ranked::Snapshot(..) => None,
    };
    let mut groups: Vec<u32> = Vec::new();
    let (mut task_ids, mut resources) = (Vec::new(), Vec::new());
    if let Some(context) = context {
        let analysed = context.analysed;
        let snap = analysed.snap;
        let mut in_group = vec![false; analysed.groups.len()];
        for &task in &finding.tasks {
            if let Some(slot) = context
                .group_of
                .get(task as usize)
                .and_then(|&group| in_group.get_mut(group as usize))
            {
                *slot = true;
            }
        }
        groups = (0..in_group.len() as u32)
            .filter(|&group| in_group[group as usize])
            .collect();
        task_ids = super::ids_of(snap, &finding.tasks);
        resources = finding
            .resources
            .iter()
            .map(|&resource| {
                let id = resource_id(snap, &analysed.diagnosis.graph, resource);
                format!("{}{id}", context.prefix)
            })
            .collect();
    }
    let rule = finding.rule;
    let advice = finding.advice_rule();
    Finding {
        id: format!("f{}", rank + 1),
        rank: rank as u32 + 1,
        kind: finding.kind,
        rule: rule.id.to_string(),
        severity: finding.severity,
        confidence: finding.confidence,
        score: finding.score,
        snapshot: origin.snapshot(),
        heap: heap.map(|(heap_index, _)| heap_index),
        heap_sites: heap.map_or_else(Vec::new, |(_, heap_finding)| {
            heap_finding
                .sites
                .iter()
                .copied()
                .filter(|&site| site < super::heap::MAX_SITES)
                .collect()
        }),
        title: finding.title.clone(),
        explanation: finding.explanation.clone(),
        cause: advice.cause.to_string(),
        remedy: advice.remedy.to_string(),
        sketch: advice.sketch.to_string(),
        references: advice.references.iter().map(|r| r.to_string()).collect(),
        advice_rule: (!std::ptr::eq(advice, rule)).then(|| advice.id.to_string()),
        caused_by: Vec::new(),
        explains: Vec::new(),
        also_in: finding.also_in.clone(),
        task_ids,
        task_count: finding.tasks.len() as u64,
        groups: groups
            .iter()
            .map(|group| format!("g{}", group + 1))
            .collect(),
        resources,
        evidence: finding.evidence.clone(),
        user_rule: finding.user_rule.clone(),
    }
}

fn shown(kind: ResKind) -> bool {
    kind.is_sync() || kind == ResKind::Select
}

/// Adds one snapshot's part of the wait-for graph to `out`.
fn add_graph(
    out: &mut Graph,
    snapshot: usize,
    prefix: &str,
    analysed: &Analysed,
    group_of: &[u32],
) {
    let graph: &WaitGraph = &analysed.diagnosis.graph;
    let mut builder = GraphBuilder {
        out,
        snapshot,
        prefix,
        analysed,
        group_of,
        seen_task: vec![false; analysed.snap.tasks.len()],
        seen_group: FxHashSet::default(),
    };
    // Room for as many nodes and edges as the resources shown can add (a
    // task or a group per waiter at most), made at once and trimmed at the
    // end: growing by doubling would hold twice the graph of a dump where
    // every task waits on a resource of its own.
    let (mut nodes, mut edges) = (0, 0);
    for resource in graph.resources.iter().filter(|r| shown(r.kind)) {
        nodes += 1 + resource.waiters.len() + resource.holders.len();
        edges += resource.waiters.len() + resource.holders.len();
    }
    builder.out.nodes.reserve(nodes);
    builder.out.edges.reserve(edges);
    for (index, resource) in graph.resources.iter().enumerate() {
        if !shown(resource.kind) {
            continue;
        }
        let resource_node = builder.prefixed(&resource_id(analysed.snap, graph, index as u32));
        builder.node(
            resource_node.clone(),
            NodeKind::Resource(resource.kind),
            None,
        );
        if let Some(node) = builder.out.nodes.last_mut() {
            node.name.clone_from(&resource.name);
        }
        builder.add_waiters(&resource.waiters, &resource_node);
        for holder in &resource.holders {
            let holder_node = builder.task_node(holder.task);
            builder.out.edges.push(GraphEdge {
                from: resource_node.clone(),
                to: holder_node,
                kind: EdgeKind::HeldBy,
                confidence: holder.confidence,
                evidence: Some(holder.evidence.clone()),
                count: None,
            });
        }
    }
    for cycle in &graph.cycles {
        let mut ids: Vec<String> = Vec::new();
        for &task in &cycle.tasks {
            ids.push(builder.task_id(task));
        }
        for &resource in &cycle.resources {
            ids.push(builder.prefixed(&resource_id(analysed.snap, graph, resource)));
        }
        builder.out.cycles.push(ids);
    }
}

/// The graph of one snapshot being added to the report's graph: resource
/// ids are unique, tasks and groups are added once.
struct GraphBuilder<'a, 'b> {
    out: &'b mut Graph,
    /// Position of the snapshot in the report.
    snapshot: usize,
    /// `sN/` when the report has several snapshots, else empty.
    prefix: &'b str,
    analysed: &'b Analysed<'a>,
    /// Task index -> group index.
    group_of: &'b [u32],
    seen_task: Vec<bool>,
    seen_group: FxHashSet<u32>,
}

impl GraphBuilder<'_, '_> {
    /// A node id with the snapshot's prefix.
    fn prefixed(&self, id: &str) -> String {
        format!("{}{id}", self.prefix)
    }

    fn node(&mut self, id: String, kind: NodeKind, count: Option<u64>) {
        self.out.nodes.push(GraphNode {
            id,
            kind,
            snapshot: self.snapshot,
            count,
            name: None,
        });
    }

    /// A task the dump does not identify (counted profiles) is drawn as its
    /// group.
    fn anonymous(&self, task: u32) -> bool {
        self.analysed
            .snap
            .tasks
            .get(task as usize)
            .is_some_and(|task| task.flags.has(TaskFlags::NO_ID))
    }

    fn group_of(&self, task: u32) -> u32 {
        self.group_of
            .get(task as usize)
            .copied()
            .unwrap_or(u32::MAX)
    }

    fn group_id(&self, group: u32) -> String {
        if group == u32::MAX {
            format!("{}group:ungrouped", self.prefix)
        } else {
            format!("{}group:g{}", self.prefix, group + 1)
        }
    }

    fn task_id(&self, task: u32) -> String {
        if self.anonymous(task) {
            self.group_id(self.group_of(task))
        } else {
            format!(
                "{}task:{}",
                self.prefix, self.analysed.snap.tasks[task as usize].id
            )
        }
    }

    /// The node of a task (or of its group, for an anonymous task), added
    /// the first time; returns its id.
    fn task_node(&mut self, task: u32) -> String {
        let id = self.task_id(task);
        if self.anonymous(task) {
            let group = self.group_of(task);
            if self.seen_group.insert(group) {
                let count = self
                    .analysed
                    .groups
                    .get(group as usize)
                    .map(|group| group.count() as u64);
                self.node(id.clone(), NodeKind::Group, count);
            }
            return id;
        }
        if self.seen_task.get(task as usize) == Some(&false) {
            self.seen_task[task as usize] = true;
            self.node(id.clone(), NodeKind::Task, None);
            let snap = self.analysed.snap;
            if let Some(node) = self.out.nodes.last_mut() {
                node.name = snap
                    .tasks
                    .get(task as usize)
                    .and_then(|task| snap.task_name(task))
                    .map(str::to_string);
            }
        }
        id
    }

    /// The `waits-on` edges into a resource: one per waiting task, or one
    /// per group (with a count) when there are too many waiters or some
    /// are anonymous.
    fn add_waiters(&mut self, waiters: &[u32], resource_node: &str) {
        if waiters.len() <= MAX_WAITER_NODES && !waiters.iter().any(|&task| self.anonymous(task)) {
            for &waiter in waiters {
                let waiter_node = self.task_node(waiter);
                self.out.edges.push(GraphEdge {
                    from: waiter_node,
                    to: resource_node.to_string(),
                    kind: EdgeKind::WaitsOn,
                    confidence: Confidence::Certain,
                    evidence: None,
                    count: None,
                });
            }
            return;
        }
        let mut per_group: FxHashMap<u32, u64> = FxHashMap::default();
        for &waiter in waiters {
            *per_group.entry(self.group_of(waiter)).or_default() += 1;
        }
        let mut per_group: Vec<(u32, u64)> = per_group.into_iter().collect();
        per_group.sort_unstable();
        for (group, count) in per_group {
            let group_node = self.group_id(group);
            if self.seen_group.insert(group) {
                self.node(group_node.clone(), NodeKind::Group, Some(count));
            }
            self.out.edges.push(GraphEdge {
                from: group_node,
                to: resource_node.to_string(),
                kind: EdgeKind::WaitsOn,
                confidence: Confidence::Certain,
                evidence: None,
                count: Some(count),
            });
        }
    }
}
