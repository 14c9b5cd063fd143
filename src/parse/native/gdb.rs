//! gdb `thread apply all bt` / `bt full` (attached, from a core, without
//! libthread_db, wrapped by a terminal) and lldb `bt all`. Frames keep
//! their argument text, which the wait-for graph reads for mutex, rwlock,
//! condition and join addresses. A mutex's owner, when someone printed it
//! (`$2 = {__data = {__lock = 2, __count = 0, __owner = 14748, ...`), is a
//! stated lock relation; a join frame, recognised with the `pthread`
//! vocabulary ([`crate::model::vocab::pthread`]), waits for the thread
//! whose `pthread_t` (printed in its header) is the join's argument: a
//! relation recognised by frame name, as sure as a stated one.

use super::{addr_frame, hex_u64, named_frame};
use crate::input::Bytes;
use crate::model::vocab::pthread;
use crate::model::{
    AddrSpace, ArgSpan, Confidence, Crash, LockBasis, LockFact, LockRel, Runtime, SkipReason,
    Snapshot, StateClass, SyncFacts, SyncKind, Tables,
};
use crate::parse::format::{SnapshotFormat, SnapshotReader};
use crate::parse::threads::{lines, snapshots, Block, Dump, Ledger, LineUse, MAX_FRAMES};

/// The format id of gdb backtraces.
pub const FORMAT: &str = "gdb-threads";
/// The format id of lldb backtraces.
pub const LLDB_FORMAT: &str = "lldb-threads";

/// `Thread 4 (Thread 0x7f.. (LWP 14750) "auditor"):`, `Thread 4 (LWP 14750
/// "auditor"):`, `Thread 4 (Thread 0x7f.. (LWP 14750)):` (a core file).
struct Header<'a> {
    pthread: Option<u64>,
    lwp: Option<u64>,
    number: u64,
    name: Option<&'a str>,
}

fn header(s: &str) -> Option<Header<'_>> {
    let rest = s.strip_prefix("Thread ")?;
    let (num, rest) = rest.split_once(' ')?;
    let number = num.parse().ok()?;
    let inner = rest.strip_prefix('(')?.strip_suffix("):")?;
    let pthread = inner
        .strip_prefix("Thread 0x")
        .and_then(|x| x.split(' ').next())
        .and_then(|h| u64::from_str_radix(h, 16).ok());
    let lwp = inner
        .find("LWP ")
        .map(|i| &inner[i + 4..])
        .map(|x| x.bytes().take_while(u8::is_ascii_digit).count())
        .and_then(|n| {
            let from = inner.find("LWP ")? + 4;
            inner.get(from..from + n)?.parse().ok()
        });
    let name = match (inner.find(" \""), inner.rfind('"')) {
        (Some(a), Some(b)) if b > a + 1 => Some(&inner[a + 2..b]),
        _ => None,
    };
    Some(Header {
        pthread,
        lwp,
        number,
        name,
    })
}

/// A gdb frame line `#N  [0xADDR in ]func (args) [at file:line | from lib]`:
/// `(n, addr, func, args range in s, file, line, module)`.
struct GdbFrame<'a> {
    n: u64,
    addr: Option<u64>,
    func: &'a str,
    args: Option<(usize, usize)>,
    file: &'a str,
    line: u32,
    module: &'a str,
}

