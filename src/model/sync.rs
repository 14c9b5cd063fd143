//! Waits and holds as facts, one vocabulary for every runtime.
//!
//! A task waits on a resource ([`WaitFact`]: what kind of resource, what it
//! does on it, which one) and a task holds, or will release or signal, a
//! resource ([`HoldFact`]). Each fact carries a [`Confidence`] and the
//! [`Evidence`] behind it.
//!
//! Parsers record lock relations as [`LockFact`]s in [`SyncFacts`], each
//! with its [`LockBasis`]: stated by the dump (`Certain`: Java's `- waiting
//! to lock <0x..>`, a printed mutex owner, a py-spy lock address), its kind
//! read from the object's class name, or recognised in a frame's function
//! name with the runtime's vocabulary (`crate::model::vocab`: Python's
//! `Queue.get`, tokio's `Mutex::lock`, `pthread_join`) with the confidence
//! that entry gives. The analysis (`crate::analyze::facts`) turns those and
//! its own inferences from frames, states, arguments, sources and memory
//! (the Go and glibc tables of `crate::model::vocab`) into wait and
//! hold facts, and builds the wait-for graph from them alone.

use super::confidence::Confidence;
use super::ids::{FrameId, Sym};

/// The kind of thing a task waits on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResKind {
    /// A Java object monitor.
    Monitor,
    /// A mutual-exclusion lock (Go's `sync.Mutex`, `pthread_mutex_t`).
    Mutex,
    /// A readers-writer lock.
    RwMutex,
    /// A count of tasks to wait for (`sync.WaitGroup`, a latch, a barrier).
    WaitGroup,
    /// A condition variable, waiting for a signal.
    Cond,
    /// A Go channel.
    Chan,
    /// A Go `select` over several channels.
    Select,
    /// A counting semaphore.
    Semaphore,
    /// `golang.org/x/sync/singleflight`: waiting for another caller's result.
    Singleflight,
    /// `golang.org/x/sync/errgroup`: waiting for the group's tasks.
    Errgroup,
    /// The network poller (accept, read, write on a socket).
    Net,
    /// A timer or a sleep.
    Timer,
    /// A system call.
    Syscall,
    /// A call into C (cgo).
    Cgo,
    /// A child process.
    Process,
    /// A signal delivery.
    Signal,
    /// A future or a task's result.
    Future,
    /// Another thread's end: a join (`pthread_join`, `Thread.join`).
    Join,
    /// A blocking queue.
    Queue,
    /// Anything else.
    Other,
}

impl ResKind {
    /// The name used in reports and resource ids.
    pub fn as_str(self) -> &'static str {
        match self {
            ResKind::Monitor => "monitor",
            ResKind::Mutex => "mutex",
            ResKind::RwMutex => "rwmutex",
            ResKind::WaitGroup => "waitgroup",
            ResKind::Cond => "cond",
            ResKind::Chan => "chan",
            ResKind::Select => "select",
            ResKind::Semaphore => "semaphore",
            ResKind::Singleflight => "singleflight",
            ResKind::Errgroup => "errgroup",
            ResKind::Net => "netpoll",
            ResKind::Timer => "timer",
            ResKind::Syscall => "syscall",
            ResKind::Cgo => "cgo",
            ResKind::Process => "process",
            ResKind::Signal => "signal",
            ResKind::Future => "future",
            ResKind::Join => "thread",
            ResKind::Queue => "queue",
            ResKind::Other => "other",
        }
    }

    /// Resources that another task releases or signals: the ones that can
    /// carry holder edges and so take part in cycles.
    pub fn is_sync(self) -> bool {
        matches!(
            self,
            ResKind::Monitor
                | ResKind::Mutex
                | ResKind::RwMutex
                | ResKind::Future
                | ResKind::Join
                | ResKind::WaitGroup
                | ResKind::Cond
                | ResKind::Chan
                | ResKind::Semaphore
                | ResKind::Singleflight
                | ResKind::Errgroup
        )
    }

    /// A lock (exclusive or shared), whose holder blocks its waiters.
    pub fn is_lock(self) -> bool {
        matches!(self, ResKind::Monitor | ResKind::Mutex | ResKind::RwMutex)
    }
}

/// What the task does on the resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WaitOp {
    /// Acquire exclusively.
    Lock,
    /// Acquire shared (a reader).
    RLock,
    /// Wait for a signal, a count or a result.
    Wait,
    /// Receive from a channel or queue.
    Recv,
    /// Send on a channel.
    Send,
    /// Wait in a `select` for one of its cases.
    Select,
    /// `select {}`: blocked forever by construction.
    SelectNoCases,
    /// A receive from a nil channel: blocked forever.
    NilRecv,
    /// A send on a nil channel: blocked forever.
    NilSend,
    /// Accept a connection.
    Accept,
    /// Read from a socket or file.
    Read,
    /// Write to a socket or file.
    Write,
    /// Sleep until a time.
    Sleep,
    /// A call that has not returned (a system call, cgo).
    Call,
    /// Not known (the network poller's generic wait).
    Unknown,
}

