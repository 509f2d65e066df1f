//! The bus that carries "what changed" from the worker to every API
//! replica: Redis pub/sub when configured (each replica subscribes once and
//! fans out to its own websocket clients), an in-process broadcast
//! otherwise.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use redis::aio::MultiplexedConnection;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use uuid::Uuid;

const CHANNEL: &str = "agentmon:changes";

/// Orgs and sessions whose read models a commit changed, and alert
/// notifications an evaluation stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// Unique per change: subscribers of one process share what they load for it.
    #[serde(default = "Uuid::new_v4")]
    pub id: Uuid,
    pub orgs: Vec<Uuid>,
    pub sessions: Vec<(Uuid, String)>,
    /// (org, notification) pairs: alert state changes just stored.
    #[serde(default)]
    pub notifications: Vec<(Uuid, Uuid)>,
}

#[derive(Clone)]
pub struct Bus {
    local: broadcast::Sender<Arc<Change>>,
    redis: Option<redis::Client>,
    /// The connection publishes share, made by the first and dropped at
    /// the first error: the next publish connects anew, and fails at once
    /// while Redis refuses connections (a connection manager would retry
    /// with backoff, and hold every commit's announcement for the whole
    /// timeout while Redis is down).
    publisher: Arc<tokio::sync::Mutex<Option<MultiplexedConnection>>>,
    /// Whether this process's relay is subscribed on Redis now.
    relaying: Arc<AtomicBool>,
}

impl Bus {
    pub fn local() -> Bus {
        Bus {
            local: broadcast::channel(1_024).0,
            redis: None,
            publisher: Arc::default(),
            relaying: Arc::default(),
        }
    }

    /// Publishes through Redis; `listen` relays what arrives to this process.
    pub fn redis(url: &str) -> anyhow::Result<Bus> {
        Ok(Bus {
            local: broadcast::channel(1_024).0,
            redis: Some(redis::Client::open(url)?),
            publisher: Arc::default(),
            relaying: Arc::default(),
        })
    }

    pub fn kind(&self) -> &'static str {
        if self.redis.is_some() {
            "redis"
        } else {
            "in-process"
        }
    }

    /// Publishes `change` to every replica's subscribers. What Redis cannot
    /// take, or takes while this process's relay is not subscribed (Redis
    /// back, the relay not yet), still reaches this process's own
    /// subscribers (those of `agentmon serve` when its worker runs inside
    /// it); other replicas miss it, and catch up with their sessions' next
    /// change.
    pub async fn publish(&self, change: Change) {
        let Some(client) = &self.redis else {
            let _ = self.local.send(Arc::new(change));
            return;
        };
        let published = async {
            let payload = serde_json::to_string(&change).map_err(|e| anyhow::anyhow!(e))?;
            // A kept connection may have died with a Redis that restarted
            // since: it is tried once, then a new one.
            loop {
                let (mut conn, reused) = {
                    let mut kept = self.publisher.lock().await;
                    match kept.as_ref() {
                        Some(conn) => (conn.clone(), true),
                        None => {
                            let conn = client.get_multiplexed_async_connection().await?;
                            (kept.insert(conn).clone(), false)
                        }
                    }
                };
                let receivers = redis::cmd("PUBLISH")
                    .arg(CHANNEL)
                    .arg(&payload)
                    .query_async::<i64>(&mut conn)
                    .await;
                match receivers {
                    Ok(receivers) => return anyhow::Ok(receivers),
                    Err(e) => {
                        *self.publisher.lock().await = None;
                        if !reused {
                            return Err(e.into());
                        }
                    }
                }
            }
        };
        match tokio::time::timeout(Duration::from_secs(1), published).await {
            // Taken by subscribers, this process's relay among them.
            Ok(Ok(receivers)) if receivers > 0 && self.relaying.load(Ordering::Acquire) => return,
            Ok(Ok(_)) => {}
            // A change Redis took after all may reach this process twice:
            // subscribers take an update again, alerts are told apart by id.
            Ok(Err(e)) => tracing::warn!(
                error = %e,
                "could not publish a change on Redis; sent to this process's own subscribers"
            ),
            Err(_) => {
                tracing::warn!(
                    "publishing a change on Redis timed out; sent to this process's own subscribers"
                );
                // A connection that hangs is not kept (one being made holds
                // the lock, and is not kept yet either).
                if let Ok(mut kept) = self.publisher.try_lock() {
                    *kept = None;
                }
            }
        }
        let _ = self.local.send(Arc::new(change));
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Change>> {
        self.local.subscribe()
    }

    /// With Redis: relays published changes to this process's subscribers,
    /// reconnecting as needed. Returns at once without Redis.
    pub fn listen(&self) {
        let Some(client) = self.redis.clone() else {
            return;
        };
        let local = self.local.clone();
        let relaying = self.relaying.clone();
        tokio::spawn(async move {
            // A Redis that restarts is back within moments, and every change
            // published before this process subscribes again reaches none
            // of its subscribers: the first retries come quickly.
            let mut retries = 0u32;
            loop {
                let started = tokio::time::Instant::now();
                let relayed = relay(&client, &local, &relaying).await;
                relaying.store(false, Ordering::Release);
                match relayed {
                    Ok(()) => tracing::warn!("Redis subscription ended; subscribing again"),
                    Err(e) => tracing::warn!(error = %e, "Redis subscription lost; retrying"),
                }
                if started.elapsed() > Duration::from_secs(10) {
                    retries = 0;
                }
                retries += 1;
                let wait = if retries <= 20 { 100 } else { 1_000 };
                tokio::time::sleep(Duration::from_millis(wait)).await;
            }
        });
    }
}

async fn relay(
    client: &redis::Client,
    local: &broadcast::Sender<Arc<Change>>,
    relaying: &AtomicBool,
) -> anyhow::Result<()> {
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub.subscribe(CHANNEL).await?;
    relaying.store(true, Ordering::Release);
    tracing::info!("subscribed to changes on Redis");
    let mut messages = pubsub.on_message();
    while let Some(message) = messages.next().await {
        let payload: String = message.get_payload()?;
        match serde_json::from_str::<Change>(&payload) {
            Ok(change) => {
                let _ = local.send(Arc::new(change));
            }
            Err(e) => tracing::warn!(error = %e, "ignoring a malformed change"),
        }
    }
    Ok(())
}
