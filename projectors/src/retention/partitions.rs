//! The monthly partitions of `events`, and dropping a month past every
//! org's retention that holds no event of a kept session.

use agentmon_core::Result;
use chrono::{DateTime, Datelike, TimeZone, Utc};
use diesel::sql_types::{Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::cutoffs::Cutoff;

/// The months of `events`, oldest first, that lie before every org's
/// cutoff and hold no event of a session kept; stops at the first that
/// does not qualify. Returns (partition, end of month).
pub async fn droppable_months(
    conn: &mut AsyncPgConnection,
    cutoffs: &[Cutoff],
) -> Result<Vec<(String, DateTime<Utc>)>> {
    let Some(horizon) = cutoffs.iter().map(|c| c.at).min() else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (name, end) in partitions(conn).await? {
        if end > horizon {
            break;
        }
        if holds_kept(conn, cutoffs, end).await? {
            break;
        }
        out.push((name, end));
    }
    Ok(out)
}

/// Whether events before `end` belong to a kept session (one whose last
/// event is at or after its org's cutoff, begun before `end`) or still wait
/// for projection.
async fn holds_kept(
    conn: &mut AsyncPgConnection,
    cutoffs: &[Cutoff],
    end: DateTime<Utc>,
) -> Result<bool> {
    #[derive(diesel::QueryableByName)]
    struct Kept {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        kept: bool,
    }
    let orgs: Vec<Uuid> = cutoffs.iter().map(|c| c.org).collect();
    let ats: Vec<DateTime<Utc>> = cutoffs.iter().map(|c| c.at).collect();
    let kept: Kept = diesel::sql_query(
        "SELECT EXISTS (
           SELECT 1 FROM unnest($1::uuid[], $2::timestamptz[]) AS c(org, cutoff)
           JOIN sessions s ON s.org_id = c.org AND s.started_at < $3 AND s.last_event_at >= c.cutoff
         ) OR EXISTS (SELECT 1 FROM projection_queue WHERE occurred_at < $3) AS kept",
    )
    .bind::<diesel::sql_types::Array<SqlUuid>, _>(&orgs)
    .bind::<diesel::sql_types::Array<Timestamptz>, _>(&ats)
    .bind::<Timestamptz, _>(end)
    .get_result(conn)
    .await?;
    Ok(kept.kept)
}

/// The monthly partitions of `events` (named `events_YYYYmMM`), oldest
/// first, with the end of their month.
pub async fn partitions(conn: &mut AsyncPgConnection) -> Result<Vec<(String, DateTime<Utc>)>> {
    #[derive(diesel::QueryableByName)]
    struct Part {
        #[diesel(sql_type = Text)]
        name: String,
    }
    let parts: Vec<Part> = diesel::sql_query(
        "SELECT c.relname::text AS name FROM pg_inherits i
         JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
         WHERE p.relname = 'events' ORDER BY 1",
    )
    .load(conn)
    .await?;
    Ok(parts
        .into_iter()
        .filter_map(|p| month_end(&p.name).map(|end| (p.name, end)))
        .collect())
}

/// The end of the month a partition named `events_YYYYmMM` holds.
fn month_end(name: &str) -> Option<DateTime<Utc>> {
    let rest = name.strip_prefix("events_")?;
    let (year, month) = rest.split_once('m')?;
    let start = Utc
        .with_ymd_and_hms(year.parse().ok()?, month.parse().ok()?, 1, 0, 0, 0)
        .single()?;
    Some(start + chrono::Months::new(1))
}

/// Drops one month: its queue and dead-letter rows and its partition, in
/// one transaction that gives up (to try next hour) rather than wait long
/// for the lock on `events`.
pub async fn drop_month(
    conn: &mut AsyncPgConnection,
    name: &str,
    end: DateTime<Utc>,
    cutoffs: &[Cutoff],
) -> Result<bool> {
    let start = end - chrono::Months::new(1);
    debug_assert_eq!(start.day(), 1);
    let name = name.to_string();
    let result = conn
        .transaction::<_, agentmon_core::Error, _>(async |tx| {
            diesel::sql_query("SET LOCAL lock_timeout = '1s'")
                .execute(tx)
                .await?;
            // Once more, now: a session may have become kept since the
            // month was chosen, or events of it may wait for projection.
            if holds_kept(tx, cutoffs, end).await? {
                return Ok(false);
            }
            for table in ["projection_queue", "dead_letters"] {
                diesel::sql_query(format!(
                    "DELETE FROM {table} WHERE occurred_at >= $1 AND occurred_at < $2"
                ))
                .bind::<Timestamptz, _>(start)
                .bind::<Timestamptz, _>(end)
                .execute(tx)
                .await?;
            }
            diesel::sql_query(format!("DROP TABLE IF EXISTS {}", quote_ident(&name)))
                .execute(tx)
                .await?;
            Ok(true)
        })
        .await;
    match result {
        Ok(false) => Ok(false),
        Ok(true) => {
            tracing::info!(partition = %name, "retention: month dropped");
            Ok(true)
        }
        Err(e) if e.is_transient() => {
            tracing::warn!(partition = %name, error = %e, "retention: month busy; dropping it next time");
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partition_name_gives_the_end_of_its_month() {
        let end = month_end("events_2026m12").map(|e| e.to_rfc3339());
        assert_eq!(end.as_deref(), Some("2027-01-01T00:00:00+00:00"));
        assert_eq!(month_end("events_default"), None);
    }
}
