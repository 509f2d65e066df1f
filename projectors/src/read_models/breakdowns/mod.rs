//! Breakdowns of the overview's run figures by model and by the attribute
//! keys an ORG_ADMIN chose for the org (up to five), per day in the org's
//! time zone: `org_daily_breakdowns`. An additive read model (see
//! [`crate::additive`]): like the rollups, they change only by the
//! difference between what a session contributes now and what it
//! contributed before (`breakdown_contributions`).

mod contribution;
mod deltas;

use std::collections::HashMap;

use agentmon_core::storage::db::prepared;
use agentmon_core::Result;
use async_trait::async_trait;
use diesel::sql_types::{Array, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::additive::{AdditiveModel, Tables};
use crate::fold::SessionFold;

pub use contribution::Contribution;
pub use deltas::Deltas;

pub struct Breakdowns;

#[async_trait]
impl AdditiveModel for Breakdowns {
    const NAME: &'static str = "breakdowns";
    const TABLES: Tables = Tables {
        contributions: "breakdown_contributions",
        days: &["org_daily_breakdowns"],
        // Entries are [[dimension, day, value], figures].
        trim: "jsonb_build_object('entries',
                 (SELECT coalesce(jsonb_agg(e ORDER BY n), '[]'::jsonb)
                  FROM jsonb_array_elements(c.contribution->'entries') WITH ORDINALITY AS x(e, n)
                  WHERE e->0->>1 >= $3))",
        weeks: &[],
    };

    /// The org's breakdown keys.
    type Context = Vec<String>;
    type Contribution = Contribution;
    type Deltas = Deltas;

    async fn contexts(
        &self,
        tx: &mut AsyncPgConnection,
        orgs: &[Uuid],
    ) -> Result<HashMap<Uuid, Vec<String>>> {
        #[derive(diesel::QueryableByName)]
        struct Keys {
            #[diesel(sql_type = SqlUuid)]
            id: Uuid,
            #[diesel(sql_type = Array<Text>)]
            breakdown_keys: Vec<String>,
        }
        let rows: Vec<Keys> = prepared("SELECT id, breakdown_keys FROM orgs WHERE id = ANY($1)")
            .bind::<Array<SqlUuid>, _>(orgs)
            .load(tx)
            .await?;
        Ok(rows.into_iter().map(|r| (r.id, r.breakdown_keys)).collect())
    }

    fn contribution(&self, session: &SessionFold, keys: &Vec<String>) -> Contribution {
        Contribution::of(session, keys)
    }
}
