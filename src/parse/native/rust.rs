//! Rust panics and backtraces: every panic header form (`panicked at 'msg',
//! file:l:c` before 1.73, `panicked at file:l:c:` then the message, and
//! `thread 'NAME' (TID) panicked` from 1.91), `RUST_BACKTRACE=1` and `=full`
//! frames (`0x... - <unknown>` when stripped), `[... omitted N frames ...]`,
//! several threads, and `std::backtrace::Backtrace` printed by a program.

use super::{addr_frame, named_frame, note_addr};
use crate::input::Bytes;
use crate::model::{
    AddrSpace, Crash, CrashDetail, PanicRecord, Runtime, RustCrash, Snapshot, StateClass, Tables,
    TaskKind, Warning,
};
use crate::parse::format::{Dumps, InputFormat, ParseOptions};
use crate::parse::threads::{lines, snapshots, Block, Dump};
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
    let p = memchr::memmem::find(line, b"thread '")?;
    memchr::memmem::find(&line[p..], b"' panicked at ")
        .or_else(|| memchr::memmem::find(&line[p..], b") panicked at "))
        .map(|_| p)
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
        let s = String::from_utf8_lossy(l);
        let s = s.trim_end();
        if HEADER.is_match(s) || s.ends_with("stack backtrace:") {
            panics += 1;
        } else if s.trim_start().starts_with("at ") && s.starts_with("    ") {
            ats += 1;
        } else if FRAME.is_match(s) && (s.contains("::") || s.contains(" - ")) {
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
    t: Tables,
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
}

impl Reader {
    fn flush_group(&mut self) {
        let Some(g) = self.group.take() else { return };
        let Some(b) = self.cur.as_mut() else { return };
        let n = g.syms.len();
        for (i, (func, file, line)) in g.syms.iter().enumerate() {
            if func == "<unknown>" {
                match g.addr {
                    Some(a) => b.push(addr_frame(
                        &mut self.t,
                        "",
                        "",
                        a,
                        AddrSpace::Absolute,
                        true,
                    )),
                    None => b.push(named_frame(&mut self.t, func, file, *line, "", false)),
                }
                continue;
            }
            let name = strip_rust_hash(func);
            let f = named_frame(&mut self.t, name, file, *line, "", i + 1 < n);
            // A function without a line, alone at its address: the
            // symbolizer may add its line and inlined frames.
            if let (Some(a), 1, 0) = (g.addr, n, *line) {
                note_addr(&mut self.t, f, "", a, AddrSpace::Absolute, true);
            }
            b.push(f);
        }
    }

    fn end_block(&mut self) {
        self.flush_group();
        if let Some(b) = self.cur.take() {
            if !b.frames.is_empty() || b.state == "panicked" {
                self.blocks.push(b);
            }
        }
    }

    fn start_block(&mut self, line: u32, offset: u64) -> &mut Block {
        self.end_block();
        self.next_id += 1;
        let mut b = Block::new(self.next_id, line, offset);
        b.class = Some(StateClass::Running);
        b.name = self.caption.take();
        self.cur.insert(b)
    }
}

