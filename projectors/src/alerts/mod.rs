//! The worker's side of alerts: evaluate the rules of the orgs a batch
//! touched (and every org with rules each minute: silence, dead letters,
//! windows that roll over), and deliver what is due ([`deliver`]). A
//! delivery is leased before it is sent (its next attempt moved past the
//! send's timeout), so a worker killed mid-send leaves it to another, which
//! sends it with the same delivery id; failures back off, and give up after
//! an hour.

use std::collections::BTreeSet;
use std::time::Duration;

use agentmon_core::alerts::evaluate::{evaluate, Notified};
use agentmon_core::storage::db::Db;
use agentmon_core::storage::models::org;
use agentmon_core::{Error, Result};

use crate::projector::Changes;

mod deliver;
use chrono::{DateTime, Utc};
pub use deliver::{backoff, deliver_due, in_flight};
use diesel::sql_types::{Text, Uuid as SqlUuid};
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
