//! What the diff found, as analysis values: the series of dumps and heap
//! snapshots, the groups matched across them, stuck and spinning
//! goroutines, spawners and heap growth. The report turns them into its
//! JSON form (`report/diff.rs`).

use crate::model::heap::HeapValues;

/// When each point was taken, in seconds from the first, and how that is
/// known (`interval`, `timestamps`, `mtime`).
pub struct Times {
    /// Seconds from the first point, per point, when known.
    pub seconds: Vec<Option<f64>>,
    /// `interval`, `timestamps` or `mtime`; `None` when unknown.
    pub from: Option<&'static str>,
}

impl Times {
    /// Seconds from the first to the last point, when known and positive.
    pub fn span(&self) -> Option<f64> {
        match (self.seconds.first(), self.seconds.last()) {
            (Some(Some(first)), Some(Some(last))) if last > first => Some(last - first),
            _ => None,
        }
    }
}

/// What changed between the inputs of `dumpscope diff`, oldest first.
#[derive(Debug, Clone)]
pub struct DiffAnalysis {
    /// The goroutine dumps compared, oldest first.
    pub snapshots: Vec<DiffPoint>,
    /// How the times of the dumps are known (see [`Times::from`]).
    pub times_from: Option<&'static str>,
    /// Seconds from the first to the last dump, when known.
    pub span_seconds: Option<f64>,
    /// Groups matched across the dumps, before the list was cut.
    pub groups_total: usize,
    /// Matched groups, largest absolute change first.
    pub groups: Vec<DiffGroup>,
    /// Goroutines blocked at the same place in every dump with a growing wait.
    pub stuck: Vec<StuckTask>,
    /// Goroutines running at the same frames in every dump.
    pub spinning: Vec<SpinTask>,
    /// Goroutines only in the newest dump, by creator, most first.
    pub spawners: Vec<Spawner>,
    /// Heap snapshots compared (two or more).
    pub heap: Option<HeapDiff>,
}

/// One goroutine dump of the series.
#[derive(Debug, Clone)]
pub struct DiffPoint {
    /// Where the dump was read from.
    pub source: String,
    /// Position in the series (0 is the oldest).
    pub index: usize,
    /// The dump's format id.
    pub format: String,
    /// Seconds after the first dump, when known.
    pub seconds: Option<f64>,
    /// Tasks in the dump.
    pub goroutines: u64,
}

/// How a group's count changed from the oldest dump to the newest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupStatus {
    /// Absent from the oldest dump.
    New,
    /// Absent from the newest dump.
    Gone,
    /// More in the newest dump.
    Grown,
    /// Fewer in the newest dump.
    Shrunk,
    /// As many.
    Same,
}

impl GroupStatus {
    /// From the oldest and the newest count.
    pub fn of(first: u64, last: u64) -> GroupStatus {
        match (first, last) {
            (0, l) if l > 0 => GroupStatus::New,
            (f, 0) if f > 0 => GroupStatus::Gone,
            (f, l) if l > f => GroupStatus::Grown,
            (f, l) if l < f => GroupStatus::Shrunk,
            _ => GroupStatus::Same,
        }
    }

    /// `new`, `gone`, `grown`, `shrunk` or `same`.
    pub fn as_str(self) -> &'static str {
        match self {
            GroupStatus::New => "new",
            GroupStatus::Gone => "gone",
            GroupStatus::Grown => "grown",
            GroupStatus::Shrunk => "shrunk",
            GroupStatus::Same => "same",
        }
    }
}

/// Goroutines with one signature, counted in every dump.
#[derive(Debug, Clone)]
pub struct DiffGroup {
    /// The functions of the stack, innermost first, one per line.
    pub signature: String,
    /// The first frame of the user's code, from the newest dump with the group.
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
    /// `change` over the oldest count; `None` when the group is new.
    pub relative: Option<f64>,
    /// `change` per minute, when the times are known.
    pub per_minute: Option<f64>,
    /// New, gone, grown, shrunk or the same.
    pub status: GroupStatus,
}

/// A goroutine blocked at the same place in every dump.
#[derive(Debug, Clone)]
pub struct StuckTask {
    /// The goroutine's id.
    pub id: u64,
    /// Where it is blocked.
    pub site: String,
    /// Its state in the newest dump.
    pub state: String,
    /// Minutes blocked in each dump (`None` when the dump does not say).
    pub wait_minutes: Vec<Option<u32>>,
}

/// A goroutine running at the same frames in every dump.
#[derive(Debug, Clone)]
pub struct SpinTask {
    /// The goroutine's id.
    pub id: u64,
    /// Where it runs.
    pub site: String,
    /// State in each dump (`running`, `runnable`).
    pub states: Vec<String>,
}

/// A function that created goroutines seen only in the newest dump.
#[derive(Debug, Clone)]
pub struct Spawner {
    /// The `created by` function of the new goroutines.
    pub creator: String,
    /// How many new goroutines it created.
    pub new_goroutines: u64,
    /// Where most of them are now (up to three sites).
    pub sites: Vec<String>,
}

/// Heap snapshots compared, oldest first.
#[derive(Debug, Clone)]
pub struct HeapDiff {
    /// The heap snapshots, oldest first.
    pub snapshots: Vec<HeapPoint>,
    /// Totals per snapshot.
    pub totals: Vec<HeapValues>,
    /// Newest minus oldest totals.
    pub delta: HeapValues,
    /// Functions seen, before the list was cut.
    pub functions_total: usize,
    /// In-use bytes by function per snapshot, largest flat growth first.
    pub functions: Vec<HeapFunctionDelta>,
    /// Stacks seen, before the list was cut.
    pub stacks_total: usize,
    /// In-use bytes by allocation stack per snapshot, largest growth first.
    pub stacks: Vec<HeapStackDelta>,
}

/// One heap snapshot of the series.
#[derive(Debug, Clone)]
pub struct HeapPoint {
    /// Where the snapshot was read from.
    pub source: String,
    /// Position in the series.
    pub index: usize,
    /// The snapshot's format id.
    pub format: String,
    /// Seconds after the first snapshot, when known.
    pub seconds: Option<f64>,
}

/// In-use bytes of one function across the heap snapshots.
#[derive(Debug, Clone)]
pub struct HeapFunctionDelta {
    /// The function.
    pub function: String,
    /// In-use bytes where the function allocated (innermost frame), per snapshot.
    pub flat: Vec<i64>,
    /// In-use bytes with the function anywhere on the stack, per snapshot.
    pub cum: Vec<i64>,
    /// Newest minus oldest `flat`.
    pub flat_delta: i64,
    /// Newest minus oldest `cum`.
    pub cum_delta: i64,
}

/// In-use bytes of one allocation stack across the heap snapshots.
#[derive(Debug, Clone)]
pub struct HeapStackDelta {
    /// The innermost frame.
    pub function: String,
    /// The first frame of the user's code.
    pub user_frame: String,
    /// `function (file.go:12)`, innermost first.
    pub frames: Vec<String>,
    /// In-use bytes per snapshot.
    pub inuse_bytes: Vec<i64>,
    /// Newest minus oldest.
    pub delta: i64,
}
