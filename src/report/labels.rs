//! The enums a report carries and the lowercase names they take in the JSON
//! and the rendered reports: the report keeps [`Severity`], [`Kind`],
//! [`Confidence`], [`NodeKind`] and [`EdgeKind`] as values and turns them
//! into strings only when serialised or printed.

use crate::analyze::finding::{Kind, Severity};
use crate::model::{Confidence, ResKind};
use serde::Serializer;

/// A value with a fixed lowercase name in reports (`critical`, `held-by`).
pub trait Label: Copy {
    /// The name written in the JSON and the rendered reports.
    fn label(self) -> &'static str;
}

impl Label for Severity {
    fn label(self) -> &'static str {
        self.as_str()
    }
}

impl Label for Kind {
    fn label(self) -> &'static str {
        self.as_str()
    }
}

impl Label for Confidence {
    fn label(self) -> &'static str {
        self.as_str()
    }
}

/// What a node of the report's wait-for graph stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NodeKind {
    /// One task (`task:ID`).
    Task,
    /// The tasks of a group, drawn as one node (`group:gN`).
    Group,
    /// A resource tasks wait on, by kind (`mutex`, `chan`, ...).
    Resource(ResKind),
}

impl NodeKind {
    /// `task`, `group`, or the resource kind's name.
    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Task => "task",
            NodeKind::Group => "group",
            NodeKind::Resource(kind) => kind.as_str(),
        }
    }
}

impl Label for NodeKind {
    fn label(self) -> &'static str {
        self.as_str()
    }
}

/// What an edge of the report's wait-for graph says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EdgeKind {
    /// From a task (or group) to the resource it waits on.
    WaitsOn,
    /// From a resource to the task that holds it or will release it.
    HeldBy,
}

impl EdgeKind {
    /// `waits-on` or `held-by`.
    pub fn as_str(self) -> &'static str {
        match self {
            EdgeKind::WaitsOn => "waits-on",
            EdgeKind::HeldBy => "held-by",
        }
    }
}

impl Label for EdgeKind {
    fn label(self) -> &'static str {
        self.as_str()
    }
}

/// Serialises a labelled enum as its name (`#[serde(serialize_with)]`).
pub(crate) fn serialize<S: Serializer, T: Label>(
    value: &T,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(value.label())
}

/// Compares a labelled enum with its name (`finding.kind == "crash"`), and
/// prints it by name.
macro_rules! by_name {
    ($($ty:ty),*) => {$(
        impl PartialEq<str> for $ty {
            fn eq(&self, name: &str) -> bool {
                self.label() == name
            }
        }

        impl PartialEq<&str> for $ty {
            fn eq(&self, name: &&str) -> bool {
                self.label() == *name
            }
        }
    )*};
}

by_name!(Severity, Kind, Confidence, NodeKind, EdgeKind);

/// Prints a labelled enum by name.
macro_rules! display_by_name {
    ($($ty:ty),*) => {$(
        impl std::fmt::Display for $ty {
            fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str(self.label())
            }
        }
    )*};
}

// `Severity` prints by name in analyze/finding.rs already.
display_by_name!(Kind, Confidence, NodeKind, EdgeKind);
