//! `sessionpay fetch`: download TeamUp's "instructed sessions" report as NDJSON.
//!
//! The report is read with `GET {base}/reports/instructed_sessions/data?format=json` and keyset
//! paging (`sort=id`, `page_size=100`, `id_gt=<last id>`), so sessions that TeamUp adds while the
//! run is going neither shift nor duplicate pages. Every row object is written as one NDJSON line
//! with exactly the text TeamUp sent (key order, number text such as `1.10`, string escapes); only
//! line breaks between tokens are dropped so that a row stays on one line.
//!
//! Choices worth knowing:
//!
//! * `--from`/`--to` are calendar dates, but the report filters on absolute instants. So that no
//!   venue-local day is cut whatever the venue's offset (UTC−12 … UTC+14), the request is widened
//!   by 14 hours on both sides: `starts_at_gte = FROM 00:00Z − 14h`, `starts_at_lte = (TO + 1 day)
//!   00:00Z + 14h`. The file may thus hold sessions just outside the range; `payroll --from/--to`
//!   select by venue-local date afterwards.
//! * The token is read from the environment variable named by `--token-env` and only ever goes
//!   into the `Authorization` header. It is never taken from a flag, never printed, and any error
//!   text built from what the server sent has it masked (see below).
//! * `http://` base URLs are allowed only for loopback hosts, so the token never crosses a network
//!   in clear. Redirects are not followed (they would drop the token or move it elsewhere).
//! * 429 (honouring `Retry-After`, capped at 60 s), 408, 5xx, connection errors and broken,
//!   truncated or non-JSON bodies are retried with exponential backoff and jitter, 6 attempts in
//!   all. 401/403 fail at once. A JSON body without a `rows` array is an error.
//! * The report is done only when a page comes back empty (nothing after the last id): a page
//!   shorter than `page_size` is not the end, as a server may cap or cut pages. The rows then seen
//!   (kept by `--resume` and fetched) must equal the `total` that last page states, else the run
//!   fails and the old `FILE` stays. Every page must state a whole-number `total`. A report whose
//!   ids keep coming is stopped once the rows pass its first page's `total` by more than
//!   `max(page_size, total / 10)` (room for sessions added while the run goes on).
//! * Ids must strictly increase, across pages too: a repeated id (a page boundary served twice) or
//!   a lower one means the server does not honour `id_gt`/`sort=id`, and keyset paging could miss
//!   or repeat sessions, so either is an error.
//! * Output goes to `FILE.partial` beside `FILE`, is synced and then renamed over `FILE`; a failed
//!   run removes the partial file and leaves any old `FILE` as it was. The partial file is created
//!   afresh and exclusively (a leftover one, or a link in its place, is removed first; nothing is
//!   written through a link), with the usual mode of new files (the umask applies). An interrupt
//!   removes it too, except under `--resume`: `--resume` continues after the highest id of
//!   `FILE.partial` when an interrupted run left one (a last line cut short is dropped), else of
//!   `FILE`, and copies those rows first.
//! * Error text is masked for the token as sent, in any letter case, percent-encoded, and as the
//!   base64 of the token or of the `Authorization` header value.

use std::fmt::Write as _;
use std::fs;
use std::io::{BufWriter, IsTerminal, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail, Context as _};
use chrono::{NaiveDate, NaiveTime, TimeDelta};
use serde_json::Value;

/// TeamUp's public API.
const DEFAULT_BASE_URL: &str = "https://goteamup.com/api/v2";
/// The report endpoint, relative to the base URL.
const ENDPOINT: &str = "/reports/instructed_sessions/data";
/// The largest page the report serves.
const PAGE_SIZE: u32 = 100;
/// Attempts per page, the first one included.
const MAX_ATTEMPTS: u32 = 6;
/// Backoff before the second attempt; doubled for each further one.
const BACKOFF_BASE: Duration = Duration::from_millis(1000);
/// Upper bound of one backoff delay.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// Upper bound of a delay asked for by `Retry-After`.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
/// Widening of `--from`/`--to` so that no venue-local day is cut (offsets run UTC−12 … UTC+14).
const DAY_WIDENING_HOURS: i64 = 14;
/// Largest response body accepted.
const MAX_BODY_BYTES: u64 = 64 * 1024 * 1024;
/// Hidden knob (milliseconds) for the backoff base, so that tests run fast.
const BACKOFF_ENV: &str = "SESSIONPAY_FETCH_BACKOFF_MS";
/// Without a terminal, a progress line is written every this many pages (and at the end).
const PROGRESS_EVERY_PAGES: u64 = 10;

/// Options of `sessionpay fetch`.
#[derive(Debug, clap::Args)]
pub(crate) struct FetchArgs {
    /// Base URL of the TeamUp API (plain http:// only for loopback hosts)
    #[arg(long, value_name = "URL", default_value = DEFAULT_BASE_URL)]
    pub(crate) base_url: String,

