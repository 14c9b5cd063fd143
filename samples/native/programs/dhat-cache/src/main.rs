//! dhat-cache: a small "profile service" that answers lookups from a cache
//! that never evicts, run under the dhat heap profiler (dhat-rs).
//!
//! The main thread loads a fixed configuration table, starts one worker
//! thread that serves requests, waits for it and then stops the profiler
//! while the cache is still alive, so `t-end` shows what a long-running
//! service would still hold.
//!
//! Allocation sites, by what they do to the live heap:
//!   - `load_config`          (main thread, once)             stable
//!   - `request_buffer_new`   (16 KiB per request, freed)      healthy: nothing live
//!   - `AccessLog::record`    (ring of 64 lines, recycled)     bounded
//!   - `render_value`         (cached value, never freed)      grows (the leak)
//!   - `Cache::insert`        (key copy and hash table growth) grows
//!
//! Everything is driven by a fixed pseudo-random sequence and a fixed hasher,
//! so two runs allocate the same sizes in the same order.
//!
//! Usage: dhat-cache [REQUESTS] (default 60000); writes dhat-heap.json in the
//! current directory.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::io::Write;

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

/// Deterministic pseudo-random numbers (a 64-bit LCG).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as u32
    }
}

/// Configuration: allocated once, lives for the whole run.
struct Config {
    routes: Vec<String>,
}

#[inline(never)]
fn load_config(nroutes: usize) -> Config {
    let routes = (0..nroutes)
        .map(|i| format!("/api/v1/profile/{i}"))
        .collect();
    Config { routes }
}

struct Entry {
    value: Vec<u8>,
    hits: u64,
}

/// A cache that never evicts: every key ever asked for stays.
struct Cache {
    map: HashMap<String, Entry, BuildHasherDefault<DefaultHasher>>,
}

impl Cache {
    fn new() -> Cache {
        Cache {
            map: HashMap::default(),
        }
    }

    #[inline(never)]
    fn insert(&mut self, key: &str, value: Vec<u8>) -> &mut Entry {
        self.map
            .entry(key.to_owned())
            .or_insert(Entry { value, hits: 0 })
    }

    #[inline(never)]
    fn lookup_or_load(&mut self, key: &str) -> &mut Entry {
        if self.map.contains_key(key) {
            let e = self.map.get_mut(key).unwrap();
            e.hits += 1;
            return e;
        }
        let value = load_from_backend(key);
        self.insert(key, value)
    }
}

fn key_hash(key: &str) -> u64 {
    let mut h = DefaultHasher::new();
    key.hash(&mut h);
    h.finish()
}

/// The "backend": renders a value of 512 B .. 3.5 KiB, depending on the key.
#[inline(never)]
fn render_value(key: &str) -> Vec<u8> {
    let n = 512 + (key_hash(key) % 7) as usize * 512;
    let k = key.as_bytes();
    let mut v = Vec::with_capacity(n);
    for i in 0..n {
        v.push(k[i % k.len()].wrapping_add(i as u8));
    }
    v
}

#[inline(never)]
fn load_from_backend(key: &str) -> Vec<u8> {
    render_value(key)
}

const REQUEST_BUFFER: usize = 16 * 1024;

#[inline(never)]
fn request_buffer_new() -> Vec<u8> {
    Vec::with_capacity(REQUEST_BUFFER)
}

#[inline(never)]
fn read_request(id: u64, cfg: &Config, rng: &mut Rng) -> Vec<u8> {
    let mut buf = request_buffer_new();
    // Keys come from a space that keeps widening: most lookups miss.
    let user = rng.next() % (id as u32 * 2 + 1000);
    let route = &cfg.routes[user as usize % cfg.routes.len()];
    write!(buf, "GET {route}?user=u{user:08}").unwrap();
    buf
}

/// The last 64 access-log lines; older ones are dropped.
struct AccessLog {
    lines: VecDeque<String>,
}

impl AccessLog {
    #[inline(never)]
    fn record(&mut self, id: u64, key: &str, e: &Entry) {
        if self.lines.len() == 64 {
            self.lines.pop_front();
        }
        self.lines.push_back(format!(
            "req={id} key={key} bytes={} hits={}",
            e.value.len(),
            e.hits
        ));
    }
}

struct Server {
    cfg: Config,
    cache: Cache,
    log: AccessLog,
    rng: Rng,
    served_bytes: usize,
}

impl Server {
    #[inline(never)]
    fn handle_request(&mut self, id: u64) {
        let buf = read_request(id, &self.cfg, &mut self.rng);
        let text = std::str::from_utf8(&buf).unwrap();
        let key = &text[text.find('=').unwrap() + 1..];
        let e = self.cache.lookup_or_load(key);
        self.served_bytes += e.value.len();
        self.log.record(id, key, e);
    }

    #[inline(never)]
    fn serve(&mut self, requests: u64) {
        for id in 0..requests {
            self.handle_request(id);
        }
    }
}

fn main() {
    let requests: u64 = std::env::args()
        .nth(1)
        .map(|s| s.parse().expect("REQUESTS must be a number"))
        .unwrap_or(60000);

    let profiler = dhat::Profiler::new_heap();

    let server = Server {
        cfg: load_config(1024),
        cache: Cache::new(),
        log: AccessLog {
            lines: VecDeque::new(),
        },
        rng: Rng(0x2545f4914f6cdd1d),
        served_bytes: 0,
    };
    let server = std::thread::Builder::new()
        .name("worker".into())
        .spawn(move || {
            let mut server = server;
            server.serve(requests);
            server
        })
        .unwrap()
        .join()
        .unwrap();

    // Stop profiling while the cache is still alive, as in a service that
    // keeps running: t-end shows what it holds.
    drop(profiler);
    eprintln!(
        "served {} bytes, {} entries in the cache",
        server.served_bytes,
        server.cache.map.len()
    );
}
