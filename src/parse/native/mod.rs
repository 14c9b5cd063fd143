//! Native and Rust backtraces: Rust panics and `std::backtrace` output,
//! glibc `backtrace_symbols`, sanitizer reports, eu-stack and Android
//! tombstones. Their frames are often raw addresses, which the symbolizer
//! resolves later (`crate::symbolize`).

pub mod frames;
pub mod gdb;
pub mod rust;
pub mod tokio;

use crate::input::Bytes;
use crate::model::heap::Module;
use crate::model::{
    AddrSpace, ArgSpan, CodeKind, Crash, FrameId, LabelSetId, RawAddr, Runtime, Snapshot,
    StateClass, Sym, Tables, Task, TaskExtra, TaskFlags, Warning,
};
use std::sync::Arc;

/// At most this many frames are kept per stack (a runaway recursion prints
/// thousands).
pub const MAX_FRAMES: usize = 4096;
/// At most this many tasks per dump.
pub const MAX_TASKS: usize = 1 << 20;

/// One thread or backtrace being read.
#[derive(Debug, Default)]
pub struct Block {
    pub id: u64,
    pub name: Option<String>,
    pub state: &'static str,
    pub class: Option<StateClass>,
    pub frames: Vec<FrameId>,
    /// Frames left out: `(index, count)`.
    pub elided: Option<(u32, u32)>,
    /// 1-based line and byte offset of the block's first line.
    pub line: u32,
    pub offset: u64,
    pub partial: bool,
    /// Per frame, its argument text relative to `offset` (empty when the
    /// format prints none).
    pub args: Vec<ArgSpan>,
}

impl Block {
    pub fn new(id: u64, line: u32, offset: u64) -> Block {
        Block {
            id,
            line,
            offset,
            state: "running",
            ..Block::default()
        }
    }

    /// Adds a frame, up to [`MAX_FRAMES`].
    pub fn push(&mut self, f: FrameId) {
        if self.frames.len() < MAX_FRAMES {
            self.frames.push(f);
        } else {
            self.partial = true;
        }
    }
}

/// What a native parser read from one dump.
pub struct Dump {
    pub format: &'static str,
    pub runtime: Runtime,
    pub origin: &'static str,
    pub blocks: Vec<Block>,
    pub crash: Option<Crash>,
    pub maps: Vec<Module>,
    pub warnings: Vec<Warning>,
    pub range: (u64, u64),
    pub truncated: bool,
    /// Lock relations the dump states; `task` indexes `blocks`.
    pub sync: crate::model::SyncFacts,
}

impl Dump {
    /// A dump of thread or task stacks, with the lock relations its text
    /// states; no crash, mappings or warnings.
    pub fn threads(
        format: &'static str,
        runtime: Runtime,
        blocks: Vec<Block>,
        range: (u64, u64),
        sync: crate::model::SyncFacts,
    ) -> Dump {
        Dump {
            format,
            runtime,
            origin: "stack",
            blocks,
            crash: None,
            maps: Vec::new(),
            warnings: Vec::new(),
            range,
            truncated: false,
            sync,
        }
    }
}

/// Turns what a native parser read into snapshots sharing `tables`.
pub fn snapshots(
    text: &Bytes,
    source: &str,
    tables: Tables,
    mut dumps: Vec<Dump>,
) -> Vec<Snapshot> {
    let mut tables = tables;
    let mut all_args: Vec<ArgSpan> = Vec::new();
    let tasks: Vec<Vec<Task>> = dumps
        .iter_mut()
        .map(|d| {
            std::mem::take(&mut d.blocks)
                .into_iter()
                .map(|b| task(&mut tables, &mut all_args, b))
                .collect()
        })
        .collect();
    let tables = Arc::new(tables);
    let args: Arc<Vec<ArgSpan>> = Arc::new(all_args);
    dumps
        .into_iter()
        .zip(tasks)
        .filter(|(_, tasks)| !tasks.is_empty())
        .enumerate()
        .map(|(index, (d, tasks))| Snapshot {
            source: source.to_string(),
            index,
            format: d.format,
            runtime: d.runtime,
            version_guess: None,
            origin: Some(d.origin.to_string()),
            crash: d.crash,
            tasks,
            tables: Arc::clone(&tables),
            args: Arc::clone(&args),
            warnings: d.warnings,
            truncated: d.truncated,
            text: text.clone(),
            range: d.range,
            time_unix: None,
            maps: d.maps,
            sync: d.sync,
        })
        .collect()
}

