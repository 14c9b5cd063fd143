//! The facts pass: every wait and hold of a snapshot as a fact, whatever
//! the runtime, each with its confidence and evidence.
//!
//! Wait facts come first from the lock facts the parsers record
//! ([`stated`]: stated by the dump, certain; or recognised with the JVM,
//! CPython, tokio or join vocabulary in a class or frame name, with that
//! vocabulary's confidence), else from frames, states and argument words
//! read with the Go and glibc vocabulary ([`waits`], through
//! [`crate::analyze::wait`] and [`crate::model::vocab`]). Hold facts come
//! from the recorded lock facts ([`stated`]), from pointers the tasks'
//! frames carry, judged with the sources when found ([`holds`]), and from
//! which task started which ([`children`]); [`evidence`] words why. The
//! wait-for graph ([`crate::analyze::graph`]) is built from these facts
//! alone.

pub mod children;
pub mod evidence;
pub mod holds;
pub mod named;
pub mod resources;
pub mod stated;
pub mod types;
pub mod waits;

use crate::analyze::source::SourceIndex;
use crate::model::Snapshot;
use holds::HoldFacts;
use resources::Resources;
use stated::StatedHold;
use waits::WaitFacts;

/// The wait facts of a snapshot: read from the tasks, then replaced by the
/// ones the dump states; with the holds the dump states.
pub fn wait_facts(snap: &Snapshot) -> (WaitFacts, Vec<StatedHold>) {
    let mut facts = waits::collect(snap);
    let held = stated::replace_waits(snap, &mut facts.waits);
    (facts, held)
}

/// The hold facts of a snapshot, per resource: the ones the dump states,
/// then the ones inferred by pointer, then by creation.
pub fn hold_facts(
    snap: &Snapshot,
    facts: &WaitFacts,
    held: &[StatedHold],
    resources: &Resources,
    sources: &mut SourceIndex,
) -> HoldFacts {
    let mut out = HoldFacts::new(resources.keys.len());
    stated::holders(snap, held, resources, &mut out);
    holds::by_pointer(snap, facts, resources, sources, &mut out);
    types::by_type(snap, facts, resources, &mut out);
    children::by_creation(snap, facts, resources, &mut out);
    children::parent_partners(snap, facts, resources, &mut out);
    out
}
