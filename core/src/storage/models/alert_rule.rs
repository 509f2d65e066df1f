//! Alert rules and their current state, in a transaction bound to the org.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::storage::schema::{alert_rules, alert_states};

/// Most rules an org may have.
pub const MAX_RULES: i64 = 1_000;

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = alert_rules, check_for_backend(diesel::pg::Pg))]
pub struct Rule {
    pub id: Uuid,
    pub org_id: Uuid,
    pub name: String,
    pub metric: String,
    pub window: String,
    pub comparison: String,
    pub threshold: f64,
    pub warn_at: Option<f64>,
    pub team_id: Option<Uuid>,
    pub user_id: Option<String>,
    pub channel_ids: Vec<Uuid>,
    pub enabled: bool,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Goes up when what the rule watches changes, or it is enabled again.
    pub revision: i32,
}

impl Rule {
    /// Whether `input` watches something else than this rule does (or
    /// enables it again): the rule then starts again from OK.
    pub fn revised_by(&self, input: &RuleInput) -> bool {
        self.metric != input.metric
            || self.window != input.window
            || self.comparison != input.comparison
            || self.threshold != input.threshold
            || self.warn_at != input.warn_at
            || self.team_id != input.team_id
            || self.user_id != input.user_id
            || (!self.enabled && input.enabled)
    }
}

/// What a rule says, as written by an admin (checked before): the columns
/// a rule is created with and rewritten to.
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = alert_rules, treat_none_as_null = true)]
pub struct RuleInput {
    pub name: String,
    pub metric: &'static str,
    pub window: &'static str,
    pub comparison: &'static str,
    pub threshold: f64,
    pub warn_at: Option<f64>,
    pub team_id: Option<Uuid>,
    pub user_id: Option<String>,
    pub channel_ids: Vec<Uuid>,
    pub enabled: bool,
}

pub async fn create(
    conn: &mut AsyncPgConnection,
    org_id: Uuid,
    input: &RuleInput,
    by: &str,
) -> QueryResult<Rule> {
    diesel::insert_into(alert_rules::table)
        .values((
            input,
            alert_rules::org_id.eq(org_id),
            alert_rules::created_by.eq(by),
        ))
        .returning(Rule::as_returning())
        .get_result(conn)
        .await
}

/// Drops the state of rule `id` (disabled: it keeps none).
pub async fn forget_state(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<()> {
    diesel::delete(alert_states::table.find(id))
        .execute(conn)
        .await
        .map(drop)
}

/// Rewrites rule `id`. When what it watches changes (or it is enabled
/// again) its revision goes up: the next evaluation resolves what the old
/// revision had FIRING and starts the new one from OK. A disabled rule's
/// state is resolved and dropped by the next evaluation.
pub async fn update(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    input: &RuleInput,
) -> QueryResult<Option<Rule>> {
    let Some(before) = by_id(conn, id).await? else {
        return Ok(None);
    };
    // A disabled rule keeps its state until the next evaluation, which
    // resolves it if it was FIRING (see `forget_state`).
    let revision = before.revision + i32::from(before.revised_by(input));
    diesel::update(alert_rules::table.find(id))
        .set((
            input,
            alert_rules::revision.eq(revision),
            alert_rules::updated_at.eq(diesel::dsl::now),
        ))
        .returning(Rule::as_returning())
        .get_result(conn)
        .await
        .optional()
}

pub async fn delete(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<Rule>> {
    diesel::delete(alert_rules::table.find(id))
        .returning(Rule::as_returning())
        .get_result(conn)
        .await
        .optional()
}

pub async fn of_org(conn: &mut AsyncPgConnection, org_id: Uuid) -> QueryResult<Vec<Rule>> {
    alert_rules::table
        .filter(alert_rules::org_id.eq(org_id))
        .order((alert_rules::created_at, alert_rules::id))
        .select(Rule::as_select())
        .load(conn)
        .await
}

pub async fn count(conn: &mut AsyncPgConnection, org_id: Uuid) -> QueryResult<i64> {
    alert_rules::table
        .filter(alert_rules::org_id.eq(org_id))
        .count()
        .get_result(conn)
        .await
}

pub async fn by_id(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<Rule>> {
    alert_rules::table
        .find(id)
        .select(Rule::as_select())
        .first(conn)
        .await
        .optional()
}

/// A rule's state in its current window, from its last evaluation.
#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = alert_states, check_for_backend(diesel::pg::Pg))]
pub struct RuleState {
    pub rule_id: Uuid,
    pub window_start: DateTime<Utc>,
    pub state: String,
    pub value: Option<f64>,
    pub evaluated_at: DateTime<Utc>,
    pub revision: i32,
    /// The threshold the state was decided against.
    pub threshold: Option<f64>,
}

pub async fn states(conn: &mut AsyncPgConnection, org_id: Uuid) -> QueryResult<Vec<RuleState>> {
    alert_states::table
        .filter(alert_states::org_id.eq(org_id))
        .select(RuleState::as_select())
        .load(conn)
        .await
}
