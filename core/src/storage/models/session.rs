//! Reading sessions: filtered, keyset-paginated lists ordered by last
//! activity then id, counts, and one session with its runs and timeline.
//!
//! A walk through the pages keeps the order it started with: the cursor
//! carries the walk's start, and a session projected since then is placed
//! by its last event received before that start, so a session that gets
//! new events while a client pages is neither skipped nor shown twice.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Date, Int4, Int8, Jsonb, Numeric, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::sql::{Bind, Sql};

#[derive(QueryableByName, Debug, Clone)]
pub struct SessionRow {
    #[diesel(sql_type = Text)]
    pub session_id: String,
    #[diesel(sql_type = Text)]
    pub user_id: String,
    #[diesel(sql_type = Timestamptz)]
    pub started_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub last_event_at: DateTime<Utc>,
    #[diesel(sql_type = Date)]
    pub day: NaiveDate,
    #[diesel(sql_type = Int4)]
    pub message_count: i32,
    #[diesel(sql_type = Int4)]
    pub run_count: i32,
    #[diesel(sql_type = Int4)]
    pub succeeded_runs: i32,
    #[diesel(sql_type = Int4)]
    pub failed_runs: i32,
    #[diesel(sql_type = Int4)]
    pub cancelled_runs: i32,
    #[diesel(sql_type = Numeric)]
    pub cost_usd: Decimal,
    #[diesel(sql_type = Int8)]
    pub input_tokens: i64,
    #[diesel(sql_type = Int8)]
    pub output_tokens: i64,
    #[diesel(sql_type = Int8)]
    pub active_time_ms: i64,
    #[diesel(sql_type = Bool)]
    pub handed_off: bool,
    #[diesel(sql_type = Bool)]
    pub iterated_after_handoff: bool,
    #[diesel(sql_type = Jsonb)]
    pub attributes: serde_json::Value,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    pub agent: Option<String>,
    #[diesel(sql_type = Int4)]
    pub model_calls: i32,
    #[diesel(sql_type = Int8)]
    pub cache_read_tokens: i64,
    #[diesel(sql_type = Int8)]
    pub cache_creation_tokens: i64,
    #[diesel(sql_type = Int4)]
    pub tool_calls: i32,
    #[diesel(sql_type = Int4)]
    pub failed_tool_calls: i32,
    #[diesel(sql_type = Int8)]
    pub lines_added: i64,
    #[diesel(sql_type = Int8)]
    pub lines_removed: i64,
    /// Where the row stands in its walk (its last activity as of the walk's start).
    #[diesel(sql_type = Timestamptz)]
    pub key_at: DateTime<Utc>,
}

pub(super) const COLUMNS: &str =
    "s.session_id, s.user_id, s.started_at, s.last_event_at, s.day, s.message_count, \
  s.run_count, s.succeeded_runs, s.failed_runs, s.cancelled_runs, s.cost_usd, s.input_tokens, \
  s.output_tokens, s.active_time_ms, s.handed_off, s.iterated_after_handoff, s.attributes, \
  s.agent, s.model_calls, s.cache_read_tokens, s.cache_creation_tokens, s.tool_calls, \
  s.failed_tool_calls, s.lines_added, s.lines_removed";

/// How far before a walk's start a projection may have begun and still
/// not be visible to the walk's first page (a transaction in flight).
const IN_FLIGHT: Duration = Duration::seconds(60);

#[derive(Debug, Clone, Default)]
pub struct SessionFilter {
    /// Sessions with any event in [from, to).
    pub range: Option<(DateTime<Utc>, DateTime<Utc>)>,
    pub user_id: Option<String>,
    pub handed_off: Option<bool>,
    /// Merged attribute `key` whose value, as text, equals the value.
    pub attributes: Vec<(String, String)>,
    /// Sessions of this team's current members.
    pub team: Option<Uuid>,
    /// Sessions with a run of this status (`RUNNING`, `SUCCEEDED`, …).
    pub run_status: Option<&'static str>,
    /// Sessions with a failed run of this category (none counts as `OTHER`).
    pub error_category: Option<&'static str>,
    /// Sessions with a run of this model.
    pub model: Option<String>,
    /// Sessions with a call of this tool.
    pub tool: Option<String>,
    /// Sessions behind one of the waste figures.
    pub waste: Option<Waste>,
}

/// The waste figures of `Kpis`, as the sessions behind each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waste {
    /// Sessions with a run that ended FAILED or CANCELLED.
    FailedRuns,
    /// Sessions with a model call that failed for good.
    FailedModelCalls,
    /// Sessions with a cost and no code change reported.
    NoCode,
}

