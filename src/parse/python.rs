//! Python thread dumps: faulthandler (`Thread 0x... (most recent call
//! first):`, the `Timeout` and `Fatal Python error` forms), `py-spy dump`
//! (with `--locals` and `--native`) and `py-spy dump --json`. Neither
//! tool states what a thread waits on or who holds a lock: the wait is
//! recognised in its frames with CPython's vocabulary
//! ([`crate::model::vocab::cpython`]: `Queue.get`, `Condition.wait`,
//! `Event.wait`, `Thread.join`, a native `PyThread_acquire_lock_timed`),
//! which also gives the thread its state, and recorded as a lock relation
//! recognised by frame name (confidence `Likely`), identified by the object
//! py-spy's `--locals` prints (`self: <Queue at 0x7f..>`) when present.

use super::threads::{
    lines, snapshots, source_frame, Block, Dump, Ledger, LineUse, MAX_FRAMES, MAX_TASKS,
};
use crate::input::Bytes;
use crate::model::vocab::cpython;
use crate::model::{
    CodeKind, Crash, LockBasis, LockFact, LockRel, Runtime, SkipReason, Snapshot, StateClass,
    SyncFacts, SyncKind, Tables,
};
use crate::parse::format::{SnapshotFormat, SnapshotReader};

/// The format id of faulthandler and py-spy text dumps.
pub const FORMAT: &str = "python-threads";
/// The format id of `py-spy dump --json`.
pub const JSON_FORMAT: &str = "py-spy-json";

/// Where a Python dump line starts, for log-prefix detection.
pub fn find_header(line: &[u8]) -> Option<usize> {
    // Every header holds `hread ` (a finder built once: this runs on every
    // line while an input's dumps are looked for).
    static HREAD: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"hread "));
    HREAD.find(line)?;
    let text = std::str::from_utf8(line).ok()?.trim_end();
    for key in ["Current thread 0x", "Thread 0x"] {
        if let Some(start) = text.find(key) {
            if text.ends_with("(most recent call first):") {
                return Some(start);
            }
        }
    }
    let start = text.find("Thread ")?;
    pyspy_header(&text[start..]).map(|_| start)
}

/// How sure we are that `text` is a Python dump.
pub fn detect(text: &[u8]) -> f32 {
    let head = &text[..text.len().min(256 << 10)];
    let has = |n: &[u8]| memchr::memmem::find(head, n).is_some();
    // `File "` at any indentation: a log prefix stripped with the
    // whitespace after it takes the frames' indentation too.
    if has(b"(most recent call first):") && has(b"File \"") {
        return 0.95;
    }
    let pyspy = head
        .split(|c| *c == b'\n')
        .take(5000)
        .filter(|l| std::str::from_utf8(l).ok().and_then(pyspy_header).is_some())
        .take(2)
        .count();
    match pyspy {
        0 => 0.0,
        _ if has(b"\nPython v") || has(b"Process ") => 0.95,
        _ => 0.6,
    }
}

/// A py-spy frame line without its indentation: `func (file.py:12)` or
/// `func (libpython3.11.so.1.0)`, not a local (`name: value`) nor a
/// header cut short (`Thread 42 (idle)`).
fn is_flat_frame(s: &str) -> bool {
    let location = s
        .rsplit_once(" (")
        .map_or("", |(_, location)| location.trim_end_matches(')'));
    !is_local(s)
        && !s.starts_with("Thread ")
        && !location.contains(' ')
        && (location.contains(':') || location.contains('.'))
}

/// A py-spy local or argument: `name: value`.
fn is_local(s: &str) -> bool {
    s.split_once(": ").is_some_and(|(name, _)| {
        !name.is_empty() && name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
    })
}

/// `Thread 7183 (idle): "MainThread"`: `(id, status, name)`.
fn pyspy_header(s: &str) -> Option<(u64, &str, Option<&str>)> {
    let rest = s.strip_prefix("Thread ")?;
    let (id, rest) = rest.split_once(" (")?;
    let id = match id.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok()?,
        None => id.parse().ok()?,
    };
    let (status, rest) = rest.split_once(')')?;
    if !matches!(status, "idle" | "active" | "active+gil" | "gil") {
        return None;
    }
    let rest = rest.strip_prefix(':')?.trim();
    let name = rest.strip_prefix('"').and_then(|n| n.strip_suffix('"'));
    Some((id, status, name))
}

