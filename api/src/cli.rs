//! The `agentmon` command line. Options marked `[env: …]` in the help can
//! also be given by that environment variable.

use std::net::SocketAddr;
use std::path::PathBuf;

use agentmon_core::auth::Role;
use clap::{Args, Parser, Subcommand};
use secrecy::SecretString;

#[derive(Parser, Debug)]
#[command(
    name = "agentmon",
    version,
    about = "Monitoring for cloud AI coding agents",
    after_help = "Options marked [env: …] can also be set by that environment variable \
                  (each command's --help lists its own). Logging: RUST_LOG (default info), \
                  AGENTMON_LOG_FORMAT=json for JSON lines."
)]
pub struct Cli {
    #[command(flatten)]
    pub storage: StorageArgs,
    #[command(flatten)]
    pub auth: AuthArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone)]
pub struct StorageArgs {
    /// PostgreSQL URL. Without it agentmon runs its own cluster in the data directory.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<SecretString>,
    /// The login every request uses: a member of `agentmon_app` only, never
    /// a superuser or the tables' owner. Without it agentmon uses the
    /// `agentmon_api` login the migrations create, with a password derived
    /// from DATABASE_URL that it sets itself.
    #[arg(long, env = "DATABASE_APP_URL", global = true, hide_env_values = true)]
    pub database_app_url: Option<SecretString>,
    /// Read replicas (streaming standbys of DATABASE_URL's server),
    /// comma-separated: queries and exports read from them, everything that
    /// writes from the primary. Host, port and database are the replica's;
    /// without a login in the URL the request login's is used (it must be
    /// one that row-level security binds).
    #[arg(
        long,
        env = "DATABASE_REPLICA_URL",
        global = true,
        hide_env_values = true,
        value_delimiter = ','
    )]
    pub database_replica_url: Vec<String>,
    /// A replica further behind the primary than this is skipped (reads go
    /// to the primary) until it catches up.
    #[arg(long, env = "DATABASE_REPLICA_MAX_LAG", default_value = "5s", global = true, value_parser = humantime::parse_duration)]
    pub database_replica_max_lag: std::time::Duration,
    /// Where the embedded PostgreSQL and the generated secrets live. Default:
    /// $XDG_DATA_HOME/agentmon, else ~/.local/share/agentmon; as root
    /// /var/lib/agentmon. Never the current folder, so every command agrees.
    #[arg(long, env = "AGENTMON_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// Redis for the cache and the live-update bus shared by replicas;
    /// without it both are in-process.
    #[arg(long, env = "REDIS_URL", global = true, hide_env_values = true)]
    pub redis_url: Option<SecretString>,
    /// How long a cached figure lives at most (jittered ±10 %).
    #[arg(long, env = "AGENTMON_CACHE_TTL", default_value = "5m", global = true, value_parser = humantime::parse_duration)]
    pub cache_ttl: std::time::Duration,
}

#[derive(Args, Debug, Clone)]
pub struct AuthArgs {
    /// HS256 secret for JWTs. Without it one is generated and kept in the data directory.
    #[arg(
        long,
        env = "AGENTMON_JWT_SECRET",
        global = true,
        hide_env_values = true
    )]
    pub jwt_secret: Option<SecretString>,
    /// The `iss` every token must carry.
    #[arg(
        long,
        env = "AGENTMON_JWT_ISSUER",
        default_value = "agentmon",
        global = true
    )]
    pub jwt_issuer: String,
    /// The `aud` every token must carry.
    #[arg(
        long,
        env = "AGENTMON_JWT_AUDIENCE",
        default_value = "agentmon",
        global = true
    )]
    pub jwt_audience: String,
    /// A JWKS file of public keys for RS256/ES256 tokens (chosen by `kid`).
    #[arg(long, env = "AGENTMON_JWKS", global = true)]
    pub jwks: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the server: GraphQL, GraphiQL, the dashboard and health checks.
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the GraphQL schema (SDL).
    Schema,
    /// Manage orgs.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Mint a signed JWT for development and scripts.
    Token(TokenArgs),
    /// Manage producer API keys (the secret is printed once).
    #[command(subcommand)]
    Key(KeyCommand),
    /// Run a projection worker (any number may run at once).
    Worker(WorkerArgs),
    /// Rebuild read models from the stored events, or requeue dead letters.
    Replay(ReplayArgs),
    /// Send realistic demo traffic to a server through ingestEvents.
    Generate(GenerateArgs),
    /// Write the whole database (embedded or DATABASE_URL) to FILE with
    /// pg_dump; keep the JWT secret apart, with it.
    Backup {
        /// Where to write the backup (pg_dump's custom format).
        file: PathBuf,
    },
    /// Restore a backup into an empty database (a new data directory, or
    /// an empty DATABASE_URL), then apply newer migrations.
    Restore {
        /// A file written by `agentmon backup`.
        file: PathBuf,
    },
}

