//! `profile.proto` files (pprof debug=0): goroutine, goroutineleak and heap
//! profiles, gzip-compressed or raw (the input layer has already inflated
//! them). A profile is decoded one top-level field at a time, so a cut or
//! damaged file still yields every field before the damage.

use super::counted::{Builder, Record, MAX_FRAMES};
use super::proto::{Profile, Sample};
use crate::input::Bytes;
use crate::model::heap::{HeapProfile, HeapSample, HeapValues, Module, Sampling};
use crate::model::{FrameId, LabelSetId, Runtime, Snapshot, Sym, Tables, Warning};
use crate::parse::go::line::split_go_func;
use prost::Message;
use rustc_hash::FxHashMap;
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
    let (p, _) = decode_lenient(&data[..data.len().min(64 << 10)]);
    if p.sample_type.is_empty() {
        0.0
    } else {
        1.0
    }
}

/// Reads one varint at `*pos`.
fn varint(data: &[u8], pos: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *data.get(*pos)?;
        *pos += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Some(v);
        }
    }
    None
}

/// The end of the top-level field starting at `pos`, or `None` when it is
/// cut or malformed.
fn field_end(data: &[u8], mut pos: usize) -> Option<usize> {
    let key = varint(data, &mut pos)?;
    let end = match key & 7 {
        0 => {
            varint(data, &mut pos)?;
            pos
        }
        1 => pos.checked_add(8)?,
        2 => {
            let n = usize::try_from(varint(data, &mut pos)?).ok()?;
            pos.checked_add(n)?
        }
        5 => pos.checked_add(4)?,
        _ => return None,
    };
    (key >> 3 != 0 && end <= data.len()).then_some(end)
}

