//! The files a run reads, watched: an output may not be one of them, and a
//! file that changed while it was read fails the run.

use std::path::{Component, Path, PathBuf};
use std::time::SystemTime;

use crate::error::{Error, Result};

/// The inputs of a run: each file's identity (device and inode, so another
/// spelling or a link of it is still it) and, for regular files, its size
/// and modification time when first seen.
#[derive(Debug, Clone, Default)]
pub struct InputFiles {
    files: Vec<Watched>,
    /// The last folder an input was watched in, as named and made real: the
    /// pages of a folder share it, so it is resolved once, not once a page.
    folder: Option<(PathBuf, PathBuf)>,
}

#[derive(Debug, Clone)]
struct Watched {
    /// As named on the command line (or `<stdin>`).
    shown: PathBuf,
    /// The real path, for "is it inside this folder".
    real: Option<PathBuf>,
    /// Device and inode.
    id: Option<(u64, u64)>,
    /// Size and modification time of a regular file, when first seen.
    stamp: Option<Stamp>,
}

/// A regular file's size and modification time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// Size in bytes.
    pub len: u64,
    /// Modification time.
    pub modified: Option<SystemTime>,
}

impl InputFiles {
    /// Watches `path` (a file or folder); a path that cannot be seen is
    /// left to the reader to report.
    pub fn watch(&mut self, path: &Path) {
        let Ok(meta) = std::fs::symlink_metadata(path) else {
            return;
        };
        let (meta, real) = if meta.file_type().is_symlink() {
            let Ok(meta) = std::fs::metadata(path) else {
                return;
            };
            (meta, std::fs::canonicalize(path).ok())
        } else {
            (meta, self.real_path(path))
        };
        self.files.push(Watched {
            shown: path.to_path_buf(),
            real,
            id: identity(&meta),
            stamp: meta.is_file().then(|| stamp(&meta)),
        });
    }

    /// `std::fs::canonicalize(path)` for a path that is not a link: its
    /// folder made real (remembered for the next path in the same folder)
    /// and its name.
    fn real_path(&mut self, path: &Path) -> Option<PathBuf> {
        let (Some(Component::Normal(name)), Some(folder)) = (path.components().next_back(), path.parent())
        else {
            return std::fs::canonicalize(path).ok();
        };
        // `x/.` and `x/` go through `x` when `x` is a link: only a path that
        // ends in its name, as written, is that name in its folder.
        if !path
            .as_os_str()
            .as_encoded_bytes()
            .ends_with(name.as_encoded_bytes())
        {
            return std::fs::canonicalize(path).ok();
        }
        match &self.folder {
            Some((named, real)) if named == folder => Some(real.join(name)),
            _ => {
                let real = std::fs::canonicalize(if folder.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    folder
                })
                .ok()?;
                self.folder = Some((folder.to_path_buf(), real.clone()));
                Some(real.join(name))
            }
        }
    }

    /// Watches standard input when it is a file (`< export.csv`): an output
    /// may not replace it.
    pub fn watch_stdin(&mut self) {
        #[cfg(unix)]
        if let Ok(stat) = rustix::fs::fstat(std::io::stdin()) {
            let is_file =
                rustix::fs::FileType::from_raw_mode(stat.st_mode) == rustix::fs::FileType::RegularFile;
            if is_file {
                // `st_dev` and `st_ino` are u64 on Linux, other widths elsewhere.
                #[allow(clippy::unnecessary_cast)]
                self.files.push(Watched {
                    shown: PathBuf::from("<stdin>"),
                    real: None,
                    id: Some((stat.st_dev as u64, stat.st_ino as u64)),
                    stamp: None,
                });
            }
        }
    }

    /// Refuses an output that is one of the inputs.
    ///
    /// # Errors
    /// [`Error::OutputIsInput`].
    pub fn check_output(&self, output: &Path) -> Result<()> {
        let Some(id) = std::fs::metadata(output).ok().as_ref().and_then(identity) else {
            return Ok(());
        };
        match self.files.iter().find(|w| w.id == Some(id)) {
            Some(input) => Err(Error::OutputIsInput {
                output: output.to_path_buf(),
                input: input.shown.clone(),
            }),
            None => Ok(()),
        }
    }

    /// Refuses a folder to be replaced that is or holds one of the inputs.
    ///
    /// # Errors
    /// [`Error::InputInFolder`].
    pub fn check_folder(&self, folder: &Path) -> Result<()> {
        let Ok(real) = std::fs::canonicalize(folder) else {
            return Ok(());
        };
        let id = std::fs::metadata(&real).ok().as_ref().and_then(identity);
        let inside = |w: &&Watched| {
            w.real.as_ref().is_some_and(|r| r.starts_with(&real)) || (id.is_some() && w.id == id)
        };
        match self.files.iter().find(inside) {
            Some(input) => Err(Error::InputInFolder {
                folder: folder.to_path_buf(),
                input: input.shown.clone(),
            }),
            None => Ok(()),
        }
    }

    /// Checks that no regular-file input changed size or modification time
    /// since it was first seen.
    ///
    /// # Errors
    /// [`Error::Changed`] naming the first file that changed.
    pub fn check_unchanged(&self) -> Result<()> {
        for w in &self.files {
            let Some(before) = w.stamp else {
                continue;
            };
            let after = std::fs::metadata(&w.shown)
                .ok()
                .filter(|m| m.is_file())
                .map(|m| stamp(&m));
            if after != Some(before) {
                return Err(Error::Changed {
                    path: w.shown.clone(),
                    before: before.len,
                    after: after.map(|a| a.len),
                });
            }
        }
        Ok(())
    }
}

