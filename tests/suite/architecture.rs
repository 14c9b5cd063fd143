//! The shape of the source tree, checked on every test run (ARCHITECTURE.md):
//! layers import one way, no circle of files, no source file over 1,000 lines.
//!
//! A file's edges are the modules its `use` declarations and inline paths
//! (`crate::a::b`, `super::x`, `child::f()`) name, resolved to the file that
//! defines the longest matching module path; `mod x;` declarations are not
//! edges. Code after `#[cfg(test)]` is left out.

use regex::Regex;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, lowest first: a file may import its own layer and the layers
/// before it, never the ones after it.
const LAYERS: &[&str] = &[
    "model",
    "input",
    "parse",
    "symbolize",
    "analyze",
    "report",
    "pipeline",
    "cli",
    "fuzzing",
];

/// The longest a source file may be.
const MAX_LINES: usize = 1000;

type ModPath = Vec<String>;

/// Every `.rs` file under `src/`, keyed by its module path (`["analyze",
/// "rules"]` for `src/analyze/rules/mod.rs`).
fn source_files() -> BTreeMap<ModPath, PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = BTreeMap::new();
    let mut pending = vec![root.clone()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("src/ is readable") {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let relative = path.strip_prefix(&root).expect("under src/");
                let mut module: ModPath = relative
                    .with_extension("")
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                if matches!(
                    module.last().map(String::as_str),
                    Some("mod" | "lib" | "main")
                ) {
                    module.pop();
                }
                files.insert(module, path);
            }
        }
    }
    files
}

/// The source without comments and without the code after `#[cfg(test)]`.
fn code_of(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("source is UTF-8");
    let text = match text.find("#[cfg(test)]") {
        Some(at) => &text[..at],
        None => &text[..],
    };
    let comment = Regex::new(r"//[^\n]*").expect("regex");
    comment.replace_all(text, "").into_owned()
}

/// Expands `a::{b, c::{d, e}}` into `a::b`, `a::c::d`, `a::c::e`.
fn expand_use(prefix: &str, body: &str, out: &mut Vec<String>) {
    let Some(open) = body.find('{') else {
        out.push(format!("{prefix}{body}"));
        return;
    };
    // A `use` inside a string literal can leave braces unbalanced.
    let Some(inner) = body.rfind('}').and_then(|close| body.get(open + 1..close)) else {
        return;
    };
    let head = &body[..open];
    let mut depth = 0;
    let mut item = String::new();
    for ch in inner.chars() {
        match ch {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                if !item.trim().is_empty() {
                    expand_use(&format!("{prefix}{head}"), item.trim(), out);
                }
                item.clear();
                continue;
            }
            _ => {}
        }
        item.push(ch);
    }
    if !item.trim().is_empty() {
        expand_use(&format!("{prefix}{head}"), item.trim(), out);
    }
}

/// The module paths a file's code names.
fn named_paths(code: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let use_decl = Regex::new(r"\buse\s+([^;]+);").expect("regex");
    for found in use_decl.captures_iter(code) {
        let body = found[1].split_whitespace().collect::<Vec<_>>().join(" ");
        let body = body.replace(":: ", "::").replace(" ::", "::");
        expand_use("", &body, &mut paths);
    }
    let inline = Regex::new(r"\b((?:crate|super)(?:::\w+)+)").expect("regex");
    paths.extend(inline.captures_iter(code).map(|c| c[1].to_string()));
    let child = Regex::new(r"\bmod\s+(\w+)\s*;").expect("regex");
    for declared in child.captures_iter(code) {
        let name = &declared[1];
        let used = Regex::new(&format!(r"(?:^|[^:\w]){name}::")).expect("regex");
        if used.is_match(code) {
            paths.push(format!("self::{name}"));
        }
    }
    paths
}

/// The file a path leads to: the longest prefix that is a file's module.
fn resolve(files: &BTreeMap<ModPath, PathBuf>, from: &ModPath, path: &str) -> Option<ModPath> {
    let path = path.split(" as ").next().unwrap_or(path).trim();
    let mut segments: Vec<&str> = path.split("::").collect();
    let mut module: ModPath = match segments.first().copied() {
        Some("crate") => {
            segments.remove(0);
            Vec::new()
        }
        Some("self") => {
            segments.remove(0);
            from.clone()
        }
        Some("super") => {
            // `super` of src/a/b.rs and of src/a/b/mod.rs is `a`.
            let mut base = from.clone();
            while segments.first() == Some(&"super") {
                segments.remove(0);
                base.pop();
            }
            base
        }
        _ => return None,
    };
    module.extend(
        segments
            .into_iter()
            .filter(|s| !s.is_empty() && *s != "self" && *s != "*")
            .map(str::to_string),
    );
    (0..=module.len())
        .rev()
        .map(|n| module[..n].to_vec())
        .find(|prefix| files.contains_key(prefix))
}

