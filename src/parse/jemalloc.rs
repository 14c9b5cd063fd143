//! jemalloc heap profiles (`prof:true`, what jeprof reads): a `heap_v2/N`
//! header (N: the sampling interval in bytes), `t*:` totals and per-thread
//! `tN:` lines, one `@ 0x... 0x...` record per stack with its own `t*:`
//! line, then `MAPPED_LIBRARIES:` (a copy of /proc/PID/maps).
//!
//! The same reader takes the legacy heap text of other native producers:
//! `heap profile: N: B [N: B] @ KIND[/RATE]` with one `N: B [N: B] @ 0x..`
//! line per stack and the same `MAPPED_LIBRARIES:` section, as gperftools'
//! tcmalloc writes it (`@ heap_v2/N` for its sampled heap,
//! `@ heapprofile` for its heap profiler, `@ growth` for the stacks that
//! grew the heap) and Google's tcmalloc (`@ heapz_v2/N`, `@ growthz`).
//! Go's own legacy text (`@ heap/N`) is the pprof text reader's.
//!
//! Addresses are raw: each becomes a frame named `module+0xoffset` (the
//! offset in the module's file), which the symbolizer can resolve; the
//! modules are kept on the profile. Values are unsampled as jeprof does.
//! The allocator's own frames at the top of each stack
//! ([`crate::model::vocab::alloc`]), and the frames that start every stack
//! of a profile (an allocator linked into the program), are left out: they
//! are where the profiler took the stack, not where the program allocated.

use crate::input::Bytes;
use crate::model::heap::{unsample, HeapProfile, HeapSample, HeapValues, Module, Sampling};
use crate::model::parse_hex;
use crate::model::{
    AddrSpace, CodeKind, FrameId, LabelSetId, LineAccount, RawAddr, Runtime, SkipReason, Sym,
    Tables, Warning,
};
use crate::parse::format::{Dumps, InputFormat, ParseOptions};
use crate::parse::go::line::trim_end;
use std::sync::Arc;

/// Format id.
pub const FORMAT: &str = "jemalloc-heap";
/// Format of a profile in the legacy heap text of tcmalloc and others.
pub const LEGACY_FORMAT: &str = "native-heap-text";
/// Addresses kept per stack.
const MAX_FRAMES: usize = 1024;
const MAX_WARNINGS: usize = 1000;
const MAX_MODULES: usize = 100_000;

/// Where jemalloc's `heap_v2/N` header starts in a line (alone on it, not
/// the tail of a `heap profile:` line).
pub fn find_header(line: &[u8]) -> Option<usize> {
    let at = memchr::memmem::find(line, b"heap_v2/")?;
    if memchr::memmem::find(&line[..at], b"heap profile:").is_some() {
        return None;
    }
    let rest = trim_end(&line[at + 8..]);
    (!rest.is_empty() && rest.iter().all(u8::is_ascii_digit)).then_some(at)
}

/// A legacy `heap profile: N: B [N: B] @ KIND[/RATE]` header of a native
/// producer: where it starts, its kind and its sampling rate (0 when it
/// states none). Go's `@ heap/N` is not one.
pub fn legacy_header(line: &[u8]) -> Option<(usize, &str, u64)> {
    let at = memchr::memmem::find(line, b"heap profile:")?;
    let text = std::str::from_utf8(trim_end(&line[at..])).ok()?;
    let (_, tail) = text.split_once('@')?;
    let tail = tail.trim();
    let (kind, rate) = match tail.split_once('/') {
        Some((kind, rate)) => (kind, rate.trim().parse().ok()?),
        None => (tail, 0),
    };
    let native = kind != "heap" && (kind.starts_with("heap") || kind.starts_with("growth"));
    (native && !kind.contains(char::is_whitespace)).then_some((at, kind, rate))
}

/// Where either header starts, for log-prefix detection.
fn anchor(line: &[u8]) -> Option<usize> {
    // Both headers hold `heap` (a finder built once: this runs on every
    // line while an input's dumps are looked for).
    static HEAP: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"heap"));
    HEAP.find(line)?;
    find_header(line).or_else(|| legacy_header(line).map(|(at, _, _)| at))
}

