//! A job's advisory lock: one runner at a time runs a job, and a runner
//! that dies lets it go with its connection.

use agentmon_core::Result;
use diesel::sql_types::Uuid as SqlUuid;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

/// The job's advisory lock, held on the runner's own connection while it
/// runs the job: gone when that connection is.
const LOCK_KEY: &str = "hashtextextended('agentmon.job.' || $1::text, 0)";

pub async fn try_lock(conn: &mut AsyncPgConnection, job: Uuid) -> Result<bool> {
    #[derive(diesel::QueryableByName)]
    struct Got {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        got: bool,
    }
    let got: Got = diesel::sql_query(format!("SELECT pg_try_advisory_lock({LOCK_KEY}) AS got"))
        .bind::<SqlUuid, _>(job)
        .get_result(conn)
        .await?;
    Ok(got.got)
}

pub async fn unlock(conn: &mut AsyncPgConnection, job: Uuid) -> Result<()> {
    diesel::sql_query(format!("SELECT pg_advisory_unlock({LOCK_KEY})"))
        .bind::<SqlUuid, _>(job)
        .execute(conn)
        .await?;
    Ok(())
}
