//! Input handling, the layer above the model: open a path or stdin,
//! decompress by magic bytes, unwrap dumps buried in logs or tickets. Knows
//! nothing about any runtime: the caller passes an *anchor finder* that
//! recognises a line which certainly belongs to a dump.
//!
//! - [`load`] (`decompress.rs`): `"-"` reads stdin; regular files are
//!   memory-mapped when uncompressed. gzip (multi-member) and zstd are detected
//!   by magic bytes and decoded up to [`LoadOptions::max_decompressed`]
//!   (beyond it: [`InputError::TooLarge`]); a truncated compressed stream keeps
//!   what was decoded, with a warning. [`load_bytes`] does the same for bytes
//!   already in memory.
//! - [`unwrap()`] (`unwrap.rs`): converts UTF-16 and removes a BOM, converts
//!   CRLF, decodes docker json-file lines, expands a dump escaped inside one
//!   log record, strips log prefixes (keeping their timestamps, read by
//!   [`parse_stamp`]) and ticket indentation or quoting. Returns the bytes
//!   unchanged (no copy) when nothing needs unwrapping.

mod decompress;
pub mod elfcore;
mod unwrap;

pub use crate::model::Bytes;
pub use decompress::{load, load_bytes, Compression, InputError, LoadOptions, Loaded};
pub use unwrap::{parse_stamp, unwrap, AnchorFinder, Unwrapped};
