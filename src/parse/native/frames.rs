//! Native backtraces: glibc `backtrace_symbols` and `backtrace_symbols_fd`
//! (with the `/proc/self/maps` block crash handlers often print),
//! AddressSanitizer and ThreadSanitizer reports (symbolized or
//! `module+0xoff`), eu-stack (`-m -s -i -b` or plain, with its module
//! map) and Android tombstones.

use super::{addr_frame, hex_u64, named_frame, note_addr, parse_map_line};
use crate::input::Bytes;
use crate::model::heap::Module;
use crate::model::{
    AddrSpace, Crash, FrameId, Runtime, SkipReason, Snapshot, StateClass, Tables, TaskKind,
};
use crate::parse::format::{SnapshotFormat, SnapshotReader};
use crate::parse::threads::{lines, snapshots, Block, Dump, Ledger, LineUse};
use regex::Regex;
use std::sync::LazyLock;

/// Format id of gdb-free native backtraces (glibc `backtrace_symbols`, sanitizers, tombstones).
pub const FORMAT: &str = "native-backtrace";

static GLIBC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?P<module>[^\s(\[#][^(\[]*)\((?P<func>[^()+]*)(?:\+(?P<off>0x[0-9a-fA-F]+))?\) ?\[(?P<addr>0x[0-9a-fA-F]+)\]$")
        .expect("valid regex")
});
static BARE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\[(?P<addr>0x[0-9a-fA-F]+)\]$").expect("valid regex"));
static FILELINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?P<func>.*?)\s+(?P<file>\S+?):(?P<line>\d+)(?::\d+)?$").expect("valid regex")
});
static TOMB: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^pc (?P<pc>[0-9a-fA-F]+)\s+(?P<module>\S+)(?:\s+\((?P<func>[^()]*(?:\([^()]*\))?[^()]*)\))?(?:\s+\(BuildId: (?P<bid>[0-9a-fA-F]+)\))?")
        .expect("valid regex")
});
static EU_FRAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?P<pc>0x[0-9a-fA-F]+)(?:\s+(?P<func>[^-\s][^\n]*?))?(?:\s+-\s+(?P<module>\S+))?$",
    )
    .expect("valid regex")
});
static EU_BID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s+\[(?P<bid>[0-9a-fA-F]+)\]@(?P<base>0x[0-9a-fA-F]+)\+(?P<off>0x[0-9a-fA-F]+)$")
        .expect("valid regex")
});
static EU_MAP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^0x(?P<start>[0-9a-fA-F]+)-0x(?P<end>[0-9a-fA-F]+) (?P<name>\S+)$")
        .expect("valid regex")
});
static TID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:TID (?P<tid>\d+):|pid: \d+, tid: (?P<tid2>\d+), name: (?P<name>.*?)\s+>>>.*)$")
        .expect("valid regex")
});
static PC: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\bpc (?P<pc>0x[0-9a-fA-F]+)").expect("valid regex"));

/// `#N rest` (sanitizers, eu-stack, tombstones): the frame number and the
/// rest of the line.
fn hash_line(s: &str) -> Option<(u64, &str)> {
    let after_hash = s.trim_start().strip_prefix('#')?;
    let digits = after_hash.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > 9 {
        return None;
    }
    let number = after_hash[..digits].parse().ok()?;
    let rest = &after_hash[digits..];
    let trimmed = rest.trim_start();
    if trimmed.len() == rest.len() {
        return None; // `#12abc`: not a frame
    }
    Some((number, trimmed.trim_end()))
}

/// A trailing `(module+0xoff)`, optionally followed by `(BuildId: hex)`:
/// `(module, offset, build-id, where the text before it ends)`.
fn mod_off(rest: &str) -> Option<(&str, u64, &str, usize)> {
    let mut body = rest.trim_end();
    let mut bid = "";
    if body.ends_with(')') {
        if let Some(p) = body.rfind("(BuildId: ") {
            let id = &body[p + 10..body.len() - 1];
            if !id.is_empty() && id.bytes().all(|b| b.is_ascii_hexdigit()) {
                bid = id;
                body = body[..p].trim_end();
            }
        }
    }
    let inner = body.strip_suffix(')')?;
    let open = inner.rfind('(')?;
    let inner = &inner[open + 1..];
    let (module, off) = inner.rsplit_once("+0x")?;
    if module.is_empty() || module.contains(char::is_whitespace) || module.contains('(') {
        return None;
    }
    let off = u64::from_str_radix(off, 16).ok()?;
    Some((module, off, bid, open))
}

