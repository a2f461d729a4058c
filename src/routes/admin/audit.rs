//! `GET /admin/audit`: the audit log, newest first, in keyset pages, filtered by action and by
//! user; and how one entry reads (also on a user's page).

use super::{AdminVisit, PAGE_SIZE, Pager, Reached, Step, bad, filter_refused};
use crate::admin::filters::AuditFilters;
use crate::db;
use crate::db::audit::{self, AuditAction, Page};
use crate::db::users;
use crate::error::AppError;
use crate::i18n::format::Formats;
use crate::paths;
use crate::routes::render;
use crate::web::Chrome;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

/// An actor or a target on the page: its label, linked to the account while it exists.
pub struct PartyView {
    pub label: String,
    pub href: Option<String>,
}

impl PartyView {
    fn new(p: audit::Party) -> Self {
        Self {
            href: p.public_id.map(|id| format!("/admin/users/{id}")),
            label: p.label,
        }
    }
}

pub struct AuditView {
    pub at: String,
    pub actor: PartyView,
    pub action: String,
    pub target: PartyView,
    pub detail: String,
    pub ip: String,
}

/// An audit action's label in the reader's language (an action newer than the catalog reads as
/// it is stored).
pub fn action_label(f: &Formats, action: &str) -> String {
    let key = format!("audit.action.{action}");
    f.lang
        .try_t(&key)
        .map_or_else(|| action.replace('_', " "), str::to_string)
}

impl AuditView {
    pub fn new(e: audit::Entry, f: &Formats) -> Self {
        Self {
            at: f.time(e.at),
            actor: PartyView::new(e.actor),
            action: action_label(f, &e.action),
            target: e.target.map_or_else(
                || PartyView {
                    label: "—".into(),
                    href: None,
                },
                PartyView::new,
            ),
            detail: e.detail.unwrap_or_default(),
            ip: e.ip.unwrap_or_default(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    action: Option<String>,
    user: Option<String>,
    before: Option<String>,
    after: Option<String>,
}

impl AuditQuery {
    /// The log's filters, checked as the command line's are (the export reads only these).
    pub fn filters(&self) -> Result<AuditFilters, AppError> {
        AuditFilters::parse(self.action.as_deref(), self.user.as_deref()).map_err(filter_refused)
    }
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
    pub pager: Pager,
    /// The CSV export of the entries these filters match.
    pub export: String,
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

/// The page a `before` or `after` entry id asks for.
fn parse_page(query: &AuditQuery) -> Result<Page, AppError> {
    let id_of = |raw: &Option<String>| -> Result<Option<i64>, AppError> {
        match raw.as_deref().unwrap_or("") {
            "" => Ok(None),
            s => s
                .parse::<i64>()
                .map(Some)
                .map_err(|_| bad("error.admin.bad_page_link")),
        }
    };
    match (id_of(&query.before)?, id_of(&query.after)?) {
        (None, None) => Ok(Page::First),
        (Some(b), None) => Ok(Page::Before(b)),
        (None, Some(a)) => Ok(Page::After(a)),
        _ => Err(bad("error.admin.both_directions")),
    }
}

/// `GET /admin/audit`: newest first, keyset pages, filter by action and by user (email or
/// public id; entries where the user acted or was acted on).
#[tracing::instrument(skip_all)]
pub async fn audit_log(
    v: AdminVisit,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    let AuditFilters { action, user } = query.filters()?;
    let page = parse_page(&query)?;
    let lookup = user.clone();
    let found = db::run(&v.state.pool, move |conn| {
        let user_id = if lookup.is_empty() {
            None
        } else {
            match users::find_by_id_or_email(conn, &lookup)? {
                Some(u) => Some(u.id),
                None => return Ok(None),
            }
        };
        let filter = audit::Filter { action, user_id };
        let (mut entries, mut more) = audit::list(conn, &filter, page, PAGE_SIZE)?;
        let mut page = page;
        if matches!(page, Page::After(_)) && (entries.len() as i64) < PAGE_SIZE {
            page = Page::First;
            (entries, more) = audit::list(conn, &filter, page, PAGE_SIZE)?;
        }
        Ok(Some((entries, more, page)))
    })
    .await?;
    let chrome = v.chrome();
    let (entries, more, page, user_note) = match found {
        Some((e, m, p)) => (e, m, p, None),
        None => (
            Vec::new(),
            false,
            Page::First,
            Some(chrome.t1("audit.no_user", "user", &user)),
        ),
    };
    // Newest first: older entries ("before" an id) are a step forward.
    let reached = match page {
        Page::First => Reached::Start,
        Page::Before(_) => Reached::Forward,
        Page::After(_) => Reached::Back,
    };
    let pager = Pager::new(&entries, reached, more, |to| {
        let id = to.map(|(step, e)| match step {
            Step::Back => ("after", e.id),
            Step::Forward => ("before", e.id),
        });
        audit_link(action, &user, id)
    });
    let actions = AuditAction::ALL
        .into_iter()
        .map(|a| ActionOption {
            value: a.as_str(),
            label: action_label(&chrome.formats, a.as_str()),
            selected: Some(a) == action,
        })
        .collect();
    let filters = AuditFilters {
        action,
        user: user.clone(),
    }
    .pairs();
    let export = if filters.is_empty() {
        paths::ADMIN_AUDIT_EXPORT.to_string()
    } else {
        format!(
            "{}?{}",
            paths::ADMIN_AUDIT_EXPORT,
            serde_urlencoded::to_string(&filters).unwrap_or_default()
        )
    };
    render(AuditPage {
        export,
        entries: entries
            .into_iter()
            .map(|e| AuditView::new(e, &chrome.formats))
            .collect(),
        chrome,
        actions,
        user,
        user_note,
        pager,
    })
}
