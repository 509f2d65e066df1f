//! `agentmon replay`: rebuild read models, or requeue dead letters.

use agentmon_core::storage::models::{audit, job, org};
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
    let org = match &args.org {
        Some(slug) => {
            let mut conn = storage.db.owner().await?;
            let found = org::by_slug(&mut conn, slug).await?;
            Some(found.ok_or_else(|| anyhow::anyhow!("no org with slug {slug:?}"))?)
        }
        None => None,
    };
    let org_id = org.as_ref().map(|o| o.id);
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
    let operator = crate::admin::operator();
    let queued = crate::admin::queue_replay(
        &storage.db,
        &operator,
        org.as_ref(),
        args.projector.as_deref(),
    )
    .await?;
    eprintln!("replay queued as job {}; running it here", queued.id);
    // This process runs jobs like a worker until the replay has ended
    // (a worker may take it first: then this one waits for it).
    let runner = agentmon_projectors::jobs::JobRunner::new(storage.db.clone(), &storage.url);
    let finished = loop {
        runner.run_next().await?;
        let mut conn = storage.db.owner().await?;
        let now = job::by_id(&mut conn, queued.id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("job {} vanished", queued.id))?;
        if !now.is_open() {
            break now;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    };
    if finished.status != "SUCCEEDED" {
        anyhow::bail!(
            "the replay failed: {}",
            finished
                .error
                .unwrap_or_else(|| "no reason recorded".into())
        );
    }
    let result = finished.result.unwrap_or_default();
    println!(
        "replayed {} org(s): {} sessions from {} events",
        result["orgs"], result["sessions"], result["events"]
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
