//! Which of a batch's events are stored already, before it is charged to
//! its orgs' rate limits: an export sent again after a partial store (a
//! limit or a timeout cut it short) finds its stored part there, and only
//! what is new costs budget. Otherwise an export larger than what the
//! budget refills between its retries would pay again for its stored part
//! every time, and never be stored whole.

use std::collections::{BTreeMap, HashMap, HashSet};

use diesel_async::AsyncConnection;
use uuid::Uuid;

use crate::auth::OrgScope;
use crate::event::EventInput;
use crate::storage::db::{set_org, Db};
use crate::storage::models::org;
use crate::{Error, Result};

use super::admission::known_ids;

/// The (org slug, event id) of `events` already in their orgs' ledgers,
/// read on the RLS-bound role; events of orgs outside `scope` or unknown
/// are left to ingest, which refuses them one by one.
pub async fn already_stored(
    db: &Db,
    scope: &OrgScope,
    events: &[EventInput],
) -> Result<HashSet<(String, Uuid)>> {
    let mut by_org: BTreeMap<&str, Vec<Uuid>> = BTreeMap::new();
    for e in events.iter().filter(|e| scope.allows(&e.org)) {
        by_org.entry(e.org.as_str()).or_default().push(e.event_id);
    }
    if by_org.is_empty() {
        return Ok(HashSet::new());
    }
    let mut conn = db.app().await?;
    let slugs: Vec<String> = by_org.keys().map(|s| s.to_string()).collect();
    let ids: HashMap<String, Uuid> = org::ids_by_slug(&mut conn, &slugs).await?;
    let mut stored = HashSet::new();
    for (slug, events) in by_org {
        let Some(&org_id) = ids.get(slug) else {
            continue;
        };
        let known = conn
            .transaction::<_, Error, _>(async |conn| {
                set_org(conn, org_id).await?;
                known_ids(conn, org_id, events.into_iter()).await
            })
            .await?;
        stored.extend(known.into_iter().map(|id| (slug.to_string(), id)));
    }
    Ok(stored)
}
