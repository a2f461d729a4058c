//! The figures at the top of the admin user list: users, active this week, new this month,
//! admins, and sign-ups per day for the chart.

use super::raw::{self, Arg, Sql};
use super::totals::{Total, total_where};
use super::{DbConn, DbError};
use crate::domain::Role;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use diesel::sql_types::{BigInt, Text};

/// Days the sign-ups chart covers, today included.
pub const CHART_DAYS: i64 = 30;

#[derive(Debug, Clone)]
pub struct Overview {
    pub total: Total,
    pub active_7d: Total,
    pub new_30d: Total,
    pub admins: Total,
    /// Sign-ups per UTC day for the last `CHART_DAYS` days, oldest first, days without any
    /// included.
    pub daily: Vec<(NaiveDate, i64)>,
}

#[derive(diesel::QueryableByName)]
struct DayRow {
    #[diesel(sql_type = Text)]
    day: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

pub fn overview(conn: &mut DbConn, now: DateTime<Utc>) -> Result<Overview, DbError> {
    let total = total_where(conn, |_| {})?;
    let week_ago = (now - Duration::days(7)).naive_utc();
    let active_7d = total_where(conn, |q| {
        q.push(" AND u.seen_at >= ").arg(Arg::Ts(week_ago));
    })?;
    let first_day = now.date_naive() - Duration::days(CHART_DAYS - 1);
    let since = first_day.and_time(NaiveTime::MIN);
    let new_30d = total_where(conn, |q| {
        q.push(" AND u.created_at >= ").arg(Arg::Ts(since));
    })?;
    let admins = total_where(conn, |q| {
        q.push(" AND u.role = '")
            .push(Role::Admin.as_str())
            .push("'");
    })?;
    let daily = signups_per_day(conn, first_day)?;
    Ok(Overview {
        total,
        active_7d,
        new_30d,
        admins,
        daily,
    })
}

/// Sign-ups on each of the `CHART_DAYS` days from `first_day`, zeros included.
fn signups_per_day(
    conn: &mut DbConn,
    first_day: NaiveDate,
) -> Result<Vec<(NaiveDate, i64)>, DbError> {
    let mut q = Sql::new(conn);
    let day = if q.is_pg() {
        "to_char(u.created_at, 'YYYY-MM-DD')"
    } else {
        "substr(u.created_at, 1, 10)"
    };
    q.push("SELECT ")
        .push(day)
        .push(" AS day, count(*) AS n FROM users u WHERE u.created_at >= ")
        .arg(Arg::Ts(first_day.and_time(NaiveTime::MIN)))
        .push(" GROUP BY 1");
    let rows: Vec<DayRow> = raw::load(conn, q)?;
    Ok((0..CHART_DAYS)
        .map(|i| {
            let d = first_day + Duration::days(i);
            let key = d.format("%Y-%m-%d").to_string();
            let n = rows.iter().find(|r| r.day == key).map_or(0, |r| r.n);
            (d, n)
        })
        .collect())
}
