//! Parsers for dumps of native code, one file per family: [`frames`] (glibc
//! `backtrace_symbols`, sanitizer reports, eu-stack, Android tombstones),
//! [`rust`] (Rust panics and `std::backtrace`), [`gdb`] (gdb and lldb thread
//! backtraces) and [`tokio`] (async task dumps). Each reads its threads into
//! the builder of [`crate::parse::threads`].
//!
//! This file holds the frame helpers they share: interning named and
//! address-only frames (the latter recorded for `crate::symbolize`, which
//! resolves them later), `/proc/PID/maps` lines, and splitting a C, C++ or
//! Rust function name into its parts and code kind.

pub mod frames;
pub mod gdb;
pub mod rust;
pub mod tokio;

use crate::model::heap::Module;
use crate::model::{AddrSpace, CodeKind, FrameId, RawAddr, Sym, Tables};
use crate::parse::threads::source_frame;

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
    let hex = s.trim();
    let hex = hex
        .strip_prefix("0x")
        .or_else(|| hex.strip_prefix("0X"))
        .unwrap_or(hex);
    if hex.is_empty() || hex.len() > 16 {
        return None;
    }
    u64::from_str_radix(hex, 16).ok()
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
    let bytes = full.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'<' | b'(' | b'[' | b'{' => depth += 1,
            b'>' | b')' | b']' | b'}' => depth -= 1,
            b':' if depth == 0 && bytes.get(index + 1) == Some(&b':') => {
                cut = Some(index);
                index += 1;
            }
            _ => {}
        }
        index += 1;
    }
    match cut {
        Some(c) => (full[..c].to_string(), None, full[c + 2..].to_string(), kind),
        None => (String::new(), None, full.to_string(), kind),
    }
}

/// The language's own code: Rust's standard library, the C library, the
/// C++ runtime, the sanitizers' runtime.
pub fn code_kind(full: &str, file: &str, module: &str) -> CodeKind {
    let name = full
        .trim_start_matches(['<', '&'])
        .trim_start_matches("dyn ");
    // A v0-mangled path names its crates with their hash: `std[e282..]::`.
    let krate = name.split("::").next().unwrap_or("");
    let krate = krate.split('[').next().unwrap_or(krate);
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
    if RUNTIME.contains(&name)
        || crate::model::vocab::alloc::is_allocator_function(full)
        || name.starts_with("__asan")
        || name.starts_with("__tsan")
        || name.starts_with("__sanitizer")
        || name.starts_with("__interceptor")
        || name.starts_with("___interceptor")
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
        "__rustc",
    ];
    if (name.contains("::") && STD.contains(&krate))
        || file.starts_with("/rustc/")
        || file.contains("/library/std/src/")
        || file.contains("/library/core/src/")
        || file.starts_with("./nptl/")
        || file.starts_with("../sysdeps/")
        || file.starts_with("./stdlib/")
        || file.contains("/glibc")
        || name.starts_with("__GI_")
        || name.starts_with("__futex")
        || name.starts_with("__lll_")
        || name.starts_with("___pthread")
        || name.starts_with("__pthread")
        || name.starts_with("pthread_")
    {
        return CodeKind::Stdlib;
    }
    let base = module.rsplit('/').next().unwrap_or(module);
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
    if LIBS.iter().any(|l| base.starts_with(l)) {
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
            code_kind("_rjem_je_malloc_default", "src/jemalloc.c", ""),
            CodeKind::Runtime
        );
        assert_eq!(
            code_kind("core[c1f1a4ba060b9bfa]::fmt::write", "", ""),
            CodeKind::Stdlib
        );
        assert_eq!(
            code_kind("main", "/home/build/app.c", "./app"),
            CodeKind::User
        );
    }
}
