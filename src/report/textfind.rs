//! The findings of the terminal rendering: those of every dump and heap
//! profile of the report, ranked together, each saying where it was seen.

use super::textfmt::{clean, one_line, BOLD, DIM, HEAD, RED, YELLOW};
use super::{Finding, Report};
use crate::analyze::finding::Severity;
use std::io::{self, Write};

/// `one` or `many` as `n` asks.
pub(super) fn plural(n: u64, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// The findings of every dump and heap profile, most urgent first, at most
/// `max_findings` in full; info and benign ones on one line.
pub(super) fn findings(r: &Report, max_findings: usize, w: &mut dyn Write) -> io::Result<()> {
    let (benign, real): (Vec<&Finding>, Vec<&Finding>) =
        r.findings.iter().partition(|f| f.is_quiet());
    if real.is_empty() {
        writeln!(w, "{HEAD}findings{HEAD:#}  none above info")?;
    } else {
        writeln!(w, "{HEAD}findings{HEAD:#}")?;
    }
    let several = r.snapshots.len() + r.heap.len() > 1;
    for f in real.iter().take(max_findings) {
        finding_head(f, several.then(|| place(r, f)).as_deref(), w)?;
        rule_line(r, f, w)?;
    }
    if real.len() > max_findings {
        writeln!(
            w,
            "  {DIM}({} more findings; see --max-findings or --json){DIM:#}",
            real.len() - max_findings
        )?;
    }
    if !benign.is_empty() {
        let n: u64 = benign.iter().map(|f| f.task_count).sum();
        let (one, many) = benign
            .iter()
            .find_map(|f| f.snapshot.and_then(|i| r.snapshots.get(i)))
            .map_or(("goroutine", "goroutines"), |s| s.task_kind.noun());
        let kinds: Vec<String> = benign
            .iter()
            .take(6)
            .map(|f| one_line(&f.title, 80))
            .collect();
        writeln!(
            w,
            "  {DIM}info and benign waits, nothing to act on ({n} {}): {}{}{DIM:#}",
            plural(n, one, many),
            kinds.join("; "),
            if benign.len() > 6 { "; ..." } else { "" }
        )?;
    }
    Ok(())
}

/// The dump or heap profile a finding is about: its input, and which of
/// the input's dumps when it holds several.
fn place(r: &Report, f: &Finding) -> String {
    if let Some((i, s)) = f.snapshot.and_then(|i| Some((i, r.snapshots.get(i)?))) {
        if r.snapshots.len() > 1 {
            format!(
                "{}, dump {} of {}",
                clean(&s.source),
                i + 1,
                r.snapshots.len()
            )
        } else {
            clean(&s.source).into_owned()
        }
    } else if let Some(h) = f.heap.and_then(|i| r.heap.get(i)) {
        format!("{} (heap profile)", clean(&h.source))
    } else {
        "the report".into()
    }
}

/// The rule, the tasks and the groups a finding names.
fn rule_line(r: &Report, f: &Finding, w: &mut dyn Write) -> io::Result<()> {
    let Some(s) = f.snapshot.and_then(|i| r.snapshots.get(i)) else {
        return writeln!(w, "     {DIM}rule: {}{DIM:#}", f.rule);
    };
    let ids: Vec<String> = f.task_ids.iter().take(12).map(|i| i.to_string()).collect();
    let more = if f.task_ids.len() > 12 {
        format!(" (+{} more)", f.task_ids.len() - 12)
    } else {
        String::new()
    };
    let groups = if f.groups.is_empty() {
        String::new()
    } else {
        let g: Vec<&str> = f.groups.iter().take(8).map(String::as_str).collect();
        format!(
            "  groups: {}{}",
            g.join(", "),
            if f.groups.len() > 8 { ", ..." } else { "" }
        )
    };
    let tasks = if ids.is_empty() && f.task_count > 0 {
        format!("{} (no ids in this profile)", f.task_count)
    } else if ids.is_empty() {
        "-".to_string()
    } else {
        ids.join(", ")
    };
    writeln!(
        w,
        "     {DIM}rule: {}  {}: {tasks}{more}{groups}{DIM:#}",
        f.rule,
        s.task_kind.noun().1,
    )
}

/// A finding's title line, where it was seen (`place`, with several
/// dumps), its links, explanation, evidence and fix.
pub(super) fn finding_head(
    finding: &Finding,
    place: Option<&str>,
    w: &mut dyn Write,
) -> io::Result<()> {
    let style = match finding.severity {
        Severity::Critical | Severity::High => RED,
        Severity::Medium => YELLOW,
        Severity::Low | Severity::Info => BOLD,
    };
    writeln!(
        w,
        "  {BOLD}#{}{BOLD:#} {style}{}{style:#} {} ({})  {}",
        finding.rank,
        finding.severity.as_str().to_uppercase(),
        finding.kind,
        finding.confidence,
        one_line(&finding.title, 200)
    )?;
    if let Some(place) = place {
        writeln!(w, "     {DIM}in {place}{DIM:#}")?;
    }
    if let Some(links) = finding.links_line("#") {
        writeln!(w, "     {BOLD}{links}{BOLD:#}")?;
    }
    writeln!(w, "     {}", one_line(&finding.explanation, 600))?;
    for e in finding.evidence.iter().take(6) {
        writeln!(w, "     {DIM}- {}{DIM:#}", one_line(e, 300))?;
    }
    if finding.evidence.len() > 6 {
        writeln!(
            w,
            "     {DIM}- ... {} more (see --json){DIM:#}",
            finding.evidence.len() - 6
        )?;
    }
    writeln!(w, "     fix: {}", one_line(&finding.remedy, 400))
}
