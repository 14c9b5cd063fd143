//! The grammar of single lines of a Go traceback. Pure functions over bytes,
//! no allocation on the hot path, no panics on any input.

use crate::model::{parse_hex, CodeKind};

/// A parsed goroutine header line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Header<'a> {
    /// The goroutine id (`goroutine N`).
    pub id: u64,
    /// The goroutine's `g` address (`gp=0x...`), printed with `GOTRACEBACK=system` and above.
    pub gp: Option<u64>,
    /// `m=N` → `Some(Some(N))`, `m=nil` → `Some(None)`.
    pub m: Option<Option<u32>>,
    /// The `m`'s address (`mp=0x...`), when printed.
    pub mp: Option<u64>,
    /// The wait reason or status without the markers below.
    pub state: &'a [u8],
    /// Comma items that were not understood, kept verbatim.
    pub extra_state: Option<&'a [u8]>,
    /// Marked `(leaked)` (or the state is `leaked`): found leaked by the GC.
    pub leaked: bool,
    /// Marked `(scan)`: the GC was scanning its stack.
    pub scan: bool,
    /// Marked `(durable)`: durably blocked inside a synctest bubble.
    pub durable: bool,
    /// How long it has been blocked (`, N minutes`), when printed.
    pub minutes: Option<u32>,
    /// Locked to its OS thread (`, locked to thread`).
    pub locked: bool,
    /// The synctest bubble it runs in (`, synctest bubble N`), when printed.
    pub bubble: Option<u64>,
    /// The text between `{` and `}` of a Go 1.27 label set.
    pub labels: Option<&'a [u8]>,
}

/// `b` without trailing spaces, tabs and carriage returns.
pub fn trim_end(mut b: &[u8]) -> &[u8] {
    while let [rest @ .., last] = b {
        if *last == b' ' || *last == b'\t' || *last == b'\r' {
            b = rest;
        } else {
            break;
        }
    }
    b
}

/// `b` without leading spaces and tabs.
pub fn trim_start(mut b: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = b {
        if *first == b' ' || *first == b'\t' {
            b = rest;
        } else {
            break;
        }
    }
    b
}

fn parse_u64(b: &[u8]) -> Option<u64> {
    if b.is_empty() || b.len() > 19 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    b.iter().try_fold(0u64, |acc, d| {
        acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })
}

/// Finds `n` in a short haystack (one line): cheaper than building a
/// `memmem` searcher per call.
fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    let (&first, rest) = n.split_first()?;
    memchr::memchr_iter(first, h).find(|&i| h.get(i + 1..i + 1 + rest.len()) == Some(rest))
}

/// Where a goroutine header starts in `line`, if it contains one. Used by the
/// input layer to find log prefixes.
pub fn find_header(line: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(p) = find(line.get(from..)?, b"goroutine ") {
        let at = from + p;
        let rest = line.get(at + 10..)?;
        let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
        if digits > 0 && matches!(rest.get(digits..digits + 2), Some(b" [") | Some(b" g")) {
            return Some(at);
        }
        from = at + 10;
    }
    None
}

