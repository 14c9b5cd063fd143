//! Cycles of the wait-for graph: strongly connected components found with
//! petgraph's iterative Kosaraju.

use super::types::{Cycle, Resource};
use crate::model::Confidence;
use petgraph::graph::{DiGraph, NodeIndex};
use rustc_hash::{FxHashMap, FxHashSet};

/// The wait-for graph as numbered nodes: resources first, then the tasks
/// that hold something.
struct Nodes {
    /// Node of each task on some edge.
    task_node: FxHashMap<u32, u32>,
    edges: Vec<(u32, u32)>,
    /// The surest holder edge from a resource to a task.
    edge_conf: FxHashMap<(u32, u32), Confidence>,
}

/// The edges that can be on a cycle: resource -> holder, holder -> the
/// resource it waits on, and waiter -> resource for waiters that hold
/// something. Only resources with holders can close a cycle.
fn nodes(res_of: &[Option<u32>], resources: &[Resource]) -> Nodes {
    let mut out = Nodes {
        task_node: FxHashMap::default(),
        edges: Vec::new(),
        edge_conf: FxHashMap::default(),
    };
    let nres = resources.len() as u32;
    let node_of_task = |t: u32, m: &mut FxHashMap<u32, u32>| -> u32 {
        let next = nres + m.len() as u32;
        *m.entry(t).or_insert(next)
    };
    // A waiter that holds nothing has no incoming edge and cannot be on a
    // cycle; leaving it out keeps the graph small.
    let holds: FxHashSet<u32> = resources
        .iter()
        .flat_map(|r| r.holders.iter().map(|h| h.task))
        .collect();
    if holds.is_empty() {
        return out;
    }
    for (ri, r) in resources.iter().enumerate() {
        if r.holders.is_empty() {
            continue;
        }
        for h in &r.holders {
            let tn = node_of_task(h.task, &mut out.task_node);
            out.edges.push((ri as u32, tn));
            let conf_entry = out.edge_conf.entry((ri as u32, tn)).or_insert(h.confidence);
            *conf_entry = (*conf_entry).max(h.confidence);
            // The holder's own wait.
            if let Some(hr) = res_of.get(h.task as usize).copied().flatten() {
                out.edges.push((tn, hr));
            }
        }
        for &w in r.waiters.iter().filter(|w| holds.contains(w)) {
            let tn = node_of_task(w, &mut out.task_node);
            out.edges.push((tn, ri as u32));
        }
    }
    out
}

/// Strongly connected components over task and resource nodes, as cycles.
pub fn resource_cycles(res_of: &[Option<u32>], resources: &[Resource]) -> Vec<Cycle> {
    let nodes = nodes(res_of, resources);
    if nodes.edges.is_empty() {
        return Vec::new();
    }
    let nres = resources.len() as u32;
    let total = nres as usize + nodes.task_node.len();
    let mut tasks_of_node: Vec<u32> = vec![u32::MAX; nodes.task_node.len()];
    for (t, n) in &nodes.task_node {
        tasks_of_node[(*n - nres) as usize] = *t;
    }
    let mut out = Vec::new();
    for comp in cycles(total, &nodes.edges) {
        let mut tasks = Vec::new();
        let mut res = Vec::new();
        for n in &comp {
            if *n < nres {
                res.push(*n);
            } else {
                tasks.push(tasks_of_node[(*n - nres) as usize]);
            }
        }
        if tasks.is_empty() || res.is_empty() {
            continue;
        }
        let members: FxHashSet<u32> = comp.iter().copied().collect();
        let confidence = nodes
            .edge_conf
            .iter()
            .filter(|((a, b), _)| members.contains(a) && members.contains(b))
            .map(|(_, c)| *c)
            .min()
            .unwrap_or(Confidence::Possible);
        out.push(cycle(tasks, res, confidence, resources));
    }
    out
}

/// A cycle of these tasks and resources, with the tasks queued behind it.
fn cycle(
    mut tasks: Vec<u32>,
    mut res: Vec<u32>,
    confidence: Confidence,
    resources: &[Resource],
) -> Cycle {
    tasks.sort_unstable();
    res.sort_unstable();
    let on: FxHashSet<u32> = tasks.iter().copied().collect();
    let mut queued: Vec<u32> = res
        .iter()
        .flat_map(|r| resources[*r as usize].waiters.iter().copied())
        .filter(|t| !on.contains(t))
        .collect();
    queued.sort_unstable();
    queued.dedup();
    Cycle {
        tasks,
        resources: res,
        confidence,
        queued,
    }
}

/// The cycles of a directed graph given as edges over `0..n`: every
/// strongly connected component with more than one node, and every node with
/// an edge to itself. Iterative (Kosaraju), so a long chain cannot overflow
/// the stack.
pub fn cycles(n: usize, edges: &[(u32, u32)]) -> Vec<Vec<u32>> {
    let mut graph: DiGraph<(), ()> = DiGraph::with_capacity(n, edges.len());
    for _ in 0..n {
        graph.add_node(());
    }
    let mut self_loops: FxHashSet<u32> = FxHashSet::default();
    for &(a, b) in edges {
        if a as usize >= n || b as usize >= n {
            continue;
        }
        if a == b {
            self_loops.insert(a);
        }
        graph.update_edge(NodeIndex::new(a as usize), NodeIndex::new(b as usize), ());
    }
    let mut out: Vec<Vec<u32>> = petgraph::algo::kosaraju_scc(&graph)
        .into_iter()
        .filter(|c| c.len() > 1 || self_loops.contains(&(c[0].index() as u32)))
        .map(|c| {
            let mut nodes: Vec<u32> = c.into_iter().map(|x| x.index() as u32).collect();
            nodes.sort_unstable();
            nodes
        })
        .collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_node_cycle_and_self_loop() {
        let found = cycles(5, &[(0, 1), (1, 0), (2, 2), (3, 4)]);
        assert_eq!(found, vec![vec![0, 1], vec![2]]);
    }

    #[test]
    fn a_chain_has_no_cycle_and_does_not_overflow() {
        let node_count = 100_000u32;
        let edges: Vec<(u32, u32)> = (0..node_count - 1).map(|i| (i, i + 1)).collect();
        assert!(cycles(node_count as usize, &edges).is_empty());
        // Closing the chain makes one cycle of every node.
        let mut closed = edges.clone();
        closed.push((node_count - 1, 0));
        let found = cycles(node_count as usize, &closed);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].len(), node_count as usize);
    }

    #[test]
    fn out_of_range_edges_are_ignored() {
        assert!(cycles(2, &[(0, 7), (7, 0)]).is_empty());
    }
}
