//! The thread-dump builder every thread parser uses (native, Rust, gdb and
//! lldb, tokio, Java, Python): a parser reads each thread into a [`Block`],
//! each dump into a [`Dump`], and [`snapshots`] turns them into
//! [`Snapshot`]s sharing one set of tables. Also the line reader and the
//! frame-interning helper they share.

use crate::model::heap::Module;
use crate::model::{
    ArgSpan, Bytes, CodeKind, Crash, FrameId, LabelSetId, LineAccount, Runtime, SkipReason,
    Snapshot, StateClass, SyncFacts, Tables, Task, TaskDetail, TaskFlags, TaskKind, Warning,
};
use std::sync::Arc;

/// At most this many frames are kept per stack (a runaway recursion prints
/// thousands).
pub const MAX_FRAMES: usize = 4096;
/// At most this many tasks per dump.
pub const MAX_TASKS: usize = 1 << 20;
/// At most this many dumps are kept per input: the last ones. A task id
/// printed again starts a new dump, so a file that repeats one stack
/// (a log printing the same thread over and over) would otherwise become
/// millions of one-task dumps; the earlier ones are left out with a
/// warning, and their lines counted as skipped over the limit.
pub const MAX_DUMPS: usize = 1000;

/// The dumps of one input share their tables, and some passes of the
/// analysis visit every distinct stack of the input once per dump: an input
/// whose dumps hold more than this many distinct stacks in all keeps fewer
/// dumps than [`MAX_DUMPS`], so that dumps times stacks stays under it.
pub const STACK_BUDGET: usize = 10_000_000;

/// How many dumps of an input holding `stacks` distinct stacks are kept.
pub fn dumps_kept(stacks: usize) -> usize {
    MAX_DUMPS.min(STACK_BUDGET / stacks.max(1)).max(1)
}

/// The warning on the first dump kept (of `kept`) when `count` earlier
/// dumps, from line `first` to line `last`, were left out over the limit.
pub fn dumps_left_out(count: usize, kept: usize, first: u64, last: u64) -> Warning {
    Warning {
        line: first,
        message: format!(
            "{count} earlier dumps (lines {first}-{last}) are left out: the last {kept} are \
             analysed (at most {MAX_DUMPS} dumps per input, fewer when they hold millions of \
             distinct stacks; a task id printed again starts a new dump)"
        ),
    }
}

/// One thread or backtrace being read.
#[derive(Debug, Default)]
pub struct Block {
    /// The task's id.
    pub id: u64,
    /// The thread or task name, when the dump prints one.
    pub name: Option<String>,
    /// The state as the snapshot will print it.
    pub state: &'static str,
    /// What the state means; `Other` when unset.
    pub class: Option<StateClass>,
    /// The frames read so far, innermost first.
    pub frames: Vec<FrameId>,
    /// Frames left out: `(index, count)`.
    pub elided: Option<(u32, u32)>,
    /// 1-based line of the block's first line.
    pub line: u32,
    /// Byte offset of the block's first line.
    pub offset: u64,
    /// Frames were left out (more than [`MAX_FRAMES`], or the dump is cut).
    pub partial: bool,
    /// What kind of task this is, when not the dump's kind (a virtual
    /// thread among threads).
    pub kind: Option<TaskKind>,
    /// Runtime-specific detail the block's header printed.
    pub detail: Option<Box<TaskDetail>>,
    /// Per frame, its argument text relative to `offset` (empty when the
    /// format prints none).
    pub args: Vec<ArgSpan>,
    /// A branch of the forked async task with the same id
    /// ([`TaskFlags::BRANCH`]).
    pub branch: bool,
}

impl Block {
    /// A running task with no frames yet, starting at `line` and `offset`.
    pub fn new(id: u64, line: u32, offset: u64) -> Block {
        Block {
            id,
            line,
            offset,
            state: "running",
            ..Block::default()
        }
    }

    /// Adds a frame, up to [`MAX_FRAMES`].
    pub fn push(&mut self, f: FrameId) {
        if self.frames.len() < MAX_FRAMES {
            self.frames.push(f);
        } else {
            self.partial = true;
        }
    }
}

