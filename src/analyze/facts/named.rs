//! Locks known by name, for every runtime but Go: the symbol a debugger
//! prints after a lock's address (`0x5581... <orders>`), and, with the
//! sources (`--source-root`), the global lock a blocking frame's line
//! acquires (a wait fact keyed by the lock's name when the dump prints no
//! address: eu-stack, tokio task dumps, py-spy, faulthandler) and the global
//! locks each frame took above its line and still holds (hold facts).

use super::holds::HoldFacts;
use super::resources::Resources;
use crate::analyze::source::SourceIndex;
use crate::analyze::srclocks::{self, HeldLock};
use crate::analyze::wait::{self, ResKey, ResKind, Wait, WaitOp};
use crate::model::{CodeKind, Confidence, Evidence, Runtime, Snapshot, StateClass, Task};
use rustc_hash::FxHashMap;

/// Tasks whose sources are read, at most (thread dumps are small).
const MAX_TASKS: usize = 20_000;
/// Frames of a task whose sources are read, at most.
const MAX_FRAMES: usize = 48;

/// Lock names read from the sources.
#[derive(Debug, Default)]
pub struct Names {
    /// By the key of a [`ResKey::Named`] resource.
    pub by_key: FxHashMap<u64, String>,
    /// By the address of a lock the dump printed without a symbol.
    pub by_addr: FxHashMap<u64, String>,
}

/// Whether names are looked for at all: not for goroutine dumps (their
/// locks are fields reached through receivers, read by [`super::holds`]).
fn applies(snap: &Snapshot) -> bool {
    snap.runtime != Runtime::Go && snap.tasks.len() <= MAX_TASKS
}

/// The frame index where a task blocks, when what it waits on may be a lock
/// named by the line: the wait's site for a lock wait without an address,
/// or the innermost frame of the program's own code for a task whose frames
/// named no wait (CPython waits in C code the Python dumps do not show).
fn blocking_frame(snap: &Snapshot, task: &Task, wait: Option<&Wait>) -> Option<usize> {
    match wait {
        Some(w) if w.kind.is_lock() && !matches!(w.key, ResKey::Object(_)) => {
            Some(w.site_index as usize)
        }
        Some(_) => None,
        None if matches!(task.class, StateClass::Running | StateClass::Runnable) => None,
        None => {
            let tables = &snap.tables;
            let frames = &tables.stack(task.stack).frames;
            let first = frames.first()?;
            let fr = tables.frame(*first);
            (tables.function(fr.function).kind == CodeKind::User && fr.line > 0).then_some(0)
        }
    }
}

/// Re-keys, or creates, the waits of tasks whose blocking line acquires a
/// global lock, by the lock's name; returns the names.
pub fn name_waits(snap: &Snapshot, waits: &mut [Option<Wait>], sources: &mut SourceIndex) -> Names {
    let mut names = Names::default();
    if !applies(snap) || !sources.enabled() {
        return names;
    }
    for (index, task) in snap.tasks.iter().enumerate() {
        let Some(slot) = waits.get_mut(index) else {
            break;
        };
        let Some(at) = blocking_frame(snap, task, slot.as_ref()) else {
            continue;
        };
        let Some((frame, at, name)) = acquiring_line(snap, task, at, sources) else {
            continue;
        };
        let key = match (name, slot.as_ref().map(|w| w.key)) {
            (Some(name), Some(ResKey::Addr(addr))) => {
                names.by_addr.entry(addr).or_insert(name);
                continue;
            }
            (None, Some(_)) => continue,
            // A lock the line takes through a parameter or a local: the
            // site stands for it.
            (None, None) => ResKey::Site(frame),
            (Some(name), _) => {
                let key = srclocks::name_key(&name);
                names.by_key.entry(key).or_insert(name);
                ResKey::Named(key)
            }
        };
        match slot {
            Some(w) => w.key = key,
            None => {
                *slot = Some(Wait {
                    kind: ResKind::Mutex,
                    op: WaitOp::Lock,
                    key,
                    site: Some(frame),
                    site_index: at as u16,
                    prim_end: 0,
                    confidence: Confidence::Likely,
                    evidence: Evidence::Source,
                })
            }
        }
    }
    names
}

/// The first frame from `at` outwards whose source can be read (lldb
/// names inlined library frames by the program's function, at the
/// library's header lines), if its line acquires a lock: the frame, its
/// index and the lock's name when it is a global.
fn acquiring_line(
    snap: &Snapshot,
    task: &Task,
    at: usize,
    sources: &mut SourceIndex,
) -> Option<(crate::model::FrameId, usize, Option<String>)> {
    let tables = &snap.tables;
    let frames = &tables.stack(task.stack).frames;
    for (index, &frame) in frames.iter().enumerate().skip(at).take(8) {
        let fr = *tables.frame(frame);
        if fr.line == 0 {
            continue;
        }
        let Some(lines) = sources.lines(snap, fr.file) else {
            continue;
        };
        let path = tables.str(fr.file);
        let (_, name) = srclocks::acquired_at(&lines, fr.line as usize, path)?;
        return Some((frame, index, name));
    }
    None
}

