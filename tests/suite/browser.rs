//! The HTML report in a real browser: a headless Chromium, driven through the
//! DevTools protocol, opens reports that the `dumpscope` binary wrote from
//! the samples, checks the markup contract (findings, graph, icicle, states,
//! creation tree, groups table), drives search, icicle clicks, paging and the
//! goroutine lookup, reads the page with JavaScript off, opens a hostile dump,
//! and saves screenshots to `target/browser-screenshots/`.
//!
//! Every console error, uncaught exception, error log entry (a
//! Content-Security-Policy violation is one) and dialog fails the test.
//!
//! Without a `chromium` binary each test says "skipped: chromium not
//! installed" on stderr and passes, unless `DUMPSCOPE_REQUIRE_BROWSER=1`
//! (`.ci/run` sets it), which makes a missing browser a failure.

use crate::common;

use headless_chrome::browser::tab::point::Point;
use headless_chrome::protocol::cdp::types::Event;
use headless_chrome::protocol::cdp::{Emulation, Log, Page, Runtime};
use headless_chrome::{Browser, LaunchOptions, Tab};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Rows the groups table shows per page (and the static HTML holds).
const PAGE_ROWS: usize = 100;
/// Viewport of every page.
const WIDTH: u32 = 1280;
const HEIGHT: u32 = 900;

// ---------------------------------------------------------------------------
// Temporary directories, reports.

/// A directory under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "dumpscope-browser-{}-{}-{name}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // A browser profile: Chromium's helper processes may still write to
        // it for a moment after the browser is killed.
        for _ in 0..20 {
            if std::fs::remove_dir_all(&self.0).is_ok() || !self.0.exists() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// An HTML report and the JSON report of the same run.
struct Report {
    html: PathBuf,
    json: Value,
}

impl Report {
    /// The groups of the first (only) snapshot.
    fn groups(&self) -> &Vec<Value> {
        self.json["snapshots"][0]["groups"]
            .as_array()
            .expect("snapshots[0].groups")
    }

    fn groups_total(&self) -> usize {
        self.json["snapshots"][0]["groups_total"]
            .as_u64()
            .expect("snapshots[0].groups_total") as usize
    }

    fn findings(&self) -> &Vec<Value> {
        self.json["findings"].as_array().expect("findings")
    }

    /// The findings drawn one by one: info findings and benign waits fold
    /// into one line of the findings section instead.
    fn real_findings(&self) -> Vec<&Value> {
        self.findings()
            .iter()
            .filter(|f| f["severity"] != "info" && f["kind"] != "benign")
            .collect()
    }
}

/// Runs `dumpscope analyze INPUT --json DIR/NAME.json --html DIR/NAME.html`
/// (INPUT relative to the crate root, or absolute).
fn generate(dir: &TempDir, name: &str, input: &str) -> Report {
    let html = dir.0.join(format!("{name}.html"));
    let json = dir.0.join(format!("{name}.json"));
    let out = assert_cmd::Command::cargo_bin("dumpscope")
        .unwrap()
        .current_dir(common::root())
        .env("NO_COLOR", "1")
        .args(["analyze", input, "--json"])
        .arg(&json)
        .arg("--html")
        .arg(&html)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "dumpscope analyze {input} --json … --html … exited with {:?}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(
        &std::fs::read(&json).unwrap_or_else(|e| panic!("{input}: no JSON report: {e}")),
    )
    .unwrap();
    assert!(html.is_file(), "{input}: no HTML report written");
    Report { html, json }
}

/// A `file://` URL for an absolute path.
fn file_url(p: &Path) -> String {
    let s = p.to_str().expect("UTF-8 temp path");
    let mut u = String::from("file://");
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
            u.push(b as char);
        } else {
            u.push_str(&format!("%{b:02X}"));
        }
    }
    u
}

// ---------------------------------------------------------------------------
// The browser.

fn chromium_path() -> Option<PathBuf> {
    let fixed = Path::new("/usr/bin/chromium");
    if fixed.is_file() {
        return Some(fixed.to_path_buf());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("chromium"))
        .find(|c| c.is_file())
}

/// One Chromium per test function.
struct Chrome {
    browser: Browser,
    _profile: TempDir,
}

/// Starts Chromium, or says why not: `None` means the test is skipped.
fn chrome(test: &str) -> Option<Chrome> {
    let Some(path) = chromium_path() else {
        if std::env::var("DUMPSCOPE_REQUIRE_BROWSER").as_deref() == Ok("1") {
            panic!("{test}: chromium not installed, and DUMPSCOPE_REQUIRE_BROWSER=1");
        }
        // Straight to the process's stderr: the test harness captures
        // eprintln! of passing tests, and a skip must be seen.
        let _ = writeln!(std::io::stderr(), "{test}: skipped: chromium not installed");
        return None;
    };
    let profile = TempDir::new(&format!("{test}-profile"));
    let args: Vec<&OsStr> = [
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
    .iter()
    .map(OsStr::new)
    .collect();
    let options = LaunchOptions {
        headless: true,
        sandbox: false,
        path: Some(path.clone()),
        user_data_dir: Some(profile.0.clone()),
        window_size: Some((WIDTH, HEIGHT)),
        idle_browser_timeout: Duration::from_secs(120),
        args,
        ..LaunchOptions::default()
    };
    let browser = Browser::new(options)
        .unwrap_or_else(|e| panic!("{test}: cannot start {}: {e:#}", path.display()));
    Some(Chrome {
        browser,
        _profile: profile,
    })
}

/// Installed before any script of the page runs: records CSP violations,
/// error events (uncaught errors, failed loads) and dialogs, which it
/// replaces with recorders.
const RECORDER: &str = r#"(() => {
  const errors = [], dialogs = [];
  Object.defineProperty(window, '__dsErrors', { value: errors });
  Object.defineProperty(window, '__dsDialogs', { value: dialogs });
  document.addEventListener('securitypolicyviolation', (e) => {
    errors.push('CSP violation: ' + e.violatedDirective + ' blocked ' +
      (e.blockedURI || 'inline') + ' (line ' + e.lineNumber + ')');
  }, true);
  window.addEventListener('error', (e) => {
    const t = e.target;
    errors.push('error event: ' + (e.message ||
      (t && t.outerHTML ? t.outerHTML.slice(0, 200) : String(e))));
  }, true);
  for (const n of ['alert', 'confirm', 'prompt', 'print', 'open']) {
    window[n] = function (m) { dialogs.push(n + '(' + String(m) + ')'); return null; };
  }
})();"#;

/// A tab and what its pages logged. The protocol client answers a call in
/// about 0.1 s, so the helpers do their work in as few calls as they can.
struct Tabbed {
    tab: Arc<Tab>,
    js: bool,
    errors: Arc<Mutex<Vec<String>>>,
    dialogs: Arc<Mutex<Vec<String>>>,
}

