//! The wait-for graph section: the drawing of the chosen part of the
//! graph, what was left out, and a legend.

use super::graph_draw::graph_svg;
use super::graph_select::select_graph;
use crate::report::Graph;
use std::fmt::Write as _;

/// The wait-for graph section, or a note that nothing waits.
pub(super) fn graph_section(html: &mut String, g: &Graph, (one, many): (&str, &str)) {
    html.push_str("<section id=\"graph\">\n<h2>Wait-for graph</h2>\n");
    if g.nodes.is_empty() {
        let _ = write!(
            html,
            "<div id=\"wait-graph\"><p class=\"empty\">No {one} waits on a lock, channel \
             or WaitGroup that another could release.</p></div>\n</section>\n",
        );
        return;
    }
    let (nodes, edges, note) = select_graph(g, (one, many));
    html.push_str(&graph_svg(&nodes, &edges));
    let _ = writeln!(html, "<p class=\"note\">{note}</p>");
    let _ = write!(
        html,
        "<p class=\"legend\"><span class=\"lg task\">{one}</span> <span class=\"lg group\">group \
         of {many}</span> <span class=\"lg res\">lock, channel, WaitGroup…</span> \
         <span class=\"lg cycle\">on a cycle (deadlock)</span> · solid arrow: waits on · \
         dashed: held by / released by</p>\n</section>\n",
    );
}
