//! The pieces of the terminal rendering shared by its sections: styles,
//! compact stacks, and the cleaning of text that comes from a dump.

use super::FrameReport;
use crate::model::CodeKind;
use anstyle::{AnsiColor, Effects, Style};
use std::io::{self, Write};

pub(super) const BOLD: Style = Style::new().effects(Effects::BOLD);
pub(super) const DIM: Style = Style::new().effects(Effects::DIMMED);
pub(super) const HEAD: Style = Style::new()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Cyan)))
    .effects(Effects::BOLD);
pub(super) const RED: Style = Style::new()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Red)))
    .effects(Effects::BOLD);
pub(super) const YELLOW: Style =
    Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Yellow)));

/// Frames shown per group before the middle is folded.
pub(super) const MAX_FRAMES_SHOWN: usize = 14;

pub(super) fn frames(
    fs: &[FrameReport],
    elided: Option<(usize, u32)>,
    w: &mut dyn Write,
    indent: &str,
) -> io::Result<()> {
    let n = fs.len();
    let fold = n > MAX_FRAMES_SHOWN;
    let folded = |i: usize| fold && i >= MAX_FRAMES_SHOWN - 4 && i < n - 3;
    let marker = |count: u32| {
        let what = if count > 0 {
            crate::analyze::phrase::count(count as usize, "frame", "frames") + " elided"
        } else {
            "additional frames elided".into()
        };
        format!("{indent}{DIM}... {what} ...{DIM:#}")
    };
    for (i, f) in fs.iter().enumerate() {
        if fold && i == MAX_FRAMES_SHOWN - 4 {
            writeln!(
                w,
                "{indent}{DIM}... {} more frames ...{DIM:#}",
                n - MAX_FRAMES_SHOWN + 1
            )?;
        }
        if let Some((at, count)) = elided {
            // Shown where the runtime left frames out, or right after the
            // folded frames when that place is among them.
            if at == i && !folded(i) || folded(at) && i == n - 3 {
                writeln!(w, "{}", marker(count))?;
            }
        }
        if folded(i) {
            continue;
        }
        let style = match f.kind {
            CodeKind::User => BOLD,
            _ => DIM,
        };
        let inl = if f.inlined { " (inlined)" } else { "" };
        writeln!(
            w,
            "{indent}{style}{}{style:#}{inl}  {DIM}{}{DIM:#}",
            clean(&f.function),
            location(&f.file, f.line)
        )?;
    }
    if let Some((at, count)) = elided {
        // After the last frame (where Go prints its marker at 100 frames).
        if at >= n {
            writeln!(w, "{}", marker(count))?;
        }
    }
    Ok(())
}

/// Replaces control characters (escape sequences, newlines) and the
/// Unicode controls that reorder what a terminal shows (bidirectional
/// embeddings, overrides and isolates, as in "Trojan Source" text) of dump
/// text; the command line cleans what it prints on stderr with it too.
pub(crate) fn clean(s: &str) -> std::borrow::Cow<'_, str> {
    if s.chars().any(unsafe_char) {
        s.chars()
            .map(|c| if unsafe_char(c) { '\u{fffd}' } else { c })
            .collect::<String>()
            .into()
    } else {
        s.into()
    }
}

/// A character a terminal would act on rather than show: C0 and C1
/// controls, and the bidirectional formatting characters.
fn unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

pub(super) fn location(file: &str, line: u32) -> String {
    if file.is_empty() {
        return "?".into();
    }
    let file = clean(file);
    // The last two path elements are enough to find the file.
    let mut parts = file.rsplit('/');
    let base = parts.next().unwrap_or(&file);
    let short = match parts.next() {
        Some(dir) => format!("{dir}/{base}"),
        None => base.to_string(),
    };
    crate::report::with_line(&short, line)
}

pub(super) fn one_line(s: &str, max: usize) -> String {
    let first = s.lines().next().unwrap_or("");
    let mut out: String = first
        .chars()
        .filter(|c| !c.is_control())
        .take(max)
        .collect();
    if first.chars().count() > max || s.lines().nth(1).is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn controls_and_bidi_overrides_are_replaced() {
        assert_eq!(clean("plain text"), "plain text");
        assert_eq!(clean("a\x1b]0;title\x07b"), "a\u{fffd}]0;title\u{fffd}b");
        // A right-to-left override would show "main.go" reversed text.
        assert_eq!(clean("evil\u{202E}og.niam"), "evil\u{fffd}og.niam");
        assert_eq!(clean("\u{2066}x\u{2069}"), "\u{fffd}x\u{fffd}");
        // Letters of right-to-left scripts are text, not controls.
        assert_eq!(clean("שלום"), "שלום");
    }
}
