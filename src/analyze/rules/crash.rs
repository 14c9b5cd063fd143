//! Go's crash record explained: what the panic or fatal error means and
//! where it happened, and the race detector's reports. (`all goroutines are
//! asleep` is reported by `deadlock.global`.)

use super::context::Cx;
use crate::analyze::finding::{Finding, Kind, RuleInfo, Severity};
use crate::analyze::phrase::{agree, count, one_line, short_site, user_site};
use crate::model::vocab::go;
use crate::model::{Confidence, Crash, Snapshot};

macro_rules! crash_rule {
    ($name:ident, $id:literal, $title:literal, $expl:literal, $cause:literal, $remedy:literal, $sketch:literal, $refs:expr) => {
        #[doc = concat!("`", $id, "`: ", $title, ".")]
        pub static $name: RuleInfo = RuleInfo {
            id: $id,
            title: $title,
            kind: Kind::Crash,
            severity: Severity::Critical,
            explanation: $expl,
            cause: $cause,
            remedy: $remedy,
            sketch: $sketch,
            references: $refs,
        };
    };
}

crash_rule!(
    NIL_MAP,
    "crash.nil-map-write",
    "Assignment to a nil map",
    "The program wrote to a map that was never created: writing to a nil map panics (reading it does not).",
    "A map field of a struct literal or a `var m map[K]V` used without make.",
    "Create the map with make in the constructor, or lazily before the first write.",
    "if s.index == nil {\n\ts.index = make(map[string]int)\n}\ns.index[k] = v",
    &["https://go.dev/blog/maps"]
);
crash_rule!(
    CONCURRENT_MAP,
    "crash.concurrent-map-writes",
    "Concurrent map writes",
    "Two goroutines wrote to the same map at the same time; the runtime detected it and stopped the process (this cannot be recovered).",
    "A map shared between goroutines without a lock.",
    "Guard the map with a sync.Mutex (or RWMutex), or use sync.Map for append-mostly caches; run the tests with -race to find the other writer.",
    "c.mu.Lock()\nc.m[k] = v\nc.mu.Unlock()",
    &["https://go.dev/doc/faq#atomic_maps", "https://go.dev/doc/articles/race_detector"]
);
crash_rule!(
    SEND_CLOSED,
    "crash.send-closed-chan",
    "Send on a closed channel",
    "A goroutine sent on a channel after it was closed, which panics.",
    "More than one owner closes or sends: a consumer closed the channel, or a producer closed it while other producers still send.",
    "Only the sole sender closes a channel; with several senders, close after all of them are done (a WaitGroup), or signal stop with a separate done channel.",
    "go func() {\n\twg.Wait() // all senders finished\n\tclose(out)\n}()",
    &["https://go.dev/ref/spec#Close"]
);
crash_rule!(
    NIL_DEREF,
    "crash.nil-deref",
    "Nil pointer dereference",
    "The program used a nil pointer (SIGSEGV at a small address).",
    "A value returned together with an error used before checking the error, a struct field never set, or a nil interface holding a nil pointer.",
    "Check the error before using the value; initialise the field in the constructor; look at the innermost user frame below.",
    "resp, err := fetch()\nif err != nil {\n\treturn err\n}\nuse(resp)",
    &["https://go.dev/ref/spec#Address_operators"]
);
crash_rule!(
    OUT_OF_RANGE,
    "crash.out-of-range",
    "Index out of range",
    "An index or slice bound was outside the length of the slice, array or string.",
    "An off-by-one, an unchecked length of external input, or a slice shared and shrunk by another goroutine.",
    "Check the length before indexing; validate input sizes.",
    "if i < 0 || i >= len(s) {\n\treturn fmt.Errorf(\"index %d out of range\", i)\n}",
    &["https://go.dev/ref/spec#Index_expressions"]
);
crash_rule!(
    STACK_OVERFLOW,
    "crash.stack-overflow",
    "Stack overflow",
    "A goroutine's stack grew beyond the limit (1 GB on 64-bit): unbounded recursion.",
    "A recursive function without a base case for this input, or two methods calling each other (String() calling fmt on itself).",
    "Find the repeating frames below; add the base case or turn the recursion into a loop.",
    "func (t T) String() string {\n\ttype plain T // no String method: no recursion\n\treturn fmt.Sprintf(\"%+v\", plain(t))\n}",
    &["https://pkg.go.dev/runtime/debug#SetMaxStack"]
);
crash_rule!(
    PANIC,
    "crash.panic",
    "Panic",
    "The program panicked and nothing recovered it, so the process exited.",
    "See the panic message and the innermost user frame of the crashing goroutine.",
    "Fix the condition the message names; recover only at boundaries that can handle it (an HTTP handler, a job runner).",
    "",
    &["https://go.dev/blog/defer-panic-and-recover"]
);
crash_rule!(
    FATAL,
    "crash.fatal",
    "Fatal runtime error",
    "The runtime stopped the process with a fatal error that cannot be recovered.",
    "See the message: out of memory, a corrupted heap from unsafe or cgo code, a concurrent map access.",
    "Follow the message; run with -race and GODEBUG settings the message suggests.",
    "",
    &["https://pkg.go.dev/runtime"]
);
crash_rule!(
    RACE,
    "crash.data-race",
    "Data race reported",
    "The race detector saw two goroutines access the same memory without synchronisation, at least one of them writing.",
    "Shared state read and written from several goroutines without a lock, a channel or atomics.",
    "Protect the variable with a mutex, confine it to one goroutine, or use sync/atomic.",
    "var n atomic.Int64\nn.Add(1)",
    &["https://go.dev/doc/articles/race_detector"]
);

