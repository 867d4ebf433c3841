//! The one error type of the io crate: every message names the file, the place and the value.

use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};

/// Text from an input made safe for a terminal: control characters (C0,
/// DEL, C1), bidirectional overrides and line separators are written as
/// `\u{1b}`, so no escape sequence, carriage return or OSC reaches stderr.
///
/// ```
/// assert_eq!(sessionpay_io::printable("Ana\u{1b}]0;x\u{7}"), "Ana\\u{1b}]0;x\\u{7}");
/// assert_eq!(sessionpay_io::printable("Zoë"), "Zoë");
/// ```
pub fn printable(text: &str) -> Cow<'_, str> {
    escape(text, false)
}

/// [`printable`] keeping line breaks: for whole messages, whose data parts
/// were escaped where they entered the message.
pub fn printable_lines(text: &str) -> Cow<'_, str> {
    escape(text, true)
}

fn escape(text: &str, keep_newlines: bool) -> Cow<'_, str> {
    let unsafe_char = |c: char| {
        (c.is_control() && !(keep_newlines && c == '\n'))
            || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}')
    };
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A path for a message, [`printable`]: a file name in a folder is data too.
pub struct Shown<'a>(pub &'a Path);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&printable(&self.0.to_string_lossy()))
    }
}

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
        /// Offset of the record's first byte in the file, from 0.
        byte: u64,
    },
    /// An NDJSON line, from 1.
    Ndjson {
        /// Line number.
        line: u64,
        /// Offset of the line's first byte in the file, from 0.
        byte: u64,
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
            Location::Csv { record, line, .. } => write!(f, "record {record} (line {line})"),
            Location::Ndjson { line, .. } => write!(f, "line {line}"),
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
            Location::File => write!(f, "{}", Shown(&self.path)),
            location => write!(f, "{}: {location}", Shown(&self.path)),
        }
    }
}

/// What went wrong reading or writing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A value that is well-formed text but not valid data.
    #[error("{}: {location} ({kind} {column:?}): {}", Shown(path), printable(problem), kind = column_kind(location))]
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
    #[error("{}: {location}: {}", Shown(path), printable(problem))]
    Row {
        /// The file.
        path: PathBuf,
        /// Where in it.
        location: Location,
        /// What is wrong.
        problem: String,
    },
    /// A file that is not well-formed (broken CSV, JSON or TOML).
    #[error("{}{}: {}", Shown(path), at(location), printable(message))]
    Syntax {
        /// The file.
        path: PathBuf,
        /// Where, if known.
        location: Location,
        /// What the parser said.
        message: String,
    },
    /// A required column or key is missing.
    #[error("{}: missing required column {column:?}{}", Shown(path), hint.as_deref().map(|h| format!(" ({})", printable_lines(h))).unwrap_or_default())]
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
    #[error("{}", Shown(path))]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// An output that is one of the run's inputs (same file, whatever the spelling).
    #[error(
        "{}: this output is also an input ({}): write it to another file",
        Shown(output),
        Shown(input)
    )]
    OutputIsInput {
        /// The output as named.
        output: PathBuf,
        /// The input it is.
        input: PathBuf,
    },
    /// A folder to be replaced as a whole that holds an input.
    #[error(
        "{}: the folder holds the input {}, and writing it replaces the whole folder: name another folder",
        Shown(folder),
        Shown(input)
    )]
    InputInFolder {
        /// The folder.
        folder: PathBuf,
        /// The input in it.
        input: PathBuf,
    },
    /// An output inside a folder that another output of the run replaces.
    #[error(
        "{}: it is inside {}, which this run replaces as a whole: write it somewhere else",
        Shown(output),
        Shown(folder)
    )]
    OutputInFolder {
        /// The output.
        output: PathBuf,
        /// The folder.
        folder: PathBuf,
    },
    /// One target named as two outputs of a run.
    #[error("{}: named as two outputs of one run", Shown(path))]
    OutputTwice {
        /// The output.
        path: PathBuf,
    },
    /// A folder to be replaced that holds something other than statements.
    #[error("{}: the folder holds {found:?}, which is not a statement; statements replace the whole folder, so name a new or empty folder (or a folder of earlier statements)", Shown(folder))]
    NotStatements {
        /// The folder.
        folder: PathBuf,
        /// The first name in it that is not an `.html` file.
        found: String,
    },
    /// An input whose size or modification time changed while it was read.
    #[error("{}: the file changed while it was read ({before} bytes before, {} after), so nothing was written: run again once it is complete", Shown(path), after.map_or_else(|| "gone".to_string(), |a| format!("{a} bytes")))]
    Changed {
        /// The input.
        path: PathBuf,
        /// Its size when first seen.
        before: u64,
        /// Its size after reading (`None`: gone or no longer a file).
        after: Option<u64>,
    },
    /// An output set whose renames failed after some outputs were replaced.
    #[error("only some outputs were replaced ({})", replaced.iter().map(|p| Shown(p).to_string()).collect::<Vec<_>>().join(", "))]
    PartlyCommitted {
        /// The outputs already in place.
        replaced: Vec<PathBuf>,
        /// Why the next one failed.
        source: Box<Error>,
    },
    /// An input that is none of the shapes sessionpay reads.
    #[error("{}: {}", Shown(path), printable(problem))]
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
