//! The `diff` section of the report (`dumpscope diff OLD NEW ...`): what
//! changed between goroutine dumps and between heap snapshots, oldest first,
//! converted from the diff's analysis (`analyze/diff`).

use super::heap::HeapAmounts;
use crate::analyze::diff::types as analysis;
use schemars::JsonSchema;
use serde::Serialize;

/// What changed between the inputs of `dumpscope diff`, taken in the order
/// given (oldest first).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DiffReport {
    /// The goroutine dumps compared, oldest first.
    pub snapshots: Vec<DiffPoint>,
    /// How the times of the dumps are known: `interval` (`--interval`),
    /// `timestamps` (the dumps' own: protobuf `time_nanos`, log prefix
    /// timestamps), `mtime` (the files' modification times, used only when
    /// they increase in the order given), or null when unknown.
    pub times_from: Option<String>,
    /// Seconds from the first to the last dump, when known.
    pub span_seconds: Option<f64>,
    /// Groups of goroutines matched across the dumps by signature, before
    /// the list was cut to its first 500.
    pub groups_total: usize,
    /// Matched groups, largest absolute change first.
    pub groups: Vec<DiffGroup>,
    /// Goroutines (by id) blocked at the same place in every dump with a
    /// growing wait.
    pub stuck: Vec<StuckTask>,
    /// Goroutines (by id) running or runnable at the same frames in every
    /// dump: busy loops.
    pub spinning: Vec<SpinTask>,
    /// Goroutines only in the newest dump, by the function that created
    /// them, most first.
    pub spawners: Vec<Spawner>,
    /// Heap snapshots compared (two or more), or null.
    pub heap: Option<HeapDiff>,
}

/// One goroutine dump of the series.
// Items left without a doc comment keep none: it would become a description
// in docs/schema.json, which must not change.
#[allow(missing_docs)]
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DiffPoint {
    pub source: String,
    /// Position in the series (0 is the oldest); the same as the index into
    /// the report's `snapshots`.
    pub index: usize,
    pub format: String,
    /// Seconds after the first dump, when known.
    pub seconds: Option<f64>,
    pub goroutines: u64,
}

/// Goroutines with one signature (the functions of their stack, innermost
/// first, without the runtime frames at the top; no ids, arguments or line
/// numbers), counted in every dump.
// Items left without a doc comment keep none: it would become a description
// in docs/schema.json, which must not change.
#[allow(missing_docs)]
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DiffGroup {
    pub signature: String,
    /// The first frame of the user's code (`function (file.go:12)`), from
    /// the newest dump that has the group.
    pub site: String,
    /// The innermost function of the signature.
    pub function: String,
    /// The most common state in the newest dump that has the group.
    pub state: String,
    /// The most common `created by` function, when the dumps say.
    pub creator: Option<String>,
    /// Goroutines per dump, oldest first.
    pub counts: Vec<u64>,
    /// Newest minus oldest count.
    pub change: i64,
    /// `change` over the oldest count; null when the group is new.
    pub relative: Option<f64>,
    /// `change` per minute, when the times are known.
    pub per_minute: Option<f64>,
    /// `new`, `gone`, `grown`, `shrunk` or `same`.
    pub status: String,
}

// A goroutine blocked at the same place in every dump of a diff.
// Items left without a doc comment keep none: it would become a description
// in docs/schema.json, which must not change.
#[allow(missing_docs)]
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct StuckTask {
    pub id: u64,
    pub site: String,
    pub state: String,
    /// Minutes blocked in each dump (null when the dump does not say).
    pub wait_minutes: Vec<Option<u32>>,
}

// A goroutine running at the same frames in every dump of a diff.
// Items left without a doc comment keep none: it would become a description
// in docs/schema.json, which must not change.
#[allow(missing_docs)]
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SpinTask {
    pub id: u64,
    pub site: String,
    /// State in each dump (`running`, `runnable`).
    pub states: Vec<String>,
}

