//! Java thread dumps in every form they reach a reader in: every thread a
//! dump holds is read, whatever is in front of its lines (a ticket's
//! indentation, log prefixes, container timestamps), whatever its encoding,
//! and with states in one vocabulary, `java.lang.Thread.State`'s, also when
//! the dump prints no state lines (JVMs before 6). Counts are checked
//! against the thread headers of each file's source dump, counted here by a
//! pattern written independently of the parser.

use crate::common;

use dumpscope::model::Snapshot;
use serde_json::Value;
use std::collections::BTreeMap;

/// Every HotSpot text file of samples/java with its case and its entry in
/// the case's expected.json.
fn hotspot_files() -> Vec<(String, String, Value, Value)> {
    let mut out = Vec::new();
    let dir = common::root().join("samples/java");
    let mut cases: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("expected.json").exists())
        .collect();
    cases.sort();
    for case in cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let exp: Value =
            serde_json::from_str(&common::read(&format!("samples/java/{name}/expected.json")))
                .unwrap();
        for (file, meta) in exp["files"].as_object().unwrap() {
            if meta["format"] == "hotspot" {
                out.push((name.clone(), file.clone(), meta.clone(), exp.clone()));
            }
        }
    }
    out
}

/// The text of a sample as the JDK wrote it: a converted copy's source.
fn source_text(case: &str, file: &str, meta: &Value) -> String {
    let file = meta["converted_from"].as_str().unwrap_or(file);
    common::read(&format!("samples/java/{case}/{file}")).replace("\r\n", "\n")
}

