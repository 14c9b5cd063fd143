//! ELF cores of Go processes: every goroutine rebuilt from the runtime's
//! own structures.
//!
//! The executable (`--binary`) gives what the core does not hold: the
//! symbol table (`runtime.allgs`, `runtime.allm`, the runtime's name
//! tables), the layouts of `runtime.g`, `runtime.m`, ... from its DWARF
//! ([`layout`]), the call-frame information of `.debug_frame`
//! ([`unwind`]) and the line tables the [`Symbolizer`](super::super::Symbolizer)
//! reads (functions, files, lines, inlined calls). The core gives the
//! goroutines ([`runtime`]): id, status and wait reason (named by the
//! binary's own `runtime.waitReasonStrings`), wait start, creator, parent,
//! saved registers; the threads' registers for the goroutines that were
//! running; and what each blocked goroutine waits on, from the runtime's
//! wait queues ([`waits`]).
//!
//! The goroutines are then written as the runtime writes them on a crash
//! with `GOTRACEBACK=crash` ([`render`]) and read by the Go traceback
//! reader: a core hands the analysis the same model, facts and findings as
//! the runtime's own dump of the same moment, with the waits read from
//! memory recorded as certain lock facts.

pub mod layout;
pub mod pcln;
pub mod render;
pub mod runtime;
pub mod unwind;
pub mod waits;

use crate::input::elfcore::{CoreFile, Memory};
use crate::model::Bytes;
use crate::symbolize::Options;
use object::{Object, ObjectSegment, ObjectSymbol};
use std::path::PathBuf;

/// `NT_GO_BUILD_ID`, in the executable's `.note.go.buildid`.
const NT_GO_BUILD_ID: u32 = 4;

/// Whether the core's executable is a Go program: its first page (which
/// cores keep for every mapped ELF file) holds the Go build-id note.
pub fn is_go(core: &CoreFile) -> bool {
    let Some((_, exe)) = core.aux(9).and_then(|entry| core.file_at(entry)) else {
        return false;
    };
    let start = core
        .files
        .iter()
        .filter(|f| f.path == exe.path && f.file_offset == 0)
        .map(|f| f.start)
        .next()
        .unwrap_or(exe.start);
    let Some(page) = core.slice(start, 4096) else {
        return false;
    };
    memchr::memmem::find_iter(page, b"Go\0\0").any(|at| {
        at >= 12
            && page.get(at - 12..at - 8) == Some(&4u32.to_le_bytes()[..])
            && page.get(at - 4..at) == Some(&NT_GO_BUILD_ID.to_le_bytes()[..])
    })
}

fn map_file(path: &std::path::Path) -> Option<Bytes> {
    let file = std::fs::File::open(path).ok()?;
    if !file.metadata().ok()?.is_file() {
        return None;
    }
    // SAFETY: read-only map of a file the user named or the core names.
    let map = unsafe { memmap2::Mmap::map(&file) }.ok()?;
    Some(Bytes::mapped(map))
}

fn has_go_runtime(bytes: &[u8]) -> bool {
    object::File::parse(bytes).is_ok_and(|f| f.symbols().any(|s| s.name() == Ok("runtime.allgs")))
}

/// The executable: a `--binary` of the core's executable's file name that
/// is a Go program, else any Go `--binary`, else the path the core names.
fn find_binary(exe: &str, opts: &Options) -> Option<(PathBuf, Bytes)> {
    let name = exe.rsplit('/').next().unwrap_or(exe);
    let mut candidates: Vec<PathBuf> = opts
        .binaries
        .iter()
        .filter(|b| b.file_name().and_then(|n| n.to_str()) == Some(name))
        .cloned()
        .collect();
    candidates.extend(opts.binaries.iter().cloned());
    candidates.push(PathBuf::from(exe));
    candidates.into_iter().find_map(|p| {
        let bytes = map_file(&p)?;
        has_go_runtime(&bytes).then_some((p, bytes))
    })
}

/// A Go core read into a snapshot.
pub struct GoRead {
    /// The core's one snapshot.
    pub snapshots: Vec<crate::model::Snapshot>,
    /// What the user should know: missing goroutines, missing tables.
    pub warnings: Vec<String>,
    /// The goroutines written as the runtime writes its crash traceback;
    /// the snapshot's lines refer to it.
    pub text: String,
}

