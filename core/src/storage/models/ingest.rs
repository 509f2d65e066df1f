//! Storing a producer's batch: every rule of SPEC section 2, duplicates
//! counted and not stored again, and the accepted events of the call with
//! their projection-queue rows in one transaction.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::auth::OrgScope;
use crate::event::{validate, EventInput, Rejection, MAX_EVENTS_PER_CALL};
use crate::storage::db::{set_org, Db};
use crate::storage::models::org::{self, Org, OrgStatus};
use crate::storage::schema::{
    event_keys, events, projection_queue, run_owners, session_owners, users,
};
use crate::{Error, Result};

/// The channel a worker listens on; the payload is the org id.
pub const EVENTS_CHANNEL: &str = "agentmon_events";

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct IngestOutcome {
    pub accepted: usize,
    pub duplicates: usize,
    pub rejected: Vec<Rejection>,
}

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

    let stored = conn
        .transaction::<_, Error, _>(async |conn| {
            let mut stored = Vec::new();
            for (&org_id, group) in &by_org {
                stored.push(store_org_batch(conn, org_id, events, group).await?);
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

/// The org rules: the producer's scope first (so a scoped producer learns
/// nothing about orgs it may not write), then existence, then status.
fn org_rule<'o>(
    scope: &OrgScope,
    org: Option<&'o Org>,
    event: &EventInput,
    now: DateTime<Utc>,
) -> std::result::Result<&'o Org, (&'static str, String)> {
    let slug = event.org.as_str();
    if !scope.allows(slug) {
        return Err((
            "FORBIDDEN_ORG",
            format!(
                "this ingest token may not write to org {slug:?}; ask for a token that lists it"
            ),
        ));
    }
    match org {
        None => Err((
            "UNKNOWN_ORG",
            format!("org {slug:?} does not exist; a SUPER_ADMIN creates it with createOrg"),
        )),
        Some(org) if org.status() == OrgStatus::Suspended => Err((
            "ORG_SUSPENDED",
            format!("org {slug:?} is suspended and accepts no events"),
        )),
        Some(org) => {
            let first = org.first_kept_day(now);
            let day = event.occurred_at.with_timezone(&org.tz()).date_naive();
            if day < first {
                return Err((
                    "OUTSIDE_RETENTION",
                    format!(
                        "occurredAt {} falls on {day}, before {first}: org {slug:?} keeps {} days \
                         of data and refuses older events",
                        event.occurred_at.to_rfc3339(),
                        org.retention_days
                    ),
                ));
            }
            Ok(org)
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = events)]
struct NewEvent<'a> {
    org_id: Uuid,
    occurred_at: DateTime<Utc>,
    event_id: Uuid,
    event_type: &'static str,
    session_id: &'a str,
    user_id: &'a str,
    run_id: Option<&'a str>,
    payload: serde_json::Value,
}

/// Stores the events of one org inside the caller's transaction.
async fn store_org_batch(
    conn: &mut AsyncPgConnection,
    org_id: Uuid,
    events: &[EventInput],
    group: &[usize],
) -> Result<IngestOutcome> {
    let mut outcome = IngestOutcome::default();
    set_org(conn, org_id).await?;

    let ids: Vec<Uuid> = group.iter().map(|&i| events[i].event_id).collect();
    let known: HashSet<Uuid> = event_keys::table
        .filter(event_keys::org_id.eq(org_id))
        .filter(event_keys::event_id.eq_any(&ids))
        .select(event_keys::event_id)
        .load(conn)
        .await?
        .into_iter()
        .collect();
    let fresh: Vec<usize> = group
        .iter()
        .copied()
        .filter(|&i| !known.contains(&events[i].event_id))
        .collect();
    outcome.duplicates += group.len() - fresh.len();
    if fresh.is_empty() {
        return Ok(outcome);
    }

    let owners = claim_sessions(conn, org_id, events, &fresh).await?;
    let mut of_their_user = Vec::with_capacity(fresh.len());
    for i in fresh {
        let event = &events[i];
        match owners.get(event.session_id.as_str()) {
            Some(owner) if owner != &event.user_id => outcome.rejected.push(Rejection::new(
                i,
                event,
                "SESSION_USER_MISMATCH",
                format!(
                    "session {:?} belongs to user {owner:?}; its events cannot name user {:?}",
                    event.session_id, event.user_id
                ),
            )),
            _ => of_their_user.push(i),
        }
    }
    let runs = claim_runs(conn, org_id, events, &of_their_user).await?;
    let mut owned = Vec::with_capacity(of_their_user.len());
    for i in of_their_user {
        let event = &events[i];
        match event.run_id.as_deref().and_then(|run| runs.get(run)) {
            Some(session) if session != &event.session_id => outcome.rejected.push(Rejection::new(
                i,
                event,
                "RUN_SESSION_MISMATCH",
                format!(
                    "run {:?} belongs to session {session:?}; an event of session {:?} cannot name it. \
                     Run ids are unique within the org",
                    event.run_id.as_deref().unwrap_or_default(),
                    event.session_id
                ),
            )),
            _ => owned.push(i),
        }
    }

    // The ledger decides, also against concurrent calls: only the keys this
    // transaction inserted are new.
    owned.sort_by_key(|&i| events[i].event_id);
    let inserted: HashSet<Uuid> = diesel::insert_into(event_keys::table)
        .values(
            owned
                .iter()
                .map(|&i| {
                    (
                        event_keys::org_id.eq(org_id),
                        event_keys::event_id.eq(events[i].event_id),
                        event_keys::occurred_at.eq(events[i].occurred_at),
                    )
                })
                .collect::<Vec<_>>(),
        )
        .on_conflict_do_nothing()
        .returning(event_keys::event_id)
        .get_results(conn)
        .await?
        .into_iter()
        .collect();
    let new: Vec<&EventInput> = owned
        .iter()
        .map(|&i| &events[i])
        .filter(|e| inserted.contains(&e.event_id))
        .collect();
    outcome.duplicates += owned.len() - new.len();
    if new.is_empty() {
        return Ok(outcome);
    }

    diesel::insert_into(events::table)
        .values(
            new.iter()
                .map(|e| NewEvent {
                    org_id,
                    occurred_at: e.occurred_at,
                    event_id: e.event_id,
                    event_type: e.event_type.as_str(),
                    session_id: &e.session_id,
                    user_id: &e.user_id,
                    run_id: e.run_id.as_deref(),
                    payload: e.payload(),
                })
                .collect::<Vec<_>>(),
        )
        .execute(conn)
        .await?;
    diesel::insert_into(projection_queue::table)
        .values(
            new.iter()
                .map(|e| {
                    (
                        projection_queue::org_id.eq(org_id),
                        projection_queue::event_id.eq(e.event_id),
                        projection_queue::occurred_at.eq(e.occurred_at),
                    )
                })
                .collect::<Vec<_>>(),
        )
        .execute(conn)
        .await?;
    let mut user_ids: Vec<&str> = new.iter().map(|e| e.user_id.as_str()).collect();
    user_ids.sort_unstable();
    user_ids.dedup();
    diesel::insert_into(users::table)
        .values(
            user_ids
                .iter()
                .map(|u| (users::org_id.eq(org_id), users::user_id.eq(*u)))
                .collect::<Vec<_>>(),
        )
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    diesel::sql_query(format!("SELECT pg_notify('{EVENTS_CHANNEL}', $1)"))
        .bind::<Text, _>(org_id.to_string())
        .execute(conn)
        .await?;
    outcome.accepted = new.len();
    Ok(outcome)
}

/// A session belongs to the user of its first stored event. Claims the
/// sessions of `fresh` for their first user in batch order, then returns the
/// owner of each, whoever claimed it first.
async fn claim_sessions<'e>(
    conn: &mut AsyncPgConnection,
    org_id: Uuid,
    events: &'e [EventInput],
    fresh: &[usize],
) -> Result<HashMap<String, String>> {
    let mut claims: BTreeMap<&'e str, &'e str> = BTreeMap::new();
    for &i in fresh {
        claims
            .entry(events[i].session_id.as_str())
            .or_insert(events[i].user_id.as_str());
    }
    diesel::insert_into(session_owners::table)
        .values(
            claims
                .iter()
                .map(|(s, u)| {
                    (
                        session_owners::org_id.eq(org_id),
                        session_owners::session_id.eq(*s),
                        session_owners::user_id.eq(*u),
                    )
                })
                .collect::<Vec<_>>(),
        )
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    let sessions: Vec<&str> = claims.keys().copied().collect();
    Ok(session_owners::table
        .filter(session_owners::org_id.eq(org_id))
        .filter(session_owners::session_id.eq_any(&sessions))
        .select((session_owners::session_id, session_owners::user_id))
        .load::<(String, String)>(conn)
        .await?
        .into_iter()
        .collect())
}

