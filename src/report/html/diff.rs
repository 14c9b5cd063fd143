//! The section of `dumpscope diff`: dumps, groups, stuck and spinning
//! goroutines, creators and heap growth side by side, with sparklines.

use super::escape::text;
use crate::report::diff::{signed, signed_size, sparkline_of, DiffReport, HeapDiff};
use std::fmt::Write as _;

/// Rows of the diff tables.
const DIFF_ROWS: usize = 50;

/// `dumpscope diff`: the series side by side, with sparklines.
pub(super) fn diff_section(html: &mut String, d: &DiffReport) {
    html.push_str("<section id=\"diff\" class=\"diff\">\n<h2>What changed</h2>\n");
    if !d.snapshots.is_empty() {
        dump_table(html, d);
        group_changes(html, d);
        lasting_tasks(html, d);
    }
    if let Some(hd) = &d.heap {
        heap_changes(html, hd);
    }
    html.push_str("</section>\n");
}

/// The goroutine dumps compared, in order.
fn dump_table(html: &mut String, d: &DiffReport) {
    let _ = writeln!(
        html,
        "<h3>Goroutine dumps</h3>\n<table class=\"diffpoints\"><thead><tr><th>#</th><th>dump</th><th>format</th><th>goroutines</th><th>taken</th></tr></thead><tbody>"
    );
    for p in &d.snapshots {
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            p.index + 1,
            text(&p.source),
            text(&p.format),
            p.goroutines,
            p.seconds.map_or(String::new(), |s| format!("+{s:.0} s"))
        );
    }
    html.push_str("</tbody></table>\n");
}

/// Groups matched across the dumps, largest change first.
fn group_changes(html: &mut String, d: &DiffReport) {
    let _ = writeln!(
        html,
        "<h3>Groups</h3>\n<p class=\"hint\">Matched by the functions of their stacks (not ids, arguments or lines); largest change first. {} in all.</p>\n<table class=\"diffgroups\"><thead><tr><th>change</th><th>trend</th><th>goroutines</th><th>status</th><th>state</th><th>site</th><th>created by</th></tr></thead><tbody>",
        crate::analyze::phrase::count(d.groups_total, "group", "groups")
    );
    for g in d.groups.iter().take(DIFF_ROWS) {
        let counts: Vec<String> = g.counts.iter().map(|n| n.to_string()).collect();
        let _ = writeln!(
            html,
            "<tr class=\"{}\"><td>{}</td><td class=\"spark\">{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td><code>{}</code></td></tr>",
            text(&g.status),
            signed(g.change),
            sparkline_of(&g.counts, |n| n as f64),
            counts.join(" → "),
            text(&g.status),
            text(&g.state),
            text(&g.site),
            text(g.creator.as_deref().unwrap_or(""))
        );
    }
    html.push_str("</tbody></table>\n");
}

/// Goroutines stuck or running in every dump, and creators of new ones.
fn lasting_tasks(html: &mut String, d: &DiffReport) {
    if !d.stuck.is_empty() {
        let _ = writeln!(
            html,
            "<h3>Stuck in every dump</h3>\n<table class=\"diffstuck\"><thead><tr><th>goroutine</th><th>state</th><th>minutes blocked</th><th>site</th></tr></thead><tbody>"
        );
        for s in d.stuck.iter().take(DIFF_ROWS) {
            let m: Vec<String> = s
                .wait_minutes
                .iter()
                .map(|m| m.map_or("?".into(), |m| m.to_string()))
                .collect();
            let _ = writeln!(
                html,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
                s.id,
                text(&s.state),
                m.join(" → "),
                text(&s.site)
            );
        }
        html.push_str("</tbody></table>\n");
    }
    if !d.spinning.is_empty() {
        html.push_str("<h3>Running in every dump</h3>\n<ul class=\"diffspin\">\n");
        for s in d.spinning.iter().take(DIFF_ROWS) {
            let _ = writeln!(
                html,
                "<li>goroutine {} ({}) at <code>{}</code></li>",
                s.id,
                text(&s.states.join(" → ")),
                text(&s.site)
            );
        }
        html.push_str("</ul>\n");
    }
    if !d.spawners.is_empty() {
        html.push_str("<h3>New goroutines by creator</h3>\n<ul class=\"diffspawn\">\n");
        for s in d.spawners.iter().take(DIFF_ROWS) {
            let _ = writeln!(
                html,
                "<li>{} new, created by <code>{}</code>, now at <code>{}</code></li>",
                s.new_goroutines,
                text(&s.creator),
                text(&s.sites.join(", "))
            );
        }
        html.push_str("</ul>\n");
    }
}

/// Heap growth from the first to the last profile, by function.
fn heap_changes(html: &mut String, hd: &HeapDiff) {
    let _ = writeln!(
        html,
        "<h3>Heap</h3>\n<p>In use: <b>{}</b> ({} objects) from the first to the last of {} snapshots.</p>\n<table class=\"diffheap\"><thead><tr><th>flat</th><th>cum</th><th>trend (flat)</th><th>function</th></tr></thead><tbody>",
        text(&signed_size(hd.delta.inuse_bytes)),
        signed(hd.delta.inuse_objects),
        hd.snapshots.len()
    );
    for f in hd.functions.iter().take(DIFF_ROWS) {
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td>{}</td><td class=\"spark\">{}</td><td><code>{}</code></td></tr>",
            text(&signed_size(f.flat_delta)),
            text(&signed_size(f.cum_delta)),
            sparkline_of(&f.flat, |b| b as f64),
            text(&f.function)
        );
    }
    html.push_str("</tbody></table>\n");
}
