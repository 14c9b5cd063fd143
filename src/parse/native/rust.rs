//! Rust panics and backtraces: every panic header form (`panicked at 'msg',
//! file:l:c` before 1.73, `panicked at file:l:c:` then the message, and
//! `thread 'NAME' (TID) panicked` from 1.91), `RUST_BACKTRACE=1` and `=full`
//! frames (`0x... - <unknown>` when stripped), `[... omitted N frames ...]`,
//! several threads, and `std::backtrace::Backtrace` printed by a program.

use super::{addr_frame, named_frame, note_addr};
use crate::input::Bytes;
use crate::model::{
    AddrSpace, Crash, CrashDetail, PanicRecord, Runtime, RustCrash, SkipReason, Snapshot,
    StateClass, Tables, TaskKind, Warning,
};
use crate::parse::format::{SnapshotFormat, SnapshotReader};
use crate::parse::threads::{lines, snapshots, Block, Dump, Ledger, LineUse};
use regex::Regex;
use std::sync::LazyLock;

/// Format id of Rust std backtraces (`RUST_BACKTRACE=1` / `full`).
pub const FORMAT: &str = "rust-backtrace";

static HEADER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^thread '(?P<name>[^']*)'(?: \((?P<tid>\d+)\))? panicked at (?:'(?P<msg>.*)', (?P<loc>\S+:\d+:\d+)$|(?P<loc2>.+:\d+:\d+):$|(?P<loc3>.+:\d+:\d+)$)",
    )
    .expect("valid regex")
});
static FRAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?P<n>\d+):\s+(?:(?P<addr>0x[0-9a-fA-F]+) - )?(?P<func>\S.*?)\s*$")
        .expect("valid regex")
});
static AT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s+at (?P<file>.+?)(?::(?P<line>\d+)(?::(?P<col>\d+))?)?\s*$")
        .expect("valid regex")
});
static OMITTED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*\[\.\.\. omitted (\d+) frames? \.\.\.\]").expect("valid regex")
});

/// Where a line of Rust backtrace output starts, for log-prefix detection.
pub fn find_header(line: &[u8]) -> Option<usize> {
    // Finders built once: this runs on every line of an input while its
    // dumps are looked for.
    static THREAD: LazyLock<memchr::memmem::Finder<'static>> =
        LazyLock::new(|| memchr::memmem::Finder::new(b"thread '"));
    let at = THREAD.find(line)?;
    memchr::memmem::find(&line[at..], b"' panicked at ")
        .or_else(|| memchr::memmem::find(&line[at..], b") panicked at "))
        .map(|_| at)
        .or_else(|| {
            memchr::memmem::find(line, b"stack backtrace:").filter(|&q| q + 16 == line.len())
        })
}

/// How sure we are that `text` is Rust backtrace output.
pub fn detect(text: &[u8]) -> f32 {
    let head = &text[..text.len().min(256 << 10)];
    let mut panics = 0;
    let mut frames = 0;
    let mut ats = 0;
    for l in head.split(|&c| c == b'\n').take(20_000) {
        let line = String::from_utf8_lossy(l);
        let line = line.trim_end();
        if HEADER.is_match(line) || line.ends_with("stack backtrace:") {
            panics += 1;
        } else if line.trim_start().starts_with("at ") && line.starts_with("    ") {
            ats += 1;
        } else if FRAME.is_match(line) && (line.contains("::") || line.contains(" - ")) {
            frames += 1;
        }
    }
    if panics > 0 && (frames > 0 || ats > 0) {
        0.95
    } else if panics > 0 {
        0.6
    } else if frames >= 3 && ats >= 2 {
        0.5
    } else {
        0.0
    }
}

/// Frames printed for one address (`=full` prints an inlined chain as one
/// numbered line and unnumbered continuation lines).
struct AddrGroup {
    addr: Option<u64>,
    /// `(function, file, line)`, innermost first.
    syms: Vec<(String, String, u32)>,
}

struct Reader {
    tables: Tables,
    blocks: Vec<Block>,
    cur: Option<Block>,
    group: Option<AddrGroup>,
    crash: Crash,
    /// The panics read, moved into `crash` at the end.
    panics: Vec<PanicRecord>,
    /// The panic message is being read (lines after a 1.73+ header).
    in_message: bool,
    warnings: Vec<Warning>,
    next_id: u64,
    /// The last line that was not part of a backtrace, naming the next
    /// block printed by a program (`worker-2 backtrace:`).
    caption: Option<String>,
    /// A compiler's `error: internal compiler error: ...`: the message
    /// the panic that follows stands for.
    ice: Option<String>,
    /// Where the lines went; a caption counts as used until it is dropped.
    lines: Ledger,
}

