//! The HTML report: one self-contained file for an incident ticket. CSS,
//! script and data are inline; a Content-Security-Policy forbids every
//! fetch. Findings with their stacks, the wait-for graph, the icicle, the
//! states and the creation tree are drawn here, in static markup, so the
//! essentials read with JavaScript off; the script adds search, filters,
//! sorting, paging, goroutine lookup and icicle clicks over the groups.
//!
//! Everything that comes from a dump is untrusted: text goes through
//! [`esc`], data for the script through [`script_json`] (a function name
//! can hold `</script>`), and the script builds nodes with `textContent`
//! only.

use super::{clip, human_size, Finding, FrameReport, Graph, Report, SnapshotReport};
use crate::model::CodeKind;
use base64::Engine as _;
use rustc_hash::{FxHashMap, FxHashSet};
use sha2::Digest as _;
use std::borrow::Cow;
use std::fmt::Write as _;

const CSS: &str = include_str!("assets/report.css");
const JS: &str = include_str!("assets/report.js");

/// Groups rendered in the static table (the script pages through all).
pub const STATIC_ROWS: usize = 100;
/// Icicle rectangles drawn per snapshot, widest first.
const MAX_FLAME_NODES: usize = 3000;
/// Resources drawn in the wait-for graph, those on cycles first.
const MAX_GRAPH_RESOURCES: usize = 30;
/// Resources on cycles drawn at most (a dump full of deadlocks still
/// draws in bounded time and size).
const MAX_CYCLE_RESOURCES: usize = 200;
/// Waiter nodes drawn per resource; the rest become one "+N" node.
const MAX_WAITERS_DRAWN: usize = 4;
/// Characters of one dump string shown in markup.
const MAX_TEXT: usize = 400;
/// Goroutine ids listed per finding.
const MAX_IDS: usize = 50;
/// Snapshots that get their own icicle, states and creation tree.
const MAX_SNAPSHOT_VIEWS: usize = 8;
/// Severities, lowest first; index 0 is "none".
const SEVERITIES: [&str; 6] = ["", "info", "low", "medium", "high", "critical"];

/// Renders the whole report as one HTML document.
pub fn render(r: &Report) -> String {
    let mut body = String::with_capacity(1 << 16);
    let views: Vec<SnapView> = r
        .snapshots
        .iter()
        .take(MAX_SNAPSHOT_VIEWS)
        .enumerate()
        .map(|(i, s)| SnapView::new(i, s))
        .collect();
    let multi = r.snapshots.len() > 1;
    header(&mut body, r);
    nav(
        &mut body,
        r.snapshots
            .first()
            .is_none_or(|s| s.runtime == crate::model::Runtime::Go),
    );
    body.push_str("<main>\n");
    findings(&mut body, r);
    if let Some(d) = &r.diff {
        diff_section(&mut body, d);
    }
    graph_section(&mut body, &r.graph, r.nouns());
    for v in &views {
        snapshot_views(&mut body, r, v, multi);
    }
    heap_sections(&mut body, r);
    let sev = group_severity(r);
    groups_section(&mut body, r, &views, &sev, multi);
    body.push_str("</main>\n");
    let data = table_data(r, &views, &sev, multi);
    let mut h = String::with_capacity(body.len() + data.len() + CSS.len() + JS.len() + 2048);
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    let _ = writeln!(
        h,
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         script-src 'sha256-{}'; style-src 'sha256-{}'; img-src data:; base-uri 'none'; \
         form-action 'none'\">",
        sha256_b64(JS),
        sha256_b64(CSS)
    );
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    h.push_str("<meta name=\"referrer\" content=\"no-referrer\">\n");
    let names: Vec<&str> = r.inputs.iter().map(|i| i.source.as_str()).collect();
    let _ = writeln!(
        h,
        "<title>dumpscope: {}</title>",
        esc(&clip(&names.join(", "), 120))
    );
    let _ = writeln!(h, "<style>{CSS}</style>\n</head>\n<body>");
    h.push_str(&body);
    let _ = writeln!(
        h,
        "<script type=\"application/json\" id=\"ds-data\">{data}</script>"
    );
    let _ = writeln!(h, "<script>{JS}</script>\n</body>\n</html>");
    h
}

fn sha256_b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(s.as_bytes()))
}

/// Escapes text for HTML text and quoted attribute values.
pub fn esc(s: &str) -> Cow<'_, str> {
    if !s
        .bytes()
        .any(|b| matches!(b, b'&' | b'<' | b'>' | b'"' | b'\'' | 0))
    {
        return Cow::Borrowed(s);
    }
    let mut o = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            '\0' => o.push('\u{fffd}'),
            c => o.push(c),
        }
    }
    Cow::Owned(o)
}

/// JSON for a `<script type="application/json">` block: `<`, `>` and `&`
/// (the only characters that can end the block or open a comment) are
/// written as `\u` escapes, which JSON reads back unchanged; so are the
/// line separators JavaScript once treated as newlines.
pub fn script_json<T: serde::Serialize>(v: &T) -> String {
    let s = serde_json::to_string(v).unwrap_or_else(|_| "null".into());
    let mut o = String::with_capacity(s.len() + 64);
    let mut last = 0;
    for (i, c) in s.char_indices() {
        let rep = match c {
            '<' => "\\u003c",
            '>' => "\\u003e",
            '&' => "\\u0026",
            '\u{2028}' => "\\u2028",
            '\u{2029}' => "\\u2029",
            _ => continue,
        };
        o.push_str(&s[last..i]);
        o.push_str(rep);
        last = i + c.len_utf8();
    }
    o.push_str(&s[last..]);
    o
}

/// Escaped and clipped: the form every dump string takes in markup.
fn t(s: &str) -> String {
    esc(&clip(s, MAX_TEXT)).into_owned()
}

fn sev_index(s: &str) -> usize {
    SEVERITIES.iter().position(|x| *x == s).unwrap_or(0)
}

