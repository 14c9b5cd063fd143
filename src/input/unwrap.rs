//! Finding the dump inside messy text, without knowing the dump's format:
//! the caller passes an [`AnchorFinder`] that recognises a line which
//! certainly belongs to a dump and says where in the line it starts.
//!
//! Steps, in order, each applied only when needed: UTF-16 → UTF-8 and BOM;
//! CRLF / CR → LF; docker json-file lines; a dump escaped inside one log
//! record (a JSON string field or a logfmt `key="..."` value); log prefixes
//! and ticket indentation or quoting in front of the dump's lines.
//!
//! Every step but the expansion of escaped dumps keeps one output line per
//! input line, so line numbers in warnings still match the user's file.
//! Unrelated text is left in place: the parsers skip it.

use crate::model::Bytes;
use regex::bytes::Regex;
use std::sync::OnceLock;

/// Given one line (without its newline), where a dump line starts in it.
pub type AnchorFinder<'a> = &'a dyn Fn(&[u8]) -> Option<usize>;

/// The unwrapped text and what was done to it.
#[derive(Debug, Clone)]
pub struct Unwrapped {
    /// The text the parsers read: the input itself when nothing was changed.
    pub bytes: Bytes,
    /// Human-readable notes, e.g. "stripped log prefixes from 812 lines".
    pub notes: Vec<String>,
    /// True when `bytes` differs from the input.
    pub changed: bool,
    /// Timestamps of the stripped log prefixes: `(offset in bytes, seconds
    /// since the Unix epoch)` of the first line of each new second, in
    /// order (at most [`MAX_TIMES`]).
    pub times: Vec<(u64, f64)>,
}

/// Timestamps kept per input.
pub const MAX_TIMES: usize = 100_000;

/// How many anchor lines are sampled to decide about prefixes.
const SAMPLE_ANCHORS: usize = 64;
/// How much of the start and the end of the text is sampled for anchors.
const SAMPLE_BYTES: usize = 1 << 20;

/// What the steps learn besides the text: notes, and the timestamps of
/// stripped log prefixes (see [`Unwrapped::times`]).
#[derive(Default)]
struct Side {
    notes: Vec<String>,
    times: Vec<(u64, f64)>,
}

/// One unwrapping step: `Some(new bytes)` when it changed something.
type Step = fn(&[u8], AnchorFinder, &mut Side) -> Option<Vec<u8>>;

/// Finds the dump inside `input`, applying each unwrapping step that is needed (see the module header).
pub fn unwrap(input: Bytes, anchor: AnchorFinder) -> Unwrapped {
    let mut side = Side::default();
    let mut cur = input;
    let mut changed = false;
    let steps: [Step; 5] = [
        decode_encoding,
        normalise_newlines,
        docker_json,
        escaped_records,
        strip_prefixes,
    ];
    for step in steps {
        if let Some(v) = step(&cur, anchor, &mut side) {
            cur = Bytes::owned(v);
            changed = true;
        }
    }
    Unwrapped {
        bytes: cur,
        notes: side.notes,
        changed,
        times: side.times,
    }
}

fn lines(b: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = b;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        match memchr::memchr(b'\n', rest) {
            Some(p) => {
                let line = &rest[..p];
                rest = &rest[p + 1..];
                Some(line)
            }
            None => {
                let line = rest;
                rest = &[];
                Some(line)
            }
        }
    })
}

/// UTF-16 (with a BOM) to UTF-8; a UTF-8 BOM removed.
fn decode_encoding(b: &[u8], _: AnchorFinder, side: &mut Side) -> Option<Vec<u8>> {
    let notes = &mut side.notes;
    if let Some(rest) = b.strip_prefix(&[0xef, 0xbb, 0xbf]) {
        notes.push("removed a UTF-8 byte-order mark".into());
        return Some(rest.to_vec());
    }
    let (le, skip, how) = if b.starts_with(&[0xff, 0xfe]) {
        (true, 2, "")
    } else if b.starts_with(&[0xfe, 0xff]) {
        (false, 2, "")
    } else {
        match utf16_without_bom(b)? {
            Endian::Little => (true, 0, " (no byte-order mark: told by its NUL bytes)"),
            Endian::Big => (false, 0, " (no byte-order mark: told by its NUL bytes)"),
        }
    };
    let units = b[skip..].chunks_exact(2).map(|c| {
        if le {
            u16::from_le_bytes([c[0], c[1]])
        } else {
            u16::from_be_bytes([c[0], c[1]])
        }
    });
    let text: String = char::decode_utf16(units)
        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect();
    notes.push(format!(
        "decoded UTF-16 {}{how}",
        if le { "LE" } else { "BE" }
    ));
    Some(text.into_bytes())
}

