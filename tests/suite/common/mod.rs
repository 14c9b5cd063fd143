//! Shared helpers of the integration tests: they read the committed samples
//! and never need Go.
#![allow(dead_code)]

use dumpscope::pipeline::{self, Config, ParsedInput};
use dumpscope::report::Report;
use std::path::{Path, PathBuf};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Reads a sample (path relative to the crate root) through the whole pipeline.
pub fn parse(rel: &str) -> ParsedInput {
    let path = root().join(rel);
    let mut warnings = Vec::new();
    let none = |_: u64| None;
    let mut p = pipeline::load_and_parse(
        path.to_str().unwrap(),
        &Config::default(),
        &none,
        &mut warnings,
    )
    .unwrap_or_else(|e| panic!("{rel}: {e}"));
    // Reports name the input as given: keep them free of this machine's paths.
    p.input.source = rel.to_string();
    for s in &mut p.snapshots {
        s.source = rel.to_string();
    }
    for h in &mut p.heaps {
        h.source = rel.to_string();
    }
    p
}

pub fn report(rel: &str) -> Report {
    pipeline::report(&[parse(rel)], &Default::default(), &Default::default())
}

/// The report with diagnosis options.
pub fn report_with(rel: &str, d: &dumpscope::analyze::DiagnoseOptions) -> Report {
    pipeline::report(&[parse(rel)], &Default::default(), d)
}

/// Goroutine headers at the start of a line, counted with a regex written
/// independently of the parser.
pub fn header_count(text: &str) -> usize {
    let re = regex::Regex::new(
        r"(?m)^goroutine \d+ (?:gp=0x[0-9a-f]+ m=(?:\d+|nil)(?: mp=0x[0-9a-f]+)? )?\[",
    )
    .unwrap();
    re.find_iter(text).count()
}

pub fn read(rel: &str) -> String {
    String::from_utf8_lossy(&std::fs::read(root().join(rel)).unwrap()).into_owned()
}

#[derive(serde::Deserialize)]
pub struct Manifest {
    pub files: Vec<Entry>,
}

#[derive(serde::Deserialize, Clone)]
pub struct Entry {
    pub path: String,
    pub program: String,
    pub form: String,
    pub format: String,
    #[serde(default)]
    pub expect: Option<serde_json::Value>,
}

pub fn manifest() -> Manifest {
    serde_json::from_str(&read("samples/manifest.json")).expect("samples/manifest.json")
}

/// The Go traceback samples (every `samples/go/**` file in that format).
pub fn go_samples() -> Vec<Entry> {
    manifest()
        .files
        .into_iter()
        .filter(|e| e.format == "go-traceback" && e.path.starts_with("go/"))
        .collect()
}

pub fn sample_path(e: &Entry) -> String {
    Path::new("samples")
        .join(&e.path)
        .to_string_lossy()
        .into_owned()
}

/// A crafted dump (not a sample: no program wrote it) whose every field a
/// report shows carries markup, script and Markdown: panic message, state,
/// function names, receivers, file paths, labels and arguments. Two
/// goroutines lock each other's mutex, so it has findings, a graph with a
/// cycle, and groups.
pub fn hostile_dump() -> String {
    let evil = "</script><script>alert(1)</script><!--<img src=x onerror=alert(2)>";
    let md = "*b* _i_ `code` ``` | pipe | [link](https://evil.example/x) <b>&amp;</b>";
    let mut s = String::new();
    s.push_str(&format!("panic: {evil} {md}\n\n"));
    s.push_str(&format!(
        "goroutine 1 [running] {{\"{evil}\":\"{md}\"}}:\nmain.main()\n\t/home/build/{evil}/main.go:12 +0x1d\n\n"
    ));
    for (id, a, b) in [
        (7, "0xc000010000", "0xc000010040"),
        (8, "0xc000010040", "0xc000010000"),
    ] {
        s.push_str(&format!(
            "goroutine {id} [sync.Mutex.Lock, 12 minutes]:\n\
             internal/sync.runtime_SemacquireMutex(0x0?, 0x0?, 0x0?)\n\
             \t/usr/local/go/src/runtime/sema.go:95 +0x25\n\
             internal/sync.(*Mutex).lockSlow({b})\n\
             \t/usr/local/go/src/internal/sync/mutex.go:149 +0x15a\n\
             sync.(*Mutex).Lock(...)\n\
             \t/usr/local/go/src/sync/mutex.go:46\n\
             main.(*T`{md}`).transfer<b>x</b>({a}, {b})\n\
             \t/home/build/{evil}/main.go:40 +0x4f\n\
             created by main.main in goroutine 1\n\
             \t/home/build/{evil}/main.go:20 +0x2c5\n\n"
        ));
    }
    for id in 20..26 {
        s.push_str(&format!(
            "goroutine {id} [chan receive {evil}]:\n\
             main.worker{md}(0xc000020000)\n\
             \t/home/build/<svg onload=alert(3)>/w.go:9 +0x2a\n\
             created by main.main in goroutine 1\n\
             \t/home/build/{evil}/main.go:22 +0x3c\n\n"
        ));
    }
    s
}

