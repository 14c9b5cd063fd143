//! What each blocked task waits on. The structural part (which primitive,
//! which frame carries its address, the blocking site) depends only on the
//! stack and the state, so it is computed once per (stack, state) pair; the
//! address is then read from one argument word of each task.

use crate::model::{CodeKind, FrameId, Snapshot, StackId, StateClass, Sym, Task, TaskFlags};

/// The kind of thing a task waits on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResKind {
    /// A Java object monitor.
    Monitor,
    Mutex,
    RwMutex,
    WaitGroup,
    Cond,
    Chan,
    Select,
    Semaphore,
    Singleflight,
    Errgroup,
    Net,
    Timer,
    Syscall,
    Cgo,
    Process,
    Signal,
    /// A future or a thread's result.
    Future,
    /// A blocking queue.
    Queue,
    Other,
}

impl ResKind {
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
                | ResKind::WaitGroup
                | ResKind::Cond
                | ResKind::Chan
                | ResKind::Semaphore
                | ResKind::Singleflight
                | ResKind::Errgroup
        )
    }
}

/// What the task does on the resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WaitOp {
    Lock,
    RLock,
    Wait,
    Recv,
    Send,
    Select,
    /// `select {}`: blocked forever by construction.
    SelectNoCases,
    /// A receive from a nil channel: blocked forever.
    NilRecv,
    /// A send on a nil channel: blocked forever.
    NilSend,
    Accept,
    Read,
    Write,
    Sleep,
    Call,
    Unknown,
}

impl WaitOp {
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
}

/// The shape of a wait, shared by every task with the same stack and state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitShape {
    pub kind: ResKind,
    pub op: WaitOp,
    /// Frames whose first argument is the primitive's address, innermost
    /// first (at most two are kept).
    pub addr_frames: [Option<u16>; 2],
    /// Index of the outermost frame of the primitive (sync, runtime or
    /// library frames); frames beyond it are the caller's.
    pub prim_end: u16,
    /// Index of the blocking site: the first user frame outside the primitive.
    pub site: Option<u16>,
}

/// What one task waits on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wait {
    pub kind: ResKind,
    pub op: WaitOp,
    pub key: ResKey,
    /// The blocking site (first user frame), when there is one.
    pub site: Option<FrameId>,
    /// Index of that frame in the task's stack.
    pub site_index: u16,
    pub prim_end: u16,
}