/// How sure we are that `text` is a jemalloc heap profile (`heap_v2/` header)
/// or legacy heap text of a native producer.
pub fn detect(text: &[u8]) -> f32 {
    let head = &text[..text.len().min(64 << 10)];
    let first = head
        .split(|&c| c == b'\n')
        .find(|l| !trim_end(l).is_empty());
    match first {
        Some(l) if anchor(l) == Some(0) => 1.0,
        _ if head.split(|&c| c == b'\n').any(|l| anchor(l).is_some()) => 0.8,
        _ => 0.0,
    }
}

/// `t*: 13: 6688 [0: 0]` -> ((13, 6688), (0, 0)).
fn parse_counts(l: &[u8]) -> Option<((i64, i64), (i64, i64))> {
    let text = std::str::from_utf8(l).ok()?.trim();
    let rest = text.strip_prefix("t*:")?;
    let (a, b) = match rest.split_once('[') {
        Some((a, b)) => (a, Some(b.trim().trim_end_matches(']'))),
        None => (rest, None),
    };
    let pair = |p: &str| -> Option<(i64, i64)> {
        let (x, y) = p.split_once(':')?;
        Some((x.trim().parse().ok()?, y.trim().parse().ok()?))
    };
    Some((pair(a)?, b.map_or(Some((0, 0)), pair)?))
}

/// One line of /proc/PID/maps.
fn parse_map(l: &[u8]) -> Option<Module> {
    let text = std::str::from_utf8(l).ok()?;
    let mut it = text.split_whitespace();
    let (start, end) = it.next()?.split_once('-')?;
    let perms = it.next()?;
    let off = it.next()?;
    it.next()?; // dev
    it.next()?; // inode
    let path: String = it.collect::<Vec<_>>().join(" ");
    if !perms.contains('x') || path.is_empty() {
        return None;
    }
    Some(Module {
        start: u64::from_str_radix(start, 16).ok()?,
        end: u64::from_str_radix(end, 16).ok()?,
        file_offset: u64::from_str_radix(off, 16).ok()?,
        path,
        build_id: None,
    })
}

struct Rec {
    pcs: Vec<u64>,
    values: ((i64, i64), (i64, i64)),
}

