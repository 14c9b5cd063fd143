//! A crawler whose connection limit runs dry: `fetch_page` takes one of the 4
//! permits of a tokio::sync::Semaphore, sends its request and awaits the
//! reply on a oneshot channel. The first 4 requests go to a backend that never
//! answers (the backend keeps the senders alive and does nothing), so they
//! hold all 4 permits forever and the next 20 `fetch_page` tasks queue in
//! `Semaphore::acquire()`. `report_progress` (an interval ticker) stays
//! healthy. After one second `watchdog` takes a task dump with Handle::dump()
//! and prints every task's trace to stdout, then the process exits.
//!
//! TASKDUMP_ROLES=FILE writes `role<TAB>task id<TAB>function` lines to FILE.

use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{oneshot, Semaphore};
use tokio::task::JoinHandle;

const PERMITS: usize = 4;
const QUEUED: usize = 20;

struct Request {
    url: String,
    reply: oneshot::Sender<Vec<u8>>,
}

#[inline(never)]
async fn fetch_page(limit: Arc<Semaphore>, backend: Arc<std::sync::Mutex<Vec<Request>>>, url: String) -> usize {
    let _permit = limit.acquire().await.expect("semaphore closed");
    let (reply, response) = oneshot::channel();
    backend.lock().unwrap().push(Request { url, reply });
    match response.await {
        Ok(body) => body.len(),
        Err(_) => 0,
    }
}

#[inline(never)]
async fn report_progress(limit: Arc<Semaphore>) {
    let mut ticker = tokio::time::interval(Duration::from_millis(250));
    loop {
        ticker.tick().await;
        std::hint::black_box(limit.available_permits());
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
        let limit = Arc::new(Semaphore::new(PERMITS));
        // The backend: requests land here and are never answered; the reply
        // senders stay alive as long as the process does.
        let backend = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut roles = Vec::new();

        for i in 0..PERMITS {
            let t = tokio::spawn(fetch_page(limit.clone(), backend.clone(), format!("https://shop.example/page/{i}")));
            note(&mut roles, "permit_holder", "fetch_page", &t);
        }
        // Wait until the first four hold every permit and sent their request.
        while limit.available_permits() > 0 || backend.lock().unwrap().len() < PERMITS {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        for i in PERMITS..PERMITS + QUEUED {
            let t = tokio::spawn(fetch_page(limit.clone(), backend.clone(), format!("https://shop.example/page/{i}")));
            note(&mut roles, "permit_waiter", "fetch_page", &t);
        }
        let t = tokio::spawn(report_progress(limit.clone()));
        note(&mut roles, "report_progress", "report_progress", &t);
        let dog = tokio::spawn(watchdog(Duration::from_secs(1)));
        note(&mut roles, "watchdog", "watchdog", &dog);

        if let Ok(path) = std::env::var("TASKDUMP_ROLES") {
            std::fs::write(path, roles.join("\n") + "\n").expect("write roles");
        }
        let text = dog.await.ok().flatten();
        let pending = backend.lock().unwrap().iter().filter(|r| !r.reply.is_closed()).map(|r| r.url.len()).sum::<usize>();
        std::hint::black_box(pending);
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