impl Chrome {
    /// A new tab, JavaScript on or off, that records errors and dialogs.
    fn tab(&self, js: bool) -> Tabbed {
        let tab = self.browser.new_tab().expect("new tab");
        tab.set_default_timeout(Duration::from_secs(20));
        let errors = Arc::new(Mutex::new(Vec::new()));
        let dialogs = Arc::new(Mutex::new(Vec::new()));
        let (e, d) = (Arc::clone(&errors), Arc::clone(&dialogs));
        tab.add_event_listener(Arc::new(move |ev: &Event| {
            let mut e = e.lock().unwrap();
            match ev {
                Event::RuntimeConsoleAPICalled(c) => {
                    use Runtime::ConsoleAPICalledEventTypeOption as T;
                    if matches!(c.params.Type, T::Error | T::Assert) {
                        let args: Vec<String> = c
                            .params
                            .args
                            .iter()
                            .map(|a| {
                                a.value
                                    .as_ref()
                                    .map(|v| v.to_string())
                                    .or_else(|| a.description.clone())
                                    .unwrap_or_default()
                            })
                            .collect();
                        e.push(format!("console.{:?}: {}", c.params.Type, args.join(" ")));
                    }
                }
                Event::RuntimeExceptionThrown(x) => {
                    let d = &x.params.exception_details;
                    e.push(format!(
                        "uncaught exception: {} {} (line {}, column {})",
                        d.text,
                        d.exception
                            .as_ref()
                            .and_then(|o| o.description.clone())
                            .unwrap_or_default(),
                        d.line_number,
                        d.column_number
                    ));
                }
                Event::LogEntryAdded(x) => {
                    let en = &x.params.entry;
                    if en.level == Log::LogEntryLevel::Error {
                        e.push(format!(
                            "log error ({:?}): {} {}",
                            en.source,
                            en.text,
                            en.url.as_deref().unwrap_or("")
                        ));
                    }
                }
                Event::PageJavascriptDialogOpening(x) => {
                    d.lock()
                        .unwrap()
                        .push(format!("{:?} dialog: {}", x.params.Type, x.params.message));
                }
                _ => {}
            }
        }))
        .unwrap();
        tab.enable_runtime().unwrap();
        tab.enable_log().unwrap();
        if js {
            tab.call_method(Page::AddScriptToEvaluateOnNewDocument {
                source: RECORDER.to_string(),
                world_name: None,
                include_command_line_api: None,
                run_immediately: None,
            })
            .unwrap();
        } else {
            tab.call_method(Emulation::SetScriptExecutionDisabled { value: true })
                .unwrap();
        }
        Tabbed {
            tab,
            js,
            errors,
            dialogs,
        }
    }

    /// A new tab showing `file`.
    fn open(&self, file: &Path, js: bool) -> Tabbed {
        let t = self.tab(js);
        t.goto(file);
        t
    }
}

impl Tabbed {
    /// Shows `file` and waits for its load; forgets what earlier pages logged.
    fn goto(&self, file: &Path) {
        self.errors.lock().unwrap().clear();
        self.dialogs.lock().unwrap().clear();
        let url = file_url(file);
        self.tab
            .navigate_to(&url)
            .unwrap_or_else(|e| panic!("navigate to {url}: {e:#}"));
        let want = serde_json::to_string(&url).unwrap();
        let wait = format!("return location.href === {want} && document.readyState === 'complete'");
        let start = Instant::now();
        // Until the new document answers (the old one may still, or may be
        // going away under the call). Polled: with JavaScript off, no load
        // listener would ever run.
        while !self.try_eval(&wait).is_some_and(|v| v == Value::Bool(true)) {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "{url} did not load"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn try_eval(&self, body: &str) -> Option<Value> {
        let expr = format!("(async () => JSON.stringify(await (async () => {{ {body} }})()))()");
        let r = self.tab.evaluate(&expr, true).ok()?;
        match r.value {
            Some(Value::String(s)) => serde_json::from_str(&s).ok(),
            _ => None,
        }
    }

    /// Runs `body` (a function body; may `await`) in the page and returns
    /// its result through JSON.
    fn eval(&self, body: &str) -> Value {
        let expr = format!("(async () => JSON.stringify(await (async () => {{ {body} }})()))()");
        let r = self
            .tab
            .evaluate(&expr, true)
            .unwrap_or_else(|e| panic!("evaluate failed: {e:#}\n{body}"));
        match r.value {
            Some(Value::String(s)) => serde_json::from_str(&s).unwrap(),
            None if r.Type == Runtime::RemoteObjectType::Undefined => Value::Null,
            _ => panic!(
                "evaluate returned no value: {:?} {:?}\n{body}",
                r.Type, r.description
            ),
        }
    }

    /// Lets the page (a frame and a timer) and the protocol events catch up.
    fn settle(&self) {
        if self.js {
            self.eval(
                "await new Promise(r => requestAnimationFrame(() => setTimeout(r, 20))); return 0",
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }

    /// Console errors, exceptions, error log entries, CSP violations and
    /// dialogs, as "error: …" and "dialog: …" lines.
    fn problems(&self) -> Vec<String> {
        let recorded = if self.js {
            self.eval(
                "await new Promise(r => requestAnimationFrame(() => setTimeout(r, 20)));
                 return [window.__dsErrors || ['the recorder did not run'], window.__dsDialogs || []]",
            )
        } else {
            Value::Null
        };
        std::thread::sleep(Duration::from_millis(50));
        let mut v: Vec<String> = self
            .errors
            .lock()
            .unwrap()
            .iter()
            .map(|e| format!("error: {e}"))
            .collect();
        v.extend(
            self.dialogs
                .lock()
                .unwrap()
                .iter()
                .map(|d| format!("dialog: {d}")),
        );
        for (i, kind) in ["error", "dialog"].into_iter().enumerate() {
            for x in recorded[i].as_array().into_iter().flatten() {
                v.push(format!("{kind}: {}", x.as_str().unwrap_or("")));
            }
        }
        v
    }

    fn assert_clean(&self, what: &str) {
        let p = self.problems();
        assert!(p.is_empty(), "{what}: in the page:\n  {}", p.join("\n  "));
    }

    fn count(&self, selector: &str) -> usize {
        let sel = serde_json::to_string(selector).unwrap();
        self.eval(&format!("return document.querySelectorAll({sel}).length"))
            .as_u64()
            .unwrap() as usize
    }

    /// The groups table rows that are displayed: (data-id, data-leaf).
    fn visible_rows(&self) -> Vec<(String, Option<u64>)> {
        let v = self.eval(
            "return [...document.querySelectorAll('#groups tbody tr.group')]
               .filter(r => r.getClientRects().length > 0)
               .map(r => [r.getAttribute('data-id'), r.getAttribute('data-leaf')])",
        );
        v.as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p[0].as_str().unwrap_or("").to_string(),
                    p[1].as_str().and_then(|s| s.parse().ok()),
                )
            })
            .collect()
    }

    fn text(&self, selector: &str) -> String {
        let sel = serde_json::to_string(selector).unwrap();
        self.eval(&format!(
            "const e = document.querySelector({sel}); return e ? e.textContent : null"
        ))
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| panic!("no element {selector}"))
    }

