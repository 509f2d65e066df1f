//! `agentmon replay`: rebuild read models, or requeue dead letters.

use agentmon_core::storage::models::job;

use crate::actions::{self, operator};
use crate::cli::{ReplayArgs, StorageArgs};
use crate::storage::Storage;

pub async fn run(storage_args: &StorageArgs, args: ReplayArgs) -> anyhow::Result<()> {
    let storage = Storage::open(storage_args).await?;
    let result = replay_with(&storage, &args).await;
    storage.close();
    result
}

async fn replay_with(storage: &Storage, args: &ReplayArgs) -> anyhow::Result<()> {
    let org = storage.org(args.org.as_deref()).await?;
    if args.dead_letters {
        let n = actions::jobs::retry_dead_letters(&storage.db, &operator(), org.as_ref()).await?;
        println!("{n} dead letters put back on the queue; a running worker projects them");
        return Ok(());
    }
    let queued = actions::jobs::queue_replay(
        &storage.db,
        &operator(),
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