/// What a native parser read from one dump.
pub struct Dump {
    /// The format id the dump was read as.
    pub format: &'static str,
    /// The runtime that wrote it.
    pub runtime: Runtime,
    /// What the dump's tasks are: threads unless the parser says otherwise.
    pub task_kind: TaskKind,
    /// What kind of dump it is (`stack`, `panic`, `backtrace`, ...).
    pub origin: &'static str,
    /// Its threads or tasks.
    pub blocks: Vec<Block>,
    /// The crash it reports, if any.
    pub crash: Option<Crash>,
    /// Mappings it carries (`/proc/PID/maps`, a tombstone's memory map).
    pub maps: Vec<Module>,
    /// Lines that could not be read.
    pub warnings: Vec<Warning>,
    /// Its byte range in the text.
    pub range: (u64, u64),
    /// The dump is cut off.
    pub truncated: bool,
    /// Lock relations the dump states; `task` indexes `blocks`.
    pub sync: SyncFacts,
    /// Where its lines went, when the parser keeps the account.
    pub lines: Option<LineAccount>,
}

impl Dump {
    /// A dump of thread or task stacks, with the lock relations its text
    /// states; no crash, mappings or warnings.
    pub fn threads(
        format: &'static str,
        runtime: Runtime,
        blocks: Vec<Block>,
        range: (u64, u64),
        sync: SyncFacts,
    ) -> Dump {
        Dump {
            format,
            runtime,
            task_kind: TaskKind::OsThread,
            origin: "stack",
            blocks,
            crash: None,
            maps: Vec::new(),
            warnings: Vec::new(),
            range,
            truncated: false,
            sync,
            lines: None,
        }
    }
}

/// What became of one line of the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineUse {
    /// Read into the model.
    Used,
    /// Skipped for a reason.
    Skip(SkipReason),
}

impl LineUse {
    /// A line the parser has no use for: blank when it is, else skipped
    /// for `reason`.
    #[inline]
    pub fn unused(line: &str, reason: SkipReason) -> LineUse {
        if line.trim().is_empty() {
            LineUse::Skip(SkipReason::Blank)
        } else {
            LineUse::Skip(reason)
        }
    }
}

/// The account of the lines read since the last dump took its own: a
/// parser notes every line here and hands the account to each dump it
/// makes, so that lines between dumps go to the next one.
#[derive(Debug, Default)]
pub struct Ledger {
    pending: LineAccount,
}

impl Ledger {
    /// Notes what became of line `line` (1-based).
    #[inline]
    pub fn note(&mut self, line: u32, what: LineUse) {
        self.pending.cover(u64::from(line));
        match what {
            LineUse::Used => self.pending.use_lines(1),
            LineUse::Skip(reason) => self.pending.skip(reason, 1),
        }
    }

    /// Counts a line noted as used as skipped for `reason` after all (a
    /// caption no stack took).
    pub fn demote(&mut self, reason: SkipReason) {
        if self.pending.used > 0 {
            self.pending.used -= 1;
            self.pending.skip(reason, 1);
        }
    }

    /// A ledger of records rather than lines (JSON and protobuf inputs).
    pub fn of_records() -> Ledger {
        Ledger {
            pending: LineAccount::of_records(),
        }
    }

    /// The account of the lines noted since the last call, for the dump
    /// made now.
    pub fn take(&mut self) -> Option<LineAccount> {
        let fresh = match self.pending.unit {
            crate::model::LineUnit::Record => LineAccount::of_records(),
            crate::model::LineUnit::Line => LineAccount::default(),
        };
        Some(std::mem::replace(&mut self.pending, fresh))
    }

    /// Gives the lines noted after the last dump to the last dump that
    /// keeps an account.
    pub fn finish(mut self, dumps: &mut [Dump]) {
        if self.pending.total() == 0 {
            return;
        }
        if let Some(lines) = dumps.iter_mut().rev().find_map(|d| d.lines.as_mut()) {
            lines.absorb(&std::mem::take(&mut self.pending));
        }
    }
}