fn gdb_frame(s: &str) -> Option<GdbFrame<'_>> {
    let numbered = s.strip_prefix('#')?;
    let digits = numbered.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || !numbered[digits..].starts_with(' ') {
        return None;
    }
    let number = numbered[..digits].parse().ok()?;
    let mut body = numbered[digits..].trim_start();
    let mut start = s.len() - body.len();
    let mut addr = None;
    if body.starts_with("0x") {
        let (hex_addr, rest) = body.split_once(" in ")?;
        addr = hex_u64(hex_addr);
        start += hex_addr.len() + 4;
        body = rest;
    }
    // The tail: ` at file:line` or ` from /lib/...`.
    let (mut file, mut line, mut module) = ("", 0u32, "");
    let mut end = body.len();
    if let Some(at) = body.rfind(" at ") {
        let pos = &body[at + 4..];
        if let Some((path, line_no)) = pos.rsplit_once(':') {
            if let Ok(line_no) = line_no.parse() {
                file = path;
                line = line_no;
                end = at;
            }
        }
    }
    if end == body.len() {
        if let Some(at) = body.rfind(" from ") {
            module = &body[at + 6..];
            end = at;
        }
    }
    let head = body[..end].trim_end();
    // The argument list: the last balanced `( ... )`.
    let mut args = None;
    let mut func = head;
    if head.ends_with(')') {
        let mut depth = 0i32;
        for (i, c) in head.char_indices().rev() {
            match c {
                ')' => depth += 1,
                '(' => {
                    depth -= 1;
                    if depth == 0 {
                        func = head[..i].trim_end();
                        args = Some((start + i + 1, start + head.len() - 1));
                        break;
                    }
                }
                _ => {}
            }
        }
    }
    if func.is_empty() {
        return None;
    }
    Some(GdbFrame {
        n: number,
        addr,
        func,
        args,
        file,
        line,
        module,
    })
}

/// An lldb frame: `frame #3: 0x... module`func(args) at file:line:col`:
/// `(number, address, function, file, line, module, argument range in the
/// line, inlined)`. An inlined frame reads `module`caller [inlined]
/// callee(args) at ...`: its function is the callee.
type LldbFrame<'a> = (
    u64,
    Option<u64>,
    String,
    &'a str,
    u32,
    &'a str,
    Option<(usize, usize)>,
    bool,
);

fn lldb_frame(s: &str) -> Option<LldbFrame<'_>> {
    let numbered = s
        .trim_start()
        .trim_start_matches("* ")
        .strip_prefix("frame #")?;
    let (number, rest) = numbered.split_once(": ")?;
    let number = number.parse().ok()?;
    let (addr, rest) = rest.split_once(' ').unwrap_or((rest, ""));
    let addr = hex_u64(addr);
    let (module, rest) = rest.split_once('`').unwrap_or(("", rest));
    let (rest, inlined) = match rest.split_once(" [inlined] ") {
        Some((_, callee)) => (callee, true),
        None => (rest, false),
    };
    let (sym, file, line) = match rest.rfind(" at ") {
        Some(i) => {
            let pos = &rest[i + 4..];
            let mut parts = pos.split(':');
            let file = parts.next().unwrap_or("");
            let line = parts.next().and_then(|l| l.parse().ok()).unwrap_or(0);
            (&rest[..i], file, line)
        }
        None => (rest, "", 0),
    };
    // `func(args)`, `Type::method(args) const` or `func + 12`; the name
    // without its arguments and qualifiers.
    let sym = sym.split(" + ").next().unwrap_or(sym);
    let (name, args) = match (sym.find('('), closing_paren(sym)) {
        (Some(i), Some(close)) if !sym[..i].ends_with("operator") && close > i => {
            // Offsets of the argument text within `s` (`sym` is a slice of it).
            let at = sym.as_ptr() as usize - s.as_ptr() as usize;
            (&sym[..i], Some((at + i + 1, at + close)))
        }
        _ => (sym, None),
    };
    // A function of the anonymous namespace prints as `::report`.
    let name = name.strip_prefix("::").unwrap_or(name);
    Some((
        number,
        addr,
        name.to_string(),
        file,
        line,
        module,
        args,
        inlined,
    ))
}

/// Where the argument list that opens at the first `(` of `sym` closes.
fn closing_paren(sym: &str) -> Option<usize> {
    let open = sym.find('(')?;
    let mut depth = 0i32;
    for (i, c) in sym[open..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(open + i);
                }
            }
            _ => {}
        }
    }
    None
}

