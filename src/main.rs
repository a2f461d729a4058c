//! The command line: `serve [--dev]`, `migrate`, `check-config`, `healthcheck`, `users …`,
//! `audit export`.
//! Wiring only.
#![deny(clippy::unwrap_used, clippy::expect_used)]

use clap::{Args, Parser, Subcommand};
use signin::cli::export::{ExportCommand, ExportWhat};
use signin::cli::{self, UsersCommand};
use signin::config::{Config, DatabaseConfig, LogFormat, ProviderKind};
use signin::db::{self, DbPool, SetupError};
use signin::startup::{AppOptions, Application};
use std::process::ExitCode;

/// jemalloc hands freed pages back to the system after about 10 s; glibc's malloc kept them in
/// its arenas, and RSS crept up for 25 minutes under steady load before it levelled off
/// (docs/BENCHMARKS.md, "Soak").
#[cfg(all(feature = "jemalloc", target_os = "linux", target_env = "gnu"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[derive(Parser)]
#[command(
    name = "signin",
    version,
    about = "Sign in with Google: pages, admin and API in one binary"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web service (applies pending migrations first).
    Serve {
        /// Mount the built-in development OpenID provider instead of Google.
        #[arg(long)]
        dev: bool,
        /// With --dev: approve at once when the request carries login_hint (benchmarks).
        #[arg(long, requires = "dev")]
        dev_auto_approve: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Validate the configuration, print every problem, exit non-zero if there is one.
    CheckConfig {
        /// Check as `serve --dev` would.
        #[arg(long)]
        dev: bool,
    },
    /// Exit 0 if the service answers 200 at URL (default: /readyz on BIND_ADDR), else 1 with
    /// the reason (for container and supervisor health checks; no curl needed).
    Healthcheck {
        /// The URL to GET, e.g. http://127.0.0.1:8000/readyz.
        url: Option<String>,
        /// How long to wait for the answer (e.g. 2s, 500ms).
        #[arg(long, default_value = "2s")]
        timeout: String,
    },
    /// Manage users: list, add, promote, demote, disable, enable, delete, export, seed (audited
    /// as `cli`).
    Users {
        #[command(subcommand)]
        command: UsersCmd,
    },
    /// The audit log: export (audited as `cli`).
    Audit {
        #[command(subcommand)]
        command: AuditCmd,
    },
}

/// Where an export goes, the same for `users export` and `audit export`.
#[derive(Args)]
struct ExportTo {
    /// csv or json (JSON Lines).
    #[arg(long, default_value = "csv")]
    format: String,
    /// Write to this file instead of stdout.
    #[arg(long)]
    output: Option<std::path::PathBuf>,
}

impl ExportTo {
    fn command(self, what: ExportWhat) -> UsersCommand {
        UsersCommand::Export(ExportCommand {
            what,
            format: self.format,
            output: self.output,
        })
    }
}

#[derive(Subcommand)]
enum AuditCmd {
    /// Write the audit log, oldest first, as CSV or JSON Lines (one object per entry).
    Export {
        #[command(flatten)]
        to: ExportTo,
        /// Only entries of this action (as stored, e.g. sign_in, promote).
        #[arg(long)]
        action: Option<String>,
        /// Only entries where this user (email or public id) acted or was acted on.
        #[arg(long)]
        user: Option<String>,
    },
}

