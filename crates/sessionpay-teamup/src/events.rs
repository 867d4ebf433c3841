//! What a fetch reports while it goes ([`Event`], to a [`Progress`]) and
//! what it did in the end ([`FetchStats`]).

use std::path::Path;
use std::time::Duration;

use crate::error::{Error, Result};

/// What a run reports while it goes, for its caller to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event<'a> {
    /// `resume`: continuing after session `after`, the `kept` rows of `from`
    /// copied first.
    Resuming {
        /// The file resumed (the output, or its partial file).
        from: &'a Path,
        /// The highest id kept.
        after: u64,
        /// Rows kept.
        kept: u64,
    },
    /// `resume`, but the output does not exist yet: fetching from the start.
    NothingToResume {
        /// The output.
        path: &'a Path,
    },
    /// An attempt failed and the page is asked for again after `delay`
    /// (zero for a body cut short or a connection reset: asked again at once).
    Retrying {
        /// What went wrong, naming the request's path (never its query or the token).
        reason: &'a str,
        /// The wait before the next attempt.
        delay: Duration,
        /// The number of the next attempt.
        attempt: u32,
        /// Attempts allowed per page.
        attempts: u32,
    },
    /// A page was received and its rows written.
    Page {
        /// Pages received so far.
        pages: u64,
        /// Rows written by this run so far (those kept by `resume` not included).
        fetched: u64,
        /// The report's size as the pages state it, by the reading the rows
        /// seen so far (kept and fetched) fit: never fewer than them.
        total: Option<u64>,
    },
    /// The last (empty) page came; the rows are about to be checked against the total.
    Finished {
        /// Rows written by this run.
        fetched: u64,
        /// The report's size as the pages state it.
        total: Option<u64>,
    },
}

/// Receives a run's [`Event`]s; a closure taking an [`Event`] is one.
pub trait Progress {
    /// Called as the run goes.
    fn event(&mut self, event: Event<'_>);
}

impl<F: FnMut(Event<'_>)> Progress for F {
    fn event(&mut self, event: Event<'_>) {
        self(event);
    }
}

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FetchStats {
    /// Pages received.
    pub pages: u64,
    /// Rows written by this run.
    pub fetched: u64,
    /// Rows kept from the existing file (`resume`).
    pub kept: u64,
    /// Retried requests.
    pub retries: u64,
    /// The report's size as its pages state it.
    pub total: Option<u64>,
    /// The report's `column_headers` (each column's label and key), from the
    /// first page that has them: what reads a CSV export of the same report.
    pub column_headers: Option<serde_json::Value>,
}

impl FetchStats {
    /// Writes `{"column_headers": ...}` to `path` (atomically), as a CSV
    /// export of the same report is read with `--columns-from`.
    ///
    /// # Errors
    /// The report sent no `column_headers`, or `path` cannot be written.
    pub fn save_column_headers(&self, path: &std::path::Path) -> Result<()> {
        let headers = self.column_headers.as_ref().ok_or(Error::NoColumnHeaders)?;
        let write_error = |source| Error::Write {
            path: path.to_path_buf(),
            source,
        };
        let mut text = serde_json::to_string_pretty(&serde_json::json!({ "column_headers": headers }))
            .map_err(|e| write_error(std::io::Error::other(e)))?;
        text.push('\n');
        let mut file = sessionpay_io::AtomicFile::create(path)?;
        std::io::Write::write_all(&mut file, text.as_bytes()).map_err(write_error)?;
        file.commit()?;
        Ok(())
    }
}
