//! `sessionpay fetch`: its flags mapped onto [`FetchOptions`], and its
//! progress and notes on stderr. The client itself (keyset paging, the
//! totals check, retries, token masking, the `FILE.partial` file and
//! `--resume`) is `sessionpay_teamup::fetch_to_file`, which documents them.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::Duration;

use anyhow::{anyhow, Context};
use sessionpay_teamup::{Event, FetchOptions, Progress, Token};

use crate::args::FetchArgs;

/// Hidden knob (milliseconds) for the backoff base, so that tests run fast.
const BACKOFF_ENV: &str = "SESSIONPAY_FETCH_BACKOFF_MS";
/// Without a terminal, a progress line is written every this many pages (and at the end).
const PROGRESS_EVERY_PAGES: u64 = 10;

/// Runs `sessionpay fetch`.
pub(crate) fn run(args: &FetchArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.output.as_os_str() != "-",
        "fetch writes a file, not stdout (-o -): it keeps FILE.partial so that --resume can continue \
         an interrupted run; give -o FILE"
    );
    let token = token(&args.token_env)?;
    let mut options = options(args);
    if let Some(ms) = std::env::var_os(BACKOFF_ENV) {
        let ms: u64 = ms
            .to_str()
            .and_then(|s| s.trim().parse().ok())
            .ok_or_else(|| anyhow!("{BACKOFF_ENV} must be a whole number of milliseconds"))?;
        options.backoff_base = Duration::from_millis(ms);
    }
    let mut stderr = std::io::stderr();
    let tty = stderr.is_terminal();
    let mut printer = Printer::new(&mut stderr, args.quiet, tty);
    printer.json = crate::ui::json_messages();
    let stats = sessionpay_teamup::fetch_to_file(&options, &token, &args.output, &mut printer)?;
    if let Some(path) = &args.save_columns {
        save_columns(path, stats.column_headers.as_ref())?;
    }
    printer.note(&format!(
        "wrote {}: {} sessions",
        args.output.display(),
        group(stats.kept + stats.fetched)
    ));
    Ok(())
}

/// The token in the environment variable `var`, without surrounding spaces.
///
/// # Errors
/// The variable is unset, empty, not UTF-8 or not a token a header can
/// carry; the message names `var`, never the value.
fn token(var: &str) -> Result<Token, sessionpay_teamup::Error> {
    use sessionpay_teamup::Error;
    let raw = match std::env::var(var) {
        Ok(v) => v,
        Err(std::env::VarError::NotPresent) => return Err(Error::TokenUnset { var: var.to_owned() }),
        Err(std::env::VarError::NotUnicode(_)) => {
            return Err(Error::TokenInvalid {
                var: var.to_owned(),
                why: "not UTF-8",
            })
        }
    };
    let token = raw.trim();
    if token.is_empty() {
        return Err(Error::TokenEmpty { var: var.to_owned() });
    }
    Token::new(token, var)
}

/// Writes `{"column_headers": ...}` to `path` (atomically), as `--columns-from` reads it.
fn save_columns(path: &Path, headers: Option<&serde_json::Value>) -> anyhow::Result<()> {
    let headers = headers.context("the report sent no column_headers: nothing to save for --save-columns")?;
    let text = serde_json::to_string_pretty(&serde_json::json!({ "column_headers": headers }))?;
    let mut file = sessionpay_io::AtomicFile::create(path)?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.write_all(b"\n"))
        .with_context(|| format!("writing {}", path.display()))?;
    file.commit()?;
    Ok(())
}

/// The flags as the client's options.
fn options(args: &FetchArgs) -> FetchOptions {
    let mut options = FetchOptions::new(&args.base_url);
    options.provider_id = args.provider_id;
    options.from = args.from;
    options.to = args.to;
    options.venues.clone_from(&args.venues);
    options.instructors.clone_from(&args.instructors);
    options.pay_rates.clone_from(&args.pay_rates);
    options.session_types.clone_from(&args.session_types);
    options.resume = args.resume;
    options
}

/// Progress and notes on stderr, each line `sessionpay: ...` (or a JSON
/// object with `--message-format json`).
struct Printer<'a> {
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
            _ => {}
        }
    }
}

/// `1200` as `1,200`.
fn group(n: u64) -> String {
    sessionpay_render::group(&n.to_string())
}

impl<'a> Printer<'a> {
    fn new(out: &'a mut dyn Write, quiet: bool, tty: bool) -> Self {
        Printer {
            out,
            quiet,
            tty,
            json: false,
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
    fn note(&mut self, msg: &str) {
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
mod tests;
