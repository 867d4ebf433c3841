//! The one error type of the crate. Messages are whole sentences for the
//! user; none shows the API token.

use std::error::Error as _;

/// What went wrong in a fetch.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The token is missing, or cannot be sent in a header.
    #[error("{0}")]
    Token(String),
    /// An option that cannot be used: the base URL, the dates, the output name.
    #[error("{0}")]
    Options(String),
    /// The server refused the request, kept failing, or sent what is not a report page.
    #[error("{0}")]
    Server(String),
    /// The pages do not make the report: ids out of order, rows short of or past its total.
    #[error("{0}")]
    Report(String),
    /// An existing output that `resume` cannot continue.
    #[error("{0}")]
    Resume(String),
    /// Reading or writing a file (the OS message is the error's source).
    #[error("{context}")]
    Io {
        /// What was being done, naming the file.
        context: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// Creating or committing the output file.
    #[error(transparent)]
    Output(#[from] sessionpay_io::Error),
    /// An error whose text held the token, with the token masked.
    #[error("{0}")]
    Masked(String),
}

/// The crate's results.
pub type Result<T> = std::result::Result<T, Error>;

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
        let e = Error::Io {
            context: "cannot write x.partial".to_owned(),
            source: std::io::Error::other("disk full"),
        };
        assert_eq!(e.chain_text(), "cannot write x.partial: disk full");
        assert_eq!(Error::Report("short".to_owned()).chain_text(), "short");
    }
}
