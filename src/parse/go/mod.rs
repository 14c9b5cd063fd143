//! Go tracebacks: panics, fatal errors, SIGQUIT dumps, `runtime.Stack`,
//! `/debug/pprof/goroutine?debug=2` and the goroutineleak profile at debug=2.
//!
//! One pass over the bytes. Large inputs are cut into chunks at goroutine
//! boundaries (`\n\ngoroutine `) and the chunks are parsed in parallel, each
//! with its own interning tables; a sequential merge then translates ids,
//! splits the input into dumps and assembles the crash records.

mod chunk;
mod crash;
mod cur;
mod features;
pub mod line;
mod merge;

use crate::input::Bytes;
use crate::model::{
    Ancestor, ArgSpan, FrameId, LabelSetId, Snapshot, StateClass, Sym, Tables, Task, TaskFlags,
    TaskKind,
};
use crate::parse::format::{Dumps, InputFormat, ParseOptions};
pub use chunk::FORMAT;
use chunk::{Chunk, Event, Span, TaskLines, MAX_WARNINGS};
use cur::{blank_task, Cur};
use features::Features;
use line::{
    frames_go_on, glued_header, go_detail, hash_args, is_go_distribution, is_stack_unavailable,
    parse_ancestor, parse_created_by, parse_cut_header, parse_elided, parse_file_line,
    parse_header, parse_labels, split_call, split_go_func, trim_end, Header,
};
use merge::merge;
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHasher};
use std::hash::Hasher;
use std::sync::atomic::Ordering;

/// Functions at the bottom of a complete stack that has no `created by`.
const STACK_ROOTS: &[&str] = &[
    "main.main",
    "runtime.main",
    "runtime.goexit",
    "runtime.goexit1",
    "runtime.mstart",
    "runtime.mstart0",
    "runtime.mstart1",
    "runtime.rt0_go",
    "runtime.mcall",
    "runtime.systemstack",
    "runtime.morestack",
];
/// Frames kept per stack; deeper stacks are cut (Go itself prints at most 100).
const MAX_FRAMES: usize = 4096;

/// How sure we are that `text` is a Go traceback: 0.0 to 1.0.
pub fn detect(text: &[u8]) -> f32 {
    let head = &text[..text.len().min(4 << 20)];
    let mut headers = 0u32;
    let mut frames_after = 0u32;
    let mut prev_header = false;
    for l in head.split(|&c| c == b'\n') {
        let line = trim_end(l);
        if parse_header(line).is_some() {
            headers += 1;
            prev_header = true;
            continue;
        }
        if prev_header && (split_call(line).is_some() || is_stack_unavailable(line)) {
            frames_after += 1;
        }
        prev_header = false;
        if headers >= 8 {
            break;
        }
    }
    match (headers, frames_after) {
        (0, _) => 0.0,
        (_, 0) => 0.5,
        (1, _) => 0.9,
        _ => 1.0,
    }
}

/// Options of the Go parser.
pub use crate::parse::format::GoOptions as Options;

/// Parses every Go dump in `text`. Never fails: unreadable lines become
/// warnings and a cut-off input yields what was complete plus a flag.
pub fn parse(text: Bytes, source: &str, opts: &Options) -> Vec<Snapshot> {
    let threshold = if opts.parallel_threshold == 0 {
        4 << 20
    } else {
        opts.parallel_threshold
    };
    let bounds = chunk_bounds(&text, threshold);
    let wave = (rayon::current_num_threads() * 8).max(2);
    let waves = bounds.windows(2).collect::<Vec<_>>();
    let waves = waves.chunks(wave).map(|group| {
        group
            .par_iter()
            .map(|w| {
                let chunk = ChunkParser::new(&text, w[0], w[1]).run();
                if let Some(p) = &opts.progress {
                    p.fetch_add((w[1] - w[0]) as u64, Ordering::Relaxed);
                }
                chunk
            })
            .collect::<Vec<Chunk>>()
    });
    merge(text.clone(), source, waves)
}

/// The most text one chunk holds when the input is cut into more chunks
/// than threads (a chunk's goroutines wait in memory for the merge).
const MAX_CHUNK: usize = 16 << 20;

