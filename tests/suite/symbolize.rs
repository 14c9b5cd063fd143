//! Symbolization. The first tests read committed samples (real backtraces
//! and the binaries that wrote them, see samples/native and samples/rust)
//! and check every raw frame against `expected.json`, which binutils'
//! addr2line (and, for Rust, std's own symbolizer) wrote. The rest build
//! small C and Rust programs here, run them under ASLR, strip them and
//! split their debug information, then symbolize what they printed. A test
//! whose tool (gcc, objcopy, dwp, dwz, rustc, libjemalloc-dev) is missing
//! prints `<test>: SKIPPED: ...` on stderr, which `cargo test` shows, and
//! fails instead when `DUMPSCOPE_REQUIRE_TOOLS=1` (`.ci/run` sets it and
//! installs them all).

use crate::common;

use dumpscope::model::{CodeKind, Snapshot};
use dumpscope::pipeline::{self, Config, ParsedInput};
use dumpscope::symbolize::{Options, Symbolizer};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// `(function, file name, line, inlined)`.
type F = (String, String, u32, bool);

fn load(path: &Path) -> ParsedInput {
    let mut warnings = Vec::new();
    let none = |_: u64| None;
    pipeline::load_and_parse(
        path.to_str().unwrap(),
        &Config::default(),
        &none,
        &mut warnings,
    )
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn symbolized(path: &Path, opts: &Options) -> ParsedInput {
    let mut p = load(path);
    let mut sym = Symbolizer::new(opts);
    pipeline::symbolize(&mut sym, &mut p);
    p
}

fn opts(binaries: &[PathBuf], dirs: &[PathBuf]) -> Options {
    Options {
        binaries: binaries.to_vec(),
        debug_dirs: dirs.to_vec(),
        bases: Vec::new(),
        system_dirs: false,
    }
}

fn base_name(p: &str) -> String {
    p.rsplit('/').next().unwrap_or(p).to_string()
}

/// Rust names as std prints them carry `[hash]` crate disambiguators and
/// `::h...` hashes; DWARF names do not.
fn normal(name: &str) -> String {
    let mut out = String::new();
    let mut skip = false;
    for c in name.chars() {
        match c {
            '[' => skip = true,
            ']' if skip => skip = false,
            _ if skip => {}
            _ => out.push(c),
        }
    }
    dumpscope::symbolize::strip_rust_hash(&out).to_string()
}

/// Every frame of every task, in order, as `F`.
fn frames(s: &Snapshot) -> Vec<F> {
    let t = &s.tables;
    s.tasks
        .iter()
        .flat_map(|task| t.stack(task.stack).frames.iter())
        .map(|&f| {
            let fr = t.frame(f);
            (
                normal(t.func_name(fr.function)),
                base_name(t.str(fr.file)),
                fr.line,
                fr.inlined,
            )
        })
        .collect()
}

/// The frames `expected.json` gives for the raw frames of `dump`, in the
/// order of the dump's lines, restricted to `files` (source file names).
fn expected(dir: &Path, dump: &str, files: &[&str]) -> Vec<F> {
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let mut raws: Vec<&Value> = v["raw_frames"]
        .as_array()
        .expect("raw_frames")
        .iter()
        .filter(|r| r["file"] == dump && r["symbolizable"] == true)
        .collect();
    raws.sort_by_key(|r| r["line_in_dump"].as_u64());
    raws.iter()
        .flat_map(|r| r["frames"].as_array().into_iter().flatten())
        .map(|f| {
            (
                normal(f["function"].as_str().unwrap_or("")),
                base_name(f["file"].as_str().unwrap_or("")),
                f["line"].as_u64().unwrap_or(0) as u32,
                f["inlined"].as_bool().unwrap_or(false),
            )
        })
        .filter(|f| files.contains(&f.1.as_str()))
        .collect()
}

fn only(v: Vec<F>, files: &[&str]) -> Vec<F> {
    v.into_iter()
        .filter(|f| files.contains(&f.1.as_str()))
        .collect()
}

fn notes(p: &ParsedInput) -> String {
    p.input.notes.join("\n")
}

#[test]
fn glibc_backtraces_resolve_through_a_build_id_directory() {
    let dir = common::root().join("samples/native/backtrace-symbols");
    let o = opts(&[dir.join("bin/app")], &[dir.join("debug")]);
    let p = symbolized(&dir.join("crash-pie.txt"), &o);
    let got = only(frames(&p.snapshots[0]), &["main.c"]);
    let want = expected(&dir, "crash-pie.txt", &["main.c"]);
    assert!(want.len() >= 8, "{want:?}");
    assert_eq!(got, want, "{}", notes(&p));
    // Inlined frames are there: read_value inlined into sum_record.
    assert!(got.iter().any(|f| f.0 == "read_value" && f.3));
    assert!(notes(&p).contains("symbolized"), "{}", notes(&p));
    // Frames of the user's code are user code; libc's stay addresses.
    let s = &p.snapshots[0];
    let t = &s.tables;
    let stack = t.stack(s.tasks[0].stack);
    let f0 = t.frame(stack.frames[0]);
    assert_eq!(t.func_name(f0.function), "crash_handler");
    assert_eq!(t.function(f0.function).kind, CodeKind::User);
    assert!(stack
        .frames
        .iter()
        .any(|&f| t.func_name(t.frame(f).function).starts_with("libc.so.6+0x")));
}

#[test]
fn a_debuglink_is_followed_only_when_its_crc_matches() {
    let dir = common::root().join("samples/native/backtrace-symbols");
    let tmp = tempfile::tempdir().unwrap();
    // The stripped binary with a debuglink, renamed to the module the dump
    // names, beside its debug file.
    std::fs::copy(dir.join("bin/app-debuglink"), tmp.path().join("app")).unwrap();
    std::fs::copy(
        dir.join("bin/app-debuglink.debug"),
        tmp.path().join("app-debuglink.debug"),
    )
    .unwrap();
    let o = opts(&[tmp.path().join("app")], &[]);
    let p = symbolized(&dir.join("crash-pie.txt"), &o);
    let want = expected(&dir, "crash-pie.txt", &["main.c"]);
    assert_eq!(
        only(frames(&p.snapshots[0]), &["main.c"]),
        want,
        "{}",
        notes(&p)
    );
    // A debug file whose CRC does not match is refused, and said so.
    let mut bytes = std::fs::read(tmp.path().join("app-debuglink.debug")).unwrap();
    let n = bytes.len();
    bytes[n - 1] ^= 0xff;
    std::fs::write(tmp.path().join("app-debuglink.debug"), bytes).unwrap();
    let p = symbolized(&dir.join("crash-pie.txt"), &o);
    assert!(only(frames(&p.snapshots[0]), &["main.c"]).is_empty());
    let n = notes(&p);
    assert!(n.contains("CRC32") && n.contains("no DWARF found"), "{n}");
}

#[test]
fn sanitizer_reports_resolve_module_offsets() {
    for (dir, dump, bin) in [
        (
            "samples/native/asan",
            "report-unsymbolized.txt",
            "bin/sessions",
        ),
        (
            "samples/native/tsan",
            "report-unsymbolized.txt",
            "bin/transfers",
        ),
        (
            "samples/native/tsan",
            "report-second-stack-unsymbolized.txt",
            "bin/transfers",
        ),
    ] {
        let dir = common::root().join(dir);
        let p = symbolized(&dir.join(dump), &opts(&[dir.join(bin)], &[]));
        let want = expected(&dir, dump, &["main.c"]);
        assert!(!want.is_empty(), "{dump}");
        let got: Vec<F> = p.snapshots.iter().flat_map(frames).collect();
        assert_eq!(
            only(got, &["main.c"]),
            want,
            "{}: {}",
            dir.display(),
            notes(&p)
        );
    }
}

#[test]
fn eu_stack_frames_resolve_by_build_id_and_module_map() {
    let dir = common::root().join("samples/native/eu-stack");
    for dump in ["raw-modules.txt", "raw.txt", "stripped.txt"] {
        let o = opts(&[dir.join("stripped/deadlock")], &[dir.join("stripped")]);
        let p = symbolized(&dir.join(dump), &o);
        let got: Vec<F> = p.snapshots.iter().flat_map(frames).collect();
        let got = only(got, &["main.c"]);
        let want = expected(&dir, dump, &["main.c"]);
        if want.is_empty() {
            continue; // frames named in the dump already
        }
        assert_eq!(got, want, "{dump}: {}", notes(&p));
    }
}

#[test]
fn a_binary_with_another_build_id_is_refused() {
    let dir = common::root().join("samples/native/eu-stack");
    let tmp = tempfile::tempdir().unwrap();
    // Another program, under the name the dump gives.
    std::fs::copy(
        common::root().join("samples/native/backtrace-symbols/bin/app.unstripped"),
        tmp.path().join("deadlock"),
    )
    .unwrap();
    let p = symbolized(
        &dir.join("raw-modules.txt"),
        &opts(&[tmp.path().join("deadlock")], &[]),
    );
    let n = notes(&p);
    assert!(n.contains("build-id mismatch"), "{n}");
    let got: Vec<F> = p.snapshots.iter().flat_map(frames).collect();
    assert!(only(got, &["main.c"]).is_empty());
}

/// The true load base the program recorded beside its dump.
fn true_base(side: &Path) -> u64 {
    let text = std::fs::read_to_string(side).unwrap();
    let l = text
        .lines()
        .find(|l| l.starts_with("executable_base"))
        .unwrap();
    u64::from_str_radix(
        l.split_whitespace()
            .nth(1)
            .unwrap()
            .trim_start_matches("0x"),
        16,
    )
    .unwrap()
}

#[test]
fn a_stripped_rust_backtrace_gets_its_base_inferred() {
    let dir = common::root().join("samples/rust/panics");
    // The stripped binary finds its (zlib-compressed) debug file by
    // .gnu_debuglink.
    let p = symbolized(
        &dir.join("panic-full-stripped.txt"),
        &opts(&[dir.join("bin/panics")], &[]),
    );
    let base = true_base(&dir.join("panic-full-stripped.maps.txt"));
    let n = notes(&p);
    assert!(
        n.contains(&format!("load base inferred as {base:#x}")),
        "{n}"
    );
    let got = only(frames(&p.snapshots[0]), &["main.rs"]);
    let want = expected(&dir, "panic-full-stripped.txt", &["main.rs"]);
    assert!(want.len() >= 4, "{want:?}");
    assert_eq!(got, want, "{n}");
    // The panic's finding names the user's function.
    let r = pipeline::report(&[p], &Default::default(), &Default::default());
    assert_eq!(r.findings[0].rule, "crash.rust-panic");
    assert!(
        r.findings[0].title.contains("validate_limit"),
        "{}",
        r.findings[0].title
    );
}

#[test]
fn a_given_base_is_used_and_a_wrong_binary_is_not_trusted() {
    let dir = common::root().join("samples/rust/panics");
    let base = true_base(&dir.join("panic-full-stripped.maps.txt"));
    let mut o = opts(&[dir.join("bin/panics")], &[]);
    o.bases = vec![("panics".into(), base)];
    let p = symbolized(&dir.join("panic-full-stripped.txt"), &o);
    let want = expected(&dir, "panic-full-stripped.txt", &["main.rs"]);
    assert_eq!(only(frames(&p.snapshots[0]), &["main.rs"]), want);
    assert!(!notes(&p).contains("inferred"));
    // The C program's binary cannot explain these addresses: nothing is
    // made up, and the note says why.
    let other = common::root().join("samples/native/backtrace-symbols/bin/app.unstripped");
    let p = symbolized(&dir.join("panic-full-stripped.txt"), &opts(&[other], &[]));
    let n = notes(&p);
    assert!(n.contains("ambiguous") || n.contains("no load base"), "{n}");
    assert!(
        only(frames(&p.snapshots[0]), &["main.c", "main.rs"]).is_empty(),
        "{n}"
    );
}

#[test]
fn the_symbolize_command_annotates_lines_and_leaves_the_rest() {
    let dir = common::root().join("samples/native/asan");
    let out = assert_cmd::Command::cargo_bin("dumpscope")
        .unwrap()
        .args([
            "symbolize",
            "report-unsymbolized.txt",
            "--binary",
            "bin/sessions",
        ])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let input = std::fs::read_to_string(dir.join("report-unsymbolized.txt")).unwrap();
    assert_eq!(text.lines().count(), input.lines().count());
    for (a, b) in input.lines().zip(text.lines()) {
        assert!(b.starts_with(a), "{b}");
        if a.contains("(/home/build/native/asan/sessions+0x14ac)") {
            assert!(b.contains("[= main ") && b.contains("main.c:"), "{b}");
        }
        if a.contains("libc.so.6+") {
            assert_eq!(a, b);
        }
    }
    assert!(String::from_utf8_lossy(&out.stderr).contains("addresses resolved"));
    // Without binaries it says what it needs.
    assert_cmd::Command::cargo_bin("dumpscope")
        .unwrap()
        .args(["symbolize", "report-unsymbolized.txt"])
        .current_dir(&dir)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--binary"));
}

// ---- programs built here -------------------------------------------------

/// Whether `tool` runs here; when not, the calling test skips visibly
/// (and fails in CI: `common::skip`).
fn have(test: &str, tool: &str) -> bool {
    common::have_tool(test, tool)
}

/// A test whose tool is missing says so where `cargo test` shows it, and
/// fails when CI requires every tool.
#[test]
fn a_missing_tool_skips_visibly_or_fails_when_required() {
    let line = common::skip_line("t", "dwz is not installed", false).unwrap();
    assert_eq!(line, "t: SKIPPED: dwz is not installed");
    let failure = common::skip_line("t", "dwz is not installed", true).unwrap_err();
    assert!(failure.contains("DUMPSCOPE_REQUIRE_TOOLS=1"), "{failure}");
}

fn run(cmd: &mut Command) -> std::process::Output {
    cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"))
}

fn ok(cmd: &mut Command) {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The 1-based line of `needle` in the source.
fn line_of(src: &str, needle: &str) -> u32 {
    src.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle}")) as u32
        + 1
}

/// The crash handler program's stack, from the faulting frame to main,
/// with lines read from its source.
fn c_expected(src: &str) -> Vec<(&'static str, u32, bool)> {
    vec![
        ("read_value", line_of(src, "return r->values[i]"), true),
        ("sum_record", line_of(src, "s += read_value(r, i)"), false),
        ("check_record", line_of(src, "int s = sum_record(r);"), true),
        (
            "process_batch",
            line_of(src, "total += check_record(&recs[i])"),
            false,
        ),
        (
            "run_job",
            line_of(src, "long t = process_batch(recs, nrecords);"),
            false,
        ),
        ("main", line_of(src, "return run_job(n)"), false),
    ]
}

/// Builds the crash program with `flags` in `dir` (from a copy of its
/// source there) and runs it; returns the binary and what it printed.
fn build_and_crash(dir: &Path, flags: &[&str]) -> (PathBuf, String, String) {
    let src_path = common::root().join("samples/native/programs/backtrace-symbols/main.c");
    let src = std::fs::read_to_string(&src_path).unwrap();
    std::fs::write(dir.join("main.c"), &src).unwrap();
    let bin = dir.join("app");
    ok(Command::new("gcc")
        .current_dir(dir)
        .args(flags)
        .args(["-o", "app", "main.c"]));
    let out = run(Command::new(&bin).current_dir(dir));
    assert!(!out.status.success(), "the program should crash");
    (bin, String::from_utf8_lossy(&out.stderr).into_owned(), src)
}

fn check_c(dump: &str, src: &str, o: &Options, what: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("crash.txt");
    std::fs::write(&path, dump).unwrap();
    let p = symbolized(&path, o);
    let n = notes(&p);
    // The first of the two copies the handler prints.
    let mut s = p.snapshots.into_iter().next().unwrap();
    s.tasks.truncate(1);
    let got: Vec<(String, u32, bool)> = frames(&s)
        .into_iter()
        .filter(|f| f.1 == "main.c" && f.0 != "crash_handler")
        .map(|f| (f.0, f.2, f.3))
        .collect();
    let want: Vec<(String, u32, bool)> = c_expected(src)
        .into_iter()
        .map(|(f, l, i)| (f.to_string(), l, i))
        .collect();
    assert_eq!(got, want, "{what}: {n}");
}

#[test]
fn c_programs_built_here_resolve_in_every_debug_layout() {
    const T: &str = "c_programs_built_here_resolve_in_every_debug_layout";
    if !have(T, "gcc") || !have(T, "objcopy") || !have(T, "strip") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    // DWARF 5, PIE, run under ASLR: then stripped with the debug file in a
    // build-id tree.
    let (bin, dump, src) = build_and_crash(d, &["-O1", "-g", "-Wl,--build-id"]);
    check_c(
        &dump,
        &src,
        &opts(std::slice::from_ref(&bin), &[]),
        "unstripped",
    );
    ok(Command::new("objcopy")
        .args(["--only-keep-debug"])
        .arg(&bin)
        .arg(d.join("app.debug")));
    ok(Command::new("strip").arg("--strip-all").arg(&bin));
    let id = dumpscope::symbolize::image::Image::open(&bin)
        .unwrap()
        .build_id
        .unwrap();
    let hex = dumpscope::symbolize::image::hex(&id);
    let tree = d.join("dbg/.build-id").join(&hex[..2]);
    std::fs::create_dir_all(&tree).unwrap();
    std::fs::copy(
        d.join("app.debug"),
        tree.join(format!("{}.debug", &hex[2..])),
    )
    .unwrap();
    check_c(
        &dump,
        &src,
        &opts(std::slice::from_ref(&bin), &[d.join("dbg")]),
        "build-id directory",
    );
    // debuglink beside the binary.
    ok(Command::new("objcopy")
        .current_dir(d)
        .args(["--add-gnu-debuglink=app.debug", "app"]));
    check_c(
        &dump,
        &src,
        &opts(std::slice::from_ref(&bin), &[]),
        "debuglink",
    );
    // Symbol table only: functions, no lines.
    let (bin, dump, _) = build_and_crash(d, &["-O1", "-g"]);
    ok(Command::new("strip").arg("--strip-debug").arg(&bin));
    let p = {
        let path = d.join("crash-symtab.txt");
        std::fs::write(&path, &dump).unwrap();
        symbolized(&path, &opts(std::slice::from_ref(&bin), &[]))
    };
    let names: Vec<F> = frames(&p.snapshots[0]);
    assert!(
        names.iter().any(|f| f.0 == "process_batch" && f.2 == 0),
        "{names:?}"
    );
    assert!(notes(&p).contains("no DWARF found"));
    // DWARF 4 with zlib-compressed sections (gcc -gz), and DWARF 5
    // compressed with zstd by objcopy where binutils knows zstd.
    let (bin, dump, src) = build_and_crash(d, &["-O1", "-gdwarf-4", "-gz=zlib"]);
    check_c(&dump, &src, &opts(&[bin], &[]), "DWARF 4, zlib");
    // The older GNU form: `.zdebug_*` sections.
    let (bin, dump, src) = build_and_crash(d, &["-O1", "-g", "-gz=zlib-gnu"]);
    let sections = run(Command::new("readelf").args(["-S", "-W"]).arg(&bin));
    if String::from_utf8_lossy(&sections.stdout).contains(".zdebug_info") {
        check_c(&dump, &src, &opts(&[bin], &[]), ".zdebug_*");
    } else {
        common::skip(
            T,
            "this toolchain does not write .zdebug sections (gcc -gz=zlib-gnu)",
        );
    }
    let (bin, dump, src) = build_and_crash(d, &["-O1", "-g"]);
    let zstd = run(Command::new("objcopy")
        .arg("--compress-debug-sections=zstd")
        .arg(&bin));
    if zstd.status.success() {
        let sections = run(Command::new("readelf").args(["-S", "-W"]).arg(&bin));
        let text = String::from_utf8_lossy(&sections.stdout);
        assert!(
            text.lines()
                .any(|l| l.contains(".debug_info") && l.contains(" C ")),
            "{text}"
        );
        check_c(&dump, &src, &opts(&[bin], &[]), "DWARF 5, zstd");
    } else {
        common::skip(T, "this objcopy cannot compress debug sections with zstd");
    }
}

#[test]
fn split_dwarf_is_read_from_dwo_and_dwp_files() {
    const T: &str = "split_dwarf_is_read_from_dwo_and_dwp_files";
    if !have(T, "gcc") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let (bin, dump, src) = build_and_crash(d, &["-O1", "-g", "-gsplit-dwarf"]);
    let dwo: Vec<_> = std::fs::read_dir(d)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "dwo"))
        .collect();
    assert!(!dwo.is_empty(), "gcc wrote no .dwo");
    check_c(&dump, &src, &opts(std::slice::from_ref(&bin), &[]), "dwo");
    // A DWARF package (GNU dwp packs DWARF 4 split units), the .dwo files
    // gone.
    if !have(T, "dwp") {
        return;
    }
    let d4 = tempfile::tempdir().unwrap();
    let (bin, dump, src) = build_and_crash(d4.path(), &["-O1", "-gdwarf-4", "-gsplit-dwarf"]);
    ok(Command::new("dwp")
        .current_dir(d4.path())
        .args(["-e", "app", "-o", "app.dwp"]));
    for e in std::fs::read_dir(d4.path()).unwrap().filter_map(|e| e.ok()) {
        if e.path().extension().is_some_and(|x| x == "dwo") {
            std::fs::remove_file(e.path()).unwrap();
        }
    }
    check_c(&dump, &src, &opts(&[bin], &[]), "dwp");
}

