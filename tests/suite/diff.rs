//! `dumpscope diff` on the leak-and-spin samples: three dumps of one
//! process a minute apart (a goroutine leak, a busy loop, a goroutine stuck
//! on a lock), the same moment as debug=2, debug=1 and protobuf, a pair
//! before and after a rebuild that moved every line, and heap snapshots
//! checked against `go tool pprof -base`. Expected numbers are read from the
//! dumps' text with regexes written for the test, not from the parser.

use crate::common;

use dumpscope::pipeline::{self, DiffTimes};
use dumpscope::report::diff::DiffReport;
use dumpscope::report::Report;
use regex::Regex;

const DIR: &str = "samples/go/leak-and-spin";

fn diff_of(files: &[&str], times: &DiffTimes) -> Report {
    let parsed: Vec<_> = files
        .iter()
        .map(|f| common::parse(&format!("{DIR}/{f}")))
        .collect();
    pipeline::diff_report(&parsed, &Default::default(), &Default::default(), times)
}

fn diff(r: &Report) -> &DiffReport {
    r.diff.as_ref().expect("a diff section")
}

fn text(f: &str) -> String {
    common::read(&format!("{DIR}/{f}"))
}

/// Goroutine blocks of a debug=2 dump: (id, state, minutes, body).
fn goroutines(dump: &str) -> Vec<(u64, String, Option<u32>, String)> {
    let head =
        Regex::new(r"(?m)^goroutine (\d+) \[([^,\]]+)(?:, (\d+) minutes)?[^\]]*\]:$").unwrap();
    let starts: Vec<_> = head.captures_iter(dump).collect();
    let mut out = Vec::new();
    for (i, c) in starts.iter().enumerate() {
        let from = c.get(0).unwrap().end();
        let to = starts
            .get(i + 1)
            .map_or(dump.len(), |n| n.get(0).unwrap().start());
        out.push((
            c[1].parse().unwrap(),
            c[2].to_string(),
            c.get(3).map(|m| m.as_str().parse().unwrap()),
            dump[from..to].to_string(),
        ));
    }
    out
}

#[test]
fn three_dumps_show_the_leak_the_stuck_goroutines_and_the_busy_loop() {
    let files = ["goroutine-1.txt", "goroutine-2.txt", "goroutine-3.txt"];
    let dumps: Vec<_> = files.iter().map(|f| goroutines(&text(f))).collect();
    let r = diff_of(&files, &DiffTimes::default());
    let d = diff(&r);
    assert_eq!(d.snapshots.len(), 3);
    assert_eq!(d.times_from, None);
    // The leak: goroutines parked in fetch, counted in each dump's text.
    let leaked: Vec<u64> = dumps
        .iter()
        .map(|g| {
            g.iter()
                .filter(|(_, st, _, body)| {
                    st == "chan send" && body.trim_start().starts_with("main.(*Fetcher).fetch(")
                })
                .count() as u64
        })
        .collect();
    assert!(leaked[0] > 0 && leaked[2] > leaked[1] && leaked[1] > leaked[0]);
    let g = &d.groups[0];
    assert_eq!(g.function, "main.(*Fetcher).fetch");
    assert_eq!(g.counts, leaked);
    assert_eq!(g.status, "grown");
    assert_eq!(g.change, leaked[2] as i64 - leaked[0] as i64);
    assert_eq!(g.creator.as_deref(), Some("main.(*Fetcher).fetchAll"));
    // Everything else is as many in every dump (the dumping goroutine is
    // left out).
    for other in &d.groups[1..] {
        assert_eq!(other.status, "same", "{}", other.signature);
    }
    let growth = r
        .findings
        .iter()
        .find(|f| f.rule == "diff.growth")
        .expect("a growth finding");
    assert_eq!(growth.task_count, leaked[2]);
    assert_eq!(growth.snapshot, Some(2));
    // New goroutines by creator: ids in the newest dump and in no earlier one.
    let old_ids: std::collections::HashSet<u64> = dumps[..2]
        .iter()
        .flat_map(|g| g.iter().map(|x| x.0))
        .collect();
    let new_fetches = dumps[2]
        .iter()
        .filter(|(id, _, _, body)| {
            !old_ids.contains(id) && body.contains("created by main.(*Fetcher).fetchAll")
        })
        .count() as u64;
    assert_eq!(d.spawners[0].creator, "main.(*Fetcher).fetchAll");
    assert_eq!(d.spawners[0].new_goroutines, new_fetches);
    // Stuck: the goroutine waiting for the registry lock, with its minutes
    // as each dump prints them.
    let (lock_id, _, _, _) = dumps[0]
        .iter()
        .find(|(_, st, _, body)| st == "sync.Mutex.Lock" && body.contains("(*Registry).Lookup"))
        .expect("the goroutine waiting for the lock")
        .clone();
    let minutes: Vec<Option<u32>> = dumps
        .iter()
        .map(|g| g.iter().find(|x| x.0 == lock_id).and_then(|x| x.2))
        .collect();
    let stuck = d
        .stuck
        .iter()
        .find(|s| s.id == lock_id)
        .expect("the lock waiter is stuck");
    assert_eq!(stuck.wait_minutes, minutes);
    assert!(r.findings.iter().any(|f| f.rule == "diff.stuck"
        && f.task_ids == vec![lock_id]
        && f.title.contains("(*Registry).Lookup")));
    // Every stuck goroutine is blocked at one place with growing minutes in
    // every dump's text.
    for s in &d.stuck {
        let m: Vec<Option<u32>> = dumps
            .iter()
            .map(|g| g.iter().find(|x| x.0 == s.id).and_then(|x| x.2))
            .collect();
        assert_eq!(s.wait_minutes, m, "goroutine {}", s.id);
        assert!(m[2] > m[0], "goroutine {}", s.id);
    }
    // The busy loop: the poller, runnable or running in every dump.
    let spinner: Vec<u64> = dumps[0]
        .iter()
        .filter(|(id, st, _, body)| {
            (st == "runnable" || st == "running")
                && body.contains("(*Poller).run")
                && dumps[1..].iter().all(|g| {
                    g.iter()
                        .any(|x| x.0 == *id && (x.1 == "runnable" || x.1 == "running"))
                })
        })
        .map(|x| x.0)
        .collect();
    assert_eq!(spinner.len(), 1);
    let ids: Vec<u64> = d.spinning.iter().map(|s| s.id).collect();
    assert_eq!(
        ids, spinner,
        "only the poller spins (not the dumping goroutine)"
    );
    assert!(r
        .findings
        .iter()
        .any(|f| f.rule == "diff.spin" && f.kind == "spin" && f.task_ids == spinner));
    // Only the newest dump's diagnosis, and no older findings.
    assert!(r.findings.iter().all(|f| f.snapshot == Some(2)));
}

