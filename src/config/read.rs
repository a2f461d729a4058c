//! Reading one variable at a time: a value or a default, with every problem collected instead of
//! returned, so that one run reports all of them.

use super::ConfigErrors;
use super::vars::{SECRET_FILE_VARS, is_known};
use crate::secret::Secret;
use std::collections::HashMap;
use url::Url;

/// Why a duration setting is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("`{0}` is not a duration like 30d, 12h, 15m or 10s")]
    NotADuration(String),
    #[error("`{0}`: unknown unit (use ms, s, m, h or d)")]
    UnknownUnit(String),
    #[error("`{0}` is too long")]
    TooLong(String),
}

/// Parses `30d`, `12h`, `15m`, `10s`, `500ms` or a bare number of seconds.
pub fn parse_duration(raw: &str) -> Result<chrono::Duration, DurationError> {
    let s = raw.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: i64 = num
        .parse()
        .map_err(|_| DurationError::NotADuration(raw.to_string()))?;
    let unit_ms: i64 = match unit.trim() {
        "" | "s" => 1_000,
        "ms" => 1,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(DurationError::UnknownUnit(raw.to_string())),
    };
    n.checked_mul(unit_ms)
        .filter(|ms| *ms <= 3_650 * 86_400_000)
        .map(chrono::Duration::milliseconds)
        .ok_or_else(|| DurationError::TooLong(raw.to_string()))
}

/// A comma-separated list, lower-cased, without blanks.
pub(super) fn split_list(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .collect()
}

/// A secret setting (`Reader::secret`).
pub(super) enum SecretValue {
    Unset,
    Given(Secret),
    /// Set, but refused (the problem is recorded): the caller adds no "is required" of its own.
    Refused,
}

/// The environment being read and the problems found so far. A bad value is recorded and replaced
/// by a stand-in, so that reading goes on; the caller refuses the result if any problem was found.
pub(super) struct Reader<'a> {
    env: &'a HashMap<String, String>,
    pub(super) problems: Vec<String>,
    /// The `<NAME>_FILE` variables a secret was read through.
    pub(super) from_files: Vec<String>,
}

impl<'a> Reader<'a> {
    pub(super) fn new(env: &'a HashMap<String, String>) -> Self {
        Self {
            env,
            problems: Vec::new(),
            from_files: Vec::new(),
        }
    }

    pub(super) fn problem(&mut self, p: impl Into<String>) {
        self.problems.push(p.into());
    }

    /// The problems found, or `value` if there were none.
    pub(super) fn finish<T>(self, value: T) -> Result<T, ConfigErrors> {
        if self.problems.is_empty() {
            Ok(value)
        } else {
            Err(ConfigErrors(self.problems))
        }
    }

