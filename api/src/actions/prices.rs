//! Setting and deleting model prices: audited, and followed by a job that
//! projects the org (every org, for a platform price) again, so that every
//! estimated and unpriced call is priced from the table as it now is.
//! Reported costs never change.

use agentmon_core::auth::UserPrincipal;
use agentmon_core::metrics::pricing::Price;
use agentmon_core::storage::db::Db;
use agentmon_core::storage::models::job::{self, Kind, NewJob};
use agentmon_core::storage::models::price;
use agentmon_core::Result;
use uuid::Uuid;

use super::{audited, Audit, Scope};

fn detail(p: &Price, job: Uuid) -> serde_json::Value {
    serde_json::json!({
        "model": p.model, "validFrom": p.valid_from, "input": p.input, "output": p.output,
        "cacheRead": p.cache_read, "cacheCreation": p.cache_creation, "job": job,
    })
}

async fn reprice(
    tx: &mut diesel_async::AsyncPgConnection,
    actor: &UserPrincipal,
    org: Option<Uuid>,
) -> Result<job::Job> {
    job::create(
        tx,
        NewJob {
            kind: Kind::Replay,
            org_id: org,
            params: serde_json::json!({ "projector": null, "reason": "prices" }),
            created_by: &actor.sub,
            pause_now: false,
        },
    )
    .await
}

/// Sets a price (of `org_slug`'s org, or the platform's) and queues the
/// re-pricing.
pub async fn set(
    db: &Db,
    actor: &UserPrincipal,
    org_slug: Option<&str>,
    new: &Price,
) -> Result<Price> {
    audited!(db, actor, Scope::Platform, |tx| {
        let saved = price::set(tx, new, &actor.sub).await?;
        let queued = reprice(tx, actor, saved.org_id).await?;
        let entry =
            Audit::new("MODEL_PRICE_SET", org_slug, detail(&saved, queued.id)).under(saved.org_id);
        (saved, entry)
    })
}

/// Deletes a price and queues the re-pricing.
pub async fn delete(
    db: &Db,
    actor: &UserPrincipal,
    org_slug: Option<&str>,
    gone: &Price,
) -> Result<bool> {
    audited!(db, actor, Scope::Platform, |tx| {
        let deleted = price::delete(tx, gone.id).await?;
        let queued = reprice(tx, actor, gone.org_id).await?;
        let entry =
            Audit::new("MODEL_PRICE_DELETED", org_slug, detail(gone, queued.id)).under(gone.org_id);
        (deleted, entry)
    })
}
