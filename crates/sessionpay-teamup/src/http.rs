//! One page over HTTP: the request, what each status means, and the retries.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::Error;
use crate::events::{Event, FetchStats, Progress};
use crate::options::{is_loopback_url, FetchOptions, Plan};
use crate::page::{parse_page, Page, PageError};
use crate::token::Token;

/// Largest response body accepted.
const MAX_BODY_BYTES: u64 = 64 * 1024 * 1024;

/// The HTTP client for `base_url`: no redirects, bounded waits, and no
/// proxy from the environment for this machine's own addresses.
pub(crate) fn make_agent(base_url: &str) -> ureq::Agent {
    let mut builder = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_connect(Some(Duration::from_secs(10)))
        .timeout_global(Some(Duration::from_secs(60)))
        .user_agent(concat!("sessionpay/", env!("CARGO_PKG_VERSION")));
    if is_loopback_url(base_url) {
        // A proxy from the environment must not capture requests to this machine.
        builder = builder.proxy(None);
    }
    builder.build().into()
}

/// Why one attempt failed.
enum Failure {
    /// Worth another attempt, after `retry_after` if the server asked for it.
    Transient {
        reason: String,
        retry_after: Option<Duration>,
    },
    /// The connection broke: a body cut short or a reset, as when a server
    /// drops a kept-alive connection. Nothing says the server is busy, so the
    /// first such failure of a page is retried at once, on a new connection.
    Cut(String),
    Fatal(Error),
}

impl Failure {
    fn transient(reason: String) -> Failure {
        Failure::Transient {
            reason,
            retry_after: None,
        }
    }
}

/// An I/O error that means the connection broke under the request.
fn is_cut(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::{BrokenPipe, ConnectionAborted, ConnectionReset, UnexpectedEof};
    matches!(
        e.kind(),
        BrokenPipe | ConnectionAborted | ConnectionReset | UnexpectedEof
    )
}

/// A ureq error that means the connection broke under the request.
fn is_cut_request(e: &ureq::Error) -> bool {
    match e {
        ureq::Error::Io(io) => is_cut(io),
        _ => false,
    }
}

/// The path of `url`, without scheme, host or query: what retry warnings show.
pub(crate) fn url_path(url: &str) -> &str {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = after_scheme.find('/').map_or("/", |i| &after_scheme[i..]);
    path.split(['?', '#']).next().unwrap_or(path)
}

/// What one page's requests share.
pub(crate) struct Client<'a> {
    pub(crate) options: &'a FetchOptions,
    pub(crate) plan: &'a Plan,
    pub(crate) agent: ureq::Agent,
    pub(crate) token: &'a Token,
    pub(crate) rng: XorShift,
}

