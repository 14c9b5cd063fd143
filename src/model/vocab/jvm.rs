//! The JVM's vocabulary: what a `java.util.concurrent` synchronizer is,
//! read from the class the dump prints for it (`- parking to wait for
//! <0x..> (a java.util.concurrent.locks.ReentrantLock$NonfairSync)`, an
//! ownable synchronizer, a JSON `parkBlocker`), and which frames make a
//! parked condition wait a queue's.

use crate::model::{Confidence, SyncKind};

/// A synchronizer class, recognised by a part of its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncClass {
    /// A part of the class name (`ReentrantLock` matches
    /// `java.util.concurrent.locks.ReentrantLock$NonfairSync`).
    pub name_part: &'static str,
    /// The kind of lock it is.
    pub kind: SyncKind,
    /// A thread parked on it waits to acquire it (rather than for a
    /// signal).
    pub acquires: bool,
}

/// Shorthand for the table.
const fn class(name_part: &'static str, kind: SyncKind, acquires: bool) -> SyncClass {
    SyncClass {
        name_part,
        kind,
        acquires,
    }
}

/// Synchronizer classes, the first match wins.
pub static SYNC_CLASSES: &[SyncClass] = &[
    class("ReentrantReadWriteLock", SyncKind::RwLock, true),
    class("StampedLock", SyncKind::RwLock, true),
    class("ReentrantLock", SyncKind::Mutex, true),
    class("ConditionObject", SyncKind::Cond, false),
    class("CountDownLatch", SyncKind::Latch, false),
    class("CyclicBarrier", SyncKind::Latch, false),
    class("Phaser", SyncKind::Latch, false),
    class("Semaphore", SyncKind::Semaphore, true),
    class("Future", SyncKind::Future, false),
    class("Queue", SyncKind::Queue, false),
    class("Exchanger", SyncKind::Queue, false),
];

/// The relation a class-named fact has: the dump states the thread and the
/// object, so the relation is certain; only its kind comes from the name.
pub const CONFIDENCE: Confidence = Confidence::Certain;

/// Frames (searched among the innermost [`QUEUE_FRAME_DEPTH`]) under which
/// a parked `ConditionObject` wait is a blocking queue's take or put.
pub static QUEUE_FRAMES: &[&str] = &[
    "BlockingQueue.take",
    "BlockingQueue.poll",
    "BlockingQueue.put",
    "BlockingDeque.take",
];

/// How many innermost frames are searched for [`QUEUE_FRAMES`].
pub const QUEUE_FRAME_DEPTH: usize = 12;

/// The kind of a synchronizer from its class, and whether a thread parked
/// on it waits to acquire it; an unknown class is `Other`, awaited.
pub fn sync_class(class_name: &str) -> (SyncKind, bool) {
    SYNC_CLASSES
        .iter()
        .find(|entry| class_name.contains(entry.name_part))
        .map_or((SyncKind::Other, false), |entry| {
            (entry.kind, entry.acquires)
        })
}

/// A frame under which a condition wait is a blocking queue's.
pub fn is_queue_frame(function: &str) -> bool {
    QUEUE_FRAMES.iter().any(|part| function.contains(part))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_name_their_kind() {
        assert_eq!(
            sync_class("java.util.concurrent.locks.ReentrantLock$NonfairSync"),
            (SyncKind::Mutex, true)
        );
        assert_eq!(
            sync_class("java.util.concurrent.locks.ReentrantReadWriteLock$NonfairSync"),
            (SyncKind::RwLock, true)
        );
        assert_eq!(
            sync_class("java.util.concurrent.CompletableFuture$Signaller"),
            (SyncKind::Future, false)
        );
        assert_eq!(sync_class("com.example.Thing"), (SyncKind::Other, false));
    }
}
