//! A progress bar on stderr while big inputs are read.

use std::io::IsTerminal;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

/// A progress bar on stderr for big inputs, only when stderr is a terminal.
pub(super) struct Progress {
    counter: Option<Arc<AtomicU64>>,
    stop: Option<(
        Arc<std::sync::atomic::AtomicBool>,
        std::thread::JoinHandle<()>,
    )>,
}

impl Progress {
    const MIN_BYTES: u64 = 64 << 20;

    pub(super) fn start(total: u64) -> Progress {
        if total < Self::MIN_BYTES || !std::io::stderr().is_terminal() {
            return Progress {
                counter: None,
                stop: None,
            };
        }
        let counter = Arc::new(AtomicU64::new(0));
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (bar_counter, bar_done) = (Arc::clone(&counter), Arc::clone(&done));
        let handle = std::thread::spawn(move || {
            let bar = indicatif::ProgressBar::new(total);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {bytes}/{total_bytes} {bytes_per_sec}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            while !bar_done.load(std::sync::atomic::Ordering::Relaxed) {
                bar.set_position(bar_counter.load(std::sync::atomic::Ordering::Relaxed));
                std::thread::sleep(std::time::Duration::from_millis(80));
            }
            bar.finish_and_clear();
        });
        Progress {
            counter: Some(counter),
            stop: Some((done, handle)),
        }
    }

    pub(super) fn counter(&self) -> Option<Arc<AtomicU64>> {
        self.counter.clone()
    }

    pub(super) fn finish(self) {
        if let Some((done, handle)) = self.stop {
            done.store(true, std::sync::atomic::Ordering::Relaxed);
            let _ = handle.join();
        }
    }
}