    /// The trimmed value; unset and blank are the same.
    pub(super) fn get(&self, key: &str) -> Option<&'a str> {
        debug_assert!(is_known(key), "{key} is not in config::VARS");
        self.env
            .get(key)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
    }

    /// A secret given as `key` or as a file named by `<key>_FILE` (systemd credentials,
    /// container secrets), whose content is taken as written but for one trailing newline.
    /// Both set, an unreadable file or an empty one is a problem naming the variable and the
    /// path, never the content.
    pub(super) fn secret(&mut self, key: &str) -> SecretValue {
        debug_assert!(SECRET_FILE_VARS.contains(&key), "{key} has no _FILE twin");
        let file_key = format!("{key}_FILE");
        match (self.get(key), self.get(&file_key)) {
            (None, None) => SecretValue::Unset,
            (Some(v), None) => SecretValue::Given(Secret::new(v)),
            (Some(_), Some(_)) => {
                self.problem(format!("set {key} or {file_key}, not both"));
                SecretValue::Refused
            }
            (None, Some(path)) => match std::fs::read_to_string(path) {
                Ok(mut text) => {
                    if text.ends_with('\n') {
                        text.pop();
                        if text.ends_with('\r') {
                            text.pop();
                        }
                    }
                    let value = Secret::new(text);
                    if value.is_empty() {
                        self.problem(format!("{file_key} {path} is empty"));
                        return SecretValue::Refused;
                    }
                    self.from_files.push(file_key);
                    SecretValue::Given(value)
                }
                // The I/O error says why (missing, permission, not UTF-8), never the content.
                Err(e) => {
                    self.problem(format!("{file_key} {path} cannot be read: {e}"));
                    SecretValue::Refused
                }
            },
        }
    }

    pub(super) fn url(&mut self, key: &str, default: &str) -> Url {
        let raw = self.get(key).unwrap_or(default).to_string();
        match Url::parse(&raw) {
            Ok(u) if u.scheme() == "http" || u.scheme() == "https" => u,
            Ok(_) => {
                self.problem(format!("{key} must be an http:// or https:// URL"));
                placeholder_url()
            }
            Err(e) => {
                self.problem(format!("{key} `{raw}` is not a URL: {e}"));
                placeholder_url()
            }
        }
    }

    /// A positive duration (see `parse_duration`).
    pub(super) fn duration(&mut self, key: &str, default: &str) -> chrono::Duration {
        match parse_duration(self.get(key).unwrap_or(default)) {
            Ok(d) if d > chrono::Duration::zero() => d,
            Ok(_) => {
                self.problem(format!("{key} must be greater than zero"));
                chrono::Duration::seconds(1)
            }
            Err(e) => {
                self.problem(format!("{key}: {e}"));
                chrono::Duration::seconds(1)
            }
        }
    }

    /// A positive duration as `std::time::Duration`, `default_secs` when it cannot be one.
    pub(super) fn std_duration(
        &mut self,
        key: &str,
        default: &str,
        default_secs: u64,
    ) -> std::time::Duration {
        self.duration(key, default)
            .to_std()
            .unwrap_or(std::time::Duration::from_secs(default_secs))
    }

    pub(super) fn number(&mut self, key: &str, default: u32, min: u32, max: u32) -> u32 {
        match self.get(key) {
            None => default,
            Some(raw) => match raw.parse::<u32>() {
                Ok(n) if (min..=max).contains(&n) => n,
                _ => {
                    self.problem(format!("{key} must be a whole number from {min} to {max}"));
                    default
                }
            },
        }
    }
}

/// The stand-in for a URL that was refused (the configuration is refused with it).
#[allow(clippy::unwrap_used)] // a constant, valid URL
pub(super) fn placeholder_url() -> Url {
    Url::parse("http://invalid.invalid/").unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30d").unwrap(), chrono::Duration::days(30));
        assert_eq!(
            parse_duration("10s").unwrap(),
            chrono::Duration::seconds(10)
        );
        assert_eq!(parse_duration("15").unwrap(), chrono::Duration::seconds(15));
        assert_eq!(
            parse_duration("250ms").unwrap(),
            chrono::Duration::milliseconds(250)
        );
        assert!(parse_duration("d").is_err());
        assert!(parse_duration("99999999999999d").is_err());
        assert!(parse_duration("-5s").is_err());
    }

    #[test]
    fn duration_errors_say_what_is_wrong() {
        assert_eq!(
            parse_duration("soon"),
            Err(DurationError::NotADuration("soon".into()))
        );
        assert_eq!(
            parse_duration("10 parsecs").unwrap_err().to_string(),
            "`10 parsecs`: unknown unit (use ms, s, m, h or d)"
        );
        assert_eq!(
            parse_duration("9223372036854775807d"),
            Err(DurationError::TooLong("9223372036854775807d".into()))
        );
    }

    #[test]
    fn lists_are_lower_cased_without_blanks() {
        assert_eq!(split_list(" A@x.org, ,b@Y.org,"), ["a@x.org", "b@y.org"]);
        assert!(split_list("").is_empty());
    }
}