/// Thread names per dump of a HotSpot text dump: the lines that start with a
/// quoted name followed by the header's fields (`#N`, `daemon`, `prio=`,
/// `os_prio=`) and hold `tid=`; a dump starts at `Full thread dump`.
fn header_names(text: &str) -> Vec<Vec<String>> {
    let header = regex::Regex::new(r#"^"(.*)" (?:#\d+ |daemon |prio=|os_prio=).* tid="#).unwrap();
    let mut dumps: Vec<Vec<String>> = Vec::new();
    for line in text.lines() {
        if line.starts_with("Full thread dump ") {
            dumps.push(Vec::new());
        } else if let Some(c) = header.captures(line) {
            if let Some(d) = dumps.last_mut() {
                d.push(c[1].to_string());
            }
        }
    }
    dumps
}

fn sorted_names(s: &Snapshot) -> Vec<String> {
    let mut v: Vec<String> = s
        .tasks
        .iter()
        .map(|t| s.task_name(t).unwrap_or("").to_string())
        .collect();
    v.sort();
    v
}

/// The states of `java.lang.Thread.State`, as the JVM prints them.
fn is_thread_state(state: &str) -> bool {
    let word = state.split(' ').next().unwrap_or("");
    [
        "NEW",
        "RUNNABLE",
        "BLOCKED",
        "WAITING",
        "TIMED_WAITING",
        "TERMINATED",
    ]
    .contains(&word)
}

/// Every HotSpot dump of samples/java, converted copies included, yields
/// exactly the threads its headers name, each state in one vocabulary.
#[test]
fn every_java_thread_is_read_in_every_form() {
    let mut checked = 0;
    for (case, file, meta, _) in hotspot_files() {
        let rel = format!("samples/java/{case}/{file}");
        let parsed = common::parse(&rel);
        let want = header_names(&source_text(&case, &file, &meta));
        assert_eq!(parsed.snapshots.len(), want.len(), "{rel}: dumps");
        for (snap, names) in parsed.snapshots.iter().zip(&want) {
            let mut names = names.clone();
            names.sort();
            assert_eq!(sorted_names(snap), names, "{rel}: threads");
            for t in &snap.tasks {
                let state = snap.state(t);
                assert!(
                    is_thread_state(state),
                    "{rel}: {:?} is {state:?}",
                    snap.task_name(t)
                );
            }
        }
        checked += 1;
    }
    assert!(checked >= 38, "{checked} files");
}

/// The state a thread of the program is in, as its header's words say it
/// when the dump has no state line: `in Object.wait()` does not tell a
/// timed wait from an untimed one, a park is timed when its frames are
/// `parkNanos`, a sleep is a sleep.
fn header_state(t: &Value) -> String {
    let state = t["state"].as_str().unwrap();
    match t["waits_for"]["kind"].as_str() {
        Some("monitor") => "BLOCKED (on object monitor)".into(),
        Some("object-wait") => "WAITING (on object monitor)".into(),
        Some("park") => format!("{state} (parking)"),
        Some("sleep") => "TIMED_WAITING (sleeping)".into(),
        _ => state.into(),
    }
}

/// The program's threads are in the states the program put them in, in
/// every HotSpot dump, from the state line or, where there is none, from
/// the header's words and frames.
#[test]
fn java_states_match_the_programs() {
    for (case, file, meta, exp) in hotspot_files() {
        let rel = format!("samples/java/{case}/{file}");
        let parsed = common::parse(&rel);
        let no_state_lines = meta["conversion"] == "no-state-lines";
        for snap in &parsed.snapshots {
            let states: BTreeMap<&str, &str> = snap
                .tasks
                .iter()
                .map(|t| (snap.task_name(t).unwrap_or(""), snap.state(t)))
                .collect();
            for (name, t) in exp["threads"].as_object().unwrap() {
                if t["virtual"] == true {
                    continue;
                }
                let got = states
                    .get(name.as_str())
                    .unwrap_or_else(|| panic!("{rel}: no thread {name}"));
                if no_state_lines {
                    assert_eq!(*got, header_state(t), "{rel}: {name}");
                } else {
                    let word = got.split(' ').next().unwrap_or("");
                    assert_eq!(word, t["state"].as_str().unwrap(), "{rel}: {name} is {got}");
                }
            }
        }
    }
}

/// Four forms of every dump made here from the committed HotSpot dumps
/// (indented by a ticket with tabs turned into spaces, quoted with `> `,
/// behind RFC 3339 timestamps, behind syslog prefixes) keep every thread.
#[test]
fn java_threads_survive_prefixes_and_indentation() {
    type Form = fn(usize, &str) -> String;
    let forms: [(&str, Form); 4] = [
        ("indented", |_, l| {
            if l.is_empty() {
                String::new()
            } else {
                format!("    {}", l.replacen('\t', "    ", 1))
            }
        }),
        ("quoted", |_, l| format!("> {l}")),
        ("rfc3339", |i, l| {
            format!(
                "2026-12-07T10:{:02}:{:02}.{:06}Z {l}",
                i / 3600 % 60,
                i / 60 % 60,
                i * 7 % 1_000_000
            )
        }),
        ("syslog", |i, l| {
            format!(
                "Dec  7 10:{:02}:{:02} web-3 shop[4242]: {l}",
                i / 60 % 60,
                i % 60
            )
        }),
    ];
    for (case, file, meta, _) in hotspot_files() {
        if meta["converted_from"].is_string() {
            continue;
        }
        let text = source_text(&case, &file, &meta);
        let want: usize = header_names(&text).iter().map(Vec::len).sum();
        for (form, f) in forms {
            let wrapped: String = text
                .lines()
                .enumerate()
                .map(|(i, l)| f(i, l) + "\n")
                .collect();
            let parsed = dumpscope::parse::parse_input(
                "form",
                dumpscope::model::Bytes::owned(wrapped.into_bytes()),
                &Default::default(),
            )
            .unwrap_or_else(|e| panic!("{case}/{file} {form}: {e}"));
            let got: usize = parsed.snapshots.iter().map(|s| s.tasks.len()).sum();
            assert_eq!(got, want, "{case}/{file} {form}: threads");
        }
    }
}

/// A header whose thread name holds what reads like a native frame
/// (`#0 (...)`: JDK 8 names its Parallel GC workers `GC task thread#0
/// (ParallelGC)`) stays a header: the committed JDK 17 dump with its GC
/// workers given that name keeps all its threads, and so does one where a
/// single thread waits `in Object.wait()` (`"Finalizer" #3 daemon ... in
/// Object.wait()`: a frame-like `#3 ... (`).
#[test]
fn headers_that_look_like_native_frames_stay_headers() {
    let text = source_text("parallel-gc", "jstack.txt", &Value::Null);
    let want = header_names(&text)[0].len();
    let renamed = regex::Regex::new(r#""GC Thread#(\d+)""#)
        .unwrap()
        .replace_all(&text, "\"GC task thread#$1 (ParallelGC)\"")
        .into_owned();
    assert!(renamed.contains("\"GC task thread#7 (ParallelGC)\" os_prio=0"));
    // One thread in Object.wait(), or none: the others' header words
    // changed, so that the only headers holding a frame-like `#N ... (` are
    // one thread's, or the GC workers' on consecutive lines.
    let keep_waits = |keep: usize| {
        let mut seen = 0;
        renamed
            .lines()
            .map(|l| {
                if l.starts_with('"') && l.contains(" in Object.wait()") {
                    seen += 1;
                    if seen > keep {
                        return l.replace(" in Object.wait()", " waiting on condition") + "\n";
                    }
                }
                format!("{l}\n")
            })
            .collect::<String>()
    };
    let (single, none) = (keep_waits(1), keep_waits(0));
    for text in [renamed, single, none] {
        let parsed = dumpscope::parse::parse_input(
            "renamed",
            dumpscope::model::Bytes::owned(text.into_bytes()),
            &Default::default(),
        )
        .unwrap();
        assert_eq!(parsed.snapshots[0].tasks.len(), want);
    }
}

/// A header behind text that sits on no other line (so it is no prefix to
/// strip) is still read: no thread is lost because of what is in front of
/// its header.
#[test]
fn a_header_behind_other_text_is_still_a_header() {
    let text = source_text("monitor-deadlock", "jstack.txt", &Value::Null);
    let want = header_names(&text)[0].len();
    let tagged: String = text
        .lines()
        .map(|l| {
            if l.starts_with('"') && l.contains(" tid=") {
                format!("thread: {l}\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    let parsed = dumpscope::parse::parse_input(
        "tagged",
        dumpscope::model::Bytes::owned(tagged.into_bytes()),
        &Default::default(),
    )
    .unwrap();
    assert_eq!(parsed.snapshots[0].tasks.len(), want);
    assert!(parsed.notes.is_empty(), "{:?}", parsed.notes);
}
