//! Gives the binary the commit it was built from, for `--version`:
//! `git rev-parse --short HEAD` when the source is a git checkout with git
//! installed, else "unknown commit" (a source tarball builds the same).

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

fn main() {
    let commit = git(&["rev-parse", "--short", "HEAD"])
        .map_or_else(|| "unknown commit".to_string(), |hash| format!("commit {hash}"));
    println!("cargo:rustc-env=SESSIONPAY_COMMIT={commit}");
    // Rebuilt when HEAD moves or the branch it names gets a new commit.
    if let Some(path) = git(&["rev-parse", "--git-path", "HEAD"]) {
        println!("cargo:rerun-if-changed={path}");
    }
    if let Some(reference) = git(&["symbolic-ref", "-q", "HEAD"]) {
        if let Some(path) = git(&["rev-parse", "--git-path", &reference]) {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
