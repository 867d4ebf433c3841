//! The byte ranges workers read of one NDJSON file or of one large JSON
//! response's rows ([`NdjsonPart`]), and the check that a file is worth
//! cutting into them: what planning and reading those parts share.

use std::fs::File;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A byte range of whole lines of an NDJSON file, or of whole rows of one
/// large JSON response (see [`crate::plan_parts`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NdjsonPart {
    pub(crate) path: PathBuf,
    pub(crate) start: u64,
    pub(crate) end: u64,
    pub(crate) size: u64,
    /// For a part of a JSON response's rows: where they start.
    pub(crate) json: Option<JsonRows>,
}

impl NdjsonPart {
    /// A part of an NDJSON file's lines.
    pub(crate) fn lines(path: &Path, start: u64, end: u64, size: u64) -> NdjsonPart {
        NdjsonPart {
            path: path.to_path_buf(),
            start,
            end,
            size,
            json: None,
        }
    }

    /// A part of a JSON response's rows.
    pub(crate) fn json(path: &Path, start: u64, end: u64, size: u64, rows: JsonRows) -> NdjsonPart {
        NdjsonPart {
            path: path.to_path_buf(),
            start,
            end,
            size,
            json: Some(rows),
        }
    }

    /// The byte range, `[start, end)`.
    pub fn range(&self) -> (u64, u64) {
        (self.start, self.end)
    }

    /// Whether this is a part of one JSON response's rows, not of NDJSON lines.
    pub fn is_json(&self) -> bool {
        self.json.is_some()
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The file's size when the part was planned.
    pub(crate) fn size(&self) -> u64 {
        self.size
    }
}

/// What a JSON part carries besides its byte range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JsonRows {
    /// The offset just after the `[` of the response's rows.
    pub(crate) head_end: u64,
}

/// The file at `path` and its size, when it is a plain file of at least
/// `min_bytes` (and 1) to cut into `parts` of at least 2.
///
/// # Errors
/// [`Error::Io`] for a file that cannot be read.
pub(crate) fn open_to_split(path: &Path, parts: usize, min_bytes: u64) -> Result<Option<(File, u64)>> {
    if !std::fs::metadata(path).map_err(|e| Error::io(path, e))?.is_file() {
        return Ok(None);
    }
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let size = file.metadata().map_err(|e| Error::io(path, e))?.len();
    if parts < 2 || size < min_bytes.max(1) {
        return Ok(None);
    }
    Ok(Some((file, size)))
}