/// `crash.inside-panic`: goroutines running deferred calls while a panic
/// unwinds their stack (most often a handler recovering it).
pub static INSIDE_PANIC: RuleInfo = RuleInfo {
    id: "crash.inside-panic",
    title: "Goroutine inside a panic",
    kind: Kind::Crash,
    severity: Severity::Low,
    explanation: "A goroutine other than the one that crashed has a panic on its stack: a deferred function runs above it while the panic unwinds (typically a recover in a request handler or a worker loop). The panic's value is not in the dump; the frame below `panic` is where it was raised.",
    cause: "A fault in the frame below `panic` (a nil map, a nil pointer, an index), recovered by a deferred function: the process survives, the request or job failed.",
    remedy: "Fix the fault where the panic was raised; have the recovering function log the value and the stack (debug.Stack()) so that it is not lost; make sure it does not block (it still holds whatever the failed call held).",
    sketch: "defer func() {\n\tif v := recover(); v != nil {\n\t\tlog.Printf(\"panic: %v\\n%s\", v, debug.Stack())\n\t}\n}()",
    references: &["https://go.dev/blog/defer-panic-and-recover"],
};

/// The rules of this family, in catalogue order.
pub static RULES: &[&RuleInfo] = &[
    &NIL_MAP,
    &CONCURRENT_MAP,
    &SEND_CLOSED,
    &NIL_DEREF,
    &OUT_OF_RANGE,
    &STACK_OVERFLOW,
    &PANIC,
    &FATAL,
    &RACE,
    &INSIDE_PANIC,
];

/// Explains the dump's crash record (a Go panic or fatal error) and the
/// goroutine it happened on.
pub fn run(cx: &mut Cx) {
    let snap = cx.snap;
    // A panic on a stack shows in its group's stack too (a group's tasks
    // share their frames, or at least their functions): the goroutines
    // are looked at only when a group holds one.
    let any_panic = cx
        .groups
        .iter()
        .any(|g| raised_in(snap, snap.tables.stack(g.stack)).is_some());
    if let Some(finding) = any_panic.then(|| inside_panic_finding(snap)).flatten() {
        cx.findings.push(finding);
    }
    let Some(crash) = snap.crash.as_ref() else {
        return;
    };
    if let Some(finding) = crash_finding(snap, crash) {
        cx.findings.push(finding);
    }
    if let Some(finding) = race_finding(crash) {
        cx.findings.push(finding);
    }
}

/// The index of the frame that raised the panic in a stack (the caller of
/// its innermost `panic` frame), when the stack holds one below its top.
fn raised_at(snap: &Snapshot, task: &crate::model::Task) -> Option<usize> {
    raised_in(snap, snap.stack(task))
}

