//! Exports of the user list and the audit log, as CSV (`csv.rs`: RFC 4180 with formula
//! escaping) or JSON Lines, with the admin pages' filters. Rows are read in keyset batches of
//! `BATCH` (id order, after the last id sent), so that memory does not grow with the number of
//! rows: the web streams the batches as they come (`stream.rs`), the command line writes them
//! out one by one. Every export is audited (who, what, which filters): it is personal data
//! leaving the service. No actix types here.

pub mod csv;
mod stream;

pub use stream::{Export, Tally, start};

use crate::admin::filters::{AuditFilters, UserFilters};
use crate::db::audit::{self, Actor, AuditAction, NewEntry};
use crate::db::user_list::{ListRow, export_batch};
use crate::db::{DbConn, DbError, users};
use crate::domain::UserId;
use chrono::{DateTime, SecondsFormat, Utc};

/// Rows read per query.
pub const BATCH: i64 = 1_000;

/// What is exported; also the `export` label of the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Users,
    Audit,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Users => "users",
            Kind::Audit => "audit",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    /// One JSON object per row and line.
    JsonLines,
}

impl Format {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "csv" => Some(Format::Csv),
            "json" | "jsonl" => Some(Format::JsonLines),
            _ => None,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Format::Csv => "CSV",
            Format::JsonLines => "JSON Lines",
        }
    }
}

/// Which rows: the user list or the audit log, with their filters (checked).
#[derive(Debug, Clone)]
pub enum Selection {
    Users(UserFilters),
    Audit {
        filters: AuditFilters,
        /// The row of the user filter, resolved once.
        user_id: Option<i64>,
    },
}

/// Who asked, for the audit row.
#[derive(Debug, Clone)]
pub struct Requester {
    pub actor: Actor,
    pub ip: Option<String>,
}

/// What one batch held.
#[derive(Debug, Clone, Copy)]
pub struct Batch {
    pub rows: usize,
    /// The last row's id (where the next batch starts), or the start when the batch was empty.
    pub last_id: i64,
}

impl Batch {
    /// A short batch is the last one: no query is made to find nothing.
    pub fn is_last(&self) -> bool {
        (self.rows as i64) < BATCH
    }
}

const USER_COLUMNS: [&str; 13] = [
    "public_id",
    "email",
    "name",
    "given_name",
    "family_name",
    "role",
    "status",
    "email_verified",
    "invited",
    "locale",
    "created_at",
    "last_sign_in_at",
    "active_sessions",
];

const AUDIT_COLUMNS: [&str; 9] = [
    "id",
    "at",
    "actor",
    "actor_public_id",
    "action",
    "target",
    "target_public_id",
    "detail",
    "ip",
];

impl Selection {
    /// The audit log's selection with its user filter resolved; `None` when no user matches it.
    pub fn audit(conn: &mut DbConn, filters: AuditFilters) -> Result<Option<Self>, DbError> {
        let user_id = if filters.user.is_empty() {
            None
        } else {
            match users::find_by_id_or_email(conn, &filters.user)? {
                Some(u) => Some(u.id),
                None => return Ok(None),
            }
        };
        Ok(Some(Selection::Audit { filters, user_id }))
    }

    pub fn kind(&self) -> Kind {
        match self {
            Selection::Users(_) => Kind::Users,
            Selection::Audit { .. } => Kind::Audit,
        }
    }

    /// What the audit row says was exported: the kind, the format and the filters.
    pub fn describe(&self, format: Format) -> String {
        let (what, pairs) = match self {
            Selection::Users(f) => ("users", f.pairs()),
            Selection::Audit { filters, .. } => ("audit log", filters.pairs()),
        };
        let filters = if pairs.is_empty() {
            "no filters".to_string()
        } else {
            let shown: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!("filters: {}", shown.join(", "))
        };
        format!("{what} as {}; {filters}", format.label())
    }

    /// The header record (CSV only; JSON Lines has none).
    pub fn header(&self, format: Format, out: &mut Vec<u8>) {
        if format == Format::Csv {
            let names: &[&str] = match self {
                Selection::Users(_) => &USER_COLUMNS,
                Selection::Audit { .. } => &AUDIT_COLUMNS,
            };
            csv::write_record(out, names.iter().copied());
        }
    }

    /// Reads the batch after the row `after` and appends its rows to `out`.
    pub fn read_batch(
        &self,
        conn: &mut DbConn,
        after: i64,
        now: DateTime<Utc>,
        format: Format,
        out: &mut Vec<u8>,
    ) -> Result<Batch, DbError> {
        let mut batch = Batch {
            rows: 0,
            last_id: after,
        };
        match self {
            Selection::Users(f) => {
                let rows = export_batch(conn, &f.list_filter(), after, BATCH, now)?;
                for r in &rows {
                    write_row(format, &USER_COLUMNS, &user_values(r), out);
                }
                batch.rows = rows.len();
                batch.last_id = rows.last().map_or(after, |r| r.user.id);
            }
            Selection::Audit { filters, user_id } => {
                let filter = audit::Filter {
                    action: filters.action,
                    user_id: *user_id,
                };
                let entries = audit::export_batch(conn, &filter, after, BATCH)?;
                for e in &entries {
                    write_row(format, &AUDIT_COLUMNS, &audit_values(e), out);
                }
                batch.rows = entries.len();
                batch.last_id = entries.last().map_or(after, |e| e.id);
            }
        }
        Ok(batch)
    }

    /// Writes the audit row of this export.
    pub fn record(
        &self,
        conn: &mut DbConn,
        format: Format,
        who: &Requester,
        now: DateTime<Utc>,
    ) -> Result<(), DbError> {
        let detail = self.describe(format);
        audit::insert(
            conn,
            &NewEntry {
                actor: &who.actor,
                action: AuditAction::Export,
                target: None,
                detail: Some(&detail),
                ip: who.ip.as_deref(),
                at: now,
            },
        )
    }
}

