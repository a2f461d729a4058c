//! `GET /admin/users`: the user list with its overview and chart, search, filters, sort and
//! keyset pages; the query string it reads and writes, and how a user is summed up.

use super::cache::OverviewCache;
use super::flash::Flash;
use super::overview::{BAR_STEP, CHART_H, CHART_W, Chart, OverviewView, chart, total_text};
use super::{AdminVisit, PAGE_SIZE, Pager, Reached, Step, bad, filter_refused};
use crate::admin::filters::UserFilters;
use crate::config::ProviderKind;
use crate::db;
use crate::db::user_list::{
    Cursor, ListFilter, ListPage, ListRow, SortKey, count_users, list_users as list_page,
};
use crate::db::users::User;
use crate::domain::{Email, Role, Status, UserId};
use crate::error::AppError;
use crate::i18n::format::Formats;
use crate::paths;
use crate::routes::identity_view::provider_name;
use crate::routes::render;
use crate::signin::SignIn;
use crate::web::{Chrome, initials};
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    role: Option<String>,
    status: Option<String>,
    provider: Option<String>,
    sort: Option<String>,
    dir: Option<String>,
    after: Option<String>,
    before: Option<String>,
}

impl ListQuery {
    /// The list's filters, checked as the command line's are (the export reads only these).
    pub fn filters(&self) -> Result<UserFilters, AppError> {
        UserFilters::parse(
            self.q.as_deref(),
            self.role.as_deref(),
            self.status.as_deref(),
            self.provider.as_deref(),
        )
        .map_err(filter_refused)
    }
}

/// The list's state, checked: everything the query string can say.
#[derive(Debug, Clone)]
struct ListState {
    search: String,
    role: Option<Role>,
    status: Option<Status>,
    provider: Option<ProviderKind>,
    sort: SortKey,
    descending: bool,
    page: ListPage,
}

impl ListState {
    fn parse(query: &ListQuery) -> Result<Self, AppError> {
        let UserFilters {
            search,
            role,
            status,
            provider,
        } = query.filters()?;
        let sort = match query.sort.as_deref().unwrap_or("created") {
            "created" => SortKey::Created,
            "last_sign_in" => SortKey::LastSignIn,
            _ => return Err(bad("error.admin.bad_sort")),
        };
        let descending = match query.dir.as_deref().unwrap_or("desc") {
            "desc" => true,
            "asc" => false,
            _ => return Err(bad("error.admin.bad_direction")),
        };
        let cursor =
            |raw: &str| Cursor::decode(raw).ok_or_else(|| bad("error.admin.bad_page_link"));
        let after = query.after.as_deref().filter(|s| !s.is_empty());
        let before = query.before.as_deref().filter(|s| !s.is_empty());
        let page = match (after, before) {
            (None, None) => ListPage::First,
            (Some(a), None) => ListPage::After(cursor(a)?),
            (None, Some(b)) => ListPage::Before(cursor(b)?),
            (Some(_), Some(_)) => {
                return Err(bad("error.admin.both_directions"));
            }
        };
        Ok(Self {
            search,
            role,
            status,
            provider,
            sort,
            descending,
            page,
        })
    }

    fn filters(&self) -> UserFilters {
        UserFilters {
            search: self.search.clone(),
            role: self.role,
            status: self.status,
            provider: self.provider,
        }
    }

    fn filter(&self) -> ListFilter {
        self.filters().list_filter()
    }

    /// The export of what this list shows (its filters; the order and page do not matter).
    fn export_link(&self) -> String {
        let pairs = self.filters().pairs();
        if pairs.is_empty() {
            return paths::ADMIN_USERS_EXPORT.into();
        }
        format!(
            "{}?{}",
            paths::ADMIN_USERS_EXPORT,
            serde_urlencoded::to_string(&pairs).unwrap_or_default()
        )
    }

    /// The key under which the filter's match count is cached.
    fn count_key(&self) -> String {
        format!(
            "{}\u{0}{}\u{0}{}\u{0}{}",
            self.search,
            self.role.map(Role::as_str).unwrap_or(""),
            self.status.map(Status::as_str).unwrap_or(""),
            self.provider.map(ProviderKind::key).unwrap_or("")
        )
    }

