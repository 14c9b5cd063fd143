//! The report: serde types that *are* the JSON schema
//! (`dumpscope.report/v1`), built from snapshots and groups. The text
//! renderer reads the same value; nothing here recomputes analysis.

mod counts;
pub mod crash;
pub mod diag;
pub mod diff;
pub mod heap;
pub mod html;
pub mod labels;
pub mod lazy;
pub mod lines;
pub mod md;
pub mod series;
pub mod text;
mod textfind;
pub(crate) mod textfmt;

pub use counts::Counts;
pub use labels::{EdgeKind, NodeKind};
pub use lines::LinesReport;

use crate::analyze::finding::{Kind, Severity};
use crate::analyze::{Group, Similarity};
use crate::model::{
    CodeKind, Confidence, Runtime, Snapshot, StackId, Task, TaskDetail, TaskFlags, Warning,
};
use crash::Crash;
use lazy::{LazyItems, LazyList};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;

/// The schema id written in every report.
pub const SCHEMA_ID: &str = "dumpscope.report/v1";

/// A dumpscope report.
// Items left without a doc comment keep none: it would become a description
// in docs/schema.json, which must not change.
#[allow(missing_docs)]
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Report {
    /// Always `dumpscope.report/v1` for this version of the schema.
    pub schema: String,
    pub tool: Tool,
    /// The inputs read, in the order given.
    pub inputs: Vec<InputReport>,
    /// Every dump found in the inputs, in order.
    pub snapshots: Vec<SnapshotReport>,
    /// Diagnoses, most urgent first (filled by the diagnosis rules).
    pub findings: Vec<Finding>,
    /// The wait-for graph (filled by the diagnosis).
    pub graph: Graph,
    /// Heap snapshots read (pprof heap profiles, jemalloc, dhat), in order.
    pub heap: Vec<heap::HeapReport>,
    /// What changed between the inputs (`dumpscope diff` only; absent
    /// from `dumpscope analyze` reports).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff: Option<diff::DiffReport>,
    /// For each input holding several goroutine dumps (`analyze`): the
    /// summary across them, in the diff's form (groups matched from dump to
    /// dump: which persist, grow, appear or vanish). Absent otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub across: Vec<diff::DiffReport>,
}

// The program that wrote the report, and its version.
// Items left without a doc comment keep none: it would become a description
// in docs/schema.json, which must not change.
#[allow(missing_docs)]
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

/// One input file (or stdin).
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct InputReport {
    /// The path as given, or `<stdin>`.
    pub source: String,
    /// Bytes read, before decompression.
    pub size: u64,
    /// `none`, `gzip` or `zstd`.
    pub compression: String,
    /// Bytes after decompression.
    pub decompressed_size: u64,
    /// The detected (or forced) format.
    pub format: String,
    /// Detection confidence, 0 to 1 (1 when forced with --input-format).
    pub confidence: f32,
    /// What was done to find the dump inside the input (log prefixes stripped, ...).
    pub notes: Vec<String>,
}

impl From<&crate::parse::InputInfo> for InputReport {
    fn from(info: &crate::parse::InputInfo) -> InputReport {
        InputReport {
            source: info.source.clone(),
            size: info.size,
            compression: info.compression.as_str().to_string(),
            decompressed_size: info.decompressed_size,
            format: info.format.map_or("", crate::parse::Format::id).to_string(),
            confidence: info.confidence,
            notes: info.notes.clone(),
        }
    }
}

