//! The traceback grammar, item by item. Real samples cover most items (see
//! tests/suite/samples.rs); the snippets here are for forms no program on this
//! machine can print (Windows paths, Go <= 1.4 names) and for edge cases.
//! Last, the inputs the fuzz targets found or were seeded with
//! (`fuzz/regressions/`), replayed through the same entry points on the
//! stable toolchain (docs/fuzzing.md).

use crate::common;

use dumpscope::input::Bytes;
use dumpscope::model::{Snapshot, TaskFlags};
use dumpscope::parse::go;

fn parse(text: &str) -> Vec<Snapshot> {
    go::parse(
        Bytes::owned(text.as_bytes().to_vec()),
        "test",
        &go::Options::default(),
    )
}

fn funcs(s: &Snapshot, i: usize) -> Vec<String> {
    let t = &s.tasks[i];
    s.stack(t)
        .frames
        .iter()
        .map(|f| s.tables.func_name(s.tables.frame(*f).function).to_string())
        .collect()
}

#[test]
fn windows_paths_with_drive_letters_and_spaces() {
    let s = &parse(
        "goroutine 1 [running]:\nmain.main()\n\tC:/Users/Build Agent/src/app/main.go:12 +0x1d\n\ngoroutine 5 [IO wait]:\ninternal/poll.runtime_pollWait(0x1f3a2b4c5d0, 0x72)\n\tC:/Program Files/Go/src/runtime/netpoll.go:351 +0x85\ncreated by net/http.(*Server).Serve in goroutine 1\n\tC:/Program Files/Go/src/net/http/server.go:3454 +0x485\n",
    )[0];
    assert_eq!(s.tasks.len(), 2);
    let f = s.tables.frame(s.stack(&s.tasks[1]).frames[0]);
    assert_eq!(
        s.tables.str(f.file),
        "C:/Program Files/Go/src/runtime/netpoll.go"
    );
    assert_eq!(f.line, 351);
    assert!(s.warnings.is_empty());
}

#[test]
fn go_1_4_era_names_and_goc_files() {
    let text = "goroutine 3 [chan receive]:\nruntime.park(0x413c30, 0x5fd858, 0x5e3349)\n\t/usr/local/go/src/pkg/runtime/proc.c:1369 +0x89\nruntime.chanrecv(0x4f1e40, 0xc208004180, 0x0, 0x0)\n\t/usr/local/go/src/pkg/runtime/chan.goc:258 +0x4d\nmain.func·001()\n\t/src/app/main.go:9 +0x2c\ncreated by main.main\n\t/src/app/main.go:11 +0x5b\n";
    let snaps = parse(text);
    let s = &snaps[0];
    assert_eq!(
        funcs(s, 0),
        ["runtime.park", "runtime.chanrecv", "main.func·001"]
    );
    assert_eq!(s.tasks[0].parent_id(), None);
    let c = s.tables.frame(s.tasks[0].creator.unwrap());
    assert_eq!(s.tables.func_name(c.function), "main.main");
    assert_eq!(s.version_guess.as_deref(), Some("<=go1.4"));
}

#[test]
fn old_style_elision_and_frames_without_positions() {
    let mut text = String::from("goroutine 9 [running]:\n");
    for _ in 0..3 {
        text.push_str("main.f()\n\t/src/a.go:3 +0x1\n");
    }
    text.push_str("...additional frames elided...\ncreated by main.main\n\t/src/a.go:9 +0x2\n\n");
    text.push_str("goroutine 10 [select]:\nmain.g()\nmain.h()\n\t/src/a.go:4 +0x1\ncreated by main.main in goroutine 1\n\t/src/a.go:9 +0x2\n");
    let snaps = parse(&text);
    let s = &snaps[0];
    assert_eq!(s.stack(&s.tasks[0]).elided, Some((3, 0)));
    assert_eq!(s.stack(&s.tasks[1]).frames.len(), 2);
    assert_eq!(s.warnings.len(), 1, "{:?}", s.warnings);
    assert!(s.warnings[0].message.contains("without a source line"));
    assert_eq!(s.warnings[0].line, 13);
}

