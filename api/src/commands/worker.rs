//! `agentmon worker`: a projection worker on its own.

use agentmon_projectors::worker::Worker;
use tokio_util::sync::CancellationToken;

use super::signals::shutdown_signal;
use crate::cli::{StorageArgs, WorkerArgs};
use crate::storage::Storage;

pub async fn run(storage_args: &StorageArgs, args: WorkerArgs) -> anyhow::Result<()> {
    let storage = Storage::open(storage_args).await?;
    let shutdown = CancellationToken::new();
    let on_signal = shutdown.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        on_signal.cancel();
    });
    let mut worker = Worker::new(
        storage.db.clone(),
        &storage.url,
        agentmon_projectors::registry(),
        args.config(),
    );
    match crate::storage::publishing_bus(storage_args)? {
        Some(bus) => worker = worker.with_bus(bus),
        None => tracing::warn!(
            "no REDIS_URL: API replicas in other processes get no live updates from this worker"
        ),
    }
    let result = worker.run(shutdown).await;
    storage.close();
    Ok(result?)
}
