//! Stored events, as the projectors and the timeline read them back.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Deserialize;
use uuid::Uuid;

use crate::event::{
    CodeChangeInput, EventType, HandoffInput, MessageInput, ModelCallInput, RunInput,
    ToolCallInput, UserProfileInput,
};
use crate::storage::db::prepared;
use crate::storage::schema::{dead_letters, events, projection_queue};

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = events, check_for_backend(diesel::pg::Pg))]
struct EventRow {
    org_id: Uuid,
    occurred_at: DateTime<Utc>,
    event_id: Uuid,
    event_type: String,
    session_id: String,
    user_id: String,
    run_id: Option<String>,
    payload: serde_json::Value,
}

/// The parts of an event beyond its indexed columns.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Payload {
    pub message: Option<MessageInput>,
    pub run: Option<RunInput>,
    pub handoff: Option<HandoffInput>,
    pub attributes: Option<serde_json::Value>,
    pub user: Option<UserProfileInput>,
    #[serde(rename = "modelCall")]
    pub model_call: Option<ModelCallInput>,
    pub tool: Option<ToolCallInput>,
    pub code: Option<CodeChangeInput>,
}

#[derive(Debug, Clone)]
pub struct StoredEvent {
    pub org_id: Uuid,
    pub event_id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub event_type: EventType,
    pub session_id: String,
    pub user_id: String,
    pub run_id: Option<String>,
    pub payload: Payload,
    /// The payload as stored, for the timeline.
    pub raw: serde_json::Value,
}

impl TryFrom<EventRow> for StoredEvent {
    type Error = diesel::result::Error;
    fn try_from(row: EventRow) -> Result<Self, Self::Error> {
        let bad = |what: &str, e: serde_json::Error| {
            diesel::result::Error::DeserializationError(
                format!("event {}: bad {what}: {e}", row.event_id).into(),
            )
        };
        let event_type = serde_json::from_value(serde_json::Value::String(row.event_type.clone()))
            .map_err(|e| bad("type", e))?;
        let payload = serde_json::from_value(row.payload.clone()).map_err(|e| bad("payload", e))?;
        Ok(StoredEvent {
            org_id: row.org_id,
            event_id: row.event_id,
            occurred_at: row.occurred_at,
            event_type,
            session_id: row.session_id,
            user_id: row.user_id,
            run_id: row.run_id,
            payload,
            raw: row.payload,
        })
    }
}

fn convert(rows: Vec<EventRow>) -> QueryResult<Vec<StoredEvent>> {
    rows.into_iter().map(StoredEvent::try_from).collect()
}

/// The fold's columns of an event: without the message text (the fold
/// counts messages, it does not read them).
const FOLD_COLUMNS: &str = "e.org_id, e.occurred_at, e.event_id, e.event_type, e.session_id, \
     e.user_id, e.run_id, e.payload #- '{message,text}' AS payload";

#[derive(diesel::QueryableByName)]
struct FoldRow {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    org_id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    occurred_at: DateTime<Utc>,
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    event_id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Text)]
    event_type: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    session_id: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    user_id: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    run_id: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    payload: serde_json::Value,
}

fn folded(rows: Vec<FoldRow>) -> QueryResult<Vec<StoredEvent>> {
    rows.into_iter()
        .map(|r| {
            let mut event = StoredEvent::try_from(EventRow {
                org_id: r.org_id,
                occurred_at: r.occurred_at,
                event_id: r.event_id,
                event_type: r.event_type,
                session_id: r.session_id,
                user_id: r.user_id,
                run_id: r.run_id,
                payload: r.payload,
            })?;
            event.raw = serde_json::Value::Null;
            Ok(event)
        })
        .collect()
}

/// These events (occurrence time and id) of one org as the fold reads them,
/// dead letters left out, each found by its primary key. A lateral lookup
/// per key, because a join is planned from statistics: right after a burst
/// of ingest they count a few hundred of the org's rows where there are
/// tens of thousands, and the planner hashed the org's whole months for 250
/// keys (15–17 ms a call instead of 1 ms, two thirds of the worker's time).
/// A range of times with a list of ids would scan the range once per id.
pub async fn by_keys(
    conn: &mut AsyncPgConnection,
    org_id: Uuid,
    keys: &[(DateTime<Utc>, Uuid)],
) -> QueryResult<Vec<StoredEvent>> {
    let (ats, ids): (Vec<DateTime<Utc>>, Vec<Uuid>) = keys.iter().copied().unzip();
    let rows: Vec<FoldRow> = prepared(format!(
        "SELECT {FOLD_COLUMNS} FROM unnest($2::timestamptz[], $3::uuid[]) AS k(at, id)
         CROSS JOIN LATERAL (SELECT * FROM events e
           WHERE e.org_id = $1 AND e.occurred_at = k.at AND e.event_id = k.id LIMIT 1) e
         WHERE NOT EXISTS (SELECT 1 FROM dead_letters d WHERE d.org_id = e.org_id AND d.event_id = e.event_id)"
    ))
    .bind::<diesel::sql_types::Uuid, _>(org_id)
    .bind::<diesel::sql_types::Array<diesel::sql_types::Timestamptz>, _>(&ats)
    .bind::<diesel::sql_types::Array<diesel::sql_types::Uuid>, _>(&ids)
    .load(conn)
    .await?;
    folded(rows)
}