/// One dump.
// Items left without a doc comment keep none: it would become a description
// in docs/schema.json, which must not change.
#[allow(missing_docs)]
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SnapshotReport {
    pub source: String,
    /// Position of this dump within its input (0-based).
    pub index: usize,
    pub format: String,
    pub runtime: Runtime,
    /// What the dump's tasks are, for the noun reports use (not serialized).
    #[serde(skip)]
    #[schemars(skip)]
    pub task_kind: crate::model::TaskKind,
    /// A guess at the runtime version from the features present (`>=go1.21`).
    pub version_guess: Option<String>,
    /// What produced the dump: `panic`, `fatal`, `signal`, `sigquit`,
    /// `goroutineleak` or `stack` (runtime.Stack, pprof debug=2).
    pub origin: Option<String>,
    /// True when the dump was cut off; the last task is then marked partial.
    pub truncated: bool,
    /// Where every line of the dump's text went; absent for formats that
    /// do not keep the account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lines: Option<LinesReport>,
    /// Lines that could not be read (line numbers are 1-based in the unwrapped input).
    pub warnings: Vec<Warning>,
    /// The crash record, when the dump came with one.
    pub crash: Option<Crash>,
    /// The task that crashed, when known.
    pub crash_task: Option<TaskReport>,
    /// Every task (goroutine) of the dump.
    pub task_count: u64,
    /// Of those, the branches of forked async tasks (futures a task awaits
    /// together, each a task of its own with the task's id; flag `branch`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub branch_count: u64,
    /// Tasks per state as printed, most common first.
    pub states: Counts,
    /// Tasks per normalised state class, most common first.
    pub state_classes: Counts,
    /// The similarity level used to group.
    pub similarity: String,
    /// Number of groups before --filter and --max-groups.
    pub groups_total: usize,
    /// Groups, most tasks first, ties by longest wait.
    #[schemars(with = "Vec<GroupReport>")]
    pub groups: LazyList<GroupReport>,
}

/// Tasks with the same stack signature and creator.
// Items left without a doc comment keep none: it would become a description
// in docs/schema.json, which must not change.
#[allow(missing_docs)]
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct GroupReport {
    /// `g1`, `g2`, ...: the group's rank among all groups of the snapshot
    /// (before --filter and --max-groups), so ids do not depend on what is shown.
    pub id: String,
    pub count: u64,
    /// The most common state in the group.
    pub state: String,
    /// Its normalised class.
    pub class: String,
    /// Every state in the group with its count.
    pub states: Counts,
    /// Minutes blocked (absent minutes count as 0), or null when the dump
    /// printed no wait time for any task of the group.
    pub wait_minutes: Option<WaitMinutes>,
    /// Ids of the group's tasks in dump order. Empty for profiles that
    /// count goroutines without naming them (pprof debug=0/1): `count` holds
    /// the number.
    pub task_ids: Vec<u64>,
    /// The tasks' names in the order of `task_ids` (threads' names; empty
    /// when no task of the group has one, as for goroutines).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub task_names: Vec<String>,
    /// The representative stack, innermost frame first.
    pub frames: Vec<FrameReport>,
    /// Frames the runtime left out of the stack.
    pub elided: Option<Elided>,
    pub created_by: Option<CreatorReport>,
    /// The chain of goroutines that led to the group's first task
    /// (`GODEBUG=tracebackancestors`), newest first; absent when none was
    /// printed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ancestors: Vec<AncestorReport>,
    /// Label keys with the distinct values seen in the group.
    pub labels: BTreeMap<String, Vec<String>>,
    /// How many tasks carry each flag (`leaked`, `locked_to_thread`, `partial`, ...).
    pub flags: Counts,
}

// The spread of a group's waits, in minutes.
// Items left without a doc comment keep none: it would become a description
// in docs/schema.json, which must not change.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
pub struct WaitMinutes {
    pub min: u32,
    pub median: u32,
    pub max: u32,
}

impl WaitMinutes {
    /// `12`, or `3–40` when the group's waits differ.
    pub fn range(&self) -> String {
        if self.min == self.max {
            self.max.to_string()
        } else {
            format!("{}–{}", self.min, self.max)
        }
    }
}

impl GroupReport {
    /// The first frame in the user's code, or the innermost frame.
    pub fn top_frame(&self) -> Option<&FrameReport> {
        self.frames
            .iter()
            .find(|f| f.kind == CodeKind::User)
            .or_else(|| self.frames.first())
    }
}

impl Report {
    /// What the report's tasks are called, `(one, many)`: goroutines, or
    /// threads (tasks) when no dump in it is Go's.
    pub fn nouns(&self) -> (&'static str, &'static str) {
        snapshot_nouns(self.snapshots.iter())
    }

