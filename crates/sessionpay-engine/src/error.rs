//! The one error type of the engine: the readers' and the rules' errors as
//! they are, and the few the engine adds.

use std::path::PathBuf;

/// Why a run, or an inference over its sessions, failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An input could not be read, or a row is not a session (it names the
    /// file, the place and the value).
    #[error(transparent)]
    Io(#[from] sessionpay_io::Error),
    /// A collector could not take a session (a total out of range, ...).
    #[error(transparent)]
    Core(#[from] sessionpay_core::Error),
    /// The policy search over one rate's sessions failed.
    #[error("rate {rate}{}", session.map(|s| format!(", session {s}")).unwrap_or_default())]
    Infer {
        /// The rate's TeamUp id.
        rate: u64,
        /// The first session whose figures the search could not price, when
        /// one alone fails.
        session: Option<u64>,
        /// Why.
        #[source]
        source: sessionpay_core::Error,
    },
    /// The inputs named cannot be read together (stdin twice, header
    /// labels that disagree).
    #[error("{0}")]
    Inputs(String),
    /// A sink the caller gave (the rejects file) could not be written.
    #[error("writing {}", path.display())]
    Write {
        /// The file being written.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// Whether this is a closed pipe (a reader on stdin's other end, or a
    /// sink writing to one, went away), which a command line treats as done.
    pub fn is_broken_pipe(&self) -> bool {
        match self {
            Error::Io(e) => e.is_broken_pipe(),
            Error::Write { source, .. } => source.kind() == std::io::ErrorKind::BrokenPipe,
            Error::Core(_) | Error::Infer { .. } | Error::Inputs(_) => false,
        }
    }
}

/// The engine's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_error_names_the_file_and_keeps_its_cause() {
        let e = Error::Write {
            path: PathBuf::from("rejects.csv"),
            source: std::io::Error::new(std::io::ErrorKind::BrokenPipe, "pipe closed"),
        };
        assert_eq!(e.to_string(), "writing rejects.csv");
        assert_eq!(
            std::error::Error::source(&e).map(|s| s.to_string()).as_deref(),
            Some("pipe closed")
        );
        assert!(e.is_broken_pipe());
    }
}
