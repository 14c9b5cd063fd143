//! The goroutines of a Go core unwound and written as the runtime writes
//! them with `GOTRACEBACK=crash`: the signal that stopped the process
//! (`SIGQUIT: quit`, `PC=... m=N sigcode=N`), one block per goroutine
//! (`goroutine N gp=... m=... [state, N minutes]:`, frames with their file,
//! line and pc, `created by F in goroutine P`), then the system stacks of
//! the idle threads (`goroutine 0 ... [idle]`).

use super::layout::Layout;
use super::runtime::{self, G, M};
use super::unwind::{Frame, FrameTable, Regs};
use crate::input::elfcore::{Arch, CoreFile, Memory};
use crate::model::heap::Module as Mapping;
use crate::symbolize::{Options, Request, Space, Symbolizer};
use object::{Object, ObjectSymbol, SymbolKind};
use rustc_hash::FxHashMap;
use std::fmt::Write as _;

/// Frames per goroutine, as the runtime prints at most.
const MAX_FRAMES: usize = 100;
/// Functions at which the runtime's unwinder stops (their callers are
/// another stack or none).
const TOP_FRAMES: &[&str] = &[
    "runtime.goexit",
    "runtime.mstart",
    "runtime.mcall",
    "runtime.morestack",
    "runtime.rt0_go",
    "runtime.systemstack",
];

/// The executable's symbols: functions sorted by address, data by name.
pub struct Symbols {
    funcs: Vec<(u64, u64, String)>,
    data: Vec<(String, u64, u64)>,
    /// Positions in `data` sorted by address.
    by_addr: Vec<u32>,
    /// The GNU build-id (hex).
    pub build_id: Option<String>,
}

/// A symbol name without the ABI suffix the linker gives assembly
/// functions (`runtime.goexit.abi0`).
fn plain(name: &str) -> &str {
    name.strip_suffix(".abi0")
        .or_else(|| name.strip_suffix(".abiinternal"))
        .unwrap_or(name)
}

impl Symbols {
    /// Reads the symbol table of `file`, loaded at `bias`.
    pub fn new(file: &object::File<'_>, bias: u64) -> Symbols {
        let mut funcs = Vec::new();
        let mut data = Vec::new();
        for s in file.symbols() {
            let Ok(name) = s.name() else { continue };
            let addr = s.address().wrapping_add(bias);
            match s.kind() {
                SymbolKind::Text => funcs.push((addr, s.size(), name.to_string())),
                SymbolKind::Data => data.push((name.to_string(), addr, s.size())),
                _ => {}
            }
        }
        funcs.sort_unstable_by_key(|f| f.0);
        data.sort_unstable();
        let mut by_addr: Vec<u32> = (0..data.len() as u32).collect();
        by_addr.sort_unstable_by_key(|&i| data.get(i as usize).map_or(0, |d| d.1));
        Symbols {
            funcs,
            data,
            by_addr,
            build_id: file
                .build_id()
                .ok()
                .flatten()
                .map(crate::symbolize::image::hex),
        }
    }

    /// The address and size of the data symbol `name`.
    pub fn data(&self, name: &str) -> Option<(u64, u64)> {
        let i = self
            .data
            .binary_search_by(|d| d.0.as_str().cmp(name))
            .ok()?;
        self.data.get(i).map(|d| (d.1, d.2))
    }

    /// The data symbol holding `addr`, as `name` or `name+offset`.
    pub fn data_at(&self, addr: u64) -> Option<String> {
        let addr_of = |i: &u32| self.data.get(*i as usize).map_or(0, |d| d.1);
        let at = self.by_addr.partition_point(|i| addr_of(i) <= addr);
        // The nearest symbols below, past the empty markers the linker
        // puts at the same address (`runtime.bss`).
        let (name, off) = self.by_addr[..at].iter().rev().take(8).find_map(|&i| {
            let (name, start, size) = self.data.get(i as usize)?;
            let off = addr.checked_sub(*start)?;
            (off < *size).then_some((name, off))
        })?;
        Some(if off == 0 {
            name.clone()
        } else {
            format!("{name}+{off}")
        })
    }

    /// The function holding `pc`: its entry and name.
    pub fn func(&self, pc: u64) -> Option<(u64, &str)> {
        let i = self.funcs.partition_point(|f| f.0 <= pc).checked_sub(1)?;
        let (start, size, name) = self.funcs.get(i)?;
        (pc < start.saturating_add((*size).max(1))).then(|| (*start, plain(name)))
    }