#[test]
fn dwz_supplementary_files_are_found_by_debugaltlink() {
    const T: &str = "dwz_supplementary_files_are_found_by_debugaltlink";
    if !have(T, "gcc") || !have(T, "dwz") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let (bin, dump, src) = build_and_crash(d, &["-O1", "-g"]);
    std::fs::copy(&bin, d.join("app2")).unwrap();
    // dwz moves what both files share into a supplementary file named by
    // .gnu_debugaltlink.
    ok(Command::new("dwz").current_dir(d).args([
        "-m",
        "common.debug",
        "-M",
        "common.debug",
        "app",
        "app2",
    ]));
    let img = dumpscope::symbolize::image::Image::open(&bin).unwrap();
    assert!(img.altlink.is_some(), "dwz wrote no .gnu_debugaltlink");
    check_c(&dump, &src, &opts(std::slice::from_ref(&bin), &[]), "dwz");
    // Without the supplementary file, the note says what is missing.
    std::fs::remove_file(d.join("common.debug")).unwrap();
    let path = d.join("crash.txt");
    std::fs::write(&path, &dump).unwrap();
    let p = symbolized(&path, &opts(&[bin], &[]));
    assert!(
        notes(&p).contains("DWZ supplementary file"),
        "{}",
        notes(&p)
    );
}