/// Where a native backtrace line starts, for log-prefix detection.
pub fn find_header(line: &[u8]) -> Option<usize> {
    let text = std::str::from_utf8(line).ok()?;
    let text = text.trim_end();
    for (i, _) in text
        .char_indices()
        .filter(|(_, c)| *c == '#' || *c == '/' || *c == '.')
        .take(4)
    {
        let rest = &text[i..];
        // gdb-style frames name a call (`f (...)`, `0x.. in f`); eu-stack's
        // are a bare pc and symbol (`#0  0x00007f.. __futex_wait`).
        let frame = hash_line(rest).is_some_and(|(_, frame)| {
            rest.contains('(') || rest.contains(" in ") || EU_FRAME.is_match(frame.trim())
        });
        // The regex ends in `]$`: lines that do not are not run through it.
        if frame || (text.ends_with(']') && GLIBC.is_match(rest)) {
            return Some(i);
        }
    }
    None
}

/// How sure we are that `text` is a native backtrace.
pub fn detect(text: &[u8]) -> f32 {
    let head = &text[..text.len().min(256 << 10)];
    let (mut glibc, mut hash, mut marks) = (0, 0, 0);
    for l in head.split(|&c| c == b'\n').take(20_000) {
        let line = String::from_utf8_lossy(l);
        let line = line.trim_end();
        if GLIBC.is_match(line) {
            glibc += 1;
        } else if let Some((_, rest)) = hash_line(line) {
            if mod_off(rest).is_some()
                || TOMB.is_match(rest)
                || EU_FRAME.is_match(rest)
                || (rest.starts_with("0x") && rest.contains(" in "))
            {
                hash += 1;
            }
        } else if line.contains("ERROR: AddressSanitizer")
            || line.contains("WARNING: ThreadSanitizer")
            || line.starts_with("*** *** *** ***")
            || TID.is_match(line)
        {
            marks += 1;
        } else if line.contains("Thread ") && line.contains("(LWP ") {
            // gdb's `thread apply all bt`: not this format.
            return 0.0;
        }
    }
    match (glibc, hash, marks) {
        (_, h, m) if h >= 1 && m >= 1 => 0.9,
        (g, _, _) if g >= 2 => 0.8,
        (_, h, _) if h >= 3 => 0.4,
        _ => 0.0,
    }
}

struct Reader {
    tables: Tables,
    blocks: Vec<Block>,
    cur: Option<Block>,
    caption: Option<String>,
    next_id: u64,
    maps: Vec<Module>,
    crash: Option<Crash>,
    /// Faulting pcs the text names (`pc 0x...`): frames at them are not
    /// return addresses.
    fault_pcs: Vec<u64>,
    /// The last eu-stack frame, waiting for its `[build-id]@base+off` line.
    last: Option<(FrameId, bool, String)>,
    in_eu_map: Option<usize>,
    /// `TID n:` or a tombstone's `pid: .., tid: n, name: x`, until the
    /// thread's first frame.
    thread: Option<(u64, Option<String>)>,
    /// The form of the current stack's glibc frames: `backtrace_symbols`
    /// puts a space before `[0xaddr]`, `backtrace_symbols_fd` none. A
    /// handler printing both prints two stacks; a change of form starts
    /// the second.
    glibc_spaced: Option<bool>,
    /// Where the lines went; a caption counts as used until it is dropped.
    lines: Ledger,
}

impl Reader {
    fn new() -> Reader {
        Reader {
            tables: Tables::new(),
            blocks: Vec::new(),
            cur: None,
            caption: None,
            next_id: 0,
            maps: Vec::new(),
            crash: None,
            fault_pcs: Vec::new(),
            last: None,
            in_eu_map: None,
            thread: None,
            glibc_spaced: None,
            lines: Ledger::default(),
        }
    }

    /// Drops the caption waiting for a stack: its line was not used.
    fn drop_caption(&mut self) {
        if self.caption.take().is_some() {
            self.lines.demote(SkipReason::NotModelled);
        }
    }

    fn end_block(&mut self) {
        self.last = None;
        self.glibc_spaced = None;
        if let Some(block) = self.cur.take() {
            if !block.frames.is_empty() {
                self.blocks.push(block);
            }
        }
    }

    fn block(&mut self, line: u32, offset: u64, new: bool) -> &mut Block {
        if new || self.cur.is_none() {
            self.end_block();
            self.next_id += 1;
            let mut block = Block::new(self.next_id, line, offset);
            block.class = Some(StateClass::Other);
            block.state = "stack";
            if let Some((tid, name)) = self.thread.take() {
                block.id = tid;
                block.name = name;
                self.drop_caption();
            } else if let Some(caption) = self.caption.take() {
                block.name = Some(caption);
            }
            self.cur = Some(block);
        }
        self.cur.get_or_insert_with(Block::default)
    }

