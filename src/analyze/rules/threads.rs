//! Threads and tasks of other runtimes (Java, native, Python, Rust async),
//! explained in their own terms: monitors and `java.util.concurrent` locks
//! for Java, pthread mutexes for native code, `threading` locks for Python,
//! tokio's `Mutex` for async tasks: each runtime's deadlock rule, deadlocks
//! the JVM reported, lock convoys, exhausted pools, locks waited on across
//! dumps, threads blocked behind a busy one and the whole process blocked.
//! The wait-for graph and its cycles are the same as for goroutines.

use super::context::Cx;
use crate::analyze::finding::{Finding, Kind, RuleInfo, Severity};
use crate::analyze::graph::{Resource, WaitGraph};
use crate::analyze::history::blocked_key;
use crate::analyze::phrase::{resource_label, task_name, user_site};
use crate::analyze::wait::{self, ResKey, ResKind};
use crate::model::Confidence;
use crate::model::{Runtime, Snapshot, StateClass, TaskKind};

/// `java.deadlock`: Java threads deadlocked on monitors or locks.
pub static JAVA_DEADLOCK: RuleInfo = RuleInfo {
    id: "java.deadlock",
    title: "Java deadlock",
    kind: Kind::Deadlock,
    severity: Severity::Critical,
    explanation: "Each thread on the cycle holds a monitor (`synchronized`) or a `java.util.concurrent` lock and waits for one held by the next: none can ever proceed, and every thread that later needs one of these locks joins the queue.",
    cause: "Two code paths take the same locks in different orders, often because the order depends on the arguments (transfer(a, b) and transfer(b, a)), or a callback runs while its caller holds a lock.",
    remedy: "Take the locks in one global order (by id), or use one lock for both objects; with java.util.concurrent locks, `tryLock` with a timeout lets a thread back off instead of waiting forever.",
    sketch: "Account first = a.id < b.id ? a : b;\nAccount second = first == a ? b : a;\nsynchronized (first) {\n    synchronized (second) {\n        move(a, b, amount);\n    }\n}",
    references: &[
        "https://docs.oracle.com/javase/tutorial/essential/concurrency/deadlock.html",
        "https://docs.oracle.com/en/java/javase/21/docs/api/java.base/java/util/concurrent/locks/ReentrantLock.html",
    ],
};

/// `native.deadlock`: thread deadlock on pthread locks.
pub static NATIVE_DEADLOCK: RuleInfo = RuleInfo {
    id: "native.deadlock",
    title: "Thread deadlock on pthread locks",
    kind: Kind::Deadlock,
    severity: Severity::Critical,
    explanation: "Each thread on the cycle holds a mutex (or waits for a thread to finish) and waits for a mutex held by the next: none can proceed. A single thread on its own cycle re-locked a non-recursive mutex it already holds.",
    cause: "Two code paths lock the same mutexes in different orders, a function that holds a lock calls one that takes it again, or a thread joins one that waits for a lock the joiner holds.",
    remedy: "Lock in one global order (by address or rank), or take both at once with `std::scoped_lock` (C++17), which avoids the deadlock; never join or wait for another thread while holding a lock it may need.",
    sketch: "pthread_mutex_t *first = a < b ? a : b;\npthread_mutex_t *second = a < b ? b : a;\npthread_mutex_lock(first);\npthread_mutex_lock(second);",
    references: &[
        "https://man7.org/linux/man-pages/man3/pthread_mutex_lock.3p.html",
        "https://en.cppreference.com/w/cpp/thread/scoped_lock",
    ],
};

/// `python.deadlock`: Python threads deadlocked on locks.
pub static PYTHON_DEADLOCK: RuleInfo = RuleInfo {
    id: "python.deadlock",
    title: "Python threads deadlocked on locks",
    kind: Kind::Deadlock,
    severity: Severity::Critical,
    explanation: "Each thread on the cycle holds a `threading` lock and waits in `acquire()` for a lock held by the next: none can proceed.",
    cause: "Two code paths acquire the same locks in different orders, or a thread re-acquires a plain `Lock` (not an `RLock`) it already holds.",
    remedy: "Acquire locks in one fixed order, use one lock for both objects, or `acquire(timeout=...)` and back off.",
    sketch: "first, second = sorted((a, b), key=id)\nwith first, second:\n    move(a, b, amount)",
    references: &["https://docs.python.org/3/library/threading.html#lock-objects"],
};

