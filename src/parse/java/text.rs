//! jstack, `jcmd PID Thread.print [-l]` and the JVM's SIGQUIT output: the
//! text thread dumps, JDK 8 to 25 headers. Several dumps per file (each
//! starts at `Full thread dump`).

use super::reader::{
    header_state, java_frame, new_reader, object_key, state_of, Reader, Relation, SectionWait,
};
use crate::model::vocab::jvm;
use crate::model::{
    Bytes, FrameId, JavaTaskDetail, LockBasis, LockRel, ReportedDeadlock, SkipReason, Snapshot,
    SyncKind, Tables, TaskDetail, TaskKind,
};
use crate::parse::format::{SnapshotFormat, SnapshotReader};
use crate::parse::threads::{lines, snapshots, Block, LineUse};

/// The format id of Java text thread dumps.
pub const FORMAT: &str = "java-threads";

/// Where a Java dump line starts, for log-prefix detection.
pub fn find_header(line: &[u8]) -> Option<usize> {
    // Finders built once: this runs on every line while an input's dumps
    // are looked for.
    static FULL: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"Full thread dump "));
    static STATE: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"java.lang.Thread.State: "));
    if let Some(start) = FULL.find(line) {
        return Some(start);
    }
    if let Some(start) = STATE.find(line) {
        // jstack indents the line by three spaces; anything before them
        // is not the dump's.
        let pad = line[..start]
            .iter()
            .rev()
            .take(3)
            .take_while(|c| **c == b' ')
            .count();
        return Some(start - pad);
    }
    let quote = memchr::memchr(b'"', line)?;
    let rest = line.get(quote..)?;
    (memchr::memmem::find(rest, b" nid=").is_some()
        && memchr::memmem::find(rest, b" tid=").is_some())
    .then_some(quote)
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
    /// `daemon` before the fields.
    daemon: bool,
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
    if let Some(at) = rest.find(" nid=") {
        let after = &rest[at + 5..];
        let (word, tail) = after.split_once(' ').unwrap_or((after, ""));
        nid = match word.strip_prefix("0x") {
            Some(h) => u64::from_str_radix(h, 16).ok(),
            None => word.parse().ok(),
        };
        // The status runs up to the stack address `[0x...]`, if any, after
        // any further `key=value` fields (HP-UX's `lwp_id=`).
        let mut tail = tail.trim();
        while let Some((word, more)) = tail.split_once(' ') {
            if !word.contains('=') {
                break;
            }
            tail = more.trim_start();
        }
        if tail.contains('=') && !tail.contains(' ') {
            tail = "";
        }
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
    let daemon = rest
        .split_ascii_whitespace()
        .take_while(|word| !word.contains('='))
        .any(|word| word == "daemon");
    Some(Header {
        name,
        number,
        nid,
        daemon,
        status,
    })
}

