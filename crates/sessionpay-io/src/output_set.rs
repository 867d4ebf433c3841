//! Every output of one run committed as one unit.
//!
//! A run may write several outputs: the `-o` file, a statements folder, an
//! export's files, the `--skip-invalid` rejects file. [`OutputSet`] stages
//! them all under temporary names beside their targets, and
//! [`OutputSet::commit`] puts them in place together:
//!
//! 1. the inputs are checked unchanged (size and modification time);
//! 2. every file is flushed, synced and given its final mode, every staged
//!    folder synced: anything that can fail for want of space fails here,
//!    before any target is touched;
//! 3. the files and folders are renamed into place, one after another, and
//!    their folders synced.
//!
//! A failure before step 3, or dropping the set, removes every temporary
//! file and folder and leaves every old output as it was. Step 3 only
//! renames within each target's own folder; should one of those renames
//! fail all the same, the error says which outputs were already replaced.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::atomic::{
    cannot_create, committing, existing_parent, hidden_beside, parent_of, pending_dirs, resolve_link,
};
use crate::error::{Error, Result};
use crate::watch::InputFiles;
use crate::AtomicFile;

/// The outputs of one run, committed together by [`OutputSet::commit`].
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let mut set = sessionpay_io::OutputSet::new(sessionpay_io::InputFiles::default());
/// set.write(&dir.path().join("payroll.csv"), b"a,b\n")?;
/// let mut folder = set.folder(&dir.path().join("statements"))?;
/// folder.write("index.html", b"<!doctype html>")?;
/// set.add_folder(folder);
/// assert!(!dir.path().join("payroll.csv").exists(), "nothing before the commit");
/// set.commit()?;
/// assert!(dir.path().join("statements/index.html").exists());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct OutputSet {
    inputs: InputFiles,
    files: Vec<AtomicFile>,
    folders: Vec<Folder>,
    /// Every target claimed so far (files and folders), to refuse one
    /// twice: the absolute target, and the path as given.
    claimed: Vec<(PathBuf, PathBuf)>,
}

impl OutputSet {
    /// A set whose outputs may not be any of `inputs`, and which is not
    /// committed if one of them changed while it was read.
    pub fn new(inputs: InputFiles) -> OutputSet {
        OutputSet {
            inputs,
            files: Vec::new(),
            folders: Vec::new(),
            claimed: Vec::new(),
        }
    }

    /// The inputs this set guards.
    pub fn inputs(&self) -> &InputFiles {
        &self.inputs
    }

    /// Refuses, before anything is read, outputs the run would write: a file
    /// that is an input, a folder that holds one, one target named twice.
    ///
    /// # Errors
    /// [`Error::OutputIsInput`], [`Error::InputInFolder`], [`Error::OutputTwice`].
    pub fn check_planned(&self, files: &[&Path], folders: &[&Path]) -> Result<()> {
        let mut probe = OutputSet::new(self.inputs.clone());
        probe.claimed.clone_from(&self.claimed);
        for folder in folders {
            probe.claim_folder(folder)?;
        }
        for file in files {
            probe.claim_file(file)?;
        }
        Ok(())
    }

    /// Starts a file of the set; write it, then hand it back with [`OutputSet::add`].
    ///
    /// # Errors
    /// An output that is an input or is named twice; [`Error::Io`] when the
    /// temporary file cannot be created.
    pub fn create(&mut self, path: &Path) -> Result<AtomicFile> {
        self.claim_file(path)?;
        AtomicFile::create(path)
    }

    /// Adds a written file to the set (it is committed with the others).
    ///
    /// # Errors
    /// A file that was not made by [`OutputSet::create`] and names a target
    /// already in the set, or an input.
    pub fn add(&mut self, file: AtomicFile) -> Result<()> {
        let target = absolute(file.path());
        if !self.claimed.iter().any(|(c, _)| *c == target) {
            let path = file.path().to_path_buf();
            self.claim_file(&path)?;
        }
        self.files.push(file);
        Ok(())
    }

