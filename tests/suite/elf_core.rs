//! ELF cores (samples/core/): the lock-order deadlock programs in C, C++ and
//! Rust, each dumped by `gcore` and by the kernel. Each core must give every
//! thread of gdb's `thread apply all bt` of the same core (its answer key,
//! committed beside it) with the same frames in the same order, the
//! deadlock with the owners read from memory (C and C++: certain, naming
//! both mutexes), and the same findings as the analysis of gdb's text.
//! Nothing here runs gdb or a compiler: the cores, the binaries and the
//! answer keys are committed (zstd-compressed).

use crate::common;

use dumpscope::input::{load, LoadOptions};
use dumpscope::pipeline::{self, Config, ParsedInput};
use dumpscope::report::Report;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const SAMPLES: [&str; 4] = ["c", "cpp", "rust", "rwlock"];
const CORES: [&str; 2] = ["gcore", "kernel"];

/// The sample's binary, decompressed into a directory of the test's own.
fn binary(sample: &str) -> PathBuf {
    let name = if sample == "rwlock" {
        "rwlock"
    } else {
        "lock-order"
    };
    static ONCE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = ONCE.lock().unwrap_or_else(|e| e.into_inner());
    let dir = std::env::temp_dir().join(format!("dumpscope-core-{}-{sample}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    if !path.exists() {
        let src = common::root().join(format!("samples/core/{sample}/{name}.zst"));
        let loaded = load(src.to_str().unwrap(), &LoadOptions::default()).unwrap();
        let tmp = dir.join(format!("{name}.part"));
        std::fs::write(&tmp, &*loaded.data).unwrap();
        std::fs::rename(&tmp, &path).unwrap();
    }
    path
}

fn parse_core(sample: &str, core: &str, with_binary: bool) -> (ParsedInput, Vec<String>) {
    let mut cfg = Config::default();
    if with_binary {
        cfg.symbolize.binaries.push(binary(sample));
    }
    let path = common::root().join(format!("samples/core/{sample}/{core}.core.zst"));
    let mut warnings = Vec::new();
    let parsed = pipeline::load_and_parse(path.to_str().unwrap(), &cfg, &|_| None, &mut warnings)
        .unwrap_or_else(|e| panic!("{sample}/{core}: {e}"));
    (parsed, warnings)
}

fn report(parsed: ParsedInput) -> Report {
    pipeline::report(&[parsed], &Default::default(), &Default::default())
}

/// One frame of gdb's answer key.
struct KeyFrame {
    function: String,
    /// In the C library (its sources, `./nptl/...`, `../sysdeps/...`).
    glibc: bool,
    /// Printed with its address: a call's return address, a frame the
    /// unwinder must find (the others are inlined into it, or frame 0).
    physical: bool,
    /// The source line gdb names (` at FILE:LINE`).
    line: Option<u32>,
}

/// One thread of gdb's answer key: its LWP and its frames.
struct KeyThread {
    lwp: u64,
    functions: Vec<KeyFrame>,
}

/// Reads `thread apply all bt`.
fn answer_key(text: &str) -> Vec<KeyThread> {
    let mut out: Vec<KeyThread> = Vec::new();
    for line in text.lines() {
        if line.starts_with("Thread ") && line.ends_with("):") {
            let lwp = line
                .split("(LWP ")
                .nth(1)
                .and_then(|r| r.split(')').next())
                .and_then(|n| n.parse().ok())
                .expect("LWP in the header");
            out.push(KeyThread {
                lwp,
                functions: Vec::new(),
            });
        } else if let (Some(rest), Some(t)) = (line.strip_prefix('#'), out.last_mut()) {
            let rest = rest
                .trim_start_matches(|c: char| c.is_ascii_digit())
                .trim_start();
            let physical = rest.starts_with("0x");
            let rest = match rest.find(" in ") {
                Some(at) if physical => &rest[at + 4..],
                _ => rest,
            };
            // The name ends at the first ` (` outside angle brackets
            // (`_Invoker<std::tuple<void (*)(int), int> >::_M_invoke<0ul, 1ul> (this=...)`).
            let mut depth = 0i32;
            let mut end = rest.len();
            for (i, c) in rest.char_indices() {
                match c {
                    '<' => depth += 1,
                    '>' => depth -= 1,
                    ' ' if depth == 0 && rest[i..].starts_with(" (") => {
                        end = i;
                        break;
                    }
                    _ => {}
                }
            }
            let function = rest[..end].to_string();
            let glibc = line.contains(" at ./") || line.contains(" at ../");
            let at_line = line
                .rsplit_once(" at ")
                .and_then(|(_, at)| at.rsplit_once(':'))
                .and_then(|(_, n)| n.parse().ok());
            t.functions.push(KeyFrame {
                function,
                glibc,
                physical,
                line: at_line,
            });
        }
    }
    out
}

/// A function's last name, without generics, closures or the receiver:
/// gdb and the symbolizer print Rust's and C++'s names differently
/// (`Mutex<u64>::lock<u64>` and `Mutex<T>::lock`).
fn last_name(function: &str) -> String {
    let mut depth = 0i32;
    let mut plain = String::new();
    for c in function.chars() {
        match c {
            '<' | '{' | '(' => depth += 1,
            '>' | '}' | ')' => depth -= 1,
            _ if depth == 0 => plain.push(c),
            _ => {}
        }
    }
    let plain = plain.trim_end();
    let plain = plain.strip_suffix(" const").unwrap_or(plain);
    let plain = plain.trim_end_matches("::");
    plain
        .rsplit("::")
        .find(|s| !s.is_empty())
        .unwrap_or("")
        .rsplit(' ')
        .next()
        .unwrap_or("")
        .to_string()
}

/// The entries of `want` that do not appear in `have` in order (matched
/// greedily, each at the first place after the previous match).
fn missing_in_order<'a>(want: &'a [(String, bool)], have: &[String]) -> Vec<&'a (String, bool)> {
    let mut missing = Vec::new();
    let mut at = 0usize;
    for w in want {
        match have[at..].iter().position(|h| *h == w.0) {
            Some(i) => at += i + 1,
            None => missing.push(w),
        }
    }
    missing
}

