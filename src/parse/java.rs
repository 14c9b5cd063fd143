//! Java thread dumps: `jstack [-l]`, `jcmd PID Thread.print [-l]` and the
//! JVM's own SIGQUIT output, JDK 8 to 25 headers. Several dumps per file
//! (each starts at `Full thread dump`). Lock lines become stated lock
//! relations ([`crate::model::LockFact`]): monitors (`- locked`, `- waiting
//! to lock`, `- waiting on`), `java.util.concurrent` synchronizers
//! (`- parking to wait for` and `Locked ownable synchronizers:`). The
//! JVM's `Found one Java-level deadlock:` sections are kept to check the
//! wait-for graph against; their repeated stacks are not read as threads.

use super::native::{lines, snapshots, Block, Dump};
use crate::input::Bytes;
use crate::model::{
    CodeKind, LockFact, LockRel, ReportedDeadlock, Runtime, Snapshot, StateClass, SyncFacts,
    SyncKind, Tables,
};

pub const FORMAT: &str = "java-threads";

/// At most this many stated lock relations per dump.
const MAX_FACTS: usize = 1 << 20;

/// Where a Java dump line starts, for log-prefix detection.
pub fn find_header(line: &[u8]) -> Option<usize> {
    if let Some(i) = memchr::memmem::find(line, b"Full thread dump ") {
        return Some(i);
    }
    if let Some(i) = memchr::memmem::find(line, b"java.lang.Thread.State: ") {
        let pad = line[..i].iter().rev().take_while(|c| **c == b' ').count();
        return Some(i - pad);
    }
    let q = memchr::memchr(b'"', line)?;
    let rest = line.get(q..)?;
    (memchr::memmem::find(rest, b" nid=").is_some()
        && memchr::memmem::find(rest, b" tid=").is_some())
    .then_some(q)
}

/// How sure we are that `text` is a Java thread dump.
pub fn detect(text: &[u8]) -> f32 {
    let head = &text[..text.len().min(1 << 20)];
    let has = |n: &[u8]| memchr::memmem::find(head, n).is_some();
    if has(b"java.lang.Thread.State: ") {
        return if has(b"Full thread dump ") { 0.97 } else { 0.9 };
    }
    if has(b"Full thread dump ") {
        return 0.8;
    }
    let plain = head
        .split(|c| *c == b'\n')
        .take(5000)
        .filter(|l| std::str::from_utf8(l).ok().and_then(plain_header).is_some())
        .take(2)
        .count();
    if plain >= 2 && has(b"    at ") {
        return 0.85;
    }
    let headers = head
        .split(|c| *c == b'\n')
        .filter(|l| find_header(l).is_some())
        .take(3)
        .count();
    match headers {
        0 => 0.0,
        1 => 0.4,
        _ => 0.7,
    }
}

/// A thread header: `"name" #12 [4242] daemon prio=5 os_prio=0 cpu=1.2ms
/// elapsed=3.4s tid=0x... nid=0x10a2 waiting on condition  [0x...]`.
struct Header<'a> {
    name: &'a str,
    number: Option<u64>,
    nid: Option<u64>,
    /// What follows `nid=`: `waiting for monitor entry`, `runnable`, ...
    status: &'a str,
}

fn header(s: &str) -> Option<Header<'_>> {
    let body = s.strip_prefix('"')?;
    // The name ends at the last quote that is followed by a header field.
    let mut end = None;
    for (i, _) in body.match_indices('"') {
        let after = &body[i + 1..];
        if after.starts_with(" #")
            || after.starts_with(" daemon")
            || after.starts_with(" prio=")
            || after.starts_with(" os_prio=")
            || after.starts_with(" [")
            || after.starts_with(" Id=")
        {
            end = Some(i);
        }
    }
    let end = end?;
    let name = &body[..end];
    let rest = &body[end + 1..];
    if !(rest.contains("tid=") || rest.contains("nid=") || rest.contains("prio=")) {
        return None;
    }
    let number = rest
        .split_ascii_whitespace()
        .find_map(|w| w.strip_prefix('#'))
        .and_then(|n| n.parse().ok());
    let mut nid = None;
    let mut status = "";
    if let Some(i) = rest.find(" nid=") {
        let after = &rest[i + 5..];
        let (word, tail) = after.split_once(' ').unwrap_or((after, ""));
        nid = match word.strip_prefix("0x") {
            Some(h) => u64::from_str_radix(h, 16).ok(),
            None => word.parse().ok(),
        };
        // The status runs up to the stack address `[0x...]`, if any.
        let tail = tail.trim();
        status = match tail
            .rfind(" [0x")
            .or_else(|| tail.starts_with("[0x").then_some(0))
        {
            Some(j) => tail[..j].trim(),
            None => tail,
        };
    }
    if nid.is_none() {
        // JDK 19+ may print the OS thread id in brackets: `#12 [4242]`.
        nid = rest
            .split_ascii_whitespace()
            .find_map(|w| w.strip_prefix('[').and_then(|w| w.strip_suffix(']')))
            .and_then(|n| n.parse().ok());
    }
    Some(Header {
        name,
        number,
        nid,
        status,
    })
}

