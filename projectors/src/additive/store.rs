//! The contributions table of an additive read model: what each session
//! has added to the sums, kept per session as (org_id, session_id,
//! contribution jsonb). The engine takes the old contribution back out
//! before adding the new one, so a session re-folded any number of times
//! counts once.

use std::collections::HashMap;

use agentmon_core::storage::db::prepared;
use agentmon_core::Result;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::sql_types::{Array, Jsonb, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::de::DeserializeOwned;
use serde::Serialize;
use uuid::Uuid;

use crate::projector::Changes;
use crate::sql::write_rows;

#[derive(diesel::QueryableByName)]
struct Stored {
    #[diesel(sql_type = Text)]
    session_id: String,
    #[diesel(sql_type = Jsonb)]
    contribution: serde_json::Value,
}

/// The stored contributions of these sessions of `org`, by session id.
pub async fn load<C: DeserializeOwned>(
    tx: &mut AsyncPgConnection,
    table: &str,
    org: Uuid,
    sessions: &[String],
) -> Result<HashMap<String, C>> {
    let rows: Vec<Stored> = prepared(format!(
        "SELECT session_id, contribution FROM {table} WHERE org_id = $1 AND session_id = ANY($2)"
    ))
    .bind::<SqlUuid, _>(org)
    .bind::<Array<Text>, _>(sessions)
    .load(tx)
    .await?;
    rows.into_iter()
        .map(|r| {
            let c = serde_json::from_value(r.contribution).map_err(anyhow::Error::from)?;
            Ok((r.session_id, c))
        })
        .collect()
}

#[derive(Serialize)]
struct Row<'a, C> {
    org_id: Uuid,
    session_id: &'a str,
    contribution: &'a C,
}

/// Stores the new contributions of the sessions that changed; the orgs they
/// belong to are what changed.
pub async fn store<C: Serialize>(
    tx: &mut AsyncPgConnection,
    table: &str,
    changed: &[(Uuid, &str, C)],
) -> Result<Changes> {
    let rows: Vec<Row<C>> = changed
        .iter()
        .map(|(org_id, session_id, contribution)| Row {
            org_id: *org_id,
            session_id,
            contribution,
        })
        .collect();
    let sql = format!(
        "INSERT INTO {table} AS t (org_id, session_id, contribution)
         SELECT org_id, session_id, contribution FROM jsonb_to_recordset($1)
           AS x(org_id uuid, session_id text, contribution jsonb)
         ON CONFLICT (org_id, session_id) DO UPDATE SET contribution = excluded.contribution"
    );
    write_rows(tx, &sql, &rows).await?;
    let mut changes = Changes::default();
    changes.orgs.extend(changed.iter().map(|(o, _, _)| *o));
    Ok(changes)
}

/// Forgets the contributions of these sessions of `org`.
pub async fn delete(
    tx: &mut AsyncPgConnection,
    table: &str,
    org: Uuid,
    sessions: &[String],
) -> Result<()> {
    prepared(format!(
        "DELETE FROM {table} WHERE org_id = $1 AND session_id = ANY($2)"
    ))
    .bind::<SqlUuid, _>(org)
    .bind::<Array<Text>, _>(sessions)
    .execute(tx)
    .await?;
    Ok(())
}

/// Trims the contributions of the org's sessions begun before `cutoff_at`
/// (the first instant of `cutoff`, its first kept day) to the days from
/// `cutoff` on, with `trim` (an expression of `c.contribution` and `$3`).
pub async fn trim(
    tx: &mut AsyncPgConnection,
    table: &str,
    trim: &str,
    org: Uuid,
    cutoff: NaiveDate,
    cutoff_at: DateTime<Utc>,
) -> Result<()> {
    prepared(format!(
        "UPDATE {table} c SET contribution = {trim}
         FROM sessions s
         WHERE s.org_id = $1 AND s.started_at < $2
           AND c.org_id = s.org_id AND c.session_id = s.session_id"
    ))
    .bind::<SqlUuid, _>(org)
    .bind::<Timestamptz, _>(cutoff_at)
    .bind::<Text, _>(cutoff.format("%Y-%m-%d").to_string())
    .execute(tx)
    .await?;
    Ok(())
}
