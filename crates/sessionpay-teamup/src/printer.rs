//! A run's events as lines for a person: the progress wording of
//! `sessionpay fetch`, redrawn in place on a terminal, every few pages
//! otherwise, and its notes and warnings.

use std::io::Write;

use crate::events::{Event, Progress};

/// Without a terminal, a progress line is written every this many pages (and at the end).
const PROGRESS_EVERY_PAGES: u64 = 10;

/// Progress and notes on stderr, each line `sessionpay: ...` (or a JSON
/// object with `--message-format json`).
pub struct Printer<'a> {
    out: &'a mut dyn Write,
    quiet: bool,
    /// Progress is redrawn in place with `\r`.
    tty: bool,
    /// Messages are JSON lines.
    json: bool,
    /// A `\r` progress line is showing and needs a newline before other text.
    open_line: bool,
    /// The text of the last progress line written.
    last: Option<String>,
    /// Rows a resumed run kept: counted with the fetched ones.
    kept: u64,
    /// Pages received so far.
    pages: u64,
}

impl Progress for Printer<'_> {
    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Resuming { from, after, kept } => {
                self.kept = kept;
                self.note(&format!(
                    "resuming {} after session {after} ({} sessions kept)",
                    from.display(),
                    group(kept)
                ));
            }
            Event::NothingToResume { path } => self.note(&format!(
                "{} does not exist yet; fetching from the start",
                path.display()
            )),
            Event::Retrying {
                reason,
                delay,
                attempt,
                attempts,
            } => {
                let when = if delay.is_zero() {
                    "retrying now".to_string()
                } else {
                    format!("retrying in {:.1}s", delay.as_secs_f32())
                };
                self.warning(&format!("{reason}; {when} (attempt {attempt} of {attempts})"));
            }
            Event::Page {
                pages,
                fetched,
                total,
            } => self.page(pages, fetched, total),
            Event::Finished { fetched, total } => self.finish(fetched, total),
        }
    }
}

/// `1200` as `1,200`.
fn group(n: u64) -> String {
    sessionpay_io::group(&n.to_string())
}

impl<'a> Printer<'a> {
    /// A printer to `out`: `quiet` keeps only warnings, `tty` redraws the
    /// progress line in place, `json` writes each message as a JSON line.
    pub fn new(out: &'a mut dyn Write, quiet: bool, tty: bool, json: bool) -> Self {
        Printer {
            out,
            quiet,
            tty,
            json,
            open_line: false,
            last: None,
            kept: 0,
            pages: 0,
        }
    }

    /// `page 12: 1,200 of 3,000 sessions`, kept rows counted in.
    fn text(&self, pages: u64, fetched: u64, total: Option<u64>) -> String {
        let seen = self.kept + fetched;
        match total {
            Some(total) => format!("page {pages}: {} of {} sessions", group(seen), group(total)),
            None => format!("page {pages}: {} sessions", group(seen)),
        }
    }

    /// After each page: redrawn in place on a terminal, else every few pages.
    fn page(&mut self, pages: u64, fetched: u64, total: Option<u64>) {
        if self.quiet {
            return;
        }
        let text = self.text(pages, fetched, total);
        if self.tty && !self.json {
            let _ = write!(self.out, "\rsessionpay: {text}");
            let _ = self.out.flush();
            self.open_line = true;
            self.last = Some(text);
        } else if pages.is_multiple_of(PROGRESS_EVERY_PAGES) {
            self.line("note", &text);
            self.last = Some(text);
        }
        self.pages = pages;
    }

    /// The final count, unless the last progress line already shows it.
    fn finish(&mut self, fetched: u64, total: Option<u64>) {
        if self.quiet {
            return;
        }
        let text = self.text(self.pages, fetched, total);
        self.close_line();
        if self.last.as_deref() != Some(text.as_str()) {
            self.line("note", &text);
            self.last = Some(text);
        }
    }

