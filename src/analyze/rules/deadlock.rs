//! Deadlocks: cycles of the wait-for graph (lock order, recursive read
//! locks, self-locks, other cycles) and, for Go, the whole process blocked.
//! Other runtimes' cycles are reported under their own deadlock rule
//! (`run_cycles`, with the rule from `threads.rs`).

use super::context::Cx;
use crate::analyze::finding::{Finding, Kind, RuleInfo, Severity};
use crate::analyze::graph::Cycle;
use crate::analyze::phrase::{check_reported, resource_label};
use crate::analyze::wait::{ResKind, WaitOp};
use crate::model::vocab;
use crate::model::Confidence;
use crate::model::{StateClass, TaskFlags};

/// `deadlock.lock-order`: lock-order deadlock (AB-BA).
pub static LOCK_ORDER: RuleInfo = RuleInfo {
    id: "deadlock.lock-order",
    title: "Lock-order deadlock (AB-BA)",
    kind: Kind::Deadlock,
    severity: Severity::Critical,
    explanation: "Each goroutine on the cycle holds one lock and waits for a lock held by the next: none can ever proceed.",
    cause: "Two code paths take the same mutexes in different orders, often because the order depends on the arguments (transfer(a, b) and transfer(b, a)).",
    remedy: "Always take the locks in one global order (by id or address), or restructure so that one lock protects both objects.",
    sketch: "first, second := a, b\nif b.id < a.id {\n\tfirst, second = b, a\n}\nfirst.mu.Lock()\ndefer first.mu.Unlock()\nsecond.mu.Lock()\ndefer second.mu.Unlock()",
    references: &["https://go.dev/ref/mem", "https://pkg.go.dev/sync#Mutex"],
};

/// `deadlock.recursive-rlock`: recursive RLock with a writer queued.
pub static RECURSIVE_RLOCK: RuleInfo = RuleInfo {
    id: "deadlock.recursive-rlock",
    title: "Recursive RLock with a writer queued",
    kind: Kind::Deadlock,
    severity: Severity::Critical,
    explanation: "A goroutine that already holds a read lock asks for it again while a writer waits: the writer blocks new readers, the reader never releases, the writer never gets in.",
    cause: "A method that holds RLock calls another method of the same type that takes RLock again. It works until a writer arrives between the two calls.",
    remedy: "Never take RLock recursively. Split each method into a locked public wrapper and an unlocked internal helper, and call the helper while holding the lock.",
    sketch: "func (c *Cache) Stats() int {\n\tc.mu.RLock()\n\tdefer c.mu.RUnlock()\n\treturn c.lenLocked() // not c.Len()\n}\n\nfunc (c *Cache) lenLocked() int { return len(c.items) }",
    references: &["https://pkg.go.dev/sync#RWMutex"],
};

/// `deadlock.self-lock`: goroutine re-locks a mutex it holds.
pub static SELF_LOCK: RuleInfo = RuleInfo {
    id: "deadlock.self-lock",
    title: "Goroutine re-locks a mutex it holds",
    kind: Kind::Deadlock,
    severity: Severity::Critical,
    explanation: "sync.Mutex is not re-entrant: a goroutine that calls Lock on a mutex it already holds waits for itself forever.",
    cause: "A locked method calls another method of the same object that locks the same mutex.",
    remedy: "Call an unlocked helper from inside the critical section instead of the locking method.",
    sketch: "func (s *Store) Put(k, v string) {\n\ts.mu.Lock()\n\tdefer s.mu.Unlock()\n\ts.putLocked(k, v) // the helper assumes s.mu is held\n}",
    references: &["https://pkg.go.dev/sync#Mutex"],
};

/// `deadlock.cycle`: wait-for cycle.
pub static CYCLE: RuleInfo = RuleInfo {
    id: "deadlock.cycle",
    title: "Wait-for cycle",
    kind: Kind::Deadlock,
    severity: Severity::Critical,
    explanation: "Goroutines wait on each other in a circle through locks, channels or WaitGroups: none of them can proceed.",
    cause: "A goroutine waits (for a channel, a WaitGroup, a lock) while holding something the goroutine it waits for needs.",
    remedy: "Do not block on a channel or a WaitGroup while holding a lock; release it first, or hand the work to a goroutine that holds nothing.",
    sketch: "mu.Lock()\njob := next()\nmu.Unlock() // release before blocking\nresults <- run(job)",
    references: &["https://go.dev/ref/mem"],
};