/// Chunk start offsets (plus the end), cut right before a goroutine header
/// that follows a blank line.
fn chunk_bounds(text: &[u8], threshold: usize) -> Vec<usize> {
    let len = text.len();
    let mut bounds = vec![0];
    if len >= threshold {
        let pieces = (rayon::current_num_threads() * 8)
            .max(len / MAX_CHUNK)
            .clamp(2, 4096);
        let step = len / pieces;
        let finder = memchr::memmem::Finder::new(b"\n\ngoroutine ");
        for i in 1..pieces {
            let from = (i * step).max(*bounds.last().unwrap_or(&0));
            if let Some(p) = text.get(from..).and_then(|t| finder.find(t)) {
                let at = from + p + 2;
                if at > *bounds.last().unwrap_or(&0) && at < len {
                    bounds.push(at);
                }
            } else {
                break;
            }
        }
    }
    bounds.push(len);
    bounds
}

/// Frames by function name and location (the source line's text), with
/// whether the function belongs to the Go distribution.
type FrameCache<'a> = FxHashMap<(&'a [u8], &'a [u8]), (FrameId, bool)>;

struct ChunkParser<'a> {
    text: &'a [u8],
    start: usize,
    end: usize,
    tables: Tables,
    /// Frames by function name and location, with whether the function
    /// belongs to the Go distribution (for [`hash_args`]).
    frame_cache: FrameCache<'a>,
    func_cache: FxHashMap<&'a [u8], crate::model::FuncId>,
    state_cache: FxHashMap<&'a [u8], (Sym, StateClass)>,
    tasks: Vec<Task>,
    spans: Vec<Span>,
    events: Vec<(u32, Event)>,
    args: Vec<ArgSpan>,
    features: Features,
    warnings: usize,
    /// Where the line after the last run of lines outside the goroutines
    /// starts.
    run_next: usize,
}

impl<'a> ChunkParser<'a> {
    fn new(text: &'a [u8], start: usize, end: usize) -> Self {
        ChunkParser {
            text,
            start,
            end,
            tables: Tables::new(),
            frame_cache: FxHashMap::default(),
            func_cache: FxHashMap::default(),
            state_cache: FxHashMap::default(),
            tasks: Vec::new(),
            spans: Vec::new(),
            events: Vec::new(),
            args: Vec::new(),
            features: Features::default(),
            warnings: 0,
            run_next: usize::MAX,
        }
    }

    /// Notes `lines` lines outside the goroutines, the first numbered
    /// `line` (bytes `start..end`, the last one's newline ending before
    /// `next`): they extend the run of such lines before them when they
    /// follow it directly.
    #[inline]
    fn outside(&mut self, line: u32, lines: u32, start: usize, end: usize, next: usize) {
        let at = self.tasks.len() as u32;
        if let Some((
            before,
            Event::Lines {
                line: first,
                count,
                end: run_end,
                ..
            },
        )) = self.events.last_mut()
        {
            if *before == at && self.run_next == start && first.checked_add(*count) == Some(line) {
                if let Some(total) = count.checked_add(lines) {
                    *count = total;
                    *run_end = end;
                    self.run_next = next;
                    return;
                }
            }
        }
        self.events.push((
            at,
            Event::Lines {
                line,
                count: lines,
                start,
                end,
            },
        ));
        self.run_next = next;
    }

    fn warn(&mut self, line: u32, message: String) {
        if self.warnings < MAX_WARNINGS {
            self.events
                .push((self.tasks.len() as u32, Event::Warn { line, message }));
        }
        self.warnings += 1;
    }

