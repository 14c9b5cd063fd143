//! Can this wait still end? A waiting goroutine is only blocked forever
//! when no live goroutine can be its partner. This module finds the partner
//! from the dump's evidence:
//!
//! - the same object: a live goroutine carries, as a receiver or first
//!   argument, the object a method on the waiter's stack runs on (a
//!   connection's readLoop beside its writeLoop, a dispatcher beside the
//!   pool it feeds);
//! - the ecosystem's own loops ([`crate::model::vocab::go::PARTNERS`]): a
//!   live loop of the same library that ends such waits (an HTTP/2
//!   connection's read loop for its streams, net/rpc's input loop for its
//!   calls);
//! - for a WaitGroup waited on in a closure, a live goroutine in another
//!   closure of the same function (the workers that call Done);
//! - when no argument word names the waiters' object (profiles at debug=1,
//!   inlined frames), a live goroutine in a method of the same type: weak
//!   evidence, which keeps a finding at low rather than dismissing it.
//!
//! A goroutine is live when it can make progress by itself (running,
//! runnable, IO, a system call, a timer) or waits in a `select`, on the
//! network, a timer, a signal or a child process, and Go did not prove it
//! leaked. The index is built once per snapshot, only when a rule asks.

use super::cluster::Cluster;
use super::graph::WaitGraph;
use super::wait::{self, ResKind, WaitOp};
use crate::model::vocab::{
    self,
    go::{OWNING_LIBRARIES, PARTNERS},
};
use crate::model::{CodeKind, FuncId, Snapshot, Sym, TaskFlags};
use rustc_hash::FxHashMap;

/// Tasks kept per carried word.
const PER_WORD: usize = 4;

/// The live (task, frame) pairs that carry one word, the first
/// [`PER_WORD`] of them.
#[derive(Debug, Default, Clone, Copy)]
struct Carriers {
    len: u8,
    at: [(u32, u16); PER_WORD],
}

impl Carriers {
    fn push(&mut self, task: u32, frame: u16) {
        let len = self.len as usize;
        if len < PER_WORD && (len == 0 || self.at[len - 1].0 != task) {
            self.at[len] = (task, frame);
            self.len += 1;
        }
    }

    fn as_slice(&self) -> &[(u32, u16)] {
        &self.at[..self.len as usize]
    }
}

/// What the live goroutines of a snapshot carry and run.
#[derive(Debug, Default)]
pub struct Partners {
    /// Pointer words live goroutines carry as a frame's first argument, with
    /// up to [`PER_WORD`] (task, frame) pairs each (inline: no allocation
    /// per word).
    carried: FxHashMap<u64, Carriers>,
    /// Functions on live goroutines' stacks, with one task running each.
    funcs: FxHashMap<FuncId, u32>,
    /// (package, receiver type) of methods on live goroutines' stacks.
    types: FxHashMap<(Sym, Sym), u32>,
    /// The first [`WORKERS`] live goroutines that run the program's or a
    /// library's code and are not writing the dump.
    workers: Vec<u32>,
}

/// Live workers kept: enough to name one outside any cluster.
const WORKERS: usize = 8;

/// Classes of a function, as bits: worked out, the program's or a library's
/// code, a dump writer, a frame whose argument words say nothing.
const CLASSIFIED: u8 = 1;
const USER: u8 = 2;
const DUMPER: u8 = 4;
const NO_WORDS: u8 = 8;

/// Whether a task is live: it can make progress by itself or waits on
/// something that ends by itself or from outside the process.
pub fn is_live(snap: &Snapshot, graph: &WaitGraph, task: u32) -> bool {
    let Some(t) = snap.tasks.get(task as usize) else {
        return false;
    };
    if t.flags.has(TaskFlags::SYSTEM_STACK) || t.flags.has(TaskFlags::LEAKED) {
        return false;
    }
    match graph.waits.get(task as usize).copied().flatten() {
        None => t.class.can_progress(),
        Some(w) => match w.kind {
            ResKind::Net
            | ResKind::Timer
            | ResKind::Syscall
            | ResKind::Signal
            | ResKind::Cgo
            | ResKind::Process => true,
            ResKind::Select => w.op == WaitOp::Select,
            // A profile that counts goroutines hides the runtime's frames:
            // an unnamed wait there may be a select or a timer.
            ResKind::Other => t.flags.has(TaskFlags::NO_ID) || t.class.can_progress(),
            _ => t.class.can_progress(),
        },
    }
}