    /// The highest severity among the findings (`--fail-on`), if any.
    pub fn max_severity(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }

    /// Group `id` (`g3`) of snapshot `snapshot`, when the report kept it.
    pub fn group(&self, snapshot: Option<usize>, id: &str) -> Option<&GroupReport> {
        self.snapshots
            .get(snapshot?)?
            .groups
            .iter()
            .find(|g| g.id == id)
    }
}

// Where the runtime left frames out of a stack, and how many.
// Items left without a doc comment keep none: it would become a description
// in docs/schema.json, which must not change.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
pub struct Elided {
    /// Index in `frames` before which the frames were left out.
    pub at: u32,
    /// How many; 0 when the dump did not say.
    pub count: u32,
}

// One stack frame.
// Items left without a doc comment keep none: it would become a description
// in docs/schema.json, which must not change.
#[allow(missing_docs)]
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct FrameReport {
    /// Full function name as printed.
    pub function: String,
    pub package: String,
    pub receiver: Option<String>,
    /// Function name without package and receiver.
    pub name: String,
    /// Source file; empty when unknown.
    pub file: String,
    /// Source line; 0 when unknown.
    pub line: u32,
    /// Offset of the pc in the function (`+0x1d`).
    pub pc_offset: Option<u32>,
    pub inlined: bool,
    /// `user`, `stdlib` or `runtime`.
    pub kind: CodeKind,
    /// The argument words of the representative task, as printed.
    pub args: String,
}

// The `created by` frame of a group or task.
// Items left without a doc comment keep none: it would become a description
// in docs/schema.json, which must not change.
#[allow(missing_docs)]
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CreatorReport {
    pub function: String,
    pub file: String,
    pub line: u32,
    /// Distinct ids of the goroutines that created the group's tasks.
    pub parent_ids: Vec<u64>,
}

/// One task in full (used for the crashing task).
// Items left without a doc comment keep none: it would become a description
// in docs/schema.json, which must not change.
#[allow(missing_docs)]
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TaskReport {
    pub id: u64,
    pub state: String,
    pub wait_minutes: Option<u32>,
    pub flags: Vec<String>,
    pub frames: Vec<FrameReport>,
    pub created_by: Option<CreatorReport>,
    /// The chain of goroutines that led to it, newest first; absent when
    /// none was printed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ancestors: Vec<AncestorReport>,
    /// 1-based line of the task's header in the unwrapped input.
    pub line: u32,
}

/// A diagnosis: what is wrong, how sure, and what to change.
// Items left without a doc comment keep none: it would become a description
// in docs/schema.json, which must not change.
#[allow(missing_docs)]
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Finding {
    /// `f1`, `f2`, ... in rank order.
    pub id: String,
    /// 1 for the most urgent finding.
    pub rank: u32,
    /// `deadlock`, `leak`, `blocked-forever`, `contention`, `crash`,
    /// `starvation`, `growth` or `benign`.
    #[serde(serialize_with = "labels::serialize")]
    #[schemars(with = "String")]
    pub kind: Kind,
    /// The catalogue rule that recognised it (docs/rules.md).
    pub rule: String,
    /// `critical`, `high`, `medium`, `low` or `info`.
    #[serde(serialize_with = "labels::serialize")]
    #[schemars(with = "String")]
    pub severity: Severity,
    /// `certain`, `likely` or `possible`.
    #[serde(serialize_with = "labels::serialize")]
    #[schemars(with = "String")]
    pub confidence: Confidence,
    /// Ranking score (severity × confidence × log of the tasks involved).
    pub score: f64,
    /// Position of the goroutine snapshot in `snapshots`; null for a
    /// finding about a heap snapshot alone.
    pub snapshot: Option<usize>,
    /// Position of the heap snapshot in `heap`, for heap findings.
    pub heap: Option<usize>,
    /// The allocation sites concerned: indices into that heap's `sites`.
    pub heap_sites: Vec<usize>,
    pub title: String,
    /// What happened here, then what it means.
    pub explanation: String,
    /// The usual cause in the code.
    pub cause: String,
    /// What to change.
    pub remedy: String,
    /// A short Go sketch of the fix (may be empty).
    pub sketch: String,
    pub references: Vec<String>,
    /// Ids of the tasks involved.
    pub task_ids: Vec<u64>,
    /// How many tasks the finding concerns (also when the dump gives no ids).
    pub task_count: u64,
    /// Ids of the groups (`g1`, ...) the tasks belong to.
    pub groups: Vec<String>,
    /// Ids of the resources involved (graph node ids).
    pub resources: Vec<String>,
    /// Durations, proofs and inference notes behind the finding.
    pub evidence: Vec<String>,
    /// The `--rules` entry that changed this finding, if any.
    pub user_rule: Option<String>,
    /// The rule whose cause, remedy, sketch and references are given, when
    /// not `rule`: what the tasks wait on calls for that rule's fix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advice_rule: Option<String>,
    /// Ids of the findings this one follows from (it is their symptom:
    /// fixing them fixes it). They rank before it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub caused_by: Vec<String>,
    /// Ids of the findings that follow from this one (its symptoms).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub explains: Vec<String>,
    /// Earlier snapshots of the same input (positions in `snapshots`) where
    /// the same finding was seen: it persists across them, and is reported
    /// once, on the newest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also_in: Vec<usize>,
}

