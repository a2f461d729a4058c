//! The secret key and the keys being rotated out (`SECRET_KEY` or `SECRET_KEY_FILE`,
//! `SECRET_KEY_PREVIOUS`).

use super::read::{Reader, SecretValue};
use crate::secret::Secret;
use std::path::PathBuf;

pub const MIN_SECRET_KEY_LEN: usize = 64;
/// `aaaa…` is 64 characters and no secret: a key needs this many different characters.
pub const MIN_SECRET_KEY_DISTINCT: usize = 16;

#[derive(Debug, Clone)]
pub enum SecretKeySource {
    Given(Secret),
    /// Development only: generated on first start and kept in this file.
    GeneratedAt(PathBuf),
}

/// The problem with a key given in `name`, if any: too short, or too few different characters.
fn weak_key(name: &str, k: &str) -> Option<String> {
    let distinct = k.chars().collect::<std::collections::HashSet<_>>().len();
    if k.len() < MIN_SECRET_KEY_LEN {
        Some(format!(
            "{name} must be at least {MIN_SECRET_KEY_LEN} characters (try `openssl rand -hex 48`)"
        ))
    } else if distinct < MIN_SECRET_KEY_DISTINCT {
        Some(format!(
            "{name} must have at least {MIN_SECRET_KEY_DISTINCT} different characters; it has {distinct} (try `openssl rand -hex 48`)"
        ))
    } else {
        None
    }
}

pub(super) fn read_secret_key(r: &mut Reader, production: bool) -> SecretKeySource {
    let generated = || SecretKeySource::GeneratedAt(PathBuf::from("data/secret_key"));
    match r.secret("SECRET_KEY") {
        SecretValue::Given(k) => match weak_key("SECRET_KEY", k.expose()) {
            None => SecretKeySource::Given(k),
            Some(p) => {
                r.problem(p);
                generated()
            }
        },
        SecretValue::Refused => generated(),
        SecretValue::Unset if production => {
            r.problem(
                "SECRET_KEY is required in production, or SECRET_KEY_FILE (try `openssl rand -hex 48`)",
            );
            generated()
        }
        SecretValue::Unset => generated(),
    }
}

/// `SECRET_KEY_PREVIOUS`: comma-separated, each held to the same rules as `SECRET_KEY` (the
/// values are not lower-cased, unlike the other lists).
pub(super) fn read_previous_keys(r: &mut Reader) -> Vec<Secret> {
    let raw = r.get("SECRET_KEY_PREVIOUS").unwrap_or("");
    let mut keys = Vec::new();
    for (i, k) in raw
        .split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .enumerate()
    {
        match weak_key(&format!("SECRET_KEY_PREVIOUS (key {})", i + 1), k) {
            None => keys.push(Secret::new(k)),
            Some(p) => r.problem(p),
        }
    }
    keys
}
