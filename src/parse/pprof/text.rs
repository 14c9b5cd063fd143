//! The text forms of Go's pprof profiles (`?debug=1`): the goroutine and
//! goroutineleak profiles (`goroutine profile: total N`, records
//! `COUNT @ 0xpc ...`, optional `# labels: {...}`, tab-separated `#` frame
//! lines) and the legacy heap profile (`heap profile: a: b [c: d] @ heap/N`,
//! records `n: bytes [n: bytes] @ 0xpc ...` with `#` frames, then the
//! `# runtime.MemStats` block). Several profiles may follow one another in
//! one file.

use super::counted::{Builder, Record, MAX_FRAMES, MAX_WARNINGS};
use crate::input::Bytes;
use crate::model::heap::{unsample, HeapProfile, HeapSample, HeapValues, Sampling};
use crate::model::parse_hex;
use crate::model::{
    CodeKind, FrameId, LabelSetId, LineAccount, Runtime, SkipReason, Snapshot, Tables, Warning,
};
use crate::parse::format::{Dumps, InputFormat, ParseOptions};
use crate::parse::go::line::{split_go_func, trim_end};
use std::sync::Arc;

/// Format id of goroutine profiles at debug=1.
pub const GOROUTINE_FORMAT: &str = "go-pprof-text";
/// Format id of Go's legacy text heap profile.
pub const HEAP_FORMAT: &str = "go-heap-text";

/// What a header line starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Header {
    /// `goroutine profile: total N`.
    Goroutines {
        /// The header is `goroutineleak profile:`: every goroutine is a proven leak.
        leak: bool,
        /// The `total N` the header declares.
        total: u64,
    },
    /// `heap profile: ...`
    Heap,
}

/// Where a profile header starts in a line, and which.
pub fn find_header(line: &[u8]) -> Option<(usize, Header)> {
    // Every header holds `profile: `; a finder built once rules out most
    // lines (this runs on every line while an input's dumps are looked for).
    static PROFILE: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"profile: "));
    PROFILE.find(line)?;
    for (pat, leak) in [
        (&b"goroutineleak profile: total "[..], true),
        (&b"goroutine profile: total "[..], false),
    ] {
        if let Some(p) = memchr::memmem::find(line, pat) {
            let rest = trim_end(&line[p + pat.len()..]);
            let total = std::str::from_utf8(rest).ok()?.parse().ok()?;
            return Some((p, Header::Goroutines { leak, total }));
        }
    }
    let at = memchr::memmem::find(line, b"heap profile: ")?;
    parse_heap_header(&line[at..])?;
    Some((at, Header::Heap))
}

/// (objects, bytes) in use and allocated.
type Pairs = ((i64, i64), (i64, i64));

/// `heap profile: 7: 1234 [100: 5678] @ heap/1048576` ->
/// `(inuse, alloc, kind, rate)`.
fn parse_heap_header(l: &[u8]) -> Option<(Pairs, String, u64)> {
    let rest = std::str::from_utf8(l).ok()?.strip_prefix("heap profile:")?;
    let (vals, tail) = rest.split_once('@')?;
    let pairs = parse_pairs(vals)?;
    let tail = tail.trim();
    let (kind, rate) = match tail.split_once('/') {
        Some((k, r)) => (k.to_string(), r.trim().parse().ok()?),
        None => (tail.to_string(), 0),
    };
    if !kind.starts_with("heap") {
        return None;
    }
    Some((pairs, kind, rate))
}

/// `a: b [c: d]` -> ((a, b), (c, d)); the bracketed pair is optional.
fn parse_pairs(s: &str) -> Option<Pairs> {
    let pair = |p: &str| -> Option<(i64, i64)> {
        let (a, b) = p.split_once(':')?;
        Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
    };
    match s.split_once('[') {
        Some((a, b)) => Some((pair(a)?, pair(b.trim().trim_end_matches(']'))?)),
        None => Some((pair(s)?, (0, 0))),
    }
}

/// How sure we are that `text` holds debug=1 profiles.
pub fn detect(text: &[u8]) -> f32 {
    let head = &text[..text.len().min(1 << 20)];
    let mut headers = 0;
    let mut frames = 0;
    for l in head.split(|&c| c == b'\n').take(20_000) {
        if find_header(l).is_some() {
            headers += 1;
        } else if memchr::memmem::find(l, b"#\t0x").is_some() {
            frames += 1;
        }
    }
    match (headers, frames) {
        (0, _) => 0.0,
        (_, 0) => 0.6,
        _ => 0.95,
    }
}