#[test]
fn debug1_and_protobuf_match_debug2_by_signature() {
    for newer in ["goroutine-2-debug1.txt", "goroutine-2.pb.gz"] {
        let r = diff_of(&["goroutine-2.txt", newer], &DiffTimes::default());
        let d = diff(&r);
        // The same moment in two formats: every group matches and none
        // changed, though one has ids, states and runtime frames and the
        // other counts without them.
        for g in &d.groups {
            assert_eq!(g.status, "same", "{newer}: {} {:?}", g.signature, g.counts);
        }
        let total: u64 = d.groups.iter().map(|g| g.counts[0]).sum();
        assert_eq!(
            total + 1,
            d.snapshots[0].goroutines,
            "{newer}: all but the dumper"
        );
        // Ids exist in one of the two only: nothing stuck, spinning or new.
        assert!(d.stuck.is_empty() && d.spinning.is_empty() && d.spawners.is_empty());
    }
    // Older debug=2 against newer debug=1: the leak shows.
    let r = diff_of(
        &["goroutine-1.txt", "goroutine-2-debug1.txt"],
        &DiffTimes::default(),
    );
    let g = &diff(&r).groups[0];
    assert_eq!(
        (g.function.as_str(), g.status.as_str()),
        ("main.(*Fetcher).fetch", "grown")
    );
}

#[test]
fn a_rebuild_that_moved_every_line_still_matches() {
    let (before, after) = (text("before-deploy.txt"), text("after-deploy.txt"));
    let line = |t: &str| {
        Regex::new(r"main\.go:(\d+)")
            .unwrap()
            .captures(t)
            .map(|c| c[1].to_string())
    };
    let at = |t: &str, f: &str| {
        let i = t.find(f).unwrap();
        line(&t[i..]).unwrap()
    };
    assert_ne!(
        at(&before, "main.(*Fetcher).fetch("),
        at(&after, "main.(*Fetcher).fetch(")
    );
    let r = diff_of(
        &["before-deploy.txt", "after-deploy.txt"],
        &DiffTimes::default(),
    );
    let d = diff(&r);
    for g in &d.groups {
        assert_eq!(g.status, "same", "{} {:?}", g.signature, g.counts);
    }
    // Two processes: equal ids are not the same goroutines.
    assert!(r
        .findings
        .iter()
        .all(|f| f.rule != "diff.stuck" && f.rule != "diff.spin"));
}

