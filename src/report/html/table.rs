//! The data behind the groups table, for the script: shared tables of
//! strings, frames and stacks, one compact row per group.

use super::escape::{script_json, MAX_TEXT};
use super::groups::{group_key, GroupSeverity, STATIC_ROWS};
use super::severity::SEVERITIES;
use super::snapshot::SnapView;
use crate::model::CodeKind;
use crate::report::{clip, FrameReport, GroupReport, Report};
use rustc_hash::FxHashMap;

/// The data the script needs for the whole groups table, compact:
/// strings, frames and stacks are shared tables; goroutine ids are
/// run-length coded differences.
#[derive(serde::Serialize)]
struct TableData<'a> {
    multi: bool,
    sev: [&'static str; 6],
    rows: usize,
    strs: Vec<&'a str>,
    /// (function, file, line, kind: 0 user, 1 stdlib, 2 runtime)
    frames: Vec<(usize, usize, u32, u8)>,
    stacks: Vec<Vec<usize>>,
    groups: Vec<GroupRow>,
}

/// One group as an array; the field order is the script's (`ID`, `SNAP`,
/// ... in report.js).
#[derive(serde::Serialize)]
struct GroupRow(
    String,   // id
    usize,    // snapshot
    u64,      // goroutines
    usize,    // state
    usize,    // stack
    usize,    // index of the first user frame in the stack
    i64,      // creator function, or -1
    i64,      // creator file, or -1
    u32,      // creator line
    i64,      // wait minutes min, or -1
    i64,      // wait minutes max, or -1
    usize,    // severity index
    usize,    // package of the first user frame
    i64,      // icicle leaf node, or -1
    String,   // labels as text
    Vec<i64>, // goroutine ids, coded
);

/// The groups table's data as JSON for the page's data block.
pub(super) fn table_data(
    report: &Report,
    views: &[SnapView],
    sev: &GroupSeverity,
    multi: bool,
) -> String {
    let mut tables = Tables::default();
    let mut groups: Vec<GroupRow> = Vec::new();
    for (snap_i, s) in report.snapshots.iter().enumerate() {
        for (gi, g) in s.groups.iter().enumerate() {
            let leaf = views
                .get(snap_i)
                .and_then(|v| v.leaf_of_group.get(gi))
                .map_or(-1i64, |&l| i64::from(l));
            let severity = sev.get(&(snap_i, g.id.as_str())).copied().unwrap_or(0);
            let key = group_key(multi, snap_i, &g.id);
            groups.push(tables.group_row(g, key, snap_i, severity, leaf));
        }
    }
    let data = TableData {
        multi,
        sev: SEVERITIES,
        rows: STATIC_ROWS,
        strs: tables.strs,
        frames: tables.frames,
        stacks: tables.stacks,
        groups,
    };
    script_json(&data)
}

/// The shared tables of strings, frames and stacks, each entry once.
#[derive(Default)]
struct Tables<'a> {
    strs: Vec<&'a str>,
    str_ix: FxHashMap<&'a str, usize>,
    frames: Vec<(usize, usize, u32, u8)>,
    frame_ix: FxHashMap<(usize, usize, u32, u8), usize>,
    stacks: Vec<Vec<usize>>,
    stack_ix: FxHashMap<Vec<usize>, usize>,
}

impl<'a> Tables<'a> {
    /// The index of a string in the string table.
    fn string(&mut self, s: &'a str) -> usize {
        if let Some(&i) = self.str_ix.get(s) {
            return i;
        }
        self.strs.push(s);
        self.str_ix.insert(s, self.strs.len() - 1);
        self.strs.len() - 1
    }

    /// The index of a stack (its first 256 frames) in the stack table.
    fn stack(&mut self, frames: &'a [FrameReport]) -> usize {
        let mut stack = Vec::with_capacity(frames.len());
        for f in frames.iter().take(256) {
            let kind = match f.kind {
                CodeKind::User => 0u8,
                CodeKind::Stdlib => 1,
                CodeKind::Runtime => 2,
            };
            let key = (self.string(&f.function), self.string(&f.file), f.line, kind);
            let frame = *self.frame_ix.entry(key).or_insert_with(|| {
                self.frames.push(key);
                self.frames.len() - 1
            });
            stack.push(frame);
        }
        match self.stack_ix.get(&stack) {
            Some(&x) => x,
            None => {
                self.stacks.push(stack.clone());
                self.stack_ix.insert(stack, self.stacks.len() - 1);
                self.stacks.len() - 1
            }
        }
    }

    /// One group's row, its strings and stack entered in the tables.
    fn group_row(
        &mut self,
        g: &'a GroupReport,
        key: String,
        snap_i: usize,
        severity: usize,
        leaf: i64,
    ) -> GroupRow {
        let stack = self.stack(&g.frames);
        let top = g
            .frames
            .iter()
            .take(256)
            .position(|f| f.kind == CodeKind::User)
            .unwrap_or(0);
        let pkg = g.top_frame().map_or("", |f| f.package.as_str());
        let (creator, creator_file, creator_line) =
            g.created_by.as_ref().map_or((-1, -1, 0), |c| {
                (
                    self.string(&c.function) as i64,
                    self.string(&c.file) as i64,
                    c.line,
                )
            });
        let labels: String = g
            .labels
            .iter()
            .map(|(k, v)| format!("{k}={}", v.join("|")))
            .collect::<Vec<_>>()
            .join(" ");
        let (wmin, wmax) = g
            .wait_minutes
            .map_or((-1i64, -1i64), |w| (i64::from(w.min), i64::from(w.max)));
        GroupRow(
            key,
            snap_i,
            g.count,
            self.string(&g.state),
            stack,
            top,
            creator,
            creator_file,
            creator_line,
            wmin,
            wmax,
            severity,
            self.string(pkg),
            leaf,
            clip(&labels, MAX_TEXT).into_owned(),
            encode_ids(&g.task_ids),
        )
    }
}

/// Ids as pairs (difference from the previous id, how many times in a
/// row): the ids of a group are usually evenly spaced.
pub fn encode_ids(ids: &[u64]) -> Vec<i64> {
    let mut out = Vec::new();
    let mut prev: i64 = 0;
    let mut run: Option<(i64, i64)> = None;
    for &id in ids {
        let id = id as i64;
        let gap = id.wrapping_sub(prev);
        prev = id;
        run = match run {
            Some((rd, n)) if rd == gap => Some((rd, n + 1)),
            Some((rd, n)) => {
                out.push(rd);
                out.push(n);
                Some((gap, 1))
            }
            None => Some((gap, 1)),
        };
    }
    if let Some((gap, n)) = run {
        out.push(gap);
        out.push(n);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_run_length_coded_differences() {
        assert_eq!(encode_ids(&[18, 23, 28, 33]), vec![18, 1, 5, 3]);
        assert_eq!(encode_ids(&[5, 3]), vec![5, 1, -2, 1]);
        assert!(encode_ids(&[]).is_empty());
    }
}