    /// Writes `bytes` as the file `path` of the set.
    ///
    /// # Errors
    /// As [`OutputSet::create`], and [`Error::Io`] when writing fails.
    pub fn write(&mut self, path: &Path, bytes: &[u8]) -> Result<()> {
        let mut file = self.create(path)?;
        file.write_all(bytes).map_err(|e| Error::io(path, e))?;
        self.add(file)
    }

    /// Starts a folder that replaces `path` as a whole on commit: afterwards
    /// it holds exactly the files written into it.
    ///
    /// An existing folder may hold only `.html` files (an earlier run's
    /// statements), so that a mistyped `--statements .` cannot delete work.
    ///
    /// # Errors
    /// A folder that holds an input or other files, a path that is a file,
    /// [`Error::Io`] when the temporary folder cannot be made.
    pub fn folder(&mut self, path: &Path) -> Result<Folder> {
        self.claim_folder(path)?;
        Folder::create(path)
    }

    /// Adds a written folder to the set.
    pub fn add_folder(&mut self, folder: Folder) {
        self.folders.push(folder);
    }

    /// Checks the inputs, prepares every output, then renames them all into
    /// place (see the module docs).
    ///
    /// # Errors
    /// [`Error::Changed`] for an input that changed; [`Error::Io`] when a
    /// file cannot be written, synced or renamed.
    pub fn commit(mut self) -> Result<()> {
        self.inputs.check_unchanged()?;
        for file in &mut self.files {
            file.prepare()?;
        }
        for folder in &mut self.folders {
            folder.prepare()?;
        }
        // A signal handler waits for this, so the renames are done as a whole.
        let _turn = committing();
        let mut done: Vec<PathBuf> = Vec::new();
        let fail = |done: &[PathBuf], e: Error| -> Error {
            if done.is_empty() {
                return e;
            }
            Error::PartlyCommitted {
                replaced: done.to_vec(),
                source: Box::new(e),
            }
        };
        for file in std::mem::take(&mut self.files) {
            let path = file.path().to_path_buf();
            let direct = file.is_direct();
            if let Err(e) = file.persist() {
                return Err(fail(&done, e));
            }
            if !direct {
                done.push(path);
            }
        }
        for folder in std::mem::take(&mut self.folders) {
            let path = folder.target.clone();
            if let Err(e) = folder.persist() {
                return Err(fail(&done, e));
            }
            done.push(path);
        }
        // The renames themselves reach the disk with their folders.
        let mut folders: Vec<&Path> = done.iter().map(|p| parent_of(p)).collect();
        folders.sort();
        folders.dedup();
        for folder in folders {
            // Best effort: every output is in place; some systems cannot sync a folder.
            let _ = std::fs::File::open(folder).and_then(|d| d.sync_all());
        }
        Ok(())
    }

    fn claim_file(&mut self, path: &Path) -> Result<()> {
        self.inputs.check_output(path)?;
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {
                return Err(Error::io(
                    path,
                    io::Error::new(io::ErrorKind::IsADirectory, "it is a folder"),
                ))
            }
            // A device or pipe (`/dev/null`) is written in place and may take
            // several outputs.
            Ok(meta) if !meta.is_file() => return Ok(()),
            _ => {}
        }
        let target = absolute(&resolve_link(path));
        if self.claimed.iter().any(|(c, _)| *c == target) {
            return Err(Error::OutputTwice {
                path: path.to_path_buf(),
            });
        }
        if let Some((_, folder)) = self.claimed.iter().find(|(c, _)| target.starts_with(c)) {
            return Err(Error::OutputInFolder {
                output: path.to_path_buf(),
                folder: folder.clone(),
            });
        }
        self.claimed.push((target, path.to_path_buf()));
        Ok(())
    }

    fn claim_folder(&mut self, path: &Path) -> Result<()> {
        self.inputs.check_folder(path)?;
        check_replaceable(path)?;
        let target = absolute(&resolve_link(path));
        let clash = self
            .claimed
            .iter()
            .find(|(c, _)| c.starts_with(&target) || target.starts_with(c));
        if let Some((other, shown)) = clash {
            return Err(if *other == target {
                Error::OutputTwice {
                    path: path.to_path_buf(),
                }
            } else if other.starts_with(&target) {
                Error::OutputInFolder {
                    output: shown.clone(),
                    folder: path.to_path_buf(),
                }
            } else {
                Error::OutputInFolder {
                    output: path.to_path_buf(),
                    folder: shown.clone(),
                }
            });
        }
        self.claimed.push((target, path.to_path_buf()));
        Ok(())
    }
}

