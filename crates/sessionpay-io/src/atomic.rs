//! Output files written atomically: a temporary file in the same folder,
//! renamed over the target only when everything was written.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A file that appears at its path only on [`AtomicFile::commit`].
///
/// Dropped without a commit (an error, a panic, an early return), the
/// temporary file is removed and any old file at the path is left as it was.
#[derive(Debug)]
pub struct AtomicFile {
    out: BufWriter<tempfile::NamedTempFile>,
    path: PathBuf,
}

impl AtomicFile {
    /// Starts writing `path`.
    ///
    /// # Errors
    /// [`Error::Io`] when the folder cannot hold a temporary file.
    pub fn create(path: &Path) -> Result<AtomicFile> {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("output");
        if !dir.is_dir() {
            return Err(Error::io(
                path,
                io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("the folder {} does not exist", dir.display()),
                ),
            ));
        }
        // tempfile names its hidden file in its errors; keep only what went wrong.
        let temp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(|e| {
                Error::io(
                    path,
                    io::Error::new(e.kind(), format!("cannot create a file in {}", dir.display())),
                )
            })?;
        Ok(AtomicFile {
            out: BufWriter::with_capacity(256 * 1024, temp),
            path: path.to_path_buf(),
        })
    }

    /// Flushes, syncs and renames the file into place.
    ///
    /// # Errors
    /// [`Error::Io`] when any of those fails; the target is then untouched.
    pub fn commit(self) -> Result<()> {
        let path = self.path;
        let temp = self
            .out
            .into_inner()
            .map_err(|e| Error::io(&path, e.into_error()))?;
        temp.as_file().sync_all().map_err(|e| Error::io(&path, e))?;
        set_shareable_permissions(temp.as_file(), &path);
        temp.persist(&path).map_err(|e| Error::io(&path, e.error))?;
        Ok(())
    }

    /// The target path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Temporary files are private (0600); a payroll file is shared like any
/// other output, so give it the old file's mode, or 0644 for a new one.
#[cfg(unix)]
fn set_shareable_permissions(file: &std::fs::File, path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o7777)
        .unwrap_or(0o644);
    // Best effort: the contents are what matter.
    let _ = file.set_permissions(std::fs::Permissions::from_mode(mode));
}

#[cfg(not(unix))]
fn set_shareable_permissions(_file: &std::fs::File, _path: &Path) {}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.out.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_appears_until_commit_and_a_drop_leaves_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("payroll.csv");
        std::fs::write(&path, "old\n").unwrap();
        {
            let mut f = AtomicFile::create(&path).unwrap();
            f.write_all(b"half a payroll").unwrap();
            // Dropped without commit, as on an error.
        }
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old\n");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "the temporary file is gone"
        );
        let mut f = AtomicFile::create(&path).unwrap();
        f.write_all(b"new\n").unwrap();
        f.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new\n");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_missing_folder_is_an_error_naming_the_path() {
        let err = AtomicFile::create(Path::new("/nonexistent-folder/x.csv")).unwrap_err();
        assert_eq!(err.to_string(), "/nonexistent-folder/x.csv");
        let source = std::error::Error::source(&err).map(ToString::to_string);
        assert_eq!(
            source.as_deref(),
            Some("the folder /nonexistent-folder does not exist")
        );
    }
}