/// Primitive frames recognised by exact function name.
fn primitive(name: &str) -> Option<(ResKind, WaitOp, bool)> {
    // (kind, op, first argument is the primitive's address)
    let r = match name {
        "runtime.chanrecv" | "runtime.chanrecv1" | "runtime.chanrecv2" => {
            (ResKind::Chan, WaitOp::Recv, true)
        }
        "runtime.chansend" | "runtime.chansend1" => (ResKind::Chan, WaitOp::Send, true),
        "runtime.selectgo" | "reflect.rselect" | "reflect.Select" => {
            (ResKind::Select, WaitOp::Select, false)
        }
        "runtime.block" => (ResKind::Select, WaitOp::SelectNoCases, false),
        "sync.(*Mutex).Lock"
        | "sync.(*Mutex).lockSlow"
        | "internal/sync.(*Mutex).Lock"
        | "internal/sync.(*Mutex).lockSlow" => (ResKind::Mutex, WaitOp::Lock, true),
        "sync.(*RWMutex).RLock" => (ResKind::RwMutex, WaitOp::RLock, true),
        "sync.(*RWMutex).Lock" => (ResKind::RwMutex, WaitOp::Lock, true),
        "sync.(*WaitGroup).Wait" => (ResKind::WaitGroup, WaitOp::Wait, true),
        "sync.(*Cond).Wait" => (ResKind::Cond, WaitOp::Wait, true),
        "golang.org/x/sync/semaphore.(*Weighted).Acquire" => {
            (ResKind::Semaphore, WaitOp::Lock, true)
        }
        "golang.org/x/sync/singleflight.(*Group).Do"
        | "golang.org/x/sync/singleflight.(*Group).DoChan" => {
            (ResKind::Singleflight, WaitOp::Wait, true)
        }
        "golang.org/x/sync/errgroup.(*Group).Wait" => (ResKind::Errgroup, WaitOp::Wait, true),
        "internal/poll.(*FD).Accept"
        | "net.(*netFD).accept"
        | "net.(*TCPListener).Accept"
        | "net.(*UnixListener).Accept"
        | "net.(*TCPListener).accept" => (ResKind::Net, WaitOp::Accept, false),
        "internal/poll.(*FD).Read"
        | "internal/poll.(*FD).ReadFrom"
        | "internal/poll.(*FD).ReadMsg"
        | "net.(*netFD).Read"
        | "net.(*conn).Read"
        | "net.(*UDPConn).ReadFrom" => (ResKind::Net, WaitOp::Read, false),
        "internal/poll.(*FD).Write" | "net.(*netFD).Write" | "net.(*conn).Write" => {
            (ResKind::Net, WaitOp::Write, false)
        }
        "internal/poll.runtime_pollWait"
        | "internal/poll.(*pollDesc).wait"
        | "internal/poll.(*pollDesc).waitRead"
        | "runtime.netpollblock" => (ResKind::Net, WaitOp::Unknown, false),
        "time.Sleep" => (ResKind::Timer, WaitOp::Sleep, false),
        "runtime.cgocall" => (ResKind::Cgo, WaitOp::Call, false),
        "os.(*Process).Wait"
        | "os.(*Process).wait"
        | "os.(*Process).blockUntilWaitable"
        | "os/exec.(*Cmd).Wait"
        | "os/exec.(*Cmd).Run"
        | "os/exec.(*Cmd).Output"
        | "os/exec.(*Cmd).CombinedOutput" => (ResKind::Process, WaitOp::Wait, false),
        "os/signal.signal_recv" | "os/signal.loop" => (ResKind::Signal, WaitOp::Recv, false),
        // glibc and libstdc++, as gdb and lldb name them.
        "___pthread_mutex_lock"
        | "__pthread_mutex_lock"
        | "pthread_mutex_lock"
        | "__GI___pthread_mutex_lock"
        | "lll_mutex_lock_optimized"
        | "__GI___lll_lock_wait"
        | "__lll_lock_wait"
        | "___pthread_mutex_timedlock"
        | "__pthread_mutex_clocklock_common"
        | "pthread_mutex_timedlock"
        | "__gthread_mutex_lock"
        | "std::mutex::lock" => (ResKind::Mutex, WaitOp::Lock, true),
        "___pthread_rwlock_wrlock"
        | "pthread_rwlock_wrlock"
        | "__pthread_rwlock_wrlock_full64"
        | "__pthread_rwlock_wrlock_full" => (ResKind::RwMutex, WaitOp::Lock, true),
        "___pthread_rwlock_rdlock"
        | "pthread_rwlock_rdlock"
        | "__pthread_rwlock_rdlock_full64"
        | "__pthread_rwlock_rdlock_full" => (ResKind::RwMutex, WaitOp::RLock, true),
        "___pthread_cond_wait"
        | "pthread_cond_wait"
        | "__pthread_cond_wait_common"
        | "___pthread_cond_timedwait64"
        | "pthread_cond_timedwait"
        | "___pthread_cond_clockwait64" => (ResKind::Cond, WaitOp::Wait, true),
        "__GI___nanosleep"
        | "__GI___clock_nanosleep"
        | "__nanosleep"
        | "nanosleep"
        | "clock_nanosleep"
        | "usleep" => (ResKind::Timer, WaitOp::Sleep, false),
        _ => {
            if name.starts_with("syscall.Syscall")
                || name.starts_with("syscall.RawSyscall")
                || name.starts_with("syscall.syscall")
                || name.starts_with("internal/runtime/syscall.Syscall")
                || name.starts_with("runtime/internal/syscall.Syscall")
            {
                (ResKind::Syscall, WaitOp::Call, false)
            } else {
                return None;
            }
        }
    };
    Some(r)
}

/// Frames that belong to a primitive's implementation (so the scan for the
/// caller goes on past them).
pub fn is_impl_frame(name: &str, kind: CodeKind) -> bool {
    kind == CodeKind::Runtime
        || name.starts_with("sync.")
        || name.starts_with("internal/sync.")
        || name.starts_with("internal/poll.")
        || name.starts_with("golang.org/x/sync/")
        || name.starts_with("syscall.")
        || name.starts_with("internal/runtime/")
        || name.starts_with("internal/syscall/")
        || name.starts_with("golang.org/x/sys/")
        || name.starts_with("os.(*Process).")
        || name == "os.ignoringEINTR"
        || name == "os.ignoringEINTR2"
        || is_native_impl(name)
}