impl Waste {
    pub fn as_str(self) -> &'static str {
        match self {
            Waste::FailedRuns => "FAILED_RUNS",
            Waste::FailedModelCalls => "FAILED_MODEL_CALLS",
            Waste::NoCode => "NO_CODE",
        }
    }

    pub fn parse(s: &str) -> Option<Waste> {
        [Waste::FailedRuns, Waste::FailedModelCalls, Waste::NoCode]
            .into_iter()
            .find(|w| w.as_str() == s)
    }

    /// The condition on a sessions row `s`.
    fn condition(self) -> &'static str {
        match self {
            Waste::FailedRuns => " AND (s.failed_runs > 0 OR s.cancelled_runs > 0)",
            Waste::FailedModelCalls => " AND s.failed_model_calls > 0",
            Waste::NoCode => {
                " AND s.cost_usd > 0 AND s.lines_added = 0 AND s.lines_removed = 0 \
                 AND s.commits = 0 AND s.pull_requests = 0"
            }
        }
    }
}

/// Most attribute conditions one filter may hold.
pub const MAX_ATTRIBUTE_FILTERS: usize = 16;
/// Longest span a filter's time range may have, in days.
pub const MAX_RANGE_DAYS: i64 = 3_660;

impl SessionFilter {
    /// Bounds on what a filter may ask, with what to fix.
    pub fn check(&self) -> crate::Result<()> {
        use crate::Error;
        if let Some((from, to)) = self.range {
            if (to - from).num_days() > MAX_RANGE_DAYS {
                return Err(Error::BadUserInput(format!(
                    "a range may span at most {MAX_RANGE_DAYS} days"
                )));
            }
        }
        if self
            .user_id
            .as_ref()
            .is_some_and(|u| u.chars().count() > 256)
        {
            return Err(Error::BadUserInput(
                "userId is longer than 256 characters".into(),
            ));
        }
        for (name, value) in [("model", &self.model), ("tool", &self.tool)] {
            if value.as_ref().is_some_and(|v| v.chars().count() > 256) {
                return Err(Error::BadUserInput(format!(
                    "{name} is longer than 256 characters"
                )));
            }
        }
        if self.attributes.len() > MAX_ATTRIBUTE_FILTERS {
            return Err(Error::BadUserInput(format!(
                "at most {MAX_ATTRIBUTE_FILTERS} attribute conditions; this filter has {}",
                self.attributes.len()
            )));
        }
        for (key, value) in &self.attributes {
            if key.is_empty() || key.chars().count() > 128 || value.chars().count() > 1_024 {
                return Err(Error::BadUserInput(
                    "an attribute condition needs a key of 1 to 128 characters and a value of at \
                     most 1,024"
                        .into(),
                ));
            }
        }
        Ok(())
    }
}

/// Where a page starts: after this (last activity, id), in the walk begun at `as_of`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub as_of: DateTime<Utc>,
    pub key_at: DateTime<Utc>,
    pub session_id: String,
}

pub(super) fn push_filter(sql: &mut Sql, org: Uuid, filter: &SessionFilter) {
    sql.push(" s.org_id = ").bind(Bind::Uuid(org));
    if let Some((from, to)) = filter.range {
        sql.push(" AND s.started_at < ").bind(Bind::Time(to));
        sql.push(" AND s.last_event_at >= ").bind(Bind::Time(from));
        // A session whose first or last event is in the range has an event
        // in it; only one spanning the whole range needs its events read.
        sql.push(" AND (s.started_at >= ")
            .bind(Bind::Time(from))
            .push(" OR s.last_event_at < ")
            .bind(Bind::Time(to));
        sql.push(" OR EXISTS (SELECT 1 FROM events e WHERE e.org_id = s.org_id AND e.session_id = s.session_id AND e.occurred_at >= ")
            .bind(Bind::Time(from))
            .push(" AND e.occurred_at < ")
            .bind(Bind::Time(to))
            .push("))");
    }
    if let Some(user) = &filter.user_id {
        sql.push(" AND s.user_id = ").bind(Bind::Text(user.clone()));
    }
    if let Some(team) = filter.team {
        sql.push(" AND s.user_id IN (SELECT user_id FROM team_members WHERE org_id = s.org_id AND team_id = ")
            .bind(Bind::Uuid(team))
            .push(")");
    }
    if let Some(handed_off) = filter.handed_off {
        sql.push(" AND s.handed_off = ")
            .bind(Bind::Bool(handed_off));
    }
    if let Some(status) = filter.run_status {
        sql.push(" AND EXISTS (SELECT 1 FROM runs r WHERE r.org_id = s.org_id AND r.session_id = s.session_id AND r.status = ")
            .bind(Bind::Text(status.to_string()))
            .push(")");
    }
    if let Some(category) = filter.error_category {
        sql.push(" AND EXISTS (SELECT 1 FROM runs r WHERE r.org_id = s.org_id AND r.session_id = s.session_id AND r.status = 'FAILED' AND coalesce(r.error_category, 'OTHER') = ")
            .bind(Bind::Text(category.to_string()))
            .push(")");
    }
    if let Some(model) = &filter.model {
        sql.push(" AND EXISTS (SELECT 1 FROM runs r WHERE r.org_id = s.org_id AND r.session_id = s.session_id AND r.model = ")
            .bind(Bind::Text(model.clone()))
            .push(")");
    }
    if let Some(tool) = &filter.tool {
        // The tools read model keeps each session's calls as [[day, tool], figures].
        sql.push(" AND EXISTS (SELECT 1 FROM tool_contributions t, jsonb_array_elements(t.contribution->'entries') e \
                  WHERE t.org_id = s.org_id AND t.session_id = s.session_id AND e->0->>1 = ")
            .bind(Bind::Text(tool.clone()))
            .push(")");
    }
    if let Some(waste) = filter.waste {
        sql.push(waste.condition());
    }
    for (key, value) in &filter.attributes {
        sql.push(" AND s.attributes ->> ")
            .bind(Bind::Text(key.clone()))
            .push(" = ")
            .bind(Bind::Text(value.clone()));
    }
}