/// `deadlock.global`: whole process deadlocked.
pub static GLOBAL: RuleInfo = RuleInfo {
    id: "deadlock.global",
    title: "Whole process deadlocked",
    kind: Kind::Deadlock,
    severity: Severity::Critical,
    explanation: "No goroutine can make progress: none is running, runnable, in a system call, in network IO or sleeping. Nothing outside the process can wake them either.",
    cause: "Usually main waits for something (a channel, a WaitGroup) that no goroutine will ever deliver; the runtime reports `all goroutines are asleep - deadlock!`.",
    remedy: "Follow the goroutine that should have delivered: it has exited or is blocked itself. Make every wait have a sender, a Done, or a close.",
    sketch: "var wg sync.WaitGroup\nfor _, it := range items {\n\twg.Add(1) // one Add per goroutine, next to the go statement\n\tgo func() { defer wg.Done(); work(it) }()\n}\nwg.Wait()",
    references: &["https://go.dev/doc/faq#goroutines"],
};

/// The rules of this family, in catalogue order.
pub static RULES: &[&RuleInfo] = &[&LOCK_ORDER, &RECURSIVE_RLOCK, &SELF_LOCK, &CYCLE, &GLOBAL];

/// Go's deadlocks: cycles of waits, then the whole process blocked.
pub fn run(cx: &mut Cx) {
    cycles(cx, None);
    global(cx, false);
}

/// After every other family: a process whose only goroutine able to run is
/// the one writing the dump is deadlocked too. The findings the families
/// made of its goroutines stand (they name the cause); those left below
/// medium are raised to medium, and goroutines no finding explains are
/// reported as the whole process deadlocked.
pub fn run_after_dump(cx: &mut Cx) {
    global(cx, true);
}

/// The cycles alone, for runtimes whose whole-process view differs; every
/// cycle is reported as `runtime_rule` (the runtime's own deadlock rule).
pub fn run_cycles(cx: &mut Cx, runtime_rule: Option<&'static RuleInfo>) {
    cycles(cx, runtime_rule);
}

fn cycles(cx: &mut Cx, runtime_rule: Option<&'static RuleInfo>) {
    let graph = cx.graph;
    // Goroutines that each deadlock on their own lock at the same site are
    // one finding, not one per goroutine.
    let mut batches: Vec<(&'static RuleInfo, Option<crate::model::FrameId>, Vec<usize>)> =
        Vec::new();
    for (ci, c) in graph.cycles.iter().enumerate() {
        let locks_only = c.resources.iter().all(|r| {
            matches!(
                graph.resources[*r as usize].kind,
                ResKind::Mutex | ResKind::RwMutex
            )
        });
        // A cycle through one lock is a lock taken again by (or through)
        // its own holder, whatever the number of tasks queued on it: a
        // lock-order deadlock needs two locks.
        let one_lock = c.tasks.len() == 1 || c.resources.len() == 1;
        let rule: &'static RuleInfo = if let Some(r) = runtime_rule {
            r
        } else if one_lock && locks_only {
            let rlock = c.tasks.iter().any(|&task| {
                graph
                    .waits
                    .get(task as usize)
                    .copied()
                    .flatten()
                    .is_some_and(|w| w.op == WaitOp::RLock)
            });
            if rlock {
                &RECURSIVE_RLOCK
            } else {
                &SELF_LOCK
            }
        } else if locks_only {
            &LOCK_ORDER
        } else {
            &CYCLE
        };
        let site = (c.tasks.len() == 1)
            .then(|| graph.waits[c.tasks[0] as usize].and_then(|w| w.site))
            .flatten();
        match batches
            .iter_mut()
            .find(|b| site.is_some() && b.0.id == rule.id && b.1 == site)
        {
            Some(b) => b.2.push(ci),
            None => batches.push((rule, site, vec![ci])),
        }
    }
    for (rule, _, cs) in batches {
        cycle_finding(cx, rule, &cs);
    }
}

