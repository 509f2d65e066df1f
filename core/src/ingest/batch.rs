//! One producer call: every event checked against the rules, grouped by
//! org, each org's events stored in one transaction.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;
use uuid::Uuid;

use crate::auth::OrgScope;
use crate::event::{validate, EventInput, Rejection, MAX_EVENTS_PER_CALL};
use crate::storage::db::Db;
use crate::storage::models::org::{self, Org};
use crate::{Error, Result};

use super::admission::admit;
use super::outcome::IngestOutcome;
use super::rules::org_rule;
use super::store::store_owned;

/// Validates and stores `events` for a producer limited to `scope`.
pub async fn ingest(
    db: &Db,
    scope: &OrgScope,
    events: &[EventInput],
    now: DateTime<Utc>,
) -> Result<IngestOutcome> {
    if events.len() > MAX_EVENTS_PER_CALL {
        return Err(Error::BadUserInput(format!(
            "a call may carry at most {MAX_EVENTS_PER_CALL} events; this one has {}. Split it into several calls",
            events.len()
        )));
    }
    let mut outcome = IngestOutcome::default();
    let valid: Vec<usize> = (0..events.len())
        .filter(|&i| match validate(&events[i], now) {
            Ok(()) => true,
            Err(message) => {
                let rejection = Rejection::new(i, &events[i], "INVALID_EVENT", message);
                outcome.rejected.push(rejection);
                false
            }
        })
        .collect();
    if valid.is_empty() {
        return Ok(outcome);
    }

    let mut conn = db.app().await?;
    let slugs: Vec<String> = valid
        .iter()
        .map(|&i| events[i].org.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let orgs: HashMap<String, Org> = org::by_slugs(&mut conn, &slugs)
        .await?
        .into_iter()
        .map(|o| (o.slug.clone(), o))
        .collect();

    // Per org, in batch order; a repeated eventId within the call counts once.
    let mut by_org: BTreeMap<Uuid, Vec<usize>> = BTreeMap::new();
    let mut seen: HashSet<(Uuid, Uuid)> = HashSet::new();
    for i in valid {
        let event = &events[i];
        let org = match org_rule(scope, orgs.get(&event.org), event, now) {
            Ok(org) => org,
            Err((code, message)) => {
                outcome
                    .rejected
                    .push(Rejection::new(i, event, code, message));
                continue;
            }
        };
        if seen.insert((org.id, event.event_id)) {
            by_org.entry(org.id).or_default().push(i);
        } else {
            outcome.duplicates += 1;
        }
    }

    db.partitions
        .ensure(
            &mut conn,
            by_org.values().flatten().map(|&i| events[i].occurred_at),
        )
        .await?;

    // First each org's duplicates and ownership claims, committed at once
    // (see `admit`), then every org's admitted events in one transaction,
    // which counts as duplicates those another call stored meanwhile.
    let mut admitted = Vec::with_capacity(by_org.len());
    for (&org_id, group) in &by_org {
        let org = conn
            .transaction::<_, Error, _>(async |conn| admit(conn, org_id, events, group).await)
            .await?;
        outcome.duplicates += org.outcome.duplicates;
        outcome.rejected.extend(org.outcome.rejected);
        admitted.push((org_id, org.owned));
    }
    let stored = conn
        .transaction::<_, Error, _>(async |conn| {
            let mut stored = Vec::new();
            for (org_id, owned) in admitted {
                stored.push(store_owned(conn, org_id, events, owned).await?);
            }
            Ok(stored)
        })
        .await?;
    for batch in stored {
        outcome.accepted += batch.accepted;
        outcome.duplicates += batch.duplicates;
        outcome.rejected.extend(batch.rejected);
    }
    outcome.rejected.sort_by_key(|r| r.index);
    Ok(outcome)
}