    fn push(&mut self, line: u32, offset: u64, number: Option<u64>, frame: FrameId) {
        // `#0` again: the next stack.
        let new = number == Some(0)
            && self
                .cur
                .as_ref()
                .is_some_and(|block| !block.frames.is_empty());
        self.block(line, offset, new).push(frame);
    }

    fn crash_line(&mut self, text: &str) {
        if self.crash.is_none() {
            // A tombstone names the crashing thread just above its signal
            // line: that thread crashed.
            self.crash = Some(Crash {
                message: sanitizer_title(text),
                task_id: self.thread.as_ref().map(|(tid, _)| *tid),
                ..Crash::default()
            });
        }
    }

    /// A tombstone's `Cause: null pointer dereference` (Android's reading of
    /// the fault) leads the crash's message.
    fn cause_line(&mut self, trimmed: &str) -> bool {
        let Some(cause) = trimmed.strip_prefix("Cause: ") else {
            return false;
        };
        let Some(crash) = self.crash.as_mut() else {
            return false;
        };
        if crash.message.len() < 4096 && !crash.message.starts_with(cause) {
            crash.message = format!("{cause} ({})", crash.message);
        }
        true
    }

    /// TSan's `Cycle in lock order graph: M0 (0x..) => M1 (0x..) => M0`:
    /// the lock order joins the report's title.
    fn lock_cycle(&mut self, trimmed: &str) -> bool {
        let Some(cycle) = trimmed.strip_prefix("Cycle in lock order graph: ") else {
            return false;
        };
        if let Some(crash) = self.crash.as_mut() {
            if !crash.message.contains(" => ") && crash.message.len() < 4096 {
                crash.message = format!("{}: {cycle}", crash.message);
            }
        }
        true
    }

    /// Reads one line (without its newline), starting at byte `offset` on
    /// 1-based line `number`.
    fn line(&mut self, raw: &str, number: u32, offset: u64) -> LineUse {
        let line = raw.trim_end();
        let trimmed = line.trim();
        if self.eu_map_line(line, trimmed) {
            return LineUse::Used;
        }
        if let Some(mapping) = parse_map_line(line) {
            self.end_block();
            self.maps.push(mapping);
            return LineUse::Used;
        }
        if self.thread_line(line) {
            return LineUse::Used;
        }
        if let Some(frame) = self.address_frame(line) {
            let spaced = GLIBC.is_match(line).then(|| line.contains(") ["));
            if spaced.is_some() && self.glibc_spaced.is_some() && spaced != self.glibc_spaced {
                self.end_block();
            }
            self.push(number, offset, None, frame);
            if spaced.is_some() {
                self.glibc_spaced = spaced;
            }
            return LineUse::Used;
        }
        if let Some((frame_number, rest)) = hash_line(line) {
            if let Some(frame) = hash_frame(self, rest) {
                // Starting a new stack must not forget the frame waiting
                // for its continuation lines.
                let last = self.last.take();
                self.push(number, offset, Some(frame_number), frame);
                self.last = last;
                return LineUse::Used;
            }
        }
        if self.eu_continuation(line, trimmed) {
            return LineUse::Used;
        }
        self.other_line(line, trimmed)
    }

    /// eu-stack's module map: `0xSTART-0xEND name`, then `  [build-id]` and
    /// `  path` lines. True when the line was one of them.
    fn eu_map_line(&mut self, line: &str, trimmed: &str) -> bool {
        if let Some(caps) = EU_MAP.captures(line) {
            let start = hex_u64(caps.name("start").map_or("", |m| m.as_str()));
            let end = hex_u64(caps.name("end").map_or("", |m| m.as_str()));
            if let (Some(start), Some(end)) = (start, end) {
                self.maps.push(Module {
                    start,
                    end,
                    file_offset: 0,
                    path: caps.name("name").map_or("", |m| m.as_str()).to_string(),
                    build_id: None,
                });
                self.in_eu_map = Some(self.maps.len() - 1);
            }
            return true;
        }
        let Some(index) = self.in_eu_map else {
            return false;
        };
        if !line.starts_with("  ") {
            self.in_eu_map = None;
            return false;
        }
        if let Some(mapping) = self.maps.get_mut(index) {
            if let Some(id) = trimmed.strip_prefix('[').and_then(|x| x.strip_suffix(']')) {
                mapping.build_id = Some(id.to_ascii_lowercase());
            } else if trimmed.starts_with('/') {
                mapping.path = trimmed.to_string();
            }
        }
        true
    }

