//! glibc's and libstdc++'s blocking primitives, as gdb and lldb name them:
//! mutexes, readers-writer locks, conditions and sleeps, read from the frames
//! by the analysis; the names of their implementation frames (Go's names
//! never look like these); and the frame that joins a thread, which the gdb
//! and lldb parser pairs with the `pthread_t` printed in the joined thread's
//! header.

use super::entry::{prim, Prim};
use crate::model::Confidence;
use crate::model::{ResKind as K, WaitOp as O};

/// Primitives recognised by exact function name.
pub static PRIMITIVES: &[Prim] = &[
    prim("___pthread_mutex_lock", K::Mutex, O::Lock, true),
    prim("__pthread_mutex_lock", K::Mutex, O::Lock, true),
    prim("pthread_mutex_lock", K::Mutex, O::Lock, true),
    prim("__GI___pthread_mutex_lock", K::Mutex, O::Lock, true),
    prim("lll_mutex_lock_optimized", K::Mutex, O::Lock, true),
    prim("__GI___lll_lock_wait", K::Mutex, O::Lock, true),
    prim("__lll_lock_wait", K::Mutex, O::Lock, true),
    prim("___pthread_mutex_timedlock", K::Mutex, O::Lock, true),
    prim("__pthread_mutex_clocklock_common", K::Mutex, O::Lock, true),
    prim("pthread_mutex_timedlock", K::Mutex, O::Lock, true),
    prim("__gthread_mutex_lock", K::Mutex, O::Lock, true),
    prim("std::mutex::lock", K::Mutex, O::Lock, true),
    prim("___pthread_rwlock_wrlock", K::RwMutex, O::Lock, true),
    prim("pthread_rwlock_wrlock", K::RwMutex, O::Lock, true),
    prim("__pthread_rwlock_wrlock_full64", K::RwMutex, O::Lock, true),
    prim("__pthread_rwlock_wrlock_full", K::RwMutex, O::Lock, true),
    prim("___pthread_rwlock_rdlock", K::RwMutex, O::RLock, true),
    prim("pthread_rwlock_rdlock", K::RwMutex, O::RLock, true),
    prim("__pthread_rwlock_rdlock_full64", K::RwMutex, O::RLock, true),
    prim("__pthread_rwlock_rdlock_full", K::RwMutex, O::RLock, true),
    prim("___pthread_cond_wait", K::Cond, O::Wait, true),
    prim("pthread_cond_wait", K::Cond, O::Wait, true),
    prim("__pthread_cond_wait_common", K::Cond, O::Wait, true),
    prim("___pthread_cond_timedwait64", K::Cond, O::Wait, true),
    prim("pthread_cond_timedwait", K::Cond, O::Wait, true),
    prim("___pthread_cond_clockwait64", K::Cond, O::Wait, true),
    prim("__GI___nanosleep", K::Timer, O::Sleep, false),
    prim("__GI___clock_nanosleep", K::Timer, O::Sleep, false),
    prim("__nanosleep", K::Timer, O::Sleep, false),
    prim("nanosleep", K::Timer, O::Sleep, false),
    prim("clock_nanosleep", K::Timer, O::Sleep, false),
    prim("usleep", K::Timer, O::Sleep, false),
    // Rust's std (futex-based on Linux): `Mutex::lock` carries the mutex as
    // `self`; the contended path and its futex wait carry nothing.
    prim(
        "std::sys::sync::mutex::futex::Mutex::lock",
        K::Mutex,
        O::Lock,
        true,
    ),
    prim(
        "std::sys::sync::mutex::futex::Mutex::lock_contended",
        K::Mutex,
        O::Lock,
        false,
    ),
    prim(
        "std::sys::pal::unix::futex::futex_wait",
        K::Mutex,
        O::Lock,
        false,
    ),
    prim("std::thread::sleep", K::Timer, O::Sleep, false),
    prim(
        "std::sys::pal::unix::thread::Thread::sleep",
        K::Timer,
        O::Sleep,
        false,
    ),
];