/// Parses `goroutine N [state]:` and its Go 1.23+/1.27 extensions.
pub fn parse_header(line: &[u8]) -> Option<Header<'_>> {
    let line = trim_end(line);
    let rest = line.strip_prefix(b"goroutine ")?;
    let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    let id = parse_u64(rest.get(..digits)?)?;
    let mut rest = rest.get(digits..)?;
    let mut header = Header {
        id,
        ..Header::default()
    };
    // Optional `gp=0x.. m=N mp=0x..` fields.
    loop {
        rest = rest.strip_prefix(b" ")?;
        if rest.first() == Some(&b'[') {
            break;
        }
        let end = rest.iter().position(|&c| c == b' ')?;
        let (field, tail) = rest.split_at(end);
        if let Some(v) = field.strip_prefix(b"gp=") {
            header.gp = parse_hex(v);
        } else if let Some(v) = field.strip_prefix(b"mp=") {
            header.mp = parse_hex(v);
        } else if let Some(v) = field.strip_prefix(b"m=") {
            header.m = Some(if v == b"nil" {
                None
            } else {
                Some(u32::try_from(parse_u64(v)?).ok()?)
            });
        } else {
            return None;
        }
        rest = tail;
    }
    let rest = rest.strip_prefix(b"[")?;
    let close = rest.iter().position(|&c| c == b']')?;
    let status = rest.get(..close)?;
    let mut tail = rest.get(close + 1..)?;
    if let Some(t) = tail.strip_prefix(b" {") {
        let end = t.iter().rposition(|&c| c == b'}')?;
        header.labels = Some(t.get(..end)?);
        tail = t.get(end + 1..)?;
    }
    if tail != b":" {
        return None;
    }
    parse_status(status, &mut header);
    Some(header)
}

/// Recognises the start of a header cut off by the end of the input
/// (`goroutine 123 [chan rec`), returning the id.
pub fn parse_cut_header(line: &[u8]) -> Option<u64> {
    let rest = line.strip_prefix(b"goroutine ")?;
    let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    let id = parse_u64(rest.get(..digits)?)?;
    match rest.get(digits..) {
        Some(t) if t.is_empty() || t.starts_with(b" [") || t.starts_with(b" gp=") => Some(id),
        _ => None,
    }
}

fn parse_status<'a>(status: &'a [u8], h: &mut Header<'a>) {
    let mut parts = SplitComma(status);
    let mut reason = parts.next().unwrap_or(b"");
    loop {
        if let Some(r) = reason.strip_suffix(b" (leaked)") {
            h.leaked = true;
            reason = r;
        } else if let Some(r) = reason.strip_suffix(b" (scan)") {
            h.scan = true;
            reason = r;
        } else if let Some(r) = reason.strip_suffix(b" (durable)") {
            h.durable = true;
            reason = r;
        } else {
            break;
        }
    }
    if reason == b"leaked" {
        h.leaked = true;
    }
    h.state = reason;
    let mut extra_start: Option<usize> = None;
    for p in parts {
        if let Some(n) = p.strip_suffix(b" minutes") {
            if let Some(v) = parse_u64(n) {
                h.minutes = u32::try_from(v).ok();
                continue;
            }
        }
        if p == b"locked to thread" {
            h.locked = true;
            continue;
        }
        if let Some(n) = p.strip_prefix(b"synctest bubble ") {
            if let Some(v) = parse_u64(n) {
                h.bubble = Some(v);
                continue;
            }
        }
        // Keep unknown items verbatim: from the first one to the end.
        if extra_start.is_none() {
            let off = p.as_ptr() as usize - status.as_ptr() as usize;
            extra_start = Some(off);
        }
    }
    if let Some(off) = extra_start {
        h.extra_state = status.get(off..);
    }
}

/// Splits on `", "`.
struct SplitComma<'a>(&'a [u8]);

impl<'a> Iterator for SplitComma<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.0.is_empty() {
            return None;
        }
        match find(self.0, b", ") {
            Some(p) => {
                let (a, b) = self.0.split_at(p);
                self.0 = b.get(2..).unwrap_or(b"");
                Some(a)
            }
            None => {
                let last = self.0;
                self.0 = b"";
                Some(last)
            }
        }
    }
}

/// Parses a Go 1.27 label set body `k: v, k2: "quoted, value"`.
pub fn parse_labels(body: &[u8]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let text = String::from_utf8_lossy(body);
    let mut chars = text.chars().peekable();
    loop {
        while chars.peek() == Some(&' ') || chars.peek() == Some(&',') {
            chars.next();
        }
        if chars.peek().is_none() {
            break;
        }
        let key = read_label_token(&mut chars, ':');
        if chars.peek() == Some(&':') {
            chars.next();
        }
        while chars.peek() == Some(&' ') {
            chars.next();
        }
        let value = read_label_token(&mut chars, ',');
        out.push((key, value));
        if out.len() >= 64 {
            break;
        }
    }
    out
}