fn header(h: &mut String, r: &Report) {
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
            super::snapshot_nouns(std::iter::once(s)).1
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

fn nav(h: &mut String, go: bool) {
    h.push_str(
        "<nav><a href=\"#findings\">Findings</a> <a href=\"#graph\">Wait-for graph</a> \
         <a href=\"#flame-section\">Stacks</a> <a href=\"#states-section\">States</a> ",
    );
    if go {
        h.push_str("<a href=\"#creation\">Creation</a> ");
    }
    h.push_str("<a href=\"#groups-section\">Groups</a></nav>\n");
}

fn findings(h: &mut String, r: &Report) {
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
                    .filter(|f| sev_index(&f.severity) == s)
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

fn finding(h: &mut String, r: &Report, f: &Finding, open: bool) {
    let sev = SEVERITIES[sev_index(&f.severity)];
    let _ = writeln!(
        h,
        "<details class=\"finding sev-{sev}\" id=\"{}\"{}>\n<summary><span class=\"rank\">#{}</span> \
         <span class=\"severity sev-{sev}\">{sev}</span> <span class=\"kind\">{}</span> \
         <span class=\"confidence\">{}</span> <span class=\"title\">{}</span></summary>",
        esc(&f.id),
        if open { " open" } else { "" },
        f.rank,
        t(&f.kind),
        t(&f.confidence),
        t(&f.title)
    );
    let _ = writeln!(h, "<p class=\"explanation\">{}</p>", t(&f.explanation));
    if !f.cause.is_empty() {
        let _ = writeln!(
            h,
            "<p class=\"cause\"><b>Usual cause:</b> {}</p>",
            t(&f.cause)
        );
    }
    let _ = writeln!(h, "<p class=\"remedy\"><b>Fix:</b> {}</p>", t(&f.remedy));
    if !f.sketch.is_empty() {
        let _ = writeln!(h, "<pre class=\"sketch\">{}</pre>", esc(&f.sketch));
    }
    let _ = writeln!(
        h,
        "<details class=\"evidence\"{}><summary>Evidence</summary>",
        if f.rank == 1 { " open" } else { "" }
    );
    if !f.evidence.is_empty() {
        h.push_str("<ul class=\"notes\">");
        for e in &f.evidence {
            let _ = write!(h, "<li>{}</li>", t(e));
        }
        h.push_str("</ul>\n");
    }
    if !f.resources.is_empty() {
        h.push_str("<p class=\"resources\"><b>Resources:</b> ");
        for (k, res) in f.resources.iter().take(20).enumerate() {
            if k > 0 {
                h.push_str(", ");
            }
            let _ = write!(h, "<code>{}</code>", t(res));
        }
        if f.resources.len() > 20 {
            let _ = write!(h, " and {} more", f.resources.len() - 20);
        }
        h.push_str("</p>\n");
    }
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
            t(&g.id),
            g.count,
            if g.count == 1 {
                r.nouns().0
            } else {
                r.nouns().1
            },
            t(&g.state)
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
                .map(|g| t(g))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if let Some(u) = &f.user_rule {
        let _ = writeln!(h, "<p class=\"user-rule\">Changed by rule {}</p>", t(u));
    }
    if !f.references.is_empty() {
        h.push_str("<p class=\"refs\"><b>References:</b> ");
        let refs: Vec<String> = f.references.iter().map(|x| t(x)).collect();
        h.push_str(&refs.join(" · "));
        h.push_str("</p>\n");
    }
    let _ = writeln!(h, "<p class=\"rule\">rule <code>{}</code></p>", t(&f.rule));
    h.push_str("</details>\n</details>\n");
}

/// A stack as Go prints it, the user's frames emphasised.
fn stack_pre(h: &mut String, frames: &[FrameReport], creator: Option<&super::CreatorReport>) {
    h.push_str("<pre class=\"stack\">");
    for f in frames.iter().take(64) {
        let class = match f.kind {
            CodeKind::User => "user",
            CodeKind::Stdlib => "std",
            CodeKind::Runtime => "rt",
        };
        let _ = write!(
            h,
            "<span class=\"{class}\">{}({})</span>\n\t{}:{}\n",
            t(&f.function),
            t(&f.args),
            t(&f.file),
            f.line
        );
    }
    if frames.len() > 64 {
        let _ = writeln!(h, "… {} more frames", frames.len() - 64);
    }
    if let Some(c) = creator {
        let _ = writeln!(
            h,
            "<span class=\"creator\">created by {}</span>\n\t{}:{}",
            t(&c.function),
            t(&c.file),
            c.line
        );
    }
    h.push_str("</pre>\n");
}

// ---------------------------------------------------------------- graph

struct GNode {
    id: String,
    label: String,
    kind: String,
    cycle: bool,
}

struct GEdge {
    from: usize,
    to: usize,
    kind: &'static str,
    cycle: bool,
    possible: bool,
    count: Option<u64>,
    title: String,
}

fn graph_section(h: &mut String, g: &Graph, (one, many): (&str, &str)) {
    h.push_str("<section id=\"graph\">\n<h2>Wait-for graph</h2>\n");
    if g.nodes.is_empty() {
        let _ = write!(
            h,
            "<div id=\"wait-graph\"><p class=\"empty\">No {one} waits on a lock, channel \
             or WaitGroup that another could release.</p></div>\n</section>\n",
        );
        return;
    }
    let (nodes, edges, note) = select_graph(g, (one, many));
    h.push_str(&graph_svg(&nodes, &edges));
    let _ = writeln!(h, "<p class=\"note\">{note}</p>");
    let _ = write!(
        h,
        "<p class=\"legend\"><span class=\"lg task\">{one}</span> <span class=\"lg group\">group \
         of {many}</span> <span class=\"lg res\">lock, channel, WaitGroup…</span> \
         <span class=\"lg cycle\">on a cycle (deadlock)</span> · solid arrow: waits on · \
         dashed: held by / released by</p>\n</section>\n",
    );
}

/// The interesting part of the graph: every cycle, then the resources with
/// the most waiters (a held resource first), their holders, and a few of
/// their waiters; the rest is counted.
fn select_graph(g: &Graph, (one, many): (&str, &str)) -> (Vec<GNode>, Vec<GEdge>, String) {
    let index: FxHashMap<&str, usize> = g
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id.as_str(), i))
        .collect();
    let is_res = |i: usize| !matches!(g.nodes[i].kind.as_str(), "task" | "group");
    // A cycle is listed as the set of its nodes (a strongly connected
    // component): an edge is on it when both ends are in the same set.
    let mut cycle_of: FxHashMap<usize, usize> = FxHashMap::default();
    for (ci, c) in g.cycles.iter().enumerate() {
        for x in c {
            if let Some(&i) = index.get(x.as_str()) {
                cycle_of.insert(i, ci);
            }
        }
    }
    let cycle_nodes: FxHashSet<usize> = cycle_of.keys().copied().collect();
    let on_cycle = |a: usize, b: usize| {
        cycle_of
            .get(&a)
            .is_some_and(|ca| cycle_of.get(&b) == Some(ca))
    };
    // Waiters and holders of each resource.
    let mut waiters: FxHashMap<usize, Vec<(usize, usize)>> = FxHashMap::default();
    let mut holders: FxHashMap<usize, Vec<usize>> = FxHashMap::default();
    let mut weight: FxHashMap<usize, u64> = FxHashMap::default();
    for (ei, e) in g.edges.iter().enumerate() {
        let (Some(&a), Some(&b)) = (index.get(e.from.as_str()), index.get(e.to.as_str())) else {
            continue;
        };
        if e.kind == "waits-on" {
            waiters.entry(b).or_default().push((a, ei));
            *weight.entry(b).or_default() += e.count.unwrap_or(1);
        } else {
            holders.entry(a).or_default().push(ei);
        }
    }
    // Tasks that hold (or will release) something.
    let holding: FxHashSet<&str> = g
        .edges
        .iter()
        .filter(|e| e.kind != "waits-on")
        .map(|e| e.to.as_str())
        .collect();
    let mut res: Vec<usize> = (0..g.nodes.len()).filter(|&i| is_res(i)).collect();
    res.sort_by_key(|&i| {
        (
            !cycle_nodes.contains(&i),
            !holders.contains_key(&i),
            std::cmp::Reverse(weight.get(&i).copied().unwrap_or(0)),
            i,
        )
    });
    let total_res = res.len();
    let mut chosen: Vec<usize> = Vec::new();
    for &r in &res {
        let limit = if cycle_nodes.contains(&r) {
            MAX_CYCLE_RESOURCES
        } else {
            MAX_GRAPH_RESOURCES
        };
        if chosen.len() >= limit {
            break;
        }
        chosen.push(r);
    }
    let mut kept: FxHashMap<usize, usize> = FxHashMap::default();
    let mut out_nodes: Vec<GNode> = Vec::new();
    let mut out_edges: Vec<GEdge> = Vec::new();
    let add = |i: usize, kept: &mut FxHashMap<usize, usize>, out: &mut Vec<GNode>| -> usize {
        if let Some(&k) = kept.get(&i) {
            return k;
        }
        let n = &g.nodes[i];
        let label = match n.kind.as_str() {
            "task" => match &n.name {
                Some(name) => format!(
                    "{one} {} \"{name}\"",
                    n.id.rsplit(':').next().unwrap_or(n.id.as_str())
                ),
                None => format!("{one} {}", n.id.rsplit(':').next().unwrap_or(n.id.as_str())),
            },
            "group" => format!(
                "{} · {} goroutines",
                n.id.rsplit(':').next().unwrap_or(n.id.as_str()),
                n.count.unwrap_or(0)
            ),
            k => {
                let rest = n.id.split_once('@').map_or(n.id.as_str(), |x| x.1);
                // A site key: the file's base name and line say enough.
                let rest = match rest.strip_prefix("site:") {
                    Some(site) => site.rsplit('/').next().unwrap_or(site),
                    None => rest,
                };
                format!("{k} {rest}")
            }
        };
        out.push(GNode {
            id: n.id.clone(),
            label,
            kind: n.kind.clone(),
            cycle: cycle_nodes.contains(&i),
        });
        kept.insert(i, out.len() - 1);
        out.len() - 1
    };
    let mut drawn_edges: FxHashSet<usize> = FxHashSet::default();
    for &r in &chosen {
        let rn = add(r, &mut kept, &mut out_nodes);
        for &ei in holders.get(&r).map_or(&[][..], |v| v.as_slice()) {
            let e = &g.edges[ei];
            let Some(&b) = index.get(e.to.as_str()) else {
                continue;
            };
            let bn = add(b, &mut kept, &mut out_nodes);
            drawn_edges.insert(ei);
            out_edges.push(GEdge {
                from: rn,
                to: bn,
                kind: "held-by",
                cycle: on_cycle(r, b),
                possible: e.confidence == "possible",
                count: e.count,
                title: format!(
                    "held by ({}){}",
                    e.confidence,
                    e.evidence
                        .as_deref()
                        .map(|x| format!(": {x}"))
                        .unwrap_or_default()
                ),
            });
        }
        let mut ws: Vec<(usize, usize)> = waiters.get(&r).cloned().unwrap_or_default();
        // Waiters on a cycle or holding something first, then the biggest.
        ws.sort_by_key(|&(a, ei)| {
            (
                !cycle_nodes.contains(&a),
                !holding.contains(g.nodes[a].id.as_str()),
                std::cmp::Reverse(g.edges[ei].count.unwrap_or(1)),
                ei,
            )
        });
        for (k, &(a, ei)) in ws.iter().enumerate() {
            let e = &g.edges[ei];
            if k >= MAX_WAITERS_DRAWN && !cycle_nodes.contains(&a) && !kept.contains_key(&a) {
                continue;
            }
            let an = add(a, &mut kept, &mut out_nodes);
            drawn_edges.insert(ei);
            out_edges.push(GEdge {
                from: an,
                to: rn,
                kind: "waits-on",
                cycle: on_cycle(a, r),
                possible: false,
                count: e.count,
                title: "waits on".into(),
            });
        }
        let rest: u64 = ws
            .iter()
            .filter(|(_, ei)| !drawn_edges.contains(ei))
            .map(|(_, ei)| g.edges[*ei].count.unwrap_or(1))
            .sum();
        if rest > 0 {
            out_nodes.push(GNode {
                id: format!("more:{}", g.nodes[r].id),
                label: format!("+{rest} more {many}"),
                kind: "more".into(),
                cycle: false,
            });
            let m = out_nodes.len() - 1;
            out_edges.push(GEdge {
                from: m,
                to: rn,
                kind: "waits-on",
                cycle: false,
                possible: false,
                count: Some(rest),
                title: "waits on".into(),
            });
        }
    }
    // Edges between drawn nodes not drawn yet (a holder's own wait).
    for (ei, e) in g.edges.iter().enumerate() {
        if drawn_edges.contains(&ei) {
            continue;
        }
        let (Some(&a), Some(&b)) = (index.get(e.from.as_str()), index.get(e.to.as_str())) else {
            continue;
        };
        let (Some(&an), Some(&bn)) = (kept.get(&a), kept.get(&b)) else {
            continue;
        };
        out_edges.push(GEdge {
            from: an,
            to: bn,
            kind: if e.kind == "waits-on" {
                "waits-on"
            } else {
                "held-by"
            },
            cycle: on_cycle(a, b),
            possible: e.confidence == "possible",
            count: e.count,
            title: e.kind.clone(),
        });
    }
    let drawn_res = chosen.len();
    let mut note = format!(
        "Drawn: {drawn_res} of {total_res} resource{}",
        if total_res == 1 { "" } else { "s" }
    );
    if !g.cycles.is_empty() {
        let _ = write!(
            note,
            ", {} cycle{} (highlighted)",
            g.cycles.len(),
            if g.cycles.len() == 1 { "" } else { "s" }
        );
    }
    if drawn_res < total_res {
        note.push_str("; the others, with fewer waiters, are in the JSON report's graph");
    }
    note.push('.');
    (out_nodes, out_edges, note)
}

