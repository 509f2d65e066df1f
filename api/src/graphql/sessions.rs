//! Sessions: the filtered, keyset-paginated list of an org (or a user), one
//! session with its runs and timeline.

use agentmon_core::auth::policy::{self, Capability};
use agentmon_core::event::{ErrorCategory, EventType, RunStatus};
use agentmon_core::storage::models::event::{self, StoredEvent};
use agentmon_core::storage::models::org::Org;
use agentmon_core::storage::models::run::{self, RunRow};
use agentmon_core::storage::models::session::{self, Cursor, SessionFilter, SessionRow};
use agentmon_core::storage::models::session_order::{Order, SortedCursor};
use agentmon_core::Error;
use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use base64::Engine;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::access::{authorize, in_org};
use super::context::GqlResult;
use super::event_input as gql;
use super::kpis::money;
use super::loaders::TitleLoader;
use super::ranges::TimeRange;
use super::session_order::{self, SessionOrder};
use super::users::UserObject;

/// Most items a page may ask for.
pub const MAX_PAGE: i64 = 200;

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
}

#[derive(SimpleObject, Debug, Clone)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub end_cursor: Option<String>,
}

#[derive(SimpleObject)]
pub struct SessionEdge {
    pub cursor: String,
    pub node: SessionObject,
}

#[derive(SimpleObject)]
pub struct SessionConnection {
    pub edges: Vec<SessionEdge>,
    pub page_info: PageInfo,
    pub total_count: i32,
}

pub fn page_size(first: Option<i32>) -> Result<i64, Error> {
    let first = i64::from(first.unwrap_or(50));
    if !(0..=MAX_PAGE).contains(&first) {
        return Err(Error::BadUserInput(format!(
            "first must be between 0 and {MAX_PAGE}; got {first}"
        )));
    }
    Ok(first)
}

pub fn encode_cursor(value: &serde_json::Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
}

pub fn decode_cursor(cursor: &str) -> Result<serde_json::Value, Error> {
    let bad = || Error::BadUserInput("after is not a cursor returned by this list".into());
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| bad())?;
    serde_json::from_slice(&bytes).map_err(|_| bad())
}

fn encode_session_cursor(c: &Cursor) -> String {
    encode_cursor(&serde_json::json!([
        c.as_of.timestamp_micros(),
        c.key_at.timestamp_micros(),
        c.session_id
    ]))
}

fn decode_session_cursor(cursor: &str) -> Result<Cursor, Error> {
    let v = decode_cursor(cursor)?;
    let time = |i: usize| {
        v[i].as_i64()
            .and_then(DateTime::<Utc>::from_timestamp_micros)
    };
    match (time(0), time(1), v[2].as_str()) {
        (Some(as_of), Some(key_at), Some(id)) => Ok(Cursor {
            as_of,
            key_at,
            session_id: id.to_string(),
        }),
        _ => Err(Error::BadUserInput(
            "after is not a cursor returned by this list".into(),
        )),
    }
}

impl SessionFilterInput {
    fn to_filter(&self) -> Result<SessionFilter, Error> {
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
        };
        filter.check()?;
        Ok(filter)
    }
}

/// One page of an org's sessions; viewers who may not see other users'
/// sessions see only their own.
pub async fn list_sessions(
    ctx: &Context<'_>,
    org: &Org,
    input: SessionFilterInput,
    first: Option<i32>,
    after: Option<String>,
    order: Option<SessionOrder>,
) -> async_graphql::Result<SessionConnection> {
    let viewer = authorize(ctx, org, Capability::OwnSessions).await?;
    let mut filter = input.to_filter().gql()?;
    if !policy::allows(viewer, Capability::OthersSessions, Some(&org.slug)) {
        match &filter.user_id {
            Some(other) if *other != viewer.sub => {
                policy::check(viewer, Capability::OthersSessions, Some(&org.slug)).gql()?;
            }
            _ => filter.user_id = Some(viewer.sub.clone()),
        }
    }
    let first = page_size(first).gql()?;
    let org_id = org.id;
    if let Some(team) = filter.team {
        let found = in_org!(ctx, org_id, |tx| agentmon_core::storage::models::team::get(
            tx, org_id, team
        )
        .await?)?;
        if found.is_none() {
            return Err(Error::NotFound(format!(
                "org {:?} has no team {team}",
                org.slug
            )))
            .gql();
        }
    }
    let order = order.map_or(Order::DEFAULT, SessionOrder::order);
    let (rows, total, cursor_of) = if order == Order::DEFAULT {
        latest_first(ctx, org_id, &filter, after, first).await?
    } else {
        ordered(ctx, org_id, &filter, order, after, first).await?
    };
    let has_next_page = rows.len() as i64 > first;
    let edges: Vec<SessionEdge> = rows
        .into_iter()
        .take(first as usize)
        .map(|row| SessionEdge {
            cursor: cursor_of(&row),
            node: SessionObject {
                org: org.clone(),
                row,
            },
        })
        .collect();
    Ok(SessionConnection {
        page_info: PageInfo {
            has_next_page,
            end_cursor: edges.last().map(|e| e.cursor.clone()),
        },
        edges,
        total_count: i32::try_from(total).unwrap_or(i32::MAX),
    })
}