impl Partners {
    /// The index of a snapshot's live goroutines.
    pub fn build(snap: &Snapshot, graph: &WaitGraph) -> Self {
        let tables = &snap.tables;
        let mut out = Partners::default();
        let mut seen_stacks = vec![false; tables.stack_count()];
        // What each function is, worked out once: the program's or a
        // library's code, a dump writer, a frame whose words say nothing.
        let mut classes = vec![0u8; tables.func_count()];
        let mut class_of = |function: FuncId| {
            let slot = &mut classes[function.index()];
            if *slot == 0 {
                let func = tables.function(function);
                let name = tables.str(func.full);
                *slot = CLASSIFIED
                    | if func.kind == CodeKind::User { USER } else { 0 }
                    | if vocab::writes_dump(name) { DUMPER } else { 0 }
                    | if func.kind == CodeKind::Runtime || wait::is_impl_frame(name, func.kind) {
                        NO_WORDS
                    } else {
                        0
                    };
            }
            *slot
        };
        for (index, task) in snap.tasks.iter().enumerate() {
            let index = index as u32;
            if !is_live(snap, graph, index) {
                continue;
            }
            let frames = &tables.stack(task.stack).frames;
            let first_of_stack = seen_stacks
                .get_mut(task.stack.index())
                .is_some_and(|seen| !std::mem::replace(seen, true));
            let mut stack_class = 0u8;
            for (fi, frame) in frames.iter().enumerate().take(u16::MAX as usize) {
                let function = tables.frame(*frame).function;
                let class = class_of(function);
                stack_class |= class;
                if first_of_stack {
                    let func = tables.function(function);
                    out.funcs.entry(function).or_insert(index);
                    if let Some(receiver) = func.receiver {
                        out.types.entry((func.package, receiver)).or_insert(index);
                    }
                }
                if class & NO_WORDS != 0 {
                    continue;
                }
                let args = wait::frame_args(snap, task, fi);
                for (_, word) in wait::ptr_args(first_arg(args)) {
                    out.carried.entry(word).or_default().push(index, fi as u16);
                }
            }
            // The goroutine whose panic wrote the dump is ending the process.
            let crashing = || {
                snap.crash
                    .as_ref()
                    .is_some_and(|crash| crash.task_id == Some(task.id))
            };
            if out.workers.len() < WORKERS
                && stack_class & USER != 0
                && stack_class & DUMPER == 0
                && !crashing()
            {
                out.workers.push(index);
            }
        }
        out
    }

    /// A live goroutine outside the cluster that runs the program's or a
    /// library's code (not the dump writer): when no other frame carries
    /// the channel, such a goroutine may still reach it through memory the
    /// dump does not show.
    pub fn live_worker(&self, snap: &Snapshot, c: &Cluster) -> Option<String> {
        let task = *self.workers.iter().find(|t| !in_cluster(c, **t))?;
        let worker = snap.tasks.get(task as usize)?;
        let tables = &snap.tables;
        let top = tables
            .stack(worker.stack)
            .frames
            .iter()
            .map(|f| tables.function(tables.frame(*f).function))
            .find(|f| f.kind == CodeKind::User)
            .map_or("", |f| tables.str(f.full));
        Some(format!(
            "no other goroutine's frames carry the channel, but goroutine {} in {top} is live ({}) and may reach it through memory the dump does not show: nothing shows it cannot send on or close the channel",
            worker.id,
            snap.state(worker)
        ))
    }

    /// Which waiters of a cluster may still be woken, and why; `None` when
    /// no live goroutine can be the partner of any of them. The library's
    /// loops, the type and the siblings vouch for the whole cluster; a
    /// carried object for each waiter that shares it.
    pub fn of_cluster(&self, snap: &Snapshot, graph: &WaitGraph, c: &Cluster) -> Option<Partnered> {
        // Go's proof overrides any partner: a goroutine it marks leaked is
        // never partnered.
        let leaked = |t: &u32| {
            snap.tasks
                .get(*t as usize)
                .is_some_and(|task| task.flags.has(TaskFlags::LEAKED))
        };
        let unproven: Vec<u32> = if c.leaked > 0 {
            c.tasks.iter().copied().filter(|t| !leaked(t)).collect()
        } else {
            c.tasks.clone()
        };
        if unproven.is_empty() {
            return None;
        }
        let whole = |evidence: String| Partnered {
            tasks: unproven.clone(),
            evidence,
            weak: false,
        };
        if let Some(evidence) = self
            .by_vocabulary(snap, c)
            .or_else(|| self.by_library(snap, c))
        {
            return Some(whole(evidence));
        }
        match self.by_object(snap, graph, c) {
            Objects::Found(mut partnered) => {
                partnered.tasks.retain(|t| !leaked(t));
                if !partnered.tasks.is_empty() {
                    return Some(partnered);
                }
            }
            Objects::NoWords => {
                if let Some(evidence) = self.by_type(snap, c) {
                    return Some(Partnered {
                        weak: true,
                        ..whole(evidence)
                    });
                }
            }
            Objects::NoPartner => {}
        }
        self.by_siblings(snap, c).map(whole)
    }

