//! The text around the goroutines: panics, fatal errors, signals, register
//! dumps, `exit status`, race reports. Fed line by line, in order.

use super::line::{parse_file_line, split_call, trim_end, trim_start};
use crate::model::{Crash, CrashDetail, GoCrash, PanicRecord, RaceAccess, RaceReport, SignalInfo};

/// What a line means for splitting an input into dumps.
#[derive(Debug, PartialEq, Eq)]
pub enum LineEvent {
    /// Starts a new crash record (a new dump if goroutines were seen).
    Start,
    /// Anything else.
    Other,
}

#[derive(Debug, Default)]
pub struct CrashBuilder {
    crash: Crash,
    /// The Go part, moved into `crash` when finished.
    go: GoCrash,
    any: bool,
    /// Collecting continuation lines of the last panic message.
    in_panic: bool,
    /// After a `-----` separator: the next `SIGQUIT:` belongs to this dump.
    after_separator: bool,
    /// A `-----` separator was seen: per-M sections follow (GOTRACEBACK=crash).
    in_m_sections: bool,
    in_registers: bool,
    /// Expecting the `PC=` line after `SIGQUIT: quit`.
    expect_pc: bool,
    race: Option<RaceState>,
    /// Waiting for the first goroutine after a panic or fatal error.
    want_goroutine: bool,
}

#[derive(Debug, Default)]
struct RaceState {
    report: RaceReport,
    /// Index of the access whose first frame is awaited.
    await_frame: Option<usize>,
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const MAX_MESSAGE: usize = 64 * 1024;

impl CrashBuilder {
    /// Classifies a line without consuming it: does it start a new dump?
    pub fn is_start(&self, line: &[u8]) -> bool {
        let l = trim_end(line);
        l.starts_with(b"panic: ")
            || l.starts_with(b"fatal error: ")
            || (is_signal_header(l) && !self.after_separator)
    }

    /// True inside the per-M sections of a GOTRACEBACK=crash dump, where the
    /// goroutine running on each M is printed again.
    pub fn in_m_sections(&self) -> bool {
        self.in_m_sections
    }

    pub fn has_content(&self) -> bool {
        self.any
    }

    /// A goroutine was read: the first one after a panic is the crashing one.
    pub fn on_goroutine(&mut self, id: u64) {
        self.in_panic = false;
        self.in_registers = false;
        self.after_separator = false;
        if self.want_goroutine {
            self.crash.task_id = Some(id);
            self.want_goroutine = false;
        }
    }

