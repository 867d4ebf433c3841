//! What to fetch and how hard to try: [`FetchOptions`], checked into the
//! request plan the client pages with.

use std::time::Duration;

use chrono::{NaiveDate, NaiveTime, TimeDelta};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::error::{BaseUrlProblem, Error, Result};

/// TeamUp's public API.
pub const DEFAULT_BASE_URL: &str = "https://goteamup.com/api/v2";
/// The report endpoint, relative to the base URL.
const ENDPOINT: &str = "/reports/instructed_sessions/data";
/// Everything but RFC 3986's unreserved characters.
const NOT_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');
/// Widening of the dates so that no venue-local day is cut (offsets run UTC−12 … UTC+14).
const DAY_WIDENING_HOURS: i64 = 14;

/// A kind of session the report can be filtered to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionType {
    /// Events and appointments.
    Class,
    /// One date of a course.
    CourseSession,
}

impl SessionType {
    /// Every kind, in the order TeamUp lists them.
    pub const ALL: [SessionType; 2] = [SessionType::Class, SessionType::CourseSession];

    /// The name TeamUp uses (`class`, `course_session`).
    pub fn as_str(self) -> &'static str {
        match self {
            SessionType::Class => "class",
            SessionType::CourseSession => "course_session",
        }
    }

    /// A few words on what the kind covers, for help texts.
    pub fn description(self) -> &'static str {
        match self {
            SessionType::Class => "Events and appointments",
            SessionType::CourseSession => "One date of a course",
        }
    }
}

impl std::str::FromStr for SessionType {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        SessionType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| format!("{s:?} is not a session type (class, course_session)"))
    }
}

/// Everything a fetch needs besides the token and the output path.
///
/// Messages about these options name them as the `sessionpay fetch` flags
/// do (`--base-url`, `--from`, `--to`).
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Base URL of the API: `https://`, or plain `http://` for loopback hosts only.
    pub base_url: String,
    /// Sent as the `TeamUp-Provider-ID` header.
    pub provider_id: Option<u64>,
    /// First venue-local date; the request is widened by 14 hours.
    pub from: Option<NaiveDate>,
    /// Last venue-local date, inclusive; widened like `from`.
    pub to: Option<NaiveDate>,
    /// Only these venue ids.
    pub venues: Vec<u64>,
    /// Only these instructor ids.
    pub instructors: Vec<u64>,
    /// Only these pay rate ids.
    pub pay_rates: Vec<u64>,
    /// Only these kinds of session.
    pub session_types: Vec<SessionType>,
    /// Continue the output after its highest id, keeping its rows.
    pub resume: bool,
    /// Rows asked for per page.
    pub page_size: u32,
    /// Attempts per page, the first one included.
    pub max_attempts: u32,
    /// Backoff before the second attempt; doubled for each further one.
    pub backoff_base: Duration,
    /// Upper bound of one backoff delay.
    pub max_backoff: Duration,
    /// Upper bound of a delay asked for by `Retry-After`.
    pub max_retry_after: Duration,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions::new(DEFAULT_BASE_URL)
    }
}