/// One `#\t0xpc\tfunc+0xoff\tfile:line` line -> (pc, function, file, line).
fn parse_frame_line(l: &[u8]) -> Option<(u64, &[u8], &[u8], u32)> {
    let rest = l.strip_prefix(b"#")?;
    let mut parts = rest
        .split(|&c| c == b'\t')
        .map(trim_end)
        .filter(|p| !p.is_empty());
    let pc = parse_hex(parts.next()?)?;
    let func = parts.next()?;
    let func = match memchr::memmem::rfind(func, b"+0x") {
        Some(p) => &func[..p],
        None => func,
    };
    let loc = parts.next().unwrap_or(b"");
    let (file, line) = match memchr::memrchr(b':', loc) {
        Some(p) => {
            let count = std::str::from_utf8(&loc[p + 1..])
                .ok()
                .and_then(|s| s.parse().ok());
            match count {
                Some(count) => (&loc[..p], count),
                None => (loc, 0),
            }
        }
        None => (loc, 0),
    };
    Some((pc, func, file, line))
}

/// `N @ 0xpc 0xpc` or `n: b [n: b] @ 0xpc ...` -> (the part before `@`, pcs).
fn split_record(l: &[u8]) -> Option<(&str, Vec<u64>)> {
    let at = memchr::memmem::find(l, b" @ ").or_else(|| {
        // `N @` with no pcs (an empty stack).
        l.strip_suffix(b" @").map(|s| s.len())
    })?;
    let head = std::str::from_utf8(&l[..at]).ok()?.trim();
    let pcs = l
        .get(at + 3..)
        .unwrap_or(b"")
        .split(|&c| c == b' ')
        .filter(|w| !w.is_empty())
        .map(parse_hex)
        .collect::<Option<Vec<u64>>>()?;
    Some((head, pcs))
}

/// The labels of `# labels: {"k":"v", "k2":"v2"}` (Go's `%q` quoting).
fn parse_labels(body: &str) -> Vec<(String, String)> {
    let body = body.trim();
    let inner = body
        .strip_prefix('{')
        .and_then(|b| b.strip_suffix('}'))
        .unwrap_or(body);
    // Read quoted strings in order: key, value, key, value.
    let mut strs = Vec::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '"' {
            continue;
        }
        let mut text = String::new();
        while let Some(c) = chars.next() {
            match c {
                '"' => break,
                '\\' => match chars.next() {
                    Some('n') => text.push('\n'),
                    Some('t') => text.push('\t'),
                    Some(o) => text.push(o),
                    None => break,
                },
                o => text.push(o),
            }
        }
        strs.push(text);
        if strs.len() >= 128 {
            break;
        }
    }
    strs.chunks_exact(2)
        .map(|kv| (kv[0].clone(), kv[1].clone()))
        .collect()
}

/// Everything read from a text of debug=1 profiles.
#[derive(Default)]
pub struct Read {
    /// The goroutine profiles, one snapshot each.
    pub snapshots: Vec<Snapshot>,
    /// The heap profiles.
    pub heaps: Vec<HeapProfile>,
}

enum Current {
    None,
    Goroutines { b: Builder, leak: bool, start: u64 },
    Heap(HeapBuilder),
}

struct HeapBuilder {
    tables: Tables,
    samples: Vec<HeapSample>,
    kind: String,
    rate: u64,
    stats: Vec<(String, String)>,
    warnings: Vec<Warning>,
    header: ((i64, i64), (i64, i64)),
}

/// A record being read: its counts and frames so far.
struct Pending {
    line: u32,
    offset: u64,
    /// Goroutine count, or the heap pairs.
    count: u64,
    heap: ((i64, i64), (i64, i64)),
    pcs: Vec<u64>,
    frames: Vec<(u64, FrameId)>,
    labels: Vec<(String, String)>,
}