const NODE_W: f64 = 210.0;
const NODE_H: f64 = 30.0;
const COL_GAP: f64 = 90.0;
const ROW_GAP: f64 = 14.0;
/// Width beyond which parts of the graph go on a new shelf.
const GRAPH_MAX_W: f64 = 1340.0;

/// Layered drawing: each weakly connected part on its own band; within it
/// layers by longest path once back edges (found by a depth-first search)
/// are set aside, rows ordered by the mean row of their predecessors.
fn graph_svg(nodes: &[GNode], edges: &[GEdge]) -> String {
    let n = nodes.len();
    let mut out_adj: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut und: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (k, e) in edges.iter().enumerate() {
        if e.from < n && e.to < n {
            out_adj[e.from].push(k);
            und[e.from].push(e.to);
            und[e.to].push(e.from);
        }
    }
    // Components, cycles first.
    let mut comp = vec![usize::MAX; n];
    let mut comps: Vec<Vec<usize>> = Vec::new();
    for s in 0..n {
        if comp[s] != usize::MAX {
            continue;
        }
        let c = comps.len();
        let mut stack = vec![s];
        comp[s] = c;
        let mut members = Vec::new();
        while let Some(v) = stack.pop() {
            members.push(v);
            for &w in &und[v] {
                if comp[w] == usize::MAX {
                    comp[w] = c;
                    stack.push(w);
                }
            }
        }
        members.sort_unstable();
        comps.push(members);
    }
    comps.sort_by_key(|m| {
        (
            !m.iter().any(|&v| nodes[v].cycle),
            std::cmp::Reverse(m.len()),
            m[0],
        )
    });
    // Back edges by iterative DFS.
    let mut back = vec![false; edges.len()];
    let mut state = vec![0u8; n]; // 0 new, 1 on stack, 2 done
    for m in &comps {
        for &s in m {
            if state[s] != 0 {
                continue;
            }
            let mut st: Vec<(usize, usize)> = vec![(s, 0)];
            state[s] = 1;
            while let Some(&mut (v, ref mut i)) = st.last_mut() {
                if let Some(&k) = out_adj[v].get(*i) {
                    *i += 1;
                    let w = edges[k].to;
                    match state[w] {
                        0 => {
                            state[w] = 1;
                            st.push((w, 0));
                        }
                        1 => back[k] = true,
                        _ => {}
                    }
                } else {
                    state[v] = 2;
                    st.pop();
                }
            }
        }
    }
    // Longest-path layers over forward edges (Kahn order).
    let mut indeg = vec![0usize; n];
    for (k, e) in edges.iter().enumerate() {
        if !back[k] && e.from < n && e.to < n {
            indeg[e.to] += 1;
        }
    }
    let mut layer = vec![0usize; n];
    let mut queue: std::collections::VecDeque<usize> = (0..n).filter(|&v| indeg[v] == 0).collect();
    while let Some(v) = queue.pop_front() {
        for &k in &out_adj[v] {
            if back[k] {
                continue;
            }
            let w = edges[k].to;
            layer[w] = layer[w].max(layer[v] + 1);
            indeg[w] -= 1;
            if indeg[w] == 0 {
                queue.push_back(w);
            }
        }
    }
    // Positions.
    // Parts are packed on shelves, left to right, as wide as a screen.
    let mut pos = vec![(0.0f64, 0.0f64); n];
    let (mut shelf_x, mut shelf_y, mut shelf_h) = (20.0f64, 20.0f64, 0.0f64);
    let mut max_x: f64 = 0.0;
    // Forward predecessors of each node, for ordering rows.
    let mut preds: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (k, e) in edges.iter().enumerate() {
        if !back[k] && e.from < n && e.to < n {
            preds[e.to].push(e.from);
        }
    }
    let mut row_of = vec![0.0f64; n];
    for m in &comps {
        let layers = m.iter().map(|&v| layer[v]).max().unwrap_or(0) + 1;
        let mut rows: Vec<Vec<usize>> = vec![Vec::new(); layers];
        for &v in m {
            rows[layer[v]].push(v);
        }
        for (li, row) in rows.iter_mut().enumerate() {
            if li > 0 {
                // Predecessors are in the same part (edges join parts).
                let key = |v: usize| -> f64 {
                    let p = &preds[v];
                    if p.is_empty() {
                        f64::MAX
                    } else {
                        p.iter().map(|&u| row_of[u]).sum::<f64>() / p.len() as f64
                    }
                };
                let mut keyed: Vec<(f64, usize)> = row.iter().map(|&v| (key(v), v)).collect();
                keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                *row = keyed.into_iter().map(|x| x.1).collect();
            }
            for (ri, &v) in row.iter().enumerate() {
                row_of[v] = ri as f64;
            }
        }
        let height = rows.iter().map(|r| r.len()).max().unwrap_or(1) as f64;
        let comp_w = layers as f64 * (NODE_W + COL_GAP) - COL_GAP;
        let comp_h = height * (NODE_H + ROW_GAP) - ROW_GAP;
        if shelf_x > 20.0 && shelf_x + comp_w > GRAPH_MAX_W {
            shelf_y += shelf_h + 50.0;
            (shelf_x, shelf_h) = (20.0, 0.0);
        }
        for (li, row) in rows.iter().enumerate() {
            // Centre short layers in the band.
            let off = (height - row.len() as f64) / 2.0 * (NODE_H + ROW_GAP);
            for (ri, &v) in row.iter().enumerate() {
                let x = shelf_x + li as f64 * (NODE_W + COL_GAP);
                let y = shelf_y + off + ri as f64 * (NODE_H + ROW_GAP);
                pos[v] = (x, y);
                max_x = max_x.max(x + NODE_W);
            }
        }
        shelf_x += comp_w + 70.0;
        shelf_h = shelf_h.max(comp_h);
    }
    // Room below the last shelf for edges drawn back underneath.
    let y0 = shelf_y + shelf_h + 50.0;
    let w = max_x + 40.0;
    let hgt = y0;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<div class=\"scroll\"><svg id=\"wait-graph\" xmlns=\"http://www.w3.org/2000/svg\" \
         width=\"{w:.0}\" height=\"{hgt:.0}\" viewBox=\"0 0 {w:.0} {hgt:.0}\" role=\"img\" \
         aria-label=\"wait-for graph\">"
    );
    s.push_str(
        "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" \
         markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" \
         class=\"arrowhead\"/></marker><marker id=\"arrow-cycle\" viewBox=\"0 0 10 10\" refX=\"10\" \
         refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path \
         d=\"M0,0 L10,5 L0,10 z\" class=\"arrowhead cycle\"/></marker></defs>\n",
    );
    for (k, e) in edges.iter().enumerate() {
        if e.from >= n || e.to >= n {
            continue;
        }
        let (ax, ay) = pos[e.from];
        let (bx, by) = pos[e.to];
        let (x1, y1) = (ax + NODE_W, ay + NODE_H / 2.0);
        let (x2, y2) = (bx, by + NODE_H / 2.0);
        let d = if back[k] || x2 <= x1 {
            // Back to an earlier layer: a loop below both nodes.
            let (sx, sy) = (ax + NODE_W / 2.0, ay + NODE_H);
            let (tx, ty) = (bx + NODE_W / 2.0, by + NODE_H);
            let dip = sy.max(ty) + 28.0;
            format!("M{sx:.1},{sy:.1} C{sx:.1},{dip:.1} {tx:.1},{dip:.1} {tx:.1},{ty:.1}")
        } else {
            let mx = (x1 + x2) / 2.0;
            format!("M{x1:.1},{y1:.1} C{mx:.1},{y1:.1} {mx:.1},{y2:.1} {x2:.1},{y2:.1}")
        };
        let mut class = format!("edge {}", e.kind);
        if e.cycle {
            class.push_str(" cycle");
        }
        if e.possible {
            class.push_str(" possible");
        }
        let marker = if e.cycle { "arrow-cycle" } else { "arrow" };
        let _ = writeln!(
            s,
            "<path class=\"{class}\" d=\"{d}\" marker-end=\"url(#{marker})\"><title>{}</title></path>",
            t(&e.title)
        );
        if let Some(c) = e.count.filter(|&c| c > 1) {
            // Next to the source, where edges into one node have not met.
            let (lx, ly) = (x1 + 6.0, y1 - 5.0);
            let _ = writeln!(
                s,
                "<text class=\"edge-label\" x=\"{lx:.1}\" y=\"{ly:.1}\">×{c}</text>"
            );
        }
    }
    for (v, nd) in nodes.iter().enumerate() {
        let (x, y) = pos[v];
        let kind_class = match nd.kind.as_str() {
            "task" => "task",
            "group" => "group",
            "more" => "more",
            _ => "res",
        };
        let cyc = if nd.cycle { " cycle" } else { "" };
        let _ = writeln!(
            s,
            "<g class=\"node {kind_class}{cyc}\" data-id=\"{}\"><title>{}</title>\
             <rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{NODE_W}\" height=\"{NODE_H}\" rx=\"5\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\">{}</text></g>",
            t(&nd.id),
            t(&nd.id),
            x + 8.0,
            y + NODE_H / 2.0 + 4.0,
            esc(&clip(&nd.label, 30))
        );
    }
    s.push_str("</svg></div>\n");
    s
}

