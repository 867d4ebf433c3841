//! The one error type of the crate. Messages name the option, URL or file
//! at fault; none shows the API token.

use std::error::Error as _;
use std::fmt;
use std::path::PathBuf;

use chrono::NaiveDate;

use crate::totals::Disagreement;

/// What went wrong in a fetch. Messages name options as the `sessionpay
/// fetch` flags spell them (`--base-url`, `--from`, `-o`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The token's environment variable is not set.
    #[error("no API token: the environment variable {var} is not set (see --token-env)")]
    TokenUnset {
        /// The variable.
        var: String,
    },
    /// The token's environment variable is empty.
    #[error("no API token: the environment variable {var} is empty (see --token-env)")]
    TokenEmpty {
        /// The variable.
        var: String,
    },
    /// The token cannot be sent in a header.
    #[error("the environment variable {var} does not hold a valid token ({why})")]
    TokenInvalid {
        /// The variable.
        var: String,
        /// What is wrong with its value (never the value).
        why: &'static str,
    },
    /// A base URL that is not a plain `https://` URL (or `http://` to this machine).
    #[error("{}", BaseUrlMessage(url, *problem))]
    BaseUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        problem: BaseUrlProblem,
    },
    /// The first date is after the last.
    #[error("--from {from} is after --to {to}")]
    FromAfterTo {
        /// The first date.
        from: NaiveDate,
        /// The last date.
        to: NaiveDate,
    },
    /// A date that cannot be widened by 14 hours.
    #[error("--{option} {date} is out of range")]
    DateOutOfRange {
        /// `from` or `to`.
        option: &'static str,
        /// The date.
        date: NaiveDate,
    },
    /// The output is `-`: the file is renamed into place, so stdout cannot be it.
    #[error("fetch writes to a file: give -o FILE.ndjson")]
    OutputIsStdout,
    /// The output path has no file name to put `.partial` after.
    #[error("-o {} is not a file name", path.display())]
    OutputNotAFile {
        /// The path.
        path: PathBuf,
    },
    /// A request that failed in a way not worth retrying.
    #[error("{url}")]
    Request {
        /// The page's URL.
        url: String,
        /// What the HTTP client said.
        source: ureq::Error,
    },
    /// Every attempt at a page failed.
    #[error("{url}: giving up after {attempts} attempts; last: {last}")]
    GaveUp {
        /// The page's URL.
        url: String,
        /// Attempts made.
        attempts: u32,
        /// Why the last one failed.
        last: String,
    },
    /// 401 or 403.
    #[error(
        "{url}: the API token in the environment variable {var} was refused (HTTP {status}); \
         check the token{}",
        if *provider_id_sent { " and --provider-id" } else { " (and whether --provider-id is needed)" }
    )]
    TokenRefused {
        /// The page's URL.
        url: String,
        /// The token's environment variable.
        var: String,
        /// The status.
        status: u16,
        /// Whether a provider id was sent.
        provider_id_sent: bool,
    },
    /// A redirect, which is not followed.
    #[error(
        "{url}: HTTP {status}, redirected to {location}; redirects are not followed, \
         give the right --base-url"
    )]
    Redirected {
        /// The page's URL.
        url: String,
        /// The status.
        status: u16,
        /// Where to, the token masked.
        location: String,
    },
    /// Another status that is not worth retrying.
    #[error("{url}: HTTP {status}: {body}")]
    Status {
        /// The page's URL.
        url: String,
        /// The status.
        status: u16,
        /// The start of the body on one line, the token masked.
        body: String,
    },
    /// JSON that is not a report page.
    #[error("{url}: not a report page: {problem}")]
    NotReport {
        /// The page's URL.
        url: String,
        /// What is missing or doubtful.
        problem: String,
    },
    /// An id not above the one before it.
    #[error(
        "{url}: session {id} came after session {after}: under keyset paging (id_gt, sort=id) \
         ids must strictly increase, so paging could miss or repeat sessions; no file was written"
    )]
    OutOfOrder {
        /// The page's URL.
        url: String,
        /// The id.
        id: u64,
        /// The id before it.
        after: u64,
    },
    /// Ids that keep coming well past the stated total.
    #[error(
        "{url}: the report goes on past its total: it stated {stated} sessions, but {seen} have \
         come and ids keep coming (the most allowed is {limit}); stopped, no file was written"
    )]
    Endless {
        /// The page's URL.
        url: String,
        /// The report's size as stated.
        stated: u64,
        /// Rows seen.
        seen: u64,
        /// The most rows allowed.
        limit: u64,
    },
    /// The report ended, but its rows do not make its stated total.
    #[error(
        "the report ended after {seen} sessions{}, but {problem}; {} was left as it was: \
         run the fetch again",
        if *kept > 0 { format!(" ({kept} kept, {fetched} fetched)") } else { String::new() },
        path.display()
    )]
    TotalNotMet {
        /// Rows seen, kept and fetched.
        seen: u64,
        /// Rows kept from the resumed file.
        kept: u64,
        /// Rows fetched.
        fetched: u64,
        /// How the rows and the totals disagree.
        problem: Disagreement,
        /// The output, left as it was.
        path: PathBuf,
    },
    /// A file to resume that is not text.
    #[error("{} is not UTF-8 text; cannot resume it", path.display())]
    ResumeNotText {
        /// The file.
        path: PathBuf,
    },
    /// A line of the file to resume that is not JSON.
    #[error("{}:{line}: not a JSON row ({cause}); cannot resume", path.display())]
    ResumeNotJson {
        /// The file.
        path: PathBuf,
        /// The line, from 1.
        line: usize,
        /// What the JSON reader said.
        cause: serde_json::Error,
    },
    /// A row of the file to resume without an integer id.
    #[error("{}:{line}: row has no integer id; cannot resume", path.display())]
    ResumeNoId {
        /// The file.
        path: PathBuf,
        /// The line, from 1.
        line: usize,
    },
    /// Rows of the file to resume not in ascending id order.
    #[error("{}:{line}: session {id} follows session {before}; ids must ascend to resume", path.display())]
    ResumeOutOfOrder {
        /// The file.
        path: PathBuf,
        /// The line, from 1.
        line: usize,
        /// The id.
        id: u64,
        /// The id before it.
        before: u64,
    },
    /// Reading the file to resume.
    #[error("cannot read {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// Writing the partial file.
    #[error("cannot write {}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// `--save-columns`, but no page had `column_headers`.
    #[error("the report sent no column_headers: nothing to save for --save-columns")]
    NoColumnHeaders,
    /// Creating or committing the output file.
    #[error(transparent)]
    Output(#[from] sessionpay_io::Error),
    /// An error whose text held the token: the text, its sources joined
    /// by `": "`, with the token masked.
    #[error("{0}")]
    Masked(String),
}