#[derive(Args, Debug, Clone)]
pub struct WorkerArgs {
    /// Events projected per transaction.
    #[arg(long, env = "AGENTMON_WORKER_BATCH_SIZE", default_value_t = 4_000)]
    pub batch_size: i64,
    /// Failed attempts before an event goes to the dead letters.
    #[arg(long, env = "AGENTMON_WORKER_MAX_ATTEMPTS", default_value_t = 5)]
    pub max_attempts: i32,
    /// First retry delay after a failure; doubles each attempt.
    #[arg(long, env = "AGENTMON_WORKER_BACKOFF", default_value = "1s", value_parser = humantime::parse_duration)]
    pub backoff: std::time::Duration,
    /// Longest wait for a lock before a batch is tried again later (no
    /// attempt is spent).
    #[arg(long, env = "AGENTMON_WORKER_LOCK_TIMEOUT", default_value = "10s", value_parser = humantime::parse_duration)]
    pub lock_timeout: std::time::Duration,
    /// How long a run of a source that sends no end (Claude Code's logs)
    /// may stay quiet before it ends at its last event.
    #[arg(long, env = "AGENTMON_RUN_IDLE", default_value = "10m", value_parser = humantime::parse_duration)]
    pub run_idle: std::time::Duration,
}

#[derive(Args, Debug, Clone)]
pub struct ReplayArgs {
    /// Only this org (default: every org).
    #[arg(long)]
    pub org: Option<String>,
    /// Only this projector (sessions, runs, handoffs, users, rollups).
    #[arg(long)]
    pub projector: Option<String>,
    /// Put dead letters back on the queue instead.
    #[arg(long, conflicts_with = "projector")]
    pub dead_letters: bool,
}

#[derive(Args, Debug, Clone)]
pub struct GenerateArgs {
    #[arg(long, default_value_t = 3)]
    pub orgs: usize,
    #[arg(long, default_value_t = 20)]
    pub users: usize,
    #[arg(long, default_value_t = 30)]
    pub days: u32,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Org slugs are PREFIX-1, PREFIX-2, …
    #[arg(long, default_value = "demo")]
    pub prefix: String,
    /// The server to send to.
    #[arg(long, env = "AGENTMON_URL", default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// Print the events as JSON lines instead of sending them.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "AGENTMON_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Address to take OpenTelemetry over gRPC on (e.g. 0.0.0.0:4317);
    /// none when unset. OTLP over HTTP is always at /otlp/v1/… of --listen.
    #[arg(long, env = "AGENTMON_OTLP_GRPC_LISTEN")]
    pub otlp_grpc_listen: Option<SocketAddr>,
    /// TLS: the certificate chain (PEM) to answer HTTPS, WSS and OTLP/gRPC
    /// over TLS with, with --tls-key; read again when the file changes.
    /// Without it agentmon speaks plain HTTP for a TLS-terminating proxy.
    #[arg(long, env = "AGENTMON_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,
    /// TLS: the certificate's private key (PEM), with --tls-cert.
    #[arg(long, env = "AGENTMON_TLS_KEY")]
    pub tls_key: Option<PathBuf>,
    /// Do not run the projection worker in this process.
    #[arg(long, env = "AGENTMON_NO_WORKER")]
    pub no_worker: bool,
    #[command(flatten)]
    pub worker: WorkerArgs,
    /// On first start, create demo orgs and fill them with generated traffic.
    #[arg(long, env = "AGENTMON_DEMO")]
    pub demo: bool,
    /// Development: serve the dashboard's files from this folder (the
    /// repository's `web/`) on every request instead of the copy inside the
    /// binary, so edits show without a rebuild.
    #[arg(long, env = "AGENTMON_WEB_DIR")]
    pub web_dir: Option<PathBuf>,
    /// Deepest query accepted.
    #[arg(long, env = "AGENTMON_MAX_QUERY_DEPTH", default_value_t = 16)]
    pub max_query_depth: usize,
    #[command(flatten)]
    pub rates: RateArgs,
    /// When set, `/metrics` answers only requests with `Authorization:
    /// Bearer <this token>`.
    #[arg(long, env = "AGENTMON_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<SecretString>,
    /// Longest a request may take to produce its response (streamed exports
    /// and websockets go on past it once started).
    #[arg(long, env = "AGENTMON_REQUEST_TIMEOUT", default_value = "30s", value_parser = humantime::parse_duration)]
    pub request_timeout: std::time::Duration,
    /// Most complex query accepted (one point per field, lists weigh more).
    #[arg(long, env = "AGENTMON_MAX_QUERY_COMPLEXITY", default_value_t = 5_000)]
    pub max_query_complexity: usize,
}

