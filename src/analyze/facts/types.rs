//! Hold facts inferred from types: when the goroutines queued on a lock
//! wait in methods of one type, whose receiver carries the lock (or is not
//! shown), a goroutine
//! inside another method of that type whose receiver the dump does not show
//! (`0x0?`: the register was reused; `...`: an inlined call) may be the one
//! holding it. Go's register ABI often loses the receiver of the very frame
//! that took the lock; the type is the evidence left.

use super::holds::HoldFacts;
use super::resources::Resources;
use super::waits::{WaitFacts, FIELD_RANGE};
use crate::analyze::wait::{ResKey, ResKind};
use crate::model::{parse_hex, Confidence, Snapshot, Sym};
use rustc_hash::{FxHashMap, FxHashSet};

/// Lock resources checked per snapshot (the rest keep the other facts).
const MAX_LOCKS: usize = 4096;

/// The receiver word of a frame's argument text: `None` when it is shown,
/// `Some(text)` when it is not (empty, `...`, or marked `?`).
fn unknown_receiver(args: &str) -> Option<&str> {
    let first = args.split(',').next().unwrap_or("").trim();
    (first.is_empty() || first == "..." || first.ends_with('?')).then_some(first)
}

/// A receiver word the dump shows for sure.
fn known_pointer(args: &str) -> Option<u64> {
    let first = args.split(',').next()?.trim();
    if first.ends_with('?') {
        return None;
    }
    parse_hex(first.as_bytes())
}

/// Holders by type (see the module documentation), for locks no other fact
/// names a holder of.
pub fn by_type(snap: &Snapshot, facts: &WaitFacts, resources: &Resources, out: &mut HoldFacts) {
    let tables = &snap.tables;
    // (package, receiver type) -> the locks waited on through a receiver of
    // that type.
    let mut wanted: FxHashMap<(Sym, Sym), Vec<u32>> = FxHashMap::default();
    let locks = resources
        .keys
        .iter()
        .zip(&resources.waiters)
        .enumerate()
        .filter(|(ri, ((kind, _), _))| {
            matches!(kind, ResKind::Mutex | ResKind::RwMutex)
                && out.holds.get(*ri).is_some_and(|h| h.is_empty())
        })
        .take(MAX_LOCKS);
    for (ri, ((_, key), waiters)) in locks {
        let (ResKey::Addr(addr) | ResKey::Object(addr)) = *key else {
            continue;
        };
        for &w in waiters.iter().take(8) {
            let Some(wait) = facts.waits[w as usize].as_ref() else {
                continue;
            };
            let Some(site) = wait.site else {
                continue;
            };
            let func = tables.function(tables.frame(site).function);
            let Some(receiver) = func.receiver else {
                continue;
            };
            let args = snap.task_args(&snap.tasks[w as usize]);
            // The receiver carries the lock, or the dump does not show it;
            // a receiver shown elsewhere is another object.
            let through_receiver = match args.get(wait.site_index as usize) {
                Some(a) if unknown_receiver(a).is_none() => {
                    known_pointer(a).is_some_and(|p| p <= addr && addr - p < FIELD_RANGE)
                }
                _ => true,
            };
            if through_receiver {
                let locks = wanted.entry((func.package, receiver)).or_default();
                if !locks.contains(&(ri as u32)) {
                    locks.push(ri as u32);
                }
                break;
            }
        }
    }
    if wanted.is_empty() {
        return;
    }
    // Per stack, the frames that are methods of those types (most stacks
    // have none: the tasks are then skipped without reading their text).
    let mut frames_of: Vec<Option<Vec<u16>>> = vec![None; tables.stack_count()];
    for task in &snap.tasks {
        if frames_of
            .get(task.stack.index())
            .is_none_or(|seen| seen.is_some())
        {
            continue;
        }
        let hits: Vec<u16> = tables
            .stack(task.stack)
            .frames
            .iter()
            .enumerate()
            .take(u16::MAX as usize)
            .filter(|(_, f)| {
                let func = tables.function(tables.frame(**f).function);
                func.receiver
                    .is_some_and(|r| wanted.contains_key(&(func.package, r)))
            })
            .map(|(i, _)| i as u16)
            .collect();
        frames_of[task.stack.index()] = Some(hits);
    }
    // Candidates per lock; when some can run (running, in IO, asleep), the
    // holder is most plausibly among them, not among goroutines that wait.
    let mut found: Vec<(u32, u32, String)> = Vec::new();
    for (ti, task) in snap.tasks.iter().enumerate() {
        if found.len() >= MAX_LOCKS * 8 {
            break;
        }
        let Some(hits) = frames_of
            .get(task.stack.index())
            .and_then(Option::as_ref)
            .filter(|h| !h.is_empty())
        else {
            continue;
        };
        let own = resources.res_of[ti];
        // A task whose frames carry no argument spans (other runtimes)
        // shows no receivers at all, known or unknown.
        let frame_count = tables.stack(task.stack).frames.len();
        let start = task.args as usize;
        if snap.args.get(start..start + frame_count).is_none() {
            continue;
        }
        for &fi in hits {
            // Only this frame's arguments are read (no per-task allocation).
            let bytes = crate::analyze::wait::frame_args(snap, task, fi as usize);
            let Some(word) = std::str::from_utf8(bytes).ok().and_then(unknown_receiver) else {
                continue;
            };
            let frame = tables.stack(task.stack).frames[fi as usize];
            let func = tables.function(tables.frame(frame).function);
            let Some(locks) = func.receiver.and_then(|r| wanted.get(&(func.package, r))) else {
                continue;
            };
            for &r in locks {
                if own == Some(r) || found.len() >= MAX_LOCKS * 8 {
                    continue;
                }
                let evidence = format!(
                    "{} is a method of the type whose methods wait on this lock through their receiver, and its own receiver is not in the dump (`{}`): it may hold the lock (pass --source-root to confirm)",
                    tables.func_name(tables.frame(frame).function),
                    if word.is_empty() { "…" } else { word }
                );
                found.push((r, ti as u32, evidence));
            }
        }
    }
    let live: FxHashSet<u32> = found
        .iter()
        .filter(|(_, t, _)| snap.tasks[*t as usize].class.can_progress())
        .map(|(r, _, _)| *r)
        .collect();
    for (r, t, evidence) in found {
        if live.contains(&r) && !snap.tasks[t as usize].class.can_progress() {
            continue;
        }
        out.push(resources, r, t, Confidence::Possible, evidence);
    }
}
