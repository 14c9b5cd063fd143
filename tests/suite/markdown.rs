//! The Markdown report: golden snapshots of a few samples, the crafted
//! hostile dump, the byte budget, and properties of the escapers. Review
//! snapshot changes with `cargo insta review`, or accept them with
//! `INSTA_UPDATE=always cargo test --test suite markdown::`.

use crate::common;

use dumpscope::report::md::{self, MdOptions};
use dumpscope::report::Report;
use proptest::prelude::*;

/// Markdown split into the text outside fenced code blocks and the blocks
/// (fence, content lines). Panics unless every block is closed by a line
/// that is exactly its own opening fence.
fn split_fences(md: &str) -> (String, Vec<(String, Vec<String>)>) {
    assert!(!md.contains('\r'), "a carriage return reached the output");
    let mut outside = String::new();
    let mut blocks = Vec::new();
    let mut open: Option<(String, Vec<String>)> = None;
    for line in md.split('\n') {
        let body = line.trim_start_matches(' ');
        let indent = line.len() - body.len();
        let run = |ch: char| body.chars().take_while(|&c| c == ch).count();
        match &mut open {
            None => {
                let ch = body.chars().next().unwrap_or(' ');
                if indent <= 3 && (ch == '`' || ch == '~') && run(ch) >= 3 {
                    open = Some((body[..run(ch)].to_string(), Vec::new()));
                } else {
                    outside.push_str(line);
                    outside.push('\n');
                }
            }
            Some((fence, content)) => {
                let ch = fence.chars().next().unwrap();
                let closes = indent <= 3
                    && run(ch) >= fence.len()
                    && body[run(ch)..].trim_end_matches([' ', '\t']).is_empty();
                if closes {
                    assert_eq!(line, fence, "a block closed by another line than its fence");
                    blocks.push(open.take().unwrap());
                } else {
                    content.push(line.to_string());
                }
            }
        }
    }
    assert!(open.is_none(), "a fenced block is never closed:\n{md}");
    (outside, blocks)
}

/// The `**rank. SEVERITY** kind (confidence)` line start of a finding.
fn finding_head(f: &dumpscope::report::Finding) -> String {
    format!(
        "**{}. {}** {} ({})",
        f.rank,
        f.severity.as_str().to_uppercase(),
        f.kind,
        f.confidence
    )
}

fn top_finding(r: &Report) -> &dumpscope::report::Finding {
    r.findings
        .iter()
        .find(|f| f.severity != "info")
        .expect("a finding above info")
}

#[test]
fn golden_markdown() {
    for rel in [
        "samples/go/lock-order-deadlock/all.txt",
        "samples/go/crash-nil-pointer/all.txt",
        "samples/go/goroutine-explosion/all.txt",
    ] {
        let r = common::report(rel);
        let out = md::render(&r, &MdOptions::default());
        split_fences(&out);
        insta::assert_snapshot!(rel.replace('/', "__"), out);
    }
}

/// Two inputs of one run: the findings of both first, ranked together,
/// then each dump's groups.
#[test]
fn golden_markdown_of_several_dumps() {
    let parsed: Vec<_> = [
        "samples/go/leak-and-spin/goroutine-1.txt",
        "samples/go/leak-and-spin/goroutine-3.txt",
    ]
    .iter()
    .map(|rel| common::parse(rel))
    .collect();
    let r = dumpscope::pipeline::report(&parsed, &Default::default(), &Default::default());
    let out = md::render(&r, &MdOptions::default());
    split_fences(&out);
    insta::assert_snapshot!("several__leak-and-spin", out);
}

