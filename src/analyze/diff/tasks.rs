//! Goroutines followed by id across dumps: stuck at one place with a
//! growing wait, running at the same frames (busy loops), and the creators
//! of the goroutines that are new in the newest dump.

use super::groups::{first_user, is_dumper};
use super::rules::{SPIN, STUCK};
use super::types::{Spawner, SpinTask, StuckTask};
use crate::analyze::finding::{score_by, Confidence, Finding};
use crate::analyze::phrase::frame_name;
use crate::model::{Snapshot, StateClass, Tables, Task, TaskFlags};
use rustc_hash::FxHashMap;

/// Goroutines listed per stuck/spin list.
const MAX_TASKS: usize = 1000;

/// Follows the goroutines of the newest dump back by id; `sig_of` is, per
/// dump, the group of each task. Adds the stuck and spin findings.
pub fn per_task(
    snaps: &[&Snapshot],
    sig_of: &[Vec<u32>],
    findings: &mut Vec<Finding>,
) -> (Vec<StuckTask>, Vec<SpinTask>, Vec<Spawner>) {
    // Snapshots with goroutine ids.
    let with_ids: Vec<usize> = (0..snaps.len())
        .filter(|&i| {
            snaps[i]
                .tasks
                .iter()
                .any(|t| t.flags.0 & TaskFlags::NO_ID == 0)
        })
        .collect();
    if with_ids.len() < 2 {
        return Default::default();
    }
    let newest = *with_ids.last().unwrap_or(&0);
    let Followed {
        mut stuck,
        mut spinning,
        spawned,
    } = follow(snaps, sig_of, &with_ids, newest);
    stuck.sort_by(|a, b| a.0.site.cmp(&b.0.site).then(a.0.id.cmp(&b.0.id)));
    spinning.sort_by_key(|a| a.0.id);
    stuck_findings(&stuck, with_ids.len(), findings);
    spin_findings(&spinning, with_ids.len(), findings);
    let spawners = spawners(spawned);
    // Findings name tasks of the last snapshot: when that one has no ids
    // (a counted profile), they name none.
    if newest + 1 != snaps.len() {
        for f in findings.iter_mut() {
            if f.rule.id == STUCK.id || f.rule.id == SPIN.id {
                f.tasks.clear();
            }
        }
    }
    let stuck = stuck.into_iter().take(MAX_TASKS).map(|(s, _)| s).collect();
    let spinning = spinning
        .into_iter()
        .take(MAX_TASKS)
        .map(|(s, _)| s)
        .collect();
    (stuck, spinning, spawners)
}

fn ids_text(ids: impl Iterator<Item = u64>) -> String {
    let texts: Vec<String> = ids.map(|i| i.to_string()).collect();
    if texts.len() > 10 {
        format!("{} and {} more", texts[..10].join(", "), texts.len() - 10)
    } else {
        texts.join(", ")
    }
}

/// What following the ids found, each with its task index in the newest
/// dump.
#[derive(Default)]
struct Followed {
    stuck: Vec<(StuckTask, u32)>,
    spinning: Vec<(SpinTask, u32)>,
    /// Per creator: new goroutines, and where they are by site.
    spawned: FxHashMap<String, (u64, FxHashMap<String, u64>)>,
}

impl Followed {
    /// Counts a goroutine new in the newest dump under its creator and site.
    fn note_new(&mut self, tables: &Tables, task: &Task) {
        let creator = task
            .creator
            .map(|c| tables.func_name(tables.frame(c).function).to_string())
            .unwrap_or_else(|| "an unknown creator".to_string());
        let (count, sites) = self.spawned.entry(creator).or_default();
        *count += 1;
        *sites
            .entry(frame_name(tables, first_user(tables, task.stack)))
            .or_default() += 1;
    }
}

/// The minutes blocked of one goroutine in each dump, when known in every
/// dump and growing: a goroutine with no minutes in the first dump may be
/// another process's that got the same id (dumps before and after a
/// restart).
fn growing_waits(tasks: &[&Task]) -> Option<Vec<Option<u32>>> {
    let waits: Vec<Option<u32>> = tasks.iter().map(|t| t.wait_minutes).collect();
    let known: Option<Vec<u32>> = waits.iter().copied().collect();
    let growing = known.is_some_and(|k| k.windows(2).all(|w| w[1] >= w[0]) && k.last() > k.first());
    growing.then_some(waits)
}

/// Per dump with ids: each goroutine id's index in the dump's tasks.
fn id_indexes(snaps: &[&Snapshot], with_ids: &[usize]) -> Vec<FxHashMap<u64, usize>> {
    with_ids
        .iter()
        .map(|&snap_index| {
            snaps[snap_index]
                .tasks
                .iter()
                .enumerate()
                .filter(|(_, task)| task.flags.0 & (TaskFlags::NO_ID | TaskFlags::BRANCH) == 0)
                .map(|(index, task)| (task.id, index))
                .collect()
        })
        .collect()
}