fn task(tables: &mut Tables, all_args: &mut Vec<ArgSpan>, b: Block) -> Task {
    let state = tables.intern(b.state);
    // Argument spans only when every frame has one, so that frame `i`'s
    // span is at `args + i`.
    let args = if !b.args.is_empty() && b.args.len() == b.frames.len() {
        let at = u32::try_from(all_args.len()).unwrap_or(u32::MAX);
        all_args.extend_from_slice(&b.args);
        at
    } else {
        u32::MAX
    };
    let stack = tables.intern_stack(&b.frames, b.elided);
    let mut flags = TaskFlags::default();
    if b.partial {
        flags.set(TaskFlags::PARTIAL);
    }
    Task {
        id: b.id,
        parent_id: None,
        state,
        class: b.class.unwrap_or(StateClass::Other),
        wait_minutes: None,
        flags,
        labels: LabelSetId(0),
        stack,
        creator: None,
        args,
        offset: b.offset,
        line: b.line,
        arg_hash: [0, 0],
        extra: b.name.map(|name| {
            Box::new(TaskExtra {
                name: Some(name),
                ..TaskExtra::default()
            })
        }),
    }
}

/// Interns a frame with a known function (and maybe a source position).
pub fn named_frame(
    t: &mut Tables,
    function: &str,
    file: &str,
    line: u32,
    module: &str,
    inlined: bool,
) -> FrameId {
    source_frame(
        t,
        function,
        |n| split_function(n, file, module),
        file,
        line,
        inlined,
    )
}

/// Interns a frame of a known function at a source position; `split`
/// names the function's parts the way its runtime does.
pub fn source_frame(
    t: &mut Tables,
    function: &str,
    split: impl FnOnce(&str) -> (String, Option<String>, String, CodeKind),
    file: &str,
    line: u32,
    inlined: bool,
) -> FrameId {
    let f = t.intern_function(function.as_bytes(), split);
    let file = t.intern(file);
    t.intern_frame(crate::model::Frame {
        function: f,
        file,
        line,
        pc_offset: None,
        inlined,
    })
}

/// A frame printed only as an address: named `module+0xoff` (or `0xaddr`
/// without a module) and recorded for the symbolizer.
pub fn addr_frame(
    t: &mut Tables,
    module: &str,
    build_id: &str,
    addr: u64,
    space: AddrSpace,
    call: bool,
) -> FrameId {
    let base = module.rsplit('/').next().unwrap_or(module);
    let name = match (base.is_empty(), space) {
        (true, _) => format!("{addr:#x}"),
        (false, AddrSpace::Absolute) => format!("{base}@{addr:#x}"),
        (false, _) => format!("{base}+{addr:#x}"),
    };
    let raw = RawAddr {
        module: t.intern(module),
        build_id: t.intern(build_id),
        addr,
        space,
        call,
    };
    t.raw_frame(&name, code_kind("", "", module), raw)
}

/// Records the address a named frame was printed at, so that the
/// symbolizer can add its source line and inlined frames.
pub fn note_addr(
    t: &mut Tables,
    f: FrameId,
    module: &str,
    addr: u64,
    space: AddrSpace,
    call: bool,
) {
    let raw = RawAddr {
        module: t.intern(module),
        build_id: Sym(0),
        addr,
        space,
        call,
    };
    t.note_addr(f, raw);
}

/// Parses `0x1f`, `1f` as hex.
pub fn hex_u64(s: &str) -> Option<u64> {
    let s = s.trim();
    let s = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    if s.is_empty() || s.len() > 16 {
        return None;
    }
    u64::from_str_radix(s, 16).ok()
}

/// Lines of `text` with their byte offsets and 1-based numbers, CR
/// stripped, invalid UTF-8 lossily replaced.
pub fn lines(text: &[u8]) -> impl Iterator<Item = (u64, u32, std::borrow::Cow<'_, str>)> {
    let mut off = 0u64;
    let mut no = 0u32;
    text.split_inclusive(|&c| c == b'\n').map(move |l| {
        let at = off;
        off += l.len() as u64;
        no = no.saturating_add(1);
        let mut l = l;
        while let Some((&last, rest)) = l.split_last() {
            if last == b'\n' || last == b'\r' {
                l = rest;
            } else {
                break;
            }
        }
        (at, no, String::from_utf8_lossy(l))
    })
}

/// Lines that look like `/proc/PID/maps`:
/// `start-end perms offset dev inode path`.
pub fn parse_map_line(l: &str) -> Option<Module> {
    let mut it = l.split_ascii_whitespace();
    let range = it.next()?;
    let perms = it.next()?;
    let offset = it.next()?;
    let dev = it.next()?;
    let _inode = it.next()?;
    let path = it.collect::<Vec<_>>().join(" ");
    let (a, b) = range.split_once('-')?;
    if perms.len() != 4 || !dev.contains(':') {
        return None;
    }
    let start = u64::from_str_radix(a, 16).ok()?;
    let end = u64::from_str_radix(b, 16).ok()?;
    if end <= start || !path.starts_with('/') {
        return None;
    }
    Some(Module {
        start,
        end,
        file_offset: u64::from_str_radix(offset, 16).ok()?,
        path,
        build_id: None,
    })
}