/// Every thread of the answer key is in the core's snapshot with the same
/// frames in the same order: every frame of the program and its Rust or
/// C++ library, and, when glibc's debug symbols are installed (gdb had
/// them), every physical frame of glibc (the inlined ones glibc's DWARF
/// gives gdb and addr2line differently) but one a thread: gdb adds the
/// frame of a function that tail-called the next one, rebuilt from the
/// DWARF call sites, which no return address on the stack records
/// (`__futex_abstimed_wait_cancelable64`, "tail call frame" in gdb's
/// `info frame`); unwinders by call-frame information do not.
#[test]
fn every_thread_and_frame_of_gdbs_answer_key() {
    let glibc_debug = Path::new("/usr/lib/debug/.build-id").exists();
    for sample in SAMPLES {
        for core in CORES {
            let key = answer_key(&common::read(&format!(
                "samples/core/{sample}/{core}-bt.txt"
            )));
            let threads = expected(sample)["threads"].as_array().unwrap().len();
            assert_eq!(
                key.len(),
                threads,
                "{sample}/{core}: the answer key's threads"
            );
            let (parsed, _) = parse_core(sample, core, true);
            let snap = &parsed.snapshots[0];
            assert_eq!(snap.tasks.len(), key.len(), "{sample}/{core}");
            let t = &snap.tables;
            for k in &key {
                let task = snap
                    .tasks
                    .iter()
                    .find(|task| task.id == k.lwp)
                    .unwrap_or_else(|| panic!("{sample}/{core}: LWP {} missing", k.lwp));
                let have: Vec<String> = t
                    .stack(task.stack)
                    .frames
                    .iter()
                    .map(|f| last_name(t.str(t.function(t.frame(*f).function).full)))
                    .collect();
                let want: Vec<(String, bool)> = k
                    .functions
                    .iter()
                    .filter(|f| f.function != "??" && (!f.glibc || (glibc_debug && f.physical)))
                    .map(|f| (last_name(&f.function), f.glibc))
                    .collect();
                let missing = missing_in_order(&want, &have);
                assert!(
                    missing.len() <= 1 && missing.iter().all(|m| m.1),
                    "{sample}/{core} LWP {}: gdb's frames {missing:?} of {want:?} not found in order in {have:?}",
                    k.lwp
                );
                assert!(
                    have.len() <= k.functions.len() + 2,
                    "{sample}/{core} LWP {}: {} frames, gdb has {}: {have:?}",
                    k.lwp,
                    have.len(),
                    k.functions.len()
                );
            }
        }
    }
}

