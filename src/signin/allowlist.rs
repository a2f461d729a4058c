//! `AllowFile`: the `ALLOWED_EMAILS_FILE` addresses, kept in memory and re-read when the file
//! changes. The sign-in looks at the file's modification time and length at most every
//! `RECHECK` (never on every sign-in), and re-reads it only when they changed. A file that
//! disappears or cannot be read admits nobody until it can be read again (fail closed), and
//! says so in the log.

use crate::config::parse_allow_file;
use chrono::{DateTime, Utc};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// How often at most the file's metadata is looked at.
pub const RECHECK: chrono::Duration = chrono::Duration::seconds(2);

pub struct AllowFile {
    path: PathBuf,
    state: Mutex<FileState>,
}

#[derive(Default)]
struct FileState {
    checked: Option<DateTime<Utc>>,
    /// Modification time and length of the copy in `emails`.
    stamp: Option<(SystemTime, u64)>,
    /// `None`: the file could not be read (nobody is admitted by it).
    emails: Option<Arc<HashSet<String>>>,
}

crate::debug_shows!(AllowFile, |s| { path: s.path });

impl AllowFile {
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            state: Mutex::new(FileState::default()),
        }
    }

    /// Whether the file lists `email` (lower-cased), as of at most `RECHECK` ago.
    pub fn admits(&self, email: &str, now: DateTime<Utc>) -> bool {
        let Ok(mut st) = self.state.lock() else {
            tracing::error!("allowlist file state poisoned; admitting nobody by it");
            return false;
        };
        if st.checked.is_none_or(|c| now - c >= RECHECK || now < c) {
            st.checked = Some(now);
            refresh(&self.path, &mut st);
        }
        st.emails.as_ref().is_some_and(|e| e.contains(email))
    }
}

fn stamp_of(path: &Path) -> std::io::Result<(SystemTime, u64)> {
    let m = std::fs::metadata(path)?;
    Ok((m.modified()?, m.len()))
}

/// Re-reads the file when its stamp changed; on any error forgets what it held.
fn refresh(path: &Path, st: &mut FileState) {
    let unreadable = |st: &mut FileState, e: std::io::Error| {
        tracing::error!(path = %path.display(), error = %e, "ALLOWED_EMAILS_FILE cannot be read; it admits nobody");
        st.stamp = None;
        st.emails = None;
    };
    let stamp = match stamp_of(path) {
        Ok(s) => s,
        Err(e) => return unreadable(st, e),
    };
    if st.stamp == Some(stamp) && st.emails.is_some() {
        return;
    }
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let (emails, bad) = parse_allow_file(&text);
            for b in &bad {
                tracing::warn!(path = %path.display(), line = b.number, "ALLOWED_EMAILS_FILE: a line is not an email address; ignored");
            }
            tracing::info!(path = %path.display(), addresses = emails.len(), "ALLOWED_EMAILS_FILE read");
            st.stamp = Some(stamp);
            st.emails = Some(Arc::new(emails.into_iter().collect()));
        }
        Err(e) => unreadable(st, e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reloads_on_change_at_most_every_recheck_and_fails_closed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("allowed");
        std::fs::write(&path, "# team\n\nann@example.com\n").unwrap();
        let f = AllowFile::new(path.clone());
        let t0 = Utc::now();
        assert!(f.admits("ann@example.com", t0));
        assert!(!f.admits("bob@example.com", t0));
        std::fs::write(&path, "ann@example.com\nbob@example.com\n").unwrap();
        assert!(
            !f.admits("bob@example.com", t0 + chrono::Duration::seconds(1)),
            "not looked at again before RECHECK"
        );
        assert!(f.admits("bob@example.com", t0 + RECHECK));
        std::fs::remove_file(&path).unwrap();
        let later = t0 + RECHECK + RECHECK;
        assert!(
            !f.admits("ann@example.com", later),
            "a missing file admits nobody"
        );
    }
}