/// The state of a pass over a text of debug=1 profiles.
struct TextReader<'s> {
    source: &'s str,
    out: Read,
    cur: Current,
    pending: Option<Pending>,
    in_memstats: bool,
    /// Warnings before any profile, given to the first snapshot.
    loose: Vec<Warning>,
    /// Where the lines since the last goroutine profile was finished went.
    account: LineAccount,
}

impl TextReader<'_> {
    /// Reads one line (without its newline), which starts at byte
    /// `line_off` of `text` on 1-based line `line_no`.
    /// Returns why the line was skipped, `None` when it was used.
    fn line(
        &mut self,
        text: &Bytes,
        line_no: u32,
        line_off: u64,
        raw: &[u8],
    ) -> Option<SkipReason> {
        let line = trim_end(raw);
        if let Some((at, header)) = find_header(line) {
            flush(&mut self.cur, &mut self.pending);
            self.close(text, line_off, false);
            self.in_memstats = false;
            self.cur = start_profile(header, &line[at..], line_off);
            return None;
        }
        if line.is_empty() {
            flush(&mut self.cur, &mut self.pending);
            return Some(SkipReason::Blank);
        }
        if matches!(self.cur, Current::None) {
            return Some(SkipReason::NotDump);
        }
        if self.in_memstats || line.starts_with(b"# runtime.MemStats") {
            self.memstats_line(line);
            return None;
        }
        if let Some(rest) = line.strip_prefix(b"# labels:") {
            if let Some(pending) = &mut self.pending {
                pending.labels = parse_labels(&String::from_utf8_lossy(rest));
            }
            return None;
        }
        if line.starts_with(b"#") {
            return self.frame_line(line, line_no);
        }
        self.record_line(line, line_no, line_off)
    }

    /// Counts a line in the account of the profile being read.
    fn count(&mut self, line_no: u32, skipped: Option<SkipReason>) {
        self.account.cover(u64::from(line_no));
        match skipped {
            None => self.account.use_lines(1),
            Some(reason) => self.account.skip(reason, 1),
        }
    }

    /// Finishes the profile being read (it ends at byte `end`); a goroutine
    /// profile takes the line account with it.
    fn close(&mut self, text: &Bytes, end: u64, cut: bool) {
        let goroutines = matches!(self.cur, Current::Goroutines { .. });
        let heaps = self.out.heaps.len();
        finish(&mut self.out, &mut self.cur, self.source, text, end, cut);
        if goroutines {
            if let Some(snapshot) = self.out.snapshots.last_mut() {
                snapshot.lines = Some(std::mem::take(&mut self.account));
            }
        } else if self.out.heaps.len() > heaps {
            if let Some(heap) = self.out.heaps.last_mut() {
                heap.lines = Some(std::mem::take(&mut self.account));
            }
        }
    }

    /// A `# name = value` line of the `# runtime.MemStats` block.
    fn memstats_line(&mut self, line: &[u8]) {
        self.in_memstats = true;
        flush(&mut self.cur, &mut self.pending);
        if let (Current::Heap(heap), Some(pair)) = (&mut self.cur, line.strip_prefix(b"# ")) {
            if let Some(eq) = memchr::memmem::find(pair, b" = ") {
                if heap.stats.len() < 256 {
                    heap.stats.push((
                        String::from_utf8_lossy(&pair[..eq]).into_owned(),
                        String::from_utf8_lossy(&pair[eq + 3..]).into_owned(),
                    ));
                }
            }
        }
    }

    /// A `#\t0xPC\tfunc+0xOFF\tfile:line` frame of the pending record.
    fn frame_line(&mut self, line: &[u8], line_no: u32) -> Option<SkipReason> {
        match (parse_frame_line(line), &mut self.pending) {
            (Some((pc, func, file, file_line)), Some(pending)) => {
                if pending.frames.len() >= MAX_FRAMES {
                    return Some(SkipReason::OverLimit);
                }
                let frame = match &mut self.cur {
                    Current::Goroutines { b, .. } => b.frame(func, file, file_line, false),
                    Current::Heap(heap) => go_frame(&mut heap.tables, func, file, file_line),
                    Current::None => return Some(SkipReason::NotDump),
                };
                pending.frames.push((pc, frame));
                None
            }
            _ => {
                warn(
                    &mut self.cur,
                    &mut self.loose,
                    line_no,
                    "a frame line outside a record",
                );
                Some(SkipReason::Unreadable)
            }
        }
    }

    /// A record line (`N @ 0x... 0x...`, or the heap's pairs): starts a
    /// pending record.
    fn record_line(&mut self, line: &[u8], line_no: u32, line_off: u64) -> Option<SkipReason> {
        flush(&mut self.cur, &mut self.pending);
        let record = split_record(line).and_then(|(head, pcs)| match &self.cur {
            Current::Goroutines { .. } => head
                .parse::<u64>()
                .ok()
                .map(|count| (count, ((0, 0), (0, 0)), pcs)),
            Current::Heap(_) => parse_pairs(head).map(|pairs| (0, pairs, pcs)),
            Current::None => None,
        });
        match record {
            Some((count, heap, pcs)) => {
                self.pending = Some(Pending {
                    line: line_no,
                    offset: line_off,
                    count,
                    heap,
                    pcs,
                    frames: Vec::new(),
                    labels: Vec::new(),
                });
                None
            }
            None => {
                warn(
                    &mut self.cur,
                    &mut self.loose,
                    line_no,
                    "not a profile record",
                );
                Some(SkipReason::Unreadable)
            }
        }
    }
}

