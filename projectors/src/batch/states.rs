//! Where projection keeps its fold states between batches: one row per
//! session (`session_folds`) and one per run (`run_folds`), read and
//! written only for the sessions and runs a batch touches.

use std::collections::{BTreeMap, HashMap};

use agentmon_core::storage::db::prepared;
use agentmon_core::Result;
use diesel::sql_types::{Array, Jsonb, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use uuid::Uuid;

use crate::fold::{RunState, SessionState};
use crate::sql::write_rows;

fn decode<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T> {
    Ok(serde_json::from_value(value).map_err(anyhow::Error::from)?)
}

/// The kept states of these sessions of `org`, by session id.
pub async fn load_sessions(
    tx: &mut AsyncPgConnection,
    org: Uuid,
    sessions: &[String],
) -> Result<HashMap<String, SessionState>> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        session_id: String,
        #[diesel(sql_type = Jsonb)]
        state: serde_json::Value,
    }
    let rows: Vec<Row> = prepared(
        "SELECT session_id, state FROM session_folds WHERE org_id = $1 AND session_id = ANY($2)",
    )
    .bind::<SqlUuid, _>(org)
    .bind::<Array<Text>, _>(sessions)
    .load(tx)
    .await?;
    // A state that cannot be read is as good as none: the session is
    // folded from its history again.
    Ok(rows
        .into_iter()
        .filter_map(|r| match decode(r.state) {
            Ok(state) => Some((r.session_id, state)),
            Err(e) => {
                tracing::warn!(session = %r.session_id, error = %e, "a kept fold state cannot be read; folding the session from its history");
                None
            }
        })
        .collect())
}

/// The kept states of these runs `(session, run)` of `org`.
pub async fn load_runs(
    tx: &mut AsyncPgConnection,
    org: Uuid,
    runs: &[(String, String)],
) -> Result<HashMap<(String, String), RunState>> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        session_id: String,
        #[diesel(sql_type = Text)]
        run_id: String,
        #[diesel(sql_type = Jsonb)]
        state: serde_json::Value,
    }
    let (sessions, ids): (Vec<&str>, Vec<&str>) =
        runs.iter().map(|(s, r)| (s.as_str(), r.as_str())).unzip();
    let rows: Vec<Row> = prepared(
        // A lateral lookup per key, whatever the statistics say (see
        // `event::by_keys`).
        "SELECT f.session_id, f.run_id, f.state FROM unnest($2::text[], $3::text[]) AS k(s, r)
         CROSS JOIN LATERAL (SELECT session_id, run_id, state FROM run_folds f
           WHERE f.org_id = $1 AND f.session_id = k.s AND f.run_id = k.r) f",
    )
    .bind::<SqlUuid, _>(org)
    .bind::<Array<Text>, _>(&sessions)
    .bind::<Array<Text>, _>(&ids)
    .load(tx)
    .await?;
    rows.into_iter()
        .map(|r| Ok(((r.session_id, r.run_id), decode(r.state)?)))
        .collect()
}

#[derive(Serialize)]
struct SessionRow<'a> {
    org_id: Uuid,
    session_id: &'a str,
    state: &'a SessionState,
}

#[derive(Serialize)]
struct RunRow<'a> {
    org_id: Uuid,
    session_id: &'a str,
    run_id: &'a str,
    state: &'a RunState,
}

/// Keeps these states, replacing what was kept.
pub async fn store(
    tx: &mut AsyncPgConnection,
    org: Uuid,
    sessions: &BTreeMap<String, SessionState>,
    runs: &BTreeMap<(String, String), RunState>,
) -> Result<()> {
    let rows: Vec<SessionRow> = sessions
        .iter()
        .map(|(session_id, state)| SessionRow {
            org_id: org,
            session_id,
            state,
        })
        .collect();
    write_rows(
        tx,
        "INSERT INTO session_folds (org_id, session_id, state)
         SELECT * FROM jsonb_to_recordset($1) AS x(org_id uuid, session_id text, state jsonb)
         ON CONFLICT (org_id, session_id) DO UPDATE SET state = excluded.state",
        &rows,
    )
    .await?;
    let rows: Vec<RunRow> = runs
        .iter()
        .map(|((session_id, run_id), state)| RunRow {
            org_id: org,
            session_id,
            run_id,
            state,
        })
        .collect();
    write_rows(
        tx,
        "INSERT INTO run_folds (org_id, session_id, run_id, state)
         SELECT * FROM jsonb_to_recordset($1) AS x(org_id uuid, session_id text, run_id text, state jsonb)
         ON CONFLICT (org_id, session_id, run_id) DO UPDATE SET state = excluded.state",
        &rows,
    )
    .await?;
    // Implicit runs not yet ended, by their last event, for the worker
    // that ends the quiet ones.
    #[derive(Serialize)]
    struct OpenRow<'a> {
        org_id: Uuid,
        session_id: &'a str,
        run_id: &'a str,
        last_at: Option<chrono::DateTime<chrono::Utc>>,
        open: bool,
    }
    let open: Vec<OpenRow> = runs
        .iter()
        .map(|((session_id, run_id), state)| OpenRow {
            org_id: org,
            session_id,
            run_id,
            last_at: state.last_at,
            open: sessions
                .get(session_id)
                .is_some_and(|s| s.open.contains(run_id)),
        })
        .collect();
    write_rows(
        tx,
        "WITH x AS (SELECT * FROM jsonb_to_recordset($1)
                      AS x(org_id uuid, session_id text, run_id text, last_at timestamptz, open boolean)),
         gone AS (DELETE FROM open_runs q USING x
                  WHERE NOT x.open AND q.org_id = x.org_id AND q.session_id = x.session_id
                    AND q.run_id = x.run_id)
         INSERT INTO open_runs (org_id, session_id, run_id, last_at)
         SELECT org_id, session_id, run_id, last_at FROM x WHERE x.open AND x.last_at IS NOT NULL
         ON CONFLICT (org_id, session_id, run_id) DO UPDATE SET last_at = excluded.last_at",
        &open,
    )
    .await
}
