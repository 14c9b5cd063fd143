//! The HTML report without a browser: golden snapshots, escaping of a
//! crafted hostile dump, the Content-Security-Policy, and that the page
//! carries what the JSON report carries. The browser tests (tests/suite/browser.rs)
//! check that it renders and works.

use crate::common;

use base64::Engine as _;
use dumpscope::report::{html, Report};
use sha2::Digest as _;

/// The text between `open` and the next `close`, with where it starts.
fn between<'a>(s: &'a str, open: &str, close: &str) -> Option<(usize, &'a str)> {
    let a = s.find(open)? + open.len();
    let b = a + s[a..].find(close)?;
    Some((a, &s[a..b]))
}

/// The page's inline code: (style, script), and the JSON data block.
fn parts(page: &str) -> (String, String, serde_json::Value) {
    let (_, style) = between(page, "<style>", "</style>").expect("a style block");
    let (_, data) = between(
        page,
        "<script type=\"application/json\" id=\"ds-data\">",
        "</script>",
    )
    .expect("a data block");
    let code_at = page.rfind("<script>").expect("a code block");
    let (_, code) = between(&page[code_at..], "<script>", "</script>").expect("closed");
    (
        style.to_string(),
        code.to_string(),
        serde_json::from_str(data).expect("the data block is JSON"),
    )
}

/// The page with the stylesheet, the script and their hashes elided, for
/// snapshots that change only when the rendered content does.
fn for_snapshot(page: &str) -> String {
    let (style, code, _) = parts(page);
    let mut s = page
        .replace(&style, "/* report.css */")
        .replace(&code, "/* report.js */");
    while let Some(i) = s.find("'sha256-") {
        let end = i + 1 + s[i + 1..].find('\'').unwrap() + 1;
        s.replace_range(i..end, "'HASH'");
    }
    s
}

fn b64sha(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(s.as_bytes()))
}

/// Decodes the run-length coded ids of the data block.
fn decode_ids(runs: &[serde_json::Value]) -> Vec<u64> {
    let mut out = Vec::new();
    let mut prev: i64 = 0;
    for pair in runs.chunks(2) {
        let (d, n) = (pair[0].as_i64().unwrap(), pair[1].as_i64().unwrap());
        for _ in 0..n {
            prev += d;
            out.push(prev as u64);
        }
    }
    out
}

#[test]
fn golden_pages() {
    for rel in [
        "samples/go/lock-order-deadlock/all.txt",
        "samples/go/goroutine-explosion/all.txt",
    ] {
        let page = html::render(&common::report(rel));
        insta::assert_snapshot!(rel.replace('/', "__"), for_snapshot(&page));
    }
}

#[test]
fn the_policy_allows_exactly_the_inline_code_and_nothing_from_outside() {
    let page = html::render(&common::report("samples/go/lock-convoy/all.txt"));
    let (style, code, _) = parts(&page);
    let (_, csp) = between(
        &page,
        "<meta http-equiv=\"Content-Security-Policy\" content=\"",
        "\"",
    )
    .expect("a CSP meta tag");
    assert!(csp.starts_with("default-src 'none';"), "{csp}");
    assert!(csp.contains(&format!("script-src 'sha256-{}'", b64sha(&code))));
    assert!(csp.contains(&format!("style-src 'sha256-{}'", b64sha(&style))));
    assert!(!csp.contains("unsafe-inline") && !csp.contains("http"));
    // Nothing that loads or links out: no src attributes, links only to
    // anchors of the page, no inline handlers or style attributes.
    assert!(!page.contains(" src="));
    for (i, _) in page.match_indices("href=\"") {
        assert_eq!(
            &page[i + 6..i + 7],
            "#",
            "external link at {}",
            &page[i..i + 40]
        );
    }
    assert!(!page.contains(" style=\"") && !page.contains(" onclick="));
    assert_eq!(page.matches("<script").count(), 2);
}