// A function that created goroutines only in the newest dump of a diff.
// Items left without a doc comment keep none: it would become a description
// in docs/schema.json, which must not change.
#[allow(missing_docs)]
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Spawner {
    /// The `created by` function of the new goroutines.
    pub creator: String,
    pub new_goroutines: u64,
    /// Where most of them are now (up to three sites).
    pub sites: Vec<String>,
}

/// Heap snapshots compared, oldest first: what `go tool pprof -base OLDEST
/// NEWEST` shows, with the series in between.
// Items left without a doc comment keep none: it would become a description
// in docs/schema.json, which must not change.
#[allow(missing_docs)]
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct HeapDiff {
    pub snapshots: Vec<HeapPoint>,
    /// Totals per snapshot.
    pub totals: Vec<HeapAmounts>,
    /// Newest minus oldest totals.
    pub delta: HeapAmounts,
    pub functions_total: usize,
    /// In-use bytes by function per snapshot, largest flat growth first
    /// (200 kept).
    pub functions: Vec<HeapFunctionDelta>,
    pub stacks_total: usize,
    /// In-use bytes by allocation stack per snapshot, largest growth first
    /// (200 kept).
    pub stacks: Vec<HeapStackDelta>,
}

// One heap snapshot of a diff series.
// Items left without a doc comment keep none: it would become a description
// in docs/schema.json, which must not change.
#[allow(missing_docs)]
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct HeapPoint {
    pub source: String,
    /// Position in the series; the same as the index into the report's `heap`.
    pub index: usize,
    pub format: String,
    pub seconds: Option<f64>,
}

// In-use bytes of one function across the heap snapshots of a diff.
// Items left without a doc comment keep none: it would become a description
// in docs/schema.json, which must not change.
#[allow(missing_docs)]
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct HeapFunctionDelta {
    pub function: String,
    /// In-use bytes where the function allocated (innermost frame), per snapshot.
    pub flat: Vec<i64>,
    /// In-use bytes with the function anywhere on the stack, per snapshot.
    pub cum: Vec<i64>,
    pub flat_delta: i64,
    pub cum_delta: i64,
}

// In-use bytes of one allocation stack across the heap snapshots of a diff.
// Items left without a doc comment keep none: it would become a description
// in docs/schema.json, which must not change.
#[allow(missing_docs)]
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct HeapStackDelta {
    /// The innermost frame.
    pub function: String,
    /// The first frame of the user's code.
    pub user_frame: String,
    /// `function (file.go:12)`, innermost first.
    pub frames: Vec<String>,
    /// In-use bytes per snapshot.
    pub inuse_bytes: Vec<i64>,
    pub delta: i64,
}

/// The report form of the diff's analysis.
pub fn diff_report(d: analysis::DiffAnalysis) -> DiffReport {
    DiffReport {
        snapshots: d.snapshots.into_iter().map(DiffPoint::from).collect(),
        times_from: d.times_from.map(str::to_string),
        span_seconds: d.span_seconds,
        groups_total: d.groups_total,
        groups: d.groups.into_iter().map(DiffGroup::from).collect(),
        stuck: d.stuck.into_iter().map(StuckTask::from).collect(),
        spinning: d.spinning.into_iter().map(SpinTask::from).collect(),
        spawners: d.spawners.into_iter().map(Spawner::from).collect(),
        heap: d.heap.map(HeapDiff::from),
    }
}

impl From<analysis::DiffPoint> for DiffPoint {
    fn from(p: analysis::DiffPoint) -> DiffPoint {
        DiffPoint {
            source: p.source,
            index: p.index,
            format: p.format,
            seconds: p.seconds,
            goroutines: p.goroutines,
        }
    }
}

impl From<analysis::DiffGroup> for DiffGroup {
    fn from(g: analysis::DiffGroup) -> DiffGroup {
        DiffGroup {
            signature: g.signature,
            site: g.site,
            function: g.function,
            state: g.state,
            creator: g.creator,
            counts: g.counts,
            change: g.change,
            relative: g.relative,
            per_minute: g.per_minute,
            status: g.status.as_str().to_string(),
        }
    }
}

