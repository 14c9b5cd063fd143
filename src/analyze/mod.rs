//! Analysis over the model: grouping now; the wait-for graph, rules and
//! ranking build on it. Reads snapshots, never text.

pub mod group;

pub use group::{group, Group, Similarity, WaitStats};