    /// The entry of the function named `name`.
    fn entry(&self, name: &str) -> Option<u64> {
        self.funcs.iter().find(|f| plain(&f.2) == name).map(|f| f.0)
    }
}

/// The runtime's name tables, read from the binary.
#[derive(Debug, Default)]
pub struct Names {
    /// `runtime.waitReasonStrings`.
    pub wait: Vec<String>,
    /// `runtime.gStatusStrings`.
    pub status: Vec<String>,
    /// The names of `runtime.sigtable` (`SIGQUIT: quit`), by signal.
    pub signals: Vec<String>,
    /// Whether the runtime writes `gp=0x.. m=M mp=0x..` in the goroutine
    /// headers of a crash traceback (see [`ids_in_header`]).
    pub ids_in_header: bool,
}

/// The minor version of a `runtime.buildVersion` (`go1.21.13`: 21);
/// `None` for one that does not read as `go1.N` (a development build, or
/// not found), taken as a recent one.
fn go_minor(version: &str) -> Option<u32> {
    version
        .strip_prefix("go1.")
        .map(|v| v.split(|c: char| !c.is_ascii_digit()).next().unwrap_or(""))
        .and_then(|v| v.parse::<u32>().ok())
}

/// Whether the runtime of `runtime.buildVersion` writes the goroutine's
/// and its thread's addresses in the headers of a crash traceback: its
/// `goroutineheader` does since Go 1.23.
pub fn ids_in_header(version: &str) -> bool {
    go_minor(version).is_none_or(|m| m >= 23)
}

/// Whether the thread that aborts the process (the core's first) is the
/// one that took the signal first and printed every goroutine: since Go
/// 1.22 it is; before, the runtime relayed SIGQUIT from thread to thread
/// and the last one aborted, so the core names that one's signal.
pub fn crash_thread_is_first(version: &str) -> bool {
    go_minor(version).is_none_or(|m| m >= 22)
}

/// The names of `runtime.sigtable` (entries of a 4-byte flag word and a
/// string, 24 bytes each).
pub fn signal_names(mem: &dyn Memory, addr: u64, size: u64) -> Vec<String> {
    let n = (size / 24).min(128);
    (0..n)
        .map(|i| {
            runtime::strings(mem, addr.wrapping_add(i * 24 + 8), 16)
                .pop()
                .unwrap_or_default()
        })
        .collect()
}

/// The latest nanotime the core records (the end of the last GC cycle,
/// the network poller's last return, the goroutines' wait starts): a lower
/// bound of the time the core was written, from which wait durations are
/// counted.
pub fn latest_stamp(core: &CoreFile, layout: &Layout, syms: &Symbols, gs: &[G]) -> i64 {
    let at = |sym: &str, off: Option<u64>| match (syms.data(sym), off) {
        (Some((a, _)), Some(o)) => core.read_u64(a + o).unwrap_or(0) as i64,
        _ => 0,
    };
    let stamps = [
        at("runtime.memstats", layout.mstats_last_gc),
        at("runtime.sched", layout.sched_lastpoll),
    ];
    gs.iter()
        .map(|g| g.waitsince)
        .chain(stamps)
        .fold(0, i64::max)
}

/// What the renderer reads from.
pub struct Context<'a> {
    /// The core.
    pub core: &'a CoreFile,
    /// Field offsets.
    pub layout: &'a Layout,
    /// The executable's symbols.
    pub syms: &'a Symbols,
    /// `.debug_frame`.
    pub frames: &'a FrameTable<'a>,
    /// The runtime's name tables.
    pub names: &'a Names,
    /// See [`latest_stamp`].
    pub now: i64,
    /// The pclntab, for the frames' arguments.
    pub pcln: Option<&'a super::pcln::Pcln>,
}

/// One goroutine (or a thread's system stack) unwound.
#[derive(Debug)]
pub struct Stack {
    /// The goroutine (for a system stack, the M's `g0`).
    pub g: G,
    /// The M it runs on.
    pub m: Option<M>,
    /// Its frames, innermost first.
    pub frames: Vec<Frame>,
    /// The first pc was interrupted (a signal, a stopped thread), not a
    /// return address.
    pub trap: bool,
    /// A thread's system stack (`goroutine 0`).
    pub system: bool,
}

