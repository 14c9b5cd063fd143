//! Which part of the wait-for graph is drawn: every cycle, then the
//! resources with the most waiters, their holders and a few waiters.

use crate::model::Confidence;
use crate::report::{EdgeKind, Graph, GraphNode, NodeKind};
use rustc_hash::{FxHashMap, FxHashSet};
use std::fmt::Write as _;

/// Resources drawn in the wait-for graph, those on cycles first.
const MAX_GRAPH_RESOURCES: usize = 30;

/// Resources on cycles drawn at most (a dump full of deadlocks still
/// draws in bounded time and size).
const MAX_CYCLE_RESOURCES: usize = 200;

/// Waiter nodes drawn per resource; the rest become one "+N" node.
const MAX_WAITERS_DRAWN: usize = 4;

/// What a drawn node stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DrawnKind {
    /// A node of the report's graph.
    Node(NodeKind),
    /// The "+N more" box standing for the waiters not drawn.
    More,
}

/// A node as drawn: a task, a group, a resource or a "+N more" box.
pub(super) struct GNode {
    pub(super) id: String,
    pub(super) label: String,
    pub(super) kind: DrawnKind,
    pub(super) cycle: bool,
}

/// An edge as drawn, between indices into the drawn nodes.
pub(super) struct GEdge {
    pub(super) from: usize,
    pub(super) to: usize,
    pub(super) kind: EdgeKind,
    pub(super) cycle: bool,
    pub(super) possible: bool,
    pub(super) count: Option<u64>,
    pub(super) title: String,
}

/// The interesting part of the graph: every cycle, then the resources with
/// the most waiters (a held resource first), their holders, and a few of
/// their waiters; the rest is counted.
pub(super) fn select_graph(
    g: &Graph,
    (one, many): (&str, &str),
) -> (Vec<GNode>, Vec<GEdge>, String) {
    let mut selection = Selection::new(g, one, many);
    let (chosen, total_res) = selection.chosen_resources();
    for &resource in &chosen {
        let drawn_resource = selection.add_node(resource);
        selection.draw_holders(resource, drawn_resource);
        selection.draw_waiters(resource, drawn_resource, many);
    }
    selection.draw_remaining_edges();
    let note = drawn_note(chosen.len(), total_res, g.cycles.len());
    (selection.nodes, selection.edges, note)
}

/// The graph indexed for choosing, and what has been drawn so far.
struct Selection<'g> {
    graph: &'g Graph,
    /// The task noun, singular.
    one: &'g str,
    /// The task noun, plural.
    many: &'g str,
    index: FxHashMap<&'g str, usize>,
    /// The cycle each node is on.
    cycle_of: FxHashMap<usize, usize>,
    cycle_nodes: FxHashSet<usize>,
    /// Per resource: (waiting node, edge index).
    waiters: FxHashMap<usize, Vec<(usize, usize)>>,
    /// Per resource: its `held-by` edges.
    holders: FxHashMap<usize, Vec<usize>>,
    /// Per resource: the tasks waiting on it.
    weight: FxHashMap<usize, u64>,
    /// Tasks that hold (or will release) something.
    holding: FxHashSet<&'g str>,
    /// Graph node index to drawn node index.
    kept: FxHashMap<usize, usize>,
    drawn_edges: FxHashSet<usize>,
    nodes: Vec<GNode>,
    edges: Vec<GEdge>,
}

