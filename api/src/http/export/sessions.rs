//! `/export/sessions.csv?org=SLUG[&from=&to=][&userId=][&handedOff=][&attribute=K:V]`

use agentmon_core::auth::policy::{self, Capability};
use agentmon_core::storage::db::{set_org, Db};
use agentmon_core::storage::models::session::{self, Cursor, SessionFilter, SessionRow};
use agentmon_core::Error;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use diesel_async::AsyncConnection;
use futures::FutureExt;
use uuid::Uuid;

use super::params::Params;
use super::{authorize, encode, failure, stream_csv, PAGE};
use crate::http::AppState;

const HEADER: [&str; 16] = [
    "session_id",
    "user_id",
    "started_at",
    "last_event_at",
    "message_count",
    "run_count",
    "succeeded_runs",
    "failed_runs",
    "cancelled_runs",
    "cost_usd",
    "input_tokens",
    "output_tokens",
    "active_time_ms",
    "handed_off",
    "iterated_after_handoff",
    "attributes",
];

pub async fn sessions_csv(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    let params = Params::parse(uri.query());
    let (slug, mut filter) = match params
        .org()
        .and_then(|o| Ok((o.to_string(), params.session_filter()?)))
    {
        Ok(p) => p,
        Err(e) => return failure(&e),
    };
    let (viewer, org) = match authorize(&state, &headers, &slug, Capability::OwnSessions).await {
        Ok(v) => v,
        Err(response) => return response,
    };
    if !policy::allows(&viewer, Capability::OthersSessions, Some(&org.slug)) {
        if filter.user_id.as_deref().is_some_and(|u| u != viewer.sub) {
            return failure(&Error::Forbidden(
                "you may export only your own sessions".into(),
            ));
        }
        filter.user_id = Some(viewer.sub.clone());
    }
    let db = state.db.clone();
    stream_csv(
        &state,
        &format!("{}-sessions.csv", org.slug),
        &HEADER,
        move |tx| {
            async move {
                if let Err(e) = pump(&db, org.id, &filter, &tx).await {
                    tracing::error!(error = %e, "session export stopped");
                    let _ = tx.send(Err(std::io::Error::other("export failed"))).await;
                }
            }
            .boxed()
        },
    )
}

async fn pump(
    db: &Db,
    org_id: Uuid,
    filter: &SessionFilter,
    tx: &tokio::sync::mpsc::Sender<Result<axum::body::Bytes, std::io::Error>>,
) -> Result<(), Error> {
    let mut after: Option<Cursor> = None;
    let mut as_of = None;
    loop {
        // A connection per page: a slow download holds none while it waits.
        let mut conn = db.app().await?;
        let rows = conn
            .transaction::<_, Error, _>(async |c| {
                set_org(c, org_id).await?;
                let at = match as_of {
                    Some(at) => at,
                    None => session::now(c).await?,
                };
                as_of = Some(at);
                Ok(session::page(c, org_id, filter, after.as_ref(), at, PAGE).await?)
            })
            .await?;
        drop(conn);
        let Some(last) = rows.last() else {
            return Ok(());
        };
        after = Some(Cursor {
            as_of: as_of.unwrap_or_default(),
            key_at: last.key_at,
            session_id: last.session_id.clone(),
        });
        let records: Vec<Vec<String>> = rows.iter().map(record).collect();
        if tx.send(Ok(encode(&records))).await.is_err() {
            return Ok(()); // the client went away
        }
        if (rows.len() as i64) < PAGE {
            return Ok(());
        }
    }
}

fn record(r: &SessionRow) -> Vec<String> {
    vec![
        r.session_id.clone(),
        r.user_id.clone(),
        r.started_at.to_rfc3339(),
        r.last_event_at.to_rfc3339(),
        r.message_count.to_string(),
        r.run_count.to_string(),
        r.succeeded_runs.to_string(),
        r.failed_runs.to_string(),
        r.cancelled_runs.to_string(),
        r.cost_usd.normalize().to_string(),
        r.input_tokens.to_string(),
        r.output_tokens.to_string(),
        r.active_time_ms.to_string(),
        r.handed_off.to_string(),
        r.iterated_after_handoff.to_string(),
        r.attributes.to_string(),
    ]
}
