//! Erasure receipts: what removing one user's data took away, readable
//! after the data is gone. The work itself is a job (see `job`).

use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::storage::models::job::{self, Kind, NewJob};
use crate::storage::models::org::{first_kept_day, start_of_day};
use crate::{Error, Result};

#[derive(diesel::QueryableByName, Debug, Clone)]
pub struct Erasure {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub org_id: Uuid,
    #[diesel(sql_type = Text)]
    pub user_id: String,
    #[diesel(sql_type = Text)]
    pub requested_by: String,
    #[diesel(sql_type = Timestamptz)]
    pub requested_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub completed_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = SqlUuid)]
    pub job_id: Uuid,
    #[diesel(sql_type = BigInt)]
    pub events: i64,
    #[diesel(sql_type = BigInt)]
    pub sessions: i64,
    #[diesel(sql_type = BigInt)]
    pub runs: i64,
}

const COLUMNS: &str = "id, org_id, user_id, requested_by, requested_at, completed_at, job_id, \
    events, sessions, runs";

/// The org's receipts, newest first.
pub async fn of_org(conn: &mut AsyncPgConnection, org_id: Uuid) -> Result<Vec<Erasure>> {
    Ok(diesel::sql_query(format!(
        "SELECT {COLUMNS} FROM erasures WHERE org_id = $1 ORDER BY requested_at DESC, id"
    ))
    .bind::<SqlUuid, _>(org_id)
    .load(conn)
    .await?)
}

pub async fn by_job(conn: &mut AsyncPgConnection, job_id: Uuid) -> Result<Option<Erasure>> {
    let mut rows: Vec<Erasure> =
        diesel::sql_query(format!("SELECT {COLUMNS} FROM erasures WHERE job_id = $1"))
            .bind::<SqlUuid, _>(job_id)
            .load(conn)
            .await?;
    Ok(rows.pop())
}

/// Sessions of `user_id` that retention removed while their events wait
/// for their month's partition to be dropped (a drop postponed because the
/// month was busy): events older than the org's cutoff whose session has no
/// owner left. Erasure and the user's export reach them through these.
pub async fn leftover_sessions(
    conn: &mut AsyncPgConnection,
    org_id: Uuid,
    user_id: &str,
    now: DateTime<Utc>,
) -> Result<Vec<String>> {
    #[derive(diesel::QueryableByName)]
    struct Settings {
        #[diesel(sql_type = Text)]
        timezone: String,
        #[diesel(sql_type = diesel::sql_types::Integer)]
        retention_days: i32,
    }
    let Some(org) = diesel::sql_query("SELECT timezone, retention_days FROM orgs WHERE id = $1")
        .bind::<SqlUuid, _>(org_id)
        .load::<Settings>(conn)
        .await?
        .pop()
    else {
        return Ok(Vec::new());
    };
    let tz: chrono_tz::Tz = org.timezone.parse().unwrap_or(chrono_tz::Tz::UTC);
    let cutoff = start_of_day(first_kept_day(now, tz, org.retention_days), tz);
    #[derive(diesel::QueryableByName)]
    struct Session {
        #[diesel(sql_type = Text)]
        session_id: String,
    }
    let rows: Vec<Session> = diesel::sql_query(
        "SELECT DISTINCT e.session_id FROM events e
         WHERE e.org_id = $1 AND e.user_id = $2 AND e.occurred_at < $3
           AND NOT EXISTS (SELECT 1 FROM session_owners o
                           WHERE o.org_id = e.org_id AND o.session_id = e.session_id)
         ORDER BY 1",
    )
    .bind::<SqlUuid, _>(org_id)
    .bind::<Text, _>(user_id)
    .bind::<Timestamptz, _>(cutoff)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|s| s.session_id).collect())
}

/// Whether the org holds anything of the user: a profile, a session, or
/// events retention left behind.
pub async fn user_known(conn: &mut AsyncPgConnection, org_id: Uuid, user_id: &str) -> Result<bool> {
    #[derive(diesel::QueryableByName)]
    struct Known {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        known: bool,
    }
    let row: Known = diesel::sql_query(
        "SELECT EXISTS (SELECT 1 FROM users WHERE org_id = $1 AND user_id = $2)
             OR EXISTS (SELECT 1 FROM session_owners WHERE org_id = $1 AND user_id = $2) AS known",
    )
    .bind::<SqlUuid, _>(org_id)
    .bind::<Text, _>(user_id)
    .get_result(conn)
    .await?;
    Ok(row.known
        || !leftover_sessions(conn, org_id, user_id, Utc::now())
            .await?
            .is_empty())
}

/// Asks for a user's erasure: the receipt and the job that fills it, in the
/// caller's transaction. A user whose erasure is open gets `BAD_USER_INPUT`,
/// unless its job failed: then the job is queued again and the same receipt
/// returned.
pub async fn request(
    conn: &mut AsyncPgConnection,
    org_id: Uuid,
    user_id: &str,
    requested_by: &str,
) -> Result<Erasure> {
    let open: Vec<Erasure> = diesel::sql_query(format!(
        "SELECT {COLUMNS} FROM erasures WHERE org_id = $1 AND user_id = $2 AND completed_at IS NULL"
    ))
    .bind::<SqlUuid, _>(org_id)
    .bind::<Text, _>(user_id)
    .load(conn)
    .await?;
    if let Some(open) = open.into_iter().next() {
        let failed = job::by_id(conn, open.job_id)
            .await?
            .is_some_and(|j| j.status == "FAILED");
        if !failed {
            return Err(Error::BadUserInput(format!(
                "the erasure of user {user_id:?} requested at {} is still running; \
                 follow it with job(id: \"{}\")",
                open.requested_at.to_rfc3339(),
                open.job_id
            )));
        }
        diesel::sql_query(
            "UPDATE jobs SET status = 'QUEUED', error = NULL, finished_at = NULL, progress = 0, \
             attempts = 0, created_at = clock_timestamp() WHERE id = $1",
        )
        .bind::<SqlUuid, _>(open.job_id)
        .execute(conn)
        .await?;
        diesel::sql_query(format!("NOTIFY {}", job::JOBS_CHANNEL))
            .execute(conn)
            .await?;
        return Ok(open);
    }
    if !user_known(conn, org_id, user_id).await? {
        return Err(Error::NotFound(format!(
            "this org holds no data of user {user_id:?}: no profile, no session"
        )));
    }
    let queued = job::create(
        conn,
        NewJob {
            kind: Kind::Erasure,
            org_id: Some(org_id),
            params: serde_json::json!({ "userId": user_id }),
            created_by: requested_by,
            pause_now: false,
        },
    )
    .await?;
    let erasure: Erasure = diesel::sql_query(format!(
        "INSERT INTO erasures (org_id, user_id, requested_by, job_id) VALUES ($1, $2, $3, $4) \
         RETURNING {COLUMNS}"
    ))
    .bind::<SqlUuid, _>(org_id)
    .bind::<Text, _>(user_id)
    .bind::<Text, _>(requested_by)
    .bind::<SqlUuid, _>(queued.id)
    .get_result(conn)
    .await?;
    Ok(erasure)
}
