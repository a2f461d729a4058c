//! The site's paths, written once: the route table mounts them, and everything that must
//! recognise a route or build a link to it (redirect URI, headers, metrics) refers to them.

pub const HOME: &str = "/";
pub const LOGIN: &str = "/login";
/// Starts a sign-in with Google: redirects to the provider.
pub const GOOGLE_LOGIN: &str = "/auth/google/login";
/// Where Google sends the browser back (the OAuth redirect URI's path).
pub const GOOGLE_CALLBACK: &str = "/auth/google/callback";
/// Route pattern: starts a sign-in with the provider of that key (`GOOGLE_LOGIN` is one).
pub const PROVIDER_LOGIN: &str = "/auth/{provider}/login";
/// Route pattern: where that provider sends the browser back (`GOOGLE_CALLBACK` is one).
pub const PROVIDER_CALLBACK: &str = "/auth/{provider}/callback";
/// Every callback path starts with this (headers keep the code out of any `Referer`).
pub const AUTH: &str = "/auth/";

/// The sign-in path of the provider `key`.
pub fn login(key: &str) -> String {
    PROVIDER_LOGIN.replace("{provider}", key)
}

/// The callback path of the provider `key` (its OAuth redirect URI's path).
pub fn callback(key: &str) -> String {
    PROVIDER_CALLBACK.replace("{provider}", key)
}
pub const LOGOUT: &str = "/logout";
/// The footer's language switcher.
pub const LANGUAGE: &str = "/language";
pub const TOKENS: &str = "/tokens";
/// The signed-in person's own sessions, tokens and account.
pub const ACCOUNT: &str = "/account";
pub const ACCOUNT_REVOKE: &str = "/account/revoke";
/// Adds another way to sign in (a link flow with the provider named in the form).
pub const ACCOUNT_LINK: &str = "/account/link";
/// Removes one of the account's ways to sign in (never the last).
pub const ACCOUNT_UNLINK: &str = "/account/unlink";
pub const ACCOUNT_SIGN_OUT_OTHERS: &str = "/account/sign-out-others";
pub const ACCOUNT_DELETE: &str = "/account/delete";
/// The JSON API's prefix.
pub const API: &str = "/api";
pub const API_ME: &str = "/api/me";
pub const ADMIN: &str = "/admin";
pub const ADMIN_USERS: &str = "/admin/users";
/// The user list as CSV, with the list's filters (mounted before `ADMIN_USER`).
pub const ADMIN_USERS_EXPORT: &str = "/admin/users/export.csv";
/// Route pattern: one user's page.
pub const ADMIN_USER: &str = "/admin/users/{public_id}";
/// Route pattern: an action (promote, disable, …) on one user.
pub const ADMIN_USER_ACTION: &str = "/admin/users/{public_id}/{action}";
pub const ADMIN_AUDIT: &str = "/admin/audit";
/// The audit log as CSV, with the log's filters.
pub const ADMIN_AUDIT_EXPORT: &str = "/admin/audit/export.csv";
/// Where the built-in development provider is mounted on the app's own origin (standing in
/// for Google).
pub const DEV_PROVIDER: &str = "/dev/oidc";
/// Where the development provider standing in for `oidc` (any OpenID provider) is mounted.
pub const DEV_OIDC_PROVIDER: &str = "/dev/openid";
pub const HEALTHZ: &str = "/healthz";
pub const READYZ: &str = "/readyz";
pub const METRICS: &str = "/metrics";
/// The static files' prefix.
pub const STATIC: &str = "/static";
/// Route pattern: one static file.
pub const STATIC_FILE: &str = "/static/{file}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_absolute_without_a_trailing_slash() {
        for p in [
            LOGIN,
            GOOGLE_LOGIN,
            GOOGLE_CALLBACK,
            PROVIDER_LOGIN,
            PROVIDER_CALLBACK,
            DEV_OIDC_PROVIDER,
            LOGOUT,
            TOKENS,
            ACCOUNT,
            ACCOUNT_REVOKE,
            ACCOUNT_LINK,
            ACCOUNT_UNLINK,
            ACCOUNT_SIGN_OUT_OTHERS,
            ACCOUNT_DELETE,
            API,
            API_ME,
            ADMIN,
            ADMIN_USERS,
            ADMIN_USERS_EXPORT,
            ADMIN_USER,
            ADMIN_USER_ACTION,
            ADMIN_AUDIT,
            ADMIN_AUDIT_EXPORT,
            DEV_PROVIDER,
            HEALTHZ,
            READYZ,
            METRICS,
            STATIC,
            STATIC_FILE,
        ] {
            assert!(p.starts_with('/') && !p.ends_with('/'), "{p}");
        }
        assert_eq!(HOME, "/");
        assert_eq!(login("google"), GOOGLE_LOGIN);
        assert_eq!(callback("google"), GOOGLE_CALLBACK);
        assert!(callback("oidc").starts_with(AUTH));
        assert!(API_ME.starts_with(&format!("{API}/")));
        assert!(ADMIN_USER.starts_with(&format!("{ADMIN_USERS}/")));
        assert!(ADMIN_USERS_EXPORT.starts_with(&format!("{ADMIN_USERS}/")));
        assert!(ADMIN_AUDIT_EXPORT.starts_with(&format!("{ADMIN_AUDIT}/")));
        assert!(STATIC_FILE.starts_with(&format!("{STATIC}/")));
    }
}