/// `tokio.deadlock`: async tasks deadlocked on locks.
pub static TOKIO_DEADLOCK: RuleInfo = RuleInfo {
    id: "tokio.deadlock",
    title: "Async tasks deadlocked on locks",
    kind: Kind::Deadlock,
    severity: Severity::Critical,
    explanation: "Each task on the cycle holds an async lock guard (tokio `Mutex`, `RwLock`, a `Semaphore` permit) across an `.await` and waits for a lock held by the next: none will ever be woken.",
    cause: "Guards held across `.await` points in different orders by different tasks.",
    remedy: "Take the locks in one order, hold guards for as short as possible (drop before awaiting anything else), or merge the state under one lock.",
    sketch: "let (first, second) = if a.id < b.id { (a, b) } else { (b, a) };\nlet _g1 = first.lock().await;\nlet _g2 = second.lock().await;",
    references: &["https://docs.rs/tokio/latest/tokio/sync/struct.Mutex.html"],
};

/// `threads.lock-convoy`: lock convoy: many threads queued on one lock.
pub static CONVOY: RuleInfo = RuleInfo {
    id: "threads.lock-convoy",
    title: "Lock convoy: many threads queued on one lock",
    kind: Kind::Contention,
    severity: Severity::Medium,
    explanation: "Many threads wait to acquire the same lock (a Java monitor, a `ReentrantLock`, a pthread mutex). Whoever holds it is slow or stuck (IO, sleep, a wait while holding it), and every request that needs it piles up behind it.",
    cause: "Slow work inside the critical section (network or disk IO, sleeping, waiting for another lock), or a lock held by a thread that stopped.",
    remedy: "Look at what the holder (named below when the dump says) is doing. Keep critical sections short: copy the data under the lock, do the slow part outside; split the lock or use a read-write lock for read-mostly data.",
    sketch: "",
    references: &["https://docs.oracle.com/javase/tutorial/essential/concurrency/locksync.html"],
};

/// `java.pool-exhaustion`: thread pool exhausted: every worker is blocked.
pub static POOL_EXHAUSTION: RuleInfo = RuleInfo {
    id: "java.pool-exhaustion",
    title: "Thread pool exhausted: every worker is blocked",
    kind: Kind::Starvation,
    severity: Severity::High,
    explanation: "Every worker of this pool is blocked and none is waiting for work, so tasks submitted to the pool queue up and never start. When the workers wait for results of tasks submitted to the same pool, this never resolves (a starvation deadlock).",
    cause: "Tasks that block on other tasks of the same bounded pool (`submit(...).get()` inside a task), or workers all stuck on one slow dependency (a lock, a connection pool, a remote call without a timeout).",
    remedy: "Never wait inside a pool for work queued to the same pool: use a separate pool for the inner tasks or compose with `CompletableFuture.thenCompose`; put timeouts on remote calls; size pools for the blocking they do.",
    sketch: "CompletableFuture<Price> price = CompletableFuture.supplyAsync(() -> fetchPrice(id), ioPool);\nreturn price.thenApply(p -> render(order, p)); // no blocking get() inside the pool",
    references: &["https://docs.oracle.com/en/java/javase/21/docs/api/java.base/java/util/concurrent/ThreadPoolExecutor.html"],
};

/// `java.reported-deadlock`: deadlock reported by the JVM.
pub static REPORTED_DEADLOCK: RuleInfo = RuleInfo {
    id: "java.reported-deadlock",
    title: "Deadlock reported by the JVM",
    kind: Kind::Deadlock,
    severity: Severity::Critical,
    explanation: "The JVM's own deadlock detector printed `Found one Java-level deadlock` for these threads, but the locks the dump lists do not close the cycle (for instance `jstack` without `-l` does not list who owns `java.util.concurrent` locks).",
    cause: "As for any lock-order deadlock: locks taken in different orders.",
    remedy: "Take the dump again with `jstack -l` or `jcmd PID Thread.print -l` to see the owners, then fix the lock order.",
    sketch: "",
    references: &["https://docs.oracle.com/en/java/javase/21/docs/specs/man/jstack.html"],
};

