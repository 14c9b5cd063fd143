//! The page header (tool, inputs, dumps, crash, warnings) and the
//! navigation bar.

use super::escape::text;
use crate::report::{human_size, InputReport, Report, SnapshotReport};
use std::fmt::Write as _;

/// The page header: tool, inputs and dumps.
pub(super) fn header(html: &mut String, r: &Report) {
    html.push_str("<header>\n<h1>dumpscope report</h1>\n<dl class=\"meta\">\n");
    let _ = writeln!(
        html,
        "<dt>tool</dt><dd>{} {}</dd>",
        text(&r.tool.name),
        text(&r.tool.version)
    );
    for input in &r.inputs {
        input_line(html, input);
    }
    for (si, s) in r.snapshots.iter().enumerate() {
        dump_lines(html, s, si, r.snapshots.len() > 1);
    }
    html.push_str("</dl>\n</header>\n");
}

/// One input: its name, size, compression, format and reading notes.
fn input_line(html: &mut String, i: &InputReport) {
    let comp = if i.compression == "none" {
        String::new()
    } else {
        format!(
            ", {} ({} decompressed)",
            text(&i.compression),
            human_size(i.decompressed_size)
        )
    };
    let _ = writeln!(
        html,
        "<dt>input</dt><dd><code>{}</code>, {}{comp}, format {}</dd>",
        text(&i.source),
        human_size(i.size),
        text(&i.format)
    );
    // What reading it involved: symbolization, stripped prefixes.
    for n in i.notes.iter().take(20) {
        let _ = writeln!(html, "<dt>note</dt><dd>{}</dd>", text(n));
    }
}

/// One dump: format, runtime, size and origin; its crash and the lines
/// that could not be read.
fn dump_lines(html: &mut String, snapshot: &SnapshotReport, si: usize, multi: bool) {
    let label = if multi {
        format!("dump {}", si + 1)
    } else {
        "dump".to_string()
    };
    let mut d = format!(
        "{} · runtime {}{} · <b>{}</b> {}{}",
        text(&snapshot.format),
        snapshot.runtime.as_str(),
        snapshot
            .version_guess
            .as_deref()
            .map(|v| format!(" ({})", text(v)))
            .unwrap_or_default(),
        snapshot.task_count,
        crate::report::snapshot_nouns(std::iter::once(snapshot)).1,
        crate::report::branches_note(snapshot.branch_count)
    );
    if let Some(o) = &snapshot.origin {
        let _ = write!(d, " · {}", text(o));
    }
    if snapshot.truncated {
        d.push_str(" · <span class=\"warn\">cut off</span>");
    }
    let _ = writeln!(html, "<dt>{label}</dt><dd>{d}</dd>");
    if let Some(c) = &snapshot.crash {
        let who = c
            .goroutine_id
            .map(|g| format!(" (goroutine {g})"))
            .unwrap_or_default();
        let _ = writeln!(
            html,
            "<dt>crash</dt><dd class=\"crash\"><code>{}</code>{who}</dd>",
            text(&c.message)
        );
    }
    if let Some(account) = snapshot
        .lines
        .as_ref()
        .and_then(crate::report::lines::summary)
    {
        let _ = writeln!(html, "<dt>lines</dt><dd>{}</dd>", text(&account));
    }
    if !snapshot.warnings.is_empty() {
        let _ = writeln!(
            html,
            "<dt>warnings</dt><dd>{} (first: line {}: {})</dd>",
            crate::analyze::phrase::count(
                snapshot.warnings.len(),
                "line could not be read",
                "lines could not be read"
            ),
            snapshot.warnings[0].line,
            text(&snapshot.warnings[0].message)
        );
    }
}

/// Links to the sections; the creation tree only for goroutine dumps.
pub(super) fn nav(html: &mut String, go: bool) {
    html.push_str(
        "<nav><a href=\"#findings\">Findings</a> <a href=\"#graph\">Wait-for graph</a> \
         <a href=\"#flame-section\">Stacks</a> <a href=\"#states-section\">States</a> ",
    );
    if go {
        html.push_str("<a href=\"#creation\">Creation</a> ");
    }
    html.push_str("<a href=\"#groups-section\">Groups</a></nav>\n");
}