#[test]
fn unknown_wait_reasons_and_status_items_are_kept() {
    let s = &parse("goroutine 4 [waiting for the moon, 7 minutes, new item]:\nmain.f()\n\t/a.go:1 +0x1\ncreated by main.main in goroutine 1\n\t/a.go:2 +0x1\n")[0];
    assert_eq!(s.state(&s.tasks[0]), "waiting for the moon, new item");
    assert_eq!(s.tasks[0].wait_minutes, Some(7));
}

#[test]
fn goroutines_with_no_frames_and_stack_unavailable() {
    let s = &parse("goroutine 1 [running]:\n\tgoroutine running on other thread; stack unavailable\ncreated by main.main in goroutine 1\n\t/a.go:2 +0x1\n\ngoroutine 2 [running]:\ngoroutine running on other thread; stack unavailable\n\ngoroutine 3 [runnable]:\n\ngoroutine 4 [select]:\nmain.f()\n\t/a.go:1 +0x1\ncreated by main.main in goroutine 1\n\t/a.go:2 +0x1\n")[0];
    assert_eq!(s.tasks.len(), 4);
    assert!(s.tasks[0].flags.has(TaskFlags::STACK_UNAVAILABLE));
    assert!(s.tasks[1].flags.has(TaskFlags::STACK_UNAVAILABLE));
    assert!(s.stack(&s.tasks[2]).frames.is_empty());
    assert!(!s.truncated);
}

#[test]
fn cut_header_and_cut_frame_at_the_end() {
    let base = "goroutine 1 [running]:\nmain.main()\n\t/a.go:1 +0x1\n\ngoroutine 7 [chan receive]:\nmain.worker(0xc000010000)\n\t/a.go:20 +0x2a\ncreated by main.main in goroutine 1\n\t/a.go:9 +0x44\n\n";
    for (tail, partial_id) in [
        ("goroutine 12 [chan rec", 12),
        ("goroutine 12 [chan receive]:\nmain.wor", 12),
        ("goroutine 12 [chan receive]:\nmain.worker(0xc0000", 12),
        (
            "goroutine 12 [chan receive]:\nmain.worker(0xc000010000)\n",
            12,
        ),
        (
            "goroutine 12 [chan receive]:\nmain.worker(0xc000010000)\n\t/a.go:2",
            12,
        ),
    ] {
        let snaps = parse(&format!("{base}{tail}"));
        let s = &snaps[0];
        assert!(s.truncated, "{tail:?}");
        let last = s.tasks.last().unwrap();
        assert_eq!(last.id, partial_id);
        assert!(last.flags.has(TaskFlags::PARTIAL), "{tail:?}");
        assert_eq!(s.tasks.len(), 3);
        assert!(s.warnings.iter().any(|w| w.message.contains("cut off")));
    }
    let snaps = parse(base);
    assert!(!snaps[0].truncated);
}

#[test]
fn several_dumps_split_on_repeated_ids_and_crash_lines() {
    let one = "goroutine 1 [running]:\nmain.main()\n\t/a.go:1 +0x1\n\n";
    let snaps = parse(&format!("{one}{one}panic: boom\n\n{one}"));
    assert_eq!(snaps.len(), 3);
    assert_eq!(snaps[2].crash.as_ref().unwrap().message, "panic: boom");
    assert_eq!(snaps[2].crash.as_ref().unwrap().task_id, Some(1));
    assert_eq!(snaps.iter().map(|s| s.index).collect::<Vec<_>>(), [0, 1, 2]);
}

#[test]
fn crash_record_variants() {
    let s = &parse("panic: first [recovered]\n\tpanic: second\n[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x4553d5]\n\ngoroutine 1 [running]:\nmain.main()\n\t/a.go:1 +0x1\nexit status 2\n")[0];
    let c = s.crash.as_ref().unwrap();
    assert_eq!(c.panics().len(), 2);
    assert!(c.panics()[0].recovered && c.panics()[1].nested);
    assert_eq!(c.signal.as_ref().unwrap().pc.as_deref(), Some("0x4553d5"));
    assert_eq!(c.exit_status, Some(2));
    assert_eq!(s.tasks.len(), 1);
    assert!(s.warnings.is_empty());
}