/// `threads.all-blocked`: every thread is blocked.
pub static ALL_BLOCKED: RuleInfo = RuleInfo {
    id: "threads.all-blocked",
    title: "Every thread is blocked",
    kind: Kind::Deadlock,
    severity: Severity::High,
    explanation: "No thread of the program is running, sleeping or waiting for IO: each waits for a lock, a condition, a queue, a join or a future that only another of these threads could release. Nothing from outside the process can wake them, so the process is stuck for good.",
    cause: "A thread that should have produced, signalled, released or finished has exited (often on an exception or error path) or is itself waiting on one of the others.",
    remedy: "Follow what each thread waits for to the thread that should deliver it. Make producers signal on every exit path (`finally`, RAII guards), and give waits a timeout so a lost signal shows up as an error instead of a hang.",
    sketch: "",
    references: &["https://docs.python.org/3/library/queue.html#queue.Queue.task_done"],
};

/// `threads.blocked-long`: threads blocked on a lock across dumps.
pub static BLOCKED_LONG: RuleInfo = RuleInfo {
    id: "threads.blocked-long",
    title: "Threads blocked on a lock across dumps",
    kind: Kind::Stuck,
    severity: Severity::Medium,
    explanation: "These threads waited for the same lock, at the same place, in the earlier dump too: they have been blocked at least as long as the time between the dumps. A lock held that long is held across something slow or stuck.",
    cause: "The holder does IO, sleeps or waits for another lock while holding this one, or it stopped without releasing it.",
    remedy: "Find the holder (below when the dump says) and what it is doing; move the slow part out of the critical section, or bound it with a timeout (`tryLock(timeout)`).",
    sketch: "",
    references: &["https://docs.oracle.com/en/java/javase/21/docs/api/java.base/java/lang/Thread.State.html#BLOCKED"],
};

/// `threads.blocked-behind`: threads blocked behind one that is not waiting on them.
pub static BLOCKED_BEHIND: RuleInfo = RuleInfo {
    id: "threads.blocked-behind",
    title: "Threads blocked behind one that is not waiting on them",
    kind: Kind::Stuck,
    severity: Severity::Medium,
    explanation: "These threads wait, directly or through others, for one thread that is itself not waiting on a lock: it is in a system call, IO, a sleep or running. Until that one returns, none of them moves; if its call has no timeout, they may wait for ever.",
    cause: "A lock held, or a join or future waited on, across a blocking call: a read without a timeout, a remote call, a sleep in a retry loop.",
    remedy: "Look at what the thread at the head is doing. Give its blocking call a timeout, and do not hold locks (or make others join it) across IO.",
    sketch: "",
    references: &["https://man7.org/linux/man-pages/man7/socket.7.html"],
};

/// The rules of this family, in catalogue order.
pub static RULES: &[&RuleInfo] = &[
    &ALL_BLOCKED,
    &BLOCKED_BEHIND,
    &BLOCKED_LONG,
    &JAVA_DEADLOCK,
    &NATIVE_DEADLOCK,
    &PYTHON_DEADLOCK,
    &TOKIO_DEADLOCK,
    &REPORTED_DEADLOCK,
    &CONVOY,
    &POOL_EXHAUSTION,
];

/// The deadlock rule of a runtime other than Go.
pub fn deadlock_rule(snap: &Snapshot) -> Option<&'static RuleInfo> {
    match snap.runtime {
        Runtime::Go => None,
        Runtime::Java => Some(&JAVA_DEADLOCK),
        Runtime::Python => Some(&PYTHON_DEADLOCK),
        Runtime::Rust if snap.task_kind == TaskKind::AsyncTask => Some(&TOKIO_DEADLOCK),
        Runtime::Rust | Runtime::Native => Some(&NATIVE_DEADLOCK),
    }
}

