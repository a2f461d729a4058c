//! Queries behind the admin area: the user list (indexed prefix search, filters, keyset pages in
//! both directions, counts that turn into estimates past 100,000), the overview figures, role
//! and status changes, a user's sessions.

use super::raw::{self, Arg, Sql};
use super::schema::{sessions, users};
use super::users::{USER_COLUMNS, User, UserRow, from_row, utc};
use super::{DbConn, DbError};
use crate::domain::{Role, Status};
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};

/// Exact counts stop here; above it the page shows an estimate (and says so).
pub const EXACT_COUNT_LIMIT: i64 = 100_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Created,
    LastSignIn,
}

impl SortKey {
    fn column(self) -> &'static str {
        match self {
            SortKey::Created => "u.created_at",
            SortKey::LastSignIn => "u.seen_at",
        }
    }
}

/// What the list shows: all filters are optional.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Case-insensitive prefix of the email or the name.
    pub prefix: Option<String>,
    pub role: Option<Role>,
    pub status: Option<Status>,
}

/// A position in the list: the sort key and the row id of one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub key: NaiveDateTime,
    pub id: i64,
}

impl Cursor {
    /// `<nanoseconds since 1970>.<id>`: exact, so that ties and SQLite's text timestamps compare
    /// equal to what is stored.
    pub fn encode(&self) -> String {
        let nanos = self.key.and_utc().timestamp_nanos_opt().unwrap_or(0);
        format!("{nanos}.{}", self.id)
    }

    pub fn decode(raw: &str) -> Option<Self> {
        let (n, id) = raw.split_once('.')?;
        let nanos: i64 = n.parse().ok()?;
        let id: i64 = id.parse().ok()?;
        Some(Self {
            key: DateTime::from_timestamp_nanos(nanos).naive_utc(),
            id,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListPage {
    First,
    /// The rows that come after this one in the chosen order ("next").
    After(Cursor),
    /// The rows that come before this one ("previous").
    Before(Cursor),
}

/// One row of the user list.
#[derive(Debug, Clone)]
pub struct ListRow {
    pub id: i64,
    pub public_id: String,
    pub email: String,
    pub name: String,
    pub picture: Option<String>,
    pub role: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub active_sessions: i64,
    pub cursor: Cursor,
}

#[derive(diesel::QueryableByName)]
struct UserListRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    public_id: String,
    #[diesel(sql_type = Text)]
    email: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Nullable<Text>)]
    picture: Option<String>,
    #[diesel(sql_type = Text)]
    role: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Timestamp)]
    created_at: NaiveDateTime,
    #[diesel(sql_type = Nullable<Timestamp>)]
    last_login_at: Option<NaiveDateTime>,
    #[diesel(sql_type = Timestamp)]
    sort_key: NaiveDateTime,
}

