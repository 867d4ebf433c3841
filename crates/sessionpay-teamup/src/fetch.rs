//! The whole run: pages to the end, rows checked and written, the file put in place.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;
use sessionpay_io::AtomicFile;

use crate::error::{Error, Result};
use crate::events::{Event, FetchStats, Progress};
use crate::http::{make_agent, Client, XorShift};
use crate::options::{FetchOptions, Plan};
use crate::token::Token;
use crate::totals::Totals;

/// Downloads TeamUp's "instructed sessions" report into `out` as NDJSON.
///
/// The report is read with `GET {base}/reports/instructed_sessions/data?format=json` and keyset
/// paging (`sort=id`, `page_size=100`, `id_gt=<last id>`), so sessions that TeamUp adds while the
/// run is going neither shift nor duplicate pages. Every row object is written as one NDJSON line
/// with exactly the text TeamUp sent (key order, number text such as `1.10`, string escapes); only
/// line breaks between tokens are dropped so that a row stays on one line.
///
/// * `from`/`to` are calendar dates, but the report filters on absolute instants. So that no
///   venue-local day is cut whatever the venue's offset (UTC−12 … UTC+14), the request is widened
///   by 14 hours on both sides: `starts_at_gte = FROM 00:00Z − 14h`, `starts_at_lte = (TO + 1 day)
///   00:00Z + 14h`. The file may thus hold sessions just outside the range.
/// * The token only ever goes into the `Authorization` header, and any error text built from what
///   the server sent has it masked ([`Token::redact`]), as does, last, the whole error.
/// * `http://` base URLs are allowed only for loopback hosts, so the token never crosses a network
///   in clear. Redirects are not followed (they would drop the token or move it elsewhere).
/// * 429 (honouring `Retry-After`, capped), 408, 5xx, connection errors and broken, truncated or
///   non-JSON bodies are retried with exponential backoff and jitter, `max_attempts` in all.
///   401/403 fail at once. A JSON body without a `rows` array, or with a top-level key twice, is
///   an error.
/// * The report is done only when a page comes back empty (nothing after the last id): a page
///   shorter than `page_size` is not the end, as a server may cap or cut pages. Every page must
///   state a whole-number `total`, read either as the size of the whole report (the same on every
///   page) or as the rows still to come after `id_gt` (so `total` plus the rows before the page is
///   the same on every page); the rows seen in the end (kept by `resume` and fetched) must make
///   that size, else the run fails and the old `out` stays. Pages that fit neither reading are an
///   error too. A report whose ids keep coming is stopped once the rows pass the size the first
///   page gives by more than `max(page_size, size / 10)`.
/// * Ids must strictly increase, across pages too: a repeated id (a page boundary served twice) or
///   a lower one means the server does not honour `id_gt`/`sort=id`, and keyset paging could miss
///   or repeat sessions, so either is an error.
/// * Output goes to [`partial_path`] beside `out` through
///   [`AtomicFile::create_with_partial`]: created afresh and exclusively (never through a link),
///   removed by a failed run, which leaves any old `out` as it was, and synced and renamed over
///   `out` by one that succeeds (keeping an old `out`'s mode). An interrupt removes it too, except under `resume`: `resume`
///   continues after the highest id of the partial file when an interrupted run left one (a last
///   line cut short is dropped), else of `out`, and copies those rows first.
///
/// # Errors
/// Every [`Error`] above; its text never holds the token.
pub fn fetch_to_file(
    options: &FetchOptions,
    token: &Token,
    out: &Path,
    progress: &mut dyn Progress,
) -> Result<FetchStats> {
    fetch_inner(options, token, out, progress).map_err(|e| {
        // Last line of defence: nothing the server echoed may show the token.
        let text = e.chain_text();
        let masked = token.redact(&text);
        if masked == text {
            e
        } else {
            Error::Masked(masked)
        }
    })
}