    /// Name of the environment variable that holds the API token (the token itself is never
    /// taken from a flag)
    #[arg(long, value_name = "NAME", default_value = "TEAMUP_TOKEN")]
    pub(crate) token_env: String,

    /// TeamUp provider (business) id, sent as the TeamUp-Provider-ID header
    #[arg(long, value_name = "ID")]
    pub(crate) provider_id: Option<u64>,

    /// First date (YYYY-MM-DD). The request is widened by 14 hours on both sides so that no
    /// venue-local day is cut; `payroll --from/--to` then select by venue-local date
    #[arg(long, value_name = "DATE")]
    pub(crate) from: Option<NaiveDate>,

    /// Last date (YYYY-MM-DD), inclusive; widened like --from
    #[arg(long, value_name = "DATE")]
    pub(crate) to: Option<NaiveDate>,

    /// Only these venue ids (comma-separated)
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    pub(crate) venues: Vec<u64>,

    /// Only these instructor ids (comma-separated)
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    pub(crate) instructors: Vec<u64>,

    /// Only these pay rate ids (comma-separated)
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    pub(crate) pay_rates: Vec<u64>,

    /// Only these session types (comma-separated)
    #[arg(long, value_name = "TYPES", value_delimiter = ',')]
    pub(crate) session_types: Vec<SessionType>,

    /// Continue an existing output file after its highest session id, keeping its rows (use the
    /// same filters as the run that wrote it); an interrupted --resume run keeps FILE.partial, and
    /// the next one continues from it
    #[arg(long)]
    pub(crate) resume: bool,

    /// Print no progress (warnings and errors are still printed)
    #[arg(long, short = 'q')]
    pub(crate) quiet: bool,

    /// NDJSON file to write (one session row per line); replaced only when the run succeeds
    #[arg(long = "output", short = 'o', value_name = "FILE")]
    pub(crate) output: PathBuf,

    /// Also write the report's column_headers (the label and key of each column) to FILE, for
    /// reading a CSV export of the same report with --columns-from FILE
    #[arg(long, value_name = "FILE")]
    pub(crate) save_columns: Option<PathBuf>,
}

/// A value of `--session-types`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum SessionType {
    /// Events and appointments
    #[value(name = "class")]
    Class,
    /// One date of a course
    #[value(name = "course_session")]
    CourseSession,
}

impl SessionType {
    fn as_str(self) -> &'static str {
        match self {
            SessionType::Class => "class",
            SessionType::CourseSession => "course_session",
        }
    }
}

/// Runs `sessionpay fetch`.
pub(crate) fn run(args: &FetchArgs) -> anyhow::Result<()> {
    let token = read_token(&args.token_env)?;
    let mut cfg = FetchConfig::from_args(args)?;
    if let Some(ms) = std::env::var_os(BACKOFF_ENV) {
        let ms: u64 = ms
            .to_str()
            .and_then(|s| s.trim().parse().ok())
            .ok_or_else(|| anyhow!("{BACKOFF_ENV} must be a whole number of milliseconds"))?;
        cfg.backoff_base = Duration::from_millis(ms);
    }
    cfg.progress_tty = std::io::stderr().is_terminal();
    let mut stderr = std::io::stderr();
    let stats = fetch_to_file(&cfg, &token, &args.output, &mut stderr)?;
    if let Some(path) = &args.save_columns {
        save_columns(path, stats.column_headers.as_ref())?;
    }
    Ok(())
}

/// Writes `{"column_headers": ...}` to `path` (atomically), as `--columns-from` reads it.
fn save_columns(path: &Path, headers: Option<&Value>) -> anyhow::Result<()> {
    let headers = headers.context("the report sent no column_headers: nothing to save for --save-columns")?;
    let text = serde_json::to_string_pretty(&serde_json::json!({ "column_headers": headers }))?;
    let mut file = sessionpay_io::AtomicFile::create(path)?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.write_all(b"\n"))
        .with_context(|| format!("writing {}", path.display()))?;
    file.commit()?;
    Ok(())
}

/// Reads the token from the environment variable `name`, never showing its value.
fn read_token(name: &str) -> anyhow::Result<String> {
    let raw = match std::env::var(name) {
        Ok(v) => v,
        Err(std::env::VarError::NotPresent) => {
            bail!("no API token: the environment variable {name} is not set (see --token-env)")
        }
        Err(std::env::VarError::NotUnicode(_)) => {
            bail!("the environment variable {name} does not hold a valid token (not UTF-8)")
        }
    };
    let token = raw.trim();
    if token.is_empty() {
        bail!("no API token: the environment variable {name} is empty (see --token-env)");
    }
    check_token(token, name)?;
    Ok(token.to_owned())
}

/// A token must fit in an HTTP header value.
fn check_token(token: &str, env_name: &str) -> anyhow::Result<()> {
    if token.bytes().any(|b| !(0x21..=0x7e).contains(&b)) {
        bail!(
            "the environment variable {env_name} does not hold a valid token \
             (it has spaces, control or non-ASCII characters)"
        );
    }
    Ok(())
}