/// The profile a header line starts (`Current::None` for a heap header
/// that cannot be read); `line_off` is the header's byte offset.
fn start_profile(header: Header, header_text: &[u8], line_off: u64) -> Current {
    match header {
        Header::Goroutines { leak, total } => {
            let mut b = Builder::new(leak);
            b.header_total = Some(total);
            Current::Goroutines {
                b,
                leak,
                start: line_off,
            }
        }
        Header::Heap => match parse_heap_header(header_text) {
            Some(((inuse, alloc), kind, rate)) => Current::Heap(HeapBuilder {
                tables: Tables::new(),
                samples: Vec::new(),
                kind,
                rate,
                stats: Vec::new(),
                warnings: Vec::new(),
                header: (inuse, alloc),
            }),
            None => Current::None,
        },
    }
}

/// Parses every debug=1 profile of `text`.
pub fn parse(text: Bytes, source: &str) -> Read {
    let mut reader = TextReader {
        source,
        out: Read::default(),
        cur: Current::None,
        pending: None,
        in_memstats: false,
        loose: Vec::new(),
        account: LineAccount::default(),
    };
    let mut offset = 0u64;
    let data: &[u8] = &text;
    let lines = data.split(|&c| c == b'\n').count();
    for (index, raw) in data.split(|&c| c == b'\n').enumerate() {
        let line_off = offset;
        offset += raw.len() as u64 + 1;
        let line_no = (index + 1) as u32;
        let skipped = reader.line(&text, line_no, line_off, raw);
        // The empty piece after a final newline is no line.
        if index + 1 < lines || !raw.is_empty() {
            reader.count(line_no, skipped);
        }
    }
    // A record with pcs but no frame lines at the very end: cut off.
    let cut = reader
        .pending
        .as_ref()
        .is_some_and(|pending| pending.frames.is_empty() && !pending.pcs.is_empty());
    flush(&mut reader.cur, &mut reader.pending);
    reader.close(&text, offset, cut);
    let mut out = reader.out;
    if let Some(first) = out.snapshots.first_mut() {
        first.warnings.splice(0..0, reader.loose);
    }
    out
}

fn warn(cur: &mut Current, loose: &mut Vec<Warning>, line: u32, what: &str) {
    let warning = Warning {
        line: u64::from(line),
        message: what.to_string(),
    };
    match cur {
        Current::Goroutines { b, .. } => b.warn(warning.line, warning.message),
        Current::Heap(h) if h.warnings.len() < MAX_WARNINGS => h.warnings.push(warning),
        _ if loose.len() < MAX_WARNINGS => loose.push(warning),
        _ => {}
    }
}

fn go_frame(t: &mut Tables, func: &[u8], file: &[u8], line: u32) -> FrameId {
    let function = t.intern_function(func, split_go_func);
    let file = t.intern_bytes(file);
    t.intern_frame(crate::model::Frame {
        function,
        file,
        line,
        pc_offset: None,
        inlined: false,
    })
}

