//! Runs of sources that name none on their events (Codex CLI's logs carry
//! no turn id): such an event joins the run its session started latest at
//! or before it — among the call's own `RUN_STARTED` events and the stored
//! ones. Read on the RLS-bound role, one query pair per session.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use diesel::dsl::max;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use uuid::Uuid;

use crate::auth::OrgScope;
use crate::event::{EventInput, EventType};
use crate::storage::db::{set_org, Db};
use crate::storage::models::org;
use crate::storage::schema::events as ev;
use crate::{Error, Result};

/// Sessions one call looks runs up for.
pub const MAX_JOINED_SESSIONS: usize = 1_000;

/// An org's slug and a session id.
type SessionKey = (String, String);
/// A session and the first and last time of its joining events.
type Span<'a> = (&'a String, DateTime<Utc>, DateTime<Utc>);
/// When a run started, and its id.
type Start = (DateTime<Utc>, String);

/// Gives each of `joining` (indices into `events`) without a run id the run
/// its session started latest at or before it, if there is one. Events of
/// orgs outside `scope` or unknown are left as they are (ingest refuses
/// them, one by one).
pub async fn join_current_runs(
    db: &Db,
    scope: &OrgScope,
    events: &mut [EventInput],
    joining: &[usize],
) -> Result<()> {
    let mut sessions: BTreeMap<SessionKey, Vec<usize>> = BTreeMap::new();
    for &i in joining {
        let e = &events[i];
        if e.run_id.is_none() && scope.allows(&e.org) {
            let key = (e.org.clone(), e.session_id.clone());
            // Bounded work per export: events of sessions past the first
            // MAX_JOINED_SESSIONS are stored without a run.
            if sessions.len() < MAX_JOINED_SESSIONS || sessions.contains_key(&key) {
                sessions.entry(key).or_default().push(i);
            }
        }
    }
    if sessions.is_empty() {
        return Ok(());
    }
    let mut starts: HashMap<SessionKey, Vec<Start>> = HashMap::new();
    for e in events.iter() {
        if let (EventType::RunStarted, Some(run)) = (e.event_type, &e.run_id) {
            let key = (e.org.clone(), e.session_id.clone());
            if sessions.contains_key(&key) {
                starts
                    .entry(key)
                    .or_default()
                    .push((e.occurred_at, run.clone()));
            }
        }
    }

    let mut conn = db.app().await?;
    let slugs: Vec<String> = sessions.keys().map(|(o, _)| o.clone()).collect();
    let ids: HashMap<String, Uuid> = org::ids_by_slug(&mut conn, &slugs).await?;
    // One transaction per org, bound to it, for all its sessions' starts.
    let mut stored: HashMap<SessionKey, Vec<Start>> = HashMap::new();
    let mut by_org: BTreeMap<&str, Vec<Span<'_>>> = BTreeMap::new();
    for ((slug, session), members) in &sessions {
        let times = members.iter().map(|&i| events[i].occurred_at);
        if let (Some(first), Some(last)) = (times.clone().min(), times.max()) {
            by_org
                .entry(slug.as_str())
                .or_default()
                .push((session, first, last));
        }
    }
    for (slug, wanted) in by_org {
        let Some(&org_id) = ids.get(slug) else {
            continue;
        };
        let found = conn
            .transaction::<_, Error, _>(async |conn| {
                set_org(conn, org_id).await?;
                let mut found = Vec::with_capacity(wanted.len());
                for (session, first, last) in &wanted {
                    let starts = stored_starts(conn, org_id, session, *first, *last).await?;
                    found.push(((slug.to_string(), (*session).clone()), starts));
                }
                Ok(found)
            })
            .await?;
        stored.extend(found);
    }
    for (key, members) in &sessions {
        let mut known = starts.remove(key).unwrap_or_default();
        known.extend(stored.remove(key).unwrap_or_default());
        // In order, each event's run found by halving, not by a look at
        // every start (an export may hold thousands of both).
        known.sort();
        for &i in members {
            let at = events[i].occurred_at;
            let after = known.partition_point(|(t, _)| *t <= at);
            events[i].run_id = after.checked_sub(1).map(|last| known[last].1.clone());
        }
    }
    Ok(())
}

/// The session's stored run starts from the latest at or before `first`
/// up to `last`.
async fn stored_starts(
    conn: &mut diesel_async::AsyncPgConnection,
    org_id: Uuid,
    session: &str,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
) -> diesel::QueryResult<Vec<Start>> {
    let of_session = || {
        ev::table
            .filter(ev::org_id.eq(org_id))
            .filter(ev::session_id.eq(session))
            .filter(ev::event_type.eq(EventType::RunStarted.as_str()))
            .filter(ev::run_id.is_not_null())
    };
    let floor: Option<DateTime<Utc>> = of_session()
        .filter(ev::occurred_at.le(first))
        .select(max(ev::occurred_at))
        .first(conn)
        .await?;
    let rows: Vec<(DateTime<Utc>, Option<String>)> = of_session()
        .filter(ev::occurred_at.ge(floor.unwrap_or(first)))
        .filter(ev::occurred_at.le(last))
        .select((ev::occurred_at, ev::run_id))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(t, run)| run.map(|r| (t, r)))
        .collect())
}
