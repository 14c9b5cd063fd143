//! `profile.proto` files (pprof debug=0): goroutine, goroutineleak and heap
//! profiles, gzip-compressed or raw (the input layer has already inflated
//! them). A profile is decoded one top-level field at a time, so a cut or
//! damaged file still yields every field before the damage.

use super::counted::{Builder, Record, MAX_FRAMES, MAX_TASKS};
use super::proto::Profile;
use crate::input::Bytes;
use crate::model::heap::{HeapProfile, HeapSample, HeapValues, Module, Sampling};
use crate::model::{
    FrameId, LabelSetId, LineAccount, Runtime, SkipReason, Snapshot, Sym, Tables, Warning,
};
use crate::parse::format::{Dumps, InputFormat, ParseOptions};
use crate::parse::go::line::split_go_func;
use hashbrown::HashTable;
use prost::Message;
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// Format id of pprof protobuf profiles.
pub const FORMAT: &str = "pprof";

/// Pseudo-labels of the per-goroutine variant.
const L_GOROUTINE: &str = "go::goroutine";
const L_CREATED_BY: &str = "go::goroutine_created_by";
const L_STATE: &str = "go::goroutine_state";
const L_WAIT: &str = "go::goroutine_wait_minutes";

/// How sure we are that `data` is a (decompressed) profile.proto: it must
/// decode as one and name its sample types.
pub fn detect(data: &[u8]) -> f32 {
    // The first byte must be the key of a field of Profile (1 to 15) with a
    // varint or length-delimited wire type; text rarely is, and never also
    // decodes into named sample types.
    match data.first() {
        Some(&k) if (1..=15).contains(&(k >> 3)) && matches!(k & 7, 0 | 2) => {}
        _ => return 0.0,
    }
    let (p, _, _) = decode_header(&data[..data.len().min(64 << 10)]);
    if p.sample_type.is_empty() {
        0.0
    } else {
        1.0
    }
}

/// Reads one varint at `*pos`.
#[inline(always)]
fn varint(data: &[u8], pos: &mut usize) -> Option<u64> {
    // Most varints of a profile (ids, small counts) are one byte.
    let byte = *data.get(*pos)?;
    if byte < 0x80 {
        *pos += 1;
        return Some(u64::from(byte));
    }
    varint_long(data, pos)
}

#[inline(never)]
fn varint_long(data: &[u8], pos: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    let mut shift = 0;
    while shift < 64 {
        let byte = *data.get(*pos)?;
        *pos += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return Some(value);
        }
        shift += 7;
    }
    None
}

/// One field of a message: its number, wire type, where its key starts,
/// where its payload starts (after the length of a length-delimited field)
/// and where it ends.
#[derive(Debug, Clone, Copy)]
struct Field {
    number: u64,
    wire: u8,
    start: usize,
    payload: usize,
    end: usize,
}

/// Reads the field starting at `pos`, or `None` when it is cut or
/// malformed.
fn field_at(data: &[u8], start: usize) -> Option<Field> {
    let mut pos = start;
    let key = varint(data, &mut pos)?;
    let end = payload(data, &mut pos, key & 7)?;
    (key >> 3 != 0).then_some(Field {
        number: key >> 3,
        wire: (key & 7) as u8,
        start,
        payload: pos,
        end,
    })
}

/// The payload of a field of wire type `wire` whose key ends at `*pos`:
/// moves `*pos` to its start (past the length of a length-delimited field)
/// and returns its end, or `None` when it is cut or the wire type unknown.
fn payload(data: &[u8], pos: &mut usize, wire: u64) -> Option<usize> {
    let end = match wire {
        0 => {
            let mut after = *pos;
            varint(data, &mut after)?;
            after
        }
        1 => pos.checked_add(8)?,
        2 => {
            let len = usize::try_from(varint(data, pos)?).ok()?;
            pos.checked_add(len)?
        }
        5 => pos.checked_add(4)?,
        _ => return None,
    };
    (end <= data.len()).then_some(end)
}

/// The fields of a message, in order; [`Fields::cut`] tells where reading
/// stopped when the data is cut or damaged.
struct Fields<'a> {
    data: &'a [u8],
    pos: usize,
    cut: Option<usize>,
}

