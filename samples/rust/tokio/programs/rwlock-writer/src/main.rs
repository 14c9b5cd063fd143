//! A route table behind a tokio::sync::RwLock whose writer starves:
//! 3 `serve_snapshot` tasks take a read guard and stream the table to a
//! client, awaiting the client's acknowledgement on an mpsc channel that
//! never delivers (the senders stay alive), so they hold their read guards
//! forever. `apply_update` then waits in `write()`. Because tokio's RwLock is
//! fair (first in, first out), the 2 `lookup_route` tasks that call `read()`
//! after it queue behind the writer although only readers hold the lock.
//! `refresh_metrics` (an interval ticker) stays healthy. After one second
//! `watchdog` takes a task dump with Handle::dump() and prints every task's
//! trace to stdout, then the process exits.
//!
//! TASKDUMP_ROLES=FILE writes `role<TAB>task id<TAB>function` lines to FILE.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, RwLock};
use tokio::task::JoinHandle;

type Routes = Arc<RwLock<HashMap<String, String>>>;

#[inline(never)]
async fn serve_snapshot(routes: Routes, mut acks: mpsc::Receiver<u64>) -> usize {
    let table = routes.read().await;
    let mut sent = 0;
    for (prefix, upstream) in table.iter() {
        sent += prefix.len() + upstream.len();
        // Wait for the client to acknowledge each chunk, read guard held.
        if acks.recv().await.is_none() {
            break;
        }
    }
    sent
}

#[inline(never)]
async fn apply_update(routes: Routes, prefix: &'static str, upstream: &'static str) {
    let mut table = routes.write().await;
    table.insert(prefix.to_string(), upstream.to_string());
}

#[inline(never)]
async fn lookup_route(routes: Routes, path: &'static str) -> Option<String> {
    let table = routes.read().await;
    table.iter().find(|(prefix, _)| path.starts_with(prefix.as_str())).map(|(_, up)| up.clone())
}

#[inline(never)]
async fn refresh_metrics(routes: Routes) {
    let mut ticker = tokio::time::interval(Duration::from_millis(200));
    loop {
        ticker.tick().await;
        std::hint::black_box(Arc::strong_count(&routes));
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

#[inline(never)]
async fn watchdog(after: Duration) -> Option<String> {
    tokio::time::sleep(after).await;
    let handle = tokio::runtime::Handle::current();
    let dump = tokio::time::timeout(Duration::from_secs(5), handle.dump()).await.ok()?;
    // Resolving the traces reads the debug info: keep it off the workers.
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
        let mut initial = HashMap::new();
        initial.insert("/api/".to_string(), "orders-backend:8080".to_string());
        initial.insert("/static/".to_string(), "assets-backend:8080".to_string());
        let routes: Routes = Arc::new(RwLock::new(initial));
        let mut roles = Vec::new();
        // The clients: their senders are kept here and never used.
        let mut clients = Vec::new();

        for _ in 0..3 {
            let (ack_tx, ack_rx) = mpsc::channel(1);
            clients.push(ack_tx);
            let t = tokio::spawn(serve_snapshot(routes.clone(), ack_rx));
            note(&mut roles, "read_holder", "serve_snapshot", &t);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let t = tokio::spawn(apply_update(routes.clone(), "/images/", "images-backend:8080"));
        note(&mut roles, "writer", "apply_update", &t);
        tokio::time::sleep(Duration::from_millis(100)).await;
        for path in ["/api/orders", "/static/logo.png"] {
            let t = tokio::spawn(lookup_route(routes.clone(), path));
            note(&mut roles, "queued_reader", "lookup_route", &t);
        }
        let t = tokio::spawn(refresh_metrics(routes.clone()));
        note(&mut roles, "refresh_metrics", "refresh_metrics", &t);
        let dog = tokio::spawn(watchdog(Duration::from_secs(1)));
        note(&mut roles, "watchdog", "watchdog", &dog);

        if let Ok(path) = std::env::var("TASKDUMP_ROLES") {
            std::fs::write(path, roles.join("\n") + "\n").expect("write roles");
        }
        let text = dog.await.ok().flatten();
        std::hint::black_box(clients.len());
        text
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