impl From<analysis::StuckTask> for StuckTask {
    fn from(t: analysis::StuckTask) -> StuckTask {
        StuckTask {
            id: t.id,
            site: t.site,
            state: t.state,
            wait_minutes: t.wait_minutes,
        }
    }
}

impl From<analysis::SpinTask> for SpinTask {
    fn from(t: analysis::SpinTask) -> SpinTask {
        SpinTask {
            id: t.id,
            site: t.site,
            states: t.states,
        }
    }
}

impl From<analysis::Spawner> for Spawner {
    fn from(s: analysis::Spawner) -> Spawner {
        Spawner {
            creator: s.creator,
            new_goroutines: s.new_goroutines,
            sites: s.sites,
        }
    }
}

impl From<analysis::HeapDiff> for HeapDiff {
    fn from(d: analysis::HeapDiff) -> HeapDiff {
        HeapDiff {
            snapshots: d.snapshots.into_iter().map(HeapPoint::from).collect(),
            totals: d.totals.into_iter().map(HeapAmounts::from).collect(),
            delta: d.delta.into(),
            functions_total: d.functions_total,
            functions: d
                .functions
                .into_iter()
                .map(HeapFunctionDelta::from)
                .collect(),
            stacks_total: d.stacks_total,
            stacks: d.stacks.into_iter().map(HeapStackDelta::from).collect(),
        }
    }
}

impl From<analysis::HeapPoint> for HeapPoint {
    fn from(p: analysis::HeapPoint) -> HeapPoint {
        HeapPoint {
            source: p.source,
            index: p.index,
            format: p.format,
            seconds: p.seconds,
        }
    }
}

impl From<analysis::HeapFunctionDelta> for HeapFunctionDelta {
    fn from(f: analysis::HeapFunctionDelta) -> HeapFunctionDelta {
        HeapFunctionDelta {
            function: f.function,
            flat: f.flat,
            cum: f.cum,
            flat_delta: f.flat_delta,
            cum_delta: f.cum_delta,
        }
    }
}

impl From<analysis::HeapStackDelta> for HeapStackDelta {
    fn from(s: analysis::HeapStackDelta) -> HeapStackDelta {
        HeapStackDelta {
            function: s.function,
            user_frame: s.user_frame,
            frames: s.frames,
            inuse_bytes: s.inuse_bytes,
            delta: s.delta,
        }
    }
}

/// A sparkline of a series (`▁▃▅█`), scaled from 0 to its maximum.
pub fn sparkline(v: &[f64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = v.iter().copied().fold(0.0f64, f64::max);
    v.iter()
        .map(|&x| {
            if max <= 0.0 || x <= 0.0 {
                BARS[0]
            } else {
                BARS[((x / max) * 7.0).round().clamp(0.0, 7.0) as usize]
            }
        })
        .collect()
}

/// [`sparkline`] of counts.
pub fn sparkline_of<T: Copy>(v: &[T], f: impl Fn(T) -> f64) -> String {
    sparkline(&v.iter().map(|&x| f(x)).collect::<Vec<_>>())
}

/// `+3`, `-2`, `0`.
pub fn signed(n: i64) -> String {
    if n > 0 {
        format!("+{n}")
    } else {
        n.to_string()
    }
}

/// `+1.5 MiB`, `-512.0 KiB`, `0 B`.
pub fn signed_size(b: i64) -> String {
    let size = crate::analyze::phrase::mib;
    if b > 0 {
        format!("+{}", size(b))
    } else if b < 0 {
        format!("-{}", size(b.saturating_neg()))
    } else {
        size(0)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sparklines_scale_to_the_maximum() {
        assert_eq!(super::sparkline(&[0.0, 4.0, 8.0]), "▁▅█");
        assert_eq!(super::sparkline(&[0.0, 0.0]), "▁▁");
        assert_eq!(super::sparkline(&[5.0, 5.0]), "██");
    }
}
