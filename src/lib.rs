//! Sign in with Google: one actix-web service with pages, an admin area and a small JSON API.
#![deny(clippy::unwrap_used, clippy::expect_used)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod admin;
pub mod auth;
pub mod cache;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod dev_provider;
pub mod domain;
pub mod error;
pub mod export;
pub mod i18n;
pub mod metrics;
pub mod net;
pub mod paths;
pub mod provider;
pub mod rate_limit;
pub mod routes;
pub mod secret;
pub mod security;
pub mod sessions;
pub mod signin;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod web;
