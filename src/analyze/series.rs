//! The analysis of every snapshot read in one run, taken as successive dumps
//! of one process: each snapshot grouped and diagnosed with the history of
//! the ones before it (growth, how long a thread has been blocked), the heap
//! snapshots analysed alone, then for growth and against the leaks of the
//! goroutine snapshots, the diff when asked for, and every finding ranked
//! across all of them.

use super::diff::{self, DiffAnalysis, Times};
use super::finding::{causes_first, rank_cmp, Finding, Kind};
use super::heap::{self, HeapAnalysis, HeapFinding};
use super::history::History;
use super::{conclude, group, prepare, DiagnoseOptions, Diagnosis, Group, Similarity};
use crate::model::heap::HeapProfile;
use crate::model::Snapshot;
use rayon::prelude::*;
use rustc_hash::FxHashMap;

/// When the points of a diff were taken: the goroutine dumps and the heap
/// snapshots.
pub struct DiffTimes {
    /// Per goroutine snapshot.
    pub snapshots: Times,
    /// Per heap snapshot.
    pub heaps: Times,
}

/// Everything known of the snapshots of one run.
pub struct SeriesAnalysis {
    /// Per goroutine snapshot, its groups.
    pub groups: Vec<Vec<Group>>,
    /// Per goroutine snapshot, its diagnosis.
    pub diagnoses: Vec<Diagnosis>,
    /// Per heap snapshot, its analysis.
    pub heaps: Vec<HeapAnalysis>,
    /// What changed between the snapshots (`dumpscope diff` only).
    pub diff: Option<DiffAnalysis>,
    /// For each input holding several goroutine dumps (`analyze`), the
    /// summary across them: which groups persist, grow or vanish (the
    /// diff's matching of groups, without its findings).
    pub across: Vec<DiffAnalysis>,
}

/// Analyses the goroutine snapshots `snaps` and heap snapshots `heaps`, in
/// the order taken; with `diff_times`, also what changed between them.
pub fn analyze_series(
    snaps: &[&Snapshot],
    heaps: &[&HeapProfile],
    similarity: Similarity,
    opts: &DiagnoseOptions,
    diff_times: Option<&DiffTimes>,
) -> SeriesAnalysis {
    let (groups, mut diagnoses) = diagnose_series(snaps, similarity, opts);
    let mut heap_analyses = analyse_heaps(heaps, snaps, &diagnoses, opts);
    let mut across = Vec::new();
    if diff_times.is_none() {
        merge_persisting(&mut diagnoses);
        across = summaries(snaps);
    }
    let diff = diff_times.map(|times| {
        let outcome = diff::diff(snaps, &times.snapshots, heaps, &times.heaps);
        keep_newest(
            &mut diagnoses,
            &mut heap_analyses,
            outcome.findings,
            outcome.heap_findings,
        );
        outcome.diff
    });
    SeriesAnalysis {
        groups,
        diagnoses,
        heaps: heap_analyses,
        diff,
        across,
    }
}

/// The summary across the dumps of each input that holds several (in
/// the order read): the groups matched from dump to dump as the diff does.
fn summaries(snaps: &[&Snapshot]) -> Vec<DiffAnalysis> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < snaps.len() {
        let (source, format) = (&snaps[start].source, snaps[start].format);
        let end = snaps[start..]
            .iter()
            .position(|s| &s.source != source || s.format != format)
            .map_or(snaps.len(), |n| start + n);
        let run = &snaps[start..end];
        if run.len() > 1 {
            let stamps: Option<Vec<f64>> = run.iter().map(|s| s.time_unix).collect();
            let times = match stamps.filter(|v| v.windows(2).all(|w| w[1] > w[0])) {
                Some(v) => Times {
                    seconds: v.iter().map(|t| Some(t - v[0])).collect(),
                    from: Some("timestamps"),
                },
                None => Times {
                    seconds: vec![None; run.len()],
                    from: None,
                },
            };
            let no_heaps = Times {
                seconds: Vec::new(),
                from: None,
            };
            out.push(diff::diff(run, &times, &[], &no_heaps).diff);
        }
        start = end;
    }
    out
}

