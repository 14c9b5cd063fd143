//! The wait-for graph: tasks wait on resources (certain: the dump says so);
//! resources are held by, or will be released or signalled by, tasks
//! (inferred: Go dumps never print lock holders, so every such edge carries a
//! confidence and the evidence behind it). Cycles are strongly connected
//! components found with petgraph's iterative Kosaraju.

use super::source::SourceIndex;
use super::wait::{self, ResKey, ResKind, Wait, WaitOp, WaitShape};
use crate::model::{CodeKind, Confidence, FrameId, FuncId, Snapshot, TaskFlags};
use petgraph::graph::{DiGraph, NodeIndex};
use rustc_hash::{FxHashMap, FxHashSet};

/// A task inferred to hold a resource, or to be the one that will release
/// or signal it.
#[derive(Debug, Clone)]
pub struct Holder {
    /// Index into `snapshot.tasks`.
    pub task: u32,
    pub confidence: Confidence,
    pub evidence: String,
}

/// A mutex, channel, WaitGroup, ... that tasks wait on.
#[derive(Debug, Clone)]
pub struct Resource {
    pub kind: ResKind,
    pub key: ResKey,
    /// Waiting tasks, in dump order.
    pub waiters: Vec<u32>,
    pub holders: Vec<Holder>,
    /// Some task not waiting on it carries its address (it is alive).
    pub referenced: bool,
}

/// A deadlock: tasks and resources on a cycle of the wait-for graph.
#[derive(Debug, Clone)]
pub struct Cycle {
    pub tasks: Vec<u32>,
    pub resources: Vec<u32>,
    /// The weakest inferred edge on the cycle.
    pub confidence: Confidence,
    /// Tasks waiting on the cycle's resources without being on it.
    pub queued: Vec<u32>,
}

/// The wait-for graph of one snapshot.
#[derive(Debug, Default)]
pub struct WaitGraph {
    /// Per task: what it waits on.
    pub waits: Vec<Option<Wait>>,
    /// Per task: index of its resource.
    pub res_of: Vec<Option<u32>>,
    pub resources: Vec<Resource>,
    pub cycles: Vec<Cycle>,
    /// Tasks that are not g0 or M stacks.
    pub live_tasks: usize,
    /// Some task is marked `(leaked)`.
    pub any_leaked: bool,
}

/// A pointer word in a frame's arguments.
#[derive(Debug, Clone, Copy)]
struct PtrWord {
    task: u32,
    frame: u16,
    arg: u16,
    ptr: u64,
}

/// A worker's pointer words, moved into the shared sink when the worker's
/// part of the tasks is done.
struct PtrBuf<'a>(Vec<PtrWord>, &'a std::sync::Mutex<Vec<Vec<PtrWord>>>);

impl Drop for PtrBuf<'_> {
    fn drop(&mut self) {
        if !self.0.is_empty() {
            let mut sink = self.1.lock().unwrap_or_else(|e| e.into_inner());
            sink.push(std::mem::take(&mut self.0));
        }
    }
}

/// How far above an object's address a primitive inside it may lie.
const FIELD_RANGE: u64 = 256;
/// Holders kept per resource.
const MAX_HOLDERS: usize = 64;

/// Builds the wait-for graph of a snapshot.
pub fn build(snap: &Snapshot, sources: &mut SourceIndex) -> WaitGraph {
    build_with(snap, sources, |_| ()).0
}

