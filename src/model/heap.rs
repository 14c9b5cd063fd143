//! Heap snapshots: allocation sites (stacks) with what they allocated and
//! what is still in use, whatever profiler wrote them (Go's heap profile,
//! jemalloc, dhat). Values are stored unsampled, the way `go tool pprof`
//! reports them.

use super::ids::{LabelSetId, StackId};
use super::intern::Tables;
use super::lines::LineAccount;
use super::runtime::Runtime;
use super::warning::Warning;
use std::sync::Arc;

/// The four values every heap snapshot is read into. Formats that lack one
/// leave it 0 and say so in [`HeapProfile::has_alloc`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HeapValues {
    /// Objects allocated over the program's life.
    pub alloc_objects: i64,
    /// Bytes allocated over the program's life.
    pub alloc_bytes: i64,
    /// Objects still in use when the snapshot was taken.
    pub inuse_objects: i64,
    /// Bytes still in use when the snapshot was taken.
    pub inuse_bytes: i64,
}

impl HeapValues {
    /// Adds another site's values to these (saturating).
    pub fn add(&mut self, o: &HeapValues) {
        self.alloc_objects = self.alloc_objects.saturating_add(o.alloc_objects);
        self.alloc_bytes = self.alloc_bytes.saturating_add(o.alloc_bytes);
        self.inuse_objects = self.inuse_objects.saturating_add(o.inuse_objects);
        self.inuse_bytes = self.inuse_bytes.saturating_add(o.inuse_bytes);
    }

    /// The value of one of the four kinds.
    pub fn get(&self, k: HeapValue) -> i64 {
        match k {
            HeapValue::AllocObjects => self.alloc_objects,
            HeapValue::AllocBytes => self.alloc_bytes,
            HeapValue::InuseObjects => self.inuse_objects,
            HeapValue::InuseBytes => self.inuse_bytes,
        }
    }
}

/// One of the four values, by the names pprof gives them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeapValue {
    /// Objects allocated over the program's life (`alloc_objects`).
    AllocObjects,
    /// Bytes allocated over the program's life (`alloc_space`).
    AllocBytes,
    /// Objects in use at the snapshot (`inuse_objects`).
    InuseObjects,
    /// Bytes in use at the snapshot (`inuse_space`).
    InuseBytes,
}

impl HeapValue {
    /// The four kinds, in pprof's sample order.
    pub const ALL: [HeapValue; 4] = [
        HeapValue::AllocObjects,
        HeapValue::AllocBytes,
        HeapValue::InuseObjects,
        HeapValue::InuseBytes,
    ];

    /// pprof's sample index name.
    pub fn pprof_name(self) -> &'static str {
        match self {
            HeapValue::AllocObjects => "alloc_objects",
            HeapValue::AllocBytes => "alloc_space",
            HeapValue::InuseObjects => "inuse_objects",
            HeapValue::InuseBytes => "inuse_space",
        }
    }
}

/// One allocation site: a stack and its values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeapSample {
    /// Innermost frame first: the allocating function, then its callers.
    pub stack: StackId,
    /// What the site allocated and still holds.
    pub values: HeapValues,
    /// The sample's labels (the empty set when none).
    pub labels: LabelSetId,
}

/// A loaded module (executable or shared library) of the profiled process,
/// for formats whose frames are raw addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Module {
    /// The mapping's first runtime address.
    pub start: u64,
    /// The runtime address just past the mapping's end.
    pub end: u64,
    /// Offset in the file of the mapping's start.
    pub file_offset: u64,
    /// The module's file as the profile names it.
    pub path: String,
    /// The module's build-id (hex), when the profile records it.
    pub build_id: Option<String>,
}

/// How the profiler sampled, and so how values were scaled back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sampling {
    /// Every allocation recorded (or values already scaled by the writer,
    /// as Go does in its protobuf heap profiles).
    Exact,
    /// One sample per `rate` bytes on average (Poisson); values were
    /// multiplied by `1 / (1 - exp(-avg_size / rate))` per record.
    Poisson {
        /// The average number of bytes between samples.
        rate: u64,
    },
}

/// One heap snapshot.
pub struct HeapProfile {
    /// The input's name.
    pub source: String,
    /// Position within its input (0-based).
    pub index: usize,
    /// Format id: `pprof-heap`, `go-heap-text`, `jemalloc-heap`, `dhat`.
    pub format: &'static str,
    /// The runtime whose profiler wrote the file.
    pub runtime: Runtime,
    /// The sample types as the file names them (`inuse_space/bytes`, ...).
    pub sample_types: Vec<String>,
    /// False when the file has no allocated-total values (jemalloc without
    /// `prof_accum`, Go's inuse-only profiles).
    pub has_alloc: bool,
    /// The sampling period the file states (bytes), 0 when none.
    pub period: i64,
    /// How the profiler sampled.
    pub sampling: Sampling,
    /// The allocation sites, in the file's order.
    pub samples: Vec<HeapSample>,
    /// The interned strings, functions, frames and stacks the samples refer to.
    pub tables: Arc<Tables>,
    /// The modules mapped in the process, for symbolizing raw addresses.
    pub modules: Vec<Module>,
    /// `# runtime.MemStats` or other name/value pairs the file carries.
    pub stats: Vec<(String, String)>,
    /// When the snapshot was taken (Unix nanoseconds), when the file says.
    pub time_nanos: Option<i64>,
    /// Lines that could not be read.
    pub warnings: Vec<Warning>,
    /// The file ended in the middle of a record.
    pub truncated: bool,
    /// Where the lines (or, for JSON and protobuf, the records) of the
    /// profile went, when its parser keeps the account.
    pub lines: Option<LineAccount>,
}

impl HeapProfile {
    /// Sum of every sample's values.
    pub fn totals(&self) -> HeapValues {
        let mut totals = HeapValues::default();
        for s in &self.samples {
            totals.add(&s.values);
        }
        totals
    }
}

/// Scales a sampled `(count, bytes)` pair back to an estimate of the real
/// one, the way pprof does for Poisson-sampled heap profiles.
pub fn unsample(count: i64, bytes: i64, rate: u64) -> (i64, i64) {
    if count <= 0 || bytes <= 0 {
        return (0, 0);
    }
    if rate <= 1 {
        return (count, bytes);
    }
    let avg = bytes as f64 / count as f64;
    let scale = 1.0 / (1.0 - (-avg / rate as f64).exp());
    ((count as f64 * scale) as i64, (bytes as f64 * scale) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsampling_scales_small_objects_more() {
        // One 512-byte object sampled at 512 KiB stands for ~1024 of them.
        let (n, b) = unsample(1, 512, 512 * 1024);
        assert!((1020..=1030).contains(&n), "{n}");
        assert_eq!(b / n, 512);
        // An object far larger than the rate is always sampled: scale ~1.
        assert_eq!(unsample(1, 64 << 20, 512 * 1024), (1, 64 << 20));
        assert_eq!(unsample(3, 300, 1), (3, 300));
        assert_eq!(unsample(0, 300, 1024), (0, 0));
    }
}
