//! Icicles (flame graphs with the outermost call on top) of weighted
//! stacks, shared by the goroutine and heap sections.

use super::escape::{esc, text};
use crate::model::CodeKind;
use crate::report::clip;
use rustc_hash::FxHashMap;
use std::fmt::Write as _;

/// Icicle rectangles drawn per snapshot, widest first.
const MAX_FLAME_NODES: usize = 3000;

/// A node of the call tree behind an icicle.
struct FNode {
    name: String,
    kind: CodeKind,
    value: u64,
    children: FxHashMap<String, usize>,
    order: Vec<usize>,
    parent: usize,
    depth: usize,
}

/// Node numbers are global across snapshots so they stay unique in the
/// page; each snapshot's block starts at a multiple of this.
pub(super) const FLAME_ID_BLOCK: u32 = 1 << 20;

/// Width of an icicle's drawing (it is scaled to its frame's width).
const WIDTH: f64 = 1200.0;
/// The box of the tasks or allocations whose stack has no frame (a JVM's
/// own threads, a task the dump shows no stack for): without it their
/// share of the root would be an empty band.
const NO_STACK: &str = "(no stack)";
/// Height of one row of an icicle in pixels.
const ROW: f64 = 18.0;

/// An icicle (outermost call on top) of weighted stacks given outermost
/// frame first: the SVG markup and, per stack, the node id of its deepest
/// drawn frame. At most [`MAX_FLAME_NODES`] rectangles, widest first.
pub(super) fn icicle<'a>(
    stacks: impl Iterator<Item = (Vec<(&'a str, CodeKind)>, u64)>,
    id: &str,
    class: &str,
    base: u32,
    aria: &str,
    unit: &dyn Fn(u64) -> String,
) -> (String, Vec<u32>) {
    let (nodes, path_end) = call_tree(stacks);
    let total = nodes[0].value.max(1) as f64;
    let (drawn, x) = drawn_nodes(&nodes, total);
    let max_depth = (0..nodes.len())
        .filter(|&v| drawn[v])
        .map(|v| nodes[v].depth)
        .max()
        .unwrap_or(0);
    let height = (max_depth + 1) as f64 * ROW + 4.0;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        "<div class=\"scroll\"><svg id=\"{id}\" class=\"{class}\" xmlns=\"http://www.w3.org/2000/svg\" \
         width=\"{WIDTH}\" height=\"{height:.0}\" viewBox=\"0 0 {WIDTH} {height:.0}\" \
         preserveAspectRatio=\"xMinYMin meet\" role=\"img\" \
         aria-label=\"{aria}\">"
    );
    for (v, node) in nodes.iter().enumerate() {
        if drawn[v] {
            draw_frame(&mut svg, node, v, x[v], total, base, unit);
        }
    }
    svg.push_str("</svg></div>\n");
    // A stack's leaf: the deepest drawn node of its path.
    let leaves = path_end
        .iter()
        .map(|&end| {
            let mut v = end;
            while v != 0 && !drawn[v] {
                v = nodes[v].parent;
            }
            base + v as u32
        })
        .collect();
    (svg, leaves)
}