/// [`raised_at`] for a stack.
fn raised_in(snap: &Snapshot, stack: &crate::model::Stack) -> Option<usize> {
    let tables = &snap.tables;
    let frames = &stack.frames;
    let at = frames
        .iter()
        .position(|f| go::PANIC_FRAMES.contains(&tables.func_name(tables.frame(*f).function)))?;
    (at > 0 && at + 1 < frames.len()).then_some(at + 1)
}

/// `crash.inside-panic`: goroutines, other than the crashing one, with a
/// deferred call running above a panic, grouped by where it was raised.
fn inside_panic_finding(snap: &Snapshot) -> Option<Finding> {
    if snap.runtime != crate::model::Runtime::Go {
        return None;
    }
    let crashing = snap.crash.as_ref().and_then(|c| c.task_id);
    let mut tasks = Vec::new();
    let mut sites: Vec<String> = Vec::new();
    // Where a panic was raised depends on the stack alone: looked for once
    // per distinct stack (half a million goroutines share a few).
    // Per stack: 0 not looked at yet, 1 no panic, `at + 2` raised at `at`.
    let mut raised: Vec<u32> = vec![0; snap.tables.stack_count()];
    for (index, task) in snap.tasks.iter().enumerate() {
        if Some(task.id) == crashing {
            continue;
        }
        let at = match raised.get_mut(task.stack.index()) {
            Some(0) | None => {
                let at = raised_at(snap, task);
                if let Some(slot) = raised.get_mut(task.stack.index()) {
                    *slot = at.map_or(1, |at| at as u32 + 2);
                }
                at
            }
            Some(1) => None,
            Some(known) => Some(*known as usize - 2),
        };
        let Some(at) = at else {
            continue;
        };
        tasks.push(index as u32);
        let frame = snap.stack(task).frames.get(at).copied();
        let site = short_site(snap, frame);
        if !sites.contains(&site) && sites.len() < 5 {
            sites.push(site);
        }
    }
    let first = tasks.first().and_then(|&i| snap.tasks.get(i as usize))?;
    let ids: Vec<String> = tasks
        .iter()
        .take(8)
        .filter_map(|&i| snap.tasks.get(i as usize).map(|t| t.id.to_string()))
        .collect();
    let title = format!(
        "{} inside a panic raised at {}",
        count(tasks.len(), "goroutine", "goroutines"),
        sites.join(", ")
    );
    let state = snap.state(first).to_string();
    Some(
        Finding::new(&INSIDE_PANIC, title, tasks)
            .confidence(Confidence::Certain)
            .explain(INSIDE_PANIC.explanation.to_string())
            .evidence(format!(
                "{} {} {} a deferred call above `panic` (goroutine {} is {state})",
                if ids.len() == 1 {
                    "goroutine"
                } else {
                    "goroutines"
                },
                ids.join(", "),
                agree(ids.len(), "run"),
                first.id
            )),
    )
}

/// For a test timeout's panic, the goroutines of the tests still running
/// (named in the message), with where each waits.
fn running_tests(snap: &Snapshot, message: &str) -> Vec<(u32, String)> {
    let Some((_, list)) = message.split_once(go::RUNNING_TESTS) else {
        return Vec::new();
    };
    let names: Vec<&str> = list
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| !name.is_empty())
        .take(16)
        .collect();
    let tables = &snap.tables;
    let mut out = Vec::new();
    for (index, task) in snap.tasks.iter().enumerate() {
        let runs = snap.stack(task).frames.iter().any(|f| {
            let function = tables.func_name(tables.frame(*f).function);
            names.iter().any(|name| {
                // `pkg.TestX` or a subtest's `pkg.TestX.func1`.
                let top = name.split('/').next().unwrap_or(name);
                function
                    .rsplit_once('.')
                    .is_some_and(|(_, last)| last == top)
                    || function.contains(&format!(".{top}."))
            })
        });
        if runs && out.len() < 8 {
            let site = user_site(snap, index as u32).unwrap_or_default();
            out.push((
                index as u32,
                format!(
                    "goroutine {} runs a test still running at the timeout: [{}] at {site}",
                    task.id,
                    snap.state(task)
                ),
            ));
        }
    }
    out
}