/// The report of [`hostile_dump`].
pub fn hostile_report() -> Report {
    let text = hostile_dump();
    let p = pipeline::parse_bytes(
        "hostile</script>.txt",
        text.len() as u64,
        dumpscope::input::Compression::None,
        dumpscope::input::Bytes::owned(text.into_bytes()),
        None,
        None,
    )
    .expect("the crafted dump parses");
    pipeline::report(&[p], &Default::default(), &Default::default())
}

/// The variable `.ci/run` sets so that a test missing one of its tools
/// fails instead of skipping.
pub const REQUIRE_TOOLS: &str = "DUMPSCOPE_REQUIRE_TOOLS";

/// A test that cannot run here says so: with `DUMPSCOPE_REQUIRE_TOOLS=1`
/// (CI) it fails; otherwise a line goes straight to the process's stderr,
/// where `cargo test` shows it even for a passing test (libtest captures
/// only `eprintln!`, and shows it only on failure).
pub fn skip(test: &str, why: &str) {
    let required = std::env::var(REQUIRE_TOOLS).as_deref() == Ok("1");
    match skip_line(test, why, required) {
        Ok(line) => {
            use std::io::Write;
            let _ = writeln!(std::io::stderr(), "{line}");
        }
        Err(message) => panic!("{message}"),
    }
}

/// What [`skip`] does: the line it prints, or the failure when the tools
/// are required.
pub fn skip_line(test: &str, why: &str, required: bool) -> Result<String, String> {
    if required {
        Err(format!("{test}: {why}, and {REQUIRE_TOOLS}=1"))
    } else {
        Ok(format!("{test}: SKIPPED: {why}"))
    }
}

/// Whether `tool --version` runs; when it does not, `test` skips (see
/// [`skip`]).
pub fn have_tool(test: &str, tool: &str) -> bool {
    let ok = std::process::Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        skip(test, &format!("{tool} is not installed"));
    }
    ok
}

/// The binary of a core sample (`samples/core/{dir}/{name}/{name}.zst`),
/// decompressed once into the target directory. Written whole under a name
/// of this thread, then renamed: tests running at the same time never see
/// half a binary.
pub fn core_binary(dir: &str, name: &str) -> PathBuf {
    let tmp_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("core-{dir}"));
    std::fs::create_dir_all(&tmp_dir).expect("tmp dir");
    let out = tmp_dir.join(name);
    let zst = root().join(format!("samples/core/{dir}/{name}/{name}.zst"));
    let loaded = dumpscope::input::load(
        zst.to_str().expect("utf-8 path"),
        &dumpscope::input::LoadOptions::default(),
    )
    .expect("binary sample");
    let data: &[u8] = &loaded.data;
    if std::fs::read(&out).ok().as_deref() != Some(data) {
        let tmp = tmp_dir.join(format!("{name}.{:?}", std::thread::current().id()));
        std::fs::write(&tmp, data).expect("write binary");
        std::fs::rename(&tmp, &out).expect("rename binary");
    }
    out
}

/// The configuration of `dumpscope analyze CORE --binary BIN` for a core
/// sample (see [`core_binary`]).
pub fn core_config(dir: &str, name: &str) -> Config {
    Config {
        symbolize: dumpscope::symbolize::Options {
            binaries: vec![core_binary(dir, name)],
            ..Default::default()
        },
        ..Config::default()
    }
}
