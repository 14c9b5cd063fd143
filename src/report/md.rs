//! A compact Markdown rendering of a [`Report`] for a ticket (GitHub,
//! GitLab, Jira): the inputs, the top findings with their evidence and
//! stack folded in `<details>`, a table of the largest groups and the
//! states, all under a byte budget. Only what the report carries is shown;
//! nothing is recomputed.
//!
//! Everything that comes from a dump is untrusted and goes through one of
//! three escapers: [`escape_text`] for Markdown text (and table cells),
//! [`escape_html`] for text inside `<summary>`, and [`code_block`] for
//! fenced stacks.

use super::diff::{signed, signed_size, sparkline_of, DiffReport, HeapDiff};
use super::{Finding, FrameReport, GroupReport, Report, SnapshotReport};
use crate::analyze::phrase::count;
use std::fmt::Write as _;

/// Characters of one dump string shown; longer ones end in `…`.
pub const MAX_STR: usize = 300;
/// Frames of a finding's stack shown.
const MAX_FRAMES: usize = 12;
/// Goroutine ids listed per finding.
const MAX_IDS: usize = 20;
/// Evidence lines listed per finding.
const MAX_EVIDENCE: usize = 10;
/// States listed per dump.
const MAX_STATES: usize = 10;
/// Inputs and dumps listed in the header.
const MAX_HEADER_ITEMS: usize = 20;
/// Bytes kept free for one "left out" note.
const NOTE_ROOM: usize = 200;

/// Options of the Markdown rendering.
#[derive(Debug, Clone)]
pub struct MdOptions {
    /// The output stays at or under this many bytes (UTF-8).
    pub max_bytes: usize,
    /// Findings (above info) shown.
    pub max_findings: usize,
    /// Groups shown per dump.
    pub max_groups: usize,
}

impl Default for MdOptions {
    fn default() -> Self {
        MdOptions {
            max_bytes: 60_000,
            max_findings: 10,
            max_groups: 10,
        }
    }
}

/// Renders the report as Markdown of at most `opts.max_bytes` bytes. Each
/// section is added piece by piece; a piece that would pass the budget is
/// left out with a note saying so.
pub fn render(r: &Report, opts: &MdOptions) -> String {
    let footer = format!(
        "\n---\n\n_Made by {} {}. The HTML/JSON report has everything._\n",
        text(&r.tool.name),
        text(&r.tool.version)
    );
    let mut out = Out {
        buf: String::with_capacity(opts.max_bytes.min(1 << 16)),
        max: opts.max_bytes,
    };
    // Room kept for the footer and one note per section.
    let reserve = footer.len() + 4 * NOTE_ROOM;
    header(r, &mut out, reserve + opts.max_bytes / 2);
    // Findings leave a fifth of the budget to the groups and states.
    findings(r, opts, &mut out, reserve + opts.max_bytes / 5);
    if let Some(d) = &r.diff {
        diff(d, &mut out, reserve);
        out.push(&footer, 0);
        return out.buf;
    }
    heap(r, &mut out, reserve + opts.max_bytes / 20);
    if !r.snapshots.is_empty() {
        groups(r, opts, &mut out, reserve + opts.max_bytes / 20);
        states(r, &mut out, reserve);
    }
    out.push(&footer, 0);
    out.buf
}

/// The output under construction and its budget.
struct Out {
    buf: String,
    max: usize,
}

impl Out {
    /// Appends `chunk` if the output then still leaves `keep` bytes free.
    fn push(&mut self, chunk: &str, keep: usize) -> bool {
        let need = self
            .buf
            .len()
            .saturating_add(chunk.len())
            .saturating_add(keep);
        if need <= self.max {
            self.buf.push_str(chunk);
            true
        } else {
            false
        }
    }

    /// Appends a "left out" note into the room kept for notes.
    fn note(&mut self, line: &str) {
        debug_assert!(line.len() < NOTE_ROOM);
        self.push(&format!("\n_{line}_\n"), 0);
    }
}

