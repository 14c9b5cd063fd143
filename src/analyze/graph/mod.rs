//! The wait-for graph, built from the wait and hold facts alone
//! ([`crate::analyze::facts`]): tasks wait on resources; resources are held
//! by, or will be released or signalled by, tasks (stated by the dump, or
//! inferred with a confidence and the evidence behind it). Cycles, holders
//! and "blocked behind" are one mechanism for every runtime.

mod scc;
mod types;

pub use scc::cycles;
pub use types::{Cycle, Holder, Resource, WaitGraph};

use crate::analyze::facts::{self, holds::HoldFacts, resources::Resources};
use crate::analyze::source::SourceIndex;
use crate::analyze::wait::Wait;
use crate::model::Snapshot;

/// Builds the wait-for graph of a snapshot.
pub fn build(snap: &Snapshot, sources: &mut SourceIndex) -> WaitGraph {
    build_with(snap, sources, |_| ()).0
}

/// [`build`], running `beside` on the tasks' waits while the holders are
/// inferred (the leak clusters need only the waits).
pub fn build_with<R: Send>(
    snap: &Snapshot,
    sources: &mut SourceIndex,
    beside: impl FnOnce(&[Option<Wait>]) -> R + Send,
) -> (WaitGraph, R) {
    let (mut wait_facts, stated) = facts::wait_facts(snap);
    let named = facts::named::name_waits(snap, &mut wait_facts.waits, sources);
    // The clusters need only the waits: they are built beside the rest.
    let ((resources, res_of, cycles), beside_result) = rayon::join(
        || {
            let index = facts::resources::index(&wait_facts.waits);
            let names = facts::named::resource_names(snap, &wait_facts.waits, &index, &named);
            let mut holds = facts::hold_facts(snap, &wait_facts, &stated, &index, sources);
            facts::named::holders(snap, &index, &names, sources, &mut holds);
            let (resources, res_of) = assemble(index, holds, names);
            let cycles = scc::resource_cycles(&res_of, &resources);
            (resources, res_of, cycles)
        },
        || beside(&wait_facts.waits),
    );
    (
        WaitGraph {
            waits: wait_facts.waits,
            res_of,
            resources,
            cycles,
            live_tasks: wait_facts.live_tasks,
            any_leaked: wait_facts.any_leaked,
        },
        beside_result,
    )
}

/// The graph's resources: each with its waiters, and with the hold facts
/// about it as holder edges.
fn assemble(
    index: Resources,
    holds: HoldFacts,
    names: Vec<Option<String>>,
) -> (Vec<Resource>, Vec<Option<u32>>) {
    let resources: Vec<Resource> = index
        .keys
        .iter()
        .zip(index.waiters)
        .zip(holds.holds.into_iter().zip(holds.referenced))
        .zip(names)
        .map(
            |(((&(kind, key), waiters), (holders, referenced)), name)| Resource {
                kind,
                key,
                waiters,
                holders,
                referenced,
                name,
            },
        )
        .collect();
    (resources, index.res_of)
}
