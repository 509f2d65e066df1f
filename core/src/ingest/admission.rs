//! Which of one org's events a call may store: those whose ids are new to
//! the ledger and whose session and run belong to them. The claims of
//! sessions and runs are committed before the events are stored.

use std::collections::HashSet;

use diesel::sql_types::{Array, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::event::{EventInput, Rejection};
use crate::storage::db::{prepared, set_org};
use crate::Result;

use super::claims::{claim_runs, claim_sessions};
use super::outcome::IngestOutcome;

/// The events of one org a call goes on to store, and what became of the
/// others.
pub(super) struct Admitted {
    pub owned: Vec<usize>,
    pub outcome: IngestOutcome,
}

/// Counts the duplicates among `group` and claims the sessions and runs of
/// the rest, inside the caller's transaction. The caller commits it before
/// storing: a claim waits for any uncommitted claim of the same key, and
/// claims held until the events were stored made concurrent calls with
/// common sessions wait for each other's whole call. A claim left by a call
/// that then fails is the claim its retry makes again.
///
/// A stored id claims nothing, whatever it names when sent again: an erased
/// person's event sent again must not give their session back to them. An
/// id another call stores after the lookup is found by the store's own
/// check of the ledger.
pub(super) async fn admit(
    conn: &mut AsyncPgConnection,
    org_id: Uuid,
    events: &[EventInput],
    group: &[usize],
) -> Result<Admitted> {
    let mut outcome = IngestOutcome::default();
    set_org(conn, org_id).await?;
    // The claims need not reach the disk before the call goes on: the
    // events' own commit flushes the log up to and past them, and a claim
    // lost in a crash before that belonged to events that were not stored.
    // (A call refused by such a claim in that instant stores nothing and
    // flushes nothing; its events stay refused if the claimant never
    // retries.)
    prepared("SET LOCAL synchronous_commit = off")
        .execute(conn)
        .await?;
    let known = known_ids(conn, org_id, group.iter().map(|&i| events[i].event_id)).await?;
    let fresh: Vec<usize> = group
        .iter()
        .copied()
        .filter(|&i| !known.contains(&events[i].event_id))
        .collect();
    outcome.duplicates += group.len() - fresh.len();
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
    Ok(Admitted { owned, outcome })
}

/// The ids among `ids` already in the ledger of org `org_id`.
pub(super) async fn known_ids(
    conn: &mut AsyncPgConnection,
    org_id: Uuid,
    ids: impl Iterator<Item = Uuid>,
) -> Result<HashSet<Uuid>> {
    // Each id looked up in the ledger's key, laterally: `event_id =
    // ANY($ids)` was planned as a scan testing every row against the whole
    // array, and a semi-join may hash the org's whole ledger, when the
    // table's statistics lag behind a burst of ingest.
    #[derive(diesel::QueryableByName)]
    struct Known {
        #[diesel(sql_type = SqlUuid)]
        event_id: Uuid,
    }
    Ok(prepared(
        "SELECT k.id AS event_id FROM unnest($2::uuid[]) AS k(id)
         CROSS JOIN LATERAL (SELECT 1 FROM event_keys e
           WHERE e.org_id = $1 AND e.event_id = k.id LIMIT 1) e",
    )
    .bind::<SqlUuid, _>(org_id)
    .bind::<Array<SqlUuid>, _>(ids.collect::<Vec<_>>())
    .load::<Known>(conn)
    .await?
    .into_iter()
    .map(|k| k.event_id)
    .collect())
}
