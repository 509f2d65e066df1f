//! The agentmon router on a test database, driven in-process with
//! `oneshot`, as a client would drive it over HTTP.

use agentmon_api::graphql::{self, Limits};
use agentmon_api::{router, AppState};
use agentmon_core::auth::{ApiKeys, Authenticator, JwtSettings, MintRequest, Role};
use agentmon_core::storage::db::{migrate, Db, DbUrls, PoolSizes};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use serde_json::{json, Value};
use tower::ServiceExt;

use super::TestDb;

pub const SECRET: &str = "test-secret-that-is-long-enough-for-hs256";
/// What `/metrics` asks for in the test app.
pub const METRICS_TOKEN: &str = "metrics-token-for-tests";

pub struct TestApp {
    pub db: Db,
    pub services: agentmon_api::graphql::Services,
    pub auth: Authenticator,
    /// Signed-in users seen (write them with `presence.flush(&db)`).
    #[allow(dead_code)]
    pub presence: agentmon_api::gate::Presence,
    /// The export slots of the app's server.
    pub exports: std::sync::Arc<tokio::sync::Semaphore>,
    router: Router,
    /// What the server's handlers share (for the OTLP/gRPC listener).
    state: AppState,
    /// A second server over the same database, with caches of its own.
    replica: Router,
    /// Declared last: dropped after the pools, it drops the database.
    _test_db: TestDb,
}

impl TestApp {
    pub async fn new() -> TestApp {
        TestApp::with_jwks(None).await
    }

    /// A test app that also accepts RS256/ES256 tokens signed by `jwks`' keys.
    pub async fn with_jwks(jwks: Option<jsonwebtoken::jwk::JwkSet>) -> TestApp {
        TestApp::with(jwks, None, None, false).await
    }

    /// A test app whose cache and bus are the Redis at `redis_url`.
    pub async fn with_redis(redis_url: &str) -> TestApp {
        TestApp::with(None, Some(redis_url), None, false).await
    }

    /// A test app with these rate limits (events per second per producer
    /// and org, requests per minute per user), kept in `redis_url` if given.
    pub async fn with_rates(
        events_per_second: u32,
        requests_per_minute: u32,
        redis_url: Option<&str>,
    ) -> TestApp {
        let rates = graphql::RateLimits::new(events_per_second, requests_per_minute, redis_url)
            .unwrap_or_else(|e| panic!("{e}"));
        TestApp::with(None, redis_url, Some(rates), false).await
    }

    /// A test app that lets alert channels post to loopback receivers
    /// (`AGENTMON_WEBHOOK_ALLOW_PRIVATE=true`).
    pub async fn with_private_webhooks() -> TestApp {
        TestApp::with(None, None, None, true).await
    }

    async fn with(
        jwks: Option<jsonwebtoken::jwk::JwkSet>,
        redis_url: Option<&str>,
        rates: Option<graphql::RateLimits>,
        allow_private: bool,
    ) -> TestApp {
        let test_db = TestDb::new().await;
        // The template is migrated already; this proves the runner is a no-op then.
        migrate::run(&test_db.url)
            .await
            .unwrap_or_else(|e| panic!("{e:#}"));
        let urls = DbUrls::derive(&test_db.url)
            .await
            .unwrap_or_else(|e| panic!("{e:#}"));
        let db = Db::connect(
            &urls,
            &PoolSizes {
                app: 8,
                worker: 4,
                owner: 4,
            },
        )
        .unwrap_or_else(|e| panic!("{e:#}"));
        let settings = JwtSettings {
            secret: SECRET.into(),
            issuer: "agentmon".into(),
            audience: "agentmon".into(),
            jwks,
        };
        let key_secret = settings.derived_key("agentmon api keys");
        let keys = ApiKeys::new(key_secret);
        let auth = Authenticator::new(settings);
        let services = match redis_url {
            Some(url) => {
                let bus = agentmon_core::bus::Bus::redis(url).unwrap_or_else(|e| panic!("{e}"));
                bus.listen();
                let ttl = std::time::Duration::from_secs(60);
                let cache =
                    agentmon_core::cache::Cache::redis(url, ttl).unwrap_or_else(|e| panic!("{e}"));
                graphql::Services {
                    db: db.clone(),
                    cache,
                    bus,
                    rates: graphql::RateLimits::defaults(),
                    keys: keys.clone(),
                    members: Default::default(),
                    webhooks: Default::default(),
                }
            }
            None => graphql::Services::local(db.clone(), keys.clone()),
        };
        let exports = std::sync::Arc::new(tokio::sync::Semaphore::new(
            agentmon_api::http::MAX_CONCURRENT_EXPORTS,
        ));
        let services = match rates {
            Some(rates) => graphql::Services { rates, ..services },
            None => services,
        };
        let services = graphql::Services {
            webhooks: agentmon_core::alerts::WebhookPolicy { allow_private },
            ..services
        };
        let presence = agentmon_api::gate::Presence::default();
        let state = AppState {
            presence: presence.clone(),
            exports: exports.clone(),
            metrics_token: Some(METRICS_TOKEN.into()),
            ..AppState::new(
                &services,
                graphql::build(Some(services.clone()), Limits::default()),
                auth.clone(),
            )
        };
        TestApp {
            services,
            exports,
            presence,
            replica: router(AppState {
                keys: ApiKeys::new(key_secret),
                presence: Default::default(),
                members: Default::default(),
                connections: Default::default(),
                ..state.clone()
            }),
            router: router(state.clone()),
            state,
            db,
            auth,
            _test_db: test_db,
        }
    }

