//! Subscriptions over graphql-transport-ws: `sessionUpdated`,
//! `orgKpisUpdated` and `alertNotified`, fed by the bus. Each subscription filters the changes
//! of its own org (and session) before it runs any query, so a change costs
//! nothing for unrelated subscribers; `orgKpisUpdated` sends at most about
//! one message a second under a burst. The same policy as the queries
//! applies, and a subscription ends when its token expires.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use agentmon_core::auth::policy::{self, Capability};
use agentmon_core::bus::{Bus, Change};
use agentmon_core::storage::models::org::Org;
use agentmon_core::storage::models::rollup::{self, Scope};
use agentmon_core::storage::models::session;
use agentmon_core::Error;
use async_graphql::{Context, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};
use tokio::sync::broadcast;

use super::access::Access;
use super::alert_notifications::AlertNotificationObject;
use super::context::{db, GqlResult, RequestContext};
use super::kpis::KpisObject;
use super::ranges::DateRange;
use super::sessions::object::SessionObject;

/// Subscriptions one connection may hold at once.
pub const MAX_SUBSCRIPTIONS: usize = 20;
/// `orgKpisUpdated` sends at most one message per this interval.
const COALESCE: Duration = Duration::from_secs(1);

/// Per websocket connection: when its token expires and how many
/// subscriptions it holds.
#[derive(Debug, Clone)]
pub struct Connection {
    pub expires_at: Option<DateTime<Utc>>,
    pub subscriptions: Arc<AtomicUsize>,
}

/// Counts a subscription while its stream lives.
struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn slot(ctx: &Context<'_>) -> async_graphql::Result<(Option<Slot>, Option<DateTime<Utc>>)> {
    let Ok(connection) = ctx.data::<Connection>() else {
        return Ok((None, None));
    };
    let held = connection.subscriptions.fetch_add(1, Ordering::SeqCst);
    let slot = Slot(connection.subscriptions.clone());
    if held >= MAX_SUBSCRIPTIONS {
        return Err(Error::RateLimited {
            message: format!(
                "at most {MAX_SUBSCRIPTIONS} subscriptions per connection; close one first"
            ),
            retry_after_seconds: 1,
        })
        .gql();
    }
    Ok((Some(slot), connection.expires_at))
}

/// Ends a stream when the token expires. A websocket connection is closed
/// at that moment already (4403); this is the second line, a moment later.
fn until_expiry<S: Stream + Send + 'static>(
    stream: S,
    expires_at: Option<DateTime<Utc>>,
) -> impl Stream<Item = S::Item> {
    let left = expires_at
        .map(|at| (at - Utc::now()).to_std().unwrap_or_default() + Duration::from_secs(1))
        .unwrap_or(Duration::from_secs(u64::MAX / 4));
    stream.take_until(tokio::time::sleep(left))
}

fn changes(bus: &Bus) -> impl Stream<Item = Arc<Change>> + Send + 'static {
    futures::stream::unfold(bus.subscribe(), |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(change) => return Some((change, rx)),
                // A slow subscriber skips what it missed; the next change
                // brings it up to date.
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    })
}

/// The org of a subscription, through the same check as the queries
/// (SUPPORT subscriptions are audited).
async fn visible_org(
    ctx: &Context<'_>,
    slug: &str,
    capability: Capability,
) -> async_graphql::Result<Org> {
    let request = RequestContext::of(ctx)?;
    let viewer = request.user().gql()?;
    super::access::find_org(
        db(ctx)?,
        &request.audited,
        viewer,
        slug,
        capability,
        Access::Subscription,
    )
    .await
    .gql()
}

#[derive(SimpleObject)]
pub struct SessionUpdate {
    pub org: String,
    pub session: SessionObject,
}

pub struct SubscriptionRoot;

#[Subscription(name = "Subscription")]
impl SubscriptionRoot {
    /// Fires after the worker has projected events of a session visible to the viewer.
    async fn session_updated(
        &self,
        ctx: &Context<'_>,
        org: String,
        session_id: Option<String>,
    ) -> async_graphql::Result<impl Stream<Item = SessionUpdate>> {
        let found = visible_org(ctx, &org, Capability::OwnSessions).await?;
        let viewer = RequestContext::of(ctx)?.user().gql()?.clone();
        let others = policy::allows(&viewer, Capability::OthersSessions, Some(&org));
        let (slot, expires_at) = slot(ctx)?;
        let db = db(ctx)?.clone();
        let bus = ctx.data::<Bus>()?.clone();
        let stream = changes(&bus)
            .flat_map(move |change| {
                let wanted: Vec<(Org, String, uuid::Uuid)> = change
                    .sessions
                    .iter()
                    .filter(|(o, s)| *o == found.id && session_id.as_ref().is_none_or(|id| id == s))
                    .map(|(_, s)| (found.clone(), s.clone(), change.id))
                    .collect();
                futures::stream::iter(wanted)
            })
            .filter_map(move |(org, id, change)| {
                let (db, viewer) = (db.clone(), viewer.clone());
                async move {
                    let row = shared_session(&db, &org, &id, change).await?;
                    (others || row.user_id == viewer.sub).then(|| SessionUpdate {
                        org: org.slug.clone(),
                        session: SessionObject { org, row },
                    })
                }
            })
            .map(move |update| {
                let _held = &slot;
                update
            });
        Ok(until_expiry(stream, expires_at))
    }