    /// `TID n:` or a tombstone's thread line. True when the line was one.
    fn thread_line(&mut self, line: &str) -> bool {
        let Some(caps) = TID.captures(line) else {
            return false;
        };
        self.end_block();
        let tid = caps
            .name("tid")
            .or_else(|| caps.name("tid2"))
            .map_or("", |m| m.as_str());
        // The thread's id (and a tombstone's name) hold until its first
        // frame, whatever captions (`backtrace:`) come between.
        self.drop_caption();
        self.thread = tid
            .parse()
            .ok()
            .map(|id| (id, caps.name("name").map(|m| m.as_str().to_string())));
        true
    }

    /// A frame of glibc's `backtrace_symbols` (`module(func+0xoff)
    /// [0xaddr]`) or a bare `[0xaddr]`.
    fn address_frame(&mut self, line: &str) -> Option<FrameId> {
        if let Some(caps) = GLIBC.captures(line) {
            let module = caps.name("module").map_or("", |m| m.as_str().trim());
            let func = caps.name("func").map_or("", |m| m.as_str());
            let func_off = caps.name("off").and_then(|m| hex_u64(m.as_str()));
            let addr = caps
                .name("addr")
                .and_then(|m| hex_u64(m.as_str()))
                .unwrap_or(0);
            return Some(self.glibc_frame(module, func, func_off, addr));
        }
        let caps = BARE.captures(line)?;
        let addr = caps
            .name("addr")
            .and_then(|m| hex_u64(m.as_str()))
            .unwrap_or(0);
        let call = !self.fault_pcs.contains(&addr);
        Some(addr_frame(
            &mut self.tables,
            "",
            "",
            addr,
            AddrSpace::Absolute,
            call,
        ))
    }

    /// Interns a glibc frame: by its function when printed (with the
    /// address noted for the symbolizer), else by its address.
    fn glibc_frame(
        &mut self,
        module: &str,
        func: &str,
        func_off: Option<u64>,
        addr: u64,
    ) -> FrameId {
        let call = !self.fault_pcs.contains(&addr);
        if func.is_empty() {
            return match func_off {
                Some(off) => addr_frame(&mut self.tables, module, "", off, AddrSpace::Vaddr, call),
                None => addr_frame(
                    &mut self.tables,
                    module,
                    "",
                    addr,
                    AddrSpace::Absolute,
                    call,
                ),
            };
        }
        let function = self.tables.intern_function(func.as_bytes(), |name| {
            super::split_function(name, "", module)
        });
        let frame = self.tables.intern_frame(crate::model::Frame {
            function,
            file: crate::model::Sym(0),
            line: 0,
            pc_offset: func_off.and_then(|off| u32::try_from(off).ok()),
            inlined: false,
        });
        note_addr(
            &mut self.tables,
            frame,
            module,
            addr,
            AddrSpace::Absolute,
            call,
        );
        frame
    }

    /// eu-stack's continuation lines of the last frame: `[build-id]@base+off`
    /// and `    file:line:col`. True when the line was one.
    fn eu_continuation(&mut self, line: &str, trimmed: &str) -> bool {
        let Some((frame, has_line, module)) = self.last.clone() else {
            return false;
        };
        if let Some(caps) = EU_BID.captures(line) {
            let bid = caps
                .name("bid")
                .map_or("", |m| m.as_str())
                .to_ascii_lowercase();
            let module_off = caps
                .name("off")
                .and_then(|m| hex_u64(m.as_str()))
                .unwrap_or(0);
            if !has_line {
                // eu-stack prints the adjusted pc's offset from the
                // module's base.
                let raw = crate::model::RawAddr {
                    module: self.tables.intern(&module),
                    build_id: self.tables.intern(&bid),
                    addr: module_off,
                    space: AddrSpace::FileOffset,
                    call: false,
                };
                self.tables.set_addr(frame, raw);
            }
            return true;
        }
        if !(line.starts_with("    ") && trimmed.contains(':') && !trimmed.contains(' ')) {
            return false;
        }
        // `    file:line:col` (eu-stack -s): a source position for the last
        // frame.
        if let Some(block) = self.cur.as_mut() {
            if let Some(last) = block.frames.last_mut() {
                let old = *self.tables.frame(*last);
                let mut parts = trimmed.rsplitn(3, ':');
                let last_part = parts.next().unwrap_or("");
                let middle = parts.next().unwrap_or("");
                let (file, line) = match parts.next() {
                    Some(file) => (file, middle.parse().unwrap_or(0)),
                    None => (middle, last_part.parse().unwrap_or(0)),
                };
                let file = self.tables.intern(file);
                *last = self
                    .tables
                    .intern_frame(crate::model::Frame { file, line, ..old });
                self.last = Some((*last, true, module.clone()));
            }
        }
        true
    }