    fn sort_str(&self) -> &'static str {
        match self.sort {
            SortKey::Created => "created",
            SortKey::LastSignIn => "last_sign_in",
        }
    }

    /// The query string for this state with another sort, direction or page.
    fn link(&self, sort: &str, descending: bool, page: Option<(&str, String)>) -> String {
        let mut pairs = self.filters().pairs();
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

/// A user as both the list and the user's own page show them.
pub struct UserSummary {
    pub public_id: UserId,
    pub email: Email,
    pub name: String,
    pub initials: String,
    pub picture: Option<String>,
    pub is_admin: bool,
    pub disabled: bool,
    pub created: String,
    pub last_sign_in: String,
}

impl UserSummary {
    pub fn new(u: &User, f: &Formats) -> Self {
        Self {
            public_id: u.public_id.clone(),
            email: u.profile.email.clone(),
            name: u.profile.name.clone(),
            initials: initials(&u.profile.name),
            picture: u.profile.picture.clone(),
            is_admin: u.is_admin(),
            disabled: !u.is_active(),
            created: f.time(u.created_at),
            last_sign_in: match (u.invited, u.last_login_at) {
                (true, _) => f.lang.t("users.invited").into_owned(),
                (false, Some(t)) => f.time(t),
                (false, None) => f.lang.t("users.never").into_owned(),
            },
        }
    }
}

pub struct UserRowView {
    pub user: UserSummary,
    pub sessions: i64,
    /// The user's ways to sign in, as people read the providers' names.
    pub methods: String,
}

impl UserRowView {
    fn new(r: ListRow, f: &Formats, sign_in: &SignIn) -> Self {
        Self {
            user: UserSummary::new(&r.user, f),
            sessions: r.active_sessions,
            methods: r
                .providers
                .iter()
                .map(|p| provider_name(sign_in, p))
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

/// An option of the provider filter: every provider this service signs in with.
pub struct ProviderOption {
    pub key: &'static str,
    pub name: String,
}

pub struct SortLink {
    pub label: String,
    pub href: String,
    /// `ascending`, `descending` or `none`, for `aria-sort`.
    pub aria: &'static str,
    pub arrow: &'static str,
}

fn sort_link(state: &ListState, key: SortKey, label: String, sort: &str) -> SortLink {
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
    pub provider: &'static str,
    pub providers: Vec<ProviderOption>,
    pub sort: &'static str,
    pub dir: &'static str,
    pub sort_created: SortLink,
    pub sort_last: SortLink,
    pub pager: Pager,
    /// The CSV export of the rows these filters match.
    pub export: String,
}

/// `GET /admin/users`: overview, chart, search, filters, sort and keyset pages.
#[tracing::instrument(skip_all)]
pub async fn list_users(
    v: AdminVisit,
    query: web::Query<ListQuery>,
    cache: Option<web::Data<OverviewCache>>,
) -> Result<HttpResponse, AppError> {
    let mut state = ListState::parse(&query)?;
    let now = v.state.now();
    let filter = state.filter();
    let cached = cache.as_ref().and_then(|c| c.get(now));
    let fresh_overview = cached.is_none();
    let count_key = state.count_key();
    let cached_total = cache.as_ref().and_then(|c| c.count(&count_key, now));
    let (sort, descending, page) = (state.sort, state.descending, state.page);
    let (rows, more, page, total, overview) = db::run(&v.state.pool, move |conn| {
        let (mut rows, mut more) =
            list_page(conn, &filter, sort, descending, page, PAGE_SIZE, now)?;
        let mut page = page;
        // A short "previous" page means the start was reached: show the true first page.
        if matches!(page, ListPage::Before(_)) && (rows.len() as i64) < PAGE_SIZE {
            page = ListPage::First;
            (rows, more) = list_page(conn, &filter, sort, descending, page, PAGE_SIZE, now)?;
        }
        let total = match cached_total {
            Some(t) => t,
            None => count_users(conn, &filter)?,
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
    let reached = match page {
        ListPage::First => Reached::Start,
        ListPage::After(_) => Reached::Forward,
        ListPage::Before(_) => Reached::Back,
    };
    let sort_s = state.sort_str();
    let pager = Pager::new(&rows, reached, more, |to| {
        let cursor = to.map(|(step, r)| match step {
            Step::Back => ("before", r.cursor.encode()),
            Step::Forward => ("after", r.cursor.encode()),
        });
        state.link(sort_s, state.descending, cursor)
    });
    let chrome = v.chrome();
    let f = chrome.formats;
    render(UsersPage {
        flash: Flash::take(&v.session),
        overview: OverviewView::new(&overview, &f),
        chart: chart(&overview.daily, &f),
        chart_h: CHART_H,
        chart_w: CHART_W,
        bar_w: BAR_STEP - 4,
        rows: rows
            .into_iter()
            .map(|r| UserRowView::new(r, &f, &v.state.sign_in))
            .collect(),
        total: total_text(total, &f),
        search: state.search.clone(),
        role: state.role.map(Role::as_str).unwrap_or(""),
        status: state.status.map(Status::as_str).unwrap_or(""),
        provider: state.provider.map(ProviderKind::key).unwrap_or(""),
        providers: ProviderKind::ALL
            .into_iter()
            .filter_map(|k| {
                v.state.sign_in.provider(k.key()).map(|p| ProviderOption {
                    key: k.key(),
                    name: p.display_name().to_string(),
                })
            })
            .collect(),
        sort: sort_s,
        dir: if state.descending { "desc" } else { "asc" },
        sort_created: sort_link(
            &state,
            SortKey::Created,
            chrome.t("col.created").into(),
            "created",
        ),
        sort_last: sort_link(
            &state,
            SortKey::LastSignIn,
            chrome.t("home.last_sign_in").into(),
            "last_sign_in",
        ),
        export: state.export_link(),
        chrome,
        pager,
    })
}
