//! Normalised task states, shared by every runtime.

use serde::Serialize;

/// A coarse state class that rules and reports can rely on, whatever the
/// runtime printed.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum StateClass {
    /// On a CPU.
    Running,
    /// Ready to run, waiting for a CPU.
    Runnable,
    /// In a system call (or cgo call).
    Syscall,
    /// Waiting for network or file IO (Go's netpoller: `IO wait`).
    Io,
    /// Sleeping on a timer.
    Sleep,
    /// Blocked on a channel send or receive.
    Chan,
    /// Blocked in a select.
    Select,
    /// Blocked acquiring a mutex or rwlock.
    Lock,
    /// Blocked on another synchronisation primitive (WaitGroup, Cond, semaphore).
    Sync,
    /// Idle by design (a parked worker of the runtime, an idle M).
    Idle,
    /// A runtime-internal wait (GC workers, finalizers, ...).
    Runtime,
    /// Anything else, including dead or unknown states.
    Other,
}

impl StateClass {
    /// The class's name as reports print it (`running`, `sleep`).
    pub fn as_str(self) -> &'static str {
        match self {
            StateClass::Running => "running",
            StateClass::Runnable => "runnable",
            StateClass::Syscall => "syscall",
            StateClass::Io => "io",
            StateClass::Sleep => "sleep",
            StateClass::Chan => "chan",
            StateClass::Select => "select",
            StateClass::Lock => "lock",
            StateClass::Sync => "sync",
            StateClass::Idle => "idle",
            StateClass::Runtime => "runtime",
            StateClass::Other => "other",
        }
    }

    /// True when a task in this class can make progress by itself (it is not
    /// waiting on another task).
    pub fn can_progress(self) -> bool {
        matches!(
            self,
            StateClass::Running
                | StateClass::Runnable
                | StateClass::Syscall
                | StateClass::Io
                | StateClass::Sleep
        )
    }

    /// Classifies a Go wait reason or status.
    pub fn from_go(state: &str) -> StateClass {
        match state {
            "running" => StateClass::Running,
            "runnable" | "preempted" => StateClass::Runnable,
            "syscall" | "waiting for cgo callback" => StateClass::Syscall,
            "IO wait" => StateClass::Io,
            "sleep" => StateClass::Sleep,
            "select" | "select (no cases)" => StateClass::Select,
            "sync.Mutex.Lock" | "sync.RWMutex.RLock" | "sync.RWMutex.Lock" => StateClass::Lock,
            "sync.WaitGroup.Wait" | "sync.Cond.Wait" | "semacquire" => StateClass::Sync,
            "idle" => StateClass::Idle,
            s if s.starts_with("chan ") => StateClass::Chan,
            s if s.starts_with("sync.") || s.starts_with("synctest.") => StateClass::Sync,
            s if is_go_runtime_wait(s) => StateClass::Runtime,
            _ => StateClass::Other,
        }
    }
}

fn is_go_runtime_wait(s: &str) -> bool {
    const PREFIXES: [&str; 17] = [
        "GC ",
        "finalizer wait",
        "force gc",
        "wait for GC",
        "trace ",
        "GOMAXPROCS updater",
        "cleanup wait",
        "copystack",
        "debug call",
        "coroutine",
        "garbage collection",
        "stopping the world",
        "dumping heap",
        "timer goroutine",
        "panicwait",
        "flushing proc caches",
        "sweep",
    ];
    PREFIXES.iter().any(|p| s.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_go_states() {
        assert_eq!(StateClass::from_go("chan receive"), StateClass::Chan);
        assert_eq!(
            StateClass::from_go("chan send (nil chan)"),
            StateClass::Chan
        );
        assert_eq!(StateClass::from_go("select (no cases)"), StateClass::Select);
        assert_eq!(StateClass::from_go("IO wait"), StateClass::Io);
        assert_eq!(StateClass::from_go("sync.Mutex.Lock"), StateClass::Lock);
        assert_eq!(StateClass::from_go("sync.WaitGroup.Wait"), StateClass::Sync);
        assert_eq!(StateClass::from_go("GC worker (idle)"), StateClass::Runtime);
        assert_eq!(StateClass::from_go("finalizer wait"), StateClass::Runtime);
        assert_eq!(StateClass::from_go("running"), StateClass::Running);
        assert_eq!(StateClass::from_go("something new"), StateClass::Other);
        assert!(StateClass::Io.can_progress());
        assert!(!StateClass::Chan.can_progress());
    }
}