/// A thread of `jcmd PID Thread.dump_to_file -format=text` (JDK 21+):
/// `#26 "vt-order-1" virtual WAITING 2026-12-07T02:34:01.780597802Z`.
fn plain_header(s: &str) -> Option<(u64, &str, &str)> {
    let rest = s.strip_prefix('#')?;
    let (id, rest) = rest.split_once(" \"")?;
    let id = id.parse().ok()?;
    let (name, rest) = rest.rsplit_once("\" ")?;
    let mut words = rest.split_ascii_whitespace();
    let mut state = words.next()?;
    if state == "virtual" {
        state = words.next()?;
    }
    if !state.bytes().all(|c| c.is_ascii_uppercase() || c == b'_') {
        return None;
    }
    Some((id, name, state))
}

/// A lock line under a frame: `- locked <0x...> (a java.lang.Object)`.
fn lock_line(s: &str) -> Option<(&str, u64, &str)> {
    let body = s.trim_start().strip_prefix("- ")?;
    let lt = body.find('<')?;
    let verb = body[..lt].trim();
    let gt = body[lt..].find('>')? + lt;
    let inner = &body[lt + 1..gt];
    // `Thread.dump_to_file` prints `<Class@identityhash>`.
    if let Some((class, _)) = inner.rsplit_once('@') {
        return Some((verb, object_key(inner)?, class));
    }
    let addr = inner.strip_prefix("0x")?;
    let addr = u64::from_str_radix(addr, 16).ok()?;
    let class = body[gt + 1..]
        .trim()
        .strip_prefix("(a ")
        .and_then(|c| c.strip_suffix(')'))
        .unwrap_or("");
    Some((verb, addr, class))
}

/// The identity of an object printed as `Class@identityhash` (JDK 21+
/// thread dumps): its hash, which the JVM keeps for the object's life.
fn object_key(s: &str) -> Option<u64> {
    let (_, hash) = s.rsplit_once('@')?;
    u64::from_str_radix(hash, 16).ok().filter(|h| *h != 0)
}

/// The kind of a `java.util.concurrent` synchronizer from its class, and
/// whether a thread parked on it waits to acquire it (rather than for a
/// signal).
fn juc_kind(class: &str) -> (SyncKind, bool) {
    if class.contains("ReentrantReadWriteLock") || class.contains("StampedLock") {
        (SyncKind::RwLock, true)
    } else if class.contains("ReentrantLock") {
        (SyncKind::Mutex, true)
    } else if class.contains("ConditionObject") {
        (SyncKind::Cond, false)
    } else if class.contains("CountDownLatch")
        || class.contains("CyclicBarrier")
        || class.contains("Phaser")
    {
        (SyncKind::Latch, false)
    } else if class.contains("Semaphore") {
        (SyncKind::Semaphore, true)
    } else if class.contains("Future") || class.contains("CompletableFuture") {
        (SyncKind::Future, false)
    } else if class.contains("Queue") || class.contains("Exchanger") {
        (SyncKind::Queue, false)
    } else {
        (SyncKind::Other, false)
    }
}