/// Detects `py-spy dump --json`: an array of thread objects.
pub fn detect_json(text: &[u8]) -> f32 {
    let start = text.iter().position(|c| !c.is_ascii_whitespace());
    if start.and_then(|i| text.get(i)) != Some(&b'[') {
        return 0.0;
    }
    let head = &text[..text.len().min(4096)];
    let has = |n: &[u8]| memchr::memmem::find(head, n).is_some();
    if has(b"\"thread_id\"") && has(b"\"frames\"") && has(b"\"owns_gil\"") {
        0.97
    } else {
        0.0
    }
}

/// The kind of code in a file faulthandler names by its full path.
fn code_kind(file: &str) -> CodeKind {
    let path = file.replace('\\', "/");
    if path.contains("/lib/python3")
        || path.contains("/lib/python2")
        || path.contains("site-packages/")
    {
        if path.contains("site-packages/") {
            CodeKind::User
        } else {
            CodeKind::Stdlib
        }
    } else if path.ends_with(".so") || path.contains(".so.") {
        CodeKind::Runtime
    } else {
        CodeKind::User
    }
}

/// py-spy prints standard-library files relative (`threading.py`,
/// `asyncio/base_events.py`): known module names are the standard library.
fn pyspy_kind(file: &str) -> CodeKind {
    const STD: &[&str] = &[
        "threading.py",
        "queue.py",
        "selectors.py",
        "socket.py",
        "socketserver.py",
        "subprocess.py",
        "concurrent/futures/",
        "asyncio/",
        "multiprocessing/",
        "ssl.py",
        "http/",
        "urllib/",
        "logging/",
        "ctypes/",
        "json/",
        "time.py",
    ];
    if STD.iter().any(|s| file.starts_with(s)) {
        CodeKind::Stdlib
    } else {
        code_kind(file)
    }
}

struct Reader {
    t: Tables,
    cur: Option<Block>,
    blocks: Vec<Block>,
    dumps: Vec<Dump>,
    facts: Vec<LockFact>,
    crash: Option<Crash>,
    start: u64,
    /// In the `Arguments:`/`Locals:` of the current frame.
    in_locals: bool,
    /// `self: <Type at 0x...>` locals: `(task, frame, address)`.
    selfs: Vec<(u32, u16, u64)>,
    /// Where the lines since the last dump went.
    lines: Ledger,
    /// The current thread is py-spy's (its frames are indented by 4).
    pyspy: bool,
    /// The ids of the threads of the current dump.
    ids: rustc_hash::FxHashSet<u64>,
}

impl Reader {
    fn new() -> Reader {
        Reader {
            t: Tables::new(),
            cur: None,
            blocks: Vec::new(),
            dumps: Vec::new(),
            facts: Vec::new(),
            crash: None,
            start: 0,
            in_locals: false,
            selfs: Vec::new(),
            lines: Ledger::default(),
            pyspy: false,
            ids: rustc_hash::FxHashSet::default(),
        }
    }

    fn end_block(&mut self) {
        if let Some(block) = self.cur.take() {
            self.blocks.push(block);
        }
        self.in_locals = false;
    }

    fn end_dump(&mut self, end: u64) {
        self.end_block();
        self.ids.clear();
        if self.blocks.is_empty() {
            self.start = end;
            return;
        }
        let mut blocks = std::mem::take(&mut self.blocks);
        let mut facts = std::mem::take(&mut self.facts);
        let selfs = std::mem::take(&mut self.selfs);
        for (i, b) in blocks.iter_mut().enumerate() {
            classify(&mut self.t, b, i as u32, &selfs, &mut facts);
        }
        let crash = self.crash.take();
        let mut dump = Dump::threads(
            FORMAT,
            Runtime::Python,
            blocks,
            (self.start, end),
            SyncFacts {
                locks: facts,
                deadlocks: Vec::new(),
                notes: Vec::new(),
            },
        );
        if crash.is_some() {
            dump.origin = "crash";
        }
        dump.crash = crash;
        dump.lines = self.lines.take();
        self.dumps.push(dump);
        self.start = end;
    }