/// The expected record of the program (written by the program itself).
fn expected(sample: &str) -> serde_json::Value {
    serde_json::from_str(&common::read(&format!(
        "samples/core/{sample}/expected.json"
    )))
    .unwrap()
}

/// C and C++: the deadlock is certain, its threads are the two of the
/// program's record, both mutexes are named, and each is held by the thread
/// the mutex's `__owner` names.
#[test]
fn glibc_deadlock_with_owners_read_from_memory() {
    for sample in ["c", "cpp"] {
        let truth = expected(sample);
        let threads = truth["threads"].as_array().unwrap();
        let lwp_of = |name: &str| {
            threads
                .iter()
                .find(|t| t["name"] == name)
                .and_then(|t| t["lwp"].as_u64())
                .unwrap()
        };
        for core in CORES {
            let r = report(parse_core(sample, core, true).0);
            let f = r
                .findings
                .iter()
                .find(|f| f.kind == "deadlock")
                .unwrap_or_else(|| panic!("{sample}/{core}: no deadlock"));
            assert_eq!(f.rule, "native.deadlock", "{sample}/{core}");
            assert_eq!(f.confidence.to_string(), "certain", "{sample}/{core}");
            let ids: BTreeSet<u64> = f.task_ids.iter().copied().collect();
            let want: BTreeSet<u64> = [lwp_of("place-order"), lwp_of("restock")].into();
            assert_eq!(ids, want, "{sample}/{core}");
            for lock in ["orders", "inventory"] {
                let holder = truth["locks"][lock]["glibc_owner"].as_u64().unwrap();
                let line = f
                    .evidence
                    .iter()
                    .find(|e| e.contains(&format!("`{lock}`")) && e.contains("held by"))
                    .unwrap_or_else(|| {
                        panic!("{sample}/{core}: {lock} not named: {:?}", f.evidence)
                    });
                assert!(
                    line.contains(&format!("held by thread {holder} ")),
                    "{sample}/{core}: {line}"
                );
                assert!(line.contains("(certain)"), "{sample}/{core}: {line}");
            }
        }
    }
}

/// Rust's std mutex records no owner: the two threads still wait on the
/// two statics, named, and the deadlock is found.
#[test]
fn rust_deadlock_found() {
    let truth = expected("rust");
    let want: BTreeSet<u64> = truth["deadlock"]["threads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|name| {
            truth["threads"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| &t["name"] == name)
                .and_then(|t| t["lwp"].as_u64())
                .unwrap()
        })
        .collect();
    for core in CORES {
        let r = report(parse_core("rust", core, true).0);
        let f = r
            .findings
            .iter()
            .find(|f| f.kind == "deadlock")
            .unwrap_or_else(|| panic!("rust/{core}: no deadlock"));
        let ids: BTreeSet<u64> = f.task_ids.iter().copied().collect();
        assert_eq!(ids, want, "rust/{core}");
    }
}