impl Client<'_> {
    /// Fetches the page after `after` (shown as `url`), retrying transient failures.
    pub(crate) fn get_page(
        &mut self,
        after: Option<u64>,
        url: &str,
        progress: &mut dyn Progress,
        stats: &mut FetchStats,
    ) -> Result<Page, Error> {
        let max_attempts = self.options.max_attempts;
        let mut attempt = 1;
        let mut cut_before = false;
        loop {
            let (reason, retry_after) = match self.try_page(after, url) {
                Ok(page) => return Ok(page),
                Err(Failure::Fatal(e)) => return Err(e),
                Err(Failure::Cut(reason)) if !cut_before => {
                    cut_before = true;
                    (reason, Some(Duration::ZERO))
                }
                Err(Failure::Cut(reason)) => (reason, None),
                Err(Failure::Transient { reason, retry_after }) => (reason, retry_after),
            };
            if attempt >= max_attempts {
                return Err(Error::GaveUp {
                    url: url.to_owned(),
                    attempts: attempt,
                    last: reason,
                });
            }
            let delay = retry_after.unwrap_or_else(|| {
                backoff_delay(
                    self.options.backoff_base,
                    self.options.max_backoff,
                    attempt,
                    &mut self.rng,
                )
            });
            progress.event(Event::Retrying {
                reason: &reason,
                delay,
                attempt: attempt + 1,
                attempts: max_attempts,
            });
            std::thread::sleep(delay);
            stats.retries += 1;
            attempt += 1;
        }
    }

    /// One request for one page; `url` is how errors show it, its path how
    /// retry warnings do.
    fn try_page(&self, after: Option<u64>, url: &str) -> Result<Page, Failure> {
        let path = url_path(url);
        let mut request = self
            .agent
            .get(self.plan.endpoint())
            .query_pairs(self.plan.query(after))
            .header("Authorization", self.token.header())
            .header("Accept", "application/json");
        if let Some(id) = self.options.provider_id {
            request = request.header("TeamUp-Provider-ID", id.to_string());
        }
        let mut response = match request.call() {
            Ok(r) => r,
            Err(e) => {
                return Err(if is_cut_request(&e) {
                    Failure::Cut(format!("{path}: the connection broke ({e})"))
                } else if is_transient(&e) {
                    Failure::transient(format!("{path}: {e}"))
                } else {
                    Failure::Fatal(Error::Request {
                        url: url.to_owned(),
                        source: e,
                    })
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
                return Err(Failure::Fatal(Error::TokenRefused {
                    url: url.to_owned(),
                    var: self.token.var().to_owned(),
                    status,
                    provider_id_sent: self.options.provider_id.is_some(),
                }))
            }
            429 => {
                let retry_after = header("retry-after")
                    .and_then(|v| parse_retry_after(&v, SystemTime::now(), self.options.max_retry_after));
                return Err(Failure::Transient {
                    reason: format!("{path}: HTTP 429 (rate limited)"),
                    retry_after,
                });
            }
            408 | 500..=599 => return Err(Failure::transient(format!("{path}: HTTP {status}"))),
            300..=399 => {
                let location = header("location").unwrap_or_default();
                return Err(Failure::Fatal(Error::Redirected {
                    url: url.to_owned(),
                    status,
                    location: self.token.redact(&location),
                }));
            }
            _ => {
                let body = response
                    .body_mut()
                    .with_config()
                    .limit(64 * 1024)
                    .lossy_utf8(true)
                    .read_to_string()
                    .unwrap_or_default();
                return Err(Failure::Fatal(Error::Status {
                    url: url.to_owned(),
                    status,
                    body: snippet(&self.token.redact(&body)),
                }));
            }
        }
        let bytes = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY_BYTES)
            .read_to_vec()
            .map_err(|e| match e {
                ureq::Error::BodyExceedsLimit(_) => {
                    Failure::transient(format!("{path}: response body too large ({e})"))
                }
                e => Failure::Cut(format!("{path}: response body cut short ({e})")),
            })?;
        parse_page(&bytes, path).map_err(|e| match e {
            PageError::Broken(reason) => Failure::transient(reason),
            PageError::NotReport(problem) => Failure::Fatal(Error::NotReport {
                url: url.to_owned(),
                problem,
            }),
        })
    }
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
pub(crate) struct XorShift(u64);

impl XorShift {
    pub(crate) fn from_clock() -> Self {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_warnings_show_the_path_only() {
        let url = "https://goteamup.com/api/v2/reports/instructed_sessions/data?format=json&id_gt=100";
        assert_eq!(url_path(url), "/api/v2/reports/instructed_sessions/data");
        assert_eq!(url_path("http://127.0.0.1:9"), "/");
        assert_eq!(url_path("http://h/a#frag"), "/a");
    }

    #[test]
    fn retry_after_is_read_and_capped() {
        let cap = Duration::from_secs(60);
        let now = UNIX_EPOCH + Duration::from_secs(1_445_412_470); // 2015-10-21T07:27:50Z
        assert_eq!(parse_retry_after("3", now, cap), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after(" 0 ", now, cap), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("3600", now, cap), Some(cap));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now, cap),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now, cap),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now, cap), None);
    }

    #[test]
    fn backoff_grows_with_jitter_and_is_capped() {
        let mut rng = XorShift(12345);
        let base = Duration::from_millis(100);
        let max = Duration::from_secs(1);
        for attempt in 1..=10 {
            let full = (base * (1 << (attempt - 1))).min(max);
            for _ in 0..50 {
                let d = backoff_delay(base, max, attempt, &mut rng);
                assert!(d >= full / 2 && d <= full, "attempt {attempt}: {d:?}");
            }
        }
        let a: Vec<_> = (0..5).map(|_| backoff_delay(base, max, 3, &mut rng)).collect();
        assert!(a.windows(2).any(|w| w[0] != w[1]), "jitter varies: {a:?}");
    }
}
