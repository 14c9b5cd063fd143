//! Goroutine groups matched across dumps by a signature that survives
//! missing ids, new argument values and a rebuild that shifts line numbers,
//! and the growth findings of the groups that grew the most.

use super::rules::GROWTH;
use super::types::{DiffGroup, GroupStatus, Times};
use crate::analyze::finding::{score_by, Confidence, Finding};
use crate::analyze::heap::user_frame;
use crate::analyze::phrase::frame_name;
use crate::model::{CodeKind, FrameId, FuncId, Snapshot, StackId, Tables};
use rustc_hash::FxHashMap;

fn is_runtime(t: &Tables, f: FrameId) -> bool {
    t.function(t.frame(f).function).kind == CodeKind::Runtime
}

/// The signature of a stack: its functions, innermost first, without the
/// runtime frames at the top (debug=1 profiles leave them out), lines and
/// arguments (a rebuild moves lines; ids and arguments change every dump).
fn signature(t: &Tables, stack: StackId) -> String {
    let frames = &t.stack(stack).frames;
    let start = frames.iter().position(|&f| !is_runtime(t, f)).unwrap_or(0);
    let mut out = String::new();
    for &f in &frames[start..] {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(t.func_name(t.frame(f).function));
    }
    out
}

/// The goroutine that wrote the dump (one of the vocabulary's dump
/// writers on its stack: a pprof writer, `runtime.Stack`).
pub fn is_dumper(t: &Tables, stack: StackId) -> bool {
    crate::model::vocab::stack_writes_dump(t, stack)
}

/// The first frame of the user's code on a stack (or the innermost frame).
pub fn first_user(t: &Tables, stack: StackId) -> Option<FrameId> {
    user_frame(t, stack)
}

struct GroupAcc {
    counts: Vec<u64>,
    /// (snapshot, task index) of a representative, newest first seen.
    example: (usize, usize),
    states: FxHashMap<String, u64>,
    creators: FxHashMap<String, u64>,
    tasks_newest: Vec<u32>,
}

/// Groups counted per dump, and per dump the group of each task
/// (`u32::MAX` for the goroutine that wrote the dump).
struct Counted {
    groups: Vec<GroupAcc>,
    signatures: Vec<String>,
    group_of: Vec<Vec<u32>>,
}

/// Counts the goroutines of every dump by signature.
fn count(snaps: &[&Snapshot]) -> Counted {
    let snap_count = snaps.len();
    // Groups by signature (`groups[k]` is signature `sigs[k]`).
    let mut groups: Vec<GroupAcc> = Vec::new();
    let mut sig_of: Vec<Vec<u32>> = Vec::with_capacity(snap_count);
    let mut sigs: Vec<String> = Vec::new();
    let mut sig_index: FxHashMap<String, u32> = FxHashMap::default();
    for (si, s) in snaps.iter().enumerate() {
        let tables = &s.tables;
        // Per stack: its signature, or `u32::MAX` for the goroutine writing
        // the dump (not the program's).
        let mut by_stack: FxHashMap<StackId, u32> = FxHashMap::default();
        let mut of = Vec::with_capacity(s.tasks.len());
        // Counted by id here, named once per snapshot below.
        let mut states: FxHashMap<(u32, crate::model::Sym), u64> = FxHashMap::default();
        let mut creators: FxHashMap<(u32, FuncId), u64> = FxHashMap::default();
        for (ti, task) in s.tasks.iter().enumerate() {
            let signature_index = *by_stack.entry(task.stack).or_insert_with(|| {
                if is_dumper(tables, task.stack) {
                    return u32::MAX;
                }
                let sig = signature(tables, task.stack);
                if let Some(&signature_index) = sig_index.get(&sig) {
                    return signature_index;
                }
                let signature_index = sigs.len() as u32;
                sig_index.insert(sig.clone(), signature_index);
                sigs.push(sig);
                groups.push(GroupAcc {
                    counts: vec![0; snap_count],
                    example: (si, ti),
                    states: FxHashMap::default(),
                    creators: FxHashMap::default(),
                    tasks_newest: Vec::new(),
                });
                signature_index
            });
            of.push(signature_index);
            let Some(g) = groups.get_mut(signature_index as usize) else {
                continue;
            };
            g.counts[si] += 1;
            if si + 1 == snap_count {
                g.example = (si, ti);
                *states.entry((signature_index, task.state)).or_default() += 1;
                g.tasks_newest.push(ti as u32);
            }
            if let Some(c) = task.creator {
                *creators
                    .entry((signature_index, tables.frame(c).function))
                    .or_default() += 1;
            }
        }
        for ((signature_index, st), c) in states {
            *groups[signature_index as usize]
                .states
                .entry(tables.str(st).to_string())
                .or_default() += c;
        }
        for ((signature_index, f), c) in creators {
            *groups[signature_index as usize]
                .creators
                .entry(tables.func_name(f).to_string())
                .or_default() += c;
        }
        sig_of.push(of);
    }
    Counted {
        groups,
        signatures: sigs,
        group_of: sig_of,
    }
}