fn cycle_finding(cx: &mut Cx, rule: &'static RuleInfo, cs: &[usize]) {
    let graph = cx.graph;
    let mut c_tasks: Vec<u32> = Vec::new();
    let mut c_res: Vec<u32> = Vec::new();
    let mut queued: Vec<u32> = Vec::new();
    let mut confidence = Confidence::Certain;
    for &ci in cs {
        let cycle = &graph.cycles[ci];
        c_tasks.extend(&cycle.tasks);
        c_res.extend(&cycle.resources);
        queued.extend(&cycle.queued);
        confidence = confidence.min(cycle.confidence);
    }
    let cycle = Cycle {
        tasks: c_tasks,
        resources: c_res,
        confidence,
        queued,
    };
    let names: Vec<String> = cycle
        .resources
        .iter()
        .map(|r| resource_label(cx.snap, graph, *r))
        .collect();
    let lines = cycle_lines(cx, &cycle);
    let evidence = cycle_evidence(cx, &cycle);
    let (_, many) = cx.snap.noun();
    let shown_names = if names.len() > 4 {
        format!("{} (+{} more)", names[..4].join(", "), names.len() - 4)
    } else {
        names.join(", ")
    };
    let title = format!(
        "{}: {many} {} on {shown_names}",
        rule.title,
        cx.labels(&cycle.tasks, 6),
    );
    let mut tasks = cycle.tasks.clone();
    tasks.extend(cycle.queued.iter().copied());
    let leaked = cx.leaked(&tasks);
    let mut finding = Finding::new(rule, title, tasks)
        .confidence(cycle.confidence)
        // A cycle closed only by a guessed holder is a lead, not a verdict.
        .severity(if cycle.confidence == Confidence::Possible && leaked == 0 {
            Severity::High
        } else {
            rule.severity
        })
        .resources(cycle.resources.clone())
        .explain(format!("{}. {}", lines.join("; "), rule.explanation));
    finding.evidence = evidence;
    check_reported(cx.snap, &cycle.tasks, &mut finding);
    if leaked > 0 {
        finding = finding.evidence(format!(
            "Go's GC proved {leaked} of these goroutines leaked"
        ));
    }
    cx.push(finding);
}

/// Large batches are summarised: the first few tasks in full.
const SHOWN: usize = 6;

/// What each task of the cycle holds and waits on (the first [`SHOWN`]).
fn cycle_lines(cx: &Cx, c: &Cycle) -> Vec<String> {
    let graph = cx.graph;
    let mut lines = Vec::new();
    let (_, many) = cx.snap.noun();
    for &t in c.tasks.iter().take(SHOWN) {
        let label = cx.snap.task_label(&cx.snap.tasks[t as usize]);
        let held: Vec<String> = c
            .resources
            .iter()
            .filter(|r| {
                graph.resources[**r as usize]
                    .holders
                    .iter()
                    .any(|h| h.task == t)
            })
            .map(|r| resource_label(cx.snap, graph, *r))
            .collect();
        let waits = graph.res_of[t as usize].map(|r| resource_label(cx.snap, graph, r));
        lines.push(format!(
            "{label} holds {} and waits on {}",
            if held.is_empty() {
                "nothing known".to_string()
            } else {
                held.join(", ")
            },
            waits.unwrap_or_else(|| "nothing known".to_string())
        ));
    }
    if c.tasks.len() > SHOWN {
        lines.push(format!("and {} more {many} alike", c.tasks.len() - SHOWN));
    }
    lines
}

/// Who holds the cycle's resources, and who is queued behind it.
fn cycle_evidence(cx: &Cx, c: &Cycle) -> Vec<String> {
    let graph = cx.graph;
    let (one, many) = cx.snap.noun();
    let mut evidence: Vec<String> = Vec::new();
    for &r in c.resources.iter().take(SHOWN) {
        for h in &graph.resources[r as usize].holders {
            if c.tasks.contains(&h.task) {
                evidence.push(format!(
                    "{} held by {} ({}): {}",
                    resource_label(cx.snap, graph, r),
                    cx.snap.task_label(&cx.snap.tasks[h.task as usize]),
                    h.confidence.as_str(),
                    h.evidence
                ));
            }
        }
    }
    if !c.queued.is_empty() {
        evidence.push(format!(
            "{} more {} queued behind the cycle: {}",
            c.queued.len(),
            if c.queued.len() == 1 { one } else { many },
            cx.labels(&c.queued, 10)
        ));
    }
    evidence
}

