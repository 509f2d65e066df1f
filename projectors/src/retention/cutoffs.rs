//! Each org's cutoff: the first instant of its first kept day, in its
//! time zone.

use agentmon_core::storage::models::org::{first_kept_day, start_of_day};
use agentmon_core::Result;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use diesel::sql_types::{Integer, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

/// One org's cutoff.
#[derive(Debug, Clone, Copy)]
pub struct Cutoff {
    pub org: Uuid,
    pub day: NaiveDate,
    pub at: DateTime<Utc>,
}

#[derive(diesel::QueryableByName)]
struct OrgRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    timezone: String,
    #[diesel(sql_type = Integer)]
    retention_days: i32,
}

/// Every org's cutoff at `now`, in id order.
pub async fn cutoffs(conn: &mut AsyncPgConnection, now: DateTime<Utc>) -> Result<Vec<Cutoff>> {
    let rows: Vec<OrgRow> =
        diesel::sql_query("SELECT id, timezone, retention_days FROM orgs ORDER BY id")
            .load(conn)
            .await?;
    Ok(rows
        .into_iter()
        .map(|o| {
            let tz: Tz = o.timezone.parse().unwrap_or(Tz::UTC);
            let day = first_kept_day(now, tz, o.retention_days);
            Cutoff {
                org: o.id,
                day,
                at: start_of_day(day, tz),
            }
        })
        .collect())
}
