//! The vocabulary of every runtime, kept as data: which function names are
//! blocking primitives (the resource kind, the operation, whether the
//! frame's first argument is the primitive's address), which frames belong to
//! a primitive's implementation, which task states name a wait, which
//! `java.util.concurrent` class a parked thread's blocker is, which Python
//! frames wait on a lock, queue, event or future, which tokio futures wait on
//! a `tokio::sync` primitive, which native frame joins a thread, which loops
//! of Go's libraries end which waits (`go::PARTNERS`, read by
//! `crate::analyze::partner`). One file per
//! runtime: Go ([`go`]), glibc and libstdc++ ([`pthread`]), the JVM
//! ([`jvm`]), CPython ([`cpython`]), tokio ([`tokio`]).
//!
//! The tables are applied in one of two places, by what they need:
//!
//! - from the frames of parsed stacks, by the analysis
//!   (`crate::analyze::wait` through [`primitive`], [`is_impl_name`] and
//!   [`state_wait`]): Go and glibc primitives, whose waits are `Likely`
//!   (`Possible` from a state's class alone);
//! - while the dump is read, by the parsers: the JVM's classes, CPython's and
//!   tokio's waiting frames (the same recognition sets the task's state, which
//!   the parser owns) and the join frame paired with a `pthread_t` printed in
//!   a thread header (the object is in the dump text only). Parsers record
//!   what they recognise as lock facts whose `LockBasis` says so and whose
//!   confidence is the table's, never as stated facts.
//!
//! Either way the facts pass (`crate::analyze::facts`) turns them into wait
//! and hold facts, and the wait-for graph is built from those alone.
//!
//! # Adding a runtime's vocabulary
//!
//! 1. Add a file here. If its waits can be read from the frames of parsed
//!    stacks (a function name names the primitive, an argument may carry its
//!    address), give it a `PRIMITIVES` table of [`Prim`] entries (exact
//!    function names) and `IMPL_PREFIXES` for the primitive's own frames, and
//!    chain them into `BY_NAME` and [`is_impl_name`] below. Names must be
//!    unique across runtimes (a test checks).
//! 2. If the runtime prints its wait as the task state, add a `STATES`
//!    table and read it in [`state_wait`].
//! 3. If the dump text alone identifies the object (a class name, a local,
//!    a header field) or the same recognition sets the task's state, have
//!    the parser read the table and record a `LockFact` with
//!    `LockBasis::ClassName` or `LockBasis::FrameName` and the table's
//!    confidence; what the dump states outright is recorded with
//!    `LockBasis::Stated`, `Certain`.
//! 4. Add a sample with its expected waits under `samples/` and a test.

pub mod alloc;
pub mod cpython;
mod entry;
pub mod go;
pub mod jvm;
pub mod pthread;
pub mod tokio;

pub use entry::{Partner, Prim};

use crate::model::{ResKind, WaitOp};
use rustc_hash::FxHashMap;
use std::sync::LazyLock;

/// Every exact-name primitive of every runtime, by name.
static BY_NAME: LazyLock<FxHashMap<&'static str, Prim>> = LazyLock::new(|| {
    go::PRIMITIVES
        .iter()
        .chain(pthread::PRIMITIVES)
        .map(|p| (p.name, *p))
        .collect()
});

/// The primitive a function name stands for: an exact name from the tables,
/// else a name prefix (Go's syscall entry points).
pub fn primitive(name: &str) -> Option<(ResKind, WaitOp, bool)> {
    if let Some(entry) = BY_NAME.get(name) {
        return Some((entry.kind, entry.op, entry.addr));
    }
    go::PREFIX_PRIMITIVES
        .iter()
        .find(|p| name.starts_with(p.name))
        .map(|p| (p.kind, p.op, p.addr))
}

/// A frame of a primitive's implementation, by name (runtime frames are
/// recognised by their code kind instead).
pub fn is_impl_name(name: &str) -> bool {
    go::IMPL_PREFIXES.iter().any(|p| name.starts_with(p))
        || go::IMPL_NAMES.contains(&name)
        || pthread::IMPL_PREFIXES.iter().any(|p| name.starts_with(p))
        || pthread::IMPL_NAMES.contains(&name)
}

/// The wait a task state names (Go prints the wait reason as the state).
pub fn state_wait(state: &str) -> Option<(ResKind, WaitOp)> {
    go::STATES
        .iter()
        .find(|(s, _, _)| *s == state)
        .map(|(_, kind, op)| (*kind, *op))
}

/// Whether a function writes a goroutine dump of its own process (see
/// [`go::DUMP_WRITERS`]).
pub fn writes_dump(name: &str) -> bool {
    go::DUMP_WRITERS.contains(&name)
}

/// Whether a stack is the one writing the dump: one of the vocabulary's
/// dump writers (a pprof writer, `runtime.Stack`) among its frames.
pub fn stack_writes_dump(t: &crate::model::Tables, stack: crate::model::StackId) -> bool {
    t.stack(stack)
        .frames
        .iter()
        .any(|&f| writes_dump(t.func_name(t.frame(f).function)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_across_runtimes() {
        let count = go::PRIMITIVES.len() + pthread::PRIMITIVES.len();
        assert_eq!(BY_NAME.len(), count);
    }

    #[test]
    fn each_partner_waiter_is_listed_once_with_partners() {
        let mut waiters: Vec<&str> = go::PARTNERS.iter().map(|p| p.waiter).collect();
        waiters.sort_unstable();
        waiters.dedup();
        assert_eq!(waiters.len(), go::PARTNERS.len());
        for p in go::PARTNERS {
            assert!(!p.partners.is_empty() && !p.why.is_empty(), "{}", p.waiter);
            assert!(!p.names().any(|name| name == p.waiter), "{}", p.waiter);
        }
    }

    #[test]
    fn states_and_implementation_frames() {
        assert_eq!(
            state_wait("chan receive (nil chan)"),
            Some((ResKind::Chan, WaitOp::NilRecv))
        );
        assert_eq!(state_wait("running"), None);
        assert!(is_impl_name("internal/poll.(*FD).Read"));
        assert!(is_impl_name("__lll_lock_wait_private"));
        assert!(!is_impl_name("main.main"));
    }
}
