//! Where dumps start in an input: detection over the whole text, not only
//! its head. Detectors read a bounded head of the text they are given; a
//! dump that starts after megabytes of service logs is found by running
//! them again on a *window* that starts at a line some format anchors
//! ([`Format::anchor`]). One forward pass over the lines, windows at most
//! every [`STRIDE`] bytes and each at most [`WINDOW`] bytes long: linear in
//! the input, and nothing is copied.

use super::format::Format;

/// A confidence from which a window is taken for a dump of its format
/// without looking further (the detectors' "high" range).
pub(super) const SURE: f32 = 0.8;
/// The least distance between the starts of two detection windows.
const STRIDE: usize = 256 << 10;
/// How much of the text a window after the first one shows the detectors
/// (as much as the stride: on text where every line is an anchor but no
/// detector is sure, each byte is shown to the detectors about once).
const WINDOW: usize = STRIDE;

/// A dump start: the format detected there, how sure, and where.
#[derive(Debug, Clone, Copy)]
pub(super) struct Found {
    /// The format detected.
    pub format: Format,
    /// The detector's confidence.
    pub confidence: f32,
    /// Byte offset of the line the window starts on.
    pub start: usize,
    /// 1-based number of that line.
    pub line: u64,
}

/// The format that reads `text` best (on a tie, the first of `formats`),
/// when any reads it at all. A format certain of it (1.0, the top of the
/// scale) cannot be beaten by the ones after it, which are then not asked.
pub(super) fn best(formats: &[Format], text: &[u8]) -> Option<(Format, f32)> {
    let mut best: Option<(Format, f32)> = None;
    for &format in formats {
        let confidence = format.detect(text);
        if confidence > best.map_or(0.0, |b| b.1) {
            best = Some((format, confidence));
            if confidence >= 1.0 {
                break;
            }
        }
    }
    best
}

/// The first dump of `text`: detection on the whole text first (as a
/// detector sees it, from its start); when that is unsure, on windows that
/// start at anchor lines further in, until one is sure. The most confident
/// start wins, the earliest on a tie.
pub(super) fn first_dump(formats: &[Format], text: &[u8]) -> Option<Found> {
    let mut found = best(formats, text).map(|(format, confidence)| Found {
        format,
        confidence,
        start: 0,
        line: 1,
    });
    if found.is_some_and(|f| f.confidence >= SURE) {
        return found;
    }
    scan(formats, text, 0, 1, STRIDE, |window| {
        if let Some((format, confidence)) = best(formats, window.text) {
            if confidence > found.map_or(0.0, |f| f.confidence) {
                found = Some(Found {
                    format,
                    confidence,
                    start: window.start,
                    line: window.line,
                });
            }
        }
        found.is_some_and(|f| f.confidence >= SURE)
    });
    found
}

/// Dumps of formats other than `chosen` that start in `gaps` (byte ranges
/// of `text` outside the dumps `chosen` read): the first sure start of each
/// such format, in input order.
pub(super) fn other_dumps(
    formats: &[Format],
    chosen: Format,
    text: &[u8],
    gaps: &[(usize, usize)],
) -> Vec<Found> {
    let others: Vec<Format> = formats.iter().copied().filter(|&f| f != chosen).collect();
    let mut found: Vec<Found> = Vec::new();
    if others.is_empty() {
        return found;
    }
    for &(from, to) in gaps {
        let Some(gap) = text.get(from..to) else {
            continue;
        };
        scan(&others, gap, from, 0, 0, |window| {
            if let Some((format, confidence)) = best(&others, window.text) {
                if confidence >= SURE && !found.iter().any(|f| f.format == format) {
                    found.push(Found {
                        format,
                        confidence,
                        start: window.start,
                        line: 0,
                    });
                }
            }
            found.len() == others.len()
        });
        if found.len() == others.len() {
            break;
        }
    }
    // Line numbers only for what was found (a handful of starts).
    for f in &mut found {
        f.line = 1 + memchr::memchr_iter(b'\n', &text[..f.start.min(text.len())]).count() as u64;
    }
    found
}