/// A frame as jstack prints it after `at ` (`pkg.Class.method(File.java:42)`,
/// `(java.base@17/Thread.java:840)`, `(Native Method)`) or as a JSON thread
/// dump lists it (`java.base/java.lang.Thread.sleep(Unknown Source)`).
fn java_frame(t: &mut Tables, at: &str) -> crate::model::FrameId {
    let (func, src) = match (at.rfind('('), at.ends_with(')')) {
        (Some(p), true) => (&at[..p], &at[p + 1..at.len() - 1]),
        _ => (at, ""),
    };
    let src = src.rsplit('/').next().unwrap_or(src);
    let func = strip_module(func);
    let (file, line) = match src.rsplit_once(':') {
        Some((f, l)) => (f, l.parse().unwrap_or(0)),
        None if src.ends_with(".java") || src.ends_with(".kt") => (src, 0),
        None => ("", 0),
    };
    super::native::source_frame(t, func, split_java, file, line, false)
}

/// `java.base/java.lang.Thread.sleep` → `java.lang.Thread.sleep` (the
/// module prefix of JDK 21+ dumps); a hidden class's `$$Lambda/0x...` keeps
/// its slash.
fn strip_module(func: &str) -> &str {
    match func.split_once('/') {
        Some((m, rest)) if !m.contains('$') && !rest.starts_with("0x") && rest.contains('.') => {
            rest.trim_start_matches('/')
        }
        _ => func,
    }
}

/// Splits `pkg.Class.method` into `(package, class, method, kind)`.
fn split_java(full: &str) -> (String, Option<String>, String, CodeKind) {
    let (class_path, method) = full.rsplit_once('.').unwrap_or(("", full));
    let (package, class) = match class_path.rsplit_once('.') {
        Some((p, c)) => (p, c),
        None => ("", class_path),
    };
    let kind = if full.starts_with("jdk.internal.") || full.starts_with("sun.misc.Unsafe") {
        CodeKind::Runtime
    } else if [
        "java.", "javax.", "jdk.", "sun.", "com.sun.", "kotlin.", "scala.",
    ]
    .iter()
    .any(|p| full.starts_with(p))
    {
        CodeKind::Stdlib
    } else {
        CodeKind::User
    };
    (
        package.to_string(),
        (!class.is_empty()).then(|| class.to_string()),
        method.to_string(),
        kind,
    )
}

/// Threads the JVM runs for itself.
fn is_jvm_thread(name: &str) -> bool {
    const EXACT: &[&str] = &[
        "VM Thread",
        "Reference Handler",
        "Finalizer",
        "Signal Dispatcher",
        "Service Thread",
        "Monitor Deflation Thread",
        "Notification Thread",
        "Common-Cleaner",
        "Attach Listener",
        "VM Periodic Task Thread",
        "Sweeper thread",
        "Surrogate Locker Thread (Concurrent GC)",
        "JFR Recorder Thread",
        "JFR Periodic Tasks",
    ];
    EXACT.contains(&name)
        || name.starts_with("GC Thread#")
        || name.starts_with("G1 ")
        || name.starts_with("C1 CompilerThread")
        || name.starts_with("C2 CompilerThread")
        || name.starts_with("Gang worker#")
        || name.starts_with("VM JFR")
        || name.starts_with("ZGC ")
        || name.starts_with("Shenandoah")
        || name.starts_with("CMS ")
}

/// The state as printed on the `java.lang.Thread.State:` line, as a static
/// string, and its class.
fn state_of(s: &str) -> (&'static str, StateClass) {
    const KNOWN: &[(&str, StateClass)] = &[
        ("RUNNABLE", StateClass::Running),
        ("BLOCKED (on object monitor)", StateClass::Lock),
        ("WAITING (on object monitor)", StateClass::Sync),
        ("WAITING (parking)", StateClass::Sync),
        ("TIMED_WAITING (sleeping)", StateClass::Sleep),
        ("TIMED_WAITING (on object monitor)", StateClass::Sync),
        ("TIMED_WAITING (parking)", StateClass::Sync),
        ("NEW", StateClass::Other),
        ("TERMINATED", StateClass::Other),
        ("BLOCKED", StateClass::Lock),
        ("WAITING", StateClass::Sync),
        ("TIMED_WAITING", StateClass::Sync),
    ];
    let s = s.trim();
    KNOWN
        .iter()
        .find(|(k, _)| *k == s)
        .or_else(|| KNOWN.iter().find(|(k, _)| s.starts_with(k)))
        .map_or(("unknown", StateClass::Other), |(k, c)| (*k, *c))
}