/// [`build`], running `beside` on the tasks' waits while the holders are
/// inferred (the leak clusters need only the waits).
pub fn build_with<R: Send>(
    snap: &Snapshot,
    sources: &mut SourceIndex,
    beside: impl FnOnce(&[Option<Wait>]) -> R + Send,
) -> (WaitGraph, R) {
    use rayon::prelude::*;
    let n = snap.tasks.len();
    // Shapes depend on (stack, state) only: computed once per pair, then
    // each task's address is read in parallel.
    let mut per_stack: Vec<Vec<(crate::model::Sym, Option<WaitShape>)>> =
        vec![Vec::new(); snap.tables.stack_count()];
    let mut live_tasks = 0;
    let mut any_leaked = false;
    // Functions that started some goroutine (only waits in those can have
    // children to wait for).
    let mut creates: FxHashSet<FuncId> = FxHashSet::default();
    let mut last_creator = None;
    for t in &snap.tasks {
        live_tasks += usize::from(!t.flags.has(TaskFlags::SYSTEM_STACK));
        any_leaked |= t.flags.has(TaskFlags::LEAKED);
        if t.creator != last_creator {
            last_creator = t.creator;
            if let Some(cr) = t.creator {
                creates.insert(snap.tables.frame(cr).function);
            }
        }
        if let Some(v) = per_stack.get_mut(t.stack.index()) {
            if !v.iter().any(|(s, _)| *s == t.state) {
                v.push((t.state, wait::shape(snap, t.stack, t.state, t.class)));
            }
        }
    }
    // Per stack, the frames that may carry a held object: not the runtime's
    // and not a primitive's own implementation.
    let t = &snap.tables;
    let scan: Vec<Vec<u16>> = (0..t.stack_count())
        .into_par_iter()
        .with_min_len(256)
        .map(|si| {
            let frames = &t.stack(crate::model::StackId(si as u32)).frames;
            frames
                .iter()
                .enumerate()
                .take(u16::MAX as usize)
                .filter(|(_, f)| {
                    let func = t.function(t.frame(**f).function);
                    func.kind != CodeKind::Runtime
                        && !wait::is_impl_frame(t.str(func.full), func.kind)
                })
                .map(|(i, _)| i as u16)
                .collect()
        })
        .collect();
    // One pass over the tasks' text: what each task waits on, and every
    // pointer its other frames carry (for holder inference).
    // The waits are collected straight into their vector; each worker
    // gathers pointer words in its own buffer, handed over when it is done.
    let sink: std::sync::Mutex<Vec<Vec<PtrWord>>> = std::sync::Mutex::new(Vec::new());
    let mut waits: Vec<Option<Wait>> = snap
        .tasks
        .par_iter()
        .enumerate()
        .with_min_len(8192)
        .map_init(
            || PtrBuf(Vec::new(), &sink),
            |buf, (i, t)| {
                prefetch_task(snap, i + PREFETCH_AHEAD);
                if t.flags.has(TaskFlags::SYSTEM_STACK) {
                    return None;
                }
                let w = per_stack
                    .get(t.stack.index())
                    .and_then(|v| v.iter().find(|(s, _)| *s == t.state))
                    .and_then(|x| x.1)
                    .map(|shape| wait::wait_of(snap, t, &shape));
                for &fi in scan.get(t.stack.index()).map_or(&[][..], |v| v.as_slice()) {
                    // The primitive's own frames carry the waited address, not
                    // a held one.
                    if w.is_some_and(|w| fi <= w.prim_end && w.prim_end > 0) {
                        continue;
                    }
                    let args = wait::frame_args(snap, t, fi as usize);
                    for (ai, p) in wait::ptr_args(args).take(64) {
                        buf.0.push(PtrWord {
                            task: i as u32,
                            frame: fi,
                            arg: ai,
                            ptr: p,
                        });
                    }
                }
                w
            },
        )
        .collect();
    let ptrs: Vec<Vec<PtrWord>> = sink.into_inner().unwrap_or_else(|e| e.into_inner());
    let mut locking_funcs: FxHashSet<FuncId> = FxHashSet::default();
    for (si, shapes) in per_stack.iter().enumerate() {
        for shape in shapes.iter().filter_map(|x| x.1) {
            if !matches!(shape.kind, ResKind::Mutex | ResKind::RwMutex) {
                continue;
            }
            let frames = &t.stack(crate::model::StackId(si as u32)).frames;
            if let Some(f) = frames.get(shape.prim_end as usize + 1) {
                locking_funcs.insert(t.frame(*f).function);
            }
        }
    }
    // Resources, keyed by kind and key; an object key is merged into an
    // address key of the same kind that lies inside the object.
    if waits
        .par_iter()
        .any(|w| w.is_some_and(|w| matches!(w.key, ResKey::Object(_))))
    {
        let mut addrs: Vec<(ResKind, u64)> = waits
            .iter()
            .flatten()
            .filter_map(|w| match w.key {
                ResKey::Addr(a) => Some((w.kind, a)),
                _ => None,
            })
            .collect::<FxHashSet<_>>()
            .into_iter()
            .collect();
        addrs.sort_unstable();
        waits.par_iter_mut().flatten().for_each(|w| {
            if let ResKey::Object(o) = w.key {
                let lo = addrs.partition_point(|x| *x < (w.kind, o));
                if let Some((k, a)) = addrs.get(lo) {
                    if *k == w.kind && *a - o < FIELD_RANGE {
                        w.key = ResKey::Addr(*a);
                    }
                }
            }
        });
    }
    let held = stated_waits(snap, &mut waits);
    let waits = waits;
    // The clusters need only the waits: they are built beside the rest.
    let ((resources, res_of, cycles), r) = rayon::join(
        || {
            // Indexed per chunk in parallel, then merged in chunk order: resources
            // are numbered by first appearance and list their waiters in dump order.
            const CHUNK: usize = 16384;
            type Local = (Vec<(ResKind, ResKey)>, Vec<Vec<u32>>, Vec<u32>);
            let parts: Vec<Local> = waits
                .par_chunks(CHUNK)
                .enumerate()
                .map(|(ci, ws)| {
                    let mut index: FxHashMap<(ResKind, ResKey), u32> =
                        FxHashMap::with_capacity_and_hasher(ws.len().min(1024), Default::default());
                    let mut keys = Vec::new();
                    let mut lists: Vec<Vec<u32>> = Vec::new();
                    let mut local = vec![u32::MAX; ws.len()];
                    for (k, w) in ws.iter().enumerate() {
                        let Some(w) = w else { continue };
                        let r = *index.entry((w.kind, w.key)).or_insert_with(|| {
                            keys.push((w.kind, w.key));
                            lists.push(Vec::new());
                            (keys.len() - 1) as u32
                        });
                        lists[r as usize].push((ci * CHUNK + k) as u32);
                        local[k] = r;
                    }
                    (keys, lists, local)
                })
                .collect();
            let mut index: FxHashMap<(ResKind, ResKey), u32> = FxHashMap::default();
            let mut resources: Vec<Resource> = Vec::new();
            let mut res_of: Vec<Option<u32>> = vec![None; n];
            for (ci, (keys, lists, local)) in parts.into_iter().enumerate() {
                let global: Vec<u32> = keys
                    .into_iter()
                    .zip(lists)
                    .map(|((kind, key), list)| {
                        let r = *index.entry((kind, key)).or_insert_with(|| {
                            resources.push(Resource {
                                kind,
                                key,
                                waiters: Vec::new(),
                                holders: Vec::new(),
                                referenced: false,
                            });
                            (resources.len() - 1) as u32
                        });
                        resources[r as usize].waiters.extend(list);
                        r
                    })
                    .collect();
                for (k, l) in local.into_iter().enumerate() {
                    if let Some(&g) = global.get(l as usize) {
                        res_of[ci * CHUNK + k] = Some(g);
                    }
                }
            }
            stated_holders(snap, &held, &res_of, &mut resources);
            infer_holders(
                snap,
                &waits,
                &ptrs,
                &res_of,
                &mut resources,
                &locking_funcs,
                sources,
            );
            infer_children(snap, &waits, &res_of, &mut resources, &creates);
            let cycles = find_resource_cycles(&res_of, &resources);
            (resources, res_of, cycles)
        },
        || beside(&waits),
    );
    (
        WaitGraph {
            waits,
            res_of,
            resources,
            cycles,
            live_tasks,
            any_leaked,
        },
        r,
    )
}

