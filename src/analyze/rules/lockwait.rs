//! Threads of other runtimes (native, Rust, Python, tokio, Java) whose
//! dump does not say who holds the locks they wait on: when every thread
//! that could make progress waits to acquire a lock, and they wait on at
//! least two different locks, nothing left can release them. That is the
//! picture of a lock-order deadlock even when the holders are unknown; the
//! finding says how to read the owners and confirm it.

use super::context::Cx;
use crate::analyze::finding::{Finding, Kind, RuleInfo, Severity};
use crate::analyze::graph::{Resource, WaitGraph};
use crate::analyze::phrase::{frame_name, resource_label};
use crate::analyze::wait::{ResKey, ResKind, WaitOp};
use crate::model::{vocab, Confidence, Runtime, Snapshot, StateClass, TaskKind};

/// `threads.likely-lock-deadlock`: the busy threads all wait on locks.
pub static LIKELY_LOCK_DEADLOCK: RuleInfo = RuleInfo {
    id: "threads.likely-lock-deadlock",
    title: "Likely deadlock: every busy thread waits on a lock",
    kind: Kind::Deadlock,
    severity: Severity::High,
    explanation: "Every thread that is not idle (sleeping, polling, waiting for work, joining another) waits to acquire a lock, and they wait on at least two different locks. No thread that runs is left to release them. The dump does not say who holds each lock, but this is the picture of a lock-order deadlock: each of these threads holds a lock another one waits for.",
    cause: "Two code paths take the same locks in different orders (one takes A then B, the other B then A), or a thread waits for a lock while holding one that the holder of the first needs.",
    remedy: "Confirm who holds each lock (how, below), then take the locks in one global order everywhere, take them together (`std::scoped_lock`), or merge them into one lock.",
    sketch: "// one global order: always `orders` before `inventory`\npthread_mutex_lock(&orders);\npthread_mutex_lock(&inventory);",
    references: &[
        "https://man7.org/linux/man-pages/man3/pthread_mutex_lock.3p.html",
        "https://docs.python.org/3/library/threading.html#lock-objects",
        "https://docs.rs/tokio/latest/tokio/sync/struct.Mutex.html",
    ],
};

/// The rules of this family.
pub static RULES: &[&RuleInfo] = &[&LIKELY_LOCK_DEADLOCK];

/// How the wait of one task counts.
enum Role {
    /// It waits to acquire a lock: resource index.
    Locker(u32),
    /// It is idle or waits for something only the lockers could deliver.
    Idle,
    /// It runs: it may release what the others wait on.
    Busy,
}

/// An exclusive lock wait. A reader queued on a readers-writer lock waits
/// behind a writer or behind readers that may be idle themselves; a
/// readers-writer wait whose mode the dump does not tell (no address, as in
/// a tokio task dump) is not counted either.
fn exclusive(wait: &crate::analyze::wait::Wait) -> bool {
    match wait.kind {
        ResKind::Mutex | ResKind::Monitor => true,
        ResKind::RwMutex => wait.op == WaitOp::Lock && matches!(wait.key, ResKey::Addr(_)),
        _ => false,
    }
}

/// What a task's wait makes of it.
fn role(snap: &Snapshot, graph: &WaitGraph, task: usize) -> Role {
    let class = snap.tasks[task].class;
    let wait = graph.waits.get(task).copied().flatten();
    match (wait, graph.res_of.get(task).copied().flatten()) {
        (Some(wait), Some(resource)) if exclusive(&wait) => Role::Locker(resource),
        (Some(wait), _) if in_call(snap, wait.kind, class) && !parked(snap, task) => Role::Busy,
        (Some(_), _) => Role::Idle,
        (None, _) if matches!(class, StateClass::Running | StateClass::Runnable) => Role::Busy,
        (None, _) if in_call(snap, ResKind::Syscall, class) && !parked(snap, task) => Role::Busy,
        (None, _) => Role::Idle,
    }
}

/// A native thread in a system call or IO: it may be in the middle of a
/// request, holding a lock across it.
fn in_call(snap: &Snapshot, kind: ResKind, class: StateClass) -> bool {
    matches!(snap.runtime, Runtime::Native | Runtime::Rust)
        && snap.task_kind != TaskKind::AsyncTask
        && matches!(kind, ResKind::Syscall | ResKind::Net | ResKind::Other)
        && matches!(class, StateClass::Syscall | StateClass::Io)
}

/// A thread parked in an idle call (an event loop, a listener, a sleep),
/// read from its innermost frames.
fn parked(snap: &Snapshot, task: usize) -> bool {
    let tables = &snap.tables;
    tables
        .stack(snap.tasks[task].stack)
        .frames
        .iter()
        .take(8)
        .any(|frame| {
            let function = tables.frame(*frame).function;
            vocab::pthread::is_idle_call(tables.str(tables.function(function).full))
        })
}

