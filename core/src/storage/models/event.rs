//! Stored events, as the projectors and the timeline read them back.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Deserialize;
use uuid::Uuid;

use crate::event::{EventType, HandoffInput, MessageInput, RunInput, UserProfileInput};
use crate::storage::schema::{dead_letters, events};

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

/// The sessions of these events (occurrence time and id) of one org, each
/// found by its primary key: a range of times with a list of ids would let
/// the planner scan the whole range once per id when a batch spans a month.
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
    let rows: Vec<Session> = diesel::sql_query(
        "SELECT DISTINCT e.session_id FROM unnest($2::timestamptz[], $3::uuid[]) AS k(at, id)
         JOIN events e ON e.org_id = $1 AND e.occurred_at = k.at AND e.event_id = k.id",
    )
    .bind::<diesel::sql_types::Uuid, _>(org_id)
    .bind::<diesel::sql_types::Array<diesel::sql_types::Timestamptz>, _>(&ats)
    .bind::<diesel::sql_types::Array<diesel::sql_types::Uuid>, _>(&ids)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.session_id).collect())
}

/// Every stored event of these sessions of one org that is not a dead
/// letter nor one of `excluded`, by occurrence time then event id, as the
/// fold needs them: without message texts (the fold counts messages, it
/// does not read them) and without the raw payload of the timeline.
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
    let rows: Vec<Row> = diesel::sql_query(
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