impl<'a> Fields<'a> {
    fn new(data: &'a [u8]) -> Self {
        Fields {
            data,
            pos: 0,
            cut: None,
        }
    }
}

impl Iterator for Fields<'_> {
    type Item = Field;
    fn next(&mut self) -> Option<Field> {
        if self.pos >= self.data.len() || self.cut.is_some() {
            return None;
        }
        match field_at(self.data, self.pos) {
            Some(f) => {
                self.pos = f.end;
                Some(f)
            }
            None => {
                self.cut = Some(self.pos);
                None
            }
        }
    }
}

/// `Profile.sample`.
const SAMPLE_FIELD: u64 = 2;

/// Decodes every top-level field but the samples, which can be millions
/// and are read one at a time by [`samples`]. Returns the profile, the
/// number of samples, and, when the data is cut or damaged, the byte offset
/// where reading stopped.
fn decode_header(data: &[u8]) -> (Profile, usize, Option<usize>) {
    let mut profile = Profile::default();
    let mut sample_count = 0;
    let mut fields = Fields::new(data);
    for f in fields.by_ref() {
        if f.number == SAMPLE_FIELD {
            sample_count += 1;
        } else if profile.merge(&data[f.start..f.end]).is_err() {
            return (profile, sample_count, Some(f.start));
        }
    }
    (profile, sample_count, fields.cut)
}

/// One sample, decoded in place (no allocation per sample).
#[derive(Default)]
struct RawSample {
    locations: Vec<u64>,
    values: Vec<i64>,
    /// `(key, str, num)` string indices and number of each label.
    labels: Vec<(i64, i64, i64)>,
}

/// Reads the varints of a packed (wire type 2) or single (wire type 0)
/// repeated field whose key was just read.
#[inline(always)]
fn repeated<T>(
    data: &[u8],
    pos: &mut usize,
    wire: u64,
    out: &mut Vec<T>,
    conv: impl Fn(u64) -> T,
) -> Option<()> {
    if wire == 0 {
        out.push(conv(varint(data, pos)?));
        return Some(());
    }
    let end = payload(data, pos, 2)?;
    while *pos < end {
        out.push(conv(varint(data, pos)?));
    }
    (*pos == end).then_some(())
}

/// Skips the payload of a field of wire type `wire` whose key was just read.
fn skip(data: &[u8], pos: &mut usize, wire: u64) -> Option<()> {
    *pos = payload(data, pos, wire)?;
    Some(())
}

/// Decodes one `Sample` message into `out`. `labels`: whether to read the
/// labels too. `None` when the message is malformed. Samples can be
/// millions: this is the decoder's inner loop, written out by hand.
fn decode_sample(data: &[u8], labels: bool, out: &mut RawSample) -> Option<()> {
    out.locations.clear();
    out.values.clear();
    out.labels.clear();
    let mut pos = 0;
    while pos < data.len() {
        let key = varint(data, &mut pos)?;
        match (key >> 3, key & 7) {
            (1, w @ (0 | 2)) => repeated(data, &mut pos, w, &mut out.locations, |v| v)?,
            (2, w @ (0 | 2)) => repeated(data, &mut pos, w, &mut out.values, |v| v as i64)?,
            (3, 2) if labels => {
                let end = payload(data, &mut pos, 2)?;
                let msg = &data[pos..end];
                pos = end;
                let mut label = (0i64, 0i64, 0i64);
                let mut at = 0;
                while at < msg.len() {
                    let key = varint(msg, &mut at)?;
                    if key & 7 != 0 {
                        skip(msg, &mut at, key & 7)?;
                        continue;
                    }
                    let value = varint(msg, &mut at)? as i64;
                    match key >> 3 {
                        1 => label.0 = value,
                        2 => label.1 = value,
                        3 => label.2 = value,
                        _ => {}
                    }
                }
                out.labels.push(label);
            }
            (0, _) => return None,
            (_, w) => skip(data, &mut pos, w)?,
        }
    }
    Some(())
}