    fn new_thread(&mut self, id: u64, name: Option<&str>, no: u32, off: u64, status: Option<&str>) {
        self.end_block();
        // A thread seen again in the same dump starts the next dump
        // (faulthandler prints no separator between dumps).
        if !self.ids.insert(id) {
            self.end_dump(off);
            self.ids.insert(id);
        }
        self.pyspy = status.is_some();
        let mut block = Block::new(id, no, off);
        block.name = name.map(str::to_string);
        block.state = match status {
            Some("idle") => "idle",
            Some("active") => "active",
            Some("active+gil") | Some("gil") => "active+gil",
            _ => "unknown",
        };
        block.class = Some(match status {
            Some("active") | Some("active+gil") | Some("gil") => StateClass::Running,
            _ => StateClass::Other,
        });
        self.cur = Some(block);
    }

    fn frame(&mut self, func: &str, file: &str, line: u32, kind: CodeKind) -> LineUse {
        let Some(block) = self.cur.as_mut() else {
            return LineUse::Skip(SkipReason::NotDump);
        };
        let what = if block.frames.len() < MAX_FRAMES {
            LineUse::Used
        } else {
            LineUse::Skip(SkipReason::OverLimit)
        };
        let split = |n: &str| {
            let (pkg, name) = match n.rsplit_once('.') {
                Some((c, m)) => (c.to_string(), m.to_string()),
                None => (String::new(), n.to_string()),
            };
            (pkg, None, name, kind)
        };
        block.push(source_frame(&mut self.t, func, split, file, line, false));
        self.in_locals = false;
        what
    }
}

