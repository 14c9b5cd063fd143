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
pub(super) fn findings(html: &mut String, report: &Report) {
    html.push_str("<section id=\"findings\">\n<h2>Findings</h2>\n");
    if report.findings.is_empty() {
        html.push_str("<p class=\"empty\">No findings: nothing looks wrong in these dumps.</p>\n");
    }
    let counts: Vec<(usize, usize)> = (1..SEVERITIES.len())
        .rev()
        .map(|s| {
            (
                s,
                report
                    .findings
                    .iter()
                    .filter(|f| sev_index(f.severity) == s)
                    .count(),
            )
        })
        .filter(|x| x.1 > 0)
        .collect();
    if !counts.is_empty() {
        html.push_str("<p class=\"tally\">");
        for (s, n) in counts {
            let _ = write!(
                html,
                "<span class=\"severity sev-{0}\">{0}</span> {n} ",
                SEVERITIES[s]
            );
        }
        html.push_str("</p>\n");
    }
    let (quiet, real): (Vec<&Finding>, Vec<&Finding>) =
        report.findings.iter().partition(|f| f.is_quiet());
    for (i, f) in real.iter().enumerate() {
        finding(html, report, f, i < 3);
    }
    quiet_line(html, report, &quiet);
    html.push_str("</section>\n");
}

/// Info findings and benign waits, folded into one line: nothing to act on.
fn quiet_line(html: &mut String, report: &Report, quiet: &[&Finding]) {
    if quiet.is_empty() {
        return;
    }
    let tasks: u64 = quiet.iter().map(|f| f.task_count).sum();
    let titles: Vec<String> = quiet.iter().take(3).map(|f| text(&f.title)).collect();
    let _ = writeln!(
        html,
        "<details class=\"quiet\"><summary>{} info {} and benign waits ({tasks} {}): {}{}</summary>\n<ul class=\"quiet-list\">",
        quiet.len(),
        if quiet.len() == 1 { "finding" } else { "findings" },
        if tasks == 1 {
            report.nouns().0
        } else {
            report.nouns().1
        },
        titles.join("; "),
        if quiet.len() > 3 { "; …" } else { "" }
    );
    for f in quiet {
        let _ = writeln!(
            html,
            "<li id=\"{}\"><span class=\"severity sev-{sev}\">{sev}</span> {} <code>{}</code></li>",
            esc(&f.id),
            text(&f.title),
            text(&f.rule),
            sev = SEVERITIES[sev_index(f.severity)],
        );
    }
    html.push_str("</ul>\n</details>\n");
}

