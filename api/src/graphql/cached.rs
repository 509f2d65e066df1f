//! Heavy figures through the cache. Keys carry the org's projection epoch,
//! which the worker bumps after every commit that touched the org, so a
//! figure is recomputed as soon as newer events are projected.

use std::future::Future;

use agentmon_core::cache::Cache;
use agentmon_core::storage::models::org::Org;
use async_graphql::Context;
use chrono::NaiveDate;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The key of figure `what` of `org` over `from..=to` (and `extra`).
pub fn org_key(org: &Org, what: &str, from: NaiveDate, to: NaiveDate, extra: &str) -> String {
    format!(
        "agentmon:v1:org:{}:{}:{what}:{from}:{to}:{extra}",
        org.id, org.projection_epoch
    )
}

/// The key of a global figure at global epoch `epoch` (the sum of the orgs').
pub fn global_key(epoch: i64, what: &str, from: NaiveDate, to: NaiveDate, extra: &str) -> String {
    format!("agentmon:v1:global:{epoch}:{what}:{from}:{to}:{extra}")
}

pub async fn cached<T, F, Fut>(
    ctx: &Context<'_>,
    key: String,
    compute: F,
) -> async_graphql::Result<T>
where
    T: Serialize + DeserializeOwned,
    F: FnOnce() -> Fut,
    Fut: Future<Output = async_graphql::Result<T>>,
{
    match ctx.data::<Cache>() {
        Ok(cache) => cache.get_or_compute(&key, compute).await,
        Err(_) => compute().await,
    }
}
