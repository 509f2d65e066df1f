//! Storing one org's accepted events: duplicates found by id and not
//! stored again, the events, their keys, their projection-queue rows and
//! their users, and a wake-up for the workers.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::event::{EventInput, Rejection};
use crate::storage::db::set_org;
use crate::storage::schema::{event_keys, events, projection_queue, users};
use crate::Result;

use super::claims::{claim_runs, claim_sessions};
use super::outcome::IngestOutcome;

/// The channel a worker listens on; the payload is the org id.
pub const EVENTS_CHANNEL: &str = "agentmon_events";

#[derive(Insertable)]
#[diesel(table_name = events)]
struct NewEvent<'a> {
    org_id: Uuid,
    occurred_at: DateTime<Utc>,
    event_id: Uuid,
    event_type: &'static str,
    session_id: &'a str,
    user_id: &'a str,
    run_id: Option<&'a str>,
    payload: serde_json::Value,
}

/// Stores the events of one org inside the caller's transaction.
pub(super) async fn store_org_batch(
    conn: &mut AsyncPgConnection,
    org_id: Uuid,
    events: &[EventInput],
    group: &[usize],
) -> Result<IngestOutcome> {
    let mut outcome = IngestOutcome::default();
    set_org(conn, org_id).await?;

    let ids: Vec<Uuid> = group.iter().map(|&i| events[i].event_id).collect();
    // Each id looked up in the ledger's key: `event_id = ANY($ids)` was
    // planned as a scan testing every row against the whole array when the
    // table's statistics lagged behind a burst of ingest.
    #[derive(diesel::QueryableByName)]
    struct Known {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        event_id: Uuid,
    }
    let known: HashSet<Uuid> = diesel::sql_query(
        "SELECT k.id AS event_id FROM unnest($2::uuid[]) AS k(id)
         WHERE EXISTS (SELECT 1 FROM event_keys e WHERE e.org_id = $1 AND e.event_id = k.id)",
    )
    .bind::<diesel::sql_types::Uuid, _>(org_id)
    .bind::<diesel::sql_types::Array<diesel::sql_types::Uuid>, _>(&ids)
    .load::<Known>(conn)
    .await?
    .into_iter()
    .map(|k| k.event_id)
    .collect();
    let fresh: Vec<usize> = group
        .iter()
        .copied()
        .filter(|&i| !known.contains(&events[i].event_id))
        .collect();
    outcome.duplicates += group.len() - fresh.len();
    if fresh.is_empty() {
        return Ok(outcome);
    }

    let owners = claim_sessions(conn, org_id, events, &fresh).await?;
    let mut of_their_user = Vec::with_capacity(fresh.len());
    for i in fresh {
        let event = &events[i];
        match owners.get(event.session_id.as_str()) {
            Some(owner) if owner != &event.user_id => outcome.rejected.push(Rejection::new(
                i,
                event,
                "SESSION_USER_MISMATCH",
                format!(
                    "session {:?} belongs to user {owner:?}; its events cannot name user {:?}",
                    event.session_id, event.user_id
                ),
            )),
            _ => of_their_user.push(i),
        }
    }
    let runs = claim_runs(conn, org_id, events, &of_their_user).await?;
    let mut owned = Vec::with_capacity(of_their_user.len());
    for i in of_their_user {
        let event = &events[i];
        match event.run_id.as_deref().and_then(|run| runs.get(run)) {
            Some(session) if session != &event.session_id => outcome.rejected.push(Rejection::new(
                i,
                event,
                "RUN_SESSION_MISMATCH",
                format!(
                    "run {:?} belongs to session {session:?}; an event of session {:?} cannot name it. \
                     Run ids are unique within the org",
                    event.run_id.as_deref().unwrap_or_default(),
                    event.session_id
                ),
            )),
            _ => owned.push(i),
        }
    }

    // The ledger decides, also against concurrent calls: only the keys this
    // transaction inserted are new.
    owned.sort_by_key(|&i| events[i].event_id);
    let inserted: HashSet<Uuid> = diesel::insert_into(event_keys::table)
        .values(
            owned
                .iter()
                .map(|&i| {
                    (
                        event_keys::org_id.eq(org_id),
                        event_keys::event_id.eq(events[i].event_id),
                        event_keys::occurred_at.eq(events[i].occurred_at),
                    )
                })
                .collect::<Vec<_>>(),
        )
        .on_conflict_do_nothing()
        .returning(event_keys::event_id)
        .get_results(conn)
        .await?
        .into_iter()
        .collect();
    let new: Vec<&EventInput> = owned
        .iter()
        .map(|&i| &events[i])
        .filter(|e| inserted.contains(&e.event_id))
        .collect();
    outcome.duplicates += owned.len() - new.len();
    if new.is_empty() {
        return Ok(outcome);
    }

    diesel::insert_into(events::table)
        .values(
            new.iter()
                .map(|e| NewEvent {
                    org_id,
                    occurred_at: e.occurred_at,
                    event_id: e.event_id,
                    event_type: e.event_type.as_str(),
                    session_id: &e.session_id,
                    user_id: &e.user_id,
                    run_id: e.run_id.as_deref(),
                    payload: e.payload(),
                })
                .collect::<Vec<_>>(),
        )
        .execute(conn)
        .await?;
    diesel::insert_into(projection_queue::table)
        .values(
            new.iter()
                .map(|e| {
                    (
                        projection_queue::org_id.eq(org_id),
                        projection_queue::event_id.eq(e.event_id),
                        projection_queue::occurred_at.eq(e.occurred_at),
                    )
                })
                .collect::<Vec<_>>(),
        )
        .execute(conn)
        .await?;
    let mut user_ids: Vec<&str> = new.iter().map(|e| e.user_id.as_str()).collect();
    user_ids.sort_unstable();
    user_ids.dedup();
    diesel::insert_into(users::table)
        .values(
            user_ids
                .iter()
                .map(|u| (users::org_id.eq(org_id), users::user_id.eq(*u)))
                .collect::<Vec<_>>(),
        )
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    diesel::sql_query(format!("SELECT pg_notify('{EVENTS_CHANNEL}', $1)"))
        .bind::<Text, _>(org_id.to_string())
        .execute(conn)
        .await?;
    outcome.accepted = new.len();
    Ok(outcome)
}
