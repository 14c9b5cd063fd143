//! Severity names as the page and the script number them.

/// Severities, lowest first; index 0 is "none".
pub(super) const SEVERITIES: [&str; 6] = ["", "info", "low", "medium", "high", "critical"];

/// The index of a severity name in [`SEVERITIES`]; 0 when unknown.
pub(super) fn sev_index(s: &str) -> usize {
    SEVERITIES.iter().position(|x| *x == s).unwrap_or(0)
}