// ---------------------------------------------------------- per snapshot

/// One snapshot's icicle, computed once: its markup and, per group, the
/// deepest drawn node of the group's stack (for filtering).
struct SnapView {
    index: usize,
    flame: String,
    leaf_of_group: Vec<u32>,
}

struct FNode {
    name: String,
    kind: CodeKind,
    value: u64,
    children: FxHashMap<String, usize>,
    order: Vec<usize>,
    parent: usize,
    depth: usize,
}

/// Node numbers are global across snapshots so they stay unique in the
/// page; each snapshot's block starts at a multiple of this.
const FLAME_ID_BLOCK: u32 = 1 << 20;

impl SnapView {
    fn new(index: usize, s: &SnapshotReport) -> Self {
        let id = if index == 0 {
            "flame".to_string()
        } else {
            format!("flame-{}", index + 1)
        };
        let stacks = s.groups.iter().map(|g| {
            (
                g.frames
                    .iter()
                    .rev()
                    .map(|f| (f.function.as_str(), f.kind))
                    .collect::<Vec<_>>(),
                g.count,
            )
        });
        let (one, many) = super::snapshot_nouns(std::iter::once(s));
        let unit = move |n: u64| format!("{n} {}", if n == 1 { one } else { many });
        let (flame, leaf_of_group) = icicle(
            stacks,
            &id,
            "flame",
            index as u32 * FLAME_ID_BLOCK,
            "icicle of all stacks",
            &unit,
        );
        SnapView {
            index,
            flame,
            leaf_of_group,
        }
    }
}

