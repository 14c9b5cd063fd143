//! The sections drawn per goroutine or thread dump: the icicle of all
//! stacks, the states and the creation tree.

use super::creation::creation_tree;
use super::escape::{esc, text};
use super::icicle::{icicle, FLAME_ID_BLOCK};
use crate::report::{clip, Report, SnapshotReport};
use std::fmt::Write as _;

/// Snapshots that get their own icicle, states and creation tree.
pub(super) const MAX_SNAPSHOT_VIEWS: usize = 8;

/// One snapshot's icicle, computed once: its markup and, per group, the
/// deepest drawn node of the group's stack (for filtering).
pub(super) struct SnapView {
    pub(super) index: usize,
    pub(super) flame: String,
    pub(super) leaf_of_group: Vec<u32>,
}

impl SnapView {
    pub(super) fn new(index: usize, snapshot: &SnapshotReport) -> Self {
        let id = if index == 0 {
            "flame".to_string()
        } else {
            format!("flame-{}", index + 1)
        };
        let stacks = snapshot.groups.iter().map(|g| {
            (
                g.frames
                    .iter()
                    .rev()
                    .map(|f| (f.function.as_str(), f.kind))
                    .collect::<Vec<_>>(),
                g.count,
            )
        });
        let (one, many) = crate::report::snapshot_nouns(std::iter::once(snapshot));
        let unit = move |n: u64| format!("{n} {}", if n == 1 { one } else { many });
        let (flame, leaf_of_group) = icicle(
            stacks,
            &id,
            "flame",
            index as u32 * FLAME_ID_BLOCK,
            "icicle of all stacks",
            &unit,
        );
        SnapView {
            index,
            flame,
            leaf_of_group,
        }
    }
}

/// One dump's icicle, states and (for goroutines) creation tree.
pub(super) fn snapshot_views(html: &mut String, r: &Report, v: &SnapView, multi: bool) {
    let Some(s) = r.snapshots.get(v.index) else {
        return;
    };
    let suffix = if v.index == 0 {
        String::new()
    } else {
        format!("-{}", v.index + 1)
    };
    let title = if multi {
        format!(" — dump {} ({})", v.index + 1, text(&s.source))
    } else {
        String::new()
    };
    let _ = writeln!(
        html,
        "<section id=\"flame-section{suffix}\">\n<h2>All stacks{title}</h2>\n<p class=\"hint\">An icicle of every \
         {one}'s stack, outermost call on top, width by {one} count. Click a frame to \
         list the groups under it; hover for names.</p>",
        one = crate::report::snapshot_nouns(std::iter::once(s)).0
    );
    html.push_str(&v.flame);
    html.push_str("</section>\n");
    let _ = writeln!(
        html,
        "<section id=\"states-section{suffix}\">\n<h2>States{title}</h2>"
    );
    states_svg(html, s, &suffix);
    html.push_str("</section>\n");
    // Only goroutines record who started them.
    if s.runtime != crate::model::Runtime::Go {
        return;
    }
    let _ = writeln!(
        html,
        "<section id=\"creation{suffix}\" class=\"creation\">\n<h2>Creation tree{title}</h2>\n<p class=\"hint\">Which \
         <code>go</code> statements started how many of the goroutines in this dump, nested under \
         the site that started their parent when the dump names parents.</p>"
    );
    creation_tree(html, s);
    html.push_str("</section>\n");
}

/// Tasks per state as horizontal bars, the 20 commonest.
fn states_svg(html: &mut String, snapshot: &SnapshotReport, suffix: &str) {
    let rows: Vec<&(String, u64)> = snapshot.states.0.iter().take(20).collect();
    let max = rows.iter().map(|x| x.1).max().unwrap_or(1).max(1) as f64;
    let row_h = 22.0;
    let height = rows.len() as f64 * row_h + 8.0;
    let _ = writeln!(
        html,
        "<svg id=\"states{suffix}\" class=\"states\" xmlns=\"http://www.w3.org/2000/svg\" width=\"900\" \
         height=\"{height:.0}\" viewBox=\"0 0 900 {height:.0}\" role=\"img\" aria-label=\"{many} per state\">",
        many = crate::report::snapshot_nouns(std::iter::once(snapshot)).1
    );
    for (i, (name, n)) in rows.iter().enumerate() {
        let y = i as f64 * row_h + 4.0;
        let w = (*n as f64 / max * 560.0).max(1.0);
        let _ = writeln!(
            html,
            "<g class=\"bar\"><title>{}: {n}</title><text class=\"label\" x=\"230\" y=\"{:.1}\">{}</text>\
             <rect x=\"240\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{:.1}\"/>\
             <text class=\"value\" x=\"{:.1}\" y=\"{:.1}\">{n}</text></g>",
            text(name),
            y + 14.0,
            esc(&clip(name, 32)),
            row_h - 6.0,
            246.0 + w,
            y + 14.0
        );
    }
    html.push_str("</svg>\n");
    if snapshot.states.0.len() > rows.len() {
        let _ = writeln!(
            html,
            "<p class=\"note\">and {}</p>",
            crate::analyze::phrase::count(
                snapshot.states.0.len() - rows.len(),
                "more state",
                "more states"
            )
        );
    }
}