/// Groups and diagnoses every snapshot, each with the history of the ones
/// before it.
fn diagnose_series(
    snaps: &[&Snapshot],
    similarity: Similarity,
    opts: &DiagnoseOptions,
) -> (Vec<Vec<Group>>, Vec<Diagnosis>) {
    // One history per format: a Java dump is no earlier state of the Go
    // service whose dump follows it in the same input.
    let mut histories: FxHashMap<&str, History> = FxHashMap::default();
    let mut all_groups = Vec::with_capacity(snaps.len());
    let mut diagnoses = Vec::with_capacity(snaps.len());
    for (index, snap) in snaps.iter().enumerate() {
        let (groups, prepared) = rayon::join(|| group(snap, similarity), || prepare(snap, opts));
        let history = histories.entry(snap.format).or_default();
        let earlier = (history.snapshots > 0).then_some(&*history);
        let diagnosis = conclude(snap, &groups, prepared, earlier, opts);
        // No later snapshot reads the history of the last one.
        if index + 1 < snaps.len() {
            record(history, snap, &diagnosis);
        }
        all_groups.push(groups);
        diagnoses.push(diagnosis);
    }
    (all_groups, diagnoses)
}

/// Adds one more snapshot's clusters and lock waits to the history.
fn record(history: &mut History, snap: &Snapshot, diagnosis: &Diagnosis) {
    let now: Vec<(String, usize)> = diagnosis
        .clusters
        .iter()
        .map(|c| (c.signature(snap), c.count()))
        .collect();
    let index: FxHashMap<&str, usize> = now.iter().map(|(s, n)| (s.as_str(), *n)).collect();
    for (signature, counts) in history.counts.iter_mut() {
        counts.push(index.get(signature.as_str()).copied().unwrap_or(0));
    }
    for (signature, count) in &now {
        if !history.counts.contains_key(signature) {
            let mut counts = vec![0; history.snapshots];
            counts.push(*count);
            history.counts.insert(signature.clone(), counts);
        }
    }
    history.note_blocked(snap, &diagnosis.graph);
    history.snapshots += 1;
}

/// The diff's findings, and the diagnosis of the newest dump and heap
/// snapshot only: the diff speaks for the growth between them.
fn keep_newest(
    diagnoses: &mut [Diagnosis],
    heap_analyses: &mut [HeapAnalysis],
    findings: Vec<Finding>,
    heap_findings: Vec<HeapFinding>,
) {
    if let Some((last, older)) = diagnoses.split_last_mut() {
        for diagnosis in older {
            diagnosis.findings.clear();
        }
        last.findings.retain(|f| f.kind != Kind::Growth);
        last.findings.extend(findings);
    }
    if let Some((last, older)) = heap_analyses.split_last_mut() {
        for analysis in older {
            analysis.findings.clear();
        }
        last.findings
            .retain(|f| f.finding.rule.id != heap::GROWTH.id);
        last.findings.extend(heap_findings);
    }
}

/// Analyses the heap snapshots: each alone, then growth between them
/// (taken as successive snapshots of one process, like the goroutine
/// dumps) and the leak clusters of the goroutine snapshots that hold heap
/// memory.
fn analyse_heaps(
    heaps: &[&HeapProfile],
    snaps: &[&Snapshot],
    diagnoses: &[Diagnosis],
    opts: &DiagnoseOptions,
) -> Vec<HeapAnalysis> {
    let mut analyses: Vec<HeapAnalysis> = heaps.par_iter().map(|h| heap::analyze(h)).collect();
    if opts.skip {
        for analysis in &mut analyses {
            analysis.findings.clear();
        }
        return analyses;
    }
    heap::growth(heaps, &mut analyses);
    for (si, (snap, diagnosis)) in snaps.iter().zip(diagnoses).enumerate() {
        let leaks: Vec<(String, Vec<u32>)> = diagnosis
            .findings
            .iter()
            .filter(|f| f.kind == Kind::Leak)
            .map(|f| (f.title.clone(), f.tasks.clone()))
            .collect();
        if leaks.is_empty() {
            continue;
        }
        for (profile, analysis) in heaps.iter().zip(analyses.iter_mut()) {
            heap::correlate(profile, analysis, snap, si, &leaks);
        }
    }
    for analysis in &mut analyses {
        for finding in &mut analysis.findings {
            heap::score(finding);
        }
    }
    analyses
}

