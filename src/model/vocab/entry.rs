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
