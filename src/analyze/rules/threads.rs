//! Threads and tasks of other runtimes (Java, native, Python, Rust async),
//! explained in their own terms: monitors and `java.util.concurrent` locks
//! for Java, pthread mutexes for native code, `threading` locks for Python,
//! tokio's `Mutex` for async tasks. The wait-for graph and its cycles are the
//! same as for goroutines.

use super::context::Cx;
use crate::analyze::finding::{Finding, Kind, RuleInfo, Severity};
use crate::analyze::phrase::{resource_id, task_name, user_site};
use crate::analyze::wait::{self, ResKind};
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

/// Chains of waits that end at a thread which waits on nothing another
/// thread holds: one finding per thread at the head.
fn blocked_behind(cx: &mut Cx) {
    let g = cx.graph;
    let snap = cx.snap;
    let n = snap.tasks.len();
    // The head each waiting task leads to, with the weakest edge on the way.
    let holder_of = |t: usize| -> Option<(usize, Confidence)> {
        let r = g.res_of.get(t).copied().flatten()?;
        let res = g.resources.get(r as usize)?;
        if !res.kind.is_sync() {
            return None;
        }
        let h = res.holders.iter().max_by_key(|h| h.confidence)?;
        (h.confidence >= Confidence::Likely).then_some((h.task as usize, h.confidence))
    };
    let mut behind: Vec<(usize, Vec<u32>, Confidence)> = Vec::new();
    for t in 0..n {
        let Some((mut h, mut conf)) = holder_of(t) else {
            continue;
        };
        let mut steps = 0;
        while let Some((next, c)) = holder_of(h) {
            conf = conf.min(c);
            h = next;
            steps += 1;
            if steps > 64 || h == t {
                break;
            }
        }
        if h == t || steps > 64 {
            continue; // a cycle: the deadlock rules' business
        }
        let head = &snap.tasks[h];
        if !matches!(
            head.class,
            StateClass::Syscall | StateClass::Io | StateClass::Sleep | StateClass::Running
        ) {
            continue;
        }
        match behind.iter_mut().find(|b| b.0 == h) {
            Some(b) => {
                b.1.push(t as u32);
                b.2 = b.2.min(conf);
            }
            None => behind.push((h, vec![t as u32], conf)),
        }
    }
    let (one, many) = snap.noun();
    for (h, tasks, conf) in behind {
        let tasks = cx.unclaimed(&tasks);
        if tasks.is_empty() {
            continue;
        }
        let head = &snap.tasks[h];
        let place = user_site(cx.snap, h as u32)
            .map(|p| format!(" in {p}"))
            .unwrap_or_default();
        let f = Finding::new(
            &BLOCKED_BEHIND,
            format!(
                "{} {} blocked behind {} ({}{place})",
                tasks.len(),
                if tasks.len() == 1 { one } else { many },
                snap.task_label(head),
                snap.state(head)
            ),
            tasks.clone(),
        )
        .confidence(conf)
        .explain(format!(
            "{} ({}{place}) is not waiting on any of them, yet {} wait for it. {}",
            snap.task_label(head),
            snap.state(head),
            cx.labels(&tasks, 6),
            BLOCKED_BEHIND.explanation
        ))
        .evidence(format!("waiting behind it: {}", cx.labels(&tasks, 8)));
        cx.push(f);
    }
}

/// How long a task has been waiting on its lock at the same place: the
/// number of consecutive dumps (this one included) and the seconds between
/// the first of them and this one, when both have a time.
fn blocked_since(cx: &Cx, task: u32) -> Option<(usize, Option<f64>)> {
    let h = cx.history?;
    let w = cx.graph.waits.get(task as usize)?.as_ref();
    let key = crate::analyze::history::blocked_key(cx.snap, task as usize, w)?;
    let &(first, last, t0) = h.blocked.get(&key)?;
    if last + 1 != h.snapshots {
        return None;
    }
    let secs = match (t0, cx.snap.time_unix) {
        (Some(a), Some(b)) if b >= a => Some(b - a),
        _ => None,
    };
    Some((h.snapshots - first + 1, secs))
}

/// `for at least 5 s (2 consecutive dumps)`.
fn since_phrase(dumps: usize, secs: Option<f64>) -> String {
    match secs {
        Some(s) => format!("for at least {s:.0} s ({dumps} consecutive dumps)"),
        None => format!("in {dumps} consecutive dumps"),
    }
}