/// Everything `fetch_to_file` needs besides the token.
#[derive(Debug, Clone)]
struct FetchConfig {
    /// Base URL without a trailing slash.
    base_url: String,
    /// Name of the token's environment variable, for messages only.
    token_env: String,
    provider_id: Option<u64>,
    /// Filter parameters, in request order, values not yet encoded.
    filters: Vec<(&'static str, String)>,
    page_size: u32,
    resume: bool,
    max_attempts: u32,
    backoff_base: Duration,
    max_backoff: Duration,
    max_retry_after: Duration,
    quiet: bool,
    /// Progress is redrawn in place with `\r`.
    progress_tty: bool,
}

impl FetchConfig {
    fn new(base_url: &str, token_env: &str) -> anyhow::Result<Self> {
        Ok(FetchConfig {
            base_url: check_base_url(base_url)?,
            token_env: token_env.to_owned(),
            provider_id: None,
            filters: Vec::new(),
            page_size: PAGE_SIZE,
            resume: false,
            max_attempts: MAX_ATTEMPTS,
            backoff_base: BACKOFF_BASE,
            max_backoff: MAX_BACKOFF,
            max_retry_after: MAX_RETRY_AFTER,
            quiet: false,
            progress_tty: false,
        })
    }

    fn from_args(args: &FetchArgs) -> anyhow::Result<Self> {
        let mut cfg = FetchConfig::new(&args.base_url, &args.token_env)?;
        cfg.provider_id = args.provider_id;
        cfg.resume = args.resume;
        cfg.quiet = args.quiet;
        cfg.filters = date_filters(args.from, args.to)?;
        let ids = |v: &[u64]| v.iter().map(u64::to_string).collect::<Vec<_>>().join(",");
        if !args.venues.is_empty() {
            cfg.filters.push(("venues", ids(&args.venues)));
        }
        if !args.instructors.is_empty() {
            cfg.filters.push(("instructors", ids(&args.instructors)));
        }
        if !args.pay_rates.is_empty() {
            cfg.filters.push(("pay_rates", ids(&args.pay_rates)));
        }
        if !args.session_types.is_empty() {
            let mut types: Vec<&str> = args.session_types.iter().map(|t| t.as_str()).collect();
            types.dedup();
            cfg.filters.push(("session_types", types.join(",")));
        }
        Ok(cfg)
    }

    /// The URL of the page after `after` (the first page when `None`).
    fn page_url(&self, after: Option<u64>) -> String {
        let mut url = format!(
            "{}{ENDPOINT}?format=json&page_size={}&sort=id",
            self.base_url, self.page_size
        );
        for (key, value) in &self.filters {
            let _ = write!(url, "&{key}={}", encode_query_value(value));
        }
        if let Some(id) = after {
            let _ = write!(url, "&id_gt={id}");
        }
        url
    }
}

/// Accepts `http(s)://host[:port][/path]`; plain http only for loopback hosts, no credentials,
/// query or fragment. Returns it without a trailing slash.
fn check_base_url(url: &str) -> anyhow::Result<String> {
    let trimmed = url.trim().trim_end_matches('/');
    let (scheme, rest) = trimmed
        .split_once("://")
        .ok_or_else(|| anyhow!("--base-url {url:?} must start with https://"))?;
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.is_empty() {
        bail!("--base-url {url:?} has no host");
    }
    if authority.contains('@') {
        bail!("--base-url must not contain credentials; the token is read from the environment");
    }
    if rest.contains(['?', '#']) || trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
        bail!("--base-url {url:?} must be a plain URL without query, fragment or spaces");
    }
    match scheme.to_ascii_lowercase().as_str() {
        "https" => {}
        "http" if is_loopback_authority(authority) => {}
        "http" => bail!(
            "--base-url {url:?}: plain http would send the token in clear; use https:// \
             (http:// is allowed only for localhost)"
        ),
        _ => bail!("--base-url {url:?} must start with https://"),
    }
    Ok(trimmed.to_owned())
}