/// The signal that stopped the process, found on the signal stack of the
/// thread that took it.
#[derive(Debug, Clone, Copy)]
pub struct Signal {
    /// The signal number.
    pub signo: u32,
    /// `si_code`.
    pub code: i32,
    /// The interrupted pc.
    pub pc: u64,
    /// The M's id.
    pub m: i64,
}

/// The registers the kernel saved when it delivered a signal to a thread
/// running on its signal stack (x86-64): the `rt_sigframe` whose return
/// address is the runtime's `sigreturn`, searched from the thread's sp up.
fn signal_frame(ctx: &Context<'_>, sp: u64, lo: u64, hi: u64) -> Option<(Regs, u32, i32)> {
    if ctx.core.arch == Arch::Aarch64 {
        return signal_frame_aarch64(ctx, sp, lo, hi);
    }
    let restorer = ctx
        .syms
        .entry("runtime.sigreturn__sigaction")
        .or_else(|| ctx.syms.entry("runtime.sigreturn"))?;
    let mut at = sp & !7;
    while at.saturating_add(8) <= hi && at < sp.saturating_add(64 << 10) {
        if ctx.core.read_u64(at) == Some(restorer) {
            // rt_sigframe: pretcode, ucontext (flags, link, stack_t, then
            // sigcontext: r8..r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp,
            // rip), then siginfo after the 304-byte ucontext.
            let mc = at.wrapping_add(48);
            let w = |i: u64| ctx.core.read_u64(mc.wrapping_add(8 * i));
            let (Some(rbp), Some(rsp), Some(rip)) = (w(10), w(15), w(16)) else {
                return None;
            };
            // A signal taken while handling another (the runtime's abort
            // after a SIGQUIT dump) interrupted the signal stack itself:
            // the outer frame is the one that interrupted the thread.
            if lo <= rsp && rsp < hi {
                at += 8;
                continue;
            }
            let info = at.wrapping_add(8 + 304);
            let signo = ctx.core.read_u32(info).unwrap_or(0);
            let code = ctx.core.read_u32(info.wrapping_add(8)).unwrap_or(0) as i32;
            return Some((
                Regs {
                    pc: rip,
                    sp: rsp,
                    fp: rbp,
                    lr: 0,
                },
                signo,
                code,
            ));
        }
        at += 8;
    }
    None
}

/// aarch64's `rt_sigframe` (the kernel's and qemu-user's alike): the
/// siginfo (128 bytes), then the ucontext, whose `uc_mcontext` (at 176,
/// 16-aligned) holds the fault address, x0..x30, sp, pc. The handler is
/// entered with sp at the frame, and no return address marks it: the
/// frame is the first 16-aligned siginfo above the thread's sp whose saved
/// pc is in a function of the binary and whose saved sp is off the signal
/// stack (a signal taken while handling another is skipped, as on x86-64).
fn signal_frame_aarch64(ctx: &Context<'_>, sp: u64, lo: u64, hi: u64) -> Option<(Regs, u32, i32)> {
    const MCONTEXT: u64 = 128 + 176;
    let mut at = sp.wrapping_add(15) & !15;
    while at.saturating_add(MCONTEXT + 8 * 35) <= hi && at < sp.saturating_add(64 << 10) {
        let signo = ctx.core.read_u32(at).unwrap_or(0);
        if (1..=64).contains(&signo) {
            let w = |i: u64| ctx.core.read_u64(at.wrapping_add(MCONTEXT + 8 + 8 * i));
            if let (Some(fp), Some(lr), Some(rsp), Some(pc)) = (w(29), w(30), w(31), w(32)) {
                if ctx.syms.func(pc).is_some() && !(lo <= rsp && rsp < hi) && rsp % 16 == 0 {
                    let code = ctx.core.read_u32(at.wrapping_add(8)).unwrap_or(0) as i32;
                    return Some((
                        Regs {
                            pc,
                            sp: rsp,
                            fp,
                            lr,
                        },
                        signo,
                        code,
                    ));
                }
            }
        }
        at += 16;
    }
    None
}

fn is_top(ctx: &Context<'_>, pc: u64) -> bool {
    ctx.syms
        .func(pc.saturating_sub(1))
        .is_some_and(|(_, name)| TOP_FRAMES.contains(&name))
}

fn unwind(ctx: &Context<'_>, regs: Regs, g: &G) -> Vec<Frame> {
    ctx.frames
        .unwind(ctx.core, regs, g.stack[0], g.stack[1], MAX_FRAMES, &|pc| {
            is_top(ctx, pc)
        })
}

