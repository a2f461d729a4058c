//! `GET /admin/users/export.csv` and `GET /admin/audit/export.csv`: the user list and the audit
//! log as CSV attachments, with the same filters (and the same checks) as their pages, streamed
//! batch by batch (`export::Export`). The first batch is read before the answer starts, so that a
//! failure there is still the error page; each export is audited.

use super::AdminVisit;
use super::audit::AuditQuery;
use super::users::ListQuery;
use crate::db;
use crate::error::AppError;
use crate::export::{self, Format, Requester, Selection};
use crate::i18n::Msg;
use crate::metrics::Metrics;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use futures_util::StreamExt;

/// What an export's query string selects, checked as its page checks it.
pub trait ExportQuery {
    async fn selection(self, v: &AdminVisit) -> Result<Selection, AppError>;
}

/// `GET /admin/users/export.csv?q=…&role=…&status=…`: the users the list's filters match.
impl ExportQuery for ListQuery {
    async fn selection(self, _: &AdminVisit) -> Result<Selection, AppError> {
        Ok(Selection::Users(self.filters()?))
    }
}

/// `GET /admin/audit/export.csv?action=…&user=…`: the entries the log's filters match, oldest
/// first.
impl ExportQuery for AuditQuery {
    async fn selection(self, v: &AdminVisit) -> Result<Selection, AppError> {
        let filters = self.filters()?;
        let typed = filters.user.clone();
        db::run(&v.state.pool, move |conn| Selection::audit(conn, filters))
            .await?
            .ok_or_else(|| {
                tracing::info!("audit export refused: no user matches the user filter");
                AppError::BadRequest(Msg::new("audit.no_user").arg("user", typed))
            })
    }
}

/// Either export: the selection its query makes, streamed as CSV.
#[tracing::instrument(skip_all, fields(query = std::any::type_name::<Q>()))]
pub async fn export<Q: ExportQuery>(
    v: AdminVisit,
    query: web::Query<Q>,
    metrics: web::Data<Metrics>,
) -> Result<HttpResponse, AppError> {
    let selection = query.into_inner().selection(&v).await?;
    send(v, selection, &metrics).await
}

async fn send(
    v: AdminVisit,
    selection: Selection,
    metrics: &Metrics,
) -> Result<HttpResponse, AppError> {
    let now = v.state.now();
    let kind = selection.kind();
    tracing::info!(
        export = kind.as_str(),
        filters = %selection.describe(Format::Csv),
        "export started"
    );
    let who = Requester {
        actor: v.actor(),
        ip: v.ip(),
    };
    let export = export::start(
        &v.state.pool,
        selection,
        Format::Csv,
        who,
        now,
        metrics.exports(),
    )
    .await?;
    let filename = format!("{}-{}.csv", kind.as_str(), now.format("%Y-%m-%d"));
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .streaming(
            export
                .into_stream()
                .map(|chunk| chunk.map(web::Bytes::from)),
        ))
}