/// Turns what a native parser read into snapshots sharing `tables`.
pub fn snapshots(
    text: &Bytes,
    source: &str,
    tables: Tables,
    mut dumps: Vec<Dump>,
) -> Vec<Snapshot> {
    let mut tables = tables;
    let mut all_args: Vec<ArgSpan> = Vec::new();
    let tasks: Vec<Vec<Task>> = dumps
        .iter_mut()
        .map(|d| {
            std::mem::take(&mut d.blocks)
                .into_iter()
                .map(|b| task(&mut tables, &mut all_args, b, d.task_kind))
                .collect()
        })
        .collect();
    let tables = Arc::new(tables);
    let args: Arc<Vec<ArgSpan>> = Arc::new(all_args);
    // The lines of dumps without tasks (dropped) go to the next dump kept,
    // or the last one, as lines of a dump without tasks.
    let mut carry: Option<LineAccount> = None;
    let mut kept: Vec<(Dump, Vec<Task>)> = Vec::with_capacity(dumps.len());
    for (mut dump, tasks) in dumps.into_iter().zip(tasks) {
        if tasks.is_empty() {
            if let Some(lines) = dump.lines.take() {
                carry
                    .get_or_insert_with(LineAccount::default)
                    .absorb(&lines.all_skipped(SkipReason::NoTasks));
            }
            continue;
        }
        if let (Some(lines), Some(carried)) = (dump.lines.as_mut(), carry.take()) {
            lines.absorb(&carried);
        }
        kept.push((dump, tasks));
    }
    if let (Some(carried), Some((last, _))) = (carry, kept.last_mut()) {
        if let Some(lines) = last.lines.as_mut() {
            lines.absorb(&carried);
        }
    }
    cap_dumps(&mut kept, dumps_kept(tables.stack_count()));
    kept.into_iter()
        .enumerate()
        .map(|(index, (dump, tasks))| {
            let mut snapshot = Snapshot::new(
                source,
                dump.format,
                dump.runtime,
                text.clone(),
                Arc::clone(&tables),
                Arc::clone(&args),
            );
            snapshot.index = index;
            snapshot.task_kind = dump.task_kind;
            snapshot.origin = Some(dump.origin.to_string());
            snapshot.crash = dump.crash;
            snapshot.tasks = tasks;
            snapshot.warnings = dump.warnings;
            snapshot.truncated = dump.truncated;
            snapshot.range = dump.range;
            snapshot.maps = dump.maps;
            snapshot.sync = dump.sync;
            snapshot.lines = dump.lines;
            snapshot
        })
        .collect()
}

/// Leaves out the dumps before the last `limit`, their lines
/// counted as skipped over the limit in the first dump kept, which warns
/// and whose range covers their text.
fn cap_dumps(kept: &mut Vec<(Dump, Vec<Task>)>, limit: usize) {
    if kept.len() <= limit {
        return;
    }
    let excess = kept.len() - limit;
    let mut dropped = LineAccount::default();
    let mut first_line = u64::MAX;
    let mut last_line = 0;
    let mut start = u64::MAX;
    for (dump, tasks) in kept.drain(..excess) {
        start = start.min(dump.range.0);
        if let Some(lines) = dump.lines {
            dropped.absorb(&lines.all_skipped(SkipReason::OverLimit));
        }
        for task in tasks.iter().take(1).chain(tasks.last()) {
            first_line = first_line.min(u64::from(task.line));
            last_line = last_line.max(u64::from(task.line));
        }
    }
    if dropped.first != 0 {
        first_line = first_line.min(dropped.first);
        last_line = last_line.max(dropped.last);
    }
    if let Some((first, _)) = kept.first_mut() {
        if let Some(lines) = first.lines.as_mut() {
            lines.absorb(&dropped);
        }
        // Its range covers their text too (nothing else reads it).
        first.range.0 = first.range.0.min(start);
        first
            .warnings
            .insert(0, dumps_left_out(excess, limit, first_line, last_line));
    }
}