    /// Anything else: a caption for the next stack, a faulting pc, or a
    /// crash summary.
    fn other_line(&mut self, line: &str, trimmed: &str) -> LineUse {
        self.end_block();
        if trimmed.is_empty() {
            return LineUse::Skip(SkipReason::Blank);
        }
        if let Some(caps) = PC.captures(line) {
            if let Some(pc) = caps.name("pc").and_then(|m| hex_u64(m.as_str())) {
                if self.fault_pcs.len() < 64 {
                    self.fault_pcs.push(pc);
                }
            }
        }
        if self.lock_cycle(trimmed) || self.cause_line(trimmed) {
            return LineUse::Used;
        }
        let mut what = LineUse::Skip(SkipReason::NotModelled);
        if line.contains("ERROR: AddressSanitizer")
            || line.contains("WARNING: ThreadSanitizer")
            || line.contains("ERROR: LeakSanitizer")
            || line.starts_with("Abort message:")
            || (line.starts_with("signal ") && line.contains("fault addr"))
            || line.starts_with("*** ") && (line.contains("signal") || line.contains("fault"))
        {
            self.crash_line(trimmed);
            what = LineUse::Used;
        }
        if trimmed.len() <= 300
            && !trimmed.starts_with("PID ")
            && !trimmed.starts_with("*** backtrace")
        {
            // A caption counts as used until a later line replaces it.
            self.drop_caption();
            self.caption = Some(trimmed.trim_end_matches(':').to_string());
            what = LineUse::Used;
        }
        what
    }
}

/// A sanitizer's or a crash handler's title without the decoration around
/// it: `==3222==ERROR: AddressSanitizer: heap-use-after-free on ...` is
/// `AddressSanitizer: heap-use-after-free on ...`, `WARNING:
/// ThreadSanitizer: lock-order-inversion (potential deadlock) (pid=4252)`
/// is `ThreadSanitizer: lock-order-inversion (potential deadlock)`.
fn sanitizer_title(text: &str) -> String {
    let mut title = text.trim().trim_start_matches('=');
    // `PID==`: the process id between the sanitizer's `==` markers.
    if let Some((pid, rest)) = title.split_once("==") {
        if !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()) {
            title = rest;
        }
    }
    for tag in ["ERROR: ", "WARNING: "] {
        if let Some(rest) = title.strip_prefix(tag) {
            if rest.contains("Sanitizer") {
                title = rest;
            }
        }
    }
    if let Some(at) = title.rfind(" (pid=") {
        if title.ends_with(')') {
            title = &title[..at];
        }
    }
    title.trim().to_string()
}

/// Reads native backtraces.
pub fn parse(text: Bytes, source: &str) -> Vec<Snapshot> {
    let mut reader = Reader::new();
    let mut end = 0u64;
    for (offset, number, line) in lines(&text) {
        end = offset + line.len() as u64;
        let what = reader.line(&line, number, offset);
        reader.lines.note(number, what);
    }
    reader.end_block();
    reader.drop_caption();
    if reader.blocks.is_empty() {
        return Vec::new();
    }
    let origin = if reader.crash.is_some() {
        "crash"
    } else {
        "stack"
    };
    let dump = Dump {
        format: FORMAT,
        task_kind: TaskKind::OsThread,
        runtime: Runtime::Native,
        origin,
        blocks: reader.blocks,
        crash: reader.crash,
        maps: reader.maps,
        warnings: Vec::new(),
        range: (0, end),
        truncated: false,
        sync: Default::default(),
        lines: reader.lines.take(),
    };
    snapshots(&text, source, reader.tables, vec![dump])
}