fn stamp(meta: &std::fs::Metadata) -> Stamp {
    Stamp {
        len: meta.len(),
        modified: meta.modified().ok(),
    }
}

#[cfg(unix)]
fn identity(meta: &std::fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn identity(_meta: &std::fs::Metadata) -> Option<(u64, u64)> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_spelling_or_a_link_of_an_input_is_the_input() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("export.csv");
        std::fs::write(&input, "x").unwrap();
        let mut files = InputFiles::default();
        files.watch(&input);
        let link = dir.path().join("link.csv");
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(&input, &link).unwrap();
            assert!(matches!(
                files.check_output(&link),
                Err(Error::OutputIsInput { .. })
            ));
        }
        let spelled = dir.path().join(".").join("export.csv");
        assert!(matches!(
            files.check_output(&spelled),
            Err(Error::OutputIsInput { .. })
        ));
        assert!(matches!(
            files.check_folder(dir.path()),
            Err(Error::InputInFolder { .. })
        ));
        files.check_output(&dir.path().join("other.csv")).unwrap();
    }

    #[test]
    fn an_input_is_made_real_as_canonicalize_makes_it() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("pages");
        std::fs::create_dir(&folder).unwrap();
        let mut paths = Vec::new();
        for name in ["page-00001.json", "page-00002.json"] {
            std::fs::write(folder.join(name), "{}").unwrap();
            paths.push(folder.join(name));
            paths.push(dir.path().join("pages/./").join(name));
            paths.push(folder.join("..").join("pages").join(name));
        }
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(&folder, dir.path().join("linked")).unwrap();
            std::os::unix::fs::symlink(folder.join("page-00001.json"), folder.join("link.json")).unwrap();
            paths.push(dir.path().join("linked").join("page-00002.json"));
            paths.push(folder.join("link.json"));
            paths.push(dir.path().join("linked"));
            paths.push(dir.path().join("linked/."));
            paths.push(dir.path().join("linked/"));
        }
        paths.push(folder.clone());
        let mut files = InputFiles::default();
        for path in &paths {
            files.watch(path);
        }
        let real: Vec<_> = files.files.iter().map(|w| w.real.clone()).collect();
        let want: Vec<_> = paths.iter().map(|p| std::fs::canonicalize(p).ok()).collect();
        assert_eq!(real, want);
    }

    #[test]
    fn a_file_that_grew_is_changed() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("export.csv");
        std::fs::write(&input, "x").unwrap();
        let mut files = InputFiles::default();
        files.watch(&input);
        files.check_unchanged().unwrap();
        std::fs::write(&input, "xy").unwrap();
        let err = files.check_unchanged().unwrap_err();
        assert!(
            matches!(
                err,
                Error::Changed {
                    before: 1,
                    after: Some(2),
                    ..
                }
            ),
            "{err}"
        );
    }
}
