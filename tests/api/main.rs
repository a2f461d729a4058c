//! The integration suite: one test binary, one file per area. Every test spawns the real
//! application on port 0 with a fresh database (SQLite always; PostgreSQL too when
//! `TEST_DATABASE_URL` is set) and a dev provider on its own port, and drives them over HTTP.

mod binary;
mod browser;
mod helpers;
mod metrics;
mod scale_out;
mod smoke;