/// A thread of `jcmd PID Thread.dump_to_file -format=text` (JDK 21+):
/// `#26 "vt-order-1" virtual WAITING 2026-12-07T02:34:01.780597802Z`:
/// `(id, name, state, virtual)`.
fn plain_header(s: &str) -> Option<(u64, &str, &str, bool)> {
    let rest = s.strip_prefix('#')?;
    let (id, rest) = rest.split_once(" \"")?;
    let id = id.parse().ok()?;
    let (name, rest) = rest.rsplit_once("\" ")?;
    let mut words = rest.split_ascii_whitespace();
    let mut state = words.next()?;
    let is_virtual = state == "virtual";
    if is_virtual {
        state = words.next()?;
    }
    if !state.bytes().all(|c| c.is_ascii_uppercase() || c == b'_') {
        return None;
    }
    Some((id, name, state, is_virtual))
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

/// A wait in the JVM's deadlock section: `waiting to lock monitor 0x...
/// (object 0x..., a java.lang.Object),` or `waiting for ownable synchronizer
/// 0x..., (a java.util.concurrent.locks.ReentrantLock$NonfairSync),`.
fn section_wait(s: &str) -> Option<SectionWait> {
    let hex = |word: &str| {
        let word = word.trim_end_matches(',');
        u64::from_str_radix(word.strip_prefix("0x")?, 16).ok()
    };
    let class_of = |rest: &str| {
        rest.split_once("a ")
            .map(|(_, c)| c.trim_end_matches([',', ')']).to_string())
            .unwrap_or_default()
    };
    if let Some(rest) = s.strip_prefix("waiting to lock monitor ") {
        let (_, obj) = rest.split_once("(object ")?;
        let addr = hex(obj.split_ascii_whitespace().next()?)?;
        return Some(SectionWait {
            addr,
            kind: SyncKind::Monitor,
            class: class_of(obj),
            basis: LockBasis::Stated,
        });
    }
    let rest = s.strip_prefix("waiting for ownable synchronizer ")?;
    let addr = hex(rest.split_ascii_whitespace().next()?)?;
    let class = class_of(rest);
    Some(SectionWait {
        addr,
        kind: jvm::sync_class(&class).0,
        class,
        basis: LockBasis::ClassName,
    })
}

/// Reads every dump in `text`.
pub fn parse(text: Bytes, source: &str) -> Vec<Snapshot> {
    let mut reader = new_reader(FORMAT);
    let mut end = 0u64;
    for (off, no, l) in lines(&text) {
        end = off + l.len() as u64;
        let what = read_line(&mut reader, &l, off, no);
        reader.lines.note(no, what);
    }
    reader.end_dump(end);
    let mut dumps = std::mem::take(&mut reader.dumps);
    std::mem::take(&mut reader.lines).finish(&mut dumps);
    let times = std::mem::take(&mut reader.times);
    let mut snaps = snapshots(&text, source, reader.t, dumps);
    for (line, t) in snaps.iter_mut().zip(times) {
        line.time_unix = t;
    }
    snaps
}

/// Reads one line of a dump: what became of it.
fn read_line(reader: &mut Reader, l: &str, off: u64, no: u32) -> LineUse {
    let line = l.trim_end();
    let trimmed = line.trim_start();
    if trimmed.starts_with("Full thread dump ") {
        reader.end_dump(off);
        reader.start = off;
        reader.cur_time = reader.pending_time.take();
        reader.headed = true;
        return LineUse::Used;
    }
    // `2026-12-07 02:33:48`: when the JVM wrote the next dump (its
    // local time: good for the time between dumps).
    if trimmed.len() == 19 && reader.cur.is_none() {
        if let Some(stamp) = crate::input::parse_stamp(trimmed.as_bytes()) {
            reader.pending_time = Some(stamp);
            return LineUse::Used;
        }
    }
    if trimmed.starts_with("Found one Java-level deadlock:")
        || trimmed.starts_with("Found a total of ")
    {
        reader.end_block();
        reader.end_report();
        reader.deadlock = Some(ReportedDeadlock {
            names: Vec::new(),
            line: no,
        });
        return LineUse::Used;
    }
    if reader.deadlock.is_some() || reader.skipping {
        // The stacks the section repeats are read with their threads.
        let repeated = reader.skipping;
        section_line(reader, trimmed, no);
        return if trimmed.is_empty() {
            LineUse::Skip(SkipReason::Blank)
        } else if repeated {
            LineUse::Skip(SkipReason::Repeated)
        } else {
            LineUse::Used
        };
    }
    if let Some(block) = thread_header(reader, line, no, off) {
        reader.end_block();
        reader.cur = Some(block);
        return LineUse::Used;
    }
    let Some(block) = reader.cur.as_mut() else {
        // After a `Full thread dump` header, text outside threads (the
        // SMR list, JNI refs) is the dump's; before it, not.
        let reason = if reader.headed {
            SkipReason::NotModelled
        } else {
            SkipReason::NotDump
        };
        return LineUse::unused(trimmed, reason);
    };
    if let Some(st) = trimmed.strip_prefix("java.lang.Thread.State: ") {
        let (state, class) = state_of(st);
        block.state = state;
        block.class = Some(class);
        reader.header_state = false;
        return LineUse::Used;
    }
    if let Some(at) = trimmed.strip_prefix("at ") {
        block.push(java_frame(&mut reader.t, at));
        return LineUse::Used;
    }
    if trimmed.starts_with("Locked ownable synchronizers:") {
        reader.ownable = true;
        return LineUse::Used;
    }
    if let Some((verb, addr, class)) = lock_line(trimmed) {
        if let Some(relation) = lock_relation(&reader.t, &block.frames, reader.ownable, verb, class)
        {
            reader.fact(relation, addr, class, no);
        }
        return LineUse::Used;
    }
    if trimmed.starts_with("- None") {
        return LineUse::Used;
    }
    if trimmed.is_empty() {
        return LineUse::Skip(SkipReason::Blank);
    }
    // Anything else ends the thread (`JNI global refs`, heap summary).
    if !line.starts_with(char::is_whitespace) {
        reader.end_block();
    }
    LineUse::Skip(SkipReason::NotModelled)
}

/// A line of the JVM's deadlock section: the threads on the cycle, the
/// waits and the holders it names; the stacks it repeats are skipped.
fn section_line(r: &mut Reader, trimmed: &str, no: u32) {
    if trimmed.starts_with("Java stack information for the threads listed above") {
        r.skipping = true;
        return;
    }
    if trimmed.starts_with("Found ") && trimmed.contains(" deadlock") {
        r.end_report();
        return;
    }
    if !r.skipping {
        // `"name":` lines list the threads on the cycle.
        if let Some(name) = trimmed
            .strip_prefix('"')
            .and_then(|x| x.strip_suffix("\":"))
        {
            if let Some(report) = r.deadlock.as_mut() {
                if report.names.len() < 1024 {
                    report.names.push(name.to_string());
                }
            }
        } else if let Some(wait) = section_wait(trimmed) {
            r.pending = Some(wait);
        } else if let Some(holder) = trimmed
            .strip_prefix("which is held by \"")
            .and_then(|x| x.strip_suffix('"'))
        {
            // The section names owners even when the stacks do not
            // (`jstack` without `-l`): stated holds, like the others.
            if let Some(wait) = r.pending.take() {
                if r.held_by.len() < 1024 {
                    r.held_by.push((holder.to_string(), wait, no));
                }
            }
        }
    }
}

/// A thread header line (jstack's or `Thread.dump_to_file`'s) as a new
/// block.
fn thread_header(r: &mut Reader, s: &str, no: u32, off: u64) -> Option<Block> {
    if let Some((id, name, state, is_virtual)) = plain_header(s) {
        let mut block = Block::new(id, no, off);
        block.name = Some(name.to_string());
        if is_virtual {
            block.kind = Some(TaskKind::VirtualThread);
        }
        let (state, class) = state_of(state);
        block.state = state;
        block.class = Some(class);
        r.header_state = false;
        return Some(block);
    }
    // A header indented in a ticket, or left behind a prefix that was not
    // stripped, is still a header: it is the only line naming `tid=` and
    // `nid=` after a quoted name.
    let s = s.trim_start();
    let s = if s.starts_with('"') {
        s
    } else if s.contains(" tid=") && s.contains(" nid=") {
        &s[s.find('"')?..]
    } else {
        return None;
    };
    let head = header(s)?;
    let id = head.nid.or(head.number).unwrap_or_else(|| {
        r.next_id += 1;
        r.next_id
    });
    let mut block = Block::new(id, no, off);
    block.name = Some(head.name.to_string());
    if head.daemon {
        block.detail = Some(Box::new(TaskDetail::Java(JavaTaskDetail { daemon: true })));
    }
    // Threads without a state line (the JVM's own, and every thread of a
    // JVM older than 6) are as the header says, in the words of
    // `java.lang.Thread.State`; a `java.lang.Thread.State:` line replaces it.
    let (state, class) = header_state(head.status);
    block.state = state;
    block.class = Some(class);
    r.header_state = true;
    Some(block)
}

/// What a lock line under a frame states, or `None` for a verb that
/// states no relation. `frames` are the thread's frames so far; `ownable`
/// is true in its `Locked ownable synchronizers:` list. A monitor line
/// states its kind; a synchronizer's kind comes from its class, and a
/// condition parked on under a blocking queue's frame is the queue's (the
/// JVM vocabulary, [`jvm`]).
fn lock_relation(
    tables: &Tables,
    frames: &[FrameId],
    ownable: bool,
    verb: &str,
    class: &str,
) -> Option<Relation> {
    let relation = match verb {
        "" if ownable => Relation::owned(class),
        "locked" => Relation::stated(LockRel::Holds, SyncKind::Monitor),
        "waiting to lock" | "waiting to re-lock in wait()" => {
            Relation::stated(LockRel::Acquires, SyncKind::Monitor)
        }
        "waiting on" => Relation::stated(LockRel::Awaits, SyncKind::Cond),
        "parking to wait for" => {
            let mut relation = Relation::parked(class);
            let queue = relation.kind == SyncKind::Cond
                && frames.iter().take(jvm::QUEUE_FRAME_DEPTH).any(|frame| {
                    let function = tables.function(tables.frame(*frame).function);
                    jvm::is_queue_frame(tables.str(function.full))
                });
            if queue {
                relation.kind = SyncKind::Queue;
            }
            relation
        }
        _ => return None,
    };
    Some(relation)
}

/// Java text thread dumps as an input format.
pub const JAVA_THREADS: SnapshotFormat = SnapshotFormat {
    id: FORMAT,
    aliases: &["java", "jstack"],
    help: "Java thread dumps: jstack, jcmd Thread.print, SIGQUIT output",
    expected: Some("a Java thread dump (jstack, jcmd Thread.print: `\"main\" #1 ... nid=0x...`)"),
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
        // HP-UX JVM 1.5: `lwp_id=` after the nid, no state line.
        let h = header(r#""main" prio=10 tid=0x0001d6a0 nid=1 lwp_id=4242 waiting on condition [0x7fff0000..0x7fff0a80]"#).expect("hp-ux");
        assert_eq!(h.status, "waiting on condition");
        assert_eq!(h.nid, Some(1));
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