fn fetch_inner(
    options: &FetchOptions,
    token: &Token,
    out: &Path,
    progress: &mut dyn Progress,
) -> Result<FetchStats> {
    let plan = Plan::new(options)?;
    if out.as_os_str() == "-" {
        return Err(Error::OutputIsStdout);
    }
    let mut stats = FetchStats::default();
    let mut last_id: Option<u64> = None;
    let partial = partial_path(out)?;

    let existing = if options.resume {
        resume_rows(out, &partial, progress)?
    } else {
        None
    };
    if let Some((bytes, from)) = &existing {
        let ids = existing_ids(bytes, from)?;
        stats.kept = ids.len() as u64;
        last_id = ids.last().copied();
        if let Some(after) = last_id {
            progress.event(Event::Resuming {
                from,
                after,
                kept: stats.kept,
            });
        }
    }

    let mut file = AtomicFile::create_with_partial(out, &partial, options.resume)?;
    let write_error = |source| Error::Write {
        path: partial.clone(),
        source,
    };
    if let Some((bytes, _)) = &existing {
        file.write_all(bytes).map_err(write_error)?;
        if !bytes.is_empty() && !bytes.ends_with(b"\n") {
            file.write_all(b"\n").map_err(write_error)?;
        }
    }

    let mut client = Client {
        options,
        plan: &plan,
        agent: make_agent(&plan.base_url),
        token,
        rng: XorShift::from_clock(),
    };
    let mut totals: Option<Totals> = None;
    loop {
        let url = plan.shown_url(last_id);
        let page = client.get_page(last_id, &url, progress, &mut stats)?;
        stats.pages += 1;
        if stats.column_headers.is_none() {
            stats.column_headers = page.column_headers.clone();
        }
        let seen_before = stats.kept + stats.fetched;
        let totals = match &mut totals {
            Some(totals) => {
                totals.observe(stats.pages, seen_before, page.total);
                totals
            }
            None => totals.insert(Totals::new(seen_before, page.total, plan.page_size)),
        };
        stats.total = Some(totals.expected());
        if page.rows.is_empty() {
            // The report's own word that it is done: nothing after the last id.
            break;
        }
        for row in page.rows {
            if let Some(last) = last_id.filter(|last| row.id <= *last) {
                return Err(Error::OutOfOrder {
                    url: token.redact(&url),
                    id: row.id,
                    after: last,
                });
            }
            file.write_all(row.line.as_bytes()).map_err(write_error)?;
            file.write_all(b"\n").map_err(write_error)?;
            last_id = Some(row.id);
            stats.fetched += 1;
        }
        let seen = stats.kept + stats.fetched;
        stats.total = Some(totals.expected_for(seen));
        if seen > totals.limit {
            return Err(Error::Endless {
                url: token.redact(&url),
                stated: totals.expected(),
                seen,
                limit: totals.limit,
            });
        }
        progress.event(Event::Page {
            pages: stats.pages,
            fetched: stats.fetched,
            total: stats.total,
        });
    }
    progress.event(Event::Finished {
        fetched: stats.fetched,
        total: stats.total,
    });
    let seen = stats.kept + stats.fetched;
    if let Some(problem) = totals.and_then(|t| t.disagreement(seen)) {
        return Err(Error::TotalNotMet {
            seen,
            kept: stats.kept,
            fetched: stats.fetched,
            problem,
            path: out.to_path_buf(),
        });
    }
    file.commit()?;
    Ok(stats)
}

/// The rows a `resume` run starts from, and the file they come from: a
/// `FILE.partial` an interrupted `resume` run left (it holds FILE's rows
/// and more; a last line cut short is dropped), else FILE, else none.
fn resume_rows(
    out: &Path,
    partial: &Path,
    progress: &mut dyn Progress,
) -> Result<Option<(Vec<u8>, PathBuf)>> {
    let read_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Read { path, source }
    };
    // Only a regular file, never what a link points to.
    if fs::symlink_metadata(partial).is_ok_and(|m| m.is_file()) {
        let mut bytes = fs::read(partial).map_err(read_error(partial))?;
        let whole = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        bytes.truncate(whole);
        return Ok(Some((bytes, partial.to_path_buf())));
    }
    match fs::read(out) {
        Ok(bytes) => Ok(Some((bytes, out.to_path_buf()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            progress.event(Event::NothingToResume { path: out });
            Ok(None)
        }
        Err(e) => Err(read_error(out)(e)),
    }
}

/// Ids of the rows of an existing output file, checked to be ascending.
fn existing_ids(bytes: &[u8], path: &Path) -> Result<Vec<u64>> {
    let text = std::str::from_utf8(bytes).map_err(|_| Error::ResumeNotText {
        path: path.to_path_buf(),
    })?;
    let mut ids: Vec<u64> = Vec::new();
    for (n, line_text) in text.lines().enumerate() {
        if line_text.trim().is_empty() {
            continue;
        }
        let line = n + 1;
        let value: Value = serde_json::from_str(line_text).map_err(|cause| Error::ResumeNotJson {
            path: path.to_path_buf(),
            line,
            cause,
        })?;
        let id = value
            .get("id")
            .and_then(Value::as_u64)
            .ok_or_else(|| Error::ResumeNoId {
                path: path.to_path_buf(),
                line,
            })?;
        if let Some(&before) = ids.last().filter(|&&before| id <= before) {
            return Err(Error::ResumeOutOfOrder {
                path: path.to_path_buf(),
                line,
                id,
                before,
            });
        }
        ids.push(id);
    }
    Ok(ids)
}

/// `FILE.partial` beside `FILE`: where a run writes until it is done, and
/// what a resumed run continues from.
///
/// # Errors
/// [`Error::OutputNotAFile`] when `out` has no file name.
pub fn partial_path(out: &Path) -> Result<PathBuf> {
    let name = out.file_name().ok_or_else(|| Error::OutputNotAFile {
        path: out.to_path_buf(),
    })?;
    let mut partial = name.to_os_string();
    partial.push(".partial");
    Ok(out.with_file_name(partial))
}

#[cfg(test)]
mod tests;