/// Parses every jemalloc profile in `text` (usually one).
pub fn parse(text: Bytes, source: &str) -> Vec<HeapProfile> {
    let mut out = Vec::new();
    // The empty piece after a final newline is no line.
    let pieces = text.split(|&c| c == b'\n').count();
    let last = pieces - usize::from(text.ends_with(b"\n"));
    let mut acc = LineAccount::default();
    let mut lines = text
        .split(|&c| c == b'\n')
        .enumerate()
        .take(last)
        .peekable();
    while let Some((n, l)) = lines.next() {
        let (legacy, rate) = if let Some(p) = find_header(l) {
            let rate: u64 = std::str::from_utf8(trim_end(&l[p + 8..]))
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            (false, rate)
        } else if let Some((_, _, rate)) = legacy_header(l) {
            (true, rate)
        } else {
            note(&mut acc, n, unused(l, SkipReason::NotDump));
            continue;
        };
        note(&mut acc, n, None);
        let mut recs: Vec<Rec> = Vec::new();
        let mut modules: Vec<Module> = Vec::new();
        let mut warnings: Vec<Warning> = Vec::new();
        let mut in_maps = false;
        let mut pending: Option<Vec<u64>> = None;
        let mut truncated = false;
        while let Some(&(n, l)) = lines.peek() {
            if anchor(l).is_some() {
                break;
            }
            lines.next();
            let line = trim_end(l);
            let trimmed = line.trim_ascii_start();
            if in_maps {
                let mut what = unused(trimmed, SkipReason::NotModelled);
                if let Some(m) = parse_map(trimmed) {
                    what = Some(SkipReason::OverLimit);
                    if modules.len() < MAX_MODULES {
                        modules.push(m);
                        what = None;
                    }
                }
                note(&mut acc, n, what);
                continue;
            }
            if trimmed.starts_with(b"MAPPED_LIBRARIES:") {
                in_maps = true;
                note(&mut acc, n, None);
                continue;
            }
            if legacy {
                if let Some(rec) = legacy_record(trimmed) {
                    recs.push(rec);
                    note(&mut acc, n, None);
                    continue;
                }
            }
            if let Some(rest) = trimmed.strip_prefix(b"@") {
                let pcs: Vec<u64> = rest
                    .split(|&c| c == b' ')
                    .filter(|w| !w.is_empty())
                    .filter_map(parse_hex)
                    .take(MAX_FRAMES)
                    .collect();
                pending = Some(pcs);
                note(&mut acc, n, None);
                continue;
            }
            if trimmed.starts_with(b"t*:") {
                let what = match (parse_counts(trimmed), pending.take()) {
                    (Some(values), Some(pcs)) => {
                        recs.push(Rec { pcs, values });
                        None
                    }
                    // The profile's own totals: the samples sum them.
                    (Some(_), None) => Some(SkipReason::NotModelled),
                    (None, p) => {
                        pending = p;
                        if warnings.len() < MAX_WARNINGS {
                            warnings.push(Warning {
                                line: n as u64 + 1,
                                message: "unreadable t*: line".into(),
                            });
                        }
                        Some(SkipReason::Unreadable)
                    }
                };
                note(&mut acc, n, what);
                continue;
            }
            // Per-thread counts (`t0:`) and elisions are not kept.
            if trimmed.is_empty() || trimmed.starts_with(b"t") || trimmed.starts_with(b"[...]") {
                note(&mut acc, n, unused(trimmed, SkipReason::NotModelled));
                continue;
            }
            note(&mut acc, n, Some(SkipReason::Unreadable));
            if warnings.len() < MAX_WARNINGS {
                warnings.push(Warning {
                    line: n as u64 + 1,
                    message: "not a jemalloc profile line".into(),
                });
            }
        }
        if pending.is_some() {
            truncated = true;
            // The stack line whose counts are cut off.
            acc.used = acc.used.saturating_sub(1);
            acc.skip(SkipReason::Cut, 1);
        }
        if !in_maps {
            warnings.push(Warning {
                line: 0,
                message: "no MAPPED_LIBRARIES section: addresses cannot be placed in modules"
                    .into(),
            });
        }
        let format = if legacy { LEGACY_FORMAT } else { FORMAT };
        // Legacy text written from live objects alone repeats the in-use
        // pair in brackets: it says nothing of what was freed.
        let has_alloc = if legacy {
            recs.iter().any(|rec| rec.values.0 != rec.values.1)
        } else {
            recs.iter().any(|rec| rec.values.1 != (0, 0))
        };
        let mut profile = build(
            source,
            out.len(),
            (format, rate, has_alloc),
            recs,
            modules,
            warnings,
            truncated,
        );
        profile.lines = Some(std::mem::take(&mut acc));
        out.push(profile);
    }
    // Text after the last profile belongs to it.
    if let Some(profile) = out.last_mut() {
        if let Some(lines) = profile.lines.as_mut() {
            lines.absorb(&acc);
        }
    }
    out
}

/// A legacy record `N: B [N: B] @ 0x.. 0x..`: in use, allocated, pcs.
fn legacy_record(line: &[u8]) -> Option<Rec> {
    let text = std::str::from_utf8(line).ok()?;
    let (counts, pcs) = text.split_once('@')?;
    let pair = |p: &str| -> Option<(i64, i64)> {
        let (x, y) = p.split_once(':')?;
        Some((x.trim().parse().ok()?, y.trim().parse().ok()?))
    };
    let values = match counts.split_once('[') {
        Some((inuse, alloc)) => (pair(inuse)?, pair(alloc.trim().strip_suffix(']')?)?),
        None => (pair(counts)?, (0, 0)),
    };
    let pcs: Vec<u64> = pcs
        .split_ascii_whitespace()
        .filter_map(|word| parse_hex(word.as_bytes()))
        .take(MAX_FRAMES)
        .collect();
    (!pcs.is_empty()).then_some(Rec { pcs, values })
}

/// Counts line `index` (0-based) as used (`None`) or skipped.
fn note(account: &mut LineAccount, index: usize, skipped: Option<SkipReason>) {
    account.cover(index as u64 + 1);
    match skipped {
        None => account.use_lines(1),
        Some(reason) => account.skip(reason, 1),
    }
}

/// A line the parser has no use for: blank when it is.
fn unused(line: &[u8], reason: SkipReason) -> Option<SkipReason> {
    Some(if line.trim_ascii().is_empty() {
        SkipReason::Blank
    } else {
        reason
    })
}