impl Finding {
    /// Info findings and benign waits: nothing to act on, so every report
    /// folds them into one line.
    pub fn is_quiet(&self) -> bool {
        self.severity == Severity::Info || self.kind == Kind::Benign
    }

    /// The findings this one is linked to and the dumps it persists across,
    /// in words (`caused by #1; persists across 2 dumps (also in dump 1)`),
    /// findings named by rank after `prefix` (`#`, `finding `); `None` when
    /// it stands alone.
    pub fn links_line(&self, prefix: &str) -> Option<String> {
        let ranks = |ids: &[String]| {
            ids.iter()
                .map(|id| format!("{prefix}{}", id.trim_start_matches('f')))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut parts: Vec<String> = Vec::new();
        if !self.caused_by.is_empty() {
            parts.push(format!("caused by {}", ranks(&self.caused_by)));
        }
        if !self.explains.is_empty() {
            parts.push(format!("causes {}", ranks(&self.explains)));
        }
        if !self.also_in.is_empty() {
            let dumps: Vec<String> = self.also_in.iter().map(|i| (i + 1).to_string()).collect();
            parts.push(format!(
                "persists across {} dumps (also in {} {})",
                self.also_in.len() + 1,
                if self.also_in.len() == 1 {
                    "dump"
                } else {
                    "dumps"
                },
                dumps.join(", ")
            ));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

/// The wait-for graph. Task nodes are `task:ID` (prefixed `sN/` when the
/// report has several snapshots); when more than
/// [`MAX_WAITER_NODES`] tasks wait on one resource, they appear as their
/// groups (`group:gN`) with a count on the edge.
// Items left without a doc comment keep none: it would become a description
// in docs/schema.json, which must not change.
#[allow(missing_docs)]
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct Graph {
    pub nodes: Vec<GraphNode>,
    pub edges: Vec<GraphEdge>,
    /// Each cycle as the list of its node ids.
    pub cycles: Vec<Vec<String>>,
}

/// Waiters per resource drawn one by one in the graph.
pub const MAX_WAITER_NODES: usize = 32;

// A node of the wait-for graph: a task, a group or a resource.
// Items left without a doc comment keep none: it would become a description
// in docs/schema.json, which must not change.
#[allow(missing_docs)]
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct GraphNode {
    pub id: String,
    /// `task`, `group`, or the resource kind (`mutex`, `rwmutex`, `chan`,
    /// `waitgroup`, `cond`, `select`, `semaphore`, ...).
    #[serde(serialize_with = "labels::serialize")]
    #[schemars(with = "String")]
    pub kind: NodeKind,
    pub snapshot: usize,
    /// Tasks behind a `group` node.
    pub count: Option<u64>,
    /// A task's name (a thread's), when the dump gives one; a lock's name
    /// (a debugger's symbol, or the global the sources take).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

// An edge of the wait-for graph: a wait or a hold.
// Items left without a doc comment keep none: it would become a description
// in docs/schema.json, which must not change.
#[allow(missing_docs)]
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct GraphEdge {
    pub from: String,
    pub to: String,
    /// `waits-on` (task to resource) or `held-by` (resource to the task
    /// that holds it or will release or signal it).
    #[serde(serialize_with = "labels::serialize")]
    #[schemars(with = "String")]
    pub kind: EdgeKind,
    #[serde(serialize_with = "labels::serialize")]
    #[schemars(with = "String")]
    pub confidence: Confidence,
    /// Why a `held-by` edge was inferred.
    pub evidence: Option<String>,
    /// Tasks behind the edge, for group nodes.
    pub count: Option<u64>,
}

/// Options that shape the groups in a report.
#[derive(Debug, Clone, Default)]
pub struct GroupOptions {
    /// How alike stacks must be to share a group.
    pub similarity: Similarity,
    /// Keep only groups where this matches the state, a frame's function or
    /// file, or the creator.
    pub filter: Option<regex::Regex>,
    /// Groups kept per snapshot, after the filter (`--max-groups`).
    pub max_groups: Option<usize>,
}

/// At most `n` characters of `s`, with `…` when it was longer (dump text
/// in the HTML and Markdown reports).
pub(crate) fn clip(s: &str, n: usize) -> std::borrow::Cow<'_, str> {
    match s.char_indices().nth(n) {
        Some((at, _)) => format!("{}…", &s[..at]).into(),
        None => s.into(),
    }
}

/// A frame's place, `file:line`, or the file alone when the dump gives no
/// line (line 0: native methods, `Unknown Source`, a `(File.java)` without
/// a line number): a missing line is never shown as `:0`.
pub(crate) fn with_line(file: &str, line: u32) -> String {
    if line > 0 {
        format!("{file}:{line}")
    } else {
        file.to_string()
    }
}

/// A byte count for people, in powers of 1000: `512 B`, `1.4 KB`, `167.9 MB`.
pub(crate) fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1000.0;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// The JSON Schema of the report, generated from these types.
pub fn json_schema() -> serde_json::Value {
    let schema = schemars::schema_for!(Report);
    serde_json::to_value(schema).unwrap_or(serde_json::Value::Null)
}

/// A report of these parts, stamped with the schema id and this program's
/// name and version.
pub fn new_report(
    inputs: Vec<InputReport>,
    snapshots: Vec<SnapshotReport>,
    findings: Vec<Finding>,
    graph: Graph,
    heap: Vec<heap::HeapReport>,
) -> Report {
    Report {
        schema: SCHEMA_ID.to_string(),
        tool: Tool {
            name: "dumpscope".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        inputs,
        snapshots,
        findings,
        graph,
        heap,
        diff: None,
        across: Vec::new(),
    }
}

/// Groups a dump's report keeps built when it has more and `--max-groups`
/// is not given (the text, Markdown and HTML reports show at most these);
/// the JSON report makes the others one at a time as it writes them.
pub const BUILT_GROUPS: usize = 1000;

/// Builds the report of one snapshot from its groups.
pub fn snapshot_report(snap: &Snapshot, groups: &[Group], opts: &GroupOptions) -> SnapshotReport {
    snapshot_start(snap, groups, opts, usize::MAX).0
}

/// The report of one snapshot with at most [`BUILT_GROUPS`] groups built,
/// and the positions of every group it lists when it lists more: hand
/// them with the groups to [`defer_groups`].
pub fn snapshot_report_start(
    snap: &Snapshot,
    groups: &[Group],
    opts: &GroupOptions,
) -> (SnapshotReport, Option<Vec<u32>>) {
    let built = if opts.max_groups.is_some() {
        usize::MAX
    } else {
        BUILT_GROUPS
    };
    snapshot_start(snap, groups, opts, built)
}

/// Lets `report` list every group of `selected` (positions in `groups`,
/// from [`snapshot_report_start`]): those past the built ones are made
/// when the report is serialized, from a copy of the snapshot's tasks and
/// the shared tables.
pub fn defer_groups(
    report: &mut SnapshotReport,
    snap: &Snapshot,
    groups: Vec<Group>,
    selected: Vec<u32>,
) {
    let mut copy = Snapshot::new(
        &snap.source,
        snap.format,
        snap.runtime,
        snap.text.clone(),
        snap.tables.clone(),
        snap.args.clone(),
    );
    copy.tasks = snap.tasks.clone();
    let built = std::mem::take(&mut *report.groups);
    let source = DeferredGroups {
        snap: copy,
        groups,
        selected,
    };
    report.groups = LazyList::deferred(built, std::sync::Arc::new(source));
}

/// The groups of a snapshot, made one at a time.
struct DeferredGroups {
    snap: Snapshot,
    groups: Vec<Group>,
    selected: Vec<u32>,
}

impl LazyItems<GroupReport> for DeferredGroups {
    fn count(&self) -> usize {
        self.selected.len()
    }

    fn item(&self, index: usize) -> GroupReport {
        let gi = self.selected[index] as usize;
        group_report(&self.snap, &self.groups[gi], gi + 1)
    }
}

/// The report of one snapshot with at most `built` groups built, and the
/// positions of every group it lists when that is more.
fn snapshot_start(
    snap: &Snapshot,
    groups: &[Group],
    opts: &GroupOptions,
    built: usize,
) -> (SnapshotReport, Option<Vec<u32>>) {
    let mut states: rustc_hash::FxHashMap<crate::model::Sym, u64> = Default::default();
    let mut classes: BTreeMap<&'static str, u64> = BTreeMap::new();
    for t in &snap.tasks {
        *states.entry(t.state).or_default() += 1;
        *classes.entry(t.class.as_str()).or_default() += 1;
    }
    let states = Counts::from_iter_sorted(
        states
            .into_iter()
            .map(|(s, n)| (snap.tables.str(s).to_string(), n)),
    );
    let state_classes =
        Counts::from_iter_sorted(classes.into_iter().map(|(s, n)| (s.to_string(), n)));
    let crash_task = snap
        .crash
        .as_ref()
        .and_then(|c| c.task_id)
        .and_then(|id| snap.tasks.iter().find(|t| t.id == id))
        .map(|t| crash_preview(task_report(snap, t)));
    let mut selected: Vec<u32> = Vec::new();
    for (gi, g) in groups.iter().enumerate() {
        if opts.max_groups.is_some_and(|m| selected.len() >= m) {
            break;
        }
        if let Some(re) = &opts.filter {
            if !group_matches(snap, g, re) {
                continue;
            }
        }
        selected.push(gi as u32);
    }
    let out: Vec<GroupReport> = selected
        .iter()
        .take(built)
        .map(|&gi| group_report(snap, &groups[gi as usize], gi as usize + 1))
        .collect();
    let rest = (selected.len() > out.len()).then_some(selected);
    let report = SnapshotReport {
        source: snap.source.clone(),
        index: snap.index,
        format: snap.format.to_string(),
        runtime: snap.runtime,
        task_kind: snap.task_kind,
        version_guess: snap.version_guess.clone(),
        origin: snap.origin.clone(),
        truncated: snap.truncated,
        lines: snap.lines.as_ref().map(lines::lines_report),
        warnings: snap.warnings.clone(),
        crash: snap.crash.as_ref().map(Crash::from),
        crash_task,
        task_count: snap.tasks.len() as u64,
        branch_count: snap
            .tasks
            .iter()
            .filter(|t| t.flags.has(TaskFlags::BRANCH))
            .count() as u64,
        states,
        state_classes,
        similarity: opts.similarity.as_str().to_string(),
        groups_total: groups.len(),
        groups: out.into(),
    };
    (report, rest)
}

fn group_matches(snap: &Snapshot, group: &Group, pattern: &regex::Regex) -> bool {
    let tables = &snap.tables;
    if group
        .states
        .iter()
        .any(|(state, _)| pattern.is_match(tables.str(*state)))
    {
        return true;
    }
    let frames = tables
        .stack(group.stack)
        .frames
        .iter()
        .chain(group.creator.iter());
    for frame in frames {
        let frame_info = tables.frame(*frame);
        if pattern.is_match(tables.func_name(frame_info.function))
            || pattern.is_match(tables.str(frame_info.file))
        {
            return true;
        }
    }
    false
}

fn frames_report(snap: &Snapshot, stack: StackId, task: Option<&Task>) -> Vec<FrameReport> {
    let tables = &snap.tables;
    let args = task.map(|task| snap.task_args(task)).unwrap_or_default();
    tables
        .stack(stack)
        .frames
        .iter()
        .enumerate()
        .map(|(index, frame)| {
            let frame_info = tables.frame(*frame);
            let func = tables.function(frame_info.function);
            FrameReport {
                function: tables.str(func.full).to_string(),
                package: tables.str(func.package).to_string(),
                receiver: func
                    .receiver
                    .map(|receiver| tables.str(receiver).to_string()),
                name: tables.str(func.name).to_string(),
                file: tables.str(frame_info.file).to_string(),
                line: frame_info.line,
                pc_offset: frame_info.pc_offset,
                inlined: frame_info.inlined,
                kind: func.kind,
                args: args.get(index).map_or(String::new(), |arg| arg.to_string()),
            }
        })
        .collect()
}

fn creator_report(
    snap: &Snapshot,
    creator: crate::model::FrameId,
    parents: Vec<u64>,
) -> CreatorReport {
    let tables = &snap.tables;
    let frame = tables.frame(creator);
    CreatorReport {
        function: tables.func_name(frame.function).to_string(),
        file: tables.str(frame.file).to_string(),
        line: frame.line,
        parent_ids: parents,
    }
}

/// The crashing task as the preview shows it: a Rust panic's stack starts
/// where the panic began, below the frames that printed the backtrace
/// and ran the panic hook (everything up to `__rust_end_short_backtrace`,
/// where Rust's own short backtrace starts too). The whole stack stays in
/// its group.
fn crash_preview(mut task: TaskReport) -> TaskReport {
    let marker = task
        .frames
        .iter()
        .rposition(|frame| frame.function.contains("__rust_end_short_backtrace"));
    if let Some(at) = marker.filter(|at| at + 1 < task.frames.len()) {
        task.frames.drain(..=at);
    }
    task
}

fn task_report(snap: &Snapshot, task: &Task) -> TaskReport {
    TaskReport {
        id: task.id,
        state: snap.state(task).to_string(),
        wait_minutes: task.wait_minutes,
        flags: task.flags.names().into_iter().map(String::from).collect(),
        frames: frames_report(snap, task.stack, Some(task)),
        created_by: task
            .creator
            .map(|c| creator_report(snap, c, task.parent_id().into_iter().collect())),
        ancestors: ancestors_report(snap, task),
        line: task.line,
    }
}

fn group_report(snap: &Snapshot, g: &Group, n: usize) -> GroupReport {
    let rep = g.tasks.first().map(|&i| &snap.tasks[i as usize]);
    let stack = snap.tables.stack(g.stack);
    GroupReport {
        id: format!("g{n}"),
        count: g.count() as u64,
        state: snap.tables.str(g.state).to_string(),
        class: g.class.as_str().to_string(),
        states: Counts::from_iter_sorted(
            g.states
                .iter()
                .map(|(s, c)| (snap.tables.str(*s).to_string(), u64::from(*c))),
        ),
        wait_minutes: g.wait.map(|w| WaitMinutes {
            min: w.min,
            median: w.median,
            max: w.max,
        }),
        task_ids: ids_of(snap, &g.tasks),
        task_names: names_of(snap, &g.tasks),
        frames: frames_report(snap, g.stack, rep),
        elided: stack.elided.map(|(at, count)| Elided { at, count }),
        created_by: g
            .creator
            .map(|c| creator_report(snap, c, g.parent_ids.clone())),
        ancestors: rep
            .map(|task| ancestors_report(snap, task))
            .unwrap_or_default(),
        labels: g.labels.clone(),
        flags: Counts::from_iter_sorted(
            g.flags.iter().map(|(n, c)| (n.to_string(), u64::from(*c))),
        ),
    }
}

/// What follows a dump's task count when some of its tasks are branches
/// of forked async tasks: ` (2 of them branches of forked tasks)`, or
/// nothing.
pub fn branches_note(branch_count: u64) -> String {
    match branch_count {
        0 => String::new(),
        1 => " (one a branch of a forked task)".to_string(),
        n => format!(" ({n} of them branches of forked tasks)"),
    }
}

/// Serde's `skip_serializing_if` for counts that are absent when zero.
fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The ids of tasks, leaving out those the dump does not identify
/// (profiles that only count goroutines): their `count` says how many.
pub fn ids_of(snap: &Snapshot, tasks: &[u32]) -> Vec<u64> {
    identified(snap, tasks).map(|t| t.id).collect()
}

/// The tasks the dump identifies, of those given.
fn identified<'a>(
    snap: &'a Snapshot,
    tasks: &'a [u32],
) -> impl Iterator<Item = &'a crate::model::Task> + 'a {
    tasks
        .iter()
        .filter_map(|&i| snap.tasks.get(i as usize))
        .filter(|t| !t.flags.has(TaskFlags::NO_ID))
}

/// The names of tasks in the order of [`ids_of`], or nothing when none
/// has a name.
pub fn names_of(snap: &Snapshot, tasks: &[u32]) -> Vec<String> {
    let name = |t: &crate::model::Task| snap.task_name(t);
    if !identified(snap, tasks).any(|t| name(t).is_some()) {
        return Vec::new();
    }
    identified(snap, tasks)
        .map(|t| name(t).unwrap_or_default().to_string())
        .collect()
}

/// Names of task flags, for documentation.
pub fn flag_names() -> Vec<&'static str> {
    TaskFlags(0xffff).names()
}

/// [`Report::nouns`] over some snapshots.
pub fn snapshot_nouns<'a>(
    mut snaps: impl Iterator<Item = &'a SnapshotReport>,
) -> (&'static str, &'static str) {
    let mut kind = None;
    for snapshot in snaps.by_ref() {
        let noun = snapshot.task_kind.noun();
        if snapshot.runtime == crate::model::Runtime::Go {
            return noun;
        }
        kind = match kind {
            None => Some(noun),
            Some(prev) if prev == noun => Some(noun),
            Some(_) => Some(("thread", "threads")),
        };
    }
    kind.unwrap_or(("goroutine", "goroutines"))
}

/// One goroutine of the chain that led to a task
/// (`[originating from goroutine N]:`), newest first.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct AncestorReport {
    /// The ancestor goroutine's id.
    pub id: u64,
    /// Where it ran the `go` statement, innermost frame first.
    pub frames: Vec<FrameReport>,
    /// What created the ancestor, when printed.
    pub created_by: Option<CreatorReport>,
}

/// The ancestor chain of a task, newest first (empty when the dump printed
/// none).
pub fn ancestors_report(snap: &Snapshot, task: &Task) -> Vec<AncestorReport> {
    let Some(TaskDetail::Go(go)) = task.detail.as_deref() else {
        return Vec::new();
    };
    let chain = &go.ancestors;
    chain
        .iter()
        .enumerate()
        .map(|(i, ancestor)| AncestorReport {
            id: ancestor.id,
            frames: frames_report(snap, ancestor.stack, None),
            created_by: ancestor.creator.map(|frame| {
                // The next ancestor in the chain is the one that created it.
                let parent = chain.get(i + 1).map(|next| next.id);
                creator_report(snap, frame, parent.into_iter().collect())
            }),
        })
        .collect()
}
