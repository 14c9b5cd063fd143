//! The data behind the groups table, for the script: shared tables of
//! strings, frames and stacks, one compact row per group.

use super::escape::{script_json, MAX_TEXT};
use super::groups::{group_key, GroupSeverity, STATIC_ROWS};
use super::severity::SEVERITIES;
use super::snapshot::SnapView;
use crate::model::CodeKind;
use crate::report::{clip, Report};
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

pub(super) fn table_data(
    r: &Report,
    views: &[SnapView],
    sev: &GroupSeverity,
    multi: bool,
) -> String {
    struct Interner<'a> {
        strs: Vec<&'a str>,
        ix: FxHashMap<&'a str, usize>,
    }
    impl<'a> Interner<'a> {
        fn get(&mut self, s: &'a str) -> usize {
            if let Some(&i) = self.ix.get(s) {
                return i;
            }
            self.strs.push(s);
            self.ix.insert(s, self.strs.len() - 1);
            self.strs.len() - 1
        }
    }
    let mut it = Interner {
        strs: Vec::new(),
        ix: FxHashMap::default(),
    };
    let mut frames: Vec<(usize, usize, u32, u8)> = Vec::new();
    let mut frame_ix: FxHashMap<(usize, usize, u32, u8), usize> = FxHashMap::default();
    let mut stacks: Vec<Vec<usize>> = Vec::new();
    let mut stack_ix: FxHashMap<Vec<usize>, usize> = FxHashMap::default();
    let mut groups: Vec<GroupRow> = Vec::new();
    for (snap_i, s) in r.snapshots.iter().enumerate() {
        for (gi, g) in s.groups.iter().enumerate() {
            let mut st = Vec::with_capacity(g.frames.len());
            for f in g.frames.iter().take(256) {
                let k = match f.kind {
                    CodeKind::User => 0u8,
                    CodeKind::Stdlib => 1,
                    CodeKind::Runtime => 2,
                };
                let key = (it.get(&f.function), it.get(&f.file), f.line, k);
                let fi = *frame_ix.entry(key).or_insert_with(|| {
                    frames.push(key);
                    frames.len() - 1
                });
                st.push(fi);
            }
            let stack = match stack_ix.get(&st) {
                Some(&x) => x,
                None => {
                    stacks.push(st.clone());
                    stack_ix.insert(st, stacks.len() - 1);
                    stacks.len() - 1
                }
            };
            let top = g
                .frames
                .iter()
                .take(256)
                .position(|f| f.kind == CodeKind::User)
                .unwrap_or(0);
            let pkg = g.top_frame().map_or("", |f| f.package.as_str());
            let (creator, creator_file, creator_line) =
                g.created_by.as_ref().map_or((-1, -1, 0), |c| {
                    (it.get(&c.function) as i64, it.get(&c.file) as i64, c.line)
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
            let leaf = views
                .get(snap_i)
                .and_then(|v| v.leaf_of_group.get(gi))
                .map_or(-1i64, |&l| i64::from(l));
            groups.push(GroupRow(
                group_key(multi, snap_i, &g.id),
                snap_i,
                g.count,
                it.get(&g.state),
                stack,
                top,
                creator,
                creator_file,
                creator_line,
                wmin,
                wmax,
                sev.get(&(snap_i, g.id.as_str())).copied().unwrap_or(0),
                it.get(pkg),
                leaf,
                clip(&labels, MAX_TEXT).into_owned(),
                encode_ids(&g.task_ids),
            ));
        }
    }
    let data = TableData {
        multi,
        sev: SEVERITIES,
        rows: STATIC_ROWS,
        strs: it.strs,
        frames,
        stacks,
        groups,
    };
    script_json(&data)
}

/// Ids as pairs (difference from the previous id, how many times in a
/// row): the ids of a group are usually evenly spaced.
pub fn encode_ids(ids: &[u64]) -> Vec<i64> {
    let mut out = Vec::new();
    let mut prev: i64 = 0;
    let mut run: Option<(i64, i64)> = None;
    for &id in ids {
        let id = id as i64;
        let d = id.wrapping_sub(prev);
        prev = id;
        run = match run {
            Some((rd, n)) if rd == d => Some((rd, n + 1)),
            Some((rd, n)) => {
                out.push(rd);
                out.push(n);
                Some((d, 1))
            }
            None => Some((d, 1)),
        };
    }
    if let Some((d, n)) = run {
        out.push(d);
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