/// The rule that explains a crash's first panic or fatal error; none when
/// all goroutines are asleep (`deadlock.global` reports that).
fn classify(
    first_panic: Option<&str>,
    fatal: Option<&str>,
    message: &str,
) -> Option<&'static RuleInfo> {
    if fatal.is_some_and(|error| error.contains("all goroutines are asleep")) {
        None
    } else if message.contains("assignment to entry in nil map") {
        Some(&NIL_MAP)
    } else if message.contains("concurrent map") {
        Some(&CONCURRENT_MAP)
    } else if message.contains("send on closed channel") {
        Some(&SEND_CLOSED)
    } else if message.contains("nil pointer dereference") {
        Some(&NIL_DEREF)
    } else if message.contains("index out of range")
        || message.contains("slice bounds out of range")
    {
        Some(&OUT_OF_RANGE)
    } else if message.contains("stack overflow") {
        Some(&STACK_OVERFLOW)
    } else if first_panic.is_some() {
        Some(&PANIC)
    } else if fatal.is_some() {
        Some(&FATAL)
    } else {
        None
    }
}

/// The finding for the crash's panic or fatal error, placed at the user
/// frame of the goroutine that crashed.
fn crash_finding(snap: &Snapshot, crash: &Crash) -> Option<Finding> {
    let first_panic = crash.panics().first().map(|panic| panic.message.as_str());
    let fatal = crash.fatal_error();
    let message = first_panic.or(fatal).unwrap_or("");
    let rule = classify(first_panic, fatal, message)?;
    let crashing = crash
        .task_id
        .and_then(|id| snap.tasks.iter().position(|task| task.id == id))
        .map(|index| index as u32);
    let place = crashing.and_then(|index| user_site(snap, index));
    let title = match &place {
        Some(place) => format!("{}: {} in {place}", rule.title, one_line(message)),
        None => format!("{}: {}", rule.title, one_line(message)),
    };
    let mut finding = Finding::new(rule, title, crashing.into_iter().collect())
        .confidence(Confidence::Certain)
        .explain(format!(
            "{}{}. {}",
            if first_panic.is_some() {
                "panic: "
            } else {
                "fatal error: "
            },
            one_line(message),
            rule.explanation
        ));
    if let Some(id) = crash.task_id {
        finding = finding.evidence(format!("goroutine {id} crashed"));
    }
    for (task, evidence) in running_tests(snap, message) {
        finding.tasks.push(task);
        finding = finding.evidence(evidence);
    }
    if first_panic.is_some()
        && go::mentions(message, go::PANIC_REQUESTS_DUMP)
        && !go::mentions(message, go::PANIC_REPORTS_HANG)
    {
        // Nothing to fix: the program panicked to have its goroutines printed.
        finding = finding.severity(Severity::Info).evidence(
            "the message asks for the goroutines to be printed: the program panicked on purpose to write this dump",
        );
    }
    if let Some(signal) = &crash.signal {
        finding = finding.evidence(signal.raw.clone());
    }
    if crash.panics().len() > 1 {
        finding = finding.evidence(format!(
            "{} panics in sequence (re-panics or panics during recovery)",
            crash.panics().len()
        ));
    }
    Some(finding)
}

/// `crash.data-race`: the race detector's reports, with the accesses of the
/// first one.
fn race_finding(crash: &Crash) -> Option<Finding> {
    let first = crash.races().first()?;
    let accesses = first
        .accesses
        .iter()
        .map(|access| {
            format!(
                "{} at {} by goroutine {}",
                access.access,
                access.addr,
                access
                    .goroutine
                    .map_or("main".to_string(), |goroutine| goroutine.to_string())
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    Some(
        Finding::new(
            &RACE,
            count(crash.races().len(), "data race report", "data race reports"),
            Vec::new(),
        )
        .severity(Severity::High)
        .confidence(Confidence::Certain)
        .explain(RACE.explanation.to_string())
        .evidence(accesses),
    )
}
