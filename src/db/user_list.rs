//! The admin user list: indexed prefix search, role, status and provider filters, keyset pages in both
//! directions, the match count, the plain id-ordered walk the command line prints, and the
//! export's id-ordered batches with the list's filters.

use super::raw::{self, Arg, Sql};
use super::schema::users;
use super::totals::{Total, total_of, total_where};
use super::users::{USER_COLUMNS, User, UserRow, from_row};
use super::{DbConn, DbError};
use crate::domain::{Role, Status};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Text, Timestamp};

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
    /// Users with an identity at this provider (its key).
    pub provider: Option<&'static str>,
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

/// One row of the user list: the user, their live sessions and the row's place in the order.
#[derive(Debug, Clone)]
pub struct ListRow {
    pub user: User,
    pub active_sessions: i64,
    /// The providers of the user's identities (keys), oldest first.
    pub providers: Vec<String>,
    pub cursor: Cursor,
}

/// The user's columns (in `USER_COLUMNS` order) and the sort key, as the list query reads them.
#[derive(diesel::QueryableByName)]
struct UserListRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    public_id: String,
    #[diesel(sql_type = Text)]
    email: String,
    #[diesel(sql_type = Bool)]
    email_verified: bool,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Nullable<Text>)]
    given_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    family_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    picture: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    locale: Option<String>,
    #[diesel(sql_type = Text)]
    role: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Timestamp)]
    created_at: NaiveDateTime,
    #[diesel(sql_type = Timestamp)]
    updated_at: NaiveDateTime,
    #[diesel(sql_type = Nullable<Timestamp>)]
    last_login_at: Option<NaiveDateTime>,
    #[diesel(sql_type = Bool)]
    invited: bool,
    #[diesel(sql_type = Timestamp)]
    sort_key: NaiveDateTime,
}

impl UserListRow {
    /// The user (checked as every other read of `users` checks it) and the row's cursor.
    fn split(self) -> Result<(User, Cursor), DbError> {
        let cursor = Cursor {
            key: self.sort_key,
            id: self.id,
        };
        let row: UserRow = (
            self.id,
            self.public_id,
            self.email,
            self.email_verified,
            self.name,
            self.given_name,
            self.family_name,
            self.picture,
            self.locale,
            self.role,
            self.status,
            self.created_at,
            self.updated_at,
            self.last_login_at,
            self.invited,
        );
        Ok((from_row(row)?, cursor))
    }
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
    if super::is_postgres(conn) {
        let r: Folded = diesel::sql_query("SELECT lower($1) AS v")
            .bind::<Text, _>(s)
            .get_result(conn)?;
        Ok(r.v)
    } else {
        Ok(super::fold_case(s))
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
    if let Some(p) = f.provider {
        // Over the `(provider, user_id)` index.
        q.push(" AND u.id IN (SELECT i.user_id FROM identities i WHERE i.provider = ")
            .arg(Arg::Text(p.into()))
            .push(")");
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
        "SELECT x.id, x.public_id, x.email, x.email_verified, x.name, x.given_name, \
         x.family_name, x.picture, x.locale, x.role, x.status, x.created_at, x.updated_at, \
         x.last_login_at, x.invited, k.sort_key FROM (SELECT u.id, ",
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
    let mut methods = providers_of(conn, &ids)?;
    let out = rows
        .into_iter()
        .map(|r| {
            let (user, cursor) = r.split()?;
            let active_sessions = counts.iter().find(|c| c.0 == user.id).map_or(0, |c| c.1);
            Ok(ListRow {
                providers: methods.remove(&user.id).unwrap_or_default(),
                user,
                active_sessions,
                cursor,
            })
        })
        .collect::<Result<_, DbError>>()?;
    Ok((out, more))
}

/// The export's batch: up to `limit` users the filter matches, in id order after `after_id`
/// (a keyset walk over the primary key, so that each batch costs the same however deep it is),
/// with their live sessions.
pub fn export_batch(
    conn: &mut DbConn,
    filter: &ListFilter,
    after_id: i64,
    limit: i64,
    now: DateTime<Utc>,
) -> Result<Vec<ListRow>, DbError> {
    let filter = &folded(conn, filter)?;
    let mut q = Sql::new(conn);
    q.push(
        "SELECT u.id, u.public_id, u.email, u.email_verified, u.name, u.given_name, \
         u.family_name, u.picture, u.locale, u.role, u.status, u.created_at, u.updated_at, \
         u.last_login_at, u.invited, u.created_at AS sort_key FROM users u WHERE u.id > ",
    )
    .arg(Arg::Int(after_id));
    push_filter(&mut q, filter);
    q.push(" ORDER BY u.id ASC LIMIT ").arg(Arg::Int(limit));
    let rows: Vec<UserListRow> = raw::load(conn, q)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let counts: std::collections::HashMap<i64, i64> = active_session_counts(conn, &ids, now)?
        .into_iter()
        .collect();
    let mut methods = providers_of(conn, &ids)?;
    rows.into_iter()
        .map(|r| {
            let (user, cursor) = r.split()?;
            let active_sessions = counts.get(&user.id).copied().unwrap_or(0);
            Ok(ListRow {
                providers: methods.remove(&user.id).unwrap_or_default(),
                user,
                active_sessions,
                cursor,
            })
        })
        .collect()
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
    q.int_list(ids);
    q.push(") AND revoked_at IS NULL AND expires_at > ")
        .arg(Arg::Ts(now.naive_utc()))
        .push(" GROUP BY user_id");
    let rows: Vec<CountRow> = raw::load(conn, q)?;
    Ok(rows.into_iter().map(|r| (r.user_id, r.n)).collect())
}

#[derive(diesel::QueryableByName)]
struct MethodRow {
    #[diesel(sql_type = BigInt)]
    user_id: i64,
    #[diesel(sql_type = Text)]
    provider: String,
}

/// The providers of each listed user's identities, oldest first, in one query over the
/// `user_id` index.
fn providers_of(
    conn: &mut DbConn,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, Vec<String>>, DbError> {
    let mut out: std::collections::HashMap<i64, Vec<String>> = std::collections::HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let mut q = Sql::new(conn);
    q.push("SELECT user_id, provider FROM identities WHERE user_id IN (");
    q.int_list(ids);
    q.push(") ORDER BY id");
    let rows: Vec<MethodRow> = raw::load(conn, q)?;
    for r in rows {
        out.entry(r.user_id).or_default().push(r.provider);
    }
    Ok(out)
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
