//! Hold facts inferred from memory: a task whose frames carry a pointer to a
//! waited-on primitive, or to the object that contains it, may hold it or be
//! the one to release or signal it; the sources (when found), the dump's
//! other lock calls and the task's own wait decide how likely that is.

use super::evidence::{self, frame_name, hex};
use super::resources::Resources;
use super::waits::{WaitFacts, FIELD_RANGE};
use crate::analyze::source::SourceIndex;
use crate::analyze::wait::{ResKey, ResKind, Wait, WaitOp};
use crate::model::{Confidence, FrameId, FuncId, HoldFact, Runtime, Snapshot, Sym};
use rayon::prelude::*;
use rustc_hash::FxHashSet;

/// Hold facts kept per resource.
pub const MAX_HOLDERS: usize = 64;

/// The hold facts of a snapshot, per resource in the order they were found
/// (stated ones first), and which resources some task not waiting on them
/// references.
#[derive(Debug, Default)]
pub struct HoldFacts {
    /// Per resource: one fact per holding task (the surest evidence wins),
    /// at most [`MAX_HOLDERS`].
    pub holds: Vec<Vec<HoldFact>>,
    /// Per resource: some task not waiting on it carries its address.
    pub referenced: Vec<bool>,
}

impl HoldFacts {
    /// No facts yet about `count` resources.
    pub fn new(count: usize) -> Self {
        HoldFacts {
            holds: vec![Vec::new(); count],
            referenced: vec![false; count],
        }
    }

    /// Records that `task` holds resource `resource`: a task already listed
    /// keeps one fact, the surer one (the first of equally sure ones).
    pub fn push(
        &mut self,
        resources: &Resources,
        resource: u32,
        task: u32,
        confidence: Confidence,
        evidence: String,
    ) {
        let Some(list) = self.holds.get_mut(resource as usize) else {
            return;
        };
        if let Some(known) = list.iter_mut().find(|h| h.task == task) {
            if confidence > known.confidence {
                known.confidence = confidence;
                known.evidence = evidence;
            }
            return;
        }
        if list.len() < MAX_HOLDERS {
            let (kind, key) = resources.keys[resource as usize];
            list.push(HoldFact {
                task,
                kind,
                key,
                confidence,
                evidence,
            });
        }
    }
}

/// A pointer word that lies at or below a waited-on primitive.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    task: u32,
    frame: u16,
    arg: u16,
    /// The pointer the frame carries.
    ptr: u64,
    /// The primitive's address.
    addr: u64,
    resource: u32,
}

/// Holders by pointer: a task whose frames carry a pointer to the object
/// that contains a waited-on primitive.
pub fn by_pointer(
    snap: &Snapshot,
    facts: &WaitFacts,
    resources: &Resources,
    sources: &mut SourceIndex,
    out: &mut HoldFacts,
) {
    // Address-keyed resources, sorted, for range lookups.
    let mut wanted: Vec<(u64, u32)> = resources
        .keys
        .iter()
        .enumerate()
        .filter(|(_, (kind, _))| kind.is_sync())
        .filter_map(|(i, (_, key))| match key {
            ResKey::Addr(a) | ResKey::Object(a) => Some((*a, i as u32)),
            ResKey::Site(_) | ResKey::Named(_) => None,
        })
        .collect();
    if wanted.is_empty() {
        return;
    }
    wanted.sort_unstable();
    let judge = Judge::new(snap, facts, resources);
    // Candidates are found in parallel; judging them needs the sources and
    // runs in task order.
    let mut cands = candidates(facts, resources, &wanted);
    // Back in task order (each task's words are in text order already).
    cands.sort_by_key(|c| c.task);
    let mut seen: Vec<u32> = Vec::new();
    let mut last_task = u32::MAX;
    for cand in cands {
        if cand.task != last_task {
            seen.clear();
            last_task = cand.task;
        }
        let resource = cand.resource;
        if seen.contains(&resource) || seen.len() > 16 {
            continue;
        }
        let res_kind = resources.keys[resource as usize].0;
        if res_kind == ResKind::Chan && cand.addr != cand.ptr {
            continue;
        }
        let judged = if resources.res_of[cand.task as usize] == Some(resource) {
            judge.own(&cand, res_kind, sources)
        } else {
            if let Some(flag) = out.referenced.get_mut(resource as usize) {
                *flag = true;
            }
            judge.other(&cand, res_kind, sources)
        };
        if let Some((confidence, evidence)) = judged {
            seen.push(resource);
            out.push(resources, resource, cand.task, confidence, evidence);
        }
    }
}

