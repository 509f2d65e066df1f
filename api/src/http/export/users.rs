//! `/export/users.csv?org=SLUG&from=YYYY-MM-DD&to=YYYY-MM-DD`: users with
//! any event in the range, by runs then id, with their figures.

use agentmon_core::auth::policy::Capability;
use agentmon_core::storage::db::{set_org, Db};
use agentmon_core::storage::models::rollup;
use agentmon_core::storage::models::user;
use agentmon_core::Error;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use chrono::NaiveDate;
use diesel_async::AsyncConnection;
use futures::FutureExt;
use uuid::Uuid;

use super::params::Params;
use super::{authorize, encode, failure, stream_csv, PAGE};
use crate::http::AppState;

const HEADER: [&str; 12] = [
    "user_id",
    "email",
    "name",
    "sessions",
    "runs",
    "avg_runs_per_session",
    "avg_active_time_ms",
    "local_handoff_rate",
    "post_handoff_iteration_rate",
    "success_rate",
    "cost_usd",
    "total_tokens",
];

pub async fn users_csv(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    let params = Params::parse(uri.query());
    let parsed = params
        .org()
        .and_then(|o| Ok((o.to_string(), params.date("from")?, params.date("to")?)));
    let checked = parsed.and_then(|(slug, from, to)| {
        crate::graphql::ranges::check_days(from, to).map(|(from, to)| (slug, from, to))
    });
    let (slug, from, to) = match checked {
        Ok(p) => p,
        Err(e) => return failure(&e),
    };
    let (_, org) = match authorize(&state, &headers, &slug, Capability::People).await {
        Ok(v) => v,
        Err(response) => return response,
    };
    let db = state.db.clone();
    stream_csv(
        &state,
        &format!("{}-users.csv", org.slug),
        &HEADER,
        move |tx| {
            async move {
                if let Err(e) = pump(&db, org.id, from, to, &tx).await {
                    tracing::error!(error = %e, "user export stopped");
                    let _ = tx.send(Err(std::io::Error::other("export failed"))).await;
                }
            }
            .boxed()
        },
    )
}

/// A ratio as a cell: empty when it has no denominator.
fn ratio(value: Option<f64>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

async fn pump(
    db: &Db,
    org_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
    tx: &tokio::sync::mpsc::Sender<Result<axum::body::Bytes, std::io::Error>>,
) -> Result<(), Error> {
    let mut after: Option<(i64, String)> = None;
    loop {
        // A connection per page: a slow download holds none while it waits.
        let mut conn = db.app().await?;
        let (rows, profiles) = conn
            .transaction::<_, Error, _>(async |c| {
                set_org(c, org_id).await?;
                let cursor = after.as_ref().map(|(r, u)| (*r, u.as_str()));
                let rows = rollup::user_sums(
                    c,
                    org_id,
                    None,
                    from,
                    to,
                    "runs DESC, user_id ASC",
                    cursor,
                    PAGE,
                )
                .await?;
                let ids: Vec<String> = rows.iter().map(|r| r.user_id.clone()).collect();
                let profiles = user::by_ids(c, org_id, &ids).await?;
                Ok((rows, profiles))
            })
            .await?;
        let Some(last) = rows.last() else {
            return Ok(());
        };
        drop(conn);
        after = Some((last.sums().runs, last.user_id.clone()));
        let records: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                let s = r.sums();
                let profile = profiles.iter().find(|p| p.user_id == r.user_id);
                vec![
                    r.user_id.clone(),
                    profile.and_then(|p| p.email.clone()).unwrap_or_default(),
                    profile.and_then(|p| p.name.clone()).unwrap_or_default(),
                    s.sessions.to_string(),
                    s.runs.to_string(),
                    ratio(s.avg_runs_per_session()),
                    ratio(s.avg_active_time_ms()),
                    ratio(s.local_handoff_rate()),
                    ratio(s.post_handoff_iteration_rate()),
                    ratio(s.success_rate()),
                    s.cost_usd.normalize().to_string(),
                    s.total_tokens().to_string(),
                ]
            })
            .collect();
        if tx.send(Ok(encode(&records))).await.is_err() {
            return Ok(());
        }
        if (rows.len() as i64) < PAGE {
            return Ok(());
        }
    }
}