/// `(format, sampling rate, whether the profile carries allocation
/// totals of its own)`.
type Kind = (&'static str, u64, bool);

fn build(
    source: &str,
    index: usize,
    (format, rate, has_alloc): Kind,
    recs: Vec<Rec>,
    mut modules: Vec<Module>,
    warnings: Vec<Warning>,
    truncated: bool,
) -> HeapProfile {
    modules.sort_by_key(|module| module.start);
    // The executable: the first file-backed module that is not a shared
    // library; its frames are the user's code.
    let exe = modules
        .iter()
        .find(|module| !module.path.contains(".so") && module.path.starts_with('/'))
        .map(|module| module.path.clone());
    let mut tables = Tables::new();
    let mut cache: rustc_hash::FxHashMap<u64, (FrameId, bool)> = Default::default();
    let mut samples = Vec::with_capacity(recs.len());
    let shared = shared_top(&recs);
    let entries = allocator_entries(&recs, shared);
    for rec in recs {
        let mut frames: Vec<FrameId> = Vec::with_capacity(rec.pcs.len());
        // Below the shared frames, the allocator's entry point (reached
        // from several callers) when the stack goes on below it.
        let skip = match rec.pcs.get(shared) {
            Some(pc) if entries.contains(pc) && rec.pcs.len() > shared + 1 => shared + 1,
            _ => shared,
        };
        for &pc in rec.pcs.iter().skip(skip) {
            let (frame, in_allocator) = *cache
                .entry(pc)
                .or_insert_with(|| pc_frame(&mut tables, &modules, exe.as_deref(), pc));
            frames.push(frame);
            if in_allocator {
                // The allocator's own frames at the top (with the library
                // calls among them: its mmap, its locks) are not
                // allocation sites: the site starts below the last one.
                let top = frames[..frames.len() - 1]
                    .iter()
                    .all(|&f| tables.function(tables.frame(f).function).kind != CodeKind::User);
                if top && frames.len() + skip < rec.pcs.len() {
                    frames.clear();
                }
            }
        }
        let stack = tables.intern_stack(&frames, None);
        let ((inuse_objects, inuse_bytes), (alloc_objects, alloc_bytes)) = rec.values;
        let (inuse_objects, inuse_bytes) = unsample(inuse_objects, inuse_bytes, rate);
        let (alloc_objects, alloc_bytes) = unsample(alloc_objects, alloc_bytes, rate);
        samples.push(HeapSample {
            stack,
            values: HeapValues {
                alloc_objects,
                alloc_bytes,
                inuse_objects,
                inuse_bytes,
            },
            labels: LabelSetId(0),
        });
    }
    HeapProfile {
        source: source.to_string(),
        index,
        format,
        runtime: Runtime::Native,
        sample_types: vec![
            "inuse_objects/count".into(),
            "inuse_space/bytes".into(),
            "alloc_objects/count".into(),
            "alloc_space/bytes".into(),
        ],
        has_alloc,
        period: rate as i64,
        lines: None,
        sampling: if rate > 1 {
            Sampling::Poisson { rate }
        } else {
            Sampling::Exact
        },
        samples,
        tables: Arc::new(tables),
        modules,
        stats: Vec::new(),
        time_nanos: None,
        warnings,
        truncated,
    }
}

/// How many frames start every stack of the profile: the allocator and its
/// profiler's own code, which every allocation passes through (a jemalloc
/// linked into the program, as Rust's jemallocator does, has no module of
/// its own to tell it by). They are no allocation site. Each stack keeps
/// at least one frame; a profile of one stack has nothing to compare.
fn shared_top(recs: &[Rec]) -> usize {
    let (Some(first), true) = (recs.first(), recs.len() >= 2) else {
        return 0;
    };
    let shortest = recs.iter().map(|rec| rec.pcs.len()).min().unwrap_or(0);
    let common = (0..shortest)
        .take_while(|&i| recs.iter().all(|rec| rec.pcs[i] == first.pcs[i]))
        .count();
    common.min(shortest.saturating_sub(1))
}

/// The allocator's entry points right below the frames every stack starts
/// with (`shared` of them): a pc there that several different callers
/// reach (`malloc` as Rust's global allocator, reached from every
/// allocating function) is the allocator's, not an allocation site. Empty
/// when no frame starts every stack (no allocator on top to extend).
fn allocator_entries(recs: &[Rec], shared: usize) -> Vec<u64> {
    if shared == 0 {
        return Vec::new();
    }
    let mut callers: rustc_hash::FxHashMap<u64, Option<u64>> = Default::default();
    let mut entries = Vec::new();
    for rec in recs {
        let (Some(&pc), Some(&caller)) = (rec.pcs.get(shared), rec.pcs.get(shared + 1)) else {
            continue;
        };
        match callers.get(&pc) {
            None => {
                callers.insert(pc, Some(caller));
            }
            Some(Some(first)) if *first != caller && !entries.contains(&pc) => entries.push(pc),
            Some(_) => {}
        }
    }
    entries
}

/// The frame of a raw pc, named `module+0xoffset` when a module (sorted by
/// start) covers it, and whether it is in jemalloc itself.
fn pc_frame(
    tables: &mut Tables,
    modules: &[Module],
    exe: Option<&str>,
    pc: u64,
) -> (FrameId, bool) {
    let module = modules
        .partition_point(|module| module.start <= pc)
        .checked_sub(1)
        .and_then(|index| modules.get(index))
        .filter(|module| pc < module.end);
    let (name, kind, in_allocator, raw) = match module {
        Some(module) => {
            let base = module.path.rsplit('/').next().unwrap_or("");
            let offset = (pc - module.start).wrapping_add(module.file_offset);
            let kind = if exe == Some(module.path.as_str()) {
                CodeKind::User
            } else {
                CodeKind::Stdlib
            };
            let raw = RawAddr {
                module: tables.intern(&module.path),
                build_id: Sym(0),
                addr: offset,
                space: AddrSpace::FileOffset,
                call: true,
            };
            (
                format!("{base}+{offset:#x}"),
                kind,
                crate::model::vocab::alloc::is_allocator_module(&module.path),
                raw,
            )
        }
        None => (
            format!("{pc:#x}"),
            CodeKind::User,
            false,
            RawAddr {
                module: Sym(0),
                build_id: Sym(0),
                addr: pc,
                space: AddrSpace::Absolute,
                call: true,
            },
        ),
    };
    (tables.raw_frame(&name, kind, raw), in_allocator)
}

/// jemalloc heap profiles as an input format.
pub struct Jemalloc;

impl InputFormat for Jemalloc {
    fn id(&self) -> &'static str {
        FORMAT
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["jemalloc", LEGACY_FORMAT]
    }

    fn help(&self) -> &'static str {
        "jemalloc heap profiles (`heap_v2/N`, as jeprof reads them) and the legacy heap text of tcmalloc (`heap profile: ... @ heap_v2/N`, `@ heapprofile`, `@ growth`, `@ heapz_v2/N`, `@ growthz`)"
    }

    fn expected(&self) -> Option<&'static str> {
        Some("a jemalloc heap profile (`heap_v2/N`) or tcmalloc heap text (`heap profile: ... @ heap_v2/N`)")
    }

    fn detect(&self, text: &[u8]) -> f32 {
        detect(text)
    }

    fn anchor(&self, line: &[u8]) -> Option<usize> {
        anchor(line)
    }

    fn parse(&self, text: Bytes, source: &str, _opts: &ParseOptions) -> Result<Dumps, String> {
        Ok(Dumps::of_heaps(parse(text, source)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_maps() {
        assert_eq!(
            parse_counts(b"  t*: 13: 6688 [0: 0]"),
            Some(((13, 6688), (0, 0)))
        );
        assert_eq!(parse_counts(b"t*: 1: 2"), Some(((1, 2), (0, 0))));
        assert_eq!(parse_counts(b"t0: 1: 2"), None);
        let module =
            parse_map(b"55f0e2a00000-55f0e2a01000 r-xp 00001000 08:01 1234   /opt/app/bin")
                .unwrap();
        assert_eq!(
            (module.start, module.end, module.file_offset),
            (0x55f0e2a00000, 0x55f0e2a01000, 0x1000)
        );
        assert_eq!(module.path, "/opt/app/bin");
        assert!(parse_map(b"7ffd-7ffe rw-p 00000000 00:00 0  [stack]").is_none());
        assert_eq!(find_header(b"heap_v2/524288"), Some(0));
        assert_eq!(find_header(b"heap_v2/x"), None);
    }
}
