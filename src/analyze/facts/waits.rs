//! The wait facts of a snapshot: what each task waits on, read once per
//! (stack, state) pair from the frames and the state (the per-runtime
//! vocabulary in [`crate::model::vocab`]) and per task from one argument
//! word; and, in the same pass over the tasks' text, every pointer word the
//! tasks' other frames carry, from which holders are inferred.

use crate::analyze::wait::{self, ResKey, ResKind, Wait, WaitShape};
use crate::model::{CodeKind, FuncId, Snapshot, StackId, Sym, TaskFlags};
use rayon::prelude::*;
use rustc_hash::FxHashSet;

/// A pointer word in a frame's arguments.
#[derive(Debug, Clone, Copy)]
pub struct PtrWord {
    /// Index into [`Snapshot::tasks`].
    pub task: u32,
    /// Index of the frame in the task's stack.
    pub frame: u16,
    /// Index of the top-level argument.
    pub arg: u16,
    /// The pointer's value.
    pub ptr: u64,
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
pub const FIELD_RANGE: u64 = 256;

/// The wait shapes of one stack, per state.
type StackShapes = Vec<(Sym, Option<WaitShape>)>;

/// What the tasks of a snapshot wait on, and what their frames carry.
#[derive(Debug, Default)]
pub struct WaitFacts {
    /// Per task: the wait read from its frames, state and arguments, or
    /// stated by the dump.
    pub waits: Vec<Option<Wait>>,
    /// Every pointer word of the frames that may carry a held object, per
    /// worker, each in task order.
    pub ptrs: Vec<Vec<PtrWord>>,
    /// Functions that started some task (only waits in those can have
    /// children to wait for).
    pub creates: FxHashSet<FuncId>,
    /// Functions that call a mutex's lock in some waiting task.
    pub locking_funcs: FxHashSet<FuncId>,
    /// Tasks that are not g0 or M stacks.
    pub live_tasks: usize,
    /// Some task is marked `(leaked)`.
    pub any_leaked: bool,
}

/// The wait facts of a snapshot, without the ones the dump states (see
/// [`super::stated::replace_waits`]).
pub fn collect(snap: &Snapshot) -> WaitFacts {
    let mut facts = WaitFacts::default();
    // Shapes depend on (stack, state) only: computed once per pair, then
    // each task's address is read in parallel.
    let per_stack = shapes(snap, &mut facts);
    let scan = holder_frames(snap);
    let (waits, ptrs) = read_tasks(snap, &per_stack, &scan);
    facts.waits = waits;
    facts.ptrs = ptrs;
    facts.locking_funcs = locking_funcs(snap, &per_stack);
    merge_object_keys(&mut facts.waits);
    facts
}

/// The wait shape of every (stack, state) pair; counts the live and leaked
/// tasks and gathers the creating functions on the way.
fn shapes(snap: &Snapshot, facts: &mut WaitFacts) -> Vec<StackShapes> {
    let mut per_stack: Vec<StackShapes> = vec![Vec::new(); snap.tables.stack_count()];
    let mut last_creator = None;
    for task in &snap.tasks {
        facts.live_tasks += usize::from(!task.flags.has(TaskFlags::SYSTEM_STACK));
        facts.any_leaked |= task.flags.has(TaskFlags::LEAKED);
        if task.creator != last_creator {
            last_creator = task.creator;
            if let Some(creator) = task.creator {
                facts.creates.insert(snap.tables.frame(creator).function);
            }
        }
        if let Some(shapes) = per_stack.get_mut(task.stack.index()) {
            if !shapes.iter().any(|(state, _)| *state == task.state) {
                let shape = wait::shape(snap, task.stack, task.state, task.class);
                shapes.push((task.state, shape));
            }
        }
    }
    per_stack
}

/// Per stack, the frames that may carry a held object: not the runtime's
/// and not a primitive's own implementation.
fn holder_frames(snap: &Snapshot) -> Vec<Vec<u16>> {
    let tables = &snap.tables;
    (0..tables.stack_count())
        .into_par_iter()
        .with_min_len(256)
        .map(|stack| {
            let frames = &tables.stack(StackId(stack as u32)).frames;
            frames
                .iter()
                .enumerate()
                .take(u16::MAX as usize)
                .filter(|(_, frame)| {
                    let func = tables.function(tables.frame(**frame).function);
                    func.kind != CodeKind::Runtime
                        && !wait::is_impl_frame(tables.str(func.full), func.kind)
                })
                .map(|(index, _)| index as u16)
                .collect()
        })
        .collect()
}

/// One pass over the tasks' text: what each task waits on, and every
/// pointer its other frames carry (for holder inference). The waits are
/// collected straight into their vector; each worker gathers pointer words
/// in its own buffer, handed over when it is done.
fn read_tasks(
    snap: &Snapshot,
    per_stack: &[StackShapes],
    scan: &[Vec<u16>],
) -> (Vec<Option<Wait>>, Vec<Vec<PtrWord>>) {
    let sink: std::sync::Mutex<Vec<Vec<PtrWord>>> = std::sync::Mutex::new(Vec::new());
    let waits: Vec<Option<Wait>> = snap
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
                let task_wait = per_stack
                    .get(t.stack.index())
                    .and_then(|v| v.iter().find(|(s, _)| *s == t.state))
                    .and_then(|x| x.1)
                    .map(|shape| wait::wait_of(snap, t, &shape));
                for &fi in scan.get(t.stack.index()).map_or(&[][..], |v| v.as_slice()) {
                    // The primitive's own frames carry the waited address, not
                    // a held one.
                    if task_wait.is_some_and(|shape| fi <= shape.prim_end && shape.prim_end > 0) {
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
                task_wait
            },
        )
        .collect();
    let ptrs = sink.into_inner().unwrap_or_else(|e| e.into_inner());
    (waits, ptrs)
}

/// Functions that call a mutex's lock (the frame just outside the
/// primitive) in some waiting stack.
fn locking_funcs(snap: &Snapshot, per_stack: &[StackShapes]) -> FxHashSet<FuncId> {
    let tables = &snap.tables;
    let mut funcs: FxHashSet<FuncId> = FxHashSet::default();
    for (stack, shapes) in per_stack.iter().enumerate() {
        for shape in shapes.iter().filter_map(|x| x.1) {
            if !matches!(shape.kind, ResKind::Mutex | ResKind::RwMutex) {
                continue;
            }
            let frames = &tables.stack(StackId(stack as u32)).frames;
            if let Some(caller) = frames.get(shape.prim_end as usize + 1) {
                funcs.insert(tables.frame(*caller).function);
            }
        }
    }
    funcs
}

/// An object key is merged into an address key of the same kind that lies
/// inside the object.
fn merge_object_keys(waits: &mut [Option<Wait>]) {
    if !waits
        .par_iter()
        .any(|w| w.is_some_and(|w| matches!(w.key, ResKey::Object(_))))
    {
        return;
    }
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
        if let ResKey::Object(object) = w.key {
            let lo = addrs.partition_point(|x| *x < (w.kind, object));
            if let Some((kind, addr)) = addrs.get(lo) {
                if *kind == w.kind && *addr - object < FIELD_RANGE {
                    w.key = ResKey::Addr(*addr);
                }
            }
        }
    });
}

/// How many tasks ahead the text is prefetched.
const PREFETCH_AHEAD: usize = 6;

/// Asks the processor to load the text of task `i` into the cache. The
/// second read of the text (argument words, long after parsing) otherwise
/// waits on memory at every task: prefetching a few tasks ahead cut the
/// address pass of the 500k benchmark by about a third.
fn prefetch_task(snap: &Snapshot, i: usize) {
    let (Some(task), Some(next)) = (snap.tasks.get(i), snap.tasks.get(i + 1)) else {
        return;
    };
    let (start, end) = (
        task.offset as usize,
        (next.offset as usize).min(task.offset as usize + 512),
    );
    let Some(text) = snap.text.get(start..end) else {
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
