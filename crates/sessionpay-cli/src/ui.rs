//! What a run says on stderr: notes (silenced by --quiet), messages, the
//! progress bar, and how a run that worked ended.

use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sessionpay_engine::Stats;
use sessionpay_io::{Input, Message};

use crate::args::MessageFormat;

/// How a run that worked ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Nothing to report.
    Clean,
    /// A mismatch was found (exit status 1).
    Mismatch,
    /// Rows were rejected under --skip-invalid without --allow-rejects (exit status 2).
    Rejected,
}

/// How messages are written on stderr (`--message-format`), set once by `main`.
static MESSAGE_FORMAT: OnceLock<MessageFormat> = OnceLock::new();

/// Sets how messages are written on stderr for the rest of the run.
pub(crate) fn set_message_format(format: MessageFormat) {
    let _ = MESSAGE_FORMAT.set(format);
}

/// Messages are JSON lines (`--message-format json`).
pub(crate) fn json_messages() -> bool {
    MESSAGE_FORMAT.get() == Some(&MessageFormat::Json)
}

/// Writes `sessionpay: message` on stderr, with no control character but a
/// line break: what reaches a terminal cannot move the cursor or set a title.
/// With `--message-format json`, one JSON object instead, its level taken
/// from a `warning: ` prefix (else a note).
pub(crate) fn say(message: &str) {
    let line = match message.strip_prefix("warning: ") {
        Some(rest) => Message::new("warning", rest),
        None => Message::new("note", message),
    }
    .line(json_messages());
    let _ = io::stderr().lock().write_all(line.as_bytes());
}

/// Writes the error a run ended with on stderr: `sessionpay: error text`,
/// or a JSON object with the file, line and column it is about when known.
pub(crate) fn error(err: &anyhow::Error) {
    let mut message = Message::new("error", &format!("{err:#}"));
    let io = err.chain().find_map(|cause| {
        cause.downcast_ref::<sessionpay_io::Error>().or_else(|| {
            match cause.downcast_ref::<sessionpay_engine::Error>() {
                Some(sessionpay_engine::Error::Io(io)) => Some(io),
                _ => None,
            }
        })
    });
    if let Some(io) = io {
        message.place(io);
    }
    let _ = io::stderr()
        .lock()
        .write_all(message.line(json_messages()).as_bytes());
}

/// Notes for stderr, silenced by --quiet.
pub(crate) struct Notes {
    quiet: bool,
    verbose: bool,
    pub(crate) rejected: u64,
    allow_rejects: bool,
}

impl Notes {
    /// Notes for a command without the usual input options.
    pub(crate) fn new(quiet: bool) -> Notes {
        Notes {
            quiet,
            verbose: false,
            rejected: 0,
            allow_rejects: false,
        }
    }

    /// Notes for a command that reads exports.
    pub(crate) fn for_input(quiet: bool, verbose: bool, allow_rejects: bool) -> Notes {
        Notes {
            quiet,
            verbose,
            rejected: 0,
            allow_rejects,
        }
    }

    /// Says `message` on stderr; its data parts should be escaped already
    /// ([`sessionpay_io::printable`]), and no control character but a line
    /// break gets through in any case.
    pub(crate) fn say(&mut self, message: String) {
        if !self.quiet {
            say(&message);
        }
    }

    /// The outcome of a run that worked, given what was rejected on the way.
    pub(crate) fn finish(&self, outcome: Outcome) -> Outcome {
        if self.blocked() {
            Outcome::Rejected
        } else {
            outcome
        }
    }

    /// Rows were rejected without --allow-rejects: only the rejects file is written.
    pub(crate) fn blocked(&self) -> bool {
        self.rejected > 0 && !self.allow_rejects
    }

    pub(crate) fn stats(&mut self, stats: &Stats) {
        for note in &stats.notes {
            self.say(note.clone());
        }
        if self.verbose {
            let how = if stats.workers > 1 {
                format!("in parallel by {} workers", stats.workers)
            } else {
                "in one pass".to_string()
            };
            self.say(format!("read {} rows {how}", stats.rows));
        }
        if stats.duplicates > 0 {
            let example = stats
                .first_duplicate
                .as_ref()
                .map(|(id, a, b)| format!(" (e.g. session {id} at {a} and at {b})"))
                .unwrap_or_default();
            self.say(format!(
                "{} row(s) repeated an earlier session exactly and were counted once{example}",
                stats.duplicates
            ));
        }
    }
}

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
