//! The admin area: the user list with its overview and chart, one user's page with its
//! sessions and actions (CSRF-checked POSTs answering with a redirect and a flash message), and
//! the audit log. Admins only: others get a 403 page, visitors are sent to sign in.

use super::auth::{render, see_other};
use super::pages::{Chrome, fmt_time, initials};
use crate::admin::{Action, Refusal, perform};
use crate::auth::CurrentUser;
use crate::auth::middleware::SessionService;
use crate::auth::session::TypedSession;
use crate::db;
use crate::db::audit::{self, Actor, AuditAction};
use crate::db::overview::Overview;
use crate::db::totals::Total;
use crate::db::user_list::{self as q, Cursor, ListFilter, ListPage, ListRow, SortKey};
use crate::db::user_sessions::{SessionInfo, user_sessions};
use crate::db::users::{self, User};
use crate::domain::{Email, RevokeReason, Role, Status, UserId};
use crate::error::AppError;
use crate::net::ClientInfo;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::future::{Ready, ready};

/// Rows per page of the user list and of the audit log.
pub const PAGE_SIZE: i64 = 50;
/// Longest search accepted (longer cannot match a useful prefix and costs index work).
const MAX_SEARCH_LEN: usize = 100;
/// Sessions shown on a user's page (newest first).
const SESSIONS_SHOWN: i64 = 100;

/// A signed-in admin. Visitors are sent to sign in (and back); other users get a 403 page.
/// A disabled admin never gets here: the session check signs them out first.
#[derive(Debug, Clone)]
pub struct AdminUser(pub CurrentUser);

impl FromRequest for AdminUser {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let user = match CurrentUser::from_request(req, payload).into_inner() {
            Ok(u) => u,
            Err(e) => return ready(Err(e)),
        };
        ready(if user.user().is_admin() {
            Ok(AdminUser(user))
        } else {
            Err(AppError::Forbidden(
                "This part of the site is for administrators. If you need access, ask an administrator to give your account the admin role.".into(),
            ))
        })
    }
}

impl AdminUser {
    fn actor(&self) -> Actor {
        Actor::User {
            id: self.0.user().id,
            email: self.0.user().email.clone(),
        }
    }
}

const FLASH: &str = "f";

/// A one-time message shown after a redirect; it rides the encrypted session cookie, so it is
/// kept to one short sentence.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Flash {
    #[serde(rename = "k")]
    pub kind: FlashKind,
    #[serde(rename = "m")]
    pub message: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum FlashKind {
    #[serde(rename = "o")]
    Ok,
    #[serde(rename = "e")]
    Error,
}

impl Flash {
    pub fn css(&self) -> &'static str {
        match self.kind {
            FlashKind::Ok => "ok",
            FlashKind::Error => "error",
        }
    }
}

fn set_flash(session: &TypedSession, kind: FlashKind, message: String) {
    let message: String = message.chars().take(200).collect();
    if session
        .inner()
        .insert(FLASH, Flash { kind, message })
        .is_err()
    {
        tracing::warn!("could not store the flash message");
    }
}

fn take_flash(session: &TypedSession) -> Option<Flash> {
    let raw = session.inner().remove(FLASH)?;
    serde_json::from_str(&raw).ok()
}

// ---------------------------------------------------------------- the user list

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    role: Option<String>,
    status: Option<String>,
    sort: Option<String>,
    dir: Option<String>,
    after: Option<String>,
    before: Option<String>,
}

/// The list's state, checked: everything the query string can say.
#[derive(Debug, Clone)]
struct ListState {
    search: String,
    role: Option<Role>,
    status: Option<Status>,
    sort: SortKey,
    descending: bool,
    page: ListPage,
}

fn bad(msg: &str) -> AppError {
    AppError::BadRequest(msg.into())
}

