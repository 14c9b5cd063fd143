//! The page's style sheet and script, inlined, and their hashes for the
//! Content-Security-Policy.

use base64::Engine as _;
use sha2::Digest as _;

pub(super) const CSS: &str = include_str!("../assets/report.css");

pub(super) const JS: &str = include_str!("../assets/report.js");

pub(super) fn sha256_b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(s.as_bytes()))
}
