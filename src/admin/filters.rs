//! The filters of the admin user list and of the audit log, checked once from what a person
//! typed: the pages' query strings, the exports' links and the command line's flags all go
//! through here, so that a filter means the same thing everywhere.

use crate::config::ProviderKind;
use crate::db::audit::AuditAction;
use crate::db::user_list::ListFilter;
use crate::domain::{Role, Status};

/// Longest search accepted (longer cannot match a useful prefix and costs index work).
pub const MAX_SEARCH_LEN: usize = 100;
/// Longest audit user filter accepted (an email is at most 320 characters).
pub const MAX_USER_FILTER_LEN: usize = 320;

/// Why a filter was refused; `key()` is the catalog's message, `Display` its English text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterError {
    BadSearch,
    NoSuchRole,
    NoSuchStatus,
    NoSuchProvider,
    NoSuchAction,
    UserFilterTooLong,
}

impl std::fmt::Display for FilterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", crate::i18n::Msg::new(self.key()))
    }
}

impl std::error::Error for FilterError {}

impl FilterError {
    pub fn key(self) -> &'static str {
        match self {
            FilterError::BadSearch => "error.admin.bad_search",
            FilterError::NoSuchRole => "error.admin.no_such_role",
            FilterError::NoSuchStatus => "error.admin.no_such_status",
            FilterError::NoSuchProvider => "error.admin.no_such_provider",
            FilterError::NoSuchAction => "error.admin.no_such_action",
            FilterError::UserFilterTooLong => "error.admin.user_filter_too_long",
        }
    }
}

/// The user list's filters: a search prefix (trimmed; empty for none), a role, a status and a
/// way to sign in (absent or empty for any).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserFilters {
    pub search: String,
    pub role: Option<Role>,
    pub status: Option<Status>,
    /// Users with an identity at this provider.
    pub provider: Option<ProviderKind>,
}

impl UserFilters {
    pub fn parse(
        search: Option<&str>,
        role: Option<&str>,
        status: Option<&str>,
        provider: Option<&str>,
    ) -> Result<Self, FilterError> {
        let search = search.unwrap_or("").trim().to_string();
        if search.chars().count() > MAX_SEARCH_LEN || search.chars().any(char::is_control) {
            return Err(FilterError::BadSearch);
        }
        let role = match role.unwrap_or("") {
            "" => None,
            r => Some(Role::parse(r).map_err(|_| FilterError::NoSuchRole)?),
        };
        let status = match status.unwrap_or("") {
            "" => None,
            s => Some(Status::parse(s).map_err(|_| FilterError::NoSuchStatus)?),
        };
        let provider = match provider.unwrap_or("") {
            "" => None,
            p => Some(ProviderKind::parse(p).ok_or(FilterError::NoSuchProvider)?),
        };
        Ok(Self {
            search,
            role,
            status,
            provider,
        })
    }

    /// The query the list and the export run.
    pub fn list_filter(&self) -> ListFilter {
        ListFilter {
            prefix: (!self.search.is_empty()).then(|| self.search.clone()),
            role: self.role,
            status: self.status,
            provider: self.provider.map(ProviderKind::key),
        }
    }

    /// The filters as query-string pairs (those in use only).
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if !self.search.is_empty() {
            pairs.push(("q", self.search.clone()));
        }
        if let Some(r) = self.role {
            pairs.push(("role", r.as_str().into()));
        }
        if let Some(s) = self.status {
            pairs.push(("status", s.as_str().into()));
        }
        if let Some(p) = self.provider {
            pairs.push(("provider", p.key().into()));
        }
        pairs
    }
}

/// The audit log's filters: an action, and a user by email or public id (trimmed; empty for
/// none), resolved to a row by the reader.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilters {
    pub action: Option<AuditAction>,
    pub user: String,
}

impl AuditFilters {
    pub fn parse(action: Option<&str>, user: Option<&str>) -> Result<Self, FilterError> {
        let action = match action.unwrap_or("") {
            "" => None,
            a => Some(AuditAction::parse(a).ok_or(FilterError::NoSuchAction)?),
        };
        let user = user.unwrap_or("").trim().to_string();
        if user.len() > MAX_USER_FILTER_LEN {
            return Err(FilterError::UserFilterTooLong);
        }
        Ok(Self { action, user })
    }

    /// The filters as query-string pairs (those in use only).
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if let Some(a) = self.action {
            pairs.push(("action", a.as_str().into()));
        }
        if !self.user.is_empty() {
            pairs.push(("user", self.user.clone()));
        }
        pairs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_filters_are_checked() {
        let f = UserFilters::parse(Some("  ann "), Some("admin"), Some(""), Some("")).unwrap();
        assert_eq!(f.search, "ann");
        assert_eq!(f.role, Some(Role::Admin));
        assert_eq!(f.status, None);
        assert_eq!(
            f.pairs(),
            vec![("q", "ann".into()), ("role", "admin".into())]
        );
        assert_eq!(
            UserFilters::parse(None, Some("root"), None, None),
            Err(FilterError::NoSuchRole)
        );
        assert_eq!(
            UserFilters::parse(None, None, Some("gone"), None),
            Err(FilterError::NoSuchStatus)
        );
        assert_eq!(
            UserFilters::parse(Some("a\u{7}b"), None, None, None),
            Err(FilterError::BadSearch)
        );
        let long = "x".repeat(MAX_SEARCH_LEN + 1);
        assert_eq!(
            UserFilters::parse(Some(&long), None, None, None),
            Err(FilterError::BadSearch)
        );
        assert_eq!(
            FilterError::NoSuchRole.to_string(),
            "There is no such role to filter by."
        );
        let github = UserFilters::parse(None, None, None, Some("github")).unwrap();
        assert_eq!(github.pairs(), vec![("provider", "github".into())]);
        assert_eq!(github.list_filter().provider, Some("github"));
        assert_eq!(
            UserFilters::parse(None, None, None, Some("myspace")),
            Err(FilterError::NoSuchProvider)
        );
    }

    #[test]
    fn audit_filters_are_checked() {
        let f = AuditFilters::parse(Some("sign_in"), Some(" a@b.c ")).unwrap();
        assert_eq!(f.action, Some(AuditAction::SignIn));
        assert_eq!(f.user, "a@b.c");
        assert_eq!(
            AuditFilters::parse(Some("nope"), None),
            Err(FilterError::NoSuchAction)
        );
        let long = "x".repeat(MAX_USER_FILTER_LEN + 1);
        assert_eq!(
            AuditFilters::parse(None, Some(&long)),
            Err(FilterError::UserFilterTooLong)
        );
    }
}