impl Reader {
    fn new() -> Reader {
        Reader {
            tables: Tables::new(),
            blocks: Vec::new(),
            cur: None,
            group: None,
            crash: Crash::default(),
            panics: Vec::new(),
            in_message: false,
            warnings: Vec::new(),
            next_id: 0,
            caption: None,
            ice: None,
            lines: Ledger::default(),
        }
    }

    /// Drops the caption waiting for a block: its line was not used.
    fn drop_caption(&mut self) {
        if self.caption.take().is_some() {
            self.lines.demote(SkipReason::NotModelled);
        }
    }

    fn flush_group(&mut self) {
        let Some(group) = self.group.take() else {
            return;
        };
        let Some(block) = self.cur.as_mut() else {
            return;
        };
        let count = group.syms.len();
        for (index, (func, file, line)) in group.syms.iter().enumerate() {
            if func == "<unknown>" {
                match group.addr {
                    Some(addr) => block.push(addr_frame(
                        &mut self.tables,
                        "",
                        "",
                        addr,
                        AddrSpace::Absolute,
                        true,
                    )),
                    None => block.push(named_frame(&mut self.tables, func, file, *line, "", false)),
                }
                continue;
            }
            let name = strip_rust_hash(func);
            let frame = named_frame(&mut self.tables, name, file, *line, "", index + 1 < count);
            // A function without a line, alone at its address: the
            // symbolizer may add its line and inlined frames.
            if let (Some(addr), 1, 0) = (group.addr, count, *line) {
                note_addr(&mut self.tables, frame, "", addr, AddrSpace::Absolute, true);
            }
            block.push(frame);
        }
    }

    fn end_block(&mut self) {
        self.flush_group();
        if let Some(block) = self.cur.take() {
            if !block.frames.is_empty() || block.state == "panicked" {
                self.blocks.push(block);
            }
        }
    }

    fn start_block(&mut self, line: u32, offset: u64) -> &mut Block {
        self.end_block();
        self.next_id += 1;
        let mut block = Block::new(self.next_id, line, offset);
        block.class = Some(StateClass::Running);
        block.name = self.caption.take();
        self.cur.insert(block)
    }

    /// Reads one line (`raw` may still end in spaces), starting at byte
    /// `offset` on 1-based line `number`.
    fn line(&mut self, raw: &str, number: u32, offset: u64) -> LineUse {
        let line = raw.trim_end();
        if let Some(caps) = HEADER.captures(line) {
            self.panic_header(&caps, number, offset);
            return LineUse::Used;
        }
        let trimmed = line.trim_start();
        if trimmed == "stack backtrace:" {
            self.in_message = false;
            if self
                .cur
                .as_ref()
                .is_none_or(|block| !block.frames.is_empty() || block.state != "panicked")
            {
                self.start_block(number, offset);
            }
            return LineUse::Used;
        }
        if let Some(caps) = FRAME.captures(line) {
            self.frame_line(&caps, number, offset);
            return LineUse::Used;
        }
        if self.at_line(line) {
            return LineUse::Used;
        }
        if let Some(caps) = OMITTED.captures(line) {
            self.omitted(&caps);
            return LineUse::Used;
        }
        if self.continuation(raw, trimmed) || self.message_line(line, trimmed) {
            return LineUse::Used;
        }
        if trimmed.starts_with("note: ") {
            self.flush_group();
            return LineUse::Skip(SkipReason::NotModelled);
        }
        if let Some(ice) = trimmed.strip_prefix("error: internal compiler error") {
            if self.ice.is_none() {
                self.ice = Some(format!("internal compiler error{}", first_line(ice)));
                self.other_line(trimmed);
                return LineUse::Used;
            }
        }
        self.other_line(trimmed)
    }

    /// `thread 'NAME' panicked at ...`: a block of its own, and a panic.
    fn panic_header(&mut self, caps: &regex::Captures, number: u32, offset: u64) {
        self.in_message = false;
        let tid: Option<u64> = caps.name("tid").and_then(|m| m.as_str().parse().ok());
        let name = caps.name("name").map_or("", |m| m.as_str()).to_string();
        let location = caps
            .name("loc")
            .or_else(|| caps.name("loc2"))
            .or_else(|| caps.name("loc3"))
            .map_or("", |m| m.as_str())
            .to_string();
        let block = self.start_block(number, offset);
        if let Some(tid) = tid {
            block.id = tid;
        }
        block.state = "panicked";
        block.name = Some(name.clone()).filter(|name| name != "<unnamed>");
        let id = block.id;
        let mut message = format!("thread '{name}' panicked at {location}");
        if let Some(inline_message) = caps.name("msg") {
            message = format!("{message}: {}", inline_message.as_str());
        } else {
            self.in_message = caps.name("loc2").is_some();
        }
        if self.panics.is_empty() {
            self.crash.task_id = Some(id);
        }
        self.panics.push(PanicRecord {
            message,
            ..PanicRecord::default()
        });
    }