/// How sure we are that `text` is gdb or lldb output.
pub fn detect(text: &[u8]) -> f32 {
    let head = &text[..text.len().min(256 << 10)];
    let (mut headers, mut frames, mut lldb) = (0, 0, 0);
    for l in head.split(|&c| c == b'\n').take(20_000) {
        let line = String::from_utf8_lossy(l);
        let line = line.trim_end();
        // A session's stop (`Program received signal SIGSEGV, ...`)
        // announces the `bt` that follows as a header does.
        if header(line).is_some() || stop_line(line).is_some() {
            headers += 1;
        } else if gdb_frame(line).is_some_and(|f| f.args.is_some() || !f.module.is_empty()) {
            frames += 1;
        } else if line.trim_start().starts_with("* thread #") || line.starts_with("  thread #") {
            lldb += 1;
        }
    }
    if headers >= 1 && frames >= 1 {
        0.95
    } else if lldb >= 1 && memchr::memmem::find(head, b"frame #").is_some() {
        0.9
    } else {
        0.0
    }
}

/// Where a gdb or lldb line starts, for log-prefix detection.
pub fn find_header(line: &[u8]) -> Option<usize> {
    // Finders built once: this runs on every line while an input's dumps
    // are looked for.
    static THREAD: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"Thread "));
    static STOP: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"Program received signal SIG"));
    let text = std::str::from_utf8(line).ok()?.trim_end();
    if let Some(start) = THREAD.find(text.as_bytes()) {
        if header(&text[start..]).is_some() || stop_line(&text[start..]).is_some() {
            return Some(start);
        }
    }
    if let Some(start) = STOP.find(text.as_bytes()) {
        return Some(start);
    }
    lldb_start(text)
}

/// Where an lldb thread or frame line starts (`* thread #1, name = ...`,
/// `    frame #0: 0x...`), its indentation and `* ` marker included, for
/// log-prefix detection.
fn lldb_start(text: &str) -> Option<usize> {
    let numbered = |at: usize, word: &str| {
        text[at + word.len()..]
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_digit())
    };
    let at = match (text.find("thread #"), text.find("frame #")) {
        (Some(at), _) if numbered(at, "thread #") => at,
        (_, Some(at)) if numbered(at, "frame #") && lldb_frame(&text[at..]).is_some() => at,
        _ => return None,
    };
    let mut start = at;
    if text[..start].ends_with("* ") {
        start -= 2;
    }
    Some(text[..start].trim_end_matches(' ').len())
}

/// A thread joined by another: it is the one whose `pthread_t` (from its
/// header) a join frame names, and it holds that join (its own end).
fn add_joined(
    tables: &mut Tables,
    blocks: &[Block],
    pthreads: &[Option<u64>],
    facts: &mut Vec<LockFact>,
) {
    for (task, pthread_id) in pthreads.iter().enumerate() {
        let Some(pthread_id) = pthread_id else {
            continue;
        };
        let joined = facts
            .iter()
            .any(|fact| fact.kind == SyncKind::Join && fact.addr == *pthread_id);
        if joined {
            let class = tables.intern(pthread::JOIN_CLASS);
            facts.push(LockFact {
                task: task as u32,
                rel: LockRel::Holds,
                kind: SyncKind::Join,
                addr: *pthread_id,
                class,
                frame: u16::MAX,
                line: blocks.get(task).map_or(0, |block| block.line),
                basis: LockBasis::FrameName,
                confidence: pthread::JOIN_CONFIDENCE,
            });
        }
    }
}

struct Reader {
    t: Tables,
    blocks: Vec<Block>,
    cur: Option<Block>,
    dumps: Vec<Dump>,
    facts: Vec<LockFact>,
    /// `pthread_t` of each block, for joins.
    pthreads: Vec<Option<u64>>,
    start: u64,
    lldb: bool,
    /// A thread printed again after the stacks (owner printouts): its
    /// index, and the last mutex address selected or printed there.
    revisit: Option<usize>,
    last_ptr: Option<u64>,
    /// A wrapped frame line waiting for its continuation.
    wrapped: Option<(String, u64, u32)>,
    /// `__owner` printouts: `(mutex, owner LWP, line)`.
    owners: Vec<(u64, u64, u32)>,
    /// The stop the session reported (`Program received signal SIGSEGV,
    /// ...`, `Thread 2 "name" received signal ...`): its line, and the
    /// thread it names (gdb's thread number, then the LWP of a following
    /// `[Switching to Thread 0x.. (LWP n)]`).
    signal: Option<Stop>,
    /// Where the lines since the last dump went.
    lines: Ledger,
}