#[test]
fn a_stripped_rust_program_built_here_is_symbolized_with_an_inferred_base() {
    const T: &str = "a_stripped_rust_program_built_here_is_symbolized_with_an_inferred_base";
    if !have(T, "rustc") || !have(T, "objcopy") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let src = r#"
use std::io::Write;
fn base() -> String {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap_or_default();
    let exe = std::env::current_exe().unwrap();
    let exe = exe.to_string_lossy();
    maps.lines().find(|l| l.ends_with(exe.as_ref())).and_then(|l| l.split('-').next()).unwrap_or("0").to_string()
}
#[inline(never)]
fn check(limit: u32, v: u32) -> u32 {
    if v > limit {
        panic!("value {v} exceeds {limit}"); // PANIC
    }
    v
}
#[inline(never)]
fn configure(values: &[u32]) -> u32 {
    values.iter().map(|&v| check(100, v)).sum() // CONFIGURE
}
fn main() {
    std::fs::File::create("base.txt").unwrap().write_all(base().as_bytes()).unwrap();
    let v: Vec<u32> = std::env::args().skip(1).map(|a| a.parse().unwrap()).collect();
    println!("{}", configure(&v)); // MAIN
}
"#;
    std::fs::write(d.join("main.rs"), src).unwrap();
    ok(Command::new("rustc").current_dir(d).args([
        "-O",
        "-C",
        "debuginfo=line-tables-only",
        "-C",
        "panic=unwind",
        "-o",
        "prog",
        "main.rs",
    ]));
    ok(Command::new("objcopy")
        .current_dir(d)
        .args(["--only-keep-debug", "prog", "prog.debug"]));
    ok(Command::new("objcopy").current_dir(d).args([
        "--strip-all",
        "--add-gnu-debuglink=prog.debug",
        "prog",
    ]));
    let out = run(Command::new(d.join("prog"))
        .current_dir(d)
        .env("RUST_BACKTRACE", "full")
        .args(["5", "500"]));
    let dump = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(dump.contains("<unknown>"), "{dump}");
    let path = d.join("panic.txt");
    std::fs::write(&path, &dump).unwrap();
    let p = symbolized(&path, &opts(&[d.join("prog")], &[]));
    let base = u64::from_str_radix(
        std::fs::read_to_string(d.join("base.txt")).unwrap().trim(),
        16,
    )
    .unwrap();
    let n = notes(&p);
    assert!(
        n.contains(&format!("load base inferred as {base:#x}")),
        "{n}\n{dump}"
    );
    let got = only(frames(&p.snapshots[0]), &["main.rs"]);
    let want: Vec<(&str, u32)> = vec![
        ("main::check", line_of(src, "// PANIC")),
        ("main::configure", line_of(src, "// CONFIGURE")),
    ];
    for (f, l) in want {
        assert!(
            got.iter()
                .any(|g| g.0.ends_with(f.trim_start_matches("main::")) && g.2 == l),
            "{f}:{l} not in {got:?}\n{n}"
        );
    }
}

