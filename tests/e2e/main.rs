//! End-to-end tests against a real PostgreSQL: one binary, one module per
//! concern, every test with a database of its own.

mod harness;

mod admin_keys;
mod admin_members;
mod agents;
mod alerts;
mod auth;
mod backup;
mod claims;
mod cluster;
mod demo;
mod docs;
mod embedded;
mod http;
mod ingest_atomicity;
mod ingest_claims;
mod ingest_duplicates;
mod ingest_partitions;
mod ingest_refusals;
mod ingest_rules;
mod lifecycle;
mod live;
mod orgs;
mod projection;
mod rate_limits;
mod read_api;
mod read_replicas;
mod replica_identity;
mod row_level_security;
mod schema_snapshot;
mod tls;
mod upgrade;