/// How many tasks ahead the text is prefetched.
const PREFETCH_AHEAD: usize = 6;

/// Asks the processor to load the text of task `i` into the cache. The
/// second read of the text (argument words, long after parsing) otherwise
/// waits on memory at every task: prefetching a few tasks ahead cut the
/// address pass of the 500k benchmark by about a third.
fn prefetch_task(snap: &Snapshot, i: usize) {
    let (Some(t), Some(next)) = (snap.tasks.get(i), snap.tasks.get(i + 1)) else {
        return;
    };
    let (a, b) = (
        t.offset as usize,
        (next.offset as usize).min(t.offset as usize + 512),
    );
    let Some(text) = snap.text.get(a..b) else {
        return;
    };
    for line in text.chunks(64) {
        prefetch(line.as_ptr());
    }
}

#[cfg(target_arch = "x86_64")]
fn prefetch(p: *const u8) {
    // SAFETY: a prefetch is a hint: it reads nothing into the program, cannot
    // fault, and SSE is part of every x86-64 processor.
    unsafe {
        core::arch::x86_64::_mm_prefetch::<{ core::arch::x86_64::_MM_HINT_T0 }>(p.cast::<i8>())
    };
}

#[cfg(not(target_arch = "x86_64"))]
fn prefetch(_: *const u8) {}