/// Pointer words that may point at a waited-on primitive: resources whose
/// address lies in `[p, p + FIELD_RANGE)`. An exact match wins; otherwise
/// the nearest primitive above the pointer.
fn candidates(facts: &WaitFacts, resources: &Resources, wanted: &[(u64, u32)]) -> Vec<Candidate> {
    facts
        .ptrs
        .par_iter()
        .flatten()
        .flat_map_iter(|word| {
            let mut out: Vec<Candidate> = Vec::new();
            let lo = wanted.partition_point(|x| x.0 < word.ptr);
            let Some(&(first, _)) = wanted.get(lo) else {
                return out;
            };
            if first >= word.ptr.saturating_add(FIELD_RANGE) {
                return out;
            }
            let own_wait = facts.waits[word.task as usize].as_ref();
            let own = resources.res_of[word.task as usize];
            for &(addr, resource) in wanted[lo..].iter().take_while(|x| x.0 == first).take(4) {
                let kind = resources.keys[resource as usize].0;
                let lock = matches!(kind, ResKind::Mutex | ResKind::RwMutex);
                if own == Some(resource) {
                    // Only an outer frame of a lock waiter on the same object
                    // can mean it holds what it waits on.
                    if !lock || own_wait.is_none_or(|w| word.frame <= w.site_index) {
                        continue;
                    }
                } else if addr != word.ptr && !lock && (kind == ResKind::Chan || word.arg != 0) {
                    // A channel is passed by its own address; for other
                    // primitives a containing object counts only as a
                    // receiver or first parameter.
                    continue;
                }
                out.push(Candidate {
                    task: word.task,
                    frame: word.frame,
                    arg: word.arg,
                    ptr: word.ptr,
                    addr,
                    resource,
                });
            }
            out
        })
        .collect()
}

/// What judging a candidate needs to know about the snapshot.
struct Judge<'a> {
    snap: &'a Snapshot,
    waits: &'a [Option<Wait>],
    locking_funcs: &'a FxHashSet<FuncId>,
    /// Receiver types of the methods that lock: another method of the same
    /// type carrying the object may be the one holding its lock.
    locking_types: FxHashSet<(Sym, Sym)>,
    /// Readers-writer locks a writer waits on.
    writer_queued: FxHashSet<u32>,
}

impl<'a> Judge<'a> {
    fn new(snap: &'a Snapshot, facts: &'a WaitFacts, resources: &Resources) -> Self {
        let tables = &snap.tables;
        let waits = &facts.waits;
        let writer_queued = resources
            .keys
            .iter()
            .zip(&resources.waiters)
            .enumerate()
            .filter(|(_, ((kind, _), _))| *kind == ResKind::RwMutex)
            .filter(|(_, (_, waiters))| {
                waiters.iter().any(|&t| {
                    waits[t as usize]
                        .as_ref()
                        .is_some_and(|w| w.op == WaitOp::Lock)
                })
            })
            .map(|(i, _)| i as u32)
            .collect();
        let locking_types = facts
            .locking_funcs
            .iter()
            .filter_map(|f| {
                let func = tables.function(*f);
                func.receiver.map(|r| (func.package, r))
            })
            .collect();
        Judge {
            snap,
            waits,
            locking_funcs: &facts.locking_funcs,
            locking_types,
            writer_queued,
        }
    }

    /// A method of a type whose methods lock elsewhere in the dump.
    fn same_type(&self, func: FuncId) -> bool {
        let func = self.snap.tables.function(func);
        func.receiver
            .is_some_and(|r| self.locking_types.contains(&(func.package, r)))
    }

    /// The frame of a candidate.
    fn frame(&self, cand: &Candidate) -> FrameId {
        let tables = &self.snap.tables;
        tables
            .stack(self.snap.tasks[cand.task as usize].stack)
            .frames[cand.frame as usize]
    }

    /// A candidate on the lock its own task waits on: only an outer frame on
    /// the same object can mean the task already holds what it waits on.
    fn own(
        &self,
        cand: &Candidate,
        res_kind: ResKind,
        sources: &mut SourceIndex,
    ) -> Option<(Confidence, String)> {
        let wait = self.waits[cand.task as usize].as_ref()?;
        if cand.frame <= wait.site_index || !matches!(res_kind, ResKind::Mutex | ResKind::RwMutex) {
            return None;
        }
        let frame = self.frame(cand);
        let function = self.snap.tables.frame(frame).function;
        if self.snap.runtime != Runtime::Go && self.same_call(cand, wait, function) {
            return None;
        }
        let rw_reader = res_kind == ResKind::RwMutex
            && wait.op == WaitOp::RLock
            && self.writer_queued.contains(&cand.resource);
        let held = sources.held_through(self.snap, frame, cand.arg as usize);
        let locks_here = self.locking_funcs.contains(&function);
        let sibling = cand.arg == 0 && self.same_type(function);
        let confidence = match held {
            Some(ref h) if h.is_empty() => return None,
            Some(_) => Confidence::Likely,
            None if locks_here => Confidence::Likely,
            None if rw_reader || sibling => Confidence::Possible,
            None => return None,
        };
        if res_kind == ResKind::RwMutex && !rw_reader {
            return None;
        }
        let evidence = evidence::holder(
            self.snap,
            frame,
            cand.ptr,
            cand.addr,
            held.as_deref(),
            Some(locks_here),
        );
        Some((confidence, evidence))
    }