#[test]
fn hostile_names_stay_text() {
    let r = common::hostile_report();
    assert!(!r.findings.is_empty(), "the crafted dump has findings");
    let page = html::render(&r);
    // Exactly the renderer's own two script elements, no markup from the dump.
    assert_eq!(page.matches("<script").count(), 2);
    assert_eq!(page.matches("</script>").count(), 2);
    for bad in ["<img", "<svg onload", "<!--", "<b>&amp;"] {
        assert!(!page.contains(bad), "{bad} reached the page");
    }
    assert!(page.contains("&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
    // The data block reads back to the very same strings.
    let (_, _, data) = parts(&page);
    let strs: Vec<&str> = data["strs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let names: Vec<&str> = r.snapshots[0]
        .groups
        .iter()
        .flat_map(|g| g.frames.iter().map(|f| f.function.as_str()))
        .collect();
    assert!(names.iter().any(|n| n.contains('`')), "{names:?}");
    for n in names {
        assert!(strs.contains(&n), "{n} missing from the data");
    }
    assert!(strs.iter().any(|s| s.contains("</script><script>alert(1)")));
}

#[test]
fn the_page_carries_what_the_json_report_carries() {
    for rel in [
        "samples/go/lock-order-deadlock/all.txt",
        "samples/go/goroutine-explosion/all.txt",
        "samples/go/crash-nil-pointer/all.txt",
    ] {
        let r = common::report(rel);
        let page = html::render(&r);
        let quiet = r.findings.iter().filter(|f| f.is_quiet()).count();
        assert_eq!(
            page.matches("<details class=\"finding ").count(),
            r.findings.len() - quiet,
            "{rel}"
        );
        // Info findings and benign waits: one folded line, each listed in it.
        assert_eq!(
            page.matches("<details class=\"quiet\">").count(),
            usize::from(quiet > 0),
            "{rel}"
        );
        for f in &r.findings {
            assert!(page.contains(&format!("id=\"{}\"", f.id)), "{rel} {}", f.id);
        }
        let groups = &r.snapshots[0].groups;
        assert_eq!(
            page.matches("<tr class=\"group\"").count(),
            groups.len().min(html::STATIC_ROWS),
            "{rel}"
        );
        let (_, _, data) = parts(&page);
        let rows = data["groups"].as_array().unwrap();
        assert_eq!(rows.len(), groups.len());
        for (row, g) in rows.iter().zip(groups) {
            assert_eq!(row[0], g.id.as_str());
            assert_eq!(row[2].as_u64().unwrap(), g.count);
            assert_eq!(
                decode_ids(row[15].as_array().unwrap()),
                g.task_ids,
                "{rel} {}",
                g.id
            );
        }
        let state_bars = page.matches("<g class=\"bar\">").count();
        assert_eq!(state_bars, r.snapshots[0].states.0.len().min(20), "{rel}");
        assert!(page.contains("<svg id=\"flame\""));
    }
}

#[test]
fn the_heap_section_carries_the_heap_report() {
    use dumpscope::analyze::phrase::mib;
    let rel = "samples/go/cache-never-evicts/pprof/heap.pb.gz";
    let r = common::report(rel);
    let hp = &r.heap[0];
    let page = html::render(&r);
    let (_, section) = between(
        &page,
        "<section id=\"heap-1\" class=\"heap\">",
        "</section>",
    )
    .expect("a heap section");
    assert!(section.contains(&format!("<h2>Heap — {rel}</h2>")));
    assert!(section.contains(&format!("In use: <b>{}</b>", mib(hp.totals.inuse_bytes))));
    // Every heap finding is linked from its section.
    let heap_findings: Vec<_> = r.findings.iter().filter(|f| f.heap == Some(0)).collect();
    assert!(!heap_findings.is_empty());
    for f in heap_findings {
        assert!(
            section.contains(&format!("<a href=\"#{}\">", f.id)),
            "{}",
            f.id
        );
    }
    // The top table: the report's functions, in its order, with its numbers.
    let (_, table) = between(section, "<table class=\"heaptop\">", "</table>").unwrap();
    let rows: Vec<&str> = table.split("<tr><td>").skip(1).collect();
    assert_eq!(rows.len(), hp.functions.len().min(25));
    for (row, f) in rows.iter().zip(&hp.functions) {
        let cells: Vec<&str> = row.split("</td><td>").collect();
        assert_eq!(cells[0], mib(f.flat.inuse_bytes), "{}", f.function);
        assert_eq!(cells[2], mib(f.cum.inuse_bytes), "{}", f.function);
        assert!(cells[5].starts_with(&format!("<code>{}</code>", f.function)));
    }
    // The flame graph: its root is everything in use, the allocating
    // function of the top site is drawn with its share.
    let (_, svg) = between(
        section,
        "<svg id=\"heap-flame-1\" class=\"heapflame\"",
        "</svg>",
    )
    .expect("a flame graph of memory in use");
    assert!(svg.contains(&format!(
        "<title>all — {} (100.0%)</title>",
        mib(hp.totals.inuse_bytes)
    )));
    let top = &hp.sites[0];
    let share = top.values.inuse_bytes as f64 * 100.0 / hp.totals.inuse_bytes as f64;
    assert!(
        svg.contains(&format!(
            "<title>{} — {} ({share:.1}%)</title>",
            top.function,
            mib(top.values.inuse_bytes)
        )),
        "{}",
        top.function
    );
}

#[test]
fn a_heap_with_more_stacks_than_the_report_keeps_draws_the_rest_as_one_box() {
    let rel = "samples/go/cache-never-evicts/pprof/heap.pb.gz";
    let mut r = common::report(rel);
    let hp = &mut r.heap[0];
    let kept = 3;
    let dropped: i64 = hp.sites[kept..].iter().map(|s| s.values.inuse_bytes).sum();
    hp.sites.truncate(kept);
    let page = html::render(&r);
    let (_, svg) = between(&page, "class=\"heapflame\"", "</svg>").unwrap();
    let rest = format!(
        "<title>({} smaller stacks) — {}",
        r.heap[0].sites_total - kept,
        dumpscope::analyze::phrase::mib(dropped)
    );
    assert!(svg.contains(&rest), "{rest}");
}

#[test]
fn a_deadlock_is_drawn_as_a_highlighted_cycle() {
    let r = common::report("samples/go/lock-order-deadlock/all.txt");
    assert!(!r.graph.cycles.is_empty());
    let page = html::render(&r);
    let (_, svg) = between(&page, "<svg id=\"wait-graph\"", "</svg>").unwrap();
    let on_cycle: usize = r.graph.cycles.iter().map(|c| c.len()).sum();
    assert_eq!(svg.matches("<g class=\"node").count(), r.graph.nodes.len());
    assert_eq!(
        svg.matches("class=\"node task cycle\"").count()
            + svg.matches("class=\"node res cycle\"").count(),
        on_cycle
    );
    // AB-BA: four edges, all on the cycle.
    assert_eq!(svg.matches("class=\"edge ").count(), r.graph.edges.len());
    assert_eq!(svg.matches(" cycle\" d=").count(), r.graph.edges.len());
}

/// Many groups: the static table stops at a page; the data holds all; the
/// page grows by a bounded amount per group.
#[test]
fn a_big_report_is_paged_and_bounded() {
    let mut r: Report = common::report("samples/go/goroutine-explosion/all.txt");
    let base = html::render(&r).len();
    let template = r.snapshots[0].groups.clone();
    let mut groups = Vec::new();
    let mut next_id = 1_000_000u64;
    for k in 0..20_000 {
        let mut g = template[k % template.len()].clone();
        g.id = format!("g{}", k + 1);
        g.task_ids = (0..3).map(|i| next_id + i).collect();
        g.count = 3;
        next_id += 3;
        groups.push(g);
    }
    r.snapshots[0].groups = groups.into();
    let page = html::render(&r);
    assert_eq!(
        page.matches("<tr class=\"group\"").count(),
        html::STATIC_ROWS
    );
    let (_, _, data) = parts(&page);
    assert_eq!(data["groups"].as_array().unwrap().len(), 20_000);
    let per_group = (page.len() - base) / 20_000;
    assert!(per_group < 200, "{per_group} bytes per group");
}

#[test]
fn without_findings_or_graph_the_page_says_so() {
    let r = common::report("samples/go/healthy-service/all.txt");
    let page = html::render(&r);
    assert_eq!(
        r.graph.nodes.is_empty(),
        page.contains("<div id=\"wait-graph\"><p class=\"empty\">")
    );
    assert_eq!(r.findings.is_empty(), page.contains("No findings"));
}

/// Hundreds of resources: every cycle is drawn, then the 30 busiest; the
/// drawing stays a readable size and says what it left out.
#[test]
fn a_big_graph_draws_the_interesting_part() {
    use dumpscope::model::{Confidence, ResKind};
    use dumpscope::report::{EdgeKind, GraphEdge, GraphNode, NodeKind};
    let mut r: Report = common::report("samples/go/lock-order-deadlock/all.txt");
    let cycle_nodes: usize = r.graph.cycles.iter().map(|c| c.len()).sum();
    let node = |id: String, kind: NodeKind, count: Option<u64>| GraphNode {
        id,
        kind,
        snapshot: 0,
        count,
        name: None,
    };
    let edge = |from: String, to: String, kind: EdgeKind, count: Option<u64>| GraphEdge {
        from,
        to,
        kind,
        confidence: Confidence::Likely,
        evidence: None,
        count,
    };
    for k in 0..300u64 {
        let res = format!("mutex@0x{:x}", 0xc000100000u64 + k * 64);
        r.graph
            .nodes
            .push(node(res.clone(), NodeKind::Resource(ResKind::Mutex), None));
        for w in 0..(k % 7 + 1) {
            let t = format!("task:{}", 10_000 + k * 10 + w);
            r.graph.nodes.push(node(t.clone(), NodeKind::Task, None));
            r.graph
                .edges
                .push(edge(t, res.clone(), EdgeKind::WaitsOn, None));
        }
        if k % 3 == 0 {
            let h = format!("task:{}", 90_000 + k);
            r.graph.nodes.push(node(h.clone(), NodeKind::Task, None));
            r.graph
                .edges
                .push(edge(res.clone(), h, EdgeKind::HeldBy, None));
        }
    }
    let page = html::render(&r);
    let (_, svg) = between(&page, "<svg id=\"wait-graph\"", "</svg>").unwrap();
    let resources = svg.matches("<g class=\"node res").count();
    assert_eq!(
        resources, 30,
        "the cycle's two mutexes, then the 28 busiest"
    );
    assert_eq!(
        svg.matches(" cycle\" data-id=").count(),
        cycle_nodes,
        "every node of the cycle is drawn"
    );
    let nodes = svg.matches("<g class=\"node").count();
    // Each: itself, a holder, four waiters and one "+N more" node.
    assert!(nodes <= 30 * 7, "{nodes} nodes drawn");
    let height: f64 = between(svg, "height=\"", "\"").unwrap().1.parse().unwrap();
    assert!(height < 8000.0, "{height} px high");
    assert!(
        page.contains("Drawn: 30 of 302 resources"),
        "the note counts"
    );
    // The busiest drawn: all resources with 7 waiters (k % 7 == 6) and a holder.
    assert!(
        svg.contains("data-id=\"mutex@0xc0001006c0\""),
        "k = 27: 7 waiters, held"
    );
}

/// A frame the dump gives no place for (a Java native method) shows no
/// line number and no empty place line; stacks without frames have their
/// own box in the icicle, which leaves no empty band under the root.
#[test]
fn frames_without_a_place_and_stacks_without_frames() {
    let r = common::report("samples/java/healthy/jstack-l.txt");
    let native = r
        .snapshots
        .iter()
        .flat_map(|s| &s.groups)
        .flat_map(|g| &g.frames)
        .find(|f| f.function == "java.lang.Thread.sleep")
        .expect("a native frame");
    assert_eq!((native.file.as_str(), native.line), ("", 0));
    let page = html::render(&r);
    assert!(!page.contains(":0\n") && !page.contains(":0<"), "a :0 line");
    let stacks: Vec<&str> = page.split("<pre class=\"stack\">").skip(1).collect();
    assert!(!stacks.is_empty());
    for s in stacks {
        let s = s.split("</pre>").next().unwrap();
        assert!(!s.contains("\n\t\n"), "an empty place line: {s}");
    }
    let (_, flame) = between(&page, "<svg id=\"flame", "</svg>").expect("an icicle");
    let frameless = r
        .snapshots
        .iter()
        .flat_map(|s| &s.groups)
        .filter(|g| g.frames.is_empty())
        .map(|g| g.count)
        .sum::<u64>();
    assert!(frameless > 0, "the JVM's own threads have no Java frames");
    assert!(
        flame.contains(&format!("(no stack) — {frameless} threads")),
        "no box for the {frameless} threads without frames"
    );
}