/// glibc's and libstdc++'s own frames under a lock, condition, join or
/// sleep call (Go's names never look like these).
fn is_native_impl(name: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "__futex",
        "futex_",
        "__GI_",
        "__lll_",
        "lll_",
        "___pthread",
        "__pthread",
        "pthread_",
        "__gthread",
        "std::mutex::",
        "std::lock_guard<",
        "std::unique_lock<",
        "std::scoped_lock<",
        "std::condition_variable::",
        "std::thread::join",
        "__new_sem",
        "do_futex_wait",
        "__libc_",
        "__condvar",
        "__internal_syscall",
    ];
    PREFIXES.iter().any(|p| name.starts_with(p))
}

/// The wait shape of a stack in a given state, or `None` when the task is
/// not waiting on anything (running, runnable, runtime-internal).
pub fn shape(snap: &Snapshot, stack: StackId, state: Sym, class: StateClass) -> Option<WaitShape> {
    let t = &snap.tables;
    let frames = &t.stack(stack).frames;
    let mut kind: Option<ResKind> = None;
    let mut op = WaitOp::Unknown;
    let mut addr_frames: [Option<u16>; 2] = [None, None];
    let mut prim_end: u16 = 0;
    let mut saw_impl = false;
    for (i, f) in frames.iter().enumerate().take(64) {
        let func = t.function(t.frame(*f).function);
        let name = t.str(func.full);
        if let Some((k, o, has_addr)) = primitive(name) {
            // The outermost recognised primitive names the kind, except that
            // the network and timer wrappers never override a sync primitive.
            let keep = match kind {
                None => true,
                Some(prev) => prev == k || !prev.is_sync() || k.is_sync(),
            };
            if keep {
                if kind != Some(k) {
                    addr_frames = [None, None];
                }
                kind = Some(k);
                if o != WaitOp::Unknown || op == WaitOp::Unknown {
                    op = o;
                }
                if has_addr {
                    if addr_frames[0].is_none() {
                        addr_frames[0] = Some(i as u16);
                    } else if addr_frames[1].is_none() {
                        addr_frames[1] = Some(i as u16);
                    }
                }
            }
            prim_end = i as u16;
            saw_impl = true;
            continue;
        }
        if is_impl_frame(name, func.kind) {
            if saw_impl || i == 0 {
                prim_end = i as u16;
                saw_impl = true;
            }
            continue;
        }
        break;
    }
    let state_str = t.str(state);
    // The state decides where frames did not (runtime frames are hidden
    // below GOTRACEBACK=system).
    let from_state = match state_str {
        "chan receive (nil chan)" => Some((ResKind::Chan, WaitOp::NilRecv)),
        "chan send (nil chan)" => Some((ResKind::Chan, WaitOp::NilSend)),
        "select (no cases)" => Some((ResKind::Select, WaitOp::SelectNoCases)),
        "chan receive" => Some((ResKind::Chan, WaitOp::Recv)),
        "chan send" => Some((ResKind::Chan, WaitOp::Send)),
        "select" => Some((ResKind::Select, WaitOp::Select)),
        "sync.Mutex.Lock" => Some((ResKind::Mutex, WaitOp::Lock)),
        "sync.RWMutex.RLock" => Some((ResKind::RwMutex, WaitOp::RLock)),
        "sync.RWMutex.Lock" => Some((ResKind::RwMutex, WaitOp::Lock)),
        "sync.WaitGroup.Wait" => Some((ResKind::WaitGroup, WaitOp::Wait)),
        "sync.Cond.Wait" => Some((ResKind::Cond, WaitOp::Wait)),
        "sleep" => Some((ResKind::Timer, WaitOp::Sleep)),
        _ => None,
    };
    let (kind, op) = match (kind, from_state) {
        // A nil-channel or no-case state is more precise than the frames.
        (Some(k), Some((sk, so))) if so.is_forever() && (k == sk || k == ResKind::Select) => {
            (sk, so)
        }
        (Some(k), _) => (k, op),
        (None, Some(s)) => s,
        (None, None) => match class {
            StateClass::Io => (ResKind::Net, WaitOp::Unknown),
            StateClass::Syscall => (ResKind::Syscall, WaitOp::Call),
            StateClass::Lock => (ResKind::Mutex, WaitOp::Lock),
            StateClass::Sync => (ResKind::Other, WaitOp::Wait),
            StateClass::Chan => (ResKind::Chan, WaitOp::Unknown),
            StateClass::Select => (ResKind::Select, WaitOp::Select),
            _ => return None,
        },
    };
    if matches!(class, StateClass::Running | StateClass::Runnable) {
        return None;
    }
    let start = if saw_impl { prim_end as usize + 1 } else { 0 };
    let site = frames
        .iter()
        .enumerate()
        .skip(start)
        .find(|(_, f)| t.function(t.frame(**f).function).kind == CodeKind::User)
        .or_else(|| frames.iter().enumerate().nth(start))
        .map(|(i, _)| i as u16);
    Some(WaitShape {
        kind,
        op,
        addr_frames,
        prim_end: if saw_impl { prim_end } else { 0 },
        site,
    })
}

