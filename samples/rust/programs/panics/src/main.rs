//! Panics and backtraces for dumpscope's Rust samples. The mode is the first
//! argument:
//!
//! - `main`: the main thread panics in `validate_limit` (always inlined into
//!   the generic `parse_field::<u32>`), under `load_settings` and
//!   `run_pipeline`.
//! - `threads`: a thread named `ingest-1`, one named `ingest-2` and an
//!   unnamed one each panic (one after the other, so the output is in a
//!   fixed order); the main thread joins them and exits with status 101.
//! - `capture FILE`: three threads (`reporter-a`, `reporter-b`, unnamed) and
//!   the main thread write `Backtrace::force_capture()` into FILE, without
//!   panicking (the main thread's with `{:#}`, the full form).
//!
//! When `PANICS_BASE_FILE` is set, the program first writes there the load
//! address of its own executable (its first mapping in /proc/self/maps, as
//! `executable_base 0x...`) followed by a copy of /proc/self/maps, so the
//! PIE load bias behind a stripped backtrace is known. Nothing of it goes to
//! the dump itself.

use std::backtrace::Backtrace;
use std::fmt::Write as _;
use std::str::FromStr;
use std::sync::Mutex;
use std::thread;

fn write_load_base() {
    let Ok(path) = std::env::var("PANICS_BASE_FILE") else { return };
    let exe = std::fs::read_link("/proc/self/exe").expect("readlink /proc/self/exe");
    let maps = std::fs::read_to_string("/proc/self/maps").expect("read /proc/self/maps");
    let first = maps
        .lines()
        .find(|l| l.ends_with(exe.to_str().unwrap()))
        .expect("executable mapping");
    let start = first.split('-').next().unwrap();
    std::fs::write(&path, format!("executable_base 0x{start}\n{maps}")).expect("write base file");
}

#[inline(always)]
fn validate_limit(name: &str, value: u64, max: u64) -> u64 {
    if value > max {
        panic!("setting {name} = {value} exceeds the limit {max}");
    }
    value
}

#[inline(never)]
fn parse_field<T: FromStr + Into<u64> + Copy>(name: &str, raw: &str, max: u64) -> T {
    let v: T = match raw.trim().parse() {
        Ok(v) => v,
        Err(_) => panic!("setting {name}: cannot parse {raw:?}"),
    };
    let checked = validate_limit(name, v.into(), max);
    std::hint::black_box(checked);
    v
}

#[inline(never)]
fn load_settings(text: &str) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let (k, v) = line.split_once('=').expect("key=value");
        let n: u32 = parse_field(k, v, 10_000);
        out.push((k.to_string(), u64::from(n)));
    }
    out
}

#[inline(never)]
fn run_pipeline(text: &str) -> u64 {
    let settings = load_settings(std::hint::black_box(text));
    settings.iter().map(|(_, v)| v).sum()
}

#[inline(never)]
fn ingest_batch(worker: usize, batch: &[u32]) -> u32 {
    let mut sum = 0u32;
    for (i, b) in batch.iter().enumerate() {
        if i == 2 {
            decode_record(worker, *b);
        }
        sum = sum.wrapping_add(*b);
    }
    sum
}

#[inline(never)]
fn decode_record(worker: usize, record: u32) -> u32 {
    let table = std::hint::black_box(vec![1u32, 2, 3]);
    // worker 0 indexes out of bounds, worker 1 unwraps None, worker 2 divides by zero
    match worker {
        0 => table[record as usize],
        1 => table.iter().copied().find(|x| *x == record).unwrap(),
        _ => record / std::hint::black_box(0u32),
    }
}

fn threads_mode() -> ! {
    let mut failed = 0;
    let names = [Some("ingest-1"), Some("ingest-2"), None];
    for (i, name) in names.iter().enumerate() {
        let mut b = thread::Builder::new();
        if let Some(n) = name {
            b = b.name(n.to_string());
        }
        let h = b
            .spawn(move || ingest_batch(i, &[7, 8, 9 + i as u32, 10]))
            .expect("spawn");
        if h.join().is_err() {
            failed += 1;
        }
    }
    eprintln!("{failed} ingest threads panicked");
    std::process::exit(101);
}

#[inline(never)]
fn report_state(out: &Mutex<String>, who: &str, full: bool) {
    let bt = Backtrace::force_capture();
    let mut s = out.lock().unwrap();
    if full {
        writeln!(s, "backtrace of {who} (full):\n{bt:#}").unwrap();
    } else {
        writeln!(s, "backtrace of {who}:\n{bt}").unwrap();
    }
}

#[inline(never)]
fn reporter_loop(out: &Mutex<String>, who: &str, depth: u32) {
    if depth == 0 {
        report_state(out, who, false);
    } else {
        reporter_loop(out, who, std::hint::black_box(depth - 1));
    }
}

fn capture_mode(path: &str) {
    let out = Mutex::new(String::new());
    thread::scope(|s| {
        for (i, name) in [Some("reporter-a"), Some("reporter-b"), None].into_iter().enumerate() {
            let out = &out;
            let mut b = thread::Builder::new();
            if let Some(n) = name {
                b = b.name(n.to_string());
            }
            let who = name.map_or_else(|| "an unnamed thread".to_string(), |n| format!("thread {n}"));
            // one after the other, so the file is in a fixed order
            b.spawn_scoped(s, move || reporter_loop(out, &who, i as u32))
                .expect("spawn")
                .join()
                .unwrap();
        }
    });
    report_state(&out, "thread main", true);
    std::fs::write(path, out.into_inner().unwrap()).expect("write capture file");
}

fn main() {
    write_load_base();
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("main") => {
            let total = run_pipeline("workers=8\nqueue_depth=512\nmax_batch=65000\n");
            println!("total {total}");
        }
        Some("threads") => threads_mode(),
        Some("capture") => capture_mode(args.get(2).expect("capture FILE")),
        _ => {
            eprintln!("usage: panics main|threads|capture FILE");
            std::process::exit(2);
        }
    }
}