/// Whether `host[:port]` names this machine.
fn is_loopback_authority(authority: &str) -> bool {
    let host = if let Some(rest) = authority.strip_prefix('[') {
        rest.split(']').next().unwrap_or_default()
    } else {
        authority.rsplit_once(':').map_or(authority, |(h, _)| h)
    };
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// `starts_at_gte`/`starts_at_lte` for `--from`/`--to`, widened so no venue-local day is cut.
fn date_filters(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> anyhow::Result<Vec<(&'static str, String)>> {
    if let (Some(f), Some(t)) = (from, to) {
        if f > t {
            bail!("--from {f} is after --to {t}");
        }
    }
    let widen = TimeDelta::hours(DAY_WIDENING_HOURS);
    let fmt = |dt: chrono::NaiveDateTime| dt.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let mut out = Vec::new();
    if let Some(f) = from {
        let start = f
            .and_time(NaiveTime::MIN)
            .checked_sub_signed(widen)
            .ok_or_else(|| anyhow!("--from {f} is out of range"))?;
        out.push(("starts_at_gte", fmt(start)));
    }
    if let Some(t) = to {
        let end = t
            .succ_opt()
            .map(|d| d.and_time(NaiveTime::MIN))
            .and_then(|dt| dt.checked_add_signed(widen))
            .ok_or_else(|| anyhow!("--to {t} is out of range"))?;
        out.push(("starts_at_lte", fmt(end)));
    }
    Ok(out)
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct FetchStats {
    /// Pages received.
    pages: u64,
    /// Rows written by this run.
    fetched: u64,
    /// Rows kept from the existing file (`--resume`).
    kept: u64,
    /// Retried requests.
    retries: u64,
    /// The report's last `total`.
    total: Option<u64>,
    /// The report's `column_headers`, from the first page that had them.
    column_headers: Option<Value>,
}

/// Fetches every page into `out` (atomically), reporting progress and warnings to `progress`.
fn fetch_to_file(
    cfg: &FetchConfig,
    token: &str,
    out: &Path,
    progress: &mut dyn Write,
) -> anyhow::Result<FetchStats> {
    check_token(token, &cfg.token_env)?;
    fetch_inner(cfg, token, out, progress).map_err(|e| {
        // Last line of defence: nothing the server echoed may show the token.
        let text = format!("{e:#}");
        let masked = redact(&text, token);
        if masked == text {
            e
        } else {
            anyhow!("{masked}")
        }
    })
}

fn fetch_inner(
    cfg: &FetchConfig,
    token: &str,
    out: &Path,
    progress: &mut dyn Write,
) -> anyhow::Result<FetchStats> {
    if out.as_os_str() == "-" {
        bail!("fetch writes to a file: give -o FILE.ndjson");
    }
    let mut prog = Progress::new(progress, cfg.quiet, cfg.progress_tty);
    let mut stats = FetchStats::default();
    let mut last_id: Option<u64> = None;
    let partial_path = partial_path(out)?;

    let existing = if cfg.resume {
        resume_rows(out, &partial_path, &mut prog)?
    } else {
        None
    };
    if let Some((bytes, from)) = &existing {
        let ids = existing_ids(bytes, from)?;
        stats.kept = ids.len() as u64;
        last_id = ids.last().copied();
        if let Some(id) = last_id {
            prog.note(&format!(
                "resuming {} after session {id} ({} sessions kept)",
                from.display(),
                stats.kept
            ));
        }
    }

    let (file, mut partial) = create_partial(&partial_path, cfg.resume)?;
    let mut writer = BufWriter::new(file);
    let write_ctx = || format!("cannot write {}", partial_path.display());
    if let Some((bytes, _)) = &existing {
        writer.write_all(bytes).with_context(write_ctx)?;
        if !bytes.is_empty() && !bytes.ends_with(b"\n") {
            writer.write_all(b"\n").with_context(write_ctx)?;
        }
    }

    let agent = make_agent(&cfg.base_url);
    let mut rng = XorShift::from_clock();
    // The report's first total, and how far past it rows may go (sessions
    // added while the run goes on) before the report counts as endless.
    let mut bound: Option<(u64, u64)> = None;
    let final_total = loop {
        let url = cfg.page_url(last_id);
        let page = get_page(cfg, &agent, token, &url, &mut rng, &mut prog, &mut stats)?;
        stats.pages += 1;
        stats.total = Some(page.total);
        if stats.column_headers.is_none() {
            stats.column_headers = page.column_headers;
        }
        let (first_total, limit) = *bound.get_or_insert_with(|| {
            let margin = u64::from(cfg.page_size).max(page.total / 10);
            (page.total, page.total.saturating_add(margin))
        });
        if page.rows.is_empty() {
            // The report's own word that it is done: nothing after the last id.
            break page.total;
        }
        for row in page.rows {
            if let Some(last) = last_id.filter(|last| row.id <= *last) {
                bail!(
                    "{}: session {} came after session {last}: under keyset paging (id_gt, sort=id) \
                     ids must strictly increase, so paging could miss or repeat sessions; \
                     no file was written",
                    redact(&url, token),
                    row.id,
                );
            }
            writer.write_all(row.line.as_bytes()).with_context(write_ctx)?;
            writer.write_all(b"\n").with_context(write_ctx)?;
            last_id = Some(row.id);
            stats.fetched += 1;
        }
        let seen = stats.kept + stats.fetched;
        if seen > limit {
            bail!(
                "{}: the report goes on past its total: it stated {first_total} sessions, but \
                 {seen} have come and ids keep coming (the most allowed is {limit}); stopped, \
                 no file was written",
                redact(&url, token)
            );
        }
        prog.page(stats.pages, stats.fetched, stats.total);
    };
    prog.finish(stats.fetched, stats.total);
    let seen = stats.kept + stats.fetched;
    if seen != final_total {
        let (what, n) = if seen < final_total {
            ("missing", final_total - seen)
        } else {
            ("more than it counts", seen - final_total)
        };
        bail!(
            "the report ended after {seen} sessions{}, but states a total of {final_total} \
             ({n} {what}); {} was left as it was: run the fetch again",
            if stats.kept > 0 {
                format!(" ({} kept, {} fetched)", stats.kept, stats.fetched)
            } else {
                String::new()
            },
            out.display()
        );
    }

    let file = writer
        .into_inner()
        .map_err(|e| e.into_error())
        .with_context(write_ctx)?;
    file.sync_all().with_context(write_ctx)?;
    drop(file);
    fs::rename(&partial_path, out)
        .with_context(|| format!("cannot rename {} to {}", partial_path.display(), out.display()))?;
    partial.renamed = true;
    sync_parent_dir(out);
    Ok(stats)
}

/// The rows a `--resume` run starts from, and the file they come from: a
/// `FILE.partial` an interrupted `--resume` run left (it holds FILE's rows
/// and more; a last line cut short is dropped), else FILE, else none.
fn resume_rows(
    out: &Path,
    partial: &Path,
    prog: &mut Progress<'_>,
) -> anyhow::Result<Option<(Vec<u8>, PathBuf)>> {
    // Only a regular file, never what a link points to.
    if fs::symlink_metadata(partial).is_ok_and(|m| m.is_file()) {
        let mut bytes = fs::read(partial).with_context(|| format!("cannot read {}", partial.display()))?;
        let whole = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        bytes.truncate(whole);
        return Ok(Some((bytes, partial.to_path_buf())));
    }
    match fs::read(out) {
        Ok(bytes) => Ok(Some((bytes, out.to_path_buf()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            prog.note(&format!(
                "{} does not exist yet; fetching from the start",
                out.display()
            ));
            Ok(None)
        }
        Err(e) => Err(e).with_context(|| format!("cannot read {}", out.display())),
    }
}

/// Creates `FILE.partial` afresh and exclusively: one left by an earlier run
/// (or a link planted in its place) is removed first, and the new file is
/// created only if nothing took the name meanwhile, so nothing is ever
/// written through a link. Its mode is the usual one for new files (the
/// umask applies). An interrupt removes it unless `keep_on_interrupt`
/// (`--resume`, which continues from it next time).
fn create_partial(path: &Path, keep_on_interrupt: bool) -> anyhow::Result<(fs::File, PartialFile)> {
    match fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("cannot remove {}", path.display())),
    }
    let file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    if !keep_on_interrupt {
        sessionpay_io::register_pending(path.to_path_buf());
    }
    Ok((
        file,
        PartialFile {
            path: path.to_path_buf(),
            renamed: false,
        },
    ))
}

/// Ids of the rows of an existing output file, checked to be ascending.
fn existing_ids(bytes: &[u8], path: &Path) -> anyhow::Result<Vec<u64>> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| anyhow!("{} is not UTF-8 text; cannot resume it", path.display()))?;
    let mut ids: Vec<u64> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let where_ = || format!("{}:{}", path.display(), n + 1);
        let value: Value = serde_json::from_str(line)
            .map_err(|e| anyhow!("{}: not a JSON row ({e}); cannot resume", where_()))?;
        let id = value
            .get("id")
            .and_then(Value::as_u64)
            .ok_or_else(|| anyhow!("{}: row has no integer id; cannot resume", where_()))?;
        if let Some(&prev) = ids.last() {
            if id <= prev {
                bail!(
                    "{}: session {id} follows session {prev}; ids must ascend to resume",
                    where_()
                );
            }
        }
        ids.push(id);
    }
    Ok(ids)
}