    /// An informational note (suppressed by --quiet).
    pub fn note(&mut self, msg: &str) {
        if !self.quiet {
            self.close_line();
            self.line("note", msg);
        }
    }

    /// A warning: printed even under --quiet.
    fn warning(&mut self, msg: &str) {
        self.close_line();
        self.line("warning", msg);
    }

    fn line(&mut self, level: &'static str, msg: &str) {
        let message = sessionpay_io::Message::new(level, msg);
        let _ = self.out.write_all(message.line(self.json).as_bytes());
    }

    fn close_line(&mut self) {
        if self.open_line {
            let _ = writeln!(self.out);
            self.open_line = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::Duration;

    use super::*;

    #[test]
    fn progress_redraws_in_place_on_a_terminal() {
        let mut buf = Vec::new();
        let mut p = Printer::new(&mut buf, false, true, false);
        p.page(1, 100, Some(250));
        p.page(2, 200, Some(250));
        p.note("a note");
        p.page(3, 250, Some(250));
        p.finish(250, Some(250));
        assert_eq!(
            String::from_utf8(buf).expect("utf-8"),
            "\rsessionpay: page 1: 100 of 250 sessions\rsessionpay: page 2: 200 of 250 sessions\n\
             sessionpay: a note\n\
             \rsessionpay: page 3: 250 of 250 sessions\n"
        );

        let mut buf = Vec::new();
        let mut p = Printer::new(&mut buf, false, false, false);
        for n in 1..=12 {
            p.page(n, n * 100, None);
        }
        p.finish(1200, None);
        assert_eq!(
            String::from_utf8(buf).expect("utf-8"),
            "sessionpay: page 10: 1,000 sessions\nsessionpay: page 12: 1,200 sessions\n"
        );
    }

    #[test]
    fn events_print_as_notes_unless_quiet() {
        let events = [
            Event::Resuming {
                from: Path::new("s.ndjson.partial"),
                after: 3,
                kept: 3,
            },
            Event::NothingToResume {
                path: Path::new("s.ndjson"),
            },
            Event::Retrying {
                reason: "u: HTTP 429 (rate limited)",
                delay: Duration::from_millis(1500),
                attempt: 2,
                attempts: 6,
            },
            Event::Page {
                pages: 10,
                fetched: 997,
                total: Some(3000),
            },
            Event::Finished {
                fetched: 2997,
                total: Some(3000),
            },
        ];
        let mut buf = Vec::new();
        let mut p = Printer::new(&mut buf, false, false, false);
        for event in events {
            p.event(event);
        }
        assert_eq!(
            String::from_utf8(buf).expect("utf-8"),
            "sessionpay: resuming s.ndjson.partial after session 3 (3 sessions kept)\n\
             sessionpay: s.ndjson does not exist yet; fetching from the start\n\
             sessionpay: warning: u: HTTP 429 (rate limited); retrying in 1.5s (attempt 2 of 6)\n\
             sessionpay: page 10: 1,000 of 3,000 sessions\n\
             sessionpay: page 10: 3,000 of 3,000 sessions\n"
        );
        let mut buf = Vec::new();
        let mut p = Printer::new(&mut buf, true, false, false);
        for event in events {
            p.event(event);
        }
        assert_eq!(
            String::from_utf8(buf).expect("utf-8"),
            "sessionpay: warning: u: HTTP 429 (rate limited); retrying in 1.5s (attempt 2 of 6)\n",
            "--quiet keeps only the warning"
        );
        let mut buf = Vec::new();
        let mut p = Printer::new(&mut buf, false, true, true);
        for event in events {
            p.event(event);
        }
        let text = String::from_utf8(buf).expect("utf-8");
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect();
        assert_eq!(lines[2]["level"], "warning", "{text}");
        assert_eq!(
            lines.last().expect("last")["message"],
            "page 10: 3,000 of 3,000 sessions"
        );
    }
}
