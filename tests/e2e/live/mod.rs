//! Live and fast: the cache, subscriptions, and replicas sharing
//! PostgreSQL and Redis.

mod cache;
mod redis_outage;
mod replicas;
mod subscriptions;
