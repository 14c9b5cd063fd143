//! Precision on healthy, busy services built with real Go modules
//! (`samples/ext/`): Go's own leak profile of each process proves nothing
//! leaked, so every finding at medium or above on any of their dumps is a
//! false alarm. Also generates the table of docs/accuracy.md that says so.

use crate::common;

use common::*;
use dumpscope::analyze::finding::Severity;
use dumpscope::model::TaskFlags;
use dumpscope::report::Report;

/// The services of samples/ext, as their README lists them.
const SERVICES: &[&str] = &["nats-busy", "grpc-busy", "pq-busy", "raft-busy"];
/// The forms each is dumped in (the leak profile is the ground truth).
const FORMS: &[&str] = &["debug2", "debug1", "sigquit"];

fn actionable(r: &Report) -> Vec<String> {
    r.findings
        .iter()
        .filter(|f| f.kind != "crash")
        .filter(|f| {
            f.severity
                .as_str()
                .parse::<Severity>()
                .is_ok_and(|s| s >= Severity::Medium)
        })
        .map(|f| format!("{} {}: {}", f.severity, f.rule, f.title))
        .collect()
}

fn goroutines_and_leaked(rel: &str) -> (usize, usize) {
    let parsed = parse(rel);
    let tasks = parsed.snapshots.iter().flat_map(|s| s.tasks.iter());
    let (mut all, mut leaked) = (0, 0);
    for task in tasks {
        all += 1;
        leaked += usize::from(task.flags.has(TaskFlags::LEAKED));
    }
    (all, leaked)
}

#[test]
fn go_proves_nothing_leaked_in_the_healthy_services() {
    for service in SERVICES {
        let (all, leaked) =
            goroutines_and_leaked(&format!("samples/ext/{service}/leak-debug2.txt"));
        assert!(
            all >= 10,
            "{service}: the leak profile lists {all} goroutines"
        );
        assert_eq!(leaked, 0, "{service}: Go marks {leaked} goroutines leaked");
    }
}

#[test]
fn healthy_services_under_load_have_nothing_at_medium_or_above() {
    // The leak profile is a debug=2 dump of the same process too (every
    // goroutine, none marked leaked): no alarm there either.
    for service in SERVICES {
        for form in FORMS.iter().chain(&["leak-debug2"]) {
            let rel = format!("samples/ext/{service}/{form}.txt");
            let r = report(&rel);
            assert!(!r.snapshots.is_empty(), "{rel}: no snapshot read");
            let alarms = actionable(&r);
            assert!(alarms.is_empty(), "{rel}: {alarms:#?}");
        }
    }
}

fn table() -> String {
    let mut out = String::from(
        "| service | dump | goroutines | proven leaked (Go) | findings | at medium or above |\n| --- | --- | ---: | ---: | ---: | ---: |\n",
    );
    for service in SERVICES {
        let (_, leaked) = goroutines_and_leaked(&format!("samples/ext/{service}/leak-debug2.txt"));
        for form in FORMS {
            let rel = format!("samples/ext/{service}/{form}.txt");
            let (goroutines, _) = goroutines_and_leaked(&rel);
            let r = report(&rel);
            out.push_str(&format!(
                "| {service} | {form} | {goroutines} | {leaked} | {} | {} |\n",
                r.findings.len(),
                actionable(&r).len()
            ));
        }
    }
    out
}

#[test]
fn docs_accuracy_healthy_services_table_is_current() {
    const BEGIN: &str = "<!-- generated (tests/suite/healthy.rs): begin -->\n";
    const END: &str = "<!-- generated (tests/suite/healthy.rs): end -->";
    let path = root().join("docs/accuracy.md");
    let doc = std::fs::read_to_string(&path).unwrap_or_default();
    let (Some(a), Some(b)) = (doc.find(BEGIN), doc.find(END)) else {
        panic!("docs/accuracy.md lacks the markers of tests/suite/healthy.rs");
    };
    let generated = table();
    if doc[a + BEGIN.len()..b] != generated {
        if std::env::var_os("DUMPSCOPE_UPDATE_DOCS").is_some() {
            let new = format!("{}{BEGIN}{generated}{}", &doc[..a], &doc[b..]);
            std::fs::write(&path, new).expect("write docs/accuracy.md");
        } else {
            panic!("docs/accuracy.md is out of date: run DUMPSCOPE_UPDATE_DOCS=1 cargo test --test suite healthy::");
        }
    }
}