    /// A real mouse click in the middle of the element, after checking that
    /// nothing covers that point.
    fn click(&self, selector: &str) {
        let sel = serde_json::to_string(selector).unwrap();
        let at = self.eval(&format!(
            "const e = document.querySelector({sel});
             if (!e) return 'no element';
             e.scrollIntoView({{ block: 'center', inline: 'center' }});
             const b = e.getBoundingClientRect();
             if (b.width < 1 || b.height < 1) return 'not displayed (' + b.width + 'x' + b.height + ')';
             const x = b.left + b.width / 2, y = b.top + b.height / 2;
             const hit = document.elementFromPoint(x, y);
             if (!hit || !(hit === e || e.contains(hit) || hit.contains(e)))
               return 'covered by ' + (hit ? hit.outerHTML.slice(0, 120) : 'nothing');
             return [x, y];"
        ));
        let (Some(x), Some(y)) = (at[0].as_f64(), at[1].as_f64()) else {
            panic!("cannot click {selector}: {at}");
        };
        self.tab
            .click_point(Point { x, y })
            .unwrap_or_else(|e| panic!("cannot click {selector}: {e:#}"));
        self.settle();
    }

    /// Focuses a text field, selects what it holds and types `text` in its
    /// place (one input event, as a paste or an input method sends).
    fn type_into(&self, selector: &str, text: &str) {
        self.focus_select(selector);
        self.tab.send_character(text).unwrap();
        self.settle();
    }

    /// Focuses a text field, selects what it holds and types `text` key by
    /// key (slow: two protocol calls a key).
    fn type_keys(&self, selector: &str, text: &str) {
        self.focus_select(selector);
        self.tab.type_str(text).unwrap();
        self.settle();
    }

    /// Focuses a text field and deletes what it holds with Backspace.
    fn clear(&self, selector: &str) {
        self.focus_select(selector);
        self.tab.press_key("Backspace").unwrap();
        self.settle();
    }

    fn focus_select(&self, selector: &str) {
        let sel = serde_json::to_string(selector).unwrap();
        let ok = self.eval(&format!(
            "const e = document.querySelector({sel});
             if (!e) return false;
             e.focus(); e.select();
             return document.activeElement === e"
        ));
        assert_eq!(ok, true, "cannot focus {selector}");
    }

    /// `#groups-count` as (shown, total).
    fn groups_count(&self) -> (usize, usize) {
        parse_count(&self.text("#groups-count"))
    }

    /// A full-page PNG.
    fn screenshot(&self, path: &Path) {
        self.screenshot_at(path, WIDTH);
    }

    /// Lays the page out in a window `width` pixels wide (and as tall as
    /// the page, for screenshots).
    fn set_width(&self, width: u32) {
        let h = self
            .eval("return Math.ceil(document.documentElement.scrollHeight)")
            .as_u64()
            .unwrap()
            .clamp(u64::from(HEIGHT), 16_000) as u32;
        self.tab
            .call_method(Emulation::SetDeviceMetricsOverride {
                width,
                height: h,
                device_scale_factor: 1.0,
                mobile: false,
                scale: None,
                screen_width: None,
                screen_height: None,
                position_x: None,
                position_y: None,
                dont_set_visible_size: None,
                screen_orientation: None,
                viewport: None,
                display_feature: None,
                device_posture: None,
            })
            .unwrap();
    }

    /// A full-page PNG of the page laid out `width` pixels wide.
    fn screenshot_at(&self, path: &Path, width: u32) {
        self.set_width(width);
        self.settle();
        let png = self
            .tab
            .capture_screenshot(Page::CaptureScreenshotFormatOption::Png, None, None, true)
            .unwrap();
        self.tab
            .call_method(Emulation::ClearDeviceMetricsOverride(None))
            .unwrap();
        assert!(png.starts_with(b"\x89PNG"), "not a PNG");
        std::fs::write(path, png).unwrap();
        eprintln!("screenshot: {}", path.display());
    }
}

/// "N of M groups" as (N, M).
fn parse_count(t: &str) -> (usize, usize) {
    let re = regex::Regex::new(r"(\d+) of (\d+) groups").unwrap();
    let c = re
        .captures(t)
        .unwrap_or_else(|| panic!("#groups-count reads {t:?}, not 'N of M groups'"));
    (c[1].parse().unwrap(), c[2].parse().unwrap())
}

impl Drop for Tabbed {
    fn drop(&mut self) {
        let _ = self.tab.close(false);
    }
}

// ---------------------------------------------------------------------------
// JSON helpers.

/// The `all.txt` of every sample program, relative to the crate root.
fn all_samples() -> Vec<String> {
    let dir = common::root().join("samples/go");
    let mut v: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            dir.join(&name)
                .join("all.txt")
                .is_file()
                .then(|| format!("samples/go/{name}/all.txt"))
        })
        .collect();
    v.sort();
    v
}

/// Whether the JSON wait-for graph has a directed cycle.
fn graph_has_cycle(json: &Value) -> bool {
    let mut adj: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for e in json["graph"]["edges"].as_array().into_iter().flatten() {
        if let (Some(a), Some(b)) = (e["from"].as_str(), e["to"].as_str()) {
            adj.entry(a).or_default().push(b);
        }
    }
    // 0 unseen, 1 on the path, 2 done.
    fn dfs<'a>(
        n: &'a str,
        adj: &BTreeMap<&'a str, Vec<&'a str>>,
        mark: &mut BTreeMap<&'a str, u8>,
    ) -> bool {
        mark.insert(n, 1);
        for &m in adj.get(n).into_iter().flatten() {
            match mark.get(m).copied().unwrap_or(0) {
                1 => return true,
                0 if dfs(m, adj, mark) => return true,
                _ => {}
            }
        }
        mark.insert(n, 2);
        false
    }
    let mut mark = BTreeMap::new();
    adj.keys()
        .any(|&n| mark.get(n).copied().unwrap_or(0) == 0 && dfs(n, &adj, &mut mark))
}

/// Every function name of a group (frames and creator).
fn functions(g: &Value) -> BTreeSet<String> {
    let mut s: BTreeSet<String> = g["frames"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["function"].as_str().map(str::to_string))
        .collect();
    if let Some(c) = g["created_by"]["function"].as_str() {
        s.insert(c.to_string());
    }
    s
}

/// Everything the search may look at in a group, lowercased.
fn searchable(g: &Value) -> String {
    let mut s = String::new();
    for f in g["frames"].as_array().into_iter().flatten() {
        for k in ["function", "file"] {
            s.push_str(f[k].as_str().unwrap_or(""));
            s.push('\n');
        }
    }
    for k in ["function", "file"] {
        s.push_str(g["created_by"][k].as_str().unwrap_or(""));
        s.push('\n');
    }
    s.push_str(g["state"].as_str().unwrap_or(""));
    s.push('\n');
    s.push_str(&g["labels"].to_string());
    s.to_lowercase()
}

/// Whether `text` names group `id` (as a word: `g3` is not in `g30`).
fn names_group(text: &str, id: &str) -> bool {
    regex::Regex::new(&format!(r"\b{}\b", regex::escape(id)))
        .unwrap()
        .is_match(text)
}

// ---------------------------------------------------------------------------
// a) every sample: contract of the page, no errors.

