//! Sending what is due, fairly between orgs: each round leases at most
//! [`PER_ORG`] deliveries of an org (none of an org with that many still on
//! their way) and sends them all at once, so one org's receiver that never
//! answers holds up only its own deliveries, never another org's. A
//! delivery is leased before it is sent (its next attempt moved past the
//! send's time), and its outcome written only while the lease is its own.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use agentmon_core::alerts::{self, Signed, WebhookPolicy};
use agentmon_core::storage::db::Db;
use agentmon_core::Result;
use chrono::{DateTime, Utc};
use diesel::sql_types::{
    Array, BigInt, Integer, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid,
};
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::GIVE_UP_AFTER;

/// The most deliveries of one org on their way at once, in this process.
pub const PER_ORG: usize = 3;

#[derive(diesel::QueryableByName)]
struct Due {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    org_id: Uuid,
    #[diesel(sql_type = Jsonb)]
    body: serde_json::Value,
    #[diesel(sql_type = Integer)]
    attempts: i32,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    url: String,
    #[diesel(sql_type = Text)]
    signing_secret: String,
}

/// The deliveries on their way in this process, per org.
fn sending() -> &'static Mutex<HashMap<Uuid, usize>> {
    static SENDING: OnceLock<Mutex<HashMap<Uuid, usize>>> = OnceLock::new();
    SENDING.get_or_init(Default::default)
}

/// How many deliveries this process has on their way.
pub fn in_flight() -> usize {
    sending().lock().map(|m| m.values().sum()).unwrap_or(0)
}

/// Counts one delivery of `org` on its way until dropped.
struct OnItsWay(Uuid);

impl OnItsWay {
    fn start(org: Uuid) -> OnItsWay {
        if let Ok(mut m) = sending().lock() {
            *m.entry(org).or_default() += 1;
        }
        OnItsWay(org)
    }
}

impl Drop for OnItsWay {
    fn drop(&mut self) {
        if let Ok(mut m) = sending().lock() {
            if let Some(n) = m.get_mut(&self.0) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    m.remove(&self.0);
                }
            }
        }
    }
}

/// The wait before attempt `n + 1` after `n` failed: 10 s doubling, at
/// most 10 minutes.
pub fn backoff(attempts: i32) -> chrono::Duration {
    let seconds = 10i64.saturating_mul(1i64 << attempts.clamp(0, 6));
    chrono::Duration::seconds(seconds.min(600))
}