impl<'g> Selection<'g> {
    fn new(g: &'g Graph, one: &'g str, many: &'g str) -> Self {
        let index: FxHashMap<&str, usize> = g
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.id.as_str(), i))
            .collect();
        // A cycle is listed as the set of its nodes (a strongly connected
        // component): an edge is on it when both ends are in the same set.
        let mut cycle_of: FxHashMap<usize, usize> = FxHashMap::default();
        for (cycle_index, cycle) in g.cycles.iter().enumerate() {
            for id in cycle {
                if let Some(&node) = index.get(id.as_str()) {
                    cycle_of.insert(node, cycle_index);
                }
            }
        }
        let cycle_nodes: FxHashSet<usize> = cycle_of.keys().copied().collect();
        // Waiters and holders of each resource.
        let mut waiters: FxHashMap<usize, Vec<(usize, usize)>> = FxHashMap::default();
        let mut holders: FxHashMap<usize, Vec<usize>> = FxHashMap::default();
        let mut weight: FxHashMap<usize, u64> = FxHashMap::default();
        for (ei, e) in g.edges.iter().enumerate() {
            let (Some(&a), Some(&b)) = (index.get(e.from.as_str()), index.get(e.to.as_str()))
            else {
                continue;
            };
            if e.kind == EdgeKind::WaitsOn {
                waiters.entry(b).or_default().push((a, ei));
                *weight.entry(b).or_default() += e.count.unwrap_or(1);
            } else {
                holders.entry(a).or_default().push(ei);
            }
        }
        let holding: FxHashSet<&str> = g
            .edges
            .iter()
            .filter(|e| e.kind != EdgeKind::WaitsOn)
            .map(|e| e.to.as_str())
            .collect();
        Selection {
            graph: g,
            one,
            many,
            index,
            cycle_of,
            cycle_nodes,
            waiters,
            holders,
            weight,
            holding,
            kept: FxHashMap::default(),
            drawn_edges: FxHashSet::default(),
            nodes: Vec::new(),
            edges: Vec::new(),
        }
    }

    /// Whether an edge between these graph nodes lies on a cycle.
    fn on_cycle(&self, a: usize, b: usize) -> bool {
        self.cycle_of
            .get(&a)
            .is_some_and(|ca| self.cycle_of.get(&b) == Some(ca))
    }

    /// The resources to draw, in order, and how many there are in all.
    fn chosen_resources(&self) -> (Vec<usize>, usize) {
        let graph = self.graph;
        let mut resources: Vec<usize> = (0..graph.nodes.len())
            .filter(|&i| matches!(graph.nodes[i].kind, NodeKind::Resource(_)))
            .collect();
        resources.sort_by_key(|&i| {
            (
                !self.cycle_nodes.contains(&i),
                !self.holders.contains_key(&i),
                std::cmp::Reverse(self.weight.get(&i).copied().unwrap_or(0)),
                i,
            )
        });
        let total = resources.len();
        let mut chosen: Vec<usize> = Vec::new();
        for &resource in &resources {
            let limit = if self.cycle_nodes.contains(&resource) {
                MAX_CYCLE_RESOURCES
            } else {
                MAX_GRAPH_RESOURCES
            };
            if chosen.len() >= limit {
                break;
            }
            chosen.push(resource);
        }
        (chosen, total)
    }

    /// Draws a graph node once; returns its drawn index.
    fn add_node(&mut self, i: usize) -> usize {
        if let Some(&drawn) = self.kept.get(&i) {
            return drawn;
        }
        let node = &self.graph.nodes[i];
        self.nodes.push(GNode {
            id: node.id.clone(),
            label: node_label(node, (self.one, self.many)),
            kind: DrawnKind::Node(node.kind),
            cycle: self.cycle_nodes.contains(&i),
        });
        self.kept.insert(i, self.nodes.len() - 1);
        self.nodes.len() - 1
    }

    /// The edges from a resource to the tasks holding it.
    fn draw_holders(&mut self, resource: usize, drawn_resource: usize) {
        let graph = self.graph;
        let held_by = self.holders.get(&resource).cloned().unwrap_or_default();
        for ei in held_by {
            let edge = &graph.edges[ei];
            let Some(&b) = self.index.get(edge.to.as_str()) else {
                continue;
            };
            let drawn_holder = self.add_node(b);
            self.drawn_edges.insert(ei);
            self.edges.push(GEdge {
                from: drawn_resource,
                to: drawn_holder,
                kind: EdgeKind::HeldBy,
                cycle: self.on_cycle(resource, b),
                possible: edge.confidence == Confidence::Possible,
                count: edge.count,
                title: format!(
                    "held by ({}){}",
                    edge.confidence,
                    edge.evidence
                        .as_deref()
                        .map(|x| format!(": {x}"))
                        .unwrap_or_default()
                ),
            });
        }
    }

    /// The edges from a few waiters to a resource: those on a cycle or
    /// holding something first, then the biggest; the rest become one
    /// "+N more" node.
    fn draw_waiters(&mut self, resource: usize, drawn_resource: usize, many: &str) {
        let graph = self.graph;
        let mut waiting: Vec<(usize, usize)> =
            self.waiters.get(&resource).cloned().unwrap_or_default();
        waiting.sort_by_key(|&(a, ei)| {
            (
                !self.cycle_nodes.contains(&a),
                !self.holding.contains(graph.nodes[a].id.as_str()),
                std::cmp::Reverse(graph.edges[ei].count.unwrap_or(1)),
                ei,
            )
        });
        for (k, &(a, ei)) in waiting.iter().enumerate() {
            if k >= MAX_WAITERS_DRAWN
                && !self.cycle_nodes.contains(&a)
                && !self.kept.contains_key(&a)
            {
                continue;
            }
            let drawn_waiter = self.add_node(a);
            self.drawn_edges.insert(ei);
            self.edges.push(GEdge {
                from: drawn_waiter,
                to: drawn_resource,
                kind: EdgeKind::WaitsOn,
                cycle: self.on_cycle(a, resource),
                possible: false,
                count: graph.edges[ei].count,
                title: "waits on".into(),
            });
        }
        let rest: u64 = waiting
            .iter()
            .filter(|(_, ei)| !self.drawn_edges.contains(ei))
            .map(|(_, ei)| graph.edges[*ei].count.unwrap_or(1))
            .sum();
        if rest > 0 {
            self.nodes.push(GNode {
                id: format!("more:{}", graph.nodes[resource].id),
                label: format!("+{rest} more {}", if rest == 1 { self.one } else { many }),
                kind: DrawnKind::More,
                cycle: false,
            });
            self.edges.push(GEdge {
                from: self.nodes.len() - 1,
                to: drawn_resource,
                kind: EdgeKind::WaitsOn,
                cycle: false,
                possible: false,
                count: Some(rest),
                title: "waits on".into(),
            });
        }
    }

    /// Edges between drawn nodes not drawn yet (a holder's own wait).
    fn draw_remaining_edges(&mut self) {
        for (ei, e) in self.graph.edges.iter().enumerate() {
            if self.drawn_edges.contains(&ei) {
                continue;
            }
            let (Some(&a), Some(&b)) = (
                self.index.get(e.from.as_str()),
                self.index.get(e.to.as_str()),
            ) else {
                continue;
            };
            let (Some(&drawn_a), Some(&drawn_b)) = (self.kept.get(&a), self.kept.get(&b)) else {
                continue;
            };
            self.edges.push(GEdge {
                from: drawn_a,
                to: drawn_b,
                kind: e.kind,
                cycle: self.on_cycle(a, b),
                possible: e.confidence == Confidence::Possible,
                count: e.count,
                title: e.kind.to_string(),
            });
        }
    }
}

