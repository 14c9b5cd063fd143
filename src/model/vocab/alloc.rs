//! Native memory allocators, kept as data: the shared libraries whose
//! frames start every stack of a heap profile they write (the profiler's
//! own backtrace code and the `malloc` that called it). They are where the
//! profile was taken, not where the program allocated, so a heap profile's
//! sites start below them.

/// File names (their start) of allocator libraries: jemalloc, gperftools'
/// tcmalloc (`libtcmalloc.so.4`, `libtcmalloc_minimal`,
/// `libtcmalloc_and_profiler`, `libtcmalloc_debug`), mimalloc.
pub const ALLOCATOR_MODULES: &[&str] = &["libjemalloc", "libtcmalloc", "libmimalloc"];

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
    }
}