/// Exact names of the library's own frames (the raw `syscall()` a futex
/// wait of Rust's std goes through).
pub static IMPL_NAMES: &[&str] = &["syscall"];

/// Name prefixes of the library's own frames under a lock, condition, join
/// or sleep call.
pub static IMPL_PREFIXES: &[&str] = &[
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
    "std::sync::poison::mutex::Mutex<",
    "std::sync::mutex::Mutex<",
    "std::sys::sync::",
    "std::thread::functions::sleep",
];

/// A part of the function name of a frame that joins a thread
/// (`pthread_join`, `__pthread_clockjoin_ex`, `std::thread::join`).
pub const JOIN_NAME_PART: &str = "join";

/// The class a join's facts are given: what the address is.
pub const JOIN_CLASS: &str = "pthread_t";

/// A join whose argument is the `pthread_t` a thread header prints names
/// that thread outright: as sure as a stated relation.
pub const JOIN_CONFIDENCE: Confidence = Confidence::Certain;

/// A frame that joins a thread, by its function name.
pub fn is_join(function: &str) -> bool {
    function.contains(JOIN_NAME_PART)
}

/// Parts of the names of the frames that lock a glibc `pthread_mutex_t`
/// (C's `pthread_mutex_lock`, C++'s `std::mutex` through it): under them,
/// the futex word a thread sleeps on is the mutex's `__data.__lock`, its
/// first word, and the mutex records its owner's LWP.
pub static OWNED_MUTEX_PARTS: &[&str] = &[
    "pthread_mutex_lock",
    "pthread_mutex_timedlock",
    "pthread_mutex_clocklock",
    "lll_mutex_lock_optimized",
];

/// Offset of `__data.__owner` (the owner's LWP, a 32-bit word) in glibc's
/// `pthread_mutex_t` on x86-64 and aarch64.
pub const MUTEX_OWNER_OFFSET: u64 = 8;

/// Offset of `tid` in glibc's `struct pthread` on aarch64 (after the
/// 24-pointer header and the `list` links): a join sleeps on this word of
/// the joined thread, whose `pthread_t` is the struct's address. (x86-64's
/// thread pointer register is the `pthread_t` itself.)
pub const THREAD_TID_OFFSET_AARCH64: u64 = 0xd0;

/// Offsets of the futex words a thread blocked on a glibc
/// `pthread_rwlock_t` sleeps on (`__wrphase_futex`, `__writers_futex`),
/// from the lock's start, the writer's first.
pub const RWLOCK_FUTEX_OFFSETS: [u64; 2] = [12, 8];

/// Offset of `__cur_writer` (the LWP of the writer holding the lock, 0 when
/// readers hold it) in glibc's `pthread_rwlock_t` on x86-64 and aarch64.
pub const RWLOCK_WRITER_OFFSET: u64 = 24;

/// A frame that locks a glibc mutex, which records its owner.
pub fn locks_owned_mutex(function: &str) -> bool {
    OWNED_MUTEX_PARTS.iter().any(|part| function.contains(part))
}

/// Parts of the names of the calls a thread parks in when it is idle,
/// waiting for work or events (an event loop, a listener, a signal wait),
/// unlike a `read()` or `write()` in the middle of a request, which may hold
/// a lock across it.
pub static IDLE_CALL_PARTS: &[&str] = &[
    "epoll_wait",
    "epoll_pwait",
    "poll",
    "select",
    "accept",
    "pause",
    "sigwait",
    "sigtimedwait",
    "nanosleep",
    "usleep",
    "io_uring_enter",
    "kevent",
];

/// A frame of a thread idle in an event loop, a listener or a sleep.
pub fn is_idle_call(function: &str) -> bool {
    IDLE_CALL_PARTS.iter().any(|part| function.contains(part))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_calls_are_event_loops_listeners_and_sleeps() {
        assert!(is_idle_call("epoll_wait"));
        assert!(is_idle_call("__GI___poll"));
        assert!(is_idle_call("accept4"));
        assert!(!is_idle_call("__libc_read"));
        assert!(!is_idle_call("__libc_write"));
    }
}