/// Frames with inlining marked: every frame but the last of a run sharing
/// one pc was inlined into the next.
fn mark_inlined(
    frames: &[(u64, FrameId)],
    mut reintern: impl FnMut(FrameId) -> FrameId,
) -> Vec<FrameId> {
    frames
        .iter()
        .enumerate()
        .map(|(i, &(pc, f))| match frames.get(i + 1) {
            Some(&(next, _)) if next == pc => reintern(f),
            _ => f,
        })
        .collect()
}

fn inlined_copy(t: &mut Tables, f: FrameId) -> FrameId {
    let mut fr = *t.frame(f);
    fr.inlined = true;
    t.intern_frame(fr)
}

/// A record printed without `#` frame lines (the program could not
/// symbolize itself): its pcs as frames, for the symbolizer.
fn raw_frames(t: &mut Tables, pcs: &[u64]) -> Vec<FrameId> {
    pcs.iter()
        .take(MAX_FRAMES)
        .map(|&pc| {
            let raw = crate::model::RawAddr {
                module: crate::model::Sym(0),
                build_id: crate::model::Sym(0),
                addr: pc,
                space: crate::model::AddrSpace::Absolute,
                call: true,
            };
            t.raw_frame(&format!("{pc:#x}"), CodeKind::User, raw)
        })
        .collect()
}

fn flush(cur: &mut Current, pending: &mut Option<Pending>) {
    let Some(p) = pending.take() else { return };
    match cur {
        Current::Goroutines { b, .. } if p.frames.is_empty() && !p.pcs.is_empty() => {
            let mut record = Record::new(raw_frames(&mut b.tables, &p.pcs), p.count);
            record.labels = if p.labels.is_empty() {
                LabelSetId(0)
            } else {
                b.labels(&p.labels)
            };
            record.line = p.line;
            record.offset = p.offset;
            b.push(record);
        }
        Current::Goroutines { b, .. } => {
            let frames = mark_inlined(&p.frames, |f| inlined_copy(&mut b.tables, f));
            // debug=1 prints no runtime frames at the top: when the first
            // printed pc is not the first recorded one, the goroutine was
            // parked in the runtime.
            let hidden_top = match (p.frames.first(), p.pcs.first()) {
                (Some(&(pc, _)), Some(&first)) => pc.wrapping_add(1) != first && pc != first,
                _ => false,
            };
            let labels = if p.labels.is_empty() {
                LabelSetId(0)
            } else {
                b.labels(&p.labels)
            };
            let mut record = Record::new(frames, p.count);
            record.labels = labels;
            record.line = p.line;
            record.offset = p.offset;
            record.hidden_top = hidden_top;
            b.push(record);
        }
        Current::Heap(h) => {
            let frames = if p.frames.is_empty() {
                raw_frames(&mut h.tables, &p.pcs)
            } else {
                mark_inlined(&p.frames, |f| inlined_copy(&mut h.tables, f))
            };
            let stack = h.tables.intern_stack(&frames, None);
            let ((io, ib), (ao, ab)) = p.heap;
            let rate = h.sampling_rate();
            let (io, ib) = unsample(io, ib, rate);
            let (ao, ab) = unsample(ao, ab, rate);
            h.samples.push(HeapSample {
                stack,
                values: HeapValues {
                    alloc_objects: ao,
                    alloc_bytes: ab,
                    inuse_objects: io,
                    inuse_bytes: ib,
                },
                labels: LabelSetId(0),
            });
        }
        Current::None => {}
    }
}

impl HeapBuilder {
    /// pprof's reading of the header: Go's `heap/N` states twice the
    /// sampling rate; `heap_v2/N` states it as is.
    fn sampling_rate(&self) -> u64 {
        match self.kind.as_str() {
            "heap" => self.rate / 2,
            _ => self.rate,
        }
    }
}

