//! A dump of more groups than a report keeps built: the JSON still lists
//! every group, byte for byte as when every group is built, while the
//! text, Markdown and HTML reports read the first ones.

use crate::common;
use dumpscope::pipeline::{self, ParsedInput};
use dumpscope::report::{self, GroupOptions, Report, BUILT_GROUPS};

/// `n` goroutines, all distinct: the goroutines of a real dump in turn,
/// each with its own id and its first function renamed (as
/// `bench/hostile.py` builds `go-distinct-1M`).
fn distinct_dump(n: usize) -> String {
    let text = common::read("samples/go/busy-pools/debug2.txt");
    let blocks: Vec<&str> = text
        .split("\n\n")
        .map(|b| b.trim_matches('\n'))
        .filter(|b| b.starts_with("goroutine "))
        .collect();
    assert!(blocks.len() > 10, "the sample has goroutines");
    let mut out = String::new();
    for i in 0..n {
        let block = blocks[i % blocks.len()];
        let (head, rest) = block.split_once('\n').expect("a header and frames");
        let state = &head[head.find(" [").expect("a state")..];
        let (func, args) = rest.split_once('(').expect("a call");
        out.push_str(&format!(
            "goroutine {}{state}\n{func}_{i}({args}\n\n",
            i + 1
        ));
    }
    out
}

fn parse(text: &str) -> ParsedInput {
    pipeline::parse_bytes(
        "distinct.txt",
        text.len() as u64,
        dumpscope::input::Compression::None,
        dumpscope::input::Bytes::owned(text.as_bytes().to_vec()),
        None,
        None,
    )
    .expect("the dump parses")
}

fn report_of(parsed: &ParsedInput, opts: &GroupOptions) -> Report {
    pipeline::report(std::slice::from_ref(parsed), opts, &Default::default())
}

#[test]
fn groups_past_the_built_ones_are_written_whole() {
    let count = BUILT_GROUPS * 2 + 17;
    let parsed = parse(&distinct_dump(count));
    let lazy = report_of(&parsed, &GroupOptions::default());
    let snapshot = &lazy.snapshots[0];
    assert_eq!(snapshot.groups_total, count, "every goroutine is a group");
    assert_eq!(snapshot.groups.len(), BUILT_GROUPS);
    assert_eq!(snapshot.groups.total(), count);
    assert!(snapshot.groups.is_deferred());
    // Every group built: --max-groups at least the number of groups.
    let every = GroupOptions {
        max_groups: Some(usize::MAX),
        ..Default::default()
    };
    let built = report_of(&parsed, &every);
    assert_eq!(built.snapshots[0].groups.len(), count);
    assert!(!built.snapshots[0].groups.is_deferred());
    let lazy_json = serde_json::to_string(&lazy).unwrap();
    let built_json = serde_json::to_string(&built).unwrap();
    assert!(lazy_json == built_json, "the JSON differs");
    let value: serde_json::Value = serde_json::from_str(&lazy_json).unwrap();
    let groups = value["snapshots"][0]["groups"].as_array().unwrap();
    assert_eq!(groups.len(), count);
    assert_eq!(groups[count - 1]["id"], format!("g{count}"));
    let ids: Vec<String> = snapshot.groups.all().map(|g| g.id.clone()).collect();
    assert_eq!(ids.len(), count);
    assert_eq!(ids[count - 1], format!("g{count}"));
    // Indented JSON walks the same list.
    assert_eq!(
        serde_json::to_string_pretty(&lazy).unwrap(),
        serde_json::to_string_pretty(&built).unwrap()
    );
}

#[test]
fn a_filter_applies_to_the_groups_made_late() {
    let count = BUILT_GROUPS * 3;
    let parsed = parse(&distinct_dump(count));
    // Functions renamed with an odd number: about half of the groups.
    let filter = regex::Regex::new(r"_\d*[13579]\b").unwrap();
    let opts = GroupOptions {
        filter: Some(filter.clone()),
        ..Default::default()
    };
    let every = GroupOptions {
        filter: Some(filter),
        max_groups: Some(usize::MAX),
        ..Default::default()
    };
    let lazy = report_of(&parsed, &opts);
    let built = report_of(&parsed, &every);
    let kept = built.snapshots[0].groups.len();
    assert!(kept > BUILT_GROUPS && kept < count, "{kept} groups kept");
    assert!(lazy.snapshots[0].groups.is_deferred());
    assert_eq!(lazy.snapshots[0].groups.total(), kept);
    assert_eq!(
        serde_json::to_string(&lazy).unwrap(),
        serde_json::to_string(&built).unwrap()
    );
}

#[test]
fn the_text_report_says_how_many_groups_it_leaves_out() {
    let count = BUILT_GROUPS + 500;
    let report = report_of(&parse(&distinct_dump(count)), &GroupOptions::default());
    let mut out = Vec::new();
    report::text::render(&report, &Default::default(), &mut out).unwrap();
    let text = String::from_utf8(anstream::adapter::strip_bytes(&out).into_vec()).unwrap();
    let line = format!(
        "({} of {count} groups shown; see --max-groups, --filter)",
        report::text::DEFAULT_MAX_GROUPS
    );
    assert!(text.contains(&line), "no line saying what is left out");
}