fn header(r: &Report, out: &mut Out, keep: usize) {
    let mut left_out = 0;
    out.push("# dumpscope report\n\n", keep);
    for i in r.inputs.iter().take(MAX_HEADER_ITEMS) {
        let mut line = format!("- Input {}: {}", text(&i.source), super::human_size(i.size));
        if i.compression != "none" {
            let _ = write!(
                line,
                " {}, {} decompressed",
                text(&i.compression),
                super::human_size(i.decompressed_size)
            );
        }
        let _ = writeln!(line, ", {}", text(&i.format));
        for n in i.notes.iter().take(20) {
            let _ = writeln!(line, "  - {}", text(n));
        }
        if !out.push(&line, keep) {
            left_out += 1;
        }
    }
    let multi = r.snapshots.len() > 1;
    for (k, s) in r.snapshots.iter().enumerate().take(MAX_HEADER_ITEMS) {
        let mut line = if multi {
            format!("- Dump {} ({}): ", k + 1, text(&s.source))
        } else {
            "- Dump: ".to_string()
        };
        let mut what = vec![text(s.runtime.as_str())];
        what.extend(s.version_guess.as_deref().map(text));
        what.extend(s.origin.as_deref().map(text));
        let _ = write!(
            line,
            "{} ({}), {} {}{} in {}",
            text(&s.format),
            what.join(", "),
            s.task_count,
            {
                let (one, many) = super::snapshot_nouns(std::iter::once(s));
                plural(s.task_count, one, many)
            },
            super::branches_note(s.branch_count),
            count(s.groups_total, "group", "groups")
        );
        if s.truncated {
            line.push_str(", cut off");
        }
        line.push('\n');
        if let Some(c) = s.crash.as_ref().filter(|c| !c.message.is_empty()) {
            let _ = writeln!(line, "  - Crash: {}", text(&c.message));
        }
        if !out.push(&line, keep) {
            left_out += 1;
        }
    }
    left_out += r.inputs.len().saturating_sub(MAX_HEADER_ITEMS)
        + r.snapshots.len().saturating_sub(MAX_HEADER_ITEMS);
    if left_out > 0 {
        out.note(&format!("{left_out} more inputs or dumps not listed."));
    }
}

fn findings(r: &Report, opts: &MdOptions, out: &mut Out, keep: usize) {
    let (benign, real): (Vec<&Finding>, Vec<&Finding>) =
        r.findings.iter().partition(|f| f.is_quiet());
    if !out.push("\n## Findings\n", keep) {
        out.note(&format!(
            "{} left out for size.",
            count(real.len(), "finding", "findings")
        ));
        return;
    }
    if real.is_empty() {
        out.push("\nNone above info.\n", keep);
    }
    let multi = r.snapshots.len() > 1;
    let mut shown = 0;
    let mut without_details = 0;
    for f in real.iter().take(opts.max_findings) {
        // A rule between findings: each reads on its own.
        let rule = if shown > 0 { "\n---\n" } else { "" };
        let head = format!("{rule}{}", finding_head(f, multi));
        let full = format!("{head}{}", finding_details(r, f));
        if out.push(&full, keep) {
            shown += 1;
        } else if out.push(&head, keep) {
            shown += 1;
            without_details += 1;
        } else {
            break;
        }
    }
    let cut = real.len().min(opts.max_findings) - shown;
    if cut > 0 {
        out.note(&format!(
            "{cut} more {} left out for size; the HTML/JSON report has them all.",
            plural(cut as u64, "finding", "findings")
        ));
    } else if real.len() > opts.max_findings {
        out.note(&format!(
            "{} more {} not shown; the HTML/JSON report has them all.",
            real.len() - opts.max_findings,
            plural(
                (real.len() - opts.max_findings) as u64,
                "finding",
                "findings"
            )
        ));
    }
    if without_details > 0 {
        out.note(&format!(
            "The evidence and stack of {} left out for size.",
            count(without_details, "finding was", "findings were")
        ));
    }
    if !benign.is_empty() {
        let n: u64 = benign.iter().map(|f| f.task_count).sum();
        let titles: Vec<String> = benign.iter().take(3).map(|f| text(&f.title)).collect();
        let more = if benign.len() > 3 { "; ..." } else { "" };
        let line = format!(
            "\nInfo and benign waits, nothing to act on ({n} {}): {}{more}\n",
            plural(n, r.nouns().0, r.nouns().1),
            titles.join("; ")
        );
        out.push(&line, keep);
    }
}