    /// The waiters are goroutines a library started and owns (their wait
    /// site and their creator are both in one of
    /// [`OWNING_LIBRARIES`]), and a goroutine of the same library is live:
    /// the library is at work, and it ends its goroutines when the object
    /// that runs them is closed.
    fn by_library(&self, snap: &Snapshot, c: &Cluster) -> Option<String> {
        let tables = &snap.tables;
        let site = tables.func_name(tables.frame(c.site?).function);
        let library = OWNING_LIBRARIES.iter().find(|l| site.starts_with(**l))?;
        // Started by the library: its creator, or (in profiles that print
        // no creator) the goroutine's outermost function, is the library's.
        let started_by = match c.creator {
            Some(creator) => tables.func_name(tables.frame(creator).function),
            None => {
                let first = snap.tasks.get(*c.tasks.first()? as usize)?;
                let outermost = *tables.stack(first.stack).frames.last()?;
                tables.func_name(tables.frame(outermost).function)
            }
        };
        if !started_by.starts_with(library) {
            return None;
        }
        let (function, task) = self
            .funcs
            .iter()
            .filter(|(_, task)| !in_cluster(c, **task))
            .find(|(function, _)| tables.func_name(**function).starts_with(library))?;
        let partner = &snap.tasks[*task as usize];
        Some(format!(
            "{library} started them and owns them; its goroutine {} in {} is live ({}): the library ends them when the object that runs them is closed",
            partner.id,
            tables.func_name(*function),
            snap.state(partner)
        ))
    }

    /// A live loop of the library the waiters wait in.
    fn by_vocabulary(&self, snap: &Snapshot, c: &Cluster) -> Option<String> {
        let tables = &snap.tables;
        let first = snap.tasks.get(*c.tasks.first()? as usize)?;
        let frames = &tables.stack(first.stack).frames;
        for frame in frames {
            let name = tables.func_name(tables.frame(*frame).function);
            let Some(entry) = PARTNERS.iter().find(|p| p.waiter == name) else {
                continue;
            };
            for (function, task) in &self.funcs {
                let partner = tables.func_name(*function);
                if entry.names().any(|name| name == partner) && !in_cluster(c, *task) {
                    return Some(format!(
                        "goroutine {} in {partner} is live ({}): {}",
                        snap.tasks[*task as usize].id,
                        snap.state(&snap.tasks[*task as usize]),
                        entry.why
                    ));
                }
            }
        }
        None
    }

    /// The waiters that run a method on an object a live goroutine carries.
    fn by_object(&self, snap: &Snapshot, graph: &WaitGraph, c: &Cluster) -> Objects {
        let tables = &snap.tables;
        let mut example: Option<(u32, u32, u16, u64)> = None;
        let mut any_words = false;
        let mut partnered: Vec<u32> = Vec::new();
        for &waiter in &c.tasks {
            let Some(task) = snap.tasks.get(waiter as usize) else {
                continue;
            };
            let start = graph
                .waits
                .get(waiter as usize)
                .copied()
                .flatten()
                .map_or(0, |w| w.prim_end as usize + 1);
            let frames = &tables.stack(task.stack).frames;
            let mut found = None;
            for (fi, frame) in frames.iter().enumerate().skip(start) {
                let func = tables.function(tables.frame(*frame).function);
                if func.receiver.is_none() || func.kind == CodeKind::Runtime {
                    continue;
                }
                let args = wait::frame_args(snap, task, fi);
                for (_, word) in wait::ptr_args(first_arg(args)) {
                    any_words = true;
                    let partner = self.carried.get(&word).and_then(|tasks| {
                        tasks
                            .as_slice()
                            .iter()
                            .find(|(t, _)| *t != waiter && !in_cluster(c, *t))
                    });
                    if let Some(&(t, f)) = partner {
                        found = Some((t, f, word));
                        break;
                    }
                }
                if found.is_some() {
                    break;
                }
            }
            if let Some((t, f, word)) = found {
                example.get_or_insert((waiter, t, f, word));
                partnered.push(waiter);
            }
        }
        let Some((waiter, partner, frame, word)) = example else {
            return if any_words {
                Objects::NoPartner
            } else {
                Objects::NoWords
            };
        };
        let p = &snap.tasks[partner as usize];
        let fname = tables.func_name(
            tables
                .frame(tables.stack(p.stack).frames[frame as usize])
                .function,
        );
        let evidence = format!(
            "{} of these goroutines run on an object a live goroutine carries: goroutine {} carries {word:#x}, as goroutine {} in {fname} does ({}), which can still end the wait",
            partnered.len(),
            snap.tasks[waiter as usize].id,
            p.id,
            snap.state(p)
        );
        Objects::Found(Partnered {
            tasks: partnered,
            evidence,
            weak: false,
        })
    }