/// Parses one argument word as an address: `0x...` without the `?` that
/// marks an unreliable value, and not a small integer.
pub fn parse_ptr(word: &str) -> Option<u64> {
    parse_ptr_bytes(word.trim().as_bytes())
}

/// [`parse_ptr`] on bytes (the dump text is not re-validated as UTF-8).
pub fn parse_ptr_bytes(w: &[u8]) -> Option<u64> {
    super::hex::parse_hex(w).filter(|v| *v >= 0x1000)
}

/// The argument text of frame `i` of a task, without allocating or
/// validating.
pub fn frame_args<'a>(snap: &'a Snapshot, task: &Task, i: usize) -> &'a [u8] {
    let Some(span) = snap.args.get(task.args as usize + i) else {
        return b"";
    };
    if span.len == 0 {
        return b"";
    }
    let a = task.offset as usize + span.start as usize;
    let b = a + span.len as usize;
    snap.text.get(a..b).unwrap_or(b"")
}

/// Every reliable pointer word of a frame's arguments with the index of the
/// top-level argument it belongs to (words inside braces belong to the
/// enclosing argument), in one pass and without allocating.
pub fn ptr_args(args: &[u8]) -> impl Iterator<Item = (u16, u64)> + '_ {
    // Jumps from separator to separator; only word starts are looked at.
    let mut pos = 0usize;
    let mut depth = 0i32;
    let mut arg: u16 = 0;
    let mut done = args.is_empty();
    std::iter::from_fn(move || {
        while !done {
            let rest = args.get(pos..).unwrap_or(b"");
            let end = memchr::memchr3(b',', b'{', b'}', rest).map_or(args.len(), |e| pos + e);
            let word = native_word(args.get(pos..end).unwrap_or(b"").trim_ascii());
            let found = if word.starts_with(b"0x") {
                parse_ptr_bytes(word).map(|p| (arg, p))
            } else {
                None
            };
            match args.get(end) {
                None => done = true,
                Some(b'{') => depth += 1,
                Some(b'}') => depth -= 1,
                Some(_) if depth <= 0 => arg = arg.saturating_add(1),
                Some(_) => {}
            }
            pos = end + 1;
            if found.is_some() {
                return found;
            }
        }
        None
    })
}

/// A native debugger's argument word as a bare value: gdb prints
/// `mutex=0x5650 <account_a>` and `futex=futex@entry=0x5650`; the value is
/// after the last `=` and before any ` <symbol>`. Go's words have neither.
fn native_word(w: &[u8]) -> &[u8] {
    let w = match memchr::memrchr(b'=', w) {
        Some(i) => w[i + 1..].trim_ascii_start(),
        None => w,
    };
    match memchr::memchr(b' ', w) {
        Some(i) if w.starts_with(b"0x") => &w[..i],
        _ => w,
    }
}

/// The first argument word of frame `i` as an address; with `lenient`, a
/// value printed with `?` (possibly stale) is accepted too.
pub fn first_ptr(snap: &Snapshot, task: &Task, i: usize, lenient: bool) -> Option<u64> {
    let a = frame_args(snap, task, i);
    let end = memchr::memchr(b',', a).unwrap_or(a.len());
    let mut w = native_word(a[..end].trim_ascii());
    while let Some(x) = w.strip_prefix(b"{") {
        w = x;
    }
    if lenient {
        w = w.strip_suffix(b"?").unwrap_or(w);
    }
    parse_ptr_bytes(w)
}