/// A stop gdb reported before a `bt`: the process received a signal.
struct Stop {
    message: String,
    thread: Option<u64>,
    lwp: Option<u64>,
    /// The thread's name, from `Thread 2 "name" received signal`.
    name: Option<String>,
    /// The signal is a crash, not the debugger's or the user's stop.
    fatal: bool,
}

/// `Program received signal SIGSEGV, Segmentation fault.` or `Thread 2
/// "worker" received signal SIGABRT, Aborted.`: the stop, with the thread
/// it names.
fn stop_line(line: &str) -> Option<Stop> {
    if !(line.starts_with("Program ") || line.starts_with("Thread ")) {
        return None;
    }
    let at = line.find(" received signal SIG")?;
    let who = &line[..at];
    let (thread, name) = match who.strip_prefix("Thread ") {
        Some(rest) => {
            let (number, rest) = rest.split_once(' ').unwrap_or((rest, ""));
            let name = rest
                .trim()
                .strip_prefix('"')
                .and_then(|n| n.strip_suffix('"'))
                .map(str::to_string);
            (Some(number.parse().ok()?), name)
        }
        None if who == "Program" => (None, None),
        None => return None,
    };
    Some(Stop {
        message: line.trim().to_string(),
        thread,
        lwp: None,
        name,
        fatal: fatal_signal(&line[at + 17..]),
    })
}

/// A signal that ends the process unless handled (a crash), as opposed
/// to the debugger's own stops (`SIGINT` from the keyboard, `SIGSTOP` on
/// attach, `SIGTRAP` at a breakpoint).
fn fatal_signal(text: &str) -> bool {
    const FATAL: &[&str] = &["SIGSEGV", "SIGBUS", "SIGABRT", "SIGFPE", "SIGILL", "SIGSYS"];
    FATAL.iter().any(|name| {
        text.strip_prefix(name)
            .is_some_and(|rest| !rest.starts_with(|c: char| c.is_ascii_alphanumeric()))
    })
}

/// The LWP of `[Switching to Thread 0x7f.. (LWP 19100)]`.
fn switching_lwp(line: &str) -> Option<u64> {
    let rest = line.strip_prefix("[Switching to ")?;
    let from = rest.find("LWP ")? + 4;
    let digits = rest[from..].bytes().take_while(u8::is_ascii_digit).count();
    rest.get(from..from + digits)?.parse().ok()
}

impl Reader {
    /// A gdb thread header: a new block, or, for a thread printed again
    /// after the stacks, the start of its owner printout.
    fn gdb_thread(&mut self, h: Header<'_>, no: u32, off: u64) {
        self.end_block();
        let id = h.lwp.unwrap_or(h.number);
        if let Some(index) = self.blocks.iter().position(|b| b.id == id) {
            self.revisit = Some(index);
            self.last_ptr = None;
            return;
        }
        self.revisit = None;
        let mut block = Block::new(id, no, off);
        block.name = h.name.map(str::to_string);
        self.pthreads.push(h.pthread);
        self.cur = Some(block);
    }

    /// lldb's `* thread #2, name = 'x', stop reason = ...`: a new block,
    /// unless the current one has no frames yet.
    fn lldb_thread(&mut self, rest: &str, no: u32, off: u64) {
        if self.cur.as_ref().is_some_and(|b| !b.frames.is_empty()) || self.cur.is_none() {
            let num: u64 = rest
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            let name = rest
                .find("name = '")
                .map(|i| &rest[i + 8..])
                .and_then(|x| x.split_once('\''))
                .map(|(n, _)| n.to_string());
            self.lldb = true;
            self.end_block();
            // lldb lists the threads' stop frames before `bt all`
            // prints them whole: the later listing wins.
            if let Some(index) = self.blocks.iter().position(|block| block.id == num) {
                self.blocks.remove(index);
                self.pthreads.remove(index);
            }
            if let Some(at) = rest.find("stop reason = signal ") {
                let signal = &rest[at + 21..];
                if fatal_signal(signal) && self.signal.is_none() {
                    self.signal = Some(Stop {
                        message: format!("thread #{}", rest.trim()),
                        thread: Some(num),
                        lwp: None,
                        name: name.clone(),
                        fatal: true,
                    });
                }
            }
            let mut block = Block::new(num, no, off);
            block.name = name;
            self.pthreads.push(None);
            self.cur = Some(block);
        }
    }