/// Splits a native function name (Rust, C++ or C) into
/// `(package, receiver, name, kind)` for [`crate::model::Tables::intern_function`]:
/// the package is everything before the last `::` outside generic
/// arguments, the name the rest. `file` and `module` (either may be empty)
/// help tell the user's code from the language's.
pub fn split_function(
    full: &str,
    file: &str,
    module: &str,
) -> (String, Option<String>, String, CodeKind) {
    let kind = code_kind(full, file, module);
    let mut depth = 0i32;
    let mut cut = None;
    let b = full.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'<' | b'(' | b'[' | b'{' => depth += 1,
            b'>' | b')' | b']' | b'}' => depth -= 1,
            b':' if depth == 0 && b.get(i + 1) == Some(&b':') => {
                cut = Some(i);
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    match cut {
        Some(c) => (full[..c].to_string(), None, full[c + 2..].to_string(), kind),
        None => (String::new(), None, full.to_string(), kind),
    }
}

/// The language's own code: Rust's standard library, the C library, the
/// C++ runtime, the sanitizers' runtime.
pub fn code_kind(full: &str, file: &str, module: &str) -> CodeKind {
    let f = full
        .trim_start_matches(['<', '&'])
        .trim_start_matches("dyn ");
    let krate = f.split("::").next().unwrap_or("");
    const RUNTIME: &[&str] = &[
        "_start",
        "__libc_start_main",
        "__libc_start_call_main",
        "start_thread",
        "clone",
        "clone3",
        "__clone",
        "__restore_rt",
        "__rust_begin_short_backtrace",
        "__rust_end_short_backtrace",
        "__rust_try",
        "rust_begin_unwind",
        "__rust_start_panic",
        "__rust_panic_cleanup",
    ];
    if RUNTIME.contains(&f)
        || f.starts_with("__asan")
        || f.starts_with("__tsan")
        || f.starts_with("__sanitizer")
        || f.starts_with("__interceptor")
        || f.starts_with("___interceptor")
        || file.contains("/sanitizer_common/")
        || file.contains("libsanitizer/")
    {
        return CodeKind::Runtime;
    }
    const STD: &[&str] = &[
        "std",
        "core",
        "alloc",
        "panic_unwind",
        "panic_abort",
        "backtrace",
        "std_detect",
        "proc_macro",
        "test",
    ];
    if (f.contains("::") && STD.contains(&krate))
        || file.starts_with("/rustc/")
        || file.contains("/library/std/src/")
        || file.contains("/library/core/src/")
        || file.starts_with("./nptl/")
        || file.starts_with("../sysdeps/")
        || file.starts_with("./stdlib/")
        || file.contains("/glibc")
        || f.starts_with("__GI_")
        || f.starts_with("__futex")
        || f.starts_with("__lll_")
        || f.starts_with("___pthread")
        || f.starts_with("__pthread")
        || f.starts_with("pthread_")
    {
        return CodeKind::Stdlib;
    }
    let m = module.rsplit('/').next().unwrap_or(module);
    const LIBS: &[&str] = &[
        "libc.so",
        "libc-",
        "libpthread",
        "ld-linux",
        "libstdc++",
        "libgcc_s",
        "libm.so",
        "libdl.so",
        "linux-vdso",
        "libasan",
        "libtsan",
    ];
    if LIBS.iter().any(|l| m.starts_with(l)) {
        return CodeKind::Stdlib;
    }
    CodeKind::User
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn native_names_split_outside_generics() {
        let (p, _, n, k) = split_function("std::sync::mutex::Mutex<T>::lock", "", "");
        assert_eq!(
            (p.as_str(), n.as_str(), k),
            ("std::sync::mutex::Mutex<T>", "lock", CodeKind::Stdlib)
        );
        let (p, _, n, k) =
            split_function("<app::Cache as core::ops::Drop>::drop", "src/main.rs", "");
        assert_eq!(
            (p.as_str(), n.as_str(), k),
            ("<app::Cache as core::ops::Drop>", "drop", CodeKind::User)
        );
        let (p, _, n, k) = split_function("app::handle::{{closure}}", "src/main.rs", "");
        assert_eq!(
            (p.as_str(), n.as_str(), k),
            ("app::handle", "{{closure}}", CodeKind::User)
        );
        assert_eq!(
            code_kind("memcpy", "", "/lib/x86_64-linux-gnu/libc.so.6"),
            CodeKind::Stdlib
        );
        assert_eq!(code_kind("__libc_start_main", "", ""), CodeKind::Runtime);
        assert_eq!(
            code_kind("main", "/home/build/app.c", "./app"),
            CodeKind::User
        );
    }
}