    /// A live goroutine in a method of the type the waiters' method belongs
    /// to (for dumps without argument words).
    fn by_type(&self, snap: &Snapshot, c: &Cluster) -> Option<String> {
        let tables = &snap.tables;
        let site = c.site?;
        let func = tables.function(tables.frame(site).function);
        let receiver = func.receiver?;
        let task = *self.types.get(&(func.package, receiver))?;
        if in_cluster(c, task) {
            return None;
        }
        let p = &snap.tasks[task as usize];
        let who = if p.flags.has(TaskFlags::NO_ID) {
            "a goroutine".to_string()
        } else {
            format!("goroutine {}", p.id)
        };
        Some(format!(
            "no argument word names the waiters' object (a counted profile or an inlined frame); {who} runs a method of the same type {} and is live ({}): it may still end the wait",
            tables.str(receiver),
            snap.state(p)
        ))
    }

    /// A WaitGroup's workers: a live goroutine in another closure of the
    /// function whose closure waits (`main.run.func3` waits on the group
    /// that `main.run.func1` calls Done on).
    fn by_siblings(&self, snap: &Snapshot, c: &Cluster) -> Option<String> {
        let what = match (c.kind, c.op) {
            (ResKind::WaitGroup | ResKind::Errgroup, _) => "may still call Done",
            (ResKind::Chan, WaitOp::Recv | WaitOp::Unknown) => {
                "shares the channels they captured and may still send on or close them"
            }
            (ResKind::Select, WaitOp::Select) => {
                "shares what they captured and may still send, close or cancel"
            }
            _ => return None,
        };
        self.by_closure(snap, c, what)
    }

    /// A live goroutine in another closure of the function whose closure
    /// the waiters block in: closures of one function share what it
    /// captured.
    fn by_closure(&self, snap: &Snapshot, c: &Cluster, what: &str) -> Option<String> {
        let tables = &snap.tables;
        let site = tables.frame(c.site?).function;
        let name = tables.func_name(site);
        let enclosing = &name[..name.rfind(".func")?];
        let prefix_len = enclosing.len() + ".func".len();
        for (function, task) in &self.funcs {
            let other = tables.func_name(*function);
            if *function != site
                && other.len() > prefix_len
                && other.starts_with(enclosing)
                && other[enclosing.len()..].starts_with(".func")
                && !in_cluster(c, *task)
            {
                let p = &snap.tasks[*task as usize];
                return Some(format!(
                    "a goroutine in {other}, another closure of {enclosing}, is live ({}) and {what}",
                    snap.state(p)
                ));
            }
        }
        None
    }
}

/// Waiters of a cluster that may still be woken, and why.
#[derive(Debug, Clone)]
pub struct Partnered {
    /// The waiters (indices into the snapshot's tasks, in dump order).
    pub tasks: Vec<u32>,
    /// The live partner and what it does.
    pub evidence: String,
    /// Only a goroutine in a method of the same type was found (the dump
    /// prints no argument words): the wait may end, but nothing shows that
    /// this goroutine is the partner.
    pub weak: bool,
}

/// What the carried objects say about a cluster's waiters.
enum Objects {
    /// Some waiters share an object with a live goroutine.
    Found(Partnered),
    /// The waiters' methods print no argument words.
    NoWords,
    /// They print words no live goroutine carries.
    NoPartner,
}

/// The first top-level argument of a frame's printed arguments (braces
/// kept together): the receiver or the object a function works on.
fn first_arg(args: &[u8]) -> &[u8] {
    let mut depth = 0i32;
    let mut pos = 0;
    while let Some(offset) = args
        .get(pos..)
        .and_then(|rest| memchr::memchr3(b',', b'{', b'}', rest))
    {
        let at = pos + offset;
        match args[at] {
            b'{' => depth += 1,
            b'}' => depth -= 1,
            _ if depth <= 0 => return &args[..at],
            _ => {}
        }
        pos = at + 1;
    }
    args
}

/// Whether a task is one of the cluster's (its tasks are in dump order).
fn in_cluster(c: &Cluster, task: u32) -> bool {
    c.tasks.binary_search(&task).is_ok()
}