/// Edges between files: which file's code names which other file.
fn file_graph() -> (
    BTreeMap<ModPath, PathBuf>,
    BTreeMap<ModPath, BTreeSet<ModPath>>,
) {
    let files = source_files();
    let mut edges: BTreeMap<ModPath, BTreeSet<ModPath>> = BTreeMap::new();
    for (module, path) in &files {
        let code = code_of(path);
        for named in named_paths(&code) {
            if let Some(target) = resolve(&files, module, &named) {
                if &target != module {
                    edges.entry(module.clone()).or_default().insert(target);
                }
            }
        }
    }
    (files, edges)
}

fn layer_of(module: &ModPath) -> Option<usize> {
    let top = module.first()?;
    LAYERS.iter().position(|layer| layer == top)
}

fn show(module: &ModPath) -> String {
    if module.is_empty() {
        "lib".to_string()
    } else {
        module.join("/")
    }
}

#[test]
fn layers_import_one_way() {
    let (_, edges) = file_graph();
    let mut against = Vec::new();
    for (from, targets) in &edges {
        for to in targets {
            if let (Some(low), Some(high)) = (layer_of(from), layer_of(to)) {
                if high > low {
                    against.push(format!("{} -> {}", show(from), show(to)));
                }
            }
        }
    }
    assert!(
        against.is_empty(),
        "imports against the layer order {LAYERS:?}:\n{}",
        against.join("\n")
    );
}

/// Strongly connected components of more than one file (iterative Tarjan).
fn circles(edges: &BTreeMap<ModPath, BTreeSet<ModPath>>) -> Vec<Vec<String>> {
    let nodes: Vec<&ModPath> = edges
        .keys()
        .chain(edges.values().flatten())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let index_of: BTreeMap<&ModPath, usize> =
        nodes.iter().enumerate().map(|(i, m)| (*m, i)).collect();
    let successors: Vec<Vec<usize>> = nodes
        .iter()
        .map(|m| {
            edges
                .get(*m)
                .map(|ts| ts.iter().map(|t| index_of[t]).collect())
                .unwrap_or_default()
        })
        .collect();
    let count = nodes.len();
    let (mut index, mut low, mut on_stack) =
        (vec![usize::MAX; count], vec![0; count], vec![false; count]);
    let (mut stack, mut found, mut next_index) = (Vec::new(), Vec::new(), 0);
    for start in 0..count {
        if index[start] != usize::MAX {
            continue;
        }
        let mut work = vec![(start, 0usize)];
        while let Some(&mut (node, ref mut child)) = work.last_mut() {
            if *child == 0 && index[node] == usize::MAX {
                index[node] = next_index;
                low[node] = next_index;
                next_index += 1;
                stack.push(node);
                on_stack[node] = true;
            }
            if let Some(&succ) = successors[node].get(*child) {
                *child += 1;
                if index[succ] == usize::MAX {
                    work.push((succ, 0));
                } else if on_stack[succ] {
                    low[node] = low[node].min(index[succ]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[node]);
            }
            if low[node] == index[node] {
                let mut component = Vec::new();
                while let Some(member) = stack.pop() {
                    on_stack[member] = false;
                    component.push(show(nodes[member]));
                    if member == node {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    found.push(component);
                }
            }
        }
    }
    found
}

#[test]
fn no_circle_of_files() {
    let (_, edges) = file_graph();
    let found = circles(&edges);
    assert!(
        found.is_empty(),
        "files that import each other in a circle:\n{}",
        found
            .iter()
            .map(|c| c.join(", "))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn the_checker_sees_a_circle_and_an_import_against_the_layers() {
    // The checks above would pass vacuously if no edge were found.
    let (files, edges) = file_graph();
    let pipeline: ModPath = vec!["pipeline".to_string()];
    assert!(files.len() > 40, "{} source files", files.len());
    assert!(
        edges.get(&pipeline).is_some_and(|t| t.len() >= 3),
        "pipeline.rs imports input, parse, analyze and report"
    );
    let a: ModPath = vec!["x".into()];
    let b: ModPath = vec!["y".into()];
    let mut looped = BTreeMap::new();
    looped.insert(a.clone(), BTreeSet::from([b.clone()]));
    looped.insert(b, BTreeSet::from([a]));
    assert_eq!(circles(&looped).len(), 1);
}

#[test]
fn no_source_file_over_a_thousand_lines() {
    let long: Vec<String> = source_files()
        .values()
        .filter_map(|path| {
            let lines = std::fs::read_to_string(path).ok()?.lines().count();
            let shown = path
                .strip_prefix(env!("CARGO_MANIFEST_DIR"))
                .unwrap_or(path);
            (lines > MAX_LINES).then(|| format!("{} ({lines} lines)", shown.display()))
        })
        .collect();
    assert!(
        long.is_empty(),
        "source files over {MAX_LINES} lines:\n{}",
        long.join("\n")
    );
}