/// A node's label: a task by number and name, a group by its id and
/// size, a resource by kind, name (when known) and address or site.
fn node_label(node: &GraphNode, (one, many): (&str, &str)) -> String {
    let short_id = node.id.rsplit(':').next().unwrap_or(node.id.as_str());
    match node.kind {
        NodeKind::Task => match &node.name {
            Some(name) => format!("{one} {short_id} \"{name}\""),
            None => format!("{one} {short_id}"),
        },
        NodeKind::Group => {
            let n = node.count.unwrap_or(0);
            format!("{short_id} · {n} {}", if n == 1 { one } else { many })
        }
        NodeKind::Resource(kind) => {
            let rest = node.id.split_once('@').map_or(node.id.as_str(), |x| x.1);
            // A site key: the file's base name and line say enough.
            let rest = match rest.strip_prefix("site:") {
                Some(site) => site.rsplit('/').next().unwrap_or(site),
                None => rest,
            };
            match &node.name {
                Some(name) if rest.starts_with("name:") => format!("{} {name}", kind.as_str()),
                Some(name) => format!("{} {name} {rest}", kind.as_str()),
                None => format!("{} {rest}", kind.as_str()),
            }
        }
    }
}

/// What the drawing shows of the whole graph.
fn drawn_note(drawn_res: usize, total_res: usize, cycles: usize) -> String {
    let mut note = format!(
        "Drawn: {drawn_res} of {total_res} resource{}",
        if total_res == 1 { "" } else { "s" }
    );
    if cycles > 0 {
        let _ = write!(
            note,
            ", {} cycle{} (highlighted)",
            cycles,
            if cycles == 1 { "" } else { "s" }
        );
    }
    if drawn_res < total_res {
        note.push_str("; the others, with fewer waiters, are in the JSON report's graph");
    }
    note.push('.');
    note
}