fn read_label_token(chars: &mut std::iter::Peekable<std::str::Chars<'_>>, stop: char) -> String {
    let mut value = String::new();
    if chars.peek() == Some(&'"') {
        chars.next();
        while let Some(c) = chars.next() {
            match c {
                '"' => break,
                '\\' => match chars.next() {
                    Some('n') => value.push('\n'),
                    Some('r') => value.push('\r'),
                    Some('t') => value.push('\t'),
                    // The runtime's `\xNN`, `\uNNNN`, `\UNNNNNNNN`.
                    Some(e @ ('x' | 'u' | 'U')) => {
                        let n = match e {
                            'x' => 2,
                            'u' => 4,
                            _ => 8,
                        };
                        let digits: String = chars.by_ref().take(n).collect();
                        match u32::from_str_radix(&digits, 16)
                            .ok()
                            .and_then(char::from_u32)
                        {
                            Some(c) => value.push(c),
                            None => value.push(char::REPLACEMENT_CHARACTER),
                        }
                    }
                    Some(o) => value.push(o),
                    None => break,
                },
                c => value.push(c),
            }
        }
        return value;
    }
    while let Some(&c) = chars.peek() {
        if c == stop {
            break;
        }
        value.push(c);
        chars.next();
    }
    value.trim_end().to_string()
}

/// Splits a frame line `pkg.F(args)` into name and argument text (without the
/// parentheses). The argument list is the last parenthesised group.
pub fn split_call(line: &[u8]) -> Option<(&[u8], &[u8], usize)> {
    let line = trim_end(line);
    if line.last() != Some(&b')') {
        return None;
    }
    let open = memchr::memrchr(b'(', line)?;
    let name = line.get(..open)?;
    if name.is_empty() || name.first() == Some(&b'\t') || name.first() == Some(&b' ') {
        return None;
    }
    let args = line.get(open + 1..line.len() - 1)?;
    Some((name, args, open + 1))
}

/// A parsed source-position line `\t/path/file.go:123 +0x1d fp=.. sp=.. pc=..`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileLine<'a> {
    /// The source file as printed.
    pub path: &'a [u8],
    /// The line number.
    pub line: u32,
    /// The pc's offset from the function entry (`+0x1d`), when printed.
    pub pc_offset: Option<u32>,
    /// The part that identifies the location: path, line and offset,
    /// without the per-goroutine `fp= sp= pc=` fields.
    pub key: &'a [u8],
}

/// Parses a file line; the line must start with whitespace.
pub fn parse_file_line(line: &[u8]) -> Option<FileLine<'_>> {
    if !matches!(line.first(), Some(b'\t') | Some(b' ')) {
        return None;
    }
    let mut rest = trim_end(trim_start(line));
    if let Some(p) = find(rest, b" fp=") {
        rest = rest.get(..p)?;
    }
    let key = rest;
    let mut pc_offset = None;
    if let Some(p) = find(rest, b" +0x") {
        if let Some(v) = parse_hex(rest.get(p + 2..)?) {
            pc_offset = u32::try_from(v).ok();
            rest = rest.get(..p)?;
        }
    }
    let colon = memchr::memrchr(b':', rest)?;
    let line_no = u32::try_from(parse_u64(rest.get(colon + 1..)?)?).ok()?;
    let path = rest.get(..colon)?;
    if path.is_empty() {
        return None;
    }
    Some(FileLine {
        path,
        line: line_no,
        pc_offset,
        key,
    })
}

