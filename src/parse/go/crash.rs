//! The text around the goroutines: panics, fatal errors, signals, register
//! dumps, `exit status`, race reports. Fed line by line, in order.

use super::line::{parse_file_line, split_call, trim_end, trim_start};
use crate::model::{
    Crash, CrashDetail, GoCrash, PanicRecord, RaceAccess, RaceReport, SignalInfo, MAX_RUNTIME_STACK,
};

/// What became of a line fed to the crash builder.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum LineUse {
    /// Read into the crash record (a panic, a signal, a register dump, a
    /// race report, `exit status`).
    Used,
    /// An empty line.
    Blank,
    /// Not part of the dump.
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
    /// Inside the `runtime stack:` block of a fatal error.
    in_runtime_stack: bool,
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
        let line = trim_end(line);
        line.starts_with(b"panic: ")
            || line.starts_with(b"fatal error: ")
            || (is_signal_header(line) && !self.after_separator)
    }

    /// True inside the per-M sections of a GOTRACEBACK=crash dump, where the
    /// goroutine running on each M is printed again.
    pub fn in_m_sections(&self) -> bool {
        self.in_m_sections
    }

    /// Inside a race report (until its closing line of `=`).
    pub fn in_race(&self) -> bool {
        self.race.is_some()
    }

    pub fn has_content(&self) -> bool {
        self.any
    }

    /// A goroutine was read: the first one after a panic is the crashing one.
    pub fn on_goroutine(&mut self, id: u64) {
        self.in_panic = false;
        self.in_registers = false;
        self.in_runtime_stack = false;
        self.after_separator = false;
        if self.want_goroutine {
            self.crash.task_id = Some(id);
            self.want_goroutine = false;
        }
    }

    /// Feeds one line that is not part of a goroutine.
    pub fn line(&mut self, line_no: u64, raw: &[u8]) -> LineUse {
        let line = trim_end(raw);
        if self.race.is_some() || line == b"WARNING: DATA RACE" {
            self.race_report_line(line_no, line);
            return if line.is_empty() {
                LineUse::Blank
            } else {
                LineUse::Used
            };
        }
        if let Some(used) = self.runtime_stack_line(line) {
            return used;
        }
        let trimmed = trim_start(line);
        if self.panic_or_fatal(line, trimmed) || self.signal_line(line) || self.section_line(line) {
            return LineUse::Used;
        }
        self.in_registers = false;
        if line.is_empty() {
            self.in_panic = false;
            return LineUse::Blank;
        }
        if self.in_panic && !trimmed.starts_with(b"goroutine ") {
            self.panic_continuation(line);
            return LineUse::Used;
        }
        LineUse::Other
    }

    /// A line of a race report: `WARNING: DATA RACE` starts one, a line of
    /// `=` ends it.
    #[inline]
    fn race_report_line(&mut self, line_no: u64, line: &[u8]) {
        if let Some(race) = self.race.as_mut() {
            if line.starts_with(b"==================") {
                let done = self.race.take().map(|race| race.report);
                if let Some(report) = done {
                    if !report.accesses.is_empty() || report.line > 0 {
                        self.go.races.push(report);
                    }
                }
                return;
            }
            race_line(race, line);
            return;
        }
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
    }

    /// `panic: ...` (a nested one indented) or `fatal error: ...`.
    #[inline]
    fn panic_or_fatal(&mut self, line: &[u8], trimmed: &[u8]) -> bool {
        if let Some(message) = trimmed.strip_prefix(b"panic: ") {
            let indented = line.first() == Some(&b'\t');
            let nested = indented || !self.go.panics.is_empty();
            let (message, recovered) = strip_recovered(message);
            self.go.panics.push(PanicRecord {
                message: lossy(message),
                recovered,
                nested,
            });
            self.any = true;
            self.in_panic = true;
            self.want_goroutine = true;
            return true;
        }
        let Some(message) = line.strip_prefix(b"fatal error: ") else {
            return false;
        };
        if self.go.fatal_error.is_none() {
            self.go.fatal_error = Some(lossy(message));
        }
        self.any = true;
        self.in_panic = false;
        self.want_goroutine = true;
        true
    }

    /// `[signal SIGSEGV: ...]`, a `SIGQUIT: quit` header, or the `PC=` line
    /// after it.
    #[inline]
    fn signal_line(&mut self, line: &[u8]) -> bool {
        if let Some(signal) = line.strip_prefix(b"[signal ") {
            self.in_panic = false;
            self.any = true;
            let body = signal.strip_suffix(b"]").unwrap_or(signal);
            self.crash.signal = Some(parse_signal(body, line));
            return true;
        }
        if is_signal_header(line) {
            self.in_panic = false;
            self.any = true;
            let was_separator = self.after_separator;
            self.after_separator = false;
            self.expect_pc = true;
            if !was_separator && self.crash.signal.is_none() {
                let name = line
                    .iter()
                    .take_while(|&&c| c != b':')
                    .copied()
                    .collect::<Vec<_>>();
                self.crash.signal = Some(SignalInfo {
                    name: lossy(&name),
                    raw: lossy(line),
                    ..SignalInfo::default()
                });
            }
            return true;
        }
        if !(self.expect_pc && line.starts_with(b"PC=")) {
            return false;
        }
        self.expect_pc = false;
        if let Some(signal) = self.crash.signal.as_mut() {
            if signal.pc.is_none() {
                for word in line.split(|&c| c == b' ') {
                    if let Some(value) = word.strip_prefix(b"PC=") {
                        signal.pc = Some(lossy(value));
                    } else if let Some(value) = word.strip_prefix(b"sigcode=") {
                        signal.code = Some(lossy(value));
                    } else if let Some(value) = word.strip_prefix(b"addr=") {
                        signal.addr = Some(lossy(value));
                    }
                }
            }
        }
        true
    }

    /// The `-----` separator of per-M sections, `exit status N`, or a
    /// register line. True when the line was one of them.
    #[inline]
    fn section_line(&mut self, line: &[u8]) -> bool {
        if line == b"-----" {
            self.after_separator = true;
            self.in_m_sections = true;
            self.in_panic = false;
            return true;
        }
        if let Some(status) = line.strip_prefix(b"exit status ") {
            if let Some(value) = std::str::from_utf8(status)
                .ok()
                .and_then(|text| text.parse().ok())
            {
                self.crash.exit_status = Some(value);
                self.any = true;
            }
            self.in_panic = false;
            return true;
        }
        if is_register_line(line) {
            if !self.in_registers {
                self.go.register_dumps += 1;
                self.in_registers = true;
            }
            return true;
        }
        false
    }

    /// A line of the `runtime stack:` block a fatal error prints before the
    /// goroutines (the system stack of the thread that threw): its header,
    /// functions (kept, at most [`MAX_RUNTIME_STACK`]) and their tab-indented
    /// locations; a blank line ends it.
    fn runtime_stack_line(&mut self, line: &[u8]) -> Option<LineUse> {
        if line == b"runtime stack:" {
            self.in_runtime_stack = true;
            self.go.runtime_stack.clear();
            self.any = true;
            return Some(LineUse::Used);
        }
        if !self.in_runtime_stack {
            return None;
        }
        if line.is_empty() || line.starts_with(b"goroutine ") {
            self.in_runtime_stack = false;
            return None;
        }
        if !line.starts_with(b"\t") && self.go.runtime_stack.len() < MAX_RUNTIME_STACK {
            let name = split_call(line).map_or(line, |(name, _, _)| name);
            self.go.runtime_stack.push(lossy(name));
        }
        Some(LineUse::Used)
    }

    /// Another line of the last panic's message.
    fn panic_continuation(&mut self, line: &[u8]) {
        if let Some(panic) = self.go.panics.last_mut() {
            let (message, recovered) = strip_recovered(line);
            if panic.message.len() < MAX_MESSAGE {
                panic.message.push('\n');
                panic.message.push_str(&String::from_utf8_lossy(message));
            }
            panic.recovered |= recovered;
        }
    }

    pub fn finish(mut self) -> Option<Crash> {
        if let Some(race) = self.race.take() {
            self.go.races.push(race.report);
        }
        if !self.any {
            return None;
        }
        let go = self.go;
        let crash = &mut self.crash;
        crash.message = if let Some(panic) = go.panics.first() {
            let first = panic.message.lines().next().unwrap_or("");
            format!("panic: {first}")
        } else if let Some(fatal) = &go.fatal_error {
            format!("fatal error: {fatal}")
        } else if let Some(signal) = &crash.signal {
            signal.raw.clone()
        } else if let Some(race) = go.races.first() {
            format!(
                "data race ({} report{})",
                go.races.len(),
                if go.races.len() == 1 && race.line > 0 {
                    ""
                } else {
                    "s"
                }
            )
        } else if let Some(status) = crash.exit_status {
            format!("exit status {status}")
        } else {
            String::new()
        };
        crash.detail = CrashDetail::Go(go);
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
    let mut signal = SignalInfo {
        raw: lossy(raw),
        ..SignalInfo::default()
    };
    let name_end = body
        .iter()
        .position(|&c| c == b':' || c == b' ')
        .unwrap_or(body.len());
    signal.name = lossy(&body[..name_end]);
    for word in body.split(|&c| c == b' ') {
        if let Some(value) = word.strip_prefix(b"code=") {
            signal.code = Some(lossy(value));
        } else if let Some(value) = word.strip_prefix(b"addr=") {
            signal.addr = Some(lossy(value));
        } else if let Some(value) = word.strip_prefix(b"pc=") {
            signal.pc = Some(lossy(value));
        }
    }
    signal
}

