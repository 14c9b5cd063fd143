//! Which part of the wait-for graph is drawn: every cycle, then the
//! resources with the most waiters, their holders and a few waiters.

use crate::report::Graph;
use rustc_hash::{FxHashMap, FxHashSet};
use std::fmt::Write as _;

/// Resources drawn in the wait-for graph, those on cycles first.
const MAX_GRAPH_RESOURCES: usize = 30;

/// Resources on cycles drawn at most (a dump full of deadlocks still
/// draws in bounded time and size).
const MAX_CYCLE_RESOURCES: usize = 200;

/// Waiter nodes drawn per resource; the rest become one "+N" node.
const MAX_WAITERS_DRAWN: usize = 4;

pub(super) struct GNode {
    pub(super) id: String,
    pub(super) label: String,
    pub(super) kind: String,
    pub(super) cycle: bool,
}

pub(super) struct GEdge {
    pub(super) from: usize,
    pub(super) to: usize,
    pub(super) kind: &'static str,
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
    let index: FxHashMap<&str, usize> = g
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id.as_str(), i))
        .collect();
    let is_res = |i: usize| !matches!(g.nodes[i].kind.as_str(), "task" | "group");
    // A cycle is listed as the set of its nodes (a strongly connected
    // component): an edge is on it when both ends are in the same set.
    let mut cycle_of: FxHashMap<usize, usize> = FxHashMap::default();
    for (ci, c) in g.cycles.iter().enumerate() {
        for x in c {
            if let Some(&i) = index.get(x.as_str()) {
                cycle_of.insert(i, ci);
            }
        }
    }
    let cycle_nodes: FxHashSet<usize> = cycle_of.keys().copied().collect();
    let on_cycle = |a: usize, b: usize| {
        cycle_of
            .get(&a)
            .is_some_and(|ca| cycle_of.get(&b) == Some(ca))
    };
    // Waiters and holders of each resource.
    let mut waiters: FxHashMap<usize, Vec<(usize, usize)>> = FxHashMap::default();
    let mut holders: FxHashMap<usize, Vec<usize>> = FxHashMap::default();
    let mut weight: FxHashMap<usize, u64> = FxHashMap::default();
    for (ei, e) in g.edges.iter().enumerate() {
        let (Some(&a), Some(&b)) = (index.get(e.from.as_str()), index.get(e.to.as_str())) else {
            continue;
        };
        if e.kind == "waits-on" {
            waiters.entry(b).or_default().push((a, ei));
            *weight.entry(b).or_default() += e.count.unwrap_or(1);
        } else {
            holders.entry(a).or_default().push(ei);
        }
    }
    // Tasks that hold (or will release) something.
    let holding: FxHashSet<&str> = g
        .edges
        .iter()
        .filter(|e| e.kind != "waits-on")
        .map(|e| e.to.as_str())
        .collect();
    let mut res: Vec<usize> = (0..g.nodes.len()).filter(|&i| is_res(i)).collect();
    res.sort_by_key(|&i| {
        (
            !cycle_nodes.contains(&i),
            !holders.contains_key(&i),
            std::cmp::Reverse(weight.get(&i).copied().unwrap_or(0)),
            i,
        )
    });
    let total_res = res.len();
    let mut chosen: Vec<usize> = Vec::new();
    for &r in &res {
        let limit = if cycle_nodes.contains(&r) {
            MAX_CYCLE_RESOURCES
        } else {
            MAX_GRAPH_RESOURCES
        };
        if chosen.len() >= limit {
            break;
        }
        chosen.push(r);
    }
    let mut kept: FxHashMap<usize, usize> = FxHashMap::default();
    let mut out_nodes: Vec<GNode> = Vec::new();
    let mut out_edges: Vec<GEdge> = Vec::new();
    let add = |i: usize, kept: &mut FxHashMap<usize, usize>, out: &mut Vec<GNode>| -> usize {
        if let Some(&k) = kept.get(&i) {
            return k;
        }
        let n = &g.nodes[i];
        let label = match n.kind.as_str() {
            "task" => match &n.name {
                Some(name) => format!(
                    "{one} {} \"{name}\"",
                    n.id.rsplit(':').next().unwrap_or(n.id.as_str())
                ),
                None => format!("{one} {}", n.id.rsplit(':').next().unwrap_or(n.id.as_str())),
            },
            "group" => format!(
                "{} · {} goroutines",
                n.id.rsplit(':').next().unwrap_or(n.id.as_str()),
                n.count.unwrap_or(0)
            ),
            k => {
                let rest = n.id.split_once('@').map_or(n.id.as_str(), |x| x.1);
                // A site key: the file's base name and line say enough.
                let rest = match rest.strip_prefix("site:") {
                    Some(site) => site.rsplit('/').next().unwrap_or(site),
                    None => rest,
                };
                format!("{k} {rest}")
            }
        };
        out.push(GNode {
            id: n.id.clone(),
            label,
            kind: n.kind.clone(),
            cycle: cycle_nodes.contains(&i),
        });
        kept.insert(i, out.len() - 1);
        out.len() - 1
    };
    let mut drawn_edges: FxHashSet<usize> = FxHashSet::default();
    for &r in &chosen {
        let rn = add(r, &mut kept, &mut out_nodes);
        for &ei in holders.get(&r).map_or(&[][..], |v| v.as_slice()) {
            let e = &g.edges[ei];
            let Some(&b) = index.get(e.to.as_str()) else {
                continue;
            };
            let bn = add(b, &mut kept, &mut out_nodes);
            drawn_edges.insert(ei);
            out_edges.push(GEdge {
                from: rn,
                to: bn,
                kind: "held-by",
                cycle: on_cycle(r, b),
                possible: e.confidence == "possible",
                count: e.count,
                title: format!(
                    "held by ({}){}",
                    e.confidence,
                    e.evidence
                        .as_deref()
                        .map(|x| format!(": {x}"))
                        .unwrap_or_default()
                ),
            });
        }
        let mut ws: Vec<(usize, usize)> = waiters.get(&r).cloned().unwrap_or_default();
        // Waiters on a cycle or holding something first, then the biggest.
        ws.sort_by_key(|&(a, ei)| {
            (
                !cycle_nodes.contains(&a),
                !holding.contains(g.nodes[a].id.as_str()),
                std::cmp::Reverse(g.edges[ei].count.unwrap_or(1)),
                ei,
            )
        });
        for (k, &(a, ei)) in ws.iter().enumerate() {
            let e = &g.edges[ei];
            if k >= MAX_WAITERS_DRAWN && !cycle_nodes.contains(&a) && !kept.contains_key(&a) {
                continue;
            }
            let an = add(a, &mut kept, &mut out_nodes);
            drawn_edges.insert(ei);
            out_edges.push(GEdge {
                from: an,
                to: rn,
                kind: "waits-on",
                cycle: on_cycle(a, r),
                possible: false,
                count: e.count,
                title: "waits on".into(),
            });
        }
        let rest: u64 = ws
            .iter()
            .filter(|(_, ei)| !drawn_edges.contains(ei))
            .map(|(_, ei)| g.edges[*ei].count.unwrap_or(1))
            .sum();
        if rest > 0 {
            out_nodes.push(GNode {
                id: format!("more:{}", g.nodes[r].id),
                label: format!("+{rest} more {many}"),
                kind: "more".into(),
                cycle: false,
            });
            let m = out_nodes.len() - 1;
            out_edges.push(GEdge {
                from: m,
                to: rn,
                kind: "waits-on",
                cycle: false,
                possible: false,
                count: Some(rest),
                title: "waits on".into(),
            });
        }
    }
    // Edges between drawn nodes not drawn yet (a holder's own wait).
    for (ei, e) in g.edges.iter().enumerate() {
        if drawn_edges.contains(&ei) {
            continue;
        }
        let (Some(&a), Some(&b)) = (index.get(e.from.as_str()), index.get(e.to.as_str())) else {
            continue;
        };
        let (Some(&an), Some(&bn)) = (kept.get(&a), kept.get(&b)) else {
            continue;
        };
        out_edges.push(GEdge {
            from: an,
            to: bn,
            kind: if e.kind == "waits-on" {
                "waits-on"
            } else {
                "held-by"
            },
            cycle: on_cycle(a, b),
            possible: e.confidence == "possible",
            count: e.count,
            title: e.kind.clone(),
        });
    }
    let drawn_res = chosen.len();
    let mut note = format!(
        "Drawn: {drawn_res} of {total_res} resource{}",
        if total_res == 1 { "" } else { "s" }
    );
    if !g.cycles.is_empty() {
        let _ = write!(
            note,
            ", {} cycle{} (highlighted)",
            g.cycles.len(),
            if g.cycles.len() == 1 { "" } else { "s" }
        );
    }
    if drawn_res < total_res {
        note.push_str("; the others, with fewer waiters, are in the JSON report's graph");
    }
    note.push('.');
    (out_nodes, out_edges, note)
}
