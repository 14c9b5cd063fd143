//! How sure an inferred fact, edge or finding is.

/// How sure an inferred fact, wait-for edge or finding is: `Certain` when the
/// dump states it, `Likely` or `Possible` when it is inferred.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Confidence {
    /// Only one reading of the evidence among others.
    Possible,
    /// Inferred from strong evidence.
    Likely,
    /// Stated by the dump (or proven from memory).
    Certain,
}

impl Confidence {
    /// The name used in reports: `certain`, `likely`, `possible`.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Certain => "certain",
            Confidence::Likely => "likely",
            Confidence::Possible => "possible",
        }
    }
}