    /// The test database's URL (the owner's).
    pub fn url(&self) -> &str {
        &self._test_db.url
    }

    /// An in-process projection worker on this database.
    pub fn worker(&self, batch_size: i64) -> agentmon_projectors::worker::Worker {
        let worker = agentmon_projectors::worker::Worker::new(
            self.db.clone(),
            self.url(),
            agentmon_projectors::registry(),
            agentmon_projectors::worker::WorkerConfig {
                batch_size,
                max_attempts: 2,
                backoff: std::time::Duration::from_millis(10),
                poll_interval: std::time::Duration::from_millis(50),
                lock_timeout: std::time::Duration::from_millis(300),
                webhooks: self.services.webhooks,
                ..Default::default()
            },
        );
        worker.with_bus(self.services.bus.clone())
    }

    /// The app's server with another request timeout.
    #[allow(dead_code)]
    pub fn router_with_timeout(&self, timeout: std::time::Duration) -> Router {
        router(AppState {
            request_timeout: timeout,
            ..self.state.clone()
        })
    }

    /// The app's server with the dashboard's own files read from `dir` on
    /// every request (`agentmon serve --web-dir DIR`).
    #[allow(dead_code)]
    pub fn router_with_web_dir(&self, dir: &std::path::Path) -> Router {
        router(AppState {
            web: agentmon_api::http::assets::Source::Dir(dir.to_path_buf()),
            ..self.state.clone()
        })
    }

    /// The app's server with another wait for export clients that read
    /// nothing.
    #[allow(dead_code)]
    pub fn router_with_export_stall(&self, stall: std::time::Duration) -> Router {
        router(AppState {
            export_stall: stall,
            ..self.state.clone()
        })
    }

    /// Serves OTLP/gRPC on a free loopback port; returns "http://127.0.0.1:PORT".
    #[allow(dead_code)]
    pub async fn listen_grpc(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        tokio::spawn(agentmon_api::otlp::serve_grpc(
            self.state.clone(),
            listener,
            None,
            std::future::pending(),
        ));
        format!("http://{addr}")
    }

