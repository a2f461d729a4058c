//! Route paths, written once: the route table, redirects, the redirect URI and the metrics
//! all take them from here.

pub const HOME: &str = "/";
pub const LOGIN: &str = "/login";
pub const GOOGLE_LOGIN: &str = "/auth/google/login";
/// The OAuth redirect URI is `APP_BASE_URL` + this, always from configuration.
pub const GOOGLE_CALLBACK: &str = "/auth/google/callback";
pub const LOGOUT: &str = "/logout";
pub const TOKENS: &str = "/tokens";
pub const API_ME: &str = "/api/me";
pub const ADMIN: &str = "/admin";
pub const ADMIN_USERS: &str = "/admin/users";
pub const ADMIN_AUDIT: &str = "/admin/audit";
/// Where `serve --dev` mounts the development provider.
pub const DEV_PROVIDER: &str = "/dev/oidc";
pub const HEALTHZ: &str = "/healthz";
pub const READYZ: &str = "/readyz";
pub const METRICS: &str = "/metrics";