/// `path` made absolute and its folder's links resolved, to compare targets.
fn absolute(path: &Path) -> PathBuf {
    if let Ok(real) = std::fs::canonicalize(path) {
        return real;
    }
    let dir = parent_of(path);
    match (std::fs::canonicalize(dir), path.file_name()) {
        (Ok(real), Some(name)) => real.join(name),
        _ => std::env::current_dir().map_or_else(|_| path.to_path_buf(), |cwd| cwd.join(path)),
    }
}

/// A folder being written under a temporary name beside its target, which
/// it replaces as a whole on commit.
#[derive(Debug)]
pub struct Folder {
    /// The folder to replace (a link's target, for a link).
    target: PathBuf,
    /// The shown name (as given).
    shown: PathBuf,
    /// `Some` until committed.
    temp: Option<tempfile::TempDir>,
}

impl Folder {
    fn create(path: &Path) -> Result<Folder> {
        check_replaceable(path)?;
        let target = resolve_link(path);
        let dir = existing_parent(path, &target)?;
        let temp = hidden_beside(&target, ".tmp", |b| b.tempdir_in(dir))
            .map_err(cannot_create(path, "folder", dir))?;
        pending_dirs().push(temp.path().to_path_buf());
        Ok(Folder {
            target,
            shown: path.to_path_buf(),
            temp: Some(temp),
        })
    }