    /// A numbered frame line: starts a new address group.
    fn frame_line(&mut self, caps: &regex::Captures, number: u32, offset: u64) {
        self.in_message = false;
        if self.cur.is_none() {
            self.start_block(number, offset);
        }
        self.flush_group();
        let addr = caps.name("addr").and_then(|m| super::hex_u64(m.as_str()));
        let func = caps.name("func").map_or("", |m| m.as_str()).to_string();
        self.group = Some(AddrGroup {
            addr,
            syms: vec![(func, String::new(), 0)],
        });
    }

    /// `at file:line:col`: the source position of the group's last
    /// function. True when it was one and a group is open.
    fn at_line(&mut self, line: &str) -> bool {
        let Some(caps) = AT.captures(line) else {
            return false;
        };
        let Some(group) = self.group.as_mut() else {
            return false;
        };
        if let Some(last) = group.syms.last_mut() {
            last.1 = caps.name("file").map_or("", |m| m.as_str()).to_string();
            last.2 = caps
                .name("line")
                .and_then(|m| m.as_str().parse().ok())
                .unwrap_or(0);
        }
        true
    }

    /// `[... omitted N frames ...]`: frames elided at this point.
    fn omitted(&mut self, caps: &regex::Captures) {
        self.flush_group();
        if let Some(block) = self.cur.as_mut() {
            let count: u32 = caps
                .get(1)
                .and_then(|m| m.as_str().parse().ok())
                .unwrap_or(0);
            let at = block.frames.len() as u32;
            block.elided = Some(match block.elided {
                Some((index, so_far)) => (index, so_far.saturating_add(count)),
                None => (at, count),
            });
        }
    }

    /// An unnumbered continuation of `=full` output: another function at
    /// the same address (the previous one was inlined into it).
    fn continuation(&mut self, raw: &str, trimmed: &str) -> bool {
        if self.group.is_none()
            || !raw.starts_with("      ")
            || trimmed.is_empty()
            || trimmed.starts_with("note:")
        {
            return false;
        }
        if let Some(group) = self.group.as_mut() {
            if group.syms.len() < 64 {
                group.syms.push((trimmed.to_string(), String::new(), 0));
            }
        }
        true
    }

    /// A line of a multi-line panic message (1.73+). True when one.
    fn message_line(&mut self, line: &str, trimmed: &str) -> bool {
        if !self.in_message || trimmed.starts_with("note:") {
            return false;
        }
        if let Some(panic) = self.panics.last_mut() {
            if panic.message.len() < 4096 {
                let sep = if panic.message.ends_with(':') || panic.message.contains(": ") {
                    "\n"
                } else {
                    ": "
                };
                panic.message.push_str(sep);
                panic.message.push_str(line);
            }
        }
        true
    }

    /// Anything else ends the backtrace being read; a short line may name
    /// the next one, and a fatal runtime error is a panic of its own.
    fn other_line(&mut self, trimmed: &str) -> LineUse {
        self.end_block();
        let mut what = LineUse::unused(trimmed, SkipReason::NotModelled);
        if !trimmed.is_empty() && trimmed.len() <= 200 {
            // A caption counts as used until a later line replaces it.
            self.drop_caption();
            self.caption = Some(trimmed.trim_end_matches(':').to_string());
            what = LineUse::Used;
        }
        if trimmed.starts_with("fatal runtime error:")
            || trimmed.starts_with("thread caused non-unwinding panic")
        {
            self.panics.push(PanicRecord {
                message: trimmed.to_string(),
                ..PanicRecord::default()
            });
            what = LineUse::Used;
        }
        what
    }