/// Frames a worker of a pool sits in when it has nothing to do.
const IDLE_FRAMES: &[&str] = &[
    "java.util.concurrent.ThreadPoolExecutor.getTask",
    "java.util.concurrent.ScheduledThreadPoolExecutor$DelayedWorkQueue.take",
    "java.util.concurrent.ForkJoinPool.awaitWork",
    "java.util.concurrent.ForkJoinPool.awaitQuiescence",
    "java.lang.ref.ReferenceQueue.remove",
    "java.lang.ref.Reference.waitForReferencePendingList",
];

/// Frames of a thread blocked in network or file IO although the JVM calls
/// it RUNNABLE.
fn is_io_frame(name: &str) -> bool {
    name.ends_with(".socketRead0")
        || name.ends_with(".socketAccept")
        || name.ends_with(".accept0")
        || name.ends_with("Net.accept")
        || name.ends_with("Net.poll")
        || name.ends_with("EPoll.wait")
        || name.ends_with("EPollArrayWrapper.epollWait")
        || name.ends_with(".epollWait")
        || name.ends_with("KQueue.poll")
        || name.ends_with("SocketDispatcher.read0")
        || name.ends_with("FileDispatcherImpl.read0")
        || name.ends_with("NioSocketImpl.park")
        || name.ends_with("PollSelectorImpl.poll")
        || name.ends_with(".readBytes")
}

struct Reader {
    t: Tables,
    dumps: Vec<Dump>,
    cur: Option<Block>,
    facts: Vec<LockFact>,
    reported: Vec<ReportedDeadlock>,
    /// In the ownable synchronizers list of the current thread.
    ownable: bool,
    /// In a `Found one Java-level deadlock:` section: the report being read,
    /// and whether its repeated stacks are being skipped.
    deadlock: Option<ReportedDeadlock>,
    skipping: bool,
    blocks: Vec<Block>,
    /// The last wait read in a deadlock section, and the holders the
    /// sections name: `(holder, address, kind, class, line)`.
    pending: Option<(u64, SyncKind, String)>,
    held_by: Vec<(String, u64, SyncKind, String, u32)>,
    start: u64,
    /// The time line before the current dump's `Full thread dump`, and the
    /// time of every dump read.
    pending_time: Option<f64>,
    cur_time: Option<f64>,
    times: Vec<Option<f64>>,
    /// The thread number or nid of every thread so far, to number threads
    /// without either.
    next_id: u64,
}

impl Reader {
    fn end_block(&mut self) {
        self.ownable = false;
        if let Some(b) = self.cur.take() {
            self.blocks.push(b);
        }
    }

    fn end_dump(&mut self, end: u64) {
        self.end_block();
        self.end_report();
        if self.blocks.is_empty() {
            self.facts.clear();
            self.reported.clear();
            self.start = end;
            return;
        }
        for (holder, addr, kind, class, line) in std::mem::take(&mut self.held_by) {
            let Some(task) = self
                .blocks
                .iter()
                .position(|b| b.name.as_deref() == Some(holder.as_str()))
            else {
                continue;
            };
            let task = task as u32;
            if self
                .facts
                .iter()
                .any(|f| f.task == task && f.addr == addr && f.rel == LockRel::Holds)
            {
                continue;
            }
            let class = self.t.intern(&class);
            self.facts.push(LockFact {
                task,
                rel: LockRel::Holds,
                kind,
                addr,
                class,
                frame: u16::MAX,
                line,
            });
        }
        let mut blocks = std::mem::take(&mut self.blocks);
        for (i, b) in blocks.iter_mut().enumerate() {
            classify(&self.t, b, i as u32, &self.facts);
        }
        self.times.push(self.cur_time);
        self.dumps.push(Dump::threads(
            FORMAT,
            Runtime::Java,
            blocks,
            (self.start, end),
            SyncFacts {
                locks: std::mem::take(&mut self.facts),
                deadlocks: std::mem::take(&mut self.reported),
            },
        ));
        self.start = end;
    }

    fn end_report(&mut self) {
        if let Some(r) = self.deadlock.take() {
            // Bounded: each report is matched against the threads later.
            if !r.names.is_empty() && self.reported.len() < 1024 {
                self.reported.push(r);
            }
        }
        self.skipping = false;
    }

