//! The evidence strings of inferred hold facts.

use crate::analyze::source::Held;
use crate::model::{FrameId, Snapshot};

/// An address as reports print it.
pub fn hex(p: u64) -> String {
    format!("{p:#x}")
}

/// A frame as evidence names it: `function (file.go:line)`.
pub fn frame_name(snap: &Snapshot, f: FrameId) -> String {
    let t = &snap.tables;
    let fr = t.frame(f);
    let file = t.str(fr.file);
    let base = file.rsplit(['/', '\\']).next().unwrap_or(file);
    format!("{} ({}:{})", t.func_name(fr.function), base, fr.line)
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
