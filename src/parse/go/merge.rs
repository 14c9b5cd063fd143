//! The sequential merge of the chunks read in parallel: one set of tables
//! and argument spans, goroutines and the text around them split into dumps,
//! crash records assembled, and every line accounted for.

use super::chunk::{Chunk, Event, Span, FORMAT, MAX_WARNINGS};
use super::crash::{CrashBuilder, LineUse};
use super::features::Features;
use super::line::trim_end;
use crate::input::Bytes;
use crate::model::{
    ArgSpan, IdMap, LineAccount, Runtime, SkipReason, Snapshot, Tables, Task, TaskDetail,
    TaskFlags, Warning,
};
use crate::parse::threads::{dumps_kept, dumps_left_out, MAX_DUMPS};
use rustc_hash::FxHashSet;
use std::sync::Arc;

/// Builds one snapshot during the merge.
struct SnapBuilder {
    tasks: Vec<Task>,
    crash: CrashBuilder,
    warnings: Vec<Warning>,
    seen: FxHashSet<u64>,
    start: u64,
    end: u64,
    truncated: bool,
    /// Where the lines of this dump went.
    lines: LineAccount,
}

impl SnapBuilder {
    fn new(start: u64) -> Self {
        SnapBuilder {
            tasks: Vec::new(),
            crash: CrashBuilder::default(),
            warnings: Vec::new(),
            seen: FxHashSet::default(),
            start,
            end: start,
            truncated: false,
            lines: LineAccount::default(),
        }
    }
    fn is_empty(&self) -> bool {
        self.tasks.is_empty() && !self.crash.has_content()
    }

    /// The snapshot built, sharing the merged `tables` and `args`.
    fn finish(
        self,
        source: &str,
        text: &Bytes,
        tables: &Arc<Tables>,
        args: &Arc<Vec<ArgSpan>>,
        features: Features,
    ) -> Snapshot {
        let mut warnings = self.warnings;
        let crash = self.crash.finish();
        let origin = origin_of(crash.as_ref(), &self.tasks);
        if self.truncated {
            warnings.push(Warning {
                line: self.tasks.last().map_or(0, |task| u64::from(task.line)),
                message: "the dump is cut off here: the last goroutine is incomplete".into(),
            });
        }
        let end = self
            .end
            .max(self.tasks.last().map_or(0, |task| task.offset));
        let mut snapshot = Snapshot::new(
            source,
            FORMAT,
            Runtime::Go,
            text.clone(),
            Arc::clone(tables),
            Arc::clone(args),
        );
        snapshot.version_guess = features.guess();
        snapshot.origin = Some(origin.to_string());
        snapshot.crash = crash;
        snapshot.tasks = self.tasks;
        snapshot.warnings = warnings;
        snapshot.truncated = self.truncated;
        snapshot.lines = Some(self.lines);
        snapshot.range = (self.start, end);
        snapshot
    }
}

/// The snapshots of a merge: those finished, and the one being built.
struct Merge {
    done: Vec<(SnapBuilder, Features)>,
    current: SnapBuilder,
    /// Version features seen so far (in any chunk up to here).
    features: Features,
    /// Dumps left out over [`MAX_DUMPS`] (the earliest ones).
    dropped: Dropped,
}

/// The dumps left out over [`MAX_DUMPS`]: how many, and their lines.
#[derive(Default)]
struct Dropped {
    dumps: usize,
    lines: LineAccount,
    /// Where the first dump left out starts.
    start: Option<u64>,
}

impl Dropped {
    fn add(&mut self, lines: LineAccount, with_tasks: bool, start: u64) {
        self.dumps += usize::from(with_tasks);
        self.lines.absorb(&lines.all_skipped(SkipReason::OverLimit));
        self.start.get_or_insert(start);
    }
}

impl Merge {
    /// Finishes the current snapshot and starts the next at byte `start`.
    /// Beyond twice [`MAX_DUMPS`] finished dumps, the earliest are left
    /// out down to [`MAX_DUMPS`], so that memory stays bounded and every
    /// dump is dropped at most once.
    #[inline]
    fn split(&mut self, start: u64) {
        let next = SnapBuilder::new(start);
        self.done
            .push((std::mem::replace(&mut self.current, next), self.features));
        if self.done.len() >= 2 * MAX_DUMPS {
            let excess = self.done.len() - MAX_DUMPS;
            for (builder, _) in self.done.drain(..excess) {
                let with_tasks = !builder.tasks.is_empty();
                self.dropped.add(builder.lines, with_tasks, builder.start);
            }
        }
    }