    /// A `bt` printed after a stop, without a thread header: the stopped
    /// thread's block, named by the stop.
    fn stopped_thread(&mut self, off: u64, no: u32) {
        let Some(stop) = self.signal.as_ref() else {
            return;
        };
        let id = stop.lwp.or(stop.thread).unwrap_or(1);
        if self.blocks.iter().any(|block| block.id == id) {
            return;
        }
        let mut block = Block::new(id, no, off);
        block.name = stop.name.clone();
        self.pthreads.push(None);
        self.cur = Some(block);
    }

    /// An lldb frame line, added to the current block.
    fn push_lldb_frame(&mut self, frame: LldbFrame<'_>, off: u64, no: u32) {
        let (number, addr, name, file, line, module, args, inlined) = frame;
        if let Some(block) = self.cur.as_mut() {
            if number == 0 && !block.frames.is_empty() {
                // The stop summary printed before `bt all`.
                block.frames.clear();
                block.args.clear();
                block.offset = off;
                block.line = no;
            }
            let frame_id = if name.starts_with("___lldb_unnamed_symbol") || name.is_empty() {
                match addr {
                    Some(a) => {
                        addr_frame(&mut self.t, module, "", a, AddrSpace::Absolute, number > 0)
                    }
                    None => named_frame(&mut self.t, &name, file, line, module, false),
                }
            } else {
                named_frame(&mut self.t, &name, file, line, module, inlined)
            };
            if block.frames.len() < MAX_FRAMES {
                block.frames.push(frame_id);
                block.args.push(match args {
                    Some((a, z)) => ArgSpan {
                        start: u32::try_from((off + a as u64).saturating_sub(block.offset))
                            .unwrap_or(0),
                        len: u32::try_from(z.saturating_sub(a)).unwrap_or(0),
                    },
                    None => ArgSpan::default(),
                });
            } else {
                block.partial = true;
            }
        }
    }