/// Where a finding of the series comes from.
#[derive(Clone, Copy)]
pub enum Ranked<'a> {
    /// The diagnosis of goroutine snapshot `.0`.
    Snapshot(usize, &'a Finding),
    /// The analysis of heap snapshot `.0`.
    Heap(usize, &'a HeapFinding),
}

impl<'a> Ranked<'a> {
    /// The finding itself.
    pub fn finding(&self) -> &'a Finding {
        match self {
            Ranked::Snapshot(_, f) => f,
            Ranked::Heap(_, h) => &h.finding,
        }
    }

    /// The goroutine snapshot the finding concerns, if any.
    pub fn snapshot(&self) -> Option<usize> {
        match self {
            Ranked::Snapshot(si, _) => Some(*si),
            Ranked::Heap(_, h) => h.snapshot,
        }
    }

    /// Ties between equal findings: snapshots in input order, then heaps.
    fn order(&self) -> usize {
        match self {
            Ranked::Snapshot(i, _) => *i,
            Ranked::Heap(i, _) => usize::MAX / 2 + *i,
        }
    }
}

/// Every finding of the diagnoses of the goroutine snapshots and of the heap
/// analyses, most urgent first. Findings arrive scored (by the rules'
/// ranking); they are ranked across snapshots with the same order as within
/// one, snapshots in input order (then heaps) breaking ties.
pub fn rank_across<'a>(diagnoses: &[&'a Diagnosis], heaps: &[&'a HeapAnalysis]) -> Vec<Ranked<'a>> {
    let mut all: Vec<Ranked> = diagnoses
        .iter()
        .enumerate()
        .flat_map(|(si, d)| d.findings.iter().map(move |f| Ranked::Snapshot(si, f)))
        .collect();
    for (hi, analysis) in heaps.iter().enumerate() {
        all.extend(analysis.findings.iter().map(|f| Ranked::Heap(hi, f)));
    }
    all.sort_by(|a, b| rank_cmp(a.finding(), b.finding()).then(a.order().cmp(&b.order())));
    causes_first(
        &mut all,
        |ranked| match ranked {
            Ranked::Snapshot(si, f) if f.key != u32::MAX => Some((*si, f.key)),
            _ => None,
        },
        |ranked| match ranked {
            Ranked::Snapshot(_, f) => f.caused_by.as_slice(),
            Ranked::Heap(..) => &[],
        },
    );
    all
}

/// Findings of successive snapshots of the run (the dumps of one input, or
/// inputs given in the order taken) that report the same thing: kept once,
/// on the newest snapshot, with the earlier snapshots it was seen in
/// (`also_in`). The same thing is the same rule at the same place: the
/// title with its numbers left out (counts change between dumps, sites and
/// addresses do not) and the words that agree with them in either number
/// (`1 goroutine waits`, `2 goroutines wait`).
fn merge_persisting(diagnoses: &mut [Diagnosis]) {
    type Seen = (usize, usize, Vec<usize>);
    let mut latest: FxHashMap<(&str, String), Seen> = FxHashMap::default();
    let mut gone: Vec<(usize, usize)> = Vec::new();
    for (si, diagnosis) in diagnoses.iter().enumerate() {
        for (fi, finding) in diagnosis.findings.iter().enumerate() {
            let key = (finding.rule.id, without_numbers(&finding.title));
            match latest.get_mut(&key) {
                Some(entry) if entry.0 != si => {
                    gone.push((entry.0, entry.1));
                    entry.2.push(entry.0);
                    entry.0 = si;
                    entry.1 = fi;
                }
                Some(_) => {}
                None => {
                    latest.insert(key, (si, fi, Vec::new()));
                }
            }
        }
    }
    let carried: Vec<Seen> = latest
        .into_values()
        .filter(|entry| !entry.2.is_empty())
        .collect();
    for (si, fi, seen) in carried {
        diagnoses[si].findings[fi].also_in = seen;
    }
    gone.sort_unstable();
    for (si, fi) in gone.into_iter().rev() {
        diagnoses[si].findings.remove(fi);
    }
}

/// A title with every run of digits replaced by `#`, and a word's final
/// `s` left out (the plural of a noun, the singular of a verb).
fn without_numbers(title: &str) -> String {
    let mut out = String::with_capacity(title.len());
    let mut in_digits = false;
    let mut chars = title.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            if !in_digits {
                out.push('#');
            }
            in_digits = true;
            continue;
        }
        in_digits = false;
        let word_ends = chars.peek().is_none_or(|n| !n.is_alphanumeric());
        if c == 's' && word_ends {
            continue;
        }
        out.push(c);
    }
    out
}
