//! The parts of the report that say where a dump's text went: the line
//! account of each dump, and the ancestor chains of goroutines
//! (`GODEBUG=tracebackancestors`), which would otherwise be read and dropped.

use super::{creator_report, frames_report, CreatorReport, FrameReport};
use crate::model::{LineAccount, SkipReason, Snapshot, Task, TaskDetail};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;

/// Where every line of a dump's text went: used (read into tasks, frames
/// and the crash record) or skipped for a reason. `unexplained` is zero when
/// every line is accounted for.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct LinesReport {
    /// First line (1-based, in the unwrapped input) the dump accounts for.
    pub first: u64,
    /// Last line (inclusive).
    pub last: u64,
    /// Lines in `first..=last`.
    pub total: u64,
    /// Lines read into the model.
    pub used: u64,
    /// Lines skipped, by reason (only reasons with lines): `blank`,
    /// `not_dump` (text around the dump: log lines, program output),
    /// `unreadable` (a warning names each), `cut` (cut off by the end of the
    /// input), `over_limit` (frames beyond the per-stack limit), `no_tasks`
    /// (crash text without any task after it).
    pub skipped: BTreeMap<String, u64>,
    /// Lines neither used nor skipped; 0 when the account is right.
    pub unexplained: i64,
}

impl LinesReport {
    /// Lines skipped for a reason other than being blank.
    pub fn notable(&self) -> u64 {
        self.skipped
            .iter()
            .filter(|(reason, _)| reason.as_str() != SkipReason::Blank.as_str())
            .map(|(_, n)| n)
            .sum()
    }
}

/// The report of a dump's line account.
pub fn lines_report(account: &LineAccount) -> LinesReport {
    LinesReport {
        first: account.first,
        last: account.last,
        total: account.total(),
        used: account.used,
        skipped: SkipReason::ALL
            .iter()
            .filter(|reason| account.skipped(**reason) > 0)
            .map(|reason| (reason.as_str().to_string(), account.skipped(*reason)))
            .collect(),
        unexplained: account.unexplained(),
    }
}

/// How the text report words the skipped lines: `3 not part of the dump, 1
/// unreadable`.
pub fn describe_skipped(lines: &LinesReport) -> String {
    SkipReason::ALL
        .iter()
        .filter(|reason| **reason != SkipReason::Blank)
        .filter_map(|reason| {
            let n = lines.skipped.get(reason.as_str())?;
            Some(format!("{n} {}", reason.describe()))
        })
        .collect::<Vec<_>>()
        .join(", ")
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