/// Decodes field by field; returns the profile and, when the data is cut or
/// damaged, the byte offset where reading stopped.
pub fn decode_lenient(data: &[u8]) -> (Profile, Option<usize>) {
    let mut p = Profile::default();
    let mut pos = 0;
    while pos < data.len() {
        let Some(end) = field_end(data, pos) else {
            return (p, Some(pos));
        };
        if p.merge(&data[pos..end]).is_err() {
            return (p, Some(pos));
        }
        pos = end;
    }
    (p, None)
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
    Goroutines(Box<Snapshot>),
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
    let (p, cut) = decode_lenient(&data);
    let s = Strings(&p.string_table);
    let types: Vec<String> = p
        .sample_type
        .iter()
        .map(|t| format!("{}/{}", s.lossy(t.r#type), s.lossy(t.unit)))
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
    let mut warnings = Vec::new();
    if let Some(at) = cut {
        warnings.push(Warning {
            line: 0,
            message: format!(
                "the profile is cut or damaged at byte {at} of {}: what came before was read",
                data.len()
            ),
        });
    }
    match kind {
        Kind::Other => Read::Unsupported(types.join(", ")),
        Kind::Goroutine { leak } => {
            let snap = goroutines(&p, &s, leak, source, data.clone(), warnings, cut);
            Read::Goroutines(Box::new(snap))
        }
        Kind::Heap => Read::Heap(Box::new(heap(&p, &s, &types, source, warnings, cut))),
    }
}

/// Interned frames of every location, innermost first.
struct Locations {
    frames: FxHashMap<u64, Vec<FrameId>>,
}

impl Locations {
    fn new(p: &Profile, s: &Strings, t: &mut Tables) -> Self {
        let funcs: FxHashMap<u64, &super::proto::Function> =
            p.function.iter().map(|f| (f.id, f)).collect();
        let maps: FxHashMap<u64, &super::proto::Mapping> =
            p.mapping.iter().map(|m| (m.id, m)).collect();
        let mut frames = FxHashMap::default();
        for loc in &p.location {
            let n = loc.line.len();
            let mut v = Vec::with_capacity(n.max(1));
            for (i, line) in loc.line.iter().enumerate() {
                let (name, file) = match funcs.get(&line.function_id) {
                    Some(f) => (s.get(f.name), s.get(f.filename)),
                    None => (&b"?"[..], &b""[..]),
                };
                let function = t.intern_function(name, split_go_func);
                let file = t.intern_bytes(file);
                v.push(t.intern_frame(crate::model::Frame {
                    function,
                    file,
                    line: u32::try_from(line.line).unwrap_or(0),
                    pc_offset: None,
                    inlined: i + 1 < n,
                }));
            }
            if v.is_empty() {
                // Not symbolized: module + offset, for the symbolizer.
                let name = match maps.get(&loc.mapping_id) {
                    Some(m) => {
                        let path = s.lossy(m.filename);
                        let base = path.rsplit('/').next().unwrap_or("").to_string();
                        let off = loc
                            .address
                            .wrapping_sub(m.memory_start)
                            .wrapping_add(m.file_offset);
                        format!("{base}+{off:#x}")
                    }
                    None => format!("{:#x}", loc.address),
                };
                let function = t.intern_function(name.as_bytes(), |n| {
                    (
                        String::new(),
                        None,
                        n.to_string(),
                        crate::model::CodeKind::User,
                    )
                });
                v.push(t.intern_frame(crate::model::Frame {
                    function,
                    file: Sym(0),
                    line: 0,
                    pc_offset: None,
                    inlined: false,
                }));
            }
            frames.insert(loc.id, v);
        }
        Locations { frames }
    }

    fn stack(&self, sample: &Sample) -> Vec<FrameId> {
        let mut out = Vec::new();
        for id in &sample.location_id {
            if let Some(fs) = self.frames.get(id) {
                out.extend_from_slice(fs);
            }
            if out.len() >= MAX_FRAMES {
                out.truncate(MAX_FRAMES);
                break;
            }
        }
        out
    }
}

fn goroutines(
    p: &Profile,
    s: &Strings,
    leak: bool,
    source: &str,
    data: Bytes,
    warnings: Vec<Warning>,
    cut: Option<usize>,
) -> Snapshot {
    let mut b = Builder::new(leak);
    for w in warnings {
        b.warn(w.line, w.message);
    }
    let locs = Locations::new(p, s, &mut b.tables);
    let mut per_goroutine = false;
    for (i, sample) in p.sample.iter().enumerate() {
        let count = sample
            .value
            .first()
            .copied()
            .map_or(0, |v| u64::try_from(v).unwrap_or(0));
        let frames = locs.stack(sample);
        let mut r = Record::new(frames, count);
        r.line = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let mut labels: Vec<(String, String)> = Vec::new();
        for l in &sample.label {
            let key = s.lossy(l.key);
            let text = if l.str != 0 {
                s.lossy(l.str)
            } else {
                l.num.to_string()
            };
            match key.as_str() {
                L_GOROUTINE => r.id = text.parse().ok(),
                L_STATE => r.state = Some(text),
                L_WAIT => r.wait_minutes = text.parse().ok(),
                L_CREATED_BY => {
                    // A goroutine id, or the creating function (optionally
                    // `f in goroutine N`).
                    if let Ok(id) = text.parse::<u64>() {
                        r.parent_id = Some(id);
                    } else {
                        let (func, parent) = match text.split_once(" in goroutine ") {
                            Some((f, g)) => (f.to_string(), g.trim().parse().ok()),
                            None => (text.clone(), None),
                        };
                        r.parent_id = parent;
                        if !func.is_empty() {
                            r.creator = Some(b.frame(func.as_bytes(), b"", 0, false));
                        }
                    }
                }
                _ if labels.len() < 64 => labels.push((key, text)),
                _ => {}
            }
        }
        if r.id.is_some() {
            per_goroutine = true;
        }
        if !labels.is_empty() {
            r.labels = b.labels(&labels);
        }
        b.push(r);
    }
    let origin = match (leak, per_goroutine) {
        (true, _) => "goroutineleak",
        (false, true) => "goroutines",
        (false, false) => "goroutine-profile",
    };
    let len = data.len() as u64;
    b.finish(source, 0, FORMAT, origin, data, (0, len), cut.is_some())
}

fn heap(
    p: &Profile,
    s: &Strings,
    types: &[String],
    source: &str,
    warnings: Vec<Warning>,
    cut: Option<usize>,
) -> HeapProfile {
    let mut t = Tables::new();
    let locs = Locations::new(p, s, &mut t);
    let idx = |name: &str| types.iter().position(|x| x.split('/').next() == Some(name));
    let (ao, ab, io, ib) = (
        idx("alloc_objects"),
        idx("alloc_space"),
        idx("inuse_objects"),
        idx("inuse_space"),
    );
    let mut scratch = Vec::new();
    let mut samples = Vec::with_capacity(p.sample.len());
    for sample in &p.sample {
        let v = |i: Option<usize>| i.and_then(|i| sample.value.get(i)).copied().unwrap_or(0);
        let frames = locs.stack(sample);
        let stack = t.intern_stack(&frames, None, &mut scratch);
        samples.push(HeapSample {
            stack,
            values: HeapValues {
                alloc_objects: v(ao),
                alloc_bytes: v(ab),
                inuse_objects: v(io),
                inuse_bytes: v(ib),
            },
            labels: LabelSetId(0),
        });
    }
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
    HeapProfile {
        source: source.to_string(),
        index: 0,
        format: FORMAT,
        runtime: Runtime::Go,
        sample_types: types.to_vec(),
        has_alloc: ab.is_some(),
        period: p.period,
        // Go scales the values before writing them.
        sampling: Sampling::Exact,
        samples,
        tables: Arc::new(t),
        modules,
        stats: Vec::new(),
        time_nanos: (p.time_nanos != 0).then_some(p.time_nanos),
        warnings,
        truncated: cut.is_some(),
    }
}
