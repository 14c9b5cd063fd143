//! What the jstack text reader and the JSON reader share: the reader that
//! collects a dump's threads and stated lock relations, Java frames and
//! function names, thread states and the class of a waiting thread.

use crate::model::vocab::jvm;
use crate::model::{
    CodeKind, Confidence, LockBasis, LockFact, LockRel, ReportedDeadlock, Runtime, StateClass,
    SyncFacts, SyncKind, Tables,
};
use crate::parse::threads::{source_frame, Block, Dump, Ledger};

/// At most this many stated lock relations per dump.
pub(super) const MAX_FACTS: usize = 1 << 20;

/// The identity of an object printed as `Class@identityhash` (JDK 21+
/// thread dumps): its hash, which the JVM keeps for the object's life.
pub(super) fn object_key(s: &str) -> Option<u64> {
    let (_, hash) = s.rsplit_once('@')?;
    u64::from_str_radix(hash, 16).ok().filter(|h| *h != 0)
}

/// How sure a Java lock relation is: a stated one is certain, and so is
/// one whose kind the JVM vocabulary reads from the class name (the dump
/// states the thread and the object).
pub(super) fn confidence_of(basis: LockBasis) -> Confidence {
    match basis {
        LockBasis::ClassName => jvm::CONFIDENCE,
        LockBasis::Stated | LockBasis::FrameName | LockBasis::Memory => Confidence::Certain,
    }
}

/// A frame as jstack prints it after `at ` (`pkg.Class.method(File.java:42)`,
/// `(java.base@17/Thread.java:840)`, `(Native Method)`) or as a JSON thread
/// dump lists it (`java.base/java.lang.Thread.sleep(Unknown Source)`).
pub(super) fn java_frame(t: &mut Tables, at: &str) -> crate::model::FrameId {
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
    source_frame(t, func, split_java, file, line, false)
}

/// `java.base/java.lang.Thread.sleep` → `java.lang.Thread.sleep` (the
/// module prefix of JDK 21+ dumps); a hidden class's `$$Lambda/0x...` keeps
/// its slash.
pub(super) fn strip_module(func: &str) -> &str {
    match func.split_once('/') {
        Some((m, rest)) if !m.contains('$') && !rest.starts_with("0x") && rest.contains('.') => {
            rest.trim_start_matches('/')
        }
        _ => func,
    }
}