/// A matched group and the tasks of the newest dump in it.
pub type GroupRow = (DiffGroup, Vec<u32>);

/// Matches the goroutines of the dumps into groups, largest absolute change
/// first; with, per dump, the group of each task (`u32::MAX` for the
/// goroutine that wrote the dump).
pub fn match_groups(snaps: &[&Snapshot], snap_times: &Times) -> (Vec<GroupRow>, Vec<Vec<u32>>) {
    let Counted {
        groups,
        signatures: sigs,
        group_of,
    } = count(snaps);
    let minutes = snap_times.span().map(|snap| snap / 60.0);
    let mut rows: Vec<GroupRow> = groups
        .into_iter()
        .zip(sigs)
        .map(|(g, key)| {
            let (si, ti) = g.example;
            let snap = snaps[si];
            let task = &snap.tasks[ti];
            let tables = &snap.tables;
            let first = g.counts.first().copied().unwrap_or(0);
            let last = g.counts.last().copied().unwrap_or(0);
            let change = last as i64 - first as i64;
            let status = GroupStatus::of(first, last);
            let state = if g.states.is_empty() {
                tables.str(task.state).to_string()
            } else {
                top(&g.states)
            };
            let function = key.lines().next().unwrap_or_default().to_string();
            (
                DiffGroup {
                    site: frame_name(tables, first_user(tables, task.stack)),
                    function,
                    signature: key,
                    state,
                    creator: (!g.creators.is_empty()).then(|| top(&g.creators)),
                    counts: g.counts,
                    change,
                    relative: (first > 0).then(|| change as f64 / first as f64),
                    per_minute: minutes.map(|m| change as f64 / m),
                    status,
                },
                g.tasks_newest,
            )
        })
        .collect();
    rows.sort_by(|a, b| {
        b.0.change
            .abs()
            .cmp(&a.0.change.abs())
            .then(b.0.counts.last().cmp(&a.0.counts.last()))
            .then_with(|| a.0.signature.cmp(&b.0.signature))
    });
    (rows, group_of)
}

/// Findings for the groups that grew the most over `n` dumps taken over
/// `minutes`, when known.
pub fn growth_findings(rows: &[GroupRow], n: usize, minutes: Option<f64>) -> Vec<Finding> {
    let mut findings = Vec::new();
    if n >= 2 {
        for (g, tasks) in rows.iter().filter(|(g, _)| g.change > 0).take(3) {
            let first = g.counts[0];
            let last = g.counts[n - 1];
            if g.change < 10 || (first > 0 && (g.change as f64) < 0.2 * first as f64) {
                continue;
            }
            let series = g
                .counts
                .iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(" → ");
            let rate = g
                .per_minute
                .map(|r| format!(", {r:+.1} per minute"))
                .unwrap_or_default();
            let mut finding = Finding::new(
                &GROWTH,
                format!(
                    "{} more goroutines at {} ({series}{rate})",
                    g.change, g.site
                ),
                tasks.clone(),
            )
            .confidence(if n >= 3 && g.counts.windows(2).all(|w| w[1] >= w[0]) {
                Confidence::Certain
            } else {
                Confidence::Likely
            })
            .explain(format!(
                "Goroutines in state `{}` at {} went from {first} to {last} over {} dumps{}. {}",
                g.state,
                g.site,
                n,
                minutes
                    .map(|m| format!(" and {m:.1} minutes"))
                    .unwrap_or_default(),
                GROWTH.explanation
            ))
            .evidence(format!("counts per dump: {series}"));
            if let Some(c) = &g.creator {
                finding = finding.evidence(format!("created by {c}"));
            }
            if first == 0 {
                finding = finding.evidence("none in the first dump");
            }
            score_by(&mut finding, 1.0 + (g.change.max(1) as f64).log10());
            findings.push(finding);
        }
    }
    findings
}

/// The most frequent key (ties by name).
fn top(m: &FxHashMap<String, u64>) -> String {
    m.iter()
        .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
        .map(|(k, _)| k.clone())
        .unwrap_or_default()
}
