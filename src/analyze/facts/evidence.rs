//! The evidence strings of inferred hold facts.

use crate::analyze::source::Held;
use crate::analyze::wait::ResKind;
use crate::model::{FrameId, LockFact, Snapshot, Task};

/// An address as reports print it.
pub fn hex(p: u64) -> String {
    format!("{p:#x}")
}

/// A frame as evidence names it: `function (file.go:line)`.
pub fn frame_name(snap: &Snapshot, f: FrameId) -> String {
    let tables = &snap.tables;
    let fr = tables.frame(f);
    let file = tables.str(fr.file);
    let base = file.rsplit(['/', '\\']).next().unwrap_or(file);
    format!("{} ({}:{})", tables.func_name(fr.function), base, fr.line)
}

/// Why the task of frame `f` is taken for the holder of the lock at `a`:
/// the frame carries `p` (`a` itself or the object containing it), and its
/// source (`held`), the dump's other lock calls or, when the task waits on
/// the same lock further in (`own`), its own stack say so.
pub fn holder(
    snap: &Snapshot,
    f: FrameId,
    p: u64,
    a: u64,
    held: Option<&[Held]>,
    own: Option<bool>,
) -> String {
    let place = frame_name(snap, f);
    let offset = if a == p {
        String::new()
    } else {
        format!(" (the lock at {} lies {} bytes inside it)", hex(a), a - p)
    };
    let why = match held {
        Some(held_locks) => {
            let first = &held_locks[0];
            format!(
                "; its source takes `{}.{}()` at line {} and has not released it",
                first.expr,
                if first.read { "RLock" } else { "Lock" },
                first.line
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

/// Why a hold the dump states is certain: the dump line and frame it was
/// printed under, or, for a joined thread, its `pthread_t`.
pub fn stated_hold(
    snap: &Snapshot,
    task: &Task,
    kind: ResKind,
    addr: u64,
    fact: &LockFact,
) -> String {
    let tables = &snap.tables;
    if kind == ResKind::Join {
        return format!(
            "{} is the thread joined: {} is its pthread_t (line {})",
            snap.task_label(task),
            hex(addr),
            fact.line
        );
    }
    let frame = tables
        .stack(task.stack)
        .frames
        .get(fact.frame as usize)
        .map(|f| frame_name(snap, *f))
        .unwrap_or_default();
    let class = tables.str(fact.class);
    let mut place: Vec<String> = Vec::new();
    if fact.line > 0 {
        place.push(format!("line {}", fact.line));
    }
    if !frame.is_empty() {
        place.push(format!("in {frame}"));
    }
    format!(
        "the dump says {} holds {}{}{}",
        snap.task_label(task),
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
    )
}