/// The visible part of a finding: its line, explanation and fix.
fn finding_head(finding: &Finding, multi: bool) -> String {
    let dump = match (multi, finding.snapshot, finding.heap) {
        (true, Some(si), _) => format!(" (dump {})", si + 1),
        (_, None, Some(hi)) => format!(" (heap {})", hi + 1),
        _ => String::new(),
    };
    let links = finding
        .links_line("finding ")
        .map(|links| format!("\n\n_{}_", text(&links)))
        .unwrap_or_default();
    format!(
        "\n**{}. {}** {} ({}){dump}: {}{links}\n\n{}\n\n**Fix:** {}\n",
        finding.rank,
        text(&finding.severity.as_str().to_uppercase()),
        text(finding.kind.as_str()),
        text(finding.confidence.as_str()),
        text(&finding.title),
        text(&finding.explanation),
        text(&finding.remedy)
    )
}

/// The folded part of a finding: evidence, goroutines, rule, and the stack
/// of its first group.
fn finding_details(r: &Report, finding: &Finding) -> String {
    let mut details = format!(
        "\n<details><summary>{}</summary>\n\n",
        escape_html("Evidence and stack")
    );
    for e in finding.evidence.iter().take(MAX_EVIDENCE) {
        let _ = writeln!(details, "- {}", text(e));
    }
    if finding.evidence.len() > MAX_EVIDENCE {
        let _ = writeln!(
            details,
            "- and {} more evidence {}",
            finding.evidence.len() - MAX_EVIDENCE,
            plural(
                (finding.evidence.len() - MAX_EVIDENCE) as u64,
                "line",
                "lines"
            )
        );
    }
    if !finding.task_ids.is_empty() {
        let ids: Vec<String> = finding
            .task_ids
            .iter()
            .take(MAX_IDS)
            .map(u64::to_string)
            .collect();
        let more = if finding.task_ids.len() > MAX_IDS {
            format!(" and {} more", finding.task_ids.len() - MAX_IDS)
        } else {
            String::new()
        };
        let _ = writeln!(
            details,
            "- {}: {}{more}",
            title_case(r.nouns().1),
            ids.join(", ")
        );
    } else if finding.task_count > 0 {
        let _ = writeln!(
            details,
            "- {}: {} (the profile does not identify them)",
            title_case(r.nouns().1),
            finding.task_count
        );
    }
    let _ = write!(details, "- Rule: {}", text(&finding.rule));
    if !finding.groups.is_empty() {
        let g: Vec<String> = finding.groups.iter().take(8).map(|g| text(g)).collect();
        let more = if finding.groups.len() > 8 {
            ", ..."
        } else {
            ""
        };
        let _ = write!(details, "; groups: {}{more}", g.join(", "));
    }
    details.push('\n');
    if let Some(gid) = finding.groups.first() {
        match r.group(finding.snapshot, gid) {
            Some(g) => {
                let _ = write!(
                    details,
                    "\nStack of {} ({} {}, {}):\n\n{}",
                    text(&g.id),
                    g.count,
                    plural(g.count, r.nouns().0, r.nouns().1),
                    text(&g.state),
                    code_block(&traceback(g))
                );
            }
            None => {
                let _ = writeln!(
                    details,
                    "\nGroup {} is not in this report (see --max-groups, --filter).",
                    text(gid)
                );
            }
        }
    }
    details.push_str("\n</details>\n");
    details
}

