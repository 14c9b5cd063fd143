//! dumpscope: post-mortem analysis of goroutine dumps, thread dumps,
//! backtraces and heap snapshots.
//!
//! The pipeline: [`input`] (open, decompress, unwrap) → [`parse`] (one
//! module per format) → [`model`] (runtime-agnostic snapshots) → [`analyze`]
//! (grouping, later diagnosis) → [`report`] (JSON, text).

pub mod analyze;
pub mod cli;
pub mod input;
pub mod model;
pub mod parse;
pub mod pipeline;
pub mod report;
pub mod symbolize;
