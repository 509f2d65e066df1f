//! `/export/user.jsonl?org=SLUG&userId=ID`: everything the org stores of one
//! person, as JSON lines: the profile first, then every stored event
//! (oldest first, payload as received). ORG_ADMIN of the org and
//! SUPER_ADMIN; each export is written to the audit log.

use agentmon_core::auth::policy::Capability;
use agentmon_core::storage::db::{set_org, Db};
use agentmon_core::storage::models::{audit, erasure};
use agentmon_core::{Error, Result};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use chrono::{DateTime, Utc};
use diesel::sql_types::{Array, BigInt, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, RunQueryDsl};
use futures::FutureExt;
use tokio::sync::mpsc;
use uuid::Uuid;

use super::params::Params;
use super::{authorize, failure, stream, PAGE};
use crate::http::AppState;

pub async fn user_jsonl(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    let params = Params::parse(uri.query());
    let asked = params
        .org()
        .and_then(|o| Ok((o.to_string(), params.user_id()?.to_string())));
    let (slug, user_id) = match asked {
        Ok(p) => p,
        Err(e) => return failure(&e),
    };
    let (viewer, org) = match authorize(&state, &headers, &slug, Capability::OrgAdmin).await {
        Ok(v) => v,
        Err(response) => return response,
    };
    // The profile line and the audit entry, before anything streams.
    let head = async {
        let mut conn = state.db.app().await?;
        conn.transaction::<_, Error, _>(async |tx| {
            set_org(tx, org.id).await?;
            if !erasure::user_known(tx, org.id, &user_id).await? {
                return Err(Error::NotFound(format!(
                    "org {:?} holds no data of user {user_id:?}",
                    org.slug
                )));
            }
            let entry = audit::Action {
                action: "USER_DATA_EXPORTED",
                target: Some(&user_id),
                detail: serde_json::json!({}),
            };
            audit::record(tx, org.id, &viewer, entry).await?;
            profile(tx, &org.slug, org.id, &user_id).await
        })
        .await
    };
    let head = match head.await {
        Ok(line) => line,
        Err(e) => return failure(&e),
    };
    let db = state.db.clone();
    let org_id = org.id;
    let filename = format!("{}-{}.jsonl", org.slug, sanitize(&user_id));
    stream(
        &state,
        &filename,
        "application/x-ndjson; charset=utf-8",
        Bytes::from(head),
        move |tx| {
            async move {
                if let Err(e) = pump(&db, org_id, &user_id, &tx).await {
                    tracing::error!(error = %e, "user data export stopped");
                    let _ = tx.send(Err(std::io::Error::other("export failed"))).await;
                }
            }
            .boxed()
        },
    )
}

/// A file name made of the id's letters, digits, `-` and `_`.
fn sanitize(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect()
}

#[derive(diesel::QueryableByName)]
struct Line {
    #[diesel(sql_type = Text)]
    line: String,
}

async fn profile(
    tx: &mut diesel_async::AsyncPgConnection,
    slug: &str,
    org_id: Uuid,
    user_id: &str,
) -> Result<String> {
    let line: Line = diesel::sql_query(
        "SELECT jsonb_build_object(
           'type', 'profile', 'org', $1::text, 'userId', $3::text,
           'email', u.email, 'name', u.name, 'role', u.role,
           'firstSeenAt', u.first_seen_at, 'lastActiveAt', u.last_active_at,
           'sessions', (SELECT count(*) FROM session_owners WHERE org_id = $2 AND user_id = $3)
         )::text || E'\\n' AS line
         FROM (SELECT 1) one LEFT JOIN users u ON u.org_id = $2 AND u.user_id = $3",
    )
    .bind::<Text, _>(slug)
    .bind::<SqlUuid, _>(org_id)
    .bind::<Text, _>(user_id)
    .get_result(tx)
    .await?;
    Ok(line.line)
}

/// Streams the user's events a page at a time, each page in its own
/// transaction bound to the org.
async fn pump(
    db: &Db,
    org_id: Uuid,
    user_id: &str,
    out: &mpsc::Sender<std::result::Result<Bytes, std::io::Error>>,
) -> Result<()> {
    #[derive(diesel::QueryableByName)]
    struct Session {
        #[diesel(sql_type = Text)]
        session_id: String,
    }
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        line: String,
        #[diesel(sql_type = Timestamptz)]
        occurred_at: DateTime<Utc>,
        #[diesel(sql_type = SqlUuid)]
        event_id: Uuid,
    }
    let mut conn = db.app().await?;
    let sessions: Vec<String> = conn
        .transaction::<_, Error, _>(async |tx| {
            set_org(tx, org_id).await?;
            let rows: Vec<Session> = diesel::sql_query(
                "SELECT session_id FROM session_owners WHERE org_id = $1 AND user_id = $2",
            )
            .bind::<SqlUuid, _>(org_id)
            .bind::<Text, _>(user_id)
            .load(tx)
            .await?;
            Ok(rows.into_iter().map(|s| s.session_id).collect())
        })
        .await?;
    let mut after: Option<(DateTime<Utc>, Uuid)> = None;
    loop {
        let page: Vec<Row> = conn
            .transaction::<_, Error, _>(async |tx| {
                set_org(tx, org_id).await?;
                Ok(diesel::sql_query(
                    "SELECT jsonb_build_object(
                       'type', 'event', 'eventId', event_id, 'eventType', event_type,
                       'sessionId', session_id, 'runId', run_id, 'userId', user_id,
                       'occurredAt', occurred_at, 'receivedAt', received_at, 'payload', payload
                     )::text AS line, occurred_at, event_id
                     FROM events
                     WHERE org_id = $1 AND session_id = ANY($2) AND user_id = $3
                       AND ($4::timestamptz IS NULL OR (occurred_at, event_id) > ($4, $5))
                     ORDER BY occurred_at, event_id LIMIT $6",
                )
                .bind::<SqlUuid, _>(org_id)
                .bind::<Array<Text>, _>(&sessions)
                .bind::<Text, _>(user_id)
                .bind::<Nullable<Timestamptz>, _>(after.map(|a| a.0))
                .bind::<Nullable<SqlUuid>, _>(after.map(|a| a.1))
                .bind::<BigInt, _>(PAGE)
                .load(tx)
                .await?)
            })
            .await?;
        let Some(last) = page.last() else {
            return Ok(());
        };
        after = Some((last.occurred_at, last.event_id));
        let full = page.len() as i64 == PAGE;
        let mut chunk = String::new();
        for row in &page {
            chunk.push_str(&row.line);
            chunk.push('\n');
        }
        if out.send(Ok(Bytes::from(chunk))).await.is_err() || !full {
            return Ok(());
        }
    }
}
