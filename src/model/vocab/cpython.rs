//! CPython's vocabulary: which standard-library frames wait on a queue, a
//! thread, an event, a semaphore, a barrier or a future, which wait on a
//! bare condition, and which native frames wait on a lock. Neither
//! faulthandler nor py-spy says who holds a lock, so these are waits only.

use crate::model::{Confidence, LockRel, SyncKind};

/// A wait recognised by a standard-library frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameWait {
    /// Base names of the file the frame is in (`queue.py`).
    pub files: &'static [&'static str],
    /// The method's name: the last dotted part of the function.
    pub methods: &'static [&'static str],
    /// A prefix the function's full name must have (`Event` for
    /// `Event.wait`), when the method alone is ambiguous.
    pub name_prefix: &'static str,
    /// What the wait is on.
    pub kind: SyncKind,
    /// Whether the thread acquires it or waits for a signal.
    pub rel: LockRel,
    /// The state the thread is given, also the fact's class.
    pub state: &'static str,
}

/// Shorthand for the table.
const fn wait(
    files: &'static [&'static str],
    methods: &'static [&'static str],
    name_prefix: &'static str,
    (kind, rel): (SyncKind, LockRel),
    state: &'static str,
) -> FrameWait {
    FrameWait {
        files,
        methods,
        name_prefix,
        kind,
        rel,
        state,
    }
}

const AWAITS: LockRel = LockRel::Awaits;
const ACQUIRES: LockRel = LockRel::Acquires;

/// Waits named by a frame; the innermost frame that matches wins, and
/// among entries the first (a `Condition.wait` under `Queue.get` or
/// `Event.wait` belongs to them).
pub static FRAME_WAITS: &[FrameWait] = &[
    wait(
        &["queue.py"],
        &["get", "put"],
        "",
        (SyncKind::Queue, AWAITS),
        "Queue.get",
    ),
    wait(
        &["threading.py"],
        &["_wait_for_tstate_lock", "join"],
        "",
        (SyncKind::Join, AWAITS),
        "Thread.join",
    ),
    wait(
        &["threading.py"],
        &["wait"],
        "Event",
        (SyncKind::Cond, AWAITS),
        "Event.wait",
    ),
    wait(
        &["threading.py"],
        &["acquire"],
        "",
        (SyncKind::Semaphore, ACQUIRES),
        "Semaphore.acquire",
    ),
    wait(
        &["threading.py"],
        &["wait"],
        "Barrier",
        (SyncKind::Latch, AWAITS),
        "Barrier.wait",
    ),
    wait(
        &["_base.py", "thread.py"],
        &["result", "_wait"],
        "",
        (SyncKind::Future, AWAITS),
        "Future.result",
    ),
];

/// A bare condition wait, when no [`FRAME_WAITS`] entry matched: a frame
/// with one of these names in a file ending in [`CONDITION_FILE`].
pub static CONDITION_NAMES: &[&str] = &["Condition.wait", "wait"];

/// The file of a bare condition wait.
pub const CONDITION_FILE: &str = "threading.py";

/// The wait of a bare condition: `(kind, relation, state)`.
pub const CONDITION_WAIT: (SyncKind, LockRel, &str) =
    (SyncKind::Cond, LockRel::Awaits, "Condition.wait");

/// Native frames (py-spy `--native`) of a lock's acquire, when nothing
/// else matched.
pub static NATIVE_LOCK_NAMES: &[&str] = &[
    "PyThread_acquire_lock_timed",
    "lock_PyThread_acquire_lock",
    "rlock_acquire",
];

/// The wait of a native lock acquire: `(kind, relation, state)`.
pub const NATIVE_LOCK_WAIT: (SyncKind, LockRel, &str) =
    (SyncKind::Mutex, LockRel::Acquires, "Lock.acquire");

/// How many innermost frames are searched.
pub const FRAME_DEPTH: usize = 16;

/// A wait read from a frame's name is likely: the frame says what the
/// thread is in, not that nothing else will wake it.
pub const CONFIDENCE: Confidence = Confidence::Likely;

/// The [`FRAME_WAITS`] entry a frame matches: `function` is its full name,
/// `file` its file as printed.
pub fn frame_wait(function: &str, file: &str) -> Option<&'static FrameWait> {
    let base = file.rsplit('/').next().unwrap_or(file);
    let method = function.rsplit('.').next().unwrap_or(function);
    FRAME_WAITS.iter().find(|entry| {
        entry.files.contains(&base)
            && entry.methods.contains(&method)
            && function.starts_with(entry.name_prefix)
    })
}

/// A frame of a bare condition wait.
pub fn is_condition_wait(function: &str, file: &str) -> bool {
    CONDITION_NAMES.contains(&function) && file.ends_with(CONDITION_FILE)
}

/// A native frame of a lock's acquire.
pub fn is_native_lock(function: &str) -> bool {
    NATIVE_LOCK_NAMES.contains(&function)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_name_their_wait() {
        assert_eq!(
            frame_wait("Queue.get", "queue.py").map(|w| w.state),
            Some("Queue.get")
        );
        assert_eq!(
            frame_wait("Event.wait", "/usr/lib/python3.11/threading.py").map(|w| w.kind),
            Some(SyncKind::Cond)
        );
        assert_eq!(
            frame_wait("Barrier.wait", "threading.py").map(|w| w.kind),
            Some(SyncKind::Latch)
        );
        assert_eq!(frame_wait("Condition.wait", "threading.py"), None);
        assert!(is_condition_wait("Condition.wait", "threading.py"));
        assert!(is_native_lock("rlock_acquire"));
    }
}