fn race_line(race: &mut RaceState, line: &[u8]) {
    // `Read at 0x00c00001c0f8 by goroutine 7:` / `Previous write at 0x... by main goroutine:`
    if !line.starts_with(b" ") && line.ends_with(b":") {
        if let Some(at) = memchr::memmem::find(line, b" at 0x") {
            if race.report.accesses.len() >= 64 {
                return;
            }
            let access = lossy(&line[..at]);
            let rest = &line[at + 4..];
            let addr_end = rest.iter().position(|&c| c == b' ').unwrap_or(rest.len());
            let addr = lossy(&rest[..addr_end]);
            let goroutine = memchr::memmem::find(rest, b"by goroutine ").and_then(|p| {
                let after = &rest[p + 13..];
                let digits: Vec<u8> = after
                    .iter()
                    .take_while(|c| c.is_ascii_digit())
                    .copied()
                    .collect();
                std::str::from_utf8(&digits).ok()?.parse().ok()
            });
            race.report.accesses.push(RaceAccess {
                access,
                addr,
                goroutine,
                top_frame: None,
            });
            race.await_frame = Some(race.report.accesses.len() - 1);
        } else {
            race.await_frame = None;
        }
        return;
    }
    let Some(index) = race.await_frame else {
        return;
    };
    let trimmed = trim_start(line);
    if let Some((name, _, _)) = split_call(trimmed) {
        if let Some(access) = race.report.accesses.get_mut(index) {
            if access.top_frame.is_none() {
                access.top_frame = Some(lossy(name));
            }
        }
    } else if let Some(file_line) = parse_file_line(line) {
        if let Some(access) = race.report.accesses.get_mut(index) {
            if let Some(top) = access.top_frame.as_mut() {
                if !top.contains(' ') {
                    top.push_str(&format!(
                        " {}:{}",
                        String::from_utf8_lossy(file_line.path),
                        file_line.line
                    ));
                }
            }
        }
        race.await_frame = None;
    }
}
