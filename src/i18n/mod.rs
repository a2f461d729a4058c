//! The languages the pages speak (English and Korean), which one a request gets, and the
//! catalog lookups. Foundation layer: no actix types; `web::Chrome` asks it once per page.

mod catalog;
pub mod format;

use std::borrow::Cow;
use std::fmt;

/// What a page shows for a key the catalog lacks: visible, and searched for by the tests.
pub const MISSING_MARK: &str = "[missing:";

/// A language the pages are translated into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Ko,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Ko];

    /// The BCP 47 tag, as in `<html lang>` and the catalog file name.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ko => "ko",
        }
    }

    /// The language's own name, for the switcher.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Ko => "한국어",
        }
    }

    /// `en`, `ko`, or a tag whose primary subtag is one of them (`en-GB`, `ko-KR`), any case.
    pub fn parse(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or("");
        Lang::ALL
            .into_iter()
            .find(|l| l.code().eq_ignore_ascii_case(primary))
    }

    /// The catalog's text for `key`; a missing key shows as `[missing: key]`.
    pub fn t(self, key: &str) -> Cow<'static, str> {
        match catalog::lookup(self, key) {
            Some(s) => Cow::Borrowed(s),
            None => Cow::Owned(format!("{MISSING_MARK} {key}]")),
        }
    }

    /// The catalog's text for `key`, if it has one (for labels of stored values, which may
    /// name something newer than the catalog).
    pub fn try_t(self, key: &str) -> Option<&'static str> {
        catalog::lookup(self, key)
    }

    /// `tf` with one argument (for templates).
    pub fn t1(self, key: &str, name: &str, value: impl fmt::Display) -> String {
        self.tf(key, &[(name, &value)])
    }

    /// `tf` with two arguments (for templates).
    pub fn t2(
        self,
        key: &str,
        n1: &str,
        v1: impl fmt::Display,
        n2: &str,
        v2: impl fmt::Display,
    ) -> String {
        self.tf(key, &[(n1, &v1), (n2, &v2)])
    }

    /// The catalog's text for `key` with each `%{name}` replaced by its value.
    pub fn tf(self, key: &str, args: &[(&str, &dyn fmt::Display)]) -> String {
        let mut text = self.t(key).into_owned();
        for (name, value) in args {
            let pattern = format!("%{{{name}}}");
            if text.contains(&pattern) {
                text = text.replace(&pattern, &value.to_string());
            }
        }
        text
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A message for people, as a catalog key and its arguments: rendered in the reader's language
/// on a page, and in English for the JSON API and the logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Msg {
    key: &'static str,
    args: Vec<(&'static str, String)>,
}

impl Msg {
    pub const fn new(key: &'static str) -> Self {
        Self {
            key,
            args: Vec::new(),
        }
    }

    pub fn arg(mut self, name: &'static str, value: impl fmt::Display) -> Self {
        self.args.push((name, value.to_string()));
        self
    }

    pub fn key(&self) -> &'static str {
        self.key
    }

    pub fn args(&self) -> &[(&'static str, String)] {
        &self.args
    }

    pub fn render(&self, lang: Lang) -> String {
        let args: Vec<(&str, &dyn fmt::Display)> = self
            .args
            .iter()
            .map(|(n, v)| (*n, v as &dyn fmt::Display))
            .collect();
        lang.tf(self.key, &args)
    }
}

/// A catalog key is a message without arguments.
impl From<&'static str> for Msg {
    fn from(key: &'static str) -> Self {
        Msg::new(key)
    }
}

/// English, as the JSON API and the logs read it.
impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(Lang::En))
    }
}

/// The language for a request, in this order: the explicit choice (the switcher's cookie), if
/// it names a supported language; then the best supported language in `Accept-Language` by its
/// q-values (ties go to the one listed first); then the deployment's default.
pub fn negotiate(choice: Option<&str>, accept_language: Option<&str>, default: Lang) -> Lang {
    if let Some(l) = choice.and_then(|c| Lang::ALL.into_iter().find(|l| l.code() == c)) {
        return l;
    }
    accept_language.and_then(best_accepted).unwrap_or(default)
}

/// The supported language with the highest q-value in an `Accept-Language` header.
fn best_accepted(header: &str) -> Option<Lang> {
    let mut best: Option<(Lang, u16)> = None;
    for item in header.split(',').take(32) {
        let mut parts = item.split(';');
        let Some(lang) = parts.next().and_then(Lang::parse) else {
            continue;
        };
        let mut q = 1000;
        for p in parts {
            if let Some(v) = p.trim().strip_prefix("q=") {
                q = parse_q(v).unwrap_or(0);
            }
        }
        if q > 0 && best.is_none_or(|(_, bq)| q > bq) {
            best = Some((lang, q));
        }
    }
    best.map(|(l, _)| l)
}

/// A q-value as thousandths (`0.8` → 800); `None` when it is not one.
fn parse_q(v: &str) -> Option<u16> {
    let q: f32 = v.trim().parse().ok()?;
    (0.0..=1.0)
        .contains(&q)
        .then(|| (q * 1000.0).round() as u16)
}

#[cfg(test)]
mod tests;
