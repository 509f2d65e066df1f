//! Jobs: long operations (replays, time-zone changes, retention passes,
//! erasures) that a worker runs outside any request. A job is queued here
//! and taken by the job runner of any worker; its status and progress are
//! readable while it runs.

use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Double, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel::OptionalExtension;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::Result;

/// Where new jobs are announced (`NOTIFY`), so that a runner starts at once.
pub const JOBS_CHANNEL: &str = "agentmon_jobs";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Replay,
    TimezoneChange,
    Retention,
    Erasure,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Replay => "REPLAY",
            Kind::TimezoneChange => "TIMEZONE_CHANGE",
            Kind::Retention => "RETENTION",
            Kind::Erasure => "ERASURE",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        [
            Kind::Replay,
            Kind::TimezoneChange,
            Kind::Retention,
            Kind::Erasure,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// One job as read back (with its org's slug).
#[derive(diesel::QueryableByName, Debug, Clone)]
pub struct Job {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub org_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    pub org_slug: Option<String>,
    #[diesel(sql_type = Jsonb)]
    pub params: serde_json::Value,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Double)]
    pub progress: f64,
    #[diesel(sql_type = Text)]
    pub created_by: String,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub finished_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub attempts: i32,
    #[diesel(sql_type = Nullable<Text>)]
    pub error: Option<String>,
    #[diesel(sql_type = Nullable<Jsonb>)]
    pub result: Option<serde_json::Value>,
}

impl Job {
    pub fn kind(&self) -> Option<Kind> {
        Kind::parse(&self.kind)
    }

    pub fn is_open(&self) -> bool {
        self.status == "QUEUED" || self.status == "RUNNING"
    }
}

const COLUMNS: &str =
    "j.id, j.kind, j.org_id, o.slug AS org_slug, j.params, j.status, j.progress, \
    j.created_by, j.created_at, j.finished_at, j.attempts, j.error, j.result";

/// A job to queue.
pub struct NewJob<'a> {
    pub kind: Kind,
    pub org_id: Option<Uuid>,
    pub params: serde_json::Value,
    pub created_by: &'a str,
    /// Whether the org's projection waits from now until the job ends (a
    /// time-zone change: nothing may be projected in the new zone onto
    /// rollups of the old one).
    pub pause_now: bool,
}

#[derive(diesel::QueryableByName)]
struct Id {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
}

/// Queues a job and wakes the runners (on commit). A rebuild of an org (a
/// replay, a time-zone change, a retention pass) asked while the same kind
/// of rebuild of that org is still queued, not started, joins it: the queued
/// job takes the newer request (its `to`, a replay's same projector) and is
/// returned, so repeated requests queue one rebuild, not one each. Erasures
/// are never joined: each is a person's receipt.
pub async fn create(conn: &mut AsyncPgConnection, new: NewJob<'_>) -> Result<Job> {
    if let Some(joined) = join_queued(conn, &new).await? {
        return Ok(joined);
    }
    let id: Id = diesel::sql_query(
        "INSERT INTO jobs (kind, org_id, params, created_by, paused_org) \
         VALUES ($1, $2, $3, $4, CASE WHEN $5 THEN $2 END) RETURNING id",
    )
    .bind::<Text, _>(new.kind.as_str())
    .bind::<Nullable<SqlUuid>, _>(new.org_id)
    .bind::<Jsonb, _>(new.params)
    .bind::<Text, _>(new.created_by)
    .bind::<diesel::sql_types::Bool, _>(new.pause_now)
    .get_result(conn)
    .await?;
    diesel::sql_query(format!("NOTIFY {JOBS_CHANNEL}"))
        .execute(conn)
        .await?;
    by_id(conn, id.id)
        .await?
        .ok_or_else(|| crate::Error::internal("a job just queued cannot be read"))
}

/// The queued, not yet started rebuild of the same org and kind that `new`
/// joins, updated to the newer request; `None` when there is none.
async fn join_queued(conn: &mut AsyncPgConnection, new: &NewJob<'_>) -> Result<Option<Job>> {
    let (Some(org), true) = (new.org_id, new.kind != Kind::Erasure) else {
        return Ok(None);
    };
    // A replay joins one of the same projector; a change of time zone or
    // retention keeps the queued job's `from` and takes the new `to`.
    let joined: Option<Id> = diesel::sql_query(
        "UPDATE jobs SET created_by = $3,
                params = CASE WHEN kind = 'REPLAY' THEN params
                              ELSE params || jsonb_build_object('to', $4::jsonb -> 'to') END,
                paused_org = CASE WHEN $5 THEN org_id ELSE paused_org END
          WHERE id = (SELECT id FROM jobs
                       WHERE org_id = $1 AND kind = $2 AND status = 'QUEUED' AND attempts = 0
                         AND (kind <> 'REPLAY' OR params = $4::jsonb)
                       ORDER BY created_at, id LIMIT 1 FOR UPDATE)
          RETURNING id",
    )
    .bind::<SqlUuid, _>(org)
    .bind::<Text, _>(new.kind.as_str())
    .bind::<Text, _>(new.created_by)
    .bind::<Jsonb, _>(&new.params)
    .bind::<diesel::sql_types::Bool, _>(new.pause_now)
    .get_result(conn)
    .await
    .optional()?;
    match joined {
        Some(id) => by_id(conn, id.id).await,
        None => Ok(None),
    }
}

/// One job (that the connection may see).
pub async fn by_id(conn: &mut AsyncPgConnection, id: Uuid) -> Result<Option<Job>> {
    let mut rows: Vec<Job> = diesel::sql_query(format!(
        "SELECT {COLUMNS} FROM jobs j LEFT JOIN orgs o ON o.id = j.org_id WHERE j.id = $1"
    ))
    .bind::<SqlUuid, _>(id)
    .load(conn)
    .await?;
    Ok(rows.pop())
}

/// The newest jobs, newest first.
pub async fn newest(conn: &mut AsyncPgConnection, limit: i64) -> Result<Vec<Job>> {
    Ok(diesel::sql_query(format!(
        "SELECT {COLUMNS} FROM jobs j LEFT JOIN orgs o ON o.id = j.org_id \
         ORDER BY j.created_at DESC, j.id DESC LIMIT $1"
    ))
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await?)
}

/// Sets a running job's progress (0..1), in its own statement so that
/// readers see it while the job's work is still uncommitted.
pub async fn set_progress(conn: &mut AsyncPgConnection, id: Uuid, progress: f64) -> Result<()> {
    diesel::sql_query("UPDATE jobs SET progress = $2 WHERE id = $1 AND status = 'RUNNING'")
        .bind::<SqlUuid, _>(id)
        .bind::<Double, _>(progress.clamp(0.0, 1.0))
        .execute(conn)
        .await?;
    Ok(())
}
