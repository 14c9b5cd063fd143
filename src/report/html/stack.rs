//! A stack as markup, as Go prints it.

use super::escape::text;
use crate::model::CodeKind;
use std::fmt::Write as _;

/// A group's stack as Go prints it, the user's frames emphasised, with
/// its creator and the chain of goroutines that led to it
/// (`GODEBUG=tracebackancestors`).
pub(super) fn stack_pre(html: &mut String, g: &crate::report::GroupReport) {
    let (frames, creator) = (&g.frames, g.created_by.as_ref());
    html.push_str("<pre class=\"stack\">");
    for f in frames.iter().take(64) {
        let class = match f.kind {
            CodeKind::User => "user",
            CodeKind::Stdlib => "std",
            CodeKind::Runtime => "rt",
        };
        let _ = writeln!(
            html,
            "<span class=\"{class}\">{}({})</span>",
            text(&f.function),
            text(&f.args)
        );
        // A frame the dump gives no place for (a Java native method, an
        // unknown source) has no second line.
        if !f.file.is_empty() {
            let _ = writeln!(
                html,
                "\t{}",
                text(&crate::report::with_line(&f.file, f.line))
            );
        }
    }
    if frames.len() > 64 {
        let _ = writeln!(
            html,
            "… {}",
            crate::analyze::phrase::count(frames.len() - 64, "more frame", "more frames")
        );
    }
    if let Some(c) = creator {
        let _ = writeln!(
            html,
            "<span class=\"creator\">created by {}</span>\n\t{}",
            text(&c.function),
            text(&crate::report::with_line(&c.file, c.line))
        );
    }
    for a in &g.ancestors {
        let _ = writeln!(
            html,
            "<span class=\"creator\">[originating from goroutine {}]</span>",
            a.id
        );
        for f in a.frames.iter().take(16) {
            let _ = writeln!(
                html,
                "{}(...)\n\t{}",
                text(&f.function),
                text(&crate::report::with_line(&f.file, f.line))
            );
        }
        if let Some(c) = &a.created_by {
            let _ = writeln!(
                html,
                "<span class=\"creator\">created by {}</span>\n\t{}",
                text(&c.function),
                text(&crate::report::with_line(&c.file, c.line))
            );
        }
    }
    html.push_str("</pre>\n");
}
