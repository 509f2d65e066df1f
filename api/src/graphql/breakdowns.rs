//! Breakdowns of the overview's run figures: by model, or by one of the
//! attribute keys an ORG_ADMIN chose for the org (`setBreakdownKeys`, up to
//! five), top values plus "other", from the daily breakdown rollups.

use agentmon_core::metrics::kpis::success_rate;
use agentmon_core::storage::models::breakdown::{self, Row};
use agentmon_core::storage::models::org::Org;
use agentmon_core::Error;
use async_graphql::{Context, Enum, Object, SimpleObject};
use chrono::NaiveDate;

use super::access::in_org;
use super::context::GqlResult;
use super::kpis::money;

/// Most values one breakdown lists before "other".
const MAX_TOP: i32 = 50;

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum BreakdownBy {
    /// The model of each finished run (runs without one: "(none)").
    Model,
    /// The value of one of the org's breakdown keys in each session's
    /// attributes (sessions without it: "(none)").
    Attribute,
    /// The producing agent: the OpenTelemetry `service.name`, or the
    /// session attribute "agent" (sessions without one: "(none)").
    Agent,
}

pub struct BreakdownRow(pub Row);

#[Object]
impl BreakdownRow {
    /// The model, or the attribute's value; "(none)" when absent.
    async fn value(&self) -> &str {
        &self.0.value
    }
    /// Sessions started in the range (for a model: with a run of it).
    async fn sessions(&self) -> i64 {
        self.0.sessions
    }
    /// Runs finished in the range.
    async fn runs(&self) -> i64 {
        self.0.runs
    }
    async fn succeeded_runs(&self) -> i64 {
        self.0.succeeded
    }
    async fn failed_runs(&self) -> i64 {
        self.0.failed
    }
    async fn cancelled_runs(&self) -> i64 {
        self.0.cancelled
    }
    /// succeeded / (succeeded + failed); null when both are 0.
    async fn success_rate(&self) -> Option<f64> {
        success_rate(self.0.succeeded, self.0.failed)
    }
    /// Decimal string, exact.
    async fn cost_usd(&self) -> String {
        money(self.0.cost_usd)
    }
    async fn input_tokens(&self) -> i64 {
        self.0.input_tokens
    }
    async fn output_tokens(&self) -> i64 {
        self.0.output_tokens
    }
    /// Model calls (SPEC section 11) on days in the range, under the
    /// model each names.
    async fn model_calls(&self) -> i64 {
        self.0.model_calls
    }
    async fn cache_read_tokens(&self) -> i64 {
        self.0.cache_read_tokens
    }
    async fn cache_creation_tokens(&self) -> i64 {
        self.0.cache_creation_tokens
    }
    /// The part of `costUsd` estimated from model prices (calls that
    /// reported no cost). Decimal string, exact.
    async fn estimated_cost_usd(&self) -> String {
        money(self.0.estimated_cost_usd)
    }
    /// Lines the agents added, on days in the range (CODE_CHANGE events);
    /// by agent and by attribute only: a model has none.
    async fn lines_added(&self) -> i64 {
        self.0.lines_added
    }
    async fn lines_removed(&self) -> i64 {
        self.0.lines_removed
    }
    async fn commits(&self) -> i64 {
        self.0.commits
    }
    async fn pull_requests(&self) -> i64 {
        self.0.pull_requests
    }
}

#[derive(SimpleObject)]
pub struct Breakdown {
    pub by: BreakdownBy,
    /// The attribute key (ATTRIBUTE only).
    pub key: Option<String>,
    /// The top values by cost, then runs.
    pub rows: Vec<BreakdownRow>,
    /// Everything past the top values; null when nothing is left.
    pub other: Option<BreakdownRow>,
    /// Every value together: equals the overview's runs and cost.
    pub total: BreakdownRow,
}

/// `OrgOverview.breakdown`: the org's figures over `from..=to` by `by`.
pub async fn breakdown(
    ctx: &Context<'_>,
    org: &Org,
    from: NaiveDate,
    to: NaiveDate,
    by: BreakdownBy,
    key: Option<String>,
    top: i32,
) -> async_graphql::Result<Breakdown> {
    if !(1..=MAX_TOP).contains(&top) {
        return Err(Error::BadUserInput(format!("top must be 1 to {MAX_TOP}"))).gql();
    }
    let org_id = org.id;
    let keys = in_org!(ctx, org_id, |tx| breakdown::keys(tx, org_id).await?)?;
    let dimension = match (by, &key) {
        (BreakdownBy::Model, None) => "model".to_string(),
        (BreakdownBy::Agent, None) => "agent".to_string(),
        (BreakdownBy::Model | BreakdownBy::Agent, Some(_)) => {
            return Err(Error::BadUserInput(
                "a MODEL or AGENT breakdown takes no key; give key with ATTRIBUTE".into(),
            ))
            .gql()
        }
        (BreakdownBy::Attribute, Some(k)) if keys.contains(k) => format!("attr:{k}"),
        (BreakdownBy::Attribute, k) => {
            let chosen = if keys.is_empty() {
                "none yet".to_string()
            } else {
                keys.join(", ")
            };
            return Err(Error::BadUserInput(format!(
                "{} is not broken down in this org (its keys: {chosen}); an ORG_ADMIN sets them with setBreakdownKeys",
                k.as_deref().map_or("an ATTRIBUTE breakdown needs a key: it".into(), |k| format!("attribute key {k:?}"))
            )))
            .gql();
        }
    };
    let mut rows = in_org!(ctx, org_id, |tx| breakdown::rows(
        tx, org_id, &dimension, from, to
    )
    .await?)?;
    let mut total = Row {
        value: "(all)".into(),
        ..Row::default()
    };
    rows.iter().for_each(|r| total.add(r));
    let rest = rows.split_off(rows.len().min(top as usize));
    let other = (!rest.is_empty()).then(|| {
        let mut other = Row {
            value: "(other)".into(),
            ..Row::default()
        };
        rest.iter().for_each(|r| other.add(r));
        BreakdownRow(other)
    });
    Ok(Breakdown {
        by,
        key,
        rows: rows.into_iter().map(BreakdownRow).collect(),
        other,
        total: BreakdownRow(total),
    })
}