/// `go tool pprof -top` text: total and (flat, function) rows, in bytes.
fn pprof_top(rel: &str) -> (f64, Vec<(f64, String)>) {
    let value = |s: &str| -> f64 {
        let s = s.trim();
        for (u, m) in [
            ("GB", 1073741824.0),
            ("MB", 1048576.0),
            ("kB", 1024.0),
            ("B", 1.0),
        ] {
            if let Some(n) = s.strip_suffix(u) {
                return n.parse::<f64>().unwrap() * m;
            }
        }
        s.parse().unwrap()
    };
    let t = text(rel);
    let total = Regex::new(r"of ([0-9.]+[kMG]?B) total")
        .unwrap()
        .captures(&t)
        .map(|c| value(&c[1]))
        .unwrap();
    let row = Regex::new(r"(?m)^\s*([0-9.]+[kMG]?B|0)\s+\S+\s+\S+\s+\S+\s+\S+\s+(\S.*)$").unwrap();
    let rows = row
        .captures_iter(&t)
        .map(|c| (value(&c[1]), c[2].trim().to_string()))
        .collect();
    (total, rows)
}

#[test]
fn heap_pairs_agree_with_pprof_base() {
    let r = diff_of(&["heap-1.pb.gz", "heap-2.pb.gz"], &DiffTimes::default());
    let h = diff(&r).heap.as_ref().expect("a heap diff");
    let (total, rows) = pprof_top("reference/heap-base.top.txt");
    let close = |ours: i64, theirs: f64| {
        assert!(
            (ours as f64 - theirs).abs() <= theirs.abs() * 0.001 + 1024.0,
            "{ours} vs {theirs}"
        )
    };
    close(h.delta.inuse_bytes, total);
    for (flat, func) in rows.iter().filter(|(f, _)| *f > 0.0) {
        let ours = h
            .functions
            .iter()
            .find(|f| &f.function == func)
            .unwrap_or_else(|| panic!("{func} missing"));
        close(ours.flat_delta, *flat);
    }
    assert_eq!(h.functions[0].function, rows[0].1);
    // The snapshots' own timestamps say when they were taken.
    let secs: Vec<f64> = h.snapshots.iter().map(|p| p.seconds.unwrap()).collect();
    assert!(
        secs[0] == 0.0 && (55.0..65.0).contains(&secs[1]),
        "{secs:?}"
    );
    let f = r
        .findings
        .iter()
        .find(|f| f.rule == "diff.heap-growth")
        .expect("a heap growth finding");
    assert!(f.title.starts_with(&rows[0].1), "{}", f.title);
    assert!(f.title.contains("per minute"));
    assert_eq!(f.heap, Some(1));
}

#[test]
fn an_interval_gives_growth_per_minute() {
    let times = DiffTimes {
        interval: Some(60.0),
        mtimes: Vec::new(),
    };
    let r = diff_of(
        &["goroutine-1.txt", "goroutine-2.txt", "goroutine-3.txt"],
        &times,
    );
    let d = diff(&r);
    assert_eq!(d.times_from.as_deref(), Some("interval"));
    assert_eq!(d.span_seconds, Some(120.0));
    let g = &d.groups[0];
    assert_eq!(g.per_minute, Some(g.change as f64 / 2.0));
    let secs: Vec<Option<f64>> = d.snapshots.iter().map(|p| p.seconds).collect();
    assert_eq!(secs, vec![Some(0.0), Some(60.0), Some(120.0)]);
}

#[test]
fn the_text_report_of_a_diff() {
    let r = diff_of(
        &[
            "goroutine-1.txt",
            "goroutine-2.txt",
            "goroutine-3.txt",
            "heap-1.pb.gz",
            "heap-2.pb.gz",
            "heap-3.pb.gz",
        ],
        &DiffTimes::default(),
    );
    let mut buf = Vec::new();
    dumpscope::report::text::render(&r, &Default::default(), &mut buf).unwrap();
    let text = String::from_utf8(anstream::adapter::strip_bytes(&buf).into_vec()).unwrap();
    insta::assert_snapshot!("leak-and-spin-diff", text);
    let mut md = dumpscope::report::md::render(&r, &Default::default());
    md.push('\n');
    insta::assert_snapshot!("leak-and-spin-diff-md", md);
}