impl FetchOptions {
    /// The whole report from `base_url`, in pages of 100 (the most the
    /// report serves), 6 attempts per page from 1 s of backoff up to 30 s,
    /// honouring `Retry-After` up to 60 s.
    pub fn new(base_url: &str) -> FetchOptions {
        FetchOptions {
            base_url: base_url.to_owned(),
            provider_id: None,
            from: None,
            to: None,
            venues: Vec::new(),
            instructors: Vec::new(),
            pay_rates: Vec::new(),
            session_types: Vec::new(),
            resume: false,
            page_size: 100,
            max_attempts: 6,
            backoff_base: Duration::from_millis(1000),
            max_backoff: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

/// The checked options: the URLs and query of every page.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    /// Base URL without a trailing slash.
    pub(crate) base_url: String,
    /// Filter parameters, in request order, values not yet encoded.
    filters: Vec<(&'static str, String)>,
    pub(crate) page_size: u32,
}

impl Plan {
    pub(crate) fn new(options: &FetchOptions) -> Result<Plan> {
        let base_url = check_base_url(&options.base_url)?;
        let mut filters = date_filters(options.from, options.to)?;
        let ids = |v: &[u64]| v.iter().map(u64::to_string).collect::<Vec<_>>().join(",");
        for (key, list) in [
            ("venues", &options.venues),
            ("instructors", &options.instructors),
            ("pay_rates", &options.pay_rates),
        ] {
            if !list.is_empty() {
                filters.push((key, ids(list)));
            }
        }
        if !options.session_types.is_empty() {
            let mut types: Vec<&str> = options.session_types.iter().map(|t| t.as_str()).collect();
            types.dedup();
            filters.push(("session_types", types.join(",")));
        }
        Ok(Plan {
            base_url,
            filters,
            page_size: options.page_size,
        })
    }

    /// The report's URL, without a query.
    pub(crate) fn endpoint(&self) -> String {
        format!("{}{ENDPOINT}", self.base_url)
    }

    /// The query of the page after `after` (the first page when `None`), not yet encoded.
    pub(crate) fn query(&self, after: Option<u64>) -> Vec<(&'static str, String)> {
        let mut query = vec![
            ("format", "json".to_owned()),
            ("page_size", self.page_size.to_string()),
            ("sort", "id".to_owned()),
        ];
        query.extend(self.filters.iter().cloned());
        if let Some(id) = after {
            query.push(("id_gt", id.to_string()));
        }
        query
    }

    /// The page's URL for messages. The HTTP client encodes the request
    /// itself; for the values here (digits, commas, dates, names) its
    /// encoding and this one agree.
    pub(crate) fn shown_url(&self, after: Option<u64>) -> String {
        let query: Vec<String> = self
            .query(after)
            .into_iter()
            .map(|(key, value)| format!("{key}={}", percent_encoded(&value)))
            .collect();
        format!("{}?{}", self.endpoint(), query.join("&"))
    }
}

/// `value` with everything but RFC 3986's unreserved characters percent-encoded.
pub(crate) fn percent_encoded(value: &str) -> String {
    utf8_percent_encode(value, NOT_UNRESERVED).to_string()
}

/// Accepts `http(s)://host[:port][/path]`; plain http only for loopback hosts, no credentials,
/// query or fragment. Returns it without a trailing slash.
fn check_base_url(url: &str) -> Result<String> {
    let bad = |problem| {
        Err(Error::BaseUrl {
            url: url.to_owned(),
            problem,
        })
    };
    let trimmed = url.trim().trim_end_matches('/');
    let Some((scheme, rest)) = trimmed.split_once("://") else {
        return bad(BaseUrlProblem::Scheme);
    };
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.is_empty() {
        return bad(BaseUrlProblem::NoHost);
    }
    if authority.contains('@') {
        return bad(BaseUrlProblem::Credentials);
    }
    if rest.contains(['?', '#']) || trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad(BaseUrlProblem::NotPlain);
    }
    match scheme.to_ascii_lowercase().as_str() {
        "https" => {}
        "http" if is_loopback_authority(authority) => {}
        "http" => return bad(BaseUrlProblem::ClearText),
        _ => return bad(BaseUrlProblem::Scheme),
    }
    Ok(trimmed.to_owned())
}

/// Whether the host of `http(s)://host[:port]/...` names this machine.
pub(crate) fn is_loopback_url(base_url: &str) -> bool {
    let authority = base_url
        .split_once("://")
        .map_or("", |(_, rest)| rest.split('/').next().unwrap_or_default());
    is_loopback_authority(authority)
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

/// `starts_at_gte`/`starts_at_lte` for `from`/`to`, widened so no venue-local day is cut.
fn date_filters(from: Option<NaiveDate>, to: Option<NaiveDate>) -> Result<Vec<(&'static str, String)>> {
    if let (Some(f), Some(t)) = (from, to) {
        if f > t {
            return Err(Error::FromAfterTo { from: f, to: t });
        }
    }
    let widen = TimeDelta::hours(DAY_WIDENING_HOURS);
    let fmt = |dt: chrono::NaiveDateTime| dt.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let mut out = Vec::new();
    if let Some(f) = from {
        let start = f
            .and_time(NaiveTime::MIN)
            .checked_sub_signed(widen)
            .ok_or(Error::DateOutOfRange {
                option: "from",
                date: f,
            })?;
        out.push(("starts_at_gte", fmt(start)));
    }
    if let Some(t) = to {
        let end = t
            .succ_opt()
            .map(|d| d.and_time(NaiveTime::MIN))
            .and_then(|dt| dt.checked_add_signed(widen))
            .ok_or(Error::DateOutOfRange {
                option: "to",
                date: t,
            })?;
        out.push(("starts_at_lte", fmt(end)));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_filters() {
        assert_eq!(percent_encoded("a b,c:d/é~_.-"), "a%20b%2Cc%3Ad%2F%C3%A9~_.-");
        assert_eq!(
            check_base_url("https://goteamup.com/api/v2/").expect("ok"),
            "https://goteamup.com/api/v2"
        );
        assert!(check_base_url("http://localhost:8080/api").is_ok());
        assert!(check_base_url("http://[::1]:8080/api").is_ok());
        let err = check_base_url("http://goteamup.com/api/v2").expect_err("clear text");
        assert!(err.to_string().contains("https://"), "{err}");
        assert!(check_base_url("https://user:pw@goteamup.com/api").is_err());
        assert!(check_base_url("https://goteamup.com/api?x=1").is_err());
        assert!(check_base_url("goteamup.com/api").is_err());
        assert!(check_base_url("ftp://goteamup.com").is_err());
        assert!(is_loopback_url("http://127.0.0.1:9/api"));
        assert!(!is_loopback_url("https://goteamup.com/api"));

        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
        assert_eq!(
            date_filters(Some(d("2024-01-01")), Some(d("2024-12-31"))).expect("dates"),
            vec![
                ("starts_at_gte", "2023-12-31T10:00:00Z".to_owned()),
                ("starts_at_lte", "2025-01-01T14:00:00Z".to_owned()),
            ]
        );
        assert!(date_filters(Some(d("2024-02-02")), Some(d("2024-02-01"))).is_err());
        assert!(date_filters(None, None).expect("none").is_empty());

        let plan = Plan::new(&FetchOptions::new("https://goteamup.com/api/v2")).expect("plan");
        assert_eq!(
            plan.shown_url(Some(41)),
            "https://goteamup.com/api/v2/reports/instructed_sessions/data\
             ?format=json&page_size=100&sort=id&id_gt=41"
        );
    }

    #[test]
    fn filters_go_into_the_query_in_order() {
        let mut options = FetchOptions::new("https://goteamup.com/api/v2");
        options.venues = vec![7, 8];
        options.pay_rates = vec![17];
        options.session_types = vec![SessionType::Class, SessionType::Class, SessionType::CourseSession];
        let plan = Plan::new(&options).expect("plan");
        let query = plan.query(None);
        let keys: Vec<&str> = query.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            keys,
            [
                "format",
                "page_size",
                "sort",
                "venues",
                "pay_rates",
                "session_types"
            ]
        );
        assert_eq!(query[3].1, "7,8");
        assert_eq!(query[5].1, "class,course_session");
    }

    #[test]
    fn session_types_read_back_their_names() {
        for t in SessionType::ALL {
            assert_eq!(t.as_str().parse::<SessionType>(), Ok(t));
        }
        assert!("other".parse::<SessionType>().is_err());
    }
}
