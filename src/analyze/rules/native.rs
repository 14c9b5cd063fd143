//! Crashes of runtimes other than Go, explained in their own terms: Rust
//! panics, native crashes (fatal signals, sanitizer reports) and Python
//! interpreter crashes. The Go families do not run on these dumps.

use super::context::Cx;
use crate::analyze::finding::{Finding, Kind, RuleInfo, Severity};
use crate::analyze::phrase::{one_line, user_site};
use crate::model::Confidence;
use crate::model::Runtime;

/// `crash.rust-panic`: a Rust panic.
pub static RUST_PANIC: RuleInfo = RuleInfo {
    id: "crash.rust-panic",
    title: "Rust panic",
    kind: Kind::Crash,
    severity: Severity::Critical,
    explanation: "A Rust thread panicked: an `unwrap`/`expect` on an error or `None`, an index out of bounds, an overflow in a debug build, or an explicit `panic!`. A panic in the main thread ends the process; in another thread it ends that thread and poisons the mutexes it held.",
    cause: "An error path the code assumed impossible: `unwrap()` on input-derived data, slice indexing with an unchecked length.",
    remedy: "Go to the innermost frame of the program's own code below the panic machinery (`core::panicking`, `std::panicking`) and handle the error there: `?`, `match`, `get()` instead of indexing. Read the message first: it usually names the value.",
    sketch: "let v = map.get(&key).ok_or(Error::Missing(key))?;",
    references: &["https://doc.rust-lang.org/book/ch09-00-error-handling.html"],
};

/// `crash.native`: a native crash (a fatal signal or a sanitizer report).
pub static NATIVE_CRASH: RuleInfo = RuleInfo {
    id: "crash.native",
    title: "Native crash",
    kind: Kind::Crash,
    severity: Severity::Critical,
    explanation: "The process stopped on a fatal signal or a sanitizer report (use after free, buffer overflow, lock-order inversion). The first stack is where it was detected; the report's other stacks (where memory was freed or allocated, where the other lock was taken) explain how it got there.",
    cause: "Memory used after it was freed or outside its bounds, a null pointer, an abort on a failed check, or two locks taken in opposite orders.",
    remedy: "Symbolize the report against the exact binary (`--binary`, `--debug-dir`) if it shows raw addresses, then start from the innermost frame of the program's own code in the first stack.",
    sketch: "",
    references: &["https://github.com/google/sanitizers/wiki/AddressSanitizer"],
};

/// `crash.lock-order-inversion`: ThreadSanitizer saw two locks taken in
/// opposite orders: a deadlock waiting to happen, not a stop.
pub static LOCK_ORDER_INVERSION: RuleInfo = RuleInfo {
    id: "crash.lock-order-inversion",
    title: "Potential deadlock (lock-order inversion)",
    kind: Kind::Crash,
    severity: Severity::High,
    explanation: "ThreadSanitizer saw threads take the same mutexes in opposite orders (its cycle in the lock order graph). Nothing hung in this run, and the process went on; the day the threads run at the same moment, each holds one mutex and waits for the other forever. The report's stacks show where each mutex was taken while the other was held.",
    cause: "Two code paths lock the same pair of mutexes in opposite orders (a transfer from A to B and one from B to A, a callback taking a lock its caller holds the other way round).",
    remedy: "Take the mutexes in one global order everywhere (by address or by a rank), or take both at once (`std::scoped_lock`, `std::lock`), or do not hold one while taking the other.",
    sketch: "first, second = sorted([a, b], key=id)  # then lock first, then second, on every path",
    references: &["https://github.com/google/sanitizers/wiki/ThreadSanitizerDeadlockDetector"],
};

/// `crash.python`: a Python interpreter crash.
pub static PYTHON_CRASH: RuleInfo = RuleInfo {
    id: "crash.python",
    title: "Python interpreter crash",
    kind: Kind::Crash,
    severity: Severity::Critical,
    explanation: "The interpreter itself died (`Fatal Python error`): a segmentation fault or abort in C code, most often an extension module or ctypes, not a Python exception. faulthandler printed every thread's Python stack at that moment; the current thread is the one that crashed.",
    cause: "A C extension or ctypes call that dereferenced a bad pointer, a native library used from several threads without its lock, or memory exhausted in C.",
    remedy: "Start from the crashing thread's innermost frame of your own code: that call went into C with something it could not handle. Run it with `python -X dev` and, for extension modules, under gdb (`py-bt`) to see the C side.",
    sketch: "",
    references: &["https://docs.python.org/3/library/faulthandler.html"],
};

/// The rules of this family, in catalogue order.
pub static RULES: &[&RuleInfo] = &[
    &RUST_PANIC,
    &NATIVE_CRASH,
    &LOCK_ORDER_INVERSION,
    &PYTHON_CRASH,
];

/// Explains the crash record of a runtime other than Go: a Rust panic, a
/// fatal signal, a Python interpreter crash.
pub fn run(cx: &mut Cx) {
    let snap = cx.snap;
    let Some(crash) = &snap.crash else { return };
    let rule = match snap.runtime {
        Runtime::Rust => &RUST_PANIC,
        // The sanitizer names the report's kind in its title.
        Runtime::Native if crash.message.contains("lock-order-inversion") => &LOCK_ORDER_INVERSION,
        Runtime::Native => &NATIVE_CRASH,
        Runtime::Python => &PYTHON_CRASH,
        _ => return,
    };
    let crashing = crash
        .task_id
        .and_then(|id| snap.tasks.iter().position(|t| t.id == id))
        .or((!snap.tasks.is_empty()).then_some(0))
        .map(|i| i as u32);
    let msg = if crash.message.is_empty() {
        rule.title
    } else {
        &crash.message
    };
    // A lock-order report names its cycle after the sanitizer's title.
    let order = crash
        .message
        .split_once("(potential deadlock): ")
        .map(|(_, cycle)| format!("lock order {cycle}"));
    let msg = match (std::ptr::eq(rule, &LOCK_ORDER_INVERSION), &order) {
        (true, Some(order)) => order.as_str(),
        _ => msg,
    };
    let place = crashing.and_then(|i| user_site(cx.snap, i));
    let title = match &place {
        Some(p) => format!("{}: {} in {p}", rule.title, one_line(msg)),
        None => format!("{}: {}", rule.title, one_line(msg)),
    };
    // A lock-order report's stacks are all part of it: each shows where
    // one mutex was taken while the other was held.
    let tasks = if std::ptr::eq(rule, &LOCK_ORDER_INVERSION) {
        (0..snap.tasks.len() as u32).collect()
    } else {
        crashing.into_iter().collect()
    };
    let mut finding = Finding::new(rule, title, tasks)
        .confidence(Confidence::Certain)
        .explain(format!("{}. {}", one_line(msg), rule.explanation));
    for p in crash.panics().iter().skip(1).take(8) {
        finding = finding.evidence(format!("also: {}", one_line(&p.message)));
    }
    let threads = snap.tasks.len();
    if threads > 1 {
        finding = finding.evidence(format!("{threads} stacks in the dump"));
    }
    cx.findings.push(finding);
}
