//! Waits that are normal in a healthy process. They are reported at `info`
//! so that the leak rules that run after them do not call them leaks.

use super::context::Cx;
use crate::analyze::cluster::Cluster;
use crate::analyze::finding::{Finding, Kind, RuleInfo, Severity};
use crate::analyze::phrase::{count, short_site};
use crate::analyze::wait::{ResKind, WaitOp};
use crate::model::Confidence;
use crate::model::TaskFlags;

macro_rules! benign_rule {
    ($name:ident, $id:literal, $title:literal, $expl:literal) => {
        #[doc = concat!("`", $id, "`: ", $title, ".")]
        pub static $name: RuleInfo = RuleInfo {
            id: $id,
            title: $title,
            kind: Kind::Benign,
            severity: Severity::Info,
            explanation: $expl,
            cause: "Normal operation.",
            remedy: "Nothing to do. If this wait is a problem in your service, add a rules file entry (--rules) to raise it.",
            sketch: "",
            references: &["https://pkg.go.dev/go.uber.org/goleak#IgnoreTopFunction"],
        };
    };
}

benign_rule!(
    ACCEPT,
    "benign.accept-loop",
    "Listener accept loop",
    "A server waiting for the next connection."
);
benign_rule!(
    KEEPALIVE,
    "benign.keepalive",
    "Idle keep-alive connection",
    "A server connection waiting for the next request on a keep-alive connection (bounded by the server's IdleTimeout)."
);
benign_rule!(
    SIGNAL,
    "benign.signal",
    "Signal handling",
    "The runtime's signal loop (os/signal) waiting for the next signal."
);
benign_rule!(
    IDLE_LOOP,
    "benign.idle-loop",
    "Idle worker or ticker loop",
    "Goroutines waiting in select (workers waiting for jobs, ticker loops) whose owner is still running and can stop them through their context or channel."
);
benign_rule!(
    PARTNER_ALIVE,
    "benign.partner-alive",
    "Waiting for a live partner",
    "Goroutines waiting on a channel, select, sync.Cond or WaitGroup while a live goroutine that can end the wait runs beside them: one carrying the same object (a connection's read loop beside its write loop, a dispatcher beside its pool), a loop of the same library (an HTTP/2 connection's read loop, net/rpc's input loop), or a worker started beside a WaitGroup's waiter."
);
benign_rule!(
    TEST_RUNNER,
    "benign.test-runner",
    "Test runner",
    "The testing package waiting for a test or its subtests."
);

/// The rules of this family, in catalogue order.
pub static RULES: &[&RuleInfo] = &[
    &ACCEPT,
    &KEEPALIVE,
    &SIGNAL,
    &IDLE_LOOP,
    &PARTNER_ALIVE,
    &TEST_RUNNER,
];

/// Goroutines at one site of a counted profile still read as a loop or pool.
const COUNTED_LOOP_MAX: usize = 8;

fn frames_have(cx: &Cx, task: u32, pred: impl Fn(&str) -> bool) -> bool {
    let snap = cx.snap;
    let tables = &snap.tables;
    tables
        .stack(snap.tasks[task as usize].stack)
        .frames
        .iter()
        .any(|f| pred(tables.func_name(tables.frame(*f).function)))
}

fn classify(cx: &Cx, c: &Cluster) -> Option<&'static RuleInfo> {
    if c.leaked > 0 {
        // Only the waiters Go did not prove leaked may have a partner.
        return partnered(cx, c);
    }
    let t0 = *c.tasks.first()?;
    if c.kind == ResKind::Net && c.op == WaitOp::Accept {
        return Some(&ACCEPT);
    }
    if c.kind == ResKind::Signal || frames_have(cx, t0, |f| f.starts_with("os/signal.")) {
        return Some(&SIGNAL);
    }
    if c.kind == ResKind::Net
        && frames_have(cx, t0, |f| {
            f == "net/http.(*conn).serve" || f == "net/http.(*connReader).backgroundRead"
        })
    {
        return Some(&KEEPALIVE);
    }
    if frames_have(cx, t0, |f| {
        f == "testing.tRunner"
            || f == "testing.(*T).Run"
            || f == "testing.runTests"
            || f == "testing.(*M).Run"
    }) {
        return Some(&TEST_RUNNER);
    }
    // Profiles that count goroutines (pprof debug=0/1) say nothing of who
    // started them or whether that scope returned: a handful parked at one
    // site is read as a service's own loop or pool, as in tracebacks.
    let counted = cx.snap.tasks[t0 as usize].flags.has(TaskFlags::NO_ID)
        && c.creator.is_none()
        && c.count() <= COUNTED_LOOP_MAX;
    if c.kind == ResKind::Select
        && c.op == WaitOp::Select
        && c.outlived == 0
        && (c.creator.is_some() || counted)
    {
        return Some(&IDLE_LOOP);
    }
    if counted && c.kind == ResKind::Other && c.op == WaitOp::Wait {
        return Some(&IDLE_LOOP);
    }
    partnered(cx, c)
}

/// `benign.partner-alive` for waits that a live partner can still end.
fn partnered(cx: &Cx, c: &Cluster) -> Option<&'static RuleInfo> {
    let kinds = matches!(
        (c.kind, c.op),
        (ResKind::Chan, WaitOp::Recv | WaitOp::Unknown)
            | (ResKind::Select, WaitOp::Select)
            | (ResKind::Cond | ResKind::WaitGroup | ResKind::Errgroup, _)
            | (ResKind::Other, WaitOp::Wait)
    );
    (kinds && cx.partner(c).is_some_and(|p| !p.weak)).then_some(&PARTNER_ALIVE)
}

/// Reports the clusters that wait as a healthy process does (accept loops,
/// keep-alives, signal handlers, idle pools, the test runner)
/// at `info`, and claims their tasks.
pub fn run(cx: &mut Cx) {
    for c in cx.clusters {
        let Some(rule) = classify(cx, c) else {
            continue;
        };
        let mut tasks = cx.unclaimed(&c.tasks);
        let partner = if rule.id == PARTNER_ALIVE.id {
            cx.partner(c)
        } else {
            None
        };
        if let Some(partnered) = &partner {
            // Only the waiters that have a partner: the others are left to
            // the rules that follow.
            tasks.retain(|t| partnered.tasks.binary_search(t).is_ok());
        }
        if tasks.is_empty() {
            continue;
        }
        let site = short_site(cx.snap, c.site);
        let mut finding = Finding::new(
            rule,
            format!(
                "{}: {} at {site}",
                rule.title,
                count(tasks.len(), "goroutine", "goroutines")
            ),
            tasks.clone(),
        )
        .confidence(Confidence::Likely)
        .explain(format!(
            "{} at {site}. {}",
            count(tasks.len(), "goroutine", "goroutines"),
            rule.explanation
        ));
        if let Some(partnered) = partner {
            finding = finding.evidence(partnered.evidence);
        }
        cx.push(finding);
    }
}