impl ListState {
    fn parse(query: &ListQuery) -> Result<Self, AppError> {
        let search = query.q.as_deref().unwrap_or("").trim().to_string();
        if search.chars().count() > MAX_SEARCH_LEN || search.chars().any(char::is_control) {
            return Err(bad(
                "That search is too long or has characters that cannot be searched for.",
            ));
        }
        let role = match query.role.as_deref().unwrap_or("") {
            "" => None,
            r => Some(Role::parse(r).map_err(|_| bad("There is no such role to filter by."))?),
        };
        let status = match query.status.as_deref().unwrap_or("") {
            "" => None,
            s => Some(Status::parse(s).map_err(|_| bad("There is no such status to filter by."))?),
        };
        let sort = match query.sort.as_deref().unwrap_or("created") {
            "created" => SortKey::Created,
            "last_sign_in" => SortKey::LastSignIn,
            _ => return Err(bad("The list cannot be sorted that way.")),
        };
        let descending = match query.dir.as_deref().unwrap_or("desc") {
            "desc" => true,
            "asc" => false,
            _ => return Err(bad("The sort direction must be asc or desc.")),
        };
        let cursor = |raw: &str| {
            Cursor::decode(raw).ok_or_else(|| {
                bad("That page link is not valid. Go back to the first page and try again.")
            })
        };
        let after = query.after.as_deref().filter(|s| !s.is_empty());
        let before = query.before.as_deref().filter(|s| !s.is_empty());
        let page = match (after, before) {
            (None, None) => ListPage::First,
            (Some(a), None) => ListPage::After(cursor(a)?),
            (None, Some(b)) => ListPage::Before(cursor(b)?),
            (Some(_), Some(_)) => {
                return Err(bad("A page link cannot go both forwards and backwards."));
            }
        };
        Ok(Self {
            search,
            role,
            status,
            sort,
            descending,
            page,
        })
    }

    fn filter(&self) -> ListFilter {
        ListFilter {
            prefix: (!self.search.is_empty()).then(|| self.search.clone()),
            role: self.role,
            status: self.status,
        }
    }

    fn sort_str(&self) -> &'static str {
        match self.sort {
            SortKey::Created => "created",
            SortKey::LastSignIn => "last_sign_in",
        }
    }

    /// The query string for this state with another sort, direction or page.
    fn link(&self, sort: &str, descending: bool, page: Option<(&str, String)>) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if !self.search.is_empty() {
            pairs.push(("q", self.search.clone()));
        }
        if let Some(r) = self.role {
            pairs.push(("role", r.as_str().into()));
        }
        if let Some(s) = self.status {
            pairs.push(("status", s.as_str().into()));
        }
        pairs.push(("sort", sort.into()));
        pairs.push(("dir", if descending { "desc" } else { "asc" }.into()));
        if let Some(p) = page {
            pairs.push(p);
        }
        format!(
            "/admin/users?{}",
            serde_urlencoded::to_string(&pairs).unwrap_or_default()
        )
    }
}

pub struct UserRowView {
    pub public_id: String,
    pub email: String,
    pub name: String,
    pub initials: String,
    pub picture: Option<String>,
    pub is_admin: bool,
    pub disabled: bool,
    pub created: String,
    pub last_sign_in: String,
    pub sessions: i64,
}