/// Reads the goroutines of the Go core `core` (see [`is_go`]).
pub fn read(name: &str, mut core: CoreFile, opts: &Options) -> Result<GoRead, String> {
    let mut warnings: Vec<String> = core.warnings.clone();
    let exe = core
        .aux(9)
        .and_then(|entry| core.file_at(entry))
        .map(|(_, f)| f.path.clone())
        .unwrap_or_default();
    let Some((path, bytes)) = find_binary(&exe, opts) else {
        // A Go binary without its symbol table (built with -ldflags=-s).
        if let Some(b) = opts.binaries.iter().find(|b| {
            map_file(b).is_some_and(|bytes| {
                object::File::parse(&*bytes).is_ok_and(|f| {
                    use object::ObjectSection;
                    f.section_by_name(".go.buildinfo").is_some()
                        && f.section_by_name(".symtab").is_none_or(|s| s.size() == 0)
                })
            })
        }) {
            return Err(format!(
                "{name}: {} is a Go binary without its symbol table (built with -ldflags=-s): the goroutines cannot be found; pass the unstripped binary",
                b.display()
            ));
        }
        return Err(format!(
            "{name}: a core of a Go program: its executable {exe} is needed to read the goroutines; pass it with --binary"
        ));
    };
    let file = object::File::parse(&*bytes)
        .map_err(|e| format!("{}: not a readable ELF file: {e}", path.display()))?;
    let start = core
        .files
        .iter()
        .filter(|f| f.path == exe && f.file_offset == 0)
        .map(|f| f.start)
        .next();
    // The core keeps the executable's first page: it must be the binary's.
    if let (Some(start), Some(head)) = (start, bytes.get(..4096)) {
        if let Some(page) = core.core_slice(start, 4096) {
            if page.len() == head.len() && page != head {
                return Err(format!(
                    "{name}: {} is not the executable of this core (its headers and Go build-id differ from the {exe} the core holds); pass the binary the process ran",
                    path.display()
                ));
            }
        }
    }
    let first_load = file
        .segments()
        .map(|s| s.address().wrapping_sub(s.file_range().0))
        .next()
        .unwrap_or(0);
    let bias = start.map_or(0, |s| s.wrapping_sub(first_load & !0xfff));
    for i in 0..core.files.len() {
        if core.files[i].path == exe {
            core.attach(i, bytes.clone());
        }
    }
    let layout = layout::read(&file).map_err(|e| format!("{name}: {}: {e}", path.display()))?;
    let syms = render::Symbols::new(&file, bias);
    let Some(allgs) = syms.data("runtime.allgs") else {
        return Err(format!(
            "{name}: {} has no runtime.allgs symbol (stripped with -s?): the goroutines cannot be found",
            path.display()
        ));
    };
    let (gs, lost) = runtime::all_gs(&core, &layout, allgs.0)?;
    if lost > 0 {
        warnings.push(format!(
            "{name}: {lost} {} of runtime.allgs not in the core (a truncated core?): not shown",
            if lost == 1 { "goroutine" } else { "goroutines" }
        ));
    }
    let ms = syms
        .data("runtime.allm")
        .map(|(a, _)| runtime::all_ms(&core, &layout, a))
        .unwrap_or_default();
    let table = |sym: &str| {
        syms.data(sym)
            .map(|(a, size)| runtime::strings(&core, a, size))
            .unwrap_or_default()
    };
    let version = table("runtime.buildVersion").pop().unwrap_or_default();
    let names = render::Names {
        wait: table("runtime.waitReasonStrings"),
        status: table("runtime.gStatusStrings"),
        signals: syms
            .data("runtime.sigtable")
            .map(|(a, size)| render::signal_names(&core, a, size))
            .unwrap_or_default(),
        ids_in_header: render::ids_in_header(&version),
    };
    if names.wait.is_empty() {
        warnings.push(format!(
            "{name}: runtime.waitReasonStrings not found in {}: waiting goroutines are shown as \"waiting\"",
            path.display()
        ));
    }
    let now = render::latest_stamp(&core, &layout, &syms, &gs);
    let frames = unwind::FrameTable::new(&file, core.arch, bias);
    if frames.is_empty() {
        warnings.push(format!(
            "{name}: {} has no .debug_frame: goroutines are unwound by frame pointers only",
            path.display()
        ));
    }
    let pcln = syms
        .data("runtime.firstmoduledata")
        .and_then(|(md, _)| pcln::Pcln::new(&core, &layout, md));
    let ctx = render::Context {
        pcln: pcln.as_ref(),
        core: &core,
        layout: &layout,
        syms: &syms,
        frames: &frames,
        names: &names,
        now,
    };
    let stacks = render::unwind_all(&ctx, &gs, &ms);
    if stacks.1.is_some() && !render::crash_thread_is_first(&version) {
        warnings.push(format!(
            "{name}: built with {version}, whose runtime aborts on the last thread its SIGQUIT reached: the signal shown is that thread's, not the first one's"
        ));
    }
    let mut binaries = opts.binaries.clone();
    if !binaries.contains(&path) {
        binaries.push(path.clone());
    }
    let text = render::render(&ctx, &stacks, &binaries, opts, &mut warnings);
    let parse_opts = crate::parse::go::Options::default();
    let mut snapshots =
        crate::parse::go::parse(Bytes::owned(text.clone().into_bytes()), name, &parse_opts);
    // What the goroutines wait on, from the runtime's wait queues.
    if let Some(wl) = &layout.waits {
        let mw = waits::read(&core, wl, syms.data("runtime.semtable"), &gs);
        if mw.cut {
            warnings.push(format!(
                "{name}: the runtime's wait queues are longer than this reader follows, or damaged: some waits are read from the goroutines' frames only"
            ));
        }
        for snap in &mut snapshots {
            waits::record(snap, &core, &mw, &gs, wl, &names.wait, &syms);
        }
    }
    Ok(GoRead {
        snapshots,
        warnings,
        text,
    })
}