    fn run(mut self) -> Chunk {
        let text = self.text;
        let chunk = &text[self.start..self.end];
        let at_eof = self.end == text.len();
        let mut cur = Cur::new();
        // Whether `cur` holds a goroutine being read.
        let mut active = false;
        let mut pos = 0usize;
        let mut line_no: u32 = 0;
        while pos < chunk.len() {
            if !active && chunk[pos] == b'\n' {
                // A run of empty lines outside the goroutines, taken at once.
                let run = chunk[pos..].iter().take_while(|&&c| c == b'\n').count();
                let count = u32::try_from(run).unwrap_or(u32::MAX);
                let run = count as usize;
                let first = line_no.saturating_add(1);
                line_no = line_no.saturating_add(count);
                let at = self.start + pos;
                self.outside(first, count, at, at + run - 1, at + run);
                pos += run;
                continue;
            }
            line_no += 1;
            let (raw, next, complete) = match memchr::memchr(b'\n', &chunk[pos..]) {
                Some(p) => (&chunk[pos..pos + p], pos + p + 1, true),
                None => (&chunk[pos..], chunk.len(), false),
            };
            let mut abs = self.start + pos;
            let mut line = trim_end(raw);
            pos = next;
            let last_line = !complete && at_eof;
            if active {
                let c = &mut cur;
                let rest = &chunk[pos..];
                match self.task_line(c, line, abs, line_no, last_line, rest) {
                    Flow::Continue => continue,
                    Flow::EndTask => {
                        active = false;
                        c.lines.blank_after = true;
                        self.finish(c, line_no - 1);
                        continue;
                    }
                    Flow::EndTaskReprocess => {
                        active = false;
                        if !c.task.flags.has(TaskFlags::PARTIAL) && self.unfinished(c) {
                            // Something else follows a stack that has not
                            // reached its end: it was cut off.
                            c.task.flags.set(TaskFlags::PARTIAL);
                            self.warn(
                                c.first_line,
                                format!(
                                    "goroutine {} stops before the end of its stack: it is cut off",
                                    c.task.id
                                ),
                            );
                        }
                        self.finish(c, line_no - 1);
                    }
                    Flow::EndTaskReprocessFrom(at) => {
                        active = false;
                        self.finish(c, line_no - 1);
                        line = &line[at..];
                        abs += at;
                    }
                }
            }
            // Outside a task.
            if line.first() == Some(&b'g') {
                if let Some(h) = parse_header(line) {
                    self.start_task(&mut cur, h, abs, line_no);
                    active = true;
                    continue;
                }
                if let Some(id) = cut_header(line, last_line) {
                    let header = Header {
                        id,
                        state: b"",
                        ..Header::default()
                    };
                    self.start_task(&mut cur, header, abs, line_no);
                    cur.task.flags.set(TaskFlags::PARTIAL);
                    self.warn(
                        line_no,
                        format!("the header of goroutine {id} is cut off: its state is unknown"),
                    );
                    if last_line {
                        self.finish(&mut cur, line_no);
                    } else {
                        active = true;
                    }
                    continue;
                }
            }
            self.outside(line_no, 1, abs, abs + line.len(), self.start + pos);
        }
        if active {
            if at_eof && self.looks_cut(&cur) {
                cur.task.flags.set(TaskFlags::PARTIAL);
            }
            self.finish(&mut cur, line_no);
        }
        Chunk {
            tables: self.tables,
            tasks: self.tasks,
            spans: self.spans,
            events: self.events,
            args: self.args,
            lines: line_no,
            features: self.features,
        }
    }

    /// The input ended inside this task (no blank line after it): was it cut?
    /// Decided by the grammar, not by a final newline: certainly when its
    /// last line was cut short (`PARTIAL` already) or a frame or `created
    /// by` line lacks its source line; also when the stack does not end
    /// where Go stacks end.
    fn looks_cut(&self, c: &Cur<'a>) -> bool {
        c.task.flags.has(TaskFlags::PARTIAL)
            || c.pending.is_some()
            || c.creator_pending.is_some()
            || self.unfinished(c)
    }

    /// Whether a stack has not reached where Go stacks end: a `created by`
    /// line, a root function such as `main.main`, or a marker that the
    /// runtime cut or could not print it.
    fn unfinished(&self, c: &Cur<'a>) -> bool {
        if c.pending.is_some() || c.creator_pending.is_some() {
            return true;
        }
        // The runtime cuts stacks at 100 frames (some hidden), before Go 1.21
        // sometimes without a marker.
        if c.task.creator.is_some()
            || c.task.flags.has(TaskFlags::STACK_UNAVAILABLE)
            || c.elided.is_some()
            || c.frames.len() >= 90
        {
            return false;
        }
        match c.frames.last() {
            None => true,
            Some(f) => {
                let name = self.tables.func_name(self.tables.frame(*f).function);
                !STACK_ROOTS.contains(&name)
            }
        }
    }

