//! The `dumpscope` binary: exit codes, stdin, compressed input, output
//! options, errors on stderr.

use crate::common;
mod docs;

use assert_cmd::Command;
use predicates::prelude::*;

fn cmd() -> Command {
    let mut c = Command::cargo_bin("dumpscope").unwrap();
    c.current_dir(common::root()).env("NO_COLOR", "1");
    c
}

const DUMP: &str = "samples/go/lock-order-deadlock/all.txt";

#[test]
fn analyze_a_sample() {
    cmd()
        .args(["analyze", DUMP])
        .assert()
        .success()
        .stdout(predicate::str::contains("main.(*Account).transfer"))
        .stdout(predicate::str::contains("sync.Mutex.Lock"))
        .stdout(predicate::str::contains("panic: dumping"));
}

#[test]
fn text_has_no_escapes_when_not_a_terminal() {
    let out = cmd()
        .args(["analyze", DUMP])
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(!out.stdout.contains(&0x1b));
}

#[test]
fn json_to_stdout_and_to_a_file() {
    let out = cmd()
        .args(["analyze", DUMP, "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema"], "dumpscope.report/v1");
    assert_eq!(v["snapshots"][0]["task_count"], 3);
    let dir = std::env::temp_dir().join(format!("dumpscope-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("r.json");
    cmd()
        .args(["analyze", DUMP, "--json"])
        .arg(&path)
        .assert()
        .success()
        .stdout(predicate::str::contains("main.(*Account).transfer"));
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    // The two transfers were started from different lines: two groups.
    assert_eq!(v["snapshots"][0]["groups_total"], 3);
    assert_eq!(v["snapshots"][0]["groups"][0]["count"], 1);
    let out = cmd()
        .args(["analyze", DUMP, "--json", "-"])
        .output()
        .unwrap();
    assert!(serde_json::from_slice::<serde_json::Value>(&out.stdout).is_ok());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn stdin_and_compressed_inputs() {
    let text = std::fs::read(common::root().join(DUMP)).unwrap();
    cmd()
        .args(["analyze", "-"])
        .write_stdin(text)
        .assert()
        .success()
        .stdout(predicate::str::contains("<stdin>"))
        .stdout(predicate::str::contains("main.(*Account).transfer"));
    let gz =
        std::fs::read(common::root().join("samples/messy/lock-order-deadlock.txt.gz")).unwrap();
    cmd()
        .args(["analyze", "--format", "json"])
        .write_stdin(gz)
        .assert()
        .success()
        .stdout(predicate::str::contains("\"compression\":\"gzip\""));
    cmd()
        .args(["analyze", "samples/messy/lock-order-deadlock.txt.zst"])
        .assert()
        .success()
        .stdout(predicate::str::contains("main.(*Account).transfer"));
}

#[test]
fn decompression_cap() {
    cmd()
        .args([
            "analyze",
            "samples/messy/lock-order-deadlock.txt.gz",
            "--max-decompressed",
            "1K",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("exceeds the limit of 1 KiB"));
}

#[test]
fn unknown_format_is_exit_2_with_what_was_expected() {
    cmd()
        .args(["analyze", "-"])
        .write_stdin("hello\nthis is not a dump\n")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no known dump format found"))
        .stderr(predicate::str::contains("goroutine 1 [running]:"));
}

#[test]
fn missing_file_and_bad_usage_are_exit_2() {
    cmd()
        .args(["analyze", "does/not/exist.txt"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot read 'does/not/exist.txt'"));
    cmd()
        .args(["analyze", "--similarity", "bogus", DUMP])
        .assert()
        .code(2);
    cmd()
        .args(["analyze", "--filter", "(", DUMP])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--filter"));
    cmd().args(["frobnicate"]).assert().code(2);
}

#[test]
fn one_bad_input_still_reports_the_good_one() {
    cmd()
        .args(["analyze", DUMP, "does/not/exist.txt"])
        .assert()
        .code(2)
        .stdout(predicate::str::contains("main.(*Account).transfer"))
        .stderr(predicate::str::contains("cannot read"));
}

#[test]
fn truncated_input_warns_and_succeeds() {
    cmd()
        .args(["analyze", "samples/messy/truncated-midline.txt"])
        .assert()
        .success()
        .stderr(predicate::str::contains("cut off"))
        .stdout(predicate::str::contains("truncated"));
}

#[test]
fn filter_max_groups_and_similarity() {
    let out = cmd()
        .args([
            "analyze",
            "samples/go/healthy-service/all.txt",
            "--format",
            "json",
            "--filter",
            "worker",
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let groups = v["snapshots"][0]["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(
        groups[0]["frames"][0]["function"]
            .as_str()
            .map(|f| f.contains("worker") || f.contains("selectgo")),
        Some(true)
    );
    let out = cmd()
        .args([
            "analyze",
            "samples/go/healthy-service/all.txt",
            "--format",
            "json",
            "--max-groups",
            "2",
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["snapshots"][0]["groups"].as_array().unwrap().len(), 2);
    assert!(v["snapshots"][0]["groups_total"].as_u64().unwrap() > 2);
    // Distinct pointers split groups at `exact` only, distinct values of
    // the program's own frames at `exact` and `pointers`; `values` and
    // `functions` ignore arguments.
    let count = |sim: &str| {
        let out = cmd()
            .args([
                "analyze",
                "samples/go/busy-pools/debug2.txt",
                "--format",
                "json",
                "--similarity",
                sim,
            ])
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["snapshots"][0]["groups_total"].as_u64().unwrap()
    };
    assert!(count("exact") > count("pointers"));
    assert!(count("pointers") > count("values"));
    assert!(count("values") >= count("functions"));
}

#[test]
fn schema_command_matches_docs() {
    let out = cmd().arg("schema").output().unwrap();
    assert!(out.status.success());
    let live: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(common::root().join("docs/schema.json")).unwrap())
            .unwrap();
    assert_eq!(
        live, doc,
        "docs/schema.json is stale: run `cargo run -- schema > docs/schema.json`"
    );
}

#[test]
fn version_and_help() {
    cmd()
        .arg("--version")
        .assert()
        .success()
        .stdout(predicate::str::contains(env!("CARGO_PKG_VERSION")));
    cmd()
        .args(["analyze", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--similarity"));
}

#[test]
fn terminal_control_characters_from_a_dump_are_neutralised() {
    let dump = "goroutine 1 [running]:\nmain.\u{1b}[31mevil()\n\t/a\u{7}.go:1 +0x1\n";
    let out = cmd()
        .args(["analyze", "-", "--no-color"])
        .write_stdin(dump)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(!out.stdout.contains(&0x1b));
    assert!(!out.stdout.contains(&0x07));
}

#[test]
fn findings_come_first_in_text() {
    let out = cmd()
        .args(["analyze", "samples/go/lock-order-deadlock/debug2.txt"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    let finding = text.find("Lock-order deadlock").expect("the finding");
    let first_group = text.find("1 task  [").expect("a group");
    assert!(finding < first_group, "{text}");
    assert!(text.contains("fix: Always take the locks in one global order"));
}

#[test]
fn fail_on_exits_1_at_or_above_the_severity() {
    let dump = "samples/go/lock-order-deadlock/debug2.txt";
    cmd()
        .args(["analyze", dump, "--fail-on", "critical"])
        .assert()
        .code(1);
    cmd()
        .args([
            "analyze",
            "samples/go/healthy-service/debug2.txt",
            "--fail-on",
            "medium",
        ])
        .assert()
        .code(0);
    // Unusable input wins over findings.
    cmd()
        .args(["analyze", dump, "no-such-file", "--fail-on", "info"])
        .assert()
        .code(2);
}

#[test]
fn a_bad_rules_file_is_a_clear_error() {
    let dir = std::env::temp_dir().join(format!("dumpscope-rules-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        "[[rule]]\nname = \"x\"\nstate = '('\naction = \"benign\"\n",
    )
    .unwrap();
    cmd()
        .args(["analyze", "samples/go/nil-channel/debug2.txt", "--rules"])
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("rule 1").and(predicate::str::contains("state")));
    let good = dir.join("good.toml");
    std::fs::write(
        &good,
        "[[rule]]\nname = \"nil is fine here\"\nfinding = '^chan\\.nil$'\naction = \"benign\"\n",
    )
    .unwrap();
    cmd()
        .args([
            "analyze",
            "samples/go/nil-channel/debug2.txt",
            "--fail-on",
            "low",
            "--rules",
        ])
        .arg(&good)
        .assert()
        .code(0);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn rules_prints_the_catalogue() {
    cmd()
        .arg("rules")
        .assert()
        .success()
        .stdout(predicate::str::contains("### `deadlock.lock-order`"))
        .stdout(predicate::str::contains("### `net.http-body-not-closed`"));
}

#[test]
fn no_diagnose_groups_only() {
    let out = cmd()
        .args(["analyze", DUMP, "--format", "json", "--no-diagnose"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["findings"].as_array().map(|a| a.len()), Some(0));
    assert_eq!(v["graph"]["nodes"].as_array().map(|a| a.len()), Some(0));
    assert!(v["snapshots"][0]["groups_total"].as_u64().unwrap_or(0) > 0);
    // The same dump diagnosed has its deadlock.
    let out = cmd()
        .args(["analyze", DUMP, "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["findings"]
        .as_array()
        .is_some_and(|f| f.iter().any(|f| f["rule"] == "deadlock.lock-order")));
    // --fail-on has nothing to fail on without the diagnosis.
    cmd()
        .args(["analyze", DUMP, "--no-diagnose", "--fail-on", "info"])
        .assert()
        .code(0);
}

#[test]
fn report_files_by_flag_and_by_extension() {
    let dir = std::env::temp_dir().join(format!("dumpscope-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = |n: &str| dir.join(n).to_string_lossy().into_owned();
    cmd()
        .args(["analyze", DUMP, "--html", &p("a.html"), "--md", &p("a.md")])
        .args([
            "-o",
            &p("b.HTML"),
            "-o",
            &p("b.json"),
            "-o",
            &p("b.markdown"),
        ])
        .args(["-o", &p("b.txt")])
        .assert()
        .success();
    let read = |n: &str| std::fs::read_to_string(dir.join(n)).unwrap();
    assert!(read("a.html").starts_with("<!DOCTYPE html>"));
    assert_eq!(read("a.html"), read("b.HTML"));
    assert!(read("a.md").starts_with("# dumpscope report"));
    assert_eq!(read("a.md"), read("b.markdown"));
    let json: serde_json::Value = serde_json::from_str(&read("b.json")).unwrap();
    assert_eq!(json["schema"], "dumpscope.report/v1");
    assert!(read("b.txt").contains("Lock-order deadlock"));
    assert!(!read("b.txt").contains('\u{1b}'));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn an_unknown_report_extension_is_a_usage_error() {
    cmd()
        .args(["analyze", DUMP, "-o", "report.pdf"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("-o report.pdf"))
        .stderr(predicate::str::contains(".html, .md, .json or .txt"));
    assert!(!common::root().join("report.pdf").exists());
}

#[test]
fn an_unwritable_report_path_is_reported() {
    cmd()
        .args(["analyze", DUMP, "--html", "/nonexistent-dir/r.html"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "cannot write '/nonexistent-dir/r.html'",
        ));
}

/// A reader that stops reading (`| head -c 1`) ends the output quietly:
/// exit 0, nothing on stderr, for JSON, text and the schema.
#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    use std::io::Read;
    use std::process::Stdio;
    for args in [
        &[
            "analyze",
            "--format",
            "json",
            "samples/go/busy-nats/debug2.txt",
        ][..],
        &[
            "analyze",
            "--max-groups",
            "1000",
            "samples/go/busy-nats/debug2.txt",
        ][..],
        &["schema"][..],
    ] {
        let bin = assert_cmd::cargo::cargo_bin("dumpscope");
        let mut child = std::process::Command::new(bin)
            .args(args)
            .current_dir(common::root())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let mut first = [0u8; 1];
        stdout.read_exact(&mut first).unwrap();
        drop(stdout);
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("Broken pipe"), "{args:?}: {stderr}");
        assert!(!stderr.contains("error"), "{args:?}: {stderr}");
    }
}

/// The text of a command's stderr.
fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Every path the command line names is checked before any input is
/// read: a missing one is exit 2 with one `error:` line naming it, and
/// no report.
#[test]
fn every_missing_path_is_exit_2_before_anything_is_read() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["analyze", DUMP, "--binary", "no/such/app"],
            "--binary 'no/such/app'",
        ),
        (
            &["analyze", DUMP, "--debug-dir", "no/such/dbg"],
            "--debug-dir 'no/such/dbg'",
        ),
        (
            &["analyze", DUMP, "--debug-dir", DUMP],
            "is not a directory",
        ),
        (&["analyze", DUMP, "--binary", "samples"], "is a directory"),
        (
            &["analyze", DUMP, "--source-root", "no/such/src"],
            "--source-root 'no/such/src'",
        ),
        (
            &["analyze", DUMP, "--rules", "no/such/rules.toml"],
            "no/such/rules.toml",
        ),
        (
            &["analyze", DUMP, "--html", "no/such/dir/r.html"],
            "no directory 'no/such/dir'",
        ),
        (
            &["analyze", DUMP, "--md", "no/such/dir/r.md"],
            "no directory 'no/such/dir'",
        ),
        (
            &["analyze", DUMP, "--json", "no/such/dir/r.json"],
            "no directory 'no/such/dir'",
        ),
        (
            &["analyze", DUMP, "-o", "no/such/dir/r.txt"],
            "no directory 'no/such/dir'",
        ),
        (
            &["analyze", DUMP, "-o", "samples/README.md/r.json"],
            "no directory",
        ),
        (&["analyze", DUMP, "--html", "samples"], "is a directory"),
        (
            &["diff", DUMP, DUMP, "--binary", "no/such/app"],
            "--binary 'no/such/app'",
        ),
        (
            &["symbolize", DUMP, "--binary", "no/such/app"],
            "--binary 'no/such/app'",
        ),
        (
            &["symbolize", DUMP, "--debug-dir", "no/such/dbg"],
            "--debug-dir 'no/such/dbg'",
        ),
        (
            &["symbolize", "no/such/dump.txt", "--debug-dir", "samples"],
            "no/such/dump.txt",
        ),
    ];
    for (args, names) in cases {
        let out = cmd().args(*args).output().unwrap();
        let err = stderr_of(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.starts_with("error: "), "{args:?}: {err}");
        assert!(err.contains(names), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}: a report was written");
    }
}

/// An empty input (file, stdin, blank lines only) says so in one short
/// line instead of listing every format.
#[test]
fn an_empty_input_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, b"").unwrap();
    let blank = dir.path().join("blank.txt");
    std::fs::write(&blank, b"\n  \r\n\t\n").unwrap();
    for file in [&empty, &blank] {
        let out = cmd().arg("analyze").arg(file).output().unwrap();
        let err = stderr_of(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains("the input is empty"), "{err}");
        assert!(err.len() < 200, "{err}");
    }
    let out = cmd()
        .args(["analyze", "-"])
        .write_stdin("")
        .output()
        .unwrap();
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(err, "error: '<stdin>': the input is empty\n");
}

/// One prefix for every message: `error:` as clap writes it, for clap's
/// usage errors and dumpscope's own alike; warnings `warning:`.
#[test]
fn one_error_prefix_for_clap_and_dumpscope() {
    for args in [
        &["analyze", "--bogus"][..],
        &["analyze", "--similarity", "bogus", DUMP][..],
        &["frobnicate"][..],
        &["analyze", "does/not/exist.txt"][..],
        &["analyze", "--filter", "(", DUMP][..],
        &["diff", DUMP][..],
        &["symbolize", DUMP][..],
        &["help", "frobnicate"][..],
        &["man", "frobnicate"][..],
    ] {
        let out = cmd().args(args).output().unwrap();
        let err = stderr_of(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.starts_with("error: "), "{args:?}: {err}");
        assert!(!err.contains("dumpscope: "), "{args:?}: {err}");
    }
    let out = cmd()
        .args(["analyze", "samples/messy/truncated-midline.txt"])
        .output()
        .unwrap();
    let err = stderr_of(&out);
    assert!(out.status.success());
    assert!(
        !err.is_empty() && err.lines().all(|l| l.starts_with("warning: ")),
        "{err}"
    );
}

/// `--help`, `-h`, `help COMMAND` and `help -h` work for every command,
/// and `help COMMAND` is `COMMAND --help`.
#[test]
fn help_of_every_subcommand() {
    use clap::CommandFactory;
    let top = dumpscope::cli::Cli::command();
    let names: Vec<String> = top
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    for name in [
        "analyze",
        "diff",
        "symbolize",
        "schema",
        "rules",
        "completions",
        "man",
        "help",
    ] {
        assert!(names.iter().any(|n| n == name), "{name} missing");
    }
    for name in &names {
        let long = cmd().args([name.as_str(), "--help"]).output().unwrap();
        assert!(long.status.success(), "{name} --help");
        assert!(String::from_utf8_lossy(&long.stdout).contains(&format!("dumpscope {name}")));
        let short = cmd().args([name.as_str(), "-h"]).output().unwrap();
        assert!(short.status.success(), "{name} -h");
        assert!(!short.stdout.is_empty());
        let help = cmd().args(["help", name.as_str()]).output().unwrap();
        assert!(help.status.success(), "help {name}");
        assert_eq!(
            help.stdout, long.stdout,
            "help {name} differs from {name} --help"
        );
    }
    for args in [
        &["help"][..],
        &["help", "-h"],
        &["help", "--help"],
        &["help", "help"],
    ] {
        let out = cmd().args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", stderr_of(&out));
        assert!(String::from_utf8_lossy(&out.stdout).contains("Usage: dumpscope"));
    }
    // The top-level help speaks of every kind of dump, not goroutines only.
    let top = cmd().arg("--help").output().unwrap();
    let text = String::from_utf8_lossy(&top.stdout);
    for kind in [
        "goroutine",
        "Java",
        "gdb",
        "Python",
        "tokio",
        "heap profiles",
    ] {
        assert!(text.contains(kind), "top-level help does not name {kind}");
    }
}

/// Whether a command's stdout or stderr holds an escape sequence.
fn has_escape(bytes: &[u8]) -> bool {
    bytes.contains(&0x1b)
}

/// `--color auto|always|never`, `--no-color` and the environment
/// (NO_COLOR, CLICOLOR, CLICOLOR_FORCE), on stdout and on stderr.
#[test]
fn color_flags_and_environment() {
    const VARS: [&str; 4] = ["NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "TERM"];
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut c = cmd();
        for var in VARS {
            c.env_remove(var);
        }
        for (k, v) in env {
            c.env(k, v);
        }
        c.args(args).output().unwrap()
    };
    let text = |flags: &[&str], env: &[(&str, &str)]| {
        let mut args = vec!["analyze", DUMP];
        args.extend_from_slice(flags);
        has_escape(&run(&args, env).stdout)
    };
    assert!(!text(&[], &[]), "a pipe is not coloured");
    assert!(text(&["--color", "always"], &[]));
    assert!(text(&["--color=always"], &[]));
    assert!(!text(&["--color", "never"], &[("CLICOLOR_FORCE", "1")]));
    assert!(!text(&["--no-color"], &[("CLICOLOR_FORCE", "1")]));
    assert!(text(&["--no-color", "--color", "always"], &[]) == text(&["--no-color"], &[]));
    assert!(text(&[], &[("CLICOLOR_FORCE", "1")]));
    assert!(!text(&[], &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]));
    assert!(text(&["--color", "always"], &[("NO_COLOR", "1")]));
    assert!(!text(&[], &[("CLICOLOR", "0"), ("TERM", "xterm")]));
    // The global flag goes before or after the command.
    assert!(has_escape(
        &run(&["--color", "always", "analyze", DUMP], &[]).stdout
    ));
    // Errors, ours and clap's, follow the same choice.
    for args in [
        &["analyze", "does/not/exist.txt"][..],
        &["analyze", "--bogus"][..],
    ] {
        let mut always = args.to_vec();
        always.extend(["--color", "always"]);
        assert!(has_escape(&run(&always, &[]).stderr), "{always:?}");
        let mut never = args.to_vec();
        never.extend(["--color", "never"]);
        assert!(!has_escape(&run(&never, &[("CLICOLOR_FORCE", "1")]).stderr));
        assert!(!has_escape(&run(args, &[]).stderr), "{args:?}");
        assert!(has_escape(&run(args, &[("CLICOLOR_FORCE", "1")]).stderr));
    }
    let bad = run(&["analyze", DUMP, "--color", "sometimes"], &[]);
    assert_eq!(bad.status.code(), Some(2));
}

/// `dumpscope completions SHELL` for every shell clap_complete knows.
#[test]
fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = cmd().args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8_lossy(&out.stdout);
        for word in [
            "dumpscope",
            "analyze",
            "symbolize",
            "input-format",
            "fail-on",
        ] {
            assert!(script.contains(word), "{shell} completion lacks {word}");
        }
        // The shells that complete values complete the formats too.
        if matches!(shell, "bash" | "zsh" | "fish") {
            assert!(script.contains("go-traceback"), "{shell}");
        }
    }
    cmd().args(["completions", "tcsh"]).assert().code(2);
}

/// `dumpscope man` prints the roff page of dumpscope; `man COMMAND` that
/// of a command with all its options.
#[test]
fn man_pages() {
    let out = cmd().arg("man").output().unwrap();
    assert!(out.status.success());
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(page.contains(".TH dumpscope 1"), "{page}");
    for name in ["analyze", "diff", "symbolize", "completions"] {
        assert!(page.contains(name), "man lacks {name}");
    }
    let out = cmd().args(["man", "analyze"]).output().unwrap();
    assert!(out.status.success());
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(page.contains(".TH dumpscope-analyze 1"), "{page}");
    assert!(page.contains(env!("CARGO_PKG_VERSION")), "{page}");
    for option in [r"\-\-input\-format", r"\-\-fail\-on", r"\-\-color"] {
        assert!(page.contains(option), "man analyze lacks {option}");
    }
}

/// When analyze reads a terminal, a hint says so instead of waiting
/// silently; from a pipe there is no hint. The terminal comes from
/// util-linux `script`; without it that half is skipped, and says so.
#[test]
fn a_hint_when_stdin_is_a_terminal() {
    let out = cmd()
        .args(["analyze", "-"])
        .write_stdin("")
        .output()
        .unwrap();
    assert!(!stderr_of(&out).contains("hint:"));
    let bin = assert_cmd::cargo::cargo_bin("dumpscope");
    let script = std::process::Command::new("script")
        .arg("-qec")
        .arg(format!("'{}' analyze --no-color", bin.display()))
        .arg("/dev/null")
        .stdin(std::process::Stdio::null())
        .output();
    // `script -e` exits with the command's code: 2, for the empty input.
    // Anything else means no terminal could be made here.
    match script {
        Ok(out) if out.status.code() == Some(2) => {
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(
                text.contains("hint: reading a dump from standard input (end it with Ctrl-D"),
                "{text}"
            );
            assert!(text.contains("the input is empty"), "{text}");
        }
        _ => eprintln!(
            "SKIPPED the terminal half: `script` (util-linux) could not run the command on a terminal"
        ),
    }
}

/// File names need not be UTF-8 and may hold control characters: the
/// file is read, and nothing of its name drives the terminal, on stdout
/// or stderr.
#[cfg(unix)]
#[test]
fn any_file_name_is_read_and_printed_safely() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let name = OsStr::from_bytes(b"dump-\xff\x1b]0;pwned\x07\r.txt");
    let path = dir.path().join(name);
    std::fs::copy(common::root().join(DUMP), &path).unwrap();
    let out = cmd().arg("analyze").arg(&path).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    for bad in [0x1b, 0x07, b'\r'] {
        assert!(!out.stdout.contains(&bad), "stdout holds {bad:#x}");
    }
    assert!(String::from_utf8_lossy(&out.stdout).contains("main.(*Account).transfer"));
    let out = cmd()
        .args(["analyze", "--format", "json"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["inputs"][0]["source"]
        .as_str()
        .unwrap()
        .contains("dump-\u{fffd}"));
    // Missing, and a warning-producing input: stderr stays clean.
    let missing = dir
        .path()
        .join(OsStr::from_bytes(b"gone-\xfe\x1b[2J\x07.txt"));
    let cut = dir.path().join(OsStr::from_bytes(b"cut-\x1b]2;x\x07.txt"));
    std::fs::copy(
        common::root().join("samples/messy/truncated-midline.txt"),
        &cut,
    )
    .unwrap();
    let out = cmd()
        .arg("analyze")
        .arg(&missing)
        .arg(&cut)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert!(err.contains("gone-\u{fffd}"), "{err}");
    assert!(err.contains("warning: "), "{err}");
    for bad in [0x1b, 0x07] {
        assert!(!out.stderr.contains(&bad), "stderr holds {bad:#x}: {err}");
    }
    let out = cmd()
        .args(["symbolize", "--debug-dir", "samples"])
        .arg(&missing)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!out.stderr.contains(&0x1b));
}
