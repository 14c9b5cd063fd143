//! Functions, frames, raw addresses and stacks: what a task's call stack is
//! made of (interned in [`super::Tables`]).

use super::ids::{FrameId, FuncId, Sym};
use serde::Serialize;

/// Where a function's code comes from: the user's own code, the language's
/// standard library, or the runtime itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)] // a doc comment here would change docs/schema.json
pub enum CodeKind {
    // The program's own code and third-party libraries.
    User,
    // The language's standard library.
    Stdlib,
    // The runtime itself (scheduler, GC, VM internals).
    Runtime,
}

/// A function name split into its parts. For Go, `net/http.(*conn).serve`
/// has package `net/http`, receiver `*conn` and name `serve`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Function {
    /// The whole name as printed.
    pub full: Sym,
    /// The package, module or class the function belongs to (the empty symbol when none).
    pub package: Sym,
    /// The method's receiver or class (`*conn`), when the name has one.
    pub receiver: Option<Sym>,
    /// The bare function or method name.
    pub name: Sym,
    /// Whose code it is: user, standard library or runtime.
    pub kind: CodeKind,
}

/// One frame location (interned): function, source position, inlining.
/// Per-task data such as argument values lives in the task, not here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Frame {
    /// The function executing at this frame.
    pub function: FuncId,
    /// Source file, or the empty symbol when unknown.
    pub file: Sym,
    /// 0 when unknown.
    pub line: u32,
    /// Offset of the pc from the function entry (`+0x1d`), when printed.
    pub pc_offset: Option<u32>,
    /// The frame was inlined into its caller (no call of its own).
    pub inlined: bool,
}

/// What a frame's printed address is relative to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddrSpace {
    /// A runtime address: placed through the dump's mappings, `--base`,
    /// or an inferred load base.
    Absolute,
    /// An ELF virtual address of the module (`./app(+0x1234)` of glibc,
    /// `(module+0x1234)` of the sanitizers, a tombstone's `pc`).
    Vaddr,
    /// An offset in the module's file (a mapping's start plus its offset).
    FileOffset,
}

/// A frame's address as the dump printed it, for the symbolizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RawAddr {
    /// The module as the dump names it; the empty symbol when it does not.
    pub module: Sym,
    /// The module's build-id (hex), or the empty symbol.
    pub build_id: Sym,
    /// The address as printed, in the space given by `space`.
    pub addr: u64,
    /// What `addr` is relative to.
    pub space: AddrSpace,
    /// A return address (looked up at `addr - 1`); false for a faulting pc
    /// or an already adjusted address.
    pub call: bool,
}

/// A call stack, innermost frame first.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Stack {
    /// The frames' ids, innermost first.
    pub frames: Box<[FrameId]>,
    /// Frames the runtime left out: `(index, count)`, frames before `index`
    /// were printed above the marker. `count` is 0 when the dump did not say
    /// how many (`...additional frames elided...`).
    pub elided: Option<(u32, u32)>,
}