impl From<ListRow> for UserRowView {
    fn from(r: ListRow) -> Self {
        let u = r.user;
        Self {
            initials: initials(&u.name),
            public_id: u.public_id.to_string(),
            is_admin: u.is_admin(),
            disabled: !u.is_active(),
            email: u.email,
            name: u.name,
            picture: u.picture,
            created: fmt_time(u.created_at),
            last_sign_in: u
                .last_login_at
                .map(fmt_time)
                .unwrap_or_else(|| "never".into()),
            sessions: r.active_sessions,
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
    pub sum: i64,
    pub first_day: String,
    pub last_day: String,
    pub summary: String,
}

const CHART_W: i64 = 600;
const CHART_H: i64 = 120;
const BAR_STEP: i64 = CHART_W / 30;

fn chart(daily: &[(chrono::NaiveDate, i64)]) -> Chart {
    let max = daily.iter().map(|d| d.1).max().unwrap_or(0);
    let sum = daily.iter().map(|d| d.1).sum();
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
                label: day.format("%-d %b %Y").to_string(),
                count: *n,
            }
        })
        .collect();
    let busiest = daily.iter().max_by_key(|d| d.1);
    let summary = match busiest {
        Some((d, n)) if *n > 0 => format!(
            "{} sign-ups in the last 30 days; the busiest day was {} with {}.",
            thousands(sum),
            d.format("%-d %b %Y"),
            thousands(*n)
        ),
        _ => "No sign-ups in the last 30 days.".to_string(),
    };
    Chart {
        bars,
        max,
        sum,
        first_day: daily
            .first()
            .map(|d| d.0.format("%-d %b").to_string())
            .unwrap_or_default(),
        last_day: daily
            .last()
            .map(|d| d.0.format("%-d %b").to_string())
            .unwrap_or_default(),
        summary,
    }
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// A count as words: exact, or plainly marked as an estimate.
pub fn total_text(t: Total) -> String {
    match t {
        Total::Exact(n) => thousands(n),
        Total::About(n) => format!("about {} (estimate)", thousands(n)),
        Total::MoreThan(n) => format!("more than {}", thousands(n)),
    }
}

pub struct OverviewView {
    pub total: String,
    pub active_7d: String,
    pub new_30d: String,
    pub admins: String,
}

impl From<&Overview> for OverviewView {
    fn from(o: &Overview) -> Self {
        Self {
            total: total_text(o.total),
            active_7d: total_text(o.active_7d),
            new_30d: total_text(o.new_30d),
            admins: total_text(o.admins),
        }
    }
}

pub struct SortLink {
    pub label: &'static str,
    pub href: String,
    /// `ascending`, `descending` or `none`, for `aria-sort`.
    pub aria: &'static str,
    pub arrow: &'static str,
}

#[derive(Template)]
#[template(path = "admin/users.html")]
pub struct UsersPage {
    pub chrome: Chrome,
    pub flash: Option<Flash>,
    pub overview: OverviewView,
    pub chart: Chart,
    pub chart_h: i64,
    pub chart_w: i64,
    pub bar_w: i64,
    pub rows: Vec<UserRowView>,
    pub total: String,
    pub search: String,
    pub role: &'static str,
    pub status: &'static str,
    pub sort: &'static str,
    pub dir: &'static str,
    pub sort_created: SortLink,
    pub sort_last: SortLink,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub first: Option<String>,
}

fn sort_link(state: &ListState, key: SortKey, label: &'static str, sort: &str) -> SortLink {
    let active = state.sort == key;
    // Clicking the active column flips it; another column starts newest first.
    let descending = if active { !state.descending } else { true };
    SortLink {
        label,
        href: state.link(sort, descending, None),
        aria: match (active, state.descending) {
            (false, _) => "none",
            (true, true) => "descending",
            (true, false) => "ascending",
        },
        arrow: match (active, state.descending) {
            (false, _) => "",
            (true, true) => " ↓",
            (true, false) => " ↑",
        },
    }
}

/// How long the overview figures are reused. Counting the week's active users and the month's
/// sign-ups reads tens of thousands of index entries at a million users: too much to redo on
/// every page view, and nobody needs them fresher than this.
pub const OVERVIEW_TTL: chrono::Duration = chrono::Duration::seconds(60);

/// Distinct filters whose match count is remembered at once.
const MAX_CACHED_COUNTS: usize = 1_000;

