//! Async task trees: tokio task dumps (`Handle::dump()`, each `task N
//! trace:` followed by a `╼` tree indented with non-breaking spaces) and
//! async-backtrace's `taskdump_tree` (one `╼` root per task). A task's
//! stack is the path from its root future to the leaf it is parked in
//! (the first leaf under a `tokio::sync` primitive when the tree branches),
//! innermost first. Every other branch of a forked tree (a future the task
//! awaits together with that one, `├╼` siblings, and each copy of a folded
//! `2x` line) becomes a task of its own with the task's id and the
//! [`crate::model::TaskFlags::BRANCH`] flag, its stack the path from the
//! branch's leaf to the root, so that what each branch waits on is analysed
//! too. Task dumps state no waits and carry no lock addresses:
//! a task's state, and what it waits on (tokio's `Mutex`, `RwLock`,
//! `Semaphore`, channels, `Notify`), are recognised in its futures' names
//! with tokio's vocabulary ([`crate::model::vocab::tokio`]), recorded as
//! lock relations recognised by frame name (confidence `Likely`) and
//! identified by the awaiting site.

use crate::input::Bytes;
use crate::model::vocab::tokio;
use crate::model::{
    CodeKind, FrameId, LockBasis, LockFact, Runtime, SkipReason, Snapshot, SyncFacts, Tables,
    TaskKind, Warning,
};
use crate::parse::format::{SnapshotFormat, SnapshotReader};
use crate::parse::threads::{
    lines, snapshots, Block, Dump, Ledger, LineUse, MAX_FRAMES, MAX_TASKS,
};

/// The format id of tokio task dumps (`Handle::dump()`).
pub const FORMAT: &str = "tokio-taskdump";
/// The format id of async-backtrace's task trees.
pub const TREE_FORMAT: &str = "async-backtrace-tasks";

/// `task 3 trace:` or `task 2 (id 3) trace:`: `(index, id)`.
fn task_header(s: &str) -> Option<(u64, Option<u64>)> {
    let rest = s.strip_prefix("task ")?.strip_suffix(" trace:")?;
    let (number, id) = match rest.split_once(" (id ") {
        Some((number, id)) => (number, id.strip_suffix(')')?.parse().ok()),
        None => (rest, None),
    };
    Some((number.parse().ok()?, id))
}

/// A tree line: `(depth, content)`; depth counts the characters before the
/// `╼` (or `┈` for async-backtrace's `[POLLING]`).
fn tree_line(s: &str) -> Option<(usize, &str)> {
    let (at, glyph) = s
        .char_indices()
        .find(|(_, glyph)| *glyph == '╼' || *glyph == '┈')?;
    let prefix = &s[..at];
    if !prefix
        .chars()
        .all(|glyph| matches!(glyph, ' ' | '\u{a0}' | '│' | '├' | '└' | '─'))
    {
        return None;
    }
    let depth = prefix.chars().count();
    let content = s[at + glyph.len_utf8()..].trim_start_matches([' ', '\u{a0}']);
    Some((depth, content))
}

/// Where a task dump line starts, for log-prefix detection.
pub fn find_header(line: &[u8]) -> Option<usize> {
    // A finder built once: this runs on every line while an input's dumps
    // are looked for.
    static TASK: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"task "));
    let text = std::str::from_utf8(line).ok()?.trim_end();
    if let Some(start) = TASK.find(text.as_bytes()) {
        if task_header(&text[start..]).is_some() {
            return Some(start);
        }
    }
    text.starts_with('╼').then_some(0)
}

/// How sure we are that `text` is a task dump.
pub fn detect(text: &[u8]) -> f32 {
    let head = &text[..text.len().min(256 << 10)];
    let (mut headers, mut nodes) = (0, 0);
    for l in head.split(|c| *c == b'\n').take(20_000) {
        let line = String::from_utf8_lossy(l);
        let line = line.trim_end();
        if task_header(line).is_some() {
            headers += 1;
        } else if tree_line(line).is_some_and(|(_, c)| c.contains(" at ") || c.starts_with('[')) {
            nodes += 1;
        }
    }
    match (headers, nodes) {
        (h, n) if h >= 1 && n >= 1 => 0.95,
        (0, n) if n >= 2 => 0.85,
        _ => 0.0,
    }
}

fn kind_of(full: &str) -> CodeKind {
    let name = full.trim_start_matches(['<', '&']);
    let krate = name.split("::").next().unwrap_or("");
    const LIBS: &[&str] = &[
        "tokio",
        "futures",
        "futures_util",
        "futures_core",
        "async_backtrace",
        "core",
        "std",
        "alloc",
        "tracing",
        "hyper",
        "tower",
    ];
    if LIBS.contains(&krate) {
        CodeKind::Stdlib
    } else {
        CodeKind::User
    }
}

/// One node of a task's tree.
struct Node {
    depth: usize,
    frame: FrameId,
    sync: bool,
    /// Its line in the dump.
    line: u32,
    /// How many identical siblings it stands for (`2x name`).
    times: u32,
}

/// At most this many tasks are made of one folded line (`1000x name`).
const MAX_COPIES: u32 = 64;