/// Holders by pointer: a task whose frames carry a pointer to the object
/// that contains a waited-on primitive.
fn infer_holders(
    snap: &Snapshot,
    waits: &[Option<Wait>],
    ptrs: &[Vec<PtrWord>],
    res_of: &[Option<u32>],
    resources: &mut [Resource],
    locking_funcs: &FxHashSet<FuncId>,
    sources: &mut SourceIndex,
) {
    // Address-keyed resources, sorted, for range lookups.
    let mut wanted: Vec<(u64, u32)> = resources
        .iter()
        .enumerate()
        .filter(|(_, r)| r.kind.is_sync())
        .filter_map(|(i, r)| match r.key {
            ResKey::Addr(a) | ResKey::Object(a) => Some((a, i as u32)),
            ResKey::Site(_) => None,
        })
        .collect();
    if wanted.is_empty() {
        return;
    }
    wanted.sort_unstable();
    let writer_queued: FxHashSet<u32> = resources
        .iter()
        .enumerate()
        .filter(|(_, r)| r.kind == ResKind::RwMutex)
        .filter(|(_, r)| {
            r.waiters.iter().any(|&t| {
                waits[t as usize]
                    .as_ref()
                    .is_some_and(|w| w.op == WaitOp::Lock)
            })
        })
        .map(|(i, _)| i as u32)
        .collect();
    let t = &snap.tables;
    // Candidates (task, frame, argument, pointer, primitive address,
    // resource) are found in parallel; judging them needs the sources and
    // runs in task order.
    use rayon::prelude::*;
    let mut cands: Vec<(u32, u16, u16, u64, u64, u32)> = ptrs
        .par_iter()
        .flatten()
        .flat_map_iter(|pw| {
            let mut out: Vec<(u32, u16, u16, u64, u64, u32)> = Vec::new();
            let (ti, fi, ai, p) = (pw.task, pw.frame, pw.arg, pw.ptr);
            // Resources whose address lies in [p, p + FIELD_RANGE). An exact
            // match wins; otherwise the nearest primitive above the pointer.
            let lo = wanted.partition_point(|x| x.0 < p);
            let Some(&(a, _)) = wanted.get(lo) else {
                return out;
            };
            if a >= p.saturating_add(FIELD_RANGE) {
                return out;
            }
            let own_wait = waits[ti as usize].as_ref();
            let own = res_of[ti as usize];
            for &(a, r) in wanted[lo..].iter().take_while(|x| x.0 == a).take(4) {
                let kind = resources[r as usize].kind;
                let lock = matches!(kind, ResKind::Mutex | ResKind::RwMutex);
                if own == Some(r) {
                    // Only an outer frame of a lock waiter on the same object
                    // can mean it holds what it waits on.
                    if !lock || own_wait.is_none_or(|w| fi <= w.site_index) {
                        continue;
                    }
                } else if a != p && !lock && (kind == ResKind::Chan || ai != 0) {
                    // A channel is passed by its own address; for other
                    // primitives a containing object counts only as a
                    // receiver or first parameter.
                    continue;
                }
                out.push((ti, fi, ai, p, a, r));
            }
            out
        })
        .collect();
    // Back in task order (each task's words are in text order already).
    cands.sort_by_key(|c| c.0);
    // Receiver types of the methods that lock: another method of the same
    // type carrying the object may be the one holding its lock.
    let locking_types: FxHashSet<(crate::model::Sym, crate::model::Sym)> = locking_funcs
        .iter()
        .filter_map(|f| {
            let func = t.function(*f);
            func.receiver.map(|r| (func.package, r))
        })
        .collect();
    let same_type = |f: FuncId| {
        let func = t.function(f);
        func.receiver
            .is_some_and(|r| locking_types.contains(&(func.package, r)))
    };
    let mut seen: Vec<u32> = Vec::new();
    let mut last_task = u32::MAX;
    for (ti, fi, ai, p, a, r) in cands {
        if ti != last_task {
            seen.clear();
            last_task = ti;
        }
        let ti = ti as usize;
        let fi = fi as usize;
        let ai = ai as usize;
        let own = res_of[ti];
        let own_wait = waits[ti].as_ref();
        let f = &t.stack(snap.tasks[ti].stack).frames[fi];
        let fr = t.frame(*f);
        if seen.contains(&r) || seen.len() > 16 {
            continue;
        }
        let res_kind = resources[r as usize].kind;
        let exact = a == p;
        if res_kind == ResKind::Chan && !exact {
            continue;
        }
        let waits_here = own == Some(r);
        if waits_here {
            // Only an outer frame on the same object can
            // mean the task already holds what it waits on.
            let Some(w) = own_wait else { continue };
            if fi <= w.site_index as usize || !matches!(res_kind, ResKind::Mutex | ResKind::RwMutex)
            {
                continue;
            }
            let rw_reader =
                res_kind == ResKind::RwMutex && w.op == WaitOp::RLock && writer_queued.contains(&r);
            let held = sources.held_through(snap, *f, ai);
            let locks_here = locking_funcs.contains(&fr.function);
            let sibling = ai == 0 && same_type(fr.function);
            let conf = match held {
                Some(h) if h.is_empty() => continue,
                Some(_) => Confidence::Likely,
                None if locks_here => Confidence::Likely,
                None if rw_reader || sibling => Confidence::Possible,
                None => continue,
            };
            if res_kind == ResKind::RwMutex && !rw_reader {
                continue;
            }
            seen.push(r);
            let ev = holder_evidence(snap, *f, p, a, held.as_deref(), Some(locks_here));
            push_holder(&mut resources[r as usize], ti as u32, conf, ev);
            continue;
        }
        resources[r as usize].referenced = true;
        let conf = match res_kind {
            ResKind::Mutex | ResKind::RwMutex => match sources.held_through(snap, *f, ai) {
                Some(h) if h.is_empty() => None,
                Some(h) => Some((
                    Confidence::Likely,
                    holder_evidence(snap, *f, p, a, Some(&h), None),
                )),
                None if locking_funcs.contains(&fr.function) => Some((
                    Confidence::Likely,
                    holder_evidence(snap, *f, p, a, None, None),
                )),
                None if ai == 0 && same_type(fr.function) => Some((
                    Confidence::Possible,
                    format!(
                        "{} is a method of the type whose methods lock {} elsewhere in the dump, and it carries {}; it may hold the lock (pass --source-root to confirm)",
                        frame_name(snap, *f),
                        hex(a),
                        hex(p)
                    ),
                )),
                // Native code: a frame that passes the mutex's own address
                // down, in a thread that holds on to it; likely its holder
                // when the thread is itself locking another mutex deeper in
                // the same call (it took this one first).
                None if snap.runtime != crate::model::Runtime::Go && exact => {
                    let nested = own_wait.is_some_and(|w| {
                        matches!(w.kind, ResKind::Mutex | ResKind::RwMutex)
                            && (w.site_index as usize) < fi
                    });
                    Some((
                        if nested {
                            Confidence::Likely
                        } else {
                            Confidence::Possible
                        },
                        if nested {
                            format!(
                                "{} carries {} and, deeper in the same call, waits to lock another mutex: it has most likely locked {} first",
                                frame_name(snap, *f),
                                hex(p),
                                hex(a)
                            )
                        } else {
                            format!(
                                "{} carries {} while its thread waits on nothing else: it may hold the lock (print the mutex in gdb, `p *(pthread_mutex_t *) {}`, to see `__owner`)",
                                frame_name(snap, *f),
                                hex(p),
                                hex(a)
                            )
                        },
                    ))
                }
                None => None,
            },
            _ => Some((
                Confidence::Possible,
                format!(
                    "{} carries {} in its arguments and may {} it",
                    frame_name(snap, *f),
                    hex(p),
                    match res_kind {
                        ResKind::Chan => "send on or close",
                        ResKind::WaitGroup | ResKind::Errgroup => "call Done on",
                        ResKind::Cond => "signal",
                        _ => "release",
                    }
                ),
            )),
        };
        if let Some((c, ev)) = conf {
            seen.push(r);
            push_holder(&mut resources[r as usize], ti as u32, c, ev);
        }
    }
}