/// The wait of one task, given its shape.
pub fn wait_of(snap: &Snapshot, task: &Task, shape: &WaitShape) -> Wait {
    let frames = &snap.tables.stack(task.stack).frames;
    let site = shape.site.and_then(|i| frames.get(i as usize).copied());
    let mut key = None;
    if !task.flags.has(TaskFlags::PARTIAL) || shape.addr_frames[0].is_some() {
        for fi in shape.addr_frames.iter().flatten() {
            if let Some(p) = first_ptr(snap, task, *fi as usize, false) {
                key = Some(ResKey::Addr(p));
                break;
            }
        }
    }
    if key.is_none()
        && matches!(
            shape.kind,
            ResKind::Mutex | ResKind::RwMutex | ResKind::WaitGroup | ResKind::Cond
        )
    {
        if let Some(si) = shape.site {
            // A receiver printed with `?` (possibly stale) still names the
            // object in practice; it is only used to identify, never to
            // infer a holder.
            if let Some(p) = first_ptr(snap, task, si as usize, true) {
                key = Some(ResKey::Object(p));
            }
        }
    }
    let key = key.unwrap_or(match site {
        Some(f) => ResKey::Site(f),
        None => ResKey::Site(FrameId(u32::MAX)),
    });
    Wait {
        kind: shape.kind,
        op: shape.op,
        key,
        site,
        site_index: shape.site.unwrap_or(0),
        prim_end: shape.prim_end,
    }
}

/// The resource kind of a lock relation the dump states.
pub fn kind_of(k: crate::model::SyncKind) -> ResKind {
    use crate::model::SyncKind as S;
    match k {
        S::Monitor => ResKind::Monitor,
        S::Mutex => ResKind::Mutex,
        S::RwLock => ResKind::RwMutex,
        S::Cond => ResKind::Cond,
        S::Latch => ResKind::WaitGroup,
        S::Semaphore => ResKind::Semaphore,
        S::Future => ResKind::Future,
        S::Queue => ResKind::Queue,
        S::Other => ResKind::Other,
    }
}

/// Is this kind a lock (exclusive or shared), whose holder blocks its
/// waiters?
pub fn is_lock(k: ResKind) -> bool {
    matches!(k, ResKind::Monitor | ResKind::Mutex | ResKind::RwMutex)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_need_a_reliable_large_value() {
        assert_eq!(parse_ptr("0xc000123408"), Some(0xc000123408));
        assert_eq!(parse_ptr("0xc000123408?"), None);
        assert_eq!(parse_ptr("0x1"), None);
        assert_eq!(parse_ptr("..."), None);
        assert_eq!(parse_ptr("0x"), None);
        assert_eq!(parse_ptr("0x11112222333344445"), None);
    }

    #[test]
    fn ptr_args_index_top_level_arguments() {
        let w: Vec<(u16, u64)> = ptr_args(
            b"0xc000010000, {0xc000020000, 0x1, 0xc000040000}, 0xc000030000?, 0xc000050000, ...",
        )
        .collect();
        assert_eq!(
            w,
            vec![
                (0, 0xc000010000),
                (1, 0xc000020000),
                (1, 0xc000040000),
                (3, 0xc000050000)
            ]
        );
        assert_eq!(ptr_args(b"").count(), 0);
        assert_eq!(ptr_args(b"0x").count(), 0);
        assert_eq!(
            ptr_args(b"{{0xc000010000").collect::<Vec<_>>(),
            vec![(0, 0xc000010000)]
        );
        assert_eq!(parse_ptr_bytes(b"0xC0000100AB"), Some(0xc0000100ab));
    }

    #[test]
    fn primitives_name_their_kind() {
        assert_eq!(
            primitive("internal/sync.(*Mutex).lockSlow"),
            Some((ResKind::Mutex, WaitOp::Lock, true))
        );
        assert_eq!(
            primitive("sync.(*RWMutex).RLock").map(|p| p.1),
            Some(WaitOp::RLock)
        );
        assert_eq!(primitive("main.main"), None);
        assert_eq!(
            primitive("syscall.Syscall6").map(|p| p.0),
            Some(ResKind::Syscall)
        );
    }
}
