//! The creation tree: which `go` statements started how many goroutines,
//! nested by the site that started their parents.

use super::escape::text;
use crate::report::SnapshotReport;
use rustc_hash::{FxHashMap, FxHashSet};
use std::fmt::Write as _;

/// A creation site: function, file and line of a `go` statement.
type Site = (String, String, u32);

/// Sites listed per level of the tree.
const MAX_SITES_LISTED: usize = 30;

/// Creation sites nested by parent: a site's goroutines were started by
/// goroutines of the groups whose ids the dump gives as parents.
pub(super) fn creation_tree(html: &mut String, snapshot: &SnapshotReport) {
    let (sites, site_of_group, roots_count) = creation_sites(snapshot);
    let parent_of = parent_sites(snapshot, sites.len(), &site_of_group);
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); sites.len()];
    let mut top: Vec<usize> = Vec::new();
    for (si, parent) in parent_of.iter().enumerate() {
        match parent {
            Some(p) => children[*p].push(si),
            None => top.push(si),
        }
    }
    let by_count = |v: &mut Vec<usize>| v.sort_by_key(|&i| (std::cmp::Reverse(sites[i].1), i));
    by_count(&mut top);
    for c in &mut children {
        by_count(c);
    }
    html.push_str("<ul class=\"tree\">\n");
    if roots_count > 0 {
        let _ = writeln!(
            html,
            "<li class=\"site root\"><span class=\"count\">{roots_count}</span> started by the \
             runtime (main, system goroutines)</li>"
        );
    }
    emit_sites(html, &top, &sites, &children, 0);
    html.push_str("</ul>\n");
}

/// The creation sites with their goroutine counts, the site of each
/// group, and the goroutines no `go` statement started.
fn creation_sites(snapshot: &SnapshotReport) -> (Vec<(Site, u64)>, Vec<Option<usize>>, u64) {
    let mut site_ix: FxHashMap<Site, usize> = FxHashMap::default();
    let mut sites: Vec<(Site, u64)> = Vec::new();
    let mut site_of_group: Vec<Option<usize>> = Vec::with_capacity(snapshot.groups.len());
    let mut roots_count = 0u64;
    for g in &snapshot.groups {
        match &g.created_by {
            Some(c) => {
                let key = (c.function.clone(), c.file.clone(), c.line);
                let i = *site_ix.entry(key.clone()).or_insert_with(|| {
                    sites.push((key, 0));
                    sites.len() - 1
                });
                sites[i].1 += g.count;
                site_of_group.push(Some(i));
            }
            None => {
                roots_count += g.count;
                site_of_group.push(None);
            }
        }
    }
    (sites, site_of_group, roots_count)
}

/// Parent site of each site: the majority site of its parent goroutines,
/// when the dump names parents; loops are cut.
fn parent_sites(
    snapshot: &SnapshotReport,
    site_count: usize,
    site_of_group: &[Option<usize>],
) -> Vec<Option<usize>> {
    let mut parent_of: Vec<Option<usize>> = vec![None; site_count];
    let any_parents = snapshot.groups.iter().any(|g| {
        g.created_by
            .as_ref()
            .is_some_and(|c| !c.parent_ids.is_empty())
    });
    if !any_parents {
        return parent_of;
    }
    let mut group_of_task: FxHashMap<u64, usize> = FxHashMap::default();
    for (gi, g) in snapshot.groups.iter().enumerate() {
        for &id in &g.task_ids {
            group_of_task.insert(id, gi);
        }
    }
    let mut votes: Vec<FxHashMap<usize, u64>> = vec![FxHashMap::default(); site_count];
    for (gi, g) in snapshot.groups.iter().enumerate() {
        let (Some(c), Some(si)) = (&g.created_by, site_of_group[gi]) else {
            continue;
        };
        for p in &c.parent_ids {
            if let Some(ps) = group_of_task.get(p).and_then(|&pg| site_of_group[pg]) {
                if ps != si {
                    *votes[si].entry(ps).or_default() += 1;
                }
            }
        }
    }
    for (si, v) in votes.iter().enumerate() {
        parent_of[si] = v
            .iter()
            .max_by_key(|(k, n)| (**n, std::cmp::Reverse(**k)))
            .map(|(k, _)| *k);
    }
    // Break any loop by cutting the edge into the smallest site.
    for si in 0..site_count {
        let mut seen = FxHashSet::default();
        let mut v = si;
        while let Some(p) = parent_of[v] {
            if !seen.insert(v) {
                parent_of[v] = None;
                break;
            }
            v = p;
        }
    }
    parent_of
}

/// One level of the tree, children nested up to a depth of 8.
fn emit_sites(
    html: &mut String,
    level: &[usize],
    sites: &[(Site, u64)],
    children: &[Vec<usize>],
    depth: usize,
) {
    for &si in level.iter().take(MAX_SITES_LISTED) {
        let ((func, file, line), n) = &sites[si];
        let _ = write!(
            html,
            "<li class=\"site\"><span class=\"count\">{n}</span> <code>{}</code> <span class=\"loc\">{}</span>",
            text(func),
            text(&crate::report::with_line(file, *line))
        );
        if !children[si].is_empty() && depth < 8 {
            html.push_str("\n<ul>\n");
            emit_sites(html, &children[si], sites, children, depth + 1);
            html.push_str("</ul>\n");
        }
        html.push_str("</li>\n");
    }
    if level.len() > MAX_SITES_LISTED {
        let rest: u64 = level
            .iter()
            .skip(MAX_SITES_LISTED)
            .map(|&i| sites[i].1)
            .sum();
        let _ = writeln!(
            html,
            "<li class=\"more\">and {} ({})</li>",
            crate::analyze::phrase::count(
                level.len() - MAX_SITES_LISTED,
                "more site",
                "more sites"
            ),
            crate::analyze::phrase::count(rest as usize, "goroutine", "goroutines")
        );
    }
}
