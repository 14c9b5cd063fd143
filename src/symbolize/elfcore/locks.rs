//! What a blocked thread waits on, read from the core's memory: the futex
//! word a thread sleeps on (the first argument of its `futex` system call,
//! kept in the registers of its stop) and what the word belongs to, by the
//! thread's frames and the `pthread` vocabulary
//! ([`crate::model::vocab::pthread`]): a glibc mutex, whose `__owner` is the
//! LWP of the thread holding it, a readers-writer lock, whose `__cur_writer`
//! is the writer's, or a thread's id word, which a join waits on until the
//! thread ends.

use crate::input::elfcore::{Arch, CoreFile, CoreThread, Memory};
use crate::model::vocab::pthread;

/// x86-64's `futex` system call number (`orig_rax`).
const SYS_FUTEX_X86_64: u64 = 202;
/// aarch64's `futex` system call number (`x8`).
const SYS_FUTEX_AARCH64: u64 = 98;

/// A wait read from memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemWait {
    /// A glibc mutex at `addr`, held by the thread `owner` (its LWP) when
    /// the mutex records one.
    Mutex {
        /// The mutex's address.
        addr: u64,
        /// The owner's LWP.
        owner: Option<u32>,
    },
    /// A lock whose futex word is at `addr` and that records no owner
    /// (Rust's `std::sync::Mutex`).
    Futex {
        /// The futex word's address.
        addr: u64,
    },
    /// A glibc readers-writer lock at `addr`, held for writing by the
    /// thread `writer` (its LWP), when a thread of the core writes.
    RwLock {
        /// The lock's address.
        addr: u64,
        /// The writer's LWP.
        writer: Option<u32>,
    },
    /// A join of the thread whose LWP is `lwp`.
    Join {
        /// The joined thread's LWP.
        lwp: u32,
    },
}

/// The futex word a thread sleeps on: the first argument of the system
/// call it stopped in. On aarch64 the call's number is in `x8` and its
/// first argument in `x0`: the kernel puts the argument back there when it
/// stops a thread in a call it will restart (`orig_x0`), and qemu-user's
/// cores hold the registers of the call still under way.
pub fn futex_word(arch: Arch, thread: &CoreThread) -> Option<u64> {
    match arch {
        Arch::X86_64 => {
            let orig_rax = *thread.regs.get(15)?;
            (orig_rax == SYS_FUTEX_X86_64).then(|| thread.regs.get(14).copied())?
        }
        Arch::Aarch64 => {
            let nr = *thread.regs.get(8)?;
            (nr == SYS_FUTEX_AARCH64).then(|| thread.regs.first().copied())?
        }
    }
}

/// What the thread waits on, from its futex word and its frames'
/// function names (innermost first).
pub fn wait_of(core: &CoreFile, thread: &CoreThread, functions: &[&str]) -> Option<MemWait> {
    let word = futex_word(core.arch, thread)?;
    let blocking = &functions[..functions.len().min(12)];
    if blocking.iter().any(|f| pthread::locks_owned_mutex(f)) {
        let lock = core.read_u32(word)?;
        // A locked mutex (its word not 0) records its owner's LWP.
        let owner = core
            .read_u32(word.checked_add(pthread::MUTEX_OWNER_OFFSET)?)
            .filter(|&o| o != 0 && lock != 0);
        return Some(MemWait::Mutex { addr: word, owner });
    }
    let rwlock = blocking
        .iter()
        .find_map(|f| match crate::model::vocab::primitive(f) {
            Some((crate::model::ResKind::RwMutex, op, _)) => Some(op),
            _ => None,
        });
    if let Some(op) = rwlock {
        // The lock whose `__cur_writer` is a thread of the process; a
        // reader sleeps on `__wrphase_futex` even when readers hold it.
        for off in pthread::RWLOCK_FUTEX_OFFSETS {
            let Some(base) = word.checked_sub(off) else {
                continue;
            };
            let writer = core.read_u32(base.wrapping_add(pthread::RWLOCK_WRITER_OFFSET));
            if let Some(w) = writer.filter(|w| *w != 0 && core.threads.iter().any(|t| t.lwp == *w))
            {
                return Some(MemWait::RwLock {
                    addr: base,
                    writer: Some(w),
                });
            }
        }
        return (op == crate::model::WaitOp::RLock).then(|| MemWait::RwLock {
            addr: word - 8,
            writer: None,
        });
    }
    if blocking.iter().any(|f| pthread::is_join(f)) {
        let lwp = core.read_u32(word)?;
        return core
            .threads
            .iter()
            .any(|t| t.lwp == lwp)
            .then_some(MemWait::Join { lwp });
    }
    let mutex_frame = blocking.iter().any(|f| {
        matches!(
            crate::model::vocab::primitive(f),
            Some((crate::model::ResKind::Mutex, _, _))
        )
    });
    mutex_frame.then_some(MemWait::Futex { addr: word })
}
