//! Heap snapshots compared: in-use bytes by function and by allocation
//! stack per snapshot (what `go tool pprof -base` shows, ranked), and the
//! allocating lines that grew the most.

use super::rules::HEAP_GROWTH;
use super::types::{HeapDiff, HeapFunctionDelta, HeapPoint, HeapStackDelta, Times};
use crate::analyze::finding::{score_by, Confidence, Finding};
use crate::analyze::heap::{user_frame, HeapFinding};
use crate::analyze::phrase::{frame_name, mib, MIB};
use crate::model::heap::{HeapProfile, HeapValues};
use crate::model::{FrameId, FuncId, StackId};
use rustc_hash::FxHashMap;

/// Heap functions and stacks kept.
const MAX_HEAP_ROWS: usize = 200;

/// Frames and functions of several heap snapshots by content (function,
/// file name, line), so that stacks compare across snapshots whose tables
/// differ. Each distinct frame is named once, not once per stack.
#[derive(Default)]
struct Common {
    frames: FxHashMap<(String, String, u32), u32>,
    funcs: FxHashMap<String, u32>,
    func_names: Vec<String>,
}

/// A stack of one snapshot, keyed by [`Common`] frame ids.
struct StackSum {
    bytes: i64,
    /// The stack in this snapshot's tables.
    stack: StackId,
    /// [`Common`] id of its user frame.
    user: Option<u32>,
}

/// In-use bytes by function (flat, cum) and by stack, per heap snapshot.
struct HeapSums {
    totals: HeapValues,
    /// By [`Common`] function id.
    flat: FxHashMap<u32, i64>,
    cum: FxHashMap<u32, i64>,
    stacks: FxHashMap<Box<[u32]>, StackSum>,
}

fn heap_sums(h: &HeapProfile, common: &mut Common) -> HeapSums {
    let tables = &h.tables;
    let mut frame_ids = vec![u32::MAX; tables.frame_count()];
    let mut func_ids = vec![u32::MAX; tables.func_count()];
    let mut func_id = |f: FuncId, common: &mut Common| -> u32 {
        let slot = &mut func_ids[f.index()];
        if *slot == u32::MAX {
            let name = tables.func_name(f);
            *slot = match common.funcs.get(name) {
                Some(&id) => id,
                None => {
                    let id = common.func_names.len() as u32;
                    common.funcs.insert(name.to_string(), id);
                    common.func_names.push(name.to_string());
                    id
                }
            };
        }
        *slot
    };
    let mut frame_id = |f: FrameId, common: &mut Common| -> u32 {
        let slot = &mut frame_ids[f.index()];
        if *slot == u32::MAX {
            let fr = tables.frame(f);
            let file = tables.str(fr.file);
            let base = file.rsplit(['/', '\\']).next().unwrap_or(file);
            let key = (
                tables.func_name(fr.function).to_string(),
                base.to_string(),
                fr.line,
            );
            let next = common.frames.len() as u32;
            *slot = *common.frames.entry(key).or_insert(next);
        }
        *slot
    };
    let mut sums = HeapSums {
        totals: h.totals(),
        flat: FxHashMap::default(),
        cum: FxHashMap::default(),
        stacks: FxHashMap::default(),
    };
    let mut seen: Vec<u32> = Vec::new();
    let mut key: Vec<u32> = Vec::new();
    for sample in &h.samples {
        let frames = &tables.stack(sample.stack).frames;
        let inuse = sample.values.inuse_bytes;
        seen.clear();
        key.clear();
        for &f in frames.iter() {
            key.push(frame_id(f, common));
            let func = func_id(tables.frame(f).function, common);
            if !seen.contains(&func) {
                seen.push(func);
                let value = sums.cum.entry(func).or_default();
                *value = value.saturating_add(inuse);
            }
        }
        if let Some(&func) = seen.first() {
            let value = sums.flat.entry(func).or_default();
            *value = value.saturating_add(inuse);
        }
        match sums.stacks.get_mut(key.as_slice()) {
            Some(e) => e.bytes = e.bytes.saturating_add(inuse),
            None => {
                let user = user_frame(tables, sample.stack).map(|f| frame_id(f, common));
                sums.stacks.insert(
                    key.as_slice().into(),
                    StackSum {
                        bytes: inuse,
                        stack: sample.stack,
                        user,
                    },
                );
            }
        }
    }
    sums
}