/// An icicle (outermost call on top) of weighted stacks given outermost
/// frame first: the SVG markup and, per stack, the node id of its deepest
/// drawn frame. At most [`MAX_FLAME_NODES`] rectangles, widest first.
fn icicle<'a>(
    stacks: impl Iterator<Item = (Vec<(&'a str, CodeKind)>, u64)>,
    id: &str,
    class: &str,
    base: u32,
    aria: &str,
    unit: &dyn Fn(u64) -> String,
) -> (String, Vec<u32>) {
    let mut nodes: Vec<FNode> = vec![FNode {
        name: "all".into(),
        kind: CodeKind::Runtime,
        value: 0,
        children: FxHashMap::default(),
        order: Vec::new(),
        parent: usize::MAX,
        depth: 0,
    }];
    let mut path_end: Vec<usize> = Vec::new();
    for (frames, count) in stacks {
        nodes[0].value += count;
        let mut cur = 0;
        for (name, kind) in frames.into_iter().take(256) {
            let next = match nodes[cur].children.get(name) {
                Some(&c) => c,
                None => {
                    let depth = nodes[cur].depth + 1;
                    nodes.push(FNode {
                        name: name.to_string(),
                        kind,
                        value: 0,
                        children: FxHashMap::default(),
                        order: Vec::new(),
                        parent: cur,
                        depth,
                    });
                    let c = nodes.len() - 1;
                    nodes[cur].children.insert(name.to_string(), c);
                    nodes[cur].order.push(c);
                    c
                }
            };
            nodes[next].value += count;
            cur = next;
        }
        path_end.push(cur);
    }
    // Widest first, within the budget and at least a pixel wide.
    const WIDTH: f64 = 1200.0;
    const ROW: f64 = 18.0;
    let total = nodes[0].value.max(1) as f64;
    let mut drawn = vec![false; nodes.len()];
    let mut x = vec![0.0f64; nodes.len()];
    let mut heap: std::collections::BinaryHeap<(u64, std::cmp::Reverse<usize>)> =
        std::collections::BinaryHeap::new();
    heap.push((nodes[0].value, std::cmp::Reverse(0)));
    let mut count = 0;
    while let Some((_, std::cmp::Reverse(v))) = heap.pop() {
        if count >= MAX_FLAME_NODES || (nodes[v].value as f64 / total * WIDTH) < 1.0 {
            continue;
        }
        drawn[v] = true;
        count += 1;
        let mut cx = x[v];
        let mut kids = nodes[v].order.clone();
        kids.sort_by(|a, b| nodes[*a].name.cmp(&nodes[*b].name));
        for c in kids {
            x[c] = cx;
            cx += nodes[c].value as f64 / total * WIDTH;
            heap.push((nodes[c].value, std::cmp::Reverse(c)));
        }
    }
    let max_depth = (0..nodes.len())
        .filter(|&v| drawn[v])
        .map(|v| nodes[v].depth)
        .max()
        .unwrap_or(0);
    let height = (max_depth + 1) as f64 * ROW + 4.0;
    let mut f = String::new();
    let _ = writeln!(
        f,
        "<div class=\"scroll\"><svg id=\"{id}\" class=\"{class}\" xmlns=\"http://www.w3.org/2000/svg\" \
         width=\"{WIDTH}\" height=\"{height:.0}\" viewBox=\"0 0 {WIDTH} {height:.0}\" role=\"img\" \
         aria-label=\"{aria}\">"
    );
    for (v, nd) in nodes.iter().enumerate() {
        if !drawn[v] {
            continue;
        }
        let w = nd.value as f64 / total * WIDTH;
        let y = nd.depth as f64 * ROW;
        let kind = if v == 0 {
            "root"
        } else {
            match nd.kind {
                CodeKind::User => "user",
                CodeKind::Stdlib => "std",
                CodeKind::Runtime => "rt",
            }
        };
        let parent = if v == 0 {
            String::new()
        } else {
            format!(" data-parent=\"{}\"", base + nd.parent as u32)
        };
        let pct = nd.value as f64 * 100.0 / total;
        let label_chars = ((w - 6.0) / 7.0).floor();
        let label = if label_chars >= 3.0 {
            let short = short_func(&nd.name);
            format!(
                "<text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                x[v] + 3.0,
                y + 13.0,
                esc(&clip(short, label_chars as usize))
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            f,
            "<g class=\"frame {kind}\" data-node=\"{}\"{parent} tabindex=\"0\"><title>{} — {} ({pct:.1}%)</title>\
             <rect x=\"{:.2}\" y=\"{y:.1}\" width=\"{:.2}\" height=\"{}\"/>{label}</g>",
            base + v as u32,
            t(&nd.name),
            t(&unit(nd.value)),
            x[v],
            (w - 0.5).max(0.5),
            ROW - 1.0
        );
    }
    f.push_str("</svg></div>\n");
    // A stack's leaf: the deepest drawn node of its path.
    let leaves = path_end
        .iter()
        .map(|&e| {
            let mut v = e;
            while v != 0 && !drawn[v] {
                v = nodes[v].parent;
            }
            base + v as u32
        })
        .collect();
    (f, leaves)
}

/// The heap snapshots: totals, a flame graph by bytes in use, the top
/// functions and stacks. Findings are in the findings section.
fn heap_sections(h: &mut String, r: &Report) {
    for (hi, hp) in r.heap.iter().enumerate() {
        let _ = writeln!(
            h,
            "<section id=\"heap-{}\" class=\"heap\">\n<h2>Heap — {}</h2>",
            hi + 1,
            t(&hp.source)
        );
        let tot = &hp.totals;
        let _ = write!(
            h,
            "<p class=\"hint\">{} ({}), sampling: {}{}. In use: <b>{}</b> in {} objects",
            t(&hp.format),
            hp.runtime.as_str(),
            t(&hp.sampling),
            if hp.period > 0 {
                format!(" every {} bytes", hp.period)
            } else {
                String::new()
            },
            t(&heap_size(tot.inuse_bytes)),
            tot.inuse_objects
        );
        if hp.has_alloc {
            let _ = write!(
                h,
                "; allocated over the process's life: {} in {} objects",
                t(&heap_size(tot.alloc_bytes)),
                tot.alloc_objects
            );
        }
        h.push_str(".</p>\n");
        let ids: Vec<String> = r
            .findings
            .iter()
            .filter(|f| f.heap == Some(hi))
            .map(|f| format!("<a href=\"#{}\">{}</a>", t(&f.id), t(&f.title)))
            .collect();
        if !ids.is_empty() {
            let _ = writeln!(h, "<p>Findings: {}</p>", ids.join("; "));
        }
        h.push_str("<h3>Memory in use by stack</h3>\n<p class=\"hint\">Outermost call on top, width by bytes in use; hover for names.</p>\n");
        // The report keeps the top stacks: the rest is one box, so that
        // widths are shares of everything in use.
        let shown: i64 = hp
            .sites
            .iter()
            .fold(0i64, |a, s| a.saturating_add(s.values.inuse_bytes.max(0)));
        let rest = tot.inuse_bytes.saturating_sub(shown);
        let others = format!(
            "({} smaller stacks)",
            hp.sites_total.saturating_sub(hp.sites.len())
        );
        let rest_stack = (hp.sites_total > hp.sites.len() && rest > 0)
            .then(|| (vec![(others.as_str(), CodeKind::Runtime)], rest as u64));
        let stacks = hp
            .sites
            .iter()
            .map(|s| {
                (
                    s.frames
                        .iter()
                        .rev()
                        .map(|f| (f.function.as_str(), f.kind))
                        .collect::<Vec<_>>(),
                    u64::try_from(s.values.inuse_bytes).unwrap_or(0),
                )
            })
            .chain(rest_stack);
        let unit = |n: u64| heap_size(i64::try_from(n).unwrap_or(i64::MAX));
        let (svg, _) = icicle(
            stacks,
            &format!("heap-flame-{}", hi + 1),
            "heapflame",
            (MAX_SNAPSHOT_VIEWS as u32 + hi as u32 + 1) * FLAME_ID_BLOCK,
            "flame graph of memory in use",
            &unit,
        );
        h.push_str(&svg);
        let _ = writeln!(
            h,
            "<h3>Top functions</h3>\n<table class=\"heaptop\"><thead><tr><th>flat</th><th>flat%</th>\
             <th>cum</th><th>cum%</th><th>allocated (flat)</th><th>function</th></tr></thead><tbody>"
        );
        let pct = |a: i64| {
            if tot.inuse_bytes > 0 {
                format!("{:.1}%", a as f64 * 100.0 / tot.inuse_bytes as f64)
            } else {
                "-".into()
            }
        };
        for f in hp.functions.iter().take(25) {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
                t(&heap_size(f.flat.inuse_bytes)),
                pct(f.flat.inuse_bytes),
                t(&heap_size(f.cum.inuse_bytes)),
                pct(f.cum.inuse_bytes),
                t(&heap_size(f.flat.alloc_bytes)),
                t(&f.function)
            );
        }
        let _ = writeln!(
            h,
            "</tbody></table>\n<p class=\"hint\">{} of {} functions; {} stacks in all.</p>\n</section>",
            hp.functions.len().min(25),
            hp.functions_total,
            hp.sites_total
        );
    }
}

/// Rows of the diff tables.
const DIFF_ROWS: usize = 50;

/// `dumpscope diff`: the series side by side, with sparklines.
fn diff_section(h: &mut String, d: &super::diff::DiffReport) {
    use super::diff::{signed, signed_size, sparkline_of};
    h.push_str("<section id=\"diff\" class=\"diff\">\n<h2>What changed</h2>\n");
    if !d.snapshots.is_empty() {
        let _ = writeln!(
            h,
            "<h3>Goroutine dumps</h3>\n<table class=\"diffpoints\"><thead><tr><th>#</th><th>dump</th><th>format</th><th>goroutines</th><th>taken</th></tr></thead><tbody>"
        );
        for p in &d.snapshots {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                p.index + 1,
                t(&p.source),
                t(&p.format),
                p.goroutines,
                p.seconds.map_or(String::new(), |s| format!("+{s:.0} s"))
            );
        }
        h.push_str("</tbody></table>\n");
        let _ = writeln!(
            h,
            "<h3>Groups</h3>\n<p class=\"hint\">Matched by the functions of their stacks (not ids, arguments or lines); largest change first. {} groups in all.</p>\n<table class=\"diffgroups\"><thead><tr><th>change</th><th>trend</th><th>goroutines</th><th>status</th><th>state</th><th>site</th><th>created by</th></tr></thead><tbody>",
            d.groups_total
        );
        for g in d.groups.iter().take(DIFF_ROWS) {
            let counts: Vec<String> = g.counts.iter().map(|n| n.to_string()).collect();
            let _ = writeln!(
                h,
                "<tr class=\"{}\"><td>{}</td><td class=\"spark\">{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td><code>{}</code></td></tr>",
                t(&g.status),
                signed(g.change),
                sparkline_of(&g.counts, |n| n as f64),
                counts.join(" → "),
                t(&g.status),
                t(&g.state),
                t(&g.site),
                t(g.creator.as_deref().unwrap_or(""))
            );
        }
        h.push_str("</tbody></table>\n");
        if !d.stuck.is_empty() {
            let _ = writeln!(
                h,
                "<h3>Stuck in every dump</h3>\n<table class=\"diffstuck\"><thead><tr><th>goroutine</th><th>state</th><th>minutes blocked</th><th>site</th></tr></thead><tbody>"
            );
            for s in d.stuck.iter().take(DIFF_ROWS) {
                let m: Vec<String> = s
                    .wait_minutes
                    .iter()
                    .map(|m| m.map_or("?".into(), |m| m.to_string()))
                    .collect();
                let _ = writeln!(
                    h,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>",
                    s.id,
                    t(&s.state),
                    m.join(" → "),
                    t(&s.site)
                );
            }
            h.push_str("</tbody></table>\n");
        }
        if !d.spinning.is_empty() {
            h.push_str("<h3>Running in every dump</h3>\n<ul class=\"diffspin\">\n");
            for s in d.spinning.iter().take(DIFF_ROWS) {
                let _ = writeln!(
                    h,
                    "<li>goroutine {} ({}) at <code>{}</code></li>",
                    s.id,
                    t(&s.states.join(" → ")),
                    t(&s.site)
                );
            }
            h.push_str("</ul>\n");
        }
        if !d.spawners.is_empty() {
            h.push_str("<h3>New goroutines by creator</h3>\n<ul class=\"diffspawn\">\n");
            for s in d.spawners.iter().take(DIFF_ROWS) {
                let _ = writeln!(
                    h,
                    "<li>{} new, created by <code>{}</code>, now at <code>{}</code></li>",
                    s.new_goroutines,
                    t(&s.creator),
                    t(&s.sites.join(", "))
                );
            }
            h.push_str("</ul>\n");
        }
    }
    if let Some(hd) = &d.heap {
        let _ = writeln!(
            h,
            "<h3>Heap</h3>\n<p>In use: <b>{}</b> ({} objects) from the first to the last of {} snapshots.</p>\n<table class=\"diffheap\"><thead><tr><th>flat</th><th>cum</th><th>trend (flat)</th><th>function</th></tr></thead><tbody>",
            t(&signed_size(hd.delta.inuse_bytes)),
            signed(hd.delta.inuse_objects),
            hd.snapshots.len()
        );
        for f in hd.functions.iter().take(DIFF_ROWS) {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td class=\"spark\">{}</td><td><code>{}</code></td></tr>",
                t(&signed_size(f.flat_delta)),
                t(&signed_size(f.cum_delta)),
                sparkline_of(&f.flat, |b| b as f64),
                t(&f.function)
            );
        }
        h.push_str("</tbody></table>\n");
    }
    h.push_str("</section>\n");
}