    /// Starts reading the goroutine of `header` (line `line_no`, byte
    /// `abs`) into `c`.
    fn start_task(&mut self, c: &mut Cur<'a>, header: Header<'a>, abs: usize, line_no: u32) {
        let (state, class) = self.header_state(&header);
        let flags = self.header_flags(&header);
        let labels = self.header_labels(&header);
        let detail = go_detail(&header);
        c.task = Task {
            id: header.id,
            parent: Task::NO_PARENT,
            kind: TaskKind::Goroutine,
            name: None,
            state,
            class,
            wait_minutes: header.minutes,
            flags,
            labels,
            stack: Default::default(),
            creator: None,
            args: self.args.len() as u32,
            offset: abs as u64,
            line: line_no,
            arg_hash: [0; 2],
            detail,
        };
        c.semacquire = header.state == b"semacquire";
        c.frames.clear();
        c.elided = None;
        c.pending = None;
        c.creator_pending = None;
        c.ancestors.clear();
        c.ancestor = None;
        c.lines = TaskLines {
            span: 1,
            ..TaskLines::default()
        };
        c.first_line = line_no;
        c.h_exact = FxHasher::default();
        c.h_ptr = FxHasher::default();
    }

    /// The header's state (interned once per distinct text, with any
    /// unparsed extra items appended) and its class.
    #[inline]
    fn header_state(&mut self, header: &Header<'a>) -> (Sym, StateClass) {
        let (state, class) = match self.state_cache.get(header.state) {
            Some(&cached) => cached,
            None => {
                let sym = self.tables.intern_bytes(header.state);
                let class = StateClass::from_go(self.tables.str(sym));
                self.state_cache.insert(header.state, (sym, class));
                (sym, class)
            }
        };
        let state = match header.extra_state {
            None => state,
            Some(extra) => {
                let mut text = header.state.to_vec();
                text.extend_from_slice(b", ");
                text.extend_from_slice(extra);
                self.tables.intern_bytes(&text)
            }
        };
        (state, class)
    }

    /// The task flags the header states, noting the version features it
    /// shows.
    #[inline]
    fn header_flags(&mut self, header: &Header<'a>) -> TaskFlags {
        let mut flags = TaskFlags::default();
        if header.leaked {
            flags.set(TaskFlags::LEAKED);
            self.features.0 |= Features::LEAKED;
        }
        if header.locked {
            flags.set(TaskFlags::LOCKED_TO_THREAD);
        }
        if header.scan {
            flags.set(TaskFlags::SCAN);
        }
        if header.durable {
            flags.set(TaskFlags::DURABLE);
        }
        if header.id == 0 {
            flags.set(TaskFlags::SYSTEM_STACK);
        }
        if header.gp.is_some() {
            self.features.0 |= Features::GP_FIELDS;
        }
        if matches!(
            header.state,
            b"sync.Mutex.Lock"
                | b"sync.RWMutex.Lock"
                | b"sync.RWMutex.RLock"
                | b"sync.WaitGroup.Wait"
        ) {
            self.features.0 |= Features::SYNC_REASON;
        }
        flags
    }

    /// The header's label set (Go 1.27 `{key: value, ...}`), interned.
    #[inline]
    fn header_labels(&mut self, header: &Header<'a>) -> LabelSetId {
        match header.labels {
            Some(body) => {
                self.features.0 |= Features::LABELS;
                let pairs = parse_labels(body)
                    .into_iter()
                    .map(|(key, value)| (self.tables.intern(&key), self.tables.intern(&value)))
                    .collect();
                self.tables.intern_labels(pairs)
            }
            None => Default::default(),
        }
    }

