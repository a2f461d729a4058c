//! An export as an asynchronous stream of chunks, one per batch: each batch is read through
//! `db::run` (off the async workers) only when the previous chunk has been taken, so that a slow
//! client slows the reading instead of filling memory, and dropping the stream (the client went
//! away) stops it. The export is audited and its first batch read before the stream is handed
//! out, so that a failure there is still an ordinary error answer.

use super::{Format, Kind, Requester, Selection};
use crate::db::{self, DbError, DbPool};
use chrono::{DateTime, Utc};
use futures_util::Stream;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// Counts for the metrics: exports running now, rows sent by kind (one per instance).
#[derive(Debug, Default)]
pub struct Tally {
    active: AtomicI64,
    users_rows: AtomicU64,
    audit_rows: AtomicU64,
}

impl Tally {
    /// Exports being streamed now.
    pub fn active(&self) -> i64 {
        self.active.load(Ordering::Relaxed)
    }

    /// Rows sent by exports of this kind since start.
    pub fn rows(&self, kind: Kind) -> u64 {
        self.counter(kind).load(Ordering::Relaxed)
    }

    fn counter(&self, kind: Kind) -> &AtomicU64 {
        match kind {
            Kind::Users => &self.users_rows,
            Kind::Audit => &self.audit_rows,
        }
    }
}

/// One running export: counted active while it lives, and logged when it ends.
struct Running {
    tally: Arc<Tally>,
    kind: Kind,
    rows: u64,
    finished: bool,
}

impl Running {
    fn new(tally: Arc<Tally>, kind: Kind) -> Self {
        tally.active.fetch_add(1, Ordering::Relaxed);
        Self {
            tally,
            kind,
            rows: 0,
            finished: false,
        }
    }

    fn sent(&mut self, rows: usize) {
        self.rows += rows as u64;
        self.tally
            .counter(self.kind)
            .fetch_add(rows as u64, Ordering::Relaxed);
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.tally.active.fetch_sub(1, Ordering::Relaxed);
        let (export, rows) = (self.kind.as_str(), self.rows);
        if self.finished {
            tracing::info!(export, rows, "export finished");
        } else {
            tracing::info!(
                export,
                rows,
                "export stopped before its end (client gone or error)"
            );
        }
    }
}

/// What the batches after the first need.
struct Reader {
    pool: DbPool,
    selection: Arc<Selection>,
    format: Format,
    now: DateTime<Utc>,
    running: Running,
}

/// An export whose first batch has been read; `into_stream` sends it and the rest.
pub struct Export {
    first: Vec<u8>,
    /// Where the next batch starts; `None` when the first was the last.
    next: Option<i64>,
    reader: Reader,
}

/// Writes the audit row and reads the header and the first batch (in one blocking call and one
/// transaction), and counts the export as running.
pub async fn start(
    pool: &DbPool,
    selection: Selection,
    format: Format,
    who: Requester,
    now: DateTime<Utc>,
    tally: Arc<Tally>,
) -> Result<Export, DbError> {
    let mut running = Running::new(tally, selection.kind());
    let selection = Arc::new(selection);
    let sel = selection.clone();
    let (first, batch) = db::run(pool, move |conn| {
        // The audit row first (its write lock taken at once on SQLite), so that an audit export
        // includes its own row; in one transaction with the read, so that a failed read
        // records nothing.
        db::transaction(conn, |conn| {
            sel.record(conn, format, &who, now)?;
            let mut out = Vec::new();
            sel.header(format, &mut out);
            let batch = sel.read_batch(conn, 0, now, format, &mut out)?;
            Ok((out, batch))
        })
    })
    .await?;
    running.sent(batch.rows);
    if batch.is_last() {
        running.finished = true;
    }
    Ok(Export {
        first,
        next: (!batch.is_last()).then_some(batch.last_id),
        reader: Reader {
            pool: pool.clone(),
            selection,
            format,
            now,
            running,
        },
    })
}

enum Step {
    First(Export),
    More(Reader, i64),
    Done,
}

impl Export {
    /// The chunks: the first batch (with the header), then one per batch read. An error ends
    /// the stream with that error (the connection is cut, so the file is visibly incomplete).
    pub fn into_stream(self) -> impl Stream<Item = Result<Vec<u8>, DbError>> + 'static {
        futures_util::stream::unfold(Step::First(self), |step| async move {
            match step {
                Step::First(e) => {
                    let next = match e.next {
                        Some(after) => Step::More(e.reader, after),
                        None => Step::Done,
                    };
                    Some((Ok(e.first), next))
                }
                Step::More(mut r, after) => {
                    let (sel, format, now) = (r.selection.clone(), r.format, r.now);
                    let read = db::run(&r.pool, move |conn| {
                        let mut out = Vec::with_capacity(256 * super::BATCH as usize);
                        let batch = sel.read_batch(conn, after, now, format, &mut out)?;
                        Ok((out, batch))
                    })
                    .await;
                    match read {
                        Ok((_, batch)) if batch.rows == 0 => {
                            // Nothing left (the previous batch was exactly full): an empty
                            // chunk is never sent, it would read as the end of the body.
                            r.running.finished = true;
                            None
                        }
                        Ok((out, batch)) => {
                            r.running.sent(batch.rows);
                            let next = if batch.is_last() {
                                r.running.finished = true;
                                Step::Done
                            } else {
                                Step::More(r, batch.last_id)
                            };
                            Some((Ok(out), next))
                        }
                        Err(e) => {
                            tracing::error!(error = %e, export = r.running.kind.as_str(), rows = r.running.rows, "export failed while streaming");
                            Some((Err(e), Step::Done))
                        }
                    }
                }
                Step::Done => None,
            }
        })
    }
}