/// Sends the deliveries due at `now` (at most `limit`, at most
/// [`PER_ORG`] of an org), all at once; how many were attempted.
pub async fn deliver_due(
    db: &Db,
    policy: WebhookPolicy,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<usize> {
    let due = lease(db, now, limit).await?;
    let count = due.len();
    let sends = due.into_iter().map(|(d, lease, on_its_way)| async move {
        let signed = Signed::new(&d.signing_secret, d.id, &d.body);
        let outcome = alerts::send_to(&d.url, policy, &signed).await;
        drop(on_its_way);
        // Each outcome on its own: one that cannot be written loses no
        // other (that delivery is sent again once its lease ends).
        if let Err(e) = record(db, &d, &outcome, lease).await {
            tracing::warn!(delivery = %d.id, error = %e, "an alert delivery's outcome could not be written");
        }
    });
    futures::future::join_all(sends).await;
    Ok(count)
}

/// Leases what is due: at most `limit`, at most [`PER_ORG`] of an org
/// counting its deliveries already on their way in this process. One
/// round leases at a time in a process, so two cannot both take an org's
/// last places.
async fn lease(
    db: &Db,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<(Due, DateTime<Utc>, OnItsWay)>> {
    static LEASING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _one_at_a_time = LEASING.lock().await;
    let mut conn = db.worker().await?;
    // Counted from now, with the connection in hand: past resolving and
    // sending (10 s each), and writing the outcome.
    let lease =
        Utc::now() + chrono::Duration::from_std(alerts::deliver::TIMEOUT * 4).unwrap_or_default();
    let (orgs, sending): (Vec<Uuid>, Vec<i64>) = sending()
        .lock()
        .map(|m| m.iter().map(|(o, n)| (*o, *n as i64)).unzip())
        .unwrap_or_default();
    // Ranked per org without a lock (window functions cannot lock), then
    // locked, skipping rows another worker holds.
    let due: Vec<Due> = diesel::sql_query(
        "WITH ranked AS ( \
           SELECT id, org_id, next_attempt_at, row_number() OVER (PARTITION BY org_id ORDER BY next_attempt_at) AS r \
           FROM alert_deliveries WHERE status = 'PENDING' AND next_attempt_at <= $1), \
         picked AS ( \
           SELECT d.id FROM alert_deliveries d JOIN ranked k ON k.id = d.id \
           LEFT JOIN unnest($3::uuid[], $4::bigint[]) AS f(org_id, n) ON f.org_id = k.org_id \
           WHERE k.r <= $5 - coalesce(f.n, 0) AND d.status = 'PENDING' AND d.next_attempt_at <= $1 \
           ORDER BY k.r, k.next_attempt_at LIMIT $6 FOR UPDATE OF d SKIP LOCKED) \
         UPDATE alert_deliveries d SET next_attempt_at = $2 FROM picked, alert_channels c \
         WHERE d.id = picked.id AND c.id = d.channel_id \
         RETURNING d.id, d.org_id, d.body, d.attempts, d.created_at, c.url, c.signing_secret",
    )
    .bind::<Timestamptz, _>(now)
    .bind::<Timestamptz, _>(lease)
    .bind::<Array<SqlUuid>, _>(&orgs)
    .bind::<Array<BigInt>, _>(&sending)
    .bind::<BigInt, _>(PER_ORG as i64)
    .bind::<BigInt, _>(limit)
    .load(&mut conn)
    .await?;
    Ok(due
        .into_iter()
        .map(|d| {
            let on_its_way = OnItsWay::start(d.org_id);
            (d, lease, on_its_way)
        })
        .collect())
}

/// Writes a delivery's outcome, only while its lease is still the one
/// taken: a row whose lease ran out belongs to whoever took it next.
async fn record(db: &Db, d: &Due, outcome: &alerts::Attempt, lease: DateTime<Utc>) -> Result<()> {
    let attempts = d.attempts + 1;
    let sent_at = Utc::now();
    let (status, next) = if outcome.delivered {
        ("DELIVERED", None)
    } else if outcome.retry && sent_at - d.created_at < GIVE_UP_AFTER {
        ("PENDING", Some(sent_at + backoff(attempts - 1)))
    } else {
        ("FAILED", None)
    };
    let written = diesel::sql_query(
        "UPDATE alert_deliveries SET status = $2, attempts = $3, response_status = $4, last_error = $5, \
         next_attempt_at = $6, updated_at = now() \
         WHERE id = $1 AND status = 'PENDING' AND next_attempt_at = $7",
    )
    .bind::<SqlUuid, _>(d.id)
    .bind::<Text, _>(status)
    .bind::<Integer, _>(attempts)
    .bind::<Nullable<Integer>, _>(outcome.response_status.map(i32::from))
    .bind::<Nullable<Text>, _>(outcome.error.as_deref())
    .bind::<Nullable<Timestamptz>, _>(next)
    .bind::<Timestamptz, _>(lease)
    .execute(&mut *db.worker().await?)
    .await?;
    if written == 0 {
        tracing::warn!(delivery = %d.id, "an alert delivery's lease ran out before its outcome was written; it will be sent again");
    }
    if status != "DELIVERED" {
        tracing::warn!(delivery = %d.id, attempts, status, error = ?outcome.error, "alert delivery not delivered");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_ten_minutes() {
        let s = |n| backoff(n).num_seconds();
        assert_eq!(
            [s(0), s(1), s(2), s(5), s(6), s(30)],
            [10, 20, 40, 320, 600, 600]
        );
    }
}
