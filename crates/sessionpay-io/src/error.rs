//! The one error type of the io crate: every message names the file, the place and the value.

use std::fmt;
use std::path::PathBuf;

/// Where in an input a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Location {
    /// The file as a whole.
    File,
    /// A CSV record: `record` counts the header as 0, `line` is the physical line from 1.
    Csv {
        /// Record number (the header is record 0).
        record: u64,
        /// Line of the record's start, from 1.
        line: u64,
    },
    /// An NDJSON line, from 1.
    Ndjson {
        /// Line number.
        line: u64,
    },
    /// A row of a JSON response's `rows` array, from 1.
    JsonRow {
        /// Row number.
        row: u64,
    },
    /// A place in a text file (JSON syntax errors, the policy file).
    Text {
        /// Line from 1.
        line: u64,
        /// Column from 1.
        column: u64,
    },
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File => Ok(()),
            Location::Csv { record, line } => write!(f, "record {record} (line {line})"),
            Location::Ndjson { line } => write!(f, "line {line}"),
            Location::JsonRow { row } => write!(f, "row {row}"),
            Location::Text { line, column } => write!(f, "line {line}, column {column}"),
        }
    }
}

/// An input's name and a place in it: what error messages and duplicate reports name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Place {
    /// The file (or `<stdin>`).
    pub path: PathBuf,
    /// Where in it.
    pub location: Location,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.location {
            Location::File => write!(f, "{}", self.path.display()),
            location => write!(f, "{}: {location}", self.path.display()),
        }
    }
}

/// What went wrong reading or writing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A value that is well-formed text but not valid data.
    #[error("{}: {location} ({kind} {column:?}): {problem}", path.display(), kind = column_kind(location))]
    Field {
        /// The file.
        path: PathBuf,
        /// Where in it.
        location: Location,
        /// The column (CSV) or key (JSON).
        column: String,
        /// What is wrong, naming the offending value.
        problem: String,
    },
    /// A row that fails a rule spanning several fields (e.g. comped > attended).
    #[error("{}: {location}: {problem}", path.display())]
    Row {
        /// The file.
        path: PathBuf,
        /// Where in it.
        location: Location,
        /// What is wrong.
        problem: String,
    },
    /// A file that is not well-formed (broken CSV, JSON or TOML).
    #[error("{}{}: {message}", path.display(), at(location))]
    Syntax {
        /// The file.
        path: PathBuf,
        /// Where, if known.
        location: Location,
        /// What the parser said.
        message: String,
    },
    /// A required column or key is missing.
    #[error("{}: missing required column {column:?}{}", path.display(), hint.as_deref().map(|h| format!(" ({h})")).unwrap_or_default())]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The column, by its dot key.
        column: &'static str,
        /// A hint about the header that was seen.
        hint: Option<String>,
    },
    /// The same session id twice with different content.
    #[error("session {id} appears twice with different content: at {first} and at {second}")]
    ConflictingDuplicate {
        /// The session id.
        id: u64,
        /// The first place.
        first: Place,
        /// The second place.
        second: Place,
    },
    /// An error from the core, at a place in an input (the core's message is
    /// the error's source: print the chain, e.g. with `{:#}` in anyhow).
    #[error("{place}")]
    Core {
        /// Where.
        place: Place,
        /// What the core said.
        source: sessionpay_core::Error,
    },
    /// An I/O error on a file (the OS message is the error's source).
    #[error("{}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// An output that is one of the run's inputs (same file, whatever the spelling).
    #[error("{}: this output is also an input ({}): write it to another file", output.display(), input.display())]
    OutputIsInput {
        /// The output as named.
        output: PathBuf,
        /// The input it is.
        input: PathBuf,
    },
    /// A folder to be replaced as a whole that holds an input.
    #[error("{}: the folder holds the input {}, and writing it replaces the whole folder: name another folder", folder.display(), input.display())]
    InputInFolder {
        /// The folder.
        folder: PathBuf,
        /// The input in it.
        input: PathBuf,
    },
    /// An output inside a folder that another output of the run replaces.
    #[error("{}: it is inside {}, which this run replaces as a whole: write it somewhere else", output.display(), folder.display())]
    OutputInFolder {
        /// The output.
        output: PathBuf,
        /// The folder.
        folder: PathBuf,
    },
    /// One target named as two outputs of a run.
    #[error("{}: named as two outputs of one run", path.display())]
    OutputTwice {
        /// The output.
        path: PathBuf,
    },
    /// A folder to be replaced that holds something other than statements.
    #[error("{}: the folder holds {found:?}, which is not a statement; statements replace the whole folder, so name a new or empty folder (or one of earlier statements)", folder.display())]
    NotStatements {
        /// The folder.
        folder: PathBuf,
        /// The first name in it that is not an `.html` file.
        found: String,
    },
    /// An input whose size or modification time changed while it was read.
    #[error("{}: the file changed while it was read ({before} bytes before, {} after), so nothing was written: run again once it is complete", path.display(), after.map_or_else(|| "gone".to_string(), |a| format!("{a} bytes")))]
    Changed {
        /// The input.
        path: PathBuf,
        /// Its size when first seen.
        before: u64,
        /// Its size after reading (`None`: gone or no longer a file).
        after: Option<u64>,
    },
    /// An output set whose renames failed after some outputs were replaced.
    #[error("only some outputs were replaced ({replaced})")]
    PartlyCommitted {
        /// The outputs already in place.
        replaced: String,
        /// Why the next one failed.
        source: Box<Error>,
    },
    /// An input that is none of the shapes sessionpay reads.
    #[error("{}: {problem}", path.display())]
    Shape {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
}

fn column_kind(location: &Location) -> &'static str {
    match location {
        Location::Csv { .. } => "column",
        _ => "key",
    }
}

fn at(location: &Location) -> String {
    match location {
        Location::File => String::new(),
        other => format!(": {other}"),
    }
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// The file and place the error is about, when it is about one row.
    pub fn place(&self) -> Option<Place> {
        match self {
            Error::Field { path, location, .. } | Error::Row { path, location, .. } => Some(Place {
                path: path.clone(),
                location: *location,
            }),
            Error::Syntax { path, location, .. } if *location != Location::File => Some(Place {
                path: path.clone(),
                location: *location,
            }),
            Error::Core { place, .. } => Some(place.clone()),
            _ => None,
        }
    }

    /// What is wrong, without the file and place (for a rejects file).
    pub fn reason(&self) -> String {
        match self {
            Error::Field {
                location,
                column,
                problem,
                ..
            } => {
                format!("{} {column:?}: {problem}", column_kind(location))
            }
            Error::Row { problem, .. } => problem.clone(),
            Error::Syntax { message, .. } => message.clone(),
            Error::Core { source, .. } => source.to_string(),
            other => other.to_string(),
        }
    }

    /// Whether this is a broken pipe on output (a closed stdout is not an error).
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::BrokenPipe)
    }
}

/// The result type of the io crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
