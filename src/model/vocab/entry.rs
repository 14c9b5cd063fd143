//! One entry of a runtime's table of blocking primitives.

use crate::model::{ResKind, WaitOp};

/// A blocking primitive named by a frame's function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prim {
    /// The full function name, exactly as the dump prints it.
    pub name: &'static str,
    /// The kind of resource a task blocked in it waits on.
    pub kind: ResKind,
    /// What the task does on it.
    pub op: WaitOp,
    /// The frame's first argument is the primitive's address.
    pub addr: bool,
}

/// Shorthand for the tables.
pub(crate) const fn prim(name: &'static str, kind: ResKind, op: WaitOp, addr: bool) -> Prim {
    Prim {
        name,
        kind,
        op,
        addr,
    }
}

/// A wait the ecosystem ends from another goroutine it runs beside: while
/// a goroutine runs one of the functions of `partners` (and is itself
/// live), a goroutine with `waiter` on its stack is waiting for it, not
/// blocked forever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partner {
    /// A function on the waiting goroutine's stack, exactly as printed.
    pub waiter: &'static str,
    /// Functions of the goroutines that end the wait, exactly as printed,
    /// in groups (one library's loops may serve several waiters).
    pub partners: &'static [&'static [&'static str]],
    /// What the partner does, for the evidence.
    pub why: &'static str,
}

/// Shorthand for the tables.
pub(crate) const fn partner(
    waiter: &'static str,
    partners: &'static [&'static [&'static str]],
    why: &'static str,
) -> Partner {
    Partner {
        waiter,
        partners,
        why,
    }
}

impl Partner {
    /// Every function of the goroutines that end the wait.
    pub fn names(&self) -> impl Iterator<Item = &'static str> {
        self.partners.iter().flat_map(|group| group.iter().copied())
    }
}