    /// A gdb value printout (`$1 = (pthread_mutex_t *) 0x5650`, `$2 =
    /// {__data = {... __owner = 14748, ...`): the mutex printed and its
    /// owner.
    fn printout(&mut self, s: &str, no: u32) {
        if let Some(at) = s.find("__owner = ") {
            let owner: String = s[at + 10..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if let (Ok(owner), Some(m)) = (owner.parse::<u64>(), self.last_ptr) {
                if owner != 0 && self.owners.len() < 4096 {
                    self.owners.push((m, owner, no));
                }
            }
        } else if let Some(ptr) = s.split_once(" = ").and_then(|(_, v)| first_addr(v)) {
            if s.contains("_t *)") || s.contains("mutex") {
                self.last_ptr = Some(ptr);
            }
        }
    }

    fn end_block(&mut self) {
        if let Some(block) = self.cur.take() {
            self.blocks.push(block);
        }
    }

    fn end_dump(&mut self, end: u64) {
        self.end_block();
        self.revisit = None;
        if self.blocks.is_empty() {
            self.start = end;
            return;
        }
        let mut blocks = std::mem::take(&mut self.blocks);
        let mut facts = std::mem::take(&mut self.facts);
        let pthreads = std::mem::take(&mut self.pthreads);
        for b in blocks.iter_mut() {
            classify(&self.t, b);
        }
        add_joined(&mut self.t, &blocks, &pthreads, &mut facts);
        for (mutex, lwp, line) in std::mem::take(&mut self.owners) {
            if let Some(task) = blocks.iter().position(|block| block.id == lwp) {
                let class = self.t.intern("pthread_mutex_t");
                facts.push(LockFact {
                    task: task as u32,
                    rel: LockRel::Holds,
                    kind: SyncKind::Mutex,
                    addr: mutex,
                    class,
                    frame: u16::MAX,
                    line,
                    basis: LockBasis::Stated,
                    confidence: Confidence::Certain,
                });
            }
        }
        let crash = self.signal.take().filter(|stop| stop.fatal).map(|stop| {
            let id = stop.lwp.or(stop.thread).unwrap_or(1);
            Crash {
                message: stop.message,
                task_id: blocks.iter().any(|block| block.id == id).then_some(id),
                ..Crash::default()
            }
        });
        let mut dump = Dump::threads(
            if self.lldb { LLDB_FORMAT } else { FORMAT },
            Runtime::Native,
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
            dump.crash = crash;
        }
        dump.lines = self.lines.take();
        self.dumps.push(dump);
        self.start = end;
    }

    fn push_frame(&mut self, s: &str, off: u64, no: u32) -> bool {
        let Some(frame) = gdb_frame(s) else {
            return false;
        };
        if self.revisit.is_some() {
            // An owner printout selects a frame again: remember its lock.
            if let Some((a, block)) = frame.args {
                self.last_ptr = s.get(a..block).and_then(first_addr).or(self.last_ptr);
            }
            return true;
        }
        if self.cur.is_none() && frame.n == 0 && self.signal.is_some() {
            self.stopped_thread(off, no);
        }
        let Some(block) = self.cur.as_mut() else {
            return false;
        };
        if frame.n == 0 && !block.frames.is_empty() {
            // `#0` again without a header: a second backtrace.
            return true;
        }
        let id = if frame.func == "??" {
            match frame.addr {
                Some(a) => addr_frame(
                    &mut self.t,
                    frame.module,
                    "",
                    a,
                    AddrSpace::Absolute,
                    frame.n > 0,
                ),
                None => named_frame(&mut self.t, "??", "", 0, frame.module, false),
            }
        } else {
            named_frame(
                &mut self.t,
                frame.func,
                frame.file,
                frame.line,
                frame.module,
                false,
            )
        };
        if pthread::is_join(frame.func) && self.facts.len() < 1 << 20 {
            if let Some(target) = frame.args.and_then(|(a, z)| join_target(s.get(a..z)?)) {
                let class = self.t.intern(pthread::JOIN_CLASS);
                self.facts.push(LockFact {
                    task: self.blocks.len() as u32,
                    rel: LockRel::Awaits,
                    kind: SyncKind::Join,
                    addr: target,
                    class,
                    frame: u16::try_from(block.frames.len()).unwrap_or(u16::MAX),
                    line: no,
                    basis: LockBasis::FrameName,
                    confidence: pthread::JOIN_CONFIDENCE,
                });
            }
        }
        let span = match frame.args {
            Some((a, z)) => {
                let abs = off + a as u64;
                ArgSpan {
                    start: u32::try_from(abs.saturating_sub(block.offset)).unwrap_or(0),
                    len: u32::try_from(z.saturating_sub(a)).unwrap_or(0),
                }
            }
            None => ArgSpan::default(),
        };
        if block.frames.len() < MAX_FRAMES {
            block.frames.push(id);
            block.args.push(span);
        } else {
            block.partial = true;
        }
        true
    }
}

/// The first address in an argument text: `mutex=0x5650 <account_a>`,
/// `futex=futex@entry=0x5650`.
fn first_addr(args: &str) -> Option<u64> {
    let at = args.find("0x")?;
    let digits: String = args[at + 2..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    u64::from_str_radix(&digits, 16).ok()
}

/// Joins name the joined thread by its `pthread_t`, in decimal or hex.
fn join_target(args: &str) -> Option<u64> {
    let value = args
        .split(',')
        .find_map(|a| a.trim().strip_prefix("threadid="))?;
    let value = value.split_whitespace().next()?;
    match value.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => value.parse().ok(),
    }
}

/// Sets a thread's state from its innermost frames and records joins.
fn classify(t: &Tables, b: &mut Block) {
    let (state, class) = {
        let names: Vec<&str> = b
            .frames
            .iter()
            .take(12)
            .map(|f| t.str(t.function(t.frame(*f).function).full))
            .collect();
        let has = |p: &[&str]| names.iter().any(|n| p.iter().any(|x| n.contains(x)));
        if has(&[
            "pthread_mutex_lock",
            "lll_lock_wait",
            "pthread_mutex_timedlock",
            "pthread_mutex_clocklock",
            "std::mutex::lock",
            "__gthread_mutex_lock",
            "mutex::futex::Mutex::lock",
        ]) {
            ("pthread_mutex_lock", StateClass::Lock)
        } else if has(&[
            "pthread_rwlock_wrlock",
            "pthread_rwlock_rdlock",
            "pthread_rwlock_timed",
        ]) {
            ("pthread_rwlock", StateClass::Lock)
        } else if has(&[
            "pthread_cond_wait",
            "pthread_cond_timedwait",
            "pthread_cond_clockwait",
            "condition_variable::wait",
        ]) {
            ("pthread_cond_wait", StateClass::Sync)
        } else if has(&[
            "pthread_join",
            "pthread_clockjoin",
            "pthread_timedjoin",
            "std::thread::join",
        ]) {
            ("pthread_join", StateClass::Sync)
        } else if has(&["sem_wait", "sem_timedwait", "pthread_barrier_wait"]) {
            ("sem_wait", StateClass::Sync)
        } else if has(&["nanosleep", "clock_nanosleep", "usleep"])
            || names
                .first()
                .is_some_and(|n| *n == "sleep" || n.ends_with("_sleep"))
        {
            ("sleep", StateClass::Sleep)
        } else if has(&[
            "epoll_wait",
            "__poll",
            "poll (",
            "select",
            "accept",
            "recv",
            "__libc_read",
            "__GI___libc_read",
            "read_nocancel",
        ]) || names.first().is_some_and(|n| {
            matches!(
                *n,
                "read" | "poll" | "ppoll" | "pause" | "__pause" | "epoll_pwait" | "accept4"
            )
        }) {
            ("syscall", StateClass::Syscall)
        } else if names.first().is_some_and(|n| n.contains("futex")) {
            ("futex wait", StateClass::Sync)
        } else {
            ("running", StateClass::Running)
        }
    };
    b.state = state;
    b.class = Some(class);
}

/// Reads every gdb or lldb dump in `text`.
pub fn parse(text: Bytes, source: &str) -> Vec<Snapshot> {
    let mut reader = Reader {
        t: Tables::new(),
        blocks: Vec::new(),
        cur: None,
        dumps: Vec::new(),
        facts: Vec::new(),
        pthreads: Vec::new(),
        start: 0,
        lldb: false,
        revisit: None,
        last_ptr: None,
        wrapped: None,
        owners: Vec::new(),
        signal: None,
        lines: Ledger::default(),
    };
    let mut end = 0u64;
    let mut done_dump = false;
    for (off, no, l) in lines(&text) {
        end = off + l.len() as u64;
        let what = read_line(&mut reader, &l, off, no, end, &mut done_dump);
        reader.lines.note(no, what);
    }
    if let Some((acc, aoff, ano)) = reader.wrapped.take() {
        flush_wrapped(&mut reader, &acc, aoff, ano);
    }
    reader.end_dump(end);
    let mut dumps = std::mem::take(&mut reader.dumps);
    std::mem::take(&mut reader.lines).finish(&mut dumps);
    snapshots(&text, source, reader.t, dumps)
}

/// Reads one line of a session (`end` is where it ends): what became of
/// it. `done_dump` is set after a detach.
fn read_line(
    reader: &mut Reader,
    l: &str,
    off: u64,
    no: u32,
    end: u64,
    done_dump: &mut bool,
) -> LineUse {
    let raw = l.trim_end();
    // A terminal wraps long frames: continuation lines are indented
    // (`    op=265, ...`, `    at ./file.c:57`, `   from /lib/...`).
    if let Some((mut acc, aoff, ano)) = reader.wrapped.take() {
        let cont = raw.starts_with("   ") && !raw.trim_start().starts_with('#');
        if cont && !raw.starts_with("        ") {
            let piece = raw.trim_start();
            if !acc.ends_with('(') && !acc.ends_with(' ') {
                acc.push(' ');
            }
            acc.push_str(piece);
            if frame_complete(&acc) {
                flush_wrapped(reader, &acc, aoff, ano);
            } else {
                reader.wrapped = Some((acc, aoff, ano));
            }
            return LineUse::Used;
        }
        flush_wrapped(reader, &acc, aoff, ano);
    }
    let line = raw;
    if line.starts_with("[Inferior ") && line.contains("detached]") {
        reader.end_dump(end);
        *done_dump = true;
        return LineUse::Used;
    }
    if (line.starts_with("[New LWP")
        || line.starts_with("[Thread debugging using")
        || line.starts_with("(lldb) process attach")
        || line.starts_with("Core was generated by"))
        && (*done_dump || !reader.blocks.is_empty() || reader.cur.is_some())
    {
        reader.end_dump(off);
        *done_dump = false;
        return LineUse::Used;
    }
    if let Some(stop) = stop_line(line) {
        reader.signal = Some(stop);
        return LineUse::Used;
    }
    if let Some(lwp) = switching_lwp(line) {
        if let Some(stop) = reader.signal.as_mut() {
            stop.lwp = Some(lwp);
        }
        return LineUse::Used;
    }
    if let Some(head) = header(line) {
        reader.gdb_thread(head, no, off);
        return LineUse::Used;
    }
    // lldb: `* thread #2, name = 'x', stop reason = ...`.
    let ts = line.trim_start().trim_start_matches("* ");
    if let Some(rest) = ts.strip_prefix("thread #") {
        reader.lldb_thread(rest, no, off);
        return LineUse::Used;
    }
    if let Some(frame) = lldb_frame(line) {
        reader.push_lldb_frame(frame, off, no);
        return LineUse::Used;
    }
    if line.starts_with('#') {
        if gdb_frame(line).is_some() && frame_complete(line) {
            reader.push_frame(line, off, no);
        } else if line.trim_end().ends_with('(')
            || line.trim_end().ends_with(',')
            || gdb_frame(line).is_some()
        {
            reader.wrapped = Some((line.to_string(), off, no));
        } else {
            // A `#` line that is no frame: a comment or a message.
            return LineUse::Skip(SkipReason::NotModelled);
        }
        return LineUse::Used;
    }
    // `$1 = (pthread_mutex_t *) 0x5650 <account_a>` and
    // `$2 = {__data = {__lock = 2, __count = 0, __owner = 14748, ...`.
    if line.starts_with('$') {
        reader.printout(line, no);
        return LineUse::Used;
    }
    LineUse::unused(line, SkipReason::NotModelled)
}

/// A frame line is complete when its parentheses balance.
fn frame_complete(s: &str) -> bool {
    let mut depth = 0i32;
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ => {}
        }
    }
    depth <= 0 && !s.ends_with(',')
}

/// A wrapped frame joined into one line: its arguments are not at their
/// places in the text any more, so it carries none.
fn flush_wrapped(r: &mut Reader, acc: &str, off: u64, no: u32) {
    if r.push_frame(acc, off, no) {
        if let Some(block) = r.cur.as_mut() {
            if let Some(last) = block.args.last_mut() {
                *last = ArgSpan::default();
            }
        }
    }
}

/// gdb and lldb thread backtraces as an input format.
pub const GDB_THREADS: SnapshotFormat = SnapshotFormat {
    id: FORMAT,
    aliases: &["gdb", "lldb", LLDB_FORMAT],
    help: "gdb `thread apply all bt [full]` and lldb `bt all`",
    expected: Some("gdb or lldb thread backtraces (`Thread 2 (Thread 0x... (LWP n))`)"),
    detect,
    reader: SnapshotReader::Text {
        anchor: find_header,
        parse,
    },
};