/// The sessions of these events (occurrence time and id) of one org, read
/// without their payloads (an event the fold cannot read still names its
/// session).
pub async fn sessions_of_events(
    conn: &mut AsyncPgConnection,
    org_id: Uuid,
    keys: &[(DateTime<Utc>, Uuid)],
) -> QueryResult<Vec<String>> {
    #[derive(diesel::QueryableByName)]
    struct Session {
        #[diesel(sql_type = diesel::sql_types::Text)]
        session_id: String,
    }
    let (ats, ids): (Vec<DateTime<Utc>>, Vec<Uuid>) = keys.iter().copied().unzip();
    let rows: Vec<Session> = prepared(
        "SELECT DISTINCT e.session_id FROM unnest($2::timestamptz[], $3::uuid[]) AS k(at, id)
         CROSS JOIN LATERAL (SELECT session_id FROM events e
           WHERE e.org_id = $1 AND e.occurred_at = k.at AND e.event_id = k.id LIMIT 1) e",
    )
    .bind::<diesel::sql_types::Uuid, _>(org_id)
    .bind::<diesel::sql_types::Array<diesel::sql_types::Timestamptz>, _>(&ats)
    .bind::<diesel::sql_types::Array<diesel::sql_types::Uuid>, _>(&ids)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.session_id).collect())
}

/// For each of these sessions of one org, how many events are stored
/// (queued, dead or projected alike) and how many of those are not among
/// `batch` (event ids): a session with none outside the batch, and as many
/// stored as the batch holds of it, has the batch's events for its whole
/// history and needs nothing read back.
///
/// The ids are read and counted here: tested in SQL (`NOT (event_id =
/// ANY($batch))`), the cached generic plan compared every stored event with
/// every id of the batch, 20–30 ms a batch of 2,000 events.
pub async fn stored_beside(
    conn: &mut AsyncPgConnection,
    org_id: Uuid,
    sessions: &[String],
    batch: &[Uuid],
) -> QueryResult<Vec<(String, i64, i64)>> {
    #[derive(diesel::QueryableByName)]
    struct Stored {
        #[diesel(sql_type = diesel::sql_types::Text)]
        session_id: String,
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        event_id: Uuid,
    }
    let rows: Vec<Stored> = prepared(
        "SELECT session_id, event_id FROM events WHERE org_id = $1 AND session_id = ANY($2)",
    )
    .bind::<diesel::sql_types::Uuid, _>(org_id)
    .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(sessions)
    .load(conn)
    .await?;
    let batch: HashSet<&Uuid> = batch.iter().collect();
    let mut counts: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for row in rows {
        let (stored, beside) = counts.entry(row.session_id).or_default();
        *stored += 1;
        *beside += i64::from(!batch.contains(&row.event_id));
    }
    Ok(counts
        .into_iter()
        .map(|(session, (stored, beside))| (session, stored, beside))
        .collect())
}

/// Of these handoffs `(session, event id, time)` of one org, those followed
/// within `window` by work already projected (a run started or a user
/// message; not queued, not a dead letter): what a handoff new to its
/// session's fold needs to know of the session's history.
pub async fn iterated_handoffs(
    conn: &mut AsyncPgConnection,
    org_id: Uuid,
    handoffs: &[(String, Uuid, DateTime<Utc>)],
    window: chrono::Duration,
) -> QueryResult<Vec<Uuid>> {
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        id: Uuid,
    }
    let sessions: Vec<&str> = handoffs.iter().map(|h| h.0.as_str()).collect();
    let ids: Vec<Uuid> = handoffs.iter().map(|h| h.1).collect();
    let ats: Vec<DateTime<Utc>> = handoffs.iter().map(|h| h.2).collect();
    let rows: Vec<Id> = prepared(
        "SELECT h.id FROM unnest($2::text[], $3::uuid[], $4::timestamptz[]) AS h(session, id, at)
         WHERE EXISTS (
           SELECT 1 FROM events e
           WHERE e.org_id = $1 AND e.session_id = h.session
             AND e.occurred_at > h.at AND e.occurred_at <= h.at + $5 * interval '1 millisecond'
             AND (e.event_type = 'RUN_STARTED'
                  OR (e.event_type = 'MESSAGE_SENT' AND e.payload->'message'->>'role' = 'USER'))
             AND NOT EXISTS (SELECT 1 FROM projection_queue q WHERE q.org_id = e.org_id AND q.event_id = e.event_id)
             AND NOT EXISTS (SELECT 1 FROM dead_letters d WHERE d.org_id = e.org_id AND d.event_id = e.event_id))",
    )
    .bind::<diesel::sql_types::Uuid, _>(org_id)
    .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(&sessions)
    .bind::<diesel::sql_types::Array<diesel::sql_types::Uuid>, _>(&ids)
    .bind::<diesel::sql_types::Array<diesel::sql_types::Timestamptz>, _>(&ats)
    .bind::<diesel::sql_types::BigInt, _>(window.num_milliseconds())
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// Every projected event of these sessions of one org (stored, not
/// waiting in the queue, not a dead letter) but those of `excluded`, by
/// occurrence time then event id, as the fold reads them: a session's
/// history, for a fold from scratch. Events still queued are taken in by
/// their own batch.
pub async fn of_sessions(
    conn: &mut AsyncPgConnection,
    org_id: Uuid,
    sessions: &[String],
    excluded: &[Uuid],
) -> QueryResult<Vec<StoredEvent>> {
    use diesel::dsl::sql;
    use diesel::sql_types::Jsonb;
    let rows: Vec<EventRow> = events::table
        .filter(events::org_id.eq(org_id))
        .filter(events::session_id.eq_any(sessions))
        .filter(diesel::dsl::not(events::event_id.eq_any(excluded)))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            dead_letters::table
                .filter(dead_letters::org_id.eq(events::org_id))
                .filter(dead_letters::event_id.eq(events::event_id)),
        )))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            projection_queue::table
                .filter(projection_queue::org_id.eq(events::org_id))
                .filter(projection_queue::event_id.eq(events::event_id)),
        )))
        .order((events::occurred_at, events::event_id))
        .select((
            events::org_id,
            events::occurred_at,
            events::event_id,
            events::event_type,
            events::session_id,
            events::user_id,
            events::run_id,
            sql::<Jsonb>("payload #- '{message,text}'"),
        ))
        .load(conn)
        .await?;
    rows.into_iter()
        .map(|row| {
            let mut event = StoredEvent::try_from(row)?;
            event.raw = serde_json::Value::Null;
            Ok(event)
        })
        .collect()
}

