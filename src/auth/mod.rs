//! Authentication: the provider (OIDC) client, the app JWT, the typed cookie session, the
//! revocation cache and the middleware that checks and renews the session on every request.

pub mod app_jwt;
pub mod cache;
pub mod current_user;
pub mod keys;
pub mod middleware;
pub mod provider;
pub mod session;

pub use current_user::{ApiUser, CurrentUser};
