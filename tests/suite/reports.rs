//! The example reports in reports/ are the renderers' output for a few
//! samples: this test fails when they are stale. `reports/generate.sh`
//! (or `DUMPSCOPE_UPDATE_REPORTS=1 cargo test --test suite reports::`) rewrites them.
//! The links of README.md and docs/ resolve to files and anchors of the
//! repository.

use crate::common;

use dumpscope::report::{html, md};

/// (sample, name in reports/)
const EXAMPLES: [(&str, &str); 8] = [
    (
        "samples/go/lock-order-deadlock/all.txt",
        "lock-order-deadlock",
    ),
    (
        "samples/go/goroutine-explosion/all.txt",
        "goroutine-explosion",
    ),
    ("samples/go/lock-convoy/all.txt", "lock-convoy"),
    ("samples/go/read-no-deadline/all.txt", "read-no-deadline"),
    ("samples/go/crash-nil-pointer/all.txt", "crash-nil-pointer"),
    ("samples/java/juc-deadlock/jstack-l.txt", "java-deadlock"),
    (
        "samples/native/gdb/mutex-deadlock/bt.txt",
        "gdb-mutex-deadlock",
    ),
    (
        "samples/go/cache-never-evicts/pprof/heap.pb.gz",
        "cache-never-evicts-heap",
    ),
];

#[test]
fn example_reports_are_current() {
    let update = std::env::var_os("DUMPSCOPE_UPDATE_REPORTS").is_some();
    let dir = common::root().join("reports");
    let mut stale = Vec::new();
    for (rel, name) in EXAMPLES {
        let r = common::report(rel);
        let mut json = serde_json::to_string_pretty(&r).unwrap();
        json.push('\n');
        let outputs = [
            (format!("{name}.html"), html::render(&r)),
            (
                format!("{name}.md"),
                md::render(&r, &md::MdOptions::default()),
            ),
            (format!("{name}.json"), json),
        ];
        for (file, text) in outputs {
            let path = dir.join(&file);
            if update {
                std::fs::write(&path, &text).unwrap();
            } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                stale.push(file);
            }
        }
    }
    assert!(
        stale.is_empty(),
        "stale example reports {stale:?}: run reports/generate.sh"
    );
}

/// GitHub's anchor for a heading: lower case, inline code and link
/// markup dropped, characters other than letters, digits, `-`, `_` and
/// spaces removed, spaces made `-`.
fn slug(heading: &str) -> String {
    let link = regex::Regex::new(r"\[([^\]]*)\]\([^)]*\)").unwrap();
    let text = link.replace_all(heading, "$1").replace('`', "");
    text.trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The lines of a Markdown file outside fenced code blocks, numbered.
fn prose(md: &str) -> Vec<(usize, &str)> {
    let mut fenced = false;
    let mut out = Vec::new();
    for (i, line) in md.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if !fenced {
            out.push((i + 1, line));
        }
    }
    out
}

/// The anchors of a Markdown file: its headings as GitHub names them
/// (a repeated heading gets `-1`, `-2`, ...) and explicit `<a id>` tags.
fn anchors(md: &str) -> std::collections::BTreeSet<String> {
    let heading = regex::Regex::new(r"^#{1,6}\s+(.*?)\s*#*\s*$").unwrap();
    let tag = regex::Regex::new(r#"<a\s+(?:id|name)="([^"]+)""#).unwrap();
    let mut seen: std::collections::BTreeMap<String, usize> = Default::default();
    let mut out = std::collections::BTreeSet::new();
    for (_, line) in prose(md) {
        if let Some(c) = heading.captures(line) {
            let s = slug(&c[1]);
            let n = seen.entry(s.clone()).or_insert(0);
            out.insert(if *n == 0 {
                s.clone()
            } else {
                format!("{s}-{n}")
            });
            *n += 1;
        }
        for c in tag.captures_iter(line) {
            out.insert(c[1].to_string());
        }
    }
    out
}

#[test]
fn slugs_follow_github() {
    assert_eq!(
        slug("Rules files (`--rules FILE`)"),
        "rules-files---rules-file"
    );
    assert_eq!(
        slug("HTML and Markdown reports"),
        "html-and-markdown-reports"
    );
    assert_eq!(
        slug("Async tasks (`tokio-taskdump`, `async-backtrace-tasks`)"),
        "async-tasks-tokio-taskdump-async-backtrace-tasks"
    );
    let a = anchors("# A\n## Notes\n```\n# not a heading\n```\n## Notes\n<a id=\"x\"></a>\n");
    let want: Vec<&str> = vec!["a", "notes", "notes-1", "x"];
    assert_eq!(a.iter().map(String::as_str).collect::<Vec<_>>(), want);
}

/// Every relative link of README.md and docs/*.md names a file of the
/// repository, and every anchor a heading (or `<a id>`) of its target.
#[test]
fn links_and_anchors_of_the_docs_resolve() {
    let root = common::root();
    let mut files = vec![root.join("README.md")];
    let mut docs: Vec<_> = std::fs::read_dir(root.join("docs"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    let inline = regex::Regex::new(r#"\]\(([^)\s]+)(?:\s+"[^"]*")?\)"#).unwrap();
    let reference = regex::Regex::new(r"^\s*\[[^\]]+\]:\s*(\S+)").unwrap();
    let href = regex::Regex::new(r#"<a\s[^>]*href="([^"]+)""#).unwrap();
    let code = regex::Regex::new(r"`[^`]*`").unwrap();
    let mut broken = Vec::new();
    for file in &files {
        let md = std::fs::read_to_string(file).unwrap();
        let dir = file.parent().unwrap();
        let name = file.strip_prefix(&root).unwrap().display().to_string();
        for (n, line) in prose(&md) {
            let line = code.replace_all(line, "");
            let targets = inline
                .captures_iter(&line)
                .chain(reference.captures_iter(&line))
                .chain(href.captures_iter(&line))
                .map(|c| c[1].to_string());
            for target in targets {
                if target.contains("://") || target.starts_with("mailto:") {
                    continue;
                }
                let (path, fragment) = match target.split_once('#') {
                    Some((p, f)) => (p, Some(f)),
                    None => (target.as_str(), None),
                };
                let resolved = if path.is_empty() {
                    file.clone()
                } else {
                    dir.join(path)
                };
                if !resolved.exists() {
                    broken.push(format!("{name}:{n}: {target}: no such file"));
                    continue;
                }
                let Some(fragment) = fragment else { continue };
                if resolved.extension().is_some_and(|x| x == "md") {
                    let text = std::fs::read_to_string(&resolved).unwrap();
                    if !anchors(&text).contains(fragment) {
                        broken.push(format!("{name}:{n}: {target}: no such anchor"));
                    }
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}