/// Waits the dump states outright (Java's `- waiting to lock`, a mutex
/// printed in a lock call) replace the ones read from the stack; returns the
/// stated holds, `(task, kind, address, fact)`, without the ones a task
/// released to wait (`Object.wait` prints the monitor as both locked and
/// waited on).
fn stated_waits(snap: &Snapshot, waits: &mut [Option<Wait>]) -> Vec<(u32, ResKind, u64, usize)> {
    use crate::model::LockRel;
    let facts = &snap.sync.locks;
    if facts.is_empty() {
        return Vec::new();
    }
    let t = &snap.tables;
    let mut stated: FxHashSet<u32> = FxHashSet::default();
    let mut released: FxHashSet<(u32, u64)> = FxHashSet::default();
    for f in facts {
        if f.rel == LockRel::Holds || stated.contains(&f.task) {
            continue;
        }
        let Some(task) = snap.tasks.get(f.task as usize) else {
            continue;
        };
        if f.rel == LockRel::Awaits {
            released.insert((f.task, f.addr));
        }
        let frames = &t.stack(task.stack).frames;
        let from = (f.frame as usize).min(frames.len().saturating_sub(1));
        let site_index = frames
            .iter()
            .enumerate()
            .skip(from)
            .find(|(_, fr)| t.function(t.frame(**fr).function).kind == CodeKind::User)
            .map_or(from, |(i, _)| i);
        let kind = wait::kind_of(f.kind);
        let op = match (f.rel, kind) {
            (LockRel::Acquires, _) => WaitOp::Lock,
            (_, ResKind::Queue) => WaitOp::Recv,
            _ => WaitOp::Wait,
        };
        if let Some(w) = waits.get_mut(f.task as usize) {
            // A wait stated without an address is identified by its site.
            let key = match (f.addr, frames.get(site_index)) {
                (0, Some(site)) => ResKey::Site(*site),
                (0, None) => ResKey::Site(FrameId(u32::MAX)),
                (a, _) => ResKey::Addr(a),
            };
            *w = Some(Wait {
                kind,
                op,
                key,
                site: frames.get(site_index).copied(),
                site_index: site_index as u16,
                prim_end: site_index.saturating_sub(1) as u16,
            });
            stated.insert(f.task);
        }
    }
    facts
        .iter()
        .enumerate()
        .filter(|(_, f)| f.rel == LockRel::Holds && !released.contains(&(f.task, f.addr)))
        .map(|(i, f)| (f.task, wait::kind_of(f.kind), f.addr, i))
        .collect()
}