/// A `#N ...` frame: sanitizer (`0xPC in func file:line`, `0xPC
/// (module+0xoff)`, TSan's `func file:line (module+0xoff)`), tombstone
/// (`pc 0000abcd  /path/lib.so (func+12)`), eu-stack (`0xPC func - module`).
fn hash_frame(reader: &mut Reader, rest: &str) -> Option<FrameId> {
    reader.last = None;
    if let Some(caps) = TOMB.captures(rest) {
        return tombstone_frame(&mut reader.tables, &caps);
    }
    // Sanitizers: an optional pc, an optional `in`, then the symbol.
    let mut body = rest;
    let mut pc = None;
    if body.starts_with("0x") {
        let (pc_text, after) = body.split_once(char::is_whitespace).unwrap_or((body, ""));
        pc = hex_u64(pc_text);
        body = after.trim_start();
        // eu-stack -a: `0xPC - 1 func` marks a return address whose
        // pc - 1 was looked up; the frame without it is where the thread is.
        let adjusted = body
            .strip_prefix("- 1")
            .filter(|tail| tail.is_empty() || tail.starts_with(char::is_whitespace));
        let unmarked;
        let eu_text = match adjusted {
            Some(tail) => {
                body = tail.trim_start();
                unmarked = format!("{pc_text} {body}");
                unmarked.trim_end()
            }
            None => rest,
        };
        // eu-stack: `0xPC func - module` (no `in`).
        if !body.starts_with("in ") && !body.starts_with('(') {
            if let Some(caps) = EU_FRAME.captures(eu_text) {
                let module = caps.name("module").map_or("", |m| m.as_str());
                let func = caps.name("func").map_or("", |m| m.as_str().trim());
                let addr = pc?;
                let frame = if func.is_empty() {
                    addr_frame(
                        &mut reader.tables,
                        module,
                        "",
                        addr,
                        AddrSpace::Absolute,
                        true,
                    )
                } else {
                    let func = func.split("@@").next().unwrap_or(func);
                    let func = super::rust::readable_symbol(func);
                    named_frame(&mut reader.tables, &func, "", 0, module, false)
                };
                reader.last = Some((frame, false, module.to_string()));
                return Some(frame);
            }
        }
        body = body.strip_prefix("in ").unwrap_or(body);
    }
    sanitizer_frame(&mut reader.tables, body, pc)
}

/// A tombstone frame: `pc 0000abcd  /path/lib.so (func+12) (BuildId: ..)`.
fn tombstone_frame(tables: &mut Tables, caps: &regex::Captures) -> Option<FrameId> {
    let pc = u64::from_str_radix(caps.name("pc")?.as_str(), 16).ok()?;
    let module = caps.name("module").map_or("", |m| m.as_str());
    let mut bid = caps
        .name("bid")
        .map_or("", |m| m.as_str())
        .to_ascii_lowercase();
    let mut func = caps.name("func").map(|m| m.as_str()).unwrap_or("");
    // A frame without a function: its only parenthesis is the build-id.
    if let Some(id) = func.strip_prefix("BuildId: ") {
        bid = id.trim().to_ascii_lowercase();
        func = "";
    }
    // Android's unwinder already adjusts the pcs of callers.
    let frame = match func.rsplit_once('+') {
        Some((name, _)) if !name.is_empty() => {
            let frame = named_frame(tables, name, "", 0, module, false);
            let raw = crate::model::RawAddr {
                module: tables.intern(module),
                build_id: tables.intern(&bid),
                addr: pc,
                space: AddrSpace::Vaddr,
                call: false,
            };
            tables.note_addr(frame, raw);
            frame
        }
        _ => addr_frame(tables, module, &bid, pc, AddrSpace::Vaddr, false),
    };
    Some(frame)
}

/// The symbol part of a sanitizer frame (after its pc and `in`): `func
/// file:line`, maybe followed by `(module+0xoff)`; `pc` names the frame
/// when nothing else does.
fn sanitizer_frame(tables: &mut Tables, body: &str, pc: Option<u64>) -> Option<FrameId> {
    if let Some((func, file, line, module)) = debugger_call(body) {
        return Some(match (func, pc) {
            ("??", Some(pc)) => addr_frame(tables, module, "", pc, AddrSpace::Absolute, true),
            _ => named_frame(tables, func, file, line, module, false),
        });
    }
    let mut body = body;
    let mut module = "";
    let mut bid = "";
    let mut module_off = None;
    if let Some((name, off, build_id, end)) = mod_off(body) {
        module = name;
        bid = build_id;
        module_off = Some(off);
        body = &body[..end];
    }
    // TSan without symbols: `<null> <null>` (function, file).
    let body = body.trim();
    let body = body.strip_suffix(" <null>").unwrap_or(body).trim_end();
    let (func, file, line) = match FILELINE.captures(body) {
        Some(caps) => (
            caps.name("func").map_or("", |m| m.as_str()),
            caps.name("file").map_or("", |m| m.as_str()),
            caps.name("line")
                .and_then(|m| m.as_str().parse().ok())
                .unwrap_or(0),
        ),
        None => (body, "", 0),
    };
    let func = func.trim();
    let unknown = func.is_empty() || func == "<null>";
    let bid = bid.to_ascii_lowercase();
    // The sanitizers print adjusted pcs and offsets.
    match (unknown, module_off) {
        (true, Some(off)) => Some(addr_frame(
            tables,
            module,
            &bid,
            off,
            AddrSpace::Vaddr,
            false,
        )),
        (true, None) => pc.map(|pc| addr_frame(tables, "", "", pc, AddrSpace::Absolute, false)),
        (false, _) => {
            let file = if file == "<null>" { "" } else { file };
            let frame = named_frame(tables, func, file, line, module, false);
            if line == 0 {
                if let Some(off) = module_off {
                    let raw = crate::model::RawAddr {
                        module: tables.intern(module),
                        build_id: tables.intern(&bid),
                        addr: off,
                        space: AddrSpace::Vaddr,
                        call: false,
                    };
                    tables.note_addr(frame, raw);
                }
            }
            Some(frame)
        }
    }
}