/// The `./app` return-address frames of crash-pie.txt's first backtrace:
/// `(offset as printed, offset looked up, frames)`.
fn app_return_frames() -> Vec<(u64, u64, Vec<F>)> {
    let dir = common::root().join("samples/native/backtrace-symbols");
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let hex =
        |x: &Value| u64::from_str_radix(x.as_str().unwrap().trim_start_matches("0x"), 16).unwrap();
    let mut out: Vec<(u64, u64, Vec<F>)> = Vec::new();
    for r in v["raw_frames"].as_array().unwrap() {
        if r["file"] != "crash-pie.txt" || r["module"] != "./app" || r["kind"] != "return_address" {
            continue;
        }
        let frames = r["frames"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|f| {
                (
                    normal(f["function"].as_str().unwrap_or("")),
                    base_name(f["file"].as_str().unwrap_or("")),
                    f["line"].as_u64().unwrap_or(0) as u32,
                    f["inlined"].as_bool().unwrap_or(false),
                )
            })
            .collect();
        let off = hex(&r["offset"]);
        if !out.iter().any(|o| o.0 == off) {
            out.push((off, hex(&r["lookup_offset"]), frames));
        }
    }
    out
}

fn heap_frames(p: &ParsedInput) -> Vec<F> {
    let h = &p.heaps[0];
    let t = &h.tables;
    let st = t.stack(h.samples[0].stack);
    st.frames
        .iter()
        .map(|&f| {
            let fr = t.frame(f);
            (
                normal(t.func_name(fr.function)),
                base_name(t.str(fr.file)),
                fr.line,
                fr.inlined,
            )
        })
        .collect()
}