/// Holders the dump states: certain edges.
fn stated_holders(
    snap: &Snapshot,
    held: &[(u32, ResKind, u64, usize)],
    res_of: &[Option<u32>],
    resources: &mut [Resource],
) {
    if held.is_empty() {
        return;
    }
    let mut index: FxHashMap<u64, Vec<u32>> = FxHashMap::default();
    for (i, r) in resources.iter().enumerate() {
        if let ResKey::Addr(a) = r.key {
            index.entry(a).or_default().push(i as u32);
        }
    }
    let t = &snap.tables;
    for &(task, kind, addr, fi) in held {
        let Some(rs) = index.get(&addr) else { continue };
        let fact = &snap.sync.locks[fi];
        for &r in rs {
            let res = &mut resources[r as usize];
            // A lock's holder blocks those that wait to acquire it; one
            // that waits on a condition waits for a signal, not a holder.
            let same = res.kind == kind || (wait::is_lock(kind) && wait::is_lock(res.kind));
            if !same || res.holders.iter().any(|h| h.task == task) {
                continue;
            }
            if res_of.get(task as usize).copied().flatten() == Some(r) && !wait::is_lock(res.kind) {
                continue;
            }
            let Some(tk) = snap.tasks.get(task as usize) else {
                continue;
            };
            let frame = t
                .stack(tk.stack)
                .frames
                .get(fact.frame as usize)
                .map(|f| frame_name(snap, *f))
                .unwrap_or_default();
            let class = t.str(fact.class);
            if kind == ResKind::Future {
                let ev = format!(
                    "{} is the thread joined: {} is its pthread_t (line {})",
                    snap.task_label(tk),
                    hex(addr),
                    fact.line
                );
                push_holder(res, task, Confidence::Certain, ev);
                continue;
            }
            let mut place: Vec<String> = Vec::new();
            if fact.line > 0 {
                place.push(format!("line {}", fact.line));
            }
            if !frame.is_empty() {
                place.push(format!("in {frame}"));
            }
            let ev = format!(
                "the dump says {} holds {}{}{}",
                snap.task_label(tk),
                hex(addr),
                if class.is_empty() {
                    String::new()
                } else {
                    format!(", a {class}")
                },
                if place.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", place.join(", "))
                }
            );
            push_holder(res, task, Confidence::Certain, ev);
        }
    }
}

