//! Hold facts inferred from creation: the children a task started from the
//! function it now waits in are the ones expected to call Done, send or
//! signal.

use super::holds::HoldFacts;
use super::resources::Resources;
use super::waits::WaitFacts;
use crate::analyze::wait::{ResKey, ResKind, WaitOp};
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

/// The parent as the child's partner: a child blocked on a channel the dump
/// gives no address of, started by a parent that now waits for its children
/// (a WaitGroup or errgroup) in the very function that started it, can only
/// hand its value to that parent when no sibling started from the same
/// function waits to receive: the parent (or whoever it shares the channel
/// with through the function that made it) is its partner.
pub fn parent_partners(
    snap: &Snapshot,
    facts: &WaitFacts,
    resources: &Resources,
    out: &mut HoldFacts,
) {
    let waits = &facts.waits;
    let res_of = &resources.res_of;
    let tables = &snap.tables;
    if facts.creates.is_empty() {
        return;
    }
    // Parents waiting for their children: (id, function) -> task index.
    let mut parents: FxHashMap<(u64, FuncId), u32> = FxHashMap::default();
    for (i, wait) in waits.iter().enumerate() {
        let Some(wait) = wait else { continue };
        if !matches!(wait.kind, ResKind::WaitGroup | ResKind::Errgroup) {
            continue;
        }
        if let Some(site) = wait.site {
            let func = tables.frame(site).function;
            if facts.creates.contains(&func) {
                parents.insert((snap.tasks[i].id, func), i as u32);
            }
        }
    }
    if parents.is_empty() {
        return;
    }
    // Children per (parent, function): the ones blocked on an unaddressed
    // channel, and whether some sibling waits to receive.
    let mut children: FxHashMap<(u64, FuncId), (Vec<u32>, bool)> = FxHashMap::default();
    for (ci, c) in snap.tasks.iter().enumerate() {
        let (Some(cr), Some(pid)) = (c.creator, c.parent_id()) else {
            continue;
        };
        let key = (pid, tables.frame(cr).function);
        if !parents.contains_key(&key) {
            continue;
        }
        let Some(wait) = waits[ci].as_ref() else {
            continue;
        };
        let entry = children.entry(key).or_default();
        match (wait.kind, wait.op, wait.key) {
            (ResKind::Chan, WaitOp::Send, ResKey::Site(_)) => entry.0.push(ci as u32),
            (ResKind::Chan | ResKind::Select, _, _) => entry.1 = true,
            _ => {}
        }
    }
    for (key, (senders, receiving_sibling)) in children {
        if receiving_sibling || senders.is_empty() {
            continue;
        }
        let Some(&parent) = parents.get(&key) else {
            continue;
        };
        for child in senders {
            let Some(resource) = res_of[child as usize] else {
                continue;
            };
            let ev = format!(
                "goroutine {} started goroutine {} from {} and now waits there for its children to finish; no sibling waits to receive: it is the only partner known for the send",
                key.0,
                snap.tasks[child as usize].id,
                tables.func_name(key.1)
            );
            out.push(resources, resource, parent, Confidence::Possible, ev);
        }
    }
}
