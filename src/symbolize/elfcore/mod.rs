//! ELF cores of native processes (C, C++, Rust) to thread snapshots.
//!
//! The core is read by [`crate::input::elfcore`]; the files it mapped are
//! attached (the `--binary` for the executable, the libraries at the paths
//! the core names when their build-ids match) so that the pages the core
//! left out can be read; each thread is unwound with the modules'
//! call-frame information ([`unwind`]) and symbolized with the
//! [`Symbolizer`](super::Symbolizer) (inlined frames, debug files by
//! build-id and debuglink), falling back to dynamic symbols read from
//! memory ([`symbols`]). What each blocked thread waits on is read from
//! memory ([`locks`]): the mutex and its owner, the thread a join waits for.
//!
//! The threads are then written as gdb writes `thread apply all bt`,
//! followed by the owner printouts gdb gives for each waiting thread's
//! mutex, and read by the gdb reader: a core hands the analysis the same
//! model, facts and findings as gdb's dump of the same process, with the
//! owners stated.

pub mod go;
pub mod locks;
pub mod symbols;
pub mod unwind;

use super::{Options, Request, Space, Symbolizer};
use crate::input::elfcore::{Arch, CoreFile, FileMapping};
use crate::model::heap::Module as Mapping;
use crate::model::{Bytes, Confidence, Crash, LockBasis, LockFact, LockRel, Snapshot, SyncKind};
use locks::MemWait;
use rustc_hash::FxHashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use symbols::SymbolTable;
use unwind::Module;

/// The format id of snapshots read from a core.
pub const FORMAT: &str = crate::parse::elfcore::FORMAT;

/// A core read into snapshots.
pub struct CoreRead {
    /// The core's one snapshot.
    pub snapshots: Vec<Snapshot>,
    /// What the user should know: missing or mismatched files, truncation.
    pub warnings: Vec<String>,
    /// The thread dump written from the core (gdb's `thread apply all bt`
    /// form); the snapshot's lines refer to it.
    pub text: String,
}

/// One symbolized frame as written.
#[derive(Debug, Clone)]
struct Line {
    pc: u64,
    function: String,
    file: String,
    line: u32,
    /// Inlined into the next line (printed without an address).
    inlined: bool,
    module: String,
}

/// Maps a file and returns its bytes.
fn map_file(path: &Path) -> Option<Bytes> {
    let file = std::fs::File::open(path).ok()?;
    if !file.metadata().ok()?.is_file() {
        return None;
    }
    // SAFETY: read-only map of a file the user named or the core names;
    // a file changed underneath is outside what can be defended against.
    let map = unsafe { memmap2::Mmap::map(&file) }.ok()?;
    Some(Bytes::mapped(map))
}