/// Lock waiters that were already waiting there in the dump before.
fn blocked_long(cx: &mut Cx) {
    let g = cx.graph;
    let snap = cx.snap;
    let (_, many) = snap.noun();
    for (ri, r) in g.resources.iter().enumerate() {
        if !wait::is_lock(r.kind) {
            continue;
        }
        let waiters = cx.unclaimed(&r.waiters);
        let long: Vec<(u32, usize, Option<f64>)> = waiters
            .iter()
            .filter_map(|&t| blocked_since(cx, t).map(|(d, s)| (t, d, s)))
            .filter(|x| x.1 >= 2)
            .collect();
        if long.is_empty() {
            continue;
        }
        let dumps = long.iter().map(|x| x.1).max().unwrap_or(2);
        let secs = long.iter().filter_map(|x| x.2).reduce(f64::max);
        let id = resource_id(snap, g, ri as u32);
        let tasks: Vec<u32> = long.iter().map(|x| x.0).collect();
        let mut f = Finding::new(
            &BLOCKED_LONG,
            format!(
                "{} {many} blocked on {id} {}",
                tasks.len(),
                since_phrase(dumps, secs)
            ),
            tasks.clone(),
        )
        .resources(vec![ri as u32])
        .confidence(Confidence::Certain)
        .explain(BLOCKED_LONG.explanation.to_string())
        .evidence(format!("{}: {}", many, cx.labels(&tasks, 8)));
        if let Some(h) = r.holders.iter().max_by_key(|h| h.confidence) {
            f = f.evidence(format!(
                "held by {} ({}): {}",
                snap.task_label(&snap.tasks[h.task as usize]),
                h.confidence.as_str(),
                h.evidence
            ));
        }
        cx.push(f);
    }
}