    fn task_line(
        &mut self,
        c: &mut Cur<'a>,
        line: &'a [u8],
        abs: usize,
        line_no: u32,
        last_line: bool,
        rest: &[u8],
    ) -> Flow {
        match line.first() {
            None => return Flow::EndTask,
            Some(b'\t') | Some(b' ') => {
                if let Some(f) = parse_file_line(line) {
                    if last_line && !self.complete_file_line(c, &f) {
                        // The line may be cut: keep it only if the offset is complete.
                        c.task.flags.set(TaskFlags::PARTIAL);
                    }
                    self.file_line(c, f, line_no);
                    return Flow::Continue;
                }
                if is_stack_unavailable(line) {
                    c.task.flags.set(TaskFlags::STACK_UNAVAILABLE);
                    return Flow::Continue;
                }
                if let Some(n) = parse_elided(line) {
                    self.elided(c, n);
                    return Flow::Continue;
                }
                if last_line {
                    c.task.flags.set(TaskFlags::PARTIAL);
                    c.lines.cut += 1;
                    return Flow::Continue;
                }
                if let Some(at) = glued_header(line) {
                    // Two dumps joined without a newline between them.
                    if let Some(f) = line.get(..at).and_then(parse_file_line) {
                        self.file_line(c, f, line_no);
                    }
                    self.warn(
                        line_no,
                        "a goroutine header runs on from the end of this line (two dumps joined without a newline)".into(),
                    );
                    return Flow::EndTaskReprocessFrom(at);
                }
                c.lines.unreadable += 1;
                self.warn(
                    line_no,
                    format!("unreadable line in goroutine {}", c.task.id),
                );
                return Flow::Continue;
            }
            Some(b'g') if line.starts_with(b"goroutine ") => {
                if is_stack_unavailable(line) {
                    c.task.flags.set(TaskFlags::STACK_UNAVAILABLE);
                    return Flow::Continue;
                }
                if parse_header(line).is_some() || cut_header(line, last_line).is_some() {
                    return Flow::EndTaskReprocess;
                }
            }
            Some(b'c') => {
                if let Some((name, parent)) = parse_created_by(line) {
                    self.flush_pending(c);
                    self.flush_creator(c);
                    if c.ancestor.is_none() {
                        // An ancestor's `created by` (printed without an id
                        // inside its `[originating from ...]` block) is the
                        // ancestor's, not this goroutine's.
                        c.task.set_parent_id(parent);
                        self.features.0 |= if parent.is_some() {
                            Features::IN_GOROUTINE
                        } else {
                            Features::CREATED_NO_ID
                        };
                    }
                    c.creator_pending = Some((name, line_no));
                    return Flow::Continue;
                }
            }
            Some(b'.') => {
                if let Some(n) = parse_elided(line) {
                    self.elided(c, n);
                    return Flow::Continue;
                }
            }
            Some(b'[') => {
                if let Some(id) = parse_ancestor(line) {
                    self.flush_pending(c);
                    self.flush_creator(c);
                    self.close_ancestor(c);
                    c.ancestor = Some((id, Vec::new(), None));
                    return Flow::Continue;
                }
            }
            _ => {}
        }
        if let Some((name, args, args_at)) = split_call(line) {
            self.flush_pending(c);
            self.flush_creator(c);
            let rel = (abs + args_at) as u64 - c.task.offset;
            c.pending = Some((name, rel as u32, args.len() as u32, line_no));
            return Flow::Continue;
        }
        if last_line {
            c.task.flags.set(TaskFlags::PARTIAL);
            c.lines.cut += 1;
            return Flow::Continue;
        }
        if next_is_file_line(rest) {
            // A frame line we cannot read, followed by its source line:
            // kept as a frame named by the whole line, with a warning.
            self.flush_pending(c);
            c.task.flags.set(TaskFlags::DAMAGED);
            self.flush_creator(c);
            let shown = &line[..line.len().min(160)];
            self.warn(
                line_no,
                format!(
                    "unreadable frame line in goroutine {}: {}",
                    c.task.id,
                    String::from_utf8_lossy(shown)
                ),
            );
            let rel = (abs + line.len()) as u64 - c.task.offset;
            c.pending = Some((shown, rel as u32, 0, line_no));
            return Flow::Continue;
        }
        // A damaged line (a corrupted byte, a log line written into the
        // middle of the stack) while the goroutine's frames go on below it:
        // the goroutine keeps the frames around it, lost what the line held,
        // and says so.
        if c.task.creator.is_none()
            && c.creator_pending.is_none()
            && c.ancestor.is_none()
            && !c.frames.is_empty()
            && frames_go_on(rest)
        {
            self.flush_pending(c);
            c.task.flags.set(TaskFlags::DAMAGED);
            c.lines.unreadable += 1;
            self.warn(
                line_no,
                format!(
                    "unreadable line in goroutine {}; its frames go on below it, the frame this line held is missing",
                    c.task.id
                ),
            );
            return Flow::Continue;
        }
        // Something that is not part of a goroutine: the goroutine ended.
        Flow::EndTaskReprocess
    }

