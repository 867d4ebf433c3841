//! What a run says on stderr: notes (silenced by --quiet), messages, the
//! progress bar, and how a run that worked ended.

use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sessionpay_engine::Stats;
use sessionpay_io::{Input, Location};

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

/// The value a field's problem quotes: the text in quotes after its last
/// "but found " (the readers' messages put the value there), when it reads
/// as a quoted string.
fn found_value(problem: &str) -> Option<String> {
    let at = problem.rfind("but found \"")? + "but found ".len();
    let mut stream = serde_json::Deserializer::from_str(&problem[at..]).into_iter::<String>();
    stream.next()?.ok()
}

/// One message on stderr, as text or as a JSON line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Message {
    level: &'static str,
    text: String,
    file: Option<String>,
    /// The CSV record (header 0), the JSON response's row.
    record: Option<u64>,
    line: Option<u64>,
    column: Option<u64>,
    /// The CSV column or JSON key.
    field: Option<String>,
    /// The offending value, as the problem quotes it.
    value: Option<String>,
}

impl Message {
    pub(crate) fn new(level: &'static str, text: &str) -> Message {
        Message {
            level,
            text: text.to_string(),
            file: None,
            record: None,
            line: None,
            column: None,
            field: None,
            value: None,
        }
    }

    /// The file, line and column of an input error.
    fn place(&mut self, err: &sessionpay_io::Error) {
        if let Some(place) = err.place() {
            self.file = Some(sessionpay_io::Shown(&place.path).to_string());
            match place.location {
                Location::File => {}
                Location::Csv { record, line } => (self.record, self.line) = (Some(record), Some(line)),
                Location::Ndjson { line } => self.line = Some(line),
                Location::JsonRow { row } => self.record = Some(row),
                Location::Text { line, column } => (self.line, self.column) = (Some(line), Some(column)),
            }
        }
        if let sessionpay_io::Error::Field { column, problem, .. } = err {
            self.field = Some(column.clone());
            self.value = found_value(problem);
        }
    }

    /// The message as a line for stderr: `sessionpay: text`, or the JSON object
    /// `{"level", "message", "file", "record", "line", "column", "field", "value"}` (the last
    /// six where known).
    pub(crate) fn line(&self, json: bool) -> String {
        if !json {
            let warning = if self.level == "warning" { "warning: " } else { "" };
            return format!(
                "sessionpay: {warning}{}\n",
                sessionpay_io::printable_lines(&self.text)
            );
        }
        let string = |text: &str| serde_json::Value::String(text.to_string()).to_string();
        let mut out = format!(
            "{{\"level\":{},\"message\":{}",
            string(self.level),
            string(&self.text)
        );
        if let Some(file) = &self.file {
            out.push_str(&format!(",\"file\":{}", string(file)));
        }
        for (key, number) in [
            ("record", self.record),
            ("line", self.line),
            ("column", self.column),
        ] {
            if let Some(number) = number {
                out.push_str(&format!(",\"{key}\":{number}"));
            }
        }
        if let Some(field) = &self.field {
            out.push_str(&format!(",\"field\":{}", string(field)));
        }
        if let Some(value) = &self.value {
            out.push_str(&format!(",\"value\":{}", string(value)));
        }
        out.push_str("}\n");
        out
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_value_a_problem_quotes_is_found() {
        assert_eq!(
            found_value("expected a date-time such as 2026-05-02T09:00:00Z, but found \"2026-99\"")
                .as_deref(),
            Some("2026-99")
        );
        assert_eq!(
            found_value(r#"but found "say \"hi\"" here"#).as_deref(),
            Some("say \"hi\"")
        );
        assert_eq!(found_value("no value named"), None);
        assert_eq!(found_value("but found \"unterminated"), None);
    }

    #[test]
    fn messages_are_text_or_json_lines() {
        let mut m = Message::new("warning", "a \"quoted\" word");
        assert_eq!(m.line(false), "sessionpay: warning: a \"quoted\" word\n");
        assert_eq!(
            m.line(true),
            "{\"level\":\"warning\",\"message\":\"a \\\"quoted\\\" word\"}\n"
        );
        m.file = Some("x.csv".into());
        m.line = Some(3);
        m.value = Some("v".into());
        let parsed: serde_json::Value = serde_json::from_str(&m.line(true)).expect("json");
        assert_eq!(
            (parsed["file"].as_str(), parsed["line"].as_u64()),
            (Some("x.csv"), Some(3))
        );
        assert_eq!(parsed["value"], "v");
    }
}