#[test]
fn parallel_and_sequential_parses_agree() {
    let text =
        std::fs::read(common::root().join("samples/go/goroutine-explosion/system.txt")).unwrap();
    let bytes = Bytes::owned(text);
    let seq = go::parse(
        bytes.clone(),
        "x",
        &go::Options {
            parallel_threshold: usize::MAX,
            ..Default::default()
        },
    );
    let par = go::parse(
        bytes,
        "x",
        &go::Options {
            parallel_threshold: 1,
            ..Default::default()
        },
    );
    assert_eq!(seq.len(), par.len());
    for (a, b) in seq.iter().zip(&par) {
        assert_eq!(a.tasks.len(), b.tasks.len());
        for (x, y) in a.tasks.iter().zip(&b.tasks) {
            assert_eq!(
                (x.id, x.line, x.offset, x.wait_minutes, x.flags, x.arg_hash),
                (y.id, y.line, y.offset, y.wait_minutes, y.flags, y.arg_hash)
            );
            assert_eq!(a.state(x), b.state(y));
            let fa: Vec<_> = a
                .stack(x)
                .frames
                .iter()
                .map(|f| {
                    (
                        a.tables.func_name(a.tables.frame(*f).function),
                        a.tables.frame(*f).line,
                    )
                })
                .collect();
            let fb: Vec<_> = b
                .stack(y)
                .frames
                .iter()
                .map(|f| {
                    (
                        b.tables.func_name(b.tables.frame(*f).function),
                        b.tables.frame(*f).line,
                    )
                })
                .collect();
            assert_eq!(fa, fb);
            assert_eq!(a.task_args(x), b.task_args(y));
        }
        assert_eq!(a.crash, b.crash);
    }
}