/// Rate limits, shared by every replica through Redis when REDIS_URL is set.
#[derive(Args, Debug, Clone)]
pub struct RateArgs {
    /// Events per second one org takes from all its producers together (a
    /// call of 1,000 events always fits); over it, RATE_LIMITED with
    /// retryAfterSeconds.
    #[arg(long, env = "AGENTMON_INGEST_EVENTS_PER_SECOND", default_value_t = crate::graphql::INGEST_EVENTS_PER_SECOND, value_parser = clap::value_parser!(u32).range(1..))]
    pub ingest_events_per_second: u32,
    /// Requests per minute one signed-in user may make.
    #[arg(long, env = "AGENTMON_REQUESTS_PER_MINUTE", default_value_t = crate::graphql::REQUESTS_PER_MINUTE, value_parser = clap::value_parser!(u32).range(1..))]
    pub requests_per_minute: u32,
}

#[derive(Subcommand, Debug)]
pub enum KeyCommand {
    /// Create a key that may only ingest: into one org, or every org
    /// without --org. Prints the secret (once) on stdout.
    Create {
        /// The org the key writes to; omit for every org.
        #[arg(long)]
        org: Option<String>,
        /// A name to recognise it by (1 to 100 characters).
        #[arg(long)]
        name: String,
    },
    /// Revoke a key: servers refuse it within seconds.
    Revoke {
        /// The key's id (from the dashboard or `createApiKey`).
        id: uuid::Uuid,
    },
}

#[derive(Subcommand, Debug)]
pub enum OrgCommand {
    /// Create an org.
    Create {
        /// 2 to 63 lowercase letters, digits or dashes.
        slug: String,
        #[arg(long)]
        name: String,
        /// IANA time zone in which the org's days are counted.
        #[arg(long, default_value = "UTC")]
        timezone: String,
    },
    /// Change an org's name, time zone (its day rollups are rebuilt) or status.
    Update {
        slug: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        timezone: Option<String>,
        /// ACTIVE or SUSPENDED.
        #[arg(long)]
        status: Option<String>,
        /// Days of data the org keeps (1 to 3,650).
        #[arg(long)]
        retention_days: Option<i32>,
    },
}

#[derive(Args, Debug, Clone)]
#[command(group(clap::ArgGroup::new("kind").required(true).args(["role", "ingest"])))]
pub struct TokenArgs {
    /// A user token with this role.
    #[arg(long)]
    pub role: Option<Role>,
    /// The user's org (required for MEMBER, MANAGER, ORG_ADMIN).
    #[arg(long, requires = "role")]
    pub org: Option<String>,
    /// The user id (`sub`).
    #[arg(long, requires = "role", default_value = "dev")]
    pub sub: String,
    /// A producer token that may only ingest.
    #[arg(long)]
    pub ingest: bool,
    /// Orgs the producer may write to: `a,b` or `*`.
    #[arg(long, requires = "ingest", value_delimiter = ',', default_value = "*")]
    pub orgs: Vec<String>,
    /// How long the token is valid, e.g. `1h`, `30d`.
    #[arg(long, default_value = "1h", value_parser = humantime::parse_duration)]
    pub ttl: std::time::Duration,
}

impl WorkerArgs {
    pub fn config(&self) -> agentmon_projectors::worker::WorkerConfig {
        agentmon_projectors::worker::WorkerConfig {
            batch_size: self.batch_size.max(1),
            max_attempts: self.max_attempts.max(1),
            backoff: self.backoff,
            lock_timeout: self.lock_timeout,
            run_idle: self.run_idle,
            webhooks: agentmon_core::alerts::WebhookPolicy::from_env(),
            ..Default::default()
        }
    }
}