/// A debugger's frame text after `0xPC in`: `func (args) at file:line`
/// or `func (args) from /lib/module.so` (gdb's `bt` pasted without its
/// thread header): `(function, file, line, module)`, the argument list
/// and its qualifiers left out of the name (`Type::f() const ()`).
fn debugger_call(body: &str) -> Option<(&str, &str, u32, &str)> {
    let (call, file, line, module) = if let Some(at) = body.rfind(") at ") {
        let (file, line) = body[at + 5..].rsplit_once(':')?;
        (&body[..=at], file, line.parse().ok()?, "")
    } else {
        let at = body.rfind(") from /")?;
        (&body[..=at], "", 0, &body[at + 7..])
    };
    // The argument list is the last balanced `( ... )`.
    let mut depth = 0i32;
    for (i, c) in call.char_indices().rev() {
        match c {
            ')' => depth += 1,
            '(' => {
                depth -= 1;
                if depth == 0 {
                    let func = call[..i].trim_end();
                    return (!func.is_empty()).then_some((func, file, line, module));
                }
            }
            _ => {}
        }
    }
    None
}

/// An address a line of native backtrace text carries, for `dumpscope
/// symbolize`: `(module, build-id, address, space, return address)`.
pub type LineAddr = (String, String, u64, AddrSpace, bool);

/// The address a line of native backtrace text names, if any, and the byte
/// range of the frame in the line.
pub fn line_addr(s: &str) -> Option<LineAddr> {
    // Cheap tests first: a big input is mostly frame lines of one kind.
    let bytes = s.as_bytes();
    let has = |n: &[u8]| memchr::memmem::find(bytes, n).is_some();
    if has(b"[0x") {
        if let Some(c) = GLIBC.captures(s) {
            let module = c.name("module").map_or("", |m| m.as_str().trim());
            let func = c.name("func").map_or("", |m| m.as_str());
            let off = c.name("off").and_then(|m| hex_u64(m.as_str()));
            let addr = c.name("addr").and_then(|m| hex_u64(m.as_str()))?;
            return Some(match (func.is_empty(), off) {
                (true, Some(o)) => (module.to_string(), String::new(), o, AddrSpace::Vaddr, true),
                _ => (
                    module.to_string(),
                    String::new(),
                    addr,
                    AddrSpace::Absolute,
                    true,
                ),
            });
        }
        if let Some(c) = BARE.captures(s) {
            let addr = c.name("addr").and_then(|m| hex_u64(m.as_str()))?;
            return Some((
                String::new(),
                String::new(),
                addr,
                AddrSpace::Absolute,
                true,
            ));
        }
    }
    if has(b"]@0x") {
        if let Some(c) = EU_BID.captures(s) {
            let bid = c
                .name("bid")
                .map_or("", |m| m.as_str())
                .to_ascii_lowercase();
            let off = c.name("off").and_then(|m| hex_u64(m.as_str()))?;
            return Some((String::new(), bid, off, AddrSpace::FileOffset, false));
        }
    }
    if !has(b"#") {
        return None;
    }
    let (_, rest) = hash_line(s)?;
    if rest.starts_with("pc ") {
        if let Some(c) = TOMB.captures(rest) {
            let pc = u64::from_str_radix(c.name("pc")?.as_str(), 16).ok()?;
            let module = c.name("module").map_or("", |m| m.as_str()).to_string();
            let bid = c
                .name("bid")
                .map_or("", |m| m.as_str())
                .to_ascii_lowercase();
            return Some((module, bid, pc, AddrSpace::Vaddr, false));
        }
    }
    if let Some((module, off, bid, _)) = mod_off(rest) {
        return Some((
            module.to_string(),
            bid.to_ascii_lowercase(),
            off,
            AddrSpace::Vaddr,
            false,
        ));
    }
    if let Some(c) = EU_FRAME.captures(rest) {
        let pc = hex_u64(c.name("pc")?.as_str())?;
        let module = c.name("module").map_or("", |m| m.as_str()).to_string();
        return Some((module, String::new(), pc, AddrSpace::Absolute, true));
    }
    None
}

