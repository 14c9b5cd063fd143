//! Network and processes: HTTP connections never released, reads without
//! deadlines, child processes never reaped.

use super::context::with_proof;
use super::context::Cx;
use crate::analyze::cluster::Cluster;
use crate::analyze::finding::{Finding, Kind, RuleInfo, Severity};
use crate::analyze::phrase::short_site;
use crate::analyze::phrase::{count as count_of, creator_phrase, goroutines_do, with_wait};
use crate::analyze::wait::{ResKind, WaitOp};
use crate::model::Confidence;
use crate::model::{FrameId, Snapshot, TaskFlags};

/// `net.http-body-not-closed`: HTTP client connections piling up (bodies
/// not closed, or a Transport per request).
pub static HTTP_BODY: RuleInfo = RuleInfo {
    id: "net.http-body-not-closed",
    title: "HTTP client connections piling up (bodies not closed, or a Transport per request)",
    kind: Kind::Leak,
    severity: Severity::Medium,
    explanation: "Every open HTTP/1 client connection keeps a persistConn readLoop and writeLoop goroutine. Many of them mean connections that are never returned to a pool: response bodies not closed (or not read to EOF), or a new http.Transport (with its own pool) created per request.",
    cause: "`resp, err := client.Get(url)` without `defer resp.Body.Close()`, or `&http.Client{Transport: &http.Transport{}}` built inside the request path.",
    remedy: "Close every response body (drain it if you want the connection reused) and share one http.Client / Transport for the whole process.",
    sketch: "var client = &http.Client{Timeout: 5 * time.Second} // one per process\n\nresp, err := client.Get(url)\nif err != nil {\n\treturn err\n}\ndefer resp.Body.Close()\n_, _ = io.Copy(io.Discard, resp.Body)",
    references: &["https://pkg.go.dev/net/http#Client", "https://pkg.go.dev/net/http#Transport"],
};

/// `net.read-no-deadline`: network reads blocked for a long time (no deadline).
pub static READ_NO_DEADLINE: RuleInfo = RuleInfo {
    id: "net.read-no-deadline",
    title: "Network reads blocked for a long time (no deadline)",
    kind: Kind::Starvation,
    severity: Severity::Medium,
    explanation: "These goroutines have waited in a network read for a long time. Without a read deadline a dead peer or a half-open connection holds them (and their buffers) forever.",
    cause: "net.Conn reads with no SetReadDeadline, clients without a Timeout, servers without ReadTimeout/IdleTimeout.",
    remedy: "Set deadlines: conn.SetReadDeadline before each read, http.Client{Timeout: ...}, http.Server{ReadTimeout, IdleTimeout}; or pass a context that closes the connection.",
    sketch: "_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))\nn, err := conn.Read(buf)",
    references: &["https://pkg.go.dev/net#Conn"],
};

/// `exec.wait-stuck`: waiting for a child process.
pub static EXEC_WAIT: RuleInfo = RuleInfo {
    id: "exec.wait-stuck",
    title: "Waiting for a child process",
    kind: Kind::Starvation,
    severity: Severity::Low,
    explanation: "These goroutines wait for a child process to exit (os/exec Wait, Run, Output). If the child hangs, or its output pipe is never drained, they wait forever.",
    cause: "A child that blocks on a full stdout/stderr pipe nobody reads, a child that waits for stdin to close, or no timeout on the command.",
    remedy: "Use exec.CommandContext with a timeout, read the pipes concurrently (or use Output/CombinedOutput), close stdin.",
    sketch: "ctx, cancel := context.WithTimeout(ctx, time.Minute)\ndefer cancel()\nout, err := exec.CommandContext(ctx, \"tool\", args...).Output()",
    references: &["https://pkg.go.dev/os/exec#CommandContext"],
};

/// The rules of this family, in catalogue order.
pub static RULES: &[&RuleInfo] = &[&HTTP_BODY, &READ_NO_DEADLINE, &EXEC_WAIT];

/// Client connections (readLoop + writeLoop goroutines) from which a pile-up
/// is reported.
const HTTP_MIN_LOOPS: usize = 8;
/// Minutes in a read before it is reported.
const READ_MINUTES: u32 = 30;

/// Network and process waits: piled-up HTTP client connections, reads with
/// no deadline, waits on a child process.
pub fn run(cx: &mut Cx) {
    http(cx);
    for cluster in cx.clusters {
        if cluster.kind == ResKind::Net
            && cluster.op == WaitOp::Read
            && cluster.wait_max >= READ_MINUTES
        {
            let tasks = cx.unclaimed(&cluster.tasks);
            if tasks.is_empty() || is_server_idle(cx, tasks[0]) {
                continue;
            }
            let finding = with_wait(cluster, read_finding(cx, cluster, tasks));
            cx.push(finding);
        }
        if cluster.kind == ResKind::Process {
            let tasks = cx.unclaimed(&cluster.tasks);
            if tasks.is_empty() {
                continue;
            }
            let finding = with_wait(cluster, exec_finding(cx, cluster, tasks));
            cx.push(finding);
        }
    }
}