/// `FILE.partial` beside `FILE`.
fn partial_path(out: &Path) -> anyhow::Result<PathBuf> {
    let name = out
        .file_name()
        .ok_or_else(|| anyhow!("-o {} is not a file name", out.display()))?;
    let mut partial = name.to_os_string();
    partial.push(".partial");
    Ok(out.with_file_name(partial))
}

/// Best effort: make the rename durable.
fn sync_parent_dir(out: &Path) {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if let Ok(dir) = fs::File::open(parent) {
        let _ = dir.sync_all();
    }
}

/// Removes the partial file unless the run renamed it into place.
struct PartialFile {
    path: PathBuf,
    renamed: bool,
}

impl Drop for PartialFile {
    fn drop(&mut self) {
        if !self.renamed {
            let _ = fs::remove_file(&self.path);
        }
        sessionpay_io::forget_pending(&self.path);
    }
}

fn make_agent(base_url: &str) -> ureq::Agent {
    let authority = base_url
        .split_once("://")
        .map_or("", |(_, rest)| rest.split('/').next().unwrap_or_default());
    let mut builder = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_connect(Some(Duration::from_secs(10)))
        .timeout_global(Some(Duration::from_secs(60)))
        .user_agent(concat!("sessionpay/", env!("CARGO_PKG_VERSION")));
    if is_loopback_authority(authority) {
        // A proxy from the environment must not capture requests to this machine.
        builder = builder.proxy(None);
    }
    builder.build().into()
}