fn finish(out: &mut Read, cur: &mut Current, source: &str, text: &Bytes, end: u64, cut: bool) {
    match std::mem::replace(cur, Current::None) {
        Current::None => {}
        Current::Goroutines { b, leak, start } => {
            let index = out.snapshots.len() + out.heaps.len();
            let origin = if leak {
                "goroutineleak"
            } else {
                "goroutine-profile"
            };
            out.snapshots.push(b.finish(
                source,
                index,
                GOROUTINE_FORMAT,
                origin,
                text.clone(),
                (start, end),
                cut,
            ));
        }
        Current::Heap(h) => {
            let index = out.snapshots.len() + out.heaps.len();
            let rate = h.sampling_rate();
            let ((hio, hib), (hao, hab)) = h.header;
            let has_alloc = (hao, hab) != (0, 0) || h.samples.is_empty() || (hio, hib) == (0, 0);
            out.heaps.push(HeapProfile {
                source: source.to_string(),
                index,
                format: HEAP_FORMAT,
                runtime: Runtime::Go,
                sample_types: vec![
                    "alloc_objects/count".into(),
                    "alloc_space/bytes".into(),
                    "inuse_objects/count".into(),
                    "inuse_space/bytes".into(),
                ],
                has_alloc,
                period: rate as i64,
                sampling: if rate > 1 {
                    Sampling::Poisson { rate }
                } else {
                    Sampling::Exact
                },
                samples: h.samples,
                tables: Arc::new(h.tables),
                modules: Vec::new(),
                stats: h.stats,
                time_nanos: None,
                warnings: h.warnings,
                truncated: cut,
                lines: None,
            });
        }
    }
}

/// Go pprof text profiles (debug=1) as an input format.
pub struct GoProfileText;

impl InputFormat for GoProfileText {
    fn id(&self) -> &'static str {
        GOROUTINE_FORMAT
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["pprof-text", HEAP_FORMAT]
    }

    fn help(&self) -> &'static str {
        "Go pprof text profiles (debug=1): goroutine, goroutineleak and the legacy heap profile"
    }

    fn expected(&self) -> Option<&'static str> {
        Some("a pprof goroutine or heap profile (protobuf, or debug=1 text starting `goroutine profile: total N` or `heap profile:`)")
    }

    fn detect(&self, text: &[u8]) -> f32 {
        detect(text)
    }

    fn anchor(&self, line: &[u8]) -> Option<usize> {
        find_header(line)
            .map(|(offset, _)| offset)
            .or_else(|| memchr::memchr_iter(b'#', line).find(|&i| line[i..].starts_with(b"#\t0x")))
    }

    fn parse(&self, text: Bytes, source: &str, _opts: &ParseOptions) -> Result<Dumps, String> {
        let read = parse(text, source);
        Ok(Dumps {
            snapshots: read.snapshots,
            heaps: read.heaps,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers() {
        assert_eq!(
            find_header(b"goroutine profile: total 42"),
            Some((
                0,
                Header::Goroutines {
                    leak: false,
                    total: 42
                }
            ))
        );
        assert_eq!(
            find_header(b"2024-01-01 goroutineleak profile: total 8\r"),
            Some((
                11,
                Header::Goroutines {
                    leak: true,
                    total: 8
                }
            ))
        );
        assert_eq!(
            find_header(b"heap profile: 7: 1234 [100: 5678] @ heap/1048576"),
            Some((0, Header::Heap))
        );
        assert_eq!(find_header(b"heap profile: nonsense"), None);
        assert_eq!(find_header(b"goroutine profile: total x"), None);
    }

    #[test]
    fn frame_lines_with_several_tabs() {
        let (pc, f, file, line) =
            parse_frame_line(b"#\t0x4dfe2d\tmain.(*Cache).Get+0x2d\t\t\t\t/src/main.go:26")
                .unwrap();
        assert_eq!(pc, 0x4dfe2d);
        assert_eq!(f, b"main.(*Cache).Get");
        assert_eq!(file, b"/src/main.go");
        assert_eq!(line, 26);
        assert!(parse_frame_line(b"# labels: {}").is_none());
    }

    #[test]
    fn labels_in_go_quoting() {
        assert_eq!(
            parse_labels(r#"{"a":"b \"x\"", "k":"v"}"#),
            vec![("a".into(), "b \"x\"".into()), ("k".into(), "v".into())]
        );
        assert!(parse_labels("{}").is_empty());
    }

    #[test]
    fn heap_pairs() {
        assert_eq!(parse_pairs(" 1: 2 [3: 4] "), Some(((1, 2), (3, 4))));
        assert_eq!(parse_pairs("1: 2"), Some(((1, 2), (0, 0))));
        assert_eq!(parse_pairs("x: 2"), None);
    }
}