/// A run belongs to the session of its first stored event: claims the runs
/// of `events` for their first session in batch order, then returns the
/// owner of each, whoever claimed it first.
async fn claim_runs<'e>(
    conn: &mut AsyncPgConnection,
    org_id: Uuid,
    events: &'e [EventInput],
    candidates: &[usize],
) -> Result<HashMap<String, String>> {
    let mut claims: BTreeMap<&'e str, &'e str> = BTreeMap::new();
    for &i in candidates {
        if let Some(run) = events[i].run_id.as_deref() {
            claims.entry(run).or_insert(events[i].session_id.as_str());
        }
    }
    if claims.is_empty() {
        return Ok(HashMap::new());
    }
    diesel::insert_into(run_owners::table)
        .values(
            claims
                .iter()
                .map(|(r, s)| {
                    (
                        run_owners::org_id.eq(org_id),
                        run_owners::run_id.eq(*r),
                        run_owners::session_id.eq(*s),
                    )
                })
                .collect::<Vec<_>>(),
        )
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    let runs: Vec<&str> = claims.keys().copied().collect();
    Ok(run_owners::table
        .filter(run_owners::org_id.eq(org_id))
        .filter(run_owners::run_id.eq_any(&runs))
        .select((run_owners::run_id, run_owners::session_id))
        .load::<(String, String)>(conn)
        .await?
        .into_iter()
        .collect())
}
