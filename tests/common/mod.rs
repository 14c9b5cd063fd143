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