/// Checks one report page against the contract; returns the problems.
fn check_page(page: &Tabbed, r: &Report) -> Vec<String> {
    let mut bad = Vec::new();
    let v = page.eval(
        r#"const q = (s) => [...document.querySelectorAll(s)];
        const wg = document.getElementById('wait-graph');
        const tag = (id) => { const e = document.getElementById(id); return e ? e.tagName.toLowerCase() : null; };
        return {
          findings: q('#findings details.finding').map((d) => ({
            id: d.id,
            sev: (d.querySelector('.severity') || {}).textContent || null,
            explanation: !!d.querySelector('.explanation'),
            remedy: !!d.querySelector('.remedy'),
            stacks: d.querySelectorAll('pre.stack').length,
          })),
          userFrames: q('#findings pre.stack span.user').length,
          flame: tag('flame'),
          frames: q('#flame g.frame').map((g) => ({
            node: g.getAttribute('data-node'), parent: g.getAttribute('data-parent'),
            rect: !!g.querySelector('rect'), title: !!g.querySelector('title'),
          })),
          states: tag('states'),
          bars: q('#states g.bar').length,
          waitGraph: tag('wait-graph'),
          graphEmpty: !!(wg && (wg.matches('p.empty') || wg.querySelector('p.empty'))),
          nodes: q('#wait-graph g.node').map((n) => n.getAttribute('data-id')),
          edges: q('#wait-graph path.edge, #wait-graph line.edge').length,
          cycleNodes: q('#wait-graph g.node.cycle').length,
          cycleEdges: q('#wait-graph path.edge.cycle, #wait-graph line.edge.cycle').length,
          creation: !!document.getElementById('creation'),
          sites: q('#creation li.site').length,
          groupsTable: tag('groups'),
          rows: q('#groups tbody tr.group').map((r) => [r.getAttribute('data-id'), r.getAttribute('data-leaf')]),
          controls: ['group-search', 'filter-state', 'filter-package', 'filter-severity',
                     'goroutine-lookup', 'goroutine-go', 'goroutine-result', 'groups-count',
                     'groups-pager', 'flame-filter', 'flame-clear']
            .filter((id) => !document.getElementById(id)),
          sortable: q('#groups th[data-sort]').length,
          count: (document.getElementById('groups-count') || {}).textContent || '',
          anyCycle: q('#wait-graph .cycle').length,
          scrollWidth: document.documentElement.scrollWidth,
          innerWidth: window.innerWidth,
        };"#,
    );
    // Findings.
    let jf = r.real_findings();
    let hf = v["findings"].as_array().unwrap();
    if hf.len() != jf.len() {
        bad.push(format!(
            "{} details.finding in #findings, the JSON has {} findings",
            hf.len(),
            jf.len()
        ));
    }
    for (i, (h, j)) in hf.iter().zip(&jf).enumerate() {
        let want_id = format!("f{}", i + 1);
        if h["id"] != want_id.as_str() {
            bad.push(format!("finding {i}: id {} (want {want_id})", h["id"]));
        }
        let sev = h["sev"].as_str().unwrap_or("").trim().to_lowercase();
        if !["critical", "high", "medium", "low", "info"].contains(&sev.as_str())
            || Some(sev.as_str()) != j["severity"].as_str()
        {
            bad.push(format!(
                "{want_id}: .severity reads {:?}, the JSON says {}",
                h["sev"], j["severity"]
            ));
        }
        if h["explanation"] != true || h["remedy"] != true {
            bad.push(format!("{want_id}: no .explanation or no .remedy"));
        }
        if j["groups"].as_array().is_some_and(|g| !g.is_empty()) && h["stacks"] == 0 {
            bad.push(format!(
                "{want_id}: names groups {} but holds no pre.stack",
                j["groups"]
            ));
        }
    }
    let finding_groups: BTreeSet<&str> = jf
        .iter()
        .flat_map(|f| f["groups"].as_array().into_iter().flatten())
        .filter_map(Value::as_str)
        .collect();
    let user_in_findings = r.groups().iter().any(|g| {
        finding_groups.contains(g["id"].as_str().unwrap_or(""))
            && g["frames"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|f| f["kind"] == "user")
    });
    if user_in_findings && v["userFrames"] == 0 {
        bad.push("the findings' stacks have user frames but no span.user".into());
    }
    // Icicle.
    if v["flame"] != "svg" {
        bad.push(format!("#flame is {}, not an svg", v["flame"]));
    }
    let frames = v["frames"].as_array().unwrap();
    if frames.is_empty() {
        bad.push("no #flame g.frame".into());
    }
    let nodes: BTreeSet<&str> = frames.iter().filter_map(|f| f["node"].as_str()).collect();
    let roots: Vec<&Value> = frames.iter().filter(|f| f["parent"].is_null()).collect();
    if roots.len() != 1 || roots[0]["node"] != "0" {
        bad.push(format!(
            "the icicle needs one root g.frame with data-node=0 and no data-parent, found {roots:?}"
        ));
    }
    for f in frames {
        if f["rect"] != true || f["title"] != true {
            bad.push(format!("g.frame {} lacks its rect or title", f["node"]));
        }
        if let Some(p) = f["parent"].as_str() {
            if !nodes.contains(p) {
                bad.push(format!(
                    "g.frame {}: data-parent {p} is no frame",
                    f["node"]
                ));
            }
        }
    }
    // States.
    let nstates = r.json["snapshots"][0]["states"]
        .as_object()
        .map_or(0, |m| m.len());
    if v["states"] != "svg" || v["bars"] != nstates {
        bad.push(format!(
            "#states is {} with {} g.bar, the JSON has {nstates} states",
            v["states"], v["bars"]
        ));
    }
    // Wait-for graph.
    let jnodes: BTreeSet<&str> = r.json["graph"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n["id"].as_str())
        .collect();
    let hnodes: Vec<&str> = v["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    if jnodes.is_empty() {
        if v["graphEmpty"] != true || !hnodes.is_empty() {
            bad.push(format!(
                "no graph in the JSON: #wait-graph should hold a p.empty (it is {}, {} g.node)",
                v["waitGraph"],
                hnodes.len()
            ));
        }
    } else {
        if v["waitGraph"] != "svg" || hnodes.is_empty() {
            bad.push(format!(
                "the JSON graph has {} nodes: #wait-graph is {} with {} g.node",
                jnodes.len(),
                v["waitGraph"],
                hnodes.len()
            ));
        }
        if !hnodes.iter().any(|n| jnodes.contains(n)) {
            bad.push(format!(
                "no g.node data-id is a JSON graph node id ({hnodes:?})"
            ));
        }
        if !r.json["graph"]["edges"]
            .as_array()
            .is_none_or(Vec::is_empty)
            && v["edges"] == 0
        {
            bad.push("the JSON graph has edges, #wait-graph has no path.edge/line.edge".into());
        }
    }
    let cycle = graph_has_cycle(&r.json);
    if r.json["inputs"][0]["source"]
        .as_str()
        .is_some_and(|s| s.contains("lock-order-deadlock"))
        && v["anyCycle"] == 0
    {
        bad.push("lock-order-deadlock: no .cycle in #wait-graph".into());
    }
    let marked = v["cycleNodes"].as_u64().unwrap() + v["cycleEdges"].as_u64().unwrap();
    if cycle && (v["cycleNodes"] == 0 || v["cycleEdges"] == 0) {
        bad.push(format!(
            "the JSON graph has a cycle: {} g.node.cycle, {} .edge.cycle",
            v["cycleNodes"], v["cycleEdges"]
        ));
    }
    if !cycle && marked > 0 {
        bad.push(format!(
            "the JSON graph has no cycle, yet {marked} elements have class cycle"
        ));
    }
    // Creation tree.
    let created = r.groups().iter().any(|g| g["created_by"].is_object());
    if v["creation"] != true || (created && v["sites"] == 0) {
        bad.push(format!(
            "#creation missing or without li.site ({} sites; groups have creators: {created})",
            v["sites"]
        ));
    }
    // Groups table.
    if v["groupsTable"] != "table" {
        bad.push(format!("#groups is {}, not a table", v["groupsTable"]));
    }
    let rows = v["rows"].as_array().unwrap();
    let want_rows = r.groups_total().min(PAGE_ROWS);
    if rows.len() != want_rows {
        bad.push(format!(
            "{} tbody tr.group, want {want_rows} (groups_total {})",
            rows.len(),
            r.groups_total()
        ));
    }
    let ids: BTreeSet<&str> = rows.iter().filter_map(|p| p[0].as_str()).collect();
    let jids: BTreeSet<&str> = r
        .groups()
        .iter()
        .take(PAGE_ROWS)
        .filter_map(|g| g["id"].as_str())
        .collect();
    if r.groups_total() <= PAGE_ROWS && ids != jids {
        bad.push(format!("row data-ids {ids:?}, JSON group ids {jids:?}"));
    }
    for p in rows {
        match p[1].as_str() {
            Some(l) if nodes.contains(l) => {}
            l => bad.push(format!("row {}: data-leaf {l:?} is no g.frame", p[0])),
        }
    }
    let (shown, total) = parse_count(v["count"].as_str().unwrap());
    if shown != r.groups_total() || total != r.groups_total() {
        bad.push(format!(
            "#groups-count says {shown} of {total}, the JSON has {}",
            r.groups_total()
        ));
    }
    if !v["controls"].as_array().unwrap().is_empty() {
        bad.push(format!("missing controls: {}", v["controls"]));
    }
    if v["sortable"] == 0 {
        bad.push("no th[data-sort]".into());
    }
    // Layout: the page itself never scrolls sideways (wide drawings scroll
    // in their own box).
    if v["scrollWidth"].as_u64() > v["innerWidth"].as_u64() {
        bad.push(format!(
            "the page is {}px wide in a {}px window",
            v["scrollWidth"], v["innerWidth"]
        ));
    }
    bad
}