    fn fact(&mut self, rel: LockRel, kind: SyncKind, addr: u64, class: &str, line: u32) {
        let Some(b) = self.cur.as_ref() else { return };
        if self.facts.len() >= MAX_FACTS {
            return;
        }
        let frame = if rel == LockRel::Holds && self.ownable {
            u16::MAX
        } else {
            b.frames.len().saturating_sub(1).min(u16::MAX as usize - 1) as u16
        };
        let class = self.t.intern(class);
        self.facts.push(LockFact {
            task: self.blocks.len() as u32,
            rel,
            kind,
            addr,
            class,
            frame,
            line,
        });
    }
}

/// A wait in the JVM's deadlock section: `waiting to lock monitor 0x...
/// (object 0x..., a java.lang.Object),` or `waiting for ownable synchronizer
/// 0x..., (a java.util.concurrent.locks.ReentrantLock$NonfairSync),`.
fn section_wait(s: &str) -> Option<(u64, SyncKind, String)> {
    let hex = |w: &str| {
        let w = w.trim_end_matches(',');
        u64::from_str_radix(w.strip_prefix("0x")?, 16).ok()
    };
    let class_of = |rest: &str| {
        rest.split_once("a ")
            .map(|(_, c)| c.trim_end_matches([',', ')']).to_string())
            .unwrap_or_default()
    };
    if let Some(rest) = s.strip_prefix("waiting to lock monitor ") {
        let (_, obj) = rest.split_once("(object ")?;
        let addr = hex(obj.split_ascii_whitespace().next()?)?;
        return Some((addr, SyncKind::Monitor, class_of(obj)));
    }
    let rest = s.strip_prefix("waiting for ownable synchronizer ")?;
    let addr = hex(rest.split_ascii_whitespace().next()?)?;
    let class = class_of(rest);
    Some((addr, juc_kind(&class).0, class))
}

/// Sets a thread's class from its state, frames and stated waits.
fn classify(t: &Tables, b: &mut Block, index: u32, facts: &[LockFact]) {
    let name_of = |i: usize| {
        b.frames
            .get(i)
            .map(|f| t.str(t.function(t.frame(*f).function).full))
            .unwrap_or("")
    };
    if b.frames.is_empty() && b.name.as_deref().is_some_and(is_jvm_thread) {
        b.class = Some(StateClass::Runtime);
        return;
    }
    let class = b.class.unwrap_or(StateClass::Other);
    let class = match class {
        StateClass::Running if is_io_frame(name_of(0)) => StateClass::Io,
        StateClass::Sync
            if (0..b.frames.len().min(4))
                .any(|i| name_of(i).starts_with("java.lang.Thread.sleep")) =>
        {
            StateClass::Sleep
        }
        StateClass::Sync => {
            let idle = (0..b.frames.len().min(12)).any(|i| IDLE_FRAMES.contains(&name_of(i)));
            let locks = facts.iter().any(|f| {
                f.task == index && f.rel == LockRel::Acquires && f.kind != SyncKind::Semaphore
            });
            if idle {
                StateClass::Idle
            } else if locks {
                StateClass::Lock
            } else {
                StateClass::Sync
            }
        }
        c => c,
    };
    b.class = Some(if b.name.as_deref().is_some_and(is_jvm_thread) {
        StateClass::Runtime
    } else {
        class
    });
}

