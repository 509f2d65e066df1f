//! Alert rules over GraphQL: `Org.alertRules` (MANAGER and up),
//! `createAlertRule`, `updateAlertRule`, `deleteAlertRule` (ORG_ADMIN of
//! the org, or SUPER_ADMIN), each change audited. A rule's state is the one
//! its last evaluation left in the current window (OK before any).

use agentmon_core::alerts::values::{window_of, Metric};
use agentmon_core::auth::policy::Capability;
use agentmon_core::storage::models::alert_rule::{self, Rule, RuleInput, RuleState};
use agentmon_core::storage::models::org::Org;
use agentmon_core::storage::models::{alert_channel, team};
use agentmon_core::Error;
use async_graphql::{Context, Enum, InputObject, Object, ID};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::access::{administered, authorize, in_org};
use super::alerts::AlertChannel;
use super::context::{db, GqlResult, RequestContext};
use super::teams::TeamObject;
use super::users::node::UserObject;
use crate::actions;

/// The evaluation's metrics, as the API names them.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "agentmon_core::alerts::values::Metric")]
pub enum AlertMetric {
    CostUsd,
    Runs,
    FailedRuns,
    SuccessRate,
    DurationP95Ms,
    FailedModelCalls,
    FailedToolCalls,
    SilenceMinutes,
    DeadLetters,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum AlertWindow {
    Hour,
    Day,
    Week,
    Month,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum AlertComparison {
    Above,
    Below,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum AlertState {
    Ok,
    Warning,
    Firing,
}

use async_graphql::resolver_utils::EnumType;

/// The stored names of the enums: their GraphQL names.
pub(super) fn stored<T: EnumType>(value: T) -> &'static str {
    T::items()
        .iter()
        .find(|i| i.value == value)
        .map_or("", |i| i.name)
}

pub(super) fn parsed<T: EnumType>(text: &str) -> Option<T> {
    T::items().iter().find(|i| i.name == text).map(|i| i.value)
}

#[derive(InputObject)]
pub struct AlertRuleInput {
    pub name: String,
    pub metric: AlertMetric,
    pub window: AlertWindow,
    #[graphql(default_with = "Some(AlertComparison::Above)")]
    pub comparison: Option<AlertComparison>,
    pub threshold: f64,
    /// A fraction of the threshold (e.g. 0.85): WARNING once it is crossed.
    pub warn_at: Option<f64>,
    /// Scope: a team of the org.
    pub team_id: Option<ID>,
    /// Scope: one user of the org (not with teamId).
    pub user_id: Option<String>,
    pub channel_ids: Vec<ID>,
    #[graphql(default_with = "Some(true)")]
    pub enabled: Option<bool>,
}

/// Most channels one rule notifies.
const MAX_RULE_CHANNELS: usize = 10;

impl AlertRuleInput {
    /// The storage's input, checked, with what to fix.
    fn checked(&self) -> Result<RuleInput, Error> {
        let bad = |m: String| Error::BadUserInput(m);
        let name = actions::input::name("name", &self.name, 128)?;
        if !self.threshold.is_finite() || self.threshold < 0.0 {
            return Err(bad(format!(
                "threshold must be a number ≥ 0; got {}",
                self.threshold
            )));
        }
        if self.metric == AlertMetric::SuccessRate && self.threshold > 1.0 {
            return Err(bad(format!(
                "a SUCCESS_RATE threshold is a fraction from 0 to 1 (0.8 for 80 %); got {}",
                self.threshold
            )));
        }
        if let Some(w) = self.warn_at {
            if !(w > 0.0 && w < 1.0) {
                return Err(bad(format!(
                    "warnAt is a fraction of the threshold between 0 and 1 (0.85: WARNING at 85 %); got {w}"
                )));
            }
            if self.comparison == Some(AlertComparison::Below) {
                return Err(bad(
                    "warnAt is for ABOVE rules (budgets); a BELOW rule fires at its threshold"
                        .into(),
                ));
            }
        }
        check_scope(
            self.metric,
            self.window,
            self.team_id.is_some(),
            self.user_id.is_some(),
        )?;
        let user_id = self
            .user_id
            .as_deref()
            .map(actions::input::user_id)
            .transpose()?
            .map(str::to_string);
        let team_id = self
            .team_id
            .as_ref()
            .map(|t| {
                t.parse::<Uuid>()
                    .map_err(|_| bad(format!("teamId: no team {}", t.as_str())))
            })
            .transpose()?;
        if self.channel_ids.len() > MAX_RULE_CHANNELS {
            return Err(bad(format!(
                "a rule notifies at most {MAX_RULE_CHANNELS} channels"
            )));
        }
        let mut channel_ids = Vec::new();
        for c in &self.channel_ids {
            let id = c
                .parse::<Uuid>()
                .map_err(|_| bad(format!("channelIds: no alert channel {}", c.as_str())))?;
            if !channel_ids.contains(&id) {
                channel_ids.push(id);
            }
        }
        Ok(RuleInput {
            name,
            metric: stored(self.metric),
            window: stored(self.window),
            comparison: stored(self.comparison.unwrap_or(AlertComparison::Above)),
            threshold: self.threshold,
            warn_at: self.warn_at,
            team_id,
            user_id,
            channel_ids,
            enabled: self.enabled.unwrap_or(true),
        })
    }
}

/// Whether `metric` over `window` can be watched for this scope (a team,
/// a user, or the org), with what to fix.
pub(super) fn check_scope(
    metric: AlertMetric,
    window: AlertWindow,
    team: bool,
    user: bool,
) -> Result<(), Error> {
    if team && user {
        return Err(Error::BadUserInput(
            "a rule watches the org, a team (teamId) or a user (userId): not both".into(),
        ));
    }
    if window == AlertWindow::Hour {
        let hourly = Metric::from(metric).hourly();
        if !hourly || user {
            return Err(Error::BadUserInput(
                    "an HOUR window takes COST_USD, RUNS, FAILED_RUNS or SUCCESS_RATE of the org or a team; \
                     use DAY for the others and for a user"
                        .into(),
                ));
        }
    }
    if metric == AlertMetric::DeadLetters && (team || user) {
        return Err(Error::BadUserInput(
            "DEAD_LETTERS are the org's: give neither teamId nor userId".into(),
        ));
    }
    Ok(())
}

pub struct AlertRuleObject {
    org: Org,
    rule: Rule,
    state: Option<RuleState>,
}

#[Object(name = "AlertRule")]
impl AlertRuleObject {
    async fn id(&self) -> ID {
        ID(self.rule.id.to_string())
    }
    async fn name(&self) -> &str {
        &self.rule.name
    }
    async fn metric(&self) -> AlertMetric {
        parsed(&self.rule.metric).unwrap_or(AlertMetric::CostUsd)
    }
    async fn window(&self) -> AlertWindow {
        parsed(&self.rule.window).unwrap_or(AlertWindow::Day)
    }
    async fn comparison(&self) -> AlertComparison {
        parsed(&self.rule.comparison).unwrap_or(AlertComparison::Above)
    }
    async fn threshold(&self) -> f64 {
        self.rule.threshold
    }
    async fn warn_at(&self) -> Option<f64> {
        self.rule.warn_at
    }
    async fn team(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<TeamObject>> {
        let Some(id) = self.rule.team_id else {
            return Ok(None);
        };
        let org_id = self.org.id;
        let found = in_org!(ctx, org_id, |tx| team::get(tx, org_id, id).await?)?;
        Ok(found.map(|team| TeamObject {
            org: self.org.clone(),
            team,
        }))
    }
    async fn user(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<UserObject>> {
        match &self.rule.user_id {
            Some(user) => Ok(Some(UserObject::load(ctx, &self.org, user).await?)),
            None => Ok(None),
        }
    }
    async fn channels(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<AlertChannel>> {
        let org_id = self.org.id;
        let all = in_org!(ctx, org_id, |tx| alert_channel::of_org(tx, org_id).await?)?;
        Ok(all
            .iter()
            .filter(|c| self.rule.channel_ids.contains(&c.id))
            .map(AlertChannel::from)
            .collect())
    }
    async fn enabled(&self) -> bool {
        self.rule.enabled
    }
    /// In the current window: OK before the rule's first evaluation there.
    async fn state(&self) -> AlertState {
        self.current()
            .and_then(|s| parsed(&s.state))
            .unwrap_or(AlertState::Ok)
    }
    /// The metric's value at the last evaluation in the current window.
    async fn value(&self) -> Option<f64> {
        self.current().and_then(|s| s.value)
    }
    async fn evaluated_at(&self) -> Option<DateTime<Utc>> {
        self.current().map(|s| s.evaluated_at)
    }
}

impl AlertRuleObject {
    /// The stored state when it is of the window we are in and of the
    /// rule as it now reads (an edited rule is OK until evaluated).
    fn current(&self) -> Option<&RuleState> {
        let start = window_of(&self.rule.window)
            .span(Utc::now(), self.org.tz())
            .start;
        // A disabled rule has no state (its last one waits to be resolved).
        self.state.as_ref().filter(|s| {
            self.rule.enabled && s.window_start == start && s.revision == self.rule.revision
        })
    }
}

/// `Org.alertRules`: MANAGER and up.
pub async fn of_org(ctx: &Context<'_>, org: &Org) -> async_graphql::Result<Vec<AlertRuleObject>> {
    authorize(ctx, org, Capability::People).await?;
    let org_id = org.id;
    let (rules, states) = in_org!(ctx, org_id, |tx| (
        alert_rule::of_org(tx, org_id).await?,
        alert_rule::states(tx, org_id).await?
    ))?;
    Ok(rules
        .into_iter()
        .map(|rule| {
            let state = states.iter().find(|s| s.rule_id == rule.id).cloned();
            AlertRuleObject {
                org: org.clone(),
                rule,
                state,
            }
        })
        .collect())
}

/// Rule `id` and its org, for an admin of that org.
async fn rule_of(ctx: &Context<'_>, id: &ID) -> async_graphql::Result<(Org, Uuid)> {
    super::alerts::admin_org_of(ctx, "alert_rules", "alert rule", id).await
}

/// A rule as the API shows it, with its stored state (if any).
pub(super) fn object(org: Org, rule: Rule, state: Option<RuleState>) -> AlertRuleObject {
    AlertRuleObject { org, rule, state }
}

#[derive(Default)]
pub struct AlertRuleMutation;

#[Object]
impl AlertRuleMutation {
    /// ORG_ADMIN of the org, or SUPER_ADMIN.
    async fn create_alert_rule(
        &self,
        ctx: &Context<'_>,
        org: String,
        rule: AlertRuleInput,
    ) -> async_graphql::Result<AlertRuleObject> {
        let input = rule.checked().gql()?;
        let (viewer, org) = administered(ctx, &org).await?;
        let created = actions::alert_rules::create(db(ctx)?, viewer, &org, &input)
            .await
            .gql()?;
        Ok(object(org, created, None))
    }

    /// ORG_ADMIN of the rule's org, or SUPER_ADMIN: the rule becomes
    /// `rule`. When what it watches changes, it starts again from OK (a
    /// FIRING one is notified as resolved); a disabled rule keeps no state.
    async fn update_alert_rule(
        &self,
        ctx: &Context<'_>,
        id: ID,
        rule: AlertRuleInput,
    ) -> async_graphql::Result<AlertRuleObject> {
        let input = rule.checked().gql()?;
        let (org, id) = rule_of(ctx, &id).await?;
        let viewer = RequestContext::of(ctx)?.user().gql()?;
        let updated = actions::alert_rules::update(db(ctx)?, viewer, &org, id, &input)
            .await
            .gql()?;
        let org_id = org.id;
        let state = in_org!(ctx, org_id, |tx| alert_rule::states(tx, org_id).await?)?
            .into_iter()
            .find(|s| s.rule_id == id);
        Ok(object(org, updated, state))
    }

    /// ORG_ADMIN of the rule's org, or SUPER_ADMIN.
    async fn delete_alert_rule(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<bool> {
        let (org, id) = rule_of(ctx, &id).await?;
        let viewer = RequestContext::of(ctx)?.user().gql()?;
        actions::alert_rules::delete(db(ctx)?, viewer, &org, id)
            .await
            .gql()?;
        Ok(true)
    }
}
