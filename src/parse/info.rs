//! What loading and parsing found out about one input, for the report's
//! list of inputs.

use super::format::Format;
use crate::input::Compression;

/// What loading and parsing found out about one input: where it came
/// from, how it was packed and which format it was read as. The report
/// lists it among its inputs (`report::InputReport`).
#[derive(Debug, Clone)]
pub struct InputInfo {
    /// The path as given, or `<stdin>`.
    pub source: String,
    /// Bytes read, before decompression.
    pub size: u64,
    /// How the input was compressed.
    pub compression: Compression,
    /// Bytes after decompression.
    pub decompressed_size: u64,
    /// The detected (or forced) format; `None` for an input put together
    /// by hand, which the report shows with an empty format.
    pub format: Option<Format>,
    /// Detection confidence, 0 to 1 (1 when forced with --input-format).
    pub confidence: f32,
    /// What was done to find the dump inside the input (log prefixes
    /// stripped, addresses symbolized, ...).
    pub notes: Vec<String>,
}

impl Default for InputInfo {
    fn default() -> Self {
        InputInfo {
            source: String::new(),
            size: 0,
            compression: Compression::None,
            decompressed_size: 0,
            format: None,
            confidence: 0.0,
            notes: Vec::new(),
        }
    }
}