/// The byte order of UTF-16 text written without a byte-order mark.
enum Endian {
    Little,
    Big,
}

/// UTF-16 without a BOM, told by its NUL bytes: text of a dump is mostly
/// ASCII, whose UTF-16 code units have one zero byte each, always on the
/// same side (odd offsets in little-endian, even in big-endian), while
/// UTF-8 text holds no NUL at all.
fn utf16_without_bom(b: &[u8]) -> Option<Endian> {
    let head = &b[..b.len().min(4096) & !1];
    let pairs = head.len() / 2;
    if pairs < 8 {
        return None;
    }
    let (mut even, mut odd) = (0usize, 0usize);
    for pair in head.chunks_exact(2) {
        even += usize::from(pair[0] == 0);
        odd += usize::from(pair[1] == 0);
    }
    // Nine tenths of the units ASCII, hardly a NUL on the other side.
    let mostly = |n: usize| n * 10 >= pairs * 9;
    let hardly = |n: usize| n * 20 <= pairs;
    if mostly(odd) && hardly(even) {
        Some(Endian::Little)
    } else if mostly(even) && hardly(odd) {
        Some(Endian::Big)
    } else {
        None
    }
}

/// CRLF and lone CR to LF.
fn normalise_newlines(b: &[u8], _: AnchorFinder, side: &mut Side) -> Option<Vec<u8>> {
    let notes = &mut side.notes;
    memchr::memchr(b'\r', b)?;
    let mut out = Vec::with_capacity(b.len());
    let mut pos = 0;
    for p in memchr::memchr_iter(b'\r', b) {
        out.extend_from_slice(&b[pos..p]);
        if b.get(p + 1) != Some(&b'\n') {
            out.push(b'\n');
        }
        pos = p + 1;
    }
    out.extend_from_slice(&b[pos..]);
    notes.push("converted CRLF line endings".into());
    Some(out)
}

#[derive(serde::Deserialize)]
struct DockerLine {
    log: String,
}

/// docker json-file: `{"log":"...\n","stream":"stderr","time":"..."}` per line.
fn docker_json(b: &[u8], _: AnchorFinder, side: &mut Side) -> Option<Vec<u8>> {
    let notes = &mut side.notes;
    // The first lines with text, within the first MiB (not every blank
    // line of a text that has few others).
    let head: Vec<&[u8]> = lines(&b[..b.len().min(SAMPLE_BYTES)])
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .take(20)
        .collect();
    let docker = head.iter().filter(|l| l.starts_with(b"{\"log\":")).count();
    if head.is_empty() || docker * 2 < head.len() {
        return None;
    }
    let mut out = Vec::with_capacity(b.len());
    let mut decoded_count = 0usize;
    for l in lines(b) {
        match serde_json::from_slice::<DockerLine>(l) {
            Ok(d) => {
                out.extend_from_slice(d.log.as_bytes());
                if !d.log.ends_with('\n') {
                    out.push(b'\n');
                }
                decoded_count += 1;
            }
            Err(_) => {
                out.extend_from_slice(l);
                out.push(b'\n');
            }
        }
    }
    notes.push(format!("decoded {decoded_count} docker json-file lines"));
    Some(out)
}

/// A dump carried inside one log record with `\n` escapes: a JSON object
/// with a string field holding the dump, or a logfmt `key="..."` value.
fn escaped_records(b: &[u8], anchor: AnchorFinder, side: &mut Side) -> Option<Vec<u8>> {
    let notes = &mut side.notes;
    memchr::memmem::find(b, b"\\n")?;
    let mut out: Option<Vec<u8>> = None;
    let mut expanded_count = 0usize;
    let mut offset = 0usize;
    for l in lines(b) {
        let line_start = offset;
        offset += l.len() + 1;
        let decoded = if memchr::memmem::find(l, b"\\n").is_some() && anchor(l).is_some() {
            decode_record(l, anchor)
        } else {
            None
        };
        match decoded {
            Some(d) => {
                let target = out.get_or_insert_with(|| {
                    let mut expanded = Vec::with_capacity(b.len() + d.len());
                    expanded.extend_from_slice(&b[..line_start]);
                    expanded
                });
                target.extend_from_slice(d.as_bytes());
                if !d.ends_with('\n') {
                    target.push(b'\n');
                }
                expanded_count += 1;
            }
            None => {
                if let Some(o) = out.as_mut() {
                    o.extend_from_slice(l);
                    o.push(b'\n');
                }
            }
        }
    }
    if expanded_count > 0 {
        notes.push(format!(
            "expanded {expanded_count} escaped {} carried inside log records (line numbers refer to the expanded text)",
            if expanded_count == 1 { "dump" } else { "dumps" }
        ));
    }
    out
}

