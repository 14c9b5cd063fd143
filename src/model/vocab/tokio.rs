//! tokio's vocabulary: which futures of a task's path wait on a
//! `tokio::sync` primitive (a mutex, a readers-writer lock, a semaphore, a
//! channel, a notification or barrier), sleep, or wait for IO, and the
//! state each gives the task. Task dumps print no addresses: a recognised
//! wait is identified by its site.

use crate::model::{Confidence, LockRel, StateClass, SyncKind};

/// A state recognised by the futures on a task's path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskWait {
    /// Parts of a future's name, tried in order: the first that some
    /// future contains decides, and the outermost such future is the
    /// primitive's.
    pub name_parts: &'static [&'static str],
    /// The state the task is given, also the fact's class.
    pub state: &'static str,
    /// The state's class.
    pub class: StateClass,
    /// What the task waits on, when it is a `tokio::sync` primitive.
    pub wait: Option<(SyncKind, LockRel)>,
}

/// Shorthand for the table.
const fn task_wait(
    name_parts: &'static [&'static str],
    state: &'static str,
    class: StateClass,
    wait: Option<(SyncKind, LockRel)>,
) -> TaskWait {
    TaskWait {
        name_parts,
        state,
        class,
        wait,
    }
}

/// Task states by the futures on the path, the first entry that matches
/// wins; a task matching none is [`IDLE`].
pub static TASK_WAITS: &[TaskWait] = &[
    task_wait(
        &["tokio::sync::mutex::"],
        "Mutex::lock",
        StateClass::Lock,
        Some((SyncKind::Mutex, LockRel::Acquires)),
    ),
    task_wait(
        &["tokio::sync::rwlock::"],
        "RwLock",
        StateClass::Lock,
        Some((SyncKind::RwLock, LockRel::Acquires)),
    ),
    task_wait(
        &["tokio::sync::semaphore::", "batch_semaphore::Acquire"],
        "Semaphore::acquire",
        StateClass::Sync,
        Some((SyncKind::Semaphore, LockRel::Acquires)),
    ),
    // Before the channels: a Barrier waits on a watch channel inside, and
    // the primitive the task called is the barrier.
    task_wait(
        &["tokio::sync::barrier::"],
        "Barrier::wait",
        StateClass::Sync,
        Some((SyncKind::Cond, LockRel::Awaits)),
    ),
    task_wait(
        &[
            "tokio::sync::oneshot::",
            "tokio::sync::mpsc::",
            "tokio::sync::broadcast::",
            "tokio::sync::watch::",
        ],
        "channel receive",
        StateClass::Chan,
        Some((SyncKind::Queue, LockRel::Awaits)),
    ),
    task_wait(
        &["tokio::sync::notify::"],
        "Notify",
        StateClass::Sync,
        Some((SyncKind::Cond, LockRel::Awaits)),
    ),
    task_wait(&["[POLLING]"], "polling", StateClass::Running, None),
    task_wait(&["tokio::time::"], "sleep", StateClass::Sleep, None),
    task_wait(&["tokio::net::", "tokio::io::"], "io", StateClass::Io, None),
];

/// The state of a task whose futures match no [`TASK_WAITS`] entry.
pub const IDLE: (&str, StateClass) = ("idle", StateClass::Other);

/// Futures of `tokio::sync`: when a task's tree branches, the path to the
/// first leaf under one of them is the one the task waits in.
pub const SYNC_PATH: &str = "tokio::sync::";

/// A wait read from a future's name is likely: the path says what the task
/// is parked in, not which primitive instance.
pub const CONFIDENCE: Confidence = Confidence::Likely;

/// The entry a task's path matches, with the index of the primitive's
/// outermost future; `names` are the futures' full names, innermost first.
pub fn task_wait_of(names: &[&str]) -> Option<(&'static TaskWait, usize)> {
    TASK_WAITS.iter().find_map(|entry| {
        entry
            .name_parts
            .iter()
            .find_map(|part| names.iter().rposition(|name| name.contains(part)))
            .map(|index| (entry, index))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn futures_name_their_wait() {
        let names = [
            "tokio::sync::batch_semaphore::Acquire",
            "tokio::sync::mutex::Mutex<T>::lock",
            "app::handler",
        ];
        let (entry, index) = task_wait_of(&names).expect("a mutex wait");
        assert_eq!(entry.state, "Mutex::lock");
        assert_eq!(index, 1);
        assert_eq!(task_wait_of(&["app::main"]), None);
    }
}
