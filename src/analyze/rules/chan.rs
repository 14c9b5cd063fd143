//! Channels: nil channels, `select {}`, stranded senders, receivers on a
//! channel nobody closes, goroutines that outlive their context.

use super::context::{with_proof, Cx};
use crate::analyze::cluster::Cluster;
use crate::analyze::finding::{Finding, Kind, RuleInfo, Severity};
use crate::analyze::phrase::{count, creator_phrase, goroutines_do, scale, short_site, with_wait};
use crate::analyze::wait::{ResKey, ResKind, WaitOp};
use crate::model::Confidence;

/// `chan.nil`: operation on a nil channel.
pub static NIL_CHAN: RuleInfo = RuleInfo {
    id: "chan.nil",
    title: "Operation on a nil channel",
    kind: Kind::BlockedForever,
    severity: Severity::High,
    explanation: "A send or receive on a nil channel blocks forever: these goroutines can never wake.",
    cause: "A channel field or variable was declared but never initialised with make, or was set to nil to disable a select case and then used outside a select.",
    remedy: "Initialise the channel with make before starting the goroutines that use it (in the constructor).",
    sketch: "func NewNotifier() *Notifier {\n\treturn &Notifier{events: make(chan string, 16)}\n}",
    references: &["https://go.dev/ref/spec#Channel_types", "https://go.dev/ref/spec#Send_statements"],
};

/// `chan.select-forever`: goroutine parked in select {}.
pub static SELECT_FOREVER: RuleInfo = RuleInfo {
    id: "chan.select-forever",
    title: "Goroutine parked in select {}",
    kind: Kind::BlockedForever,
    severity: Severity::High,
    explanation: "`select {}` has no cases and blocks forever: the goroutine and everything it references stay alive until the process exits.",
    cause: "A placeholder loop (`select {}` to 'keep running') left in a goroutine that was meant to do work or to stop with its owner.",
    remedy: "Wait on something that ends: ctx.Done(), a quit channel, or return.",
    sketch: "func (r *Reporter) run(ctx context.Context) {\n\t<-ctx.Done()\n}",
    references: &["https://go.dev/ref/spec#Select_statements"],
};

/// `chan.stranded-senders`: senders stranded on a channel nobody receives from.
pub static STRANDED_SENDERS: RuleInfo = RuleInfo {
    id: "chan.stranded-senders",
    title: "Senders stranded on a channel nobody receives from",
    kind: Kind::Leak,
    severity: Severity::Medium,
    explanation: "These goroutines wait to send on a channel whose receiver has gone (it returned after a timeout, an error or the first result). Each leaked goroutine keeps its stack and everything it references.",
    cause: "An unbuffered result channel shared with workers, and a caller that stops receiving early (select with time.After, return on first error).",
    remedy: "Give the channel room for every sender (make(chan T, n)), or have senders select on ctx.Done() as well, and cancel the context when the caller returns.",
    sketch: "results := make(chan Quote, len(backends)) // every sender can finish\n// or, in the sender:\nselect {\ncase out <- q:\ncase <-ctx.Done():\n}",
    references: &["https://go.dev/blog/pipelines", "https://go.dev/blog/context"],
};

/// `chan.range-not-closed`: receivers waiting on a channel that is never closed.
pub static RANGE_NOT_CLOSED: RuleInfo = RuleInfo {
    id: "chan.range-not-closed",
    title: "Receivers waiting on a channel that is never closed",
    kind: Kind::Leak,
    severity: Severity::Medium,
    explanation: "These goroutines wait to receive (typically `for v := range ch`) and no goroutine that could send on or close the channel is left: the loop never ends.",
    cause: "The producer finished without close(ch), or returned early on an error path that skips the close.",
    remedy: "The single owner of the channel closes it when it is done sending (defer close(ch) in the producer); consumers then leave their range loop.",
    sketch: "func (p *Pipeline) produce(orders []Order) {\n\tdefer close(p.jobs) // consumers' range loops end\n\tfor _, o := range orders {\n\t\tp.jobs <- o\n\t}\n}",
    references: &["https://go.dev/blog/pipelines", "https://go.dev/ref/spec#For_range"],
};

/// `chan.ctx-never-cancelled`: goroutines outlive the request that started them.
pub static CTX_NEVER_CANCELLED: RuleInfo = RuleInfo {
    id: "chan.ctx-never-cancelled",
    title: "Goroutines outlive the request that started them",
    kind: Kind::Leak,
    severity: Severity::Medium,
    explanation: "These goroutines wait in a select (typically on ctx.Done() and a channel) and the function that started them has returned. Nothing will cancel their context or feed their channel.",
    cause: "context.WithCancel/WithTimeout whose cancel is never called, or a context.Background() used where the request's context should have been passed down.",
    remedy: "Call cancel on every path (defer cancel() right after WithCancel), and pass the caller's ctx down instead of context.Background().",
    sketch: "ctx, cancel := context.WithCancel(r.Context())\ndefer cancel() // the watcher returns with the handler\ngo watchInventory(ctx, sku, updates)",
    references: &["https://pkg.go.dev/context", "https://go.dev/blog/context"],
};