/// One row as received.
#[derive(Debug)]
struct Row {
    id: u64,
    /// The row's JSON text, on one line.
    line: String,
}

#[derive(Debug)]
struct Page {
    total: u64,
    rows: Vec<Row>,
    column_headers: Option<Value>,
}

/// Why one attempt failed.
enum Failure {
    /// Worth another attempt, after `retry_after` if the server asked for it.
    Transient {
        reason: String,
        retry_after: Option<Duration>,
    },
    Fatal(anyhow::Error),
}

/// Fetches one page, retrying transient failures.
fn get_page(
    cfg: &FetchConfig,
    agent: &ureq::Agent,
    token: &str,
    url: &str,
    rng: &mut XorShift,
    prog: &mut Progress<'_>,
    stats: &mut FetchStats,
) -> anyhow::Result<Page> {
    let mut attempt = 1;
    loop {
        match try_page(cfg, agent, token, url) {
            Ok(page) => return Ok(page),
            Err(Failure::Fatal(e)) => return Err(e),
            Err(Failure::Transient { reason, retry_after }) => {
                if attempt >= cfg.max_attempts {
                    bail!("{url}: giving up after {attempt} attempts; last: {reason}");
                }
                let delay = retry_after
                    .unwrap_or_else(|| backoff_delay(cfg.backoff_base, cfg.max_backoff, attempt, rng));
                prog.note(&format!(
                    "{reason}; retrying in {:.1}s (attempt {} of {})",
                    delay.as_secs_f32(),
                    attempt + 1,
                    cfg.max_attempts
                ));
                std::thread::sleep(delay);
                stats.retries += 1;
                attempt += 1;
            }
        }
    }
}

/// One request for one page.
fn try_page(cfg: &FetchConfig, agent: &ureq::Agent, token: &str, url: &str) -> Result<Page, Failure> {
    let mut request = agent
        .get(url)
        .header("Authorization", format!("Token {token}"))
        .header("Accept", "application/json");
    if let Some(id) = cfg.provider_id {
        request = request.header("TeamUp-Provider-ID", id.to_string());
    }
    let mut response = match request.call() {
        Ok(r) => r,
        Err(e) => {
            let reason = format!("{url}: {e}");
            return Err(if is_transient(&e) {
                Failure::Transient {
                    reason,
                    retry_after: None,
                }
            } else {
                Failure::Fatal(anyhow!(reason))
            });
        }
    };
    let status = response.status().as_u16();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    match status {
        200..=299 => {}
        401 | 403 => {
            return Err(Failure::Fatal(anyhow!(
                "{url}: the API token in the environment variable {} was refused (HTTP {status}); \
                 check the token{}",
                cfg.token_env,
                if cfg.provider_id.is_some() {
                    " and --provider-id"
                } else {
                    " (and whether --provider-id is needed)"
                }
            )))
        }
        429 => {
            let retry_after = header("retry-after")
                .and_then(|v| parse_retry_after(&v, SystemTime::now(), cfg.max_retry_after));
            return Err(Failure::Transient {
                reason: format!("{url}: HTTP 429 (rate limited)"),
                retry_after,
            });
        }
        408 | 500..=599 => {
            return Err(Failure::Transient {
                reason: format!("{url}: HTTP {status}"),
                retry_after: None,
            })
        }
        300..=399 => {
            let location = header("location").unwrap_or_default();
            return Err(Failure::Fatal(anyhow!(
                "{url}: HTTP {status}, redirected to {}; redirects are not followed, \
                 give the right --base-url",
                redact(&location, token)
            )));
        }
        _ => {
            let body = response
                .body_mut()
                .with_config()
                .limit(64 * 1024)
                .lossy_utf8(true)
                .read_to_string()
                .unwrap_or_default();
            return Err(Failure::Fatal(anyhow!(
                "{url}: HTTP {status}: {}",
                snippet(&redact(&body, token))
            )));
        }
    }
    let bytes = match response
        .body_mut()
        .with_config()
        .limit(MAX_BODY_BYTES)
        .read_to_vec()
    {
        Ok(b) => b,
        Err(e) => {
            return Err(Failure::Transient {
                reason: format!("{url}: broken response body: {e}"),
                retry_after: None,
            })
        }
    };
    parse_page(&bytes, url).map_err(|e| match e {
        PageError::Broken(reason) => Failure::Transient {
            reason,
            retry_after: None,
        },
        PageError::NotReport(reason) => Failure::Fatal(anyhow!(reason)),
    })
}

fn is_transient(e: &ureq::Error) -> bool {
    matches!(
        e,
        ureq::Error::Io(_)
            | ureq::Error::Timeout(_)
            | ureq::Error::ConnectionFailed
            | ureq::Error::HostNotFound
            | ureq::Error::Protocol(_)
    )
}

enum PageError {
    /// Not (complete) JSON: a broken transfer, worth retrying.
    Broken(String),
    /// JSON, but not a report page.
    NotReport(String),
}

