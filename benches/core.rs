//! Micro-benchmarks of the stages of one dump's analysis, on bundled samples:
//! parsing (Go traceback, Java thread dump), grouping, and the wait-for graph
//! with the rules. The end-to-end figures on 500,000-goroutine dumps come
//! from `bench/run.py`; these show which stage a change moved.
//!
//! `cargo bench --bench core` (criterion prints medians and changes against
//! the previous run).

use criterion::{criterion_group, criterion_main, Criterion};
use dumpscope::analyze::{self, DiagnoseOptions, Similarity};
use dumpscope::input::{self, LoadOptions};
use dumpscope::model::Snapshot;
use dumpscope::pipeline::{self, ParsedInput};
use std::hint::black_box;
use std::path::Path;

/// A 2 MB SIGQUIT dump of 10,000 goroutines from one creator site.
const GO_DUMP: &str = "samples/go/goroutine-explosion/sigquit.txt";
/// A JVM's SIGQUIT thread dump with a monitor convoy.
const JAVA_DUMP: &str = "samples/java/lock-convoy/sigquit.txt";

fn read(rel: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn parse(name: &str, raw: Vec<u8>) -> ParsedInput {
    let loaded = input::load_bytes(name, raw, &LoadOptions::default()).expect("sample loads");
    pipeline::parse_bytes(
        &loaded.name,
        loaded.size,
        loaded.compression,
        loaded.data,
        None,
        None,
    )
    .expect("sample parses")
}

fn first_snapshot(parsed: &ParsedInput) -> &Snapshot {
    parsed.snapshots.first().expect("a dump")
}

fn parsing(c: &mut Criterion) {
    for (label, rel) in [
        ("parse/go-sigquit", GO_DUMP),
        ("parse/java-sigquit", JAVA_DUMP),
    ] {
        let raw = read(rel);
        c.bench_function(label, |b| b.iter(|| parse(rel, black_box(raw.clone()))));
    }
}

fn grouping(c: &mut Criterion) {
    let parsed = parse(GO_DUMP, read(GO_DUMP));
    let snap = first_snapshot(&parsed);
    for (label, level) in [
        ("group/pointers", Similarity::Pointers),
        ("group/exact", Similarity::Exact),
    ] {
        c.bench_function(label, |b| b.iter(|| analyze::group(black_box(snap), level)));
    }
}

fn diagnosis(c: &mut Criterion) {
    let options = DiagnoseOptions::default();
    for (label, rel) in [("graph/go", GO_DUMP), ("graph/java", JAVA_DUMP)] {
        let parsed = parse(rel, read(rel));
        let snap = first_snapshot(&parsed);
        c.bench_function(label, |b| {
            b.iter(|| analyze::prepare(black_box(snap), &options))
        });
        let groups = analyze::group(snap, Similarity::Pointers);
        let rules_label = label.replace("graph/", "diagnose/");
        c.bench_function(&rules_label, |b| {
            b.iter(|| analyze::diagnose(black_box(snap), &groups, None, &options))
        });
    }
}

criterion_group!(benches, parsing, grouping, diagnosis);
criterion_main!(benches);
