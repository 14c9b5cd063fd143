//! Golden snapshots of the JSON report for every Go sample, and of the text
//! output for a few. Review changes with `cargo insta review`, or accept them
//! with `INSTA_UPDATE=always cargo test --test golden`.

mod common;

#[test]
fn json_reports() {
    insta::glob!(
        "../samples",
        "{go,messy}/**/*.{txt,log,md,gz,zst}",
        |path| {
            let rel = path
                .strip_prefix(common::root())
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            if rel.contains("/reference/") {
                return; // `go tool pprof -top` output, not a dump
            }
            if rel.ends_with("/README.md") || rel.ends_with("/times.txt") {
                return; // notes beside the dumps
            }
            let report = common::report(&rel);
            insta::assert_json_snapshot!(report);
        }
    );
}

#[test]
fn text_reports() {
    for rel in [
        "samples/go/lock-order-deadlock/all.txt",
        "samples/go/crash-nil-pointer/all.txt",
        "samples/go/race/all.txt",
        "samples/messy/two-debug2.txt",
        "samples/messy/truncated-midline.txt",
    ] {
        let r = common::report(rel);
        let mut buf = Vec::new();
        dumpscope::report::text::render(&r, &Default::default(), &mut buf).unwrap();
        let text = String::from_utf8(anstream::adapter::strip_bytes(&buf).into_vec()).unwrap();
        insta::assert_snapshot!(rel.replace('/', "__"), text);
    }
}
