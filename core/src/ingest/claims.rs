//! Who owns a session and a run: the user of its first stored event,
//! claimed once, so a later event of another user is refused.

use std::collections::{BTreeMap, HashMap};

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::event::EventInput;
use crate::storage::schema::{run_owners, session_owners};
use crate::Result;

/// A session belongs to the user of its first stored event. Claims the
/// sessions of `fresh` for their first user in batch order, then returns the
/// owner of each, whoever claimed it first.
pub(super) async fn claim_sessions<'e>(
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
pub(super) async fn claim_runs<'e>(
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
