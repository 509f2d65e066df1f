//! `agentmon replay`: rebuild read models, or requeue dead letters.

use agentmon_core::models::{audit, org};
use agentmon_projectors::replay;

use crate::cli::{ReplayArgs, StorageArgs};
use crate::storage::Storage;

pub async fn run(storage_args: &StorageArgs, args: ReplayArgs) -> anyhow::Result<()> {
    let storage = Storage::open(storage_args).await?;
    let result = replay_with(&storage, &args).await;
    storage.close();
    result
}

async fn replay_with(storage: &Storage, args: &ReplayArgs) -> anyhow::Result<()> {
    let org_id = match &args.org {
        Some(slug) => {
            let mut conn = storage.db.owner().await?;
            let found = org::by_slug(&mut conn, slug).await?;
            Some(
                found
                    .ok_or_else(|| anyhow::anyhow!("no org with slug {slug:?}"))?
                    .id,
            )
        }
        None => None,
    };
    if args.dead_letters {
        let n = replay::requeue_dead_letters(&storage.db, org_id).await?;
        record(
            storage,
            org_id,
            "DEAD_LETTERS_RETRIED",
            serde_json::json!({ "requeued": n }),
        )
        .await?;
        println!("{n} dead letters put back on the queue; a running worker projects them");
        return Ok(());
    }
    let projectors = replay::select(agentmon_projectors::registry(), args.projector.as_deref())?;
    let report = replay::replay(&storage.db, &projectors, org_id).await?;
    let detail = serde_json::json!({
        "projector": args.projector, "orgs": report.orgs, "sessions": report.sessions, "events": report.events,
    });
    record(storage, org_id, "REPLAY", detail).await?;
    println!(
        "replayed {} org(s): {} sessions from {} events",
        report.orgs, report.sessions, report.events
    );
    Ok(())
}

/// The operator's replay in the audit log (platform-wide without an org).
async fn record(
    storage: &Storage,
    org_id: Option<uuid::Uuid>,
    action: &str,
    detail: serde_json::Value,
) -> anyhow::Result<()> {
    let mut conn = storage.db.owner().await?;
    let entry = audit::Action {
        action,
        target: None,
        detail,
    };
    let org = org_id.unwrap_or(audit::PLATFORM);
    audit::record(&mut conn, org, &crate::admin::operator(), entry).await?;
    Ok(())
}
