//! What each session has added to a projector's sums, kept per session in a
//! table of (org_id, session_id, contribution jsonb): a projector takes the
//! old contribution back out before adding the new one, so a session
//! re-folded any number of times counts once.

use std::collections::HashMap;

use agentmon_core::Result;
use diesel::sql_types::{Array, Jsonb, Text, Uuid as SqlUuid};
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
    let rows: Vec<Stored> = diesel::sql_query(format!(
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
