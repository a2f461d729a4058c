//! The overview above the user list, as the page shows it: the figures in words (exact, or
//! plainly an estimate) and the sign-ups chart.

use crate::db::overview::{CHART_DAYS, Overview};
use crate::db::totals::Total;
use crate::i18n::format::Formats;
use chrono::NaiveDate;

/// The chart's drawing area, in SVG user units.
pub const CHART_W: i64 = 600;
pub const CHART_H: i64 = 120;
/// Room per day; each bar leaves 4 units of it empty.
pub const BAR_STEP: i64 = CHART_W / CHART_DAYS;

/// A count as words: exact, or plainly marked as an estimate.
pub fn total_text(t: Total, f: &Formats) -> String {
    match t {
        Total::Exact(n) => f.count(n),
        Total::About(n) => f.lang.tf("users.about", &[("count", &f.count(n))]),
        Total::MoreThan(n) => f.lang.tf("users.more_than", &[("count", &f.count(n))]),
    }
}

pub struct OverviewView {
    pub total: String,
    pub active_7d: String,
    pub new_30d: String,
    pub admins: String,
}

impl OverviewView {
    pub fn new(o: &Overview, f: &Formats) -> Self {
        Self {
            total: total_text(o.total, f),
            active_7d: total_text(o.active_7d, f),
            new_30d: total_text(o.new_30d, f),
            admins: total_text(o.admins, f),
        }
    }
}

/// One bar of the sign-ups chart, in SVG user units.
pub struct Bar {
    pub x: i64,
    pub y: i64,
    pub height: i64,
    pub label: String,
    pub count: i64,
}

pub struct Chart {
    pub bars: Vec<Bar>,
    pub max: i64,
    pub first_day: String,
    pub last_day: String,
    pub summary: String,
}

/// The bars for sign-ups per day, scaled to the busiest day, and a sentence that says the same.
pub fn chart(daily: &[(NaiveDate, i64)], f: &Formats) -> Chart {
    let max = daily.iter().map(|d| d.1).max().unwrap_or(0);
    let sum: i64 = daily.iter().map(|d| d.1).sum();
    let bars = daily
        .iter()
        .enumerate()
        .map(|(i, (day, n))| {
            // At least one unit for a non-empty day, so that it shows.
            let h = if max == 0 {
                0
            } else {
                ((n * CHART_H) / max).max(i64::from(*n > 0))
            };
            Bar {
                x: i as i64 * BAR_STEP + 2,
                y: CHART_H - h,
                height: h,
                label: f.day(*day),
                count: *n,
            }
        })
        .collect();
    let busiest = daily.iter().max_by_key(|d| d.1);
    let summary = match busiest {
        Some((d, n)) if *n > 0 => f.lang.tf(
            "users.chart_summary",
            &[
                ("sum", &f.count(sum)),
                ("day", &f.day(*d)),
                ("busiest", &f.count(*n)),
            ],
        ),
        _ => f.lang.t("users.chart_none").into_owned(),
    };
    let day = |d: Option<&(NaiveDate, i64)>| d.map(|d| f.short_day(d.0)).unwrap_or_default();
    Chart {
        bars,
        max,
        first_day: day(daily.first()),
        last_day: day(daily.last()),
        summary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    fn en() -> Formats {
        Formats::new(Lang::En, chrono_tz::Tz::UTC)
    }

    #[test]
    fn totals_say_when_they_are_estimates() {
        let f = en();
        assert_eq!(total_text(Total::Exact(42), &f), "42");
        assert_eq!(
            total_text(Total::About(1_000_000), &f),
            "about 1,000,000 (estimate)"
        );
        assert_eq!(
            total_text(Total::MoreThan(100_000), &f),
            "more than 100,000"
        );
        let ko = Formats::new(Lang::Ko, chrono_tz::Tz::UTC);
        assert_eq!(
            total_text(Total::About(1_000_000), &ko),
            "약 1,000,000 (추정)"
        );
    }

    #[test]
    fn chart_scales_to_the_busiest_day() {
        let d0 = chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let daily: Vec<_> = (0..30)
            .map(|i| {
                (
                    d0 + chrono::Duration::days(i),
                    if i == 3 { 10 } else { i % 2 },
                )
            })
            .collect();
        let c = chart(&daily, &en());
        assert_eq!(c.bars.len(), 30);
        assert_eq!(c.max, 10);
        assert_eq!(c.bars[3].height, CHART_H);
        assert_eq!(c.bars[0].height, 0);
        assert!(c.bars[1].height >= 1);
        assert!(c.summary.contains("4 Nov 2026"), "{}", c.summary);
    }
}
