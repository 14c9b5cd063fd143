//! What a rule family reads and writes: the snapshot, its wait-for graph,
//! groups and clusters, the history, the tasks already explained and the
//! findings so far.

use super::super::cluster::Cluster;
use super::super::finding::{Confidence, Finding, Severity};
use super::super::graph::WaitGraph;
use super::super::group::Group;
use super::super::history::History;
use super::super::partner::{Partnered, Partners};
use crate::model::{Runtime, Snapshot, TaskFlags};

/// What the rules read and write.
pub struct Cx<'a> {
    /// The snapshot diagnosed.
    pub snap: &'a Snapshot,
    /// Its wait-for graph.
    pub graph: &'a WaitGraph,
    /// Its groups.
    pub groups: &'a [Group],
    /// Its leak clusters.
    pub clusters: &'a [Cluster],
    /// Some task is marked `(leaked)`.
    pub any_leaked: bool,
    /// The earlier snapshots of the same process, if any.
    pub history: Option<&'a History>,
    /// Per task: already explained by a finding.
    pub claimed: Vec<bool>,
    /// The findings so far.
    pub findings: Vec<Finding>,
    /// Tasks that count (not system stacks).
    pub live_tasks: usize,
    /// What the live goroutines carry and run, built when first asked.
    pub partners: std::cell::OnceCell<Partners>,
}

impl Cx<'_> {
    /// Marks tasks as explained.
    pub fn claim(&mut self, tasks: &[u32]) {
        for &t in tasks {
            if let Some(c) = self.claimed.get_mut(t as usize) {
                *c = true;
            }
        }
    }

    /// The tasks of `tasks` not yet explained.
    pub fn unclaimed(&self, tasks: &[u32]) -> Vec<u32> {
        tasks
            .iter()
            .copied()
            .filter(|&t| !self.claimed.get(t as usize).copied().unwrap_or(true))
            .collect()
    }

    /// Adds a finding and claims its tasks.
    pub fn push(&mut self, f: Finding) {
        let tasks = f.tasks.clone();
        self.claim(&tasks);
        self.findings.push(f);
    }

    /// Which waits of a cluster may still end, and why: a live goroutine
    /// that can be their partner (see [`Partners`]); `None` when none is
    /// known.
    pub fn partner(&self, c: &Cluster) -> Option<Partnered> {
        self.partners
            .get_or_init(|| Partners::build(self.snap, self.graph))
            .of_cluster(self.snap, self.graph, c)
    }

    /// A live goroutine outside the cluster running the program's or a
    /// library's code, when one exists (see [`Partners::live_worker`]).
    pub fn live_worker(&self, c: &Cluster) -> Option<String> {
        self.partners
            .get_or_init(|| Partners::build(self.snap, self.graph))
            .live_worker(self.snap, c)
    }

    /// A finding about a cluster kept at low when a live goroutine may still
    /// end its waits on weak evidence only (a method of the same type, in a
    /// dump that prints no argument words).
    pub fn weakly_partnered(&self, c: &Cluster, mut f: Finding) -> Finding {
        if let Some(p) = self.partner(c).filter(|p| p.weak) {
            f.severity = f.severity.min(Severity::Low);
            f.confidence = Confidence::Possible;
            f.evidence.push(p.evidence);
        }
        f
    }

    /// How many of `tasks` Go's GC proved leaked.
    pub fn leaked(&self, tasks: &[u32]) -> usize {
        if !self.any_leaked {
            return 0;
        }
        tasks
            .iter()
            .filter(|&&t| self.snap.tasks[t as usize].flags.has(TaskFlags::LEAKED))
            .count()
    }

    /// Tasks as findings name them: ids for goroutines, names and ids for
    /// threads.
    pub fn labels(&self, tasks: &[u32], max: usize) -> String {
        if self.snap.runtime == Runtime::Go {
            return self.ids(tasks, max);
        }
        let mut parts: Vec<String> = tasks
            .iter()
            .take(max)
            .filter_map(|&t| self.snap.tasks.get(t as usize))
            .map(|t| match self.snap.task_name(t) {
                Some(n) => format!("\"{n}\" ({})", t.id),
                None => t.id.to_string(),
            })
            .collect();
        if tasks.len() > max {
            parts.push(format!("… {} more", tasks.len() - max));
        }
        parts.join(", ")
    }

    /// Ids of tasks, for messages (at most `max`).
    pub fn ids(&self, tasks: &[u32], max: usize) -> String {
        let mut parts: Vec<String> = tasks
            .iter()
            .take(max)
            .map(|&t| self.snap.tasks[t as usize].id.to_string())
            .collect();
        if tasks.len() > max {
            parts.push(format!("… {} more", tasks.len() - max));
        }
        parts.join(", ")
    }
}

/// Adds what the runtime itself shows: Go's own proof, when the dump
/// carries `(leaked)` marks, and what a core's memory says of the objects
/// the tasks wait on ([`memory_notes`]).
pub fn with_proof(cx: &Cx, mut f: Finding) -> Finding {
    if let Some(notes) = memory_notes(cx, &f.tasks) {
        f.evidence.push(notes);
    }
    let leaked = cx.leaked(&f.tasks);
    if leaked > 0 {
        f.confidence = Confidence::Certain;
        if f.severity < Severity::Medium {
            f.severity = Severity::Medium;
        }
        f.evidence.push(format!(
            "Go's GC proved {leaked} of these goroutines leaked (`(leaked)` in the dump)"
        ));
    }
    f
}

/// Objects named in [`memory_notes`] at most.
const MAX_NOTES: usize = 3;

/// What a core's memory says of the objects the tasks wait on
/// ([`crate::model::ObjectNote`]): `read from the core: channel 0x..:
/// unbuffered, 3 senders waiting, no receiver`, `waitgroup 0x..
/// (main.pending)`; `None` when it says nothing (every text dump).
fn memory_notes(cx: &Cx, tasks: &[u32]) -> Option<String> {
    use crate::model::{ResKey, ResKind};
    if cx.snap.sync.notes.is_empty() {
        return None;
    }
    let mut seen: Vec<u32> = Vec::new();
    let mut parts: Vec<String> = Vec::new();
    let mut more = 0usize;
    for &t in tasks {
        let Some(r) = cx.graph.res_of.get(t as usize).copied().flatten() else {
            continue;
        };
        if seen.contains(&r) {
            continue;
        }
        if seen.len() >= 64 {
            break;
        }
        seen.push(r);
        let Some(res) = cx.graph.resources.get(r as usize) else {
            continue;
        };
        let ResKey::Addr(addr) = res.key else {
            continue;
        };
        let Some(note) = cx.snap.sync.note(addr) else {
            continue;
        };
        if parts.len() == MAX_NOTES {
            more += 1;
            continue;
        }
        let kind = match res.kind {
            ResKind::Chan => "channel",
            k => k.as_str(),
        };
        let mut part = format!("{kind} {addr:#x}");
        if let Some(symbol) = &note.symbol {
            part.push_str(&format!(" ({symbol})"));
        }
        if let Some(state) = &note.state {
            part.push_str(&format!(": {state}"));
        }
        parts.push(part);
    }
    if parts.is_empty() {
        return None;
    }
    if more > 0 {
        parts.push(format!("{more} more"));
    }
    Some(format!("read from the core: {}", parts.join("; ")))
}
