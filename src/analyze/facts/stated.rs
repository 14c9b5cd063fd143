//! The lock relations the parsers record ([`crate::model::LockFact`]): the
//! ones the dump states outright (Java's `- waiting to lock <0x..>` and
//! `- locked <0x..>`, a printed mutex owner: certain), and the ones a parser
//! recognised with its runtime's vocabulary in a class or frame name (a
//! `java.util.concurrent` class, a joined thread, Python's and tokio's
//! primitives), with the confidence their [`crate::model::LockBasis`] and
//! vocabulary give. They replace the waits read from the stack and are the
//! first hold facts.

use super::evidence;
use super::holds::HoldFacts;
use super::resources::Resources;
use crate::analyze::wait::{self, ResKey, ResKind, Wait, WaitOp};
use crate::model::{CodeKind, Evidence, FrameId, LockBasis, LockRel, Snapshot};
use rustc_hash::{FxHashMap, FxHashSet};

/// A hold the dump states: `(task, kind, address, index of its fact in
/// the snapshot's lock facts)`.
pub type StatedHold = (u32, ResKind, u64, usize);

/// Waits the parsers record (Java's `- waiting to lock`, a join, Python's
/// `Queue.get`) replace the ones read from the stack, with the lock fact's
/// confidence; returns the recorded holds, without the ones a task released
/// to wait (`Object.wait` prints the monitor as both locked and waited on).
pub fn replace_waits(snap: &Snapshot, waits: &mut [Option<Wait>]) -> Vec<StatedHold> {
    let facts = &snap.sync.locks;
    if facts.is_empty() {
        return Vec::new();
    }
    let tables = &snap.tables;
    let mut stated: FxHashSet<u32> = FxHashSet::default();
    let mut released: FxHashSet<(u32, u64)> = FxHashSet::default();
    for fact in facts {
        if fact.rel == LockRel::Holds || stated.contains(&fact.task) {
            continue;
        }
        let Some(task) = snap.tasks.get(fact.task as usize) else {
            continue;
        };
        if fact.rel == LockRel::Awaits {
            released.insert((fact.task, fact.addr));
        }
        let frames = &tables.stack(task.stack).frames;
        let from = (fact.frame as usize).min(frames.len().saturating_sub(1));
        let site_index = frames
            .iter()
            .enumerate()
            .skip(from)
            .find(|(_, fr)| tables.function(tables.frame(**fr).function).kind == CodeKind::User)
            .map_or(from, |(i, _)| i);
        let kind = wait::kind_of(fact.kind);
        if fact.basis == LockBasis::Memory {
            if let Some(slot) = waits.get_mut(fact.task as usize) {
                *slot = from_memory(*slot, fact, kind);
                stated.insert(fact.task);
            }
            continue;
        }
        let op = match (fact.rel, kind) {
            (LockRel::Acquires, _) => WaitOp::Lock,
            (_, ResKind::Queue) => WaitOp::Recv,
            _ => WaitOp::Wait,
        };
        if let Some(slot) = waits.get_mut(fact.task as usize) {
            // A wait stated without an address is identified by its site.
            let key = match (fact.addr, frames.get(site_index)) {
                (0, Some(site)) => ResKey::Site(*site),
                (0, None) => ResKey::Site(FrameId(u32::MAX)),
                (a, _) => ResKey::Addr(a),
            };
            *slot = Some(Wait {
                kind,
                op,
                key,
                site: frames.get(site_index).copied(),
                site_index: site_index as u16,
                prim_end: site_index.saturating_sub(1) as u16,
                confidence: fact.confidence,
                evidence: match fact.basis {
                    LockBasis::Stated | LockBasis::ClassName | LockBasis::Memory => {
                        Evidence::Stated
                    }
                    LockBasis::FrameName => Evidence::Recognised,
                },
            });
            stated.insert(fact.task);
        }
    }
    facts
        .iter()
        .enumerate()
        .filter(|(_, fact)| {
            fact.rel == LockRel::Holds && !released.contains(&(fact.task, fact.addr))
        })
        .map(|(i, fact)| (fact.task, wait::kind_of(fact.kind), fact.addr, i))
        .collect()
}

/// A wait read from the process's memory: the object the runtime's queues
/// name replaces the one the frames suggest, and the wait is certain; the
/// site, the operation and the primitive's frames stay the frames' (they
/// say where and how the task waits, memory says on what). When the
/// frames read no wait, or one of another kind, their reading stays.
fn from_memory(frames: Option<Wait>, fact: &crate::model::LockFact, kind: ResKind) -> Option<Wait> {
    let key = ResKey::Addr(fact.addr);
    match frames {
        Some(w) if w.kind == kind || (w.kind.is_lock() && kind.is_lock()) => Some(Wait {
            key,
            confidence: fact.confidence,
            evidence: Evidence::Stated,
            ..w
        }),
        // The frames read another kind of wait: they are kept.
        Some(w) => Some(w),
        None => None,
    }
}

/// Holders the parsers record: edges as sure as their lock facts.
pub fn holders(snap: &Snapshot, held: &[StatedHold], resources: &Resources, out: &mut HoldFacts) {
    if held.is_empty() {
        return;
    }
    let res_of = &resources.res_of;
    let mut index: FxHashMap<u64, Vec<u32>> = FxHashMap::default();
    for (i, (_, key)) in resources.keys.iter().enumerate() {
        if let ResKey::Addr(a) = key {
            index.entry(*a).or_default().push(i as u32);
        }
    }
    for &(task, kind, addr, fi) in held {
        let Some(rs) = index.get(&addr) else { continue };
        let fact = &snap.sync.locks[fi];
        for &r in rs {
            let res_kind = resources.keys[r as usize].0;
            // A lock's holder blocks those that wait to acquire it; one
            // that waits on a condition waits for a signal, not a holder.
            // (A task already listed keeps its first fact.)
            let same = res_kind == kind || (kind.is_lock() && res_kind.is_lock());
            if !same {
                continue;
            }
            if res_of.get(task as usize).copied().flatten() == Some(r) && !res_kind.is_lock() {
                continue;
            }
            let Some(tk) = snap.tasks.get(task as usize) else {
                continue;
            };
            let ev = evidence::stated_hold(snap, tk, kind, addr, fact);
            out.push(resources, r, task, fact.confidence, ev);
        }
    }
}
