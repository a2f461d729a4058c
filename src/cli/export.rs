//! `signin users export` and `signin audit export`: the same rows, filters and audit row as the
//! admin pages' CSV downloads, as CSV or JSON Lines, to a file or to stdout, one batch at a time.

use super::CliError;
use crate::admin::filters::{AuditFilters, UserFilters};
use crate::db::DbConn;
use crate::db::audit::Actor;
use crate::export::{Format, Requester, Selection};
use chrono::{DateTime, Utc};
use std::io::Write;
use std::path::PathBuf;

/// An export as the command line asked for it (flags unchecked).
#[derive(Debug, Clone)]
pub struct ExportCommand {
    pub what: ExportWhat,
    pub format: String,
    /// A file to write (created or truncated); stdout when absent.
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub enum ExportWhat {
    Users {
        role: Option<String>,
        status: Option<String>,
        q: Option<String>,
        provider: Option<String>,
    },
    Audit {
        action: Option<String>,
        user: Option<String>,
    },
}

/// Runs the export; the data goes to the file or to `out`, the summary to `err`.
pub fn run(
    conn: &mut DbConn,
    cmd: ExportCommand,
    now: DateTime<Utc>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), CliError> {
    let format = Format::parse(&cmd.format).ok_or_else(|| {
        CliError::Refused(format!("unknown format `{}` (use csv or json)", cmd.format))
    })?;
    let refused = |e: crate::admin::filters::FilterError| CliError::Refused(e.to_string());
    let selection = match cmd.what {
        ExportWhat::Users {
            role,
            status,
            q,
            provider,
        } => Selection::Users(
            UserFilters::parse(
                q.as_deref(),
                role.as_deref(),
                status.as_deref(),
                provider.as_deref(),
            )
            .map_err(refused)?,
        ),
        ExportWhat::Audit { action, user } => {
            let filters =
                AuditFilters::parse(action.as_deref(), user.as_deref()).map_err(refused)?;
            let typed = filters.user.clone();
            Selection::audit(conn, filters)?
                .ok_or_else(|| CliError::Refused(format!("no user matches `{typed}`")))?
        }
    };
    let mut file;
    let sink: &mut dyn Write = match &cmd.output {
        Some(path) => {
            file = std::io::BufWriter::new(std::fs::File::create(path).map_err(|e| {
                CliError::Refused(format!("cannot create {}: {e}", path.display()))
            })?);
            &mut file
        }
        None => out,
    };
    let rows = write_all(conn, &selection, format, now, sink)?;
    sink.flush()?;
    let noun = match (selection.kind(), rows == 1) {
        (crate::export::Kind::Users, true) => "user",
        (crate::export::Kind::Users, false) => "users",
        (crate::export::Kind::Audit, true) => "audit entry",
        (crate::export::Kind::Audit, false) => "audit entries",
    };
    match &cmd.output {
        Some(path) => writeln!(err, "exported {rows} {noun} to {}", path.display())?,
        None => writeln!(err, "exported {rows} {noun}")?,
    }
    Ok(())
}

/// Writes the audit row first (as the web export does, so that an audit export includes its
/// own row), then the header and every batch; returns the number of rows.
fn write_all(
    conn: &mut DbConn,
    selection: &Selection,
    format: Format,
    now: DateTime<Utc>,
    sink: &mut dyn Write,
) -> Result<u64, CliError> {
    let who = Requester {
        actor: Actor::Cli,
        ip: None,
    };
    selection.record(conn, format, &who, now)?;
    let mut buf = Vec::new();
    selection.header(format, &mut buf);
    let mut after = 0;
    let mut rows = 0u64;
    loop {
        let batch = selection.read_batch(conn, after, now, format, &mut buf)?;
        sink.write_all(&buf)?;
        buf.clear();
        rows += batch.rows as u64;
        if batch.is_last() {
            return Ok(rows);
        }
        after = batch.last_id;
    }
}
