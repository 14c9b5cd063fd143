//! Input handling: open a path or stdin, decompress by magic bytes, unwrap dumps
//! buried in logs or tickets. Knows nothing about any runtime: the caller passes
//! an *anchor finder* that recognises a line which certainly belongs to a dump.
//!
//! CONTRACT (implemented in submodules; the signatures below are relied on by the
//! rest of the crate):
//!
//! - `load(path, &LoadOptions) -> Result<Loaded, InputError>`: `path == "-"` reads
//!   stdin. Regular files are memory-mapped when uncompressed. gzip (multi-member)
//!   and zstd are detected by magic bytes and decoded with a cap
//!   (`LoadOptions::max_decompressed`), exceeding it is `InputError::TooLarge`.
//! - `unwrap(bytes, anchor) -> Unwrapped`: strips log prefixes, decodes docker
//!   json-file lines, expands escaped dumps carried in one log message, removes a
//!   BOM, converts CRLF, strips ticket indentation / quoting. Returns the bytes
//!   unchanged (no copy) when nothing needs unwrapping.

mod decompress;
mod unwrap;

pub use crate::model::Bytes;
pub use decompress::{load, load_bytes, Compression, InputError, LoadOptions, Loaded};
pub use unwrap::{parse_stamp, unwrap, AnchorFinder, Unwrapped};
