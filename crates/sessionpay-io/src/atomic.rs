//! Output files written atomically: a temporary file in the same folder,
//! renamed over the target only when everything was written.
//!
//! Several outputs of one run are committed together by an
//! [`OutputSet`](crate::OutputSet), which uses the two halves of
//! [`AtomicFile::commit`] ([`AtomicFile::prepare`], then the rename).

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::{Error, Result};

/// Temporary files not yet committed or dropped, for [`remove_pending_files`].
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Temporary folders (a statements folder being written, an old one being
/// removed), for [`remove_pending_files`].
static PENDING_DIRS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Held while an output set renames its files into place: an interrupt
/// handler waits for it, so a signal cannot leave half a set committed.
static COMMITTING: Mutex<()> = Mutex::new(());

fn pending() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    // A poisoned list is still the list: a panic elsewhere does not change it.
    PENDING.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub(crate) fn pending_dirs() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    PENDING_DIRS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub(crate) fn committing() -> std::sync::MutexGuard<'static, ()> {
    COMMITTING.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Removes every temporary file and folder of an [`AtomicFile`] or an
/// [`OutputSet`](crate::OutputSet) still being written.
///
/// For a signal handler about to end the process, where destructors do
/// not run: the targets are left as they were (old file or none). A set
/// being renamed into place is let finish first, so it is all there or not.
pub fn remove_pending_files() {
    let _turn = committing();
    remove_pending();
}

/// [`remove_pending_files`] for a signal handler that ends the process right
/// after: no other thread commits an output or starts a sort's run file from
/// then on (they wait for the end), so nothing new appears once the
/// temporary files are gone.
pub fn remove_pending_files_for_exit() {
    let turn = committing();
    remove_pending();
    std::mem::forget(turn);
}

fn remove_pending() {
    for path in pending().drain(..) {
        let _ = std::fs::remove_file(path);
    }
    for path in pending_dirs().drain(..) {
        let _ = std::fs::remove_dir_all(path);
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
    /// A temporary file flushed and synced by [`AtomicFile::prepare`], to be renamed.
    Ready(tempfile::NamedTempFile),
    /// A device or pipe, written directly.
    Direct(BufWriter<std::fs::File>),
}

impl Target {
    fn writer(&mut self) -> io::Result<&mut dyn Write> {
        match self {
            Target::Temp(w) => Ok(w),
            Target::Direct(w) => Ok(w),
            Target::Ready(_) => Err(io::Error::other("the file was already prepared for its commit")),
        }
    }
}

impl AtomicFile {
    /// Starts writing `path`.
    ///
    /// The temporary file is created exclusively (`O_EXCL`, readable by the
    /// owner only), so nothing is written through a link planted at its name.
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
        let target = resolve_link(path);
        let dir = existing_parent(path, &target)?;
        let temp = hidden_beside(&target, ".tmp", |b| b.tempfile_in(dir))
            .map_err(cannot_create(path, "file", dir))?;
        let temp_path = temp.path().to_path_buf();
        pending().push(temp_path.clone());
        Ok(AtomicFile {
            out: Some(Target::Temp(BufWriter::with_capacity(256 * 1024, temp))),
            path: target,
            temp: temp_path,
        })
    }

    /// Starts writing `path` through `partial`, a temporary file of a known
    /// name in the same folder, which a later run can find and continue from
    /// (a download's `FILE.partial`).
    ///
    /// A file or link already at `partial` is removed first and the new one
    /// is created exclusively, so nothing is written through a link planted
    /// there; it gets the mode of any new file (the umask applies). Dropped
    /// without a commit it is removed. [`remove_pending_files`] removes it
    /// too, unless `keep_on_interrupt`: then an interrupted run leaves it for
    /// the next one. The commit gives it the mode of the file it replaces
    /// (as [`AtomicFile::create`] does) and renames it over `path` itself (a
    /// link there is replaced, not followed).
    ///
    /// # Errors
    /// [`Error::Io`] naming `partial` when it cannot be removed or created.
    pub fn create_with_partial(path: &Path, partial: &Path, keep_on_interrupt: bool) -> Result<AtomicFile> {
        match std::fs::remove_file(partial) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(partial, e)),
        }
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(partial)
            .map_err(|e| Error::io(partial, e))?;
        let temp_path = match tempfile::TempPath::try_from_path(partial) {
            Ok(temp_path) => temp_path,
            Err(e) => {
                // Without a current folder the relative name cannot be held: undo.
                let _ = std::fs::remove_file(partial);
                return Err(Error::io(partial, e));
            }
        };
        let temp = tempfile::NamedTempFile::from_parts(file, temp_path);
        if !keep_on_interrupt {
            pending().push(partial.to_path_buf());
        }
        Ok(AtomicFile {
            out: Some(Target::Temp(BufWriter::with_capacity(256 * 1024, temp))),
            path: path.to_path_buf(),
            temp: partial.to_path_buf(),
        })
    }

    /// Flushes, syncs and renames the file into place, then syncs its folder
    /// (best effort: some systems cannot) so that the rename is durable too.
    ///
    /// # Errors
    /// [`Error::Io`] when any of those fails; the target is then untouched.
    pub fn commit(mut self) -> Result<()> {
        self.prepare()?;
        let folder = parent_of(&self.path).to_path_buf();
        self.persist()?;
        let _ = std::fs::File::open(folder).and_then(|d| d.sync_all());
        Ok(())
    }

    /// The first half of [`commit`](AtomicFile::commit): everything that can
    /// fail for want of space (flush, sync, permissions), leaving only the
    /// rename. A device or pipe is flushed.
    ///
    /// # Errors
    /// [`Error::Io`] when any of those fails; the target is then untouched.
    pub fn prepare(&mut self) -> Result<()> {
        let path = self.path.clone();
        match self.out.take() {
            Some(Target::Temp(out)) => {
                let temp = out.into_inner().map_err(|e| Error::io(&path, e.into_error()))?;
                temp.as_file().sync_all().map_err(|e| Error::io(&path, e))?;
                set_shareable_permissions(temp.as_file(), &path).map_err(|e| Error::io(&path, e))?;
                self.out = Some(Target::Ready(temp));
            }
            Some(Target::Direct(mut out)) => {
                out.flush().map_err(|e| Error::io(&path, e))?;
                self.out = Some(Target::Direct(out));
            }
            Some(ready @ Target::Ready(_)) => self.out = Some(ready),
            None => {
                return Err(Error::io(
                    &path,
                    io::Error::other("the file was already committed"),
                ))
            }
        }
        Ok(())
    }

    /// The second half of [`commit`](AtomicFile::commit): the rename of a
    /// prepared file (prepared here if it was not).
    pub(crate) fn persist(mut self) -> Result<()> {
        self.prepare()?;
        let path = self.path.clone();
        match self.out.take() {
            Some(Target::Ready(temp)) => {
                temp.persist(&path).map_err(|e| Error::io(&path, e.error))?;
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// The target path (a link's target, for a link).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A second handle on the temporary file, for a writer that writes at
    /// offsets and reads back what it wrote ([`crate::FileSink`]); what was
    /// written through this file so far is flushed first. `None` for a
    /// device or pipe written in place. Whatever the handle writes is
    /// committed with the file (and removed with it).
    ///
    /// # Errors
    /// The flush's, or the handle's duplication's.
    pub fn staged_file(&mut self) -> io::Result<Option<std::fs::File>> {
        match &mut self.out {
            Some(Target::Temp(out)) => {
                out.flush()?;
                Ok(Some(out.get_ref().as_file().try_clone()?))
            }
            _ => Ok(None),
        }
    }

    /// Whether this writes a device or pipe in place (nothing to rename).
    pub(crate) fn is_direct(&self) -> bool {
        matches!(self.out, Some(Target::Direct(_)))
    }

    fn out(&mut self) -> io::Result<&mut dyn Write> {
        self.out
            .as_mut()
            .ok_or_else(|| io::Error::other("the file was already committed"))?
            .writer()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        // Committed or not, the temporary name is no longer pending; an
        // uncommitted temporary file is deleted as `out` drops.
        pending().retain(|p| *p != self.temp);
    }
}

/// What a link at `path` points to (the file to replace), else `path`.
pub(crate) fn resolve_link(path: &Path) -> PathBuf {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
        }
        _ => path.to_path_buf(),
    }
}

