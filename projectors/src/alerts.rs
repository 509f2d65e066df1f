//! The worker's side of alerts: evaluate the rules of the orgs a batch
//! touched (and every org with rules each minute: silence, dead letters,
//! windows that roll over), and deliver what is due. A delivery is leased
//! before it is sent (its next attempt moved past the send's timeout), so
//! a worker killed mid-send leaves it to another, which sends it with the
//! same delivery id; failures back off, and give up after an hour.

use std::collections::BTreeSet;
use std::time::Duration;

use agentmon_core::alerts::evaluate::{evaluate, Notified};
use agentmon_core::alerts::{self, Signed, Target, WebhookPolicy};
use agentmon_core::storage::db::Db;
use agentmon_core::storage::models::org;
use agentmon_core::{Error, Result};

use crate::projector::Changes;
use chrono::{DateTime, Utc};
use diesel::sql_types::{Integer, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel::OptionalExtension;
use diesel_async::{AsyncConnection, RunQueryDsl};
use uuid::Uuid;

/// How often every org with rules is evaluated, with no new events.
pub const EVERY: Duration = Duration::from_secs(60);
/// The least time between two evaluations of one org after batches: a
/// burst of batches is evaluated every this often, not after each (a
/// notification still leaves within seconds of its event).
pub const PACE: Duration = Duration::from_secs(2);

/// What batches touched since the orgs' last evaluation, and when that was.
#[derive(Default)]
pub struct Pace {
    waiting: Changes,
    last: std::collections::HashMap<Uuid, tokio::time::Instant>,
}

impl Pace {
    /// Adds what a batch touched; takes what is due at `now`: the orgs not
    /// evaluated within [`PACE`] (and their users), or none.
    pub fn due(&mut self, touched: &Changes, now: tokio::time::Instant) -> Option<Changes> {
        self.waiting.orgs.extend(touched.orgs.iter().copied());
        self.waiting.users.extend(touched.users.iter().cloned());
        let ready: BTreeSet<Uuid> = self
            .waiting
            .orgs
            .iter()
            .copied()
            .filter(|o| {
                self.last
                    .get(o)
                    .is_none_or(|at| now.duration_since(*at) >= PACE)
            })
            .collect();
        if ready.is_empty() {
            return None;
        }
        let (users, rest) = std::mem::take(&mut self.waiting.users)
            .into_iter()
            .partition(|(o, _)| ready.contains(o));
        self.waiting.users = rest;
        self.waiting.orgs.retain(|o| !ready.contains(o));
        for org in &ready {
            self.last.insert(*org, now);
        }
        Some(Changes {
            orgs: ready,
            users,
            ..Changes::default()
        })
    }
}

/// How long deliveries keep being retried.
pub const GIVE_UP_AFTER: chrono::Duration = chrono::Duration::hours(1);

/// Evaluates at `now` the rules of the orgs a batch touched (`changes`;
/// of them, the rules of its users, teams and the org), or every enabled
/// rule of every org when `None`.
pub async fn evaluate_orgs(
    db: &Db,
    changes: Option<&Changes>,
    now: DateTime<Utc>,
) -> Result<Vec<Notified>> {
    let mut conn = db.worker().await?;
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = SqlUuid)]
        org_id: Uuid,
    }
    let with_rules: Vec<Id> =
        // And orgs with a disabled rule's state left to resolve.
        diesel::sql_query(
            "SELECT org_id FROM alert_rules WHERE enabled \
             UNION SELECT s.org_id FROM alert_states s JOIN alert_rules r ON r.id = s.rule_id WHERE NOT r.enabled",
        )
            .load(&mut conn)
            .await?;
    let all = org::all(&mut conn).await?;
    let mut notified = Vec::new();
    for id in with_rules
        .iter()
        .map(|r| r.org_id)
        .filter(|id| changes.is_none_or(|c| c.orgs.contains(id)))
    {
        let Some(org) = all.iter().find(|o| o.id == id) else {
            continue;
        };
        let touched: Option<BTreeSet<&str>> = changes.map(|c| {
            c.users
                .iter()
                .filter(|(o, _)| *o == id)
                .map(|(_, u)| u.as_str())
                .collect()
        });
        let done = conn
            .transaction::<_, Error, _>(async |tx| {
                agentmon_core::storage::db::set_org(tx, org.id).await?;
                // One evaluation of an org at a time: a change read by two
                // workers at once could otherwise be decided twice apart.
                diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext('alerts:' || $1::text))")
                    .bind::<Text, _>(org.id.to_string())
                    .execute(tx)
                    .await?;
                evaluate(tx, org, now, touched.as_ref()).await
            })
            .await;
        match done {
            Ok(done) => notified.extend(done),
            // One org's failure does not keep the others from their alerts.
            Err(e) => {
                tracing::warn!(org = %org.slug, error = %e, "evaluating an org's alert rules failed")
            }
        }
    }
    Ok(notified)
}

#[derive(diesel::QueryableByName)]
struct Due {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
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

/// The wait before attempt `n + 1` after `n` failed: 10 s doubling, at
/// most 10 minutes.
pub fn backoff(attempts: i32) -> chrono::Duration {
    let seconds = 10i64.saturating_mul(1i64 << attempts.clamp(0, 6));
    chrono::Duration::seconds(seconds.min(600))
}

/// Sends the deliveries due at `now` (at most `limit`); how many were
/// attempted.
pub async fn deliver_due(
    db: &Db,
    policy: WebhookPolicy,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<usize> {
    let mut conn = db.worker().await?;
    let mut sent = 0;
    while sent < limit {
        // Lease one due row (its next attempt moved past a send's timeout),
        // send it, then write the outcome only while the lease is still
        // ours: a row whose lease ran out belongs to whoever took it next.
        let lease = Utc::now()
            + chrono::Duration::from_std(alerts::deliver::TIMEOUT * 3).unwrap_or_default();
        let due: Option<Due> = diesel::sql_query(
            "WITH due AS (SELECT id FROM alert_deliveries WHERE status = 'PENDING' AND next_attempt_at <= $1 \
                          ORDER BY next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED) \
             UPDATE alert_deliveries d SET next_attempt_at = $2 FROM due, alert_channels c \
             WHERE d.id = due.id AND c.id = d.channel_id \
             RETURNING d.id, d.body, d.attempts, d.created_at, c.url, c.signing_secret",
        )
        .bind::<Timestamptz, _>(now)
        .bind::<Timestamptz, _>(lease)
        .get_result(&mut conn)
        .await
        .optional()?;
        let Some(d) = due else { break };
        sent += 1;
        let signed = Signed::new(&d.signing_secret, d.id, &d.body);
        let outcome = match Target::parse(&d.url) {
            Ok(target) => alerts::send(&target, policy, &signed, alerts::deliver::TIMEOUT).await,
            Err(e) => alerts::Attempt {
                delivered: false,
                response_status: None,
                error: Some(e.to_string()),
                retry: false,
            },
        };
        let attempts = d.attempts + 1;
        let sent_at = Utc::now();
        let (status, next) = if outcome.delivered {
            ("DELIVERED", None)
        } else if outcome.retry && sent_at - d.created_at < GIVE_UP_AFTER {
            ("PENDING", Some(sent_at + backoff(attempts - 1)))
        } else {
            ("FAILED", None)
        };
        diesel::sql_query(
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
        .execute(&mut conn)
        .await?;
        if status != "DELIVERED" {
            tracing::warn!(delivery = %d.id, attempts, status, error = ?outcome.error, "alert delivery not delivered");
        }
    }
    Ok(sent as usize)
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