#[test]
fn the_command_line() {
    let root = common::root();
    let out = assert_cmd::Command::cargo_bin("dumpscope")
        .unwrap()
        .current_dir(root.join(DIR))
        .args(["diff", "goroutine-1.txt"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least two inputs"));
    let out = assert_cmd::Command::cargo_bin("dumpscope")
        .unwrap()
        .current_dir(root.join(DIR))
        .args([
            "diff",
            "goroutine-1.txt",
            "goroutine-3.txt",
            "--interval",
            "2m",
            "--json",
            "-",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["diff"]["span_seconds"], 120.0);
    assert_eq!(j["diff"]["groups"][0]["status"], "grown");
    let bad = assert_cmd::Command::cargo_bin("dumpscope")
        .unwrap()
        .args(["diff", "a", "b", "--interval", "soon"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn the_html_report_shows_the_diff_side_by_side() {
    use dumpscope::report::diff::sparkline_of;
    let r = diff_of(
        &[
            "goroutine-1.txt",
            "goroutine-2.txt",
            "goroutine-3.txt",
            "heap-1.pb.gz",
            "heap-3.pb.gz",
        ],
        &DiffTimes::default(),
    );
    let d = diff(&r);
    let page = dumpscope::report::html::render(&r);
    let at = page
        .find("<section id=\"diff\" class=\"diff\">")
        .expect("a diff section");
    let section = &page[at..at + page[at..].find("</section>").unwrap()];
    let rows = |class: &str| -> Vec<&str> {
        let Some(i) = section.find(&format!("<table class=\"{class}\">")) else {
            return Vec::new();
        };
        let table = &section[i..i + section[i..].find("</table>").unwrap()];
        table.split("<tr").skip(2).collect()
    };
    let groups = rows("diffgroups");
    assert_eq!(groups.len(), d.groups.len().min(50));
    for (row, g) in groups.iter().zip(&d.groups) {
        assert!(
            row.contains(&sparkline_of(&g.counts, |n| n as f64)),
            "{row}"
        );
        let counts: Vec<String> = g.counts.iter().map(|c| c.to_string()).collect();
        assert!(row.contains(&counts.join(" → ")), "{row}");
    }
    assert_eq!(rows("diffstuck").len(), d.stuck.len().min(50));
    assert_eq!(rows("diffpoints").len(), 3);
    let heap = rows("diffheap");
    let h = d.heap.as_ref().unwrap();
    assert_eq!(heap.len(), h.functions.len().min(50));
    assert!(heap[0].contains(&h.functions[0].function.replace('&', "&amp;")));
    for s in &d.spinning {
        assert!(section.contains(&format!("goroutine {} (", s.id)));
    }
    insta::assert_snapshot!("leak-and-spin-diff-html-section", section);
}

#[test]
fn log_prefix_timestamps_and_protobuf_times_give_the_rate() {
    // The real dumps as a log shipper keeps them: every line prefixed with
    // the time it was logged (RFC 3339, a minute apart).
    let prefixed = |f: &str, stamp: &str| -> pipeline::ParsedInput {
        let t: String = text(f).lines().map(|l| format!("{stamp} {l}\n")).collect();
        pipeline::parse_bytes(
            f,
            t.len() as u64,
            dumpscope::input::Compression::None,
            dumpscope::input::Bytes::owned(t.into_bytes()),
            None,
            None,
        )
        .unwrap()
    };
    let parsed = [
        prefixed("goroutine-1.txt", "2026-11-23T17:40:00.250Z"),
        prefixed("goroutine-2.txt", "2026-11-23T17:41:00.250Z"),
        prefixed("goroutine-3.txt", "2026-11-23T17:42:30.250Z"),
    ];
    let r = pipeline::diff_report(
        &parsed,
        &Default::default(),
        &Default::default(),
        &DiffTimes::default(),
    );
    let d = diff(&r);
    assert_eq!(d.times_from.as_deref(), Some("timestamps"));
    let secs: Vec<Option<f64>> = d.snapshots.iter().map(|p| p.seconds).collect();
    assert_eq!(secs, vec![Some(0.0), Some(60.0), Some(150.0)]);
    let g = &d.groups[0];
    assert_eq!(g.per_minute, Some(g.change as f64 / 2.5));
    assert!(
        r.findings[0].title.contains("per minute"),
        "{}",
        r.findings[0].title
    );
    // --interval wins over the timestamps.
    let r = pipeline::diff_report(
        &parsed,
        &Default::default(),
        &Default::default(),
        &DiffTimes {
            interval: Some(30.0),
            mtimes: Vec::new(),
        },
    );
    assert_eq!(diff(&r).span_seconds, Some(60.0));
    // A protobuf goroutine profile carries its time.
    let p = common::parse(&format!("{DIR}/goroutine-2.pb.gz"));
    assert!(p.snapshots[0].time_unix.is_some_and(|t| t > 1.7e9));
}
