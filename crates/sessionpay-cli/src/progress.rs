//! A progress bar on stderr for large inputs, only when stderr is a terminal.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sessionpay_io::Input;

/// Bytes of input read so far by every run of this process: the engine
/// counts into it, the bar reads it.
pub(crate) static BYTES_READ: AtomicU64 = AtomicU64::new(0);

/// Inputs smaller than this finish before a bar would be worth drawing.
const MIN_BYTES: u64 = 8 << 20;

/// A running progress bar; it disappears when dropped.
pub(crate) struct Progress {
    done: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Progress {
    /// Starts a bar over the inputs' total size, when stderr is a terminal,
    /// `quiet` is off and the inputs are files of a few MB or more.
    pub(crate) fn start(inputs: &[Input], quiet: bool) -> Progress {
        let none = Progress {
            done: Arc::new(AtomicBool::new(true)),
            thread: None,
        };
        if quiet || !std::io::stderr().is_terminal() || inputs.iter().any(Input::is_stdin) {
            return none;
        }
        let total: u64 = inputs
            .iter()
            .filter_map(|i| std::fs::metadata(&i.path).ok())
            .map(|m| m.len())
            .sum();
        if total < MIN_BYTES {
            return none;
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(
            "sessionpay: {bar:30} {binary_bytes}/{binary_total_bytes} ({binary_bytes_per_sec}, {eta} left)",
        ) {
            bar.set_style(style);
        }
        let start = BYTES_READ.load(Ordering::Relaxed);
        let done = Arc::new(AtomicBool::new(false));
        let stop = Arc::clone(&done);
        let thread = std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                bar.set_position(
                    BYTES_READ
                        .load(Ordering::Relaxed)
                        .saturating_sub(start)
                        .min(total),
                );
                std::thread::sleep(Duration::from_millis(100));
            }
            bar.finish_and_clear();
        });
        Progress {
            done,
            thread: Some(thread),
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