struct Reader {
    t: Tables,
    blocks: Vec<Block>,
    cur: Option<(Block, Vec<Node>)>,
    facts: Vec<LockFact>,
    tree_only: bool,
    /// Branches of forked trees left off their task's stack.
    warnings: Vec<Warning>,
}

impl Reader {
    fn node(&mut self, depth: usize, content: &str, line_no: u32) -> Node {
        // async-backtrace folds identical siblings: `2x name at ...`.
        let (times, content) = match content.split_once("x ") {
            Some((n, rest)) if !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()) => {
                (n.parse::<u32>().unwrap_or(u32::MAX).max(1), rest)
            }
            _ => (1, content),
        };
        let (func, file, line) = match content.rsplit_once(" at ") {
            Some((f, pos)) => {
                let mut it = pos.split(':');
                let file = it.next().unwrap_or("");
                let line = it.next().and_then(|l| l.parse().ok()).unwrap_or(0);
                (f, file, line)
            }
            None => (content, "", 0),
        };
        let kind = kind_of(func);
        let split = |n: &str| {
            let (package, _, name, _) = super::split_function(n, "", "");
            (package, None, name, kind)
        };
        let frame = super::source_frame(&mut self.t, func, split, file, line, false);
        let sync = func.contains(tokio::SYNC_PATH);
        Node {
            depth,
            frame,
            sync,
            line: line_no,
            times,
        }
    }

    fn end_task(&mut self) {
        let Some((mut b, nodes)) = self.cur.take() else {
            return;
        };
        // The task's own stack is the path to the leaf it waits in: the
        // first leaf under a `tokio::sync` frame, else the first leaf.
        let leaves: Vec<usize> = (0..nodes.len())
            .filter(|&i| nodes.get(i + 1).is_none_or(|n| n.depth <= nodes[i].depth))
            .collect();
        let path_of = |leaf: usize| {
            let mut path = vec![leaf];
            let mut depth = nodes[leaf].depth;
            for j in (0..leaf).rev() {
                if nodes[j].depth < depth {
                    path.push(j);
                    depth = nodes[j].depth;
                }
            }
            path
        };
        let chosen_leaf = leaves
            .iter()
            .copied()
            .find(|&l| path_of(l).iter().any(|&i| nodes[i].sync))
            .or_else(|| leaves.first().copied());
        // Every other leaf, and each further copy of a folded leaf
        // (`2x name`), is a branch of the task: the futures it awaits
        // together. Each becomes a task of its own with the task's id, its
        // stack the path from that leaf to the task's root.
        let mut branches: Vec<usize> = Vec::new();
        for &leaf in &leaves {
            let copies = nodes[leaf].times.min(MAX_COPIES) as usize;
            let extra = if Some(leaf) == chosen_leaf {
                copies.saturating_sub(1)
            } else {
                copies
            };
            branches.extend(std::iter::repeat_n(leaf, extra));
            if nodes[leaf].times > MAX_COPIES && self.warnings.len() < 10_000 {
                self.warnings.push(Warning {
                    line: u64::from(nodes[leaf].line),
                    message: format!(
                        "task {}: {} identical branches folded on this line, {MAX_COPIES} kept",
                        b.id, nodes[leaf].times
                    ),
                });
            }
        }
        let frames_of = |leaf: Option<usize>| -> Vec<FrameId> {
            leaf.map(path_of)
                .unwrap_or_default()
                .iter()
                .take(MAX_FRAMES)
                .map(|&i| nodes[i].frame)
                .collect()
        };
        b.frames = frames_of(chosen_leaf);
        let index = self.blocks.len() as u32;
        classify(&mut self.t, &mut b, index, &mut self.facts);
        let base = b.name.clone().unwrap_or_else(|| format!("task {}", b.id));
        let (id, line, offset, partial) = (b.id, b.line, b.offset, b.partial);
        self.blocks.push(b);
        for (k, &leaf) in branches.iter().enumerate() {
            if self.blocks.len() >= MAX_TASKS {
                break;
            }
            let mut branch = Block::new(id, line, offset);
            branch.name = Some(format!("{base} branch {}", k + 1));
            branch.branch = true;
            branch.partial = partial;
            branch.frames = frames_of(Some(leaf));
            let index = self.blocks.len() as u32;
            classify(&mut self.t, &mut branch, index, &mut self.facts);
            self.blocks.push(branch);
        }
    }
}

/// Sets a task's state from its futures and records the wait recognised
/// there, both with tokio's vocabulary.
fn classify(tables: &mut Tables, block: &mut Block, index: u32, facts: &mut Vec<LockFact>) {
    let names: Vec<&str> = block
        .frames
        .iter()
        .map(|frame| tables.str(tables.function(tables.frame(*frame).function).full))
        .collect();
    let Some((entry, frame)) = tokio::task_wait_of(&names) else {
        (block.state, block.class) = (tokio::IDLE.0, Some(tokio::IDLE.1));
        return;
    };
    block.state = entry.state;
    block.class = Some(entry.class);
    if let Some((kind, rel)) = entry.wait {
        let class = tables.intern(entry.state);
        facts.push(LockFact {
            task: index,
            rel,
            kind,
            addr: 0,
            class,
            frame: u16::try_from(frame).unwrap_or(u16::MAX),
            line: block.line,
            basis: LockBasis::FrameName,
            confidence: tokio::CONFIDENCE,
        });
    }
}