    /// The dump read, ending at byte `end`; `None` when no block was read.
    fn finish(mut self, end: u64) -> Option<(Tables, Dump)> {
        self.end_block();
        self.drop_caption();
        if self.blocks.is_empty() {
            return None;
        }
        let panics = self.panics;
        let crash = (!panics.is_empty()).then(|| {
            let mut crash = self.crash;
            crash.message = panics
                .first()
                .map(|panic| first_line(&panic.message))
                .unwrap_or_default();
            // A compiler's panic stands for the error it reported first:
            // that is the message to read, the panic says where.
            if let Some(ice) = self.ice.take() {
                crash.message = format!("{ice} ({})", crash.message);
            }
            crash.detail = CrashDetail::Rust(RustCrash { panics });
            crash
        });
        let origin = if crash.is_some() {
            "panic"
        } else {
            "backtrace"
        };
        let dump = Dump {
            format: FORMAT,
            task_kind: TaskKind::OsThread,
            runtime: Runtime::Rust,
            origin,
            blocks: self.blocks,
            crash,
            maps: Vec::new(),
            warnings: self.warnings,
            range: (0, end),
            truncated: false,
            sync: Default::default(),
            lines: self.lines.take(),
        };
        Some((self.tables, dump))
    }
}

/// Reads Rust panics and backtraces.
pub fn parse(text: Bytes, source: &str) -> Vec<Snapshot> {
    let mut reader = Reader::new();
    let mut end = 0u64;
    for (offset, number, line) in lines(&text) {
        end = offset + line.len() as u64;
        let what = reader.line(&line, number, offset);
        reader.lines.note(number, what);
    }
    match reader.finish(end) {
        Some((tables, dump)) => snapshots(&text, source, tables, vec![dump]),
        None => Vec::new(),
    }
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").to_string()
}

/// The address of a `RUST_BACKTRACE=full` frame line, for `dumpscope
/// symbolize`.
pub fn line_addr(s: &str) -> Option<u64> {
    memchr::memmem::find(s.as_bytes(), b" - ")?;
    let caps = FRAME.captures(s)?;
    super::hex_u64(caps.name("addr")?.as_str())
}

/// `foo::bar::h0123456789abcdef` → `foo::bar` (Rust's legacy mangling
/// hash).
pub fn strip_rust_hash(name: &str) -> &str {
    match name.rsplit_once("::h") {
        Some((head, h)) if h.len() == 16 && h.bytes().all(|b| b.is_ascii_hexdigit()) => head,
        _ => name,
    }
}

/// A Rust symbol as a tool that does not demangle prints it, made
/// readable: the legacy form's escapes (`Mutex$LT$T$GT$::lock::h73c5...` →
/// `Mutex<T>::lock`) and the path of a v0 symbol
/// (`_RNv...3std3sys4sync5mutex5futexNtB2_5Mutex14lock_contended` →
/// `std::sys::sync::mutex::futex::Mutex::lock_contended`; generic arguments
/// and back-references are left out). Other names are returned as they are.
pub fn readable_symbol(name: &str) -> std::borrow::Cow<'_, str> {
    if let Some(v0) = name.strip_prefix("_R") {
        if let Some(path) = v0_path(v0) {
            return path.into();
        }
    }
    if name.contains('$') && name.contains("::") {
        let mut out = name.to_string();
        for (from, to) in [
            ("$LT$", "<"),
            ("$GT$", ">"),
            ("$u20$", " "),
            ("$u7b$", "{"),
            ("$u7d$", "}"),
            ("$RF$", "&"),
            ("$BP$", "*"),
            ("$C$", ","),
            ("$LP$", "("),
            ("$RP$", ")"),
            ("..", "::"),
        ] {
            out = out.replace(from, to);
        }
        return strip_rust_hash(&out).to_string().into();
    }
    strip_rust_hash(name).into()
}

/// The identifiers of a v0 symbol's path, joined by `::`: every
/// length-prefixed identifier, skipping crate disambiguators (`Cs..._`) and
/// back-references (`B..._`).
fn v0_path(v0: &str) -> Option<String> {
    let bytes = v0.as_bytes();
    let mut parts: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < bytes.len() && parts.len() < 32 {
        match bytes[i] {
            b'C' if bytes.get(i + 1) == Some(&b's') => {
                i += memchr::memchr(b'_', &bytes[i..])? + 1;
            }
            b'B' => i += memchr::memchr(b'_', &bytes[i..])? + 1,
            b'0'..=b'9' => {
                let digits = bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
                let len: usize = v0.get(i..i + digits)?.parse().ok()?;
                let mut start = i + digits;
                if bytes.get(start) == Some(&b'_') {
                    start += 1;
                }
                let end = start.checked_add(len)?;
                parts.push(v0.get(start..end)?);
                i = end;
            }
            _ => i += 1,
        }
    }
    (!parts.is_empty()).then(|| parts.join("::"))
}