/// Unwinds every goroutine, then the system stacks of threads that run
/// none; also returns the signal the process stopped on, when found.
pub fn unwind_all(ctx: &Context<'_>, gs: &[G], ms: &[M]) -> (Vec<Stack>, Option<Signal>) {
    let in_stack = |g: &G, sp: u64| g.stack[0] <= sp && sp < g.stack[1];
    let thread_of = |m: &M| {
        ctx.core
            .threads
            .iter()
            .find(|t| u64::from(t.lwp) == m.procid)
    };
    let signalled = ctx.core.threads.first().map(|t| u64::from(t.lwp));
    let mut signal = None;
    // Registers saved by the signal each M is handling, when one is.
    let mut sig_regs: Vec<Option<Regs>> = Vec::with_capacity(ms.len());
    for m in ms {
        let regs = thread_of(m).and_then(|t| {
            let regs = super::unwind::thread_regs(ctx.core.arch, &t.regs)?;
            let gsignal = runtime::read_g(ctx.core, ctx.layout, m.gsignal)?;
            if !in_stack(&gsignal, regs.sp) {
                return None;
            }
            let (r, signo, code) = signal_frame(ctx, regs.sp, gsignal.stack[0], gsignal.stack[1])?;
            if Some(u64::from(t.lwp)) == signalled && signal.is_none() {
                signal = Some(Signal {
                    signo,
                    code,
                    pc: r.pc,
                    m: m.id,
                });
            }
            Some(r)
        });
        sig_regs.push(regs);
    }
    let mut out = Vec::with_capacity(gs.len());
    for g in gs {
        let status = g.status & !runtime::SCAN;
        if status == runtime::DEAD {
            continue;
        }
        let mi = ms.iter().position(|m| m.addr == g.m && g.m != 0);
        let m = mi.and_then(|i| ms.get(i)).cloned();
        let mut trap = false;
        let mut regs = None;
        if status == runtime::RUNNING {
            if let Some(i) = mi {
                let own = thread_of(&ms[i])
                    .and_then(|t| super::unwind::thread_regs(ctx.core.arch, &t.regs));
                regs = own
                    .filter(|r| in_stack(g, r.sp))
                    .or_else(|| sig_regs[i].filter(|r| in_stack(g, r.sp)));
                trap = regs.is_some();
            }
        }
        if regs.is_none() && g.syscall[0] != 0 {
            regs = Some(Regs {
                pc: g.syscall[1],
                sp: g.syscall[0],
                fp: g.sched[2],
                lr: 0,
            });
        }
        if regs.is_none() && status != runtime::RUNNING {
            regs = Some(Regs {
                pc: g.sched[0],
                sp: g.sched[1],
                fp: g.sched[2],
                lr: g.sched[3],
            });
        }
        let frames = regs.map(|r| unwind(ctx, r, g)).unwrap_or_default();
        out.push(Stack {
            g: g.clone(),
            m,
            frames,
            trap,
            system: false,
        });
    }
    // The goroutine the signal interrupted comes first, as the runtime
    // prints it.
    if let Some(sig) = signal {
        if let Some(i) = out
            .iter()
            .position(|s| s.m.as_ref().is_some_and(|m| m.id == sig.m) && s.trap)
        {
            let first = out.remove(i);
            out.insert(0, first);
        }
    }
    for (i, m) in ms.iter().enumerate() {
        let runs_g = gs
            .iter()
            .any(|g| g.addr == m.curg && g.status & !runtime::SCAN == runtime::RUNNING);
        if runs_g || m.g0 == 0 {
            continue;
        }
        let Some(g0) = runtime::read_g(ctx.core, ctx.layout, m.g0) else {
            continue;
        };
        let own = thread_of(m).and_then(|t| super::unwind::thread_regs(ctx.core.arch, &t.regs));
        let (regs, trap) = match own.filter(|r| in_stack(&g0, r.sp)) {
            Some(r) => (Some(r), true),
            None => (sig_regs[i].filter(|r| in_stack(&g0, r.sp)), true),
        };
        let Some(regs) = regs else { continue };
        out.push(Stack {
            frames: unwind(ctx, regs, &g0),
            g: g0,
            m: Some(m.clone()),
            trap,
            system: true,
        });
    }
    (out, signal)
}

