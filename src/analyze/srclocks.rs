//! Locks named in the sources of C, C++, Rust and Python frames, for the
//! runtimes whose dumps print no lock addresses (eu-stack, tokio task dumps,
//! py-spy, faulthandler) or print them without owners: which lock a frame's
//! line acquires (`pthread_mutex_lock(&orders)`, `std::lock_guard<...>
//! g(orders)`, `ORDERS.lock()`, `inventory.lock().await`, `with orders:`,
//! `orders.acquire()`), and which locks the function took above that line
//! and still holds there (not released, the guard's block or the `with`
//! block still open).
//!
//! Only locks whose expression is not rooted at a parameter of the function
//! (nor `self`/`this`) are named: a global or static lock is the same object
//! in every thread; `from->lock` is not.

use crate::model::{Snapshot, Sym};
use regex::Regex;
use std::sync::OnceLock;

/// How far up from a frame's line the function header is looked for.
const MAX_FUNC_LINES: usize = 400;

/// A lock taken above a frame's line and still held there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldLock {
    /// The lock's name as the source writes it (`orders`, `INVENTORY`).
    pub name: String,
    /// 1-based line where it was taken.
    pub line: u32,
}

/// Python sources are scoped by indentation, the others by braces.
fn is_python(path: &str) -> bool {
    path.ends_with(".py")
}

fn acquire_res() -> &'static [Regex; 5] {
    static RE: OnceLock<[Regex; 5]> = OnceLock::new();
    RE.get_or_init(|| {
        let expr = r"([A-Za-z_][\w.:\[\]]*(?:->[\w.\[\]]+)*)";
        [
            Regex::new(&format!(
                r"pthread_(?:mutex_(?:lock|timedlock|clocklock)|rwlock_(?:wr|rd|timedwr|timedrd)lock|spin_lock)\s*\(\s*&?\s*{expr}"
            )),
            Regex::new(&format!(
                r"(?:lock_guard|unique_lock|scoped_lock|shared_lock)\s*(?:<[^>]*>)?\s*[A-Za-z_]\w*\s*[({{]\s*{expr}\s*[)}},]"
            )),
            Regex::new(&format!(r"{expr}\s*\.\s*(?:lock|write)\s*\(\s*\)")),
            Regex::new(&format!(r"{expr}\s*\.\s*acquire\s*\(")),
            Regex::new(&format!(r"^\s*(?:async\s+)?with\s+{expr}\s*(?:[:,]|\bas\b)")),
        ]
        .map(|re| re.expect("a valid literal regex"))
    })
}

fn let_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"\blet\s+(?:mut\s+)?(\w+)").expect("a valid literal regex"))
}

fn release_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"(?:pthread_(?:mutex|rwlock|spin)_unlock\s*\(\s*&?\s*([A-Za-z_][\w.:\[\]]*(?:->[\w.\[\]]+)*)|([A-Za-z_][\w.:\[\]]*(?:->[\w.\[\]]+)*)\s*\.\s*(?:unlock|release)\s*\(|drop\s*\(\s*(\w+)\s*\))",
        )
        .expect("a valid literal regex")
    })
}

fn header_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r#"^(?:\s*(?:async\s+)?def\s|\s*(?:pub(?:\([^)]*\))?\s+)?(?:const\s+)?(?:async\s+)?(?:unsafe\s+)?(?:extern\s+"[^"]*"\s+)?fn\s|[A-Za-z_][^;=]*\)\s*(?:const\s*)?(?:noexcept\s*)?(?:->[^{]*)?\{?\s*$)"#,
        )
        .expect("a valid literal regex")
    })
}

/// The code of a line, without a trailing comment.
fn code(line: &str, python: bool) -> &str {
    let cut = if python {
        line.find('#')
    } else {
        line.find("//")
    };
    cut.map_or(line, |i| &line[..i])
}

/// `&orders` / `self.x` / `::NAME` → the name; `None` for an expression
/// rooted at `self`, `this` or one of `params`.
fn global_name(expr: &str, header: &str) -> Option<String> {
    let expr = expr.trim_start_matches(['&', '*']).trim_start_matches("::");
    let root = expr
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .next()
        .unwrap_or("");
    if root.is_empty() || matches!(root, "self" | "this" | "cls") {
        return None;
    }
    // A parameter of the function names a different object per call.
    let word = Regex::new(&format!(r"\b{}\b", regex::escape(root))).ok()?;
    let params = header.split_once('(').map_or("", |(_, rest)| rest);
    if word.is_match(params) {
        return None;
    }
    Some(expr.to_string())
}

/// The lock expression line `text` acquires, with whether the lock is a
/// guard that only lives to the end of the statement (a Rust `.lock()` not
/// bound with `let`).
fn acquired_expr(text: &str, python: bool, rust: bool) -> Option<(String, bool, Option<String>)> {
    let code = code(text, python);
    // C, C++ and Rust forms for brace sources; `with` and `.acquire()` for
    // Python.
    let forms: &[usize] = if python { &[3, 4] } else { &[0, 1, 2] };
    for &index in forms {
        if let Some(caps) = acquire_res()[index].captures(code) {
            let expr = caps.get(1).map_or("", |m| m.as_str()).to_string();
            let guard = if rust {
                let_re()
                    .captures(code)
                    .and_then(|c| c.get(1))
                    .map(|m| m.as_str().to_string())
            } else {
                None
            };
            let temporary = rust && index == 2 && guard.is_none();
            return Some((expr, temporary, guard));
        }
    }
    None
}

