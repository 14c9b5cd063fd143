//! The example reports in reports/ are the renderers' output for a few
//! samples: this test fails when they are stale. `reports/generate.sh`
//! (or `DUMPSCOPE_UPDATE_REPORTS=1 cargo test --test suite reports::`) rewrites them.

use crate::common;

use dumpscope::report::{html, md};

/// (sample, name in reports/)
const EXAMPLES: [(&str, &str); 8] = [
    (
        "samples/go/lock-order-deadlock/all.txt",
        "lock-order-deadlock",
    ),
    (
        "samples/go/goroutine-explosion/all.txt",
        "goroutine-explosion",
    ),
    ("samples/go/lock-convoy/all.txt", "lock-convoy"),
    ("samples/go/read-no-deadline/all.txt", "read-no-deadline"),
    ("samples/go/crash-nil-pointer/all.txt", "crash-nil-pointer"),
    ("samples/java/juc-deadlock/jstack-l.txt", "java-deadlock"),
    (
        "samples/native/gdb/mutex-deadlock/bt.txt",
        "gdb-mutex-deadlock",
    ),
    (
        "samples/go/cache-never-evicts/pprof/heap.pb.gz",
        "cache-never-evicts-heap",
    ),
];

#[test]
fn example_reports_are_current() {
    let update = std::env::var_os("DUMPSCOPE_UPDATE_REPORTS").is_some();
    let dir = common::root().join("reports");
    let mut stale = Vec::new();
    for (rel, name) in EXAMPLES {
        let r = common::report(rel);
        let mut json = serde_json::to_string_pretty(&r).unwrap();
        json.push('\n');
        let outputs = [
            (format!("{name}.html"), html::render(&r)),
            (
                format!("{name}.md"),
                md::render(&r, &md::MdOptions::default()),
            ),
            (format!("{name}.json"), json),
        ];
        for (file, text) in outputs {
            let path = dir.join(&file);
            if update {
                std::fs::write(&path, &text).unwrap();
            } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                stale.push(file);
            }
        }
    }
    assert!(
        stale.is_empty(),
        "stale example reports {stale:?}: run reports/generate.sh"
    );
}
