//! Drawing the wait-for graph as SVG: a layered layout of each connected
//! part, parts packed on shelves.

use super::escape::{esc, text};
use super::graph_select::{DrawnKind, GEdge, GNode};
use crate::report::clip;
use crate::report::NodeKind;
use std::collections::VecDeque;
use std::fmt::Write as _;

/// Node box width.
const NODE_W: f64 = 210.0;
/// Node box height.
const NODE_H: f64 = 30.0;
/// Gap between layers.
const COL_GAP: f64 = 90.0;
/// Gap between nodes of one layer.
const ROW_GAP: f64 = 14.0;
/// Width beyond which parts of the graph go on a new shelf.
const GRAPH_MAX_W: f64 = 1340.0;
/// Padding left and right of a node's label.
const LABEL_PAD: f64 = 8.0;
/// The advance of one character of the labels' monospace font (12 px; a
/// monospace font's characters are 0.6 em wide, rounded up).
const CHAR_W: f64 = 7.3;
/// Characters of a label that fit in its box; longer labels are cut with
/// `…`, the whole label in the node's tooltip.
const LABEL_CHARS: usize = ((NODE_W - 2.0 * LABEL_PAD) / CHAR_W) as usize;
/// Natural widths from which the drawing stops shrinking with the page and
/// scrolls in its frame instead (the labels would be too small to read).
const SHRINK_MIN_W: f64 = 640.0;

/// Layered drawing: each weakly connected part on its own band; within it
/// layers by longest path once back edges (found by a depth-first search)
/// are set aside, rows ordered by the mean row of their predecessors.
pub(super) fn graph_svg(nodes: &[GNode], edges: &[GEdge]) -> String {
    let layout = Layout::new(nodes, edges);
    let (width, height) = (layout.width, layout.height);
    let mut svg = String::new();
    // At its natural size when the page has room; scaled down to the
    // frame's width (viewBox) when not, down to a legible size, below
    // which the frame scrolls.
    let wide = if width > SHRINK_MIN_W { " wide" } else { "" };
    let _ = writeln!(
        svg,
        "<div class=\"scroll graph-frame{wide}\"><svg id=\"wait-graph\" xmlns=\"http://www.w3.org/2000/svg\" \
         width=\"{width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\" \
         preserveAspectRatio=\"xMinYMin meet\" role=\"img\" aria-label=\"wait-for graph\">"
    );
    svg.push_str(
        "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" \
         markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" \
         class=\"arrowhead\"/></marker><marker id=\"arrow-cycle\" viewBox=\"0 0 10 10\" refX=\"10\" \
         refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path \
         d=\"M0,0 L10,5 L0,10 z\" class=\"arrowhead cycle\"/></marker></defs>\n",
    );
    for (k, edge) in edges.iter().enumerate() {
        if edge.from < nodes.len() && edge.to < nodes.len() {
            draw_edge(&mut svg, edge, &layout.pos, layout.back[k]);
        }
    }
    for (v, node) in nodes.iter().enumerate() {
        draw_node(&mut svg, v, node, layout.pos[v]);
    }
    svg.push_str("</svg></div>\n");
    svg
}

/// Where each node goes, which edges point back, and the drawing's size.
struct Layout {
    pos: Vec<(f64, f64)>,
    back: Vec<bool>,
    width: f64,
    height: f64,
}

impl Layout {
    fn new(nodes: &[GNode], edges: &[GEdge]) -> Self {
        let n = nodes.len();
        let mut out_adj: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (k, e) in edges.iter().enumerate() {
            if e.from < n && e.to < n {
                out_adj[e.from].push(k);
            }
        }
        let comps = components(nodes, edges);
        let back = back_edges(n, &out_adj, edges, &comps);
        let layer = layers(n, &out_adj, edges, &back);
        let (pos, max_x, bottom) = place(n, edges, &back, &comps, &layer);
        Layout {
            pos,
            back,
            width: max_x + 40.0,
            // Room below the last shelf for edges drawn back underneath.
            height: bottom + 50.0,
        }
    }
}

/// Weakly connected parts, each sorted; parts with a cycle first, then
/// the biggest.
fn components(nodes: &[GNode], edges: &[GEdge]) -> Vec<Vec<usize>> {
    let n = nodes.len();
    let mut undirected: Vec<Vec<usize>> = vec![Vec::new(); n];
    for e in edges {
        if e.from < n && e.to < n {
            undirected[e.from].push(e.to);
            undirected[e.to].push(e.from);
        }
    }
    let mut comp = vec![usize::MAX; n];
    let mut comps: Vec<Vec<usize>> = Vec::new();
    for start in 0..n {
        if comp[start] != usize::MAX {
            continue;
        }
        let c = comps.len();
        let mut stack = vec![start];
        comp[start] = c;
        let mut members = Vec::new();
        while let Some(v) = stack.pop() {
            members.push(v);
            for &w in &undirected[v] {
                if comp[w] == usize::MAX {
                    comp[w] = c;
                    stack.push(w);
                }
            }
        }
        members.sort_unstable();
        comps.push(members);
    }
    comps.sort_by_key(|m| {
        (
            !m.iter().any(|&v| nodes[v].cycle),
            std::cmp::Reverse(m.len()),
            m[0],
        )
    });
    comps
}

