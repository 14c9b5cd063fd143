//! The page header (tool, inputs, dumps, crash, warnings) and the
//! navigation bar.

use super::escape::t;
use crate::report::{human_size, Report};
use std::fmt::Write as _;

pub(super) fn header(h: &mut String, r: &Report) {
    h.push_str("<header>\n<h1>dumpscope report</h1>\n<dl class=\"meta\">\n");
    let _ = writeln!(
        h,
        "<dt>tool</dt><dd>{} {}</dd>",
        t(&r.tool.name),
        t(&r.tool.version)
    );
    for i in &r.inputs {
        let comp = if i.compression == "none" {
            String::new()
        } else {
            format!(
                ", {} ({} decompressed)",
                t(&i.compression),
                human_size(i.decompressed_size)
            )
        };
        let _ = writeln!(
            h,
            "<dt>input</dt><dd><code>{}</code>, {}{comp}, format {}</dd>",
            t(&i.source),
            human_size(i.size),
            t(&i.format)
        );
        // What reading it involved: symbolization, stripped prefixes.
        for n in i.notes.iter().take(20) {
            let _ = writeln!(h, "<dt>note</dt><dd>{}</dd>", t(n));
        }
    }
    for (si, s) in r.snapshots.iter().enumerate() {
        let label = if r.snapshots.len() > 1 {
            format!("dump {}", si + 1)
        } else {
            "dump".to_string()
        };
        let mut d = format!(
            "{} · runtime {}{} · <b>{}</b> {}",
            t(&s.format),
            s.runtime.as_str(),
            s.version_guess
                .as_deref()
                .map(|v| format!(" ({})", t(v)))
                .unwrap_or_default(),
            s.task_count,
            crate::report::snapshot_nouns(std::iter::once(s)).1
        );
        if let Some(o) = &s.origin {
            let _ = write!(d, " · {}", t(o));
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
                t(&c.message)
            );
        }
        if !s.warnings.is_empty() {
            let _ = writeln!(
                h,
                "<dt>warnings</dt><dd>{} lines could not be read (first: line {}: {})</dd>",
                s.warnings.len(),
                s.warnings[0].line,
                t(&s.warnings[0].message)
            );
        }
    }
    h.push_str("</dl>\n</header>\n");
}

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