/// Reads every dump in `text`.
pub fn parse(text: Bytes, source: &str) -> Vec<Snapshot> {
    let mut r = new_reader();
    let mut end = 0u64;
    for (off, no, l) in lines(&text) {
        end = off + l.len() as u64;
        let s = l.trim_end();
        let trimmed = s.trim_start();
        if trimmed.starts_with("Full thread dump ") {
            r.end_dump(off);
            r.start = off;
            r.cur_time = r.pending_time.take();
            continue;
        }
        // `2026-12-07 02:33:48`: when the JVM wrote the next dump (its
        // local time: good for the time between dumps).
        if trimmed.len() == 19 && r.cur.is_none() {
            if let Some(t) = crate::input::parse_stamp(trimmed.as_bytes()) {
                r.pending_time = Some(t);
                continue;
            }
        }
        if trimmed.starts_with("Found one Java-level deadlock:")
            || trimmed.starts_with("Found a total of ")
        {
            r.end_block();
            r.end_report();
            r.deadlock = Some(ReportedDeadlock {
                names: Vec::new(),
                line: no,
            });
            continue;
        }
        if r.deadlock.is_some() || r.skipping {
            if trimmed.starts_with("Java stack information for the threads listed above") {
                r.skipping = true;
                continue;
            }
            if trimmed.starts_with("Found ") && trimmed.contains(" deadlock") {
                r.end_report();
                continue;
            }
            if !r.skipping {
                // `"name":` lines list the threads on the cycle.
                if let Some(name) = trimmed
                    .strip_prefix('"')
                    .and_then(|x| x.strip_suffix("\":"))
                {
                    if let Some(d) = r.deadlock.as_mut() {
                        if d.names.len() < 1024 {
                            d.names.push(name.to_string());
                        }
                    }
                } else if let Some(w) = section_wait(trimmed) {
                    r.pending = Some(w);
                } else if let Some(holder) = trimmed
                    .strip_prefix("which is held by \"")
                    .and_then(|x| x.strip_suffix('"'))
                {
                    // The section names owners even when the stacks do not
                    // (`jstack` without `-l`): stated holds, like the others.
                    if let Some((addr, kind, class)) = r.pending.take() {
                        if r.held_by.len() < 1024 {
                            r.held_by.push((holder.to_string(), addr, kind, class, no));
                        }
                    }
                }
            }
            continue;
        }
        if let Some((id, name, state)) = plain_header(s) {
            r.end_block();
            let mut b = Block::new(id, no, off);
            b.name = Some(name.to_string());
            let (state, class) = state_of(state);
            b.state = state;
            b.class = Some(class);
            r.cur = Some(b);
            continue;
        }
        if s.starts_with('"') {
            if let Some(h) = header(s) {
                r.end_block();
                let id = h.nid.or(h.number).unwrap_or_else(|| {
                    r.next_id += 1;
                    r.next_id
                });
                let mut b = Block::new(id, no, off);
                b.name = Some(h.name.to_string());
                // Threads without a state line (the JVM's own) are as the
                // header says.
                b.state = [
                    "runnable",
                    "waiting on condition",
                    "sleeping",
                    "in Object.wait()",
                    "waiting for monitor entry",
                ]
                .into_iter()
                .find(|k| h.status.starts_with(k))
                .unwrap_or("unknown");
                b.class = Some(if b.state == "runnable" {
                    StateClass::Running
                } else {
                    StateClass::Other
                });
                r.cur = Some(b);
                continue;
            }
        }
        let Some(b) = r.cur.as_mut() else {
            continue;
        };
        if let Some(st) = trimmed.strip_prefix("java.lang.Thread.State: ") {
            let (state, class) = state_of(st);
            b.state = state;
            b.class = Some(class);
            continue;
        }
        if let Some(at) = trimmed.strip_prefix("at ") {
            b.push(java_frame(&mut r.t, at));
            continue;
        }
        if trimmed.starts_with("Locked ownable synchronizers:") {
            r.ownable = true;
            continue;
        }
        if let Some((verb, addr, class)) = lock_line(trimmed) {
            let (rel, kind) = match verb {
                "" if r.ownable => {
                    let (k, _) = juc_kind(class);
                    (LockRel::Holds, k)
                }
                "locked" => (LockRel::Holds, SyncKind::Monitor),
                "waiting to lock" | "waiting to re-lock in wait()" => {
                    (LockRel::Acquires, SyncKind::Monitor)
                }
                "waiting on" => (LockRel::Awaits, SyncKind::Cond),
                "parking to wait for" => {
                    let (k, acquires) = juc_kind(class);
                    let queue = k == SyncKind::Cond
                        && b.frames.iter().take(12).any(|f| {
                            let n = r.t.str(r.t.function(r.t.frame(*f).function).full);
                            n.contains("BlockingQueue.take")
                                || n.contains("BlockingQueue.poll")
                                || n.contains("BlockingQueue.put")
                                || n.contains("BlockingDeque.take")
                        });
                    let k = if queue { SyncKind::Queue } else { k };
                    (
                        if acquires {
                            LockRel::Acquires
                        } else {
                            LockRel::Awaits
                        },
                        k,
                    )
                }
                _ => continue,
            };
            r.fact(rel, kind, addr, class, no);
            continue;
        }
        if trimmed.starts_with("- None") {
            continue;
        }
        if trimmed.is_empty() {
            continue;
        }
        // Anything else ends the thread (`JNI global refs`, heap summary).
        if !s.starts_with(char::is_whitespace) {
            r.end_block();
        }
    }
    r.end_dump(end);
    let dumps = std::mem::take(&mut r.dumps);
    let times = std::mem::take(&mut r.times);
    let mut snaps = snapshots(&text, source, r.t, dumps);
    for (s, t) in snaps.iter_mut().zip(times) {
        s.time_unix = t;
    }
    snaps
}