impl WaitOp {
    /// The name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            WaitOp::Lock => "lock",
            WaitOp::RLock => "rlock",
            WaitOp::Wait => "wait",
            WaitOp::Recv => "receive",
            WaitOp::Send => "send",
            WaitOp::Select => "select",
            WaitOp::SelectNoCases => "select-no-cases",
            WaitOp::NilRecv => "nil-receive",
            WaitOp::NilSend => "nil-send",
            WaitOp::Accept => "accept",
            WaitOp::Read => "read",
            WaitOp::Write => "write",
            WaitOp::Sleep => "sleep",
            WaitOp::Call => "call",
            WaitOp::Unknown => "unknown",
        }
    }

    /// Blocked forever by construction, whatever other tasks do.
    pub fn is_forever(self) -> bool {
        matches!(
            self,
            WaitOp::SelectNoCases | WaitOp::NilRecv | WaitOp::NilSend
        )
    }
}

/// How a resource is identified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResKey {
    /// The primitive's own address, read from the runtime or sync frame.
    Addr(u64),
    /// The address of the object that contains the primitive (the receiver
    /// of the method that locked), when the primitive's own frame was
    /// inlined or printed no reliable address.
    Object(u64),
    /// No address: the blocking site stands for the resource.
    Site(FrameId),
    /// No address, but the sources name the lock: a global or static lock
    /// by the hash of its name (the name is kept beside the graph).
    Named(u64),
}

/// Where a wait fact comes from (one byte: a wait fact is kept for each of
/// up to millions of tasks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence {
    /// A relation the dump states ([`LockFact`] of the task in
    /// [`SyncFacts::locks`], with its line; its kind may come from the
    /// object's class name, [`LockBasis::ClassName`]).
    Stated,
    /// The task's frames: the primitive it blocks in, up to
    /// [`WaitFact::prim_end`]; its arguments may carry the address.
    Frames,
    /// The task's state alone (the frames named no primitive).
    State,
    /// A relation the parser recognised in a frame's function name with the
    /// runtime's vocabulary ([`LockFact`] with [`LockBasis::FrameName`]).
    Recognised,
    /// The source line of the blocking frame acquires a lock by name
    /// (`pthread_mutex_lock(&orders)`, `with orders:`, `ORDERS.lock()`).
    Source,
}

/// What one task waits on: the resource's kind and identity, the operation,
/// how sure that is and why. Wait facts are kept per task (the task is the
/// position in the list).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitFact {
    /// The kind of resource waited on.
    pub kind: ResKind,
    /// What the task does on it.
    pub op: WaitOp,
    /// Which resource: its address, the object containing it, or the
    /// blocking site.
    pub key: ResKey,
    /// The blocking site (first user frame), when there is one.
    pub site: Option<FrameId>,
    /// Index of that frame in the task's stack.
    pub site_index: u16,
    /// Index of the outermost frame of the primitive (0 when none).
    pub prim_end: u16,
    /// The [`LockFact`]'s confidence when the parser recorded the wait
    /// (`Certain` when the dump states it), `Likely` when it is read from
    /// the frames or a state naming the wait, `Possible` when only the
    /// state's class suggests it.
    pub confidence: Confidence,
    /// What the wait was read from.
    pub evidence: Evidence,
}

/// A task that holds a resource, or is the one expected to release or
/// signal it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldFact {
    /// Index into [`crate::model::Snapshot::tasks`].
    pub task: u32,
    /// The resource held: its kind and identity, as its waiters' wait facts
    /// name it.
    pub kind: ResKind,
    /// Which resource (see [`ResKind`]).
    pub key: ResKey,
    /// How sure the hold is.
    pub confidence: Confidence,
    /// Why: the dump line, the frame and argument that carry the address,
    /// the source line that took the lock.
    pub evidence: String,
}

/// What a lock relation stated by the dump is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SyncKind {
    /// A Java object monitor (`synchronized`).
    Monitor,
    /// A mutual-exclusion lock: `ReentrantLock`, `pthread_mutex_t`,
    /// `threading.Lock`, tokio's `Mutex`.
    Mutex,
    /// A readers-writer lock.
    RwLock,
    /// A condition (`Object.wait`, `Condition.await`, `pthread_cond_t`): the
    /// waiter released its lock and waits for a signal.
    Cond,
    /// A count-down latch or barrier.
    Latch,
    /// A counting semaphore.
    Semaphore,
    /// A future or a task's result (`FutureTask.get`).
    Future,
    /// Another thread's end (`pthread_join`, `std::thread::join`,
    /// `Thread.join`).
    Join,
    /// A blocking queue.
    Queue,
    /// A Go channel (a core's `hchan`, read from the runtime's wait
    /// queues).
    Chan,
    /// Anything else.
    Other,
}