/// Native backtraces as an input format.
pub const NATIVE_BACKTRACE: SnapshotFormat = SnapshotFormat {
    id: FORMAT,
    aliases: &["native"],
    help: "Native backtraces: glibc backtrace_symbols, AddressSanitizer and ThreadSanitizer reports, eu-stack, Android tombstones",
    expected: Some("a native backtrace (glibc backtrace_symbols, AddressSanitizer/ThreadSanitizer, eu-stack, Android tombstone)"),
    detect,
    reader: SnapshotReader::Text {
        anchor: find_header,
        parse,
    },
};

#[cfg(test)]
mod tests {
    use super::*;

    /// No Android device is at hand to write a real tombstone, so this is a
    /// parser test on the documented layout: threads separated by the
    /// `pid: .., tid: .., name: ..` lines, `#NN pc` frames whose pcs are
    /// already module-relative (never adjusted again), function names with
    /// offsets, build-ids.
    #[test]
    fn tombstone_threads_and_frames() {
        let text = "\
*** *** *** *** *** *** *** *** *** *** *** *** *** *** *** ***
pid: 4242, tid: 4242, name: app_main  >>> com.example.app <<<
signal 6 (SIGABRT), code -1 (SI_QUEUE), fault addr --------
Cause: stack corruption detected
backtrace:
      #00 pc 000000000004f2c8  /system/lib64/libc.so (abort+120) (BuildId: ab12cd34)
      #01 pc 0000000000001a40  /data/app/lib/arm64/libnative.so (BuildId: 00ff00ff)
      #02 pc 0000000000001b00  /data/app/lib/arm64/libnative.so (Java_com_example_Native_crash+32) (BuildId: 00ff00ff)
--- --- --- --- --- --- --- --- --- --- --- --- --- --- --- ---
pid: 4242, tid: 4250, name: worker  >>> com.example.app <<<
backtrace:
      #00 pc 00000000000d1e8c  /system/lib64/libc.so (syscall+28) (BuildId: ab12cd34)
";
        let mut snaps = parse(Bytes::owned(text.as_bytes().to_vec()), "t");
        assert_eq!(snaps.len(), 1);
        let snap = snaps.remove(0);
        assert_eq!(snap.tasks.len(), 2);
        let tables = &snap.tables;
        let names: Vec<Vec<String>> = snap
            .tasks
            .iter()
            .map(|task| {
                tables
                    .stack(task.stack)
                    .frames
                    .iter()
                    .map(|f| {
                        tables
                            .str(tables.function(tables.frame(*f).function).full)
                            .to_string()
                    })
                    .collect()
            })
            .collect();
        assert_eq!(names[0][0], "abort");
        assert_eq!(names[0][2], "Java_com_example_Native_crash");
        assert_eq!(names[1], vec!["syscall".to_string()]);
        assert_eq!(snap.task_name(&snap.tasks[1]), Some("worker"));
        // The thread above the signal line crashed; Android's cause leads
        // the message.
        let crash = snap.crash.as_ref().expect("a crash");
        assert_eq!(crash.task_id, Some(4242));
        assert!(
            crash.message.starts_with("stack corruption detected ("),
            "{}",
            crash.message
        );
        // The unnamed frame keeps its module-relative pc and build-id for
        // symbolization, marked as not needing the pc - 1 adjustment.
        let raws = tables.raw_addrs();
        let unnamed = tables.stack(snap.tasks[0].stack).frames[1];
        let (_, raw) = raws
            .iter()
            .find(|(f, _)| *f == unnamed)
            .expect("raw address of the unnamed frame");
        assert_eq!(raw.addr, 0x1a40);
        assert_eq!(raw.space, AddrSpace::Vaddr);
        assert!(!raw.call);
        assert_eq!(tables.str(raw.build_id), "00ff00ff");
        assert!(tables.str(raw.module).ends_with("libnative.so"));
    }
}