/// The lock a frame's line acquires: its expression, and its name when it
/// is a global (`None` when rooted at a parameter or a local); `None` when
/// the line takes no lock.
pub fn acquired_at(lines: &[String], line: usize, path: &str) -> Option<(String, Option<String>)> {
    let python = is_python(path);
    let text = lines.get(line.checked_sub(1)?)?;
    let (expr, _, _) = acquired_expr(text, python, path.ends_with(".rs"))?;
    let start = function_start(lines, line, python)?;
    let name = global_name(&expr, &lines[start])
        .filter(|name| !assigned_locally(&lines[start + 1..line - 1], name));
    Some((expr, name))
}

/// Whether the root of `name` is a local of the function: bound by `for`,
/// `let`, `as` or an assignment in `body`.
fn assigned_locally(body: &[String], name: &str) -> bool {
    let root = name
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .next()
        .unwrap_or(name);
    let root = regex::escape(root);
    let Ok(local) = Regex::new(&format!(
        r"(?:\bfor\s+(?:\w+\s*,\s*)*{root}\b|\blet\s+(?:mut\s+)?{root}\b|\bas\s+{root}\b|(?:^|[^\w.])\b{root}\s*=[^=])"
    )) else {
        return false;
    };
    body.iter().any(|line| local.is_match(line))
}

/// The index of the header line of the function around 1-based `line`.
fn function_start(lines: &[String], line: usize, python: bool) -> Option<usize> {
    let frame = line.checked_sub(1)?;
    // A line past the end of the file (sources that changed since the dump,
    // or another file of the same name) names no function.
    let indent = indent_of(lines.get(frame)?);
    (frame.saturating_sub(MAX_FUNC_LINES)..frame)
        .rev()
        .find(|&i| {
            let l = &lines[i];
            let is_header = header_re().is_match(l) && !l.trim_start().starts_with('}');
            is_header && (!python || indent_of(l) < indent)
        })
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// The global locks taken in the function around 1-based `line` above it
/// and still held at it.
pub fn held_at(lines: &[String], line: usize, path: &str) -> Vec<HeldLock> {
    let python = is_python(path);
    let rust = path.ends_with(".rs");
    let Some(start) = function_start(lines, line, python) else {
        return Vec::new();
    };
    let frame = line - 1;
    let mut held = Vec::new();
    for taken in start + 1..frame {
        let text = &lines[taken];
        let Some((expr, temporary, guard)) = acquired_expr(text, python, rust) else {
            continue;
        };
        if temporary {
            continue;
        }
        let Some(name) = global_name(&expr, &lines[start]) else {
            continue;
        };
        if assigned_locally(&lines[start + 1..taken], &name) {
            continue;
        }
        let with_block = python && text.trim_start().starts_with("with");
        if still_held(
            lines,
            taken,
            frame,
            &expr,
            guard.as_deref(),
            python,
            with_block,
        ) {
            held.push(HeldLock {
                name,
                line: taken as u32 + 1,
            });
        }
    }
    held
}

/// Whether the lock `expr` taken at line index `taken` is still held at line
/// index `frame`: not released in between, and its block still open.
fn still_held(
    lines: &[String],
    taken: usize,
    frame: usize,
    expr: &str,
    guard: Option<&str>,
    python: bool,
    with_block: bool,
) -> bool {
    let base = indent_of(&lines[taken]);
    let mut depth: i64 = 0;
    for text in &lines[taken + 1..=frame] {
        let code = code(text, python);
        if python {
            if with_block && !code.trim().is_empty() && indent_of(text) <= base {
                return false;
            }
        } else {
            for c in code.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                if depth < 0 {
                    return false;
                }
            }
        }
        for caps in release_re().captures_iter(code) {
            let released = caps
                .get(1)
                .or(caps.get(2))
                .map(|m| m.as_str().trim_start_matches(['&', '*']));
            if released == Some(expr.trim_start_matches(['&', '*'])) {
                return false;
            }
            if let (Some(dropped), Some(guard)) = (caps.get(3), guard) {
                if dropped.as_str() == guard {
                    return false;
                }
            }
        }
    }
    true
}

/// Whether two lock names denote the same global: equal once a Rust
/// symbol's hash is cut (`main::ORDERS::h9e4a...`), or one is the other's
/// path tail (`lock_order::ORDERS` and `ORDERS`).
pub fn same_lock(a: &str, b: &str) -> bool {
    let (a, b) = (unhashed(a), unhashed(b));
    a == b
        || a.strip_suffix(b).is_some_and(|head| head.ends_with("::"))
        || b.strip_suffix(a).is_some_and(|head| head.ends_with("::"))
}