fn push_after(sql: &mut Sql, key: &str, after: Option<&Cursor>) {
    if let Some(c) = after {
        sql.push(&format!(" AND ({key}, s.session_id) < ("))
            .bind(Bind::Time(c.key_at))
            .push(", ")
            .bind(Bind::Text(c.session_id.clone()))
            .push(")");
    }
}

/// The database's clock: where a new walk starts.
pub async fn now(conn: &mut AsyncPgConnection) -> QueryResult<DateTime<Utc>> {
    #[derive(QueryableByName)]
    struct Now {
        #[diesel(sql_type = Timestamptz)]
        now: DateTime<Utc>,
    }
    let now: Now = diesel::sql_query("SELECT clock_timestamp() AS now")
        .get_result(conn)
        .await?;
    Ok(now.now)
}

/// Up to `limit` sessions after `after` in the walk begun at `as_of`.
pub async fn page(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    filter: &SessionFilter,
    after: Option<&Cursor>,
    as_of: DateTime<Utc>,
    limit: i64,
) -> QueryResult<Vec<SessionRow>> {
    let settled = as_of - IN_FLIGHT;
    let mut sql = Sql::new(&format!(
        "(SELECT {COLUMNS}, s.last_event_at AS key_at FROM sessions s WHERE"
    ));
    push_filter(&mut sql, org, filter);
    sql.push(" AND s.projected_at <= ")
        .bind(Bind::Time(settled));
    push_after(&mut sql, "s.last_event_at", after);
    sql.push(" ORDER BY s.last_event_at DESC, s.session_id DESC LIMIT ")
        .bind(Bind::Int(limit));
    sql.push(&format!(
        ") UNION ALL (SELECT {COLUMNS}, k.key_at FROM sessions s CROSS JOIN LATERAL (\
         SELECT max(e.occurred_at) AS key_at FROM events e WHERE e.org_id = s.org_id \
         AND e.session_id = s.session_id AND e.received_at <= "
    ));
    sql.bind(Bind::Time(as_of)).push(") k WHERE");
    push_filter(&mut sql, org, filter);
    sql.push(" AND s.projected_at > ").bind(Bind::Time(settled));
    sql.push(" AND k.key_at IS NOT NULL");
    push_after(&mut sql, "k.key_at", after);
    sql.push(") ORDER BY key_at DESC, session_id DESC LIMIT ")
        .bind(Bind::Int(limit));
    sql.query().load(conn).await
}

/// How many sessions match the filter now.
pub async fn count(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    filter: &SessionFilter,
) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = Int8)]
        n: i64,
    }
    let mut sql = Sql::new("SELECT count(*) AS n FROM sessions s WHERE");
    push_filter(&mut sql, org, filter);
    let n: N = sql.query().get_result(conn).await?;
    Ok(n.n)
}

pub async fn by_id(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    id: &str,
) -> QueryResult<Option<SessionRow>> {
    let mut sql = Sql::new(&format!(
        "SELECT {COLUMNS}, s.last_event_at AS key_at FROM sessions s WHERE s.org_id = "
    ));
    sql.bind(Bind::Uuid(org))
        .push(" AND s.session_id = ")
        .bind(Bind::Text(id.to_string()));
    sql.query().get_result(conn).await.optional()
}

/// When the newest projected event of an org happened: how fresh its
/// figures are.
pub async fn newest_event(
    conn: &mut AsyncPgConnection,
    org: Uuid,
) -> QueryResult<Option<DateTime<Utc>>> {
    use crate::storage::schema::sessions;
    sessions::table
        .filter(sessions::org_id.eq(org))
        .select(diesel::dsl::max(sessions::last_event_at))
        .first(conn)
        .await
}