/// Rust panics and backtraces as an input format.
pub const RUST_BACKTRACE: SnapshotFormat = SnapshotFormat {
    id: FORMAT,
    aliases: &["rust"],
    help: "Rust panics and backtraces (`RUST_BACKTRACE=1` or `full`, `std::backtrace::Backtrace` output)",
    expected: Some("a Rust panic or backtrace (`thread 'main' panicked at`, `stack backtrace:`)"),
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
    fn mangled_symbols_made_readable() {
        assert_eq!(
            readable_symbol(
                "_RNvMNtNtNtNtCsjrHSEGnQ3l9_3std3sys4sync5mutex5futexNtB2_5Mutex14lock_contended"
            ),
            "std::sys::sync::mutex::futex::Mutex::lock_contended"
        );
        assert_eq!(
            readable_symbol("std::sync::poison::mutex::Mutex$LT$T$GT$::lock::h73c5f1efac873838"),
            "std::sync::poison::mutex::Mutex<T>::lock"
        );
        assert_eq!(
            readable_symbol("main::place_order::h0eea84920413ff13"),
            "main::place_order"
        );
        assert_eq!(
            readable_symbol("__GI___lll_lock_wait"),
            "__GI___lll_lock_wait"
        );
        // A length that overflows is not a path (and does not panic).
        assert_eq!(
            readable_symbol("_RNv18446744073709551615x"),
            "_RNv18446744073709551615x"
        );
    }

    fn read(text: &str) -> Snapshot {
        let mut snaps = parse(Bytes::owned(text.as_bytes().to_vec()), "t");
        assert_eq!(snaps.len(), 1, "{text}");
        snaps.remove(0)
    }

    /// The three header forms Rust has printed (the real samples come from
    /// 1.95, which prints only the last).
    #[test]
    fn every_panic_header_form_is_read() {
        let frames = "stack backtrace:\n   0: app::check\n             at ./src/main.rs:7:9\n   1: app::main\n             at ./src/main.rs:12:5\n";
        for (header, tid, msg) in [
            (
                "thread 'main' panicked at 'limit exceeded', src/main.rs:7:9\n",
                None,
                "thread 'main' panicked at src/main.rs:7:9: limit exceeded",
            ),
            (
                "thread 'main' panicked at src/main.rs:7:9:\nlimit exceeded\n",
                None,
                "thread 'main' panicked at src/main.rs:7:9: limit exceeded",
            ),
            (
                "thread 'main' (4242) panicked at src/main.rs:7:9:\nlimit exceeded\n",
                Some(4242),
                "thread 'main' panicked at src/main.rs:7:9: limit exceeded",
            ),
        ] {
            let text = format!("{header}{frames}");
            assert!(detect(text.as_bytes()) > 0.9);
            let snap = read(&text);
            let crash = snap.crash.as_ref().expect("crash");
            assert_eq!(crash.message, msg);
            assert_eq!(snap.tasks.len(), 1);
            if let Some(tid) = tid {
                assert_eq!(snap.tasks[0].id, tid);
            }
            let tables = &snap.tables;
            let st = tables.stack(snap.tasks[0].stack);
            let names: Vec<&str> = st
                .frames
                .iter()
                .map(|&f| tables.func_name(tables.frame(f).function))
                .collect();
            assert_eq!(names, ["app::check", "app::main"]);
            assert_eq!(tables.frame(st.frames[1]).line, 12);
        }
    }

    #[test]
    fn omitted_frames_and_inlined_continuations_are_kept() {
        let text = "thread 'w' panicked at src/lib.rs:1:1:\nboom\nstack backtrace:\n   0:     0x55d5c1b2c3a1 - app::inner::h0123456789abcdef\n                               at ./src/lib.rs:3:5\n                           app::outer\n                               at ./src/lib.rs:9:5\n      [... omitted 2 frames ...]\n   3:     0x55d5c1b2c400 - <unknown>\n";
        let snap = read(text);
        let tables = &snap.tables;
        let st = tables.stack(snap.tasks[0].stack);
        let frames: Vec<(&str, bool)> = st
            .frames
            .iter()
            .map(|&frames| {
                (
                    tables.func_name(tables.frame(frames).function),
                    tables.frame(frames).inlined,
                )
            })
            .collect();
        assert_eq!(
            frames,
            [
                ("app::inner", true),
                ("app::outer", false),
                ("0x55d5c1b2c400", false)
            ]
        );
        assert_eq!(st.elided, Some((2, 2)));
        // Only the unknown frame waits for the symbolizer.
        assert_eq!(tables.raw_addrs().len(), 1);
    }
}