/// One symbolized source frame.
struct Line {
    function: String,
    file: String,
    line: u32,
    inlined: bool,
}

/// The source frames of one resolved address, innermost first; the
/// symbol table's name when the DWARF has none.
fn lines(ctx: &Context<'_>, r: Option<&crate::symbolize::Resolution>, pc: u64) -> Vec<Line> {
    let frames = r.map(|r| &r.frames[..]).unwrap_or(&[]);
    if frames.iter().any(|f| !f.function.is_empty()) {
        let n = frames.len();
        return frames
            .iter()
            .enumerate()
            .map(|(k, f)| Line {
                function: plain(&f.function).to_string(),
                file: f.file.strip_prefix("./").unwrap_or(&f.file).to_string(),
                line: f.line,
                inlined: k + 1 < n,
            })
            .collect();
    }
    let name = ctx
        .syms
        .func(pc.saturating_sub(1))
        .map_or("?", |(_, n)| n)
        .to_string();
    vec![Line {
        function: name,
        file: "?".into(),
        line: 0,
        inlined: false,
    }]
}

/// Writes the dump (see the module's documentation).
pub fn render(
    ctx: &Context<'_>,
    stacks: &(Vec<Stack>, Option<Signal>),
    binaries: &[std::path::PathBuf],
    opts: &Options,
    warnings: &mut Vec<String>,
) -> String {
    let (stacks, signal) = stacks;
    let sopts = Options {
        binaries: binaries.to_vec(),
        debug_dirs: opts.debug_dirs.clone(),
        bases: Vec::new(),
        system_dirs: false,
    };
    let mut sym = Symbolizer::new(&sopts);
    let maps: Vec<Mapping> = ctx
        .core
        .files
        .iter()
        .enumerate()
        .map(|(i, f)| Mapping {
            start: f.start,
            end: f.end,
            file_offset: f.file_offset,
            path: f.path.clone(),
            build_id: if ctx.core.is_attached(i) {
                ctx.syms.build_id.clone()
            } else {
                None
            },
        })
        .collect();
    // Each distinct address is resolved once: goroutines share most frames.
    let mut uniq: Vec<Request> = Vec::new();
    let mut index: FxHashMap<(u64, bool), u32> = FxHashMap::default();
    let mut order: Vec<u32> = Vec::new();
    let mut add = |addr: u64, call: bool| {
        let i = *index.entry((addr, call)).or_insert_with(|| {
            uniq.push(Request {
                module: "",
                build_id: None,
                addr,
                space: Space::Absolute,
                call,
            });
            (uniq.len() - 1) as u32
        });
        order.push(i);
    };
    for s in stacks {
        for (i, f) in s.frames.iter().enumerate() {
            add(f.pc, !(i == 0 && s.trap));
        }
        if !s.system && s.g.gopc != 0 && s.g.goid != 1 {
            add(s.g.gopc, true);
        }
    }
    let outcome = sym.resolve(&uniq, &maps);
    warnings.extend(
        outcome
            .notes
            .into_iter()
            .filter(|n| !n.contains("bare address")),
    );
    let table: Vec<Vec<Line>> = outcome
        .results
        .iter()
        .zip(&uniq)
        .map(|(r, req)| lines(ctx, r.as_ref(), req.addr))
        .collect();
    let mut next = order.into_iter();
    let mut lines_of = |_pc: u64| -> &[Line] {
        next.next()
            .and_then(|i| table.get(i as usize))
            .map_or(&[], |v| &v[..])
    };
    // About 150 bytes a frame: reserved once, not regrown for a large dump.
    let frames: usize = stacks.iter().map(|s| s.frames.len() + 2).sum();
    let mut out = String::with_capacity(frames.saturating_mul(150));
    if let Some(sig) = signal {
        let name = ctx
            .names
            .signals
            .get(sig.signo as usize)
            .filter(|n| !n.is_empty())
            .cloned()
            .unwrap_or_else(|| format!("signal {}", sig.signo));
        let _ = writeln!(out, "{name}");
        let _ = writeln!(out, "PC={:#x} m={} sigcode={}", sig.pc, sig.m, sig.code);
        out.push('\n');
    }
    for s in stacks {
        header(ctx, s, &mut out);
        for (i, f) in s.frames.iter().enumerate() {
            let lookup = if i == 0 && s.trap { f.pc } else { f.pc - 1 };
            let entry = ctx.syms.func(lookup).map_or(f.pc, |(e, _)| e);
            for l in lines_of(f.pc).iter() {
                if l.inlined {
                    let _ = writeln!(out, "{}(...)", l.function);
                    let _ = writeln!(out, "\t{}:{}", l.file, l.line);
                } else {
                    // The argument area starts at the caller's sp (above
                    // the saved link register on arm64).
                    let min_frame = if ctx.core.arch == Arch::Aarch64 { 8 } else { 0 };
                    let args = match ctx.pcln {
                        Some(p) if f.fp != 0 => p
                            .args(ctx.core, entry, lookup.max(entry), f.fp + min_frame)
                            .unwrap_or_default(),
                        _ => String::new(),
                    };
                    let _ = writeln!(out, "{}({args})", l.function);
                    let _ = write!(out, "\t{}:{} +{:#x}", l.file, l.line, f.pc - entry);
                    if f.fp != 0 {
                        let _ = write!(out, " fp={:#x}", f.fp);
                    }
                    let _ = writeln!(out, " sp={:#x} pc={:#x}", f.sp, f.pc);
                }
            }
        }
        if !s.system && s.g.gopc != 0 && s.g.goid != 1 {
            let lines = lines_of(s.g.gopc);
            if let Some(l) = lines.first() {
                let entry = ctx
                    .syms
                    .func(s.g.gopc.saturating_sub(1))
                    .map_or(s.g.gopc, |(e, _)| e);
                let _ = write!(out, "created by {}", l.function);
                if s.g.parent != 0 {
                    let _ = write!(out, " in goroutine {}", s.g.parent);
                }
                let _ = writeln!(out);
                let _ = writeln!(out, "\t{}:{} +{:#x}", l.file, l.line, s.g.gopc - entry);
            }
        }
        out.push('\n');
    }
    out
}