/// Splits a report page into rows, keeping each row's text as received.
fn parse_page(bytes: &[u8], url: &str) -> Result<Page, PageError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| PageError::Broken(format!("{url}: response body is not UTF-8")))?;
    let value: Value = serde_json::from_str(text)
        .map_err(|e| PageError::Broken(format!("{url}: response body is not complete JSON ({e})")))?;
    let not_report = |what: &str| PageError::NotReport(format!("{url}: not a report page: {what}"));
    let object = value
        .as_object()
        .ok_or_else(|| not_report("the body is not a JSON object"))?;
    let rows = object
        .get("rows")
        .and_then(Value::as_array)
        .ok_or_else(|| not_report("it has no \"rows\" array"))?;
    let total = object
        .get("total")
        .and_then(Value::as_u64)
        .ok_or_else(|| not_report("it has no whole-number \"total\", so the rows cannot be counted"))?;
    let (spans, repeated) = row_spans(text)
        .filter(|(s, _)| s.len() == rows.len())
        .ok_or_else(|| not_report("cannot locate the rows in the body"))?;
    if let Some(key) = repeated {
        // serde_json keeps the last of two: a second "total" or "rows" would go unseen.
        return Err(not_report(&format!(
            "the key {key:?} appears twice at the top level; which one is meant cannot be told"
        )));
    }
    let mut out = Vec::with_capacity(rows.len());
    for (n, (row, span)) in rows.iter().zip(spans).enumerate() {
        let id = row
            .as_object()
            .and_then(|o| o.get("id"))
            .and_then(Value::as_u64)
            .ok_or_else(|| not_report(&format!("row {} has no integer \"id\"", n + 1)))?;
        let line: String = text[span].chars().filter(|&c| c != '\n' && c != '\r').collect();
        out.push(Row { id, line });
    }
    Ok(Page {
        total,
        rows: out,
        column_headers: object.get("column_headers").filter(|v| !v.is_null()).cloned(),
    })
}