/// Makes, with `make` (tempfile's `tempfile_in` or `tempdir_in`), a hidden
/// stand-in for `target`: named `.NAME.`, random characters, then `suffix`.
pub(crate) fn hidden_beside<T>(
    target: &Path,
    suffix: &str,
    make: impl FnOnce(&tempfile::Builder<'_, '_>) -> io::Result<T>,
) -> io::Result<T> {
    let name = target.file_name().and_then(|n| n.to_str()).unwrap_or("output");
    make(
        tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(suffix),
    )
}

/// The error of a stand-in for `path` (a `what`) that `dir` could not hold.
/// tempfile names its hidden file in its errors; this keeps only what went wrong.
pub(crate) fn cannot_create<'a>(
    path: &'a Path,
    what: &'a str,
    dir: &'a Path,
) -> impl FnOnce(io::Error) -> Error + 'a {
    move |e| {
        Error::io(
            path,
            io::Error::new(e.kind(), format!("cannot create a {what} in {}", dir.display())),
        )
    }
}

/// The folder `path` is in (`.` for a bare name).
pub(crate) fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// The folder `target` is in, which must exist (`path` is what the user named).
pub(crate) fn existing_parent<'a>(path: &Path, target: &'a Path) -> Result<&'a Path> {
    let dir = parent_of(target);
    if !dir.is_dir() {
        return Err(Error::io(
            path,
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("the folder {} does not exist", dir.display()),
            ),
        ));
    }
    Ok(dir)
}