/// The thread rules: deadlocks the JVM reported, lock convoys, exhausted
/// pools, locks held across dumps, threads blocked behind one that is not
/// waiting, and the whole process blocked.
pub fn run(cx: &mut Cx) {
    reported(cx);
    convoys(cx);
    pools(cx);
    blocked_long(cx);
    blocked_behind(cx);
    all_blocked(cx);
}

/// Threads waiting, directly or through a chain of holders, behind one head
/// thread, with the weakest edge on the way.
struct Behind {
    /// The thread at the head of the chains.
    head: usize,
    /// The threads blocked behind it, in dump order.
    tasks: Vec<u32>,
    /// The weakest holder edge on any of the chains.
    confidence: Confidence,
}

/// The task holding the lock `task` waits on, when that holder is at least
/// likely, with the edge's confidence.
fn lock_holder(graph: &WaitGraph, task: usize) -> Option<(usize, Confidence)> {
    let resource = graph.res_of.get(task).copied().flatten()?;
    let resource = graph.resources.get(resource as usize)?;
    if !resource.kind.is_sync() {
        return None;
    }
    let holder = resource
        .holders
        .iter()
        .max_by_key(|holder| holder.confidence)?;
    (holder.confidence >= Confidence::Likely).then_some((holder.task as usize, holder.confidence))
}

/// The head of the chain of holders `task` waits behind, with the weakest
/// edge on the way; none for a cycle (the deadlock rules' business) or a
/// chain longer than 64.
fn chain_head(graph: &WaitGraph, task: usize) -> Option<(usize, Confidence)> {
    let (mut head, mut confidence) = lock_holder(graph, task)?;
    let mut steps = 0;
    while let Some((next, edge)) = lock_holder(graph, head) {
        confidence = confidence.min(edge);
        head = next;
        steps += 1;
        if steps > 64 || head == task {
            break;
        }
    }
    (head != task && steps <= 64).then_some((head, confidence))
}

/// Chains of waits that end at a thread which waits on nothing another
/// thread holds: one finding per thread at the head.
fn blocked_behind(cx: &mut Cx) {
    let snap = cx.snap;
    let mut behind: Vec<Behind> = Vec::new();
    for task in 0..snap.tasks.len() {
        let Some((head, confidence)) = chain_head(cx.graph, task) else {
            continue;
        };
        if !matches!(
            snap.tasks[head].class,
            StateClass::Syscall | StateClass::Io | StateClass::Sleep | StateClass::Running
        ) {
            continue;
        }
        match behind.iter_mut().find(|chain| chain.head == head) {
            Some(chain) => {
                chain.tasks.push(task as u32);
                chain.confidence = chain.confidence.min(confidence);
            }
            None => behind.push(Behind {
                head,
                tasks: vec![task as u32],
                confidence,
            }),
        }
    }
    for chain in behind {
        let tasks = cx.unclaimed(&chain.tasks);
        if tasks.is_empty() {
            continue;
        }
        let finding = blocked_behind_finding(cx, chain.head, tasks, chain.confidence);
        cx.push(finding);
    }
}

/// `threads.blocked-behind`: `tasks` wait behind `head`, which is running,
/// sleeping or in IO.
fn blocked_behind_finding(
    cx: &Cx,
    head: usize,
    tasks: Vec<u32>,
    confidence: Confidence,
) -> Finding {
    let snap = cx.snap;
    let (one, many) = snap.noun();
    let head_task = &snap.tasks[head];
    let place = user_site(snap, head as u32)
        .map(|site| format!(" in {site}"))
        .unwrap_or_default();
    let explanation = format!(
        "{} ({}{place}) is not waiting on any of them, yet {} wait for it. {}",
        snap.task_label(head_task),
        snap.state(head_task),
        cx.labels(&tasks, 6),
        BLOCKED_BEHIND.explanation
    );
    let evidence = format!("waiting behind it: {}", cx.labels(&tasks, 8));
    Finding::new(
        &BLOCKED_BEHIND,
        format!(
            "{} {} blocked behind {} ({}{place})",
            tasks.len(),
            if tasks.len() == 1 { one } else { many },
            snap.task_label(head_task),
            snap.state(head_task)
        ),
        tasks,
    )
    .confidence(confidence)
    .explain(explanation)
    .evidence(evidence)
}

