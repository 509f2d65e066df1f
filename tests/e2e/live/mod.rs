//! Live and fast: the cache, subscriptions, and replicas sharing
//! PostgreSQL and Redis.

mod cache;
mod replicas;
mod subscriptions;