/// The process's umask, read without changing it (Linux: `/proc/self/status`;
/// elsewhere from the mode a probe file gets). 0o022 when neither works.
#[cfg(unix)]
pub(crate) fn umask(dir: &Path) -> u32 {
    static UMASK: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *UMASK.get_or_init(|| {
        let from_proc = std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|status| {
                status
                    .lines()
                    .find_map(|l| l.strip_prefix("Umask:"))
                    .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
            });
        from_proc.or_else(|| probe_umask(dir)).unwrap_or(0o022)
    })
}

/// Creates an empty file asking for mode 0666 and sees what the umask left.
#[cfg(unix)]
fn probe_umask(dir: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    let probe = tempfile::Builder::new()
        .prefix(".sessionpay-umask.")
        .permissions(std::fs::Permissions::from_mode(0o666))
        .tempfile_in(dir)
        .ok()?;
    let mode = probe.as_file().metadata().ok()?.permissions().mode();
    Some(!mode & 0o666)
}

/// Temporary files are private (0600); the output gets the mode a plain
/// `File::create` would give it: the old file's mode when it replaces one,
/// else 0666 less the umask.
#[cfg(unix)]
fn set_shareable_permissions(file: &std::fs::File, path: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = match std::fs::metadata(path) {
        Ok(m) => m.permissions().mode() & 0o7777,
        Err(_) => 0o666 & !umask(parent_of(path)),
    };
    file.set_permissions(std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_shareable_permissions(_file: &std::fs::File, _path: &Path) -> io::Result<()> {
    Ok(())
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::serial;

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

    #[cfg(unix)]
    #[test]
    fn a_partial_file_is_created_afresh_never_through_a_planted_link() {
        use std::os::unix::fs::PermissionsExt;
        let _turn = serial();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("s.ndjson");
        let partial = dir.path().join("s.ndjson.partial");
        let victim = dir.path().join("victim.txt");
        std::fs::write(&victim, "precious\n").unwrap();
        std::os::unix::fs::symlink(&victim, &partial).unwrap();
        let mut f = AtomicFile::create_with_partial(&out, &partial, false).unwrap();
        f.write_all(b"rows\n").unwrap();
        f.flush().unwrap();
        assert!(
            std::fs::symlink_metadata(&partial).unwrap().is_file(),
            "a file, not the link"
        );
        assert_eq!(std::fs::read_to_string(&partial).unwrap(), "rows\n");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
        // The mode of any new file here: the umask applies, not a fixed mode.
        let reference = dir.path().join("reference");
        std::fs::File::create(&reference).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&partial), mode(&reference));
        drop(f);
        assert!(!partial.exists(), "a run that did not finish removes it");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    }

    #[test]
    fn a_partial_file_is_renamed_into_place_on_commit() {
        let _turn = serial();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("s.ndjson");
        let partial = dir.path().join("s.ndjson.partial");
        std::fs::write(&out, "old\n").unwrap();
        std::fs::write(&partial, "left by an earlier run\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let mut f = AtomicFile::create_with_partial(&out, &partial, false).unwrap();
        f.write_all(b"new\n").unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "old\n");
        f.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "new\n");
        assert!(!partial.exists());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "the old file's mode, as for every output");
        }
    }

    #[test]
    fn an_interrupt_keeps_a_partial_file_only_when_asked_to() {
        let _turn = serial();
        let dir = tempfile::tempdir().unwrap();
        for keep in [false, true] {
            let out = dir.path().join(format!("{keep}.ndjson"));
            let partial = dir.path().join(format!("{keep}.ndjson.partial"));
            let mut f = AtomicFile::create_with_partial(&out, &partial, keep).unwrap();
            f.write_all(b"rows\n").unwrap();
            f.flush().unwrap();
            remove_pending_files();
            assert_eq!(partial.exists(), keep, "keep_on_interrupt: {keep}");
            // A handler ends the process here; this test lets the drop run.
            std::mem::forget(f);
        }
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
