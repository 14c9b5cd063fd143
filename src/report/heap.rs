//! The `heap` section of the report: one entry per heap snapshot read.

use crate::analyze::heap::{HeapAnalysis, SiteStat};
use crate::model::heap::{HeapProfile, HeapValues, Sampling};
use crate::model::{CodeKind, Runtime, Warning};
use schemars::JsonSchema;
use serde::Serialize;

/// Allocation stacks listed per heap snapshot, most in-use bytes first.
pub const MAX_SITES: usize = 500;
/// Functions listed per heap snapshot.
pub const MAX_FUNCTIONS: usize = 200;

/// One heap snapshot.
// Items left without a doc comment keep none: it would become a description
// in docs/schema.json, which must not change.
#[allow(missing_docs)]
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct HeapReport {
    pub source: String,
    /// Position within its input (0-based).
    pub index: usize,
    /// `pprof`, `go-heap-text`, `jemalloc-heap` or `dhat`.
    pub format: String,
    pub runtime: Runtime,
    /// The sample types as the file names them.
    pub sample_types: Vec<String>,
    /// False when the file records no allocated totals (only what is in use).
    pub has_alloc: bool,
    /// The sampling period the file states, in bytes (0: none).
    pub period: i64,
    /// `exact` (values as written; Go's protobuf profiles are already
    /// scaled) or `poisson` (values scaled back from samples, as pprof does).
    pub sampling: String,
    /// Sums over all samples.
    pub totals: HeapAmounts,
    /// Allocation stacks, most in-use bytes first (at most 500).
    pub sites: Vec<HeapSite>,
    /// How many distinct stacks there are in all.
    pub sites_total: usize,
    /// Functions, most flat in-use bytes first (at most 200): `flat` counts
    /// samples whose innermost frame is the function, `cum` samples with the
    /// function anywhere on the stack (as `go tool pprof -top`).
    pub functions: Vec<HeapFunction>,
    pub functions_total: usize,
    /// Loaded modules, for formats with raw addresses (jemalloc).
    pub modules: Vec<HeapModule>,
    /// Name/value pairs the file carries (`# runtime.MemStats`, dhat's mode).
    pub stats: Vec<(String, String)>,
    /// When the snapshot was taken (Unix nanoseconds), when known.
    pub time_nanos: Option<i64>,
    pub warnings: Vec<Warning>,
    pub truncated: bool,
    /// Where every line of the profile's text went (for protobuf and JSON
    /// profiles, every record: sample or stack), as for snapshots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lines: Option<super::lines::LinesReport>,
}

/// Objects and bytes, allocated over the process's life and in use now.
// Items left without a doc comment keep none: it would become a description
// in docs/schema.json, which must not change.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, Default, Serialize, JsonSchema)]
pub struct HeapAmounts {
    pub alloc_objects: i64,
    pub alloc_bytes: i64,
    pub inuse_objects: i64,
    pub inuse_bytes: i64,
}

impl From<HeapValues> for HeapAmounts {
    fn from(v: HeapValues) -> Self {
        HeapAmounts {
            alloc_objects: v.alloc_objects,
            alloc_bytes: v.alloc_bytes,
            inuse_objects: v.inuse_objects,
            inuse_bytes: v.inuse_bytes,
        }
    }
}

/// One allocation stack.
// Items left without a doc comment keep none: it would become a description
// in docs/schema.json, which must not change.
#[allow(missing_docs)]
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct HeapSite {
    /// The innermost frame's function (where the allocation happened).
    pub function: String,
    /// The first frame of the user's own code: the line to look at.
    pub user_frame: Option<String>,
    /// The stack, innermost frame first.
    pub frames: Vec<HeapFrame>,
    pub values: HeapAmounts,
}

// One frame of an allocation stack.
// Items left without a doc comment keep none: it would become a description
// in docs/schema.json, which must not change.
#[allow(missing_docs)]
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct HeapFrame {
    pub function: String,
    pub file: String,
    pub line: u32,
    pub inlined: bool,
    pub kind: CodeKind,
}

// In-use amounts by function: where it allocated (flat) and anywhere on the stack (cum).
// Items left without a doc comment keep none: it would become a description
// in docs/schema.json, which must not change.
#[allow(missing_docs)]
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct HeapFunction {
    pub function: String,
    pub flat: HeapAmounts,
    pub cum: HeapAmounts,
}

// A mapped binary of a heap profile (its address range and file).
// Items left without a doc comment keep none: it would become a description
// in docs/schema.json, which must not change.
#[allow(missing_docs)]
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct HeapModule {
    pub start: u64,
    pub end: u64,
    pub file_offset: u64,
    pub path: String,
    pub build_id: Option<String>,
}

fn site(h: &HeapProfile, s: &SiteStat) -> HeapSite {
    let tables = &h.tables;
    let frames: Vec<HeapFrame> = tables
        .stack(s.stack)
        .frames
        .iter()
        .map(|f| {
            let fr = tables.frame(*f);
            HeapFrame {
                function: tables.func_name(fr.function).to_string(),
                file: tables.str(fr.file).to_string(),
                line: fr.line,
                inlined: fr.inlined,
                kind: tables.function(fr.function).kind,
            }
        })
        .collect();
    HeapSite {
        function: frames.first().map_or(String::new(), |f| f.function.clone()),
        user_frame: crate::analyze::heap::user_frame(tables, s.stack)
            .map(|f| crate::analyze::phrase::frame_name(tables, Some(f))),
        frames,
        values: s.values.into(),
    }
}

/// The report of one heap snapshot from its analysis: totals, the top
/// allocation sites and functions, and the mapped modules.
pub fn heap_report(profile: &HeapProfile, analysis: &HeapAnalysis) -> HeapReport {
    let tables = &profile.tables;
    HeapReport {
        source: profile.source.clone(),
        index: profile.index,
        format: profile.format.to_string(),
        runtime: profile.runtime,
        sample_types: profile.sample_types.clone(),
        has_alloc: profile.has_alloc,
        period: profile.period,
        sampling: match profile.sampling {
            Sampling::Exact => "exact".into(),
            Sampling::Poisson { .. } => "poisson".into(),
        },
        totals: analysis.totals.into(),
        sites: analysis
            .sites
            .iter()
            .take(MAX_SITES)
            .map(|s| site(profile, s))
            .collect(),
        sites_total: analysis.sites.len(),
        functions: analysis
            .functions
            .iter()
            .take(MAX_FUNCTIONS)
            .map(|f| HeapFunction {
                function: tables.func_name(f.function).to_string(),
                flat: f.flat.into(),
                cum: f.cum.into(),
            })
            .collect(),
        functions_total: analysis.functions.len(),
        modules: profile
            .modules
            .iter()
            .take(1000)
            .map(|m| HeapModule {
                start: m.start,
                end: m.end,
                file_offset: m.file_offset,
                path: m.path.clone(),
                build_id: m.build_id.clone(),
            })
            .collect(),
        stats: profile.stats.clone(),
        time_nanos: profile.time_nanos,
        warnings: profile.warnings.clone(),
        truncated: profile.truncated,
        lines: profile.lines.as_ref().map(super::lines::lines_report),
    }
}
