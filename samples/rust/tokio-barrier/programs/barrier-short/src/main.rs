//! A batch of shard loaders that meet at a tokio::sync::Barrier sized for 4
//! parties, but only 3 shards are ever started: the 3 `load_shard` tasks
//! wait in `Barrier::wait()` forever. `report_progress` (an interval ticker)
//! stays healthy. After one second `watchdog` takes a task dump with
//! Handle::dump() and prints every task's trace to stdout, then the process
//! exits.

use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Barrier;

const PARTIES: usize = 4;
const STARTED: usize = 3;

#[inline(never)]
async fn load_shard(ready: Arc<Barrier>, shard: usize) -> usize {
    let rows = std::hint::black_box(shard * 1000);
    ready.wait().await;
    rows
}

#[inline(never)]
async fn report_progress() {
    let mut ticker = tokio::time::interval(Duration::from_millis(250));
    loop {
        ticker.tick().await;
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
    tokio::task::spawn_blocking(move || render(&dump)).await.ok()
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let text = rt.block_on(async {
        let ready = Arc::new(Barrier::new(PARTIES));
        for shard in 0..STARTED {
            tokio::spawn(load_shard(ready.clone(), shard));
        }
        tokio::spawn(report_progress());
        watchdog(Duration::from_secs(1)).await
    });
    print!("{}", text.unwrap_or_default());
    std::process::exit(0);
}