/// Reads a tokio task dump or an async-backtrace tree.
pub fn parse(text: Bytes, source: &str) -> Vec<Snapshot> {
    let mut reader = Reader {
        t: Tables::new(),
        blocks: Vec::new(),
        cur: None,
        facts: Vec::new(),
        tree_only: true,
        warnings: Vec::new(),
    };
    let mut end = 0u64;
    let mut next = 0u64;
    let mut ledger = Ledger::default();
    for (off, no, l) in lines(&text) {
        end = off + l.len() as u64;
        let line = l.trim_end();
        if let Some((number, id)) = task_header(line.trim_start()) {
            reader.end_task();
            reader.tree_only = false;
            let mut block = Block::new(id.unwrap_or(number), no, off);
            block.name = Some(format!("task {number}"));
            reader.cur = Some((block, Vec::new()));
            ledger.note(no, LineUse::Used);
            continue;
        }
        if let Some((depth, content)) = tree_line(line) {
            if reader.tree_only && depth == 0 {
                // async-backtrace: every root is a task.
                reader.end_task();
                next += 1;
                reader.cur = Some((Block::new(next, no, off), Vec::new()));
            }
            let node = reader.node(depth, content, no);
            let mut what = LineUse::Skip(SkipReason::NotDump);
            if let Some((_, nodes)) = reader.cur.as_mut() {
                what = LineUse::Skip(SkipReason::OverLimit);
                if nodes.len() < MAX_FRAMES {
                    nodes.push(node);
                    what = LineUse::Used;
                }
            }
            ledger.note(no, what);
            continue;
        }
        if line.trim().is_empty() && reader.tree_only {
            // A blank line ends an async-backtrace dump's tasks.
            reader.end_task();
        }
        ledger.note(no, LineUse::unused(line, SkipReason::NotModelled));
    }
    reader.end_task();
    if reader.blocks.is_empty() {
        return Vec::new();
    }
    let format = if reader.tree_only {
        TREE_FORMAT
    } else {
        FORMAT
    };
    let mut dump = Dump::threads(
        format,
        Runtime::Rust,
        std::mem::take(&mut reader.blocks),
        (0, end),
        SyncFacts {
            locks: std::mem::take(&mut reader.facts),
            deadlocks: Vec::new(),
            notes: Vec::new(),
        },
    );
    dump.task_kind = TaskKind::AsyncTask;
    dump.warnings = std::mem::take(&mut reader.warnings);
    dump.lines = ledger.take();
    snapshots(&text, source, reader.t, vec![dump])
}

/// Async task dumps as an input format.
pub const TOKIO_TASKS: SnapshotFormat = SnapshotFormat {
    id: FORMAT,
    aliases: &["tokio", "async-backtrace", TREE_FORMAT],
    help: "Async task trees: tokio task dumps and async-backtrace trees",
    expected: Some("a tokio task dump or async-backtrace tree (`task 3 trace:`, `╼ app::handler at src/main.rs:12:5`)"),
    detect,
    reader: SnapshotReader::Text {
        anchor: find_header,
        parse,
    },
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_lines_and_headers() {
        assert_eq!(task_header("task 2 (id 3) trace:"), Some((2, Some(3))));
        assert_eq!(task_header("task 0 trace:"), Some((0, None)));
        assert_eq!(task_header("task trace:"), None);
        let (depth, content) =
            tree_line("\u{a0}\u{a0}└╼\u{a0}tokio::sync::mutex::Mutex<T>::lock at x.rs:1:2")
                .expect("node");
        assert_eq!(depth, 3);
        assert!(content.starts_with("tokio::sync"));
        assert!(tree_line("a ╼ b").is_none());
    }

    #[test]
    fn a_folded_line_becomes_one_branch_per_copy_up_to_a_cap() {
        let text = "╼ app::root at src/main.rs:1:1\n  ├╼ 3x app::wait at src/main.rs:2:1\n  └╼ 100000x app::spin at src/main.rs:3:1\n";
        let snaps = parse(Bytes::owned(text.as_bytes().to_vec()), "t");
        let snap = &snaps[0];
        // The task's own stack, two more copies of `wait`, then `spin`'s
        // copies up to the cap.
        assert_eq!(snap.tasks.len(), 3 + MAX_COPIES as usize);
        let branches = snap
            .tasks
            .iter()
            .filter(|t| t.flags.has(crate::model::TaskFlags::BRANCH))
            .count();
        assert_eq!(branches, 2 + MAX_COPIES as usize);
        assert!(snap.tasks.iter().all(|t| t.id == snap.tasks[0].id));
        assert!(snap.tasks[1..].iter().all(|t| t.parent_id() == Some(t.id)));
        assert!(snap
            .warnings
            .iter()
            .any(|w| w.line == 3 && w.message.contains("100000")));
    }
}