fn file_build_id(bytes: &[u8]) -> Option<Vec<u8>> {
    use object::Object;
    object::File::parse(bytes)
        .ok()?
        .build_id()
        .ok()
        .flatten()
        .map(<[u8]>::to_vec)
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The file to attach for a module: a `--binary` of the same build-id or
/// file name, else the path the core names. Mismatched build-ids are noted
/// and not attached.
fn find_file(
    path: &str,
    want: Option<&[u8]>,
    binaries: &[PathBuf],
    warnings: &mut Vec<String>,
) -> Option<(PathBuf, Bytes)> {
    let mut named: Vec<PathBuf> = binaries
        .iter()
        .filter(|b| b.file_name().and_then(|n| n.to_str()) == Some(file_name(path)))
        .cloned()
        .collect();
    if let Some(id) = want {
        for b in binaries {
            if let Some(bytes) = map_file(b) {
                if file_build_id(&bytes).as_deref() == Some(id) {
                    return Some((b.clone(), bytes));
                }
            }
        }
    }
    named.push(PathBuf::from(path));
    for candidate in named {
        let Some(bytes) = map_file(&candidate) else {
            continue;
        };
        let have = file_build_id(&bytes);
        match (want, have.as_deref()) {
            (Some(w), Some(h)) if w != h => {
                warnings.push(format!(
                    "{}: build-id mismatch: the core's {} has build-id {}, this file {}; not used (frames in it stay unsymbolized unless the core holds its code)",
                    candidate.display(),
                    path,
                    super::image::hex(w),
                    super::image::hex(h)
                ));
            }
            _ => return Some((candidate, bytes)),
        }
    }
    None
}

/// The executable's mappings for a core without `NT_FILE`: the first
/// `--binary` whose entry point and program headers sit where the core's
/// auxiliary vector puts them (`AT_ENTRY`, `AT_PHDR`), its `PT_LOAD`
/// segments placed at that load bias, with the file attached. Shared
/// libraries stay unknown.
fn exe_mappings(core: &CoreFile, binaries: &[PathBuf]) -> Option<(Vec<FileMapping>, Bytes)> {
    use object::read::elf::{FileHeader, ProgramHeader};
    let entry = core.aux(9)?;
    let phdr = core.aux(3);
    for path in binaries {
        let Some(bytes) = map_file(path) else {
            continue;
        };
        let data: &[u8] = &bytes;
        let Ok(header) = object::elf::FileHeader64::<object::Endianness>::parse(data) else {
            continue;
        };
        let Ok(endian) = header.endian() else {
            continue;
        };
        let Ok(phdrs) = header.program_headers(endian, data) else {
            continue;
        };
        let bias = entry.wrapping_sub(header.e_entry(endian));
        if bias % 4096 != 0 {
            continue;
        }
        let loads: Vec<_> = phdrs
            .iter()
            .filter(|p| p.p_type(endian) == object::elf::PT_LOAD)
            .collect();
        // The program headers' runtime address must be the core's AT_PHDR.
        let phoff = header.e_phoff(endian);
        let at_phdr = loads.iter().find_map(|p| {
            let off = p.p_offset(endian);
            (off <= phoff && phoff < off.saturating_add(p.p_filesz(endian))).then(|| {
                bias.wrapping_add(p.p_vaddr(endian))
                    .wrapping_add(phoff - off)
            })
        });
        if phdr.is_some() && at_phdr != phdr {
            continue;
        }
        let name = path.to_string_lossy().into_owned();
        let maps = loads
            .iter()
            .filter(|p| p.p_filesz(endian) > 0)
            .map(|p| {
                let vaddr = p.p_vaddr(endian);
                let page = vaddr & !0xfff;
                let end = vaddr
                    .saturating_add(p.p_filesz(endian))
                    .saturating_add(0xfff)
                    & !0xfff;
                FileMapping {
                    start: bias.wrapping_add(page),
                    end: bias.wrapping_add(end),
                    file_offset: p.p_offset(endian) & !0xfff,
                    path: name.clone(),
                }
            })
            .collect::<Vec<_>>();
        if !maps.is_empty() {
            return Some((maps, bytes.clone()));
        }
    }
    None
}

/// Reads an ELF core: its threads, unwound and symbolized, and what they
/// wait on.
pub fn read(name: &str, data: Bytes, opts: &Options) -> Result<CoreRead, String> {
    let mut core = CoreFile::parse(data).map_err(|e| format!("{name}: {e}"))?;
    if core.files.is_empty() {
        match exe_mappings(&core, &opts.binaries) {
            Some((maps, bytes)) => {
                core.set_files(maps);
                for i in 0..core.files.len() {
                    core.attach(i, bytes.clone());
                }
            }
            None => core.warnings.push(format!(
                "{name}: the core names no mapped files (no NT_FILE note, as user-mode emulators write them) and no --binary has its entry point: pass the executable with --binary"
            )),
        }
    }
    if go::is_go(&core) {
        let read = go::read(name, core, opts)?;
        let mut snapshots = read.snapshots;
        for snap in &mut snapshots {
            snap.format = FORMAT;
        }
        return Ok(CoreRead {
            snapshots,
            warnings: read.warnings,
            text: read.text,
        });
    }
    let mut warnings: Vec<String> = core.warnings.clone();
    let first = unwind::modules(&core);
    let exe = core
        .aux(9)
        .and_then(|entry| core.file_at(entry))
        .map(|(_, f)| f.path.clone());
    let mut used: Vec<PathBuf> = Vec::new();
    let mut done: Vec<&str> = Vec::new();
    let paths: Vec<String> = core.files.iter().map(|f| f.path.clone()).collect();
    let mut missing = Vec::new();
    for path in &paths {
        if done.contains(&path.as_str()) {
            continue;
        }
        done.push(path);
        let module = first.iter().find(|m| &m.path == path);
        let is_elf = module.is_some() || path.contains(".so");
        if !is_elf && Some(path) != exe.as_ref() {
            continue;
        }
        let want = module.and_then(|m| m.build_id.as_deref());
        match find_file(path, want, &opts.binaries, &mut warnings) {
            Some((file, bytes)) => {
                for (i, f) in core.files.clone().iter().enumerate() {
                    if &f.path == path {
                        core.attach(i, bytes.clone());
                    }
                }
                used.push(file);
            }
            None if Some(path) == exe.as_ref() => warnings.push(format!(
                "{name}: the executable {path} is not given: pass it with --binary {} (and its debug files with --debug-dir); its frames are shown as raw addresses",
                file_name(path)
            )),
            None => missing.push(path.clone()),
        }
    }
    if !missing.is_empty() {
        let more = missing.len().saturating_sub(4);
        missing.truncate(4);
        warnings.push(format!(
            "{name}: shared libraries not found (their frames are named from the dynamic symbols the core holds, if any): {}{}",
            missing.join(", "),
            if more > 0 { format!(" and {more} more") } else { String::new() }
        ));
    }
    let modules = unwind::modules(&core);
    let mut unwinder = unwind::Unwinder::new(&core, &modules);
    let stacks: Vec<Vec<unwind::Frame>> = core
        .threads
        .iter()
        .map(|t| unwinder.unwind(&t.regs))
        .collect();
    let lines = symbolize(&core, &modules, &stacks, &used, opts, &mut warnings);
    let (text, writers) = render(&core, &modules, &lines);
    let mut snapshots =
        crate::parse::native::gdb::parse(Bytes::owned(text.clone().into_bytes()), name);
    for snap in &mut snapshots {
        snap.format = FORMAT;
        // gdb's reader knows mutex owners; a writer is stated here alike.
        for w in &writers {
            let Some(task) = snap.tasks.iter().position(|t| t.id == u64::from(w.lwp)) else {
                continue;
            };
            let class = std::sync::Arc::make_mut(&mut snap.tables).intern("pthread_rwlock_t");
            snap.sync.locks.push(LockFact {
                task: task as u32,
                rel: LockRel::Holds,
                kind: SyncKind::RwLock,
                addr: w.addr,
                class,
                frame: u16::MAX,
                line: w.line,
                basis: LockBasis::Stated,
                confidence: Confidence::Certain,
            });
        }
        if core.process.crashed() {
            let lwp = core.threads.first().map(|t| t.lwp as u64);
            snap.crash = Some(Crash {
                message: format!(
                    "{}{}",
                    signal_name(core.process.signal),
                    core.process
                        .fault_addr
                        .map_or_else(String::new, |a| format!(" (address {a:#x})"))
                ),
                task_id: lwp.filter(|id| snap.tasks.iter().any(|t| t.id == *id)),
                ..Crash::default()
            });
        }
    }
    Ok(CoreRead {
        snapshots,
        warnings,
        text,
    })
}

/// Resolves every frame: the symbolizer first (DWARF, symbol tables),
/// then the dynamic symbols read from memory.
fn symbolize(
    core: &CoreFile,
    modules: &[Module],
    stacks: &[Vec<unwind::Frame>],
    used: &[PathBuf],
    opts: &Options,
    warnings: &mut Vec<String>,
) -> Vec<Vec<Line>> {
    let mut binaries = opts.binaries.clone();
    for u in used {
        if !binaries.contains(u) {
            binaries.push(u.clone());
        }
    }
    let sopts = Options {
        binaries,
        debug_dirs: opts.debug_dirs.clone(),
        bases: Vec::new(),
        system_dirs: true,
    };
    let mut sym = Symbolizer::new(&sopts);
    let ids: FxHashMap<&str, String> = modules
        .iter()
        .filter_map(|m| Some((m.path.as_str(), super::image::hex(m.build_id.as_deref()?))))
        .collect();
    let maps: Vec<Mapping> = core
        .files
        .iter()
        .map(|f| Mapping {
            start: f.start,
            end: f.end,
            file_offset: f.file_offset,
            path: f.path.clone(),
            build_id: ids.get(f.path.as_str()).cloned(),
        })
        .collect();
    let mut reqs = Vec::new();
    for stack in stacks {
        for (i, fr) in stack.iter().enumerate() {
            reqs.push(Request {
                module: "",
                build_id: None,
                addr: fr.pc,
                space: Space::Absolute,
                call: i > 0,
            });
        }
    }
    let outcome = sym.resolve(&reqs, &maps);
    for note in outcome.notes {
        // Modules without a file are already named above.
        if !note.contains("bare address") && !note.starts_with("not symbolized, no --binary") {
            warnings.push(note);
        }
    }
    let mut dynsyms: FxHashMap<usize, SymbolTable> = FxHashMap::default();
    let mut results = outcome.results.into_iter();
    let mut out = Vec::new();
    for stack in stacks {
        let mut lines = Vec::new();
        for (i, fr) in stack.iter().enumerate() {
            let module = core
                .file_at(fr.pc)
                .map(|(_, f)| f.path.clone())
                .unwrap_or_default();
            let resolved = results.next().flatten();
            let frames = resolved.as_ref().map(|r| &r.frames[..]).unwrap_or(&[]);
            if frames.is_empty() || frames.iter().all(|f| f.function.is_empty()) {
                let probe = if i > 0 { fr.pc - 1 } else { fr.pc };
                let function = modules
                    .iter()
                    .position(|m| m.start <= probe && probe < m.end)
                    .and_then(|mi| {
                        let table = dynsyms
                            .entry(mi)
                            .or_insert_with(|| SymbolTable::from_memory(core, &modules[mi]));
                        table
                            .containing(probe.wrapping_sub(modules[mi].bias))
                            .map(symbols::demangled)
                    })
                    .unwrap_or_else(|| "??".to_string());
                lines.push(Line {
                    pc: fr.pc,
                    function,
                    file: String::new(),
                    line: 0,
                    inlined: false,
                    module,
                });
                continue;
            }
            for (k, f) in frames.iter().enumerate() {
                lines.push(Line {
                    pc: fr.pc,
                    function: if f.function.is_empty() {
                        "??".to_string()
                    } else {
                        f.function.to_string()
                    },
                    file: f.file.to_string(),
                    line: f.line,
                    inlined: k + 1 < frames.len(),
                    module: module.clone(),
                });
            }
        }
        out.push(lines);
    }
    out
}

fn signal_name(signal: i32) -> &'static str {
    match signal {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        4 => "SIGILL",
        5 => "SIGTRAP",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        13 => "SIGPIPE",
        15 => "SIGTERM",
        31 => "SIGSYS",
        _ => "signal",
    }
}

