//! Two tasks take two `static` tokio::sync::Mutexes in opposite order (AB-BA)
//! and deadlock: `place_order` holds ORDERS and waits for INVENTORY,
//! `restock` holds INVENTORY and waits for ORDERS. A Barrier makes sure both
//! hold their first lock before they ask for the second. Three `idle_loop`
//! tasks sleep in a loop. After one second `watchdog` takes a task dump with
//! Handle::dump() and prints every task's trace to stdout, then the process
//! exits.
//!
//! TASKDUMP_ROLES=FILE writes `role<TAB>task id<TAB>function` lines to FILE.

use std::time::Duration;
use tokio::sync::{Barrier, Mutex};
use tokio::task::JoinHandle;

static ORDERS: Mutex<u64> = Mutex::const_new(0);
static INVENTORY: Mutex<u64> = Mutex::const_new(0);
static BOTH_HOLD_ONE: std::sync::OnceLock<Barrier> = std::sync::OnceLock::new();

fn barrier() -> &'static Barrier {
    BOTH_HOLD_ONE.get_or_init(|| Barrier::new(2))
}

#[inline(never)]
async fn place_order() {
    let mut open = ORDERS.lock().await;
    *open += 1;
    barrier().wait().await;
    let mut stock = INVENTORY.lock().await; // blocks: restock holds INVENTORY
    *stock -= 1;
}

#[inline(never)]
async fn restock() {
    let mut stock = INVENTORY.lock().await;
    *stock += 10;
    barrier().wait().await;
    let mut open = ORDERS.lock().await; // blocks: place_order holds ORDERS
    *open -= 1;
}

#[inline(never)]
async fn idle_loop() {
    loop {
        tokio::time::sleep(Duration::from_secs(60)).await;
    }
}

fn render(dump: &tokio::runtime::Dump) -> String {
    let mut out = String::new();
    for (i, task) in dump.tasks().iter().enumerate() {
        out.push_str(&format!("task {i} (id {}) trace:\n{}\n\n", task.id(), task.trace()));
    }
    out
}

#[inline(never)]
async fn watchdog(after: Duration) -> Option<String> {
    tokio::time::sleep(after).await;
    let handle = tokio::runtime::Handle::current();
    let dump = tokio::time::timeout(Duration::from_secs(5), handle.dump()).await.ok()?;
    tokio::task::spawn_blocking(move || render(&dump)).await.ok()
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
        let mut roles = Vec::new();
        let t = tokio::spawn(place_order());
        note(&mut roles, "place_order", "place_order", &t);
        let t = tokio::spawn(restock());
        note(&mut roles, "restock", "restock", &t);
        for _ in 0..3 {
            let t = tokio::spawn(idle_loop());
            note(&mut roles, "idle_loop", "idle_loop", &t);
        }
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