#[derive(diesel::QueryableByName)]
struct CountRow {
    #[diesel(sql_type = BigInt)]
    user_id: i64,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The smallest string greater than every string that starts with `prefix`, in byte (= code
/// point) order; `None` when there is none (the range is then open-ended).
pub fn prefix_upper_bound(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(c) = chars.pop() {
        let mut next = c as u32 + 1;
        if (0xD800..0xE000).contains(&next) {
            next = 0xE000;
        }
        if let Some(n) = char::from_u32(next) {
            chars.push(n);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

#[derive(diesel::QueryableByName)]
struct Folded {
    #[diesel(sql_type = Text)]
    v: String,
}

/// Lower-cases what was typed exactly as the database lower-cased the stored column: on
/// PostgreSQL by asking its own `lower()` (whose mapping follows the database's locale, and
/// differs from Rust's for a few letters such as İ), on SQLite with `signin_fold`'s function.
fn fold(conn: &mut DbConn, s: &str) -> Result<String, DbError> {
    if crate::db::is_postgres(conn) {
        let r: Folded = diesel::sql_query("SELECT lower($1) AS v")
            .bind::<Text, _>(s)
            .get_result(conn)?;
        Ok(r.v)
    } else {
        Ok(crate::db::fold_case(s))
    }
}

/// The filter with its search prefix folded (see `fold`).
fn folded(conn: &mut DbConn, f: &ListFilter) -> Result<ListFilter, DbError> {
    let mut f = f.clone();
    if let Some(p) = f.prefix.as_deref().filter(|p| !p.is_empty()) {
        f.prefix = Some(fold(conn, p)?);
    }
    Ok(f)
}

fn range(q: &mut Sql, col: &str, lo: &str, hi: Option<&str>) {
    q.push("(").push(col).push(" >= ").arg(Arg::Text(lo.into()));
    if let Some(hi) = hi {
        q.push(" AND ")
            .push(col)
            .push(" < ")
            .arg(Arg::Text(hi.into()));
    }
    q.push(")");
}

/// Appends ` AND …` for each filter. Role and status are our own enum texts, so they are
/// written as literals: that lets PostgreSQL match them to the partial indexes.
fn push_filter(q: &mut Sql, f: &ListFilter) {
    // The prefix is already folded (`folded`).
    if let Some(p) = f.prefix.as_deref().filter(|p| !p.is_empty()) {
        let hi = prefix_upper_bound(p);
        q.push(" AND (");
        range(q, "u.email_lc", p, hi.as_deref());
        q.push(" OR ");
        range(q, "u.name_lc", p, hi.as_deref());
        q.push(")");
    }
    if let Some(r) = f.role {
        q.push(" AND u.role = '").push(r.as_str()).push("'");
    }
    if let Some(s) = f.status {
        q.push(" AND u.status = '").push(s.as_str()).push("'");
    }
}

/// One page of users in the chosen order (ties broken by id), and whether more rows exist
/// beyond the page in the paging direction.
pub fn list_users(
    conn: &mut DbConn,
    filter: &ListFilter,
    sort: SortKey,
    descending: bool,
    page: ListPage,
    limit: i64,
    now: DateTime<Utc>,
) -> Result<(Vec<ListRow>, bool), DbError> {
    let filter = &folded(conn, filter)?;
    let key = sort.column();
    let mut q = Sql::new(conn);
    // Two steps: the page's ids from the sort index alone (on PostgreSQL it carries the search
    // and filter columns: an index-only scan), then those rows.
    q.push(
        "SELECT x.id, x.public_id, x.email, x.name, x.picture, x.role, x.status, \
         x.created_at, x.last_login_at, k.sort_key FROM (SELECT u.id, ",
    )
    .push(key)
    .push(" AS sort_key FROM users u WHERE 1 = 1");
    push_filter(&mut q, filter);
    // Walking backwards ("previous") reads the other way round and flips the rows afterwards.
    let (cursor, forward) = match page {
        ListPage::First => (None, true),
        ListPage::After(c) => (Some(c), true),
        ListPage::Before(c) => (Some(c), false),
    };
    let read_desc = descending == forward;
    if let Some(c) = cursor {
        // A row-value comparison: both databases turn it into one index range.
        q.push(" AND (")
            .push(key)
            .push(", u.id) ")
            .push(if read_desc { "<" } else { ">" })
            .push(" (")
            .arg(Arg::Ts(c.key))
            .push(", ")
            .arg(Arg::Int(c.id))
            .push(")");
    }
    let dir = if read_desc { "DESC" } else { "ASC" };
    q.push(" ORDER BY ")
        .push(key)
        .push(" ")
        .push(dir)
        .push(", u.id ")
        .push(dir)
        .push(" LIMIT ")
        .arg(Arg::Int(limit + 1))
        .push(") k JOIN users x ON x.id = k.id ORDER BY k.sort_key ")
        .push(dir)
        .push(", k.id ")
        .push(dir);
    let mut rows: Vec<UserListRow> = raw::load(conn, q)?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    if !forward {
        rows.reverse();
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let counts = active_session_counts(conn, &ids, now)?;
    let out = rows
        .into_iter()
        .map(|r| ListRow {
            active_sessions: counts
                .iter()
                .find(|c| c.0 == r.id)
                .map(|c| c.1)
                .unwrap_or(0),
            cursor: Cursor {
                key: r.sort_key,
                id: r.id,
            },
            id: r.id,
            public_id: r.public_id,
            email: r.email,
            name: r.name,
            picture: r.picture,
            role: r.role,
            status: r.status,
            created_at: utc(r.created_at),
            last_login_at: r.last_login_at.map(utc),
        })
        .collect();
    Ok((out, more))
}

/// Live sessions of each listed user, in one grouped query over the `(user_id, …)` index.
fn active_session_counts(
    conn: &mut DbConn,
    ids: &[i64],
    now: DateTime<Utc>,
) -> Result<Vec<(i64, i64)>, DbError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Sql::new(conn);
    q.push("SELECT user_id, count(*) AS n FROM sessions WHERE user_id IN (");
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            q.push(", ");
        }
        q.arg(Arg::Int(*id));
    }
    q.push(") AND revoked_at IS NULL AND expires_at > ")
        .arg(Arg::Ts(now.naive_utc()))
        .push(" GROUP BY user_id");
    let rows: Vec<CountRow> = raw::load(conn, q)?;
    Ok(rows.into_iter().map(|r| (r.user_id, r.n)).collect())
}

/// A count as the page shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Total {
    Exact(i64),
    /// The planner's estimate (PostgreSQL), shown as "about N".
    About(i64),
    /// At least this many; the exact figure was not worth counting.
    MoreThan(i64),
}

/// Counts the users matching `build`'s conditions, exactly up to `EXACT_COUNT_LIMIT`; past it,
/// PostgreSQL's planner estimate (cheap even at millions of rows) or "more than".
fn total_where(conn: &mut DbConn, build: impl Fn(&mut Sql)) -> Result<Total, DbError> {
    total_of(conn, |q| {
        q.push("SELECT 1 FROM users u WHERE 1 = 1");
        build(q);
    })
}

/// Counts the rows of the query `select` writes, as `total_where` does.
fn total_of(conn: &mut DbConn, select: impl Fn(&mut Sql)) -> Result<Total, DbError> {
    let pg = crate::db::is_postgres(conn);
    let mut estimate = None;
    if pg {
        let mut inner = Sql::format_template();
        select(&mut inner);
        let mut q = Sql::new(conn);
        q.push("SELECT plan_rows(format('")
            .push(&inner.text.replace('\'', "''"))
            .push("'");
        for a in inner.args {
            q.push(", ").arg(a);
        }
        q.push(")) AS n");
        let est = raw::scalar(conn, q)?;
        if est > EXACT_COUNT_LIMIT {
            return Ok(Total::About(est));
        }
        estimate = Some(est);
    }
    let mut q = Sql::new(conn);
    q.push("SELECT count(*) AS n FROM (");
    select(&mut q);
    q.push(" LIMIT ")
        .arg(Arg::Int(EXACT_COUNT_LIMIT + 1))
        .push(") s");
    let n = raw::scalar(conn, q)?;
    Ok(if n > EXACT_COUNT_LIMIT {
        let _ = estimate;
        Total::MoreThan(EXACT_COUNT_LIMIT)
    } else {
        Total::Exact(n)
    })
}

/// The number of users the list filter matches.
pub fn count_users(conn: &mut DbConn, filter: &ListFilter) -> Result<Total, DbError> {
    let filter = &folded(conn, filter)?;
    if filter.prefix.as_deref().is_none_or(str::is_empty) {
        return total_where(conn, |q| push_filter(q, filter));
    }
    // "email OR name" as the email matches plus the name matches whose email does not match:
    // two index-only scans, where the OR would read every matching row.
    total_of(conn, |q| {
        let lo = filter.prefix.as_deref().unwrap_or_default();
        let hi = prefix_upper_bound(lo);
        let rest = ListFilter {
            prefix: None,
            ..filter.clone()
        };
        q.push("SELECT 1 FROM users u WHERE ");
        range(q, "u.email_lc", lo, hi.as_deref());
        push_filter(q, &rest);
        q.push(" UNION ALL SELECT 1 FROM users u WHERE ");
        range(q, "u.name_lc", lo, hi.as_deref());
        q.push(" AND NOT ");
        range(q, "u.email_lc", lo, hi.as_deref());
        push_filter(q, &rest);
    })
}

/// The figures at the top of the user list.
#[derive(Debug, Clone)]
pub struct Overview {
    pub total: Total,
    pub active_7d: Total,
    pub new_30d: Total,
    pub admins: Total,
    /// Sign-ups per UTC day for the last 30 days, oldest first, days without any included.
    pub daily: Vec<(chrono::NaiveDate, i64)>,
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
    let today = now.date_naive();
    let first_day = today - Duration::days(29);
    let since = first_day.and_time(chrono::NaiveTime::MIN);
    let new_30d = total_where(conn, |q| {
        q.push(" AND u.created_at >= ").arg(Arg::Ts(since));
    })?;
    let admins = total_where(conn, |q| {
        q.push(" AND u.role = 'admin'");
    })?;

    let mut q = Sql::new(conn);
    let day = if q.is_pg() {
        "to_char(u.created_at, 'YYYY-MM-DD')"
    } else {
        "substr(u.created_at, 1, 10)"
    };
    q.push("SELECT ")
        .push(day)
        .push(" AS day, count(*) AS n FROM users u WHERE u.created_at >= ")
        .arg(Arg::Ts(since))
        .push(" GROUP BY 1");
    let rows: Vec<DayRow> = raw::load(conn, q)?;
    let daily = (0..30)
        .map(|i| {
            let d = first_day + Duration::days(i);
            let key = d.format("%Y-%m-%d").to_string();
            let n = rows.iter().find(|r| r.day == key).map(|r| r.n).unwrap_or(0);
            (d, n)
        })
        .collect();
    Ok(Overview {
        total,
        active_7d,
        new_30d,
        admins,
        daily,
    })
}

/// Sets the role; returns whether the row changed.
pub fn set_role(
    conn: &mut DbConn,
    user_id: i64,
    role: Role,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let n = diesel::update(
        users::table
            .filter(users::id.eq(user_id))
            .filter(users::role.ne(role.as_str())),
    )
    .set((
        users::role.eq(role.as_str()),
        users::updated_at.eq(now.naive_utc()),
    ))
    .execute(conn)?;
    Ok(n > 0)
}

/// Sets the status; returns whether the row changed.
pub fn set_status(
    conn: &mut DbConn,
    user_id: i64,
    status: Status,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let n = diesel::update(
        users::table
            .filter(users::id.eq(user_id))
            .filter(users::status.ne(status.as_str())),
    )
    .set((
        users::status.eq(status.as_str()),
        users::updated_at.eq(now.naive_utc()),
    ))
    .execute(conn)?;
    Ok(n > 0)
}

/// Inside a transaction that may remove an admin: on PostgreSQL, locks the active admins'
/// rows so that two concurrent removals cannot each see the other as the remaining admin.
/// (SQLite runs one writer at a time; the caller writes before it counts.)
pub fn lock_active_admins(conn: &mut DbConn) -> Result<(), DbError> {
    if crate::db::is_postgres(conn) {
        let mut q = Sql::new(conn);
        q.push(
            "SELECT count(*) AS n FROM (SELECT id FROM users \
             WHERE role = 'admin' AND status = 'active' FOR UPDATE) s",
        );
        raw::scalar(conn, q)?;
    }
    Ok(())
}

pub fn count_active_admins(conn: &mut DbConn) -> Result<i64, DbError> {
    Ok(users::table
        .filter(users::role.eq(Role::Admin.as_str()))
        .filter(users::status.eq(Status::Active.as_str()))
        .count()
        .get_result(conn)?)
}

/// Users in id order for the command line, `limit` at a time after `after_id`.
pub fn users_after(
    conn: &mut DbConn,
    after_id: i64,
    admins_only: bool,
    limit: i64,
) -> Result<Vec<User>, DbError> {
    let mut q = users::table
        .filter(users::id.gt(after_id))
        .order(users::id.asc())
        .limit(limit)
        .select(USER_COLUMNS)
        .into_boxed();
    if admins_only {
        q = q.filter(users::role.eq(Role::Admin.as_str()));
    }
    let rows: Vec<UserRow> = q.load(conn)?;
    rows.into_iter().map(from_row).collect()
}

/// A session as the user detail page shows it.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub jti: String,
    pub kind: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_reason: Option<String>,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

type SessionInfoRow = (
    String,
    String,
    NaiveDateTime,
    NaiveDateTime,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// The user's newest sessions (at most `limit`) and how many there are in all.
pub fn user_sessions(
    conn: &mut DbConn,
    user_id: i64,
    limit: i64,
) -> Result<(Vec<SessionInfo>, i64), DbError> {
    let rows: Vec<SessionInfoRow> = sessions::table
        .filter(sessions::user_id.eq(user_id))
        .order((sessions::created_at.desc(), sessions::jti.desc()))
        .limit(limit)
        .select((
            sessions::jti,
            sessions::kind,
            sessions::created_at,
            sessions::expires_at,
            sessions::last_used_at,
            sessions::revoked_at,
            sessions::revoked_reason,
            sessions::user_agent,
            sessions::ip,
        ))
        .load(conn)?;
    let total = super::sessions::count_for_user(conn, user_id)?;
    let list = rows
        .into_iter()
        .map(|r| SessionInfo {
            jti: r.0,
            kind: r.1,
            created_at: utc(r.2),
            expires_at: utc(r.3),
            last_used_at: r.4.map(utc),
            revoked_at: r.5.map(utc),
            revoked_reason: r.6,
            user_agent: r.7,
            ip: r.8,
        })
        .collect();
    Ok((list, total))
}

/// True when the session exists, belongs to `user_id` and has not been revoked.
pub fn session_belongs_to(conn: &mut DbConn, jti: &str, user_id: i64) -> Result<bool, DbError> {
    let n: i64 = sessions::table
        .filter(sessions::jti.eq(jti))
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::revoked_at.is_null())
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}