/// The task of a block; `kind` is the dump's task kind.
fn task(tables: &mut Tables, all_args: &mut Vec<ArgSpan>, b: Block, kind: TaskKind) -> Task {
    let state = tables.intern(b.state);
    let name = b.name.as_deref().map(|name| tables.intern(name));
    // Argument spans only when every frame has one, so that frame `i`'s
    // span is at `args + i`.
    let args = if !b.args.is_empty() && b.args.len() == b.frames.len() {
        let at = u32::try_from(all_args.len()).unwrap_or(u32::MAX);
        all_args.extend_from_slice(&b.args);
        at
    } else {
        u32::MAX
    };
    let stack = tables.intern_stack(&b.frames, b.elided);
    let mut flags = TaskFlags::default();
    if b.partial {
        flags.set(TaskFlags::PARTIAL);
    }
    let mut parent = Task::NO_PARENT;
    if b.branch {
        flags.set(TaskFlags::BRANCH);
        parent = b.id;
    }
    Task {
        id: b.id,
        parent,
        kind: b.kind.unwrap_or(kind),
        name,
        state,
        class: b.class.unwrap_or(StateClass::Other),
        wait_minutes: None,
        flags,
        labels: LabelSetId(0),
        stack,
        creator: None,
        args,
        offset: b.offset,
        line: b.line,
        arg_hash: [0, 0],
        detail: b.detail,
    }
}

/// Interns a frame of a known function at a source position; `split`
/// names the function's parts the way its runtime does.
pub fn source_frame(
    t: &mut Tables,
    function: &str,
    split: impl FnOnce(&str) -> (String, Option<String>, String, CodeKind),
    file: &str,
    line: u32,
    inlined: bool,
) -> FrameId {
    let function = t.intern_function(function.as_bytes(), split);
    let file = t.intern(file);
    t.intern_frame(crate::model::Frame {
        function,
        file,
        line,
        pc_offset: None,
        inlined,
    })
}

/// Lines of `text` with their byte offsets and 1-based numbers, CR
/// stripped, invalid UTF-8 lossily replaced.
pub fn lines(text: &[u8]) -> impl Iterator<Item = (u64, u32, std::borrow::Cow<'_, str>)> {
    let mut off = 0u64;
    let mut no = 0u32;
    text.split_inclusive(|&c| c == b'\n').map(move |l| {
        let at = off;
        off += l.len() as u64;
        no = no.saturating_add(1);
        let mut line = l;
        while let Some((&last, rest)) = line.split_last() {
            if last == b'\n' || last == b'\r' {
                line = rest;
            } else {
                break;
            }
        }
        (at, no, String::from_utf8_lossy(line))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dump_with(blocks: Vec<Block>, ledger: &mut Ledger) -> Dump {
        let mut dump = Dump::threads(
            "test",
            Runtime::Native,
            blocks,
            (0, 0),
            SyncFacts::default(),
        );
        dump.lines = ledger.take();
        dump
    }

    #[test]
    fn lines_of_a_dump_without_tasks_go_to_the_next() {
        let mut ledger = Ledger::default();
        // Lines 1-3: a dump without tasks (a header and a message).
        ledger.note(1, LineUse::Used);
        ledger.note(2, LineUse::Used);
        ledger.note(3, LineUse::Skip(SkipReason::Blank));
        let empty = dump_with(Vec::new(), &mut ledger);
        // Lines 4-6: one thread.
        ledger.note(4, LineUse::Used);
        ledger.note(5, LineUse::Used);
        ledger.note(6, LineUse::Used);
        ledger.demote(SkipReason::NotModelled);
        let full = dump_with(vec![Block::new(1, 4, 0)], &mut ledger);
        // Line 7: after the last dump.
        ledger.note(7, LineUse::Skip(SkipReason::NotDump));
        let mut dumps = vec![empty, full];
        ledger.finish(&mut dumps);
        let text = Bytes::owned(Vec::new());
        let snaps = snapshots(&text, "test", Tables::new(), dumps);
        assert_eq!(snaps.len(), 1);
        let lines = snaps[0].lines.clone().unwrap_or_default();
        assert_eq!((lines.first, lines.last, lines.unexplained()), (1, 7, 0));
        assert_eq!(lines.used, 2);
        assert_eq!(lines.skipped(SkipReason::NoTasks), 2);
        assert_eq!(lines.skipped(SkipReason::NotModelled), 1);
        assert_eq!(lines.skipped(SkipReason::NotDump), 1);
    }
}