    /// Native frames of the function the wait is in: lldb names the frames
    /// of an inlined call (`std::lock_guard` → `pthread_mutex_lock`) by the
    /// function they were inlined into, so they carry the waited mutex
    /// without having taken it first.
    fn same_call(&self, cand: &Candidate, wait: &Wait, function: FuncId) -> bool {
        let tables = &self.snap.tables;
        let frames = &tables
            .stack(self.snap.tasks[cand.task as usize].stack)
            .frames;
        frames
            .get(wait.site_index as usize)
            .is_some_and(|site| tables.frame(*site).function == function)
    }

    /// A candidate in a task that does not wait on the resource.
    fn other(
        &self,
        cand: &Candidate,
        res_kind: ResKind,
        sources: &mut SourceIndex,
    ) -> Option<(Confidence, String)> {
        let frame = self.frame(cand);
        let (ptr, addr) = (cand.ptr, cand.addr);
        if !matches!(res_kind, ResKind::Mutex | ResKind::RwMutex) {
            let evidence = format!(
                "{} carries {} in its arguments and may {} it",
                frame_name(self.snap, frame),
                hex(ptr),
                match res_kind {
                    ResKind::Chan => "send on or close",
                    ResKind::WaitGroup | ResKind::Errgroup => "call Done on",
                    ResKind::Cond => "signal",
                    _ => "release",
                }
            );
            return Some((Confidence::Possible, evidence));
        }
        let function = self.snap.tables.frame(frame).function;
        match sources.held_through(self.snap, frame, cand.arg as usize) {
            Some(h) if h.is_empty() => None,
            Some(h) => Some((
                Confidence::Likely,
                evidence::holder(self.snap, frame, ptr, addr, Some(&h), None),
            )),
            None if self.locking_funcs.contains(&function) => Some((
                Confidence::Likely,
                evidence::holder(self.snap, frame, ptr, addr, None, None),
            )),
            None if cand.arg == 0
                && self.same_type(function)
                && !self.waits_on_cond_beside(cand.task, ptr, addr) =>
            {
                Some((
                Confidence::Possible,
                format!(
                    "{} is a method of the type whose methods lock {} elsewhere in the dump, and it carries {}; it may hold the lock (pass --source-root to confirm)",
                    frame_name(self.snap, frame),
                    hex(addr),
                    hex(ptr)
                ),
                ))
            }
            None if self.snap.runtime != Runtime::Go && addr == ptr => {
                Some(self.native_holder(cand, frame))
            }
            None => None,
        }
    }

    /// Whether `task` waits in `sync.Cond.Wait` on a Cond of the same object
    /// as the mutex at `addr` (the object at `ptr`): Wait released the
    /// Cond's lock, which is that object's mutex in the usual
    /// `sync.NewCond(&x.mu)`, so being a method of the type says nothing of
    /// holding it.
    fn waits_on_cond_beside(&self, task: u32, ptr: u64, addr: u64) -> bool {
        let Some(wait) = self.waits.get(task as usize).copied().flatten() else {
            return false;
        };
        let object = match wait.key {
            ResKey::Addr(a) | ResKey::Object(a) => a,
            _ => return false,
        };
        let near = |a: u64, base: u64| a >= base && a - base < FIELD_RANGE;
        wait.kind == ResKind::Cond && (object == ptr || near(object, ptr) || near(addr, object))
    }

    /// Native code: a frame that passes the mutex's own address down, in a
    /// thread that holds on to it; likely its holder when the thread is
    /// itself locking another mutex deeper in the same call (it took this
    /// one first).
    fn native_holder(&self, cand: &Candidate, frame: FrameId) -> (Confidence, String) {
        let nested = self.waits[cand.task as usize].is_some_and(|w| {
            matches!(w.kind, ResKind::Mutex | ResKind::RwMutex) && w.site_index < cand.frame
        });
        let place = frame_name(self.snap, frame);
        let (ptr, addr) = (hex(cand.ptr), hex(cand.addr));
        if nested {
            (
                Confidence::Likely,
                format!(
                    "{place} carries {ptr} and, deeper in the same call, waits to lock another mutex: it has most likely locked {addr} first"
                ),
            )
        } else {
            (
                Confidence::Possible,
                format!(
                    "{place} carries {ptr} while its thread waits on nothing else: it may hold the lock (print the mutex in gdb, `p *(pthread_mutex_t *) {addr}`, to see `__owner`)"
                ),
            )
        }
    }
}
