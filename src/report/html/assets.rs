//! The page's style sheet and script, inlined, and their hashes for the
//! Content-Security-Policy.

use base64::Engine as _;
use sha2::Digest as _;

/// The style sheet.
pub(super) const CSS: &str = include_str!("../assets/report.css");

/// The script: search, filters, sorting, paging, lookup, icicle clicks.
pub(super) const JS: &str = include_str!("../assets/report.js");

/// The base64 SHA-256 of an inline block, as a Content-Security-Policy
/// source names it.
pub(super) fn sha256_b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(s.as_bytes()))
}
