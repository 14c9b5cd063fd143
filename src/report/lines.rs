//! The line account of each dump in the report: where every line of its
//! text went.

use crate::model::{LineAccount, LineUnit, SkipReason};
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
    /// (crash text without any task after it), `not_modelled` (lines of the
    /// dump the model keeps nothing of: a heap summary), `repeated` (stacks a
    /// deadlock report prints again).
    pub skipped: BTreeMap<String, u64>,
    /// Lines neither used nor skipped; 0 when the account is right.
    pub unexplained: i64,
    /// `records` when the input is not text read line by line (JSON thread
    /// dumps, protobuf profiles): the account then counts records (threads
    /// and frames, samples) numbered in input order; absent for lines.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
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
        unit: (account.unit == LineUnit::Record).then(|| "records".to_string()),
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

/// The account in one phrase (`120: 96 read, 20 blank, 4 not modelled`;
/// `records` after the count when it counts records), or `None` when
/// nothing but blank lines was skipped and nothing is unexplained: what the
/// text and HTML reports show.
pub fn summary(lines: &LinesReport) -> Option<String> {
    if lines.notable() == 0 && lines.unexplained == 0 {
        return None;
    }
    let unexplained = if lines.unexplained != 0 {
        format!(", {} unexplained", lines.unexplained)
    } else {
        String::new()
    };
    let unit = lines
        .unit
        .as_deref()
        .map(|unit| format!(" {unit}"))
        .unwrap_or_default();
    Some(format!(
        "{}{unit}: {} read, {} blank, {}{unexplained}",
        lines.total,
        lines.used,
        lines.skipped.get("blank").copied().unwrap_or(0),
        describe_skipped(lines)
    ))
}