#[derive(Subcommand)]
enum UsersCmd {
    /// Print every user (or only the admins).
    List {
        #[arg(long)]
        admins: bool,
    },
    /// Give the admin role.
    Promote { email: String },
    /// Take the admin role away (never the last active admin).
    Demote { email: String },
    /// Disable the account and end its sessions.
    Disable { email: String },
    /// Let a disabled account sign in again.
    Enable { email: String },
    /// Invite someone: the account exists before their first sign-in, which claims it when the
    /// provider has verified this email.
    Add {
        email: String,
        /// Give the admin role.
        #[arg(long)]
        admin: bool,
        /// The name shown (default: the provider's at the first sign-in).
        #[arg(long)]
        name: Option<String>,
    },
    /// Delete the account, its sessions and tokens (never the last active admin); audit rows
    /// are pseudonymised.
    Delete { email: String },
    /// Write the users, in id order, as CSV or JSON Lines (one object per user), with the
    /// admin list's filters.
    Export {
        #[command(flatten)]
        to: ExportTo,
        /// Only this role (user or admin).
        #[arg(long)]
        role: Option<String>,
        /// Only this status (active or disabled).
        #[arg(long)]
        status: Option<String>,
        /// Only emails or names starting with this (case-insensitive), as the list's search.
        #[arg(long)]
        q: Option<String>,
        /// Only users who can sign in with this provider (google, oidc, kakao, naver, github).
        #[arg(long)]
        provider: Option<String>,
    },
    /// Insert synthetic users for measurements (refused when APP_ENV=production).
    Seed {
        #[arg(long)]
        count: u64,
    },
}

impl From<UsersCmd> for UsersCommand {
    fn from(c: UsersCmd) -> Self {
        match c {
            UsersCmd::List { admins } => UsersCommand::List { admins },
            UsersCmd::Promote { email } => UsersCommand::Promote(email),
            UsersCmd::Demote { email } => UsersCommand::Demote(email),
            UsersCmd::Disable { email } => UsersCommand::Disable(email),
            UsersCmd::Enable { email } => UsersCommand::Enable(email),
            UsersCmd::Seed { count } => UsersCommand::Seed { count },
            UsersCmd::Add { email, admin, name } => UsersCommand::Add { email, admin, name },
            UsersCmd::Delete { email } => UsersCommand::Delete(email),
            UsersCmd::Export {
                to,
                role,
                status,
                q,
                provider,
            } => to.command(ExportWhat::Users {
                role,
                status,
                q,
                provider,
            }),
        }
    }
}

