//! SHA-256 checksums of the files a payroll was computed from, so a reviewer
//! can tell that the report belongs to the export on file.

use std::fs::File;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::Report;
use crate::error::{Error, Result};

/// One input as the report shows it.
pub(super) struct Checksum {
    /// What it was: `export` or `rate policy`.
    pub(super) role: &'static str,
    /// The path as given (or `<stdin>`).
    pub(super) path: PathBuf,
    /// Size and lower-case hex SHA-256; `None` for standard input, which
    /// was read once as a stream and cannot be read again.
    pub(super) digest: Option<(u64, String)>,
}

/// The checksums of the report's inputs, then of its rate policy file.
///
/// The files are read again after the payroll was computed; a file changed
/// in between would show its new checksum.
pub(super) fn checksums(report: &Report<'_>) -> Result<Vec<Checksum>> {
    let mut out = Vec::with_capacity(report.inputs.len() + 1);
    for input in report.inputs {
        out.push(Checksum {
            role: "export",
            path: input.display_path(),
            digest: if input.is_stdin() {
                None
            } else {
                Some(sha256(&input.path)?)
            },
        });
    }
    if let Some(policy) = report.policy {
        out.push(Checksum {
            role: "rate policy",
            path: policy.to_path_buf(),
            digest: Some(sha256(policy)?),
        });
    }
    Ok(out)
}

/// The size and SHA-256 of a file.
pub(super) fn sha256(path: &Path) -> Result<(u64, String)> {
    let unreadable = |source| Error::Read {
        path: path.to_path_buf(),
        what: "cannot read it for its checksum",
        source,
    };
    let mut file = File::open(path).map_err(unreadable)?;
    let mut hasher = Sha256::new();
    let size = std::io::copy(&mut file, &mut hasher).map_err(unreadable)?;
    Ok((size, format!("{:x}", hasher.finalize())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checksum_of_a_known_text_is_sha256() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("abc.csv");
        std::fs::write(&path, "abc").unwrap();
        let (size, hex) = sha256(&path).unwrap();
        assert_eq!(size, 3);
        assert_eq!(
            hex,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