/// The rules of this family, in catalogue order.
pub static RULES: &[&RuleInfo] = &[
    &NIL_CHAN,
    &SELECT_FOREVER,
    &STRANDED_SENDERS,
    &RANGE_NOT_CLOSED,
    &CTX_NEVER_CANCELLED,
];

/// Nil channels and `select {}`: blocked forever by construction.
pub fn run_forever(cx: &mut Cx) {
    for c in cx.clusters {
        let rule: &'static RuleInfo = match c.op {
            WaitOp::NilRecv | WaitOp::NilSend => &NIL_CHAN,
            WaitOp::SelectNoCases => &SELECT_FOREVER,
            _ => continue,
        };
        let tasks = cx.unclaimed(&c.tasks);
        if tasks.is_empty() {
            continue;
        }
        let site = short_site(cx.snap, c.site);
        let in_main = c.site.is_some_and(|finding| {
            cx.snap
                .tables
                .func_name(cx.snap.tables.frame(finding).function)
                == "main.main"
        });
        let what = match c.op {
            WaitOp::NilRecv => "receive from a nil channel",
            WaitOp::NilSend => "send on a nil channel",
            _ => "sit in select {}",
        };
        let mut finding = Finding::new(
            rule,
            goroutines_do(tasks.len(), &format!("{what} at {site}")),
            tasks.clone(),
        )
        .confidence(Confidence::Certain)
        .explain(format!(
            "{}{}. {}",
            goroutines_do(tasks.len(), &format!("{what} at {site}")),
            creator_phrase(cx.snap, c),
            rule.explanation
        ))
        .evidence(format!(
            "state `{}` blocks forever by construction",
            cx.snap.state(&cx.snap.tasks[tasks[0] as usize])
        ));
        if in_main && c.op == WaitOp::SelectNoCases {
            finding = finding.severity(Severity::Low).evidence(
                "main parks itself on purpose; the process keeps serving from other goroutines",
            );
        }
        finding = with_proof(cx, finding);
        cx.push(finding);
    }
}

/// Senders, receivers and select loops left behind.
pub fn run(cx: &mut Cx) {
    for c in cx.clusters {
        match (c.kind, c.op) {
            (ResKind::Chan, WaitOp::Send) => senders(cx, c),
            (ResKind::Chan, WaitOp::Recv) | (ResKind::Chan, WaitOp::Unknown) => receivers(cx, c),
            (ResKind::Select, WaitOp::Select) => selects(cx, c),
            _ => {}
        }
    }
}

fn senders(cx: &mut Cx, c: &Cluster) {
    let tasks = cx.unclaimed(&c.tasks);
    if tasks.is_empty() {
        return;
    }
    let orphan = orphaned(cx, c);
    let leaked = cx.leaked(&tasks);
    let outlived = c.outlived == c.count() && c.count() > 0;
    let site = short_site(cx.snap, c.site);
    let mut finding = Finding::new(
        &STRANDED_SENDERS,
        format!(
            "{} stuck sending at {site}",
            count(tasks.len(), "goroutine", "goroutines")
        ),
        tasks.clone(),
    );
    let mut ev = Vec::new();
    if outlived {
        ev.push(format!(
            "the function that started them ({}) has returned",
            short_site(cx.snap, c.creator)
        ));
    }
    if let Some(e) = &orphan {
        ev.push(e.clone());
    }
    let strong = outlived || orphan.is_some() || leaked > 0;
    finding = finding
        .severity(scale(
            if strong {
                Severity::Medium
            } else {
                Severity::Low
            },
            c,
        ))
        .confidence(if orphan.is_some() || outlived {
            Confidence::Likely
        } else {
            Confidence::Possible
        })
        .explain(format!(
            "{}{}. {}",
            goroutines_do(tasks.len(), &format!("block sending at {site}")),
            creator_phrase(cx.snap, c),
            STRANDED_SENDERS.explanation
        ));
    finding.evidence.extend(ev);
    finding = with_wait(c, finding);
    finding = with_proof(cx, finding);
    cx.push(finding);
}

