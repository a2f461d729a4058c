use super::Lang::{En, Ko};
use super::format::{Formats, parse_zone, utc};
use super::*;
use chrono::{DateTime, Utc};
use chrono_tz::{Asia::Seoul, Europe::Berlin, Tz, UTC};
use std::collections::BTreeSet;

#[test]
fn an_explicit_choice_wins_then_accept_language_then_the_default() {
    assert_eq!(negotiate(Some("ko"), Some("en"), Lang::En), Lang::Ko);
    assert_eq!(negotiate(Some("en"), Some("ko"), Lang::Ko), Lang::En);
    // An unsupported or malformed choice is ignored, not trusted.
    assert_eq!(negotiate(Some("fr"), Some("ko"), Lang::En), Lang::Ko);
    assert_eq!(negotiate(Some("<x>"), None, Lang::Ko), Lang::Ko);
    assert_eq!(negotiate(None, Some("ko-KR,ko;q=0.9"), Lang::En), Lang::Ko);
    assert_eq!(negotiate(None, Some("fr, de;q=0.5"), Lang::Ko), Lang::Ko);
    assert_eq!(negotiate(None, None, Lang::Ko), Lang::Ko);
    assert_eq!(negotiate(None, Some(""), Lang::En), Lang::En);
}

#[test]
fn accept_language_q_values_are_honoured() {
    assert_eq!(best_accepted("en;q=0.5, ko;q=0.8"), Some(Lang::Ko));
    assert_eq!(best_accepted("ko;q=0.5, en-GB;q=0.9, fr"), Some(Lang::En));
    assert_eq!(best_accepted("fr, ko;q=0.1"), Some(Lang::Ko));
    // q=0 means "not this one".
    assert_eq!(best_accepted("ko;q=0, en;q=0.2"), Some(Lang::En));
    assert_eq!(best_accepted("ko;q=0"), None);
    // Ties go to the first listed.
    assert_eq!(best_accepted("ko, en"), Some(Lang::Ko));
    assert_eq!(best_accepted("EN-us,ko"), Some(Lang::En));
    assert_eq!(best_accepted("ko;q=abc, en;q=0.3"), Some(Lang::En));
}

#[test]
fn both_catalogs_have_the_same_keys() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/locales");
    let all = rust_i18n_support::load_locales(dir, |_| false);
    let keys = |l: Lang| -> BTreeSet<String> {
        all.get(l.code())
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    };
    let en = keys(Lang::En);
    let ko = keys(Lang::Ko);
    assert!(en.len() > 100, "the English catalog has {} keys", en.len());
    let only_en: Vec<_> = en.difference(&ko).collect();
    let only_ko: Vec<_> = ko.difference(&en).collect();
    assert!(only_en.is_empty(), "keys missing in ko: {only_en:?}");
    assert!(only_ko.is_empty(), "keys missing in en: {only_ko:?}");
    for l in Lang::ALL {
        for (k, v) in &all[l.code()] {
            assert!(!v.trim().is_empty(), "{l}: {k} is empty");
        }
    }
}

#[test]
fn a_missing_key_shows_as_missing() {
    assert_eq!(Lang::En.t("nav.sign_in"), "Sign in");
    assert_eq!(Lang::Ko.t("nav.sign_in"), "로그인");
    assert!(Lang::Ko.t("no.such.key").starts_with(MISSING_MARK));
}

#[test]
fn arguments_are_filled_in() {
    let m = Msg::new("refusal.domain_not_allowed.message").arg("allowed", "example.com");
    assert!(m.render(Lang::En).contains("example.com"));
    assert!(m.render(Lang::Ko).contains("example.com"));
    assert!(!m.render(Lang::Ko).contains("%{"));
    assert_eq!(m.to_string(), m.render(Lang::En));
}

/// A UTC time as year, month, day, hour, minute.
type When = (i32, u32, u32, u32, u32);

/// Asserts what `show` (`Formats::time` or `Formats::date`) gives for each case: a language, a
/// zone, a UTC time and the text expected.
fn assert_shown(show: fn(&Formats, DateTime<Utc>) -> String, cases: &[(Lang, Tz, When, &str)]) {
    for &(lang, zone, (y, mo, d, h, mi), expected) in cases {
        let t = utc(y, mo, d, h, mi).unwrap();
        let got = show(&Formats::new(lang, zone), t);
        assert_eq!(got, expected, "{lang} in {zone} at {t}");
    }
}

#[test]
fn dates_in_both_languages_and_two_zones() {
    let t = (2026, 12, 3, 16, 59);
    assert_shown(
        Formats::time,
        &[
            (En, UTC, t, "3 Dec 2026, 16:59 UTC"),
            (Ko, UTC, t, "2026년 12월 3일 오후 4:59 UTC"),
            // 16:59 UTC is 01:59 the next day in Seoul.
            (En, Seoul, t, "4 Dec 2026, 01:59 KST"),
            (Ko, Seoul, t, "2026년 12월 4일 오전 1:59 KST"),
            // Noon and midnight in Korean.
            (Ko, UTC, (2026, 1, 2, 0, 5), "2026년 1월 2일 오전 12:05 UTC"),
            (
                Ko,
                UTC,
                (2026, 1, 2, 12, 5),
                "2026년 1월 2일 오후 12:05 UTC",
            ),
        ],
    );
    assert_shown(
        Formats::date,
        &[
            (En, UTC, t, "3 Dec 2026"),
            (Ko, UTC, t, "2026년 12월 3일"),
            (Ko, Seoul, t, "2026년 12월 4일"),
        ],
    );
}

#[test]
fn a_zone_with_daylight_saving_time_shows_the_offset_in_force() {
    assert_shown(
        Formats::time,
        &[
            (En, Berlin, (2026, 1, 15, 12, 0), "15 Jan 2026, 13:00 CET"),
            (En, Berlin, (2026, 7, 15, 12, 0), "15 Jul 2026, 14:00 CEST"),
            // The night the clocks go forward (29 March 2026, 01:00 UTC).
            (En, Berlin, (2026, 3, 29, 0, 59), "29 Mar 2026, 01:59 CET"),
            (En, Berlin, (2026, 3, 29, 1, 0), "29 Mar 2026, 03:00 CEST"),
            (
                Ko,
                Berlin,
                (2026, 7, 15, 12, 0),
                "2026년 7월 15일 오후 2:00 CEST",
            ),
        ],
    );
}

#[test]
fn unknown_zones_are_refused() {
    assert!(parse_zone("Mars/Olympus").is_none());
    assert!(parse_zone("").is_none());
    assert!(parse_zone("Asia/Seoul").is_some());
}

#[test]
fn counts_are_grouped() {
    let f = Formats::new(Lang::Ko, parse_zone("UTC").unwrap());
    assert_eq!(f.count(0), "0");
    assert_eq!(f.count(999), "999");
    assert_eq!(f.count(1000), "1,000");
    assert_eq!(f.count(1234567), "1,234,567");
    assert_eq!(f.count(-12345), "-12,345");
    assert_eq!(Formats::new(Lang::En, f.tz).count(100000), "100,000");
}
