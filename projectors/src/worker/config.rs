//! How a worker works: batch size, retries, polling and lock waits.

use std::time::Duration;

use crate::queue::failure::Retry;

#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Events claimed per transaction.
    pub batch_size: i64,
    /// Failed attempts before an event becomes a dead letter.
    pub max_attempts: i32,
    /// First retry delay; doubles with each attempt (capped at 10 minutes).
    pub backoff: Duration,
    /// How often to look for work when no NOTIFY arrives.
    pub poll_interval: Duration,
    /// Longest wait for a lock (a session another worker projects, an org
    /// a replay holds) before the batch is tried again later.
    pub lock_timeout: Duration,
    /// How long an implicit run (its source sends no end) may stay quiet
    /// before it ends at its last event (`AGENTMON_RUN_IDLE`).
    pub run_idle: Duration,
    /// Which alert targets the operator allows
    /// (`AGENTMON_WEBHOOK_ALLOW_PRIVATE`).
    pub webhooks: agentmon_core::alerts::WebhookPolicy,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            batch_size: 4_000,
            max_attempts: 5,
            backoff: Duration::from_secs(1),
            poll_interval: Duration::from_secs(1),
            lock_timeout: Duration::from_secs(10),
            run_idle: Duration::from_secs(600),
            webhooks: Default::default(),
        }
    }
}

impl WorkerConfig {
    /// How the worker's failed events are retried.
    pub fn retry(&self) -> Retry {
        Retry {
            max_attempts: self.max_attempts,
            backoff: self.backoff,
        }
    }
}