/// Splits `pkg.Class.method` into `(package, class, method, kind)`.
pub(super) fn split_java(full: &str) -> (String, Option<String>, String, CodeKind) {
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
pub(super) fn is_jvm_thread(name: &str) -> bool {
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
        || name.starts_with("GC task thread#")
        || name.starts_with("ParGC Thread#")
        || name.starts_with("Concurrent Mark-Sweep GC Thread")
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
pub(super) fn state_of(printed: &str) -> (&'static str, StateClass) {
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
    let state = printed.trim();
    KNOWN
        .iter()
        .find(|(k, _)| *k == state)
        .or_else(|| KNOWN.iter().find(|(k, _)| state.starts_with(k)))
        .map_or(("unknown", StateClass::Other), |(k, c)| (*k, *c))
}

/// The state a thread header's words name (`runnable`, `in Object.wait()`,
/// `waiting for monitor entry`, `waiting on condition`, `sleeping`), in the
/// words of `java.lang.Thread.State`, so that a dump without state lines
/// (JVMs before 6, the JVM's own threads) speaks the same vocabulary as one
/// with them. `waiting on condition` is a park or a sleep: plain `WAITING`
/// until the frames say which ([`refine_header_state`]).
pub(super) fn header_state(words: &str) -> (&'static str, StateClass) {
    const WORDS: &[(&str, &str)] = &[
        ("runnable", "RUNNABLE"),
        ("waiting for monitor entry", "BLOCKED (on object monitor)"),
        ("in Object.wait()", "WAITING (on object monitor)"),
        ("waiting on condition", "WAITING"),
        ("sleeping", "TIMED_WAITING (sleeping)"),
    ];
    WORDS
        .iter()
        .find(|(words_printed, _)| words.starts_with(words_printed))
        .map_or(("unknown", StateClass::Other), |(_, state)| state_of(state))
}

/// A state read from a header's `waiting on condition`, made precise by the
/// thread's innermost frames: a sleep, or a park (timed when the frames
/// say `parkNanos`/`parkUntil`).
fn refine_header_state(t: &Tables, b: &mut Block) {
    if b.state != "WAITING" {
        return;
    }
    let names = b
        .frames
        .iter()
        .take(4)
        .map(|f| t.str(t.function(t.frame(*f).function).full));
    let mut parked = false;
    for name in names {
        if name == "java.lang.Thread.sleep" || name.starts_with("java.lang.Thread.sleep") {
            (b.state, _) = state_of("TIMED_WAITING (sleeping)");
            b.class = Some(StateClass::Sleep);
            return;
        }
        if name.ends_with("LockSupport.parkNanos") || name.ends_with("LockSupport.parkUntil") {
            (b.state, _) = state_of("TIMED_WAITING (parking)");
            return;
        }
        parked |= name.ends_with("Unsafe.park") || name.ends_with("LockSupport.park");
    }
    if parked {
        (b.state, _) = state_of("WAITING (parking)");
    }
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
pub(super) fn is_io_frame(name: &str) -> bool {
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

/// A lock a thread waits on in the JVM's deadlock section: its address,
/// kind, class and where the kind comes from.
#[derive(Debug, Clone)]
pub(super) struct SectionWait {
    pub(super) addr: u64,
    pub(super) kind: SyncKind,
    pub(super) class: String,
    pub(super) basis: LockBasis,
}

/// Collects the threads, lock relations and deadlock reports of the
/// dumps in one input.
pub(super) struct Reader {
    /// The format id the dumps are read as.
    pub(super) format: &'static str,
    pub(super) t: Tables,
    pub(super) dumps: Vec<Dump>,
    pub(super) cur: Option<Block>,
    pub(super) facts: Vec<LockFact>,
    pub(super) reported: Vec<ReportedDeadlock>,
    /// In the ownable synchronizers list of the current thread.
    pub(super) ownable: bool,
    /// In a `Found one Java-level deadlock:` section: the report being read,
    /// and whether its repeated stacks are being skipped.
    pub(super) deadlock: Option<ReportedDeadlock>,
    pub(super) skipping: bool,
    pub(super) blocks: Vec<Block>,
    /// The last wait read in a deadlock section, and the holders the
    /// sections name.
    pub(super) pending: Option<SectionWait>,
    pub(super) held_by: Vec<(String, SectionWait, u32)>,
    pub(super) start: u64,
    /// The time line before the current dump's `Full thread dump`, and the
    /// time of every dump read.
    pub(super) pending_time: Option<f64>,
    pub(super) cur_time: Option<f64>,
    pub(super) times: Vec<Option<f64>>,
    /// The thread number or nid of every thread so far, to number threads
    /// without either.
    pub(super) next_id: u64,
    /// The current thread's state was read from its header's words (no
    /// `java.lang.Thread.State:` line so far).
    pub(super) header_state: bool,
    /// Where the lines since the last dump went.
    pub(super) lines: Ledger,
    /// A `Full thread dump` header was read.
    pub(super) headed: bool,
}

impl Reader {
    pub(super) fn end_block(&mut self) {
        self.ownable = false;
        if let Some(mut block) = self.cur.take() {
            if std::mem::take(&mut self.header_state) {
                refine_header_state(&self.t, &mut block);
            }
            self.blocks.push(block);
        }
    }

    pub(super) fn end_dump(&mut self, end: u64) {
        self.end_block();
        self.end_report();
        if self.blocks.is_empty() {
            self.facts.clear();
            self.reported.clear();
            self.start = end;
            return;
        }
        self.add_section_holders();
        let mut blocks = std::mem::take(&mut self.blocks);
        for (i, b) in blocks.iter_mut().enumerate() {
            classify(&self.t, b, i as u32, &self.facts);
        }
        self.times.push(self.cur_time);
        let mut dump = Dump::threads(
            self.format,
            Runtime::Java,
            blocks,
            (self.start, end),
            SyncFacts {
                locks: std::mem::take(&mut self.facts),
                deadlocks: std::mem::take(&mut self.reported),
                notes: Vec::new(),
            },
        );
        dump.lines = self.lines.take();
        self.dumps.push(dump);
        self.start = end;
    }

    /// The holders the deadlock sections name, as stated holds of the
    /// threads so named (unless the thread's own lines state them).
    fn add_section_holders(&mut self) {
        for (holder, wait, line) in std::mem::take(&mut self.held_by) {
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
                .any(|f| f.task == task && f.addr == wait.addr && f.rel == LockRel::Holds)
            {
                continue;
            }
            let class = self.t.intern(&wait.class);
            self.facts.push(LockFact {
                task,
                rel: LockRel::Holds,
                kind: wait.kind,
                addr: wait.addr,
                class,
                frame: u16::MAX,
                line,
                basis: wait.basis,
                confidence: confidence_of(wait.basis),
            });
        }
    }

    pub(super) fn end_report(&mut self) {
        if let Some(report) = self.deadlock.take() {
            // Bounded: each report is matched against the threads later.
            if !report.names.is_empty() && self.reported.len() < 1024 {
                self.reported.push(report);
            }
        }
        self.skipping = false;
    }

    /// Records a lock relation of the current thread, stated under its
    /// last frame (or in its ownable synchronizers list).
    pub(super) fn fact(&mut self, relation: Relation, addr: u64, class: &str, line: u32) {
        let Relation { rel, kind, basis } = relation;
        let Some(block) = self.cur.as_ref() else {
            return;
        };
        if self.facts.len() >= MAX_FACTS {
            return;
        }
        let frame = if rel == LockRel::Holds && self.ownable {
            u16::MAX
        } else {
            block
                .frames
                .len()
                .saturating_sub(1)
                .min(u16::MAX as usize - 1) as u16
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
            basis,
            confidence: confidence_of(basis),
        });
    }
}

/// What a lock line or entry states about its thread: the relation, the
/// lock's kind, and whether the kind is stated or read from the class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Relation {
    pub(super) rel: LockRel,
    pub(super) kind: SyncKind,
    pub(super) basis: LockBasis,
}

impl Relation {
    /// A relation the dump states with its kind (a monitor line).
    pub(super) fn stated(rel: LockRel, kind: SyncKind) -> Relation {
        Relation {
            rel,
            kind,
            basis: LockBasis::Stated,
        }
    }

    /// A thread parked on a synchronizer of class `class_name`: acquiring
    /// or awaiting it as the JVM vocabulary says.
    pub(super) fn parked(class_name: &str) -> Relation {
        let (kind, acquires) = jvm::sync_class(class_name);
        Relation {
            rel: if acquires {
                LockRel::Acquires
            } else {
                LockRel::Awaits
            },
            kind,
            basis: LockBasis::ClassName,
        }
    }

    /// A synchronizer of class `class_name` the thread owns.
    pub(super) fn owned(class_name: &str) -> Relation {
        Relation {
            rel: LockRel::Holds,
            kind: jvm::sync_class(class_name).0,
            basis: LockBasis::ClassName,
        }
    }
}

/// Sets a thread's class from its state, frames and stated waits.
pub(super) fn classify(t: &Tables, b: &mut Block, index: u32, facts: &[LockFact]) {
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

/// A reader of dumps of the format `format`.
pub(super) fn new_reader(format: &'static str) -> Reader {
    Reader {
        format,
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
        header_state: false,
        lines: Ledger::default(),
        headed: false,
    }
}