/// The crate's results.
pub type Result<T> = std::result::Result<T, Error>;

/// What is wrong with a base URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BaseUrlProblem {
    /// Neither `https://` nor `http://`.
    Scheme,
    /// Nothing after the scheme.
    NoHost,
    /// `user:password@` in it (the message does not repeat the URL).
    Credentials,
    /// A query, fragment, space or control character.
    NotPlain,
    /// `http://` to another machine.
    ClearText,
}

struct BaseUrlMessage<'a>(&'a str, BaseUrlProblem);

impl fmt::Display for BaseUrlMessage<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = self.0;
        match self.1 {
            BaseUrlProblem::Scheme => write!(f, "--base-url {url:?} must start with https://"),
            BaseUrlProblem::NoHost => write!(f, "--base-url {url:?} has no host"),
            BaseUrlProblem::Credentials => {
                f.write_str("--base-url must not contain credentials; the token is read from the environment")
            }
            BaseUrlProblem::NotPlain => write!(
                f,
                "--base-url {url:?} must be a plain URL without query, fragment or spaces"
            ),
            BaseUrlProblem::ClearText => write!(
                f,
                "--base-url {url:?}: plain http would send the token in clear; use https:// \
                 (http:// is allowed only for localhost)"
            ),
        }
    }
}

impl Error {
    /// The message and its sources, joined by `": "`.
    pub(crate) fn chain_text(&self) -> String {
        let mut text = self.to_string();
        let mut source = self.source();
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chain_joins_the_sources_like_an_error_report_does() {
        let e = Error::Write {
            path: PathBuf::from("x.partial"),
            source: std::io::Error::other("disk full"),
        };
        assert_eq!(e.chain_text(), "cannot write x.partial: disk full");
        assert_eq!(
            Error::OutputIsStdout.chain_text(),
            "fetch writes to a file: give -o FILE.ndjson"
        );
    }

    #[test]
    fn a_url_with_credentials_is_not_repeated() {
        let e = Error::BaseUrl {
            url: "https://me:pw@host".to_owned(),
            problem: BaseUrlProblem::Credentials,
        };
        assert!(!e.to_string().contains("pw"), "{e}");
    }
}