    /// Serves the app, with live connections pinged every `ping` and given
    /// `init` for their `connection_init`, on a free loopback port.
    #[allow(dead_code)]
    pub async fn listen_with_live(
        &self,
        ping: std::time::Duration,
        init: std::time::Duration,
    ) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("{e}"))
            .to_string();
        let app = router(AppState {
            live_ping: ping,
            live_init_timeout: init,
            ..self.state.clone()
        })
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
        tokio::spawn(async move { axum::serve(listener, app).await });
        addr
    }

    /// Serves the app on a free loopback port (for websocket clients);
    /// returns "127.0.0.1:PORT".
    pub async fn listen(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("{e}"))
            .to_string();
        let app = self
            .router
            .clone()
            .into_make_service_with_connect_info::<std::net::SocketAddr>();
        tokio::spawn(async move { axum::serve(listener, app).await });
        addr
    }

    /// Runs every queued job (replays, time-zone changes, retention,
    /// erasures) to its end, as a worker's job runner would.
    pub async fn run_jobs(&self) -> usize {
        agentmon_projectors::jobs::JobRunner::new(self.db.clone(), self.url())
            .drain()
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Makes every projection of session `poison` fail (a trigger on
    /// `sessions`), until [`TestApp::cure_poison`].
    pub async fn poison_session_poison(&self) {
        use diesel_async::SimpleAsyncConnection;
        let mut owner = self.db.owner().await.unwrap_or_else(|e| panic!("{e}"));
        owner
            .batch_execute(
                "CREATE FUNCTION reject_poison() RETURNS trigger LANGUAGE plpgsql AS $$ \
                 BEGIN IF NEW.session_id = 'poison' THEN RAISE EXCEPTION 'cannot project session poison'; END IF; \
                 RETURN NEW; END $$; \
                 CREATE TRIGGER reject_poison BEFORE INSERT OR UPDATE ON sessions \
                 FOR EACH ROW EXECUTE FUNCTION reject_poison();",
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }

    /// Lets session `poison` project again.
    pub async fn cure_poison(&self) {
        use diesel_async::SimpleAsyncConnection;
        let mut owner = self.db.owner().await.unwrap_or_else(|e| panic!("{e}"));
        owner
            .batch_execute("DROP TRIGGER reject_poison ON sessions")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }

    /// Projects everything queued.
    pub async fn project_all(&self) -> usize {
        self.worker(500)
            .drain()
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    pub fn token(&self, request: MintRequest) -> String {
        self.auth
            .mint(&request, std::time::Duration::from_secs(3600))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    pub fn super_admin(&self) -> String {
        self.user_token(Role::SuperAdmin, None)
    }

    pub fn user_token(&self, role: Role, org: Option<&str>) -> String {
        self.token(MintRequest::User {
            sub: "tester".into(),
            role,
            org: org.map(str::to_string),
        })
    }

    pub fn ingest_token(&self, orgs: &[&str]) -> String {
        self.token(MintRequest::Ingest {
            orgs: orgs.iter().map(|s| s.to_string()).collect(),
        })
    }

    /// Sends a raw request; returns the status and the body as JSON (or as a
    /// JSON string when it is not JSON).
    pub async fn request(&self, request: Request<Body>) -> (StatusCode, Value) {
        let response = self.respond(request).await;
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let body = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        (status, body)
    }

    /// The whole response to a request, headers included.
    pub async fn respond(&self, request: Request<Body>) -> axum::response::Response {
        self.router
            .clone()
            .oneshot(request)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// POSTs a GraphQL operation; returns the whole response body.
    pub async fn graphql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut builder =
            Request::post("/graphql").header(header::CONTENT_TYPE, "application/json");
        if let Some(token) = token {
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let body = json!({ "query": query, "variables": variables }).to_string();
        let (status, body) = self
            .request(
                builder
                    .body(Body::from(body))
                    .unwrap_or_else(|e| panic!("{e}")),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "GraphQL answered {status}: {body}");
        body
    }

    /// Creates an org as a SUPER_ADMIN; panics when that fails.
    pub async fn create_org(&self, slug: &str, timezone: &str) -> Value {
        let body = self
            .graphql(
                Some(&self.super_admin()),
                "mutation($slug: String!, $tz: String!) { createOrg(slug: $slug, name: $slug, timezone: $tz) { id slug timezone status } }",
                json!({ "slug": slug, "tz": timezone }),
            )
            .await;
        assert!(body["errors"].is_null(), "createOrg failed: {body}");
        body["data"]["createOrg"].clone()
    }

    /// Sends events with an ingest token for all orgs; returns the whole body.
    pub async fn ingest(&self, events: &[Value]) -> Value {
        self.ingest_as(&self.ingest_token(&["*"]), events).await
    }

    /// Sends events that must all be accepted, then projects them.
    pub async fn seed(&self, events: &[Value]) {
        let body = self.ingest(events).await;
        assert_eq!(
            body["data"]["ingestEvents"]["accepted"],
            events.len(),
            "{body}"
        );
        self.project_all().await;
    }

    /// `ingest_as` on the second server (the replica).
    pub async fn ingest_on_replica(&self, token: &str, events: &[Value]) -> Value {
        self.graphql_on_replica(
            token,
            "mutation($events: [EventInput!]!) { ingestEvents(events: $events) { accepted rejected { code } } }",
            json!({ "events": events }),
        )
        .await
    }

    /// A GraphQL request to the second server (the replica), which keeps
    /// its own keys, sightings and memberships.
    pub async fn graphql_on_replica(&self, token: &str, query: &str, variables: Value) -> Value {
        let body = json!({ "query": query, "variables": variables });
        let response = self
            .replica
            .clone()
            .oneshot(
                Request::post("/graphql")
                    .header(header::CONTENT_TYPE, "application/json")
                    .header(header::AUTHORIZATION, format!("Bearer {token}"))
                    .body(Body::from(body.to_string()))
                    .unwrap_or_else(|e| panic!("{e}")),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{e}"))
    }

    pub async fn ingest_as(&self, token: &str, events: &[Value]) -> Value {
        self.graphql(
            Some(token),
            "mutation($events: [EventInput!]!) { ingestEvents(events: $events) { accepted duplicates rejected { index eventId code message } } }",
            json!({ "events": events }),
        )
        .await
    }
}

/// The first error's `extensions.code`, or "" when there is none.
pub fn error_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

impl TestApp {
    /// Runs `SELECT count(*) AS n …` with the owner's rights (no RLS).
    pub async fn count(&self, sql: &str) -> i64 {
        use diesel_async::RunQueryDsl;
        let mut conn = self.db.owner().await.unwrap_or_else(|e| panic!("{e}"));
        diesel::sql_query(sql)
            .get_result::<Count>(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .n
    }
}