/// The report of `text` read from memory, under the name `name`.
fn report_of_text(name: &str, text: &str) -> Report {
    let parsed = dumpscope::pipeline::parse_bytes(
        name,
        text.len() as u64,
        dumpscope::input::Compression::None,
        dumpscope::input::Bytes::owned(text.as_bytes().to_vec()),
        None,
        None,
    )
    .expect("a cut profile is still read");
    dumpscope::pipeline::report(&[parsed], &Default::default(), &Default::default())
}

#[test]
fn a_healthy_profile_cut_short_raises_no_alarm() {
    // A debug=1 profile cut after any of its lines (the running goroutine
    // that writes it may be the part that was lost) is known to be cut, and
    // says nothing at medium or above.
    let mut rels: Vec<String> = SERVICES
        .iter()
        .map(|s| format!("samples/ext/{s}/debug1.txt"))
        .collect();
    rels.push("samples/go/healthy-service/debug1.txt".into());
    for rel in rels {
        let text = read(&rel);
        let lines: Vec<&str> = text.lines().collect();
        for keep in 2..lines.len() {
            let cut = lines[..keep].join("\n");
            let r = report_of_text(&rel, &cut);
            let alarms = actionable(&r);
            assert!(
                alarms.is_empty(),
                "{rel} cut after {keep} lines: {alarms:#?}"
            );
            let whole = r.snapshots.iter().all(|s| !s.truncated);
            let declared_more = cut
                .lines()
                .skip(1)
                .filter(|l| !l.starts_with('#') && l.contains(" @ "))
                .count()
                < text
                    .lines()
                    .skip(1)
                    .filter(|l| !l.starts_with('#') && l.contains(" @ "))
                    .count();
            assert!(
                !(whole && declared_more),
                "{rel} cut after {keep} lines is not marked cut"
            );
        }
    }
}

#[test]
fn a_healthy_dump_with_one_damaged_line_raises_no_alarm() {
    // One function line of a goroutine's own code garbled (a corrupted
    // byte that also split the line, as copies through logs and tickets
    // do): the goroutine keeps its other frames, the line is a warning, and
    // no wait is called stranded because its partner lost a frame.
    let mut rels: Vec<String> = SERVICES
        .iter()
        .map(|s| format!("samples/ext/{s}/debug2.txt"))
        .collect();
    rels.push("samples/go/busy-nats/debug2.txt".into());
    rels.push("samples/go/healthy-service/debug2.txt".into());
    for rel in rels {
        let text = read(&rel);
        let whole = report_of_text(&rel, &text);
        let lines: Vec<&str> = text.lines().collect();
        // Function lines of non-standard-library code (a dot before the
        // first slash-free segment's call, i.e. a module path).
        let targets: Vec<usize> = (1..lines.len())
            .filter(|&i| {
                let l = lines[i];
                !l.starts_with('\t')
                    && l.contains('(')
                    && l.split('(').next().is_some_and(|f| {
                        f.starts_with("main.") || f.split('/').next().is_some_and(|p| p.contains('.'))
                    })
                    && lines[i - 1].starts_with('\t')
                    // The goroutine's entry function: the frame that names
                    // the object its partners share.
                    && lines.get(i + 2).is_some_and(|n| n.starts_with("created by "))
            })
            .collect();
        assert!(!targets.is_empty(), "{rel}: no user frames");
        let step = (targets.len() / 16).max(1);
        let variants = targets
            .iter()
            .step_by(step)
            .flat_map(|&i| [(i, true), (i, false)]);
        for (i, split) in variants {
            let mut damaged: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
            let l = lines[i];
            let cut = l.len() / 2;
            let cut = (0..=cut)
                .rev()
                .find(|&c| l.is_char_boundary(c))
                .unwrap_or(0);
            damaged[i] = if split {
                // A corrupted byte that also split the line in two.
                format!("{}\u{fffd}\u{fffd}\n{}", &l[..cut], &l[cut..])
            } else {
                // The whole line lost (the frame's receiver with it).
                "\u{fffd}\u{fffd}\u{fffd} garbled".to_string()
            };
            let r = report_of_text(&rel, &(damaged.join("\n") + "\n"));
            assert!(
                r.snapshots.iter().all(|s| !s.truncated),
                "{rel} line {} damaged is not cut",
                i + 1
            );
            let alarms = actionable(&r);
            assert!(
                alarms.is_empty(),
                "{rel} with line {} damaged (split: {split}): {alarms:#?}",
                i + 1
            );
            let count = |r: &Report| r.snapshots.iter().map(|s| s.task_count).sum::<u64>();
            assert_eq!(count(&r), count(&whole), "{rel} line {} damaged", i + 1);
            assert!(
                r.snapshots.iter().any(|s| !s.warnings.is_empty()),
                "{rel} line {} damaged without a warning",
                i + 1
            );
        }
    }
}
