//! What every handler of one server shares: [`AppState`], with the schema,
//! the database, the gate's parts, the open connections and the export
//! slots.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use agentmon_core::auth::{ApiKeys, Authenticator};
use agentmon_core::storage::db::Db;
use tokio::sync::Semaphore;

use super::assets;
use super::connections::{OpenConnections, OpenExports};
use crate::gate::{Gate, Presence};
use crate::graphql::{AppSchema, RateLimits, Services};
use crate::members::MemberCache;
use crate::refusals::KeyRefusals;

/// Exports one server streams at once; more wait for `RATE_LIMITED`.
pub const MAX_CONCURRENT_EXPORTS: usize = 16;

#[derive(Clone)]
pub struct AppState {
    pub schema: AppSchema,
    pub auth: Authenticator,
    pub db: Db,
    /// Where the dashboard's files come from (the binary, or a folder).
    pub web: assets::Source,
    pub metrics: metrics_exporter_prometheus::PrometheusHandle,
    /// Producer API keys.
    pub keys: ApiKeys,
    /// Signed-in users seen, written now and then.
    pub presence: Presence,
    /// Memberships the gate read (the same as the schema's).
    pub members: MemberCache,
    /// Addresses that presented unknown API keys.
    pub refusals: KeyRefusals,
    /// Open websocket connections per user.
    pub connections: OpenConnections,
    /// When set, `/metrics` answers only requests bearing it.
    pub metrics_token: Option<secrecy::SecretString>,
    /// Longest a request may take to produce its response.
    pub request_timeout: Duration,
    /// The rate limits (the same as the schema's).
    pub rates: RateLimits,
    /// Slots for CSV exports streaming at once.
    pub exports: Arc<Semaphore>,
    /// Exports streaming per user.
    pub exports_per_user: OpenExports,
    /// How long an export waits for a client that reads nothing before it
    /// ends the download and gives back its slots.
    pub export_stall: Duration,
    /// How often live connections are pinged, and how long one may wait
    /// before its `connection_init`.
    pub live_ping: Duration,
    pub live_init_timeout: Duration,
}

/// How often the server pings a live connection by default (a websocket
/// ping frame, which browsers and websocket libraries answer by themselves);
/// one that has sent nothing, not even a pong, for two of these is closed as
/// gone.
pub const LIVE_PING: Duration = Duration::from_secs(20);
/// How long a live connection may stay open without `connection_init`, by
/// default.
pub const LIVE_INIT_TIMEOUT: Duration = Duration::from_secs(10);

impl AppState {
    /// A server over `services` (whose keys and rate limits it shares)
    /// with the defaults: the dashboard from the binary, `/metrics` open,
    /// 30 s per request, [`MAX_CONCURRENT_EXPORTS`] exports at once (and
    /// a user's at most [`super::connections::MAX_EXPORTS_PER_USER`]).
    pub fn new(services: &Services, schema: AppSchema, auth: Authenticator) -> AppState {
        AppState {
            schema,
            auth,
            db: services.db.clone(),
            web: assets::Source::Embedded,
            metrics: crate::metrics::handle(),
            keys: services.keys.clone(),
            presence: Default::default(),
            members: services.members.clone(),
            refusals: Default::default(),
            connections: Default::default(),
            metrics_token: None,
            request_timeout: Duration::from_secs(30),
            rates: services.rates.clone(),
            exports: Arc::new(Semaphore::new(MAX_CONCURRENT_EXPORTS)),
            exports_per_user: Default::default(),
            export_stall: Duration::from_secs(60),
            live_ping: LIVE_PING,
            live_init_timeout: LIVE_INIT_TIMEOUT,
        }
    }

    /// The gate over this server's verifier, keys, database and sightings,
    /// for a request from `peer`.
    pub fn gate(&self, peer: Option<IpAddr>) -> Gate<'_> {
        Gate {
            auth: &self.auth,
            keys: &self.keys,
            db: &self.db,
            presence: &self.presence,
            members: &self.members,
            refusals: &self.refusals,
            peer,
        }
    }
}