/// Whether a running task is the one writing the dump: a dump writer of the
/// runtime's vocabulary among its innermost frames.
fn writes_the_dump(snap: &crate::model::Snapshot, t: &crate::model::Task) -> bool {
    vocab::stack_writes_dump(&snap.tables, t.stack)
}

fn global(cx: &mut Cx, after_dump: bool) {
    let snap = cx.snap;
    // The goroutineleak profile lists the leaked goroutines only, not the
    // process: that they are all blocked says nothing of the others.
    if snap.origin.as_deref() == Some("goroutineleak") {
        return;
    }
    let said = snap
        .crash
        .as_ref()
        .and_then(|c| c.fatal_error())
        .is_some_and(|m| m.contains("all goroutines are asleep"));
    let mut blocked = Vec::new();
    let mut any_user = false;
    let mut dumper = None;
    for (i, t) in snap.tasks.iter().enumerate() {
        if t.flags.has(TaskFlags::SYSTEM_STACK)
            || matches!(t.class, StateClass::Runtime | StateClass::Idle)
        {
            continue;
        }
        if t.class.can_progress() && !said {
            // The goroutine writing this very dump is not the program's
            // progress: once it is done, it is whatever it was before.
            if dumper.is_none() && writes_the_dump(snap, t) {
                dumper = Some(t.id);
                continue;
            }
            return;
        }
        any_user = true;
        blocked.push(i as u32);
    }
    if !any_user || blocked.is_empty() || after_dump != dumper.is_some() {
        return;
    }
    // Unless the runtime said so, only when every goroutine's state says
    // what it waits on and the dump is whole: a profile without states, or a
    // cut dump, says nothing of the goroutines it does not show (the one
    // running may be the part that was cut).
    let definite = blocked.iter().all(|&t| {
        matches!(
            snap.tasks[t as usize].class,
            StateClass::Chan | StateClass::Select | StateClass::Lock | StateClass::Sync
        )
    });
    if !said && (!definite || snap.truncated) {
        return;
    }
    if let Some(id) = dumper {
        let writer = if id > 0 {
            format!("goroutine {id} (the one writing this dump)")
        } else {
            "the goroutine writing this dump".to_string()
        };
        let note = format!(
            "the whole process is blocked: every goroutine but {writer} waits, and none can wake another"
        );
        for f in cx.findings.iter_mut() {
            let forever = matches!(f.kind, Kind::Deadlock | Kind::BlockedForever | Kind::Leak);
            if forever && f.severity < Severity::Medium {
                f.severity = Severity::Medium;
                f.evidence.push(note.clone());
            }
        }
        if cx.unclaimed(&blocked).is_empty() {
            return;
        }
    }
    // A dump taken by the process itself has a running goroutine; a
    // SIGQUIT dump of a process where nothing can move is a deadlock.
    let tasks = cx.unclaimed(&blocked);
    let conf = if said {
        Confidence::Certain
    } else {
        Confidence::Likely
    };
    let evidence = if said {
        "the runtime printed `fatal error: all goroutines are asleep - deadlock!`".to_string()
    } else {
        let beside = dumper.map_or(String::new(), |id| {
            if id > 0 {
                format!(" (goroutine {id}, running, is the one writing this dump)")
            } else {
                " (but the one writing this dump)".to_string()
            }
        });
        format!("all {} goroutines are blocked; none is running, runnable, in a syscall, in IO wait or asleep{beside}", blocked.len())
    };
    let finding = Finding::new(
        &GLOBAL,
        format!(
            "Whole process deadlocked: all {} goroutines are blocked",
            blocked.len()
        ),
        if tasks.is_empty() {
            blocked.clone()
        } else {
            tasks
        },
    )
    .confidence(conf)
    .explain(GLOBAL.explanation.to_string())
    .evidence(evidence);
    cx.push(finding);
}