#[test]
fn heap_profiles_from_native_producers_are_symbolized() {
    use dumpscope::parse::pprof::proto::{Location, Mapping, Profile, Sample, ValueType};
    use prost::Message;
    let frames = app_return_frames();
    assert!(frames.len() >= 4, "{frames:?}");
    let bin = common::root().join("samples/native/backtrace-symbols/bin/app.unstripped");
    let tmp = tempfile::tempdir().unwrap();
    // A pprof heap profile without functions (as native profilers write
    // them): a mapping with the binary's build-id under another path, and
    // addresses already adjusted (pprof's convention).
    let start = 0x5555_5555_4000u64;
    let strings: Vec<Vec<u8>> = [
        "",
        "inuse_space",
        "bytes",
        "/srv/bin/app",
        "46aa94e7668d4ffcfbafaf463cfec2d30f19bb1d",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    let location: Vec<Location> = frames
        .iter()
        .enumerate()
        .map(|(i, f)| Location {
            id: i as u64 + 1,
            mapping_id: 1,
            address: start + f.1,
            ..Default::default()
        })
        .collect();
    let p = Profile {
        sample_type: vec![ValueType { r#type: 1, unit: 2 }],
        sample: vec![Sample {
            location_id: (1..=frames.len() as u64).collect(),
            value: vec![4096],
            label: Vec::new(),
        }],
        mapping: vec![Mapping {
            id: 1,
            memory_start: start,
            memory_limit: start + 0x5000,
            file_offset: 0,
            filename: 3,
            build_id: 4,
            ..Default::default()
        }],
        location,
        string_table: strings,
        ..Default::default()
    };
    let path = tmp.path().join("heap.pb");
    std::fs::write(&path, p.encode_to_vec()).unwrap();
    let want: Vec<F> = frames.iter().flat_map(|f| f.2.clone()).collect();
    let before = load(&path);
    assert!(
        heap_frames(&before)[0].0.starts_with("app+0x"),
        "{:?}",
        heap_frames(&before)
    );
    let got = symbolized(&path, &opts(std::slice::from_ref(&bin), &[]));
    assert_eq!(heap_frames(&got), want, "{}", notes(&got));

    // Go's legacy text heap profile from a program that could not
    // symbolize itself: bare return addresses, no mappings. The base is
    // inferred.
    let base = 0x55d6_eb89_4000u64;
    let pcs: Vec<String> = frames
        .iter()
        .map(|f| format!("{:#x}", base + f.0))
        .collect();
    let text = format!(
        "heap profile: 1: 4096 [1: 4096] @ heap/1\n1: 4096 [1: 4096] @ {}\n",
        pcs.join(" ")
    );
    let path = tmp.path().join("heap.txt");
    std::fs::write(&path, text).unwrap();
    let got = symbolized(&path, &opts(&[bin], &[]));
    let n = notes(&got);
    assert!(
        n.contains(&format!("load base inferred as {base:#x}")),
        "{n}"
    );
    assert_eq!(heap_frames(&got), want, "{n}");
}

mod never_panics {
    use super::*;
    use dumpscope::input::Bytes;
    use proptest::prelude::*;

    const SOURCES: [&str; 6] = [
        "samples/native/backtrace-symbols/crash-pie.txt",
        "samples/native/asan/report-unsymbolized.txt",
        "samples/native/tsan/report.txt",
        "samples/native/eu-stack/full.txt",
        "samples/rust/panics/panic-full-stripped.txt",
        "samples/rust/panics/capture.txt",
    ];

    /// Parses (as detected, and forced as each backtrace format), then
    /// symbolizes against a real binary: nothing panics, whatever the
    /// addresses.
    fn run(bytes: Vec<u8>) {
        let data = Bytes::owned(bytes);
        let bin = common::root().join("samples/native/backtrace-symbols/bin/app.unstripped");
        for format in [
            None,
            dumpscope::parse::Format::named("rust-backtrace"),
            dumpscope::parse::Format::named("native-backtrace"),
        ] {
            let popts = dumpscope::parse::ParseOptions {
                format,
                ..Default::default()
            };
            let Ok(parsed) = dumpscope::parse::parse_input("p", data.clone(), &popts) else {
                continue;
            };
            let mut p = ParsedInput {
                input: Default::default(),
                snapshots: parsed.snapshots,
                heaps: parsed.heaps,
            };
            let mut sym = Symbolizer::new(&opts(std::slice::from_ref(&bin), &[]));
            pipeline::symbolize(&mut sym, &mut p);
            let _ = pipeline::report(&[p], &Default::default(), &Default::default());
        }
        let text = String::from_utf8_lossy(&data);
        let mut sym = Symbolizer::new(&opts(&[bin], &[]));
        let mut out = Vec::new();
        dumpscope::symbolize::text::annotate(&text, &mut sym, &mut out).unwrap();
        assert!(out.len() >= text.len());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn random_bytes(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
            run(data);
        }

        #[test]
        fn random_line_edits(which in 0usize..6, edits in proptest::collection::vec((0usize..400, any::<u64>()), 1..20)) {
            let d = std::fs::read(common::root().join(SOURCES[which])).unwrap();
            let text = String::from_utf8_lossy(&d).into_owned();
            let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
            for (i, x) in edits {
                if lines.is_empty() {
                    break;
                }
                let i = i % lines.len();
                match x % 4 {
                    0 => { lines.remove(i); }
                    // An address anywhere in the 64-bit space.
                    1 => lines[i] = lines[i].replacen("0x", &format!("0x{x:x}"), 1),
                    2 => {
                        let l = &mut lines[i];
                        let n = (x as usize) % (l.len() + 1);
                        let cut = (0..=n).rev().find(|&k| l.is_char_boundary(k)).unwrap_or(0);
                        l.truncate(cut);
                    }
                    _ => lines.insert(i, lines[i].clone()),
                }
            }
            run(lines.join("\n").into_bytes());
        }
    }
}

/// The jemalloc sample symbolized against its program rebuilt here with
/// the flags its README gives (gcc's output is deterministic for a given
/// compiler): the top functions and their in-use bytes equal jeprof's
/// (`reference-jeprof.2.txt`, made with addr2line on the original binary).
#[test]
fn jemalloc_profiles_symbolize_like_jeprof() {
    const T: &str = "jemalloc_profiles_symbolize_like_jeprof";
    if !have(T, "gcc") {
        return;
    }
    if !Path::new("/usr/include/jemalloc/jemalloc.h").exists() {
        common::skip(T, "libjemalloc-dev is not installed");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let src = common::root().join("samples/native/programs/jemalloc-cache/main.c");
    let dir = d.join("programs/jemalloc-cache");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(&src, dir.join("main.c")).unwrap();
    ok(Command::new("gcc")
        .current_dir(&dir)
        .args(["-O1", "-g", "-fno-omit-frame-pointer", "-Wall", "-Wextra"])
        .arg(format!(
            "-ffile-prefix-map={}=/home/build/native",
            d.display()
        ))
        .args(["-o"])
        .arg(d.join("jemalloc-cache"))
        .args(["main.c", "-ljemalloc", "-lpthread"]));
    let sample = common::root().join("samples/native/jemalloc-cache");
    let p = symbolized(
        &sample.join("jeprof.2.heap"),
        &opts(&[d.join("jemalloc-cache")], &[]),
    );
    let r = pipeline::report(&[p], &Default::default(), &Default::default());
    let h = &r.heap[0];
    // jeprof's --text lines: flat flat% sum% cum cum% function (MB).
    let reference = std::fs::read_to_string(sample.join("reference-jeprof.2.txt")).unwrap();
    let want: Vec<(String, f64)> = reference
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() >= 6 && f[1].ends_with('%')).then(|| (f[5].to_string(), f[0].parse().unwrap()))
        })
        .take(4)
        .collect();
    assert_eq!(want.len(), 4, "{reference}");
    for (i, (name, mb)) in want.iter().enumerate() {
        let got = &h.functions[i];
        assert_eq!(&got.function, name);
        // jeprof's MB are MiB.
        let got_mb = got.flat.inuse_bytes as f64 / (1u64 << 20) as f64;
        assert!(
            (got_mb - mb).abs() < 0.06,
            "{name}: {got_mb} MB, jeprof {mb} MB"
        );
    }
}