fn heap_size(b: i64) -> String {
    crate::analyze::phrase::mib(b)
}

/// A function name without its package path (`net/http.(*conn).serve`
/// is `http.(*conn).serve`), keeping `internal/` so that
/// `internal/sync.(*Mutex).Lock` is not taken for `sync.(*Mutex).Lock`.
fn short_func(name: &str) -> &str {
    let Some(cut) = name.rfind('/') else {
        return name;
    };
    let (head, _) = name.split_at(cut);
    if head == "internal" || head.ends_with("/internal") {
        let from = head.rfind('/').map_or(0, |i| i + 1);
        return &name[from..];
    }
    &name[cut + 1..]
}

fn snapshot_views(h: &mut String, r: &Report, v: &SnapView, multi: bool) {
    let Some(s) = r.snapshots.get(v.index) else {
        return;
    };
    let suffix = if v.index == 0 {
        String::new()
    } else {
        format!("-{}", v.index + 1)
    };
    let title = if multi {
        format!(" — dump {} ({})", v.index + 1, t(&s.source))
    } else {
        String::new()
    };
    let _ = writeln!(
        h,
        "<section id=\"flame-section{suffix}\">\n<h2>All stacks{title}</h2>\n<p class=\"hint\">An icicle of every \
         {one}'s stack, outermost call on top, width by {one} count. Click a frame to \
         list the groups under it; hover for names.</p>",
        one = super::snapshot_nouns(std::iter::once(s)).0
    );
    h.push_str(&v.flame);
    h.push_str("</section>\n");
    let _ = writeln!(
        h,
        "<section id=\"states-section{suffix}\">\n<h2>States{title}</h2>"
    );
    states_svg(h, s, &suffix);
    h.push_str("</section>\n");
    // Only goroutines record who started them.
    if s.runtime != crate::model::Runtime::Go {
        return;
    }
    let _ = writeln!(
        h,
        "<section id=\"creation{suffix}\" class=\"creation\">\n<h2>Creation tree{title}</h2>\n<p class=\"hint\">Which \
         <code>go</code> statements started how many of the goroutines in this dump, nested under \
         the site that started their parent when the dump names parents.</p>"
    );
    creation_tree(h, s);
    h.push_str("</section>\n");
}

fn states_svg(h: &mut String, s: &SnapshotReport, suffix: &str) {
    let rows: Vec<&(String, u64)> = s.states.0.iter().take(20).collect();
    let max = rows.iter().map(|x| x.1).max().unwrap_or(1).max(1) as f64;
    let row_h = 22.0;
    let height = rows.len() as f64 * row_h + 8.0;
    let _ = writeln!(
        h,
        "<svg id=\"states{suffix}\" class=\"states\" xmlns=\"http://www.w3.org/2000/svg\" width=\"900\" \
         height=\"{height:.0}\" viewBox=\"0 0 900 {height:.0}\" role=\"img\" aria-label=\"{many} per state\">",
        many = super::snapshot_nouns(std::iter::once(s)).1
    );
    for (i, (name, n)) in rows.iter().enumerate() {
        let y = i as f64 * row_h + 4.0;
        let w = (*n as f64 / max * 560.0).max(1.0);
        let _ = writeln!(
            h,
            "<g class=\"bar\"><title>{}: {n}</title><text class=\"label\" x=\"230\" y=\"{:.1}\">{}</text>\
             <rect x=\"240\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{:.1}\"/>\
             <text class=\"value\" x=\"{:.1}\" y=\"{:.1}\">{n}</text></g>",
            t(name),
            y + 14.0,
            esc(&clip(name, 32)),
            row_h - 6.0,
            246.0 + w,
            y + 14.0
        );
    }
    h.push_str("</svg>\n");
    if s.states.0.len() > rows.len() {
        let _ = writeln!(
            h,
            "<p class=\"note\">and {} more states</p>",
            s.states.0.len() - rows.len()
        );
    }
}