/// `created by pkg.F in goroutine 7` → (`pkg.F`, Some(7)).
pub fn parse_created_by(line: &[u8]) -> Option<(&[u8], Option<u64>)> {
    let rest = trim_end(line).strip_prefix(b"created by ")?;
    if let Some(p) = find(rest, b" in goroutine ") {
        let id = parse_u64(rest.get(p + 14..)?);
        return Some((rest.get(..p)?, id));
    }
    Some((rest, None))
}

/// `...N frames elided...` → Some(N); `...additional frames elided...` → Some(0).
pub fn parse_elided(line: &[u8]) -> Option<u32> {
    let trimmed = trim_end(trim_start(line));
    if trimmed == b"...additional frames elided..." {
        return Some(0);
    }
    let count = trimmed
        .strip_prefix(b"...")?
        .strip_suffix(b" frames elided...")?;
    u32::try_from(parse_u64(count)?).ok()
}

/// `[originating from goroutine N]:` → N.
pub fn parse_ancestor(line: &[u8]) -> Option<u64> {
    let id = trim_end(line)
        .strip_prefix(b"[originating from goroutine ")?
        .strip_suffix(b"]:")?;
    parse_u64(id)
}

/// Whether the line is Go's `goroutine running on other thread; stack unavailable`.
pub fn is_stack_unavailable(line: &[u8]) -> bool {
    trim_end(trim_start(line)) == b"goroutine running on other thread; stack unavailable"
}

/// True when an argument word looks like a pointer rather than a value
/// (the same floor panicparse uses: at least 1 MiB).
pub fn is_pointer_word(w: &[u8]) -> bool {
    let word = w.strip_suffix(b"?").unwrap_or(w);
    matches!(parse_hex(word), Some(v) if (1 << 20..1 << 56).contains(&v))
}

/// Go's standard library top-level packages.
const STD_ROOTS: &[&str] = &[
    "archive",
    "bufio",
    "builtin",
    "bytes",
    "cmp",
    "compress",
    "container",
    "context",
    "crypto",
    "database",
    "debug",
    "embed",
    "encoding",
    "errors",
    "expvar",
    "flag",
    "fmt",
    "go",
    "hash",
    "html",
    "image",
    "index",
    "internal",
    "io",
    "iter",
    "log",
    "maps",
    "math",
    "mime",
    "net",
    "os",
    "path",
    "plugin",
    "reflect",
    "regexp",
    "runtime",
    "slices",
    "sort",
    "strconv",
    "strings",
    "structs",
    "sync",
    "syscall",
    "testing",
    "text",
    "time",
    "unicode",
    "unique",
    "unsafe",
    "vendor",
    "weak",
];

/// Splits a Go function name into (package, receiver, name, kind).
pub fn split_go_func(full: &str) -> (String, Option<String>, String, CodeKind) {
    // The package path ends at the first '.' (or Go 1.4's '·') after the last
    // '/' that is not inside brackets or parentheses.
    let bytes = full.as_bytes();
    let mut depth = 0i32;
    let mut last_slash = 0usize;
    for (i, &c) in bytes.iter().enumerate() {
        match c {
            b'(' | b'[' => depth += 1,
            b')' | b']' => depth -= 1,
            b'/' if depth == 0 => last_slash = i + 1,
            _ => {}
        }
    }
    let tail = full.get(last_slash..).unwrap_or("");
    let dot = tail
        .char_indices()
        .find(|&(_, c)| c == '.' || c == '·')
        .map(|(i, c)| (i, c.len_utf8()));
    let (package, rest) = match dot {
        Some((i, l)) => (
            full.get(..last_slash + i).unwrap_or(full).to_string(),
            tail.get(i + l..).unwrap_or(""),
        ),
        None => (String::new(), full),
    };
    let (receiver, name) = if let Some(r) = rest.strip_prefix('(') {
        // (*T).M or (*T[...]).M
        let mut depth = 1;
        let mut end = None;
        for (i, c) in r.char_indices() {
            match c {
                '(' | '[' => depth += 1,
                ')' | ']' => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(i);
                        break;
                    }
                }
                _ => {}
            }
        }
        match end {
            Some(e) => (
                Some(r.get(..e).unwrap_or("").to_string()),
                r.get(e + 1..)
                    .unwrap_or("")
                    .trim_start_matches('.')
                    .to_string(),
            ),
            None => (None, rest.to_string()),
        }
    } else {
        (None, rest.to_string())
    };
    let kind = go_code_kind(&package);
    (package, receiver, name, kind)
}

