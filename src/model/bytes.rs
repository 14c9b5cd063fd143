//! Owned or memory-mapped bytes, cheap to clone (shared).

use std::ops::Deref;
use std::sync::Arc;

#[derive(Clone)]
/// The bytes of one input, owned or memory-mapped; clones share the same buffer.
pub struct Bytes(Arc<Inner>);

enum Inner {
    Owned(Vec<u8>),
    Mapped(memmap2::Mmap),
}

impl Bytes {
    /// Wraps bytes read into memory.
    pub fn owned(v: Vec<u8>) -> Self {
        Bytes(Arc::new(Inner::Owned(v)))
    }
    /// Wraps a memory-mapped file.
    pub fn mapped(m: memmap2::Mmap) -> Self {
        Bytes(Arc::new(Inner::Mapped(m)))
    }
}

impl Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match &*self.0 {
            Inner::Owned(v) => v,
            Inner::Mapped(m) => m,
        }
    }
}

impl AsRef<[u8]> for Bytes {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl std::fmt::Debug for Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Bytes({} bytes)", self.len())
    }
}
