//! The stream behind `alertNotified`: the org's notifications stored after
//! the subscription began (or after the one the client names), each sent
//! once, in the order they were stored. The bus only wakes it: what is
//! sent is read from the table (on the request role, bound to the org), so
//! a lagging bus, a failed read or a worker that died before announcing
//! loses nothing — the next wake, or the look every
//! [`LOOK_EVERY`], finds it.

use std::collections::HashMap;
use std::time::Duration;

use agentmon_core::bus::{Bus, Change};
use agentmon_core::storage::db::Db;
use agentmon_core::storage::models::alert_notification::{self, Notification};
use agentmon_core::storage::models::org::Org;
use agentmon_core::Error;
use chrono::{DateTime, Utc};
use futures::Stream;
use tokio::sync::broadcast;
use uuid::Uuid;

use super::alert_notifications::{with_deliveries, AlertNotificationObject};

/// How often a subscription looks without being woken.
pub const LOOK_EVERY: Duration = Duration::from_secs(10);
/// How far back each look reaches: notifications may commit out of the
/// order of their times (several workers) by up to this.
const LOOKBACK: chrono::Duration = chrono::Duration::minutes(2);

/// What a subscription has sent (or skipped as before its start).
struct Seen {
    ids: HashMap<Uuid, DateTime<Utc>>,
    newest: DateTime<Utc>,
}

/// Where a subscription starts: what counts as sent already, and the
/// time its first look reaches back from.
pub struct Start {
    sent: Vec<Notification>,
    from: DateTime<Utc>,
}

impl Seen {
    fn from(start: Start) -> Seen {
        Seen {
            ids: start.sent.into_iter().map(|n| (n.id, n.at)).collect(),
            newest: start.from,
        }
    }

    /// The unseen among `rows`, now marked seen; forgets what is past
    /// every look's reach.
    fn take(&mut self, rows: Vec<Notification>) -> Vec<Notification> {
        let fresh: Vec<Notification> = rows
            .into_iter()
            .filter(|n| !self.ids.contains_key(&n.id))
            .collect();
        for n in &fresh {
            self.ids.insert(n.id, n.at);
            self.newest = self.newest.max(n.at);
        }
        let reach = self.newest - LOOKBACK * 2;
        self.ids.retain(|_, at| *at >= reach);
        fresh
    }
}

async fn read(db: &Db, org: &Org, since: DateTime<Utc>) -> Result<Vec<Notification>, Error> {
    let mut conn = db.app().await?;
    let org_id = org.id;
    diesel_async::AsyncConnection::transaction::<_, Error, _>(&mut conn, async |tx| {
        agentmon_core::storage::db::set_org(tx, org_id).await?;
        Ok(alert_notification::since(tx, org_id, since).await?)
    })
    .await
}

async fn objects(
    db: &Db,
    org: &Org,
    rows: Vec<Notification>,
) -> Option<Vec<AlertNotificationObject>> {
    let mut conn = db.app().await.ok()?;
    diesel_async::AsyncConnection::transaction::<_, Error, _>(&mut conn, async |tx| {
        agentmon_core::storage::db::set_org(tx, org.id).await?;
        with_deliveries(tx, org, rows).await
    })
    .await
    .ok()
}

/// Where a subscription starts: after notification `after` of the org
/// (its stored successors are sent at once), or after the newest now.
pub async fn start(db: &Db, org: &Org, after: Option<Uuid>) -> Result<Start, Error> {
    let now = Utc::now();
    let Some(after) = after else {
        return Ok(Start {
            sent: read(db, org, now - LOOKBACK).await?,
            from: now,
        });
    };
    let mut conn = db.app().await?;
    let org_id = org.id;
    let named = diesel_async::AsyncConnection::transaction::<_, Error, _>(&mut conn, async |tx| {
        agentmon_core::storage::db::set_org(tx, org_id).await?;
        Ok(alert_notification::by_ids(tx, org_id, &[after]).await?)
    })
    .await?;
    let Some(named) = named.into_iter().next() else {
        return Err(Error::NotFound(format!(
            "after: no alert notification {after} in this org"
        )));
    };
    // Up to the named one counts as sent.
    let sent = read(db, org, named.at - LOOKBACK)
        .await?
        .into_iter()
        .filter(|n| (n.at, n.id) <= (named.at, named.id))
        .collect();
    Ok(Start {
        sent,
        from: named.at,
    })
}

/// Whether `change` may have brought notifications of `org`.
fn wakes(change: &Change, org: Uuid) -> bool {
    change.notifications.iter().any(|(o, _)| *o == org)
}

/// The notifications of `org` stored after `start` (see [`start`]).
pub fn watch(
    db: Db,
    bus: &Bus,
    org: Org,
    start: Start,
) -> impl Stream<Item = AlertNotificationObject> + Send + 'static {
    let seen = Seen::from(start);
    let rx = bus.subscribe();
    let state = (rx, seen, db, org, true);
    let batches =
        futures::stream::unfold(state, |(mut rx, mut seen, db, org, mut first)| async move {
            loop {
                if !first {
                    let woken = tokio::select! {
                        got = rx.recv() => match got {
                            Ok(change) => wakes(&change, org.id),
                            Err(broadcast::error::RecvError::Lagged(_)) => true,
                            Err(broadcast::error::RecvError::Closed) => return None,
                        },
                        _ = tokio::time::sleep(LOOK_EVERY) => true,
                    };
                    if !woken {
                        continue;
                    }
                }
                first = false;
                let since = seen.newest - LOOKBACK;
                let Ok(rows) = read(&db, &org, since).await else {
                    continue; // read again at the next wake
                };
                let fresh = seen.take(rows);
                if fresh.is_empty() {
                    continue;
                }
                if let Some(objects) = objects(&db, &org, fresh.clone()).await {
                    return Some((objects, (rx, seen, db, org, first)));
                }
                // Not sent after all: forget them so the next look sends them.
                for n in &fresh {
                    seen.ids.remove(&n.id);
                }
            }
        });
    futures::StreamExt::flat_map(batches, futures::stream::iter)
}