/// How long a task has been waiting on its lock at the same place: the
/// number of consecutive dumps (this one included) and the seconds between
/// the first of them and this one, when both have a time.
fn blocked_since(cx: &Cx, task: u32) -> Option<(usize, Option<f64>)> {
    let history = cx.history?;
    let wait = cx.graph.waits.get(task as usize)?.as_ref();
    let key = blocked_key(cx.snap, task as usize, wait)?;
    let &(first, last, first_time) = history.blocked.get(&key)?;
    if last + 1 != history.snapshots {
        return None;
    }
    let secs = match (first_time, cx.snap.time_unix) {
        (Some(then), Some(now)) if now >= then => Some(now - then),
        _ => None,
    };
    Some((history.snapshots - first + 1, secs))
}

/// `for at least 5 s (2 consecutive dumps)`.
fn since_phrase(dumps: usize, secs: Option<f64>) -> String {
    match secs {
        Some(secs) => format!("for at least {secs:.0} s ({dumps} consecutive dumps)"),
        None => format!("in {dumps} consecutive dumps"),
    }
}

/// Lock waiters that were already waiting there in the dump before.
fn blocked_long(cx: &mut Cx) {
    let graph = cx.graph;
    let snap = cx.snap;
    let (_, many) = snap.noun();
    for (index, resource) in graph.resources.iter().enumerate() {
        if !wait::is_lock(resource.kind) {
            continue;
        }
        let waiters = cx.unclaimed(&resource.waiters);
        let long: Vec<(u32, usize, Option<f64>)> = waiters
            .iter()
            .filter_map(|&task| blocked_since(cx, task).map(|(dumps, secs)| (task, dumps, secs)))
            .filter(|waiter| waiter.1 >= 2)
            .collect();
        if long.is_empty() {
            continue;
        }
        let dumps = long.iter().map(|waiter| waiter.1).max().unwrap_or(2);
        let secs = long.iter().filter_map(|waiter| waiter.2).reduce(f64::max);
        let id = resource_label(snap, graph, index as u32);
        let tasks: Vec<u32> = long.iter().map(|waiter| waiter.0).collect();
        let evidence = format!("{}: {}", many, cx.labels(&tasks, 8));
        let mut finding = Finding::new(
            &BLOCKED_LONG,
            format!(
                "{} {many} blocked on {id} {}",
                tasks.len(),
                since_phrase(dumps, secs)
            ),
            tasks,
        )
        .resources(vec![index as u32])
        .confidence(Confidence::Certain)
        .explain(BLOCKED_LONG.explanation.to_string())
        .evidence(evidence);
        if let Some(holder) = resource
            .holders
            .iter()
            .max_by_key(|holder| holder.confidence)
        {
            finding = finding.evidence(format!(
                "held by {} ({}): {}",
                snap.task_label(&snap.tasks[holder.task as usize]),
                holder.confidence.as_str(),
                holder.evidence
            ));
        }
        cx.push(finding);
    }
}

/// Every thread that is not the runtime's, when all of them wait on a lock,
/// a queue or a condition, or idle as pool workers; none as soon as one
/// does something else.
fn all_waiting(snap: &Snapshot, graph: &WaitGraph) -> Option<Vec<u32>> {
    let mut blocked = Vec::new();
    for (index, task) in snap.tasks.iter().enumerate() {
        if matches!(task.class, StateClass::Runtime) {
            continue;
        }
        let wait = graph.waits.get(index).copied().flatten();
        let sync = wait.is_some_and(|wait| {
            wait.kind.is_sync() || matches!(wait.kind, ResKind::Queue | ResKind::Cond)
        });
        // Idle pool workers wait for work from the others: blocked too.
        if !(sync || task.class == StateClass::Idle) {
            return None;
        }
        blocked.push(index as u32);
    }
    Some(blocked)
}