    /// Whether a source line that ends the input without a newline is
    /// complete: it has its pc offset (`+0x1d`), or it belongs to an inlined
    /// frame (`(...)`), which Go prints without one.
    fn complete_file_line(&self, c: &Cur<'a>, f: &line::FileLine<'a>) -> bool {
        if f.pc_offset.is_some() {
            return true;
        }
        match c.pending {
            Some((_, astart, alen, _)) if c.creator_pending.is_none() => {
                self.args_text(c, astart, alen) == Some(b"...")
            }
            _ => false,
        }
    }

    /// The argument text of a pending frame (`astart` relative to the task).
    fn args_text(&self, c: &Cur<'a>, astart: u32, alen: u32) -> Option<&'a [u8]> {
        self.text
            .get(c.task.offset as usize + astart as usize..)
            .and_then(|t| t.get(..alen as usize))
    }

    /// A `created by` line not followed by its source line: the creator is
    /// kept without a location, with a warning (none when the input was cut
    /// right after it).
    #[inline]
    fn flush_creator(&mut self, c: &mut Cur<'a>) {
        if c.creator_pending.is_some() {
            self.flush_creator_now(c);
        }
    }

    /// [`flush_creator`](Self::flush_creator) when a creator waits (rare).
    #[cold]
    #[inline(never)]
    fn flush_creator_now(&mut self, c: &mut Cur<'a>) {
        let Some((name, line_no)) = c.creator_pending.take() else {
            return;
        };
        let id = self.frame_without_location(name);
        self.set_creator(c, id);
        if !c.task.flags.has(TaskFlags::PARTIAL) {
            self.warn(
                line_no,
                format!(
                    "`created by` without a source line in goroutine {}",
                    c.task.id
                ),
            );
        }
    }

    /// Sets the creator of the goroutine, or of the ancestor being read.
    fn set_creator(&mut self, c: &mut Cur<'a>, id: FrameId) {
        match c.ancestor.as_mut() {
            Some((_, _, creator)) => *creator = Some(id),
            None => c.task.creator = Some(id),
        }
    }

    fn elided(&mut self, c: &mut Cur<'a>, n: u32) {
        if c.ancestor.is_none() && c.elided.is_none() {
            c.elided = Some((c.frames.len() as u32, n));
        }
        self.features.0 |= if n == 0 {
            Features::OLD_ELIDED
        } else {
            Features::N_ELIDED
        };
    }

    fn intern_func(&mut self, name: &'a [u8]) -> crate::model::FuncId {
        if let Some(&f) = self.func_cache.get(name) {
            return f;
        }
        if name.windows(2).any(|w| w == "·".as_bytes()) {
            self.features.0 |= Features::MIDDOT;
        }
        if name.starts_with(b"internal/sync.") {
            self.features.0 |= Features::INTERNAL_SYNC;
        }
        let function = self.tables.intern_function(name, split_go_func);
        self.func_cache.insert(name, function);
        function
    }

    fn file_line(&mut self, c: &mut Cur<'a>, f: line::FileLine<'a>, line_no: u32) {
        if let Some((name, _)) = c.creator_pending.take() {
            let (id, _) = self.frame_id(name, f, false);
            self.set_creator(c, id);
            return;
        }
        let Some((name, astart, alen, _)) = c.pending.take() else {
            c.lines.unreadable += 1;
            self.warn(
                line_no,
                format!("source line without a function in goroutine {}", c.task.id),
            );
            return;
        };
        let inlined = self.args_text(c, astart, alen) == Some(b"...") && f.pc_offset.is_none();
        let (id, internal) = self.frame_id(name, f, inlined);
        self.push_frame(c, id, internal, astart, alen, 2);
    }

    /// The frame of `name` at `f`, and whether its function belongs to the
    /// Go distribution (decided once per frame, not once per goroutine).
    fn frame_id(
        &mut self,
        name: &'a [u8],
        f: line::FileLine<'a>,
        inlined: bool,
    ) -> (FrameId, bool) {
        if let Some(&found) = self.frame_cache.get(&(name, f.key)) {
            return found;
        }
        if f.path.ends_with(b".goc") {
            self.features.0 |= Features::MIDDOT;
        }
        let function = self.intern_func(name);
        let file = self.tables.intern_bytes(f.path);
        let id = self.tables.intern_frame(crate::model::Frame {
            function,
            file,
            line: f.line,
            pc_offset: f.pc_offset,
            inlined,
        });
        let found = (id, is_go_distribution(name));
        self.frame_cache.insert((name, f.key), found);
        found
    }

    /// Adds a frame read from `lines` lines to the stack (or the ancestor
    /// being read), its arguments (`alen` bytes from `astart`, relative to
    /// the task) hashed for grouping ([`hash_args`]; `internal`: its
    /// function belongs to the Go distribution); beyond [`MAX_FRAMES`] it
    /// is dropped and counted.
    fn push_frame(
        &mut self,
        c: &mut Cur<'a>,
        id: FrameId,
        internal: bool,
        astart: u32,
        alen: u32,
        lines: u32,
    ) {
        let frames = match c.ancestor.as_mut() {
            Some((_, frames, _)) => frames,
            None => {
                let args = self.args_text(c, astart, alen).unwrap_or_default();
                hash_args(
                    &mut c.h_exact,
                    &mut c.h_ptr,
                    internal,
                    args,
                    &mut self.features,
                );
                &mut c.frames
            }
        };
        if frames.len() >= MAX_FRAMES {
            if c.lines.over_limit == 0 {
                self.warn(
                    c.first_line,
                    format!(
                        "goroutine {} has more than {MAX_FRAMES} frames: the deeper ones are left out",
                        c.task.id
                    ),
                );
            }
            c.lines.over_limit += lines;
            return;
        }
        frames.push(id);
        if c.ancestor.is_none() {
            self.args.push(ArgSpan {
                start: astart,
                len: alen,
            });
        }
    }

    /// The frame of a function the dump printed no location for.
    fn frame_without_location(&mut self, name: &'a [u8]) -> FrameId {
        let function = self.intern_func(name);
        self.tables.intern_frame(crate::model::Frame {
            function,
            file: Sym(0),
            line: 0,
            pc_offset: None,
            inlined: false,
        })
    }

    /// A function line not followed by its file line.
    #[inline]
    fn flush_pending(&mut self, c: &mut Cur<'a>) {
        if c.pending.is_some() {
            self.flush_pending_now(c);
        }
    }

    /// [`flush_pending`](Self::flush_pending) when a frame waits (rare).
    #[cold]
    #[inline(never)]
    fn flush_pending_now(&mut self, c: &mut Cur<'a>) {
        if let Some((name, astart, alen, line_no)) = c.pending.take() {
            let id = self.frame_without_location(name);
            self.push_frame(c, id, is_go_distribution(name), astart, alen, 1);
            self.warn(
                line_no,
                format!("frame without a source line in goroutine {}", c.task.id),
            );
        }
    }

    fn close_ancestor(&mut self, c: &mut Cur<'a>) {
        if let Some((id, frames, creator)) = c.ancestor.take() {
            let stack = self.tables.intern_stack(&frames, None);
            if c.ancestors.len() < 64 {
                c.ancestors.push(Ancestor { id, stack, creator });
            }
        }
    }

    /// Hands a goroutine to the merge; `last` is the number of the last
    /// line read into it.
    fn finish(&mut self, c: &mut Cur<'a>, last: u32) {
        c.lines.span = last.max(c.first_line) - c.first_line + 1;
        if c.task.flags.has(TaskFlags::PARTIAL) {
            // A cut function line at the end: keep it as a frame, no warning.
            if let Some((name, astart, alen, _)) = c.pending.take() {
                let id = self.frame_without_location(name);
                self.push_frame(c, id, is_go_distribution(name), astart, alen, 1);
            }
        } else {
            self.flush_pending(c);
        }
        self.flush_creator(c);
        self.close_ancestor(c);
        let stack = self.tables.intern_stack(&c.frames, c.elided);
        c.task.stack = stack;
        c.task.arg_hash = [c.h_exact.finish(), c.h_ptr.finish()];
        if c.semacquire {
            // Before Go 1.20 mutexes and WaitGroups both waited in
            // `semacquire`: the frames tell which.
            let mut lock = false;
            let mut sync = false;
            for f in &c.frames {
                let name = self.tables.func_name(self.tables.frame(*f).function);
                lock |= name.starts_with("sync.(*Mutex)")
                    || name.starts_with("sync.(*RWMutex)")
                    || name.starts_with("sync.runtime_SemacquireMutex")
                    || name.starts_with("sync.runtime_SemacquireRWMutex");
                sync |= name.starts_with("sync.");
            }
            if lock || sync {
                self.features.0 |= Features::SEMACQUIRE_SYNC;
            }
            if lock {
                c.task.class = StateClass::Lock;
            }
        }
        if !c.ancestors.is_empty() {
            c.task.go_detail_mut().ancestors = std::mem::take(&mut c.ancestors);
        }
        let (span, skipped) = c.lines.split();
        self.tasks
            .push(std::mem::replace(&mut c.task, blank_task()));
        self.spans.push(span);
        if let Some(event) = skipped {
            self.events.push((self.tasks.len() as u32, event));
        }
    }
}

/// The id of a goroutine header cut off: at the end of the input any
/// start of one (`goroutine 123 [chan rec`); elsewhere only one cut before
/// its closing `]:` (a line of other text may start with `goroutine N`).
fn cut_header(line: &[u8], last_line: bool) -> Option<u64> {
    let id = parse_cut_header(line)?;
    if last_line {
        return Some(id);
    }
    let close = memchr::memchr(b']', line);
    match close {
        None => Some(id),
        Some(p) if p + 1 == line.len() => Some(id),
        _ => None,
    }
}

/// Whether the next line of `rest` is a frame's source line.
fn next_is_file_line(rest: &[u8]) -> bool {
    let end = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
    parse_file_line(trim_end(&rest[..end])).is_some()
}

enum Flow {
    Continue,
    EndTask,
    EndTaskReprocess,
    /// The task ended inside the line: read the line again from this byte.
    EndTaskReprocessFrom(usize),
}

/// Go tracebacks as an input format.
pub struct GoTraceback;

impl InputFormat for GoTraceback {
    fn id(&self) -> &'static str {
        FORMAT
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["go"]
    }

    fn help(&self) -> &'static str {
        "Go tracebacks: panics, fatal errors, SIGQUIT, pprof debug=2"
    }

    fn expected(&self) -> Option<&'static str> {
        Some("a Go goroutine dump (panic, fatal error, SIGQUIT or /debug/pprof/goroutine?debug=2 text, with lines like `goroutine 1 [running]:`)")
    }

    fn detect(&self, text: &[u8]) -> f32 {
        detect(text)
    }

    fn anchor(&self, line: &[u8]) -> Option<usize> {
        line::find_header(line)
    }

    fn parse(&self, text: Bytes, source: &str, opts: &ParseOptions) -> Result<Dumps, String> {
        Ok(Dumps::of_snapshots(parse(text, source, &opts.go)))
    }
}