/// Rows of one page (one more than asked, to tell whether another
/// follows), the count of the filter, and how to write a row's cursor.
type Page = (
    Vec<SessionRow>,
    i64,
    Box<dyn Fn(&SessionRow) -> String + Send>,
);

/// The default walk, latest activity first, pinned to the walk's start.
async fn latest_first(
    ctx: &Context<'_>,
    org_id: Uuid,
    filter: &SessionFilter,
    after: Option<String>,
    first: i64,
) -> async_graphql::Result<Page> {
    let after = after
        .as_deref()
        .map(decode_session_cursor)
        .transpose()
        .gql()?;
    let (rows, total, as_of) = in_org!(ctx, org_id, |tx| {
        let as_of = match &after {
            Some(c) => c.as_of,
            None => session::now(tx).await?,
        };
        let rows = session::page(tx, org_id, filter, after.as_ref(), as_of, first + 1).await?;
        let total = session::count(tx, org_id, filter).await?;
        (rows, total, as_of)
    })?;
    let cursor_of = move |row: &SessionRow| {
        encode_session_cursor(&Cursor {
            as_of,
            key_at: row.key_at,
            session_id: row.session_id.clone(),
        })
    };
    Ok((rows, total, Box::new(cursor_of)))
}

/// Ordered by a figure of the session, either way.
async fn ordered(
    ctx: &Context<'_>,
    org_id: Uuid,
    filter: &SessionFilter,
    order: Order,
    after: Option<String>,
    first: i64,
) -> async_graphql::Result<Page> {
    let after = after
        .as_deref()
        .map(|c| session_order::decode(order, c))
        .transpose()
        .gql()?;
    let (rows, total) = in_org!(ctx, org_id, |tx| {
        let rows = agentmon_core::storage::models::session_order::page(
            tx,
            org_id,
            filter,
            order,
            after.as_ref(),
            first + 1,
        )
        .await?;
        let total = session::count(tx, org_id, filter).await?;
        (rows, total)
    })?;
    let cursor_of = move |row: &SessionRow| {
        session_order::encode(
            order,
            &SortedCursor {
                value: order.field.value_of(row),
                session_id: row.session_id.clone(),
            },
        )
    };
    Ok((rows, total, Box::new(cursor_of)))
}

/// One session, if the viewer may see it: null when it does not exist,
/// FORBIDDEN when it is another user's and the viewer may see only their own.
pub async fn find_session(
    ctx: &Context<'_>,
    org: &Org,
    id: &str,
) -> async_graphql::Result<Option<SessionObject>> {
    let viewer = authorize(ctx, org, Capability::OwnSessions).await?;
    let org_id = org.id;
    let Some(row) = in_org!(ctx, org_id, |tx| session::by_id(tx, org_id, id).await?)? else {
        return Ok(None);
    };
    if row.user_id != viewer.sub {
        policy::check(viewer, Capability::OthersSessions, Some(&org.slug)).gql()?;
    }
    Ok(Some(SessionObject {
        org: org.clone(),
        row,
    }))
}

pub struct SessionObject {
    pub org: Org,
    pub row: SessionRow,
}

