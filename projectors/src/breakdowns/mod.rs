//! Breakdowns of the overview's run figures by model and by the attribute
//! keys an ORG_ADMIN chose for the org (up to five), per day in the org's
//! time zone: `org_daily_breakdowns`. Like the rollups, they change only by
//! the difference between what a session contributes now and what it
//! contributed before (`breakdown_contributions`), in key order.

mod contribution;

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use agentmon_core::Result;
use async_trait::async_trait;
use chrono::NaiveDate;
use diesel::sql_types::{Array, Date, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use uuid::Uuid;

pub use contribution::{Contribution, Figures, Key};

use crate::contributions;
use crate::sql::{delete_scope, write_rows};
use crate::{Batch, Changes, Projector, ReplayScope};

pub struct BreakdownsProjector;

#[derive(Serialize)]
struct Row<'a> {
    org_id: Uuid,
    dimension: &'a str,
    day: NaiveDate,
    value: &'a str,
    #[serde(flatten)]
    figures: Figures,
}

static INCREMENT: LazyLock<String> = LazyLock::new(|| {
    let figures: Vec<String> = Figures::COLUMNS
        .iter()
        .map(|c| {
            format!(
                "{c} {}",
                if *c == "cost_usd" {
                    "numeric"
                } else {
                    "bigint"
                }
            )
        })
        .collect();
    let sets: Vec<String> = Figures::COLUMNS
        .iter()
        .map(|c| format!("{c} = t.{c} + excluded.{c}"))
        .collect();
    format!(
        "INSERT INTO org_daily_breakdowns AS t (org_id, dimension, day, value, {cols})
         SELECT org_id, dimension, day, value, {cols} FROM jsonb_to_recordset($1)
           AS x(org_id uuid, dimension text, day date, value text, {defs})
         ON CONFLICT (org_id, dimension, day, value) DO UPDATE SET {sets}",
        cols = Figures::COLUMNS.join(", "),
        defs = figures.join(", "),
        sets = sets.join(", "),
    )
});
/// Where each session's contribution is kept.
const CONTRIBUTIONS: &str = "breakdown_contributions";

type Deltas = BTreeMap<(Uuid, Key), Figures>;

fn add(deltas: &mut Deltas, org: Uuid, c: &Contribution, sign: i64) {
    for (key, f) in &c.entries {
        deltas.entry((org, key.clone())).or_default().add(f, sign);
    }
}

async fn write_deltas(tx: &mut AsyncPgConnection, mut deltas: Deltas) -> Result<()> {
    deltas.retain(|_, f| !f.is_zero());
    let rows: Vec<Row> = deltas
        .iter()
        .map(|((org_id, (dimension, day, value)), figures)| Row {
            org_id: *org_id,
            dimension,
            day: *day,
            value,
            figures: *figures,
        })
        .collect();
    write_rows(tx, &INCREMENT, &rows).await
}

/// The breakdown keys of these orgs.
async fn keys_of(tx: &mut AsyncPgConnection, orgs: &[Uuid]) -> Result<HashMap<Uuid, Vec<String>>> {
    #[derive(diesel::QueryableByName)]
    struct Keys {
        #[diesel(sql_type = SqlUuid)]
        id: Uuid,
        #[diesel(sql_type = Array<Text>)]
        breakdown_keys: Vec<String>,
    }
    let rows: Vec<Keys> =
        diesel::sql_query("SELECT id, breakdown_keys FROM orgs WHERE id = ANY($1)")
            .bind::<Array<SqlUuid>, _>(orgs)
            .load(tx)
            .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.breakdown_keys)).collect())
}

#[async_trait]
impl Projector for BreakdownsProjector {
    fn name(&self) -> &'static str {
        "breakdowns"
    }

    async fn apply(&self, tx: &mut AsyncPgConnection, batch: &Batch) -> Result<Changes> {
        let mut by_org: BTreeMap<Uuid, Vec<&crate::fold::SessionFold>> = BTreeMap::new();
        for s in &batch.sessions {
            by_org.entry(s.org_id).or_default().push(s);
        }
        let orgs: Vec<Uuid> = by_org.keys().copied().collect();
        let keys = keys_of(tx, &orgs).await?;
        let mut deltas = Deltas::new();
        let mut changed: Vec<(Uuid, &str, Contribution)> = Vec::new();
        for (org, sessions) in &by_org {
            let ids: Vec<String> = sessions.iter().map(|s| s.session_id.clone()).collect();
            let old: HashMap<String, Contribution> =
                contributions::load(tx, CONTRIBUTIONS, *org, &ids).await?;
            let cutoff = batch.cutoffs.get(org).copied();
            let org_keys = keys.get(org).cloned().unwrap_or_default();
            for session in sessions {
                let new = Contribution::of(session, &org_keys).since(cutoff);
                match old.get(&session.session_id) {
                    Some(previous) if *previous == new => continue,
                    Some(previous) => add(&mut deltas, *org, &previous.clone().since(cutoff), -1),
                    None => {}
                }
                add(&mut deltas, *org, &new, 1);
                changed.push((*org, &session.session_id, new));
            }
        }
        write_deltas(tx, deltas).await?;
        contributions::store(tx, CONTRIBUTIONS, &changed).await
    }

    async fn reset(&self, tx: &mut AsyncPgConnection, scope: &ReplayScope) -> Result<()> {
        for table in ["breakdown_contributions", "org_daily_breakdowns"] {
            delete_scope(tx, table, scope.org).await?;
        }
        Ok(())
    }

    async fn remove_sessions(
        &self,
        tx: &mut AsyncPgConnection,
        org: Uuid,
        sessions: &[String],
    ) -> Result<()> {
        let old: HashMap<String, Contribution> =
            contributions::load(tx, CONTRIBUTIONS, org, sessions).await?;
        let mut deltas = Deltas::new();
        for c in old.values() {
            add(&mut deltas, org, c, -1);
        }
        write_deltas(tx, deltas).await?;
        diesel::sql_query(
            "DELETE FROM breakdown_contributions WHERE org_id = $1 AND session_id = ANY($2)",
        )
        .bind::<SqlUuid, _>(org)
        .bind::<Array<Text>, _>(sessions)
        .execute(tx)
        .await?;
        Ok(())
    }

    async fn forget_days(
        &self,
        tx: &mut AsyncPgConnection,
        org: Uuid,
        cutoff: NaiveDate,
        cutoff_at: chrono::DateTime<chrono::Utc>,
    ) -> Result<()> {
        diesel::sql_query("DELETE FROM org_daily_breakdowns WHERE org_id = $1 AND day < $2")
            .bind::<SqlUuid, _>(org)
            .bind::<Date, _>(cutoff)
            .execute(tx)
            .await?;
        // Entries are [[dimension, day, value], figures].
        diesel::sql_query(
            "UPDATE breakdown_contributions c SET contribution = jsonb_build_object('entries',
               (SELECT coalesce(jsonb_agg(e ORDER BY n), '[]'::jsonb)
                FROM jsonb_array_elements(c.contribution->'entries') WITH ORDINALITY AS x(e, n)
                WHERE e->0->>1 >= $3))
             FROM sessions s
             WHERE s.org_id = $1 AND s.started_at < $2
               AND c.org_id = s.org_id AND c.session_id = s.session_id",
        )
        .bind::<SqlUuid, _>(org)
        .bind::<diesel::sql_types::Timestamptz, _>(cutoff_at)
        .bind::<Text, _>(cutoff.format("%Y-%m-%d").to_string())
        .execute(tx)
        .await?;
        Ok(())
    }
}
