//! The findings section: a tally by severity, then each finding with its
//! explanation, fix, evidence and the stacks of the groups it names.

use super::escape::{esc, text};
use super::severity::{sev_index, SEVERITIES};
use super::stack::stack_pre;
use crate::report::{Finding, Report};
use std::fmt::Write as _;

/// Goroutine ids listed per finding.
const MAX_IDS: usize = 50;

/// The findings section: a tally by severity, then every finding, the
/// first three open.
pub(super) fn findings(h: &mut String, r: &Report) {
    h.push_str("<section id=\"findings\">\n<h2>Findings</h2>\n");
    if r.findings.is_empty() {
        h.push_str("<p class=\"empty\">No findings: nothing looks wrong in these dumps.</p>\n");
    }
    let counts: Vec<(usize, usize)> = (1..SEVERITIES.len())
        .rev()
        .map(|s| {
            (
                s,
                r.findings
                    .iter()
                    .filter(|f| sev_index(f.severity) == s)
                    .count(),
            )
        })
        .filter(|x| x.1 > 0)
        .collect();
    if !counts.is_empty() {
        h.push_str("<p class=\"tally\">");
        for (s, n) in counts {
            let _ = write!(
                h,
                "<span class=\"severity sev-{0}\">{0}</span> {n} ",
                SEVERITIES[s]
            );
        }
        h.push_str("</p>\n");
    }
    for (i, f) in r.findings.iter().enumerate() {
        finding(h, r, f, i < 3);
    }
    h.push_str("</section>\n");
}

/// One finding: what, why, the fix, then its evidence folded.
fn finding(h: &mut String, r: &Report, f: &Finding, open: bool) {
    let sev = SEVERITIES[sev_index(f.severity)];
    let _ = writeln!(
        h,
        "<details class=\"finding sev-{sev}\" id=\"{}\"{}>\n<summary><span class=\"rank\">#{}</span> \
         <span class=\"severity sev-{sev}\">{sev}</span> <span class=\"kind\">{}</span> \
         <span class=\"confidence\">{}</span> <span class=\"title\">{}</span></summary>",
        esc(&f.id),
        if open { " open" } else { "" },
        f.rank,
        text(f.kind.as_str()),
        text(f.confidence.as_str()),
        text(&f.title)
    );
    let _ = writeln!(h, "<p class=\"explanation\">{}</p>", text(&f.explanation));
    if !f.cause.is_empty() {
        let _ = writeln!(
            h,
            "<p class=\"cause\"><b>Usual cause:</b> {}</p>",
            text(&f.cause)
        );
    }
    let _ = writeln!(h, "<p class=\"remedy\"><b>Fix:</b> {}</p>", text(&f.remedy));
    if !f.sketch.is_empty() {
        let _ = writeln!(h, "<pre class=\"sketch\">{}</pre>", esc(&f.sketch));
    }
    let _ = writeln!(
        h,
        "<details class=\"evidence\"{}><summary>Evidence</summary>",
        if f.rank == 1 { " open" } else { "" }
    );
    evidence_lists(h, f);
    task_list(h, r, f);
    group_stacks(h, r, f);
    if let Some(u) = &f.user_rule {
        let _ = writeln!(h, "<p class=\"user-rule\">Changed by rule {}</p>", text(u));
    }
    if !f.references.is_empty() {
        h.push_str("<p class=\"refs\"><b>References:</b> ");
        let refs: Vec<String> = f.references.iter().map(|x| text(x)).collect();
        h.push_str(&refs.join(" · "));
        h.push_str("</p>\n");
    }
    let _ = writeln!(
        h,
        "<p class=\"rule\">rule <code>{}</code></p>",
        text(&f.rule)
    );
    h.push_str("</details>\n</details>\n");
}

/// The notes and resources behind a finding.
fn evidence_lists(h: &mut String, f: &Finding) {
    if !f.evidence.is_empty() {
        h.push_str("<ul class=\"notes\">");
        for e in &f.evidence {
            let _ = write!(h, "<li>{}</li>", text(e));
        }
        h.push_str("</ul>\n");
    }
    if !f.resources.is_empty() {
        h.push_str("<p class=\"resources\"><b>Resources:</b> ");
        for (k, res) in f.resources.iter().take(20).enumerate() {
            if k > 0 {
                h.push_str(", ");
            }
            let _ = write!(h, "<code>{}</code>", text(res));
        }
        if f.resources.len() > 20 {
            let _ = write!(h, " and {} more", f.resources.len() - 20);
        }
        h.push_str("</p>\n");
    }
}

/// The tasks a finding names, the first [`MAX_IDS`] by id.
fn task_list(h: &mut String, r: &Report, f: &Finding) {
    if !f.task_ids.is_empty() {
        let _ = write!(
            h,
            "<p class=\"ids\"><b>{} {}:</b> ",
            f.task_ids.len(),
            if f.task_ids.len() == 1 {
                r.nouns().0
            } else {
                r.nouns().1
            }
        );
        let ids: Vec<String> = f
            .task_ids
            .iter()
            .take(MAX_IDS)
            .map(|i| i.to_string())
            .collect();
        h.push_str(&ids.join(", "));
        if f.task_ids.len() > MAX_IDS {
            let _ = write!(h, " and {} more", f.task_ids.len() - MAX_IDS);
        }
        h.push_str("</p>\n");
    } else if f.task_count > 0 {
        let _ = writeln!(
            h,
            "<p class=\"ids\"><b>{} {}</b> (the profile does not identify them)</p>",
            f.task_count,
            if f.task_count == 1 {
                r.nouns().0
            } else {
                r.nouns().1
            }
        );
    }
}

/// The stacks of the first groups a finding names; the rest by id.
fn group_stacks(h: &mut String, r: &Report, f: &Finding) {
    for gid in f.groups.iter().take(3) {
        let Some(g) = r.group(f.snapshot, gid) else {
            continue;
        };
        let wait = g
            .wait_minutes
            .map(|w| {
                if w.min == w.max {
                    format!(", blocked {} min", w.max)
                } else {
                    format!(", blocked {} min (median {})", w.range(), w.median)
                }
            })
            .unwrap_or_default();
        let _ = writeln!(
            h,
            "<p class=\"group-ref\">Group <code>{}</code>: {} {} [{}]{wait}</p>",
            text(&g.id),
            g.count,
            if g.count == 1 {
                r.nouns().0
            } else {
                r.nouns().1
            },
            text(&g.state)
        );
        stack_pre(h, &g.frames, g.created_by.as_ref());
    }
    if f.groups.len() > 3 {
        let _ = writeln!(
            h,
            "<p class=\"more\">and {} more groups: {}</p>",
            f.groups.len() - 3,
            f.groups
                .iter()
                .skip(3)
                .take(50)
                .map(|g| text(g))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
}
