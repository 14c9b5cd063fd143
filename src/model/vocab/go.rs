//! Go's blocking primitives: the runtime's channel and select entry points,
//! `sync`, `golang.org/x/sync`, the network poller, timers, processes,
//! signals and system calls; and the wait reasons Go prints as states.

use super::entry::{prim, Prim};
use crate::model::{ResKind as K, WaitOp as O};

/// Primitives recognised by exact function name.
pub static PRIMITIVES: &[Prim] = &[
    prim("runtime.chanrecv", K::Chan, O::Recv, true),
    prim("runtime.chanrecv1", K::Chan, O::Recv, true),
    prim("runtime.chanrecv2", K::Chan, O::Recv, true),
    prim("runtime.chansend", K::Chan, O::Send, true),
    prim("runtime.chansend1", K::Chan, O::Send, true),
    prim("runtime.selectgo", K::Select, O::Select, false),
    prim("reflect.rselect", K::Select, O::Select, false),
    prim("reflect.Select", K::Select, O::Select, false),
    prim("runtime.block", K::Select, O::SelectNoCases, false),
    prim("sync.(*Mutex).Lock", K::Mutex, O::Lock, true),
    prim("sync.(*Mutex).lockSlow", K::Mutex, O::Lock, true),
    prim("internal/sync.(*Mutex).Lock", K::Mutex, O::Lock, true),
    prim("internal/sync.(*Mutex).lockSlow", K::Mutex, O::Lock, true),
    prim("sync.(*RWMutex).RLock", K::RwMutex, O::RLock, true),
    prim("sync.(*RWMutex).Lock", K::RwMutex, O::Lock, true),
    prim("sync.(*WaitGroup).Wait", K::WaitGroup, O::Wait, true),
    prim("sync.(*Cond).Wait", K::Cond, O::Wait, true),
    prim(
        "golang.org/x/sync/semaphore.(*Weighted).Acquire",
        K::Semaphore,
        O::Lock,
        true,
    ),
    prim(
        "golang.org/x/sync/singleflight.(*Group).Do",
        K::Singleflight,
        O::Wait,
        true,
    ),
    prim(
        "golang.org/x/sync/singleflight.(*Group).DoChan",
        K::Singleflight,
        O::Wait,
        true,
    ),
    prim(
        "golang.org/x/sync/errgroup.(*Group).Wait",
        K::Errgroup,
        O::Wait,
        true,
    ),
    prim("internal/poll.(*FD).Accept", K::Net, O::Accept, false),
    prim("net.(*netFD).accept", K::Net, O::Accept, false),
    prim("net.(*TCPListener).Accept", K::Net, O::Accept, false),
    prim("net.(*UnixListener).Accept", K::Net, O::Accept, false),
    prim("net.(*TCPListener).accept", K::Net, O::Accept, false),
    prim("internal/poll.(*FD).Read", K::Net, O::Read, false),
    prim("internal/poll.(*FD).ReadFrom", K::Net, O::Read, false),
    prim("internal/poll.(*FD).ReadMsg", K::Net, O::Read, false),
    prim("net.(*netFD).Read", K::Net, O::Read, false),
    prim("net.(*conn).Read", K::Net, O::Read, false),
    prim("net.(*UDPConn).ReadFrom", K::Net, O::Read, false),
    prim("internal/poll.(*FD).Write", K::Net, O::Write, false),
    prim("net.(*netFD).Write", K::Net, O::Write, false),
    prim("net.(*conn).Write", K::Net, O::Write, false),
    prim("internal/poll.runtime_pollWait", K::Net, O::Unknown, false),
    prim("internal/poll.(*pollDesc).wait", K::Net, O::Unknown, false),
    prim(
        "internal/poll.(*pollDesc).waitRead",
        K::Net,
        O::Unknown,
        false,
    ),
    prim("runtime.netpollblock", K::Net, O::Unknown, false),
    prim("time.Sleep", K::Timer, O::Sleep, false),
    prim("runtime.cgocall", K::Cgo, O::Call, false),
    prim("os.(*Process).Wait", K::Process, O::Wait, false),
    prim("os.(*Process).wait", K::Process, O::Wait, false),
    prim(
        "os.(*Process).blockUntilWaitable",
        K::Process,
        O::Wait,
        false,
    ),
    prim("os/exec.(*Cmd).Wait", K::Process, O::Wait, false),
    prim("os/exec.(*Cmd).Run", K::Process, O::Wait, false),
    prim("os/exec.(*Cmd).Output", K::Process, O::Wait, false),
    prim("os/exec.(*Cmd).CombinedOutput", K::Process, O::Wait, false),
    prim("os/signal.signal_recv", K::Signal, O::Recv, false),
    prim("os/signal.loop", K::Signal, O::Recv, false),
];

