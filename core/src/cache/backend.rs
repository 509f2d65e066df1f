//! Where cached bytes live: moka in process, or Redis.

use std::time::Duration;

use redis::aio::ConnectionManager;
use redis::AsyncCommands;
use tokio::sync::OnceCell;

pub enum Backend {
    Local(moka::future::Cache<String, (Vec<u8>, std::time::Instant)>),
    Redis {
        client: redis::Client,
        conn: OnceCell<ConnectionManager>,
    },
}

impl Backend {
    pub fn local(capacity: u64) -> Backend {
        Backend::Local(moka::future::Cache::new(capacity))
    }

    pub fn redis(url: &str) -> anyhow::Result<Backend> {
        Ok(Backend::Redis {
            client: redis::Client::open(url)?,
            conn: OnceCell::new(),
        })
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Backend::Local(_) => "in-process",
            Backend::Redis { .. } => "redis",
        }
    }

    async fn redis_conn(
        client: &redis::Client,
        conn: &OnceCell<ConnectionManager>,
    ) -> redis::RedisResult<ConnectionManager> {
        conn.get_or_try_init(|| ConnectionManager::new(client.clone()))
            .await
            .cloned()
    }

    pub async fn get(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
        match self {
            Backend::Local(cache) => Ok(cache
                .get(key)
                .await
                .filter(|(_, expires)| *expires > std::time::Instant::now())
                .map(|(bytes, _)| bytes)),
            Backend::Redis { client, conn } => {
                let mut conn = Self::redis_conn(client, conn).await?;
                Ok(conn.get(key).await?)
            }
        }
    }

    pub async fn set(&self, key: &str, bytes: Vec<u8>, ttl: Duration) -> anyhow::Result<()> {
        match self {
            Backend::Local(cache) => {
                cache
                    .insert(key.to_string(), (bytes, std::time::Instant::now() + ttl))
                    .await;
                Ok(())
            }
            Backend::Redis { client, conn } => {
                let mut conn = Self::redis_conn(client, conn).await?;
                let seconds = ttl.as_secs().max(1);
                let _: () = conn.set_ex(key, bytes, seconds).await?;
                Ok(())
            }
        }
    }
}