/// Back edges, found by an iterative depth-first search part by part.
fn back_edges(
    n: usize,
    out_adj: &[Vec<usize>],
    edges: &[GEdge],
    comps: &[Vec<usize>],
) -> Vec<bool> {
    let mut back = vec![false; edges.len()];
    let mut state = vec![0u8; n]; // 0 new, 1 on stack, 2 done
    for m in comps {
        for &start in m {
            if state[start] != 0 {
                continue;
            }
            let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
            state[start] = 1;
            while let Some(&mut (v, ref mut next)) = stack.last_mut() {
                if let Some(&k) = out_adj[v].get(*next) {
                    *next += 1;
                    let w = edges[k].to;
                    match state[w] {
                        0 => {
                            state[w] = 1;
                            stack.push((w, 0));
                        }
                        1 => back[k] = true,
                        _ => {}
                    }
                } else {
                    state[v] = 2;
                    stack.pop();
                }
            }
        }
    }
    back
}

/// Longest-path layers over forward edges (Kahn order).
fn layers(n: usize, out_adj: &[Vec<usize>], edges: &[GEdge], back: &[bool]) -> Vec<usize> {
    let mut indeg = vec![0usize; n];
    for (k, e) in edges.iter().enumerate() {
        if !back[k] && e.from < n && e.to < n {
            indeg[e.to] += 1;
        }
    }
    let mut layer = vec![0usize; n];
    let mut queue: VecDeque<usize> = (0..n).filter(|&v| indeg[v] == 0).collect();
    while let Some(v) = queue.pop_front() {
        for &k in &out_adj[v] {
            if back[k] {
                continue;
            }
            let w = edges[k].to;
            layer[w] = layer[w].max(layer[v] + 1);
            indeg[w] -= 1;
            if indeg[w] == 0 {
                queue.push_back(w);
            }
        }
    }
    layer
}

/// Node positions: parts packed on shelves, left to right, as wide as a
/// screen. Returns the positions, the right edge and the bottom of the
/// last shelf.
fn place(
    n: usize,
    edges: &[GEdge],
    back: &[bool],
    comps: &[Vec<usize>],
    layer: &[usize],
) -> (Vec<(f64, f64)>, f64, f64) {
    let mut pos = vec![(0.0f64, 0.0f64); n];
    let (mut shelf_x, mut shelf_y, mut shelf_h) = (20.0f64, 20.0f64, 0.0f64);
    let mut max_x: f64 = 0.0;
    // Forward predecessors of each node, for ordering rows.
    let mut preds: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (k, e) in edges.iter().enumerate() {
        if !back[k] && e.from < n && e.to < n {
            preds[e.to].push(e.from);
        }
    }
    let mut row_of = vec![0.0f64; n];
    for m in comps {
        let rows = ordered_rows(m, layer, &preds, &mut row_of);
        let height = rows.iter().map(|r| r.len()).max().unwrap_or(1) as f64;
        let comp_w = rows.len() as f64 * (NODE_W + COL_GAP) - COL_GAP;
        let comp_h = height * (NODE_H + ROW_GAP) - ROW_GAP;
        if shelf_x > 20.0 && shelf_x + comp_w > GRAPH_MAX_W {
            shelf_y += shelf_h + 50.0;
            (shelf_x, shelf_h) = (20.0, 0.0);
        }
        for (li, row) in rows.iter().enumerate() {
            // Centre short layers in the band.
            let off = (height - row.len() as f64) / 2.0 * (NODE_H + ROW_GAP);
            for (ri, &v) in row.iter().enumerate() {
                let x = shelf_x + li as f64 * (NODE_W + COL_GAP);
                let y = shelf_y + off + ri as f64 * (NODE_H + ROW_GAP);
                pos[v] = (x, y);
                max_x = max_x.max(x + NODE_W);
            }
        }
        shelf_x += comp_w + 70.0;
        shelf_h = shelf_h.max(comp_h);
    }
    (pos, max_x, shelf_y + shelf_h)
}

/// One part's nodes by layer, each layer after the first ordered by the
/// mean row of its nodes' predecessors; records each node's row.
fn ordered_rows(
    members: &[usize],
    layer: &[usize],
    preds: &[Vec<usize>],
    row_of: &mut [f64],
) -> Vec<Vec<usize>> {
    let layers = members.iter().map(|&v| layer[v]).max().unwrap_or(0) + 1;
    let mut rows: Vec<Vec<usize>> = vec![Vec::new(); layers];
    for &v in members {
        rows[layer[v]].push(v);
    }
    for (li, row) in rows.iter_mut().enumerate() {
        if li > 0 {
            // Predecessors are in the same part (edges join parts).
            let key = |v: usize| -> f64 {
                let p = &preds[v];
                if p.is_empty() {
                    f64::MAX
                } else {
                    p.iter().map(|&u| row_of[u]).sum::<f64>() / p.len() as f64
                }
            };
            let mut keyed: Vec<(f64, usize)> = row.iter().map(|&v| (key(v), v)).collect();
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            *row = keyed.into_iter().map(|x| x.1).collect();
        }
        for (ri, &v) in row.iter().enumerate() {
            row_of[v] = ri as f64;
        }
    }
    rows
}

