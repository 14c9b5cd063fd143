//! Severity names as the page and the script number them.

use crate::analyze::finding::Severity;

/// Severities, lowest first; index 0 is "none".
pub(super) const SEVERITIES: [&str; 6] = ["", "info", "low", "medium", "high", "critical"];

/// The index of a severity in [`SEVERITIES`].
pub(super) fn sev_index(severity: Severity) -> usize {
    match severity {
        Severity::Info => 1,
        Severity::Low => 2,
        Severity::Medium => 3,
        Severity::High => 4,
        Severity::Critical => 5,
    }
}