/// `net.read-no-deadline`: goroutines of a cluster reading from the network
/// for at least [`READ_MINUTES`].
fn read_finding(cx: &Cx, cluster: &Cluster, tasks: Vec<u32>) -> Finding {
    let site = short_site(cx.snap, cluster.site);
    let count = tasks.len();
    Finding::new(
        &READ_NO_DEADLINE,
        format!(
            "{} blocked reading at {site} for up to {}",
            count_of(count, "goroutine", "goroutines"),
            count_of(cluster.wait_max as usize, "minute", "minutes")
        ),
        tasks,
    )
    .severity(if cluster.count() >= 100 {
        Severity::High
    } else {
        Severity::Medium
    })
    .confidence(Confidence::Possible)
    .explain(format!(
        "{}{}. {}",
        goroutines_do(count, &format!("read at {site}")),
        creator_phrase(cx.snap, cluster),
        READ_NO_DEADLINE.explanation
    ))
}

/// `exec.wait-stuck`: goroutines of a cluster waiting for a child process.
fn exec_finding(cx: &Cx, cluster: &Cluster, tasks: Vec<u32>) -> Finding {
    let site = short_site(cx.snap, cluster.site);
    let count = tasks.len();
    Finding::new(
        &EXEC_WAIT,
        goroutines_do(count, &format!("wait for a child process at {site}")),
        tasks,
    )
    .severity(if cluster.wait_max >= 10 {
        Severity::Medium
    } else {
        Severity::Low
    })
    .confidence(Confidence::Possible)
    .explain(format!(
        "{}. {}",
        goroutines_do(count, &format!("wait at {site}")),
        EXEC_WAIT.explanation
    ))
}

/// Whether a frame of the task's stack is in the function named `name`.
fn has_frame(cx: &Cx, task: u32, name: &str) -> bool {
    let snap = cx.snap;
    let tables = &snap.tables;
    tables
        .stack(snap.tasks[task as usize].stack)
        .frames
        .iter()
        .any(|frame| tables.func_name(tables.frame(*frame).function) == name)
}

/// Whether the task is an HTTP server connection waiting for the next
/// request (normal, not a read without deadline).
fn is_server_idle(cx: &Cx, task: u32) -> bool {
    has_frame(cx, task, "net/http.(*conn).serve")
        || has_frame(cx, task, "net/http.(*connReader).backgroundRead")
}

/// The goroutines of HTTP client connections (`readLoop` and `writeLoop`,
/// or started by `dialConn`), and how many of them are read loops. Each
/// stack and the last creator seen are classified once.
fn connection_loops(snap: &Snapshot) -> (Vec<u32>, usize) {
    let tables = &snap.tables;
    let mut loops: Vec<u32> = Vec::new();
    let mut read_loops = 0usize;
    // Per stack: 0 unknown, 1 readLoop, 2 writeLoop, 3 neither.
    let mut by_stack: Vec<u8> = vec![0; tables.stack_count()];
    let mut dial: Option<(FrameId, bool)> = None;
    for (index, task) in snap.tasks.iter().enumerate() {
        if task.flags.has(TaskFlags::SYSTEM_STACK) {
            continue;
        }
        let Some(kind) = by_stack.get_mut(task.stack.index()) else {
            continue;
        };
        if *kind == 0 {
            let frames = &tables.stack(task.stack).frames;
            let calls = |name: &str| {
                frames
                    .iter()
                    .any(|frame| tables.func_name(tables.frame(*frame).function) == name)
            };
            *kind = if calls("net/http.(*persistConn).readLoop") {
                1
            } else if calls("net/http.(*persistConn).writeLoop") {
                2
            } else {
                3
            };
        }
        let read = *kind == 1;
        let write = *kind == 2
            || !read
                && task.creator.is_some_and(|creator| match dial {
                    Some((known, dials)) if known == creator => dials,
                    _ => {
                        let dials = tables.func_name(tables.frame(creator).function)
                            == "net/http.(*Transport).dialConn";
                        dial = Some((creator, dials));
                        dials
                    }
                });
        if read {
            read_loops += 1;
        }
        if read || write {
            loops.push(index as u32);
        }
    }
    (loops, read_loops)
}

/// Client connections left open: at least [`HTTP_MIN_LOOPS`] readLoop and
/// writeLoop goroutines (`net.http-body-not-closed`).
fn http(cx: &mut Cx) {
    let snap = cx.snap;
    let (loops, read_loops) = connection_loops(snap);
    if loops.len() < HTTP_MIN_LOOPS {
        return;
    }
    let tasks = cx.unclaimed(&loops);
    if tasks.is_empty() {
        return;
    }
    let parents: std::collections::BTreeSet<u64> = tasks
        .iter()
        .filter_map(|&index| snap.tasks[index as usize].parent_id())
        .collect();
    let severity = if read_loops >= 100 {
        Severity::High
    } else {
        Severity::Medium
    };
    let count = tasks.len();
    let finding = Finding::new(
        &HTTP_BODY,
        format!(
            "{read_loops} HTTP client connections held open ({count} readLoop/writeLoop goroutines)"
        ),
        tasks,
    )
    .severity(severity)
    .confidence(Confidence::Possible)
    .explain(format!(
        "{count} persistConn goroutines keep {read_loops} client connections open. {}",
        HTTP_BODY.explanation
    ))
    .evidence(format!(
        "the connections were dialled by {} different goroutines",
        parents.len()
    ));
    let finding = with_proof(cx, finding);
    cx.push(finding);
}