/// One edge: a curve to the next layer, or a loop below both nodes back
/// to an earlier one; its count next to the source.
fn draw_edge(svg: &mut String, e: &GEdge, pos: &[(f64, f64)], back: bool) {
    let (ax, ay) = pos[e.from];
    let (bx, by) = pos[e.to];
    let (x1, y1) = (ax + NODE_W, ay + NODE_H / 2.0);
    let (x2, y2) = (bx, by + NODE_H / 2.0);
    let d = if back || x2 <= x1 {
        // Back to an earlier layer: a loop below both nodes.
        let (sx, sy) = (ax + NODE_W / 2.0, ay + NODE_H);
        let (tx, ty) = (bx + NODE_W / 2.0, by + NODE_H);
        let dip = sy.max(ty) + 28.0;
        format!("M{sx:.1},{sy:.1} C{sx:.1},{dip:.1} {tx:.1},{dip:.1} {tx:.1},{ty:.1}")
    } else {
        let mx = (x1 + x2) / 2.0;
        format!("M{x1:.1},{y1:.1} C{mx:.1},{y1:.1} {mx:.1},{y2:.1} {x2:.1},{y2:.1}")
    };
    let mut class = format!("edge {}", e.kind);
    if e.cycle {
        class.push_str(" cycle");
    }
    if e.possible {
        class.push_str(" possible");
    }
    let marker = if e.cycle { "arrow-cycle" } else { "arrow" };
    let _ = writeln!(
        svg,
        "<path class=\"{class}\" d=\"{d}\" marker-end=\"url(#{marker})\"><title>{}</title></path>",
        text(&e.title)
    );
    if let Some(c) = e.count.filter(|&c| c > 1) {
        // Next to the source, where edges into one node have not met.
        let (lx, ly) = (x1 + 6.0, y1 - 5.0);
        let _ = writeln!(
            svg,
            "<text class=\"edge-label\" x=\"{lx:.1}\" y=\"{ly:.1}\">×{c}</text>"
        );
    }
}

/// One node (the `v`th drawn): a box with its label, cut to fit the box
/// (and clipped to it, whatever a font draws wider), the whole label and
/// id on hover.
fn draw_node(svg: &mut String, v: usize, node: &GNode, (x, y): (f64, f64)) {
    let kind_class = match node.kind {
        DrawnKind::Node(NodeKind::Task) => "task",
        DrawnKind::Node(NodeKind::Group) => "group",
        DrawnKind::More => "more",
        DrawnKind::Node(NodeKind::Resource(_)) => "res",
    };
    let cyc = if node.cycle { " cycle" } else { "" };
    let tip = if node.label == node.id {
        text(&node.id)
    } else {
        format!("{}\n{}", text(&node.label), text(&node.id))
    };
    let _ = writeln!(
        svg,
        "<g class=\"node {kind_class}{cyc}\" data-id=\"{}\"><title>{tip}</title>\
         <rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{NODE_W}\" height=\"{NODE_H}\" rx=\"5\"/>\
         <clipPath id=\"wg-label-{v}\"><rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{NODE_W}\" height=\"{NODE_H}\"/></clipPath>\
         <text x=\"{:.1}\" y=\"{:.1}\" clip-path=\"url(#wg-label-{v})\">{}</text></g>",
        text(&node.id),
        x + LABEL_PAD,
        y + NODE_H / 2.0 + 4.0,
        esc(&clip(&node.label, LABEL_CHARS - 1))
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_cut_to_their_box() {
        let node = GNode {
            id: "task:16935".into(),
            label: "thread 16935 \"transfer-B-to-A-with-a-long-name\"".into(),
            kind: DrawnKind::Node(NodeKind::Task),
            cycle: false,
        };
        let mut svg = String::new();
        draw_node(&mut svg, 0, &node, (0.0, 0.0));
        let shown = svg
            .split("<text ")
            .nth(1)
            .and_then(|t| t.split_once('>'))
            .and_then(|(_, t)| t.split_once("</text>"))
            .map(|(t, _)| t.replace("&quot;", "\""))
            .unwrap_or_default();
        assert!(shown.chars().count() <= LABEL_CHARS, "{shown}");
        assert!(shown.chars().count() as f64 * CHAR_W + 2.0 * LABEL_PAD <= NODE_W);
        assert!(shown.ends_with('…'), "{shown}");
        // The whole label on hover.
        assert!(svg.contains("transfer-B-to-A-with-a-long-name"), "{svg}");
    }
}