/// Detects `jcmd PID Thread.dump_to_file -format=json` (JDK 21+).
pub fn detect_json(text: &[u8]) -> f32 {
    let start = text.iter().position(|c| !c.is_ascii_whitespace());
    if start.and_then(|i| text.get(i)) != Some(&b'{') {
        return 0.0;
    }
    let head = &text[..text.len().min(4096)];
    if memchr::memmem::find(head, b"\"threadDump\"").is_some() {
        0.97
    } else {
        0.0
    }
}

pub const JSON_FORMAT: &str = "java-json";

/// Reads a JDK 21+ JSON thread dump: every thread of every container
/// (platform and virtual), with `blockedOn`, `waitingOn`, `parkBlocker` and
/// `monitorsOwned` as stated lock relations. Objects are `Class@hash`.
pub fn parse_json(text: &[u8], source: &str) -> Result<Vec<Snapshot>, String> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Root {
        thread_dump: Dump_,
    }
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Dump_ {
        #[serde(default)]
        thread_containers: Vec<Container>,
    }
    #[derive(serde::Deserialize)]
    struct Container {
        #[serde(default)]
        threads: Vec<Thread>,
    }
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Thread {
        tid: serde_json::Value,
        #[serde(default)]
        name: String,
        #[serde(default)]
        state: Option<String>,
        #[serde(default, rename = "virtual")]
        virtual_: Option<bool>,
        #[serde(default)]
        stack: Vec<String>,
        #[serde(default)]
        blocked_on: Option<String>,
        #[serde(default)]
        waiting_on: Option<String>,
        #[serde(default)]
        park_blocker: Option<Blocker>,
        #[serde(default)]
        monitors_owned: Vec<Owned>,
    }
    #[derive(serde::Deserialize)]
    struct Blocker {
        object: String,
    }
    #[derive(serde::Deserialize)]
    struct Owned {
        depth: usize,
        #[serde(default)]
        locks: Vec<Option<String>>,
    }
    let root: Root = serde_json::from_slice(text).map_err(|e| {
        format!(
            "not a JSON thread dump: {e} (line {}, column {})",
            e.line(),
            e.column()
        )
    })?;
    let mut r = new_reader();
    for th in root
        .thread_dump
        .thread_containers
        .iter()
        .flat_map(|c| c.threads.iter())
        .take(super::native::MAX_TASKS)
    {
        let id = match &th.tid {
            serde_json::Value::String(s) => s.parse().unwrap_or(0),
            v => v.as_u64().unwrap_or(0),
        };
        r.end_block();
        let mut b = Block::new(id, 0, 0);
        b.name = Some(th.name.clone());
        let (state, class) = state_of(th.state.as_deref().unwrap_or(""));
        b.state = state;
        b.class = Some(class);
        let _ = th.virtual_;
        r.cur = Some(b);
        for f in th.stack.iter().take(super::native::MAX_FRAMES) {
            let fr = java_frame(&mut r.t, f);
            if let Some(b) = r.cur.as_mut() {
                b.push(fr);
            }
        }
        let class_of = |o: &str| o.rsplit_once('@').map_or(o, |x| x.0).to_string();
        let mut facts: Vec<(LockRel, SyncKind, u64, String, u16)> = Vec::new();
        if let Some(o) = &th.blocked_on {
            if let Some(k) = object_key(o) {
                facts.push((LockRel::Acquires, SyncKind::Monitor, k, class_of(o), 0));
            }
        }
        if let Some(o) = &th.waiting_on {
            if let Some(k) = object_key(o) {
                facts.push((LockRel::Awaits, SyncKind::Cond, k, class_of(o), 0));
            }
        }
        if let Some(p) = &th.park_blocker {
            if let Some(k) = object_key(&p.object) {
                let class = class_of(&p.object);
                let (kind, acquires) = juc_kind(&class);
                let rel = if acquires {
                    LockRel::Acquires
                } else {
                    LockRel::Awaits
                };
                facts.push((rel, kind, k, class, 0));
            }
        }
        for m in &th.monitors_owned {
            for o in m.locks.iter().flatten() {
                if let Some(k) = object_key(o) {
                    let depth = u16::try_from(m.depth).unwrap_or(u16::MAX);
                    facts.push((LockRel::Holds, SyncKind::Monitor, k, class_of(o), depth));
                }
            }
        }
        for (rel, kind, addr, class, frame) in facts {
            if r.facts.len() >= MAX_FACTS {
                break;
            }
            let class = r.t.intern(&class);
            r.facts.push(LockFact {
                task: r.blocks.len() as u32,
                rel,
                kind,
                addr,
                class,
                frame,
                line: 0,
            });
        }
    }
    r.end_dump(text.len() as u64);
    let dumps = std::mem::take(&mut r.dumps);
    let mut snaps = snapshots(&Bytes::owned(text.to_vec()), source, r.t, dumps);
    for s in &mut snaps {
        s.format = JSON_FORMAT;
    }
    Ok(snaps)
}

