//! Locks held at a frame, read from the Go source of its function: the
//! `X.Lock()` / `X.RLock()` calls above the frame's line that were not yet
//! released (a deferred unlock releases nothing until the function
//! returns), with `X` rooted at the receiver or a parameter so that it can
//! be matched to an argument of the frame.
//!
//! Sources are found under `--source-root DIR` by the longest suffix of the
//! frame's file path that exists there, or at the path itself when it is
//! readable. Files are read once and at most [`MAX_FILE`] bytes each.

use crate::model::{FrameId, Snapshot, Sym};
use regex::Regex;
use rustc_hash::FxHashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// A lock taken and still held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    /// The expression locked (`a.mu`).
    pub expr: String,
    /// 1-based source line of the Lock call.
    pub line: u32,
    /// Taken with `RLock` (shared) rather than `Lock`.
    pub read: bool,
}

const MAX_FILE: u64 = 4 << 20;
/// How far up from the frame's line the function header is looked for.
const MAX_FUNC_LINES: usize = 2000;

/// Reads and caches source files.
#[derive(Default)]
pub struct SourceIndex {
    root: Option<PathBuf>,
    /// Also try the dump's own paths (off by default in tests).
    use_dump_paths: bool,
    files: FxHashMap<Sym, Option<Arc<Vec<String>>>>,
}

impl SourceIndex {
    /// An index reading sources under `root` and, when `use_dump_paths`, at
    /// the paths the dump names.
    pub fn new(root: Option<PathBuf>, use_dump_paths: bool) -> Self {
        SourceIndex {
            root,
            use_dump_paths,
            files: FxHashMap::default(),
        }
    }

    /// Whether any source can be read at all.
    pub fn enabled(&self) -> bool {
        self.root.is_some() || self.use_dump_paths
    }

    /// The lines of a frame's source file, when it can be found.
    pub fn lines(&mut self, snap: &Snapshot, file: Sym) -> Option<Arc<Vec<String>>> {
        if !self.enabled() {
            return None;
        }
        if let Some(v) = self.files.get(&file) {
            return v.clone();
        }
        let path = snap.tables.str(file);
        let found = self.resolve(path).and_then(|p| read_lines(&p));
        self.files.insert(file, found.clone());
        found
    }

    fn resolve(&self, path: &str) -> Option<PathBuf> {
        if path.is_empty() {
            return None;
        }
        if let Some(root) = &self.root {
            let parts: Vec<&str> = path.split(['/', '\\']).filter(|s| !s.is_empty()).collect();
            for i in 0..parts.len() {
                let mut candidate = root.clone();
                for s in &parts[i..] {
                    if *s == ".." {
                        continue;
                    }
                    candidate.push(s);
                }
                if candidate.is_file() {
                    return Some(candidate);
                }
            }
        }
        if self.use_dump_paths && Path::new(path).is_file() {
            return Some(PathBuf::from(path));
        }
        None
    }

    /// The locks held at `frame` through argument `arg` (the receiver is
    /// argument 0 of a method). `None` when the source is not available or
    /// the function could not be read; an empty list when the source shows
    /// no lock held through that argument.
    pub fn held_through(
        &mut self,
        snap: &Snapshot,
        frame: FrameId,
        arg: usize,
    ) -> Option<Vec<Held>> {
        let fr = *snap.tables.frame(frame);
        if fr.line == 0 || snap.tables.function(fr.function).kind != crate::model::CodeKind::User {
            return None;
        }
        let lines = self.lines(snap, fr.file)?;
        let name = snap.tables.str(snap.tables.function(fr.function).name);
        let (params, held) = held_locks(&lines, fr.line as usize, name)?;
        let param = params.get(arg)?;
        Some(
            held.into_iter()
                .filter(|h| root_ident(&h.expr) == param)
                .collect(),
        )
    }
}

fn read_lines(p: &Path) -> Option<Arc<Vec<String>>> {
    let meta = std::fs::metadata(p).ok()?;
    if meta.len() > MAX_FILE {
        return None;
    }
    let bytes = std::fs::read(p).ok()?;
    let text = String::from_utf8_lossy(&bytes);
    Some(Arc::new(text.lines().map(str::to_string).collect()))
}

fn root_ident(expr: &str) -> &str {
    expr.split('.').next().unwrap_or(expr)
}

fn lock_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?:^|[^\w.])(defer\s+)?([A-Za-z_][\w.]*)\.(RLock|Lock|RUnlock|Unlock)\(\)")
            .expect("a valid literal regex")
    })
}

