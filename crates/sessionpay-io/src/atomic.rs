//! Output files written atomically: a temporary file in the same folder,
//! renamed over the target only when everything was written.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::{Error, Result};

/// Temporary files not yet committed or dropped, for [`remove_pending_files`].
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn pending() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    // A poisoned list is still the list: a panic elsewhere does not change it.
    PENDING.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Removes every temporary file of an [`AtomicFile`] still being written.
///
/// For an interrupt handler about to end the process, where destructors do
/// not run: the targets are left as they were (old file or none).
pub fn remove_pending_files() {
    for path in pending().drain(..) {
        let _ = std::fs::remove_file(path);
    }
}

/// A file that appears at its path only on [`AtomicFile::commit`].
///
/// Dropped without a commit (an error, a panic, an early return), the
/// temporary file is removed and any old file at the path is left as it was.
///
/// A target that is not a regular file (`/dev/null`, a named pipe) cannot be
/// replaced by a rename without destroying it, so it is written in place; a
/// symbolic link is followed, and the file it points to is replaced.
#[derive(Debug)]
pub struct AtomicFile {
    /// `Some` until committed.
    out: Option<Target>,
    path: PathBuf,
    temp: PathBuf,
}

#[derive(Debug)]
enum Target {
    /// A temporary file beside the target, renamed over it on commit.
    Temp(BufWriter<tempfile::NamedTempFile>),
    /// A device or pipe, written directly.
    Direct(BufWriter<std::fs::File>),
}

impl Target {
    fn writer(&mut self) -> &mut dyn Write {
        match self {
            Target::Temp(w) => w,
            Target::Direct(w) => w,
        }
    }
}

impl AtomicFile {
    /// Starts writing `path`.
    ///
    /// # Errors
    /// [`Error::Io`] when the folder cannot hold a temporary file.
    pub fn create(path: &Path) -> Result<AtomicFile> {
        if let Ok(meta) = std::fs::metadata(path) {
            if meta.is_dir() {
                return Err(Error::io(
                    path,
                    io::Error::new(io::ErrorKind::IsADirectory, "it is a folder"),
                ));
            }
            if !meta.is_file() {
                let file = std::fs::OpenOptions::new()
                    .write(true)
                    .open(path)
                    .map_err(|e| Error::io(path, e))?;
                return Ok(AtomicFile {
                    out: Some(Target::Direct(BufWriter::new(file))),
                    path: path.to_path_buf(),
                    temp: PathBuf::new(),
                });
            }
        }
        // Replace what a link points to, not the link.
        let resolved = match std::fs::symlink_metadata(path) {
            Ok(meta) if meta.file_type().is_symlink() => std::fs::canonicalize(path).ok(),
            _ => None,
        };
        let target = resolved.as_deref().unwrap_or(path);
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let name = target.file_name().and_then(|n| n.to_str()).unwrap_or("output");
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
        let temp_path = temp.path().to_path_buf();
        pending().push(temp_path.clone());
        Ok(AtomicFile {
            out: Some(Target::Temp(BufWriter::with_capacity(256 * 1024, temp))),
            path: target.to_path_buf(),
            temp: temp_path,
        })
    }

    /// Flushes, syncs and renames the file into place.
    ///
    /// # Errors
    /// [`Error::Io`] when any of those fails; the target is then untouched.
    pub fn commit(mut self) -> Result<()> {
        let path = self.path.clone();
        let out = match self.out.take() {
            Some(Target::Temp(out)) => out,
            Some(Target::Direct(mut out)) => return out.flush().map_err(|e| Error::io(&path, e)),
            None => {
                return Err(Error::io(
                    &path,
                    io::Error::other("the file was already committed"),
                ))
            }
        };
        let temp = out.into_inner().map_err(|e| Error::io(&path, e.into_error()))?;
        temp.as_file().sync_all().map_err(|e| Error::io(&path, e))?;
        set_shareable_permissions(temp.as_file(), &path);
        temp.persist(&path).map_err(|e| Error::io(&path, e.error))?;
        Ok(())
    }

    /// The target path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn out(&mut self) -> io::Result<&mut dyn Write> {
        self.out
            .as_mut()
            .map(Target::writer)
            .ok_or_else(|| io::Error::other("the file was already committed"))
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        // Committed or not, the temporary name is no longer pending; an
        // uncommitted temporary file is deleted as `out` drops.
        pending().retain(|p| *p != self.temp);
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
        self.out()?.write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.out()?.write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out()?.flush()
    }
}

/// Adds a file that is not an [`AtomicFile`] (e.g. a download's `.partial`
/// file) to those [`remove_pending_files`] removes on an interrupt.
pub fn register_pending(path: PathBuf) {
    pending().push(path);
}

/// Takes `path` off the files [`remove_pending_files`] removes: it was
/// renamed into place, removed, or is to be kept.
pub fn forget_pending(path: &Path) {
    pending().retain(|p| p != path);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `remove_pending_files` clears every pending file of the process: the
    /// tests here take turns.
    static SERIAL: Mutex<()> = Mutex::new(());

    fn serial() -> std::sync::MutexGuard<'static, ()> {
        SERIAL.lock().unwrap_or_else(|p| p.into_inner())
    }

    #[test]
    fn nothing_appears_until_commit_and_a_drop_leaves_the_old_file() {
        let _turn = serial();
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
    fn pending_files_can_be_removed_by_an_interrupt_handler() {
        let _turn = serial();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("payroll.csv");
        let mut f = AtomicFile::create(&path).unwrap();
        f.write_all(b"partial").unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        remove_pending_files();
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "the temporary file is gone"
        );
        assert!(!path.exists());
    }

    #[cfg(unix)]
    #[test]
    fn a_device_is_written_in_place_never_replaced() {
        use std::os::unix::fs::FileTypeExt;
        let _turn = serial();
        let mut f = AtomicFile::create(Path::new("/dev/null")).unwrap();
        f.write_all(b"written to the device").unwrap();
        f.commit().unwrap();
        let meta = std::fs::metadata("/dev/null").unwrap();
        assert!(meta.file_type().is_char_device(), "/dev/null is still a device");
    }

    #[cfg(unix)]
    #[test]
    fn a_link_keeps_pointing_at_the_new_file() {
        let _turn = serial();
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.csv");
        let link = dir.path().join("link.csv");
        std::fs::write(&real, "old\n").unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let mut f = AtomicFile::create(&link).unwrap();
        f.write_all(b"new\n").unwrap();
        f.commit().unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "new\n");
    }

    #[test]
    fn a_missing_folder_is_an_error_naming_the_path() {
        let _turn = serial();
        let err = AtomicFile::create(Path::new("/nonexistent-folder/x.csv")).unwrap_err();
        assert_eq!(err.to_string(), "/nonexistent-folder/x.csv");
        let source = std::error::Error::source(&err).map(ToString::to_string);
        assert_eq!(
            source.as_deref(),
            Some("the folder /nonexistent-folder does not exist")
        );
    }
}
