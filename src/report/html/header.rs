//! The page header (tool, inputs, dumps, crash, warnings) and the
//! navigation bar.

use super::escape::text;
use crate::report::{human_size, InputReport, Report, SnapshotReport};
use std::fmt::Write as _;

/// The page header: tool, inputs and dumps.
pub(super) fn header(h: &mut String, r: &Report) {
    h.push_str("<header>\n<h1>dumpscope report</h1>\n<dl class=\"meta\">\n");
    let _ = writeln!(
        h,
        "<dt>tool</dt><dd>{} {}</dd>",
        text(&r.tool.name),
        text(&r.tool.version)
    );
    for input in &r.inputs {
        input_line(h, input);
    }
    for (si, s) in r.snapshots.iter().enumerate() {
        dump_lines(h, s, si, r.snapshots.len() > 1);
    }
    h.push_str("</dl>\n</header>\n");
}

/// One input: its name, size, compression, format and reading notes.
fn input_line(h: &mut String, i: &InputReport) {
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
        h,
        "<dt>input</dt><dd><code>{}</code>, {}{comp}, format {}</dd>",
        text(&i.source),
        human_size(i.size),
        text(&i.format)
    );
    // What reading it involved: symbolization, stripped prefixes.
    for n in i.notes.iter().take(20) {
        let _ = writeln!(h, "<dt>note</dt><dd>{}</dd>", text(n));
    }
}

/// One dump: format, runtime, size and origin; its crash and the lines
/// that could not be read.
fn dump_lines(h: &mut String, s: &SnapshotReport, si: usize, multi: bool) {
    let label = if multi {
        format!("dump {}", si + 1)
    } else {
        "dump".to_string()
    };
    let mut d = format!(
        "{} · runtime {}{} · <b>{}</b> {}",
        text(&s.format),
        s.runtime.as_str(),
        s.version_guess
            .as_deref()
            .map(|v| format!(" ({})", text(v)))
            .unwrap_or_default(),
        s.task_count,
        crate::report::snapshot_nouns(std::iter::once(s)).1
    );
    if let Some(o) = &s.origin {
        let _ = write!(d, " · {}", text(o));
    }
    if s.truncated {
        d.push_str(" · <span class=\"warn\">cut off</span>");
    }
    let _ = writeln!(h, "<dt>{label}</dt><dd>{d}</dd>");
    if let Some(c) = &s.crash {
        let who = c
            .goroutine_id
            .map(|g| format!(" (goroutine {g})"))
            .unwrap_or_default();
        let _ = writeln!(
            h,
            "<dt>crash</dt><dd class=\"crash\"><code>{}</code>{who}</dd>",
            text(&c.message)
        );
    }
    if !s.warnings.is_empty() {
        let _ = writeln!(
            h,
            "<dt>warnings</dt><dd>{} lines could not be read (first: line {}: {})</dd>",
            s.warnings.len(),
            s.warnings[0].line,
            text(&s.warnings[0].message)
        );
    }
}

/// Links to the sections; the creation tree only for goroutine dumps.
pub(super) fn nav(h: &mut String, go: bool) {
    h.push_str(
        "<nav><a href=\"#findings\">Findings</a> <a href=\"#graph\">Wait-for graph</a> \
         <a href=\"#flame-section\">Stacks</a> <a href=\"#states-section\">States</a> ",
    );
    if go {
        h.push_str("<a href=\"#creation\">Creation</a> ");
    }
    h.push_str("<a href=\"#groups-section\">Groups</a></nav>\n");
}
