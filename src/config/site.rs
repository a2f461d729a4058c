//! How the pages present the site: its name (`SITE_NAME`), the language for readers who state
//! none (`DEFAULT_LANGUAGE`) and the time zone dates are shown in (`DISPLAY_TIMEZONE`).

use super::read::Reader;
use crate::i18n::Lang;
use crate::i18n::format::parse_zone;
use chrono_tz::Tz;
use url::Url;

#[derive(Debug, Clone, PartialEq)]
pub struct SiteConfig {
    /// The brand in the header, the footer and every `<title>`.
    pub name: String,
    pub default_lang: Lang,
    pub display_tz: Tz,
}

/// The longest `SITE_NAME` accepted: it sits in every title and the header.
pub const MAX_SITE_NAME: usize = 60;

pub(super) fn read(r: &mut Reader, base_url: &Url) -> SiteConfig {
    let name = match r.get("SITE_NAME").map(str::trim) {
        Some(n) if !n.is_empty() => {
            if n.chars().count() > MAX_SITE_NAME || n.chars().any(char::is_control) {
                r.problem(format!(
                    "SITE_NAME must be at most {MAX_SITE_NAME} characters, without control characters"
                ));
            }
            // The brand link and a sign-in control must never share an accessible name.
            let taken = Lang::ALL
                .into_iter()
                .flat_map(|l| [l.t("login.button"), l.t("nav.sign_in"), l.t("nav.sign_out")]);
            for t in taken {
                if t.to_lowercase() == n.to_lowercase() {
                    r.problem(format!(
                        "SITE_NAME `{n}` is the name of a sign-in or sign-out control; choose your service's own name"
                    ));
                }
            }
            n.to_string()
        }
        _ => base_url.host_str().unwrap_or("localhost").to_string(),
    };
    let default_lang = match r.get("DEFAULT_LANGUAGE") {
        None => Lang::En,
        Some(raw) => match Lang::ALL.into_iter().find(|l| l.code() == raw.trim()) {
            Some(l) => l,
            None => {
                let known: Vec<_> = Lang::ALL.iter().map(|l| l.code()).collect();
                r.problem(format!(
                    "DEFAULT_LANGUAGE `{raw}` is not a supported language (one of: {})",
                    known.join(", ")
                ));
                Lang::En
            }
        },
    };
    let display_tz = match r.get("DISPLAY_TIMEZONE") {
        None => Tz::UTC,
        Some(raw) => match parse_zone(raw.trim()) {
            Some(tz) => tz,
            None => {
                r.problem(format!(
                    "DISPLAY_TIMEZONE `{raw}` is not an IANA time zone name (like UTC, Asia/Seoul, Europe/Berlin)"
                ));
                Tz::UTC
            }
        },
    };
    SiteConfig {
        name,
        default_lang,
        display_tz,
    }
}