/// A Rust symbol without its trailing `::h<16 hex digits>`.
pub fn unhashed(name: &str) -> &str {
    match name.rsplit_once("::h") {
        Some((head, hash)) if hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
            head
        }
        _ => name,
    }
}

/// The 64-bit key of a lock known by name only.
pub fn name_key(name: &str) -> u64 {
    // FNV-1a: stable across runs, so keys compare between dumps.
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The path of a frame's file, as the dump prints it.
pub fn file_path(snap: &Snapshot, file: Sym) -> &str {
    snap.tables.str(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(s: &str) -> Vec<String> {
        s.lines().map(str::to_string).collect()
    }

    fn name_at(lines: &[String], line: usize, path: &str) -> Option<String> {
        acquired_at(lines, line, path).and_then(|(_, name)| name)
    }

    #[test]
    fn a_line_past_the_end_of_the_file_holds_nothing() {
        let lines = src("void work(void) {\n    pthread_mutex_lock(&orders);\n    pthread_mutex_lock(&inventory);\n}\n");
        assert_eq!(held_at(&lines, 3, "main.c").len(), 1);
        for line in [0, 5, 6, 500, usize::MAX] {
            assert!(held_at(&lines, line, "main.c").is_empty(), "line {line}");
            assert_eq!(name_at(&lines, line, "main.c"), None, "line {line}");
        }
    }

    #[test]
    fn c_locks_held_until_unlocked() {
        let lines = src("pthread_mutex_t orders;\nstatic void *restock(void *arg) {\n  pthread_mutex_lock(&inventory);\n  stock += 10;\n  pthread_mutex_lock(&orders); /* blocks */\n  pthread_mutex_unlock(&orders);\n}\nvoid f(struct a *from) {\n  pthread_mutex_lock(&from->lock);\n  g();\n}\n");
        assert_eq!(name_at(&lines, 5, "main.c").as_deref(), Some("orders"));
        let held = held_at(&lines, 5, "main.c");
        assert_eq!(held.len(), 1);
        assert_eq!(held[0].name, "inventory");
        assert_eq!(held[0].line, 3);
        assert!(held_at(&lines, 7, "main.c")
            .iter()
            .all(|h| h.name != "orders"));
        // a lock rooted at a parameter is a different object per call
        assert!(held_at(&lines, 10, "main.c").is_empty());
        assert_eq!(name_at(&lines, 9, "main.c"), None);
        assert!(acquired_at(&lines, 9, "main.c").is_some());
    }

    #[test]
    fn cpp_guards_end_with_their_block() {
        let lines = src("static void place_order() {\n  {\n    std::lock_guard<std::mutex> g(audit);\n  }\n  std::lock_guard<std::mutex> order_guard(orders);\n  std::lock_guard<std::mutex> stock_guard(inventory); // blocks\n}\n");
        let held = held_at(&lines, 6, "main.cpp");
        assert_eq!(
            held.iter().map(|h| h.name.as_str()).collect::<Vec<_>>(),
            vec!["orders"]
        );
        assert_eq!(name_at(&lines, 6, "main.cpp").as_deref(), Some("inventory"));
    }

    #[test]
    fn rust_guards_bound_with_let() {
        let lines = src("async fn restock() {\n    *COUNT.lock().await += 1;\n    let mut stock = INVENTORY.lock().await;\n    let g = AUDIT.lock().unwrap();\n    drop(g);\n    let mut open = ORDERS.lock().await; // blocks\n}\n");
        let held = held_at(&lines, 6, "src/main.rs");
        assert_eq!(
            held.iter().map(|h| h.name.as_str()).collect::<Vec<_>>(),
            vec!["INVENTORY"]
        );
        assert_eq!(name_at(&lines, 6, "src/main.rs").as_deref(), Some("ORDERS"));
        assert!(same_lock("main::ORDERS::h9e4ab7339cf38a80", "ORDERS"));
        assert!(!same_lock("main::ORDERS", "INVENTORY"));
    }

    #[test]
    fn python_with_blocks_and_acquire() {
        let lines = src("def place_order():\n    with orders:\n        both.wait()\n        with inventory:  # blocks\n            pass\n\n\ndef restock():\n    inventory.acquire()\n    try:\n        orders.acquire()\n    finally:\n        inventory.release()\n\ndef transfer(src, dst):\n    with src.lock:\n        with dst.lock:\n            pass\n");
        assert_eq!(name_at(&lines, 4, "x.py").as_deref(), Some("inventory"));
        let held = held_at(&lines, 4, "x.py");
        assert_eq!(
            held.iter().map(|h| h.name.as_str()).collect::<Vec<_>>(),
            vec!["orders"]
        );
        let held = held_at(&lines, 11, "x.py");
        assert_eq!(
            held.iter().map(|h| h.name.as_str()).collect::<Vec<_>>(),
            vec!["inventory"]
        );
        assert!(held_at(&lines, 17, "x.py").is_empty());
        assert_eq!(name_at(&lines, 17, "x.py"), None);
        let lines = src("def audit(accounts):\n    for account in accounts:\n        with account.lock:\n            pass\n");
        assert_eq!(name_at(&lines, 3, "x.py"), None);
    }
}