/// A group's representative stack the way Go prints a traceback.
fn traceback(group: &GroupReport) -> String {
    let mut lines = String::new();
    for (i, f) in group.frames.iter().enumerate().take(MAX_FRAMES) {
        if group.elided.is_some_and(|e| e.at as usize == i) {
            lines.push_str("...additional frames elided...\n");
        }
        let _ = writeln!(
            lines,
            "{}\n\t{}",
            clip(&f.function),
            position(&f.file, f.line)
        );
    }
    if group.frames.len() > MAX_FRAMES {
        let _ = writeln!(
            lines,
            "...{} more {}...",
            group.frames.len() - MAX_FRAMES,
            plural((group.frames.len() - MAX_FRAMES) as u64, "frame", "frames")
        );
    }
    if let Some(c) = &group.created_by {
        let parents = match c.parent_ids.as_slice() {
            [] => String::new(),
            [p] => format!(" in goroutine {p}"),
            ps => format!(" in {} goroutines", ps.len()),
        };
        let _ = writeln!(
            lines,
            "created by {}{parents}\n\t{}",
            clip(&c.function),
            position(&c.file, c.line)
        );
    }
    for a in &group.ancestors {
        let _ = writeln!(lines, "[originating from goroutine {}]", a.id);
        for f in a.frames.iter().take(MAX_FRAMES) {
            let _ = writeln!(
                lines,
                "{}(...)\n\t{}",
                clip(&f.function),
                position(&f.file, f.line)
            );
        }
        if let Some(c) = &a.created_by {
            let _ = writeln!(
                lines,
                "created by {}\n\t{}",
                clip(&c.function),
                position(&c.file, c.line)
            );
        }
    }
    lines
}

fn position(file: &str, line: u32) -> String {
    if file.is_empty() {
        "?".into()
    } else {
        crate::report::with_line(&clip(file), line)
    }
}

fn groups(r: &Report, opts: &MdOptions, out: &mut Out, keep: usize) {
    if !out.push("\n## Groups\n", keep) {
        let total: usize = r.snapshots.iter().map(|s| s.groups_total).sum();
        out.note(&format!(
            "{} left out for size.",
            count(total, "group", "groups")
        ));
        return;
    }
    let multi = r.snapshots.len() > 1;
    for (k, s) in r.snapshots.iter().enumerate() {
        if multi
            && !out.push(
                &format!("\n### Dump {} ({})\n", k + 1, text(&s.source)),
                keep,
            )
        {
            out.note("The groups of the remaining dumps were left out for size.");
            return;
        }
        if !group_table(s, opts, out, keep) {
            return;
        }
    }
}

/// Writes one dump's table; false when the budget ran out.
fn group_table(snapshot: &SnapshotReport, opts: &MdOptions, out: &mut Out, keep: usize) -> bool {
    let (_, many) = super::snapshot_nouns(std::iter::once(snapshot));
    let head = format!(
        "\n| Group | {} | State | Wait (min) | Top frame | Created by |\n\
         | --- | ---: | --- | --- | --- | --- |\n",
        title_case(many)
    );
    let mut shown = 0;
    let mut full = true;
    for g in snapshot.groups.iter().take(opts.max_groups) {
        let row = group_row(g);
        let chunk = if shown == 0 {
            format!("{head}{row}")
        } else {
            row
        };
        if !out.push(&chunk, keep) {
            full = false;
            break;
        }
        shown += 1;
    }
    if shown == 0 && snapshot.groups_total == 0 {
        out.push(&format!("\nNo {many}.\n"), keep);
    }
    let more = snapshot.groups_total.saturating_sub(shown);
    if !full {
        out.note(&format!(
            "{more} more {} (of {}) left out for size.",
            plural(more as u64, "group", "groups"),
            snapshot.groups_total
        ));
    } else if more > 0 {
        out.note(&format!(
            "{more} more {} (of {}) {} in the HTML/JSON report.",
            plural(more as u64, "group", "groups"),
            snapshot.groups_total,
            plural(more as u64, "is", "are")
        ));
    }
    full
}

fn group_row(g: &GroupReport) -> String {
    let wait = match g.wait_minutes {
        None => "-".to_string(),
        Some(m) if m.min == m.max => m.range(),
        Some(m) => format!("{} (median {})", m.range(), m.median),
    };
    let top = g.top_frame().map_or("-".to_string(), frame_cell);
    let creator = g.created_by.as_ref().map_or("-".to_string(), |c| {
        format!("{} {}", text(&c.function), text(&short(&c.file, c.line)))
    });
    format!(
        "| {} | {} | {} | {wait} | {top} | {creator} |\n",
        text(&g.id),
        g.count,
        text(&g.state)
    )
}

fn frame_cell(f: &FrameReport) -> String {
    format!("{} {}", text(&f.function), text(&short(&f.file, f.line)))
}

