//! Rebuild when a migration is added: `embed_migrations!` reads the directories at compile time,
//! and cargo does not otherwise notice a new directory. Also the commit the binary is built
//! from, for `signin_build_info` (`unknown` outside a git checkout or without git).
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=migrations/postgres");
    println!("cargo:rerun-if-changed=migrations/sqlite");
    let commit = git(&["rev-parse", "--short", "HEAD"]).unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=SIGNIN_COMMIT={commit}");
    // A new commit moves the branch's ref (or HEAD itself, when detached). In a worktree HEAD
    // lives in its own git dir and the refs in the common one, so ask git for both.
    if let Some(git_dir) = git(&["rev-parse", "--git-dir"]).map(PathBuf::from) {
        println!("cargo:rerun-if-changed={}", git_dir.join("HEAD").display());
        let common = git(&["rev-parse", "--git-common-dir"])
            .map(PathBuf::from)
            .unwrap_or(git_dir);
        if let Some(r) = git(&["symbolic-ref", "-q", "HEAD"]) {
            rerun_if_exists(&common.join(r));
        }
        rerun_if_exists(&common.join("packed-refs"));
    }
}

fn rerun_if_exists(p: &Path) {
    if p.exists() {
        println!("cargo:rerun-if-changed={}", p.display());
    }
}

/// One line of git's output, or `None` when git is missing or fails.
fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!s.is_empty()).then_some(s)
}