/// Primitives recognised by a name prefix: the system call entry points.
pub static PREFIX_PRIMITIVES: &[Prim] = &[
    prim("syscall.Syscall", K::Syscall, O::Call, false),
    prim("syscall.RawSyscall", K::Syscall, O::Call, false),
    prim("syscall.syscall", K::Syscall, O::Call, false),
    prim(
        "internal/runtime/syscall.Syscall",
        K::Syscall,
        O::Call,
        false,
    ),
    prim(
        "runtime/internal/syscall.Syscall",
        K::Syscall,
        O::Call,
        false,
    ),
];

/// Packages whose frames belong to a primitive's implementation.
pub static IMPL_PREFIXES: &[&str] = &[
    "sync.",
    "internal/sync.",
    "internal/poll.",
    "golang.org/x/sync/",
    "syscall.",
    "internal/runtime/",
    "internal/syscall/",
    "golang.org/x/sys/",
    "os.(*Process).",
];

/// Single functions that belong to a primitive's implementation.
pub static IMPL_NAMES: &[&str] = &["os.ignoringEINTR", "os.ignoringEINTR2"];

/// Wait reasons Go prints as the goroutine state, and the wait each names.
pub static STATES: &[(&str, K, O)] = &[
    ("chan receive (nil chan)", K::Chan, O::NilRecv),
    ("chan send (nil chan)", K::Chan, O::NilSend),
    ("select (no cases)", K::Select, O::SelectNoCases),
    ("chan receive", K::Chan, O::Recv),
    ("chan send", K::Chan, O::Send),
    ("select", K::Select, O::Select),
    ("sync.Mutex.Lock", K::Mutex, O::Lock),
    ("sync.RWMutex.RLock", K::RwMutex, O::RLock),
    ("sync.RWMutex.Lock", K::RwMutex, O::Lock),
    ("sync.WaitGroup.Wait", K::WaitGroup, O::Wait),
    ("sync.Cond.Wait", K::Cond, O::Wait),
    ("sleep", K::Timer, O::Sleep),
];

/// Phrases of a panic message by which a program reports a hang it noticed
/// itself (a watchdog, a test's timeout): such a panic is the symptom of
/// whatever hangs in the dump, not a fault of its own.
pub static PANIC_REPORTS_HANG: &[&str] = &[
    "deadlock",
    "deadlocked",
    "timed out",
    "timeout",
    "time out",
    "hung",
    "stuck",
    "watchdog",
    "not responding",
    "did not finish",
    "did not return",
    "still waiting",
];

/// Phrases of a panic message by which a program asks for its goroutines
/// to be printed (a panic raised under GOTRACEBACK=all only to get the
/// dump): the panic wrote the dump and reports nothing to fix.
pub static PANIC_REQUESTS_DUMP: &[&str] = &[
    "dumping",
    "goroutine dump",
    "stack dump",
    "dump goroutines",
    "dump stacks",
    "dump all goroutines",
];

/// Whether `message` contains one of `phrases` as whole words, in any case.
pub fn mentions(message: &str, phrases: &[&str]) -> bool {
    let lower = message.to_ascii_lowercase();
    phrases.iter().any(|phrase| {
        lower.match_indices(phrase).any(|(at, _)| {
            let before = lower[..at].chars().next_back();
            let after = lower[at + phrase.len()..].chars().next();
            !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
        })
    })
}

/// Functions that write a goroutine dump of the process they run in: a
/// goroutine with one of them on its stack is the one taking the snapshot
/// (a profile handler, `runtime.Stack`, a program dumping itself), not
/// progress of the program's own work.
pub static DUMP_WRITERS: &[&str] = &[
    "runtime/pprof.writeGoroutineStacks",
    "runtime/pprof.writeGoroutine",
    "runtime/pprof.writeRuntimeProfile",
    "runtime/pprof.writeGoroutineLeak",
    "runtime/pprof.(*Profile).WriteTo",
    "runtime.Stack",
    "runtime.GoroutineProfile",
];