    /// Whether a goroutine (already remapped) starts a second dump: the
    /// same goroutine again. Notes it as seen in the current dump.
    #[inline]
    fn repeats(&mut self, task: &mut Task) -> bool {
        if self.current.crash.in_m_sections() {
            // An M's view of its goroutine, printed a second time.
            task.flags.set(TaskFlags::SYSTEM_STACK);
            false
        } else {
            task.id != 0 && !self.current.seen.insert(task.id)
        }
    }

    /// Counts a goroutine in the current dump, before it is moved there
    /// with the ones around it ([`Run`]).
    #[inline]
    fn task(&mut self, task: &Task, span: Span) {
        let builder = &mut self.current;
        if task.flags.has(TaskFlags::PARTIAL) {
            builder.truncated = true;
        }
        builder.crash.on_goroutine(task.id);
        builder.end = task.offset;
        let (span, blank_after) = span.get();
        account_task(&mut builder.lines, u64::from(task.line), span, blank_after);
    }

    /// Feeds a line outside the goroutines (bytes `start..end` of the text,
    /// 1-based `line_no`) to the crash builder; a crash header after
    /// goroutines starts a new dump.
    #[inline]
    fn line(&mut self, text: &[u8], line_no: u64, start: usize, end: usize) -> LineUse {
        let line = &text[start..end];
        if !self.current.tasks.is_empty() && self.current.crash.is_start(line) {
            self.split(start as u64);
        }
        let builder = &mut self.current;
        if builder.is_empty() && !line.is_empty() && builder.crash.is_start(line) {
            builder.start = start as u64;
        }
        builder.lines.cover(line_no);
        let used = builder.crash.line(line_no, line);
        match used {
            LineUse::Used => builder.lines.use_lines(1),
            LineUse::Blank => builder.lines.skip(SkipReason::Blank, 1),
            LineUse::Other => builder.lines.skip(SkipReason::NotDump, 1),
        }
        if builder.crash.has_content() {
            builder.end = end as u64;
        }
        used
    }

    /// Feeds `count` consecutive lines outside the goroutines, bytes
    /// `start..end` of the text, the first numbered `first`. A run of
    /// empty lines after a blank one is counted at once (a blank line
    /// changes nothing the next one would not).
    #[inline]
    fn lines(&mut self, text: &[u8], first: u64, count: u32, start: usize, end: usize) {
        let count = u64::from(count);
        let mut pos = start;
        let mut k = 0u64;
        let mut after_blank = false;
        while k < count {
            if after_blank && !self.current.crash.in_race() {
                let run = text
                    .get(pos..end)
                    .unwrap_or_default()
                    .iter()
                    .take_while(|&&c| c == b'\n')
                    .count() as u64;
                let run = run.min(count - k);
                if run > 0 {
                    let builder = &mut self.current;
                    builder.lines.cover(first + k + run - 1);
                    builder.lines.skip(SkipReason::Blank, run);
                    if builder.crash.has_content() {
                        builder.end = (pos as u64 + run - 1).max(builder.end);
                    }
                    pos += run as usize;
                    k += run;
                    continue;
                }
            }
            let stop = match text
                .get(pos..end)
                .and_then(|rest| memchr::memchr(b'\n', rest))
            {
                Some(p) => pos + p,
                None => end,
            };
            let piece = trim_end(text.get(pos..stop).unwrap_or_default());
            after_blank = self.line(text, first + k, pos, pos + piece.len()) == LineUse::Blank;
            pos = (stop + 1).min(end);
            k += 1;
        }
    }

    /// Takes in the goroutines and events of one chunk, its tables mapped
    /// by `map`, its argument spans from `args_base` and its lines from
    /// `base_line`. Goroutines are counted where they lie in the chunk's
    /// vector and moved in runs; events, rare, come between them.
    fn chunk(&mut self, text: &[u8], chunk: Chunk, map: &IdMap, args_base: u32, base_line: u64) {
        let tasks = chunk.tasks;
        let count = tasks.len();
        self.current.tasks.reserve(count);
        self.current.seen.reserve(count);
        let mut run = Run {
            tasks: tasks.into_iter(),
            counted: 0,
        };
        let mut events = chunk.events.into_iter();
        let mut next = events.next();
        // Where the next event comes (before the goroutine of that index).
        let at = |next: &Option<(u32, Event)>| next.as_ref().map_or(usize::MAX, |e| e.0 as usize);
        let mut next_at = at(&next);
        for (index, &span) in chunk.spans.iter().enumerate().take(count) {
            while next_at <= index {
                if let Some((_, event)) = next.take() {
                    run.flush(&mut self.current.tasks);
                    self.event(text, event, base_line);
                }
                next = events.next();
                next_at = at(&next);
            }
            let Some(task) = run.tasks.as_mut_slice().get_mut(run.counted) else {
                break;
            };
            remap_task(task, map, args_base, base_line);
            if self.repeats(task) {
                // The same goroutine again: a second dump starts here,
                // after the goroutines counted before it.
                let (id, offset) = (task.id, task.offset);
                run.flush(&mut self.current.tasks);
                self.split(offset);
                self.current.seen.insert(id);
            }
            if let Some(task) = run.tasks.as_slice().get(run.counted) {
                self.task(task, span);
            }
            run.counted += 1;
        }
        run.flush(&mut self.current.tasks);
        for (_, event) in next.into_iter().chain(events) {
            self.event(text, event, base_line);
        }
    }

