//! Dates and counts as a reader of each language expects them, in the deployment's display
//! time zone, with the zone shown: `3 Dec 2026, 16:59 UTC` / `2026년 12월 3일 오후 4:59 UTC`.
//! Written out by hand: chrono's `format` parses its pattern on every call, and the home page
//! shows four dates.

use super::Lang;
use chrono::{DateTime, Datelike, NaiveDate, Offset, TimeZone, Timelike, Utc};
use chrono_tz::{OffsetName, Tz};
use std::fmt::Write;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// How a page writes dates and numbers: the reader's language and the display zone.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Formats {
    pub lang: Lang,
    pub tz: Tz,
}

impl Formats {
    pub fn new(lang: Lang, tz: Tz) -> Self {
        Self { lang, tz }
    }

    /// A moment: day, time and zone, written into one buffer (the home page shows three).
    pub fn time(&self, t: DateTime<Utc>) -> String {
        let local = t.with_timezone(&self.tz);
        let mut out = String::with_capacity(40);
        self.write_day(&mut out, local.date_naive());
        let (h, m) = (local.hour(), local.minute());
        let _ = match self.lang {
            Lang::En => write!(out, ", {h:02}:{m:02} "),
            Lang::Ko => {
                let half = if h < 12 { "오전" } else { "오후" };
                let h12 = match h % 12 {
                    0 => 12,
                    h => h,
                };
                write!(out, " {half} {h12}:{m:02} ")
            }
        };
        write_zone(&mut out, &local);
        out
    }

    /// The day a moment falls on, in the display zone.
    pub fn date(&self, t: DateTime<Utc>) -> String {
        self.day(t.with_timezone(&self.tz).date_naive())
    }

    /// A calendar day: `3 Dec 2026` / `2026년 12월 3일`.
    pub fn day(&self, d: NaiveDate) -> String {
        let mut out = String::with_capacity(24);
        self.write_day(&mut out, d);
        out
    }

    fn write_day(&self, out: &mut String, d: NaiveDate) {
        let _ = match self.lang {
            Lang::En => {
                let month = MONTHS.get(d.month0() as usize).copied().unwrap_or("?");
                write!(out, "{} {month} {}", d.day(), d.year())
            }
            Lang::Ko => write!(out, "{}년 {}월 {}일", d.year(), d.month(), d.day()),
        };
    }

    /// A day without its year, for chart axes: `3 Dec` / `12월 3일`.
    pub fn short_day(&self, d: NaiveDate) -> String {
        match self.lang {
            Lang::En => {
                let month = MONTHS.get(d.month0() as usize).copied().unwrap_or("?");
                format!("{} {month}", d.day())
            }
            Lang::Ko => format!("{}월 {}일", d.month(), d.day()),
        }
    }

    /// A count with the language's grouping (both group thousands with a comma).
    pub fn count(&self, n: i64) -> String {
        let digits = n.unsigned_abs().to_string();
        let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
        if n < 0 {
            out.push('-');
        }
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    }
}

/// The zone's abbreviation (`UTC`, `KST`, `CET`/`CEST`), or its offset (`+03`) where it has none.
fn write_zone(out: &mut String, t: &DateTime<Tz>) {
    let offset = t.offset();
    match offset.abbreviation() {
        Some(a) => out.push_str(a),
        None => {
            let secs = offset.fix().local_minus_utc();
            let _ = write!(
                out,
                "UTC{:+03}:{:02}",
                secs / 3600,
                (secs.abs() % 3600) / 60
            );
        }
    }
}

/// Parses `DISPLAY_TIMEZONE`: an IANA zone name (`UTC`, `Asia/Seoul`, `Europe/Berlin`).
pub fn parse_zone(name: &str) -> Option<Tz> {
    name.parse::<Tz>().ok()
}

/// The UTC moment of a local wall-clock time (tests and fixtures).
pub fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> Option<DateTime<Utc>> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).single()
}