/// Holders by creation: the children a task started from the function it
/// now waits in are the ones expected to call Done, send or signal.
fn infer_children(
    snap: &Snapshot,
    waits: &[Option<Wait>],
    res_of: &[Option<u32>],
    resources: &mut [Resource],
    creates: &FxHashSet<FuncId>,
) {
    let t = &snap.tables;
    if creates.is_empty() {
        return;
    }
    // (parent id, creator function) -> waiting task index; per function,
    // how many wait there and one of them.
    let mut waiting: FxHashMap<(u64, FuncId), u32> = FxHashMap::default();
    let mut by_func: FxHashMap<FuncId, (u32, u32)> = FxHashMap::default();
    for (i, w) in waits.iter().enumerate() {
        let Some(w) = w else { continue };
        if w.site
            .is_none_or(|s| !creates.contains(&t.frame(s).function))
        {
            continue;
        }
        if !matches!(
            w.kind,
            ResKind::WaitGroup | ResKind::Errgroup | ResKind::Chan | ResKind::Select
        ) || matches!(w.op, WaitOp::Send)
            || w.op.is_forever()
        {
            continue;
        }
        if let Some(site) = w.site {
            let f = t.frame(site).function;
            waiting.insert((snap.tasks[i].id, f), i as u32);
            let e = by_func.entry(f).or_insert((0, i as u32));
            e.0 += 1;
        }
    }
    if waiting.is_empty() {
        return;
    }
    for (ci, c) in snap.tasks.iter().enumerate() {
        let Some(cr) = c.creator else {
            continue;
        };
        let func = t.frame(cr).function;
        let Some(&(n, only)) = by_func.get(&func) else {
            continue;
        };
        // With parent ids (Go >= 1.21) the parent must be the waiter; without
        // them, only a waiter alone in that function can be the parent.
        let wi = match c.parent_id() {
            Some(pid) => match waiting.get(&(pid, func)) {
                Some(&wi) => wi,
                None => continue,
            },
            None if n == 1 => only,
            None => continue,
        };
        let pid = snap.tasks[wi as usize].id;
        let Some(r) = res_of[wi as usize] else {
            continue;
        };
        if res_of[ci] == Some(r) {
            continue;
        }
        let res = &mut resources[r as usize];
        if res.holders.iter().any(|h| h.task == ci as u32) {
            continue;
        }
        let ev = format!(
            "goroutine {} was started by goroutine {} from {}, where it now waits",
            c.id,
            pid,
            t.func_name(t.frame(cr).function)
        );
        push_holder(res, ci as u32, Confidence::Possible, ev);
    }
}

fn push_holder(r: &mut Resource, task: u32, confidence: Confidence, evidence: String) {
    // One edge per holder: the surest evidence wins.
    if let Some(h) = r.holders.iter_mut().find(|h| h.task == task) {
        if confidence > h.confidence {
            h.confidence = confidence;
            h.evidence = evidence;
        }
        return;
    }
    if r.holders.len() < MAX_HOLDERS {
        r.holders.push(Holder {
            task,
            confidence,
            evidence,
        });
    }
}

fn hex(p: u64) -> String {
    format!("{p:#x}")
}

fn frame_name(snap: &Snapshot, f: FrameId) -> String {
    let t = &snap.tables;
    let fr = t.frame(f);
    let file = t.str(fr.file);
    let base = file.rsplit(['/', '\\']).next().unwrap_or(file);
    format!("{} ({}:{})", t.func_name(fr.function), base, fr.line)
}

fn holder_evidence(
    snap: &Snapshot,
    f: FrameId,
    p: u64,
    a: u64,
    held: Option<&[super::source::Held]>,
    own: Option<bool>,
) -> String {
    let place = frame_name(snap, f);
    let offset = if a == p {
        String::new()
    } else {
        format!(" (the lock at {} lies {} bytes inside it)", hex(a), a - p)
    };
    let why = match held {
        Some(h) => {
            let h = &h[0];
            format!(
                "; its source takes `{}.{}()` at line {} and has not released it",
                h.expr,
                if h.read { "RLock" } else { "Lock" },
                h.line
            )
        }
        None if own == Some(false) => {
            "; a method on the same object further up the stack has probably taken the lock already (pass --source-root to confirm)".to_string()
        }
        None => "; that function locks this type's mutex elsewhere in the dump".to_string(),
    };
    if own.is_some() {
        format!(
            "an outer frame {place} holds {}{offset}{why}: the goroutine waits on a lock it already holds",
            hex(p)
        )
    } else {
        format!("{place} carries {}{offset}{why}", hex(p))
    }
}

