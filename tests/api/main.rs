//! The integration suite: one test binary, one file per area, one harness (`helpers`). Every
//! test spawns the real application (`TestApp`) on port 0 with a fresh database (SQLite always;
//! PostgreSQL too when `TEST_DATABASE_URL` is set) and a dev provider on its own port, and drives
//! them over HTTP; the process and browser tests run the real binary (`RunningBinary`).

mod a11y;
mod account;
mod admin;
mod admin_grant;
mod allowlist;
mod api_me;
mod api_tokens;
mod auto_link;
mod binary;
mod browser;
mod browser_linking;
mod dev_admin;
mod exports;
mod flow_cookie;
mod hardening_db;
mod hardening_headers;
mod hardening_props;
mod hardening_provider;
mod hardening_rate_limit;
mod health;
mod healthcheck;
mod helpers;
mod i18n;
mod id_token;
mod invitations;
mod keys;
mod last_admin;
mod limits;
mod linking;
mod logout;
mod metrics;
mod migrations;
mod more_providers;
mod process;
mod provider_checks;
mod provider_failures;
mod providers;
mod renewal;
mod request_id;
mod scale_out;
mod sign_in;
mod smoke;