/// The distinct sessions of an org, for a replay.
pub async fn sessions_of_org(
    conn: &mut AsyncPgConnection,
    org_id: Uuid,
) -> QueryResult<Vec<String>> {
    events::table
        .filter(events::org_id.eq(org_id))
        .select(events::session_id)
        .distinct()
        .load(conn)
        .await
}

/// Every stored event of one session, dead letters included, by occurrence
/// time then event id: the session's timeline.
pub async fn timeline(
    conn: &mut AsyncPgConnection,
    org_id: Uuid,
    session: &str,
) -> QueryResult<Vec<StoredEvent>> {
    let rows = events::table
        .filter(events::org_id.eq(org_id))
        .filter(events::session_id.eq(session))
        .order((events::occurred_at, events::event_id))
        .select(EventRow::as_select())
        .load(conn)
        .await?;
    convert(rows)
}

/// A page of a session's events in timeline order: at most `limit`, after
/// the event at (`after.0`, `after.1`) when given.
pub async fn timeline_page(
    conn: &mut AsyncPgConnection,
    org_id: Uuid,
    session: &str,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<StoredEvent>> {
    let mut query = events::table
        .filter(events::org_id.eq(org_id))
        .filter(events::session_id.eq(session))
        .into_boxed();
    if let Some((at, id)) = after {
        query = query.filter(
            events::occurred_at
                .gt(at)
                .or(events::occurred_at.eq(at).and(events::event_id.gt(id))),
        );
    }
    let rows = query
        .order((events::occurred_at, events::event_id))
        .limit(limit)
        .select(EventRow::as_select())
        .load(conn)
        .await?;
    convert(rows)
}

/// Longest title a session gets from its first user message, in characters.
pub const TITLE_CHARS: usize = 120;

/// The first user message of each of these sessions (by occurrence time,
/// then event id), cut to [`TITLE_CHARS`] with "…": what a person calls the
/// session. Sessions without one are left out.
pub async fn first_user_messages(
    conn: &mut AsyncPgConnection,
    org_id: Uuid,
    sessions: &[String],
) -> QueryResult<Vec<(String, String)>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        session_id: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        text: String,
    }
    let rows: Vec<Row> = prepared(
        "SELECT s.session_id, m.text FROM sessions s CROSS JOIN LATERAL (\
           SELECT e.payload -> 'message' ->> 'text' AS text FROM events e \
           WHERE e.org_id = s.org_id AND e.session_id = s.session_id \
             AND e.occurred_at BETWEEN s.started_at AND s.last_event_at \
             AND e.event_type = 'MESSAGE_SENT' AND e.payload -> 'message' ->> 'role' = 'USER' \
             AND e.payload -> 'message' ->> 'text' ~ '[^[:space:]]' \
           ORDER BY e.occurred_at, e.event_id LIMIT 1) m \
         WHERE s.org_id = $1 AND s.session_id = ANY($2)",
    )
    .bind::<diesel::sql_types::Uuid, _>(org_id)
    .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(sessions)
    .load(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let one_line = r.text.split_whitespace().collect::<Vec<_>>().join(" ");
            let title = if one_line.chars().count() > TITLE_CHARS {
                let cut: String = one_line.chars().take(TITLE_CHARS - 1).collect();
                format!("{}…", cut.trim_end())
            } else {
                one_line
            };
            (r.session_id, title)
        })
        .collect())
}
