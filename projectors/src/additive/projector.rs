//! An additive read model as a projector: applying a batch's differences,
//! removing sessions, forgetting days and resetting, the same for every
//! model.

use std::collections::{BTreeMap, HashMap};

use agentmon_core::Result;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::sql_types::{Date, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::model::{AdditiveModel, Contribution, Deltas};
use super::store;
use crate::fold::SessionFold;
use crate::projector::{Batch, Changes, Projector, ReplayScope};
use crate::sql::delete_scope;

/// The projector of additive read model `M`.
pub struct AdditiveProjector<M>(pub M);

#[async_trait]
impl<M: AdditiveModel> Projector for AdditiveProjector<M> {
    fn name(&self) -> &'static str {
        M::NAME
    }

    /// Applies, per session, the difference between what it contributes
    /// now and what it contributed at its last projection.
    async fn apply(&self, tx: &mut AsyncPgConnection, batch: &Batch) -> Result<Changes> {
        let table = M::TABLES.contributions;
        let mut by_org: BTreeMap<Uuid, Vec<&SessionFold>> = BTreeMap::new();
        for s in &batch.sessions {
            by_org.entry(s.org_id).or_default().push(s);
        }
        let orgs: Vec<Uuid> = by_org.keys().copied().collect();
        let contexts = self.0.contexts(tx, &orgs).await?;
        let no_context = M::Context::default();
        let mut deltas = M::Deltas::default();
        let mut changed: Vec<(Uuid, &str, M::Contribution)> = Vec::new();
        for (org, sessions) in &by_org {
            let ids: Vec<String> = sessions.iter().map(|s| s.session_id.clone()).collect();
            let old: HashMap<String, M::Contribution> = store::load(tx, table, *org, &ids).await?;
            let cutoff = batch.cutoffs.get(org).copied();
            let context = contexts.get(org).unwrap_or(&no_context);
            for session in sessions {
                let new = self.0.contribution(session, context).since(cutoff);
                match old.get(&session.session_id) {
                    Some(previous) if *previous == new => continue,
                    Some(previous) => deltas.add(*org, &previous.clone().since(cutoff), -1),
                    None => {}
                }
                deltas.add(*org, &new, 1);
                changed.push((*org, &session.session_id, new));
            }
        }
        deltas.write(tx).await?;
        store::store(tx, table, &changed).await
    }

    async fn reset(&self, tx: &mut AsyncPgConnection, scope: &ReplayScope) -> Result<()> {
        delete_scope(tx, M::TABLES.contributions, scope.org).await?;
        for table in M::TABLES.days {
            delete_scope(tx, table, scope.org).await?;
        }
        for (table, _) in M::TABLES.weeks {
            delete_scope(tx, table, scope.org).await?;
        }
        Ok(())
    }

    /// Subtracts what the sessions contributed and forgets their
    /// contributions.
    async fn remove_sessions(
        &self,
        tx: &mut AsyncPgConnection,
        org: Uuid,
        sessions: &[String],
    ) -> Result<()> {
        let table = M::TABLES.contributions;
        let old: HashMap<String, M::Contribution> = store::load(tx, table, org, sessions).await?;
        let mut deltas = M::Deltas::default();
        for contribution in old.values() {
            deltas.add(org, contribution, -1);
        }
        deltas.write(tx).await?;
        store::delete(tx, table, org, sessions).await
    }

    async fn forget_days(
        &self,
        tx: &mut AsyncPgConnection,
        org: Uuid,
        cutoff: NaiveDate,
        cutoff_at: DateTime<Utc>,
    ) -> Result<()> {
        // The days before the cutoff, and the weeks begun before it; then
        // each week holding the cutoff again from its kept days.
        let days = M::TABLES.days.iter().map(|t| (*t, "day"));
        let weeks = M::TABLES.weeks.iter().map(|(t, _)| (*t, "week"));
        let refills = M::TABLES.weeks.iter().map(|(_, refill)| refill.to_string());
        let statements = days
            .chain(weeks)
            .map(|(table, column)| {
                format!("DELETE FROM {table} WHERE org_id = $1 AND {column} < $2")
            })
            .chain(refills);
        for sql in statements {
            diesel::sql_query(sql)
                .bind::<SqlUuid, _>(org)
                .bind::<Date, _>(cutoff)
                .execute(tx)
                .await?;
        }
        let tables = M::TABLES;
        store::trim(
            tx,
            tables.contributions,
            tables.trim,
            org,
            cutoff,
            cutoff_at,
        )
        .await
    }
}