/// The chunks read in parallel and merged give what one sequential pass
/// gives, on every Go sample and on all of them in one input (many dumps,
/// crash text and program output between them, goroutines repeated):
/// goroutines, warnings, line accounts, ranges and crash records (not the
/// version guess, which comes from the features of whole chunks).
#[test]
fn parallel_and_sequential_parses_agree_on_every_go_sample() {
    let mut files: Vec<std::path::PathBuf> = Vec::new();
    for entry in std::fs::read_dir(common::root().join("samples/go")).unwrap() {
        let dir = entry.unwrap().path();
        for file in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = file.path();
            if path.extension().is_some_and(|e| e == "txt") {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(files.len() > 30, "{} samples", files.len());
    let mut all = Vec::new();
    let mut inputs = Vec::new();
    for path in &files {
        let text = std::fs::read(path).unwrap();
        all.extend_from_slice(&text);
        all.extend_from_slice(b"\nsome program output between dumps\n\n");
        inputs.push((path.display().to_string(), text));
    }
    inputs.push(("all samples".into(), all));
    let key = |s: &Snapshot| {
        let tasks: Vec<_> = s
            .tasks
            .iter()
            .map(|t| {
                (
                    t.id,
                    t.line,
                    t.offset,
                    t.flags,
                    t.arg_hash,
                    s.state(t).to_string(),
                    s.task_args(t).len(),
                    s.stack(t).frames.len(),
                )
            })
            .collect();
        (
            tasks,
            s.warnings.clone(),
            s.lines.clone(),
            s.range,
            s.truncated,
            s.crash.clone(),
        )
    };
    for (name, text) in inputs {
        let bytes = Bytes::owned(text);
        let parse = |threshold| {
            let opts = go::Options {
                parallel_threshold: threshold,
                ..Default::default()
            };
            go::parse(bytes.clone(), "x", &opts)
        };
        let seq: Vec<_> = parse(usize::MAX).iter().map(key).collect();
        let par: Vec<_> = parse(1).iter().map(key).collect();
        assert_eq!(seq.len(), par.len(), "{name}");
        for (index, (a, b)) in seq.iter().zip(&par).enumerate() {
            assert!(a == b, "{name}: dump {index} differs");
        }
    }
}

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    fn sample(rel: &str) -> Vec<u8> {
        std::fs::read(common::root().join(rel)).unwrap()
    }

    fn run(bytes: Vec<u8>) {
        let data = Bytes::owned(bytes);
        let _ = dumpscope::parse::parse_input("p", data.clone(), &Default::default());
        for s in go::parse(
            data,
            "p",
            &go::Options {
                parallel_threshold: 64,
                ..Default::default()
            },
        ) {
            let groups = dumpscope::analyze::group(&s, Default::default());
            let r = dumpscope::report::snapshot_report(&s, &groups, &Default::default());
            assert_eq!(r.task_count as usize, s.tasks.len());
            // The diagnosis and its report never panic either, and every
            // finding names goroutines of the snapshot.
            let d = dumpscope::analyze::diagnose(&s, &groups, None, &Default::default());
            let items = [dumpscope::report::diag::Analysed {
                snap: &s,
                groups: &groups,
                diagnosis: &d,
            }];
            let (findings, _graph) = dumpscope::report::diag::build(&items, &[]);
            for f in &findings {
                assert!(f
                    .task_ids
                    .iter()
                    .all(|id| s.tasks.iter().any(|t| t.id == *id)));
            }
        }
    }

    const SOURCES: [&str; 6] = [
        "samples/go/healthy-service/crash.txt",
        "samples/go/race/all.txt",
        "samples/go/lock-order-deadlock/system.txt",
        "samples/messy/slog-json.txt",
        "samples/go/lock-convoy/debug2.txt",
        "samples/go/lock-wait-cycle/go119-all.txt",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn random_bytes(data in proptest::collection::vec(any::<u8>(), 0..4096)) {
            run(data);
        }

        #[test]
        fn random_truncations(which in 0usize..6, cut in 0.0f64..1.0) {
            let mut d = sample(SOURCES[which]);
            d.truncate((d.len() as f64 * cut) as usize);
            run(d);
        }

        #[test]
        fn random_line_deletions(which in 0usize..6, deletions in proptest::collection::vec(0usize..2000, 1..40)) {
            let d = sample(SOURCES[which]);
            let mut lines: Vec<&[u8]> = d.split(|&c| c == b'\n').collect();
            for i in deletions {
                if !lines.is_empty() {
                    let i = i % lines.len();
                    lines.remove(i);
                }
            }
            run(lines.join(&b'\n'));
        }

        #[test]
        fn random_byte_flips(which in 0usize..6, flips in proptest::collection::vec((0usize..100_000, any::<u8>()), 1..30)) {
            let mut d = sample(SOURCES[which]);
            for (i, b) in flips {
                if !d.is_empty() {
                    let i = i % d.len();
                    d[i] = b;
                }
            }
            run(d);
        }
    }
}

// ---- fuzz inputs -----------------------------------------------------------

/// Every committed fuzz input replayed through its target's entry point
/// (`dumpscope::fuzzing::run`, which the fuzz targets call): none panics,
/// and reports of every kind render. `fuzz/regressions/<target>/` holds
/// what once crashed a target, and a small seed of each.
#[test]
fn every_committed_fuzz_input_replays_without_a_panic() {
    use dumpscope::fuzzing::{run, Target};
    let dir = common::root().join("fuzz/regressions");
    let mut replayed = 0;
    for entry in std::fs::read_dir(&dir).expect("fuzz/regressions") {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        let target = Target::named(&name)
            .unwrap_or_else(|| panic!("fuzz/regressions/{name}: no such target"));
        for input in std::fs::read_dir(entry.path()).unwrap() {
            let path = input.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            let result = std::panic::catch_unwind(|| run(target, &data));
            assert!(result.is_ok(), "{} panics", path.display());
            replayed += 1;
        }
    }
    assert!(replayed >= Target::ALL.len(), "only {replayed} fuzz inputs");
}

/// Every format of the table is forced by one parser-family fuzz target,
/// and every target has a source file in `fuzz/fuzz_targets/` and a
/// `[[bin]]` in `fuzz/Cargo.toml`.
#[test]
fn every_format_and_target_is_fuzzed() {
    use dumpscope::fuzzing::Target;
    use dumpscope::parse::Format;
    for format in Format::all() {
        let families: Vec<Target> = Target::ALL
            .into_iter()
            .filter(|t| t.formats().contains(format))
            .collect();
        assert!(!families.is_empty(), "{} is in no fuzz target", format.id());
    }
    let manifest = std::fs::read_to_string(common::root().join("fuzz/Cargo.toml")).unwrap();
    for target in Target::ALL {
        let path = format!("fuzz_targets/{}.rs", target.name());
        assert!(common::root().join("fuzz").join(&path).is_file(), "{path}");
        assert!(
            manifest.contains(&format!("path = \"{path}\"")),
            "{path} in fuzz/Cargo.toml"
        );
    }
}
