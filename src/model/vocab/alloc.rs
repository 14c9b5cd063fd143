//! Native memory allocators, kept as data: the shared libraries whose
//! frames start every stack of a heap profile they write (the profiler's
//! own backtrace code and the `malloc` that called it). They are where the
//! profile was taken, not where the program allocated, so a heap profile's
//! sites start below them.

/// File names (their start) of allocator libraries: jemalloc, gperftools'
/// tcmalloc (`libtcmalloc.so.4`, `libtcmalloc_minimal`,
/// `libtcmalloc_and_profiler`, `libtcmalloc_debug`), mimalloc.
pub const ALLOCATOR_MODULES: &[&str] = &["libjemalloc", "libtcmalloc", "libmimalloc"];

/// Function names (their start) of allocators' own code, for frames that
/// are named (symbolized) rather than placed in an allocator library:
/// jemalloc's internals as Rust's jemallocator links them (`_rjem_je_...`,
/// `prof_backtrace_impl`, `imalloc`), jemalloc's and tcmalloc's exported
/// entry points.
pub const ALLOCATOR_FUNCTIONS: &[&str] = &[
    "_rjem_",
    "je_",
    "prof_backtrace",
    "prof_alloc_prep",
    "imalloc",
    "tc_malloc",
    "tc_new",
    "tc_calloc",
    "tc_realloc",
    "tcmalloc::",
    "mi_malloc",
];

/// A Rust global allocator's entry point (`<tikv_jemallocator::Jemalloc as
/// core::alloc::global::GlobalAlloc>::alloc`): the allocator, whatever
/// its crate.
pub const GLOBAL_ALLOC_IMPL: &str = " as core::alloc::global::GlobalAlloc>::";

/// Whether `name` is a function of an allocator's own code.
pub fn is_allocator_function(name: &str) -> bool {
    ALLOCATOR_FUNCTIONS
        .iter()
        .any(|prefix| name.starts_with(prefix))
        || name.contains(GLOBAL_ALLOC_IMPL)
}

/// Whether the module at `path` is an allocator library.
pub fn is_allocator_module(path: &str) -> bool {
    let base = path.rsplit('/').next().unwrap_or(path);
    ALLOCATOR_MODULES.iter().any(|name| base.starts_with(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocator_libraries_by_file_name() {
        assert!(is_allocator_module(
            "/usr/lib/x86_64-linux-gnu/libtcmalloc.so.4.5.10"
        ));
        assert!(is_allocator_module(
            "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"
        ));
        assert!(!is_allocator_module("/usr/lib/x86_64-linux-gnu/libc.so.6"));
        assert!(!is_allocator_module("/home/build/app"));
        assert!(is_allocator_function("_rjem_je_malloc_default"));
        assert!(is_allocator_function(
            "<tikv_jemallocator::Jemalloc as core::alloc::global::GlobalAlloc>::alloc"
        ));
        assert!(!is_allocator_function("app::render_value"));
    }
}
