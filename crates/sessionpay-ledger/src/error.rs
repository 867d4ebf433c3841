//! The ledger's errors: each names the file, and what in it is wrong.

use std::path::PathBuf;

/// What can go wrong opening, reading or writing a ledger.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file is not a sessionpay ledger (another SQLite file, or not SQLite at all).
    #[error("{}: not a sessionpay ledger ({why}); it was left untouched", path.display())]
    Foreign {
        /// The file.
        path: PathBuf,
        /// What was found instead.
        why: String,
    },
    /// The ledger was written by a newer sessionpay.
    #[error(
        "{}: a ledger of schema version {found}, newer than this sessionpay knows ({known}); \
         it was left untouched: use a newer sessionpay",
        path.display()
    )]
    Newer {
        /// The file.
        path: PathBuf,
        /// Its schema version.
        found: i64,
        /// The newest this build knows.
        known: i64,
    },
    /// There is no ledger at the path (only `close` creates one).
    #[error("{}: no such ledger (`sessionpay close` creates it)", path.display())]
    Missing {
        /// The file.
        path: PathBuf,
    },
    /// The ledger's earlier runs used another period.
    #[error(
        "{}: the ledger's runs close {ledger} periods, but this run asks for {asked}; \
         give --period (and --week-start, --anchor) as before",
        path.display()
    )]
    PeriodMismatch {
        /// The file.
        path: PathBuf,
        /// The period of the earlier runs.
        ledger: String,
        /// The period asked for.
        asked: String,
    },
    /// No run has the id.
    #[error("{}: no run {run}", path.display())]
    NoRun {
        /// The file.
        path: PathBuf,
        /// The run asked for.
        run: i64,
    },
    /// The run was voided already.
    #[error("{}: run {run} was voided already, on {at}", path.display())]
    AlreadyVoided {
        /// The file.
        path: PathBuf,
        /// The run.
        run: i64,
        /// When it was voided.
        at: String,
    },
    /// A value stored in the ledger cannot be read back.
    #[error("{}: table {table}, row {row}, column {column}: cannot read {value:?}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The table.
        table: &'static str,
        /// The row id.
        row: i64,
        /// The column.
        column: &'static str,
        /// The stored text.
        value: String,
    },
    /// SQLite failed (locked past the busy timeout, disk full, damaged file).
    #[error("{}: {what}: {source}", path.display())]
    Sqlite {
        /// The file.
        path: PathBuf,
        /// What was being done.
        what: &'static str,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// An input or policy file could not be read for its checksum.
    #[error("{}: cannot read it for its checksum: {source}", path.display())]
    Checksum {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// Nothing was read and nothing was closed before: no period to start from.
    #[error("no session in the input and nothing closed before: no period to close")]
    NothingToClose,
    /// A sum or a date out of range.
    #[error(transparent)]
    Core(#[from] sessionpay_core::Error),
    /// The figures could not be sorted (their temporary files written or read back).
    #[error("sorting the figures by session id: {0}")]
    Sort(std::io::Error),
    /// Writing an output failed.
    #[error("writing: {0}")]
    Write(#[from] std::io::Error),
}

/// A result with the ledger's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// The write failed because the reader went away (`| head`).
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Write(e) if e.kind() == std::io::ErrorKind::BrokenPipe)
    }
}