#[test]
fn every_sample_renders_without_errors() {
    let Some(chrome) = chrome("every_sample_renders_without_errors") else {
        return;
    };
    let dir = TempDir::new("samples");
    let samples = all_samples();
    for must in [
        "lock-order-deadlock",
        "goroutine-explosion",
        "crash-nil-pointer",
        "lock-convoy",
    ] {
        assert!(
            samples.iter().any(|s| s.contains(must)),
            "sample {must} missing"
        );
    }
    let mut problems = Vec::new();
    let page = chrome.tab(true);
    for (i, s) in samples.iter().enumerate() {
        let r = generate(&dir, &format!("r{i}"), s);
        page.goto(&r.html);
        let mut bad = check_page(&page, &r);
        bad.extend(page.problems());
        problems.extend(bad.into_iter().map(|b| format!("{s}: {b}")));
    }
    assert!(
        problems.is_empty(),
        "{} problems over {} samples:\n  {}",
        problems.len(),
        samples.len(),
        problems.join("\n  ")
    );
}

#[test]
fn heap_pages_render_without_errors() {
    let Some(chrome) = chrome("heap_pages_render_without_errors") else {
        return;
    };
    let dir = TempDir::new("heaps");
    let page = chrome.tab(true);
    let mut problems = Vec::new();
    for (i, s) in [
        "samples/go/cache-never-evicts/pprof/heap.pb.gz",
        "samples/go/healthy-service/pprof/heap-debug1.txt",
        "samples/native/jemalloc-cache/jeprof.2.heap",
        "samples/native/dhat-cache/dhat-heap.json",
    ]
    .iter()
    .enumerate()
    {
        let r = generate(&dir, &format!("h{i}"), s);
        page.goto(&r.html);
        let v = page.eval(
            r#"const q = (s) => [...document.querySelectorAll(s)];
            return {
              frames: q('svg.heapflame g.frame').map((g) => !!g.querySelector('rect') && !!g.querySelector('title')),
              rows: q('table.heaptop tbody tr').length,
              sections: q('section.heap').length,
            };"#,
        );
        let functions = r.json["heap"][0]["functions"]
            .as_array()
            .map_or(0, Vec::len);
        if v["sections"] != 1 {
            problems.push(format!("{s}: {} heap sections", v["sections"]));
        }
        if v["rows"].as_u64() != Some(functions.min(25) as u64) {
            problems.push(format!(
                "{s}: {} table rows for {functions} functions",
                v["rows"]
            ));
        }
        let frames = v["frames"].as_array().cloned().unwrap_or_default();
        if frames.len() < 2 || frames.iter().any(|f| f != true) {
            problems.push(format!("{s}: flame graph frames {frames:?}"));
        }
        problems.extend(page.problems().into_iter().map(|p| format!("{s}: {p}")));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// ---------------------------------------------------------------------------
// b) search, filters, sorting.

/// The sample with the most groups among a few varied ones.
const MANY_GROUPS: &str = "samples/go/healthy-service/all.txt";

#[test]
fn search_filters_the_groups() {
    let Some(chrome) = chrome("search_filters_the_groups") else {
        return;
    };
    let dir = TempDir::new("search");
    let r = generate(&dir, "r", MANY_GROUPS);
    let groups = r.groups();
    let n = groups.len();
    assert!(n >= 3, "{MANY_GROUPS}: {n} groups, too few to search");
    // A function name in some groups but not all; of those, the one that
    // matches (as a substring of any searched field) the most groups.
    let mut names: BTreeSet<String> = BTreeSet::new();
    for g in groups {
        names.extend(functions(g));
    }
    let pick = names
        .iter()
        .map(|f| {
            let q = f.to_lowercase();
            let holds = groups.iter().filter(|g| functions(g).contains(f)).count();
            let hits = groups.iter().filter(|g| searchable(g).contains(&q)).count();
            (f, holds, hits)
        })
        .filter(|&(_, holds, hits)| holds > 0 && hits < n)
        .max_by_key(|&(f, _, hits)| (hits, std::cmp::Reverse(f.clone())))
        .expect("a function in some groups only");
    let (name, _, _) = pick;
    let must: BTreeSet<&str> = groups
        .iter()
        .filter(|g| functions(g).contains(name))
        .filter_map(|g| g["id"].as_str())
        .collect();
    let may: BTreeSet<&str> = groups
        .iter()
        .filter(|g| searchable(g).contains(&name.to_lowercase()))
        .filter_map(|g| g["id"].as_str())
        .collect();

    let page = chrome.open(&r.html, true);
    let before = page.visible_rows().len();
    assert_eq!(before, n, "rows before searching");
    eprintln!("searching {name:?}: held by {must:?}, in the text of {may:?}");
    page.type_keys("#group-search", name);
    let rows = page.visible_rows();
    let ids: BTreeSet<&str> = rows.iter().map(|(id, _)| id.as_str()).collect();
    assert!(
        !rows.is_empty() && rows.len() < before,
        "searching {name:?}: {} visible rows of {before}",
        rows.len()
    );
    assert!(
        must.is_subset(&ids),
        "searching {name:?}: groups {must:?} hold it, visible are {ids:?}"
    );
    assert!(
        ids.is_subset(&may),
        "searching {name:?}: visible {ids:?}, only {may:?} contain it"
    );
    assert_eq!(
        page.groups_count(),
        (rows.len(), n),
        "#groups-count after search"
    );
    // Every visible row, its stack open, shows the text.
    let shown = page.eval(
        "const rows = [...document.querySelectorAll('#groups tbody tr.group')]
           .filter(r => r.getClientRects().length > 0);
         rows.forEach(r => r.querySelectorAll('details').forEach(d => { d.open = true; }));
         await new Promise(r => setTimeout(r, 50));
         return rows.map(r => [r.getAttribute('data-id'), r.textContent]);",
    );
    for p in shown.as_array().unwrap() {
        let text = p[1].as_str().unwrap_or("");
        assert!(
            text.to_lowercase().contains(&name.to_lowercase()),
            "searching {name:?}: row {} (stack open) does not show it: {text:?}",
            p[0]
        );
    }
    page.clear("#group-search");
    assert_eq!(
        page.eval("return document.getElementById('group-search').value"),
        "",
        "the search field did not clear"
    );
    assert_eq!(page.visible_rows().len(), before, "rows after clearing");
    assert_eq!(page.groups_count(), (n, n));

    // The state filter keeps one state.
    let state = groups[0]["state"].as_str().unwrap();
    let want = groups.iter().filter(|g| g["state"] == state).count();
    let sel = serde_json::to_string(state).unwrap();
    page.eval(&format!(
        "const s = document.getElementById('filter-state');
         s.value = {sel};
         s.dispatchEvent(new Event('change', {{ bubbles: true }}));
         return s.value"
    ));
    page.settle();
    assert_eq!(
        page.visible_rows().len(),
        want,
        "filter-state {state:?}: rows"
    );
    page.eval(
        "const s = document.getElementById('filter-state');
         s.value = ''; s.dispatchEvent(new Event('change', { bubbles: true })); return 0",
    );
    page.settle();
    assert_eq!(page.visible_rows().len(), n, "filter-state cleared");

    // A sortable header reverses the order on its second click.
    page.click("#groups th[data-sort='id']");
    let once: Vec<String> = page.visible_rows().into_iter().map(|r| r.0).collect();
    page.click("#groups th[data-sort='id']");
    let mut twice: Vec<String> = page.visible_rows().into_iter().map(|r| r.0).collect();
    twice.reverse();
    assert_eq!(once, twice, "sorting by id twice should reverse the rows");
    page.assert_clean(MANY_GROUPS);
}

// ---------------------------------------------------------------------------
// c) icicle click.

#[test]
fn flame_click_filters_the_groups() {
    let Some(chrome) = chrome("flame_click_filters_the_groups") else {
        return;
    };
    let dir = TempDir::new("flame");
    let r = generate(&dir, "r", MANY_GROUPS);
    let page = chrome.open(&r.html, true);
    let total = page.visible_rows().len();
    // For each frame, the rows whose leaf is at or below it. Pick a frame
    // that holds some rows but not all, preferring one that holds a row
    // whose leaf lies strictly below it (so the filter must walk down the
    // tree), then the widest.
    let pick = page.eval(
        "const par = {};
         const frames = [...document.querySelectorAll('#flame g.frame')];
         frames.forEach(g => { par[g.getAttribute('data-node')] = g.getAttribute('data-parent'); });
         const leaves = [...document.querySelectorAll('#groups tbody tr.group')].map(r => r.getAttribute('data-leaf'));
         const under = (leaf, n) => { for (let v = leaf; v !== null && v !== undefined; v = par[v]) { if (v === n) return true; } return false; };
         let best = null;
         for (const g of frames) {
           const n = g.getAttribute('data-node');
           if (g.getAttribute('data-parent') === null) continue;
           const held = leaves.filter(l => under(l, n));
           const deep = held.some(l => l !== n);
           const w = g.querySelector('rect').getBoundingClientRect().width;
           if (held.length > 0 && held.length < leaves.length &&
               (!best || deep > best.deep || (deep === best.deep && w > best.w))) {
             best = { node: n, k: held.length, deep, w, title: (g.querySelector('title') || {}).textContent || '' };
           }
         }
         return best;",
    );
    assert!(
        !pick.is_null(),
        "no icicle frame holds some but not all groups"
    );
    assert_eq!(
        pick["deep"], true,
        "no icicle frame holds a group whose leaf lies below it: {pick}"
    );
    let node = pick["node"].as_str().unwrap().to_string();
    eprintln!("clicking icicle frame {pick}");
    let k = pick["k"].as_u64().unwrap() as usize;
    page.click(&format!("#flame g.frame[data-node='{node}'] rect"));
    let rows = page.visible_rows();
    assert_eq!(
        rows.len(),
        k,
        "after clicking frame {node} ({}): visible rows",
        pick["title"]
    );
    assert!(rows.len() < total);
    let node_js = serde_json::to_string(&node).unwrap();
    let outside = page.eval(&format!(
        "const par = {{}};
         document.querySelectorAll('#flame g.frame').forEach(g => {{ par[g.getAttribute('data-node')] = g.getAttribute('data-parent'); }});
         const under = (leaf) => {{ for (let v = leaf; v !== null && v !== undefined; v = par[v]) {{ if (v === {node_js}) return true; }} return false; }};
         return [...document.querySelectorAll('#groups tbody tr.group')]
           .filter(r => r.getClientRects().length > 0 && !under(r.getAttribute('data-leaf')))
           .map(r => r.getAttribute('data-id'));"
    ));
    assert_eq!(
        outside,
        Value::Array(vec![]),
        "rows outside frame {node} stay visible"
    );
    assert_eq!(
        page.groups_count(),
        (k, total),
        "#groups-count after the click"
    );
    let shown = page.eval(
        "const f = document.getElementById('flame-filter');
         return f && f.getClientRects().length > 0 && !f.hidden ? f.textContent : null",
    );
    let name = pick["title"]
        .as_str()
        .unwrap()
        .split(" \u{2014} ")
        .next()
        .unwrap()
        .trim()
        .to_string();
    assert!(
        shown.as_str().is_some_and(|t| t.contains(&name)),
        "#flame-filter should show {name:?}, shows {shown}"
    );
    page.click("#flame-clear");
    assert_eq!(page.visible_rows().len(), total, "rows after #flame-clear");
    assert_eq!(page.groups_count(), (total, total));
    assert_eq!(
        page.eval(
            "const f = document.getElementById('flame-filter'); return f.getClientRects().length > 0"
        ),
        false,
        "#flame-filter still shown after clearing"
    );
    page.assert_clean(MANY_GROUPS);
}

// ---------------------------------------------------------------------------
// d) goroutine lookup.

#[test]
fn goroutine_lookup_names_the_group() {
    let Some(chrome) = chrome("goroutine_lookup_names_the_group") else {
        return;
    };
    let dir = TempDir::new("lookup");
    let page = chrome.tab(true);
    for (i, sample) in [
        MANY_GROUPS,
        "samples/go/lock-convoy/all.txt",
        "samples/go/goroutine-explosion/all.txt",
    ]
    .into_iter()
    .enumerate()
    {
        let r = generate(&dir, &format!("r{i}"), sample);
        page.goto(&r.html);
        let groups = r.groups();
        if groups.len() > 2 {
            let g = &groups[2];
            let gid = g["id"].as_str().unwrap();
            let ids: Vec<u64> = g["task_ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap())
                .collect();
            // Typed and Enter.
            let first = ids[0].to_string();
            page.type_keys("#goroutine-lookup", &first);
            page.tab.press_key("Enter").unwrap();
            page.settle();
            let res = page.text("#goroutine-result");
            assert!(
                names_group(&res, gid),
                "{sample}: goroutine {first} (Enter): #goroutine-result reads {res:?}, want group {gid}"
            );
            // Typed and the button.
            let last = ids[ids.len() - 1].to_string();
            page.type_into("#goroutine-lookup", &last);
            page.click("#goroutine-go");
            let res = page.text("#goroutine-result");
            assert!(
                names_group(&res, gid),
                "{sample}: goroutine {last} (button): #goroutine-result reads {res:?}, want group {gid}"
            );
        }
        // An id no group holds.
        let max = groups
            .iter()
            .flat_map(|g| g["task_ids"].as_array().unwrap())
            .filter_map(Value::as_u64)
            .max()
            .unwrap_or(0);
        let missing = (max + 1_000_003).to_string();
        page.type_into("#goroutine-lookup", &missing);
        page.click("#goroutine-go");
        let res = page.text("#goroutine-result");
        assert!(
            res.contains("not found"),
            "{sample}: goroutine {missing}: #goroutine-result reads {res:?}, want 'not found'"
        );
        // Every goroutine of every group, through the same field and button.
        let want: Vec<(u64, String)> = groups
            .iter()
            .flat_map(|g| {
                let gid = g["id"].as_str().unwrap().to_string();
                g["task_ids"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(move |t| (t.as_u64().unwrap(), gid.clone()))
            })
            .collect();
        let got = page.eval(&format!(
            "const input = document.getElementById('goroutine-lookup');
             const go = document.getElementById('goroutine-go');
             const out = document.getElementById('goroutine-result');
             return {}.map(id => {{ input.value = String(id); go.click(); return out.textContent; }});",
            serde_json::to_string(&want.iter().map(|w| w.0).collect::<Vec<_>>()).unwrap()
        ));
        let wrong: Vec<String> = want
            .iter()
            .zip(got.as_array().unwrap())
            .filter(|((_, gid), res)| !names_group(res.as_str().unwrap_or(""), gid))
            .take(5)
            .map(|((id, gid), res)| format!("goroutine {id} (group {gid}): {res}"))
            .collect();
        assert!(
            wrong.is_empty(),
            "{sample}: the lookup names the wrong group for {} goroutines, e.g.\n  {}",
            want.iter()
                .zip(got.as_array().unwrap())
                .filter(|((_, gid), res)| !names_group(res.as_str().unwrap_or(""), gid))
                .count(),
            wrong.join("\n  ")
        );
        page.assert_clean(sample);
    }
}

// ---------------------------------------------------------------------------
// e) JavaScript off.

#[test]
fn findings_and_groups_read_without_javascript() {
    let Some(chrome) = chrome("findings_and_groups_read_without_javascript") else {
        return;
    };
    let dir = TempDir::new("nojs");
    let page = chrome.tab(false);
    for (i, sample) in [
        "samples/go/lock-order-deadlock/all.txt",
        "samples/go/goroutine-explosion/all.txt",
        MANY_GROUPS,
    ]
    .into_iter()
    .enumerate()
    {
        let r = generate(&dir, &format!("r{i}"), sample);
        page.goto(&r.html);
        assert_eq!(
            page.eval("return document.getElementById('ds-data') !== null"),
            true
        );
        assert_eq!(
            page.count("#findings details.finding"),
            r.real_findings().len(),
            "{sample}: findings without JavaScript"
        );
        // A healthy service has only info findings, folded into one line.
        assert!(
            r.real_findings().is_empty()
                || page.count("#findings details.finding:first-of-type pre.stack, #f1 pre.stack")
                    > 0,
            "{sample}: no pre.stack in the first finding without JavaScript"
        );
        let rows = page.visible_rows();
        assert_eq!(
            rows.len(),
            r.groups_total().min(PAGE_ROWS),
            "{sample}: static group rows"
        );
        let ids: BTreeSet<&str> = rows.iter().map(|(id, _)| id.as_str()).collect();
        let jids: BTreeSet<&str> = r.groups().iter().filter_map(|g| g["id"].as_str()).collect();
        assert_eq!(ids, jids, "{sample}: static group rows");
        // The stacks are there to open.
        assert!(page.count("#groups tbody tr.group details pre.stack") > 0);
        page.assert_clean(sample);
    }
}

// ---------------------------------------------------------------------------
// f) a hostile dump.

#[test]
fn hostile_dump_stays_text() {
    let Some(chrome) = chrome("hostile_dump_stays_text") else {
        return;
    };
    let dir = TempDir::new("hostile");
    let input = dir.0.join("hostile.txt");
    std::fs::write(&input, common::hostile_dump()).unwrap();
    let r = generate(&dir, "r", input.to_str().unwrap());
    let html = std::fs::read_to_string(&r.html).unwrap();
    let emitted = html.to_ascii_lowercase().matches("<script").count();
    assert_eq!(
        emitted, 2,
        "the report should hold exactly two <script elements (data and code)"
    );
    for (js, what) in [(true, "JavaScript on"), (false, "JavaScript off")] {
        let page = chrome.open(&r.html, js);
        assert_eq!(
            page.count("script"),
            emitted,
            "{what}: script elements in the page"
        );
        assert_eq!(page.count("img, iframe, object, embed, frame"), 0, "{what}");
        let handlers = page.eval(
            "return [...document.querySelectorAll('*')].flatMap(e =>
               [...e.attributes].filter(a => /^on/i.test(a.name)).map(a => e.tagName + ' ' + a.name))",
        );
        assert_eq!(
            handlers,
            Value::Array(vec![]),
            "{what}: event handler attributes"
        );
        let text = page
            .eval("return document.body.innerText")
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            text.contains("</script>"),
            "{what}: the hostile text is not shown as text"
        );
        assert!(text.contains("<img src=x onerror=alert(2)>"), "{what}");
        page.assert_clean(what);
        if js {
            // Search for the hostile text too: rows stay text.
            page.type_into("#group-search", "<svg");
            assert!(!page.visible_rows().is_empty(), "searching '<svg'");
            page.assert_clean("hostile search");
        }
    }
}

// ---------------------------------------------------------------------------
// Paging, on a dump with more groups than a page.

/// A dump of `n` goroutines with `n` different stacks.
fn many_groups_dump(n: usize) -> String {
    let mut s =
        String::from("goroutine 1 [running]:\nmain.main()\n\t/home/build/app/main.go:12 +0x1d\n\n");
    for i in 0..n {
        s.push_str(&format!(
            "goroutine {} [chan receive, {} minutes]:\nmain.worker{i:03}(0xc000020000)\n\t/home/build/app/w{i:03}.go:9 +0x2a\ncreated by main.main in goroutine 1\n\t/home/build/app/main.go:22 +0x3c\n\n",
            10 + i,
            i % 7 + 1
        ));
    }
    s
}

#[test]
fn pager_pages_through_the_groups() {
    let Some(chrome) = chrome("pager_pages_through_the_groups") else {
        return;
    };
    let dir = TempDir::new("pager");
    let input = dir.0.join("many.txt");
    std::fs::write(&input, many_groups_dump(130)).unwrap();
    let r = generate(&dir, "r", input.to_str().unwrap());
    let total = r.groups_total();
    assert!(total > PAGE_ROWS, "{total} groups, want more than a page");
    let page = chrome.open(&r.html, true);
    assert_eq!(page.visible_rows().len(), PAGE_ROWS, "first page");
    assert_eq!(page.groups_count(), (total, total));
    assert!(page.count("#groups-pager button.next") == 1);
    page.click("#groups-pager button.next");
    let second: BTreeSet<String> = page.visible_rows().into_iter().map(|r| r.0).collect();
    assert_eq!(second.len(), total - PAGE_ROWS, "second page");
    page.click("#groups-pager button.prev");
    let first: BTreeSet<String> = page.visible_rows().into_iter().map(|r| r.0).collect();
    assert_eq!(first.len(), PAGE_ROWS, "back to the first page");
    assert!(first.is_disjoint(&second), "the pages overlap");
    page.assert_clean("pager");
    drop(page);
    let page = chrome.open(&r.html, false);
    assert_eq!(
        page.visible_rows().len(),
        PAGE_ROWS,
        "without JavaScript the first page is in the HTML"
    );
    page.assert_clean("pager, JavaScript off");
}

// ---------------------------------------------------------------------------
// g) screenshots.

#[test]
fn screenshots() {
    let Some(chrome) = chrome("screenshots") else {
        return;
    };
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| common::root().join("target"));
    let out = target.join("browser-screenshots");
    std::fs::create_dir_all(&out).unwrap();
    let dir = TempDir::new("shots");
    for name in ["lock-order-deadlock", "goroutine-explosion"] {
        let r = generate(&dir, name, &format!("samples/go/{name}/all.txt"));
        let page = chrome.open(&r.html, true);
        let path = out.join(format!("{name}.png"));
        page.screenshot(&path);
        assert!(
            std::fs::metadata(&path).unwrap().len() > 10_000,
            "{name}: tiny screenshot"
        );
        page.assert_clean(name);
    }
}

/// Where the wait-for graph's nodes and labels are once laid out: problems
/// (a label wider than its box, a node outside the visible frame, a frame
/// wider than the page), whether the frame scrolls, and the drawing's width.
const GRAPH_FIT: &str = r#"const frame = document.querySelector('.graph-frame');
const svg = document.querySelector('#wait-graph');
const page = document.documentElement.clientWidth;
const fb = frame.getBoundingClientRect();
const problems = [];
if (fb.left < -0.5 || fb.right > page + 0.5)
  problems.push('frame spans ' + fb.left + '..' + fb.right + ', the page is ' + page + ' wide');
const scrolls = frame.scrollWidth > frame.clientWidth + 1;
const nodes = [...document.querySelectorAll('#wait-graph .node')];
for (const g of nodes) {
  const r = g.querySelector('rect').getBoundingClientRect();
  const t = g.querySelector('text');
  const tb = t.getBoundingClientRect();
  if (tb.width < 1) problems.push('label of ' + g.dataset.id + ' not drawn');
  if (tb.left < r.left - 0.5 || tb.right > r.right + 0.5)
    problems.push('label "' + t.textContent + '" (' + tb.left + '..' + tb.right +
      ') leaves its box (' + r.left + '..' + r.right + ')');
  if (!scrolls && (r.left < fb.left - 0.5 || r.right > fb.right + 0.5 || r.width < 1))
    problems.push('node ' + g.dataset.id + ' (' + r.left + '..' + r.right +
      ') outside the frame (' + fb.left + '..' + fb.right + ')');
}
return { problems, scrolls, nodes: nodes.length, width: svg.getBoundingClientRect().width };"#;

#[test]
fn wait_graph_fits_its_frame_at_every_width() {
    let Some(chrome) = chrome("wait_graph_fits_its_frame_at_every_width") else {
        return;
    };
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| common::root().join("target"));
    let out = target.join("browser-screenshots");
    std::fs::create_dir_all(&out).unwrap();
    let dir = TempDir::new("graph-fit");
    // Two goroutines deadlocked (four boxes in a row), and two Java
    // deadlocks whose one part is wider than any page.
    for (name, input) in [
        ("lock-order", "samples/go/lock-order-deadlock/all.txt"),
        (
            "java-monitors",
            "samples/java/monitor-deadlock/jstack-l.txt",
        ),
    ] {
        let r = generate(&dir, name, input);
        let page = chrome.open(&r.html, true);
        for width in [1400, 1280, 1024, 800, 480] {
            page.screenshot_at(&out.join(format!("graph-{name}-{width}.png")), width);
            page.set_width(width);
            page.settle();
            let fit = page.eval(GRAPH_FIT);
            let problems: Vec<&str> = fit["problems"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(Value::as_str)
                .collect();
            assert!(problems.is_empty(), "{name} at {width} px: {problems:#?}");
            assert!(fit["nodes"].as_u64().unwrap() >= 4, "{name}: {fit}");
            // Wherever the page leaves the drawing a legible width, every
            // node is in view without scrolling.
            if width >= 800 {
                assert_eq!(
                    fit["scrolls"],
                    Value::Bool(false),
                    "{name} at {width} px: {fit}"
                );
            }
        }
        page.assert_clean(name);
    }
}

// ---------------------------------------------------------------------------
// The harness itself: it must see what it is there to catch.

#[test]
fn harness_sees_errors_and_dialogs() {
    let Some(chrome) = chrome("harness_sees_errors_and_dialogs") else {
        return;
    };
    let dir = TempDir::new("harness");
    let page_path = dir.0.join("bad.html");
    std::fs::write(
        &page_path,
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         script-src 'unsafe-inline'; img-src 'none'; style-src 'none'\">\
         </head><body><p style=\"color: red\">styled</p>\
         <img src=\"data:image/gif;base64,R0lGODlhAQABAAAAACw=\">\
         <script>console.error('boom-console'); alert('boom-alert');\
         setTimeout(() => { throw new Error('boom-throw'); }, 0);</script>\
         </body></html>",
    )
    .unwrap();
    let has = |p: &[String], all: &[&str]| p.iter().any(|l| all.iter().all(|w| l.contains(w)));
    let page = chrome.open(&page_path, true);
    let p = page.problems();
    for want in [
        &["error: console.Error", "boom-console"][..],
        &["error: uncaught exception", "boom-throw"],
        &["error: log error (Security)", "style-src"],
        &["error: log error (Security)", "img-src"],
        &["error: CSP violation: style-src"],
        &["dialog: alert(boom-alert)"],
    ] {
        assert!(has(&p, want), "JavaScript on: no {want:?} in {p:#?}");
    }
    // With JavaScript off the script does not run, and the protocol's log
    // still reports the CSP violations.
    let page = chrome.open(&page_path, false);
    let p = page.problems();
    assert!(
        has(&p, &["error: log error (Security)", "style-src"]),
        "{p:#?}"
    );
    assert!(
        !has(&p, &["boom"]),
        "JavaScript off, yet the script ran: {p:#?}"
    );
}
