//! The HTML report: one self-contained file for an incident ticket. CSS,
//! script and data are inline; a Content-Security-Policy forbids every
//! fetch. Findings with their stacks, the wait-for graph, the icicle, the
//! states and the creation tree are drawn here, in static markup, so the
//! essentials read with JavaScript off; the script adds search, filters,
//! sorting, paging, goroutine lookup and icicle clicks over the groups.
//!
//! Everything that comes from a dump is untrusted: text goes through
//! [`esc`], data for the script through [`script_json`] (a function name
//! can hold `</script>`), and the script builds nodes with `textContent`
//! only.
//!
//! One file per part of the page: `header.rs` (inputs, dumps, navigation),
//! `findings.rs`, `diff.rs`, `graph.rs` (`graph_select.rs` chooses what is
//! drawn, `graph_draw.rs` lays it out), `snapshot.rs` (icicle, states,
//! `creation.rs` tree), `heap.rs`, `groups.rs` and its script data
//! (`table.rs`); `icicle.rs` and `stack.rs` are shared drawings, `escape.rs`,
//! `severity.rs` and `assets.rs` the leaves.

mod assets;
mod creation;
mod diff;
mod escape;
mod findings;
mod graph;
mod graph_draw;
mod graph_select;
mod groups;
mod header;
mod heap;
mod icicle;
mod severity;
mod snapshot;
mod stack;
mod table;

pub use escape::{esc, script_json};
pub use groups::STATIC_ROWS;
pub use table::encode_ids;

use crate::report::{clip, Report};
use assets::{sha256_b64, CSS, JS};
use diff::diff_section;
use findings::findings;
use graph::graph_section;
use groups::{group_severity, groups_section};
use header::{header, nav};
use heap::heap_sections;
use snapshot::{snapshot_views, SnapView, MAX_SNAPSHOT_VIEWS};
use std::fmt::Write as _;
use table::table_data;

/// Renders the whole report as one HTML document.
pub fn render(report: &Report) -> String {
    let mut body = String::with_capacity(1 << 16);
    let views: Vec<SnapView> = report
        .snapshots
        .iter()
        .take(MAX_SNAPSHOT_VIEWS)
        .enumerate()
        .map(|(i, s)| SnapView::new(i, s))
        .collect();
    let multi = report.snapshots.len() > 1;
    header(&mut body, report);
    nav(
        &mut body,
        report
            .snapshots
            .first()
            .is_none_or(|s| s.runtime == crate::model::Runtime::Go),
    );
    body.push_str("<main>\n");
    findings(&mut body, report);
    if let Some(d) = &report.diff {
        diff_section(&mut body, d);
    }
    graph_section(&mut body, &report.graph, report.nouns());
    for v in &views {
        snapshot_views(&mut body, report, v, multi);
    }
    heap_sections(&mut body, report);
    let sev = group_severity(report);
    groups_section(&mut body, report, &views, &sev, multi);
    body.push_str("</main>\n");
    let data = table_data(report, &views, &sev, multi);
    let mut html = String::with_capacity(body.len() + data.len() + CSS.len() + JS.len() + 2048);
    html.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    let _ = writeln!(
        html,
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         script-src 'sha256-{}'; style-src 'sha256-{}'; img-src data:; base-uri 'none'; \
         form-action 'none'\">",
        sha256_b64(JS),
        sha256_b64(CSS)
    );
    html.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    html.push_str("<meta name=\"referrer\" content=\"no-referrer\">\n");
    let names: Vec<&str> = report.inputs.iter().map(|i| i.source.as_str()).collect();
    let _ = writeln!(
        html,
        "<title>dumpscope: {}</title>",
        esc(&clip(&names.join(", "), 120))
    );
    let _ = writeln!(html, "<style>{CSS}</style>\n</head>\n<body>");
    html.push_str(&body);
    let _ = writeln!(
        html,
        "<script type=\"application/json\" id=\"ds-data\">{data}</script>"
    );
    let _ = writeln!(html, "<script>{JS}</script>\n</body>\n</html>");
    html
}