/// The findings of a core are those of gdb's dump of the same core.
#[test]
fn same_findings_as_gdbs_text_of_the_same_core() {
    let pairs = SAMPLES
        .iter()
        .flat_map(|s| CORES.iter().map(move |c| (*s, *c)))
        .chain([("arm64-c", "qemu")]);
    for (sample, core) in pairs {
        {
            let from_core = report(parse_core(sample, core, true).0);
            let text = common::report_with(
                &format!("samples/core/{sample}/{core}-bt.txt"),
                &Default::default(),
            );
            let kinds = |r: &Report| -> BTreeSet<(String, BTreeSet<u64>)> {
                r.findings
                    .iter()
                    .filter(|f| f.severity != "info")
                    .map(|f| {
                        (
                            f.kind.as_str().to_string(),
                            f.task_ids.iter().copied().collect(),
                        )
                    })
                    .collect()
            };
            let (a, b) = (kinds(&from_core), kinds(&text));
            // The core knows the owners: its findings are at least gdb's.
            for finding in &b {
                assert!(
                    a.contains(finding),
                    "{sample}/{core}: gdb's {finding:?} not in {a:?}"
                );
            }
        }
    }
}

/// A pthread rwlock held by a sleeping writer: the writer read from the
/// lock's `__cur_writer` is certain, so the blocked writer, the blocked
/// reader and main (joining the blocked writer) are certainly stuck behind
/// it.
#[test]
fn rwlock_writer_read_from_memory() {
    let truth = expected("rwlock");
    let lwp = |name: &str| {
        truth["threads"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .and_then(|t| t["lwp"].as_u64())
            .unwrap()
    };
    assert_eq!(
        truth["locks"]["table_lock"]["glibc_cur_writer"].as_u64(),
        Some(lwp("holder"))
    );
    for core in CORES {
        let r = report(parse_core("rwlock", core, true).0);
        let f = r
            .findings
            .iter()
            .find(|f| f.rule == "threads.blocked-behind")
            .unwrap_or_else(|| {
                panic!(
                    "rwlock/{core}: {:?}",
                    r.findings.iter().map(|f| &f.title).collect::<Vec<_>>()
                )
            });
        assert_eq!(f.confidence.to_string(), "certain", "rwlock/{core}");
        assert!(
            f.title.contains(&format!("thread {}", lwp("holder"))),
            "{}",
            f.title
        );
        let ids: BTreeSet<u64> = f.task_ids.iter().copied().collect();
        let want: BTreeSet<u64> = [lwp("rewrite"), lwp("lookup"), lwp("main")].into();
        assert_eq!(ids, want, "rwlock/{core}");
    }
}

/// Without `--binary`, every thread is still listed (raw addresses for the
/// program's frames) and the warning says what to pass.
#[test]
fn without_the_binary_threads_are_listed_and_the_warning_says_what_to_pass() {
    let (parsed, warnings) = parse_core("c", "kernel", false);
    assert_eq!(parsed.snapshots[0].tasks.len(), 6);
    assert!(
        warnings.iter().any(|w| w.contains("--binary lock-order")),
        "{warnings:?}"
    );
}

/// A truncated core: a warning, and the threads whose notes survive.
#[test]
fn truncated_and_foreign_inputs() {
    let path = common::root().join("samples/core/c/kernel.core.zst");
    let loaded = load(path.to_str().unwrap(), &LoadOptions::default()).unwrap();
    let cut = dumpscope::input::Bytes::owned(loaded.data[..loaded.data.len() / 2].to_vec());
    let read = dumpscope::symbolize::elfcore::read("cut", cut, &Default::default())
        .expect("a truncated core is still read");
    assert!(
        read.warnings.iter().any(|w| w.contains("truncated")),
        "{:?}",
        read.warnings
    );
    // The kernel writes the notes first: every thread survives the cut.
    assert_eq!(read.snapshots[0].tasks.len(), 6);
    // A core of a machine not read (32-bit ARM): a clear error.
    let mut other = loaded.data[..4096].to_vec();
    other[18] = 0x28; // EM_ARM
    other[19] = 0;
    let err = dumpscope::symbolize::elfcore::read(
        "arm",
        dumpscope::input::Bytes::owned(other),
        &Default::default(),
    )
    .err()
    .expect("an error");
    assert!(err.contains("unsupported"), "{err}");
}

/// aarch64 (samples/core/arm64-c/): the C program cross-compiled (static)
/// and run under qemu-aarch64, whose core has no `NT_FILE` note (the
/// executable is placed by the auxiliary vector's entry point) and leaves
/// the code pages out (read from `--binary`). Every thread of
/// gdb-multiarch's answer key has exactly gdb's frames, names and lines,
/// down to `main` (gdb stops there; the unwinder goes on into the C
/// library's start-up code, nothing else).
#[test]
fn aarch64_every_thread_and_frame_of_gdbs_answer_key() {
    let key = answer_key(&common::read("samples/core/arm64-c/qemu-bt.txt"));
    assert_eq!(
        key.len(),
        expected("arm64-c")["threads"].as_array().unwrap().len()
    );
    let (parsed, warnings) = parse_core("arm64-c", "qemu", true);
    assert!(warnings.is_empty(), "{warnings:?}");
    let snap = &parsed.snapshots[0];
    assert_eq!(snap.tasks.len(), key.len());
    let t = &snap.tables;
    for k in &key {
        let task = snap
            .tasks
            .iter()
            .find(|task| task.id == k.lwp)
            .unwrap_or_else(|| panic!("LWP {} missing", k.lwp));
        let frames = &t.stack(task.stack).frames;
        let have: Vec<(String, u32)> = frames
            .iter()
            .map(|f| {
                let fr = t.frame(*f);
                (t.str(t.function(fr.function).full).to_string(), fr.line)
            })
            .collect();
        assert!(have.len() >= k.functions.len(), "LWP {}: {have:?}", k.lwp);
        for (i, want) in k.functions.iter().enumerate() {
            assert_eq!(
                have[i].0, want.function,
                "LWP {} frame {i}: {have:?}",
                k.lwp
            );
            if let Some(line) = want.line {
                assert_eq!(have[i].1, line, "LWP {} frame {i}", k.lwp);
            }
        }
        let after: Vec<&str> = have[k.functions.len()..]
            .iter()
            .map(|(f, _)| f.as_str())
            .collect();
        assert!(
            after.is_empty() || after == ["__libc_start_call_main", "__libc_start_main", "_start"],
            "LWP {}: {after:?}",
            k.lwp
        );
    }
}

/// The thread names of a sample's record, by LWP.
fn names_by_lwp(sample: &str) -> std::collections::BTreeMap<u64, String> {
    expected(sample)["threads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["lwp"].as_u64().unwrap(),
                t["name"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The aarch64 core's findings are the x86-64 kernel core's of the same
/// program, thread for thread (matched by the names the programs record):
/// the certain deadlock of place-order and restock, with both mutexes
/// held by the LWP their `__owner` names; and main's join names the thread
/// it joins by the `pthread_t` gdb gives it.
#[test]
fn aarch64_findings_match_x86_64() {
    let findings = |sample: &str, core: &str| -> BTreeSet<(String, String, String, Vec<String>)> {
        let names = names_by_lwp(sample);
        report(parse_core(sample, core, true).0)
            .findings
            .iter()
            .filter(|f| f.severity != "info")
            .map(|f| {
                let mut who: Vec<String> = f.task_ids.iter().map(|id| names[id].clone()).collect();
                who.sort();
                (
                    f.rule.to_string(),
                    f.severity.to_string(),
                    f.confidence.to_string(),
                    who,
                )
            })
            .collect()
    };
    let arm = findings("arm64-c", "qemu");
    assert_eq!(arm, findings("c", "kernel"));
    assert!(
        arm.iter()
            .any(|f| f.0 == "native.deadlock" && f.2 == "certain"),
        "{arm:?}"
    );
    let truth = expected("arm64-c");
    let r = report(parse_core("arm64-c", "qemu", true).0);
    let f = r.findings.iter().find(|f| f.kind == "deadlock").unwrap();
    for lock in ["orders", "inventory"] {
        let holder = truth["locks"][lock]["glibc_owner"].as_u64().unwrap();
        assert!(
            f.evidence.iter().any(|e| e.contains(&format!("`{lock}`"))
                && e.contains(&format!("held by thread {holder} (certain)"))),
            "{lock}: {:?}",
            f.evidence
        );
    }
    // main's join: the `pthread_t` of place-order, as gdb names it.
    let key = common::read("samples/core/arm64-c/qemu-bt.txt");
    let place_order = truth["threads"][0]["lwp"].as_u64().unwrap();
    let handle = key
        .lines()
        .find(|l| l.starts_with("Thread ") && l.contains(&format!("(LWP {place_order}))")))
        .and_then(|l| l.split("(Thread 0x").nth(1))
        .and_then(|r| u64::from_str_radix(r.split(' ').next()?, 16).ok())
        .expect("place-order's pthread_t in gdb's header");
    let (parsed, _) = parse_core("arm64-c", "qemu", true);
    let snap = &parsed.snapshots[0];
    let main = snap
        .tasks
        .iter()
        .position(|t| t.id == truth["main_lwp"].as_u64().unwrap())
        .unwrap();
    assert!(
        snap.sync.locks.iter().any(|l| l.task as usize == main
            && l.kind == dumpscope::model::SyncKind::Join
            && l.addr == handle),
        "{:?}",
        snap.sync.locks
    );
}

/// Without `--binary`, a core without `NT_FILE` still lists every thread,
/// and the warning says what to pass.
#[test]
fn aarch64_without_the_binary() {
    let (parsed, warnings) = parse_core("arm64-c", "qemu", false);
    assert_eq!(parsed.snapshots[0].tasks.len(), 6);
    assert!(
        warnings.iter().any(|w| w.contains("--binary")),
        "{warnings:?}"
    );
}

/// aarch64 with pointer authentication (samples/core/arm64-c-pac/, built
/// with `-mbranch-protection=standard`): the program's functions save
/// their return addresses signed. gdb, without the core recording the
/// signature's bits, stops at the first signed frame; the unwinder clears
/// them and every thread has the frames of the same program built without
/// it (arm64-c), gdb's frames first.
#[test]
fn aarch64_signed_return_addresses_are_stripped() {
    let frames = |sample: &str| -> std::collections::BTreeMap<String, Vec<String>> {
        let names = names_by_lwp(sample);
        let (parsed, _) = parse_core(sample, "qemu", true);
        let snap = &parsed.snapshots[0];
        let t = &snap.tables;
        snap.tasks
            .iter()
            .map(|task| {
                let f = t
                    .stack(task.stack)
                    .frames
                    .iter()
                    .map(|f| t.str(t.function(t.frame(*f).function).full).to_string())
                    .collect();
                (names[&task.id].clone(), f)
            })
            .collect()
    };
    let (signed, plain) = (frames("arm64-c-pac"), frames("arm64-c"));
    assert_eq!(signed.len(), 6);
    assert_eq!(signed, plain);
    assert_eq!(
        signed["restock"].last().map(String::as_str),
        Some("thread_start")
    );
    let names = names_by_lwp("arm64-c-pac");
    let key = answer_key(&common::read("samples/core/arm64-c-pac/qemu-bt.txt"));
    for k in &key {
        let have = &signed[&names[&k.lwp]];
        let want: Vec<&str> = k.functions.iter().map(|f| f.function.as_str()).collect();
        assert_eq!(&have[..want.len()], &want[..], "LWP {}", k.lwp);
    }
    // gdb stopped at a signed frame: the test is about them.
    assert!(key
        .iter()
        .any(|k| k.functions.last().is_some_and(|f| f.function == "restock")));
}