/// Classifies a Go package path.
pub fn go_code_kind(package: &str) -> CodeKind {
    // Builtins such as `panic` print without a package.
    if package.is_empty()
        || package == "runtime"
        || package.starts_with("runtime/")
        || package.starts_with("internal/runtime/")
    {
        return CodeKind::Runtime;
    }
    let root = package.split('/').next().unwrap_or("");
    if package != "main" && !root.contains('.') && STD_ROOTS.contains(&root) {
        CodeKind::Stdlib
    } else {
        CodeKind::User
    }
}

/// Whether a goroutine's frames go on after a line it cannot read, given
/// the text from the next line on: a non-blank line that is not a header
/// (the rest of a line split in two, or the next function line) and then a
/// source line. (A source line right after it is the unreadable line's own,
/// handled before this.)
pub fn frames_go_on(rest: &[u8]) -> bool {
    let is_file =
        |l: &[u8]| matches!(l.first(), Some(b'\t') | Some(b' ')) && parse_file_line(l).is_some();
    let mut lines = rest.split(|&b| b == b'\n').map(trim_end);
    match (lines.next(), lines.next()) {
        (Some(first), Some(second)) => {
            !first.is_empty() && parse_header(first).is_none() && is_file(second)
        }
        _ => false,
    }
}

/// The Go-only detail of a task, when its header prints any (`gp=`, `m=`,
/// `mp=`, a synctest bubble).
#[inline]
pub fn go_detail(header: &Header<'_>) -> Option<Box<crate::model::TaskDetail>> {
    if header.gp.is_some() || header.m.is_some() || header.mp.is_some() || header.bubble.is_some() {
        Some(Box::new(crate::model::TaskDetail::Go(
            crate::model::GoTaskDetail {
                gp: header.gp,
                m: header.m,
                mp: header.mp,
                bubble: header.bubble,
                ancestors: Vec::new(),
            },
        )))
    } else {
        None
    }
}

/// Where a goroutine header starts inside a line that holds something
/// before it (a file line whose newline was lost when two dumps were
/// joined): `\t/src/main.go:32 +0x11dgoroutine 1 [running]:`.
pub fn glued_header(line: &[u8]) -> Option<usize> {
    memchr::memmem::find_iter(line, b"goroutine ")
        .filter(|&at| at > 0)
        .find(|&at| parse_header(&line[at..]).is_some())
}

/// Whether a function belongs to the Go distribution (the runtime and the
/// standard library): its package path's first element has no dot, and it
/// is not the program's `main`.
pub fn is_go_distribution(func: &[u8]) -> bool {
    // The first path element ends at the first `/`; a package without one
    // ends at the first `.`. A dot before any slash means a domain
    // (`github.com/...`) unless no slash follows: then it ended the
    // package name (`sync.(*Cond).Wait`). Names are short: a plain loop
    // costs less than a vector search here (once per frame).
    match func.iter().position(|&b| b == b'/' || b == b'.') {
        Some(0) | None => false,
        Some(at) if func[at] == b'/' => true,
        Some(at) => &func[..at] != b"main" && !func[at..].contains(&b'/'),
    }
}

/// The bytes that separate the words of a frame's argument list: `,`,
/// space, `{` and `}`.
static ARG_SEPARATORS: [bool; 256] = {
    let mut table = [false; 256];
    table[b',' as usize] = true;
    table[b' ' as usize] = true;
    table[b'{' as usize] = true;
    table[b'}' as usize] = true;
    table
};

