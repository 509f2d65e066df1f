//! The orgs of a batch: shared for its transaction, with what a fold needs
//! of each (time zone, first kept day, whether a job paused it).

use std::collections::HashMap;

use agentmon_core::storage::db::prepared;
use agentmon_core::Result;
use chrono::{NaiveDate, Utc};
use chrono_tz::Tz;
use diesel::sql_types::{Array, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

/// What a batch needs of an org it holds.
pub struct HeldOrg {
    pub tz: Tz,
    /// The first day the org keeps: nothing earlier goes into its rollups.
    pub first_kept_day: NaiveDate,
    /// Whether a job has paused the org's projection.
    pub paused: bool,
}

/// Reads the orgs' time zones and retention and holds them (`FOR KEY
/// SHARE`) so that a rebuild holding an org (`FOR UPDATE`) waits for this
/// batch and vice versa.
pub async fn lock_orgs(
    tx: &mut AsyncPgConnection,
    orgs: &[Uuid],
) -> Result<HashMap<Uuid, HeldOrg>> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = SqlUuid)]
        id: Uuid,
        #[diesel(sql_type = Text)]
        timezone: String,
        #[diesel(sql_type = diesel::sql_types::Integer)]
        retention_days: i32,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        paused: bool,
    }
    let rows: Vec<Row> = prepared(
        "SELECT id, timezone, retention_days,
           EXISTS (SELECT 1 FROM jobs j WHERE j.paused_org = orgs.id) AS paused
         FROM orgs WHERE id = ANY($1) ORDER BY id FOR KEY SHARE",
    )
    .bind::<Array<SqlUuid>, _>(orgs)
    .load(tx)
    .await?;
    let now = Utc::now();
    Ok(rows
        .into_iter()
        .map(|o| {
            let tz: Tz = o.timezone.parse().unwrap_or(Tz::UTC);
            let held = HeldOrg {
                tz,
                first_kept_day: agentmon_core::storage::models::org::first_kept_day(
                    now,
                    tz,
                    o.retention_days,
                ),
                paused: o.paused,
            };
            (o.id, held)
        })
        .collect())
}