/// The whole program stuck: every thread waits on something only another
/// thread could release.
fn all_blocked(cx: &mut Cx) {
    let snap = cx.snap;
    // A crash, or a deadlock already found, explains the rest.
    if snap.crash.is_some() || cx.findings.iter().any(|f| f.kind == Kind::Deadlock) {
        return;
    }
    let g = cx.graph;
    let mut blocked = Vec::new();
    for (i, t) in snap.tasks.iter().enumerate() {
        if matches!(t.class, StateClass::Runtime) {
            continue;
        }
        let waits = g.waits.get(i).copied().flatten();
        let sync = waits
            .is_some_and(|w| w.kind.is_sync() || matches!(w.kind, ResKind::Queue | ResKind::Cond));
        // Idle pool workers wait for work from the others: blocked too.
        if !(sync || t.class == StateClass::Idle) {
            return;
        }
        blocked.push(i as u32);
    }
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
        .filter_map(|&t| g.waits[t as usize].map(|w| w.kind.as_str()))
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    let f = Finding::new(
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
    cx.push(f);
}

/// Deadlocks the JVM reported that the graph did not close.
fn reported(cx: &mut Cx) {
    let snap = cx.snap;
    let g = cx.graph;
    for r in &snap.sync.deadlocks {
        let found = g.cycles.iter().any(|c| {
            c.tasks.len() == r.names.len()
                && c.tasks
                    .iter()
                    .all(|&t| task_name(snap, t).is_some_and(|n| r.names.iter().any(|x| x == n)))
        });
        if found {
            continue;
        }
        let tasks: Vec<u32> = r
            .names
            .iter()
            .filter_map(|n| {
                snap.tasks
                    .iter()
                    .position(|t| snap.task_name(t) == Some(n))
                    .map(|i| i as u32)
            })
            .collect();
        let f = Finding::new(
            &REPORTED_DEADLOCK,
            format!(
                "{}: threads {}",
                REPORTED_DEADLOCK.title,
                r.names
                    .iter()
                    .map(|n| format!("\"{n}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            tasks,
        )
        .confidence(Confidence::Certain)
        .explain(REPORTED_DEADLOCK.explanation.to_string())
        .evidence(format!(
            "`Found one Java-level deadlock` at line {}",
            r.line
        ));
        cx.push(f);
    }
}

/// Waiters on one lock from which a convoy is reported.
const CONVOY_MIN: usize = 5;

fn convoys(cx: &mut Cx) {
    let g = cx.graph;
    let snap = cx.snap;
    let (one, many) = snap.noun();
    for (ri, r) in g.resources.iter().enumerate() {
        if !(wait::is_lock(r.kind) || r.kind == ResKind::Semaphore) || r.waiters.len() < CONVOY_MIN
        {
            continue;
        }
        let waiters = cx.unclaimed(&r.waiters);
        if waiters.len() < CONVOY_MIN {
            continue;
        }
        let id = resource_id(snap, g, ri as u32);
        let class = snap
            .sync
            .locks
            .iter()
            .find(|f| matches!(r.key, crate::analyze::wait::ResKey::Addr(a) if a == f.addr))
            .map(|f| snap.tables.str(f.class))
            .filter(|c| !c.is_empty());
        let mut f = Finding::new(
            &CONVOY,
            format!(
                "Lock convoy: {} {many} wait for {}{}",
                waiters.len(),
                id,
                class.map(|c| format!(" (a {c})")).unwrap_or_default()
            ),
            waiters.clone(),
        )
        .resources(vec![ri as u32])
        .confidence(Confidence::Certain);
        let mut explain = format!(
            "{} {many} wait to acquire {id}. {}",
            waiters.len(),
            CONVOY.explanation
        );
        if let Some(h) = r.holders.iter().max_by_key(|h| h.confidence) {
            let holder = &snap.tasks[h.task as usize];
            let doing = user_site(cx.snap, h.task)
                .map(|p| format!(", in {p}"))
                .unwrap_or_default();
            explain = format!(
                "{} {many} wait to acquire {id}, held by {} ({}{doing}). {}",
                waiters.len(),
                snap.task_label(holder),
                snap.state(holder),
                CONVOY.explanation
            );
            f = f.evidence(format!(
                "held by {} ({}): {}",
                snap.task_label(holder),
                h.confidence.as_str(),
                h.evidence
            ));
            if h.confidence < Confidence::Certain {
                f = f.confidence(Confidence::Likely);
            }
        } else {
            f = f.evidence(format!("no {one} in the dump is known to hold it"));
        }
        f = f
            .explain(explain)
            .evidence(format!("waiters: {}", cx.labels(&waiters, 8)));
        let long: Vec<(usize, Option<f64>)> = waiters
            .iter()
            .filter_map(|&t| blocked_since(cx, t))
            .filter(|x| x.0 >= 2)
            .collect();
        if !long.is_empty() {
            let dumps = long.iter().map(|x| x.0).max().unwrap_or(2);
            let secs = long.iter().filter_map(|x| x.1).reduce(f64::max);
            f = f
                .evidence(format!(
                    "{} of them waited here {}",
                    long.len(),
                    since_phrase(dumps, secs)
                ))
                .severity(Severity::High);
        }
        cx.push(f);
    }
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

/// Pools whose every worker is blocked and none waits for work.
fn pools(cx: &mut Cx) {
    let snap = cx.snap;
    if snap.runtime != Runtime::Java {
        return;
    }
    let mut by_pool: Vec<(&str, Vec<u32>)> = Vec::new();
    let tb = &snap.tables;
    for (i, t) in snap.tasks.iter().enumerate() {
        if t.class == StateClass::Runtime {
            continue;
        }
        // A pool's worker runs the executor's loop.
        let worker = tb.stack(t.stack).frames.iter().rev().take(8).any(|f| {
            let n = tb.str(tb.function(tb.frame(*f).function).full);
            POOL_LOOPS.iter().any(|l| n.starts_with(l))
        });
        if !worker {
            continue;
        }
        let Some(p) = snap.task_name(t).and_then(pool_of) else {
            continue;
        };
        match by_pool.iter_mut().find(|(n, _)| *n == p) {
            Some((_, v)) => v.push(i as u32),
            None => by_pool.push((p, vec![i as u32])),
        }
    }
    let g = cx.graph;
    for (pool, workers) in by_pool {
        if workers.len() < 2 {
            continue;
        }
        let blocked = workers.iter().all(|&w| {
            let t = &snap.tasks[w as usize];
            matches!(t.class, StateClass::Lock | StateClass::Sync)
                && g.waits.get(w as usize).is_some_and(|x| x.is_some())
        });
        if !blocked {
            continue;
        }
        // What they wait on, most common first.
        let mut on: Vec<(ResKind, usize)> = Vec::new();
        for &w in &workers {
            if let Some(k) = g.waits[w as usize].map(|x| x.kind) {
                match on.iter_mut().find(|(x, _)| *x == k) {
                    Some((_, n)) => *n += 1,
                    None => on.push((k, 1)),
                }
            }
        }
        on.sort_by_key(|x| std::cmp::Reverse(x.1));
        let what = on
            .iter()
            .map(|(k, n)| format!("{n} on a {}", k.as_str()))
            .collect::<Vec<_>>()
            .join(", ");
        let futures = on.iter().any(|(k, _)| *k == ResKind::Future);
        // Workers already explained (on a deadlock) are not a second finding.
        let tasks = cx.unclaimed(&workers);
        if tasks.is_empty() {
            continue;
        }
        let mut f = Finding::new(
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
        .evidence(format!("workers: {}", cx.labels(&workers, 8)));
        if futures {
            f = f.evidence(
                "workers wait for futures: if those tasks were submitted to this pool they can never start",
            );
        }
        if let Some(p) = user_site(cx.snap, workers[0]) {
            f = f.evidence(format!("first worker blocks in {p}"));
        }
        cx.push(f);
    }
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
