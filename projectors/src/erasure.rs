//! Erasing one user's data from an org (SPEC section 9), in one
//! transaction holding the org's row (the job runner has paused the org's
//! projection first): readers see every figure either with the user or
//! without, and no batch projects the user's sessions meanwhile.
//! Their events, sessions, runs, profile, ownership and share of every
//! rollup and sketch go; the ids of their events stay in the idempotency
//! ledger (ids only), so a resent event counts as a duplicate.

use agentmon_core::storage::models::erasure;
use agentmon_core::Result;
use diesel::sql_types::{Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::epochs::touch_org;
use crate::locks::hold_org;
use crate::removal::{self, Events, Removed};

/// Erases `user_id` from `org` and completes the erasure receipt of `job`.
pub async fn erase(
    tx: &mut AsyncPgConnection,
    org: Uuid,
    user_id: &str,
    job: Uuid,
) -> Result<Removed> {
    // The org's projection is paused and its row held: no batch touches
    // the user's sessions meanwhile (a lock per session of a user with
    // thousands would exhaust the lock table).
    hold_org(tx, org).await?;
    #[derive(diesel::QueryableByName)]
    struct Done {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        events: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        sessions: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        runs: i64,
    }
    // Done already (the worker died before saying so): the receipt stands.
    let done: Vec<Done> = diesel::sql_query(
        "SELECT events, sessions, runs FROM erasures
         WHERE org_id = $1 AND job_id = $2 AND completed_at IS NOT NULL",
    )
    .bind::<SqlUuid, _>(org)
    .bind::<SqlUuid, _>(job)
    .load(tx)
    .await?;
    if let Some(d) = done.into_iter().next() {
        return Ok(Removed {
            events: d.events,
            sessions: d.sessions,
            runs: d.runs,
        });
    }
    #[derive(diesel::QueryableByName)]
    struct Session {
        #[diesel(sql_type = Text)]
        session_id: String,
    }
    let owned: Vec<Session> = diesel::sql_query(
        "SELECT session_id FROM session_owners WHERE org_id = $1 AND user_id = $2
         UNION SELECT session_id FROM sessions WHERE org_id = $1 AND user_id = $2
         ORDER BY 1",
    )
    .bind::<SqlUuid, _>(org)
    .bind::<Text, _>(user_id)
    .load(tx)
    .await?;
    let mut sessions: Vec<String> = owned.into_iter().map(|s| s.session_id).collect();
    // And what retention removed but left the events of, for now.
    sessions.extend(erasure::leftover_sessions(tx, org, user_id, chrono::Utc::now()).await?);
    sessions.sort();
    sessions.dedup();
    let removed = removal::remove_sessions(tx, org, &sessions, Events::All).await?;
    // Whatever is left of the user: rows that now hold zeros, the profile,
    // team memberships. Access settings (org_members) stay: an erased user
    // who was disabled stays disabled.
    diesel::sql_query(
        "WITH gone AS (DELETE FROM team_members WHERE org_id = $1 AND user_id = $2 RETURNING team_id)
         UPDATE teams SET members_version = members_version + 1
         WHERE org_id = $1 AND id IN (SELECT team_id FROM gone)",
    )
    .bind::<SqlUuid, _>(org)
    .bind::<Text, _>(user_id)
    .execute(tx)
    .await?;
    for table in ["user_daily", "user_weekly", "user_daily_durations", "users"] {
        diesel::sql_query(format!(
            "DELETE FROM {table} WHERE org_id = $1 AND user_id = $2"
        ))
        .bind::<SqlUuid, _>(org)
        .bind::<Text, _>(user_id)
        .execute(tx)
        .await?;
    }
    touch_org(tx, org).await?;
    diesel::sql_query(
        "UPDATE erasures SET completed_at = now(), events = $3, sessions = $4, runs = $5
         WHERE org_id = $1 AND job_id = $2",
    )
    .bind::<SqlUuid, _>(org)
    .bind::<SqlUuid, _>(job)
    .bind::<diesel::sql_types::BigInt, _>(removed.events)
    .bind::<diesel::sql_types::BigInt, _>(removed.sessions)
    .bind::<diesel::sql_types::BigInt, _>(removed.runs)
    .execute(tx)
    .await?;
    Ok(removed)
}