/// The lock waits, when every task that is not idle waits on a lock, on at
/// least two locks, and no known holder of those locks is outside them.
fn lockers(snap: &Snapshot, graph: &WaitGraph) -> Option<(Vec<u32>, Vec<u32>)> {
    let mut tasks = Vec::new();
    let mut locks: Vec<u32> = Vec::new();
    for task in 0..snap.tasks.len() {
        if snap.tasks[task].class == StateClass::Runtime {
            continue;
        }
        match role(snap, graph, task) {
            Role::Busy => return None,
            Role::Idle => {}
            Role::Locker(resource) => {
                tasks.push(task as u32);
                if !locks.contains(&resource) {
                    locks.push(resource);
                }
            }
        }
    }
    if tasks.len() < 2 || locks.len() < 2 || locks.len() > 64 {
        return None;
    }
    // A holder that is not itself waiting on one of these locks may still
    // release: the others are blocked behind it, not deadlocked.
    let outside = locks.iter().any(|&lock| {
        graph.resources[lock as usize]
            .holders
            .iter()
            .any(|h| h.confidence >= Confidence::Likely && !tasks.contains(&h.task))
    });
    if outside {
        return None;
    }
    locks.sort_unstable();
    Some((tasks, locks))
}

/// The threads on a lock-order deadlock whose holders are unknown.
pub fn run(cx: &mut Cx) {
    let snap = cx.snap;
    if snap.runtime == Runtime::Go
        || snap.crash.is_some()
        || cx.findings.iter().any(|f| f.kind == Kind::Deadlock)
    {
        return;
    }
    let graph = cx.graph;
    let Some((tasks, locks)) = lockers(snap, graph) else {
        return;
    };
    let (_, many) = snap.noun();
    let lock_ids: Vec<String> = locks
        .iter()
        .map(|&lock| resource_label(snap, graph, lock))
        .collect();
    let mut finding = Finding::new(
        &LIKELY_LOCK_DEADLOCK,
        format!(
            "Likely deadlock: {many} {} wait on {}, and nothing that runs can release them",
            cx.labels(&tasks, 4),
            lock_ids.join(" and ")
        ),
        tasks.clone(),
    )
    .resources(locks.clone())
    .confidence(Confidence::Likely)
    .explain(LIKELY_LOCK_DEADLOCK.explanation.to_string());
    for &task in tasks.iter().take(8) {
        let Some(resource) = graph.res_of[task as usize] else {
            continue;
        };
        let site = graph.waits[task as usize].and_then(|w| w.site);
        finding = finding.evidence(format!(
            "{} waits on {} in {}",
            snap.task_label(&snap.tasks[task as usize]),
            resource_label(snap, graph, resource),
            frame_name(&snap.tables, site)
        ));
    }
    finding = finding.evidence(format!(
        "every other {} is idle (sleeping, polling, waiting for work or joining): none runs to release a lock",
        snap.noun().0
    ));
    finding = finding.evidence(confirm(snap, graph, &locks));
    cx.push(finding);
}

/// How to read who holds each lock, in the runtime's own tools.
fn confirm(snap: &Snapshot, graph: &WaitGraph, locks: &[u32]) -> String {
    let resources: Vec<&Resource> = locks
        .iter()
        .filter_map(|&lock| graph.resources.get(lock as usize))
        .collect();
    match snap.runtime {
        Runtime::Python => "to confirm: CPython's locks record no owner; `py-spy dump --locals --pid PID` shows each thread's frames with their locals, and `dumpscope analyze --source-root DIR` (the program's sources) reads the `with` blocks and `acquire()` calls above each thread's line to name who holds which lock".to_string(),
        Runtime::Rust if snap.task_kind == TaskKind::AsyncTask => "to confirm: tokio's Mutex records no owner; `dumpscope analyze --source-root DIR` (the crate's sources) reads the `.lock().await` guards alive at each task's frame to name who holds which lock; in the code, `try_lock()` in a debug endpoint shows which lock is taken".to_string(),
        Runtime::Java => "to confirm: take the dump with `jstack -l PID` (or `jcmd PID Thread.print -l`), which lists the owner of every lock".to_string(),
        _ => native_confirm(&resources),
    }
}

/// glibc records each mutex's owner (`__data.__owner`, the owner's LWP);
/// std's Rust mutex does not.
fn native_confirm(resources: &[&Resource]) -> String {
    let mut commands = Vec::new();
    let mut rust = false;
    for res in resources {
        let name = res.name.as_deref();
        rust |= name.is_some_and(|n| n.contains("::"));
        let command = match (name, res.key) {
            (Some(name), _) if !name.contains("::") && res.kind == ResKind::Mutex => {
                format!("`p {name}.__data.__owner`")
            }
            (_, ResKey::Addr(addr)) if res.kind == ResKind::Mutex => {
                format!("`p ((pthread_mutex_t *) {addr:#x})->__data.__owner`")
            }
            (_, ResKey::Addr(addr)) if res.kind == ResKind::RwMutex => {
                format!("`p ((pthread_rwlock_t *) {addr:#x})->__data.__cur_writer`")
            }
            _ => continue,
        };
        if !commands.contains(&command) {
            commands.push(command);
        }
    }
    let mut text = String::from("to confirm: attach gdb (`gdb -p PID`)");
    if commands.is_empty() {
        text.push_str(" and print each mutex's `__data.__owner` (the LWP of the thread holding a glibc mutex)");
    } else {
        text.push_str(&format!(
            " and print {} (the LWP of the thread holding each glibc mutex; 0 when free)",
            commands.join(", ")
        ));
    }
    if rust {
        text.push_str("; Rust's std Mutex records no owner: `thread apply all bt full` shows which frames hold a `MutexGuard`, or pass `--source-root DIR` to read the guards from the sources");
    }
    text
}