/// A detection window: the text from an anchor line on (at most
/// [`WINDOW`] bytes), its offset in the whole text and its line number.
struct Window<'a> {
    text: &'a [u8],
    start: usize,
    line: u64,
}

/// Walks the lines of `text` (which starts at byte `base`, line
/// `first_line` of the whole text) and calls `visit` with a window at every
/// line some format anchors, at least [`STRIDE`] bytes after the previous
/// window (and not before `skip` bytes into `text`), until `visit` returns
/// true.
fn scan(
    formats: &[Format],
    text: &[u8],
    base: usize,
    first_line: u64,
    skip: usize,
    mut visit: impl FnMut(Window) -> bool,
) {
    let mut next = skip;
    let mut pos = 0usize;
    let mut line = first_line;
    while pos < text.len() {
        if text[pos] == b'\n' {
            // Empty lines, which no format anchors, skipped at once.
            let run = text[pos..].iter().take_while(|&&c| c == b'\n').count();
            pos += run;
            line += run as u64;
            continue;
        }
        let end = memchr::memchr(b'\n', &text[pos..]).map_or(text.len(), |i| pos + i);
        if pos >= next {
            let l = &text[pos..end];
            if formats.iter().any(|f| f.anchor(l).is_some()) {
                let window = Window {
                    text: &text[pos..text.len().min(pos + WINDOW)],
                    start: base + pos,
                    line,
                };
                if visit(window) {
                    return;
                }
                next = pos + STRIDE;
            }
        }
        pos = end + 1;
        line += 1;
    }
}

#[cfg(test)]
mod tests {
    use crate::model::Bytes;
    use crate::parse::{parse_input, ParseOptions, Parsed};

