//! `/export/user.jsonl?org=SLUG&userId=ID`: everything the org stores of one
//! person, as JSON lines: the profile first, then every stored event
//! (oldest first, payload as received). ORG_ADMIN of the org and
//! SUPER_ADMIN; each export is written to the audit log.

use agentmon_core::auth::policy::Capability;
use agentmon_core::auth::UserPrincipal;
use agentmon_core::storage::models::erasure;
use agentmon_core::storage::models::org::Org;
use agentmon_core::{Error, Result};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use chrono::{DateTime, Utc};
use diesel::sql_types::{Array, BigInt, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use std::sync::Arc;
use uuid::Uuid;

use super::download::{self, Download, Pages};
use super::records::JsonLine;
use crate::actions::{audited, Audit, Scope};
use crate::http::state::AppState;

pub async fn user_jsonl(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let db = state.db.clone();
    download::serve(
        &state,
        &headers,
        &uri,
        Capability::OrgAdmin,
        |params| Ok(params.user_id()?.to_string()),
        |viewer, org, user_id| async move {
            let head = head(&db, &viewer, &org, &user_id).await?;
            let filename = format!("{}-{}.jsonl", org.slug, sanitize(&user_id));
            let pages = Events {
                user_id,
                sessions: None,
            };
            Ok(Download::new(filename, Bytes::from(head), pages))
        },
    )
    .await
}

/// The profile line, once the org is known to hold data of `user_id` and
/// the export is written to the audit log (before anything streams).
async fn head(
    db: &agentmon_core::storage::db::Db,
    viewer: &UserPrincipal,
    org: &Org,
    user_id: &str,
) -> Result<String> {
    audited!(db, viewer, Scope::Org(org), |tx| {
        if !erasure::user_known(tx, org.id, user_id).await? {
            return Err(Error::NotFound(format!(
                "org {:?} holds no data of user {user_id:?}",
                org.slug
            )));
        }
        let entry = Audit::new("USER_DATA_EXPORTED", Some(user_id), serde_json::json!({}));
        (profile(tx, &org.slug, org.id, user_id).await?, entry)
    })
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
    tx: &mut AsyncPgConnection,
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

/// The user's stored events, oldest first, in the sessions they own.
struct Events {
    user_id: String,
    /// The user's sessions, read with the first page.
    sessions: Option<Vec<String>>,
}

#[derive(diesel::QueryableByName)]
struct Event {
    #[diesel(sql_type = Text)]
    line: String,
    #[diesel(sql_type = Timestamptz)]
    occurred_at: DateTime<Utc>,
    #[diesel(sql_type = SqlUuid)]
    event_id: Uuid,
}

impl Pages for Events {
    /// When the last event of a page occurred, and its id.
    type Cursor = (DateTime<Utc>, Uuid);
    type Row = Event;
    type Record = JsonLine;

    const NAME: &'static str = "user data export";

    async fn page(
        &mut self,
        conn: &mut AsyncPgConnection,
        org_id: Uuid,
        after: Option<&(DateTime<Utc>, Uuid)>,
        limit: i64,
    ) -> Result<Vec<Event>> {
        let sessions = match self.sessions.take() {
            Some(sessions) => sessions,
            None => owned_sessions(conn, org_id, &self.user_id).await?,
        };
        let sessions = &*self.sessions.insert(sessions);
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
        .bind::<Array<Text>, _>(sessions)
        .bind::<Text, _>(&self.user_id)
        .bind::<Nullable<Timestamptz>, _>(after.map(|a| a.0))
        .bind::<Nullable<SqlUuid>, _>(after.map(|a| a.1))
        .bind::<BigInt, _>(limit)
        .load(conn)
        .await?)
    }

    fn cursor(&self, last: &Event) -> (DateTime<Utc>, Uuid) {
        (last.occurred_at, last.event_id)
    }

    fn record(row: &Event) -> JsonLine {
        JsonLine(row.line.clone())
    }
}

/// The sessions `user_id` owns in the org, and those of their events
/// retention left behind.
async fn owned_sessions(
    conn: &mut AsyncPgConnection,
    org_id: Uuid,
    user_id: &str,
) -> Result<Vec<String>> {
    #[derive(diesel::QueryableByName)]
    struct Session {
        #[diesel(sql_type = Text)]
        session_id: String,
    }
    let rows: Vec<Session> = diesel::sql_query(
        "SELECT session_id FROM session_owners WHERE org_id = $1 AND user_id = $2",
    )
    .bind::<SqlUuid, _>(org_id)
    .bind::<Text, _>(user_id)
    .load(conn)
    .await?;
    let mut sessions: Vec<String> = rows.into_iter().map(|s| s.session_id).collect();
    // And sessions retention removed whose events wait for their month to
    // be dropped: still the user's data.
    sessions.extend(erasure::leftover_sessions(conn, org_id, user_id, chrono::Utc::now()).await?);
    Ok(sessions)
}
