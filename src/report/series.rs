//! The report of one run: the analysis of every snapshot and heap snapshot
//! (`analyze::series`) turned into the report's types.

use super::diag::{self, Analysed};
use super::{
    defer_groups, diff, heap, new_report, snapshot_report_start, GroupOptions, InputReport, Report,
};
use crate::analyze::heap::HeapAnalysis;
use crate::analyze::series::SeriesAnalysis;
use crate::model::heap::HeapProfile;
use crate::model::Snapshot;

/// The report of the inputs read, their goroutine snapshots `snaps` and
/// heap snapshots `heaps` (in the order analysed) and their analysis.
pub fn series_report(
    inputs: Vec<InputReport>,
    snaps: &[&Snapshot],
    heaps: &[&HeapProfile],
    mut series: SeriesAnalysis,
    opts: &GroupOptions,
) -> Report {
    let diff = series.diff.take().map(diff::diff_report);
    // The report reads no leak cluster (the findings carry what they
    // found): their memory goes before the report's is taken.
    for diagnosis in &mut series.diagnoses {
        diagnosis.clusters = Vec::new();
    }
    let items: Vec<Analysed> = snaps
        .iter()
        .zip(&series.groups)
        .zip(&series.diagnoses)
        .map(|((snap, groups), diagnosis)| Analysed {
            snap,
            groups,
            diagnosis,
        })
        .collect();
    let heap_reports: Vec<heap::HeapReport> = heaps
        .iter()
        .zip(&series.heaps)
        .map(|(profile, analysis)| heap::heap_report(profile, analysis))
        .collect();
    let heap_analyses: Vec<&HeapAnalysis> = series.heaps.iter().collect();
    // The groups' report and the findings' are independent.
    let (started, (findings, graph)) = rayon::join(
        || {
            snaps
                .iter()
                .zip(&series.groups)
                .map(|(snap, groups)| snapshot_report_start(snap, groups, opts))
                .collect::<Vec<_>>()
        },
        || diag::build(&items, &heap_analyses),
    );
    drop(items);
    // The diagnoses are in the findings and the graph now: their memory
    // goes before the groups' copy of the tasks is made.
    drop(std::mem::take(&mut series.diagnoses));
    // The groups past those built are made as the report is written, from
    // the analysis' groups.
    let snapshots = started
        .into_iter()
        .zip(snaps)
        .zip(std::mem::take(&mut series.groups))
        .map(|(((mut report, selected), snap), groups)| {
            if let Some(selected) = selected {
                defer_groups(&mut report, snap, groups, selected);
            }
            report
        })
        .collect();
    let mut report = new_report(inputs, snapshots, findings, graph, heap_reports);
    report.diff = diff;
    report.across = std::mem::take(&mut series.across)
        .into_iter()
        .map(diff::diff_report)
        .collect();
    report
}