fn contains_anchor(s: &str, anchor: AnchorFinder) -> bool {
    s.lines().any(|l| anchor(l.as_bytes()).is_some())
}

fn decode_record(l: &[u8], anchor: AnchorFinder) -> Option<String> {
    // JSON: the object may follow a prefix (a timestamp).
    if let Some(open) = memchr::memchr(b'{', l) {
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&l[open..]) {
            if let Some(s) = find_json_string(&v, anchor, 0) {
                return Some(s);
            }
        }
    }
    // logfmt: key="...", Go-quoted.
    let mut from = 0;
    while let Some(p) = memchr::memmem::find(&l[from..], b"=\"") {
        let start = from + p + 1;
        let (s, end) = unquote_go(&l[start..])?;
        if contains_anchor(&s, anchor) {
            return Some(s);
        }
        from = start + end.max(1);
        if from >= l.len() {
            break;
        }
    }
    None
}

fn find_json_string(v: &serde_json::Value, anchor: AnchorFinder, depth: u32) -> Option<String> {
    if depth > 8 {
        return None;
    }
    match v {
        serde_json::Value::String(s) if s.contains('\n') && contains_anchor(s, anchor) => {
            Some(s.clone())
        }
        serde_json::Value::Object(m) => m
            .values()
            .find_map(|x| find_json_string(x, anchor, depth + 1)),
        serde_json::Value::Array(a) => a
            .iter()
            .find_map(|x| find_json_string(x, anchor, depth + 1)),
        _ => None,
    }
}

/// Unquotes a Go (strconv.Quote) string starting at `"`; returns the text
/// and the index just past the closing quote.
fn unquote_go(b: &[u8]) -> Option<(String, usize)> {
    if b.first() != Some(&b'"') {
        return None;
    }
    let mut out: Vec<u8> = Vec::new();
    let mut pos = 1;
    while pos < b.len() {
        let byte = b[pos];
        match byte {
            b'"' => return Some((String::from_utf8_lossy(&out).into_owned(), pos + 1)),
            b'\\' => {
                let escape = *b.get(pos + 1)?;
                pos += 2;
                match escape {
                    b'n' => out.push(b'\n'),
                    b't' => out.push(b'\t'),
                    b'r' => out.push(b'\r'),
                    b'"' => out.push(b'"'),
                    b'\\' => out.push(b'\\'),
                    b'\'' => out.push(b'\''),
                    b'a' => out.push(7),
                    b'b' => out.push(8),
                    b'f' => out.push(12),
                    b'v' => out.push(11),
                    b'x' => {
                        let hex = std::str::from_utf8(b.get(pos..pos + 2)?).ok()?;
                        out.push(u8::from_str_radix(hex, 16).ok()?);
                        pos += 2;
                    }
                    b'u' | b'U' => {
                        let len = if escape == b'u' { 4 } else { 8 };
                        let hex = std::str::from_utf8(b.get(pos..pos + len)?).ok()?;
                        let ch = char::from_u32(u32::from_str_radix(hex, 16).ok()?)
                            .unwrap_or('\u{fffd}');
                        let mut buf = [0u8; 4];
                        out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                        pos += len;
                    }
                    other => {
                        out.push(b'\\');
                        out.push(other);
                    }
                }
            }
            _ => {
                out.push(byte);
                pos += 1;
            }
        }
    }
    None
}