/// Links to the findings named by `ids`, by rank.
fn finding_links(ids: &[String]) -> String {
    ids.iter()
        .map(|id| {
            format!(
                "<a href=\"#{}\">#{}</a>",
                esc(id),
                text(id.trim_start_matches('f'))
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The findings one is linked to, and the dumps it persists across.
fn links(html: &mut String, f: &Finding) {
    let mut parts: Vec<String> = Vec::new();
    if !f.caused_by.is_empty() {
        parts.push(format!("<b>Caused by</b> {}", finding_links(&f.caused_by)));
    }
    if !f.explains.is_empty() {
        parts.push(format!("<b>Causes</b> {}", finding_links(&f.explains)));
    }
    if !f.also_in.is_empty() {
        let dumps: Vec<String> = f.also_in.iter().map(|i| (i + 1).to_string()).collect();
        parts.push(format!(
            "<b>Persists</b> across {} dumps (also in {} {})",
            f.also_in.len() + 1,
            if f.also_in.len() == 1 {
                "dump"
            } else {
                "dumps"
            },
            dumps.join(", ")
        ));
    }
    if !parts.is_empty() {
        let _ = writeln!(html, "<p class=\"links\">{}</p>", parts.join(" · "));
    }
}

/// One finding: what, why, the fix, then its evidence folded.
fn finding(html: &mut String, report: &Report, f: &Finding, open: bool) {
    let sev = SEVERITIES[sev_index(f.severity)];
    let _ = writeln!(
        html,
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
    links(html, f);
    let _ = writeln!(
        html,
        "<p class=\"explanation\">{}</p>",
        text(&f.explanation)
    );
    if !f.cause.is_empty() {
        let _ = writeln!(
            html,
            "<p class=\"cause\"><b>Usual cause:</b> {}</p>",
            text(&f.cause)
        );
    }
    let _ = writeln!(
        html,
        "<p class=\"remedy\"><b>Fix:</b> {}</p>",
        text(&f.remedy)
    );
    if !f.sketch.is_empty() {
        let _ = writeln!(html, "<pre class=\"sketch\">{}</pre>", esc(&f.sketch));
    }
    let _ = writeln!(
        html,
        "<details class=\"evidence\"{}><summary>Evidence</summary>",
        if f.rank == 1 { " open" } else { "" }
    );
    evidence_lists(html, f);
    task_list(html, report, f);
    group_stacks(html, report, f);
    if let Some(u) = &f.user_rule {
        let _ = writeln!(
            html,
            "<p class=\"user-rule\">Changed by rule {}</p>",
            text(u)
        );
    }
    if !f.references.is_empty() {
        html.push_str("<p class=\"refs\"><b>References:</b> ");
        let refs: Vec<String> = f.references.iter().map(|x| text(x)).collect();
        html.push_str(&refs.join(" · "));
        html.push_str("</p>\n");
    }
    let _ = writeln!(
        html,
        "<p class=\"rule\">rule <code>{}</code></p>",
        text(&f.rule)
    );
    html.push_str("</details>\n</details>\n");
}

/// The notes and resources behind a finding.
fn evidence_lists(html: &mut String, finding: &Finding) {
    if !finding.evidence.is_empty() {
        html.push_str("<ul class=\"notes\">");
        for e in &finding.evidence {
            let _ = write!(html, "<li>{}</li>", text(e));
        }
        html.push_str("</ul>\n");
    }
    if !finding.resources.is_empty() {
        html.push_str("<p class=\"resources\"><b>Resources:</b> ");
        for (k, res) in finding.resources.iter().take(20).enumerate() {
            if k > 0 {
                html.push_str(", ");
            }
            let _ = write!(html, "<code>{}</code>", text(res));
        }
        if finding.resources.len() > 20 {
            let _ = write!(html, " and {} more", finding.resources.len() - 20);
        }
        html.push_str("</p>\n");
    }
}

/// The tasks a finding names, the first [`MAX_IDS`] by id.
fn task_list(html: &mut String, report: &Report, finding: &Finding) {
    if !finding.task_ids.is_empty() {
        let _ = write!(
            html,
            "<p class=\"ids\"><b>{} {}:</b> ",
            finding.task_ids.len(),
            if finding.task_ids.len() == 1 {
                report.nouns().0
            } else {
                report.nouns().1
            }
        );
        let ids: Vec<String> = finding
            .task_ids
            .iter()
            .take(MAX_IDS)
            .map(|i| i.to_string())
            .collect();
        html.push_str(&ids.join(", "));
        if finding.task_ids.len() > MAX_IDS {
            let _ = write!(html, " and {} more", finding.task_ids.len() - MAX_IDS);
        }
        html.push_str("</p>\n");
    } else if finding.task_count > 0 {
        let _ = writeln!(
            html,
            "<p class=\"ids\"><b>{} {}</b> (the profile does not identify them)</p>",
            finding.task_count,
            if finding.task_count == 1 {
                report.nouns().0
            } else {
                report.nouns().1
            }
        );
    }
}

/// The stacks of the first groups a finding names; the rest by id.
fn group_stacks(html: &mut String, report: &Report, finding: &Finding) {
    for gid in finding.groups.iter().take(3) {
        let Some(g) = report.group(finding.snapshot, gid) else {
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
            html,
            "<p class=\"group-ref\">Group <code>{}</code>: {} {} [{}]{wait}</p>",
            text(&g.id),
            g.count,
            if g.count == 1 {
                report.nouns().0
            } else {
                report.nouns().1
            },
            text(&g.state)
        );
        stack_pre(html, g);
    }
    if finding.groups.len() > 3 {
        let _ = writeln!(
            html,
            "<p class=\"more\">and {}: {}</p>",
            crate::analyze::phrase::count(finding.groups.len() - 3, "more group", "more groups"),
            finding
                .groups
                .iter()
                .skip(3)
                .take(50)
                .map(|g| text(g))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
}
