//! What an additive read model declares: its tables, its contribution,
//! and the sums a batch's differences make.

use std::collections::HashMap;

use agentmon_core::Result;
use async_trait::async_trait;
use chrono::NaiveDate;
use diesel_async::AsyncPgConnection;
use serde::de::DeserializeOwned;
use serde::Serialize;
use uuid::Uuid;

use crate::fold::SessionFold;

/// The tables of an additive read model.
#[derive(Debug, Clone, Copy)]
pub struct Tables {
    /// Each session's contribution: `(org_id, session_id, contribution
    /// jsonb)`, keyed by `(org_id, session_id)`.
    pub contributions: &'static str,
    /// The sums, each with `org_id` and `day` columns.
    pub days: &'static [&'static str],
    /// A SQL expression of `c.contribution` without its days before `$3`
    /// (a `YYYY-MM-DD` text): what a session remembers once retention
    /// forgot those days.
    pub trim: &'static str,
    /// Sums per week beside the daily ones, each with `org_id` and `week`
    /// (its Monday) columns, and the statement that refills the week holding
    /// a retention cutoff (`$2`, of org `$1`) from its kept days once the
    /// days and the weeks begun before the cutoff are gone.
    pub weeks: &'static [(&'static str, &'static str)],
}

/// What one session adds to the sums, stored as JSON between folds.
pub trait Contribution: Serialize + DeserializeOwned + Clone + PartialEq + Send + Sync {
    /// Without the days before `cutoff` (an org's first kept day): days
    /// past retention hold nothing.
    fn since(self, cutoff: Option<NaiveDate>) -> Self;
}

/// The sums of a batch's differences, by row key.
#[async_trait]
pub trait Deltas<C>: Default + Send {
    /// Adds `sign` times what `contribution` holds to the sums of `org`.
    fn add(&mut self, org: Uuid, contribution: &C, sign: i64);

    /// Applies the sums that are not zero to the tables as increments, in
    /// key order.
    async fn write(self, tx: &mut AsyncPgConnection) -> Result<()>;
}

/// A read model made of per-session contributions.
#[async_trait]
pub trait AdditiveModel: Send + Sync + 'static {
    /// The projector's name (`agentmon replay --projector`).
    const NAME: &'static str;
    const TABLES: Tables;

    /// What a contribution depends on besides the session, per org (`()`
    /// when nothing).
    type Context: Default + Send + Sync;
    type Contribution: Contribution;
    type Deltas: Deltas<Self::Contribution>;

    /// The context of each of these orgs; an org left out has the default.
    async fn contexts(
        &self,
        _tx: &mut AsyncPgConnection,
        _orgs: &[Uuid],
    ) -> Result<HashMap<Uuid, Self::Context>> {
        Ok(HashMap::new())
    }

    /// What a folded session contributes.
    fn contribution(&self, session: &SessionFold, context: &Self::Context) -> Self::Contribution;
}