/// The thread pointer (`pthread_t` of glibc), when the registers have it.
fn thread_pointer(arch: Arch, regs: &[u64]) -> Option<u64> {
    match arch {
        Arch::X86_64 => regs.get(21).copied().filter(|&v| v != 0),
        Arch::Aarch64 => None,
    }
}

/// The symbol of a data address, from the module file attached for it.
fn data_symbol(
    core: &CoreFile,
    modules: &[Module],
    tables: &mut FxHashMap<String, SymbolTable>,
    addr: u64,
) -> Option<String> {
    let m = modules.iter().find(|m| m.start <= addr && addr < m.end)?;
    let table = tables.entry(m.path.clone()).or_insert_with(|| {
        let bytes = core
            .files
            .iter()
            .position(|f| f.path == m.path)
            .and_then(|i| core.attached(i));
        bytes.map_or_else(SymbolTable::default, |b| SymbolTable::from_file(b, true))
    });
    table
        .containing(addr.wrapping_sub(m.bias))
        .map(symbols::demangled)
}

/// Writes the threads as gdb's `thread apply all bt` does, then gdb's
/// printouts of each waited mutex (`print mutex`, `print *mutex`).
fn render(core: &CoreFile, modules: &[Module], stacks: &[Vec<Line>]) -> (String, Vec<Writer>) {
    let mut out = String::new();
    let p = &core.process;
    if !p.args.is_empty() {
        let _ = writeln!(out, "Core was generated by `{}'.", p.args);
    }
    // gdb names the first thread's signal (none for a `gcore`).
    if let Some(signal) = core.threads.first().map(|t| t.signal).filter(|&s| s != 0) {
        let _ = writeln!(
            out,
            "Program terminated with signal {}.",
            signal_name(i32::from(signal))
        );
    }
    let mut tables: FxHashMap<String, SymbolTable> = FxHashMap::default();
    let mut waits: Vec<(usize, MemWait, String)> = Vec::new();
    let all: Vec<Option<MemWait>> = core
        .threads
        .iter()
        .zip(stacks)
        .map(|(thread, lines)| {
            let functions: Vec<&str> = lines.iter().map(|l| l.function.as_str()).collect();
            locks::wait_of(core, thread, &functions)
        })
        .collect();
    let handles = handles(core, &all);
    for (n, (thread, lines)) in core.threads.iter().zip(stacks).enumerate().rev() {
        let wait = all.get(n).copied().flatten();
        let _ = writeln!(out);
        let _ = writeln!(out, "{}", header(core, &handles, n, thread));
        let arg = match wait {
            Some(
                MemWait::Mutex { addr, .. }
                | MemWait::Futex { addr }
                | MemWait::RwLock { addr, .. },
            ) => {
                let sym = data_symbol(core, modules, &mut tables, addr)
                    .map(|s| format!(" <{s}>"))
                    .unwrap_or_default();
                if let Some(w) = wait {
                    waits.push((n, w, sym.clone()));
                }
                let name = match wait {
                    Some(MemWait::RwLock { .. }) => "rwlock",
                    _ => "mutex",
                };
                Some(format!("{name}={addr:#x}{sym}"))
            }
            Some(MemWait::Join { lwp }) => handles.get(&lwp).map(|tp| format!("threadid={tp:#x}")),
            None => None,
        };
        for (i, l) in lines.iter().enumerate() {
            let args = match (&arg, wait) {
                (Some(a), Some(MemWait::Join { .. }))
                    if crate::model::vocab::pthread::is_join(&l.function) =>
                {
                    a.as_str()
                }
                (
                    Some(a),
                    Some(MemWait::Mutex { .. } | MemWait::Futex { .. } | MemWait::RwLock { .. }),
                ) if crate::model::vocab::primitive(&l.function).is_some_and(|p| p.2) => a.as_str(),
                _ => "",
            };
            let mut s = format!("#{i:<2} ");
            // gdb prints the address on the first line of each physical
            // frame, except an inlined innermost one.
            let starts_frame = i == 0 || !lines[i - 1].inlined;
            if starts_frame && !(i == 0 && l.inlined) {
                let _ = write!(s, "0x{:016x} in ", l.pc);
            }
            let _ = write!(s, "{} ({args})", gdb_name(&l.function));
            if !l.file.is_empty() && l.line > 0 {
                let _ = write!(s, " at {}:{}", l.file, l.line);
            } else if !l.module.is_empty() {
                let _ = write!(s, " from {}", l.module);
            }
            out.push_str(&s);
            out.push('\n');
        }
    }
    // gdb's owner printouts (`thread N`, `print mutex`, `print *mutex`).
    let mut value = 1;
    let mut writers = Vec::new();
    for (n, wait, sym) in waits {
        let Some(thread) = core.threads.get(n) else {
            continue;
        };
        if let MemWait::RwLock {
            addr,
            writer: Some(writer),
        } = wait
        {
            // gdb's `print *rwlock`: the writer holding it.
            let _ = writeln!(out);
            let _ = writeln!(out, "{}", header(core, &handles, n, thread));
            let _ = writeln!(out, "${value} = (pthread_rwlock_t *) {addr:#x}{sym}");
            let word = |o: u64| core_u32(core, addr.wrapping_add(o));
            let _ = writeln!(
                out,
                "${} = {{__data = {{__readers = {}, __writers = {}, __wrphase_futex = {}, __writers_futex = {}, __cur_writer = {writer}}}}}",
                value + 1,
                word(0),
                word(4),
                word(8),
                word(12),
            );
            let line = out.bytes().filter(|b| *b == b'\n').count() as u32;
            writers.push(Writer {
                lwp: writer,
                addr,
                line,
            });
            value += 2;
            continue;
        }
        let MemWait::Mutex { addr, owner } = wait else {
            continue;
        };
        let _ = writeln!(out);
        let _ = writeln!(out, "{}", header(core, &handles, n, thread));
        let _ = writeln!(out, "${value} = (pthread_mutex_t *) {addr:#x}{sym}");
        let word = |o: u64| core_u32(core, addr.wrapping_add(o));
        let _ = writeln!(
            out,
            "${} = {{__data = {{__lock = {}, __count = {}, __owner = {}, __nusers = {}, __kind = {}}}}}",
            value + 1,
            word(0),
            word(4),
            owner.unwrap_or(0),
            word(12),
            word(16) as i32
        );
        value += 2;
    }
    (out, writers)
}