/// Reads Rust panics and backtraces.
pub fn parse(text: Bytes, source: &str) -> Vec<Snapshot> {
    let mut r = Reader {
        t: Tables::new(),
        blocks: Vec::new(),
        cur: None,
        group: None,
        crash: Crash::default(),
        panics: Vec::new(),
        in_message: false,
        warnings: Vec::new(),
        next_id: 0,
        caption: None,
    };
    let mut end = 0u64;
    for (off, no, l) in lines(&text) {
        end = off + l.len() as u64;
        let s = l.trim_end();
        if let Some(c) = HEADER.captures(s) {
            r.in_message = false;
            let tid: Option<u64> = c.name("tid").and_then(|m| m.as_str().parse().ok());
            let name = c.name("name").map_or("", |m| m.as_str()).to_string();
            let loc = c
                .name("loc")
                .or_else(|| c.name("loc2"))
                .or_else(|| c.name("loc3"))
                .map_or("", |m| m.as_str())
                .to_string();
            let b = r.start_block(no, off);
            if let Some(tid) = tid {
                b.id = tid;
            }
            b.state = "panicked";
            b.name = Some(name.clone()).filter(|n| n != "<unnamed>");
            let id = b.id;
            let mut msg = format!("thread '{name}' panicked at {loc}");
            if let Some(m) = c.name("msg") {
                msg = format!("{msg}: {}", m.as_str());
            } else {
                r.in_message = c.name("loc2").is_some();
            }
            if r.panics.is_empty() {
                r.crash.task_id = Some(id);
            }
            r.panics.push(PanicRecord {
                message: msg,
                ..PanicRecord::default()
            });
            continue;
        }
        let trimmed = s.trim_start();
        if trimmed == "stack backtrace:" {
            r.in_message = false;
            if r.cur
                .as_ref()
                .is_none_or(|b| !b.frames.is_empty() || b.state != "panicked")
            {
                r.start_block(no, off);
            }
            continue;
        }
        if let Some(c) = FRAME.captures(s) {
            r.in_message = false;
            if r.cur.is_none() {
                r.start_block(no, off);
            }
            r.flush_group();
            let addr = c.name("addr").and_then(|m| super::hex_u64(m.as_str()));
            let func = c.name("func").map_or("", |m| m.as_str()).to_string();
            r.group = Some(AddrGroup {
                addr,
                syms: vec![(func, String::new(), 0)],
            });
            continue;
        }
        if let Some(c) = AT.captures(s) {
            if let Some(g) = r.group.as_mut() {
                if let Some(last) = g.syms.last_mut() {
                    last.1 = c.name("file").map_or("", |m| m.as_str()).to_string();
                    last.2 = c
                        .name("line")
                        .and_then(|m| m.as_str().parse().ok())
                        .unwrap_or(0);
                }
                continue;
            }
        }
        if let Some(c) = OMITTED.captures(s) {
            r.flush_group();
            if let Some(b) = r.cur.as_mut() {
                let n: u32 = c.get(1).and_then(|m| m.as_str().parse().ok()).unwrap_or(0);
                let at = b.frames.len() as u32;
                b.elided = Some(match b.elided {
                    Some((i, k)) => (i, k.saturating_add(n)),
                    None => (at, n),
                });
            }
            continue;
        }
        // An unnumbered continuation of `=full` output: another function
        // at the same address (the previous one was inlined into it).
        if r.group.is_some()
            && l.starts_with("      ")
            && !trimmed.is_empty()
            && !trimmed.starts_with("note:")
        {
            if let Some(g) = r.group.as_mut() {
                if g.syms.len() < 64 {
                    g.syms.push((trimmed.to_string(), String::new(), 0));
                }
            }
            continue;
        }
        if r.in_message && !trimmed.starts_with("note:") {
            if let Some(p) = r.panics.last_mut() {
                if p.message.len() < 4096 {
                    let sep = if p.message.ends_with(':') || p.message.contains(": ") {
                        "\n"
                    } else {
                        ": "
                    };
                    p.message.push_str(sep);
                    p.message.push_str(s);
                }
            }
            continue;
        }
        if trimmed.starts_with("note: ") {
            r.flush_group();
            continue;
        }
        // Anything else ends the backtrace being read; a short line may
        // name the next one.
        r.end_block();
        if !trimmed.is_empty() && trimmed.len() <= 200 {
            r.caption = Some(trimmed.trim_end_matches(':').to_string());
        }
        if trimmed.starts_with("fatal runtime error:")
            || trimmed.starts_with("thread caused non-unwinding panic")
        {
            r.panics.push(PanicRecord {
                message: trimmed.to_string(),
                ..PanicRecord::default()
            });
        }
    }
    r.end_block();
    if r.blocks.is_empty() {
        return Vec::new();
    }
    let panics = r.panics;
    let crash = (!panics.is_empty()).then(|| {
        let mut crash = r.crash;
        crash.message = panics
            .first()
            .map(|p| first_line(&p.message))
            .unwrap_or_default();
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
        blocks: r.blocks,
        crash,
        maps: Vec::new(),
        warnings: r.warnings,
        range: (0, end),
        truncated: false,
        sync: Default::default(),
    };
    snapshots(&text, source, r.t, vec![dump])
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or("").to_string()
}

/// The address of a `RUST_BACKTRACE=full` frame line, for `dumpscope
/// symbolize`.
pub fn line_addr(s: &str) -> Option<u64> {
    memchr::memmem::find(s.as_bytes(), b" - ")?;
    let c = FRAME.captures(s)?;
    super::hex_u64(c.name("addr")?.as_str())
}

/// `foo::bar::h0123456789abcdef` → `foo::bar` (Rust's legacy mangling
/// hash).
pub fn strip_rust_hash(name: &str) -> &str {
    match name.rsplit_once("::h") {
        Some((head, h)) if h.len() == 16 && h.bytes().all(|b| b.is_ascii_hexdigit()) => head,
        _ => name,
    }
}

/// Rust panics and backtraces as an input format.
pub struct RustBacktrace;

impl InputFormat for RustBacktrace {
    fn id(&self) -> &'static str {
        FORMAT
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["rust"]
    }

    fn help(&self) -> &'static str {
        "Rust panics and backtraces (`RUST_BACKTRACE=1` or `full`, `std::backtrace::Backtrace` output)"
    }

    fn expected(&self) -> Option<&'static str> {
        Some("a Rust panic or backtrace (`thread 'main' panicked at`, `stack backtrace:`)")
    }

    fn detect(&self, text: &[u8]) -> f32 {
        detect(text)
    }

    fn anchor(&self, line: &[u8]) -> Option<usize> {
        find_header(line)
    }

    fn parse(&self, text: Bytes, source: &str, _opts: &ParseOptions) -> Result<Dumps, String> {
        Ok(Dumps::of_snapshots(parse(text, source)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Snapshot {
        let mut v = parse(Bytes::owned(text.as_bytes().to_vec()), "t");
        assert_eq!(v.len(), 1, "{text}");
        v.remove(0)
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
            let s = read(&text);
            let c = s.crash.as_ref().expect("crash");
            assert_eq!(c.message, msg);
            assert_eq!(s.tasks.len(), 1);
            if let Some(tid) = tid {
                assert_eq!(s.tasks[0].id, tid);
            }
            let t = &s.tables;
            let st = t.stack(s.tasks[0].stack);
            let names: Vec<&str> = st
                .frames
                .iter()
                .map(|&f| t.func_name(t.frame(f).function))
                .collect();
            assert_eq!(names, ["app::check", "app::main"]);
            assert_eq!(t.frame(st.frames[1]).line, 12);
        }
    }

    #[test]
    fn omitted_frames_and_inlined_continuations_are_kept() {
        let text = "thread 'w' panicked at src/lib.rs:1:1:\nboom\nstack backtrace:\n   0:     0x55d5c1b2c3a1 - app::inner::h0123456789abcdef\n                               at ./src/lib.rs:3:5\n                           app::outer\n                               at ./src/lib.rs:9:5\n      [... omitted 2 frames ...]\n   3:     0x55d5c1b2c400 - <unknown>\n";
        let s = read(text);
        let t = &s.tables;
        let st = t.stack(s.tasks[0].stack);
        let f: Vec<(&str, bool)> = st
            .frames
            .iter()
            .map(|&f| (t.func_name(t.frame(f).function), t.frame(f).inlined))
            .collect();
        assert_eq!(
            f,
            [
                ("app::inner", true),
                ("app::outer", false),
                ("0x55d5c1b2c400", false)
            ]
        );
        assert_eq!(st.elided, Some((2, 2)));
        // Only the unknown frame waits for the symbolizer.
        assert_eq!(t.raw_addrs().len(), 1);
    }
}
