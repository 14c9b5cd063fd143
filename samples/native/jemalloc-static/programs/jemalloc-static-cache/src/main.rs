//! A service whose cache never evicts, with jemalloc linked in as Rust's
//! global allocator (tikv-jemallocator, built with profiling): every
//! request allocates a 16 KiB buffer it drops (healthy) and inserts a new
//! key and rendered value into a map nothing ever evicts (the leak). After
//! 20000 requests it writes a jemalloc heap profile with `prof.dump` to
//! the path given as its first argument. Run with
//! `MALLOC_CONF=prof:true,prof_accum:true,lg_prof_sample:12`.
use std::collections::HashMap;

#[global_allocator]
static ALLOC: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[inline(never)]
fn render_value(n: u32) -> Vec<u8> {
    vec![b'v'; 512 + (n as usize % 7) * 512]
}

#[inline(never)]
fn handle_request(cache: &mut HashMap<String, Vec<u8>>, n: u32) {
    let buffer = vec![0u8; 16384];
    std::hint::black_box(&buffer);
    cache.insert(format!("user-{n}"), render_value(n));
}

fn main() {
    let out = std::env::args().nth(1).unwrap_or_else(|| "jeprof.heap".into());
    let mut cache = HashMap::new();
    for n in 0..20000 {
        handle_request(&mut cache, n);
    }
    let path = std::ffi::CString::new(out).expect("a path without NUL");
    // SAFETY: prof.dump takes a NUL-terminated path, which `path` is.
    unsafe { tikv_jemalloc_ctl::raw::write(b"prof.dump\0", path.as_ptr()) }
        .expect("prof.dump (run with MALLOC_CONF=prof:true)");
    println!("cache holds {} entries", cache.len());
}
