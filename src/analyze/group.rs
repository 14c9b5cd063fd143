//! Grouping of identical stacks, in linear time: every task's signature at
//! the chosen similarity is hashed once and looked up in a hash map.

use crate::model::{FrameId, Snapshot, StackId, StateClass, Sym, TaskFlags};
use rustc_hash::{FxHashMap, FxHashSet, FxHasher};
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

/// How alike two stacks must be to share a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Similarity {
    /// Same frames and byte-identical arguments.
    Exact,
    /// Same frames; arguments equal except pointer-like words, `?` values
    /// and the Go distribution's frames' arguments (default).
    #[default]
    Pointers,
    /// Same frames (function, file, line); arguments ignored.
    Values,
    /// Same functions; files, lines and arguments ignored.
    Functions,
}

impl Similarity {
    /// The name used on the command line and in reports: `exact` … `functions`.
    pub fn as_str(self) -> &'static str {
        match self {
            Similarity::Exact => "exact",
            Similarity::Pointers => "pointers",
            Similarity::Values => "values",
            Similarity::Functions => "functions",
        }
    }
}

/// Wait time statistics over a group's tasks, in minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitStats {
    /// The shortest wait.
    pub min: u32,
    /// The median wait.
    pub median: u32,
    /// The longest wait.
    pub max: u32,
}

/// Tasks that share a stack signature and creator.
#[derive(Debug, Clone)]
pub struct Group {
    /// Indices into `snapshot.tasks`, in dump order.
    pub tasks: Vec<u32>,
    /// The stack of the group's first task (representative).
    pub stack: StackId,
    /// The creator frame shared by the group's tasks.
    pub creator: Option<FrameId>,
    /// The most common state.
    pub state: Sym,
    /// The state class of the most common state.
    pub class: StateClass,
    /// Every state with its count, most common first.
    pub states: Vec<(Sym, u32)>,
    /// How long the tasks have waited, when the dump states it for any.
    pub wait: Option<WaitStats>,
    /// Distinct parent goroutine ids, ascending.
    pub parent_ids: Vec<u64>,
    /// Label keys with their distinct values (at most 32 values each).
    pub labels: BTreeMap<String, Vec<String>>,
    /// Counts of task flags: leaked, locked_to_thread, ...
    pub flags: Vec<(&'static str, u32)>,
}

impl Group {
    /// How many tasks the group holds.
    pub fn count(&self) -> usize {
        self.tasks.len()
    }
}

const MAX_LABEL_VALUES: usize = 32;

/// Groups the tasks of a snapshot. Groups come most tasks first, ties by the
/// longest wait, then by first appearance.
pub fn group(snap: &Snapshot, level: Similarity) -> Vec<Group> {
    let tables = &snap.tables;
    // Per-stack signature at the function level, computed once per stack.
    let func_sig: Vec<u64> = if level == Similarity::Functions {
        (0..tables.stack_count())
            .map(|i| {
                let stack = tables.stack(StackId(i as u32));
                let mut hasher = FxHasher::default();
                for f in stack.frames.iter() {
                    tables.frame(*f).function.hash(&mut hasher);
                }
                stack.elided.is_some().hash(&mut hasher);
                hasher.finish()
            })
            .collect()
    } else {
        Vec::new()
    };
    let creator_key = |c: Option<FrameId>| -> u64 {
        match c {
            None => u64::MAX,
            Some(f) if level == Similarity::Functions => u64::from(tables.frame(f).function.0),
            Some(f) => u64::from(f.0),
        }
    };
    let mut index: FxHashMap<(u64, u64, u64), u32> = FxHashMap::default();
    let mut members: Vec<Vec<u32>> = Vec::new();
    for (i, t) in snap.tasks.iter().enumerate() {
        let key = match level {
            Similarity::Exact => (u64::from(t.stack.0), creator_key(t.creator), t.arg_hash[0]),
            Similarity::Pointers => (u64::from(t.stack.0), creator_key(t.creator), t.arg_hash[1]),
            Similarity::Values => (u64::from(t.stack.0), creator_key(t.creator), 0),
            Similarity::Functions => (
                func_sig.get(t.stack.index()).copied().unwrap_or_default(),
                creator_key(t.creator),
                0,
            ),
        };
        let group_index = *index.entry(key).or_insert_with(|| {
            members.push(Vec::new());
            (members.len() - 1) as u32
        });
        members[group_index as usize].push(i as u32);
    }
    drop(index);
    let mut groups: Vec<Group> = members.into_iter().map(|m| summarise(snap, m)).collect();
    // The first task breaks every tie (a task is in one group only): an
    // unstable sort gives the same order without a buffer of half the groups.
    groups.sort_unstable_by(|a, b| {
        b.count()
            .cmp(&a.count())
            .then_with(|| {
                let wa = a.wait.map_or(0, |w| w.max);
                let wb = b.wait.map_or(0, |w| w.max);
                wb.cmp(&wa)
            })
            .then_with(|| a.tasks.first().cmp(&b.tasks.first()))
    });
    groups
}

fn summarise(snap: &Snapshot, tasks: Vec<u32>) -> Group {
    let first = &snap.tasks[tasks[0] as usize];
    let mut states: FxHashMap<Sym, u32> = FxHashMap::default();
    let mut waits: Vec<u32> = Vec::new();
    let mut any_wait = false;
    let mut parents: FxHashSet<u64> = FxHashSet::default();
    let mut labels: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut label_sets: FxHashSet<u32> = FxHashSet::default();
    let mut flag_counts = [0u32; TaskFlags::COUNT];
    for &i in &tasks {
        let task = &snap.tasks[i as usize];
        *states.entry(task.state).or_default() += 1;
        if let Some(m) = task.wait_minutes {
            any_wait = true;
            waits.push(m);
        } else {
            waits.push(0);
        }
        if let Some(p) = task.parent_id() {
            parents.insert(p);
        }
        if task.labels.0 != 0 && label_sets.insert(task.labels.0) {
            for (k, value) in snap.labels(task) {
                let vals = labels.entry(snap.tables.str(*k).to_string()).or_default();
                let value = snap.tables.str(*value);
                if vals.len() < MAX_LABEL_VALUES && !vals.iter().any(|x| x == value) {
                    vals.push(value.to_string());
                }
            }
        }
        let bits = task.flags.bits();
        for (j, c) in flag_counts.iter_mut().enumerate() {
            if bits & (1 << j) != 0 {
                *c += 1;
            }
        }
    }
    for value in labels.values_mut() {
        value.sort();
    }
    let wait = any_wait.then(|| {
        waits.sort_unstable();
        WaitStats {
            min: waits[0],
            median: waits[waits.len() / 2],
            max: waits[waits.len() - 1],
        }
    });
    let mut states: Vec<(Sym, u32)> = states.into_iter().collect();
    states.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let state = states.first().map_or(first.state, |s| s.0);
    let class = tasks
        .iter()
        .map(|&i| &snap.tasks[i as usize])
        .find(|task| task.state == state)
        .map_or(first.class, |task| task.class);
    let mut parent_ids: Vec<u64> = parents.into_iter().collect();
    parent_ids.sort_unstable();
    let flag_names = TaskFlags(0xffff).names();
    let flags = flag_names
        .into_iter()
        .zip(flag_counts)
        .filter(|(_, c)| *c > 0)
        .collect();
    Group {
        stack: first.stack,
        creator: first.creator,
        state,
        class,
        states,
        wait,
        parent_ids,
        labels,
        flags,
        tasks,
    }
}