/// Known log prefix shapes (anchored at the line start, never eating the tab
/// that starts a Go file line).
fn prefix_patterns() -> &'static [(&'static str, Regex)] {
    static P: OnceLock<Vec<(&'static str, Regex)>> = OnceLock::new();
    P.get_or_init(|| {
        // Level words: upper case, or bracketed in any case. A bare lower-case
        // `panic:` or `fatal` belongs to the dump, never to the prefix.
        let level = r"(?:(?:TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|ERR|CRIT|FATAL|PANIC|\[(?i:trace|debug|info|notice|warn|warning|error|err|crit|fatal|panic)\]):? +)?";
        let defs: [(&str, String); 5] = [
            (
                "RFC 3339 timestamp",
                format!(
                    r"^\d{{4}}-\d{{2}}-\d{{2}}[T ]\d{{2}}:\d{{2}}:\d{{2}}(?:[.,]\d+)?(?:Z|[+-]\d{{2}}:?\d{{2}})? +(?:(?:stdout|stderr) [FP] )?{level}"
                ),
            ),
            (
                "syslog/journald",
                format!(r"^[A-Z][a-z]{{2}} [ \d]\d \d{{2}}:\d{{2}}:\d{{2}} \S+ [^:\s\[]+(?:\[\d+\])?: {level}"),
            ),
            (
                "Go log timestamp",
                format!(r"^\d{{4}}/\d{{2}}/\d{{2}} \d{{2}}:\d{{2}}:\d{{2}}(?:\.\d+)? {level}"),
            ),
            ("docker compose", r"^[\w.-]+ +\| ".to_string()),
            ("bracketed timestamp", format!(r"^\[[^\]\n]{{8,40}}\] +{level}")),
        ];
        defs.into_iter()
            .filter_map(|(n, r)| Regex::new(&r).ok().map(|re| (n, re)))
            .collect()
    })
}

/// Seconds since the Unix epoch of a log prefix's leading timestamp:
/// `2024-05-01T12:00:00.123Z`, `2024-05-01 12:00:00+02:00`,
/// `2024/05/01 12:00:00.5` (Go's log package; local time, read as UTC).
pub fn parse_stamp(p: &[u8]) -> Option<f64> {
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let field = p.get(r)?;
        if field.is_empty() || !field.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(field).ok()?.parse().ok()
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let mut pos = 19;
    let mut frac = 0.0;
    if matches!(p.get(pos), Some(b'.' | b',')) {
        let start = pos + 1;
        let mut end = start;
        while p.get(end).is_some_and(u8::is_ascii_digit) {
            end += 1;
        }
        if end > start {
            let digits = std::str::from_utf8(&p[start..end.min(start + 9)]).ok()?;
            frac = format!("0.{digits}").parse().unwrap_or(0.0);
        }
        pos = end;
    }
    let offset = match p.get(pos) {
        Some(&c @ (b'+' | b'-')) => {
            let oh = num(pos + 1..pos + 3)?;
            let om = if p.get(pos + 3) == Some(&b':') {
                num(pos + 4..pos + 6)?
            } else {
                num(pos + 3..pos + 5).unwrap_or(0)
            };
            let offset_secs = oh * 3600 + om * 60;
            if c == b'+' {
                offset_secs
            } else {
                -offset_secs
            }
        }
        _ => 0,
    };
    // Days from the civil date (proleptic Gregorian).
    let (y, m) = if mo <= 2 {
        (y - 1, mo + 9)
    } else {
        (y, mo - 3)
    };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some((days * 86_400 + h * 3600 + mi * 60 + s - offset) as f64 + frac)
}

/// An anchor line of the sample: the prefix in front of where the dump
/// line starts, and the lines around it (the nearest non-blank line before
/// and after it, when any), which prove the prefix when they carry it too.
struct Sampled<'a> {
    prefix: &'a [u8],
    before: Option<&'a [u8]>,
    after: Option<&'a [u8]>,
}

/// Where anchors start in a sample of lines: the start and the end of the text.
fn sample_anchor_prefixes<'a>(b: &'a [u8], anchor: AnchorFinder) -> Vec<Sampled<'a>> {
    let mut out: Vec<Sampled<'a>> = Vec::new();
    let scan = |region: &'a [u8], out: &mut Vec<Sampled<'a>>| {
        let mut before: Option<&'a [u8]> = None;
        // Anchor lines still waiting for the next non-blank line.
        let mut waiting = 0usize;
        let mut found = 0usize;
        for l in lines(region) {
            if is_blank(l) {
                continue;
            }
            let start = out.len() - waiting;
            for s in &mut out[start..] {
                s.after = Some(l);
            }
            waiting = 0;
            if found >= SAMPLE_ANCHORS {
                break;
            }
            if let Some(p) = anchor(l) {
                out.push(Sampled {
                    prefix: &l[..p.min(l.len())],
                    before,
                    after: None,
                });
                waiting = 1;
                found += 1;
            }
            before = Some(l);
        }
    };
    scan(&b[..b.len().min(SAMPLE_BYTES)], &mut out);
    if b.len() > 2 * SAMPLE_BYTES {
        let from = b.len() - SAMPLE_BYTES;
        let tail = memchr::memchr(b'\n', &b[from..]).map_or(b.len(), |p| from + p + 1);
        scan(&b[tail..], &mut out);
        // A dump in the middle of a long log, neither near its start nor
        // near its end: the lines between, up to the first anchors.
        if out.is_empty() {
            let head = SAMPLE_BYTES;
            let head = memchr::memchr(b'\n', &b[head..]).map_or(b.len(), |p| head + p + 1);
            if head < tail {
                scan(&b[head..tail], &mut out);
            }
        }
    }
    out
}