    /// Fires after the worker has projected new events of the org; Kpis over the range.
    async fn org_kpis_updated(
        &self,
        ctx: &Context<'_>,
        org: String,
        range: DateRange,
    ) -> async_graphql::Result<impl Stream<Item = KpisObject>> {
        let found = visible_org(ctx, &org, Capability::OrgOverview).await?;
        let (from, to) = range.days().gql()?;
        let (slot, expires_at) = slot(ctx)?;
        let db = db(ctx)?.clone();
        let bus = ctx.data::<Bus>()?.clone();
        let org_id = found.id;
        let relevant =
            changes(&bus).filter(move |c| futures::future::ready(c.orgs.contains(&org_id)));
        let stream = coalesce(relevant, COALESCE)
            .filter_map(move |()| {
                let db = db.clone();
                async move {
                    let mut conn = db.app().await.ok()?;
                    let kpis = diesel_async::AsyncConnection::transaction::<_, Error, _>(
                        &mut conn,
                        async |tx| {
                            agentmon_core::storage::db::set_org(tx, org_id).await?;
                            Ok(rollup::kpis(tx, Scope::Org(org_id), from, to).await?)
                        },
                    )
                    .await
                    .ok()?;
                    Some(KpisObject(kpis))
                }
            })
            .map(move |k| {
                let _held = &slot;
                k
            });
        Ok(until_expiry(stream, expires_at))
    }

    /// MANAGER and up: each alert state change of the org (WARNING, FIRING,
    /// or OK when resolved) as the worker stores it, with its deliveries,
    /// each once and in order. `after`: start after this notification (the
    /// newest the client has, e.g. from `alertNotifications`), so nothing
    /// stored in between is missed; by default, after the newest now.
    async fn alert_notified(
        &self,
        ctx: &Context<'_>,
        org: String,
        after: Option<async_graphql::ID>,
    ) -> async_graphql::Result<impl Stream<Item = AlertNotificationObject>> {
        let found = visible_org(ctx, &org, Capability::People).await?;
        let after = after
            .map(|id| {
                id.parse::<uuid::Uuid>().map_err(|_| {
                    Error::NotFound(format!("after: no alert notification {}", id.as_str()))
                })
            })
            .transpose()
            .gql()?;
        let (slot, expires_at) = slot(ctx)?;
        let db = db(ctx)?.clone();
        let bus = ctx.data::<Bus>()?.clone();
        let start = super::alert_watch::start(&db, &found, after).await.gql()?;
        let stream = super::alert_watch::watch(db, &bus, found, start).map(move |n| {
            let _held = &slot;
            n
        });
        Ok(until_expiry(stream, expires_at))
    }
}

/// Sessions as loaded for one change: every subscriber of this process
/// that wants the same session after the same change shares one query.
type SnapshotKey = (uuid::Uuid, uuid::Uuid, String);
static SNAPSHOTS: std::sync::LazyLock<
    moka::future::Cache<SnapshotKey, Option<Arc<session::SessionRow>>>,
> = std::sync::LazyLock::new(|| {
    moka::future::Cache::builder()
        .max_capacity(10_000)
        .time_to_live(Duration::from_secs(30))
        .build()
});

async fn shared_session(
    db: &agentmon_core::storage::db::Db,
    org: &Org,
    id: &str,
    change: uuid::Uuid,
) -> Option<session::SessionRow> {
    let key = (change, org.id, id.to_string());
    let row = SNAPSHOTS
        .get_with(key, async { load_session(db, org, id).await.map(Arc::new) })
        .await?;
    Some((*row).clone())
}

async fn load_session(
    db: &agentmon_core::storage::db::Db,
    org: &Org,
    id: &str,
) -> Option<session::SessionRow> {
    let mut conn = db.app().await.ok()?;
    let org_id = org.id;
    diesel_async::AsyncConnection::transaction::<_, Error, _>(&mut conn, async |tx| {
        agentmon_core::storage::db::set_org(tx, org_id).await?;
        Ok(session::by_id(tx, org_id, id).await?)
    })
    .await
    .ok()
    .flatten()
}

/// Turns a stream of triggers into at most one tick per `interval`: the
/// first trigger ticks at once, later ones within the interval are folded
/// into one tick at its end.
fn coalesce<S>(triggers: S, interval: Duration) -> impl Stream<Item = ()> + Send
where
    S: Stream + Send + 'static,
{
    let triggers = Box::pin(triggers);
    futures::stream::unfold(
        (triggers, None::<tokio::time::Instant>),
        move |(mut triggers, last)| async move {
            triggers.next().await?;
            if let Some(last) = last {
                let ready_at = last + interval;
                let now = tokio::time::Instant::now();
                if ready_at > now {
                    // Swallow whatever else arrives until the interval is over.
                    let wait = tokio::time::sleep_until(ready_at);
                    tokio::pin!(wait);
                    loop {
                        tokio::select! {
                            _ = &mut wait => break,
                            next = triggers.next() => if next.is_none() { break },
                        }
                    }
                }
            }
            Some(((), (triggers, Some(tokio::time::Instant::now()))))
        },
    )
}
