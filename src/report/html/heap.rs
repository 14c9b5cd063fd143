//! The heap sections: totals, an icicle of memory in use by stack and
//! the top functions of each heap profile.

use super::escape::text;
use super::icicle::{icicle, FLAME_ID_BLOCK};
use super::snapshot::MAX_SNAPSHOT_VIEWS;
use crate::analyze::phrase::count;
use crate::model::CodeKind;
use crate::report::heap::HeapReport;
use crate::report::Report;
use std::fmt::Write as _;

/// The heap snapshots: totals, a flame graph by bytes in use, the top
/// functions and stacks. Findings are in the findings section.
pub(super) fn heap_sections(html: &mut String, report: &Report) {
    for (hi, hp) in report.heap.iter().enumerate() {
        heap_summary(html, report, hi, hp);
        heap_flame(html, hi, hp);
        top_functions(html, hp);
    }
}

/// A heap profile's heading, totals and the findings about it.
fn heap_summary(html: &mut String, report: &Report, hi: usize, hp: &HeapReport) {
    let _ = writeln!(
        html,
        "<section id=\"heap-{}\" class=\"heap\">\n<h2>Heap — {}</h2>",
        hi + 1,
        text(&hp.source)
    );
    let tot = &hp.totals;
    let _ = write!(
        html,
        "<p class=\"hint\">{} ({}), sampling: {}{}. In use: <b>{}</b> in {}",
        text(&hp.format),
        hp.runtime.as_str(),
        text(&hp.sampling),
        if hp.period > 0 {
            format!(" every {} bytes", hp.period)
        } else {
            String::new()
        },
        text(&heap_size(tot.inuse_bytes)),
        count(tot.inuse_objects.max(0) as usize, "object", "objects")
    );
    if hp.has_alloc {
        let _ = write!(
            html,
            "; allocated over the process's life: {} in {}",
            text(&heap_size(tot.alloc_bytes)),
            count(tot.alloc_objects.max(0) as usize, "object", "objects")
        );
    }
    html.push_str(".</p>\n");
    if let Some(account) = hp.lines.as_ref().and_then(crate::report::lines::summary) {
        let _ = writeln!(html, "<p class=\"hint\">Lines: {}.</p>", text(&account));
    }
    let ids: Vec<String> = report
        .findings
        .iter()
        .filter(|f| f.heap == Some(hi))
        .map(|f| format!("<a href=\"#{}\">{}</a>", text(&f.id), text(&f.title)))
        .collect();
    if !ids.is_empty() {
        let _ = writeln!(html, "<p>Findings: {}</p>", ids.join("; "));
    }
}

/// An icicle of memory in use by stack; the stacks the report leaves out
/// are one box, so that widths are shares of everything in use.
fn heap_flame(html: &mut String, hi: usize, hp: &HeapReport) {
    let tot = &hp.totals;
    html.push_str("<h3>Memory in use by stack</h3>\n<p class=\"hint\">Outermost call on top, width by bytes in use; hover for names.</p>\n");
    // The report keeps the top stacks: the rest is one box, so that
    // widths are shares of everything in use.
    let shown: i64 = hp
        .sites
        .iter()
        .fold(0i64, |a, s| a.saturating_add(s.values.inuse_bytes.max(0)));
    let rest = tot.inuse_bytes.saturating_sub(shown);
    let others = format!(
        "({} smaller stacks)",
        hp.sites_total.saturating_sub(hp.sites.len())
    );
    let rest_stack = (hp.sites_total > hp.sites.len() && rest > 0)
        .then(|| (vec![(others.as_str(), CodeKind::Runtime)], rest as u64));
    let stacks = hp
        .sites
        .iter()
        .map(|s| {
            (
                s.frames
                    .iter()
                    .rev()
                    .map(|f| (f.function.as_str(), f.kind))
                    .collect::<Vec<_>>(),
                u64::try_from(s.values.inuse_bytes).unwrap_or(0),
            )
        })
        .chain(rest_stack);
    let unit = |n: u64| heap_size(i64::try_from(n).unwrap_or(i64::MAX));
    let (svg, _) = icicle(
        stacks,
        &format!("heap-flame-{}", hi + 1),
        "heapflame",
        (MAX_SNAPSHOT_VIEWS as u32 + hi as u32 + 1) * FLAME_ID_BLOCK,
        "flame graph of memory in use",
        &unit,
    );
    html.push_str(&svg);
}

/// The functions holding the most memory, and the end of the section.
fn top_functions(html: &mut String, hp: &HeapReport) {
    let tot = &hp.totals;
    let _ = writeln!(
        html,
        "<h3>Top functions</h3>\n<table class=\"heaptop\"><thead><tr><th>flat</th><th>flat%</th>\
         <th>cum</th><th>cum%</th><th>allocated (flat)</th><th>function</th></tr></thead><tbody>"
    );
    let pct = |a: i64| {
        if tot.inuse_bytes > 0 {
            format!("{:.1}%", a as f64 * 100.0 / tot.inuse_bytes as f64)
        } else {
            "-".into()
        }
    };
    for f in hp.functions.iter().take(25) {
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
            text(&heap_size(f.flat.inuse_bytes)),
            pct(f.flat.inuse_bytes),
            text(&heap_size(f.cum.inuse_bytes)),
            pct(f.cum.inuse_bytes),
            text(&heap_size(f.flat.alloc_bytes)),
            text(&f.function)
        );
    }
    let _ = writeln!(
        html,
        "</tbody></table>\n<p class=\"hint\">{} of {} functions; {} stacks in all.</p>\n</section>",
        hp.functions.len().min(25),
        hp.functions_total,
        hp.sites_total
    );
}

/// Bytes as the heap sections show them.
fn heap_size(b: i64) -> String {
    crate::analyze::phrase::mib(b)
}