impl SyncKind {
    /// The kind of resource a stated relation is about, in the vocabulary
    /// of wait and hold facts.
    pub fn resource_kind(self) -> ResKind {
        match self {
            SyncKind::Monitor => ResKind::Monitor,
            SyncKind::Mutex => ResKind::Mutex,
            SyncKind::RwLock => ResKind::RwMutex,
            SyncKind::Cond => ResKind::Cond,
            SyncKind::Latch => ResKind::WaitGroup,
            SyncKind::Semaphore => ResKind::Semaphore,
            SyncKind::Future => ResKind::Future,
            SyncKind::Join => ResKind::Join,
            SyncKind::Queue => ResKind::Queue,
            SyncKind::Chan => ResKind::Chan,
            SyncKind::Other => ResKind::Other,
        }
    }
}

/// How a task relates to a lock, as the dump states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LockRel {
    /// The task holds it (`- locked <0x..>`, an ownable synchronizer, a
    /// printed mutex owner).
    Holds,
    /// The task waits to acquire it (`- waiting to lock`, `- parking to
    /// wait for` a lock, `pthread_mutex_lock`).
    Acquires,
    /// The task waits for a signal on it after releasing it (`- waiting
    /// on`, a condition's `await`, a latch, a future).
    Awaits,
}

/// Where a [`LockFact`] comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LockBasis {
    /// The dump states the relation and what the object is: Java's monitor
    /// lines (`- locked`, `- waiting to lock`, `- waiting on`), a mutex
    /// owner printed in gdb.
    Stated,
    /// The dump states the relation and the object; the object's kind, and
    /// whether the task acquires it or waits for a signal, come from its
    /// class name (the JVM's vocabulary of `java.util.concurrent` classes).
    ClassName,
    /// The parser recognised the relation in a frame's function name with
    /// the runtime's vocabulary (Python's `Queue.get`, tokio's
    /// `Mutex::lock`, `pthread_join`); the object's address comes from an
    /// argument or a local when the dump prints one.
    FrameName,
    /// Read from the process's memory (a core): the runtime's own wait
    /// queues say which object the task waits on (a Go goroutine's channel,
    /// the semaphore of its `sync.Mutex`, `RWMutex` or `WaitGroup`). The
    /// relation is certain; what the task does on the object (lock, send,
    /// receive) is read from its frames as for any dump.
    Memory,
}

/// One lock relation as the parser records it: printed by the dump (Java's
/// monitors and synchronizers, a mutex owner printed in gdb) or recognised
/// by the parser with the runtime's vocabulary (`crate::model::vocab`) in
/// a class or frame name (a `java.util.concurrent` class, a thread joined
/// by its `pthread_t`, Python's and tokio's primitives). The facts pass
/// turns them into wait and hold facts with their confidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockFact {
    /// Index into [`crate::model::Snapshot::tasks`].
    pub task: u32,
    /// How the task relates to the lock.
    pub rel: LockRel,
    /// What kind of lock it is.
    pub kind: SyncKind,
    /// The lock's identity: the address the dump prints (0 when it prints
    /// none: the waiting site then stands for the lock).
    pub addr: u64,
    /// Its type as printed (`java.lang.Object`,
    /// `java.util.concurrent.locks.ReentrantLock$NonfairSync`), or the
    /// vocabulary's name for a recognised wait (`Queue.get`).
    pub class: Sym,
    /// Index of the frame the dump printed it under.
    pub frame: u16,
    /// 1-based line of the statement.
    pub line: u32,
    /// Stated by the dump, or recognised in a class or frame name.
    pub basis: LockBasis,
    /// How sure the relation is: `Certain` when stated; for a recognised
    /// one, the confidence its vocabulary entry gives.
    pub confidence: Confidence,
}

/// A deadlock the dumped process reported about itself (the JVM's `Found
/// one Java-level deadlock:` section): checked against the wait-for graph,
/// never used instead of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportedDeadlock {
    /// The task names it lists, in order.
    pub names: Vec<String>,
    /// 1-based line of the report.
    pub line: u32,
}

/// What the process's memory says of one object that tasks wait on (read
/// from a core): the data symbol it lies in, its state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectNote {
    /// The object's address, as the lock facts name it.
    pub addr: u64,
    /// The binary's data symbol the object lies in (`main.muA`,
    /// `main.cfg+8`), when it lies in one.
    pub symbol: Option<String>,
    /// Its state, when memory gives one (a Go channel: `unbuffered, 3
    /// senders waiting, no receiver`).
    pub state: Option<String>,
}

/// Lock relations and self-reported deadlocks of a snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncFacts {
    /// The lock relations, in dump order.
    pub locks: Vec<LockFact>,
    /// The deadlocks the process reported about itself.
    pub deadlocks: Vec<ReportedDeadlock>,
    /// What memory says of the objects waited on, one note per object,
    /// sorted by address (cores only).
    pub notes: Vec<ObjectNote>,
}

impl SyncFacts {
    /// The note of the object at `addr`, when memory gave one.
    pub fn note(&self, addr: u64) -> Option<&ObjectNote> {
        let i = self.notes.binary_search_by_key(&addr, |n| n.addr).ok()?;
        self.notes.get(i)
    }
}