/// Calls `f` with every sample of the profile, in file order, with its
/// ordinal; stops at the first malformed sample and returns its offset.
fn samples(data: &[u8], labels: bool, mut f: impl FnMut(usize, &RawSample)) -> Option<usize> {
    let mut raw = RawSample::default();
    let mut fields = Fields::new(data);
    let mut ordinal = 0;
    for field in fields.by_ref() {
        if field.number != SAMPLE_FIELD {
            continue;
        }
        if field.wire != 2
            || decode_sample(&data[field.payload..field.end], labels, &mut raw).is_none()
        {
            return Some(field.start);
        }
        f(ordinal, &raw);
        ordinal += 1;
    }
    fields.cut
}

/// What a profile holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Goroutine { leak: bool },
    Heap,
    Other,
}

/// Everything read from one profile.
pub enum Read {
    /// A goroutine (or goroutineleak) profile, read as one snapshot.
    Goroutines(Box<Snapshot>),
    /// A heap profile.
    Heap(Box<HeapProfile>),
    /// A profile of another kind (CPU, mutex, ...): its sample types.
    Unsupported(String),
}

struct Strings<'a>(&'a [Vec<u8>]);

impl Strings<'_> {
    fn get(&self, i: i64) -> &[u8] {
        usize::try_from(i)
            .ok()
            .and_then(|i| self.0.get(i))
            .map_or(&[][..], |v| v.as_slice())
    }
    fn lossy(&self, i: i64) -> String {
        String::from_utf8_lossy(self.get(i)).into_owned()
    }
}