fn new_reader() -> Reader {
    Reader {
        t: Tables::new(),
        dumps: Vec::new(),
        cur: None,
        facts: Vec::new(),
        reported: Vec::new(),
        ownable: false,
        deadlock: None,
        skipping: false,
        blocks: Vec::new(),
        pending: None,
        held_by: Vec::new(),
        start: 0,
        pending_time: None,
        cur_time: None,
        times: Vec::new(),
        next_id: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_of_every_jdk() {
        let h = header(r#""main" #1 prio=5 os_prio=0 cpu=45.12ms elapsed=2.03s tid=0x00007f2c6c028000 nid=0x1a2b waiting on condition  [0x00007f2c72a8e000]"#).expect("jdk 17");
        assert_eq!(h.name, "main");
        assert_eq!(h.number, Some(1));
        assert_eq!(h.nid, Some(0x1a2b));
        assert_eq!(h.status, "waiting on condition");
        let h = header(r#""worker "quoted" 1" #22 [4242] daemon prio=5 os_prio=0 cpu=1.00ms elapsed=3.40s tid=0x00007f0001 nid=4242 waiting for monitor entry  [0x00007f0002]"#).expect("jdk 21");
        assert_eq!(h.name, "worker \"quoted\" 1");
        assert_eq!(h.nid, Some(4242));
        assert_eq!(h.status, "waiting for monitor entry");
        let h = header(r#""VM Thread" os_prio=0 cpu=1.23ms elapsed=2.02s tid=0x00007f2c6c0b2800 nid=0x1a30 runnable  "#).expect("vm");
        assert_eq!(h.status, "runnable");
        let h = header(r#""pool-1-thread-1" #9 prio=5 os_prio=0 tid=0x00007f8b4c0f4800 nid=0x2b03 waiting on condition [0x00007f8b2d7f6000]"#).expect("jdk 8");
        assert_eq!(h.nid, Some(0x2b03));
        assert!(header(r#""just a quoted log line""#).is_none());
    }

    #[test]
    fn lock_lines() {
        assert_eq!(
            lock_line("- waiting to lock <0x000000071840e6c8> (a java.lang.Object)"),
            Some(("waiting to lock", 0x71840e6c8, "java.lang.Object"))
        );
        assert_eq!(
            lock_line("- parking to wait for  <0x00000007ff9c1b70> (a java.util.concurrent.locks.ReentrantLock$NonfairSync)").map(|x| x.0),
            Some("parking to wait for")
        );
        assert_eq!(
            lock_line(
                "- <0x00000007ff9c1b70> (a java.util.concurrent.locks.ReentrantLock$NonfairSync)"
            )
            .map(|x| x.0),
            Some("")
        );
        assert_eq!(lock_line("- None"), None);
        assert_eq!(
            lock_line("- waiting on <no object reference available>"),
            None
        );
    }
}