/// The symbol a debugger printed after `addr` in an argument list
/// (`mutex=0x558146954100 <orders>`).
fn symbol_of(args: &[u8], addr: u64) -> Option<String> {
    let mut rest = args;
    while let Some(at) = memchr::memmem::find(rest, b"0x") {
        let tail = &rest[at..];
        let end = tail
            .iter()
            .position(|b| !(b.is_ascii_hexdigit() || *b == b'x'))
            .unwrap_or(tail.len());
        let value = crate::model::parse_hex(&tail[..end]);
        let after = tail[end..].trim_ascii_start();
        if value == Some(addr) {
            if let Some(sym) = after.strip_prefix(b"<") {
                let close = memchr::memchr(b'>', sym)?;
                let name = String::from_utf8_lossy(&sym[..close]);
                return Some(srclocks::unhashed(&name).to_string());
            }
        }
        rest = &tail[end..];
    }
    None
}

/// Per resource, its name: the data symbol a core's memory placed it in,
/// the name of a named lock, or the symbol the debugger printed after a
/// lock's address in a waiter's frames.
pub fn resource_names(
    snap: &Snapshot,
    waits: &[Option<Wait>],
    index: &Resources,
    names: &Names,
) -> Vec<Option<String>> {
    let mut out = vec![None; index.keys.len()];
    // The data symbols a core's memory placed the objects in (any runtime).
    if !snap.sync.notes.is_empty() {
        for (slot, (kind, key)) in out.iter_mut().zip(&index.keys) {
            if let ResKey::Addr(addr) = key {
                if kind.is_sync() {
                    *slot = snap.sync.note(*addr).and_then(|n| n.symbol.clone());
                }
            }
        }
    }
    if !applies(snap) {
        return out;
    }
    let tables = &snap.tables;
    for (task_index, task) in snap.tasks.iter().enumerate() {
        let (Some(Some(w)), Some(Some(res))) =
            (waits.get(task_index), index.res_of.get(task_index))
        else {
            continue;
        };
        let Some(slot) = out.get_mut(*res as usize) else {
            continue;
        };
        if slot.is_some() {
            continue;
        }
        match w.key {
            ResKey::Named(key) => *slot = names.by_key.get(&key).cloned(),
            ResKey::Addr(addr) if w.kind.is_sync() => {
                let frames = tables.stack(task.stack).frames.len();
                let last = (w.site_index as usize).min(frames.saturating_sub(1));
                *slot = (0..=last)
                    .find_map(|frame| symbol_of(wait::frame_args(snap, task, frame), addr))
                    .or_else(|| names.by_addr.get(&addr).cloned());
            }
            _ => {}
        }
    }
    out
}

/// Hold facts from the sources: a frame that took a global lock above its
/// line and still holds it holds the resource of that name.
pub fn holders(
    snap: &Snapshot,
    index: &Resources,
    names: &[Option<String>],
    sources: &mut SourceIndex,
    out: &mut HoldFacts,
) {
    if !applies(snap) || !sources.enabled() || names.iter().all(Option::is_none) {
        return;
    }
    let tables = &snap.tables;
    for (task_index, task) in snap.tasks.iter().enumerate() {
        for (at, &frame) in tables
            .stack(task.stack)
            .frames
            .iter()
            .enumerate()
            .take(MAX_FRAMES)
        {
            let fr = *tables.frame(frame);
            if fr.line == 0 || tables.function(fr.function).kind != CodeKind::User {
                continue;
            }
            let Some(lines) = sources.lines(snap, fr.file) else {
                continue;
            };
            let path = tables.str(fr.file);
            for held in srclocks::held_at(&lines, fr.line as usize, path) {
                for (resource, name) in names.iter().enumerate() {
                    let Some(name) = name else {
                        continue;
                    };
                    if srclocks::same_lock(name, &held.name) {
                        let evidence = held_evidence(snap, frame, at, path, &held);
                        out.push(
                            index,
                            resource as u32,
                            task_index as u32,
                            Confidence::Likely,
                            evidence,
                        );
                    }
                }
            }
        }
    }
}

/// `place_order (main.c:30) took `orders` at line 26 and has not released it`.
fn held_evidence(
    snap: &Snapshot,
    frame: crate::model::FrameId,
    at: usize,
    path: &str,
    held: &HeldLock,
) -> String {
    let base = path.rsplit(['/', '\\']).next().unwrap_or(path);
    format!(
        "{} (frame #{at}) took `{}` at {base}:{} and has not released it there (read from the source)",
        super::evidence::frame_name(snap, frame),
        held.name,
        held.line
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_after_addresses() {
        assert_eq!(
            symbol_of(b"mutex=0x558146954100 <orders>", 0x558146954100).as_deref(),
            Some("orders")
        );
        assert_eq!(
            symbol_of(
                b"self=0x5605a7483650 <main::ORDERS::h9e4ab7339cf38a80>",
                0x5605a7483650
            )
            .as_deref(),
            Some("main::ORDERS")
        );
        assert_eq!(symbol_of(b"mutex=0x5581 <orders>", 0x5582), None);
        assert_eq!(symbol_of(b"arg=0x0", 0x5582), None);
    }
}
