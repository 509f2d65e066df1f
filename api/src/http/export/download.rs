//! The one way an export is served: its parameters are read (or 400), the
//! asker is authorized in the org (401, 403, 404, 429), the export starts
//! its [`Download`], and the download streams page by page while holding
//! one of the server's export slots and one of the asker's (a user streams
//! at most two at once, so a few slow readers cannot take every tenant's). A page is read on a connection of its
//! own, in a transaction bound to the org, after the cursor of the page
//! before; the stream ends on a short page or when the client goes away.
//! An error, or a client that takes nothing for `AppState::export_stall`,
//! is logged and aborts the response (never ended as if complete), and the
//! slots are given back at once.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use agentmon_core::auth::policy::Capability;
use agentmon_core::auth::UserPrincipal;
use agentmon_core::storage::db::{set_org, Db};
use agentmon_core::storage::models::org::Org;
use agentmon_core::{Error, Result};
use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use tokio::sync::mpsc;
use uuid::Uuid;

use super::failure::failure;
use super::params::Params;
use super::records::{csv_header, Record};
use crate::graphql::access;
use crate::http::connections::Held;
use crate::http::request::{authorization, bearer, user_key};
use crate::http::state::{AppState, MAX_CONCURRENT_EXPORTS};

/// Rows fetched per page while streaming.
const PAGE: i64 = 500;

/// The rows of one export, a page at a time, and what each row becomes.
pub trait Pages: Send + Sync + 'static {
    /// Where a page starts: the sort key of the last row before it.
    type Cursor: Send + Sync;
    /// A row as the page query reads it.
    type Row: Send + Sync;
    /// A row as the download writes it.
    type Record: Record;

    /// What the log calls this export when its stream stops on an error.
    const NAME: &'static str;

    /// At most `limit` rows of org `org_id` after `after` (from the first
    /// when `None`), in the export's order; `conn` is in a transaction
    /// bound to the org.
    fn page(
        &mut self,
        conn: &mut AsyncPgConnection,
        org_id: Uuid,
        after: Option<&Self::Cursor>,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<Self::Row>>> + Send;

    /// The cursor of the page after the one `last` ends.
    fn cursor(&self, last: &Self::Row) -> Self::Cursor;

    /// A row as a record of the download.
    fn record(row: &Self::Row) -> Self::Record;
}

/// What an export streams once its asker may have it: a file name, its
/// first bytes, then its pages.
pub struct Download<P> {
    filename: String,
    head: Bytes,
    pages: P,
}

impl<P: Pages> Download<P> {
    /// `pages` as `filename`, after `head` (a profile line, say).
    pub fn new(filename: String, head: Bytes, pages: P) -> Download<P> {
        Download {
            filename,
            head,
            pages,
        }
    }
}

impl<P: Pages<Record = Vec<String>>> Download<P> {
    /// `pages` as the CSV file `filename`, after the header row `header`.
    pub fn csv(filename: String, header: &[&str], pages: P) -> Download<P> {
        Download::new(filename, csv_header(header), pages)
    }
}

/// Serves an export: `?org=SLUG` and what `parse` reads of the rest of the
/// query string; the asker's `capability` in that org; then the download
/// `start` makes of who asks, the org and the parameters. Any error before
/// the stream is the response.
pub async fn serve<A, P, F>(
    state: &AppState,
    headers: &HeaderMap,
    uri: &Uri,
    capability: Capability,
    parse: impl FnOnce(&Params) -> Result<A>,
    start: impl FnOnce(UserPrincipal, Org, A) -> F,
) -> Response
where
    P: Pages,
    F: Future<Output = Result<Download<P>>>,
{
    let params = Params::parse(uri.query());
    let asked = params
        .org()
        .and_then(|slug| Ok((slug.to_string(), parse(&params)?)));
    let (slug, asked) = match asked {
        Ok(asked) => asked,
        Err(e) => return failure(&e),
    };
    let (viewer, org) = match authorize(state, headers, &slug, capability).await {
        Ok(v) => v,
        Err(e) => return failure(&e),
    };
    let org_id = org.id;
    let held = match state.exports_per_user.hold(
        &user_key(&viewer),
        "exports at once per user; let one finish first",
    ) {
        Ok(held) => held,
        Err(e) => return failure(&e),
    };
    match start(viewer, org, asked).await {
        Ok(download) => stream(state, org_id, download, held),
        Err(e) => failure(&e),
    }
}