    /// Writes the file `name` (a plain file name) into the folder, synced.
    ///
    /// The file is created exclusively with the mode `File::create` gives.
    ///
    /// # Errors
    /// [`Error::Io`] when writing fails or `name` is not a plain file name.
    pub fn write(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        let shown = self.shown.join(name);
        let plain = Path::new(name).file_name().is_some_and(|n| n == name) && !name.starts_with('.');
        let Some(temp) = self.temp.as_ref().filter(|_| plain) else {
            return Err(Error::io(
                shown,
                io::Error::new(io::ErrorKind::InvalidInput, "not a plain file name in the folder"),
            ));
        };
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o666);
        let mut file = options
            .open(temp.path().join(name))
            .map_err(|e| Error::io(&shown, e))?;
        file.write_all(bytes).map_err(|e| Error::io(&shown, e))?;
        file.sync_all().map_err(|e| Error::io(&shown, e))?;
        Ok(())
    }

    /// Syncs the folder and gives it the old folder's mode, or 0777 less the umask.
    fn prepare(&mut self) -> Result<()> {
        let Some(temp) = &self.temp else {
            return Ok(());
        };
        let shown = &self.shown;
        std::fs::File::open(temp.path())
            .and_then(|d| d.sync_all())
            .map_err(|e| Error::io(shown, e))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = match std::fs::metadata(&self.target) {
                Ok(m) => m.permissions().mode() & 0o7777,
                Err(_) => 0o777 & !crate::atomic::umask(parent_of(&self.target)),
            };
            std::fs::set_permissions(temp.path(), std::fs::Permissions::from_mode(mode))
                .map_err(|e| Error::io(shown, e))?;
        }
        Ok(())
    }

    /// Puts the folder in place of the target.
    ///
    /// With no old folder, one rename. On Linux an old folder is swapped out
    /// in one step (`renameat2` with `RENAME_EXCHANGE`) and then removed.
    /// Elsewhere (or on a file system without the swap) the old folder is
    /// first renamed aside, then the new one into place; should that second
    /// rename fail, the old folder is renamed back, and if even that fails
    /// the error names where the old folder was left.
    fn persist(mut self) -> Result<()> {
        let Some(temp) = self.temp.take() else {
            return Ok(());
        };
        let temp_path = temp.keep();
        let shown = self.shown.clone();
        let result = self.swap_in(&temp_path);
        pending_dirs().retain(|p| *p != temp_path);
        if result.is_err() {
            let _ = std::fs::remove_dir_all(&temp_path);
        }
        result.map_err(|e| Error::io(&shown, e))
    }

    fn swap_in(&self, temp: &Path) -> io::Result<()> {
        let target = &self.target;
        if std::fs::symlink_metadata(target).is_err() {
            return std::fs::rename(temp, target);
        }
        #[cfg(target_os = "linux")]
        {
            use rustix::fs::{renameat_with, RenameFlags, CWD};
            if renameat_with(CWD, temp, CWD, target, RenameFlags::EXCHANGE).is_ok() {
                // `temp` now holds the old statements.
                let _ = std::fs::remove_dir_all(temp);
                return Ok(());
            }
        }
        // Rename the old folder onto an empty one of our own (rename may
        // replace an empty folder), then the new one into place.
        let dir = parent_of(target);
        let aside = hidden_beside(target, ".old", |b| b.tempdir_in(dir))?.keep();
        pending_dirs().push(aside.clone());
        std::fs::rename(target, &aside)?;
        let result = match std::fs::rename(temp, target) {
            Ok(()) => {
                let _ = std::fs::remove_dir_all(&aside);
                Ok(())
            }
            Err(e) => match std::fs::rename(&aside, target) {
                Ok(()) => Err(e),
                Err(_) => Err(io::Error::new(
                    e.kind(),
                    format!("{e}; the earlier folder was left at {}", aside.display()),
                )),
            },
        };
        pending_dirs().retain(|p| *p != aside);
        result
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        if let Some(temp) = &self.temp {
            let path = temp.path().to_path_buf();
            pending_dirs().retain(|p| *p != path);
        }
    }
}

/// A folder to be replaced as a whole: absent, or a folder of `.html` files only.
fn check_replaceable(shown: &Path) -> Result<()> {
    let target = resolve_link(shown);
    let Ok(meta) = std::fs::metadata(&target) else {
        return Ok(());
    };
    if !meta.is_dir() {
        return Err(Error::io(
            shown,
            io::Error::new(io::ErrorKind::NotADirectory, "it is a file, not a folder"),
        ));
    }
    let entries = std::fs::read_dir(&target).map_err(|e| Error::io(shown, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(shown, e))?;
        let name = entry.file_name();
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        let html = Path::new(&name).extension().is_some_and(|e| e == "html");
        if !(is_file && html) {
            return Err(Error::NotStatements {
                folder: shown.to_path_buf(),
                found: name.to_string_lossy().into_owned(),
            });
        }
    }
    Ok(())
}