    /// Takes in an event of a chunk whose lines start after `base_line`.
    #[inline]
    fn event(&mut self, text: &[u8], event: Event, base_line: u64) {
        match event {
            Event::Skipped {
                unreadable,
                cut,
                over_limit,
            } => account_skipped(&mut self.current.lines, unreadable, cut, over_limit),
            Event::Lines {
                line,
                count,
                start,
                end,
            } => self.lines(text, base_line + u64::from(line), count, start, end),
            Event::Warn { line, message } => self.warn(base_line + u64::from(line), message),
        }
    }

    /// Records a warning, keeping at most [`MAX_WARNINGS`] per snapshot.
    #[inline]
    fn warn(&mut self, line: u64, message: String) {
        if self.current.warnings.len() < MAX_WARNINGS {
            self.current.warnings.push(Warning { line, message });
        }
    }
}

/// The goroutines of a chunk on their way into the dumps: those counted
/// but not yet moved wait at the front of the chunk's vector and move in
/// one run when something else comes (an event, a new dump, the end of
/// the chunk).
struct Run {
    tasks: std::vec::IntoIter<Task>,
    /// How many goroutines at the front of `tasks` were counted.
    counted: usize,
}

impl Run {
    /// Moves the goroutines counted into `into`: all that are left in one
    /// copy (the usual case: nothing else came between them).
    #[inline]
    fn flush(&mut self, into: &mut Vec<Task>) {
        if self.counted == self.tasks.len() {
            into.extend(std::mem::take(&mut self.tasks));
        } else if self.counted > 0 {
            into.extend(self.tasks.by_ref().take(self.counted));
        }
        self.counted = 0;
    }
}

/// Counts the lines of a goroutine whose header is line `first`, `span`
/// lines up to its last one and the blank line after it when
/// `blank_after`. Runs once per goroutine in the sequential merge: a few
/// additions; goroutines come in line order, so the range only grows at
/// its end. Lines it could not use follow as [`Event::Skipped`].
#[inline]
fn account_task(account: &mut LineAccount, first: u64, span: u32, blank_after: bool) {
    let span = u64::from(span);
    if account.first == 0 || first < account.first {
        account.first = first;
    }
    let end = first + span - 1 + u64::from(blank_after);
    account.last = account.last.max(end);
    account.use_lines(span);
    if blank_after {
        account.skip(SkipReason::Blank, 1);
    }
}

/// Moves lines of the goroutine just counted from used to skipped.
#[inline]
fn account_skipped(account: &mut LineAccount, unreadable: u32, cut: u32, over_limit: u32) {
    let skipped = u64::from(unreadable) + u64::from(cut) + u64::from(over_limit);
    account.used = account.used.saturating_sub(skipped);
    account.skip(SkipReason::Unreadable, u64::from(unreadable));
    account.skip(SkipReason::Cut, u64::from(cut));
    account.skip(SkipReason::OverLimit, u64::from(over_limit));
}

/// Moves a chunk's task into the merged tables (`map`), argument spans
/// (from `args_base`) and line numbers (from `base_line`).
#[inline]
fn remap_task(task: &mut Task, map: &IdMap, args_base: u32, base_line: u64) {
    task.state = map.sym(task.state);
    task.stack = map.stack(task.stack);
    task.creator = task.creator.map(|frame| map.frame(frame));
    task.labels = map.labels(task.labels);
    task.args += args_base;
    task.line = (base_line + u64::from(task.line)).min(u64::from(u32::MAX)) as u32;
    if let Some(TaskDetail::Go(go)) = task.detail.as_deref_mut() {
        for ancestor in go.ancestors.iter_mut() {
            ancestor.stack = map.stack(ancestor.stack);
            ancestor.creator = ancestor.creator.map(|frame| map.frame(frame));
        }
    }
}