/// A wait recognised in a thread's frames with CPython's vocabulary:
/// `(kind, relation, state, frame index)`.
fn wait_of(tables: &Tables, block: &Block) -> Option<(SyncKind, LockRel, &'static str, usize)> {
    let frames: Vec<(&str, &str)> = block
        .frames
        .iter()
        .take(cpython::FRAME_DEPTH)
        .map(|frame| {
            let frame = tables.frame(*frame);
            (
                tables.str(tables.function(frame.function).full),
                tables.str(frame.file),
            )
        })
        .collect();
    let recognised = frames
        .iter()
        .enumerate()
        .find_map(|(index, &(name, file))| {
            cpython::frame_wait(name, file).map(|wait| (wait.kind, wait.rel, wait.state, index))
        });
    if recognised.is_some() {
        return recognised;
    }
    let with =
        |(kind, rel, state): (SyncKind, LockRel, &'static str), index| (kind, rel, state, index);
    if let Some(index) = frames
        .iter()
        .position(|&(name, file)| cpython::is_condition_wait(name, file))
    {
        return Some(with(cpython::CONDITION_WAIT, index));
    }
    frames
        .iter()
        .position(|&(name, _)| cpython::is_native_lock(name))
        .map(|index| with(cpython::NATIVE_LOCK_WAIT, index))
}

/// Sets a thread's state from its frames and records the wait recognised
/// there.
fn classify(
    tables: &mut Tables,
    block: &mut Block,
    index: u32,
    selfs: &[(u32, u16, u64)],
    facts: &mut Vec<LockFact>,
) {
    if block.class == Some(StateClass::Running) {
        return;
    }
    let Some((kind, rel, state, frame)) = wait_of(tables, block) else {
        if block.state == "idle" {
            block.class = Some(StateClass::Sleep);
        }
        return;
    };
    block.state = state;
    block.class = Some(if rel == LockRel::Acquires {
        StateClass::Lock
    } else {
        StateClass::Sync
    });
    // The object's address, when py-spy printed `self` for that frame.
    let addr = selfs
        .iter()
        .find(|(task, self_frame, _)| *task == index && *self_frame as usize == frame)
        .map(|entry| entry.2);
    let class = tables.intern(state);
    facts.push(LockFact {
        task: index,
        rel,
        kind,
        addr: addr.unwrap_or(0),
        class,
        frame: frame as u16,
        line: block.line,
        basis: LockBasis::FrameName,
        confidence: cpython::CONFIDENCE,
    });
}

/// Reads every faulthandler or py-spy dump in `text`.
pub fn parse(text: Bytes, source: &str) -> Vec<Snapshot> {
    let mut reader = Reader::new();
    let mut end = 0u64;
    for (off, no, raw) in lines(&text) {
        end = off + raw.len() as u64;
        let what = read_line(&mut reader, &raw, off, no);
        reader.lines.note(no, what);
    }
    reader.end_dump(end);
    let mut dumps = std::mem::take(&mut reader.dumps);
    std::mem::take(&mut reader.lines).finish(&mut dumps);
    snapshots(&text, source, reader.t, dumps)
}

/// Reads one line of a dump: what became of it.
fn read_line(reader: &mut Reader, raw: &str, off: u64, no: u32) -> LineUse {
    let line = raw.trim_end();
    let trimmed = line.trim_start();
    if let Some(msg) = trimmed.strip_prefix("Fatal Python error: ") {
        reader.end_dump(off);
        reader.crash = Some(Crash {
            message: format!("Fatal Python error: {msg}"),
            ..Crash::default()
        });
        return LineUse::Used;
    }
    if trimmed.starts_with("Process ") && trimmed.contains(": ") && !line.starts_with(' ') {
        reader.end_dump(off);
        return LineUse::Used;
    }
    if reader.faulthandler_header(trimmed, no, off) {
        return LineUse::Used;
    }
    if let Some((id, status, name)) = pyspy_header(trimmed) {
        reader.new_thread(id, name, no, off, Some(status));
        return LineUse::Used;
    }
    // faulthandler: `  File "x.py", line 12 in func`.
    if let Some(rest) = trimmed.strip_prefix("File \"") {
        if let Some((file, tail)) = rest.split_once("\", line ") {
            let (line_no, func) = tail.split_once(" in ").unwrap_or((tail, "???"));
            let line_no = line_no.trim().parse().unwrap_or(0);
            return reader.frame(func, file, line_no, code_kind(file));
        }
    }
    if reader.cur.is_some() {
        let indent = line.len() - trimmed.len();
        return reader.pyspy_line(trimmed, indent);
    }
    LineUse::unused(trimmed, SkipReason::NotDump)
}

impl Reader {
    /// A faulthandler thread header (`Current thread 0x... (most recent
    /// call first):`) starts a thread; returns whether the line was one.
    fn faulthandler_header(&mut self, trimmed: &str, no: u32, off: u64) -> bool {
        if !trimmed.ends_with("(most recent call first):") {
            return false;
        }
        let rest = trimmed
            .strip_prefix("Current thread ")
            .or_else(|| trimmed.strip_prefix("Thread "));
        let Some(id) = rest
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|id| id.strip_prefix("0x"))
            .and_then(|hex| u64::from_str_radix(hex, 16).ok())
        else {
            return false;
        };
        self.new_thread(id, None, no, off, None);
        if trimmed.starts_with("Current thread") {
            if let Some(crash) = self.crash.as_mut() {
                crash.task_id.get_or_insert(id);
            }
        }
        true
    }

    /// A py-spy line inside a thread: a frame (`    func (file.py:12)`,
    /// `    func (libpython3.11.so.1.0)`, `    0x7f32dd0a3f16 (libc.so.6)`),
    /// the start of a frame's `Arguments:`/`Locals:`, or a local.
    fn pyspy_line(&mut self, trimmed: &str, indent: usize) -> LineUse {
        // A log prefix stripped with the whitespace after it leaves every
        // line at indentation 0: a frame is then any line that is no local
        // (`name: value`).
        let flat = indent == 0 && self.pyspy;
        if (indent == 4 || (flat && is_flat_frame(trimmed))) && trimmed.ends_with(')') {
            if let Some(open) = trimmed.rfind(" (") {
                let func = &trimmed[..open];
                let loc = &trimmed[open + 2..trimmed.len() - 1];
                let (file, line) = match loc.rsplit_once(':') {
                    Some((file, line)) if line.bytes().all(|c| c.is_ascii_digit()) => {
                        (file, line.parse().unwrap_or(0))
                    }
                    _ => (loc, 0),
                };
                let kind = if line == 0 {
                    CodeKind::Runtime
                } else {
                    pyspy_kind(file)
                };
                return self.frame(func, file, line, kind);
            }
        }
        if (indent == 8 || flat) && (trimmed == "Arguments:" || trimmed == "Locals:") {
            self.in_locals = true;
            return LineUse::Used;
        }
        if self.in_locals && (indent >= 12 || flat) && self.local(trimmed) {
            return LineUse::Used;
        }
        LineUse::unused(trimmed, SkipReason::NotModelled)
    }

    /// A local: `self: <Queue at 0x7f32dcbd6c10>` is the object a frame of
    /// the standard library works on.
    /// True when the local was read (the other locals are not kept).
    fn local(&mut self, trimmed: &str) -> bool {
        let Some(addr) = trimmed
            .strip_prefix("self: <")
            .and_then(|value| value.strip_suffix('>'))
            .and_then(|value| value.split_once(" at 0x"))
            .and_then(|(_, addr)| u64::from_str_radix(addr, 16).ok())
        else {
            return false;
        };
        if let Some(block) = self.cur.as_ref() {
            if self.selfs.len() < 1 << 20 {
                let frame = block.frames.len().saturating_sub(1) as u16;
                self.selfs.push((self.blocks.len() as u32, frame, addr));
                return true;
            }
        }
        false
    }
}