/// Parses a decompressed profile.proto.
pub fn parse(data: Bytes, source: &str) -> Read {
    let (p, n_samples, cut) = decode_header(&data);
    let strings = Strings(&p.string_table);
    let types: Vec<String> = p
        .sample_type
        .iter()
        .map(|t| format!("{}/{}", strings.lossy(t.r#type), strings.lossy(t.unit)))
        .collect();
    let kind = if types.iter().any(|t| t.starts_with("goroutineleak/")) {
        Kind::Goroutine { leak: true }
    } else if types.iter().any(|t| t.starts_with("goroutine/")) {
        Kind::Goroutine { leak: false }
    } else if types
        .iter()
        .any(|t| t.starts_with("inuse_space/") || t.starts_with("alloc_space/"))
    {
        Kind::Heap
    } else {
        Kind::Other
    };
    let header = Header {
        p: &p,
        s: &strings,
        data: &data,
        n_samples,
    };
    match kind {
        Kind::Other => Read::Unsupported(types.join(", ")),
        Kind::Goroutine { leak } => {
            let (mut g, bad) = goroutines(&header, leak);
            let cut = earliest(cut, bad);
            if let Some(w) = cut_warning(cut, data.len()) {
                g.builder.warn(w.line, w.message);
            }
            let len = data.len() as u64;
            let mut snap = g.builder.finish(
                source,
                0,
                FORMAT,
                g.origin,
                data.clone(),
                (0, len),
                cut.is_some(),
            );
            snap.time_unix = (p.time_nanos > 0).then(|| p.time_nanos as f64 / 1e9);
            snap.lines = Some(g.lines);
            Read::Goroutines(Box::new(snap))
        }
        Kind::Heap => {
            let (mut heap, bad) = heap(&header, &types, source);
            let cut = earliest(cut, bad);
            heap.warnings.extend(cut_warning(cut, data.len()));
            heap.truncated = cut.is_some();
            Read::Heap(Box::new(heap))
        }
    }
}

fn earliest(a: Option<usize>, b: Option<usize>) -> Option<usize> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn cut_warning(cut: Option<usize>, len: usize) -> Option<Warning> {
    cut.map(|at| Warning {
        line: 0,
        message: format!(
            "the profile is cut or damaged at byte {at} of {len}: what came before was read"
        ),
    })
}

/// What every sample refers to: the profile without its samples.
struct Header<'a> {
    p: &'a Profile,
    s: &'a Strings<'a>,
    data: &'a [u8],
    n_samples: usize,
}

/// Location ids to dense indices.
enum LocIndex {
    /// `ids[id]`, for the usual ids 1..=N.
    Dense(Vec<u32>),
    Sparse(FxHashMap<u64, u32>),
}

const NO_LOC: u32 = u32::MAX;

impl LocIndex {
    fn get(&self, id: u64) -> Option<u32> {
        match self {
            LocIndex::Dense(v) => usize::try_from(id)
                .ok()
                .and_then(|i| v.get(i))
                .copied()
                .filter(|&i| i != NO_LOC),
            LocIndex::Sparse(m) => m.get(&id).copied(),
        }
    }
}

/// Interned frames of every location, innermost first.
struct Locations {
    index: LocIndex,
    frames: Vec<Vec<FrameId>>,
}

impl Locations {
    fn new(p: &Profile, s: &Strings, t: &mut Tables) -> Self {
        let funcs: FxHashMap<u64, &super::proto::Function> =
            p.function.iter().map(|f| (f.id, f)).collect();
        let maps: FxHashMap<u64, &super::proto::Mapping> =
            p.mapping.iter().map(|m| (m.id, m)).collect();
        let max_id = p.location.iter().map(|l| l.id).max().unwrap_or(0);
        let dense = max_id <= (p.location.len() as u64).saturating_mul(2) + 1024;
        let mut index = if dense {
            LocIndex::Dense(vec![NO_LOC; max_id as usize + 1])
        } else {
            LocIndex::Sparse(FxHashMap::default())
        };
        let mut frames = Vec::with_capacity(p.location.len());
        let mut same: FxHashMap<Vec<FrameId>, u32> = FxHashMap::default();
        for loc in &p.location {
            let line_count = loc.line.len();
            let mut loc_frames = Vec::with_capacity(line_count.max(1));
            for (i, line) in loc.line.iter().enumerate() {
                let (name, file) = match funcs.get(&line.function_id) {
                    Some(f) => (s.get(f.name), s.get(f.filename)),
                    None => (&b"?"[..], &b""[..]),
                };
                let function = t.intern_function(name, split_go_func);
                let file = t.intern_bytes(file);
                loc_frames.push(t.intern_frame(crate::model::Frame {
                    function,
                    file,
                    line: u32::try_from(line.line).unwrap_or(0),
                    pc_offset: None,
                    inlined: i + 1 < line_count,
                }));
            }
            if loc_frames.is_empty() {
                // Not symbolized: module + offset, for the symbolizer.
                let (name, raw) = match maps.get(&loc.mapping_id) {
                    Some(m) => {
                        let path = s.lossy(m.filename);
                        let base = path.rsplit('/').next().unwrap_or("").to_string();
                        let off = loc
                            .address
                            .wrapping_sub(m.memory_start)
                            .wrapping_add(m.file_offset);
                        let raw = crate::model::RawAddr {
                            module: t.intern(&path),
                            build_id: t.intern_bytes(s.get(m.build_id)),
                            addr: off,
                            space: crate::model::AddrSpace::FileOffset,
                            // pprof addresses are already adjusted.
                            call: false,
                        };
                        (format!("{base}+{off:#x}"), raw)
                    }
                    None => (
                        format!("{:#x}", loc.address),
                        crate::model::RawAddr {
                            module: Sym(0),
                            build_id: Sym(0),
                            addr: loc.address,
                            space: crate::model::AddrSpace::Absolute,
                            call: false,
                        },
                    ),
                };
                loc_frames.push(t.raw_frame(&name, crate::model::CodeKind::User, raw));
            }
            // A repeated id keeps its first location.
            if index.get(loc.id).is_some() {
                continue;
            }
            // Locations with the same frames (several pcs on one line) are
            // one: stacks are merged by their frames.
            let next = frames.len() as u32;
            let at = *same.entry(loc_frames.clone()).or_insert(next);
            if at == next {
                frames.push(loc_frames);
            }
            match &mut index {
                LocIndex::Dense(ids) => {
                    if let Some(slot) = ids.get_mut(loc.id as usize) {
                        *slot = at;
                    }
                }
                LocIndex::Sparse(m) => {
                    m.insert(loc.id, at);
                }
            }
        }
        Locations { index, frames }
    }

    /// Dense indices of a sample's known locations (unknown ids dropped).
    fn indices(&self, ids: &[u64], out: &mut Vec<u32>) {
        out.clear();
        out.reserve(ids.len());
        match &self.index {
            LocIndex::Dense(v) => {
                for &id in ids {
                    if let Some(&i) = usize::try_from(id).ok().and_then(|id| v.get(id)) {
                        if i != NO_LOC {
                            out.push(i);
                        }
                    }
                }
            }
            LocIndex::Sparse(_) => out.extend(ids.iter().filter_map(|&id| self.index.get(id))),
        }
    }

    /// The frames of a sequence of dense location indices.
    fn frames(&self, locs: &[u32], out: &mut Vec<FrameId>) {
        out.clear();
        for &l in locs {
            match self.frames.get(l as usize).map(Vec::as_slice) {
                Some(&[f]) => out.push(f),
                Some(fs) => out.extend_from_slice(fs),
                None => {}
            }
            if out.len() >= MAX_FRAMES {
                out.truncate(MAX_FRAMES);
                break;
            }
        }
    }
}

/// A goroutine profile being read.
struct GoroutineRead {
    builder: Builder,
    origin: &'static str,
    /// Where its samples went (one record each).
    lines: LineAccount,
}

/// Reads the samples of a goroutine profile; the offset of a malformed
/// sample, if any, comes back too.
fn goroutines(h: &Header, leak: bool) -> (GoroutineRead, Option<usize>) {
    let strings = h.s;
    let mut builder = Builder::new(leak);
    let locs = Locations::new(h.p, strings, &mut builder.tables);
    let mut per_goroutine = false;
    let mut idx = Vec::new();
    let mut lines = LineAccount::of_records();
    let bad = samples(h.data, true, |i, sample| {
        let count = sample
            .values
            .first()
            .copied()
            .map_or(0, |v| u64::try_from(v).unwrap_or(0));
        locs.indices(&sample.locations, &mut idx);
        let mut frames = Vec::new();
        locs.frames(&idx, &mut frames);
        let mut record = Record::new(frames, count);
        record.line = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let mut labels: Vec<(String, String)> = Vec::new();
        for &(key, str, num) in &sample.labels {
            let key = strings.lossy(key);
            let text = if str != 0 {
                strings.lossy(str)
            } else {
                num.to_string()
            };
            match key.as_str() {
                L_GOROUTINE => record.id = text.parse().ok(),
                L_STATE => record.state = Some(text),
                L_WAIT => record.wait_minutes = text.parse().ok(),
                L_CREATED_BY => {
                    // A goroutine id, or the creating function (optionally
                    // `f in goroutine N`).
                    if let Ok(id) = text.parse::<u64>() {
                        record.parent_id = Some(id);
                    } else {
                        let (func, parent) = match text.split_once(" in goroutine ") {
                            Some((f, g)) => (f.to_string(), g.trim().parse().ok()),
                            None => (text.clone(), None),
                        };
                        record.parent_id = parent;
                        if !func.is_empty() {
                            record.creator = Some(builder.frame(func.as_bytes(), b"", 0, false));
                        }
                    }
                }
                _ if labels.len() < 64 => labels.push((key, text)),
                _ => {}
            }
        }
        if record.id.is_some() {
            per_goroutine = true;
        }
        if !labels.is_empty() {
            record.labels = builder.labels(&labels);
        }
        // A record beyond the goroutine limit is not read.
        lines.cover(u64::from(record.line));
        if record.count > 0 && builder.tasks.len() as u64 >= MAX_TASKS {
            lines.skip(SkipReason::OverLimit, 1);
        } else {
            lines.use_lines(1);
        }
        builder.push(record);
    });
    if bad.is_some() {
        // The damaged record.
        lines.cover(lines.last + 1);
        lines.skip(SkipReason::Cut, 1);
    }
    let origin = match (leak, per_goroutine) {
        (true, _) => "goroutineleak",
        (false, true) => "goroutines",
        (false, false) => "goroutine-profile",
    };
    (
        GoroutineRead {
            builder,
            origin,
            lines,
        },
        bad,
    )
}

/// Profiles with fewer samples are folded on the calling thread.
const PARALLEL_MIN_SAMPLES: usize = 100_000;

/// The samples of one heap profile merged by stack (sequence of location
/// indices), for the stacks whose hash falls in one partition.
struct Fold {
    table: HashTable<Slot>,
    sites: Vec<FoldSite>,
    arena: Vec<u32>,
    /// Samples read (in every partition: all of them up to any damage).
    read: usize,
}

/// A site in the hash table: where its stack is in the arena, so that
/// comparing stacks does not need the site itself.
#[derive(Clone, Copy)]
struct Slot {
    start: usize,
    len: u32,
    site: u32,
}

struct FoldSite {
    start: usize,
    len: u32,
    /// Ordinal of the first sample with this stack: sites are put back in
    /// file order, whatever the partitioning.
    first: u32,
    values: HeapValues,
}

fn hash_locs(locs: &[u32]) -> u64 {
    let mut hasher = rustc_hash::FxHasher::default();
    locs.hash(&mut hasher);
    hasher.finish()
}

impl Fold {
    fn new() -> Self {
        Fold {
            table: HashTable::new(),
            sites: Vec::new(),
            arena: Vec::new(),
            read: 0,
        }
    }

    fn add(&mut self, hash: u64, locs: &[u32], ordinal: usize, values: &HeapValues) {
        let arena = &self.arena;
        let slice = |s: &Slot| &arena[s.start..s.start + s.len as usize];
        let entry = self
            .table
            .entry(hash, |s| slice(s) == locs, |s| hash_locs(slice(s)));
        match entry {
            hashbrown::hash_table::Entry::Occupied(e) => {
                self.sites[e.get().site as usize].values.add(values);
            }
            hashbrown::hash_table::Entry::Vacant(e) => {
                let slot = Slot {
                    start: self.arena.len(),
                    len: locs.len() as u32,
                    site: self.sites.len() as u32,
                };
                e.insert(slot);
                self.sites.push(FoldSite {
                    start: slot.start,
                    len: slot.len,
                    first: u32::try_from(ordinal).unwrap_or(u32::MAX),
                    values: *values,
                });
                self.arena.extend_from_slice(locs);
            }
        }
    }
}

/// Which of the four heap values each position of a sample's values holds.
#[derive(Clone, Copy)]
struct ValueIndex {
    alloc_objects: Option<usize>,
    alloc_bytes: Option<usize>,
    inuse_objects: Option<usize>,
    inuse_bytes: Option<usize>,
}

impl ValueIndex {
    fn values(&self, v: &[i64]) -> HeapValues {
        let get = |i: Option<usize>| i.and_then(|i| v.get(i)).copied().unwrap_or(0);
        HeapValues {
            alloc_objects: get(self.alloc_objects),
            alloc_bytes: get(self.alloc_bytes),
            inuse_objects: get(self.inuse_objects),
            inuse_bytes: get(self.inuse_bytes),
        }
    }
}

/// Folds the samples whose stack hash falls in partition `part` of `parts`.
fn fold_part(
    data: &[u8],
    n_samples: usize,
    locs: &Locations,
    vi: ValueIndex,
    part: usize,
    parts: usize,
) -> (Fold, Option<usize>) {
    let mut fold = Fold::new();
    // Room for every sample's stack (a guess for the locations): what is
    // not used is never touched.
    fold.table.reserve(n_samples / parts + 1, |_| 0);
    fold.sites.reserve(n_samples / parts + 1);
    fold.arena.reserve(data.len() / parts / 2);
    let mut idx = Vec::new();
    let bad = samples(data, false, |i, sample| {
        fold.read = i + 1;
        if sample.locations.len() > MAX_FRAMES {
            locs.indices(&sample.locations[..MAX_FRAMES], &mut idx);
        } else {
            locs.indices(&sample.locations, &mut idx);
        }
        let hash = hash_locs(&idx);
        if parts > 1 && (hash >> 40) as usize % parts != part {
            return;
        }
        fold.add(hash, &idx, i, &vi.values(&sample.values));
    });
    (fold, bad)
}

fn heap(h: &Header, types: &[String], source: &str) -> (HeapProfile, Option<usize>) {
    let (p, s) = (h.p, h.s);
    let mut tables = Tables::new();
    let locs = Locations::new(p, s, &mut tables);
    let idx = |name: &str| types.iter().position(|x| x.split('/').next() == Some(name));
    let vi = ValueIndex {
        alloc_objects: idx("alloc_objects"),
        alloc_bytes: idx("alloc_space"),
        inuse_objects: idx("inuse_objects"),
        inuse_bytes: idx("inuse_space"),
    };
    // Samples merged by stack, in partitions by hash folded in parallel
    // (every partition reads all samples: decoding is cheap, the hash
    // tables are not).
    let parts = if h.n_samples < PARALLEL_MIN_SAMPLES {
        1
    } else {
        rayon::current_num_threads().clamp(1, 8)
    };
    let folds: Vec<(Fold, Option<usize>)> = (0..parts)
        .into_par_iter()
        .map(|part| fold_part(h.data, h.n_samples, &locs, vi, part, parts))
        .collect();
    let bad = folds.iter().filter_map(|f| f.1).min();
    // One record per sample: those read, and those the header counted but
    // a damaged sample kept from being read (at least the damaged one).
    let read = folds.iter().map(|f| f.0.read).min().unwrap_or(0);
    let mut lines = LineAccount::records_used(read as u64);
    let lost = h
        .n_samples
        .saturating_sub(read)
        .max(usize::from(bad.is_some())) as u64;
    if lost > 0 {
        lines.cover(read as u64 + 1);
        lines.cover(read as u64 + lost);
        lines.skip(SkipReason::Cut, lost);
    }
    // Back in order of first appearance.
    let mut order: Vec<(u32, u32, u32)> = folds
        .iter()
        .enumerate()
        .flat_map(|(fi, (f, _))| {
            f.sites
                .iter()
                .enumerate()
                .map(move |(si, s)| (s.first, fi as u32, si as u32))
        })
        .collect();
    // Each partition's sites are already in order: a merge of runs.
    order.sort();
    let mut frames = Vec::new();
    let mut samples = Vec::with_capacity(order.len());
    tables.reserve_stacks(order.len());
    for (_, fi, si) in order {
        let folded = &folds[fi as usize].0;
        let site = &folded.sites[si as usize];
        locs.frames(
            &folded.arena[site.start..site.start + site.len as usize],
            &mut frames,
        );
        // Distinct location sequences have distinct frames (every location
        // ends with its one non-inlined frame, and equal locations were
        // made one), unless cut at MAX_FRAMES.
        let stack = if frames.len() < MAX_FRAMES {
            tables.push_stack(&frames, None)
        } else {
            tables.intern_stack(&frames, None)
        };
        samples.push(HeapSample {
            stack,
            values: site.values,
            labels: LabelSetId(0),
        });
    }
    drop(folds);
    let modules = p
        .mapping
        .iter()
        .map(|m| Module {
            start: m.memory_start,
            end: m.memory_limit,
            file_offset: m.file_offset,
            path: s.lossy(m.filename),
            build_id: Some(s.lossy(m.build_id)).filter(|b| !b.is_empty()),
        })
        .collect();
    let heap = HeapProfile {
        source: source.to_string(),
        index: 0,
        format: FORMAT,
        runtime: Runtime::Go,
        sample_types: types.to_vec(),
        has_alloc: vi.alloc_bytes.is_some(),
        period: p.period,
        // Go scales the values before writing them.
        sampling: Sampling::Exact,
        samples,
        tables: Arc::new(tables),
        modules,
        stats: Vec::new(),
        time_nanos: (p.time_nanos != 0).then_some(p.time_nanos),
        warnings: Vec::new(),
        truncated: false,
        lines: Some(lines),
    };
    (heap, bad)
}

/// pprof protobuf profiles as an input format.
pub struct Pprof;

impl InputFormat for Pprof {
    fn id(&self) -> &'static str {
        FORMAT
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["proto"]
    }

    fn help(&self) -> &'static str {
        "pprof protobuf (`profile.proto`, gzip or raw): goroutine, goroutineleak and heap profiles, incl. the per-goroutine variant"
    }

    fn expected(&self) -> Option<&'static str> {
        None
    }

    fn detect(&self, text: &[u8]) -> f32 {
        detect(text)
    }

    fn is_raw(&self) -> bool {
        true
    }

    fn parse(&self, text: Bytes, source: &str, _opts: &ParseOptions) -> Result<Dumps, String> {
        match parse(text, source) {
            Read::Goroutines(snapshot) => Ok(Dumps::of_snapshots(vec![*snapshot])),
            Read::Heap(heap) => Ok(Dumps::of_heaps(vec![*heap])),
            Read::Unsupported(types) => Err(format!(
                "a pprof profile of {types}: dumpscope reads goroutine, goroutineleak and heap profiles"
            )),
        }
    }
}