    fn sample(path: &str) -> Vec<u8> {
        let path = format!("{}/samples/{path}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// About `size` bytes of an HTTP service's log lines.
    fn logs(size: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(size + 200);
        let mut n = 0u64;
        while out.len() < size {
            let line = format!(
                "2026-12-07T10:{:02}:{:02}.{:03}Z INFO http: request handled method=GET path=/api/items/{} status=200 bytes={} dur={}.{}ms\n",
                (n / 3000) % 60,
                (n / 50) % 60,
                (n * 37) % 1000,
                n * 7919 % 100_000,
                n * 31 % 20_000,
                n % 47,
                n % 10
            );
            out.extend_from_slice(line.as_bytes());
            n += 1;
        }
        out
    }

    fn parse(data: Vec<u8>) -> Parsed {
        parse_input("buried", Bytes::owned(data), &ParseOptions::default())
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Tasks per dump, read from the text as it is.
    fn tasks(parsed: &Parsed) -> Vec<usize> {
        parsed.snapshots.iter().map(|s| s.tasks.len()).collect()
    }

    fn buried(dump: &[u8]) -> Vec<u8> {
        let mut data = logs(9 << 20);
        data.extend_from_slice(dump);
        data
    }

    #[test]
    fn a_go_dump_after_8_mib_of_logs_is_found_with_every_goroutine() {
        let dump = sample("go/lock-convoy/sigquit.txt");
        let headers = dump
            .split(|&c| c == b'\n')
            .filter(|l| l.starts_with(b"goroutine ") && l.ends_with(b"]:"))
            .count();
        assert!(headers > 10);
        let alone = parse(dump.clone());
        let parsed = parse(buried(&dump));
        assert_eq!(parsed.format.id(), "go-traceback");
        assert_eq!(tasks(&parsed), vec![headers]);
        assert_eq!(tasks(&parsed), tasks(&alone));
        assert!(
            parsed.notes.iter().any(|n| n.contains("starts at line")),
            "{:?}",
            parsed.notes
        );
    }

    #[test]
    fn a_java_thread_dump_after_8_mib_of_logs_is_found_with_every_thread() {
        let dump = sample("java/lock-convoy/jstack.txt");
        let headers = dump
            .split(|&c| c == b'\n')
            .filter(|l| l.starts_with(b"\"") && memchr::memmem::find(l, b" nid=").is_some())
            .count();
        assert!(headers > 10);
        let alone = parse(dump.clone());
        let parsed = parse(buried(&dump));
        assert_eq!(parsed.format.id(), "java-threads");
        assert_eq!(tasks(&parsed), tasks(&alone));
        assert_eq!(tasks(&parsed).iter().sum::<usize>(), headers);
    }

    #[test]
    fn a_dump_of_another_format_later_in_the_input_is_read_too() {
        let java = sample("java/lock-convoy/jstack.txt");
        let go = sample("go/lock-convoy/sigquit.txt");
        let (java_alone, go_alone) = (parse(java.clone()), parse(go.clone()));
        let formats =
            |p: &Parsed| -> Vec<&'static str> { p.snapshots.iter().map(|s| s.format).collect() };
        // Java first, Go after more logs: both are read, each with its own
        // format, in input order, and the Go dump is named in a note.
        let mut data = buried(&java);
        data.extend_from_slice(&logs(5 << 20));
        let go_line = 1 + data.iter().filter(|&&b| b == b'\n').count();
        data.extend_from_slice(&go);
        let parsed = parse(data);
        assert_eq!(parsed.format.id(), "java-threads");
        assert_eq!(formats(&parsed), ["java-threads", "go-traceback"]);
        let both = [tasks(&java_alone), tasks(&go_alone)].concat();
        assert_eq!(tasks(&parsed), both);
        // The note names the line the Go dump starts on (its first anchor
        // line, within the few lines the SIGQUIT header takes).
        let at: Vec<usize> = parsed
            .notes
            .iter()
            .filter_map(|n| n.strip_prefix("a go-traceback dump also starts at line "))
            .filter(|rest| rest.contains(": read as go-traceback (1 dump, "))
            .filter_map(|rest| rest.split(':').next()?.parse().ok())
            .collect();
        assert!(
            at.len() == 1 && (go_line..go_line + 5).contains(&at[0]),
            "{go_line}: {:?}",
            parsed.notes
        );
        // The Go dump's tasks keep the line numbers of the whole input.
        let first = parsed.snapshots[1].tasks[0].line as usize;
        assert!(first > go_line, "{first} <= {go_line}");
        // Go right after Java: the more certain Go detection reads it, and
        // the Java dump before it is read too, first.
        let mut data = java.clone();
        data.extend_from_slice(&go);
        let parsed = parse(data);
        assert_eq!(parsed.format.id(), "go-traceback");
        assert_eq!(formats(&parsed), ["java-threads", "go-traceback"]);
        assert_eq!(tasks(&parsed), both);
        assert!(
            parsed.notes.iter().any(|n| n
                .starts_with("a java-threads dump also starts at line 2: read as java-threads")),
            "{:?}",
            parsed.notes
        );
        let indexes: Vec<usize> = parsed.snapshots.iter().map(|s| s.index).collect();
        assert_eq!(indexes, [0, 1]);
    }

    #[test]
    fn logs_alone_are_no_dump() {
        let err = parse_input(
            "logs",
            Bytes::owned(logs(2 << 20)),
            &ParseOptions::default(),
        );
        assert!(err.is_err());
    }

    /// Detection stops at the first format certain of its input (1.0),
    /// which only keeps the result when no detector goes past the top of
    /// the scale: none does on any sample.
    #[test]
    fn every_detector_stays_on_its_scale() {
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                } else {
                    out.push(path);
                }
            }
        }
        let mut files = Vec::new();
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples"),
            &mut files,
        );
        assert!(files.len() > 100, "{} sample files", files.len());
        for path in files {
            let Ok(text) = std::fs::read(&path) else {
                continue;
            };
            for &format in super::Format::all() {
                let confidence = format.detect(&text);
                assert!(
                    (0.0..=1.0).contains(&confidence),
                    "{} on {}: {confidence}",
                    format.id(),
                    path.display()
                );
            }
        }
    }
}
