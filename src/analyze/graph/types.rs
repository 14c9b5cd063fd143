//! The wait-for graph's types: resources with their waiters and holders,
//! cycles, and the graph of one snapshot.

use crate::analyze::wait::{ResKey, ResKind, Wait};
use crate::model::{Confidence, HoldFact};

/// A holder edge: a task that holds a resource, or is the one expected to
/// release or signal it — the hold fact itself.
pub type Holder = HoldFact;

/// A mutex, channel, WaitGroup, ... that tasks wait on.
#[derive(Debug, Clone)]
pub struct Resource {
    /// What sort of resource it is.
    pub kind: ResKind,
    /// What identifies it: an address, an object, or the site waited at.
    pub key: ResKey,
    /// Waiting tasks, in dump order.
    pub waiters: Vec<u32>,
    /// The hold facts about it: one per task, stated ones first.
    pub holders: Vec<Holder>,
    /// Some task not waiting on it carries its address (it is alive).
    pub referenced: bool,
    /// Its name, when known: the symbol a debugger printed after its
    /// address, or the global lock the sources name.
    pub name: Option<String>,
}

/// A deadlock: tasks and resources on a cycle of the wait-for graph.
#[derive(Debug, Clone)]
pub struct Cycle {
    /// The tasks on the cycle (indices into `snapshot.tasks`), ascending.
    pub tasks: Vec<u32>,
    /// The resources on the cycle (indices into [`WaitGraph::resources`]),
    /// ascending.
    pub resources: Vec<u32>,
    /// The weakest inferred edge on the cycle.
    pub confidence: Confidence,
    /// Tasks waiting on the cycle's resources without being on it.
    pub queued: Vec<u32>,
}

/// The wait-for graph of one snapshot.
#[derive(Debug, Default)]
pub struct WaitGraph {
    /// Per task: what it waits on.
    pub waits: Vec<Option<Wait>>,
    /// Per task: index of its resource.
    pub res_of: Vec<Option<u32>>,
    /// Every resource some task waits on.
    pub resources: Vec<Resource>,
    /// The deadlocks: cycles through tasks and resources.
    pub cycles: Vec<Cycle>,
    /// Tasks that are not g0 or M stacks.
    pub live_tasks: usize,
    /// Some task is marked `(leaked)`.
    pub any_leaked: bool,
}