/// A readers-writer lock's writer read from memory: its LWP, the lock, the
/// line of the printout.
struct Writer {
    lwp: u32,
    addr: u64,
    line: u32,
}

/// A function name as gdb prints it: Rust's inherent methods without the
/// angle brackets the DWARF names carry (`<std::sys::sync::mutex::futex::Mutex>::lock_contended`
/// is `std::sys::sync::mutex::futex::Mutex::lock_contended`); trait
/// methods (`<T as Trait>::f`) stay as they are.
fn gdb_name(function: &str) -> std::borrow::Cow<'_, str> {
    let Some(rest) = function.strip_prefix('<') else {
        return function.into();
    };
    let mut depth = 1usize;
    for (i, c) in rest.char_indices() {
        match c {
            '<' => depth += 1,
            '>' => {
                depth -= 1;
                if depth == 0 {
                    let inner = &rest[..i];
                    return match rest[i + 1..].strip_prefix("::") {
                        Some(tail) if !inner.contains(" as ") => format!("{inner}::{tail}").into(),
                        _ => function.into(),
                    };
                }
            }
            _ => {}
        }
    }
    function.into()
}

fn core_u32(core: &CoreFile, addr: u64) -> u32 {
    use crate::input::elfcore::Memory;
    core.read_u32(addr).unwrap_or(0)
}