/// `goroutine N gp=0x.. m=M mp=0x.. [state, N minutes, locked to thread]:`
/// (`goroutine N [..]:` before Go 1.23)
fn header(ctx: &Context<'_>, s: &Stack, out: &mut String) {
    let g = &s.g;
    let status = g.status & !runtime::SCAN;
    let mut state = if s.system {
        "idle".to_string()
    } else if status == runtime::WAITING && g.waitreason != 0 {
        ctx.names
            .wait
            .get(usize::from(g.waitreason))
            .filter(|n| !n.is_empty())
            .cloned()
            .unwrap_or_else(|| "unknown wait reason".into())
    } else {
        ctx.names
            .status
            .get(status as usize)
            .filter(|n| !n.is_empty())
            .cloned()
            .unwrap_or_else(|| "???".into())
    };
    if g.status & runtime::SCAN != 0 {
        state.push_str(" (scan)");
    }
    if status == runtime::WAITING && g.waitsince != 0 && ctx.now > g.waitsince {
        let minutes = (ctx.now - g.waitsince) / 60_000_000_000;
        if minutes >= 1 {
            let _ = write!(state, ", {minutes} minutes");
        }
    }
    if g.lockedm != 0 && !s.system {
        state.push_str(", locked to thread");
    }
    let goid = if s.system { 0 } else { g.goid };
    let _ = write!(out, "goroutine {goid}");
    if ctx.names.ids_in_header {
        let _ = write!(out, " gp={:#x} m=", g.addr);
        match &s.m {
            Some(m) => {
                let _ = write!(out, "{} mp={:#x}", m.id, m.addr);
            }
            None => out.push_str("nil"),
        }
    }
    let _ = write!(out, " [{state}]");
    if let (Some(l), false, true) = (&ctx.layout.labels, s.system, g.labels != 0) {
        super::runtime::write_labels(ctx.core, l, g.labels, out);
    }
    out.push_str(":\n");
}

#[cfg(test)]
mod tests {
    use super::{crash_thread_is_first, ids_in_header};

    #[test]
    fn headers_carry_the_goroutines_address_since_go_1_23() {
        assert!(!ids_in_header("go1.21.13"));
        assert!(!ids_in_header("go1.22rc1"));
        assert!(ids_in_header("go1.23.0"));
        assert!(ids_in_header("go1.27.3"));
        assert!(ids_in_header("devel go1.28-abcdef"));
        assert!(ids_in_header(""));
        assert!(!crash_thread_is_first("go1.21.13"));
        assert!(crash_thread_is_first("go1.22.0"));
        assert!(crash_thread_is_first("go1.24.11"));
    }
}