/// Byte ranges of the elements of the top-level `"rows"` array of a JSON text that serde_json
/// has accepted (the last `"rows"` key wins, as in serde_json), and the first top-level key that
/// appears twice.
fn row_spans(text: &str) -> Option<(Vec<Range<usize>>, Option<String>)> {
    let b = text.as_bytes();
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i += 1;
    let mut found = None;
    let mut keys: Vec<String> = Vec::new();
    let mut repeated = None;
    loop {
        i = skip_ws(b, i);
        match b.get(i)? {
            b'}' => break,
            b',' => {
                i += 1;
                continue;
            }
            b'"' => {}
            _ => return None,
        }
        let key_end = skip_string(b, i)?;
        let key: String = serde_json::from_str(text.get(i..key_end)?).ok()?;
        if keys.contains(&key) {
            repeated.get_or_insert_with(|| key.clone());
        } else {
            keys.push(key.clone());
        }
        i = skip_ws(b, key_end);
        if b.get(i) != Some(&b':') {
            return None;
        }
        i = skip_ws(b, i + 1);
        if key == "rows" && b.get(i) == Some(&b'[') {
            let (spans, end) = array_spans(b, i)?;
            found = Some(spans);
            i = end;
        } else {
            i = skip_value(b, i)?;
        }
    }
    found.map(|spans| (spans, repeated))
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// `b[i]` is `"`; returns the index after the closing quote.
fn skip_string(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    loop {
        match b.get(j)? {
            b'\\' => j += 2,
            b'"' => return Some(j + 1),
            _ => j += 1,
        }
    }
}

/// Returns the index after the value that starts at `b[i]`.
fn skip_value(b: &[u8], i: usize) -> Option<usize> {
    match b.get(i)? {
        b'"' => skip_string(b, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            loop {
                match b.get(j)? {
                    b'"' => {
                        j = skip_string(b, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
        }
        _ => {
            let mut j = i;
            while !matches!(
                b.get(j),
                None | Some(b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
            ) {
                j += 1;
            }
            (j > i).then_some(j)
        }
    }
}

/// `b[i]` is `[`; returns the element ranges and the index after `]`.
fn array_spans(b: &[u8], i: usize) -> Option<(Vec<Range<usize>>, usize)> {
    let mut spans = Vec::new();
    let mut j = skip_ws(b, i + 1);
    if b.get(j) == Some(&b']') {
        return Some((spans, j + 1));
    }
    loop {
        let end = skip_value(b, j)?;
        spans.push(j..end);
        j = skip_ws(b, end);
        match b.get(j)? {
            b',' => j = skip_ws(b, j + 1),
            b']' => return Some((spans, j + 1)),
            _ => return None,
        }
    }
}

/// `Retry-After` as delay-seconds or an HTTP date, capped at `cap`.
fn parse_retry_after(value: &str, now: SystemTime, cap: Duration) -> Option<Duration> {
    let value = value.trim();
    let delay = if let Ok(secs) = value.parse::<u64>() {
        Duration::from_secs(secs)
    } else {
        let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
        let now_secs = now.duration_since(UNIX_EPOCH).ok()?.as_secs();
        let when_secs = u64::try_from(when.timestamp()).unwrap_or(0);
        Duration::from_secs(when_secs.saturating_sub(now_secs))
    };
    Some(delay.min(cap))
}

/// Exponential backoff with jitter: a uniform delay in [d/2, d], d = base·2^(attempt−1) ≤ max.
fn backoff_delay(base: Duration, max: Duration, attempt: u32, rng: &mut XorShift) -> Duration {
    let factor = 1u32 << attempt.saturating_sub(1).min(20);
    let full = base.saturating_mul(factor).min(max);
    let half = full / 2;
    let span = u64::try_from((full - half).as_micros()).unwrap_or(u64::MAX);
    let jitter = if span == 0 { 0 } else { rng.next() % (span + 1) };
    half + Duration::from_micros(jitter)
}

/// A small xorshift64 generator for jitter.
struct XorShift(u64);

impl XorShift {
    fn from_clock() -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        let seed = nanos ^ (u64::from(std::process::id()) << 32) ^ 0x9E37_79B9_7F4A_7C15;
        XorShift(if seed == 0 { 1 } else { seed })
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

/// Replaces every form of the token a server might echo: as sent, in any
/// letter case, percent-encoded (either hex case), and the base64 of the token
/// or of the whole `Authorization` header value (standard or URL-safe
/// alphabet, padded or not).
fn redact(text: &str, token: &str) -> String {
    if token.is_empty() {
        return text.to_owned();
    }
    let mut out = replace_ascii_case_insensitive(text, token);
    let encoded = encode_query_value(token);
    if encoded != token {
        out = replace_ascii_case_insensitive(&out, &encoded);
    }
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    use base64::Engine as _;
    for plain in [format!("Token {token}"), token.to_owned()] {
        for engine in [&STANDARD, &URL_SAFE, &STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
            let form = engine.encode(&plain);
            out = out.replace(&form, "[token]");
        }
    }
    out
}

/// `text` with every match of the ASCII `needle`, in any letter case, replaced by `[token]`.
fn replace_ascii_case_insensitive(text: &str, needle: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let wanted = needle.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    // ASCII lower-casing keeps every byte where it was, and an ASCII match
    // starts and ends on character boundaries of `text`.
    while let Some(i) = lower[at..].find(&wanted) {
        out.push_str(&text[at..at + i]);
        out.push_str("[token]");
        at += i + wanted.len();
    }
    out.push_str(&text[at..]);
    out
}

/// The start of a response body, on one line.
fn snippet(body: &str) -> String {
    let one_line: String = body
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let trimmed = one_line.trim();
    let mut out: String = trimmed.chars().take(200).collect();
    if trimmed.chars().count() > 200 {
        out.push('…');
    }
    if out.is_empty() {
        out.push_str("(empty body)");
    }
    out
}

/// Progress and notes on stderr.
struct Progress<'a> {
    out: &'a mut dyn Write,
    quiet: bool,
    tty: bool,
    /// A `\r` progress line is showing and needs a newline before other text.
    open_line: bool,
    /// The text of the last progress line written.
    last: Option<String>,
}

impl<'a> Progress<'a> {
    fn new(out: &'a mut dyn Write, quiet: bool, tty: bool) -> Self {
        Progress {
            out,
            quiet,
            tty,
            open_line: false,
            last: None,
        }
    }

    fn text(fetched: u64, total: Option<u64>) -> String {
        match total {
            Some(total) => format!("fetched {fetched} of {total} sessions"),
            None => format!("fetched {fetched} sessions"),
        }
    }

    /// After each page: redrawn in place on a terminal, else every few pages.
    fn page(&mut self, pages: u64, fetched: u64, total: Option<u64>) {
        if self.quiet {
            return;
        }
        let text = Self::text(fetched, total);
        if self.tty {
            let _ = write!(self.out, "\r{text}");
            let _ = self.out.flush();
            self.open_line = true;
            self.last = Some(text);
        } else if pages.is_multiple_of(PROGRESS_EVERY_PAGES) {
            let _ = writeln!(self.out, "{text}");
            self.last = Some(text);
        }
    }

    /// The final count, unless the last progress line already shows it.
    fn finish(&mut self, fetched: u64, total: Option<u64>) {
        if self.quiet {
            return;
        }
        let text = Self::text(fetched, total);
        if self.last.as_deref() == Some(text.as_str()) {
            self.close_line();
            return;
        }
        self.close_line();
        let _ = writeln!(self.out, "{text}");
        self.last = Some(text);
    }

    /// An informational note (suppressed by --quiet).
    fn note(&mut self, msg: &str) {
        if !self.quiet {
            self.warn(msg);
        }
    }

    /// A warning (always shown).
    fn warn(&mut self, msg: &str) {
        self.close_line();
        let _ = writeln!(self.out, "{msg}");
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
