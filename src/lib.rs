//! dumpscope: post-mortem analysis of goroutine dumps, thread dumps,
//! backtraces and heap snapshots.
//!
//! The crate is in layers, each importing only the layers before it:
//!
//! - [`model`]: the runtime-neutral snapshot (tasks, stacks, interned
//!   frames, waits and holds, heap profiles);
//! - [`input`]: opening, decompressing and unwrapping an input;
//! - [`parse`]: one module per input format, from bytes to snapshots;
//! - [`symbolize`]: raw addresses to functions, from binaries and debug info;
//! - [`analyze`]: grouping, the wait-for graph, the diagnosis rules, heap
//!   analysis and the comparison of successive dumps;
//! - [`report`]: the JSON report (`dumpscope.report/v1`) built from the
//!   analysis, and its text, Markdown and HTML renderings;
//! - [`pipeline`] and [`cli`]: running the layers in order for a list of
//!   inputs, and the command line;
//! - `fuzzing` (hidden): the entry points of the fuzz targets in `fuzz/`.
//!
//! ARCHITECTURE.md at the root of the repository maps the layers, follows
//! one dump through the code and lists the steps to add an input format, a
//! rule or a runtime.

#![deny(missing_docs)]

pub mod analyze;
pub mod cli;
#[doc(hidden)]
pub mod fuzzing;
pub mod input;
pub mod model;
pub mod parse;
pub mod pipeline;
pub mod report;
pub mod symbolize;
