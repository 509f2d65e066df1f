//! The sessions filter as GraphQL takes it, turned into the storage's
//! [`SessionFilter`] with its checks. The CSV export builds this same input
//! from its query string, so both take the same filters and refuse the
//! same ones with the same words.

use agentmon_core::event::{ErrorCategory, RunStatus};
use agentmon_core::storage::models::session::SessionFilter;
use agentmon_core::Error;
use async_graphql::{InputObject, ID};

use crate::graphql::event_input as gql;
use crate::graphql::ranges::TimeRange;

#[derive(InputObject, Debug, Clone)]
pub struct AttributeFilter {
    pub key: String,
    pub equals: String,
}

#[derive(InputObject, Debug, Clone, Default)]
#[graphql(name = "SessionFilter")]
pub struct SessionFilterInput {
    /// Sessions with any event in the range.
    pub range: Option<TimeRange>,
    pub user_id: Option<String>,
    pub handed_off: Option<bool>,
    pub attributes: Option<Vec<AttributeFilter>>,
    /// Sessions of the team's current members.
    pub team: Option<ID>,
    /// Sessions with a run of this status.
    pub run_status: Option<gql::RunStatus>,
    /// Sessions with a failed run of this category (a failure without one counts as OTHER).
    pub error_category: Option<gql::ErrorCategory>,
    /// Sessions with a run of this model.
    pub model: Option<String>,
    /// Sessions with a call of this tool (by the name `tools` lists).
    pub tool: Option<String>,
    /// Sessions behind one of the waste figures of `Kpis`.
    pub waste: Option<WasteKind>,
}

/// The waste figures of `Kpis`, as the sessions behind each.
#[derive(async_graphql::Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(
    remote = "agentmon_core::storage::models::session::Waste",
    name = "Waste"
)]
pub enum WasteKind {
    /// Sessions with a run that ended FAILED or CANCELLED (`failedRunCostUsd`).
    FailedRuns,
    /// Sessions with a model call that failed for good (`failedModelCallCostUsd`).
    FailedModelCalls,
    /// Sessions with a cost and no code change reported (`noCodeCostUsd`).
    NoCode,
}

impl SessionFilterInput {
    /// The storage's filter, checked: `BAD_USER_INPUT` saying what to fix,
    /// `NOT_FOUND` for a team id that cannot be one.
    pub fn to_filter(&self) -> Result<SessionFilter, Error> {
        let filter = SessionFilter {
            range: self.range.as_ref().map(TimeRange::bounds).transpose()?,
            user_id: self.user_id.clone(),
            handed_off: self.handed_off,
            attributes: self
                .attributes
                .iter()
                .flatten()
                .map(|a| (a.key.clone(), a.equals.clone()))
                .collect(),
            team: self
                .team
                .as_ref()
                .map(|t| {
                    t.parse::<uuid::Uuid>()
                        .map_err(|_| Error::NotFound(format!("no team {}", t.as_str())))
                })
                .transpose()?,
            run_status: self.run_status.map(|s| RunStatus::from(s).as_str()),
            error_category: self.error_category.map(|c| ErrorCategory::from(c).as_str()),
            model: self.model.clone(),
            tool: self.tool.clone(),
            waste: self.waste.map(Into::into),
        };
        filter.check()?;
        Ok(filter)
    }
}