/// Who asks, and for which org: 401, 403 or 404 otherwise (429 over their
/// request rate).
async fn authorize(
    state: &AppState,
    headers: &HeaderMap,
    slug: &str,
    capability: Capability,
) -> Result<(UserPrincipal, Org)> {
    let token = bearer(authorization(headers))?;
    if agentmon_core::auth::ApiKeys::is_key(token) {
        // Refused before any lookup: a key costs nothing here.
        return Err(Error::Forbidden(
            "API keys may only ingest; export with a user token".into(),
        ));
    }
    let (principal, _) = state.gate(None).principal(token).await?;
    let viewer = principal.user()?.clone();
    state.rates.requests.take(&user_key(&viewer), 1).await?;
    let org = access::find_org(
        &state.db,
        &Default::default(),
        &viewer,
        slug,
        capability,
        access::Access::Export,
    )
    .await?;
    Ok((viewer, org))
}

/// The download as a streaming response fed through a bounded channel,
/// while holding one of the server's export slots and one of the user's.
fn stream<P: Pages>(state: &AppState, org_id: Uuid, download: Download<P>, held: Held) -> Response {
    let Ok(slot) = state.exports.clone().try_acquire_owned() else {
        return failure(&Error::RateLimited {
            message: format!(
                "this server streams at most {MAX_CONCURRENT_EXPORTS} exports at once; retry shortly"
            ),
            retry_after_seconds: 5,
        });
    };
    let Download {
        filename,
        head,
        mut pages,
    } = download;
    let (tx, rx) = mpsc::channel::<Bytes>(4);
    // An export only reads: from a read replica when one is usable.
    let (db, stall) = (state.db.for_reads(), state.export_stall);
    // Set before the channel closes when the export did not end well: the
    // body then ends with an error, which aborts the response.
    let aborted = Arc::new(AtomicBool::new(false));
    let abort = aborted.clone();
    tokio::spawn(async move {
        let sent = Sender { out: &tx, stall };
        let done = match sent.send(head).await {
            Ok(true) => pump(&db, org_id, &mut pages, &sent).await,
            other => other.map(|_| ()),
        };
        if let Err(e) = done {
            tracing::warn!(error = %e, "{} stopped", P::NAME);
            abort.store(true, Ordering::SeqCst);
        }
        drop((tx, slot, held));
    });
    let body = futures::stream::unfold(Some(rx), move |rx| {
        let aborted = aborted.clone();
        async move {
            let mut rx = rx?;
            match rx.recv().await {
                Some(bytes) => Some((Ok(bytes), Some(rx))),
                None if aborted.load(Ordering::SeqCst) => {
                    Some((Err(std::io::Error::other("the export stopped")), None))
                }
                None => None,
            }
        }
    });
    (
        [
            (header::CONTENT_TYPE, P::Record::CONTENT_TYPE.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        Body::from_stream(body),
    )
        .into_response()
}

/// The download's side of the channel: a client that takes nothing for
/// `stall` ends it.
struct Sender<'a> {
    out: &'a mpsc::Sender<Bytes>,
    stall: Duration,
}

impl Sender<'_> {
    /// `false` when the client went away.
    async fn send(&self, bytes: Bytes) -> Result<bool> {
        match tokio::time::timeout(self.stall, self.out.send(bytes)).await {
            Ok(sent) => Ok(sent.is_ok()),
            Err(_) => Err(Error::Unavailable(format!(
                "the client read nothing for {} s",
                self.stall.as_secs_f64()
            ))),
        }
    }
}

/// Sends `pages` to `out` a page at a time, until a short page or until
/// the client goes away.
async fn pump<P: Pages>(db: &Db, org_id: Uuid, pages: &mut P, out: &Sender<'_>) -> Result<()> {
    let mut after: Option<P::Cursor> = None;
    loop {
        // A connection per page: a slow download holds none while it waits.
        let mut conn = db.app().await?;
        let rows = conn
            .transaction::<_, Error, _>(async |c| {
                set_org(c, org_id).await?;
                pages.page(c, org_id, after.as_ref(), PAGE).await
            })
            .await?;
        drop(conn);
        let Some(last) = rows.last() else {
            return Ok(());
        };
        after = Some(pages.cursor(last));
        let records: Vec<P::Record> = rows.iter().map(P::record).collect();
        if !out.send(P::Record::encode(&records)).await? {
            return Ok(()); // the client went away
        }
        if (rows.len() as i64) < PAGE {
            return Ok(());
        }
    }
}