fn is_blank(l: &[u8]) -> bool {
    l.iter().all(u8::is_ascii_whitespace)
}

/// Whether a prefix shape proves itself: a log prefix or a ticket's
/// indentation sits in front of every line of the dump, so at least half
/// of the prefixed anchor lines have a neighbouring line that carries the
/// same shape (`carries`). A shape seen only in front of isolated lines is
/// part of those lines (a thread header that another format's anchor finds
/// a frame in, such as `"Finalizer" #3 daemon ... in Object.wait()`).
fn proved(sample: &[&Sampled], carries: impl Fn(&[u8]) -> bool) -> bool {
    let with_neighbour = sample
        .iter()
        .filter(|s| s.before.is_some_and(&carries) || s.after.is_some_and(&carries))
        .count();
    with_neighbour > 0 && with_neighbour * 2 >= sample.len()
}

/// Log prefixes and ticket indentation in front of the dump's lines.
fn strip_prefixes(b: &[u8], anchor: AnchorFinder, side: &mut Side) -> Option<Vec<u8>> {
    let Side { notes, times } = side;
    let sample = sample_anchor_prefixes(b, anchor);
    let sampled: Vec<&Sampled> = sample.iter().filter(|s| !s.prefix.is_empty()).collect();
    let prefixed: Vec<&[u8]> = sampled.iter().map(|s| s.prefix).collect();
    if prefixed.is_empty() {
        return None;
    }
    // One literal prefix (indentation, `> ` quotes, a fixed container name)?
    let first = prefixed[0];
    let trimmed = trim_end_ws(first);
    if prefixed.iter().all(|p| *p == first)
        && !starts_with_digit_run(first)
        && proved(&sampled, |l| {
            l.starts_with(first) || (!trimmed.is_empty() && l == trimmed)
        })
    {
        let mut out = Vec::with_capacity(b.len());
        let mut stripped = 0usize;
        for l in lines(b) {
            if let Some(rest) = l.strip_prefix(first) {
                out.extend_from_slice(rest);
                stripped += 1;
            } else if !trimmed.is_empty() && l == trimmed {
                stripped += 1;
            } else {
                out.extend_from_slice(l);
            }
            out.push(b'\n');
        }
        fix_final_newline(b, &mut out);
        notes.push(format!(
            "stripped the prefix {:?} from {stripped} {}",
            String::from_utf8_lossy(first),
            lines_word(stripped)
        ));
        return Some(out);
    }
    // A known pattern that matches the prefix of every prefixed anchor line.
    for (name, re) in prefix_patterns() {
        let fits = prefixed
            .iter()
            .all(|p| re.find(p).is_some_and(|m| m.end() == p.len()));
        if !fits || !proved(&sampled, |l| re.is_match(l)) {
            continue;
        }
        let mut out = Vec::with_capacity(b.len());
        let mut stripped = 0usize;
        // The time of the first line of each second (the prefix is parsed
        // only when its first 19 bytes, up to the seconds, change).
        let stamped = matches!(*name, "RFC 3339 timestamp" | "Go log timestamp");
        let mut second: &[u8] = b"";
        for l in lines(b) {
            match re.find(l) {
                Some(m) => {
                    let prefix = &l[..m.end()];
                    let key = &prefix[..prefix.len().min(19)];
                    if stamped && key != second && times.len() < MAX_TIMES {
                        if let Some(t) = parse_stamp(prefix) {
                            times.push((out.len() as u64, t));
                        }
                        second = key;
                    }
                    out.extend_from_slice(&l[m.end()..]);
                    stripped += 1;
                }
                None => out.extend_from_slice(l),
            }
            out.push(b'\n');
        }
        fix_final_newline(b, &mut out);
        notes.push(format!(
            "stripped {name} prefixes from {stripped} {}",
            lines_word(stripped)
        ));
        return Some(out);
    }
    // Fallback: prefixes of one shape (digits vary, the rest is equal).
    let shape = |p: &[u8]| -> Vec<u8> {
        p.iter()
            .map(|c| if c.is_ascii_digit() { b'9' } else { *c })
            .collect()
    };
    let s0 = shape(first);
    let len = first.len();
    let same_shape = |l: &[u8]| l.len() >= len && shape(&l[..len]) == s0;
    if prefixed.iter().all(|p| shape(p) == s0) && proved(&sampled, same_shape) {
        let mut out = Vec::with_capacity(b.len());
        let mut stripped = 0usize;
        for l in lines(b) {
            if same_shape(l) {
                out.extend_from_slice(&l[len..]);
                stripped += 1;
            } else {
                out.extend_from_slice(l);
            }
            out.push(b'\n');
        }
        fix_final_newline(b, &mut out);
        notes.push(format!(
            "stripped fixed-shape prefixes from {stripped} {}",
            lines_word(stripped)
        ));
        return Some(out);
    }
    None
}

