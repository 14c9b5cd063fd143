//! Hold facts inferred from creation: the children a task started from the
//! function it now waits in are the ones expected to call Done, send or
//! signal.

use super::holds::HoldFacts;
use super::resources::Resources;
use super::waits::WaitFacts;
use crate::analyze::wait::{ResKind, WaitOp};
use crate::model::{Confidence, FuncId, Snapshot};
use rustc_hash::FxHashMap;

/// Holders by creation: the children a task started from the function it
/// now waits in are the ones expected to call Done, send or signal.
pub fn by_creation(snap: &Snapshot, facts: &WaitFacts, resources: &Resources, out: &mut HoldFacts) {
    let (waits, creates) = (&facts.waits, &facts.creates);
    let res_of = &resources.res_of;
    let tables = &snap.tables;
    if creates.is_empty() {
        return;
    }
    // (parent id, creator function) -> waiting task index; per function,
    // how many wait there and one of them.
    let mut waiting: FxHashMap<(u64, FuncId), u32> = FxHashMap::default();
    let mut by_func: FxHashMap<FuncId, (u32, u32)> = FxHashMap::default();
    for (i, wait) in waits.iter().enumerate() {
        let Some(wait) = wait else { continue };
        if wait
            .site
            .is_none_or(|s| !creates.contains(&tables.frame(s).function))
        {
            continue;
        }
        if !matches!(
            wait.kind,
            ResKind::WaitGroup | ResKind::Errgroup | ResKind::Chan | ResKind::Select
        ) || matches!(wait.op, WaitOp::Send)
            || wait.op.is_forever()
        {
            continue;
        }
        if let Some(site) = wait.site {
            let func = tables.frame(site).function;
            waiting.insert((snap.tasks[i].id, func), i as u32);
            let entry = by_func.entry(func).or_insert((0, i as u32));
            entry.0 += 1;
        }
    }
    if waiting.is_empty() {
        return;
    }
    for (ci, c) in snap.tasks.iter().enumerate() {
        let Some(cr) = c.creator else {
            continue;
        };
        let func = tables.frame(cr).function;
        let Some(&(count, only)) = by_func.get(&func) else {
            continue;
        };
        // With parent ids (Go >= 1.21) the parent must be the waiter; without
        // them, only a waiter alone in that function can be the parent.
        let wi = match c.parent_id() {
            Some(pid) => match waiting.get(&(pid, func)) {
                Some(&wi) => wi,
                None => continue,
            },
            None if count == 1 => only,
            None => continue,
        };
        let pid = snap.tasks[wi as usize].id;
        let Some(resource) = res_of[wi as usize] else {
            continue;
        };
        if res_of[ci] == Some(resource) {
            continue;
        }
        // (A task already listed keeps its surer fact.)
        let ev = format!(
            "goroutine {} was started by goroutine {} from {}, where it now waits",
            c.id,
            pid,
            tables.func_name(tables.frame(cr).function)
        );
        out.push(resources, resource, ci as u32, Confidence::Possible, ev);
    }
}