/// Compares heap snapshots taken in time order: growth by function and by
/// stack, and findings for the allocating lines that grew the most.
pub fn heap_diff(heaps: &[&HeapProfile], times: &Times) -> (Option<HeapDiff>, Vec<HeapFinding>) {
    if heaps.len() < 2 {
        return (None, Vec::new());
    }
    let mut common = Common::default();
    let sums: Vec<HeapSums> = heaps.iter().map(|h| heap_sums(h, &mut common)).collect();
    let (functions, functions_total) = function_deltas(&sums, &common);
    let (rows, stacks_total) = stack_rows(&sums);
    let name_user = |(hi, e): (usize, &StackSum)| {
        frame_name(&heaps[hi].tables, user_frame(&heaps[hi].tables, e.stack))
    };
    let stacks = stack_deltas(heaps, &rows, &name_user);
    let users = user_lines(&rows, sums.len(), &name_user);
    let minutes = times.span().map(|s| s / 60.0);
    let findings = growth_findings(&sums, &users, minutes);
    let (totals, delta) = totals_and_delta(&sums);
    let diff = HeapDiff {
        snapshots: heaps
            .iter()
            .enumerate()
            .map(|(i, h)| HeapPoint {
                source: h.source.clone(),
                index: i,
                format: h.format.to_string(),
                seconds: times.seconds.get(i).copied().flatten(),
            })
            .collect(),
        totals,
        delta,
        functions_total,
        functions,
        stacks_total,
        stacks,
    };
    (Some(diff), findings)
}

/// The series of one value over the snapshots.
fn series_of(sums: &[HeapSums], get: &dyn Fn(&HeapSums) -> i64) -> Vec<i64> {
    sums.iter().map(get).collect()
}

/// In-use bytes by function per snapshot, largest flat growth first (cut
/// to [`MAX_HEAP_ROWS`]), and how many functions there are.
fn function_deltas(sums: &[HeapSums], common: &Common) -> (Vec<HeapFunctionDelta>, usize) {
    let count = sums.len();
    let series = |get: &dyn Fn(&HeapSums) -> i64| series_of(sums, get);
    let mut ids: Vec<u32> = sums.iter().flat_map(|s| s.cum.keys().copied()).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut functions: Vec<HeapFunctionDelta> = ids
        .into_iter()
        .map(|id| {
            let flat = series(&|s| s.flat.get(&id).copied().unwrap_or(0));
            let cum = series(&|s| s.cum.get(&id).copied().unwrap_or(0));
            HeapFunctionDelta {
                function: common.func_names[id as usize].clone(),
                flat_delta: flat[count - 1].saturating_sub(flat[0]),
                cum_delta: cum[count - 1].saturating_sub(cum[0]),
                flat,
                cum,
            }
        })
        .collect();
    functions.sort_by(|a, b| {
        b.flat_delta
            .cmp(&a.flat_delta)
            .then(b.cum_delta.cmp(&a.cum_delta))
            .then_with(|| a.function.cmp(&b.function))
    });
    let functions_total = functions.len();
    functions.truncate(MAX_HEAP_ROWS);
    (functions, functions_total)
}

/// One allocation stack across the snapshots.
struct Row<'a> {
    key: &'a [u32],
    bytes: Vec<i64>,
    delta: i64,
    /// The newest snapshot that has it, and its sum there.
    example: (usize, &'a StackSum),
}

/// Every allocation stack's series, largest growth first, and how many
/// stacks there are.
fn stack_rows(sums: &[HeapSums]) -> (Vec<Row<'_>>, usize) {
    let count = sums.len();
    let series = |get: &dyn Fn(&HeapSums) -> i64| series_of(sums, get);
    // Stacks: series by key, named only for the ones reported.
    let mut keys: Vec<&[u32]> = sums
        .iter()
        .flat_map(|s| s.stacks.keys().map(|k| &**k))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    let stacks_total = keys.len();
    let mut rows: Vec<Row> = keys
        .into_iter()
        .filter_map(|k| {
            let bytes = series(&|s| s.stacks.get(k).map_or(0, |e| e.bytes));
            let example = sums
                .iter()
                .enumerate()
                .rev()
                .find_map(|(i, s)| s.stacks.get(k).map(|e| (i, e)))?;
            Some(Row {
                key: k,
                delta: bytes[count - 1].saturating_sub(bytes[0]),
                bytes,
                example,
            })
        })
        .collect();
    rows.sort_by(|a, b| b.delta.cmp(&a.delta).then_with(|| a.key.cmp(b.key)));
    (rows, stacks_total)
}

/// The report rows of the stacks that grew the most, named.
fn stack_deltas(
    heaps: &[&HeapProfile],
    rows: &[Row],
    name_user: &dyn Fn((usize, &StackSum)) -> String,
) -> Vec<HeapStackDelta> {
    rows.iter()
        .take(MAX_HEAP_ROWS)
        .map(|r| {
            let (hi, e) = r.example;
            let tables = &heaps[hi].tables;
            let frames: Vec<String> = tables
                .stack(e.stack)
                .frames
                .iter()
                .map(|&f| frame_name(tables, Some(f)))
                .collect();
            HeapStackDelta {
                function: frames.first().cloned().unwrap_or_default(),
                user_frame: name_user(r.example),
                frames,
                inuse_bytes: r.bytes.clone(),
                delta: r.delta,
            }
        })
        .collect()
}

