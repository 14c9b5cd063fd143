//! pprof goroutine profiles (debug=0/1, the per-goroutine variant, the
//! goroutineleak profile) and heap snapshots (Go protobuf and legacy text,
//! jemalloc, dhat), checked against the same processes' tracebacks and
//! against the reference tools' output recorded beside the samples
//! (`go tool pprof -top`, `jeprof --text`).

use crate::common;

use dumpscope::pipeline;
use dumpscope::report::heap::HeapReport;
use dumpscope::report::Report;
use proptest::prelude::*;

const PROGRAMS: [&str; 3] = [
    "cache-never-evicts",
    "leak-holding-memory",
    "healthy-service",
];

fn report_of(paths: &[&str]) -> Report {
    let paths: Vec<String> = paths
        .iter()
        .map(|p| common::root().join(p).to_string_lossy().into_owned())
        .collect();
    let out = pipeline::analyze_paths(&paths, &pipeline::Config::default(), &|_| None);
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    out.report.expect("a report")
}

fn pprof(prog: &str, file: &str) -> String {
    format!("samples/go/{prog}/pprof/{file}")
}

fn heap(r: &Report) -> &HeapReport {
    r.heap.first().expect("a heap snapshot")
}

/// A pprof quantity (`175.99MB`, `512.01kB`, `38356`, `0`) in bytes or units.
fn pprof_value(s: &str) -> f64 {
    let s = s.trim();
    let (num, mult) = [
        ("GB", 1024.0 * 1024.0 * 1024.0),
        ("MB", 1024.0 * 1024.0),
        ("kB", 1024.0),
        ("B", 1.0),
    ]
    .iter()
    .find_map(|(u, m)| s.strip_suffix(u).map(|n| (n, *m)))
    .unwrap_or((s, 1.0));
    num.parse::<f64>()
        .unwrap_or_else(|_| panic!("not a pprof value: {s}"))
        * mult
}

/// `go tool pprof -top` output: (total, [(flat, cum, function)]).
fn pprof_top(rel: &str) -> (f64, Vec<(f64, f64, String)>) {
    let text = common::read(rel);
    let total = text
        .lines()
        .find_map(|l| {
            l.split(" of ")
                .nth(1)?
                .strip_suffix(" total")
                .map(pprof_value)
        })
        .expect("a total line");
    let rows = text
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("flat"))
        .skip(1)
        .filter_map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            (w.len() >= 6).then(|| {
                let func = w[5..].join(" ");
                let func = func.trim_end_matches(" (inline)").to_string();
                (pprof_value(w[0]), pprof_value(w[3]), func)
            })
        })
        .collect();
    (total, rows)
}

/// Within pprof's printed precision: two decimals of its unit, or 0.5 %.
fn close(ours: f64, theirs: f64) {
    let tol = (theirs.abs() * 0.005).max(0.006 * 1024.0 * 1024.0).max(1.0);
    assert!((ours - theirs).abs() <= tol, "ours {ours}, pprof {theirs}");
}

#[test]
fn debug0_debug1_and_debug2_of_one_process_count_the_same_goroutines() {
    for prog in PROGRAMS {
        let d2 = common::report(&pprof(prog, "goroutine-debug2.txt"));
        let d1 = common::report(&pprof(prog, "goroutine-debug1.txt"));
        let d0 = common::report(&pprof(prog, "goroutine.pb.gz"));
        let n = d2.snapshots[0].task_count;
        assert!(n > 0);
        assert_eq!(d1.snapshots[0].task_count, n, "{prog} debug=1");
        assert_eq!(d0.snapshots[0].task_count, n, "{prog} debug=0");
        for r in [&d1, &d0] {
            let s = &r.snapshots[0];
            // No ids: groups carry counts only, and the counts add up.
            assert!(s.groups.iter().all(|g| g.task_ids.is_empty()));
            assert_eq!(s.groups.iter().map(|g| g.count).sum::<u64>(), n);
            for f in &r.findings {
                assert!(f.task_ids.is_empty());
                assert!(f.task_count > 0, "{prog}: {}", f.title);
            }
        }
        // debug=0 keeps the runtime frames, so states come out as a traceback's.
        assert_eq!(d0.snapshots[0].states.0, d2.snapshots[0].states.0, "{prog}");
    }
}

