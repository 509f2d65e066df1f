//! Removing the sessions whose last event is before an org's cutoff, a
//! transaction per [`SESSIONS_PER_TX`] sessions holding their locks; then
//! their users derived again from what is left.

use std::collections::BTreeSet;

use agentmon_core::Result;
use chrono::{DateTime, Utc};
use diesel::sql_types::{Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::cutoffs::Cutoff;
use crate::epochs::touch_org;
use crate::locks::{lock_sessions, share_org};
use crate::removal::{self, Events, Removed};

/// Sessions removed per transaction.
pub const SESSIONS_PER_TX: usize = 1_000;
/// Users whose first seen, last active and profile are derived again per
/// transaction, after their old sessions went.
const USERS_PER_TX: usize = 500;

/// Removes the sessions whose last event is before the cutoff, a few
/// hundred per transaction. Events below `dropped_below` are left to the
/// partition drop.
pub async fn remove_old_sessions(
    conn: &mut AsyncPgConnection,
    cutoff: &Cutoff,
    dropped_below: Option<DateTime<Utc>>,
) -> Result<Removed> {
    #[derive(diesel::QueryableByName)]
    struct Session {
        #[diesel(sql_type = Text)]
        session_id: String,
    }
    let old: Vec<Session> = diesel::sql_query(
        "SELECT session_id FROM sessions WHERE org_id = $1 AND last_event_at < $2 ORDER BY session_id",
    )
    .bind::<SqlUuid, _>(cutoff.org)
    .bind::<Timestamptz, _>(cutoff.at)
    .load(conn)
    .await?;
    let old: Vec<String> = old.into_iter().map(|s| s.session_id).collect();
    let mut total = Removed::default();
    let mut affected: BTreeSet<String> = BTreeSet::new();
    let events = Events::Before {
        cutoff: cutoff.at,
        dropped_below,
    };
    for chunk in old.chunks(SESSIONS_PER_TX) {
        let org = cutoff.org;
        let at = cutoff.at;
        let removed = conn
            .transaction::<_, agentmon_core::Error, _>(async |tx| {
                share_org(tx, org).await?;
                let keys: BTreeSet<(Uuid, String)> =
                    chunk.iter().map(|s| (org, s.clone())).collect();
                lock_sessions(tx, &keys).await?;
                // A session may have moved on since it was listed.
                #[derive(diesel::QueryableByName)]
                struct Still {
                    #[diesel(sql_type = Text)]
                    session_id: String,
                    #[diesel(sql_type = Text)]
                    user_id: String,
                }
                let still: Vec<Still> = diesel::sql_query(
                    "SELECT session_id, user_id FROM sessions
                     WHERE org_id = $1 AND session_id = ANY($2) AND last_event_at < $3",
                )
                .bind::<SqlUuid, _>(org)
                .bind::<diesel::sql_types::Array<Text>, _>(chunk)
                .bind::<Timestamptz, _>(at)
                .load(tx)
                .await?;
                let users: BTreeSet<String> = still.iter().map(|s| s.user_id.clone()).collect();
                let still: Vec<String> = still.into_iter().map(|s| s.session_id).collect();
                let removed = removal::remove_sessions(tx, org, &still, events).await?;
                Ok((removed, users))
            })
            .await?;
        touch_org(conn, org).await?;
        total.events += removed.0.events;
        total.sessions += removed.0.sessions;
        total.runs += removed.0.runs;
        affected.extend(removed.1);
    }
    // Once at the end: what their remaining sessions say of them. Users
    // first seen before the cutoff are taken too, so that a pass cut short
    // before this point is completed by the next one.
    #[derive(diesel::QueryableByName)]
    struct Old {
        #[diesel(sql_type = Text)]
        user_id: String,
    }
    let old: Vec<Old> =
        diesel::sql_query("SELECT user_id FROM users WHERE org_id = $1 AND first_seen_at < $2")
            .bind::<SqlUuid, _>(cutoff.org)
            .bind::<Timestamptz, _>(cutoff.at)
            .load(conn)
            .await?;
    affected.extend(old.into_iter().map(|o| o.user_id));
    let affected: Vec<String> = affected.into_iter().collect();
    for users in affected.chunks(USERS_PER_TX) {
        let org = cutoff.org;
        conn.transaction::<_, agentmon_core::Error, _>(async |tx| {
            removal::refresh_users(tx, org, users).await
        })
        .await?;
    }
    Ok(total)
}