/// `users …`: like `migrate`, needs only the database settings (and `APP_ENV`: seeding is refused
/// in production), not the rest of the configuration.
fn users_command(cmd: UsersCommand) -> ExitCode {
    let database = match load_database_config() {
        Ok(d) => d,
        Err(code) => return code,
    };
    signin::telemetry::init(LogFormat::Pretty, "warn", std::io::stderr);
    let result = open_database(&database).and_then(|(pool, _)| db::connect(&pool, &database.url));
    let mut conn = match result {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let out = &mut std::io::stdout().lock();
    let err = &mut std::io::stderr();
    match cli::run(
        &mut conn,
        cmd,
        database.is_production(),
        chrono::Utc::now(),
        out,
        err,
    ) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `healthcheck`: one line either way; exit 1 for every failure (Docker reserves 2).
fn healthcheck_command(url: Option<String>, timeout: &str) -> ExitCode {
    use signin::cli::healthcheck;
    let target = match url {
        Some(raw) => healthcheck::parse_url(&raw),
        None => healthcheck::default_url(
            std::env::var("BIND_ADDR")
                .ok()
                .filter(|v| !v.trim().is_empty())
                .as_deref()
                .unwrap_or(signin::config::DEFAULT_BIND_ADDR),
        ),
    };
    let timeout = match signin::config::parse_duration(timeout).map(|d| d.to_std()) {
        Ok(Ok(t)) if !t.is_zero() => t,
        _ => {
            eprintln!("unhealthy: --timeout `{timeout}` is not a duration like 2s or 500ms");
            return ExitCode::FAILURE;
        }
    };
    let result = target.and_then(|url| {
        actix_web::rt::System::new()
            .block_on(healthcheck::check(&url, timeout))
            .map(|()| url)
    });
    match result {
        Ok(url) => {
            println!("healthy: {url} answered 200");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("unhealthy: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `migrate`: applies pending migrations and says how many.
fn migrate_command() -> ExitCode {
    let database = match load_database_config() {
        Ok(d) => d,
        Err(code) => return code,
    };
    signin::telemetry::init(LogFormat::Pretty, "info", std::io::stderr);
    match open_database(&database) {
        Ok((_, applied)) => {
            println!("{} migration(s) applied", applied.len());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// One-off commands work on one connection at a time. A larger pool would open a spare in the
/// background while the migration holds the first, only to contend with it (on SQLite, for the
/// write lock); `DATABASE_POOL_SIZE` sizes the server's pool.
const ONE_OFF_POOL_SIZE: u32 = 1;

/// The pool, once the database is reachable and migrated; also the migrations applied.
fn open_database(database: &DatabaseConfig) -> Result<(DbPool, Vec<String>), SetupError> {
    let pool = db::build_pool(&database.url, ONE_OFF_POOL_SIZE, database.pool_timeout)?;
    let applied = db::connect_and_migrate(&pool, &database.url)?;
    Ok((pool, applied))
}

/// Every problem printed, exit code 2 (a usage error, as for an invalid configuration).
fn load_database_config() -> Result<DatabaseConfig, ExitCode> {
    DatabaseConfig::from_process_env().map_err(|e| {
        eprintln!("{e}");
        ExitCode::from(2)
    })
}

fn load_config(dev: bool) -> Result<Config, ExitCode> {
    Config::from_process_env(dev).map_err(|e| {
        eprintln!("{e}");
        ExitCode::from(2)
    })
}

fn main() -> ExitCode {
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve {
        dev: false,
        dev_auto_approve: false,
    });
    match command {
        Command::Users { command } => users_command(command.into()),
        Command::Healthcheck { url, timeout } => healthcheck_command(url, &timeout),
        Command::Audit {
            command: AuditCmd::Export { to, action, user },
        } => users_command(to.command(ExportWhat::Audit { action, user })),
        Command::CheckConfig { dev } => match load_config(dev) {
            Ok(c) => {
                println!(
                    "configuration is valid: {:?} on {} (database {}, API tokens live {} days)",
                    c.app_env,
                    c.origin(),
                    c.database.url,
                    c.lifetimes.api_ttl.num_days()
                );
                for &kind in &c.providers.enabled {
                    println!(
                        "  provider {}: redirect URI to register {}",
                        kind.key(),
                        c.redirect_uri_of(kind)
                    );
                    match (kind, &c.providers.oidc) {
                        (ProviderKind::Oidc, Some(o)) => println!(
                            "    issuer {} (endpoints by discovery at start), button \"{}\"",
                            o.issuer, o.name
                        ),
                        _ => {
                            let p = c
                                .providers
                                .fixed
                                .iter()
                                .find(|p| p.kind == kind)
                                .unwrap_or(&c.providers.google);
                            println!("    issuer {}", p.issuer);
                            let mut urls = vec![
                                ("authorize", &p.auth_url),
                                ("token", &p.token_url),
                                ("userinfo/profile", &p.userinfo_url),
                            ];
                            if kind.is_openid() {
                                urls.push(("jwks", &p.jwks_url));
                            }
                            for (name, url) in urls {
                                println!("    {name} URL: {url}");
                            }
                        }
                    }
                }
                if !c.secrets.from_files.is_empty() {
                    println!(
                        "  secrets read from files: {}",
                        c.secrets.from_files.join(", ")
                    );
                }
                match &c.server.metrics_addr {
                    Some(a) => println!("  /metrics on {a} only (METRICS_ADDR)"),
                    None => {
                        println!("  /metrics on the public listener (set METRICS_ADDR to move it)")
                    }
                }
                ExitCode::SUCCESS
            }
            Err(code) => code,
        },
        Command::Migrate => migrate_command(),
        Command::Serve {
            dev,
            dev_auto_approve,
        } => {
            let config = match load_config(dev) {
                Ok(c) => c,
                Err(code) => return code,
            };
            signin::telemetry::init(config.log_format, "info", std::io::stdout);
            let result = actix_web::rt::System::new().block_on(async move {
                let origin = config.origin().to_string();
                let bind = config.server.bind_addr.clone();
                let app = Application::build(
                    config,
                    AppOptions {
                        dev_auto_approve,
                        ..AppOptions::default()
                    },
                )
                .await?;
                tracing::info!(%bind, %origin, dev, "listening");
                app.run_until_stopped().await?;
                anyhow::Ok(())
            });
            match result {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}