/// `dir/file.go:12`: the last two path elements are enough to find a file.
fn short(file: &str, line: u32) -> String {
    if file.is_empty() {
        return "?".into();
    }
    let mut parts = file.rsplit('/');
    let base = parts.next().unwrap_or(file);
    match parts.next() {
        Some(dir) => crate::report::with_line(&format!("{dir}/{base}"), line),
        None => crate::report::with_line(base, line),
    }
}

fn states(r: &Report, out: &mut Out, keep: usize) {
    if !out.push("\n## States\n\n", keep) {
        out.note("The states were left out for size.");
        return;
    }
    let multi = r.snapshots.len() > 1;
    for (k, s) in r.snapshots.iter().enumerate() {
        let mut chunk = String::new();
        if multi {
            let _ = writeln!(chunk, "Dump {}:\n", k + 1);
        }
        for (name, n) in s.states.0.iter().take(MAX_STATES) {
            let _ = writeln!(chunk, "- {}: {n}", text(name));
        }
        if s.states.0.len() > MAX_STATES {
            let more = s.states.0.len() - MAX_STATES;
            let _ = writeln!(
                chunk,
                "- and {more} more {}",
                plural(more as u64, "state", "states")
            );
        }
        if multi {
            chunk.push('\n');
        }
        if !out.push(&chunk, keep) {
            out.note("The states of the remaining dumps were left out for size.");
            return;
        }
    }
}

/// Functions listed per heap snapshot.
const MAX_HEAP_ROWS: usize = 10;

fn heap(r: &Report, out: &mut Out, keep: usize) {
    let size = crate::analyze::phrase::mib;
    for (hi, h) in r.heap.iter().enumerate() {
        let mut section = String::new();
        let tot = &h.totals;
        let _ = writeln!(section, "\n## Heap {}: {}\n", hi + 1, text(&h.source));
        let _ = write!(
            section,
            "{} ({}). In use: **{}** in {}",
            text(&h.format),
            h.runtime.as_str(),
            size(tot.inuse_bytes),
            count(tot.inuse_objects.max(0) as usize, "object", "objects")
        );
        if h.has_alloc {
            let _ = write!(
                section,
                "; allocated: {} in {}",
                size(tot.alloc_bytes),
                count(tot.alloc_objects.max(0) as usize, "object", "objects")
            );
        }
        section.push_str(
            ".\n\n| flat | flat% | cum | cum% | function |\n| ---: | ---: | ---: | ---: | --- |\n",
        );
        let pct = |a: i64| {
            if tot.inuse_bytes > 0 {
                format!("{:.1}%", a as f64 * 100.0 / tot.inuse_bytes as f64)
            } else {
                "-".into()
            }
        };
        for f in h.functions.iter().take(MAX_HEAP_ROWS) {
            let _ = writeln!(
                section,
                "| {} | {} | {} | {} | {} |",
                size(f.flat.inuse_bytes),
                pct(f.flat.inuse_bytes),
                size(f.cum.inuse_bytes),
                pct(f.cum.inuse_bytes),
                text(&f.function)
            );
        }
        if !out.push(&section, keep) {
            out.note("The remaining heap snapshots were left out for size.");
            return;
        }
    }
}

/// `threads` → `Threads`.
fn title_case(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(f) => f.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn plural(n: u64, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// Dump text for Markdown: clipped to [`MAX_STR`] characters, then escaped.
fn text(s: &str) -> String {
    escape_text(&clip(s))
}

/// The first [`MAX_STR`] characters of `s`, with `…` when it was longer.
fn clip(s: &str) -> std::borrow::Cow<'_, str> {
    super::clip(s, MAX_STR)
}

/// Characters that would end a line, reorder text, or hide in it: control
/// characters, Unicode line and paragraph separators, and bidi overrides.
fn is_breaking(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{202a}'
                ..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}'
        )
}