/// Creation sites nested by parent: a site's goroutines were started by
/// goroutines of the groups whose ids the dump gives as parents.
fn creation_tree(h: &mut String, s: &SnapshotReport) {
    type Site = (String, String, u32);
    let mut site_ix: FxHashMap<Site, usize> = FxHashMap::default();
    let mut sites: Vec<(Site, u64)> = Vec::new();
    let mut site_of_group: Vec<Option<usize>> = Vec::with_capacity(s.groups.len());
    let mut roots_count = 0u64;
    for g in &s.groups {
        match &g.created_by {
            Some(c) => {
                let key = (c.function.clone(), c.file.clone(), c.line);
                let i = *site_ix.entry(key.clone()).or_insert_with(|| {
                    sites.push((key, 0));
                    sites.len() - 1
                });
                sites[i].1 += g.count;
                site_of_group.push(Some(i));
            }
            None => {
                roots_count += g.count;
                site_of_group.push(None);
            }
        }
    }
    // Parent site of each site: the majority site of its parent goroutines.
    let any_parents = s.groups.iter().any(|g| {
        g.created_by
            .as_ref()
            .is_some_and(|c| !c.parent_ids.is_empty())
    });
    let mut parent_of: Vec<Option<usize>> = vec![None; sites.len()];
    if any_parents {
        let mut group_of_task: FxHashMap<u64, usize> = FxHashMap::default();
        for (gi, g) in s.groups.iter().enumerate() {
            for &id in &g.task_ids {
                group_of_task.insert(id, gi);
            }
        }
        let mut votes: Vec<FxHashMap<usize, u64>> = vec![FxHashMap::default(); sites.len()];
        for (gi, g) in s.groups.iter().enumerate() {
            let (Some(c), Some(si)) = (&g.created_by, site_of_group[gi]) else {
                continue;
            };
            for p in &c.parent_ids {
                if let Some(ps) = group_of_task.get(p).and_then(|&pg| site_of_group[pg]) {
                    if ps != si {
                        *votes[si].entry(ps).or_default() += 1;
                    }
                }
            }
        }
        for (si, v) in votes.iter().enumerate() {
            parent_of[si] = v
                .iter()
                .max_by_key(|(k, n)| (**n, std::cmp::Reverse(**k)))
                .map(|(k, _)| *k);
        }
        // Break any loop by cutting the edge into the smallest site.
        for si in 0..sites.len() {
            let mut seen = FxHashSet::default();
            let mut v = si;
            while let Some(p) = parent_of[v] {
                if !seen.insert(v) {
                    parent_of[v] = None;
                    break;
                }
                v = p;
            }
        }
    }
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); sites.len()];
    let mut top: Vec<usize> = Vec::new();
    for (si, parent) in parent_of.iter().enumerate() {
        match parent {
            Some(p) => children[*p].push(si),
            None => top.push(si),
        }
    }
    let by_count = |v: &mut Vec<usize>| v.sort_by_key(|&i| (std::cmp::Reverse(sites[i].1), i));
    by_count(&mut top);
    for c in &mut children {
        by_count(c);
    }
    h.push_str("<ul class=\"tree\">\n");
    if roots_count > 0 {
        let _ = writeln!(
            h,
            "<li class=\"site root\"><span class=\"count\">{roots_count}</span> started by the \
             runtime (main, system goroutines)</li>"
        );
    }
    fn emit(
        h: &mut String,
        v: &[usize],
        sites: &[((String, String, u32), u64)],
        children: &[Vec<usize>],
        depth: usize,
    ) {
        for &si in v.iter().take(30) {
            let ((func, file, line), n) = &sites[si];
            let _ = write!(
                h,
                "<li class=\"site\"><span class=\"count\">{n}</span> <code>{}</code> <span class=\"loc\">{}:{line}</span>",
                t(func),
                t(file)
            );
            if !children[si].is_empty() && depth < 8 {
                h.push_str("\n<ul>\n");
                emit(h, &children[si], sites, children, depth + 1);
                h.push_str("</ul>\n");
            }
            h.push_str("</li>\n");
        }
        if v.len() > 30 {
            let rest: u64 = v.iter().skip(30).map(|&i| sites[i].1).sum();
            let _ = writeln!(
                h,
                "<li class=\"more\">and {} more sites ({rest} goroutines)</li>",
                v.len() - 30
            );
        }
    }
    emit(h, &top, &sites, &children, 0);
    h.push_str("</ul>\n");
}

// ---------------------------------------------------------------- groups

/// Severity of each group: the highest of the findings naming it.
fn group_severity(r: &Report) -> GroupSeverity<'_> {
    let mut m: FxHashMap<(usize, &str), usize> = FxHashMap::default();
    for f in &r.findings {
        let s = sev_index(&f.severity);
        let Some(snapshot) = f.snapshot else { continue };
        for g in &f.groups {
            let e = m.entry((snapshot, g.as_str())).or_default();
            *e = (*e).max(s);
        }
    }
    m
}

fn group_key(multi: bool, si: usize, id: &str) -> String {
    if multi {
        format!("s{}/{id}", si + 1)
    } else {
        id.to_string()
    }
}

/// Highest finding severity per (snapshot, group id).
type GroupSeverity<'a> = FxHashMap<(usize, &'a str), usize>;

fn groups_section(
    h: &mut String,
    r: &Report,
    views: &[SnapView],
    sev: &GroupSeverity,
    multi: bool,
) {
    let total: usize = r.snapshots.iter().map(|s| s.groups.len()).sum();
    let shown_total: usize = r.snapshots.iter().map(|s| s.groups_total).sum();
    h.push_str("<section id=\"groups-section\">\n<h2>Groups</h2>\n");
    let _ = write!(
        h,
        "<div class=\"controls\"><input id=\"group-search\" type=\"search\" \
         placeholder=\"search functions, files, states, creators…\" aria-label=\"search groups\"> \
         <select id=\"filter-state\" aria-label=\"state\"><option value=\"\">any state</option></select> \
         <select id=\"filter-package\" aria-label=\"package\"><option value=\"\">any package</option></select> \
         <select id=\"filter-severity\" aria-label=\"severity\"><option value=\"\">any severity</option>\
         <option value=\"1\">info or worse</option><option value=\"2\">low or worse</option>\
         <option value=\"3\">medium or worse</option><option value=\"4\">high or worse</option>\
         <option value=\"5\">critical</option></select> \
         <span id=\"flame-filter\" hidden>under <code id=\"flame-filter-name\"></code> \
         <button id=\"flame-clear\" type=\"button\">clear</button></span></div>\n\
         <div class=\"controls\"><label>{one} id <input id=\"goroutine-lookup\" data-noun=\"{one}\" \
         inputmode=\"numeric\" size=\"10\"></label> <button id=\"goroutine-go\" type=\"button\">find</button> \
         <output id=\"goroutine-result\"></output></div>\n",
        one = r.nouns().0
    );
    let shown = total.min(STATIC_ROWS);
    let _ = writeln!(
        h,
        "<p id=\"groups-count\">{} of {} groups{}</p>",
        shown,
        total,
        if shown_total > total {
            format!(" ({shown_total} before --filter / --max-groups)")
        } else {
            String::new()
        }
    );
    let dump_col = if multi {
        "<th data-sort=\"dump\">dump</th>"
    } else {
        ""
    };
    let _ = writeln!(
        h,
        "<div class=\"scroll\"><table id=\"groups\">\n<thead><tr><th data-sort=\"id\">group</th>{dump_col}\
         <th data-sort=\"count\" class=\"num\">{many}</th><th data-sort=\"state\">state</th>\
         <th data-sort=\"wait\" class=\"num\">minutes</th><th data-sort=\"severity\">severity</th>\
         <th data-sort=\"function\">where (first user frame; open for the stack)</th>\
         <th data-sort=\"creator\">created by</th></tr></thead>\n<tbody>",
        many = r.nouns().1
    );
    let mut n = 0;
    'outer: for (si, s) in r.snapshots.iter().enumerate() {
        let view = views.get(si);
        for (gi, g) in s.groups.iter().enumerate() {
            if n >= STATIC_ROWS {
                break 'outer;
            }
            n += 1;
            let key = group_key(multi, si, &g.id);
            let leaf = view
                .and_then(|v| v.leaf_of_group.get(gi))
                .map(|l| format!(" data-leaf=\"{l}\""))
                .unwrap_or_default();
            let sv = SEVERITIES[sev.get(&(si, g.id.as_str())).copied().unwrap_or(0)];
            let wait = g.wait_minutes.map(|w| w.range()).unwrap_or_default();
            let (fname, floc) = g
                .top_frame()
                .map(|f| (f.function.as_str(), format!("{}:{}", f.file, f.line)))
                .unwrap_or(("", String::new()));
            let creator = g
                .created_by
                .as_ref()
                .map(|c| c.function.as_str())
                .unwrap_or("");
            let dump = if multi {
                format!("<td>{}</td>", si + 1)
            } else {
                String::new()
            };
            let _ = write!(
                h,
                "<tr class=\"group\" data-id=\"{}\"{leaf}><td>{}</td>{dump}<td class=\"num\">{}</td>\
                 <td>{}</td><td class=\"num\">{wait}</td><td>{}</td><td><details><summary><code>{}</code> \
                 <span class=\"loc\">{}</span></summary>",
                esc(&key),
                esc(&key),
                g.count,
                t(&g.state),
                if sv.is_empty() {
                    String::new()
                } else {
                    format!("<span class=\"severity sev-{sv}\">{sv}</span>")
                },
                t(fname),
                t(&floc)
            );
            stack_pre(h, &g.frames, g.created_by.as_ref());
            let _ = writeln!(
                h,
                "</details></td><td><code>{}</code></td></tr>",
                t(creator)
            );
        }
    }
    h.push_str("</tbody></table></div>\n<div id=\"groups-pager\"></div>\n</section>\n");
}