/// Joins the chunks read in parallel, in order, into snapshots: one set of
/// tables and argument spans, goroutines and crash text split into dumps.
/// The chunks come in waves (each read in parallel when the merge asks for
/// it), so that only one wave's goroutines wait for the merge at a time.
pub(super) fn merge(
    text: Bytes,
    source: &str,
    waves: impl Iterator<Item = Vec<Chunk>>,
) -> Vec<Snapshot> {
    let mut tables = Tables::new();
    let mut args: Vec<ArgSpan> = Vec::new();
    let mut merge = Merge {
        done: Vec::new(),
        current: SnapBuilder::new(0),
        features: Features::default(),
        dropped: Dropped::default(),
    };
    let mut base_line: u64 = 0;
    for chunks in waves {
        args.reserve(chunks.iter().map(|chunk| chunk.args.len()).sum());
        for chunk in chunks {
            let map: IdMap = tables.absorb(&chunk.tables);
            let args_base = args.len() as u32;
            args.extend_from_slice(&chunk.args);
            merge.features.0 |= chunk.features.0;
            let lines = chunk.lines;
            merge.chunk(&text, chunk, &map, args_base, base_line);
            base_line += u64::from(lines);
        }
    }
    merge.done.push((merge.current, merge.features));
    let tables = Arc::new(tables);
    let args = Arc::new(args);
    let mut snaps: Vec<Snapshot> = Vec::new();
    // The lines of dumps without goroutines (dropped) go to the next dump
    // kept, or the last one.
    let mut carry = LineAccount::default();
    let mut dropped_crash: Option<u64> = None;
    for (mut builder, features) in merge.done {
        if builder.tasks.is_empty() {
            if builder.lines.used > 0 {
                dropped_crash.get_or_insert(builder.lines.first);
            }
            carry.absorb(&builder.lines.all_skipped(SkipReason::NoTasks));
            continue;
        }
        builder.lines.absorb(&std::mem::take(&mut carry));
        if let Some(line) = dropped_crash.take() {
            builder.warnings.push(no_tasks_warning(line));
        }
        let mut snapshot = builder.finish(source, &text, &tables, &args, features);
        snapshot.index = snaps.len();
        snaps.push(snapshot);
    }
    if let Some(last) = snaps.last_mut() {
        if let Some(lines) = last.lines.as_mut() {
            lines.absorb(&carry);
        }
        if let Some(line) = dropped_crash {
            last.warnings.push(no_tasks_warning(line));
        }
    }
    cap_dumps(&mut snaps, merge.dropped, dumps_kept(tables.stack_count()));
    snaps
}

/// Keeps the last `limit` snapshots; the lines and the text of those
/// left out (here or during the merge) go to the first one kept, with a
/// warning.
fn cap_dumps(snaps: &mut Vec<Snapshot>, mut dropped: Dropped, limit: usize) {
    if snaps.len() > limit {
        let excess = snaps.len() - limit;
        for snap in snaps.drain(..excess) {
            dropped.add(snap.lines.unwrap_or_default(), true, snap.range.0);
        }
        for (index, snap) in snaps.iter_mut().enumerate() {
            snap.index = index;
        }
    }
    if dropped.dumps == 0 && dropped.lines.total() == 0 {
        return;
    }
    let kept = snaps.len();
    if let Some(first) = snaps.first_mut() {
        let warning = dumps_left_out(dropped.dumps, kept, dropped.lines.first, dropped.lines.last);
        if let Some(lines) = first.lines.as_mut() {
            lines.absorb(&dropped.lines);
        }
        // Its range covers their text too (nothing else reads it).
        first.range.0 = first.range.0.min(dropped.start.unwrap_or(u64::MAX));
        first.warnings.insert(0, warning);
    }
}

/// The warning for crash text (from line `line`) that no goroutine
/// follows, so no dump keeps it.
fn no_tasks_warning(line: u64) -> Warning {
    Warning {
        line,
        message: "a crash report without any goroutine after it is left out".into(),
    }
}

fn origin_of(crash: Option<&crate::model::Crash>, tasks: &[Task]) -> &'static str {
    if let Some(c) = crash {
        if !c.panics().is_empty() {
            return "panic";
        }
        if c.fatal_error().is_some() {
            return "fatal";
        }
        if let Some(s) = &c.signal {
            if s.name == "SIGQUIT" {
                return "sigquit";
            }
            return "signal";
        }
    }
    if !tasks.is_empty() && tasks.iter().any(|t| t.flags.has(TaskFlags::LEAKED)) {
        return "goroutineleak";
    }
    "stack"
}