/// Reads `py-spy dump --json`.
pub fn parse_json(text: &[u8], source: &str) -> Result<Vec<Snapshot>, String> {
    #[derive(serde::Deserialize)]
    struct Thread {
        thread_id: u64,
        #[serde(default)]
        thread_name: Option<String>,
        #[serde(default)]
        os_thread_id: Option<u64>,
        #[serde(default)]
        active: bool,
        #[serde(default)]
        owns_gil: bool,
        #[serde(default)]
        frames: Vec<PyFrame>,
    }
    #[derive(serde::Deserialize)]
    struct PyFrame {
        name: String,
        #[serde(default)]
        filename: String,
        #[serde(default)]
        line: i64,
    }
    let threads: Vec<Thread> = serde_json::from_slice(text).map_err(|e| {
        format!(
            "not a py-spy JSON dump: {e} (line {}, column {})",
            e.line(),
            e.column()
        )
    })?;
    let mut reader = Reader::new();
    // The account counts records: each thread and each frame.
    reader.lines = Ledger::of_records();
    let mut record = 0u32;
    for th in threads.iter().take(MAX_TASKS) {
        let status = match (th.active, th.owns_gil) {
            (true, true) => "active+gil",
            (true, false) => "active",
            _ => "idle",
        };
        let id = th.os_thread_id.unwrap_or(th.thread_id);
        reader.new_thread(id, th.thread_name.as_deref(), 0, 0, Some(status));
        record = record.saturating_add(1);
        reader.lines.note(record, LineUse::Used);
        for f in &th.frames {
            let line = u32::try_from(f.line).unwrap_or(0);
            let what = reader.frame(&f.name, &f.filename, line, code_kind(&f.filename));
            record = record.saturating_add(1);
            reader.lines.note(record, what);
        }
    }
    for th in threads.iter().skip(MAX_TASKS) {
        for _ in 0..=th.frames.len() {
            record = record.saturating_add(1);
            reader
                .lines
                .note(record, LineUse::Skip(SkipReason::OverLimit));
        }
    }
    reader.end_dump(text.len() as u64);
    let mut dumps = std::mem::take(&mut reader.dumps);
    std::mem::take(&mut reader.lines).finish(&mut dumps);
    let mut snaps = snapshots(&Bytes::owned(text.to_vec()), source, reader.t, dumps);
    for s in &mut snaps {
        s.format = JSON_FORMAT;
    }
    Ok(snaps)
}

/// Python text thread dumps as an input format.
pub const PYTHON_THREADS: SnapshotFormat = SnapshotFormat {
    id: FORMAT,
    aliases: &["python", "py-spy"],
    help: "Python thread dumps: faulthandler and `py-spy dump` text",
    expected: Some("a Python faulthandler or py-spy dump (`Thread 0x... (most recent call first):`, `Thread 42 (idle): \"MainThread\"`)"),
    detect,
    reader: SnapshotReader::Text {
        anchor: find_header,
        parse,
    },
};

/// `py-spy dump --json` as an input format.
pub const PY_SPY_JSON: SnapshotFormat = SnapshotFormat {
    id: JSON_FORMAT,
    aliases: &[],
    help: "`py-spy dump --json`",
    expected: None,
    detect: detect_json,
    reader: SnapshotReader::Json(parse_json),
};