    /// Feeds one line that is not part of a goroutine.
    pub fn line(&mut self, line_no: u64, raw: &[u8]) -> LineEvent {
        let l = trim_end(raw);
        if let Some(r) = self.race.as_mut() {
            if l.starts_with(b"==================") {
                let done = self.race.take().map(|r| r.report);
                if let Some(rep) = done {
                    if !rep.accesses.is_empty() || rep.line > 0 {
                        self.go.races.push(rep);
                    }
                }
                return LineEvent::Other;
            }
            race_line(r, l);
            return LineEvent::Other;
        }
        if l == b"WARNING: DATA RACE" {
            self.any = true;
            if self.go.races.len() < 1000 {
                self.race = Some(RaceState {
                    report: RaceReport {
                        line: line_no,
                        accesses: Vec::new(),
                    },
                    await_frame: None,
                });
            }
            return LineEvent::Other;
        }
        let t = trim_start(l);
        if let Some(msg) = t.strip_prefix(b"panic: ") {
            let nested = l.first() == Some(&b'\t') || !self.go.panics.is_empty();
            let (msg, recovered) = strip_recovered(msg);
            self.go.panics.push(PanicRecord {
                message: lossy(msg),
                recovered,
                nested,
            });
            self.any = true;
            self.in_panic = true;
            self.want_goroutine = true;
            return if l.first() == Some(&b'\t') {
                LineEvent::Other
            } else {
                LineEvent::Start
            };
        }
        if let Some(msg) = l.strip_prefix(b"fatal error: ") {
            if self.go.fatal_error.is_none() {
                self.go.fatal_error = Some(lossy(msg));
            }
            self.any = true;
            self.in_panic = false;
            self.want_goroutine = true;
            return LineEvent::Start;
        }
        if let Some(sig) = l.strip_prefix(b"[signal ") {
            self.in_panic = false;
            self.any = true;
            let body = sig.strip_suffix(b"]").unwrap_or(sig);
            self.crash.signal = Some(parse_signal(body, l));
            return LineEvent::Other;
        }
        if is_signal_header(l) {
            self.in_panic = false;
            self.any = true;
            let was_separator = self.after_separator;
            self.after_separator = false;
            self.expect_pc = true;
            if !was_separator && self.crash.signal.is_none() {
                let name = l
                    .iter()
                    .take_while(|&&c| c != b':')
                    .copied()
                    .collect::<Vec<_>>();
                self.crash.signal = Some(SignalInfo {
                    name: lossy(&name),
                    raw: lossy(l),
                    ..SignalInfo::default()
                });
                return LineEvent::Start;
            }
            return LineEvent::Other;
        }
        if self.expect_pc && l.starts_with(b"PC=") {
            self.expect_pc = false;
            if let Some(s) = self.crash.signal.as_mut() {
                if s.pc.is_none() {
                    for w in l.split(|&c| c == b' ') {
                        if let Some(v) = w.strip_prefix(b"PC=") {
                            s.pc = Some(lossy(v));
                        } else if let Some(v) = w.strip_prefix(b"sigcode=") {
                            s.code = Some(lossy(v));
                        } else if let Some(v) = w.strip_prefix(b"addr=") {
                            s.addr = Some(lossy(v));
                        }
                    }
                }
            }
            return LineEvent::Other;
        }
        if l == b"-----" {
            self.after_separator = true;
            self.in_m_sections = true;
            self.in_panic = false;
            return LineEvent::Other;
        }
        if let Some(n) = l.strip_prefix(b"exit status ") {
            if let Some(v) = std::str::from_utf8(n).ok().and_then(|s| s.parse().ok()) {
                self.crash.exit_status = Some(v);
                self.any = true;
            }
            self.in_panic = false;
            return LineEvent::Other;
        }
        if is_register_line(l) {
            if !self.in_registers {
                self.go.register_dumps += 1;
                self.in_registers = true;
            }
            return LineEvent::Other;
        }
        self.in_registers = false;
        if l.is_empty() {
            self.in_panic = false;
            return LineEvent::Other;
        }
        if self.in_panic && !t.starts_with(b"goroutine ") {
            if let Some(p) = self.go.panics.last_mut() {
                let (msg, recovered) = strip_recovered(l);
                if p.message.len() < MAX_MESSAGE {
                    p.message.push('\n');
                    p.message.push_str(&String::from_utf8_lossy(msg));
                }
                p.recovered |= recovered;
            }
        }
        LineEvent::Other
    }