fn receivers(cx: &mut Cx, c: &Cluster) {
    let tasks = cx.unclaimed(&c.tasks);
    if tasks.is_empty() {
        return;
    }
    let leaked = cx.leaked(&tasks);
    let held = live_reference(cx, c);
    let outlived = c.outlived == c.count() && c.count() > 0;
    // Several goroutines on one unnamed channel are a leak only while no
    // live goroutine could still hold the channel: with its address not in
    // the dump, any live worker might.
    // A channel no other frame carries may still be reached through the
    // heap by a live worker: it is orphaned only when no worker is live.
    let unknown_reach = if held.is_none() && !outlived {
        cx.live_worker(c)
    } else {
        None
    };
    let orphan = orphaned(cx, c).filter(|_| unknown_reach.is_none());
    let strong = leaked > 0
        || (held.is_none()
            && (outlived || orphan.is_some() || (c.count() >= 2 && unknown_reach.is_none())));
    let site = short_site(cx.snap, c.site);
    let mut finding = Finding::new(
        &RANGE_NOT_CLOSED,
        if held.is_some() || unknown_reach.is_some() {
            goroutines_do(tasks.len(), &format!("wait to receive at {site}"))
        } else {
            goroutines_do(
                tasks.len(),
                &format!("wait to receive at {site} and nothing will send or close"),
            )
        },
        tasks.clone(),
    )
    .severity(scale(
        if strong {
            Severity::Medium
        } else {
            Severity::Low
        },
        c,
    ))
    .confidence(if leaked > 0 {
        Confidence::Certain
    } else if orphan.is_some() {
        Confidence::Likely
    } else {
        Confidence::Possible
    })
    .explain(format!(
        "{}{}. {}",
        goroutines_do(tasks.len(), &format!("wait to receive at {site}")),
        creator_phrase(cx.snap, c),
        // The rule says nobody is left to send or close: not when a live
        // goroutine carries the channel.
        if held.is_some() {
            "These goroutines wait to receive (typically `for v := range ch`); a goroutine that carries the channel is alive and may still send on or close it."
        } else if unknown_reach.is_some() {
            "These goroutines wait to receive (typically `for v := range ch`); the dump does not show the channel, and live goroutines that may hold it are running: if the wait outlasts the next dump, find who owns the channel and make it close it when done."
        } else {
            RANGE_NOT_CLOSED.explanation
        }
    ));
    if let Some(h) = held {
        finding = finding.evidence(h);
    } else if let Some(reach) = unknown_reach {
        finding = finding.evidence(reach);
    } else if let Some(o) = orphan {
        finding = finding.evidence(o);
    } else {
        finding = finding.evidence("the channel's address is not in the dump (run with GOTRACEBACK=system to see it); no goroutine is blocked sending to it");
    }
    finding = cx.weakly_partnered(c, with_wait(c, finding));
    finding = with_proof(cx, finding);
    cx.push(finding);
}

fn selects(cx: &mut Cx, c: &Cluster) {
    let outlived = c.outlived == c.count() && c.count() > 0;
    let leaked = cx.leaked(&c.tasks);
    if !outlived && leaked == 0 {
        return;
    }
    let tasks = cx.unclaimed(&c.tasks);
    if tasks.is_empty() {
        return;
    }
    let site = short_site(cx.snap, c.site);
    let mut finding = Finding::new(
        &CTX_NEVER_CANCELLED,
        goroutines_do(
            tasks.len(),
            &format!("wait in select at {site} after their creator returned"),
        ),
        tasks.clone(),
    )
    .severity(scale(
        if c.count() >= 2 || leaked > 0 {
            Severity::Medium
        } else {
            Severity::Low
        },
        c,
    ))
    .confidence(if leaked > 0 {
        Confidence::Certain
    } else {
        Confidence::Possible
    })
    .explain(format!(
        "{}{}. {}",
        goroutines_do(tasks.len(), &format!("wait in select at {site}")),
        creator_phrase(cx.snap, c),
        CTX_NEVER_CANCELLED.explanation
    ));
    if outlived {
        finding = finding.evidence(format!(
            "the function that started them ({}) is no longer on its goroutine's stack",
            short_site(cx.snap, c.creator)
        ));
    }
    finding = cx.weakly_partnered(c, with_wait(c, finding));
    finding = with_proof(cx, finding);
    cx.push(finding);
}

/// A channel whose address appears only in the goroutines blocked on it.
fn orphaned(cx: &Cx, c: &Cluster) -> Option<String> {
    let graph = cx.graph;
    let resource = graph
        .res_of
        .get(*c.tasks.first()? as usize)
        .copied()
        .flatten()?;
    let res = &graph.resources[resource as usize];
    match res.key {
        ResKey::Addr(a) if !res.referenced && res.holders.is_empty() => Some(format!(
            "channel {a:#x} appears only in the goroutines blocked on it: no other goroutine can reach it"
        )),
        _ => None,
    }
}

/// A live goroutine that carries the channel, when one is known.
fn live_reference(cx: &Cx, c: &Cluster) -> Option<String> {
    let graph = cx.graph;
    let resource = graph
        .res_of
        .get(*c.tasks.first()? as usize)
        .copied()
        .flatten()?;
    let holder = graph.resources[resource as usize].holders.first()?;
    Some(format!(
        "goroutine {} may still send: {}",
        cx.snap.tasks[holder.task as usize].id, holder.evidence
    ))
}