/// Escapes dump text so that Markdown (CommonMark, GFM) shows it as plain
/// text, on one line, wherever a renderer puts it: in a paragraph, a list
/// item or a table cell.
///
/// - `&`, `<` and `>` become entities: no HTML, comment or autolink can
///   start.
/// - `` \ ` * _ [ ] | # ! ~ $ `` get a backslash: no emphasis, code span,
///   link, image, table cell break, heading, strikethrough or math.
/// - `:` before `//` and `.` after `www` get a backslash, so that GFM does
///   not turn a bare address into a link.
/// - Control characters (`\r`, `\n`, tab...), line separators and bidi
///   overrides become spaces, and the ends are trimmed: the text stays on
///   its line and starts no block.
/// - A leading `-`, `+`, `=` or `1.`/`1)` is escaped so the text cannot
///   begin a list or underline a heading when it starts a line.
pub fn escape_text(s: &str) -> String {
    let flat: String = s
        .chars()
        .map(|c| if is_breaking(c) { ' ' } else { c })
        .collect();
    let flat = flat.trim_matches(|c: char| c.is_whitespace());
    let mut out = String::with_capacity(flat.len() + 16);
    // A leading ordered-list marker: digits, then `.` or `)`.
    let digits = flat.bytes().take_while(u8::is_ascii_digit).count();
    let marker = (1..=9).contains(&digits)
        && matches!(flat.as_bytes().get(digits), Some(b'.' | b')'))
        && matches!(flat.as_bytes().get(digits + 1), None | Some(b' '));
    let list_dot = marker.then_some(digits);
    let chars: Vec<char> = flat.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '!' | '~' | '$' => {
                out.push('\\');
                out.push(c);
            }
            '-' | '+' | '=' if i == 0 => {
                out.push('\\');
                out.push(c);
            }
            '.' | ')' if list_dot == Some(i) => {
                out.push('\\');
                out.push(c);
            }
            ':' if chars.get(i + 1) == Some(&'/') && chars.get(i + 2) == Some(&'/') => {
                out.push_str("\\:");
            }
            '.' if i >= 3 && chars[i - 3..i].iter().all(|w| w.eq_ignore_ascii_case(&'w')) => {
                out.push_str("\\.");
            }
            _ => out.push(c),
        }
    }
    out
}

/// Escapes text for an HTML context of the Markdown (`<summary>`,
/// `<details>`): the five markup characters become entities and control
/// characters spaces.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if is_breaking(c) => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A fenced code block holding `content` verbatim, one line per `\n`. The
/// fence is a run of backticks longer than any run in the content (at least
/// three), so no content line can close it; control characters other than
/// tabs (a lone `\r` ends a line in Markdown) become `\u{fffd}`. A line
/// that looks like a fence to a looser renderer (```` ``` ```` or `~~~`
/// after up to three spaces) is indented by four more spaces, which no
/// renderer takes for a fence.
pub fn code_block(content: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in content.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat((longest + 1).max(3));
    let mut out = String::with_capacity(content.len() + 2 * fence.len() + 8);
    out.push_str(&fence);
    out.push('\n');
    for line in content.strip_suffix('\n').unwrap_or(content).split('\n') {
        let line: String = line
            .chars()
            .map(|c| {
                if c != '\t' && is_breaking(c) {
                    '\u{fffd}'
                } else {
                    c
                }
            })
            .collect();
        let body = line.trim_start_matches(' ');
        if line.len() - body.len() <= 3 && (body.starts_with("```") || body.starts_with("~~~")) {
            out.push_str("    ");
        }
        out.push_str(&line);
        out.push('\n');
    }
    out.push_str(&fence);
    out.push('\n');
    out
}

/// Rows of the diff tables.
const MAX_DIFF_ROWS: usize = 15;

/// `dumpscope diff`: the changed groups, stuck and spinning goroutines,
/// spawners and the heap's growth.
fn diff(d: &DiffReport, out: &mut Out, keep: usize) {
    let mut section = String::new();
    if !d.snapshots.is_empty() {
        goroutine_changes(d, &mut section);
    }
    if let Some(h) = &d.heap {
        heap_growth(h, &mut section);
    }
    if !out.push(&section, keep) {
        out.note("The diff tables were left out for size; the JSON report has them.");
    }
}