/// Strongly connected components over task and resource nodes, as cycles.
fn find_resource_cycles(res_of: &[Option<u32>], resources: &[Resource]) -> Vec<Cycle> {
    // Only resources with holders can close a cycle.
    let mut task_node: FxHashMap<u32, u32> = FxHashMap::default();
    let mut edges: Vec<(u32, u32)> = Vec::new();
    let mut edge_conf: FxHashMap<(u32, u32), Confidence> = FxHashMap::default();
    let nres = resources.len() as u32;
    let node_of_task = |t: u32, m: &mut FxHashMap<u32, u32>| -> u32 {
        let next = nres + m.len() as u32;
        *m.entry(t).or_insert(next)
    };
    // A waiter that holds nothing has no incoming edge and cannot be on a
    // cycle; leaving it out keeps the graph small.
    let holds: FxHashSet<u32> = resources
        .iter()
        .flat_map(|r| r.holders.iter().map(|h| h.task))
        .collect();
    if holds.is_empty() {
        return Vec::new();
    }
    for (ri, r) in resources.iter().enumerate() {
        if r.holders.is_empty() {
            continue;
        }
        for h in &r.holders {
            let tn = node_of_task(h.task, &mut task_node);
            edges.push((ri as u32, tn));
            let e = edge_conf.entry((ri as u32, tn)).or_insert(h.confidence);
            *e = (*e).max(h.confidence);
            // The holder's own wait.
            if let Some(hr) = res_of.get(h.task as usize).copied().flatten() {
                edges.push((tn, hr));
            }
        }
        for &w in r.waiters.iter().filter(|w| holds.contains(w)) {
            let tn = node_of_task(w, &mut task_node);
            edges.push((tn, ri as u32));
        }
    }
    if edges.is_empty() {
        return Vec::new();
    }
    let total = nres as usize + task_node.len();
    let mut tasks_of_node: Vec<u32> = vec![u32::MAX; task_node.len()];
    for (t, n) in &task_node {
        tasks_of_node[(*n - nres) as usize] = *t;
    }
    let mut out = Vec::new();
    for comp in cycles(total, &edges) {
        let mut tasks = Vec::new();
        let mut res = Vec::new();
        for n in &comp {
            if *n < nres {
                res.push(*n);
            } else {
                tasks.push(tasks_of_node[(*n - nres) as usize]);
            }
        }
        if tasks.is_empty() || res.is_empty() {
            continue;
        }
        let members: FxHashSet<u32> = comp.iter().copied().collect();
        let confidence = edge_conf
            .iter()
            .filter(|((a, b), _)| members.contains(a) && members.contains(b))
            .map(|(_, c)| *c)
            .min()
            .unwrap_or(Confidence::Possible);
        tasks.sort_unstable();
        res.sort_unstable();
        let on: FxHashSet<u32> = tasks.iter().copied().collect();
        let mut queued: Vec<u32> = res
            .iter()
            .flat_map(|r| resources[*r as usize].waiters.iter().copied())
            .filter(|t| !on.contains(t))
            .collect();
        queued.sort_unstable();
        queued.dedup();
        out.push(Cycle {
            tasks,
            resources: res,
            confidence,
            queued,
        });
    }
    out
}

/// The cycles of a directed graph given as edges over `0..n`: every
/// strongly connected component with more than one node, and every node with
/// an edge to itself. Iterative (Kosaraju), so a long chain cannot overflow
/// the stack.
pub fn cycles(n: usize, edges: &[(u32, u32)]) -> Vec<Vec<u32>> {
    let mut g: DiGraph<(), ()> = DiGraph::with_capacity(n, edges.len());
    for _ in 0..n {
        g.add_node(());
    }
    let mut self_loops: FxHashSet<u32> = FxHashSet::default();
    for &(a, b) in edges {
        if a as usize >= n || b as usize >= n {
            continue;
        }
        if a == b {
            self_loops.insert(a);
        }
        g.update_edge(NodeIndex::new(a as usize), NodeIndex::new(b as usize), ());
    }
    let mut out: Vec<Vec<u32>> = petgraph::algo::kosaraju_scc(&g)
        .into_iter()
        .filter(|c| c.len() > 1 || self_loops.contains(&(c[0].index() as u32)))
        .map(|c| {
            let mut v: Vec<u32> = c.into_iter().map(|x| x.index() as u32).collect();
            v.sort_unstable();
            v
        })
        .collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_node_cycle_and_self_loop() {
        let c = cycles(5, &[(0, 1), (1, 0), (2, 2), (3, 4)]);
        assert_eq!(c, vec![vec![0, 1], vec![2]]);
    }

    #[test]
    fn a_chain_has_no_cycle_and_does_not_overflow() {
        let n = 100_000u32;
        let edges: Vec<(u32, u32)> = (0..n - 1).map(|i| (i, i + 1)).collect();
        assert!(cycles(n as usize, &edges).is_empty());
        // Closing the chain makes one cycle of every node.
        let mut closed = edges.clone();
        closed.push((n - 1, 0));
        let c = cycles(n as usize, &closed);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].len(), n as usize);
    }

    #[test]
    fn out_of_range_edges_are_ignored() {
        assert!(cycles(2, &[(0, 7), (7, 0)]).is_empty());
    }
}