/// The data the script needs for the whole groups table, compact:
/// strings, frames and stacks are shared tables; goroutine ids are
/// run-length coded differences.
#[derive(serde::Serialize)]
struct TableData<'a> {
    multi: bool,
    sev: [&'static str; 6],
    rows: usize,
    strs: Vec<&'a str>,
    /// (function, file, line, kind: 0 user, 1 stdlib, 2 runtime)
    frames: Vec<(usize, usize, u32, u8)>,
    stacks: Vec<Vec<usize>>,
    groups: Vec<GroupRow>,
}

/// One group as an array; the field order is the script's (`ID`, `SNAP`,
/// ... in report.js).
#[derive(serde::Serialize)]
struct GroupRow(
    String,   // id
    usize,    // snapshot
    u64,      // goroutines
    usize,    // state
    usize,    // stack
    usize,    // index of the first user frame in the stack
    i64,      // creator function, or -1
    i64,      // creator file, or -1
    u32,      // creator line
    i64,      // wait minutes min, or -1
    i64,      // wait minutes max, or -1
    usize,    // severity index
    usize,    // package of the first user frame
    i64,      // icicle leaf node, or -1
    String,   // labels as text
    Vec<i64>, // goroutine ids, coded
);

fn table_data(r: &Report, views: &[SnapView], sev: &GroupSeverity, multi: bool) -> String {
    struct Interner<'a> {
        strs: Vec<&'a str>,
        ix: FxHashMap<&'a str, usize>,
    }
    impl<'a> Interner<'a> {
        fn get(&mut self, s: &'a str) -> usize {
            if let Some(&i) = self.ix.get(s) {
                return i;
            }
            self.strs.push(s);
            self.ix.insert(s, self.strs.len() - 1);
            self.strs.len() - 1
        }
    }
    let mut it = Interner {
        strs: Vec::new(),
        ix: FxHashMap::default(),
    };
    let mut frames: Vec<(usize, usize, u32, u8)> = Vec::new();
    let mut frame_ix: FxHashMap<(usize, usize, u32, u8), usize> = FxHashMap::default();
    let mut stacks: Vec<Vec<usize>> = Vec::new();
    let mut stack_ix: FxHashMap<Vec<usize>, usize> = FxHashMap::default();
    let mut groups: Vec<GroupRow> = Vec::new();
    for (snap_i, s) in r.snapshots.iter().enumerate() {
        for (gi, g) in s.groups.iter().enumerate() {
            let mut st = Vec::with_capacity(g.frames.len());
            for f in g.frames.iter().take(256) {
                let k = match f.kind {
                    CodeKind::User => 0u8,
                    CodeKind::Stdlib => 1,
                    CodeKind::Runtime => 2,
                };
                let key = (it.get(&f.function), it.get(&f.file), f.line, k);
                let fi = *frame_ix.entry(key).or_insert_with(|| {
                    frames.push(key);
                    frames.len() - 1
                });
                st.push(fi);
            }
            let stack = match stack_ix.get(&st) {
                Some(&x) => x,
                None => {
                    stacks.push(st.clone());
                    stack_ix.insert(st, stacks.len() - 1);
                    stacks.len() - 1
                }
            };
            let top = g
                .frames
                .iter()
                .take(256)
                .position(|f| f.kind == CodeKind::User)
                .unwrap_or(0);
            let pkg = g.top_frame().map_or("", |f| f.package.as_str());
            let (creator, creator_file, creator_line) =
                g.created_by.as_ref().map_or((-1, -1, 0), |c| {
                    (it.get(&c.function) as i64, it.get(&c.file) as i64, c.line)
                });
            let labels: String = g
                .labels
                .iter()
                .map(|(k, v)| format!("{k}={}", v.join("|")))
                .collect::<Vec<_>>()
                .join(" ");
            let (wmin, wmax) = g
                .wait_minutes
                .map_or((-1i64, -1i64), |w| (i64::from(w.min), i64::from(w.max)));
            let leaf = views
                .get(snap_i)
                .and_then(|v| v.leaf_of_group.get(gi))
                .map_or(-1i64, |&l| i64::from(l));
            groups.push(GroupRow(
                group_key(multi, snap_i, &g.id),
                snap_i,
                g.count,
                it.get(&g.state),
                stack,
                top,
                creator,
                creator_file,
                creator_line,
                wmin,
                wmax,
                sev.get(&(snap_i, g.id.as_str())).copied().unwrap_or(0),
                it.get(pkg),
                leaf,
                clip(&labels, MAX_TEXT).into_owned(),
                encode_ids(&g.task_ids),
            ));
        }
    }
    let data = TableData {
        multi,
        sev: SEVERITIES,
        rows: STATIC_ROWS,
        strs: it.strs,
        frames,
        stacks,
        groups,
    };
    script_json(&data)
}

/// Ids as pairs (difference from the previous id, how many times in a
/// row): the ids of a group are usually evenly spaced.
pub fn encode_ids(ids: &[u64]) -> Vec<i64> {
    let mut out = Vec::new();
    let mut prev: i64 = 0;
    let mut run: Option<(i64, i64)> = None;
    for &id in ids {
        let id = id as i64;
        let d = id.wrapping_sub(prev);
        prev = id;
        run = match run {
            Some((rd, n)) if rd == d => Some((rd, n + 1)),
            Some((rd, n)) => {
                out.push(rd);
                out.push(n);
                Some((d, 1))
            }
            None => Some((d, 1)),
        };
    }
    if let Some((d, n)) = run {
        out.push(d);
        out.push(n);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn escapes_every_markup_character() {
        assert_eq!(
            esc("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
        assert!(matches!(esc("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn script_json_cannot_close_the_block() {
        let v = json!({"f": "</script><!-- & \u{2028}"});
        let s = script_json(&v);
        assert!(!s.contains('<') && !s.contains('>') && !s.contains('&'));
        let back: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn ids_are_run_length_coded_differences() {
        assert_eq!(encode_ids(&[18, 23, 28, 33]), vec![18, 1, 5, 3]);
        assert_eq!(encode_ids(&[5, 3]), vec![5, 1, -2, 1]);
        assert!(encode_ids(&[]).is_empty());
    }

    #[test]
    fn short_names_keep_internal() {
        assert_eq!(short_func("net/http.(*conn).serve"), "http.(*conn).serve");
        assert_eq!(
            short_func("internal/sync.(*Mutex).Lock"),
            "internal/sync.(*Mutex).Lock"
        );
        assert_eq!(
            short_func("golang.org/x/net/internal/socket.(*Conn).Read"),
            "internal/socket.(*Conn).Read"
        );
        assert_eq!(short_func("main.main"), "main.main");
    }

    #[test]
    fn clip_cuts_on_characters() {
        assert_eq!(clip("héllo", 2), "hé…");
        assert_eq!(clip("hé", 2), "hé");
    }
}