/// Each thread's `pthread_t` where it is known: x86-64's thread pointer
/// register; on aarch64 (whose thread pointer is not the `pthread_t`, and
/// which emulators' cores leave out) the joined thread's, from the word the
/// join sleeps on.
fn handles(core: &CoreFile, waits: &[Option<MemWait>]) -> FxHashMap<u32, u64> {
    let mut out: FxHashMap<u32, u64> = core
        .threads
        .iter()
        .filter_map(|t| Some((t.lwp, thread_pointer(core.arch, &t.regs)?)))
        .collect();
    if core.arch == Arch::Aarch64 {
        for (thread, wait) in core.threads.iter().zip(waits) {
            if let Some(MemWait::Join { lwp }) = wait {
                if let Some(word) = locks::futex_word(core.arch, thread) {
                    out.entry(*lwp).or_insert(
                        word.wrapping_sub(crate::model::vocab::pthread::THREAD_TID_OFFSET_AARCH64),
                    );
                }
            }
        }
    }
    out
}

fn header(
    core: &CoreFile,
    handles: &FxHashMap<u32, u64>,
    n: usize,
    thread: &crate::input::elfcore::CoreThread,
) -> String {
    let name = if thread.lwp == core.process.pid && !core.process.name.is_empty() {
        format!(" \"{}\"", core.process.name)
    } else {
        String::new()
    };
    match handles.get(&thread.lwp) {
        Some(tp) => format!(
            "Thread {} (Thread {tp:#x} (LWP {}){name}):",
            n + 1,
            thread.lwp
        ),
        None => format!("Thread {} (LWP {}{name}):", n + 1, thread.lwp),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_as_gdb_prints_them() {
        assert_eq!(
            gdb_name("<std::sys::sync::mutex::futex::Mutex>::lock_contended"),
            "std::sys::sync::mutex::futex::Mutex::lock_contended"
        );
        assert_eq!(gdb_name("<A as B>::f"), "<A as B>::f");
        assert_eq!(gdb_name("main"), "main");
    }
}