/// Where a run's sorted runs spill: beside the output file when it is a
/// file to be replaced (the same disk as the output), else the system's
/// temporary folder.
pub fn spill_folder(output: Option<&Path>) -> PathBuf {
    let beside = output.filter(|path| std::fs::metadata(path).map_or(true, |m| m.is_file()));
    match beside.and_then(Path::parent) {
        Some(parent) if parent.as_os_str().is_empty() => PathBuf::from("."),
        Some(parent) => parent.to_path_buf(),
        None => std::env::temp_dir(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_runs_spill_beside_a_file_output_else_in_the_temporary_folder() {
        assert_eq!(spill_folder(None), std::env::temp_dir());
        assert_eq!(spill_folder(Some(Path::new("out.csv"))), PathBuf::from("."));
        assert_eq!(spill_folder(Some(Path::new("a/out.csv"))), PathBuf::from("a"));
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(
            spill_folder(Some(dir.path())),
            std::env::temp_dir(),
            "a folder output"
        );
    }

    use crate::testing::serial;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_dropped_set_leaves_every_old_output_and_no_temporary_one() {
        let _turn = serial();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.csv"), "old a").unwrap();
        std::fs::create_dir(dir.path().join("st")).unwrap();
        std::fs::write(dir.path().join("st/old.html"), "old").unwrap();
        {
            let mut set = OutputSet::new(InputFiles::default());
            set.write(&dir.path().join("a.csv"), b"new a").unwrap();
            let mut folder = set.folder(&dir.path().join("st")).unwrap();
            folder.write("new.html", b"new").unwrap();
            set.add_folder(folder);
        }
        assert_eq!(names(dir.path()), ["a.csv", "st"]);
        assert_eq!(names(&dir.path().join("st")), ["old.html"]);
        assert_eq!(
            std::fs::read_to_string(dir.path().join("a.csv")).unwrap(),
            "old a"
        );
    }

    #[test]
    fn a_committed_folder_holds_exactly_the_new_files() {
        let _turn = serial();
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("st")).unwrap();
        std::fs::write(dir.path().join("st/stale.html"), "old").unwrap();
        let mut set = OutputSet::new(InputFiles::default());
        let mut folder = set.folder(&dir.path().join("st")).unwrap();
        folder.write("index.html", b"new").unwrap();
        set.add_folder(folder);
        set.commit().unwrap();
        assert_eq!(names(dir.path()), ["st"]);
        assert_eq!(names(&dir.path().join("st")), ["index.html"]);
    }

    #[test]
    fn a_folder_with_other_files_is_not_replaced() {
        let _turn = serial();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
        let mut set = OutputSet::new(InputFiles::default());
        let err = set.folder(dir.path()).unwrap_err();
        assert!(
            matches!(err, Error::NotStatements { ref found, .. } if found == "notes.txt"),
            "{err}"
        );
    }

    #[test]
    fn one_target_twice_or_inside_the_folder_is_refused() {
        let _turn = serial();
        let dir = tempfile::tempdir().unwrap();
        let set = OutputSet::new(InputFiles::default());
        let a = dir.path().join("a.csv");
        let st = dir.path().join("st");
        assert!(matches!(
            set.check_planned(&[&a, &a], &[]),
            Err(Error::OutputTwice { .. })
        ));
        assert!(matches!(
            set.check_planned(&[&st.join("a.csv")], &[&st]),
            Err(Error::OutputInFolder { .. })
        ));
        set.check_planned(&[&a], &[&st]).unwrap();
        #[cfg(unix)]
        {
            let null = Path::new("/dev/null");
            set.check_planned(&[null, null], &[]).unwrap();
            assert!(
                set.check_planned(&[dir.path()], &[]).is_err(),
                "a folder as a file"
            );
        }
    }

    #[test]
    fn a_signal_handler_removes_a_folder_being_written() {
        let _turn = serial();
        let dir = tempfile::tempdir().unwrap();
        let mut set = OutputSet::new(InputFiles::default());
        let mut folder = set.folder(&dir.path().join("st")).unwrap();
        folder.write("index.html", b"half").unwrap();
        assert_eq!(names(dir.path()).len(), 1, "the staged folder");
        crate::remove_pending_files();
        assert!(names(dir.path()).is_empty(), "{:?}", names(dir.path()));
    }

    #[test]
    fn folder_files_are_plain_names() {
        let _turn = serial();
        let dir = tempfile::tempdir().unwrap();
        let mut set = OutputSet::new(InputFiles::default());
        let mut folder = set.folder(&dir.path().join("st")).unwrap();
        assert!(folder.write("../escape.html", b"x").is_err());
        assert!(folder.write(".hidden", b"x").is_err());
    }
}
