//! Lock-order (AB-BA) deadlock on two `static` `std::sync::Mutex`es.
//!
//! "place-order" locks `ORDERS` then `INVENTORY`, "restock" locks
//! `INVENTORY` then `ORDERS`; a barrier makes both hold their first mutex
//! before they ask for the second. Three "idle-N" threads sleep in a loop,
//! and main joins "place-order". The program writes its own ground truth
//! to the file named by its argument, then prints "ready". std's mutex
//! keeps no owner, so the truth has none.
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Barrier, Mutex};
use std::thread;
use std::time::Duration;

static ORDERS: Mutex<u64> = Mutex::new(0);
static INVENTORY: Mutex<u64> = Mutex::new(0);
static BOTH_HOLD_ONE: Barrier = Barrier::new(2);
static LWPS: [AtomicU64; 5] = [const { AtomicU64::new(0) }; 5];

/// This thread's LWP, from /proc/thread-self (`PID/task/TID`).
fn gettid() -> u64 {
    std::fs::read_link("/proc/thread-self")
        .ok()
        .and_then(|p| p.file_name()?.to_str()?.parse().ok())
        .unwrap_or(0)
}

fn place_order() {
    LWPS[0].store(gettid(), Ordering::SeqCst);
    let mut open = ORDERS.lock().unwrap();
    *open += 1;
    BOTH_HOLD_ONE.wait();
    let mut stock = INVENTORY.lock().unwrap(); // blocks: restock holds INVENTORY
    *stock -= 1;
}

fn restock() {
    LWPS[1].store(gettid(), Ordering::SeqCst);
    let mut stock = INVENTORY.lock().unwrap();
    *stock += 10;
    BOTH_HOLD_ONE.wait();
    let mut open = ORDERS.lock().unwrap(); // blocks: place-order holds ORDERS
    *open -= 1;
}

fn idle_loop(index: usize) {
    LWPS[2 + index].store(gettid(), Ordering::SeqCst);
    loop {
        thread::sleep(Duration::from_secs(60));
    }
}

/// Waits until thread `index` sits in futex() on `addr`.
fn wait_on_futex(index: usize, addr: usize) {
    let lwp = loop {
        let lwp = LWPS[index].load(Ordering::SeqCst);
        if lwp != 0 {
            break lwp;
        }
        thread::sleep(Duration::from_millis(1));
    };
    for _ in 0..600 {
        let text = std::fs::read_to_string(format!("/proc/self/task/{lwp}/syscall")).unwrap_or_default();
        let mut words = text.split_whitespace();
        let nr = words.next().and_then(|w| w.parse::<u64>().ok());
        let arg1 = words.next().and_then(|w| u64::from_str_radix(w.trim_start_matches("0x"), 16).ok());
        // futex is system call 202 on x86-64; the futex word is the
        // mutex's first field.
        if nr == Some(202) && arg1 == Some(addr as u64) {
            return;
        }
        thread::sleep(Duration::from_millis(10));
    }
    eprintln!("thread {lwp} never blocked on {addr:#x}");
    std::process::exit(1);
}

fn main() {
    let out = std::env::args().nth(1).expect("truth file");
    for index in 0..3 {
        thread::Builder::new()
            .name(format!("idle-{}", index + 1))
            .spawn(move || idle_loop(index))
            .unwrap();
    }
    let placer = thread::Builder::new().name("place-order".into()).spawn(place_order).unwrap();
    let _restocker = thread::Builder::new().name("restock".into()).spawn(restock).unwrap();
    let orders = &ORDERS as *const _ as usize;
    let inventory = &INVENTORY as *const _ as usize;
    wait_on_futex(0, inventory);
    wait_on_futex(1, orders);
    for lwp in &LWPS[2..] {
        while lwp.load(Ordering::SeqCst) == 0 {
            thread::sleep(Duration::from_millis(1));
        }
    }
    let pid = std::process::id();
    let lwp = |i: usize| LWPS[i].load(Ordering::SeqCst);
    let mut text = format!(
        "{{\"program\": \"lock-order (Rust)\", \"pid\": {pid}, \"main_lwp\": {pid},\n \"locks\": {{\"ORDERS\": {{\"address\": \"{orders:#x}\", \"holder\": \"place-order\"}},\n           \"INVENTORY\": {{\"address\": \"{inventory:#x}\", \"holder\": \"restock\"}}}},\n \"threads\": [\n"
    );
    text += &format!("  {{\"lwp\": {}, \"name\": \"place-order\", \"holds\": [\"ORDERS\"], \"waits\": {{\"kind\": \"mutex\", \"lock\": \"INVENTORY\"}}}},\n", lwp(0));
    text += &format!("  {{\"lwp\": {}, \"name\": \"restock\", \"holds\": [\"INVENTORY\"], \"waits\": {{\"kind\": \"mutex\", \"lock\": \"ORDERS\"}}}},\n", lwp(1));
    for i in 2..5 {
        text += &format!("  {{\"lwp\": {}, \"name\": \"idle-{}\", \"holds\": [], \"waits\": {{\"kind\": \"sleep\"}}}},\n", lwp(i), i - 1);
    }
    text += &format!("  {{\"lwp\": {pid}, \"name\": \"main\", \"holds\": [], \"waits\": {{\"kind\": \"join\", \"thread\": \"place-order\"}}}}\n ],\n");
    text += " \"deadlock\": {\"threads\": [\"place-order\", \"restock\"], \"locks\": [\"ORDERS\", \"INVENTORY\"]}}\n";
    std::fs::write(out, text).unwrap();
    println!("ready");
    let _ = placer.join();
}
