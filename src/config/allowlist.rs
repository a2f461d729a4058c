//! `ALLOWED_EMAILS` and `ALLOWED_EMAILS_FILE`: the addresses let in on top of
//! `ALLOWED_EMAIL_DOMAINS`, and the file format both start-up and the running service read.

use super::read::{Reader, split_list};
use std::path::PathBuf;

/// The address lists of who may sign in (the domain list stays `allowed_email_domains`).
#[derive(Debug, Clone, Default)]
pub struct AllowlistConfig {
    /// `ALLOWED_EMAILS`, lower-cased.
    pub emails: Vec<String>,
    /// `ALLOWED_EMAILS_FILE`: one address a line, re-read when it changes.
    pub file: Option<PathBuf>,
}

/// A line of the allowlist file that is not an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    /// 1-based.
    pub number: usize,
    pub text: String,
}

/// The addresses of an allowlist file (lower-cased; blank lines and lines starting with `#`
/// ignored) and the lines that are not an address.
pub fn parse_allow_file(text: &str) -> (Vec<String>, Vec<BadLine>) {
    let mut emails = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if is_address(line) {
            emails.push(line.to_ascii_lowercase());
        } else {
            bad.push(BadLine {
                number: i + 1,
                text: line.chars().take(80).collect(),
            });
        }
    }
    (emails, bad)
}

/// Something before and after one `@`, and no white space.
fn is_address(s: &str) -> bool {
    matches!(s.split_once('@'), Some((local, domain)) if !local.is_empty() && !domain.is_empty() && !domain.contains('@'))
        && !s.chars().any(char::is_whitespace)
}

pub(super) fn read(r: &mut Reader) -> AllowlistConfig {
    let emails = split_list(r.get("ALLOWED_EMAILS").unwrap_or(""));
    for e in &emails {
        if !is_address(e) {
            r.problem(format!("ALLOWED_EMAILS: `{e}` is not an email address"));
        }
    }
    let file = r.get("ALLOWED_EMAILS_FILE").map(PathBuf::from);
    if let Some(path) = &file {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                for b in parse_allow_file(&text).1 {
                    r.problem(format!(
                        "ALLOWED_EMAILS_FILE {}: line {}: `{}` is not an email address",
                        path.display(),
                        b.number,
                        b.text
                    ));
                }
            }
            Err(e) => r.problem(format!(
                "ALLOWED_EMAILS_FILE {} cannot be read: {e}",
                path.display()
            )),
        }
    }
    AllowlistConfig { emails, file }
}