/// The whole program stuck: every thread waits on something only another
/// thread could release.
fn all_blocked(cx: &mut Cx) {
    let snap = cx.snap;
    // A crash, or a deadlock already found, explains the rest.
    if snap.crash.is_some() || cx.findings.iter().any(|f| f.kind == Kind::Deadlock) {
        return;
    }
    let graph = cx.graph;
    let Some(blocked) = all_waiting(snap, graph) else {
        return;
    };
    if blocked.len() < 2 {
        return;
    }
    let (_, many) = snap.noun();
    let open = cx.unclaimed(&blocked);
    if open.is_empty() {
        return;
    }
    let mut kinds: Vec<&str> = blocked
        .iter()
        .filter_map(|&task| graph.waits[task as usize].map(|wait| wait.kind.as_str()))
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    let finding = Finding::new(
        &ALL_BLOCKED,
        format!(
            "Every thread is blocked: all {} {many} wait on each other",
            blocked.len()
        ),
        open,
    )
    .confidence(Confidence::Likely)
    .explain(ALL_BLOCKED.explanation.to_string())
    .evidence(format!(
        "{} {many}, none running, sleeping or in IO; they wait on: {}",
        blocked.len(),
        kinds.join(", ")
    ));
    cx.push(finding);
}

/// Deadlocks the JVM reported that the graph did not close.
fn reported(cx: &mut Cx) {
    let snap = cx.snap;
    for deadlock in &snap.sync.deadlocks {
        let found = cx.graph.cycles.iter().any(|cycle| {
            cycle.tasks.len() == deadlock.names.len()
                && cycle.tasks.iter().all(|&task| {
                    task_name(snap, task)
                        .is_some_and(|name| deadlock.names.iter().any(|named| named == name))
                })
        });
        if found {
            continue;
        }
        let tasks: Vec<u32> = deadlock
            .names
            .iter()
            .filter_map(|name| {
                snap.tasks
                    .iter()
                    .position(|task| snap.task_name(task) == Some(name))
                    .map(|index| index as u32)
            })
            .collect();
        let finding = Finding::new(
            &REPORTED_DEADLOCK,
            format!(
                "{}: threads {}",
                REPORTED_DEADLOCK.title,
                deadlock
                    .names
                    .iter()
                    .map(|name| format!("\"{name}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            tasks,
        )
        .confidence(Confidence::Certain)
        .explain(REPORTED_DEADLOCK.explanation.to_string())
        .evidence(format!(
            "`Found one Java-level deadlock` at line {}",
            deadlock.line
        ));
        cx.push(finding);
    }
}

/// Waiters on one lock from which a convoy is reported.
const CONVOY_MIN: usize = 5;

/// Locks and semaphores with at least [`CONVOY_MIN`] unexplained waiters.
fn convoys(cx: &mut Cx) {
    let graph = cx.graph;
    for (index, resource) in graph.resources.iter().enumerate() {
        if !(wait::is_lock(resource.kind) || resource.kind == ResKind::Semaphore)
            || resource.waiters.len() < CONVOY_MIN
        {
            continue;
        }
        let waiters = cx.unclaimed(&resource.waiters);
        if waiters.len() < CONVOY_MIN {
            continue;
        }
        let finding = convoy_finding(cx, index, resource, waiters);
        cx.push(finding);
    }
}

/// `threads.lock-convoy`: `waiters` queued on one lock, with its holder and
/// how long they have waited, when known.
fn convoy_finding(cx: &Cx, index: usize, resource: &Resource, waiters: Vec<u32>) -> Finding {
    let snap = cx.snap;
    let (one, many) = snap.noun();
    let id = resource_label(snap, cx.graph, index as u32);
    let class = lock_class(snap, resource);
    let count = waiters.len();
    let waiter_labels = cx.labels(&waiters, 8);
    let waited_here = waited_here(cx, &waiters);
    let mut finding = Finding::new(
        &CONVOY,
        format!(
            "Lock convoy: {count} {many} wait for {id}{}",
            class
                .map(|class| format!(" (a {class})"))
                .unwrap_or_default()
        ),
        waiters,
    )
    .resources(vec![index as u32])
    .confidence(Confidence::Certain);
    let mut explain = format!(
        "{count} {many} wait to acquire {id}. {}",
        CONVOY.explanation
    );
    if let Some(holder) = resource
        .holders
        .iter()
        .max_by_key(|holder| holder.confidence)
    {
        let holder_task = &snap.tasks[holder.task as usize];
        let doing = user_site(snap, holder.task)
            .map(|site| format!(", in {site}"))
            .unwrap_or_default();
        explain = format!(
            "{count} {many} wait to acquire {id}, held by {} ({}{doing}). {}",
            snap.task_label(holder_task),
            snap.state(holder_task),
            CONVOY.explanation
        );
        finding = finding.evidence(format!(
            "held by {} ({}): {}",
            snap.task_label(holder_task),
            holder.confidence.as_str(),
            holder.evidence
        ));
        if holder.confidence < Confidence::Certain {
            finding = finding.confidence(Confidence::Likely);
        }
    } else {
        finding = finding.evidence(format!("no {one} in the dump is known to hold it"));
    }
    finding = finding
        .explain(explain)
        .evidence(format!("waiters: {waiter_labels}"));
    if let Some(waited_here) = waited_here {
        finding = finding.evidence(waited_here).severity(Severity::High);
    }
    finding
}

/// The class of a lock, when the dump names it
/// (`java.util.concurrent.locks.ReentrantLock$NonfairSync`).
fn lock_class<'s>(snap: &'s Snapshot, resource: &Resource) -> Option<&'s str> {
    snap.sync
        .locks
        .iter()
        .find(|lock| matches!(resource.key, ResKey::Addr(addr) if addr == lock.addr))
        .map(|lock| snap.tables.str(lock.class))
        .filter(|class| !class.is_empty())
}

/// `3 of them waited here for at least 5 s (2 consecutive dumps)`, when some
/// of `waiters` were already waiting at the same place in the dump before.
fn waited_here(cx: &Cx, waiters: &[u32]) -> Option<String> {
    let long: Vec<(usize, Option<f64>)> = waiters
        .iter()
        .filter_map(|&task| blocked_since(cx, task))
        .filter(|since| since.0 >= 2)
        .collect();
    if long.is_empty() {
        return None;
    }
    let dumps = long.iter().map(|since| since.0).max().unwrap_or(2);
    let secs = long.iter().filter_map(|since| since.1).reduce(f64::max);
    Some(format!(
        "{} of them waited here {}",
        long.len(),
        since_phrase(dumps, secs)
    ))
}

/// The pool a thread belongs to, from its name: `pool-1-thread-3` →
/// `pool-1-thread-`, `worker-12` → `worker-`, `http-nio-8080-exec-4` →
/// `http-nio-8080-exec-`.
pub fn pool_of(name: &str) -> Option<&str> {
    let stem = name.trim_end_matches(|c: char| c.is_ascii_digit());
    (stem.len() < name.len() && stem.ends_with(['-', '_', '#', ' '])).then_some(stem)
}

/// The run loops of pool workers, outermost frames of their threads.
const POOL_LOOPS: &[&str] = &[
    "java.util.concurrent.ThreadPoolExecutor$Worker.run",
    "java.util.concurrent.ThreadPoolExecutor.runWorker",
    "java.util.concurrent.ForkJoinWorkerThread.run",
    "org.apache.tomcat.util.threads.ThreadPoolExecutor$Worker.run",
    "org.eclipse.jetty.util.thread.QueuedThreadPool$Runner.run",
    "io.netty.util.concurrent.SingleThreadEventExecutor",
];

/// The workers of each thread pool, by the pool's name stem, in dump order:
/// threads running an executor's loop, named like `pool-1-thread-3`.
fn pool_workers(snap: &Snapshot) -> Vec<(&str, Vec<u32>)> {
    let mut by_pool: Vec<(&str, Vec<u32>)> = Vec::new();
    let tables = &snap.tables;
    for (index, task) in snap.tasks.iter().enumerate() {
        if task.class == StateClass::Runtime {
            continue;
        }
        // A pool's worker runs the executor's loop.
        let worker = tables
            .stack(task.stack)
            .frames
            .iter()
            .rev()
            .take(8)
            .any(|frame| {
                let name = tables.str(tables.function(tables.frame(*frame).function).full);
                POOL_LOOPS.iter().any(|run_loop| name.starts_with(run_loop))
            });
        if !worker {
            continue;
        }
        let Some(pool) = snap.task_name(task).and_then(pool_of) else {
            continue;
        };
        match by_pool.iter_mut().find(|(name, _)| *name == pool) {
            Some((_, workers)) => workers.push(index as u32),
            None => by_pool.push((pool, vec![index as u32])),
        }
    }
    by_pool
}

/// What the workers wait on, most common first.
fn waited_kinds(graph: &WaitGraph, workers: &[u32]) -> Vec<(ResKind, usize)> {
    let mut kinds: Vec<(ResKind, usize)> = Vec::new();
    for &worker in workers {
        if let Some(kind) = graph.waits[worker as usize].map(|wait| wait.kind) {
            match kinds.iter_mut().find(|(known, _)| *known == kind) {
                Some((_, count)) => *count += 1,
                None => kinds.push((kind, 1)),
            }
        }
    }
    kinds.sort_by_key(|kind| std::cmp::Reverse(kind.1));
    kinds
}

/// Pools whose every worker is blocked and none waits for work.
fn pools(cx: &mut Cx) {
    let snap = cx.snap;
    if snap.runtime != Runtime::Java {
        return;
    }
    let graph = cx.graph;
    for (pool, workers) in pool_workers(snap) {
        if workers.len() < 2 {
            continue;
        }
        let blocked = workers.iter().all(|&worker| {
            let task = &snap.tasks[worker as usize];
            matches!(task.class, StateClass::Lock | StateClass::Sync)
                && graph
                    .waits
                    .get(worker as usize)
                    .is_some_and(|wait| wait.is_some())
        });
        if !blocked {
            continue;
        }
        // Workers already explained (on a deadlock) are not a second finding.
        let tasks = cx.unclaimed(&workers);
        if tasks.is_empty() {
            continue;
        }
        let finding = pool_finding(cx, pool, &workers, tasks);
        cx.push(finding);
    }
}

/// `java.pool-exhaustion`: every worker of `pool` is blocked; certain when
/// they wait for futures.
fn pool_finding(cx: &Cx, pool: &str, workers: &[u32], tasks: Vec<u32>) -> Finding {
    let kinds = waited_kinds(cx.graph, workers);
    let what = kinds
        .iter()
        .map(|(kind, count)| format!("{count} on a {}", kind.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    let futures = kinds.iter().any(|(kind, _)| *kind == ResKind::Future);
    let mut finding = Finding::new(
        &POOL_EXHAUSTION,
        format!(
            "Thread pool exhausted: all {} workers of {pool}* are blocked",
            workers.len()
        ),
        tasks,
    )
    .confidence(if futures {
        Confidence::Certain
    } else {
        Confidence::Likely
    })
    .explain(format!(
        "All {} threads named {pool}* are blocked ({what}) and none waits for a task. {}",
        workers.len(),
        POOL_EXHAUSTION.explanation
    ))
    .evidence(format!("workers: {}", cx.labels(workers, 8)));
    if futures {
        finding = finding.evidence(
            "workers wait for futures: if those tasks were submitted to this pool they can never start",
        );
    }
    if let Some(site) = user_site(cx.snap, workers[0]) {
        finding = finding.evidence(format!("first worker blocks in {site}"));
    }
    finding
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pools_from_thread_names() {
        assert_eq!(pool_of("pool-1-thread-3"), Some("pool-1-thread-"));
        assert_eq!(
            pool_of("http-nio-8080-exec-10"),
            Some("http-nio-8080-exec-")
        );
        assert_eq!(pool_of("GC Thread#0"), Some("GC Thread#"));
        assert_eq!(pool_of("main"), None);
        assert_eq!(pool_of("worker7"), None);
    }
}