/// Whether `b` separates the words of a frame's argument list.
#[inline]
fn is_arg_separator(b: u8) -> bool {
    ARG_SEPARATORS[usize::from(b)]
}

/// A word of at most 8 bytes as one number (its bytes and its length), so
/// that hashing it is one step.
#[inline]
fn packed_word(w: &[u8]) -> u64 {
    let mut v = w.len() as u64;
    for &b in w {
        v = (v << 8) | u64::from(b);
    }
    v
}

/// Whether an argument list has a word marked `?` (a stale register
/// spill).
#[inline]
fn has_stale_word(args: &[u8]) -> bool {
    args.iter()
        .enumerate()
        .any(|(i, &b)| b == b'?' && args.get(i + 1).is_none_or(|&n| is_arg_separator(n)))
}

/// Hashes a frame's arguments for grouping: byte for byte (`exact`), and
/// with the words that do not tell the user's goroutines apart left out
/// (`pointers`, the default): pointer-like words, values marked `?` (stale
/// register spills), and every word of the Go distribution's own frames
/// (`internal`, [`is_go_distribution`]: a `notifyListWait` ticket, a poll
/// descriptor's mode; how many words such a frame prints is the frame's
/// own, which the stack already tells). Runs once per frame: one pass over
/// the words, none for the Go distribution's frames once the version
/// features they show were seen.
#[inline]
pub(super) fn hash_args(
    h_exact: &mut rustc_hash::FxHasher,
    h_ptr: &mut rustc_hash::FxHasher,
    internal: bool,
    args: &[u8],
    features: &mut super::features::Features,
) {
    use super::features::Features;
    use std::hash::Hasher;
    h_exact.write(args);
    h_exact.write_u8(0xff);
    if !features.has(Features::BRACE_ARG) && memchr::memchr(b'{', args).is_some() {
        features.0 |= Features::BRACE_ARG;
    }
    if internal {
        if !features.has(Features::QUESTION_ARG) && has_stale_word(args) {
            features.0 |= Features::QUESTION_ARG;
        }
        h_ptr.write_u8(0xfe);
        return;
    }
    let mut i = 0;
    while i < args.len() {
        if is_arg_separator(args[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < args.len() && !is_arg_separator(args[i]) {
            i += 1;
        }
        let w = &args[start..i];
        let stale = w.last() == Some(&b'?');
        if stale {
            features.0 |= Features::QUESTION_ARG;
        }
        if stale || is_pointer_word(w) {
            h_ptr.write_u8(b'p');
        } else if w.len() <= 7 {
            h_ptr.write_u64(packed_word(w));
        } else {
            h_ptr.write(w);
            h_ptr.write_u8(b',');
        }
    }
    h_ptr.write_u8(0xff);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_go_distribution_is_told_by_its_package_path() {
        for f in [
            "runtime.gopark",
            "sync.runtime_notifyListWait",
            "internal/poll.(*FD).Read",
            "net/http.(*conn).serve",
        ] {
            assert!(is_go_distribution(f.as_bytes()), "{f}");
        }
        for f in [
            "main.(*client).readLoop",
            "main.main.func1",
            "example.com/shop/dumpkit.Dump",
            "github.com/nats-io/nats.go.(*Conn).flusher",
            "golang.org/x/net/http2.(*ClientConn).readLoop",
        ] {
            assert!(!is_go_distribution(f.as_bytes()), "{f}");
        }
    }

    #[test]
    fn grouping_ignores_stale_words_and_internal_scalars_but_not_user_scalars() {
        use rustc_hash::FxHasher;
        use std::hash::Hasher;
        let hash = |name: &str, args: &str| {
            let (mut e, mut p) = (FxHasher::default(), FxHasher::default());
            let mut f = super::super::features::Features::default();
            let internal = is_go_distribution(name.as_bytes());
            hash_args(&mut e, &mut p, internal, args.as_bytes(), &mut f);
            (e.finish(), p.finish())
        };
        let ticket = |n: &str| hash("sync.runtime_notifyListWait", &format!("0xc000010000, {n}"));
        assert_eq!(ticket("0x19").1, ticket("0x1e").1);
        assert_ne!(ticket("0x19").0, ticket("0x1e").0);
        let spill = |w: &str| hash("main.worker", &format!("0xc000010000, {w}"));
        assert_eq!(spill("0x0?").1, spill("0x1?").1);
        let user = |w: &str| hash("main.worker", &format!("0xc000010000, {w}"));
        assert_ne!(user("0x7").1, user("0x8").1);
    }

    #[test]
    fn header_plain() {
        let header = parse_header(b"goroutine 1 [running]:").unwrap();
        assert_eq!(header.id, 1);
        assert_eq!(header.state, b"running");
        assert!(header.minutes.is_none() && !header.locked && !header.leaked);
    }

    #[test]
    fn header_all_items() {
        let header = parse_header(
            b"goroutine 18 gp=0xc000102a80 m=3 mp=0xc000080808 [chan receive (leaked) (scan), 12 minutes, locked to thread, synctest bubble 4] {handler: order, \"tenant\": \"a, b\"}:",
        )
        .unwrap();
        assert_eq!(header.id, 18);
        assert_eq!(header.gp, Some(0xc000102a80));
        assert_eq!(header.m, Some(Some(3)));
        assert_eq!(header.mp, Some(0xc000080808));
        assert_eq!(header.state, b"chan receive");
        assert!(header.leaked && header.scan && header.locked);
        assert_eq!(header.minutes, Some(12));
        assert_eq!(header.bubble, Some(4));
        let labels = parse_labels(header.labels.unwrap());
        assert_eq!(
            labels,
            vec![
                ("handler".to_string(), "order".to_string()),
                ("tenant".to_string(), "a, b".to_string())
            ]
        );
    }

    #[test]
    fn header_m_nil_durable_and_unknown_items() {
        let header =
            parse_header(b"goroutine 7 gp=0x1 m=nil [select (durable), 3 minutes, new thing]:")
                .unwrap();
        assert_eq!(header.m, Some(None));
        assert!(header.durable);
        assert_eq!(header.state, b"select");
        assert_eq!(header.minutes, Some(3));
        assert_eq!(header.extra_state, Some(&b"new thing"[..]));
        let header = parse_header(b"goroutine 9 [select (no cases)]:").unwrap();
        assert_eq!(header.state, b"select (no cases)");
    }

    #[test]
    fn header_rejects_non_headers() {
        assert!(parse_header(b"goroutine 1 [running]").is_none());
        assert!(parse_header(b"goroutine x [running]:").is_none());
        assert!(parse_header(b"Goroutine 7 (running) created at:").is_none());
        assert!(parse_header(b"goroutine 99999999999999999999999 [x]:").is_none());
        assert_eq!(parse_cut_header(b"goroutine 12 [chan rec"), Some(12));
        assert_eq!(
            find_header(b"2024-01-01T00:00:00Z goroutine 12 [x]:"),
            Some(21)
        );
        assert_eq!(find_header(b"the goroutine 12 was"), None);
    }

    #[test]
    fn call_lines() {
        let (n, a, _) =
            split_call(b"main.(*T).run(0xc000010000, {0x5e73d8, 0xc0000b4000}, ...)").unwrap();
        assert_eq!(n, b"main.(*T).run");
        assert_eq!(a, b"0xc000010000, {0x5e73d8, 0xc0000b4000}, ...");
        let (n, a, _) = split_call(b"main.F[...](...)").unwrap();
        assert_eq!(n, b"main.F[...]");
        assert_eq!(a, b"...");
        assert!(split_call(b"created by main.main in goroutine 1").is_none());
        assert!(split_call(b"\t/x.go:1 +0x1").is_none());
    }

    #[test]
    fn file_lines() {
        let file_line = parse_file_line(b"\t/usr/local/go/src/runtime/proc.go:435 +0xce fp=0xc00004e738 sp=0xc00004e718 pc=0x47a1ee").unwrap();
        assert_eq!(file_line.path, b"/usr/local/go/src/runtime/proc.go");
        assert_eq!(file_line.line, 435);
        assert_eq!(file_line.pc_offset, Some(0xce));
        assert_eq!(
            file_line.key,
            b"/usr/local/go/src/runtime/proc.go:435 +0xce"
        );
        let file_line =
            parse_file_line(b"\tC:/Program Files/Go/src/runtime/proc.go:398 +0x1a").unwrap();
        assert_eq!(file_line.path, b"C:/Program Files/Go/src/runtime/proc.go");
        assert_eq!(file_line.line, 398);
        let file_line = parse_file_line(b"\texample.com/m@v1.2.3/f.go:12").unwrap();
        assert_eq!(file_line.path, b"example.com/m@v1.2.3/f.go");
        assert_eq!(file_line.pc_offset, None);
        assert!(parse_file_line(b"main.main()").is_none());
        assert!(parse_file_line(b"\t:12").is_none());
    }

    #[test]
    fn other_lines() {
        assert_eq!(
            parse_created_by(b"created by main.main in goroutine 1"),
            Some((&b"main.main"[..], Some(1)))
        );
        assert_eq!(
            parse_created_by(b"created by main.main"),
            Some((&b"main.main"[..], None))
        );
        assert_eq!(parse_elided(b"...12 frames elided..."), Some(12));
        assert_eq!(parse_elided(b"...additional frames elided..."), Some(0));
        assert_eq!(parse_ancestor(b"[originating from goroutine 5]:"), Some(5));
        assert!(is_stack_unavailable(
            b"\tgoroutine running on other thread; stack unavailable"
        ));
        assert!(is_pointer_word(b"0xc000012345"));
        assert!(is_pointer_word(b"0xc000012345?"));
        assert!(!is_pointer_word(b"0x1"));
        assert!(!is_pointer_word(b"..."));
    }

    #[test]
    fn function_names() {
        let split = |f| split_go_func(f);
        assert_eq!(
            split("net/http.(*conn).serve"),
            (
                "net/http".into(),
                Some("*conn".into()),
                "serve".into(),
                CodeKind::Stdlib
            )
        );
        assert_eq!(
            // Go escapes dots of the last import path element as %2e.
            split("gopkg.in/yaml%2ev2.(*decoder).unmarshal"),
            (
                "gopkg.in/yaml%2ev2".into(),
                Some("*decoder".into()),
                "unmarshal".into(),
                CodeKind::User
            )
        );
        assert_eq!(
            split("main.main.func1"),
            ("main".into(), None, "main.func1".into(), CodeKind::User)
        );
        assert_eq!(
            split("example.com/m/pkg.(*List[...]).Push"),
            (
                "example.com/m/pkg".into(),
                Some("*List[...]".into()),
                "Push".into(),
                CodeKind::User
            )
        );
        assert_eq!(
            split("runtime.gopark"),
            ("runtime".into(), None, "gopark".into(), CodeKind::Runtime)
        );
        assert_eq!(
            split("internal/sync.(*Mutex).lockSlow"),
            (
                "internal/sync".into(),
                Some("*Mutex".into()),
                "lockSlow".into(),
                CodeKind::Stdlib
            )
        );
        assert_eq!(
            split("runtime·park"),
            ("runtime".into(), None, "park".into(), CodeKind::Runtime)
        );
        assert_eq!(
            split("main.func·001"),
            ("main".into(), None, "func·001".into(), CodeKind::User)
        );
        assert_eq!(split("shop/internal/db.Query").3, CodeKind::User);
    }
}