#[test]
fn hostile_dump_stays_text() {
    let r = common::hostile_report();
    assert!(!r.findings.is_empty(), "the crafted dump has findings");
    let out = md::render(&r, &MdOptions::default());
    let (outside, blocks) = split_fences(&out);

    // Outside the code blocks, the only markup is the renderer's own
    // `<details>`: every `<` and `>` of the dump became an entity.
    let own = outside
        .replace("<details><summary>Evidence and stack</summary>", "")
        .replace("</details>", "");
    assert!(!own.contains('<') && !own.contains('>'), "{own}");
    for bad in ["<script", "<img", "<svg", "<!--", "<b>"] {
        assert!(!outside.contains(bad), "{bad} reached the Markdown");
    }
    let tag_attr = regex::Regex::new(r"<[^>]*onerror=").unwrap();
    assert!(!tag_attr.is_match(&outside));
    // No link, image or bare address: `](`, `![` and `://` only escaped.
    let unescaped = |pat: &str| {
        regex::Regex::new(&format!(r"(^|[^\\]){pat}"))
            .unwrap()
            .is_match(&outside)
    };
    assert!(!unescaped(r"\]\(http"), "a link reached the Markdown");
    assert!(!unescaped(r"\]\("), "a link reached the Markdown");
    assert!(!unescaped(r"!\["), "an image reached the Markdown");
    assert!(!unescaped("://"), "an address reached the Markdown");
    assert!(!unescaped("`"), "a code span reached the Markdown");
    // The dump's text is still shown, escaped.
    assert!(outside.contains("&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(outside.contains("\\[link\\](https\\://evil.example/x)"));

    // The stacks are in blocks whose fence outlasts the dump's backticks.
    assert!(!blocks.is_empty());
    for (fence, content) in &blocks {
        let longest = content
            .iter()
            .flat_map(|l| l.split(|c| c != '`'))
            .map(str::len)
            .max()
            .unwrap_or(0);
        assert!(fence.len() > longest.max(2), "{fence} in {content:?}");
    }
    assert!(
        blocks.iter().any(|(f, _)| f.len() > 3),
        "the ``` in the function names lengthened a fence"
    );
    assert!(blocks
        .iter()
        .any(|(_, c)| c.iter().any(|l| l.contains("transfer<b>x</b>"))));

    // And the findings are there, each with its rule.
    for f in &r.findings {
        assert!(out.contains(&finding_head(f)), "{out}");
        let rule = format!("- Rule: {}", md::escape_text(&f.rule));
        assert!(out.contains(&rule), "{rule} in {out}");
    }
}

/// The largest Go sample by size.
fn largest_sample() -> String {
    let mut best = (0, String::new());
    for dir in std::fs::read_dir(common::root().join("samples/go")).unwrap() {
        for f in std::fs::read_dir(dir.unwrap().path()).unwrap() {
            let p = f.unwrap().path();
            let len = p.metadata().unwrap().len();
            if p.extension().is_some_and(|e| e == "txt") && len > best.0 {
                let rel = p.strip_prefix(common::root()).unwrap();
                best = (len, rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    best.1
}

#[test]
fn largest_sample_fits() {
    let rel = largest_sample();
    let r = common::report(&rel);
    let opts = MdOptions::default();
    let out = md::render(&r, &opts);
    assert!(out.len() <= opts.max_bytes, "{rel}: {} bytes", out.len());
    assert!(out.contains(&finding_head(top_finding(&r))), "{rel}");
    split_fences(&out);
}

/// A report with 2000 findings and 5000 groups, copied from a sample's,
/// every text long and hostile.
fn huge_report() -> Report {
    let mut r = common::report("samples/go/lock-order-deadlock/all.txt");
    let long = "<img src=x onerror=alert(1)> *x* `y` | ".repeat(20);
    let s = &mut r.snapshots[0];
    let groups = s.groups.clone();
    s.groups = (0..5000)
        .map(|i| {
            let mut g = groups[i % groups.len()].clone();
            g.id = format!("g{}", i + 1);
            g.state = format!("{}{long}", g.state);
            for f in &mut g.frames {
                f.function = format!("{}{long}", f.function);
            }
            let frames = g.frames.clone();
            for _ in 0..10 {
                g.frames.extend(frames.iter().cloned());
            }
            g
        })
        .collect();
    s.groups_total = 5000;
    let findings: Vec<_> = r
        .findings
        .iter()
        .filter(|f| !f.is_quiet())
        .cloned()
        .collect();
    r.findings = (0..2000)
        .map(|i| {
            let mut f = findings[i % findings.len()].clone();
            f.id = format!("f{}", i + 1);
            f.rank = i as u32 + 1;
            f.title = format!("{}{long}", f.title);
            f.explanation = format!("{}{long}", f.explanation);
            f.evidence = (0..40).map(|k| format!("evidence {k}: {long}")).collect();
            f.task_ids = (1..500).collect();
            f
        })
        .collect();
    r
}

#[test]
fn huge_report_fits() {
    let r = huge_report();
    let top = finding_head(&r.findings[0]);
    let opts = MdOptions::default();
    let out = md::render(&r, &opts);
    assert!(out.len() <= opts.max_bytes, "{} bytes", out.len());
    assert!(out.contains(&top));
    assert!(out.contains("left out for size"));
    assert!(out.contains("## Groups") && out.contains("| g1 |"));
    assert!(out.ends_with("The HTML/JSON report has everything._\n"));
    split_fences(&out);

    let small = MdOptions {
        max_bytes: 4000,
        ..Default::default()
    };
    let out = md::render(&r, &small);
    assert!(out.len() <= 4000, "{} bytes", out.len());
    assert!(out.starts_with("# dumpscope report\n"));
    assert!(out.contains(&top), "{out}");
    split_fences(&out);

    for max_bytes in [0, 1, 50, 300, 1000, 2000, 3000, 8000, 20_000] {
        let opts = MdOptions {
            max_bytes,
            ..Default::default()
        };
        let out = md::render(&r, &opts);
        assert!(out.len() <= max_bytes, "{} > {max_bytes}", out.len());
        split_fences(&out);
    }
}

#[test]
fn limits_are_honoured() {
    let r = huge_report();
    let opts = MdOptions {
        max_bytes: usize::MAX,
        max_findings: 3,
        max_groups: 4,
    };
    let out = md::render(&r, &opts);
    assert_eq!(out.matches("<details>").count(), 3);
    assert!(out.contains("1997 more findings not shown"));
    assert!(out.contains("| g4 |") && !out.contains("| g5 |"));
    assert!(out.contains("4996 more groups (of 5000)"));
    assert!(out.contains("and 479 more"), "goroutine ids past 20");
    let first = &r.findings[0].groups[0];
    let g = r.snapshots[0]
        .groups
        .iter()
        .find(|g| &g.id == first)
        .unwrap();
    let frames = format!("...{} more frames...", g.frames.len() - 12);
    assert!(out.contains(&frames), "frames past 12");
    // Every dump string was cut at 300 characters.
    assert!(out.contains('…'));
}

/// What [`md::escape_text`] is meant to keep of a string: line breaks and
/// invisible controls as spaces, the ends trimmed.
fn flattened(s: &str) -> String {
    let breaking = |c: char| {
        c.is_control()
            || matches!(
                c,
                '\u{2028}'
                    | '\u{2029}'
                    | '\u{200e}'
                    | '\u{200f}'
                    | '\u{202a}'..='\u{202e}'
                    | '\u{2066}'..='\u{2069}'
                    | '\u{feff}'
            )
    };
    let s: String = s
        .chars()
        .map(|c| if breaking(c) { ' ' } else { c })
        .collect();
    s.trim().to_string()
}

/// Checks that escaped text holds nothing Markdown or HTML would act on,
/// and returns the text a renderer shows for it.
fn shown(esc: &str) -> Result<String, String> {
    if esc
        .chars()
        .any(|c| c.is_control() || c == '\u{2028}' || c == '\u{2029}')
    {
        return Err("a line break or control character".into());
    }
    if esc != esc.trim() {
        return Err("leading or trailing space".into());
    }
    let cs: Vec<char> = esc.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        match c {
            '\\' => {
                let next = *cs.get(i + 1).ok_or("a trailing backslash")?;
                if !next.is_ascii_punctuation() {
                    return Err(format!("backslash before {next:?}"));
                }
                out.push(next);
                i += 2;
                continue;
            }
            '&' => {
                let rest: String = cs[i..].iter().take(5).collect();
                let (ent, ch) = [("&amp;", '&'), ("&lt;", '<'), ("&gt;", '>')]
                    .into_iter()
                    .find(|(e, _)| rest.starts_with(e))
                    .ok_or_else(|| format!("a bare & at {i}"))?;
                out.push(ch);
                i += ent.len();
                continue;
            }
            '<' | '>' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '!' | '~' | '$' => {
                return Err(format!("an unescaped {c:?} at {i}"));
            }
            ':' if cs.get(i + 1) == Some(&'/') && cs.get(i + 2) == Some(&'/') => {
                return Err("an unescaped ://".into());
            }
            '-' | '+' | '=' if i == 0 => return Err(format!("a leading {c:?}")),
            _ => {}
        }
        out.push(c);
        i += 1;
    }
    let list = regex::Regex::new(r"^[0-9]{1,9}[.)]( |$)").unwrap();
    if list.is_match(esc) {
        return Err("a leading list marker".into());
    }
    Ok(out)
}

/// Strings rich in what Markdown and HTML act on, and arbitrary ones.
fn nasty() -> impl Strategy<Value = String> {
    prop_oneof![
        "[\\\\`*_\\[\\]()<>&|#!~$:/.w=+\\-0-9 a-z\r\n\t\u{202e}\u{2028}é]{0,60}",
        any::<String>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn escaped_text_is_inert(s in nasty()) {
        let esc = md::escape_text(&s);
        let back = shown(&esc).map_err(|e| TestCaseError::fail(format!("{e} in {esc:?}")))?;
        // Nothing is lost but line breaks and invisible controls.
        prop_assert_eq!(back, flattened(&s));
    }

    #[test]
    fn escaped_html_is_inert(s in nasty()) {
        let esc = md::escape_html(&s);
        prop_assert!(!esc.contains(['<', '>', '"', '\'', '\n', '\r']), "{}", esc);
        let back = esc
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'");
        prop_assert!(!back.replace("&amp;", "").contains('&'), "a bare & in {}", esc);
        prop_assert_eq!(back.replace("&amp;", "&").chars().count(), s.chars().count());
    }

    #[test]
    fn code_block_holds_its_content(s in nasty()) {
        let block = md::code_block(&s);
        let (outside, blocks) = split_fences(&block);
        prop_assert_eq!(outside.trim(), "");
        prop_assert_eq!(blocks.len(), 1);
        let lines = s.strip_suffix('\n').unwrap_or(&s).split('\n').count();
        prop_assert_eq!(blocks[0].1.len(), lines);
    }
}

/// Findings are set apart by a rule, none before the first; a report of
/// several dumps lists them all first, ranked together, before the groups.
#[test]
fn findings_are_set_apart_and_come_first() {
    let r = common::report("samples/java/monitor-deadlock/jstack-l.txt");
    let out = md::render(&r, &MdOptions::default());
    let (text, _) = split_fences(&out);
    let real: Vec<_> = r.findings.iter().filter(|f| !f.is_quiet()).collect();
    assert!(real.len() >= 2);
    let heads: Vec<usize> = real
        .iter()
        .map(|f| text.find(&finding_head(f)).expect("a finding's head"))
        .collect();
    let findings = text.find("## Findings").unwrap();
    assert!(!text[findings..heads[0]].contains("\n---\n"));
    for pair in heads.windows(2) {
        let between = &text[pair[0]..pair[1]];
        assert!(
            between.contains("\n\n---\n\n"),
            "no rule between two findings: {between}"
        );
    }
    let parsed: Vec<_> = [
        "samples/go/leak-and-spin/before-deploy.txt",
        "samples/go/leak-and-spin/after-deploy.txt",
    ]
    .iter()
    .map(|rel| common::parse(rel))
    .collect();
    let r = dumpscope::pipeline::report(&parsed, &Default::default(), &Default::default());
    let out = md::render(&r, &MdOptions::default());
    let groups = out.find("## Groups").expect("groups");
    let mut last = 0;
    for f in r.findings.iter().filter(|f| !f.is_quiet()) {
        let at = out.find(&finding_head(f)).expect("a finding's head");
        assert!(at < groups && at >= last, "{}", f.title);
        last = at;
    }
}
