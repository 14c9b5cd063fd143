//! The ledger deadlock of ../mutex-deadlock, every task function annotated
//! with #[async_backtrace::framed]: `post_transfer` locks the accounts, then
//! the journal; `rebuild_journal` locks the journal, then the accounts (both
//! tokio::sync::Mutex), each through a framed helper (`debit`, `append_entry`,
//! `truncate_journal`, `load_balances`). A Barrier makes sure both hold their
//! first lock before they ask for the second. `read_balance` then queues on
//! the accounts. Healthy tasks beside them: `heartbeat` (an interval ticker),
//! `await_config` (joins two `wait_for_setting`, each on a oneshot that
//! `load_config` sends after 30 s, and `wait_for_reload`, a 60 s sleep),
//! and `compact_index`, which keeps a worker busy: it blocks its thread for
//! 300 ms at a time inside `scan_segment` (a synchronous call in a poll),
//! then yields.
//!
//! After one second `watchdog` waits until `compact_index` is inside
//! `scan_segment` (in the middle of a poll), then prints, by the first
//! argument:
//! - `tree-nowait`: async_backtrace::taskdump_tree(false) (a task being
//!   polled shows only its top frame and `[POLLING]`);
//! - `tree-wait`: async_backtrace::taskdump_tree(true) (waits until every
//!   task is between polls);
//! - `tokio`: a tokio task dump (Handle::dump()), `task N (id ID) trace:`
//!   per task, as ../mutex-deadlock prints it.
//!
//! TASKDUMP_ROLES=FILE writes `role<TAB>task id<TAB>function` lines to FILE.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{oneshot, Barrier, Mutex};
use tokio::task::JoinHandle;

struct Accounts {
    balances: Vec<i64>,
}

struct Journal {
    entries: Vec<String>,
}

struct Ledger {
    accounts: Mutex<Accounts>,
    journal: Mutex<Journal>,
}

static SCANNING: AtomicBool = AtomicBool::new(false);

#[async_backtrace::framed]
async fn debit(ledger: &Ledger, from: usize, to: usize, amount: i64) -> tokio::sync::MutexGuard<'_, Accounts> {
    let mut accounts = ledger.accounts.lock().await;
    accounts.balances[from] -= amount;
    accounts.balances[to] += amount;
    accounts
}

#[async_backtrace::framed]
async fn append_entry(ledger: &Ledger, entry: String) {
    let mut journal = ledger.journal.lock().await;
    journal.entries.push(entry);
}

#[async_backtrace::framed]
async fn post_transfer(ledger: Arc<Ledger>, both_locked: Arc<Barrier>) {
    let _accounts = debit(&ledger, 0, 1, 25).await;
    both_locked.wait().await;
    append_entry(&ledger, "transfer 25 from 0 to 1".to_string()).await;
}

#[async_backtrace::framed]
async fn truncate_journal(ledger: &Ledger) -> tokio::sync::MutexGuard<'_, Journal> {
    let mut journal = ledger.journal.lock().await;
    journal.entries.clear();
    journal
}

#[async_backtrace::framed]
async fn load_balances(ledger: &Ledger) -> Vec<i64> {
    let accounts = ledger.accounts.lock().await;
    accounts.balances.clone()
}

#[async_backtrace::framed]
async fn rebuild_journal(ledger: Arc<Ledger>, both_locked: Arc<Barrier>) {
    let mut journal = truncate_journal(&ledger).await;
    both_locked.wait().await;
    for (i, b) in load_balances(&ledger).await.iter().enumerate() {
        journal.entries.push(format!("opening balance {i}: {b}"));
    }
}

#[async_backtrace::framed]
async fn read_balance(ledger: Arc<Ledger>, account: usize) -> i64 {
    let accounts = ledger.accounts.lock().await;
    accounts.balances[account]
}

#[async_backtrace::framed]
async fn heartbeat() {
    let mut ticker = tokio::time::interval(Duration::from_millis(100));
    let mut beats: u64 = 0;
    loop {
        ticker.tick().await;
        beats = std::hint::black_box(beats + 1);
    }
}

#[async_backtrace::framed]
async fn wait_for_setting(rx: oneshot::Receiver<String>) -> usize {
    match rx.await {
        Ok(setting) => setting.len(),
        Err(_) => 0,
    }
}

#[async_backtrace::framed]
async fn wait_for_reload() {
    tokio::time::sleep(Duration::from_secs(60)).await;
}