#[Object(name = "Session")]
impl SessionObject {
    async fn id(&self) -> &str {
        &self.row.session_id
    }
    async fn user(&self, ctx: &Context<'_>) -> async_graphql::Result<UserObject> {
        UserObject::load(ctx, &self.org, &self.row.user_id).await
    }
    /// What a person calls the session: its first user message, on one
    /// line, cut to 120 characters with "…"; null when it has none.
    async fn title(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        let loader =
            ctx.data::<std::sync::Arc<async_graphql::dataloader::DataLoader<TitleLoader>>>()?;
        Ok(loader
            .load_one((self.org.id, self.row.session_id.clone()))
            .await?)
    }

    /// Earliest event.
    async fn started_at(&self) -> DateTime<Utc> {
        self.row.started_at
    }
    /// Latest event.
    async fn last_event_at(&self) -> DateTime<Utc> {
        self.row.last_event_at
    }
    async fn message_count(&self) -> i32 {
        self.row.message_count
    }
    /// Runs started or finished in this session.
    async fn run_count(&self) -> i32 {
        self.row.run_count
    }
    async fn succeeded_runs(&self) -> i32 {
        self.row.succeeded_runs
    }
    async fn failed_runs(&self) -> i32 {
        self.row.failed_runs
    }
    async fn cancelled_runs(&self) -> i32 {
        self.row.cancelled_runs
    }
    async fn cost_usd(&self) -> String {
        money(self.row.cost_usd)
    }
    async fn input_tokens(&self) -> f64 {
        self.row.input_tokens as f64
    }
    async fn output_tokens(&self) -> f64 {
        self.row.output_tokens as f64
    }
    async fn active_time_ms(&self) -> f64 {
        self.row.active_time_ms as f64
    }
    async fn handed_off(&self) -> bool {
        self.row.handed_off
    }
    async fn iterated_after_handoff(&self) -> bool {
        self.row.iterated_after_handoff
    }
    /// Merged attributes of its events, last write wins.
    async fn attributes(&self) -> async_graphql::Json<serde_json::Value> {
        async_graphql::Json(self.row.attributes.clone())
    }
    async fn runs(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<RunObject>> {
        let (org_id, id) = (self.org.id, self.row.session_id.as_str());
        let rows = in_org!(ctx, org_id, |tx| run::of_session(tx, org_id, id).await?)?;
        Ok(rows.into_iter().map(RunObject).collect())
    }
    /// Every stored event, by occurredAt then eventId.
    async fn timeline(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<TimelineEvent>> {
        let (org_id, id) = (self.org.id, self.row.session_id.as_str());
        let events = in_org!(ctx, org_id, |tx| event::timeline(tx, org_id, id).await?)?;
        Ok(events.into_iter().map(TimelineEvent::from).collect())
    }
}

pub struct RunObject(pub RunRow);

#[Object(name = "Run")]
impl RunObject {
    async fn id(&self) -> &str {
        &self.0.run_id
    }
    async fn status(&self) -> gql::RunStatus {
        RunStatus::parse(&self.0.status)
            .unwrap_or(RunStatus::Running)
            .into()
    }
    async fn model(&self) -> Option<&str> {
        self.0.model.as_deref()
    }
    async fn started_at(&self) -> Option<DateTime<Utc>> {
        self.0.started_at
    }
    async fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.0.finished_at
    }
    async fn duration_ms(&self) -> Option<f64> {
        self.0.duration_ms.map(|d| d as f64)
    }
    async fn error_category(&self) -> Option<gql::ErrorCategory> {
        ErrorCategory::parse(self.0.error_category.as_deref()?).map(Into::into)
    }
    async fn error_message(&self) -> Option<&str> {
        self.0.error_message.as_deref()
    }
    async fn input_tokens(&self) -> f64 {
        self.0.input_tokens as f64
    }
    async fn output_tokens(&self) -> f64 {
        self.0.output_tokens as f64
    }
    async fn cost_usd(&self) -> String {
        money(self.0.cost_usd)
    }
}

#[derive(SimpleObject)]
pub struct TimelineEvent {
    pub event_id: Uuid,
    #[graphql(name = "type")]
    pub event_type: gql::EventType,
    pub occurred_at: DateTime<Utc>,
    pub run_id: Option<String>,
    pub summary: String,
    pub data: async_graphql::Json<serde_json::Value>,
}

impl From<StoredEvent> for TimelineEvent {
    fn from(e: StoredEvent) -> Self {
        TimelineEvent {
            summary: summary(&e),
            event_id: e.event_id,
            event_type: e.event_type.into(),
            occurred_at: e.occurred_at,
            run_id: e.run_id,
            data: async_graphql::Json(e.raw),
        }
    }
}

/// A duration as a person reads it: ms below a second, then s, min, h.
/// Rounded before the unit is chosen, so 59,960 ms reads "1.0 min".
fn readable_duration(ms: i32) -> String {
    let ms = f64::from(ms);
    let seconds = (ms / 100.0).round() / 10.0;
    let minutes = (ms / 6_000.0).round() / 10.0;
    match ms {
        _ if ms < 1_000.0 => format!("{ms} ms"),
        _ if seconds < 60.0 => format!("{seconds:.1} s"),
        _ if minutes < 60.0 => format!("{minutes:.1} min"),
        _ => format!("{:.1} h", ms / 3_600_000.0),
    }
}

/// The producer's exact decimal without trailing zeros, keeping cents:
/// `0.129816000` → `0.129816`, `2.5` → `2.50`.
fn readable_cost(decimal: &str) -> String {
    let Some((whole, fraction)) = decimal.split_once('.') else {
        return format!("{decimal}.00");
    };
    let fraction = fraction.trim_end_matches('0');
    format!("{whole}.{fraction:0<2}")
}

/// One line a person reads in a timeline.
fn summary(e: &StoredEvent) -> String {
    let run_id = e.run_id.as_deref().unwrap_or("?");
    let run = e.payload.run.as_ref();
    match e.event_type {
        EventType::SessionStarted => "Session started".into(),
        EventType::SessionEnded => "Session ended".into(),
        EventType::MessageSent => {
            let who = match e.payload.message.as_ref().map(|m| m.role) {
                Some(agentmon_core::event::MessageRole::Agent) => "Agent",
                _ => "User",
            };
            let text = e
                .payload
                .message
                .as_ref()
                .and_then(|m| m.text.as_deref())
                .unwrap_or("");
            let short: String = text.chars().take(120).collect();
            let more = if text.chars().count() > 120 {
                "…"
            } else {
                ""
            };
            format!("{who}: {short}{more}")
        }
        EventType::RunStarted => match run.and_then(|r| r.model.as_deref()) {
            Some(model) => format!("Run {run_id} started on {model}"),
            None => format!("Run {run_id} started"),
        },
        EventType::RunFinished => {
            let status = match run.and_then(|r| r.status) {
                Some(RunStatus::Failed) => {
                    let category = run
                        .and_then(|r| r.error_category)
                        .unwrap_or(ErrorCategory::Other);
                    format!("failed ({})", format!("{category:?}").to_lowercase())
                }
                Some(RunStatus::Cancelled) => "was cancelled".into(),
                _ => "succeeded".into(),
            };
            let mut line = format!("Run {run_id} {status}");
            if let Some(ms) = run.and_then(|r| r.duration_ms) {
                line.push_str(&format!(" in {}", readable_duration(ms)));
            }
            if let Some(cost) = run.and_then(|r| r.cost_usd.as_deref()) {
                line.push_str(&format!(", ${}", readable_cost(cost)));
            }
            line
        }
        EventType::SessionHandoff => match e.payload.handoff.as_ref().map(|h| h.target) {
            Some(agentmon_core::event::HandoffTarget::Local) => {
                "Handed off to the user's machine".into()
            }
            _ => "Handed off elsewhere".into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::{readable_cost, readable_duration};

    #[test]
    fn costs_keep_every_significant_digit_and_cents() {
        assert_eq!(readable_cost("0.129816000"), "0.129816");
        assert_eq!(readable_cost("2.5"), "2.50");
        assert_eq!(readable_cost("3"), "3.00");
        assert_eq!(readable_cost("0.000001"), "0.000001");
        assert_eq!(readable_cost("10.000"), "10.00");
    }

    #[test]
    fn durations_read_in_the_unit_that_fits() {
        assert_eq!(readable_duration(850), "850 ms");
        assert_eq!(readable_duration(66_800), "1.1 min");
        assert_eq!(readable_duration(12_300), "12.3 s");
        assert_eq!(readable_duration(5_400_000), "1.5 h");
        assert_eq!(readable_duration(59_960), "1.0 min");
        assert_eq!(readable_duration(3_597_000), "1.0 h");
    }
}