/// The last overview computed by this instance, and the match counts of recent filters (a
/// broad search such as "ada" matches tens of thousands of users: paging through it should not
/// recount them on every page). Both are kept `OVERVIEW_TTL`.
#[derive(Debug, Default)]
pub struct OverviewCache {
    overview: std::sync::Mutex<Option<(DateTime<Utc>, Overview)>>,
    counts: std::sync::Mutex<std::collections::HashMap<String, (DateTime<Utc>, Total)>>,
}

fn fresh(at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now >= at && now - at < OVERVIEW_TTL
}

impl OverviewCache {
    fn get(&self, now: DateTime<Utc>) -> Option<Overview> {
        let guard = self.overview.lock().ok()?;
        match guard.as_ref() {
            Some((at, o)) if fresh(*at, now) => Some(o.clone()),
            _ => None,
        }
    }

    fn put(&self, now: DateTime<Utc>, o: &Overview) {
        if let Ok(mut guard) = self.overview.lock() {
            *guard = Some((now, o.clone()));
        }
    }

    fn count(&self, key: &str, now: DateTime<Utc>) -> Option<Total> {
        let map = self.counts.lock().ok()?;
        map.get(key).filter(|(at, _)| fresh(*at, now)).map(|e| e.1)
    }

    fn put_count(&self, key: String, now: DateTime<Utc>, t: Total) {
        if let Ok(mut map) = self.counts.lock() {
            if map.len() >= MAX_CACHED_COUNTS {
                map.retain(|_, (at, _)| fresh(*at, now));
                if map.len() >= MAX_CACHED_COUNTS {
                    map.clear();
                }
            }
            map.insert(key, (now, t));
        }
    }
}

/// `GET /admin/users`: overview, chart, search, filters, sort and keyset pages.
#[tracing::instrument(skip_all)]
pub async fn list_users(
    req: HttpRequest,
    admin: AdminUser,
    session: TypedSession,
    query: web::Query<ListQuery>,
    svc: web::Data<SessionService>,
    cache: Option<web::Data<OverviewCache>>,
) -> Result<HttpResponse, AppError> {
    let mut state = ListState::parse(&query)?;
    let now = svc.now();
    let filter = state.filter();
    let cached = cache.as_ref().and_then(|c| c.get(now));
    let fresh_overview = cached.is_none();
    let count_key = format!(
        "{}\u{0}{}\u{0}{}",
        state.search,
        state.role.map(Role::as_str).unwrap_or(""),
        state.status.map(Status::as_str).unwrap_or("")
    );
    let cached_total = cache.as_ref().and_then(|c| c.count(&count_key, now));
    let (sort, descending, page) = (state.sort, state.descending, state.page);
    let (rows, more, page, total, overview) = db::run(&svc.pool, move |conn| {
        let (mut rows, mut more) =
            q::list_users(conn, &filter, sort, descending, page, PAGE_SIZE, now)?;
        let mut page = page;
        // A short "previous" page means the start was reached: show the true first page.
        if matches!(page, ListPage::Before(_)) && (rows.len() as i64) < PAGE_SIZE {
            page = ListPage::First;
            (rows, more) = q::list_users(conn, &filter, sort, descending, page, PAGE_SIZE, now)?;
        }
        let total = match cached_total {
            Some(t) => t,
            None => q::count_users(conn, &filter)?,
        };
        let overview = match cached {
            Some(o) => o,
            None => db::overview::overview(conn, now)?,
        };
        Ok((rows, more, page, total, overview))
    })
    .await?;
    if let Some(c) = &cache {
        if fresh_overview {
            c.put(now, &overview);
        }
        if cached_total.is_none() {
            c.put_count(count_key, now, total);
        }
    }
    state.page = page;
    let (has_prev, has_next) = match page {
        ListPage::First => (false, more),
        ListPage::After(_) => (true, more),
        ListPage::Before(_) => (more, true),
    };
    let sort_s = state.sort_str();
    let prev = rows.first().filter(|_| has_prev).map(|r| {
        state.link(
            sort_s,
            state.descending,
            Some(("before", r.cursor.encode())),
        )
    });
    let next = rows
        .last()
        .filter(|_| has_next)
        .map(|r| state.link(sort_s, state.descending, Some(("after", r.cursor.encode()))));
    let first = (page != ListPage::First).then(|| state.link(sort_s, state.descending, None));
    let page = UsersPage {
        chrome: Chrome::new(&req, Some(&admin.0), session.csrf_token()),
        flash: take_flash(&session),
        overview: OverviewView::from(&overview),
        chart: chart(&overview.daily),
        chart_h: CHART_H,
        chart_w: CHART_W,
        bar_w: BAR_STEP - 4,
        rows: rows.into_iter().map(UserRowView::from).collect(),
        total: total_text(total),
        search: state.search.clone(),
        role: state.role.map(Role::as_str).unwrap_or(""),
        status: state.status.map(Status::as_str).unwrap_or(""),
        sort: sort_s,
        dir: if state.descending { "desc" } else { "asc" },
        sort_created: sort_link(&state, SortKey::Created, "Created", "created"),
        sort_last: sort_link(&state, SortKey::LastSignIn, "Last sign-in", "last_sign_in"),
        prev,
        next,
        first,
    };
    render(page)
}