#[async_backtrace::framed]
async fn await_config(limits: oneshot::Receiver<String>, flags: oneshot::Receiver<String>) -> usize {
    let (a, b, ()) = tokio::join!(wait_for_setting(limits), wait_for_setting(flags), wait_for_reload());
    a + b
}

#[async_backtrace::framed]
async fn load_config(limits: oneshot::Sender<String>, flags: oneshot::Sender<String>) {
    tokio::time::sleep(Duration::from_secs(30)).await;
    let _ = limits.send("max_transfer = 1000".to_string());
    let _ = flags.send("audit = on".to_string());
}

#[async_backtrace::framed]
async fn scan_segment(segment: u64) -> u64 {
    SCANNING.store(true, Ordering::SeqCst);
    // Synchronous work inside a poll: the worker thread is busy meanwhile.
    std::thread::sleep(Duration::from_millis(300));
    SCANNING.store(false, Ordering::SeqCst);
    segment * 2
}

#[async_backtrace::framed]
async fn compact_index() {
    let mut segment = 0;
    loop {
        segment = std::hint::black_box(scan_segment(segment).await + 1);
        tokio::task::yield_now().await;
    }
}

fn render(dump: &tokio::runtime::Dump) -> String {
    let mut out = String::new();
    for (i, task) in dump.tasks().iter().enumerate() {
        let trace = task.trace();
        out.push_str(&format!("task {i} (id {}) trace:\n{trace}\n\n", task.id()));
    }
    out
}

#[async_backtrace::framed]
async fn watchdog(after: Duration, mode: String) -> Option<String> {
    tokio::time::sleep(after).await;
    while !SCANNING.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    match mode.as_str() {
        "tree-nowait" => Some(async_backtrace::taskdump_tree(false) + "\n"),
        "tree-wait" => Some(async_backtrace::taskdump_tree(true) + "\n"),
        _ => {
            let handle = tokio::runtime::Handle::current();
            let dump = tokio::time::timeout(Duration::from_secs(5), handle.dump()).await.ok()?;
            // Resolving the traces reads the debug info: keep it off the workers.
            tokio::task::spawn_blocking(move || render(&dump)).await.ok()
        }
    }
}

fn note<T>(roles: &mut Vec<String>, role: &str, function: &str, task: &JoinHandle<T>) {
    roles.push(format!("{role}\t{}\t{function}", task.id()));
}

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    if !["tree-nowait", "tree-wait", "tokio"].contains(&mode.as_str()) {
        eprintln!("usage: mutex-deadlock-framed tree-nowait|tree-wait|tokio");
        std::process::exit(2);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let text = rt.block_on(async {
        let ledger = Arc::new(Ledger {
            accounts: Mutex::new(Accounts { balances: vec![100, 50] }),
            journal: Mutex::new(Journal { entries: Vec::new() }),
        });
        let both_locked = Arc::new(Barrier::new(2));
        let mut roles = Vec::new();

        let t = tokio::spawn(post_transfer(ledger.clone(), both_locked.clone()));
        note(&mut roles, "post_transfer", "post_transfer", &t);
        let t = tokio::spawn(rebuild_journal(ledger.clone(), both_locked.clone()));
        note(&mut roles, "rebuild_journal", "rebuild_journal", &t);
        // Let both take their first lock and pass the barrier.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let t = tokio::spawn(read_balance(ledger.clone(), 1));
        note(&mut roles, "read_balance", "read_balance", &t);
        let t = tokio::spawn(heartbeat());
        note(&mut roles, "heartbeat", "heartbeat", &t);
        let (limits_tx, limits_rx) = oneshot::channel();
        let (flags_tx, flags_rx) = oneshot::channel();
        let t = tokio::spawn(await_config(limits_rx, flags_rx));
        note(&mut roles, "await_config", "await_config", &t);
        let t = tokio::spawn(load_config(limits_tx, flags_tx));
        note(&mut roles, "load_config", "load_config", &t);
        let t = tokio::spawn(compact_index());
        note(&mut roles, "compact_index", "compact_index", &t);
        let dog = tokio::spawn(watchdog(Duration::from_secs(1), mode));
        note(&mut roles, "watchdog", "watchdog", &dog);

        if let Ok(path) = std::env::var("TASKDUMP_ROLES") {
            std::fs::write(path, roles.join("\n") + "\n").expect("write roles");
        }
        dog.await.ok().flatten()
    });
    match text {
        Some(text) => {
            print!("{text}");
            std::process::exit(0)
        }
        None => {
            eprintln!("task dump timed out");
            std::process::exit(1)
        }
    }
}
