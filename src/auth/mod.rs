//! The web side of authentication: the typed cookie session (`cookie`), the extractors that
//! hand handlers the signed-in person (`extractors`), and the middleware that checks and renews
//! the session on every request (`middleware`). The sessions themselves are owned by
//! `crate::sessions::Sessions`.

pub mod cookie;
pub mod extractors;
pub mod flow;
pub mod middleware;
pub mod rekey;

pub use crate::sessions::{AuthVia, CurrentUser};
pub use cookie::TypedSession;
pub use extractors::{AdminUser, ApiUser, Checked, CsrfForm};
