//! A stack as markup, as Go prints it.

use super::escape::text;
use crate::model::CodeKind;
use crate::report::FrameReport;
use std::fmt::Write as _;

/// A stack as Go prints it, the user's frames emphasised.
pub(super) fn stack_pre(
    html: &mut String,
    frames: &[FrameReport],
    creator: Option<&crate::report::CreatorReport>,
) {
    html.push_str("<pre class=\"stack\">");
    for f in frames.iter().take(64) {
        let class = match f.kind {
            CodeKind::User => "user",
            CodeKind::Stdlib => "std",
            CodeKind::Runtime => "rt",
        };
        let _ = write!(
            html,
            "<span class=\"{class}\">{}({})</span>\n\t{}\n",
            text(&f.function),
            text(&f.args),
            text(&crate::report::with_line(&f.file, f.line))
        );
    }
    if frames.len() > 64 {
        let _ = writeln!(html, "… {} more frames", frames.len() - 64);
    }
    if let Some(c) = creator {
        let _ = writeln!(
            html,
            "<span class=\"creator\">created by {}</span>\n\t{}",
            text(&c.function),
            text(&crate::report::with_line(&c.file, c.line))
        );
    }
    html.push_str("</pre>\n");
}