/// The stacks merged into one call tree (node 0 is the root, "all"), and
/// the node each stack ends at.
fn call_tree<'a>(
    stacks: impl Iterator<Item = (Vec<(&'a str, CodeKind)>, u64)>,
) -> (Vec<FNode>, Vec<usize>) {
    let mut nodes: Vec<FNode> = vec![FNode {
        name: "all".into(),
        kind: CodeKind::Runtime,
        value: 0,
        children: FxHashMap::default(),
        order: Vec::new(),
        parent: usize::MAX,
        depth: 0,
    }];
    let mut path_end: Vec<usize> = Vec::new();
    for (mut frames, count) in stacks {
        if frames.is_empty() {
            frames.push((NO_STACK, CodeKind::Runtime));
        }
        nodes[0].value += count;
        let mut cur = 0;
        for (name, kind) in frames.into_iter().take(256) {
            let next = match nodes[cur].children.get(name) {
                Some(&c) => c,
                None => {
                    let depth = nodes[cur].depth + 1;
                    nodes.push(FNode {
                        name: name.to_string(),
                        kind,
                        value: 0,
                        children: FxHashMap::default(),
                        order: Vec::new(),
                        parent: cur,
                        depth,
                    });
                    let c = nodes.len() - 1;
                    nodes[cur].children.insert(name.to_string(), c);
                    nodes[cur].order.push(c);
                    c
                }
            };
            nodes[next].value += count;
            cur = next;
        }
        path_end.push(cur);
    }
    (nodes, path_end)
}

/// Which nodes are drawn, widest first, within the budget and at least a
/// pixel wide; and the left edge of each.
fn drawn_nodes(nodes: &[FNode], total: f64) -> (Vec<bool>, Vec<f64>) {
    let mut drawn = vec![false; nodes.len()];
    let mut x = vec![0.0f64; nodes.len()];
    let mut heap: std::collections::BinaryHeap<(u64, std::cmp::Reverse<usize>)> =
        std::collections::BinaryHeap::new();
    heap.push((nodes[0].value, std::cmp::Reverse(0)));
    let mut count = 0;
    while let Some((_, std::cmp::Reverse(v))) = heap.pop() {
        if count >= MAX_FLAME_NODES || (nodes[v].value as f64 / total * WIDTH) < 1.0 {
            continue;
        }
        drawn[v] = true;
        count += 1;
        let mut cx = x[v];
        let mut kids = nodes[v].order.clone();
        kids.sort_by(|a, b| nodes[*a].name.cmp(&nodes[*b].name));
        for c in kids {
            x[c] = cx;
            cx += nodes[c].value as f64 / total * WIDTH;
            heap.push((nodes[c].value, std::cmp::Reverse(c)));
        }
    }
    (drawn, x)
}

/// One rectangle of an icicle, labelled when wide enough.
fn draw_frame(
    svg: &mut String,
    node: &FNode,
    v: usize,
    left: f64,
    total: f64,
    base: u32,
    unit: &dyn Fn(u64) -> String,
) {
    let w = node.value as f64 / total * WIDTH;
    let y = node.depth as f64 * ROW;
    let kind = if v == 0 {
        "root"
    } else {
        match node.kind {
            CodeKind::User => "user",
            CodeKind::Stdlib => "std",
            CodeKind::Runtime => "rt",
        }
    };
    let parent = if v == 0 {
        String::new()
    } else {
        format!(" data-parent=\"{}\"", base + node.parent as u32)
    };
    let pct = node.value as f64 * 100.0 / total;
    let label_chars = ((w - 6.0) / 7.0).floor();
    let label = if label_chars >= 3.0 {
        let short = short_func(&node.name);
        format!(
            "<text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            left + 3.0,
            y + 13.0,
            esc(&clip(short, label_chars as usize))
        )
    } else {
        String::new()
    };
    let _ = writeln!(
        svg,
        "<g class=\"frame {kind}\" data-node=\"{}\"{parent} tabindex=\"0\"><title>{} — {} ({pct:.1}%)</title>\
         <rect x=\"{:.2}\" y=\"{y:.1}\" width=\"{:.2}\" height=\"{}\"/>{label}</g>",
        base + v as u32,
        text(&node.name),
        text(&unit(node.value)),
        left,
        (w - 0.5).max(0.5),
        ROW - 1.0
    );
}

/// A function name without its package path (`net/http.(*conn).serve`
/// is `http.(*conn).serve`), keeping `internal/` so that
/// `internal/sync.(*Mutex).Lock` is not taken for `sync.(*Mutex).Lock`.
fn short_func(name: &str) -> &str {
    let Some(cut) = name.rfind('/') else {
        return name;
    };
    let (head, _) = name.split_at(cut);
    if head == "internal" || head.ends_with("/internal") {
        let from = head.rfind('/').map_or(0, |i| i + 1);
        return &name[from..];
    }
    &name[cut + 1..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stacks_without_frames_have_their_box() {
        let stacks = vec![(vec![("main.main", CodeKind::User)], 1), (Vec::new(), 3)];
        let (svg, leaves) = icicle(stacks.into_iter(), "f", "flame", 0, "a", &|n| n.to_string());
        assert!(svg.contains("(no stack) — 3"), "{svg}");
        // Under the root, the boxes fill its whole width: no empty band.
        let (nodes, _) =
            call_tree(vec![(vec![("main.main", CodeKind::User)], 1), (Vec::new(), 3)].into_iter());
        let children: u64 = nodes[0].order.iter().map(|&c| nodes[c].value).sum();
        assert_eq!(children, nodes[0].value);
        assert_ne!(leaves[1], 0, "the frameless stack ends at its own box");
    }

    #[test]
    fn short_names_keep_internal() {
        assert_eq!(short_func("net/http.(*conn).serve"), "http.(*conn).serve");
        assert_eq!(
            short_func("internal/sync.(*Mutex).Lock"),
            "internal/sync.(*Mutex).Lock"
        );
        assert_eq!(
            short_func("golang.org/x/net/internal/socket.(*Conn).Read"),
            "internal/socket.(*Conn).Read"
        );
        assert_eq!(short_func("main.main"), "main.main");
    }
}