#[test]
fn per_goroutine_profile_gives_full_tasks() {
    for prog in PROGRAMS {
        let lab = common::report(&pprof(prog, "goroutines-labelled.pb.gz"));
        let txt = common::report(&pprof(prog, "goroutine-debug2-labels.txt"));
        let ids = |r: &Report| {
            // Every group, also those past the ones a report keeps built.
            let mut v: Vec<u64> = r.snapshots[0]
                .groups
                .all()
                .flat_map(|g| g.task_ids.clone())
                .collect();
            v.sort_unstable();
            v
        };
        assert_eq!(ids(&lab), ids(&txt), "{prog}");
        assert_eq!(
            lab.snapshots[0].states.0, txt.snapshots[0].states.0,
            "{prog}"
        );
        assert_eq!(lab.snapshots[0].origin.as_deref(), Some("goroutines"));
        // Creator goroutine ids come through as parents.
        let parents = |r: &Report| -> Vec<u64> {
            let mut v: Vec<u64> = r.snapshots[0]
                .groups
                .iter()
                .filter_map(|g| g.created_by.as_ref())
                .flat_map(|c| c.parent_ids.iter().copied())
                .collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        let _ = parents(&txt);
        let labelled_groups = lab.snapshots[0]
            .groups
            .iter()
            .filter(|g| !g.labels.is_empty())
            .count();
        let text_groups = txt.snapshots[0]
            .groups
            .iter()
            .filter(|g| !g.labels.is_empty())
            .count();
        assert_eq!(labelled_groups > 0, text_groups > 0, "{prog}: labels");
    }
}

#[test]
fn goroutineleak_profiles_mark_every_goroutine_leaked() {
    for file in ["goroutineleak.pb.gz", "goroutineleak-debug1.txt"] {
        let r = common::report(&pprof("leak-holding-memory", file));
        let s = &r.snapshots[0];
        assert_eq!(s.task_count, 2000, "{file}");
        assert_eq!(s.origin.as_deref(), Some("goroutineleak"));
        let leaked: u64 = s
            .groups
            .iter()
            .map(|g| {
                g.flags
                    .0
                    .iter()
                    .find(|(k, _)| k == "leaked")
                    .map_or(0, |(_, n)| *n)
            })
            .sum();
        assert_eq!(leaked, 2000, "{file}");
        assert!(
            r.findings
                .iter()
                .any(|f| f.kind == "leak" && f.task_count == 2000),
            "{file}"
        );
        // The leak profile lists only the leaked goroutines: no claim that
        // the whole process is deadlocked.
        assert!(
            !r.findings.iter().any(|f| f.rule == "deadlock.global"),
            "{file}"
        );
    }
}

#[test]
fn counted_goroutine_profiles_find_the_explosion() {
    for file in ["goroutine.pb.gz", "goroutine-debug1.txt"] {
        let r = common::report(&pprof("leak-holding-memory", file));
        let f = &r.findings[0];
        assert_eq!(f.rule, "leak.explosion", "{file}");
        assert_eq!(f.task_count, 2000);
        assert!(f.title.contains("main.(*Server).render"), "{}", f.title);
    }
    // A healthy service has nothing above low, whatever the form.
    for file in [
        "goroutine.pb.gz",
        "goroutine-debug1.txt",
        "goroutine-debug2.txt",
    ] {
        let r = common::report(&pprof("healthy-service", file));
        assert!(
            r.findings
                .iter()
                .all(|f| f.severity == "low" || f.severity == "info"),
            "{file}: {:?}",
            r.findings.iter().map(|f| &f.title).collect::<Vec<_>>()
        );
    }
}

#[test]
fn heap_totals_and_top_functions_match_go_tool_pprof() {
    for prog in PROGRAMS {
        let r = common::report(&pprof(prog, "heap.pb.gz"));
        let h = heap(&r);
        assert_eq!(h.format, "pprof");
        assert_eq!(
            h.sample_types,
            [
                "alloc_objects/count",
                "alloc_space/bytes",
                "inuse_objects/count",
                "inuse_space/bytes"
            ]
        );
        for (index, cum) in [
            ("inuse_space", false),
            ("inuse_space", true),
            ("inuse_objects", false),
            ("alloc_space", false),
        ] {
            let suffix = if cum { ".cum" } else { "" };
            let rel = pprof(
                prog,
                &format!("reference/heap.pb.gz.{index}{suffix}.top.txt"),
            );
            let (total, rows) = pprof_top(&rel);
            let pick = |a: &dumpscope::report::heap::HeapAmounts| -> f64 {
                (match index {
                    "inuse_space" => a.inuse_bytes,
                    "inuse_objects" => a.inuse_objects,
                    _ => a.alloc_bytes,
                }) as f64
            };
            close(pick(&h.totals), total);
            // Every function pprof lists has our flat and cum values.
            for (flat, cumv, func) in rows.iter().take(10) {
                let ours = h
                    .functions
                    .iter()
                    .find(|f| &f.function == func)
                    .unwrap_or_else(|| panic!("{prog} {index}: {func} missing"));
                close(pick(&ours.flat), *flat);
                close(pick(&ours.cum), *cumv);
            }
            if !cum && index == "inuse_space" {
                // Same order at the top (pprof sorts by flat, then cum, then
                // name; it drops small nodes, so rows with flat > 0 only).
                let top: Vec<&str> = rows
                    .iter()
                    .filter(|r| r.0 > 0.0)
                    .take(3)
                    .map(|r| r.2.as_str())
                    .collect();
                let ours: Vec<&str> = h
                    .functions
                    .iter()
                    .take(top.len())
                    .map(|f| f.function.as_str())
                    .collect();
                assert_eq!(ours, top, "{prog}");
            }
        }
    }
}

#[test]
fn legacy_text_heap_is_unsampled_like_the_protobuf() {
    for prog in PROGRAMS {
        let text = common::report(&pprof(prog, "heap-debug1.txt"));
        let proto = common::report(&pprof(prog, "heap.pb.gz"));
        let (t, p) = (heap(&text), heap(&proto));
        assert_eq!(t.format, "go-heap-text");
        assert_eq!(t.sampling, "poisson");
        assert_eq!(t.period, 512 * 1024);
        assert!(
            t.stats.iter().any(|(k, _)| k == "HeapAlloc"),
            "{prog}: MemStats"
        );
        // Written right after the protobuf one: the same sampled records,
        // scaled back the way pprof scales the text form.
        let near = |a: i64, b: i64| {
            (a - b).abs() as f64 <= (b.abs() as f64 * 0.02).max(2.0 * 1024.0 * 1024.0)
        };
        assert!(
            near(t.totals.inuse_bytes, p.totals.inuse_bytes),
            "{prog}: {} vs {}",
            t.totals.inuse_bytes,
            p.totals.inuse_bytes
        );
        assert_eq!(t.functions[0].function, p.functions[0].function, "{prog}");
    }
}

#[test]
fn legacy_text_records_without_frame_lines_keep_their_pcs() {
    // The same real profile with its `#` lines taken out, as a program that
    // cannot symbolize itself writes it.
    let rel = pprof("cache-never-evicts", "heap-debug1.txt");
    let text = common::read(&rel);
    let bare: String = text
        .lines()
        .filter(|l| !l.starts_with('#') || l.starts_with("# runtime.MemStats"))
        .map(|l| format!("{l}\n"))
        .collect();
    let parse = |t: &str| {
        let p = dumpscope::pipeline::parse_bytes(
            "bare.txt",
            t.len() as u64,
            dumpscope::input::Compression::None,
            dumpscope::input::Bytes::owned(t.as_bytes().to_vec()),
            None,
            None,
        )
        .expect("a heap profile");
        pipeline::report(&[p], &Default::default(), &Default::default())
    };
    let (full, bare) = (parse(&text), parse(&bare));
    let (f, b) = (heap(&full), heap(&bare));
    assert_eq!(b.totals.inuse_bytes, f.totals.inuse_bytes);
    assert_eq!(b.totals.alloc_bytes, f.totals.alloc_bytes);
    assert!(b.sites_total >= f.sites_total);
    // Each stack is its pcs, innermost first, as the record lists them.
    let first = text
        .lines()
        .find(|l| l.contains(" @ 0x") && !l.starts_with("heap profile"))
        .unwrap();
    let pcs: Vec<&str> = first.split(" @ ").nth(1).unwrap().split(' ').collect();
    let site = b
        .sites
        .iter()
        .find(|s| s.frames.first().map(|f| f.function.as_str()) == Some(pcs[0]))
        .unwrap_or_else(|| panic!("no site starting at {}", pcs[0]));
    let names: Vec<&str> = site.frames.iter().map(|f| f.function.as_str()).collect();
    assert_eq!(names, pcs);
}

#[test]
fn jemalloc_profiles_match_jeprof() {
    for n in [1, 2] {
        let r = common::report(&format!("samples/native/jemalloc-cache/jeprof.{n}.heap"));
        let h = heap(&r);
        assert_eq!(h.format, "jemalloc-heap");
        assert!(h.modules.iter().any(|m| m.path.ends_with("jemalloc-cache")));
        let reference = common::read(&format!(
            "samples/native/jemalloc-cache/reference-jeprof.{n}.txt"
        ));
        let total: f64 = reference
            .lines()
            .find_map(|l| l.strip_prefix("Total: ")?.strip_suffix(" MB")?.parse().ok())
            .expect("jeprof total");
        let ours = h.totals.inuse_bytes as f64 / (1024.0 * 1024.0);
        assert!(
            (ours - total).abs() < 0.06,
            "jeprof {total} MB, ours {ours}"
        );
        // jeprof's top entry (value_alloc) is our top function, as module+offset.
        let top: f64 = reference
            .lines()
            .nth(1)
            .and_then(|l| l.split_whitespace().next()?.parse().ok())
            .unwrap();
        let f = &h.functions[0];
        assert!(
            f.function.starts_with("jemalloc-cache+0x"),
            "{}",
            f.function
        );
        assert!((f.flat.inuse_bytes as f64 / 1048576.0 - top).abs() < 0.06);
        // The allocator's own frames are not allocation sites.
        assert!(h
            .sites
            .iter()
            .all(|s| !s.function.starts_with("libjemalloc")));
    }
    let r = report_of(&[
        "samples/native/jemalloc-cache/jeprof.1.heap",
        "samples/native/jemalloc-cache/jeprof.2.heap",
    ]);
    let g = r
        .findings
        .iter()
        .find(|f| f.rule == "heap.growth")
        .expect("growth");
    assert_eq!(g.heap, Some(1));
    assert_eq!(g.snapshot, None);
    assert!(!g.heap_sites.is_empty());
}

#[test]
fn dhat_totals_are_the_files_own() {
    let rel = "samples/native/dhat-cache/dhat-heap.json";
    let v: serde_json::Value = serde_json::from_str(&common::read(rel)).unwrap();
    let sum = |k: &str| -> i64 {
        v["pps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p[k].as_i64().unwrap())
            .sum()
    };
    let r = common::report(rel);
    let h = heap(&r);
    assert_eq!(h.format, "dhat");
    assert_eq!(h.totals.alloc_bytes, sum("tb"));
    assert_eq!(h.totals.alloc_objects, sum("tbk"));
    assert_eq!(h.totals.inuse_bytes, sum("eb"));
    assert_eq!(h.totals.inuse_objects, sum("ebk"));
    let f = r
        .findings
        .iter()
        .find(|f| f.rule == "heap.never-freed")
        .expect("never-freed");
    assert!(f.title.contains("dhat_cache::"), "{}", f.title);
}

#[test]
fn heap_rules_on_the_samples() {
    let r = common::report(&pprof("cache-never-evicts", "heap.pb.gz"));
    let rules: Vec<&str> = r.findings.iter().map(|f| f.rule.as_str()).collect();
    assert_eq!(rules.first(), Some(&"heap.never-freed"), "{rules:?}");
    assert!(rules.contains(&"heap.time-after-loop"), "{rules:?}");
    let nf = &r.findings[0];
    assert!(nf.title.contains("main.renderQuote"));
    assert!(
        nf.evidence.iter().any(|e| e.contains("QuoteCache")),
        "{:?}",
        nf.evidence
    );
    // Healthy: nothing.
    let r = common::report(&pprof("healthy-service", "heap.pb.gz"));
    assert!(
        r.findings.is_empty(),
        "{:?}",
        r.findings.iter().map(|f| &f.title).collect::<Vec<_>>()
    );
}

#[test]
fn leaked_goroutines_holding_memory_are_called_out() {
    for goroutines in [
        "goroutine.pb.gz",
        "goroutine-debug2.txt",
        "goroutineleak.pb.gz",
    ] {
        let r = report_of(&[
            &pprof("leak-holding-memory", goroutines),
            &pprof("leak-holding-memory", "heap.pb.gz"),
        ]);
        let f = r
            .findings
            .iter()
            .find(|f| f.rule == "leak.holds-memory")
            .unwrap_or_else(|| panic!("{goroutines}"));
        assert_eq!(f.snapshot, Some(0));
        assert_eq!(f.heap, Some(0));
        assert_eq!(f.task_count, 2000);
        assert!(f.title.contains("main.(*Server).render"), "{}", f.title);
        let site = &r.heap[0].sites[f.heap_sites[0]];
        assert!(site
            .frames
            .iter()
            .any(|fr| fr.function == "main.(*Server).render"));
    }
}

#[test]
fn cut_and_damaged_profiles_are_read_up_to_the_damage() {
    use std::io::Read;
    let gz =
        std::fs::read(common::root().join(pprof("leak-holding-memory", "heap.pb.gz"))).unwrap();
    let mut raw = Vec::new();
    flate2::read::MultiGzDecoder::new(&gz[..])
        .read_to_end(&mut raw)
        .unwrap();
    for cut in [raw.len() / 3, raw.len() / 2, raw.len() - 7] {
        let out = dumpscope::pipeline::parse_bytes(
            "cut.pb",
            cut as u64,
            dumpscope::input::Compression::None,
            dumpscope::input::Bytes::owned(raw[..cut].to_vec()),
            None,
            None,
        );
        if let Ok(p) = out {
            for h in &p.heaps {
                assert!(h.truncated);
                assert!(h
                    .warnings
                    .iter()
                    .any(|w| w.message.contains("cut or damaged")));
            }
        }
    }
}

/// A heap profile.proto built here, with everything the streaming decoder
/// must get right: more samples than the parallel threshold, repeated
/// stacks, two locations with the same frames, an inlined location, an
/// unknown location id, labels, and a few samples appended after the string
/// table with unpacked repeated fields.
/// A sample: location ids and the four values.
type RawSample = (Vec<u64>, [i64; 4]);

fn synthetic_heap_profile(n: usize) -> (Vec<u8>, Vec<RawSample>) {
    use dumpscope::parse::pprof::proto::{
        Function, Label, Line, Location, Profile, Sample, ValueType,
    };
    use prost::Message;
    let mut strings: Vec<Vec<u8>> = vec![b"".to_vec()];
    let mut s = |x: &str| {
        strings.push(x.as_bytes().to_vec());
        strings.len() as i64 - 1
    };
    let types = [
        "alloc_objects",
        "alloc_space",
        "inuse_objects",
        "inuse_space",
    ];
    let units = ["count", "bytes", "count", "bytes"];
    let sample_type = types
        .iter()
        .zip(units)
        .map(|(t, u)| ValueType {
            r#type: s(t),
            unit: s(u),
        })
        .collect();
    let file = s("/src/app/main.go");
    let bytes_key = s("bytes");
    let function: Vec<Function> = (1..=30)
        .map(|i| Function {
            id: i,
            name: s(&format!("main.f{i}")),
            system_name: 0,
            filename: file,
            start_line: 0,
        })
        .collect();
    let line = |f: u64, l: i64| Line {
        function_id: f,
        line: l,
        column: 0,
    };
    let mut location: Vec<Location> = (1..=40u64)
        .map(|i| Location {
            id: i,
            mapping_id: 0,
            address: 0x1000 + i,
            line: vec![line((i - 1) % 30 + 1, 10 + i as i64)],
            is_folded: false,
        })
        .collect();
    // Location 7 has an inlined call; location 40 has location 5's frame.
    location[6].line.insert(0, line(29, 99));
    location[39].line = location[4].line.clone();
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = move |m: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % m
    };
    let mut samples = Vec::new();
    for _ in 0..n {
        let depth = 1 + next(6) as usize;
        // Ids 1..=41: 41 is no location.
        let ids: Vec<u64> = (0..depth).map(|_| 1 + next(41)).collect();
        let objs = 1 + next(4) as i64;
        let size = 16 * (1 + next(64) as i64);
        let live = next(3) as i64;
        samples.push((
            ids,
            [objs, objs * size, live.min(objs), live.min(objs) * size],
        ));
    }
    let sample: Vec<Sample> = samples[..n - 3]
        .iter()
        .map(|(ids, v)| Sample {
            location_id: ids.clone(),
            value: v.to_vec(),
            label: vec![Label {
                key: bytes_key,
                str: 0,
                num: v[1] / v[0],
                num_unit: 0,
            }],
        })
        .collect();
    let p = Profile {
        sample_type,
        sample,
        location,
        function,
        string_table: strings,
        period: 1,
        ..Default::default()
    };
    let mut buf = p.encode_to_vec();
    // The last three samples: unpacked fields, after the string table.
    for (ids, v) in &samples[n - 3..] {
        let mut m = Vec::new();
        for &id in ids {
            prost::encoding::uint64::encode(1, &id, &mut m);
        }
        for x in v {
            prost::encoding::int64::encode(2, x, &mut m);
        }
        prost::encoding::encode_key(2, prost::encoding::WireType::LengthDelimited, &mut buf);
        prost::encoding::encode_varint(m.len() as u64, &mut buf);
        buf.extend_from_slice(&m);
    }
    (buf, samples)
}

#[test]
fn the_streaming_heap_decoder_folds_like_a_naive_one() {
    let (buf, samples) = synthetic_heap_profile(120_003);
    // Independently: each location's frames as (function, line) pairs, the
    // same pairs meaning the same frame.
    let frames = |id: u64| -> Vec<(u64, i64)> {
        match id {
            1..=40 => {
                let i = if id == 40 { 5 } else { id };
                let mut v = vec![((i - 1) % 30 + 1, 10 + i as i64)];
                if i == 7 {
                    v.insert(0, (29, 99));
                }
                v
            }
            _ => Vec::new(),
        }
    };
    let mut totals = [0i64; 4];
    let mut flat: std::collections::HashMap<u64, i64> = Default::default();
    let mut cum: std::collections::HashMap<u64, i64> = Default::default();
    let mut by_stack: std::collections::HashMap<Vec<(u64, i64)>, i64> = Default::default();
    for (ids, v) in &samples {
        for k in 0..4 {
            totals[k] += v[k];
        }
        let stack: Vec<(u64, i64)> = ids.iter().flat_map(|&id| frames(id)).collect();
        if let Some(&(f, _)) = stack.first() {
            *flat.entry(f).or_default() += v[3];
        }
        let mut seen = std::collections::HashSet::new();
        for &(f, _) in &stack {
            if seen.insert(f) {
                *cum.entry(f).or_default() += v[3];
            }
        }
        *by_stack.entry(stack).or_default() += v[3];
    }
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let p = dumpscope::pipeline::parse_bytes(
                "synthetic.pb",
                buf.len() as u64,
                dumpscope::input::Compression::None,
                dumpscope::input::Bytes::owned(buf.clone()),
                None,
                None,
            )
            .expect("a heap profile");
            pipeline::report(&[p], &Default::default(), &Default::default())
        })
    };
    let r = run(3);
    let h = heap(&r);
    assert!(h.warnings.is_empty(), "{:?}", h.warnings);
    assert!(!h.truncated);
    let t = &h.totals;
    assert_eq!(
        [
            t.alloc_objects,
            t.alloc_bytes,
            t.inuse_objects,
            t.inuse_bytes
        ],
        totals
    );
    assert_eq!(h.sites_total, by_stack.len());
    assert_eq!(
        h.sites[0].values.inuse_bytes,
        *by_stack.values().max().unwrap()
    );
    assert_eq!(h.functions.len(), cum.len());
    for f in &h.functions {
        let id: u64 = f.function.trim_start_matches("main.f").parse().unwrap();
        assert_eq!(
            f.flat.inuse_bytes,
            flat.get(&id).copied().unwrap_or(0),
            "{}",
            f.function
        );
        assert_eq!(f.cum.inuse_bytes, cum[&id], "{}", f.function);
    }
    // The same report whatever the number of threads.
    let one = serde_json::to_string(&run(1)).unwrap();
    assert_eq!(one, serde_json::to_string(&r).unwrap());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn profile_parsers_never_panic(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let b = dumpscope::input::Bytes::owned(data.clone());
        let _ = dumpscope::parse::pprof::decode::parse(b.clone(), "x");
        let _ = dumpscope::parse::pprof::text::parse(b.clone(), "x");
        let _ = dumpscope::parse::jemalloc::parse(b, "x");
        let _ = dumpscope::parse::dhat::parse(&data, "x");
    }

    #[test]
    fn text_profile_parsers_never_panic_on_profile_like_lines(
        lines in proptest::collection::vec(
            prop_oneof![
                Just("goroutine profile: total 3".to_string()),
                Just("heap profile: 1: 2 [3: 4] @ heap/1048576".to_string()),
                Just("heap_v2/4096".to_string()),
                Just("MAPPED_LIBRARIES:".to_string()),
                "[0-9]{1,12} @( 0x[0-9a-f]{1,12}){0,4}",
                "[0-9]{1,6}: [0-9]{1,9} \\[[0-9]{1,6}: [0-9]{1,9}\\] @( 0x[0-9a-f]{1,8}){0,3}",
                "#\t0x[0-9a-f]{1,8}\t[a-z.()*]{1,20}\\+0x[0-9a-f]{1,3}\t\t/[a-z/]{1,10}\\.go:[0-9]{1,4}",
                "  t\\*: [0-9]{1,9}: [0-9]{1,12} \\[[0-9]{1,4}: [0-9]{1,9}\\]",
                "@( 0x[0-9a-f]{1,16}){0,5}",
                "[0-9a-f]{1,12}-[0-9a-f]{1,12} r-xp [0-9a-f]{8} 00:00 1 /[a-z]{1,8}",
                "# labels: \\{\"[a-z]{0,3}\":\"[a-z\\\\\"]{0,5}\"\\}",
                ".{0,30}",
            ],
            0..40,
        )
    ) {
        let text = lines.join("\n");
        let b = dumpscope::input::Bytes::owned(text.into_bytes());
        let r = dumpscope::parse::pprof::text::parse(b.clone(), "x");
        for s in &r.snapshots {
            prop_assert!(s.tasks.len() as u64 <= dumpscope::parse::pprof::counted::MAX_TASKS);
        }
        let _ = dumpscope::parse::jemalloc::parse(b, "x");
    }
}