fn func_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"^func\s*(?:\(\s*(\w+)?[^)]*\))?\s*([\w]+)\s*(?:\[[^\]]*\])?\s*\(([^)]*)\)")
            .expect("a valid literal regex")
    })
}

/// The parameter names of the function around `line` (receiver first for
/// a method; `_` for unnamed ones) and the locks held just before `line`.
pub fn held_locks(lines: &[String], line: usize, name: &str) -> Option<(Vec<String>, Vec<Held>)> {
    if line == 0 || line > lines.len() {
        return None;
    }
    // The enclosing top-level func declaration. Closures (`func1`) and
    // inlined frames use the enclosing declaration too.
    let mut start = None;
    for i in (line.saturating_sub(MAX_FUNC_LINES)..line).rev() {
        if lines[i].starts_with("func") {
            start = Some(i);
            break;
        }
    }
    let start = start?;
    let caps = func_re().captures(&lines[start])?;
    let declared = caps.get(2).map_or("", |m| m.as_str());
    let base = name.split('.').next().unwrap_or(name);
    if !declared.is_empty() && !base.is_empty() && declared != base && !name.starts_with("func") {
        return None;
    }
    let mut params = Vec::new();
    if lines[start]
        .trim_start_matches("func")
        .trim_start()
        .starts_with('(')
    {
        params.push(caps.get(1).map_or("_", |m| m.as_str()).to_string());
    }
    params.extend(param_names(caps.get(3).map_or("", |m| m.as_str())));
    let mut held: Vec<Held> = Vec::new();
    for (i, l) in lines.iter().enumerate().take(line - 1).skip(start + 1) {
        let code = l.split("//").next().unwrap_or("");
        for c in lock_re().captures_iter(code) {
            let deferred = c.get(1).is_some();
            let expr = c.get(2).map_or("", |m| m.as_str()).to_string();
            let op = c.get(3).map_or("", |m| m.as_str());
            match op {
                "Lock" | "RLock" if !deferred => held.push(Held {
                    expr,
                    line: i as u32 + 1,
                    read: op == "RLock",
                }),
                "Unlock" | "RUnlock" if !deferred => {
                    let read = op == "RUnlock";
                    if let Some(pos) = held.iter().rposition(|h| h.expr == expr && h.read == read) {
                        held.remove(pos);
                    }
                }
                _ => {}
            }
        }
    }
    Some((params, held))
}

/// Names from a Go parameter list: `a, b int, c *T` → a, b, c.
fn param_names(list: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in list.split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let first = part.split_whitespace().next().unwrap_or("_");
        if first.chars().all(|c| c.is_alphanumeric() || c == '_') {
            out.push(first.to_string());
        } else {
            out.push("_".to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(s: &str) -> Vec<String> {
        s.lines().map(str::to_string).collect()
    }

    #[test]
    fn deferred_unlock_keeps_the_lock_held() {
        let lines = src("package main\n\nfunc (a *Account) transfer(to *Account, amount int) {\n\ta.mu.Lock()\n\tdefer a.mu.Unlock()\n\ttime.Sleep(1)\n\tto.mu.Lock()\n\tdefer to.mu.Unlock()\n}\n");
        let (params, held) = held_locks(&lines, 7, "transfer").unwrap();
        assert_eq!(params, vec!["a", "to", "amount"]);
        assert_eq!(held.len(), 1);
        assert_eq!(held[0].expr, "a.mu");
        assert_eq!(held[0].line, 4);
    }

    #[test]
    fn an_explicit_unlock_releases() {
        let lines = src("func (q *Queue) Add(it int) {\n\tq.mu.Lock()\n\tq.items = append(q.items, it)\n\tq.mu.Unlock()\n\tq.notify()\n}\n");
        let (_, held) = held_locks(&lines, 5, "Add").unwrap();
        assert!(held.is_empty());
        let (_, held) = held_locks(&lines, 3, "Add").unwrap();
        assert_eq!(held[0].expr, "q.mu");
    }

    #[test]
    fn read_locks_and_plain_functions() {
        let lines = src("func stats(c *Cache, n int) int {\n\tc.mu.RLock() // read\n\tdefer c.mu.RUnlock()\n\treturn c.Len()\n}\n");
        let (params, held) = held_locks(&lines, 4, "stats").unwrap();
        assert_eq!(params, vec!["c", "n"]);
        assert!(held[0].read);
        assert!(held_locks(&lines, 4, "other").is_none());
    }
}