/// Follows each goroutine of the newest dump (`newest`) through the dumps
/// with ids (`with_ids`, indices into `snaps`).
fn follow(snaps: &[&Snapshot], sig_of: &[Vec<u32>], with_ids: &[usize], newest: usize) -> Followed {
    let index = id_indexes(snaps, with_ids);
    let newest_snap = snaps[newest];
    let tables = &newest_snap.tables;
    let mut followed = Followed::default();
    let newest_pos = with_ids.len() - 1;
    for (task_index, task) in newest_snap.tasks.iter().enumerate() {
        if task.flags.0 & (TaskFlags::NO_ID | TaskFlags::BRANCH) != 0 {
            continue;
        }
        // Where this id was in each snapshot.
        let mut places = Vec::with_capacity(with_ids.len());
        for (pos, &snap_index) in with_ids.iter().enumerate() {
            places.push(index[pos].get(&task.id).map(|&found| (snap_index, found)));
        }
        let seen_before = places[..newest_pos].iter().any(Option::is_some);
        if sig_of[newest][task_index] == u32::MAX {
            continue;
        }
        if !seen_before {
            followed.note_new(tables, task);
            continue;
        }
        if places.iter().any(Option::is_none) {
            continue;
        }
        let sig = sig_of[newest][task_index];
        if sig == u32::MAX {
            continue;
        }
        let same_place = places
            .iter()
            .flatten()
            .all(|&(snap_index, index)| sig_of[snap_index][index] == sig);
        if same_place {
            followed.note_same_place(snaps, tables, task, task_index as u32, &places);
        }
    }
    followed
}

impl Followed {
    /// A goroutine at the same place in every dump with ids (`places`:
    /// dump and task index in each): spinning when it runs in all of them,
    /// stuck when it waits in all of them for ever longer.
    fn note_same_place(
        &mut self,
        snaps: &[&Snapshot],
        tables: &Tables,
        task: &Task,
        task_index: u32,
        places: &[Option<(usize, usize)>],
    ) {
        let tasks: Vec<_> = places
            .iter()
            .flatten()
            .map(|&(snap_index, index)| &snaps[snap_index].tasks[index])
            .collect();
        let site = frame_name(tables, first_user(tables, task.stack));
        let busy = |class: StateClass| matches!(class, StateClass::Running | StateClass::Runnable);
        if tasks.iter().all(|task| busy(task.class)) {
            if is_dumper(tables, task.stack) {
                return;
            }
            let states = places
                .iter()
                .flatten()
                .map(|&(snap_index, index)| {
                    let snap = snaps[snap_index];
                    snap.tables.str(snap.tasks[index].state).to_string()
                })
                .collect();
            self.spinning.push((
                SpinTask {
                    id: task.id,
                    site,
                    states,
                },
                task_index,
            ));
        } else if tasks.iter().all(|task| !busy(task.class)) {
            if let Some(waits) = growing_waits(&tasks) {
                self.stuck.push((
                    StuckTask {
                        id: task.id,
                        site,
                        state: tables.str(task.state).to_string(),
                        wait_minutes: waits,
                    },
                    task_index,
                ));
            }
        }
    }
}

/// One finding per site where goroutines are stuck (`stuck` is sorted by
/// site), over `dumps` dumps with ids.
fn stuck_findings(stuck: &[(StuckTask, u32)], dumps: usize, findings: &mut Vec<Finding>) {
    // Stuck: one finding per site.
    let mut by_site: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, (s, _)) in stuck.iter().enumerate() {
        match by_site.last_mut() {
            Some((site, v)) if *site == s.site => v.push(i),
            _ => by_site.push((s.site.clone(), vec![i])),
        }
    }
    for (site, idx) in &by_site {
        let first = &stuck[idx[0]].0;
        let waits = first
            .wait_minutes
            .iter()
            .map(|w| w.map_or("?".to_string(), |m| m.to_string()))
            .collect::<Vec<_>>()
            .join(" → ");
        let mut finding = Finding::new(
            &STUCK,
            format!(
                "{} goroutine{} stuck at {site} in every dump ({}, blocked {waits} minutes)",
                idx.len(),
                if idx.len() == 1 { "" } else { "s" },
                first.state
            ),
            idx.iter().map(|&i| stuck[i].1).collect(),
        )
        .confidence(Confidence::Certain)
        .explain(format!(
            "Goroutine{} {} {} blocked in `{}` at {site} in all {} dumps, for {waits} minutes. {}",
            if idx.len() == 1 { "" } else { "s" },
            ids_text(idx.iter().map(|&i| stuck[i].0.id)),
            if idx.len() == 1 { "was" } else { "were" },
            first.state,
            dumps,
            STUCK.explanation
        ));
        finding = finding.evidence(format!("blocked minutes per dump: {waits}"));
        score_by(&mut finding, 1.0 + (idx.len() as f64).log10());
        findings.push(finding);
    }
}

/// One finding per busy loop, over `dumps` dumps with ids.
fn spin_findings(spinning: &[(SpinTask, u32)], dumps: usize, findings: &mut Vec<Finding>) {
    for (s, ti) in spinning {
        let mut finding = Finding::new(
            &SPIN,
            format!(
                "goroutine {} is running at {} in every dump: a busy loop",
                s.id, s.site
            ),
            vec![*ti],
        )
        .confidence(if dumps >= 3 {
            Confidence::Likely
        } else {
            Confidence::Possible
        })
        .explain(format!(
            "Goroutine {} was {} at {} in all {} dumps. {}",
            s.id,
            s.states.join(", then "),
            s.site,
            dumps,
            SPIN.explanation
        ))
        .evidence(format!("states per dump: {}", s.states.join(" → ")));
        score_by(&mut finding, 1.0);
        findings.push(finding);
    }
}

/// The creators of new goroutines, most first.
fn spawners(spawned: FxHashMap<String, (u64, FxHashMap<String, u64>)>) -> Vec<Spawner> {
    let mut spawners: Vec<Spawner> = spawned
        .into_iter()
        .map(|(creator, (count, sites))| {
            let mut sites: Vec<(String, u64)> = sites.into_iter().collect();
            sites.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            Spawner {
                creator,
                new_goroutines: count,
                sites: sites.into_iter().take(3).map(|(s, _)| s).collect(),
            }
        })
        .collect();
    spawners.sort_by(|a, b| {
        b.new_goroutines
            .cmp(&a.new_goroutines)
            .then_with(|| a.creator.cmp(&b.creator))
    });
    spawners
}
