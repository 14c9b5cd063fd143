//! The groups section: search and filter controls and the first
//! [`STATIC_ROWS`] groups as a static table (the script pages through all).

use super::escape::{esc, text};
use super::severity::{sev_index, SEVERITIES};
use super::snapshot::SnapView;
use super::stack::stack_pre;
use crate::report::{GroupReport, Report};
use rustc_hash::FxHashMap;
use std::fmt::Write as _;

/// Groups rendered in the static table (the script pages through all).
pub const STATIC_ROWS: usize = 100;

/// Severity of each group: the highest of the findings naming it.
pub(super) fn group_severity(report: &Report) -> GroupSeverity<'_> {
    let mut by_group: FxHashMap<(usize, &str), usize> = FxHashMap::default();
    for f in &report.findings {
        let severity = sev_index(f.severity);
        let Some(snapshot) = f.snapshot else { continue };
        for g in &f.groups {
            let slot = by_group.entry((snapshot, g.as_str())).or_default();
            *slot = (*slot).max(severity);
        }
    }
    by_group
}

/// A group's id in the page: prefixed by its dump when there are several.
pub(super) fn group_key(multi: bool, si: usize, id: &str) -> String {
    if multi {
        format!("s{}/{id}", si + 1)
    } else {
        id.to_string()
    }
}

/// Highest finding severity per (snapshot, group id).
pub(super) type GroupSeverity<'a> = FxHashMap<(usize, &'a str), usize>;

/// The groups section: controls, then the first [`STATIC_ROWS`] groups.
pub(super) fn groups_section(
    html: &mut String,
    report: &Report,
    views: &[SnapView],
    sev: &GroupSeverity,
    multi: bool,
) {
    html.push_str("<section id=\"groups-section\">\n<h2>Groups</h2>\n");
    controls(html, report.nouns().0);
    table_head(html, report, multi);
    let mut rows = 0;
    'outer: for (si, s) in report.snapshots.iter().enumerate() {
        let view = views.get(si);
        for (gi, g) in s.groups.iter().enumerate() {
            if rows >= STATIC_ROWS {
                break 'outer;
            }
            rows += 1;
            let leaf = view.and_then(|v| v.leaf_of_group.get(gi)).copied();
            let severity = SEVERITIES[sev.get(&(si, g.id.as_str())).copied().unwrap_or(0)];
            group_row(html, g, (multi, si), leaf, severity);
        }
    }
    html.push_str("</tbody></table></div>\n<div id=\"groups-pager\"></div>\n</section>\n");
}

/// Search, filters and the lookup of one task by id.
fn controls(html: &mut String, one: &str) {
    let _ = write!(
        html,
        "<div class=\"controls\"><input id=\"group-search\" type=\"search\" \
         placeholder=\"search functions, files, states, creators…\" aria-label=\"search groups\"> \
         <select id=\"filter-state\" aria-label=\"state\"><option value=\"\">any state</option></select> \
         <select id=\"filter-package\" aria-label=\"package\"><option value=\"\">any package</option></select> \
         <select id=\"filter-severity\" aria-label=\"severity\"><option value=\"\">any severity</option>\
         <option value=\"1\">info or worse</option><option value=\"2\">low or worse</option>\
         <option value=\"3\">medium or worse</option><option value=\"4\">high or worse</option>\
         <option value=\"5\">critical</option></select> \
         <span id=\"flame-filter\" hidden>under <code id=\"flame-filter-name\"></code> \
         <button id=\"flame-clear\" type=\"button\">clear</button></span></div>\n\
         <div class=\"controls\"><label>{one} id <input id=\"goroutine-lookup\" data-noun=\"{one}\" \
         inputmode=\"numeric\" size=\"10\"></label> <button id=\"goroutine-go\" type=\"button\">find</button> \
         <output id=\"goroutine-result\"></output></div>\n",
    );
}

/// How many groups are listed, and the table's header row.
fn table_head(html: &mut String, report: &Report, multi: bool) {
    let total: usize = report.snapshots.iter().map(|s| s.groups.len()).sum();
    let shown_total: usize = report.snapshots.iter().map(|s| s.groups_total).sum();
    let shown = total.min(STATIC_ROWS);
    let _ = writeln!(
        html,
        "<p id=\"groups-count\">{} of {}{}</p>",
        shown,
        crate::analyze::phrase::count(total, "group", "groups"),
        if shown_total > total {
            format!(" ({shown_total} before --filter / --max-groups)")
        } else {
            String::new()
        }
    );
    let dump_col = if multi {
        "<th data-sort=\"dump\">dump</th>"
    } else {
        ""
    };
    let _ = writeln!(
        html,
        "<div class=\"scroll\"><table id=\"groups\">\n<thead><tr><th data-sort=\"id\">group</th>{dump_col}\
         <th data-sort=\"count\" class=\"num\">{many}</th><th data-sort=\"state\">state</th>\
         <th data-sort=\"wait\" class=\"num\">minutes</th><th data-sort=\"severity\">severity</th>\
         <th data-sort=\"function\">where (first user frame; open for the stack)</th>\
         <th data-sort=\"creator\">created by</th></tr></thead>\n<tbody>",
        many = report.nouns().1
    );
}

/// One row of the static table, the stack folded under the first user
/// frame; the pair is whether there are several dumps, and which one.
fn group_row(
    html: &mut String,
    g: &GroupReport,
    (multi, si): (bool, usize),
    leaf: Option<u32>,
    severity: &str,
) {
    let leaf = leaf
        .map(|l| format!(" data-leaf=\"{l}\""))
        .unwrap_or_default();
    let key = group_key(multi, si, &g.id);
    let wait = g.wait_minutes.map(|w| w.range()).unwrap_or_default();
    let (fname, floc) = g
        .top_frame()
        .map(|f| {
            (
                f.function.as_str(),
                crate::report::with_line(&f.file, f.line),
            )
        })
        .unwrap_or(("", String::new()));
    let creator = g
        .created_by
        .as_ref()
        .map(|c| c.function.as_str())
        .unwrap_or("");
    let dump = if multi {
        format!("<td>{}</td>", si + 1)
    } else {
        String::new()
    };
    let _ = write!(
        html,
        "<tr class=\"group\" data-id=\"{}\"{leaf}><td>{}</td>{dump}<td class=\"num\">{}</td>\
         <td>{}</td><td class=\"num\">{wait}</td><td>{}</td><td><details><summary><code>{}</code> \
         <span class=\"loc\">{}</span></summary>",
        esc(&key),
        esc(&key),
        g.count,
        text(&g.state),
        if severity.is_empty() {
            String::new()
        } else {
            format!("<span class=\"severity sev-{severity}\">{severity}</span>")
        },
        text(fname),
        text(&floc)
    );
    stack_pre(html, g);
    let _ = writeln!(
        html,
        "</details></td><td><code>{}</code></td></tr>",
        text(creator)
    );
}