    pub fn finish(mut self) -> Option<Crash> {
        if let Some(r) = self.race.take() {
            self.go.races.push(r.report);
        }
        if !self.any {
            return None;
        }
        let go = self.go;
        let c = &mut self.crash;
        c.message = if let Some(p) = go.panics.first() {
            let first = p.message.lines().next().unwrap_or("");
            format!("panic: {first}")
        } else if let Some(f) = &go.fatal_error {
            format!("fatal error: {f}")
        } else if let Some(s) = &c.signal {
            s.raw.clone()
        } else if let Some(r) = go.races.first() {
            format!(
                "data race ({} report{})",
                go.races.len(),
                if go.races.len() == 1 && r.line > 0 {
                    ""
                } else {
                    "s"
                }
            )
        } else if let Some(e) = c.exit_status {
            format!("exit status {e}")
        } else {
            String::new()
        };
        c.detail = CrashDetail::Go(go);
        Some(self.crash)
    }
}

fn strip_recovered(msg: &[u8]) -> (&[u8], bool) {
    for suffix in [
        &b" [recovered]"[..],
        b" [recovered, repanicked]",
        b" [recovered, reraised]",
    ] {
        if let Some(m) = msg.strip_suffix(suffix) {
            return (m, true);
        }
    }
    (msg, false)
}

fn is_signal_header(l: &[u8]) -> bool {
    // `SIGQUIT: quit`, `SIGABRT: abort`, `SIGSEGV: segmentation violation`
    let Some(p) = memchr::memchr(b':', l) else {
        return false;
    };
    let name = &l[..p];
    name.len() >= 5
        && name.len() <= 10
        && name.starts_with(b"SIG")
        && name[3..].iter().all(u8::is_ascii_uppercase)
        && l.get(p + 1) == Some(&b' ')
}

fn is_register_line(l: &[u8]) -> bool {
    // `rax    0x0`, `r15    0xc000...`, `rip    0x46d6c1`, `x0     0x...` (arm64)
    let Some(sp) = memchr::memchr(b' ', l) else {
        return false;
    };
    let reg = &l[..sp];
    let val = trim_start(&l[sp..]);
    (2..=6).contains(&reg.len())
        && reg
            .iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && val.starts_with(b"0x")
        && !val.contains(&b' ')
}

fn parse_signal(body: &[u8], raw: &[u8]) -> SignalInfo {
    let mut s = SignalInfo {
        raw: lossy(raw),
        ..SignalInfo::default()
    };
    let name_end = body
        .iter()
        .position(|&c| c == b':' || c == b' ')
        .unwrap_or(body.len());
    s.name = lossy(&body[..name_end]);
    for w in body.split(|&c| c == b' ') {
        if let Some(v) = w.strip_prefix(b"code=") {
            s.code = Some(lossy(v));
        } else if let Some(v) = w.strip_prefix(b"addr=") {
            s.addr = Some(lossy(v));
        } else if let Some(v) = w.strip_prefix(b"pc=") {
            s.pc = Some(lossy(v));
        }
    }
    s
}

fn race_line(r: &mut RaceState, l: &[u8]) {
    // `Read at 0x00c00001c0f8 by goroutine 7:` / `Previous write at 0x... by main goroutine:`
    if !l.starts_with(b" ") && l.ends_with(b":") {
        if let Some(at) = memchr::memmem::find(l, b" at 0x") {
            if r.report.accesses.len() >= 64 {
                return;
            }
            let access = lossy(&l[..at]);
            let rest = &l[at + 4..];
            let addr_end = rest.iter().position(|&c| c == b' ').unwrap_or(rest.len());
            let addr = lossy(&rest[..addr_end]);
            let goroutine = memchr::memmem::find(rest, b"by goroutine ").and_then(|p| {
                let n = &rest[p + 13..];
                let d: Vec<u8> = n
                    .iter()
                    .take_while(|c| c.is_ascii_digit())
                    .copied()
                    .collect();
                std::str::from_utf8(&d).ok()?.parse().ok()
            });
            r.report.accesses.push(RaceAccess {
                access,
                addr,
                goroutine,
                top_frame: None,
            });
            r.await_frame = Some(r.report.accesses.len() - 1);
        } else {
            r.await_frame = None;
        }
        return;
    }
    let Some(i) = r.await_frame else { return };
    let t = trim_start(l);
    if let Some((name, _, _)) = split_call(t) {
        if let Some(a) = r.report.accesses.get_mut(i) {
            if a.top_frame.is_none() {
                a.top_frame = Some(lossy(name));
            }
        }
    } else if let Some(f) = parse_file_line(l) {
        if let Some(a) = r.report.accesses.get_mut(i) {
            if let Some(tf) = a.top_frame.as_mut() {
                if !tf.contains(' ') {
                    tf.push_str(&format!(" {}:{}", String::from_utf8_lossy(f.path), f.line));
                }
            }
        }
        r.await_frame = None;
    }
}