/// In use per snapshot by the user's allocating line, most growth first:
/// (the line, bytes per snapshot, how many stacks).
fn user_lines(
    rows: &[Row],
    n: usize,
    name_user: &dyn Fn((usize, &StackSum)) -> String,
) -> Vec<(String, Vec<i64>, usize)> {
    // Growth by the user's allocating line.
    // User frame -> (in use per snapshot, stacks, an example stack).
    type UserSum<'a> = (Vec<i64>, usize, (usize, &'a StackSum));
    let mut by_user: FxHashMap<Option<u32>, UserSum> = FxHashMap::default();
    for r in rows {
        let entry = by_user
            .entry(r.example.1.user)
            .or_insert_with(|| (vec![0; n], 0, r.example));
        for (a, b) in entry.0.iter_mut().zip(&r.bytes) {
            *a = a.saturating_add(*b);
        }
        entry.1 += 1;
    }
    let mut users: Vec<(String, Vec<i64>, usize)> = by_user
        .into_values()
        .map(|(v, c, example)| (name_user(example), v, c))
        .collect();
    users.sort_by(|a, b| {
        (b.1[n - 1].saturating_sub(b.1[0]))
            .cmp(&a.1[n - 1].saturating_sub(a.1[0]))
            .then_with(|| a.0.cmp(&b.0))
    });
    users
}

/// Findings for the allocating lines that grew the most.
fn growth_findings(
    sums: &[HeapSums],
    users: &[(String, Vec<i64>, usize)],
    minutes: Option<f64>,
) -> Vec<HeapFinding> {
    let count = sums.len();
    let total_growth = sums[count - 1]
        .totals
        .inuse_bytes
        .saturating_sub(sums[0].totals.inuse_bytes);
    let mut findings = Vec::new();
    for (site, bytes, nstacks) in users.iter().take(3) {
        let delta = bytes[count - 1].saturating_sub(bytes[0]);
        if delta < MIB || (total_growth > 0 && (delta as f64) < 0.1 * total_growth as f64) {
            continue;
        }
        let series = bytes
            .iter()
            .map(|b| mib(*b))
            .collect::<Vec<_>>()
            .join(" → ");
        let rate = minutes
            .map(|m| format!(", {} per minute", mib((delta as f64 / m) as i64)))
            .unwrap_or_default();
        let monotone = bytes.windows(2).all(|w| w[1] >= w[0]);
        let mut finding = Finding::new(
            &HEAP_GROWTH,
            format!(
                "{site} holds {} more in use ({series}{rate})",
                mib(delta)
            ),
            Vec::new(),
        )
        .confidence(if count >= 3 && monotone {
            Confidence::Certain
        } else {
            Confidence::Likely
        })
        .explain(format!(
            "Memory in use allocated at {site} went from {} to {} over {count} heap snapshots ({} of the heap's growth of {}). {}",
            mib(bytes[0]),
            mib(bytes[count - 1]),
            if total_growth > 0 {
                format!("{:.0}%", delta as f64 * 100.0 / total_growth as f64)
            } else {
                "all".to_string()
            },
            mib(total_growth),
            HEAP_GROWTH.explanation
        ))
        .evidence(format!("in use per snapshot: {series}"))
        .evidence(format!("{nstacks} allocation stacks at this line"));
        score_by(
            &mut finding,
            1.0 + (delta as f64 / MIB as f64).max(1.0).log10(),
        );
        findings.push(HeapFinding {
            finding,
            sites: Vec::new(),
            bytes: delta,
            snapshot: None,
        });
    }
    findings
}

/// Totals per snapshot, and newest minus oldest.
fn totals_and_delta(sums: &[HeapSums]) -> (Vec<HeapValues>, HeapValues) {
    let count = sums.len();
    let totals: Vec<HeapValues> = sums.iter().map(|s| s.totals).collect();
    let (oldest, newest) = (&totals[0], &totals[count - 1]);
    let delta = HeapValues {
        alloc_objects: newest.alloc_objects.saturating_sub(oldest.alloc_objects),
        alloc_bytes: newest.alloc_bytes.saturating_sub(oldest.alloc_bytes),
        inuse_objects: newest.inuse_objects.saturating_sub(oldest.inuse_objects),
        inuse_bytes: newest.inuse_bytes.saturating_sub(oldest.inuse_bytes),
    };
    (totals, delta)
}
