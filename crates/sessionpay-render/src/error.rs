//! The one error type of the renderers.

use std::path::PathBuf;

/// What went wrong rendering or writing an output.
///
/// Every message names the file and, for `people.csv` and templates, the
/// line and the column or key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read (the OS message is the error's source).
    #[error("{}: {what}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What was being done: `cannot read it`, `cannot read it for its checksum`.
        what: &'static str,
        /// The OS error.
        source: std::io::Error,
    },
    /// A mistake in `people.csv`: the message names the file, the line and
    /// the column.
    #[error("{0}")]
    People(String),
    /// A mistake in an export template that is not one of its TOML (those
    /// are [`Error::Io`]): the message names the file.
    #[error("{0}")]
    Template(String),
    /// A payroll that the chosen import file cannot carry (a currency it does
    /// not take, a paid instructor `people.csv` does not name well enough):
    /// the message says what to do.
    #[error("{0}")]
    Refused(String),
    /// A template whose TOML is broken or wrong, or an output that could
    /// not be staged or committed.
    #[error(transparent)]
    Io(#[from] sessionpay_io::Error),
    /// The spreadsheet could not be built (the cause is the error's source).
    #[error("{}: cannot build the spreadsheet", path.display())]
    Spreadsheet {
        /// The workbook's path.
        path: PathBuf,
        /// Why.
        source: Box<Error>,
    },
    /// A rule of the core refused a sum (an amount out of range).
    #[error(transparent)]
    Core(#[from] sessionpay_core::Error),
    /// The XLSX writer failed.
    #[error(transparent)]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    /// Writing a page to its stream failed.
    #[error(transparent)]
    Write(#[from] std::io::Error),
    /// A sum beyond the range of exact decimals.
    #[error("{0}")]
    Overflow(&'static str),
}

impl Error {
    /// Whether this is a write to a closed pipe (`sessionpay ... | head`),
    /// which is not an error for a command line tool.
    pub fn is_broken_pipe(&self) -> bool {
        match self {
            Error::Write(e) => e.kind() == std::io::ErrorKind::BrokenPipe,
            Error::Io(e) => e.is_broken_pipe(),
            _ => false,
        }
    }
}

/// An amount sum out of range.
pub(crate) const AMOUNT_OVERFLOW: Error = Error::Overflow("an amount is too large to add up");

/// The result type of the render crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_closed_pipe_is_a_broken_pipe() {
        let pipe = Error::Write(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
        assert!(pipe.is_broken_pipe());
        let full = Error::Write(std::io::Error::from(std::io::ErrorKind::StorageFull));
        assert!(!full.is_broken_pipe());
        assert!(!Error::Refused("x".into()).is_broken_pipe());
    }
}