/// One field's value: typed, so that JSON gets numbers, booleans and nulls.
enum Value<'a> {
    Text(&'a str),
    Opt(Option<&'a str>),
    Bool(bool),
    Int(i64),
    Time(Option<DateTime<Utc>>),
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn user_values(r: &ListRow) -> [Value<'_>; 13] {
    let u = &r.user;
    [
        Value::Text(u.public_id.as_str()),
        Value::Text(u.profile.email.as_str()),
        Value::Text(&u.profile.name),
        Value::Opt(u.profile.given_name.as_deref()),
        Value::Opt(u.profile.family_name.as_deref()),
        Value::Text(u.role.as_str()),
        Value::Text(u.status.as_str()),
        Value::Bool(u.profile.email_verified),
        Value::Bool(u.invited),
        Value::Opt(u.profile.locale.as_deref()),
        Value::Time(Some(u.created_at)),
        Value::Time(u.last_login_at),
        Value::Int(r.active_sessions),
    ]
}

fn audit_values(e: &audit::Entry) -> [Value<'_>; 9] {
    [
        Value::Int(e.id),
        Value::Time(Some(e.at)),
        Value::Text(&e.actor.label),
        Value::Opt(e.actor.public_id.as_ref().map(UserId::as_str)),
        Value::Text(&e.action),
        Value::Opt(e.target.as_ref().map(|t| t.label.as_str())),
        Value::Opt(
            e.target
                .as_ref()
                .and_then(|t| t.public_id.as_ref())
                .map(UserId::as_str),
        ),
        Value::Opt(e.detail.as_deref()),
        Value::Opt(e.ip.as_deref()),
    ]
}

fn write_row(format: Format, names: &[&str], values: &[Value<'_>], out: &mut Vec<u8>) {
    match format {
        Format::Csv => {
            let texts: Vec<std::borrow::Cow<'_, str>> = values
                .iter()
                .map(|v| match v {
                    Value::Text(s) => (*s).into(),
                    Value::Opt(s) => s.unwrap_or("").into(),
                    Value::Bool(b) => if *b { "true" } else { "false" }.into(),
                    Value::Int(i) => i.to_string().into(),
                    Value::Time(t) => t.map(time).unwrap_or_default().into(),
                })
                .collect();
            csv::write_record(out, texts.iter().map(|t| t.as_ref()));
        }
        Format::JsonLines => {
            out.push(b'{');
            for (i, (name, v)) in names.iter().zip(values).enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                json_str(out, name);
                out.push(b':');
                match v {
                    Value::Text(s) | Value::Opt(Some(s)) => json_str(out, s),
                    Value::Opt(None) | Value::Time(None) => out.extend_from_slice(b"null"),
                    Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
                    Value::Int(n) => out.extend_from_slice(n.to_string().as_bytes()),
                    Value::Time(Some(t)) => json_str(out, &time(*t)),
                }
            }
            out.extend_from_slice(b"}\n");
        }
    }
}

/// A JSON string (serde_json's escaping; writing to memory cannot fail).
fn json_str(out: &mut Vec<u8>, s: &str) {
    if serde_json::to_writer(&mut *out, s).is_err() {
        out.extend_from_slice(b"null");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::audit::{Entry, Party};
    use crate::domain::Role;

    fn entry(detail: &str) -> Entry {
        Entry {
            id: 7,
            at: DateTime::from_timestamp(1_764_910_997, 0).unwrap(),
            actor: Party {
                label: "cli".into(),
                public_id: None,
            },
            action: "export".into(),
            target: Some(Party {
                label: "=cmd|' /C calc'!A0".into(),
                public_id: UserId::parse("u_abc").ok(),
            }),
            detail: Some(detail.into()),
            ip: None,
        }
    }

    /// The row of `entry(detail)` as `format` writes it.
    fn audit_line(format: Format, detail: &str) -> String {
        let mut out = Vec::new();
        write_row(
            format,
            &AUDIT_COLUMNS,
            &audit_values(&entry(detail)),
            &mut out,
        );
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn an_audit_row_as_csv_is_quoted_and_guarded() {
        let line = audit_line(Format::Csv, "a, \"b\"");
        assert!(line.starts_with("7,2025-12-05T05:03:17Z,cli,,export,'=cmd|' /C calc'!A0,"));
        assert!(line.ends_with(",\"a, \"\"b\"\"\",\r\n"), "{line}");
    }

    #[test]
    fn an_audit_row_as_json_has_types_and_nulls() {
        let line = audit_line(Format::JsonLines, "x\ny");
        assert!(line.ends_with("}\n") && line.matches('\n').count() == 1);
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["id"], 7);
        assert_eq!(v["ip"], serde_json::Value::Null);
        assert_eq!(v["detail"], "x\ny");
        // JSON is not opened by spreadsheets: the text stays as stored.
        assert_eq!(v["target"], "=cmd|' /C calc'!A0");
    }

    #[test]
    fn the_audit_detail_names_the_filters() {
        let users = Selection::Users(UserFilters {
            search: "ann".into(),
            role: Some(Role::Admin),
            status: None,
            provider: Some(crate::config::ProviderKind::Github),
        });
        assert_eq!(
            users.describe(Format::Csv),
            "users as CSV; filters: q=ann, role=admin, provider=github"
        );
        let audit = Selection::Audit {
            filters: AuditFilters::default(),
            user_id: None,
        };
        assert_eq!(
            audit.describe(Format::JsonLines),
            "audit log as JSON Lines; no filters"
        );
    }
}
