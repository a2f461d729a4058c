//! `signin users …`: list, invite (`add`), promote, demote, disable, enable, delete, export and
//! seed from the command line; `signin audit export`; and `signin healthcheck` (`healthcheck.rs`).
//! Every change goes through `admin::perform`, so it obeys the same rules and is audited with
//! the actor `cli`.

pub mod export;
pub mod healthcheck;
pub mod seed;

use crate::admin::{Action, delete_user, perform};
use crate::db::audit::Actor;
use crate::db::invitations;
use crate::db::user_list::users_after;
use crate::db::users::find_by_email;
use crate::db::{DbConn, DbError};
use crate::domain::{Email, Role};
use chrono::{DateTime, Utc};
use std::io::Write;

/// A `users` subcommand, as parsed by `main`.
#[derive(Debug, Clone)]
pub enum UsersCommand {
    List {
        admins: bool,
    },
    Promote(String),
    Demote(String),
    Disable(String),
    Enable(String),
    Seed {
        count: u64,
    },
    /// An invitation: the account exists before the first sign-in.
    Add {
        email: String,
        admin: bool,
        name: Option<String>,
    },
    Delete(String),
    /// `users export` and `audit export`.
    Export(export::ExportCommand),
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The person asked for something that cannot be done; the message says why.
    #[error("{0}")]
    Refused(String),
    #[error("database error: {0}")]
    Db(#[from] DbError),
    #[error("cannot write the output: {0}")]
    Io(#[from] std::io::Error),
}

/// Runs one command, printing to `out` (progress of a seed goes to `err`).
pub fn run(
    conn: &mut DbConn,
    cmd: UsersCommand,
    production: bool,
    now: DateTime<Utc>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), CliError> {
    match cmd {
        UsersCommand::List { admins } => list(conn, admins, out),
        UsersCommand::Promote(e) => change(conn, &e, Action::Promote, now, out),
        UsersCommand::Demote(e) => change(conn, &e, Action::Demote, now, out),
        UsersCommand::Disable(e) => change(conn, &e, Action::Disable, now, out),
        UsersCommand::Enable(e) => change(conn, &e, Action::Enable, now, out),
        UsersCommand::Add { email, admin, name } => {
            invite(conn, &email, admin, name.as_deref(), now, out)
        }
        UsersCommand::Delete(e) => delete(conn, &e, now, out),
        UsersCommand::Export(c) => export::run(conn, c, now, out, err),
        UsersCommand::Seed { count } => {
            if production {
                return Err(CliError::Refused(
                    "seeding synthetic users is refused when APP_ENV=production".into(),
                ));
            }
            seed::seed(conn, count, now, out, err)
        }
    }
}

fn list(conn: &mut DbConn, admins: bool, out: &mut dyn Write) -> Result<(), CliError> {
    let mut after = 0;
    let mut n = 0u64;
    writeln!(
        out,
        "{:<40} {:<30} {:<6} {:<9} created",
        "email", "name", "role", "status"
    )?;
    loop {
        let batch = users_after(conn, after, admins, 1000)?;
        let Some(last) = batch.last() else { break };
        after = last.id;
        for u in &batch {
            writeln!(
                out,
                "{:<40} {:<30} {:<6} {:<9} {}",
                // `as_str`: `Email`'s `Display` ignores the column width.
                u.profile.email.as_str(),
                u.profile.name,
                u.role.as_str(),
                u.status.as_str(),
                u.created_at.format("%Y-%m-%d %H:%M UTC")
            )?;
            n += 1;
        }
    }
    writeln!(
        out,
        "{n} {}",
        match (admins, n == 1) {
            (true, true) => "admin",
            (true, false) => "admins",
            (false, true) => "user",
            (false, false) => "users",
        }
    )?;
    Ok(())
}

fn parse_email(raw: &str) -> Result<Email, CliError> {
    Email::parse(raw).map_err(|_| CliError::Refused(format!("`{raw}` is not an email address")))
}

fn invite(
    conn: &mut DbConn,
    raw_email: &str,
    admin: bool,
    name: Option<&str>,
    now: DateTime<Utc>,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let email = parse_email(raw_email)?;
    let role = if admin { Role::Admin } else { Role::User };
    let name = name.map(str::trim).unwrap_or_default();
    match invitations::invite(conn, &email, name, role, now)? {
        Some(_) => {
            writeln!(
                out,
                "invited {email} as {}; their first sign-in with this verified address claims the account",
                role.as_str()
            )?;
            Ok(())
        }
        None => Err(CliError::Refused(format!(
            "a user with the email {email} already exists"
        ))),
    }
}

/// Deletes through the same path as the admin pages: audited as `cli`, the last active admin
/// kept, the audit rows pseudonymised.
fn delete(
    conn: &mut DbConn,
    raw_email: &str,
    now: DateTime<Utc>,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let email = parse_email(raw_email)?;
    let user = find_by_email(conn, &email)?
        .ok_or_else(|| CliError::Refused(format!("no user with the email {email}")))?;
    match delete_user(conn, &Actor::Cli, user.id, None, now)? {
        Ok(pseudonym) => {
            writeln!(out, "deleted {email} (now {pseudonym} in the audit log)")?;
            Ok(())
        }
        Err(refusal) => Err(CliError::Refused(format!("refused: {refusal}"))),
    }
}

fn change(
    conn: &mut DbConn,
    raw_email: &str,
    action: Action,
    now: DateTime<Utc>,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let email = parse_email(raw_email)?;
    let user = find_by_email(conn, &email)?.ok_or_else(|| {
        CliError::Refused(format!(
            "no user with the email {email} (they must sign in once before they can be changed)"
        ))
    })?;
    match perform(conn, &Actor::Cli, &user, &action, None, now)? {
        Ok(outcome) => {
            writeln!(out, "{}", outcome.message)?;
            Ok(())
        }
        Err(refusal) => Err(CliError::Refused(format!("refused: {refusal}"))),
    }
}