fn starts_with_digit_run(p: &[u8]) -> bool {
    p.iter().take_while(|c| c.is_ascii_digit()).count() >= 2
}

fn trim_end_ws(mut b: &[u8]) -> &[u8] {
    while let [rest @ .., last] = b {
        if last.is_ascii_whitespace() {
            b = rest;
        } else {
            break;
        }
    }
    b
}

/// Keeps "no newline at the end" when the input had none (a cut-off dump).
fn fix_final_newline(input: &[u8], out: &mut Vec<u8>) {
    if !input.ends_with(b"\n") && out.ends_with(b"\n") {
        out.pop();
    }
}

/// `line` or `lines`, as `n` asks.
fn lines_word(n: usize) -> &'static str {
    if n == 1 {
        "line"
    } else {
        "lines"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anchor(l: &[u8]) -> Option<usize> {
        let at = memchr::memmem::find(l, b"goroutine ")?;
        let rest = &l[at + 10..];
        let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
        (digits > 0 && rest.get(digits..digits + 2) == Some(b" [")).then_some(at)
    }

    const DUMP: &str = "goroutine 1 [running]:\nmain.main()\n\t/src/main.go:12 +0x1d\n\ngoroutine 7 [chan receive]:\nmain.worker(0xc000010000)\n\t/src/main.go:20 +0x2a\ncreated by main.main in goroutine 1\n\t/src/main.go:9 +0x44\n";

    fn run(s: &[u8]) -> Unwrapped {
        unwrap(Bytes::owned(s.to_vec()), &anchor)
    }

    #[test]
    fn clean_input_is_not_copied() {
        let input = Bytes::owned(DUMP.as_bytes().to_vec());
        let unwrapped = unwrap(input.clone(), &anchor);
        assert!(!unwrapped.changed);
        assert_eq!(unwrapped.bytes.as_ptr(), input.as_ptr());
        assert!(unwrapped.notes.is_empty());
    }

    #[test]
    fn bom_and_crlf() {
        let mut text = vec![0xef, 0xbb, 0xbf];
        text.extend(DUMP.replace('\n', "\r\n").bytes());
        let unwrapped = run(&text);
        assert_eq!(&*unwrapped.bytes, DUMP.as_bytes());
        assert_eq!(unwrapped.notes.len(), 2);
    }

    #[test]
    fn utf16() {
        let mut text = vec![0xff, 0xfe];
        for u in DUMP.encode_utf16() {
            text.extend(u.to_le_bytes());
        }
        assert_eq!(&*run(&text).bytes, DUMP.as_bytes());
        let mut text = vec![0xfe, 0xff];
        for u in DUMP.encode_utf16() {
            text.extend(u.to_be_bytes());
        }
        assert_eq!(&*run(&text).bytes, DUMP.as_bytes());
    }

    #[test]
    fn utf16_without_bom_is_told_by_its_nul_bytes() {
        let le: Vec<u8> = DUMP.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let unwrapped = run(&le);
        assert_eq!(&*unwrapped.bytes, DUMP.as_bytes());
        assert!(unwrapped.notes[0].contains("no byte-order mark"));
        let be: Vec<u8> = DUMP.encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(&*run(&be).bytes, DUMP.as_bytes());
        // Binary data with NUL bytes here and there is not text.
        let noise: Vec<u8> = (0..512u32).map(|i| (i * 37 % 251) as u8).collect();
        assert!(utf16_without_bom(&noise).is_none());
        assert!(utf16_without_bom(DUMP.as_bytes()).is_none());
    }

    fn prefixed(p: impl Fn(usize) -> String) -> String {
        DUMP.lines()
            .enumerate()
            .map(|(i, l)| format!("{}{l}\n", p(i)))
            .collect()
    }

    #[test]
    fn prefix_timestamps_are_read_as_utc_seconds() {
        let stamp = |s: &str| super::parse_stamp(s.as_bytes());
        assert_eq!(stamp("1970-01-01T00:00:00Z "), Some(0.0));
        assert_eq!(stamp("2000-03-01T00:00:00Z "), Some(951_868_800.0));
        assert_eq!(stamp("1999-12-31 23:59:59 INFO "), Some(946_684_799.0));
        assert_eq!(stamp("2024-05-01T12:00:00+02:00 "), Some(1_714_557_600.0));
        assert_eq!(stamp("2024-05-01T12:00:00.25Z "), Some(1_714_564_800.25));
        assert_eq!(stamp("2024/05/01 12:00:00.5 "), Some(1_714_564_800.5));
        assert_eq!(stamp("2024-13-01T00:00:00Z "), None);
        assert_eq!(stamp("2024-05-01"), None);
        // One entry per new second, at the offset of its first line.
        let text = prefixed(|i| format!("2026-11-02T10:15:{:02}.5Z ", i / 3));
        let unwrapped = run(text.as_bytes());
        assert!(unwrapped.times.len() >= 2, "{:?}", unwrapped.times);
        assert_eq!(unwrapped.times[0].0, 0);
        assert!(unwrapped
            .times
            .windows(2)
            .all(|w| w[1].0 > w[0].0 && w[1].1 - w[0].1 == 1.0));
    }

    #[test]
    fn a_prefixed_dump_in_the_middle_of_a_long_log_is_unwrapped() {
        let logs: String = (0..40_000)
            .map(|i| {
                format!(
                    "2026-11-02T10:15:{:02}.5Z INFO handled request id={i} status=200\n",
                    i % 60
                )
            })
            .collect();
        assert!(logs.len() > 2 * SAMPLE_BYTES);
        let dump = prefixed(|_| "2026-11-02T10:16:00.5Z ERROR ".to_string());
        let text = format!("{logs}{dump}{logs}");
        let unwrapped = run(text.as_bytes());
        let out = String::from_utf8_lossy(&unwrapped.bytes);
        assert!(out.contains(&format!("\n{DUMP}")), "{:?}", unwrapped.notes);
    }

    #[test]
    fn rfc3339_prefixes_keep_lines_and_tabs() {
        let text = prefixed(|i| format!("2026-11-02T10:15:{:02}.{}Z ", i, 123456 + i * 7));
        let unwrapped = run(text.as_bytes());
        assert_eq!(std::str::from_utf8(&unwrapped.bytes).unwrap(), DUMP);
        assert!(
            unwrapped.notes[0].contains("RFC 3339"),
            "{:?}",
            unwrapped.notes
        );
        // With a level word and CRI stream fields.
        let text = prefixed(|_| "2026-11-02 10:15:42,123 ERROR ".to_string());
        assert_eq!(
            std::str::from_utf8(&run(text.as_bytes()).bytes).unwrap(),
            DUMP
        );
        let text = prefixed(|i| format!("2026-11-02T10:15:42.{i}Z stderr F "));
        assert_eq!(
            std::str::from_utf8(&run(text.as_bytes()).bytes).unwrap(),
            DUMP
        );
    }

    #[test]
    fn syslog_and_go_log_prefixes() {
        let text = prefixed(|i| format!("Nov  2 10:15:{:02} web-3 orders[4242]: ", i));
        let unwrapped = run(text.as_bytes());
        assert_eq!(std::str::from_utf8(&unwrapped.bytes).unwrap(), DUMP);
        assert!(
            unwrapped.notes[0].contains("syslog"),
            "{:?}",
            unwrapped.notes
        );
        let text = prefixed(|i| format!("2026/11/02 10:15:{:02} ", i));
        assert_eq!(
            std::str::from_utf8(&run(text.as_bytes()).bytes).unwrap(),
            DUMP
        );
    }

    #[test]
    fn literal_prefixes() {
        for p in ["    ", "\t", "> ", ">> ", "web-1  | "] {
            let text = prefixed(|_| p.to_string());
            let unwrapped = run(text.as_bytes());
            // Quoted blank lines may lose their trailing space: both forms work.
            assert_eq!(
                std::str::from_utf8(&unwrapped.bytes).unwrap(),
                DUMP,
                "prefix {p:?}"
            );
        }
        let text = prefixed(|_| "> ".to_string()).replace("> \n", ">\n");
        assert_eq!(
            std::str::from_utf8(&run(text.as_bytes()).bytes).unwrap(),
            DUMP
        );
    }

    #[test]
    fn a_prefix_on_isolated_lines_is_not_stripped() {
        // Text in front of each goroutine header but of no other line is
        // part of those lines, not a log prefix: nothing is stripped.
        let text = DUMP.replace("goroutine ", "waiting: goroutine ");
        let unwrapped = run(text.as_bytes());
        assert!(!unwrapped.changed, "{:?}", unwrapped.notes);
        // The same text on every line is a prefix.
        let text = prefixed(|_| "waiting: ".into());
        assert_eq!(
            std::str::from_utf8(&run(text.as_bytes()).bytes).unwrap(),
            DUMP
        );
    }

    #[test]
    fn unrelated_text_kept_in_place() {
        let text = format!("Here is the dump:\n```\n{DUMP}```\nthanks\n");
        let unwrapped = run(text.as_bytes());
        assert!(!unwrapped.changed);
        let text = format!(
            "2026-11-02T10:15:42Z starting\n{}",
            prefixed(|_| "2026-11-02T10:15:43Z ".into())
        );
        let unwrapped = run(text.as_bytes());
        assert_eq!(
            std::str::from_utf8(&unwrapped.bytes).unwrap(),
            format!("starting\n{DUMP}")
        );
    }

    #[test]
    fn docker_json_lines() {
        let text: String = DUMP
            .lines()
            .map(|l| format!("{}\n", serde_json::json!({"log": format!("{l}\n"), "stream": "stderr", "time": "2026-11-02T10:15:42.1Z"})))
            .collect();
        let unwrapped = run(text.as_bytes());
        assert_eq!(std::str::from_utf8(&unwrapped.bytes).unwrap(), DUMP);
        assert!(unwrapped.notes[0].contains("docker"));
    }

    #[test]
    fn escaped_json_and_logfmt_records() {
        let json = format!(
            "{}\n",
            serde_json::json!({"level": "error", "msg": "dump", "stack": DUMP})
        );
        let text = format!("{{\"level\":\"info\",\"msg\":\"start\"}}\n{json}");
        let unwrapped = run(text.as_bytes());
        assert_eq!(
            std::str::from_utf8(&unwrapped.bytes).unwrap(),
            format!("{{\"level\":\"info\",\"msg\":\"start\"}}\n{DUMP}")
        );
        let quoted = format!("{:?}", DUMP); // Rust's Debug quoting matches Go's for this text
        let text = format!("time=2026-11-02T10:15:42Z level=ERROR msg=dump stack={quoted}\n");
        let unwrapped = run(text.as_bytes());
        assert_eq!(std::str::from_utf8(&unwrapped.bytes).unwrap(), DUMP);
    }

    #[test]
    fn go_unquote_escapes() {
        let (s, end) = unquote_go(br#""a\tb\n\"c\"\\\x41\u00e9" rest"#).unwrap();
        assert_eq!(s, "a\tb\n\"c\"\\Aé");
        assert_eq!(end, 25);
        assert!(unquote_go(br#""unterminated"#).is_none());
        assert!(unquote_go(br#""bad \x4"#).is_none());
    }

    #[test]
    fn cut_input_keeps_missing_final_newline() {
        let text = prefixed(|_| "    ".into());
        let text = &text[..text.len() - 5];
        let unwrapped = run(text.as_bytes());
        assert!(!unwrapped.bytes.ends_with(b"\n"));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2000)) {
            let _ = run(&data);
        }

        #[test]
        fn never_panics_on_mutated_dumps(cut in 0usize..400, pos in 0usize..400, byte in proptest::prelude::any::<u8>()) {
            let mut text = prefixed(|i| format!("2026-11-02T10:15:{:02}Z ", i)).into_bytes();
            if pos < text.len() { text[pos] = byte; }
            text.truncate(cut.min(text.len()));
            let _ = run(&text);
        }
    }
}