/// Goroutine groups that changed, then goroutines stuck or running in
/// every dump and the biggest creator of new ones.
fn goroutine_changes(d: &DiffReport, section: &mut String) {
    let changed: Vec<_> = d.groups.iter().filter(|g| g.change != 0).collect();
    let _ = writeln!(
        section,
        "\n## What changed over {} dumps\n\n{} of {} changed.\n",
        d.snapshots.len(),
        changed.len(),
        count(d.groups_total, "goroutine group", "goroutine groups")
    );
    if !changed.is_empty() {
        section.push_str("| change | trend | goroutines | status | state | site |\n| ---: | --- | --- | --- | --- | --- |\n");
        for g in changed.iter().take(MAX_DIFF_ROWS) {
            let counts: Vec<String> = g.counts.iter().map(|n| n.to_string()).collect();
            let _ = writeln!(
                section,
                "| {} | {} | {} | {} | {} | {} |",
                signed(g.change),
                sparkline_of(&g.counts, |n| n as f64),
                counts.join(" → "),
                g.status,
                text(&g.state),
                text(&g.site)
            );
        }
    }
    if !d.stuck.is_empty() {
        let mut sites: Vec<&str> = d.stuck.iter().map(|s| s.site.as_str()).collect();
        sites.dedup();
        let _ = writeln!(
            section,
            "\n**Stuck in every dump:** {}, at {}.",
            count(d.stuck.len(), "goroutine", "goroutines"),
            sites
                .iter()
                .take(5)
                .map(|s| text(s))
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
    for s in d.spinning.iter().take(MAX_DIFF_ROWS) {
        let _ = writeln!(
            section,
            "\n**Running in every dump:** goroutine {} at {}.",
            s.id,
            text(&s.site)
        );
    }
    if let Some(s) = d.spawners.first() {
        let _ = writeln!(
            section,
            "\n**New goroutines:** {} created by {}.",
            s.new_goroutines,
            text(&s.creator)
        );
    }
}

/// The heap's growth by function.
fn heap_growth(h: &HeapDiff, section: &mut String) {
    let _ = writeln!(
        section,
        "\n## Heap growth over {} snapshots\n\nIn use: **{}** ({} objects).\n\n| flat | cum | trend | function |\n| ---: | ---: | --- | --- |",
        h.snapshots.len(),
        signed_size(h.delta.inuse_bytes),
        signed(h.delta.inuse_objects)
    );
    for f in h
        .functions
        .iter()
        .filter(|f| f.flat_delta != 0)
        .take(MAX_DIFF_ROWS)
    {
        let _ = writeln!(
            section,
            "| {} | {} | {} | {} |",
            signed_size(f.flat_delta),
            signed_size(f.cum_delta),
            sparkline_of(&f.flat, |b| b as f64),
            text(&f.function)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape_text("<b>*x*</b> & [l](u) | `c` #1 ~s~ !i $m$ a_b \\"),
            "&lt;b&gt;\\*x\\*&lt;/b&gt; &amp; \\[l\\](u) \\| \\`c\\` \\#1 \\~s\\~ \\!i \\$m\\$ a\\_b \\\\"
        );
        assert_eq!(escape_text("  - a\r\n+ b"), "\\- a  + b");
        assert_eq!(escape_text("12. x"), "12\\. x");
        assert_eq!(escape_text("1) x"), "1\\) x");
        assert_eq!(escape_text("3.14"), "3.14");
        assert_eq!(escape_text("v1.2"), "v1.2");
        assert_eq!(
            escape_text("see https://x.example or www.y.example"),
            "see https\\://x.example or www\\.y.example"
        );
    }

    #[test]
    fn clips_on_char_boundaries() {
        let s = "é".repeat(MAX_STR + 5);
        let c = clip(&s);
        assert_eq!(c.chars().count(), MAX_STR + 1);
        assert!(c.ends_with('…'));
        assert_eq!(clip("short"), "short");
    }

    #[test]
    fn fence_outlasts_backticks() {
        let b = code_block("a ````` b\n```\n  ~~~x\n");
        assert!(b.starts_with("``````\n"));
        assert!(b.ends_with("\n``````\n"));
        assert!(b.contains("\n    ```\n"));
        assert!(b.contains("\n      ~~~x\n"));
        assert_eq!(code_block("x\ry"), "```\nx\u{fffd}y\n```\n");
    }
}
