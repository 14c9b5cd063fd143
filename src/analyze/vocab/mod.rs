//! The per-runtime vocabulary of waits, kept as data: which function names
//! are blocking primitives (the resource kind, the operation, whether the
//! frame's first argument is the primitive's address), which frames belong
//! to a primitive's implementation, and which task states name a wait. One
//! table per runtime; [`crate::analyze::wait`] reads them all.

mod entry;
pub mod go;
pub mod pthread;

pub use entry::Prim;

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
    if let Some(p) = BY_NAME.get(name) {
        return Some((p.kind, p.op, p.addr));
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
}

/// The wait a task state names (Go prints the wait reason as the state).
pub fn state_wait(state: &str) -> Option<(ResKind, WaitOp)> {
    go::STATES
        .iter()
        .find(|(s, _, _)| *s == state)
        .map(|(_, kind, op)| (*kind, *op))
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