// ---------------------------------------------------------------- one user

pub struct SessionView {
    pub jti: String,
    pub kind: String,
    pub created: String,
    pub expires: String,
    pub last_used: String,
    pub user_agent: String,
    pub ip: String,
    pub state: String,
    pub state_css: &'static str,
    pub active: bool,
    pub current: bool,
}

pub struct AuditView {
    pub at: String,
    pub actor_label: String,
    pub actor_href: Option<String>,
    pub action: String,
    pub target_label: String,
    pub target_href: Option<String>,
    pub detail: String,
    pub ip: String,
}

impl From<audit::Entry> for AuditView {
    fn from(e: audit::Entry) -> Self {
        Self {
            at: fmt_time(e.at),
            actor_href: e.actor_public_id.map(|p| format!("/admin/users/{p}")),
            actor_label: e.actor_label,
            action: e.action.replace('_', " "),
            target_href: e.target_public_id.map(|p| format!("/admin/users/{p}")),
            target_label: e.target_label.unwrap_or_else(|| "—".into()),
            detail: e.detail.unwrap_or_default(),
            ip: e.ip.unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/user.html")]
pub struct UserPage {
    pub chrome: Chrome,
    pub flash: Option<Flash>,
    pub public_id: String,
    pub email: String,
    pub name: String,
    pub initials: String,
    pub picture: Option<String>,
    pub is_admin: bool,
    pub disabled: bool,
    pub is_self: bool,
    pub email_verified: bool,
    pub locale: String,
    pub created: String,
    pub updated: String,
    pub last_sign_in: String,
    pub sessions: Vec<SessionView>,
    pub sessions_total: i64,
    pub active_sessions: usize,
    pub recent: Vec<AuditView>,
    pub audit_href: String,
}

fn session_state(s: &SessionInfo, now: DateTime<Utc>) -> (String, &'static str, bool) {
    match (s.revoked_at, s.revoked_reason) {
        (Some(at), Some(RevokeReason::Rotated)) => {
            (format!("rotated {}", fmt_time(at)), "muted", false)
        }
        (Some(at), reason) => {
            let why = match reason {
                Some(RevokeReason::Logout) => "signed out",
                Some(RevokeReason::Admin) => "revoked by an admin",
                Some(RevokeReason::Disabled) => "account disabled",
                Some(RevokeReason::Rotated) | None => "revoked",
            };
            (
                format!("revoked: {why}, {}", fmt_time(at)),
                "revoked",
                false,
            )
        }
        (None, _) if s.expires_at <= now => ("expired".into(), "muted", false),
        (None, _) => ("active".into(), "active", true),
    }
}

fn parse_public_id(raw: &str) -> Result<UserId, AppError> {
    UserId::parse(raw).map_err(|_| AppError::NotFound)
}

/// `GET /admin/users/{public_id}`: profile, sessions, actions, recent audit entries.
#[tracing::instrument(skip_all)]
pub async fn show_user(
    req: HttpRequest,
    admin: AdminUser,
    session: TypedSession,
    path: web::Path<String>,
    svc: web::Data<SessionService>,
) -> Result<HttpResponse, AppError> {
    let id = parse_public_id(&path)?;
    let now = svc.now();
    let found = db::run(&svc.pool, move |conn| {
        let Some(user) = users::find_by_public_id(conn, &id)? else {
            return Ok(None);
        };
        let (sessions, total) = user_sessions(conn, user.id, SESSIONS_SHOWN)?;
        let (recent, _) = audit::list(
            conn,
            &audit::Filter {
                action: None,
                user_id: Some(user.id),
            },
            audit::Page::First,
            10,
        )?;
        Ok(Some((user, sessions, total, recent)))
    })
    .await?;
    let Some((user, sessions, total, recent)) = found else {
        return Err(AppError::NotFound);
    };
    let own_jti = admin.0.jti().to_string();
    let sessions: Vec<SessionView> = sessions
        .into_iter()
        .map(|s| {
            let (state, state_css, active) = session_state(&s, now);
            SessionView {
                current: s.jti == own_jti,
                kind: s.kind.clone(),
                created: fmt_time(s.created_at),
                expires: fmt_time(s.expires_at),
                last_used: s.last_used_at.map(fmt_time).unwrap_or_else(|| "—".into()),
                user_agent: s.user_agent.unwrap_or_else(|| "—".into()),
                ip: s.ip.unwrap_or_else(|| "—".into()),
                state,
                state_css,
                active,
                jti: s.jti,
            }
        })
        .collect();
    let page = UserPage {
        chrome: Chrome::new(&req, Some(&admin.0), session.csrf_token()),
        flash: take_flash(&session),
        is_self: user.id == admin.0.user().id,
        public_id: user.public_id.to_string(),
        initials: initials(&user.name),
        email: user.email.clone(),
        name: user.name.clone(),
        picture: user.picture.clone(),
        is_admin: user.is_admin(),
        disabled: !user.is_active(),
        email_verified: user.email_verified,
        locale: user.locale.clone().unwrap_or_else(|| "—".into()),
        created: fmt_time(user.created_at),
        updated: fmt_time(user.updated_at),
        last_sign_in: user
            .last_login_at
            .map(fmt_time)
            .unwrap_or_else(|| "never".into()),
        active_sessions: sessions.iter().filter(|s| s.active).count(),
        sessions,
        sessions_total: total,
        recent: recent.into_iter().map(AuditView::from).collect(),
        audit_href: format!(
            "/admin/audit?user={}",
            url::form_urlencoded::byte_serialize(user.public_id.as_str().as_bytes())
                .collect::<String>()
        ),
    };
    render(page)
}

#[derive(Deserialize)]
pub struct ActionForm {
    csrf: String,
    jti: Option<String>,
}

/// `POST /admin/users/{public_id}/{action}`: disable, enable, promote, demote, revoke-session,
/// revoke-all. CSRF-checked; answers with a redirect back to the user and a flash message.
#[tracing::instrument(skip_all, fields(action))]
pub async fn user_action(
    req: HttpRequest,
    admin: AdminUser,
    session: TypedSession,
    path: web::Path<(String, String)>,
    form: web::Form<ActionForm>,
    svc: web::Data<SessionService>,
) -> Result<HttpResponse, AppError> {
    let (raw_id, raw_action) = path.into_inner();
    tracing::Span::current().record("action", raw_action.as_str());
    if !session.csrf_matches(&form.csrf) {
        return Err(AppError::Forbidden(
            "The form had expired. Go back, reload the page and try again.".into(),
        ));
    }
    let id = parse_public_id(&raw_id)?;
    let action = match raw_action.as_str() {
        "disable" => Action::Disable,
        "enable" => Action::Enable,
        "promote" => Action::Promote,
        "demote" => Action::Demote,
        "revoke-all" => Action::RevokeAllSessions,
        "revoke-session" => {
            let jti = form
                .jti
                .as_deref()
                .filter(|j| !j.is_empty() && j.len() <= 128)
                .ok_or_else(|| bad("Which session to revoke was missing."))?;
            Action::RevokeSession(jti.to_string())
        }
        _ => return Err(AppError::NotFound),
    };
    let actor = admin.actor();
    let ip = ClientInfo::of(&req).ip;
    let now = svc.now();
    let done = db::run(&svc.pool, move |conn| {
        let Some(target) = users::find_by_public_id(conn, &id)? else {
            return Ok(None);
        };
        let r = perform(conn, &actor, &target, &action, ip.as_deref(), now)?;
        Ok(Some((target, r)))
    })
    .await?;
    let Some((target, result)) = done else {
        return Err(AppError::NotFound);
    };
    // This instance forgets the target's cached checks now; others within the cache TTL.
    svc.cache.invalidate_user(target.id);
    match result {
        Ok(outcome) => {
            tracing::info!(target = %target.public_id, changed = outcome.changed, "admin action");
            set_flash(&session, FlashKind::Ok, outcome.message);
        }
        Err(refusal) => {
            tracing::info!(target = %target.public_id, reason = %refusal, "admin action refused");
            set_flash(&session, FlashKind::Error, refusal_text(refusal));
        }
    }
    Ok(see_other(&format!("/admin/users/{}", target.public_id)))
}

fn refusal_text(r: Refusal) -> String {
    match r {
        Refusal::SelfAction => "You cannot demote or disable your own account.".into(),
        Refusal::LastAdmin => "That is the last active admin. Promote someone else first.".into(),
        Refusal::NoSuchSession => "That session had already ended.".into(),
    }
}

/// `GET /admin`: the user list.
pub async fn admin_home(_admin: AdminUser) -> HttpResponse {
    see_other("/admin/users")
}

// ---------------------------------------------------------------- the audit log

#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    action: Option<String>,
    user: Option<String>,
    before: Option<String>,
    after: Option<String>,
}

pub struct ActionOption {
    pub value: &'static str,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
pub struct AuditPage {
    pub chrome: Chrome,
    pub entries: Vec<AuditView>,
    pub actions: Vec<ActionOption>,
    pub user: String,
    pub user_note: Option<String>,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub first: Option<String>,
}

fn audit_link(action: Option<AuditAction>, user: &str, page: Option<(&str, i64)>) -> String {
    let mut pairs: Vec<(&str, String)> = Vec::new();
    if let Some(a) = action {
        pairs.push(("action", a.as_str().into()));
    }
    if !user.is_empty() {
        pairs.push(("user", user.into()));
    }
    if let Some((k, v)) = page {
        pairs.push((k, v.to_string()));
    }
    if pairs.is_empty() {
        "/admin/audit".into()
    } else {
        format!(
            "/admin/audit?{}",
            serde_urlencoded::to_string(&pairs).unwrap_or_default()
        )
    }
}

/// `GET /admin/audit`: newest first, keyset pages, filter by action and by user (email or
/// public id; entries where the user acted or was acted on).
#[tracing::instrument(skip_all)]
pub async fn audit_log(
    req: HttpRequest,
    admin: AdminUser,
    session: TypedSession,
    query: web::Query<AuditQuery>,
    svc: web::Data<SessionService>,
) -> Result<HttpResponse, AppError> {
    let action = match query.action.as_deref().unwrap_or("") {
        "" => None,
        a => Some(
            AuditAction::parse(a).ok_or_else(|| bad("There is no such action to filter by."))?,
        ),
    };
    let user = query.user.as_deref().unwrap_or("").trim().to_string();
    if user.len() > 320 {
        return Err(bad("That user filter is too long."));
    }
    let id_of = |raw: &Option<String>| -> Result<Option<i64>, AppError> {
        match raw.as_deref().unwrap_or("") {
            "" => Ok(None),
            s => s
                .parse::<i64>()
                .map(Some)
                .map_err(|_| bad("That page link is not valid.")),
        }
    };
    let page = match (id_of(&query.before)?, id_of(&query.after)?) {
        (None, None) => audit::Page::First,
        (Some(b), None) => audit::Page::Before(b),
        (None, Some(a)) => audit::Page::After(a),
        _ => return Err(bad("A page link cannot go both forwards and backwards.")),
    };
    let lookup = user.clone();
    let found = db::run(&svc.pool, move |conn| {
        let user_id = if lookup.is_empty() {
            None
        } else {
            let u: Option<User> = if let Ok(pid) = UserId::parse(&lookup) {
                users::find_by_public_id(conn, &pid)?
            } else if let Ok(e) = Email::parse(&lookup) {
                users::find_by_email(conn, &e)?
            } else {
                None
            };
            match u {
                Some(u) => Some(u.id),
                None => return Ok(None),
            }
        };
        let filter = audit::Filter { action, user_id };
        let (mut entries, mut more) = audit::list(conn, &filter, page, PAGE_SIZE)?;
        let mut page = page;
        if matches!(page, audit::Page::After(_)) && (entries.len() as i64) < PAGE_SIZE {
            page = audit::Page::First;
            (entries, more) = audit::list(conn, &filter, page, PAGE_SIZE)?;
        }
        Ok(Some((entries, more, page)))
    })
    .await?;
    let (entries, more, page, user_note) = match found {
        Some((e, m, p)) => (e, m, p, None),
        None => (
            Vec::new(),
            false,
            audit::Page::First,
            Some(format!("No user matches “{user}”.")),
        ),
    };
    let (has_prev, has_next) = match page {
        audit::Page::First => (false, more),
        audit::Page::Before(_) => (true, more),
        audit::Page::After(_) => (more, true),
    };
    let prev = entries
        .first()
        .filter(|_| has_prev)
        .map(|e| audit_link(action, &user, Some(("after", e.id))));
    let next = entries
        .last()
        .filter(|_| has_next)
        .map(|e| audit_link(action, &user, Some(("before", e.id))));
    let first = (!matches!(page, audit::Page::First)).then(|| audit_link(action, &user, None));
    let actions = AuditAction::ALL
        .into_iter()
        .map(|a| ActionOption {
            value: a.as_str(),
            label: a.as_str().replace('_', " "),
            selected: Some(a) == action,
        })
        .collect();
    render(AuditPage {
        chrome: Chrome::new(&req, Some(&admin.0), session.csrf_token()),
        entries: entries.into_iter().map(AuditView::from).collect(),
        actions,
        user,
        user_note,
        prev,
        next,
        first,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(thousands(-12345), "-12,345");
    }

    #[test]
    fn totals_say_when_they_are_estimates() {
        assert_eq!(total_text(Total::Exact(42)), "42");
        assert_eq!(
            total_text(Total::About(1_000_000)),
            "about 1,000,000 (estimate)"
        );
        assert_eq!(total_text(Total::MoreThan(100_000)), "more than 100,000");
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
        let c = chart(&daily);
        assert_eq!(c.bars.len(), 30);
        assert_eq!(c.max, 10);
        assert_eq!(c.bars[3].height, CHART_H);
        assert_eq!(c.bars[0].height, 0);
        assert!(c.bars[1].height >= 1);
        assert!(c.summary.contains("4 Nov 2026"), "{}", c.summary);
    }
}
