//! A ledger service that deadlocks: `post_transfer` locks the accounts, then
//! the journal; `rebuild_journal` locks the journal, then the accounts (both
//! tokio::sync::Mutex). A Barrier makes sure both hold their first lock
//! before they ask for the second. `read_balance` then queues on the
//! accounts. Healthy tasks beside them: `heartbeat` (an interval ticker),
//! `await_config` (waits on a oneshot that `load_config` sends after 30 s).
//! After one second `watchdog` takes a task dump with Handle::dump() and
//! prints every task's trace to stdout, then the process exits.
//!
//! TASKDUMP_HEADER=plain prints `task N trace:` headers (the form of tokio's
//! own example); otherwise `task N (id ID) trace:`.
//! TASKDUMP_ROLES=FILE writes `role<TAB>task id<TAB>function` lines to FILE.

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

#[inline(never)]
async fn post_transfer(ledger: Arc<Ledger>, both_locked: Arc<Barrier>) {
    let mut accounts = ledger.accounts.lock().await;
    accounts.balances[0] -= 25;
    accounts.balances[1] += 25;
    both_locked.wait().await;
    let mut journal = ledger.journal.lock().await;
    journal.entries.push("transfer 25 from 0 to 1".to_string());
}

#[inline(never)]
async fn rebuild_journal(ledger: Arc<Ledger>, both_locked: Arc<Barrier>) {
    let mut journal = ledger.journal.lock().await;
    journal.entries.clear();
    both_locked.wait().await;
    let accounts = ledger.accounts.lock().await;
    for (i, b) in accounts.balances.iter().enumerate() {
        journal.entries.push(format!("opening balance {i}: {b}"));
    }
}

#[inline(never)]
async fn read_balance(ledger: Arc<Ledger>, account: usize) -> i64 {
    let accounts = ledger.accounts.lock().await;
    accounts.balances[account]
}

#[inline(never)]
async fn heartbeat() {
    let mut ticker = tokio::time::interval(Duration::from_millis(100));
    let mut beats: u64 = 0;
    loop {
        ticker.tick().await;
        beats = std::hint::black_box(beats + 1);
    }
}

#[inline(never)]
async fn await_config(rx: oneshot::Receiver<String>) -> usize {
    match rx.await {
        Ok(config) => config.len(),
        Err(_) => 0,
    }
}

#[inline(never)]
async fn load_config(tx: oneshot::Sender<String>) {
    tokio::time::sleep(Duration::from_secs(30)).await;
    let _ = tx.send("max_transfer = 1000".to_string());
}

fn render(dump: &tokio::runtime::Dump, plain: bool) -> String {
    let mut out = String::new();
    for (i, task) in dump.tasks().iter().enumerate() {
        let trace = task.trace();
        if plain {
            out.push_str(&format!("task {i} trace:\n{trace}\n\n"));
        } else {
            out.push_str(&format!("task {i} (id {}) trace:\n{trace}\n\n", task.id()));
        }
    }
    out
}

#[inline(never)]
async fn watchdog(after: Duration) -> Option<String> {
    tokio::time::sleep(after).await;
    let handle = tokio::runtime::Handle::current();
    let dump = tokio::time::timeout(Duration::from_secs(5), handle.dump()).await.ok()?;
    let plain = std::env::var("TASKDUMP_HEADER").as_deref() == Ok("plain");
    // Resolving the traces reads the debug info: keep it off the workers.
    tokio::task::spawn_blocking(move || render(&dump, plain)).await.ok()
}

fn note<T>(roles: &mut Vec<String>, role: &str, function: &str, task: &JoinHandle<T>) {
    roles.push(format!("{role}\t{}\t{function}", task.id()));
}

fn main() {
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
        let (tx, rx) = oneshot::channel();
        let t = tokio::spawn(await_config(rx));
        note(&mut roles, "await_config", "await_config", &t);
        let t = tokio::spawn(load_config(tx));
        note(&mut roles, "load_config", "load_config", &t);
        let dog = tokio::spawn(watchdog(Duration::from_secs(1)));
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
